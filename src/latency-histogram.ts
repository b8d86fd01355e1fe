// Per-command latency histograms (latency-tracking): what LATENCY HISTOGRAM and INFO's
// Latencystats section report.
//
// Redis records each call's duration, in nanoseconds, into an HdrHistogram covering
// 1 ns to 1 s with 2 significant figures, and answers from its buckets: a percentile
// is the highest value of the bucket it falls in, and LATENCY HISTOGRAM walks the
// buckets at powers of two from 1024 ns. The figures users and exporters see are
// bucket boundaries, so this keeps the same bucket layout (HdrHistogram's: a "bucket"
// per power of two, each split into 128 sub-buckets, 256 for the first) and the same
// walks, and reports the same numbers for the same durations.

/** LATENCY_HISTOGRAM_MIN_VALUE and _MAX_VALUE, in ns; durations are clamped to them. */
const MIN_VALUE = 1;
const MAX_VALUE = 1_000_000_000;
/** 2 significant figures: 2 * 10^2 values need 8 bits of sub-bucket. */
const SUB_BUCKET_COUNT_MAGNITUDE = 8;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_COUNT_MAGNITUDE;
const SUB_BUCKET_HALF_COUNT = SUB_BUCKET_COUNT >> 1;
const SUB_BUCKET_MASK = SUB_BUCKET_COUNT - 1;
/** Buckets needed for MAX_VALUE: the first covers 256 values, each next one twice as many. */
const BUCKET_COUNT = (() => {
  let buckets = 1;
  for (let smallestUntrackable = SUB_BUCKET_COUNT; smallestUntrackable <= MAX_VALUE; smallestUntrackable *= 2) buckets++;
  return buckets;
})();
const COUNTS_LENGTH = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

// Values stay below 2^31 (MAX_VALUE is 1e9), so 32-bit operations hold them.
function bucketIndexOf(value: number): number {
  const pow2ceiling = 32 - Math.clz32(value | SUB_BUCKET_MASK);
  return pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
}

function countsIndexOf(value: number): number {
  const bucket = bucketIndexOf(value);
  const subBucket = value >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (subBucket - SUB_BUCKET_HALF_COUNT);
}

/** hdr_value_at_index: the lowest value a counts slot stands for. */
function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let subBucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    subBucket -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return subBucket * 2 ** bucket;
}

function lowestEquivalentValue(value: number): number {
  const bucket = bucketIndexOf(value);
  return (value >>> bucket) * 2 ** bucket;
}

function highestEquivalentValue(value: number): number {
  const bucket = bucketIndexOf(value);
  const subBucket = value >>> bucket;
  const range = 2 ** (subBucket >= SUB_BUCKET_COUNT ? bucket + 1 : bucket);
  return subBucket * 2 ** bucket + range - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LENGTH);
  totalCount = 0;

  /** hdr_record_value of a duration in ns, clamped to the tracked range. */
  record(nanoseconds: number): void {
    const value = nanoseconds < MIN_VALUE ? MIN_VALUE : nanoseconds > MAX_VALUE ? MAX_VALUE : Math.floor(nanoseconds);
    this.counts[countsIndexOf(value)]!++;
    this.totalCount++;
  }

  /** hdr_value_at_percentile, in ns: the bucket holding the percentile, by its highest value (lowest for p0). */
  valueAtPercentile(percentile: number): number {
    const requested = percentile < 100 ? percentile : 100;
    const countAtPercentile = Math.max(1, Math.floor((requested / 100) * this.totalCount + 0.5));
    let cumulative = 0;
    let value = 0;
    for (let index = 0; index < COUNTS_LENGTH; index++) {
      cumulative += this.counts[index]!;
      if (cumulative >= countAtPercentile) {
        value = valueAtIndex(index);
        break;
      }
    }
    return percentile === 0 ? lowestEquivalentValue(value) : highestEquivalentValue(value);
  }

  /**
   * LATENCY HISTOGRAM's cumulative distribution (fillCommandCDF over hdr_iter_log_init
   * from 1024 ns, base 2): at each power-of-two level, the microseconds of the highest
   * value of the slot the walk reached and the count up to it; levels that add nothing
   * are left out.
   */
  cumulativeDistribution(): Array<[micros: number, cumulativeCount: number]> {
    const out: Array<[number, number]> = [];
    let index = -1;
    let value = 0;
    let cumulative = 0;
    let level = 1024;
    let levelLowest = lowestEquivalentValue(level);
    let previousReported = 0;
    const moveNext = (): boolean => {
      index++;
      if (index >= COUNTS_LENGTH) return false;
      cumulative += this.counts[index]!;
      value = valueAtIndex(index);
      return true;
    };
    for (;;) {
      const more = cumulative < this.totalCount || (index + 1 < COUNTS_LENGTH && valueAtIndex(index + 1) > levelLowest);
      if (!more) break;
      let reached = true;
      while (value < levelLowest) {
        if (!moveNext()) {
          reached = false;
          break;
        }
      }
      if (!reached) {
        // The walk ran past the last slot: hdr reports the last slot once more.
        if (cumulative > previousReported) out.push([Math.floor(highestEquivalentValue(value) / 1000), cumulative]);
        break;
      }
      if (cumulative > previousReported) out.push([Math.floor(highestEquivalentValue(value) / 1000), cumulative]);
      previousReported = cumulative;
      level *= 2;
      levelLowest = lowestEquivalentValue(Math.min(level, 2 ** 31 - 1));
    }
    return out;
  }
}
