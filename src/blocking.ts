// Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...).
//
// A blocked client registers the keys it waits for. Commands that may serve them
// (pushes, ZADD, XADD, renames...) call signalKeyReady; after each command the
// server calls serveReadyKeys, which retries the blocked commands in the order the
// clients blocked (Redis's FIFO rule). Timeouts are checked by the cron and by a
// timer at the earliest deadline.

import type { Client, BlockedState } from "./net/client.ts";

/**
 * Timers take a 32-bit delay: a longer one (BLPOP k 3000000) would fire at once, and
 * re-arming would spin. A capped timer fires early, finds nothing expired, re-arms.
 */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

function slotName(db: number, key: string): string {
  return db + "\u0000" + key;
}

export class BlockingRegistry {
  /** "db\0key" -> clients waiting on it, in blocking order. */
  private readonly waiting = new Map<string, Client[]>();
  private readonly ready = new Set<string>();
  readonly blockedClients = new Set<Client>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;

  get blockedCount(): number {
    return this.blockedClients.size;
  }

  block(client: Client, state: BlockedState): void {
    client.blocked = state;
    this.blockedClients.add(client);
    for (const { db, key } of state.keys) {
      const name = slotName(db, key);
      let list = this.waiting.get(name);
      if (list === undefined) this.waiting.set(name, (list = []));
      list.push(client);
    }
    if (state.timeoutAt > 0) this.armTimer(state.timeoutAt);
  }

  /** Removes the client from every wait list (served, timed out, unblocked or gone). */
  unblock(client: Client): void {
    const state = client.blocked;
    if (state === null) return;
    client.blocked = null;
    this.blockedClients.delete(client);
    for (const { db, key } of state.keys) {
      const name = slotName(db, key);
      const list = this.waiting.get(name);
      if (list === undefined) continue;
      const index = list.indexOf(client);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.waiting.delete(name);
    }
    state.dispose?.();
  }

  isWaitedOn(db: number, key: string): boolean {
    return this.waiting.has(slotName(db, key));
  }

  signalKeyReady(db: number, key: string): void {
    // Every push and ZADD calls this: with nobody blocked, skip building the slot name.
    if (this.waiting.size === 0) return;
    const name = slotName(db, key);
    if (this.waiting.has(name)) this.ready.add(name);
  }

  /** Serves blocked clients whose keys became ready; repeats while serving makes more keys ready. */
  serveReadyKeys(afterServe: (client: Client) => void): void {
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
          if (state === null) continue;
          if (state.tryServe(readyKey)) {
            this.unblock(client);
            afterServe(client);
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
      state.onTimeout();
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
