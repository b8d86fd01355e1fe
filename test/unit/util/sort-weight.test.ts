// parseSortWeight: SORT's strtod-based reading of weights. Which texts Redis 7.0.15
// accepts was checked against the real server (SORT on a list holding the text, each
// on a fresh connection: see test/integration/sort.test.ts); the values are strtod's.

import { describe, expect, test } from "bun:test";
import { parseSortWeight } from "../../../src/util/float.ts";

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));

describe("parseSortWeight", () => {
  test("accepts what strtod converts completely", () => {
    const accepted: Array<[string, number]> = [
      ["3", 3],
      ["-5", -5],
      ["2.5", 2.5],
      ["1e2", 100],
      ["0x10", 16],
      ["  7", 7],
      ["\t\n8", 8],
      ["+3", 3],
      [".5", 0.5],
      ["5.", 5],
      ["-0", -0],
      ["inf", Infinity],
      ["-Infinity", -Infinity],
      ["1e308", 1e308],
      ["0e-400", 0],
      ["2.2250738585072014e-308", 2.2250738585072014e-308],
      ["0x1p-1074", 2 ** -1074],
      ["0x1.8p-1070", 1.5 * 2 ** -1070],
      ["", 0],
      ["\x00", 0],
      ["1\x00garbage", 1],
    ];
    for (const [text, value] of accepted) expect([text, parseSortWeight(bytes(text))]).toEqual([text, value]);
  });

  test("refuses leftovers, NaN and ERANGE results", () => {
    const refused = ["5 ", " ", "abc", "1.5.5", "0x", "0x1g", "nan", "NaN", "1e400", "-1e400", "0x1p2000", "1e-310", "-1e-310", "4.9e-324", "2.2250738585072011e-308", "0x1.00000000000000000000000000001p-1074"];
    for (const text of refused) expect([text, parseSortWeight(bytes(text))]).toEqual([text, null]);
  });
});
