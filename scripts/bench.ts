#!/usr/bin/env bun
// Side-by-side benchmark of Bunker and the real redis-server, in one run, reported as
// ratios (the machine's cores are shared with the benchmark client: absolute numbers
// do not compare across runs, ratios within a run do).
//
//   bun scripts/bench.ts [--keys N[,N...]] [--requests N] [--warmup N] [--rounds N] [--jobs N]
//                        [--hash-fields N] [--svg PATH]
//                        [--only throughput|memory|persistence|bgsave|aof|scripting]
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
//                  bunker/redis against the goal (>= 1.0 for always, where
//                  group commit decides, >= 0.9 for everysec and no).
//                - BGREWRITEAOF of --keys keys under the bgsave section's SET load and
//                  phases, with its columns: latency before/during, PSS before and peak
//                  (server + children), latest_fork_usec, rewrite time (to
//                  aof_rewrite_in_progress:0), aof_last_bgrewrite_status. Redis forks;
//                  Bunker streams its snapshot to a spawned writer.
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

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { RawClient, ReplyError } from "../test/helpers/server.ts";
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
}

let nextPort = 31000 + Math.floor(Math.random() * 1000);

async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const probe = Bun.spawnSync(["redis-cli", "-p", String(port), "PING"]);
    if (probe.stdout.toString().trim() === "PONG") return;
    await Bun.sleep(100);
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
  await waitReady(port);
  return { name, port, dir: workDir, proc };
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
  const resp = (...parts: string[]) => `*${parts.length}\r\n` + parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join("");
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

/**
 * One test on both servers: once untimed on each (--warmup requests), then ROUNDS timed
 * runs alternating, Redis first then Bunker, so drift in machine load affects both.
 * requests/s is the mean of the rounds, CPU per request all CPU over all requests.
 * `run` sends `requests` requests to a port and returns the requests/s it measured.
 */
async function alternate(redis: Server, bunker: Server, requests: number, run: (port: number, requests: number) => Promise<number>): Promise<Record<"redis" | "bunker", Measured>> {
  if (WARMUP_REQUESTS > 0) for (const server of [redis, bunker]) await run(server.port, WARMUP_REQUESTS);
  const totals = { redis: { rps: 0, cpu: 0 }, bunker: { rps: 0, cpu: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of [redis, bunker]) {
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

async function persistence(): Promise<void> {
  const rows: string[][] = [];
  const results: Record<string, { save: number; load: number; size: number }> = {};
  for (const name of ["redis", "bunker"] as const) {
    const server = await startServer(name);
    await loadMixed(server.port, KEYS);
    const started = performance.now();
    cli(server.port, "SAVE");
    const save = (performance.now() - started) / 1000;
    const size = statSync(join(server.dir, "dump.rdb")).size;
    await stopServer(server, false);
    const loadStart = performance.now();
    const again = await startServer(name, server.dir);
    const load = (performance.now() - loadStart) / 1000;
    const keys = Number(cli(again.port, "DBSIZE"));
    results[name] = { save, load, size };
    rows.push([name, String(keys), save.toFixed(2), load.toFixed(2), (size / 1048576).toFixed(1)]);
    await stopServer(again);
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

/** The phases of a background job under load, in milliseconds. */
const JOB_LOAD_WARMUP_MS = 1000; // load sent before the "before" window: Bunker's JIT compiles SET's path
const JOB_BEFORE_MS = 2000; // the "before" window, ending at the command
const JOB_AFTER_MS = 2000; // the load goes on this long after the job ended
const JOB_MEMORY_SAMPLE_MS = 50;
const JOB_POLL_MS = 20;
/** The chart's latency windows. */
const JOB_WINDOW_MS = 100;
/** Connections of the load, as in the redis-benchmark -c 20. */
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

function redisVersion(): string {
  return /v=(\S+)/.exec(Bun.spawnSync(["redis-server", "--version"]).stdout.toString())?.[1] ?? "?";
}

console.log(`# Bunker vs Redis (${Bun.spawnSync(["redis-server", "--version"]).stdout.toString().trim()})`);
if (ONLY === "all" || ONLY === "throughput") await throughput();
if (ONLY === "all" || ONLY === "memory") await memory();
if (ONLY === "all" || ONLY === "persistence") await persistence();
if (ONLY === "all" || ONLY === "bgsave") await bgsave();
if (ONLY === "all" || ONLY === "aof") await aof();
if (ONLY === "all" || ONLY === "scripting") await scripting();
