// The storage of one database's keys: a compact hash table with no JS object per key
// and no stop-the-world step.
//
// A `Map<string, Entry>` costs about 250 bytes per key in JSC before any value: the
// key string, the map's bucket and the entry object are each a heap cell. Here every
// key is a *slot* number, and what a key has lives in typed arrays indexed by slot,
// in pages of 65536 slots (SlotPage):
//
//   hashes        the key's hash, so probing and rehashing never re-read key bytes
//   keyLocation   where the key's bytes are in the key arena (keyLength of them)
//   expireAt      absolute unix ms, or -1
//   lru           last access, unix seconds (Redis's LRU clock has 1 s resolution too)
//   freq          the LFU counter
//   stored        the value object of each slot, or INLINE_STRING
//   valueLocation where an INLINE_STRING's bytes are in the value arena (valueLength)
//
// A Uint8Array costs about 60 bytes of object before its first byte, so the strings
// whose encoding follows from their bytes (string-encoding.ts) are kept in the value
// arena and handed out as views (valueAt). Other strings and collections are objects.
//
// The index is open addressing with linear probing over an Int32Array of slot+1 (0 is
// empty), at most half full, with backward-shift deletion.
//
// Slots are stable: a key keeps its slot until it is deleted, and freed slots are
// reused. SCAN walks slots, which is how a key present for a whole scan is returned;
// the background save streams slots in order and keeps its own cursor over them.
//
// The fields a background save needs (kind, key and value locations and lengths,
// expiry) and both arenas' segments are SharedArrayBuffers: the snapshot worker thread
// reads keys and values where they lie while this thread goes on (holdForSnapshot says
// what the table promises meanwhile). Access costs the same as on plain buffers.
//
// Nothing here pauses in proportion to the dataset, as Redis's incremental rehashing
// does not: the slot arrays grow a page at a time (never copied, but for the first
// page while it is small); the index grows by an incremental rehash, a few positions
// per write and per cron tick, while lookups consult both indexes; the arenas
// (value-arena.ts) grow a segment at a time and reclaim garbage a few slots per write.
// Freed arena bytes are reused only from the next command on, so within a command a
// view from keyBytesAt() or valueAt() keeps its bytes after any change (GETSET replies
// the old value from one); a view must not be kept past the command.

import type { RedisValue } from "./types.ts";
import { isPlainString } from "./string-encoding.ts";
import { integerBytes, integerDigitCount, parseIntegerIn } from "./bytes.ts";
import { CommandEpoch, NO_LOCATION, ValueArena } from "./value-arena.ts";
import { EXPIRE_ENTRY_BYTES, KEY_SLOT_BYTES, valueMemoryUsage } from "./object-size.ts";
import { indexShape, type IndexShape } from "./htstats.ts";

export const PAGE_BITS = 16;
const PAGE_SLOTS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SLOTS - 1;
/** The first page starts this small and doubles: a database with a few keys stays small. */
const FIRST_PAGE_SLOTS = 16;
const MIN_INDEX = 32;
/** Old-index positions a write moves during a rehash (a step of Redis's dictRehash). */
const REHASH_POSITIONS_PER_WRITE = 16;
/** Slots a write walks to move bytes out of condemned arena segments. */
const RECLAIM_SLOTS_PER_WRITE = 64;
/** An old-index position whose entry moved or was deleted during a rehash; probing goes past it. */
const MOVED = -1;

/**
 * Longer strings stay objects (reclaiming would copy them). Up to a page, the arena
 * wins: a 1 KiB value as an object of its own costs an allocation and a copy on each
 * SET and leaves the collector garbage to find, which under eviction (a cache of such
 * values) kept RSS near 3x maxmemory; in the arena it is one copy into a freed run.
 */
export const INLINE_MAX = 4096;
/** Longer keys get a buffer of their own (Redis allows keys up to 512 MB). */
const INLINE_KEY_MAX = 64 * 1024;

/** The `stored` marker of a slot whose value is in the value arena. */
export const INLINE_STRING = Object.freeze({ inline: true as const });
type Stored = RedisValue | typeof INLINE_STRING;

export const LFU_INIT_VAL = 5;

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

/** SlotPage.kind: what a slot holds, for a reader that cannot see `stored` (the snapshot worker). */
export const SLOT_FREE = 0;
/** A key in the key arena with its string value in the value arena: readable from the shared arrays alone. */
export const SLOT_ARENA_RECORD = 1;
/** Any other live key: its value (or its key) is a JS object only this thread can read. */
export const SLOT_OBJECT = 2;

/**
 * The fields of a page that a snapshot worker reads (snapshot-worker.ts), each over a
 * SharedArrayBuffer so that the worker thread sees them without a copy.
 */
export interface SharedSlotFields {
  kind: Uint8Array;
  keyLocation: Uint32Array;
  keyLength: Uint32Array;
  expireAt: Float64Array;
  valueLocation: Uint32Array;
  valueLength: Uint16Array;
}

/** The key table's memory as a snapshot worker reads it: pages and both arenas' segments. */
export interface SharedTableView {
  pages: SharedSlotFields[];
  keySegments: (Uint8Array | null)[];
  valueSegments: (Uint8Array | null)[];
  slotCount: number;
}

function sharedArray<T>(make: new (buffer: SharedArrayBuffer) => T, bytesPerElement: number, length: number): T {
  return new make(new SharedArrayBuffer(bytesPerElement * length));
}

/** The fields of PAGE_SLOTS slots (fewer for a small first page). */
class SlotPage implements SharedSlotFields {
  stored: (Stored | undefined)[];
  hashes: Int32Array;
  kind: Uint8Array;
  keyLocation: Uint32Array;
  keyLength: Uint32Array;
  expireAt: Float64Array;
  lru: Uint32Array;
  freq: Uint8Array;
  valueLocation: Uint32Array;
  valueLength: Uint16Array;
  /** Position of each slot in KeyTable.volatileSlots, -1 when the key has no TTL. */
  volatilePosition: Int32Array;
  /** What the value of a slot holding an object last measured (valueMemoryUsage). */
  valueBytes: Float64Array;

  constructor(readonly capacity: number) {
    this.stored = new Array<Stored | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.kind = sharedArray(Uint8Array, 1, capacity);
    this.keyLocation = sharedArray(Uint32Array, 4, capacity);
    this.keyLength = sharedArray(Uint32Array, 4, capacity);
    this.expireAt = sharedArray(Float64Array, 8, capacity);
    this.lru = new Uint32Array(capacity);
    this.freq = new Uint8Array(capacity);
    this.valueLocation = sharedArray(Uint32Array, 4, capacity);
    this.valueLength = sharedArray(Uint16Array, 2, capacity);
    this.volatilePosition = new Int32Array(capacity);
    this.valueBytes = new Float64Array(capacity);
  }

  /** The shared fields alone (what is posted to a worker). */
  sharedFields(): SharedSlotFields {
    const { kind, keyLocation, keyLength, expireAt, valueLocation, valueLength } = this;
    return { kind, keyLocation, keyLength, expireAt, valueLocation, valueLength };
  }

  /** A copy with more room (the first page only, so at most one page is ever copied). */
  grown(capacity: number): SlotPage {
    const page = new SlotPage(capacity);
    for (let i = 0; i < this.capacity; i++) page.stored[i] = this.stored[i];
    page.hashes.set(this.hashes);
    page.kind.set(this.kind);
    page.keyLocation.set(this.keyLocation);
    page.keyLength.set(this.keyLength);
    page.expireAt.set(this.expireAt);
    page.lru.set(this.lru);
    page.freq.set(this.freq);
    page.valueLocation.set(this.valueLocation);
    page.valueLength.set(this.valueLength);
    page.volatilePosition.set(this.volatilePosition);
    page.valueBytes.set(this.valueBytes);
    return page;
  }
}

export class KeyTable {
  /** Live keys. */
  size = 0;
  /**
   * What the keys and values cost (object-size.ts): per key its slot, its bytes and its
   * value. A value changed in place is measured again once its command is done (noteWrite).
   */
  usedBytes = 0;
  /** Slots handed out so far: every live slot is below this. */
  slotCount = 0;
  /** Average TTL sample of the active expire cycle, for INFO keyspace avg_ttl. */
  avgTtl = 0;
  /** Where the active expire cycle continues in `volatileSlots`. */
  expireCursor = 0;
  /** Slots of the keys with a TTL, densely packed: the active expire cycle walks them. */
  volatileSlots = new Int32Array(16);
  volatileCount = 0;

  private pages: SlotPage[] = [new SlotPage(FIRST_PAGE_SLOTS)];
  private freeSlots: number[] = [];

  private index = new Int32Array(MIN_INDEX);
  private indexMask = MIN_INDEX - 1;
  /** The index being rehashed into `index`, or null; positions below rehashPosition have moved. */
  private oldIndex: Int32Array | null = null;
  private oldIndexMask = 0;
  private rehashPosition = 0;

  private keys: ValueArena;
  /** Keys too long for an arena segment (keyLocation NO_LOCATION). */
  private hugeKeys = new Map<number, Uint8Array>();
  private values: ValueArena;
  /** Next slot each arena's reclaiming walk looks at, -1 when it is not walking. */
  private keyReclaimCursor = -1;
  private valueReclaimCursor = -1;
  /** The last command during which valueAt handed out a view of an arena string. */
  private viewedInCommand = -1;

  /** `epoch`: the owner's command counter (value-arena.ts), shared with both arenas. */
  constructor(readonly epoch: CommandEpoch = new CommandEpoch()) {
    this.keys = new ValueArena(epoch);
    this.values = new ValueArena(epoch);
  }

  /** Positions in the index, both indexes during a rehash (what Redis's dictSlots counts). */
  get indexSlots(): number {
    return this.index.length + (this.oldIndex === null ? 0 : this.oldIndex.length);
  }

  // ---- lookups ---------------------------------------------------------------------

  /** The slot holding `key` (expired or not), or -1. */
  find(key: string): number {
    const hash = hashKey(key);
    const slot = this.probeString(this.index, this.indexMask, hash, key);
    if (slot >= 0 || this.oldIndex === null) return slot;
    return this.probeString(this.oldIndex, this.oldIndexMask, hash, key);
  }

  /** find() for a key given as bytes (no string is made). */
  findBytes(key: Uint8Array): number {
    const hash = hashBytes(key, 0, key.length);
    const slot = this.probeBytes(this.index, this.indexMask, hash, key);
    if (slot >= 0 || this.oldIndex === null) return slot;
    return this.probeBytes(this.oldIndex, this.oldIndexMask, hash, key);
  }

  private probeString(index: Int32Array, mask: number, hash: number, key: string): number {
    const length = key.length;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      if (entry === MOVED) continue;
      const slot = entry - 1;
      const page = this.pages[slot >>> PAGE_BITS]!;
      const i = slot & PAGE_MASK;
      if (page.hashes[i] !== hash || page.keyLength[i] !== length) continue;
      const location = page.keyLocation[i]!;
      const bytes = this.keySource(slot, location);
      const at = location === NO_LOCATION ? 0 : this.keys.offsetOf(location);
      let c = 0;
      while (c < length && bytes[at + c] === key.charCodeAt(c)) c++;
      if (c === length) return slot;
    }
  }

  /** probeString for a key given as bytes: a twin, not a shared loop, so each compare stays monomorphic. */
  private probeBytes(index: Int32Array, mask: number, hash: number, key: Uint8Array): number {
    const length = key.length;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      if (entry === MOVED) continue;
      const slot = entry - 1;
      const page = this.pages[slot >>> PAGE_BITS]!;
      const i = slot & PAGE_MASK;
      if (page.hashes[i] !== hash || page.keyLength[i] !== length) continue;
      const location = page.keyLocation[i]!;
      const bytes = this.keySource(slot, location);
      const at = location === NO_LOCATION ? 0 : this.keys.offsetOf(location);
      let c = 0;
      while (c < length && bytes[at + c] === key[c]) c++;
      if (c === length) return slot;
    }
  }

  /** The bytes holding a key: its arena segment (at offsetOf(location)), or its own buffer. */
  private keySource(slot: number, location: number): Uint8Array {
    return location === NO_LOCATION ? this.hugeKeys.get(slot)! : this.keys.segmentOf(location);
  }

  /** The key of a live slot, as a binary string. */
  keyAt(slot: number): string {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const location = page.keyLocation[i]!;
    const length = page.keyLength[i]!;
    if (location === NO_LOCATION) return Buffer.prototype.latin1Slice.call(this.hugeKeys.get(slot)!, 0, length) as string;
    const at = this.keys.offsetOf(location);
    return Buffer.prototype.latin1Slice.call(this.keys.segmentOf(location), at, at + length) as string;
  }

  /** The key of a live slot as bytes: a view, valid until the command ends (see the header). */
  keyBytesAt(slot: number): Uint8Array {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const location = page.keyLocation[i]!;
    if (location === NO_LOCATION) return this.hugeKeys.get(slot)!;
    return this.keys.view(location, page.keyLength[i]!);
  }

  keyLengthOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.keyLength[slot & PAGE_MASK]!;
  }

  /** Copies the key of a live slot into `target` at `at` (keyLengthOf bytes; no view is made). */
  copyKey(slot: number, target: Uint8Array, at: number): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const location = page.keyLocation[i]!;
    if (location === NO_LOCATION) target.set(this.hugeKeys.get(slot)!, at);
    else this.keys.copyOut(location, page.keyLength[i]!, target, at);
  }

  /** Byte length of an arena string (isInline). */
  inlineLengthOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.valueLength[slot & PAGE_MASK]!;
  }

  /** Copies an arena string into `target` at `at` (no view is made). */
  copyInlineValue(slot: number, target: Uint8Array, at: number): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    this.values.copyOut(page.valueLocation[i]!, page.valueLength[i]!, target, at);
  }

  isLive(slot: number): boolean {
    return slot < this.slotCount && this.pages[slot >>> PAGE_BITS]!.stored[slot & PAGE_MASK] !== undefined;
  }

  /** The value of a live slot. An arena string comes as a view: read it, never write it. */
  valueAt(slot: number): RedisValue {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const stored = page.stored[i]!;
    if (stored !== INLINE_STRING) return stored as RedisValue;
    this.viewedInCommand = this.epoch.value;
    return this.values.view(page.valueLocation[i]!, page.valueLength[i]!);
  }

  /**
   * An arena string's value read as parseInteger does, where its bytes lie (no view is
   * made); null when it is not an integer or not an arena string.
   */
  inlineIntegerAt(slot: number): number | bigint | null {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    if (page.stored[i] !== INLINE_STRING) return null;
    const location = page.valueLocation[i]!;
    const at = this.values.offsetOf(location);
    return parseIntegerIn(this.values.segmentOf(location), at, at + page.valueLength[i]!);
  }

  /** SLOT_FREE, SLOT_ARENA_RECORD or SLOT_OBJECT (below slotCount). */
  kindOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.kind[slot & PAGE_MASK]!;
  }

  /** Whether a live slot's value is a string kept in the value arena. */
  isInline(slot: number): boolean {
    return this.pages[slot >>> PAGE_BITS]!.stored[slot & PAGE_MASK] === INLINE_STRING;
  }

  /** Absolute unix ms, or -1 for no expiry. */
  expireAtOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.expireAt[slot & PAGE_MASK]!;
  }

  /** The key's hash: with the slot, what tells a key from a later one in the same slot (the eviction pool). */
  hashAt(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.hashes[slot & PAGE_MASK]!;
  }

  /** Last access, unix seconds. */
  lruOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.lru[slot & PAGE_MASK]!;
  }

  setLru(slot: number, seconds: number): void {
    this.pages[slot >>> PAGE_BITS]!.lru[slot & PAGE_MASK] = seconds;
  }

  freqOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.freq[slot & PAGE_MASK]!;
  }

  setFreq(slot: number, freq: number): void {
    this.pages[slot >>> PAGE_BITS]!.freq[slot & PAGE_MASK] = freq;
  }

  // ---- changes ---------------------------------------------------------------------

  /** Adds a key the caller knows is absent; returns its slot. */
  insert(key: string, value: RedisValue, expireAt: number, lruSeconds: number): number {
    const hash = hashKey(key);
    const slot = this.newSlot(hash, key.length);
    let location = key.length <= INLINE_KEY_MAX ? this.keys.storeString(key) : -1;
    if (location < 0) {
      location = NO_LOCATION;
      const bytes = new Uint8Array(key.length);
      for (let c = 0; c < key.length; c++) bytes[c] = key.charCodeAt(c);
      this.hugeKeys.set(slot, bytes);
    }
    return this.fillSlot(slot, hash, location, value, expireAt, lruSeconds);
  }

  /** insert() for a key given as bytes (the RDB loader, SET, a new collection): no string is made. */
  insertBytes(key: Uint8Array, value: RedisValue, expireAt: number, lruSeconds: number): number {
    const hash = hashBytes(key, 0, key.length);
    const slot = this.newSlot(hash, key.length);
    let location = key.length <= INLINE_KEY_MAX ? this.keys.store(key) : -1;
    if (location < 0) {
      location = NO_LOCATION;
      this.hugeKeys.set(slot, new Uint8Array(key));
    }
    return this.fillSlot(slot, hash, location, value, expireAt, lruSeconds);
  }

  private newSlot(hash: number, keyLength: number): number {
    this.rehashStep(REHASH_POSITIONS_PER_WRITE);
    if ((this.size + 1) * 2 > this.index.length) this.startRehash();
    const slot = this.allocateSlot();
    const page = this.pages[slot >>> PAGE_BITS]!;
    page.hashes[slot & PAGE_MASK] = hash;
    page.keyLength[slot & PAGE_MASK] = keyLength;
    return slot;
  }

  private fillSlot(slot: number, hash: number, keyLocation: number, value: RedisValue, expireAt: number, lruSeconds: number): number {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    page.keyLocation[i] = keyLocation;
    page.stored[i] = undefined;
    page.expireAt[i] = -1;
    page.lru[i] = lruSeconds;
    page.freq[i] = LFU_INIT_VAL;
    this.usedBytes += KEY_SLOT_BYTES + page.keyLength[i]!;
    this.setValue(slot, value);
    if (expireAt !== -1) this.setExpire(slot, expireAt);
    this.size++;
    this.indexInsert(this.index, this.indexMask, slot, hash);
    return slot;
  }

  /** Replaces the value of a live slot. */
  setValue(slot: number, value: RedisValue): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const before = this.valueBytesOf(page, i);
    if (page.stored[i] === INLINE_STRING) {
      // A value of the same length goes over the old bytes, unless this command holds a
      // view of some arena string (GETSET's old value): the common SET costs no allocation.
      if (
        value instanceof Uint8Array &&
        value.length === page.valueLength[i] &&
        this.viewedInCommand !== this.epoch.value &&
        isPlainString(value)
      ) {
        this.values.overwrite(page.valueLocation[i]!, value);
        return;
      }
      this.values.release(page.valueLocation[i]!, page.valueLength[i]!);
    }
    page.stored[i] = value;
    if (value instanceof Uint8Array && value.length <= INLINE_MAX && isPlainString(value)) {
      const location = this.values.store(value);
      if (location >= 0) {
        page.valueLocation[i] = location;
        page.valueLength[i] = value.length;
        page.stored[i] = INLINE_STRING;
      } else {
        // The arena is at its size limit. The value may be a view of another key's old
        // bytes (RENAME): an object of its own keeps in-place changes from reaching them.
        page.stored[i] = new Uint8Array(value);
      }
    }
    this.usedBytes += this.measureValue(page, i) - before;
    // A collection is often stored empty and filled after (HSET on a new key).
    if (page.stored[i] !== INLINE_STRING) this.epoch.touch(this, slot);
    this.noteKind(page, i);
    if (this.valueReclaimCursor >= 0 || this.values.shouldStartReclaiming()) this.reclaimStep(false);
  }

  /** What a slot's value counts for now: an arena string its bytes, an object what it last measured. */
  private valueBytesOf(page: SlotPage, i: number): number {
    const stored = page.stored[i];
    return stored === INLINE_STRING ? page.valueLength[i]! : stored === undefined ? 0 : page.valueBytes[i]!;
  }

  /** Measures a live slot's value (an object's figure is kept for the next change). */
  private measureValue(page: SlotPage, i: number): number {
    const stored = page.stored[i]!;
    if (stored === INLINE_STRING) return page.valueLength[i]!;
    return (page.valueBytes[i] = valueMemoryUsage(stored as RedisValue));
  }

  /** MEMORY USAGE: what a live slot costs (its share of usedBytes). */
  memoryUsageOf(slot: number): number {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const value = page.stored[i];
    const valueBytes = value === INLINE_STRING ? page.valueLength[i]! : valueMemoryUsage(value as RedisValue);
    return KEY_SLOT_BYTES + page.keyLength[i]! + valueBytes + (page.expireAt[i] !== -1 ? EXPIRE_ENTRY_BYTES : 0);
  }

  /** A live slot's value was opened for writing: measure it again when its command ends. */
  noteWrite(slot: number): void {
    // An arena string is edited only once it is an object of its own, and setValue
    // notes that object (unshareString).
    if (this.pages[slot >>> PAGE_BITS]!.stored[slot & PAGE_MASK] !== INLINE_STRING) this.epoch.touch(this, slot);
  }

  /** Brings a slot's count up to date with its value (CommandEpoch.settle); a freed or stale slot is left alone. */
  remeasure(slot: number): void {
    if (slot >= this.slotCount) return;
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const stored = page.stored[i];
    if (stored === undefined || stored === INLINE_STRING) return;
    const before = page.valueBytes[i]!;
    this.usedBytes += this.measureValue(page, i) - before;
  }

  private noteKind(page: SlotPage, i: number): void {
    page.kind[i] = page.stored[i] === INLINE_STRING && page.keyLocation[i] !== NO_LOCATION ? SLOT_ARENA_RECORD : SLOT_OBJECT;
  }

  /**
   * setValue() with the decimal form of a safe integer (INCR), written straight into the
   * value arena: over the old bytes when the length is the same, as setValue does.
   */
  setIntegerValue(slot: number, n: number): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const length = integerDigitCount(n);
    const before = this.valueBytesOf(page, i);
    if (page.stored[i] === INLINE_STRING) {
      if (length === page.valueLength[i] && this.viewedInCommand !== this.epoch.value) {
        this.values.overwriteInteger(page.valueLocation[i]!, n, length);
        return;
      }
      this.values.release(page.valueLocation[i]!, page.valueLength[i]!);
    }
    const location = this.values.storeInteger(n, length);
    if (location < 0) {
      page.stored[i] = integerBytes(n);
      this.usedBytes += this.measureValue(page, i) - before;
      this.noteKind(page, i);
      return;
    }
    page.valueLocation[i] = location;
    page.valueLength[i] = length;
    page.stored[i] = INLINE_STRING;
    this.usedBytes += length - before;
    this.noteKind(page, i);
    if (this.valueReclaimCursor >= 0 || this.values.shouldStartReclaiming()) this.reclaimStep(false);
  }

  /** Deletes the key of a live slot. */
  remove(slot: number): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    this.indexRemove(slot, page.hashes[i]!);
    if (page.expireAt[i] !== -1) this.setExpire(slot, -1);
    this.usedBytes -= KEY_SLOT_BYTES + page.keyLength[i]! + this.valueBytesOf(page, i);
    if (page.stored[i] === INLINE_STRING) this.values.release(page.valueLocation[i]!, page.valueLength[i]!);
    page.stored[i] = undefined;
    page.kind[i] = SLOT_FREE;
    const keyLocation = page.keyLocation[i]!;
    if (keyLocation === NO_LOCATION) this.hugeKeys.delete(slot);
    else this.keys.release(keyLocation, page.keyLength[i]!);
    this.size--;
    if (this.size === 0 && this.snapshotHolds === 0) {
      this.reset();
      return;
    }
    this.freeSlots.push(slot);
    this.rehashStep(REHASH_POSITIONS_PER_WRITE);
    if (this.keyReclaimCursor >= 0 || this.keys.shouldStartReclaiming()) this.reclaimStep(true);
  }

  /** Sets or (with -1) clears the expiry of a live slot, keeping the volatile list in step. */
  setExpire(slot: number, expireAt: number): void {
    const page = this.pages[slot >>> PAGE_BITS]!;
    const i = slot & PAGE_MASK;
    const had = page.expireAt[i] !== -1;
    page.expireAt[i] = expireAt;
    if (expireAt !== -1 && !had) {
      this.usedBytes += EXPIRE_ENTRY_BYTES;
      if (this.volatileCount === this.volatileSlots.length) {
        // Copies 4 bytes per key with a TTL: the one growth step that is not paged.
        const grown = new Int32Array(this.volatileCount * 2);
        grown.set(this.volatileSlots);
        this.volatileSlots = grown;
      }
      page.volatilePosition[i] = this.volatileCount;
      this.volatileSlots[this.volatileCount++] = slot;
    } else if (expireAt === -1 && had) {
      this.usedBytes -= EXPIRE_ENTRY_BYTES;
      const position = page.volatilePosition[i]!;
      const last = this.volatileSlots[--this.volatileCount]!;
      this.volatileSlots[position] = last;
      this.pages[last >>> PAGE_BITS]!.volatilePosition[last & PAGE_MASK] = position;
      page.volatilePosition[i] = -1;
    }
  }

  /**
   * Background work that writes also do, for the cron to call (`activerehashing`, as
   * Redis's databasesCron): a step of the index rehash, so it ends without writes too.
   */
  maintenance(): void {
    this.rehashStep(REHASH_POSITIONS_PER_WRITE * 64);
  }

  // ---- a snapshot worker's view ----------------------------------------------------------

  /** Snapshots reading this table's shared memory from another thread (holdForSnapshot). */
  private snapshotHolds = 0;

  /**
   * The table's memory for a snapshot worker to read while this thread goes on changing
   * it. Until releaseSnapshotHold, the table keeps three promises that make the slots
   * below `slotCount` (the epoch's) safe to read from there: a freed slot is not given to
   * a new key (new keys get slots from slotCount up, which the worker never visits), no
   * arena bytes are relocated, and the table is not reset when it empties. Everything
   * else that changes an epoch key is preceded by the copy-on-write hook, which claims
   * the slot first (snapshot.ts).
   */
  holdForSnapshot(): SharedTableView {
    this.snapshotHolds++;
    return {
      pages: this.pages.map((page) => page.sharedFields()),
      keySegments: this.keys.sharedSegments(),
      valueSegments: this.values.sharedSegments(),
      slotCount: this.slotCount,
    };
  }

  releaseSnapshotHold(): void {
    if (this.snapshotHolds === 0) return;
    if (--this.snapshotHolds === 0 && this.size === 0) this.reset();
  }

  /** Back to an empty table, letting the big arrays go. */
  private reset(): void {
    const avgTtl = this.avgTtl;
    Object.assign(this, new KeyTable(this.epoch));
    this.avgTtl = avgTtl;
  }

  // ---- slots -------------------------------------------------------------------------

  private allocateSlot(): number {
    if (this.freeSlots.length > 0 && this.snapshotHolds === 0) return this.freeSlots.pop()!;
    const slot = this.slotCount++;
    const pageIndex = slot >>> PAGE_BITS;
    if (pageIndex === this.pages.length) this.pages.push(new SlotPage(PAGE_SLOTS));
    else if (pageIndex === 0 && slot === this.pages[0]!.capacity) this.pages[0] = this.pages[0]!.grown(Math.min(PAGE_SLOTS, slot * 2));
    return slot;
  }

  // ---- the index and its incremental rehash ---------------------------------------------

  /**
   * DEBUG HTSTATS: the shapes of the indexes (htstats.ts), as Redis's ht[0] and ht[1]:
   * while a rehash runs, the old index with the keys not moved yet, then the new one.
   * With `onlyVolatile`, the keys with a TTL only: Bunker has no expires table of its
   * own, so [Expires HT] describes where those keys sit in the key index.
   */
  indexShapes(onlyVolatile: boolean): IndexShape[] {
    const hashOf = (slot: number) => this.hashOf(slot);
    const keep = onlyVolatile ? (slot: number) => this.expireAtOf(slot) !== -1 : () => true;
    const shapes = this.oldIndex !== null ? [indexShape(this.oldIndex, hashOf, keep)] : [];
    shapes.push(indexShape(this.index, hashOf, keep));
    return shapes;
  }


  private indexInsert(index: Int32Array, mask: number, slot: number, hash: number): void {
    let position = hash & mask;
    while (index[position] !== 0) position = (position + 1) & mask;
    index[position] = slot + 1;
  }

  private indexRemove(slot: number, hash: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let hole = hash & mask;
    for (;;) {
      const entry = index[hole]!;
      if (entry === slot + 1) break;
      if (entry === 0) {
        // Not moved yet: it is in the old index, where a deletion leaves a marker, since
        // shifting entries there could carry one behind the rehash position.
        const old = this.oldIndex!;
        let position = hash & this.oldIndexMask;
        while (old[position] !== slot + 1) position = (position + 1) & this.oldIndexMask;
        old[position] = MOVED;
        return;
      }
      hole = (hole + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their
    // home position does not lie between the hole and where they sit.
    let next = hole;
    for (;;) {
      next = (next + 1) & mask;
      const entry = index[next]!;
      if (entry === 0) break;
      const home = this.hashOf(entry - 1) & mask;
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      index[hole] = entry;
      hole = next;
    }
    index[hole] = 0;
  }

  private hashOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.hashes[slot & PAGE_MASK]!;
  }

  /** A new index twice the size; entries move over a few at a time (rehashStep). */
  private startRehash(): void {
    // A rehash still running finishes first; writes give it far more steps than it
    // needs before the new index can fill up, so this is the rare case.
    if (this.oldIndex !== null) this.rehashStep(Infinity);
    this.oldIndex = this.index;
    this.oldIndexMask = this.indexMask;
    this.rehashPosition = 0;
    this.index = new Int32Array(this.index.length * 2);
    this.indexMask = this.index.length - 1;
  }

  private rehashStep(positions: number): void {
    const old = this.oldIndex;
    if (old === null) return;
    const end = Math.min(old.length, this.rehashPosition + positions);
    for (let position = this.rehashPosition; position < end; position++) {
      const entry = old[position]!;
      if (entry > 0) {
        this.indexInsert(this.index, this.indexMask, entry - 1, this.hashOf(entry - 1));
        // Not 0: probes for keys further along this run must still get past here.
        old[position] = MOVED;
      }
    }
    this.rehashPosition = end;
    if (end >= old.length) this.oldIndex = null;
  }

  // ---- arena reclaiming ------------------------------------------------------------------

  /**
   * One step of an arena's reclaiming walk: moves the bytes of the next few slots out of
   * condemned segments. Runs on writes, so reclaiming keeps pace with the garbage
   * writes make, and no write pays for more than a few slots.
   */
  private reclaimStep(keys: boolean): void {
    // Moving bytes would change locations a snapshot worker is reading: wait for it.
    if (this.snapshotHolds > 0) return;
    const arena = keys ? this.keys : this.values;
    let cursor = keys ? this.keyReclaimCursor : this.valueReclaimCursor;
    if (cursor < 0) cursor = 0;
    const end = Math.min(this.slotCount, cursor + RECLAIM_SLOTS_PER_WRITE);
    for (let slot = cursor; slot < end; slot++) {
      const page = this.pages[slot >>> PAGE_BITS]!;
      const i = slot & PAGE_MASK;
      const stored = page.stored[i];
      if (stored === undefined) continue;
      if (keys) {
        const location = page.keyLocation[i]!;
        if (location === NO_LOCATION || !arena.isCondemned(location)) continue;
        const moved = arena.relocate(location, page.keyLength[i]!);
        if (moved >= 0) page.keyLocation[i] = moved;
      } else {
        if (stored !== INLINE_STRING) continue;
        const location = page.valueLocation[i]!;
        if (!arena.isCondemned(location)) continue;
        const moved = arena.relocate(location, page.valueLength[i]!);
        if (moved >= 0) page.valueLocation[i] = moved;
      }
    }
    if (end >= this.slotCount) {
      arena.finishReclaiming();
      cursor = -1;
    } else {
      cursor = end;
    }
    if (keys) this.keyReclaimCursor = cursor;
    else this.valueReclaimCursor = cursor;
  }
}
