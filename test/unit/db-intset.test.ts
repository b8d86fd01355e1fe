import { describe, expect, test } from "bun:test";
import {
  decodeIntset,
  encodeIntset,
  intsetAdd,
  intsetBlobLen,
  intsetEncoding,
  intsetFind,
  intsetGet,
  intsetLen,
  intsetNew,
  intsetRemove,
} from "../../src/db/intset.ts";
import { seededRandom } from "../helpers/random.ts";

/** The intset's bytes, header to last element. */
const blob = (is: Uint8Array): Uint8Array => is.subarray(0, intsetBlobLen(is));

describe("in-memory intset (intset.c)", () => {
  test("widens as intsetUpgradeAndAdd does and never narrows", () => {
    let is = intsetNew();
    is = intsetAdd(is, 5)!;
    is = intsetAdd(is, -3)!;
    expect(intsetEncoding(is)).toBe(2);
    expect(blob(is)).toEqual(encodeIntset([-3, 5]));
    is = intsetAdd(is, 40000)!; // appended at the back, everything widened to 32 bits
    expect(intsetEncoding(is)).toBe(4);
    expect(blob(is)).toEqual(encodeIntset([-3, 5, 40000]));
    is = intsetAdd(is, -(2n ** 40n))!; // prepended, 64 bits
    expect(intsetEncoding(is)).toBe(8);
    expect(decodeIntset(blob(is))).toEqual([-(2n ** 40n), -3n, 5n, 40000n]);
    expect(intsetRemove(is, -(2n ** 40n))).toBe(true);
    expect(intsetRemove(is, 40000)).toBe(true);
    expect(intsetEncoding(is)).toBe(8);
    expect(decodeIntset(blob(is))).toEqual([-3n, 5n]);
    expect(intsetAdd(is, 5)).toBeNull();
    expect(intsetRemove(is, 6)).toBe(false);
  });

  test("int64 bounds, and values past 2^53 as bigints", () => {
    let is = intsetNew();
    const values = [-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    for (const value of [...values].reverse()) is = intsetAdd(is, value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value)!;
    const read: bigint[] = [];
    for (let i = 0; i < intsetLen(is); i++) read.push(BigInt(intsetGet(is, i)));
    expect(read).toEqual(values);
    expect(typeof intsetGet(is, 2)).toBe("number");
    expect(intsetFind(is, 2n ** 63n - 1n)).toBe(true);
    expect(intsetFind(is, 2n ** 53n)).toBe(false);
    expect(blob(is)).toEqual(encodeIntset(values));
  });

  for (const seed of [1, 2, 3]) {
    test(`random adds and removes agree with a sorted array; bytes are the widest width's layout (seed ${seed})`, () => {
      const random = seededRandom(seed);
      let is = intsetNew();
      const reference = new Set<number>();
      let widest = 2;
      for (let step = 0; step < 3000; step++) {
        const scale = [200, 70000, 2 ** 40][Math.floor(random() * 3)]!;
        const value = Math.floor((random() - 0.5) * 2 * scale);
        if (random() < 0.6) {
          const next = intsetAdd(is, value);
          expect(next === null).toBe(reference.has(value));
          if (next !== null) is = next;
          reference.add(value);
          widest = Math.max(widest, value >= -32768 && value <= 32767 ? 2 : value >= -(2 ** 31) && value < 2 ** 31 ? 4 : 8);
        } else {
          expect(intsetRemove(is, value)).toBe(reference.delete(value));
        }
        expect(intsetEncoding(is)).toBe(widest);
        expect(intsetLen(is)).toBe(reference.size);
        if (step % 100 === 0) {
          const sorted = [...reference].sort((a, b) => a - b);
          const read: number[] = [];
          for (let i = 0; i < intsetLen(is); i++) read.push(Number(intsetGet(is, i)));
          expect(read).toEqual(sorted);
          for (const probe of sorted.slice(0, 20)) expect(intsetFind(is, probe)).toBe(true);
        }
      }
    });
  }
});
