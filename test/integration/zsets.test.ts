// Sorted set commands compared byte for byte with the real Redis 7.0: replies, errors,
// the dirty counter after every command, keyspace events, OBJECT ENCODING, RESP3, and
// multi-client blocking scenarios (BZPOPMIN/BZPOPMAX/BZMPOP).

import { describe, expect, test } from "bun:test";
import { both, haveRedis, dirtyOf, usePair } from "../helpers/differential.ts";
import { runScenario, type Step } from "../helpers/scenario.ts";
import { RawClient } from "../helpers/server.ts";

type Arg = string | Uint8Array;


const pair = usePair();

const d = haveRedis ? describe : describe.skip;

function describeArgs(args: Arg[]): string {
  return JSON.stringify(args.map((a) => (typeof a === "string" ? a : `<hex ${Buffer.from(a).toString("hex")}>`)));
}

/**
 * Runs each command on both servers; returns one line per reply that differs and per
 * command whose dirty-counter increment differs from Redis's. Empty when all match.
 */
async function compare(script: Arg[][]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const command of script) {
    const before = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
    const [ours, theirs] = await Promise.all([pair().b.callRaw(...command), pair().r.callRaw(...command)]);
    const after = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
    if (ours !== theirs) mismatches.push(`${describeArgs(command)}\n   bunker: ${JSON.stringify(ours)}\n   redis:  ${JSON.stringify(theirs)}`);
    const ourDelta = after[0] - before[0];
    const theirDelta = after[1] - before[1];
    if (ourDelta !== theirDelta) mismatches.push(`${describeArgs(command)}: dirty +${ourDelta}, Redis +${theirDelta}`);
  }
  return mismatches;
}

async function resetBoth(): Promise<void> {
  await both(pair(), "FLUSHALL");
  await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64", "notify-keyspace-events", "");
}

/** HELLO replies differ (server name, version): switch protocol without comparing. */
async function useResp(version: 2 | 3): Promise<void> {
  await both(pair(), "HELLO", String(version));
}

const ENCODINGS = [
  { name: "listpack", entries: "128" },
  { name: "skiplist", entries: "0" },
] as const;

// ---- writes and point reads -----------------------------------------------------------------

d("ZADD, ZINCRBY, ZREM and point reads match Redis", () => {
  test("ZADD options, flag conflicts and errors", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
      ["ZADD", "z", "1", "a"],
      ["ZADD", "z", "5", "a", "6", "d"],
      ["ZADD", "z", "CH", "5", "a", "7", "b", "8", "e"],
      ["ZADD", "z", "NX", "100", "a", "9", "f"],
      ["ZADD", "z", "XX", "100", "a", "9", "nope"],
      ["ZADD", "z", "XX", "CH", "101", "a", "9", "nope"],
      ["ZADD", "z", "GT", "CH", "50", "a", "200", "b", "1", "new1"],
      ["ZADD", "z", "LT", "CH", "500", "a", "0", "b"],
      ["ZADD", "z", "GT", "XX", "CH", "1000", "a", "1000", "ghost"],
      ["ZADD", "z", "nx", "xx", "1", "a"],
      ["ZADD", "z", "GT", "LT", "1", "a"],
      ["ZADD", "z", "GT", "NX", "1", "a"],
      ["ZADD", "z", "LT", "NX", "1", "a"],
      ["ZADD", "z", "INCR", "1", "a", "2", "b"],
      ["ZADD", "z", "1", "a", "2"],
      ["ZADD", "z", "NX"],
      ["ZADD", "z", "NX", "1"],
      ["ZADD", "z", "CH", "CH"],
      ["ZADD", "z", "abc", "a"],
      ["ZADD", "z", "1", "a", "nan", "b"],
      ["ZADD", "z", "NaN", "a"],
      ["ZADD", "z", " 1", "a"],
      ["ZADD", "z", "1 ", "a"],
      ["ZADD", "z", "", "a"],
      ["ZADD", "z", "1e400", "a"],
      ["ZADD", "z", "1e-400", "a"],
      ["ZADD", "z", "0x10", "hex"],
      ["ZADD", "z", "inf", "pinf", "-inf", "ninf", "+inf", "pinf2", "-Infinity", "ninf2"],
      ["ZADD", "z", "1.5", "f1", "-2.25", "f2", ".5", "f3", "1e3", "f4", "0.1", "f5"],
      ["ZADD", "z", "XX", "1", "a", "2"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["ZADD", "z", "INCR", "5", "a"],
      ["ZADD", "z", "INCR", "NX", "5", "a"],
      ["ZADD", "z", "INCR", "XX", "5", "missing"],
      ["ZADD", "z", "INCR", "GT", "-1", "a"],
      ["ZADD", "z", "INCR", "LT", "-1", "a"],
      ["ZADD", "z", "INCR", "GT", "0", "a"],
      ["ZADD", "z", "INCR", "CH", "2.5", "brand"],
      ["ZADD", "z", "INCR", "-inf", "pinf"],
      ["ZADD", "z", "INCR", "inf", "pinf"],
      ["ZADD", "missing", "XX", "1", "a"],
      ["ZADD", "missing", "XX", "INCR", "1", "a"],
      ["EXISTS", "missing"],
      ["SET", "str", "x"],
      ["ZADD", "str", "1", "a"],
      ["ZADD", "str", "x", "a"],
      ["ZADD", "z"],
      ["ZADD", "z", "1"],
      ["ZCARD", "z"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK", async () => {
    await resetBoth();
    const binary = new Uint8Array([0, 255, 10, 13, 128]);
    const script: Arg[][] = [
      ["ZINCRBY", "z", "1.5", "a"],
      ["ZINCRBY", "z", "1.5", "a"],
      ["ZINCRBY", "z", "-3", "a"],
      ["ZINCRBY", "z", "abc", "a"],
      ["ZINCRBY", "z", "nx", "a"],
      ["ZINCRBY", "z", "inf", "i"],
      ["ZINCRBY", "z", "-inf", "i"],
      ["ZINCRBY", "z", "0.1", "f"],
      ["ZINCRBY", "z", "0.2", "f"],
      ["ZADD", "z", "2", "b", "3", "c", "3", "cc", "-1", binary],
      ["ZSCORE", "z", "f"],
      ["ZSCORE", "z", binary],
      ["ZSCORE", "z", "nope"],
      ["ZSCORE", "missing", "a"],
      ["ZMSCORE", "z", "a", "nope", "f", "i", binary],
      ["ZMSCORE", "missing", "a", "b"],
      ["ZRANK", "z", "c"],
      ["ZRANK", "z", "cc"],
      ["ZRANK", "z", binary],
      ["ZREVRANK", "z", "c"],
      ["ZREVRANK", "z", "i"],
      ["ZRANK", "z", "nope"],
      ["ZRANK", "missing", "a"],
      ["ZREVRANK", "missing", "a"],
      ["ZCARD", "z"],
      ["ZCARD", "missing"],
      ["ZREM", "z", "a", "nope", "a", "b"],
      ["ZREM", "z", "nope"],
      ["ZREM", "missing", "a"],
      ["ZREM", "z", "c", "cc", "i", "f", binary, "again"],
      ["EXISTS", "z"],
      ["SET", "str", "x"],
      ["ZINCRBY", "str", "1", "a"],
      ["ZREM", "str", "a"],
      ["ZCARD", "str"],
      ["ZSCORE", "str", "a"],
      ["ZMSCORE", "str", "a"],
      ["ZRANK", "str", "a"],
      ["ZREVRANK", "str", "a"],
      ["ZINCRBY", "z", "1"],
      ["ZMSCORE", "z"],
      ["ZRANK", "z", "a", "WITHSCORE"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("scores print as Redis prints doubles", async () => {
    await resetBoth();
    const scores = [
      "1.1", "0.1", "0.3", "-0.5", "1e17", "1e16", "123456789012345678", "1e-5", "0.0001", "2.5e-310",
      "1.7976931348623157e308", "-1.7976931348623157e308", "4.9e-324", "3.0", "-0", "0", "9007199254740993",
      "4611686018427387904", "5e18", "1e21", "0.30000000000000004", "100.125", "33.333333333333336",
    ];
    const script: Arg[][] = [];
    for (const [index, score] of scores.entries()) {
      script.push(["ZADD", "z", score, `m${index}`], ["ZSCORE", "z", `m${index}`]);
    }
    script.push(["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZINCRBY", "z", "0.1", "m1"], ["ZINCRBY", "z", "1e-300", "m0"]);
    expect(await compare(script)).toEqual([]);
  });
});

// ---- ranges ----------------------------------------------------------------------------------------

function populateRanges(): Arg[][] {
  return [
    ["ZADD", "z", "-inf", "ninf", "1", "a", "2", "b", "2", "bb", "3", "c", "4.5", "d", "10", "e", "inf", "pinf"],
    ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g", "0", "aa", "0", "\u00ff"],
    ["SET", "str", "x"],
  ];
}

d("range reads match Redis", () => {
  for (const encoding of ENCODINGS) {
    test(`ZRANGE by rank, ZREVRANGE (${encoding.name})`, async () => {
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const script: Arg[][] = [
        ...populateRanges(),
        ["OBJECT", "ENCODING", "z"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGE", "z", "2", "4", "withscores"],
        ["ZRANGE", "z", "-3", "-1"],
        ["ZRANGE", "z", "-100", "100"],
        ["ZRANGE", "z", "5", "2"],
        ["ZRANGE", "z", "100", "200"],
        ["ZRANGE", "z", "-1", "-100"],
        ["ZRANGE", "z", "0", "0"],
        ["ZRANGE", "z", "0", "-1", "REV"],
        ["ZRANGE", "z", "1", "3", "REV", "WITHSCORES"],
        ["ZRANGE", "z", "0", "9223372036854775807"],
        ["ZRANGE", "z", "0", "99999999999999999999"],
        ["ZRANGE", "z", "a", "1"],
        ["ZRANGE", "z", "0", "1.5"],
        ["ZRANGE", "z", "0", "-1", "REV", "REV"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "2"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"],
        ["ZRANGE", "z", "0", "-1", "LIMIT", "0"],
        ["ZRANGE", "z", "0", "-1", "FOO"],
        ["ZRANGE", "missing", "0", "-1"],
        ["ZRANGE", "str", "0", "-1"],
        ["ZREVRANGE", "z", "0", "-1"],
        ["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        ["ZREVRANGE", "z", "-2", "-1"],
        ["ZREVRANGE", "z", "0", "-1", "REV"],
        ["ZREVRANGE", "z", "0", "-1", "BYSCORE"],
        ["ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"],
        ["ZREVRANGE", "missing", "0", "-1"],
      ];
      expect(await compare(script)).toEqual([]);
    });

    test(`score ranges: ZRANGE BYSCORE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZCOUNT (${encoding.name})`, async () => {
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const script: Arg[][] = [
        ...populateRanges(),
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE"],
        ["ZRANGE", "z", "(1", "(10", "BYSCORE", "WITHSCORES"],
        ["ZRANGE", "z", "2", "2", "BYSCORE"],
        ["ZRANGE", "z", "(2", "2", "BYSCORE"],
        ["ZRANGE", "z", "5", "1", "BYSCORE"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV"],
        ["ZRANGE", "z", "10", "(2", "BYSCORE", "REV", "WITHSCORES"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "3"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "0"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "8", "2"],
        ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "100", "2"],
        ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
        ["ZRANGE", "z", "1", "10", "BYSCORE", "LIMIT", "0", "1", "LIMIT", "1", "1"],
        ["ZRANGE", "z", "1", "10", "BYSCORE", "BYSCORE"],
        ["ZRANGE", "z", "1", "10", "BYSCORE", "BYLEX"],
        ["ZRANGE", "z", "1", "10", "BYSCORE", "LIMIT", "x", "1"],
        ["ZRANGE", "z", "1", "10", "BYSCORE", "LIMIT", "0", "x"],
        ["ZRANGE", "z", "x", "10", "BYSCORE"],
        ["ZRANGE", "z", "1", "nan", "BYSCORE"],
        ["ZRANGE", "z", "((1", "10", "BYSCORE"],
        ["ZRANGE", "z", "", "10", "BYSCORE"],
        ["ZRANGE", "z", "(", "10", "BYSCORE"],
        ["ZRANGE", "z", " 1", "10", "BYSCORE"],
        ["ZRANGE", "z", "1e999", "inf", "BYSCORE"],
        ["ZRANGE", "z", "0x2", "0x4", "BYSCORE"],
        ["ZRANGE", "missing", "0", "1", "BYSCORE"],
        ["ZRANGE", "str", "0", "1", "BYSCORE"],
        ["ZRANGE", "str", "x", "1", "BYSCORE"],
        ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
        ["ZRANGEBYSCORE", "z", "2", "(4.5", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "2", "10", "LIMIT", "1", "2"],
        ["ZRANGEBYSCORE", "z", "2", "10", "WITHSCORES", "LIMIT", "1", "2"],
        ["ZRANGEBYSCORE", "z", "2", "10", "REV"],
        ["ZRANGEBYSCORE", "z", "2", "10", "BYSCORE"],
        ["ZRANGEBYSCORE", "z", "2", "10", "LIMIT"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"],
        ["ZREVRANGEBYSCORE", "z", "10", "2", "WITHSCORES", "LIMIT", "1", "10"],
        ["ZREVRANGEBYSCORE", "z", "2", "10"],
        ["ZREVRANGEBYSCORE", "z", "(10", "(2"],
        ["ZREVRANGEBYSCORE", "missing", "10", "2"],
        ["ZCOUNT", "z", "-inf", "+inf"],
        ["ZCOUNT", "z", "(1", "(10"],
        ["ZCOUNT", "z", "2", "2"],
        ["ZCOUNT", "z", "(2", "2"],
        ["ZCOUNT", "z", "10", "1"],
        ["ZCOUNT", "z", "x", "1"],
        ["ZCOUNT", "z", "1", "x"],
        ["ZCOUNT", "missing", "1", "2"],
        ["ZCOUNT", "missing", "x", "2"],
        ["ZCOUNT", "str", "1", "2"],
      ];
      expect(await compare(script)).toEqual([]);
    });

    test(`lex ranges: ZRANGE BYLEX, ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT (${encoding.name})`, async () => {
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const script: Arg[][] = [
        ...populateRanges(),
        ["ZRANGE", "lex", "-", "+", "BYLEX"],
        ["ZRANGE", "lex", "[b", "(f", "BYLEX"],
        ["ZRANGE", "lex", "(a", "[aa", "BYLEX"],
        ["ZRANGE", "lex", "[a", "[a", "BYLEX"],
        ["ZRANGE", "lex", "(a", "[a", "BYLEX"],
        ["ZRANGE", "lex", "+", "-", "BYLEX"],
        ["ZRANGE", "lex", "+", "-", "BYLEX", "REV"],
        ["ZRANGE", "lex", "[e", "(b", "BYLEX", "REV", "LIMIT", "1", "2"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "2", "3"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "-1", "3"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "LIMIT", "3", "-5"],
        ["ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"],
        ["ZRANGE", "lex", "a", "+", "BYLEX"],
        ["ZRANGE", "lex", "-", "+x", "BYLEX"],
        ["ZRANGE", "lex", "-", "", "BYLEX"],
        ["ZRANGE", "lex", "[", "(", "BYLEX"],
        ["ZRANGE", "lex", "[\u00ff", "+", "BYLEX"],
        ["ZRANGE", "missing", "-", "+", "BYLEX"],
        ["ZRANGE", "str", "-", "+", "BYLEX"],
        ["ZRANGE", "str", "x", "+", "BYLEX"],
        ["ZRANGEBYLEX", "lex", "-", "+"],
        ["ZRANGEBYLEX", "lex", "[aa", "[c", "LIMIT", "0", "2"],
        ["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
        ["ZRANGEBYLEX", "lex", "-", "+", "BYLEX"],
        ["ZRANGEBYLEX", "lex", "-", "+", "REV"],
        ["ZREVRANGEBYLEX", "lex", "+", "-"],
        ["ZREVRANGEBYLEX", "lex", "(g", "[b", "LIMIT", "1", "3"],
        ["ZREVRANGEBYLEX", "lex", "-", "+"],
        ["ZREVRANGEBYLEX", "lex", "x", "+"],
        ["ZRANGEBYLEX", "z", "-", "+"],
        ["ZLEXCOUNT", "lex", "-", "+"],
        ["ZLEXCOUNT", "lex", "[b", "(e"],
        ["ZLEXCOUNT", "lex", "(e", "[b"],
        ["ZLEXCOUNT", "lex", "b", "[e"],
        ["ZLEXCOUNT", "missing", "-", "+"],
        ["ZLEXCOUNT", "missing", "x", "+"],
        ["ZLEXCOUNT", "str", "-", "+"],
      ];
      expect(await compare(script)).toEqual([]);
    });
  }

  test("RESP3: scores are doubles and WITHSCORES pairs are nested arrays", async () => {
    await resetBoth();
    await useResp(3);
    try {
      // The ranges of a skiplist set are written from its own bytes (replyTreeRun).
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", "0");
      const skiplistRanges: Arg[][] = [
        ...populateRanges(),
        // A member long enough to be copied with TypedArray#set.
        ["ZADD", "z", "7", "long-member-".repeat(4)],
        ["OBJECT", "ENCODING", "z"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGE", "z", "1", "3", "REV", "WITHSCORES"],
        ["ZRANGE", "z", "(1", "+inf", "BYSCORE", "REV", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
        ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", "0", "-1"],
        ["ZRANGEBYSCORE", "z", "5", "1", "WITHSCORES"],
        ["ZRANGE", "lex", "0", "-1"],
      ];
      expect(await compare(skiplistRanges)).toEqual([]);
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", "128");
      const script: Arg[][] = [
        ...populateRanges(),
        ["ZSCORE", "z", "d"],
        ["ZSCORE", "z", "pinf"],
        ["ZSCORE", "z", "nope"],
        ["ZMSCORE", "z", "a", "nope", "ninf"],
        ["ZINCRBY", "z", "0.5", "a"],
        ["ZADD", "z", "INCR", "1", "a"],
        ["ZADD", "z", "INCR", "NX", "1", "a"],
        ["ZRANK", "z", "nope"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZRANGE", "z", "(1", "+inf", "BYSCORE", "REV", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
        ["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
        ["ZRANGE", "missing", "0", "-1", "WITHSCORES"],
        ["ZUNION", "2", "z", "lex", "WITHSCORES"],
        ["ZINTER", "2", "z", "lex"],
        ["ZDIFF", "2", "z", "lex", "WITHSCORES"],
        ["ZPOPMIN", "z"],
        ["ZPOPMIN", "z", "1"],
        ["ZPOPMAX", "z", "2"],
        ["ZPOPMIN", "missing"],
        ["ZPOPMIN", "missing", "2"],
        ["ZMPOP", "2", "missing", "z", "MAX", "COUNT", "2"],
        ["ZMPOP", "1", "missing", "MIN"],
        ["BZPOPMIN", "missing", "z", "0"],
        ["BZMPOP", "0", "1", "z", "MIN"],
        ["ZRANDMEMBER", "z", "100", "WITHSCORES"],
        ["ZRANDMEMBER", "missing"],
        ["ZSCAN", "z", "0"],
      ];
      expect(await compare(script)).toEqual([]);
    } finally {
      await useResp(2);
    }
  });
});

// ---- removals and stores ---------------------------------------------------------------------------

d("range removals and ZRANGESTORE match Redis", () => {
  for (const encoding of ENCODINGS) {
    test(`ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX (${encoding.name})`, async () => {
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const refill: Arg[][] = [["DEL", "z"], ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]];
      const script: Arg[][] = [
        ...refill,
        ["ZREMRANGEBYRANK", "z", "1", "2"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZREMRANGEBYRANK", "z", "-1", "-1"],
        ["ZREMRANGEBYRANK", "z", "5", "10"],
        ["ZREMRANGEBYRANK", "z", "2", "1"],
        ["ZREMRANGEBYRANK", "z", "-100", "-50"],
        ["ZREMRANGEBYRANK", "z", "x", "1"],
        ["ZREMRANGEBYRANK", "z", "0", "x"],
        ["ZREMRANGEBYRANK", "z", "0", "-1"],
        ["EXISTS", "z"],
        ["ZREMRANGEBYRANK", "missing", "0", "-1"],
        ["ZREMRANGEBYRANK", "missing", "x", "-1"],
        ...refill,
        ["ZREMRANGEBYSCORE", "z", "(1", "3"],
        ["ZREMRANGEBYSCORE", "z", "10", "1"],
        ["ZREMRANGEBYSCORE", "z", "x", "1"],
        ["ZREMRANGEBYSCORE", "z", "-inf", "(5"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
        ["EXISTS", "z"],
        ["ZREMRANGEBYSCORE", "missing", "1", "2"],
        ...refill,
        ["ZREMRANGEBYLEX", "z", "[b", "(d"],
        ["ZREMRANGEBYLEX", "z", "(e", "[b"],
        ["ZREMRANGEBYLEX", "z", "b", "[d"],
        ["ZRANGE", "z", "0", "-1"],
        ["ZREMRANGEBYLEX", "z", "-", "+"],
        ["EXISTS", "z"],
        ["ZREMRANGEBYLEX", "missing", "-", "+"],
        ["SET", "str", "x"],
        ["ZREMRANGEBYRANK", "str", "0", "1"],
        ["ZREMRANGEBYSCORE", "str", "0", "1"],
        ["ZREMRANGEBYLEX", "str", "-", "+"],
        ["ZREMRANGEBYSCORE", "str", "x", "1"],
      ];
      expect(await compare(script)).toEqual([]);
    });
  }

  test("ZRANGESTORE by rank, score and lex, with encodings and empty results", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ["ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
      ["ZRANGESTORE", "dst", "src", "0", "-1"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZRANGESTORE", "dst", "src", "1", "2", "REV"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "src", "(1", "4", "BYSCORE", "LIMIT", "1", "2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "src", "[e", "-", "BYLEX", "REV"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1"],
      ["ZRANGESTORE", "dst", "src", "x", "-1"],
      ["ZRANGESTORE", "dst", "src", "x", "1", "BYSCORE"],
      ["SET", "str", "x"],
      ["ZRANGESTORE", "dst", "str", "0", "-1"],
      ["ZRANGESTORE", "str", "src", "0", "1"],
      ["TYPE", "str"],
      ["EXPIRE", "dst", "100"],
      ["ZRANGESTORE", "dst", "src", "0", "0"],
      ["TTL", "dst"],
      ["ZRANGESTORE", "dst", "src", "10", "20"],
      ["EXISTS", "dst"],
      ["ZRANGESTORE", "dst", "src", "10", "20"],
      ["ZRANGESTORE", "dst", "missing", "0", "-1"],
      ["ZRANGESTORE", "src", "src", "1", "-2"],
      ["ZRANGE", "src", "0", "-1", "WITHSCORES"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "2"],
      ["ZADD", "big", "1", "a", "2", "b", "3", "c", "4", "d"],
      ["OBJECT", "ENCODING", "big"],
      ["ZRANGESTORE", "dst", "big", "0", "1"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZRANGESTORE", "dst", "big", "0", "2"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZRANGESTORE", "dst", "big", "-inf", "+inf", "BYSCORE"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZRANGESTORE", "dst", "big", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "2"],
      ["OBJECT", "ENCODING", "dst"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "3"],
      ["ZADD", "long", "1", "abcd", "2", "x"],
      ["OBJECT", "ENCODING", "long"],
      ["ZRANGESTORE", "dst", "long", "1", "1"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZRANGESTORE", "dst", "long", "0", "-1"],
      ["OBJECT", "ENCODING", "dst"],
    ];
    expect(await compare(script)).toEqual([]);
  });
});

// ---- set operations --------------------------------------------------------------------------------

d("ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD match Redis", () => {
  function populate(): Arg[][] {
    return [
      ["ZADD", "z1", "1", "a", "2", "b", "3", "c", "4", "d"],
      ["ZADD", "z2", "10", "b", "20", "c", "30", "e"],
      ["ZADD", "z3", "0.1", "c", "0.2", "b", "0.3", "z"],
      ["ZADD", "zinf", "inf", "a", "-inf", "b", "inf", "c"],
      ["SADD", "s1", "a", "c", "x"],
      ["SADD", "si", "1", "2", "3"],
      ["ZADD", "zi", "5", "1", "6", "3", "7", "9"],
      ["SET", "str", "v"],
    ];
  }

  test("ZUNION / ZINTER / ZDIFF replies, options and errors", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ...populate(),
      ["ZUNION", "2", "z1", "z2"],
      ["ZUNION", "3", "z1", "z2", "z3", "WITHSCORES"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES"],
      ["ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WITHSCORES"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "-1", "AGGREGATE", "SUM", "WITHSCORES"],
      ["ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "AGGREGATE", "MAX", "WITHSCORES"],
      ["ZUNION", "2", "z1", "s1", "WITHSCORES"],
      ["ZUNION", "2", "zi", "si", "WEIGHTS", "2", "3", "WITHSCORES"],
      ["ZUNION", "2", "zinf", "zinf", "WITHSCORES"],
      ["ZUNION", "2", "zinf", "z1", "WEIGHTS", "0", "1", "WITHSCORES"],
      ["ZUNION", "2", "zinf", "z1", "WEIGHTS", "-1", "1", "WITHSCORES"],
      ["ZUNION", "3", "z1", "missing", "z3", "WITHSCORES"],
      ["ZUNION", "1", "missing"],
      ["ZUNION", "1", "missing", "WITHSCORES"],
      ["ZUNION", "3", "z3", "z1", "z3", "WEIGHTS", "0.1", "0.2", "0.7", "WITHSCORES"],
      ["ZINTER", "2", "z1", "z2"],
      ["ZINTER", "3", "z1", "z2", "z3", "WITHSCORES"],
      ["ZINTER", "2", "z1", "z2", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"],
      ["ZINTER", "2", "z1", "s1", "WITHSCORES"],
      ["ZINTER", "2", "s1", "z1", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZINTER", "2", "si", "zi", "WITHSCORES"],
      ["ZINTER", "2", "z1", "z1", "WEIGHTS", "1", "2", "WITHSCORES"],
      ["ZINTER", "2", "zinf", "z1", "WEIGHTS", "0", "1", "WITHSCORES"],
      ["ZINTER", "2", "z1", "zinf", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"],
      ["ZINTER", "2", "z1", "zinf", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"],
      ["ZINTER", "2", "zinf", "zinf", "WEIGHTS", "1", "-1", "WITHSCORES"],
      ["ZINTER", "2", "z1", "missing"],
      ["ZDIFF", "2", "z1", "z2"],
      ["ZDIFF", "3", "z1", "z2", "z3", "WITHSCORES"],
      ["ZDIFF", "2", "z1", "s1", "WITHSCORES"],
      ["ZDIFF", "2", "s1", "z1", "WITHSCORES"],
      ["ZDIFF", "2", "z1", "z1"],
      ["ZDIFF", "1", "z1", "WITHSCORES"],
      ["ZDIFF", "2", "missing", "z1"],
      ["ZDIFF", "2", "z1", "missing", "WITHSCORES"],
      ["ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "2"],
      ["ZDIFF", "2", "z1", "z2", "AGGREGATE", "MIN"],
      ["ZUNION", "0", "z1"],
      ["ZUNION", "-1", "z1"],
      ["ZUNION", "x", "z1"],
      ["ZUNION", "3", "z1", "z2"],
      ["ZUNION", "99999999999999999999", "z1"],
      ["ZUNION", "2", "z1", "str"],
      ["ZUNION", "2", "str", "missing", "WEIGHTS", "x"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "nan"],
      ["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "2", "3"],
      ["ZUNION", "2", "z1", "z2", "AGGREGATE"],
      ["ZUNION", "2", "z1", "z2", "AGGREGATE", "AVG"],
      ["ZUNION", "2", "z1", "z2", "LIMIT", "1"],
      ["ZINTER", "0", "z1"],
      ["ZINTER", "2", "z1", "str"],
      ["ZDIFF", "0", "z1"],
      ["ZDIFF", "2", "str", "z1"],
      ["HSET", "h", "f", "v"],
      ["ZINTER", "2", "z1", "h"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("STORE forms: results, encodings, destination handling", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ...populate(),
      ["ZUNIONSTORE", "dst", "2", "z1", "z2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "dst", "2", "z1", "z2", "WITHSCORES"],
      ["ZINTERSTORE", "dst", "2", "z1", "z2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZINTERSTORE", "dst", "2", "z1", "s1", "AGGREGATE", "MIN"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZDIFFSTORE", "dst", "2", "z1", "z2"],
      ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
      ["ZDIFFSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "1"],
      ["EXPIRE", "dst", "100"],
      ["ZUNIONSTORE", "dst", "1", "z1"],
      ["TTL", "dst"],
      ["ZINTERSTORE", "dst", "2", "z1", "missing"],
      ["EXISTS", "dst"],
      ["ZINTERSTORE", "dst", "2", "z1", "missing"],
      ["ZDIFFSTORE", "dst", "2", "z1", "z1"],
      ["ZUNIONSTORE", "str", "1", "z1"],
      ["TYPE", "str"],
      ["ZUNIONSTORE", "z1", "2", "z1", "z2"],
      ["ZRANGE", "z1", "0", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "dst", "0", "z1"],
      ["ZUNIONSTORE", "dst", "2", "z1"],
      ["ZINTERSTORE", "dst", "1", "str"],
      ["SET", "str", "v"],
      ["ZDIFFSTORE", "dst", "1", "str"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "3"],
      ["ZUNIONSTORE", "dst", "2", "z2", "z3"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZINTERSTORE", "dst", "2", "z2", "z3"],
      ["OBJECT", "ENCODING", "dst"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "4"],
      ["ZADD", "longer", "1", "abcdef", "2", "b"],
      ["OBJECT", "ENCODING", "longer"],
      ["ZDIFFSTORE", "dst", "2", "longer", "z2"],
      ["OBJECT", "ENCODING", "dst"],
      ["ZINTERSTORE", "dst", "2", "longer", "z1"],
      ["OBJECT", "ENCODING", "dst"],
      ["COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["COMMAND", "GETKEYS", "ZINTER", "3", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"],
      ["COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "3"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("ZINTERCARD", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ...populate(),
      ["ZINTERCARD", "2", "z1", "z2"],
      ["ZINTERCARD", "3", "z1", "z2", "z3"],
      ["ZINTERCARD", "2", "z1", "s1"],
      ["ZINTERCARD", "1", "z1", "LIMIT", "2"],
      ["ZINTERCARD", "1", "z1", "LIMIT", "0"],
      ["ZINTERCARD", "1", "z1", "LIMIT", "100"],
      ["ZINTERCARD", "1", "z1", "LIMIT", "-1"],
      ["ZINTERCARD", "1", "z1", "LIMIT", "x"],
      ["ZINTERCARD", "1", "z1", "LIMIT"],
      ["ZINTERCARD", "1", "z1", "WITHSCORES"],
      ["ZINTERCARD", "1", "z1", "WEIGHTS", "2"],
      ["ZINTERCARD", "1", "z1", "AGGREGATE", "MIN"],
      ["ZINTERCARD", "2", "z1", "missing"],
      ["ZINTERCARD", "0", "z1"],
      ["ZINTERCARD", "2", "z1"],
      ["ZINTERCARD", "1", "str"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("float sums add in Redis's order (smallest input first)", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ["ZADD", "small", "0.1", "m"],
      ["ZADD", "mid", "0.2", "m", "0", "x"],
      ["ZADD", "large", "0.3", "m", "0", "y", "0", "z"],
      ["ZUNION", "3", "large", "mid", "small", "WITHSCORES"],
      ["ZUNION", "3", "small", "mid", "large", "WITHSCORES"],
      ["ZINTER", "3", "large", "small", "mid", "WITHSCORES"],
      ["ZUNION", "3", "large", "mid", "small", "WEIGHTS", "1e308", "1e308", "-1e308", "WITHSCORES"],
    ];
    expect(await compare(script)).toEqual([]);
  });
});

// ---- pops, random members, scan -----------------------------------------------------------------------

d("pops, ZRANDMEMBER and ZSCAN match Redis", () => {
  for (const encoding of ENCODINGS) {
    test(`ZPOPMIN, ZPOPMAX, ZMPOP, non-blocking BZPOP* (${encoding.name})`, async () => {
      await resetBoth();
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const script: Arg[][] = [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
        ["ZADD", "y", "1", "q"],
        ["SET", "str", "v"],
        ["ZPOPMIN", "z"],
        ["ZPOPMAX", "z"],
        ["ZPOPMIN", "z", "2"],
        ["ZPOPMAX", "z", "0"],
        ["ZPOPMIN", "z", "-1"],
        ["ZPOPMIN", "z", "x"],
        ["ZPOPMIN", "z", "1", "2"],
        ["ZPOPMIN", "missing"],
        ["ZPOPMIN", "missing", "0"],
        ["ZPOPMIN", "str"],
        ["ZPOPMIN", "str", "0"],
        ["ZPOPMAX", "z", "100"],
        ["EXISTS", "z"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["ZMPOP", "1", "z", "MIN"],
        ["ZMPOP", "2", "missing", "z", "MAX", "COUNT", "1"],
        ["ZMPOP", "2", "missing", "z", "max", "count", "10"],
        ["ZMPOP", "2", "missing", "z", "MIN"],
        ["ZMPOP", "1", "str", "MIN"],
        ["ZMPOP", "2", "missing", "str", "MIN"],
        ["ZMPOP", "2", "y", "str", "MIN"],
        ["ZADD", "z", "1", "a"],
        ["ZMPOP", "0", "z", "MIN"],
        ["ZMPOP", "-1", "z", "MIN"],
        ["ZMPOP", "x", "z", "MIN"],
        ["ZMPOP", "2", "z", "MIN"],
        ["ZMPOP", "1", "z", "LEFT"],
        ["ZMPOP", "1", "z", "MIN", "COUNT"],
        ["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
        ["ZMPOP", "1", "z", "MIN", "COUNT", "x"],
        ["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
        ["ZMPOP", "1", "z", "MIN", "FOO"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
        ["BZPOPMIN", "missing", "z", "0"],
        ["BZPOPMAX", "z", "0"],
        ["BZPOPMIN", "z", "x"],
        ["BZPOPMIN", "z", "-1"],
        ["BZPOPMIN", "str", "0"],
        ["BZPOPMIN", "missing", "str", "0"],
        ["BZPOPMIN", "str", "x"],
        ["BZMPOP", "0", "2", "missing", "z", "MAX", "COUNT", "5"],
        ["EXISTS", "z"],
        ["BZMPOP", "x", "1", "z", "MIN"],
        ["BZMPOP", "0", "0", "z", "MIN"],
        ["BZMPOP", "0", "1", "z", "SIDEWAYS"],
        ["BZMPOP", "-1", "1", "z", "MIN"],
        ["BZMPOP", "0", "1", "str", "MIN"],
      ];
      expect(await compare(script)).toEqual([]);
    });
  }

  test("ZRANDMEMBER: deterministic cases byte for byte", async () => {
    await resetBoth();
    for (const encoding of ENCODINGS) {
      await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      const script: Arg[][] = [
        ["DEL", "z", "one"],
        ["ZADD", "z", "1", "a", "2.5", "b", "3", "c", "-4", "d"],
        ["ZADD", "one", "7", "only"],
        ["ZRANDMEMBER", "z", "4"],
        ["ZRANDMEMBER", "z", "100", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "0"],
        ["ZRANDMEMBER", "z", "0", "WITHSCORES"],
        ["ZRANDMEMBER", "one"],
        ["ZRANDMEMBER", "one", "-3", "WITHSCORES"],
        ["ZRANDMEMBER", "one", "1", "WITHSCORES"],
        ["ZRANDMEMBER", "missing"],
        ["ZRANDMEMBER", "missing", "5"],
        ["ZRANDMEMBER", "missing", "-5", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "x"],
        ["ZRANDMEMBER", "z", "1", "SCORES"],
        ["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"],
        ["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-9223372036854775808", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "4611686018427387903", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"],
        ["ZRANDMEMBER", "z", "-9223372036854775808"],
        ["ZRANDMEMBER", "z", "-9223372036854775808", "FOO"],
        ["ZRANDMEMBER", "z", "9223372036854775808"],
        ["ZRANDMEMBER", "z", "99999999999999999999"],
        ["SET", "str", "v"],
        ["ZRANDMEMBER", "str"],
        ["ZRANDMEMBER", "str", "1"],
      ];
      expect(await compare(script)).toEqual([]);
    }
  });

  test("ZRANDMEMBER: random picks are members, distinct for a positive count", async () => {
    await resetBoth();
    for (const encoding of ENCODINGS) {
      await pair().b.call("CONFIG", "SET", "zset-max-listpack-entries", encoding.entries);
      await pair().b.call("DEL", "z");
      const scores = new Map<string, string>();
      const args: string[] = [];
      for (let i = 0; i < 20; i++) {
        scores.set(`m${i}`, String(i / 4));
        args.push(String(i / 4), `m${i}`);
      }
      await pair().b.call("ZADD", "z", ...args);
      const single = (await pair().b.call("ZRANDMEMBER", "z")) as string;
      expect(scores.has(single)).toBe(true);
      for (const count of [2, 5, 7, 19]) {
        const picked = (await pair().b.call("ZRANDMEMBER", "z", String(count), "WITHSCORES")) as string[];
        expect(picked.length).toBe(count * 2);
        const members = picked.filter((_, i) => i % 2 === 0);
        expect(new Set(members).size).toBe(count);
        for (let i = 0; i < picked.length; i += 2) expect(picked[i + 1]).toBe(scores.get(picked[i]!)!);
      }
      const repeated = (await pair().b.call("ZRANDMEMBER", "z", "-50")) as string[];
      expect(repeated.length).toBe(50);
      for (const member of repeated) expect(scores.has(member)).toBe(true);
      // 50 uniform picks out of 20 members: all equal is (1/20)^49, i.e. never.
      expect(new Set(repeated).size).toBeGreaterThan(1);
    }
  });

  test("ZSCAN on a listpack: whole set at once, scores as the listpack holds them", async () => {
    await resetBoth();
    const script: Arg[][] = [
      ["ZADD", "z", "1", "a", "1.5", "b", "1e17", "c", "5e18", "d", "4611686018427387904", "e", "-0", "f", "inf", "g", "-inf", "h", "0.1", "i", "-3", "j"],
      ["ZADD", "z", "2", "foo1", "3", "foo2", "4", "bar"],
      ["ZSCAN", "z", "0"],
      ["ZSCAN", "z", "0", "COUNT", "2"],
      ["ZSCAN", "z", "0", "MATCH", "foo*"],
      ["ZSCAN", "z", "0", "MATCH", "*", "COUNT", "100"],
      ["ZSCAN", "z", "0", "MATCH", "nothing*"],
      ["ZSCAN", "z", "0", "COUNT", "0"],
      ["ZSCAN", "z", "0", "COUNT", "x"],
      ["ZSCAN", "z", "0", "TYPE", "zset"],
      ["ZSCAN", "z", "0", "MATCH"],
      ["ZSCAN", "z", "x"],
      ["ZSCAN", "z", "-1"],
      ["ZSCAN", "z", "+3"],
      ["ZSCAN", "z", " 1"],
      ["ZSCAN", "z", "18446744073709551615"],
      ["ZSCAN", "z", "18446744073709551616"],
      ["ZSCAN", "missing", "0"],
      ["ZSCAN", "missing", "0", "COUNT", "0"],
      ["ZSCAN", "missing", "x"],
      ["SET", "str", "v"],
      ["ZSCAN", "str", "0"],
      ["ZSCAN", "str", "0", "COUNT", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("ZSCAN on a skiplist visits every member once, with %.17g scores", async () => {
    await resetBoth();
    await both(pair(), "CONFIG", "SET", "zset-max-listpack-entries", "0");
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(i % 7 === 0 ? "-0" : String(i / 10 + 1e17 * (i % 3)), `member:${i}`);
    await both(pair(), "ZADD", "z", ...args);
    async function fullScan(client: RawClient, extra: string[]): Promise<Map<string, string>> {
      const seen = new Map<string, string>();
      let cursor = "0";
      do {
        const [next, items] = (await client.call("ZSCAN", "z", cursor, ...extra)) as [string, string[]];
        for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
        cursor = next;
      } while (cursor !== "0");
      return seen;
    }
    for (const extra of [[], ["COUNT", "7"], ["MATCH", "member:1*", "COUNT", "50"]]) {
      const [ours, theirs] = await Promise.all([fullScan(pair().b, extra), fullScan(pair().r, extra)]);
      expect(ours.size).toBeGreaterThan(0);
      expect([...ours.entries()].sort()).toEqual([...theirs.entries()].sort());
    }
  });
});

// ---- encodings ---------------------------------------------------------------------------------------

d("OBJECT ENCODING follows zset-max-listpack-entries/value", () => {
  test("listpack -> skiplist on growth, never back; -0 stored in a listpack reads as 0", async () => {
    await resetBoth();
    const long = "x".repeat(65);
    const script: Arg[][] = [
      ["ZADD", "z", "1", "a"],
      ["OBJECT", "ENCODING", "z"],
      ["ZADD", "z", "2", long],
      ["OBJECT", "ENCODING", "z"],
      ["ZREM", "z", long],
      ["OBJECT", "ENCODING", "z"],
      ["ZADD", "first", "1", long],
      ["OBJECT", "ENCODING", "first"],
      ["ZADD", "exact", "1", "x".repeat(64)],
      ["OBJECT", "ENCODING", "exact"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "3"],
      ["ZADD", "g", "1", "a", "2", "b", "3", "c"],
      ["OBJECT", "ENCODING", "g"],
      ["ZADD", "g", "XX", "9", "d"],
      ["OBJECT", "ENCODING", "g"],
      ["ZADD", "g", "4", "c"],
      ["OBJECT", "ENCODING", "g"],
      ["ZADD", "g", "4", "d"],
      ["OBJECT", "ENCODING", "g"],
      ["ZPOPMIN", "g", "3"],
      ["OBJECT", "ENCODING", "g"],
      ["ZINCRBY", "h", "1", "a"],
      ["ZINCRBY", "h", "1", "b"],
      ["ZINCRBY", "h", "1", "c"],
      ["ZINCRBY", "h", "1", "d"],
      ["OBJECT", "ENCODING", "h"],
      ["ZADD", "neg", "-0", "a", "1", "b"],
      ["ZSCORE", "neg", "a"],
      ["ZADD", "neg", "-0", "b"],
      ["ZSCORE", "neg", "b"],
      ["ZINCRBY", "neg", "-0", "c"],
      ["ZSCORE", "neg", "c"],
      ["ZADD", "neg", "-0", "d"],
      ["ZADD", "neg", "INCR", "-0", "e"],
      ["OBJECT", "ENCODING", "neg"],
      ["ZRANGE", "neg", "0", "-1", "WITHSCORES"],
      ["ZUNIONSTORE", "u", "1", "neg"],
      ["OBJECT", "ENCODING", "u"],
      ["ZRANGE", "u", "0", "-1", "WITHSCORES"],
      ["ZRANGE", "neg", "0", "-1", "WITHSCORES"],
      ["ZRANGESTORE", "r", "neg", "3", "4"],
      ["ZRANGE", "r", "0", "-1", "WITHSCORES"],
      ["ZUNION", "1", "neg", "WITHSCORES"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
      ["ZADD", "zero", "1", "a"],
      ["OBJECT", "ENCODING", "zero"],
      ["ZUNIONSTORE", "u0", "1", "zero"],
      ["OBJECT", "ENCODING", "u0"],
      ["ZRANGESTORE", "r0", "zero", "0", "-1"],
      ["OBJECT", "ENCODING", "r0"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "0"],
      ["ZADD", "tiny", "1", ""],
      ["OBJECT", "ENCODING", "tiny"],
      ["ZADD", "tiny", "1", "a"],
      ["OBJECT", "ENCODING", "tiny"],
    ];
    expect(await compare(script)).toEqual([]);
  });
});

// ---- keyspace events ----------------------------------------------------------------------------------

d("keyspace notifications carry Redis's event names, in Redis's order", () => {
  test("every writing command", async () => {
    await resetBoth();
    const [subB, subR] = await Promise.all([RawClient.connect(pair().bunker.port), RawClient.connect(pair().redis.port)]);
    try {
      await both(pair(), "CONFIG", "SET", "notify-keyspace-events", "KEA");
      await Promise.all([subB.callRaw("PSUBSCRIBE", "__key*__:*"), subR.callRaw("PSUBSCRIBE", "__key*__:*")]);
      const script: Arg[][] = [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["ZADD", "z", "1", "a"],
        ["ZADD", "z", "NX", "5", "a"],
        ["ZADD", "z", "INCR", "1", "a"],
        ["ZINCRBY", "z", "1", "a"],
        ["ZADD", "z", "INCR", "-inf", "inf"],
        ["ZADD", "z", "INCR", "inf", "inf"],
        ["ZREM", "z", "nope"],
        ["ZREM", "z", "a"],
        ["ZREMRANGEBYRANK", "z", "5", "6"],
        ["ZREMRANGEBYRANK", "z", "0", "0"],
        ["ZREMRANGEBYSCORE", "z", "3", "3"],
        ["ZREMRANGEBYLEX", "z", "-", "+"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
        ["ZPOPMIN", "z"],
        ["ZPOPMAX", "z", "2"],
        ["ZPOPMAX", "z", "0"],
        ["ZMPOP", "1", "z", "MIN", "COUNT", "5"],
        ["ZADD", "z", "1", "a", "2", "b"],
        ["BZPOPMIN", "z", "0"],
        ["BZMPOP", "0", "1", "z", "MAX"],
        ["ZADD", "z", "1", "a", "2", "b"],
        ["ZADD", "y", "2", "b", "3", "c"],
        ["ZUNIONSTORE", "u", "2", "z", "y"],
        ["ZINTERSTORE", "u", "2", "z", "y"],
        ["ZDIFFSTORE", "u", "2", "z", "y"],
        ["ZINTERSTORE", "u", "2", "z", "missing"],
        ["ZINTERSTORE", "u", "2", "z", "missing"],
        ["ZRANGESTORE", "r", "z", "0", "-1"],
        ["ZRANGESTORE", "r", "z", "5", "6"],
        ["ZREM", "z", "a", "b"],
      ];
      expect(await compare(script)).toEqual([]);
      const [ours, theirs] = await Promise.all([subB.drainBeforePing(), subR.drainBeforePing()]);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(theirs);
    } finally {
      subB.close();
      subR.close();
      await both(pair(), "CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});

d("lookups count keyspace hits and misses as Redis's", () => {
  test("keyspace_hits, keyspace_misses and keymiss events", async () => {
    await resetBoth();
    await both(pair(), "ZADD", "z", "1", "a", "2", "b");
    await both(pair(), "SADD", "s", "a");
    await both(pair(), "ZADD", "one", "1", "only");
    const [subB, subR] = await Promise.all([RawClient.connect(pair().bunker.port), RawClient.connect(pair().redis.port)]);
    try {
      await both(pair(), "CONFIG", "SET", "notify-keyspace-events", "Km");
      await Promise.all([subB.callRaw("PSUBSCRIBE", "__key*__:*"), subR.callRaw("PSUBSCRIBE", "__key*__:*")]);
      await both(pair(), "CONFIG", "RESETSTAT");
      const reads: Arg[][] = [];
      for (const key of ["z", "nope"]) {
        reads.push(
          ["ZCARD", key], ["ZSCORE", key, "a"], ["ZMSCORE", key, "a"], ["ZRANK", key, "a"], ["ZCOUNT", key, "0", "1"],
          ["ZLEXCOUNT", key, "-", "+"], ["ZRANGE", key, "0", "-1"], ["ZRANGEBYSCORE", key, "0", "1"], ["ZRANDMEMBER", key, "10"],
          ["ZSCAN", key, "0"], ["ZUNION", "2", key, "s"], ["ZINTERCARD", "1", key], ["ZRANGESTORE", "dst", key, "0", "0"],
          ["ZADD", "w" + key, "1", "a"], ["ZREM", key, "zz"], ["ZPOPMIN", key, "0"], ["ZREMRANGEBYRANK", key, "5", "6"],
          ["BZPOPMIN", key, "w" + key, "0"], ["ZDIFFSTORE", "dst", "1", key],
        );
      }
      reads.push(["ZRANDMEMBER", "one"], ["ZRANDMEMBER", "nope"]);
      // The other types' commands look keys up by their bytes too: the same events and counts.
      for (const key of ["s", "nope"]) {
        reads.push(
          ["HGET", key, "f"], ["HMGET", key, "f", "g"], ["HLEN", key], ["HGETALL", key], ["HINCRBY", "h" + key, "f", "1"],
          ["LRANGE", key, "0", "-1"], ["LLEN", key], ["LINDEX", key, "0"], ["LPOS", key, "a"], ["RPOP", key], ["LPUSHX", key, "a"],
          ["SCARD", key], ["SISMEMBER", key, "a"], ["SMEMBERS", key], ["SREM", key, "zz"], ["EXISTS", key], ["XADD", "x" + key, "1-1", "f", "v"],
          // Lookups that leave the access clock alone still count (LOOKUP_NOTOUCH); OBJECT's send no keymiss.
          ["TTL", key], ["PTTL", key], ["EXPIRETIME", key], ["PEXPIRETIME", key], ["TYPE", key], ["OBJECT", "ENCODING", key],
          ["OBJECT", "REFCOUNT", key], ["OBJECT", "IDLETIME", key], ["OBJECT", "FREQ", key], ["TOUCH", key], ["DUMP", key],
          ["GET", key], ["MGET", key, "z"], ["STRLEN", key], ["GETRANGE", key, "0", "1"], ["INCRBYFLOAT", "f" + key, "1"],
        );
      }
      expect(await compare(reads)).toEqual([]);
      const stats = async (client: RawClient) => {
        const info = String(await client.call("INFO", "stats"));
        return [/keyspace_hits:(\d+)/.exec(info)![1], /keyspace_misses:(\d+)/.exec(info)![1]];
      };
      expect(await stats(pair().b)).toEqual(await stats(pair().r));
      const [ours, theirs] = await Promise.all([subB.drainBeforePing(), subR.drainBeforePing()]);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(theirs);
    } finally {
      subB.close();
      subR.close();
      await both(pair(), "CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});

// ---- blocking -----------------------------------------------------------------------------------------

/** `quiet` runs a command whose reply differs between servers by design (HELLO) and is not recorded. */
const CLIENTS = 4;

async function compareScenario(steps: Step[]): Promise<void> {
  await resetBoth();
  await both(pair(), "CONFIG", "RESETSTAT");
  const [ours, theirs] = await Promise.all([runScenario(pair().bunker.port, steps, { clients: CLIENTS }), runScenario(pair().redis.port, steps, { clients: CLIENTS })]);
  expect(ours).toEqual(theirs);
}

d("blocking pops match Redis", () => {
  test("waiters are served in blocking order, one element each, by ZADD from another client", async () => {
    await compareScenario([
      { c: 1, send: ["BZPOPMIN", "k", "0"] },
      { c: 2, send: ["BZPOPMAX", "k", "0"] },
      { c: 3, send: ["BZMPOP", "0", "1", "k", "MIN", "COUNT", "2"] },
      { blockedClients: true },
      { dirty: true },
      { c: 0, call: ["ZADD", "k", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"] },
      { dirty: true },
      { blockedClients: true },
      { c: 0, call: ["ZRANGE", "k", "0", "-1", "WITHSCORES"] },
    ]);
  });

  test("a client blocked on several keys is served from the key signalled first", async () => {
    await compareScenario([
      { c: 1, send: ["BZPOPMIN", "a", "b", "0"] },
      { c: 2, send: ["BZPOPMAX", "b", "a", "0"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["ZADD", "b", "1", "x", "2", "y"] },
      { c: 0, call: ["ZADD", "a", "3", "z"] },
      { c: 0, call: ["EXEC"] },
      { c: 0, call: ["ZRANGE", "a", "0", "-1"] },
      { c: 0, call: ["EXISTS", "b"] },
    ]);
  });

  test("a ZADD inside MULTI wakes the waiter after EXEC; inside MULTI the pop never blocks", async () => {
    await compareScenario([
      { c: 1, send: ["BZPOPMAX", "k", "0"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["ZADD", "k", "1", "a", "2", "b"] },
      { c: 0, call: ["ZCARD", "k"] },
      { c: 0, call: ["EXEC"] },
      { c: 0, call: ["ZRANGE", "k", "0", "-1"] },
      { c: 2, call: ["MULTI"] },
      { c: 2, call: ["BZPOPMIN", "empty", "0"] },
      { c: 2, call: ["BZMPOP", "0", "1", "empty", "MIN"] },
      { c: 2, call: ["BZPOPMIN", "k", "0"] },
      { c: 2, call: ["EXEC"] },
      { c: 3, send: ["BZPOPMIN", "q", "0"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["ZADD", "q", "1", "x"] },
      { c: 0, call: ["DEL", "q"] },
      { c: 0, call: ["EXEC"] },
      { blockedClients: true },
      { c: 0, call: ["ZADD", "q", "2", "y"] },
      { blockedClients: true },
    ]);
  });

  test("timeouts reply a null array; a key of another type keeps the waiter blocked", async () => {
    await compareScenario([
      { c: 1, send: ["BZPOPMIN", "t", "0.05"] },
      { c: 2, send: ["BZMPOP", "0.05", "2", "t", "u", "MAX", "COUNT", "3"] },
      { untilBlockedClients: 0 },
      { c: 1, send: ["BZPOPMAX", "t", "0"] },
      { c: 0, call: ["SET", "t", "string"] },
      { blockedClients: true },
      { c: 0, call: ["DEL", "t"] },
      { c: 0, call: ["ZADD", "src", "1", "m", "2", "n"] },
      { c: 0, call: ["ZUNIONSTORE", "t", "1", "src"] },
      { blockedClients: true },
      { c: 0, call: ["ZRANGE", "t", "0", "-1", "WITHSCORES"] },
      { c: 2, send: ["BZMPOP", "0", "1", "t", "MIN", "COUNT", "5"] },
      { blockedClients: true },
      { c: 3, send: ["BZPOPMIN", "w", "0"] },
      { c: 0, call: ["ZADD", "other", "1", "o"] },
      { c: 0, call: ["ZRANGESTORE", "w", "other", "0", "-1"] },
      { blockedClients: true },
      { dirty: true },
    ]);
  });

  test("RESP3 clients get doubles in blocking replies", async () => {
    await compareScenario([
      { c: 1, quiet: ["HELLO", "3"] },
      { c: 2, quiet: ["HELLO", "3"] },
      { c: 1, send: ["BZPOPMIN", "k", "0"] },
      { c: 2, send: ["BZMPOP", "1", "1", "k", "MAX", "COUNT", "3"] },
      { c: 0, call: ["ZADD", "k", "1.5", "a", "2.5", "b", "inf", "c"] },
      { c: 3, quiet: ["HELLO", "3"] },
      { c: 3, call: ["BZPOPMIN", "nothing", "0.05"] },
    ]);
  });
});
