// MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP (Redis's object.c
// memoryCommand). The figures are Bunker's own count (src/memory.ts): what keys, values,
// clients and caches allocate, with RSS beside it.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, bytesToKey, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import * as errors from "../errors.ts";
import { replyHelp } from "./keys.ts";
import { fragmentationOf, getMemoryOverheadData } from "../memory.ts";
import { heapStats } from "bun:jsc";

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

/**
 * MEMORY USAGE key [SAMPLES count]: what the key costs, its slot and bytes and its value.
 * Bunker's collections keep their figure current as they change, so it is exact and
 * SAMPLES (checked as Redis checks it) changes nothing. Like Redis, the key is looked up
 * without expiring it.
 */
function memoryUsage(client: Client, argv: Uint8Array[]): void {
  for (let j = 3; j < argv.length; j++) {
    if (argIs(argv[j]!, "samples") && j + 1 < argv.length) {
      const samples = parseInteger(argv[j + 1]!);
      if (samples === null) return replyError(client, errors.NOT_INTEGER);
      if (samples < 0) return replyError(client, errors.SYNTAX_ERROR);
      j++;
    } else {
      return replyError(client, errors.SYNTAX_ERROR);
    }
  }
  const table = client.db.table;
  const slot = table.find(bytesToKey(argv[2]!));
  if (slot < 0) return client.reply.nullBulk();
  client.reply.integer(table.memoryUsageOf(slot));
}

function memoryStats(client: Client): void {
  const server = client.server;
  const overhead = getMemoryOverheadData(server);
  const fragmentation = fragmentationOf(overhead);
  const reply = client.reply;
  reply.mapHeader(27 + overhead.dbs.length);
  const field = (name: string, value: number) => {
    reply.bulkText(name);
    reply.integer(value);
  };
  const ratio = (name: string, value: number) => {
    reply.bulkText(name);
    reply.double(value);
  };
  field("peak.allocated", overhead.peakAllocated);
  field("total.allocated", overhead.totalAllocated);
  field("startup.allocated", overhead.startupAllocated);
  field("replication.backlog", overhead.replBacklog);
  field("clients.slaves", overhead.clientsSlaves);
  field("clients.normal", overhead.clientsNormal);
  field("cluster.links", 0);
  field("aof.buffer", overhead.aofBuffer);
  field("lua.caches", overhead.luaCaches);
  field("functions.caches", overhead.functionsCaches);
  for (const db of overhead.dbs) {
    reply.bulkText(`db.${db.index}`);
    reply.mapHeader(3);
    field("overhead.hashtable.main", db.overheadMain);
    field("overhead.hashtable.expires", db.overheadExpires);
    field("overhead.hashtable.slot-to-keys", 0);
  }
  field("overhead.total", overhead.overheadTotal);
  field("keys.count", overhead.keys);
  const netUsage = overhead.totalAllocated - overhead.startupAllocated;
  field("keys.bytes-per-key", overhead.keys > 0 ? Math.floor(netUsage / overhead.keys) : 0);
  field("dataset.bytes", overhead.dataset);
  ratio("dataset.percentage", netUsage > 0 ? (overhead.dataset * 100) / netUsage : 0);
  ratio("peak.percentage", overhead.peakAllocated > 0 ? (overhead.totalAllocated * 100) / overhead.peakAllocated : 0);
  field("allocator.allocated", fragmentation.heap);
  field("allocator.active", fragmentation.heap);
  field("allocator.resident", fragmentation.rss);
  ratio("allocator-fragmentation.ratio", 1);
  field("allocator-fragmentation.bytes", 0);
  ratio("allocator-rss.ratio", fragmentation.rss / Math.max(1, fragmentation.heap));
  field("allocator-rss.bytes", fragmentation.rss - fragmentation.heap);
  ratio("rss-overhead.ratio", 1);
  field("rss-overhead.bytes", 0);
  ratio("fragmentation", fragmentation.ratio);
  field("fragmentation.bytes", fragmentation.rss - overhead.totalAllocated);
}

/** Below this much used memory (beyond start-up) the doctor has nothing to go on, as Redis's. */
const DOCTOR_MIN_BYTES = 5 * 1024 * 1024;

/**
 * MEMORY DOCTOR: Redis's checks (a past peak, RSS far above the count, big client
 * buffers, many cached scripts) in Bunker's own words, with Bunker's figures.
 */
function memoryDoctor(client: Client): void {
  const server = client.server;
  const overhead = getMemoryOverheadData(server);
  const { rss, ratio } = fragmentationOf(overhead);
  if (overhead.totalAllocated - overhead.startupAllocated < DOCTOR_MIN_BYTES) {
    client.reply.verbatim(
      "This instance is empty or holds very little data: there is nothing to diagnose yet. Load some data and ask again.\n",
    );
    return;
  }
  const issues: string[] = [];
  if (overhead.peakAllocated > overhead.totalAllocated * 1.5) {
    issues.push(
      ` * Peak memory: used memory was ${overhead.peakAllocated} bytes at its peak, more than 150% of the ${overhead.totalAllocated} used now. The runtime keeps freed heap for reuse, so RSS stays near the peak until the data grows again; MEMORY PURGE runs a full garbage collection, which may return some of it.\n`,
    );
  }
  if (ratio > 1.4) {
    issues.push(
      ` * High RSS: the process's resident set (${rss} bytes) is ${ratio.toFixed(2)} times the memory counted for data, clients and caches. Part of it is the runtime itself (the JavaScript engine, compiled code, the Lua VM) and garbage not collected yet; a large ratio with a large dataset usually follows a memory peak.\n`,
    );
  }
  const clients = server.clients.size;
  if (clients > 0 && overhead.clientsNormal / clients > 200 * 1024) {
    issues.push(
      ` * Big client buffers: clients hold more than 200 KB each on average (${overhead.clientsNormal} bytes over ${clients} clients): subscribers that do not read fast enough, large replies, or long pipelines. CLIENT LIST (qbuf, omem, tot-mem) shows which.\n`,
    );
  }
  if (server.scripting.evalScripts.count > 1000) {
    issues.push(
      ` * Many scripts: more than 1000 scripts are cached (${server.scripting.evalScripts.count}). Scripts built with their data inside, instead of taking it as KEYS and ARGV, each stay cached until SCRIPT FLUSH.\n`,
    );
  }
  if (issues.length === 0) {
    client.reply.verbatim("No memory issue found in this instance, as far as its own figures can tell.\n");
    return;
  }
  client.reply.verbatim(`Memory issues found in this instance:\n\n${issues.join("\n")}\n`);
}

/** MEMORY PURGE: a full collection of the JS heap, the runtime's way of returning free pages. */
function memoryPurge(client: Client): void {
  Bun.gc(true);
  client.reply.ok();
}

/** MEMORY MALLOC-STATS: the JavaScript heap's and mimalloc's statistics (Redis prints jemalloc's). */
function memoryMallocStats(client: Client): void {
  const stats = heapStats();
  const usage = process.memoryUsage();
  const lines = [
    "___ Begin Bun (JavaScriptCore + mimalloc) statistics ___",
    `rss: ${usage.rss}`,
    `heap.used: ${usage.heapUsed}`,
    `heap.total: ${usage.heapTotal}`,
    `heap.size: ${stats.heapSize}`,
    `heap.capacity: ${stats.heapCapacity}`,
    `heap.extra_memory: ${stats.extraMemorySize}`,
    `heap.objects: ${stats.objectCount}`,
    `heap.protected_objects: ${stats.protectedObjectCount}`,
    `external: ${usage.external}`,
    `array_buffers: ${usage.arrayBuffers}`,
  ];
  const objectTypes = Object.entries(stats.objectTypeCounts).sort((a, b) => b[1] - a[1]);
  lines.push("objects by type:");
  for (const [type, count] of objectTypes) lines.push(`  ${type}: ${count}`);
  const mimalloc = (stats as unknown as { mimalloc?: unknown }).mimalloc;
  if (mimalloc !== undefined) lines.push(`mimalloc: ${JSON.stringify(mimalloc)}`);
  lines.push("--- End Bun statistics ---");
  client.reply.verbatim(lines.join("\n") + "\n");
}

const SRV = { categories: [], group: "server" };
const ALL_SHARDS_SPECIAL = ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"];

export const memoryCommands: CommandSpec[] = [
  keyless({
    name: "memory", arity: -2, flags: [], ...SRV, since: "4.0.0", summary: "A container for memory diagnostics commands", complexity: "Depends on subcommand.",
    subcommands: [
      { name: "usage", arity: -3, flags: ["readonly"], firstKey: 2, lastKey: 2, keyStep: 1, categories: ["read"], group: "server", since: "4.0.0", summary: "Estimate the memory usage of a key", complexity: "O(N) where N is the number of samples.", handler: memoryUsage },
      keyless({ name: "stats", arity: 2, flags: [], ...SRV, since: "4.0.0", summary: "Show memory usage details", complexity: "O(1)", tips: ALL_SHARDS_SPECIAL, handler: memoryStats }),
      keyless({ name: "doctor", arity: 2, flags: [], ...SRV, since: "4.0.0", summary: "Outputs memory problems report", complexity: "O(1)", tips: ALL_SHARDS_SPECIAL, handler: memoryDoctor }),
      keyless({ name: "malloc-stats", arity: 2, flags: [], ...SRV, since: "4.0.0", summary: "Show allocator internal stats", complexity: "Depends on how much memory is allocated, could be slow", tips: ALL_SHARDS_SPECIAL, handler: memoryMallocStats }),
      keyless({ name: "purge", arity: 2, flags: [], ...SRV, since: "4.0.0", summary: "Ask the allocator to release memory", complexity: "Depends on how much memory is allocated, could be slow", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: memoryPurge }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "4.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, MEMORY_HELP) }),
    ],
  }),
];
