// What a script's commands do to the rest of the server, against the real redis-server
// 7.0: scripts in MULTI/EXEC, WATCH, keyspace events, blocking commands inside a script
// and clients blocked outside it, the time a script sees, SELECT inside a script, keys
// not declared, MISCONF, and what MONITOR shows.

import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { both, compareScript, compareWatchEffects, haveRedis, startPair, usePair, type CommandArgs, type Pair } from "../helpers/differential.ts";
import { RawClient } from "../helpers/server.ts";
import { runScenario, type Step } from "../helpers/scenario.ts";
import { waitFor } from "../helpers/wait.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair(["--enable-debug-command", "yes"]);

async function reset(p: Pair, ...commands: CommandArgs[]): Promise<void> {
  await both(p, "FLUSHALL");
  await both(p, "SCRIPT", "FLUSH");
  for (const command of commands) await both(p, ...command);
}

/** A Lua loop that runs until `ms` milliseconds of real time have passed (TIME is not frozen). */
const busyFor = (ms: number): string =>
  `local t0 = redis.call('time'); repeat local t = redis.call('time') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= ${ms * 1000}`;

d("scripts and the rest of the server", () => {
  test("scripts inside MULTI/EXEC", async () => {
    const p = pair();
    await reset(p, ["SET", "s", "text"]);
    await both(p, "SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])");
    expect(
      await compareScript(p, [
        ["MULTI"],
        ["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"],
        ["EVALSHA", "2bab3b661081db58bd2341920e0ba7cf5dc77b25", "1", "counter"],
        ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
        ["EVAL", "return redis.call('incr', 's')", "0"],
        ["EVAL", "return (", "0"],
        ["EVAL", "return 1", "x"],
        ["EVAL_RO", "return redis.call('get', 'k')", "0"],
        ["EVAL_RO", "return redis.call('del', 'k')", "0"],
        ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"],
        ["EVAL", "return {redis.call('get', 'k'), redis.call('get', 'counter')}", "0"],
        ["EXEC"],
        ["MULTI"],
        ["EVAL"],
        ["EVAL", "return 1", "0"],
        ["EXEC"],
        ["MULTI"],
        ["EVAL", "return redis.call('multi')", "0"],
        ["EVAL", "return redis.call('exec')", "0"],
        ["SCRIPT", "LOAD", "return 2"],
        ["SCRIPT", "FLUSH"],
        ["SCRIPT", "KILL"],
        ["EXEC"],
        ["INFO", "errorstats"],
      ]),
    ).toEqual([]);
  });

  test("WATCH: a script's writes invalidate a watched key, its reads do not", async () => {
    const p = pair();
    const mismatches = await compareWatchEffects(
      p,
      { setup: () => reset(p, ["SET", "k", "v"], ["SET", "other", "1"]), watched: ["k"], probe: ["GET", "k"] },
      [
        ["EVAL", "return redis.call('set', 'k', 'new')", "0"],
        ["EVAL", "return redis.call('set', KEYS[1], 'new')", "1", "k"],
        ["EVAL", "return redis.call('get', 'k')", "0"],
        ["EVAL", "return redis.call('incr', 'other')", "0"],
        ["EVAL", "redis.call('set', 'k', 'x'); return redis.call('set', 'k', 'v')", "0"],
        ["EVAL", "redis.call('del', 'k'); return redis.call('nosuch')", "0"],
        ["EVAL", "return redis.pcall('incr', 'k')", "0"],
        ["EVAL", "return redis.call('expire', 'k', '100')", "0"],
        ["EVAL", "redis.call('select', 1); return redis.call('set', 'k', 'db1')", "0"],
        ["EVAL_RO", "return redis.call('get', 'k')", "0"],
        ["EVAL", "return redis.call('flushall')", "0"],
      ],
    );
    expect(mismatches).toEqual([]);
  });

  test("keyspace events of a script's writes", async () => {
    const p = pair();
    await reset(p);
    const subscribers = [await RawClient.connect(p.bunker.port), await RawClient.connect(p.redis.port)];
    try {
      await both(p, "CONFIG", "SET", "notify-keyspace-events", "KEA");
      for (const subscriber of subscribers) await subscriber.call("PSUBSCRIBE", "__key*__:*");
      const scripts = [
        "redis.call('set', 'a', '1'); redis.call('incr', 'a'); redis.call('expire', 'a', 100); return redis.call('del', 'a')",
        "redis.call('rpush', 'l', 'x', 'y'); redis.call('lpop', 'l'); return redis.call('lpop', 'l')",
        "redis.call('hset', 'h', 'f', 'v'); return redis.call('hdel', 'h', 'f')",
        "redis.call('set', 'b', '1'); return redis.call('nosuch')",
        "return redis.call('get', 'b')",
        "redis.call('select', 3); return redis.call('set', 'c', '1')",
        "redis.call('set', 'e', 'v', 'px', '1'); return redis.call('pexpire', 'e', '-1')",
      ];
      const transcripts: string[] = [];
      for (let side = 0; side < 2; side++) {
        const client = side === 0 ? p.b : p.r;
        for (const script of scripts) await client.callRaw("EVAL", script, "0");
        transcripts.push(await subscribers[side]!.drainBeforePing());
      }
      expect(transcripts[0]).toBe(transcripts[1]!);
      expect(transcripts[0]).toContain("__keyevent@3__:set");
    } finally {
      for (const subscriber of subscribers) subscriber.close();
      await both(p, "CONFIG", "SET", "notify-keyspace-events", "");
    }
  });

  test("blocking commands inside a script answer at once; a script's writes wake blocked clients after it ends", async () => {
    const p = pair();
    await reset(p);
    expect(
      await compareScript(p, [
        ["EVAL", "return redis.call('blpop', 'empty', 0)", "0"],
        ["EVAL", "return redis.call('blpop', 'empty', 10)", "0"],
        ["EVAL", "return {redis.call('brpoplpush', 'empty', 'dst', 0)}", "0"],
        ["EVAL", "return redis.call('blmove', 'empty', 'dst', 'left', 'left', 0)", "0"],
        ["EVAL", "return redis.call('bzpopmin', 'empty', 0)", "0"],
        ["EVAL", "return redis.call('xread', 'block', 0, 'streams', 'empty', '$')", "0"],
        ["EVAL", "return redis.call('blmpop', 0, 1, 'empty', 'left')", "0"],
        ["EVAL", "redis.call('rpush', 'full', 'a'); return redis.call('blpop', 'full', 0)", "0"],
        ["EVAL", "redis.call('xadd', 'st', '1-1', 'f', 'v'); return redis.call('xread', 'block', 0, 'streams', 'st', '0')", "0"],
        ["EVAL", "return redis.pcall('XREADGROUP', 'group', 'g', 'c', 'block', 'x', 'streams', 'st', '>')", "0"],
        ["EVAL", "return redis.pcall('xread', 'count', 1, 'block', 0, 'streams', 'st')", "0"],
      ]),
    ).toEqual([]);
    // Client 0 runs the scripts (and the probes); clients 1 and 2 block.
    const steps: Step[] = [
      { c: 1, send: ["BLPOP", "q", "0"] },
      { c: 2, send: ["BRPOP", "q2", "0"] },
      // Pushed and popped within the script: nothing is left to serve the waiter.
      { c: 0, call: ["EVAL", "redis.call('rpush', 'q', 'a'); return redis.call('lpop', 'q')", "0"] },
      { blockedClients: true },
      // Two elements: the waiter gets the first once the script is over, the second stays.
      { c: 0, call: ["EVAL", "redis.call('rpush', 'q', 'x'); redis.call('rpush', 'q', 'y'); return redis.call('llen', 'q')", "0"] },
      { c: 1, call: ["LRANGE", "q", "0", "-1"] },
      { c: 0, call: ["EVAL", "redis.call('lpush', 'q2', '1', '2', '3'); return redis.call('lrange', 'q2', 0, -1)", "0"] },
      { c: 2, call: ["LRANGE", "q2", "0", "-1"] },
      { blockedClients: true },
      { dirty: true },
    ];
    const [ours, theirs] = await Promise.all([runScenario(p.bunker.port, steps, { clients: 3 }), runScenario(p.redis.port, steps, { clients: 3 })]);
    expect(ours).toEqual(theirs);
  });

  test("time is frozen inside a script: a key set to expire does not expire while it runs", async () => {
    const p = pair();
    await reset(p);
    const scripts: CommandArgs[] = [
      ["EVAL", `redis.call('set', 'k', 'v', 'px', 50); ${busyFor(150)}; return {redis.call('exists', 'k'), redis.call('pttl', 'k') > 0, redis.call('get', 'k')}`, "0"],
      ["EXISTS", "k"],
      ["EVAL", `redis.call('set', 'k2', 'v', 'px', 50); local seen = {}; for i = 1, 3 do ${busyFor(40)}; seen[#seen + 1] = redis.call('exists', 'k2') end; return seen`, "0"],
      ["EXISTS", "k2"],
      ["EVAL", `redis.call('set', 'k3', 'v', 'ex', 100); ${busyFor(30)}; return redis.call('ttl', 'k3')`, "0"],
    ];
    expect(await compareScript(p, scripts)).toEqual([]);
    // A key set with PX 1 before the script: whether it is gone already depends on
    // timing, but inside one script it stays or goes for good.
    for (const client of [p.b, p.r]) {
      for (let round = 0; round < 3; round++) {
        await client.call("SET", "short", "v", "PX", "1");
        const seen = (await client.call("EVAL", `local seen = {}; for i = 1, 20 do ${busyFor(2)}; seen[redis.call('exists', 'short') + 1] = true end; return {seen[1] and 1 or 0, seen[2] and 1 or 0}`, "0")) as number[];
        expect(seen[0]! + seen[1]!).toBe(1);
      }
    }
  });

  test("SELECT inside a script leaves the caller's database alone; undeclared keys work", async () => {
    const p = pair();
    await reset(p);
    expect(
      await compareScript(p, [
        ["EVAL", "redis.call('select', 1); redis.call('set', 'k', 'db1'); return redis.call('get', 'k')", "0"],
        ["GET", "k"],
        ["EVAL", "return redis.call('get', 'k')", "0"],
        ["SELECT", "1"],
        ["GET", "k"],
        ["EVAL", "return redis.call('get', 'k')", "0"],
        ["EVAL", "redis.call('select', 0); return redis.call('get', 'k')", "0"],
        ["GET", "k"],
        ["EVAL", "return redis.call('select', 99)", "0"],
        ["EVAL", "return redis.pcall('select', 'x')", "0"],
        ["SELECT", "0"],
        ["EVAL", "redis.call('set', 'undeclared', '1'); return redis.call('incr', 'undeclared')", "0"],
        ["EVAL", "return redis.call('get', KEYS[1]) .. redis.call('get', 'undeclared')", "1", "undeclared"],
        ["EVAL", "return redis.call('mget', 'a', 'b', 'undeclared')", "2", "a", "b"],
        ["SWAPDB", "0", "1"],
        ["EVAL", "return {redis.call('get', 'k'), redis.call('dbsize')}", "0"],
        ["SWAPDB", "0", "1"],
      ]),
    ).toEqual([]);
  });

  test("MONITOR shows EVAL and then each command the script runs as [db lua]", async () => {
    const p = pair();
    await reset(p, ["SET", "k", "v"]);
    const monitors = [await RawClient.connect(p.bunker.port), await RawClient.connect(p.redis.port)];
    try {
      for (const monitor of monitors) expect(await monitor.callRaw("MONITOR")).toBe("+OK\r\n");
      const commands: CommandArgs[] = [
        ["EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "k", "v2"],
        ["EVAL", "return redis.call('nosuch', 'x')", "0"],
        ["EVAL", "return redis.pcall('get', 'a', 'b')", "0"],
        ["EVAL", "redis.call('select', 2); return redis.call('ping')", "0"],
        ["EVAL", "return redis.call('incrbyfloat', 'f', 1.5)", "0"],
        ["EVAL", "return (", "0"],
        ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
        ["EVAL_RO", "return redis.call('exists', 'k')", "0"],
        ["EVAL", "return redis.call('echo', 'a\\0b \"q\"\\r\\n')", "0"],
        ["SELECT", "5"],
        ["EVAL", "return redis.call('dbsize')", "0"],
        ["SELECT", "0"],
        ["SCRIPT", "LOAD", "return redis.call('ping')"],
        ["EVALSHA", "b3a02c833904802db9c34a3cf1292eee3246df3c", "0"],
        ["MULTI"],
        ["SET", "m", "1"],
        ["EVAL", "return redis.call('incr', 'm')", "0"],
        ["SELECT", "3"],
        ["EXEC"],
        ["SELECT", "0"],
        ["PING"],
      ];
      for (const command of commands) await both(p, ...command);
      const streams: string[] = [];
      for (const monitor of monitors) {
        // Everything up to the PING issued last; each line's time and client address masked.
        const lines: string[] = [];
        await waitFor(async () => {
          for (;;) {
            const raw = await Promise.race([monitor.readRawReply(), Bun.sleep(50).then(() => null)]);
            if (raw === null) return false;
            lines.push(raw.replace(/^\+\d+\.\d+ \[(\d+) (?:\d+\.\d+\.\d+\.\d+:\d+|lua)\]/, (_m, db: string) => `+T [${db} ${raw.includes(" lua]") ? "lua" : "client"}]`));
            if (raw.includes('"PING"')) return true;
          }
        });
        streams.push(lines.join(""));
      }
      expect(streams[0]).toBe(streams[1]!);
      expect(streams[0]).toContain("[0 lua]");
    } finally {
      for (const monitor of monitors) monitor.close();
    }
  });
});

d("MISCONF: scripts when the last background save failed", () => {
  test("scripts without flags fail at their first write, flagged ones up front, no-writes ones run", async () => {
    // Both listen before they load their dataset: a dump.rdb directory made before a
    // server is ready would stop it at its load, not at the save below.
    const p = await startPair(["--save", "3600 1"], { waitLoaded: true });
    try {
      // dump.rdb is a directory: the save's final rename fails.
      mkdirSync(join(p.bunker.dir, "dump.rdb"));
      mkdirSync(join(p.redis.dir, "dump.rdb"));
      await both(p, "SET", "k", "v");
      await both(p, "SCRIPT", "LOAD", "#!lua\nreturn redis.call('set', 'k', 'x')");
      await both(p, "BGSAVE");
      for (const client of [p.b, p.r]) {
        await waitFor(async () => {
          const info = String(await client.call("INFO", "persistence"));
          return info.includes("rdb_bgsave_in_progress:0") && info.includes("rdb_last_bgsave_status:err");
        });
      }
      const [sha] = await both(p, "SCRIPT", "LOAD", "#!lua\nreturn redis.call('set', 'k', 'x')");
      expect(
        await compareScript(p, [
          ["SET", "k", "x"],
          ["EVAL", "return redis.call('get', 'k')", "0"],
          ["EVAL", "return redis.call('set', 'k', 'x')", "0"],
          ["EVAL", "return redis.pcall('set', 'k', 'x')", "0"],
          ["EVAL", "return redis.call('ping')", "0"],
          ["EVAL", "#!lua\nreturn redis.call('get', 'k')", "0"],
          ["EVAL", "#!lua\nreturn redis.call('set', 'k', 'x')", "0"],
          ["EVAL", "#!lua flags=allow-oom\nreturn 1", "0"],
          ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"],
          ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'x')", "0"],
          ["EVALSHA", sha.split("\r\n")[1]!, "0"],
          ["EVAL_RO", "return redis.call('get', 'k')", "0"],
          ["MULTI"],
          ["EVAL", "#!lua\nreturn redis.call('get', 'k')", "0"],
          ["EVAL", "return redis.call('get', 'k')", "0"],
          ["EXEC"],
          ["MULTI"],
          ["EVAL", "return redis.call('set', 'k', 'x')", "0"],
          ["EXEC"],
          ["GET", "k"],
          ["INFO", "errorstats"],
        ]),
      ).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});
