// Loading a Redis 7.0 multi-part AOF (aof.c's loadAppendOnlyFiles and
// loadSingleAppendOnlyFile): the BASE file, then each INCR file, in manifest order.
//
// What a file holds. A BASE written with aof-use-rdb-preamble yes is an RDB file
// (`REDIS0010...`); a 6.x AOF may be an RDB *preamble* followed by commands; every
// other file is commands in RESP, as a client would send them:
//
//   #TS:1700000000\r\n                       an annotation (aof-timestamp-enabled): skipped
//   *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n        SELECT 0
//   *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n  SET k v
//
// So a file is read as: if it starts with "REDIS", the RDB decoder reads the RDB part
// (persistence.ts's rdbLoadRio, the code that loads dump.rdb) and says where it ended;
// then, from there to the end, commands. Redis's reader is fgets into a 1024-byte buffer
// for the `*` and `$` lines and fread for the arguments, and which read failed decides
// what went wrong, so the reader below keeps those reads:
//
//   loadSingleAppendOnlyFile(file):
//     empty -> AOF_EMPTY
//     "REDIS..." -> rdbLoadRio, then continue after it
//     loop, every 1024 commands: progress, serve clients (they get -LOADING)
//       line = fgets()           EOF here is the clean end of the file
//       '#' -> skip; not '*' -> format error; argc < 1 -> format error
//       each argument: "$<len>" line (else format error), <len> bytes, 2 bytes of CRLF
//       unknown command -> AOF_FAILED
//       in MULTI and not EXEC -> queue it; else run it
//       valid_up_to = offset after the command
//     EOF inside MULTI -> "Revert incomplete MULTI/EXEC", valid_up_to = before MULTI
//     EOF inside a command (or the MULTI above) = truncated:
//       aof-load-truncated yes: truncate the file at valid_up_to, AOF_TRUNCATED
//       no: AOF_FAILED
//
// The commands run as Redis runs them: in a client of their own (CLIENT_ID_AOF, one per
// file, so each file starts in database 0 and outside MULTI) that must obey (XADD's
// LIMIT), cannot block, and whose replies are dropped. Not through processCommand (no
// auth, MISCONF, LOADING, arity or MULTI checks: the file was written by a server that
// had made them) but through Server.runCommandForLoader, Redis's direct cmd->proc call:
// no commandstats, slowlog or MONITOR, and, the server loading, no propagation and no
// expiry (a key past its time stays live until the load ends, so later commands see
// what they saw when they were written). EXEC is the exception, as in Redis: it runs
// its queue through call() with CMD_CALL_NONE, so those commands count in
// total_commands_processed and failed_calls, but not in calls. A command that fails
// logs "== CRITICAL == ... AOF-loading-client" (Server.replyError) and loading goes on.
//
// Loading all files: a 6.x `<appendfilename>` in `dir` that the manifest does not
// account for is upgraded first (manifest.ts aofUpgradePrepare: it becomes the BASE);
// the total size of BASE and INCR files is the loading_total_bytes; a file listed but
// missing is fatal; a truncated file is accepted only as the last one.
//
// Contract with the AOF core (the caller, which also logs "DB loaded from append only
// file" at start-up and exits with 1 on AOF_FAILED / AOF_OPEN_ERR, as loadDataFromDisk):
//
//   const am = aofLoadManifestFromDisk(server)         // null: exit(1)
//   const { status, sizes } = await loadAppendOnlyFiles(server, am)
//   sizes -> aof_current_size = sizes.currentSize, aof_base_size = sizes.baseSize
//
// Where Bunker differs from Redis 7.0.15, on purpose (each would lose data):
// - A truncated file that is not the last is refused without being truncated (Redis
//   truncates it first, then refuses to start): files are never modified on a refusal.
// - After an RDB preamble, the last valid offset starts at the end of the RDB (Redis
//   starts it at 0, so a truncated first command after the RDB truncates the file to
//   nothing, the RDB included, although its keys were loaded).

import { closeSync, fstatSync, openSync, readSync, truncateSync } from "node:fs";
import type { Server } from "../../server.ts";
import { CLIENT_ID_AOF, Client } from "../../net/client.ts";
import type { Command } from "../../commands/table.ts";
import { argLower, bytesToKey } from "../../db/bytes.ts";
import { logger } from "../../log.ts";
import { RdbLoadError } from "../rdb/decoder.ts";
import { busyWaitMicros, reportLoadFailure } from "../persistence.ts";
import { errorText } from "../../util/errors-text.ts";
import {
  AOF_EMPTY,
  AOF_FAILED,
  AOF_NOT_EXIST,
  AOF_OK,
  AOF_OPEN_ERR,
  AOF_TRUNCATED,
  type AofContext,
  type AofManifest,
  type AofStatus,
  aofDirName,
  aofFileExist,
  aofFileName,
  aofPath,
  aofUpgradePrepare,
  dirExists,
  fileExists,
  getAppendOnlyFileSize,
  getBaseAndIncrAppendOnlyFilesNum,
  getBaseAndIncrAppendOnlyFilesSize,
  logName,
} from "./manifest.ts";

export interface AofLoadOptions {
  /** The directory appendfilename and appenddirname are relative to: process.cwd() (`dir`) by default. */
  dir?: string;
}

export interface AofLoadResult {
  status: AofStatus;
  /**
   * What Redis sets after a load that got through every file (AOF_OK or AOF_TRUNCATED):
   * aof_current_size (base and INCR files) and aof_base_size (the base), both measured
   * before loading (a truncation does not lower them). Null otherwise.
   */
  sizes: { currentSize: number; baseSize: number } | null;
}

/** Commands between two turns of the event loop (Redis's `loops % 1024`). */
const COMMANDS_PER_EVENTS_TURN = 1024;
/** Redis reads the `*` and `$` lines with fgets into a buffer of this size (AOF_ANNOTATION_LINE_MAX_LEN). */
const LINE_BUFFER = 1024;
const READ_CHUNK = 64 * 1024;

/**
 * loadAppendOnlyFiles: loads the files `am` lists (upgrading a 6.x AOF in `dir` first) into
 * the server's databases, serving clients between chunks. The server is loading
 * throughout (INFO loading_*, -LOADING replies, no expiry, no propagation).
 */
export async function loadAppendOnlyFiles(server: Server, am: AofManifest, options: AofLoadOptions = {}): Promise<AofLoadResult> {
  const ctx: AofContext = { config: server.config, dir: options.dir };
  const fileName = aofFileName(ctx);
  // A 6.x AOF in `dir` is upgraded when the AOF directory does not exist, or names no
  // file, or names only it as its base but does not hold it yet (an upgrade that stopped
  // between writing the manifest and moving the file).
  if (fileExists(aofPath(ctx, fileName))) {
    const noDirectory = !dirExists(aofPath(ctx, aofDirName(ctx)));
    const noFiles = am.base === null && am.incrs.length === 0;
    const upgradeUnfinished = am.base !== null && am.incrs.length === 0 && am.base.fileName === fileName && !aofFileExist(ctx, fileName);
    if ((noDirectory || noFiles || upgradeUnfinished) && !aofUpgradePrepare(ctx, am)) return { status: AOF_FAILED, sizes: null };
  }
  if (am.base === null && am.incrs.length === 0) return { status: AOF_NOT_EXIST, sizes: null };

  const totalNum = getBaseAndIncrAppendOnlyFilesNum(am);
  const total = getBaseAndIncrAppendOnlyFilesSize(ctx, am);
  // A file in the manifest but not on disk is fatal.
  if (total.status !== AOF_OK) return { status: total.status === AOF_NOT_EXIST ? AOF_FAILED : total.status, sizes: null };
  if (total.size === 0) return { status: AOF_EMPTY, sizes: null };

  const persistence = server.persistence;
  persistence.startLoading(total.size);
  let status: AofStatus = AOF_OK;
  let baseSize = 0;
  let loaded = 0;
  try {
    const files = am.base === null ? am.incrs : [am.base, ...am.incrs];
    for (const info of files) {
      const isBase = info === am.base;
      if (isBase) baseSize = getAppendOnlyFileSize(ctx, info.fileName).size;
      const isLast = ++loaded === totalNum;
      const started = performance.now();
      status = await loadSingleAppendOnlyFile(server, ctx, info.fileName, isLast);
      if (status === AOF_OK || (status === AOF_TRUNCATED && isLast)) {
        const seconds = ((performance.now() - started) / 1000).toFixed(3);
        logger.notice(`DB loaded from ${isBase ? "base" : "incr"} file ${logName(info.fileName)}: ${seconds} seconds`);
      }
      // One of the files has data (the total is not 0): an empty INCR file is fine. (An
      // empty base is not reset, as in Redis: the INCR files that follow set the status.)
      if (!isBase && status === AOF_EMPTY) status = AOF_OK;
      if (status === AOF_TRUNCATED && !isLast) {
        status = AOF_FAILED;
        logger.warning("Fatal error: the truncated file is not the last file");
      }
      if (status === AOF_OPEN_ERR || status === AOF_FAILED) return { status, sizes: null };
    }
  } finally {
    persistence.stopLoading();
  }
  return { status, sizes: { currentSize: total.size, baseSize } };
}

/**
 * loadSingleAppendOnlyFile: one file of the AOF directory into the databases (see the
 * top of this file), for loadAppendOnlyFiles, which has started the load (no expiry, no
 * propagation, the loading_* fields). `isLast`: the last file of the manifest, the only
 * one a truncation may be repaired in (Redis decides that after truncating; Bunker before).
 */
export async function loadSingleAppendOnlyFile(server: Server, ctx: AofContext, fileName: string, isLast: boolean): Promise<AofStatus> {
  const name = logName(fileName);
  const path = aofPath(ctx, aofDirName(ctx), fileName);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      logger.warning(`The append log file ${name} doesn't exist: ${errorText(error)}`);
      return AOF_NOT_EXIST;
    }
    logger.warning(`Fatal error: can't open the append log file ${name} for reading: ${errorText(error)}`);
    return AOF_OPEN_ERR;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return AOF_EMPTY;
    return await replayFile(server, ctx, fd, size, path, fileName, isLast);
  } finally {
    closeSync(fd);
  }
}

/** How the command loop ended. */
const enum LoopEnd {
  /** The end of the file, between commands. */
  Eof,
  /** The end of the file inside a command (or an unfinished MULTI): a truncated file. */
  UnexpectedEof,
  FormatError,
  /** An unknown command (logged). */
  Failed,
}

async function replayFile(server: Server, ctx: AofContext, fd: number, size: number, path: Buffer, fileName: string, isLast: boolean): Promise<AofStatus> {
  const name = logName(fileName);
  const persistence = server.persistence;
  const reader = new AofFileReader(fd, size);
  /** Where the last complete command ends (the truncation point). */
  let validUpTo = 0;
  let lastProgressReportSize = 0;
  try {
    if (reader.startsWith("REDIS")) {
      // An RDB base (7.0), or the RDB preamble of a 6.x AOF: the decoder reads the RDB,
      // then the rest of the file is commands.
      const oldStyle = fileName === aofFileName(ctx);
      logger.notice(oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...");
      const result = await persistence.rdbLoadRio(path, { merge: false, aofPreamble: true }, (bytesRead) => {
        if (persistence.loadingState !== null) persistence.loadingState.loadedBytes = bytesRead;
      });
      if (result instanceof Error) return reportRdbPartFailure(result, name, oldStyle);
      reader.seek(result.bytesRead);
      // loadingAbsProgress: the position in this file (the base is the first file).
      if (persistence.loadingState !== null) persistence.loadingState.loadedBytes = result.bytesRead;
      lastProgressReportSize = result.bytesRead;
      validUpTo = result.bytesRead;
      if (oldStyle) logger.notice("Reading the remaining AOF tail...");
    }
    const client = new Client(CLIENT_ID_AOF, server, null, "", "");
    client.mustObey = true;
    client.denyBlocking = true;
    const keyLoadDelay = server.config.getNumber("key-load-delay");
    let validBeforeMulti = 0;
    let loops = 0;
    let end: LoopEnd;
    for (;;) {
      if (loops++ % COMMANDS_PER_EVENTS_TURN === 0) {
        const delta = reader.offset - lastProgressReportSize;
        if (persistence.loadingState !== null) persistence.loadingState.loadedBytes += delta;
        lastProgressReportSize += delta;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const argv = readCommand(reader);
      if (typeof argv === "number") {
        end = argv;
        break;
      }
      const command = lookupCommand(server, argv);
      if (command === undefined) {
        logger.warning(`Unknown command '${logName(cStringOf(argv[0]!))}' reading the append only file ${name}`);
        end = LoopEnd.Failed;
        break;
      }
      if (command.spec.name === "multi") validBeforeMulti = validUpTo;
      if (client.inMulti && !command.isExec) client.multiQueue.push({ command, argv });
      else server.runCommandForLoader(client, command, argv);
      // The loader's client gets no replies.
      client.reply.reset();
      validUpTo = reader.offset;
      if (keyLoadDelay > 0) busyWaitMicros(keyLoadDelay);
    }
    if (end === LoopEnd.Eof && client.inMulti) {
      // The file ends inside a transaction: as if it were cut short, its tail is dropped.
      logger.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      validUpTo = validBeforeMulti;
      end = LoopEnd.UnexpectedEof;
    }
    if (end === LoopEnd.Failed) return AOF_FAILED;
    if (end === LoopEnd.FormatError) {
      logger.warning(
        `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
      );
      return AOF_FAILED;
    }
    const status = end === LoopEnd.UnexpectedEof ? truncatedFile(server, path, name, validUpTo, isLast) : AOF_OK;
    // loaded_ok: the progress of the last commands.
    if (status !== AOF_FAILED && persistence.loadingState !== null) persistence.loadingState.loadedBytes += reader.offset - lastProgressReportSize;
    return status;
  } catch (error) {
    // readerr with ferror(): an I/O error, not the end of the file.
    logger.warning(`Unrecoverable error reading the append only file ${name}: ${errorText(error)}`);
    return AOF_FAILED;
  }
}

/** uxeof: the file ends inside a command (or a transaction). */
function truncatedFile(server: Server, path: Buffer, name: string, validUpTo: number, isLast: boolean): AofStatus {
  if (server.config.getBool("aof-load-truncated")) {
    logger.warning(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    // A file before the last is refused as it is (loadAppendOnlyFiles logs why).
    if (!isLast) return AOF_TRUNCATED;
    logger.warning(`!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    try {
      truncateSync(path, validUpTo);
      logger.warning(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      return AOF_TRUNCATED;
    } catch (error) {
      logger.warning(`Error truncating the AOF file ${name}: ${errorText(error)}`);
    }
  }
  logger.warning(
    `Unexpected end of file reading the append only file ${name}. You can: ` +
      "1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. " +
      "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
  );
  return AOF_FAILED;
}

/**
 * The RDB part of the file could not be loaded. A bad signature or version is an error
 * rdbLoadRio returns, which Redis reports as such; any other (a corrupt or cut RDB) Redis
 * reports as it does for dump.rdb, and exits there.
 */
function reportRdbPartFailure(error: Error, name: string, oldStyle: boolean): AofStatus {
  const message = error.message;
  if (error instanceof RdbLoadError && (message.startsWith("Wrong signature") || message.startsWith("Can't handle RDB format version"))) {
    logger.warning(message);
    logger.warning(
      oldStyle
        ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
        : `Error reading the RDB base file ${name}, AOF loading aborted`,
    );
    logger.warning(`Unrecoverable error reading the append only file ${name}: ${errorText({ code: "EINVAL" })}`);
    return AOF_FAILED;
  }
  reportLoadFailure(error, name);
  return AOF_FAILED;
}

/** lookupCommand: the command, or the subcommand when the command has them (none for an unknown one). */
function lookupCommand(server: Server, argv: Uint8Array[]): Command | undefined {
  const command = server.table.lookupBytes(argv[0]!);
  if (command === undefined || command.subcommands.size === 0) return command;
  // A container command needs its subcommand (Redis would run a NULL handler).
  if (argv.length === 1) return undefined;
  return command.subcommands.get(argLower(argv[1]!));
}

/** An argument as Redis's "%s" prints it: up to its first NUL byte. */
function cStringOf(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return bytesToKey(nul === -1 ? bytes : bytes.subarray(0, nul));
}

/**
 * One command in RESP from the reader, or how the loop ends. As Redis: the `*` line
 * must start the command (after '#' annotation lines), each argument is a `$<len>` line,
 * <len> bytes and two more bytes (the CRLF, not checked); the end of the file anywhere
 * inside is a truncation, a wrong line a format error.
 */
function readCommand(reader: AofFileReader): Uint8Array[] | LoopEnd {
  let line: Uint8Array | null;
  for (;;) {
    line = reader.gets(LINE_BUFFER);
    if (line === null) return LoopEnd.Eof;
    if (line[0] !== 0x23 /* # */) break;
  }
  if (line[0] !== 0x2a /* * */) return LoopEnd.FormatError;
  // "*" and nothing else: fgets stopped at the end of the file.
  if (line.length === 1 || line[1] === 0) return LoopEnd.UnexpectedEof;
  const argc = cInteger(line);
  if (argc < 1) return LoopEnd.FormatError;
  const argv: Uint8Array[] = [];
  for (let j = 0; j < argc; j++) {
    const header = reader.gets(LINE_BUFFER);
    if (header === null) return LoopEnd.UnexpectedEof;
    if (header[0] !== 0x24 /* $ */) return LoopEnd.FormatError;
    const length = cInteger(header);
    // Redis would try to allocate a negative length as a huge one and abort.
    if (length < 0) return LoopEnd.FormatError;
    const arg = reader.read(length);
    if (arg === null || !reader.skip(2)) return LoopEnd.UnexpectedEof;
    argv.push(arg);
  }
  return argv;
}

/** atoi / strtol(line + 1): the integer after the line's first byte (leading blanks and a sign allowed), 0 if none. */
function cInteger(line: Uint8Array): number {
  let i = 1;
  while (i < line.length && (line[i] === 0x20 || (line[i]! >= 0x09 && line[i]! <= 0x0d))) i++;
  let negative = false;
  if (line[i] === 0x2d /* - */ || line[i] === 0x2b /* + */) negative = line[i++] === 0x2d;
  let value = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  return negative ? -value : value;
}

/**
 * The reads Redis's loader makes on its FILE*: fgets (a line up to a size, the newline
 * included), fread of an exact length, and ftello (offset). Positional reads through a
 * 64 KiB buffer; a long argument is read straight into its own array. A read error
 * throws (the caller reports it as Redis's "Unrecoverable error").
 */
class AofFileReader {
  private buffer = new Uint8Array(READ_CHUNK);
  /** buffer[start, end) holds the file from `bufferOffset + start`. */
  private start = 0;
  private end = 0;
  private bufferOffset = 0;

  constructor(
    private readonly fd: number,
    /** The file's size when it was opened, or where reads found its end if it shrank since. */
    private size: number,
  ) {}

  /** ftello: where the next read starts. */
  get offset(): number {
    return this.bufferOffset + this.start;
  }

  /** Continue reading at `position` (after the RDB part, which its decoder read). */
  seek(position: number): void {
    this.bufferOffset = position;
    this.start = this.end = 0;
  }

  startsWith(text: string): boolean {
    if (!this.ensure(text.length)) return false;
    for (let i = 0; i < text.length; i++) if (this.buffer[this.start + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /**
   * fgets(buf, size): the next bytes through a newline, or size - 1 bytes, or what is left
   * before the end of the file; null at the end of the file. A view, valid until the next read.
   */
  gets(size: number): Uint8Array | null {
    const max = size - 1;
    for (;;) {
      const limit = Math.min(this.end, this.start + max);
      const newline = this.buffer.subarray(this.start, limit).indexOf(0x0a);
      if (newline !== -1 || limit - this.start === max || this.atEnd()) {
        const lineEnd = newline !== -1 ? this.start + newline + 1 : limit;
        if (lineEnd === this.start) return null;
        const line = this.buffer.subarray(this.start, lineEnd);
        this.start = lineEnd;
        return line;
      }
      this.fill();
    }
  }

  /** fread(len): `length` bytes in an array of their own, or null when the file ends first. */
  read(length: number): Uint8Array | null {
    if (length > this.size - this.offset) return null;
    const out = new Uint8Array(length);
    const buffered = Math.min(length, this.end - this.start);
    out.set(this.buffer.subarray(this.start, this.start + buffered));
    this.start += buffered;
    let filled = buffered;
    if (filled < length && length - filled >= READ_CHUNK) {
      // A long argument: read it in place rather than through the buffer.
      while (filled < length) {
        const got = readSync(this.fd, out, filled, length - filled, this.offset);
        if (got <= 0) {
          this.size = this.offset;
          return null;
        }
        filled += got;
        this.bufferOffset += got;
      }
      return out;
    }
    while (filled < length) {
      if (!this.ensure(1)) return null;
      const take = Math.min(length - filled, this.end - this.start);
      out.set(this.buffer.subarray(this.start, this.start + take), filled);
      this.start += take;
      filled += take;
    }
    return out;
  }

  /** fread of `count` bytes that are dropped (the CRLF after an argument). */
  skip(count: number): boolean {
    if (!this.ensure(count)) return false;
    this.start += count;
    return true;
  }

  private atEnd(): boolean {
    return this.offset + (this.end - this.start) >= this.size;
  }

  /** At least `count` bytes buffered, or false when the file ends first. */
  private ensure(count: number): boolean {
    while (this.end - this.start < count) {
      if (this.atEnd()) return false;
      this.fill();
    }
    return true;
  }

  /** Reads more of the file after what is buffered, keeping the unread bytes. */
  private fill(): void {
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.bufferOffset += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.bufferOffset + this.end);
    // The file shrank since it was measured: what is buffered is all there is.
    if (got <= 0) this.size = this.bufferOffset + this.end;
    this.end += Math.max(0, got);
  }
}
