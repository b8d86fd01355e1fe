// Legacy zipmap (zipmap.c), read-only: how Redis before 2.6 stored small hashes
// (RDB type 9).
//
//   <zmlen: 1 byte, pair count if < 254> (<len> key <len> <free> value <free bytes>)* 0xFF
//   len = 1 byte (0..253), or 0xFE + u32 LE
//
// Checks: those of zipmapValidateIntegrity with deep=1 (last byte 0xFF, every
// length and entry inside the blob, not empty, count matching zmlen unless zmlen
// is 254), plus the duplicate-field check rdb.c makes when converting. As in Redis,
// the walk stops at the first 0xFF in key position, so bytes after it are ignored.
// One more check Redis does not make but relies on: a 5-byte length must hold a
// value >= 254. zipmapNext re-derives the length's size from its value, so Redis
// would misparse a short value in the long form; we refuse it instead.

import { bytesToKey } from "../../db/bytes.ts";
import { RdbFormatError } from "./errors.ts";

const END_MARKER = 0xff;
const BIG_LENGTH_MARKER = 254;

function corrupt(message: string, offset: number): RdbFormatError {
  return new RdbFormatError(`Invalid zipmap: ${message} at offset ${offset}`);
}

/** Parse and validate a zipmap; returns its field/value pairs (copies) in stored order. */
export function decodeZipmap(bytes: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const size = bytes.length;
  if (size < 2) throw corrupt(`${size} bytes is too short`, 0);
  const last = size - 1;
  if (bytes[last] !== END_MARKER) throw corrupt("missing 0xFF terminator", last);
  const declaredCount = bytes[0]!;

  const pairs: Array<[Uint8Array, Uint8Array]> = [];
  const seenFields = new Set<string>();
  let p = 1;

  // Reads a length at p; returns [length, first byte after it].
  const readLength = (at: number): [number, number] => {
    const first = bytes[at]!;
    if (first < BIG_LENGTH_MARKER) return [first, at + 1];
    // 0xFE and (in value position) 0xFF both introduce the 5-byte form in zipmap.c.
    if (at + 5 > last) throw corrupt("length runs past the end", at);
    const length = (bytes[at + 1]! | (bytes[at + 2]! << 8) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 24)) >>> 0;
    if (length < BIG_LENGTH_MARKER) throw corrupt(`length ${length} in the 5-byte form`, at);
    return [length, at + 5];
  };

  while (bytes[p] !== END_MARKER) {
    const entryStart = p;
    const [fieldLength, fieldAt] = readLength(p);
    p = fieldAt + fieldLength;
    if (p > last) throw corrupt("field runs past the end", entryStart);
    const [valueLength, freeAt] = readLength(p);
    if (freeAt > last) throw corrupt("free byte runs past the end", p);
    const free = bytes[freeAt]!;
    const valueAt = freeAt + 1;
    p = valueAt + valueLength + free;
    if (p > last) throw corrupt("value runs past the end", entryStart);

    const field = bytes.slice(fieldAt, fieldAt + fieldLength);
    const fieldKey = bytesToKey(field);
    if (seenFields.has(fieldKey)) throw corrupt("duplicate field", entryStart);
    seenFields.add(fieldKey);
    pairs.push([field, bytes.slice(valueAt, valueAt + valueLength)]);
  }
  if (pairs.length === 0) throw corrupt("empty zipmap", 0);
  if (declaredCount !== BIG_LENGTH_MARKER && declaredCount !== pairs.length) {
    throw corrupt(`header says ${declaredCount} pairs, found ${pairs.length}`, 0);
  }
  return pairs;
}
