// Dict: the hash table of one large collection (Redis's dict.c in role, not in design):
// the fields of a hashtable-encoded hash, the members of a hashtable-encoded set, the
// member index of a skiplist-encoded sorted set.
//
// A JS Map from string to Uint8Array costs well over 100 bytes per entry before the
// first byte of data: the key string, the value array and the map's own entry are each
// a heap cell the garbage collector walks. Here an entry is a *slot* number, and what it
// has is a record of int32 fields at slot * stride in one typed array:
//
//   HASH         the key's hash, so probing and growing never re-read key bytes
//   KEY_START    where the key's bytes are in the arena (KEY_LENGTH of them; -1 when free)
//   VALUE_START  where the value's bytes are (VALUE_LENGTH), for a hash's values
//   a float64    the score, for a sorted set's member index (through a Float64Array
//                view of the same buffer)
//
// One record per slot rather than one array per field: a lookup in a large dict then
// misses the cache on the index, the record and the key's bytes, not once per field.
//
// The bytes of keys and values are appended to one Uint8Array per dict, the arena. A
// replaced value or a deleted entry leaves its bytes behind as garbage, counted; when
// garbage outweighs live bytes the arena is compacted into a fresh array, so at most
// half of it is waste and the copying is paid for by the writes that made the garbage.
// Bytes are never overwritten in place, so a view from keyBytesAt()/valueAt() keeps its
// content; it is only stale (the entry may since hold another value) after a write.
//
// The index is open addressing with linear probing over an Int32Array of slot+1 (0 is
// empty), at most half full, with backward-shift deletion, so there are no tombstones.
// It grows by doubling and shrinks by halving when an eighth full, all at once: a dict
// of 100k entries rebuilds its index in about a millisecond, which we accept rather than
// carry Redis's incremental rehashing (the key table, which can hold millions, does that).
//
// Slots are stable: an entry keeps its slot until it is deleted, and compaction moves
// bytes, never slots. That is what the SCAN guarantee rests on: the cursor is a slot
// position, and an entry present for the whole scan sits at one position the scan passes.
// Freed slots are reused (most recently freed first); the slot arrays never shrink while
// the dict has entries, so a dict that grew large and was emptied down to a few entries
// keeps its slot records (12 to 24 bytes per slot) until it is emptied or dropped. Random picks
// draw a slot position uniformly and retry on free ones; when the slots are mostly free,
// they walk to the k-th live slot instead, so a pick stays uniform and bounded.

import { hashBytes, hashKey } from "./keytable.ts";
import { objectBytes, TYPED_ARRAY_OVERHEAD, typedArrayBytes } from "./object-size.ts";
import { indexShape, type IndexShape } from "./htstats.ts";

export type DictValueKind = "bytes" | "none" | "score";

// Record fields, in int32s from the record's start.
const HASH = 0;
const KEY_START = 1;
const KEY_LENGTH = 2;
const VALUE_START = 3;
const VALUE_LENGTH = 4;
/** KEY_LENGTH of a free slot. A live key may be empty (length 0), so 0 cannot mark it. */
const DEAD = -1;
/** Int32s per record: a score record keeps its float64 in the last 8 of its 24 bytes. */
const STRIDE = { none: 3, bytes: 5, score: 6 } as const;
const MIN_INDEX = 8;
const MIN_SLOTS = 4;
const MIN_ARENA = 64;
/** Compaction is not worth a new array below this much garbage. */
const MIN_GARBAGE_TO_COMPACT = 256;
/** Random probes before falling back to a walk (the slots are then mostly free). */
const RANDOM_PROBES = 32;
const EMPTY_BYTES = new Uint8Array(0);

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

export class Dict {
  readonly valueKind: DictValueKind;
  private readonly stride: number;
  private count = 0;
  /** Slots handed out so far: every live slot is below it. */
  private slotHighWater = 0;
  /** Slots the records array has room for. */
  private slotCapacity: number;
  /** Freed slots to hand out again, a stack. */
  private freeSlots: Int32Array;
  private freeCount = 0;

  /** The slot records (see the fields above); arena offsets are read as unsigned. */
  private records: Int32Array;
  /** The same buffer as float64s, for scores (valueKind "score"). */
  private scores: Float64Array;

  /** slot + 1 at each position; 0 is empty. Its length is a power of two. */
  private index: Int32Array;
  private indexMask: number;

  private arena: Uint8Array;
  private arenaUsed = 0;
  private garbage = 0;

  constructor(valueKind: DictValueKind = "none", expectedSize = 0) {
    this.valueKind = valueKind;
    this.stride = STRIDE[valueKind];
    this.slotCapacity = Math.max(MIN_SLOTS, expectedSize);
    this.records = new Int32Array(this.slotCapacity * this.stride);
    this.scores = valueKind === "score" ? new Float64Array(this.records.buffer) : EMPTY_SCORES;
    this.freeSlots = EMPTY_SLOTS;
    let indexSize = MIN_INDEX;
    while (indexSize < expectedSize * 2) indexSize *= 2;
    this.index = new Int32Array(indexSize);
    this.indexMask = indexSize - 1;
    this.arena = new Uint8Array(MIN_ARENA);
  }

  get size(): number {
    return this.count;
  }

  /** DEBUG HTSTATS-KEY: the index's shape (htstats.ts); a Dict never rehashes by steps. */
  indexShape(): IndexShape {
    const records = this.records;
    const stride = this.stride;
    return indexShape(this.index, (slot) => records[slot * stride + HASH]!, () => true);
  }

  /** The bytes this dict allocates (object-size.ts): its arrays at their capacity. */
  memoryUsage(): number {
    let bytes = objectBytes(15) + typedArrayBytes(this.records.byteLength) + typedArrayBytes(this.index.byteLength);
    bytes += typedArrayBytes(this.arena.byteLength);
    if (this.freeSlots !== EMPTY_SLOTS) bytes += typedArrayBytes(this.freeSlots.byteLength);
    if (this.valueKind === "score") bytes += TYPED_ARRAY_OVERHEAD;
    return bytes;
  }

  /** The scan bound: every live slot is below it. */
  get slotCount(): number {
    return this.slotHighWater;
  }

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.slotHighWater && this.records[slot * this.stride + KEY_LENGTH] !== DEAD;
  }

  // ---- lookup ------------------------------------------------------------------------

  /** The slot of `key` (a binary string), or -1. */
  find(key: string): number {
    const hash = hashKey(key);
    const index = this.index;
    const mask = this.indexMask;
    const records = this.records;
    const stride = this.stride;
    const length = key.length;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      const record = (entry - 1) * stride;
      if (records[record + HASH] === hash && records[record + KEY_LENGTH] === length && this.keyEqualsString(records[record + KEY_START]! >>> 0, key)) {
        return entry - 1;
      }
    }
  }

  /** The slot of the key with the bytes bytes[start, end), or -1. */
  findBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
    const hash = hashBytes(bytes, start, end);
    const index = this.index;
    const mask = this.indexMask;
    const records = this.records;
    const stride = this.stride;
    const length = end - start;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      const record = (entry - 1) * stride;
      if (records[record + HASH] === hash && records[record + KEY_LENGTH] === length && this.keyEqualsBytes(records[record + KEY_START]! >>> 0, length, bytes, start)) {
        return entry - 1;
      }
    }
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  private keyEqualsString(at: number, key: string): boolean {
    const arena = this.arena;
    for (let i = 0; i < key.length; i++) if (arena[at + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private keyEqualsBytes(at: number, length: number, bytes: Uint8Array, from: number): boolean {
    const arena = this.arena;
    for (let i = 0; i < length; i++) if (arena[at + i] !== bytes[from + i]) return false;
    return true;
  }

  // ---- entries ---------------------------------------------------------------------------

  /**
   * Add a key the dict does not hold (the caller has checked) and return its slot. A new
   * entry's value is empty bytes, or score 0.
   */
  add(key: string | Uint8Array): number {
    if (typeof key === "string") {
      const length = key.length;
      const slot = this.claimSlot(hashKey(key), length);
      const start = this.records[slot * this.stride + KEY_START]! >>> 0;
      const arena = this.arena;
      for (let i = 0; i < length; i++) arena[start + i] = key.charCodeAt(i);
      return slot;
    }
    return this.addBytes(key, 0, key.length);
  }

  /** add() of the key bytes[start, end), for loaders that read keys where they lie. */
  addBytes(bytes: Uint8Array, start: number, end: number): number {
    const slot = this.claimSlot(hashBytes(bytes, start, end), end - start);
    copyInto(this.arena, this.records[slot * this.stride + KEY_START]! >>> 0, bytes, start, end);
    return slot;
  }

  /** Takes a slot, room in the arena for the key's bytes, and a place in the index. */
  private claimSlot(hash: number, keyLength: number): number {
    const keyStart = this.reserve(keyLength);
    if ((this.count + 1) * 2 > this.index.length) this.resizeIndex(this.index.length * 2);
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount]!;
    else {
      if (this.slotHighWater === this.slotCapacity) this.growSlots();
      slot = this.slotHighWater++;
    }
    const records = this.records;
    const record = slot * this.stride;
    records[record + HASH] = hash;
    records[record + KEY_START] = keyStart;
    records[record + KEY_LENGTH] = keyLength;
    if (this.valueKind === "bytes") {
      records[record + VALUE_START] = 0;
      records[record + VALUE_LENGTH] = 0;
    } else if (this.valueKind === "score") this.scores[(record >> 1) + 2] = 0;
    this.count++;
    const index = this.index;
    const mask = this.indexMask;
    let position = hash & mask;
    while (index[position] !== 0) position = (position + 1) & mask;
    index[position] = slot + 1;
    return slot;
  }

  delete(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.deleteSlot(slot);
    return true;
  }

  /** Remove the entry at a live slot; the slot may be handed out again by a later add. */
  deleteSlot(slot: number): void {
    this.unlinkFromIndex(slot);
    const records = this.records;
    const record = slot * this.stride;
    this.garbage += records[record + KEY_LENGTH]!;
    if (this.valueKind === "bytes") this.garbage += records[record + VALUE_LENGTH]!;
    records[record + KEY_LENGTH] = DEAD;
    this.count--;
    if (this.count === 0) {
      this.clear();
      return;
    }
    if (this.freeCount === this.freeSlots.length) {
      const grown = new Int32Array(Math.max(MIN_SLOTS, this.freeSlots.length * 2));
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.freeCount++] = slot;
    if (this.count * 8 < this.index.length && this.index.length > MIN_INDEX) this.resizeIndex(this.index.length / 2);
    this.compactIfWasteful();
  }

  /** Backward-shift deletion: later entries of the probe run move up, leaving no tombstone. */
  private unlinkFromIndex(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    const records = this.records;
    const stride = this.stride;
    let position = records[slot * stride + HASH]! & mask;
    while (index[position] !== slot + 1) position = (position + 1) & mask;
    let hole = position;
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = records[(index[next]! - 1) * stride + HASH]! & mask;
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        index[hole] = index[next]!;
        hole = next;
      }
    }
    index[hole] = 0;
  }

  /** Remove every entry and give the memory back. */
  clear(): void {
    this.count = 0;
    this.slotHighWater = 0;
    this.freeCount = 0;
    this.freeSlots = EMPTY_SLOTS;
    this.slotCapacity = MIN_SLOTS;
    this.records = new Int32Array(MIN_SLOTS * this.stride);
    if (this.valueKind === "score") this.scores = new Float64Array(this.records.buffer);
    this.index = new Int32Array(MIN_INDEX);
    this.indexMask = MIN_INDEX - 1;
    this.arena = new Uint8Array(MIN_ARENA);
    this.arenaUsed = 0;
    this.garbage = 0;
  }

  // ---- keys and values -------------------------------------------------------------------

  keyAt(slot: number): string {
    const record = slot * this.stride;
    const start = this.records[record + KEY_START]! >>> 0;
    return latin1Slice.call(this.arena, start, start + this.records[record + KEY_LENGTH]!);
  }

  /** The key's bytes as a view into the arena: its content stays, but it may be stale after a write. */
  keyBytesAt(slot: number): Uint8Array {
    const record = slot * this.stride;
    const start = this.records[record + KEY_START]! >>> 0;
    return this.arena.subarray(start, start + this.records[record + KEY_LENGTH]!);
  }

  keyLengthAt(slot: number): number {
    return this.records[slot * this.stride + KEY_LENGTH]!;
  }

  /** Copies the key's bytes into `target` at `at` (a reply's buffer): no string, no view. */
  copyKeyInto(slot: number, target: Uint8Array, at: number): void {
    const record = slot * this.stride;
    const start = this.records[record + KEY_START]! >>> 0;
    const length = this.records[record + KEY_LENGTH]!;
    const arena = this.arena;
    if (length < 32) {
      for (let i = 0; i < length; i++) target[at + i] = arena[start + i]!;
    } else {
      target.set(arena.subarray(start, start + length), at);
    }
  }

  /** memcmp order of the key at `slot` against `key`: <0, 0, >0 (shorter first on a common prefix). */
  compareKeyAt(slot: number, key: string): number {
    const arena = this.arena;
    const record = slot * this.stride;
    const start = this.records[record + KEY_START]! >>> 0;
    const length = this.records[record + KEY_LENGTH]!;
    const common = length < key.length ? length : key.length;
    for (let i = 0; i < common; i++) {
      const difference = arena[start + i]! - key.charCodeAt(i);
      if (difference !== 0) return difference;
    }
    return length - key.length;
  }

  /** The value's bytes as a view into the arena (valueKind "bytes"), under the same terms as keyBytesAt. */
  valueAt(slot: number): Uint8Array {
    const record = slot * this.stride;
    const length = this.records[record + VALUE_LENGTH]!;
    if (length === 0) return EMPTY_BYTES;
    const start = this.records[record + VALUE_START]! >>> 0;
    return this.arena.subarray(start, start + length);
  }

  valueLengthAt(slot: number): number {
    return this.records[slot * this.stride + VALUE_LENGTH]!;
  }

  setValue(slot: number, value: Uint8Array, start = 0, end = value.length): void {
    // The old value is garbage before reserving, so a compaction inside does not copy it;
    // `value` may be a view of this dict's arena: a compaction leaves the old array intact.
    const length = end - start;
    const record = slot * this.stride;
    this.garbage += this.records[record + VALUE_LENGTH]!;
    this.records[record + VALUE_LENGTH] = 0;
    const at = this.reserve(length);
    copyInto(this.arena, at, value, start, end);
    this.records[record + VALUE_START] = at;
    this.records[record + VALUE_LENGTH] = length;
    this.compactIfWasteful();
  }

  scoreAt(slot: number): number {
    return this.scores[slot * 3 + 2]!;
  }

  setScore(slot: number, score: number): void {
    this.scores[slot * 3 + 2] = score;
  }

  // ---- random picks ----------------------------------------------------------------------

  /** A live slot drawn uniformly, or -1 when empty. */
  randomSlot(): number {
    if (this.count === 0) return -1;
    const bound = this.slotHighWater;
    const records = this.records;
    const stride = this.stride;
    for (let attempt = 0; attempt < RANDOM_PROBES; attempt++) {
      const slot = Math.floor(Math.random() * bound);
      if (records[slot * stride + KEY_LENGTH] !== DEAD) return slot;
    }
    return this.nthLiveSlot(Math.floor(Math.random() * this.count));
  }

  /** `count` independent uniform picks (repetitions allowed), each visited as it is drawn. */
  forEachRandomSlot(count: number, visit: (slot: number) => void): void {
    if (this.count === 0) return;
    if (this.count * 4 < this.slotHighWater && count > RANDOM_PROBES) {
      // Mostly free slots: draw from a list of the live ones instead of retrying.
      const live = this.liveSlots();
      for (let i = 0; i < count; i++) visit(live[Math.floor(Math.random() * live.length)]!);
      return;
    }
    for (let i = 0; i < count; i++) visit(this.randomSlot());
  }

  /**
   * `count` distinct live slots (count < size), each visited once, in random order. Like
   * Redis's SRANDMEMBER/HRANDFIELD: when most entries are wanted, a partial shuffle of all
   * of them; otherwise draws with rejection, remembering drawn slots in one byte per slot.
   */
  forEachRandomDistinctSlot(count: number, visit: (slot: number) => void): void {
    if (count * 3 > this.count) {
      forEachRandomDistinct(this.liveSlots(), count, visit);
      return;
    }
    const drawn = new Uint8Array(this.slotHighWater);
    for (let picked = 0; picked < count; ) {
      const slot = this.randomSlot();
      if (drawn[slot] !== 0) continue;
      drawn[slot] = 1;
      picked++;
      visit(slot);
    }
  }

  /** The live slot with `n` live slots below it. */
  private nthLiveSlot(n: number): number {
    const records = this.records;
    const stride = this.stride;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      if (records[slot * stride + KEY_LENGTH] !== DEAD && n-- === 0) return slot;
    }
    return -1;
  }

  /** Visits every live slot in slot order (the order a hashtable-encoded collection is listed in). */
  forEachSlot(visit: (slot: number) => void): void {
    const stride = this.stride;
    for (let slot = 0; slot < this.slotHighWater; slot++) if (this.records[slot * stride + KEY_LENGTH] !== DEAD) visit(slot);
  }

  /** Every live slot, ascending (for picks of many distinct entries). */
  liveSlots(): Int32Array {
    const out = new Int32Array(this.count);
    const records = this.records;
    const stride = this.stride;
    let n = 0;
    for (let slot = 0; slot < this.slotHighWater; slot++) if (records[slot * stride + KEY_LENGTH] !== DEAD) out[n++] = slot;
    return out;
  }

  /**
   * One SCAN step from slot position `cursor`: calls `visit` for live slots until `count`
   * were visited or 10 * count free slots were passed (as dictScan bounds empty buckets).
   * Returns the cursor to continue from, 0 when the walk is complete.
   */
  scan(cursor: number, count: number, visit: (slot: number) => void): number {
    const wanted = count < 1 ? 1 : count;
    let emptyBudget = wanted * 10;
    let visited = 0;
    const bound = this.slotHighWater;
    const stride = this.stride;
    let slot = cursor < 0 ? 0 : cursor;
    for (; slot < bound && visited < wanted; slot++) {
      // Read afresh each time: `visit` may not write, but the records array is the dict's.
      if (this.records[slot * stride + KEY_LENGTH] === DEAD) {
        if (--emptyBudget === 0) {
          slot++;
          break;
        }
        continue;
      }
      visit(slot);
      visited++;
    }
    return slot < bound ? slot : 0;
  }

  // ---- copies ----------------------------------------------------------------------------

  /** A deep copy with the same slots (COPY). */
  clone(): Dict {
    const copy = new Dict(this.valueKind);
    copy.count = this.count;
    copy.slotHighWater = this.slotHighWater;
    copy.slotCapacity = this.slotCapacity;
    copy.freeSlots = this.freeSlots.slice(0, this.freeCount);
    copy.freeCount = this.freeCount;
    copy.records = this.records.slice();
    if (this.valueKind === "score") copy.scores = new Float64Array(copy.records.buffer);
    copy.index = this.index.slice();
    copy.indexMask = this.indexMask;
    copy.arena = this.arena.slice(0, Math.max(this.arenaUsed, 1));
    copy.arenaUsed = this.arenaUsed;
    copy.garbage = this.garbage;
    return copy;
  }

  /** Bytes held by this dict's arrays (for measurements). */
  memoryBytes(): number {
    return this.records.byteLength + this.freeSlots.byteLength + this.index.byteLength + this.arena.byteLength;
  }

  // ---- growth ----------------------------------------------------------------------------

  /** Room for `length` more bytes at the end of the arena; returns where they go. */
  private reserve(length: number): number {
    if (this.arenaUsed + length > this.arena.length) {
      if (this.garbage >= MIN_GARBAGE_TO_COMPACT && this.garbage > this.arenaUsed - this.garbage) this.compact(length);
      if (this.arenaUsed + length > this.arena.length) {
        let capacity = this.arena.length * 2;
        while (capacity < this.arenaUsed + length) capacity *= 2;
        const grown = new Uint8Array(capacity);
        grown.set(this.arena.subarray(0, this.arenaUsed));
        this.arena = grown;
      }
    }
    const at = this.arenaUsed;
    this.arenaUsed += length;
    return at;
  }

  private compactIfWasteful(): void {
    if (this.garbage >= MIN_GARBAGE_TO_COMPACT && this.garbage > this.arenaUsed - this.garbage) this.compact(0);
  }

  /** Copy the live bytes into a fresh arena with room for `extra` more; slots stay where they are. */
  private compact(extra: number): void {
    const live = this.arenaUsed - this.garbage;
    const capacity = Math.max(MIN_ARENA, live + extra + (live >>> 1));
    const fresh = new Uint8Array(capacity);
    const old = this.arena;
    const records = this.records;
    const stride = this.stride;
    const hasValues = this.valueKind === "bytes";
    let at = 0;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      const record = slot * stride;
      const keyLength = records[record + KEY_LENGTH]!;
      if (keyLength === DEAD) continue;
      const keyStart = records[record + KEY_START]! >>> 0;
      copyInto(fresh, at, old, keyStart, keyStart + keyLength);
      records[record + KEY_START] = at;
      at += keyLength;
      if (hasValues) {
        const valueLength = records[record + VALUE_LENGTH]!;
        if (valueLength === 0) continue;
        const valueStart = records[record + VALUE_START]! >>> 0;
        copyInto(fresh, at, old, valueStart, valueStart + valueLength);
        records[record + VALUE_START] = at;
        at += valueLength;
      }
    }
    this.arena = fresh;
    this.arenaUsed = at;
    this.garbage = 0;
  }

  private growSlots(): void {
    this.slotCapacity *= 2;
    const grown = new Int32Array(this.slotCapacity * this.stride);
    grown.set(this.records);
    this.records = grown;
    if (this.valueKind === "score") this.scores = new Float64Array(grown.buffer);
  }

  private resizeIndex(size: number): void {
    const index = new Int32Array(size);
    const mask = size - 1;
    const records = this.records;
    const stride = this.stride;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      const record = slot * stride;
      if (records[record + KEY_LENGTH] === DEAD) continue;
      let position = records[record + HASH]! & mask;
      while (index[position] !== 0) position = (position + 1) & mask;
      index[position] = slot + 1;
    }
    this.index = index;
    this.indexMask = mask;
  }
}

const EMPTY_SLOTS = new Int32Array(0);
const EMPTY_SCORES = new Float64Array(0);

/** target.set(source.subarray(start, end), at) without making a view for short runs. */
function copyInto(target: Uint8Array, at: number, source: Uint8Array, start: number, end: number): void {
  if (end - start > 32) {
    target.set(source.subarray(start, end), at);
    return;
  }
  for (let i = start; i < end; i++) target[at++] = source[i]!;
}

/**
 * Visit `count` distinct elements of `positions` (count <= length) in random order:
 * the first steps of a Fisher-Yates shuffle, which reorders `positions`.
 */
export function forEachRandomDistinct(positions: Int32Array, count: number, visit: (position: number) => void): void {
  const length = positions.length;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (length - i));
    const picked = positions[j]!;
    positions[j] = positions[i]!;
    positions[i] = picked;
    visit(picked);
  }
}

/**
 * Visit `count` distinct elements of `positions` (count <= length) in their order, each
 * subset equally likely (selection sampling, Knuth's Algorithm S): what lpRandomPairsUnique
 * gives, a sample in listpack order.
 */
export function forEachRandomDistinctInOrder(positions: Int32Array, count: number, visit: (position: number) => void): void {
  let needed = count;
  const length = positions.length;
  for (let i = 0; i < length && needed > 0; i++) {
    if (Math.random() * (length - i) < needed) {
      visit(positions[i]!);
      needed--;
    }
  }
}
