// WATCH follows Redis's signalModifiedKey exactly: a failed command (wrong type, not an
// integer) or a command that changes nothing leaves a watched key untouched, and
// consumer-group changes do not count as key changes. (Bunker preserves a value for the
// snapshot before a possible change; that preservation must not reach WATCH.)

import { describe, expect, test } from "bun:test";
import { both, compareWatchEffects, haveRedis, usePair } from "../helpers/differential.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair();

async function setUp(...commands: string[][]): Promise<void> {
  await both(pair(), "FLUSHALL");
  for (const command of commands) await both(pair(), ...command);
}

d("WATCH matches Redis", () => {
  test("write commands that fail on the key's type or value", async () => {
    const commands = [
      ["ZADD", "K", "1", "m"], ["ZINCRBY", "K", "1", "m"], ["ZREM", "K", "m"], ["ZPOPMIN", "K"], ["ZREMRANGEBYRANK", "K", "0", "1"],
      ["LPUSH", "K", "a"], ["LPOP", "K"], ["LSET", "K", "0", "a"], ["HSET", "K", "f", "v"], ["HINCRBY", "K", "f", "1"],
      ["SADD", "K", "a"], ["SREM", "K", "a"], ["XADD", "K", "1-1", "f", "v"], ["INCR", "K"], ["INCRBY", "K", "2"],
      ["DECR", "K"], ["INCRBYFLOAT", "K", "1"], ["APPEND", "K", "x"], ["SETRANGE", "K", "0", "x"], ["SETBIT", "K", "0", "1"],
      ["PFADD", "K", "a"], ["GETDEL", "K"], ["LMOVE", "K", "other", "LEFT", "LEFT"],
    ];
    for (const setup of [["SET", "K", "notanumber"], ["RPUSH", "K", "x"], ["HSET", "K", "g", "1"], ["ZADD", "K", "1", "z"], ["SADD", "K", "s"]]) {
      expect(await compareWatchEffects(pair(), { setup: () => setUp(setup), watched: ["K"], probe: ["PING"] }, commands)).toEqual([]);
    }
  });

  test("plain SET and MSET signal the keys they write, and only those", async () => {
    const commands = [["SET", "K", "x"], ["SET", "other", "x"], ["MSET", "other", "1", "K", "2"], ["MSET", "other", "1"]];
    for (const setup of [["SET", "K", "v"], ["PING"]]) {
      expect(await compareWatchEffects(pair(), { setup: () => setUp(setup), watched: ["K"], probe: ["PING"] }, commands)).toEqual([]);
    }
  });

  test("commands that change nothing", async () => {
    const cases: Array<[string[], string[]]> = [
      [["ZADD", "K", "1", "m"], ["ZREM", "K", "nope"]], [["ZADD", "K", "1", "m"], ["ZADD", "K", "1", "m"]], [["ZADD", "K", "1", "m"], ["ZADD", "K", "NX", "2", "m"]],
      [["ZADD", "K", "1", "m"], ["ZREMRANGEBYSCORE", "K", "5", "10"]], [["ZADD", "K", "1", "m"], ["ZPOPMIN", "K", "0"]], [["SET", "K", "5"], ["INCRBY", "K", "0"]],
      [["SET", "K", "5"], ["APPEND", "K", ""]], [["SET", "K", "5"], ["SETRANGE", "K", "0", ""]], [["SET", "K", "5"], ["SET", "K", "5", "NX"]],
      [["SET", "K", "5"], ["SETBIT", "K", "0", "0"]], [["RPUSH", "K", "a"], ["LREM", "K", "0", "zz"]], [["RPUSH", "K", "a"], ["LTRIM", "K", "0", "-1"]],
      [["HSET", "K", "f", "v"], ["HDEL", "K", "nope"]], [["HSET", "K", "f", "v"], ["HSET", "K", "f", "v"]], [["SADD", "K", "a"], ["SREM", "K", "zz"]],
      [["XADD", "K", "1-1", "f", "v"], ["XDEL", "K", "9-9"]], [["SET", "K", "v"], ["RENAME", "K", "K"]], [["SET", "K", "v"], ["EXPIRE", "K", "100", "GT"]],
    ];
    for (const [setup, command] of cases) {
      expect(await compareWatchEffects(pair(), { setup: () => setUp(setup), watched: ["K"], probe: ["PING"] }, [command])).toEqual([]);
    }
  });

  test("stream consumer-group commands", async () => {
    const setup = () =>
      setUp(["XADD", "K", "1-1", "f", "v"], ["XADD", "K", "2-1", "f", "v"], ["XGROUP", "CREATE", "K", "g", "0"], ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "K", ">"]);
    const commands = [
      ["XGROUP", "CREATE", "K", "g2", "0"], ["XGROUP", "SETID", "K", "g", "0"], ["XGROUP", "DESTROY", "K", "g"], ["XGROUP", "CREATECONSUMER", "K", "g", "c9"],
      ["XGROUP", "DELCONSUMER", "K", "g", "c1"], ["XACK", "K", "g", "1-1"], ["XCLAIM", "K", "g", "c2", "0", "1-1"], ["XAUTOCLAIM", "K", "g", "c2", "0", "0"],
      ["XSETID", "K", "5-5"], ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "K", ">"], ["XTRIM", "K", "MAXLEN", "0"], ["XDEL", "K", "1-1"], ["XADD", "K", "9-9", "f", "v"],
    ];
    expect(await compareWatchEffects(pair(), { setup, watched: ["K"], probe: ["PING"] }, commands)).toEqual([]);
  });
});
