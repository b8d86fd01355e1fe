#!/usr/bin/env bun
// In-process micro-benchmark of the request hot path: parser -> processCommand ->
// call -> handler -> reply writer -> flush, without sockets or a second process, so a
// single change can be compared before/after with little noise (the machine is shared).
//
//   bun scripts/hotpath-bench.ts [--pipeline 16] [--requests 2000000] [--only set,get]
//
// Each "read" is one chunk of `pipeline` requests, as redis-benchmark -P sends them
// (keys drawn from 100k, as redis-benchmark -r would not: it uses key:__rand_int__
// without -r, i.e. one key; here a small key set keeps the keyspace realistic).
// The socket is a stub whose write() takes everything.

import { Server } from "../src/server.ts";
import { Client, type ClientSocket } from "../src/net/client.ts";
import { Config } from "../src/config.ts";
import { CommandTable } from "../src/commands/table.ts";
import { registerAllCommands } from "../src/commands/index.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const PIPELINE = Number(option("pipeline", "16"));
const REQUESTS = Number(option("requests", "2000000"));
const ONLY = option("only", "ping,set,get,incr,mset");
const ROUNDS = Number(option("rounds", "3"));

function resp(...parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${p.length}\r\n${p}\r\n`;
  return out;
}

const VALUE = "x".repeat(3); // redis-benchmark's default -d 3
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
};

const table = new CommandTable();
registerAllCommands(table);
const server = new Server(Config.defaults(), table);
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
const client = new Client(1, server, socket, "127.0.0.1:1", "127.0.0.1:6379");
server.clients.set(client.id, client);

for (const name of ONLY.split(",")) {
  const make = requests[name];
  if (make === undefined) throw new Error(`unknown test ${name}`);
  const text = make().repeat(PIPELINE);
  const chunk = Buffer.from(text, "latin1");
  const reads = Math.ceil(REQUESTS / PIPELINE);
  const results: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < reads; i++) {
      // Bun hands every data callback a fresh buffer; copy so the parser may keep it.
      server.onData(client, new Uint8Array(chunk));
    }
    const elapsed = performance.now() - start;
    results.push((elapsed * 1e6) / (reads * PIPELINE));
  }
  results.sort((a, b) => a - b);
  console.log(`${name.padEnd(6)} -P ${PIPELINE}: ${results.map((r) => r.toFixed(0)).join(" / ")} ns/request (best ${results[0]!.toFixed(0)})`);
}
if (written === 0) throw new Error("no replies written");
