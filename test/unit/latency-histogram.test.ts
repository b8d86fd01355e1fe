// The per-command latency histogram: HdrHistogram's buckets (1 ns .. 1 s, 2 significant
// figures) and the two walks Redis reports from. The expected figures are worked out by
// hand from the bucket layout, and match what redis-server prints for such durations
// (LATENCY HISTOGRAM's documented example reports levels 1, 2, 4, 8, 16, 33 µs).
import { describe, expect, test } from "bun:test";
import { LatencyHistogram } from "../../src/latency-histogram.ts";

function histogramOf(values: Array<[nanoseconds: number, times: number]>): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const [value, times] of values) for (let i = 0; i < times; i++) histogram.record(value);
  return histogram;
}

describe("LatencyHistogram", () => {
  test("a percentile is the highest value of its bucket (the lowest for p0)", () => {
    const histogram = histogramOf([
      [1000, 99],
      [5000, 1],
    ]);
    // 1000 ns lies in [1000, 1003]; 5000 ns in [4992, 5023].
    expect(histogram.valueAtPercentile(50)).toBe(1003);
    expect(histogram.valueAtPercentile(99)).toBe(1003);
    expect(histogram.valueAtPercentile(99.9)).toBe(5023);
    expect(histogram.valueAtPercentile(100)).toBe(5023);
    expect(histogram.valueAtPercentile(0)).toBe(1000);
    expect(histogram.totalCount).toBe(100);
  });

  test("durations are clamped to 1 ns .. 1 s", () => {
    const histogram = histogramOf([
      [0, 1],
      [5e9, 1],
    ]);
    expect(histogram.valueAtPercentile(0)).toBe(1);
    // 1e9 ns lies in a bucket of 2^22 values starting at 998244352.
    expect(histogram.valueAtPercentile(100)).toBe(998244352 + 2 ** 22 - 1);
  });

  test("the cumulative distribution reports power-of-two levels from 1024 ns that add calls", () => {
    const histogram = histogramOf([
      [1000, 5],
      [2000, 3],
      [3000, 2],
      [20_000, 1],
      [33_000, 1],
    ]);
    expect(histogram.cumulativeDistribution()).toEqual([
      [1, 5],
      [2, 8],
      [4, 10],
      [33, 12],
    ]);
    expect(new LatencyHistogram().cumulativeDistribution()).toEqual([]);
  });
});
