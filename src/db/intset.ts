// Intset (intset.c): a set made only of integers, in memory and in the RDB (type 11),
// in one byte layout:
//
//   <encoding u32 LE: bytes per element, 2 / 4 / 8> <length u32 LE> <elements, signed LE, strictly ascending>
//
// The decoder applies intsetValidateIntegrity with deep=1: known width, size equal
// to header + length * width, not empty, strictly ascending (no duplicates). Redis
// never narrows an intset after removals, so a wider encoding than the values need
// is valid and accepted.
//
// In memory (the intset-encoded RedisSet) the same bytes are edited where they lie, as
// intset.c does: intsetAdd inserts in order (widening every element first when the new
// value needs more bytes), intsetRemove moves the tail left and never narrows. The array
// may be longer than the intset (spare room, so adding does not reallocate each time);
// intsetBlobLen says how much of it is the intset. Values are numbers within 2^53 and
// bigints beyond, as parseIntegerKey gives them.

import { RdbFormatError } from "../persistence/rdb/errors.ts";

const HEADER_SIZE = 8;
const INT16_MIN = -32768n;
const INT16_MAX = 32767n;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function widthFor(value: bigint | number): number {
  if (typeof value === "number") return value >= -32768 && value <= 32767 ? 2 : value >= -2147483648 && value <= 2147483647 ? 4 : 8;
  if (value >= INT16_MIN && value <= INT16_MAX) return 2;
  if (value >= INT32_MIN && value <= INT32_MAX) return 4;
  return 8;
}

/**
 * Serialize a set of integers (bigints, or numbers that are safe integers),
 * given in strictly ascending order, with the
 * narrowest width that holds all of them (what a freshly built Redis intset uses).
 * Throws RangeError for an empty, unsorted or out-of-int64 input: Redis never
 * writes such an intset and its loader rejects one.
 */
export function encodeIntset(sortedValues: readonly (bigint | number)[]): Uint8Array {
  const count = sortedValues.length;
  if (count === 0) throw new RangeError("an intset cannot be empty");
  for (let i = 1; i < count; i++) {
    if (sortedValues[i]! <= sortedValues[i - 1]!) throw new RangeError("intset values must be strictly ascending");
  }
  const smallest = sortedValues[0]!;
  const largest = sortedValues[count - 1]!;
  if (smallest < INT64_MIN || largest > INT64_MAX) throw new RangeError("intset values must fit in int64");
  const width = Math.max(widthFor(smallest), widthFor(largest));

  const out = new Uint8Array(HEADER_SIZE + count * width);
  const view = new DataView(out.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, count, true);
  let at = HEADER_SIZE;
  for (const value of sortedValues) {
    if (width === 2) view.setInt16(at, Number(value), true);
    else if (width === 4) view.setInt32(at, Number(value), true);
    else view.setBigInt64(at, BigInt(value), true);
    at += width;
  }
  return out;
}

/** Parse and validate an intset blob; returns its values in ascending order. */
export function decodeIntset(bytes: Uint8Array): bigint[] {
  const view = intsetView(bytes, 0, bytes.length);
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);

  const values: bigint[] = new Array(count);
  if (width === 8) {
    for (let i = 0, at = HEADER_SIZE; i < count; i++, at += 8) values[i] = view.getBigInt64(at, true);
  } else {
    for (let i = 0, at = HEADER_SIZE; i < count; i++, at += width) {
      values[i] = BigInt(width === 2 ? view.getInt16(at, true) : view.getInt32(at, true));
    }
  }
  for (let i = 1; i < count; i++) {
    if (values[i]! <= values[i - 1]!) {
      throw new RdbFormatError(`Invalid intset: element ${i} is not greater than the one before`);
    }
  }
  return values;
}

/** A view of the intset at bytes[start, start + size), after Redis's header checks (intsetValidateIntegrity). */
function intsetView(bytes: Uint8Array, start: number, size: number): DataView {
  if (size < HEADER_SIZE) throw new RdbFormatError(`Invalid intset: ${size} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, size);
  const width = view.getUint32(0, true);
  if (width !== 2 && width !== 4 && width !== 8) throw new RdbFormatError(`Invalid intset: encoding ${width}`);
  const count = view.getUint32(4, true);
  if (HEADER_SIZE + count * width !== size) {
    throw new RdbFormatError(`Invalid intset: ${count} elements of ${width} bytes do not fill ${size} bytes`);
  }
  if (count === 0) throw new RdbFormatError("Invalid intset: empty");
  return view;
}

function notAscending(index: number): never {
  throw new RdbFormatError(`Invalid intset: element ${index} is not greater than the one before`);
}

// ---- the in-memory intset ---------------------------------------------------------------

const TWO_POW_32 = 4294967296;

/** An empty intset (16-bit encoding) with room for `capacity` bytes. */
export function intsetNew(capacity: number = 16): Uint8Array {
  const is = new Uint8Array(capacity > HEADER_SIZE ? capacity : HEADER_SIZE);
  is[0] = 2;
  return is;
}

/** Bytes per element: 2, 4 or 8. */
export function intsetEncoding(is: Uint8Array): number {
  return is[0]!;
}

export function intsetLen(is: Uint8Array): number {
  return (is[4]! | (is[5]! << 8) | (is[6]! << 16) | (is[7]! << 24)) >>> 0;
}

/** The intset's size in bytes (the array may be longer). */
export function intsetBlobLen(is: Uint8Array): number {
  return HEADER_SIZE + intsetLen(is) * intsetEncoding(is);
}

function setLength(is: Uint8Array, length: number): void {
  is[4] = length & 0xff;
  is[5] = (length >>> 8) & 0xff;
  is[6] = (length >>> 16) & 0xff;
  is[7] = length >>> 24;
}

/** The element at `index` (0-based, ascending order). */
export function intsetGet(is: Uint8Array, index: number): number | bigint {
  return readAt(is, is[0]!, index);
}

function readAt(is: Uint8Array, width: number, index: number): number | bigint {
  const at = HEADER_SIZE + index * width;
  if (width === 2) return ((is[at]! | (is[at + 1]! << 8)) << 16) >> 16;
  if (width === 4) return is[at]! | (is[at + 1]! << 8) | (is[at + 2]! << 16) | (is[at + 3]! << 24);
  const low = (is[at]! | (is[at + 1]! << 8) | (is[at + 2]! << 16) | (is[at + 3]! << 24)) >>> 0;
  const high = is[at + 4]! | (is[at + 5]! << 8) | (is[at + 6]! << 16) | (is[at + 7]! << 24);
  // Exact as a number while |value| < 2^53, i.e. while the high word is within +-2^21.
  if (high >= -2097152 && high < 2097152) return high * TWO_POW_32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

function writeAt(is: Uint8Array, width: number, index: number, value: number | bigint): void {
  const at = HEADER_SIZE + index * width;
  if (width === 8) {
    let low: number;
    let high: number;
    if (typeof value === "bigint") {
      low = Number(value & 0xffffffffn);
      high = Number(BigInt.asIntN(32, value >> 32n));
    } else {
      low = value >>> 0;
      high = Math.floor(value / TWO_POW_32);
    }
    is[at] = low & 0xff;
    is[at + 1] = (low >>> 8) & 0xff;
    is[at + 2] = (low >>> 16) & 0xff;
    is[at + 3] = low >>> 24;
    is[at + 4] = high & 0xff;
    is[at + 5] = (high >> 8) & 0xff;
    is[at + 6] = (high >> 16) & 0xff;
    is[at + 7] = (high >> 24) & 0xff;
    return;
  }
  const n = value as number;
  is[at] = n & 0xff;
  is[at + 1] = (n >> 8) & 0xff;
  if (width === 4) {
    is[at + 2] = (n >> 16) & 0xff;
    is[at + 3] = (n >> 24) & 0xff;
  }
}

/**
 * intsetSearch: the index of `value`, or -(insertion index) - 1 when absent, by binary
 * search. A value wider than the encoding is absent without a search.
 */
export function intsetSearch(is: Uint8Array, value: number | bigint): number {
  const width = is[0]!;
  const length = intsetLen(is);
  if (widthFor(value) > width) return value < 0 ? -1 : -length - 1;
  let low = 0;
  let high = length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const current = readAt(is, width, mid);
    if (current < value) low = mid + 1;
    else if (current > value) high = mid - 1;
    else return mid;
  }
  return -low - 1;
}

export function intsetFind(is: Uint8Array, value: number | bigint): boolean {
  return intsetSearch(is, value) >= 0;
}

/**
 * intsetAdd: `value` inserted in order. Returns the intset to keep (`is`, or a grown or
 * widened copy), or null when the value was already there (nothing changed).
 */
export function intsetAdd(is: Uint8Array, value: number | bigint): Uint8Array | null {
  const width = is[0]!;
  const needed = widthFor(value);
  const length = intsetLen(is);
  if (needed > width) return upgradeAndAdd(is, needed, value);
  const found = intsetSearch(is, value);
  if (found >= 0) return null;
  const index = -found - 1;
  const out = withRoom(is, HEADER_SIZE + (length + 1) * width);
  const at = HEADER_SIZE + index * width;
  out.copyWithin(at + width, at, HEADER_SIZE + length * width);
  writeAt(out, width, index, value);
  setLength(out, length + 1);
  return out;
}

/**
 * intsetUpgradeAndAdd: every element widened to `width`, then `value` (which needs that
 * width, so it is below or above every element) added at the front or the back.
 */
function upgradeAndAdd(is: Uint8Array, width: number, value: number | bigint): Uint8Array {
  const oldWidth = is[0]!;
  const length = intsetLen(is);
  const out = new Uint8Array(grownCapacity(HEADER_SIZE + (length + 1) * width));
  out[0] = width;
  const prepend = value < 0 ? 1 : 0;
  for (let i = 0; i < length; i++) writeAt(out, width, i + prepend, readAt(is, oldWidth, i));
  writeAt(out, width, prepend === 1 ? 0 : length, value);
  setLength(out, length + 1);
  return out;
}

/** intsetRemove: true when `value` was there. In place; the width stays. */
export function intsetRemove(is: Uint8Array, value: number | bigint): boolean {
  const found = intsetSearch(is, value);
  if (found < 0) return false;
  const width = is[0]!;
  const length = intsetLen(is);
  const at = HEADER_SIZE + found * width;
  is.copyWithin(at, at + width, HEADER_SIZE + length * width);
  setLength(is, length - 1);
  return true;
}

/** The intset in an array of exactly its size. */
export function intsetShrinkToFit(is: Uint8Array): Uint8Array {
  const size = intsetBlobLen(is);
  return size === is.length ? is : is.slice(0, size);
}

/**
 * An intset loaded from an RDB blob: bytes[start, start + size) after the checks
 * decodeIntset makes (width, size, not empty, strictly ascending), copied into an array
 * of its own. Throws RdbFormatError otherwise.
 */
export function intsetFromBlob(bytes: Uint8Array, start: number, size: number): Uint8Array {
  intsetView(bytes, start, size);
  const is = bytes.slice(start, start + size);
  const width = is[0]!;
  const length = intsetLen(is);
  let previous = readAt(is, width, 0);
  for (let i = 1; i < length; i++) {
    const value = readAt(is, width, i);
    if (value <= previous) notAscending(i);
    previous = value;
  }
  return is;
}

function withRoom(is: Uint8Array, total: number): Uint8Array {
  if (total <= is.length) return is;
  const grown = new Uint8Array(grownCapacity(total));
  grown.set(is.subarray(0, HEADER_SIZE + intsetLen(is) * is[0]!));
  return grown;
}

function grownCapacity(total: number): number {
  return total + Math.max(8, total >> 2);
}
