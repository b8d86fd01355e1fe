// The one background-child slot: Redis's `server.child_pid` / `server.child_type` and
// the functions around them (server.c: hasActiveChildProcess, redisFork,
// checkChildrenDone, resetChildState).
//
// Redis runs at most one "mutually exclusive" fork child at a time: an RDB save, an AOF
// rewrite or a module's fork. Every path that would start one asks
// hasActiveChildProcess() first, and serverCron reaps the child with a non-blocking
// waitpid in checkChildrenDone(), which hands the exit status to the done-handler of
// the child's type (backgroundSaveDoneHandler, backgroundRewriteDoneHandler...).
//
// Bunker has no fork(): a child is a process started with Bun.spawn, fed by a
// *producer* in the server (for an RDB child, the snapshot coordinator that streams the
// keyspace and preserves keys copy-on-write). The slot owns the process: it spawns it,
// lowers its priority, measures the start (latest_fork_usec), stops it with SIGUSR1,
// polls its exit state (Bun reports it through exitCode/signalCode, never through a
// signal we could wait for), dispatches to the done-handler and then releases the
// producer. The producer owns what the child reads and reports (keys processed, the
// copy-on-write figures), as Redis's child info pipe does.
//
//   rdbSaveBackground -> spawnChild("rdb", producer)      child slot: one child
//   serverCron, each tick -> checkChildrenDone()            exit state polled
//     -> done-handler of the child's kind (backgroundSaveDoneHandler for "rdb")
//     -> resetChildState(): producer released, CPU added to used_cpu_*_children

import type { Subprocess } from "bun";
import { constants as osConstants, setPriority } from "node:os";
import type { SnapshotCoordinator } from "./snapshot.ts";

/**
 * What a child does.
 * - "rdb": BGSAVE, a save point, BGSAVE SCHEDULE or a disk-based full sync writing
 *   dump.rdb (Redis's CHILD_TYPE_RDB with RDB_CHILD_TYPE_DISK: Redis too makes a full
 *   sync's file with its ordinary BGSAVE child, and replicas may share a user's).
 * - "aof-rewrite": BGREWRITEAOF writing a new base file (CHILD_TYPE_AOF).
 * - "rdb-to-disk": reserved (unused: see "rdb").
 * - "rdb-to-socket": a diskless full sync, streamed to the replicas' sockets
 *   (RDB_CHILD_TYPE_SOCKET; replication/master.ts).
 */
export type ChildKind = "rdb" | "aof-rewrite" | "rdb-to-disk" | "rdb-to-socket";

/** The kinds Redis counts as an RDB child (child_type == CHILD_TYPE_RDB). */
export function isRdbChildKind(kind: ChildKind): boolean {
  return kind === "rdb" || kind === "rdb-to-disk" || kind === "rdb-to-socket";
}

/** Where a child's output goes: a file it writes (then renames), or replicas' sockets. */
export type ChildOutput = { type: "file"; path: string } | { type: "sockets"; replicas: string[] };

/**
 * What a running child reports (Redis's child info pipe, childinfo.c): INFO persistence's
 * current_save_keys_*, current_cow_* and current_fork_perc read these.
 */
export interface ChildInfo {
  readonly keysTotal: number;
  readonly keysProcessed: number;
  /** Bytes the server holds because the child runs (Bunker's copy-on-write). */
  readonly cowSize: number;
  readonly cowPeak: number;
  /** When cowSize was last updated (ms), 0 before the first figure. */
  readonly cowUpdatedAt: number;
}

/** current_fork_perc: the share of keys the child has processed, in percent. */
export function childProgressPercent(info: ChildInfo): number {
  return info.keysTotal > 0 ? (info.keysProcessed / info.keysTotal) * 100 : 0;
}

/** The in-server side of a child: produces what the child reads and reports its info. */
export interface ChildProducer extends ChildInfo {
  /**
   * Sets up everything the child will read (for an RDB child this is the epoch: the
   * copy-on-write observer and the channel) and returns the child's command line.
   */
  start(): string[];
  /**
   * The child is being stopped on purpose: stop producing, but keep the channel, so the
   * child exits through its own SIGUSR1 handler rather than through a closed stream.
   */
  stop(): void;
  /** The child has ended or never started: release the channel and observers. Idempotent. */
  release(): void;
}

/** The producer of each kind; the done-handler of a kind receives its own. */
export interface ChildProducers {
  rdb: SnapshotCoordinator;
  "aof-rewrite": SnapshotCoordinator;
  "rdb-to-disk": ChildProducer;
  "rdb-to-socket": ChildProducer;
}

export interface Child<K extends ChildKind = ChildKind> {
  readonly kind: K;
  readonly producer: ChildProducers[K];
  readonly proc: Subprocess;
  readonly pid: number;
  readonly output: ChildOutput;
  /** When the slot started the child (ms and whole seconds, as Redis's time(NULL)). */
  readonly startedAtMs: number;
  readonly startedAtSec: number;
  /** Set by killChild(): the server stopped the child, so a failed exit reads as SIGUSR1. */
  stoppedOnPurpose: boolean;
}

/** Any active child, as the slot holds it (a union over the kinds). */
export type ActiveChild = { [K in ChildKind]: Child<K> }[ChildKind];

/**
 * The exit as Redis's checkChildrenDone reports it: a normal exit gives exitCode and
 * bySignal 0; death by a signal gives exitCode -1 and the signal's number; exit status
 * 255 (the child's SIGUSR1 handler) reads as bySignal SIGUSR1 with exitCode 1.
 */
export interface ChildExit {
  exitCode: number;
  bySignal: number;
}

export type DoneHandler<K extends ChildKind> = (child: Child<K>, exit: ChildExit) => void;
type DoneHandlers = { [K in ChildKind]?: DoneHandler<K> };

/** Thrown by spawnChild when a child is already active (redisFork's EEXIST). */
export class ChildSlotBusyError extends Error {
  constructor(active: ChildKind, requested: ChildKind) {
    super(`can't start a ${requested} child: a ${active} child is active`);
  }
}

/**
 * Children run at the lowest scheduling priority (as the snapshot worker thread does):
 * on a busy machine clients keep their latency and the child takes longer; on an idle
 * one it runs at full speed. Redis's child competes with the server as an equal. The
 * measurements that chose 19 over 5 are in docs/persistence.md ("Flow control").
 */
export const CHILD_NICENESS = 19;

/** Redis's exit code of a child stopped with SIGUSR1 (SERVER_CHILD_NOERROR_RETVAL). */
const CHILD_NOERROR_RETVAL = 255;

export class ChildSlot {
  private child: ActiveChild | null = null;
  private readonly doneHandlers: DoneHandlers = {};
  /** INFO stats: total_forks, latest_fork_usec (the start of a child, spawn included). */
  totalForks = 0;
  latestForkMicros = 0;
  /** CPU used by finished children (INFO used_cpu_*_children), microseconds. */
  readonly childrenCpu = { user: 0, system: 0 };

  /** `sampleLatency` receives the "fork" event (latency monitor). */
  constructor(
    private readonly sampleLatency: (event: string, ms: number) => void = () => {},
    /** Runs as a child starts (its oom_score_adj, as Redis's child sets its own after fork). */
    private readonly onSpawn: (pid: number) => void = () => {},
  ) {}

  /** Registers the done-handler of a kind; a kind without one cannot be started. */
  onDone<K extends ChildKind>(kind: K, handler: DoneHandler<K>): void {
    // TypeScript cannot relate a generic key to its value type on a write; the
    // signature above is what keeps each handler with its own kind.
    (this.doneHandlers as Record<K, DoneHandler<K>>)[kind] = handler;
  }

  /** Redis's hasActiveChildProcess: a child of any kind runs. */
  hasActiveChildProcess(): boolean {
    return this.child !== null;
  }

  /** Redis's `server.child_type == CHILD_TYPE_RDB`: BGSAVE's "already in progress". */
  hasActiveRdbChild(): boolean {
    return this.child !== null && isRdbChildKind(this.child.kind);
  }

  /** The running child, null when the slot is empty. */
  activeChild(): ActiveChild | null {
    return this.child;
  }

  /**
   * Redis's redisFork: starts `producer` (the moment it starts is the child's epoch),
   * spawns the command line it returns and makes it the active child. Throws
   * ChildSlotBusyError when a child is active, and the spawn's error when the process
   * could not be started (the producer is released then; the caller reports it as a
   * failed fork). Called by rdbSaveBackground.
   */
  spawnChild<K extends ChildKind>(kind: K, producer: ChildProducers[K], output: ChildOutput): Child<K> {
    if (this.child !== null) throw new ChildSlotBusyError(this.child.kind, kind);
    if (this.doneHandlers[kind] === undefined) throw new Error(`no done-handler for a ${kind} child`);
    const startedAtMs = Date.now();
    const started = performance.now();
    let proc: Subprocess;
    try {
      const argv = producer.start();
      proc = Bun.spawn(argv, { stdin: "ignore", stdout: "inherit", stderr: "inherit", cwd: process.cwd() });
    } catch (error) {
      producer.release();
      throw error;
    }
    this.onSpawn(proc.pid);
    try {
      setPriority(proc.pid, CHILD_NICENESS);
    } catch {
      // Not permitted here: the child runs at the server's priority.
    }
    const elapsedMs = performance.now() - started;
    this.latestForkMicros = Math.max(1, Math.round(elapsedMs * 1000));
    this.totalForks++;
    this.sampleLatency("fork", elapsedMs);
    const child: Child<K> = {
      kind,
      producer,
      proc,
      pid: proc.pid,
      output,
      startedAtMs,
      startedAtSec: Math.floor(startedAtMs / 1000),
      stoppedOnPurpose: false,
    };
    this.child = child as ActiveChild;
    return child;
  }

  /**
   * Stops the active child on purpose (what killRDBChild does with SIGUSR1): the producer
   * stops, the child exits through its SIGUSR1 handler, and a later checkChildrenDone
   * reaps it as "terminated by signal 10". Nothing is reset here: as in Redis, the reaping
   * does the cleanup.
   */
  killChild(): void {
    const child = this.child;
    if (child === null) return;
    child.stoppedOnPurpose = true;
    child.producer.stop();
    child.proc.kill("SIGUSR1");
  }

  /**
   * Stops the active child and frees the slot at once, without its done-handler: what
   * Redis's killAppendOnlyChild does with kill(SIGUSR1), a blocking waitpid and
   * resetChildState, so that the caller can start another child right away (CONFIG SET
   * appendonly yes during a rewrite). Bun cannot wait for a process synchronously, so
   * the process is left to exit on its SIGUSR1 in the background; `onExited` runs then
   * (the caller's cleanup of what it may have left, such as its temp file), and its CPU
   * time is counted then. Returns the child that was stopped, null when none was active.
   */
  stopChildNow(onExited: (child: ActiveChild) => void): ActiveChild | null {
    const child = this.child;
    if (child === null) return null;
    child.stoppedOnPurpose = true;
    child.producer.stop();
    child.proc.kill("SIGUSR1");
    child.producer.release();
    this.child = null;
    void child.proc.exited.then(() => {
      this.addChildrenCpu(child);
      onExited(child);
    });
    return child;
  }

  /**
   * Redis's checkChildrenDone, called by serverCron each tick: when the active child has
   * exited, maps its exit state as waitpid's status is mapped (see ChildExit), calls the
   * done-handler of its kind, then resets the slot. The exit state is polled: Bun sets
   * exitCode/signalCode when it reaps the process, and the next tick sees them.
   */
  checkChildrenDone(): void {
    const child = this.child;
    if (child === null) return;
    const { exitCode, signalCode } = child.proc;
    if (exitCode === null && signalCode === null) return;
    const exit: ChildExit = { exitCode: exitCode ?? -1, bySignal: 0 };
    if (signalCode !== null) exit.bySignal = signalNumber(signalCode);
    else if (exit.exitCode === CHILD_NOERROR_RETVAL || (child.stoppedOnPurpose && exit.exitCode !== 0)) {
      // A child stopped with SIGUSR1 exits 255, as Redis's does (or it may see its input
      // end first when the server stopped it on purpose).
      exit.bySignal = osConstants.signals.SIGUSR1;
      exit.exitCode = 1;
    }
    try {
      this.callDoneHandler(child, exit);
    } finally {
      this.resetChildState(child);
    }
  }

  private callDoneHandler<K extends ChildKind>(child: Child<K>, exit: ChildExit): void {
    const handler = this.doneHandlers[child.kind];
    handler?.(child, exit);
  }

  /** Redis's resetChildState: the slot is empty again; the child's CPU goes to the stats. */
  private resetChildState(child: ActiveChild): void {
    child.producer.release();
    this.addChildrenCpu(child);
    this.child = null;
  }

  /** INFO used_cpu_*_children: what an exited child used. */
  private addChildrenCpu(child: ActiveChild): void {
    const usage = child.proc.resourceUsage();
    if (usage) {
      this.childrenCpu.user += Number(usage.cpuTime.user);
      this.childrenCpu.system += Number(usage.cpuTime.system);
    }
  }
}

/** Signal name or number -> number (Bun reports names such as "SIGKILL"). */
function signalNumber(signal: string | number): number {
  if (typeof signal === "number") return signal;
  return (osConstants.signals as Record<string, number>)[signal] ?? 0;
}
