// Memory as Bunker counts it, under Redis's names: used_memory is zmalloc_used_memory(),
// its parts are getMemoryOverheadData()'s (INFO memory, MEMORY STATS, MEMORY DOCTOR), and
// eviction holds it under maxmemory (evict.ts).
//
// Redis counts every allocation; a JS heap cannot be asked what one structure costs, so
// Bunker counts what its structures allocate (src/db/object-size.ts): the key tables keep
// their total current with every write, clients and caches are summed when asked. What
// the runtime holds besides (garbage not yet collected, JIT code, the Lua VM's WebAssembly
// memory, which Redis also reports apart as used_memory_vm_*) shows in RSS and in the
// fragmentation figures, as allocator overhead does in Redis.

import type { Server } from "./server.ts";
import type { Client } from "./net/client.ts";
import { EXPIRE_ENTRY_BYTES, KEY_SLOT_BYTES, objectBytes } from "./db/object-size.ts";

/**
 * used_memory_startup: what the server's own structures (16 databases, the command and
 * config tables, the scripting state) hold once built. Measured: constructing a Server
 * grows heapUsed by 1.5 MB and external memory by 0.6 MB, after a full GC. The loaded
 * modules (about 38 MB of heap: compiled code, the Lua VM's WebAssembly) are the runtime,
 * as Redis's binary is, and are not counted.
 */
export const STARTUP_BYTES = 2_000_000;

/**
 * A connection's fixed cost (Redis's sizeof(client) and its 16 KB static reply buffer,
 * which Bunker's reply writer allocates as needed): the Client, parser, reply writer and
 * socket objects with their fields and small arrays.
 */
const CLIENT_BYTES = objectBytes(120);

/** The bytes of a command's arguments (CLIENT LIST argv-mem and multi-mem, a client's memory). */
export function argvBytes(argv: readonly Uint8Array[]): number {
  let bytes = 0;
  for (let i = 0; i < argv.length; i++) bytes += argv[i]!.length;
  return bytes;
}

/**
 * A client's argv_len_sum: the arguments of the command it runs (or is blocked in), else
 * those read so far of a request still arriving.
 */
export function clientArgvBytes(client: Client): number {
  return client.currentArgv !== null ? argvBytes(client.currentArgv) : client.parser.partialArgvBytes;
}

/** The MULTI queue's c->mstate.argv_len_sums: each command's argument bytes and an 8-byte pointer per argument. */
export function multiStateBytes(client: Client): number {
  let bytes = 0;
  for (const queued of client.multiQueue) bytes += argvBytes(queued.argv) + 8 * queued.argv.length;
  return bytes;
}

/**
 * The usable size jemalloc gives a request of `size` bytes: its size class (16-byte
 * steps up to 128, then four classes per doubling). Where Redis reports an allocation's
 * size (a reply buffer's, a script body's), it is this.
 */
export function jemallocSizeClass(size: number): number {
  if (size <= 8) return 8;
  if (size <= 128) return Math.ceil(size / 16) * 16;
  const step = 2 ** Math.floor(Math.log2(size - 1)) / 4;
  return Math.ceil(size / step) * step;
}

/** getClientMemoryUsage: query buffer, arguments, reply buffer and pending replies, MULTI queue. */
export function getClientMemoryUsage(client: Client): number {
  return CLIENT_BYTES + client.parser.bufferedBytes + client.reply.buffer.length + client.pendingBytes + clientArgvBytes(client) + multiStateBytes(client);
}

export interface DatabaseOverhead {
  index: number;
  /** overhead.hashtable.main: the key slots and the index. */
  overheadMain: number;
  /** overhead.hashtable.expires */
  overheadExpires: number;
}

/** getMemoryOverheadData: what used_memory is made of, besides the dataset. */
export interface MemoryOverhead {
  totalAllocated: number;
  startupAllocated: number;
  peakAllocated: number;
  clientsNormal: number;
  /** mem_clients_slaves: replica connections (their held and unsent stream included). */
  clientsSlaves: number;
  /** mem_replication_backlog: the bytes the backlog holds. */
  replBacklog: number;
  /** mem_total_replication_buffers: the backlog plus the stream waiting in replicas' output. */
  replBuffers: number;
  /** mem_not_counted_for_evict: the AOF buffer and the replicas' output (eviction would only grow them). */
  notCountedForEvict: number;
  aofBuffer: number;
  luaCaches: number;
  functionsCaches: number;
  dbs: DatabaseOverhead[];
  overheadTotal: number;
  keys: number;
  dataset: number;
}

/**
 * The clients' memory: while a memory limit is set, the running total the evictor keeps
 * (counted again after each read and each cron tick, so processCommand's check is O(1));
 * otherwise summed now.
 */
function clientsMemoryUsage(server: Server): number {
  const evictor = server.evictor;
  if (evictor.clientsTracked) return evictor.clientsMemory;
  let bytes = 0;
  for (const client of server.clients.values()) bytes += getClientMemoryUsage(client);
  return bytes;
}

/** zmalloc_used_memory(). Also moves used_memory_peak. */
export function usedMemory(server: Server): number {
  return usedMemoryWith(server, clientsMemoryUsage(server));
}

/** usedMemory with the clients' share already known (getMemoryOverheadData sums it once). */
function usedMemoryWith(server: Server, clients: number): number {
  // Values changed by the last command are measured once it is done.
  server.commandEpoch.settle();
  let used = server.usedMemoryStartup + clients;
  for (const db of server.dbs) used += db.table.usedBytes;
  used += server.persistence.aof.bufferLength;
  used += server.replication.backlog?.histlen ?? 0;
  used += server.scripting.evalScripts.cacheMemory + server.scripting.functions.overheadMemory;
  if (used > server.usedMemoryPeak) server.usedMemoryPeak = used;
  return used;
}

export function getMemoryOverheadData(server: Server): MemoryOverhead {
  // Asked for its parts, the running clients total is brought up to date first.
  if (server.evictor.clientsTracked) server.evictor.recountClientsMemory();
  const clients = clientsMemoryUsage(server);
  const totalAllocated = usedMemoryWith(server, clients);
  const aofBuffer = server.persistence.aof.bufferLength;
  let clientsSlaves = 0;
  let replicaOutput = 0;
  for (const replica of server.replication.replicas) {
    clientsSlaves += getClientMemoryUsage(replica);
    replicaOutput += replica.outputBytes;
  }
  const clientsNormal = Math.max(0, clients - clientsSlaves);
  const replBacklog = server.replication.backlog?.histlen ?? 0;
  const luaCaches = server.scripting.evalScripts.cacheMemory;
  const functionsCaches = server.scripting.functions.overheadMemory;
  let overheadTotal = server.usedMemoryStartup + clientsNormal + clientsSlaves + replBacklog + aofBuffer + luaCaches + functionsCaches;
  const dbs: DatabaseOverhead[] = [];
  let keys = 0;
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    const overheadMain = db.size * KEY_SLOT_BYTES;
    const overheadExpires = db.expiresCount * EXPIRE_ENTRY_BYTES;
    overheadTotal += overheadMain + overheadExpires;
    dbs.push({ index: db.index, overheadMain, overheadExpires });
  }
  return {
    totalAllocated,
    startupAllocated: server.usedMemoryStartup,
    peakAllocated: server.usedMemoryPeak,
    clientsNormal,
    clientsSlaves,
    replBacklog,
    replBuffers: replBacklog + replicaOutput,
    notCountedForEvict: aofBuffer + replicaOutput,
    aofBuffer,
    luaCaches,
    functionsCaches,
    dbs,
    overheadTotal,
    keys,
    dataset: Math.max(0, totalAllocated - overheadTotal),
  };
}

/**
 * RSS against what the runtime's heap holds (INFO's allocator_* figures) and against
 * used_memory (mem_fragmentation_ratio): INFO memory and MEMORY STATS/DOCTOR read them here.
 */
export function fragmentationOf(overhead: MemoryOverhead): { rss: number; heap: number; ratio: number } {
  const rss = processRss();
  const heap = process.memoryUsage().heapUsed;
  return { rss, heap, ratio: rss / Math.max(1, overhead.totalAllocated) };
}

/** The process's resident set size (zmalloc_get_rss). */
export function processRss(): number {
  return process.memoryUsage.rss();
}
