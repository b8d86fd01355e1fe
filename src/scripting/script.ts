// What every script run shares, whatever started it (EVAL or FCALL): Redis's
// script.c. A run has a context (the caller, the script's own client, its flags);
// commands a script calls go through scriptCall, which applies the checks Redis
// applies inside scripts and then runs the command through the server's call(), so the
// write path (dirty, WATCH, keyspace events, effects for the AOF) is the usual one.
//
// The script's client is one fake client per server (Redis's lua_client): no socket,
// its replies are read back from its buffer and turned into Lua values. It cannot block
// (a blocking command answers as if it timed out at once) and it selects the caller's
// database at the start of each run.

import { NOREPLICAS_ERROR } from "../replication/master.ts";
import { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import { CMD_CALL_FULL } from "../server.ts";
import type { Command } from "../commands/table.ts";
import { PROPAGATE_ALL } from "../propagate.ts";
import { adoptConnectionsAcceptedWhileBusy } from "./busy.ts";
import { argLower } from "../db/bytes.ts";
import { MASTERDOWN, OOM, READONLY_REPLICA } from "../errors.ts";

/** Script flags a shebang declares (Redis's SCRIPT_FLAG_*). */
export const SCRIPT_FLAG_NO_WRITES = 1 << 0;
export const SCRIPT_FLAG_ALLOW_OOM = 1 << 1;
export const SCRIPT_FLAG_ALLOW_STALE = 1 << 2;
export const SCRIPT_FLAG_NO_CLUSTER = 1 << 3;
/** No shebang: an EVAL script as before 7.0 (the command's own flags apply). */
export const SCRIPT_FLAG_EVAL_COMPAT_MODE = 1 << 4;
export const SCRIPT_FLAG_ALLOW_CROSS_SLOT = 1 << 5;

/** The flags' names, as shebangs and FUNCTION LIST spell them, in Redis's order. */
export const SCRIPT_FLAG_NAMES: ReadonlyArray<readonly [string, number]> = [
  ["no-writes", SCRIPT_FLAG_NO_WRITES],
  ["allow-oom", SCRIPT_FLAG_ALLOW_OOM],
  ["allow-stale", SCRIPT_FLAG_ALLOW_STALE],
  ["no-cluster", SCRIPT_FLAG_NO_CLUSTER],
  ["allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT],
];

/** Redis's shared slowevalerr and slowscripterr. */
export const BUSY_SCRIPT = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
export const BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/** The run's state (Redis's SCRIPT_* run flags). */
const RUN_WRITE_DIRTY = 1 << 0;
const RUN_READ_ONLY = 1 << 1;
const RUN_ALLOW_OOM = 1 << 2;
const RUN_KILLED = 1 << 3;
const RUN_EVAL_MODE = 1 << 4;

export class ScriptRun {
  flags = 0;
  /** redis.set_repl: where this run's effects are propagated. */
  replicationTargets = PROPAGATE_ALL;
  /** performance.now() at the start, for busy-reply-threshold. */
  readonly startTime = performance.now();

  constructor(
    readonly caller: Client,
    /** The caller's command (FUNCTION STATS shows it). */
    readonly callerArgv: Uint8Array[],
    readonly scriptClient: Client,
    /** The script's SHA (EVAL) or the function's name (FCALL). */
    readonly functionName: string,
    evalMode: boolean,
  ) {
    if (evalMode) this.flags |= RUN_EVAL_MODE;
  }

  get isEval(): boolean {
    return (this.flags & RUN_EVAL_MODE) !== 0;
  }

  get wroteData(): boolean {
    return (this.flags & RUN_WRITE_DIRTY) !== 0;
  }

  get killed(): boolean {
    return (this.flags & RUN_KILLED) !== 0;
  }

  kill(): void {
    this.flags |= RUN_KILLED;
  }
}

/** The flags a script's shebang gives its command (scriptFlagsToCmdFlags): write, deny-oom, stale. */
export function scriptCommandFlags(scriptFlags: number): { write: boolean; denyOom: boolean; stale: boolean } {
  return {
    write: (scriptFlags & SCRIPT_FLAG_NO_WRITES) === 0,
    denyOom: (scriptFlags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES)) === 0,
    stale: (scriptFlags & SCRIPT_FLAG_ALLOW_STALE) !== 0,
  };
}

/**
 * The server's script runner: its client, the running script, and the checks around a
 * run (scriptPrepareForRun, scriptCall, scriptResetRun, scriptKill).
 */
export class ScriptRunner {
  /** The fake client scripts run commands in (created on first use). */
  private client: Client | null = null;
  /** The running script, or null (curr_run_ctx). */
  current: ScriptRun | null = null;

  constructor(private readonly server: Server) {}

  get scriptClient(): Client {
    if (this.client === null) {
      const client = new Client(0, this.server, null, "lua", "");
      client.denyBlocking = true;
      this.client = client;
    }
    return this.client;
  }

  /**
   * scriptPrepareForRun: refuses the run with Redis's error (replied to the caller) or
   * starts it. `readOnlyCommand`: EVAL_RO, EVALSHA_RO, FCALL_RO.
   */
  prepare(caller: Client, argv: Uint8Array[], functionName: string, scriptFlags: number, readOnlyCommand: boolean, evalMode: boolean): ScriptRun | null {
    const server = this.server;
    // A replica with its link down and replica-serve-stale-data no.
    const runningStale = server.masterLink.staleDenied;
    if ((scriptFlags & SCRIPT_FLAG_EVAL_COMPAT_MODE) !== 0 && runningStale) {
      server.replyError(caller, MASTERDOWN);
      return null;
    }
    if ((scriptFlags & SCRIPT_FLAG_EVAL_COMPAT_MODE) === 0) {
      if (runningStale && (scriptFlags & SCRIPT_FLAG_ALLOW_STALE) === 0) {
        server.replyError(caller, "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.");
        return null;
      }
      if ((scriptFlags & SCRIPT_FLAG_NO_WRITES) === 0) {
        if (server.replication.isReplica && server.replicaReadOnly && !caller.mustObey) {
          server.replyError(caller, "READONLY Can not run script with write flag on readonly replica");
          return null;
        }
        const diskError = server.persistence.diskErrorMessage();
        if (diskError !== null && !caller.mustObey) {
          server.replyError(caller, scriptMisconfMessage(diskError));
          return null;
        }
        if (readOnlyCommand) {
          server.replyError(caller, "ERR Can not execute a script with write flag using *_ro command.");
          return null;
        }
        if (!server.master.checkGoodReplicasStatus()) {
          server.replyError(caller, NOREPLICAS_ERROR);
          return null;
        }
      }
      // The no-writes flag implies allow-oom, so this comes after the write checks.
      if (server.preCommandOomState && server.evictor.maxmemory !== 0 && (scriptFlags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES)) === 0) {
        server.replyError(caller, "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
        return null;
      }
    }
    const client = this.scriptClient;
    client.dbIndex = caller.dbIndex;
    client.reply.resp = 2;
    client.reply.length = 0;
    client.mustObey = caller.mustObey;
    const run = new ScriptRun(caller, argv, client, functionName, evalMode);
    if (readOnlyCommand || ((scriptFlags & SCRIPT_FLAG_EVAL_COMPAT_MODE) === 0 && (scriptFlags & SCRIPT_FLAG_NO_WRITES) !== 0)) {
      run.flags |= RUN_READ_ONLY;
    }
    if ((scriptFlags & SCRIPT_FLAG_EVAL_COMPAT_MODE) === 0 && (scriptFlags & SCRIPT_FLAG_ALLOW_OOM) !== 0) run.flags |= RUN_ALLOW_OOM;
    this.current = run;
    return run;
  }

  /** scriptResetRun: the caller's EVAL is not propagated itself (its commands were). */
  reset(run: ScriptRun): void {
    run.caller.preventPropagation = true;
    this.current = null;
    if (this.timedOut) {
      this.timedOut = false;
      adoptConnectionsAcceptedWhileBusy(this.server, this);
    }
  }

  /** What other clients get while a script is past busy-reply-threshold. */
  busyError(): string {
    return this.current !== null && !this.current.isEval ? BUSY_FUNCTION : BUSY_SCRIPT;
  }

  /**
   * scriptCall: runs `argv` for the script, or returns the error the script gets
   * instead (the command is then not run; the error is counted in errorstats). The
   * reply is in the script client's buffer.
   */
  call(run: ScriptRun, argv: Uint8Array[]): string | null {
    const server = this.server;
    const client = run.scriptClient;
    let command: Command | undefined = server.table.lookupBytes(argv[0]!);
    if (command !== undefined && command.subcommands.size > 0 && argv.length >= 2) {
      command = command.subcommands.get(argLower(argv[1]!)) ?? undefined;
    }
    if (command === undefined) return this.reject(null, "Unknown Redis command called from script");
    const refusal = this.refusal(run, command, argv);
    if (refusal !== null) return this.reject(command, refusal);
    if (command.isWrite) run.flags |= RUN_WRITE_DIRTY;
    client.lastCommandName = command.fullName;
    server.call(client, command, argv, CMD_CALL_FULL, run.replicationTargets);
    return null;
  }

  /**
   * scriptCall's error path (afterErrorReply + incrCommandStatsOnError(cmd,
   * ERROR_COMMAND_REJECTED)): the error is counted, and the refused command's rejected_calls.
   */
  private reject(command: Command | null, error: string): string {
    this.server.countError(error.startsWith("-") ? error.slice(1) : `ERR ${error}`);
    this.server.commandStatsOnError(command, true);
    return error;
  }

  /** Why scriptCall refuses to run the known `command` for the script, or null. */
  private refusal(run: ScriptRun, command: Command, argv: Uint8Array[]): string | null {
    const arity = command.spec.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return "Wrong number of args calling Redis command from script";
    if (command.noScript) return "This Redis command is not allowed from script";
    if ((run.flags & RUN_READ_ONLY) !== 0 && command.mayReplicate) return "Write commands are not allowed from read-only scripts.";
    if (command.isWrite && this.server.replication.isReplica && this.server.replicaReadOnly && !run.caller.mustObey) return "-" + READONLY_REPLICA;
    if (command.isWrite && (run.flags & RUN_WRITE_DIRTY) === 0) {
      const diskError = this.server.persistence.diskErrorMessage();
      if (diskError !== null && !run.caller.mustObey) return "-" + diskError;
      // Reached by scripts without flags only: flagged ones were checked before running.
      if (!this.server.master.checkGoodReplicasStatus()) return "-" + NOREPLICAS_ERROR;
    }
    // scriptVerifyOOM: over maxmemory when the script started, its first write may not be a
    // denyoom command; once it has written, stopping half-way would be worse.
    const server = this.server;
    if (
      command.denyOom &&
      (run.flags & (RUN_WRITE_DIRTY | RUN_ALLOW_OOM)) === 0 &&
      server.preCommandOomState &&
      server.evictor.maxmemory !== 0 &&
      !run.caller.mustObey
    ) {
      return "-" + OOM;
    }
    return null;
  }

  /** scriptKill: SCRIPT KILL (isEval) or FUNCTION KILL, replied to `client`. */
  kill(client: Client, isEval: boolean): void {
    const server = this.server;
    const run = this.current;
    if (run === null) {
      server.replyError(client, "NOTBUSY No scripts in execution right now.");
      return;
    }
    if (run.caller.mustObey) {
      server.replyError(client, "UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
      return;
    }
    if (run.wroteData) {
      server.replyError(
        client,
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
      );
      return;
    }
    if (isEval && !run.isEval) {
      server.replyError(client, BUSY_FUNCTION);
      return;
    }
    if (!isEval && run.isEval) {
      server.replyError(client, BUSY_SCRIPT);
      return;
    }
    run.kill();
    client.reply.ok();
  }

  /** scriptIsTimedout: the running script passed busy-reply-threshold (set by busy.ts). */
  timedOut = false;
  /** Connections accepted while the script was busy, with their descriptors (busy.ts). */
  readonly acceptedWhileBusy: Array<{ client: Client; fd: number }> = [];

}

/** The MISCONF text a writable script gets (it names the no-writes flag). */
function scriptMisconfMessage(diskError: string): string {
  if (diskError.startsWith("MISCONF Redis is configured to save RDB snapshots")) {
    return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";
  }
  const reason = diskError.replace(/^MISCONF Errors writing to the AOF file: /, "");
  return `MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${reason}`;
}

