// Small helpers shared by command handlers: argument parsing with Redis's error
// texts, typed lookups that answer WRONGTYPE, and change accounting (dirty counter,
// keyspace notifications, blocked-client wakeups).

import type { Client } from "../net/client.ts";
import type { RedisValue } from "../db/types.ts";
import { bytesToKey, parseInteger } from "../db/bytes.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC } from "../notify.ts";


/** Integer argument or null after replying `ERR value is not an integer or out of range` (or `message`). */
export function intArg(client: Client, arg: Uint8Array, message: string = errors.NOT_INTEGER): number | null {
  const value = parseInteger(arg);
  if (value === null || typeof value === "bigint") {
    // Values beyond 2^53 are valid int64s but no index/count/offset needs them; clamp instead of failing.
    if (typeof value === "bigint") return value > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
    client.server.replyError(client, message);
    return null;
  }
  return value;
}

/** Full-precision int64 argument (INCRBY and friends), or null after replying. */
export function bigIntArg(client: Client, arg: Uint8Array, message: string = errors.NOT_INTEGER): bigint | null {
  const value = parseInteger(arg);
  if (value === null) {
    client.server.replyError(client, message);
    return null;
  }
  return typeof value === "bigint" ? value : BigInt(value);
}

/**
 * The one way a handler reports a change to a key, once, after making it: Redis's
 * signalModifiedKey (WATCHing transactions fail, client-side caches are invalidated), notifyKeyspaceEvent and
 * `server.dirty += changes` (which is also what makes call() propagate the command).
 * `dbIndex` is for changes in another database than the client's (MOVE, COPY ... DB).
 */
export function keyChanged(client: Client, notifyClass: number, event: string, key: string, changes = 1, dbIndex = client.dbIndex): void {
  const server = client.server;
  if (!server.watches.idle() || !server.tracking.idle()) server.signalModifiedKey(client, server.dbs[dbIndex]!, key);
  server.dirty += changes;
  server.notifier.notify(notifyClass, event, key, dbIndex);
}

/**
 * keyChanged for a key given as bytes: the key string is made only when a WATCH, a
 * client-side cache or a keyspace notification will use it. A function of its own: one
 * keyChanged taking `string | Uint8Array` made SET 688 -> 1139 ns and LPUSH 409 -> 674 ns
 * in hotpath-bench (two interleaved runs, 7 December 2026).
 */
export function keyChangedBytes(client: Client, notifyClass: number, event: string, keyBytes: Uint8Array, changes = 1): void {
  const server = client.server;
  if (server.watches.idle() && server.tracking.idle() && (server.notifier.flags & notifyClass) === 0) {
    server.dirty += changes;
    return;
  }
  keyChanged(client, notifyClass, event, bytesToKey(keyBytes), changes);
}

/**
 * A change that Redis does not signal to WATCH (consumer-group metadata, XSETID, XACK):
 * the dirty counter and, when `event` is given, the keyspace notification.
 */
export function keyChangedUnwatched(client: Client, notifyClass: number, event: string | null, key: string, changes = 1): void {
  const server = client.server;
  server.dirty += changes;
  if (event !== null) server.notifier.notify(notifyClass, event, key, client.dbIndex);
}

/**
 * The end of a *STORE command (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE...): a non-empty
 * result replaces the destination (setKey: any old value and TTL go) with its event, an
 * empty one deletes it ("del"). Replies the result's size.
 */
export function storeResult(client: Client, destination: string, result: RedisValue, size: number, notifyClass: number, event: string): void {
  const db = client.db;
  if (size > 0) {
    db.setKey(destination, result);
    client.reply.integer(size);
    keyChanged(client, notifyClass, event, destination);
    return;
  }
  client.reply.integer(0);
  if (db.dbDelete(destination)) keyChanged(client, NOTIFY_GENERIC, "del", destination);
}

/** A command's change to the dataset as a whole: Server.datasetChanged. */
export function datasetChanged(client: Client, changes: number): void {
  client.server.datasetChanged(changes);
}

/**
 * rewriteClientCommandVector: the effect stream gets `argv` instead of the command as
 * sent (SET ... EX becomes SET ... PXAT). Built only when something listens.
 */
export function propagateAs(client: Client, build: () => Uint8Array[]): void {
  if (client.server.propagation.active) client.propagateArgv = build();
}

/**
 * alsoPropagate for the running command: `argv` goes to the effect stream after what
 * was propagated so far (before the command's own argv, unless preventPropagation).
 */
export function alsoPropagate(client: Client, argv: Uint8Array[], dbIndex = client.dbIndex): void {
  client.server.propagation.alsoPropagate(dbIndex, argv);
}

/** preventCommandPropagation: the command's effect was propagated with alsoPropagate. */
export function preventPropagation(client: Client): void {
  client.preventPropagation = true;
}

/** forceCommandPropagation: propagate the command even though it changed nothing. */
export function forcePropagation(client: Client): void {
  client.forcePropagation = true;
}

export function replyError(client: Client, message: string): void {
  client.server.replyError(client, message);
}

export function wrongType(client: Client): void {
  client.server.replyError(client, errors.WRONGTYPE);
}

/**
 * checkType: a looked-up value as the type the command works on (a value class, or
 * Uint8Array for strings): undefined when the key is absent, null after replying WRONGTYPE.
 */
export function checkType<T>(client: Client, value: RedisValue | undefined, type: abstract new (...args: never[]) => T): T | undefined | null {
  if (value === undefined) return undefined;
  if (value instanceof type) return value;
  wrongType(client);
  return null;
}

/** Type guard helper: true when the value exists and is not of the wanted kind (after replying WRONGTYPE). */
export function isWrongType(client: Client, value: RedisValue | undefined, type: string): boolean {
  if (value === undefined) return false;
  const actual = value instanceof Uint8Array ? "string" : value.type;
  if (actual === type) return false;
  wrongType(client);
  return true;
}

/**
 * Parses a timeout for blocking commands (seconds, may be fractional) into an absolute
 * deadline in ms (0 = forever), or null after replying the Redis error.
 *
 * Redis 7.0 (getTimeoutFromObjectOrReply) reads the seconds with strtold, so hex floats
 * and "inf" parse, then casts ceil(seconds * 1000) to a C long long: a result beyond
 * its range (inf included) becomes LLONG_MIN and answers "timeout is negative", while
 * a tiny negative such as -0.0001 rounds to -0 and blocks forever.
 */
export function blockingTimeoutArg(client: Client, arg: Uint8Array): number | null {
  const seconds = parseLongDoubleText(bytesToKey(arg));
  if (seconds === null) {
    client.server.replyError(client, errors.TIMEOUT_NOT_FLOAT);
    return null;
  }
  const scaled = seconds * 1000;
  // The relative nudge undoes double rounding that long double does not have (1.1 s -> 1100 ms, not 1101).
  const ms = Math.ceil(scaled - Math.abs(scaled) * 1e-15);
  if (!Number.isFinite(ms) || ms >= 2 ** 63 || ms < 0) {
    client.server.replyError(client, errors.TIMEOUT_NEGATIVE);
    return null;
  }
  if (ms === 0) return 0;
  return Date.now() + ms;
}

/** Decimal exponents beyond which strtold reports ERANGE for an 80-bit long double. */
const LONG_DOUBLE_MAX_EXP10 = 4932;
const LONG_DOUBLE_MIN_EXP10 = -4951;
const DECIMAL_FLOAT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

/**
 * Redis's string2ld: the whole text must be what strtold reads (decimal or hex float,
 * inf/infinity, no leading space); NaN and out-of-range values are refused. Values
 * beyond a double but within a long double come back as +-Infinity or the smallest
 * double, which is all a timeout needs to know about them.
 */
function parseLongDoubleText(text: string): number | null {
  if (text.length === 0 || text.length >= 5 * 1024) return null;
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  let sign = 1;
  let mantissaDigits: string;
  let decimalExponent: number;
  let value: number;
  const decimal = DECIMAL_FLOAT.exec(text);
  if (decimal !== null) {
    const [, signText, integerPart = "", fractionPart = "", exponentText = "0"] = decimal;
    if (integerPart.length + fractionPart.length === 0) return null;
    sign = signText === "-" ? -1 : 1;
    mantissaDigits = integerPart + fractionPart;
    const firstNonZero = mantissaDigits.search(/[1-9]/);
    decimalExponent = firstNonZero < 0 ? 0 : Number(exponentText) + integerPart.length - 1 - firstNonZero;
    value = Number(text);
  } else {
    const hex = HEX_FLOAT.exec(text);
    if (hex === null) return null;
    const [, signText, integerPart = "", fractionPart = "", exponentText = "0"] = hex;
    if (integerPart.length + fractionPart.length === 0) return null;
    sign = signText === "-" ? -1 : 1;
    mantissaDigits = integerPart + fractionPart;
    const mantissa = BigInt("0x" + mantissaDigits);
    const binaryExponent = Number(exponentText) - 4 * fractionPart.length;
    decimalExponent = mantissa === 0n ? 0 : Math.floor((mantissa.toString(2).length - 1 + binaryExponent) * Math.LOG10E * Math.LN2);
    value = sign * Number(mantissa) * 2 ** binaryExponent;
    if (Number.isNaN(value)) value = sign * Infinity;
  }
  if (!/[1-9a-fA-F]/.test(mantissaDigits)) return sign * 0;
  if (decimalExponent > LONG_DOUBLE_MAX_EXP10 || decimalExponent < LONG_DOUBLE_MIN_EXP10) return null;
  if (value === 0) return sign * Number.MIN_VALUE;
  return value;
}
