// The sorted set value: a skiplist with spans (rank in O(log n)) plus a member index.
//
// This follows Redis's t_zset.c skiplist (Pugh's skiplist with a backward link on
// level 0 and a span per forward link, p = 1/4): ordering is by score, ties broken
// by member bytes (memcmp). Members are binary strings, whose JS `<` is memcmp
// order. Range searches mirror zslFirstInRange/zslLastInRange and the lex variants,
// so results match Redis even where Redis documents them as unspecified (lex ranges
// over members with different scores).
//
// The same structure serves both encodings; `encoding` is the label OBJECT
// ENCODING reports and the RDB encoder reads. It moves listpack -> skiplist when the
// set grows past zset-max-listpack-entries or gets a member longer than
// zset-max-listpack-value; convertToListpackIfFits() is the reverse step Redis
// takes for ZUNIONSTORE/ZRANGESTORE results and on load.
//
// NaN scores never enter: callers reject them (addWithFlags reports "nan").

import { KeyOrderIndex, type ScanPage } from "./hash.ts";

const MAX_LEVEL = 32;
/** Levels above this are never drawn: 4^16 elements would be needed to use them. */
const MAX_DRAWN_LEVEL = 16;

// Templates the multi-level node arrays are sliced from (dense arrays of one element kind).
const NULL_LINKS: (SkipNode | null)[] = [];
const ZERO_SPANS: number[] = [];
for (let i = 0; i < MAX_LEVEL; i++) {
  NULL_LINKS.push(null);
  ZERO_SPANS.push(0);
}

class SkipNode {
  readonly next: (SkipNode | null)[];
  readonly span: number[];
  prev: SkipNode | null = null;

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    // Three nodes in four have one level: literals are the cheapest arrays to make.
    if (level === 1) {
      this.next = [null];
      this.span = [0];
    } else {
      this.next = NULL_LINKS.slice(0, level);
      this.span = ZERO_SPANS.slice(0, level);
    }
  }
}

/** Level of a new node: 1 + number of leading "heads" with probability 1/4 each. */
function randomLevel(): number {
  let level = 1;
  let bits = (Math.random() * 0x100000000) >>> 0;
  while ((bits & 3) === 0 && level < MAX_DRAWN_LEVEL) {
    level++;
    bits >>>= 2;
  }
  return level;
}

/** True when (score, member) of `node` sorts strictly before (score, member). */
function nodeBefore(node: SkipNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

// Scratch vectors for insert/delete paths: operations never nest (they call out to nothing),
// so one set serves all sets.
// Filled up front so they stay dense arrays of one element kind.
const scratchFiller = new SkipNode("", 0, 1);
const updateScratch: SkipNode[] = [];
const rankScratch: number[] = [];
for (let i = 0; i < MAX_LEVEL; i++) {
  updateScratch.push(scratchFiller);
  rankScratch.push(0);
}

/** A bound of a ZRANGEBYLEX-style range: '-' / '+' (infinity -1 / 1), '[x' or '(x'. */
export interface LexBound {
  infinity: -1 | 0 | 1;
  /** The member bytes as a binary string ("" for the infinities). */
  value: string;
  /** '(' bounds; the infinities count as exclusive, as in Redis. */
  exclusive: boolean;
}

export const LEX_MIN: LexBound = Object.freeze({ infinity: -1, value: "", exclusive: true });
export const LEX_MAX: LexBound = Object.freeze({ infinity: 1, value: "", exclusive: true });

/**
 * Parse one lex range item as Redis's zslParseLexRangeItem does: "-" / "+" (the byte
 * after the sign may only be the end of the C string), "[member" or "(member".
 * Returns null for anything else (the command replies "min or max not valid string range item").
 */
export function parseLexBound(item: Uint8Array): LexBound | null {
  if (item.length === 0) return null;
  const first = item[0]!;
  if (first === 43 /* + */ || first === 45 /* - */) {
    if (item.length > 1 && item[1] !== 0) return null;
    return first === 43 ? LEX_MAX : LEX_MIN;
  }
  if (first !== 40 /* ( */ && first !== 91 /* [ */) return null;
  const value = Buffer.prototype.latin1Slice.call(item, 1, item.length) as string;
  return { infinity: 0, value, exclusive: first === 40 };
}

/** Redis's sdscmplex extended to two bounds: the infinities only equal themselves. */
function compareLexBounds(a: LexBound, b: LexBound): number {
  if (a.infinity !== 0 && a.infinity === b.infinity) return 0;
  if (a.infinity === -1 || b.infinity === 1) return -1;
  if (a.infinity === 1 || b.infinity === -1) return 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

function compareMemberToBound(member: string, bound: LexBound): number {
  if (bound.infinity !== 0) return -bound.infinity;
  return member < bound.value ? -1 : member > bound.value ? 1 : 0;
}

function lexGteMin(member: string, min: LexBound): boolean {
  const cmp = compareMemberToBound(member, min);
  return min.exclusive ? cmp > 0 : cmp >= 0;
}

function lexLteMax(member: string, max: LexBound): boolean {
  const cmp = compareMemberToBound(member, max);
  return max.exclusive ? cmp < 0 : cmp <= 0;
}

function scoreGteMin(score: number, min: number, minExclusive: boolean): boolean {
  return minExclusive ? score > min : score >= min;
}

function scoreLteMax(score: number, max: number, maxExclusive: boolean): boolean {
  return maxExclusive ? score < max : score <= max;
}

export interface ZAddFlags {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  incr?: boolean;
}

/**
 * What one ZADD element did, as Redis's zsetAdd out-flags:
 * added / updated (score changed) / unchanged (same score) / skipped (NX, XX, GT, LT said no)
 * / nan (the increment produced NaN; nothing changed).
 */
export type ZAddOutcome = "added" | "updated" | "unchanged" | "skipped" | "nan";

export interface ZAddResult {
  outcome: ZAddOutcome;
  /**
   * The score the element was set to (for added/updated/unchanged: what ZADD INCR replies);
   * NaN for skipped and nan, where ZADD INCR replies nil or an error.
   */
  score: number;
}

export type ScoredMember = [member: string, score: number];

export class RedisZSet {
  readonly type = "zset" as const;
  /** listpack -> skiplist as it grows; see convertIfNeeded / convertToListpackIfFits. */
  encoding: "listpack" | "skiplist" = "listpack";

  /** Its arrays grow with `level` (insertNode): most sets never need more than a few levels. */
  private readonly header = new SkipNode("", 0, 1);
  private tail: SkipNode | null = null;
  private level = 1;
  /** Linked nodes; differs from nodes.size only while a node is being moved. */
  private length = 0;
  private readonly nodes = new Map<string, SkipNode>();
  private orderIndex: KeyOrderIndex | null = null;
  /** Longest member inserted since the last convertIfNeeded (Redis checks each added member). */
  private longestAddedSinceCheck = 0;

  static fromEntries(entries: Iterable<readonly [string, number]>): RedisZSet {
    const zset = new RedisZSet();
    for (const [member, score] of entries) zset.add(member, score);
    return zset;
  }

  /**
   * A deep copy (COPY) with the same encoding. As Redis's zsetDup, a skiplist is copied
   * from the highest element down; a listpack copy has no -0 (a listpack holds scores
   * as text, where -0 is "0").
   */
  clone(): RedisZSet {
    const copy = new RedisZSet();
    if (this.encoding === "listpack") this.forEachAscending((member, score) => copy.add(member, score === 0 ? 0 : score));
    else this.forEachDescending((member, score) => copy.add(member, score));
    copy.longestAddedSinceCheck = 0;
    copy.encoding = this.encoding;
    return copy;
  }

  get size(): number {
    return this.nodes.size;
  }

  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  has(member: string): boolean {
    return this.nodes.has(member);
  }

  /** Ascending (score, then member bytes). */
  *[Symbol.iterator](): Iterator<[member: string, score: number]> {
    for (let node: SkipNode | null = this.header.next[0]; node !== null; node = node.next[0]) {
      yield [node.member, node.score];
    }
  }

  /** Calls `visit` for every element in ascending order (no iterator objects: the RDB encoder's loop). */
  forEachAscending(visit: (member: string, score: number) => void): void {
    for (let node: SkipNode | null = this.header.next[0]; node !== null; node = node.next[0]) visit(node.member, node.score);
  }

  /** forEachAscending from the highest element down. */
  forEachDescending(visit: (member: string, score: number) => void): void {
    for (let node = this.tail; node !== null; node = node.prev) visit(node.member, node.score);
  }

  /** Descending: the order the RDB encoder writes ZSET_2 in. */
  *descending(): Generator<[member: string, score: number], void, undefined> {
    for (let node = this.tail; node !== null; node = node.prev) yield [node.member, node.score];
  }

  /** Insert or update without conditions. */
  add(member: string, score: number): "added" | "updated" | "unchanged" {
    const node = this.nodes.get(member);
    if (node === undefined) {
      this.insertNew(member, score);
      return "added";
    }
    if (node.score === score) return "unchanged";
    this.moveToScore(node, score);
    return "updated";
  }

  /** ZADD / ZINCRBY for one element, with Redis's zsetAdd semantics for NX/XX/GT/LT/INCR. */
  addWithFlags(member: string, score: number, flags: ZAddFlags): ZAddResult {
    if (Number.isNaN(score)) return { outcome: "nan", score: NaN };
    const node = this.nodes.get(member);
    if (node !== undefined) {
      if (flags.nx) return { outcome: "skipped", score: NaN };
      const current = node.score;
      let wanted = score;
      if (flags.incr) {
        wanted = current + score;
        if (Number.isNaN(wanted)) return { outcome: "nan", score: NaN };
      }
      if ((flags.lt && wanted >= current) || (flags.gt && wanted <= current)) return { outcome: "skipped", score: NaN };
      // -0 and 0 compare equal: the stored score keeps its sign, as in Redis.
      if (wanted === current) return { outcome: "unchanged", score: wanted };
      this.moveToScore(node, wanted);
      return { outcome: "updated", score: wanted };
    }
    if (flags.xx) return { outcome: "skipped", score: NaN };
    this.insertNew(member, score);
    return { outcome: "added", score };
  }

  delete(member: string): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) return false;
    this.findPath(node.score, member);
    this.unlinkNode(node);
    this.forget(node);
    return true;
  }

  /**
   * listpack -> skiplist when the set has more than `maxEntries` members
   * (zset-max-listpack-entries) or a member added since the previous check is longer than
   * `maxValueBytes` (zset-max-listpack-value). Call after adding. True when it converted.
   */
  convertIfNeeded(maxEntries: number, maxValueBytes: number): boolean {
    const longest = this.longestAddedSinceCheck;
    this.longestAddedSinceCheck = 0;
    if (this.encoding !== "listpack") return false;
    if (this.nodes.size > maxEntries || longest > maxValueBytes) {
      this.encoding = "skiplist";
      return true;
    }
    return false;
  }

  /**
   * skiplist -> listpack when everything fits (Redis's zsetConvertToListpackIfNeeded, used for
   * ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE/ZRANGESTORE results and when loading). True when it converted.
   * A listpack stores an integral score as an integer (zzlInsertAt), so a -0 score becomes 0;
   * the order is unchanged, as 0 and -0 compare equal.
   */
  convertToListpackIfFits(maxEntries: number, maxValueBytes: number): boolean {
    if (this.encoding === "listpack" || this.nodes.size > maxEntries) return false;
    for (const member of this.nodes.keys()) if (member.length > maxValueBytes) return false;
    this.encoding = "listpack";
    for (let node: SkipNode | null = this.header.next[0]; node !== null; node = node.next[0]) {
      if (Object.is(node.score, -0)) node.score = 0;
    }
    return true;
  }

  /** 0-based rank in ascending order (descending when `reverse`), undefined when absent. */
  rank(member: string, reverse = false): number | undefined {
    const node = this.nodes.get(member);
    if (node === undefined) return undefined;
    const rank = this.rankOf(node) - 1;
    return reverse ? this.nodes.size - 1 - rank : rank;
  }

  /** Element at a 0-based ascending rank. */
  atRank(rank: number): ScoredMember | undefined {
    if (rank < 0 || rank >= this.nodes.size) return undefined;
    const node = this.nodeAtRank(rank + 1)!;
    return [node.member, node.score];
  }

  /**
   * ZRANGE by rank on normalised indexes 0 <= start <= stop < size. With `reverse`, ranks
   * count from the highest score and elements come highest first (ZREVRANGE).
   */
  rangeByRank(start: number, stop: number, reverse = false): ScoredMember[] {
    const out: ScoredMember[] = [];
    const size = this.nodes.size;
    if (start < 0) start = 0;
    if (stop >= size) stop = size - 1;
    if (start > stop) return out;
    let node = reverse ? this.nodeAtRank(size - start) : this.nodeAtRank(start + 1);
    for (let n = stop - start + 1; n > 0 && node !== null; n--) {
      out.push([node.member, node.score]);
      node = reverse ? node.prev : node.next[0];
    }
    return out;
  }

  /**
   * Elements with min <= score <= max (bounds exclusive as flagged), lowest first or highest
   * first with `reverse`, skipping `offset` of them and returning at most `count`
   * (count < 0: all). A negative offset yields nothing, as in Redis.
   */
  rangeByScore(
    min: number,
    max: number,
    minExclusive = false,
    maxExclusive = false,
    reverse = false,
    offset = 0,
    count = -1,
  ): ScoredMember[] {
    const out: ScoredMember[] = [];
    if (offset < 0 || count === 0) return out;
    let node = reverse
      ? this.lastInScoreRange(min, max, minExclusive, maxExclusive)
      : this.firstInScoreRange(min, max, minExclusive, maxExclusive);
    node = this.skipFrom(node, offset, reverse);
    while (node !== null && (count < 0 || out.length < count)) {
      if (reverse ? !scoreGteMin(node.score, min, minExclusive) : !scoreLteMax(node.score, max, maxExclusive)) break;
      out.push([node.member, node.score]);
      node = reverse ? node.prev : node.next[0];
    }
    return out;
  }

  /** Like rangeByScore for a lex range (meaningful when all scores are equal). */
  rangeByLex(min: LexBound, max: LexBound, reverse = false, offset = 0, count = -1): ScoredMember[] {
    const out: ScoredMember[] = [];
    if (offset < 0 || count === 0) return out;
    let node = reverse ? this.lastInLexRange(min, max) : this.firstInLexRange(min, max);
    node = this.skipFrom(node, offset, reverse);
    while (node !== null && (count < 0 || out.length < count)) {
      if (reverse ? !lexGteMin(node.member, min) : !lexLteMax(node.member, max)) break;
      out.push([node.member, node.score]);
      node = reverse ? node.prev : node.next[0];
    }
    return out;
  }

  /** ZCOUNT in O(log n). */
  countInScoreRange(min: number, max: number, minExclusive = false, maxExclusive = false): number {
    const first = this.firstInScoreRange(min, max, minExclusive, maxExclusive);
    if (first === null) return 0;
    const last = this.lastInScoreRange(min, max, minExclusive, maxExclusive)!;
    return this.rankOf(last) - this.rankOf(first) + 1;
  }

  /**
   * ZLEXCOUNT: O(log n) by ranks on a skiplist; on a listpack, the run of elements from the
   * first match while they stay <= max, as Redis counts there.
   */
  countInLexRange(min: LexBound, max: LexBound): number {
    const first = this.firstInLexRange(min, max);
    if (first === null) return 0;
    if (this.encoding === "listpack") {
      let count = 0;
      for (let node: SkipNode | null = first; node !== null && lexLteMax(node.member, max); node = node.next[0]) count++;
      return count;
    }
    const last = this.lastInLexRange(min, max)!;
    return this.rankOf(last) - this.rankOf(first) + 1;
  }

  /** ZREMRANGEBYRANK on normalised 0-based indexes; returns how many were removed. */
  deleteRangeByRank(start: number, stop: number): number {
    if (start < 0) start = 0;
    if (stop >= this.nodes.size) stop = this.nodes.size - 1;
    if (start > stop) return 0;
    // Path to the node just before rank start+1 (1-based).
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! < start + 1) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      updateScratch[i] = x;
    }
    let removed = 0;
    let node = x.next[0];
    for (let rank = start + 1; node !== null && rank <= stop + 1; rank++) {
      const following = node.next[0];
      this.unlinkNode(node);
      this.forget(node);
      removed++;
      node = following;
    }
    return removed;
  }

  /** ZREMRANGEBYSCORE; returns how many were removed. */
  deleteRangeByScore(min: number, max: number, minExclusive = false, maxExclusive = false): number {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !scoreGteMin(x.next[i]!.score, min, minExclusive)) x = x.next[i]!;
      updateScratch[i] = x;
    }
    let removed = 0;
    let node = x.next[0];
    while (node !== null && scoreLteMax(node.score, max, maxExclusive)) {
      const following = node.next[0];
      this.unlinkNode(node);
      this.forget(node);
      removed++;
      node = following;
    }
    return removed;
  }

  /** ZREMRANGEBYLEX: from the first element in range, while elements stay <= max. */
  deleteRangeByLex(min: LexBound, max: LexBound): number {
    let removed = 0;
    let node = this.firstInLexRange(min, max);
    while (node !== null && lexLteMax(node.member, max)) {
      const following: SkipNode | null = node.next[0];
      this.delete(node.member);
      removed++;
      node = following;
    }
    return removed;
  }

  /** ZPOPMIN: remove and return up to `count` lowest elements, lowest first. */
  popMin(count = 1): ScoredMember[] {
    const out: ScoredMember[] = [];
    while (out.length < count) {
      const node = this.header.next[0];
      if (node === null) break;
      out.push([node.member, node.score]);
      this.delete(node.member);
    }
    return out;
  }

  /** ZPOPMAX: remove and return up to `count` highest elements, highest first. */
  popMax(count = 1): ScoredMember[] {
    const out: ScoredMember[] = [];
    while (out.length < count) {
      const node = this.tail;
      if (node === null) break;
      out.push([node.member, node.score]);
      this.delete(node.member);
    }
    return out;
  }

  /** ZRANDMEMBER with positive count: up to `count` distinct elements (all, in order, when count >= size). */
  randomMembers(count: number): ScoredMember[] {
    const size = this.nodes.size;
    if (count <= 0) return [];
    if (count >= size) return this.rangeByRank(0, size - 1);
    if (count * 3 > size) {
      const all = this.rangeByRank(0, size - 1);
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        const picked = all[j]!;
        all[j] = all[i]!;
        all[i] = picked;
      }
      all.length = count;
      return all;
    }
    const ranks = new Set<number>();
    while (ranks.size < count) ranks.add(Math.floor(Math.random() * size));
    const out: ScoredMember[] = [];
    for (const rank of ranks) out.push(this.atRank(rank)!);
    return out;
  }

  /** ZRANDMEMBER with negative count: exactly `count` uniform picks, repetitions allowed. */
  randomMembersWithRepetition(count: number): ScoredMember[] {
    const out: ScoredMember[] = [];
    const size = this.nodes.size;
    if (size === 0) return out;
    for (let i = 0; i < count; i++) out.push(this.atRank(Math.floor(Math.random() * size))!);
    return out;
  }

  /**
   * ZSCAN step. A listpack zset comes back whole, in score order, with cursor 0 (as Redis);
   * a skiplist one is walked through a cursor index built on first use.
   */
  scan(cursor: number, count: number): ScanPage {
    if (this.encoding === "listpack") {
      const keys: string[] = [];
      for (let node: SkipNode | null = this.header.next[0]; node !== null; node = node.next[0]) keys.push(node.member);
      return { cursor: 0, keys };
    }
    if (this.orderIndex === null) {
      const nodes = this.nodes;
      this.orderIndex = new KeyOrderIndex((member) => nodes.has(member), nodes.keys());
    }
    return this.orderIndex.scan(cursor, count);
  }

  // ---- skiplist internals ----

  private insertNew(member: string, score: number): void {
    if (member.length > this.longestAddedSinceCheck) this.longestAddedSinceCheck = member.length;
    const node = this.insertNode(member, score);
    this.nodes.set(member, node);
    if (this.orderIndex !== null) this.orderIndex.noteAdded(member);
  }

  private forget(node: SkipNode): void {
    this.nodes.delete(node.member);
    if (this.orderIndex !== null) this.orderIndex.noteRemoved(node.member);
  }

  /** Change the score of a linked node, in place when its neighbours still bracket it (zslUpdateScore). */
  private moveToScore(node: SkipNode, score: number): void {
    const prev = node.prev;
    const next = node.next[0];
    if ((prev === null || prev.score < score) && (next === null || next.score > score)) {
      node.score = score;
      return;
    }
    this.findPath(node.score, node.member);
    this.unlinkNode(node);
    const moved = this.insertNode(node.member, score);
    this.nodes.set(node.member, moved);
  }

  /** Link a new node for (member, score); the member must not be present. */
  private insertNode(member: string, score: number): SkipNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rankScratch[i] = i === this.level - 1 ? 0 : rankScratch[i + 1]!;
      while (x.next[i] !== null && nodeBefore(x.next[i]!, score, member)) {
        rankScratch[i]! += x.span[i]!;
        x = x.next[i]!;
      }
      updateScratch[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      const header = this.header;
      while (header.next.length < level) {
        header.next.push(null);
        header.span.push(0);
      }
      for (let i = this.level; i < level; i++) {
        rankScratch[i] = 0;
        updateScratch[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const before = updateScratch[i]!;
      node.next[i] = before.next[i];
      before.next[i] = node;
      node.span[i] = before.span[i]! - (rankScratch[0]! - rankScratch[i]!);
      before.span[i] = rankScratch[0]! - rankScratch[i]! + 1;
    }
    for (let i = level; i < this.level; i++) updateScratch[i]!.span[i]!++;
    node.prev = updateScratch[0] === this.header ? null : updateScratch[0]!;
    if (node.next[0] !== null) node.next[0].prev = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Fill updateScratch with the rightmost node before (score, member) on every level. */
  private findPath(score: number, member: string): void {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && nodeBefore(x.next[i]!, score, member)) x = x.next[i]!;
      updateScratch[i] = x;
    }
  }

  /** Unlink `node` using the path in updateScratch (zslDeleteNode). Does not touch the member map. */
  private unlinkNode(node: SkipNode): void {
    for (let i = 0; i < this.level; i++) {
      const before = updateScratch[i]!;
      if (before.next[i] === node) {
        before.span[i]! += node.span[i]! - 1;
        before.next[i] = node.next[i];
      } else {
        before.span[i]!--;
      }
    }
    if (node.next[0] !== null) node.next[0].prev = node.prev;
    else this.tail = node.prev;
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** 1-based rank of a linked node. */
  private rankOf(node: SkipNode): number {
    let x = this.header;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && (x.next[i] === node || nodeBefore(x.next[i]!, node.score, node.member))) {
        rank += x.span[i]!;
        x = x.next[i]!;
        if (x === node) return rank;
      }
    }
    return rank;
  }

  /** Node at a 1-based rank, or null. */
  private nodeAtRank(rank: number): SkipNode | null {
    let x = this.header;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! <= rank) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      if (traversed === rank) return x === this.header ? null : x;
    }
    return null;
  }

  /** The node `offset` steps further in the walking direction, by rank arithmetic. */
  private skipFrom(node: SkipNode | null, offset: number, reverse: boolean): SkipNode | null {
    if (node === null || offset === 0) return node;
    const rank = this.rankOf(node) + (reverse ? -offset : offset);
    if (rank < 1 || rank > this.nodes.size) return null;
    return this.nodeAtRank(rank);
  }

  private scoreRangeIsEmpty(min: number, max: number, minExclusive: boolean, maxExclusive: boolean): boolean {
    if (min > max || (min === max && (minExclusive || maxExclusive))) return true;
    const first = this.header.next[0];
    if (this.tail === null || first === null) return true;
    return !scoreGteMin(this.tail.score, min, minExclusive) || !scoreLteMax(first.score, max, maxExclusive);
  }

  private firstInScoreRange(min: number, max: number, minExclusive: boolean, maxExclusive: boolean): SkipNode | null {
    if (this.scoreRangeIsEmpty(min, max, minExclusive, maxExclusive)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !scoreGteMin(x.next[i]!.score, min, minExclusive)) x = x.next[i]!;
    }
    const node = x.next[0];
    return node !== null && scoreLteMax(node.score, max, maxExclusive) ? node : null;
  }

  private lastInScoreRange(min: number, max: number, minExclusive: boolean, maxExclusive: boolean): SkipNode | null {
    if (this.scoreRangeIsEmpty(min, max, minExclusive, maxExclusive)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && scoreLteMax(x.next[i]!.score, max, maxExclusive)) x = x.next[i]!;
    }
    return x !== this.header && scoreGteMin(x.score, min, minExclusive) ? x : null;
  }

  private lexRangeIsEmpty(min: LexBound, max: LexBound): boolean {
    const cmp = compareLexBounds(min, max);
    if (cmp > 0 || (cmp === 0 && (min.exclusive || max.exclusive))) return true;
    const first = this.header.next[0];
    if (this.tail === null || first === null) return true;
    return !lexGteMin(this.tail.member, min) || !lexLteMax(first.member, max);
  }

  /**
   * First element in a lex range. A listpack zset is searched the way zzlFirstInLexRange
   * walks a listpack (first element >= min from the head), a skiplist one by descent as
   * zslFirstInLexRange does: the two differ only when scores differ, where Redis's answer
   * depends on its encoding too.
   */
  private firstInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    if (this.lexRangeIsEmpty(min, max)) return null;
    let node: SkipNode | null;
    if (this.encoding === "listpack") {
      node = this.header.next[0];
      while (node !== null && !lexGteMin(node.member, min)) node = node.next[0];
    } else {
      let x = this.header;
      for (let i = this.level - 1; i >= 0; i--) {
        while (x.next[i] !== null && !lexGteMin(x.next[i]!.member, min)) x = x.next[i]!;
      }
      node = x.next[0];
    }
    return node !== null && lexLteMax(node.member, max) ? node : null;
  }

  private lastInLexRange(min: LexBound, max: LexBound): SkipNode | null {
    if (this.lexRangeIsEmpty(min, max)) return null;
    let node: SkipNode | null;
    if (this.encoding === "listpack") {
      node = this.tail;
      while (node !== null && !lexLteMax(node.member, max)) node = node.prev;
    } else {
      let x = this.header;
      for (let i = this.level - 1; i >= 0; i--) {
        while (x.next[i] !== null && lexLteMax(x.next[i]!.member, max)) x = x.next[i]!;
      }
      node = x === this.header ? null : x;
    }
    return node !== null && lexGteMin(node.member, min) ? node : null;
  }
}
