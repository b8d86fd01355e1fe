// C's rand()/srand() as glibc implements them (the TYPE_3 additive feedback generator
// of random_r.c: r[i] = r[i-3] + r[i-31] mod 2^32, output r[i] >> 1), for the places
// where Redis's output is drawn from rand() and a reader can tell the generator: LOLWUT's
// art. Redis seeds it once at start-up from time, pid and microseconds, so its draws
// cannot be predicted, but with the same seed Bunker draws the same art, which is what
// the LOLWUT test checks against a redis-server whose seed it recovers.
//
// Not for anything else: src/util/random.ts is faster and better.

export const RAND_MAX = 2147483647;

const DEGREE = 31; // the feedback register's length (TYPE_3)
const SEPARATION = 3; // r[i-3]
const DISCARD = DEGREE * 10; // draws glibc's srand throws away to mix the seed in

export class LibcRand {
  /** The register as a ring; `front` is glibc's fptr, `front - SEPARATION` its rptr. */
  private readonly state = new Int32Array(DEGREE);
  private front = 0;

  constructor(seed: number) {
    this.srand(seed);
  }

  /**
   * Seeded as Redis's main() seeds it (`time(NULL)^getpid()^tv.tv_usec`): whoever
   * wants the same sequence as a running redis-server has to find that seed.
   */
  static seededAsRedis(): LibcRand {
    const nowUs = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
    const seconds = Math.floor(nowUs / 1e6);
    const micros = nowUs % 1e6;
    return new LibcRand((seconds ^ process.pid ^ micros) >>> 0);
  }

  /** srand(seed): the register filled by the Park-Miller generator, then stirred. */
  srand(seed: number): void {
    const state = this.state;
    let word = seed | 0; // glibc keeps the unsigned seed in an int32_t
    if (word === 0) word = 1;
    state[0] = word;
    for (let i = 1; i < DEGREE; i++) {
      // Schrage's method for 16807 * word mod (2^31 - 1) without overflow, as glibc does;
      // C's division truncates toward zero, hence Math.trunc for a negative word.
      const hi = Math.trunc(word / 127773);
      const lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      state[i] = word;
    }
    this.front = SEPARATION;
    for (let i = 0; i < DISCARD; i++) this.rand();
  }

  /** rand(): 0 .. RAND_MAX. */
  rand(): number {
    const state = this.state;
    const front = this.front;
    const rear = front >= SEPARATION ? front - SEPARATION : front - SEPARATION + DEGREE;
    const value = (state[front]! + state[rear]!) | 0;
    state[front] = value;
    this.front = front + 1 === DEGREE ? 0 : front + 1;
    return value >>> 1;
  }
}
