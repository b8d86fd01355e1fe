// The files of a Redis 7.0 multi-part AOF and the manifest that lists them (aof.c's
// aofInfo / aofManifest part): parsing and writing the manifest, naming new files,
// upgrading a 6.x single-file AOF, removing history files, and the file sizes INFO
// and the automatic rewrite read.
//
// Why a manifest. Up to 6.x the AOF was one file that a rewrite replaced as a whole,
// so every write made during a rewrite had to be kept twice (in the old file and in a
// buffer the child's output was later completed with). 7.0 splits the log instead:
//
//   appendonlydir/
//     appendonly.aof.2.base.rdb    the dataset when the last rewrite started (RDB, or
//                                  commands with aof-use-rdb-preamble no: .base.aof)
//     appendonly.aof.2.incr.aof    the commands written since then, in RESP
//     appendonly.aof.3.incr.aof    ... a new one each time a rewrite starts
//     appendonly.aof.manifest      which of those files make up the dataset, in order
//
// A rewrite opens a new INCR file when it starts and, when it succeeds, makes its
// output the new BASE; the old BASE and the INCR files it covers become HISTORY and
// are deleted. Nothing is ever copied or renamed over a file in use: what changes
// atomically is the manifest, written to a temp file, fsynced and renamed over the old
// one. Whatever the moment of a crash, the manifest on disk names a complete set.
//
// The manifest is text, one line per file, base first, then history, then incr:
//
//   file appendonly.aof.2.base.rdb seq 2 type b
//   file appendonly.aof.1.incr.aof seq 1 type h
//   file appendonly.aof.2.incr.aof seq 2 type i
//
// Keys may come in any order (and any case), names needing it are quoted as sdscatrepr
// quotes (split back with the sdssplitargs rules), '#' lines are comments. Redis reads
// it with fgets into a 1025-byte buffer, and its checks follow from that: a line (or
// the last line without its newline) longer than the buffer is an error, and line
// numbers count fgets calls. parseAofManifest reproduces those reads, so every error
// comes with Redis's text, at the same line, for the same bytes.
//
// Contract with the AOF core. These functions hold no state: the manifest is an
// AofManifest the caller owns (Redis's server.aof_manifest), and the settings that name
// the files (appendfilename, appenddirname, aof-use-rdb-preamble, aof-disable-auto-gc)
// are read from the config at each call, as Redis reads server.aof_*. Names are binary
// strings (one char per byte, as the config stores them) and paths are built as bytes,
// so any name Redis accepts works here. Relative names resolve in `dir`: Redis chdirs
// into its `dir` and so does Bunker, so `dir` defaults to process.cwd(); a test passes
// its own. Where Redis exits on an error these functions log Redis's lines and return
// a failure (null, false): the caller exits with 1.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, close as closeAsync, constants as fsConstants } from "node:fs";
import type { Config } from "../../config.ts";
import { logger } from "../../log.ts";
import { splitInlineArgs } from "../../protocol/inline.ts";
import { sdscatrepr } from "../../util/repr.ts";
import { bytesToKey } from "../../db/bytes.ts";
import { errorText } from "../../util/errors-text.ts";
import { atoll } from "../../util/strtoll.ts";

// ---- the data ---------------------------------------------------------------------------

/** b: the BASE file, h: HISTORY (to be deleted), i: an INCR file. */
export type AofFileType = "b" | "h" | "i";

export interface AofInfo {
  /** A file name in the AOF directory, as a binary string. */
  fileName: string;
  fileSeq: number;
  fileType: AofFileType;
}

/** Redis's aofManifest: the files that make up the AOF, and the last sequence numbers used. */
export class AofManifest {
  base: AofInfo | null = null;
  /** INCR files, in the order they are loaded (ascending sequence numbers). */
  incrs: AofInfo[] = [];
  history: AofInfo[] = [];
  currBaseFileSeq = 0;
  currIncrFileSeq = 0;
  /** Changed since it was last written to disk (persistAofManifest writes only then). */
  dirty = false;

  /** aofManifestDup: a deep copy to modify, so a failed step leaves the original as it was. */
  dup(): AofManifest {
    const copy = new AofManifest();
    copy.base = this.base === null ? null : { ...this.base };
    copy.incrs = this.incrs.map((info) => ({ ...info }));
    copy.history = this.history.map((info) => ({ ...info }));
    copy.currBaseFileSeq = this.currBaseFileSeq;
    copy.currIncrFileSeq = this.currIncrFileSeq;
    copy.dirty = this.dirty;
    return copy;
  }
}

/** What the functions below need from the server (a Server is one: it has `config`). */
export interface AofContext {
  readonly config: Config;
  /** The directory relative names resolve in (Redis's working directory, `dir`): process.cwd() by default. */
  readonly dir?: string;
}

// Redis's AOF return values (server.h), shared by the size functions here and the loader.
export const AOF_OK = 0;
export const AOF_NOT_EXIST = 1;
export const AOF_EMPTY = 2;
export const AOF_OPEN_ERR = 3;
export const AOF_FAILED = 4;
export const AOF_TRUNCATED = 5;
export type AofStatus = typeof AOF_OK | typeof AOF_NOT_EXIST | typeof AOF_EMPTY | typeof AOF_OPEN_ERR | typeof AOF_FAILED | typeof AOF_TRUNCATED;

// ---- names and paths ----------------------------------------------------------------------

const BASE_FILE_SUFFIX = ".base";
const INCR_FILE_SUFFIX = ".incr";
const RDB_FORMAT_SUFFIX = ".rdb";
const AOF_FORMAT_SUFFIX = ".aof";
const MANIFEST_NAME_SUFFIX = ".manifest";
const TEMP_FILE_NAME_PREFIX = "temp-";

/** appendfilename (a binary string). */
export function aofFileName(ctx: AofContext): string {
  return ctx.config.getString("appendfilename");
}

/** appenddirname (a binary string). */
export function aofDirName(ctx: AofContext): string {
  return ctx.config.getString("appenddirname");
}

/**
 * The file system path of `names` joined under `dir`, as bytes: names are binary strings
 * of any bytes, which a text path would re-encode.
 */
export function aofPath(ctx: AofContext, ...names: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(ctx.dir ?? process.cwd(), "utf8")];
  for (const name of names) parts.push(SLASH, Buffer.from(name, "latin1"));
  return Buffer.concat(parts);
}

const SLASH = Buffer.from("/");

/** A name or relative path as the log prints it (Redis prints the bytes; the log is text). */
export function logName(name: string): string {
  return Buffer.from(name, "latin1").toString("utf8");
}

/** makePath(server.aof_dirname, name): the relative path Redis's log lines show. */
function inAofDir(ctx: AofContext, name: string): string {
  return `${aofDirName(ctx)}/${name}`;
}

export function getAofManifestFileName(ctx: AofContext): string {
  return aofFileName(ctx) + MANIFEST_NAME_SUFFIX;
}

export function getTempAofManifestFileName(ctx: AofContext): string {
  return TEMP_FILE_NAME_PREFIX + aofFileName(ctx) + MANIFEST_NAME_SUFFIX;
}

/**
 * The name of the BASE file a rewrite that just succeeded becomes (`<appendfilename>.<seq>
 * .base.rdb`, or `.base.aof` with aof-use-rdb-preamble no), which it adds to `am` as the
 * base; the previous base becomes the first history file. Marks `am` dirty.
 */
export function getNewBaseFileNameAndMarkPreAsHistory(ctx: AofContext, am: AofManifest): string {
  if (am.base !== null) {
    am.base.fileType = "h";
    am.history.unshift(am.base);
  }
  const format = ctx.config.getBool("aof-use-rdb-preamble") ? RDB_FORMAT_SUFFIX : AOF_FORMAT_SUFFIX;
  const seq = ++am.currBaseFileSeq;
  am.base = { fileName: `${aofFileName(ctx)}.${seq}${BASE_FILE_SUFFIX}${format}`, fileSeq: seq, fileType: "b" };
  am.dirty = true;
  return am.base.fileName;
}

/** A new INCR file (`<appendfilename>.<seq>.incr.aof`) appended to `am`'s list; marks `am` dirty. */
export function getNewIncrAofName(ctx: AofContext, am: AofManifest): string {
  const seq = ++am.currIncrFileSeq;
  const info: AofInfo = { fileName: `${aofFileName(ctx)}.${seq}${INCR_FILE_SUFFIX}${AOF_FORMAT_SUFFIX}`, fileSeq: seq, fileType: "i" };
  am.incrs.push(info);
  am.dirty = true;
  return info.fileName;
}

/** The INCR file written while AOF waits for its first rewrite: `temp-<appendfilename>.incr`. */
export function getTempIncrAofName(ctx: AofContext): string {
  return TEMP_FILE_NAME_PREFIX + aofFileName(ctx) + INCR_FILE_SUFFIX;
}

/** The last INCR file of `am`, or a new one when it has none. */
export function getLastIncrAofName(ctx: AofContext, am: AofManifest): string {
  const last = am.incrs[am.incrs.length - 1];
  return last === undefined ? getNewIncrAofName(ctx, am) : last.fileName;
}

/**
 * After a successful rewrite: the INCR files it covers become history, newest first at
 * the head of the history list. `keepLast`: AOF is on (Redis's server.aof_fd != -1), so
 * the last INCR file is the one being written and stays.
 */
export function markRewrittenIncrAofAsHistory(am: AofManifest, keepLast: boolean): void {
  if (am.incrs.length === 0) return;
  const kept = keepLast ? am.incrs.slice(-1) : [];
  const rewritten = keepLast ? am.incrs.slice(0, -1) : am.incrs;
  for (const info of rewritten) am.history.unshift({ ...info, fileType: "h" });
  am.incrs = kept;
  am.dirty = true;
}

// ---- formatting -------------------------------------------------------------------------

/**
 * sdsneedsrepr: a name with spaces, quotes, backslashes or bytes outside the printable
 * ASCII range is written quoted. Redis 7.0.15 leaves a single quote unquoted, and then
 * cannot read its own manifest back (sdssplitargs opens a quoted argument at the ');
 * Bunker quotes such a name, which Redis reads back fine.
 */
function needsRepr(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c /* \ */ || c === 0x22 /* " */ || c === 0x27 /* ' */) return true;
  }
  return false;
}

function aofInfoFormat(info: AofInfo): string {
  const name = needsRepr(info.fileName) ? sdscatrepr("", info.fileName) : info.fileName;
  return `file ${name} seq ${info.fileSeq} type ${info.fileType}\n`;
}

/** getAofManifestAsString: base, then history, then incr, one line each (a binary string). */
export function getAofManifestAsString(am: AofManifest): string {
  let text = "";
  if (am.base !== null) text += aofInfoFormat(am.base);
  for (const info of am.history) text += aofInfoFormat(info);
  for (const info of am.incrs) text += aofInfoFormat(info);
  return text;
}

// ---- parsing ----------------------------------------------------------------------------

/** Redis reads manifest lines with fgets into a buffer of MANIFEST_MAX_LINE + 1 bytes. */
const MANIFEST_MAX_LINE = 1024;

export interface AofManifestError {
  /** Redis's reason ("Invalid AOF manifest file format", ...). */
  message: string;
  /** The line being read, as Redis shows it (trimmed), or null when Redis shows none. */
  line: string | null;
  lineNumber: number;
}

/**
 * aofLoadManifestFromFile's parser: the manifest in `content`, or the first error with the
 * line Redis reports it at. Checks, in Redis's order: an empty file, a line with no
 * newline within 1024 bytes, an empty line, fewer than 6 or an odd number of words (or
 * unbalanced quotes), a name that is a path, a missing name/seq/type (a seq of 0 counts
 * as missing), a second base, INCR sequence numbers that do not increase, an unknown
 * type. Names are cut at a NUL byte (Redis copies them as C strings).
 */
export function parseAofManifest(content: Uint8Array): AofManifest | AofManifestError {
  const am = new AofManifest();
  let maxSeq = 0;
  let lineNumber = 0;
  let position = 0;
  for (;;) {
    if (position >= content.length) {
      if (lineNumber === 0) return { message: "Found an empty AOF manifest", line: null, lineNumber };
      return am;
    }
    // fgets: up to MANIFEST_MAX_LINE bytes, or through the first newline.
    const newline = content.indexOf(0x0a, position);
    const end = Math.min(newline === -1 ? content.length : newline + 1, position + MANIFEST_MAX_LINE);
    let chunk = content.subarray(position, end);
    position = end;
    lineNumber++;
    if (chunk[0] === 0x23 /* # */) continue;
    // The rest is read as a C string: up to a NUL byte, if any.
    const nul = chunk.indexOf(0);
    if (nul !== -1) chunk = chunk.subarray(0, nul);
    if (chunk.indexOf(0x0a) === -1) return { message: "The AOF manifest file contains too long line", line: null, lineNumber };
    const line = trimLine(chunk);
    const lineText = bytesToKey(line);
    const invalid = { message: "Invalid AOF manifest file format", line: lineText, lineNumber };
    if (line.length === 0) return invalid;
    const argv = splitInlineArgs(line);
    // 'argc < 6' rather than != 6: later versions may add keys.
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) return invalid;
    let fileName: string | null = null;
    let fileSeq = 0;
    let fileType = 0;
    for (let i = 0; i < argv.length; i += 2) {
      const key = bytesToKey(argv[i]!).toLowerCase();
      const value = argv[i + 1]!;
      if (key === "file") {
        const nameNul = value.indexOf(0);
        fileName = bytesToKey(nameNul === -1 ? value : value.subarray(0, nameNul));
        if (fileName.includes("/") || fileName.includes("\\")) {
          return { message: "File can't be a path, just a filename", line: lineText, lineNumber };
        }
      } else if (key === "seq") {
        fileSeq = atoll(bytesToKey(value));
      } else if (key === "type") {
        fileType = value[0] ?? 0;
      }
    }
    if (fileName === null || fileSeq === 0 || fileType === 0) return invalid;
    const type = String.fromCharCode(fileType);
    if (type === "b") {
      if (am.base !== null) return { message: "Found duplicate base file information", line: lineText, lineNumber };
      am.base = { fileName, fileSeq, fileType: "b" };
      am.currBaseFileSeq = fileSeq;
    } else if (type === "h") {
      am.history.push({ fileName, fileSeq, fileType: "h" });
    } else if (type === "i") {
      if (fileSeq <= maxSeq) return { message: "Found a non-monotonic sequence number", line: lineText, lineNumber };
      am.incrs.push({ fileName, fileSeq, fileType: "i" });
      am.currIncrFileSeq = fileSeq;
      maxSeq = fileSeq;
    } else {
      return { message: "Unknown AOF file type", line: lineText, lineNumber };
    }
  }
}

export function isAofManifestError(result: AofManifest | AofManifestError): result is AofManifestError {
  return !(result instanceof AofManifest);
}

/** sdstrim(line, " \t\r\n"). */
function trimLine(bytes: Uint8Array): Uint8Array {
  const isTrimmed = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  let start = 0;
  let end = bytes.length;
  while (start < end && isTrimmed(bytes[start]!)) start++;
  while (end > start && isTrimmed(bytes[end - 1]!)) end--;
  return bytes.subarray(start, end);
}

/**
 * aofLoadManifestFromFile: reads and parses the manifest at `path` (relative to `dir`, as
 * Redis names it in its log). On an error logs Redis's FATAL AOF MANIFEST FILE ERROR
 * report and returns null: Redis exits with 1 there.
 */
export function aofLoadManifestFromFile(ctx: AofContext, path: string): AofManifest | null {
  let content: Uint8Array;
  try {
    content = readFileSync(aofPath(ctx, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // fopen() of a directory succeeds and its first read fails: Redis's "read failed".
    if (code === "EISDIR") return reportManifestError({ message: "Read AOF manifest failed", line: null, lineNumber: 0 });
    logger.warning(`Fatal error: can't open the AOF manifest file ${logName(path)} for reading: ${errorText(error)}`);
    return null;
  }
  const result = parseAofManifest(content);
  if (isAofManifestError(result)) return reportManifestError(result);
  return result;
}

function reportManifestError(error: AofManifestError): null {
  logger.warning("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
  if (error.line !== null) {
    logger.warning(`Reading the manifest file, at line ${error.lineNumber}\n`);
    logger.warning(`>>> '${logName(error.line)}'\n`);
  }
  logger.warning(`${error.message}\n`);
  return null;
}

/**
 * aofLoadManifestFromDisk, at start-up (and DEBUG LOADAOF): the manifest in the AOF
 * directory; an empty manifest when the directory or the manifest file does not exist
 * (a first start, or a 6.x AOF to upgrade); null after a fatal error (logged: exit 1).
 */
export function aofLoadManifestFromDisk(ctx: AofContext): AofManifest | null {
  const dirName = aofDirName(ctx);
  if (!dirExists(aofPath(ctx, dirName))) {
    logger.debug(`The AOF directory ${logName(dirName)} doesn't exist`);
    return new AofManifest();
  }
  const name = getAofManifestFileName(ctx);
  if (!fileExists(aofPath(ctx, dirName, name))) {
    logger.debug(`The AOF manifest file ${logName(name)} doesn't exist`);
    return new AofManifest();
  }
  return aofLoadManifestFromFile(ctx, inAofDir(ctx, name));
}

// ---- writing ------------------------------------------------------------------------------

/**
 * writeAofManifestFile: `content` (a binary string) to temp-<appendfilename>.manifest in the
 * AOF directory, fsync, rename over <appendfilename>.manifest, fsync the directory. On a
 * failure logs Redis's line and returns false (a temp file left behind is overwritten by
 * the next attempt, as in Redis).
 */
export function writeAofManifestFile(ctx: AofContext, content: string): boolean {
  const dirName = aofDirName(ctx);
  const name = getAofManifestFileName(ctx);
  const tempName = getTempAofManifestFileName(ctx);
  const tempPath = aofPath(ctx, dirName, tempName);
  let fd: number;
  try {
    fd = openSync(tempPath, fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_CREAT, 0o644);
  } catch (error) {
    logger.warning(`Can't open the AOF manifest file ${logName(tempName)}: ${errorText(error)}`);
    return false;
  }
  try {
    const bytes = Buffer.from(content, "latin1");
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      logger.warning(`Error trying to write the temporary AOF manifest file ${logName(tempName)}: ${errorText(error)}`);
      return false;
    }
    try {
      fsyncSync(fd);
    } catch (error) {
      logger.warning(`Fail to fsync the temp AOF file ${logName(tempName)}: ${errorText(error)}.`);
      return false;
    }
    try {
      renameSync(tempPath, aofPath(ctx, dirName, name));
    } catch (error) {
      logger.warning(`Error trying to rename the temporary AOF manifest file ${logName(tempName)} into ${logName(name)}: ${errorText(error)}`);
      return false;
    }
    // New AOF files may have been added to the directory too.
    try {
      fsyncDirectory(aofPath(ctx, dirName));
    } catch (error) {
      logger.warning(`Fail to fsync AOF directory ${logName(inAofDir(ctx, name))}: ${errorText(error)}.`);
      return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/** persistAofManifest: writes `am` if it changed since it was last written; clears `dirty` on success. */
export function persistAofManifest(ctx: AofContext, am: AofManifest): boolean {
  if (!am.dirty) return true;
  const ok = writeAofManifestFile(ctx, getAofManifestAsString(am));
  if (ok) am.dirty = false;
  return ok;
}

// ---- the 6.x upgrade ---------------------------------------------------------------------------

/**
 * aofUpgradePrepare, which loadAppendOnlyFiles calls when `dir` holds a 6.x single-file
 * AOF (`<appendfilename>`) and the AOF directory names no other: creates the AOF
 * directory, makes the old file the BASE (seq 1, under its own name) in `am`, persists
 * the manifest, then moves the file into the directory. If any step fails or the
 * process dies half-way, the next start finds the old file still in `dir` (or the
 * manifest naming a base that is still there) and upgrades again. Returns false after
 * logging the failure (Redis exits with 1).
 */
export function aofUpgradePrepare(ctx: AofContext, am: AofManifest): boolean {
  const fileName = aofFileName(ctx);
  const dirName = aofDirName(ctx);
  const failure = dirCreateIfMissing(aofPath(ctx, dirName));
  if (failure !== null) {
    logger.warning(`Can't open or create append-only dir ${logName(dirName)}: ${failure}`);
    return false;
  }
  am.base = { fileName, fileSeq: 1, fileType: "b" };
  am.currBaseFileSeq = 1;
  am.dirty = true;
  if (!persistAofManifest(ctx, am)) return false;
  try {
    renameSync(aofPath(ctx, fileName), aofPath(ctx, dirName, fileName));
  } catch (error) {
    logger.warning(`Error trying to move the old AOF file ${logName(fileName)} into dir ${logName(dirName)}: ${errorText(error)}`);
    return false;
  }
  logger.notice(`Successfully migrated an old-style AOF file (${logName(fileName)}) into the AOF directory (${logName(dirName)}).`);
  return true;
}

// ---- history files -------------------------------------------------------------------------------

/**
 * aofDelHistoryFiles: after a rewrite (and at start-up), deletes the HISTORY files of `am`
 * and persists the manifest without them, unless aof-disable-auto-gc is set. Each file is
 * removed as Redis's bg_unlink does: its name goes now, and the data blocks are freed
 * when the last descriptor closes, which happens off the event loop (the file is opened
 * first, and closed asynchronously), so a large file costs the server no stall. Returns
 * false when the manifest could not be written.
 */
export function aofDelHistoryFiles(ctx: AofContext, am: AofManifest): boolean {
  if (ctx.config.getBool("aof-disable-auto-gc") || am.history.length === 0) return true;
  const dirName = aofDirName(ctx);
  for (const info of am.history) {
    logger.notice(`Removing the history file ${logName(info.fileName)} in the background`);
    bgUnlink(aofPath(ctx, dirName, info.fileName));
  }
  am.history = [];
  am.dirty = true;
  return persistAofManifest(ctx, am);
}

/** bg_unlink: unlink now, free the data when the descriptor opened first closes in the background. */
export function bgUnlink(path: Buffer | string): void {
  let fd = -1;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    // Can't open it: unlink it in the main thread (it may not exist at all).
  }
  try {
    unlinkSync(path);
  } catch {
    // Redis ignores the result too: a missing history file is no problem.
  }
  if (fd !== -1) closeAsync(fd, () => {});
}

// ---- sizes and existence -------------------------------------------------------------------------

export interface AofFileSize {
  size: number;
  status: typeof AOF_OK | typeof AOF_NOT_EXIST | typeof AOF_OPEN_ERR;
}

/** getAppendOnlyFileSize: the size of an AOF file (0, with Redis's log line, when it cannot be read). */
export function getAppendOnlyFileSize(ctx: AofContext, fileName: string): AofFileSize {
  try {
    return { size: statSync(aofPath(ctx, aofDirName(ctx), fileName)).size, status: AOF_OK };
  } catch (error) {
    logger.warning(`Unable to obtain the AOF file ${logName(fileName)} length. stat: ${errorText(error)}`);
    return { size: 0, status: (error as NodeJS.ErrnoException).code === "ENOENT" ? AOF_NOT_EXIST : AOF_OPEN_ERR };
  }
}

/** getBaseAndIncrAppendOnlyFilesSize: base and INCR files (not history); stops at the first that fails (size 0). */
export function getBaseAndIncrAppendOnlyFilesSize(ctx: AofContext, am: AofManifest): AofFileSize {
  let size = 0;
  for (const info of am.base === null ? am.incrs : [am.base, ...am.incrs]) {
    const file = getAppendOnlyFileSize(ctx, info.fileName);
    if (file.status !== AOF_OK) return { size: 0, status: file.status };
    size += file.size;
  }
  return { size, status: AOF_OK };
}

export function getBaseAndIncrAppendOnlyFilesNum(am: AofManifest): number {
  return (am.base === null ? 0 : 1) + am.incrs.length;
}

/** aofFileExist: a regular file of that name in the AOF directory. */
export function aofFileExist(ctx: AofContext, fileName: string): boolean {
  return fileExists(aofPath(ctx, aofDirName(ctx), fileName));
}

/** dirCreateIfMissing: null when the directory exists or was created, else the reason (strerror text). */
export function dirCreateIfMissing(path: Buffer | string): string | null {
  try {
    mkdirSync(path, 0o755);
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return errorText(error);
    return dirExists(path) ? null : errorText({ code: "ENOTDIR" });
  }
}

/** fileExist: stat succeeds and it is a regular file. */
export function fileExists(path: Buffer | string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function dirExists(path: Buffer | string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** fsyncFileDir: makes a rename or a new file in the directory durable. */
function fsyncDirectory(path: Buffer): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
