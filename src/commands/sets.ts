// Set commands (Redis's t_set.c): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS,
// SPOP, SRANDMEMBER, SMOVE, SINTER/SINTERCARD/SINTERSTORE, SUNION/SUNIONSTORE,
// SDIFF/SDIFFSTORE and SSCAN.
//
// As in hashes.ts, write commands open the key with `db.lookupWrite` and report a change
// with keyChanged only when the set really changes. SPOP is replicated as the SREMs of
// the members it took (DEL when it took the whole set). Results of SINTER/SUNION/SDIFF
// are built in a fresh set that starts as an intset, exactly as Redis builds them, so
// the reply order follows the result's encoding: ascending for an intset result,
// insertion order (Redis: hash order) otherwise.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { atoi, bytesToKey, keyToBytes, parseInteger } from "../db/bytes.ts";
import { alsoPropagate, checkType, keyChanged, keyChangedBytes, preventPropagation, propagateAs, replyError, storeResult, wrongType } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../notify.ts";
import { RedisSet } from "../db/set.ts";
import { globMatch } from "../util/glob.ts";
import { parseCursor, parseScanOptions } from "./keys.ts";
import { randomCountArg, replyEmptyScan } from "./hashes.ts";

// Keys are looked up by the argument's bytes: a key string is made only for a new key,
// a deleted one, or an observer (WATCH, tracking, keyspace events) that needs it.

/** The set at `key` for a read command: undefined when missing, null after replying WRONGTYPE. */
function setForRead(client: Client, key: Uint8Array): RedisSet | undefined | null {
  return checkType(client, client.db.lookupReadBytes(key), RedisSet);
}

/** The set at `key`, opened for writing: undefined when missing, null after replying WRONGTYPE. */
function setForWrite(client: Client, key: Uint8Array): RedisSet | undefined | null {
  return checkType(client, client.db.lookupWriteBytes(key), RedisSet);
}

function maxIntsetEntries(client: Client): number {
  return client.server.config.getNumber("set-max-intset-entries");
}

// ---- membership -----------------------------------------------------------------------

function sadd(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const existing = setForWrite(client, key);
  if (existing === null) return;
  let added = 0;
  if (existing === undefined) {
    const created = new RedisSet();
    for (let i = 2; i < argv.length; i++) if (created.add(bytesToKey(argv[i]!))) added++;
    created.convertIfNeeded(maxIntsetEntries(client));
    client.db.addBytes(key, created);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const member = bytesToKey(argv[i]!);
      if (existing.has(member)) continue;
      existing.add(member);
      added++;
    }
    if (added > 0) existing.convertIfNeeded(maxIntsetEntries(client));
  }
  if (added > 0) keyChangedBytes(client, NOTIFY_SET, "sadd", key, added);
  client.reply.integer(added);
}

function srem(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const set = setForWrite(client, key);
  if (set === null) return;
  if (set === undefined) {
    client.reply.integer(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    const member = bytesToKey(argv[i]!);
    if (!set.has(member)) continue;
    set.delete(member);
    deleted++;
    if (set.size === 0) {
      client.db.remove(bytesToKey(key));
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    keyChangedBytes(client, NOTIFY_SET, "srem", key, deleted);
    if (keyRemoved) keyChangedBytes(client, NOTIFY_GENERIC, "del", key, 0);
  }
  client.reply.integer(deleted);
}

function smove(client: Client, argv: Uint8Array[]): void {
  const sourceKey = bytesToKey(argv[1]!);
  const targetKey = bytesToKey(argv[2]!);
  const member = bytesToKey(argv[3]!);
  const db = client.db;
  const sourceValue = db.lookupWrite(sourceKey);
  const targetValue = db.lookupWrite(targetKey);
  // A missing source answers 0 before any type check, whatever the destination holds.
  if (sourceValue === undefined) {
    client.reply.integer(0);
    return;
  }
  if (sourceValue instanceof Uint8Array || sourceValue.type !== "set") {
    wrongType(client);
    return;
  }
  const source = sourceValue;
  let target: RedisSet | undefined;
  if (targetValue !== undefined) {
    const value = targetValue;
    if (value instanceof Uint8Array || value.type !== "set") {
      wrongType(client);
      return;
    }
    target = value;
  }
  if (source === target) {
    client.reply.integer(source.has(member) ? 1 : 0);
    return;
  }
  if (!source.has(member)) {
    client.reply.integer(0);
    return;
  }
  source.delete(member);
  keyChanged(client, NOTIFY_SET, "srem", sourceKey);
  if (source.size === 0) {
    db.remove(sourceKey);
    keyChanged(client, NOTIFY_GENERIC, "del", sourceKey, 0);
  }
  let added = false;
  if (target === undefined) {
    target = new RedisSet();
    target.add(member);
    target.convertIfNeeded(maxIntsetEntries(client));
    db.add(targetKey, target);
    added = true;
  } else if (!target.has(member)) {
    target.add(member);
    target.convertIfNeeded(maxIntsetEntries(client));
    added = true;
  }
  if (added) keyChanged(client, NOTIFY_SET, "sadd", targetKey);
  client.reply.integer(1);
}

function scard(client: Client, argv: Uint8Array[]): void {
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  client.reply.integer(set === undefined ? 0 : set.size);
}

function sismember(client: Client, argv: Uint8Array[]): void {
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  client.reply.integer(set !== undefined && set.has(bytesToKey(argv[2]!)) ? 1 : 0);
}

function smismember(client: Client, argv: Uint8Array[]): void {
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  const reply = client.reply;
  reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) reply.integer(set !== undefined && set.has(bytesToKey(argv[i]!)) ? 1 : 0);
}

/** A set-typed reply (`~` in RESP3) of the members in the order given. */
function replyMembers(client: Client, members: readonly string[]): void {
  const reply = client.reply;
  reply.setHeader(members.length);
  for (const member of members) reply.bulkText(member);
}

// ---- random members -------------------------------------------------------------------

function spop(client: Client, argv: Uint8Array[]): void {
  if (argv.length === 3) {
    spopWithCount(client, argv);
    return;
  }
  if (argv.length > 3) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const key = argv[1]!;
  const set = setForWrite(client, key);
  if (set === null) return;
  if (set === undefined) {
    client.reply.nullBulk();
    return;
  }
  const member = set.popRandom()!;
  keyChangedBytes(client, NOTIFY_SET, "spop", key);
  // Replicated as SREM of the member it took: a replica must not pick its own.
  propagateAs(client, () => [SHARED.srem, argv[1]!, keyToBytes(member)]);
  client.reply.bulkText(member);
  if (set.size === 0) {
    client.db.remove(bytesToKey(key));
    keyChangedBytes(client, NOTIFY_GENERIC, "del", key, 0);
  }
}

function spopWithCount(client: Client, argv: Uint8Array[]): void {
  const parsed = parseInteger(argv[2]!);
  // getPositiveLongFromObjectOrReply with its message: one text for every bad count.
  if (parsed === null || parsed < 0) {
    replyError(client, "ERR value is out of range, must be positive");
    return;
  }
  const key = argv[1]!;
  const set = setForWrite(client, key);
  if (set === null) return;
  if (set === undefined || parsed === 0) {
    client.reply.setHeader(0);
    return;
  }
  const size = set.size;
  // Every count a set can satisfy fits a number; larger ones take the whole set anyway.
  const count = typeof parsed === "bigint" ? Number.MAX_SAFE_INTEGER : parsed;
  keyChangedBytes(client, NOTIFY_SET, "spop", key, count >= size ? size : count);
  if (count >= size) {
    // Redis answers through SUNION of the key: a fresh set, so an all-integer result lists ascending.
    replyMembers(client, unionOf([set], maxIntsetEntries(client)).orderedMembers());
    client.db.remove(bytesToKey(key));
    keyChangedBytes(client, NOTIFY_GENERIC, "del", key, 0);
    // Replicated as DEL of the whole set.
    propagateAs(client, () => [SHARED.del, argv[1]!]);
    return;
  }
  const members = set.popRandomMembers(count, maxIntsetEntries(client));
  replyMembers(client, members);
  // Replicated as one SREM per member taken, instead of the SPOP itself.
  if (client.server.propagation.active) for (const member of members) alsoPropagate(client, [SHARED.srem, argv[1]!, keyToBytes(member)]);
  preventPropagation(client);
}

function srandmember(client: Client, argv: Uint8Array[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(client, argv);
    return;
  }
  if (argv.length > 3) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  const member = set?.randomMember();
  if (member === undefined) client.reply.nullBulk();
  else client.reply.bulkText(member);
}

function srandmemberWithCount(client: Client, argv: Uint8Array[]): void {
  const count = randomCountArg(client, argv[2]!);
  if (count === null) return;
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  const reply = client.reply;
  if (set === undefined || count === 0n) {
    reply.emptyArray();
    return;
  }
  const unique = count > 0n;
  const wanted = Number(unique ? count : -count);
  const writeMember = (position: number): void => reply.bulkText(set.memberAt(position));
  // Repetitions allowed (negative count): written as drawn, an array even in RESP3.
  if (!unique || wanted === 1) {
    reply.arrayHeader(wanted);
    set.forEachRandomPosition(wanted, writeMember);
    return;
  }
  if (wanted >= set.size) {
    reply.arrayHeader(set.size);
    set.forEachPosition(writeMember);
    return;
  }
  reply.arrayHeader(wanted);
  set.forEachRandomDistinctPosition(wanted, writeMember);
}

// ---- algebra --------------------------------------------------------------------------

/**
 * Looks up every source key (null for a missing one) as reads, counting keyspace hits
 * and misses, for the STORE forms too. Returns undefined after replying WRONGTYPE.
 */
function sourceSets(client: Client, keys: Uint8Array[]): (RedisSet | null)[] | undefined {
  const sets: (RedisSet | null)[] = [];
  for (const keyBytes of keys) {
    const set = setForRead(client, keyBytes);
    if (set === null) return undefined;
    sets.push(set ?? null);
  }
  return sets;
}

/**
 * sinterGenericCommand: SINTER (destination null, limit ignored), SINTERSTORE and
 * SINTERCARD (cardinalityOnly, limit 0 = none).
 */
function sinterGeneric(client: Client, keys: Uint8Array[], destination: string | null, cardinalityOnly: boolean, limit: number): void {
  const found = sourceSets(client, keys);
  if (found === undefined) return;
  const reply = client.reply;
  if (found.includes(null)) {
    if (destination !== null) storeResult(client, destination, new RedisSet(), 0, NOTIFY_SET, "sinterstore");
    else if (cardinalityOnly) reply.integer(0);
    else reply.setHeader(0);
    return;
  }
  // Smallest first (a stable sort, like glibc's merge-sort qsort): fewer membership tests.
  const sets = (found as RedisSet[]).slice().sort((a, b) => a.size - b.size);
  const smallest = sets[0]!;
  const others = sets.slice(1).filter((set) => set !== smallest);
  const common: string[] = [];
  for (const member of smallest.orderedMembers()) {
    if (!others.every((set) => set.has(member))) continue;
    common.push(member);
    if (cardinalityOnly && limit > 0 && common.length >= limit) break;
  }
  if (cardinalityOnly) {
    reply.integer(common.length);
    return;
  }
  if (destination === null) {
    replyMembers(client, common);
    return;
  }
  const result = new RedisSet();
  for (const member of common) result.add(member);
  result.convertIfNeeded(maxIntsetEntries(client));
  storeResult(client, destination, result, result.size, NOTIFY_SET, "sinterstore");
}

/** The union of `sets` in a fresh set, added in iteration order. */
function unionOf(sets: readonly (RedisSet | null)[], maxIntset: number): RedisSet {
  const result = new RedisSet();
  for (const set of sets) {
    if (set === null) continue;
    for (const member of set.orderedMembers()) result.add(member);
  }
  result.convertIfNeeded(maxIntset);
  return result;
}

/**
 * SDIFF as Redis computes it. The algorithm matters for the result's encoding: the
 * second one first copies the whole first set (which may pass set-max-intset-entries
 * and turn it into a hashtable for good) and then removes the others' members.
 */
function differenceOf(sets: readonly (RedisSet | null)[], maxIntset: number): RedisSet {
  const result = new RedisSet();
  const first = sets[0] ?? null;
  if (first === null) return result;
  // A key repeated after the first one subtracts the first set from itself.
  for (let j = 1; j < sets.length; j++) if (sets[j] === first) return result;

  let algorithmOneWork = 0;
  let algorithmTwoWork = 0;
  for (const set of sets) {
    if (set === null) continue;
    algorithmOneWork += first.size;
    algorithmTwoWork += set.size;
  }
  // Algorithm 1 does less work when members are shared; Redis gives it this advantage.
  algorithmOneWork = Math.floor(algorithmOneWork / 2);

  if (algorithmOneWork <= algorithmTwoWork) {
    // Largest sets first: a member found early is discarded early.
    const others = sets.slice(1).filter((set): set is RedisSet => set !== null);
    others.sort((a, b) => b.size - a.size);
    for (const member of first.orderedMembers()) {
      if (!others.some((set) => set.has(member))) result.add(member);
    }
    result.convertIfNeeded(maxIntset);
    return result;
  }

  for (const member of first.orderedMembers()) result.add(member);
  result.convertIfNeeded(maxIntset);
  for (let j = 1; j < sets.length && result.size > 0; j++) {
    const set = sets[j];
    if (set === null || set === undefined) continue;
    for (const member of set.orderedMembers()) {
      result.delete(member);
      if (result.size === 0) break;
    }
  }
  return result;
}

/** sunionDiffGenericCommand: SUNION, SDIFF and their STORE forms (destination non-null). */
function sunionDiffGeneric(client: Client, keys: Uint8Array[], destination: string | null, operation: "union" | "diff"): void {
  const sets = sourceSets(client, keys);
  if (sets === undefined) return;
  const maxIntset = maxIntsetEntries(client);
  const result = operation === "union" ? unionOf(sets, maxIntset) : differenceOf(sets, maxIntset);
  if (destination === null) replyMembers(client, result.orderedMembers());
  else storeResult(client, destination, result, result.size, NOTIFY_SET, operation === "union" ? "sunionstore" : "sdiffstore");
}

function sintercard(client: Client, argv: Uint8Array[]): void {
  const numkeysMessage = "ERR numkeys should be greater than 0";
  const numkeys = parseInteger(argv[1]!);
  if (numkeys === null || numkeys < 1) {
    replyError(client, numkeysMessage);
    return;
  }
  if (numkeys > argv.length - 2) {
    replyError(client, "ERR Number of keys can't be greater than number of args");
    return;
  }
  const firstOption = 2 + Number(numkeys);
  let limit = 0;
  for (let i = firstOption; i < argv.length; i++) {
    const hasValue = i + 1 < argv.length;
    if (hasValue && bytesToKey(argv[i]!).toLowerCase() === "limit") {
      const parsed = parseInteger(argv[++i]!);
      if (parsed === null || parsed < 0) {
        replyError(client, "ERR LIMIT can't be negative");
        return;
      }
      // A limit beyond any set's size is no limit.
      limit = typeof parsed === "bigint" ? 0 : parsed;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  sinterGeneric(client, argv.slice(2, firstOption), null, true, limit);
}

/** Key positions of SINTERCARD numkeys key [key ...] (COMMAND GETKEYS). */
function sintercardKeys(argv: Uint8Array[]): number[] {
  // genericGetKeys reads numkeys with atoi, as the other numkeys key functions do.
  const numkeys = atoi(argv[1] ?? new Uint8Array(0));
  if (numkeys < 1 || numkeys > argv.length - 2) return [];
  const indexes: number[] = [];
  for (let i = 0; i < numkeys; i++) indexes.push(2 + i);
  return indexes;
}

// ---- SSCAN ----------------------------------------------------------------------------

function sscan(client: Client, argv: Uint8Array[]): void {
  const cursor = parseCursor(client, argv[2]!);
  if (cursor === null) return;
  const set = setForRead(client, argv[1]!);
  if (set === null) return;
  // Options are only parsed for an existing key, as in Redis.
  if (set === undefined) {
    replyEmptyScan(client);
    return;
  }
  const options = parseScanOptions(client, argv, 3, false);
  if (options === null) return;
  const pattern = options.pattern;
  const positions: number[] = [];
  const nextCursor = set.scan(cursor, options.count, (position) => {
    if (pattern === null || globMatch(pattern, set.memberBytesAt(position))) positions.push(position);
  });
  const reply = client.reply;
  reply.arrayHeader(2);
  reply.bulkText(String(nextCursor));
  reply.arrayHeader(positions.length);
  for (const position of positions) reply.bulkText(set.memberAt(position));
}

// ---- declarations ---------------------------------------------------------------------

const S = { categories: ["set"], group: "set" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };
const allKeys = { firstKey: 1, lastKey: -1, keyStep: 1 };
const INTER_COMPLEXITY = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";
const UNION_COMPLEXITY = "O(N) where N is the total number of elements in all given sets.";

export const setCommands: CommandSpec[] = [
  { name: "sadd", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Add one or more members to a set", complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", handler: sadd },
  { name: "srem", arity: -3, flags: ["write", "fast"], ...single, ...S, since: "1.0.0", summary: "Remove one or more members from a set", complexity: "O(N) where N is the number of members to be removed.", handler: srem },
  { name: "scard", arity: 2, flags: ["readonly", "fast"], ...single, ...S, since: "1.0.0", summary: "Get the number of members in a set", complexity: "O(1)", handler: scard },
  { name: "sismember", arity: 3, flags: ["readonly", "fast"], ...single, ...S, since: "1.0.0", summary: "Determine if a given value is a member of a set", complexity: "O(1)", handler: sismember },
  { name: "smismember", arity: -3, flags: ["readonly", "fast"], ...single, ...S, since: "6.2.0", summary: "Returns the membership associated with the given elements for a set", complexity: "O(N) where N is the number of elements being checked for membership", handler: smismember },
  { name: "smembers", arity: 2, flags: ["readonly"], ...single, ...S, since: "1.0.0", summary: "Get all the members in a set", complexity: "O(N) where N is the set cardinality.", tips: ["nondeterministic_output_order"], handler: (c, a) => sinterGeneric(c, a.slice(1), null, false, 0) },
  { name: "spop", arity: -2, flags: ["write", "fast"], ...single, ...S, since: "1.0.0", summary: "Remove and return one or multiple random members from a set", complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", tips: ["nondeterministic_output"], handler: spop },
  { name: "srandmember", arity: -2, flags: ["readonly"], ...single, ...S, since: "1.0.0", summary: "Get one or multiple random members from a set", complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", tips: ["nondeterministic_output"], handler: srandmember },
  { name: "smove", arity: 4, flags: ["write", "fast"], firstKey: 1, lastKey: 2, keyStep: 1, ...S, since: "1.0.0", summary: "Move a member from one set to another", complexity: "O(1)", handler: smove },
  { name: "sinter", arity: -2, flags: ["readonly"], ...allKeys, ...S, since: "1.0.0", summary: "Intersect multiple sets", complexity: INTER_COMPLEXITY, tips: ["nondeterministic_output_order"], handler: (c, a) => sinterGeneric(c, a.slice(1), null, false, 0) },
  { name: "sintercard", arity: -3, flags: ["readonly"], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: sintercardKeys, ...S, since: "7.0.0", summary: "Intersect multiple sets and return the cardinality of the result", complexity: INTER_COMPLEXITY, handler: sintercard },
  { name: "sinterstore", arity: -3, flags: ["write", "denyoom"], ...allKeys, ...S, since: "1.0.0", summary: "Intersect multiple sets and store the resulting set in a key", complexity: INTER_COMPLEXITY, handler: (c, a) => sinterGeneric(c, a.slice(2), bytesToKey(a[1]!), false, 0) },
  { name: "sunion", arity: -2, flags: ["readonly"], ...allKeys, ...S, since: "1.0.0", summary: "Add multiple sets", complexity: UNION_COMPLEXITY, tips: ["nondeterministic_output_order"], handler: (c, a) => sunionDiffGeneric(c, a.slice(1), null, "union") },
  { name: "sunionstore", arity: -3, flags: ["write", "denyoom"], ...allKeys, ...S, since: "1.0.0", summary: "Add multiple sets and store the resulting set in a key", complexity: UNION_COMPLEXITY, handler: (c, a) => sunionDiffGeneric(c, a.slice(2), bytesToKey(a[1]!), "union") },
  { name: "sdiff", arity: -2, flags: ["readonly"], ...allKeys, ...S, since: "1.0.0", summary: "Subtract multiple sets", complexity: UNION_COMPLEXITY, tips: ["nondeterministic_output_order"], handler: (c, a) => sunionDiffGeneric(c, a.slice(1), null, "diff") },
  { name: "sdiffstore", arity: -3, flags: ["write", "denyoom"], ...allKeys, ...S, since: "1.0.0", summary: "Subtract multiple sets and store the resulting set in a key", complexity: UNION_COMPLEXITY, handler: (c, a) => sunionDiffGeneric(c, a.slice(2), bytesToKey(a[1]!), "diff") },
  { name: "sscan", arity: -3, flags: ["readonly"], ...single, ...S, since: "2.8.0", summary: "Incrementally iterate Set elements", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", tips: ["nondeterministic_output"], handler: sscan },
];
