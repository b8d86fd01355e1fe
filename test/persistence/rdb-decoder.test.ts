import { describe as group, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisStream } from "../../src/db/stream.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";
import { DEFAULT_ENCODE_OPTIONS } from "../../src/persistence/rdb/encoder.ts";
import { encodeListpack } from "../../src/db/listpack.ts";
import { encodeIntset } from "../../src/db/intset.ts";
import { parseDumpPayload } from "../../src/persistence/rdb/dump.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder, RdbLoadError, parseScoreText } from "../../src/persistence/rdb/decoder.ts";
import * as rdb from "../../src/persistence/rdb/opcodes.ts";
import { b, decodeValue, describe, encodeFile, encodeValue, fullDataset, keyMap, loadBytes, s, type KeySpec } from "./rdb-codec-helpers.ts";
import { REDIS_DUMPS, buildZiplist, buildZipmap, concat, rdbLength } from "./rdb-primitives-helpers.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;

/** An RDB string: length + bytes. */
function str(text: string | Uint8Array): Uint8Array {
  const bytes = typeof text === "string" ? b(text) : text;
  return concat(rdbLength(bytes.length), bytes);
}

function u8(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

/** A whole file: magic + version, the body, EOF and (version >= 5) the CRC unless `crc` says otherwise. */
function rdbFile(version: number, parts: Uint8Array[], crc: "good" | "zero" | "bad" = "good"): Uint8Array {
  const body = concat(b("REDIS" + String(version).padStart(4, "0")), ...parts, u8(0xff));
  if (version < 5) return body;
  const checksum = new Uint8Array(8);
  const value = crc === "zero" ? 0n : crc64(body) ^ (crc === "bad" ? 1n : 0n);
  new DataView(checksum.buffer).setBigUint64(0, value, true);
  return concat(body, checksum);
}

function keyRecord(type: number, key: string, payload: Uint8Array): Uint8Array {
  return concat(u8(type), str(key), payload);
}

async function loadError(bytes: Uint8Array, options = {}, acceptFunctions = false): Promise<RdbLoadError> {
  try {
    await loadBytes(bytes, options, acceptFunctions);
  } catch (error) {
    expect(error).toBeInstanceOf(RdbLoadError);
    return error as RdbLoadError;
  }
  throw new Error("the load succeeded");
}

group("fixtures from Redis 7.0.15", () => {
  test("sample-7.0.rdb: every key, value, expiry and stream detail", async () => {
    const loaded = await loadBytes(readFileSync(`${FIXTURES}/sample-7.0.rdb`));
    expect(loaded.summary).toEqual({ version: 10, bytesRead: 353, keysLoaded: 6, emptyKeysSkipped: 0, checksum: "verified" });
    expect([...loaded.aux]).toEqual([
      ["redis-ver", "7.0.15"],
      ["redis-bits", "64"],
      ["ctime", "1795493277"],
      ["used-mem", "1215992"],
      ["aof-base", "0"],
    ]);
    expect(loaded.keys.map((k) => k.key)).toEqual(["zset", "hash", "set", "strm", "str", "list"]);
    const keys = keyMap(loaded);
    expect(describe(keys.get("0:zset")!.value)).toEqual({ zset: [["a", 1], ["b", 2.5]], encoding: "listpack" });
    expect(describe(keys.get("0:hash")!.value)).toEqual({ hash: [["f1", "v1"], ["f2", "2"]], encoding: "listpack" });
    expect(describe(keys.get("0:set")!.value)).toEqual({ set: ["1", "2", "3"], encoding: "intset" });
    expect(describe(keys.get("0:str")!.value)).toEqual({ string: "hello" });
    expect(keys.get("0:str")!.expireAtMs).toBe(4102444800000);
    expect(describe(keys.get("0:list")!.value)).toEqual({ list: ["a", "b", "1"] });
    expect(describe(keys.get("0:strm")!.value)).toEqual({
      stream: [["1-1", ["f", "v"]], ["1-2", ["f2", "v2"]]],
      lastId: "1-2",
      firstId: "1-1",
      maxDeletedId: "0-0",
      entriesAdded: "2",
      groups: [
        {
          name: "g",
          lastId: "1-1",
          entriesRead: 1,
          pending: [["1-1", "c", 1795493277491, 1]],
          consumers: [{ name: "c", seenTime: 1795493277491, pending: ["1-1"] }],
        },
      ],
    });
    for (const k of loaded.keys) if (k.key !== "str") expect(k.expireAtMs).toBeUndefined();
  });

  test("sample-7.0-encodings.rdb is refused for its function library unless a handler takes it", async () => {
    const bytes = readFileSync(`${FIXTURES}/sample-7.0-encodings.rdb`);
    const error = await loadError(bytes);
    expect(error.message).toBe("RDB file contains a function library ('mylib', FUNCTION2), which Bunker cannot load");
    expect(error.offset).toBe(0x9a);

    const loaded = await loadBytes(bytes, {}, true);
    expect(loaded.functions).toEqual(["#!lua name=mylib\nredis.register_function('f1', function() return 1 end)"]);
    expect(loaded.summary.keysLoaded).toBe(9);
    const keys = keyMap(loaded);
    const strings: Record<string, string> = { n32: "100000", neg: "-5", n8: "100", n16: "1000", lzf: "a".repeat(30), big: "12345678901" };
    for (const [key, value] of Object.entries(strings)) expect(describe(keys.get(`0:${key}`)!.value)).toEqual({ string: value });
    expect(keys.get("0:n8")!.expireAtMs).toBe(4102444800000);
    // ZSET_2 with two small members is loaded as a listpack, as Redis 7.0 does.
    expect(describe(keys.get("0:zs")!.value)).toEqual({ zset: [["m", 1.5], ["n", 3]], encoding: "listpack" });
    expect(describe(keys.get("0:hs")!.value)).toEqual({ set: ["1", "x"], encoding: "hashtable" });
    expect(describe(keys.get("0:hh")!.value)).toEqual({ hash: [["f", "v"]], encoding: "listpack" });
  });
});

group("round trips", () => {
  for (const compression of [true, false]) {
    test(`every type and encoding, several databases, expiries (compression ${compression})`, async () => {
      const dataset = fullDataset();
      dataset[0]!.idleSeconds = 12345;
      dataset[1]!.freq = 200;
      const file = encodeFile(dataset, { compression });
      const loaded = await loadBytes(file);
      expect(loaded.summary.keysLoaded).toBe(dataset.length);
      expect(loaded.summary.checksum).toBe("verified");
      expect(loaded.keys.length).toBe(dataset.length);
      for (let i = 0; i < dataset.length; i++) {
        const want = dataset[i]!;
        const got = loaded.keys[i]!;
        expect(`${got.db}:${got.key}`).toBe(`${want.db}:${want.key}`);
        expect(describe(got.value)).toEqual(describe(want.value));
        expect(got.expireAtMs).toBe(want.expireAtMs);
        expect(got.idleSeconds).toBe(want.idleSeconds);
        expect(got.freq).toBe(want.freq);
      }
    });
  }

  test("a file read through a small buffer (refills, direct reads of big strings, CRC across refills)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunker-rdb-"));
    try {
      const dataset = fullDataset();
      const path = join(dir, "dump.rdb");
      writeFileSync(path, encodeFile(dataset, { compression: false }));
      const got: { key: string; value: unknown }[] = [];
      const progress: number[] = [];
      const summary = await RdbDecoder.fromFile(path, { ...DEFAULT_LOAD_LIMITS, readBufferSize: 512, progressIntervalBytes: 4096 }).load({
        onKey: (_db, key, value) => {
          got.push({ key: s(key), value: describe(value) });
        },
        onProgress: async (bytesRead) => {
          progress.push(bytesRead);
          await Bun.sleep(0);
        },
      });
      expect(summary.checksum).toBe("verified");
      expect(got).toEqual(dataset.map((k) => ({ key: k.key, value: describe(k.value) })));
      expect(progress.length).toBeGreaterThanOrEqual(5);
      for (let i = 1; i < progress.length; i++) expect(progress[i]! - progress[i - 1]!).toBeGreaterThanOrEqual(4096);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a corrupt byte in a file read through the buffer is caught by the CRC", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunker-rdb-"));
    try {
      const file = encodeFile(fullDataset(), { compression: false });
      // A byte inside the big string value: the structure stays valid, only the CRC can tell.
      const at = Buffer.from(file).indexOf("0123456789abcdef") + 100_000;
      file[at] = file[at] === 0x30 ? 0x31 : 0x30;
      const path = join(dir, "dump.rdb");
      writeFileSync(path, file);
      const loading = RdbDecoder.fromFile(path, { ...DEFAULT_LOAD_LIMITS, readBufferSize: 1000 }).load({ onKey: () => {} });
      expect(loading).rejects.toThrow(/^Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\.$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("DUMP payloads from Redis decode with decodeValue", () => {
    const hash = parseDumpPayload(REDIS_DUMPS.hashtableLzf);
    expect(describe(decodeValue(hash.type, hash.payload))).toEqual({
      hash: [["field", "a".repeat(100)], ["other", "abc".repeat(9)]],
      encoding: "hashtable",
    });
    const list = parseDumpPayload(REDIS_DUMPS.listLzf);
    expect((decodeValue(list.type, list.payload) as RedisList).length).toBe(28);
    const ints = parseDumpPayload(REDIS_DUMPS.intset64Lzf);
    expect(describe(decodeValue(ints.type, ints.payload))).toEqual({
      set: ["-9223372036854775808", "2147483648", "7", "9223372036854775807"],
      encoding: "intset",
    });
  });
});

group("encodings chosen after loading", () => {
  async function loadOne(type: number, payload: Uint8Array, limits = {}) {
    const loaded = await loadBytes(rdbFile(10, [keyRecord(type, "k", payload)]), limits);
    return describe(loaded.keys[0]!.value) as { encoding?: string; [content: string]: unknown };
  }

  test("hashes: HASH by size and element length, HASH_LISTPACK by count only", async () => {
    const small = concat(rdbLength(2), str("a"), str("1"), str("b"), str("2"));
    expect((await loadOne(rdb.RDB_TYPE_HASH, small)).encoding).toBe("listpack");
    expect((await loadOne(rdb.RDB_TYPE_HASH, small, { hashMaxListpackEntries: 1 })).encoding).toBe("hashtable");
    const longValue = concat(rdbLength(1), str("a"), str("x".repeat(65)));
    expect((await loadOne(rdb.RDB_TYPE_HASH, longValue)).encoding).toBe("hashtable");
    const packedLong = str(encodeListpack([b("a"), b("x".repeat(100))]));
    expect((await loadOne(rdb.RDB_TYPE_HASH_LISTPACK, packedLong)).encoding).toBe("listpack");
    const packedMany = str(encodeListpack(Array.from({ length: 20 }, (_, i) => b(`e${i}`))));
    expect((await loadOne(rdb.RDB_TYPE_HASH_LISTPACK, packedMany, { hashMaxListpackEntries: 9 })).encoding).toBe("hashtable");
  });

  test("sets: intset while all members are integers and few enough", async () => {
    const ints = concat(rdbLength(3), str("1"), str("2"), str("-3"));
    expect(await loadOne(rdb.RDB_TYPE_SET, ints)).toEqual({ set: ["-3", "1", "2"], encoding: "intset" });
    expect((await loadOne(rdb.RDB_TYPE_SET, ints, { setMaxIntsetEntries: 2 })).encoding).toBe("hashtable");
    const mixed = concat(rdbLength(2), str("1"), str("01"));
    expect((await loadOne(rdb.RDB_TYPE_SET, mixed)).encoding).toBe("hashtable");
    const blob = str(encodeIntset([1n, 2n, 3n]));
    expect((await loadOne(rdb.RDB_TYPE_SET_INTSET, blob)).encoding).toBe("intset");
    expect((await loadOne(rdb.RDB_TYPE_SET_INTSET, blob, { setMaxIntsetEntries: 2 })).encoding).toBe("hashtable");
  });

  test("sorted sets: ZSET_2 converts to listpack when small, ZSET_LISTPACK to skiplist when many", async () => {
    const zset2 = concat(rdbLength(2), str("a"), new Uint8Array(new Float64Array([1]).buffer), str("b"), new Uint8Array(new Float64Array([2]).buffer));
    expect(await loadOne(rdb.RDB_TYPE_ZSET_2, zset2)).toEqual({ zset: [["a", 1], ["b", 2]], encoding: "listpack" });
    expect((await loadOne(rdb.RDB_TYPE_ZSET_2, zset2, { zsetMaxListpackEntries: 1 })).encoding).toBe("skiplist");
    expect((await loadOne(rdb.RDB_TYPE_ZSET_2, zset2, { zsetMaxListpackValue: 0 })).encoding).toBe("skiplist");
    const packed = str(encodeListpack([b("a"), 1, b("b"), b("2.5"), b("c"), b("inf")]));
    expect(await loadOne(rdb.RDB_TYPE_ZSET_LISTPACK, packed)).toEqual({ zset: [["a", 1], ["b", 2.5], ["c", Infinity]], encoding: "listpack" });
    expect((await loadOne(rdb.RDB_TYPE_ZSET_LISTPACK, packed, { zsetMaxListpackEntries: 2 })).encoding).toBe("skiplist");
  });
});

group("legacy formats", () => {
  test("RDB v4 has no checksum and may end right after EOF; EXPIRETIME is in seconds", async () => {
    const file = rdbFile(4, [u8(rdb.RDB_OPCODE_EXPIRETIME, 0x10, 0x27, 0, 0), keyRecord(0, "k", str("v"))]);
    expect(file.length).toBe(9 + 1 + 4 + 5 + 1);
    const loaded = await loadBytes(file);
    expect(loaded.summary.checksum).toBe("absent");
    expect(loaded.keys[0]!.expireAtMs).toBe(10_000_000);
    const withTrailer = await loadBytes(concat(file, b("garbage after EOF")));
    expect(withTrailer.keys.length).toBe(1);
    expect((await loadBytes(rdbFile(1, []))).summary.version).toBe(1);
  });

  test("type 1 list, type 3 zset with text scores", async () => {
    const list = keyRecord(rdb.RDB_TYPE_LIST, "l", concat(rdbLength(3), str("a"), u8(0xc0, 0xfb), str("c")));
    const zset = keyRecord(
      rdb.RDB_TYPE_ZSET,
      "z",
      concat(rdbLength(5), str("a"), u8(3), b("1.5"), str("b"), u8(254), str("c"), u8(255), str("d"), u8(3), b("inf"), str("e"), u8(5), b("-1e10")),
    );
    const loaded = await loadBytes(rdbFile(6, [list, zset]));
    const keys = keyMap(loaded);
    expect(describe(keys.get("0:l")!.value)).toEqual({ list: ["a", "-5", "c"] });
    expect(describe(keys.get("0:z")!.value)).toEqual({
      zset: [["c", -Infinity], ["e", -1e10], ["a", 1.5], ["b", Infinity], ["d", Infinity]],
      encoding: "listpack",
    });
    const nan = keyRecord(rdb.RDB_TYPE_ZSET, "z", concat(rdbLength(1), str("a"), u8(253)));
    expect((await loadError(rdbFile(6, [nan]))).message).toBe("Zset with NAN score detected");
  });

  test("ziplist lists, zsets and hashes, zipmap hashes, quicklist v1", async () => {
    const ziplistList = keyRecord(rdb.RDB_TYPE_LIST_ZIPLIST, "zl", str(buildZiplist(["a", "12", "-70000", "x".repeat(70)].map(b))));
    const ziplistZset = keyRecord(rdb.RDB_TYPE_ZSET_ZIPLIST, "zz", str(buildZiplist(["m", "3", "n", "1.25"].map(b))));
    const ziplistHash = keyRecord(rdb.RDB_TYPE_HASH_ZIPLIST, "zh", str(buildZiplist(["f", "v", "n", "7"].map(b))));
    const zipmapHash = keyRecord(rdb.RDB_TYPE_HASH_ZIPMAP, "zm", str(buildZipmap([[b("f1"), b("v1")], [b("f2"), b("x".repeat(300))]])));
    const quicklist = keyRecord(
      rdb.RDB_TYPE_LIST_QUICKLIST,
      "ql",
      concat(rdbLength(2), str(buildZiplist(["a", "b"].map(b))), str(buildZiplist(["1", "c"].map(b)))),
    );
    const loaded = await loadBytes(rdbFile(7, [ziplistList, ziplistZset, ziplistHash, zipmapHash, quicklist]));
    const keys = keyMap(loaded);
    expect(describe(keys.get("0:zl")!.value)).toEqual({ list: ["a", "12", "-70000", "x".repeat(70)] });
    expect(describe(keys.get("0:zz")!.value)).toEqual({ zset: [["n", 1.25], ["m", 3]], encoding: "listpack" });
    expect(describe(keys.get("0:zh")!.value)).toEqual({ hash: [["f", "v"], ["n", "7"]], encoding: "listpack" });
    // A zipmap is checked for element length too: 300 bytes > 64 makes it a hashtable.
    expect(describe(keys.get("0:zm")!.value)).toEqual({ hash: [["f1", "v1"], ["f2", "x".repeat(300)]], encoding: "hashtable" });
    expect(describe(keys.get("0:ql")!.value)).toEqual({ list: ["a", "b", "1", "c"] });
  });

  test("STREAM_LISTPACKS (v1): derived first ID, entries added, and estimated entries_read", async () => {
    const stream = RedisStreamFrom([["1-1", "a"], ["1-2", "b"], ["1-3", "c"]]);
    // Take the v2 nodes and rewrite the tail in the v1 layout.
    const v2 = encodeValue(stream, { ...DEFAULT_ENCODE_OPTIONS, compression: false }).payload;
    const nodeBytes = v2.subarray(0, findStreamNodesEnd(v2));
    const group = (name: string, ms: number, seq: number) => concat(str(name), rdbLength(ms), rdbLength(seq), rdbLength(0), rdbLength(0));
    const v1 = concat(
      nodeBytes,
      rdbLength(3), // length
      rdbLength(1), rdbLength(3), // last id
      rdbLength(4),
      group("before", 0, 0),
      group("first", 1, 1),
      group("middle", 1, 2),
      group("last", 1, 3),
    );
    const loaded = await loadBytes(rdbFile(9, [keyRecord(rdb.RDB_TYPE_STREAM_LISTPACKS, "s", v1)]));
    const value = describe(loaded.keys[0]!.value) as { entriesAdded: string; maxDeletedId: string; groups: { name: string; entriesRead: number }[] };
    expect(value.entriesAdded).toBe("3");
    expect(value.maxDeletedId).toBe("0-0");
    expect(Object.fromEntries(value.groups.map((g) => [g.name, g.entriesRead]))).toEqual({ before: 0, first: 1, middle: -1, last: 3 });
  });

  test("FUNCTION_PRE_GA is converted to the GA payload for onFunction", async () => {
    const record = concat(u8(rdb.RDB_OPCODE_FUNCTION_PRE_GA), str("lib"), str("LUA"), rdbLength(1), str("a description"), str("return 1"));
    const loaded = await loadBytes(rdbFile(10, [record]), {}, true);
    expect(loaded.functions).toEqual(["#!LUA name=lib\nreturn 1"]);
    expect((await loadError(rdbFile(10, [record]))).message).toBe(
      "RDB file contains a function library ('lib', FUNCTION_PRE_GA), which Bunker cannot load",
    );
  });
});

/** Builds a stream from [id, value] pairs with one field "f". */
function RedisStreamFrom(entries: [string, string][]): RedisStream {
  const value = new RedisStream();
  for (const [id, v] of entries) {
    const [ms, seq] = id.split("-");
    value.appendEntry({ ms: BigInt(ms!), seq: BigInt(seq!) }, [b("f"), b(v)]);
  }
  return value;
}

/** Offset just past the node list of a STREAM_LISTPACKS_2 payload written without compression-sensitive data. */
function findStreamNodesEnd(payload: Uint8Array): number {
  let at = 0;
  const length = (): number => {
    const first = payload[at++]!;
    if (first >> 6 === 0) return first & 0x3f;
    if (first >> 6 === 1) return ((first & 0x3f) << 8) | payload[at++]!;
    throw new Error("unexpected length form in test payload");
  };
  const nodes = length();
  for (let i = 0; i < nodes * 2; i++) {
    // The 16-byte master ID, then the listpack. (Not `at += length()`: that reads `at` first.)
    const size = length();
    at += size;
  }
  return at;
}

group("errors", () => {
  test("signature, version, and end of file", async () => {
    expect((await loadError(concat(b("RADIS0010"), u8(0xff)))).message).toBe("Wrong signature trying to load DB from file");
    expect((await loadError(rdbFile(11, []))).message).toBe("Can't handle RDB format version 11");
    expect((await loadError(concat(b("REDIS0000"), u8(0xff)))).message).toBe("Can't handle RDB format version 0");
    expect((await loadError(concat(b("REDISabcd"), u8(0xff)))).message).toBe("Can't handle RDB format version 0");
    expect((await loadError(new Uint8Array(0))).message).toBe("Unexpected EOF reading RDB file");
    expect((await loadError(b("REDIS0010"))).message).toBe("Unexpected EOF reading RDB file");
    const file = rdbFile(10, [keyRecord(0, "k", str("value"))]);
    for (let cut = 9; cut < file.length; cut++) {
      expect((await loadError(file.subarray(0, cut))).message).toBe("Unexpected EOF reading RDB file");
    }
  });

  test("checksum: mismatch text, 0 means disabled, verification can be turned off", async () => {
    const good = rdbFile(10, [keyRecord(0, "k", str("v"))]);
    const expected = crc64(good.subarray(0, good.length - 8));
    const bad = rdbFile(10, [keyRecord(0, "k", str("v"))], "bad");
    expect((await loadError(bad)).message).toBe(
      `Wrong RDB checksum expected: (${expected.toString(16)}) but got (${(expected ^ 1n).toString(16)}). Aborting now.`,
    );
    expect((await loadBytes(rdbFile(10, [keyRecord(0, "k", str("v"))], "zero"))).summary.checksum).toBe("disabled");
    expect((await loadBytes(bad, { verifyChecksum: false })).summary.checksum).toBe("skipped");
    expect((await loadBytes(good)).summary.checksum).toBe("verified");
    // The hand-made REDIS0010 FF 00*8 file from the spec.
    expect((await loadBytes(concat(b("REDIS0010"), u8(0xff), new Uint8Array(8)))).summary.keysLoaded).toBe(0);
  });

  test("modules, 7.2 types and unknown types are named", async () => {
    // Module type "MyModType" with encoding version 3: 9 chars of 6 bits, then 10 bits.
    const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id = 0n;
    for (const c of "MyModType") id = (id << 6n) | BigInt(charset.indexOf(c));
    id = (id << 10n) | 3n;
    const idBytes = new Uint8Array(9);
    idBytes[0] = 0x81;
    new DataView(idBytes.buffer).setBigUint64(1, id, false);
    const moduleValue = keyRecord(rdb.RDB_TYPE_MODULE_2, "m", concat(idBytes, u8(0)));
    expect((await loadError(rdbFile(10, [moduleValue]))).message).toBe(
      "The RDB file contains module data for the module type 'MyModType' (RDB type 7, MODULE_2), which Bunker cannot load",
    );
    const moduleAux = concat(u8(rdb.RDB_OPCODE_MODULE_AUX), idBytes, u8(2, 2, 0));
    expect((await loadError(rdbFile(10, [moduleAux]))).message).toBe(
      "The RDB file contains AUX module data I can't load: no matching module 'MyModType' (Bunker has no modules)",
    );
    expect((await loadError(rdbFile(10, [keyRecord(20, "k", str("x"))]))).message).toBe(
      "RDB type 20 (SET_LISTPACK) is a Redis 7.2+ encoding that RDB version 10 cannot hold",
    );
    expect((await loadError(rdbFile(10, [keyRecord(21, "k", str("x"))]))).message).toContain("STREAM_LISTPACKS_3");
    expect((await loadError(rdbFile(10, [keyRecord(8, "k", str("x"))]))).message).toBe("Unknown RDB encoding type 8");
    expect((await loadError(rdbFile(10, [keyRecord(200, "k", str("x"))]))).message).toBe("Unknown RDB encoding type 200");
  });

  test("duplicates: keys, set members, hash fields, zset members", async () => {
    const twice = rdbFile(10, [keyRecord(0, "k", str("1")), keyRecord(0, "k", str("2"))]);
    expect((await loadError(twice)).message).toBe("RDB has duplicated key 'k' in DB 0");
    const otherDb = rdbFile(10, [keyRecord(0, "k", str("1")), u8(rdb.RDB_OPCODE_SELECTDB, 1), keyRecord(0, "k", str("2"))]);
    expect((await loadBytes(otherDb)).keys.length).toBe(2);
    const set = keyRecord(rdb.RDB_TYPE_SET, "s", concat(rdbLength(2), str("a"), str("a")));
    expect((await loadError(rdbFile(10, [set]))).message).toBe("Duplicate set members detected");
    const hash = keyRecord(rdb.RDB_TYPE_HASH, "h", concat(rdbLength(2), str("f"), str("1"), str("f"), str("2")));
    expect((await loadError(rdbFile(10, [hash]))).message).toBe("Duplicate hash fields detected");
    const zset = keyRecord(rdb.RDB_TYPE_ZSET_2, "z", concat(rdbLength(2), str("m"), new Uint8Array(8), str("m"), new Uint8Array(8)));
    expect((await loadError(rdbFile(10, [zset]))).message).toBe("Duplicate zset fields detected");
    const packed = keyRecord(rdb.RDB_TYPE_HASH_LISTPACK, "h", str(encodeListpack([b("f"), b("1"), b("f"), b("2")])));
    expect((await loadError(rdbFile(10, [packed]))).message).toStartWith("Hash listpack integrity check failed.");
  });

  test("empty collections are skipped (and refused by decodeValue)", async () => {
    const emptySet = keyRecord(rdb.RDB_TYPE_SET, "s", rdbLength(0));
    const emptyList = keyRecord(rdb.RDB_TYPE_LIST_QUICKLIST_2, "l", rdbLength(0));
    const emptyNodes = keyRecord(rdb.RDB_TYPE_LIST_QUICKLIST_2, "l2", concat(rdbLength(1), rdbLength(2), str(encodeListpack([]))));
    const emptyHash = keyRecord(rdb.RDB_TYPE_HASH_LISTPACK, "h", str(encodeListpack([])));
    const loaded = await loadBytes(rdbFile(10, [emptySet, emptyList, emptyNodes, emptyHash, keyRecord(0, "k", str("v"))]));
    expect(loaded.emptySkipped).toEqual(["0:s", "0:l", "0:l2", "0:h"]);
    expect(loaded.summary.keysLoaded).toBe(1);
    expect(loaded.summary.emptyKeysSkipped).toBe(4);
    expect(() => decodeValue(rdb.RDB_TYPE_SET, rdbLength(0))).toThrow(RdbLoadError);
    // An empty intset is corrupt rather than empty, as intsetValidateIntegrity says.
    const emptyIntset = keyRecord(rdb.RDB_TYPE_SET_INTSET, "i", str(concat(u8(2, 0, 0, 0), u8(0, 0, 0, 0))));
    expect((await loadError(rdbFile(10, [emptyIntset]))).message).toStartWith("Intset integrity check failed.");
  });

  test("SELECTDB beyond `databases`", async () => {
    const file = rdbFile(10, [u8(rdb.RDB_OPCODE_SELECTDB, 16), keyRecord(0, "k", str("v"))]);
    expect((await loadError(file)).message).toBe(
      "FATAL: Data file was created with a Redis server configured to handle more than 16 databases. Exiting",
    );
    expect((await loadBytes(file, { databases: 32 })).keys[0]!.db).toBe(16);
  });

  test("corrupt blobs and stream inconsistencies", async () => {
    const lp = encodeListpack([b("f"), b("v")]);
    lp[lp.length - 1] = 0xfe;
    expect((await loadError(rdbFile(10, [keyRecord(rdb.RDB_TYPE_HASH_LISTPACK, "h", str(lp))]))).message).toStartWith(
      "Hash listpack integrity check failed. (",
    );
    const badLzf = keyRecord(0, "k", concat(u8(0xc3), rdbLength(2), rdbLength(50), u8(0x01, 0x61)));
    expect((await loadError(rdbFile(10, [badLzf]))).message).toStartWith("Invalid LZF compressed string");
    expect((await loadError(rdbFile(10, [keyRecord(0, "k", u8(0xc4))]))).message).toBe("Unknown RDB string encoding type 4");
    expect((await loadError(rdbFile(10, [keyRecord(0, "k", u8(0x82))]))).message).toBe("Unknown length encoding 2 in rdbLoadLen()");
    const quick = keyRecord(rdb.RDB_TYPE_LIST_QUICKLIST_2, "l", concat(rdbLength(1), rdbLength(3), str(encodeListpack([b("a")]))));
    expect((await loadError(rdbFile(10, [quick]))).message).toBe("Quicklist integrity check failed.");

    // A consumer claiming an ID that is not in the group PEL.
    const stream = RedisStreamFrom([["1-1", "a"]]);
    const payload = encodeValue(stream, DEFAULT_ENCODE_OPTIONS).payload;
    const head = payload.subarray(0, payload.length - 1); // drop "0 groups"
    const id = (ms: number, seq: number) => {
      const raw = new Uint8Array(16);
      new DataView(raw.buffer).setBigUint64(0, BigInt(ms), false);
      new DataView(raw.buffer).setBigUint64(8, BigInt(seq), false);
      return raw;
    };
    const groupWith = (pel: Uint8Array[], owned: Uint8Array[]) =>
      concat(head, rdbLength(1), str("g"), rdbLength(0), rdbLength(0), rdbLength(0),
        rdbLength(pel.length), ...pel.map((raw) => concat(raw, new Uint8Array(8), rdbLength(1))),
        rdbLength(1), str("c"), new Uint8Array(8), rdbLength(owned.length), ...owned);
    const loadStream = (body: Uint8Array) => loadError(rdbFile(10, [keyRecord(rdb.RDB_TYPE_STREAM_LISTPACKS_2, "s", body)]));
    expect((await loadStream(groupWith([], [id(1, 1)]))).message).toBe("Consumer entry not found in group global PEL");
    expect((await loadStream(groupWith([id(1, 1)], []))).message).toBe("Stream CG PEL entry without consumer");
    expect((await loadStream(groupWith([id(1, 1), id(1, 1)], []))).message).toBe(
      "Duplicated global PEL entry loading stream consumer group",
    );
    const fine = await loadBytes(rdbFile(10, [keyRecord(rdb.RDB_TYPE_STREAM_LISTPACKS_2, "s", groupWith([id(1, 1)], [id(1, 1)]))]));
    expect((describe(fine.keys[0]!.value) as { groups: unknown[] }).groups.length).toBe(1);
  });

  test("errors thrown by the handler pass through untouched", async () => {
    const boom = new TypeError("handler failed");
    const loading = RdbDecoder.fromBytes(rdbFile(10, [keyRecord(0, "k", str("v"))]), DEFAULT_LOAD_LIMITS).load({
      onKey: () => {
        throw boom;
      },
    });
    expect(loading).rejects.toBe(boom);
  });
});

test("parseScoreText behaves like strtod on the prefix", () => {
  expect(parseScoreText("1.5")).toBe(1.5);
  expect(parseScoreText("-inf")).toBe(-Infinity);
  expect(parseScoreText("+Infinity")).toBe(Infinity);
  expect(parseScoreText(" 2e3xyz")).toBe(2000);
  expect(Number.isNaN(parseScoreText("nan")!)).toBe(true);
  expect(parseScoreText("abc")).toBeNull();
});

test("values built by the collection classes survive a DUMP round trip", () => {
  const values: KeySpec["value"][] = [
    RedisZSet.fromEntries([["a", 1]]),
    RedisHash.fromEntries([["f", b("v")]]),
    RedisSet.fromMembers(["1", "x"]),
    RedisList.fromValues([b("a")]),
  ];
  for (const value of values) {
    const { type, payload } = encodeValue(value, DEFAULT_ENCODE_OPTIONS);
    expect(describe(decodeValue(type, payload))).toEqual(describe(value));
  }
});
