// The generic keyspace commands (in Redis: db.c, expire.c, object.c; DUMP/RESTORE in cluster.c):
// DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME(NX), MOVE, COPY, RANDOMKEY, KEYS, SCAN,
// DBSIZE, FLUSHDB, SWAPDB; EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST; TTL, PTTL,
// EXPIRETIME, PEXPIRETIME; DUMP, RESTORE; OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ/HELP.
// FLUSHALL is in persistence.ts (it may save).
// Also the helpers other families share: parseCursor and parseScanOptions (HSCAN,
// SSCAN, ZSCAN) and replyHelp (every HELP subcommand).

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, argLower, bytesToKey, integerBytes, keyToBytes, parseInteger } from "../db/bytes.ts";
import { datasetChanged, forcePropagation, intArg, keyChanged, keyChangedBytes, propagateAs, replyError } from "./context.ts";
import { SHARED } from "../propagate.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC } from "../notify.ts";
import { globMatch, isMatchAllPattern } from "../util/glob.ts";
import { typeOf, type RedisValue } from "../db/types.ts";
import { cloneValue, valueEncoding } from "../db/values.ts";
import type { Database } from "../db/keyspace.ts";
import { createDumpPayload, parseDumpPayload } from "../persistence/rdb/dump.ts";

function delGeneric(client: Client, argv: Uint8Array[]): void {
  let removed = 0;
  const db = client.db;
  for (let i = 1; i < argv.length; i++) {
    // An expired key is removed by the lookup (its "expired" event), and not counted.
    const slot = db.findBytes(argv[i]!);
    if (slot < 0) continue;
    db.deleteSlot(slot, null);
    removed++;
    keyChangedBytes(client, NOTIFY_GENERIC, "del", argv[i]!);
  }
  client.reply.integer(removed);
}

function exists(client: Client, argv: Uint8Array[]): void {
  let count = 0;
  const db = client.db;
  for (let i = 1; i < argv.length; i++) if (db.existsForRead(argv[i]!)) count++;
  client.reply.integer(count);
}

function touch(client: Client, argv: Uint8Array[]): void {
  let count = 0;
  const db = client.db;
  for (let i = 1; i < argv.length; i++) if (db.lookupRead(bytesToKey(argv[i]!)) !== undefined) count++;
  client.reply.integer(count);
}

function type(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const slot = db.lookupReadSlotNoTouch(argv[1]!);
  client.reply.simple(slot < 0 ? "none" : db.typeAt(slot));
}

function renameGeneric(client: Client, argv: Uint8Array[], onlyIfAbsent: boolean): void {
  const db = client.db;
  const source = bytesToKey(argv[1]!);
  const target = bytesToKey(argv[2]!);
  const sourceSlot = db.find(source);
  if (sourceSlot < 0) {
    replyError(client, errors.NO_SUCH_KEY);
    return;
  }
  const value = db.valueAt(sourceSlot);
  const expireAt = db.expireAtOf(sourceSlot);
  if (source === target) {
    if (onlyIfAbsent) client.reply.integer(0);
    else client.reply.ok();
    return;
  }
  if (db.has(target)) {
    if (onlyIfAbsent) {
      client.reply.integer(0);
      return;
    }
    db.remove(target);
  }
  db.remove(source);
  db.add(target, value, expireAt);
  keyChanged(client, NOTIFY_GENERIC, "rename_from", source);
  keyChanged(client, NOTIFY_GENERIC, "rename_to", target, 0);
  if (onlyIfAbsent) client.reply.integer(1);
  else client.reply.ok();
}

function dbIndexArg(client: Client, arg: Uint8Array): Database | null {
  const index = parseInteger(arg);
  if (index === null || typeof index === "bigint") {
    replyError(client, errors.NOT_INTEGER);
    return null;
  }
  const db = client.server.dbs[index];
  if (index < 0 || db === undefined) {
    replyError(client, errors.INVALID_DB);
    return null;
  }
  return db;
}

function move(client: Client, argv: Uint8Array[]): void {
  const target = dbIndexArg(client, argv[2]!);
  if (target === null) return;
  const source = client.db;
  if (target === source) {
    replyError(client, "ERR source and destination objects are the same");
    return;
  }
  const key = bytesToKey(argv[1]!);
  const slot = source.find(key);
  if (slot < 0 || target.has(key)) {
    client.reply.integer(0);
    return;
  }
  const value = source.valueAt(slot);
  const expireAt = source.expireAtOf(slot);
  source.remove(key);
  target.add(key, value, expireAt);
  keyChanged(client, NOTIFY_GENERIC, "move_from", key, 1, source.index);
  keyChanged(client, NOTIFY_GENERIC, "move_to", key, 0, target.index);
  client.reply.integer(1);
}

function copy(client: Client, argv: Uint8Array[]): void {
  let target = client.db;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (argIs(argv[i]!, "replace")) replace = true;
    else if (argIs(argv[i]!, "db") && i + 1 < argv.length) {
      const db = dbIndexArg(client, argv[++i]!);
      if (db === null) return;
      target = db;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const source = client.db;
  const sourceKey = bytesToKey(argv[1]!);
  const targetKey = bytesToKey(argv[2]!);
  if (source === target && sourceKey === targetKey) {
    replyError(client, "ERR source and destination objects are the same");
    return;
  }
  const sourceSlot = source.find(sourceKey);
  if (sourceSlot < 0) {
    client.reply.integer(0);
    return;
  }
  const sourceValue = source.valueAt(sourceSlot);
  const expireAt = source.expireAtOf(sourceSlot);
  if (target.has(targetKey)) {
    if (!replace) {
      client.reply.integer(0);
      return;
    }
    target.remove(targetKey);
  }
  const value = cloneValue(sourceValue);
  target.add(targetKey, value, expireAt);
  keyChanged(client, NOTIFY_GENERIC, "copy_to", targetKey, 1, target.index);
  client.reply.integer(1);
}

function randomkey(client: Client): void {
  const key = client.db.randomKey();
  if (key === undefined) client.reply.nullBulk();
  else client.reply.bulkText(key);
}

function keys(client: Client, argv: Uint8Array[]): void {
  const pattern = argv[1]!;
  const all = isMatchAllPattern(pattern);
  const matched: string[] = [];
  const table = client.db.table;
  const now = Date.now();
  for (let slot = 0; slot < table.slotCount; slot++) {
    if (!table.isLive(slot)) continue;
    const expireAt = table.expireAtOf(slot);
    if (expireAt !== -1 && expireAt <= now) continue;
    if (all || globMatch(pattern, table.keyBytesAt(slot))) matched.push(table.keyAt(slot));
  }
  client.reply.arrayHeader(matched.length);
  for (const key of matched) client.reply.bulkText(key);
}

/**
 * Parses SCAN-family options after the cursor: MATCH, COUNT, and (for SCAN) TYPE.
 * Returns null after replying an error.
 */
export function parseScanOptions(
  client: Client,
  argv: Uint8Array[],
  start: number,
  allowType: boolean,
): { pattern: Uint8Array | null; count: number; type: string | null } | null {
  let pattern: Uint8Array | null = null;
  let count = 10;
  let type: string | null = null;
  for (let i = start; i < argv.length; i++) {
    const option = argLower(argv[i]!);
    const hasValue = i + 1 < argv.length;
    if (option === "count" && hasValue) {
      const n = intArg(client, argv[++i]!);
      if (n === null) return null;
      if (n < 1) {
        replyError(client, errors.SYNTAX_ERROR);
        return null;
      }
      count = n;
    } else if (option === "match" && hasValue) {
      pattern = argv[++i]!;
      if (isMatchAllPattern(pattern)) pattern = null;
    } else if (allowType && option === "type" && hasValue) {
      type = bytesToKey(argv[++i]!).toLowerCase();
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
  }
  return { pattern, count, type };
}

/**
 * Cursor argument, read as Redis does with strtoul: optional sign, digits, nothing
 * else; "-1" wraps to the largest cursor. Anything else is `ERR invalid cursor`.
 */
export function parseCursor(client: Client, arg: Uint8Array): number | null {
  // C string semantics: a NUL ends the cursor, and an empty cursor reads as 0.
  const raw = bytesToKey(arg);
  const nul = raw.indexOf("\u0000");
  const text = nul >= 0 ? raw.slice(0, nul) : raw;
  if (text === "") return 0;
  const match = /^([+-]?)(\d+)$/.exec(text);
  const ULONG = 18446744073709551616n;
  if (match === null || BigInt(match[2]!) >= ULONG) {
    replyError(client, "ERR invalid cursor");
    return null;
  }
  let value = BigInt(match[2]!);
  if (match[1] === "-" && value !== 0n) value = ULONG - value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : Number.MAX_SAFE_INTEGER;
}

function scan(client: Client, argv: Uint8Array[]): void {
  const cursor = parseCursor(client, argv[1]!);
  if (cursor === null) return;
  const options = parseScanOptions(client, argv, 2, true);
  if (options === null) return;
  const found: string[] = [];
  const { pattern, type: wantedType } = options;
  const next = client.db.scan(cursor, options.count, (key, value) => {
    if (pattern !== null && !globMatch(pattern, keyToBytes(key))) return;
    if (wantedType !== null && typeOf(value) !== wantedType) return;
    found.push(key);
  });
  client.reply.arrayHeader(2);
  client.reply.bulkText(String(next));
  client.reply.arrayHeader(found.length);
  for (const key of found) client.reply.bulkText(key);
}

function dbsize(client: Client): void {
  client.reply.integer(client.db.size);
}

function flushdb(client: Client, argv: Uint8Array[]): void {
  if (argv.length > 2 || (argv.length === 2 && !argIs(argv[1]!, "async") && !argIs(argv[1]!, "sync"))) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  datasetChanged(client, client.server.emptyData(client.dbIndex));
  // Propagated even when the database was already empty, as Redis does.
  forcePropagation(client);
  client.reply.ok();
}

function swapdb(client: Client, argv: Uint8Array[]): void {
  const first = parseInteger(argv[1]!);
  if (first === null || typeof first === "bigint") {
    replyError(client, "ERR invalid first DB index");
    return;
  }
  const second = parseInteger(argv[2]!);
  if (second === null || typeof second === "bigint") {
    replyError(client, "ERR invalid second DB index");
    return;
  }
  const dbs = client.server.dbs;
  if (first < 0 || first >= dbs.length || second < 0 || second >= dbs.length) {
    replyError(client, errors.INVALID_DB);
    return;
  }
  if (first !== second) client.server.swapDatabases(dbs[first]!, dbs[second]!);
  // Counted (and so propagated) even for SWAPDB n n, as Redis does.
  datasetChanged(client, 1);
  client.reply.ok();
}

// ---- expiry -------------------------------------------------------------------------

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** expireGenericCommand: base time + amount in unit, with NX/XX/GT/LT. */
function expireGeneric(client: Client, argv: Uint8Array[], unitMs: number, absolute: boolean): void {
  const name = argLower(argv[0]!);
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = argLower(argv[i]!);
    if (option === "nx") flags |= EXPIRE_NX;
    else if (option === "xx") flags |= EXPIRE_XX;
    else if (option === "gt") flags |= EXPIRE_GT;
    else if (option === "lt") flags |= EXPIRE_LT;
    else {
      replyError(client, `ERR Unsupported option ${bytesToKey(argv[i]!)}`);
      return;
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    replyError(client, "ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    replyError(client, "ERR GT and LT options at the same time are not compatible");
    return;
  }
  const raw = parseInteger(argv[2]!);
  if (raw === null) {
    replyError(client, errors.NOT_INTEGER);
    return;
  }
  const invalid = `ERR invalid expire time in '${name}' command`;
  let when = typeof raw === "bigint" ? raw : BigInt(raw);
  const INT64_MAX = 9223372036854775807n;
  const INT64_MIN = -9223372036854775808n;
  if (unitMs === 1000) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      replyError(client, invalid);
      return;
    }
    when *= 1000n;
  }
  if (!absolute) {
    when += BigInt(Date.now());
    if (when > INT64_MAX || when < INT64_MIN) {
      replyError(client, invalid);
      return;
    }
  }
  const db = client.db;
  const key = bytesToKey(argv[1]!);
  const slot = db.find(key);
  if (slot < 0) {
    client.reply.integer(0);
    return;
  }
  const current = db.expireAtOf(slot);
  if (flags) {
    const target = Number(when);
    if (flags & EXPIRE_NX && current !== -1) return client.reply.integer(0);
    if (flags & EXPIRE_XX && current === -1) return client.reply.integer(0);
    // A key without a TTL counts as an infinite TTL for GT and LT.
    if (flags & EXPIRE_GT && (current === -1 || target <= current)) return client.reply.integer(0);
    if (flags & EXPIRE_LT && current !== -1 && target >= current) return client.reply.integer(0);
  }
  const server = client.server;
  if (when <= BigInt(Date.now()) && !server.loading) {
    // Expire in the past: the key goes away now, and is replicated as DEL (or UNLINK).
    db.remove(key);
    keyChanged(client, NOTIFY_GENERIC, "del", key);
    propagateAs(client, () => [server.lazyfreeLazyExpire ? SHARED.unlink : SHARED.del, argv[1]!]);
    client.reply.integer(1);
    return;
  }
  db.setExpire(key, Number(when));
  keyChanged(client, NOTIFY_GENERIC, "expire", key);
  // Replicated as PEXPIREAT key <absolute ms> with the same options.
  if (unitMs !== 1 || !absolute) {
    propagateAs(client, () => {
      const rewritten = argv.slice();
      rewritten[0] = SHARED.pexpireat;
      rewritten[2] = integerBytes(Number(when));
      return rewritten;
    });
  }
  client.reply.integer(1);
}

function ttlGeneric(client: Client, argv: Uint8Array[], outputMs: boolean, outputAbsolute: boolean): void {
  const db = client.db;
  const slot = db.lookupReadSlotNoTouch(argv[1]!);
  if (slot < 0) {
    client.reply.integer(-2);
    return;
  }
  const expireAt = db.expireAtOf(slot);
  if (expireAt === -1) {
    client.reply.integer(-1);
    return;
  }
  let ttl = outputAbsolute ? expireAt : expireAt - Date.now();
  if (ttl < 0) ttl = 0;
  client.reply.integer(outputMs ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(client: Client, argv: Uint8Array[]): void {
  const key = bytesToKey(argv[1]!);
  const db = client.db;
  if (db.getExpire(key) === -1) {
    client.reply.integer(0);
    return;
  }
  db.setExpire(key, -1);
  keyChanged(client, NOTIFY_GENERIC, "persist", key);
  client.reply.integer(1);
}

// ---- DUMP / RESTORE ------------------------------------------------------------------

function dump(client: Client, argv: Uint8Array[]): void {
  const value = client.db.lookupRead(bytesToKey(argv[1]!));
  if (value === undefined) {
    client.reply.nullBulk();
    return;
  }
  const persistence = client.server.persistence;
  client.reply.bulk(createDumpPayload(persistence.valueEncoder.encode(value, persistence.encodeOptions())));
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restore(client: Client, argv: Uint8Array[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let i = 4; i < argv.length; i++) {
    const option = argLower(argv[i]!);
    const more = argv.length - i - 1;
    if (option === "replace") replace = true;
    else if (option === "absttl") absttl = true;
    else if (option === "idletime" && more >= 1 && freq === -1) {
      const n = parseInteger(argv[++i]!);
      if (n === null) return replyError(client, errors.NOT_INTEGER);
      if (n < 0) return replyError(client, "ERR Invalid IDLETIME value, must be >= 0");
      idle = Number(n);
    } else if (option === "freq" && more >= 1 && idle === -1) {
      const n = parseInteger(argv[++i]!);
      if (n === null) return replyError(client, errors.NOT_INTEGER);
      if (n < 0 || n > 255) return replyError(client, "ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = Number(n);
    } else return replyError(client, errors.SYNTAX_ERROR);
  }
  const db = client.db;
  const key = bytesToKey(argv[1]!);
  if (!replace && db.has(key)) return replyError(client, "BUSYKEY Target key name already exists.");
  const ttlRaw = parseInteger(argv[2]!);
  if (ttlRaw === null) return replyError(client, errors.NOT_INTEGER);
  if (ttlRaw < 0) return replyError(client, "ERR Invalid TTL value, must be >= 0");
  let value: RedisValue;
  try {
    const { type, payload } = parseDumpPayload(argv[3]!, client.server.persistence.skipChecksumValidation);
    const persistence = client.server.persistence;
    value = persistence.valueDecoder.decode(type, payload, persistence.loadLimits());
  } catch (error) {
    if ((error as Error).name === "DumpPayloadError") return replyError(client, "ERR DUMP payload version or checksum are wrong");
    return replyError(client, "ERR Bad data format");
  }
  const deleted = replace ? db.dbDelete(key) : false;
  let ttl = Number(ttlRaw);
  if (ttl > 0 && !absttl) ttl += Date.now();
  if (ttl > 0 && ttl <= Date.now() && !client.server.loading) {
    // Already expired: nothing is created (the old key, if replaced, is gone: replicated as DEL).
    if (deleted) {
      keyChanged(client, NOTIFY_GENERIC, "del", key);
      propagateAs(client, () => [SHARED.del, argv[1]!]);
    }
    client.reply.ok();
    return;
  }
  const slot = db.add(key, value, ttl > 0 ? ttl : -1);
  if (idle >= 0) db.setIdleSeconds(slot, idle);
  if (freq >= 0) db.setFreq(slot, freq);
  keyChanged(client, NOTIFY_GENERIC, "restore", key);
  // A relative TTL is replicated as an absolute one: RESTORE key <ms> payload ... ABSTTL.
  if (ttl > 0 && !absttl) {
    propagateAs(client, () => {
      const rewritten = argv.slice();
      rewritten[2] = integerBytes(ttl);
      rewritten.push(SHARED.absttl);
      return rewritten;
    });
  }
  client.reply.ok();
}

// ---- OBJECT --------------------------------------------------------------------------

const LFU_POLICIES = new Set(["allkeys-lfu", "volatile-lfu"]);

/** objectCommandLookup: counted as a read, without a keymiss event, leaving the access clock alone. */
function objectLookup(client: Client, argv: Uint8Array[]): number {
  return client.db.lookupReadSlotNoTouch(argv[2]!, false);
}

function objectEncoding(client: Client, argv: Uint8Array[]): void {
  const slot = objectLookup(client, argv);
  if (slot < 0) client.reply.nullBulk();
  else client.reply.bulkText(valueEncoding(client.db.valueAt(slot)));
}

function objectRefcount(client: Client, argv: Uint8Array[]): void {
  const slot = objectLookup(client, argv);
  if (slot < 0) {
    client.reply.nullBulk();
    return;
  }
  const value = client.db.valueAt(slot);
  // Redis shares the integers 0..9999 (refcount INT_MAX) unless an LRU/LFU maxmemory policy is set.
  const policy = client.server.config.getString("maxmemory-policy");
  const sharing = client.server.config.getNumber("maxmemory") === 0 || !(policy.includes("lru") || policy.includes("lfu"));
  if (sharing && value instanceof Uint8Array && valueEncoding(value) === "int") {
    const n = parseInteger(value);
    if (typeof n === "number" && n >= 0 && n < 10000) {
      client.reply.integer(2147483647);
      return;
    }
  }
  client.reply.integer(1);
}

function objectIdletime(client: Client, argv: Uint8Array[]): void {
  const slot = objectLookup(client, argv);
  if (slot < 0) {
    client.reply.nullBulk();
    return;
  }
  if (LFU_POLICIES.has(client.server.config.getString("maxmemory-policy"))) {
    replyError(
      client,
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  client.reply.integer(client.db.idleSecondsOf(slot));
}

function objectFreq(client: Client, argv: Uint8Array[]): void {
  const slot = objectLookup(client, argv);
  if (slot < 0) {
    client.reply.nullBulk();
    return;
  }
  if (!LFU_POLICIES.has(client.server.config.getString("maxmemory-policy"))) {
    replyError(
      client,
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  client.reply.integer(client.db.freqOf(slot));
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

/** Replies a HELP text as Redis's addReplyHelp does: status lines. */
export function replyHelp(client: Client, lines: string[]): void {
  client.reply.arrayHeader(lines.length);
  for (const line of lines) client.reply.simple(line);
}

const G = { categories: ["keyspace"], group: "generic" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };
const allKeys = { firstKey: 1, lastKey: -1, keyStep: 1 };
const objectKey = { firstKey: 2, lastKey: 2, keyStep: 1 };

export const keyCommands: CommandSpec[] = [
  { name: "del", arity: -2, flags: ["write"], ...allKeys, ...G, since: "1.0.0", summary: "Delete a key", complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: delGeneric },
  { name: "unlink", arity: -2, flags: ["write", "fast"], ...allKeys, ...G, since: "4.0.0", summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: delGeneric },
  { name: "exists", arity: -2, flags: ["readonly", "fast"], ...allKeys, ...G, since: "1.0.0", summary: "Determine if a key exists", complexity: "O(N) where N is the number of keys to check.", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: exists },
  { name: "touch", arity: -2, flags: ["readonly", "fast"], ...allKeys, ...G, since: "3.2.1", summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", complexity: "O(N) where N is the number of keys that will be touched.", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], handler: touch },
  { name: "type", arity: 2, flags: ["readonly", "fast"], ...single, ...G, since: "1.0.0", summary: "Determine the type stored at key", complexity: "O(1)", handler: type },
  { name: "rename", arity: 3, flags: ["write"], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: "1.0.0", summary: "Rename a key", complexity: "O(1)", handler: (c, a) => renameGeneric(c, a, false) },
  { name: "renamenx", arity: 3, flags: ["write", "fast"], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: "1.0.0", summary: "Rename a key, only if the new key does not exist", complexity: "O(1)", handler: (c, a) => renameGeneric(c, a, true) },
  { name: "move", arity: 3, flags: ["write", "fast"], ...single, ...G, since: "1.0.0", summary: "Move a key to another database", complexity: "O(1)", handler: move },
  { name: "copy", arity: -3, flags: ["write", "denyoom"], firstKey: 1, lastKey: 2, keyStep: 1, ...G, since: "6.2.0", summary: "Copy a key", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", handler: copy },
  keyless({ name: "randomkey", arity: 1, flags: ["readonly"], ...G, since: "1.0.0", summary: "Return a random key from the keyspace", complexity: "O(1)", tips: ["request_policy:all_shards", "nondeterministic_output"], touchesArbitraryKeys: true, handler: randomkey }),
  keyless({ name: "keys", arity: 2, flags: ["readonly"], ...G, categories: ["keyspace", "dangerous"], since: "1.0.0", summary: "Find all keys matching the given pattern", complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", tips: ["request_policy:all_shards", "nondeterministic_output_order"], handler: keys }),
  keyless({ name: "scan", arity: -2, flags: ["readonly"], ...G, since: "2.8.0", summary: "Incrementally iterate the keys space", complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", tips: ["nondeterministic_output", "request_policy:special"], touchesArbitraryKeys: true, handler: scan }),
  keyless({ name: "dbsize", arity: 1, flags: ["readonly", "fast"], ...G, group: "server", since: "1.0.0", summary: "Return the number of keys in the selected database", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:agg_sum"], handler: dbsize }),
  keyless({ name: "flushdb", arity: -1, flags: ["write"], ...G, categories: ["keyspace", "dangerous"], group: "server", since: "1.0.0", summary: "Remove all keys from the current database", complexity: "O(N) where N is the number of keys in the selected database", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: flushdb }),
  keyless({ name: "swapdb", arity: 3, flags: ["write", "fast"], ...G, categories: ["keyspace", "dangerous"], group: "server", since: "4.0.0", summary: "Swaps two Redis databases", complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", handler: swapdb }),
  { name: "expire", arity: -3, flags: ["write", "fast"], ...single, ...G, since: "1.0.0", summary: "Set a key's time to live in seconds", complexity: "O(1)", handler: (c, a) => expireGeneric(c, a, 1000, false) },
  { name: "pexpire", arity: -3, flags: ["write", "fast"], ...single, ...G, since: "2.6.0", summary: "Set a key's time to live in milliseconds", complexity: "O(1)", handler: (c, a) => expireGeneric(c, a, 1, false) },
  { name: "expireat", arity: -3, flags: ["write", "fast"], ...single, ...G, since: "1.2.0", summary: "Set the expiration for a key as a UNIX timestamp", complexity: "O(1)", handler: (c, a) => expireGeneric(c, a, 1000, true) },
  { name: "pexpireat", arity: -3, flags: ["write", "fast"], ...single, ...G, since: "2.6.0", summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", complexity: "O(1)", handler: (c, a) => expireGeneric(c, a, 1, true) },
  { name: "ttl", arity: 2, flags: ["readonly", "fast"], ...single, ...G, since: "1.0.0", summary: "Get the time to live for a key in seconds", complexity: "O(1)", tips: ["nondeterministic_output"], handler: (c, a) => ttlGeneric(c, a, false, false) },
  { name: "pttl", arity: 2, flags: ["readonly", "fast"], ...single, ...G, since: "2.6.0", summary: "Get the time to live for a key in milliseconds", complexity: "O(1)", tips: ["nondeterministic_output"], handler: (c, a) => ttlGeneric(c, a, true, false) },
  { name: "expiretime", arity: 2, flags: ["readonly", "fast"], ...single, ...G, since: "7.0.0", summary: "Get the expiration Unix timestamp for a key", complexity: "O(1)", handler: (c, a) => ttlGeneric(c, a, false, true) },
  { name: "pexpiretime", arity: 2, flags: ["readonly", "fast"], ...single, ...G, since: "7.0.0", summary: "Get the expiration Unix timestamp for a key in milliseconds", complexity: "O(1)", handler: (c, a) => ttlGeneric(c, a, true, true) },
  { name: "dump", arity: 2, flags: ["readonly"], ...single, ...G, since: "2.6.0", summary: "Return a serialized version of the value stored at the specified key.", complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", tips: ["nondeterministic_output"], handler: dump },
  { name: "restore", arity: -4, flags: ["write", "denyoom"], ...single, ...G, categories: ["keyspace", "dangerous"], since: "2.6.0", summary: "Create a key using the provided serialized value, previously obtained using DUMP.", complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", handler: restore },
  { name: "persist", arity: 2, flags: ["write", "fast"], ...single, ...G, since: "2.2.0", summary: "Remove the expiration from a key", complexity: "O(1)", handler: persist },
  keyless({
    name: "object", arity: -2, flags: [], ...G, categories: [], since: "2.2.3", summary: "A container for object introspection commands", complexity: "Depends on subcommand.",
    subcommands: [
      { name: "encoding", arity: 3, flags: ["readonly"], ...objectKey, ...G, since: "2.2.3", summary: "Inspect the internal encoding of a Redis object", complexity: "O(1)", tips: ["nondeterministic_output"], handler: objectEncoding },
      { name: "refcount", arity: 3, flags: ["readonly"], ...objectKey, ...G, since: "2.2.3", summary: "Get the number of references to the value of the key", complexity: "O(1)", tips: ["nondeterministic_output"], handler: objectRefcount },
      { name: "idletime", arity: 3, flags: ["readonly"], ...objectKey, ...G, since: "2.2.3", summary: "Get the time since a Redis object was last accessed", complexity: "O(1)", tips: ["nondeterministic_output"], handler: objectIdletime },
      { name: "freq", arity: 3, flags: ["readonly"], ...objectKey, ...G, since: "4.0.0", summary: "Get the logarithmic access frequency counter of a Redis object", complexity: "O(1)", tips: ["nondeterministic_output"], handler: objectFreq },
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...G, since: "6.2.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, OBJECT_HELP) }),
    ],
  }),
];
