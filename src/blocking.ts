// Blocked and suspended clients (Redis's blocked.c), one registry for every kind:
//
// - waiting on keys (BLOCKED_LIST, BLOCKED_ZSET, BLOCKED_STREAM): BLPOP, BLMOVE,
//   BZPOPMIN, XREAD BLOCK... A command that finds nothing to pop calls blockForKeys
//   with a `serve` callback that re-runs the pop against a key that became ready.
//   Writes signal keys (signalKeyReady: a key created, a stream appended to, a stream
//   deleted under an XREADGROUP reader); after each command, and after each served
//   client (a BLMOVE pushes too), the server calls serveReadyKeys, which serves clients
//   in the order they blocked (Redis's FIFO rule). A served client is an execution unit
//   of its own: its effects (LPOP for a served BLPOP) are propagated before the next one.
// - postponed (BLOCKED_POSTPONE): held by CLIENT PAUSE or by a DEBUG RELOAD that is
//   loading; its input resumes where it stopped once released.
// - waiting for a replication offset (BLOCKED_WAIT): WAIT numreplicas timeout, released
//   when enough replicas acknowledged the offset (acknowledgeOffset) or at the timeout.
// - waiting for a shutdown (BLOCKED_SHUTDOWN): SHUTDOWN while the server waits for its
//   replicas to catch up (shutdown-timeout); answered only if the shutdown fails or is
//   aborted, since otherwise the server exits.
//
// Contexts that must not block (EXEC's commands, later scripts) set the client's
// `denyBlocking`; a blocking command there answers as if it had timed out at once.
// Timeouts are checked by the cron and by a timer at the earliest deadline.

import type { Client } from "./net/client.ts";
import type { Command } from "./commands/table.ts";
import { bytesToKey } from "./db/bytes.ts";

/**
 * Timers take a 32-bit delay: a longer one (BLPOP k 3000000) would fire at once, and
 * re-arming would spin. A capped timer fires early, finds nothing expired, re-arms.
 */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The value types a client can wait on. */
export type KeyBlockKind = "list" | "zset" | "stream";

interface WaitBase {
  /** Absolute unix ms when the wait times out, 0 for never. */
  readonly timeoutAt: number;
  /** The command that blocked (CLIENT LIST cmd=, commandstats on unblock). */
  readonly command: Command;
}

/** What a command that blocks on keys provides. */
export interface KeyWaitHandlers {
  /**
   * Re-runs the blocked command against `readyKey`, the key that became ready (a client
   * blocked on several keys is served from the key signalled first, as in Redis). When
   * the client can be served it writes the reply, propagates the effect (alsoPropagate)
   * and returns true; false keeps it waiting.
   */
  serve(readyKey: string): boolean;
  /** Replies to a timeout (and to CLIENT UNBLOCK ... TIMEOUT). */
  onTimeout(): void;
  /** Replies to CLIENT UNBLOCK ... ERROR when the command has its own answer. */
  onUnblockError?(): void;
}

export interface KeysWait extends WaitBase, KeyWaitHandlers {
  readonly kind: KeyBlockKind;
  readonly keys: ReadonlyArray<{ db: number; key: string }>;
}

export interface PostponedWait extends WaitBase {
  readonly kind: "postponed";
}

export interface OffsetWait extends WaitBase {
  readonly kind: "offset";
  /** The replication offset the client's writes reached when it called WAIT. */
  readonly offset: number;
  readonly replicas: number;
  /** Replies with the number of replicas that acknowledged `offset` (at release or timeout). */
  reply(acknowledged: number): void;
}

export interface ShutdownWait extends WaitBase {
  readonly kind: "shutdown";
}

export type BlockedState = KeysWait | PostponedWait | OffsetWait | ShutdownWait;

function slotName(db: number, key: string): string {
  return db + "\u0000" + key;
}

export class BlockingRegistry {
  /** "db\0key" -> clients waiting on it, in blocking order. */
  private readonly waiting = new Map<string, Client[]>();
  private readonly ready = new Set<string>();
  /** Every blocked client of every kind (INFO blocked_clients). */
  readonly blockedClients = new Set<Client>();
  private readonly countByKind = { list: 0, zset: 0, stream: 0, postponed: 0, offset: 0, shutdown: 0 };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;

  get blockedCount(): number {
    return this.blockedClients.size;
  }

  /** Clients blocked on keys (the ones serveReadyKeys can serve). */
  get keyWaiterCount(): number {
    return this.countByKind.list + this.countByKind.zset + this.countByKind.stream;
  }

  countOf(kind: BlockedState["kind"]): number {
    return this.countByKind[kind];
  }

  /**
   * blockForKeys: parks `client` on `keys` of its selected database (each key once)
   * until served, timed out or unblocked. The caller has checked `client.denyBlocking`.
   */
  blockForKeys(client: Client, kind: KeyBlockKind, keys: Iterable<string>, timeoutAt: number, command: Command, handlers: KeyWaitHandlers): void {
    const db = client.dbIndex;
    const unique = [...new Set(keys)].map((key) => ({ db, key }));
    const state: KeysWait = { kind, keys: unique, timeoutAt, command, serve: handlers.serve, onTimeout: handlers.onTimeout, onUnblockError: handlers.onUnblockError };
    this.add(client, state);
    for (const { key } of unique) {
      const name = slotName(db, key);
      let list = this.waiting.get(name);
      if (list === undefined) this.waiting.set(name, (list = []));
      list.push(client);
    }
  }

  /** blockPostponeClient: holds the client (CLIENT PAUSE, a loading DEBUG RELOAD) until unblock(). */
  blockPostponed(client: Client, command: Command): void {
    this.add(client, { kind: "postponed", timeoutAt: 0, command });
  }

  /** SHUTDOWN waiting for the replicas (BLOCKED_SHUTDOWN): held until the shutdown fails or is aborted. */
  blockForShutdown(client: Client, command: Command): void {
    this.add(client, { kind: "shutdown", timeoutAt: 0, command });
  }

  /** The clients blocked in SHUTDOWN. */
  shutdownWaiters(): Client[] {
    return [...this.blockedClients].filter((client) => client.blocked?.kind === "shutdown");
  }

  /** WAIT: holds the client until `replicas` replicas acknowledged `offset`, or the timeout. */
  blockForOffset(client: Client, offset: number, replicas: number, timeoutAt: number, command: Command, reply: (acknowledged: number) => void): void {
    this.add(client, { kind: "offset", offset, replicas, timeoutAt, command, reply });
  }

  /**
   * How many replicas acknowledged a replication offset (replicationCountAcksByOffset);
   * set by replication. Without replicas, none.
   */
  acknowledgedBy: (offset: number) => number = () => 0;

  /**
   * processClientsWaitingReplicas: releases the WAITing clients whose offset enough
   * replicas have now acknowledged.
   */
  acknowledgeOffsets(afterRelease: (client: Client) => void): void {
    if (this.countByKind.offset === 0) return;
    for (const client of [...this.blockedClients]) {
      const state = client.blocked;
      if (state === null || state.kind !== "offset") continue;
      const acknowledged = this.acknowledgedBy(state.offset);
      if (acknowledged < state.replicas) continue;
      this.unblock(client);
      state.reply(acknowledged);
      afterRelease(client);
    }
  }

  private add(client: Client, state: BlockedState): void {
    client.blocked = state;
    this.blockedClients.add(client);
    this.countByKind[state.kind]++;
    if (state.timeoutAt > 0) this.armTimer(state.timeoutAt);
  }

  /** Removes the client from every wait (served, timed out, released, unblocked or gone). */
  unblock(client: Client): void {
    const state = client.blocked;
    if (state === null) return;
    client.blocked = null;
    this.blockedClients.delete(client);
    this.countByKind[state.kind]--;
    if (state.kind === "postponed" || state.kind === "offset" || state.kind === "shutdown") return;
    for (const { db, key } of state.keys) {
      const name = slotName(db, key);
      const list = this.waiting.get(name);
      if (list === undefined) continue;
      const index = list.indexOf(client);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.waiting.delete(name);
    }
  }

  isWaitedOn(db: number, key: string): boolean {
    return this.waiting.has(slotName(db, key));
  }

  /** The keys of database `db` that clients wait on (SWAPDB, FLUSHDB scan them). */
  waitedKeysOf(db: number): string[] {
    const prefix = db + "\u0000";
    const keys: string[] = [];
    for (const name of this.waiting.keys()) if (name.startsWith(prefix)) keys.push(name.slice(prefix.length));
    return keys;
  }

  /** signalKeyAsReady: the key may serve a waiting client now. */
  signalKeyReady(db: number, key: string): void {
    // Every key creation calls this: with nobody blocked, skip building the slot name.
    if (this.waiting.size === 0) return;
    const name = slotName(db, key);
    if (this.waiting.has(name)) this.ready.add(name);
  }

  /** signalKeyReady for a key given as bytes: its string is made only when someone is blocked. */
  signalKeyReadyBytes(db: number, keyBytes: Uint8Array): void {
    if (this.waiting.size !== 0) this.signalKeyReady(db, bytesToKey(keyBytes));
  }

  /**
   * handleClientsBlockedOnKeys: serves blocked clients whose keys became ready, in the
   * order they blocked; repeats while serving makes more keys ready (BLMOVE pushes).
   * `afterServe` runs after each served client (propagation of its effects, its reply).
   */
  serveReadyKeys(afterServe: (client: Client, command: Command) => void): void {
    while (this.ready.size > 0) {
      const names = [...this.ready];
      this.ready.clear();
      for (const name of names) {
        const list = this.waiting.get(name);
        if (list === undefined) continue;
        const readyKey = name.slice(name.indexOf("\u0000") + 1);
        // Copy: serving unblocks clients, which edits the list.
        for (const client of [...list]) {
          const state = client.blocked;
          if (state === null || state.kind === "postponed" || state.kind === "offset" || state.kind === "shutdown") continue;
          if (state.serve(readyKey)) {
            this.unblock(client);
            afterServe(client, state.command);
          }
        }
      }
    }
  }

  /** Times out clients whose deadline passed. */
  expireTimeouts(now: number, afterTimeout: (client: Client) => void): void {
    for (const client of [...this.blockedClients]) {
      const state = client.blocked;
      if (state === null || state.timeoutAt === 0 || state.timeoutAt > now) continue;
      this.unblock(client);
      if (state.kind === "offset") state.reply(this.acknowledgedBy(state.offset));
      else if (state.kind !== "postponed" && state.kind !== "shutdown") state.onTimeout();
      afterTimeout(client);
    }
  }

  private armTimer(at: number): void {
    if (this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onTimer?.();
      let next = 0;
      for (const client of this.blockedClients) {
        const t = client.blocked?.timeoutAt ?? 0;
        if (t > 0 && (next === 0 || t < next)) next = t;
      }
      if (next > 0) this.armTimer(next);
    }, Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - Date.now())));
  }

  /** Set by the server: runs the timeout check when the earliest deadline passes. */
  onTimer: (() => void) | null = null;
}
