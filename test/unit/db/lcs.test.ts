// Tests of src/db/lcs.ts against LCS replies of redis-server 7.0.15.
//
// When several longest common subsequences exist, Redis's walk-back picks one
// in particular and reports its runs from the end: the golden table pins both.
// The differential test replays random strings over small alphabets (where
// ties are everywhere) when redis-server is installed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lcs, lcsLength, lcsTableBytes, type LcsMatch } from "../../../src/db/lcs.ts";
import { Random } from "../../../src/util/random.ts";
import { RedisOracle, asLatin1, latin1, redisServerPath, type OracleReply } from "../util/redis-oracle.ts";

type MatchRow = [[number, number], [number, number], number];

// [a, b, MINMATCHLEN, LCS a b, LCS a b IDX MINMATCHLEN n WITHMATCHLEN matches]
const LCS_GOLDEN: [string, string, number, string, MatchRow[]][] = [
  ["ohmytext", "mynewtext", 0, "mytext", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]]],
  ["ohmytext", "mynewtext", 4, "mytext", [[[4, 7], [5, 8], 4]]],
  ["ohmytext", "mynewtext", 2, "mytext", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]]],
  ["", "abc", 0, "", []],
  ["abc", "", 0, "", []],
  ["abc", "abc", 0, "abc", [[[0, 2], [0, 2], 3]]],
  ["abc", "cba", 0, "c", [[[2, 2], [0, 0], 1]]],
  ["ab", "ba", 0, "b", [[[1, 1], [0, 0], 1]]],
  ["aab", "aba", 0, "ab", [[[1, 2], [0, 1], 2]]],
  ["abcabc", "cbacba", 0, "cbc", [[[5, 5], [3, 3], 1], [[4, 4], [1, 1], 1], [[2, 2], [0, 0], 1]]],
  ["xyzzy", "zyzxy", 1, "zzy", [[[4, 4], [4, 4], 1], [[3, 3], [2, 2], 1], [[2, 2], [0, 0], 1]]],
  ["\x00\xff\x00", "\xff\x00\xff", 0, "\xff\x00", [[[1, 2], [0, 1], 2]]],
  ["abababab", "babababa", 3, "bababab", [[[1, 7], [0, 6], 7]]],
  ["aaaa", "aa", 0, "aa", [[[2, 3], [0, 1], 2]]],
  ["abcd", "acbd", 0, "acd", [[[3, 3], [3, 3], 1], [[2, 2], [1, 1], 1], [[0, 0], [0, 0], 1]]],
  ["ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "GTCGTTCGGAATGCCGTTGCTCTGTAAA", 0, "GTCGTCGGAAGCCGGCCGAA", [[[27, 28], [26, 27], 2], [[26, 26], [23, 23], 1], [[25, 25], [21, 21], 1], [[23, 24], [18, 19], 2], [[19, 22], [12, 15], 4], [[14, 18], [6, 10], 5], [[9, 10], [3, 4], 2], [[4, 6], [0, 2], 3]]],
  ["ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "GTCGTTCGGAATGCCGTTGCTCTGTAAA", 3, "GTCGTCGGAAGCCGGCCGAA", [[[19, 22], [12, 15], 4], [[14, 18], [6, 10], 5], [[4, 6], [0, 2], 3]]],
];

function rows(matches: readonly LcsMatch[]): MatchRow[] {
  return matches.map((m) => [[m.a[0], m.a[1]], [m.b[0], m.b[1]], m.length]);
}

describe("lcs against Redis 7.0.15 answers", () => {
  test.each(LCS_GOLDEN)("LCS %j %j MINMATCHLEN %d", (a, b, minMatchLength, sequence, matches) => {
    const result = lcs(latin1(a), latin1(b), minMatchLength);
    expect(asLatin1(result.sequence)).toBe(sequence);
    expect(rows(result.matches)).toEqual(matches);
    expect(lcsLength(latin1(a), latin1(b))).toBe(sequence.length);
  });
});

describe("lcs details", () => {
  test("tables wider than 255 and 65535 entries keep exact lengths", () => {
    const a = latin1("ab".repeat(200));
    const b = latin1("ba".repeat(200));
    expect(lcs(a, b).sequence.length).toBe(399);
    expect(lcsLength(a, b)).toBe(399);
    const long = new Uint8Array(70000).fill(0x61);
    expect(lcsLength(long, latin1("aaa"))).toBe(3);
    expect(lcs(latin1("xaaay"), long.subarray(0, 300)).matches).toEqual([{ a: [1, 3], b: [0, 2], length: 3 }]);
  });

  test("lcsTableBytes is Redis's measure for the proto-max-bulk-len check", () => {
    // 11600-byte strings are refused by a default Redis: (11601^2) * 4 > 512 MB.
    expect(lcsTableBytes(11600, 11600)).toBeGreaterThan(512 * 1024 * 1024);
    expect(lcsTableBytes(11000, 11000)).toBeLessThanOrEqual(512 * 1024 * 1024);
    expect(lcsTableBytes(0, 0)).toBe(4);
  });
});

describe.skipIf(redisServerPath === null)("lcs differential against a live redis-server", () => {
  let oracle: RedisOracle;
  beforeAll(async () => {
    oracle = await RedisOracle.start();
  });
  afterAll(async () => {
    await oracle.stop();
  });

  test("random strings over 1-4 letter alphabets", async () => {
    const seed = Date.now() | 0;
    const random = new Random(seed);
    const randomString = (): Uint8Array => {
      const alphabet = 1 + random.nextInt(4);
      return Uint8Array.from({ length: random.nextInt(30) }, () => 0x61 + random.nextInt(alphabet));
    };
    const cases = Array.from({ length: 500 }, () => [randomString(), randomString(), random.nextInt(4)] as const);
    const replies = await oracle.pipeline(
      cases.flatMap(([a, b, minMatchLength]) => [
        ["MSET", "a", a, "b", b],
        ["LCS", "a", "b"],
        ["LCS", "a", "b", "IDX", "MINMATCHLEN", String(minMatchLength), "WITHMATCHLEN"],
      ]),
    );
    const mismatches: string[] = [];
    cases.forEach(([a, b, minMatchLength], i) => {
      const result = lcs(a, b, minMatchLength);
      const idx = replies[3 * i + 2] as OracleReply[];
      const realMatches = (idx[1] as bigint[][][]).map((m) => [
        [Number(m[0]![0]), Number(m[0]![1])],
        [Number(m[1]![0]), Number(m[1]![1])],
        Number(m[2]),
      ]);
      if (
        replies[3 * i + 1] !== asLatin1(result.sequence) ||
        idx[3] !== BigInt(result.sequence.length) ||
        JSON.stringify(realMatches) !== JSON.stringify(rows(result.matches))
      ) {
        mismatches.push(`seed ${seed}: LCS ${asLatin1(a)} ${asLatin1(b)} MINMATCHLEN ${minMatchLength}`);
      }
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});
