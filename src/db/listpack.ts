// Redis 7.0 listpack (listpack.c): the byte layout of small hashes, sorted sets
// and list nodes (RDB types 16, 17, 18) and of stream nodes.
//
//   <total_bytes u32 LE> <num_elements u16 LE, 65535 = "count by walking"> <entry>* 0xFF
//   entry = <encoding byte [+ length bytes]> <payload> <backlen>
//
// Encodings by first byte:
//   0xxxxxxx             7-bit unsigned int
//   10xxxxxx             string, length 0..63
//   110xxxxx yyyyyyyy    13-bit signed int
//   1110xxxx yyyyyyyy    string, 12-bit length
//   0xF0 + u32 LE len    string, 32-bit length
//   0xF1 / F2 / F3 / F4  int16 / int24 / int32 / int64, little-endian two's complement
// backlen = size of encoding+payload in 1..5 bytes, written so it can be read from
// right to left (7 bits per byte, high bit set on all but the leftmost byte).
//
// The decoder accepts exactly what Redis's deep integrity validation accepts
// (lpValidateIntegrity with deep=1, used by redis-check-rdb and by
// `sanitize-dump-payload yes`).

import { integerBytes, integerDigitCount, narrowInt64, parseInteger, writeIntegerDigits } from "./bytes.ts";
import { RdbFormatError } from "../persistence/rdb/errors.ts";

/** A decoded listpack element: a byte string, or an integer stored in an integer encoding. */
export type ListpackEntry = Uint8Array | bigint;

const HEADER_SIZE = 6;
const END_MARKER = 0xff;
const UNKNOWN_ELEMENT_COUNT = 65535;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const TWO_POW_32 = 4294967296;

const ENCODING_6BIT_STR = 0x80;
const ENCODING_13BIT_INT = 0xc0;
const ENCODING_12BIT_STR = 0xe0;
const ENCODING_32BIT_STR = 0xf0;
const ENCODING_16BIT_INT = 0xf1;
const ENCODING_24BIT_INT = 0xf2;
const ENCODING_32BIT_INT = 0xf3;
const ENCODING_64BIT_INT = 0xf4;

/** Number of bytes lpEncodeBacklen uses for an entry of `entryLength` bytes (note the `<` bounds). */
export function backlenSize(entryLength: number): number {
  if (entryLength <= 127) return 1;
  if (entryLength < 16383) return 2;
  if (entryLength < 2097151) return 3;
  if (entryLength < 268435455) return 4;
  return 5;
}

/** Byte `index` of the backlen of `entryLength` (which takes `size` bytes). */
function backlenByte(entryLength: number, size: number, index: number): number {
  // Most significant 7-bit group first; every byte but the first carries the high bit.
  const group = (entryLength >>> (7 * (size - 1 - index))) & 127;
  return index === 0 ? group : group | 128;
}

/** Writes the backlen of `entryLength` at `at`; returns the next write position. */
function writeBacklen(out: Uint8Array, at: number, entryLength: number): number {
  if (entryLength <= 127) {
    out[at] = entryLength;
    return at + 1;
  }
  const size = backlenSize(entryLength);
  for (let i = 0; i < size; i++) out[at + i] = backlenByte(entryLength, size, i);
  return at + size;
}

/**
 * lpDecodeBacklen: reads the backlen that ends at `lastByte`, right to left, as
 * lpPrev does. Returns -1 when it does not terminate within five bytes.
 */
function decodeBacklen(bytes: Uint8Array, lastByte: number): number {
  let value = 0;
  let multiplier = 1;
  for (let p = lastByte; p >= lastByte - 4; p--) {
    const byte = bytes[p]!;
    value += (byte & 127) * multiplier;
    if ((byte & 128) === 0) return value;
    multiplier *= 128;
  }
  return -1;
}

function integerEncodingSize(value: number | bigint): number {
  if (typeof value === "bigint") {
    if (value >= -2147483648n && value <= 2147483647n) return integerEncodingSize(Number(value));
    return 9;
  }
  if (value >= 0 && value <= 127) return 1;
  if (value >= -4096 && value <= 4095) return 2;
  if (value >= -32768 && value <= 32767) return 3;
  if (value >= -8388608 && value <= 8388607) return 4;
  if (value >= -2147483648 && value <= 2147483647) return 5;
  return 9;
}

function stringEncodingSize(length: number): number {
  if (length < 64) return 1 + length;
  if (length < 4096) return 2 + length;
  return 5 + length;
}

/** Writes an integer entry of `size` bytes (encoding byte + payload, no backlen) at `at`. */
function writeInteger(out: Uint8Array, at: number, value: number | bigint, size: number): void {
  if (size === 9) {
    let low: number;
    let high: number;
    if (typeof value === "number") {
      // A safe integer (a millisecond timestamp, most often): its two's complement
      // halves without a BigInt, floor() giving the high word's sign.
      low = ((value % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
      high = Math.floor(value / TWO_POW_32) >>> 0;
    } else {
      const unsigned = BigInt.asUintN(64, value);
      low = Number(unsigned & 0xffffffffn);
      high = Number(unsigned >> 32n);
    }
    out[at] = ENCODING_64BIT_INT;
    writeUint32LE(out, at + 1, low);
    writeUint32LE(out, at + 5, high);
    return;
  }
  const n = Number(value);
  switch (size) {
    case 1:
      out[at] = n;
      return;
    case 2: {
      const unsigned = n < 0 ? n + 8192 : n;
      out[at] = ENCODING_13BIT_INT | (unsigned >> 8);
      out[at + 1] = unsigned & 0xff;
      return;
    }
    case 3:
      out[at] = ENCODING_16BIT_INT;
      out[at + 1] = n & 0xff;
      out[at + 2] = (n >> 8) & 0xff;
      return;
    case 4:
      out[at] = ENCODING_24BIT_INT;
      out[at + 1] = n & 0xff;
      out[at + 2] = (n >> 8) & 0xff;
      out[at + 3] = (n >> 16) & 0xff;
      return;
    default:
      out[at] = ENCODING_32BIT_INT;
      writeUint32LE(out, at + 1, n >>> 0);
  }
}

function writeUint32LE(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = (value >>> 24) & 0xff;
}

function readUint32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Redis's string2ll over a binary string (one char per byte): the canonical
 * decimal form of an int64, as a number within 2^53 and a bigint beyond; null
 * for anything else. The twin of bytes.ts's parseInteger for collection members.
 */
export function parseIntegerKey(key: string): number | bigint | null {
  const length = key.length;
  if (length === 0 || length > 20) return null;
  let i = 0;
  let negative = false;
  if (key.charCodeAt(0) === 45 /* - */) {
    if (length === 1) return null;
    negative = true;
    i = 1;
  }
  const first = key.charCodeAt(i);
  if (first === 48 /* 0 */) return length === 1 ? 0 : null;
  if (first < 49 || first > 57) return null;
  if (length - i <= 15) {
    let value = 0;
    for (; i < length; i++) {
      const c = key.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      value = value * 10 + (c - 48);
    }
    return negative ? -value : value;
  }
  for (let j = i; j < length; j++) {
    const c = key.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  const value = BigInt(key);
  if (value > INT64_MAX || value < INT64_MIN) return null;
  return narrowInt64(value);
}

/**
 * Builds one listpack at a time in a buffer it reuses, as lpAppend would: a
 * string that is the canonical decimal form of an int64 is stored as an integer.
 * `finish()` returns a view of the buffer, valid until the next reset(). The RDB
 * encoder uses one writer for every hash, zset and list node it saves, so saving a
 * small collection allocates nothing for its listpack.
 */
/** A ListpackWriter buffer larger than this is dropped at the next reset(). */
const KEPT_BUFFER_BYTES = 1024 * 1024;

export class ListpackWriter {
  private buffer: Uint8Array = new Uint8Array(1024);
  /** Write position: the next entry goes here, the terminator after the last one. */
  private at = HEADER_SIZE;
  private entries = 0;

  reset(): void {
    this.at = HEADER_SIZE;
    this.entries = 0;
    // One huge listpack (a hash with a raised hash-max-listpack-entries) must not
    // keep its buffer alive for good.
    if (this.buffer.length > KEPT_BUFFER_BYTES) this.buffer = new Uint8Array(1024);
  }

  /** Elements appended since the last reset. */
  get count(): number {
    return this.entries;
  }

  /** Bytes the finished listpack takes (header and terminator included): lpBytes. */
  get byteSize(): number {
    return this.at + 1;
  }

  private reserve(extra: number): void {
    const needed = this.at + extra + 1;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.at));
    this.buffer = grown;
  }

  /** An int64 entry (RangeError for a bigint outside int64 or a number that is not a safe integer). */
  appendInteger(value: number | bigint): void {
    if (typeof value === "bigint") {
      if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`listpack integer out of int64 range: ${value}`);
    } else if (!Number.isSafeInteger(value)) {
      throw new RangeError(`listpack integer must be a safe integer: ${value}`);
    }
    const size = integerEncodingSize(value);
    this.reserve(size + 1);
    writeInteger(this.buffer, this.at, value, size);
    this.at += size;
    this.buffer[this.at++] = size; // the backlen of an integer entry is one byte
    this.entries++;
  }

  /** A byte-string element (stored as an integer when it is one). */
  appendBytes(bytes: Uint8Array): void {
    const length = bytes.length;
    if (length <= 20) {
      const integer = parseInteger(bytes);
      if (integer !== null) {
        this.appendInteger(integer);
        return;
      }
    }
    const payloadAt = this.stringHeader(length);
    const buffer = this.buffer;
    if (length < 32) for (let i = 0; i < length; i++) buffer[payloadAt + i] = bytes[i]!;
    else buffer.set(bytes, payloadAt);
    this.stringBacklen(payloadAt + length, length);
  }

  /** A binary-string element (one char per byte: collection members and fields). */
  appendKey(key: string): void {
    const length = key.length;
    if (length <= 20) {
      const integer = parseIntegerKey(key);
      if (integer !== null) {
        this.appendInteger(integer);
        return;
      }
    }
    const payloadAt = this.stringHeader(length);
    const buffer = this.buffer;
    for (let i = 0; i < length; i++) buffer[payloadAt + i] = key.charCodeAt(i);
    this.stringBacklen(payloadAt + length, length);
  }

  /** Writes a string entry's encoding bytes; returns where its payload goes. */
  private stringHeader(length: number): number {
    this.reserve(length + 10);
    const buffer = this.buffer;
    const at = this.at;
    if (length < 64) {
      buffer[at] = ENCODING_6BIT_STR | length;
      return at + 1;
    }
    if (length < 4096) {
      buffer[at] = ENCODING_12BIT_STR | (length >> 8);
      buffer[at + 1] = length & 0xff;
      return at + 2;
    }
    buffer[at] = ENCODING_32BIT_STR;
    writeUint32LE(buffer, at + 1, length);
    return at + 5;
  }

  private stringBacklen(payloadEnd: number, length: number): void {
    this.at = writeBacklen(this.buffer, payloadEnd, stringEncodingSize(length));
    this.entries++;
  }

  /** Header and terminator; the listpack's bytes, as a view valid until the next reset(). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.finishInPlace());
  }

  /** finish() without the view: the listpack is bytes[0, returned length) until the next reset(). */
  finishInPlace(): number {
    const total = this.at + 1;
    if (total >= TWO_POW_32) throw new RangeError(`listpack too large: ${total} bytes`);
    const buffer = this.buffer;
    writeUint32LE(buffer, 0, total);
    const headerCount = this.entries < UNKNOWN_ELEMENT_COUNT ? this.entries : UNKNOWN_ELEMENT_COUNT;
    buffer[4] = headerCount & 0xff;
    buffer[5] = headerCount >> 8;
    buffer[this.at] = END_MARKER;
    return total;
  }

  /** The buffer finishInPlace() wrote to. */
  get bytes(): Uint8Array {
    return this.buffer;
  }
}

/**
 * Serialize `entries` as a listpack. Byte strings that are the canonical decimal
 * form of an int64 (Redis's string2ll) are stored as integers, exactly as lpAppend
 * does, so a hash built by HSET serializes to the bytes Redis would write.
 * Numbers and bigints must be int64 integers (RangeError otherwise). (The RDB encoder
 * builds its listpacks in a ListpackWriter of its own, without this copy.)
 */
export function encodeListpack(entries: readonly (Uint8Array | bigint | number)[]): Uint8Array {
  const writer = new ListpackWriter();
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry instanceof Uint8Array) writer.appendBytes(entry);
    else writer.appendInteger(entry);
  }
  return writer.finish().slice();
}

/** Bytes an element of `length` string bytes or integer `value` takes in a listpack, backlen included. */
export function listpackEntrySize(integer: number | bigint | null, stringLength: number): number {
  const size = integer !== null ? integerEncodingSize(integer) : stringEncodingSize(stringLength);
  return size + (size <= 127 ? 1 : backlenSize(size));
}

function corrupt(message: string, offset: number): RdbFormatError {
  return new RdbFormatError(`Invalid listpack: ${message} at offset ${offset}`);
}

/**
 * Validate a listpack the way lpValidateIntegrity (deep) does and return its
 * element count. Throws RdbFormatError on any structural problem: header total
 * that does not match, missing terminator, unknown encoding, an entry or length
 * running past the end, a backlen that does not match its entry, or an element
 * count that disagrees with the header. After it returns, readListpackEntry may
 * walk the blob from start + LISTPACK_FIRST_ENTRY without further checks. The
 * blob may be bytes[start, start + size) of a larger buffer (the loader checks
 * it in place in its read buffer); offsets in messages are relative to the blob.
 */
export function validateListpack(bytes: Uint8Array, start: number = 0, size: number = bytes.length - start): number {
  if (size < HEADER_SIZE + 1) throw corrupt(`${size} bytes is shorter than the header`, 0);
  const declaredTotal = readUint32LE(bytes, start);
  if (declaredTotal !== size) throw corrupt(`header says ${declaredTotal} bytes, blob has ${size}`, 0);
  const last = start + size - 1;
  if (bytes[last] !== END_MARKER) throw corrupt("missing 0xFF terminator", last - start);
  const declaredCount = bytes[start + 4]! | (bytes[start + 5]! << 8);

  let count = 0;
  let p = start + HEADER_SIZE;
  while (bytes[p] !== END_MARKER) {
    const encoding = bytes[p]!;
    let entryLength: number;
    if (encoding < 0x80) {
      entryLength = 1;
    } else if (encoding < 0xc0) {
      entryLength = 1 + (encoding & 0x3f);
      if (p + entryLength > last) throw corrupt("string runs past the end", p - start);
    } else if (encoding < 0xe0) {
      if (p + 1 >= last) throw corrupt("13-bit integer runs past the end", p - start);
      entryLength = 2;
    } else if (encoding < 0xf0) {
      if (p + 1 >= last) throw corrupt("12-bit string length runs past the end", p - start);
      entryLength = 2 + (((encoding & 0x0f) << 8) | bytes[p + 1]!);
      if (p + entryLength > last) throw corrupt("string runs past the end", p - start);
    } else {
      switch (encoding) {
        case ENCODING_32BIT_STR:
          if (p + 4 >= last) throw corrupt("32-bit string length runs past the end", p - start);
          entryLength = 5 + readUint32LE(bytes, p + 1);
          if (p + entryLength > last) throw corrupt("string runs past the end", p - start);
          break;
        case ENCODING_16BIT_INT:
          entryLength = 3;
          if (p + entryLength > last) throw corrupt("16-bit integer runs past the end", p - start);
          break;
        case ENCODING_24BIT_INT:
          entryLength = 4;
          if (p + entryLength > last) throw corrupt("24-bit integer runs past the end", p - start);
          break;
        case ENCODING_32BIT_INT:
          entryLength = 5;
          if (p + entryLength > last) throw corrupt("32-bit integer runs past the end", p - start);
          break;
        case ENCODING_64BIT_INT:
          entryLength = 9;
          if (p + entryLength > last) throw corrupt("64-bit integer runs past the end", p - start);
          break;
        default:
          throw corrupt(`unknown encoding byte 0x${encoding.toString(16)}`, p - start);
      }
    }

    const next = p + entryLength + (entryLength <= 127 ? 1 : backlenSize(entryLength));
    // The next entry (or the terminator) must still start inside the blob.
    if (next > last) throw corrupt("entry backlen runs past the end", p - start);
    // What lpPrev will read back must be this entry's size, or walking the listpack
    // backwards (LRANGE -1, RPOP...) would land inside an entry.
    if (decodeBacklen(bytes, next - 1) !== entryLength) {
      throw corrupt("backlen does not match the entry size", p - start + entryLength);
    }
    count++;
    p = next;
  }
  if (p !== last) throw corrupt("0xFF before the end of the blob", p - start);
  if (declaredCount !== UNKNOWN_ELEMENT_COUNT && declaredCount !== count) {
    throw corrupt(`header says ${declaredCount} elements, found ${count}`, 4);
  }
  return count;
}

/** Offset of the first entry (or of the terminator of an empty listpack). */
export const LISTPACK_FIRST_ENTRY = HEADER_SIZE;

/**
 * What readListpackEntry found. One shared object, overwritten by every call, so
 * walking a listpack allocates nothing: copy out what you need before the next call.
 * Module state, and safe as such: walkers read it right after the call and call out to
 * nothing before they have (no other walk can start in between).
 */
export interface ListpackEntryView {
  /** Start of a string entry's bytes; -1 for an integer entry. */
  stringStart: number;
  /** Length of a string entry's bytes. */
  stringLength: number;
  /** An integer entry's value when it is a safe integer (always, except for some 64-bit ones). */
  integer: number;
  /** An integer entry's value when it is beyond 2^53, else null. */
  bigInteger: bigint | null;
  /** Offset of the next entry (or of the terminator). */
  next: number;
}

export const listpackEntry: ListpackEntryView = { stringStart: -1, stringLength: 0, integer: 0, bigInteger: null, next: 0 };

/**
 * Reads the entry at `p` of a listpack that validateListpack accepted into
 * `listpackEntry`. The caller stops when bytes[p] is the 0xFF terminator.
 */
export function readListpackEntry(bytes: Uint8Array, p: number): ListpackEntryView {
  const view = listpackEntry;
  const encoding = bytes[p]!;
  let entryLength: number;
  view.bigInteger = null;
  if (encoding < 0x80) {
    entryLength = 1;
    view.stringStart = -1;
    view.integer = encoding;
  } else if (encoding < 0xc0) {
    const length = encoding & 0x3f;
    entryLength = 1 + length;
    view.stringStart = p + 1;
    view.stringLength = length;
  } else if (encoding < 0xe0) {
    entryLength = 2;
    const unsigned = ((encoding & 0x1f) << 8) | bytes[p + 1]!;
    view.stringStart = -1;
    view.integer = unsigned >= 4096 ? unsigned - 8192 : unsigned;
  } else if (encoding < 0xf0) {
    const length = ((encoding & 0x0f) << 8) | bytes[p + 1]!;
    entryLength = 2 + length;
    view.stringStart = p + 2;
    view.stringLength = length;
  } else {
    view.stringStart = -1;
    switch (encoding) {
      case ENCODING_32BIT_STR: {
        const length = readUint32LE(bytes, p + 1);
        entryLength = 5 + length;
        view.stringStart = p + 5;
        view.stringLength = length;
        break;
      }
      case ENCODING_16BIT_INT: {
        entryLength = 3;
        const unsigned = bytes[p + 1]! | (bytes[p + 2]! << 8);
        view.integer = unsigned >= 0x8000 ? unsigned - 0x10000 : unsigned;
        break;
      }
      case ENCODING_24BIT_INT: {
        entryLength = 4;
        const unsigned = bytes[p + 1]! | (bytes[p + 2]! << 8) | (bytes[p + 3]! << 16);
        view.integer = unsigned >= 0x800000 ? unsigned - 0x1000000 : unsigned;
        break;
      }
      case ENCODING_32BIT_INT:
        entryLength = 5;
        view.integer = readUint32LE(bytes, p + 1) | 0;
        break;
      default: {
        entryLength = 9;
        const low = readUint32LE(bytes, p + 1);
        const high = readUint32LE(bytes, p + 5) | 0;
        // high * 2^32 + low is exact while |value| <= 2^53.
        if (high >= -0x200000 && high < 0x200000) {
          view.integer = high * TWO_POW_32 + low;
        } else {
          view.bigInteger = (BigInt(high) << 32n) | BigInt(low);
          view.integer = Number(view.bigInteger);
        }
      }
    }
  }
  view.next = p + entryLength + (entryLength <= 127 ? 1 : backlenSize(entryLength));
  return view;
}

/**
 * Parse and validate a listpack (see validateListpack for what is refused).
 * Integers come back as bigint, strings as copies (they do not keep the RDB
 * buffer alive).
 */
export function decodeListpack(bytes: Uint8Array): ListpackEntry[] {
  const count = validateListpack(bytes);
  const entries: ListpackEntry[] = new Array(count);
  let p = HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const entry = readListpackEntry(bytes, p);
    if (entry.stringStart >= 0) entries[i] = bytes.slice(entry.stringStart, entry.stringStart + entry.stringLength);
    else entries[i] = entry.bigInteger ?? BigInt(entry.integer);
    p = entry.next;
  }
  return entries;
}

const asciiEncoder = new TextEncoder();

/** The bytes an element stands for: a string as is, an integer as its decimal text (a fresh array). */
export function listpackEntryBytes(entry: ListpackEntry): Uint8Array {
  return entry instanceof Uint8Array ? entry : asciiEncoder.encode(entry.toString());
}

// ---------------------------------------------------------------------------------
// In-memory listpacks: small hashes, sorted sets and list nodes live as these bytes
// ---------------------------------------------------------------------------------
//
// A collection kept as one listpack costs one typed array for all its elements, where
// an object per element costs ~60 bytes before its first byte (keytable.ts). Edits
// work where the bytes lie, as listpack.c does: an insert moves the tail right, a
// delete moves it left. The array has spare room past lpBytes(lp) so that growing
// one entry at a time does not reallocate each time; a grown copy is returned when
// the room runs out, so every editing call returns the listpack to keep.
//
// Offsets (`p`) point at an entry's encoding byte, as listpack.c's `unsigned char *p`
// does; an edit at p leaves every offset before p valid and moves the ones after it.

/** An element to store: a binary string (one char per byte), bytes, or an int64. */
export type ListpackElement = string | Uint8Array | number | bigint;

export const LP_BEFORE = 0;
export const LP_AFTER = 1;
export const LP_REPLACE = 2;
export type ListpackWhere = typeof LP_BEFORE | typeof LP_AFTER | typeof LP_REPLACE;

const EMPTY_LISTPACK_BYTES = HEADER_SIZE + 1;
/** Smallest spare room a grown listpack gets, and the part of its size added on growth. */
const MIN_GROWTH = 16;

// What prepareElement found: the element as an integer entry (preparedInteger not
// null) or a string entry, and the entry's size with its backlen. Module state, safe
// as such: every caller reads it right after preparing and before calling out.
let preparedInteger: number | bigint | null = null;
let preparedEncodingSize = 0;
let preparedSize = 0;

function prepareElement(element: ListpackElement): void {
  let integer: number | bigint | null = null;
  let stringLength = 0;
  if (typeof element === "string") {
    stringLength = element.length;
    if (stringLength <= 20) integer = parseIntegerKey(element);
  } else if (element instanceof Uint8Array) {
    stringLength = element.length;
    if (stringLength <= 20) integer = parseInteger(element);
  } else {
    if (typeof element === "number" ? !Number.isSafeInteger(element) : element < INT64_MIN || element > INT64_MAX) {
      throw new RangeError(`listpack integer out of range: ${element}`);
    }
    integer = element;
  }
  preparedInteger = integer;
  preparedEncodingSize = integer !== null ? integerEncodingSize(integer) : stringEncodingSize(stringLength);
  preparedSize = preparedEncodingSize + (preparedEncodingSize <= 127 ? 1 : backlenSize(preparedEncodingSize));
}

/** Writes the prepared element at `at` (encoding, payload and backlen). */
function writePreparedElement(lp: Uint8Array, at: number, element: ListpackElement): void {
  const encodingSize = preparedEncodingSize;
  if (preparedInteger !== null) {
    writeInteger(lp, at, preparedInteger, encodingSize);
    lp[at + encodingSize] = encodingSize;
    return;
  }
  const length = typeof element === "string" || element instanceof Uint8Array ? element.length : 0;
  let payloadAt: number;
  if (length < 64) {
    lp[at] = ENCODING_6BIT_STR | length;
    payloadAt = at + 1;
  } else if (length < 4096) {
    lp[at] = ENCODING_12BIT_STR | (length >> 8);
    lp[at + 1] = length & 0xff;
    payloadAt = at + 2;
  } else {
    lp[at] = ENCODING_32BIT_STR;
    writeUint32LE(lp, at + 1, length);
    payloadAt = at + 5;
  }
  if (typeof element === "string") {
    for (let i = 0; i < length; i++) lp[payloadAt + i] = element.charCodeAt(i);
  } else if (length < 32) {
    const bytes = element as Uint8Array;
    for (let i = 0; i < length; i++) lp[payloadAt + i] = bytes[i]!;
  } else {
    lp.set(element as Uint8Array, payloadAt);
  }
  writeBacklen(lp, payloadAt + length, encodingSize);
}

/** Bytes `element` takes as a listpack entry, backlen included. */
export function lpElementSize(element: ListpackElement): number {
  prepareElement(element);
  return preparedSize;
}

/** The bytes of a listpack holding elements[from, to), header and terminator included. */
export function lpSizeOf(elements: Uint8Array[], from: number, to: number): number {
  let bytes = EMPTY_LISTPACK_BYTES;
  for (let i = from; i < to; i++) bytes += lpElementSize(elements[i]!);
  return bytes;
}

/** An empty listpack with room for `capacity` bytes in all. */
export function lpNew(capacity: number = 32): Uint8Array {
  const lp = new Uint8Array(capacity > EMPTY_LISTPACK_BYTES ? capacity : EMPTY_LISTPACK_BYTES);
  lp[0] = EMPTY_LISTPACK_BYTES;
  lp[HEADER_SIZE] = END_MARKER;
  return lp;
}

/** lpBytes: the listpack's size, header and terminator included (the array may be longer). */
export function lpBytes(lp: Uint8Array): number {
  return readUint32LE(lp, 0);
}

function setTotalBytes(lp: Uint8Array, total: number): void {
  writeUint32LE(lp, 0, total);
}

function headerCount(lp: Uint8Array): number {
  return lp[4]! | (lp[5]! << 8);
}

function setHeaderCount(lp: Uint8Array, count: number): void {
  lp[4] = count & 0xff;
  lp[5] = count >> 8;
}

/** lpLength: the element count; a header that says "unknown" is recounted and fixed when it can be. */
export function lpLength(lp: Uint8Array): number {
  const declared = headerCount(lp);
  if (declared !== UNKNOWN_ELEMENT_COUNT) return declared;
  let count = 0;
  for (let p = HEADER_SIZE; lp[p] !== END_MARKER; p = readListpackEntry(lp, p).next) count++;
  if (count < UNKNOWN_ELEMENT_COUNT) setHeaderCount(lp, count);
  return count;
}

export function lpFirst(lp: Uint8Array): number {
  return lp[HEADER_SIZE] === END_MARKER ? -1 : HEADER_SIZE;
}

export function lpNext(lp: Uint8Array, p: number): number {
  const next = readListpackEntry(lp, p).next;
  return lp[next] === END_MARKER ? -1 : next;
}

export function lpPrev(lp: Uint8Array, p: number): number {
  if (p <= HEADER_SIZE) return -1;
  const entryLength = decodeBacklen(lp, p - 1);
  return p - entryLength - backlenSize(entryLength);
}

export function lpLast(lp: Uint8Array): number {
  const terminator = lpBytes(lp) - 1;
  return terminator === HEADER_SIZE ? -1 : lpPrev(lp, terminator);
}

/** lpSeek: the entry at `index` (negative counts from the end), -1 when out of range. */
export function lpSeek(lp: Uint8Array, index: number): number {
  const count = lpLength(lp);
  if (index < 0) index += count;
  if (index < 0 || index >= count) return -1;
  // Walk from the nearer end, as lpSeek does.
  if (index <= count >> 1) {
    let p = HEADER_SIZE;
    for (let i = 0; i < index; i++) p = readListpackEntry(lp, p).next;
    return p;
  }
  let p = lpLast(lp);
  for (let i = count - 1; i > index; i--) p = lpPrev(lp, p);
  return p;
}

/** lpGet: the entry at p, in the shared view (see ListpackEntryView). */
export function lpGet(lp: Uint8Array, p: number): ListpackEntryView {
  return readListpackEntry(lp, p);
}

/** The entry at p as a binary string (an integer as its decimal text). */
export function lpGetKey(lp: Uint8Array, p: number): string {
  const view = readListpackEntry(lp, p);
  if (view.stringStart < 0) return view.bigInteger !== null ? view.bigInteger.toString() : String(view.integer);
  return Buffer.prototype.latin1Slice.call(lp, view.stringStart, view.stringStart + view.stringLength) as string;
}

/** The entry at p as a fresh array (an integer as its decimal text). */
export function lpGetBytes(lp: Uint8Array, p: number): Uint8Array {
  const view = readListpackEntry(lp, p);
  if (view.stringStart >= 0) return lp.slice(view.stringStart, view.stringStart + view.stringLength);
  if (view.bigInteger !== null) return asciiEncoder.encode(view.bigInteger.toString());
  return integerBytes(view.integer);
}

// The search key of lpFind and the comparisons, parsed once per call as lpFind does.
let keyInteger: number | bigint | null = null;

function entryEqualsKey(lp: Uint8Array, view: ListpackEntryView, key: string): boolean {
  if (view.stringStart < 0) {
    if (keyInteger === null) return false;
    return view.bigInteger !== null ? view.bigInteger === keyInteger : view.integer === keyInteger;
  }
  const length = view.stringLength;
  if (length !== key.length) return false;
  const start = view.stringStart;
  // From the end: members and fields often share a prefix ("user:1", "user:2") and differ last.
  for (let i = length - 1; i >= 0; i--) if (lp[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** True when the entry at p stands for the binary string `key` (Redis's lpCompare). */
export function lpEntryEqualsKey(lp: Uint8Array, p: number, key: string): boolean {
  keyInteger = key.length <= 20 ? parseIntegerKey(key) : null;
  return entryEqualsKey(lp, readListpackEntry(lp, p), key);
}

/** True when the entry at p stands for `bytes`. */
export function lpEntryEqualsBytes(lp: Uint8Array, p: number, bytes: Uint8Array): boolean {
  const view = readListpackEntry(lp, p);
  // Parsed only against an integer entry: LREM and LPOS call this for every element.
  if (view.stringStart < 0) keyInteger = bytes.length <= 20 ? parseInteger(bytes) : null;
  return entryEqualsBytes(lp, view, bytes);
}

/** entryEqualsKey for a key given as bytes (keyInteger parsed from them). */
function entryEqualsBytes(lp: Uint8Array, view: ListpackEntryView, bytes: Uint8Array): boolean {
  if (view.stringStart < 0) {
    if (keyInteger === null) return false;
    return view.bigInteger !== null ? view.bigInteger === keyInteger : view.integer === keyInteger;
  }
  const length = view.stringLength;
  if (length !== bytes.length) return false;
  const start = view.stringStart;
  for (let i = length - 1; i >= 0; i--) if (lp[start + i] !== bytes[i]) return false;
  return true;
}

/** memcmp order of the entry at p (as text) against the binary string `key`: <0, 0 or >0. */
export function lpCompareKey(lp: Uint8Array, p: number, key: string): number {
  const view = readListpackEntry(lp, p);
  if (view.stringStart < 0) {
    // Binary strings compare in memcmp order with JS's < when one char is one byte.
    const text = view.bigInteger !== null ? view.bigInteger.toString() : String(view.integer);
    return text < key ? -1 : text > key ? 1 : 0;
  }
  const length = view.stringLength;
  const start = view.stringStart;
  const common = length < key.length ? length : key.length;
  for (let i = 0; i < common; i++) {
    const difference = lp[start + i]! - key.charCodeAt(i);
    if (difference !== 0) return difference;
  }
  return length - key.length;
}

/**
 * lpFind: from the entry at p, the first entry equal to `key`, comparing one entry
 * and skipping `skip` (a hash's values, a zset's scores); -1 when there is none. The
 * key is text, or a command's argument as it came (no string made of it).
 */
export function lpFind(lp: Uint8Array, p: number, key: string | Uint8Array, skip: number): number {
  if (p < 0) return -1;
  const text = typeof key === "string";
  keyInteger = key.length > 20 ? null : text ? parseIntegerKey(key) : parseInteger(key);
  let skipped = 0;
  while (lp[p] !== END_MARKER) {
    if (skipped === 0) {
      const view = readListpackEntry(lp, p);
      if (text ? entryEqualsKey(lp, view, key) : entryEqualsBytes(lp, view, key)) return p;
      skipped = skip;
      p = view.next;
    } else {
      // A skipped entry (a hash's value, a zset's score) is stepped over, not decoded.
      skipped--;
      p = lpSkip(lp, p);
    }
  }
  return -1;
}

/** Below this many bytes a JS loop moves faster than copyWithin's native call. */
const LOOP_MOVE_LIMIT = 16;

/**
 * copyWithin(target, start, end): an append or a pop at the end moves only the
 * terminator, and a list's RPUSH/RPOP do that on every call.
 */
function moveBytes(lp: Uint8Array, target: number, start: number, end: number): void {
  const length = end - start;
  if (length > LOOP_MOVE_LIMIT) {
    lp.copyWithin(target, start, end);
  } else if (target < start) {
    for (let i = 0; i < length; i++) lp[target + i] = lp[start + i]!;
  } else {
    for (let i = length - 1; i >= 0; i--) lp[target + i] = lp[start + i]!;
  }
}

/** Offset of the entry after the one at p (the terminator's after the last), from its encoding alone. */
export function lpSkip(lp: Uint8Array, p: number): number {
  const encoding = lp[p]!;
  let entryLength: number;
  if (encoding < 0x80) return p + 2;
  if (encoding < 0xc0) entryLength = 1 + (encoding & 0x3f);
  else if (encoding < 0xe0) return p + 3;
  else if (encoding < 0xf0) entryLength = 2 + (((encoding & 0x0f) << 8) | lp[p + 1]!);
  else {
    switch (encoding) {
      case ENCODING_32BIT_STR:
        entryLength = 5 + readUint32LE(lp, p + 1);
        break;
      case ENCODING_16BIT_INT:
        return p + 4;
      case ENCODING_24BIT_INT:
        return p + 5;
      case ENCODING_32BIT_INT:
        return p + 6;
      default:
        return p + 10;
    }
  }
  return p + entryLength + (entryLength <= 127 ? 1 : backlenSize(entryLength));
}

/** `lp` with room for `total` bytes: itself, or a grown copy of it. */
function ensureRoom(lp: Uint8Array, total: number): Uint8Array {
  if (total <= lp.length) return lp;
  const grown = new Uint8Array(total + Math.max(MIN_GROWTH, total >> 2));
  // All of lp, spare room included (grown is longer): a subarray of its used bytes would make
  // the engine give a small fresh array its ArrayBuffer first, which cost a new job
  // hash (HMSET of ten fields, growing from 64 bytes) a third of its time.
  grown.set(lp);
  return grown;
}

/**
 * lpInsert: stores `element` before or after the entry at p, or in its place. p may
 * be the terminator's offset (lpBytes(lp) - 1) with LP_BEFORE, which appends.
 * Returns the listpack to keep (lp, or a grown copy when it ran out of room).
 */
export function lpInsert(lp: Uint8Array, p: number, element: ListpackElement, where: ListpackWhere): Uint8Array {
  const total = lpBytes(lp);
  let replacedSize = 0;
  if (where === LP_AFTER) p = readListpackEntry(lp, p).next;
  else if (where === LP_REPLACE) replacedSize = readListpackEntry(lp, p).next - p;
  prepareElement(element);
  const size = preparedSize;
  const newTotal = total + size - replacedSize;
  if (newTotal >= TWO_POW_32) throw new RangeError(`listpack too large: ${newTotal} bytes`);
  const out = ensureRoom(lp, newTotal);
  if (size !== replacedSize) moveBytes(out, p + size, p + replacedSize, total);
  writePreparedElement(out, p, element);
  setTotalBytes(out, newTotal);
  if (replacedSize === 0) {
    const count = headerCount(out);
    if (count !== UNKNOWN_ELEMENT_COUNT) setHeaderCount(out, count + 1);
  }
  return out;
}

export function lpAppend(lp: Uint8Array, element: ListpackElement): Uint8Array {
  return lpInsert(lp, lpBytes(lp) - 1, element, LP_BEFORE);
}

export function lpPrepend(lp: Uint8Array, element: ListpackElement): Uint8Array {
  return lpInsert(lp, HEADER_SIZE, element, LP_BEFORE);
}

export function lpReplace(lp: Uint8Array, p: number, element: ListpackElement): Uint8Array {
  return lpInsert(lp, p, element, LP_REPLACE);
}

/** lpDeleteRange: removes `count` entries from p on (fewer when the listpack ends first). */
export function lpDeleteRange(lp: Uint8Array, p: number, count: number): Uint8Array {
  let end = p;
  let removed = 0;
  while (removed < count && lp[end] !== END_MARKER) {
    end = readListpackEntry(lp, end).next;
    removed++;
  }
  if (removed === 0) return lp;
  const total = lpBytes(lp);
  moveBytes(lp, p, end, total);
  setTotalBytes(lp, total - (end - p));
  const declared = headerCount(lp);
  if (declared !== UNKNOWN_ELEMENT_COUNT) setHeaderCount(lp, declared - removed);
  return lp;
}

export function lpDelete(lp: Uint8Array, p: number): Uint8Array {
  return lpDeleteRange(lp, p, 1);
}

/** The listpack in an array of exactly its size (after loading, or when much was deleted). */
export function lpShrinkToFit(lp: Uint8Array): Uint8Array {
  const total = lpBytes(lp);
  return total === lp.length ? lp : lp.slice(0, total);
}

/**
 * lpMerge: one listpack holding `first`'s entries then `second`'s (quicklist merges two
 * small neighbour nodes with it). `first` is extended in place when it has the room,
 * otherwise a copy is made; `second` is left as it was.
 */
export function lpMerge(first: Uint8Array, second: Uint8Array): Uint8Array {
  const firstTotal = lpBytes(first);
  const secondTotal = lpBytes(second);
  const secondEntries = secondTotal - EMPTY_LISTPACK_BYTES;
  const newTotal = firstTotal + secondEntries;
  if (newTotal >= TWO_POW_32) throw new RangeError(`listpack too large: ${newTotal} bytes`);
  const count = lpLength(first) + lpLength(second);
  const out = ensureRoom(first, newTotal);
  // The first's terminator is overwritten by the second's entries, whose own terminator follows.
  out.set(second.subarray(HEADER_SIZE, secondTotal), firstTotal - 1);
  setTotalBytes(out, newTotal);
  setHeaderCount(out, count < UNKNOWN_ELEMENT_COUNT ? count : UNKNOWN_ELEMENT_COUNT);
  return out;
}

/**
 * The fast path of walkers that copy entries out (a list's LRANGE): when the entry at
 * p is a string of under 64 bytes (6-bit length: one encoding byte, then the bytes,
 * then a one-byte backlen), its length; its bytes are lp[p + 1, p + 1 + length) and
 * the next entry is at p + 2 + length. -1 for any other entry: read it with lpGet.
 */
export function lpSmallStringLength(lp: Uint8Array, p: number): number {
  const encoding = lp[p]!;
  return (encoding & 0xc0) === ENCODING_6BIT_STR ? encoding & 0x3f : -1;
}

/**
 * Where listpack entries go as bulk replies: the client's ReplyWriter (bulkInto reserves
 * a bulk of n bytes and returns where to copy them in `bytes`, or -1 when replies are
 * off). Lists and hashes write their elements through it without making an array per element.
 */
export interface BulkReplySink {
  bulkInto(length: number): number;
  readonly bytes: Uint8Array;
  bulkText(text: string): void;
  /** A bulk of these bytes (bulkInto and a copy). */
  bulk(bytes: Uint8Array): void;
}

/** Writes the entry at p as a bulk reply; returns the offset of the next entry. */
export function lpWriteEntryReply(sink: BulkReplySink, lp: Uint8Array, p: number): number {
  const small = lpSmallStringLength(lp, p);
  if (small >= 0) {
    // Most elements: no entry view to fill (a third of LRANGE's time otherwise).
    const at = sink.bulkInto(small);
    if (at >= 0) {
      const out = sink.bytes;
      const start = p + 1;
      for (let i = 0; i < small; i++) out[at + i] = lp[start + i]!;
    }
    return p + 2 + small;
  }
  const view = lpGet(lp, p);
  const next = view.next;
  const start = view.stringStart;
  if (start >= 0) {
    const length = view.stringLength;
    const at = sink.bulkInto(length);
    if (at >= 0) {
      const out = sink.bytes;
      if (length <= 32) for (let i = 0; i < length; i++) out[at + i] = lp[start + i]!;
      else out.set(lp.subarray(start, start + length), at);
    }
  } else if (view.bigInteger !== null) {
    sink.bulkText(view.bigInteger.toString());
  } else {
    const integer = view.integer;
    const length = integerDigitCount(integer);
    const at = sink.bulkInto(length);
    if (at >= 0) writeIntegerDigits(sink.bytes, at, integer, length);
  }
  return next;
}
