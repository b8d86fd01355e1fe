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
import type { EffectFeed } from "../../propagate.ts";
import { ReplyWriter } from "../../protocol/reply.ts";
import { logger } from "../../log.ts";
import { errorText } from "../errors-text.ts";
import type { Child, ChildExit } from "../child.ts";
/** Redis's aof_state. */
export type AofState = "off" | "on" | "wait-rewrite";

export type FsyncPolicy = "always" | "everysec" | "no";

/** AOF_REWRITE_LIMITE_THRESHOLD / _MAX_MINUTES: failed rewrites back off from the 3rd on. */
const REWRITE_LIMIT_THRESHOLD = 3;
const REWRITE_LIMIT_MAX_MINUTES = 60;
/** AOF_WRITE_LOG_ERROR_RATE: seconds between two logs of a failing write. */
const WRITE_ERROR_LOG_RATE = 30;
/** A buffer that grew past this is dropped after a write rather than kept for reuse. */
const BUFFER_KEEP_BYTES = 4000;

const SELECT = new TextEncoder().encode("SELECT");

const unixSeconds = (): number => Math.floor(Date.now() / 1000);

export class AppendOnlyFile implements EffectFeed {
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

  constructor(private readonly server: Server) {}

  // ---- configuration read on every write ----------------------------------------------

  private get fsyncPolicy(): FsyncPolicy {
    return this.server.config.getString("appendfsync") as FsyncPolicy;
  }

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
    if (this.server.config.getBool("aof-timestamp-enabled")) {
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
    buffer.arrayHeader(argv.length);
    for (let i = 0; i < argv.length; i++) buffer.bulk(argv[i]!);
    if (!keep) buffer.length = start;
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
    if (this.buffer.buffer.length <= BUFFER_KEEP_BYTES) this.buffer.reset();
    else this.buffer.take();
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

  // ---- opening and closing ----------------------------------------------------------

  /** Appends to `path` from now on (O_APPEND), `size` bytes already in it. */
  protected openIncr(path: string, truncate: boolean): number {
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | (truncate ? fsConstants.O_TRUNC : fsConstants.O_APPEND);
    return openSync(path, flags, 0o644);
  }

  protected switchIncr(fd: number, size: number): void {
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

  /** Writes the buffer out, fsyncs and closes the file (stopAppendOnly, shutdown). */
  protected flushAndClose(): void {
    if (this.fd === -1) return;
    this.flushAppendOnlyFile(true);
    try {
      fdatasyncSync(this.fd);
      this.lastFsync = unixSeconds();
    } catch (error) {
      logger.warning(`Fail to fsync the AOF file: ${errorText(error)}`);
    }
    closeSync(this.fd);
    this.fd = -1;
  }

  /** The before-reply stage writes while the AOF is not off. */
  protected setWriting(writing: boolean): void {
    if (writing && this.removeHook === null) this.removeHook = this.server.addBeforeReplyHook(() => this.flushAppendOnlyFile(false));
    if (!writing && this.removeHook !== null) {
      this.removeHook();
      this.removeHook = null;
    }
  }

  protected resetSelectedDb(): void {
    this.selectedDb = -1;
  }

  protected dropBuffer(): void {
    this.buffer.take();
  }

  protected rewriteStarted(): void {
    this.rewriteScheduled = false;
    this.rewriteTimeStart = unixSeconds();
  }

  protected rewriteEnded(): void {
    this.rewriteTimeLast = unixSeconds() - this.rewriteTimeStart;
    this.rewriteTimeStart = -1;
  }

  /**
   * aofRewriteLimited: after three failures in a row, automatic rewrites wait 1, 2, 4...
   * up to 60 minutes (a manual BGREWRITEAOF still runs at once).
   */
  rewriteLimited(): boolean {
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

  /** Status of a finished rewrite child (the non-success branches of backgroundRewriteDoneHandler). */
  protected rewriteFailed(reason: string, countsAsFailure: boolean): void {
    if (!countsAsFailure) return;
    this.lastBgrewriteStatus = "err";
    this.lastBgrewriteError = reason;
    this.consecutiveRewriteFailures++;
  }

  /** For the done-handler: the child and how it ended. */
  protected describeExit(child: Child, exit: ChildExit): string {
    return exit.bySignal !== 0 ? `rewrite child ${child.pid} killed by signal ${exit.bySignal}` : `rewrite child ${child.pid} exited with code ${exit.exitCode}`;
  }
}
