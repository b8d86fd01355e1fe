// Set commands compared with Redis 7.0: reply bytes (intsets list in ascending order, so
// most replies compare exactly; hashtable results compare as multisets), errors, dirty
// counter, keyspace notifications, OBJECT ENCODING, RESP3 shapes, random picks, SSCAN.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, compareWatchEffects, usePair } from "../helpers/differential.ts";
import { callBoth, compareKeyspaceStats, compareNotifications, compareSteps, resetBoth, type ScriptEntry } from "./hash-set-harness.ts";


const pair = usePair();

const d = haveRedis ? describe : describe.skip;

function range(from: number, to: number, prefix = ""): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`${prefix}${i}`);
  return out;
}

d("set commands match Redis", () => {
  beforeEach(async () => {
    await resetBoth(pair());
  });

  test("SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "s", "3", "1", "2", "1", "-5"],
      ["SADD", "s", "2", "3"],
      ["SMEMBERS", "s"],
      ["SCARD", "s"],
      ["SCARD", "nokey"],
      ["SISMEMBER", "s", "1"],
      ["SISMEMBER", "s", "4"],
      ["SISMEMBER", "s", "01"],
      ["SISMEMBER", "nokey", "1"],
      ["SMISMEMBER", "s", "1", "4", "-5", "1"],
      ["SMISMEMBER", "nokey", "1", "2"],
      ["SMEMBERS", "nokey"],
      ["SREM", "s", "4"],
      ["SREM", "s", "1", "1", "4"],
      ["SREM", "nokey", "1"],
      ["SMEMBERS", "s"],
      ["SREM", "s", "2", "3", "-5", "9"],
      ["EXISTS", "s"],
      ["SADD", "words", "b", "a", "c"],
      ["SREM", "words", "a"],
      { cmd: ["SMEMBERS", "words"], order: "any" },
      ["SADD", "s"],
      ["SREM", "s"],
      ["SISMEMBER", "s"],
      ["SMISMEMBER", "s"],
      ["SCARD"],
      ["SMEMBERS", "a", "b"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("WRONGTYPE on every command", async () => {
    const script: ScriptEntry[] = [
      ["SET", "str", "value"],
      ["SADD", "set", "1", "2"],
      ["SADD", "str", "1"],
      ["SREM", "str", "1"],
      ["SCARD", "str"],
      ["SISMEMBER", "str", "1"],
      ["SMISMEMBER", "str", "1"],
      ["SMEMBERS", "str"],
      ["SPOP", "str"],
      ["SPOP", "str", "2"],
      ["SPOP", "str", "0"],
      ["SPOP", "str", "-1"],
      ["SRANDMEMBER", "str"],
      ["SRANDMEMBER", "str", "2"],
      ["SRANDMEMBER", "str", "0"],
      ["SRANDMEMBER", "str", "x"],
      ["SMOVE", "str", "set", "1"],
      ["SMOVE", "set", "str", "1"],
      ["SMOVE", "set", "str", "nomember"],
      ["SMOVE", "nokey", "str", "1"],
      ["SINTER", "set", "str"],
      ["SINTER", "nokey", "str"],
      ["SINTER", "str", "nokey"],
      ["SINTERCARD", "2", "set", "str"],
      ["SINTERCARD", "2", "nokey", "str"],
      ["SINTERSTORE", "dst", "set", "str"],
      ["SINTERSTORE", "dst", "nokey", "str"],
      ["SUNION", "set", "str"],
      ["SUNIONSTORE", "dst", "str", "set"],
      ["SDIFF", "set", "str"],
      ["SDIFF", "nokey", "str"],
      ["SDIFFSTORE", "dst", "nokey", "str"],
      ["SSCAN", "str", "0"],
      ["SSCAN", "str", "0", "COUNT", "0"],
      ["SSCAN", "str", "x"],
      ["EXISTS", "dst"],
      ["GET", "str"],
      ["SMEMBERS", "set"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("OBJECT ENCODING: intset until a non-integer or set-max-intset-entries", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "ints", "1", "-1", "9223372036854775807", "-9223372036854775808", "0"],
      ["OBJECT", "ENCODING", "ints"],
      ["SMEMBERS", "ints"],
      ["SADD", "over", "9223372036854775808"],
      ["OBJECT", "ENCODING", "over"],
      ["SADD", "under", "-9223372036854775809"],
      ["OBJECT", "ENCODING", "under"],
      ["SADD", "lead", "01"],
      ["OBJECT", "ENCODING", "lead"],
      ["SADD", "negzero", "-0"],
      ["OBJECT", "ENCODING", "negzero"],
      ["SADD", "plus", "+1"],
      ["OBJECT", "ENCODING", "plus"],
      ["SADD", "space", " 1"],
      ["OBJECT", "ENCODING", "space"],
      ["SADD", "float", "1.0"],
      ["OBJECT", "ENCODING", "float"],
      ["SADD", "empty", ""],
      ["OBJECT", "ENCODING", "empty"],
      ["SADD", "mixed", "5", "3"],
      ["SADD", "mixed", "x"],
      ["OBJECT", "ENCODING", "mixed"],
      ["SREM", "mixed", "x"],
      // Conversion is one way.
      ["OBJECT", "ENCODING", "mixed"],
      ["SADD", "at-limit", ...range(0, 512)],
      ["OBJECT", "ENCODING", "at-limit"],
      ["SADD", "at-limit", "511"],
      ["OBJECT", "ENCODING", "at-limit"],
      ["SADD", "at-limit", "512"],
      ["OBJECT", "ENCODING", "at-limit"],
      ["SADD", "big-at-once", ...range(0, 513)],
      ["OBJECT", "ENCODING", "big-at-once"],
      ["CONFIG", "SET", "set-max-intset-entries", "2"],
      ["SADD", "small", "1", "2"],
      ["OBJECT", "ENCODING", "small"],
      ["SADD", "small", "3"],
      ["OBJECT", "ENCODING", "small"],
      ["CONFIG", "SET", "set-max-intset-entries", "0"],
      ["SADD", "zero", "1"],
      ["OBJECT", "ENCODING", "zero"],
      ["CONFIG", "SET", "set-max-intset-entries", "512"],
      ["SADD", "big", ...range(0, 600)],
      { cmd: ["SMEMBERS", "big"], order: "any" },
      ["SCARD", "big"],
      ["SMISMEMBER", "big", "0", "599", "600"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("binary-safe members", async () => {
    const member = new Uint8Array([0, 255, 128, 13, 10]);
    const script: ScriptEntry[] = [
      ["SADD", "bin", member, "x"],
      ["SISMEMBER", "bin", member],
      { cmd: ["SMEMBERS", "bin"], order: "any" },
      ["SREM", "bin", member],
      ["SMEMBERS", "bin"],
      ["SMOVE", "bin", "other", "x"],
      ["SMEMBERS", "other"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SMOVE: every branch", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "src", "1", "2", "3"],
      ["SADD", "dst", "3", "4"],
      ["SET", "str", "x"],
      ["SMOVE", "nokey", "dst", "1"],
      ["SMOVE", "nokey", "str", "1"],
      ["SMOVE", "src", "dst", "9"],
      ["SMOVE", "src", "src", "1"],
      ["SMOVE", "src", "src", "9"],
      ["SMOVE", "src", "dst", "1"],
      ["SMEMBERS", "src"],
      ["SMEMBERS", "dst"],
      // Already in the destination: removed from the source only.
      ["SMOVE", "src", "dst", "3"],
      ["SMEMBERS", "dst"],
      ["SMOVE", "src", "fresh", "2"],
      ["EXISTS", "src"],
      ["SMEMBERS", "fresh"],
      ["OBJECT", "ENCODING", "fresh"],
      ["SADD", "words", "w"],
      ["SMOVE", "words", "new-words", "w"],
      ["OBJECT", "ENCODING", "new-words"],
      ["SMOVE", "dst", "fresh", "x"],
      ["SMOVE", "dst", "fresh", "4"],
      ["SMEMBERS", "fresh"],
      ["CONFIG", "SET", "set-max-intset-entries", "2"],
      ["SMOVE", "dst", "fresh", "1"],
      ["OBJECT", "ENCODING", "fresh"],
      ["SMOVE", "dst", "fresh"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SPOP: errors, whole-set pops, dirty counter", async () => {
    const script: ScriptEntry[] = [
      ["SPOP", "nokey"],
      ["SPOP", "nokey", "3"],
      ["SPOP", "nokey", "0"],
      ["SPOP", "nokey", "-1"],
      ["SADD", "s", "5", "1", "3"],
      ["SPOP", "s", "-1"],
      ["SPOP", "s", "x"],
      ["SPOP", "s", "1.5"],
      ["SPOP", "s", "1", "2"],
      ["SPOP", "s", "0"],
      ["SPOP", "s", "9223372036854775808"],
      // count >= size returns the whole set (ascending for integers) and deletes the key.
      ["SPOP", "s", "100"],
      ["EXISTS", "s"],
      ["SADD", "s", "5", "1", "3"],
      ["SPOP", "s", "3"],
      ["SADD", "s", "5", "1", "3"],
      ["SPOP", "s", "9223372036854775807"],
      ["SADD", "one", "only"],
      ["SPOP", "one"],
      ["EXISTS", "one"],
      ["SADD", "one", "only"],
      ["SPOP", "one", "1"],
      ["EXISTS", "one"],
      // A hashtable whose remaining members are integers pops them in intset order.
      ["SADD", "h", "a", "3", "1", "2"],
      ["SREM", "h", "a"],
      ["SPOP", "h", "10"],
      ["SADD", "w", "x", "y", "z"],
      { cmd: ["SPOP", "w", "3"], order: "any" },
      ["HELLO", "3"],
      ["SPOP", "nokey"],
      ["SPOP", "nokey", "2"],
      ["SADD", "s", "2", "1"],
      ["SPOP", "s", "0"],
      ["SPOP", "s", "5"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SPOP and SRANDMEMBER random picks are valid", async () => {
    const members = range(0, 40, "m");
    const ints = range(0, 40);
    for (let round = 0; round < 10; round++) {
      await resetBoth(pair());
      await callBoth(pair(), "SADD", "s", ...members);
      await callBoth(pair(), "SADD", "i", ...ints);
      for (const client of [pair().b, pair().r]) {
        const one = (await client.call("SRANDMEMBER", "s")) as string;
        expect(members).toContain(one);
        const distinct = (await client.call("SRANDMEMBER", "s", "15")) as string[];
        expect(new Set(distinct).size).toBe(15);
        for (const m of distinct) expect(members).toContain(m);
        const most = (await client.call("SRANDMEMBER", "i", "35")) as string[];
        expect(new Set(most).size).toBe(35);
        const repeated = (await client.call("SRANDMEMBER", "s", "-100")) as string[];
        expect(repeated.length).toBe(100);
        for (const m of repeated) expect(members).toContain(m);
        expect(await client.call("SRANDMEMBER", "s", "1")).toHaveLength(1);

        const popped = (await client.call("SPOP", "s")) as string;
        expect(members).toContain(popped);
        expect(await client.call("SISMEMBER", "s", popped)).toBe(0);
        const poppedMany = (await client.call("SPOP", "s", "10")) as string[];
        expect(new Set(poppedMany).size).toBe(10);
        expect(await client.call("SCARD", "s")).toBe(29);
        for (const m of poppedMany) expect(await client.call("SISMEMBER", "s", m)).toBe(0);
        const poppedInts = (await client.call("SPOP", "i", "30")) as string[];
        expect(new Set(poppedInts).size).toBe(30);
        expect(await client.call("SCARD", "i")).toBe(10);
        expect(await client.call("OBJECT", "ENCODING", "i")).toBe("intset");
      }
    }
  });

  test("SRANDMEMBER: errors and deterministic cases", async () => {
    const script: ScriptEntry[] = [
      ["SRANDMEMBER", "nokey"],
      ["SRANDMEMBER", "nokey", "3"],
      ["SRANDMEMBER", "nokey", "-3"],
      ["SRANDMEMBER", "nokey", "x"],
      ["SADD", "s", "30", "10", "20"],
      ["SRANDMEMBER", "s", "0"],
      ["SRANDMEMBER", "s", "x"],
      ["SRANDMEMBER", "s", "-9223372036854775808"],
      ["SRANDMEMBER", "s", "9223372036854775808"],
      ["SRANDMEMBER", "s", "1", "2"],
      ["SRANDMEMBER", "s", "3"],
      ["SRANDMEMBER", "s", "9223372036854775807"],
      ["SADD", "one", "7"],
      ["SRANDMEMBER", "one"],
      ["SRANDMEMBER", "one", "-4"],
      ["SRANDMEMBER", "one", "1"],
      ["SADD", "w", "x", "y"],
      { cmd: ["SRANDMEMBER", "w", "5"], order: "any" },
      ["HELLO", "3"],
      ["SRANDMEMBER", "nokey"],
      ["SRANDMEMBER", "nokey", "2"],
      ["SRANDMEMBER", "s", "10"],
      ["SRANDMEMBER", "one", "-2"],
      ["SRANDMEMBER", "s", "0"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SINTER, SINTERCARD, SINTERSTORE", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "a", "1", "2", "3", "4", "5"],
      ["SADD", "b", "2", "3", "5", "7"],
      ["SADD", "c", "5", "3", "9", "x"],
      ["SADD", "words", "x", "y", "z"],
      ["SINTER", "a", "b"],
      ["SINTER", "a"],
      ["SINTER", "a", "a", "b"],
      ["SINTER", "b", "a", "c"],
      ["SINTER", "a", "words"],
      ["SINTER", "a", "nokey"],
      ["SINTER", "nokey"],
      { cmd: ["SINTER", "words", "c"], order: "any" },
      ["SINTERCARD", "2", "a", "b"],
      ["SINTERCARD", "3", "a", "b", "c"],
      ["SINTERCARD", "1", "a"],
      ["SINTERCARD", "2", "a", "nokey"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "2"],
      ["SINTERCARD", "2", "a", "b", "limit", "0"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "100"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "3"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "-1"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "x"],
      ["SINTERCARD", "2", "a", "b", "LIMIT"],
      ["SINTERCARD", "2", "a", "b", "FOO", "1"],
      ["SINTERCARD", "1", "a", "b"],
      ["SINTERCARD", "0", "a"],
      ["SINTERCARD", "-1", "a"],
      ["SINTERCARD", "x", "a"],
      ["SINTERCARD", "3", "a", "b"],
      ["SINTERCARD", "9223372036854775808", "a"],
      ["SINTERCARD", "1"],
      ["SINTERSTORE", "dst", "a", "b"],
      ["SMEMBERS", "dst"],
      ["OBJECT", "ENCODING", "dst"],
      ["EXPIRE", "dst", "100"],
      ["SINTERSTORE", "dst", "a", "c"],
      ["TTL", "dst"],
      ["SMEMBERS", "dst"],
      ["SINTERSTORE", "dst", "a", "words"],
      ["EXISTS", "dst"],
      ["SINTERSTORE", "dst", "a", "words"],
      ["SET", "str", "v"],
      ["SINTERSTORE", "str", "a", "b"],
      ["TYPE", "str"],
      ["SINTERSTORE", "str", "a", "nokey"],
      ["EXISTS", "str"],
      ["SINTERSTORE", "dst2", "nokey", "a"],
      ["SINTERSTORE", "a", "a", "b"],
      ["SMEMBERS", "a"],
      ["SINTERSTORE", "wdst", "words", "c"],
      ["OBJECT", "ENCODING", "wdst"],
      ["SMEMBERS", "wdst"],
      ["SINTERSTORE", "dst"],
      ["SINTER"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SUNION, SDIFF and their STORE forms", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "a", "1", "2", "3", "4", "5"],
      ["SADD", "b", "2", "3", "5", "7"],
      ["SADD", "c", "5", "3", "9", "x"],
      ["SADD", "words", "x", "y", "z"],
      ["SUNION", "a", "b"],
      ["SUNION", "a", "nokey", "b"],
      ["SUNION", "nokey"],
      { cmd: ["SUNION", "a", "c"], order: "any" },
      ["SDIFF", "a", "b"],
      ["SDIFF", "a", "nokey"],
      ["SDIFF", "nokey", "a"],
      ["SDIFF", "a", "a"],
      ["SDIFF", "a", "b", "a"],
      ["SDIFF", "a", "c", "b"],
      ["SDIFF", "a"],
      { cmd: ["SDIFF", "c", "a"], order: "any" },
      { cmd: ["SDIFF", "words", "c"], order: "any" },
      ["SUNIONSTORE", "u", "a", "b"],
      ["SMEMBERS", "u"],
      ["OBJECT", "ENCODING", "u"],
      ["SUNIONSTORE", "u", "a", "words"],
      ["OBJECT", "ENCODING", "u"],
      ["SCARD", "u"],
      ["SUNIONSTORE", "u", "nokey"],
      ["EXISTS", "u"],
      ["SUNIONSTORE", "u", "nokey"],
      ["SDIFFSTORE", "d", "a", "b"],
      ["SMEMBERS", "d"],
      ["EXPIRE", "d", "100"],
      ["SDIFFSTORE", "d", "a", "c"],
      ["TTL", "d"],
      ["SMEMBERS", "d"],
      ["SDIFFSTORE", "d", "a", "a"],
      ["EXISTS", "d"],
      ["SET", "str", "v"],
      ["SUNIONSTORE", "str", "a"],
      ["TYPE", "str"],
      ["SDIFFSTORE", "str", "nokey", "a"],
      ["EXISTS", "str"],
      // A hashtable source whose difference is all integers gives an intset.
      ["SDIFFSTORE", "d", "c", "words"],
      ["OBJECT", "ENCODING", "d"],
      ["SMEMBERS", "d"],
      ["SDIFFSTORE", "a", "a", "b"],
      ["SMEMBERS", "a"],
      ["SUNION"],
      ["SDIFFSTORE", "d"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SDIFF's two algorithms give Redis's result encoding", async () => {
    const script: ScriptEntry[] = [
      ["CONFIG", "SET", "set-max-intset-entries", "20"],
      // First set 30 integers (hashtable); others small, so 3 * 30 / 2 > 30 + 10 + 1: the
      // copy-then-remove algorithm runs and its 19-member result stays a hashtable.
      ["SADD", "big", ...range(0, 30)],
      ["SADD", "small1", ...range(0, 10)],
      ["SADD", "small2", "29"],
      ["SDIFFSTORE", "r1", "big", "small1", "small2"],
      ["OBJECT", "ENCODING", "r1"],
      ["SCARD", "r1"],
      { cmd: ["SDIFF", "big", "small1", "small2"], order: "any" },
      // Balanced sizes: the member-by-member algorithm builds the result from scratch.
      ["SADD", "bigother", ...range(0, 15), ...range(100, 115)],
      ["SDIFFSTORE", "r2", "big", "bigother"],
      ["OBJECT", "ENCODING", "r2"],
      ["SMEMBERS", "r2"],
      ["SUNIONSTORE", "r3", "small1", "small2"],
      ["OBJECT", "ENCODING", "r3"],
      ["SINTERSTORE", "r4", "big", "bigother"],
      ["OBJECT", "ENCODING", "r4"],
      ["SMEMBERS", "r4"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("SSCAN: intsets in one call, options, errors, hashtable iteration", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "s", "10", "3", "7", "100", "-4"],
      ["SSCAN", "s", "0"],
      ["SSCAN", "s", "0", "COUNT", "1"],
      ["SSCAN", "s", "0", "MATCH", "1*"],
      ["SSCAN", "s", "0", "MATCH", "-*", "COUNT", "100"],
      ["SSCAN", "s", "7"],
      ["SSCAN", "s", "0", "COUNT", "0"],
      ["SSCAN", "s", "0", "COUNT", "x"],
      ["SSCAN", "s", "0", "TYPE", "set"],
      ["SSCAN", "s", "0", "MATCH"],
      ["SSCAN", "s", "x"],
      ["SSCAN", "nokey", "0"],
      ["SSCAN", "nokey", "0", "COUNT", "0"],
      ["SSCAN", "s"],
      ["SADD", "w", "apple"],
      ["SSCAN", "w", "0"],
      ["SSCAN", "w", "0", "MATCH", "b*"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
    await callBoth(pair(), "SADD", "big", ...range(0, 700, "member:"));
    for (const client of [pair().b, pair().r]) {
      for (const [count, pattern, expected] of [["10", null, 700], ["1", null, 700], ["100", "member:1*", 111]] as const) {
        const seen = new Set<string>();
        let cursor = "0";
        do {
          const args = ["SSCAN", "big", cursor, "COUNT", count];
          if (pattern !== null) args.push("MATCH", pattern);
          const [next, items] = (await client.call(...args)) as [string, string[]];
          for (const item of items) seen.add(item);
          cursor = next;
        } while (cursor !== "0");
        expect(seen.size).toBe(expected);
      }
    }
  });

  test("an expired set counts as missing for every command", async () => {
    const setup: ScriptEntry[] = [
      ["SADD", "gone", "1", "2"],
      ["SADD", "gone2", "1", "2"],
      ["SADD", "live", "2", "3"],
      ["PEXPIRE", "gone", "1"],
      ["PEXPIRE", "gone2", "1"],
    ];
    expect(await compareSteps(pair(), setup)).toEqual([]);
    // The keys' 1 ms must pass; longer is as good (lazily or actively expired, they are gone).
    await Bun.sleep(20);
    const script: ScriptEntry[] = [
      ["SISMEMBER", "gone", "1"],
      ["SINTER", "live", "gone"],
      ["SUNION", "live", "gone"],
      ["SMOVE", "gone", "live", "1"],
      ["SMOVE", "live", "gone2", "2"],
      ["SMEMBERS", "gone2"],
      ["TTL", "gone2"],
      ["SADD", "gone", "5"],
      ["SMEMBERS", "gone"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("RESP3: set replies", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "a", "1", "2", "3"],
      ["SADD", "b", "2", "3", "4"],
      ["HELLO", "3"],
      ["SMEMBERS", "a"],
      ["SMEMBERS", "nokey"],
      ["SINTER", "a", "b"],
      ["SINTER", "a", "nokey"],
      ["SINTERCARD", "2", "a", "b"],
      ["SUNION", "a", "b"],
      ["SUNION", "nokey"],
      ["SDIFF", "a", "b"],
      ["SMISMEMBER", "a", "1", "9"],
      ["SISMEMBER", "a", "1"],
      ["SSCAN", "a", "0"],
      ["HELLO", "2"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("keyspace notifications match Redis's events", async () => {
    const script: ScriptEntry[] = [
      ["SADD", "s", "1", "2", "3"],
      ["SADD", "s", "1"],
      ["SREM", "s", "9"],
      ["SREM", "s", "1"],
      ["SMOVE", "s", "t", "2"],
      ["SMOVE", "s", "t", "9"],
      ["SADD", "t", "3"],
      ["SMOVE", "s", "t", "3"],
      ["SADD", "p", "a", "b", "c"],
      ["SPOP", "p", "0"],
      { cmd: ["SPOP", "p", "1"], order: "shape" },
      { cmd: ["SPOP", "p", "5"], order: "shape" },
      ["SADD", "p", "a"],
      ["SPOP", "p"],
      ["SADD", "a", "1", "2"],
      ["SADD", "b", "2", "3"],
      ["SINTERSTORE", "i", "a", "b"],
      ["SINTERSTORE", "i", "a", "nokey"],
      ["SINTERSTORE", "i", "a", "nokey"],
      ["SUNIONSTORE", "u", "a", "b"],
      ["SUNIONSTORE", "u", "nokey"],
      ["SDIFFSTORE", "d", "a", "b"],
      ["SDIFFSTORE", "d", "a", "a"],
      ["SREM", "t", "2", "3", "4"],
      ["SREM", "nokey", "1"],
    ];
    expect(await compareNotifications(pair(), script)).toEqual([]);
  });

  test("no-op writes leave WATCH intact, real changes abort the transaction", async () => {
    const cases: string[][] = [
      ["SADD", "s", "a"],
      ["SREM", "s", "nomember"],
      ["SMOVE", "s", "t", "nomember"],
      ["SMOVE", "other", "s", "a"],
      ["SINTERCARD", "1", "s"],
      ["SADD", "s", "new"],
      ["SREM", "s", "a"],
      ["SPOP", "s", "0"],
      ["SMOVE", "s", "t", "a"],
      ["SDIFFSTORE", "s", "s", "nokey"],
      ["SINTERSTORE", "nokey2", "nokey"],
    ];
    const setup = async () => {
      await resetBoth(pair());
      await callBoth(pair(), "SADD", "s", "a", "b");
      await callBoth(pair(), "SADD", "other", "a");
    };
    expect(await compareWatchEffects(pair(), { setup, watched: ["s", "nokey2"], probe: ["SCARD", "s"] }, cases)).toEqual([]);
  });

  test("keyspace hits and misses count like Redis's", async () => {
    await callBoth(pair(), "SADD", "s", "1", "2");
    const commands = [
      ["SISMEMBER", "s", "1"],
      ["SISMEMBER", "nokey", "1"],
      ["SMEMBERS", "s"],
      ["SINTER", "s", "nokey"],
      ["SUNION", "s", "nokey"],
      ["SINTERCARD", "2", "s", "nokey"],
      ["SINTERSTORE", "d", "s", "nokey"],
      ["SUNIONSTORE", "d", "s", "nokey"],
      ["SADD", "s", "3"],
      ["SMOVE", "s", "nokey", "3"],
      ["SPOP", "nokey"],
      ["SRANDMEMBER", "s", "2"],
      ["SSCAN", "s", "0"],
    ];
    expect(await compareKeyspaceStats(pair(), commands)).toEqual([]);
  });

  test("COMMAND GETKEYS knows SINTERCARD's keys", async () => {
    const script: ScriptEntry[] = [
      ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["COMMAND", "GETKEYS", "SINTERCARD", "1", "a"],
      ["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"],
      ["COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("COMMAND INFO declarations match Redis (name, arity, flags, key range, categories, tips)", async () => {
    expect(await compareCommandInfo(pair(), ["sadd", "srem", "scard", "sismember", "smismember", "smembers", "spop", "srandmember", "smove", "sinter", "sintercard", "sinterstore", "sunion", "sunionstore", "sdiff", "sdiffstore", "sscan"])).toEqual([]);
  });
});
