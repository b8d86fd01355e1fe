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
// Two producers stream the keys. The snapshot worker (snapshot-worker.ts), a thread,
// reads the keys whose key and value lie in the table's arenas (shared memory) and
// posts ready-made frames, which this thread only hands to the writer's socket; this
// thread streams the values only it can read (collections, long strings) in slices
// between client events, and the epoch values its copy-on-write hook preserves.
//
// Source bookkeeping. A "source" is one database's KeyTable as it was at the epoch
// (keytable.ts: every key has a stable slot; SCAN relies on the same), held for the
// save (holdForSnapshot: new keys get new slots, no arena bytes move). One claim byte
// per epoch slot says who writes its key to the file (snapshot-protocol.ts): a key is
// still to be streamed while its claim is UNCLAIMED, or READING by the worker, whose
// read the hook then overrides. Keys created after the epoch have slots past the epoch's
// and are never visited. FLUSHDB gives a database a new table, so the old one becomes
// frozen and is streamed as it is, with no copy; SWAPDB exchanges tables between two
// databases, so sources are found by table identity, not by db index.

import { unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "../server.ts";
import type { Database, KeyspaceObserver } from "../db/keyspace.ts";
import { SLOT_OBJECT, type KeyTable, type SharedTableView } from "../db/keytable.ts";
import { ValueEncoder, type RdbEncodeOptions } from "./rdb/encoder.ts";
import {
  BATCH_KEYS,
  CLAIM_PRESERVED,
  CLAIM_READING,
  CLAIM_STREAMED,
  CLAIM_UNCLAIMED,
  CONTROL_CANCEL,
  CONTROL_FREED,
  CONTROL_POOL,
  encodeFrame,
  newControlCells,
  POOL_BUFFER_BYTES,
  POOL_BUFFERS,
  FrameReader,
  KeyRecords,
  RAW_STRING_TYPE,
  WRITER_WINDOW_BYTES,
  writerArgv,
  type ServerMessage,
  type WriterArgs,
  type WriterMessage,
} from "./snapshot-protocol.ts";
import { usedMemory } from "../memory.ts";
import { logger } from "../log.ts";
import type { ChildProducer } from "./child.ts";
import type { WorkerJob, WorkerReply } from "./snapshot-worker.ts";

const WRITER_SCRIPT = join(import.meta.dir, "snapshot-writer.ts");

/**
 * The snapshot worker thread, kept (idle, unref'd) from one save to the next. Creating
 * it and loading its modules holds this thread for milliseconds, which a save's start
 * (latest_fork_usec) should not pay: the server starts it once it is ready
 * (startSnapshotWorker); a save starts it if it is not there. Jobs of coordinators in
 * flight, by job number.
 */
let snapshotWorker: Worker | null = null;
let lastJob = 0;
const jobs = new Map<number, SnapshotCoordinator>();

export function startSnapshotWorker(): Worker {
  if (snapshotWorker === null) {
    snapshotWorker = new Worker(join(import.meta.dir, "snapshot-worker.ts"));
    snapshotWorker.onmessage = (event: MessageEvent<WorkerReply>) => jobs.get(event.data.job)?.onWorkerReply(event.data);
    // A worker that dies (it could not load, say) answers no job: its saves fail with the
    // reason, and the next save starts a new worker.
    snapshotWorker.onerror = (event: ErrorEvent) => {
      snapshotWorker?.terminate();
      snapshotWorker = null;
      for (const [job, coordinator] of [...jobs]) coordinator.onWorkerReply({ job, error: event.message || "the snapshot worker stopped" });
    };
    snapshotWorker.unref();
  }
  return snapshotWorker;
}

function postJob(coordinator: SnapshotCoordinator, job: WorkerJob): void {
  jobs.set(job.job, coordinator);
  startSnapshotWorker().postMessage(job);
}

/** One slice of streaming may hold the event loop for about this long. */
const SLICE_BUDGET_MS = 0.5;
/** Stop producing stream slices while this much is waiting for the writer. */
const HIGH_WATER_BYTES = 2 * 1024 * 1024;

/** What the writer writes: see WriterOutput in snapshot-protocol.ts. */
export type SnapshotOutput = "rdb" | "aof-base" | "socket";

/**
 * Where a diskless sync's RDB goes (output "socket", the producer of an "rdb-to-socket"
 * child): the writer sends it back in frames, and the server hands them on to the
 * replicas (replication/master.ts).
 */
export interface SocketTarget {
  /** The 40 random characters around the RDB ($EOF:<mark>\r\n ... <mark>). */
  readonly eofMark: string;
  /** The next bytes of the marked RDB. */
  onData(bytes: Uint8Array): void;
  /** The writer sent the last byte; it exits once closeWriterChannel() is called. */
  onEnd(): void;
}

interface Source {
  /** The database index the keys had at the epoch (where they go in the file). */
  dbIndex: number;
  table: KeyTable;
  /** This thread's walk for the values the worker cannot read: slots below were visited. */
  cursor: number;
  keyCount: number;
  expiresCount: number;
  /**
   * The table as the worker reads it, taken at the epoch; its slotCount is the epoch's:
   * later slots hold keys created since.
   */
  view: SharedTableView;
  /** One claim byte per epoch slot (CLAIM_*), shared with the worker. */
  claims: Uint8Array;
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
  /** Per frame in `outgoing`, the pool buffer it lies in (-1: a frame of this thread's). */
  private outgoingPoolBuffers: number[] = [];
  private outgoingOffset = 0;
  private outgoingBytes = 0;
  /** Bytes of frames handed to the socket that the writer has not reported consumed. */
  private unconsumedBytes = 0;
  private streamScheduled = false;
  /** For the source being streamed: this thread's walk is over; the worker's job is over. */
  private walkDone = false;
  private workerDone = false;
  private streamDone = false;
  private released = false;
  private holdsReleased = false;
  private flushScheduled = false;
  /** The worker's job number, the cells it shares (CONTROL_*) and the buffers its frames come in. */
  private job = 0;
  private readonly control = newControlCells(POOL_BUFFERS);
  private readonly pool = Array.from({ length: POOL_BUFFERS }, () => new Uint8Array(new SharedArrayBuffer(POOL_BUFFER_BYTES)));
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
  /** Output "socket": where the RDB goes. */
  private readonly socketTarget: SocketTarget | null;
  /** REPLCONF rdb-filter-only: an RDB without keys, or without function libraries. */
  private readonly excludeData: boolean;
  private readonly excludeFunctions: boolean;

  constructor(
    private readonly server: Server,
    options: { output?: SnapshotOutput; socketTarget?: SocketTarget; excludeData?: boolean; excludeFunctions?: boolean } = {},
  ) {
    this.output = options.output ?? "rdb";
    this.socketTarget = options.socketTarget ?? null;
    this.excludeData = options.excludeData ?? false;
    this.excludeFunctions = options.excludeFunctions ?? false;
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
      if (db.size === 0 || this.excludeData) continue;
      const view = db.table.holdForSnapshot();
      const source: Source = {
        dbIndex: db.index,
        table: db.table,
        cursor: 0,
        keyCount: db.size,
        expiresCount: db.expiresCount,
        view,
        // Zero-filled pages from the kernel: allocating it costs nothing per slot.
        claims: new Uint8Array(new SharedArrayBuffer(view.slotCount)),
      };
      this.sources.push(source);
      this.sourceByTable.set(db.table, source);
      this.keysTotal += db.size;
    }
    // Frames queue until the writer connects; "begin" must be the first of them.
    // The libraries at the snapshot's instant: a library's code never changes (FUNCTION
    // LOAD REPLACE makes a new one), so the list taken now is the point-in-time one.
    // rdbPopulateSaveInfo: an RDB (not an AOF base) names the replication history it is
    // the state of, as of this same instant (a replica's FULLRESYNC offset is this one).
    const replication = this.output === "aof-base" ? undefined : server.replication.rdbPopulateSaveInfo();
    this.send(["begin", { ctime: Math.floor(this.epochMs / 1000), usedMem: usedMemory(this.server), functions: this.excludeFunctions ? [] : this.server.scripting.functions.codes(), replication }]);
    for (const db of server.dbs) db.observers.push(this);
    // An exit before the writer connects (SHUTDOWN, a fatal error) would leave the file.
    process.once("exit", this.removeSocketFile);
    this.beginSource();
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
        : this.socketTarget !== null
          ? { kind: "socket", eofMark: this.socketTarget.eofMark }
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

  beforeChange(db: Database, _key: string, slot: number): void {
    const source = this.sourceByTable.get(db.table);
    if (source === undefined) return; // a database created or emptied after the epoch
    // A key being created, or created after the epoch (its slot is a new one).
    if (slot < 0 || slot >= source.view.slotCount) return;
    const claims = source.claims;
    for (;;) {
      const claim = Atomics.load(claims, slot);
      if (claim !== CLAIM_UNCLAIMED && claim !== CLAIM_READING) return; // streamed or preserved already
      // Taken from the worker too if it is reading the slot: it drops what it read.
      if (Atomics.compareExchange(claims, slot, claim, CLAIM_PRESERVED) === claim) break;
    }
    this.preservedBytes += this.addToBatch(source.dbIndex, source.table, slot);
    // The copy is made; sending it can wait for the end of this event-loop turn.
    if (this.batch.count >= BATCH_KEYS) this.flushBatch();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushBatch();
      });
    }
    this.updateCow();
  }

  beforeClear(db: Database): void {
    // FLUSHDB/SWAPDB replace the database's table: the old one is frozen as it is and
    // keeps being streamed from, so nothing needs copying. Table identity still finds it.
    void db;
  }

  // ---- streaming ----------------------------------------------------------------------

  private scheduleStream(): void {
    if (this.streamScheduled || this.walkDone || this.streamDone || this.released) return;
    this.streamScheduled = true;
    setImmediate(() => {
      this.streamScheduled = false;
      this.streamSlice();
    });
  }

  /** Streams the values only this thread can read for about SLICE_BUDGET_MS, then yields to clients. */
  private slices = 0;

  private streamSlice(): void {
    if (this.released || this.walkDone || this.streamDone) return;
    // Encoding leaves short-lived garbage; an eden collection now and then keeps it from
    // growing the heap (the save's memory cost) before the collector would run anyway.
    if (++this.slices % 16 === 0) Bun.gc(false);
    const started = performance.now();
    let sinceClock = 0;
    if (this.outgoingBytes > HIGH_WATER_BYTES) {
      this.flushBatch();
      return; // resumed by drain()
    }
    const source = this.sources[this.streamIndex]!;
    const table = source.table;
    const claims = source.claims;
    const epochSlotCount = source.view.slotCount;
    while (source.cursor < epochSlotCount) {
      const slot = source.cursor++;
      // An unclaimed slot still holds its epoch key: the worker reads arena records.
      if (Atomics.load(claims, slot) === CLAIM_UNCLAIMED && table.kindOf(slot) === SLOT_OBJECT) {
        Atomics.store(claims, slot, CLAIM_STREAMED);
        this.addToBatch(source.dbIndex, table, slot);
        if (this.batch.count >= BATCH_KEYS) this.flushBatch();
        sinceClock += 32;
      }
      // Skipping a slot costs a few nanoseconds, encoding a value far more.
      if (++sinceClock >= 1024) {
        sinceClock = 0;
        if (performance.now() - started > SLICE_BUDGET_MS || this.outgoingBytes > HIGH_WATER_BYTES) {
          this.flushBatch();
          this.scheduleStream();
          return;
        }
      }
    }
    this.flushBatch();
    this.walkDone = true;
    this.nextSourceIfDone();
  }

  /**
   * Starts streaming the next source: its SELECTDB + RESIZEDB, the worker's job over its
   * arena records, this thread's walk over its other values. One database at a time, so
   * that the file lists each database's keys together as Redis's does (only keys
   * preserved ahead of the stream switch databases in between). Past the last source,
   * the file ends.
   */
  private beginSource(): void {
    if (this.streamIndex >= this.sources.length) {
      this.finish();
      return;
    }
    const source = this.sources[this.streamIndex]!;
    this.flushBatch();
    this.send(["db", source.dbIndex, source.keyCount, source.expiresCount]);
    this.walkDone = false;
    this.workerDone = false;
    this.job = ++lastJob;
    postJob(this, {
      job: this.job,
      source: { dbIndex: source.dbIndex, view: source.view, claims: source.claims },
      control: this.control,
      pool: this.pool,
    });
    this.scheduleStream();
  }

  private nextSourceIfDone(): void {
    if (!this.walkDone || !this.workerDone || this.streamDone || this.released) return;
    this.flushBatch();
    this.streamIndex++;
    this.beginSource();
  }

  /** Every source is streamed: the file can end, and the tables go back to normal. */
  private finish(): void {
    this.flushBatch();
    this.send(["end"]);
    this.streamDone = true;
    this.detachObservers();
    this.releaseHolds();
  }

  /** What the worker posts: a frame to relay, the end of its job, or why it failed. */
  onWorkerReply(reply: WorkerReply): void {
    if ("buffer" in reply) {
      if (this.released || this.streamDone) this.freePoolBuffer(reply.buffer);
      else this.sendFrame(this.pool[reply.buffer]!.subarray(0, reply.length), reply.buffer);
      return;
    }
    jobs.delete(reply.job);
    if (reply.job !== this.job) return;
    if ("error" in reply) {
      this.failureCause = `snapshot worker: ${reply.error}`;
      logger.warning(`${this.output === "aof-base" ? "Background AOF rewrite" : this.output === "socket" ? "Background RDB transfer" : "Background save"} aborted: ${this.failureCause}`);
      this.release();
      return;
    }
    this.workerDone = true;
    this.nextSourceIfDone();
  }

  /** Stops the worker's job (it notices between slots) and gives the tables back. */
  private releaseHolds(): void {
    if (this.holdsReleased) return;
    this.holdsReleased = true;
    Atomics.store(this.control, CONTROL_CANCEL, 1);
    Atomics.notify(this.control, CONTROL_FREED);
    for (const source of this.sources) source.table.releaseSnapshotHold();
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
    this.sendFrame(encodeFrame(message));
  }

  private sendFrame(frame: Uint8Array, poolBuffer = -1): void {
    this.outgoing.push(frame);
    this.outgoingPoolBuffers.push(poolBuffer);
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
      this.freePoolBuffer(this.outgoingPoolBuffers.shift()!);
      this.outgoingOffset = 0;
    }
    return true;
  }

  /** The socket took a worker's frame (or it will not be sent): its buffer can take another. */
  private freePoolBuffer(buffer: number): void {
    if (buffer < 0) return;
    const control = this.control;
    Atomics.store(control, CONTROL_POOL + buffer, 0);
    Atomics.add(control, CONTROL_FREED, 1);
    Atomics.notify(control, CONTROL_FREED);
  }

  /** Drops what waits for the socket; the worker's buffers among it are free again. */
  private dropOutgoing(): void {
    for (const buffer of this.outgoingPoolBuffers) this.freePoolBuffer(buffer);
    this.outgoing = [];
    this.outgoingPoolBuffers = [];
    this.outgoingOffset = 0;
    this.outgoingBytes = 0;
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
    } else if (message[0] === "rdb") {
      this.socketTarget?.onData(message[1]);
    } else if (message[0] === "rdb-end") {
      this.socketTarget?.onEnd();
    }
  }

  // ---- output "socket": the replicas' pace -------------------------------------------

  /**
   * The slowest replica is behind: stop reading the writer's frames, so its RDB output
   * waits in the channel and the writer stops taking keys (rdbPipeReadHandler removing
   * its read handler while a replica's socket is not writable).
   */
  pauseWriterInput(): void {
    this.socket?.pause();
  }

  resumeWriterInput(): void {
    this.socket?.resume();
  }

  /** Every byte reached the replicas: the writer may exit (rdb_child_exit_pipe closed). */
  closeWriterChannel(): void {
    this.socket?.end();
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
    this.releaseHolds();
    this.streamDone = true;
    this.dropOutgoing();
    this.batch.clear();
  }

  /** Stops streaming and preserving and closes the channel (the writer ended). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.detachObservers();
    this.releaseHolds();
    jobs.delete(this.job);
    this.dropOutgoing();
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
