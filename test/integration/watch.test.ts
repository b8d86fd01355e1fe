// WATCH follows Redis's signalModifiedKey exactly: a failed command (wrong type, not an
// integer) or a command that changes nothing leaves a watched key untouched, and
// consumer-group changes do not count as key changes. (Bunker preserves a value for the
// snapshot before a possible change; that preservation must not reach WATCH.)

import { describe, expect, test } from "bun:test";
import { both, compareWatchEffects, haveRedis, usePair } from "../helpers/differential.ts";
import { RawClient } from "../helpers/server.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair(["--enable-debug-command", "yes"]);

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

  test("keys that expire: watched already expired (a lazy deletion is no change), or expiring after WATCH (EXEC fails)", async () => {
    const p = pair();
    const outcomes: string[][] = [];
    // [TTL in ms at SET time, command of the other client after the key expired]
    const cases: Array<[number, string[]]> = [[1, ["GET", "K"]], [1, ["SET", "K", "new"]], [1, ["PING"]], [1, ["EXISTS", "K"]], [200, ["PING"]], [200, ["GET", "K"]]];
    for (const [ttl, command] of cases) {
      const replies: string[] = [];
      for (const [watcher, port] of [[p.b, p.bunker.port], [p.r, p.redis.port]] as const) {
        await watcher.call("FLUSHALL");
        await watcher.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        await watcher.call("SET", "K", "v", "PX", String(ttl));
        const setAt = Date.now();
        // An expiry must pass: a key set to live `ttl` ms is past it after ttl + 50 ms.
        if (ttl === 1) await Bun.sleep(50);
        await watcher.call("WATCH", "K");
        if (ttl > 1) await Bun.sleep(Math.max(0, setAt + ttl + 50 - Date.now()));
        const other = await RawClient.connect(port);
        await other.call(...command);
        other.close();
        await watcher.call("MULTI");
        await watcher.call("PING");
        replies.push(await watcher.callRaw("EXEC"));
        await watcher.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      }
      outcomes.push([`${ttl} ms, ${command.join(" ")}`, ...replies]);
    }
    for (const [label, bunker, redis] of outcomes) expect(`${label}: ${bunker}`).toBe(`${label}: ${redis}`);
    // The cases do tell the two behaviours apart.
    expect(new Set(outcomes.map(([, , redis]) => redis)).size).toBe(2);
  });

  test("SWAPDB and FLUSHDB: a watched key that exists in either database changes, one in neither does not", async () => {
    const commands = [["SWAPDB", "0", "1"], ["SWAPDB", "1", "0"], ["SWAPDB", "0", "0"], ["SWAPDB", "1", "2"], ["FLUSHDB"], ["FLUSHALL"]];
    const setups = [
      [["PING"]],
      [["SET", "K", "in-0"]],
      [["SELECT", "1"], ["SET", "K", "in-1"], ["SELECT", "0"]],
      [["SET", "K", "in-0"], ["SELECT", "1"], ["SET", "K", "in-1"], ["SELECT", "0"]],
      [["SELECT", "1"], ["SET", "other", "in-1"], ["SELECT", "0"]],
    ];
    for (const setup of setups) {
      expect(await compareWatchEffects(pair(), { setup: () => setUp(...setup), watched: ["K"], probe: ["PING"] }, commands)).toEqual([]);
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
