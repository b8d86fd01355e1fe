// Replication in tests: masters and replicas (Bunker or redis-server), the waits that
// tell when a replica has caught up (its link is up and its offset is its master's),
// datasets of every type to sync, and the servers a test file starts and stops.
//
// Two ways to hold a server: a RunningServer (the master-side tests: startBunkerMaster,
// startRedisReplica, useReplicationServers) or a Node, a server with a connected client
// (the replica-side tests: redisNode, bunkerNode, bunkerReplicaOf, redisReplicaOf).

import { afterEach } from "bun:test";
import { RawClient, startBunker, startRedis, type RunningServer, type StartOptions } from "./server.ts";
import { info } from "./info.ts";
import { waitFor } from "./wait.ts";
import { datasetDigest } from "./sequence-runner.ts";

/** Options every test master gets: no delay before a diskless sync, DEBUG allowed. */
export const MASTER_ARGS = ["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"];

/** Bunker as a master: DEBUG enabled (DEBUG DIGEST, POPULATE), a diskless sync without delay. */
export function startBunkerMaster(args: string[] = [], options: StartOptions = {}): Promise<RunningServer> {
  return startBunker({ ...options, args: [...MASTER_ARGS, ...args] });
}

/** A redis-server replica of the server on `masterPort`. */
export function startRedisReplica(masterPort: number, args: string[] = [], options: StartOptions = {}): Promise<RunningServer> {
  return startRedis({ ...options, args: ["--enable-debug-command", "yes", "--replicaof", "127.0.0.1", String(masterPort), ...args] });
}

/**
 * Waits until the replica's link is up and it has applied everything its master sent:
 * its offset (master_repl_offset, which a replica keeps as its master's) is the master's.
 */
async function waitOffsetsMatch(masterClient: RawClient, replicaClient: RawClient, replicaPort: number): Promise<void> {
  await waitFor(
    async () => {
      const replicaInfo = await info(replicaClient, "replication");
      if (replicaInfo.get("master_link_status") !== "up") return false;
      return replicaInfo.get("master_repl_offset") === (await info(masterClient, "replication")).get("master_repl_offset");
    },
    { what: `the replica on port ${replicaPort} to catch up with its master` },
  );
}

/** waitOffsetsMatch for two RunningServers, on connections of its own. */
export async function waitReplicaInSync(master: RunningServer, replica: RunningServer): Promise<void> {
  const masterClient = await RawClient.connect(master.port);
  const replicaClient = await RawClient.connect(replica.port);
  try {
    await waitOffsetsMatch(masterClient, replicaClient, replica.port);
  } finally {
    masterClient.close();
    replicaClient.close();
  }
}

/** Waits until both have caught up and returns the common digest (throws if they differ). */
export async function expectSameDataset(master: RunningServer, replica: RunningServer): Promise<string> {
  await waitReplicaInSync(master, replica);
  // The digest scans first (SCAN expires on the master: the DELs must reach the replica).
  const masterDigest = await datasetDigest(master.port);
  await waitReplicaInSync(master, replica);
  const replicaDigest = await datasetDigest(replica.port);
  if (masterDigest !== replicaDigest) throw new Error(`digests differ: master ${masterDigest}, replica ${replicaDigest}`);
  return masterDigest!;
}

/** Some keys of every type, with big collections (they take the encodings of large values). */
export async function fillEveryType(client: RawClient, big = 2000): Promise<void> {
  await client.call("DEBUG", "POPULATE", "1000", "str", "16");
  await client.call("SET", "int", "12345");
  await client.call("SET", "ttl", "v", "EX", "100000");
  const members: string[] = [];
  for (let i = 0; i < big; i++) members.push(`m${i}`);
  await client.call("RPUSH", "biglist", ...members);
  await client.call("SADD", "bigset", ...members);
  await client.call("SADD", "intset", "1", "2", "3");
  await client.call("HSET", "bighash", ...members.flatMap((m, i) => [m, String(i)]));
  await client.call("HSET", "smallhash", "a", "1");
  await client.call("ZADD", "bigzset", ...members.flatMap((m, i) => [String(i / 3), m]));
  await client.call("ZADD", "smallzset", "1", "a");
  for (let i = 0; i < 200; i++) await client.call("XADD", "stream", "*", "f", String(i));
  await client.call("XGROUP", "CREATE", "stream", "g", "0");
  await client.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "stream", ">");
  await client.call("PFADD", "hll", "a", "b", "c");
  await client.call("SELECT", "3");
  await client.call("SET", "in-db-3", "x");
  await client.call("SELECT", "0");
}

export interface Node {
  server: RunningServer;
  client: RawClient;
}

export async function redisNode(args: string[] = [], options: StartOptions = {}): Promise<Node> {
  const server = await startRedis({ ...options, args: [...MASTER_ARGS, ...args] });
  return { server, client: await RawClient.connect(server.port) };
}

export async function bunkerNode(args: string[] = [], options: StartOptions = {}): Promise<Node> {
  const server = await startBunker({ ...options, args: ["--enable-debug-command", "yes", ...args] });
  return { server, client: await RawClient.connect(server.port) };
}

/** A replica of `master` (started with --replicaof). */
export function bunkerReplicaOf(master: Node, args: string[] = [], options: StartOptions = {}): Promise<Node> {
  return bunkerNode(["--replicaof", "127.0.0.1", String(master.server.port), ...args], options);
}

export function redisReplicaOf(master: Node, args: string[] = [], options: StartOptions = {}): Promise<Node> {
  return redisNode(["--replicaof", "127.0.0.1", String(master.server.port), ...args], options);
}

export async function stopAll(...nodes: Array<Node | null | undefined>): Promise<void> {
  for (const node of nodes) {
    if (!node) continue;
    node.client.close();
    await node.server.stop();
  }
}

/** waitOffsetsMatch for two Nodes. */
export async function waitInSync(master: Node, replica: Node): Promise<void> {
  await waitOffsetsMatch(master.client, replica.client, replica.server.port);
}

export async function digest(node: Node): Promise<string> {
  return String(await node.client.call("DEBUG", "DIGEST"));
}

/** Keys of every type and encoding, small and big, some with TTLs, in databases 0 and 3. */
export async function populate(client: RawClient, size = 600): Promise<void> {
  const big = (prefix: string) => Array.from({ length: size }, (_, i) => `${prefix}${i}`);
  for (const db of ["0", "3"]) {
    await client.call("SELECT", db);
    await client.call("SET", "int", "12345");
    await client.call("SET", "embstr", "hello");
    await client.call("SET", "raw", "x".repeat(3000));
    await client.call("SET", "ttl", "v", "PX", "100000000");
    await client.call("RPUSH", "list", "a", "b", "c");
    await client.call("RPUSH", "biglist", ...big("e"));
    await client.call("HSET", "hash", "f", "v", "g", "w");
    await client.call("HSET", "bighash", ...big("f").flatMap((f) => [f, `v${f}`]));
    await client.call("SADD", "intset", "1", "2", "3");
    await client.call("SADD", "set", "a", "b");
    await client.call("SADD", "bigset", ...big("m"));
    await client.call("ZADD", "zset", "1", "a", "2", "b");
    await client.call("ZADD", "bigzset", ...big("z").flatMap((m, i) => [String(i / 3), m]));
    await client.call("XADD", "stream", "1-1", "f", "v");
    await client.call("XADD", "stream", "2-1", "f", "w");
    await client.call("XGROUP", "CREATE", "stream", "g", "0");
    await client.call("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "stream", ">");
    await client.call("PFADD", "hll", "a", "b", "c");
    await client.call("EXPIRE", "bighash", "100000");
  }
  await client.call("SELECT", "0");
}

/**
 * The servers and clients of a test file, stopped and closed after each test: `track`
 * adopts a server as it starts, `connect` opens a client to one.
 */
export function useReplicationServers(): { track(started: Promise<RunningServer>): Promise<RunningServer>; connect(server: RunningServer): Promise<RawClient> } {
  const servers: RunningServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const server of servers.splice(0).reverse()) await server.stop();
  });
  return {
    async track(started) {
      const server = await started;
      servers.push(server);
      return server;
    },
    async connect(server) {
      const client = await RawClient.connect(server.port);
      clients.push(client);
      return client;
    },
  };
}
