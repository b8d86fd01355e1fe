import { describe as group, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { RedisList } from "../../src/db/list.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisStream } from "../../src/db/stream.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";
import { formatDouble } from "../../src/util/float.ts";
import { ByteWriter, DEFAULT_ENCODE_OPTIONS, RdbEncoder, writeLength, writeLengthBig } from "../../src/persistence/rdb/encoder.ts";
import { scoreToText } from "../../src/db/zset.ts";
import { parseDumpPayload, DUMP_PAYLOAD_INVALID, DumpPayloadError } from "../../src/persistence/rdb/dump.ts";
import { decodeListpack } from "../../src/db/listpack.ts";
import { lzfDecompress } from "../../src/persistence/rdb/lzf.ts";
import * as rdb from "../../src/persistence/rdb/opcodes.ts";
import { b, dumpPayload, encodeFile, encodeValue, fullDataset, loadBytes, s, valueEncoder } from "./rdb-codec-helpers.ts";
import { HASH_FIELDS_AND_VALUES, LIST_ELEMENTS, REDIS_DUMPS, ZSET_MEMBERS_AND_SCORES, toHex } from "./rdb-primitives-helpers.ts";

const NO_COMPRESSION = { ...DEFAULT_ENCODE_OPTIONS, compression: false };

function stringBytes(data: Uint8Array, compression = true): string {
  const out = new ByteWriter();
  valueEncoder.writeString(out, data, compression);
  return toHex(out.result());
}

function lengthBytes(length: number | bigint): string {
  const out = new ByteWriter();
  if (typeof length === "bigint") writeLengthBig(out, length);
  else writeLength(out, length);
  return toHex(out.result());
}

group("length encoding", () => {
  test("uses the smallest form at every boundary", () => {
    expect(lengthBytes(0)).toBe("00");
    expect(lengthBytes(63)).toBe("3f");
    expect(lengthBytes(64)).toBe("4040");
    expect(lengthBytes(16383)).toBe("7fff");
    expect(lengthBytes(16384)).toBe("8000004000");
    expect(lengthBytes(0xffffffff)).toBe("80ffffffff");
    expect(lengthBytes(0x100000000)).toBe("810000000100000000");
    expect(lengthBytes(0xffffffffffffffffn)).toBe("81ffffffffffffffff");
    // -1 (a group's unknown entries_read) is written as 2^64-1, as rdbSaveLen((uint64_t)-1).
    expect(lengthBytes(-1n)).toBe("81ffffffffffffffff");
  });
});

group("string encoding", () => {
  test("canonical integers that fit in 32 bits use INT8/16/32", () => {
    expect(stringBytes(b("0"))).toBe("c000");
    expect(stringBytes(b("127"))).toBe("c07f");
    expect(stringBytes(b("-128"))).toBe("c080");
    expect(stringBytes(b("128"))).toBe("c18000");
    expect(stringBytes(b("-129"))).toBe("c17fff");
    expect(stringBytes(b("32767"))).toBe("c1ff7f");
    expect(stringBytes(b("-32768"))).toBe("c10080");
    expect(stringBytes(b("32768"))).toBe("c200800000");
    expect(stringBytes(b("-32769"))).toBe("c2ff7fffff");
    expect(stringBytes(b("2147483647"))).toBe("c2ffffff7f");
    expect(stringBytes(b("-2147483648"))).toBe("c200000080");
  });

  test("other strings are raw (non-canonical numbers, out of int32, longer than 11)", () => {
    expect(stringBytes(b("2147483648"))).toBe("0a" + toHex(b("2147483648")));
    expect(stringBytes(b("-2147483649"))).toBe("0b" + toHex(b("-2147483649")));
    for (const text of ["007", "+1", "-0", " 1", "1 ", "1.0", "-", ""]) {
      expect(stringBytes(b(text))).toBe(toHex(new Uint8Array([text.length])) + toHex(b(text)));
    }
    expect(stringBytes(b("000000000001"))).toBe("0c" + toHex(b("000000000001")));
  });

  test("LZF only above 20 bytes, only when compression is on and it saves 4 bytes", () => {
    expect(stringBytes(b("a".repeat(20)))).toBe("14" + "61".repeat(20));
    const lzf21 = stringBytes(b("a".repeat(21)));
    expect(lzf21.startsWith("c3")).toBe(true);
    expect(stringBytes(b("a".repeat(21)), false)).toBe("15" + "61".repeat(21));
    // 30 x 'a' exactly as in the sample-7.0-encodings fixture.
    expect(stringBytes(b("a".repeat(30)))).toBe("c3091e016161e01100016161");
    // Incompressible data stays raw.
    const noise = new Uint8Array(64).map((_, i) => (i * 97 + 13) & 0xff);
    expect(stringBytes(noise)).toBe("40" + "40" + toHex(noise));
  });

  test("an LZF string decompresses back to the input", () => {
    const text = b("the quick brown fox jumps over the lazy dog. ".repeat(30));
    const out = new ByteWriter();
    valueEncoder.writeString(out, text, true);
    const bytes = out.result();
    expect(bytes[0]).toBe(0xc3);
    // c3 <clen 14-bit> <len 14-bit> <data>
    const compressedLength = ((bytes[1]! & 0x3f) << 8) | bytes[2]!;
    const length = ((bytes[3]! & 0x3f) << 8) | bytes[4]!;
    expect(length).toBe(text.length);
    expect(compressedLength).toBe(bytes.length - 5);
    expect(s(lzfDecompress(bytes.subarray(5), length))).toBe(s(text));
  });
});

group("doubles", () => {
  test("%.17g (formatDouble, which listpack scores use) with glibc's round-half-even", () => {
    const cases: [number, string][] = [
      [0.1, "0.10000000000000001"],
      [1 / 3, "0.33333333333333331"],
      [2.5, "2.5"],
      [1e21, "1e+21"],
      [1e-5, "1.0000000000000001e-05"],
      [1e-4, "0.0001"],
      [1.5e300, "1.5000000000000001e+300"],
      [123456789012345.625, "123456789012345.62"],
      [-1.7976931348623157e308, "-1.7976931348623157e+308"],
      [5e-324, "4.9406564584124654e-324"],
      [1e16, "10000000000000000"],
      [1e17, "1e+17"],
      [12345678901234567890, "1.2345678901234567e+19"],
      [0.000123, "0.00012300000000000001"],
    ];
    for (const [value, text] of cases) expect(formatDouble(value)).toBe(text);
  });

  test("listpack zset scores follow 7.0.15's d2string (integers within 2^62)", () => {
    expect(scoreToText(1)).toBe("1");
    expect(scoreToText(-0)).toBe("0");
    expect(scoreToText(2.5)).toBe("2.5");
    expect(scoreToText(1e17)).toBe("100000000000000000");
    expect(scoreToText(2 ** 62)).toBe("4611686018427387904");
    expect(scoreToText(-(2 ** 62))).toBe("-4611686018427387904");
    expect(scoreToText(2 ** 62 + 1024)).toBe("4.6116860184273889e+18");
    expect(scoreToText(1e20)).toBe("1e+20");
    expect(scoreToText(Infinity)).toBe("inf");
    expect(scoreToText(-Infinity)).toBe("-inf");
  });
});

group("values", () => {
  test("type bytes follow the encoding", () => {
    const listpackHash = RedisHash.fromEntries([["f", b("v")]]);
    const tableHash = RedisHash.fromEntries([["f", b("v")]]);
    tableHash.encoding = "hashtable";
    const skiplist = RedisZSet.fromEntries([["a", 1]]);
    skiplist.convertToSkiplist();
    expect(encodeValue(b("x"), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_STRING);
    expect(encodeValue(RedisList.fromValues([b("x")]), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_LIST_QUICKLIST_2);
    expect(encodeValue(RedisSet.fromMembers(["1"]), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_SET_INTSET);
    expect(encodeValue(RedisSet.fromMembers(["a"]), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_SET);
    expect(encodeValue(listpackHash, DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_HASH_LISTPACK);
    expect(encodeValue(tableHash, DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_HASH);
    expect(encodeValue(RedisZSet.fromEntries([["a", 1]]), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_ZSET_LISTPACK);
    expect(encodeValue(skiplist, DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_ZSET_2);
    expect(encodeValue(new RedisStream(), DEFAULT_ENCODE_OPTIONS).type).toBe(rdb.RDB_TYPE_STREAM_LISTPACKS_2);
  });

  test("ZSET_2 writes the highest score first as little-endian doubles", () => {
    const zset = RedisZSet.fromEntries([["m", 1.5], ["n", 3]]);
    zset.convertToSkiplist();
    // As in the sample-7.0-encodings fixture.
    expect(toHex(encodeValue(zset, DEFAULT_ENCODE_OPTIONS).payload)).toBe("02016e0000000000000840016d000000000000f83f");
  });

  test("hashtable set and hash write members, fields and values as strings", () => {
    expect(toHex(encodeValue(RedisSet.fromMembers(["x", "1"]), DEFAULT_ENCODE_OPTIONS).payload)).toBe("020178c001");
    const hash = RedisHash.fromEntries([["f", b("v")]]);
    hash.encoding = "hashtable";
    expect(toHex(encodeValue(hash, DEFAULT_ENCODE_OPTIONS).payload)).toBe("0101660176");
  });

  test("DUMP payloads equal the ones captured from Redis 7.0.15", () => {
    const pairs: [string, Uint8Array][] = [];
    for (let i = 0; i < HASH_FIELDS_AND_VALUES.length; i += 2) pairs.push([HASH_FIELDS_AND_VALUES[i]!, b(HASH_FIELDS_AND_VALUES[i + 1]!)]);
    const hash = RedisHash.fromEntries(pairs);
    expect(toHex(dumpPayload(hash, NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.hash));
    expect(toHex(dumpPayload(hash, DEFAULT_ENCODE_OPTIONS))).toBe(toHex(REDIS_DUMPS.hashLzf));

    const zpairs: [string, number][] = [];
    for (let i = 0; i < ZSET_MEMBERS_AND_SCORES.length; i += 2) zpairs.push([ZSET_MEMBERS_AND_SCORES[i]!, Number(ZSET_MEMBERS_AND_SCORES[i + 1])]);
    expect(toHex(dumpPayload(RedisZSet.fromEntries(zpairs), NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.zset));

    expect(toHex(dumpPayload(RedisSet.fromMembers(["1", "2", "3", "-32768", "32767"]), NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.intset16));
    expect(toHex(dumpPayload(RedisSet.fromMembers(["5", "70000", "-2147483648"]), NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.intset32));
    const int64 = RedisSet.fromMembers(["7", "2147483648", "-9223372036854775808", "9223372036854775807"]);
    expect(toHex(dumpPayload(int64, NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.intset64));
    expect(toHex(dumpPayload(int64, DEFAULT_ENCODE_OPTIONS))).toBe(toHex(REDIS_DUMPS.intset64Lzf));

    const list = RedisList.fromValues(LIST_ELEMENTS.map(b));
    expect(toHex(dumpPayload(list, NO_COMPRESSION))).toBe(toHex(REDIS_DUMPS.list));
    expect(toHex(dumpPayload(list, DEFAULT_ENCODE_OPTIONS))).toBe(toHex(REDIS_DUMPS.listLzf));

    const table = RedisHash.fromEntries([["other", b("abc".repeat(9))], ["field", b("a".repeat(100))]]);
    table.encoding = "hashtable";
    expect(toHex(dumpPayload(table, DEFAULT_ENCODE_OPTIONS))).toBe(toHex(REDIS_DUMPS.hashtableLzf));
  });
});

group("list nodes", () => {
  function nodeSizes(values: Uint8Array[], fill: number): number[] {
    const { payload } = encodeValue(RedisList.fromValues(values, fill), NO_COMPRESSION);
    // Walk the QUICKLIST_2 payload: node count, then (container, string) pairs.
    const sizes: number[] = [];
    let at = 0;
    const length = (): number => {
      const first = payload[at++]!;
      if (first >> 6 === 0) return first & 0x3f;
      if (first >> 6 === 1) return ((first & 0x3f) << 8) | payload[at++]!;
      const value = new DataView(payload.buffer, payload.byteOffset + at, 4).getUint32(0, false);
      at += 4;
      return value;
    };
    const count = length();
    for (let i = 0; i < count; i++) {
      const container = length();
      const size = length();
      const blob = payload.subarray(at, at + size);
      at += size;
      sizes.push(container === rdb.QUICKLIST_NODE_CONTAINER_PACKED ? decodeListpack(blob).length : -1);
    }
    expect(at).toBe(payload.length);
    return sizes;
  }

  test("8 KiB nodes by default, as RPUSH builds them", () => {
    // 100-byte elements take 103 listpack bytes; a node of k of them is 7 + 103k bytes and
    // takes one more while 7 + 103k + 100 + 8 <= 8192 (SIZE_ESTIMATE_OVERHEAD): 79 per node.
    // (The interop test checks the same rule against Redis's DUMP.)
    const values = Array.from({ length: 200 }, () => b("x".repeat(100)));
    expect(nodeSizes(values, -2)).toEqual([79, 79, 42]);
    expect(nodeSizes(values, -1)).toEqual([39, 39, 39, 39, 39, 5]);
  });

  test("a positive fill counts entries (capped by the 8 KiB safety limit)", () => {
    expect(nodeSizes(Array.from({ length: 10 }, (_, i) => b(String(i))), 3)).toEqual([3, 3, 3, 1]);
    expect(nodeSizes(Array.from({ length: 10 }, () => b("y".repeat(3000))), 100)).toEqual([2, 2, 2, 2, 2]);
  });

  test("an element larger than the node size gets a packed node of its own (PLAIN is only for >= 1 GiB)", () => {
    expect(nodeSizes([b("a"), b("z".repeat(10000)), b("b"), b("c")], -2)).toEqual([1, 1, 2]);
  });
});

group("streams", () => {
  test("nodes split every stream-node-max-entries entries and by stream-node-max-bytes", () => {
    const stream = new RedisStream();
    for (let i = 1; i <= 250; i++) stream.appendEntry({ ms: BigInt(i), seq: 0n }, [b("f"), b("v")]);
    const countNodes = (options: typeof DEFAULT_ENCODE_OPTIONS): number => encodeValue(stream, options).payload[0]!;
    expect(countNodes(DEFAULT_ENCODE_OPTIONS)).toBe(3);
    expect(countNodes({ ...DEFAULT_ENCODE_OPTIONS, streamNodeMaxEntries: 10 })).toBe(25);
    expect(countNodes({ ...DEFAULT_ENCODE_OPTIONS, streamNodeMaxEntries: 0, streamNodeMaxBytes: 0 })).toBe(1);
    // Each entry takes 6 listpack bytes once the node exists; 4096 bytes hold about 680.
    expect(countNodes({ ...DEFAULT_ENCODE_OPTIONS, streamNodeMaxEntries: 0 })).toBe(1);
    expect(countNodes({ ...DEFAULT_ENCODE_OPTIONS, streamNodeMaxEntries: 0, streamNodeMaxBytes: 100 })).toBeGreaterThan(10);
  });

  test("the stream in the sample fixture is written byte for byte", () => {
    const fixture = readFileSync(new URL("../fixtures/sample-7.0.rdb", import.meta.url).pathname);
    const stream = new RedisStream();
    stream.appendEntry({ ms: 1n, seq: 1n }, [b("f"), b("v")]);
    stream.appendEntry({ ms: 1n, seq: 2n }, [b("f2"), b("v2")]);
    const groupG = stream.createGroup("g", { ms: 0n, seq: 0n }, 0)!;
    const consumer = stream.createConsumer(groupG, "c", 1795493277491)!;
    stream.deliverPending(groupG, consumer, { ms: 1n, seq: 1n }, 1795493277491);
    groupG.lastId = { ms: 1n, seq: 1n };
    groupG.entriesRead = 1;
    const payload = encodeValue(stream, DEFAULT_ENCODE_OPTIONS).payload;
    // The stream value sits at 0xa6..0x12c in the fixture.
    expect(toHex(payload)).toBe(toHex(fixture.subarray(0xa6, 0x12c)));
  });
});

group("file encoder", () => {
  test("reproduces the sample-7.0.rdb fixture exactly", () => {
    const fixture = readFileSync(new URL("../fixtures/sample-7.0.rdb", import.meta.url).pathname);
    const chunks: Uint8Array[] = [];
    const encoder = new RdbEncoder((chunk) => chunks.push(chunk), { ...DEFAULT_ENCODE_OPTIONS, checksum: true });
    encoder.writeHeader({ redisVer: "7.0.15", ctime: 1795493277, usedMem: 1215992, aofBase: false });
    encoder.selectDb(0, 6, 1);
    encoder.writeKey(b("zset"), RedisZSet.fromEntries([["a", 1], ["b", 2.5]]), undefined);
    encoder.writeKey(b("hash"), RedisHash.fromEntries([["f1", b("v1")], ["f2", b("2")]]), undefined);
    encoder.writeKey(b("set"), RedisSet.fromMembers(["1", "2", "3"]), undefined);
    const stream = new RedisStream();
    stream.appendEntry({ ms: 1n, seq: 1n }, [b("f"), b("v")]);
    stream.appendEntry({ ms: 1n, seq: 2n }, [b("f2"), b("v2")]);
    const groupG = stream.createGroup("g", { ms: 1n, seq: 1n }, 1)!;
    const consumer = stream.createConsumer(groupG, "c", 1795493277491)!;
    stream.deliverPending(groupG, consumer, { ms: 1n, seq: 1n }, 1795493277491);
    encoder.writeKey(b("strm"), stream, undefined);
    encoder.writeKey(b("str"), b("hello"), 4102444800000);
    encoder.writeKey(b("list"), RedisList.fromValues([b("a"), b("b"), b("1")]), undefined);
    encoder.finish();
    const written = Buffer.concat(chunks);
    expect(toHex(written)).toBe(toHex(fixture));
    expect(encoder.bytesWritten).toBe(fixture.length);
  });

  test("reproduces the keys section of the sample-7.0-encodings fixture", () => {
    const fixture = readFileSync(new URL("../fixtures/sample-7.0-encodings.rdb", import.meta.url).pathname);
    const chunks: Uint8Array[] = [];
    const encoder = new RdbEncoder((chunk) => chunks.push(chunk), { ...DEFAULT_ENCODE_OPTIONS, checksum: true });
    encoder.writeHeader({ redisVer: "7.0.15", ctime: 1795493352, usedMem: 1336552, aofBase: false });
    const headerLength = encoder.bytesWritten;
    encoder.selectDb(0, 9, 1);
    encoder.writeKey(b("n32"), b("100000"), undefined);
    encoder.writeKey(b("neg"), b("-5"), undefined);
    encoder.writeKey(b("n8"), b("100"), 4102444800000);
    const zs = RedisZSet.fromEntries([["m", 1.5], ["n", 3]]);
    zs.convertToSkiplist();
    encoder.writeKey(b("zs"), zs, undefined);
    encoder.writeKey(b("hs"), RedisSet.fromMembers(["x", "1"]), undefined);
    encoder.writeKey(b("n16"), b("1000"), undefined);
    encoder.writeKey(b("lzf"), b("a".repeat(30)), undefined);
    const hh = RedisHash.fromEntries([["f", b("v")]]);
    hh.encoding = "hashtable";
    encoder.writeKey(b("hh"), hh, undefined);
    encoder.writeKey(b("big"), b("12345678901"), undefined);
    encoder.finish();
    const written = Buffer.concat(chunks);
    // The header matches; the fixture then has a FUNCTION2 record (0x50..0x9a) we do not write.
    expect(toHex(written.subarray(0, headerLength))).toBe(toHex(fixture.subarray(0, 0x50)));
    expect(toHex(written.subarray(headerLength, written.length - 8))).toBe(toHex(fixture.subarray(0x9a, fixture.length - 8)));
    // Our own checksum covers our own bytes.
    const crc = new DataView(written.buffer, written.byteOffset + written.length - 8, 8).getBigUint64(0, true);
    expect(crc).toBe(crc64(written.subarray(0, written.length - 8)));
  });

  test("streams the file in bounded chunks and checksums every byte before the trailer", () => {
    const chunkSize = 4096;
    const sizes: number[] = [];
    const file = encodeFile(fullDataset(), { chunkSize }, (chunk) => sizes.push(chunk.length));
    expect(sizes.length).toBeGreaterThan(10);
    // Never more than a chunk, however large the value being written.
    for (const size of sizes) expect(size).toBeLessThanOrEqual(chunkSize);
    const stored = new DataView(file.buffer, file.byteOffset + file.length - 8, 8).getBigUint64(0, true);
    expect(stored).toBe(crc64(file.subarray(0, file.length - 8)));
    expect(file[file.length - 9]).toBe(rdb.RDB_OPCODE_EOF);
  });

  test("rdbchecksum no writes eight zero bytes", () => {
    const file = encodeFile([{ db: 0, key: "k", value: b("v") }], { checksum: false });
    expect(toHex(file.subarray(file.length - 9))).toBe("ff0000000000000000");
  });

  test("key prefixes: EXPIRETIME_MS, IDLE, FREQ in Redis's order", () => {
    const file = encodeFile([{ db: 2, key: "k", value: b("v"), expireAtMs: 1700000000000, idleSeconds: 300, freq: 7 }]);
    const body = toHex(file.subarray(file.length - 9 - 24, file.length - 9));
    // SELECTDB 2, RESIZEDB 1 1, then fc <int64 LE>, f8 <len 300>, f9 07, type 0, key, value.
    expect(body).toBe("fe02fb0101" + "fc" + "0068e5cf8b010000" + "f8412c" + "f907" + "00016b0176");
  });

  test("header AUX fields, including the replication ones when given", () => {
    const chunks: Uint8Array[] = [];
    const encoder = new RdbEncoder((chunk) => chunks.push(chunk), { ...DEFAULT_ENCODE_OPTIONS, checksum: true });
    encoder.writeHeader({
      redisVer: "7.0.15",
      ctime: 1700000000,
      usedMem: 3_000_000_000,
      aofBase: true,
      replication: { streamDb: 0, replId: "a".repeat(40), offset: 12345 },
    });
    encoder.finish();
    return loadBytes(Buffer.concat(chunks)).then((loaded) => {
      expect([...loaded.aux]).toEqual([
        ["redis-ver", "7.0.15"],
        ["redis-bits", "64"],
        ["ctime", "1700000000"],
        ["used-mem", "3000000000"],
        ["repl-stream-db", "0"],
        ["repl-id", "a".repeat(40)],
        ["repl-offset", "12345"],
        ["aof-base", "1"],
      ]);
      expect(loaded.summary.checksum).toBe("verified");
    });
  });

  test("writeEncodedKey produces the same bytes as writeKey", () => {
    const value = RedisZSet.fromEntries([["a", 1], ["b", 2]]);
    const direct = encodeFile([{ db: 0, key: "z", value, expireAtMs: 5000 }]);
    const chunks: Uint8Array[] = [];
    const encoder = new RdbEncoder((chunk) => chunks.push(chunk), { ...DEFAULT_ENCODE_OPTIONS, checksum: true });
    encoder.writeHeader({ redisVer: "7.0.15", ctime: 1700000000, usedMem: 1000000, aofBase: false });
    encoder.selectDb(0, 1, 1);
    const { type, payload } = encodeValue(value, DEFAULT_ENCODE_OPTIONS);
    encoder.writeEncodedKey(b("z"), type, payload, 5000);
    encoder.finish();
    expect(toHex(Buffer.concat(chunks))).toBe(toHex(direct));
  });
});

group("DUMP payload framing", () => {
  test("type, payload, version 10 LE, CRC-64 LE over everything before", () => {
    const dump = dumpPayload(b("hello"), DEFAULT_ENCODE_OPTIONS);
    expect(toHex(dump.subarray(0, 8))).toBe("000568656c6c6f0a".slice(0, 16));
    expect(toHex(dump.subarray(7, 9))).toBe("0a00");
    const crc = new DataView(dump.buffer, dump.byteOffset + 9, 8).getBigUint64(0, true);
    expect(crc).toBe(crc64(dump.subarray(0, 9)));
    expect(parseDumpPayload(dump)).toEqual({ type: 0, payload: b("\u0005hello") });
  });

  test("a newer version, a wrong CRC or a short payload are refused with Redis's text", () => {
    const dump = dumpPayload(b("hello"), DEFAULT_ENCODE_OPTIONS);
    const newer = dump.slice();
    newer[7] = 11;
    const badCrc = dump.slice();
    badCrc[badCrc.length - 1]! ^= 1;
    const badBody = dump.slice();
    badBody[2]! ^= 1;
    for (const bad of [newer, badCrc, badBody, dump.subarray(0, 9), new Uint8Array(0)]) {
      expect(() => parseDumpPayload(bad)).toThrow(DumpPayloadError);
      expect(() => parseDumpPayload(bad)).toThrow(DUMP_PAYLOAD_INVALID);
    }
    expect(DUMP_PAYLOAD_INVALID).toBe("DUMP payload version or checksum are wrong");
    // An older RDB version is accepted.
    const older = dump.slice();
    older[7] = 9;
    new DataView(older.buffer).setBigUint64(9, crc64(older.subarray(0, 9)), true);
    expect(parseDumpPayload(older).type).toBe(0);
  });
});
