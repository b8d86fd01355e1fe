// Loading Redis 7.0 AOF directories (src/persistence/aof/load.ts) against redis-server
// 7.0.15, the reference: directories written by the real server (RDB and command bases,
// several INCR files, MULTI/EXEC, SELECT, expiries, streams with groups, annotations)
// load into an in-process Bunker with the same data; hand-made ones (truncated,
// corrupt, missing, unfinished MULTI, a 6.x single file) give Redis's log lines, exit
// status, files and data. Each directory is copied for each server: both may change it.

import { describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { canonicalDump } from "../helpers/sequence-runner.ts";
import {
  bunkerLoadAof,
  concat,
  copyDir,
  listing,
  newServer,
  readManifest,
  resp,
  run,
  startRedisOnAof,
  tempDir,
  useCleanup,
  withRedis,
  writeAofDir,
  type BunkerLoad,
  type RedisStart,
} from "../helpers/aof.ts";
import {
  AOF_EMPTY,
  AOF_FAILED,
  AOF_OK,
  AOF_TRUNCATED,
  aofDirName,
  aofPath,
  getLastIncrAofName,
  persistAofManifest,
  type AofContext,
  type AofManifest,
} from "../../src/persistence/aof/manifest.ts";
import type { Server } from "../../src/server.ts";

const { track, keep } = useCleanup();

/** Redis on one copy of `dir`, Bunker on another. */
async function loadBoth(dir: string, args: string[] = []): Promise<{ redis: RedisStart; bunker: BunkerLoad; redisDir: string; bunkerDir: string }> {
  const redisDir = track(copyDir(dir));
  const bunkerDir = track(copyDir(dir));
  const redis = await startRedisOnAof(redisDir, args);
  if (redis.server !== null) keep(redis.server);
  const bunker = await bunkerLoadAof(bunkerDir, args);
  return { redis, bunker, redisDir, bunkerDir };
}

async function redisCall(redis: RedisStart, ...args: string[]): Promise<unknown> {
  const client = await RawClient.connect(redis.server!.port);
  try {
    return await client.call(...args);
  } finally {
    client.close();
  }
}

function bulk(reply: string): string {
  const match = /^\$\d+\r\n([\s\S]*)\r\n$/.exec(reply) ?? /^\+([\s\S]*)\r\n$/.exec(reply);
  if (match === null) throw new Error(`not a bulk reply: ${JSON.stringify(reply)}`);
  return match[1]!;
}

function infoField(info: string, field: string): string | undefined {
  return info.split("\r\n").find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1);
}

function manifestLines(...lines: string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}

const BASE_AOF_AND_INCR = manifestLines("file appendonly.aof.1.base.aof seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i");

// ---- directories written by redis-server ------------------------------------------------------------

/** Writes of every type, in several databases, with transactions and expiries (all far in the future). */
function writes(n: number): string[][] {
  const big = "x".repeat(200 * 1024);
  const listItems = Array.from({ length: 200 }, (_, i) => `item-${i}`);
  const hashFields = Array.from({ length: 600 }, (_, i) => [`field-${i}`, `value-${i}`]).flat();
  const s = `s:${n}`;
  return [
    ["SELECT", "0"],
    ["SET", `str:${n}`, "hello"],
    ["SET", `int:${n}`, "12345"],
    ["SET", `big:${n}`, big],
    ["APPEND", `str:${n}`, " world"],
    ["INCRBYFLOAT", `float:${n}`, "1.5"],
    ["SETRANGE", `range:${n}`, "5", "abc"],
    ["SETBIT", `bits:${n}`, "77", "1"],
    ["PFADD", `hll:${n}`, "a", "b", "c", "d"],
    ["SET", `ttl:${n}`, "v", "EX", "3600"],
    ["EXPIRE", `int:${n}`, "7200"],
    ["GETEX", `str:${n}`, "PX", "9000000"],
    ["SET", `keep:${n}`, "v", "EX", "5000"],
    ["SET", `keep:${n}`, "w", "KEEPTTL"],
    ["SET", `persisted:${n}`, "v", "EX", "5000"],
    ["PERSIST", `persisted:${n}`],
    ["RPUSH", `list:${n}`, "a", "b", "c", "d", "e"],
    ["LPUSH", `list:${n}`, "z"],
    ["LPOP", `list:${n}`],
    ["LINSERT", `list:${n}`, "BEFORE", "c", "cc"],
    ["RPUSH", `biglist:${n}`, ...listItems],
    ["LMOVE", `list:${n}`, `list2:${n}`, "LEFT", "RIGHT"],
    ["SADD", `iset:${n}`, "1", "2", "3", "100"],
    ["SADD", `sset:${n}`, "a", "b", "c", "d"],
    ["SREM", `sset:${n}`, "b"],
    ["SMOVE", `sset:${n}`, `sset2:${n}`, "c"],
    ["ZADD", `z:${n}`, "1", "a", "2", "b", "3.5", "c", "-0.25", "d"],
    ["ZINCRBY", `z:${n}`, "2", "a"],
    ["ZPOPMIN", `z:${n}`],
    ["HSET", `h:${n}`, "f1", "v1", "f2", "v2", "f3", "3"],
    ["HINCRBY", `h:${n}`, "f3", "4"],
    ["HINCRBYFLOAT", `h:${n}`, "f4", "1.25"],
    ["HDEL", `h:${n}`, "f2"],
    ["HSET", `bighash:${n}`, ...hashFields],
    ["XADD", s, "1-1", "f", "v1"],
    ["XADD", s, "2-1", "f", "v2", "g", "w2"],
    ["XADD", s, "3-1", "f", "v3"],
    ["XADD", s, "4-1", "f", "v4"],
    ["XGROUP", "CREATE", s, "g1", "0"],
    ["XGROUP", "CREATE", s, "g2", "$"],
    ["XREADGROUP", "GROUP", "g1", "c1", "COUNT", "3", "STREAMS", s, ">"],
    ["XACK", s, "g1", "1-1"],
    ["XGROUP", "CREATECONSUMER", s, "g1", "c2"],
    ["XCLAIM", s, "g1", "c2", "0", "2-1"],
    ["XDEL", s, "3-1"],
    ["XADD", s, "MAXLEN", "10", "5-1", "f", "v5"],
    ["MULTI"],
    ["SET", `multi:${n}`, "1"],
    ["INCR", `multi:${n}`],
    ["SELECT", "1"],
    ["SADD", `multiset:${n}`, "x", "y"],
    ["EXEC"],
    ["SELECT", "1"],
    ["SET", `db1:${n}`, "v"],
    ["SET", `moved:${n}`, "v"],
    ["MOVE", `moved:${n}`, "7"],
    ["COPY", `db1:${n}`, `copied:${n}`, "DB", "7"],
    ["SPOP", `multiset:${n}`, "1"],
    ["SELECT", "2"],
    ["SET", `swapped:${n}`, "v"],
    ["SWAPDB", "2", "3"],
    ["SELECT", "5"],
    ["SET", `flushed:${n}`, "v"],
    ["FLUSHDB"],
    ["SELECT", "7"],
    ["RENAME", `copied:${n}`, `renamed:${n}`],
    ["DEL", `moved:${n}`],
  ];
}

async function runWrites(client: RawClient, commands: string[][]): Promise<void> {
  for (const command of commands) await client.call(...command);
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

interface Produced {
  dir: string;
  digest: string;
  dump: string[];
  manifest: string;
}

/**
 * A directory redis-server writes with appendonly yes: writes, a rewrite (a base and a
 * new INCR file), more writes and, with `killedRewrite`, a rewrite killed half-way (so
 * two INCR files stay), then more writes; with timestamp annotations throughout.
 */
async function produce(preamble: boolean, killedRewrite: boolean): Promise<Produced> {
  const dir = track(tempDir());
  const args = ["--aof-use-rdb-preamble", preamble ? "yes" : "no", "--aof-timestamp-enabled", "yes", "--appendfsync", "always", "--auto-aof-rewrite-percentage", "0"];
  const start = await startRedisOnAof(dir, args);
  const server = start.server!;
  keep(server);
  const client = await RawClient.connect(server.port);
  await runWrites(client, writes(1));
  const finished = () => occurrences(server.output(), "Background AOF rewrite finished successfully");
  expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
  await waitFor(() => finished() === 1, { what: "the AOF rewrite to finish" });
  await runWrites(client, writes(2));
  if (killedRewrite) {
    // A rewrite that never ends (a second per key), killed: its INCR file stays listed.
    await client.call("CONFIG", "SET", "rdb-key-save-delay", "1000000");
    expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    const pid = await waitFor(() => [...server.output().matchAll(/Background append only file rewriting started by pid (\d+)/g)][1]?.[1], {
      what: "the second rewrite's child",
    });
    await runWrites(client, writes(3));
    process.kill(Number(pid), "SIGKILL");
    await waitFor(() => server.output().includes("Background AOF rewrite terminated by signal 9"), { what: "the killed rewrite to be reaped" });
    await client.call("CONFIG", "SET", "rdb-key-save-delay", "0");
  }
  // Time is the scenario here: a write in a new second gets a #TS annotation before it.
  await Bun.sleep(1000 - (Date.now() % 1000) + 20);
  await runWrites(client, writes(4));
  const digest = String(await client.call("DEBUG", "DIGEST"));
  const dump = await canonicalDump(server.port);
  client.close();
  // appendfsync always: the files hold every write; a copy is what a crash would leave.
  const copy = track(copyDir(dir));
  await server.stop();
  return { dir: copy, digest, dump, manifest: readManifest(copy) };
}

async function bunkerDump(server: Server): Promise<string[]> {
  await server.listen();
  try {
    return await canonicalDump(server.port);
  } finally {
    server.closeListeners();
  }
}

describe("directories written by redis-server", () => {
  for (const { preamble, killedRewrite } of [
    { preamble: true, killedRewrite: false },
    { preamble: false, killedRewrite: true },
  ]) {
    withRedis(
      `aof-use-rdb-preamble ${preamble ? "yes" : "no"}${killedRewrite ? ", two INCR files" : ""}: the same data, log lines and sizes as redis-server's`,
      async () => {
        const produced = await produce(preamble, killedRewrite);
        const incrCount = occurrences(produced.manifest, "type i");
        expect(produced.manifest.startsWith(`file appendonly.aof.2.base.${preamble ? "rdb" : "aof"} seq 2 type b\n`)).toBe(true);
        expect(incrCount).toBe(killedRewrite ? 2 : 1);
        const incrs = [...produced.manifest.matchAll(/^file (\S+) seq \d+ type i$/gm)].map((m) => readFileSync(join(produced.dir, "appendonlydir", m[1]!), "latin1"));
        expect(incrs.join("")).toMatch(/^#TS:\d+\r\n\*/m);
        expect(incrs.join("")).toContain("*1\r\n$5\r\nMULTI\r\n");

        const { redis, bunker } = await loadBoth(produced.dir, ["--aof-use-rdb-preamble", preamble ? "yes" : "no"]);
        expect(redis.exitCode).toBeNull();
        expect(bunker.status).toBe(AOF_OK);
        expect(bunker.messages).toEqual(redis.messages);
        expect(bunker.messages.filter((m) => m.startsWith("DB loaded from")).length).toBe(1 + incrCount);
        // The dataset: the digest (values and which keys have a TTL) is the writer's, and a
        // dump (TTLs, consumer groups, PELs) is what redis-server loads from the same files.
        // (Not always the writer's: a base written as commands loses the PEL entries of
        // deleted stream entries, since XCLAIM ... FORCE skips them in 7.0.15.)
        expect(bulk(run(bunker.server, "DEBUG", "DIGEST"))).toBe(produced.digest);
        expect(String(await redisCall(redis, "DEBUG", "DIGEST"))).toBe(produced.digest);
        const redisDump = await canonicalDump(redis.server!.port);
        expect(await bunkerDump(bunker.server)).toEqual(redisDump);
        if (preamble) expect(redisDump).toEqual(produced.dump);
        // aof_current_size / aof_base_size, and the keys the RDB part loaded.
        const info = String(await redisCall(redis, "INFO", "persistence"));
        expect(bunker.load!.sizes).toEqual({ currentSize: Number(infoField(info, "aof_current_size")), baseSize: Number(infoField(info, "aof_base_size")) });
        const bunkerInfo = bulk(run(bunker.server, "INFO", "persistence"));
        expect(infoField(bunkerInfo, "rdb_last_load_keys_loaded")).toBe(infoField(info, "rdb_last_load_keys_loaded"));
        expect(infoField(bunkerInfo, "rdb_changes_since_last_save")).toBe(infoField(info, "rdb_changes_since_last_save"));
        await redis.server!.stop();
      },
      120_000,
    );
  }
});

// ---- what the loaded commands see and count ------------------------------------------------------------

describe("commands replayed from the AOF", () => {
  withRedis("failed commands, MULTI/EXEC and stats: the CRITICAL lines, commandstats, errorstats and counters redis-server shows", async () => {
    const incr = concat(
      resp("SELECT", "0"),
      resp("SET", "s", "abc"),
      resp("INCR", "s"),
      resp("MULTI"),
      resp("LPUSH", "s", "x"),
      resp("SET", "n", "1"),
      resp("SET", "n2", "1", "BADOPTION"),
      resp("EXEC"),
      resp("EXEC"),
      resp("RPUSH", "l", "a"),
    );
    const dir = track(writeAofDir({ "appendonly.aof.1.incr.aof": incr }, manifestLines("file appendonly.aof.1.incr.aof seq 1 type i")));
    const { redis, bunker } = await loadBoth(dir);
    expect(redis.exitCode).toBeNull();
    expect(bunker.status).toBe(AOF_OK);
    expect(bunker.messages).toEqual(redis.messages);
    expect(bunker.messages.filter((m) => m.startsWith("== CRITICAL =="))).toEqual([
      "== CRITICAL == This server is sending an error to its AOF-loading-client: 'value is not an integer or out of range' after processing the command 'incr'",
      "== CRITICAL == This server is sending an error to its AOF-loading-client: '-WRONGTYPE Operation against a key holding the wrong kind of value' after processing the command 'exec'",
      "== CRITICAL == This server is sending an error to its AOF-loading-client: '-ERR syntax error' after processing the command 'exec'",
      "== CRITICAL == This server is sending an error to its AOF-loading-client: 'EXEC without MULTI' after processing the command 'exec'",
    ]);
    // The first INFO of each: commands run before it are all the loader's.
    const redisStats = String(await redisCall(redis, "INFO", "stats"));
    const bunkerStats = bulk(run(bunker.server, "INFO", "stats"));
    for (const field of ["total_commands_processed", "total_error_replies", "unexpected_error_replies"]) {
      expect(`${field}:${infoField(bunkerStats, field)}`).toBe(`${field}:${infoField(redisStats, field)}`);
    }
    expect(bulk(run(bunker.server, "INFO", "errorstats"))).toBe(String(await redisCall(redis, "INFO", "errorstats")));
    // Commands of the loader's transactions: failed_calls only (EXEC calls them with CMD_CALL_NONE).
    const commandstats = (text: string) =>
      text
        .split("\r\n")
        .filter((line) => line.startsWith("cmdstat_") && !/^cmdstat_(info|debug)/.test(line))
        .sort();
    const bunkerCommandstats = commandstats(bulk(run(bunker.server, "INFO", "commandstats")));
    expect(bunkerCommandstats).toEqual(commandstats(String(await redisCall(redis, "INFO", "commandstats"))));
    expect(bunkerCommandstats).toEqual([
      "cmdstat_lpush:calls=0,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1",
      "cmdstat_set:calls=0,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1",
    ]);
    expect(infoField(bulk(run(bunker.server, "INFO", "persistence")), "rdb_changes_since_last_save")).toBe(
      infoField(String(await redisCall(redis, "INFO", "persistence")), "rdb_changes_since_last_save"),
    );
    expect(bulk(run(bunker.server, "DEBUG", "DIGEST"))).toBe(String(await redisCall(redis, "DEBUG", "DIGEST")));
    await redis.server!.stop();
  });
});

describe("expiry while loading", () => {
  withRedis("keys past their time stay live while the AOF loads (keyIsExpired), so later commands act on them as redis-server's do", async () => {
    const past = "1000"; // 1970: long gone when the file is loaded
    const incr = concat(
      resp("SELECT", "0"),
      resp("SET", "appended", "v", "PXAT", past),
      resp("APPEND", "appended", "x"),
      resp("SET", "persisted", "v", "PXAT", past),
      resp("PERSIST", "persisted"),
      resp("RPUSH", "list", "a"),
      resp("PEXPIREAT", "list", past),
      resp("RPUSH", "list", "b"),
      resp("SET", "counter", "1", "PXAT", past),
      resp("INCR", "counter"),
      resp("PERSIST", "counter"),
      resp("SET", "renamed-from", "v", "PXAT", past),
      resp("RENAME", "renamed-from", "renamed-to"),
      resp("PERSIST", "renamed-to"),
    );
    const dir = track(writeAofDir({ "appendonly.aof.1.incr.aof": incr }, manifestLines("file appendonly.aof.1.incr.aof seq 1 type i")));
    const { redis, bunker } = await loadBoth(dir);
    expect(redis.exitCode).toBeNull();
    expect(bunker.status).toBe(AOF_OK);
    expect(bunker.messages).toEqual(redis.messages);
    const reads = [
      ["GET", "appended"],
      ["GET", "persisted"],
      ["PTTL", "persisted"],
      ["EXISTS", "list"],
      ["GET", "counter"],
      ["PTTL", "counter"],
      ["GET", "renamed-to"],
      ["EXISTS", "renamed-from"],
    ];
    const client = await RawClient.connect(redis.server!.port);
    for (const read of reads) expect(`${read.join(" ")} -> ${run(bunker.server, ...read)}`).toBe(`${read.join(" ")} -> ${await client.callRaw(...read)}`);
    client.close();
    // What that is: persisted keys kept their value, the others expired once the load ended.
    expect(run(bunker.server, "GET", "persisted")).toBe("$1\r\nv\r\n");
    expect(run(bunker.server, "GET", "counter")).toBe("$1\r\n2\r\n");
    expect(run(bunker.server, "GET", "appended")).toBe("$-1\r\n");
    await redis.server!.stop();
  });
});

// ---- hand-made directories: truncation, corruption, missing files ------------------------------------

interface LoadCase {
  name: string;
  files: Record<string, Uint8Array | string>;
  manifest: string;
  args?: string[];
  /** Where Bunker deliberately differs from Redis: Redis's messages as Bunker logs them. */
  bunkerMessages?: (redisMessages: string[]) => string[];
  /** Bunker leaves every file as it was (Redis truncates one before refusing). */
  bunkerLeavesFiles?: boolean;
  /** What the messages are compared as (offsets and line numbers in RDB reports vary). */
  normalize?: (message: string) => string;
}

const SET_A_B = concat(resp("SET", "a", "1"), resp("SET", "b", "2"));
const BASE = resp("SET", "base", "1");
const TRUNCATED = "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1";
const RDB_FIXTURE = readFileSync(new URL("../fixtures/sample-7.0.rdb", import.meta.url));
const RDB_BASE = manifestLines("file appendonly.aof.1.base.rdb seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i");
const withoutTruncationLines = (messages: string[]) => messages.filter((m) => !m.startsWith("!!! Truncating the AOF") && !/^AOF .* loaded anyway/.test(m));

const LOAD_CASES: LoadCase[] = [
  {
    name: "a truncated last file, aof-load-truncated yes: cut back to the last command",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, TRUNCATED) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "a truncated last file, aof-load-truncated no: refused",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, TRUNCATED) },
    manifest: BASE_AOF_AND_INCR,
    args: ["--aof-load-truncated", "no"],
  },
  {
    name: "a last file ending in a lone '*'",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, "*") },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "a last file cut inside the CRLF after an argument",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\nv\r") },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "two bytes other than CRLF after an argument (Redis does not look at them)",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat("*3\r\n$3\r\nSETXY$1\r\nc\r\n$1\r\nvZZ", SET_A_B) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an unfinished MULTI at the end of the last file: reverted",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, resp("MULTI"), resp("SET", "m", "1")) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an unfinished MULTI, aof-load-truncated no: refused",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, resp("MULTI"), resp("SET", "m", "1")) },
    manifest: BASE_AOF_AND_INCR,
    args: ["--aof-load-truncated", "no"],
  },
  {
    name: "a format error in the middle",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(resp("SET", "a", "1"), "garbage\r\n", resp("SET", "b", "2")) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an annotation longer than a read: its rest is a format error",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(`#TS:${"1".repeat(1100)}\r\n`, SET_A_B) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "a command of no arguments",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat("*0\r\n", SET_A_B) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an argument without its '$' line",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat("*2\r\n$3\r\nGET\r\n:1\r\n", SET_A_B) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an unknown command",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(resp("SET", "a", "1"), resp("FOO", "x"), resp("SET", "b", "2")) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an unknown subcommand",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(resp("SET", "a", "1"), resp("XGROUP", "NOPE", "s", "g")) },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "a file the manifest lists but the directory does not hold",
    files: { "appendonly.aof.1.base.aof": BASE },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "every file empty",
    files: { "appendonly.aof.1.base.aof": "", "appendonly.aof.1.incr.aof": "" },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "an empty base, then commands",
    files: { "appendonly.aof.1.base.aof": "", "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: BASE_AOF_AND_INCR,
  },
  {
    name: "commands, then an empty INCR file",
    files: { "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": SET_A_B, "appendonly.aof.2.incr.aof": "" },
    manifest: BASE_AOF_AND_INCR + "file appendonly.aof.2.incr.aof seq 2 type i\n",
  },
  {
    name: "each file starts in database 0, outside MULTI",
    files: {
      "appendonly.aof.1.base.aof": concat(resp("SELECT", "5"), resp("SET", "a", "1")),
      "appendonly.aof.1.incr.aof": concat(resp("SET", "b", "1"), resp("SELECT", "3"), resp("SET", "c", "1")),
      "appendonly.aof.2.incr.aof": resp("SET", "d", "1"),
    },
    manifest: BASE_AOF_AND_INCR + "file appendonly.aof.2.incr.aof seq 2 type i\n",
  },
  {
    name: "an RDB base with commands after it",
    files: { "appendonly.aof.1.base.rdb": concat(RDB_FIXTURE, resp("SET", "tail", "1")), "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: RDB_BASE,
  },
  {
    name: "an RDB base of an unknown version",
    files: { "appendonly.aof.1.base.rdb": concat("REDIS0011", RDB_FIXTURE.subarray(9)), "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: RDB_BASE,
  },
  {
    name: "an RDB base cut short",
    files: { "appendonly.aof.1.base.rdb": RDB_FIXTURE.subarray(0, 100), "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: RDB_BASE,
    // (redis-check-rdb's report, which Redis then runs, goes to standard output: not compared.)
    normalize: (m) =>
      m
        .split("\n[offset")[0]!
        .replace(/^Internal error in RDB reading offset \d+, function at rdb.c:\d+/, "Internal error in RDB reading offset <n>, function at rdb.c:<line>"),
  },
  // Where Bunker refuses without modifying files, or repairs without losing the RDB:
  {
    name: "a truncated file before the last: refused, and (unlike Redis) left as it was",
    files: { "appendonly.aof.1.base.aof": concat(BASE, TRUNCATED), "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: BASE_AOF_AND_INCR,
    bunkerMessages: withoutTruncationLines,
    bunkerLeavesFiles: true,
  },
  {
    name: "an unfinished MULTI in a file before the last: refused, and left as it was",
    files: { "appendonly.aof.1.base.aof": concat(BASE, resp("MULTI"), resp("SET", "m", "1")), "appendonly.aof.1.incr.aof": SET_A_B },
    manifest: BASE_AOF_AND_INCR,
    bunkerMessages: withoutTruncationLines,
    bunkerLeavesFiles: true,
  },
  {
    name: "an RDB base whose first command after it is cut: truncated after the RDB (Redis: to nothing)",
    files: { "appendonly.aof.1.base.rdb": concat(RDB_FIXTURE, TRUNCATED) },
    manifest: manifestLines("file appendonly.aof.1.base.rdb seq 1 type b"),
    bunkerMessages: (messages) => messages.map((m) => m.replace(/at offset 0 !!!$/, `at offset ${RDB_FIXTURE.length} !!!`)),
  },
];

/** Sizes of the files a case started with, after a server loaded its copy of the directory. */
function sizesOf(dir: string, files: Record<string, unknown>): Record<string, number | null> {
  const sizes: Record<string, number | null> = {};
  const present = new Map(listing(dir).map((line) => [line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1))]));
  for (const name of Object.keys(files)) sizes[name] = present.get(`appendonlydir/${name}`) ?? null;
  return sizes;
}

describe("hand-made directories, as redis-server loads them", () => {
  for (const c of LOAD_CASES) {
    withRedis(c.name, async () => {
      const dir = track(writeAofDir(c.files, c.manifest));
      const { redis, bunker, redisDir, bunkerDir } = await loadBoth(dir, c.args);
      const normalize = c.normalize ?? ((m: string) => m);
      const expected = (c.bunkerMessages ?? ((m: string[]) => m))(redis.messages).map(normalize);
      expect(bunker.messages.map(normalize)).toEqual(expected);
      expect(bunker.exitCode).toBe(redis.exitCode);
      const original = sizesOf(dir, c.files);
      const bunkerSizes = sizesOf(bunkerDir, c.files);
      if (c.bunkerLeavesFiles) {
        expect(bunkerSizes).toEqual(original);
        expect(sizesOf(redisDir, c.files)).not.toEqual(original);
      } else if (c.bunkerMessages === undefined) {
        expect(bunkerSizes).toEqual(sizesOf(redisDir, c.files));
      }
      if (redis.exitCode === null) {
        expect(bulk(run(bunker.server, "DEBUG", "DIGEST"))).toBe(String(await redisCall(redis, "DEBUG", "DIGEST")));
        await redis.server!.stop();
      }
    });
  }

  withRedis("the statuses and sizes the core gets", async () => {
    const truncated = await bunkerLoadAof(track(writeAofDir({ "appendonly.aof.1.base.aof": BASE, "appendonly.aof.1.incr.aof": concat(SET_A_B, TRUNCATED) }, BASE_AOF_AND_INCR)));
    // Measured before loading: the truncation does not lower them (as in Redis).
    expect(truncated.load).toEqual({ status: AOF_TRUNCATED, sizes: { currentSize: BASE.length + SET_A_B.length + TRUNCATED.length, baseSize: BASE.length } });
    const empty = await bunkerLoadAof(track(writeAofDir({ "appendonly.aof.1.base.aof": "", "appendonly.aof.1.incr.aof": "" }, BASE_AOF_AND_INCR)));
    expect(empty.load).toEqual({ status: AOF_EMPTY, sizes: null });
    const missing = await bunkerLoadAof(track(writeAofDir({ "appendonly.aof.1.base.aof": BASE }, BASE_AOF_AND_INCR)));
    expect(missing.load).toEqual({ status: AOF_FAILED, sizes: null });
  });
});

// ---- the 6.x upgrade ---------------------------------------------------------------------------------

/**
 * What the AOF core does after loading (aofOpenIfNeededOnServerStart) with this module's
 * functions: open the last INCR file (a new one when there is none) and persist the manifest.
 */
function openIncrOnStart(ctx: AofContext, am: AofManifest): void {
  const name = getLastIncrAofName(ctx, am);
  closeSync(openSync(aofPath(ctx, aofDirName(ctx), name), "a"));
  expect(persistAofManifest(ctx, am)).toBe(true);
}

interface UpgradeCase {
  name: string;
  /** Files in `dir` (the 6.x AOF) and in appendonlydir/ (null: no directory). */
  top: Record<string, Uint8Array | string>;
  aofDir: Record<string, Uint8Array | string> | null;
}

const OLD_COMMANDS = concat(resp("SELECT", "0"), resp("SET", "a", "1"), resp("RPUSH", "l", "x", "y"), resp("SELECT", "2"), resp("SADD", "s", "m"));

const UPGRADE_CASES: UpgradeCase[] = [
  { name: "a 6.x AOF of commands becomes the base, moved into the AOF directory", top: { "appendonly.aof": OLD_COMMANDS }, aofDir: null },
  {
    name: "a 6.x AOF with an RDB preamble: the preamble, then the tail",
    top: { "appendonly.aof": concat(RDB_FIXTURE, resp("SELECT", "0"), resp("SET", "tail", "1")) },
    aofDir: null,
  },
  { name: "an AOF directory without a manifest: upgraded", top: { "appendonly.aof": OLD_COMMANDS }, aofDir: {} },
  {
    name: "an upgrade that stopped before moving the file: done again",
    top: { "appendonly.aof": OLD_COMMANDS },
    aofDir: { "appendonly.aof.manifest": "file appendonly.aof seq 1 type b\n" },
  },
  {
    name: "a 6.x AOF beside a manifest with INCR files: left alone",
    top: { "appendonly.aof": OLD_COMMANDS },
    aofDir: { "appendonly.aof.manifest": "file appendonly.aof.1.incr.aof seq 1 type i\n", "appendonly.aof.1.incr.aof": resp("SET", "new", "1") },
  },
];

describe("upgrading a 6.x AOF", () => {
  for (const c of UPGRADE_CASES) {
    withRedis(`${c.name}: the directory, manifest, log and data redis-server 7.0.15 makes of it`, async () => {
      const dir = track(tempDir());
      for (const [name, bytes] of Object.entries(c.top)) writeFileSync(join(dir, name), bytes);
      if (c.aofDir !== null) {
        mkdirSync(join(dir, "appendonlydir"));
        for (const [name, bytes] of Object.entries(c.aofDir)) writeFileSync(join(dir, "appendonlydir", name), bytes);
      }
      const { redis, bunker, redisDir, bunkerDir } = await loadBoth(dir);
      expect(redis.exitCode).toBeNull();
      expect(bunker.status).toBe(AOF_OK);
      expect(bunker.messages).toEqual(redis.messages);
      openIncrOnStart({ config: bunker.server.config, dir: bunkerDir }, bunker.manifest!);
      expect(listing(bunkerDir)).toEqual(listing(redisDir));
      expect(readManifest(bunkerDir)).toBe(readManifest(redisDir));
      expect(bulk(run(bunker.server, "DEBUG", "DIGEST"))).toBe(String(await redisCall(redis, "DEBUG", "DIGEST")));
      await redis.server!.stop();
    });
  }

  test("the migration is logged before the file is loaded, and the manifest names it under its own name", async () => {
    const dir = track(tempDir());
    writeFileSync(join(dir, "appendonly.aof"), OLD_COMMANDS);
    const bunker = await bunkerLoadAof(dir);
    expect(bunker.messages).toEqual([
      "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).",
      "DB loaded from base file appendonly.aof: <t> seconds",
    ]);
    expect(readManifest(dir)).toBe("file appendonly.aof seq 1 type b\n");
    expect(listing(dir)).toEqual([`appendonlydir/appendonly.aof ${OLD_COMMANDS.length}`, "appendonlydir/appendonly.aof.manifest 33"]);
  });
});

// ---- serving clients while loading ---------------------------------------------------------------------

describe("while the AOF loads", () => {
  test("clients get -LOADING, INFO reports the load, and nothing reaches the propagation feeds", async () => {
    const commands: Uint8Array[] = [resp("SELECT", "0")];
    for (let i = 0; i < 5000; i++) commands.push(i % 100 === 0 ? concat(resp("MULTI"), resp("SET", `k${i}`, "v"), resp("INCR", "n"), resp("EXEC")) : resp("SET", `k${i}`, "v"));
    const incr = concat(...commands);
    const dir = track(writeAofDir({ "appendonly.aof.1.incr.aof": incr }, manifestLines("file appendonly.aof.1.incr.aof seq 1 type i")));
    // 0.5 ms per command: the load takes a few seconds, yielding every 1024 commands.
    const server = newServer(["--key-load-delay", "500"]);
    const fed: string[] = [];
    server.propagation.addFeed({ feed: (db, argv) => fed.push(`${db} ${argv.map((a) => Buffer.from(a).toString("latin1")).join(" ")}`) });
    await server.listen();
    try {
      const loading = bunkerLoadAof(dir, [], server);
      const client = await RawClient.connect(server.port);
      expect(await client.callRaw("PING")).toBe("-LOADING Redis is loading the dataset in memory\r\n");
      const info = String(await client.call("INFO", "persistence"));
      expect(infoField(info, "loading")).toBe("1");
      expect(infoField(info, "loading_total_bytes")).toBe(String(incr.length));
      expect(Number(infoField(info, "loading_loaded_bytes"))).toBeGreaterThan(0);
      const load = await loading;
      expect(load.status).toBe(AOF_OK);
      expect(await client.callRaw("PING")).toBe("+PONG\r\n");
      expect(await client.callRaw("GET", "n")).toBe("$2\r\n50\r\n");
      expect(infoField(String(await client.call("INFO", "persistence")), "loading")).toBe("0");
      expect(fed).toEqual([]);
      // After the load, writes are propagated again.
      await client.call("SET", "after", "1");
      expect(fed).toEqual(["0 SET after 1"]);
      client.close();
    } finally {
      server.closeListeners();
    }
  });
});
