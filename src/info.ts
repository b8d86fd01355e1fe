// INFO: the sections and fields of Redis 7.0.15, in its order, with Bunker's real
// values. Tools (redis_exporter, redis-cli --stat, client libraries) parse these
// names, so they are Redis's even where Bunker measures something slightly different
// (memory comes from the JS heap and the process RSS, not from jemalloc).

import { replicaIp, replicaStateName } from "./replication/replication.ts";
import { totalmem, type as osType, release, arch } from "node:os";
import type { Server } from "./server.ts";
import { BUNKER_VERSION, REDIS_VERSION } from "./version.ts";
import { clientArgvBytes, fragmentationOf, getMemoryOverheadData, multiStateBytes } from "./memory.ts";
import { bytesToText } from "./db/bytes.ts";
import { TRACKING_BCAST, TRACKING_BROKEN_REDIR, TRACKING_ON } from "./tracking.ts";

const DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, 8), "commandstats", "errorstats", "latencystats", "cluster", "keyspace"];

/** Human form of a byte count, as Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ["K", "M", "G", "T", "P", "E"];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(2)}${units[i]}`;
}

function sectionServer(server: Server): string[] {
  const now = Date.now();
  const uptime = Math.floor((now - server.startTime) / 1000);
  return [
    `redis_version:${REDIS_VERSION}`,
    `bunker_version:${BUNKER_VERSION}`,
    "redis_git_sha1:00000000",
    "redis_git_dirty:0",
    `redis_build_id:bunker-${BUNKER_VERSION}`,
    "redis_mode:standalone",
    `os:${osType()} ${release()} ${arch() === "x64" ? "x86_64" : arch()}`,
    "arch_bits:64",
    "monotonic_clock:POSIX clock_gettime",
    "multiplexing_api:epoll",
    "atomicvar_api:c11-builtin",
    `gcc_version:0.0.0`,
    `bun_version:${Bun.version}`,
    `process_id:${process.pid}`,
    "process_supervised:no",
    `run_id:${server.runId}`,
    `tcp_port:${server.port}`,
    `server_time_usec:${now * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${server.config.getNumber("hz")}`,
    `configured_hz:${server.config.getNumber("hz")}`,
    `lru_clock:${Math.floor(now / 1000) & ((1 << 24) - 1)}`,
    `executable:${process.argv[1] ?? ""}`,
    `config_file:${server.config.configFile ?? ""}`,
    "io_threads_active:0",
  ];
}

function sectionClients(server: Server): string[] {
  // getExpansiveClientsInfo: the peaks of the last seconds, as the cron saw them.
  const maxInput = Math.max(...server.clientsPeakMemInput);
  const maxOutput = Math.max(...server.clientsPeakMemOutput);
  let inTimeoutTable = 0;
  for (const client of server.blocking.blockedClients) if ((client.blocked?.timeoutAt ?? 0) > 0) inTimeoutTable++;
  return [
    // Replicas are not counted (listLength(server.clients) - listLength(server.slaves)).
    `connected_clients:${server.clients.size - server.replication.replicas.length}`,
    "cluster_connections:0",
    `maxclients:${server.config.getNumber("maxclients")}`,
    `client_recent_max_input_buffer:${maxInput}`,
    `client_recent_max_output_buffer:${maxOutput}`,
    `blocked_clients:${server.blocking.blockedCount}`,
    `tracking_clients:${server.tracking.clients}`,
    `clients_in_timeout_table:${inTimeoutTable}`,
  ];
}

function sectionMemory(server: Server): string[] {
  const overhead = getMemoryOverheadData(server);
  const used = overhead.totalAllocated;
  const { rss, heap, ratio: fragmentation } = fragmentationOf(overhead);
  const scripting = server.scripting;
  const vmEval = scripting.evalScripts.vmMemory;
  const scriptsEval = scripting.evalScripts.cacheMemory;
  const vmFunctions = scripting.functions.vmMemory;
  const functionsOverhead = scripting.functions.overheadMemory;
  const peak = overhead.peakAllocated;
  const startup = overhead.startupAllocated;
  const maxmemory = server.config.getNumber("maxmemory");
  const netUsage = used > startup ? used - startup : 1;
  return [
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${bytesToHuman(rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${((used / Math.max(1, peak)) * 100).toFixed(2)}%`,
    `used_memory_overhead:${overhead.overheadTotal}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${overhead.dataset}`,
    `used_memory_dataset_perc:${((overhead.dataset * 100) / netUsage).toFixed(2)}%`,
    `allocator_allocated:${heap}`,
    `allocator_active:${heap}`,
    `allocator_resident:${rss}`,
    `total_system_memory:${totalmem()}`,
    `total_system_memory_human:${bytesToHuman(totalmem())}`,
    `used_memory_lua:${vmEval}`,
    `used_memory_vm_eval:${vmEval}`,
    `used_memory_lua_human:${bytesToHuman(vmEval)}`,
    `used_memory_scripts_eval:${scriptsEval}`,
    `number_of_cached_scripts:${scripting.evalScripts.count}`,
    `number_of_functions:${scripting.functions.functionCount}`,
    `number_of_libraries:${scripting.functions.libraries.size}`,
    `used_memory_vm_functions:${vmFunctions}`,
    `used_memory_vm_total:${vmEval + vmFunctions}`,
    `used_memory_vm_total_human:${bytesToHuman(vmEval + vmFunctions)}`,
    `used_memory_functions:${functionsOverhead}`,
    `used_memory_scripts:${scriptsEval + functionsOverhead}`,
    `used_memory_scripts_human:${bytesToHuman(scriptsEval + functionsOverhead)}`,
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${server.config.getString("maxmemory-policy")}`,
    "allocator_frag_ratio:1.00",
    "allocator_frag_bytes:0",
    `allocator_rss_ratio:${(rss / Math.max(1, heap)).toFixed(2)}`,
    `allocator_rss_bytes:${rss - heap}`,
    "rss_overhead_ratio:1.00",
    "rss_overhead_bytes:0",
    `mem_fragmentation_ratio:${fragmentation.toFixed(2)}`,
    `mem_fragmentation_bytes:${rss - used}`,
    `mem_not_counted_for_evict:${overhead.notCountedForEvict}`,
    `mem_replication_backlog:${overhead.replBacklog}`,
    `mem_total_replication_buffers:${overhead.replBuffers}`,
    `mem_clients_slaves:${overhead.clientsSlaves}`,
    `mem_clients_normal:${overhead.clientsNormal}`,
    "mem_cluster_links:0",
    `mem_aof_buffer:${overhead.aofBuffer}`,
    "mem_allocator:bun-jsc",
    "active_defrag_running:0",
    "lazyfree_pending_objects:0",
    "lazyfreed_objects:0",
  ];
}

function sectionStats(server: Server): string[] {
  const stats = server.stats;
  const keyspace = server.keyspaceStats();
  const samples = stats.samples;
  let opsPerSec = 0;
  let inputKbps = 0;
  let outputKbps = 0;
  if (samples.length >= 2) {
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const seconds = (last[0] - first[0]) / 1000;
    if (seconds > 0) {
      opsPerSec = Math.round((last[1] - first[1]) / seconds);
      inputKbps = (last[2] - first[2]) / seconds / 1024;
      outputKbps = (last[3] - first[3]) / seconds / 1024;
    }
  }
  const persistence = server.persistence;
  return [
    `total_connections_received:${stats.totalConnections}`,
    `total_commands_processed:${stats.totalCommands}`,
    `instantaneous_ops_per_sec:${opsPerSec}`,
    `total_net_input_bytes:${stats.netInputBytes}`,
    `total_net_output_bytes:${stats.netOutputBytes}`,
    `total_net_repl_input_bytes:${server.masterLink.netInputBytes}`,
    `total_net_repl_output_bytes:${server.replication.netOutputBytes}`,
    `instantaneous_input_kbps:${inputKbps.toFixed(2)}`,
    `instantaneous_output_kbps:${outputKbps.toFixed(2)}`,
    "instantaneous_input_repl_kbps:0.00",
    "instantaneous_output_repl_kbps:0.00",
    `rejected_connections:${stats.rejectedConnections}`,
    `sync_full:${server.master.syncFull}`,
    `sync_partial_ok:${server.master.syncPartialOk}`,
    `sync_partial_err:${server.master.syncPartialErr}`,
    `expired_keys:${keyspace.expired}`,
    "expired_stale_perc:0.00",
    "expired_time_cap_reached_count:0",
    "expire_cycle_cpu_milliseconds:0",
    `evicted_keys:${stats.evictedKeys}`,
    `evicted_clients:${server.evictor.evictedClients}`,
    `total_eviction_exceeded_time:${Math.floor(server.evictor.totalEvictionExceededTime + server.evictor.currentEvictionExceededTime)}`,
    `current_eviction_exceeded_time:${Math.floor(server.evictor.currentEvictionExceededTime)}`,
    `keyspace_hits:${keyspace.hits}`,
    `keyspace_misses:${keyspace.misses}`,
    `pubsub_channels:${server.pubsub.channels.size}`,
    `pubsub_patterns:${server.pubsub.patterns.size}`,
    `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
    `latest_fork_usec:${persistence.childSlot.latestForkMicros}`,
    `total_forks:${persistence.childSlot.totalForks}`,
    "migrate_cached_sockets:0",
    "slave_expires_tracked_keys:0",
    "active_defrag_hits:0",
    "active_defrag_misses:0",
    "active_defrag_key_hits:0",
    "active_defrag_key_misses:0",
    "total_active_defrag_time:0",
    "current_active_defrag_time:0",
    `tracking_total_keys:${server.tracking.totalKeys}`,
    `tracking_total_items:${server.tracking.totalItemCount}`,
    `tracking_total_prefixes:${server.tracking.totalPrefixes}`,
    `unexpected_error_replies:${stats.unexpectedErrorReplies}`,
    `total_error_replies:${stats.totalErrorReplies}`,
    "dump_payload_sanitizations:0",
    `total_reads_processed:${stats.readsProcessed}`,
    `total_writes_processed:${stats.writesProcessed}`,
    "io_threaded_reads_processed:0",
    "io_threaded_writes_processed:0",
    `reply_buffer_shrinks:${stats.replyBufferShrinks}`,
    `reply_buffer_expands:${stats.replyBufferExpands}`,
  ];
}

function sectionReplication(server: Server): string[] {
  const repl = server.replication;
  const backlog = repl.backlog;
  const lines = [`role:${repl.isReplica ? "slave" : "master"}`, ...server.masterLink.infoFields(), `connected_slaves:${repl.replicas.length}`];
  const goodReplicas = server.master.goodReplicasInfo();
  if (goodReplicas !== null) lines.push(goodReplicas);
  const nowSec = Math.floor(Date.now() / 1000);
  let id = 0;
  for (const replica of repl.replicas) {
    const link = replica.replica!;
    const ip = replicaIp(replica);
    const lag = link.state === "online" ? nowSec - Math.floor(link.ackTimeMs / 1000) : 0;
    lines.push(`slave${id++}:ip=${ip},port=${link.listeningPort},state=${replicaStateName(link.state)},offset=${link.ackOffset},lag=${lag}`);
  }
  lines.push(
    "master_failover_state:no-failover",
    `master_replid:${repl.replid}`,
    `master_replid2:${repl.replid2}`,
    `master_repl_offset:${repl.masterReplOffset}`,
    `second_repl_offset:${repl.secondReplidOffset}`,
    `repl_backlog_active:${backlog === null ? 0 : 1}`,
    `repl_backlog_size:${server.config.getNumber("repl-backlog-size")}`,
    `repl_backlog_first_byte_offset:${backlog === null ? 0 : backlog.offset}`,
    `repl_backlog_histlen:${backlog === null ? 0 : backlog.histlen}`,
  );
  return lines;
}


function sectionCpu(server: Server): string[] {
  const usage = process.cpuUsage();
  const children = server.persistence.childSlot.childrenCpu;
  const seconds = (micros: number) => (micros / 1e6).toFixed(6);
  return [
    `used_cpu_sys:${seconds(usage.system)}`,
    `used_cpu_user:${seconds(usage.user)}`,
    `used_cpu_sys_children:${seconds(children.system)}`,
    `used_cpu_user_children:${seconds(children.user)}`,
    `used_cpu_sys_main_thread:${seconds(usage.system)}`,
    `used_cpu_user_main_thread:${seconds(usage.user)}`,
  ];
}

function sectionCommandstats(server: Server): string[] {
  const lines: string[] = [];
  for (const command of server.table.all()) {
    if (command.calls === 0 && command.rejectedCalls === 0 && command.failedCalls === 0) continue;
    const perCall = command.calls === 0 ? 0 : command.microseconds / command.calls;
    lines.push(
      `cmdstat_${command.fullName}:calls=${command.calls},usec=${command.microseconds},usec_per_call=${perCall.toFixed(2)},rejected_calls=${command.rejectedCalls},failed_calls=${command.failedCalls}`,
    );
  }
  return lines;
}

function sectionErrorstats(server: Server): string[] {
  const lines: string[] = [];
  // Redis keeps the codes in a radix tree: listed in byte order, not in order of appearance.
  const codes = [...server.stats.errorCounts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const code of codes) lines.push(`errorstat_${code}:count=${server.stats.errorCounts.get(code)}`);
  return lines;
}

function sectionKeyspace(server: Server): string[] {
  const lines: string[] = [];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    lines.push(`db${db.index}:keys=${db.size},expires=${db.expiresCount},avg_ttl=${Math.round(db.avgTtl)}`);
  }
  return lines;
}

/**
 * Latencystats: per command with a latency histogram, the latency-tracking-info-percentiles
 * in µs (the highest value of the histogram bucket each falls in, as Redis reports it).
 */
function sectionLatencystats(server: Server): string[] {
  if (!server.latencyTracking) return [];
  const labels = server.config.getString("latency-tracking-info-percentiles").split(" ").filter((label) => label !== "");
  const lines: string[] = [];
  for (const command of server.table.all()) {
    const histogram = command.latencyHistogram;
    if (histogram === null) continue;
    const fields = labels.map((label) => `p${label}=${(histogram.valueAtPercentile(Number(label)) / 1000).toFixed(3)}`);
    lines.push(`latency_percentiles_usec_${command.fullName}:${fields.join(",")}`);
  }
  return lines;
}

const SECTIONS: Record<string, [title: string, build: (server: Server) => string[]]> = {
  server: ["Server", sectionServer],
  clients: ["Clients", sectionClients],
  memory: ["Memory", sectionMemory],
  persistence: ["Persistence", (s) => s.persistence.infoFields()],
  stats: ["Stats", sectionStats],
  replication: ["Replication", sectionReplication],
  cpu: ["CPU", sectionCpu],
  modules: ["Modules", () => []],
  commandstats: ["Commandstats", sectionCommandstats],
  errorstats: ["Errorstats", sectionErrorstats],
  latencystats: ["Latencystats", sectionLatencystats],
  cluster: ["Cluster", () => ["cluster_enabled:0"]],
  keyspace: ["Keyspace", sectionKeyspace],
};

/** genRedisInfoString: the requested sections (lower-case names, or default/all/everything). */
export function buildInfo(server: Server, requested: string[]): string {
  let names: string[];
  if (requested.length === 0) names = DEFAULT_SECTIONS;
  else {
    const wanted = new Set<string>();
    for (const name of requested) {
      if (name === "default") DEFAULT_SECTIONS.forEach((s) => wanted.add(s));
      else if (name === "all" || name === "everything") ALL_SECTIONS.forEach((s) => wanted.add(s));
      else wanted.add(name);
    }
    names = ALL_SECTIONS.filter((s) => wanted.has(s));
  }
  const blocks: string[] = [];
  for (const name of names) {
    const section = SECTIONS[name];
    if (section === undefined) continue;
    const [title, build] = section;
    const lines = build(server);
    blocks.push(`# ${title}\r\n` + lines.map((l) => l + "\r\n").join(""));
  }
  return blocks.join("\r\n");
}

/** Client description used by CLIENT LIST / CLIENT INFO. */
export function describeClientLine(server: Server, client: import("./net/client.ts").Client): string {
  const now = Date.now();
  let flags = "";
  if (client.replica !== null) flags += "S";
  if (client === server.masterLink.master) flags += "M";
  if (client.inMulti) flags += "x";
  if (client.blocked !== null) flags += "b";
  if (client.trackingFlags & TRACKING_ON) flags += "t";
  if (client.trackingFlags & TRACKING_BROKEN_REDIR) flags += "R";
  if (client.trackingFlags & TRACKING_BCAST) flags += "B";
  if (client.dirtyCas) flags += "d";
  if (client.closeAfterReply) flags += "c";
  if (client.isUnixSocket) flags += "U";
  if (client.subscriptionCount > 0 || client.shardChannels.size > 0) flags += "P";
  if (client.noEvict) flags += "e";
  if (client.monitor) flags += "O";
  if (flags === "") flags = "N";
  const qbuf = client.parser.queryBufferLength;
  const qbufFree = client.parser.queryBufferFree;
  const name = client.name === null ? "" : bytesToText(client.name);
  const multiMem = multiStateBytes(client);
  const argvMem = clientArgvBytes(client);
  // A client without a socket (the AOF loader's, a script's) has no descriptor, as in Redis.
  const fd = (client.socket as unknown as { fd?: number } | null)?.fd ?? -1;
  // obl: bytes waiting in the reply buffer (Redis's bufpos); oll/omem: the blocks the
  // socket has not taken yet (Redis's reply list).
  const obl = client.reply.length;
  const omem = client.pendingBytes;
  return (
    `id=${client.id} addr=${client.address} laddr=${client.localAddress} fd=${fd} name=${name} ` +
    `age=${Math.floor((now - client.createdAt) / 1000)} idle=${Math.floor((now - client.lastInteraction) / 1000)} flags=${flags} ` +
    `db=${client.dbIndex} sub=${client.channels.size} psub=${client.patterns.size} ssub=${client.shardChannels.size} ` +
    `multi=${client.inMulti ? client.multiQueue.length : -1} qbuf=${qbuf} qbuf-free=${qbufFree} argv-mem=${argvMem} multi-mem=${multiMem} ` +
    `rbs=${client.replyBufferSize} rbp=${client.replyBufferPeak} obl=${obl} oll=${client.outputBlocks} omem=${omem} ` +
    `tot-mem=${qbuf + qbufFree + argvMem + client.replyBufferSize + omem + multiMem} events=r${omem > 0 ? "w" : ""} ` +
    `cmd=${client.lastCommandName} user=default redir=${client.trackingFlags & TRACKING_ON ? client.trackingRedirection : -1} resp=${client.reply.resp}`
  );
}

