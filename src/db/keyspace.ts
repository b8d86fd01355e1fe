// One Redis database: the keys, their values and their expiry times.
//
// Every change to the keyspace goes through this class (setKey, add, remove,
// lookupWrite, setExpire, clear...), and every change first calls `beforeChange`.
// That single hook is where the background-save snapshot preserves a key's old value
// before it is modified, and where WATCH learns that a key was touched. Command code
// never mutates a value it did not obtain through lookupWrite.
//
// Keys are binary strings (see bytes.ts). Each key has a KeyEntry holding its value,
// expiry and access clock, so one Map lookup serves GET, TTL and OBJECT IDLETIME.
// `slots` gives every key a stable position: SCAN walks slots, so a key present for
// the whole scan is returned exactly once whatever is added or deleted meanwhile.

import { typeOf, type RedisValue } from "./types.ts";

export class KeyEntry {
  constructor(
    public value: RedisValue,
    /** Absolute unix time in ms, or -1 for no expiry. */
    public expireAt: number,
    /** Last access, unix ms (OBJECT IDLETIME). */
    public lru: number,
    /** Index in Database.slots. */
    public slot: number,
    /** LFU counter (OBJECT FREQ) when an LFU maxmemory-policy is set; starts at LFU_INIT_VAL. */
    public freq = LFU_INIT_VAL,
  ) {}
}

const LFU_INIT_VAL = 5;

/** Settings of the LFU counter (lfu-log-factor, lfu-decay-time), null when no LFU policy is set. */
export interface LfuSettings {
  logFactor: number;
  decayMinutes: number;
}

/** Redis's LFULogIncr: the counter grows logarithmically with accesses. */
function lfuIncrement(counter: number, logFactor: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const probability = 1 / (base * logFactor + 1);
  return Math.random() < probability ? counter + 1 : counter;
}

/**
 * "write" and "delete" change the key; "intent" announces that the caller may modify
 * the value in place next: the snapshot must preserve it, but WATCH waits for the
 * command to report a real change (Redis's signalModifiedKey, our `touched`).
 */
export type ChangeKind = "write" | "delete" | "intent";

/** Observer of keyspace changes. Called before the change happens, with the entry as it is. */
export interface KeyspaceObserver {
  beforeChange(db: Database, key: string, entry: KeyEntry | undefined, kind: ChangeKind): void;
  /** Before the whole database is emptied or swapped (FLUSHDB/FLUSHALL/SWAPDB). */
  beforeClear(db: Database): void;
}

export interface ExpireEvents {
  /** A key was found expired and removed (lazily or by the active cycle). */
  onExpired(db: Database, key: string): void;
  /** A read found no key (the "keymiss" keyspace event). */
  onKeyMiss?(db: Database, key: string): void;
  /** A key was created (the "new" keyspace event). */
  onNewKey?(db: Database, key: string): void;
}

export class Database {
  entries = new Map<string, KeyEntry>();
  slots: (string | undefined)[] = [];
  private freeSlots: number[] = [];
  /** Keys that have an expiry: the active expire cycle walks this set. */
  volatileKeys = new Set<string>();
  private expireCursor: Iterator<string> | null = null;
  /** Average TTL sample, for INFO keyspace avg_ttl. */
  avgTtl = 0;

  observers: KeyspaceObserver[] = [];
  lfu: LfuSettings | null = null;
  expireEvents: ExpireEvents | null = null;
  /** Set while the server is loading or a replica-style context forbids lazy deletion. */
  now: () => number = Date.now;
  stats = { hits: 0, misses: 0, expiredKeys: 0 };

  constructor(readonly index: number) {}

  get size(): number {
    return this.entries.size;
  }

  get expiresCount(): number {
    return this.volatileKeys.size;
  }

  // ---- lookups -------------------------------------------------------------

  /** The live entry for a key (expired keys are removed first), without touching stats. */
  entry(key: string): KeyEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expireAt !== -1 && entry.expireAt <= this.now()) {
      this.expireKey(key, entry);
      return undefined;
    }
    return entry;
  }

  /** Value for reading: counts hits/misses and refreshes the access clock. */
  lookupRead(key: string): RedisValue | undefined {
    const entry = this.entry(key);
    if (entry === undefined) {
      this.stats.misses++;
      this.expireEvents?.onKeyMiss?.(this, key);
      return undefined;
    }
    this.stats.hits++;
    this.touchEntry(entry);
    return entry.value;
  }

  /** Value that the caller is about to modify in place: the change hook runs first. */
  lookupWrite(key: string): RedisValue | undefined {
    return this.entryForChange(key, "write")?.value;
  }

  /**
   * Value that the caller may modify in place, if the command turns out to change it:
   * the snapshot preserves it now, and WATCH is told only by the command's own report
   * of a change (`touched`), so a failed or no-op command leaves transactions alone.
   */
  lookupWriteIntent(key: string): RedisValue | undefined {
    return this.entryForChange(key, "intent")?.value;
  }

  /** lookupWriteIntent returning the entry, whose value the caller may then replace (the TTL stays). */
  lookupWriteIntentEntry(key: string): KeyEntry | undefined {
    return this.entryForChange(key, "intent");
  }

  private entryForChange(key: string, kind: ChangeKind): KeyEntry | undefined {
    const entry = this.entry(key);
    if (entry === undefined) return undefined;
    this.notifyChange(key, entry, kind);
    this.touchEntry(entry);
    return entry;
  }

  /** Updates the access clock, and the LFU counter (with Redis's decay) when LFU is on. */
  private touchEntry(entry: KeyEntry): void {
    const now = this.now();
    const lfu = this.lfu;
    if (lfu !== null) {
      if (lfu.decayMinutes > 0) {
        const periods = Math.floor((now - entry.lru) / 60000 / lfu.decayMinutes);
        if (periods > 0) entry.freq = Math.max(0, entry.freq - periods);
      }
      entry.freq = lfuIncrement(entry.freq, lfu.logFactor);
    }
    entry.lru = now;
  }

  has(key: string): boolean {
    return this.entry(key) !== undefined;
  }

  // ---- changes -------------------------------------------------------------

  private notifyChange(key: string, entry: KeyEntry | undefined, kind: ChangeKind): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) observers[i]!.beforeChange(this, key, entry, kind);
  }

  /** SET semantics: creates or replaces the value; the TTL is dropped unless keepTtl. */
  setKey(key: string, value: RedisValue, keepTtl = false): void {
    // An expired key is deleted first (its "expired" event), then created anew.
    const entry = this.entry(key);
    this.notifyChange(key, entry, "write");
    if (entry === undefined) {
      this.insert(key, value, -1);
      return;
    }
    entry.value = value;
    entry.lru = this.now();
    if (!keepTtl && entry.expireAt !== -1) {
      entry.expireAt = -1;
      this.volatileKeys.delete(key);
    }
  }

  /** Adds a key that the caller knows does not exist (after a lookup returned nothing). */
  add(key: string, value: RedisValue, expireAt = -1): KeyEntry {
    this.notifyChange(key, undefined, "write");
    return this.insert(key, value, expireAt);
  }

  private insert(key: string, value: RedisValue, expireAt: number): KeyEntry {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    if (slot === this.slots.length) this.slots.push(key);
    else this.slots[slot] = key;
    const entry = new KeyEntry(value, expireAt, this.now(), slot);
    this.entries.set(key, entry);
    if (expireAt !== -1) this.volatileKeys.add(key);
    this.expireEvents?.onNewKey?.(this, key);
    return entry;
  }

  /** Deletes a key if present (expired keys count as absent). Returns whether a live key was removed. */
  remove(key: string): boolean {
    const entry = this.entry(key);
    if (entry === undefined) return false;
    this.notifyChange(key, entry, "delete");
    this.unlink(key, entry);
    return true;
  }

  private unlink(key: string, entry: KeyEntry): void {
    this.entries.delete(key);
    this.slots[entry.slot] = undefined;
    this.freeSlots.push(entry.slot);
    if (entry.expireAt !== -1) this.volatileKeys.delete(key);
    if (this.entries.size === 0 && this.slots.length > 1024) {
      this.slots = [];
      this.freeSlots = [];
    }
  }

  /** Sets (or with -1 removes) the expiry of an existing live key. */
  setExpire(key: string, expireAt: number): boolean {
    const entry = this.entry(key);
    if (entry === undefined) return false;
    this.notifyChange(key, entry, "write");
    entry.expireAt = expireAt;
    if (expireAt === -1) this.volatileKeys.delete(key);
    else this.volatileKeys.add(key);
    return true;
  }

  getExpire(key: string): number {
    const entry = this.entry(key);
    return entry === undefined ? -1 : entry.expireAt;
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    for (const observer of this.observers) observer.beforeClear(this);
    const removed = this.entries.size;
    this.entries = new Map();
    this.slots = [];
    this.freeSlots = [];
    this.volatileKeys = new Set();
    this.expireCursor = null;
    return removed;
  }

  /** Exchanges the contents of two databases (SWAPDB). Observers are told first. */
  swapWith(other: Database): void {
    for (const observer of this.observers) observer.beforeClear(this);
    for (const observer of other.observers) observer.beforeClear(other);
    const fields = ["entries", "slots", "freeSlots", "volatileKeys", "avgTtl"] as const;
    for (const field of fields) {
      const mine = this[field as keyof this];
      (this as Record<string, unknown>)[field] = (other as unknown as Record<string, unknown>)[field];
      (other as unknown as Record<string, unknown>)[field] = mine;
    }
    this.expireCursor = null;
    other.expireCursor = null;
  }

  private expireKey(key: string, entry: KeyEntry): void {
    this.notifyChange(key, entry, "delete");
    this.unlink(key, entry);
    this.stats.expiredKeys++;
    this.expireEvents?.onExpired(this, key);
  }

  // ---- iteration -------------------------------------------------------------

  /**
   * One SCAN step: visits slots from `cursor` until `count` slots with keys were seen
   * (Redis also counts work, not results). Returns the next cursor, 0 when done.
   */
  scan(cursor: number, count: number, visit: (key: string, entry: KeyEntry) => void): number {
    const slots = this.slots;
    let seen = 0;
    let i = cursor;
    const now = this.now();
    while (i < slots.length && seen < count) {
      const key = slots[i++];
      if (key === undefined) continue;
      seen++;
      const entry = this.entries.get(key)!;
      if (entry.expireAt !== -1 && entry.expireAt <= now) {
        this.expireKey(key, entry);
        continue;
      }
      visit(key, entry);
    }
    return i >= slots.length ? 0 : i;
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(): string | undefined {
    for (let attempts = 0; this.entries.size > 0; attempts++) {
      let key: string | undefined;
      if (this.slots.length <= this.entries.size * 4 || attempts > 100) {
        key = this.slots[Math.floor(Math.random() * this.slots.length)];
      } else {
        // Sparse slot table: fall back to a walk from a random start.
        const start = Math.floor(Math.random() * this.slots.length);
        for (let i = 0; i < this.slots.length && key === undefined; i++) key = this.slots[(start + i) % this.slots.length];
      }
      if (key === undefined) continue;
      const entry = this.entries.get(key)!;
      if (entry.expireAt !== -1 && entry.expireAt <= this.now()) {
        this.expireKey(key, entry);
        continue;
      }
      return key;
    }
    return undefined;
  }

  /**
   * The active expire cycle for this database: checks up to `budget` keys with a TTL,
   * continuing where the last call stopped, and deletes the expired ones. Returns
   * [checked, expired] so the caller can decide whether to repeat (Redis repeats while
   * more than a quarter of the sample was expired).
   */
  activeExpire(budget: number): [checked: number, expired: number] {
    if (this.volatileKeys.size === 0) return [0, 0];
    let checked = 0;
    let expired = 0;
    const now = this.now();
    let ttlSum = 0;
    let ttlSamples = 0;
    while (checked < budget) {
      if (this.expireCursor === null) this.expireCursor = this.volatileKeys.values();
      const next = this.expireCursor.next();
      if (next.done) {
        this.expireCursor = null;
        if (checked === 0 || checked >= this.volatileKeys.size) break;
        continue;
      }
      checked++;
      const key = next.value;
      const entry = this.entries.get(key);
      if (entry === undefined || entry.expireAt === -1) continue;
      if (entry.expireAt <= now) {
        this.expireKey(key, entry);
        expired++;
      } else {
        ttlSum += entry.expireAt - now;
        ttlSamples++;
      }
    }
    if (ttlSamples > 0) {
      const sampleAvg = ttlSum / ttlSamples;
      this.avgTtl = this.avgTtl === 0 ? sampleAvg : (this.avgTtl / 50) * 49 + sampleAvg / 50;
    }
    return [checked, expired];
  }

  typeOfKey(key: string): string {
    const entry = this.entry(key);
    return entry === undefined ? "none" : typeOf(entry.value);
  }
}
