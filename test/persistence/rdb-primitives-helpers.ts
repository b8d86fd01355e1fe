// Shared by the RDB primitive tests: a seeded PRNG, hex helpers, test-side
// builders for the legacy formats we only decode (ziplist, zipmap), DUMP payload
// framing, a byte mutator for fuzzing, and byte vectors captured from a real
// Redis 7.0.15.
//
// The ziplist/zipmap builders follow ziplist.c / zipmap.c; the live test
// (rdb-primitives-vs-redis.test.ts) checks that Redis itself accepts what they build
// and reads the same contents back, so the unit tests are not checking our decoder
// against our own misunderstanding.

import { expect } from "bun:test";
import { parseInteger } from "../../src/db/bytes.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";
import { RdbFormatError } from "../../src/persistence/rdb/errors.ts";
import { seededRandom } from "../helpers/random.ts";

export { seededRandom };

export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** One byte per char (for byte strings written with \xNN escapes). */
export function latin1(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function randomInt(random: () => number, maxExclusive: number): number {
  return Math.floor(random() * maxExclusive);
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(random, 256);
  return out;
}

function u32le(value: number): Uint8Array {
  return new Uint8Array([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]);
}

function u16le(value: number): Uint8Array {
  return new Uint8Array([value & 0xff, (value >>> 8) & 0xff]);
}

// ---------------------------------------------------------------------------
// Ziplist builder (ziplist.c's __ziplistInsert at the tail)

export interface ZiplistBuildOptions {
  /** Write every prevlen in the 5-byte form, as cascade updates can leave behind. */
  forceLargePrevlen?: boolean;
  /** Override the zllen header (65535 = unknown). */
  headerCount?: number;
  /** Use 0x80|bits for 32-bit string lengths (ziplist.c masks the low 6 bits away). */
  stringLengthLowBits?: number;
  /** Always use the 32-bit string length form (as Redis would for strings >= 16384). */
  forceLongStrings?: boolean;
}

function ziplistEntryBody(element: Uint8Array, options: ZiplistBuildOptions): Uint8Array {
  // zipTryEncoding: only strings shorter than 32 bytes that string2ll accepts become integers.
  const integer = !options.forceLongStrings && element.length < 32 ? parseInteger(element) : null;
  if (integer !== null) {
    const v = BigInt(integer);
    if (v >= 0n && v <= 12n) return new Uint8Array([0xf1 + Number(v)]);
    const view = (size: number, tag: number, write: (d: DataView) => void): Uint8Array => {
      const out = new Uint8Array(1 + size);
      out[0] = tag;
      write(new DataView(out.buffer, 1));
      return out;
    };
    if (v >= -128n && v <= 127n) return view(1, 0xfe, (d) => d.setInt8(0, Number(v)));
    if (v >= -32768n && v <= 32767n) return view(2, 0xc0, (d) => d.setInt16(0, Number(v), true));
    if (v >= -8388608n && v <= 8388607n) {
      return view(3, 0xf0, (d) => {
        const n = Number(v) & 0xffffff;
        d.setUint8(0, n & 0xff);
        d.setUint8(1, (n >> 8) & 0xff);
        d.setUint8(2, n >> 16);
      });
    }
    if (v >= -2147483648n && v <= 2147483647n) return view(4, 0xd0, (d) => d.setInt32(0, Number(v), true));
    return view(8, 0xe0, (d) => d.setBigInt64(0, v, true));
  }
  const length = element.length;
  let header: Uint8Array;
  if (length <= 63 && !options.forceLongStrings) header = new Uint8Array([length]);
  else if (length <= 16383 && !options.forceLongStrings) header = new Uint8Array([0x40 | (length >> 8), length & 0xff]);
  else {
    header = new Uint8Array([
      0x80 | (options.stringLengthLowBits ?? 0),
      (length >>> 24) & 0xff,
      (length >>> 16) & 0xff,
      (length >>> 8) & 0xff,
      length & 0xff,
    ]);
  }
  return concat(header, element);
}

export function buildZiplist(elements: readonly Uint8Array[], options: ZiplistBuildOptions = {}): Uint8Array {
  const entries: Uint8Array[] = [];
  let previousSize = 0;
  let tailOffset = 10;
  let offset = 10;
  for (const element of elements) {
    const prevlen =
      previousSize < 254 && !options.forceLargePrevlen
        ? new Uint8Array([previousSize])
        : concat(new Uint8Array([0xfe]), u32le(previousSize));
    const entry = concat(prevlen, ziplistEntryBody(element, options));
    entries.push(entry);
    tailOffset = offset;
    offset += entry.length;
    previousSize = entry.length;
  }
  const total = offset + 1;
  const count = options.headerCount ?? (elements.length < 65535 ? elements.length : 65535);
  return concat(u32le(total), u32le(tailOffset), u16le(count), ...entries, new Uint8Array([0xff]));
}

// ---------------------------------------------------------------------------
// Zipmap builder (zipmap.c's zipmapSet appending new keys)

export interface ZipmapBuildOptions {
  /** Free bytes to leave after each value (zipmap.c leaves up to 4 after shrinking updates). */
  free?: (index: number) => number;
  /** Override the zmlen byte. */
  headerCount?: number;
}

function zipmapLength(length: number): Uint8Array {
  return length < 254 ? new Uint8Array([length]) : concat(new Uint8Array([254]), u32le(length));
}

export function buildZipmap(
  pairs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  options: ZipmapBuildOptions = {},
): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([options.headerCount ?? Math.min(pairs.length, 254)])];
  pairs.forEach(([field, value], index) => {
    const free = options.free?.(index) ?? 0;
    parts.push(zipmapLength(field.length), field, zipmapLength(value.length), new Uint8Array([free]), value);
    parts.push(new Uint8Array(free));
  });
  parts.push(new Uint8Array([0xff]));
  return concat(...parts);
}

// ---------------------------------------------------------------------------
// RDB string framing and DUMP payloads

export function rdbLength(length: number): Uint8Array {
  if (length < 64) return new Uint8Array([length]);
  if (length < 16384) return new Uint8Array([0x40 | (length >> 8), length & 0xff]);
  return new Uint8Array([0x80, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
}

/** A RESTORE payload: type byte, body, RDB version 10 (LE), CRC-64 of all that (LE). */
export function dumpPayload(type: number, body: Uint8Array): Uint8Array {
  const content = concat(new Uint8Array([type]), body, new Uint8Array([10, 0]));
  const checksum = new Uint8Array(8);
  new DataView(checksum.buffer).setBigUint64(0, crc64(content), true);
  return concat(content, checksum);
}

export interface RdbStringRead {
  /** The stored bytes: raw, or still LZF-compressed when `compressedFrom` is set. */
  bytes: Uint8Array;
  /** Uncompressed length for an LZF string, null for a raw one. */
  compressedFrom: number | null;
  next: number;
}

function readRdbLength(data: Uint8Array, at: number): [number, number] {
  const first = data[at]!;
  switch (first >> 6) {
    case 0:
      return [first & 0x3f, at + 1];
    case 1:
      return [((first & 0x3f) << 8) | data[at + 1]!, at + 2];
    default:
      if (first !== 0x80) throw new Error(`unexpected length byte ${first.toString(16)}`);
      return [new DataView(data.buffer, data.byteOffset).getUint32(at + 1, false), at + 5];
  }
}

/** Reads one raw or LZF RDB string (the forms DUMP uses for container blobs). */
export function readRdbString(data: Uint8Array, at: number): RdbStringRead {
  if (data[at] === 0xc3) {
    const [compressedLength, afterCompressed] = readRdbLength(data, at + 1);
    const [originalLength, start] = readRdbLength(data, afterCompressed);
    return { bytes: data.slice(start, start + compressedLength), compressedFrom: originalLength, next: start + compressedLength };
  }
  const [length, start] = readRdbLength(data, at);
  return { bytes: data.slice(start, start + length), compressedFrom: null, next: start + length };
}

// ---------------------------------------------------------------------------
// Fuzzing

/** One random structural mutation: flip, overwrite, insert, delete, truncate or duplicate a span. */
export function mutate(random: () => number, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  const rounds = 1 + randomInt(random, 3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : randomInt(random, bytes.length);
    switch (randomInt(random, 7)) {
      case 0:
        if (bytes.length) bytes[at] = bytes[at]! ^ (1 << randomInt(random, 8));
        break;
      case 1:
        if (bytes.length) bytes[at] = randomInt(random, 256);
        break;
      case 2:
        bytes.splice(at, 0, ...Array.from(randomBytes(random, 1 + randomInt(random, 4))));
        break;
      case 3:
        bytes.splice(at, 1 + randomInt(random, 4));
        break;
      case 4:
        bytes.length = randomInt(random, bytes.length + 1);
        break;
      case 5:
        if (bytes.length) bytes[at] = [0x00, 0x7f, 0x80, 0xfe, 0xff, 0xf0, 0xf4, 0xf5][randomInt(random, 8)]!;
        break;
      default: {
        const length = 1 + randomInt(random, 8);
        bytes.splice(at, 0, ...bytes.slice(at, at + length));
      }
    }
  }
  return new Uint8Array(bytes);
}

/** Rewrites a u32 LE total-size header at offset 0 so mutations reach past the first check. */
export function fixTotalHeader(bytes: Uint8Array): Uint8Array {
  if (bytes.length >= 4) new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length, true);
  return bytes;
}

/** Runs `decode`; it may succeed or throw RdbFormatError, nothing else. Returns whether it succeeded. */
export function decodesOrFormatError(decode: () => unknown): boolean {
  try {
    decode();
    return true;
  } catch (error) {
    if (!(error instanceof RdbFormatError)) {
      throw new Error(`expected only RdbFormatError, got ${String(error)}`);
    }
    return false;
  }
}

export function expectFormatError(decode: () => unknown, messagePart?: string): void {
  let thrown: unknown = null;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(RdbFormatError);
  if (messagePart !== undefined) expect((thrown as Error).message).toContain(messagePart);
}

// ---------------------------------------------------------------------------
// Captured from redis-server 7.0.15 with `rdbcompression no` unless noted:
// `DUMP key` payloads (type byte + RDB string + version 0a00 + CRC-64 LE).

export const REDIS_DUMPS = {
  /** HSET h f1 v1 f2 2 n -5 big 100000 neg -100000 huge 9223372036854775807 min -9223372036854775808 e "" s63 <63 x> */
  hash: hex(
    "1040999900000012008266310382763103826632030201816e02dffb028362696704f2a0860104836e656704f26079fe04846875676505f4ffffffffffffff7f09836d696e04f400000000000000800981650280018373363304bf78787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787840ff0a007db2a6e8f76c5dbb",
  ),
  /** The same hash with `rdbcompression yes`: the listpack is LZF-compressed (91 of 153 bytes). */
  hashLzf: hex(
    "10c3405b40990b9900000012008266310382762003176632030201816e02dffb028362696704f2a0860104836e6520090b6079fe04846875676505f4ff8000077f09836d696e04f4204240000d800981650280018373363304bf78e035000140ff0a00fb726f5fce69a53c",
  ),
  /** ZADD z 1 a 2.5 b -3 c 1e20 d */
  zset: hex("1124240000000800816302dffd02816102010181620283322e35048164028531652b323006ff0a00fa2fa3233c43ef1d"),
  /** SADD s16 1 2 3 -32768 32767 */
  intset16: hex("0b1202000000050000000080010002000300ff7f0a007dc61d74c6586bfe"),
  /** SADD s32 5 70000 -2147483648 */
  intset32: hex("0b1404000000030000000000008005000000701101000a0003a6d094a721ba6a"),
  /** SADD s64 7 2147483648 -9223372036854775808 9223372036854775807 */
  intset64: hex(
    "0b280800000004000000000000000000008007000000000000000000008000000000ffffffffffffff7f0a00f2ca243b5d3126c7",
  ),
  /** The same intset with `rdbcompression yes` (40 bytes compressed to 29). */
  intset64Lzf: hex("0bc31d280408000000042003a000018007a0082000008020030100ff600001ff7f0a00c5bdd01c77643cd7"),
  /** RPUSH l <LIST_ELEMENTS>: one quicklist node (container 2 = packed listpack). */
  list: hex(
    "120102419e9e0100001c008161027f01c08002dfff02cfff02f1001003d00002f1ffef03f1ff7f03f200800004f1008003f2ff7fff04f2ffff7f04f30000800005f200008004f3ffff7fff05f3ffffff7f05f4000000800000000009f30000008005f4ffffff7fffffffff09000182303103822d3003822b310382203103933932323333373230333638353437373538303814e0407878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787842e0c8797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797979797901caff0a005a863913ada76a6e",
  ),
  /** The same list with `rdbcompression yes`. */
  listLzf: hex(
    "120102c3409f419e1f9e0100001c008161027f01c08002dfff02cfff02f1001003d00002f1ffef03f117ff7f03f200800004f1008003f2ff7fff04f2ffff7f04f30020130105f220050104f3200f01ff05200504ff7f05f40020112003010009202003008005f4401520030dff09000182303103822d3003822b20071a203103933932323333373230333638353437373538303814e04078e036000342e0c879e0be000201caff0a0085a8e5ca9377e5c5",
  ),
  /** HSET hc field <100 a> other abcabc...(27 bytes), `rdbcompression yes`: a hashtable hash, both values LZF. */
  hashtableLzf: hex(
    "0402056f74686572c30b1b0361626361e00c02016263056669656c64c3094064016161e057000161610a00904466b85dcc7aa9",
  ),
};

export const HASH_FIELDS_AND_VALUES: readonly string[] = [
  "f1", "v1", "f2", "2", "n", "-5", "big", "100000", "neg", "-100000",
  "huge", "9223372036854775807", "min", "-9223372036854775808", "e", "", "s63", "x".repeat(63),
];

export const ZSET_MEMBERS_AND_SCORES: readonly string[] = ["c", "-3", "a", "1", "b", "2.5", "d", "1e+20"];

export const LIST_ELEMENTS: readonly string[] = [
  "a", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767", "32768", "-32768", "-32769",
  "8388607", "8388608", "-8388608", "-8388609", "2147483647", "2147483648", "-2147483648", "-2147483649",
  "0", "01", "-0", "+1", " 1", "9223372036854775808", "x".repeat(64), "y".repeat(200),
];

export function fixturePath(name: string): string {
  return new URL(`../fixtures/${name}`, import.meta.url).pathname;
}
