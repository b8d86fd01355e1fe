// Intset (intset.c): the serialized form of a set made only of integers (RDB type 11).
//
//   <encoding u32 LE: bytes per element, 2 / 4 / 8> <length u32 LE> <elements, signed LE, strictly ascending>
//
// The decoder applies intsetValidateIntegrity with deep=1: known width, size equal
// to header + length * width, not empty, strictly ascending (no duplicates). Redis
// never narrows an intset after removals, so a wider encoding than the values need
// is valid and accepted.

import { RdbFormatError } from "../persistence/rdb/errors.ts";

const HEADER_SIZE = 8;
const INT16_MIN = -32768n;
const INT16_MAX = 32767n;
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function widthFor(value: bigint | number): number {
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

/**
 * decodeIntset for the loader: the same checks, the members as their decimal
 * text (what a set holds) in ascending order, without a bigint per element for
 * the 16- and 32-bit encodings. Reads bytes[start, start + size).
 */
export function decodeIntsetMembers(bytes: Uint8Array, start: number = 0, size: number = bytes.length - start): string[] {
  const view = intsetView(bytes, start, size);
  const width = view.getUint32(0, true);
  const count = view.getUint32(4, true);

  const members: string[] = new Array(count);
  if (width === 8) {
    let previous = 0n;
    for (let i = 0, at = HEADER_SIZE; i < count; i++, at += 8) {
      const value = view.getBigInt64(at, true);
      if (i > 0 && value <= previous) notAscending(i);
      previous = value;
      members[i] = value.toString();
    }
  } else {
    let previous = 0;
    for (let i = 0, at = HEADER_SIZE; i < count; i++, at += width) {
      const value = width === 2 ? view.getInt16(at, true) : view.getInt32(at, true);
      if (i > 0 && value <= previous) notAscending(i);
      previous = value;
      members[i] = String(value);
    }
  }
  return members;
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
