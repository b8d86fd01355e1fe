// The allocation-free paths of the RDB codec checked against the plain ones they
// replace: the reusable ListpackWriter against byte-for-byte expectations, member
// strings against their bytes, loaded intsets against decodeIntset, LZF
// into scratch against lzfCompress, and the bulk constructors the loader uses.

import { describe as group, expect, test } from "bun:test";
import { keyToBytes, parseInteger } from "../../src/db/bytes.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { ByteWriter, DEFAULT_ENCODE_OPTIONS } from "../../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder, integerText } from "../../src/persistence/rdb/decoder.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { b, decodeValue, describe, encodeFile, encodeValue, fullDataset, s, seededRandom, valueEncoder } from "./rdb-codec-helpers.ts";
import {
  LISTPACK_FIRST_ENTRY,
  ListpackWriter,
  decodeListpack,
  encodeListpack,
  parseIntegerKey,
  readListpackEntry,
  validateListpack,
} from "../../src/db/listpack.ts";
import { decodeIntset, encodeIntset, intsetFromBlob, intsetGet, intsetLen } from "../../src/db/intset.ts";
import { lzfCompress, lzfCompressInto, lzfOutputBound } from "../../src/persistence/rdb/lzf.ts";

/** seededRandom's xorshift32 states as integers, so failures reproduce. */
function prng(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random() * 0x100000000;
}

group("ListpackWriter", () => {
  const strings = ["", "a", "0", "-0", "01", "12", "-12", "+1", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "12345678901234567890", "4096", "-4097", "x".repeat(63),
    "x".repeat(64), "y".repeat(4095), "y".repeat(4096), "\u00ff\u0000\u0080"];

  test("appendKey of a binary string writes what appendBytes writes for its bytes", () => {
    for (const text of strings) {
      const byKey = new ListpackWriter();
      byKey.appendKey(text);
      const byBytes = new ListpackWriter();
      byBytes.appendBytes(keyToBytes(text));
      expect(Array.from(byKey.finish())).toEqual(Array.from(byBytes.finish()));
      expect(byKey.byteSize).toBe(byKey.finish().length);
    }
  });

  test("reuse after reset gives the same bytes as a fresh encodeListpack", () => {
    const writer = new ListpackWriter();
    for (let round = 0; round < 3; round++) {
      writer.reset();
      const entries = strings.slice(round).map((text) => keyToBytes(text));
      for (const entry of entries) writer.appendBytes(entry);
      expect(writer.count).toBe(entries.length);
      expect(Array.from(writer.finish())).toEqual(Array.from(encodeListpack(entries)));
    }
  });

  test("finishInPlace leaves in `bytes` what finish() returns", () => {
    const writer = new ListpackWriter();
    for (const text of strings) writer.appendKey(text);
    const viaView = Array.from(writer.finish());
    const length = writer.finishInPlace();
    expect(Array.from(writer.bytes.subarray(0, length))).toEqual(viaView);
  });

  test("a huge listpack's buffer is not kept after the next reset", () => {
    const writer = new ListpackWriter();
    writer.appendBytes(new Uint8Array(3 * 1024 * 1024));
    expect(writer.bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    writer.reset();
    expect(writer.bytes.length).toBeLessThanOrEqual(1024 * 1024);
    writer.appendKey("a");
    expect(Array.from(writer.finish())).toEqual(Array.from(encodeListpack([keyToBytes("a")])));
  });

  test("integers out of range are refused", () => {
    const writer = new ListpackWriter();
    expect(() => writer.appendInteger(2n ** 63n)).toThrow(RangeError);
    expect(() => writer.appendInteger(0.5)).toThrow(RangeError);
  });

  test("readListpackEntry walks what decodeListpack returns", () => {
    const blob = encodeListpack([keyToBytes("abc"), 5n, -4096n, 70000n, -(2n ** 40n), 2n ** 62n, -(2n ** 63n), keyToBytes("z".repeat(300))]);
    const decoded = decodeListpack(blob);
    expect(validateListpack(blob)).toBe(decoded.length);
    let p = LISTPACK_FIRST_ENTRY;
    for (const expected of decoded) {
      const entry = readListpackEntry(blob, p);
      if (expected instanceof Uint8Array) {
        expect(Array.from(blob.subarray(entry.stringStart, entry.stringStart + entry.stringLength))).toEqual(Array.from(expected));
      } else {
        expect(entry.stringStart).toBe(-1);
        expect(entry.bigInteger ?? BigInt(entry.integer)).toBe(expected);
      }
      p = entry.next;
    }
    expect(blob[p]).toBe(0xff);
  });
});

group("ByteWriter numbers", () => {
  test("int64LE of a safe integer writes what the bigint path writes", () => {
    const values = [0, 1, -1, 4294967295, 4294967296, -4294967296, -4294967297, 1700000000123, -1700000000123,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 40 + 12345, -(2 ** 52) - 7];
    for (const value of values) {
      const fast = new ByteWriter();
      fast.int64LE(value);
      const slow = new ByteWriter();
      slow.int64LE(BigInt(value));
      expect(Array.from(fast.result())).toEqual(Array.from(slow.result()));
    }
  });
});

group("integerText", () => {
  test("digits of integers as String() writes them", () => {
    const next = prng(3);
    const values = [0, 1, -1, 9, 10, -10, 99, 100, 2147483647, -2147483647, -2147483648, 2147483648, 999999999, 1000000000,
      -999999999, -1000000000, 4294967296, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (let i = 0; i < 3000; i++) values.push((next() | 0) >> (next() % 31), next() * 1000 + (next() % 1000));
    for (const value of values) expect(s(integerText(value))).toBe(String(value));
  });
});

group("member strings", () => {
  test("parseIntegerKey agrees with parseInteger on the bytes", () => {
    const next = prng(99);
    const samples = ["", "-", "0", "-0", "00", "7", "-7", "123456789012345", "1234567890123456", "9007199254740993",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1 ", " 1", "1a", "99999999999999999999"];
    for (let i = 0; i < 2000; i++) {
      const length = 1 + (next() % 21);
      let text = next() % 3 === 0 ? "-" : "";
      for (let j = 0; j < length; j++) text += String.fromCharCode(next() % 4 === 0 ? 48 + (next() % 12) : 48 + (next() % 10));
      samples.push(text);
    }
    for (const text of samples) expect(parseIntegerKey(text)).toEqual(parseInteger(keyToBytes(text)));
  });

  test("writeKeyString writes what writeString writes for the bytes", () => {
    const samples = ["", "1", "-2147483648", "2147483648", "12345678901", "123456789012", "member", "m".repeat(20),
      "abcabcabcabcabcabcabcabc", "q".repeat(100), "\u00e9\u0000\u00ff".repeat(10)];
    for (const compression of [true, false]) {
      for (const text of samples) {
        const a = new ByteWriter();
        valueEncoder.writeKeyString(a, text, compression);
        const b = new ByteWriter();
        valueEncoder.writeString(b, keyToBytes(text), compression);
        expect(Array.from(a.result())).toEqual(Array.from(b.result()));
      }
    }
  });
});

group("intsets and LZF", () => {
  test("intsetFromBlob keeps the blob's bytes, whose values are decodeIntset's, with the same checks", () => {
    for (const values of [[1n, 2n, 3n], [-40000n, 5n, 70000n], [-(2n ** 63n), 0n, 2n ** 63n - 1n], [7n]]) {
      const blob = encodeIntset(values);
      const intset = intsetFromBlob(blob, 0, blob.length);
      expect(intset).toEqual(blob);
      const loaded: bigint[] = [];
      for (let i = 0; i < intsetLen(intset); i++) loaded.push(BigInt(intsetGet(intset, i)));
      expect(loaded).toEqual(decodeIntset(blob));
    }
    const unsorted = encodeIntset([1n, 2n, 3n]);
    unsorted[10] = 9; // second element 9 > third
    expect(() => decodeIntset(unsorted)).toThrow("element 2");
    expect(() => intsetFromBlob(unsorted, 0, unsorted.length)).toThrow("element 2");
    expect(() => intsetFromBlob(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]), 0, 8)).toThrow("empty");
  });

  test("encodeIntset takes numbers and bigints alike", () => {
    expect(Array.from(encodeIntset([-3, 4, 70000]))).toEqual(Array.from(encodeIntset([-3n, 4n, 70000n])));
    expect(Array.from(encodeIntset([-3, 2n ** 40n]))).toEqual(Array.from(encodeIntset([-3n, 2n ** 40n])));
  });

  test("lzfCompressInto of a prefix reads only the prefix", () => {
    const next = prng(11);
    const output = new Uint8Array(lzfOutputBound(400, 400));
    for (let i = 0; i < 200; i++) {
      const buffer = new Uint8Array(400);
      for (let j = 0; j < buffer.length; j++) buffer[j] = 97 + (next() % 3);
      const length = 21 + (next() % 300);
      const expected = lzfCompress(buffer.slice(0, length), length - 4);
      const written = lzfCompressInto(output, buffer, length - 4, length);
      if (expected === null) expect(written).toBe(-1);
      else expect(Array.from(output.subarray(0, written))).toEqual(Array.from(expected));
    }
  });

  test("lzfCompressInto refuses an output array smaller than lzfOutputBound", () => {
    const input = new Uint8Array(100).fill(97);
    expect(() => lzfCompressInto(new Uint8Array(lzfOutputBound(100, 96) - 1), input, 96)).toThrow(RangeError);
  });

  test("a big compressed string's LZF output is not kept by the encoder after it is written", () => {
    const big = new Uint8Array(3 * 1024 * 1024).fill(120);
    const out = new ByteWriter();
    valueEncoder.writeString(out, big, true);
    expect((valueEncoder as unknown as { lzfOutput: Uint8Array }).lzfOutput.length).toBeLessThanOrEqual(2 * 1024 * 1024);
    const encoded = out.result();
    expect(encoded[0]).toBe(0xc3); // LZF
    const reencoded = encodeValue(decodeValue(0, encoded), DEFAULT_ENCODE_OPTIONS);
    expect(Array.from(reencoded.payload.subarray(0, 16))).toEqual(Array.from(encoded.subarray(0, 16)));
  });

  test("lzfCompressInto writes what lzfCompress returns", () => {
    const next = prng(5);
    const output = new Uint8Array(lzfOutputBound(320, 320));
    for (let i = 0; i < 500; i++) {
      const length = 21 + (next() % 300);
      const input = new Uint8Array(length);
      const alphabet = 1 + (next() % 20);
      for (let j = 0; j < length; j++) input[j] = 97 + (next() % alphabet);
      const expected = lzfCompress(input, length - 4);
      const written = lzfCompressInto(output, input, length - 4);
      if (expected === null) expect(written).toBe(-1);
      else expect(Array.from(output.subarray(0, written))).toEqual(Array.from(expected));
    }
  });
});

group("bulk paths of the collections", () => {
  test("RedisSet.fromIntset keeps the intset's bytes and order", () => {
    const blob = encodeIntset([-5, 3, 40]);
    const set = RedisSet.fromIntset(blob);
    expect(set.encoding).toBe("intset");
    expect(set.intsetBytes()).toEqual(blob);
    expect([...set.orderedMembers()]).toEqual(["-5", "3", "40"]);
    set.add("1");
    expect([...set.orderedMembers()]).toEqual(["-5", "1", "3", "40"]);
  });

  test("RedisZSet.forEachAscending / forEachDescending visit the skiplist order", () => {
    const zset = RedisZSet.fromEntries([["b", 2], ["a", 2], ["c", -1]]);
    const up: string[] = [];
    zset.forEachAscending((member, score) => up.push(`${member}:${score}`));
    const down: string[] = [];
    zset.forEachDescending((member, score) => down.push(`${member}:${score}`));
    expect(up).toEqual(["c:-1", "a:2", "b:2"]);
    expect(down).toEqual([...up].reverse());
  });

  test("a decoded list keeps the nodes it was saved with, whatever the loader's fill", () => {
    for (const count of [1, 4, 127, 300, 1000]) {
      const values = Array.from({ length: count }, (_, i) => keyToBytes(`v${i}`));
      const saved = RedisList.fromValues(values, 5);
      const encoded = encodeValue(saved, DEFAULT_ENCODE_OPTIONS);
      const loaded = decodeValue(encoded.type, encoded.payload) as RedisList;
      expect(loaded.length).toBe(count);
      expect(loaded.nodeCount).toBe(saved.nodeCount);
      expect(loaded.fill).toBe(-2);
      expect(Array.from(loaded, s)).toEqual(Array.from(saved, s));
      expect(Array.from(encodeValue(loaded, DEFAULT_ENCODE_OPTIONS).payload)).toEqual(Array.from(encoded.payload));
    }
  });

  test("lists of one node, several nodes and plain-sized elements encode the same after reuse", () => {
    const lists = [
      RedisList.fromValues(["a", "b", "1"].map(keyToBytes)),
      RedisList.fromValues(Array.from({ length: 2000 }, (_, i) => keyToBytes(`element-${i}`))),
      RedisList.fromValues(["x"].map(keyToBytes)),
    ];
    const first = lists.map((list) => Array.from(encodeValue(list, DEFAULT_ENCODE_OPTIONS).payload));
    const again = lists.map((list) => Array.from(encodeValue(list, DEFAULT_ENCODE_OPTIONS).payload));
    expect(again).toEqual(first);
    for (let i = 0; i < lists.length; i++) {
      const decoded = decodeValue(encodeValue(lists[i]!, DEFAULT_ENCODE_OPTIONS).type, new Uint8Array(first[i]!));
      expect(Array.from(decoded as RedisList, s)).toEqual(Array.from(lists[i]!, s));
    }
  });

  test("values survive encodeValue/decodeValue through the fast paths", () => {
    const hash = RedisHash.fromEntries([["f", keyToBytes("v")], ["12", keyToBytes("-3")], ["\u00ff", keyToBytes("x".repeat(30))]]);
    const zset = RedisZSet.fromEntries([["m", 2.5], ["n", 1e17], ["o", -0], ["p", 2 ** 62 + 2048], ["q", Infinity]]);
    const list = RedisList.fromValues(["a", "1", "", "z".repeat(5000), "-9223372036854775808"].map(keyToBytes));
    const set = RedisSet.fromMembers(["3", "-1", "9007199254740993"]);
    for (const value of [hash, zset, list, set]) {
      const encoded = encodeValue(value, DEFAULT_ENCODE_OPTIONS);
      const again = encodeValue(decodeValue(encoded.type, encoded.payload), DEFAULT_ENCODE_OPTIONS);
      expect(again.type).toBe(encoded.type);
      expect(Array.from(again.payload)).toEqual(Array.from(encoded.payload));
    }
  });
});

group("interned members", () => {
  test("short members and fields decode to the right strings whatever the cache holds", () => {
    const next = prng(2024);
    const alphabet = "ab\u0000\u00ff";
    for (let round = 0; round < 3000; round++) {
      const hash = new RedisHash();
      const set = new RedisSet();
      const zset = new RedisZSet();
      for (let i = 0; i < 1 + (next() % 6); i++) {
        let member = "";
        for (let j = next() % 18; j > 0; j--) member += alphabet[next() % alphabet.length];
        if (next() % 4 === 0) member = String(next() % 3000 - 500);
        hash.set(member, keyToBytes(member));
        set.add(member);
        zset.add(member, i);
      }
      for (const value of [hash, set, zset]) {
        const encoded = encodeValue(value, DEFAULT_ENCODE_OPTIONS);
        expect(describe(decodeValue(encoded.type, encoded.payload))).toEqual(describe(value));
      }
    }
  });
});

group("reading in place from the file buffer", () => {
  for (const readBufferSize of [16, 100, 512]) {
    test(`the full dataset, compressed, through a ${readBufferSize}-byte buffer`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "bunker-rdb-fast-"));
      try {
        const dataset = fullDataset();
        // Members longer than the buffer, LZF members and values, integer-encoded members, binary scores.
        const longMember = "member-".repeat(40);
        const bigHash = new RedisHash();
        for (let i = 0; i < 600; i++) bigHash.set(i % 3 === 0 ? String(i) : `${longMember}${i}`, b(`value-${"z".repeat(i % 50)}`));
        bigHash.convertIfNeeded(512, 64);
        const bigZSet = new RedisZSet();
        for (let i = 0; i < 200; i++) bigZSet.add(i % 4 === 0 ? String(i * 1000) : `${longMember}${i}`, i / 7 - 3);
        bigZSet.convertIfNeeded(128, 64);
        const bigSet = RedisSet.fromMembers(Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? String(i - 300) : `${longMember}${i}`)));
        bigSet.convertIfNeeded(512);
        dataset.push(
          { db: 15, key: "big:hash", value: bigHash, expireAtMs: 2 ** 53 + 2 },
          { db: 15, key: "big:zset", value: bigZSet, expireAtMs: -5000 },
          { db: 15, key: "big:set", value: bigSet, expireAtMs: 2 ** 62 },
        );
        const path = join(dir, "dump.rdb");
        writeFileSync(path, encodeFile(dataset, { compression: true }));
        const got: { key: string; value: unknown; expireAtMs: number | undefined }[] = [];
        const summary = await RdbDecoder.fromFile(path, { ...DEFAULT_LOAD_LIMITS, readBufferSize }).load({
          onKey: (_db, key, value, expireAtMs) => {
            got.push({ key: s(key), value: describe(value), expireAtMs });
          },
        });
        expect(summary.checksum).toBe("verified");
        expect(got).toEqual(dataset.map((k) => ({ key: k.key, value: describe(k.value), expireAtMs: k.expireAtMs })));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
