// The hash value, and the cursor index shared by the unordered collections.
//
// A hash is a Map from field (binary string) to value bytes. Map keeps insertion
// order, updates keep a field's place and a deleted-then-re-added field moves to
// the end: exactly what a Redis listpack does, so HGETALL on a small hash lists
// fields in the same order as Redis.
//
// SCAN cursors and random picks need positions, which a Map does not expose.
// KeyOrderIndex (below) keeps a side array of keys in insertion order, each tagged
// with a sequence number that never changes; a cursor is "the next sequence number
// to visit". It is built lazily (the first HSCAN/HRANDFIELD on a hash), then kept
// up to date by a Map subclass that sees every set/delete, including the ones the
// RDB loader makes straight on `map`. Chosen over a reverse-binary cursor over our
// own hash table because JS Maps are fast and compact and this costs ~16 bytes per
// key only for collections that are scanned.

const RANDOM_RETRIES_BEFORE_COMPACTION = 64;

export interface ScanPage {
  /** 0 when the iteration is complete. */
  cursor: number;
  keys: string[];
}

/**
 * Insertion-ordered index of a collection's keys with stable sequence numbers.
 *
 * Guarantees, like Redis SCAN: a key present from the first call to the last is
 * returned at least once; keys added or removed meanwhile may or may not be.
 * Removal leaves a dead slot that is skipped and later compacted away; a key
 * removed and added again gets a new slot at the end, and its old slot is dead.
 */
export class KeyOrderIndex {
  private keys: string[] = [];
  /** Strictly increasing; seqs[i] is the sequence number of keys[i]. */
  private seqs: number[] = [];
  private nextSeq = 1;
  private liveCount = 0;
  /** Keys removed since the last compaction: their old slots may still be in `keys`. */
  private removedSinceCompaction: Set<string> | null = null;
  /** For removed-then-re-added keys: the sequence number of the slot that is current. */
  private currentSeqOfReAdded: Map<string, number> | null = null;

  constructor(
    private readonly contains: (key: string) => boolean,
    initialKeys: Iterable<string>,
  ) {
    for (const key of initialKeys) {
      this.keys.push(key);
      this.seqs.push(this.nextSeq++);
      this.liveCount++;
    }
  }

  get size(): number {
    return this.liveCount;
  }

  /** Slots held, dead ones included (diagnostics: shows compaction at work). */
  get slotCount(): number {
    return this.keys.length;
  }

  noteAdded(key: string): void {
    const seq = this.nextSeq++;
    this.keys.push(key);
    this.seqs.push(seq);
    this.liveCount++;
    if (this.removedSinceCompaction !== null && this.removedSinceCompaction.has(key)) {
      (this.currentSeqOfReAdded ??= new Map()).set(key, seq);
    }
    if (this.keys.length > 2 * this.liveCount + 32) this.compact();
  }

  noteRemoved(key: string): void {
    this.liveCount--;
    (this.removedSinceCompaction ??= new Set()).add(key);
    if (this.keys.length > 4 * this.liveCount + 32) this.compact();
  }

  noteCleared(): void {
    this.keys = [];
    this.seqs = [];
    this.liveCount = 0;
    this.removedSinceCompaction = null;
    this.currentSeqOfReAdded = null;
  }

  /**
   * One SCAN step: about `count` keys from `cursor` on (0 starts a new iteration).
   * Returns the keys visited and the cursor to continue with (0 when done).
   */
  scan(cursor: number, count: number): ScanPage {
    const out: string[] = [];
    let i = cursor <= 0 ? 0 : this.firstSlotAtOrAfter(cursor);
    const wanted = count < 1 ? 1 : count;
    for (; i < this.keys.length && out.length < wanted; i++) {
      if (this.isCurrentSlot(i)) out.push(this.keys[i]!);
    }
    return { cursor: i < this.keys.length ? this.seqs[i]! : 0, keys: out };
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(): string | undefined {
    if (this.liveCount === 0) return undefined;
    for (let attempt = 0; ; attempt++) {
      // Dead slots are at most about three quarters of the array, so few retries are needed;
      // compacting guards against a pathological run.
      if (attempt === RANDOM_RETRIES_BEFORE_COMPACTION) this.compact();
      const i = Math.floor(Math.random() * this.keys.length);
      if (this.isCurrentSlot(i)) return this.keys[i]!;
    }
  }

  /** All live keys in insertion order. */
  liveKeys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.keys.length; i++) if (this.isCurrentSlot(i)) out.push(this.keys[i]!);
    return out;
  }

  /**
   * `count` distinct random keys (all of them, in order, when count >= size).
   * Like Redis: shuffle a copy when most keys are wanted, else sample with rejection.
   */
  randomDistinct(count: number): string[] {
    if (count <= 0) return [];
    if (count >= this.liveCount) return this.liveKeys();
    if (count * 3 > this.liveCount) {
      const all = this.liveKeys();
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (all.length - i));
        const picked = all[j]!;
        all[j] = all[i]!;
        all[i] = picked;
      }
      all.length = count;
      return all;
    }
    const picked = new Set<string>();
    while (picked.size < count) picked.add(this.randomKey()!);
    return [...picked];
  }

  /** `count` independent random picks (repetitions allowed). */
  randomWithRepetition(count: number): string[] {
    const out: string[] = [];
    if (this.liveCount === 0) return out;
    for (let i = 0; i < count; i++) out.push(this.randomKey()!);
    return out;
  }

  private isCurrentSlot(i: number): boolean {
    const key = this.keys[i]!;
    if (!this.contains(key)) return false;
    if (this.currentSeqOfReAdded === null) return true;
    const current = this.currentSeqOfReAdded.get(key);
    return current === undefined || current === this.seqs[i];
  }

  private firstSlotAtOrAfter(seq: number): number {
    let low = 0;
    let high = this.seqs.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.seqs[mid]! < seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Drop dead slots; live slots keep their sequence numbers so open cursors stay valid. */
  private compact(): void {
    const keys: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      if (this.isCurrentSlot(i)) {
        keys.push(this.keys[i]!);
        seqs.push(this.seqs[i]!);
      }
    }
    this.keys = keys;
    this.seqs = seqs;
    this.removedSinceCompaction = null;
    this.currentSeqOfReAdded = null;
  }
}

/**
 * The Map behind RedisHash.map: a real Map that also keeps the cursor index (when one
 * exists) and the longest field/value written since the last encoding check, whoever
 * writes to it.
 */
class HashFieldMap extends Map<string, Uint8Array> {
  orderIndex: KeyOrderIndex | null = null;
  longestWrittenSinceCheck = 0;

  override set(field: string, value: Uint8Array): this {
    const longest = field.length > value.length ? field.length : value.length;
    // Guarded: Map's constructor may call set() before the fields above are initialised.
    if (longest > this.longestWrittenSinceCheck) this.longestWrittenSinceCheck = longest;
    if (this.orderIndex && !super.has(field)) {
      super.set(field, value);
      this.orderIndex.noteAdded(field);
      return this;
    }
    return super.set(field, value);
  }

  override delete(field: string): boolean {
    const removed = super.delete(field);
    if (removed && this.orderIndex) this.orderIndex.noteRemoved(field);
    return removed;
  }

  override clear(): void {
    super.clear();
    if (this.orderIndex) this.orderIndex.noteCleared();
  }
}

export class RedisHash {
  readonly type = "hash" as const;
  /** What OBJECT ENCODING reports; listpack -> hashtable only, see convertIfNeeded. */
  encoding: "listpack" | "hashtable" = "listpack";
  /** field (binary string) -> value bytes, in insertion order. Writes here are tracked. */
  readonly map: Map<string, Uint8Array>;
  private readonly fields: HashFieldMap;

  constructor() {
    this.fields = new HashFieldMap();
    this.map = this.fields;
  }

  static fromEntries(entries: Iterable<readonly [string, Uint8Array]>): RedisHash {
    const hash = new RedisHash();
    for (const [field, value] of entries) hash.fields.set(field, value);
    return hash;
  }

  /** A deep copy (COPY): the fields in their order, values in arrays of their own, the same encoding. */
  clone(): RedisHash {
    const copy = new RedisHash();
    for (const [field, value] of this.fields) copy.fields.set(field, value.slice());
    copy.fields.longestWrittenSinceCheck = 0;
    copy.encoding = this.encoding;
    return copy;
  }

  get size(): number {
    return this.fields.size;
  }

  get(field: string): Uint8Array | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /** Set a field; true when the field is new (HSET counts those). */
  set(field: string, value: Uint8Array): boolean {
    const before = this.fields.size;
    this.fields.set(field, value);
    return this.fields.size !== before;
  }

  delete(field: string): boolean {
    return this.fields.delete(field);
  }

  /**
   * Convert listpack -> hashtable when the hash now has more than `maxEntries` fields
   * (hash-max-listpack-entries) or a field or value written since the previous check is
   * longer than `maxValueBytes` (hash-max-listpack-value). Like Redis, which checks the
   * arguments of each write, elements written before an earlier check are not re-examined.
   * Call it after every write (and once after loading). Returns true when it converted.
   */
  convertIfNeeded(maxEntries: number, maxValueBytes: number): boolean {
    const longest = this.fields.longestWrittenSinceCheck;
    this.fields.longestWrittenSinceCheck = 0;
    if (this.encoding !== "listpack") return false;
    if (this.fields.size > maxEntries || longest > maxValueBytes) {
      this.encoding = "hashtable";
      return true;
    }
    return false;
  }

  /** HRANDFIELD without count: one random field, undefined when empty. */
  randomField(): string | undefined {
    return this.index().randomKey();
  }

  /** HRANDFIELD with a positive count: up to `count` distinct fields. */
  randomFields(count: number): string[] {
    return this.index().randomDistinct(count);
  }

  /** HRANDFIELD with a negative count: exactly `count` picks, repetitions allowed. */
  randomFieldsWithRepetition(count: number): string[] {
    return this.index().randomWithRepetition(count);
  }

  /**
   * HSCAN step. A listpack hash is returned whole with cursor 0, as Redis does; a
   * hashtable hash is walked through the cursor index (about `count` fields per call).
   */
  scan(cursor: number, count: number): ScanPage {
    if (this.encoding === "listpack") return { cursor: 0, keys: [...this.fields.keys()] };
    return this.index().scan(cursor, count);
  }

  private index(): KeyOrderIndex {
    let index = this.fields.orderIndex;
    if (index === null) {
      const fields = this.fields;
      index = new KeyOrderIndex((field) => fields.has(field), fields.keys());
      fields.orderIndex = index;
    }
    return index;
  }
}
