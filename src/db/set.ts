// The set value (Redis's t_set.c). Two encodings, as in Redis 7.0 (which has no
// listpack sets), with its conversion rules:
//   - "intset" while every member is a canonical signed 64-bit integer (Redis's
//     string2ll: no '+', no leading zeros, no "-0") and the size is at most
//     set-max-intset-entries: one intset (intset.ts, Redis's layout), edited in place,
//     listed in ascending numeric order (SMEMBERS, SSCAN);
//   - "hashtable" after that, for good: a Dict (dict.ts) of the members, listed in
//     slot order.
// Adding a non-integer converts at once (no config is involved); the size limit is
// applied by convertIfNeeded(maxIntsetEntries), which callers run after adding.
// Neither encoding keeps a JS object per member. Saving copies an intset's bytes as the
// RDB intset blob; loading keeps a validated blob's bytes (decoder.ts).

import { Dict, forEachRandomDistinct } from "./dict.ts";
import { integerBytes, textToBytes } from "./bytes.ts";
import { objectBytes, typedArrayBytes } from "./object-size.ts";
import { parseIntegerKey } from "./listpack.ts";
import { intsetAdd, intsetBlobLen, intsetFind, intsetGet, intsetLen, intsetNew, intsetRemove, intsetShrinkToFit } from "./intset.ts";

/** SPOP with count pops one by one while count * this < size (SPOP_MOVE_STRATEGY_MUL). */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** Redis caps set-max-intset-entries here (intset internals). */
const MAX_INTSET_ENTRIES = 1 << 30;

export class RedisSet {
  readonly type = "set" as const;
  /** The members while intset-encoded. */
  private intset: Uint8Array;
  /** The members while hashtable-encoded. */
  private dict: Dict | null = null;

  constructor() {
    this.intset = intsetNew();
  }

  /** A set over an intset as loaded (validated); the array is kept, not copied. */
  static fromIntset(intset: Uint8Array): RedisSet {
    const set = new RedisSet();
    set.intset = intset;
    return set;
  }

  /** A hashtable-encoded set over a dict the loader filled (valueKind "none"). */
  static fromDict(dict: Dict): RedisSet {
    const set = new RedisSet();
    set.intset = EMPTY_INTSET;
    set.dict = dict;
    return set;
  }

  static fromMembers(members: Iterable<string>): RedisSet {
    const set = new RedisSet();
    for (const member of members) set.add(member);
    return set;
  }

  /** The bytes this set allocates (object-size.ts): its intset, or its dict. */
  memoryUsage(): number {
    const dict = this.dict;
    return objectBytes(3) + (dict !== null ? dict.memoryUsage() : typedArrayBytes(this.intset.byteLength));
  }

  /** A deep copy (COPY) with the same encoding: an intset's bytes, or the dict's arrays. */
  clone(): RedisSet {
    const copy = new RedisSet();
    if (this.dict !== null) {
      copy.intset = EMPTY_INTSET;
      copy.dict = this.dict.clone();
    } else copy.intset = intsetShrinkToFit(this.intset).slice();
    return copy;
  }

  /** intset -> hashtable only (SPOP with a large count may leave a fresh intset, as Redis does). */
  /** DEBUG HTSTATS-KEY: the hash table of the hashtable (or skiplist) encoding, else null. */
  statsDict(): Dict | null {
    return this.dict;
  }

  get encoding(): "intset" | "hashtable" {
    return this.dict !== null ? "hashtable" : "intset";
  }

  /** Setting "hashtable" converts (a test or tool building a value of that encoding); there is no way back. */
  set encoding(encoding: "intset" | "hashtable") {
    if (encoding === "hashtable") this.convert();
    else if (this.dict !== null) throw new Error("a hashtable-encoded set does not convert back to an intset");
  }

  get size(): number {
    return this.dict !== null ? this.dict.size : intsetLen(this.intset);
  }

  has(member: string): boolean {
    if (this.dict !== null) return this.dict.find(member) >= 0;
    const value = parseIntegerKey(member);
    return value !== null && intsetFind(this.intset, value);
  }

  /** Add a member; true when it was not there. A non-integer member turns an intset into a hashtable. */
  add(member: string): boolean {
    const dict = this.dict;
    if (dict !== null) {
      if (dict.find(member) >= 0) return false;
      dict.add(member);
      return true;
    }
    const value = parseIntegerKey(member);
    if (value === null) {
      this.convert();
      this.dict!.add(member);
      return true;
    }
    const grown = intsetAdd(this.intset, value);
    if (grown === null) return false;
    this.intset = grown;
    return true;
  }

  delete(member: string): boolean {
    if (this.dict !== null) return this.dict.delete(member);
    const value = parseIntegerKey(member);
    return value !== null && intsetRemove(this.intset, value);
  }

  /** Apply set-max-intset-entries after adding. Returns true when it converted. */
  convertIfNeeded(maxIntsetEntries: number): boolean {
    const limit = maxIntsetEntries < MAX_INTSET_ENTRIES ? maxIntsetEntries : MAX_INTSET_ENTRIES;
    if (this.dict === null && intsetLen(this.intset) > limit) {
      this.convert();
      return true;
    }
    return false;
  }

  /** setTypeConvert: the integers, ascending, into a dict sized for them. */
  convert(): void {
    if (this.dict !== null) return;
    const intset = this.intset;
    const length = intsetLen(intset);
    const dict = new Dict("none", length + 1);
    for (let i = 0; i < length; i++) dict.add(String(intsetGet(intset, i)));
    this.dict = dict;
    this.intset = EMPTY_INTSET;
  }

  /** The dict of a hashtable-encoded set, for the loader to go on filling: null for an intset. */
  dictForLoading(): Dict | null {
    return this.dict;
  }

  /** The intset's bytes while intset-encoded, for RDB and DUMP: a view. */
  intsetBytes(): Uint8Array | null {
    return this.dict !== null ? null : this.intset.subarray(0, intsetBlobLen(this.intset));
  }

  // ---- walking the set -----------------------------------------------------------------
  //
  // A position is an intset index or a dict slot, valid until the next write.

  memberAt(position: number): string {
    return this.dict !== null ? this.dict.keyAt(position) : String(intsetGet(this.intset, position));
  }

  /** The member's bytes: a view from a hashtable, fresh decimal text from an intset. */
  memberBytesAt(position: number): Uint8Array {
    if (this.dict !== null) return this.dict.keyBytesAt(position);
    const value = intsetGet(this.intset, position);
    return typeof value === "number" ? integerBytes(value) : textToBytes(value.toString());
  }

  /** Every position in the order Redis lists the set: ascending for an intset, slot order for a hashtable. */
  forEachPosition(visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachSlot(visit);
      return;
    }
    const length = intsetLen(this.intset);
    for (let i = 0; i < length; i++) visit(i);
  }

  forEach(visit: (member: string) => void): void {
    this.forEachPosition((position) => visit(this.memberAt(position)));
  }

  /** The members in the order Redis lists them (a fresh array). */
  orderedMembers(): string[] {
    const out: string[] = new Array(this.size);
    let n = 0;
    this.forEachPosition((position) => (out[n++] = this.memberAt(position)));
    return out;
  }

  /** A uniformly random position, -1 when empty. */
  randomPosition(): number {
    if (this.dict !== null) return this.dict.randomSlot();
    const length = intsetLen(this.intset);
    return length === 0 ? -1 : Math.floor(Math.random() * length);
  }

  /** One random member (SRANDMEMBER / SPOP without count), undefined when empty. */
  randomMember(): string | undefined {
    const position = this.randomPosition();
    return position < 0 ? undefined : this.memberAt(position);
  }

  /** SRANDMEMBER with a negative count: `count` independent picks, each visited as drawn. */
  forEachRandomPosition(count: number, visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachRandomSlot(count, visit);
      return;
    }
    const length = intsetLen(this.intset);
    if (length === 0) return;
    for (let i = 0; i < count; i++) visit(Math.floor(Math.random() * length));
  }

  /** SRANDMEMBER with a positive count below the size: `count` distinct members, random order. */
  forEachRandomDistinctPosition(count: number, visit: (position: number) => void): void {
    if (this.dict !== null) {
      this.dict.forEachRandomDistinctSlot(count, visit);
      return;
    }
    const length = intsetLen(this.intset);
    const positions = new Int32Array(length);
    for (let i = 0; i < length; i++) positions[i] = i;
    forEachRandomDistinct(positions, count, visit);
  }

  /** SPOP: remove and return one random member. */
  popRandom(): string | undefined {
    const member = this.randomMember();
    if (member !== undefined) this.delete(member);
    return member;
  }

  /**
   * SPOP with a count, as spopWithCountCommand (count >= size takes everything, in order): for a small count, members are
   * popped one by one (returned in the order drawn); otherwise the members that stay are
   * drawn into a fresh set (which may be an intset again), and the ones left behind are
   * returned in the old set's order, and the fresh set becomes this set.
   */
  popRandomMembers(count: number, maxIntsetEntries: number): string[] {
    const size = this.size;
    if (count >= size) {
      const all = this.orderedMembers();
      this.intset = intsetNew();
      this.dict = null;
      return all;
    }
    if (count * SPOP_MOVE_STRATEGY_MUL < size) {
      const popped: string[] = [];
      for (let i = 0; i < count; i++) popped.push(this.popRandom()!);
      return popped;
    }
    const remaining = new RedisSet();
    for (let i = size - count; i > 0; i--) {
      const member = this.popRandom()!;
      remaining.add(member);
      remaining.convertIfNeeded(maxIntsetEntries);
    }
    const popped = this.orderedMembers();
    this.intset = remaining.intset;
    this.dict = remaining.dict;
    return popped;
  }

  /** SSCAN step: an intset is visited whole with cursor 0, as in Redis; a hashtable about `count` members per call. */
  scan(cursor: number, count: number, visit: (position: number) => void): number {
    if (this.dict !== null) return this.dict.scan(cursor, count, visit);
    this.forEachPosition(visit);
    return 0;
  }
}

const EMPTY_INTSET = intsetNew(8);
