#!/usr/bin/env bun
// In-process micro-benchmark of the request hot path: parser -> processCommand ->
// call -> handler -> reply writer -> flush, without sockets or a second process, so a
// single change can be compared before/after with little noise (the machine is shared).
//
//   bun scripts/hotpath-bench.ts [--pipeline 16] [--requests 2000000] [--only set,get]
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
const BIG_LIST = 100_000;
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
  // The list tests work on "biglist", filled to BIG_LIST elements before each round
  // (pops get enough more that the list never drops below that).
  lpushbig: () => resp("LPUSH", "biglist", VALUE),
  rpush: () => resp("RPUSH", "biglist", VALUE),
  lpop: () => resp("LPOP", "biglist"),
  rpop: () => resp("RPOP", "biglist"),
  lrange100: () => resp("LRANGE", "biglist", "0", "99"),
  lrange600: () => resp("LRANGE", "biglist", "0", "599"),
  lindex: () => resp("LINDEX", "biglist", String(BIG_LIST / 2)),
  hset: () => resp("HSET", "myhash", "element:__rand_int__", VALUE),
  zadd: () => resp("ZADD", "myzset", "0", "element:__rand_int__"),
  // A cached one-command script (EVAL loads it first, so every request is an EVALSHA).
  evalsha: () => resp("EVALSHA", EVALSHA_SCRIPT_SHA, "1", "counter:__rand_int__"),
};

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

/** Empties "biglist" and pushes `length` elements of 16-32 bytes (the values LRANGE replies). */
function fillBigList(length: number): void {
  server.onData(clients[0]!, Buffer.from(resp("DEL", "biglist"), "latin1"));
  for (let pushed = 0; pushed < length; ) {
    const parts = ["RPUSH", "biglist"];
    for (let i = 0; i < 1000 && pushed < length; i++, pushed++) parts.push(`element:${pushed}:`.padEnd(16 + (pushed % 17), "v"));
    server.onData(clients[0]!, Buffer.from(resp(...parts), "latin1"));
  }
}

for (const name of ONLY.split(",")) {
  const make = requests[name];
  if (make === undefined) throw new Error(`unknown test ${name}`);
  const text = make().repeat(PIPELINE);
  const chunk = Buffer.from(text, "latin1");
  const turns = Math.ceil(REQUESTS / (PIPELINE * CLIENTS));
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (make().includes("biglist")) fillBigList(name === "lpop" || name === "rpop" ? BIG_LIST + turns * PIPELINE * CLIENTS : BIG_LIST);
    const start = performance.now();
    for (let i = 0; i < turns; i++) {
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
