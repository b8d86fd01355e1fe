// Fast non-cryptographic randomness for RANDOMKEY, SRANDMEMBER, SPOP,
// ZRANDMEMBER, HRANDFIELD and the active-expire sampler.
//
// xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit integer
// operations only, so it stays in JSC's int32 fast paths, and it can be seeded,
// which lets tests replay a sequence. Math.random would do for quality but
// cannot be seeded. Never use this for anything secret (see crypto for that).

const TWO_POW_32 = 4294967296;

function rotateLeft(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}

/** splitmix32: spreads one 32-bit seed over the four state words. */
function splitMix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) | 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Without a seed the generator starts from the OS's entropy. */
  constructor(seed?: number) {
    this.seed(seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!);
  }

  /** A generator in exactly this xoshiro128** state (for reference vectors and replays). */
  static fromState(state: readonly [number, number, number, number]): Random {
    const generator = new Random(0);
    generator.s0 = state[0] | 0;
    generator.s1 = state[1] | 0;
    generator.s2 = state[2] | 0;
    generator.s3 = state[3] | 0;
    if ((generator.s0 | generator.s1 | generator.s2 | generator.s3) === 0) generator.s0 = 1;
    return generator;
  }

  /** Restarts the sequence: the same seed always yields the same numbers. */
  seed(seed: number): void {
    const state = { value: seed | 0 };
    this.s0 = splitMix32(state);
    this.s1 = splitMix32(state);
    this.s2 = splitMix32(state);
    this.s3 = splitMix32(state);
    // An all-zero state would be stuck at zero forever.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * Uniform integer in [0, bound) for 1 <= bound <= 2^53. Unbiased up to 2^32
   * (rejection sampling); above that the 53-bit float method's bias is below
   * 2^-21 per value, irrelevant for sampling keys.
   */
  nextInt(bound: number): number {
    if (!(bound >= 1)) throw new RangeError(`nextInt bound must be >= 1, got ${bound}`);
    if (bound <= TWO_POW_32) {
      // Largest multiple of bound that fits in 32 bits: draws at or above it
      // would favour the small results.
      const limit = TWO_POW_32 - (TWO_POW_32 % bound);
      for (;;) {
        const draw = this.nextUint32();
        if (draw < limit) return draw % bound;
      }
    }
    return Math.floor(this.nextFloat() * bound);
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const swap = items[i]!;
      items[i] = items[j]!;
      items[j] = swap;
    }
    return items;
  }

  /**
   * `count` distinct indexes from [0, total) in random order (all of them,
   * shuffled, when count >= total). For SRANDMEMBER/ZRANDMEMBER/HRANDFIELD
   * with a positive count.
   */
  sampleDistinct(total: number, count: number): number[] {
    if (count <= 0 || total <= 0) return [];
    if (count >= total) return this.shuffle(Array.from({ length: total }, (_, i) => i));
    if (count * 4 >= total) {
      // Dense: a partial Fisher-Yates over all indexes.
      const indexes = Array.from({ length: total }, (_, i) => i);
      for (let i = 0; i < count; i++) {
        const j = i + this.nextInt(total - i);
        const swap = indexes[i]!;
        indexes[i] = indexes[j]!;
        indexes[j] = swap;
      }
      indexes.length = count;
      return indexes;
    }
    // Sparse: Floyd's algorithm touches only `count` indexes.
    const chosen = new Set<number>();
    for (let j = total - count; j < total; j++) {
      const candidate = this.nextInt(j + 1);
      chosen.add(chosen.has(candidate) ? j : candidate);
    }
    return this.shuffle([...chosen]);
  }
}

/** The process-wide generator. */
export const random = new Random();

/** Uniform integer in [0, bound) from the process-wide generator. */
export function randomInt(bound: number): number {
  return random.nextInt(bound);
}
