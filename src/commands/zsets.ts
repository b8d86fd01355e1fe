// Sorted set commands: ZADD/ZINCRBY, removals (ZREM, ZREMRANGEBY*), reads by rank, score
// and lex range (the ZRANGE family, ZRANGESTORE), the set operations (ZUNION, ZINTER,
// ZDIFF, their STORE forms, ZINTERCARD), pops (ZPOPMIN/MAX, ZMPOP) and their blocking
// forms, ZRANDMEMBER and ZSCAN.
//
// Replies, errors, dirty counts and keyspace events follow Redis 7.0's t_zset.c,
// including two encoding quirks that are visible to clients (RedisZSet.addWithFlags
// reproduces both):
// - a listpack stores an integral score as an integer, so a -0 score written while the
//   set is a listpack reads back as 0 (a skiplist keeps -0, until it becomes a listpack:
//   RedisZSet.convertToListpackIfFits);
// - a listpack overflows *before* the element that does not fit is inserted, so that
//   element already lands in the skiplist (and keeps its -0).

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import type { RedisValue } from "../db/types.ts";
import { argIs, argLower, atoi, bytesToKey, integerBytes, keyToBytes, LONG_MAX, parseInteger } from "../db/bytes.ts";
import { alsoPropagate, blockingTimeoutArg, checkType, intArg, keyChanged, keyChangedBytes, propagateAs, replyError, storeResult } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../notify.ts";
import { parseDouble, parseScoreBound } from "../util/float.ts";
import { globMatch } from "../util/glob.ts";
import { RedisZSet, parseLexBound, type LexBound, type ScoredMember, type ZAddFlags, type ZAddResult } from "../db/zset.ts";
import { RedisSet } from "../db/set.ts";
import { parseCursor, parseScanOptions } from "./keys.ts";

const NAN_SCORE = "ERR resulting score is not a number (NaN)";
const SCORE_RANGE_ERROR = "ERR min or max is not a float";
const LEX_RANGE_ERROR = "ERR min or max not valid string range item";
/** ZRANDMEMBER WITHSCORES doubles the reply length, so Redis caps |count| at LONG_MAX/2. */
const RANDMEMBER_WITHSCORES_LIMIT = LONG_MAX / 2n;

// ---- shared helpers ------------------------------------------------------------------

interface ListpackLimits {
  maxEntries: number;
  maxValueBytes: number;
}

export function listpackLimits(client: Client): ListpackLimits {
  const config = client.server.config;
  return {
    maxEntries: config.getNumber("zset-max-listpack-entries"),
    maxValueBytes: config.getNumber("zset-max-listpack-value"),
  };
}

/** The value as a sorted set: undefined when missing, null after replying WRONGTYPE. */
function asZset(client: Client, value: RedisValue | undefined): RedisZSet | undefined | null {
  return checkType(client, value, RedisZSet);
}

/** zsetAdd with the listpack limits of the moment (the zset converts itself when they are passed). */
function addMember(zset: RedisZSet, member: string, score: number, flags: ZAddFlags, limits: ListpackLimits): ZAddResult {
  return zset.addWithFlags(member, score, flags, limits.maxEntries, limits.maxValueBytes);
}

/** zsetConvertToListpackIfNeeded for a result built as a skiplist (STORE commands). */
export function convertResultToListpackIfFits(zset: RedisZSet, limits: ListpackLimits): void {
  zset.convertToListpackIfFits(limits.maxEntries, limits.maxValueBytes);
}

/** Elements with optional scores: flat in RESP2, [member, score] pairs in RESP3. */
function replyScoredMembers(client: Client, items: readonly ScoredMember[], withScores: boolean): void {
  const reply = client.reply;
  const pairs = withScores && reply.resp === 3;
  reply.arrayHeader(withScores && !pairs ? items.length * 2 : items.length);
  for (const [member, score] of items) {
    if (pairs) reply.arrayHeader(2);
    reply.bulkText(member);
    if (withScores) reply.double(score);
  }
}

/**
 * replyScoredMembers for a run of ranks of a skiplist-encoded set ([first rank, count],
 * null for none), each member's bytes copied from the set into the reply: a range of
 * 1000 members spent two thirds of its time making member strings and pairs.
 */
function replyTreeRun(client: Client, zset: RedisZSet, run: [number, number] | null, reverse: boolean, withScores: boolean): void {
  const reply = client.reply;
  const count = run === null ? 0 : run[1];
  const pairs = withScores && reply.resp === 3;
  reply.arrayHeader(withScores && !pairs ? count * 2 : count);
  if (run === null) return;
  const cursor = zset.treeCursorAt(run[0]);
  for (let i = 0; i < count; i++) {
    if (pairs) reply.arrayHeader(2);
    const slot = cursor.slot;
    const at = reply.bulkInto(zset.memberLengthAt(slot));
    if (at >= 0) zset.copyMemberInto(slot, reply.bytes, at);
    if (withScores) reply.double(cursor.score);
    if (reverse) cursor.prev();
    else cursor.next();
  }
}

/** Removes a key that a command emptied, with Redis's "del" event (not counted as a change). */
function removeIfEmpty(client: Client, key: string | Uint8Array, zset: RedisZSet): void {
  if (zset.size > 0) return;
  const name = typeof key === "string" ? key : bytesToKey(key);
  client.db.remove(name);
  keyChanged(client, NOTIFY_GENERIC, "del", name, 0);
}

// ---- ZADD, ZINCRBY, ZREM --------------------------------------------------------------

/** zaddGenericCommand: ZADD, and ZINCRBY as ZADD with INCR preset. */
export function zaddGeneric(client: Client, argv: Uint8Array[], incrCommand: boolean): void {
  const flags: ZAddFlags = { incr: incrCommand };
  let reportChanged = false;
  let scoreIndex = 2;
  for (; scoreIndex < argv.length; scoreIndex++) {
    const option = argv[scoreIndex]!;
    if (argIs(option, "nx")) flags.nx = true;
    else if (argIs(option, "xx")) flags.xx = true;
    else if (argIs(option, "ch")) reportChanged = true;
    else if (argIs(option, "incr")) flags.incr = true;
    else if (argIs(option, "gt")) flags.gt = true;
    else if (argIs(option, "lt")) flags.lt = true;
    else break;
  }
  const remaining = argv.length - scoreIndex;
  if (remaining === 0 || remaining % 2 !== 0) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const elements = remaining / 2;
  if (flags.nx && flags.xx) {
    replyError(client, "ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    replyError(client, "ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (flags.incr && elements > 1) {
    replyError(client, "ERR INCR option supports a single increment-element pair");
    return;
  }
  const scores: number[] = [];
  for (let j = 0; j < elements; j++) {
    const score = parseDouble(argv[scoreIndex + j * 2]!);
    if (score === null) {
      replyError(client, errors.NOT_FLOAT);
      return;
    }
    scores.push(score);
  }

  // The key as bytes: a key string only for a new key or an observer.
  const key = argv[1]!;
  const db = client.db;
  let zset = asZset(client, db.lookupWriteBytes(key));
  if (zset === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let lastScore = 0;
  if (zset === undefined && !flags.xx) {
    zset = new RedisZSet();
    db.addBytes(key, zset);
  }
  if (zset !== undefined) {
    const limits = listpackLimits(client);
    for (let j = 0; j < elements; j++) {
      const member = bytesToKey(argv[scoreIndex + j * 2 + 1]!);
      const result = addMember(zset, member, scores[j]!, flags, limits);
      // Only INCR can produce NaN, and INCR takes a single element: nothing changed yet.
      if (result.outcome === "nan") {
        replyError(client, NAN_SCORE);
        return;
      }
      if (result.outcome === "added") added++;
      else if (result.outcome === "updated") updated++;
      if (result.outcome !== "skipped") {
        processed++;
        lastScore = result.score;
      }
    }
  }
  if (flags.incr) {
    if (processed > 0) client.reply.double(lastScore);
    else client.reply.nullBulk();
  } else {
    client.reply.integer(reportChanged ? added + updated : added);
  }
  if (added + updated > 0) keyChangedBytes(client, NOTIFY_ZSET, flags.incr ? "zincr" : "zadd", key, added + updated);
}

function zrem(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const zset = asZset(client, client.db.lookupWriteBytes(key));
  if (zset === null) return;
  if (zset === undefined) {
    client.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let j = 2; j < argv.length; j++) {
    if (zset.delete(bytesToKey(argv[j]!))) deleted++;
    if (zset.size === 0) break;
  }
  if (deleted > 0) {
    keyChangedBytes(client, NOTIFY_ZSET, "zrem", key, deleted);
    removeIfEmpty(client, key, zset);
  }
  client.reply.integer(deleted);
}

// ---- single-key reads -----------------------------------------------------------------

function zcard(client: Client, argv: Uint8Array[]): void {
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  client.reply.integer(zset === undefined ? 0 : zset.size);
}

function zscore(client: Client, argv: Uint8Array[]): void {
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  const score = zset?.score(bytesToKey(argv[2]!));
  if (score === undefined) client.reply.nullBulk();
  else client.reply.double(score);
}

function zmscore(client: Client, argv: Uint8Array[]): void {
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  client.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = zset?.score(bytesToKey(argv[j]!));
    if (score === undefined) client.reply.nullBulk();
    else client.reply.double(score);
  }
}

function zrankGeneric(client: Client, argv: Uint8Array[], reverse: boolean): void {
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  const rank = zset?.rank(bytesToKey(argv[2]!), reverse);
  if (rank === undefined) client.reply.nullBulk();
  else client.reply.integer(rank);
}

interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** zslParseRange, or null after replying "min or max is not a float". */
function parseScoreRange(client: Client, minArg: Uint8Array, maxArg: Uint8Array): ScoreRange | null {
  const min = parseScoreBound(minArg);
  const max = min === null ? null : parseScoreBound(maxArg);
  if (min === null || max === null) {
    replyError(client, SCORE_RANGE_ERROR);
    return null;
  }
  return { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive };
}

/** zslParseLexRange, or null after replying "min or max not valid string range item". */
function parseLexRange(client: Client, minArg: Uint8Array, maxArg: Uint8Array): [LexBound, LexBound] | null {
  const min = parseLexBound(minArg);
  const max = min === null ? null : parseLexBound(maxArg);
  if (min === null || max === null) {
    replyError(client, LEX_RANGE_ERROR);
    return null;
  }
  return [min, max];
}

function zcount(client: Client, argv: Uint8Array[]): void {
  const range = parseScoreRange(client, argv[2]!, argv[3]!);
  if (range === null) return;
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  client.reply.integer(zset === undefined ? 0 : zset.countInScoreRange(range.min, range.max, range.minExclusive, range.maxExclusive));
}

function zlexcount(client: Client, argv: Uint8Array[]): void {
  const range = parseLexRange(client, argv[2]!, argv[3]!);
  if (range === null) return;
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  client.reply.integer(zset === undefined ? 0 : zset.countInLexRange(range[0], range[1]));
}

/**
 * Rank arguments normalised as Redis does (negative counts from the end, clamped); null
 * when the range selects nothing.
 */
function normaliseRankRange(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

// ---- ZREMRANGEBYRANK / BYSCORE / BYLEX --------------------------------------------------

type RangeKind = "rank" | "score" | "lex";

function zremrangeGeneric(client: Client, argv: Uint8Array[], kind: RangeKind): void {
  let rankStart = 0;
  let rankEnd = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: [LexBound, LexBound] | null = null;
  if (kind === "rank") {
    const start = intArg(client, argv[2]!);
    if (start === null) return;
    const end = intArg(client, argv[3]!);
    if (end === null) return;
    rankStart = start;
    rankEnd = end;
  } else if (kind === "score") {
    scoreRange = parseScoreRange(client, argv[2]!, argv[3]!);
    if (scoreRange === null) return;
  } else {
    lexRange = parseLexRange(client, argv[2]!, argv[3]!);
    if (lexRange === null) return;
  }
  const key = argv[1]!;
  const zset = asZset(client, client.db.lookupWriteBytes(key));
  if (zset === null) return;
  if (zset === undefined) {
    client.reply.integer(0);
    return;
  }
  let deleted = 0;
  if (scoreRange !== null) {
    deleted = zset.deleteRangeByScore(scoreRange.min, scoreRange.max, scoreRange.minExclusive, scoreRange.maxExclusive);
  } else if (lexRange !== null) {
    deleted = zset.deleteRangeByLex(lexRange[0], lexRange[1]);
  } else {
    const range = normaliseRankRange(rankStart, rankEnd, zset.size);
    if (range === null) {
      client.reply.integer(0);
      return;
    }
    deleted = zset.deleteRangeByRank(range[0], range[1]);
  }
  if (deleted > 0) {
    keyChangedBytes(client, NOTIFY_ZSET, `zremrangeby${kind}`, key, deleted);
    removeIfEmpty(client, key, zset);
  }
  client.reply.integer(deleted);
}

// ---- the ZRANGE family -------------------------------------------------------------------

/**
 * zrangeGenericCommand: ZRANGE, ZRANGESTORE and the older forms, which fix the range kind
 * and/or direction (then the matching option is a syntax error). `keyIndex` is the source
 * key's position; `destination` is set for ZRANGESTORE.
 */
function zrangeGeneric(
  client: Client,
  argv: Uint8Array[],
  keyIndex: number,
  destination: string | null,
  fixedKind: RangeKind | null,
  fixedReverse: boolean | null,
): void {
  let kind: RangeKind | null = fixedKind;
  let reverse: boolean | null = fixedReverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIndex + 3; j < argv.length; j++) {
    const option = argv[j]!;
    const argsLeft = argv.length - j - 1;
    if (destination === null && argIs(option, "withscores")) withScores = true;
    else if (argIs(option, "limit") && argsLeft >= 2) {
      const parsedOffset = intArg(client, argv[j + 1]!);
      if (parsedOffset === null) return;
      const parsedLimit = intArg(client, argv[j + 2]!);
      if (parsedLimit === null) return;
      offset = parsedOffset;
      limit = parsedLimit;
      j += 2;
    } else if (reverse === null && argIs(option, "rev")) reverse = true;
    else if (kind === null && argIs(option, "bylex")) kind = "lex";
    else if (kind === null && argIs(option, "byscore")) kind = "score";
    else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const rangeKind: RangeKind = kind ?? "rank";
  const descending = reverse ?? false;
  // "LIMIT x -1" means no limit, and Redis lets it through with a rank range.
  if (limit !== -1 && rangeKind === "rank") {
    replyError(client, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withScores && rangeKind === "lex") {
    replyError(client, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  // Reverse score and lex ranges are written max first.
  const swapBounds = descending && rangeKind !== "rank";
  const minArg = argv[swapBounds ? keyIndex + 2 : keyIndex + 1]!;
  const maxArg = argv[swapBounds ? keyIndex + 1 : keyIndex + 2]!;
  let rankStart = 0;
  let rankEnd = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: [LexBound, LexBound] | null = null;
  if (rangeKind === "rank") {
    const start = intArg(client, minArg);
    if (start === null) return;
    const end = intArg(client, maxArg);
    if (end === null) return;
    rankStart = start;
    rankEnd = end;
  } else if (rangeKind === "score") {
    scoreRange = parseScoreRange(client, minArg, maxArg);
    if (scoreRange === null) return;
  } else {
    lexRange = parseLexRange(client, minArg, maxArg);
    if (lexRange === null) return;
  }

  const zset = asZset(client, client.db.lookupReadBytes(argv[keyIndex]!));
  if (zset === null) return;
  if (destination === null && zset !== undefined && zset.encoding === "skiplist" && lexRange === null) {
    let run: [number, number] | null = null;
    if (scoreRange !== null) {
      // Redis answers an offset past the end without searching.
      if (!(offset > 0 && offset >= zset.size)) {
        run = zset.treeScoreRun(scoreRange.min, scoreRange.max, scoreRange.minExclusive, scoreRange.maxExclusive, descending, offset, limit);
      }
    } else {
      const range = normaliseRankRange(rankStart, rankEnd, zset.size);
      if (range !== null) run = zset.rankRun(range[0], range[1], descending);
    }
    replyTreeRun(client, zset, run, descending, withScores);
    return;
  }
  let items: ScoredMember[] = [];
  if (zset !== undefined) {
    if (scoreRange !== null) {
      // Redis answers an offset past the end without searching.
      if (!(offset > 0 && offset >= zset.size)) {
        items = zset.rangeByScore(scoreRange.min, scoreRange.max, scoreRange.minExclusive, scoreRange.maxExclusive, descending, offset, limit);
      }
    } else if (lexRange !== null) {
      items = zset.rangeByLex(lexRange[0], lexRange[1], descending, offset, limit);
    } else {
      const range = normaliseRankRange(rankStart, rankEnd, zset.size);
      if (range !== null) items = zset.rangeByRank(range[0], range[1], descending);
    }
  }
  if (destination === null) {
    replyScoredMembers(client, items, withScores);
    return;
  }
  // zrangeResultBeginStore: a rank range knows its length up front and starts as a
  // skiplist when it is too long; score and lex ranges start as a listpack and grow.
  const limits = listpackLimits(client);
  const result = new RedisZSet(rangeKind === "rank" && items.length > limits.maxEntries ? "skiplist" : "listpack");
  for (const [member, score] of items) addMember(result, member, score, {}, limits);
  storeResult(client, destination, result, result.size, NOTIFY_ZSET, "zrangestore");
}

// ---- ZUNION / ZINTER / ZDIFF (and STORE), ZINTERCARD --------------------------------------

type SetOperation = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

interface Operand {
  value: RedisZSet | RedisSet | null;
  weight: number;
  size: number;
}

/** An operand's elements; plain set members count with score 1. */
function* operandEntries(value: RedisZSet | RedisSet): Generator<readonly [string, number], void, undefined> {
  if (value instanceof RedisZSet) {
    yield* value;
    return;
  }
  for (const member of value.orderedMembers()) yield [member, 1];
}

function operandScore(value: RedisZSet | RedisSet | null, member: string): number | undefined {
  if (value === null) return undefined;
  if (value instanceof RedisZSet) return value.score(member);
  return value.has(member) ? 1 : undefined;
}

/** zunionInterAggregate: a SUM that yields NaN (inf + -inf) becomes 0. */
function aggregateScores(target: number, value: number, aggregate: Aggregate): number {
  if (aggregate === "sum") {
    const sum = target + value;
    return sum !== sum ? 0 : sum;
  }
  if (aggregate === "min") return value < target ? value : target;
  return value > target ? value : target;
}

/**
 * zunionInterDiffGenericCommand. `destinationIndex` is 1 for the STORE forms (0 otherwise);
 * numkeys follows it. ZINTERCARD is the intersection with `cardinalityOnly`.
 */
function zsetOperation(client: Client, argv: Uint8Array[], destinationIndex: number, operation: SetOperation, cardinalityOnly = false): void {
  const numkeysIndex = destinationIndex + 1;
  const setCount = intArg(client, argv[numkeysIndex]!);
  if (setCount === null) return;
  if (setCount < 1) {
    replyError(client, `ERR at least 1 input key is needed for '${argLower(argv[0]!)}' command`);
    return;
  }
  if (setCount > argv.length - (numkeysIndex + 1)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const db = client.db;
  const operands: Operand[] = [];
  for (let i = 0; i < setCount; i++) {
    const value = db.lookupRead(bytesToKey(argv[numkeysIndex + 1 + i]!));
    if (value !== undefined && !(value instanceof RedisZSet) && !(value instanceof RedisSet)) {
      replyError(client, errors.WRONGTYPE);
      return;
    }
    operands.push({ value: value ?? null, weight: 1, size: value?.size ?? 0 });
  }

  let aggregate: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  const storing = destinationIndex > 0;
  let j = numkeysIndex + 1 + setCount;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const option = argv[j]!;
    if (operation !== "diff" && !cardinalityOnly && remaining >= setCount + 1 && argIs(option, "weights")) {
      j++;
      for (const operand of operands) {
        const weight = parseDouble(argv[j++]!);
        if (weight === null) {
          replyError(client, "ERR weight value is not a float");
          return;
        }
        operand.weight = weight;
      }
    } else if (operation !== "diff" && !cardinalityOnly && remaining >= 2 && argIs(option, "aggregate")) {
      const name = argv[j + 1]!;
      if (argIs(name, "sum")) aggregate = "sum";
      else if (argIs(name, "min")) aggregate = "min";
      else if (argIs(name, "max")) aggregate = "max";
      else {
        replyError(client, errors.SYNTAX_ERROR);
        return;
      }
      j += 2;
    } else if (!storing && !cardinalityOnly && argIs(option, "withscores")) {
      withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && argIs(option, "limit")) {
      const parsed = intArg(client, argv[j + 1]!, "ERR LIMIT can't be negative");
      if (parsed === null) return;
      if (parsed < 0) {
        replyError(client, "ERR LIMIT can't be negative");
        return;
      }
      limit = parsed;
      j += 2;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }

  // Smallest first: the intersection walks the smallest input, and a SUM adds in this
  // order, which decides the rounding. The sort is stable, like glibc's merge-sort qsort.
  if (operation !== "diff") operands.sort((a, b) => a.size - b.size);

  const result = new RedisZSet("skiplist");
  let cardinality = 0;
  const first = operands[0]!;
  if (operation === "inter") {
    if (first.value !== null && first.size > 0) {
      for (const [member, firstScore] of operandEntries(first.value)) {
        let score = first.weight * firstScore;
        if (score !== score) score = 0;
        let inAll = true;
        for (let k = 1; k < operands.length; k++) {
          const other = operands[k]!;
          // No NaN guard here, unlike the first operand: MIN and MAX then keep the target.
          const found = other.value === first.value ? firstScore : operandScore(other.value, member);
          if (found === undefined) {
            inAll = false;
            break;
          }
          score = aggregateScores(score, found * other.weight, aggregate);
        }
        if (!inAll) continue;
        if (cardinalityOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else result.add(member, score);
      }
    }
  } else if (operation === "union") {
    const accumulator = new Map<string, number>();
    for (const operand of operands) {
      if (operand.value === null || operand.size === 0) continue;
      for (const [member, rawScore] of operandEntries(operand.value)) {
        let score = operand.weight * rawScore;
        if (score !== score) score = 0;
        const existing = accumulator.get(member);
        accumulator.set(member, existing === undefined ? score : aggregateScores(existing, score, aggregate));
      }
    }
    for (const [member, score] of accumulator) result.add(member, score);
  } else if (first.value !== null && first.size > 0) {
    for (const [member, score] of operandEntries(first.value)) {
      let excluded = false;
      for (let k = 1; k < operands.length && !excluded; k++) {
        const other = operands[k]!;
        excluded = other.value === first.value || operandScore(other.value, member) !== undefined;
      }
      if (!excluded) result.add(member, score);
    }
  }

  if (cardinalityOnly) {
    client.reply.integer(cardinality);
    return;
  }
  if (!storing) {
    replyScoredMembers(client, [...result], withScores);
    return;
  }
  convertResultToListpackIfFits(result, listpackLimits(client));
  storeResult(client, bytesToKey(argv[destinationIndex]!), result, result.size, NOTIFY_ZSET, `z${operation}store`);
}

// ---- pops ----------------------------------------------------------------------------------

type PopEnd = "min" | "max";

interface PopReplyShape {
  /** Prefix the reply with the key (ZMPOP and the blocking pops). */
  emitKey: boolean;
  /** [member, score] pairs instead of a flat list (ZMPOP, and ZPOPMIN with a count in RESP3). */
  nested: boolean;
}

/**
 * The popping half of genericZpopCommand on a non-empty set; `count` -1 means the
 * single-element form. Counts one change per element, emits zpopmin/zpopmax once.
 * Returns the pop as ZPOPMIN/ZPOPMAX replicate it: key, and the count popped if given.
 */
function popAndReply(client: Client, key: string, zset: RedisZSet, end: PopEnd, count: number, shape: PopReplyShape): Uint8Array[] {
  const wanted = count === -1 ? 1 : count;
  const popped = end === "min" ? zset.popMin(wanted) : zset.popMax(wanted);
  const reply = client.reply;
  if (shape.emitKey && shape.nested) {
    reply.arrayHeader(2);
    reply.bulkText(key);
    reply.arrayHeader(popped.length);
  } else if (shape.emitKey) {
    reply.arrayHeader(popped.length * 2 + 1);
    reply.bulkText(key);
  } else {
    reply.arrayHeader(shape.nested ? popped.length : popped.length * 2);
  }
  for (const [member, score] of popped) {
    if (shape.nested) reply.arrayHeader(2);
    reply.bulkText(member);
    reply.double(score);
  }
  keyChanged(client, NOTIFY_ZSET, end === "min" ? "zpopmin" : "zpopmax", key, popped.length);
  removeIfEmpty(client, key, zset);
  const command = end === "min" ? SHARED.zpopmin : SHARED.zpopmax;
  return count === -1 ? [command, keyToBytes(key)] : [command, keyToBytes(key), integerBytes(popped.length)];
}

/**
 * genericZpopCommand: pops from the first existing key. With no set to pop from it replies
 * an empty array, or a null array for the ZMPOP forms (`nilWhenEmpty`).
 */
function genericZpop(client: Client, keys: string[], end: PopEnd, count: number, shape: PopReplyShape, nilWhenEmpty: boolean): void {
  const db = client.db;
  for (const key of keys) {
    const zset = asZset(client, db.lookupWrite(key));
    if (zset === null) return;
    if (zset === undefined) continue;
    if (count === 0) client.reply.emptyArray();
    else {
      const replicated = popAndReply(client, key, zset, end, count, shape);
      // ZMPOP is replicated as ZPOPMIN/ZPOPMAX key count; ZPOPMIN/ZPOPMAX as they are.
      if (nilWhenEmpty) propagateAs(client, () => replicated);
    }
    return;
  }
  if (nilWhenEmpty) client.reply.nullArray();
  else client.reply.emptyArray();
}

function zpopMinMax(client: Client, argv: Uint8Array[], end: PopEnd): void {
  if (argv.length > 3) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const parsed = intArg(client, argv[2]!, "ERR value is out of range, must be positive");
    if (parsed === null) return;
    if (parsed < 0) {
      replyError(client, "ERR value is out of range, must be positive");
      return;
    }
    count = parsed;
  }
  const nested = client.reply.resp === 3 && count !== -1;
  genericZpop(client, [bytesToKey(argv[1]!)], end, count, { emitKey: false, nested }, false);
}

/**
 * blockingGenericZpopCommand: pops at once when a key has elements (replicated as
 * ZPOPMIN/ZPOPMAX), else blocks (or, where the client cannot block, replies a null
 * array). Served clients get the same reply as the non-blocking form.
 */
function blockingZpop(client: Client, keys: string[], end: PopEnd, timeoutArg: Uint8Array, count: number, shape: PopReplyShape): void {
  const timeoutAt = blockingTimeoutArg(client, timeoutArg);
  if (timeoutAt === null) return;
  const db = client.db;
  for (const key of keys) {
    const zset = asZset(client, db.lookupWrite(key));
    if (zset === null) return;
    if (zset === undefined) continue;
    const replicated = popAndReply(client, key, zset, end, count, shape);
    propagateAs(client, () => replicated);
    return;
  }
  if (client.denyBlocking) {
    client.reply.nullArray();
    return;
  }
  client.server.blocking.blockForKeys(client, "zset", keys, timeoutAt, client.currentCommand!, {
    // Served from the key signalled first, as Redis serves a client blocked on several keys.
    serve: (readyKey) => {
      // A key recreated with another type does not serve (nor fail) the client in Redis 7.0.
      const value = client.db.lookupWrite(readyKey);
      if (!(value instanceof RedisZSet)) return false;
      alsoPropagate(client, popAndReply(client, readyKey, value, end, count, shape));
      return true;
    },
    onTimeout: () => client.reply.nullArray(),
  });
}

function bzpopMinMax(client: Client, argv: Uint8Array[], end: PopEnd): void {
  const keys: string[] = [];
  for (let j = 1; j < argv.length - 1; j++) keys.push(bytesToKey(argv[j]!));
  blockingZpop(client, keys, end, argv[argv.length - 1]!, -1, { emitKey: true, nested: false });
}

/** zmpopGenericCommand: ZMPOP numkeys key... MIN|MAX [COUNT n], and BZMPOP with a timeout first. */
function zmpopGeneric(client: Client, argv: Uint8Array[], blocking: boolean): void {
  const numkeysIndex = blocking ? 2 : 1;
  const numkeysError = "ERR numkeys should be greater than 0";
  const numkeys = intArg(client, argv[numkeysIndex]!, numkeysError);
  if (numkeys === null) return;
  if (numkeys < 1) {
    replyError(client, numkeysError);
    return;
  }
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  let end: PopEnd;
  if (argIs(argv[whereIndex]!, "min")) end = "min";
  else if (argIs(argv[whereIndex]!, "max")) end = "max";
  else {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    const hasValue = j < argv.length - 1;
    if (count === -1 && hasValue && argIs(argv[j]!, "count")) {
      const countError = "ERR count should be greater than 0";
      const parsed = intArg(client, argv[++j]!, countError);
      if (parsed === null) return;
      if (parsed < 1) {
        replyError(client, countError);
        return;
      }
      count = parsed;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  if (count === -1) count = 1;
  const keys: string[] = [];
  for (let j = numkeysIndex + 1; j < whereIndex; j++) keys.push(bytesToKey(argv[j]!));
  const shape = { emitKey: true, nested: true };
  if (blocking) blockingZpop(client, keys, end, argv[1]!, count, shape);
  else genericZpop(client, keys, end, count, shape, true);
}

// ---- ZRANDMEMBER, ZSCAN ---------------------------------------------------------------------

function zrandmember(client: Client, argv: Uint8Array[]): void {
  if (argv.length >= 3) {
    // Redis 7.0.15 parses the count within [-LONG_MAX, LONG_MAX], so that negating it is safe.
    const parsed = parseInteger(argv[2]!);
    if (parsed === null) {
      replyError(client, errors.NOT_INTEGER);
      return;
    }
    if (parsed < -LONG_MAX) {
      replyError(client, `ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`);
      return;
    }
    if (argv.length > 4 || (argv.length === 4 && !argIs(argv[3]!, "withscores"))) {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
    const withScores = argv.length === 4;
    if (withScores && (parsed < -RANDMEMBER_WITHSCORES_LIMIT || parsed > RANDMEMBER_WITHSCORES_LIMIT)) {
      replyError(client, "ERR value is out of range");
      return;
    }
    const count = typeof parsed === "bigint" ? (parsed > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER) : parsed;
    zrandmemberWithCount(client, argv, count, withScores);
    return;
  }
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  if (zset === undefined) {
    client.reply.nullBulk();
    return;
  }
  client.reply.bulkText(zset.randomMember()!);
}

/**
 * zrandmemberWithCountCommand: a negative count allows repetitions; a count covering the
 * whole set returns it in Redis's iteration order, highest score first.
 */
function zrandmemberWithCount(client: Client, argv: Uint8Array[], count: number, withScores: boolean): void {
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  if (zset === undefined || count === 0) {
    client.reply.emptyArray();
    return;
  }
  const reply = client.reply;
  const pairs = withScores && reply.resp === 3;
  const picks = count < 0 ? -count : Math.min(count, zset.size);
  reply.arrayHeader(withScores && !pairs ? picks * 2 : picks);
  // Each pick goes straight into the reply: the reply is the only copy made.
  const emit = (member: string, score: number): void => {
    if (pairs) reply.arrayHeader(2);
    reply.bulkText(member);
    if (withScores) reply.double(score);
  };
  if (count < 0 || count === 1) zset.randomMembersWithRepetition(picks, emit);
  else zset.randomDistinctMembers(count, emit);
}

function zscan(client: Client, argv: Uint8Array[]): void {
  const cursor = parseCursor(client, argv[2]!);
  if (cursor === null) return;
  const zset = asZset(client, client.db.lookupReadBytes(argv[1]!));
  if (zset === null) return;
  const reply = client.reply;
  if (zset === undefined) {
    reply.arrayHeader(2);
    reply.bulkText("0");
    reply.emptyArray();
    return;
  }
  const options = parseScanOptions(client, argv, 3, false);
  if (options === null) return;
  const page = zset.scan(cursor, options.count);
  const pattern = options.pattern;
  let shown = page.keys.length;
  if (pattern !== null) {
    shown = 0;
    for (let i = 0; i < page.keys.length; i++) {
      if (globMatch(pattern, keyToBytes(page.keys[i]!))) {
        page.keys[shown] = page.keys[i]!;
        page.scores[shown++] = page.scores[i]!;
      }
    }
  }
  reply.arrayHeader(2);
  reply.bulkText(String(page.cursor));
  reply.arrayHeader(shown * 2);
  for (let i = 0; i < shown; i++) {
    reply.bulkText(page.keys[i]!);
    reply.bulkText(page.scores[i]!);
  }
}

// ---- declarations ----------------------------------------------------------------------------

/** Key positions for commands with a numkeys argument (plus an optional destination key first). */
function keysAfterNumkeys(numkeysIndex: number, destinationIndex = 0): (argv: Uint8Array[]) => number[] {
  return (argv) => {
    // Redis's genericGetKeys reads numkeys with atoi ("2x" is 2); the command itself is stricter.
    const count = numkeysIndex < argv.length ? atoi(argv[numkeysIndex]!) : 0;
    if (count < 1 || count > argv.length - numkeysIndex - 1) return [];
    // The destination comes last, as genericGetKeys appends the store key.
    const indexes: number[] = [];
    for (let i = 0; i < count; i++) indexes.push(numkeysIndex + 1 + i);
    if (destinationIndex > 0) indexes.push(destinationIndex);
    return indexes;
  };
}

const Z = { categories: ["sortedset"], group: "sorted-set" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };
const movable = { firstKey: 0, lastKey: 0, keyStep: 0 };
const RANGE_COMPLEXITY = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
const LIMITED_RANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const REMOVE_RANGE_COMPLEXITY = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
const UNION_COMPLEXITY = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.";
const INTER_COMPLEXITY =
  "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_COMPLEXITY = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";
const POP_COMPLEXITY = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
const MPOP_COMPLEXITY = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.";

export const zsetCommands: CommandSpec[] = [
  { name: "zadd", arity: -4, flags: ["write", "denyoom", "fast"], ...single, ...Z, since: "1.2.0", summary: "Add one or more members to a sorted set, or update its score if it already exists", complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.", handler: (c, a) => zaddGeneric(c, a, false) },
  { name: "zincrby", arity: 4, flags: ["write", "denyoom", "fast"], ...single, ...Z, since: "1.2.0", summary: "Increment the score of a member in a sorted set", complexity: "O(log(N)) where N is the number of elements in the sorted set.", handler: (c, a) => zaddGeneric(c, a, true) },
  { name: "zrem", arity: -3, flags: ["write", "fast"], ...single, ...Z, since: "1.2.0", summary: "Remove one or more members from a sorted set", complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", handler: zrem },
  { name: "zcard", arity: 2, flags: ["readonly", "fast"], ...single, ...Z, since: "1.2.0", summary: "Get the number of members in a sorted set", complexity: "O(1)", handler: zcard },
  { name: "zscore", arity: 3, flags: ["readonly", "fast"], ...single, ...Z, since: "1.2.0", summary: "Get the score associated with the given member in a sorted set", complexity: "O(1)", handler: zscore },
  { name: "zmscore", arity: -3, flags: ["readonly", "fast"], ...single, ...Z, since: "6.2.0", summary: "Get the score associated with the given members in a sorted set", complexity: "O(N) where N is the number of members being requested.", handler: zmscore },
  { name: "zrank", arity: 3, flags: ["readonly", "fast"], ...single, ...Z, since: "2.0.0", summary: "Determine the index of a member in a sorted set", complexity: "O(log(N))", handler: (c, a) => zrankGeneric(c, a, false) },
  { name: "zrevrank", arity: 3, flags: ["readonly", "fast"], ...single, ...Z, since: "2.0.0", summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", complexity: "O(log(N))", handler: (c, a) => zrankGeneric(c, a, true) },
  { name: "zcount", arity: 4, flags: ["readonly", "fast"], ...single, ...Z, since: "2.0.0", summary: "Count the members in a sorted set with scores within the given values", complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zcount },
  { name: "zlexcount", arity: 4, flags: ["readonly", "fast"], ...single, ...Z, since: "2.8.9", summary: "Count the number of members in a sorted set between a given lexicographical range", complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: zlexcount },
  { name: "zrange", arity: -4, flags: ["readonly"], ...single, ...Z, since: "1.2.0", summary: "Return a range of members in a sorted set", complexity: RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, null, null) },
  { name: "zrangestore", arity: -5, flags: ["write", "denyoom"], firstKey: 1, lastKey: 2, keyStep: 1, ...Z, since: "6.2.0", summary: "Store a range of members from sorted set into another key", complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", handler: (c, a) => zrangeGeneric(c, a, 2, bytesToKey(a[1]!), null, null) },
  { name: "zrangebyscore", arity: -4, flags: ["readonly"], ...single, ...Z, since: "1.0.5", summary: "Return a range of members in a sorted set, by score", complexity: LIMITED_RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, "score", false) },
  { name: "zrevrangebyscore", arity: -4, flags: ["readonly"], ...single, ...Z, since: "2.2.0", summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", complexity: LIMITED_RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, "score", true) },
  { name: "zrangebylex", arity: -4, flags: ["readonly"], ...single, ...Z, since: "2.8.9", summary: "Return a range of members in a sorted set, by lexicographical range", complexity: LIMITED_RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, "lex", false) },
  { name: "zrevrangebylex", arity: -4, flags: ["readonly"], ...single, ...Z, since: "2.8.9", summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", complexity: LIMITED_RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, "lex", true) },
  { name: "zrevrange", arity: -4, flags: ["readonly"], ...single, ...Z, since: "1.2.0", summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", complexity: RANGE_COMPLEXITY, handler: (c, a) => zrangeGeneric(c, a, 1, null, "rank", true) },
  { name: "zremrangebyrank", arity: 4, flags: ["write"], ...single, ...Z, since: "2.0.0", summary: "Remove all members in a sorted set within the given indexes", complexity: REMOVE_RANGE_COMPLEXITY, handler: (c, a) => zremrangeGeneric(c, a, "rank") },
  { name: "zremrangebyscore", arity: 4, flags: ["write"], ...single, ...Z, since: "1.2.0", summary: "Remove all members in a sorted set within the given scores", complexity: REMOVE_RANGE_COMPLEXITY, handler: (c, a) => zremrangeGeneric(c, a, "score") },
  { name: "zremrangebylex", arity: 4, flags: ["write"], ...single, ...Z, since: "2.8.9", summary: "Remove all members in a sorted set between the given lexicographical range", complexity: REMOVE_RANGE_COMPLEXITY, handler: (c, a) => zremrangeGeneric(c, a, "lex") },
  { name: "zunion", arity: -3, flags: ["readonly"], ...movable, ...Z, since: "6.2.0", summary: "Add multiple sorted sets", complexity: UNION_COMPLEXITY, getKeys: keysAfterNumkeys(1), handler: (c, a) => zsetOperation(c, a, 0, "union") },
  { name: "zinter", arity: -3, flags: ["readonly"], ...movable, ...Z, since: "6.2.0", summary: "Intersect multiple sorted sets", complexity: INTER_COMPLEXITY, getKeys: keysAfterNumkeys(1), handler: (c, a) => zsetOperation(c, a, 0, "inter") },
  { name: "zdiff", arity: -3, flags: ["readonly"], ...movable, ...Z, since: "6.2.0", summary: "Subtract multiple sorted sets", complexity: DIFF_COMPLEXITY, getKeys: keysAfterNumkeys(1), handler: (c, a) => zsetOperation(c, a, 0, "diff") },
  { name: "zunionstore", arity: -4, flags: ["write", "denyoom"], ...single, ...Z, since: "2.0.0", summary: "Add multiple sorted sets and store the resulting sorted set in a new key", complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", getKeys: keysAfterNumkeys(2, 1), handler: (c, a) => zsetOperation(c, a, 1, "union") },
  { name: "zinterstore", arity: -4, flags: ["write", "denyoom"], ...single, ...Z, since: "2.0.0", summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", complexity: INTER_COMPLEXITY, getKeys: keysAfterNumkeys(2, 1), handler: (c, a) => zsetOperation(c, a, 1, "inter") },
  { name: "zdiffstore", arity: -4, flags: ["write", "denyoom"], ...single, ...Z, since: "6.2.0", summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", complexity: DIFF_COMPLEXITY, getKeys: keysAfterNumkeys(2, 1), handler: (c, a) => zsetOperation(c, a, 1, "diff") },
  { name: "zintercard", arity: -3, flags: ["readonly"], ...movable, ...Z, since: "7.0.0", summary: "Intersect multiple sorted sets and return the cardinality of the result", complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", getKeys: keysAfterNumkeys(1), handler: (c, a) => zsetOperation(c, a, 0, "inter", true) },
  { name: "zpopmin", arity: -2, flags: ["write", "fast"], ...single, ...Z, since: "5.0.0", summary: "Remove and return members with the lowest scores in a sorted set", complexity: POP_COMPLEXITY, handler: (c, a) => zpopMinMax(c, a, "min") },
  { name: "zpopmax", arity: -2, flags: ["write", "fast"], ...single, ...Z, since: "5.0.0", summary: "Remove and return members with the highest scores in a sorted set", complexity: POP_COMPLEXITY, handler: (c, a) => zpopMinMax(c, a, "max") },
  { name: "bzpopmin", arity: -3, flags: ["write", "noscript", "blocking", "fast"], firstKey: 1, lastKey: -2, keyStep: 1, ...Z, since: "5.0.0", summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: (c, a) => bzpopMinMax(c, a, "min") },
  { name: "bzpopmax", arity: -3, flags: ["write", "noscript", "blocking", "fast"], firstKey: 1, lastKey: -2, keyStep: 1, ...Z, since: "5.0.0", summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", complexity: "O(log(N)) with N being the number of elements in the sorted set.", handler: (c, a) => bzpopMinMax(c, a, "max") },
  { name: "zmpop", arity: -4, flags: ["write"], ...movable, ...Z, since: "7.0.0", summary: "Remove and return members with scores in a sorted set", complexity: MPOP_COMPLEXITY, getKeys: keysAfterNumkeys(1), handler: (c, a) => zmpopGeneric(c, a, false) },
  { name: "bzmpop", arity: -5, flags: ["write", "blocking"], ...movable, ...Z, since: "7.0.0", summary: "Remove and return members with scores in a sorted set or block until one is available", complexity: MPOP_COMPLEXITY, getKeys: keysAfterNumkeys(2), handler: (c, a) => zmpopGeneric(c, a, true) },
  { name: "zrandmember", arity: -2, flags: ["readonly"], ...single, ...Z, since: "6.2.0", summary: "Get one or multiple random elements from a sorted set", complexity: "O(N) where N is the number of elements returned", tips: ["nondeterministic_output"], handler: zrandmember },
  { name: "zscan", arity: -3, flags: ["readonly"], ...single, ...Z, since: "2.8.0", summary: "Incrementally iterate sorted sets elements and associated scores", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", tips: ["nondeterministic_output"], handler: zscan },
];
