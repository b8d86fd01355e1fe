#!/usr/bin/env bun
// In-process micro-benchmark of the request hot path: parser -> processCommand ->
// call -> handler -> reply writer -> flush, without sockets or a second process, so a
// single change can be compared before/after with little noise (the machine is shared).
//
//   bun scripts/hotpath-bench.ts [--pipeline 16] [--requests 2000000] [--only set,get]
//                                [--clients 1] [--aof always|everysec|no] [--range 100000]
//                                [--maxmemory <bytes> [--policy allkeys-lru]]
//
// Each "read" is one chunk of `pipeline` requests, as redis-benchmark -P sends them.
// `__rand_int__` in a request becomes a number below --range, 12 digits zero-padded,
// as redis-benchmark -r writes it (so `hset` grows one hash to ~100k fields, as the
// -r 100000 runs in bench.ts do). The digits are written over the placeholder in each
// read's copy of the chunk, as redis-benchmark rewrites its buffer: a few ns per
// request, the same before and after a change. --range 0 keeps the literal `__rand_int__`
// (one key, redis-benchmark without -r). Tests that pop or read a collection (lpop,
// spop, zpopmin, lrange_100...) run against what the earlier tests of the same run
// pushed: put them after the pushes in --only, as redis-benchmark orders them.
// The socket is a stub whose write() takes everything.
//
// --aof runs with appendonly yes and that appendfsync policy, the AOF in a temp dir
// (real write(2)s and fsyncs: with always, the disk's fdatasync dominates). An event-loop
// turn is then one read from each of --clients clients followed by the before-reply
// stage (Server.beforeSleep: the AOF's write, fsync by policy, the replies), which the
// bench lets run as an immediate, as Bun's loop runs it once per poll; without --aof
// replies go out per read as usual.

import { createHash } from "node:crypto";
import { Server } from "../src/server.ts";
import { Client, type ClientSocket } from "../src/net/client.ts";
import { Config } from "../src/config.ts";
import { CommandTable } from "../src/commands/table.ts";
import { registerAllCommands } from "../src/commands/index.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const PIPELINE = Number(option("pipeline", "16"));
const REQUESTS = Number(option("requests", "2000000"));
const ONLY = option("only", "ping,set,get,incr,mset");
const ROUNDS = Number(option("rounds", "3"));
const CLIENTS = Math.max(1, Number(option("clients", "1")));
const AOF = option("aof", "");
const RANGE = Number(option("range", "100000"));
const MAXMEMORY = option("maxmemory", "");
const POLICY = option("policy", "allkeys-lru");
const RAND_PLACEHOLDER = "__rand_int__";
/**
 * A member of a small collection: one of 10 canonical integers (1000000000..1000000009),
 * so a key gets a 10-field listpack hash or a 10-member intset.
 */
const SMALL_PLACEHOLDER = "__rand10__";

/** Writes one of the 10 small-collection members over each SMALL_PLACEHOLDER. */
function randomizeSmall(chunk: Uint8Array, positions: readonly number[]): void {
  for (const at of positions) {
    chunk[at] = 49;
    for (let i = 1; i < SMALL_PLACEHOLDER.length - 1; i++) chunk[at + i] = 48;
    chunk[at + SMALL_PLACEHOLDER.length - 1] = 48 + Math.floor(Math.random() * 10);
  }
}

/** Writes a fresh 12-digit number below RANGE over each placeholder, as redis-benchmark's randomizeClientKey. */
function randomizeKeys(chunk: Uint8Array, positions: readonly number[]): void {
  for (const at of positions) {
    let n = Math.floor(Math.random() * RANGE);
    for (let i = at + RAND_PLACEHOLDER.length - 1; i >= at; i--) {
      chunk[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
  }
}

function resp(...parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${p.length}\r\n${p}\r\n`;
  return out;
}

const VALUE = "x".repeat(3); // redis-benchmark's default -d 3
const EVALSHA_SCRIPT = "return redis.call('incr', KEYS[1])";
const HMGET_SCRIPT = "for i = 1, 100 do redis.call('hmget', KEYS[1], 'name', 'data', 'opts', 'timestamp', 'delay') end return 1";
const EVALSHA_SCRIPT_SHA = createHash("sha1").update(EVALSHA_SCRIPT).digest("hex");
const requests: Record<string, () => string> = {
  ping: () => "*1\r\n$4\r\nPING\r\n",
  set: () => resp("SET", "key:__rand_int__", VALUE),
  // A cache's SET, with a time to live (replacing the key's TTL).
  set_px: () => resp("SET", "key:__rand_int__", VALUE, "PX", "30000"),
  // A lock taken (redlock's SET key token NX PX ttl): new keys while --range is large.
  set_nx_px: () => resp("SET", "lock:__rand_int__", VALUE, "NX", "PX", "30000"),
  get: () => resp("GET", "key:__rand_int__"),
  mget_3: () => resp("MGET", "key:__rand_int__", "key:__rand_int__", "key:__rand_int__"),
  // The eviction benchmark's SET (redis-benchmark -d 1024): run with --maxmemory and a large --range.
  set_1k: () => resp("SET", "key:__rand_int__", "x".repeat(1024)),
  incr: () => resp("INCR", "counter:__rand_int__"),
  incrby: () => resp("INCRBY", "counter:__rand_int__", "5"),
  incrbyfloat: () => resp("INCRBYFLOAT", "float:__rand_int__", "1.5"),
  hincrbyfloat: () => resp("HINCRBYFLOAT", "hfloat:__rand_int__", "f", "1.5"),
  append: () => resp("APPEND", "key:__rand_int__", "x"),
  strlen: () => resp("STRLEN", "key:__rand_int__"),
  mset: () => {
    const parts = ["MSET"];
    for (let i = 0; i < 10; i++) parts.push("key:__rand_int__", VALUE);
    return resp(...parts);
  },
  // redis-benchmark's collection tests, with its keys and arguments.
  lpush: () => resp("LPUSH", "mylist", VALUE),
  rpush: () => resp("RPUSH", "mylist", VALUE),
  lpop: () => resp("LPOP", "mylist"),
  rpop: () => resp("RPOP", "mylist"),
  sadd: () => resp("SADD", "myset", "element:__rand_int__"),
  spop: () => resp("SPOP", "myset"),
  hset: () => resp("HSET", "myhash", "element:__rand_int__", VALUE),
  zadd: () => resp("ZADD", "myzset", "0", "element:__rand_int__"),
  zpopmin: () => resp("ZPOPMIN", "myzset"),
  // ZADD with a random score (a leaderboard), and the first elements by rank.
  zadd_rand: () => resp("ZADD", "myzset", "__rand_int__", "element:__rand_int__"),
  zrange_10: () => resp("ZRANGE", "myzset", "0", "10"),
  // About 1% of what zadd_rand wrote (scores below --range): a range query's long reply.
  zrangebyscore_1pc: () => resp("ZRANGEBYSCORE", "myzset", "0", String(Math.floor(RANGE / 100))),
  lrange_100: () => resp("LRANGE", "mylist", "0", "99"),
  lrange_300: () => resp("LRANGE", "mylist", "0", "299"),
  lrange_500: () => resp("LRANGE", "mylist", "0", "499"),
  lrange_600: () => resp("LRANGE", "mylist", "0", "599"),
  // Reads of one member of a large collection, which redis-benchmark does not test.
  hget: () => resp("HGET", "myhash", "element:__rand_int__"),
  sismember: () => resp("SISMEMBER", "myset", "element:__rand_int__"),
  zscore: () => resp("ZSCORE", "myzset", "element:__rand_int__"),
  zrank: () => resp("ZRANK", "myzset", "element:__rand_int__"),
  // Small collections (run with --range 1000: 1000 keys of 10 fields or members each).
  hset_small: () => resp("HSET", "hsmall:__rand_int__", "field:__rand10__", VALUE),
  hsetnx_small: () => resp("HSETNX", "hsmall:__rand_int__", "field:__rand10__", VALUE),
  del_2: () => resp("DEL", "key:__rand_int__", "key:__rand_int__"),
  hget_small: () => resp("HGET", "hsmall:__rand_int__", "field:__rand10__"),
  // A new hash of a queue job's fields, as BullMQ's addStandardJob writes it.
  hmset_job: () =>
    resp("HMSET", "job:__rand_int__", "name", "job", "data", '{"n":4242}', "opts", '{"attempts":3,"backoff":{"type":"fixed","delay":1000}}', "timestamp", "1712345678901", "delay", "0", "priority", "0"),
  sadd_small: () => resp("SADD", "ssmall:__rand_int__", "__rand10__"),
  sismember_small: () => resp("SISMEMBER", "ssmall:__rand_int__", "__rand10__"),
  zadd_small: () => resp("ZADD", "zsmall:__rand_int__", "1", "member:__rand10__"),
  zscore_small: () => resp("ZSCORE", "zsmall:__rand_int__", "member:__rand10__"),
  // The middle of a list the pushes before it made (50,000 elements in, from the head).
  lindex: () => resp("LINDEX", "mylist", "50000"),
  // The job hashes hmset_job wrote (run it first in --only), read whole as a worker reads a job.
  hgetall_job: () => resp("HGETALL", "job:__rand_int__"),
  // A queue's event stream, as BullMQ appends to it (capped at about 10,000 entries).
  xadd_events: () => resp("XADD", "events", "MAXLEN", "~", "10000", "*", "event", "added", "jobId", "__rand_int__", "name", "job"),
  // BullMQ trims its event stream after each job too (run after xadd_events).
  xtrim_events: () => resp("XTRIM", "events", "MAXLEN", "~", "10000"),
  // A cached one-command script (EVAL loads it first, so every request is an EVALSHA).
  evalsha: () => resp("EVALSHA", EVALSHA_SCRIPT_SHA, "1", "counter:__rand_int__"),
  // The same script sent whole each time, as clients without a script cache send it.
  eval: () => resp("EVAL", EVALSHA_SCRIPT, "1", "counter:__rand_int__"),
  // Replies turned into Lua values: 100 HMGETs of five fields of a job hash (hmset_job first).
  eval_hmget: () => resp("EVAL", HMGET_SCRIPT, "1", "job:__rand_int__"),
};

const table = new CommandTable();
registerAllCommands(table);
const home = process.cwd();
const aofDir = AOF === "" ? "" : mkdtempSync(join(tmpdir(), "hotpath-aof-"));
if (aofDir !== "") process.chdir(aofDir);
const config = AOF === "" ? Config.defaults() : Config.fromArgs(["--appendonly", "yes", "--appendfsync", AOF, "--auto-aof-rewrite-percentage", "0"], aofDir).config;
// --maxmemory <bytes> [--policy allkeys-lru]: the eviction path (evict.ts), each SET of a
// new key evicting about one once the keys fill the limit (fill it first: run `set` twice).
if (MAXMEMORY !== "") {
  const problem = config.set([
    ["maxmemory", MAXMEMORY],
    ["maxmemory-policy", POLICY],
  ]);
  if (problem !== null) throw new Error(problem);
}
const server = new Server(config, table);
if (AOF !== "" && !(await server.persistence.loadAtStartup())) throw new Error("could not open the AOF");
let written = 0;
const socket = {
  write(data: Uint8Array) {
    written += data.length;
    return data.length;
  },
  end() {},
  pause() {},
  resume() {},
  data: { client: null },
} as unknown as ClientSocket;
const clients: Client[] = [];
for (let id = 1; id <= CLIENTS; id++) {
  const client = new Client(id, server, socket, `127.0.0.1:${id}`, "127.0.0.1:6379");
  server.clients.set(client.id, client);
  clients.push(client);
}

server.onData(clients[0]!, Buffer.from(resp("SCRIPT", "LOAD", EVALSHA_SCRIPT), "latin1"));

for (const name of ONLY.split(",")) {
  const make = requests[name];
  if (make === undefined) throw new Error(`unknown test ${name}`);
  const text = make().repeat(PIPELINE);
  const chunk = Buffer.from(text, "latin1");
  const placeholders: number[] = [];
  for (let at = text.indexOf(RAND_PLACEHOLDER); RANGE > 0 && at >= 0; at = text.indexOf(RAND_PLACEHOLDER, at + 1)) placeholders.push(at);
  const smallPlaceholders: number[] = [];
  for (let at = text.indexOf(SMALL_PLACEHOLDER); at >= 0; at = text.indexOf(SMALL_PLACEHOLDER, at + 1)) smallPlaceholders.push(at);
  const turns = Math.ceil(REQUESTS / (PIPELINE * CLIENTS));
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < turns; i++) {
      // Bun hands every data callback a fresh buffer; copy so the parser may keep it.
      for (let c = 0; c < CLIENTS; c++) {
        const read = new Uint8Array(chunk);
        if (placeholders.length > 0) randomizeKeys(read, placeholders);
        if (smallPlaceholders.length > 0) randomizeSmall(read, smallPlaceholders);
        server.onData(clients[c]!, read);
      }
      // The server's before-reply stage is an immediate queued during the reads: it runs
      // before this one, as in Bun's loop after a poll (fsync completions run too).
      if (AOF !== "") await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const elapsed = performance.now() - start;
    results.push((elapsed * 1e6) / (turns * CLIENTS * PIPELINE));
  }
  results.sort((a, b) => a - b);
  console.log(`${name.padEnd(6)} -P ${PIPELINE}${CLIENTS > 1 ? ` x${CLIENTS} clients` : ""}${AOF === "" ? "" : ` aof ${AOF}`}: ${results.map((r) => r.toFixed(0)).join(" / ")} ns/request (best ${results[0]!.toFixed(0)})${MAXMEMORY === "" ? "" : `, ${server.stats.evictedKeys} keys evicted so far`}`);
}
if (written === 0) throw new Error("no replies written");
if (aofDir !== "") {
  process.chdir(home);
  rmSync(aofDir, { recursive: true, force: true });
}
process.exit(0);
