// HyperLogLog commands (Redis's hyperloglog.c): PFADD, PFCOUNT, PFMERGE. The
// representation, estimator and sparse editor are in ../db/hyperloglog.ts, which
// never mutates its inputs: every change here stores a new value with setKey.
//
// An HLL is a string, and Redis "unshares" it (dbUnshareStringValue) whenever one of
// these commands writes or may write it, so OBJECT ENCODING reports "raw" afterwards
// even for a short sparse value. PFADD opens its key with `db.lookupWrite*` (no
// hit/miss stats, as lookupKeyWrite); every command reports a change with keyChanged
// only when the value really changed, as Redis signals the key only then.
//
// PFDEBUG shows and converts the representation (GETREG, DECODE, ENCODING, TODENSE);
// PFSELFTEST checks it (../db/hyperloglog.ts hllSelfTest).

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import type { RedisValue } from "../db/types.ts";
import { bytesToKey } from "../db/bytes.ts";
import { keyChanged, keyChangedUnwatched, replyError, wrongType } from "./context.ts";
import { NO_EVENT, NOTIFY_STRING } from "../notify.ts";
import { markRaw } from "../db/string-encoding.ts";
import {
  HllError,
  hllAdd,
  hllCount,
  hllCountUnion,
  hllCreateSparse,
  hllDecodeSparse,
  hllEncoding,
  hllIsValid,
  hllMerge,
  hllRegisters,
  hllSelfTest,
  hllToDense,
  HLL_INVALID_ERR,
  HLL_WRONGTYPE_ERR,
} from "../db/hyperloglog.ts";

function sparseMaxBytes(client: Client): number {
  return client.server.config.getNumber("hll-sparse-max-bytes");
}

/** Replies an HllError (its message carries the RESP '-'); rethrows anything else. */
function replyHllError(client: Client, error: unknown): void {
  if (!(error instanceof HllError)) throw error;
  replyError(client, error.message.startsWith("-") ? error.message.slice(1) : error.message);
}

/**
 * The values of keys read in argument order (PFCOUNT with several keys, PFMERGE):
 * the strings of the keys that exist, up to the first value that is not a string
 * (`wrongTypeAt` then set).
 *
 * Redis checks each key and then merges its registers before looking at the next,
 * so a corrupted HLL is reported before a later key's WRONGTYPE. Callers therefore
 * merge (which validates in order) the strings before answering WRONGTYPE.
 */
function hllValuesInOrder(values: Array<RedisValue | undefined>): { strings: Uint8Array[]; wrongTypeAt: boolean } {
  const strings: Uint8Array[] = [];
  for (const value of values) {
    if (value === undefined) continue;
    if (!(value instanceof Uint8Array)) return { strings, wrongTypeAt: true };
    strings.push(value);
  }
  return { strings, wrongTypeAt: false };
}

/** isHLLObjectOrReply: a string holding a well-formed HLL header, or the WRONGTYPE reply sent. */
function isHllObjectOrReply(client: Client, value: RedisValue): value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    wrongType(client);
    return false;
  }
  if (!hllIsValid(value)) {
    replyError(client, HLL_WRONGTYPE_ERR.slice(1));
    return false;
  }
  return true;
}

// ---- PFADD ---------------------------------------------------------------------------

function pfadd(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const key = bytesToKey(argv[1]!);
  const slot = db.lookupWriteSlot(key);
  const value = slot < 0 ? undefined : db.valueAt(slot);
  let current: Uint8Array;
  let created = false;
  if (value === undefined) {
    current = markRaw(hllCreateSparse());
    created = true;
    db.add(key, current);
  } else {
    if (!isHllObjectOrReply(client, value)) return;
    // Redis's dbUnshareStringValue: the string is raw from here on, changed or not.
    current = db.unshareString(slot);
  }
  let result: ReturnType<typeof hllAdd>;
  try {
    result = hllAdd(current, argv.slice(2), sparseMaxBytes(client));
  } catch (error) {
    // Redis edits in place: registers raised before the corruption was met stay set,
    // although nothing is signalled or counted.
    if (error instanceof HllError && error.partialValue !== undefined) {
      db.setKey(key, markRaw(error.partialValue), true);
    }
    replyHllError(client, error);
    return;
  }
  if (result.changed) {
    db.setKey(key, markRaw(result.value), true);
  }
  const updates = result.updatedElements + (created ? 1 : 0);
  if (updates > 0) keyChanged(client, NOTIFY_STRING, "pfadd", key, updates);
  client.reply.integer(updates > 0 ? 1 : 0);
}

// ---- PFCOUNT ---------------------------------------------------------------------------

function pfcount(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  if (argv.length > 2) {
    const values: Array<RedisValue | undefined> = [];
    for (let i = 1; i < argv.length; i++) values.push(db.lookupRead(bytesToKey(argv[i]!)));
    const { strings, wrongTypeAt } = hllValuesInOrder(values);
    let count: number | bigint;
    try {
      count = hllCountUnion(strings);
    } catch (error) {
      replyHllError(client, error);
      return;
    }
    if (wrongTypeAt) wrongType(client);
    else client.reply.integer(count);
    return;
  }
  const key = bytesToKey(argv[1]!);
  const value = db.lookupRead(key);
  if (value === undefined) {
    client.reply.integer(0);
    return;
  }
  if (!isHllObjectOrReply(client, value)) return;
  db.unshareString(db.find(key));
  let result: ReturnType<typeof hllCount>;
  try {
    result = hllCount([value]);
  } catch (error) {
    replyHllError(client, error);
    return;
  }
  if (result.updatedCache !== undefined) {
    // The cached cardinality is part of the value: writing it back is a change Redis
    // propagates (dirty++, key signalled) though it sends no keyspace event.
    db.setKey(key, markRaw(result.updatedCache), true);
    keyChanged(client, NO_EVENT, "", key);
  }
  client.reply.integer(result.count);
}

// ---- PFMERGE ---------------------------------------------------------------------------

function pfmerge(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  // Redis reads every key, the destination first, with lookupKeyRead.
  const values: Array<RedisValue | undefined> = [];
  for (let i = 1; i < argv.length; i++) values.push(db.lookupRead(bytesToKey(argv[i]!)));
  const { strings, wrongTypeAt } = hllValuesInOrder(values);
  if (wrongTypeAt) {
    try {
      hllCountUnion(strings);
    } catch (error) {
      replyHllError(client, error);
      return;
    }
    wrongType(client);
    return;
  }
  const key = bytesToKey(argv[1]!);
  const destination = values[0] as Uint8Array | undefined;
  const sources: Uint8Array[] = [];
  for (let i = 1; i < values.length; i++) {
    const value = values[i];
    if (value !== undefined) sources.push(value as Uint8Array);
  }
  let merged: Uint8Array;
  try {
    merged = hllMerge(destination, sources, sparseMaxBytes(client));
  } catch (error) {
    replyHllError(client, error);
    return;
  }
  const stored = markRaw(merged);
  if (destination === undefined) db.add(key, stored);
  else db.setKey(key, stored, true);
  keyChanged(client, NOTIFY_STRING, "pfadd", key);
  client.reply.ok();
}

// ---- PFDEBUG / PFSELFTEST ------------------------------------------------------------------

/**
 * PFDEBUG <subcommand> <key>. The key is opened for writing and unshared (it is raw from
 * then on, whatever the subcommand); a sparse value made dense (GETREG, TODENSE) counts a
 * change, so the command propagates, but is not signalled, as in Redis.
 */
function pfdebug(client: Client, argv: Uint8Array[]): void {
  const db = client.db;
  const key = bytesToKey(argv[2]!);
  const slot = db.lookupWriteSlot(key);
  if (slot < 0) {
    replyError(client, "ERR The specified key does not exist");
    return;
  }
  const value = db.valueAt(slot);
  if (!isHllObjectOrReply(client, value)) return;
  const current = db.unshareString(slot);
  const sub = bytesToKey(argv[1]!);
  /** The dense value, stored when it was sparse; null (and the error replied) when corrupt. */
  const makeDense = (): Uint8Array | null => {
    if (hllEncoding(current) === "dense") return current;
    const dense = hllToDense(current);
    if (dense === null) {
      replyError(client, HLL_INVALID_ERR.slice(1));
      return null;
    }
    db.setKey(key, markRaw(dense), true);
    keyChangedUnwatched(client, NOTIFY_STRING, null, key);
    return dense;
  };
  switch (sub.toLowerCase()) {
    case "getreg": {
      const dense = makeDense();
      if (dense === null) return;
      const registers = hllRegisters(dense);
      client.reply.arrayHeader(registers.length);
      for (const register of registers) client.reply.integer(register);
      return;
    }
    case "decode":
      if (hllEncoding(current) !== "sparse") replyError(client, "ERR HLL encoding is not sparse");
      else client.reply.bulkText(hllDecodeSparse(current));
      return;
    case "encoding":
      client.reply.simple(hllEncoding(current));
      return;
    case "todense": {
      const wasSparse = hllEncoding(current) === "sparse";
      if (makeDense() !== null) client.reply.integer(wasSparse ? 1 : 0);
      return;
    }
    default:
      replyError(client, `ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

function pfselftest(client: Client): void {
  const failure = hllSelfTest(sparseMaxBytes(client));
  if (failure === null) client.reply.ok();
  else replyError(client, failure);
}

// ---- declarations ----------------------------------------------------------------------

const H = { categories: ["hyperloglog"], group: "hyperloglog" };

export const hyperloglogCommands: CommandSpec[] = [
  { name: "pfadd", arity: -2, flags: ["write", "denyoom", "fast"], firstKey: 1, lastKey: 1, keyStep: 1, ...H, since: "2.8.9", summary: "Adds the specified elements to the specified HyperLogLog.", complexity: "O(1) to add every element.", handler: pfadd },
  // Flagged read-only as in Redis 7.0, although refreshing the cached cardinality writes the key.
  { name: "pfcount", arity: -2, flags: ["readonly", "may_replicate"], firstKey: 1, lastKey: -1, keyStep: 1, ...H, since: "2.8.9", summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", handler: pfcount },
  { name: "pfdebug", arity: 3, flags: ["write", "denyoom", "admin"], firstKey: 2, lastKey: 2, keyStep: 1, ...H, since: "2.8.9", summary: "Internal commands for debugging HyperLogLog values", complexity: "N/A", handler: pfdebug },
  { name: "pfselftest", arity: 1, flags: ["admin"], firstKey: 0, lastKey: 0, keyStep: 0, ...H, since: "2.8.9", summary: "An internal command for testing HyperLogLog values", complexity: "N/A", handler: pfselftest },
  { name: "pfmerge", arity: -2, flags: ["write", "denyoom"], firstKey: 1, lastKey: -1, keyStep: 1, ...H, since: "2.8.9", summary: "Merge N different HyperLogLogs into a single one.", complexity: "O(N) to merge N HyperLogLogs, but with high constant times.", handler: pfmerge },
];
