// Hash commands compared with Redis 7.0: reply bytes, errors, dirty counter, keyspace
// notifications, OBJECT ENCODING at the listpack thresholds, RESP3 shapes, HRANDFIELD
// and HSCAN properties.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, compareWatchEffects, usePair } from "../helpers/differential.ts";
import { RawClient, type Reply } from "../helpers/server.ts";
import { callBoth, compareKeyspaceStats, compareNotifications, compareSteps, resetBoth, type ScriptEntry } from "./hash-set-harness.ts";


const pair = usePair();

const d = haveRedis ? describe : describe.skip;

/** Builds `HSET key f0 v0 f1 v1 ...` with `count` fields. */
function hsetMany(key: string, count: number, prefix = "f", value = (i: number) => `v${i}`): string[] {
  const args = ["HSET", key];
  for (let i = 0; i < count; i++) args.push(`${prefix}${i}`, value(i));
  return args;
}

d("hash commands match Redis", () => {
  beforeEach(async () => {
    await resetBoth(pair());
  });

  test("HSET, HMSET, HSETNX, HGET, HMGET, HLEN, HEXISTS, HSTRLEN, HDEL", async () => {
    const script: ScriptEntry[] = [
      ["HSET", "h", "a", "1", "b", "2", "c", "3"],
      ["HSET", "h", "a", "1", "d", "4"],
      ["HSET", "h", "a"],
      ["HSET", "h", "a", "1", "b"],
      ["HSET", "h"],
      ["HMSET", "h", "e", "5", "a", "10"],
      ["HMSET", "h", "e"],
      ["HSETNX", "h", "a", "x"],
      ["HSETNX", "h", "z", "26"],
      ["HSETNX", "fresh", "f", "v"],
      ["HGET", "h", "a"],
      ["HGET", "h", "nofield"],
      ["HGET", "nokey", "a"],
      ["HMGET", "h", "a", "nofield", "b", "a"],
      ["HMGET", "nokey", "a", "b"],
      ["HLEN", "h"],
      ["HLEN", "nokey"],
      ["HEXISTS", "h", "a"],
      ["HEXISTS", "h", "nofield"],
      ["HEXISTS", "nokey", "a"],
      ["HSTRLEN", "h", "a"],
      ["HSTRLEN", "h", "nofield"],
      ["HSTRLEN", "nokey", "a"],
      ["HSET", "h", "empty", ""],
      ["HSTRLEN", "h", "empty"],
      ["HGET", "h", "empty"],
      ["HGETALL", "h"],
      ["HKEYS", "h"],
      ["HVALS", "h"],
      ["HGETALL", "nokey"],
      ["HKEYS", "nokey"],
      ["HVALS", "nokey"],
      ["HDEL", "h", "nofield"],
      ["HDEL", "h", "a", "a", "b", "nofield"],
      ["HDEL", "nokey", "a"],
      ["HGETALL", "h"],
      // Deleting and re-adding moves a field to the end of the listpack.
      ["HDEL", "h", "c"],
      ["HSET", "h", "c", "again"],
      ["HGETALL", "h"],
      ["HDEL", "h", "c", "d", "e", "z", "empty", "more"],
      ["EXISTS", "h"],
      ["HDEL", "fresh", "f"],
      ["EXISTS", "fresh"],
      ["HGET"],
      ["HMGET", "h"],
      ["HDEL", "h"],
      ["HLEN", "h", "x"],
      ["HSETNX", "h", "a"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("WRONGTYPE on every command, and no side effect on the string", async () => {
    const script: ScriptEntry[] = [
      ["SET", "s", "value"],
      ["HSET", "s", "a", "1"],
      ["HMSET", "s", "a", "1"],
      ["HSETNX", "s", "a", "1"],
      ["HGET", "s", "a"],
      ["HMGET", "s", "a"],
      ["HLEN", "s"],
      ["HEXISTS", "s", "a"],
      ["HSTRLEN", "s", "a"],
      ["HGETALL", "s"],
      ["HKEYS", "s"],
      ["HVALS", "s"],
      ["HDEL", "s", "a"],
      ["HINCRBY", "s", "a", "1"],
      ["HINCRBYFLOAT", "s", "a", "1.5"],
      ["HRANDFIELD", "s"],
      ["HRANDFIELD", "s", "3"],
      ["HRANDFIELD", "s", "0"],
      ["HRANDFIELD", "s", "-3", "WITHVALUES"],
      ["HSCAN", "s", "0"],
      ["HSCAN", "s", "0", "COUNT", "0"],
      // Argument errors come before the type check where Redis parses first.
      ["HINCRBY", "s", "a", "x"],
      ["HINCRBYFLOAT", "s", "a", "x"],
      ["HRANDFIELD", "s", "x"],
      ["HSCAN", "s", "x"],
      ["HSET", "s", "a"],
      ["GET", "s"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("binary-safe fields and values", async () => {
    const field = new Uint8Array([0, 255, 128, 13, 10, 0x9f]);
    const value = new Uint8Array([1, 0, 254, 32]);
    const script: ScriptEntry[] = [
      ["HSET", "bin", field, value, "plain", field],
      ["HGET", "bin", field],
      ["HGETALL", "bin"],
      ["HSTRLEN", "bin", field],
      ["HEXISTS", "bin", field],
      ["HSCAN", "bin", "0"],
      ["HDEL", "bin", field],
      ["HGETALL", "bin"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HINCRBY: creation, errors, overflow and the stored form", async () => {
    const script: ScriptEntry[] = [
      ["HINCRBY", "h", "n", "5"],
      ["HINCRBY", "h", "n", "-7"],
      ["HINCRBY", "h", "n", "0"],
      ["HINCRBY", "h", "n", "abc"],
      ["HINCRBY", "h", "n", "1.5"],
      ["HINCRBY", "h", "n", " 1"],
      ["HINCRBY", "h", "n", "9223372036854775808"],
      ["HINCRBY", "nokey", "n", "x"],
      ["EXISTS", "nokey"],
      ["HSET", "h", "s", "hello", "lead", "012", "space", " 1", "plus", "+1", "neg0", "-0", "big", "9223372036854775807", "small", "-9223372036854775808"],
      ["HINCRBY", "h", "s", "1"],
      ["HINCRBY", "h", "lead", "1"],
      ["HINCRBY", "h", "space", "1"],
      ["HINCRBY", "h", "plus", "1"],
      ["HINCRBY", "h", "neg0", "1"],
      ["HINCRBY", "h", "big", "1"],
      ["HINCRBY", "h", "big", "0"],
      ["HINCRBY", "h", "big", "-1"],
      ["HINCRBY", "h", "small", "-1"],
      ["HINCRBY", "h", "small", "1"],
      ["HINCRBY", "h", "small", "9223372036854775807"],
      ["HINCRBY", "h", "small", "9223372036854775807"],
      ["HINCRBY", "h", "fresh", "-9223372036854775808"],
      ["HINCRBY", "h", "fresh", "-1"],
      // Across 2^53, where a sum stops being exact as a double.
      ["HSET", "h", "edge", "9007199254740991"],
      ["HINCRBY", "h", "edge", "1"],
      ["HINCRBY", "h", "edge", "1"],
      ["HINCRBY", "h", "edge", "-3"],
      ["HINCRBY", "h", "edge", "-9007199254740991"],
      ["HINCRBY", "h", "edge", "-9007199254740991"],
      ["HGETALL", "h"],
      ["HINCRBY", "h", "n"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HINCRBYFLOAT: long double arithmetic, formatting and errors", async () => {
    const script: ScriptEntry[] = [
      ["HINCRBYFLOAT", "h", "f", "10.5"],
      ["HINCRBYFLOAT", "h", "f", "0.1"],
      ["HINCRBYFLOAT", "h", "f", "-5.6"],
      ["HINCRBYFLOAT", "h", "f", "1e3"],
      ["HINCRBYFLOAT", "h", "f", "0x10"],
      ["HINCRBYFLOAT", "h", "f", "-1005"],
      ["HINCRBYFLOAT", "h", "f", "3.0e-5"],
      ["HINCRBYFLOAT", "h", "g", "5.0e3"],
      ["HINCRBYFLOAT", "h", "g", "-5000"],
      ["HINCRBYFLOAT", "h", "g", "-0.0"],
      ["HINCRBYFLOAT", "h", "i", "1.23456789012345678"],
      ["HINCRBYFLOAT", "h", "j", "0.1"],
      ["HINCRBYFLOAT", "h", "j", "0.2"],
      ["HINCRBYFLOAT", "h", "f", "inf"],
      ["HINCRBYFLOAT", "h", "f", "-inf"],
      ["HINCRBYFLOAT", "h", "f", "nan"],
      ["HINCRBYFLOAT", "h", "f", "abc"],
      ["HINCRBYFLOAT", "h", "f", ""],
      ["HINCRBYFLOAT", "h", "f", " 1"],
      ["HINCRBYFLOAT", "h", "f", "1 "],
      ["HINCRBYFLOAT", "h", "f", "1e5000"],
      ["HINCRBYFLOAT", "nokey", "f", "inf"],
      ["EXISTS", "nokey"],
      ["HSET", "h", "word", "abc", "int", "17", "huge", "1e4932", "infinite", "inf", "spaced", " 2"],
      ["HINCRBYFLOAT", "h", "word", "1"],
      ["HINCRBYFLOAT", "h", "int", "0.5"],
      ["HINCRBYFLOAT", "h", "huge", "1e4932"],
      ["HINCRBYFLOAT", "h", "infinite", "1"],
      ["HINCRBYFLOAT", "h", "spaced", "1"],
      ["HINCRBYFLOAT", "h", "int", "1e20"],
      // Exact short decimals (added in doubles), up to and past 2^53.
      ["HINCRBYFLOAT", "h", "k", "2.5"],
      ["HINCRBYFLOAT", "h", "k", "0.25"],
      ["HINCRBYFLOAT", "h", "k", "-2.75"],
      ["HINCRBYFLOAT", "h", "k", "-0.0078125"],
      ["HINCRBYFLOAT", "h", "k", "9007199254740991"],
      ["HINCRBYFLOAT", "h", "k", "1"],
      ["HINCRBYFLOAT", "h", "k", "+1.5e1"],
      ["HGETALL", "h"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("OBJECT ENCODING follows hash-max-listpack-entries and hash-max-listpack-value", async () => {
    const long = "x".repeat(65);
    const limit = "y".repeat(64);
    const script: ScriptEntry[] = [
      hsetMany("at-limit", 512),
      ["OBJECT", "ENCODING", "at-limit"],
      ["HSET", "at-limit", "f0", "updated"],
      ["OBJECT", "ENCODING", "at-limit"],
      ["HSETNX", "at-limit", "f1", "no"],
      ["HSETNX", "at-limit", "extra", "yes"],
      ["OBJECT", "ENCODING", "at-limit"],
      ["HDEL", "at-limit", "extra", "f0", "f1"],
      // Conversion is one way: shrinking does not bring the listpack back.
      ["OBJECT", "ENCODING", "at-limit"],
      hsetMany("over", 513),
      ["OBJECT", "ENCODING", "over"],
      ["HSET", "v64", "f", limit],
      ["OBJECT", "ENCODING", "v64"],
      ["HSET", "v65", "f", long],
      ["OBJECT", "ENCODING", "v65"],
      ["HSET", "field65", long, "v"],
      ["OBJECT", "ENCODING", "field65"],
      ["HSETNX", "nx65", "f", long],
      ["OBJECT", "ENCODING", "nx65"],
      ["HSET", "nx-existing", "f", "v"],
      ["HSETNX", "nx-existing", "f", long],
      ["OBJECT", "ENCODING", "nx-existing"],
      ["HMSET", "hm65", "a", "1", "b", long],
      ["OBJECT", "ENCODING", "hm65"],
      ["HINCRBY", "incr-long-field", long, "1"],
      ["OBJECT", "ENCODING", "incr-long-field"],
      ["HINCRBYFLOAT", "float-long", "f", "1e70"],
      ["HGET", "float-long", "f"],
      ["OBJECT", "ENCODING", "float-long"],
      ["HINCRBYFLOAT", "float-short", "f", "1e60"],
      ["OBJECT", "ENCODING", "float-short"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "3"],
      ["HSET", "small", "a", "1", "b", "2", "c", "3"],
      ["OBJECT", "ENCODING", "small"],
      ["HSET", "small", "d", "4"],
      ["OBJECT", "ENCODING", "small"],
      ["HSET", "big-at-once", "a", "1", "b", "2", "c", "3", "d", "4"],
      ["OBJECT", "ENCODING", "big-at-once"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
      ["HSET", "zero", "a", "1"],
      ["OBJECT", "ENCODING", "zero"],
      ["CONFIG", "SET", "hash-max-listpack-value", "0"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
      ["HSET", "empty-strings", "", ""],
      ["OBJECT", "ENCODING", "empty-strings"],
      ["HSET", "one-byte", "a", ""],
      ["OBJECT", "ENCODING", "one-byte"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HGETALL, HKEYS, HVALS of a hashtable hash hold the same pairs", async () => {
    const script: ScriptEntry[] = [
      hsetMany("big", 600),
      ["OBJECT", "ENCODING", "big"],
      { cmd: ["HGETALL", "big"], order: "pairs" },
      { cmd: ["HKEYS", "big"], order: "any" },
      { cmd: ["HVALS", "big"], order: "any" },
      ["HLEN", "big"],
      ["HMGET", "big", "f0", "f599", "f600"],
      ["HDEL", "big", "f0", "f1", "f2"],
      ["HLEN", "big"],
      { cmd: ["HRANDFIELD", "big", "1000"], order: "any" },
      { cmd: ["HRANDFIELD", "big", "1000", "WITHVALUES"], order: "pairs" },
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HRANDFIELD: argument errors and deterministic cases", async () => {
    const script: ScriptEntry[] = [
      ["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"],
      ["HRANDFIELD", "nokey"],
      ["HRANDFIELD", "nokey", "5"],
      ["HRANDFIELD", "nokey", "-5", "WITHVALUES"],
      ["HRANDFIELD", "nokey", "x"],
      ["HRANDFIELD", "h", "0"],
      ["HRANDFIELD", "h", "0", "WITHVALUES"],
      ["HRANDFIELD", "h", "x"],
      ["HRANDFIELD", "h", "1.5"],
      ["HRANDFIELD", "h", "-9223372036854775808"],
      ["HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"],
      ["HRANDFIELD", "h", "9223372036854775808"],
      ["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
      ["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"],
      ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
      ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
      ["HRANDFIELD", "h", "5", "WITHVALUE"],
      ["HRANDFIELD", "h", "5", "WITHVALUES", "extra"],
      ["HRANDFIELD", "h", "x", "WITHVALUES", "extra"],
      // A count at least the size returns the whole listpack, in order.
      ["HRANDFIELD", "h", "5"],
      ["HRANDFIELD", "h", "100"],
      ["HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"],
      ["HRANDFIELD", "h", "9223372036854775807"],
      ["HSET", "one", "only", "v"],
      ["HRANDFIELD", "one"],
      ["HRANDFIELD", "one", "1", "WITHVALUES"],
      ["HRANDFIELD", "one", "-3", "WITHVALUES"],
      ["HRANDFIELD", "one", "-2"],
      ["HELLO", "3"],
      ["HRANDFIELD", "h", "5", "WITHVALUES"],
      ["HRANDFIELD", "h", "7"],
      ["HRANDFIELD", "one", "-2", "WITHVALUES"],
      ["HRANDFIELD", "nokey"],
      ["HRANDFIELD", "nokey", "3"],
      ["HRANDFIELD", "h", "0", "WITHVALUES"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HRANDFIELD: random picks are valid, distinct when asked, in listpack order", async () => {
    const fields = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    const values = new Map(fields.map((f, i) => [f, `v${i}`]));
    await callBoth(pair(), "HSET", "h", ...fields.flatMap((f) => [f, values.get(f)!]));
    const large = hsetMany("big", 300, "f", (i) => `x${i}`);
    await callBoth(pair(), "CONFIG", "SET", "hash-max-listpack-entries", "64");
    await callBoth(pair(), ...large);
    for (let round = 0; round < 20; round++) {
      for (const client of [pair().b, pair().r]) {
        const single = (await client.call("HRANDFIELD", "h")) as string;
        expect(values.has(single)).toBe(true);

        const distinct = (await client.call("HRANDFIELD", "h", "4")) as string[];
        expect(distinct.length).toBe(4);
        expect(new Set(distinct).size).toBe(4);
        for (const field of distinct) expect(values.has(field)).toBe(true);
        // A small sample of a listpack (count * 3 <= size) keeps the hash's own order.
        const fewDistinct = (await client.call("HRANDFIELD", "h", "3")) as string[];
        expect(new Set(fewDistinct).size).toBe(3);
        expect([...fewDistinct].sort((x, y) => fields.indexOf(x) - fields.indexOf(y))).toEqual(fewDistinct);

        const withValues = (await client.call("HRANDFIELD", "h", "3", "WITHVALUES")) as string[];
        expect(withValues.length).toBe(6);
        for (let i = 0; i < 6; i += 2) expect(values.get(withValues[i]!)).toBe(withValues[i + 1]!);

        const repeated = (await client.call("HRANDFIELD", "h", "-25", "WITHVALUES")) as string[];
        expect(repeated.length).toBe(50);
        for (let i = 0; i < 50; i += 2) expect(values.get(repeated[i]!)).toBe(repeated[i + 1]!);

        const bigDistinct = (await client.call("HRANDFIELD", "big", "150")) as string[];
        expect(new Set(bigDistinct).size).toBe(150);
        for (const field of bigDistinct) expect(/^f\d+$/.test(field) && Number(field.slice(1)) < 300).toBe(true);
        const bigFew = (await client.call("HRANDFIELD", "big", "7", "WITHVALUES")) as string[];
        expect(bigFew.length).toBe(14);
        for (let i = 0; i < 14; i += 2) expect(bigFew[i + 1]).toBe(`x${bigFew[i]!.slice(1)}`);
      }
    }
    // Negative counts repeat fields: over many picks from a 10-field hash, some repeat.
    const many = (await pair().b.call("HRANDFIELD", "h", "-200")) as string[];
    expect(many.length).toBe(200);
    expect(new Set(many).size).toBeLessThanOrEqual(10);
    expect(new Set(many).size).toBeGreaterThan(5);
  });

  test("HRANDFIELD in RESP3: nested pairs for random picks", async () => {
    const [b3, r3] = [await RawClient.connect(pair().bunker.port), await RawClient.connect(pair().redis.port)];
    try {
      await Promise.all([b3.call("HELLO", "3"), r3.call("HELLO", "3")]);
      await callBoth(pair(), "HSET", "h", "a", "1", "b", "2", "c", "3");
      for (const client of [b3, r3]) {
        const picks = (await client.call("HRANDFIELD", "h", "-4", "WITHVALUES")) as Reply[];
        expect(picks.length).toBe(4);
        for (const pair of picks) {
          const [field, value] = pair as string[];
          expect(`${field}`.charCodeAt(0) - 96).toBe(Number(value));
        }
        const distinct = (await client.call("HRANDFIELD", "h", "2", "WITHVALUES")) as Reply[];
        expect(distinct.length).toBe(2);
        expect(Array.isArray(distinct[0])).toBe(true);
      }
    } finally {
      b3.close();
      r3.close();
    }
  });

  test("HSCAN: listpack in one call, options, errors", async () => {
    const script: ScriptEntry[] = [
      ["HSET", "h", "alpha", "1", "beta", "2", "gamma", "3", "delta", "4", "k1", "x", "k2", "y"],
      ["HSCAN", "h", "0"],
      ["HSCAN", "h", "0", "COUNT", "1"],
      ["HSCAN", "h", "0", "MATCH", "k*"],
      ["HSCAN", "h", "0", "MATCH", "*a"],
      ["HSCAN", "h", "0", "match", "*", "count", "2"],
      ["HSCAN", "h", "0", "MATCH", "nothing*"],
      ["HSCAN", "h", "5"],
      ["HSCAN", "h", "0", "COUNT", "0"],
      ["HSCAN", "h", "0", "COUNT", "-1"],
      ["HSCAN", "h", "0", "COUNT", "x"],
      ["HSCAN", "h", "0", "COUNT"],
      ["HSCAN", "h", "0", "MATCH"],
      ["HSCAN", "h", "0", "TYPE", "string"],
      ["HSCAN", "h", "0", "FOO", "bar"],
      ["HSCAN", "h", "abc"],
      ["HSCAN", "h", "-1x"],
      ["HSCAN", "h", "18446744073709551616"],
      ["HSCAN", "h", "18446744073709551615"],
      // Missing key: the empty scan comes before the options are read.
      ["HSCAN", "nokey", "0"],
      ["HSCAN", "nokey", "0", "COUNT", "0"],
      ["HSCAN", "nokey", "0", "FOO"],
      ["HSCAN", "nokey", "x"],
      ["HSCAN", "h"],
      ["HELLO", "3"],
      ["HSCAN", "h", "0", "MATCH", "k*"],
      ["HSCAN", "nokey", "0"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("HSCAN of a hashtable visits every field once with its value", async () => {
    await callBoth(pair(), ...hsetMany("big", 1000, "field:", (i) => `value:${i}`));
    for (const client of [pair().b, pair().r]) {
      expect(await client.call("OBJECT", "ENCODING", "big")).toBe("hashtable");
      for (const [count, pattern] of [["10", null], ["1", null], ["200", null], ["50", "field:1*"]] as const) {
        const seen = new Map<string, string>();
        let cursor = "0";
        let calls = 0;
        do {
          const args = ["HSCAN", "big", cursor, "COUNT", count];
          if (pattern !== null) args.push("MATCH", pattern);
          const [next, items] = (await client.call(...args)) as [string, string[]];
          for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
          cursor = next;
          calls++;
        } while (cursor !== "0");
        const expected = pattern === null ? 1000 : 1 + 10 + 100;
        expect(seen.size).toBe(expected);
        for (const [field, value] of seen) expect(value).toBe(`value:${field.slice(6)}`);
        if (count === "200") expect(calls).toBeGreaterThan(2);
      }
    }
  });

  test("HSCAN returns every field that stays in the hash while others come and go", async () => {
    await callBoth(pair(), ...hsetMany("big", 600, "keep:"));
    for (const client of [pair().b, pair().r]) {
      await client.call("DEL", "churn");
      await client.call(...hsetMany("churn", 600, "keep:"));
      await client.call(...hsetMany("churn", 300, "temp:"));
      const seen = new Set<string>();
      let cursor = "0";
      let round = 0;
      do {
        const [next, items] = (await client.call("HSCAN", "churn", cursor, "COUNT", "25")) as [string, string[]];
        for (let i = 0; i < items.length; i += 2) seen.add(items[i]!);
        cursor = next;
        // Between calls: drop some temporary fields, add new ones.
        await client.call("HDEL", "churn", `temp:${round}`, `temp:${round + 150}`);
        await client.call("HSET", "churn", `new:${round}`, "x");
        round++;
      } while (cursor !== "0");
      for (let i = 0; i < 600; i++) expect(seen.has(`keep:${i}`)).toBe(true);
    }
  });

  test("an expired hash is gone for reads and recreated by writes", async () => {
    const setup: ScriptEntry[] = [
      ["HSET", "h", "a", "1", "b", "2"],
      ["PEXPIRE", "h", "1"],
      ["HSET", "h2", "a", "1"],
      ["PEXPIRE", "h2", "1"],
      ["HSET", "h3", "a", "1"],
      ["PEXPIRE", "h3", "1"],
    ];
    expect(await compareSteps(pair(), setup)).toEqual([]);
    // The keys' 1 ms must pass; longer is as good (lazily or actively expired, they are gone).
    await Bun.sleep(20);
    const script: ScriptEntry[] = [
      ["HGET", "h", "a"],
      ["HLEN", "h"],
      ["HSET", "h", "a", "9"],
      ["HGETALL", "h"],
      ["TTL", "h"],
      ["HINCRBY", "h2", "a", "5"],
      ["HDEL", "h3", "a"],
      ["EXISTS", "h3"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("RESP3 replies: maps, nulls", async () => {
    const script: ScriptEntry[] = [
      ["HSET", "h", "a", "1", "b", "2"],
      ["HELLO", "3"],
      ["HGETALL", "h"],
      ["HGETALL", "nokey"],
      ["HKEYS", "h"],
      ["HVALS", "nokey"],
      ["HGET", "h", "nofield"],
      ["HGET", "nokey", "a"],
      ["HMGET", "h", "a", "nofield"],
      ["HMGET", "nokey", "a"],
      ["HRANDFIELD", "nokey"],
      ["HINCRBYFLOAT", "h", "f", "1.5"],
      ["HINCRBY", "h", "i", "2"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("keyspace notifications match Redis's events", async () => {
    const script: ScriptEntry[] = [
      ["HSET", "h", "a", "1", "b", "2"],
      ["HSET", "h", "a", "1"],
      ["HMSET", "h", "c", "3"],
      ["HSETNX", "h", "a", "x"],
      ["HSETNX", "h", "d", "4"],
      ["HINCRBY", "h", "n", "3"],
      ["HINCRBY", "h", "a", "x"],
      ["HINCRBYFLOAT", "h", "f", "1.5"],
      ["HINCRBYFLOAT", "h", "f", "inf"],
      ["HDEL", "h", "nofield"],
      ["HDEL", "h", "a", "b"],
      ["HDEL", "h", "c", "d", "n", "f"],
      ["HDEL", "nokey", "a"],
      ["HGET", "h", "a"],
      ["HSET", "h2", "x", "1"],
      ["HDEL", "h2", "x", "y"],
      ["HINCRBYFLOAT", "h3", "x", "2"],
      ["HSETNX", "h4", "x", "1"],
    ];
    expect(await compareNotifications(pair(), script)).toEqual([]);
  });

  test("no-op writes leave WATCH intact, real changes abort the transaction", async () => {
    const script: ScriptEntry[] = [["HSET", "h", "a", "1"]];
    expect(await compareSteps(pair(), script)).toEqual([]);
    const cases: Array<[string[], string]> = [
      [["HDEL", "h", "nofield"], "no-op HDEL"],
      [["HSETNX", "h", "a", "2"], "no-op HSETNX"],
      [["HINCRBY", "h", "a", "x"], "failed HINCRBY"],
      [["HGET", "h", "a"], "read"],
      [["HSET", "h", "a", "1"], "HSET with the same value"],
      [["HDEL", "h", "a"], "real HDEL"],
    ];
    const setup = async () => void (await callBoth(pair(), "HSET", "h", "a", "1"));
    expect(await compareWatchEffects(pair(), { setup, watched: ["h"], probe: ["HLEN", "h"] }, cases.map(([command]) => command))).toEqual([]);
  });

  test("keyspace hits and misses count like Redis's", async () => {
    await callBoth(pair(), "HSET", "h", "a", "1");
    const commands = [
      ["HGET", "h", "a"],
      ["HGET", "nokey", "a"],
      ["HMGET", "h", "a", "b"],
      ["HGETALL", "nokey"],
      ["HSET", "h", "b", "2"],
      ["HDEL", "nokey", "a"],
      ["HINCRBY", "h", "n", "1"],
      ["HSCAN", "h", "0"],
      ["HRANDFIELD", "nokey", "2"],
      ["HEXISTS", "h", "a"],
    ];
    expect(await compareKeyspaceStats(pair(), commands)).toEqual([]);
  });

  test("COMMAND INFO declarations match Redis (name, arity, flags, key range, categories, tips)", async () => {
    expect(await compareCommandInfo(pair(), ["hset", "hsetnx", "hget", "hmget", "hmset", "hgetall", "hdel", "hlen", "hexists", "hkeys", "hvals", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield", "hscan"])).toEqual([]);
  });
});
