// The RDB loader: reads files Redis 1.0 .. 7.0 wrote (RDB versions 1..10) and
// DUMP payloads, and rebuilds Bunker values from them.
//
// Reading is incremental: a file is read through a fixed-size buffer (plus exact
// allocations for large strings), so loading never holds the file in memory, and
// the CRC-64 is computed over the consumed bytes as the buffer is recycled. Every
// length in the file is checked against the bytes that remain before anything is
// allocated for it, and every loop consumes input, so a corrupt or hostile file
// ends in an RdbLoadError, never a hang, a huge allocation or a TypeError.
//
// After a value is read its encoding is chosen as Redis 7.0's rdbLoadObject does
// (e.g. a HASH of a few small fields becomes a listpack hash, a ZSET_LISTPACK over
// zset-max-listpack-entries becomes a skiplist), using the limits in the options.
//
// Error texts follow rdb.c where Redis has one ("Unexpected EOF reading RDB file",
// "Wrong RDB checksum expected: (..) but got (..). Aborting now.", "Hash listpack
// integrity check failed." ...). Things Redis 7.0 could load but Bunker cannot
// (module values, function libraries) are refused with a message naming them.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { RedisValue } from "../../db/types.ts";
import { RedisList } from "../../db/list.ts";
import { RedisHash } from "../../db/hash.ts";
import { RedisSet } from "../../db/set.ts";
import { intsetAdd, intsetFromBlob, intsetLen, intsetNew, intsetShrinkToFit } from "../../db/intset.ts";
import { RedisZSet } from "../../db/zset.ts";
import { RedisStream, streamIdKey } from "../../db/stream.ts";
import type { PendingEntry, StreamId } from "../../db/stream.ts";
import { bytesToKey, bytesToText, parseIntegerIn, textToBytes } from "../../db/bytes.ts";
import { Crc64 } from "./crc64.ts";
import { RdbFormatError } from "./errors.ts";
import { lzfDecompress, lzfDecompressRange } from "./lzf.ts";
import {
  LISTPACK_FIRST_ENTRY,
  decodeListpack,
  listpackEntryBytes,
  lpAppend,
  lpNew,
  lpShrinkToFit,
  readListpackEntry,
  validateListpack,
  lpFind,
  lpFirst,
  lpGet,
  lpGetKey,
  lpNext,
  type ListpackEntry,
  type ListpackEntryView,
} from "../../db/listpack.ts";
import { Dict } from "../../db/dict.ts";
import { decodeZiplist } from "./ziplist.ts";
import { decodeZipmap } from "./zipmap.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_MODULE_OPCODE_UINT,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_FUNCTION_PRE_GA,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_VERSION,
  STREAM_ITEM_FLAG_DELETED,
  STREAM_ITEM_FLAG_SAMEFIELDS,
  rdbTypeName,
} from "./opcodes.ts";

/** Any failure to load an RDB file or a DUMP payload because of its content. */
export class RdbLoadError extends Error {
  override name = "RdbLoadError";

  constructor(
    message: string,
    /** Bytes consumed when the problem was found (Redis's "reading offset"). */
    readonly offset?: number,
  ) {
    super(message);
  }
}

export const UNEXPECTED_EOF = "Unexpected EOF reading RDB file";

/** The encoding thresholds Redis applies while loading (its *-max-* configs). */
export interface RdbLoadLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  setMaxIntsetEntries: number;
  /** list-max-listpack-size and list-compress-depth of the lists made (quicklistSetOptions). */
  listMaxListpackSize: number;
  listCompressDepth: number;
}

/** Redis 7.0.15's defaults (note hash-max-listpack-entries is 512, zset's 128). */
export const DEFAULT_LOAD_LIMITS: RdbLoadLimits = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: -2,
  listCompressDepth: 0,
};

export interface RdbDecoderOptions extends RdbLoadLimits {
  /** rdbchecksum: verify the trailing CRC-64 (default true). A stored 0 always means "not checked". */
  verifyChecksum?: boolean;
  /** loading-process-events-interval-bytes: how often onProgress runs (default 2 MiB). */
  progressIntervalBytes?: number;
  /** The `databases` config: a SELECTDB at or above it is fatal, as in Redis (default 16). */
  databases?: number;
  /** File read buffer size (default 64 KiB). */
  readBufferSize?: number;
}

export interface RdbLoadHandler {
  onAux?(name: string, value: Uint8Array): void;
  onSelectDb?(index: number): void;
  onResizeDb?(size: number, expires: number): void;
  /**
   * A loaded key. Return false when the key already exists in the database: the
   * load then fails as Redis's does ("duplicated key"). Expired keys are passed
   * on too; dropping them is the server's decision (masters drop, replicas keep).
   * `key` is valid only during the call: the decoder reuses the array for later
   * keys of the same length (convert it with bytesToKey, or copy it, to keep it).
   * Saves an allocation per key, which the keyspace converts to a string anyway.
   */
  onKey(
    dbIndex: number,
    key: Uint8Array,
    value: RedisValue,
    expireAtMs: number | undefined,
    idleSeconds?: number,
    freq?: number,
  ): void | boolean;
  /** An empty collection (an old Redis bug could write them): Redis skips it with a warning. `key` as for onKey. */
  onEmptyKeySkipped?(dbIndex: number, key: Uint8Array): void;
  /**
   * A function library (FUNCTION2, or FUNCTION_PRE_GA converted to the 7.0 GA
   * "#!engine name=lib" form). Without this handler such a file is refused.
   */
  onFunction?(code: Uint8Array): void;
  /** Called between keys at least every progressIntervalBytes; the load awaits a returned promise. */
  onProgress?(bytesRead: number): void | Promise<void>;
}

export interface RdbLoadSummary {
  version: number;
  /** Bytes consumed, up to and including the checksum. */
  bytesRead: number;
  keysLoaded: number;
  emptyKeysSkipped: number;
  /**
   * "verified": CRC matched; "disabled": the file stores 0 (rdbchecksum no when saved);
   * "skipped": verification turned off; "absent": RDB < 5 has no checksum.
   */
  checksum: "verified" | "disabled" | "skipped" | "absent";
}

// ---------------------------------------------------------------------------
// Byte input
// ---------------------------------------------------------------------------

/** Where RDB bytes come from: positional reads, like pread. */
export interface RdbByteSource {
  readonly size: number;
  read(target: Uint8Array, targetOffset: number, length: number, position: number): number;
  close(): void;
}

/** A file opened with fs.openSync, read with readSync. */
export function fileByteSource(path: string | Buffer): RdbByteSource {
  const fd = openSync(path, "r");
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return {
    size,
    read: (target, targetOffset, length, position) => readSync(fd, target, targetOffset, length, position),
    close: () => closeSync(fd),
  };
}

const DEFAULT_READ_BUFFER = 64 * 1024;
const NO_BLOB = new Uint8Array(0);

/** bytes[start, start + length) in an array of its own (a loop beats slice() for short strings). */
function copyRange(bytes: Uint8Array, start: number, length: number): Uint8Array {
  if (length >= 64) return bytes.slice(start, start + length);
  const copy = new Uint8Array(length);
  for (let i = 0; i < length; i++) copy[i] = bytes[start + i]!;
  return copy;
}

// Scratch for float64LE: bytes in, double out (the platform is little-endian, as
// every Bun target is; the test suite loads Redis-written ZSET_2 scores through it).
// Module state, and safe as such: written and read within one call that calls nothing.
const float64Value = new Float64Array(1);
const float64Bytes = new Uint8Array(float64Value.buffer);

/**
 * Buffered reader over a file or an in-memory array. `view` results alias the
 * buffer and are valid only until the next read; `copy` results are owned.
 */
class RdbReader {
  private buffer: Uint8Array;
  private position = 0;
  private end: number;
  /** Source offset of buffer[0]. */
  private base = 0;
  /** buffer[crcFrom..position) has not been fed to the CRC yet. */
  private crcFrom = 0;
  /**
   * Where readBlob left the last blob: blobBytes[blobStart, blobStart + blobLength),
   * valid until the next read. Fields rather than an object per blob: a load parses
   * hundreds of thousands of small listpacks.
   */
  blobBytes: Uint8Array = NO_BLOB;
  blobStart = 0;
  blobLength = 0;

  constructor(
    private readonly source: RdbByteSource | null,
    memory: Uint8Array | null,
    private readonly crc: Crc64 | null,
    private readonly bufferSize: number = DEFAULT_READ_BUFFER,
  ) {
    if (memory !== null) {
      this.buffer = memory;
      this.end = memory.length;
    } else {
      this.buffer = new Uint8Array(bufferSize);
      this.end = 0;
    }
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base + this.position;
  }

  private get totalSize(): number {
    return this.source === null ? this.buffer.length : this.source.size;
  }

  get remaining(): number {
    return this.totalSize - this.offset;
  }

  fail(message: string): never {
    throw new RdbLoadError(message, this.offset);
  }

  private feedCrc(): void {
    if (this.crc !== null && this.position > this.crcFrom) {
      this.crc.update(this.buffer.subarray(this.crcFrom, this.position));
    }
    this.crcFrom = this.position;
  }

  /** Makes `count` bytes available at `position`, or fails with the EOF error. */
  private need(count: number): void {
    if (this.end - this.position >= count) return;
    if (this.source === null || count > this.remaining) this.fail(UNEXPECTED_EOF);
    this.feedCrc();
    this.buffer.copyWithin(0, this.position, this.end);
    this.base += this.position;
    this.end -= this.position;
    this.position = 0;
    this.crcFrom = 0;
    if (this.buffer.length < count) {
      const grown = new Uint8Array(Math.max(count, this.bufferSize));
      grown.set(this.buffer.subarray(0, this.end));
      this.buffer = grown;
    }
    while (this.end - this.position < count) {
      const got = this.source.read(this.buffer, this.end, this.buffer.length - this.end, this.base + this.end);
      if (got <= 0) this.fail(UNEXPECTED_EOF);
      this.end += got;
    }
  }

  u8(): number {
    this.need(1);
    return this.buffer[this.position++]!;
  }

  /** The read buffer: offsets from `take` index into it until the next read. */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  /** Whether `take(count)` may be used (it would otherwise grow the buffer to `count`). */
  canTake(count: number): boolean {
    return this.source === null || count <= this.bufferSize;
  }

  /**
   * Consumes the next `count` bytes and returns their offset in `bytes`: `view`
   * without creating a view object, for the many short strings of a file.
   */
  take(count: number): number {
    this.need(count);
    const at = this.position;
    this.position += count;
    return at;
  }

  /** A view of the next `count` bytes, valid until the next read. */
  view(count: number): Uint8Array {
    if (count > this.remaining) this.fail(UNEXPECTED_EOF);
    if (count > this.bufferSize && this.source !== null) return this.copy(count);
    this.need(count);
    const result = this.buffer.subarray(this.position, this.position + count);
    this.position += count;
    return result;
  }

  /** The next `count` bytes in an array of their own. */
  copy(count: number): Uint8Array {
    if (count > this.remaining) this.fail(UNEXPECTED_EOF);
    if (this.source === null || count <= this.bufferSize) {
      this.need(count);
      const result = copyRange(this.buffer, this.position, count);
      this.position += count;
      return result;
    }
    // Large strings are read straight into their own array rather than through the buffer.
    const result = new Uint8Array(count);
    const buffered = this.end - this.position;
    result.set(this.buffer.subarray(this.position, this.end));
    this.position = this.end;
    this.feedCrc();
    this.base += this.end;
    this.position = this.end = this.crcFrom = 0;
    let filled = buffered;
    while (filled < count) {
      const got = this.source.read(result, filled, count - filled, this.base);
      if (got <= 0) this.fail(UNEXPECTED_EOF);
      this.crc?.update(result.subarray(filled, filled + got));
      filled += got;
      this.base += got;
    }
    return result;
  }

  int32LE(): number {
    const at = this.take(4);
    const bytes = this.buffer;
    return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
  }

  int64LE(): bigint {
    const at = this.take(8);
    const bytes = this.buffer;
    const low = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    const high = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /**
   * int64LE as a number (expire times): exact within 2^53, and beyond rounded as
   * Number(int64LE()) rounds (one correctly rounded addition of exact parts).
   */
  int64LENumber(): number {
    const at = this.take(8);
    const bytes = this.buffer;
    const low = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    const high = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24);
    return high * 4294967296 + low;
  }

  uint64LE(): bigint {
    return BigInt.asUintN(64, this.int64LE());
  }

  float64LE(): number {
    const at = this.take(8);
    const bytes = this.buffer;
    for (let i = 0; i < 8; i++) float64Bytes[i] = bytes[at + i]!;
    return float64Value[0]!;
  }

  /** Feeds every consumed byte to the CRC and returns its value. */
  checksumSoFar(): bigint {
    this.feedCrc();
    return this.crc === null ? 0n : this.crc.digest();
  }
}

// ---------------------------------------------------------------------------
// Primitive decodings (rdbLoadLen, rdbGenericLoadStringObject)
// ---------------------------------------------------------------------------

/** rdbLoadLen as a 64-bit value (stream IDs, counters). Like Redis, an encoding byte yields its 6 bits. */
function readLengthBig(reader: RdbReader): bigint {
  const first = reader.u8();
  if (first === 0x81) {
    const bytes = reader.view(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, false);
  }
  return BigInt(readLengthAfter(reader, first));
}

/**
 * rdbLoadLen for counts and sizes. Values past 2^53 come back inexact, which is
 * harmless: no count that large can be satisfied by the bytes that remain.
 */
function readLength(reader: RdbReader): number {
  return readLengthAfter(reader, reader.u8());
}

function readLengthAfter(reader: RdbReader, first: number): number {
  const kind = first >> 6;
  if (kind === 0 || kind === 3) return first & 0x3f;
  if (kind === 1) return ((first & 0x3f) << 8) | reader.u8();
  if (first === 0x80) {
    const at = reader.take(4);
    const bytes = reader.bytes;
    return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  }
  if (first === 0x81) {
    const bytes = reader.view(8);
    return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, false));
  }
  return reader.fail(`Unknown length encoding ${kind} in rdbLoadLen()`);
}

/** Decimal text of an integer as fresh bytes (not bytes.ts's shared cache: values may be mutated). */
export function integerText(value: number): Uint8Array {
  if (value > -2147483648 && value < 2147483648) {
    // The digits straight from int32 arithmetic (most integers in a file are small).
    const negative = value < 0;
    let rest = negative ? -value : value;
    let digits = 1;
    for (let bound = 10; rest >= bound && digits < 10; bound *= 10) digits++;
    const out = new Uint8Array(negative ? digits + 1 : digits);
    if (negative) out[0] = 45;
    for (let at = out.length - 1; digits > 0; digits--, at--) {
      const next = (rest / 10) | 0;
      out[at] = 48 + rest - next * 10;
      rest = next;
    }
    return out;
  }
  const text = String(value);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * A string in any of its encodings. With `owned` false a raw string may alias the
 * read buffer (for blobs that are parsed at once into copies).
 */
function readString(reader: RdbReader, owned: boolean = true): Uint8Array {
  const first = reader.u8();
  if (first >> 6 !== 3) {
    const length = readLengthAfter(reader, first);
    return owned ? reader.copy(length) : reader.view(length);
  }
  return readEncodedString(reader, first);
}

/** Keys up to this long are read into reused arrays (see RdbLoadHandler.onKey); longer ones are copied. */
const KEY_SCRATCH_MAX = 64;

/** A key's bytes, in a reused array when short (valid until the next key of that length). */
function readKey(reader: RdbReader, decoder: ValueDecoder): Uint8Array {
  const first = reader.u8();
  if (first >> 6 === 3) return readEncodedString(reader, first);
  const length = readLengthAfter(reader, first);
  if (length > KEY_SCRATCH_MAX || !reader.canTake(length)) return reader.copy(length);
  const keys = decoder.keys;
  let key = keys[length];
  if (key === undefined) keys[length] = key = new Uint8Array(length);
  const at = reader.take(length);
  const bytes = reader.bytes;
  for (let i = 0; i < length; i++) key[i] = bytes[at + i]!;
  return key;
}

/**
 * A string that is parsed at once (a listpack, an intset), left in reader.blobBytes
 * and its neighbours: a raw one stays where it lies in the read buffer (no view
 * object), an encoded one is decoded.
 */
function readBlob(reader: RdbReader): void {
  const first = reader.u8();
  if (first >> 6 !== 3) {
    const length = readLengthAfter(reader, first);
    reader.blobLength = length;
    if (reader.canTake(length)) {
      reader.blobStart = reader.take(length);
      reader.blobBytes = reader.bytes;
    } else {
      reader.blobStart = 0;
      reader.blobBytes = reader.copy(length);
    }
    return;
  }
  const decoded = readEncodedString(reader, first);
  reader.blobBytes = decoded;
  reader.blobStart = 0;
  reader.blobLength = decoded.length;
}

// Members and fields repeat across collections (every hash of a kind has the same
// field names), so short ones are interned (ValueDecoder.memberString): a direct-mapped
// cache hands back the string made for the same bytes before. Fewer strings to allocate
// and collect, less memory for the loaded dataset, and a string's hash is computed once
// for all the Maps it is a key of. A miss costs a hash of at most 16 bytes.
const INTERN_MAX_LENGTH = 16;
const INTERN_SLOTS = 4096;
/** A constant table, filled once. */
const SMALL_INTEGERS = 1024;
const smallIntegerStrings: string[] = Array.from({ length: SMALL_INTEGERS }, (_, i) => String(i));

/** An integer member's text, shared for small non-negative ones. */
function integerMember(value: number): string {
  return value >= 0 && value < SMALL_INTEGERS ? smallIntegerStrings[value]! : String(value);
}


/** The value of an INT8/INT16/INT32 string encoding. */
function readEncodedInteger(reader: RdbReader, encoding: number): number {
  switch (encoding) {
    case RDB_ENC_INT8: {
      const byte = reader.u8();
      return byte > 127 ? byte - 256 : byte;
    }
    case RDB_ENC_INT16: {
      const at = reader.take(2);
      const bytes = reader.bytes;
      return ((bytes[at]! | (bytes[at + 1]! << 8)) << 16) >> 16;
    }
    case RDB_ENC_INT32:
      return reader.int32LE();
    default:
      return reader.fail(`Unknown RDB string encoding type ${encoding}`);
  }
}

/** The string after an encoding byte (`first` >> 6 === 3): an integer or LZF. */
function readEncodedString(reader: RdbReader, first: number): Uint8Array {
  const encoding = first & 0x3f;
  if (encoding !== RDB_ENC_LZF) return integerText(readEncodedInteger(reader, encoding));
  const compressedLength = readLength(reader);
  const length = readLength(reader);
  if (reader.canTake(compressedLength)) {
    const at = reader.take(compressedLength);
    try {
      return lzfDecompressRange(reader.bytes, at, at + compressedLength, length);
    } catch (error) {
      if (error instanceof RdbFormatError) reader.fail(`Invalid LZF compressed string (${error.message})`);
      throw error;
    }
  }
  const compressed = reader.view(compressedLength);
  try {
    return lzfDecompress(compressed, length);
  } catch (error) {
    if (error instanceof RdbFormatError) reader.fail(`Invalid LZF compressed string (${error.message})`);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Values (rdbLoadObject)
// ---------------------------------------------------------------------------

/** Thrown inside value decoding for an empty collection; load() skips the key, RESTORE refuses it. */
class EmptyKeyError extends Error {}

const STREAM_ID_ZERO: StreamId = { ms: 0n, seq: 0n };

function compareStreamIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** Wraps a structural error from a blob parser in the loader's text for that blob. */
function parseBlob<T>(reader: RdbReader, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RdbFormatError) reader.fail(`${what} (${error.message})`);
    throw error;
  }
}

/** validateListpack of bytes[start, start + size) with the loader's text for that blob; returns the element count. */
/** Reads and checks a listpack of pairs (hash fields and values, zset members and scores); returns its entry count. */
function readPairsListpack(reader: RdbReader, what: string): number {
  readBlob(reader);
  const count = validateListpackBlob(reader, what, reader.blobBytes, reader.blobStart, reader.blobLength);
  if (count % 2 !== 0) reader.fail(what);
  return count;
}

function validateListpackBlob(reader: RdbReader, what: string, bytes: Uint8Array, start: number, size: number): number {
  try {
    return validateListpack(bytes, start, size);
  } catch (error) {
    if (error instanceof RdbFormatError) reader.fail(`${what} (${error.message})`);
    throw error;
  }
}

/** A listpack entry as a binary string (collection member or field). */
function listpackEntryKey(decoder: ValueDecoder, blob: Uint8Array, entry: ListpackEntryView): string {
  if (entry.stringStart >= 0) return decoder.memberString(blob, entry.stringStart, entry.stringLength);
  return entry.bigInteger === null ? integerMember(entry.integer) : entry.bigInteger.toString();
}

/** C's strtod/sscanf("%lg") on a score's text: the longest numeric prefix, inf/nan words included. */
export function parseScoreText(text: string): number | null {
  const match = /^\s*([+-]?)(inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i.exec(text);
  if (match === null) return null;
  const sign = match[1] === "-" ? -1 : 1;
  const body = match[2]!.toLowerCase();
  if (body.startsWith("inf")) return sign * Infinity;
  if (body === "nan") return NaN;
  return sign * Number(body);
}

function listpackScore(reader: RdbReader, entry: ListpackEntry, what: string): number {
  if (typeof entry === "bigint") return Number(entry);
  return scoreFromText(reader, bytesToText(entry), what);
}

function listpackEntryScore(reader: RdbReader, blob: Uint8Array, entry: ListpackEntryView, what: string): number {
  if (entry.stringStart < 0) return entry.bigInteger === null ? entry.integer : Number(entry.bigInteger);
  const text = bytesToText(blob.subarray(entry.stringStart, entry.stringStart + entry.stringLength));
  return scoreFromText(reader, text, what);
}

function scoreFromText(reader: RdbReader, text: string, what: string): number {
  const score = parseScoreText(text);
  if (score === null) reader.fail(`${what} (score is not a number)`);
  if (Number.isNaN(score)) reader.fail("Zset with NAN score detected");
  return score;
}

/** Reads the values of one stream of RDB bytes (a file, a DUMP payload) with a decoder's working memory. */
class ValueReader {
  constructor(
    private readonly reader: RdbReader,
    private readonly limits: RdbLoadLimits,
    private readonly decoder: ValueDecoder,
  ) {}

  read(type: number): RedisValue {
    const reader: RdbReader = this.reader;
    switch (type) {
      case RDB_TYPE_STRING:
        return readString(reader);
      case RDB_TYPE_LIST:
        return this.readPlainList();
      case RDB_TYPE_LIST_ZIPLIST:
        return this.readZiplistList();
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2:
        return this.readQuicklist(type === RDB_TYPE_LIST_QUICKLIST_2);
      case RDB_TYPE_SET:
        return this.readSet();
      case RDB_TYPE_SET_INTSET:
        return this.readIntset();
      case RDB_TYPE_ZSET:
      case RDB_TYPE_ZSET_2:
        return this.readZSet(type === RDB_TYPE_ZSET_2);
      case RDB_TYPE_ZSET_ZIPLIST:
      case RDB_TYPE_ZSET_LISTPACK:
        return this.readPackedZSet(type === RDB_TYPE_ZSET_LISTPACK);
      case RDB_TYPE_HASH:
        return this.readHash();
      case RDB_TYPE_HASH_ZIPMAP:
        return this.readZipmapHash();
      case RDB_TYPE_HASH_ZIPLIST:
      case RDB_TYPE_HASH_LISTPACK:
        return this.readPackedHash(type === RDB_TYPE_HASH_LISTPACK);
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
        return this.readStream(type === RDB_TYPE_STREAM_LISTPACKS_2);
      case RDB_TYPE_MODULE:
      case RDB_TYPE_MODULE_2:
        return reader.fail(
          `The RDB file contains module data for the module type '${moduleTypeName(readLengthBig(reader))}' ` +
            `(RDB type ${type}, ${rdbTypeName(type)}), which Bunker cannot load`,
        );
      case RDB_TYPE_SET_LISTPACK:
      case RDB_TYPE_STREAM_LISTPACKS_3:
        return reader.fail(
          `RDB type ${type} (${rdbTypeName(type)}) is a Redis 7.2+ encoding that RDB version ${RDB_VERSION} cannot hold`,
        );
      default:
        return reader.fail(`Unknown RDB encoding type ${type}`);
    }
  }

  // --- lists ---------------------------------------------------------------

  /** A list the way rdbLoadObject makes one: with the configured node size and compression. */
  private newList(): RedisList {
    return new RedisList(this.limits.listMaxListpackSize, this.limits.listCompressDepth);
  }

  private readPlainList(): RedisValue {
    const count = readLength(this.reader);
    if (count === 0) throw new EmptyKeyError();
    const list = this.newList();
    for (let i = 0; i < count; i++) list.pushTail(readString(this.reader));
    return list;
  }

  private readZiplistList(): RedisValue {
    const blob = readString(this.reader, false);
    const entries = parseBlob(this.reader, "List ziplist integrity check failed.", () => decodeZiplist(blob));
    if (entries.length === 0) throw new EmptyKeyError();
    const list = this.newList();
    for (const entry of entries) list.pushTail(listpackEntryBytes(entry));
    return list;
  }

  /**
   * QUICKLIST (ziplist nodes) and QUICKLIST_2 (listpack or plain nodes): every node is
   * kept as a node of its own, as rdbLoadObject does (quicklistAppendListpack; nothing
   * is merged or split): a listpack as it comes once validated, a ziplist converted to
   * one listpack. Bunker has no plain nodes: a plain node's element becomes a listpack
   * node of one entry (see list.ts). Empty listpacks and ziplists are skipped.
   */
  private readQuicklist(version2: boolean): RedisValue {
    const reader: RdbReader = this.reader;
    const nodeCount = readLength(reader);
    if (nodeCount === 0) throw new EmptyKeyError();
    const list = this.newList();
    for (let i = 0; i < nodeCount; i++) {
      let container = QUICKLIST_NODE_CONTAINER_PACKED;
      if (version2) {
        container = readLength(reader);
        if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
          reader.fail("Quicklist integrity check failed.");
        }
      }
      if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
        const element = readString(reader);
        if (element.length === 0) reader.fail("Quicklist integrity check failed. (empty plain node)");
        list.appendPlain(element);
        continue;
      }
      if (version2) {
        readBlob(reader);
        const bytes = reader.blobBytes;
        const start = reader.blobStart;
        const size = reader.blobLength;
        if (size === 0) reader.fail("Quicklist integrity check failed. (empty node)");
        const count = validateListpackBlob(reader, "Listpack integrity check failed.", bytes, start, size);
        if (count > 0) list.appendListpack(bytes.slice(start, start + size));
        continue;
      }
      const blob = readString(reader, false);
      if (blob.length === 0) reader.fail("Quicklist integrity check failed. (empty node)");
      const entries = parseBlob(reader, "Ziplist integrity check failed.", () => decodeZiplist(blob));
      if (entries.length === 0) continue;
      let lp = lpNew(blob.length + 16);
      for (const entry of entries) lp = lpAppend(lp, entry);
      list.appendListpack(lpShrinkToFit(lp));
    }
    if (list.length === 0) throw new EmptyKeyError();
    return list;
  }

  // --- sets ------------------------------------------------------------------

  private readSet(): RedisValue {
    const reader: RdbReader = this.reader;
    const count = readLength(reader);
    if (count === 0) throw new EmptyKeyError();
    const maxIntsetEntries = Math.min(this.limits.setMaxIntsetEntries, 1 << 30);
    // As rdbLoadObject: an intset while the count allows one and the members are
    // integers, else a dict filled from where the members lie in the file.
    let intset: Uint8Array | null = count <= maxIntsetEntries ? intsetNew(8 + 2 * count) : null;
    let dict: Dict | null = intset === null ? new Dict("none", count) : null;
    for (let i = 0; i < count; i++) {
      readBlob(reader);
      const bytes = reader.blobBytes;
      const start = reader.blobStart;
      const end = start + reader.blobLength;
      if (intset !== null) {
        const value = parseIntegerIn(bytes, start, end);
        if (value !== null) {
          const grown = intsetAdd(intset, value);
          if (grown === null) reader.fail("Duplicate set members detected");
          intset = grown;
          continue;
        }
        const converted = RedisSet.fromIntset(intset);
        converted.convert();
        dict = converted.dictForLoading()!;
        intset = null;
      }
      if (dict!.findBytes(bytes, start, end) >= 0) reader.fail("Duplicate set members detected");
      dict!.addBytes(bytes, start, end);
    }
    return intset !== null ? RedisSet.fromIntset(intsetShrinkToFit(intset)) : RedisSet.fromDict(dict!);
  }

  private readIntset(): RedisValue {
    const reader: RdbReader = this.reader;
    readBlob(reader);
    let intset: Uint8Array;
    try {
      intset = intsetFromBlob(reader.blobBytes, reader.blobStart, reader.blobLength);
    } catch (error) {
      if (error instanceof RdbFormatError) reader.fail(`Intset integrity check failed. (${error.message})`);
      throw error;
    }
    // Kept as it comes; converted only when it holds more than set-max-intset-entries.
    const set = RedisSet.fromIntset(intset);
    if (intsetLen(intset) > this.limits.setMaxIntsetEntries) set.convert();
    return set;
  }

  // --- sorted sets -------------------------------------------------------------

  private readZSet(binaryScores: boolean): RedisValue {
    const reader: RdbReader = this.reader;
    const count = readLength(reader);
    if (count === 0) throw new EmptyKeyError();
    // Straight into the index and the tree: the members' bytes are copied from where
    // they lie, with no string or object per element.
    const zset = new RedisZSet("skiplist", Math.min(count, 1 << 16));
    for (let i = 0; i < count; i++) {
      readBlob(reader);
      // The index copies the member's bytes before the score is read (which may refill the buffer).
      const slot = zset.loadMember(reader.blobBytes, reader.blobStart, reader.blobStart + reader.blobLength);
      if (slot < 0) reader.fail("Duplicate zset fields detected");
      const score = binaryScores ? reader.float64LE() : readTextScore(reader);
      if (Number.isNaN(score)) reader.fail("Zset with NAN score detected");
      zset.placeLoaded(slot, score);
    }
    // Like Redis, converted *after* loading since the file does not say which encoding it had
    // (and, as in Redis, a -0 score of a set that becomes a listpack is then 0).
    zset.convertToListpackIfFits(this.limits.zsetMaxListpackEntries, this.limits.zsetMaxListpackValue);
    return zset;
  }

  private readPackedZSet(listpack: boolean): RedisValue {
    const reader: RdbReader = this.reader;
    const what = listpack ? "Zset listpack integrity check failed." : "Zset ziplist integrity check failed.";
    let zset: RedisZSet;
    if (listpack) {
      const count = readPairsListpack(reader, what);
      const bytes = reader.blobBytes;
      const start = reader.blobStart;
      // What zsetZiplistValidateIntegrity checks beyond the structure: distinct members and
      // scores that parse. The bytes are then kept as they are.
      const seen = new Set<string>();
      for (let n = 0, p = start + LISTPACK_FIRST_ENTRY; n < count; n += 2) {
        const memberEntry = readListpackEntry(bytes, p);
        const member = listpackEntryKey(this.decoder, bytes, memberEntry);
        const scoreEntry = readListpackEntry(bytes, memberEntry.next);
        if (seen.has(member)) reader.fail(`${what} (duplicate member)`);
        seen.add(member);
        listpackEntryScore(reader, bytes, scoreEntry, what);
        p = scoreEntry.next;
      }
      if (count === 0) throw new EmptyKeyError();
      zset = RedisZSet.fromListpack(bytes.slice(start, start + reader.blobLength));
    } else {
      const blob = readString(reader, false);
      const entries = parseBlob(reader, what, () => decodeZiplist(blob));
      if (entries.length % 2 !== 0) reader.fail(what);
      // A ziplist becomes a listpack on load, as in Redis 7.0.
      zset = new RedisZSet(entries.length / 2 > this.limits.zsetMaxListpackEntries ? "skiplist" : "listpack");
      for (let i = 0; i < entries.length; i += 2) {
        const member = bytesToKey(listpackEntryBytes(entries[i]!));
        if (zset.has(member)) reader.fail(`${what} (duplicate member)`);
        zset.add(member, listpackScore(reader, entries[i + 1]!, what));
      }
    }
    if (zset.size === 0) throw new EmptyKeyError();
    // Redis checks only the entry count here, not element sizes (that would be an O(N) scan).
    if (zset.size > this.limits.zsetMaxListpackEntries) zset.convertToSkiplist();
    return zset;
  }

  // --- hashes ------------------------------------------------------------------

  private readHash(): RedisValue {
    const reader: RdbReader = this.reader;
    const count = readLength(reader);
    if (count === 0) throw new EmptyKeyError();
    // As rdbLoadObject: a dict when the count says so, else a listpack, converted when a
    // field or value is too long. Either way the bytes go in from where they lie in the
    // file, no object made per field.
    if (count > this.limits.hashMaxListpackEntries) {
      const dict = new Dict("bytes", count);
      for (let i = 0; i < count; i++) {
        readBlob(reader);
        const fieldEnd = reader.blobStart + reader.blobLength;
        if (dict.findBytes(reader.blobBytes, reader.blobStart, fieldEnd) >= 0) reader.fail("Duplicate hash fields detected");
        const slot = dict.addBytes(reader.blobBytes, reader.blobStart, fieldEnd);
        readBlob(reader);
        dict.setValue(slot, reader.blobBytes, reader.blobStart, reader.blobStart + reader.blobLength);
      }
      return RedisHash.fromDict(dict);
    }
    let listpack = lpNew(64);
    let longest = 0;
    for (let i = 0; i < 2 * count; i++) {
      readBlob(reader);
      const length = reader.blobLength;
      if (length > longest) longest = length;
      listpack = lpAppend(listpack, reader.blobBytes.subarray(reader.blobStart, reader.blobStart + length));
    }
    if (hasDuplicateFields(listpack, 2 * count)) reader.fail("Duplicate hash fields detected");
    const hash = RedisHash.fromListpack(lpShrinkToFit(listpack));
    if (longest > this.limits.hashMaxListpackValue) hash.convert();
    return hash;
  }

  private readZipmapHash(): RedisValue {
    const reader: RdbReader = this.reader;
    const blob = readString(reader, false);
    const pairs = parseBlob(reader, "Zipmap integrity check failed.", () => decodeZipmap(blob));
    const hash = new RedisHash();
    for (const [field, value] of pairs) {
      if (!hash.set(bytesToKey(field), value)) reader.fail(`Hash zipmap with dup elements, or big length (${field.length})`);
    }
    if (hash.size === 0) throw new EmptyKeyError();
    hash.convertIfNeeded(this.limits.hashMaxListpackEntries, this.limits.hashMaxListpackValue);
    return hash;
  }

  private readPackedHash(listpack: boolean): RedisValue {
    const reader: RdbReader = this.reader;
    const what = listpack ? "Hash listpack integrity check failed." : "Hash ziplist integrity check failed.";
    let hash: RedisHash;
    if (listpack) {
      const count = readPairsListpack(reader, what);
      const bytes = reader.blobBytes;
      const start = reader.blobStart;
      // Kept as it comes (validated): the blob's bytes become the hash's listpack.
      const own = bytes.slice(start, start + reader.blobLength);
      if (hasDuplicateFields(own, count)) reader.fail(`${what} (duplicate field)`);
      hash = RedisHash.fromListpack(own);
    } else {
      const blob = readString(reader, false);
      const entries = parseBlob(reader, what, () => decodeZiplist(blob));
      if (entries.length % 2 !== 0) reader.fail(what);
      hash = new RedisHash();
      for (let i = 0; i < entries.length; i += 2) {
        const field = bytesToKey(listpackEntryBytes(entries[i]!));
        if (!hash.set(field, listpackEntryBytes(entries[i + 1]!))) reader.fail(`${what} (duplicate field)`);
      }
    }
    if (hash.size === 0) throw new EmptyKeyError();
    // As for zsets, only the count decides here.
    hash.convertIfNeeded(this.limits.hashMaxListpackEntries, Number.MAX_SAFE_INTEGER);
    return hash;
  }

  // --- streams -------------------------------------------------------------------

  private readStream(version2: boolean): RedisValue {
    const reader: RdbReader = this.reader;
    const stream = new RedisStream();
    const nodeCount = readLength(reader);
    let previousId: StreamId | null = null;
    let liveEntries = 0;
    let firstEntryId: StreamId | null = null;
    let lastEntryId: StreamId | null = null;
    for (let node = 0; node < nodeCount; node++) {
      const nodeKey = readString(reader, false);
      if (nodeKey.length !== 16) reader.fail("Stream node key entry is not the size of a stream ID");
      const keyView = new DataView(nodeKey.buffer, nodeKey.byteOffset, 16);
      const master: StreamId = { ms: keyView.getBigUint64(0, false), seq: keyView.getBigUint64(8, false) };
      const blob = readString(reader, false);
      const elements = parseBlob(reader, "Stream listpack integrity check failed.", () => decodeListpack(blob));
      if (elements.length === 0) reader.fail("Empty listpack inside stream");
      if (previousId !== null && compareStreamIds(master, previousId) <= 0) {
        reader.fail("Listpack re-added with existing key");
      }
      // Keep the file's node boundaries (XINFO STREAM reports them) rather than re-splitting.
      stream.sealLastNode();
      for (const entry of parseStreamNode(reader, master, elements)) {
        if (previousId !== null && compareStreamIds(entry.id, previousId) <= 0) {
          reader.fail("Stream listpack integrity check failed. (entry IDs out of order)");
        }
        previousId = entry.id;
        if (entry.fields === null) continue;
        stream.appendEntry(entry.id, entry.fields, 0, 0);
        liveEntries++;
        firstEntryId ??= entry.id;
        lastEntryId = entry.id;
      }
      if (previousId === null || compareStreamIds(previousId, master) < 0) previousId = master;
    }

    const length = readLength(reader);
    if (length !== liveEntries) {
      reader.fail(`Stream length ${length} does not match its ${liveEntries} entries`);
    }
    const lastId: StreamId = { ms: readLengthBig(reader), seq: readLengthBig(reader) };
    if (lastEntryId !== null && compareStreamIds(lastId, lastEntryId) < 0) {
      reader.fail("Stream last ID is smaller than the ID of its last entry");
    }
    let maxDeletedId: StreamId = STREAM_ID_ZERO;
    let entriesAdded = BigInt(length);
    let firstId: StreamId = firstEntryId ?? { ms: 0xffffffffffffffffn, seq: 0xffffffffffffffffn };
    if (version2) {
      firstId = { ms: readLengthBig(reader), seq: readLengthBig(reader) };
      maxDeletedId = { ms: readLengthBig(reader), seq: readLengthBig(reader) };
      entriesAdded = readLengthBig(reader);
    }
    stream.lastId = lastId;
    stream.maxDeletedId = maxDeletedId;
    stream.entriesAdded = entriesAdded;

    const groupCount = readLength(reader);
    for (let g = 0; g < groupCount; g++) {
      const name = bytesToKey(readString(reader, false));
      const groupLastId: StreamId = { ms: readLengthBig(reader), seq: readLengthBig(reader) };
      const entriesRead = version2
        ? Number(BigInt.asIntN(64, readLengthBig(reader)))
        : estimateEntriesRead(lastId, firstId, maxDeletedId, entriesAdded, length, groupLastId);
      const group = stream.createGroup(name, groupLastId, entriesRead);
      if (group === null) reader.fail(`Duplicated consumer group name ${name}`);

      const pendingCount = readLength(reader);
      for (let p = 0; p < pendingCount; p++) {
        const rawId = reader.view(16);
        const idView = new DataView(rawId.buffer, rawId.byteOffset, 16);
        const id: StreamId = { ms: idView.getBigUint64(0, false), seq: idView.getBigUint64(8, false) };
        const deliveryTime = Number(reader.int64LE());
        const deliveryCount = readLength(reader);
        const idKey = streamIdKey(id);
        if (group.pending.has(idKey)) reader.fail("Duplicated global PEL entry loading stream consumer group");
        group.pending.set(idKey, { id, consumer: "", deliveryTime, deliveryCount });
      }

      const owners = new Set<string>();
      const consumerCount = readLength(reader);
      for (let c = 0; c < consumerCount; c++) {
        const consumerName = bytesToKey(readString(reader, false));
        const consumer = stream.createConsumer(group, consumerName, 0);
        if (consumer === null) reader.fail("Duplicate stream consumer detected.");
        consumer.seenTime = Number(reader.int64LE());
        const ownedCount = readLength(reader);
        for (let p = 0; p < ownedCount; p++) {
          const idKey = bytesToKey(reader.view(16));
          const pending: PendingEntry | undefined = group.pending.get(idKey);
          if (pending === undefined) reader.fail("Consumer entry not found in group global PEL");
          if (consumer.pending.has(idKey)) {
            reader.fail("Duplicated consumer PEL entry loading a stream consumer group");
          }
          if (owners.has(idKey)) reader.fail("Stream CG PEL entry owned by more than one consumer");
          owners.add(idKey);
          pending.consumer = consumerName;
          consumer.pending.set(idKey, pending);
        }
      }
      if (owners.size !== group.pending.size) reader.fail("Stream CG PEL entry without consumer");
    }
    return stream;
  }
}

/** The ZSET (type 3) score: a length byte (253 nan, 254 +inf, 255 -inf) then ASCII. */
function readTextScore(reader: RdbReader): number {
  const length = reader.u8();
  if (length === 255) return -Infinity;
  if (length === 254) return Infinity;
  if (length === 253) return NaN;
  const score = parseScoreText(bytesToText(reader.view(length)));
  if (score === null) reader.fail("Zset with an unreadable score detected");
  return score;
}

interface ParsedStreamEntry {
  id: StreamId;
  /** null for an entry flagged deleted. */
  fields: Uint8Array[] | null;
}

function streamInteger(reader: RdbReader, element: ListpackEntry | undefined): bigint {
  if (element === undefined) reader.fail("Stream listpack integrity check failed. (truncated entry)");
  if (typeof element === "bigint") return element;
  // lpGetInteger would also parse a string element holding an integer.
  const text = bytesToText(element);
  if (!/^-?\d{1,20}$/.test(text)) reader.fail("Stream listpack integrity check failed. (expected an integer)");
  return BigInt(text);
}

/**
 * Walks one node listpack the way streamValidateListpackIntegrity (deep) does:
 * master entry, then entries whose lp-count must match their layout.
 */
function parseStreamNode(reader: RdbReader, master: StreamId, elements: ListpackEntry[]): ParsedStreamEntry[] {
  const bad = (why: string): never => reader.fail(`Stream listpack integrity check failed. (${why})`);
  let at = 0;
  const next = (): ListpackEntry => {
    const element = elements[at++];
    if (element === undefined) bad("truncated entry");
    return element!;
  };
  const nextInteger = (): bigint => streamInteger(reader, next());
  const count = nextInteger();
  const deleted = nextInteger();
  const masterFieldCount = nextInteger();
  if (masterFieldCount < 0n || masterFieldCount > BigInt(elements.length)) bad("master field count");
  const masterFields: Uint8Array[] = [];
  for (let i = 0n; i < masterFieldCount; i++) masterFields.push(listpackEntryBytes(next()));
  if (nextInteger() !== 0n) bad("master entry terminator");

  const entries: ParsedStreamEntry[] = [];
  let live = 0n;
  let dead = 0n;
  while (at < elements.length) {
    const start = at;
    const flags = nextInteger();
    if (flags < 0n || flags > 3n) bad("entry flags");
    const id: StreamId = {
      ms: BigInt.asUintN(64, master.ms + nextInteger()),
      seq: BigInt.asUintN(64, master.seq + nextInteger()),
    };
    const fields: Uint8Array[] = [];
    if ((flags & BigInt(STREAM_ITEM_FLAG_SAMEFIELDS)) !== 0n) {
      for (const field of masterFields) fields.push(field, listpackEntryBytes(next()));
    } else {
      const fieldCount = nextInteger();
      if (fieldCount < 0n || fieldCount > BigInt(elements.length)) bad("entry field count");
      for (let i = 0n; i < fieldCount; i++) fields.push(listpackEntryBytes(next()), listpackEntryBytes(next()));
    }
    const lpCount = nextInteger();
    if (lpCount !== BigInt(at - start - 1)) bad("entry lp-count");
    if ((flags & BigInt(STREAM_ITEM_FLAG_DELETED)) !== 0n) {
      dead++;
      entries.push({ id, fields: null });
    } else {
      live++;
      entries.push({ id, fields });
    }
  }
  if (live !== count || dead !== deleted) bad("entry counts do not match the master entry");
  return entries;
}

/** streamEstimateDistanceFromFirstEverEntry: entries_read for groups loaded from a v1 stream. */
function estimateEntriesRead(
  lastId: StreamId,
  firstId: StreamId,
  maxDeletedId: StreamId,
  entriesAdded: bigint,
  length: number,
  groupLastId: StreamId,
): number {
  if (entriesAdded === 0n) return 0;
  const vsLast = compareStreamIds(groupLastId, lastId);
  if (length === 0 && vsLast < 1) return Number(entriesAdded);
  if (vsLast === 0) return Number(entriesAdded);
  if (vsLast > 0) return -1;
  const vsFirst = compareStreamIds(groupLastId, firstId);
  const noFragmentation =
    (maxDeletedId.ms === 0n && maxDeletedId.seq === 0n) || compareStreamIds(maxDeletedId, firstId) < 0;
  if (noFragmentation) {
    if (vsFirst < 0) return Number(entriesAdded) - length;
    if (vsFirst === 0) return Number(entriesAdded) - length + 1;
  }
  return -1;
}

// --- building values ------------------------------------------------------------

/** Pairwise below this many fields; above, a scratch Dict (lpValidateIntegrityAndDups's dict). */
const DUPLICATE_CHECK_PAIRWISE_MAX = 16;

/** True when two of a pairs-listpack's keys (entries 0, 2, 4... of `count`) are equal. */
function hasDuplicateFields(listpack: Uint8Array, count: number): boolean {
  if (count / 2 <= DUPLICATE_CHECK_PAIRWISE_MAX) {
    for (let p = lpFirst(listpack); p >= 0; p = lpNext(listpack, lpNext(listpack, p))) {
      const valueAt = lpNext(listpack, p);
      if (valueAt >= 0 && lpFind(listpack, lpNext(listpack, valueAt), lpGetKey(listpack, p), 1) >= 0) return true;
    }
    return false;
  }
  const seen = new Dict("none", count / 2);
  for (let p = lpFirst(listpack); p >= 0; p = lpNext(listpack, lpNext(listpack, p))) {
    const entry = lpGet(listpack, p);
    const key = entry.stringStart >= 0 ? null : entry.bigInteger !== null ? entry.bigInteger.toString() : String(entry.integer);
    if (key === null) {
      const end = entry.stringStart + entry.stringLength;
      if (seen.findBytes(listpack, entry.stringStart, end) >= 0) return true;
      seen.addBytes(listpack, entry.stringStart, end);
    } else {
      if (seen.find(key) >= 0) return true;
      seen.add(key);
    }
  }
  return false;
}

/** moduleTypeNameByID: the 9-character type name packed in the top 54 bits of a module ID. */
function moduleTypeName(moduleId: bigint): string {
  const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let id = moduleId >> 10n;
  let name = "";
  for (let i = 0; i < 9; i++) {
    name = charset[Number(id & 63n)]! + name;
    id >>= 6n;
  }
  return name;
}

/** The library name from a "#!lua name=mylib" first line, for the refusal message. */
function functionLibraryName(code: Uint8Array): string {
  const firstLine = bytesToText(code.subarray(0, Math.min(code.length, 256))).split("\n")[0] ?? "";
  const match = /\bname=(\S+)/.exec(firstLine);
  return match === null ? "?" : match[1]!;
}

// ---------------------------------------------------------------------------
// The decoder
// ---------------------------------------------------------------------------

/** Marks an exception thrown by a handler so it is rethrown untouched. */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

function callHandler<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new HandlerFailure(error);
  }
}

function toLoadError(error: unknown, offset: number): unknown {
  if (error instanceof HandlerFailure) return error.error;
  if (error instanceof RdbLoadError) return error;
  if (error instanceof RdbFormatError) return new RdbLoadError(error.message, offset);
  // A value the collection classes refused, or a bug tripped by corrupt input:
  // either way the bytes could not be loaded, and the caller expects one error type.
  const message = error instanceof Error ? error.message : String(error);
  return new RdbLoadError(`Corrupt RDB data: ${message}`, offset);
}

/** Reads a whole RDB file (or array holding one) and hands its contents to a handler. */
export class RdbDecoder {
  private constructor(
    private readonly source: RdbByteSource | null,
    private readonly memory: Uint8Array | null,
    private readonly options: RdbDecoderOptions,
  ) {}

  static fromFile(path: string, options: RdbDecoderOptions): RdbDecoder {
    return new RdbDecoder(fileByteSource(path), null, options);
  }

  static fromSource(source: RdbByteSource, options: RdbDecoderOptions): RdbDecoder {
    return new RdbDecoder(source, null, options);
  }

  static fromBytes(bytes: Uint8Array, options: RdbDecoderOptions): RdbDecoder {
    return new RdbDecoder(null, bytes, options);
  }

  /** Loads everything; rejects with RdbLoadError on bad content (handler errors pass through). */
  async load(handler: RdbLoadHandler): Promise<RdbLoadSummary> {
    const options = this.options;
    const verify = options.verifyChecksum ?? true;
    const reader = new RdbReader(this.source, this.memory, verify ? new Crc64() : null, options.readBufferSize);
    try {
      return await this.loadFrom(reader, handler, verify);
    } catch (error) {
      throw toLoadError(error, reader.offset);
    } finally {
      this.source?.close();
    }
  }

  private async loadFrom(reader: RdbReader, handler: RdbLoadHandler, verify: boolean): Promise<RdbLoadSummary> {
    const options = this.options;
    const version = readHeader(reader);
    const databases = options.databases ?? 16;
    const progressInterval = Math.max(1, options.progressIntervalBytes ?? 2 * 1024 * 1024);
    // This load's own working memory: while it awaits onProgress, commands run, and
    // one may decode (RESTORE) or load (DEBUG RELOAD) with theirs.
    const decoder = new ValueDecoder();
    const values = new ValueReader(reader, options, decoder);
    let lastProgress = 0;
    let dbIndex = 0;
    let expireAtMs: number | undefined;
    let idleSeconds: number | undefined;
    let freq: number | undefined;
    let keysLoaded = 0;
    let emptyKeysSkipped = 0;

    for (;;) {
      const type = reader.u8();
      if (type === RDB_OPCODE_EOF) break;
      switch (type) {
        case RDB_OPCODE_EXPIRETIME:
          expireAtMs = reader.int32LE() * 1000;
          continue;
        case RDB_OPCODE_EXPIRETIME_MS:
          expireAtMs = reader.int64LENumber();
          continue;
        case RDB_OPCODE_FREQ:
          freq = reader.u8();
          continue;
        case RDB_OPCODE_IDLE:
          idleSeconds = readLength(reader);
          continue;
        case RDB_OPCODE_SELECTDB: {
          const index = readLength(reader);
          if (index >= databases) {
            reader.fail(
              `FATAL: Data file was created with a Redis server configured to handle more than ${databases} databases. Exiting`,
            );
          }
          dbIndex = index;
          callHandler(() => handler.onSelectDb?.(index));
          continue;
        }
        case RDB_OPCODE_RESIZEDB: {
          const size = readLength(reader);
          const expires = readLength(reader);
          callHandler(() => handler.onResizeDb?.(size, expires));
          continue;
        }
        case RDB_OPCODE_AUX: {
          const name = bytesToKey(readString(reader, false));
          const value = readString(reader);
          callHandler(() => handler.onAux?.(name, value));
          continue;
        }
        case RDB_OPCODE_MODULE_AUX: {
          const moduleId = readLengthBig(reader);
          const whenOpcode = readLength(reader);
          readLength(reader);
          if (whenOpcode !== RDB_MODULE_OPCODE_UINT) reader.fail("bad when_opcode");
          reader.fail(
            `The RDB file contains AUX module data I can't load: no matching module '${moduleTypeName(moduleId)}' (Bunker has no modules)`,
          );
        }
        case RDB_OPCODE_FUNCTION2:
        case RDB_OPCODE_FUNCTION_PRE_GA: {
          const code = type === RDB_OPCODE_FUNCTION2 ? readString(reader) : readPreGaFunction(reader);
          const onFunction = handler.onFunction;
          if (onFunction === undefined) {
            const opcodeName = type === RDB_OPCODE_FUNCTION2 ? "FUNCTION2" : "FUNCTION_PRE_GA";
            reader.fail(
              `RDB file contains a function library ('${functionLibraryName(code)}', ${opcodeName}), which Bunker cannot load`,
            );
          }
          callHandler(() => onFunction.call(handler, code));
          continue;
        }
      }

      const key = readKey(reader, decoder);
      let value: RedisValue | null;
      try {
        value = values.read(type);
      } catch (error) {
        if (!(error instanceof EmptyKeyError)) throw error;
        value = null;
      }
      if (value === null) {
        emptyKeysSkipped++;
        callHandler(() => handler.onEmptyKeySkipped?.(dbIndex, key));
      } else {
        let added: void | boolean;
        try {
          added = handler.onKey(dbIndex, key, value, expireAtMs, idleSeconds, freq);
        } catch (error) {
          throw new HandlerFailure(error);
        }
        if (added === false) reader.fail(`RDB has duplicated key '${bytesToText(key)}' in DB ${dbIndex}`);
        keysLoaded++;
      }
      expireAtMs = idleSeconds = freq = undefined;

      if (handler.onProgress !== undefined && reader.offset - lastProgress >= progressInterval) {
        lastProgress = reader.offset;
        const pending = callHandler(() => handler.onProgress!(lastProgress));
        if (pending !== undefined) {
          try {
            await pending;
          } catch (error) {
            throw new HandlerFailure(error);
          }
        }
      }
    }

    let checksum: RdbLoadSummary["checksum"] = "absent";
    if (version >= 5) {
      const expected = reader.checksumSoFar();
      const stored = reader.uint64LE();
      if (!verify) {
        checksum = "skipped";
      } else if (stored === 0n) {
        checksum = "disabled";
      } else if (stored !== expected) {
        reader.fail(
          `Wrong RDB checksum expected: (${expected.toString(16)}) but got (${stored.toString(16)}). Aborting now.`,
        );
      } else {
        checksum = "verified";
      }
    }
    return { version, bytesRead: reader.offset, keysLoaded, emptyKeysSkipped, checksum };
  }
}

/** Magic and version; returns the version. */
function readHeader(reader: RdbReader): number {
  const header = reader.view(9);
  if (bytesToText(header.subarray(0, 5)) !== "REDIS") reader.fail("Wrong signature trying to load DB from file");
  // atoi: leading blanks and a sign, then digits up to the first non-digit.
  const match = /^\s*([+-]?\d+)/.exec(bytesToText(header.subarray(5, 9)));
  const version = match === null ? 0 : Number(match[1]);
  if (version < 1 || version > RDB_VERSION) reader.fail(`Can't handle RDB format version ${version}`);
  return version;
}

/**
 * The libraries of a FUNCTION DUMP payload (the footer already checked): RDB function
 * opcodes, each with its code, until the 10-byte footer. Returns the codes read, and
 * the error FUNCTION RESTORE replies for what follows them (null when all were read).
 * Redis creates each library as soon as it has read it, so a library that fails to
 * load is reported before a bad record after it: the caller creates `codes` first.
 */
export function readFunctionLibraries(payload: Uint8Array): { codes: Uint8Array[]; error: string | null } {
  const reader = new RdbReader(null, payload, null);
  const codes: Uint8Array[] = [];
  while (payload.length - reader.offset > 10) {
    const type = reader.u8();
    if (type !== RDB_OPCODE_FUNCTION2 && type !== RDB_OPCODE_FUNCTION_PRE_GA) return { codes, error: "given type is not a function" };
    // rdbFunctionLoad's error for the part it could not read.
    const stage = { error: "Failed loading library payload" };
    try {
      codes.push(type === RDB_OPCODE_FUNCTION2 ? readString(reader) : readPreGaFunction(reader, stage));
    } catch {
      return { codes, error: stage.error };
    }
  }
  return { codes, error: null };
}

/**
 * RDB_OPCODE_FUNCTION (7.0-rc1/rc2): name, engine, optional description, code -> the GA
 * payload. `stage.error` names the part being read (Redis's error when it is cut).
 */
function readPreGaFunction(reader: RdbReader, stage: { error: string } = { error: "" }): Uint8Array {
  stage.error = "Failed loading library name";
  const name = bytesToText(readString(reader, false));
  stage.error = "Failed loading engine name";
  const engine = bytesToText(readString(reader, false));
  stage.error = "Failed loading library description indicator";
  const hasDescription = readLength(reader) !== 0;
  stage.error = "Failed loading library description";
  if (hasDescription) readString(reader, false);
  stage.error = "Failed loading library blob";
  const code = readString(reader);
  const prefix = textToBytes(`#!${engine} name=${name}\n`);
  const payload = new Uint8Array(prefix.length + code.length);
  payload.set(prefix);
  payload.set(code, prefix.length);
  return payload;
}

/**
 * Decodes values, with the working memory that takes: the short key arrays handed to
 * onKey, the cache of interned member strings, a list's elements gathered before the
 * list is built. Each RdbDecoder load makes its own; the server keeps one for RESTORE
 * (Persistence.valueDecoder). Never one shared by the whole process: a load awaits
 * between chunks while commands run, and a handler (onKey) runs while its key array is
 * in use, so whatever decodes meanwhile must not write into the same memory.
 */
export class ValueDecoder {
  /** Reused key arrays by length (readKey). */
  readonly keys: (Uint8Array | undefined)[] = [];
  private readonly interned: (string | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);

  /**
   * One value from a DUMP payload (RESTORE): `type` is the payload's first byte and
   * `payload` what follows it, without the version and CRC footer. Throws
   * RdbLoadError on bad data, including an empty collection (RESTORE answers
   * "Bad data format" for all of them). Bytes after the value are ignored, as in Redis.
   */
  decode(type: number, payload: Uint8Array, limits: RdbLoadLimits = DEFAULT_LOAD_LIMITS): RedisValue {
    const reader = new RdbReader(null, payload, null);
    try {
      return new ValueReader(reader, limits, this).read(type);
    } catch (error) {
      if (error instanceof EmptyKeyError) throw new RdbLoadError("Empty keys are not allowed", reader.offset);
      throw toLoadError(error, reader.offset);
    }
  }

  /** bytes[start, start + length) as a binary string, shared with earlier equal ones when short. */
  memberString(bytes: Uint8Array, start: number, length: number): string {
    if (length > INTERN_MAX_LENGTH) return Buffer.prototype.latin1Slice.call(bytes, start, start + length) as string;
    let hash = length;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[start + i]!, 16777619);
    const slot = (hash ^ (hash >>> 15)) & (INTERN_SLOTS - 1);
    const interned = this.interned;
    const cached = interned[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (cached.charCodeAt(i) !== bytes[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const made = Buffer.prototype.latin1Slice.call(bytes, start, start + length) as string;
    interned[slot] = made;
    return made;
  }
}
