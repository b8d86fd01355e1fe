// What scripts propagate, against redis-server 7.0.15: the commands a script runs
// (never the EVAL or FCALL itself), wrapped in MULTI/EXEC when there are several, in
// their replicated forms (SPOP as SREM, INCRBYFLOAT as SET ... KEEPTTL, relative TTLs as
// absolute ones), with the SELECTs a script's own SELECT makes, narrowed by
// redis.set_repl, inside a client's MULTI/EXEC, and up to an error half-way through.
//
// Two streams are compared, after the same steps on both servers (with the same
// replies):
// - the AOF: the INCR file Bunker writes and the one Redis writes;
// - the replication stream: Redis's as `redis-cli --replica` prints it
//   (effect-stream.ts), Bunker's as a propagation feed that takes the replicas' effects
//   receives it (an in-process server).
// Absolute times are compared as offsets from the run's start (normaliseStream).

import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, type RunningServer } from "../helpers/server.ts";
import { startFlavor, type Flavor } from "../helpers/aof-servers.ts";
import { haveRedis } from "../helpers/differential.ts";
import { REDIS_CAPTURE_ARGS, RecordingFeed, ReplicaCapture, START_MARKER, compareNormalised, cutStream, endMarker, normaliseStream, renderCommand } from "../helpers/effect-stream.ts";
import { argBytes, startInProcessBunker } from "../helpers/sequence-runner.ts";
import { parseAofCommands } from "../helpers/aof.ts";
import { startRedis } from "../helpers/server.ts";
import { PROPAGATE_REPL } from "../../src/propagate.ts";

const d = haveRedis ? describe : describe.skip;

const started: Array<{ stop(): void | Promise<void> }> = [];
afterAll(async () => {
  for (const server of started) await server.stop();
});

/** A command, or a pause that lets a key's millisecond TTL pass (the time is the scenario). */
type Step = string[] | { sleepMs: number };

const LIBRARY = [
  "#!lua name=effects",
  "redis.register_function('fset2', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('SET', keys[2], args[2]) end)",
  "redis.register_function('fincr', function(keys) return redis.call('INCR', keys[1]) end)",
  "redis.register_function{function_name='fread', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
].join("\n");

const SET2 = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('SET', KEYS[2], ARGV[2])";

/** The steps both servers run; the stream between START_MARKER and the end marker is compared. */
function steps(tag: string): Step[] {
  return [
    ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
    START_MARKER,
    // Several writes: MULTI/EXEC. One write: as it is. Reads, and writes that change nothing: nothing.
    ["EVAL", SET2, "2", "a", "b", "1", "2"],
    ["EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", "c", "3"],
    ["EVAL", "return redis.call('GET', KEYS[1])", "1", "a"],
    ["EVAL", "return redis.call('DEL', 'nosuch')", "0"],
    ["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "a"],
    ["EVAL", "return 1", "0"],
    ["SCRIPT", "LOAD", SET2],
    ["EVALSHA", "4b6f7f9b05fc0d1b5b0b8c0f59b5d8c8d3a0b5f0", "0"],
    // EVALSHA of the loaded script (its SHA is computed by both the same way).
    ["EVALSHA", sha1(SET2), "2", "d", "e", "4", "5"],
    ["EVALSHA_RO", sha1("return redis.call('GET', KEYS[1])"), "1", "d"],
    // FCALL: the function's writes, not FCALL; the library's load is propagated itself.
    ["FUNCTION", "LOAD", LIBRARY],
    ["FCALL", "fset2", "2", "f", "g", "6", "7"],
    ["FCALL", "fincr", "1", "counter"],
    ["FCALL", "fread", "1", "f"],
    ["FCALL_RO", "fread", "1", "g"],
    // Replicated forms.
    ["SADD", "set", "only"],
    ["EVAL", "return redis.call('SPOP', KEYS[1])", "1", "set"],
    ["SADD", "set", "1", "2", "3"],
    ["EVAL", "return redis.call('SPOP', KEYS[1], 3)", "1", "set"],
    ["EVAL", "redis.call('SET', KEYS[1], '1.5', 'EX', 1000); return redis.call('INCRBYFLOAT', KEYS[1], '2.25')", "1", "float"],
    ["EVAL", "return redis.call('SET', KEYS[1], 'v', 'EX', 100)", "1", "ttl"],
    ["EVAL", "redis.call('SET', KEYS[1], 'v'); return redis.call('EXPIRE', KEYS[1], 50)", "1", "ttl2"],
    ["EVAL", "return redis.call('GETEX', KEYS[1], 'PX', 123456)", "1", "ttl2"],
    ["EVAL", "return redis.call('EXPIRE', KEYS[1], -1)", "1", "ttl"],
    ["EVAL", "return {redis.call('RPUSH', KEYS[1], 'a', 'b', 'c'), redis.call('LPOP', KEYS[1]), redis.call('BLPOP', KEYS[1], 0)}", "1", "list"],
    ["EVAL", "return redis.call('BLMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT', 0)", "2", "list", "list2"],
    // SELECT inside a script: the script's own database changes, the caller's does not.
    ["SELECT", "1"],
    ["EVAL", "redis.call('SET', 'in1', 'x'); redis.call('SELECT', 2); redis.call('SET', 'in2', 'y'); redis.call('SELECT', 0); return redis.call('SET', 'in0', 'z')", "0"],
    ["SET", "after", "1"],
    ["EVAL", "redis.call('SELECT', 3); return redis.call('SET', 'only3', '1')", "0"],
    ["SELECT", "0"],
    // redis.set_repl: REPL_NONE and REPL_REPLICA keep writes out of the AOF, REPL_AOF out of the replicas.
    ["EVAL", "redis.set_repl(redis.REPL_NONE); return redis.call('SET', 'none', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_REPLICA); return redis.call('SET', 'replica', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_SLAVE); return redis.call('SET', 'slave', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_AOF); return redis.call('SET', 'aof', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_ALL); return redis.call('SET', 'all', '1')", "0"],
    [
      "EVAL",
      "redis.set_repl(redis.REPL_AOF); redis.call('SET', 'm_aof', '1'); redis.set_repl(redis.REPL_REPLICA); redis.call('SET', 'm_replica', '1'); redis.set_repl(redis.REPL_NONE); redis.call('SET', 'm_none', '1'); redis.set_repl(redis.REPL_ALL); return redis.call('SET', 'm_all', '1')",
      "0",
    ],
    ["EVAL", "redis.set_repl(redis.REPL_AOF); redis.call('SET', 'two_aof1', '1'); return redis.call('SET', 'two_aof2', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_REPLICA); redis.call('SET', 'two_r1', '1'); return redis.call('SET', 'two_r2', '1')", "0"],
    ["EVAL", "redis.set_repl(redis.REPL_AOF); redis.call('SET', 'mix_aof', '1'); redis.set_repl(redis.REPL_REPLICA); return redis.call('SET', 'mix_r', '1')", "0"],
    ["EVAL", "return redis.set_repl(99)", "0"],
    ["EVAL", "return redis.set_repl()", "0"],
    ["EVAL", "return redis.replicate_commands()", "0"],
    // A script inside MULTI/EXEC: one transaction.
    ["MULTI"],
    ["EVAL", SET2, "2", "t1", "t2", "a", "b"],
    ["SET", "t3", "c"],
    ["FCALL", "fincr", "1", "counter"],
    ["EXEC"],
    ["MULTI"],
    ["EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", "t4"],
    ["EXEC"],
    // An error half-way: the writes before it stay, and are propagated.
    ["SET", "str", "abc"],
    ["EVAL", "redis.call('SET', 'e1', '1'); redis.call('INCR', 'str'); return redis.call('SET', 'e2', '1')", "0"],
    ["EVAL", "redis.call('SET', 'e3', '1'); redis.call('SET', 'e4', '1'); error('stop')", "0"],
    ["EVAL", "redis.call('SET', 'e5', '1'); redis.pcall('INCR', 'str'); return redis.call('SET', 'e6', '1')", "0"],
    ["EVAL", "redis.call('INCR', 'str')", "0"],
    ["FCALL", "fincr", "1", "str"],
    // A key whose TTL passed: the script's lookup deletes it (DEL in the script's transaction).
    ["SET", "gone", "v", "PX", "1"],
    { sleepMs: 20 },
    ["EVAL", "redis.call('SET', 'beside', '1'); return redis.call('GET', 'gone')", "0"],
    ["SET", "gone2", "v", "PX", "1"],
    ["SET", "gone3", "v", "PX", "1"],
    ["SET", "gone4", "v", "PX", "1"],
    { sleepMs: 20 },
    ["EVAL", "return redis.call('GET', 'gone2')", "0"],
    ["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "gone3"],
    ["FCALL_RO", "fread", "1", "gone4"],
    // More forms: EXPIRE in the past is a DEL; FLUSHDB and SWAPDB as they are.
    ["EVAL", "redis.call('SET', KEYS[1], 'v'); return redis.call('EXPIRE', KEYS[1], 0)", "1", "past"],
    ["EVAL", "redis.call('SELECT', 5); redis.call('SET', 'f5', '1'); return redis.call('FLUSHDB')", "0"],
    ["EVAL", "redis.call('SET', 'sw', '1'); return redis.call('SWAPDB', 0, 6)", "0"],
    ["EVAL", "return redis.call('SWAPDB', 0, 6)", "0"],
    ["EVAL", "return redis.call('SET', KEYS[1], 'new', 'GET')", "1", "a"],
    ["EVAL", "return redis.call('GETDEL', KEYS[1])", "1", "a"],
    // The FUNCTION commands themselves.
    ["FUNCTION", "DELETE", "effects"],
    ["FUNCTION", "FLUSH"],
    endMarker(tag),
  ];
}

function sha1(text: string): string {
  return new Bun.CryptoHasher("sha1").update(text).digest("hex");
}

/** Runs the steps on one connection; returns the replies (raw RESP) and the start time. */
async function runSteps(port: number, list: Step[]): Promise<{ replies: string[]; startMs: number; durationMs: number }> {
  const client = await RawClient.connect(port);
  const replies: string[] = [];
  const startMs = Date.now();
  try {
    for (const step of list) {
      if (Array.isArray(step)) replies.push(await client.callRaw(...step.map(argBytes)));
      else await Bun.sleep(step.sleepMs);
    }
  } finally {
    client.close();
  }
  return { replies, startMs, durationMs: Date.now() - startMs };
}

/** The replies that differ, readable. */
function replyDifferences(list: Step[], ours: string[], theirs: string[]): string[] {
  const commands = list.filter((step): step is string[] => Array.isArray(step));
  return commands.flatMap((command, i) =>
    ours[i] === theirs[i] || command[0] === "SCRIPT" ? [] : [`${JSON.stringify(command)}\n   bunker: ${JSON.stringify(ours[i])}\n   redis:  ${JSON.stringify(theirs[i])}`],
  );
}

d("script effects in the AOF", () => {
  test("Bunker's INCR file is Redis's for the same scripts", async () => {
    const list = steps("aof");
    const runs: Record<string, { replies: string[]; lines: string[]; startMs: number; durationMs: number }> = {};
    for (const flavor of ["bunker", "redis"] as Flavor[]) {
      const server: RunningServer = await startFlavor(flavor, ["--appendonly", "yes", "--appendfsync", "always"]);
      started.push(server);
      const run = await runSteps(server.port, list);
      const commands = parseAofCommands(readFileSync(join(server.dir, "appendonlydir", "appendonly.aof.1.incr.aof")));
      runs[flavor] = { ...run, lines: commands.map(renderCommand) };
    }
    const bunker = runs.bunker!;
    const redis = runs.redis!;
    expect(replyDifferences(list, bunker.replies, redis.replies)).toEqual([]);
    // The file starts with SELECT 0 before the marker: the stream after it is compared.
    const end = renderCommand(endMarker("aof"));
    const ours = normaliseStream(cutStream(bunker.lines, end), bunker.startMs);
    const theirs = normaliseStream(cutStream(redis.lines, end), redis.startMs);
    expect(compareNormalised(ours, theirs, { toleranceMs: Math.max(bunker.durationMs, redis.durationMs) + 2000 })).toBe("");
    // Something is compared: the multi-write scripts are wrapped, the replicated forms are there.
    if (process.env.SHOW_STREAM) console.log(theirs.lines.join("\n"));
    expect(theirs.lines.filter((line) => line === '"MULTI"').length).toBeGreaterThan(5);
    for (const line of ['"SREM","set","only"', '"SELECT","2"', '"DEL","gone"', '"SET","aof","1"', '"DEL","set"']) expect(theirs.lines).toContain(line);
    expect(theirs.lines.some((line) => line.includes('"KEEPTTL"'))).toBe(true);
    expect(theirs.lines.some((line) => line.includes('"PXAT","<time>"'))).toBe(true);
    expect(theirs.lines).not.toContain('"SET","replica","1"');
  });
});

/** A feed that takes what Redis sends its replicas (PROPAGATE_REPL), as a replica link does. */
class ReplicaFeed extends RecordingFeed {
  readonly targets = PROPAGATE_REPL;
}

d("script effects in the replication stream", () => {
  test("Bunker's replica effects are Redis's replication stream", async () => {
    const list = steps("repl");
    const feed = new ReplicaFeed();
    const bunker = await startInProcessBunker(feed);
    started.push(bunker);
    const bunkerRun = await runSteps(bunker.port, list);

    const redis = await startRedis({ args: REDIS_CAPTURE_ARGS });
    started.push(redis);
    const capture = await ReplicaCapture.attach(redis.port);
    let redisRun: Awaited<ReturnType<typeof runSteps>>;
    let redisLines: string[];
    try {
      redisRun = await runSteps(redis.port, list);
      redisLines = await capture.commandsUntil(renderCommand(endMarker("repl")));
    } finally {
      await capture.stop();
    }
    expect(replyDifferences(list, bunkerRun.replies, redisRun.replies)).toEqual([]);
    const ours = normaliseStream(cutStream(feed.lines(), renderCommand(endMarker("repl"))), bunkerRun.startMs);
    const theirs = normaliseStream(redisLines, redisRun.startMs);
    expect(compareNormalised(ours, theirs, { toleranceMs: Math.max(bunkerRun.durationMs, redisRun.durationMs) + 2000 })).toBe("");
    expect(theirs.lines.filter((line) => line === '"MULTI"').length).toBeGreaterThan(5);
  });
});
