// Shared by the RDB encoder/decoder/interop/fuzz tests: plain descriptions of
// values (so expect().toEqual shows readable diffs), dataset builders, and
// helpers that write and read whole files in memory.

import type { RedisValue } from "../../src/db/types.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisStream, type StreamId } from "../../src/db/stream.ts";
import { bytesToKey } from "../../src/db/bytes.ts";
import {
  DEFAULT_ENCODE_OPTIONS,
  RdbEncoder,
  ValueEncoder,
  type EncodedValue,
  type RdbEncodeOptions,
  type RdbEncoderOptions,
} from "../../src/persistence/rdb/encoder.ts";
import {
  DEFAULT_LOAD_LIMITS,
  RdbDecoder,
  ValueDecoder,
  type RdbDecoderOptions,
  type RdbLoadLimits,
  type RdbLoadSummary,
} from "../../src/persistence/rdb/decoder.ts";
import { createDumpPayload } from "../../src/persistence/rdb/dump.ts";

// The stand-alone codecs as the server uses them: one encoder and one decoder, reused
// from call to call (the tests run one at a time), so reuse is exercised too.
export const valueEncoder = new ValueEncoder();
export const valueDecoder = new ValueDecoder();

/** ValueEncoder.encode with the shared test encoder. */
export function encodeValue(value: RedisValue, options: RdbEncodeOptions): EncodedValue {
  return valueEncoder.encode(value, options);
}

/** ValueDecoder.decode with the shared test decoder. */
export function decodeValue(type: number, payload: Uint8Array, limits: RdbLoadLimits = DEFAULT_LOAD_LIMITS): RedisValue {
  return valueDecoder.decode(type, payload, limits);
}

/** DUMP's reply for a value. */
export function dumpPayload(value: RedisValue, options: RdbEncodeOptions): Uint8Array {
  return createDumpPayload(encodeValue(value, options));
}

export function b(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

export function s(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

function idText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** A comparable, printable form of a value, including its encoding. */
export function describe(value: RedisValue): unknown {
  if (value instanceof Uint8Array) return { string: s(value) };
  switch (value.type) {
    case "list":
      return { list: Array.from(value, s) };
    case "set":
      return { set: value.orderedMembers().sort(), encoding: value.encoding };
    case "hash": {
      // A listpack's order is part of the value (HGETALL shows it); a hashtable's is arbitrary.
      const fields: string[][] = [];
      value.forEach((f, v) => fields.push([f, s(v)]));
      if (value.encoding === "hashtable") fields.sort((x, y) => (x[0]! < y[0]! ? -1 : 1));
      return { hash: fields, encoding: value.encoding };
    }
    case "zset":
      return { zset: Array.from(value, ([m, sc]) => [m, sc]), encoding: value.encoding };
    case "stream":
      return {
        stream: Array.from(value, (e) => [idText(e.id), e.fields.map(s)]),
        lastId: idText(value.lastId),
        firstId: value.firstId() === undefined ? null : idText(value.firstId()!),
        maxDeletedId: idText(value.maxDeletedId),
        entriesAdded: String(value.entriesAdded),
        groups: [...value.groups.values()].map((g) => ({
          name: g.name,
          lastId: idText(g.lastId),
          entriesRead: g.entriesRead,
          pending: [...g.pending.values()]
            .map((p) => [idText(p.id), p.consumer, p.deliveryTime, p.deliveryCount])
            .sort(),
          consumers: [...g.consumers.values()]
            .map((c) => ({ name: c.name, seenTime: c.seenTime, pending: [...c.pending.values()].map((p) => idText(p.id)).sort() }))
            .sort((x, y) => (x.name < y.name ? -1 : 1)),
        })),
      };
  }
}

/** Same as describe() but without encodings (for comparing across servers that may choose differently). */
export function describeContent(value: RedisValue): unknown {
  const described = describe(value) as Record<string, unknown>;
  const { encoding: _ignored, ...rest } = described;
  if ("hash" in rest) rest.hash = (rest.hash as [string, string][]).slice().sort();
  return rest;
}

export interface KeySpec {
  db: number;
  key: string;
  value: RedisValue;
  expireAtMs?: number;
  idleSeconds?: number;
  freq?: number;
}

/** Writes keys (grouped by db in order) to an in-memory RDB file. */
export function encodeFile(
  keys: KeySpec[],
  options: Partial<RdbEncoderOptions> = {},
  onChunk?: (chunk: Uint8Array) => void,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const encoder = new RdbEncoder(
    (chunk) => {
      chunks.push(chunk);
      onChunk?.(chunk);
    },
    { ...DEFAULT_ENCODE_OPTIONS, checksum: true, ...options },
  );
  encoder.writeHeader({ redisVer: "7.0.15", ctime: 1700000000, usedMem: 1000000, aofBase: false });
  const dbs = [...new Set(keys.map((k) => k.db))].sort((x, y) => x - y);
  for (const db of dbs) {
    const inDb = keys.filter((k) => k.db === db);
    encoder.selectDb(db, inDb.length, inDb.filter((k) => k.expireAtMs !== undefined).length);
    for (const k of inDb) {
      const lru = k.idleSeconds !== undefined || k.freq !== undefined ? { idleSeconds: k.idleSeconds, freq: k.freq } : undefined;
      encoder.writeKey(b(k.key), k.value, k.expireAtMs, lru);
    }
  }
  encoder.finish();
  // A plain Uint8Array: Buffer#slice would alias instead of copying, which tests that mutate copies rely on.
  return new Uint8Array(Buffer.concat(chunks));
}

export interface LoadedKey {
  db: number;
  key: string;
  value: RedisValue;
  expireAtMs: number | undefined;
  idleSeconds: number | undefined;
  freq: number | undefined;
}

export interface LoadedFile {
  keys: LoadedKey[];
  aux: Map<string, string>;
  summary: RdbLoadSummary;
  functions: string[];
  emptySkipped: string[];
}

/** Loads a file from bytes with a handler that records everything. */
export async function loadBytes(bytes: Uint8Array, options: Partial<RdbDecoderOptions> = {}, acceptFunctions = false): Promise<LoadedFile> {
  const keys: LoadedKey[] = [];
  const aux = new Map<string, string>();
  const functions: string[] = [];
  const emptySkipped: string[] = [];
  const seen = new Set<string>();
  const summary = await RdbDecoder.fromBytes(bytes, { ...DEFAULT_LOAD_LIMITS, ...options }).load({
    onAux: (name, value) => aux.set(name, s(value)),
    onKey: (db, key, value, expireAtMs, idleSeconds, freq) => {
      const id = `${db}:${bytesToKey(key)}`;
      if (seen.has(id)) return false;
      seen.add(id);
      keys.push({ db, key: s(key), value, expireAtMs, idleSeconds, freq });
      return true;
    },
    onEmptyKeySkipped: (db, key) => emptySkipped.push(`${db}:${s(key)}`),
    onFunction: acceptFunctions ? (code) => functions.push(s(code)) : undefined,
  });
  return { keys, aux, summary, functions, emptySkipped };
}

export function keyMap(loaded: LoadedFile): Map<string, LoadedKey> {
  return new Map(loaded.keys.map((k) => [`${k.db}:${k.key}`, k]));
}

// ---------------------------------------------------------------------------
// A dataset with every type and encoding

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

export function randomBytes(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export function buildStream(): RedisStream {
  const stream = new RedisStream();
  for (let i = 1; i <= 250; i++) {
    const fields = i % 7 === 0 ? [b("other"), b(`x${i}`), b("more"), b(String(i))] : [b("field"), b(`value-${i}`)];
    stream.appendEntry({ ms: 1000n + BigInt(Math.floor(i / 3)), seq: BigInt(i % 3) }, fields);
  }
  stream.delete({ ms: 1001n, seq: 1n });
  const group = stream.createGroup("group-a", { ms: 1010n, seq: 0n }, 30)!;
  const alice = stream.createConsumer(group, "alice", 1700000000123)!;
  const bob = stream.createConsumer(group, "bob", 1700000000456)!;
  stream.createConsumer(group, "idle-carol", 1700000000789);
  stream.deliverPending(group, alice, { ms: 1002n, seq: 0n }, 1700000001000);
  stream.deliverPending(group, alice, { ms: 1003n, seq: 2n }, 1700000002000);
  stream.deliverPending(group, bob, { ms: 1004n, seq: 1n }, 1700000003000).deliveryCount = 5;
  stream.createGroup("group-b", { ms: 0n, seq: 0n }, -1);
  return stream;
}

/** Keys covering every type and encoding Redis 7.0 writes, small and large. */
export function fullDataset(): KeySpec[] {
  const random = seededRandom(42);
  const keys: KeySpec[] = [];
  const add = (key: string, value: RedisValue, extra: Partial<KeySpec> = {}) => keys.push({ db: 0, key, value, ...extra });
  add("str:empty", b(""));
  add("str:hello", b("hello"));
  for (const n of ["0", "-1", "127", "128", "-128", "-129", "32767", "32768", "-32768", "-32769", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808", "12345678901"]) {
    add(`str:int:${n}`, b(n));
  }
  for (const n of ["007", "+1", "-0", " 1", "1 ", "0x10", "1e3"]) add(`str:notint:${n}`, b(n));
  add("str:binary", randomBytes(random, 300));
  add("str:lzf", b("a".repeat(100)));
  add("str:lzf-text", b("the quick brown fox jumps over the lazy dog ".repeat(50)));
  add("str:big", b("0123456789abcdef".repeat(20000)));
  add("str:expiring", b("soon"), { expireAtMs: 4102444800000 });
  add("str:past-expiry", b("gone"), { expireAtMs: 1000 });
  add("list:small", RedisList.fromValues(["a", "b", "1", "-5", "300", ""].map(b)));
  add("list:long", RedisList.fromValues(Array.from({ length: 5000 }, (_, i) => b(`element-${i}-${"z".repeat(i % 13)}`))));
  add("list:bigvalues", RedisList.fromValues(Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? b("v".repeat(9000 + i)) : b(String(i))))));
  add("list:binary", RedisList.fromValues(Array.from({ length: 50 }, () => randomBytes(random, 40))));
  add("set:intset", RedisSet.fromMembers(["1", "2", "3", "-32768", "70000", "-9223372036854775808", "9223372036854775807"]));
  add("set:hashtable", RedisSet.fromMembers(["x", "y", "1", "\u00ff\u0000bin"]));
  const bigIntset = RedisSet.fromMembers(Array.from({ length: 600 }, (_, i) => String(i * 3)));
  bigIntset.convertIfNeeded(512);
  add("set:many-ints", bigIntset);
  add("hash:listpack", RedisHash.fromEntries([["f1", b("v1")], ["f2", b("2")], ["empty", b("")], ["neg", b("-100000")]]));
  const bigHash = RedisHash.fromEntries(Array.from({ length: 600 }, (_, i) => [`field:${i}`, b(`value:${i}`)] as const));
  bigHash.convertIfNeeded(512, 64);
  add("hash:hashtable", bigHash);
  const longValueHash = RedisHash.fromEntries([["f", b("x".repeat(100))]]);
  longValueHash.convertIfNeeded(512, 64);
  add("hash:long-value", longValueHash);
  add("zset:listpack", RedisZSet.fromEntries([["a", 1], ["b", 2.5], ["c", -3], ["d", 1e20], ["e", Infinity], ["f", -Infinity], ["g", 0.1]]));
  const bigZset = RedisZSet.fromEntries(Array.from({ length: 400 }, (_, i) => [`member:${i}`, (i * 7919) % 1000 / 7] as const));
  bigZset.convertIfNeeded(128, 64);
  add("zset:skiplist", bigZset);
  add("stream", buildStream(), { expireAtMs: 4102444800000 });
  const empty = new RedisStream();
  empty.appendEntry({ ms: 5n, seq: 5n }, [b("a"), b("b")]);
  empty.delete({ ms: 5n, seq: 5n });
  empty.createGroup("g", { ms: 5n, seq: 5n }, 1);
  add("stream:emptied", empty);
  keys.push({ db: 3, key: "str:db3", value: b("in db 3") });
  keys.push({ db: 3, key: "list:db3", value: RedisList.fromValues([b("x")]), expireAtMs: 4102444800999 });
  keys.push({ db: 15, key: "str:db15", value: b("last db") });
  return keys;
}
