import { describe, expect, test } from "bun:test";
import {
  type ListpackEntry,
  decodeListpack,
  encodeListpack,
  listpackEntryBytes,
} from "../../src/db/listpack.ts";
import {
  HASH_FIELDS_AND_VALUES,
  LIST_ELEMENTS,
  REDIS_DUMPS,
  ZSET_MEMBERS_AND_SCORES,
  ascii,
  concat,
  decodesOrFormatError,
  expectFormatError,
  fixTotalHeader,
  fixturePath,
  hex,
  mutate,
  randomBytes,
  randomInt,
  readRdbString,
  seededRandom,
  toHex,
} from "./rdb-primitives-helpers.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function asText(entries: ListpackEntry[]): string[] {
  return entries.map((entry) => Buffer.from(listpackEntryBytes(entry)).toString("latin1"));
}

/** The listpack holding a single entry; returns [listpack, entry bytes between header and 0xFF]. */
function single(entry: Uint8Array | bigint | number): [Uint8Array, string] {
  const listpack = encodeListpack([entry]);
  return [listpack, toHex(listpack.subarray(6, listpack.length - 1))];
}

describe("listpack against bytes written by Redis 7.0.15", () => {
  test("hash listpack (DUMP of a listpack-encoded hash) decodes and re-encodes byte for byte", () => {
    const blob = readRdbString(REDIS_DUMPS.hash, 1).bytes;
    const entries = decodeListpack(blob);
    expect(asText(entries)).toEqual([...HASH_FIELDS_AND_VALUES]);
    expect(entries[3]).toBe(2n); // "2" is an integer entry, "v1" a string
    expect(entries[1]).toEqual(ascii("v1"));
    expect(entries[13]).toBe(INT64_MIN);
    expect(encodeListpack(HASH_FIELDS_AND_VALUES.map(ascii))).toEqual(blob);
  });

  test("zset listpack: members and scores in score order, integral scores as integers", () => {
    const blob = readRdbString(REDIS_DUMPS.zset, 1).bytes;
    const entries = decodeListpack(blob);
    expect(asText(entries)).toEqual([...ZSET_MEMBERS_AND_SCORES]);
    expect(entries[1]).toBe(-3n);
    expect(encodeListpack(ZSET_MEMBERS_AND_SCORES.map(ascii))).toEqual(blob);
  });

  test("list node covering every integer width and the non-canonical strings", () => {
    const blob = readRdbString(REDIS_DUMPS.list, 3).bytes;
    const entries = decodeListpack(blob);
    expect(asText(entries)).toEqual([...LIST_ELEMENTS]);
    for (const nonCanonical of [21, 22, 23, 24, 25]) expect(entries[nonCanonical]).toBeInstanceOf(Uint8Array);
    expect(encodeListpack(LIST_ELEMENTS.map(ascii))).toEqual(blob);
  });

  test("the listpacks of sample-7.0.rdb (zset, hash, stream node, list node)", async () => {
    const file = new Uint8Array(await Bun.file(fixturePath("sample-7.0.rdb")).arrayBuffer());
    const zset = readRdbString(file, 0x5b).bytes;
    expect(asText(decodeListpack(zset))).toEqual(["a", "1", "b", "2.5"]);
    expect(encodeListpack(["a", "1", "b", "2.5"].map(ascii))).toEqual(zset);
    const hash = readRdbString(file, 0x76).bytes;
    expect(asText(decodeListpack(hash))).toEqual(["f1", "v1", "f2", "2"]);
    const stream = readRdbString(file, 0xb8).bytes;
    expect(asText(decodeListpack(stream))).toEqual(
      ["2", "0", "1", "f", "0", "2", "0", "0", "v", "4", "0", "0", "1", "1", "f2", "v2", "6"],
    );
    expect(encodeListpack(decodeListpack(stream))).toEqual(stream);
    const list = readRdbString(file, 0x148).bytes;
    expect(asText(decodeListpack(list))).toEqual(["a", "b", "1"]);
  });
});

describe("encodeListpack entry encodings", () => {
  test("empty listpack is the 7-byte header + terminator", () => {
    expect(toHex(encodeListpack([]))).toBe("0700000000" + "00ff");
    expect(decodeListpack(encodeListpack([]))).toEqual([]);
  });

  test("integer encodings at every width boundary, given as numbers, bigints or canonical strings", () => {
    const cases: Array<[bigint, string]> = [
      [0n, "0001"],
      [127n, "7f01"],
      [128n, "c08002"],
      [-1n, "dfff02"],
      [4095n, "cfff02"],
      [-4096n, "d00002"],
      [4096n, "f1001003"],
      [-4097n, "f1ffef03"],
      [32767n, "f1ff7f03"],
      [-32768n, "f1008003"],
      [32768n, "f200800004"],
      [-32769n, "f2ff7fff04"],
      [8388607n, "f2ffff7f04"],
      [-8388608n, "f200008004"],
      [8388608n, "f30000800005"],
      [-8388609n, "f3ffff7fff05"],
      [2147483647n, "f3ffffff7f05"],
      [-2147483648n, "f30000008005"],
      [2147483648n, "f4000000800000000009"],
      [-2147483649n, "f4ffffff7fffffffff09"],
      [2n ** 53n + 1n, "f4010000000000200009"],
      [INT64_MAX, "f4ffffffffffffff7f09"],
      [INT64_MIN, "f4000000000000008009"],
    ];
    for (const [value, expectedHex] of cases) {
      for (const input of [value, ascii(value.toString())]) {
        const [listpack, entryHex] = single(input);
        expect(entryHex).toBe(expectedHex);
        expect(decodeListpack(listpack)).toEqual([value]);
      }
      if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(single(Number(value))[1]).toBe(expectedHex);
      }
    }
  });

  test("every value in the 7-bit and 13-bit ranges round trips", () => {
    const values: bigint[] = [];
    for (let v = -4096; v <= 4095; v++) values.push(BigInt(v));
    const listpack = encodeListpack(values);
    expect(listpack.length).toBe(7 + 128 * 2 + (8192 - 128) * 3);
    expect(decodeListpack(listpack)).toEqual(values);
  });

  test("string encodings at length 0, 63, 64, 4095, 4096 and the backlen boundaries", () => {
    const cases: Array<[number, number, number]> = [
      // [string length, header bytes, backlen bytes]
      [0, 1, 1],
      [63, 1, 1],
      [64, 2, 1],
      [125, 2, 1], // entry 127 bytes: the last one-byte backlen
      [126, 2, 2], // entry 128
      [4095, 2, 2],
      [4096, 5, 2],
      [16377, 5, 2], // entry 16382
      [16378, 5, 3], // entry 16383: lpEncodeBacklen uses `l < 16383` for two bytes
      [2097145, 5, 3], // entry 2097150
      [2097146, 5, 4], // entry 2097151
    ];
    for (const [length, headerBytes, backlenBytes] of cases) {
      const value = new Uint8Array(length).fill(0x73); // "sss..." never parses as an integer
      const listpack = encodeListpack([value]);
      expect(listpack.length).toBe(6 + headerBytes + length + backlenBytes + 1);
      const decoded = decodeListpack(listpack);
      expect(decoded.length).toBe(1);
      expect(decoded[0]).toEqual(value);
    }
    expect(single(ascii("hello"))[1]).toBe("8568656c6c6f06");
    expect(single(new Uint8Array(64).fill(0x61))[1].slice(0, 4)).toBe("e040");
    expect(single(new Uint8Array(4096).fill(0x61))[1].slice(0, 10)).toBe("f000100000");
    // 200-byte entry: backlen 01 c8 (the spec's example)
    expect(single(new Uint8Array(198).fill(0x61))[1].slice(-4)).toBe("01c8");
  });

  test("strings that are not canonical integers stay strings", () => {
    for (const text of ["01", "-0", "+1", " 1", "1 ", "1.0", "0x10", "-", "", "9223372036854775808", "-9223372036854775809", "123456789012345678901"]) {
      const [listpack] = single(ascii(text));
      const decoded = decodeListpack(listpack)[0]!;
      expect(decoded).toBeInstanceOf(Uint8Array);
      expect(decoded).toEqual(ascii(text));
    }
  });

  test("binary strings survive byte for byte, including 0xFF and NUL", () => {
    const random = seededRandom(1);
    const values = [new Uint8Array([0xff]), new Uint8Array([0, 0xff, 0]), randomBytes(random, 300), new Uint8Array(70).fill(0xff)];
    const decoded = decodeListpack(encodeListpack(values));
    expect(decoded).toEqual(values);
  });

  test("decoded strings are copies, not views of the input", () => {
    const listpack = encodeListpack([ascii("abc")]);
    const decoded = decodeListpack(listpack)[0] as Uint8Array;
    listpack[7] = 0x7a;
    expect(decoded).toEqual(ascii("abc"));
    expect(decoded.buffer).not.toBe(listpack.buffer);
  });

  test("65535 or more elements: header count is 65535 and the decoder counts by walking", () => {
    for (const count of [65534, 65535, 70000]) {
      const values = Array.from({ length: count }, (_, i) => BigInt(i % 100));
      const listpack = encodeListpack(values);
      const headerCount = listpack[4]! | (listpack[5]! << 8);
      expect(headerCount).toBe(Math.min(count, 65535));
      expect(decodeListpack(listpack).length).toBe(count);
    }
  });

  test("mixed inputs and a subarray view decode", () => {
    const listpack = encodeListpack([ascii("x"), 5, -5n, ascii("55")]);
    const view = concat(new Uint8Array([9, 9]), listpack, new Uint8Array([9])).subarray(2, 2 + listpack.length);
    expect(decodeListpack(view)).toEqual([ascii("x"), 5n, -5n, 55n]);
  });

  test("non-integer numbers and out-of-range bigints are programming errors (RangeError)", () => {
    expect(() => encodeListpack([1.5])).toThrow(RangeError);
    expect(() => encodeListpack([Number.NaN])).toThrow(RangeError);
    expect(() => encodeListpack([2 ** 60])).toThrow(RangeError);
    expect(() => encodeListpack([INT64_MAX + 1n])).toThrow(RangeError);
    expect(() => encodeListpack([INT64_MIN - 1n])).toThrow(RangeError);
  });

  test("listpackEntryBytes: integers become their decimal text, strings are returned as is", () => {
    expect(listpackEntryBytes(-42n)).toEqual(ascii("-42"));
    expect(listpackEntryBytes(INT64_MIN)).toEqual(ascii("-9223372036854775808"));
    const bytes = ascii("v");
    expect(listpackEntryBytes(bytes)).toBe(bytes);
    const a = listpackEntryBytes(7n);
    a[0] = 0x30;
    expect(listpackEntryBytes(7n)).toEqual(ascii("7")); // fresh arrays, safe to keep and mutate
  });
});

describe("decodeListpack validation", () => {
  const valid = encodeListpack([ascii("ab"), 1000n, ascii("x".repeat(70))]);

  test("the base case decodes", () => {
    expect(decodeListpack(valid).length).toBe(3);
  });

  test("too short for a header", () => {
    for (const length of [0, 1, 6]) expectFormatError(() => decodeListpack(new Uint8Array(length).fill(0xff)), "shorter");
  });

  test("header total bytes must equal the blob size", () => {
    const tampered = valid.slice();
    tampered[0]! += 1;
    expectFormatError(() => decodeListpack(tampered), "header says");
    expectFormatError(() => decodeListpack(concat(valid, new Uint8Array([0xff]))), "header says");
  });

  test("missing 0xFF terminator", () => {
    const tampered = valid.slice();
    tampered[tampered.length - 1] = 0x00;
    expectFormatError(() => decodeListpack(tampered), "terminator");
  });

  test("unknown encoding bytes 0xF5..0xFE", () => {
    for (let encoding = 0xf5; encoding <= 0xfe; encoding++) {
      expectFormatError(() => decodeListpack(fixTotalHeader(hex(`000000000100${encoding.toString(16)}01ff`))), "unknown encoding");
    }
  });

  test("entries running past the end", () => {
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("00000000010085616202ff"))), "past the end"); // 5-byte string, 2 present
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100e1ff"))), "past the end"); // 12-bit length cut
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100f0ffffff7f00ff"))), "past the end"); // 32-bit string of 2 GB
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100f40102030405ff"))), "past the end");
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100c0ff"))), "past the end");
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("0000000001000aff"))), "past the end"); // backlen missing
  });

  test("backlen that does not match its entry", () => {
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100 0a02 ff"))), "backlen");
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100 826162 02 ff"))), "backlen");
    // A 200-byte entry's backlen is 01 c8; 00 c8 decodes to 72.
    const long = encodeListpack([new Uint8Array(198).fill(0x61)]);
    long[long.length - 3] = 0x00;
    expectFormatError(() => decodeListpack(long), "backlen");
  });

  test("a backlen that decodes to the entry size is accepted as lpPrev reads it (Redis's rule)", () => {
    // Entry of 200 bytes whose backlen is 81 c8 preceded by a 0x00 payload byte: lpDecodeBacklen
    // reads c8, then 81 (high bit: continue), then 00 (stop): 72 + 1*128 + 0 = 200.
    const payload = new Uint8Array(198).fill(0x61);
    payload[197] = 0x00;
    const listpack = encodeListpack([payload]);
    expect(toHex(listpack.subarray(listpack.length - 3, listpack.length - 1))).toBe("01c8");
    listpack[listpack.length - 3] = 0x81;
    expect(decodeListpack(listpack)).toEqual([payload]);
  });

  test("header element count must match unless it is 65535", () => {
    const tampered = valid.slice();
    tampered[4] = 2;
    expectFormatError(() => decodeListpack(tampered), "header says 2 elements");
    tampered[4] = 0xff;
    tampered[5] = 0xff;
    expect(decodeListpack(tampered).length).toBe(3);
  });

  test("0xFF before the end of the blob", () => {
    expectFormatError(() => decodeListpack(fixTotalHeader(hex("000000000100 0101 ff 0101 ff"))), "before the end");
  });

  test("fuzz: mutated and random listpacks only ever throw RdbFormatError", () => {
    const random = seededRandom(31337);
    const seeds = [
      valid,
      readRdbString(REDIS_DUMPS.hash, 1).bytes,
      readRdbString(REDIS_DUMPS.list, 3).bytes,
      encodeListpack([new Uint8Array(5000).fill(1), INT64_MIN, ascii("")]),
    ];
    let stillValid = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      let input: Uint8Array;
      if (trial % 10 === 0) input = fixTotalHeader(concat(hex("000000000000"), randomBytes(random, randomInt(random, 40)), hex("ff")));
      else {
        input = mutate(random, seeds[trial % seeds.length]!);
        if (trial % 2 === 0) input = fixTotalHeader(input);
      }
      if (decodesOrFormatError(() => decodeListpack(input))) stillValid++;
    }
    expect(stillValid).toBeGreaterThan(0);
  });

  test("fuzz: random entry lists round trip exactly", () => {
    const random = seededRandom(4242);
    for (let trial = 0; trial < 500; trial++) {
      const entries: Array<Uint8Array | bigint> = [];
      const count = randomInt(random, 40);
      for (let i = 0; i < count; i++) {
        switch (randomInt(random, 4)) {
          case 0:
            entries.push(BigInt.asIntN(64, BigInt(Math.floor((random() - 0.5) * 2 ** 53)) << BigInt(randomInt(random, 12))));
            break;
          case 1:
            entries.push(BigInt(randomInt(random, 20000) - 10000));
            break;
          case 2:
            entries.push(randomBytes(random, randomInt(random, 300)));
            break;
          default:
            entries.push(ascii(`f${randomInt(random, 1000)}`));
        }
      }
      const decoded = decodeListpack(encodeListpack(entries));
      // Random byte strings may happen to be canonical integers; compare as bytes.
      expect(decoded.map(listpackEntryBytes)).toEqual(entries.map(listpackEntryBytes));
    }
  });
});
