// One Redis database: the keys, their values and their expiry times.
//
// Every change to the keyspace goes through this class: a command opens a key for
// writing (lookupWrite / lookupWriteSlot, Redis's lookupKeyWrite) before it modifies
// the value in place, or replaces it (setKey, add, remove, setExpire, clear...). Each
// of those first calls `beforeChange`, the hook where a running background save
// preserves the key's old value. What the change *was* is reported once, afterwards,
// by the command (commands/context.ts `keyChanged`: WATCH, keyspace event, dirty
// counter and, through call(), the effect stream); changes the keyspace makes by
// itself (expiry) are reported through `events`. Command code never mutates a value
// it did not obtain through lookupWrite.
//
// Keys are binary strings (see bytes.ts) in this API. They are stored in a KeyTable
// (keytable.ts), which gives each key a stable *slot*: one hash lookup yields the slot,
// and the value, expiry and access clock are read from it. SCAN walks slots, so a key
// present for the whole scan is returned exactly once whatever is added or deleted.
// FLUSHDB gives the database a new table and SWAPDB exchanges tables, so a background
// save can keep streaming from the table it started with.

import { KeyTable, LFU_INIT_VAL } from "./keytable.ts";
import { CommandEpoch } from "./value-arena.ts";
import { typeOf, type RedisValue } from "./types.ts";
import { RawString, markRaw } from "./string-encoding.ts";
import { bytesToKey } from "./bytes.ts";

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
 * Observer of changes about to happen (the background save's copy-on-write). Called
 * before a key is opened for writing, replaced, removed or given a new expiry, with
 * the key's slot in `db.table` as it is (-1 when the key does not exist). It must not
 * decide anything about the change itself: the command may still change nothing.
 */
export interface KeyspaceObserver {
  beforeChange(db: Database, key: string, slot: number): void;
  /**
   * True when beforeChange would do nothing whatever the key: a write by key bytes
   * (setKeyBytes) then makes no key string for it.
   */
  idle?(): boolean;
  /** Before the whole database is emptied or swapped (FLUSHDB/FLUSHALL/SWAPDB). */
  beforeClear(db: Database): void;
}

/** What the keyspace reports of changes it makes by itself, and of reads (the server implements it). */
export interface KeyspaceEvents {
  /** A key was found expired and removed (lazily or by the active cycle). */
  onExpired(db: Database, key: string): void;
  /**
   * server.loading: keys past their expiry time are live while a load runs (Redis's
   * keyIsExpired), so a replayed AOF sees the data its writer saw; they expire after it.
   */
  isLoading?(): boolean;
  /**
   * While CLIENT PAUSE (WRITE or ALL) holds clients the dataset stays still, so a key past its time reads as missing but is not
   * deleted; it expires once the pause ends.
   */
  clientsPaused?(): boolean;
  /** A read found no key (the "keymiss" keyspace event). */
  onKeyMiss?(db: Database, key: string): void;
  /**
   * expireIfNeeded on a replica: 1, the master's own command runs (a key past its time is
   * still there for it: the master decides when it goes, with a DEL); 2, a read-only
   * replica serves a user (the key reads as missing but is not deleted); 0 otherwise.
   */
  replicaExpiry?(): number;
  /** A key was created (the "new" keyspace event). */
  onNewKey?(db: Database, key: string): void;
  /** Whether onNewKey does anything now (notify-keyspace-events has "n"). */
  wantsNewKeys?(): boolean;
  /** Whether onKeyMiss does anything now (notify-keyspace-events has "m"): a miss by bytes makes no key string otherwise. */
  wantsKeyMisses?(): boolean;
  /** Whether any client waits on keys: only then are onKeyReady calls worth making. */
  keyWaiters(): boolean;
  /**
   * signalKeyAsReady: a key was created with a list, sorted set or stream (dbAdd), or a
   * stream left its key (deleted, expired, overwritten), which XREADGROUP readers must learn.
   */
  onKeyReady(db: Database, key: string): void;
}

export class Database {
  table: KeyTable;

  observers: KeyspaceObserver[] = [];
  lfu: LfuSettings | null = null;
  events: KeyspaceEvents | null = null;
  /** Set while the server is loading or a replica-style context forbids lazy deletion. */
  now: () => number = Date.now;
  stats = { hits: 0, misses: 0, expiredKeys: 0 };

  /**
   * `epoch`: the command counter of the server running commands against this database
   * (value-arena.ts), handed to every table it makes; a standalone database counts its own.
   */
  constructor(
    readonly index: number,
    readonly epoch: CommandEpoch = new CommandEpoch(),
  ) {
    this.table = new KeyTable(epoch);
  }

  get size(): number {
    return this.table.size;
  }

  get expiresCount(): number {
    return this.table.volatileCount;
  }

  /** Average TTL sample, for INFO keyspace avg_ttl. */
  get avgTtl(): number {
    return this.table.avgTtl;
  }

  // ---- lookups -------------------------------------------------------------

  /** The live slot of a key (an expired key is removed first), or -1; touches no stats. */
  find(key: string): number {
    const table = this.table;
    const slot = table.find(key);
    if (slot < 0) return -1;
    const expireAt = table.expireAtOf(slot);
    if (expireAt !== -1 && expireAt <= this.now()) {
      if (this.expiryHeld()) return slot;
      if (this.expiryPaused()) return -1;
      this.expireSlot(key, slot);
      return -1;
    }
    return slot;
  }

  /** The live value of a key without touching stats or the access clock. */
  peek(key: string): RedisValue | undefined {
    const slot = this.find(key);
    return slot < 0 ? undefined : this.table.valueAt(slot);
  }

  /** Value for reading: counts hits/misses and refreshes the access clock. */
  lookupRead(key: string): RedisValue | undefined {
    const slot = this.find(key);
    if (slot < 0) {
      this.stats.misses++;
      this.events?.onKeyMiss?.(this, key);
      return undefined;
    }
    this.stats.hits++;
    this.touchSlot(slot);
    return this.table.valueAt(slot);
  }

  /**
   * lookupRead for a command that may then modify the value in place (Redis's consumer-group
   * commands read their stream with lookupKeyRead): hits and misses count as for a read,
   * and a running snapshot preserves the value first, as lookupWrite does.
   */
  lookupReadWrite(key: string): RedisValue | undefined {
    const value = this.lookupRead(key);
    if (value !== undefined) {
      const slot = this.table.find(key);
      if (this.observers.length > 0) this.notifyChange(key, slot);
      this.table.noteWrite(slot);
    }
    return value;
  }

  /**
   * lookupRead for a key given as bytes, returning the slot (-1 when absent): GET reads
   * the value from it without a key string, which is made only for a miss or expiry event.
   */
  lookupReadSlot(keyBytes: Uint8Array): number {
    const slot = this.findBytes(keyBytes);
    if (slot >= 0) {
      this.stats.hits++;
      this.touchSlot(slot);
      return slot;
    }
    this.missBytes(keyBytes);
    return -1;
  }

  /**
   * lookupKeyReadWithFlags with LOOKUP_NOTOUCH (EXISTS, TTL and its kin, TYPE, OBJECT):
   * the live slot (-1 when missing), the hit or the miss counted as a read counts it,
   * with the keymiss event unless `notify` is false (LOOKUP_NONOTIFY, OBJECT's), and the
   * access clock left alone.
   */
  lookupReadSlotNoTouch(keyBytes: Uint8Array, notify = true): number {
    const slot = this.findBytes(keyBytes);
    if (slot >= 0) {
      this.stats.hits++;
      return slot;
    }
    if (notify) this.missBytes(keyBytes);
    else this.stats.misses++;
    return -1;
  }

  existsForRead(keyBytes: Uint8Array): boolean {
    return this.lookupReadSlotNoTouch(keyBytes) >= 0;
  }

  private missBytes(keyBytes: Uint8Array): void {
    this.stats.misses++;
    const events = this.events;
    if (events?.onKeyMiss !== undefined && events.wantsKeyMisses?.() !== false) events.onKeyMiss(this, bytesToKey(keyBytes));
  }

  /** lookupRead for a key given as bytes (lookupReadSlot). */
  lookupReadBytes(keyBytes: Uint8Array): RedisValue | undefined {
    const slot = this.lookupReadSlot(keyBytes);
    return slot < 0 ? undefined : this.table.valueAt(slot);
  }

  /** find() for a key given as bytes: the key string is made only to expire the key. */
  findBytes(keyBytes: Uint8Array): number {
    const table = this.table;
    const slot = table.findBytes(keyBytes);
    if (slot < 0) return -1;
    const expireAt = table.expireAtOf(slot);
    if (expireAt !== -1 && expireAt <= this.now()) {
      if (this.expiryHeld()) return slot;
      if (this.expiryPaused()) return -1;
      this.expireSlot(table.keyAt(slot), slot);
      return -1;
    }
    return slot;
  }

  /** keyIsExpired's loading rule: nothing expires while the server loads. Asked only of keys past their time. */
  private expiryHeld(): boolean {
    const events = this.events;
    return events?.isLoading?.() === true || events?.replicaExpiry?.() === 1;
  }

  /** expireIfNeeded's pause rule (KeyspaceEvents.clientsPaused): a key past its time is hidden, not deleted. */
  private expiryPaused(): boolean {
    const events = this.events;
    return events?.clientsPaused?.() === true || events?.replicaExpiry?.() === 2;
  }

  /**
   * Opens a key for writing (Redis's lookupKeyWrite): the value, which the caller may
   * modify in place if the command turns out to change it. A running snapshot
   * preserves it first; nothing is reported (the command reports what it changed with
   * keyChanged, so a failed or no-op command leaves WATCH, events and the AOF alone).
   */
  lookupWrite(key: string): RedisValue | undefined {
    const slot = this.lookupWriteSlot(key);
    return slot < 0 ? undefined : this.table.valueAt(slot);
  }

  /** lookupWrite returning the slot (-1 when absent), whose value the caller may then replace (replaceValue). */
  lookupWriteSlot(key: string): number {
    const slot = this.find(key);
    if (slot < 0) return -1;
    this.notifyChange(key, slot);
    this.touchSlot(slot);
    this.table.noteWrite(slot);
    return slot;
  }

  /** lookupWrite for a key given as bytes (lookupWriteSlotBytes). */
  lookupWriteBytes(keyBytes: Uint8Array): RedisValue | undefined {
    const slot = this.lookupWriteSlotBytes(keyBytes);
    return slot < 0 ? undefined : this.table.valueAt(slot);
  }

  /** lookupWriteSlot for a key given as bytes: a key string only for an observer that is not idle. */
  lookupWriteSlotBytes(keyBytes: Uint8Array): number {
    const slot = this.findBytes(keyBytes);
    if (slot < 0) return -1;
    if (!this.observersIdle()) this.notifyChange(bytesToKey(keyBytes), slot);
    this.touchSlot(slot);
    this.table.noteWrite(slot);
    return slot;
  }

  /**
   * A value that changed its representation but not its content (SORT converting a sorted
   * set in place, as Redis's zsetConvert does unsignalled): only its memory count follows.
   */
  noteResized(key: string): void {
    const slot = this.table.find(key);
    if (slot >= 0) this.table.noteWrite(slot);
  }

  /** Updates the access clock, and the LFU counter (with Redis's decay) when LFU is on. */
  private touchSlot(slot: number): void {
    const table = this.table;
    const nowSeconds = Math.floor(this.now() / 1000);
    const lfu = this.lfu;
    if (lfu !== null) {
      let counter = table.freqOf(slot);
      if (lfu.decayMinutes > 0) {
        const periods = Math.floor((nowSeconds - table.lruOf(slot)) / 60 / lfu.decayMinutes);
        if (periods > 0) counter = Math.max(0, counter - periods);
      }
      table.setFreq(slot, lfuIncrement(counter, lfu.logFactor));
    }
    table.setLru(slot, nowSeconds);
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  /** keyIsExpired: the table holds the key and its time has passed (nothing is deleted). */
  isExpired(key: string): boolean {
    const slot = this.table.find(key);
    if (slot < 0) return false;
    const expireAt = this.table.expireAtOf(slot);
    return expireAt !== -1 && expireAt <= this.now() && !this.expiryHeld();
  }

  /** Whether the table holds the key, expired or not (no lazy expiry). */
  holds(key: string): boolean {
    return this.table.find(key) >= 0;
  }

  // ---- a live slot's fields (slots come from find/add/lookupWriteSlot) -------

  valueAt(slot: number): RedisValue {
    return this.table.valueAt(slot);
  }

  /** Absolute unix ms, or -1 for no expiry. */
  expireAtOf(slot: number): number {
    return this.table.expireAtOf(slot);
  }

  /** OBJECT IDLETIME: seconds since the last access. */
  idleSecondsOf(slot: number): number {
    return Math.max(0, Math.floor(this.now() / 1000) - this.table.lruOf(slot));
  }

  setIdleSeconds(slot: number, seconds: number): void {
    this.table.setLru(slot, Math.max(0, Math.floor(this.now() / 1000) - seconds));
  }

  /** OBJECT FREQ: the LFU counter. */
  freqOf(slot: number): number {
    return this.table.freqOf(slot);
  }

  setFreq(slot: number, freq: number): void {
    this.table.setFreq(slot, freq);
  }

  /** Replaces the value of a slot obtained with lookupWriteSlot (already preserved); the TTL stays. */
  replaceValue(slot: number, value: RedisValue): void {
    this.table.setValue(slot, value);
  }

  /** The value of a slot holding an arena string, parsed as an integer where it lies (null otherwise). */
  inlineIntegerAt(slot: number): number | bigint | null {
    return this.table.inlineIntegerAt(slot);
  }

  /** replaceValue with the decimal form of a safe integer (INCR), written without an intermediate array. */
  replaceWithInteger(slot: number, n: number): void {
    this.table.setIntegerValue(slot, n);
  }

  /**
   * The string of a live slot as a raw-encoded object of its own that the caller may
   * modify in place (Redis's dbUnshareStringValue): a string kept in the value arena is
   * copied out first. The content is unchanged, so no change is signalled.
   */
  unshareString(slot: number): Uint8Array {
    const table = this.table;
    const value = table.valueAt(slot) as Uint8Array;
    if (value instanceof RawString) return value;
    // An object of its own is marked where it lies; an arena string is copied out.
    const owned = table.isInline(slot) ? new RawString(value) : markRaw(value);
    table.setValue(slot, owned);
    return owned;
  }

  // ---- changes -------------------------------------------------------------

  private notifyChange(key: string, slot: number): void {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) observers[i]!.beforeChange(this, key, slot);
  }

  /** SET semantics: creates or replaces the value; the TTL is dropped unless keepTtl. */
  setKey(key: string, value: RedisValue, keepTtl = false): void {
    // An expired key is deleted first (its "expired" event), then created anew.
    this.setKeyAt(key, this.find(key), value, keepTtl);
  }

  /** setKey for a caller that just looked the key up: `slot` is find(key) (-1 when absent). */
  setKeyAt(key: string, slot: number, value: RedisValue, keepTtl = false): void {
    this.notifyChange(key, slot);
    if (slot < 0) {
      this.insert(key, value, -1);
      return;
    }
    const table = this.table;
    this.valueLeaving(key, slot);
    table.setValue(slot, value);
    table.setLru(slot, Math.floor(this.now() / 1000));
    if (!keepTtl && table.expireAtOf(slot) !== -1) table.setExpire(slot, -1);
  }

  /** dbGenericDelete / dbOverwrite: a stream leaving its key wakes its blocked XREADGROUP readers. */
  private valueLeaving(key: string, slot: number): void {
    const events = this.events;
    if (events === null || !events.keyWaiters() || this.table.isInline(slot)) return;
    const value = this.table.valueAt(slot);
    if (!(value instanceof Uint8Array) && value.type === "stream") events.onKeyReady(this, key);
  }

  /**
   * setKey (SET, MSET) for a key given as bytes, with the TTL `expireAt` (-1: none; SET
   * ... EX sets both as one change). The key string that the hook, the "new" event and
   * expiry want is made only when one of them will use it.
   */
  setKeyBytes(keyBytes: Uint8Array, value: RedisValue, expireAt = -1): void {
    const table = this.table;
    // An expired key is deleted first (its "expired" event), then created anew.
    const slot = this.findBytes(keyBytes);
    let key: string | null = null;
    if (!this.observersIdle()) this.notifyChange((key ??= bytesToKey(keyBytes)), slot);
    if (slot >= 0) {
      if (this.events?.keyWaiters() === true) this.valueLeaving(key ?? bytesToKey(keyBytes), slot);
      table.setValue(slot, value);
      table.setLru(slot, Math.floor(this.now() / 1000));
      if (expireAt !== -1 || table.expireAtOf(slot) !== -1) table.setExpire(slot, expireAt);
      return;
    }
    table.insertBytes(keyBytes, value, expireAt, Math.floor(this.now() / 1000));
    this.keyAdded(keyBytes, key, value);
  }

  private observersIdle(): boolean {
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) if (observers[i]!.idle?.() !== true) return false;
    return true;
  }

  /** Adds a key that the caller knows does not exist (after a lookup returned nothing); returns its slot. */
  add(key: string, value: RedisValue, expireAt = -1): number {
    this.notifyChange(key, -1);
    return this.insert(key, value, expireAt);
  }

  /**
   * add() for a key given as bytes (a collection created by HSET, LPUSH, ZADD...): the
   * key string that the change hook, the "new" event and blocked clients want is made
   * only when one of them will use it.
   */
  addBytes(keyBytes: Uint8Array, value: RedisValue): number {
    let key: string | null = null;
    if (!this.observersIdle()) this.notifyChange((key = bytesToKey(keyBytes)), -1);
    const slot = this.table.insertBytes(keyBytes, value, -1, Math.floor(this.now() / 1000));
    this.keyAdded(keyBytes, key, value);
    return slot;
  }

  /**
   * Adds a key read from an RDB file (Redis's dbAddRDBLoad): no change hook, no "new"
   * event, and no key string. Returns the slot, or -1 when the key already exists.
   */
  loadKey(key: Uint8Array, value: RedisValue, expireAt: number): number {
    if (this.table.findBytes(key) >= 0) return -1;
    return this.table.insertBytes(key, value, expireAt, Math.floor(this.now() / 1000));
  }

  /** dbAdd: the "new" event, and a key that blocked clients may be waiting for is signalled. */
  private insert(key: string, value: RedisValue, expireAt: number): number {
    const slot = this.table.insert(key, value, expireAt, Math.floor(this.now() / 1000));
    this.keyAdded(null, key, value);
    return slot;
  }

  /**
   * dbAdd's events for a key just added, given as bytes or as its string (`key`, null
   * until something made it): the "new" event, and the clients blocked on the key are
   * signalled when its value is a collection. The string is made only for them.
   */
  private keyAdded(keyBytes: Uint8Array | null, key: string | null, value: RedisValue): void {
    const events = this.events;
    if (events === null) return;
    if (events.onNewKey !== undefined && events.wantsNewKeys?.() !== false) events.onNewKey(this, (key ??= bytesToKey(keyBytes!)));
    if (!(value instanceof Uint8Array) && events.keyWaiters()) events.onKeyReady(this, key ?? bytesToKey(keyBytes!));
  }

  /** Deletes a key if present (expired keys count as absent). Returns whether a live key was removed. */
  remove(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.notifyChange(key, slot);
    this.valueLeaving(key, slot);
    this.table.remove(slot);
    return true;
  }

  /**
   * dbDelete: removes whatever the table holds under the key, logically expired or not,
   * without expiring it first (so no "expired" event and no DEL of its own in the effect
   * stream). For a command that deletes a key it did not look up (the destination of an
   * empty *STORE result, RESTORE ... REPLACE): the deletion is the command's.
   */
  dbDelete(key: string): boolean {
    const slot = this.table.find(key);
    if (slot < 0) return false;
    this.deleteSlot(slot, key);
    return true;
  }

  /**
   * dbDelete of a live slot the caller holds (eviction). `key` may be null when the
   * caller has no use for it: it is made only if an observer or a blocked reader needs it.
   */
  deleteSlot(slot: number, key: string | null): void {
    if (!this.observersIdle() || this.events?.keyWaiters() === true) {
      key ??= this.table.keyAt(slot);
      this.notifyChange(key, slot);
      this.valueLeaving(key, slot);
    }
    this.table.remove(slot);
  }

  /** Sets (or with -1 removes) the expiry of an existing live key. */
  setExpire(key: string, expireAt: number): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.notifyChange(key, slot);
    this.table.setExpire(slot, expireAt);
    return true;
  }

  getExpire(key: string): number {
    const slot = this.find(key);
    return slot < 0 ? -1 : this.table.expireAtOf(slot);
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    for (const observer of this.observers) observer.beforeClear(this);
    const removed = this.table.size;
    // A new table: a background save may still be streaming from the old one.
    this.table = new KeyTable(this.epoch);
    return removed;
  }

  /** Exchanges the contents of two databases (SWAPDB). Observers are told first. */
  swapWith(other: Database): void {
    for (const observer of this.observers) observer.beforeClear(this);
    for (const observer of other.observers) observer.beforeClear(other);
    const mine = this.table;
    this.table = other.table;
    other.table = mine;
  }

  /** deleteExpiredKeyAndPropagate: the events report it (notification, WATCH, DEL in the effect stream). */
  private expireSlot(key: string, slot: number): void {
    this.notifyChange(key, slot);
    this.valueLeaving(key, slot);
    this.table.remove(slot);
    this.stats.expiredKeys++;
    this.events?.onExpired(this, key);
  }

  // ---- iteration -------------------------------------------------------------

  /** Calls `visit` for every live (unexpired) key, without expiring anything. */
  forEach(visit: (key: string, slot: number) => void): void {
    const table = this.table;
    const now = this.now();
    for (let slot = 0; slot < table.slotCount; slot++) {
      if (!table.isLive(slot)) continue;
      const expireAt = table.expireAtOf(slot);
      if (expireAt !== -1 && expireAt <= now) continue;
      visit(table.keyAt(slot), slot);
    }
  }

  /**
   * One SCAN step: visits slots from `cursor` until `count` slots with keys were seen
   * (Redis also counts work, not results). Returns the next cursor, 0 when done.
   */
  scan(cursor: number, count: number, visit: (key: string, value: RedisValue) => void): number {
    const table = this.table;
    let seen = 0;
    let slot = cursor;
    const now = this.now();
    while (slot < table.slotCount && seen < count) {
      const current = slot++;
      if (!table.isLive(current)) continue;
      seen++;
      const key = table.keyAt(current);
      const expireAt = table.expireAtOf(current);
      if (expireAt !== -1 && expireAt <= now) {
        if (!this.expiryPaused()) this.expireSlot(key, current);
        continue;
      }
      visit(key, table.valueAt(current));
    }
    return slot >= table.slotCount ? 0 : slot;
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(): string | undefined {
    const table = this.table;
    for (let attempts = 0; table.size > 0; attempts++) {
      let slot = -1;
      const start = Math.floor(Math.random() * table.slotCount);
      if (table.slotCount <= table.size * 4 || attempts > 100) {
        if (table.isLive(start)) slot = start;
      } else {
        // Sparse slot table: fall back to a walk from a random start.
        for (let i = 0; i < table.slotCount && slot < 0; i++) {
          const candidate = (start + i) % table.slotCount;
          if (table.isLive(candidate)) slot = candidate;
        }
      }
      if (slot < 0) continue;
      const key = table.keyAt(slot);
      const expireAt = table.expireAtOf(slot);
      if (expireAt !== -1 && expireAt <= this.now()) {
        // Paused, an expired key stays: Redis would draw forever from a database of
        // expired keys only; after 100 draws this returns one, as Redis does on a replica.
        if (!this.expiryPaused()) this.expireSlot(key, slot);
        else if (attempts < 100) continue;
        else return key;
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
    const table = this.table;
    if (table.volatileCount === 0) return [0, 0];
    let checked = 0;
    let expired = 0;
    const now = this.now();
    let ttlSum = 0;
    let ttlSamples = 0;
    const limit = Math.min(budget, table.volatileCount);
    while (checked < limit && table.volatileCount > 0) {
      if (table.expireCursor >= table.volatileCount) table.expireCursor = 0;
      const slot = table.volatileSlots[table.expireCursor]!;
      checked++;
      const expireAt = table.expireAtOf(slot);
      if (expireAt <= now) {
        // Removal moves the last volatile slot into this position: the cursor stays.
        this.expireSlot(table.keyAt(slot), slot);
        expired++;
      } else {
        table.expireCursor++;
        ttlSum += expireAt - now;
        ttlSamples++;
      }
    }
    if (ttlSamples > 0) {
      const sampleAvg = ttlSum / ttlSamples;
      table.avgTtl = table.avgTtl === 0 ? sampleAvg : (table.avgTtl / 50) * 49 + sampleAvg / 50;
    }
    return [checked, expired];
  }

  typeOfKey(key: string): string {
    const value = this.peek(key);
    return value === undefined ? "none" : typeOf(value);
  }

  /** TYPE's answer for a live slot. */
  typeAt(slot: number): string {
    return typeOf(this.table.valueAt(slot));
  }
}
