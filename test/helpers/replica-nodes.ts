// Replication in tests (the replica side): a master and its replicas (Bunker or redis-server), waiting until
// a replica has applied everything its master sent, and a dataset of every type to sync.

import { RawClient, startBunker, startRedis, type RunningServer, type StartOptions } from "./server.ts";
import { info } from "./info.ts";
import { waitFor } from "./wait.ts";

export interface Node {
  server: RunningServer;
  client: RawClient;
}

/** Options every test master gets: no delay before a diskless sync, DEBUG allowed. */
export const MASTER_ARGS = ["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"];

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

/**
 * Waits until `replica`'s link is up and it has applied everything `master` has sent
 * (slave_repl_offset equals the master's master_repl_offset).
 */
export async function waitInSync(master: Node, replica: Node): Promise<void> {
  await waitFor(
    async () => {
      const m = await info(master.client, "replication");
      const r = await info(replica.client, "replication");
      return r.get("master_link_status") === "up" && r.get("slave_repl_offset") === m.get("master_repl_offset");
    },
    { what: `the replica on port ${replica.server.port} to catch up with its master` },
  );
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
