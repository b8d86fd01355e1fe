import { describe, expect, test } from "bun:test";
import { decodeZipmap } from "../../src/persistence/rdb/zipmap.ts";
import {
  ascii,
  buildZipmap,
  concat,
  decodesOrFormatError,
  expectFormatError,
  hex,
  latin1,
  mutate,
  randomBytes,
  randomInt,
  seededRandom,
} from "./rdb-primitives-helpers.ts";

function asText(pairs: Array<[Uint8Array, Uint8Array]>): string[][] {
  return pairs.map(([field, value]) => [Buffer.from(field).toString("latin1"), Buffer.from(value).toString("latin1")]);
}

describe("decodeZipmap", () => {
  test("the example from zipmap.c: foo => bar, hello => world", () => {
    const bytes = latin1("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff");
    expect(asText(decodeZipmap(bytes))).toEqual([
      ["foo", "bar"],
      ["hello", "world"],
    ]);
  });

  test("free bytes after a value are skipped", () => {
    const bytes = buildZipmap(
      [
        [ascii("a"), ascii("1")],
        [ascii("b"), ascii("")],
        [ascii("c"), ascii("333")],
      ],
      { free: (i) => [4, 2, 0][i]! },
    );
    expect(asText(decodeZipmap(bytes))).toEqual([
      ["a", "1"],
      ["b", ""],
      ["c", "333"],
    ]);
  });

  test("lengths of 253 (one byte) and 254+ (0xFE + u32 LE)", () => {
    const field253 = new Uint8Array(253).fill(0x66);
    const value254 = new Uint8Array(254).fill(0x76);
    const value70k = new Uint8Array(70000).fill(0x77);
    const bytes = buildZipmap([
      [field253, value254],
      [ascii("k"), value70k],
    ]);
    expect(bytes[1]).toBe(253);
    expect(Array.from(bytes.subarray(255, 260))).toEqual([0xfe, 254, 0, 0, 0]);
    const pairs = decodeZipmap(bytes);
    expect(pairs[0]).toEqual([field253, value254]);
    expect(pairs[1]).toEqual([ascii("k"), value70k]);
  });

  test("zmlen 254 means 'count by walking' (254 pairs or more)", () => {
    const pairs = Array.from({ length: 300 }, (_, i) => [ascii(`f${i}`), ascii(`v${i}`)] as const);
    const bytes = buildZipmap(pairs);
    expect(bytes[0]).toBe(254);
    expect(decodeZipmap(bytes).length).toBe(300);
    const few = buildZipmap([[ascii("a"), ascii("b")]], { headerCount: 254 });
    expect(decodeZipmap(few).length).toBe(1);
  });

  test("binary fields and values, returned as copies", () => {
    const field = new Uint8Array([0, 0xff, 0xfe]);
    const value = new Uint8Array([0xff]);
    const bytes = buildZipmap([[field, value]]);
    const pairs = decodeZipmap(bytes);
    expect(pairs).toEqual([[field, value]]);
    bytes.fill(0);
    expect(pairs[0]![1]).toEqual(new Uint8Array([0xff]));
  });

  test("bytes after the terminator are ignored, as zipmapValidateIntegrity does", () => {
    const bytes = concat(buildZipmap([[ascii("a"), ascii("b")]]), hex("0102ff"));
    expect(asText(decodeZipmap(bytes))).toEqual([["a", "b"]]);
  });

  test("a value length introduced by 0xFF takes the 5-byte form, as zipmap.c reads it", () => {
    const value = new Uint8Array(300).fill(0x31);
    const bytes = concat(hex("01 0161 ff2c010000 00"), value, hex("ff"));
    expect(decodeZipmap(bytes)).toEqual([[ascii("a"), value]]);
  });
});

describe("decodeZipmap validation", () => {
  test("too short or no terminator", () => {
    expectFormatError(() => decodeZipmap(new Uint8Array(0)), "too short");
    expectFormatError(() => decodeZipmap(hex("ff")), "too short");
    expectFormatError(() => decodeZipmap(hex("01 0161 0100 62")), "terminator");
  });

  test("empty zipmap is corrupt", () => {
    expectFormatError(() => decodeZipmap(hex("00ff")), "empty");
  });

  test("pair count must match zmlen unless zmlen is 254", () => {
    expectFormatError(() => decodeZipmap(buildZipmap([[ascii("a"), ascii("b")]], { headerCount: 2 })), "header says 2");
    expectFormatError(() => decodeZipmap(buildZipmap([[ascii("a"), ascii("b")]], { headerCount: 255 })), "header says 255");
  });

  test("duplicate fields (rdb.c: 'Hash zipmap with dup elements')", () => {
    const bytes = buildZipmap([
      [ascii("a"), ascii("1")],
      [ascii("a"), ascii("2")],
    ]);
    expectFormatError(() => decodeZipmap(bytes), "duplicate");
  });

  test("fields, values, free bytes and long lengths running past the end", () => {
    expectFormatError(() => decodeZipmap(hex("01 0561 ff")), "past the end");
    expectFormatError(() => decodeZipmap(hex("01 0161 0500 62ff")), "past the end");
    expectFormatError(() => decodeZipmap(hex("01 0161 01 ff")), "past the end");
    expectFormatError(() => decodeZipmap(hex("01 0161 0109 62 ff")), "past the end");
    expectFormatError(() => decodeZipmap(hex("01 fe0001 ff")), "past the end");
  });

  test("a short length written in the 5-byte form is refused (zipmapNext would misparse it)", () => {
    expectFormatError(() => decodeZipmap(hex("01 fe01000000 61 0100 62 ff")), "5-byte form");
  });

  test("fuzz: mutated and random zipmaps only ever throw RdbFormatError", () => {
    const random = seededRandom(2718);
    const seeds = [
      latin1("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff"),
      buildZipmap([[new Uint8Array(260).fill(1), ascii("x")], [ascii("y"), new Uint8Array(300).fill(2)]], { free: () => 1 }),
    ];
    let stillValid = 0;
    for (let trial = 0; trial < 10_000; trial++) {
      const input =
        trial % 5 === 0 ? concat(randomBytes(random, randomInt(random, 30)), hex("ff")) : mutate(random, seeds[trial % 2]!);
      if (decodesOrFormatError(() => decodeZipmap(input))) stillValid++;
    }
    expect(stillValid).toBeGreaterThan(0);
  });
});
