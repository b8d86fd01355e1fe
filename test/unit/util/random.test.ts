// Tests of src/util/random.ts: the xoshiro128** reference sequence, bounds,
// uniformity (a loose chi-squared so the test cannot flake) and sampling.

import { describe, expect, test } from "bun:test";
import { Random, random, randomInt } from "../../../src/util/random.ts";

describe("Random", () => {
  test("reproduces the xoshiro128** reference output from state {1, 2, 3, 4}", () => {
    // Published with Blackman & Vigna's xoshiro128starstar.c (also rand_xoshiro's test vector).
    const generator = Random.fromState([1, 2, 3, 4]);
    const outputs = Array.from({ length: 10 }, () => generator.nextUint32());
    expect(outputs).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  test("the same seed replays the same sequence, another seed does not", () => {
    const first = new Random(42);
    const second = new Random(42);
    const third = new Random(43);
    const a = Array.from({ length: 20 }, () => first.nextUint32());
    expect(Array.from({ length: 20 }, () => second.nextUint32())).toEqual(a);
    expect(Array.from({ length: 20 }, () => third.nextUint32())).not.toEqual(a);
    first.seed(42);
    expect(first.nextUint32()).toBe(a[0]!);
  });

  test("nextFloat is in [0, 1) and nextInt in [0, bound)", () => {
    const generator = new Random(7);
    for (let i = 0; i < 10000; i++) {
      const f = generator.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      const n = generator.nextInt(3);
      expect(n === 0 || n === 1 || n === 2).toBe(true);
      const big = generator.nextInt(2 ** 40 + 3);
      expect(Number.isInteger(big) && big >= 0 && big < 2 ** 40 + 3).toBe(true);
    }
    expect(generator.nextInt(1)).toBe(0);
    expect(() => generator.nextInt(0)).toThrow(RangeError);
  });

  test("nextInt is uniform (chi-squared over 10 buckets, far from the 0.1% tail)", () => {
    const generator = new Random(12345);
    const buckets = new Array<number>(10).fill(0);
    const draws = 100000;
    for (let i = 0; i < draws; i++) buckets[generator.nextInt(10)]!++;
    const expected = draws / 10;
    const chiSquared = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: the 99.9th percentile is 27.9.
    expect(chiSquared).toBeLessThan(27.9);
  });

  test("sampleDistinct gives distinct in-range indexes, all of them when asked for more", () => {
    const generator = new Random(99);
    for (const [total, count] of [
      [10, 3],
      [10, 8],
      [1000, 5],
      [5, 5],
      [5, 50],
      [0, 3],
      [7, 0],
    ] as const) {
      const sample = generator.sampleDistinct(total, count);
      expect(sample.length).toBe(Math.min(total, Math.max(count, 0)));
      expect(new Set(sample).size).toBe(sample.length);
      for (const index of sample) expect(index >= 0 && index < total).toBe(true);
    }
  });

  test("sampleDistinct picks every index about equally often", () => {
    const generator = new Random(2024);
    for (const count of [2, 6]) {
      // count 2 of 10 takes Floyd's path, 6 of 10 the partial shuffle.
      const hits = new Array<number>(10).fill(0);
      const rounds = 20000;
      for (let round = 0; round < rounds; round++) for (const index of generator.sampleDistinct(10, count)) hits[index]!++;
      const expected = (rounds * count) / 10;
      for (const h of hits) expect(Math.abs(h - expected) / expected).toBeLessThan(0.05);
    }
  });

  test("shuffle permutes in place", () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new Random(5).shuffle([...items]);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
  });

  test("the shared generator and randomInt work", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(randomInt(4));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(random.nextFloat()).toBeLessThan(1);
  });
});
