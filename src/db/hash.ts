// The hash value (Redis's t_hash.c).
//
// A small hash is one listpack of field, value, field, value... (Redis's own layout,
// listpack.ts), edited where it lies as hashTypeSet edits it: a new field is appended
// with its value, an update replaces the value in place, HDEL deletes the pair. HGETALL
// lists the listpack in order, which is exactly what Redis shows. Past
// hash-max-listpack-entries fields, or once a field or value longer than
// hash-max-listpack-value is written, the pairs move to a Dict (dict.ts) for good, in
// listpack order, as hashTypeConvert does. Neither keeps a JS object per field: a
// listpack hash is one Uint8Array, a hashtable hash a handful of typed arrays.
//
// Saving copies a listpack hash's bytes as the RDB listpack blob; loading keeps a
// validated blob's bytes as the hash's listpack (decoder.ts).

import { Dict, forEachRandomDistinct, forEachRandomDistinctInOrder } from "./dict.ts";
import { bytesToKey, integerBytes, ownBytes, textToBytes } from "./bytes.ts";
import { objectBytes, typedArrayBytes } from "./object-size.ts";
import {
  lpAppend,
  lpBytes,
  lpDeleteRange,
  lpFind,
  lpFirst,
  lpGet,
  lpGetBytes,
  lpGetKey,
  lpLength,
  lpNew,
  lpNext,
  lpReplace,
  lpSeek,
  lpShrinkToFit,
  lpWriteEntryReply,
  type BulkReplySink,
} from "./listpack.ts";

// ---- the hash ------------------------------------------------------------------------

/** lpSafeToAdd's bound: a listpack never grows past 1 GiB; beyond, the hash converts. */
const LISTPACK_MAX_SAFETY_SIZE = 1 << 30;
/** Room a new hash's listpack starts with: a few short fields without growing. */
const NEW_LISTPACK_BYTES = 64;

export class RedisHash {
  readonly type = "hash" as const;
  /** The pairs field, value, field, value... while the encoding is listpack (else empty). */
  private listpack: Uint8Array = EMPTY_LISTPACK;
  /** field -> value while the encoding is hashtable. */
  private dict: Dict | null = null;
  /** The longest field or value written since the last convertIfNeeded. */
  private longestWrittenSinceCheck = 0;

  /** `capacity`: the listpack's first size (a new hash given all its pairs at once is made their size). */
  constructor(capacity = NEW_LISTPACK_BYTES) {
    this.listpack = lpNew(capacity);
  }

  /**
   * A hash over a listpack of field/value pairs as loaded (validated, pairs, no duplicate
   * fields: the loader checked). The array is kept as it is, not copied.
   */
  static fromListpack(listpack: Uint8Array): RedisHash {
    const hash = new RedisHash();
    hash.listpack = listpack;
    return hash;
  }

  /** A hashtable-encoded hash over a dict the loader filled (valueKind "bytes"). */
  static fromDict(dict: Dict): RedisHash {
    const hash = new RedisHash();
    hash.listpack = EMPTY_LISTPACK;
    hash.dict = dict;
    return hash;
  }

  static fromEntries(entries: Iterable<readonly [string, Uint8Array]>): RedisHash {
    const hash = new RedisHash();
    for (const [field, value] of entries) hash.set(field, value);
    return hash;
  }

  /** A deep copy (COPY): the same fields in the same order, the same encoding. */
  clone(): RedisHash {
    const copy = new RedisHash();
    if (this.dict !== null) {
      copy.listpack = EMPTY_LISTPACK;
      copy.dict = this.dict.clone();
    } else copy.listpack = lpShrinkToFit(this.listpack).slice();
    return copy;
  }

  /** DEBUG HTSTATS-KEY: the hash table of the hashtable (or skiplist) encoding, else null. */
  statsDict(): Dict | null {
    return this.dict;
  }

  /** What OBJECT ENCODING reports; listpack -> hashtable only, see convertIfNeeded. */
  get encoding(): "listpack" | "hashtable" {
    return this.dict !== null ? "hashtable" : "listpack";
  }

  /** Setting "hashtable" converts (a test or tool building a value of that encoding); there is no way back. */
  set encoding(encoding: "listpack" | "hashtable") {
    if (encoding === "hashtable") this.convert();
    else if (this.dict !== null) throw new Error("a hashtable-encoded hash does not convert back to a listpack");
  }

  get size(): number {
    return this.dict !== null ? this.dict.size : lpLength(this.listpack) >>> 1;
  }

  /** The bytes this hash allocates (object-size.ts): its listpack at its capacity, or its dict. */
  memoryUsage(): number {
    const dict = this.dict;
    return objectBytes(4) + (dict !== null ? dict.memoryUsage() : typedArrayBytes(this.listpack.byteLength));
  }

  /** The value of `field`: a copy from a listpack, a view (see Dict.valueAt) from a hashtable. */
  get(field: string): Uint8Array | undefined {
    const dict = this.dict;
    if (dict !== null) {
      const slot = dict.find(field);
      return slot < 0 ? undefined : dict.valueAt(slot);
    }
    const p = this.findField(field);
    return p < 0 ? undefined : lpGetBytes(this.listpack, lpNext(this.listpack, p));
  }

  /**
   * HGET/HMGET: the value of the field named by a command's argument, written as a bulk
   * reply straight from the listpack (no string of the field, no copy of the value);
   * false, nothing written, when the field is missing.
   */
  writeValue(sink: BulkReplySink, field: Uint8Array): boolean {
    const dict = this.dict;
    if (dict !== null) {
      const slot = dict.find(bytesToKey(field));
      if (slot < 0) return false;
      sink.bulk(dict.valueAt(slot));
      return true;
    }
    const p = this.findField(field);
    if (p < 0) return false;
    lpWriteEntryReply(sink, this.listpack, lpNext(this.listpack, p));
    return true;
  }

  has(field: string): boolean {
    return this.dict !== null ? this.dict.find(field) >= 0 : this.findField(field) >= 0;
  }

  /** has() for a field given as a command's argument (HSETNX): no string of it. */
  hasBytes(field: Uint8Array): boolean {
    return this.dict !== null ? this.dict.findBytes(field) >= 0 : this.findField(field) >= 0;
  }

  /** Set a field; true when the field is new (HSET counts those). */
  set(field: string, value: Uint8Array): boolean {
    const dict = this.dict;
    // A hashtable never converts back, so only a listpack notes the longest write.
    if (dict === null) return this.setInListpack(field, value);
    let slot = dict.find(field);
    const created = slot < 0;
    if (created) slot = dict.add(field);
    dict.setValue(slot, value);
    return created;
  }

  /**
   * set() for a command's arguments: a listpack hash finds and copies the field's bytes
   * as they are, with no string made of them (HSET of a new job hash writes ten fields).
   */
  setBytes(field: Uint8Array, value: Uint8Array): boolean {
    return this.dict === null ? this.setInListpack(field, value) : this.set(bytesToKey(field), ownBytes(value));
  }

  /** As hashTypeSet: the value replaced where it is, or the pair appended at the tail. */
  private setInListpack(field: string | Uint8Array, value: Uint8Array): boolean {
    const longest = field.length > value.length ? field.length : value.length;
    if (longest > this.longestWrittenSinceCheck) this.longestWrittenSinceCheck = longest;
    const p = this.findField(field);
    if (p >= 0) {
      this.listpack = lpReplace(this.listpack, lpNext(this.listpack, p), value);
      return false;
    }
    this.listpack = lpAppend(lpAppend(this.listpack, field), value);
    return true;
  }

  delete(field: string): boolean {
    if (this.dict !== null) return this.dict.delete(field);
    const p = this.findField(field);
    if (p < 0) return false;
    this.listpack = lpDeleteRange(this.listpack, p, 2);
    return true;
  }

  private findField(field: string | Uint8Array): number {
    const listpack = this.listpack;
    return lpFind(listpack, lpFirst(listpack), field, 1);
  }

  /**
   * Convert listpack -> hashtable when the hash now has more than `maxEntries` fields
   * (hash-max-listpack-entries) or a field or value written since the previous check is
   * longer than `maxValueBytes` (hash-max-listpack-value). Like Redis, which checks the
   * arguments of each write (hashTypeTryConversion, and hashTypeSet for HINCRBY*), fields
   * written before an earlier check are not re-examined. Converting after the write
   * instead of before leaves the same hash: the pairs keep their order either way.
   * Call it after every write. Returns true when it converted.
   */
  convertIfNeeded(maxEntries: number, maxValueBytes: number): boolean {
    const longest = this.longestWrittenSinceCheck;
    this.longestWrittenSinceCheck = 0;
    if (this.dict !== null) return false;
    if (this.size > maxEntries || longest > maxValueBytes || lpBytes(this.listpack) > LISTPACK_MAX_SAFETY_SIZE) {
      this.convert();
      return true;
    }
    return false;
  }

  /** hashTypeConvert: the pairs into a dict, in listpack order (so slot order is the old order). */
  convert(): void {
    if (this.dict !== null) return;
    const listpack = this.listpack;
    const dict = new Dict("bytes", this.size);
    for (let p = lpFirst(listpack); p >= 0; ) {
      const slot = addEntryKey(dict, listpack, p);
      const valueAt = lpNext(listpack, p);
      setEntryValue(dict, slot, listpack, valueAt);
      p = lpNext(listpack, valueAt);
    }
    this.dict = dict;
    this.listpack = EMPTY_LISTPACK;
  }

  /** The listpack's bytes (header to terminator) while listpack-encoded, for RDB and DUMP: a view. */
  listpackBytes(): Uint8Array | null {
    return this.dict !== null ? null : this.listpack.subarray(0, lpBytes(this.listpack));
  }

  // ---- walking the hash --------------------------------------------------------------
  //
  // A position is a number that stays valid until the next write: a listpack offset (of
  // the field entry) or a dict slot. Readers go through fieldAt/valueAt, so no object
  // per element is made unless the reader asks for one.

  fieldAt(position: number): string {
    return this.dict !== null ? this.dict.keyAt(position) : lpGetKey(this.listpack, position);
  }

  /** The field's bytes: a view from a hashtable, a copy from a listpack. */
  fieldBytesAt(position: number): Uint8Array {
    return this.dict !== null ? this.dict.keyBytesAt(position) : lpGetBytes(this.listpack, position);
  }

  valueAt(position: number): Uint8Array {
    if (this.dict !== null) return this.dict.valueAt(position);
    return lpGetBytes(this.listpack, lpNext(this.listpack, position));
  }

  /** The field at `position` as a bulk reply, from the listpack's bytes or the dict's (HGETALL, HKEYS). */
  writeFieldAt(sink: BulkReplySink, position: number): void {
    if (this.dict !== null) sink.bulk(this.dict.keyBytesAt(position));
    else lpWriteEntryReply(sink, this.listpack, position);
  }

  /** The value at `position` as a bulk reply (HGETALL, HVALS). */
  writeValueAt(sink: BulkReplySink, position: number): void {
    if (this.dict !== null) sink.bulk(this.dict.valueAt(position));
    else lpWriteEntryReply(sink, this.listpack, lpNext(this.listpack, position));
  }

  /** Every position, in HGETALL order: listpack order, or slot order for a hashtable. */
  forEachPosition(visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachSlot(visit);
      return;
    }
    const listpack = this.listpack;
    for (let p = lpFirst(listpack); p >= 0; p = lpNext(listpack, lpNext(listpack, p))) visit(p);
  }

  /** Every pair in HGETALL order. */
  forEach(visit: (field: string, value: Uint8Array) => void): void {
    this.forEachPosition((position) => visit(this.fieldAt(position), this.valueAt(position)));
  }

  /** The position of a uniformly random field, -1 when empty (HRANDFIELD without count). */
  randomPosition(): number {
    if (this.dict !== null) return this.dict.randomSlot();
    const size = this.size;
    return size === 0 ? -1 : lpSeek(this.listpack, 2 * Math.floor(Math.random() * size));
  }

  /** HRANDFIELD with a negative count: `count` independent picks, each visited as drawn. */
  forEachRandomPosition(count: number, visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachRandomSlot(count, visit);
      return;
    }
    const positions = this.fieldPositions();
    if (positions.length === 0) return;
    for (let i = 0; i < count; i++) visit(positions[Math.floor(Math.random() * positions.length)]!);
  }

  /**
   * HRANDFIELD with a positive count below the size: `count` distinct fields. A listpack
   * sampled for at most a third of its fields answers in listpack order, as Redis's
   * lpRandomPairsUnique does; otherwise the order is random (Redis's is a dict's order).
   */
  forEachRandomDistinctPosition(count: number, visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachRandomDistinctSlot(count, visit);
      return;
    }
    const positions = this.fieldPositions();
    if (count * 3 <= positions.length) forEachRandomDistinctInOrder(positions, count, visit);
    else forEachRandomDistinct(positions, count, visit);
  }

  private fieldPositions(): Int32Array {
    const positions = new Int32Array(this.size);
    let n = 0;
    this.forEachPosition((p) => (positions[n++] = p));
    return positions;
  }

  /**
   * HSCAN step: visits positions and returns the cursor to continue with. A listpack
   * hash is visited whole with cursor 0, as Redis does; a hashtable hash about `count`
   * fields from slot `cursor` on.
   */
  scan(cursor: number, count: number, visit: (position: number) => void): number {
    if (this.dict !== null) return this.dict.scan(cursor, count, visit);
    this.forEachPosition(visit);
    return 0;
  }
}

const EMPTY_LISTPACK = lpNew(0);

/** Adds the listpack entry at p as a key of `dict`; returns its slot. */
export function addEntryKey(dict: Dict, listpack: Uint8Array, p: number): number {
  const entry = lpGet(listpack, p);
  if (entry.stringStart >= 0) return dict.addBytes(listpack, entry.stringStart, entry.stringStart + entry.stringLength);
  return dict.add(entry.bigInteger !== null ? entry.bigInteger.toString() : String(entry.integer));
}

function setEntryValue(dict: Dict, slot: number, listpack: Uint8Array, p: number): void {
  const entry = lpGet(listpack, p);
  if (entry.stringStart >= 0) dict.setValue(slot, listpack, entry.stringStart, entry.stringStart + entry.stringLength);
  else dict.setValue(slot, entry.bigInteger !== null ? textToBytes(entry.bigInteger.toString()) : integerBytes(entry.integer));
}
