import { describe, expect, test } from "bun:test";
import { decodeIntset, encodeIntset } from "../../src/db/intset.ts";
import {
  REDIS_DUMPS,
  concat,
  decodesOrFormatError,
  expectFormatError,
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

describe("intset against bytes written by Redis 7.0.15", () => {
  test("int16, int32 and int64 intsets from DUMP decode and re-encode byte for byte", () => {
    const cases: Array<[Uint8Array, bigint[]]> = [
      [REDIS_DUMPS.intset16, [-32768n, 1n, 2n, 3n, 32767n]],
      [REDIS_DUMPS.intset32, [-2147483648n, 5n, 70000n]],
      [REDIS_DUMPS.intset64, [INT64_MIN, 7n, 2147483648n, INT64_MAX]],
    ];
    for (const [dump, values] of cases) {
      const blob = readRdbString(dump, 1).bytes;
      expect(decodeIntset(blob)).toEqual(values);
      expect(encodeIntset(values)).toEqual(blob);
    }
  });

  test("the intset in sample-7.0.rdb (SADD set 1 2 3)", async () => {
    const file = new Uint8Array(await Bun.file(fixturePath("sample-7.0.rdb")).arrayBuffer());
    const blob = readRdbString(file, 0x91).bytes;
    expect(toHex(blob)).toBe("0200000003000000010002000300");
    expect(decodeIntset(blob)).toEqual([1n, 2n, 3n]);
    expect(encodeIntset([1n, 2n, 3n])).toEqual(blob);
  });
});

describe("encodeIntset", () => {
  test("picks the narrowest width that holds the extremes", () => {
    const width = (values: bigint[]) => encodeIntset(values)[0];
    expect(width([-32768n, 32767n])).toBe(2);
    expect(width([32768n])).toBe(4);
    expect(width([-32769n, 0n])).toBe(4);
    expect(width([-2147483648n, 2147483647n])).toBe(4);
    expect(width([2147483648n])).toBe(8);
    expect(width([-2147483649n])).toBe(8);
    expect(width([INT64_MIN, INT64_MAX])).toBe(8);
  });

  test("layout: width, count, little-endian signed elements", () => {
    expect(toHex(encodeIntset([-1n, 256n]))).toBe("02000000" + "02000000" + "ffff" + "0001");
    expect(toHex(encodeIntset([-70000n]))).toBe("04000000" + "01000000" + "90eefeff");
    expect(toHex(encodeIntset([2n ** 40n]))).toBe("08000000" + "01000000" + "0000000000010000");
  });

  test("round trips random sorted sets of each width", () => {
    const random = seededRandom(9);
    for (const range of [30000, 2 ** 31 - 1, Number.MAX_SAFE_INTEGER]) {
      for (let trial = 0; trial < 50; trial++) {
        const set = new Set<bigint>();
        const count = 1 + randomInt(random, 600);
        for (let i = 0; i < count; i++) set.add(BigInt(Math.floor((random() * 2 - 1) * range)));
        const values = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(decodeIntset(encodeIntset(values))).toEqual(values);
      }
    }
  });

  test("refuses what Redis would never write: empty, unsorted, duplicate, out of int64", () => {
    expect(() => encodeIntset([])).toThrow(RangeError);
    expect(() => encodeIntset([2n, 1n])).toThrow(RangeError);
    expect(() => encodeIntset([1n, 1n])).toThrow(RangeError);
    expect(() => encodeIntset([INT64_MAX + 1n])).toThrow(RangeError);
    expect(() => encodeIntset([INT64_MIN - 1n, 0n])).toThrow(RangeError);
  });
});

describe("decodeIntset validation", () => {
  test("a wider encoding than needed is valid (Redis never narrows after SREM)", () => {
    expect(decodeIntset(hex("08000000 02000000 0100000000000000 0200000000000000"))).toEqual([1n, 2n]);
    expect(decodeIntset(hex("04000000 01000000 ffffffff"))).toEqual([-1n]);
  });

  test("header too short", () => {
    for (const length of [0, 4, 7]) expectFormatError(() => decodeIntset(new Uint8Array(length)), "shorter");
  });

  test("encoding other than 2, 4, 8", () => {
    for (const encoding of [0, 1, 3, 6, 16, 0x0200]) {
      const bytes = hex("00000000 01000000 0100");
      new DataView(bytes.buffer).setUint32(0, encoding, true);
      expectFormatError(() => decodeIntset(bytes), "encoding");
    }
  });

  test("size not matching header + count * width", () => {
    expectFormatError(() => decodeIntset(hex("02000000 02000000 0100")), "do not fill");
    expectFormatError(() => decodeIntset(hex("02000000 01000000 010002")), "do not fill");
    expectFormatError(() => decodeIntset(hex("08000000 ffffffff 0100000000000000")), "do not fill");
  });

  test("an empty intset is corrupt (intsetValidateIntegrity refuses it)", () => {
    expectFormatError(() => decodeIntset(hex("02000000 00000000")), "empty");
  });

  test("unsorted or duplicate elements", () => {
    expectFormatError(() => decodeIntset(hex("02000000 02000000 0200 0100")), "not greater");
    expectFormatError(() => decodeIntset(hex("02000000 02000000 0100 0100")), "not greater");
    expectFormatError(() => decodeIntset(hex("08000000 02000000 0000000000000000 ffffffffffffffff")), "not greater");
  });

  test("fuzz: mutated and random intsets only ever throw RdbFormatError", () => {
    const random = seededRandom(123);
    const seeds = [REDIS_DUMPS.intset16, REDIS_DUMPS.intset32, REDIS_DUMPS.intset64].map((d) => readRdbString(d, 1).bytes);
    let stillValid = 0;
    for (let trial = 0; trial < 10_000; trial++) {
      const input =
        trial % 5 === 0
          ? concat(hex(["02000000", "04000000", "08000000"][trial % 3]!), randomBytes(random, randomInt(random, 40)))
          : mutate(random, seeds[trial % seeds.length]!);
      if (decodesOrFormatError(() => decodeIntset(input))) stillValid++;
    }
    expect(stillValid).toBeGreaterThan(0);
  });
});
