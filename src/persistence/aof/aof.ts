// The append-only file's write side (Redis 7.0's aof.c): every effect of the write
// path goes to the current INCR file of the multi-part AOF, fsynced by policy, and a
// rewrite replaces the BASE without fork.
//
// Writing. The AOF is an EffectFeed (propagate.ts): each effect is appended to an
// in-memory buffer as RESP (with a SELECT when the database changes, #TS annotations
// when aof-timestamp-enabled), and the buffer is written in the before-reply stage
// (Server.addBeforeReplyHook, Redis's beforeSleep): once per event-loop turn, for every
// client at once, and before any reply of that turn leaves. With appendfsync always the
// same stage also fdatasyncs: a write is acknowledged only once its effect is on disk,
// and one fsync covers every write of the turn (group commit). With everysec the fsync
// runs off the event loop (node:fs async fsync on Bun's thread pool) at most once a
// second; a write is postponed up to two seconds while one is still running, as Redis
// postpones it, then forced (aof_delayed_fsync). With no the kernel decides.
//
// Failing writes. A short or failed write is truncated back to the last good size and
// the data stays in the buffer; write commands get MISCONF until a retry (the cron,
// once a second) succeeds. With appendfsync always a failed write or fsync ends the
// process, as in Redis: acknowledged writes must be on disk.
//
// Rewriting. BGREWRITEAOF (and the automatic rewrite) opens a new INCR file at once
// (every later effect goes there), then starts the snapshot writer in the one child slot
// ("aof-rewrite" kind): it writes a new BASE from the point-in-time snapshot taken at
// that instant. When it succeeds, backgroundRewriteDoneHandler moves it into the AOF
// directory, marks the old BASE and the INCR files before the new one as history in the
// manifest (replaced atomically) and deletes them. The dataset is BASE + INCR files in
// manifest order at every moment, so a crash at any point loses nothing acknowledged.
// docs/persistence.md has the algorithm and the manifest.

import { closeSync, fdatasyncSync, fsync, close, ftruncateSync, openSync, writeSync, constants as fsConstants } from "node:fs";
import { join } from "node:path";
import type { Server } from "../../server.ts";
import { PROPAGATE_AOF, type EffectFeed } from "../../propagate.ts";
import { ReplyWriter } from "../../protocol/reply.ts";
import { logger } from "../../log.ts";
import { errorText } from "../../util/errors-text.ts";
import type { Child, ChildExit } from "../child.ts";
import { renameSync } from "node:fs";
import { constants as osConstants } from "node:os";
import {
  AofManifest,
  aofDelHistoryFiles,
  aofDirName,
  aofPath,
  dirCreateIfMissing,
  getAppendOnlyFileSize,
  getLastIncrAofName,
  getNewBaseFileNameAndMarkPreAsHistory,
  getNewIncrAofName,
  getTempIncrAofName,
  bgUnlink,
  logName,
  markRewrittenIncrAofAsHistory,
  persistAofManifest,
} from "./manifest.ts";
import { rewriteAppendOnlyFile } from "./rewrite.ts";
import { SnapshotCoordinator } from "../snapshot.ts";
/** Redis's aof_state. */
export type AofState = "off" | "on" | "wait-rewrite";

export type FsyncPolicy = "always" | "everysec" | "no";

/** AOF_REWRITE_LIMITE_THRESHOLD / _MAX_MINUTES: failed rewrites back off from the 3rd on. */
const REWRITE_LIMIT_THRESHOLD = 3;
const REWRITE_LIMIT_MAX_MINUTES = 60;
/** AOF_WRITE_LOG_ERROR_RATE: seconds between two logs of a failing write. */
const WRITE_ERROR_LOG_RATE = 30;

const SELECT = new TextEncoder().encode("SELECT");

const unixSeconds = (): number => Math.floor(Date.now() / 1000);

export class AppendOnlyFile implements EffectFeed {
  /** The AOF takes the effects meant for it (a script's redis.set_repl may exclude it). */
  readonly targets = PROPAGATE_AOF;
  state: AofState = "off";
  /** The INCR file being appended to, -1 when none is open. */
  private fd = -1;
  /** server.aof_buf: effects waiting for the before-reply stage. */
  private readonly buffer = new ReplyWriter();
  /** aof_selected_db: -1 makes the next effect start with a SELECT. */
  private selectedDb = -1;
  /** aof_cur_timestamp: the last #TS annotation written. */
  private currentTimestamp = 0;

  /** aof_current_size: BASE and INCR files. */
  currentSize = 0;
  /** aof_last_incr_size: the INCR file being appended to. */
  private lastIncrSize = 0;
  /** aof_last_incr_fsync_offset: how much of that file an fsync covered. */
  private lastIncrFsyncOffset = 0;
  /** aof_rewrite_base_size: aof_current_size after the last rewrite or load (the growth rule's base). */
  baseSize = 0;
  /** aof_last_fsync (unix seconds). */
  private lastFsync = unixSeconds();
  /** aof_flush_postponed_start: when an everysec write started waiting for a running fsync. */
  private flushPostponedStart = 0;
  /** aof_delayed_fsync: writes that could not wait any longer for a running fsync. */
  delayedFsync = 0;
  /** Background fsyncs running (bioPendingJobsOfType(BIO_AOF_FSYNC)). */
  pendingFsyncs = 0;

  /** aof_last_write_status / aof_last_write_errno, and what Bunker adds: the reason. */
  lastWriteStatus: "ok" | "err" = "ok";
  private lastWriteErrno = "";
  private lastWriteErrorLog = 0;
  /** aof_bio_fsync_status / errno: a background fsync failed. */
  private bioFsyncStatus: "ok" | "err" = "ok";
  private bioFsyncErrno = "";

  /** aof_rewrite_scheduled: a rewrite waits for the child slot (BGSAVE running, EXEC). */
  rewriteScheduled = false;
  /** aof_rewrite_time_start / _last (seconds), -1 when none. */
  private rewriteTimeStart = -1;
  rewriteTimeLast = -1;
  lastBgrewriteStatus: "ok" | "err" = "ok";
  /** Why the last rewrite failed (Bunker's INFO aof_last_bgrewrite_error). */
  lastBgrewriteError = "";
  /** stat_aof_rewrites, stat_aofrw_consecutive_failures, stat_aof_cow_bytes. */
  rewrites = 0;
  consecutiveRewriteFailures = 0;
  lastCowSize = 0;
  /** aofRewriteLimited's state. */
  private nextRewriteDelayMinutes = 0;
  private nextRewriteTime = 0;

  private removeHook: (() => void) | null = null;

  constructor(private readonly server: Server) {
    const config = server.config;
    const refresh = (): void => {
      this.fsyncPolicy = config.getString("appendfsync") as FsyncPolicy;
      this.timestampEnabled = config.getBool("aof-timestamp-enabled");
    };
    refresh();
    config.onChange("appendfsync", refresh);
    config.onChange("aof-timestamp-enabled", refresh);
  }

  // ---- configuration read on every write ----------------------------------------------

  /**
   * appendfsync and aof-timestamp-enabled, kept fresh by CONFIG SET: the feed reads one
   * per effect and a config lookup by name cost more than encoding a short effect.
   */
  private fsyncPolicy: FsyncPolicy = "everysec";
  private timestampEnabled = false;

  get dir(): string {
    return join(process.cwd(), this.server.config.getString("appenddirname"));
  }

  get fileName(): string {
    return this.server.config.getString("appendfilename");
  }

  // ---- the feed (feedAppendOnlyFile) ----------------------------------------------------

  /**
   * feedAppendOnlyFile: one effect of the write path, as RESP. Kept only while the AOF
   * is on, or while the rewrite that turns it on runs (its effects go to the temporary
   * INCR file that becomes the first one).
   */
  feed(dbIndex: number, argv: readonly Uint8Array[]): void {
    const keep = this.state === "on" || (this.state === "wait-rewrite" && this.server.persistence.childSlot.activeChild()?.kind === "aof-rewrite");
    const buffer = this.buffer;
    const start = buffer.length;
    if (this.timestampEnabled) {
      const now = unixSeconds();
      if (this.currentTimestamp < now) {
        this.currentTimestamp = now;
        buffer.raw(new TextEncoder().encode(`#TS:${now}\r\n`));
      }
    }
    if (dbIndex !== this.selectedDb) {
      buffer.arrayHeader(2);
      buffer.bulk(SELECT);
      buffer.bulkText(String(dbIndex));
      this.selectedDb = dbIndex;
    }
    buffer.command(argv);
    if (!keep) buffer.length = start;
    // Effects made outside a client's command (the cron's expiry) have no reply to wait for.
    else this.server.requestBeforeSleep();
  }

  /** aof_buffer_length */
  get bufferLength(): number {
    return this.buffer.length;
  }

  // ---- writing (flushAppendOnlyFile) ---------------------------------------------------

  /**
   * flushAppendOnlyFile: writes the buffer to the INCR file and fsyncs by policy. Runs
   * in the before-reply stage; `force` writes even while an everysec fsync is running
   * (a rewrite starting, shutdown, appendonly no).
   */
  flushAppendOnlyFile(force: boolean): void {
    if (this.fd === -1) return;
    const policy = this.fsyncPolicy;
    const now = unixSeconds();
    if (this.buffer.length === 0) {
      // Nothing new, but an fsync may still be owed: everysec once the second has turned,
      // always after a switch from everysec.
      if (policy === "everysec" && this.lastIncrFsyncOffset !== this.lastIncrSize && now > this.lastFsync && this.pendingFsyncs === 0) {
        this.fsyncByPolicy(policy, now, false);
      } else if (policy === "always" && this.lastIncrFsyncOffset !== this.lastIncrSize) {
        this.fsyncByPolicy(policy, now, false);
      }
      return;
    }
    const syncInProgress = policy === "everysec" && this.pendingFsyncs > 0;
    if (policy === "everysec" && !force && syncInProgress) {
      // A write now would wait for the running fsync anyway (Linux): postpone it, for
      // at most two seconds.
      if (this.flushPostponedStart === 0) {
        this.flushPostponedStart = now;
        return;
      }
      if (now - this.flushPostponedStart < 2) return;
      this.delayedFsync++;
      logger.notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
    }
    const started = performance.now();
    const expected = this.buffer.length;
    const { written, error } = this.writeAll(this.buffer.buffer, expected);
    const latency = performance.now() - started;
    const latencyMonitor = this.server.latency;
    latencyMonitor.sample(syncInProgress ? "aof-write-pending-fsync" : this.server.persistence.childSlot.hasActiveChildProcess() ? "aof-write-active-child" : "aof-write-alone", latency);
    latencyMonitor.sample("aof-write", latency);
    this.flushPostponedStart = 0;
    if (written !== expected) {
      this.writeFailed(written, expected, error, policy, now);
      return;
    }
    if (this.lastWriteStatus === "err") {
      logger.warning("AOF write error looks solved, Redis can write again.");
      this.lastWriteStatus = "ok";
    }
    this.currentSize += written;
    this.lastIncrSize += written;
    // Reused for the next turn: ReplyWriter.reset drops a buffer that grew past 1 MiB
    // (Redis frees an aof_buf of 4000 bytes or more; a copy per write to let go of a
    // 16 KiB buffer cost more than it saved).
    this.buffer.reset();
    this.fsyncByPolicy(policy, now, syncInProgress);
  }

  /** aofWrite: write(2) until everything is written or an error; returns what was written. */
  private writeAll(bytes: Uint8Array, length: number): { written: number; error: unknown } {
    let written = 0;
    while (written < length) {
      try {
        written += writeSync(this.fd, bytes, written, length - written);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EINTR") continue;
        return { written, error };
      }
    }
    return { written, error: null };
  }

  private writeFailed(written: number, expected: number, error: unknown, policy: FsyncPolicy, now: number): void {
    const canLog = now - this.lastWriteErrorLog > WRITE_ERROR_LOG_RATE;
    if (canLog) this.lastWriteErrorLog = now;
    let kept = written;
    if (written === 0) {
      if (canLog) logger.warning(`Error writing to the AOF file: ${errorText(error)}`);
      this.lastWriteErrno = errorText(error);
    } else {
      if (canLog) logger.warning(`Short write while writing to the AOF file: (nwritten=${written}, expected=${expected})`);
      try {
        ftruncateSync(this.fd, this.lastIncrSize);
        // No partial command is left in the file: the whole buffer is written again.
        kept = 0;
      } catch (truncateError) {
        if (canLog) {
          logger.warning(`Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${errorText(truncateError)}`);
        }
      }
      this.lastWriteErrno = errorText({ code: "ENOSPC" });
    }
    if (policy === "always") {
      // The replies of this turn are waiting for this write: they must not go out.
      logger.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      process.exit(1);
    }
    this.lastWriteStatus = "err";
    if (kept > 0) {
      this.currentSize += kept;
      this.lastIncrSize += kept;
      const rest = this.buffer.buffer.slice(kept, expected);
      this.buffer.reset();
      this.buffer.raw(rest);
    }
  }

  /** The fsync part of flushAppendOnlyFile (try_fsync). */
  private fsyncByPolicy(policy: FsyncPolicy, now: number, syncInProgress: boolean): void {
    // no-appendfsync-on-rewrite: no fsync while a child does its own I/O.
    if (this.server.config.getBool("no-appendfsync-on-rewrite") && this.server.persistence.childSlot.hasActiveChildProcess()) return;
    if (policy === "always") {
      const started = performance.now();
      try {
        fdatasyncSync(this.fd);
      } catch (error) {
        logger.warning(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${errorText(error)}. Exiting...`);
        process.exit(1);
      }
      this.server.latency.sample("aof-fsync-always", performance.now() - started);
      this.lastIncrFsyncOffset = this.lastIncrSize;
      this.lastFsync = now;
    } else if (policy === "everysec" && now > this.lastFsync) {
      if (!syncInProgress) {
        this.backgroundFsync(this.fd, false);
        this.lastIncrFsyncOffset = this.lastIncrSize;
      }
      this.lastFsync = now;
    }
  }

  /**
   * aof_background_fsync (and _and_close): fsync off the event loop, on Bun's thread
   * pool. A failure is remembered (MISCONF) until a later fsync succeeds.
   */
  private backgroundFsync(fd: number, closeAfter: boolean): void {
    this.pendingFsyncs++;
    fsync(fd, (error) => {
      this.pendingFsyncs--;
      if (error) {
        logger.warning(`Fail to fsync the AOF file: ${errorText(error)}`);
        this.bioFsyncStatus = "err";
        this.bioFsyncErrno = errorText(error);
      } else if (this.bioFsyncStatus === "err") {
        this.bioFsyncStatus = "ok";
        logger.notice("AOF fsync recovered.");
      }
      if (closeAfter) close(fd, () => {});
    });
  }

  // ---- MISCONF and INFO ---------------------------------------------------------------

  /** writeCommandsDeniedByDiskError's AOF case: the error text, or null. */
  diskErrorMessage(): string | null {
    if (this.state === "off") return null;
    if (this.lastWriteStatus === "err") return `MISCONF Errors writing to the AOF file: ${this.lastWriteErrno}`;
    if (this.bioFsyncStatus === "err") return `MISCONF Errors writing to the AOF file: ${this.bioFsyncErrno}`;
    return null;
  }

  /** Why the last write or fsync failed (Bunker's aof_last_write_error), "" when it did not. */
  get lastWriteError(): string {
    if (this.lastWriteStatus === "err") return this.lastWriteErrno;
    if (this.bioFsyncStatus === "err") return this.bioFsyncErrno;
    return "";
  }

  get writeStatus(): "ok" | "err" {
    return this.lastWriteStatus === "ok" && this.bioFsyncStatus === "ok" ? "ok" : "err";
  }

  /** INFO persistence, from aof_enabled to aof_last_cow_size, and Bunker's reasons of failure. */
  infoFields(): string[] {
    const rewriting = this.server.persistence.childSlot.activeChild()?.kind === "aof-rewrite";
    return [
      `aof_enabled:${this.state !== "off" ? 1 : 0}`,
      `aof_rewrite_in_progress:${rewriting ? 1 : 0}`,
      `aof_rewrite_scheduled:${this.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.rewriteTimeLast}`,
      `aof_current_rewrite_time_sec:${this.currentRewriteTimeSec}`,
      `aof_last_bgrewrite_status:${this.lastBgrewriteStatus}`,
      `aof_rewrites:${this.rewrites}`,
      `aof_rewrites_consecutive_failures:${this.consecutiveRewriteFailures}`,
      `aof_last_write_status:${this.writeStatus}`,
      `aof_last_cow_size:${this.lastCowSize}`,
      `aof_last_bgrewrite_error:${this.lastBgrewriteError}`,
      `aof_last_write_error:${this.lastWriteError}`,
    ];
  }

  /** INFO persistence's block shown while appendonly is yes. */
  infoFieldsWhenEnabled(): string[] {
    return [
      `aof_current_size:${this.currentSize}`,
      `aof_base_size:${this.baseSize}`,
      `aof_pending_rewrite:${this.rewriteScheduled ? 1 : 0}`,
      `aof_buffer_length:${this.buffer.length}`,
      `aof_pending_bio_fsync:${this.pendingFsyncs}`,
      `aof_delayed_fsync:${this.delayedFsync}`,
    ];
  }

  /** aof_current_rewrite_time_sec */
  get currentRewriteTimeSec(): number {
    return this.rewriteTimeStart === -1 ? -1 : unixSeconds() - this.rewriteTimeStart;
  }

  // ---- the files (manifest.ts) ---------------------------------------------------------

  /** server.aof_manifest: the BASE, INCR and history files the dataset is made of. */
  manifest: AofManifest = new AofManifest();

  /** A file of the AOF directory (a binary-string name), as a path. */
  private pathOf(name: string): Buffer {
    return aofPath(this.server, aofDirName(this.server), name);
  }

  /**
   * While the AOF is not off it receives the effect stream, and the before-reply stage
   * writes what it received (Redis's propagate feeds the AOF only when aof_state is not off).
   */
  private setWriting(writing: boolean): void {
    if (writing && this.removeHook === null) {
      this.server.propagation.addFeed(this);
      this.removeHook = this.server.addBeforeReplyHook(() => this.flushAppendOnlyFile(false));
    }
    if (!writing && this.removeHook !== null) {
      this.server.propagation.removeFeed(this);
      this.removeHook();
      this.removeHook = null;
    }
  }

  /** Appends to the INCR file open as `fd` from now on; `size` bytes are in it already. */
  private useIncr(fd: number, size: number): void {
    // The old file is fsynced and closed off the event loop: with everysec a late fsync
    // is fine as long as it happens; with always it is synced already.
    if (this.fd !== -1) {
      this.backgroundFsync(this.fd, true);
      this.lastFsync = unixSeconds();
    }
    this.fd = fd;
    this.lastIncrSize = size;
    this.lastIncrFsyncOffset = size;
  }

  /** The INCR file is closed (a rewrite that was to turn the AOF on could not start). */
  private closeIncr(): void {
    if (this.fd === -1) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** dirCreateIfMissing for the AOF directory, with Redis's log line when it fails. */
  private createDir(): string | null {
    const failure = dirCreateIfMissing(aofPath(this.server, aofDirName(this.server)));
    if (failure !== null) logger.warning(`Can't open or create append-only dir ${logName(aofDirName(this.server))}: ${failure}`);
    return failure;
  }

  // ---- start-up (aofOpenIfNeededOnServerStart) ---------------------------------------------

  /**
   * After the data was loaded, with appendonly yes: a dataset with no AOF gets its first
   * BASE written now (rewriteAppendOnlyFile, synchronously), the last INCR file is
   * opened for appending (or created), and the manifest is persisted. Any failure ends
   * the process, as in Redis. `sizes` are what loading found (aof_current_size and
   * aof_rewrite_base_size).
   */
  openOnServerStart(manifest: AofManifest, sizes: { currentSize: number; baseSize: number }): void {
    this.manifest = manifest;
    if (this.createDir() !== null) process.exit(1);
    const hadIncrs = manifest.incrs.length > 0;
    if (manifest.base === null && !hadIncrs) {
      const baseName = getNewBaseFileNameAndMarkPreAsHistory(this.server, manifest);
      if (!rewriteAppendOnlyFile(this.server, this.pathOf(baseName).toString("latin1"))) process.exit(1);
      logger.notice(`Creating AOF base file ${logName(baseName)} on server start`);
    }
    const incrName = getLastIncrAofName(this.server, manifest);
    let fd: number;
    try {
      fd = openSync(this.pathOf(incrName), fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o644);
    } catch (error) {
      logger.warning(`Can't open the append-only file ${logName(incrName)}: ${errorText(error)}`);
      process.exit(1);
    }
    if (!persistAofManifest(this.server, manifest)) process.exit(1);
    this.useIncr(fd, getAppendOnlyFileSize(this.server, incrName).size);
    this.loadedSizes(sizes);
    this.state = "on";
    this.setWriting(true);
    logger.notice(`${hadIncrs ? "Opening" : "Creating"} AOF incr file ${logName(incrName)} on server start`);
  }

  /** What a load that got through every file measured: aof_current_size and aof_rewrite_base_size. */
  loadedSizes(sizes: { currentSize: number; baseSize: number }): void {
    this.currentSize = sizes.currentSize;
    this.baseSize = sizes.baseSize;
  }

  // ---- CONFIG SET appendonly (startAppendOnly / stopAppendOnly) --------------------------

  /**
   * startAppendOnly: the AOF is on once a rewrite has written its first BASE; until then
   * (WAIT_REWRITE) effects go to a temporary INCR file. Returns false when no rewrite
   * could start (CONFIG SET then fails).
   */
  startAppendOnly(): boolean {
    this.state = "wait-rewrite";
    this.setWriting(true);
    const slot = this.server.persistence.childSlot;
    const child = slot.activeChild();
    if (child !== null && child.kind !== "aof-rewrite") {
      this.rewriteScheduled = true;
      logger.warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
    } else if (this.server.inExec) {
      this.rewriteScheduled = true;
      logger.warning("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
    } else {
      if (child !== null) {
        logger.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        this.killAppendOnlyChild();
      }
      if (!this.rewriteAppendOnlyFileBackground()) {
        this.state = "off";
        this.setWriting(false);
        this.closeIncr();
        logger.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        return false;
      }
    }
    this.lastFsync = unixSeconds();
    if (this.bioFsyncStatus === "err") {
      logger.warning("AOF reopen, just ignore the AOF fsync error in bio job");
      this.bioFsyncStatus = "ok";
    }
    if (this.lastWriteStatus === "err") {
      logger.warning("AOF reopen, just ignore the last error.");
      this.lastWriteStatus = "ok";
    }
    return true;
  }

  /** stopAppendOnly: written out, fsynced and closed; a rewrite under way is stopped. */
  stopAppendOnly(): void {
    this.flushAppendOnlyFile(true);
    if (this.fd !== -1) {
      try {
        fdatasyncSync(this.fd);
        this.lastFsync = unixSeconds();
      } catch (error) {
        logger.warning(`Fail to fsync the AOF file: ${errorText(error)}`);
      }
      closeSync(this.fd);
    }
    this.fd = -1;
    this.selectedDb = -1;
    this.state = "off";
    this.setWriting(false);
    this.rewriteScheduled = false;
    this.lastIncrSize = 0;
    this.lastIncrFsyncOffset = 0;
    this.killAppendOnlyChild();
    this.buffer.take();
  }

  /** The AOF part of prepareForShutdown: its buffer written and fsynced before exit. */
  shutdownFsync(): void {
    if (this.state === "off") return;
    logger.notice("Calling fsync() on the AOF file.");
    this.flushAppendOnlyFile(true);
    if (this.fd === -1) return;
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      logger.warning(`Fail to fsync the AOF file: ${errorText(error)}.`);
    }
  }

  // ---- rewriting (rewriteAppendOnlyFileBackground and its done-handler) -------------------

  /**
   * openNewIncrAofForAppend: from now on effects go to a new INCR file (a temporary one
   * while the AOF waits for its first BASE), and the manifest says so before anything
   * is written to it. All or nothing: on failure nothing changes.
   */
  private openNewIncrAofForAppend(): boolean {
    if (this.state === "off") return true;
    let edited: AofManifest | null = null;
    let name: string;
    if (this.state === "wait-rewrite") name = getTempIncrAofName(this.server);
    else {
      edited = this.manifest.dup();
      name = getNewIncrAofName(this.server, edited);
    }
    let fd: number;
    try {
      // O_APPEND, as at start-up (Redis 7.0 opens this one without it): after a short
      // write is cut back with ftruncate, the next write must land at the new end, not
      // at the offset the short write reached, which would leave a hole of NUL bytes.
      fd = openSync(this.pathOf(name), fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_CREAT | fsConstants.O_APPEND, 0o644);
    } catch (error) {
      logger.warning(`Can't open the append-only file ${logName(name)}: ${errorText(error)}`);
      return false;
    }
    if (edited !== null && !persistAofManifest(this.server, edited)) {
      closeSync(fd);
      return false;
    }
    logger.notice(`Creating AOF incr file ${logName(name)} on background rewrite`);
    this.useIncr(fd, 0);
    if (edited !== null) this.manifest = edited;
    return true;
  }

  /**
   * rewriteAppendOnlyFileBackground (BGREWRITEAOF, the automatic rewrite, the rewrite
   * that turns the AOF on): a new INCR file takes the effects from now on, and the
   * snapshot writer, in the child slot, writes a new BASE of the dataset as it is now.
   */
  rewriteAppendOnlyFileBackground(): boolean {
    const slot = this.server.persistence.childSlot;
    if (slot.hasActiveChildProcess()) return false;
    const dirFailure = this.createDir();
    if (dirFailure !== null) {
      this.rewriteFailedToStart(`mkdir: ${dirFailure}`);
      return false;
    }
    this.flushAppendOnlyFile(true);
    // A write that failed is still in the buffer: it belongs before the new INCR file,
    // and the new base will hold its effect already, so written after the base it would
    // be applied twice (INCR counted twice on load). Redis 7.0.15 starts the rewrite anyway.
    if (this.buffer.length > 0) {
      const now = unixSeconds();
      if (now - this.rewriteRefusedLog > WRITE_ERROR_LOG_RATE) {
        this.rewriteRefusedLog = now;
        logger.warning("Can't rewrite append only file in background: the AOF buffer could not be written");
      }
      this.rewriteFailedToStart(`the AOF buffer could not be written: ${this.lastWriteErrno}`);
      return false;
    }
    // The next effect, in the new INCR file, starts with a SELECT.
    this.selectedDb = -1;
    if (!this.openNewIncrAofForAppend()) {
      this.rewriteFailedToStart("could not open a new INCR file");
      return false;
    }
    this.rewrites++;
    let child: Child<"aof-rewrite">;
    try {
      child = slot.spawnChild("aof-rewrite", new SnapshotCoordinator(this.server, { output: "aof-base" }), { type: "file", path: aofPath(this.server, aofDirName(this.server)).toString("latin1") });
    } catch (error) {
      logger.warning(`Can't rewrite append only file in background: fork: ${errorText(error)}`);
      this.rewriteFailedToStart(`spawn: ${errorText(error)}`);
      return false;
    }
    logger.notice(`Background append only file rewriting started by pid ${child.pid}`);
    this.rewriteScheduled = false;
    this.rewriteTimeStart = unixSeconds();
    return true;
  }

  /** When a rewrite was last refused for a buffer that could not be written (logged every WRITE_ERROR_LOG_RATE s). */
  private rewriteRefusedLog = 0;

  private rewriteFailedToStart(reason: string): void {
    this.lastBgrewriteStatus = "err";
    this.lastBgrewriteError = reason;
  }

  /** BGREWRITEAOF's reply, as bgrewriteaofCommand decides it. */
  bgrewriteaof(): { status: string } | { error: string } {
    const slot = this.server.persistence.childSlot;
    if (slot.activeChild()?.kind === "aof-rewrite") return { error: "ERR Background append only file rewriting already in progress" };
    if (slot.hasActiveChildProcess() || this.server.inExec) {
      this.rewriteScheduled = true;
      // A manual rewrite is not held back by earlier failures.
      this.consecutiveRewriteFailures = 0;
      return { status: "Background append only file rewriting scheduled" };
    }
    if (this.rewriteAppendOnlyFileBackground()) return { status: "Background append only file rewriting started" };
    return { error: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information." };
  }

  /**
   * killAppendOnlyChild: a rewrite under way is stopped and its temp files removed. As in
   * Redis the slot is free when this returns (a new rewrite may start at once) and the
   * killed child is no rewrite that ended: no done-handler, no status, no rewrite time.
   * Its temp files are removed now and again once it has exited (it may still be
   * creating one).
   */
  killAppendOnlyChild(): void {
    const slot = this.server.persistence.childSlot;
    const child = slot.activeChild();
    if (child === null || child.kind !== "aof-rewrite") return;
    logger.notice(`Killing running AOF rewrite child: ${child.pid}`);
    slot.stopChildNow((stopped) => this.removeTempFiles(stopped.pid));
    this.removeTempFiles(child.pid);
    this.rewriteTimeStart = -1;
  }

  /** aofRemoveTempFile: a rewrite writer's temp files (in the working directory), removed in the background. */
  private removeTempFiles(pid: number): void {
    bgUnlink(join(process.cwd(), `temp-rewriteaof-bg-${pid}.aof`));
    bgUnlink(join(process.cwd(), `temp-rewriteaof-${pid}.aof`));
  }

  /** aofDelTempIncrAofFile: the INCR file of a rewrite that was to turn the AOF on. */
  private deleteTempIncr(): void {
    const name = getTempIncrAofName(this.server);
    logger.notice(`Removing the temp incr aof file ${logName(name)} in the background`);
    bgUnlink(this.pathOf(name));
  }

  /**
   * backgroundRewriteDoneHandler: on success the new BASE moves into the AOF directory,
   * the old BASE and the INCR files before the current one become history, the manifest
   * is persisted (atomically: until then the old files are the dataset), and the history
   * is deleted. On failure the files stay as they were and the cron retries.
   */
  backgroundRewriteDoneHandler(child: Child<"aof-rewrite">, exit: ChildExit): void {
    if (exit.bySignal === 0 && exit.exitCode === 0) this.installRewrittenBase(child);
    else if (exit.bySignal === 0) {
      this.rewriteFailed(child.producer.failureCause || `rewrite child exited with code ${exit.exitCode}`);
      logger.warning("Background AOF rewrite terminated with error");
    } else {
      // SIGUSR1 is how the server stops a rewrite on purpose: no error.
      if (exit.bySignal !== osConstants.signals.SIGUSR1) this.rewriteFailed(`rewrite child killed by signal ${exit.bySignal}`);
      logger.warning(`Background AOF rewrite terminated by signal ${exit.bySignal}`);
    }
    this.removeTempFiles(child.pid);
    if (this.state === "wait-rewrite") {
      // The temporary INCR file did not become the first one: its effects are in no BASE.
      this.buffer.take();
      this.deleteTempIncr();
    }
    this.rewriteTimeLast = unixSeconds() - this.rewriteTimeStart;
    this.rewriteTimeStart = -1;
    this.lastCowSize = child.producer.cowPeak;
    // Still waiting to turn on: try again.
    if (this.state === "wait-rewrite") this.rewriteScheduled = true;
  }

  private rewriteFailed(reason: string): void {
    this.lastBgrewriteStatus = "err";
    this.lastBgrewriteError = reason;
    this.consecutiveRewriteFailures++;
  }

  private installRewrittenBase(child: Child<"aof-rewrite">): void {
    const started = performance.now();
    logger.notice("Background AOF rewrite terminated with success");
    const tempFile = `temp-rewriteaof-bg-${child.pid}.aof`;
    const edited = this.manifest.dup();
    const baseName = getNewBaseFileNameAndMarkPreAsHistory(this.server, edited);
    const basePath = this.pathOf(baseName);
    try {
      renameSync(join(process.cwd(), tempFile), basePath);
    } catch (error) {
      logger.warning(`Error trying to rename the temporary AOF base file ${tempFile} into ${logName(`${aofDirName(this.server)}/${baseName}`)}: ${errorText(error)}`);
      this.rewriteFailed(`rename: ${errorText(error)}`);
      return;
    }
    logger.notice(`Successfully renamed the temporary AOF base file ${tempFile} into ${logName(baseName)}`);
    let incrPath: Buffer | null = null;
    if (this.state === "wait-rewrite") {
      const tempIncrName = getTempIncrAofName(this.server);
      const incrName = getNewIncrAofName(this.server, edited);
      incrPath = this.pathOf(incrName);
      try {
        renameSync(this.pathOf(tempIncrName), incrPath);
      } catch (error) {
        const dir = aofDirName(this.server);
        logger.warning(`Error trying to rename the temporary AOF incr file ${logName(`${dir}/${tempIncrName}`)} into ${logName(`${dir}/${incrName}`)}: ${errorText(error)}`);
        bgUnlink(basePath);
        this.rewriteFailed(`rename: ${errorText(error)}`);
        return;
      }
      logger.notice(`Successfully renamed the temporary AOF incr file ${logName(tempIncrName)} into ${logName(incrName)}`);
    }
    markRewrittenIncrAofAsHistory(edited, this.fd !== -1);
    if (!persistAofManifest(this.server, edited)) {
      bgUnlink(basePath);
      if (incrPath !== null) bgUnlink(incrPath);
      this.rewriteFailed("could not persist the manifest");
      return;
    }
    this.manifest = edited;
    if (this.state !== "off") {
      this.currentSize = getAppendOnlyFileSize(this.server, baseName).size + this.lastIncrSize;
      this.baseSize = this.currentSize;
    }
    // A history file left behind is no harm: the manifest no longer names it.
    aofDelHistoryFiles(this.server, this.manifest);
    this.lastBgrewriteStatus = "ok";
    this.lastBgrewriteError = "";
    this.consecutiveRewriteFailures = 0;
    logger.notice("Background AOF rewrite finished successfully");
    if (this.state === "wait-rewrite") this.state = "on";
    logger.verbose(`Background AOF rewrite signal handler took ${Math.round((performance.now() - started) * 1000)}us`);
  }

  /** aofDelHistoryFiles, for CONFIG SET aof-disable-auto-gc no. */
  deleteHistory(): void {
    aofDelHistoryFiles(this.server, this.manifest);
  }

  // ---- serverCron's AOF duties ------------------------------------------------------------

  /**
   * aofRewriteLimited: after three failures in a row, automatic rewrites wait 1, 2, 4...
   * up to 60 minutes (a manual BGREWRITEAOF still runs at once).
   */
  private rewriteLimited(): boolean {
    if (this.consecutiveRewriteFailures < REWRITE_LIMIT_THRESHOLD) {
      this.nextRewriteDelayMinutes = 0;
      this.nextRewriteTime = 0;
      return false;
    }
    const now = unixSeconds();
    if (this.nextRewriteTime !== 0) {
      if (now < this.nextRewriteTime) return true;
      this.nextRewriteTime = 0;
      return false;
    }
    this.nextRewriteDelayMinutes = this.nextRewriteDelayMinutes === 0 ? 1 : Math.min(REWRITE_LIMIT_MAX_MINUTES, this.nextRewriteDelayMinutes * 2);
    this.nextRewriteTime = now + this.nextRewriteDelayMinutes * 60;
    logger.warning(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextRewriteDelayMinutes} minutes`);
    return true;
  }

  /** A rewrite the user scheduled (BGSAVE was running, EXEC): started once the slot is free. */
  runScheduledRewrite(): void {
    if (this.rewriteScheduled && !this.server.persistence.childSlot.hasActiveChildProcess() && !this.rewriteLimited()) this.rewriteAppendOnlyFileBackground();
  }

  /** The automatic rewrite: auto-aof-rewrite-percentage growth over auto-aof-rewrite-min-size. */
  checkAutoRewrite(): void {
    if (this.state !== "on" || this.server.persistence.childSlot.hasActiveChildProcess()) return;
    const config = this.server.config;
    const percentage = config.getNumber("auto-aof-rewrite-percentage");
    if (percentage === 0 || this.currentSize <= config.getNumber("auto-aof-rewrite-min-size")) return;
    const base = this.baseSize === 0 ? 1 : this.baseSize;
    const growth = Math.floor((this.currentSize * 100) / base) - 100;
    if (growth >= percentage && !this.rewriteLimited()) {
      logger.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
      this.rewriteAppendOnlyFileBackground();
    }
  }

  /**
   * The cron's share of beforeSleep. Redis runs flushAppendOnlyFile before every sleep
   * of its event loop, which wakes at least hz times a second; Bunker's before-reply
   * stage runs only in a turn that fed the AOF. So the cron runs it too: an everysec
   * fsync still owed after the last write of a second, a write postponed behind a slow
   * fsync, and a write that failed are done here when no command comes.
   */
  flushFromCron(): void {
    if (this.state !== "off") this.flushAppendOnlyFile(false);
  }
}
