// Dict: the hash table of one large collection (Redis's dict.c in role, not in design):
// the fields of a hashtable-encoded hash, the members of a hashtable-encoded set, the
// member index of a skiplist-encoded sorted set.
//
// A JS Map from string to Uint8Array costs well over 100 bytes per entry before the
// first byte of data: the key string, the value array and the map's own entry are each
// a heap cell the garbage collector walks. Here an entry is a *slot* number, and what it
// has lives in typed arrays indexed by slot:
//
//   hashes       the key's hash, so probing and growing never re-read key bytes
//   keyStart     where the key's bytes are in the arena (keyLength of them; DEAD when free)
//   valueStart   where the value's bytes are (valueLength), for a hash's values
//   scores       a float64 per slot, for a sorted set's member index
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
// keeps its slot arrays (20 bytes per slot) until it is emptied or dropped. Random picks
// draw a slot position uniformly and retry on free ones; when the slots are mostly free,
// they walk to the k-th live slot instead, so a pick stays uniform and bounded.

import { hashBytes, hashKey } from "./keytable.ts";

export type DictValueKind = "bytes" | "none" | "score";

/** keyLength of a free slot. A live key may be empty (length 0), so 0 cannot mark it. */
const DEAD = 0xffffffff;
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
  private count = 0;
  /** Slots handed out so far: every live slot is below it. */
  private slotHighWater = 0;
  /** Freed slots to hand out again, a stack. */
  private freeSlots: Int32Array;
  private freeCount = 0;

  private hashes: Int32Array;
  private keyStart: Uint32Array;
  private keyLength: Uint32Array;
  private valueStart: Uint32Array;
  private valueLength: Uint32Array;
  private scores: Float64Array;

  /** slot + 1 at each position; 0 is empty. Its length is a power of two. */
  private index: Int32Array;
  private indexMask: number;

  private arena: Uint8Array;
  private arenaUsed = 0;
  private garbage = 0;

  constructor(valueKind: DictValueKind = "none", expectedSize = 0) {
    this.valueKind = valueKind;
    const slots = Math.max(MIN_SLOTS, expectedSize);
    this.hashes = new Int32Array(slots);
    this.keyStart = new Uint32Array(slots);
    this.keyLength = new Uint32Array(slots);
    this.freeSlots = new Int32Array(0);
    const hasBytes = valueKind === "bytes";
    this.valueStart = new Uint32Array(hasBytes ? slots : 0);
    this.valueLength = new Uint32Array(hasBytes ? slots : 0);
    this.scores = new Float64Array(valueKind === "score" ? slots : 0);
    let indexSize = MIN_INDEX;
    while (indexSize < expectedSize * 2) indexSize *= 2;
    this.index = new Int32Array(indexSize);
    this.indexMask = indexSize - 1;
    this.arena = new Uint8Array(MIN_ARENA);
  }

  get size(): number {
    return this.count;
  }

  /** The scan bound: every live slot is below it. */
  get slotCount(): number {
    return this.slotHighWater;
  }

  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.slotHighWater && this.keyLength[slot] !== DEAD;
  }

  // ---- lookup ------------------------------------------------------------------------

  /** The slot of `key` (a binary string), or -1. */
  find(key: string): number {
    const hash = hashKey(key);
    const index = this.index;
    const mask = this.indexMask;
    const length = key.length;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.keyLength[slot] === length && this.keyEqualsString(slot, key)) return slot;
    }
  }

  /** The slot of the key with the bytes bytes[start, end), or -1. */
  findBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
    return this.findHashed(hashBytes(bytes, start, end), bytes, start, end);
  }

  private findHashed(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const index = this.index;
    const mask = this.indexMask;
    const length = end - start;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const entry = index[position]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.keyLength[slot] === length && this.keyEqualsBytes(slot, bytes, start)) return slot;
    }
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  private keyEqualsString(slot: number, key: string): boolean {
    const arena = this.arena;
    const start = this.keyStart[slot]!;
    for (let i = 0; i < key.length; i++) if (arena[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private keyEqualsBytes(slot: number, bytes: Uint8Array, from: number): boolean {
    const arena = this.arena;
    const start = this.keyStart[slot]!;
    const length = this.keyLength[slot]!;
    for (let i = 0; i < length; i++) if (arena[start + i] !== bytes[from + i]) return false;
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
      const start = this.keyStart[slot]!;
      const arena = this.arena;
      for (let i = 0; i < length; i++) arena[start + i] = key.charCodeAt(i);
      return slot;
    }
    return this.addBytes(key, 0, key.length);
  }

  /** add() of the key bytes[start, end), for loaders that read keys where they lie. */
  addBytes(bytes: Uint8Array, start: number, end: number): number {
    const slot = this.claimSlot(hashBytes(bytes, start, end), end - start);
    this.arena.set(bytes.subarray(start, end), this.keyStart[slot]!);
    return slot;
  }

  /** Takes a slot, room in the arena for the key's bytes, and a place in the index. */
  private claimSlot(hash: number, keyLength: number): number {
    const keyStart = this.reserve(keyLength);
    if ((this.count + 1) * 2 > this.index.length) this.resizeIndex(this.index.length * 2);
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount]!;
    else {
      if (this.slotHighWater === this.hashes.length) this.growSlots();
      slot = this.slotHighWater++;
    }
    this.hashes[slot] = hash;
    this.keyStart[slot] = keyStart;
    this.keyLength[slot] = keyLength;
    if (this.valueKind === "bytes") {
      this.valueStart[slot] = 0;
      this.valueLength[slot] = 0;
    } else if (this.valueKind === "score") this.scores[slot] = 0;
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
    const length = this.keyLength[slot]!;
    this.garbage += length;
    if (this.valueKind === "bytes") this.garbage += this.valueLength[slot]!;
    this.keyLength[slot] = DEAD;
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
    let position = this.hashes[slot]! & mask;
    while (index[position] !== slot + 1) position = (position + 1) & mask;
    let hole = position;
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = this.hashes[index[next]! - 1]! & mask;
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
    this.freeSlots = new Int32Array(0);
    this.hashes = new Int32Array(MIN_SLOTS);
    this.keyStart = new Uint32Array(MIN_SLOTS);
    this.keyLength = new Uint32Array(MIN_SLOTS);
    if (this.valueKind === "bytes") {
      this.valueStart = new Uint32Array(MIN_SLOTS);
      this.valueLength = new Uint32Array(MIN_SLOTS);
    }
    if (this.valueKind === "score") this.scores = new Float64Array(MIN_SLOTS);
    this.index = new Int32Array(MIN_INDEX);
    this.indexMask = MIN_INDEX - 1;
    this.arena = new Uint8Array(MIN_ARENA);
    this.arenaUsed = 0;
    this.garbage = 0;
  }

  // ---- keys and values -------------------------------------------------------------------

  keyAt(slot: number): string {
    const start = this.keyStart[slot]!;
    return latin1Slice.call(this.arena, start, start + this.keyLength[slot]!);
  }

  /** The key's bytes as a view into the arena: its content stays, but it may be stale after a write. */
  keyBytesAt(slot: number): Uint8Array {
    const start = this.keyStart[slot]!;
    return this.arena.subarray(start, start + this.keyLength[slot]!);
  }

  keyLengthAt(slot: number): number {
    return this.keyLength[slot]!;
  }

  /** memcmp order of the key at `slot` against `key`: <0, 0, >0 (shorter first on a common prefix). */
  compareKeyAt(slot: number, key: string): number {
    const arena = this.arena;
    const start = this.keyStart[slot]!;
    const length = this.keyLength[slot]!;
    const common = length < key.length ? length : key.length;
    for (let i = 0; i < common; i++) {
      const difference = arena[start + i]! - key.charCodeAt(i);
      if (difference !== 0) return difference;
    }
    return length - key.length;
  }

  /** The value's bytes as a view into the arena (valueKind "bytes"), under the same terms as keyBytesAt. */
  valueAt(slot: number): Uint8Array {
    const length = this.valueLength[slot]!;
    if (length === 0) return EMPTY_BYTES;
    const start = this.valueStart[slot]!;
    return this.arena.subarray(start, start + length);
  }

  valueLengthAt(slot: number): number {
    return this.valueLength[slot]!;
  }

  setValue(slot: number, value: Uint8Array, start = 0, end = value.length): void {
    // Reserve first: a compaction inside moves the bytes a caller's view of this dict points at,
    // but `value` may be such a view, and the old bytes stay intact in the old arena.
    const length = end - start;
    this.garbage += this.valueLength[slot]!;
    this.valueLength[slot] = 0;
    const at = this.reserve(length);
    this.arena.set(value.subarray(start, end), at);
    this.valueStart[slot] = at;
    this.valueLength[slot] = length;
    this.compactIfWasteful();
  }

  scoreAt(slot: number): number {
    return this.scores[slot]!;
  }

  setScore(slot: number, score: number): void {
    this.scores[slot] = score;
  }

  // ---- random picks ----------------------------------------------------------------------

  /** A live slot drawn uniformly, or -1 when empty. */
  randomSlot(): number {
    if (this.count === 0) return -1;
    const bound = this.slotHighWater;
    for (let attempt = 0; attempt < RANDOM_PROBES; attempt++) {
      const slot = Math.floor(Math.random() * bound);
      if (this.keyLength[slot] !== DEAD) return slot;
    }
    return this.nthLiveSlot(Math.floor(Math.random() * this.count));
  }

  /** The live slot with `n` live slots below it. */
  private nthLiveSlot(n: number): number {
    const lengths = this.keyLength;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      if (lengths[slot] !== DEAD && n-- === 0) return slot;
    }
    return -1;
  }

  /** Every live slot, ascending (for picks of many distinct entries). */
  liveSlots(): Int32Array {
    const out = new Int32Array(this.count);
    const lengths = this.keyLength;
    let n = 0;
    for (let slot = 0; slot < this.slotHighWater; slot++) if (lengths[slot] !== DEAD) out[n++] = slot;
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
    const lengths = this.keyLength;
    let slot = cursor < 0 ? 0 : cursor;
    for (; slot < bound && visited < wanted; slot++) {
      if (lengths[slot] === DEAD) {
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

  /** A deep copy with the same slots (COPY, the snapshot's preserved values). */
  clone(): Dict {
    const copy = new Dict(this.valueKind);
    copy.count = this.count;
    copy.slotHighWater = this.slotHighWater;
    copy.freeSlots = this.freeSlots.slice(0, this.freeCount);
    copy.freeCount = this.freeCount;
    copy.hashes = this.hashes.slice();
    copy.keyStart = this.keyStart.slice();
    copy.keyLength = this.keyLength.slice();
    copy.valueStart = this.valueStart.slice();
    copy.valueLength = this.valueLength.slice();
    copy.scores = this.scores.slice();
    copy.index = this.index.slice();
    copy.indexMask = this.indexMask;
    copy.arena = this.arena.slice(0, Math.max(this.arenaUsed, 1));
    copy.arenaUsed = this.arenaUsed;
    copy.garbage = this.garbage;
    return copy;
  }

  /** Bytes held by this dict's arrays (MEMORY USAGE, measurements). */
  memoryBytes(): number {
    return (
      this.hashes.byteLength +
      this.keyStart.byteLength +
      this.keyLength.byteLength +
      this.valueStart.byteLength +
      this.valueLength.byteLength +
      this.scores.byteLength +
      this.freeSlots.byteLength +
      this.index.byteLength +
      this.arena.byteLength
    );
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
    const lengths = this.keyLength;
    const hasValues = this.valueKind === "bytes";
    let at = 0;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      const keyLength = lengths[slot]!;
      if (keyLength === DEAD) continue;
      const keyStart = this.keyStart[slot]!;
      fresh.set(old.subarray(keyStart, keyStart + keyLength), at);
      this.keyStart[slot] = at;
      at += keyLength;
      if (hasValues) {
        const valueLength = this.valueLength[slot]!;
        if (valueLength === 0) continue;
        const valueStart = this.valueStart[slot]!;
        fresh.set(old.subarray(valueStart, valueStart + valueLength), at);
        this.valueStart[slot] = at;
        at += valueLength;
      }
    }
    this.arena = fresh;
    this.arenaUsed = at;
    this.garbage = 0;
  }

  private growSlots(): void {
    const capacity = this.hashes.length * 2;
    this.hashes = grownInt32(this.hashes, capacity);
    this.keyStart = grownUint32(this.keyStart, capacity);
    this.keyLength = grownUint32(this.keyLength, capacity);
    if (this.valueKind === "bytes") {
      this.valueStart = grownUint32(this.valueStart, capacity);
      this.valueLength = grownUint32(this.valueLength, capacity);
    } else if (this.valueKind === "score") {
      const scores = new Float64Array(capacity);
      scores.set(this.scores);
      this.scores = scores;
    }
  }

  private resizeIndex(size: number): void {
    const index = new Int32Array(size);
    const mask = size - 1;
    const lengths = this.keyLength;
    const hashes = this.hashes;
    for (let slot = 0; slot < this.slotHighWater; slot++) {
      if (lengths[slot] === DEAD) continue;
      let position = hashes[slot]! & mask;
      while (index[position] !== 0) position = (position + 1) & mask;
      index[position] = slot + 1;
    }
    this.index = index;
    this.indexMask = mask;
  }
}

function grownInt32(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}

function grownUint32(array: Uint32Array, capacity: number): Uint32Array {
  const grown = new Uint32Array(capacity);
  grown.set(array);
  return grown;
}
