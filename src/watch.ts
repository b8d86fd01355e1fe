// WATCH (Redis's multi.c): which clients' next EXEC a change to a key makes fail.
//
// Each watched key remembers whether it was already logically expired when WATCH was
// called (Redis 7.0's watchedKey.expired): such a key being found expired and deleted
// later is no change (the client saw it absent), and EXEC fails only for keys that
// expired *after* WATCH (isWatchedKeyExpired). Nothing here deletes or expires keys:
// WATCH and EXEC must not produce effects of their own (a DEL in the effect stream).

import type { Client } from "./net/client.ts";
import type { Database } from "./db/keyspace.ts";

export interface WatchedKey {
  readonly db: number;
  readonly key: string;
  readonly client: Client;
  /** The key was logically expired (but still stored) when WATCH was called. */
  expired: boolean;
}

function watchName(db: number, key: string): string {
  return db + "\u0000" + key;
}

export class WatchRegistry {
  /** "db\0key" -> the watches on it, in the order they were made. */
  private readonly watching = new Map<string, WatchedKey[]>();

  idle(): boolean {
    return this.watching.size === 0;
  }

  /** watchForKey */
  watch(client: Client, db: Database, key: string): void {
    if (client.watchedKeys.some((w) => w.db === db.index && w.key === key)) return;
    const watched: WatchedKey = { db: db.index, key, client, expired: db.isExpired(key) };
    client.watchedKeys.push(watched);
    const name = watchName(db.index, key);
    let list = this.watching.get(name);
    if (list === undefined) this.watching.set(name, (list = []));
    list.push(watched);
  }

  /** unwatchAllKeys: the client watches nothing any more (its dirty flag is the caller's business). */
  unwatchAllKeys(client: Client): void {
    for (const watched of client.watchedKeys) {
      const name = watchName(watched.db, watched.key);
      const list = this.watching.get(name);
      if (list === undefined) continue;
      const index = list.indexOf(watched);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.watching.delete(name);
    }
    client.watchedKeys = [];
  }

  /**
   * touchWatchedKey (signalModifiedKey): transactions watching this key will fail. A
   * watch on a key that was expired at WATCH time and is now gone is cleared instead.
   * Redis 7.0.15 stops at a watch still marked expired whose key still exists, leaving
   * the later watchers of the key alone: kept as it is.
   */
  touch(db: Database, key: string): void {
    if (this.watching.size === 0) return;
    const list = this.watching.get(watchName(db.index, key));
    if (list === undefined) return;
    for (const watched of [...list]) {
      if (watched.expired) {
        if (!db.holds(key)) {
          watched.expired = false;
          continue;
        }
        break;
      }
      watched.client.dirtyCas = true;
      // Dirty already: no point in being told again until EXEC.
      this.unwatchAllKeys(watched.client);
    }
  }

  /**
   * touchAllWatchedKeysInDb, before `emptied` loses its keys (FLUSHDB, FLUSHALL) or takes
   * those of `replacedWith` (SWAPDB): a watched key that exists in either changes, with
   * Redis's care for keys that were or become logically expired.
   */
  touchAllInDb(emptied: Database, replacedWith: Database | null): void {
    if (this.watching.size === 0) return;
    const prefix = emptied.index + "\u0000";
    for (const [name, list] of this.watching) {
      if (!name.startsWith(prefix)) continue;
      const key = name.slice(prefix.length);
      const existsInEmptied = emptied.holds(key);
      const existsInReplacement = replacedWith !== null && replacedWith.holds(key);
      if (!existsInEmptied && !existsInReplacement) continue;
      for (const watched of list) {
        if (watched.expired) {
          if (!existsInReplacement) {
            // The expired key is now deleted: no logical change.
            watched.expired = false;
            continue;
          }
          if (replacedWith!.isExpired(key)) continue;
        } else if (!existsInEmptied && replacedWith!.isExpired(key)) {
          // A missing key replaced with an expired one: still missing.
          watched.expired = true;
          continue;
        }
        watched.client.dirtyCas = true;
      }
    }
  }

  /** isWatchedKeyExpired: a key not expired at WATCH time has expired since (EXEC then fails). */
  isWatchedKeyExpired(client: Client, dbs: readonly Database[]): boolean {
    for (const watched of client.watchedKeys) {
      if (watched.expired) continue;
      if (dbs[watched.db]!.isExpired(watched.key)) return true;
    }
    return false;
  }
}
