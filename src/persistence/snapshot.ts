// The background save without fork(): a point-in-time copy made by the server itself.
//
// This is the producer of an "rdb" child (child.ts): rdbSaveBackground creates it, the
// child slot starts it (the epoch) and spawns the writer process (snapshot-writer.ts)
// with the command line it returns, and releases it once the writer has exited. The
// server streams every database to it in slices between client events, and a
// keyspace observer preserves copy-on-write per key: before any change to a key that
// has not been streamed yet, its value as of the epoch is encoded and sent first.
// The file is therefore exactly the dataset at the moment BGSAVE was accepted.
// docs/persistence.md explains the algorithm.
//
// The same producer serves an AOF rewrite (an "aof-rewrite" child, output "aof-base"):
// the stream and the copy-on-write are the same, and the writer writes the rewrite's
// base file instead of dump.rdb (an RDB preamble or commands).
//
// Source bookkeeping. A "source" is one database's KeyTable as it was at the epoch
// (keytable.ts: every key has a stable slot; SCAN relies on the same). A key is still
// to be streamed when its slot is at or after the source's cursor, it was not preserved
// already, and it was not created after the epoch. FLUSHDB gives a database a new
// table, so the old one becomes frozen and is streamed as it is, with no copy; SWAPDB
// exchanges tables between two databases, so sources are found by table identity, not
// by db index.

import { unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "../server.ts";
import type { Database, KeyspaceObserver } from "../db/keyspace.ts";
import type { KeyTable } from "../db/keytable.ts";
import { ValueEncoder, type RdbEncodeOptions } from "./rdb/encoder.ts";
import {
  encodeFrame,
  FrameReader,
  KeyRecords,
  RAW_STRING_TYPE,
  WRITER_WINDOW_BYTES,
  writerArgv,
  type ServerMessage,
  type WriterArgs,
  type WriterMessage,
} from "./snapshot-protocol.ts";
import { memorySnapshot } from "../memory.ts";
import type { ChildProducer } from "./child.ts";

const WRITER_SCRIPT = join(import.meta.dir, "snapshot-writer.ts");
/** One slice of streaming may hold the event loop for about this long. */
const SLICE_BUDGET_MS = 0.5;
/** Stop producing stream slices while this much is waiting for the writer. */
const HIGH_WATER_BYTES = 2 * 1024 * 1024;
/** Keys per "keys" frame. */
const BATCH_KEYS = 512;

/** What the writer writes: see WriterOutput in snapshot-protocol.ts. */
export type SnapshotOutput = "rdb" | "aof-base";

interface Source {
  /** The database index the keys had at the epoch (where they go in the file). */
  dbIndex: number;
  table: KeyTable;
  /** Slots below this were streamed. */
  cursor: number;
  keyCount: number;
  expiresCount: number;
  /** Keys sent ahead of the stream because they were about to change. */
  preserved: Set<string>;
  /** Keys that did not exist at the epoch. */
  bornAfter: Set<string>;
  announced: boolean;
}


export class SnapshotCoordinator implements KeyspaceObserver, ChildProducer {
  /** The epoch: when start() ran (ms). */
  private epochMs = 0;
  keysTotal = 0;
  keysProcessed = 0;
  cowSize = 0;
  cowPeak = 0;
  cowUpdatedAt = 0;
  /** Bytes of values preserved because clients changed them before they were streamed. */
  preservedBytes = 0;
  writerRss = 0;
  bytesWritten = 0;
  /** Why the writer failed, as it reported it ("rename: Is a directory"). */
  failureCause = "";

  private readonly sources: Source[] = [];
  private readonly sourceByTable = new Map<KeyTable, Source>();
  private streamIndex = 0;
  private readonly socketPath: string;
  private listener: import("bun").UnixSocketListener<undefined> | null = null;
  private socket: import("bun").Socket<undefined> | null = null;
  /** Frames not yet handed to the socket (the head maybe in part: outgoingOffset). */
  private outgoing: Uint8Array[] = [];
  private outgoingOffset = 0;
  private outgoingBytes = 0;
  /** Bytes of frames handed to the socket that the writer has not reported consumed. */
  private unconsumedBytes = 0;
  private streamScheduled = false;
  private streamDone = false;
  private released = false;
  private readonly options: RdbEncodeOptions;
  /** Encodes the old values preserved ahead of the stream (its own: see ValueEncoder). */
  private readonly values = new ValueEncoder();
  private readonly reader = new FrameReader();
  /** The batch being built: records of keys of database batchDb (-1: none yet). */
  private readonly batch = new KeyRecords();
  private batchDb = -1;

  /** What the writer makes of the stream: dump.rdb, or an AOF rewrite's base file. */
  readonly output: SnapshotOutput;

  /**
   * `options.output`: "rdb" (the default) for a BGSAVE's dump.rdb, the producer of an
   * "rdb" child; "aof-base" for the base file of an AOF rewrite, the producer of an
   * "aof-rewrite" child (its format, RDB preamble or commands, is read from the config
   * when it starts, as Redis's child reads aof-use-rdb-preamble at the fork).
   */
  constructor(
    private readonly server: Server,
    options: { output?: SnapshotOutput } = {},
  ) {
    this.output = options.output ?? "rdb";
    this.options = server.persistence.encodeOptions();
    this.socketPath = join(tmpdir(), `bunker-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}.sock`);
  }

  /**
   * Records the epoch, begins observing every database and listens for the writer;
   * returns the writer's command line (the child slot spawns it). From here on every
   * change passes through beforeChange. Cost: constant in the dataset size.
   */
  start(): string[] {
    const server = this.server;
    this.epochMs = Date.now();
    for (const db of server.dbs) {
      if (db.size === 0) continue;
      const source: Source = {
        dbIndex: db.index,
        table: db.table,
        cursor: 0,
        keyCount: db.size,
        expiresCount: db.expiresCount,
        preserved: new Set(),
        bornAfter: new Set(),
        announced: false,
      };
      this.sources.push(source);
      this.sourceByTable.set(db.table, source);
      this.keysTotal += db.size;
    }
    // Frames queue until the writer connects; "begin" must be the first of them.
    // The libraries at the snapshot's instant: a library's code never changes (FUNCTION
    // LOAD REPLACE makes a new one), so the list taken now is the point-in-time one.
    this.send(["begin", { ctime: Math.floor(this.epochMs / 1000), usedMem: memorySnapshot().used, functions: this.server.scripting.functions.codes() }]);
    for (const db of server.dbs) db.observers.push(this);
    // An exit before the writer connects (SHUTDOWN, a fatal error) would leave the file.
    process.once("exit", this.removeSocketFile);
    this.listener = Bun.listen<undefined>({
      unix: this.socketPath,
      socket: {
        open: (socket) => {
          if (this.socket !== null || this.released) {
            socket.end();
            return;
          }
          this.socket = socket;
          this.closeListener();
          this.drain();
        },
        data: (_socket, chunk) => {
          this.reader.push(chunk, (message) => this.onWriterMessage(message as WriterMessage));
        },
        drain: () => this.drain(),
        close: () => {
          this.socket = null;
          // The writer went away: nothing more can be sent; stop preserving values.
          this.release();
        },
        error: () => this.release(),
      },
    });
    const config = server.config;
    const aofBase = this.output === "aof-base";
    const writerArgs: WriterArgs = {
      socketPath: this.socketPath,
      dir: process.cwd(),
      output: aofBase
        ? { kind: "aof-base", preamble: config.getBool("aof-use-rdb-preamble"), timestamp: config.getBool("aof-timestamp-enabled") }
        : { kind: "rdb", dbfilename: config.getString("dbfilename") },
      checksum: config.getBool("rdbchecksum"),
      compression: config.getBool("rdbcompression"),
      incrementalFsync: config.getBool(aofBase ? "aof-rewrite-incremental-fsync" : "rdb-save-incremental-fsync"),
      keySaveDelayMicros: config.getNumber("rdb-key-save-delay"),
      logfile: config.getString("logfile"),
      loglevel: config.getString("loglevel"),
    };
    return [process.execPath, "--smol", WRITER_SCRIPT, ...writerArgv(writerArgs)];
  }

  // ---- the copy-on-write hook ------------------------------------------------------

  beforeChange(db: Database, key: string, slot: number): void {
    const source = this.sourceByTable.get(db.table);
    if (source === undefined) return; // a database created or emptied after the epoch
    if (slot < 0) {
      // The key did not exist at the epoch or was removed since (then already preserved).
      if (!source.preserved.has(key)) source.bornAfter.add(key);
      return;
    }
    if (!this.isPending(source, key, slot)) return;
    source.preserved.add(key);
    const bytes = this.addToBatch(source.dbIndex, source.table, slot);
    this.preservedBytes += bytes;
    this.flushBatch();
    this.updateCow();
  }

  beforeClear(db: Database): void {
    // FLUSHDB/SWAPDB replace the database's table: the old one is frozen as it is and
    // keeps being streamed from, so nothing needs copying. Table identity still finds it.
    void db;
  }

  private isPending(source: Source, key: string, slot: number): boolean {
    if (source.preserved.has(key) || source.bornAfter.has(key)) return false;
    const order = this.sources.indexOf(source);
    if (order < this.streamIndex) return false;
    if (order > this.streamIndex) return true;
    return slot >= source.cursor;
  }

  // ---- streaming ----------------------------------------------------------------------

  private scheduleStream(): void {
    if (this.streamScheduled || this.streamDone || this.released) return;
    this.streamScheduled = true;
    setImmediate(() => {
      this.streamScheduled = false;
      this.streamSlice();
    });
  }

  /** Streams keys for about SLICE_BUDGET_MS, then yields to clients. */
  private slices = 0;

  private streamSlice(): void {
    if (this.released || this.streamDone) return;
    // Encoding leaves short-lived garbage; an eden collection now and then keeps it from
    // growing the heap (the save's memory cost) before the collector would run anyway.
    if (++this.slices % 16 === 0) Bun.gc(false);
    const started = performance.now();
    let sinceClock = 0;
    while (this.streamIndex < this.sources.length) {
      if (this.outgoingBytes > HIGH_WATER_BYTES) {
        this.flushBatch();
        return; // resumed by drain()
      }
      const source = this.sources[this.streamIndex]!;
      if (!source.announced) {
        this.flushBatch();
        this.send(["db", source.dbIndex, source.keyCount, source.expiresCount]);
        source.announced = true;
      }
      const table = source.table;
      const checkSets = source.preserved.size > 0 || source.bornAfter.size > 0;
      while (source.cursor < table.slotCount) {
        const slot = source.cursor++;
        if (!table.isLive(slot)) continue;
        if (checkSets) {
          const key = table.keyAt(slot);
          if (source.preserved.has(key) || source.bornAfter.has(key)) continue;
        }
        this.addToBatch(source.dbIndex, table, slot);
        if (this.batch.count >= BATCH_KEYS) this.flushBatch();
        if (++sinceClock >= 32) {
          sinceClock = 0;
          if (performance.now() - started > SLICE_BUDGET_MS || this.outgoingBytes > HIGH_WATER_BYTES) {
            this.flushBatch();
            this.scheduleStream();
            return;
          }
        }
      }
      this.flushBatch();
      this.streamIndex++;
    }
    this.flushBatch();
    this.send(["end"]);
    this.streamDone = true;
    this.detachObservers();
  }

  /**
   * Copies one key into the current batch; returns the bytes it takes. Strings go as
   * they are: the writer tries the integer and LZF forms, off this process's CPU.
   */
  private addToBatch(dbIndex: number, table: KeyTable, slot: number): number {
    if (this.batchDb !== dbIndex) {
      this.flushBatch();
      this.batchDb = dbIndex;
    }
    const batch = this.batch;
    const start = batch.length;
    const keyLength = table.keyLengthOf(slot);
    const keyAt = batch.beginKey(keyLength);
    table.copyKey(slot, batch.bytes, keyAt);
    // Each begin* may move the buffer: batch.bytes is read after it.
    if (table.isInline(slot)) {
      const payloadAt = batch.beginPayload(RAW_STRING_TYPE, table.inlineLengthOf(slot));
      table.copyInlineValue(slot, batch.bytes, payloadAt);
    } else {
      const value = table.valueAt(slot);
      const encoded = value instanceof Uint8Array ? { type: RAW_STRING_TYPE, payload: value } : this.values.encode(value, this.options);
      const payloadAt = batch.beginPayload(encoded.type, encoded.payload.length);
      batch.bytes.set(encoded.payload, payloadAt);
    }
    batch.endKey(table.expireAtOf(slot));
    return batch.length - start;
  }

  private flushBatch(): void {
    const batch = this.batch;
    if (batch.count === 0) return;
    this.send(["keys", this.batchDb, batch.count, batch.contents()]);
    batch.clear();
  }

  private send(message: ServerMessage): void {
    if (this.released) return;
    const frame = encodeFrame(message);
    this.outgoing.push(frame);
    this.outgoingBytes += frame.length;
    this.writeOutgoing();
    this.updateCow();
  }

  /**
   * Hands queued frames to the socket while the kernel takes them and the writer's window
   * has room; returns true when nothing is left queued. A frame once started is finished
   * whatever the window: the writer consumes (and reports) whole frames only.
   */
  private writeOutgoing(): boolean {
    const socket = this.socket;
    if (socket === null) return false;
    while (this.outgoing.length > 0) {
      const head = this.outgoing[0]!;
      const starting = this.outgoingOffset === 0;
      if (starting && this.unconsumedBytes >= WRITER_WINDOW_BYTES) return false;
      const chunk = starting ? head : head.subarray(this.outgoingOffset);
      const written = socket.write(chunk);
      if (written <= 0) return false;
      if (starting) this.unconsumedBytes += head.length;
      this.outgoingBytes -= written;
      if (written < chunk.length) {
        this.outgoingOffset += written;
        return false;
      }
      this.outgoing.shift();
      this.outgoingOffset = 0;
    }
    return true;
  }

  /** The socket took what it could not before, or the writer's window reopened. */
  private drain(): void {
    const empty = this.writeOutgoing();
    this.updateCow();
    if (empty) this.scheduleStream();
  }

  /** What the server holds for the save: preserved values plus bytes queued for the writer. */
  private updateCow(): void {
    const cow = this.preservedBytes + this.outgoingBytes;
    this.cowSize = cow;
    this.cowUpdatedAt = Date.now();
    if (cow > this.cowPeak) this.cowPeak = cow;
  }

  private onWriterMessage(message: WriterMessage): void {
    if (message[0] === "consumed") {
      this.unconsumedBytes -= message[1];
      this.drain();
    } else if (message[0] === "progress") {
      this.keysProcessed = message[1];
      this.bytesWritten = message[2];
      this.writerRss = message[3];
    } else if (message[0] === "error") {
      this.failureCause = message[1];
    }
  }

  // ---- ending ---------------------------------------------------------------------------

  private detachObservers(): void {
    for (const db of this.server.dbs) {
      const index = db.observers.indexOf(this);
      if (index >= 0) db.observers.splice(index, 1);
    }
    // Preserved values were handed to the socket; only what still waits counts now.
    this.preservedBytes = 0;
  }

  /**
   * Stops streaming and preserving but keeps the connection, so a writer being stopped
   * with SIGUSR1 exits through its signal handler (255), not through a closed stream.
   * No writer connects any more: one that had not yet will fail to, and exit.
   */
  stop(): void {
    this.closeListener();
    this.detachObservers();
    this.streamDone = true;
    this.outgoing = [];
    this.outgoingOffset = 0;
    this.outgoingBytes = 0;
    this.batch.clear();
  }

  /** Stops streaming and preserving and closes the channel (the writer ended). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.detachObservers();
    this.outgoing = [];
    this.outgoingOffset = 0;
    this.outgoingBytes = 0;
    this.batch.clear();
    this.socket?.end();
    this.socket = null;
    this.closeListener();
  }

  /**
   * The socket file is only where the writer finds the server: it is removed as soon as
   * the writer has connected (the connection does not need it) or never will, so that
   * no end of the server, not even SIGKILL, leaves it in the temp dir. Idempotent.
   */
  private closeListener(): void {
    process.off("exit", this.removeSocketFile);
    this.listener?.stop(false);
    this.listener = null;
    this.removeSocketFile();
  }

  private readonly removeSocketFile = (): void => {
    try {
      unlinkSync(this.socketPath);
    } catch {
      // Already removed, or never created.
    }
  };
}
