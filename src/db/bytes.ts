// Byte helpers used everywhere values are handled as bytes.
//
// A "binary string" is a JS string whose char codes are bytes (latin1). It is the
// form used for Map/Set keys; conversion is exact in both directions.

const utf8Encoder = new TextEncoder();

/** Bytes -> binary string (one char per byte). */
export function bytesToKey(bytes: Uint8Array): string {
  // Buffer#latin1Slice is the fastest exact conversion in Bun; TextDecoder("latin1")
  // is windows-1252 per the WHATWG spec and would remap 0x80-0x9f.
  return Buffer.prototype.latin1Slice.call(bytes, 0, bytes.length) as string;
}

/** Binary string -> bytes. */
export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** ASCII/UTF-8 text (command names, numbers, messages) -> bytes. */
export function textToBytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Bytes -> text, for messages and logs (invalid UTF-8 is replaced). */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.prototype.utf8Slice.call(bytes, 0, bytes.length) as string;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** memcmp-style comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Binary-string comparison with memcmp order (JS < on strings compares UTF-16 units, equal to bytes here). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Case-insensitive compare of an argument with an ASCII word written in lower case. */
export function argIs(arg: Uint8Array, lowerWord: string): boolean {
  if (arg.length !== lowerWord.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lowerWord.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * argIs as C's strcasecmp sees an argument: the bytes up to its first NUL, so that
 * "km\0x" is "km" (Redis reads some options, such as GEO's units, that way).
 */
export function argIsCString(arg: Uint8Array, lowerWord: string): boolean {
  const nul = arg.indexOf(0);
  return argIs(nul < 0 ? arg : arg.subarray(0, nul), lowerWord);
}

/** Lower-cased ASCII text of an argument (for option and subcommand names). */
export function argLower(arg: Uint8Array): string {
  let s = "";
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i]!;
    if (c >= 65 && c <= 90) c += 32;
    s += String.fromCharCode(c);
  }
  return s;
}

export const LONG_MAX = 9223372036854775807n;
export const LONG_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: the whole buffer must be a canonical base-10 signed 64-bit
 * integer (no spaces, no '+', no leading zeros, "-0" refused). Returns null otherwise.
 * Numbers within 2^53 come back as number; larger magnitudes as bigint.
 */
export function parseInteger(bytes: Uint8Array): number | bigint | null {
  return parseIntegerIn(bytes, 0, bytes.length);
}

/** parseInteger of bytes[start, end): the keyspace parses an arena string where it lies. */
export function parseIntegerIn(bytes: Uint8Array, start: number, end: number): number | bigint | null {
  const len = end - start;
  if (len === 0 || len > 20) return null;
  let i = start;
  let negative = false;
  if (bytes[i] === 45 /* - */) {
    if (len === 1) return null;
    negative = true;
    i++;
  }
  const first = bytes[i]!;
  if (first === 48 /* 0 */) return len === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  if (end - i <= 15) {
    let v = 0;
    for (; i < end; i++) {
      const c = bytes[i]!;
      if (c < 48 || c > 57) return null;
      v = v * 10 + (c - 48);
    }
    return negative ? -v : v;
  }
  let v = 0n;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return null;
    v = v * 10n + BigInt(c - 48);
  }
  if (negative) v = -v;
  if (v > LONG_MAX || v < LONG_MIN) return null;
  return narrowInt64(v);
}

/** An int64 as a number when it is a safe integer, else the bigint itself. */
export function narrowInt64(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** parseInteger that always yields a bigint (for arithmetic that must not lose precision). */
/**
 * C's atoi, where Redis reads a number with it (DEBUG arguments, numkeys in key
 * functions): optional blanks and a sign, then digits up to the first other byte; 0
 * when there are none.
 */
export function atoi(bytes: Uint8Array): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(bytesToKey(bytes));
  return match === null ? 0 : Number.parseInt(match[1]!, 10) | 0;
}

export function parseBigInt(bytes: Uint8Array): bigint | null {
  const v = parseInteger(bytes);
  return v === null ? null : typeof v === "bigint" ? v : BigInt(v);
}

/**
 * a + b as Redis's 64-bit counters add (INCRBY, HINCRBY): a number while the sum is a
 * safe integer, a bigint beyond, null when it leaves the int64 range (the overflow error).
 */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    // Exact when safe: a sum past 2^53 is not, and is redone in 64 bits.
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  if (sum > LONG_MAX || sum < LONG_MIN) return null;
  return narrowInt64(sum);
}

/** The decimal bytes of an integer, a number or a bigint. */
export function integerValueBytes(n: number | bigint): Uint8Array {
  return typeof n === "number" ? integerBytes(n) : textToBytes(n.toString());
}

/** Decimal bytes of a safe integer, without a TextEncoder round trip (INCR's hot path). */
export function integerBytes(n: number): Uint8Array {
  const out = new Uint8Array(integerDigitCount(n));
  writeIntegerDigits(out, 0, n, out.length);
  return out;
}

/** 10^0 .. 10^16: a safe integer has at most 16 digits. */
const POWERS_OF_TEN = Array.from({ length: 17 }, (_, i) => 10 ** i);

/** How many bytes the decimal form of a safe integer takes (its sign included). */
export function integerDigitCount(n: number): number {
  const rest = n < 0 ? -n : n;
  // Comparisons, not divisions: a millisecond timestamp has 13 digits.
  let digits = 1;
  while (digits < 16 && rest >= POWERS_OF_TEN[digits]!) digits++;
  return n < 0 ? digits + 1 : digits;
}

/** Writes the decimal form of a safe integer, `length` (integerDigitCount) bytes, at target[at]. */
export function writeIntegerDigits(target: Uint8Array, at: number, n: number, length: number): void {
  if (n === 0) {
    target[at] = 48;
    return;
  }
  let rest = n;
  if (n < 0) {
    target[at] = 45;
    rest = -n;
  }
  let i = at + length - 1;
  if (rest > 0x7fffffff) {
    // The low 8 digits with int32 arithmetic (a third of the cost of doubles), then the rest.
    const high = Math.floor(rest / 1e8);
    let low = (rest - high * 1e8) | 0;
    for (const end = i - 8; i > end; i--) {
      const quotient = (low / 10) | 0;
      target[i] = 48 + low - quotient * 10;
      low = quotient;
    }
    rest = high;
  }
  // Below 2^31 now (a safe integer over 10^8 is under 2^27): int32 from here on.
  for (let small = rest | 0; small > 0; i--) {
    const quotient = (small / 10) | 0;
    target[i] = 48 + small - quotient * 10;
    small = quotient;
  }
}

/**
 * A copy into a new plain Uint8Array. Not `.slice()`: on a Buffer (what Bun hands
 * sockets, and what Buffer.from returns) slice() is a view sharing the same memory.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Parser arguments up to this size are standalone copies (protocol/parser.ts ARG_COPY_LIMIT). */
const STANDALONE_ARG_LIMIT = 1000;

/**
 * A command argument (an argv element) as bytes the keyspace may keep. The parser
 * returns short arguments as standalone arrays, which are kept as they are; long ones
 * are views into a shared input chunk, and storing a view would pin the whole chunk,
 * so those are copied (except a large argument the parser assembled in its own
 * buffer). Only for argv elements: a short view at offset 0 of a larger buffer made
 * elsewhere would be kept as it is. Reading `.buffer` of a short array is avoided on
 * purpose: JavaScriptCore then moves the array out of its heap, which costs more than
 * the copy.
 */
export function ownBytes(arg: Uint8Array): Uint8Array {
  if (arg.byteOffset !== 0 || Buffer.isBuffer(arg)) return copyBytes(arg);
  if (arg.length <= STANDALONE_ARG_LIMIT) return arg;
  return arg.byteLength + 2 >= arg.buffer.byteLength ? arg : copyBytes(arg);
}
