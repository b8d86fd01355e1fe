#!/usr/bin/env bun
// The snapshot writer: the child process of a background save (Redis's
// `redis-rdb-bgsave`). It connects back to the server over a Unix socket, receives the
// keyspace as RDB-encoded records (snapshot-protocol.ts), and writes
// temp-<own pid>.rdb in `dir`: header, keys, EOF, CRC64. Then fsync, rename over
// dbfilename, fsync the directory, exit 0.
//
// Failure handling mirrors Redis's child: an I/O error logs the cause, removes the temp
// file and exits 1; SIGUSR1 exits 255 at once (the server treats it as a deliberate
// stop); a server that disappears before "end" leaves no file behind (exit 1).
//
// This module is the child's program: its top-level state is that one process's.
//
// argv: socketPath dir dbfilename checksum(0|1) incrementalFsync(0|1) keySaveDelayMicros logfile loglevel compression(0|1)

import { readFileSync } from "node:fs";
import { RdbFileWriter, type RdbFileFailure } from "./rdb-file.ts";
import { RdbEncoder } from "./rdb/encoder.ts";
import { encodeFrame, FrameReader, KeyRecordReader, RAW_STRING_TYPE, type ServerMessage } from "./snapshot-protocol.ts";
import { logger, type LogLevel } from "../log.ts";
import { REDIS_VERSION } from "../version.ts";

const [socketPath, dir, dbfilename, checksumArg, incrementalArg, delayArg, logfile, loglevel, compressionArg] = process.argv.slice(2);
logger.role = "C";
logger.file = logfile ?? "";
logger.level = (loglevel as LogLevel) ?? "notice";

const file = new RdbFileWriter(dir!, dbfilename!, process.pid, incrementalArg === "1");
const keySaveDelay = Number(delayArg ?? 0);

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
    socket?.write(encodeFrame(["error", failure.cause]));
    socket?.flush();
  } catch {
    // The server may be gone already.
  }
  process.exit(1);
}

const openFailure = file.open();
if (openFailure !== null) fail(openFailure);

const encoder = new RdbEncoder((chunk) => file.write(chunk), {
  // Collections arrive encoded; string values (and keys) are encoded here with rdbcompression.
  compression: compressionArg === "1",
  listMaxListpackSize: -2,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
  checksum: checksumArg === "1",
});

/**
 * rdb-key-save-delay: `micros` per key, as Redis's debugDelay (negative n: 1 µs with
 * probability 1/|n|). The wait is asynchronous so a SIGUSR1 is handled between keys:
 * Redis's child exits "at once" on it, and a JS signal handler only runs when the
 * event loop does.
 */
async function keyDelay(): Promise<void> {
  if (keySaveDelay > 0) await Bun.sleep(keySaveDelay / 1000);
  else if (keySaveDelay < 0 && Math.random() < 1 / -keySaveDelay) await Bun.sleep(0.001);
}

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
  socket?.write(encodeFrame(["progress", keysWritten, encoder.bytesWritten, residentBytes()]));
}

let currentDb = -1;

async function handle(message: ServerMessage): Promise<void> {
  switch (message[0]) {
    case "begin":
      encoder.writeHeader({ redisVer: REDIS_VERSION, ctime: message[1].ctime, usedMem: message[1].usedMem, aofBase: false });
      return;
    case "db":
      encoder.selectDb(message[1], message[2], message[3]);
      currentDb = message[1];
      return;
    case "keys": {
      const [, db, , records] = message;
      if (db !== currentDb) {
        // Keys preserved ahead of the stream may belong to another database: a bare
        // SELECTDB switches to it (loaders accept any number of them).
        encoder.selectDbOnly(db);
        currentDb = db;
      }
      const reader = new KeyRecordReader(records);
      while (reader.next()) {
        const expire = reader.expireAt === -1 ? undefined : reader.expireAt;
        if (reader.type === RAW_STRING_TYPE) encoder.writeKey(reader.key, reader.payload, expire);
        else encoder.writeEncodedKey(reader.key, reader.type, reader.payload, expire);
        keysWritten++;
        if (keySaveDelay !== 0) await keyDelay();
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
    encoder.finish();
  } catch (error) {
    fail(file.writeFailure("rdbSaveRio", error));
  }
  const failure = file.commit();
  if (failure !== null) fail(failure);
  logger.notice("DB saved on disk");
  finished = true;
  report(true);
  socket?.flush();
  socket?.end();
  // Let the last progress frame leave before exiting.
  setTimeout(() => process.exit(0), 5);
}

// Messages are processed in order, asynchronously: the event loop runs between
// batches (signals, progress). While the queue is long, reading pauses so the server
// feels the writer's pace through the socket.
const STREAM_CLOSED: RdbFileFailure = {
  logLine: "Background save aborted: the server closed the snapshot stream before its end.",
  cause: "server closed the snapshot stream",
};
const reader = new FrameReader();
const queue: ServerMessage[] = [];
let processing = false;
let paused = false;
let streamClosed = false;

async function processQueue(): Promise<void> {
  processing = true;
  try {
    while (queue.length > 0) {
      const message = queue.shift()!;
      await handle(message);
      if (paused && queue.length < 8) {
        paused = false;
        socket?.resume();
      }
      // Let signals and socket events in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    fail(file.writeFailure("rdbSaveRio", error));
  }
  processing = false;
  if (streamClosed && !finished) fail(STREAM_CLOSED);
}

socket = await Bun.connect({
  unix: socketPath!,
  socket: {
    data(sock, chunk) {
      for (const message of reader.push(chunk)) queue.push(message as ServerMessage);
      if (queue.length > 32 && !paused) {
        paused = true;
        sock.pause();
      }
      if (!processing) void processQueue();
    },
    close() {
      streamClosed = true;
      // Whatever arrived before the close is still written; without "end" it is a failure.
      if (!processing && !finished && !queue.some((m) => m[0] === "end")) fail(STREAM_CLOSED);
    },
    error(_socket, error) {
      if (!finished) fail({ logLine: `Background save aborted: snapshot stream error: ${error.message}`, cause: `stream: ${error.message}` });
    },
  },
});
