#!/usr/bin/env bun
// Side-by-side benchmark of Bunker and the real redis-server, in one run, reported as
// ratios (the machine's cores are shared with the benchmark client: absolute numbers
// do not compare across runs, ratios within a run do).
//
//   bun scripts/bench.ts [--keys N[,N...]] [--requests N] [--warmup N] [--rounds N] [--jobs N]
//                        [--hash-fields N] [--svg PATH] [--mixed-keys N] [--mixed-breakdown]
//                        [--only throughput|memory|persistence|collections|bgsave|aof|scripting|eviction|replication]
//
// --keys: the bgsave section runs once per count of a comma list (default 1000000,5000000);
// every other section uses the first count (default 1000000).
//
// Sections:
//   throughput   redis-benchmark, 50 clients, -P 1 and -P 16, run alternately on both;
//                requests/s and CPU time per request (from /proc/<pid>/stat). Each test
//                first runs once untimed on both servers (--warmup requests): Bun's JIT
//                compiles a new code path over its first ~100K requests, which would
//                otherwise count a compile, not the steady state a server runs in.
//                -P 16 runs send 5x --requests, to last as long as -P 1 runs. Each
//                server then runs each test --rounds times (2), alternating with the other.
//   memory       RSS and PSS after loading N keys of 32-byte values
//   persistence  SAVE of N mixed-type keys and start-up load of that file: time and size
//                (load: spawning the server to its first PONG, probed every 10 ms)
//   collections  what issue #16 (compact collections) measures:
//                - Memory of its mixed dataset: --mixed-keys keys (300000), 8 of every 20
//                  a string of a 32-byte value, 3 of every 20 each a small hash, set,
//                  sorted set and list of 5-20 elements (fields and members of 8-16
//                  bytes, hash values and list elements of 16-32; half the small sets
//                  all integers, intsets in Redis; sorted-set scores half integers, half
//                  with two decimals), then 20 hashes, 20 sets, 20 sorted sets and 20
//                  lists of 5000 elements. Each key's bytes come from a PRNG seeded by
//                  its index: both servers, and every part of the breakdown, get the same
//                  data (DEBUG DIGEST is compared). Loaded through redis-cli --pipe into a
//                  fresh server of each kind; then PSS, RSS and INFO used_memory once the
//                  RSS settles (two samples 500 ms apart within 0.5%, at most 15 s), beside
//                  the empty server's PSS. Goal line: PSS <= 1.2x Redis.
//                - SAVE of that dataset (the command's wall time), file size, and a fresh
//                  server's start-up load of the file (as in persistence), beside an
//                  empty server's start. Goal lines: SAVE and load no slower than Redis.
//                - With --mixed-breakdown (a minute more): each component (the strings,
//                  the small and the large collections of each type) loaded alone into
//                  a fresh pair of servers; growth over the empty server, per component
//                  and per element.
//                - redis-benchmark -c 50 -r 100000, the default tests that touch
//                  collections (LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN,
//                  LRANGE_100/300/500/600) with SET, GET, INCR and MSET as controls, in
//                  redis-benchmark's default order, at -P 1 then -P 16 on one pair of
//                  servers, never flushed: each test works on one key (mylist, myset,
//                  myhash, myzset). These start with the 100000 members -r can name
//                  (redis-benchmark seeds its random with time ^ pid, and runs close in
//                  time often draw the same sequence: without the fill, how large the
//                  keys grew would differ between servers); the hash and sorted set stay
//                  there, the set grows past it (members of SPOP's fills stay), the list
//                  (one element pushed over and over) past a million. The pop tests pop
//                  what the earlier tests pushed; before each of their runs they get as
//                  many new elements as the run pops (outside the timed and CPU window),
//                  so no run pops an emptied key (ZPOPMIN's fill scores below all others).
//                  LRANGE_n is sent as its own command: -t lrange_n would first LPUSH as
//                  many requests into the CPU measured. Warmed up and alternated as in
//                  throughput, requests/s and CPU per request: 50000 requests per run at
//                  -P 1 and 5x at -P 16 (--requests and --warmup when given), LRANGE_n
//                  min(1, 200/n) of that at both (its replies are long). Goal lines: the
//                  lowest bunker/redis >= 1.0 at -P 1 and >= 0.9 at -P 16, the highest
//                  CPU ratio <= 1.2.
//   bgsave       BGSAVE under a write load, per dataset and server (Redis, then Bunker,
//                a fresh server each): --keys string keys of 32-byte values (1M and 5M),
//                each under SET of 32-byte values at random keys among them, and one hash
//                of --hash-fields fields (1M; 0 skips it) under HSET at random fields.
//                The load (latency-timeline.ts) is redis-benchmark's -c 20 -P 1 -r N,
//                recording every request's completion time and latency. After the data
//                loads and settles (1 s), the load runs 1 s untimed (Bunker's JIT), 2 s
//                "before", then BGSAVE; INFO persistence is polled every 20 ms, and
//                "during" is exactly from BGSAVE to the reply that reads
//                rdb_bgsave_in_progress:0; the load goes on 2 s more. PSS of the server
//                and its children is sampled every 50 ms. Per row: p99 and p50 before
//                and during, the worst request during, PSS before (mean of the before
//                window) and peak, latest_fork_usec, save time, rdb_last_bgsave_status.
//                Also draws docs/bench/bgsave.svg (--svg PATH): per dataset, p50 and p99
//                per 100 ms window and PSS over time, both servers, x from BGSAVE.
//   aof          the AOF's write path and its rewrite, appendonly yes on both servers
//                (each in its own temp dir, the same config otherwise):
//                - per appendfsync policy (always, everysec, no; a fresh pair of servers
//                  each): SET, INCR and LPUSH+HSET (two redis-benchmark processes of 25
//                  clients at once, their requests over the wall time of both) at -P 1
//                  and -P 16, warmed up and alternated as in throughput; requests/s,
//                  CPU per request, bunker/redis. auto-aof-rewrite-percentage is 0 here:
//                  the runs write hundreds of MiB and a rewrite would fall into some
//                  runs of one server only. A goal line per policy: the lowest
//                  bunker/redis against the issue's goal (>= 1.0 for always, where
//                  group commit decides, >= 0.9 for everysec and no).
//                - BGREWRITEAOF of --keys keys under the bgsave section's SET load and
//                  phases, with its columns: latency before/during, PSS before and peak
//                  (server + children), latest_fork_usec, rewrite time (to
//                  aof_rewrite_in_progress:0), aof_last_bgrewrite_status. Redis forks;
//                  Bunker streams its snapshot to a spawned writer.
//   eviction     SET of 1 KB values at the memory limit: maxmemory 100mb, allkeys-lru on
//                both, filled past the limit first, then redis-benchmark SET -r 10^8
//                (every SET evicts about a key) at -P 1 and -P 16, warmed up and
//                alternated as in throughput; evicted_keys, used_memory and RSS at the end.
//   scripting    Lua scripts, both servers started once:
//                - EVALSHA of a cached one-command script (`return redis.call('incr',
//                  KEYS[1])`, loaded with SCRIPT LOAD) and EVAL of the same body (a
//                  SHA1 of the body and a cache lookup per call), through redis-benchmark
//                  at -P 1 and -P 16, warmed up and alternated as in throughput.
//                - BullMQ: --jobs jobs (5000) added with Queue.addBulk in batches of
//                  500, then processed by one Worker of concurrency 50 with a processor
//                  that returns at once; jobs added per second and processed per second
//                  (to the Worker's last "completed" event), with the servers' CPU per
//                  job, for both. The client (BullMQ, ioredis) runs in this process: it
//                  takes one of the two cores, as an application's would. A round of
//                  --jobs / 5 jobs on each server first, untimed; then --rounds rounds,
//                  alternating, each on a flushed server.
//   replication  Bunker as master against Redis as master, the replica a real redis-server
//                in both cases (what differs is the master): --keys string keys of 32
//                bytes loaded into a fresh master (repl-diskless-sync-delay 0), then
//                - full sync, disk (repl-diskless-sync no) and diskless: a fresh empty
//                  replica is told REPLICAOF; the time until its link is up and its
//                  offset equals the master's;
//                - lag under a write load: redis-benchmark SET -c 50 -P 16 -r --keys at
//                  the master while a probe writes a counter there every 5 ms and polls
//                  the replica until it shows it; p50, p99 and worst lag, and the load's
//                  requests/s. Goal line: Bunker's times within 1.2x Redis's.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { RawClient, ReplyError } from "../test/helpers/server.ts";
import { seededRandom } from "../test/helpers/random.ts";
import { RunningWriteLoad, type LatencySummary, type LatencyTimeline, type WriteLoad } from "./latency-timeline.ts";
import { renderBgsaveChart, type ChartDataset, type ChartSeries } from "./bgsave-chart.ts";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
/**
 * --keys: a count, or a comma list of counts. The bgsave section runs once per count
 * (1M and 5M by default); the other sections use the first (1M by default).
 */
const KEY_COUNTS = option("keys", "")
  .split(",")
  .filter((text) => text !== "")
  .map((text) => {
    const count = Number(text);
    if (!Number.isSafeInteger(count) || count <= 0) throw new Error(`--keys: ${text} is not a key count`);
    return count;
  });
const KEYS = KEY_COUNTS[0] ?? 1000000;
const BGSAVE_KEY_COUNTS = KEY_COUNTS.length > 0 ? KEY_COUNTS : [1000000, 5000000];
/** Fields of the one hash the bgsave section's large-collection variant writes to; 0 skips it. */
const HASH_FIELDS = Number(option("hash-fields", "1000000"));
/** Where the bgsave section draws its latency and memory timelines. */
const SVG_PATH = resolve(option("svg", join(ROOT, "docs/bench/bgsave.svg")));
const REQUESTS = Number(option("requests", "200000"));
const WARMUP_REQUESTS = Number(option("warmup", "200000"));
/**
 * Pipelined runs send this many times more requests, so that they last about as long
 * as unpipelined ones: a run of a fraction of a second is a handful of 10 ms CPU ticks.
 */
const PIPELINED_REQUEST_FACTOR = 5;
/** Timed runs per test and server, alternating: one run of a shared 2-core machine is noisy. */
const ROUNDS = Math.max(1, Number(option("rounds", "2")));
const ONLY = option("only", "all");
/** BullMQ jobs per round in the scripting section. */
const JOBS = Number(option("jobs", "5000"));
const TICKS = 100; // USER_HZ on Linux

interface Server {
  name: "bunker" | "redis";
  port: number;
  dir: string;
  proc: Subprocess;
  /** The parameters startServer was given beyond its own: a restart on `dir` passes them again. */
  config: Record<string, string>;
}

let nextPort = 31000 + Math.floor(Math.random() * 1000);

/** How often waitReady probes: start-up load times are measured to its resolution. */
const READY_POLL_MS = 10;

/**
 * Waits until a server answers PING with PONG: it listens and has loaded its dataset
 * (while loading, both answer -LOADING, or Bunker may not read at all). Probes over a
 * socket of this process every READY_POLL_MS, not with a redis-cli per probe: the
 * persistence sections time start-up loads with it, and a process spawned every few
 * milliseconds would take CPU from the loading server on a 2-core machine.
 */
async function waitReady(port: number): Promise<void> {
  const deadline = performance.now() + 60000;
  while (performance.now() < deadline) {
    let client: RawClient | undefined;
    try {
      client = await RawClient.connect(port);
      while (performance.now() < deadline) {
        if ((await client.callRaw("PING")) === "+PONG\r\n") return;
        await Bun.sleep(READY_POLL_MS);
      }
    } catch {
      // not listening yet, or the connection closed: try a new one
    } finally {
      client?.close();
    }
    await Bun.sleep(READY_POLL_MS);
  }
  throw new Error(`server on ${port} not ready`);
}

/**
 * Starts a server with the benchmark's config (no save points, no AOF) in its own temp
 * dir; `config` adds or replaces parameters (`{ appendonly: "yes" }`), the same for both.
 */
async function startServer(name: "bunker" | "redis", dir?: string, config: Record<string, string> = {}): Promise<Server> {
  const port = nextPort++;
  const workDir = dir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const parameters: Record<string, string> = { port: String(port), save: "", bind: "127.0.0.1", appendonly: "no", ...config };
  const common = Object.entries(parameters).flatMap(([parameter, value]) => [`--${parameter}`, value]);
  const command =
    name === "redis" ? ["redis-server", ...common, "--dir", workDir] : [process.execPath, join(ROOT, "src/main.ts"), ...common];
  const proc = Bun.spawn(command, { cwd: workDir, stdout: "ignore", stderr: "ignore" });
  try {
    await waitReady(port);
  } catch (error) {
    proc.kill("SIGKILL"); // a server that never got ready is not left running
    await proc.exited;
    throw error;
  }
  return { name, port, dir: workDir, proc, config };
}

async function stopServer(server: Server, removeDir = true): Promise<void> {
  server.proc.kill("SIGKILL");
  await server.proc.exited;
  if (removeDir) rmSync(server.dir, { recursive: true, force: true });
}

function cli(port: number, ...command: string[]): string {
  return Bun.spawnSync(["redis-cli", "-p", String(port), ...command]).stdout.toString().trim();
}

function info(port: number, field: string): string {
  return infoField(cli(port, "INFO", "everything"), field);
}

/** One field of an INFO reply's text; "" when absent. */
function infoField(text: string, field: string): string {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(field + ":"));
  return line ? line.slice(field.length + 1) : "";
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function kb(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

function rss(pid: number): number {
  return kb(readFileSync(`/proc/${pid}/status`, "utf8"), "VmRSS");
}

function pss(pid: number): number {
  try {
    return kb(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // the process ended meanwhile (a child that just exited)
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(" ").map(Number));
    } catch {
      // the task ended meanwhile
    }
  }
  return out;
}

function treePss(pid: number): number {
  let total = pss(pid);
  for (const child of childrenOf(pid)) total += treePss(child);
  return total;
}

interface BenchResult {
  rps: number;
  p99: number;
}

/**
 * Runs redis-benchmark without blocking this process's event loop. `test` "" runs no -t
 * test: `extra` then ends with a command of its own.
 */
async function redisBenchmark(port: number, test: string, pipeline: number, requests: number, extra: string[] = [], clients = 50): Promise<BenchResult> {
  const proc = Bun.spawn([
    "redis-benchmark",
    "-p",
    String(port),
    "-c",
    String(clients),
    "-n",
    String(requests),
    "-P",
    String(pipeline),
    ...(test === "" ? [] : ["-t", test]),
    "--csv",
    ...extra,
  ], { stdout: "pipe", stderr: "ignore" });
  const output = await new Response(proc.stdout).text();
  await proc.exited;
  const lines = output.trim().split("\n");
  // Fields counted from the end: the first, the test's name, is a custom command's
  // text when there is one, commas included.
  const row = lines[lines.length - 1]!.split(",").map((f) => f.replace(/"/g, ""));
  return { rps: Number(row[row.length - 7]), p99: Number(row[row.length - 2]) };
}

/** The value every string key and hash field of the bgsave and AOF sections holds (redis-benchmark's -d 32). */
const VALUE_32 = "x".repeat(32);

/**
 * Sends `count` items to a server through redis-cli --pipe, `perCommand` items per
 * command: `command(first, n)` returns the RESP text of the command for items first..first+n-1.
 */
async function pipeInBatches(port: number, count: number, perCommand: number, command: (first: number, n: number) => string): Promise<void> {
  let payload: string[] = [];
  const flush = async () => {
    if (payload.length === 0) return;
    const proc = Bun.spawn(["redis-cli", "-p", String(port), "--pipe"], { stdin: "pipe", stdout: "ignore" });
    proc.stdin.write(payload.join(""));
    await proc.stdin.end();
    await proc.exited;
    payload = [];
  };
  for (let i = 0; i < count; i += perCommand) {
    payload.push(command(i, Math.min(perCommand, count - i)));
    if (payload.length >= 2000) await flush();
  }
  await flush();
}

/** `prefix` and n as redis-benchmark's -r writes it (`key:__rand_int__`): 12 digits, zero-padded. */
function randIntName(prefix: string, n: number): string {
  return prefix + String(n).padStart(12, "0");
}

/** Loads `count` keys "key:<n>" with 32-byte values through pipelined MSETs. */
async function loadStrings(port: number, count: number, prefix = "key:"): Promise<void> {
  await pipeInBatches(port, count, 100, (first, n) => {
    let cmd = `*${1 + 2 * n}\r\n$4\r\nMSET\r\n`;
    for (let j = 0; j < n; j++) {
      const key = randIntName(prefix, first + j);
      cmd += `$${key.length}\r\n${key}\r\n$32\r\n${VALUE_32}\r\n`;
    }
    return cmd;
  });
}

/** Loads one hash `key` of `count` fields "field:<n>" with 32-byte values through pipelined HSETs. */
async function loadHash(port: number, key: string, count: number): Promise<void> {
  await pipeInBatches(port, count, 100, (first, n) => {
    let cmd = `*${2 + 2 * n}\r\n$4\r\nHSET\r\n$${key.length}\r\n${key}\r\n`;
    for (let j = 0; j < n; j++) {
      const field = randIntName("field:", first + j);
      cmd += `$${field.length}\r\n${field}\r\n$32\r\n${VALUE_32}\r\n`;
    }
    return cmd;
  });
}

/** The RESP text of a command. */
function respCommand(parts: readonly string[]): string {
  let text = `*${parts.length}\r\n`;
  for (const part of parts) text += `$${Buffer.byteLength(part)}\r\n${part}\r\n`;
  return text;
}

/** A mixed dataset: 70% strings, 10% hashes, 10% lists, 5% sets, 5% sorted sets. */
async function loadMixed(port: number, count: number): Promise<void> {
  const lines: string[] = [];
  const send = async () => {
    const proc = Bun.spawn(["redis-cli", "-p", String(port), "--pipe"], { stdin: "pipe", stdout: "ignore" });
    proc.stdin.write(lines.join(""));
    await proc.stdin.end();
    await proc.exited;
    lines.length = 0;
  };
  const resp = (...parts: string[]) => respCommand(parts);
  for (let i = 0; i < count; i++) {
    const kind = i % 20;
    const key = `m:${i}`;
    if (kind < 14) lines.push(resp("SET", key, `value-${i}-${"y".repeat(20)}`));
    else if (kind < 16) lines.push(resp("HSET", key, "f1", "v1", "f2", String(i), "f3", "hello world", "f4", "x", "f5", "yy"));
    else if (kind < 18) lines.push(resp("RPUSH", key, "a", "b", String(i), "dddd", "eeeeeeeeee"));
    else if (kind < 19) lines.push(resp("SADD", key, "1", "2", "3", String(i), "five"));
    else lines.push(resp("ZADD", key, "1", "a", "2.5", "b", "3", "c", String(i), "d", "-1", "e"));
    if (lines.length >= 20000) await send();
  }
  await send();
}

function ratio(a: number, b: number): string {
  return b === 0 ? "n/a" : (a / b).toFixed(2);
}

function table(title: string, header: string[], rows: string[][]): void {
  console.log(`\n## ${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

interface Measured {
  rps: number;
  cpuPerRequest: number;
}

interface AlternateOptions {
  /** Requests of the untimed run on each server (default --warmup). */
  warmup?: number;
  /**
   * Runs before every run, the untimed ones included, outside the timed and CPU-measured
   * window, with the run's request count (the collections section fills what a pop test
   * pops).
   */
  prepare?: (port: number, requests: number) => Promise<void>;
}

/**
 * One test on both servers: once untimed on each (--warmup requests), then ROUNDS timed
 * runs alternating, Redis first then Bunker, so drift in machine load affects both.
 * requests/s is the mean of the rounds, CPU per request all CPU over all requests.
 * `run` sends `requests` requests to a port and returns the requests/s it measured.
 */
async function alternate(
  redis: Server,
  bunker: Server,
  requests: number,
  run: (port: number, requests: number) => Promise<number>,
  options: AlternateOptions = {},
): Promise<Record<"redis" | "bunker", Measured>> {
  const warmup = options.warmup ?? WARMUP_REQUESTS;
  if (warmup > 0) {
    for (const server of [redis, bunker]) {
      await options.prepare?.(server.port, warmup);
      await run(server.port, warmup);
    }
  }
  const totals = { redis: { rps: 0, cpu: 0 }, bunker: { rps: 0, cpu: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of [redis, bunker]) {
      await options.prepare?.(server.port, requests);
      const before = cpuSeconds(server.proc.pid);
      const rps = await run(server.port, requests);
      totals[server.name].cpu += cpuSeconds(server.proc.pid) - before;
      totals[server.name].rps += rps;
    }
  }
  const result = (name: "redis" | "bunker"): Measured => ({ rps: totals[name].rps / ROUNDS, cpuPerRequest: (totals[name].cpu / (requests * ROUNDS)) * 1e6 });
  return { redis: result("redis"), bunker: result("bunker") };
}

/** A table row of alternate()'s results: requests/s and CPU per request of both, and their ratios. */
function comparisonCells(results: Record<"redis" | "bunker", Measured>): string[] {
  return [
    results.redis.rps.toFixed(0),
    results.bunker.rps.toFixed(0),
    ratio(results.bunker.rps, results.redis.rps),
    results.redis.cpuPerRequest.toFixed(2),
    results.bunker.cpuPerRequest.toFixed(2),
    ratio(results.bunker.cpuPerRequest, results.redis.cpuPerRequest),
  ];
}

async function throughput(): Promise<void> {
  const bunker = await startServer("bunker");
  const redis = await startServer("redis");
  const rows: string[][] = [];
  for (const pipeline of [1, 16]) {
    for (const test of ["ping", "set", "get", "incr", "mset", "lpush", "rpop", "sadd", "hset", "zadd"]) {
      const requests = pipeline > 1 ? REQUESTS * PIPELINED_REQUEST_FACTOR : REQUESTS;
      const results = await alternate(redis, bunker, requests, async (port, n) => (await redisBenchmark(port, test, pipeline, n)).rps);
      rows.push([test.toUpperCase(), String(pipeline), ...comparisonCells(results)]);
    }
  }
  table(
    `Throughput (redis-benchmark, 50 clients, ${ROUNDS} alternating runs of ${REQUESTS} requests at -P 1 and ${REQUESTS * PIPELINED_REQUEST_FACTOR} at -P 16, after ${WARMUP_REQUESTS} untimed)`,
    ["test", "-P", "redis rps", "bunker rps", "bunker/redis", "redis CPU µs/req", "bunker CPU µs/req", "CPU ratio"],
    rows,
  );
  await stopServer(bunker);
  await stopServer(redis);
}

/** The eviction section's limit and the size of the values that fill it. */
const EVICTION_MAXMEMORY = "100mb";
const EVICTION_VALUE_BYTES = 1024;

/**
 * SET throughput at the memory limit (issue #17): both servers with maxmemory
 * EVICTION_MAXMEMORY and allkeys-lru, filled past the limit first (so every SET then
 * evicts about one key), then redis-benchmark SET of 1 KB values over a keyspace of 10^8
 * random keys, at -P 1 and -P 16, alternating as in throughput. Beside the ratios:
 * evicted_keys and used_memory (which must stay under the limit) and the RSS at the end.
 */
async function eviction(): Promise<void> {
  const config = { maxmemory: EVICTION_MAXMEMORY, "maxmemory-policy": "allkeys-lru" };
  const bunker = await startServer("bunker", undefined, config);
  const redis = await startServer("redis", undefined, config);
  const setArgs = ["-r", "100000000", "-d", String(EVICTION_VALUE_BYTES)];
  for (const server of [redis, bunker]) {
    while (Number(info(server.port, "evicted_keys")) === 0) await redisBenchmark(server.port, "set", 16, 100_000, setArgs);
  }
  const rows: string[][] = [];
  for (const pipeline of [1, 16]) {
    const requests = pipeline > 1 ? REQUESTS * PIPELINED_REQUEST_FACTOR : REQUESTS;
    const results = await alternate(redis, bunker, requests, async (port, n) => (await redisBenchmark(port, "set", pipeline, n, setArgs)).rps);
    rows.push([`SET ${EVICTION_VALUE_BYTES} B`, String(pipeline), ...comparisonCells(results)]);
  }
  table(
    `SET at the memory limit (maxmemory ${EVICTION_MAXMEMORY}, allkeys-lru, -r 10^8, ${ROUNDS} alternating runs of ${REQUESTS} requests at -P 1 and ${REQUESTS * PIPELINED_REQUEST_FACTOR} at -P 16)`,
    ["test", "-P", "redis rps", "bunker rps", "bunker/redis", "redis CPU µs/req", "bunker CPU µs/req", "CPU ratio"],
    rows,
  );
  table(
    "At the end of the eviction runs",
    ["server", "evicted_keys", "used_memory", "RSS"],
    [redis, bunker].map((server) => [server.name, info(server.port, "evicted_keys"), info(server.port, "used_memory"), String(rss(server.proc.pid))]),
  );
  await stopServer(bunker);
  await stopServer(redis);
}

async function memory(): Promise<void> {
  const rows: string[][] = [];
  const measured: Record<string, { rss: number; pss: number }> = {};
  for (const name of ["redis", "bunker"] as const) {
    const server = await startServer(name);
    await loadStrings(server.port, KEYS);
    if (name === "bunker") Bun.spawnSync(["redis-cli", "-p", String(server.port), "DEBUG", "SLEEP", "0"]);
    await Bun.sleep(1500);
    const dbsize = Number(cli(server.port, "DBSIZE"));
    measured[name] = { rss: rss(server.proc.pid), pss: pss(server.proc.pid) };
    rows.push([name, String(dbsize), (measured[name]!.rss / 1048576).toFixed(1), (measured[name]!.pss / 1048576).toFixed(1), (measured[name]!.rss / dbsize).toFixed(0)]);
    await stopServer(server);
  }
  rows.push(["bunker/redis", "", ratio(measured.bunker!.rss, measured.redis!.rss), ratio(measured.bunker!.pss, measured.redis!.pss), ""]);
  table(`Memory after loading ${KEYS} keys of 32-byte values`, ["server", "keys", "RSS MiB", "PSS MiB", "RSS bytes/key"], rows);
}

interface SaveAndReload {
  /** Wall time of the SAVE command, in seconds. */
  save: number;
  /** From spawning a server on the saved dir to its first PONG (waitReady), in seconds. */
  load: number;
  /** Size of the dump.rdb, in bytes. */
  size: number;
  /** The server started on the saved file: the caller reads it and stops it. */
  reloaded: Server;
}

/**
 * SAVE on a loaded server, then a fresh server of the same kind started on its dir and
 * timed to ready; the loaded server is stopped (its dir kept for the new one).
 */
async function saveAndReload(server: Server): Promise<SaveAndReload> {
  const started = performance.now();
  const reply = cli(server.port, "SAVE");
  const save = (performance.now() - started) / 1000;
  if (reply !== "OK") throw new Error(`${server.name}: SAVE answered ${reply}`);
  const size = statSync(join(server.dir, "dump.rdb")).size;
  await stopServer(server, false);
  const loadStart = performance.now();
  const reloaded = await startServer(server.name, server.dir, server.config);
  const load = (performance.now() - loadStart) / 1000;
  return { save, load, size, reloaded };
}

async function persistence(): Promise<void> {
  const rows: string[][] = [];
  const results: Record<string, { save: number; load: number; size: number }> = {};
  for (const name of ["redis", "bunker"] as const) {
    const server = await startServer(name);
    await loadMixed(server.port, KEYS);
    const { save, load, size, reloaded } = await saveAndReload(server);
    const keys = Number(cli(reloaded.port, "DBSIZE"));
    results[name] = { save, load, size };
    rows.push([name, String(keys), save.toFixed(2), load.toFixed(2), (size / 1048576).toFixed(1)]);
    await stopServer(reloaded);
  }
  rows.push([
    "bunker/redis",
    "",
    ratio(results.bunker!.save, results.redis!.save),
    ratio(results.bunker!.load, results.redis!.load),
    ratio(results.bunker!.size, results.redis!.size),
  ]);
  table(`SAVE and start-up load of ${KEYS} mixed keys`, ["server", "keys loaded", "SAVE s", "load s (start to PONG)", "file MiB"], rows);
}

// ---- collections: the measurements of issue #16 ------------------------------------------

/** Keys of the collections section's mixed dataset (--mixed-keys), besides its large collections. */
const MIXED_KEYS = Number(option("mixed-keys", "300000"));
/** --mixed-breakdown: also load each component of the mixed dataset alone, on fresh servers. */
const MIXED_BREAKDOWN = args.includes("--mixed-breakdown");
/**
 * The collections section's requests per -P 1 run and per untimed run: its own defaults,
 * so its 34 tests fit in a few minutes; an explicit --requests or --warmup applies to it too.
 */
const COLLECTION_REQUESTS = args.includes("--requests") ? REQUESTS : 50000;
const COLLECTION_WARMUP = args.includes("--warmup") ? WARMUP_REQUESTS : 50000;
/** redis-benchmark's -r in the collections section: the collections grow to about this many elements. */
const COLLECTION_RANGE = 100000;
/** The mixed dataset's large collections: this many of each type, of this many elements each. */
const LARGE_PER_TYPE = 20;
const LARGE_ELEMENTS = 5000;
/** A large collection is sent in commands of this many elements. */
const ELEMENTS_PER_COMMAND = 500;
const MIXED_SEED = 16;
/** settledMemory samples RSS this often, and gives up waiting for it to settle after SETTLE_MAX_MS. */
const SETTLE_SAMPLE_MS = 500;
const SETTLE_MAX_MS = 15000;

type CollectionType = "hash" | "set" | "zset" | "list";
const COLLECTION_TYPES: readonly CollectionType[] = ["hash", "set", "zset", "list"];
const TYPE_PLURAL: Record<CollectionType, string> = { hash: "hashes", set: "sets", zset: "sorted sets", list: "lists" };
const TYPE_COMMAND: Record<CollectionType, string> = { hash: "HSET", set: "SADD", zset: "ZADD", list: "RPUSH" };

/** One key of the mixed dataset: what its commands are generated from (mixedKeyCommands). */
interface MixedKey {
  /** The breakdown's row: "strings", "small hashes", ..., "large lists". */
  component: string;
  type: "string" | CollectionType;
  large: boolean;
  key: string;
  elements: number;
  /** Seeds the key's own PRNG: a key's data does not depend on which others are loaded. */
  seed: number;
}

/**
 * The dataset of issue #16: `keys` keys, 8 of every 20 a string of a 32-byte value, 3 of
 * every 20 each a small hash, set, sorted set and list of 5-20 elements; then 20 large
 * collections of each type, of LARGE_ELEMENTS elements.
 */
function mixedDataset(keys: number): MixedKey[] {
  const seedOf = (n: number) => (Math.imul(n + 1, 0x9e3779b1) ^ MIXED_SEED) >>> 0;
  const dataset: MixedKey[] = [];
  for (let i = 0; i < keys; i++) {
    const slot = i % 20;
    const seed = seedOf(i);
    if (slot < 8) {
      dataset.push({ component: "strings", type: "string", large: false, key: `string:${i}`, elements: 1, seed });
      continue;
    }
    const type = COLLECTION_TYPES[Math.floor((slot - 8) / 3)]!;
    const elements = 5 + Math.floor(seededRandom(seed ^ 0x5bd1e995)() * 16);
    dataset.push({ component: `small ${TYPE_PLURAL[type]}`, type, large: false, key: `${type}:${i}`, elements, seed });
  }
  let large = 0;
  for (const type of COLLECTION_TYPES) {
    for (let n = 0; n < LARGE_PER_TYPE; n++) {
      const seed = seedOf(0x40000000 + large++);
      dataset.push({ component: `large ${TYPE_PLURAL[type]}`, type, large: true, key: `large-${type}:${n}`, elements: LARGE_ELEMENTS, seed });
    }
  }
  return dataset;
}

/** 64 characters: one random() draw (32 bits) picks five of them. */
const TEXT_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const TEXT_CODES = Array.from(TEXT_ALPHABET, (c) => c.charCodeAt(0));

function randomText(random: () => number, length: number): string {
  const codes = new Array<number>(length);
  let bits = 0;
  for (let i = 0; i < length; i++) {
    if (i % 5 === 0) bits = (random() * 4294967296) >>> 0;
    codes[i] = TEXT_CODES[bits & 63]!;
    bits >>>= 6;
  }
  return String.fromCharCode(...codes);
}

/** A field or member of 8-16 bytes, unique in its collection by its number `n`. */
function mixedName(random: () => number, n: number): string {
  const prefix = `${n.toString(36)}:`;
  return prefix + randomText(random, 8 + Math.floor(random() * 9) - prefix.length);
}

/** A hash value or list element of 16-32 bytes. */
function mixedValue(random: () => number): string {
  return randomText(random, 16 + Math.floor(random() * 17));
}

/**
 * The RESP text that creates one key of the mixed dataset: a SET, or HSET/SADD/ZADD/RPUSH
 * of ELEMENTS_PER_COMMAND elements at most per command. Half of the small sets hold
 * integers only (intsets in Redis); sorted-set scores are half integers, half with two
 * decimals.
 */
function mixedKeyCommands(spec: MixedKey): string {
  const random = seededRandom(spec.seed);
  if (spec.type === "string") return respCommand(["SET", spec.key, randomText(random, 32)]);
  const integers = spec.type === "set" && !spec.large && random() < 0.5;
  let text = "";
  for (let first = 0; first < spec.elements; first += ELEMENTS_PER_COMMAND) {
    const parts = [TYPE_COMMAND[spec.type], spec.key];
    for (let n = first; n < Math.min(spec.elements, first + ELEMENTS_PER_COMMAND); n++) {
      if (spec.type === "hash") parts.push(mixedName(random, n), mixedValue(random));
      else if (spec.type === "set") parts.push(integers ? String(n * 100000 + Math.floor(random() * 100000)) : mixedName(random, n));
      else if (spec.type === "zset") parts.push(random() < 0.5 ? String(Math.floor(random() * 1000000)) : (random() * 1000).toFixed(2), mixedName(random, n));
      else parts.push(mixedValue(random));
    }
    text += respCommand(parts);
  }
  return text;
}

/**
 * Loads keys of the mixed dataset, the RESP text of each (mixedKeyCommands, generated
 * once for both servers: the generation would take longer than Redis's ingest), through
 * redis-cli --pipe; throws unless DBSIZE then counts them all.
 */
async function loadMixedDataset(server: Server, keyCommands: readonly string[]): Promise<void> {
  await pipeInBatches(server.port, keyCommands.length, 1, (i) => keyCommands[i]!);
  const keys = Number(cli(server.port, "DBSIZE"));
  if (keys !== keyCommands.length) throw new Error(`${server.name}: ${keys} keys after loading ${keyCommands.length}`);
}

interface MemoryReading {
  rss: number;
  pss: number;
  /** INFO used_memory: Redis's allocator; Bunker's JS heap in use plus ArrayBuffers. */
  usedMemory: number;
  /** How long the RSS took to settle. */
  settleSeconds: number;
}

/**
 * A server's memory once its RSS stops changing: after a load, Bun's garbage collector
 * and allocator give pages back for a while. Waits 1 s, then samples the RSS every
 * SETTLE_SAMPLE_MS until two samples in a row differ by at most 0.5% (or 1 MiB), at most
 * SETTLE_MAX_MS in all.
 */
async function settledMemory(server: Server): Promise<MemoryReading> {
  const pid = server.proc.pid;
  const started = performance.now();
  await Bun.sleep(1000);
  let previous = rss(pid);
  while (performance.now() - started < SETTLE_MAX_MS) {
    await Bun.sleep(SETTLE_SAMPLE_MS);
    const current = rss(pid);
    const settled = Math.abs(current - previous) <= Math.max(previous * 0.005, 1048576);
    previous = current;
    if (settled) break;
  }
  return { rss: rss(pid), pss: pss(pid), usedMemory: Number(info(server.port, "used_memory")), settleSeconds: (performance.now() - started) / 1000 };
}

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

/** DEBUG DIGEST is refused unless enable-debug-command allows it (Redis 7.0's default is no). */
const DEBUG_COMMAND = { "enable-debug-command": "local" };

/** DEBUG DIGEST of a server's dataset; throws on any reply but a digest. */
function debugDigest(server: Server): string {
  const reply = cli(server.port, "DEBUG", "DIGEST");
  if (!/^[0-9a-f]{40}$/.test(reply)) throw new Error(`${server.name}: DEBUG DIGEST answered ${reply}`);
  return reply;
}

/** Seconds from spawning a server on an empty dir to its first PONG: what a start-up load adds to. */
async function emptyStartSeconds(name: "redis" | "bunker"): Promise<number> {
  const started = performance.now();
  const server = await startServer(name);
  const seconds = (performance.now() - started) / 1000;
  await stopServer(server);
  return seconds;
}

/**
 * Part 1 and 2 of the collections section: memory of the mixed dataset, then SAVE of it
 * and a fresh server's start-up load of the file, on both servers.
 */
async function mixedDatasetMemoryAndPersistence(): Promise<void> {
  const dataset = mixedDataset(MIXED_KEYS);
  const keyCommands = dataset.map(mixedKeyCommands);
  const elements = dataset.reduce((sum, spec) => sum + (spec.type === "string" ? 0 : spec.elements), 0);
  const description = `${MIXED_KEYS} keys (40% strings of 32-byte values, 15% each small hashes, sets, sorted sets, lists of 5-20 elements) + ${LARGE_PER_TYPE * 4} collections of ${LARGE_ELEMENTS} elements: ${dataset.length} keys, ${elements} collection elements`;
  type Name = "redis" | "bunker";
  const memory = {} as Record<Name, { empty: MemoryReading; full: MemoryReading; ingest: number }>;
  const digests = {} as Record<Name, { before: string; after: string }>;
  const saved = {} as Record<Name, { save: number; load: number; size: number; keys: number; emptyStart: number }>;
  const loaded: Server[] = [];
  try {
    for (const name of ["redis", "bunker"] as const) {
      console.error(`collections: mixed dataset on ${name}`);
      const server = await startServer(name, undefined, DEBUG_COMMAND);
      loaded.push(server);
      const empty = await settledMemory(server);
      const started = performance.now();
      await loadMixedDataset(server, keyCommands);
      const ingest = (performance.now() - started) / 1000;
      memory[name] = { empty, full: await settledMemory(server), ingest };
    }
    for (let i = 0; i < loaded.length; i++) {
      const server = loaded[i]!;
      const before = debugDigest(server);
      const emptyStart = await emptyStartSeconds(server.name);
      console.error(`collections: SAVE and load on ${server.name}`);
      const { save, load, size, reloaded } = await saveAndReload(server);
      loaded[i] = reloaded;
      saved[server.name] = { save, load, size, keys: Number(cli(reloaded.port, "DBSIZE")), emptyStart };
      digests[server.name] = { before, after: debugDigest(reloaded) };
    }
  } finally {
    for (const server of loaded) await stopServer(server);
  }

  const memoryRow = (name: Name) => {
    const { empty, full, ingest } = memory[name];
    return [name, ingest.toFixed(1), mib(empty.pss), mib(full.pss), mib(full.pss - empty.pss), mib(full.rss), mib(full.usedMemory), full.settleSeconds.toFixed(1)];
  };
  const { redis, bunker } = memory;
  table(`Mixed dataset memory: ${description}`, ["server", "load s (pipelined)", "PSS empty MiB", "PSS MiB", "PSS - empty MiB", "RSS MiB", "used_memory MiB", "settle s"], [
    memoryRow("redis"),
    memoryRow("bunker"),
    [
      "bunker/redis",
      ratio(bunker.ingest, redis.ingest),
      "",
      ratio(bunker.full.pss, redis.full.pss),
      ratio(bunker.full.pss - bunker.empty.pss, redis.full.pss - redis.empty.pss),
      ratio(bunker.full.rss, redis.full.rss),
      ratio(bunker.full.usedMemory, redis.full.usedMemory),
      "",
    ],
  ]);
  const memoryRatio = bunker.full.pss / redis.full.pss;
  console.log(`\ngoal mixed dataset memory <= 1.20x Redis (PSS): ${memoryRatio.toFixed(2)}x: ${memoryRatio <= 1.2 ? "met" : "NOT met"}`);

  const saveRow = (name: Name) => {
    const s = saved[name];
    return [name, String(s.keys), s.save.toFixed(2), (s.size / 1048576).toFixed(1), s.load.toFixed(2), s.emptyStart.toFixed(2), (s.load - s.emptyStart).toFixed(2)];
  };
  const r = saved.redis;
  const b = saved.bunker;
  table(`SAVE and start-up load of the mixed dataset (load: spawn to first PONG, polled every ${READY_POLL_MS} ms)`, ["server", "keys loaded", "SAVE s", "file MiB", "load s", "empty start s", "load - empty start s"], [
    saveRow("redis"),
    saveRow("bunker"),
    ["bunker/redis", "", ratio(b.save, r.save), ratio(b.size, r.size), ratio(b.load, r.load), ratio(b.emptyStart, r.emptyStart), ratio(b.load - b.emptyStart, r.load - r.emptyStart)],
  ]);
  console.log("");
  console.log(`goal SAVE no slower than Redis: ${ratio(b.save, r.save)}x: ${b.save <= r.save ? "met" : "NOT met"}`);
  console.log(`goal start-up load no slower than Redis: ${ratio(b.load, r.load)}x: ${b.load <= r.load ? "met" : "NOT met"}`);
  const same = digests.redis.before === digests.bunker.before;
  const kept = (name: Name) => (digests[name].before === digests[name].after ? "unchanged by SAVE and load" : "CHANGED by SAVE and load");
  console.log(`DEBUG DIGEST: ${same ? "the same on both servers" : `DIFFERENT (redis ${digests.redis.before}, bunker ${digests.bunker.before})`}; redis ${kept("redis")}, bunker ${kept("bunker")}`);
}

/**
 * --mixed-breakdown: each component of the mixed dataset loaded alone on a fresh pair of
 * servers; memory over the empty server's, per component and per element.
 */
async function mixedDatasetBreakdown(): Promise<void> {
  const dataset = mixedDataset(MIXED_KEYS);
  const components = [...new Set(dataset.map((spec) => spec.component))];
  const rows: string[][] = [];
  for (const component of components) {
    const part = dataset.filter((spec) => spec.component === component);
    const keyCommands = part.map(mixedKeyCommands);
    const elements = part.reduce((sum, spec) => sum + spec.elements, 0);
    const grown = {} as Record<"redis" | "bunker", { pss: number; usedMemory: number }>;
    for (const name of ["redis", "bunker"] as const) {
      console.error(`collections: breakdown: ${component} on ${name}`);
      const server = await startServer(name);
      try {
        const empty = await settledMemory(server);
        await loadMixedDataset(server, keyCommands);
        const full = await settledMemory(server);
        grown[name] = { pss: full.pss - empty.pss, usedMemory: full.usedMemory - empty.usedMemory };
      } finally {
        await stopServer(server);
      }
    }
    const { redis, bunker } = grown;
    rows.push([
      component,
      String(part.length),
      String(elements),
      mib(redis.pss),
      mib(bunker.pss),
      ratio(bunker.pss, redis.pss),
      (redis.pss / elements).toFixed(0),
      (bunker.pss / elements).toFixed(0),
      mib(redis.usedMemory),
      mib(bunker.usedMemory),
      ratio(bunker.usedMemory, redis.usedMemory),
    ]);
  }
  table(
    "Mixed dataset by component, each loaded alone on a fresh pair of servers: growth over the empty server (elements: a string counts 1)",
    ["component", "keys", "elements", "redis PSS MiB", "bunker PSS MiB", "PSS ratio", "redis PSS B/element", "bunker PSS B/element", "redis used_memory MiB", "bunker used_memory MiB", "used_memory ratio"],
    rows,
  );
}

/** A redis-benchmark test of the collections section. */
interface CollectionTest {
  /** As redis-benchmark's -t names it. */
  name: string;
  /** A test that touches no collection, there for comparison. */
  control: boolean;
  run(port: number, pipeline: number, requests: number): Promise<number>;
  /** Requests per timed run; the untimed run sends min(this, COLLECTION_WARMUP). */
  requests(pipeline: number): number;
  /** Fills what the run will pop (AlternateOptions.prepare). */
  prepare?(port: number, requests: number): Promise<void>;
}

/**
 * The tests in redis-benchmark's default order, the pushes before the pops. A pop test
 * pops from what the earlier tests pushed, and before each of its runs it gets as many
 * new elements as the run pops (fill commands of 500, outside the timed and CPU window):
 * otherwise SPOP and ZPOPMIN would empty their ~100k-member keys early in their runs
 * and go on timing replies to a missing key, and LPOP and RPOP would leave the LRANGE
 * tests an empty list. ZPOPMIN's fill has negative scores, below redis-benchmark's, so
 * the run pops exactly the fill.
 */
function collectionTests(): CollectionTest[] {
  const pipelined = (pipeline: number) => (pipeline > 1 ? COLLECTION_REQUESTS * PIPELINED_REQUEST_FACTOR : COLLECTION_REQUESTS);
  const defaultTest = (name: string, control = false, prepare?: CollectionTest["prepare"]): CollectionTest => ({
    name,
    control,
    run: async (port, pipeline, requests) => (await redisBenchmark(port, name, pipeline, requests, ["-r", String(COLLECTION_RANGE)])).rps,
    requests: pipelined,
    prepare,
  });
  let filled = 0; // elements filled so far: each fill's members are new names
  const fill = (element: (n: number) => string[], command: string, key: string) => (port: number, requests: number) => {
    const first = filled;
    filled += requests;
    return pipeInBatches(port, requests, ELEMENTS_PER_COMMAND, (start, count) => {
      const parts = [command, key];
      for (let n = first + start; n < first + start + count; n++) parts.push(...element(n));
      return respCommand(parts);
    });
  };
  // redis-benchmark's element: its -d 3 value, "xxx".
  const fillList = fill(() => ["xxx"], "RPUSH", "mylist");
  // LRANGE_n as redis-benchmark sends it, without the LPUSH run -t lrange_n does first:
  // the list is long already. Replies of n elements: fewer requests, not more at -P 16.
  const lrange = (length: number): CollectionTest => ({
    name: `lrange_${length}`,
    control: false,
    run: (port, pipeline, requests) => commandBenchmark(port, pipeline, requests, ["LRANGE", "mylist", "0", String(length - 1)]),
    requests: () => Math.round(COLLECTION_REQUESTS * Math.min(1, 200 / length)),
  });
  return [
    defaultTest("set", true),
    defaultTest("get", true),
    defaultTest("incr", true),
    defaultTest("lpush"),
    defaultTest("rpush"),
    defaultTest("lpop", false, fillList),
    defaultTest("rpop", false, fillList),
    defaultTest("sadd"),
    defaultTest("hset"),
    defaultTest("spop", false, fill((n) => [`pop:${n}`], "SADD", "myset")),
    defaultTest("zadd"),
    defaultTest("zpopmin", false, fill((n) => [String(-1 - n), `pop:${n}`], "ZADD", "myzset")),
    lrange(100),
    lrange(300),
    lrange(500),
    lrange(600),
    defaultTest("mset", true),
  ];
}

/**
 * Fills redis-benchmark's collections with the COLLECTION_RANGE members its -r can name
 * (element:000000000000 ...; hash values and list elements its -d 3 "xxx", sorted-set
 * scores seeded random integers below the range, as its ZADD's), the same on both
 * servers: every test then runs against ~100k elements from its first request. Without
 * it, how large they grow would be up to redis-benchmark's random sequences: it seeds
 * them with time(NULL) ^ getpid(), and runs a second or two and a few pids apart often
 * draw the same one.
 */
async function fillBenchmarkCollections(port: number): Promise<void> {
  const random = seededRandom(MIXED_SEED);
  await pipeInBatches(port, COLLECTION_RANGE, ELEMENTS_PER_COMMAND, (first, count) => {
    const hash = ["HSET", "myhash"];
    const set = ["SADD", "myset"];
    const zset = ["ZADD", "myzset"];
    const list = ["RPUSH", "mylist"];
    for (let n = first; n < first + count; n++) {
      const member = randIntName("element:", n);
      hash.push(member, "xxx");
      set.push(member);
      zset.push(String(Math.floor(random() * COLLECTION_RANGE)), member);
      list.push("xxx");
    }
    return respCommand(hash) + respCommand(set) + respCommand(zset) + respCommand(list);
  });
}

/** The sizes and encodings of redis-benchmark's collections on a server. */
function benchmarkCollections(port: number): string {
  return [
    ["mylist", "LLEN"],
    ["myset", "SCARD"],
    ["myzset", "ZCARD"],
    ["myhash", "HLEN"],
  ]
    .map(([key, length]) => `${key} ${cli(port, length!, key!)} (${cli(port, "OBJECT", "ENCODING", key!)})`)
    .join(", ");
}

/** Part 3 of the collections section: redis-benchmark's collection tests against large collections. */
async function collectionThroughput(): Promise<void> {
  const bunker = await startServer("bunker");
  const redis = await startServer("redis");
  for (const server of [redis, bunker]) await fillBenchmarkCollections(server.port);
  const rows: string[][] = [];
  const sizes: string[] = [];
  const worst: Record<number, { ratio: number; test: string }> = {};
  let worstCpu = { ratio: 0, test: "" };
  try {
    for (const pipeline of [1, 16]) {
      worst[pipeline] = { ratio: Infinity, test: "" };
      for (const test of collectionTests()) {
        console.error(`collections: ${test.name} -P ${pipeline}`);
        const requests = test.requests(pipeline);
        const results = await alternate(redis, bunker, requests, (port, n) => test.run(port, pipeline, n), {
          warmup: Math.min(requests, COLLECTION_WARMUP),
          prepare: test.prepare,
        });
        const label = `${test.name.toUpperCase()}${test.control ? " (control)" : ""}`;
        rows.push([label, String(pipeline), String(requests), ...comparisonCells(results)]);
        const rpsRatio = results.bunker.rps / results.redis.rps;
        const cpuRatio = results.bunker.cpuPerRequest / results.redis.cpuPerRequest;
        if (rpsRatio < worst[pipeline]!.ratio) worst[pipeline] = { ratio: rpsRatio, test: label };
        if (Number.isFinite(cpuRatio) && cpuRatio > worstCpu.ratio) worstCpu = { ratio: cpuRatio, test: `${label} -P ${pipeline}` };
      }
      for (const server of [redis, bunker]) sizes.push(`after the -P ${pipeline} tests, ${server.name}: ${benchmarkCollections(server.port)}`);
    }
  } finally {
    await stopServer(bunker);
    await stopServer(redis);
  }
  table(
    `Collection tests against large collections (redis-benchmark -c 50 -r ${COLLECTION_RANGE}, one key per test, each filled with the ${COLLECTION_RANGE} members -r names first, no FLUSHALL between tests; ${ROUNDS} alternating runs of the requests shown, after one untimed run of min(requests, ${COLLECTION_WARMUP}))`,
    ["test", "-P", "requests", "redis rps", "bunker rps", "bunker/redis", "redis CPU µs/req", "bunker CPU µs/req", "CPU ratio"],
    rows,
  );
  console.log("");
  for (const line of sizes) console.log(line);
  console.log("");
  const goal = (label: string, measured: { ratio: number; test: string }, met: boolean) =>
    console.log(`goal ${label}: lowest ${measured.ratio.toFixed(2)} (${measured.test}): ${met ? "met" : "NOT met"}`);
  goal("-P 1 bunker/redis >= 1.00 on every test", worst[1]!, worst[1]!.ratio >= 1.0);
  goal("-P 16 bunker/redis >= 0.90 on every test", worst[16]!, worst[16]!.ratio >= 0.9);
  console.log(`goal CPU per request <= 1.20x Redis on every test: highest ${worstCpu.ratio.toFixed(2)} (${worstCpu.test}): ${worstCpu.ratio <= 1.2 ? "met" : "NOT met"}`);
}

async function collections(): Promise<void> {
  const started = performance.now();
  await mixedDatasetMemoryAndPersistence();
  const breakdownStarted = performance.now();
  if (MIXED_BREAKDOWN) await mixedDatasetBreakdown();
  const breakdownSeconds = (performance.now() - breakdownStarted) / 1000;
  await collectionThroughput();
  const seconds = (performance.now() - started) / 1000;
  console.error(`collections: ${seconds.toFixed(0)} s${MIXED_BREAKDOWN ? `, the breakdown ${breakdownSeconds.toFixed(0)} s of them` : ""}`);
}

/** The phases of a background job under load, in milliseconds. */
const JOB_LOAD_WARMUP_MS = 1000; // load sent before the "before" window: Bunker's JIT compiles SET's path
const JOB_BEFORE_MS = 2000; // the "before" window, ending at the command
const JOB_AFTER_MS = 2000; // the load goes on this long after the job ended
const JOB_MEMORY_SAMPLE_MS = 50;
const JOB_POLL_MS = 20;
/** The chart's latency windows. */
const JOB_WINDOW_MS = 100;
/** Connections of the load, as in the issue's redis-benchmark -c 20. */
const JOB_LOAD_CONNECTIONS = 20;

/** A SET of 32-byte values on random keys among `keys` (redis-benchmark -t set -r keys -d 32). */
function setLoad(keys: number): WriteLoad {
  return { command: ["SET", "key:__rand_int__", VALUE_32], range: keys };
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A command on the control connection; an error reply throws. */
async function controlCall(control: RawClient, ...command: string[]): Promise<string> {
  const reply = await control.call(...command);
  if (reply instanceof ReplyError) throw new Error(`${command.join(" ")}: ${reply.message}`);
  return String(reply);
}

interface MemorySample {
  /** Epoch ms. */
  at: number;
  /** PSS of the server and its children. */
  bytes: number;
}

interface BackgroundJobRun {
  timeline: LatencyTimeline;
  memory: MemorySample[];
  /** Epoch ms: the command's write, and the INFO reply that first read the job as done. */
  commandAt: number;
  doneAt: number;
  /** Epoch ms: the load's stop (the last requests complete a moment later). */
  endAt: number;
  before: LatencySummary;
  during: LatencySummary;
  memBefore: number;
  peak: number;
  seconds: number;
}

/**
 * A background job (BGSAVE, BGREWRITEAOF) on a loaded server, under a write load of
 * 20 unpipelined connections (latency-timeline.ts): the load runs JOB_LOAD_WARMUP_MS,
 * then JOB_BEFORE_MS (the "before" window), then the command is sent on a connection
 * of its own and INFO persistence polled every 20 ms until `inProgress` reads 0 (the
 * "during" window: exactly from the command to that reply), then JOB_AFTER_MS more.
 * PSS of the server and its children is sampled every 50 ms throughout: memory before
 * is the mean of the samples in the before window, the peak the largest from the
 * command to 100 ms after the job's end.
 */
async function backgroundJobUnderLoad(server: Server, command: string, inProgress: string, writeLoad: WriteLoad): Promise<BackgroundJobRun> {
  const control = await RawClient.connect(server.port);
  const memory: MemorySample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = epochNow();
      memory.push({ at, bytes: treePss(server.proc.pid) });
      await Bun.sleep(JOB_MEMORY_SAMPLE_MS);
    }
  })();
  const load = await RunningWriteLoad.start(server.port, writeLoad, JOB_LOAD_CONNECTIONS);
  await Bun.sleep(JOB_LOAD_WARMUP_MS + JOB_BEFORE_MS);
  const commandAt = epochNow();
  await controlCall(control, command);
  let doneAt: number;
  for (;;) {
    const text = await controlCall(control, "INFO", "persistence");
    if (infoField(text, inProgress) === "0") {
      doneAt = epochNow();
      break;
    }
    await Bun.sleep(JOB_POLL_MS);
  }
  await Bun.sleep(JOB_AFTER_MS);
  const endAt = epochNow();
  const timeline = await load.stop();
  sampling = false;
  await sampler;
  control.close();
  if (timeline.errors > 0) throw new Error(`${server.name}: ${timeline.errors} error replies to the load during ${command}`);

  const inBefore = memory.filter((sample) => sample.at >= commandAt - JOB_BEFORE_MS && sample.at < commandAt);
  const memBefore = inBefore.reduce((sum, sample) => sum + sample.bytes, 0) / Math.max(1, inBefore.length);
  const peak = memory.filter((sample) => sample.at >= commandAt && sample.at <= doneAt + 100).reduce((max, sample) => Math.max(max, sample.bytes), memBefore);
  return {
    timeline,
    memory,
    commandAt,
    doneAt,
    endAt,
    before: timeline.summary(commandAt - JOB_BEFORE_MS, commandAt),
    during: timeline.summary(commandAt, doneAt),
    memBefore,
    peak,
    seconds: (doneAt - commandAt) / 1000,
  };
}

/** The columns bgsave and the AOF rewrite share (backgroundJobCells). */
const BACKGROUND_JOB_HEADER = ["p99 before ms", "p99 during ms", "p99 ratio", "p50 before ms", "p50 during ms", "max during ms", "PSS before MiB", "peak PSS MiB", "memory ratio"];

function backgroundJobCells(run: BackgroundJobRun): string[] {
  return [
    run.before.p99.toFixed(3),
    run.during.p99.toFixed(3),
    ratio(run.during.p99, run.before.p99),
    run.before.p50.toFixed(3),
    run.during.p50.toFixed(3),
    run.during.max.toFixed(1),
    (run.memBefore / 1048576).toFixed(0),
    (run.peak / 1048576).toFixed(0),
    ratio(run.peak, run.memBefore),
  ];
}

/** What a run shows on the chart: 100 ms latency windows and memory, seconds from the command. */
function chartSeries(name: "redis" | "bunker", run: BackgroundJobRun, forkUsec: number): ChartSeries {
  const from = run.commandAt - JOB_BEFORE_MS;
  return {
    server: name,
    windows: run.timeline.windows(from, run.endAt, JOB_WINDOW_MS).map((w) => ({ ...w, start: (w.start - run.commandAt) / 1000 })),
    memory: run.memory.filter((sample) => sample.at >= from).map((sample) => ({ at: (sample.at - run.commandAt) / 1000, mib: sample.bytes / 1048576 })),
    saveSeconds: run.seconds,
    forkMs: forkUsec / 1000,
    p99Before: run.before.p99,
    p99During: run.during.p99,
  };
}

/** A dataset of the bgsave section: how to fill a server, and the load that writes to it. */
interface BgsaveDataset {
  label: string;
  fill(port: number): Promise<void>;
  load: WriteLoad;
}

function countLabel(n: number): string {
  return n % 1000000 === 0 ? `${n / 1000000}M` : n % 1000 === 0 ? `${n / 1000}K` : String(n);
}

function bgsaveDatasets(): BgsaveDataset[] {
  const datasets: BgsaveDataset[] = BGSAVE_KEY_COUNTS.map((keys) => ({
    label: `${countLabel(keys)} keys, SET`,
    fill: (port) => loadStrings(port, keys),
    load: setLoad(keys),
  }));
  if (HASH_FIELDS > 0) {
    datasets.push({
      label: `1 hash of ${countLabel(HASH_FIELDS)} fields, HSET`,
      fill: (port) => loadHash(port, "bighash", HASH_FIELDS),
      load: { command: ["HSET", "bighash", "field:__rand_int__", VALUE_32], range: HASH_FIELDS },
    });
  }
  return datasets;
}

async function bgsave(): Promise<void> {
  const rows: string[][] = [];
  const chart: ChartDataset[] = [];
  for (const dataset of bgsaveDatasets()) {
    const series: ChartSeries[] = [];
    for (const name of ["redis", "bunker"] as const) {
      console.error(`bgsave: ${dataset.label}: ${name}`);
      const server = await startServer(name);
      await dataset.fill(server.port);
      await Bun.sleep(1000); // let the load's garbage be collected before "before"
      const run = await backgroundJobUnderLoad(server, "BGSAVE", "rdb_bgsave_in_progress", dataset.load);
      const forkUsec = info(server.port, "latest_fork_usec");
      rows.push([dataset.label, name, ...backgroundJobCells(run), forkUsec, run.seconds.toFixed(2), info(server.port, "rdb_last_bgsave_status")]);
      series.push(chartSeries(name, run, Number(forkUsec)));
      await stopServer(server);
    }
    chart.push({ label: dataset.label, series });
  }
  table(
    `BGSAVE under a write load (${JOB_LOAD_CONNECTIONS} connections, -P 1, 32-byte values at random keys or fields): before = ${JOB_BEFORE_MS / 1000} s before BGSAVE, during = BGSAVE to rdb_bgsave_in_progress:0`,
    ["dataset", "server", ...BACKGROUND_JOB_HEADER, "latest_fork_usec", "save s", "status"],
    rows,
  );
  mkdirSync(dirname(SVG_PATH), { recursive: true });
  writeFileSync(
    SVG_PATH,
    renderBgsaveChart(chart, {
      title: `BGSAVE under a write load: Redis ${redisVersion()} vs Bunker`,
      subtitle: `${JOB_LOAD_CONNECTIONS} connections writing 32-byte values at random keys (or fields of the one hash), unpipelined; latency per ${JOB_WINDOW_MS} ms window; PSS of the server and its children every ${JOB_MEMORY_SAMPLE_MS} ms`,
    }),
  );
  console.log(`\nChart: ${SVG_PATH}`);
}

/** What the issue asks of Bunker's AOF throughput, per appendfsync policy (bunker/redis, every test). */
const AOF_GOALS: Record<string, number> = { always: 1.0, everysec: 0.9, no: 0.9 };

/**
 * LPUSH and HSET at once: two redis-benchmark processes of 25 clients each, their
 * requests over the wall time of both.
 */
async function mixedLpushHset(port: number, pipeline: number, requests: number): Promise<number> {
  const half = Math.floor(requests / 2);
  const started = performance.now();
  await Promise.all(["lpush", "hset"].map((test) => redisBenchmark(port, test, pipeline, half, [], 25)));
  return (2 * half) / ((performance.now() - started) / 1000);
}

async function aof(): Promise<void> {
  // No automatic rewrite while the write path is measured: the runs write hundreds of
  // MiB, and a rewrite (of a list of millions of LPUSHed elements) would land in some
  // runs of one server and not the other's. The rewrite is measured on its own below.
  const common = { appendonly: "yes", "auto-aof-rewrite-percentage": "0" };
  const rows: string[][] = [];
  const goals: string[] = [];
  for (const policy of ["always", "everysec", "no"]) {
    const config = { ...common, appendfsync: policy };
    const bunker = await startServer("bunker", undefined, config);
    const redis = await startServer("redis", undefined, config);
    let worst = { ratio: Infinity, test: "" };
    for (const pipeline of [1, 16]) {
      const requests = pipeline > 1 ? REQUESTS * PIPELINED_REQUEST_FACTOR : REQUESTS;
      const tests: Array<[string, (port: number, n: number) => Promise<number>]> = [
        ["SET", async (port, n) => (await redisBenchmark(port, "set", pipeline, n)).rps],
        ["INCR", async (port, n) => (await redisBenchmark(port, "incr", pipeline, n)).rps],
        ["LPUSH+HSET", (port, n) => mixedLpushHset(port, pipeline, n)],
      ];
      for (const [test, run] of tests) {
        const results = await alternate(redis, bunker, requests, run);
        const measured = results.bunker.rps / results.redis.rps;
        if (measured < worst.ratio) worst = { ratio: measured, test: `${test} -P ${pipeline}` };
        rows.push([policy, test, String(pipeline), ...comparisonCells(results)]);
      }
    }
    for (const server of [bunker, redis]) {
      const status = info(server.port, "aof_last_write_status");
      if (status !== "ok") throw new Error(`${server.name}: aof_last_write_status ${status} with appendfsync ${policy}`);
    }
    const goal = AOF_GOALS[policy]!;
    goals.push(`goal appendfsync ${policy}: bunker/redis >= ${goal.toFixed(2)} on every test; lowest ${worst.ratio.toFixed(2)} (${worst.test}): ${worst.ratio >= goal ? "met" : "NOT met"}`);
    await stopServer(bunker);
    await stopServer(redis);
  }
  table(
    `AOF throughput (appendonly yes, redis-benchmark, 50 clients, ${ROUNDS} alternating runs of ${REQUESTS} requests at -P 1 and ${REQUESTS * PIPELINED_REQUEST_FACTOR} at -P 16, after ${WARMUP_REQUESTS} untimed)`,
    ["appendfsync", "test", "-P", "redis rps", "bunker rps", "bunker/redis", "redis CPU µs/req", "bunker CPU µs/req", "CPU ratio"],
    rows,
  );
  console.log("");
  for (const line of goals) console.log(line);

  const rewriteRows: string[][] = [];
  for (const name of ["redis", "bunker"] as const) {
    const server = await startServer(name, undefined, common);
    await loadStrings(server.port, KEYS);
    await Bun.sleep(1000);
    const run = await backgroundJobUnderLoad(server, "BGREWRITEAOF", "aof_rewrite_in_progress", setLoad(KEYS));
    rewriteRows.push([name, ...backgroundJobCells(run), info(server.port, "latest_fork_usec"), run.seconds.toFixed(2), info(server.port, "aof_last_bgrewrite_status")]);
    await stopServer(server);
  }
  table(
    `BGREWRITEAOF of ${KEYS} keys (appendfsync everysec, RDB preamble) under a SET load on random keys (${JOB_LOAD_CONNECTIONS} connections, -P 1): before = ${JOB_BEFORE_MS / 1000} s before the command, during = to aof_rewrite_in_progress:0`,
    ["server", ...BACKGROUND_JOB_HEADER, "latest_fork_usec", "rewrite s", "status"],
    rewriteRows,
  );
}

/** The script the scripting section runs: one INCR, as redis-benchmark's INCR test does. */
const INCR_SCRIPT = "return redis.call('incr', KEYS[1])";

/** redis-benchmark running one command of our own instead of its -t tests. */
async function commandBenchmark(port: number, pipeline: number, requests: number, command: string[]): Promise<number> {
  return (await redisBenchmark(port, "", pipeline, requests, command)).rps;
}

interface JobsRound {
  addedPerSecond: number;
  processedPerSecond: number;
  cpuPerJobAdd: number;
  cpuPerJobProcess: number;
}

/**
 * One BullMQ round on a flushed server: `jobs` jobs added with Queue.addBulk (batches
 * of 500), then one Worker of concurrency 50 started, timed to its last "completed"
 * event. Server CPU is read around each phase.
 */
async function bullmqRound(server: Server, jobs: number): Promise<JobsRound> {
  const { Queue, Worker } = await import("bullmq");
  cli(server.port, "FLUSHALL");
  const connection = { host: "127.0.0.1", port: server.port, maxRetriesPerRequest: null };
  const queue = new Queue("bench", { connection });
  await queue.waitUntilReady();
  const batch = 500;
  let cpu = cpuSeconds(server.proc.pid);
  let started = performance.now();
  for (let i = 0; i < jobs; i += batch) {
    const count = Math.min(batch, jobs - i);
    await queue.addBulk(Array.from({ length: count }, (_, j) => ({ name: "job", data: { n: i + j } })));
  }
  const addSeconds = (performance.now() - started) / 1000;
  const addCpu = cpuSeconds(server.proc.pid) - cpu;

  let completed = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker("bench", async (job) => job.data.n, { connection, concurrency: 50, autorun: false });
  worker.on("completed", () => {
    if (++completed === jobs) allDone();
  });
  await worker.waitUntilReady();
  cpu = cpuSeconds(server.proc.pid);
  started = performance.now();
  void worker.run();
  await done;
  const processSeconds = (performance.now() - started) / 1000;
  const processCpu = cpuSeconds(server.proc.pid) - cpu;
  const counts = await queue.getJobCounts("completed");
  if (counts.completed !== jobs) throw new Error(`${server.name}: ${counts.completed} of ${jobs} BullMQ jobs completed`);
  await worker.close();
  await queue.close();
  return {
    addedPerSecond: jobs / addSeconds,
    processedPerSecond: jobs / processSeconds,
    cpuPerJobAdd: (addCpu / jobs) * 1e6,
    cpuPerJobProcess: (processCpu / jobs) * 1e6,
  };
}

async function scripting(): Promise<void> {
  const bunker = await startServer("bunker");
  const redis = await startServer("redis");
  const sha = cli(redis.port, "SCRIPT", "LOAD", INCR_SCRIPT);
  if (cli(bunker.port, "SCRIPT", "LOAD", INCR_SCRIPT) !== sha) throw new Error("the servers disagree on the script's SHA1");
  const rows: string[][] = [];
  for (const [name, command] of [
    ["EVALSHA", ["EVALSHA", sha, "1", "counter:__rand_int__"]],
    ["EVAL", ["EVAL", INCR_SCRIPT, "1", "counter:__rand_int__"]],
  ] as const) {
    for (const pipeline of [1, 16]) {
      const requests = pipeline > 1 ? REQUESTS * PIPELINED_REQUEST_FACTOR : REQUESTS;
      const results = await alternate(redis, bunker, requests, (port, n) => commandBenchmark(port, pipeline, n, [...command]));
      rows.push([name, String(pipeline), ...comparisonCells(results)]);
    }
  }
  table(
    `Scripting (redis-benchmark, 50 clients, ${ROUNDS} alternating runs of ${REQUESTS} requests at -P 1 and ${REQUESTS * PIPELINED_REQUEST_FACTOR} at -P 16, after ${WARMUP_REQUESTS} untimed; script: ${INCR_SCRIPT})`,
    ["test", "-P", "redis rps", "bunker rps", "bunker/redis", "redis CPU µs/req", "bunker CPU µs/req", "CPU ratio"],
    rows,
  );

  for (const server of [redis, bunker]) await bullmqRound(server, Math.max(100, Math.floor(JOBS / 5)));
  const totals: Record<"redis" | "bunker", JobsRound> = {
    redis: { addedPerSecond: 0, processedPerSecond: 0, cpuPerJobAdd: 0, cpuPerJobProcess: 0 },
    bunker: { addedPerSecond: 0, processedPerSecond: 0, cpuPerJobAdd: 0, cpuPerJobProcess: 0 },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of [redis, bunker]) {
      const result = await bullmqRound(server, JOBS);
      for (const field of Object.keys(result) as Array<keyof JobsRound>) totals[server.name][field] += result[field] / ROUNDS;
    }
  }
  const jobRows = [
    ["added/s (addBulk)", totals.redis.addedPerSecond, totals.bunker.addedPerSecond, totals.redis.cpuPerJobAdd, totals.bunker.cpuPerJobAdd],
    ["processed/s (Worker, concurrency 50)", totals.redis.processedPerSecond, totals.bunker.processedPerSecond, totals.redis.cpuPerJobProcess, totals.bunker.cpuPerJobProcess],
  ].map(([label, redisRate, bunkerRate, redisCpu, bunkerCpu]) => [
    String(label),
    (redisRate as number).toFixed(0),
    (bunkerRate as number).toFixed(0),
    ratio(bunkerRate as number, redisRate as number),
    (redisCpu as number).toFixed(1),
    (bunkerCpu as number).toFixed(1),
    ratio(bunkerCpu as number, redisCpu as number),
  ]);
  table(
    `BullMQ (${JOBS} jobs per round, ${ROUNDS} alternating rounds after one of ${Math.max(100, Math.floor(JOBS / 5))} untimed)`,
    ["jobs", "redis jobs/s", "bunker jobs/s", "bunker/redis", "redis CPU µs/job", "bunker CPU µs/job", "CPU ratio"],
    jobRows,
  );
  await stopServer(bunker);
  await stopServer(redis);
}

/** The probe key of the replication section's lag measure, and how often it is written. */
const LAG_PROBE_KEY = "bench:lag:probe";
const LAG_PROBE_INTERVAL_MS = 5;

interface ReplicationRun {
  fullSyncDisk: number;
  fullSyncDiskless: number;
  lag: LatencySummaryMs;
  loadRps: number;
}

interface LatencySummaryMs {
  p50: number;
  p99: number;
  max: number;
}

function summarize(samples: number[]): LatencySummaryMs {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

async function replicationInfo(client: RawClient): Promise<Record<string, string>> {
  const text = String(await client.call("INFO", "replication"));
  return Object.fromEntries(text.split("\r\n").filter((line) => line.includes(":")).map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
}

/** REPLICAOF from a fresh, empty redis-server replica: seconds until its link is up and its offset is the master's. */
async function timeFullSync(master: Server): Promise<{ seconds: number; replica: Server }> {
  const replica = await startServer("redis");
  const masterClient = await RawClient.connect(master.port);
  const replicaClient = await RawClient.connect(replica.port);
  const started = performance.now();
  await replicaClient.call("REPLICAOF", "127.0.0.1", String(master.port));
  for (;;) {
    const state = await replicationInfo(replicaClient);
    if (state.master_link_status === "up" && state.slave_repl_offset === (await replicationInfo(masterClient)).master_repl_offset) break;
    if (performance.now() - started > 600_000) throw new Error(`${master.name}: the full sync did not end`);
    await Bun.sleep(10);
  }
  const seconds = (performance.now() - started) / 1000;
  masterClient.close();
  replicaClient.close();
  return { seconds, replica };
}

/** Replication lag under a SET load: how long a write to the master takes to show on the replica. */
async function lagUnderLoad(master: Server, replica: Server): Promise<{ lag: LatencySummaryMs; loadRps: number }> {
  const load = redisBenchmark(master.port, "set", 16, REQUESTS * PIPELINED_REQUEST_FACTOR, ["-r", String(KEYS), "-d", "32"]);
  let loadDone = false;
  void load.then(() => (loadDone = true));
  const masterClient = await RawClient.connect(master.port);
  const replicaClient = await RawClient.connect(replica.port);
  const samples: number[] = [];
  for (let probe = 0; !loadDone; probe++) {
    const value = String(probe);
    await masterClient.call("SET", LAG_PROBE_KEY, value);
    const written = performance.now();
    while ((await replicaClient.call("GET", LAG_PROBE_KEY)) !== value) {
      if (performance.now() - written > 60_000) throw new Error(`${master.name}: the replica lags more than a minute`);
    }
    samples.push(performance.now() - written);
    await Bun.sleep(LAG_PROBE_INTERVAL_MS);
  }
  masterClient.close();
  replicaClient.close();
  return { lag: summarize(samples), loadRps: (await load).rps };
}

async function replicationRun(name: "redis" | "bunker"): Promise<ReplicationRun> {
  const times: Record<string, number> = {};
  let lag: LatencySummaryMs = { p50: 0, p99: 0, max: 0 };
  let loadRps = 0;
  for (const mode of ["no", "yes"]) {
    const master = await startServer(name, undefined, { "repl-diskless-sync": mode, "repl-diskless-sync-delay": "0" });
    await loadStrings(master.port, KEYS);
    const { seconds, replica } = await timeFullSync(master);
    times[mode] = seconds;
    if (mode === "yes") ({ lag, loadRps } = await lagUnderLoad(master, replica));
    await stopServer(replica);
    await stopServer(master);
  }
  return { fullSyncDisk: times.no!, fullSyncDiskless: times.yes!, lag, loadRps };
}

async function replication(): Promise<void> {
  const runs = { redis: await replicationRun("redis"), bunker: await replicationRun("bunker") };
  const row = (label: string, pick: (run: ReplicationRun) => number, digits: number) => [
    label,
    pick(runs.redis).toFixed(digits),
    pick(runs.bunker).toFixed(digits),
    ratio(pick(runs.bunker), pick(runs.redis)),
  ];
  table(
    `Replication, master Bunker vs master Redis, replica redis-server (${KEYS} keys of 32 bytes; lag while redis-benchmark SET -c 50 -P 16 runs ${REQUESTS * PIPELINED_REQUEST_FACTOR} requests)`,
    ["measure", "redis master", "bunker master", "bunker/redis"],
    [
      row("full sync, disk (s)", (run) => run.fullSyncDisk, 2),
      row("full sync, diskless (s)", (run) => run.fullSyncDiskless, 2),
      row("lag p50 (ms)", (run) => run.lag.p50, 2),
      row("lag p99 (ms)", (run) => run.lag.p99, 2),
      row("lag max (ms)", (run) => run.lag.max, 2),
      row("SET rps with a replica", (run) => run.loadRps, 0),
    ],
  );
  const worst = Math.max(
    runs.bunker.fullSyncDisk / runs.redis.fullSyncDisk,
    runs.bunker.fullSyncDiskless / runs.redis.fullSyncDiskless,
    runs.bunker.lag.p99 / runs.redis.lag.p99,
  );
  console.log(`\nGoal (issue #18): full-sync time and replication lag within 1.2x Redis's; worst ratio ${worst.toFixed(2)} (${worst <= 1.2 ? "met" : "not met"})`);
}

function redisVersion(): string {
  return /v=(\S+)/.exec(Bun.spawnSync(["redis-server", "--version"]).stdout.toString())?.[1] ?? "?";
}

console.log(`# Bunker vs Redis (${Bun.spawnSync(["redis-server", "--version"]).stdout.toString().trim()})`);
if (ONLY === "all" || ONLY === "throughput") await throughput();
if (ONLY === "all" || ONLY === "memory") await memory();
if (ONLY === "all" || ONLY === "persistence") await persistence();
if (ONLY === "all" || ONLY === "collections") await collections();
if (ONLY === "all" || ONLY === "bgsave") await bgsave();
if (ONLY === "all" || ONLY === "aof") await aof();
if (ONLY === "all" || ONLY === "scripting") await scripting();
if (ONLY === "all" || ONLY === "eviction") await eviction();
if (ONLY === "all" || ONLY === "replication") await replication();
