#!/usr/bin/env bun
// Bytes per element of lists, measured in process: build many lists through the command
// path (RPUSH), collect garbage, and compare the heap before and after.
//
//   bun scripts/list-memory-bench.ts [--small-lists 20000] [--big-lists 40]
//
// Values are 16-32 bytes (the mixed dataset); the small lists have 10 elements,
// the big ones 5000.

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
const SMALL_LISTS = Number(option("small-lists", "20000"));
const BIG_LISTS = Number(option("big-lists", "40"));

function resp(parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${p.length}\r\n${p}\r\n`;
  return out;
}

const table = new CommandTable();
registerAllCommands(table);
const server = new Server(Config.defaults(), table);
const socket = { write: (data: Uint8Array) => data.length, end() {}, pause() {}, resume() {}, data: { client: null } } as unknown as ClientSocket;
const client = new Client(1, server, socket, "127.0.0.1:1", "127.0.0.1:6379");
server.clients.set(client.id, client);

let seed = 12345;
function value(): string {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const length = 16 + (seed % 17);
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + ((seed >>> (i % 24)) % 26));
  return out;
}

function heapBytes(): number {
  Bun.gc(true);
  Bun.gc(true);
  return require("bun:jsc").heapStats().heapSize as number;
}

function measure(label: string, lists: number, elements: number): void {
  const before = heapBytes();
  for (let l = 0; l < lists; l++) {
    for (let pushed = 0; pushed < elements; ) {
      const parts = ["RPUSH", `${label}:${l}`];
      for (let i = 0; i < 500 && pushed < elements; i++, pushed++) parts.push(value());
      server.onData(client, Buffer.from(resp(parts), "latin1"));
    }
  }
  const after = heapBytes();
  const perElement = (after - before) / (lists * elements);
  console.log(`${label}: ${lists} lists x ${elements} elements: ${perElement.toFixed(1)} bytes/element (heap +${((after - before) / 1048576).toFixed(1)} MiB)`);
}

measure("small", SMALL_LISTS, 10);
measure("big", BIG_LISTS, 5000);
process.exit(0);
