// The in-memory listpack (src/db/listpack.ts): random edits against an array model.
// After every edit the bytes must be exactly what a listpack built from scratch with the
// model's elements is (ListpackWriter, checked against Redis in rdb-primitives-vs-redis),
// and pass the deep validation Redis applies to loaded listpacks.
import { describe, expect, test } from "bun:test";
import {
  LP_AFTER,
  LP_BEFORE,
  LP_REPLACE,
  encodeListpack,
  lpAppend,
  lpBytes,
  lpCompareKey,
  lpDelete,
  lpDeleteRange,
  lpEntryEqualsBytes,
  lpEntryEqualsKey,
  lpFind,
  lpFirst,
  lpGetBytes,
  lpGetKey,
  lpInsert,
  lpLast,
  lpLength,
  lpNew,
  lpNext,
  lpPrepend,
  lpPrev,
  lpSeek,
  lpShrinkToFit,
  validateListpack,
} from "../../src/db/listpack.ts";
import { bytesToKey, keyToBytes } from "../../src/db/bytes.ts";
import { seededRandom } from "../helpers/random.ts";

/** Elements of every encoding: small and large integers, int64 edges, strings of 6-, 12- and 32-bit lengths. */
function randomElement(random: () => number): string {
  const kind = Math.floor(random() * 9);
  switch (kind) {
    case 0:
      return String(Math.floor(random() * 128));
    case 1:
      return String(Math.floor(random() * 8192) - 4096);
    case 2:
      return String(Math.floor(random() * 2 ** 31) - 2 ** 30);
    case 3:
      return ["9223372036854775807", "-9223372036854775808", "9007199254740993", "-0", "01", "+5"][Math.floor(random() * 6)]!;
    case 4:
      return "x".repeat(Math.floor(random() * 64));
    case 5:
      return String.fromCharCode(...Array.from({ length: 64 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
    case 6:
      return "y".repeat(4096 + Math.floor(random() * 100));
    default:
      return `field:${Math.floor(random() * 1000)}`;
  }
}

function offsetsOf(lp: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let p = lpFirst(lp); p !== -1; p = lpNext(lp, p)) offsets.push(p);
  return offsets;
}

function expectMatchesModel(lp: Uint8Array, model: string[]): void {
  const total = lpBytes(lp);
  expect(validateListpack(lp, 0, total)).toBe(model.length);
  expect(lp.subarray(0, total)).toEqual(encodeListpack(model.map(keyToBytes)));
  expect(lpLength(lp)).toBe(model.length);
  const forward = offsetsOf(lp);
  expect(forward.map((p) => lpGetKey(lp, p))).toEqual(model);
  const backward: number[] = [];
  for (let p = lpLast(lp); p !== -1; p = lpPrev(lp, p)) backward.push(p);
  expect(backward.reverse()).toEqual(forward);
}

describe("in-memory listpack", () => {
  test("random inserts, replaces and deletes match a model, byte for byte", () => {
    const random = seededRandom(16);
    for (let round = 0; round < 20; round++) {
      let lp = lpNew(random() < 0.5 ? 7 : 64);
      const model: string[] = [];
      for (let step = 0; step < 150; step++) {
        const action = random();
        const element = randomElement(random);
        const offsets = offsetsOf(lp);
        const index = Math.floor(random() * (model.length + 1));
        if (action < 0.25 || model.length === 0) {
          lp = random() < 0.5 ? lpAppend(lp, element) : lpAppend(lp, keyToBytes(element));
          model.push(element);
        } else if (action < 0.35) {
          lp = lpPrepend(lp, element);
          model.unshift(element);
        } else if (action < 0.5) {
          const at = Math.min(index, model.length - 1);
          const after = random() < 0.5;
          lp = lpInsert(lp, offsets[at]!, element, after ? LP_AFTER : LP_BEFORE);
          model.splice(after ? at + 1 : at, 0, element);
        } else if (action < 0.7) {
          const at = Math.min(index, model.length - 1);
          lp = lpInsert(lp, offsets[at]!, element, LP_REPLACE);
          model[at] = element;
        } else if (action < 0.9) {
          const at = Math.min(index, model.length - 1);
          lp = lpDelete(lp, offsets[at]!);
          model.splice(at, 1);
        } else {
          const at = Math.min(index, model.length - 1);
          const count = 1 + Math.floor(random() * 4);
          lp = lpDeleteRange(lp, offsets[at]!, count);
          model.splice(at, count);
        }
        expectMatchesModel(lp, model);
      }
      expectMatchesModel(lpShrinkToFit(lp), model);
      expect(lpShrinkToFit(lp).length).toBe(lpBytes(lp));
    }
  });

  test("LP_BEFORE and LP_AFTER put the element on each side of p", () => {
    let lp = lpNew();
    for (const element of ["a", "b", "c"]) lp = lpAppend(lp, element);
    lp = lpInsert(lp, lpSeek(lp, 1), "before-b", LP_BEFORE);
    lp = lpInsert(lp, lpSeek(lp, 2), "after-b", LP_AFTER);
    lp = lpInsert(lp, lpSeek(lp, -1), "999", LP_AFTER);
    expectMatchesModel(lp, ["a", "before-b", "b", "after-b", "c", "999"]);
  });

  test("lpSeek walks from either end; out of range is -1", () => {
    let lp = lpNew();
    const model = Array.from({ length: 41 }, (_, i) => (i % 3 === 0 ? String(i * 1000) : `e${i}`));
    for (const element of model) lp = lpAppend(lp, element);
    for (let i = -model.length; i < model.length; i++) expect(lpGetKey(lp, lpSeek(lp, i))).toBe(model.at(i)!);
    expect(lpSeek(lp, model.length)).toBe(-1);
    expect(lpSeek(lp, -model.length - 1)).toBe(-1);
    expect(lpSeek(lpNew(), 0)).toBe(-1);
    expect(lpFirst(lpNew())).toBe(-1);
    expect(lpLast(lpNew())).toBe(-1);
  });

  test("lpFind compares every (skip+1)-th entry, integers by value and strings by bytes", () => {
    let lp = lpNew();
    // field/value pairs where a value equals a later field: skip must not match it.
    for (const element of ["f1", "f2", "f2", "12", "12", "v", "-7", "f1"]) lp = lpAppend(lp, element);
    const first = lpFirst(lp);
    expect(lpGetKey(lp, lpFind(lp, first, "f2", 1))).toBe("f2");
    expect(lpFind(lp, first, "f2", 1)).toBe(lpSeek(lp, 2));
    expect(lpFind(lp, first, "12", 1)).toBe(lpSeek(lp, 4));
    expect(lpFind(lp, first, "-7", 1)).toBe(lpSeek(lp, 6));
    expect(lpFind(lp, first, "v", 1)).toBe(-1);
    expect(lpFind(lp, first, "v", 0)).toBe(lpSeek(lp, 5));
    expect(lpFind(lp, first, "012", 0)).toBe(-1);
    expect(lpFind(lp, -1, "f1", 0)).toBe(-1);
    // A string entry holding digits (as a listpack loaded from elsewhere may) matches its bytes.
    const loaded = new Uint8Array([0, 0, 0, 0, 1, 0, 0x82, 0x31, 0x32, 3, 0xff]);
    loaded[0] = loaded.length;
    expect(validateListpack(loaded)).toBe(1);
    expect(lpFind(loaded, lpFirst(loaded), "12", 0)).toBe(6);
    expect(lpEntryEqualsKey(lp, lpSeek(lp, 4), "12")).toBe(true);
    expect(lpEntryEqualsBytes(lp, lpSeek(lp, 4), keyToBytes("12"))).toBe(true);
    expect(lpEntryEqualsBytes(lp, lpSeek(lp, 4), keyToBytes("+12"))).toBe(false);
    expect(lpEntryEqualsBytes(lp, lpSeek(lp, 5), keyToBytes("v"))).toBe(true);
  });

  test("lpCompareKey is memcmp order of the entry's text, integers included", () => {
    let lp = lpNew();
    const elements = ["abc", "ab", "", "10", "9", "-1", "\xff", "abd"];
    for (const element of elements) lp = lpAppend(lp, element);
    const probes = ["", "a", "abc", "abcd", "1", "10", "9", "-", "\xfe", "\xff\x00"];
    elements.forEach((element, i) => {
      for (const probe of probes) {
        const expected = element < probe ? -1 : element > probe ? 1 : 0;
        expect(Math.sign(lpCompareKey(lp, lpSeek(lp, i), probe))).toBe(expected);
      }
    });
  });

  test("lpGetBytes copies; integers come back as their decimal text", () => {
    let lp = lpNew();
    lp = lpAppend(lp, -9223372036854775808n);
    lp = lpAppend(lp, 42);
    lp = lpAppend(lp, "text");
    const text = lpGetBytes(lp, lpSeek(lp, 2));
    text[0] = 0;
    expect(lpGetKey(lp, lpSeek(lp, 2))).toBe("text");
    expect(bytesToKey(lpGetBytes(lp, lpFirst(lp)))).toBe("-9223372036854775808");
    expect(bytesToKey(lpGetBytes(lp, lpSeek(lp, 1)))).toBe("42");
    expect(() => lpAppend(lp, 2 ** 53)).toThrow(RangeError);
    expect(() => lpAppend(lp, 2n ** 63n)).toThrow(RangeError);
  });

  test("64-bit integers written from numbers and from bigints are the same bytes", () => {
    const values = [2 ** 32, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 1733555555555, -1733555555555, 2 ** 32 + 5, -(2 ** 40) - 7];
    for (const value of values) {
      const fromNumber = lpAppend(lpNew(), value);
      const fromBigInt = lpAppend(lpNew(), BigInt(value));
      expect([...fromNumber]).toEqual([...fromBigInt]);
      expect(bytesToKey(lpGetBytes(fromNumber, lpFirst(fromNumber)))).toBe(String(value));
    }
  });

  test("a count past 65534 turns the header to unknown, and lpLength recounts once it fits again", () => {
    let lp = lpNew();
    for (let i = 0; i < 65536; i++) lp = lpAppend(lp, i & 127);
    expect(lp[4]! | (lp[5]! << 8)).toBe(65535);
    expect(lpLength(lp)).toBe(65536);
    lp = lpDeleteRange(lp, lpFirst(lp), 10);
    expect(lpLength(lp)).toBe(65526);
    expect(lp[4]! | (lp[5]! << 8)).toBe(65526);
    expect(validateListpack(lp, 0, lpBytes(lp))).toBe(65526);
  });
});
