// Small helpers shared by command handlers: argument parsing with Redis's error
// texts, typed lookups that answer WRONGTYPE, and change accounting (dirty counter,
// keyspace notifications, blocked-client wakeups).

import type { Client } from "../net/client.ts";
import type { RedisValue } from "../db/types.ts";
import { bytesToKey, parseInteger } from "../db/bytes.ts";
import * as errors from "../errors.ts";


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

export function keyArg(arg: Uint8Array): string {
  return bytesToKey(arg);
}

/** Records a change made by a command: dirty counter and keyspace notification. */
export function touched(client: Client, notifyClass: number, event: string, key: string, changes = 1): void {
  const server = client.server;
  server.dirty += changes;
  server.notifier.notify(notifyClass, event, key, client.dbIndex);
}

export function replyError(client: Client, message: string): void {
  client.server.replyError(client, message);
}

export function wrongType(client: Client): void {
  client.server.replyError(client, errors.WRONGTYPE);
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
 */
export function blockingTimeoutArg(client: Client, arg: Uint8Array): number | null {
  const text = bytesToKey(arg);
  const seconds = Number(text);
  if (text.trim() === "" || text !== text.trim() || !Number.isFinite(seconds) || /^[+-]?(0x|inf|nan)/i.test(text)) {
    client.server.replyError(client, errors.TIMEOUT_NOT_FLOAT);
    return null;
  }
  if (seconds < 0) {
    client.server.replyError(client, errors.TIMEOUT_NEGATIVE);
    return null;
  }
  const ms = Math.ceil(seconds * 1000 - 1e-9);
  if (ms === 0) return 0;
  return Date.now() + ms;
}
