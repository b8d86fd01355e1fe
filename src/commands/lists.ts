// List commands (Redis's t_list.c): pushes, pops (with COUNT), LRANGE/LINDEX/LLEN,
// LSET/LINSERT/LREM/LTRIM, LPOS, LMOVE/RPOPLPUSH, LMPOP, and the blocking variants
// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//
// Write commands open their keys with `db.lookupWrite` (Redis's lookupKeyWrite: no
// hit/miss stats, a running snapshot preserves the list first) and report what they
// changed with keyChanged, so WATCH, events and the effect stream see exactly the
// commands Redis reports as modifying the key. A list emptied by a command is deleted
// (with a "del" event): Redis never keeps empty lists. Blocking pops are replicated as
// their non-blocking forms (LPOP, RPOP with a count, LMOVE, RPOPLPUSH).
//
// Blocking: a blocking command that finds nothing registers with the server's
// BlockingRegistry (blockForKeys). When the key is created, the registry calls back
// `serve` with it; the callback re-checks the key and serves the client, as Redis 7.0's
// serveClientBlockedOnList does. Redis 7.0 quirks kept on purpose:
// - a client blocked on a key that becomes another type stays blocked (no WRONGTYPE),
//   except BLMOVE whose destination has the wrong type: it is answered WRONGTYPE;
// - pops served to blocked BLPOP/BRPOP/BLMOVE clients add nothing to the dirty counter
//   (only the push that fed them counts); a served BLMPOP counts its popped elements;
// - every timeout (and CLIENT UNBLOCK ... TIMEOUT) answers a null array, BLMOVE included,
//   while BLMOVE inside MULTI on an empty source answers a null bulk.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, bytesToKey, integerBytes, keyToBytes, LONG_MAX, LONG_MIN, parseInteger } from "../db/bytes.ts";
import { RedisList } from "../db/list.ts";
import { alsoPropagate, blockingTimeoutArg, checkType, intArg, keyChanged, keyChangedBytes, propagateAs, replyError } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../notify.ts";

/** LIST_HEAD ("LEFT") or LIST_TAIL ("RIGHT"). */
type ListEnd = "left" | "right";

const POP_COUNT_RANGE_ERROR = "ERR value is out of range, must be positive";

// ---- lookups and argument parsing ---------------------------------------------------

// A key may be given as the argument's bytes: it is then looked up without a key string,
// which is made only for a new or deleted key or an observer (WATCH, tracking, events).

/** The list at `key`, opened for writing; undefined when missing, null after replying WRONGTYPE. */
function listForWrite(client: Client, key: string | Uint8Array): RedisList | undefined | null {
  const db = client.db;
  return checkType(client, typeof key === "string" ? db.lookupWrite(key) : db.lookupWriteBytes(key), RedisList);
}

/** The list at `key` for a read command (counts keyspace hits/misses); null after WRONGTYPE. */
function listForRead(client: Client, key: Uint8Array): RedisList | undefined | null {
  return checkType(client, client.db.lookupReadBytes(key), RedisList);
}

/** keyChanged for a key given either way. */
function listChanged(client: Client, event: string, key: string | Uint8Array, changes = 1): void {
  if (typeof key === "string") keyChanged(client, NOTIFY_LIST, event, key, changes);
  else keyChangedBytes(client, NOTIFY_LIST, event, key, changes);
}

/**
 * getRangeLongFromObjectOrReply with a message: an integer within [min, max]; a
 * non-integer and an out-of-range value both answer `message`. Values beyond 2^53 are
 * clamped: they only ever mean "more than any list holds".
 */
function rangeLongArg(client: Client, arg: Uint8Array, min: bigint, max: bigint, message: string): number | null {
  const parsed = parseInteger(arg);
  const value = parsed === null ? null : BigInt(parsed);
  if (value === null || value < min || value > max) {
    replyError(client, message);
    return null;
  }
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  return Number(value);
}

/** getListPositionFromObjectOrReply: LEFT or RIGHT, else a syntax error. */
function listEndArg(client: Client, arg: Uint8Array): ListEnd | null {
  if (argIs(arg, "left")) return "left";
  if (argIs(arg, "right")) return "right";
  replyError(client, errors.SYNTAX_ERROR);
  return null;
}

function popEvent(end: ListEnd): string {
  return end === "left" ? "lpop" : "rpop";
}

function pushEvent(end: ListEnd): string {
  return end === "left" ? "lpush" : "rpush";
}

// ---- shared list operations ---------------------------------------------------------

/**
 * A new list with the configured node size and compression (createQuicklistObject +
 * quicklistSetOptions): a list keeps the settings it was made with.
 */
function newList(client: Client): RedisList {
  const config = client.server.config;
  return new RedisList(config.getNumber("list-max-listpack-size"), config.getNumber("list-compress-depth"));
}

/**
 * Replies up to `count` elements from one end as an array, in pop order (RPOP's come
 * tail first), then removes them (addListRangeReply + listTypeDelRange). Returns how many.
 */
function replyAndPopRange(client: Client, list: RedisList, end: ListEnd, count: number): number {
  const length = list.length;
  const taken = count > length ? length : count;
  client.reply.arrayHeader(taken);
  if (end === "left") {
    list.writeRange(client.reply, 0, taken, false);
    list.removeHead(taken);
  } else {
    list.writeRange(client.reply, length - 1, taken, true);
    list.removeTail(taken);
  }
  return taken;
}

/** Deletes a list that a command just emptied, with Redis's "del" event. */
function deleteIfEmpty(client: Client, key: string | Uint8Array, list: RedisList): void {
  if (list.length !== 0) return;
  const name = typeof key === "string" ? key : bytesToKey(key);
  client.db.remove(name);
  keyChanged(client, NOTIFY_GENERIC, "del", name, 0);
}

/**
 * listElementsRemoved: after popping `count` elements, the pop event, the deletion of
 * an emptied list and the dirty counter.
 */
function elementsRemoved(client: Client, key: string | Uint8Array, end: ListEnd, list: RedisList, count: number): void {
  listChanged(client, popEvent(end), key, count);
  deleteIfEmpty(client, key, list);
}

/**
 * listPopRangeAndReplyWithKey (LMPOP, BLMPOP): pops up to `count` elements and replies
 * [key, [elements]]. Returns the pop as it is replicated: LPOP/RPOP key <popped>.
 */
function popRangeWithKey(client: Client, key: string, list: RedisList, end: ListEnd, count: number): Uint8Array[] {
  client.reply.arrayHeader(2);
  client.reply.bulk(keyToBytes(key));
  const popped = replyAndPopRange(client, list, end, count);
  elementsRemoved(client, key, end, list, popped);
  return [popCommand(end), keyToBytes(key), integerBytes(popped)];
}

function popCommand(end: ListEnd): Uint8Array {
  return end === "left" ? SHARED.lpop : SHARED.rpop;
}

/**
 * lmoveHandlePush: pushes a moved element to the destination (creating the list), with
 * its push event, and replies the element. The caller counts the move as one change.
 */
function pushMoved(client: Client, destinationKey: string, destination: RedisList | undefined, value: Uint8Array, end: ListEnd): void {
  if (destination === undefined) {
    destination = newList(client);
    client.db.add(destinationKey, destination);
  }
  if (end === "left") destination.pushHead(value);
  else destination.pushTail(value);
  keyChanged(client, NOTIFY_LIST, pushEvent(end), destinationKey, 0);
  client.reply.bulk(value);
}

// ---- pushes ---------------------------------------------------------------------------

/** pushGenericCommand: LPUSH/RPUSH, and LPUSHX/RPUSHX when `onlyIfExists`. */
function pushGeneric(client: Client, argv: Uint8Array[], end: ListEnd, onlyIfExists: boolean): void {
  // The key as bytes: a push onto an existing list makes no string of it (a new key does).
  const keyBytes = argv[1]!;
  const db = client.db;
  let list = checkType(client, db.lookupWriteBytes(keyBytes), RedisList);
  if (list === null) return;
  if (list === undefined) {
    if (onlyIfExists) {
      client.reply.integer(0);
      return;
    }
    list = newList(client);
    db.addBytes(keyBytes, list);
  }
  // The list copies each element into its listpack: the arguments are not kept.
  if (end === "left") for (let i = 2; i < argv.length; i++) list.pushHead(argv[i]!);
  else for (let i = 2; i < argv.length; i++) list.pushTail(argv[i]!);
  client.reply.integer(list.length);
  keyChangedBytes(client, NOTIFY_LIST, pushEvent(end), keyBytes, argv.length - 2);
}

function lpush(client: Client, argv: Uint8Array[]): void {
  pushGeneric(client, argv, "left", false);
}

function rpush(client: Client, argv: Uint8Array[]): void {
  pushGeneric(client, argv, "right", false);
}

function lpushx(client: Client, argv: Uint8Array[]): void {
  pushGeneric(client, argv, "left", true);
}

function rpushx(client: Client, argv: Uint8Array[]): void {
  pushGeneric(client, argv, "right", true);
}

// ---- pops -------------------------------------------------------------------------------

/**
 * popGenericCommand: without a count, one element as a bulk; with one, an array of up
 * to `count` elements (a missing key answers a null array, COUNT 0 an empty one).
 */
function popGeneric(client: Client, argv: Uint8Array[], end: ListEnd): void {
  if (argv.length > 3) {
    replyError(client, errors.wrongArgs(end === "left" ? "lpop" : "rpop"));
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const parsed = rangeLongArg(client, argv[2]!, 0n, LONG_MAX, POP_COUNT_RANGE_ERROR);
    if (parsed === null) return;
    count = parsed;
  }
  const key = argv[1]!;
  const list = listForWrite(client, key);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) client.reply.nullArray();
    else client.reply.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    client.reply.arrayHeader(0);
    return;
  }
  if (!hasCount) {
    list.popInto(client.reply, end === "left");
    elementsRemoved(client, key, end, list, 1);
    return;
  }
  const popped = replyAndPopRange(client, list, end, count);
  elementsRemoved(client, key, end, list, popped);
}

function lpop(client: Client, argv: Uint8Array[]): void {
  popGeneric(client, argv, "left");
}

function rpop(client: Client, argv: Uint8Array[]): void {
  popGeneric(client, argv, "right");
}

/** mpopGenericCommand: pops from the first non-empty list among `keys`. */
function mpopGeneric(client: Client, keys: Uint8Array[], end: ListEnd, count: number): void {
  for (const keyBytes of keys) {
    const key = bytesToKey(keyBytes);
    const list = listForWrite(client, key);
    if (list === null) return;
    if (list === undefined) continue;
    const replicated = popRangeWithKey(client, key, list, end, count);
    propagateAs(client, () => replicated);
    return;
  }
  client.reply.nullArray();
}

// ---- reads ------------------------------------------------------------------------------

function llen(client: Client, argv: Uint8Array[]): void {
  const list = listForRead(client, argv[1]!);
  if (list === null) return;
  client.reply.integer(list === undefined ? 0 : list.length);
}

function lindex(client: Client, argv: Uint8Array[]): void {
  const list = listForRead(client, argv[1]!);
  if (list === null) return;
  if (list === undefined) {
    client.reply.nullBulk();
    return;
  }
  const index = intArg(client, argv[2]!);
  if (index === null) return;
  if (!list.writeAt(client.reply, index)) client.reply.nullBulk();
}

function lrange(client: Client, argv: Uint8Array[]): void {
  let start = intArg(client, argv[2]!);
  if (start === null) return;
  let stop = intArg(client, argv[3]!);
  if (stop === null) return;
  const list = listForRead(client, argv[1]!);
  if (list === null) return;
  if (list === undefined) {
    client.reply.arrayHeader(0);
    return;
  }
  const length = list.length;
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) {
    client.reply.arrayHeader(0);
    return;
  }
  if (stop >= length) stop = length - 1;
  client.reply.arrayHeader(stop - start + 1);
  list.writeRange(client.reply, start, stop - start + 1, false);
}

const RANK_ZERO_ERROR =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(client: Client, argv: Uint8Array[]): void {
  let rank = 1;
  let count = -1; // -1: COUNT not given, reply a single position
  let maxLen = 0;
  let rankOverflow = false;
  for (let i = 3; i < argv.length; i++) {
    const hasValue = i + 1 < argv.length;
    const option = argv[i]!;
    if (argIs(option, "rank") && hasValue) {
      const parsed = intArg(client, argv[++i]!);
      if (parsed === null) return;
      if (parsed === 0) {
        replyError(client, RANK_ZERO_ERROR);
        return;
      }
      rank = parsed;
      // Redis negates the rank in a C long: LONG_MIN stays negative, so every match
      // from the tail qualifies and the COUNT limit is never reached.
      rankOverflow = parseInteger(argv[i]!) === LONG_MIN;
    } else if (argIs(option, "count") && hasValue) {
      const parsed = rangeLongArg(client, argv[++i]!, 0n, LONG_MAX, "ERR COUNT can't be negative");
      if (parsed === null) return;
      count = parsed;
    } else if (argIs(option, "maxlen") && hasValue) {
      const parsed = rangeLongArg(client, argv[++i]!, 0n, LONG_MAX, "ERR MAXLEN can't be negative");
      if (parsed === null) return;
      maxLen = parsed;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const list = listForRead(client, argv[1]!);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) client.reply.arrayHeader(0);
    else client.reply.nullBulk();
    return;
  }
  const positions = rankOverflow
    ? list.positionsOf(argv[2]!, -1, count === -1 ? 1 : 0, maxLen)
    : list.positionsOf(argv[2]!, rank, count === -1 ? 1 : count, maxLen);
  if (count !== -1) {
    client.reply.arrayHeader(positions.length);
    for (const position of positions) client.reply.integer(position);
  } else if (positions.length === 0) client.reply.nullBulk();
  else client.reply.integer(positions[0]!);
}

// ---- in-place edits ---------------------------------------------------------------------

function lset(client: Client, argv: Uint8Array[]): void {
  const key = argv[1]!;
  const list = listForWrite(client, key);
  if (list === null) return;
  if (list === undefined) {
    replyError(client, errors.NO_SUCH_KEY);
    return;
  }
  const index = intArg(client, argv[2]!);
  if (index === null) return;
  const normalised = index < 0 ? index + list.length : index;
  if (normalised < 0 || normalised >= list.length) {
    replyError(client, errors.OUT_OF_RANGE);
    return;
  }
  list.set(normalised, argv[3]!);
  client.reply.ok();
  listChanged(client, "lset", key);
}

/** LINSERT key BEFORE|AFTER pivot element: -1 when the pivot is absent, 0 when the key is. */
function linsert(client: Client, argv: Uint8Array[]): void {
  let before: boolean;
  if (argIs(argv[2]!, "after")) before = false;
  else if (argIs(argv[2]!, "before")) before = true;
  else {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const key = argv[1]!;
  const list = listForWrite(client, key);
  if (list === null) return;
  if (list === undefined) {
    client.reply.integer(0);
    return;
  }
  if (list.insert(argv[3]!, argv[4]!, before) === -1) {
    client.reply.integer(-1);
    return;
  }
  listChanged(client, "linsert", key);
  client.reply.integer(list.length);
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 every match. */
function lrem(client: Client, argv: Uint8Array[]): void {
  const count = intArg(client, argv[2]!);
  if (count === null) return;
  const key = argv[1]!;
  const list = listForWrite(client, key);
  if (list === null) return;
  if (list === undefined) {
    client.reply.integer(0);
    return;
  }
  const element = argv[3]!;
  // Nothing to remove is no modification for Redis (no event, WATCH stays clean).
  if (list.positionsOf(element, count < 0 ? -1 : 1, 1, 0).length === 0) {
    client.reply.integer(0);
    return;
  }
  const removed = list.remove(count, element);
  listChanged(client, "lrem", key, removed);
  deleteIfEmpty(client, key, list);
  client.reply.integer(removed);
}

/** LTRIM: always an "ltrim" event when the key exists, even when nothing is trimmed. */
function ltrim(client: Client, argv: Uint8Array[]): void {
  let start = intArg(client, argv[2]!);
  if (start === null) return;
  let stop = intArg(client, argv[3]!);
  if (stop === null) return;
  const key = argv[1]!;
  const list = listForWrite(client, key);
  if (list === null) return;
  if (list === undefined) {
    client.reply.ok();
    return;
  }
  const length = list.length;
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  let trimHead: number;
  let trimTail: number;
  if (start > stop || start >= length) {
    trimHead = length;
    trimTail = 0;
  } else {
    if (stop >= length) stop = length - 1;
    trimHead = start;
    trimTail = length - stop - 1;
  }
  list.removeHead(trimHead);
  list.removeTail(trimTail);
  listChanged(client, "ltrim", key, trimHead + trimTail);
  deleteIfEmpty(client, key, list);
  client.reply.ok();
}

// ---- moves ------------------------------------------------------------------------------

/** lmoveGenericCommand: pops from `source`, pushes to `destination`, replies the element. */
function moveGeneric(client: Client, sourceKey: string, destinationKey: string, from: ListEnd, to: ListEnd): void {
  const source = listForWrite(client, sourceKey);
  if (source === null) return;
  if (source === undefined) {
    client.reply.nullBulk();
    return;
  }
  const destination = listForWrite(client, destinationKey);
  if (destination === null) return;
  // Pop before looking at the destination's length: with source == destination the
  // element goes round, and the list must not be deleted in between.
  const value = from === "left" ? source.popHead()! : source.popTail()!;
  pushMoved(client, destinationKey, destination, value, to);
  keyChanged(client, NOTIFY_LIST, popEvent(from), sourceKey, 1);
  deleteIfEmpty(client, sourceKey, source);
}

function lmove(client: Client, argv: Uint8Array[]): void {
  const from = listEndArg(client, argv[3]!);
  if (from === null) return;
  const to = listEndArg(client, argv[4]!);
  if (to === null) return;
  moveGeneric(client, bytesToKey(argv[1]!), bytesToKey(argv[2]!), from, to);
}

function rpoplpush(client: Client, argv: Uint8Array[]): void {
  moveGeneric(client, bytesToKey(argv[1]!), bytesToKey(argv[2]!), "right", "left");
}

/**
 * The LMPOP/BLMPOP argument tail: numkeys, the keys, LEFT|RIGHT, [COUNT count].
 * Returns null after replying an error.
 */
function parseMpopArguments(client: Client, argv: Uint8Array[], numkeysIndex: number): { keys: Uint8Array[]; end: ListEnd; count: number } | null {
  const numkeys = rangeLongArg(client, argv[numkeysIndex]!, 1n, LONG_MAX, "ERR numkeys should be greater than 0");
  if (numkeys === null) return null;
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) {
    replyError(client, errors.SYNTAX_ERROR);
    return null;
  }
  const end = listEndArg(client, argv[whereIndex]!);
  if (end === null) return null;
  let count = -1;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count === -1 && argIs(argv[i]!, "count") && i + 1 < argv.length) {
      const parsed = rangeLongArg(client, argv[++i]!, 1n, LONG_MAX, "ERR count should be greater than 0");
      if (parsed === null) return null;
      count = parsed;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
  }
  return { keys: argv.slice(numkeysIndex + 1, whereIndex), end, count: count === -1 ? 1 : count };
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function lmpop(client: Client, argv: Uint8Array[]): void {
  const parsed = parseMpopArguments(client, argv, 1);
  if (parsed === null) return;
  mpopGeneric(client, parsed.keys, parsed.end, parsed.count);
}

// ---- blocking variants --------------------------------------------------------------------

/** Parks the client on `keys` until served (`serve`), timed out or unblocked. */
function blockOnLists(client: Client, keys: string[], timeoutAt: number, serve: (readyKey: string) => boolean): void {
  client.server.blocking.blockForKeys(client, "list", keys, timeoutAt, client.currentCommand!, {
    serve,
    onTimeout: () => client.reply.nullArray(),
  });
}

/**
 * serveClientBlockedOnList for BLPOP/BRPOP (`count` -1) and BLMPOP: false (stay
 * blocked) unless `readyKey` now holds a list. The pop is propagated as LPOP/RPOP.
 */
function serveBlockedPop(client: Client, readyKey: string, end: ListEnd, count: number): boolean {
  const list = client.db.lookupWrite(readyKey);
  if (!(list instanceof RedisList)) return false;
  if (count !== -1) {
    alsoPropagate(client, popRangeWithKey(client, readyKey, list, end, count));
    return true;
  }
  client.reply.arrayHeader(2);
  client.reply.bulk(keyToBytes(readyKey));
  list.popInto(client.reply, end === "left");
  // The push that fed this client counted the change.
  keyChanged(client, NOTIFY_LIST, popEvent(end), readyKey, 0);
  deleteIfEmpty(client, readyKey, list);
  alsoPropagate(client, [popCommand(end), keyToBytes(readyKey)]);
  return true;
}

/**
 * blockingPopGenericCommand: serves from the first non-empty key, replicated as LPOP/RPOP
 * [count], else blocks (where the client cannot block: a null array instead). `count`
 * is -1 for BLPOP/BRPOP, the COUNT for BLMPOP.
 */
function blockingPopGeneric(client: Client, keys: Uint8Array[], end: ListEnd, timeoutArg: Uint8Array, count: number): void {
  const timeoutAt = blockingTimeoutArg(client, timeoutArg);
  if (timeoutAt === null) return;
  for (const keyBytes of keys) {
    const key = bytesToKey(keyBytes);
    const list = listForWrite(client, key);
    if (list === null) return;
    if (list === undefined) continue;
    if (count !== -1) {
      const replicated = popRangeWithKey(client, key, list, end, count);
      propagateAs(client, () => replicated);
      return;
    }
    client.reply.arrayHeader(2);
    client.reply.bulk(keyBytes);
    list.popInto(client.reply, end === "left");
    elementsRemoved(client, key, end, list, 1);
    propagateAs(client, () => [popCommand(end), keyBytes]);
    return;
  }
  if (client.denyBlocking) {
    client.reply.nullArray();
    return;
  }
  blockOnLists(client, keys.map(bytesToKey), timeoutAt, (readyKey) => serveBlockedPop(client, readyKey, end, count));
}

function blpop(client: Client, argv: Uint8Array[]): void {
  blockingPopGeneric(client, argv.slice(1, -1), "left", argv[argv.length - 1]!, -1);
}

function brpop(client: Client, argv: Uint8Array[]): void {
  blockingPopGeneric(client, argv.slice(1, -1), "right", argv[argv.length - 1]!, -1);
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function blmpop(client: Client, argv: Uint8Array[]): void {
  const parsed = parseMpopArguments(client, argv, 2);
  if (parsed === null) return;
  blockingPopGeneric(client, parsed.keys, parsed.end, argv[1]!, parsed.count);
}

/**
 * serveClientBlockedOnList for BLMOVE/BRPOPLPUSH, propagated as LMOVE (with lower-case
 * ends, as Redis writes them) or RPOPLPUSH. A destination of another type answers
 * WRONGTYPE and unblocks the client, leaving the source untouched.
 */
function serveBlockedMove(client: Client, sourceKey: string, destinationKey: string, from: ListEnd, to: ListEnd, asRpoplpush: boolean): boolean {
  const source = client.db.lookupWrite(sourceKey);
  if (!(source instanceof RedisList)) return false;
  const destination = listForWrite(client, destinationKey);
  if (destination === null) return true;
  const value = from === "left" ? source.popHead()! : source.popTail()!;
  pushMoved(client, destinationKey, destination, value, to);
  keyChanged(client, NOTIFY_LIST, popEvent(from), sourceKey, 0);
  deleteIfEmpty(client, sourceKey, source);
  const sourceBytes = keyToBytes(sourceKey);
  const destinationBytes = keyToBytes(destinationKey);
  alsoPropagate(client, asRpoplpush ? [SHARED.rpoplpush, sourceBytes, destinationBytes] : [SHARED.lmove, sourceBytes, destinationBytes, endWord(from), endWord(to)]);
  return true;
}

function endWord(end: ListEnd): Uint8Array {
  return end === "left" ? SHARED.left : SHARED.right;
}

/**
 * blmoveGenericCommand: LMOVE when the source has elements (replicated as LMOVE or
 * RPOPLPUSH with the arguments as sent), else block on the source.
 */
function blockingMoveGeneric(client: Client, argv: Uint8Array[], from: ListEnd, to: ListEnd, timeoutAt: number, asRpoplpush: boolean): void {
  const sourceKey = bytesToKey(argv[1]!);
  const destinationKey = bytesToKey(argv[2]!);
  const source = listForWrite(client, sourceKey);
  if (source === null) return;
  if (source !== undefined) {
    moveGeneric(client, sourceKey, destinationKey, from, to);
    propagateAs(client, () => (asRpoplpush ? [SHARED.rpoplpush, argv[1]!, argv[2]!] : [SHARED.lmove, argv[1]!, argv[2]!, argv[3]!, argv[4]!]));
    return;
  }
  if (client.denyBlocking) {
    client.reply.nullBulk();
    return;
  }
  blockOnLists(client, [sourceKey], timeoutAt, () => serveBlockedMove(client, sourceKey, destinationKey, from, to, asRpoplpush));
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
function blmove(client: Client, argv: Uint8Array[]): void {
  const from = listEndArg(client, argv[3]!);
  if (from === null) return;
  const to = listEndArg(client, argv[4]!);
  if (to === null) return;
  const timeoutAt = blockingTimeoutArg(client, argv[5]!);
  if (timeoutAt === null) return;
  blockingMoveGeneric(client, argv, from, to, timeoutAt, false);
}

/** BRPOPLPUSH source destination timeout */
function brpoplpush(client: Client, argv: Uint8Array[]): void {
  const timeoutAt = blockingTimeoutArg(client, argv[3]!);
  if (timeoutAt === null) return;
  blockingMoveGeneric(client, argv, "right", "left", timeoutAt, true);
}

// ---- declarations ---------------------------------------------------------------------------

const L = { categories: ["list"], group: "list" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };
const sourceAndDestination = { firstKey: 1, lastKey: 2, keyStep: 1 };
const keysBeforeTimeout = { firstKey: 1, lastKey: -2, keyStep: 1 };
const noFixedKeys = { firstKey: 0, lastKey: 0, keyStep: 0 };
const PUSH_COMPLEXITY = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const MPOP_COMPLEXITY = "O(N+M) where N is the number of provided keys and M is the number of elements returned.";

/** Key positions of LMPOP (numkeys at 1) and BLMPOP (numkeys at 2). */
function mpopKeys(numkeysIndex: number): (argv: Uint8Array[]) => number[] {
  return (argv) => {
    const numkeys = argv[numkeysIndex] === undefined ? null : parseInteger(argv[numkeysIndex]!);
    if (typeof numkeys !== "number" || numkeys < 1) return [];
    const out: number[] = [];
    for (let i = numkeysIndex + 1; i <= numkeysIndex + numkeys && i < argv.length; i++) out.push(i);
    return out;
  };
}

export const listCommands: CommandSpec[] = [
  { name: "lpush", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...L, since: "1.0.0", summary: "Prepend one or multiple elements to a list", complexity: PUSH_COMPLEXITY, handler: lpush },
  { name: "rpush", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...L, since: "1.0.0", summary: "Append one or multiple elements to a list", complexity: PUSH_COMPLEXITY, handler: rpush },
  { name: "lpushx", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...L, since: "2.2.0", summary: "Prepend an element to a list, only if the list exists", complexity: PUSH_COMPLEXITY, handler: lpushx },
  { name: "rpushx", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...L, since: "2.2.0", summary: "Append an element to a list, only if the list exists", complexity: PUSH_COMPLEXITY, handler: rpushx },
  { name: "lpop", arity: -2, flags: ["write", "fast"], ...single, ...L, since: "1.0.0", summary: "Remove and get the first elements in a list", complexity: "O(N) where N is the number of elements returned", handler: lpop },
  { name: "rpop", arity: -2, flags: ["write", "fast"], ...single, ...L, since: "1.0.0", summary: "Remove and get the last elements in a list", complexity: "O(N) where N is the number of elements returned", handler: rpop },
  { name: "llen", arity: 2, flags: ["readonly", "fast"], ...single, ...L, since: "1.0.0", summary: "Get the length of a list", complexity: "O(1)", handler: llen },
  { name: "lrange", arity: 4, flags: ["readonly"], ...single, ...L, since: "1.0.0", summary: "Get a range of elements from a list", complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", handler: lrange },
  { name: "lindex", arity: 3, flags: ["readonly"], ...single, ...L, since: "1.0.0", summary: "Get an element from a list by its index", complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", handler: lindex },
  { name: "lset", arity: 4, flags: ["write", "denyoom"], ...single, ...L, since: "1.0.0", summary: "Set the value of an element in a list by its index", complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", handler: lset },
  { name: "linsert", arity: 5, flags: ["write", "denyoom"], ...single, ...L, since: "2.2.0", summary: "Insert an element before or after another element in a list", complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", handler: linsert },
  { name: "lrem", arity: 4, flags: ["write"], ...single, ...L, since: "1.0.0", summary: "Remove elements from a list", complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.", handler: lrem },
  { name: "ltrim", arity: 4, flags: ["write"], ...single, ...L, since: "1.0.0", summary: "Trim a list to the specified range", complexity: "O(N) where N is the number of elements to be removed by the operation.", handler: ltrim },
  { name: "lpos", arity: -3, flags: ["readonly"], ...single, ...L, since: "6.0.6", summary: "Return the index of matching elements on a list", complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", handler: lpos },
  { name: "lmove", arity: 5, flags: ["write", "denyoom"], ...sourceAndDestination, ...L, since: "6.2.0", summary: "Pop an element from a list, push it to another list and return it", complexity: "O(1)", handler: lmove },
  { name: "rpoplpush", arity: 3, flags: ["write", "denyoom"], ...sourceAndDestination, ...L, since: "1.2.0", summary: "Remove the last element in a list, prepend it to another list and return it", complexity: "O(1)", handler: rpoplpush },
  { name: "lmpop", arity: -4, flags: ["write", "movablekeys"], ...noFixedKeys, getKeys: mpopKeys(1), ...L, since: "7.0.0", summary: "Pop elements from a list", complexity: MPOP_COMPLEXITY, handler: lmpop },
  { name: "blpop", arity: -3, flags: ["write", "noscript", "blocking"], ...keysBeforeTimeout, ...L, since: "2.0.0", summary: "Remove and get the first element in a list, or block until one is available", complexity: "O(N) where N is the number of provided keys.", handler: blpop },
  { name: "brpop", arity: -3, flags: ["write", "noscript", "blocking"], ...keysBeforeTimeout, ...L, since: "2.0.0", summary: "Remove and get the last element in a list, or block until one is available", complexity: "O(N) where N is the number of provided keys.", handler: brpop },
  { name: "blmove", arity: 6, flags: ["write", "denyoom", "noscript", "blocking"], ...sourceAndDestination, ...L, since: "6.2.0", summary: "Pop an element from a list, push it to another list and return it; or block until one is available", complexity: "O(1)", handler: blmove },
  { name: "brpoplpush", arity: 4, flags: ["write", "denyoom", "noscript", "blocking"], ...sourceAndDestination, ...L, since: "2.2.0", summary: "Pop an element from a list, push it to another list and return it; or block until one is available", complexity: "O(1)", handler: brpoplpush },
  { name: "blmpop", arity: -5, flags: ["write", "blocking", "movablekeys"], ...noFixedKeys, getKeys: mpopKeys(2), ...L, since: "7.0.0", summary: "Pop elements from a list, or block until one is available", complexity: MPOP_COMPLEXITY, handler: blmpop },
];
