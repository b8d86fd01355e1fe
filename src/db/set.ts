// The set value.
//
// Members are binary strings in a JS Set. The encoding is only a label, but it
// changes what users see, so it follows Redis 7.0 exactly:
//   - "intset" while every member is a canonical signed 64-bit integer (Redis's
//     string2ll: no '+', no leading zeros, no "-0") and the size is at most
//     set-max-intset-entries; an intset is listed in ascending numeric order
//     (SMEMBERS, SSCAN, SRANDMEMBER with count >= size);
//   - "hashtable" after that, for good (7.0 has no listpack sets).
// Adding a non-integer converts at once (no config is involved); the size limit is
// applied by convertIfNeeded(maxIntsetEntries), which callers run after adding.
// Random picks and SSCAN cursors on hashtable sets go through KeyOrderIndex.

import { KeyOrderIndex, type ScanPage } from "./hash.ts";

const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/**
 * True when the binary string is the canonical decimal form of a signed 64-bit integer,
 * i.e. what Redis's string2ll accepts (and so what an intset can hold).
 */
export function isCanonicalInt64(member: string): boolean {
  const length = member.length;
  if (length === 0 || length > 20) return false;
  let i = 0;
  const negative = member.charCodeAt(0) === 45; /* - */
  if (negative) {
    if (length === 1) return false;
    i = 1;
  }
  const first = member.charCodeAt(i);
  if (first === 48 /* 0 */) return length === 1;
  if (first < 49 || first > 57) return false;
  for (let j = i + 1; j < length; j++) {
    const c = member.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  const digits = length - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  // 19 digits: compare against the int64 bounds as strings of equal length.
  const body = negative ? member.slice(1) : member;
  return body <= (negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS);
}

/** Numeric value of a canonical integer member, exact (bigint beyond 2^53). */
function integerValue(member: string): number | bigint {
  const asNumber = Number(member);
  return Number.isSafeInteger(asNumber) ? asNumber : BigInt(member);
}

/**
 * The Set behind RedisSet.members: a real Set that also converts the owner out of
 * intset on a non-integer member and keeps the cursor index and the sorted-intset
 * cache current, whoever writes to it.
 */
class SetMembers extends Set<string> {
  orderIndex: KeyOrderIndex | null = null;
  sortedCache: string[] | null = null;

  constructor(private readonly owner: RedisSet) {
    super();
  }

  override add(member: string): this {
    if (super.has(member)) return this;
    super.add(member);
    if (this.owner.encoding === "intset" && !isCanonicalInt64(member)) this.owner.encoding = "hashtable";
    this.sortedCache = null;
    if (this.orderIndex) this.orderIndex.noteAdded(member);
    return this;
  }

  override delete(member: string): boolean {
    const removed = super.delete(member);
    if (removed) {
      this.sortedCache = null;
      if (this.orderIndex) this.orderIndex.noteRemoved(member);
    }
    return removed;
  }

  override clear(): void {
    super.clear();
    this.sortedCache = null;
    if (this.orderIndex) this.orderIndex.noteCleared();
  }
}

export class RedisSet {
  readonly type = "set" as const;
  /** intset -> hashtable only. A new set is an intset until a non-integer arrives. */
  encoding: "intset" | "hashtable" = "intset";
  /** Members as binary strings. Writes here are tracked (encoding, cursor index). */
  readonly members: Set<string>;
  private readonly memberSet: SetMembers;

  constructor() {
    this.memberSet = new SetMembers(this);
    this.members = this.memberSet;
  }

  static fromMembers(members: Iterable<string>): RedisSet {
    const set = new RedisSet();
    for (const member of members) set.memberSet.add(member);
    return set;
  }

  /**
   * A set of the canonical integers `members`, given in strictly ascending order
   * (an RDB intset). The order is kept as the sorted-intset cache, so SMEMBERS on
   * a freshly loaded set does not sort it again.
   */
  static fromAscendingIntegers(members: readonly string[], encoding: "intset" | "hashtable"): RedisSet {
    const set = new RedisSet();
    const memberSet = set.memberSet;
    for (let i = 0; i < members.length; i++) memberSet.add(members[i]!);
    set.encoding = encoding;
    if (encoding === "intset" && memberSet.size === members.length) memberSet.sortedCache = members.slice();
    return set;
  }

  /**
   * A deep copy (COPY) with the same encoding. An intset copy holds its members in
   * ascending order, as Redis copies the intset's bytes.
   */
  clone(): RedisSet {
    if (this.encoding === "intset") return RedisSet.fromAscendingIntegers(this.orderedMembers(), "intset");
    const copy = RedisSet.fromMembers(this.memberSet);
    copy.encoding = "hashtable";
    return copy;
  }

  get size(): number {
    return this.memberSet.size;
  }

  has(member: string): boolean {
    return this.memberSet.has(member);
  }

  /** Add a member; true when it was not there. A non-integer member turns an intset into a hashtable. */
  add(member: string): boolean {
    const before = this.memberSet.size;
    this.memberSet.add(member);
    return this.memberSet.size !== before;
  }

  delete(member: string): boolean {
    return this.memberSet.delete(member);
  }

  /** Apply set-max-intset-entries after adding. Returns true when it converted. */
  convertIfNeeded(maxIntsetEntries: number): boolean {
    if (this.encoding === "intset" && this.memberSet.size > maxIntsetEntries) {
      this.encoding = "hashtable";
      return true;
    }
    return false;
  }

  /**
   * Members in the order Redis lists them: ascending numeric for an intset,
   * insertion order for a hashtable (Redis's is arbitrary). The array is shared
   * with an internal cache: do not modify it.
   */
  orderedMembers(): readonly string[] {
    if (this.encoding !== "intset") return [...this.memberSet];
    let sorted = this.memberSet.sortedCache;
    if (sorted === null) {
      const decorated = [...this.memberSet].map((member) => ({ member, value: integerValue(member) }));
      // Mixed number/bigint comparisons are exact in JS.
      decorated.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      sorted = decorated.map((d) => d.member);
      this.memberSet.sortedCache = sorted;
    }
    return sorted;
  }

  /** One random member (SRANDMEMBER / SPOP without count), undefined when empty. */
  randomMember(): string | undefined {
    return this.index().randomKey();
  }

  /** Up to `count` distinct random members (SRANDMEMBER with positive count, SPOP with count). */
  randomMembers(count: number): string[] {
    if (count >= this.memberSet.size) return [...this.orderedMembers()];
    return this.index().randomDistinct(count);
  }

  /** Exactly `count` random members, repetitions allowed (SRANDMEMBER with negative count). */
  randomMembersWithRepetition(count: number): string[] {
    return this.index().randomWithRepetition(count);
  }

  /** SPOP: remove and return one random member. */
  popRandom(): string | undefined {
    const member = this.randomMember();
    if (member !== undefined) this.memberSet.delete(member);
    return member;
  }

  /** SPOP with count: remove and return up to `count` distinct random members. */
  popRandomMembers(count: number): string[] {
    const picked = this.randomMembers(count);
    for (const member of picked) this.memberSet.delete(member);
    return picked;
  }

  /** SSCAN step: an intset comes back whole and sorted with cursor 0, as in Redis. */
  scan(cursor: number, count: number): ScanPage {
    if (this.encoding === "intset") return { cursor: 0, keys: [...this.orderedMembers()] };
    return this.index().scan(cursor, count);
  }

  private index(): KeyOrderIndex {
    let index = this.memberSet.orderIndex;
    if (index === null) {
      const members = this.memberSet;
      index = new KeyOrderIndex((member) => members.has(member), members.values());
      members.orderIndex = index;
    }
    return index;
  }
}
