// The sorted set value, in Redis 7.0's two encodings (OBJECT ENCODING names them):
//
// listpack  one listpack (listpack.ts) of member, score, member, score... in order of
//           score, ties by member bytes (memcmp), edited where it lies as t_zset.c's
//           zzlInsert/zzlDelete do. A score is stored as Redis stores it: an integer
//           entry when d2string would print an integer (so -0 reads back as 0), else
//           d2string's text. Saving it to an RDB file copies these bytes; loading keeps
//           them (after validation).
// skiplist  (the name Redis reports) a member index and an ordered structure with no
//           object per element: a Dict in "score" mode (dict.ts: member bytes in an
//           arena, a score per slot) and a ZsetTree (zset-tree.ts: a B+tree of
//           (score, slot) in typed arrays, with subtree counts for ranks in O(log n)).
//
// A listpack becomes a skiplist before an insert would take it past
// zset-max-listpack-entries or store a member longer than zset-max-listpack-value
// (zsetAdd); convertToListpackIfFits() is the way back Redis takes for
// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE results and on load.
//
// Searches follow t_zset.c: a listpack is walked from the head (or the tail, for the
// last element of a range), as zzlFirstInRange/zzlLastInLexRange walk it; the tree is
// searched by descent, as the zsl* functions search a skiplist. The two give the same
// answer wherever Redis's own does not depend on its encoding (a lex range over members
// whose order is not their scores' order: see zset-tree.ts).
//
// NaN scores never enter: callers reject them (addWithFlags reports "nan").

import { Dict } from "./dict.ts";
import { ZsetTree, type TreeCursor } from "./zset-tree.ts";
import { objectBytes, typedArrayBytes } from "./object-size.ts";
import {
  LISTPACK_FIRST_ENTRY,
  LP_AFTER,
  LP_BEFORE,
  lpAppend,
  lpBytes,
  lpCompareKey,
  lpDeleteRange,
  lpFind,
  lpGetKey,
  lpLength,
  lpNew,
  lpPrev,
  lpInsert,
  lpSeek,
  lpShrinkToFit,
  lpSkip,
  readListpackEntry,
  type ListpackEntryView,
} from "./listpack.ts";
import { formatDouble, isCSpace, strtodPrefix, type StrtodResult } from "../util/float.ts";

const LISTPACK_END = 0xff;

// ---- scores as a listpack stores them ----

/** 2^62: double2ll's bound ((double)(LLONG_MAX/2) rounds to it). */
const DOUBLE2LL_LIMIT = 4611686018427387904;

/**
 * Redis 7.0.15's d2string as zzlInsertAt applies it: an integral value within ±2^62 as
 * an integer (double2ll; so -0 becomes "0" and 1e17 an integer entry), inf/-inf/nan as
 * words, anything else with %.17g.
 */
export function scoreToText(score: number): string {
  if (Number.isNaN(score)) return "nan";
  if (score === Infinity) return "inf";
  if (score === -Infinity) return "-inf";
  if (Number.isInteger(score) && score >= -DOUBLE2LL_LIMIT && score <= DOUBLE2LL_LIMIT) {
    return Number.isSafeInteger(score) ? String(score === 0 ? 0 : score) : BigInt(score).toString();
  }
  return formatDouble(score);
}

/** The listpack element zzlInsertAt stores for a score: an integer when double2ll gives one, else the text. */
export function scoreElement(score: number): number | bigint | string {
  if (Number.isInteger(score) && score >= -DOUBLE2LL_LIMIT && score <= DOUBLE2LL_LIMIT) {
    return Number.isSafeInteger(score) ? (score === 0 ? 0 : score) : BigInt(score);
  }
  return scoreToText(score);
}

const strtodScratch: StrtodResult = { value: 0, end: 0 };

/** zzlGetScore on an entry just read: an integer entry as is, a text one through strtod. */
function scoreOfEntry(lp: Uint8Array, view: ListpackEntryView): number {
  if (view.stringStart < 0) return view.bigInteger === null ? view.integer : Number(view.bigInteger);
  let from = view.stringStart;
  const to = from + view.stringLength;
  while (from < to && isCSpace(lp[from]!)) from++;
  return strtodPrefix(lp, from, to, strtodScratch).value;
}

// Walks that only compare (zzlInsert's search for its place) need not convert every
// text score exactly: strtod here costs ~10x glibc's. A plain decimal ([-]digits[.digits]
// [e[+-]digits], what %.17g writes) is first read approximately, in doubles (off by a
// few ulps at most); only a value within a relative 1e-12 of the one compared against
// is converted exactly. Anything else (inf, spaces, hex) goes the exact way.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** An approximation of a plain decimal's value within a few ulps, or NaN for any other text. */
function approximateDecimal(lp: Uint8Array, from: number, to: number): number {
  let i = from;
  const negative = lp[i] === 45; /* - */
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  for (; i < to; i++) {
    const c = lp[i]! - 48;
    if (c < 0 || c > 9) break;
    mantissa = mantissa * 10 + c;
    digits++;
  }
  if (i < to && lp[i] === 46 /* . */) {
    for (i++; i < to; i++) {
      const c = lp[i]! - 48;
      if (c < 0 || c > 9) break;
      mantissa = mantissa * 10 + c;
      digits++;
      exponent--;
    }
  }
  if (digits === 0 || digits > 19) return NaN;
  if (i < to && (lp[i] === 101 || lp[i] === 69) /* e E */) {
    i++;
    let sign = 1;
    if (lp[i] === 45 || lp[i] === 43) sign = lp[i++] === 45 ? -1 : 1;
    let value = 0;
    let expDigits = 0;
    for (; i < to && expDigits < 4; i++, expDigits++) {
      const c = lp[i]! - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
    }
    if (expDigits === 0) return NaN;
    exponent += sign * value;
  }
  if (i !== to || exponent < -280 || exponent > 280) return NaN;
  let value = mantissa;
  while (exponent > 22) {
    value *= 1e22;
    exponent -= 22;
  }
  while (exponent < -22) {
    value /= 1e22;
    exponent += 22;
  }
  value = exponent >= 0 ? value * POWERS_OF_TEN[exponent]! : value / POWERS_OF_TEN[-exponent]!;
  return negative ? -value : value;
}

/** The sign of (the entry's score - score), as scoreOfEntry would give it, converting exactly only when close. */
function compareEntryScore(lp: Uint8Array, view: ListpackEntryView, score: number): number {
  if (view.stringStart >= 0 && view.stringLength > 0) {
    const approximate = approximateDecimal(lp, view.stringStart, view.stringStart + view.stringLength);
    const margin = 1e-12 * Math.abs(score);
    if (approximate - score > margin && Number.isFinite(score)) return 1;
    if (score - approximate > margin && Number.isFinite(score)) return -1;
  }
  const elementScore = scoreOfEntry(lp, view);
  return elementScore > score ? 1 : elementScore < score ? -1 : 0;
}

/** The score of the pair whose score entry is at `p`. */
function scoreAt(lp: Uint8Array, p: number): number {
  return scoreOfEntry(lp, readListpackEntry(lp, p));
}

/** Offset of the entry after the one at `p` (the terminator's after the last). */
const after = lpSkip;

// What readPair read. Module state, safe as such: every caller copies both out right
// after the call, before calling out.
let pairMember = "";
let pairScore = 0;

/** Reads the pair whose member entry is at `p` into pairMember/pairScore; returns the next pair's offset. */
function readPair(lp: Uint8Array, p: number): number {
  pairMember = lpGetKey(lp, p);
  const view = readListpackEntry(lp, after(lp, p));
  pairScore = scoreOfEntry(lp, view);
  return view.next;
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

/** One ZSCAN step: members and their scores as ZSCAN shows them; cursor 0 when done. */
export interface ZsetScanPage {
  cursor: number;
  keys: string[];
  scores: string[];
}

const NO_FLAGS: ZAddFlags = {};

export class RedisZSet {
  readonly type = "zset" as const;
  /** The listpack encoding's bytes (spare room after lpBytes); null in the skiplist encoding. */
  private lp: Uint8Array | null = null;
  private dict: Dict | null = null;
  private tree: ZsetTree | null = null;

  constructor(encoding: "listpack" | "skiplist" = "listpack", expectedSize = 0) {
    if (encoding === "listpack") this.lp = lpNew();
    else this.makeSkiplist(expectedSize);
  }

  private makeSkiplist(expectedSize: number): void {
    const dict = new Dict("score", expectedSize);
    this.dict = dict;
    this.tree = new ZsetTree(dict);
  }

  /** DEBUG HTSTATS-KEY: the hash table of the hashtable (or skiplist) encoding, else null. */
  statsDict(): Dict | null {
    return this.dict;
  }

  get encoding(): "listpack" | "skiplist" {
    return this.lp !== null ? "listpack" : "skiplist";
  }

  /** The bytes this sorted set allocates (object-size.ts): its listpack, or its dict and tree. */
  memoryUsage(): number {
    const lp = this.lp;
    if (lp !== null) return objectBytes(4) + typedArrayBytes(lp.byteLength);
    return objectBytes(4) + this.dict!.memoryUsage() + this.tree!.memoryUsage();
  }

  static fromEntries(entries: Iterable<readonly [string, number]>): RedisZSet {
    const zset = new RedisZSet();
    for (const [member, score] of entries) zset.add(member, score);
    return zset;
  }

  /**
   * A listpack zset over `bytes` as they are (the loader's validated copy: pairs of
   * member and score in order, members distinct).
   */
  static fromListpack(bytes: Uint8Array): RedisZSet {
    const zset = new RedisZSet();
    zset.lp = bytes;
    return zset;
  }

  /** The listpack's bytes, exactly (the RDB encoder copies them); only for the listpack encoding. */
  listpackBytes(): Uint8Array {
    const lp = this.lp!;
    return lp.subarray(0, lpBytes(lp));
  }

  /** A deep copy (COPY) with the same encoding. */
  clone(): RedisZSet {
    const copy = new RedisZSet();
    if (this.lp !== null) {
      copy.lp = this.lp.slice(0, lpBytes(this.lp));
      return copy;
    }
    // As zsetDup (and the loader), from the highest element down: each goes first, no search.
    copy.lp = null;
    copy.makeSkiplist(this.size);
    const from = this.dict!;
    const dict = copy.dict!;
    const tree = copy.tree!;
    this.tree!.forEach((score, slot) => {
      const key = from.keyBytesAt(slot);
      const copied = dict.addBytes(key, 0, key.length);
      dict.setScore(copied, score);
      tree.prepend(score, copied);
    }, true);
    return copy;
  }

  get size(): number {
    return this.lp !== null ? lpLength(this.lp) >>> 1 : this.dict!.size;
  }

  score(member: string): number | undefined {
    const lp = this.lp;
    if (lp !== null) {
      const p = lpFind(lp, LISTPACK_FIRST_ENTRY, member, 1);
      return p < 0 ? undefined : scoreAt(lp, after(lp, p));
    }
    const slot = this.dict!.find(member);
    return slot < 0 ? undefined : this.dict!.scoreAt(slot);
  }

  has(member: string): boolean {
    const lp = this.lp;
    if (lp !== null) return lpFind(lp, LISTPACK_FIRST_ENTRY, member, 1) >= 0;
    return this.dict!.find(member) >= 0;
  }

  /** Ascending (score, then member bytes); the set must not change while it runs. */
  *[Symbol.iterator](): Iterator<[member: string, score: number]> {
    const lp = this.lp;
    if (lp !== null) {
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; ) {
        p = readPair(lp, p);
        yield [pairMember, pairScore];
      }
      return;
    }
    const dict = this.dict!;
    for (const cursor = this.tree!.cursorAt(0); cursor.valid; cursor.next()) yield [dict.keyAt(cursor.slot), cursor.score];
  }

  /** Calls `visit` for every element in ascending order. */
  forEachAscending(visit: (member: string, score: number) => void): void {
    const lp = this.lp;
    if (lp !== null) {
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; ) {
        p = readPair(lp, p);
        visit(pairMember, pairScore);
      }
      return;
    }
    const dict = this.dict!;
    this.tree!.forEach((score, slot) => visit(dict.keyAt(slot), score));
  }

  /** forEachAscending from the highest element down (the order ZSET_2 is saved in). */
  forEachDescending(visit: (member: string, score: number) => void): void {
    const lp = this.lp;
    if (lp !== null) {
      let scoreP = lpBytes(lp) - 1;
      while (scoreP > LISTPACK_FIRST_ENTRY) {
        scoreP = lpPrev(lp, scoreP);
        const memberP = lpPrev(lp, scoreP);
        const score = scoreAt(lp, scoreP);
        const member = lpGetKey(lp, memberP);
        scoreP = memberP;
        visit(member, score);
      }
      return;
    }
    const dict = this.dict!;
    this.tree!.forEach((score, slot) => visit(dict.keyAt(slot), score), true);
  }

  /** Descending, as an iterator (tests). */
  *descending(): Generator<[member: string, score: number], void, undefined> {
    const size = this.size;
    for (let rank = size - 1; rank >= 0; rank -= 64) yield* this.rangeByRank(Math.max(0, rank - 63), rank).reverse();
  }

  // ---- changes ----

  /** Insert or update without conditions and without changing the encoding (loaders, results). */
  add(member: string, score: number): "added" | "updated" | "unchanged" {
    return this.addWithFlags(member, score, NO_FLAGS).outcome as "added" | "updated" | "unchanged";
  }

  /**
   * zsetAdd: ZADD / ZINCRBY for one element with Redis's semantics for NX/XX/GT/LT/INCR.
   * A listpack that the new member would take past `maxEntries` elements, or whose
   * `maxValueBytes` the member exceeds, becomes a skiplist first (the member lands there).
   * A listpack stores a -0 as 0; the result's score (what ZADD INCR replies) keeps it.
   */
  addWithFlags(member: string, score: number, flags: ZAddFlags, maxEntries = Infinity, maxValueBytes = Infinity): ZAddResult {
    if (Number.isNaN(score)) return { outcome: "nan", score: NaN };
    const lp = this.lp;
    if (lp !== null) {
      const p = lpFind(lp, LISTPACK_FIRST_ENTRY, member, 1);
      if (p >= 0) {
        if (flags.nx) return { outcome: "skipped", score: NaN };
        const current = scoreAt(lp, after(lp, p));
        const wanted = flags.incr ? current + score : score;
        if (Number.isNaN(wanted)) return { outcome: "nan", score: NaN };
        if ((flags.lt && wanted >= current) || (flags.gt && wanted <= current)) return { outcome: "skipped", score: NaN };
        if (wanted === current) return { outcome: "unchanged", score: wanted };
        this.lp = lpDeleteRange(lp, p, 2);
        this.listpackInsert(member, wanted);
        return { outcome: "updated", score: wanted };
      }
      if (flags.xx) return { outcome: "skipped", score: NaN };
      if ((lpLength(lp) >>> 1) + 1 <= maxEntries && member.length <= maxValueBytes) {
        this.listpackInsert(member, score);
        return { outcome: "added", score };
      }
      this.convertToSkiplist();
    }
    const dict = this.dict!;
    let slot = dict.find(member);
    if (slot >= 0) {
      if (flags.nx) return { outcome: "skipped", score: NaN };
      const current = dict.scoreAt(slot);
      const wanted = flags.incr ? current + score : score;
      if (Number.isNaN(wanted)) return { outcome: "nan", score: NaN };
      if ((flags.lt && wanted >= current) || (flags.gt && wanted <= current)) return { outcome: "skipped", score: NaN };
      // -0 and 0 compare equal: the stored score keeps its sign, as in Redis.
      if (wanted === current) return { outcome: "unchanged", score: wanted };
      this.tree!.updateScore(current, member, wanted);
      dict.setScore(slot, wanted);
      return { outcome: "updated", score: wanted };
    }
    if (flags.xx) return { outcome: "skipped", score: NaN };
    slot = dict.add(member);
    dict.setScore(slot, score);
    this.tree!.insert(score, slot, member);
    return { outcome: "added", score };
  }

  /** zzlInsert: before the first pair with a greater score, or an equal score and a greater member. */
  private listpackInsert(member: string, score: number): void {
    let lp = this.lp!;
    let p = LISTPACK_FIRST_ENTRY;
    while (lp[p] !== LISTPACK_END) {
      const view = readListpackEntry(lp, after(lp, p));
      const order = compareEntryScore(lp, view, score);
      const next = view.next;
      if (order > 0 || (order === 0 && lpCompareKey(lp, p, member) > 0)) break;
      p = next;
    }
    lp = lpInsert(lp, p, member, LP_BEFORE);
    this.lp = lpInsert(lp, p, scoreElement(score), LP_AFTER);
  }

  /** After deletions: a listpack that shrank to under half its array gets an array of its size. */
  private shrinkListpack(): void {
    const lp = this.lp!;
    if (lp.length > 64 && lpBytes(lp) * 2 < lp.length) this.lp = lpShrinkToFit(lp);
  }

  delete(member: string): boolean {
    const lp = this.lp;
    if (lp !== null) {
      const p = lpFind(lp, LISTPACK_FIRST_ENTRY, member, 1);
      if (p < 0) return false;
      this.lp = lpDeleteRange(lp, p, 2);
      this.shrinkListpack();
      return true;
    }
    const dict = this.dict!;
    const slot = dict.find(member);
    if (slot < 0) return false;
    // The tree compares through the slot: it lets go of it before the index frees it.
    this.tree!.remove(dict.scoreAt(slot), member);
    dict.deleteSlot(slot);
    return true;
  }

  /** Removes the element at 0-based ascending `rank` of the skiplist encoding. */
  private removeRank(rank: number): void {
    this.dict!.deleteSlot(this.tree!.removeAt(rank));
  }

  // ---- encodings ----

  /** zsetConvert to skiplist (SORT does it too, and the loader for a listpack over the limit). */
  convertToSkiplist(): void {
    const lp = this.lp;
    if (lp === null) return;
    this.makeSkiplist(lpLength(lp) >>> 1);
    const dict = this.dict!;
    const tree = this.tree!;
    let p = LISTPACK_FIRST_ENTRY;
    while (lp[p] !== LISTPACK_END) {
      const memberView = readListpackEntry(lp, p);
      const scoreP = memberView.next;
      let slot: number;
      if (memberView.stringStart >= 0) slot = dict.addBytes(lp, memberView.stringStart, memberView.stringStart + memberView.stringLength);
      else slot = dict.add(memberView.bigInteger !== null ? memberView.bigInteger.toString() : String(memberView.integer));
      const view = readListpackEntry(lp, scoreP);
      const score = scoreOfEntry(lp, view);
      p = view.next;
      dict.setScore(slot, score);
      tree.append(score, slot);
    }
    this.lp = null;
  }

  /** zsetConvert to listpack: the scores as zzlInsertAt stores them (a -0 becomes 0). */
  private convertToListpack(): void {
    const dict = this.dict!;
    let lp = lpNew();
    this.tree!.forEach((score, slot) => {
      lp = lpAppend(lp, dict.keyBytesAt(slot));
      lp = lpAppend(lp, scoreElement(score));
    });
    this.lp = lpShrinkToFit(lp);
    this.dict = null;
    this.tree = null;
  }

  /**
   * listpack -> skiplist when the set has more than `maxEntries` members or a member
   * longer than `maxValueBytes` (for a set built without limits: tests, tools). True when it converted.
   */
  convertIfNeeded(maxEntries: number, maxValueBytes: number): boolean {
    if (this.lp === null) return false;
    let fits = this.size <= maxEntries;
    if (fits) this.forEachAscending((member) => (fits &&= member.length <= maxValueBytes));
    if (fits) return false;
    this.convertToSkiplist();
    return true;
  }

  /**
   * skiplist -> listpack when everything fits (Redis's zsetConvertToListpackIfNeeded, used for
   * ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE results and when loading). True when it converted.
   */
  convertToListpackIfFits(maxEntries: number, maxValueBytes: number): boolean {
    if (this.lp !== null || this.dict!.size > maxEntries) return false;
    const dict = this.dict!;
    let fits = true;
    this.tree!.forEach((_, slot) => (fits &&= dict.keyLengthAt(slot) <= maxValueBytes));
    if (!fits) return false;
    this.convertToListpack();
    return true;
  }

  // ---- loading ----

  /**
   * The first half of adding an element read from an RDB file (ZSET_2/ZSET) to a
   * skiplist-encoded set: the member is bytes[start, end). Returns its slot for
   * placeLoaded, or -1 for a duplicate.
   */
  loadMember(bytes: Uint8Array, start: number, end: number): number {
    const dict = this.dict!;
    if (dict.findBytes(bytes, start, end) >= 0) return -1;
    return dict.addBytes(bytes, start, end);
  }

  /**
   * The second half: gives the loaded member its score and its place. Redis saves from
   * the highest element down, so an element that goes first is put there without a search.
   */
  placeLoaded(slot: number, score: number): void {
    const dict = this.dict!;
    dict.setScore(slot, score);
    const tree = this.tree!;
    if (tree.size === 0 || score < tree.firstScore()) {
      tree.prepend(score, slot);
      return;
    }
    const member = dict.keyAt(slot);
    if (score === tree.firstScore() && dict.compareKeyAt(tree.firstSlot(), member) > 0) tree.prepend(score, slot);
    else tree.insert(score, slot, member);
  }

  // ---- ranks ----

  /** 0-based rank in ascending order (descending when `reverse`), undefined when absent. */
  rank(member: string, reverse = false): number | undefined {
    let rank: number;
    const lp = this.lp;
    if (lp !== null) {
      const found = lpFind(lp, LISTPACK_FIRST_ENTRY, member, 1);
      if (found < 0) return undefined;
      rank = 0;
      for (let p = LISTPACK_FIRST_ENTRY; p !== found; p = after(lp, after(lp, p))) rank++;
    } else {
      const dict = this.dict!;
      const slot = dict.find(member);
      if (slot < 0) return undefined;
      rank = this.tree!.rankOf(dict.scoreAt(slot), member);
    }
    return reverse ? this.size - 1 - rank : rank;
  }

  /** Element at a 0-based ascending rank. */
  atRank(rank: number): ScoredMember | undefined {
    if (rank < 0 || rank >= this.size) return undefined;
    const lp = this.lp;
    if (lp !== null) {
      readPair(lp, lpSeek(lp, rank * 2));
      return [pairMember, pairScore];
    }
    const cursor = this.tree!.cursorAt(rank);
    return [this.dict!.keyAt(cursor.slot), cursor.score];
  }

  /**
   * Up to `count` elements (all when count < 0) from 0-based ascending `rank` on, going
   * up, or down with `reverse`, while `inRange` (if given) accepts them.
   */
  private collectFromRank(
    rank: number,
    count: number,
    reverse: boolean,
    out: ScoredMember[],
    inRange: ((member: string, score: number) => boolean) | null,
  ): ScoredMember[] {
    const size = this.size;
    if (rank < 0 || rank >= size) return out;
    const lp = this.lp;
    if (lp !== null) {
      let p = lpSeek(lp, rank * 2);
      while (p >= 0 && count !== 0) {
        const next = readPair(lp, p);
        const member = pairMember;
        const score = pairScore;
        if (inRange !== null && !inRange(member, score)) break;
        out.push([member, score]);
        count--;
        if (reverse) p = p === LISTPACK_FIRST_ENTRY ? -1 : lpPrev(lp, lpPrev(lp, p));
        else p = lp[next] === LISTPACK_END ? -1 : next;
      }
      return out;
    }
    const dict = this.dict!;
    const cursor = this.tree!.cursorAt(rank);
    while (cursor.valid && count !== 0) {
      const member = dict.keyAt(cursor.slot);
      const score = cursor.score;
      if (inRange !== null && !inRange(member, score)) break;
      out.push([member, score]);
      count--;
      if (reverse) cursor.prev();
      else cursor.next();
    }
    return out;
  }

  /**
   * ZRANGE by rank on normalised indexes 0 <= start <= stop < size. With `reverse`, ranks
   * count from the highest score and elements come highest first (ZREVRANGE).
   */
  rangeByRank(start: number, stop: number, reverse = false): ScoredMember[] {
    const run = this.rankRun(start, stop, reverse);
    return run === null ? [] : this.collectFromRank(run[0], run[1], reverse, [], null);
  }

  /** rangeByRank's elements as a run of ranks: [the first rank visited, how many], null when none. */
  rankRun(start: number, stop: number, reverse = false): [number, number] | null {
    const size = this.size;
    if (start < 0) start = 0;
    if (stop >= size) stop = size - 1;
    if (start > stop) return null;
    return [reverse ? size - 1 - start : start, stop - start + 1];
  }

  /**
   * A run of ranks of a skiplist-encoded set, going down with `reverse`: a command
   * writing a long range reads each element where it lies (memberLengthAt,
   * copyMemberInto), with no member string and no pair made.
   */
  treeCursorAt(rank: number): TreeCursor {
    return this.tree!.cursorAt(rank);
  }

  memberLengthAt(slot: number): number {
    return this.dict!.keyLengthAt(slot);
  }

  copyMemberInto(slot: number, target: Uint8Array, at: number): void {
    this.dict!.copyKeyInto(slot, target, at);
  }

  // ---- score ranges ----

  /** Ranks [first, end) of the elements within a score range, on the tree. */
  private treeScoreRange(min: number, max: number, minExclusive: boolean, maxExclusive: boolean): [number, number] {
    const tree = this.tree!;
    const first = tree.countScoresBelow(min, minExclusive);
    const end = tree.countScoresBelow(max, !maxExclusive);
    return [first, end > first ? end : first];
  }

  /** zzlIsInRange: whether a listpack's range can hold anything at all. */
  private listpackScoreRangeIsEmpty(min: number, max: number, minExclusive: boolean, maxExclusive: boolean): boolean {
    if (min > max || (min === max && (minExclusive || maxExclusive))) return true;
    const lp = this.lp!;
    if (lp[LISTPACK_FIRST_ENTRY] === LISTPACK_END) return true;
    const last = scoreAt(lp, lpPrev(lp, lpBytes(lp) - 1));
    if (!scoreGteMin(last, min, minExclusive)) return true;
    return !scoreLteMax(scoreAt(lp, after(lp, LISTPACK_FIRST_ENTRY)), max, maxExclusive);
  }

  /** zzlFirstInRange / zzlLastInRange as ranks (-1 when none). */
  private listpackScoreRangeEnd(min: number, max: number, minExclusive: boolean, maxExclusive: boolean, last: boolean): number {
    if (this.listpackScoreRangeIsEmpty(min, max, minExclusive, maxExclusive)) return -1;
    const lp = this.lp!;
    if (!last) {
      let rank = 0;
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; rank++) {
        const view = readListpackEntry(lp, after(lp, p));
        const score = scoreOfEntry(lp, view);
        if (scoreGteMin(score, min, minExclusive)) return scoreLteMax(score, max, maxExclusive) ? rank : -1;
        p = view.next;
      }
      return -1;
    }
    let rank = (lpLength(lp) >>> 1) - 1;
    for (let scoreP = lpPrev(lp, lpBytes(lp) - 1); rank >= 0; rank--) {
      const score = scoreAt(lp, scoreP);
      if (scoreLteMax(score, max, maxExclusive)) return scoreGteMin(score, min, minExclusive) ? rank : -1;
      if (rank > 0) scoreP = lpPrev(lp, lpPrev(lp, scoreP));
    }
    return -1;
  }

  /**
   * Elements with min <= score <= max (bounds exclusive as flagged), lowest first or highest
   * first with `reverse`, skipping `offset` of them and returning at most `count`
   * (count < 0: all). A negative offset yields nothing, as in Redis.
   */
  rangeByScore(min: number, max: number, minExclusive = false, maxExclusive = false, reverse = false, offset = 0, count = -1): ScoredMember[] {
    if (offset < 0 || count === 0) return [];
    if (this.lp !== null) {
      const rank = this.listpackScoreRangeEnd(min, max, minExclusive, maxExclusive, reverse);
      if (rank < 0) return [];
      const inRange = reverse
        ? (_: string, score: number) => scoreGteMin(score, min, minExclusive)
        : (_: string, score: number) => scoreLteMax(score, max, maxExclusive);
      return this.collectFromRank(reverse ? rank - offset : rank + offset, count, reverse, [], inRange);
    }
    const run = this.treeScoreRun(min, max, minExclusive, maxExclusive, reverse, offset, count);
    return run === null ? [] : this.collectFromRank(run[0], run[1], reverse, [], null);
  }

  /**
   * rangeByScore's elements on a skiplist-encoded set as a run of ranks: [the first rank
   * visited, how many], null when none.
   */
  treeScoreRun(min: number, max: number, minExclusive: boolean, maxExclusive: boolean, reverse: boolean, offset: number, count: number): [number, number] | null {
    if (offset < 0 || count === 0) return null;
    const [first, end] = this.treeScoreRange(min, max, minExclusive, maxExclusive);
    const available = end - first - offset;
    if (available <= 0) return null;
    const wanted = count < 0 || count > available ? available : count;
    return [reverse ? end - 1 - offset : first + offset, wanted];
  }

  /** ZCOUNT: by ranks on the tree; on a listpack, the run from the first element in range. */
  countInScoreRange(min: number, max: number, minExclusive = false, maxExclusive = false): number {
    if (this.lp === null) {
      const [first, end] = this.treeScoreRange(min, max, minExclusive, maxExclusive);
      return end - first;
    }
    const first = this.listpackScoreRangeEnd(min, max, minExclusive, maxExclusive, false);
    if (first < 0) return 0;
    const lp = this.lp;
    let count = 0;
    for (let p = lpSeek(lp, first * 2); lp[p] !== LISTPACK_END; count++) {
      const view = readListpackEntry(lp, after(lp, p));
      if (!scoreLteMax(scoreOfEntry(lp, view), max, maxExclusive)) break;
      p = view.next;
    }
    return count;
  }

  // ---- lex ranges ----

  private slotGteMin(slot: number, min: LexBound): boolean {
    const cmp = min.infinity !== 0 ? -min.infinity : this.dict!.compareKeyAt(slot, min.value);
    return min.exclusive ? cmp > 0 : cmp >= 0;
  }

  private slotLteMax(slot: number, max: LexBound): boolean {
    const cmp = max.infinity !== 0 ? -max.infinity : this.dict!.compareKeyAt(slot, max.value);
    return max.exclusive ? cmp < 0 : cmp <= 0;
  }

  /** zslIsInLexRange / zzlIsInLexRange. */
  private lexRangeIsEmpty(min: LexBound, max: LexBound): boolean {
    const cmp = compareLexBounds(min, max);
    if (cmp > 0 || (cmp === 0 && (min.exclusive || max.exclusive))) return true;
    if (this.size === 0) return true;
    const lp = this.lp;
    if (lp !== null) {
      const lastMember = lpGetKey(lp, lpPrev(lp, lpPrev(lp, lpBytes(lp) - 1)));
      return !lexGteMin(lastMember, min) || !lexLteMax(lpGetKey(lp, LISTPACK_FIRST_ENTRY), max);
    }
    const tree = this.tree!;
    return !this.slotGteMin(tree.lastSlot(), min) || !this.slotLteMax(tree.firstSlot(), max);
  }

  /**
   * The rank of the first element of a lex range (zslFirstInLexRange, zzlFirstInLexRange),
   * -1 when none.
   */
  private firstInLexRange(min: LexBound, max: LexBound): number {
    if (this.lexRangeIsEmpty(min, max)) return -1;
    const lp = this.lp;
    if (lp !== null) {
      let rank = 0;
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; rank++) {
        const member = lpGetKey(lp, p);
        if (lexGteMin(member, min)) return lexLteMax(member, max) ? rank : -1;
        p = after(lp, after(lp, p));
      }
      return -1;
    }
    const rank = this.tree!.lowerBound((_, slot) => !this.slotGteMin(slot, min));
    if (rank >= this.tree!.size) return -1;
    return this.slotLteMax(this.tree!.slotAt(rank), max) ? rank : -1;
  }

  /** The rank of the last element of a lex range (zslLastInLexRange, zzlLastInLexRange), -1 when none. */
  private lastInLexRange(min: LexBound, max: LexBound): number {
    if (this.lexRangeIsEmpty(min, max)) return -1;
    const lp = this.lp;
    if (lp !== null) {
      let rank = (lpLength(lp) >>> 1) - 1;
      for (let memberP = lpPrev(lp, lpPrev(lp, lpBytes(lp) - 1)); rank >= 0; rank--) {
        const member = lpGetKey(lp, memberP);
        if (lexLteMax(member, max)) return lexGteMin(member, min) ? rank : -1;
        if (rank > 0) memberP = lpPrev(lp, lpPrev(lp, memberP));
      }
      return -1;
    }
    const rank = this.tree!.lowerBound((_, slot) => this.slotLteMax(slot, max)) - 1;
    if (rank < 0) return -1;
    return this.slotGteMin(this.tree!.slotAt(rank), min) ? rank : -1;
  }

  /** Like rangeByScore for a lex range (meaningful when all scores are equal). */
  rangeByLex(min: LexBound, max: LexBound, reverse = false, offset = 0, count = -1): ScoredMember[] {
    if (offset < 0 || count === 0) return [];
    const rank = reverse ? this.lastInLexRange(min, max) : this.firstInLexRange(min, max);
    if (rank < 0) return [];
    const inRange = reverse ? (member: string) => lexGteMin(member, min) : (member: string) => lexLteMax(member, max);
    return this.collectFromRank(reverse ? rank - offset : rank + offset, count, reverse, [], inRange);
  }

  /**
   * ZLEXCOUNT: by ranks on the tree (zslGetRank of the last minus the first); on a
   * listpack, the run of elements from the first match while they stay <= max, as Redis counts there.
   */
  countInLexRange(min: LexBound, max: LexBound): number {
    const first = this.firstInLexRange(min, max);
    if (first < 0) return 0;
    if (this.lp === null) return this.lastInLexRange(min, max) - first + 1;
    const lp = this.lp;
    let count = 0;
    for (let p = lpSeek(lp, first * 2); lp[p] !== LISTPACK_END && lexLteMax(lpGetKey(lp, p), max); count++) p = after(lp, after(lp, p));
    return count;
  }

  // ---- removals ----

  /** ZREMRANGEBYRANK on normalised 0-based indexes; returns how many were removed. */
  deleteRangeByRank(start: number, stop: number): number {
    const size = this.size;
    if (start < 0) start = 0;
    if (stop >= size) stop = size - 1;
    if (start > stop) return 0;
    const removed = stop - start + 1;
    if (this.lp !== null) {
      this.lp = lpDeleteRange(this.lp, lpSeek(this.lp, start * 2), removed * 2);
      this.shrinkListpack();
      return removed;
    }
    for (let i = 0; i < removed; i++) this.removeRank(start);
    return removed;
  }

  /** ZREMRANGEBYSCORE; returns how many were removed. */
  deleteRangeByScore(min: number, max: number, minExclusive = false, maxExclusive = false): number {
    if (this.lp !== null) {
      const removed = this.countInScoreRange(min, max, minExclusive, maxExclusive);
      if (removed === 0) return 0;
      const first = this.listpackScoreRangeEnd(min, max, minExclusive, maxExclusive, false);
      return this.deleteRangeByRank(first, first + removed - 1);
    }
    const [first, end] = this.treeScoreRange(min, max, minExclusive, maxExclusive);
    for (let i = first; i < end; i++) this.removeRank(first);
    return end - first;
  }

  /** ZREMRANGEBYLEX: from the first element in range, while elements stay <= max. */
  deleteRangeByLex(min: LexBound, max: LexBound): number {
    if (this.lp !== null) {
      const removed = this.countInLexRange(min, max);
      if (removed === 0) return 0;
      const first = this.firstInLexRange(min, max);
      return this.deleteRangeByRank(first, first + removed - 1);
    }
    // zslDeleteRangeByLex descends to the first element >= min without zslIsInLexRange's checks.
    const tree = this.tree!;
    const first = tree.lowerBound((_, slot) => !this.slotGteMin(slot, min));
    let removed = 0;
    while (first < tree.size && this.slotLteMax(tree.slotAt(first), max)) {
      this.removeRank(first);
      removed++;
    }
    return removed;
  }

  /** ZPOPMIN: remove and return up to `count` lowest elements, lowest first. */
  popMin(count = 1): ScoredMember[] {
    const out = this.rangeByRank(0, count - 1);
    this.deleteRangeByRank(0, out.length - 1);
    return out;
  }

  /** ZPOPMAX: remove and return up to `count` highest elements, highest first. */
  popMax(count = 1): ScoredMember[] {
    const out = this.rangeByRank(0, count - 1, true);
    const size = this.size;
    this.deleteRangeByRank(size - out.length, size - 1);
    return out;
  }

  // ---- random picks (ZRANDMEMBER) ----

  /** The element a uniform pick lands on, passed to `visit`. */
  private visitRandom(visit: (member: string, score: number) => void): void {
    const lp = this.lp;
    if (lp !== null) {
      readPair(lp, lpSeek(lp, Math.floor(Math.random() * (lpLength(lp) >>> 1)) * 2));
      visit(pairMember, pairScore);
      return;
    }
    const dict = this.dict!;
    const slot = dict.randomSlot();
    visit(dict.keyAt(slot), dict.scoreAt(slot));
  }

  /** A uniformly drawn member (ZRANDMEMBER without a count); undefined when empty. */
  randomMember(): string | undefined {
    if (this.size === 0) return undefined;
    let picked = "";
    this.visitRandom((member) => (picked = member));
    return picked;
  }

  /** ZRANDMEMBER with a negative count: `count` uniform picks, repetitions allowed, each passed to `visit`. */
  randomMembersWithRepetition(count: number, visit: (member: string, score: number) => void): void {
    if (this.size === 0) return;
    for (let i = 0; i < count; i++) this.visitRandom(visit);
  }

  /**
   * ZRANDMEMBER with a positive count below the size: `count` distinct elements drawn
   * uniformly, each passed to `visit`. Works with slots or ranks, never with copies of
   * the elements: memory is 4 bytes per element at most.
   */
  randomDistinctMembers(count: number, visit: (member: string, score: number) => void): void {
    const size = this.size;
    if (count >= size) {
      this.forEachDescending(visit);
      return;
    }
    const lp = this.lp;
    // A listpack's pairs by their member offsets, a skiplist's by their slots.
    let handles: Int32Array;
    if (lp !== null) {
      handles = new Int32Array(size);
      let i = 0;
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; p = after(lp, after(lp, p))) handles[i++] = p;
    } else if (count * 3 > size) {
      handles = this.dict!.liveSlots();
    } else {
      // Few picks from many: draw slots until enough distinct ones came up.
      const dict = this.dict!;
      const picked = new Set<number>();
      while (picked.size < count) picked.add(dict.randomSlot());
      for (const slot of picked) visit(dict.keyAt(slot), dict.scoreAt(slot));
      return;
    }
    // A partial Fisher-Yates shuffle: the first `count` handles end up a uniform sample.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const handle = handles[j]!;
      handles[j] = handles[i]!;
      handles[i] = handle;
      if (lp !== null) {
        readPair(lp, handle);
        visit(pairMember, pairScore);
      } else {
        visit(this.dict!.keyAt(handle), this.dict!.scoreAt(handle));
      }
    }
  }

  // ---- ZSCAN ----

  /**
   * One ZSCAN step. A listpack comes back whole with cursor 0, its scores as stored (an
   * integer entry's digits, or d2string's text), as Redis replies; a skiplist is walked by
   * the index's slot cursor (an element present for the whole scan is returned), scores
   * formatted as %.17g.
   */
  scan(cursor: number, count: number): ZsetScanPage {
    const keys: string[] = [];
    const scores: string[] = [];
    const lp = this.lp;
    if (lp !== null) {
      for (let p = LISTPACK_FIRST_ENTRY; lp[p] !== LISTPACK_END; ) {
        keys.push(lpGetKey(lp, p));
        p = after(lp, p);
        scores.push(lpGetKey(lp, p));
        p = after(lp, p);
      }
      return { cursor: 0, keys, scores };
    }
    const dict = this.dict!;
    const next = dict.scan(cursor, count, (slot) => {
      keys.push(dict.keyAt(slot));
      scores.push(formatDouble(dict.scoreAt(slot)));
    });
    return { cursor: next, keys, scores };
  }

  /** Bytes the structure holds (diagnostics and measurements): listpack array, or index and tree. */
  memoryBytes(): number {
    if (this.lp !== null) return this.lp.byteLength;
    return this.dict!.memoryBytes() + this.tree!.memoryBytes();
  }
}
