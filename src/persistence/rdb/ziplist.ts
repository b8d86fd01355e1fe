// Legacy ziplist (ziplist.c), read-only: Redis before 7.0 stored small lists, hashes
// and sorted sets this way (RDB types 10, 12, 13 and the nodes of type 14
// quicklists). 7.0 converts them to listpacks on load; so do we.
//
//   <zlbytes u32 LE> <zltail u32 LE: offset of the last entry> <zllen u16 LE, 65535 = unknown>
//   <entry>* 0xFF
//   entry = <prevlen: 1 byte if < 254, else 0xFE + u32 LE> <encoding> <payload>
//
// Encodings:
//   00pppppp                  string, length 0..63
//   01pppppp qqqqqqqq         string, 14-bit length (big-endian)
//   10______ + u32 BE         string, 32-bit length (ziplist.c ignores the low 6 bits)
//   0xC0 / 0xD0 / 0xE0        int16 / int32 / int64 LE
//   0xF0                      int24 LE
//   0xFE                      int8
//   0xF1..0xFD                immediate 0..12 (low nibble minus one)
//
// The checks are those of ziplistValidateIntegrity with deep=1: header size and
// total, terminator, tail offset, every entry inside the blob, every prevlen equal
// to the previous entry's size, count matching the header.

import { RdbFormatError } from "./errors.ts";
import type { ListpackEntry } from "../../db/listpack.ts";

const HEADER_SIZE = 10;
const END_MARKER = 0xff;
const BIG_PREVLEN_MARKER = 0xfe;
const UNKNOWN_ELEMENT_COUNT = 65535;

function readUint32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function corrupt(message: string, offset: number): RdbFormatError {
  return new RdbFormatError(`Invalid ziplist: ${message} at offset ${offset}`);
}

/** Parse and validate a ziplist; integers come back as bigint, strings as copies. */
export function decodeZiplist(bytes: Uint8Array): ListpackEntry[] {
  const size = bytes.length;
  if (size < HEADER_SIZE + 1) throw corrupt(`${size} bytes is shorter than the header`, 0);
  const declaredTotal = readUint32LE(bytes, 0);
  if (declaredTotal !== size) throw corrupt(`header says ${declaredTotal} bytes, blob has ${size}`, 0);
  const last = size - 1;
  if (bytes[last] !== END_MARKER) throw corrupt("missing 0xFF terminator", last);
  const tailOffset = readUint32LE(bytes, 4);
  if (tailOffset > last) throw corrupt(`tail offset ${tailOffset} outside the blob`, 4);
  const declaredCount = bytes[8]! | (bytes[9]! << 8);

  const entries: ListpackEntry[] = [];
  let previousEntrySize = 0;
  let previousEntryStart = -1;
  let p = HEADER_SIZE;
  while (bytes[p] !== END_MARKER) {
    let prevlen: number;
    let q: number; // the encoding byte
    if (bytes[p]! < BIG_PREVLEN_MARKER) {
      prevlen = bytes[p]!;
      q = p + 1;
    } else {
      if (p + 5 > last) throw corrupt("prevlen runs past the end", p);
      prevlen = readUint32LE(bytes, p + 1);
      q = p + 5;
    }
    if (prevlen !== previousEntrySize) {
      throw corrupt(`prevlen ${prevlen} does not match previous entry size ${previousEntrySize}`, p);
    }
    if (q > last) throw corrupt("entry header runs past the end", p);

    const encoding = bytes[q]!;
    let end: number; // one past the payload: where the next entry starts
    let value: ListpackEntry;
    if (encoding < 0xc0) {
      let length: number;
      let payloadAt: number;
      switch (encoding >> 6) {
        case 0:
          length = encoding & 0x3f;
          payloadAt = q + 1;
          break;
        case 1:
          if (q + 1 > last) throw corrupt("string length runs past the end", q);
          length = ((encoding & 0x3f) << 8) | bytes[q + 1]!;
          payloadAt = q + 2;
          break;
        default:
          if (q + 4 > last) throw corrupt("string length runs past the end", q);
          length = ((bytes[q + 1]! << 24) | (bytes[q + 2]! << 16) | (bytes[q + 3]! << 8) | bytes[q + 4]!) >>> 0;
          payloadAt = q + 5;
      }
      end = payloadAt + length;
      if (end > last) throw corrupt("string runs past the end", p);
      value = bytes.slice(payloadAt, end);
    } else {
      const payloadAt = q + 1;
      let payloadSize: number;
      switch (encoding) {
        case 0xc0:
          payloadSize = 2;
          break;
        case 0xd0:
          payloadSize = 4;
          break;
        case 0xe0:
          payloadSize = 8;
          break;
        case 0xf0:
          payloadSize = 3;
          break;
        case 0xfe:
          payloadSize = 1;
          break;
        default:
          if (encoding >= 0xf1 && encoding <= 0xfd) {
            payloadSize = 0;
            break;
          }
          throw corrupt(`unknown encoding byte 0x${encoding.toString(16)}`, q);
      }
      end = payloadAt + payloadSize;
      if (end > last) throw corrupt("integer runs past the end", p);
      value = readInteger(bytes, payloadAt, encoding);
    }

    entries.push(value);
    previousEntrySize = end - p;
    previousEntryStart = p;
    p = end;
  }
  if (p !== last) throw corrupt("0xFF before the end of the blob", p);
  if (previousEntryStart !== -1 && previousEntryStart !== tailOffset) {
    throw corrupt(`tail offset ${tailOffset} is not the last entry (${previousEntryStart})`, 4);
  }
  if (declaredCount !== UNKNOWN_ELEMENT_COUNT && declaredCount !== entries.length) {
    throw corrupt(`header says ${declaredCount} elements, found ${entries.length}`, 8);
  }
  return entries;
}

function readInteger(bytes: Uint8Array, at: number, encoding: number): bigint {
  switch (encoding) {
    case 0xc0:
      return BigInt(((bytes[at]! | (bytes[at + 1]! << 8)) << 16) >> 16);
    case 0xd0:
      return BigInt(readUint32LE(bytes, at) | 0);
    case 0xe0:
      return (BigInt(readUint32LE(bytes, at + 4) | 0) << 32n) | BigInt(readUint32LE(bytes, at));
    case 0xf0:
      return BigInt(((bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) << 8) >> 8);
    case 0xfe:
      return BigInt((bytes[at]! << 24) >> 24);
    default:
      return BigInt((encoding & 0x0f) - 1);
  }
}
