// Bit-level algorithms on string values for BITCOUNT, BITPOS, BITOP, GETBIT,
// SETBIT and BITFIELD (bitops.c in Redis 7.0). Pure functions on bytes: the
// command layer looks keys up, checks types, grows strings and replies.
//
// Bits are numbered from the most significant bit of byte 0, as in Redis:
// bit 0 is 0x80 of the first byte, bit 7 is 0x01, bit 8 is 0x80 of the second.
// Offsets are plain numbers (a string holds at most 2^32 bytes, so 2^35 bits):
// never use 32-bit operators (|, >>, &) on them.

export type BitUnit = "byte" | "bit";

/** A range argument as parsed by the command layer (Redis's long long). */
export type RangeIndex = number | bigint;

const BIT_COUNT_IN_BYTE = new Uint8Array(256);
for (let i = 1; i < 256; i++) BIT_COUNT_IN_BYTE[i] = (i & 1) + BIT_COUNT_IN_BYTE[i >> 1]!;

function popcount32(word: number): number {
  word = word - ((word >>> 1) & 0x55555555);
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
  return (Math.imul((word + (word >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Set bits in buf[from, to). */
export function popcount(buf: Uint8Array, from = 0, to = buf.length): number {
  let count = 0;
  let i = from;
  // Whole aligned 32-bit words in the middle: four bytes per step on long strings.
  if (to - from >= 64) {
    while (i < to && (buf.byteOffset + i) % 4 !== 0) count += BIT_COUNT_IN_BYTE[buf[i++]!]!;
    const words = Math.floor((to - i) / 4);
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) count += popcount32(view[w]!);
    i += words * 4;
  }
  for (; i < to; i++) count += BIT_COUNT_IN_BYTE[buf[i]!]!;
  return count;
}

/** Clamps a long long argument into the safe-number range (beyond it every string length behaves the same). */
function toIndex(value: RangeIndex): number {
  if (typeof value === "number") return value;
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (value > limit) return Number.MAX_SAFE_INTEGER;
  if (value < -limit) return -Number.MAX_SAFE_INTEGER;
  return Number(value);
}

/**
 * Resolves Redis's start/end (negative counts from the end, then clamped)
 * against `total` units. Returns [start, end], possibly with start > end.
 */
function resolveRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

/** Set bits in the inclusive bit range [firstBit, lastBit]. */
function countBitsInRange(buf: Uint8Array, firstBit: number, lastBit: number): number {
  const firstByte = Math.floor(firstBit / 8);
  const lastByte = Math.floor(lastBit / 8);
  let count = popcount(buf, firstByte, lastByte + 1);
  // Take back the bits of the edge bytes that lie outside the range.
  const headOutside = firstBit % 8;
  if (headOutside > 0) count -= BIT_COUNT_IN_BYTE[buf[firstByte]! & (0xff << (8 - headOutside)) & 0xff]!;
  const tailOutside = 7 - (lastBit % 8);
  if (tailOutside > 0) count -= BIT_COUNT_IN_BYTE[buf[lastByte]! & ((1 << tailOutside) - 1)]!;
  return count;
}

/**
 * BITCOUNT key [start end [BYTE|BIT]]. Without a range counts the whole string.
 * start/end follow Redis 7.0: negative indexes count from the end; a range with
 * both ends negative and start > end is empty before any clamping.
 */
export function bitcount(buf: Uint8Array, start?: RangeIndex, end?: RangeIndex, unit: BitUnit = "byte"): number {
  if (start === undefined || end === undefined) return popcount(buf);
  if (start < 0 && end < 0 && start > end) return 0;
  const total = unit === "bit" ? buf.length * 8 : buf.length;
  const [from, to] = resolveRange(toIndex(start), toIndex(end), total);
  if (from > to) return 0;
  if (unit === "byte") return popcount(buf, from, to + 1);
  return countBitsInRange(buf, from, to);
}

/** Index of the first bit equal to `bit` in [firstBit, lastBit], or -1. */
function findBit(buf: Uint8Array, bit: 0 | 1, firstBit: number, lastBit: number): number {
  // A byte with no wanted bit: 0x00 when looking for ones, 0xff for zeros.
  const skipByte = bit === 1 ? 0x00 : 0xff;
  let position = firstBit;
  // Partial head byte, bit by bit.
  while (position <= lastBit && position % 8 !== 0) {
    if (bitAt(buf, position) === bit) return position;
    position++;
  }
  if (position > lastBit) return -1;
  const lastWholeByte = Math.floor((lastBit + 1) / 8) - 1;
  let byteIndex = position / 8;
  while (byteIndex <= lastWholeByte && buf[byteIndex] === skipByte) byteIndex++;
  position = byteIndex * 8;
  for (; position <= lastBit; position++) if (bitAt(buf, position) === bit) return position;
  return -1;
}

function bitAt(buf: Uint8Array, position: number): 0 | 1 {
  return ((buf[Math.floor(position / 8)]! >> (7 - (position % 8))) & 1) as 0 | 1;
}

/**
 * BITPOS key bit [start [end [BYTE|BIT]]] on an existing string (a missing key
 * answers bit ? -1 : 0 before this is called).
 *
 * `end` null means "not given", which matters when looking for a 0 that is not
 * there: the string is then seen as padded with zeros on the right and the
 * answer is the first bit after the range's last byte (so an all-ones string
 * answers its length * 8); with an explicit end the answer is -1. An empty
 * range answers -1.
 */
export function bitpos(
  buf: Uint8Array,
  bit: 0 | 1,
  start: RangeIndex = 0,
  end: RangeIndex | null = null,
  unit: BitUnit = "byte",
): number {
  const isBit = unit === "bit";
  const endGiven = end !== null;
  const total = isBit ? buf.length * 8 : buf.length;
  const defaultEnd = isBit ? buf.length * 8 + 7 : buf.length - 1;
  const [from, to] = resolveRange(toIndex(start), endGiven ? toIndex(end) : defaultEnd, total);
  if (from > to) return -1;
  const firstBit = isBit ? from : from * 8;
  const lastBit = isBit ? to : to * 8 + 7;
  const found = findBit(buf, bit, firstBit, lastBit);
  if (found >= 0 || bit === 1 || endGiven) return found;
  return (Math.floor(lastBit / 8) + 1) * 8;
}

export type BitOperation = "and" | "or" | "xor" | "not";

/**
 * BITOP op destkey key [key ...]: the result is as long as the longest source,
 * shorter (and missing, pass an empty array) sources read as zero bytes. NOT
 * takes exactly one source (the command checks). An empty result means Redis
 * deletes the destination.
 */
export function bitop(operation: BitOperation, sources: readonly Uint8Array[]): Uint8Array {
  let maxLength = 0;
  for (const source of sources) if (source.length > maxLength) maxLength = source.length;
  const result = new Uint8Array(maxLength);
  if (maxLength === 0 || sources.length === 0) return result;
  const first = sources[0]!;
  if (operation === "not") {
    for (let i = 0; i < maxLength; i++) result[i] = ~(i < first.length ? first[i]! : 0) & 0xff;
    return result;
  }
  result.set(first);
  for (let s = 1; s < sources.length; s++) {
    const source = sources[s]!;
    const length = source.length;
    if (operation === "and") {
      for (let i = 0; i < length; i++) result[i]! &= source[i]!;
      result.fill(0, length);
    } else if (operation === "or") {
      for (let i = 0; i < length; i++) result[i]! |= source[i]!;
    } else {
      for (let i = 0; i < length; i++) result[i]! ^= source[i]!;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// GETBIT / SETBIT

/** GETBIT: bits past the end of the string are 0. */
export function getBit(buf: Uint8Array, offset: number): 0 | 1 {
  const byteIndex = Math.floor(offset / 8);
  if (byteIndex >= buf.length) return 0;
  return ((buf[byteIndex]! >> (7 - (offset % 8))) & 1) as 0 | 1;
}

/** SETBIT on a buffer already grown to cover `offset`; returns the previous bit. */
export function setBit(buf: Uint8Array, offset: number, value: 0 | 1): 0 | 1 {
  const byteIndex = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  const old = (buf[byteIndex]! & mask) === 0 ? 0 : 1;
  if (value === 1) buf[byteIndex]! |= mask;
  else buf[byteIndex]! &= ~mask & 0xff;
  return old;
}

/** Bytes a string needs so that bits [offset, offset + bits) exist. */
export function bytesNeededForBits(offset: number, bits: number): number {
  return Math.floor((offset + bits - 1) / 8) + 1;
}

// ---------------------------------------------------------------------------
// BITFIELD

/** A BITFIELD type: i1..i64 or u1..u63. */
export interface BitfieldType {
  readonly signed: boolean;
  readonly bits: number;
}

export type BitfieldOverflow = "wrap" | "sat" | "fail";

/**
 * Parses "i8", "u16"... as getBitfieldTypeFromArgument does: a lower-case 'i'
 * or 'u' ("I8" is refused), then a canonical integer 1..64 (signed) or 1..63
 * (unsigned). Null means Redis's "Invalid bitfield type" error.
 */
export function parseBitfieldType(arg: Uint8Array): BitfieldType | null {
  if (arg.length < 2) return null;
  const kind = arg[0]!;
  if (kind !== 0x69 /* i */ && kind !== 0x75 /* u */) return null;
  const signed = kind === 0x69;
  // string2ll rules: no sign, no leading zero; any longer text is out of range anyway.
  if (arg.length > 3 || arg[1] === 48 /* 0 */) return null;
  let bits = 0;
  for (let i = 1; i < arg.length; i++) {
    const c = arg[i]!;
    if (c < 48 || c > 57) return null;
    bits = bits * 10 + (c - 48);
  }
  if (bits < 1 || bits > (signed ? 64 : 63)) return null;
  return { signed, bits };
}

/** Default proto-max-bulk-len, the cap on addressable bytes. */
export const DEFAULT_PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;

/**
 * A bit offset argument (getBitOffsetFromArgument): a canonical long long,
 * or with `hashForm` (BITFIELD) "#N" meaning N * bits. The offset must be
 * >= 0 and address a byte below protoMaxBulkLen. Null means Redis's
 * "bit offset is not an integer or out of range" error. The product wraps at
 * 64 bits as in C, so absurd "#N" values fail the same way as in Redis.
 */
export function parseBitOffset(
  arg: Uint8Array,
  bits: number,
  hashForm: boolean,
  protoMaxBulkLen: number = DEFAULT_PROTO_MAX_BULK_LEN,
): number | null {
  const useHash = hashForm && bits > 0 && arg.length > 0 && arg[0] === 0x23; /* # */
  const digits = useHash ? arg.subarray(1) : arg;
  const value = parseLongLong(digits);
  if (value === null) return null;
  const offset = useHash ? BigInt.asIntN(64, value * BigInt(bits)) : value;
  if (offset < 0n || offset >> 3n >= BigInt(protoMaxBulkLen)) return null;
  return Number(offset);
}

/** string2ll as a bigint: canonical base-10 signed 64-bit integer or null. */
function parseLongLong(bytes: Uint8Array): bigint | null {
  const length = bytes.length;
  if (length === 0 || length > 20) return null;
  let i = 0;
  const negative = bytes[0] === 45; /* - */
  if (negative) {
    if (length === 1) return null;
    i = 1;
  }
  if (bytes[i] === 48 /* 0 */) return length === 1 ? 0n : null;
  let text = "";
  for (; i < length; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return null;
    text += String.fromCharCode(c);
  }
  const value = negative ? -BigInt(text) : BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) return null;
  return value;
}

/**
 * Reads `bits` bits at bit `offset` (most significant first) as an unsigned
 * or two's complement signed integer; bits past the end of buf read as 0.
 * Widths up to 53 bits come back as a number, wider ones as a bigint.
 */
export function getBits(buf: Uint8Array, offset: number, bits: number, signed: boolean): number | bigint {
  if (bits <= 53) {
    let value = 0;
    for (let i = 0; i < bits; i++) value = value * 2 + getBit(buf, offset + i);
    if (signed && value >= 2 ** (bits - 1)) value -= 2 ** bits;
    return value;
  }
  // Two halves of at most 32 bits each keep the arithmetic exact.
  const lowBits = 32;
  const highBits = bits - lowBits;
  let high = 0;
  for (let i = 0; i < highBits; i++) high = high * 2 + getBit(buf, offset + i);
  let low = 0;
  for (let i = 0; i < lowBits; i++) low = low * 2 + getBit(buf, offset + highBits + i);
  const value = (BigInt(high) << 32n) | BigInt(low);
  return signed ? BigInt.asIntN(bits, value) : value;
}

/** getBits with a bigint result whatever the width. */
export function getBitfield(buf: Uint8Array, offset: number, type: BitfieldType): bigint {
  const value = getBits(buf, offset, type.bits, type.signed);
  return typeof value === "bigint" ? value : BigInt(value);
}

/**
 * Writes the low `bits` bits of value (two's complement for negatives) at bit
 * `offset`. buf must already cover offset + bits (see bytesNeededForBits).
 */
export function setBits(buf: Uint8Array, offset: number, bits: number, value: number | bigint): void {
  const pattern = BigInt.asUintN(bits, typeof value === "bigint" ? value : BigInt(value));
  const highBits = bits > 32 ? bits - 32 : 0;
  const lowBits = bits - highBits;
  const high = Number(pattern >> BigInt(lowBits));
  const low = Number(pattern & ((1n << BigInt(lowBits)) - 1n));
  for (let i = 0; i < highBits; i++) setBit(buf, offset + i, (Math.floor(high / 2 ** (highBits - 1 - i)) & 1) as 0 | 1);
  for (let i = 0; i < lowBits; i++) setBit(buf, offset + highBits + i, (Math.floor(low / 2 ** (lowBits - 1 - i)) & 1) as 0 | 1);
}

/**
 * Redis's checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow followed
 * by the policy: returns what to store, or null when the result does not fit
 * and the policy is FAIL (Redis then replies nil and writes nothing). WRAP
 * keeps the low bits (two's complement for signed fields), SAT clamps.
 *
 * The range test is done the way the C code does it, with 64-bit wrapping
 * "max - value" and "min - value", because it is observable: SET of a value
 * below -2^63 + 2^(bits-1) into a signed field wraps that subtraction and is
 * classed as an overflow, so SAT stores the field's maximum, not its minimum
 * ("BITFIELD k OVERFLOW SAT SET i8 0 -9223372036854775808" stores 127).
 */
function applyOverflow(
  type: BitfieldType,
  value: bigint,
  increment: bigint,
  overflow: BitfieldOverflow,
): bigint | null {
  const bits = BigInt(type.bits);
  const full = type.bits === 64;
  let max: bigint;
  let min: bigint;
  let tooBig: boolean;
  let tooSmall: boolean;
  if (type.signed) {
    max = (1n << (bits - 1n)) - 1n;
    min = -max - 1n;
    const maxIncrement = BigInt.asIntN(64, max - value);
    const minIncrement = BigInt.asIntN(64, min - value);
    tooBig = value > max || (!full && increment > maxIncrement) || (value >= 0n && increment > 0n && increment > maxIncrement);
    tooSmall =
      !tooBig &&
      (value < min || (!full && increment < minIncrement) || (value < 0n && increment < 0n && increment < minIncrement));
  } else {
    // value is a uint64 here; u64 does not exist, so bits <= 63.
    max = (1n << bits) - 1n;
    min = 0n;
    const maxIncrement = BigInt.asIntN(64, max - value);
    const minIncrement = BigInt.asIntN(64, -value);
    tooBig = value > max || increment > maxIncrement;
    tooSmall = !tooBig && increment < 0n && increment < minIncrement;
  }
  if (!tooBig && !tooSmall) return value + increment;
  if (overflow === "fail") return null;
  if (overflow === "sat") return tooBig ? max : min;
  const sum = BigInt.asUintN(64, value + increment);
  return type.signed ? BigInt.asIntN(type.bits, sum) : BigInt.asUintN(type.bits, sum);
}

/** BITFIELD INCRBY: the new value of the field (also the reply), or null on FAIL. */
export function bitfieldIncrBy(
  type: BitfieldType,
  current: bigint,
  increment: bigint,
  overflow: BitfieldOverflow,
): bigint | null {
  return applyOverflow(type, current, increment, overflow);
}

/**
 * BITFIELD SET: the value to write, or null on FAIL (the reply is the old
 * value otherwise). `value` is the argument as a long long. For unsigned fields
 * Redis first casts it to uint64, so a negative value counts as a huge one:
 * "SET u8 0 -1" overflows, and with SAT stores 255, not 0.
 */
export function bitfieldSetValue(type: BitfieldType, value: bigint, overflow: BitfieldOverflow): bigint | null {
  return applyOverflow(type, type.signed ? value : BigInt.asUintN(64, value), 0n, overflow);
}
