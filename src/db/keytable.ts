// The storage of one database's keys: a compact hash table with no JS object per key.
//
// A `Map<string, Entry>` costs about 250 bytes per key in JSC before any value: the
// key string, the map's bucket and the entry object are each a heap cell. Here every
// key is a *slot* number, and what a key has lives in typed arrays indexed by slot:
//
//   keyBytes   one append-only byte arena holding every key (keyOffset/keyLength)
//   hashes     the key's hash, so probing and rehashing never re-read key bytes
//   expireAt   absolute unix ms, or -1
//   lru        last access, unix seconds (Redis's LRU clock has 1 s resolution too)
//   freq       the LFU counter
//   stored     the one JS array: the value object of each slot, or INLINE_STRING
//   values     the value arena (value-arena.ts): plain strings up to INLINE_MAX bytes
//
// A Uint8Array costs about 60 bytes of object before its first byte, so the strings
// whose encoding follows from their bytes (string-encoding.ts) are kept in the value
// arena and handed out as views (valueAt). Other strings and collections are objects.
//
// The index is open addressing with linear probing over an Int32Array of slot+1 (0 is
// empty), at most half full, with backward-shift deletion (no tombstones).
//
// Slots are stable: a key keeps its slot until it is deleted, and freed slots are
// reused. SCAN walks slots, which is how a key present for a whole scan is returned;
// the background save streams slots in order and keeps its own cursor over them.
//
// Neither arena is ever overwritten in place, so a view from keyBytesAt() or valueAt()
// keeps its bytes after any later change (GETSET replies the old value from such a
// view). The value arena reclaims garbage a few slots per write (see value-arena.ts).
// The key arena, which only turns to garbage when keys are deleted, is compacted into
// a new buffer once garbage outweighs live keys: a pause proportional to the live key
// bytes, after at least as many bytes of keys were deleted.

import type { RedisValue } from "./types.ts";
import { isPlainString } from "./string-encoding.ts";
import { ValueArena } from "./value-arena.ts";

const EMPTY_CAPACITY = 16;
const MIN_INDEX = 32;
/** Compaction only pays off above this much garbage. */
const MIN_COMPACT_GARBAGE = 64 * 1024;
/** Longer strings stay objects: their header no longer matters, and reclaiming would copy them. */
export const INLINE_MAX = 512;

/** Slots a write walks to move values out of condemned arena segments. */
const RECLAIM_SLOTS_PER_WRITE = 64;

/** The `stored` marker of a slot whose value is in the value arena. */
export const INLINE_STRING = Object.freeze({ inline: true as const });
type Stored = RedisValue | typeof INLINE_STRING;

/** Per-process hash seed, so clients cannot choose keys that collide (as Redis's siphash seed). */
const HASH_SEED = (Math.random() * 0x100000000) >>> 0;

/** Hash of a binary-string key; equal to hashBytes of the same bytes. */
export function hashKey(key: string): number {
  let h = HASH_SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return finalizeHash(h);
}

export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = HASH_SEED ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return finalizeHash(h);
}

/** murmur3's fmix32: FNV alone leaves the low bits (the index position) poorly mixed. */
function finalizeHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class KeyTable {
  /** Live keys. */
  size = 0;
  /** Slots handed out so far: every live slot is below this. */
  slotCount = 0;
  /** Average TTL sample of the active expire cycle, for INFO keyspace avg_ttl. */
  avgTtl = 0;
  /** Where the active expire cycle continues in `volatileSlots`. */
  expireCursor = 0;

  /** Per slot: the value object, INLINE_STRING, or undefined for a free slot. */
  stored: (Stored | undefined)[] = [];
  hashes = new Int32Array(EMPTY_CAPACITY);
  keyOffset = new Uint32Array(EMPTY_CAPACITY);
  keyLength = new Uint32Array(EMPTY_CAPACITY);
  expireAt = new Float64Array(EMPTY_CAPACITY);
  lru = new Uint32Array(EMPTY_CAPACITY);
  freq = new Uint8Array(EMPTY_CAPACITY);
  private valueLocation = new Uint32Array(EMPTY_CAPACITY);
  private valueLength = new Uint16Array(EMPTY_CAPACITY);
  /** Position of each slot in volatileSlots, -1 when the key has no TTL. */
  private volatilePosition = new Int32Array(EMPTY_CAPACITY);
  /** Slots of the keys with a TTL, densely packed: the active expire cycle walks them. */
  volatileSlots = new Int32Array(EMPTY_CAPACITY);
  volatileCount = 0;

  private freeSlots: number[] = [];
  private index = new Int32Array(MIN_INDEX);
  private indexMask = MIN_INDEX - 1;

  private keyBytes = new Uint8Array(256);
  private keyEnd = 0;
  private keyGarbage = 0;

  private values = new ValueArena();
  /** Next slot the value arena's reclaiming walk looks at. */
  private reclaimCursor = -1;

  // ---- lookups ---------------------------------------------------------------------

  /** The slot holding `key` (expired or not), or -1. */
  find(key: string): number {
    const hash = hashKey(key);
    const index = this.index;
    const mask = this.indexMask;
    const length = key.length;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const stored = index[position]!;
      if (stored === 0) return -1;
      const slot = stored - 1;
      if (this.hashes[slot] !== hash || this.keyLength[slot] !== length) continue;
      const bytes = this.keyBytes;
      let at = this.keyOffset[slot]!;
      let i = 0;
      while (i < length && bytes[at] === key.charCodeAt(i)) {
        at++;
        i++;
      }
      if (i === length) return slot;
    }
  }

  /** find() for a key given as bytes (no string is made). */
  findBytes(key: Uint8Array): number {
    const length = key.length;
    const hash = hashBytes(key, 0, length);
    const index = this.index;
    const mask = this.indexMask;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const stored = index[position]!;
      if (stored === 0) return -1;
      const slot = stored - 1;
      if (this.hashes[slot] !== hash || this.keyLength[slot] !== length) continue;
      const bytes = this.keyBytes;
      const at = this.keyOffset[slot]!;
      let i = 0;
      while (i < length && bytes[at + i] === key[i]) i++;
      if (i === length) return slot;
    }
  }

  /** The key of a live slot, as a binary string. */
  keyAt(slot: number): string {
    const at = this.keyOffset[slot]!;
    return Buffer.prototype.latin1Slice.call(this.keyBytes, at, at + this.keyLength[slot]!) as string;
  }

  /** The key of a live slot as bytes: a view that stays valid (key bytes are never overwritten). */
  keyBytesAt(slot: number): Uint8Array {
    const at = this.keyOffset[slot]!;
    return this.keyBytes.subarray(at, at + this.keyLength[slot]!);
  }

  isLive(slot: number): boolean {
    return slot < this.slotCount && this.stored[slot] !== undefined;
  }

  /** The value of a live slot. An arena string comes as a view: read it, never write it. */
  valueAt(slot: number): RedisValue {
    const stored = this.stored[slot]!;
    if (stored !== INLINE_STRING) return stored as RedisValue;
    return this.values.view(this.valueLocation[slot]!, this.valueLength[slot]!);
  }

  /** Whether a live slot's value is a string kept in the value arena. */
  isInline(slot: number): boolean {
    return this.stored[slot] === INLINE_STRING;
  }

  /** Replaces the value of a live slot. */
  setValue(slot: number, value: RedisValue): void {
    if (this.stored[slot] === INLINE_STRING) this.values.release(this.valueLocation[slot]!, this.valueLength[slot]!);
    this.stored[slot] = value;
    if (value instanceof Uint8Array && value.length <= INLINE_MAX && isPlainString(value)) {
      const location = this.values.store(value);
      if (location >= 0) {
        this.valueLocation[slot] = location;
        this.valueLength[slot] = value.length;
        this.stored[slot] = INLINE_STRING;
      } else {
        // The arena is at its size limit. The value may be a view of another key's old
        // bytes (RENAME): an object of its own keeps in-place changes from reaching them.
        this.stored[slot] = new Uint8Array(value);
      }
    }
    if (this.values.reclaiming || this.values.shouldStartReclaiming()) this.reclaimStep();
  }

  // ---- changes ---------------------------------------------------------------------

  /** Adds a key the caller knows is absent; returns its slot. */
  insert(key: string, value: RedisValue, expireAt: number, lruSeconds: number): number {
    const hash = hashKey(key);
    const slot = this.newSlot(hash, key.length);
    const bytes = this.keyBytes;
    const at = this.keyOffset[slot]!;
    for (let i = 0; i < key.length; i++) bytes[at + i] = key.charCodeAt(i);
    return this.fillSlot(slot, hash, value, expireAt, lruSeconds);
  }

  /** insert() for a key given as bytes (the RDB loader: no string is made). */
  insertBytes(key: Uint8Array, value: RedisValue, expireAt: number, lruSeconds: number): number {
    const hash = hashBytes(key, 0, key.length);
    const slot = this.newSlot(hash, key.length);
    copyRange(key, 0, this.keyBytes, this.keyOffset[slot]!, key.length);
    return this.fillSlot(slot, hash, value, expireAt, lruSeconds);
  }

  /** A slot with room for its key's bytes reserved in the arena (the caller copies them in). */
  private newSlot(hash: number, keyLength: number): number {
    if ((this.size + 1) * 2 > this.index.length) this.resizeIndex(this.index.length * 2);
    const slot = this.allocateSlot();
    this.hashes[slot] = hash;
    if (this.keyEnd + keyLength > this.keyBytes.length) {
      this.keyBytes = grow(this.keyBytes, Math.max(this.keyEnd + keyLength, this.keyBytes.length * 2));
    }
    this.keyOffset[slot] = this.keyEnd;
    this.keyLength[slot] = keyLength;
    this.keyEnd += keyLength;
    return slot;
  }

  private fillSlot(slot: number, hash: number, value: RedisValue, expireAt: number, lruSeconds: number): number {
    this.stored[slot] = undefined;
    this.setValue(slot, value);
    this.expireAt[slot] = -1;
    this.lru[slot] = lruSeconds;
    this.freq[slot] = LFU_INIT_VAL;
    if (expireAt !== -1) this.setExpire(slot, expireAt);
    this.size++;
    this.indexInsert(slot, hash);
    return slot;
  }

  /** Deletes the key of a live slot. */
  remove(slot: number): void {
    this.indexRemove(slot);
    if (this.expireAt[slot] !== -1) this.setExpire(slot, -1);
    if (this.stored[slot] === INLINE_STRING) this.values.release(this.valueLocation[slot]!, this.valueLength[slot]!);
    this.stored[slot] = undefined;
    this.keyGarbage += this.keyLength[slot]!;
    this.keyLength[slot] = 0;
    this.size--;
    if (this.size === 0) {
      this.reset();
      return;
    }
    this.freeSlots.push(slot);
    if (this.keyGarbage > MIN_COMPACT_GARBAGE && this.keyGarbage > this.keyEnd - this.keyGarbage) this.compactKeys();
  }

  /** Sets or (with -1) clears the expiry of a live slot, keeping the volatile list in step. */
  setExpire(slot: number, expireAt: number): void {
    const had = this.expireAt[slot] !== -1;
    this.expireAt[slot] = expireAt;
    if (expireAt !== -1 && !had) {
      if (this.volatileCount === this.volatileSlots.length) this.volatileSlots = grow(this.volatileSlots, this.volatileCount * 2);
      this.volatilePosition[slot] = this.volatileCount;
      this.volatileSlots[this.volatileCount++] = slot;
    } else if (expireAt === -1 && had) {
      const position = this.volatilePosition[slot]!;
      const last = this.volatileSlots[--this.volatileCount]!;
      this.volatileSlots[position] = last;
      this.volatilePosition[last] = position;
      this.volatilePosition[slot] = -1;
    }
  }

  /** Back to an empty table, letting the big arrays go. */
  private reset(): void {
    if (this.slotCount <= EMPTY_CAPACITY * 64) {
      // Small: keep the arrays, just forget the slots.
      this.slotCount = 0;
      this.freeSlots = [];
      this.stored = [];
      this.keyEnd = 0;
      this.keyGarbage = 0;
      this.values = new ValueArena();
      this.reclaimCursor = -1;
      this.volatileCount = 0;
      this.expireCursor = 0;
      this.index.fill(0);
      return;
    }
    const fresh = new KeyTable();
    fresh.avgTtl = this.avgTtl;
    Object.assign(this, fresh);
  }

  // ---- slots and key bytes ---------------------------------------------------------

  private allocateSlot(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    const slot = this.slotCount++;
    if (slot === this.hashes.length) this.growSlots(slot * 2);
    this.stored.push(undefined);
    return slot;
  }

  private growSlots(capacity: number): void {
    this.hashes = grow(this.hashes, capacity);
    this.keyOffset = grow(this.keyOffset, capacity);
    this.keyLength = grow(this.keyLength, capacity);
    this.expireAt = grow(this.expireAt, capacity);
    this.lru = grow(this.lru, capacity);
    this.freq = grow(this.freq, capacity);
    this.volatilePosition = grow(this.volatilePosition, capacity);
    this.valueLocation = grow(this.valueLocation, capacity);
    this.valueLength = grow(this.valueLength, capacity);
  }

  /**
   * One step of the value arena's reclaiming walk: moves the values of the next few
   * slots out of condemned segments. Runs on writes, so reclaiming keeps pace with
   * the garbage writes make, and no write pays for more than a few slots.
   */
  private reclaimStep(): void {
    const values = this.values;
    if (this.reclaimCursor === -1 || !values.reclaiming) this.reclaimCursor = 0;
    const end = Math.min(this.slotCount, this.reclaimCursor + RECLAIM_SLOTS_PER_WRITE);
    for (let slot = this.reclaimCursor; slot < end; slot++) {
      if (this.stored[slot] !== INLINE_STRING) continue;
      const location = this.valueLocation[slot]!;
      if (!values.isCondemned(location)) continue;
      const moved = values.relocate(location, this.valueLength[slot]!);
      if (moved >= 0) this.valueLocation[slot] = moved;
    }
    this.reclaimCursor = end;
    if (end >= this.slotCount) {
      values.finishReclaiming();
      this.reclaimCursor = -1;
    }
  }

  /** Copies the live keys into a new arena (views of the old one stay valid). */
  private compactKeys(): void {
    const live = this.keyEnd - this.keyGarbage;
    const target = new Uint8Array(Math.max(256, live * 2));
    const source = this.keyBytes;
    let end = 0;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.stored[slot] === undefined) continue;
      const at = this.keyOffset[slot]!;
      const length = this.keyLength[slot]!;
      copyRange(source, at, target, end, length);
      this.keyOffset[slot] = end;
      end += length;
    }
    this.keyBytes = target;
    this.keyEnd = end;
    this.keyGarbage = 0;
  }

  // ---- the index ---------------------------------------------------------------------

  private indexInsert(slot: number, hash: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let position = hash & mask;
    while (index[position] !== 0) position = (position + 1) & mask;
    index[position] = slot + 1;
  }

  private indexRemove(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let hole = this.hashes[slot]! & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward shift: move later entries of the probe run into the hole when their
    // home position does not lie between the hole and where they sit.
    let next = hole;
    for (;;) {
      next = (next + 1) & mask;
      const stored = index[next]!;
      if (stored === 0) break;
      const home = this.hashes[stored - 1]! & mask;
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      index[hole] = stored;
      hole = next;
    }
    index[hole] = 0;
  }

  private resizeIndex(capacity: number): void {
    this.index = new Int32Array(capacity);
    this.indexMask = capacity - 1;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.stored[slot] !== undefined) this.indexInsert(slot, this.hashes[slot]!);
    }
  }
}

export const LFU_INIT_VAL = 5;

type GrowableArray = Int32Array | Uint32Array | Uint16Array | Float64Array | Uint8Array;

function grow<T extends GrowableArray>(array: T, capacity: number): T {
  const grown = new (array.constructor as new (length: number) => T)(capacity);
  grown.set(array);
  return grown;
}

/** Copies bytes; short runs by hand, since TypedArray#set (and a subarray for it) cost more below ~64 bytes. */
function copyRange(source: Uint8Array, from: number, target: Uint8Array, to: number, length: number): void {
  if (length < 64) {
    for (let i = 0; i < length; i++) target[to + i] = source[from + i]!;
  } else {
    target.set(source.subarray(from, from + length), to);
  }
}
