// The one error type the RDB layer throws for bad input.
//
// Callers (the RDB loader, RESTORE, redis-check-rdb style tools) catch exactly this
// class to tell "the bytes are corrupt" apart from programming errors, so every
// decoder converts out-of-bounds reads, impossible lengths and allocation failures
// caused by corrupt lengths into an RdbFormatError instead of letting a RangeError
// or TypeError escape.
export class RdbFormatError extends Error {
  override name = "RdbFormatError";

  constructor(message: string) {
    super(message);
  }
}
