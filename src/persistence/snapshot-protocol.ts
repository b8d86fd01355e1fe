// The wire format between the server and the snapshot writer process.
//
// Frames are a 4-byte big-endian length followed by one msgpack value. Keys travel
// already RDB-encoded (type byte + payload, as ValueEncoder.encode produces them): the server
// has to serialise a value anyway to preserve it before a change, and the writer then
// only frames, checksums and writes bytes.
//
// server -> writer
//   ["begin", { ctime, usedMem, functions,         header (AUX fields: the replication ones
//               replication? }]                    when given), function libraries
//   ["db", index, keyCount, expiresCount]          SELECTDB + RESIZEDB (once per db)
//   ["keys", db, count, records]                   a batch of `count` keys, one byte blob
//                                                  (KeyRecords): per key its bytes, a type
//                                                  (-1 = a string value as is: the writer
//                                                  encodes it, integer form or LZF; else an
//                                                  RDB type + payload), the payload, the
//                                                  expire time (-1 = none)
//   ["end"]                                        EOF + checksum, fsync, rename
// writer -> server
//   ["consumed", bytes]                            frames of that many bytes (on the wire)
//                                                  were processed: the window reopens
//   ["progress", keysWritten, bytesWritten, rssBytes]
//   ["error", cause]                               just before a failing exit
//   ["rdb", bytes]                                 output "socket": the next bytes of the
//                                                  EOF-marked RDB for the replicas
//   ["rdb-end"]                                    output "socket": the RDB is complete; the
//                                                  writer then waits for the server to close
//                                                  the channel before it exits 0
//
// Flow control is a window, not the writer pausing its reads: the server starts a frame
// only while less than WRITER_WINDOW_BYTES of what it sent is unreported. A paused Bun
// socket does not see its peer close (that is noticed on a read), so a writer that held
// the server back by pausing would, its server dead, go on writing a queue of keys
// slowed by rdb-key-save-delay for many seconds. Reading always, it exits as soon as the
// channel closes.
//
// The writer's command line (WriterArgs: writerArgv builds it, parseWriterArgv reads it)
// says where it connects, what it writes and with which settings.

import { Decoder, Encoder } from "@msgpack/msgpack";

/**
 * What the writer produces.
 * - "rdb": dump.rdb (BGSAVE): temp-<pid>.rdb renamed over `dbfilename`.
 * - "aof-base": an AOF rewrite's base file (BGREWRITEAOF): temp-rewriteaof-<pid>.aof
 *   renamed to temp-rewriteaof-bg-<pid>.aof, for the parent to move into the AOF
 *   directory. `preamble` (aof-use-rdb-preamble): an RDB file with aux aof-base=1, else
 *   the commands of rewriteAppendOnlyFileRio, `#TS:` first when `timestamp`
 *   (aof-timestamp-enabled).
 */
export type WriterOutput =
  | { kind: "rdb"; dbfilename: string }
  | { kind: "aof-base"; preamble: boolean; timestamp: boolean }
  /**
   * A diskless full sync (rdb-to-socket): no file; the RDB, between `$EOF:<eofMark>\r\n`
   * and `eofMark` (rdbSaveRioWithEOFMark), goes back to the server as "rdb" frames,
   * which it hands to the replicas' sockets.
   */
  | { kind: "socket"; eofMark: string };

export interface WriterArgs {
  /** The coordinator's Unix socket. */
  socketPath: string;
  /** Where the files go (the server's working directory, Redis's `dir`). */
  dir: string;
  output: WriterOutput;
  /** rdbchecksum (RDB output and the preamble). */
  checksum: boolean;
  /** rdbcompression (RDB output and the preamble). */
  compression: boolean;
  /** rdb-save-incremental-fsync, or aof-rewrite-incremental-fsync for an AOF base. */
  incrementalFsync: boolean;
  /** rdb-key-save-delay (microseconds per key; negative: see the writer). */
  keySaveDelayMicros: number;
  logfile: string;
  loglevel: string;
}

/** The writer's arguments (after the script), in the order parseWriterArgv reads them. */
export function writerArgv(args: WriterArgs): string[] {
  const output = args.output;
  return [
    args.socketPath,
    args.dir,
    output.kind === "rdb" ? "rdb" : output.kind === "socket" ? "socket" : output.preamble ? "aof-base-rdb" : "aof-base-commands",
    output.kind === "rdb" ? output.dbfilename : output.kind === "socket" ? output.eofMark : "",
    output.kind === "aof-base" && output.timestamp ? "1" : "0",
    args.checksum ? "1" : "0",
    args.compression ? "1" : "0",
    args.incrementalFsync ? "1" : "0",
    String(args.keySaveDelayMicros),
    args.logfile,
    args.loglevel,
  ];
}

/** Reads writerArgv's output; throws on a command line it did not make. */
export function parseWriterArgv(argv: readonly string[]): WriterArgs {
  if (argv.length !== 11) throw new Error(`snapshot writer: expected 11 arguments, got ${argv.length}`);
  const [socketPath, dir, kind, dbfilename, timestamp, checksum, compression, incrementalFsync, delay, logfile, loglevel] = argv as string[];
  let output: WriterOutput;
  if (kind === "rdb") output = { kind: "rdb", dbfilename: dbfilename! };
  else if (kind === "socket") output = { kind: "socket", eofMark: dbfilename! };
  else if (kind === "aof-base-rdb" || kind === "aof-base-commands") {
    output = { kind: "aof-base", preamble: kind === "aof-base-rdb", timestamp: timestamp === "1" };
  } else throw new Error(`snapshot writer: unknown output ${kind}`);
  return {
    socketPath: socketPath!,
    dir: dir!,
    output,
    checksum: checksum === "1",
    compression: compression === "1",
    incrementalFsync: incrementalFsync === "1",
    keySaveDelayMicros: Number(delay),
    logfile: logfile!,
    loglevel: loglevel!,
  };
}

export type ServerMessage =
  | ["begin", { ctime: number; usedMem: number; functions: Uint8Array[]; replication?: { streamDb: number; replId: string; offset: number } }]
  | ["db", number, number, number]
  | ["keys", number, number, Uint8Array]
  | ["end"];

/** Type marker for a string value sent raw: the writer applies the RDB string encodings. */
export const RAW_STRING_TYPE = -1;

export type WriterMessage = ["consumed", number] | ["progress", number, number, number] | ["error", string] | ["rdb", Uint8Array] | ["rdb-end"];

/**
 * The most bytes of frames the server has sent and the writer not yet reported consumed
 * (a frame once started goes out whole, so one large frame may exceed it). This is the
 * writer's memory for frames waiting to be written, and how far the stream may run ahead
 * of the file: the server feels a slow writer (rdb-key-save-delay, a slow disk) within
 * this many bytes, and keeps preserving the keys it has not streamed yet.
 */
export const WRITER_WINDOW_BYTES = 1024 * 1024;

/**
 * A save's claim on each slot of a source that existed at the epoch (one byte per slot,
 * shared between the server thread and the snapshot worker, changed only with Atomics).
 * Whoever moves a slot out of UNCLAIMED decides who writes its epoch value to the file:
 * the worker (READING, then STREAMED) or the server thread (PRESERVED: its copy-on-write
 * hook, or its own stream of the values the worker cannot read). The hook may take a
 * slot the worker is READING; the worker then drops what it read (snapshot-worker.ts).
 */
export const CLAIM_UNCLAIMED = 0;
export const CLAIM_READING = 1;
export const CLAIM_STREAMED = 2;
export const CLAIM_PRESERVED = 3;

/**
 * The worker's frames travel in a pool of shared buffers, not as new ones: a frame per
 * 512 keys made as many ArrayBuffers as the dataset has bytes, and collecting them
 * stalled the server thread for milliseconds at a time. The worker fills a free buffer
 * and posts its index; the server thread frees it once the socket has taken the frame.
 * Busy buffers are the worker's flow control: it waits for one to come back.
 */
export const POOL_BUFFERS = 8;
export const POOL_BUFFER_BYTES = 256 * 1024;
/** Keys per "keys" frame, from either producer. */
export const BATCH_KEYS = 512;
/** A batch is posted once its records pass this size (a record is at most ~66 KB: one still fits). */
export const POOL_BATCH_BYTES = POOL_BUFFER_BYTES / 2;

/** Int32 control cells a save shares with the snapshot worker: a stop flag... */
export const CONTROL_CANCEL = 0;
/** ...a count of buffers freed so far (the worker waits on it)... */
export const CONTROL_FREED = 1;
/** ...and from here, one cell per pool buffer: 1 while it holds a frame. */
export const CONTROL_POOL = 2;

/** The control cells of a save with a pool of `buffers` buffers. */
export function newControlCells(buffers: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((CONTROL_POOL + buffers) * 4));
}

/**
 * Writes the frame of ["keys", db, count, records] into `target` without an allocation
 * (the integers in their 32-bit msgpack form, which any decoder reads); returns its
 * length. Throws when it does not fit.
 */
export function writeKeysFrame(target: Uint8Array, db: number, count: number, records: Uint8Array): number {
  // msgpack: fixarray(4), fixstr "keys", uint32 db, uint32 count, bin32 records.
  const bodyLength = 1 + 5 + 5 + 5 + 5 + records.length;
  if (4 + bodyLength > target.length) throw new Error(`a frame of ${4 + bodyLength} bytes does not fit a ${target.length}-byte buffer`);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint32(0, bodyLength);
  target[4] = 0x94;
  target[5] = 0xa4;
  target[6] = 0x6b; // k
  target[7] = 0x65; // e
  target[8] = 0x79; // y
  target[9] = 0x73; // s
  target[10] = 0xce;
  view.setUint32(11, db);
  target[15] = 0xce;
  view.setUint32(16, count);
  target[20] = 0xc6;
  view.setUint32(21, records.length);
  target.set(records, 25);
  return 4 + bodyLength;
}

/**
 * The records of a "keys" batch, written into one reused buffer: the keyspace copies
 * key and value bytes straight in from its arenas, so streaming a key allocates no
 * object on the server (a view per key and value made the save's garbage, and its
 * memory, grow with the dataset). Layout per key, little-endian:
 * u32 keyLength, key, i8 type, u32 payloadLength, payload, f64 expireAt.
 */
export class KeyRecords {
  private buffer = new Uint8Array(64 * 1024);
  private view = new DataView(this.buffer.buffer);
  length = 0;
  count = 0;

  /** Starts a record: room for the key is reserved and returned as an offset to copy it to. */
  beginKey(keyLength: number): number {
    this.reserve(4 + keyLength);
    this.view.setUint32(this.length, keyLength, true);
    const at = this.length + 4;
    this.length = at + keyLength;
    return at;
  }

  /** Continues the record with its type and reserves `payloadLength` bytes; returns their offset. */
  beginPayload(type: number, payloadLength: number): number {
    this.reserve(5 + payloadLength + 8);
    this.view.setInt8(this.length, type);
    this.view.setUint32(this.length + 1, payloadLength, true);
    const at = this.length + 5;
    this.length = at + payloadLength;
    return at;
  }

  endKey(expireAt: number): void {
    this.view.setFloat64(this.length, expireAt, true);
    this.length += 8;
    this.count++;
  }

  /** The buffer being written (valid until the next reserve). */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  /** The records so far; the caller must copy them (encodeFrame does) before the next clear(). */
  contents(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Drops the records after the first `count` ones, which end at byte `length`. */
  truncate(length: number, count: number): void {
    this.length = length;
    this.count = count;
  }

  clear(): void {
    this.length = 0;
    this.count = 0;
    // A batch with a huge value let the buffer grow: do not keep it.
    if (this.buffer.length > 4 * 1024 * 1024) {
      this.buffer = new Uint8Array(64 * 1024);
      this.view = new DataView(this.buffer.buffer);
    }
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Reads the records of a "keys" batch in order; key and payload are views of the blob. */
export class KeyRecordReader {
  private readonly view: DataView;
  private at = 0;
  key: Uint8Array = new Uint8Array(0);
  type = 0;
  payload: Uint8Array = new Uint8Array(0);
  expireAt = -1;

  constructor(private readonly records: Uint8Array) {
    this.view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  }

  /** Moves to the next record; false at the end of the blob. */
  next(): boolean {
    let at = this.at;
    if (at >= this.records.length) return false;
    const view = this.view;
    const keyLength = view.getUint32(at, true);
    this.key = this.records.subarray(at + 4, at + 4 + keyLength);
    at += 4 + keyLength;
    this.type = view.getInt8(at);
    const payloadLength = view.getUint32(at + 1, true);
    this.payload = this.records.subarray(at + 5, at + 5 + payloadLength);
    at += 5 + payloadLength;
    this.expireAt = view.getFloat64(at, true);
    this.at = at + 8;
    return true;
  }
}

// msgpack's encoder reuses its buffer: encodeFrame copies the body out before it returns,
// and nothing runs in between, so one encoder serves every frame.
const encoder = new Encoder();

export function encodeFrame(message: ServerMessage | WriterMessage): Uint8Array {
  // A view of the encoder's own buffer: copied once, into the frame.
  const body = encoder.encodeSharedRef(message);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Reassembles frames from a byte stream with arbitrary chunk boundaries. */
export class FrameReader {
  private buffer = new Uint8Array(0);
  private readonly decoder = new Decoder();

  /** Adds `chunk`; calls `onFrame` with each whole frame's message and its size on the wire. */
  push(chunk: Uint8Array, onFrame: (message: unknown, frameBytes: number) => void): void {
    if (this.buffer.length === 0) this.buffer = chunk.slice();
    else {
      const merged = new Uint8Array(this.buffer.length + chunk.length);
      merged.set(this.buffer);
      merged.set(chunk, this.buffer.length);
      this.buffer = merged;
    }
    let offset = 0;
    while (this.buffer.length - offset >= 4) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset, 4).getUint32(0);
      if (this.buffer.length - offset - 4 < length) break;
      const message = this.decoder.decode(this.buffer.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
      onFrame(message, 4 + length);
    }
    this.buffer = offset === this.buffer.length ? new Uint8Array(0) : this.buffer.subarray(offset);
  }
}
