// Hash commands (Redis's t_hash.c): HSET/HMSET/HSETNX, HGET/HMGET/HGETALL/HKEYS/HVALS,
// HDEL, HLEN, HEXISTS, HSTRLEN, HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN.
//
// Write commands open the key with `db.lookupWriteBytes` (no hit/miss stats, as Redis's
// lookupKeyWrite; a running snapshot preserves the hash first) and report a change
// with keyChangedBytes only when something changed (HDEL of a missing field does not).
// HINCRBYFLOAT is replicated as HSET of its result. After every write the listpack -> hashtable conversion is re-checked against
// hash-max-listpack-entries / hash-max-listpack-value.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { addInt64, argIs, argLower, bytesToKey, integerValueBytes, keyToBytes, LONG_MAX, parseInteger, textToBytes } from "../db/bytes.ts";
import { checkType, keyChangedBytes, propagateAs, replyError } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_HASH } from "../notify.ts";
import { RedisHash } from "../db/hash.ts";
import { lpSizeOf } from "../db/listpack.ts";
import { exactDyadic, exactSumHuman, formatLongDoubleHuman, parseLongDouble } from "../util/float.ts";
import { globMatch } from "../util/glob.ts";
import { parseCursor, parseScanOptions } from "./keys.ts";

// Keys are looked up by the argument's bytes: a key string is made only for a new key,
// a deleted one, or an observer (WATCH, tracking, keyspace events) that needs it.

/** The hash at `key` for a read command: undefined when missing, null after replying WRONGTYPE. */
function hashForRead(client: Client, key: Uint8Array): RedisHash | undefined | null {
  return checkType(client, client.db.lookupReadBytes(key), RedisHash);
}

/** The hash at `key`, opened for writing: undefined when missing, null after replying WRONGTYPE. */
function hashForWrite(client: Client, key: Uint8Array): RedisHash | undefined | null {
  return checkType(client, client.db.lookupWriteBytes(key), RedisHash);
}

/**
 * hashTypeLookupWriteOrCreate's second half: the open hash, or a new empty one added to
 * the keyspace, its listpack made `capacity` bytes.
 */
function hashOrCreate(client: Client, key: Uint8Array, existing: RedisHash | undefined, capacity?: number): RedisHash {
  if (existing !== undefined) return existing;
  const created = new RedisHash(capacity);
  client.db.addBytes(key, created);
  return created;
}

/**
 * The listpack bytes of the pairs argv[2..] when they make a new hash that stays a
 * listpack (a job hash of ten fields is written in one HMSET): made that size at once,
 * it is not grown and copied pair by pair. Undefined when the pairs will not fit one.
 */
function newHashCapacity(client: Client, argv: Uint8Array[]): number | undefined {
  const config = client.server.config;
  if ((argv.length - 2) / 2 > config.getNumber("hash-max-listpack-entries")) return undefined;
  const maxValue = config.getNumber("hash-max-listpack-value");
  for (let i = 2; i < argv.length; i++) if (argv[i]!.length > maxValue) return undefined;
  return lpSizeOf(argv, 2, argv.length);
}

function applyEncodingLimits(client: Client, hash: RedisHash): void {
  const config = client.server.config;
  hash.convertIfNeeded(config.getNumber("hash-max-listpack-entries"), config.getNumber("hash-max-listpack-value"));
}

// ---- setting fields -------------------------------------------------------------------

/** HSET and the deprecated HMSET: same work, HSET answers the number of new fields, HMSET +OK. */
function hsetGeneric(client: Client, argv: Uint8Array[], replyOk: boolean): void {
  if (argv.length % 2 === 1) {
    replyError(client, errors.wrongArgs(argLower(argv[0]!)));
    return;
  }
  const key = argv[1]!;
  const existing = hashForWrite(client, key);
  if (existing === null) return;
  const hash = hashOrCreate(client, key, existing, existing === undefined ? newHashCapacity(client, argv) : undefined);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.setBytes(argv[i]!, argv[i + 1]!)) created++;
  }
  applyEncodingLimits(client, hash);
  if (replyOk) client.reply.ok();
  else client.reply.integer(created);
  // Redis counts every pair written, new or not.
  keyChangedBytes(client, NOTIFY_HASH, "hset", key, (argv.length - 2) / 2);
}

function hsetnx(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const existing = hashForWrite(client, key);
  if (existing === null) return;
  if (existing !== undefined && existing.hasBytes(argv[2]!)) {
    client.reply.integer(0);
    return;
  }
  const hash = hashOrCreate(client, key, existing);
  hash.setBytes(argv[2]!, argv[3]!);
  applyEncodingLimits(client, hash);
  client.reply.integer(1);
  keyChangedBytes(client, NOTIFY_HASH, "hset", key);
}

function hincrby(client: Client, argv: Uint8Array[]): void {
  const increment = parseInteger(argv[3]!);
  if (increment === null) {
    replyError(client, errors.NOT_INTEGER);
    return;
  }
  const key = argv[1]!;
  const existing = hashForWrite(client, key);
  if (existing === null) return;
  const field = bytesToKey(argv[2]!);
  let current: number | bigint = 0;
  const stored = existing?.get(field);
  if (stored !== undefined) {
    const parsed = parseInteger(stored);
    if (parsed === null) {
      replyError(client, "ERR hash value is not an integer");
      return;
    }
    current = parsed;
  }
  const result = addInt64(current, increment);
  if (result === null) {
    replyError(client, errors.OVERFLOW);
    return;
  }
  const hash = hashOrCreate(client, key, existing);
  hash.set(field, integerValueBytes(result));
  applyEncodingLimits(client, hash);
  client.reply.integer(result);
  keyChangedBytes(client, NOTIFY_HASH, "hincrby", key);
}

function hincrbyfloat(client: Client, argv: Uint8Array[]): void {
  // A short exact decimal is valid and finite: the long double parse waits until needed.
  const exactIncrement = exactDyadic(argv[3]!);
  const increment = exactIncrement === null ? parseLongDouble(argv[3]!) : null;
  if (exactIncrement === null) {
    if (increment === null) {
      replyError(client, errors.NOT_FLOAT);
      return;
    }
    // string2ld accepts "inf"; HINCRBYFLOAT refuses it before touching the key.
    if (!increment.isFinite()) {
      replyError(client, "ERR value is NaN or Infinity");
      return;
    }
  }
  const key = argv[1]!;
  const existing = hashForWrite(client, key);
  if (existing === null) return;
  const field = bytesToKey(argv[2]!);
  const stored = existing?.get(field);
  let text = exactSumHuman(stored, exactIncrement);
  if (text === null) {
    let result = increment ?? parseLongDouble(argv[3]!)!;
    if (stored !== undefined) {
      const current = parseLongDouble(stored);
      if (current === null) {
        replyError(client, "ERR hash value is not a float");
        return;
      }
      result = current.add(result);
    }
    if (!result.isFinite()) {
      replyError(client, "ERR increment would produce NaN or Infinity");
      return;
    }
    text = formatLongDoubleHuman(result);
  }
  const formatted = textToBytes(text);
  const hash = hashOrCreate(client, key, existing);
  hash.set(field, formatted);
  applyEncodingLimits(client, hash);
  client.reply.bulk(formatted);
  keyChangedBytes(client, NOTIFY_HASH, "hincrbyfloat", key);
  // Replicated as HSET key field <result>: replicas and the AOF never redo float arithmetic.
  propagateAs(client, () => [SHARED.hset, argv[1]!, argv[2]!, formatted]);
}

function hdel(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const hash = hashForWrite(client, key);
  if (hash === null) return;
  if (hash === undefined) {
    client.reply.integer(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    const field = bytesToKey(argv[i]!);
    if (!hash.has(field)) continue;
    hash.delete(field);
    deleted++;
    if (hash.size === 0) {
      client.db.remove(bytesToKey(key));
      keyRemoved = true;
      break;
    }
  }
  if (deleted > 0) {
    keyChangedBytes(client, NOTIFY_HASH, "hdel", key, deleted);
    if (keyRemoved) keyChangedBytes(client, NOTIFY_GENERIC, "del", key, 0);
  }
  client.reply.integer(deleted);
}

// ---- reading fields -------------------------------------------------------------------

function hget(client: Client, argv: Uint8Array[]): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  if (hash === undefined || !hash.writeValue(client.reply, argv[2]!)) client.reply.nullBulk();
}

function hmget(client: Client, argv: Uint8Array[]): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  const reply = client.reply;
  reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    if (hash === undefined || !hash.writeValue(reply, argv[i]!)) reply.nullBulk();
  }
}

function hlen(client: Client, argv: Uint8Array[]): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  client.reply.integer(hash === undefined ? 0 : hash.size);
}

function hexists(client: Client, argv: Uint8Array[]): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  client.reply.integer(hash !== undefined && hash.has(bytesToKey(argv[2]!)) ? 1 : 0);
}

function hstrlen(client: Client, argv: Uint8Array[]): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  const value = hash?.get(bytesToKey(argv[2]!));
  client.reply.integer(value === undefined ? 0 : value.length);
}

/** genericHgetallCommand: HKEYS, HVALS and HGETALL (a map in RESP3, even when the key is missing). */
function hgetallGeneric(client: Client, argv: Uint8Array[], withFields: boolean, withValues: boolean): void {
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  const reply = client.reply;
  const size = hash === undefined ? 0 : hash.size;
  if (withFields && withValues) reply.mapHeader(size);
  else reply.arrayHeader(size);
  if (hash === undefined) return;
  hash.forEachPosition((position) => {
    if (withFields) hash.writeFieldAt(reply, position);
    if (withValues) hash.writeValueAt(reply, position);
  });
}

// ---- HRANDFIELD -----------------------------------------------------------------------

const LONG_MAX_HALF = LONG_MAX / 2n;

/**
 * getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX): the count of HRANDFIELD and
 * SRANDMEMBER. Returns null after replying.
 */
export function randomCountArg(client: Client, arg: Uint8Array): bigint | null {
  const parsed = parseInteger(arg);
  if (parsed === null) {
    replyError(client, errors.NOT_INTEGER);
    return null;
  }
  const count = typeof parsed === "bigint" ? parsed : BigInt(parsed);
  if (count < -LONG_MAX) {
    replyError(client, `ERR value is out of range, value must between ${-LONG_MAX} and ${LONG_MAX}`);
    return null;
  }
  return count;
}

function hrandfield(client: Client, argv: Uint8Array[]): void {
  if (argv.length >= 3) {
    const count = randomCountArg(client, argv[2]!);
    if (count === null) return;
    if (argv.length > 4 || (argv.length === 4 && !argIs(argv[3]!, "withvalues"))) {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
    const withValues = argv.length === 4;
    // The RESP2 reply length would be 2 * count.
    if (withValues && (count < -LONG_MAX_HALF || count > LONG_MAX_HALF)) {
      replyError(client, "ERR value is out of range");
      return;
    }
    hrandfieldWithCount(client, argv[1]!, count, withValues);
    return;
  }
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  const position = hash === undefined ? -1 : hash.randomPosition();
  if (position < 0) client.reply.nullBulk();
  else client.reply.bulkText(hash!.fieldAt(position));
}

function hrandfieldWithCount(client: Client, key: Uint8Array, count: bigint, withValues: boolean): void {
  const hash = hashForRead(client, key);
  if (hash === null) return;
  const reply = client.reply;
  if (hash === undefined || count === 0n) {
    reply.emptyArray();
    return;
  }
  const resp3Pairs = withValues && reply.resp === 3;
  const flatPairs = withValues && reply.resp !== 3;
  const writeField = (position: number): void => {
    if (resp3Pairs) reply.arrayHeader(2);
    reply.bulkText(hash.fieldAt(position));
    if (withValues) reply.bulk(hash.valueAt(position));
  };
  const unique = count > 0n;
  // Beyond 2^53 no reply could be built anyway; Number() only loses precision there.
  const wanted = Number(unique ? count : -count);

  // Negative count: independent picks, repetitions allowed, random order, written as drawn.
  if (!unique || wanted === 1) {
    reply.arrayHeader(flatPairs ? wanted * 2 : wanted);
    hash.forEachRandomPosition(wanted, writeField);
    return;
  }
  const size = hash.size;
  const replied = wanted < size ? wanted : size;
  reply.arrayHeader(flatPairs ? replied * 2 : replied);
  if (wanted >= size) hash.forEachPosition(writeField);
  else hash.forEachRandomDistinctPosition(wanted, writeField);
}

// ---- HSCAN ----------------------------------------------------------------------------

/** The reply to a SCAN-family command on a missing key: cursor 0 and no elements. */
export function replyEmptyScan(client: Client): void {
  client.reply.arrayHeader(2);
  client.reply.bulkText("0");
  client.reply.arrayHeader(0);
}

function hscan(client: Client, argv: Uint8Array[]): void {
  const cursor = parseCursor(client, argv[2]!);
  if (cursor === null) return;
  const hash = hashForRead(client, argv[1]!);
  if (hash === null) return;
  // Options are only parsed for an existing key, as in Redis.
  if (hash === undefined) {
    replyEmptyScan(client);
    return;
  }
  const options = parseScanOptions(client, argv, 3, false);
  if (options === null) return;
  const pattern = options.pattern;
  // Positions first, replies after: the reply's length must be known before its elements.
  const positions: number[] = [];
  const nextCursor = hash.scan(cursor, options.count, (position) => {
    if (pattern === null || globMatch(pattern, keyToBytes(hash.fieldAt(position)))) positions.push(position);
  });
  const reply = client.reply;
  reply.arrayHeader(2);
  reply.bulkText(String(nextCursor));
  reply.arrayHeader(positions.length * 2);
  for (const position of positions) {
    reply.bulkText(hash.fieldAt(position));
    reply.bulk(hash.valueAt(position));
  }
}

// ---- declarations ---------------------------------------------------------------------

const H = { categories: ["hash"], group: "hash" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const hashCommands: CommandSpec[] = [
  { name: "hset", arity: -4, flags: ["write", "denyoom", "fast"], ...single, ...H, since: "2.0.0", summary: "Set the string value of a hash field", complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", handler: (c, a) => hsetGeneric(c, a, false) },
  { name: "hmset", arity: -4, flags: ["write", "denyoom", "fast"], ...single, ...H, since: "2.0.0", summary: "Set multiple hash fields to multiple values", complexity: "O(N) where N is the number of fields being set.", handler: (c, a) => hsetGeneric(c, a, true) },
  { name: "hsetnx", arity: 4, flags: ["write", "denyoom", "fast"], ...single, ...H, since: "2.0.0", summary: "Set the value of a hash field, only if the field does not exist", complexity: "O(1)", handler: hsetnx },
  { name: "hget", arity: 3, flags: ["readonly", "fast"], ...single, ...H, since: "2.0.0", summary: "Get the value of a hash field", complexity: "O(1)", handler: hget },
  { name: "hmget", arity: -3, flags: ["readonly", "fast"], ...single, ...H, since: "2.0.0", summary: "Get the values of all the given hash fields", complexity: "O(N) where N is the number of fields being requested.", handler: hmget },
  { name: "hgetall", arity: 2, flags: ["readonly"], ...single, ...H, since: "2.0.0", summary: "Get all the fields and values in a hash", complexity: "O(N) where N is the size of the hash.", tips: ["nondeterministic_output_order"], handler: (c, a) => hgetallGeneric(c, a, true, true) },
  { name: "hkeys", arity: 2, flags: ["readonly"], ...single, ...H, since: "2.0.0", summary: "Get all the fields in a hash", complexity: "O(N) where N is the size of the hash.", tips: ["nondeterministic_output_order"], handler: (c, a) => hgetallGeneric(c, a, true, false) },
  { name: "hvals", arity: 2, flags: ["readonly"], ...single, ...H, since: "2.0.0", summary: "Get all the values in a hash", complexity: "O(N) where N is the size of the hash.", tips: ["nondeterministic_output_order"], handler: (c, a) => hgetallGeneric(c, a, false, true) },
  { name: "hdel", arity: -3, flags: ["write", "fast"], ...single, ...H, since: "2.0.0", summary: "Delete one or more hash fields", complexity: "O(N) where N is the number of fields to be removed.", handler: hdel },
  { name: "hlen", arity: 2, flags: ["readonly", "fast"], ...single, ...H, since: "2.0.0", summary: "Get the number of fields in a hash", complexity: "O(1)", handler: hlen },
  { name: "hexists", arity: 3, flags: ["readonly", "fast"], ...single, ...H, since: "2.0.0", summary: "Determine if a hash field exists", complexity: "O(1)", handler: hexists },
  { name: "hstrlen", arity: 3, flags: ["readonly", "fast"], ...single, ...H, since: "3.2.0", summary: "Get the length of the value of a hash field", complexity: "O(1)", handler: hstrlen },
  { name: "hincrby", arity: 4, flags: ["write", "denyoom", "fast"], ...single, ...H, since: "2.0.0", summary: "Increment the integer value of a hash field by the given number", complexity: "O(1)", handler: hincrby },
  { name: "hincrbyfloat", arity: 4, flags: ["write", "denyoom", "fast"], ...single, ...H, since: "2.6.0", summary: "Increment the float value of a hash field by the given amount", complexity: "O(1)", handler: hincrbyfloat },
  { name: "hrandfield", arity: -2, flags: ["readonly"], ...single, ...H, since: "6.2.0", summary: "Get one or multiple random fields from a hash", complexity: "O(N) where N is the number of fields returned", tips: ["nondeterministic_output"], handler: hrandfield },
  { name: "hscan", arity: -3, flags: ["readonly"], ...single, ...H, since: "2.8.0", summary: "Incrementally iterate hash fields and associated values", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", tips: ["nondeterministic_output"], handler: hscan },
];
