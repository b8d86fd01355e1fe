// SORT and SORT_RO compared byte for byte with Redis 7.0: numeric and ALPHA order,
// BY (nosort, string keys, hash fields), GET, LIMIT, DESC, STORE (with the dirty
// counter), errors, RESP3 nulls, sorted sets (and their listpack -> skiplist
// conversion), COMMAND GETKEYS and keyspace notifications.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, usePair } from "../helpers/differential.ts";
import { RawClient } from "../helpers/server.ts";
import { seededRandom } from "../helpers/random.ts";
import { compareNotifications, compareSteps, resetBoth, type ScriptEntry } from "./hash-set-harness.ts";


const pair = usePair();
beforeEach(async () => {
  if (haveRedis) await resetBoth(pair());
});

const d = haveRedis ? describe : describe.skip;

/**
 * COMMAND INFO without the key specs, tips and docs: arity, flags, key positions, ACL
 * categories. Subcommands are sorted: Redis lists them in its hash table's order.
 */
/**
 * Creates the same sorted set on both servers: ZADD on Redis, then its DUMP payload
 * RESTOREd into Bunker, so these tests do not depend on the sorted-set commands.
 */
async function zsetOnBoth(key: string, ...scoreMembers: string[]): Promise<void> {
  await pair().r.call("ZADD", key, ...scoreMembers);
  const payload = (await pair().r.call("DUMP", key)) as string;
  const restored = await pair().b.call("RESTORE", key, "0", Buffer.from(payload, "latin1"));
  expect(restored).toBe("OK");
}

const numericList = ["RPUSH", "nums", "3", "1", "2", "10", "-5", "2.5", "1e2", "0x10", " 7", "-0", "inf", "-inf"];
const weights: ScriptEntry[] = [
  ["MSET", "w_3", "30", "w_1", "10", "w_2", "-20", "w_10", "1", "w_-5", "5"],
  ["HSET", "h_3", "f", "3", "g", "c"],
  ["HSET", "h_1", "f", "100", "g", "a"],
  ["HSET", "h_2", "f", "-1"],
];

d("SORT matches Redis", () => {
  test("numeric sort, DESC and LIMIT", async () => {
    const script: ScriptEntry[] = [
      numericList,
      ["SORT", "nums"],
      ["SORT", "nums", "DESC"],
      ["SORT", "nums", "ASC"],
      ["SORT", "nums", "desc", "asc"],
      ["SORT", "nums", "LIMIT", "1", "3"],
      ["SORT", "nums", "LIMIT", "-1", "2"],
      ["SORT", "nums", "LIMIT", "0", "0"],
      ["SORT", "nums", "LIMIT", "5", "100"],
      ["SORT", "nums", "LIMIT", "100", "1"],
      ["SORT", "nums", "LIMIT", "0", "-5"],
      ["SORT", "nums", "LIMIT", "2", "3", "DESC"],
      ["SORT", "nums", "LIMIT", "0", "9223372036854775807"],
      ["SORT", "nums", "LIMIT", "9223372036854775807", "9223372036854775807"],
      ["SORT", "missing"],
      ["SORT", "missing", "LIMIT", "0", "1", "GET", "#"],
      ["SADD", "iset", "5", "3", "9", "1", "-2"],
      ["SORT", "iset"],
      ["SORT", "iset", "DESC", "LIMIT", "1", "2"],
      ["SORT_RO", "nums", "DESC", "LIMIT", "0", "4"],
      ["RPUSH", "ties", "10", "010", "1e1", "10.0", "9", "11"],
      ["SORT", "ties"],
      ["SORT", "ties", "DESC"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("numeric weights are read as strtod reads them", async () => {
    // Redis never clears errno before strtod, so an ERANGE left by one SORT fails the
    // following ones until some other call overwrites errno (accepting a connection
    // does). Each value therefore gets fresh connections: the clean-errno behaviour.
    const candidates = ["1e-310", "4.9e-324", "2.2250738585072014e-308", "2.2250738585072011e-308", "0x1p-1074", "0x1.8p-1070", "0x1p2000", "1e400", "-1e400", "0e-400", "nan", "NaN", "infinity", "-Infinity", "  5", "5 ", "", " ", "1.5.5", "+3", ".5", "5.", "0x", "0x1g", "abc", "1\x00garbage", "\x00"];
    const mismatches: string[] = [];
    for (const [i, value] of candidates.entries()) {
      const [bunker, redis] = await Promise.all([RawClient.connect(pair().bunker.port), RawClient.connect(pair().redis.port)]);
      try {
        const key = `weights${i}`;
        await Promise.all([bunker.call("RPUSH", key, value, "2"), redis.call("RPUSH", key, value, "2")]);
        const [ours, theirs] = await Promise.all([bunker.callRaw("SORT", key), redis.callRaw("SORT", key)]);
        if (ours !== theirs) mismatches.push(`${JSON.stringify(value)}: bunker ${JSON.stringify(ours)}, redis ${JSON.stringify(theirs)}`);
      } finally {
        bunker.close();
        redis.close();
      }
    }
    // One more accept on Redis overwrites any ERANGE the last value left behind.
    (await RawClient.connect(pair().redis.port)).close();
    expect(mismatches).toEqual([]);
  });

  test("ALPHA, C-string collation and binary order with STORE", async () => {
    const script: ScriptEntry[] = [
      ["RPUSH", "words", "banana", "apple", "Cherry", "apple2", "a\x00z", "a\x00b", "", "\xff", "\x7f", "a"],
      ["SORT", "words"],
      ["SORT", "words", "ALPHA"],
      ["SORT", "words", "ALPHA", "DESC"],
      ["SORT", "words", "ALPHA", "LIMIT", "1", "3"],
      ["SORT", "words", "ALPHA", "STORE", "sorted"],
      ["LRANGE", "sorted", "0", "-1"],
      ["SORT", "words", "ALPHA", "DESC", "STORE", "sorted"],
      ["LRANGE", "sorted", "0", "-1"],
      ["OBJECT", "ENCODING", "sorted"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("ALPHA over thousands of elements, duplicates and every byte, with LIMIT, DESC and STORE", async () => {
    const random = seededRandom(1515);
    const alphabet = ["a", "b", "\xff", "\x7f", "A", "0"];
    const element = (): string => Array.from({ length: Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const plain = Array.from({ length: 3000 }, element);
    // A NUL ends the C-string collation without STORE, not with it.
    const withNul = plain.map((text, i) => (i % 7 === 0 ? `${text}\x00${element()}` : text));
    const script: ScriptEntry[] = [
      ["RPUSH", "plain", ...plain],
      ["RPUSH", "nul", ...withNul],
      ["SORT", "plain", "ALPHA"],
      ["SORT", "plain", "ALPHA", "DESC", "LIMIT", "100", "50"],
      ["SORT", "plain", "ALPHA", "STORE", "sorted"],
      ["LRANGE", "sorted", "0", "-1"],
      ["SORT", "nul", "ALPHA", "DESC", "STORE", "sorted"],
      ["LRANGE", "sorted", "0", "-1"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("BY patterns, GET patterns and hash fields", async () => {
    const script: ScriptEntry[] = [
      ...weights,
      ["RPUSH", "l", "3", "1", "2", "10", "-5", "7"],
      ["SORT", "l", "BY", "w_*"],
      ["SORT", "l", "BY", "w_*", "DESC"],
      ["SORT", "l", "BY", "w_*", "LIMIT", "1", "2"],
      ["SORT", "l", "BY", "h_*->f"],
      ["SORT", "l", "BY", "h_*->g", "ALPHA"],
      ["SORT", "l", "BY", "h_*->g", "ALPHA", "DESC"],
      ["SORT", "l", "BY", "w_*", "ALPHA"],
      ["SORT", "l", "BY", "nokey_*", "ALPHA"],
      ["SORT", "l", "BY", "nokey_*", "ALPHA", "DESC"],
      ["SORT", "l", "BY", "nokey_*"],
      ["SORT", "l", "BY", "nokey_*", "DESC"],
      ["SORT", "l", "BY", "h_*->"],
      ["SORT", "l", "BY", "h_*->missingfield"],
      ["SORT", "l", "BY", "h_*->g"],
      ["SORT", "l", "BY", "nosort"],
      ["SORT", "l", "BY", "nosort", "DESC"],
      ["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"],
      ["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
      ["SORT", "l", "BY", "nosort", "LIMIT", "10", "2"],
      ["SORT", "l", "BY", "w_*", "BY", "nosort"],
      ["SORT", "l", "BY", "nosort", "BY", "w_*"],
      ["SORT", "l", "GET", "#"],
      ["SORT", "l", "GET", "w_*"],
      ["SORT", "l", "GET", "w_*", "GET", "#", "GET", "h_*->f", "GET", "h_*->g"],
      ["SORT", "l", "GET", "constant"],
      ["SORT", "l", "GET", "h_*"],
      ["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "LIMIT", "0", "3"],
      ["SORT", "l", "BY", "nosort", "GET", "w_*", "DESC"],
      ["SORT", "l", "GET", "w_*->f"],
      ["SORT", "l", "BY", "w_*->f"],
      ["SET", "bad_3", "x"],
      ["SORT", "l", "BY", "bad_*"],
      ["RPUSH", "badlist_3", "x"],
      ["SORT", "l", "BY", "badlist_*"],
      ["SORT", "l", "GET", "badlist_*"],
      ["SORT_RO", "l", "BY", "w_*", "GET", "h_*->f"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("sets: sorted, BY nosort in set order, and sorted ALPHA when storing", async () => {
    const script: ScriptEntry[] = [
      ...weights,
      ["SADD", "iset", "10", "3", "-5", "1", "2"],
      ["SORT", "iset"],
      ["SORT", "iset", "BY", "nosort"],
      ["SORT", "iset", "BY", "nosort", "DESC"],
      ["SORT", "iset", "BY", "nosort", "LIMIT", "1", "3"],
      ["SORT", "iset", "BY", "nosort", "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", "iset", "BY", "nosort", "DESC", "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", "iset", "BY", "w_*"],
      ["SORT", "iset", "BY", "w_*", "GET", "#", "GET", "w_*"],
      ["SADD", "words", "pear", "fig", "apple", "kiwi"],
      ["SORT", "words", "ALPHA"],
      ["SORT", "words", "ALPHA", "DESC", "LIMIT", "0", "2"],
      ["SORT", "words", "BY", "nosort", "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", "words"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("sorted sets keep their order with nosort and become skiplists", async () => {
    await zsetOnBoth("z", "3", "c", "1", "a", "2", "b", "2", "bb", "-1", "neg", "10", "5");
    await zsetOnBoth("zn", "1", "30", "2", "10", "3", "20");
    const script: ScriptEntry[] = [
      ...weights,
      ["OBJECT", "ENCODING", "z"],
      ["SORT", "z", "BY", "nosort"],
      ["OBJECT", "ENCODING", "z"],
      ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ["SORT", "z", "BY", "nosort", "DESC"],
      ["SORT", "z", "BY", "nosort", "LIMIT", "1", "3"],
      ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
      ["SORT", "z", "BY", "nosort", "LIMIT", "6", "3"],
      ["SORT", "z", "BY", "nosort", "LIMIT", "7", "3"],
      ["SORT", "z", "ALPHA"],
      ["SORT", "z", "ALPHA", "DESC", "GET", "#"],
      ["SORT", "z"],
      ["OBJECT", "ENCODING", "zn"],
      ["SORT", "zn"],
      ["OBJECT", "ENCODING", "zn"],
      ["SORT", "zn", "BY", "w_*", "GET", "#", "GET", "w_*"],
      ["SORT", "zn", "BY", "nosort", "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("STORE replaces, drops the TTL, deletes on an empty result", async () => {
    const script: ScriptEntry[] = [
      ...weights,
      ["RPUSH", "l", "3", "1", "2"],
      ["SET", "dst", "old"],
      ["EXPIRE", "dst", "1000"],
      ["SORT", "l", "STORE", "dst"],
      ["TYPE", "dst"],
      ["TTL", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", "l", "GET", "#", "GET", "w_*", "GET", "nokey_*", "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
      ["EXISTS", "dst"],
      ["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
      ["SORT", "missing", "STORE", "dst"],
      ["SORT", "l", "STORE", "a", "STORE", "b"],
      ["EXISTS", "a", "b"],
      ["SORT", "l", "STORE", "l"],
      ["LRANGE", "l", "0", "-1"],
      ["RPUSH", "big", ...Array.from({ length: 300 }, (_, i) => String((i * 7919) % 1000))],
      ["SORT", "big", "STORE", "bigsorted"],
      ["LLEN", "bigsorted"],
      ["LRANGE", "bigsorted", "0", "9"],
      ["OBJECT", "ENCODING", "bigsorted"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("errors", async () => {
    const script: ScriptEntry[] = [
      ["RPUSH", "l", "3", "x", "1"],
      ["RPUSH", "n", "3", "1"],
      ["SET", "str", "v"],
      ["HSET", "hash", "f", "v"],
      ["SORT", "l"],
      ["SORT", "l", "STORE", "dst"],
      ["EXISTS", "dst"],
      ["SORT", "str"],
      ["SORT", "hash"],
      ["SORT", "str", "FOO"],
      ["SORT", "n", "FOO"],
      ["SORT", "n", "LIMIT", "1"],
      ["SORT", "n", "LIMIT", "a", "1"],
      ["SORT", "n", "LIMIT", "1", "b"],
      ["SORT", "n", "LIMIT", "1", "1.5"],
      ["SORT", "n", "LIMIT", "a", "1", "FOO"],
      ["SORT", "n", "FOO", "LIMIT", "a", "1"],
      ["SORT", "n", "BY"],
      ["SORT", "n", "GET"],
      ["SORT", "n", "STORE"],
      ["SORT_RO", "n", "STORE", "dst"],
      ["SORT_RO", "str"],
      ["SORT"],
      ["SORT_RO"],
      ["SORT", "str", "LIMIT", "x", "1"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("RESP3 nulls for missing GET values", async () => {
    for (const c of [pair().b, pair().r]) await c.call("HELLO", "3");
    try {
      const script: ScriptEntry[] = [
        ["RPUSH", "l", "2", "1"],
        ["SET", "w_1", "x"],
        ["SORT", "l", "GET", "w_*", "GET", "#"],
        ["SORT", "missing"],
      ];
      expect(await compareSteps(pair(), script)).toEqual([]);
    } finally {
      for (const c of [pair().b, pair().r]) await c.call("HELLO", "2");
    }
  });

  test("COMMAND GETKEYS reports the STORE key", async () => {
    const script: ScriptEntry[] = [
      ["COMMAND", "GETKEYS", "SORT", "k"],
      ["COMMAND", "GETKEYS", "SORT", "k", "LIMIT", "0", "1", "STORE", "d", "GET", "x", "STORE", "e"],
      ["COMMAND", "GETKEYS", "SORT", "k", "GET", "store", "x"],
      ["COMMAND", "GETKEYS", "SORT", "k", "BY", "store", "STORE"],
      ["COMMAND", "GETKEYS", "SORT", "k", "STORE"],
      ["COMMAND", "GETKEYS", "SORT_RO", "k", "BY", "x"],
    ];
    expect(await compareSteps(pair(), script, false)).toEqual([]);
  });

  test("STORE sends sortstore, an emptied destination del", async () => {
    const script: ScriptEntry[] = [
      ["RPUSH", "l", "2", "1"],
      ["SORT", "l", "STORE", "dst"],
      ["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
      ["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
      ["SORT", "l"],
    ];
    expect(await compareNotifications(pair(), script)).toEqual([]);
  });
});

d("SORT and SORT_RO are declared as in Redis", () => {
  test("COMMAND INFO: arity, flags, key positions, categories", async () => {
    expect(await compareCommandInfo(pair(), ["SORT", "SORT_RO"])).toEqual([]);
  });
});
