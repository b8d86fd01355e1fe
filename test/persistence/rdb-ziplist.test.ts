import { describe, expect, test } from "bun:test";
import { listpackEntryBytes } from "../../src/db/listpack.ts";
import { decodeZiplist } from "../../src/persistence/rdb/ziplist.ts";
import {
  ascii,
  buildZiplist,
  concat,
  decodesOrFormatError,
  expectFormatError,
  fixTotalHeader,
  hex,
  mutate,
  randomBytes,
  randomInt,
  seededRandom,
  toHex,
} from "./rdb-primitives-helpers.ts";

function asText(bytes: Uint8Array): string[] {
  return decodeZiplist(bytes).map((entry) => Buffer.from(listpackEntryBytes(entry)).toString("latin1"));
}

describe("decodeZiplist", () => {
  test("the example from ziplist.c's header comment: [\"2\", \"5\"]", () => {
    // zlbytes 15, zltail 12, zllen 2, entries 00 f3 ("2" as immediate) and 02 f6 ("5"), end
    const bytes = hex("0f000000 0c000000 0200 00f3 02f6 ff");
    expect(decodeZiplist(bytes)).toEqual([2n, 5n]);
  });

  test("the example's second entry: 'Hello World' as a 6-bit string after a 2-byte entry", () => {
    const bytes = hex("1c000000 0e000000 0300 00f3 02f6 020b48656c6c6f20576f726c64 ff");
    expect(asText(bytes)).toEqual(["2", "5", "Hello World"]);
  });

  test("empty ziplist", () => {
    expect(decodeZiplist(hex("0b000000 0a000000 0000 ff"))).toEqual([]);
  });

  test("every integer encoding at its limits", () => {
    const values = [
      0n, 12n, 13n, -1n, 127n, -128n, 128n, -129n, 32767n, -32768n, 32768n, -32769n,
      8388607n, -8388608n, 8388608n, -8388609n, 2147483647n, -2147483648n, 2147483648n, -2147483649n,
      9223372036854775807n, -9223372036854775808n,
    ];
    const bytes = buildZiplist(values.map((v) => ascii(v.toString())));
    expect(decodeZiplist(bytes)).toEqual(values);
    // immediates 0..12 are the encoding byte alone: f1..fd
    expect(toHex(buildZiplist([ascii("0"), ascii("12")]).subarray(10, 14))).toBe("00f1" + "02fd");
    // 13 is an int8 (fe), 24-bit is f0, 16-bit c0, 32-bit d0, 64-bit e0
    expect(toHex(buildZiplist([ascii("13")]).subarray(11, 13))).toBe("fe0d");
    expect(toHex(buildZiplist([ascii("-8388608")]).subarray(11, 15))).toBe("f0000080");
    expect(toHex(buildZiplist([ascii("300")]).subarray(11, 14))).toBe("c02c01");
    expect(toHex(buildZiplist([ascii("-2147483648")]).subarray(11, 16))).toBe("d000000080");
    expect(toHex(buildZiplist([ascii("-2")]).subarray(11, 13))).toBe("fefe");
  });

  test("string encodings: 6-bit, 14-bit and 32-bit lengths", () => {
    const lengths = [0, 1, 63, 64, 255, 16383, 16384, 70000];
    const values = lengths.map((n) => new Uint8Array(n).fill(0x7a));
    expect(decodeZiplist(buildZiplist(values))).toEqual(values);
    // A 32-bit length can also be used for short strings.
    expect(decodeZiplist(buildZiplist([ascii("short"), ascii("1")], { forceLongStrings: true }))).toEqual([
      ascii("short"),
      ascii("1"),
    ]);
  });

  test("ziplist.c ignores the low 6 bits of a 32-bit string header (10xxxxxx), so do we", () => {
    const bytes = buildZiplist([ascii("abc")], { forceLongStrings: true, stringLengthLowBits: 0x15 });
    expect(bytes[11]).toBe(0x95);
    expect(decodeZiplist(bytes)).toEqual([ascii("abc")]);
  });

  test("5-byte prevlen after a large entry, and a 5-byte prevlen holding a small value", () => {
    const values = [new Uint8Array(300).fill(0x61), ascii("x"), ascii("77")];
    const bytes = buildZiplist(values);
    expect(asText(bytes)).toEqual(["a".repeat(300), "x", "77"]);
    const firstSize = 1 + 2 + 300;
    const second = 10 + firstSize;
    expect(toHex(bytes.subarray(second, second + 5))).toBe("fe2f010000");
    expect(decodeZiplist(buildZiplist(values, { forceLargePrevlen: true }))).toEqual(decodeZiplist(bytes));
  });

  test("decoded strings are copies; numbers that are not canonical stay strings", () => {
    const bytes = buildZiplist([ascii("007"), ascii("+5"), ascii("abc")]);
    const decoded = decodeZiplist(bytes);
    expect(decoded).toEqual([ascii("007"), ascii("+5"), ascii("abc")]);
    bytes.fill(0);
    expect(decoded[2]).toEqual(ascii("abc"));
  });

  test("zllen 65535 means 'count by walking'", () => {
    const elements = Array.from({ length: 70000 }, (_, i) => ascii(String(i % 300)));
    const bytes = buildZiplist(elements);
    expect(bytes[8]! | (bytes[9]! << 8)).toBe(65535);
    expect(decodeZiplist(bytes).length).toBe(70000);
    expect(decodeZiplist(buildZiplist([ascii("a")], { headerCount: 65535 }))).toEqual([ascii("a")]);
  });
});

describe("decodeZiplist validation", () => {
  const valid = buildZiplist([ascii("hello"), ascii("1000"), new Uint8Array(300).fill(1), ascii("-7")]);

  test("too short, wrong total, missing terminator", () => {
    expectFormatError(() => decodeZiplist(hex("0a000000 0a000000 0000")), "shorter");
    const wrongTotal = valid.slice();
    wrongTotal[0]! -= 1;
    expectFormatError(() => decodeZiplist(wrongTotal), "header says");
    const noEnd = valid.slice();
    noEnd[noEnd.length - 1] = 0;
    expectFormatError(() => decodeZiplist(noEnd), "terminator");
  });

  test("tail offset outside the blob or not at the last entry", () => {
    const outside = valid.slice();
    new DataView(outside.buffer).setUint32(4, valid.length, true);
    expectFormatError(() => decodeZiplist(outside), "outside");
    const wrong = valid.slice();
    new DataView(wrong.buffer).setUint32(4, 10, true);
    expectFormatError(() => decodeZiplist(wrong), "not the last entry");
  });

  test("prevlen that does not match the previous entry", () => {
    const tampered = valid.slice();
    tampered[10 + 7] = 5; // second entry's prevlen (first entry is 00 05 hello = 7 bytes)
    expectFormatError(() => decodeZiplist(tampered), "prevlen");
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 01f2 ff"))), "prevlen");
  });

  test("invalid integer encoding bytes", () => {
    for (const encoding of [0xc1, 0xcf, 0xd5, 0xe8, 0xff]) {
      const bytes = fixTotalHeader(hex(`00000000 0a000000 0100 00${encoding.toString(16)}0000000000000000 ff`));
      expect(decodesOrFormatError(() => decodeZiplist(bytes))).toBe(false);
    }
  });

  test("entries and lengths running past the end", () => {
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 000561 ff"))), "past the end");
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 0041 ff"))), "past the end");
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 0080000000 ff"))), "past the end");
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 00e00102 ff"))), "past the end");
    expectFormatError(() => decodeZiplist(fixTotalHeader(hex("00000000 0a000000 0100 fe0000 ff"))), "past the end");
  });

  test("count must match zllen", () => {
    const tampered = valid.slice();
    tampered[8] = 3;
    expectFormatError(() => decodeZiplist(tampered), "header says 3 elements");
  });

  test("0xFF in entry position before the end", () => {
    const bytes = fixTotalHeader(hex("00000000 0a000000 0100 00f2 ff 02f2 ff"));
    expectFormatError(() => decodeZiplist(bytes), "before the end");
  });

  test("fuzz: mutated and random ziplists only ever throw RdbFormatError", () => {
    const random = seededRandom(555);
    const seeds = [
      valid,
      buildZiplist([ascii("a"), ascii("12"), ascii("-9223372036854775808"), new Uint8Array(400).fill(9)]),
      buildZiplist([ascii("x")], { forceLargePrevlen: true, forceLongStrings: true }),
    ];
    let stillValid = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      let input: Uint8Array;
      if (trial % 10 === 0) {
        input = fixTotalHeader(concat(hex("00000000 0a000000 0100"), randomBytes(random, randomInt(random, 30)), hex("ff")));
      } else {
        input = mutate(random, seeds[trial % seeds.length]!);
        if (trial % 2 === 0) input = fixTotalHeader(input);
      }
      if (decodesOrFormatError(() => decodeZiplist(input))) stillValid++;
    }
    expect(stillValid).toBeGreaterThan(0);
  });
});
