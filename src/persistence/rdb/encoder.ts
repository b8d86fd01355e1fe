// The RDB v10 writer: the snapshot file (RdbEncoder) and the per-value
// serialisation shared with DUMP (ValueEncoder).
//
// Every choice mirrors what Redis 7.0's rdb.c writes for the same data, so that a
// file from Bunker is accepted by redis-check-rdb and loaded by Redis 7.0, and a
// DUMP payload is byte-identical to Redis's for the same value:
// - strings: INT8/16/32 when the bytes are a canonical integer of at most 11
//   characters that fits in 32 bits (rdbTryIntegerEncoding), else LZF when
//   compression is on, the string is longer than 20 bytes and LZF saves at least
//   4 bytes (rdbSaveLzfStringObject), else raw. Every blob (listpack, intset,
//   stream node key) goes through the same rule, as rdbSaveRawString does.
// - lists: QUICKLIST_2, each node's listpack copied as it is in memory (a node
//   list-compress-depth keeps compressed is written as its LZF blob).
// - zsets in skiplist encoding: ZSET_2, highest score first.
// - streams: STREAM_LISTPACKS_2, nodes rebuilt as streamAppendItem builds them.
//
// The file encoder streams: it hands chunks of about `chunkSize` bytes to a sink
// and keeps a running CRC-64, so a snapshot never needs the whole file in memory.

import type { RedisValue } from "../../db/types.ts";
import type { RedisList } from "../../db/list.ts";
import { RedisHash } from "../../db/hash.ts";
import type { RedisSet } from "../../db/set.ts";
import type { RedisZSet } from "../../db/zset.ts";
import type { RedisStream, StreamId } from "../../db/stream.ts";
import { compareKeys, keyToBytes, parseInteger, textToBytes } from "../../db/bytes.ts";
import { Crc64 } from "./crc64.ts";
import { lzfCompressInto, lzfOutputBound } from "./lzf.ts";
import { ListpackWriter, listpackEntrySize as listpackElementSize, parseIntegerKey } from "../../db/listpack.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_OPCODE_AUX,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_VERSION,
  STREAM_ITEM_FLAG_NONE,
  STREAM_ITEM_FLAG_SAMEFIELDS,
} from "./opcodes.ts";

/** The settings that decide how values are laid out (Redis config names in comments). */
export interface RdbEncodeOptions {
  /** rdbcompression */
  compression: boolean;
  /** stream-node-max-bytes (0 = no limit) */
  streamNodeMaxBytes: number;
  /** stream-node-max-entries (0 = no limit) */
  streamNodeMaxEntries: number;
}

/** Redis 7.0's defaults, for callers (tests, DUMP) that have no config at hand. */
export const DEFAULT_ENCODE_OPTIONS: RdbEncodeOptions = {
  compression: true,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
};

export interface EncodedValue {
  /** The RDB value type byte (opcodes.ts RDB_TYPE_*). */
  type: number;
  /** The value's serialisation as it follows the key in the file (and in DUMP). */
  payload: Uint8Array;
}

/** The AUX fields Redis 7.0 writes at the start of every file. */
export interface RdbHeaderAux {
  redisVer: string;
  /** Unix seconds. */
  ctime: number;
  usedMem: number;
  aofBase: boolean;
  /** Written (between used-mem and aof-base) only when replication info applies. */
  replication?: { streamDb: number; replId: string; offset: number };
}

export interface RdbKeyLru {
  /** Written as IDLE when maxmemory-policy is an LRU policy. */
  idleSeconds?: number;
  /** Written as FREQ when maxmemory-policy is an LFU policy (0..255). */
  freq?: number;
}

export interface RdbEncoderOptions extends RdbEncodeOptions {
  /** rdbchecksum: when false the 8 checksum bytes are zero. */
  checksum: boolean;
  /** Bytes per chunk handed to the sink (default 64 KiB). */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;

// ---------------------------------------------------------------------------
// Byte output
// ---------------------------------------------------------------------------

/**
 * Append-only byte buffer. With a chunk callback it hands out full chunks (and
 * forgets them: the sink owns each chunk it receives); without one it grows.
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private position = 0;
  private flushedBytes = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private readonly scratchBytes = new Uint8Array(this.scratch.buffer);

  constructor(
    private readonly chunkSize: number = 256,
    private readonly onChunk?: (chunk: Uint8Array) => void,
  ) {
    this.buffer = new Uint8Array(chunkSize);
  }

  /** Bytes written so far, including those already handed to the sink. */
  get totalBytes(): number {
    return this.flushedBytes + this.position;
  }

  private ensure(extra: number): void {
    if (this.position + extra <= this.buffer.length) return;
    if (this.onChunk !== undefined && this.position > 0) {
      this.flush();
      if (extra <= this.buffer.length) return;
    }
    let capacity = this.buffer.length * 2;
    while (capacity < this.position + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
  }

  /** Hands the buffered bytes to the sink (streaming mode only). */
  flush(): void {
    if (this.onChunk === undefined || this.position === 0) return;
    const chunk = this.buffer.subarray(0, this.position);
    this.flushedBytes += this.position;
    this.buffer = new Uint8Array(this.chunkSize);
    this.position = 0;
    this.onChunk(chunk);
  }

  /** Flushes when a full chunk is buffered; called between keys. */
  flushIfFull(): void {
    if (this.position >= this.chunkSize) this.flush();
  }

  byte(value: number): void {
    if (this.position >= this.buffer.length) this.ensure(1);
    this.buffer[this.position++] = value;
  }

  bytes(data: Uint8Array): void {
    const length = data.length;
    if (this.position + length <= this.buffer.length) {
      // Most RDB strings are short: a loop beats TypedArray#set's call overhead there.
      const buffer = this.buffer;
      let at = this.position;
      if (length < 32) for (let i = 0; i < length; i++) buffer[at++] = data[i]!;
      else buffer.set(data, at);
      this.position += length;
      return;
    }
    if (this.onChunk === undefined) {
      this.ensure(data.length);
      this.buffer.set(data, this.position);
      this.position += data.length;
      return;
    }
    // Large values go out in chunk-sized pieces so memory stays bounded.
    let offset = 0;
    while (offset < data.length) {
      let room = this.buffer.length - this.position;
      if (room === 0) {
        this.flush();
        room = this.buffer.length;
      }
      const count = Math.min(room, data.length - offset);
      this.buffer.set(data.subarray(offset, offset + count), this.position);
      this.position += count;
      offset += count;
    }
  }

  /** The first `length` bytes of `source` (a scratch buffer: no view object is made for them). */
  bytesOf(source: Uint8Array, length: number): void {
    if (this.position + length > this.buffer.length) {
      this.bytes(source.subarray(0, length));
      return;
    }
    const buffer = this.buffer;
    let at = this.position;
    if (length < 64) for (let i = 0; i < length; i++) buffer[at++] = source[i]!;
    else {
      buffer.set(source.subarray(0, length), at);
      at += length;
    }
    this.position = at;
  }

  /** source[start, end), with no view object made while it fits the buffer (a list element in its listpack). */
  bytesRange(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length >= 64 || this.position + length > this.buffer.length) {
      this.bytes(source.subarray(start, end));
      return;
    }
    const buffer = this.buffer;
    let at = this.position;
    for (let i = start; i < end; i++) buffer[at++] = source[i]!;
    this.position = at;
  }

  /** A binary string's chars as bytes. */
  latin1(key: string): void {
    const length = key.length;
    if (this.position + length > this.buffer.length) {
      this.bytes(keyToBytes(key));
      return;
    }
    const buffer = this.buffer;
    let at = this.position;
    for (let i = 0; i < length; i++) buffer[at++] = key.charCodeAt(i);
    this.position = at;
  }

  int64LE(value: number | bigint): void {
    if (typeof value === "number" && Number.isSafeInteger(value)) {
      // Two's complement from the floor-divided halves (expire times take this path).
      const high = Math.floor(value / 4294967296);
      const low = value - high * 4294967296;
      this.scratch.setUint32(0, low, true);
      this.scratch.setInt32(4, high, true);
    } else {
      this.scratch.setBigInt64(0, BigInt.asIntN(64, BigInt(value)), true);
    }
    this.bytesOf(this.scratchBytes, 8);
  }

  float64LE(value: number): void {
    this.scratch.setFloat64(0, value, true);
    this.bytesOf(this.scratchBytes, 8);
  }

  /** Size of the current buffer. */
  get capacity(): number {
    return this.buffer.length;
  }

  /** Forgets what was written (non-streaming mode), keeping the buffer for reuse. */
  reset(): void {
    this.position = 0;
  }

  /** The bytes written (non-streaming mode). */
  result(): Uint8Array {
    return this.buffer.slice(0, this.position);
  }
}

// ---------------------------------------------------------------------------
// Primitive encodings (rdbSaveLen, rdbSaveRawString)
// ---------------------------------------------------------------------------

/** rdbSaveLen: 6-bit, 14-bit, 32-bit big-endian or 64-bit big-endian length. */
export function writeLength(out: ByteWriter, length: number): void {
  if (length < 64) {
    out.byte(length);
  } else if (length < 16384) {
    out.byte(0x40 | (length >>> 8));
    out.byte(length & 0xff);
  } else if (length <= 0xffffffff) {
    out.byte(0x80);
    out.byte((length >>> 24) & 0xff);
    out.byte((length >>> 16) & 0xff);
    out.byte((length >>> 8) & 0xff);
    out.byte(length & 0xff);
  } else {
    writeLengthBig(out, BigInt(length));
  }
}

/** rdbSaveLen for values that need all 64 bits (stream IDs, counters, -1 as 2^64-1). */
export function writeLengthBig(out: ByteWriter, length: bigint): void {
  const value = BigInt.asUintN(64, length);
  if (value <= 0xffffffffn) {
    writeLength(out, Number(value));
    return;
  }
  out.byte(0x81);
  for (let shift = 56n; shift >= 0n; shift -= 8n) out.byte(Number((value >> shift) & 0xffn));
}

/**
 * rdbTryIntegerEncoding, for the value a string of at most 11 characters parsed to (null
 * when it is not a canonical integer): the INT8/16/32 form when it fits 32 bits; false
 * (nothing written) otherwise.
 */
function writeIfInt32(out: ByteWriter, value: number | bigint | null): boolean {
  if (typeof value !== "number" || value < -2147483648 || value > 2147483647) return false;
  writeIntegerString(out, value);
  return true;
}

function writeIntegerString(out: ByteWriter, value: number): void {
  if (value >= -128 && value <= 127) {
    out.byte((RDB_ENCVAL << 6) | RDB_ENC_INT8);
    out.byte(value & 0xff);
  } else if (value >= -32768 && value <= 32767) {
    out.byte((RDB_ENCVAL << 6) | RDB_ENC_INT16);
    out.byte(value & 0xff);
    out.byte((value >> 8) & 0xff);
  } else {
    out.byte((RDB_ENCVAL << 6) | RDB_ENC_INT32);
    out.byte(value & 0xff);
    out.byte((value >> 8) & 0xff);
    out.byte((value >> 16) & 0xff);
    out.byte((value >>> 24) & 0xff);
  }
}

// ---------------------------------------------------------------------------
// Listpack sizing (to split quicklist and stream nodes where Redis would)
// ---------------------------------------------------------------------------

/** Bytes a listpack entry takes: encoding + data + backlen (listpack.c lpEncodeBacklen). */
function listpackEntrySize(entry: Uint8Array | number | bigint): number {
  if (typeof entry === "number" || typeof entry === "bigint") return listpackElementSize(entry, 0);
  return listpackElementSize(entry.length <= 20 ? parseInteger(entry) : null, entry.length);
}

/** Header (total bytes + element count) plus the end byte. */
const LISTPACK_EMPTY_SIZE = 7;

// ---------------------------------------------------------------------------
// Per-type value payloads (rdbSaveObject)
// ---------------------------------------------------------------------------

/** The type byte Redis writes for a value (rdbSaveObjectType). */
export function rdbTypeOf(value: RedisValue): number {
  if (value instanceof Uint8Array) return RDB_TYPE_STRING;
  switch (value.type) {
    case "list":
      return RDB_TYPE_LIST_QUICKLIST_2;
    case "set":
      return value.encoding === "intset" ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case "zset":
      return value.encoding === "listpack" ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case "hash":
      return value.encoding === "listpack" ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    case "stream":
      return RDB_TYPE_STREAM_LISTPACKS_2;
  }
}

// --- streams ---------------------------------------------------------------

/** STREAM_LISTPACK_MAX_SIZE: the cap on a node when stream-node-max-bytes is 0 or larger. */
const STREAM_LISTPACK_MAX_SIZE = 1 << 30;

function streamIdBytes(id: StreamId): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, id.ms), false);
  view.setBigUint64(8, BigInt.asUintN(64, id.seq), false);
  return bytes;
}

interface StreamNodeBuilder {
  master: StreamId;
  masterFields: Uint8Array[];
  /** Listpack elements after the live-count element. */
  elements: (Uint8Array | bigint)[];
  /** Byte size of `elements`' entries (excludes the count entry and the header). */
  elementBytes: number;
  count: number;
}

function streamNodeBytes(node: StreamNodeBuilder): number {
  return LISTPACK_EMPTY_SIZE + listpackEntrySize(node.count) + node.elementBytes;
}

function pushStreamElement(node: StreamNodeBuilder, element: Uint8Array | bigint): void {
  node.elements.push(element);
  node.elementBytes += listpackEntrySize(element);
}

/**
 * Rebuilds the node listpacks as streamAppendItem would have built them by
 * appending the live entries in order: a new node when the tail node's bytes
 * plus the new entry's field/value bytes reach stream-node-max-bytes, or when it
 * holds stream-node-max-entries entries. Deleted entries are not kept in memory,
 * so every node has deleted = 0.
 */
function buildStreamNodes(stream: RedisStream, options: RdbEncodeOptions): StreamNodeBuilder[] {
  let maxBytes = options.streamNodeMaxBytes;
  if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE) maxBytes = STREAM_LISTPACK_MAX_SIZE;
  const maxEntries = options.streamNodeMaxEntries;
  const nodes: StreamNodeBuilder[] = [];
  let tail: StreamNodeBuilder | null = null;
  for (const entry of stream) {
    const fieldCount = entry.fields.length / 2;
    let fieldBytes = 0;
    for (const part of entry.fields) fieldBytes += part.length;
    if (tail !== null) {
      if (streamNodeBytes(tail) + fieldBytes >= maxBytes) tail = null;
      else if (maxEntries !== 0 && tail.count >= maxEntries) tail = null;
    }
    let flags = STREAM_ITEM_FLAG_NONE;
    if (tail === null) {
      tail = { master: entry.id, masterFields: [], elements: [], elementBytes: 0, count: 0 };
      pushStreamElement(tail, 0n); // deleted
      pushStreamElement(tail, BigInt(fieldCount));
      for (let i = 0; i < entry.fields.length; i += 2) {
        tail.masterFields.push(entry.fields[i]!);
        pushStreamElement(tail, entry.fields[i]!);
      }
      pushStreamElement(tail, 0n); // master entry terminator
      nodes.push(tail);
      flags = STREAM_ITEM_FLAG_SAMEFIELDS;
    } else if (fieldCount === tail.masterFields.length) {
      let same = true;
      for (let i = 0; i < fieldCount && same; i++) {
        const field = entry.fields[i * 2]!;
        const masterField = tail.masterFields[i]!;
        if (field.length !== masterField.length) same = false;
        else for (let j = 0; j < field.length; j++) if (field[j] !== masterField[j]) { same = false; break; }
      }
      if (same) flags = STREAM_ITEM_FLAG_SAMEFIELDS;
    }
    tail.count++;
    pushStreamElement(tail, BigInt(flags));
    // IDs are stored as signed 64-bit deltas from the master ID (t_stream.c casts the unsigned difference).
    pushStreamElement(tail, BigInt.asIntN(64, entry.id.ms - tail.master.ms));
    pushStreamElement(tail, BigInt.asIntN(64, entry.id.seq - tail.master.seq));
    const sameFields = flags === STREAM_ITEM_FLAG_SAMEFIELDS;
    if (!sameFields) pushStreamElement(tail, BigInt(fieldCount));
    for (let i = 0; i < entry.fields.length; i += 2) {
      if (!sameFields) pushStreamElement(tail, entry.fields[i]!);
      pushStreamElement(tail, entry.fields[i + 1]!);
    }
    const lpCount = 3 + fieldCount + (sameFields ? 0 : fieldCount + 1);
    pushStreamElement(tail, BigInt(lpCount));
  }
  return nodes;
}

function writeStreamId(out: ByteWriter, id: StreamId): void {
  writeLengthBig(out, id.ms);
  writeLengthBig(out, id.seq);
}

function sortedByKey<V>(map: Map<string, V>): [string, V][] {
  return Array.from(map).sort((a, b) => compareKeys(a[0], b[0]));
}

// ---------------------------------------------------------------------------
// The value writer and its working memory
// ---------------------------------------------------------------------------

/** Scratch buffers that grew past this are dropped after use rather than kept. */
const KEPT_SCRATCH_BYTES = 1024 * 1024;
/** What ValueEncoder's element callbacks write to between collections. */
const NO_OUTPUT = new ByteWriter(1);
const NO_HASH = new RedisHash();

/**
 * Writes values as rdbSaveObject does (writePayload, and the string rules every blob
 * goes through), with the working memory that takes: the listpack every hash, zset,
 * list node and stream node is built in, one after the other; LZF's output; the buffer encode() writes a stand-alone payload to. So saving a small
 * collection or compressing a string allocates nothing.
 *
 * That memory is in use while a value is written, and an RdbEncoder's sink runs in
 * the middle of a value (whenever a chunk fills): whatever the sink does then (a
 * command that DUMPs, another save) must not find the listpack or the LZF output it
 * would reset. Hence one ValueEncoder per RdbEncoder, one per snapshot coordinator, and
 * one the server keeps for the encodings commands make (DUMP, DEBUG OBJECT), which run
 * one at a time and call out to nothing; never one shared by the whole process.
 */
export class ValueEncoder {
  private readonly listpack = new ListpackWriter();
  /** LZF's output, copied from into the file (writeLzfString). */
  private lzfOutput = new Uint8Array(4096);
  /** encode()'s output, reused: the payload handed out is a copy. */
  private payloadOut = new ByteWriter(4096);
  /** Where the element callbacks below write, for the collection being saved. */
  private elementsOut: ByteWriter = NO_OUTPUT;
  private elementsCompression = true;
  /** The hash whose positions writeHashField is given. */
  private elementsHash: RedisHash = NO_HASH;

  // The per-element callbacks of forEach, made once per encoder rather than a closure
  // per collection saved.
  private readonly writeHashField = (position: number): void => {
    const hash = this.elementsHash;
    this.writeString(this.elementsOut, hash.fieldBytesAt(position), this.elementsCompression);
    this.writeString(this.elementsOut, hash.valueAt(position), this.elementsCompression);
  };

  private readonly writeZSetElement = (member: string, score: number): void => {
    this.writeKeyString(this.elementsOut, member, this.elementsCompression);
    this.elementsOut.float64LE(score);
  };

  /** One value's type byte and payload, as used by DUMP and by pre-encoded snapshot keys. */
  encode(value: RedisValue, options: RdbEncodeOptions): EncodedValue {
    const payload = this.writeToScratch(value, options).result();
    this.dropLargeScratch();
    return { type: rdbTypeOf(value), payload };
  }

  /** rdbSavedObjectLen: the value's size in an RDB file (DEBUG OBJECT's serializedlength). */
  savedLength(value: RedisValue): number {
    const length = this.writeToScratch(value, DEFAULT_ENCODE_OPTIONS).totalBytes;
    this.dropLargeScratch();
    return length;
  }

  private writeToScratch(value: RedisValue, options: RdbEncodeOptions): ByteWriter {
    const out = this.payloadOut;
    out.reset();
    this.writePayload(out, value, options);
    return out;
  }

  /** A big value (DUMP of a large string, DEBUG OBJECT) must not stay pinned by the scratch. */
  private dropLargeScratch(): void {
    if (this.payloadOut.capacity > KEPT_SCRATCH_BYTES) this.payloadOut = new ByteWriter(4096);
  }

  /** Writes the value's payload (what follows the key). */
  writePayload(out: ByteWriter, value: RedisValue, options: RdbEncodeOptions): void {
    if (value instanceof Uint8Array) {
      this.writeString(out, value, options.compression);
      return;
    }
    switch (value.type) {
      case "list":
        return this.writeList(out, value, options);
      case "set":
        return this.writeSet(out, value, options);
      case "zset":
        return this.writeZSet(out, value, options);
      case "hash":
        return this.writeHash(out, value, options);
      case "stream":
        return this.writeStream(out, value, options);
    }
  }

  // --- strings (rdbSaveRawString) ------------------------------------------------

  /**
   * rdbSaveRawString: integer form, then LZF, then raw, as Redis tries them.
   * `compression` is rdbcompression.
   */
  writeString(out: ByteWriter, data: Uint8Array, compression: boolean): void {
    const length = data.length;
    if (length <= 11 && length > 0 && writeIfInt32(out, parseInteger(data))) return;
    if (compression && this.writeLzfString(out, data, length)) return;
    writeLength(out, length);
    out.bytes(data);
  }

  /**
   * writeString for a binary string (a collection member or field: one char per
   * byte), without making bytes of it unless LZF has to look at them.
   */
  writeKeyString(out: ByteWriter, key: string, compression: boolean): void {
    const length = key.length;
    if (length <= 11 && length > 0 && writeIfInt32(out, parseIntegerKey(key))) return;
    if (compression && length > 20) {
      this.writeString(out, keyToBytes(key), compression);
      return;
    }
    writeLength(out, length);
    out.latin1(key);
  }

  /**
   * rdbSaveLzfStringObject for the first `length` bytes of `data`, when they are long
   * enough and compress: false (nothing written) otherwise, so the caller writes raw.
   */
  private writeLzfString(out: ByteWriter, data: Uint8Array, length: number): boolean {
    if (length <= 20) return false;
    // Redis gives liblzf an output budget of length-4 bytes (at least four bytes
    // saved or not worth it); liblzf's own budget checks decide near the edge.
    const budget = length - 4;
    const bound = lzfOutputBound(length, budget);
    let output = this.lzfOutput;
    if (output.length < bound) {
      // The reused array grows up to KEPT_SCRATCH_BYTES; a bigger output is let go after the copy.
      output = bound <= KEPT_SCRATCH_BYTES ? (this.lzfOutput = new Uint8Array(Math.max(bound, output.length * 2))) : new Uint8Array(bound);
    }
    const compressedLength = lzfCompressInto(output, data, budget, length);
    if (compressedLength < 0) return false;
    out.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
    writeLength(out, compressedLength);
    writeLength(out, length);
    out.bytesOf(output, compressedLength);
    return true;
  }

  /**
   * writeString of a finished listpack, read where the writer built it. A listpack
   * is never stored as an integer (its second byte, part of a small total length,
   * is 0, which no decimal text has), so only LZF and raw remain, as in writeString.
   */
  /** writeString of a listpack or intset blob: LZF or raw (see writeListpack). */
  private writeBlob(out: ByteWriter, bytes: Uint8Array, compression: boolean): void {
    if (compression && this.writeLzfString(out, bytes, bytes.length)) return;
    writeLength(out, bytes.length);
    out.bytes(bytes);
  }

  private writeListpack(out: ByteWriter, writer: ListpackWriter, compression: boolean): void {
    const length = writer.finishInPlace();
    this.writeListpackBytes(out, writer.bytes, length, compression);
  }

  /** A listpack's first `length` bytes as an RDB string (LZF-compressed when that saves space). */
  private writeListpackBytes(out: ByteWriter, bytes: Uint8Array, length: number, compression: boolean): void {
    if (compression && this.writeLzfString(out, bytes, length)) return;
    writeLength(out, length);
    out.bytesOf(bytes, length);
  }

  // --- lists -----------------------------------------------------------------------

  /**
   * rdbSaveObject's quicklist loop: the node count, then per node PACKED and its
   * listpack's bytes as they are in memory (rdbSaveRawString, so LZF when rdbcompression
   * allows), or a node that list-compress-depth keeps compressed as the LZF blob it is
   * (rdbSaveLzfBlob, whatever rdbcompression says).
   */
  private writeList(out: ByteWriter, list: RedisList, options: RdbEncodeOptions): void {
    writeLength(out, list.nodeCount);
    this.elementsOut = out;
    this.elementsCompression = options.compression;
    list.forEachNode(this.writeListNode);
    this.elementsOut = NO_OUTPUT;
  }

  private readonly writeListNode = (entry: Uint8Array, size: number, lzfRawSize: number, plain: boolean): void => {
    const out = this.elementsOut;
    if (plain) {
      // rdbSaveRawString of the element: an integer encoding, LZF or raw.
      writeLength(out, QUICKLIST_NODE_CONTAINER_PLAIN);
      this.writeString(out, entry, this.elementsCompression);
      return;
    }
    writeLength(out, QUICKLIST_NODE_CONTAINER_PACKED);
    if (lzfRawSize >= 0) {
      out.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
      writeLength(out, size);
      writeLength(out, lzfRawSize);
      out.bytesOf(entry, size);
      return;
    }
    // A listpack is never stored as an integer (see writeListpack).
    if (this.elementsCompression && this.writeLzfString(out, entry, size)) return;
    writeLength(out, size);
    out.bytesOf(entry, size);
  };

  // --- sets, hashes, sorted sets, streams ------------------------------------------

  private writeSet(out: ByteWriter, set: RedisSet, options: RdbEncodeOptions): void {
    const intset = set.intsetBytes();
    if (intset !== null) {
      // The set's own intset is the RDB blob: copied as it is.
      this.writeBlob(out, intset, options.compression);
      return;
    }
    writeLength(out, set.size);
    set.forEachPosition((position) => this.writeString(out, set.memberBytesAt(position), options.compression));
  }

  private writeHash(out: ByteWriter, hash: RedisHash, options: RdbEncodeOptions): void {
    const listpack = hash.listpackBytes();
    if (listpack !== null) {
      // The hash's own listpack is the RDB blob: copied as it is.
      this.writeBlob(out, listpack, options.compression);
      return;
    }
    writeLength(out, hash.size);
    this.elementsOut = out;
    this.elementsCompression = options.compression;
    this.elementsHash = hash;
    hash.forEachPosition(this.writeHashField);
    this.elementsHash = NO_HASH;
    this.elementsOut = NO_OUTPUT;
  }

  private writeZSet(out: ByteWriter, zset: RedisZSet, options: RdbEncodeOptions): void {
    if (zset.encoding === "listpack") {
      // The value is a listpack already: its bytes are the blob.
      const bytes = zset.listpackBytes();
      this.writeListpackBytes(out, bytes, bytes.length, options.compression);
      return;
    }
    // Redis walks the skiplist from the tail so the loader always inserts at the head.
    writeLength(out, zset.size);
    this.elementsOut = out;
    this.elementsCompression = options.compression;
    zset.forEachDescending(this.writeZSetElement);
    this.elementsOut = NO_OUTPUT;
  }

  private writeStream(out: ByteWriter, stream: RedisStream, options: RdbEncodeOptions): void {
    const nodes = buildStreamNodes(stream, options);
    writeLength(out, nodes.length);
    for (const node of nodes) {
      this.writeString(out, streamIdBytes(node.master), options.compression);
      const writer = this.listpack;
      writer.reset();
      writer.appendInteger(BigInt(node.count));
      for (const element of node.elements) {
        if (element instanceof Uint8Array) writer.appendBytes(element);
        else writer.appendInteger(element);
      }
      this.writeListpack(out, writer, options.compression);
    }
    writeLength(out, stream.length);
    writeStreamId(out, stream.lastId);
    writeStreamId(out, stream.firstId() ?? { ms: 0n, seq: 0n });
    writeStreamId(out, stream.maxDeletedId);
    writeLengthBig(out, stream.entriesAdded);
    // Groups, consumers and PELs live in radix trees in Redis, so they are written in key order.
    const groups = sortedByKey(stream.groups);
    writeLength(out, groups.length);
    for (const [name, group] of groups) {
      this.writeString(out, keyToBytes(name), options.compression);
      writeStreamId(out, group.lastId);
      writeLengthBig(out, BigInt(group.entriesRead));
      const pending = sortedByKey(group.pending);
      writeLength(out, pending.length);
      for (const [idKey, entry] of pending) {
        out.bytes(keyToBytes(idKey));
        out.int64LE(entry.deliveryTime);
        writeLength(out, entry.deliveryCount);
      }
      const consumers = sortedByKey(group.consumers);
      writeLength(out, consumers.length);
      for (const [consumerName, consumer] of consumers) {
        this.writeString(out, keyToBytes(consumerName), options.compression);
        out.int64LE(consumer.seenTime);
        const owned = Array.from(consumer.pending.keys()).sort(compareKeys);
        writeLength(out, owned.length);
        for (const idKey of owned) out.bytes(keyToBytes(idKey));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The file encoder
// ---------------------------------------------------------------------------

/**
 * Writes an RDB file to a sink, in order: writeHeader, then for each non-empty
 * database selectDb and its keys, then finish. The sink receives chunks it may
 * keep (they are never reused); the checksum covers every byte up to EOF.
 */
export class RdbEncoder {
  private readonly out: ByteWriter;
  /** This file's value writer: its sink may encode other values mid-value (see ValueEncoder). */
  private readonly values = new ValueEncoder();
  private readonly crc: Crc64 | null;
  private finished = false;

  constructor(
    sink: (chunk: Uint8Array) => void,
    private readonly options: RdbEncoderOptions,
  ) {
    this.crc = options.checksum ? new Crc64() : null;
    const crc = this.crc;
    this.out = new ByteWriter(options.chunkSize ?? DEFAULT_CHUNK_SIZE, (chunk) => {
      crc?.update(chunk);
      sink(chunk);
    });
  }

  /** Bytes produced so far (the file size once finished). */
  get bytesWritten(): number {
    return this.out.totalBytes;
  }

  /** Magic, version and the AUX fields in Redis 7.0's order. */
  writeHeader(aux: RdbHeaderAux): void {
    this.out.bytes(textToBytes("REDIS" + String(RDB_VERSION).padStart(4, "0")));
    this.writeAux("redis-ver", aux.redisVer);
    this.writeAux("redis-bits", "64");
    this.writeAux("ctime", String(Math.floor(aux.ctime)));
    this.writeAux("used-mem", String(Math.floor(aux.usedMem)));
    if (aux.replication !== undefined) {
      this.writeAux("repl-stream-db", String(aux.replication.streamDb));
      this.writeAux("repl-id", aux.replication.replId);
      this.writeAux("repl-offset", String(aux.replication.offset));
    }
    this.writeAux("aof-base", aux.aofBase ? "1" : "0");
  }

  /** One AUX field; values go through the string rules, so numbers end up integer-encoded. */
  writeAux(name: string, value: string | Uint8Array): void {
    this.out.byte(RDB_OPCODE_AUX);
    this.values.writeString(this.out, textToBytes(name), this.options.compression);
    this.values.writeString(this.out, typeof value === "string" ? textToBytes(value) : value, this.options.compression);
  }

  /** A function library (rdbSaveFunctions): RDB_OPCODE_FUNCTION2 and its code. */
  writeFunction(code: Uint8Array): void {
    this.out.byte(RDB_OPCODE_FUNCTION2);
    this.values.writeString(this.out, code, this.options.compression);
  }

  /** SELECTDB then RESIZEDB; call only for databases that have keys. */
  selectDb(index: number, keyCount: number, expiresCount: number): void {
    this.out.byte(RDB_OPCODE_SELECTDB);
    writeLength(this.out, index);
    this.out.byte(RDB_OPCODE_RESIZEDB);
    writeLength(this.out, keyCount);
    writeLength(this.out, expiresCount);
  }

  /**
   * A bare SELECTDB, to switch back to a database already announced. The snapshot
   * writer receives keys preserved ahead of the stream for any database; loaders
   * (Redis's included) accept any number of SELECTDB opcodes.
   */
  selectDbOnly(index: number): void {
    this.out.byte(RDB_OPCODE_SELECTDB);
    writeLength(this.out, index);
  }

  writeKey(key: Uint8Array, value: RedisValue, expireAtMs: number | undefined, lru?: RdbKeyLru): void {
    this.writeKeyPrefix(expireAtMs, lru);
    this.out.byte(rdbTypeOf(value));
    this.values.writeString(this.out, key, this.options.compression);
    this.values.writePayload(this.out, value, this.options);
    this.out.flushIfFull();
  }

  /** A key whose value was serialised elsewhere with ValueEncoder.encode (same options). */
  writeEncodedKey(key: Uint8Array, type: number, payload: Uint8Array, expireAtMs: number | undefined, lru?: RdbKeyLru): void {
    this.writeKeyPrefix(expireAtMs, lru);
    this.out.byte(type);
    this.values.writeString(this.out, key, this.options.compression);
    this.out.bytes(payload);
    this.out.flushIfFull();
  }

  private writeKeyPrefix(expireAtMs: number | undefined, lru: RdbKeyLru | undefined): void {
    if (this.finished) throw new Error("RdbEncoder: write after finish()");
    if (expireAtMs !== undefined) {
      this.out.byte(RDB_OPCODE_EXPIRETIME_MS);
      this.out.int64LE(expireAtMs);
    }
    if (lru?.idleSeconds !== undefined) {
      this.out.byte(RDB_OPCODE_IDLE);
      writeLength(this.out, Math.max(0, Math.floor(lru.idleSeconds)));
    }
    if (lru?.freq !== undefined) {
      this.out.byte(RDB_OPCODE_FREQ);
      this.out.byte(Math.max(0, Math.min(255, Math.floor(lru.freq))));
    }
  }

  /** EOF and the checksum (8 zero bytes with rdbchecksum off); flushes everything to the sink. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.out.byte(RDB_OPCODE_EOF);
    // The checksum covers the EOF byte: flush so the CRC has seen it.
    this.out.flush();
    const checksum = this.crc === null ? 0n : this.crc.digest();
    const trailer = new Uint8Array(8);
    new DataView(trailer.buffer).setBigUint64(0, checksum, true);
    this.out.bytes(trailer);
    this.out.flush();
  }
}
