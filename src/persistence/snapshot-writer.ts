#!/usr/bin/env bun
// The snapshot writer: the child process of a background save (Redis's
// `redis-rdb-bgsave`) and of an AOF rewrite (`redis-aof-rewrite`). It connects back to
// the server over a Unix socket, receives the keyspace as RDB-encoded records
// (snapshot-protocol.ts) and writes, in `dir`, one of (WriterOutput):
//   rdb                 temp-<pid>.rdb: header, keys, EOF, CRC64; fsync, rename over
//                       dbfilename, fsync the directory, exit 0
//   aof-base, preamble  temp-rewriteaof-<pid>.aof: the same RDB with aux aof-base=1
//   aof-base, commands  temp-rewriteaof-<pid>.aof: each key decoded and written as the
//                       commands that rebuild it (aof/rewrite-commands.ts)
// an AOF base then being fsynced and renamed to temp-rewriteaof-bg-<pid>.aof, which the
// server's done-handler moves into the AOF directory.
//
// Failure handling mirrors Redis's child: an I/O error logs the cause, removes the temp
// file and exits 1; SIGUSR1 exits 255 at once (the server treats it as a deliberate
// stop). Unlike Redis's child, the writer cannot finish without its server: when the
// stream closes before "end" (the server stopped it, exited or was killed) it removes
// its temp file and exits 1 at once.
//
// This module is the child's program: its top-level state is that one process's.
//
// argv: see WriterArgs (writerArgv / parseWriterArgv).

import { readFileSync } from "node:fs";
import { AofRewriteFileWriter, aofRewriteChildFileName, RdbFileWriter, type RdbFileFailure } from "./rdb-file.ts";
import { ByteWriter, RdbEncoder } from "./rdb/encoder.ts";
import { ValueDecoder, type RdbLoadLimits } from "./rdb/decoder.ts";
import { AofRewriteWriter } from "./aof/rewrite-commands.ts";
import {
  encodeFrame,
  FrameReader,
  KeyRecordReader,
  parseWriterArgv,
  RAW_STRING_TYPE,
  WRITER_WINDOW_BYTES,
  type ServerMessage,
} from "./snapshot-protocol.ts";
import { logger, type LogLevel } from "../log.ts";
import { REDIS_VERSION } from "../version.ts";
import { errorText } from "../util/errors-text.ts";

const args = parseWriterArgv(process.argv.slice(2));
const output = args.output;
logger.role = "C";
logger.file = args.logfile;
logger.level = (args.loglevel as LogLevel) || "notice";

/** Where the bytes go: a temp file renamed into place, or (output "socket") the server. */
interface OutputSink {
  open(): RdbFileFailure | null;
  write(chunk: Uint8Array): void;
  writeFailure(stage: string, error: unknown): RdbFileFailure;
  commit(): RdbFileFailure | null;
  abandon(): void;
}

/**
 * A diskless sync's output: "rdb" frames on the channel. The channel's kernel buffer
 * is the pipe of Redis's rdb-to-slaves child: when the server stops reading it (its
 * slowest replica is behind), writes stop being taken, what is left waits here and
 * the key queue is not processed until the socket drains (processQueue awaits
 * `drained`), so that the server in turn stops streaming keys.
 */
class ServerSink implements OutputSink {
  private unsent: Uint8Array[] = [];
  private waiters: Array<() => void> = [];

  get blocked(): boolean {
    return this.unsent.length > 0;
  }

  open(): RdbFileFailure | null {
    return null;
  }

  write(chunk: Uint8Array): void {
    this.sendFrame(encodeFrame(["rdb", chunk]));
  }

  /** Every frame to the server goes through here in this mode, so none cuts into another. */
  sendFrame(frame: Uint8Array): void {
    if (this.unsent.length > 0 || socket === null) {
      this.unsent.push(frame);
      return;
    }
    const written = socket.write(frame);
    if (written < frame.length) this.unsent.push(frame.subarray(Math.max(0, written)));
  }

  /** The socket can take more (its drain event). */
  onDrain(): void {
    while (this.unsent.length > 0 && socket !== null) {
      const head = this.unsent[0]!;
      const written = socket.write(head);
      if (written < head.length) {
        this.unsent[0] = head.subarray(Math.max(0, written));
        return;
      }
      this.unsent.shift();
    }
    if (this.unsent.length === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  drained(): Promise<void> {
    return this.unsent.length === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  writeFailure(stage: string, error: unknown): RdbFileFailure {
    return { logLine: `Write error saving DB to replicas (${stage}): ${errorText(error)}`, cause: `${stage}: ${errorText(error)}` };
  }

  commit(): RdbFileFailure | null {
    return null;
  }

  abandon(): void {
    this.unsent = [];
  }
}

const serverSink = output.kind === "socket" ? new ServerSink() : null;

function sendToServer(frame: Uint8Array): void {
  if (serverSink !== null) serverSink.sendFrame(frame);
  else socket?.write(frame);
}
const file: OutputSink =
  output.kind === "rdb"
    ? new RdbFileWriter(args.dir, output.dbfilename, process.pid, args.incrementalFsync)
    : output.kind === "socket"
      ? serverSink!
      : new AofRewriteFileWriter(args.dir, aofRewriteChildFileName(process.pid), process.pid, args.incrementalFsync);

process.on("SIGUSR1", () => {
  logger.warning("Received SIGUSR1 in child, exiting now.");
  process.exit(255);
});

let keysWritten = 0;
let finished = false;
// The first report goes out at key 1, as Redis's child reports before any second has passed.
let lastReport = -Infinity;
let socket: import("bun").Socket<undefined> | null = null;

/** Logs, removes the temp file, tells the server why, exits 1 (Redis's child exit code). */
function fail(failure: RdbFileFailure): never {
  logger.warning(failure.logLine);
  file.abandon();
  try {
    sendToServer(encodeFrame(["error", failure.cause]));
    socket?.flush();
  } catch {
    // The server may be gone already.
  }
  process.exit(1);
}

const openFailure = file.open();
if (openFailure !== null) fail(openFailure);

/** What the messages become in the file: an RDB (dump.rdb or a preamble) or commands. */
interface FileContents {
  readonly bytesWritten: number;
  begin(ctime: number, usedMem: number, functions: readonly Uint8Array[], replication?: { streamDb: number; replId: string; offset: number }): void;
  /** The start of a database's keys (RDB: SELECTDB + RESIZEDB). */
  startDb(index: number, keyCount: number, expiresCount: number): void;
  /** Keys of another database come next (preserved ahead of the stream). */
  switchDb(index: number): void;
  key(record: KeyRecordReader): void;
  /** Everything is out to the file (RDB: EOF and checksum). */
  end(): void;
}

function rdbContents(aofBase: boolean): FileContents {
  const encoder = new RdbEncoder((chunk) => file.write(chunk), {
    // Collections arrive encoded; string values (and keys) are encoded here with rdbcompression.
    compression: args.compression,
    streamNodeMaxBytes: 4096,
    streamNodeMaxEntries: 100,
    checksum: args.checksum,
  });
  return {
    get bytesWritten() {
      return encoder.bytesWritten;
    },
    begin: (ctime, usedMem, functions, replication) => {
      encoder.writeHeader({ redisVer: REDIS_VERSION, ctime, usedMem, aofBase, replication });
      for (const code of functions) encoder.writeFunction(code);
    },
    startDb: (index, keyCount, expiresCount) => encoder.selectDb(index, keyCount, expiresCount),
    // Loaders (Redis's included) accept any number of SELECTDB opcodes.
    switchDb: (index) => encoder.selectDbOnly(index),
    key: (record) => {
      const expire = record.expireAt === -1 ? undefined : record.expireAt;
      if (record.type === RAW_STRING_TYPE) encoder.writeKey(record.key, record.payload, expire);
      else encoder.writeEncodedKey(record.key, record.type, record.payload, expire);
    },
    end: () => encoder.finish(),
  };
}

function commandContents(timestamp: boolean): FileContents {
  const out = new ByteWriter(64 * 1024, (chunk) => file.write(chunk));
  const commands = new AofRewriteWriter(out);
  // One value at a time: decoded, written as commands, dropped.
  const decoder = new ValueDecoder();
  // Decoded as sent: no value is made smaller than its payload's encoding, where a load
  // would convert it. A skiplist zset then keeps a -0 score (a listpack would make it 0,
  // but Redis writes the -0 of its skiplist), and a hashtable set of integers keeps its
  // order (an intset would sort it): the commands follow the server's value.
  const asSent: RdbLoadLimits = {
    hashMaxListpackEntries: 0,
    hashMaxListpackValue: 0,
    zsetMaxListpackEntries: 0,
    zsetMaxListpackValue: 0,
    setMaxIntsetEntries: 0,
    // Lists are only read here (AOF base): their node settings do not matter.
    listMaxListpackSize: -2,
    listCompressDepth: 0,
  };
  // SELECT only when the database changes: keys preserved ahead of the stream may have
  // switched to a database before its turn came.
  let selected = -1;
  const select = (index: number): void => {
    if (index !== selected) commands.select(index);
    selected = index;
  };
  return {
    get bytesWritten() {
      return commands.bytesWritten;
    },
    begin: (ctime, _usedMem, functions) => {
      if (timestamp) commands.timestampAnnotation(ctime);
      for (const code of functions) commands.functionLoad(code);
    },
    startDb: select,
    switchDb: select,
    key: (record) => {
      const value = record.type === RAW_STRING_TYPE ? record.payload : decoder.decode(record.type, record.payload, asSent);
      commands.key(record.key, value, record.expireAt);
    },
    end: () => out.flush(),
  };
}

/** Redis's name for the writing step, in a failure's cause. */
const WRITE_STAGE = output.kind === "aof-base" ? "rewriteAppendOnlyFileRio" : "rdbSaveRio";
const contents = output.kind !== "aof-base" ? rdbContents(false) : output.preamble ? rdbContents(true) : commandContents(output.timestamp);

/**
 * rdb-key-save-delay, Redis's debugDelay per key: n > 0 is n µs per key, n < 0 is 1 µs
 * with probability 1/-n. Bun's timers have millisecond resolution (Bun.sleep of a
 * fraction of a millisecond returns at once), so the delay is owed per key and slept in
 * whole milliseconds once at least one is owed. What a sleep overran is credited against
 * the next keys, so the real time tracks the owed total; the credit is capped at one
 * millisecond, so a writer held up (SIGSTOP, a loaded machine) does not then rush through
 * keys with no delay at all. The wait is asynchronous so a SIGUSR1 is handled between
 * keys: Redis's child exits "at once" on it, and a JS signal handler only runs when the
 * event loop does.
 */
class KeySaveDelay {
  private owedMicros = 0;

  constructor(private readonly perKeyMicros: number) {}

  /** After each key: a promise to await when a whole millisecond is owed, else null. */
  afterKey(): Promise<void> | null {
    const n = this.perKeyMicros;
    if (n > 0) this.owedMicros += n;
    // Redis: usec = (rand() % -usec) == 0 ? 1 : 0.
    else if (n < 0 && Math.floor(Math.random() * -n) === 0) this.owedMicros += 1;
    return this.owedMicros >= 1000 ? this.sleepOwed() : null;
  }

  private async sleepOwed(): Promise<void> {
    const started = performance.now();
    await Bun.sleep(Math.floor(this.owedMicros / 1000));
    this.owedMicros = Math.max(-1000, this.owedMicros - (performance.now() - started) * 1000);
  }
}

const keySaveDelay = args.keySaveDelayMicros !== 0 ? new KeySaveDelay(args.keySaveDelayMicros) : null;

function residentBytes(): number {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function report(force: boolean): void {
  const now = performance.now();
  if (!force && now - lastReport < 1000) return;
  lastReport = now;
  sendToServer(encodeFrame(["progress", keysWritten, contents.bytesWritten, residentBytes()]));
}

let currentDb = -1;

async function handle(message: ServerMessage): Promise<void> {
  switch (message[0]) {
    case "begin":
      // rdbSaveRioWithEOFMark: the mark opens the stream, before the RDB's first byte.
      if (output.kind === "socket") file.write(new TextEncoder().encode(`$EOF:${output.eofMark}\r\n`));
      // msgpack carries an absent field as nil.
      contents.begin(message[1].ctime, message[1].usedMem, message[1].functions, message[1].replication ?? undefined);
      return;
    case "db":
      contents.startDb(message[1], message[2], message[3]);
      currentDb = message[1];
      return;
    case "keys": {
      const [, db, , records] = message;
      if (db !== currentDb) {
        contents.switchDb(db);
        currentDb = db;
      }
      const reader = new KeyRecordReader(records);
      while (reader.next()) {
        contents.key(reader);
        keysWritten++;
        const delay = keySaveDelay?.afterKey();
        if (delay) await delay;
        if ((keysWritten & 1023) === 1) report(false);
      }
      return;
    }
    case "end":
      finish();
      return;
  }
}

function finish(): void {
  try {
    contents.end();
    if (output.kind === "socket") file.write(new TextEncoder().encode(output.eofMark));
  } catch (error) {
    fail(file.writeFailure(WRITE_STAGE, error));
  }
  if (output.kind === "socket") {
    // As Redis's rdb-to-slaves child, exit only once the server says every byte has been
    // taken (it closes the channel): the done-handler then finds the transfer complete.
    finished = true;
    report(true);
    sendToServer(encodeFrame(["rdb-end"]));
    return;
  }
  const failure = file.commit();
  if (failure !== null) fail(failure);
  if (output.kind === "rdb") logger.notice("DB saved on disk");
  else logger.notice(`Successfully created the temporary AOF base file ${aofRewriteChildFileName(process.pid)}`);
  finished = true;
  report(true);
  socket?.flush();
  socket?.end();
  // Let the last progress frame leave before exiting.
  setTimeout(() => process.exit(0), 5);
}

/** How the log lines of an aborted run name it. */
const WHAT_RUNS = output.kind === "aof-base" ? "Background AOF rewrite" : output.kind === "socket" ? "Background RDB transfer" : "Background save";
const STREAM_CLOSED: RdbFileFailure = {
  logLine: `${WHAT_RUNS} aborted: the server closed the snapshot stream before its end.`,
  cause: "server closed the snapshot stream",
};

// Messages are processed in order, asynchronously: the event loop runs between batches
// and during key-save delays (signals, progress, the stream's close). The socket is read
// all the time; the server keeps what it sends within WRITER_WINDOW_BYTES of what was
// reported consumed (snapshot-protocol.ts), which bounds this queue and lets the server
// feel the writer's pace. Consumption is reported in quarters of the window, and
// whenever the queue runs dry, so the server never waits on a writer with nothing to do.
const CONSUMED_REPORT_BYTES = WRITER_WINDOW_BYTES / 4;
const reader = new FrameReader();
const queue: { message: ServerMessage; frameBytes: number }[] = [];
let unreportedBytes = 0;
let processing = false;

async function processQueue(): Promise<void> {
  processing = true;
  try {
    while (queue.length > 0) {
      const { message, frameBytes } = queue.shift()!;
      await handle(message);
      if (serverSink?.blocked) await serverSink.drained();
      unreportedBytes += frameBytes;
      if (!finished && (unreportedBytes >= CONSUMED_REPORT_BYTES || queue.length === 0)) {
        sendToServer(encodeFrame(["consumed", unreportedBytes]));
        unreportedBytes = 0;
      }
      // Let signals and socket events in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    fail(file.writeFailure(WRITE_STAGE, error));
  }
  processing = false;
}

/**
 * The server closed the stream, or went away (its socket closes with it, even if it was
 * killed). Without "end" the file can never be complete: it is removed at once, whatever
 * is still queued or however long a key-save delay has to run. With "end" received the
 * stream is whole and the file is finished.
 */
function streamClosed(): void {
  if (finished && output.kind === "socket") process.exit(0);
  if (finished || queue.some((frame) => frame.message[0] === "end")) return;
  fail(STREAM_CLOSED);
}

try {
  await Bun.connect({
    unix: args.socketPath,
    socket: {
      // Set here, not from the connect's result: frames may arrive, and consumption be
      // reported, before the await resumes.
      open(sock) {
        socket = sock;
      },
      data(_socket, chunk) {
        reader.push(chunk, (message, frameBytes) => queue.push({ message: message as ServerMessage, frameBytes }));
        if (!processing) void processQueue();
      },
      drain() {
        serverSink?.onDrain();
      },
      end: streamClosed,
      close: streamClosed,
      error(_socket, error) {
        if (!finished) fail({ logLine: `${WHAT_RUNS} aborted: snapshot stream error: ${error.message}`, cause: `stream: ${error.message}` });
      },
    },
  });
} catch (error) {
  // The server went away before the writer could connect.
  fail({ logLine: `${WHAT_RUNS} aborted: cannot connect to the server: ${(error as Error).message}`, cause: `connect: ${(error as Error).message}` });
}
