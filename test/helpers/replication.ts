// Replication in tests: a Bunker master with real redis-server replicas, and the waits
// that tell when a replica has caught up (its offset equals the master's and both
// datasets have the same DEBUG DIGEST).

import { RawClient, startBunker, startRedis, type RunningServer, type StartOptions } from "./server.ts";
import { info } from "./info.ts";
import { waitFor } from "./wait.ts";
import { datasetDigest } from "./sequence-runner.ts";

/** Bunker as a master: DEBUG enabled (DEBUG DIGEST, POPULATE), a diskless sync without delay. */
export function startBunkerMaster(args: string[] = [], options: StartOptions = {}): Promise<RunningServer> {
  return startBunker({ ...options, args: ["--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0", ...args] });
}

/** A redis-server replica of the server on `masterPort`. */
export function startRedisReplica(masterPort: number, args: string[] = [], options: StartOptions = {}): Promise<RunningServer> {
  return startRedis({ ...options, args: ["--enable-debug-command", "yes", "--replicaof", "127.0.0.1", String(masterPort), ...args] });
}

/** Waits until the replica's link is up and it processed everything the master has sent. */
export async function waitReplicaInSync(master: RunningServer, replica: RunningServer): Promise<void> {
  const masterClient = await RawClient.connect(master.port);
  const replicaClient = await RawClient.connect(replica.port);
  try {
    await waitFor(
      async () => {
        const replicaInfo = await info(replicaClient, "replication");
        if (replicaInfo.get("master_link_status") !== "up") return false;
        const masterOffset = (await info(masterClient, "replication")).get("master_repl_offset");
        return replicaInfo.get("master_repl_offset") === masterOffset;
      },
      { what: `the replica on port ${replica.port} to catch up with the master` },
    );
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
