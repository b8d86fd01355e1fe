// maxmemory: key eviction and client eviction, as Redis 7.0's evict.c and the client
// memory buckets of networking.c (see docs/memory.md).
//
// Before each command (processCommand) and from a timer while a previous call ran out
// of time, performEvictions compares used memory (memory.ts, less what is not counted
// for eviction: the AOF buffer) with maxmemory and deletes keys until it is under:
//
//   LRU/LFU/TTL policies   every database with keys gives `maxmemory-samples` random keys
//                          (volatile-*: keys with a TTL) to evictionPoolPopulate, which
//                          keeps the EVPOOL_SIZE best candidates across calls, sorted by
//                          idle time, 255 - LFU counter, or how soon the key expires;
//                          the best one that still exists is evicted
//   random policies        one random key of the next database in turn
//
// Each eviction is a deletion the server reports: WATCH and client tracking
// (signalModifiedKey), the `evicted` keyspace event, DEL (UNLINK with
// lazyfree-lazy-eviction) in the effect stream, evicted_keys. Every 16 keys the call
// checks its time (maxmemory-eviction-tenacity); out of time, it leaves the rest to
// evictionTimeProc, which evicts between commands while commands are not refused
// (EVICT_RUNNING). Only when nothing is left to evict (EVICT_FAIL) are denyoom commands
// refused with -OOM.
//
// Client eviction (maxmemory-clients): each connection's memory is counted again where
// Redis's updateClientMemUsageAndBucket runs (after its input was read and processed,
// and each cron tick), into a running total that makes the per-command check O(1).
// Over the limit, clients are closed from the largest bucket down.

import type { Server } from "./server.ts";
import type { Client } from "./net/client.ts";
import type { Database } from "./db/keyspace.ts";
import type { KeyTable } from "./db/keytable.ts";
import { getClientMemoryUsage, processRss, usedMemory } from "./memory.ts";
import { NOTIFY_EVICTED } from "./notify.ts";
import { logger } from "./log.ts";
import { describeClientLine } from "./info.ts";

/** Candidates the eviction pool keeps across performEvictions calls. */
export const EVPOOL_SIZE = 16;

/** performEvictions results. */
export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;
export type EvictResult = typeof EVICT_OK | typeof EVICT_RUNNING | typeof EVICT_FAIL;

// maxmemory-policy as Redis encodes it: flags, and the policy's own bits.
const MAXMEMORY_FLAG_LRU = 1 << 0;
const MAXMEMORY_FLAG_LFU = 1 << 1;
const MAXMEMORY_FLAG_ALLKEYS = 1 << 2;
const MAXMEMORY_VOLATILE_LRU = (0 << 8) | MAXMEMORY_FLAG_LRU;
const MAXMEMORY_VOLATILE_LFU = (1 << 8) | MAXMEMORY_FLAG_LFU;
const MAXMEMORY_VOLATILE_TTL = 2 << 8;
const MAXMEMORY_VOLATILE_RANDOM = 3 << 8;
const MAXMEMORY_ALLKEYS_LRU = (4 << 8) | MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_ALLKEYS;
const MAXMEMORY_ALLKEYS_LFU = (5 << 8) | MAXMEMORY_FLAG_LFU | MAXMEMORY_FLAG_ALLKEYS;
const MAXMEMORY_ALLKEYS_RANDOM = (6 << 8) | MAXMEMORY_FLAG_ALLKEYS;
const MAXMEMORY_NO_EVICTION = 7 << 8;

const POLICIES: Record<string, number> = {
  "volatile-lru": MAXMEMORY_VOLATILE_LRU,
  "volatile-lfu": MAXMEMORY_VOLATILE_LFU,
  "volatile-ttl": MAXMEMORY_VOLATILE_TTL,
  "volatile-random": MAXMEMORY_VOLATILE_RANDOM,
  "allkeys-lru": MAXMEMORY_ALLKEYS_LRU,
  "allkeys-lfu": MAXMEMORY_ALLKEYS_LFU,
  "allkeys-random": MAXMEMORY_ALLKEYS_RANDOM,
  noeviction: MAXMEMORY_NO_EVICTION,
};

/** LRU_CLOCK_RESOLUTION: the key table's access clock counts seconds. */
const LRU_CLOCK_RESOLUTION_MS = 1000;

/** Evicted bytes below which no collection is asked for, however small maxmemory is. */
const MIN_COLLECTION_BYTES = 8 * 1024 * 1024;

/** Slots a sampling run walks per key it wants, at most (a sparse slot table gives fewer keys). */
const SAMPLE_STEPS_PER_KEY = 10;

// The client memory buckets: clients of 32 KB and less share the first, then one per
// power of two up to 8 GB and more (CLIENT_MEM_USAGE_BUCKET_MIN_LOG/MAX_LOG).
const CLIENT_MEM_USAGE_BUCKET_MIN_LOG = 15;
const CLIENT_MEM_USAGE_BUCKET_MAX_LOG = 33;
/** A maxmemory-clients limit below this is raised to it, so a bad setting cannot lock everyone out. */
const CLIENT_EVICTION_MIN_LIMIT = 128 * 1024;

/** Which bucket a client of `bytes` falls in (getMemUsageBucket). */
function clientMemUsageBucket(bytes: number): number {
  const log = bytes <= 1 ? 0 : Math.floor(Math.log2(bytes));
  return Math.min(Math.max(log, CLIENT_MEM_USAGE_BUCKET_MIN_LOG), CLIENT_MEM_USAGE_BUCKET_MAX_LOG) - CLIENT_MEM_USAGE_BUCKET_MIN_LOG;
}

/** An eviction pool entry (Redis's evictionPoolEntry): a candidate key and its score. */
interface PoolEntry {
  /** The table the key was sampled from; null for an empty entry. */
  table: KeyTable | null;
  slot: number;
  hash: number;
  /** The score: idle ms, 255 - LFU counter, or how soon it expires; higher is evicted first. */
  idle: number;
  dbid: number;
}

export class Evictor {
  /** maxmemory in bytes, 0 for no limit. */
  maxmemory = 0;
  private policy = MAXMEMORY_NO_EVICTION;
  private samples = 5;
  private tenacity = 10;
  private lazyEviction = false;
  /** maxmemory-clients as configured: bytes, a negative percentage of maxmemory, or 0. */
  private maxmemoryClients = 0;

  /**
   * Whether maxmemory or maxmemory-clients is set: the one field processCommand and the
   * read path test when neither is. While set, client memory is counted as it changes
   * (updateClientMemUsage); otherwise usedMemory() sums the clients when asked.
   */
  clientsTracked = false;
  /** The clients' memory as last counted, the sum of their Client.lastMemoryUsage. */
  clientsMemory = 0;

  /**
   * The eviction pool: candidates sorted by ascending score, empty ones with table null.
   * An entry names its key by table, slot and hash rather than by a key string (a string
   * per sampled key was a tenth of the eviction's cost): a key deleted since, or its
   * database flushed, no longer matches and the entry is a ghost. A new key in the same
   * slot with the same 32-bit hash would be taken for it, an error of approximation like
   * the sampling's own.
   */
  private readonly pool: PoolEntry[] = Array.from({ length: EVPOOL_SIZE }, () => ({ table: null, slot: 0, hash: 0, idle: 0, dbid: 0 }));
  private readonly sampleSlots: number[] = [];
  /** The random policies' database rotation (Redis's static next_db). */
  private nextDb = 0;

  private evictionProcRunning = false;
  /** performance.now() when used memory first stayed over the limit, 0 while under. */
  private lastEvictionExceededTime = 0;
  /** stat_total_eviction_exceeded_time, in ms. */
  totalEvictionExceededTime = 0;
  evictedClients = 0;
  /** Bytes evicted since the last collection the cron asked for (collectEvictedGarbage). */
  freedSinceCollection = 0;

  /** The process's RSS when the server was made: the runtime's own, before any data. */
  private readonly startRss = processRss();

  constructor(private readonly server: Server) {
    const config = server.config;
    const refresh = (): void => {
      this.maxmemory = config.getNumber("maxmemory");
      this.policy = POLICIES[config.getString("maxmemory-policy")] ?? MAXMEMORY_NO_EVICTION;
      this.samples = config.getNumber("maxmemory-samples");
      this.tenacity = config.getNumber("maxmemory-eviction-tenacity");
      this.lazyEviction = config.getBool("lazyfree-lazy-eviction");
      this.maxmemoryClients = config.getNumber("maxmemory-clients");
      const tracked = this.maxmemory !== 0 || this.maxmemoryClients !== 0;
      if (tracked && !this.clientsTracked) this.recountClientsMemory();
      this.clientsTracked = tracked;
    };
    refresh();
    for (const name of ["maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity", "lazyfree-lazy-eviction", "maxmemory-clients"]) {
      config.onChange(name, refresh);
    }
    config.onChange("maxmemory", () => {
      refresh();
      this.updateMaxmemory();
    });
  }

  // ---- what is counted ------------------------------------------------------------------

  /**
   * freeMemoryGetNotCountedMemory: memory that eviction does not try to free, since
   * evicting would make it grow (the DELs it propagates): the AOF buffer and the
   * replicas' output.
   */
  freeMemoryGetNotCountedMemory(): number {
    // The stream waiting in replicas' output: evicting would only add DELs to it.
    let replicaOutput = 0;
    for (const replica of this.server.replication.replicas) replicaOutput += replica.outputBytes;
    return this.server.persistence.aof.bufferLength + replicaOutput;
  }

  /**
   * getMaxmemoryState: whether used memory, less what is not counted, is within maxmemory
   * (true), and otherwise how much must be freed (in `state`).
   */
  getMaxmemoryState(state: { used: number; toFree: number } | null = null): boolean {
    if (this.maxmemory === 0) return true;
    const reported = usedMemory(this.server);
    if (reported <= this.maxmemory) return true;
    const overhead = this.freeMemoryGetNotCountedMemory();
    const used = reported > overhead ? reported - overhead : 0;
    if (used <= this.maxmemory) return true;
    if (state !== null) {
      state.used = used;
      state.toFree = used - this.maxmemory;
    }
    return false;
  }

  private readonly memoryState = { used: 0, toFree: 0 };

  // ---- candidates -------------------------------------------------------------------------

  /**
   * LRU_CLOCK(): unix seconds, read once per performEvictions call (Redis caches it in
   * server.lruclock): a clock read per sampled key was a fifth of the eviction's cost.
   */
  private lruClock = 0;

  /** estimateObjectIdleTime: ms since the key was last accessed (at the access clock's resolution). */
  estimateObjectIdleTime(db: Database, slot: number): number {
    return Math.max(0, this.lruClock - db.table.lruOf(slot)) * LRU_CLOCK_RESOLUTION_MS;
  }

  /**
   * LFUDecrAndReturn: the key's LFU counter less the decay it is owed (one per
   * lfu-decay-time minutes since it was last decremented), without storing it.
   */
  LFUDecrAndReturn(db: Database, slot: number): number {
    const table = db.table;
    const counter = table.freqOf(slot);
    const lfu = db.lfu;
    if (lfu === null || lfu.decayMinutes <= 0) return counter;
    const elapsedMinutes = Math.floor((this.lruClock - table.lruOf(slot)) / 60);
    const periods = Math.floor(elapsedMinutes / lfu.decayMinutes);
    return periods > counter ? 0 : counter - periods;
  }

  /**
   * dictGetSomeKeys for the key table: up to `count` random live slots of `db`, from all
   * keys or (volatile) from the keys with a TTL. Expired keys are candidates too, as in Redis.
   */
  private sampleSlotsOf(db: Database, allKeys: boolean, count: number): number[] {
    const out = this.sampleSlots;
    out.length = 0;
    const table = db.table;
    if (allKeys) {
      // A run of adjacent slots from a random start, as dictGetSomeKeys walks adjacent
      // buckets: their fields share cache lines (one miss per field for the run, not per key).
      const slots = table.slotCount;
      if (slots === 0) return out;
      let slot = Math.floor(Math.random() * slots);
      for (let steps = count * SAMPLE_STEPS_PER_KEY; steps > 0 && out.length < count; steps--) {
        if (table.isLive(slot)) out.push(slot);
        if (++slot === slots) slot = 0;
      }
    } else {
      const volatile = table.volatileSlots;
      const total = table.volatileCount;
      for (let n = 0; n < count && n < total; n++) out.push(volatile[Math.floor(Math.random() * total)]!);
    }
    return out;
  }

  /**
   * evictionPoolPopulate: scores `maxmemory-samples` keys of database `dbid` (the higher,
   * the better to evict) and inserts those better than the pool's worst, keeping it sorted.
   */
  evictionPoolPopulate(dbid: number, db: Database): void {
    const policy = this.policy;
    const table = db.table;
    const slots = this.sampleSlotsOf(db, (policy & MAXMEMORY_FLAG_ALLKEYS) !== 0, this.samples);
    const pool = this.pool;
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j]!;
      let idle: number;
      if (policy & MAXMEMORY_FLAG_LRU) idle = this.estimateObjectIdleTime(db, slot);
      else if (policy & MAXMEMORY_FLAG_LFU) idle = 255 - this.LFUDecrAndReturn(db, slot);
      else idle = Number.MAX_SAFE_INTEGER - table.expireAtOf(slot); // volatile-ttl: the sooner the better
      // The first empty entry, or the first whose score is not below ours.
      let k = 0;
      while (k < EVPOOL_SIZE && pool[k]!.table !== null && pool[k]!.idle < idle) k++;
      if (k === 0 && pool[EVPOOL_SIZE - 1]!.table !== null) continue; // worse than all, and no room
      if (k < EVPOOL_SIZE && pool[k]!.table === null) {
        // An empty entry: nothing to move.
      } else if (pool[EVPOOL_SIZE - 1]!.table === null) {
        // Room on the right: shift k.. one to the right; the empty last entry is reused at k.
        const free = pool[EVPOOL_SIZE - 1]!;
        for (let i = EVPOOL_SIZE - 1; i > k; i--) pool[i] = pool[i - 1]!;
        pool[k] = free;
      } else {
        // Full: drop the worst (leftmost), shifting ..k-1 one to the left.
        k--;
        const dropped = pool[0]!;
        for (let i = 0; i < k; i++) pool[i] = pool[i + 1]!;
        pool[k] = dropped;
      }
      const entry = pool[k]!;
      entry.table = table;
      entry.slot = slot;
      entry.hash = table.hashAt(slot);
      entry.idle = idle;
      entry.dbid = dbid;
    }
  }

  /** The pool's best candidate that still exists (and still has a TTL, for volatile policies), removed from the pool. */
  private popBestKey(allKeys: boolean): boolean {
    const pool = this.pool;
    for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
      const entry = pool[k]!;
      const table = entry.table;
      if (table === null) continue;
      entry.table = null;
      const db = this.server.dbs[entry.dbid]!;
      const slot = entry.slot;
      if (db.table === table && table.isLive(slot) && table.hashAt(slot) === entry.hash && (allKeys || table.expireAtOf(slot) !== -1)) {
        this.bestDb = db;
        this.bestSlot = slot;
        return true;
      }
      // A ghost: deleted (or persisted, or its database flushed) since it was sampled.
    }
    return false;
  }

  /** The key the policy chose: popBestKey's or the random pick. */
  private bestDb: Database | null = null;
  private bestSlot = -1;

  // ---- performEvictions -------------------------------------------------------------------

  /** isSafeToPerformEvictions: not while a busy script yields, the server loads, or clients are paused. */
  private isSafeToPerformEvictions(): boolean {
    const server = this.server;
    if (server.scripting.runner.timedOut || server.loading) return false;
    // A replica's dataset is its master's: the master evicts, and its DELs follow (replica-ignore-maxmemory).
    if (server.replication.isReplica && server.config.getBool("replica-ignore-maxmemory")) return false;
    return !server.clientsArePaused();
  }

  /** evictionTimeLimitUs: 50 µs per point up to tenacity 10, then 15% more per point; 100 is no limit. */
  evictionTimeLimitUs(): number {
    const tenacity = this.tenacity;
    if (tenacity <= 10) return 50 * tenacity;
    if (tenacity < 100) return Math.floor(500 * Math.pow(1.15, tenacity - 10));
    return Infinity;
  }

  /**
   * performEvictions: evicts keys until used memory is under maxmemory. EVICT_OK: under
   * it (or eviction is not safe now); EVICT_RUNNING: out of time, evictionTimeProc goes
   * on; EVICT_FAIL: over it with nothing left to evict (or noeviction).
   */
  performEvictions(): EvictResult {
    if (!this.isSafeToPerformEvictions()) return EVICT_OK;
    const state = this.memoryState;
    let result: EvictResult;
    if (this.getMaxmemoryState(state)) result = EVICT_OK;
    else if (this.policy === MAXMEMORY_NO_EVICTION) result = EVICT_FAIL;
    else result = this.evictKeys(state.toFree);
    this.updateMetrics(result);
    return result;
  }

  private evictKeys(toFree: number): EvictResult {
    const server = this.server;
    const latency = server.latency;
    const monitorLatency = latency.threshold > 0;
    const start = performance.now();
    this.lruClock = Math.floor(server.clock() / 1000);
    const timeLimitMs = this.evictionTimeLimitUs() / 1000;
    const policy = this.policy;
    const allKeys = (policy & MAXMEMORY_FLAG_ALLKEYS) !== 0;
    const dbs = server.dbs;
    let freed = 0;
    let keysFreed = 0;
    let result: EvictResult = EVICT_FAIL;
    // The DELs are independent of each other: no MULTI/EXEC around them (propagate_no_multi).
    const propagation = server.propagation;
    propagation.noMulti = true;
    try {
      for (;;) {
        if (freed >= toFree) {
          result = this.evictionProcRunning ? EVICT_RUNNING : EVICT_OK;
          break;
        }
        let found = false;
        if (policy & (MAXMEMORY_FLAG_LRU | MAXMEMORY_FLAG_LFU) || policy === MAXMEMORY_VOLATILE_TTL) {
          while (!found) {
            let totalKeys = 0;
            for (let i = 0; i < dbs.length; i++) {
              const db = dbs[i]!;
              const keys = allKeys ? db.size : db.expiresCount;
              if (keys === 0) continue;
              this.evictionPoolPopulate(i, db);
              totalKeys += keys;
            }
            if (totalKeys === 0) break;
            found = this.popBestKey(allKeys);
          }
        } else {
          // allkeys-random, volatile-random: a key of the next database that has one.
          for (let i = 0; i < dbs.length; i++) {
            const db = dbs[++this.nextDb % dbs.length]!;
            const slots = this.sampleSlotsOf(db, allKeys, 1);
            if (slots.length === 0) continue;
            this.bestDb = db;
            this.bestSlot = slots[0]!;
            found = true;
            break;
          }
        }
        if (!found) break; // nothing left to evict: EVICT_FAIL
        const bytes = this.evictKey(this.bestDb!, this.bestSlot, monitorLatency);
        freed += bytes;
        this.freedSinceCollection += bytes;
        keysFreed++;
        if (keysFreed % 16 === 0 && performance.now() - start > timeLimitMs) {
          // Still over: go on between commands.
          this.startEvictionTimeProc();
          result = EVICT_RUNNING;
          break;
        }
      }
    } finally {
      propagation.propagatePendingCommands();
      propagation.noMulti = false;
    }
    if (monitorLatency) latency.sample("eviction-cycle", performance.now() - start);
    return result;
  }

  /**
   * Deletes one key as an eviction and reports it; returns the bytes it freed (the key
   * table's count alone, as Redis measures the deletion alone: what the DEL adds to the
   * AOF or the invalidation to clients is freed later, and counting it would never end).
   */
  private evictKey(db: Database, slot: number, monitorLatency: boolean): number {
    const server = this.server;
    const table = db.table;
    // The key's name is made only for whoever is told of the deletion (a fifth of an
    // eviction's cost otherwise): the effect stream, `evicted` subscribers, WATCH, tracking.
    const reported = server.propagation.active || (server.notifier.flags & NOTIFY_EVICTED) !== 0 || !server.watches.idle() || !server.tracking.idle();
    const key = reported ? table.keyAt(slot) : null;
    const before = table.usedBytes;
    const start = monitorLatency ? performance.now() : 0;
    db.deleteSlot(slot, key);
    if (monitorLatency) server.latency.sample("eviction-del", performance.now() - start);
    const freed = before - table.usedBytes;
    server.stats.evictedKeys++;
    if (key !== null) {
      server.signalModifiedKey(null, db, key);
      server.notifier.notify(NOTIFY_EVICTED, "evicted", key, db.index);
      server.propagateDeletion(db.index, key, this.lazyEviction);
    }
    return freed;
  }

  /**
   * Evicted values are garbage the JS heap frees only when it collects, and JSC lets a
   * heap grow to several times its live size first: a server evicting 100 MB/s at a 30 MB
   * limit would sit at ten times the limit in RSS. So once half of maxmemory was evicted
   * since the last time and the process's RSS is more than twice maxmemory above what it
   * was at start, the cron asks for a full collection (20-100 ms for a heap of 70-150 MB,
   * during which nothing else runs: below that RSS, JSC's own collections are left to it).
   */
  collectEvictedGarbage(): void {
    if (this.maxmemory === 0 || this.freedSinceCollection <= Math.max(this.maxmemory / 2, MIN_COLLECTION_BYTES)) return;
    if (processRss() - this.startRss <= 2 * this.maxmemory) return;
    this.freedSinceCollection = 0;
    // Synchronous: an asynchronous request (Bun.gc(false)) left the RSS where it was.
    Bun.gc(true);
  }

  /** update_metrics: how long used memory has stayed over the limit (INFO's *_eviction_exceeded_time). */
  private updateMetrics(result: EvictResult): void {
    if (result !== EVICT_OK) {
      if (this.lastEvictionExceededTime === 0) this.lastEvictionExceededTime = performance.now();
    } else if (this.lastEvictionExceededTime !== 0) {
      this.totalEvictionExceededTime += performance.now() - this.lastEvictionExceededTime;
      this.lastEvictionExceededTime = 0;
    }
  }

  /** current_eviction_exceeded_time in ms. */
  get currentEvictionExceededTime(): number {
    return this.lastEvictionExceededTime === 0 ? 0 : performance.now() - this.lastEvictionExceededTime;
  }

  resetStats(): void {
    this.totalEvictionExceededTime = 0;
    this.evictedClients = 0;
    this.lastEvictionExceededTime = 0;
  }

  /**
   * evictionTimeProc: evicts between commands until used memory is under the limit
   * (EVICT_OK) or nothing is left (EVICT_FAIL). setImmediate lets the clients' I/O in
   * between, as the event loop does between Redis's time events.
   */
  startEvictionTimeProc(): void {
    if (this.evictionProcRunning) return;
    this.evictionProcRunning = true;
    setImmediate(this.evictionTimeProc);
  }

  private readonly evictionTimeProc = (): void => {
    // A turn of the loop in which the server stopped: nothing to do.
    if (this.server.shuttingDown) {
      this.evictionProcRunning = false;
      return;
    }
    if (this.performEvictions() === EVICT_RUNNING) {
      setImmediate(this.evictionTimeProc);
      return;
    }
    this.evictionProcRunning = false;
    // The replies and effects of the evictions (the AOF's buffer) go out with the stage.
    this.server.requestBeforeSleep();
  };

  /** CONFIG SET maxmemory (updateMaxmemory): a warning when already over, and eviction starts between commands. */
  private updateMaxmemory(): void {
    if (this.maxmemory === 0) return;
    const used = usedMemory(this.server) - this.freeMemoryGetNotCountedMemory();
    if (this.maxmemory < used) {
      logger.warning(
        `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
      );
    }
    this.startEvictionTimeProc();
  }

  // ---- client eviction ---------------------------------------------------------------------

  /** updateClientMemoryUsage: counts `client` again into the running total. */
  updateClientMemUsage(client: Client): void {
    if (client.closed) return;
    const bytes = getClientMemoryUsage(client);
    this.clientsMemory += bytes - client.lastMemoryUsage;
    client.lastMemoryUsage = bytes;
  }

  /** A closed client's memory leaves the total. */
  clientClosed(client: Client): void {
    this.clientsMemory -= client.lastMemoryUsage;
    client.lastMemoryUsage = 0;
  }

  /** Counts every client again (the cron's correction, and when tracking starts). */
  recountClientsMemory(): void {
    let total = 0;
    for (const client of this.server.clients.values()) {
      const bytes = getClientMemoryUsage(client);
      client.lastMemoryUsage = bytes;
      total += bytes;
    }
    this.clientsMemory = total;
  }

  /** getClientEvictionLimit: maxmemory-clients in bytes (a percentage of maxmemory), at least 128 KB; 0 for none. */
  getClientEvictionLimit(): number {
    let limit: number;
    if (this.maxmemoryClients < 0 && this.maxmemory > 0) limit = Math.floor((this.maxmemory * -this.maxmemoryClients) / 100);
    else if (this.maxmemoryClients > 0) limit = this.maxmemoryClients;
    else return 0;
    return Math.max(limit, CLIENT_EVICTION_MIN_LIMIT);
  }

  /**
   * evictClients: while the clients' memory is at or over maxmemory-clients, closes the
   * evictable clients of the largest memory bucket first (CLIENT NO-EVICT ones never).
   * The client whose command is about to run may be one of them (processCommand checks).
   */
  evictClients(): void {
    if (this.maxmemoryClients === 0) return;
    const limit = this.getClientEvictionLimit();
    if (limit === 0 || this.clientsMemory < limit) return;
    const candidates: Client[] = [];
    for (const client of this.server.clients.values()) {
      if (!client.noEvict && !client.closed && client.socket !== null) candidates.push(client);
    }
    // Bucket by bucket from the top; within a bucket, in the order the clients came.
    candidates.sort((a, b) => clientMemUsageBucket(b.lastMemoryUsage) - clientMemUsageBucket(a.lastMemoryUsage));
    for (const client of candidates) {
      if (this.clientsMemory < limit) return;
      logger.notice(`Evicting client: ${describeClientLine(this.server, client)}`);
      client.close();
      this.evictedClients++;
    }
    if (this.clientsMemory >= limit) logger.warning("Over client maxmemory after evicting all evictable clients");
  }
}
