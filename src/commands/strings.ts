// String commands: SET and its variants, GET family, counters, ranges, LCS.
// Bit commands live in bits.ts.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import { addInt64, argIs, argLower, bytesToKey, integerBytes, integerValueBytes, ownBytes, parseInteger } from "../db/bytes.ts";
import { bigIntArg, checkType, intArg, isWrongType, keyChanged, keyChangedBytes, propagateAs, replyError } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../notify.ts";
import { exactDyadic, exactSumHuman, formatLongDoubleHuman, LongDouble, parseLongDouble } from "../util/float.ts";
import { lcs, lcsTableBytes } from "../db/lcs.ts";
import { RawString, unencodedText } from "../db/string-encoding.ts";
import { INLINE_MAX } from "../db/keytable.ts";


const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** checkStringLength: the resulting string may not exceed proto-max-bulk-len. */
function checkStringLength(client: Client, size: number): boolean {
  if (size > client.server.config.getNumber("proto-max-bulk-len")) {
    replyError(client, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return false;
  }
  return true;
}

/** Reads a string value for a read command; replies WRONGTYPE and returns null for other types. */
function readString(client: Client, keyBytes: Uint8Array): Uint8Array | undefined | null {
  return checkType(client, client.db.lookupReadBytes(keyBytes), Uint8Array);
}

// ---- expiry option parsing (SET, GETEX, SETEX, PSETEX) ----------------------------

type ExpireUnit = "s" | "ms";

/**
 * getExpireMillisecondsOrReply: the expire argument must be a positive integer whose
 * absolute ms form does not overflow. Returns the absolute unix ms, or null after replying.
 */
function expireArgToAbsolute(client: Client, arg: Uint8Array, unit: ExpireUnit, absolute: boolean, commandName: string): number | null {
  const raw = parseInteger(arg);
  if (raw === null) {
    replyError(client, errors.NOT_INTEGER);
    return null;
  }
  // The usual TTL: exact in doubles (every step stays within 2^53), no BigInt made.
  if (typeof raw === "number" && raw > 0) {
    const milliseconds = unit === "s" ? raw * 1000 : raw;
    const at = absolute ? milliseconds : milliseconds + Date.now();
    if (at <= Number.MAX_SAFE_INTEGER) return at;
  }
  let value = typeof raw === "bigint" ? raw : BigInt(raw);
  const invalid = `ERR invalid expire time in '${commandName}' command`;
  if (value <= 0n) {
    replyError(client, invalid);
    return null;
  }
  if (unit === "s") {
    if (value > INT64_MAX / 1000n) {
      replyError(client, invalid);
      return null;
    }
    value *= 1000n;
  }
  if (!absolute) {
    value += BigInt(Date.now());
    if (value > INT64_MAX) {
      replyError(client, invalid);
      return null;
    }
  }
  return Number(value);
}

// ---- SET ---------------------------------------------------------------------------

const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const SET_KEEPTTL = 8;
const SET_EX = 16;
const SET_PX = 32;
const SET_EXAT = 64;
const SET_PXAT = 128;
const SET_PERSIST = 256;
const EXPIRE_FLAGS = SET_EX | SET_PX | SET_EXAT | SET_PXAT;

/**
 * parseExtendedStringArgumentsOrReply: shared by SET and GETEX. Returns the flags and
 * the expire argument index, or null after a syntax error.
 */
function parseSetOptions(client: Client, argv: Uint8Array[], start: number, forGetex: boolean): { flags: number; expireIndex: number } | null {
  let flags = 0;
  let expireIndex = -1;
  for (let i = start; i < argv.length; i++) {
    // Matched on the bytes: a string per option word was a tenth of SET ... PX.
    const option = argv[i]!;
    const hasNext = i + 1 < argv.length;
    if (!forGetex && argIs(option, "nx") && !(flags & (SET_XX))) flags |= SET_NX;
    else if (!forGetex && argIs(option, "xx") && !(flags & SET_NX)) flags |= SET_XX;
    else if (!forGetex && argIs(option, "get")) flags |= SET_GET;
    else if (!forGetex && argIs(option, "keepttl") && !(flags & (EXPIRE_FLAGS | SET_PERSIST))) flags |= SET_KEEPTTL;
    else if (forGetex && argIs(option, "persist") && !(flags & (EXPIRE_FLAGS | SET_KEEPTTL))) flags |= SET_PERSIST;
    else if (argIs(option, "ex") && hasNext && !(flags & (SET_KEEPTTL | SET_PERSIST | SET_PX | SET_EXAT | SET_PXAT))) {
      flags |= SET_EX;
      expireIndex = ++i;
    } else if (argIs(option, "px") && hasNext && !(flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_EXAT | SET_PXAT))) {
      flags |= SET_PX;
      expireIndex = ++i;
    } else if (argIs(option, "exat") && hasNext && !(flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_PX | SET_PXAT))) {
      flags |= SET_EXAT;
      expireIndex = ++i;
    } else if (argIs(option, "pxat") && hasNext && !(flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_PX | SET_EXAT))) {
      flags |= SET_PXAT;
      expireIndex = ++i;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
  }
  return { flags, expireIndex };
}

function expireFromFlags(client: Client, argv: Uint8Array[], flags: number, expireIndex: number, name: string): number | null | undefined {
  if (!(flags & EXPIRE_FLAGS)) return undefined;
  const unit: ExpireUnit = flags & (SET_EX | SET_EXAT) ? "s" : "ms";
  const absolute = (flags & (SET_EXAT | SET_PXAT)) !== 0;
  return expireArgToAbsolute(client, argv[expireIndex]!, unit, absolute, name);
}

/**
 * A string argument as a value to store: as it is (a view of the input, perhaps) when
 * the key table copies it into its value arena, else a copy of its own (ownBytes).
 */
function storable(valueBytes: Uint8Array): Uint8Array {
  return valueBytes.length <= INLINE_MAX ? valueBytes : ownBytes(valueBytes);
}

/** SET without options: by key bytes, with a key string only for whoever needs one. */
function setPlain(client: Client, keyBytes: Uint8Array, valueBytes: Uint8Array): void {
  client.db.setKeyBytes(keyBytes, storable(valueBytes));
  keyChangedBytes(client, NOTIFY_STRING, "set", keyBytes);
  client.reply.ok();
}

/** SET with only a time to live (a cache's SET ... EX, SETEX, PSETEX): setPlain, and the TTL set with the value. */
function setWithExpiry(client: Client, keyBytes: Uint8Array, valueBytes: Uint8Array, expireAt: number): void {
  client.db.setKeyBytes(keyBytes, storable(valueBytes), expireAt);
  keyChangedBytes(client, NOTIFY_STRING, "set", keyBytes);
  keyChangedBytes(client, NOTIFY_GENERIC, "expire", keyBytes, 0);
  // Replicated as SET key value PXAT <absolute ms>, whatever form the expiry had.
  propagateAs(client, () => [SHARED.set, keyBytes, valueBytes, SHARED.pxat, integerBytes(expireAt)]);
  client.reply.ok();
}

/** setGenericCommand: the core of SET, SETNX, SETEX, PSETEX. */
function setGeneric(client: Client, argv: Uint8Array[], keyBytes: Uint8Array, valueBytes: Uint8Array, flags: number, expireAt: number | undefined, okReply: "ok" | "int"): void {
  const db = client.db;
  if ((flags & ~EXPIRE_FLAGS) === 0 && okReply === "ok") {
    if (expireAt === undefined) setPlain(client, keyBytes, valueBytes);
    else setWithExpiry(client, keyBytes, valueBytes, expireAt);
    return;
  }
  const slot = db.findBytes(keyBytes);
  const exists = slot >= 0;
  // Only SET ... GET needs the old value (a view, valid for this command).
  const previous = exists && flags & SET_GET ? db.valueAt(slot) : undefined;
  if (flags & SET_GET) {
    if (previous !== undefined && !(previous instanceof Uint8Array)) {
      replyError(client, errors.WRONGTYPE);
      return;
    }
  }
  if ((flags & SET_NX && exists) || (flags & SET_XX && !exists)) {
    if (flags & SET_GET) {
      if (previous !== undefined) client.reply.bulk(previous as Uint8Array);
      else client.reply.nullBulk();
    } else if (okReply === "int") client.reply.integer(0);
    else client.reply.nullBulk();
    return;
  }
  const value = storable(valueBytes);
  // A new key (SET ... NX, a lock taken) gets its TTL with its value, by the key's bytes.
  if (!exists) db.setKeyBytes(keyBytes, value, expireAt ?? -1);
  else {
    const key = bytesToKey(keyBytes);
    db.setKeyAt(key, slot, value, (flags & SET_KEEPTTL) !== 0);
    if (expireAt !== undefined) db.setExpire(key, expireAt);
  }
  keyChangedBytes(client, NOTIFY_STRING, "set", keyBytes);
  if (expireAt !== undefined) {
    keyChangedBytes(client, NOTIFY_GENERIC, "expire", keyBytes, 0);
    // Replicated as SET key value PXAT <absolute ms>, whatever form the expiry had.
    propagateAs(client, () => [SHARED.set, keyBytes, valueBytes, SHARED.pxat, integerBytes(expireAt)]);
  } else if (flags & SET_GET) {
    // GET changes nothing on a replica: propagated without it (every GET word after the value).
    propagateAs(client, () => argv.filter((arg, i) => i < 3 || !argIs(arg, "get")));
  }
  if (flags & SET_GET) {
    if (previous !== undefined) client.reply.bulk(previous as Uint8Array);
    else client.reply.nullBulk();
  } else if (okReply === "int") client.reply.integer(1);
  else client.reply.ok();
}

function set(client: Client, argv: Uint8Array[]): void {
  if (argv.length === 3) {
    // The common case without options: skip option parsing entirely.
    setPlain(client, argv[1]!, argv[2]!);
    return;
  }
  const options = parseSetOptions(client, argv, 3, false);
  if (options === null) return;
  const expireAt = expireFromFlags(client, argv, options.flags, options.expireIndex, "set");
  if (expireAt === null) return;
  setGeneric(client, argv, argv[1]!, argv[2]!, options.flags, expireAt, "ok");
}

function setnx(client: Client, argv: Uint8Array[]): void {
  setGeneric(client, argv, argv[1]!, argv[2]!, SET_NX, undefined, "int");
}

function setex(client: Client, argv: Uint8Array[]): void {
  const expireAt = expireArgToAbsolute(client, argv[2]!, "s", false, "setex");
  if (expireAt === null) return;
  setGeneric(client, argv, argv[1]!, argv[3]!, 0, expireAt, "ok");
}

function psetex(client: Client, argv: Uint8Array[]): void {
  const expireAt = expireArgToAbsolute(client, argv[2]!, "ms", false, "psetex");
  if (expireAt === null) return;
  setGeneric(client, argv, argv[1]!, argv[3]!, 0, expireAt, "ok");
}

// ---- GET family ----------------------------------------------------------------------

/**
 * Replies the string at a live slot; false, with nothing replied, when the value is not
 * a string. A string in the value arena is copied straight into the reply: no view
 * object per key. (GET keeps its own copy of these lines: through this call it measured
 * 4-15% slower.)
 */
function replyStringAt(client: Client, slot: number): boolean {
  const table = client.db.table;
  if (table.isInline(slot)) {
    const at = client.reply.bulkInto(table.inlineLengthOf(slot));
    if (at >= 0) table.copyInlineValue(slot, client.reply.bytes, at);
    return true;
  }
  const value = table.valueAt(slot);
  if (!(value instanceof Uint8Array)) return false;
  client.reply.bulk(value);
  return true;
}

function get(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const slot = db.lookupReadSlot(argv[1]!);
  if (slot < 0) {
    client.reply.nullBulk();
    return;
  }
  const table = db.table;
  if (table.isInline(slot)) {
    // Copied from the arena straight into the reply: no view object per GET.
    const at = client.reply.bulkInto(table.inlineLengthOf(slot));
    if (at >= 0) table.copyInlineValue(slot, client.reply.bytes, at);
    return;
  }
  const value = table.valueAt(slot);
  if (value instanceof Uint8Array) client.reply.bulk(value);
  else client.server.replyError(client, errors.WRONGTYPE);
}

function getdel(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const slot = db.lookupReadSlot(argv[1]!);
  if (slot < 0) {
    client.reply.nullBulk();
    return;
  }
  if (!replyStringAt(client, slot)) {
    client.server.replyError(client, errors.WRONGTYPE);
    return;
  }
  db.deleteSlot(slot, null);
  keyChangedBytes(client, NOTIFY_GENERIC, "del", argv[1]!);
  propagateAs(client, () => [client.server.lazyfreeLazyUserDel ? SHARED.unlink : SHARED.del, argv[1]!]);
}

function getex(client: Client, argv: Uint8Array[]): void {
  const options = parseSetOptions(client, argv, 2, true);
  if (options === null) return;
  const expireAt = expireFromFlags(client, argv, options.flags, options.expireIndex, "getex");
  if (expireAt === null) return;
  const value = readString(client, argv[1]!);
  if (value === null) return;
  if (value === undefined) {
    client.reply.nullBulk();
    return;
  }
  client.reply.bulk(value);
  const db = client.db;
  const key = bytesToKey(argv[1]!);
  // GETEX itself is never propagated: its effect is DEL/UNLINK, PEXPIREAT or PERSIST.
  if (expireAt !== undefined) {
    if (expireAt <= Date.now()) {
      // An expire in the past deletes the key, as Redis does.
      db.remove(key);
      keyChanged(client, NOTIFY_GENERIC, "del", key);
      propagateAs(client, () => [client.server.lazyfreeLazyExpire ? SHARED.unlink : SHARED.del, argv[1]!]);
    } else {
      db.setExpire(key, expireAt);
      keyChanged(client, NOTIFY_GENERIC, "expire", key);
      propagateAs(client, () => [SHARED.pexpireat, argv[1]!, integerBytes(expireAt)]);
    }
  } else if (options.flags & SET_PERSIST) {
    if (db.getExpire(key) !== -1) {
      db.setExpire(key, -1);
      keyChanged(client, NOTIFY_GENERIC, "persist", key);
      propagateAs(client, () => [SHARED.persist, argv[1]!]);
    }
  }
}

function getset(client: Client, argv: Uint8Array[]): void {
  setGeneric(client, argv, argv[1]!, argv[2]!, SET_GET, undefined, "ok");
  // Replicated as SET key value.
  if (client.propagateArgv !== null) client.propagateArgv = [SHARED.set, argv[1]!, argv[2]!];
}

function mget(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  client.reply.arrayHeader(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    // A key of another type reads as missing.
    const slot = db.lookupReadSlot(argv[i]!);
    if (slot < 0 || !replyStringAt(client, slot)) client.reply.nullBulk();
  }
}

function msetGeneric(client: Client, argv: Uint8Array[], onlyIfNoneExist: boolean): void {
  if (argv.length % 2 === 0) {
    replyError(client, `ERR wrong number of arguments for '${onlyIfNoneExist ? "msetnx" : "mset"}' command`);
    return;
  }
  const db = client.db;
  if (onlyIfNoneExist) {
    for (let i = 1; i < argv.length; i += 2) {
      if (db.has(bytesToKey(argv[i]!))) {
        client.reply.integer(0);
        return;
      }
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    db.setKeyBytes(argv[i]!, storable(argv[i + 1]!));
    keyChangedBytes(client, NOTIFY_STRING, "set", argv[i]!);
  }
  if (onlyIfNoneExist) client.reply.integer(1);
  else client.reply.ok();
}

function mset(client: Client, argv: Uint8Array[]): void {
  msetGeneric(client, argv, false);
}

function msetnx(client: Client, argv: Uint8Array[]): void {
  msetGeneric(client, argv, true);
}

function strlen(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const slot = db.lookupReadSlot(argv[1]!);
  if (slot < 0) {
    client.reply.integer(0);
    return;
  }
  const table = db.table;
  if (table.isInline(slot)) {
    client.reply.integer(table.inlineLengthOf(slot));
    return;
  }
  const value = table.valueAt(slot);
  if (value instanceof Uint8Array) client.reply.integer(value.length);
  else client.server.replyError(client, errors.WRONGTYPE);
}

function append(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const keyBytes = argv[1]!;
  const suffix = argv[2]!;
  const slot = db.lookupWriteSlotBytes(keyBytes);
  let length: number;
  if (slot < 0) {
    db.setKeyBytes(keyBytes, ownBytes(suffix));
    length = suffix.length;
  } else {
    const existing = db.valueAt(slot);
    if (isWrongType(client, existing, "string")) return;
    const current = existing as Uint8Array;
    length = current.length + suffix.length;
    if (!checkStringLength(client, length)) return;
    const result = new RawString(length);
    result.set(current);
    result.set(suffix, current.length);
    db.replaceValue(slot, result); // preserved by the lookup; the TTL stays
  }
  keyChangedBytes(client, NOTIFY_STRING, "append", keyBytes);
  client.reply.integer(length);
}

// ---- counters -------------------------------------------------------------------------

function incrDecr(client: Client, key: string, delta: bigint): void {
  incrDecrAt(client, key, client.db.lookupWriteSlot(key), delta);
}

/** incrDecr for a key already looked up: `slot` comes from lookupWriteSlot(key) (-1 when absent). */
function incrDecrAt(client: Client, key: string, slot: number, delta: bigint): void {
  const db = client.db;
  const existing = slot < 0 ? undefined : db.valueAt(slot);
  if (isWrongType(client, existing, "string")) return;
  let current: number | bigint = 0;
  if (existing !== undefined) {
    const parsed = parseInteger(existing as Uint8Array);
    if (parsed === null) {
      replyError(client, errors.NOT_INTEGER);
      return;
    }
    current = parsed;
  }
  const result = addInt64(current, delta);
  if (result === null) {
    replyError(client, errors.OVERFLOW);
    return;
  }
  const bytes = integerValueBytes(result);
  if (existing === undefined) db.add(key, bytes);
  else db.replaceValue(slot, bytes); // preserved by the lookup; the TTL stays
  keyChanged(client, NOTIFY_STRING, "incrby", key);
  client.reply.integer(result);
}

/**
 * INCR/DECR/INCRBY/DECRBY on values and deltas within 2^53, by key bytes: the number is parsed and written where
 * it lies in the value arena, with no bigint, no key string and no array in between.
 */
function incrSmall(client: Client, argv: Uint8Array[], delta: number): void {
  const db = client.db;
  const keyBytes = argv[1]!;
  const slot = db.lookupWriteSlotBytes(keyBytes);
  const current = slot < 0 ? 0 : db.inlineIntegerAt(slot);
  // Both within 2^53: the sum is exact when it is, and past 2^53 when it is not.
  const result = typeof current === "number" ? current + delta : Number.NaN;
  if (result <= Number.MAX_SAFE_INTEGER && result >= -Number.MAX_SAFE_INTEGER) {
    if (slot < 0) db.addBytes(keyBytes, integerBytes(result));
    else db.replaceWithInteger(slot, result); // the TTL stays
    keyChangedBytes(client, NOTIFY_STRING, "incrby", keyBytes);
    client.reply.integer(result);
    return;
  }
  // Not an arena string, not an integer, or beyond 2^53: the general path replies.
  incrDecrAt(client, bytesToKey(keyBytes), slot, BigInt(delta));
}

function incr(client: Client, argv: Uint8Array[]): void {
  incrSmall(client, argv, 1);
}

function decr(client: Client, argv: Uint8Array[]): void {
  incrSmall(client, argv, -1);
}

function incrby(client: Client, argv: Uint8Array[]): void {
  const small = parseInteger(argv[2]!);
  if (typeof small === "number") {
    incrSmall(client, argv, small);
    return;
  }
  const delta = bigIntArg(client, argv[2]!);
  if (delta === null) return;
  incrDecr(client, bytesToKey(argv[1]!), delta);
}

function decrby(client: Client, argv: Uint8Array[]): void {
  const small = parseInteger(argv[2]!);
  if (typeof small === "number") {
    incrSmall(client, argv, -small);
    return;
  }
  const delta = bigIntArg(client, argv[2]!);
  if (delta === null) return;
  if (delta === INT64_MIN) {
    replyError(client, "ERR decrement would overflow");
    return;
  }
  incrDecr(client, bytesToKey(argv[1]!), -delta);
}

function incrbyfloat(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const keyBytes = argv[1]!;
  const slot = db.lookupWriteSlotBytes(keyBytes);
  const existing = slot < 0 ? undefined : db.valueAt(slot);
  if (isWrongType(client, existing, "string")) return;
  const text = floatSum(client, existing as Uint8Array | undefined, argv[2]!);
  if (text === null) return;
  const bytes = unencodedText(text);
  if (slot < 0) db.setKeyBytes(keyBytes, bytes);
  else db.replaceValue(slot, bytes); // preserved by the lookup; the TTL stays
  keyChangedBytes(client, NOTIFY_STRING, "incrbyfloat", keyBytes);
  client.reply.bulk(bytes);
  // Replicated as SET key <result> KEEPTTL: replicas and the AOF never redo float arithmetic.
  propagateAs(client, () => [SHARED.set, argv[1]!, bytes, SHARED.keepttl]);
}

/**
 * INCRBYFLOAT's sum as Redis prints it (long double, "%.17Lf" trimmed), or null after
 * replying an error. Short decimals with an exact binary value (3, 2.5, -0.25) are
 * added in doubles, which give the same result without BigInt (4.1 -> 1.3 us); others
 * as long doubles.
 */
function floatSum(client: Client, existing: Uint8Array | undefined, incrementBytes: Uint8Array): string | null {
  const exact = exactSumHuman(existing, exactDyadic(incrementBytes));
  if (exact !== null) return exact;
  let current = LongDouble.ZERO;
  if (existing !== undefined) {
    const parsed = parseLongDouble(existing);
    if (parsed === null) {
      replyError(client, errors.NOT_FLOAT);
      return null;
    }
    current = parsed;
  }
  const increment = parseLongDouble(incrementBytes);
  if (increment === null) {
    replyError(client, errors.NOT_FLOAT);
    return null;
  }
  const result = current.add(increment);
  if (!result.isFinite()) {
    replyError(client, "ERR increment would produce NaN or Infinity");
    return null;
  }
  return formatLongDoubleHuman(result);
}

// ---- ranges -----------------------------------------------------------------------------

function getrange(client: Client, argv: Uint8Array[]): void {
  let start = intArg(client, argv[2]!);
  if (start === null) return;
  let end = intArg(client, argv[3]!);
  if (end === null) return;
  const value = readString(client, argv[1]!);
  if (value === null) return;
  const empty = new Uint8Array(0);
  if (value === undefined) {
    client.reply.bulk(empty);
    return;
  }
  const length = value.length;
  // Redis: a negative start beyond a negative end is an empty range even before clamping.
  if (start < 0 && end < 0 && start > end) {
    client.reply.bulk(empty);
    return;
  }
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) {
    client.reply.bulk(empty);
    return;
  }
  client.reply.bulk(value.subarray(start, end + 1));
}

function setrange(client: Client, argv: Uint8Array[]): void {
  const offset = intArg(client, argv[2]!);
  if (offset === null) return;
  if (offset < 0) {
    replyError(client, "ERR offset is out of range");
    return;
  }
  const db = client.db;
  const key = bytesToKey(argv[1]!);
  const patch = argv[3]!;
  const existing = db.lookupWrite(key);
  if (isWrongType(client, existing, "string")) return;
  const current = existing as Uint8Array | undefined;
  if (current === undefined) {
    if (patch.length === 0) {
      client.reply.integer(0);
      return;
    }
    if (!checkStringLength(client, offset + patch.length)) return;
    const created = new RawString(offset + patch.length);
    created.set(patch, offset);
    db.add(key, created);
    keyChanged(client, NOTIFY_STRING, "setrange", key);
    client.reply.integer(created.length);
    return;
  }
  if (patch.length === 0) {
    client.reply.integer(current.length);
    return;
  }
  if (!checkStringLength(client, offset + patch.length)) return;
  const size = Math.max(current.length, offset + patch.length);
  const updated = new RawString(size);
  updated.set(current);
  updated.set(patch, offset);
  db.setKey(key, updated, true);
  keyChanged(client, NOTIFY_STRING, "setrange", key);
  client.reply.integer(updated.length);
}

// ---- LCS --------------------------------------------------------------------------------

function lcsCommand(client: Client, argv: Uint8Array[]): void {
  // Redis looks both keys up (with its own type error) before reading the options.
  const a = client.db.lookupRead(bytesToKey(argv[1]!));
  const b = client.db.lookupRead(bytesToKey(argv[2]!));
  if ((a !== undefined && !(a instanceof Uint8Array)) || (b !== undefined && !(b instanceof Uint8Array))) {
    replyError(client, "ERR The specified keys must contain string values");
    return;
  }
  let wantLen = false;
  let wantIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = argLower(argv[i]!);
    if (option === "idx") wantIdx = true;
    else if (option === "len") wantLen = true;
    else if (option === "withmatchlen") withMatchLen = true;
    else if (option === "minmatchlen" && i + 1 < argv.length) {
      const n = intArg(client, argv[++i]!);
      if (n === null) return;
      minMatchLen = Math.max(0, n);
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  if (wantIdx && wantLen) {
    replyError(client, "ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const first = a ?? new Uint8Array(0);
  const second = b ?? new Uint8Array(0);
  // Redis refuses when the DP table would be larger than proto-max-bulk-len.
  if (lcsTableBytes(first.length, second.length) > client.server.config.getNumber("proto-max-bulk-len")) {
    replyError(client, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const result = lcs(first, second);
  const reply = client.reply;
  if (wantLen) {
    reply.integer(result.sequence.length);
    return;
  }
  if (!wantIdx) {
    reply.bulk(result.sequence);
    return;
  }
  const matches = result.matches.filter((m) => m.length >= minMatchLen);
  reply.mapHeader(2);
  reply.bulkText("matches");
  reply.arrayHeader(matches.length);
  for (const m of matches) {
    reply.arrayHeader(withMatchLen ? 3 : 2);
    reply.arrayHeader(2);
    reply.integer(m.a[0]);
    reply.integer(m.a[1]);
    reply.arrayHeader(2);
    reply.integer(m.b[0]);
    reply.integer(m.b[1]);
    if (withMatchLen) reply.integer(m.length);
  }
  reply.bulkText("len");
  reply.integer(result.sequence.length);
}

// ---- declarations ---------------------------------------------------------------------------

const S = { categories: ["string"], group: "string" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };

export const stringCommands: CommandSpec[] = [
  { name: "get", arity: 2, flags: ["readonly", "fast"], ...single, ...S, since: "1.0.0", summary: "Get the value of a key", complexity: "O(1)", handler: get },
  { name: "set", arity: -3, flags: ["write", "denyoom"], ...single, ...S, since: "1.0.0", summary: "Set the string value of a key", complexity: "O(1)", handler: set },
  { name: "setnx", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Set the value of a key, only if the key does not exist", complexity: "O(1)", handler: setnx },
  { name: "setex", arity: 4, flags: ["write", "denyoom"], ...single, ...S, since: "2.0.0", summary: "Set the value and expiration of a key", complexity: "O(1)", handler: setex },
  { name: "psetex", arity: 4, flags: ["write", "denyoom"], ...single, ...S, since: "2.6.0", summary: "Set the value and expiration in milliseconds of a key", complexity: "O(1)", handler: psetex },
  { name: "getdel", arity: 2, flags: ["write", "fast"], ...single, ...S, since: "6.2.0", summary: "Get the value of a key and delete the key", complexity: "O(1)", handler: getdel },
  { name: "getex", arity: -2, flags: ["write", "fast"], ...single, ...S, since: "6.2.0", summary: "Get the value of a key and optionally set its expiration", complexity: "O(1)", handler: getex },
  { name: "getset", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Set the string value of a key and return its old value", complexity: "O(1)", handler: getset },
  { name: "mget", arity: -2, flags: ["readonly", "fast"], firstKey: 1, lastKey: -1, keyStep: 1, ...S, since: "1.0.0", summary: "Get the values of all the given keys", complexity: "O(N) where N is the number of keys to retrieve.", tips: ["request_policy:multi_shard"], handler: mget },
  { name: "mset", arity: -3, flags: ["write", "denyoom"], firstKey: 1, lastKey: -1, keyStep: 2, ...S, since: "1.0.1", summary: "Set multiple keys to multiple values", complexity: "O(N) where N is the number of keys to set.", tips: ["request_policy:multi_shard", "response_policy:all_succeeded"], handler: mset },
  { name: "msetnx", arity: -3, flags: ["write", "denyoom"], firstKey: 1, lastKey: -1, keyStep: 2, ...S, since: "1.0.1", summary: "Set multiple keys to multiple values, only if none of the keys exist", complexity: "O(N) where N is the number of keys to set.", tips: ["request_policy:multi_shard", "response_policy:agg_min"], handler: msetnx },
  { name: "strlen", arity: 2, flags: ["readonly", "fast"], ...single, ...S, since: "2.2.0", summary: "Get the length of the value stored in a key", complexity: "O(1)", handler: strlen },
  { name: "append", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "2.0.0", summary: "Append a value to a key", complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", handler: append },
  { name: "incr", arity: 2, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Increment the integer value of a key by one", complexity: "O(1)", handler: incr },
  { name: "decr", arity: 2, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Decrement the integer value of a key by one", complexity: "O(1)", handler: decr },
  { name: "incrby", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Increment the integer value of a key by the given amount", complexity: "O(1)", handler: incrby },
  { name: "decrby", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "1.0.0", summary: "Decrement the integer value of a key by the given number", complexity: "O(1)", handler: decrby },
  { name: "incrbyfloat", arity: 3, flags: ["write", "denyoom", "fast"], ...single, ...S, since: "2.6.0", summary: "Increment the float value of a key by the given amount", complexity: "O(1)", handler: incrbyfloat },
  { name: "getrange", arity: 4, flags: ["readonly"], ...single, ...S, since: "2.4.0", summary: "Get a substring of the string stored at a key", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", handler: getrange },
  { name: "substr", arity: 4, flags: ["readonly"], ...single, ...S, since: "1.0.0", summary: "Get a substring of the string stored at a key", complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", handler: getrange },
  { name: "setrange", arity: 4, flags: ["write", "denyoom"], ...single, ...S, since: "2.2.0", summary: "Overwrite part of a string at key starting at the specified offset", complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", handler: setrange },
  { name: "lcs", arity: -3, flags: ["readonly"], firstKey: 1, lastKey: 2, keyStep: 1, ...S, since: "7.0.0", summary: "Find longest common substring", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", handler: lcsCommand },
];
