#!/usr/bin/env bun
// In-process micro-benchmark of the request hot path: parser -> processCommand ->
// call -> handler -> reply writer -> flush, without sockets or a second process, so a
// single change can be compared before/after with little noise (the machine is shared).
//
//   bun scripts/hotpath-bench.ts [--pipeline 16] [--requests 2000000] [--only set,get]
//                                (collections: hset-small,hget-small,hset-big,hget-big,
//                                 sadd-small,sismember-small,sadd-big,sismember-big)
//                                [--clients 1] [--aof always|everysec|no]
//
// Each "read" is one chunk of `pipeline` requests, as redis-benchmark -P sends them
// (keys drawn from 100k, as redis-benchmark -r would not: it uses key:__rand_int__
// without -r, i.e. one key; here a small key set keeps the keyspace realistic).
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

function resp(...parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${p.length}\r\n${p}\r\n`;
  return out;
}

const VALUE = "x".repeat(3); // redis-benchmark's default -d 3
const EVALSHA_SCRIPT = "return redis.call('incr', KEYS[1])";
const EVALSHA_SCRIPT_SHA = createHash("sha1").update(EVALSHA_SCRIPT).digest("hex");
const requests: Record<string, () => string> = {
  ping: () => "*1\r\n$4\r\nPING\r\n",
  set: () => resp("SET", "key:__rand_int__", VALUE),
  get: () => resp("GET", "key:__rand_int__"),
  incr: () => resp("INCR", "counter:__rand_int__"),
  mset: () => {
    const parts = ["MSET"];
    for (let i = 0; i < 10; i++) parts.push("key:__rand_int__", VALUE);
    return resp(...parts);
  },
  lpush: () => resp("LPUSH", "mylist", VALUE),
  hset: () => resp("HSET", "myhash", "element:__rand_int__", VALUE),
  zadd: () => resp("ZADD", "myzset", "0", "element:__rand_int__"),
  // A cached one-command script (EVAL loads it first, so every request is an EVALSHA).
  evalsha: () => resp("EVALSHA", EVALSHA_SCRIPT_SHA, "1", "counter:__rand_int__"),
};

// Collection cases: __small__ is a key of 1000 (each collection 10 fields or members: a
// listpack hash, an intset), __field__/__member__ a random one of them; __big__ cases hit
// one collection of 100k (a hashtable). Reads run after their collections are filled.
// Each round cycles through COLLECTION_CHUNKS chunks with different random draws.
const COLLECTION_CHUNKS = 64;
const BIG = 100_000;
const collectionRequests: Record<string, { make: (draw: (n: number) => number) => string; fill?: string }> = {
  "hset-small": { make: (d) => resp("HSET", `hsmall:${d(1000)}`, `field:${d(10)}`, "value-of-twenty-byte") },
  "hget-small": { make: (d) => resp("HGET", `hsmall:${d(1000)}`, `field:${d(10)}`), fill: "hset-small" },
  "hset-big": { make: (d) => resp("HSET", "hbig", `field:${d(BIG)}`, "value-of-twenty-byte") },
  "hget-big": { make: (d) => resp("HGET", "hbig", `field:${d(BIG)}`), fill: "hset-big" },
  "sadd-small": { make: (d) => resp("SADD", `ssmall:${d(1000)}`, String(d(10))) },
  "sismember-small": { make: (d) => resp("SISMEMBER", `ssmall:${d(1000)}`, String(d(10))), fill: "sadd-small" },
  "sadd-big": { make: (d) => resp("SADD", "sbig", `member:${d(BIG)}`) },
  "sismember-big": { make: (d) => resp("SISMEMBER", "sbig", `member:${d(BIG)}`), fill: "sadd-big" },
};

/** Every field or member a fill case can draw, written once (so reads find a full collection). */
function fillRequests(name: string): string[] {
  const out: string[] = [];
  if (name === "hset-small") for (let k = 0; k < 1000; k++) for (let f = 0; f < 10; f++) out.push(resp("HSET", `hsmall:${k}`, `field:${f}`, "value-of-twenty-byte"));
  if (name === "hset-big") for (let f = 0; f < BIG; f++) out.push(resp("HSET", "hbig", `field:${f}`, "value-of-twenty-byte"));
  if (name === "sadd-small") for (let k = 0; k < 1000; k++) for (let m = 0; m < 10; m++) out.push(resp("SADD", `ssmall:${k}`, String(m)));
  if (name === "sadd-big") for (let m = 0; m < BIG; m++) out.push(resp("SADD", "sbig", `member:${m}`));
  return out;
}

const table = new CommandTable();
registerAllCommands(table);
const home = process.cwd();
const aofDir = AOF === "" ? "" : mkdtempSync(join(tmpdir(), "hotpath-aof-"));
if (aofDir !== "") process.chdir(aofDir);
const config = AOF === "" ? Config.defaults() : Config.fromArgs(["--appendonly", "yes", "--appendfsync", AOF, "--auto-aof-rewrite-percentage", "0"], aofDir).config;
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

let seed = 1;
/** A fixed-seed draw in [0, n), so before/after runs draw the same requests. */
const draw = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

for (const name of ONLY.split(",")) {
  const collectionCase = collectionRequests[name];
  const make = requests[name];
  if (make === undefined && collectionCase === undefined) throw new Error(`unknown test ${name}`);
  if (collectionCase?.fill !== undefined) {
    const fill = fillRequests(collectionCase.fill);
    for (let i = 0; i < fill.length; i += 1000) server.onData(clients[0]!, Buffer.from(fill.slice(i, i + 1000).join(""), "latin1"));
  }
  const chunks: Buffer[] = [];
  if (collectionCase !== undefined) {
    for (let c = 0; c < COLLECTION_CHUNKS; c++) {
      let text = "";
      for (let i = 0; i < PIPELINE; i++) text += collectionCase.make(draw);
      chunks.push(Buffer.from(text, "latin1"));
    }
  } else chunks.push(Buffer.from(make!().repeat(PIPELINE), "latin1"));
  const turns = Math.ceil(REQUESTS / (PIPELINE * CLIENTS));
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < turns; i++) {
      const chunk = chunks[i % chunks.length]!;
      // Bun hands every data callback a fresh buffer; copy so the parser may keep it.
      for (let c = 0; c < CLIENTS; c++) server.onData(clients[c]!, new Uint8Array(chunk));
      // The server's before-reply stage is an immediate queued during the reads: it runs
      // before this one, as in Bun's loop after a poll (fsync completions run too).
      if (AOF !== "") await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const elapsed = performance.now() - start;
    results.push((elapsed * 1e6) / (turns * CLIENTS * PIPELINE));
  }
  results.sort((a, b) => a - b);
  console.log(`${name.padEnd(6)} -P ${PIPELINE}${CLIENTS > 1 ? ` x${CLIENTS} clients` : ""}${AOF === "" ? "" : ` aof ${AOF}`}: ${results.map((r) => r.toFixed(0)).join(" / ")} ns/request (best ${results[0]!.toFixed(0)})`);
}
if (written === 0) throw new Error("no replies written");
if (aofDir !== "") {
  process.chdir(home);
  rmSync(aofDir, { recursive: true, force: true });
}
process.exit(0);
