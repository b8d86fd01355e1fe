// Failover by the real Redis Sentinel: three `redis-sentinel` processes monitor a Bunker
// master with two Bunker replicas, as docs/deploy.md deploys them. The master is killed
// with SIGKILL; Sentinel must promote a replica (REPLICAOF NO ONE inside its MULTI with
// CONFIG REWRITE and CLIENT KILL), point the other replica at it, and, when the old master
// comes back, make it a replica. A Sentinel-aware ioredis client keeps working, and no
// write that WAIT reported as held by both replicas is lost.
//
// SENTINEL_TEST_SERVER=redis runs the same scenario with redis-server in Bunker's place,
// to check the scenario itself against the reference.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { freePort, MAIN, RawClient, REDIS_SERVER, startProcess, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const SENTINEL = Bun.which("redis-sentinel") ?? (REDIS_SERVER === undefined ? undefined : "/usr/bin/redis-sentinel");
const useRedis = process.env.SENTINEL_TEST_SERVER === "redis";
const FAILOVER_DEADLINE_MS = 90_000;

interface Node {
  port: number;
  conf: string;
  dir: string;
  server: RunningServer;
}

const running: RunningServer[] = [];
const sentinelServers: RunningServer[] = [];
const dirs: string[] = [];
const clients: Array<{ disconnect(): void } | RawClient> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client instanceof RawClient ? client.close() : client.disconnect();
  await Promise.all(running.splice(0).map((server) => server.stop()));
  sentinelServers.length = 0;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function serverCommand(conf: string): string[] {
  return useRedis ? [REDIS_SERVER!, conf] : [process.execPath, MAIN, conf];
}

/** A data node started from a config file of its own, which Sentinel's CONFIG REWRITE updates. */
async function startNode(lines: string[], port = freePort(), dir?: string): Promise<Node> {
  const nodeDir = dir ?? mkdtempSync(join(tmpdir(), "bunker-sentinel-node-"));
  if (dir === undefined) dirs.push(nodeDir);
  const conf = join(nodeDir, "node.conf");
  if (dir === undefined) writeFileSync(conf, [`port ${port}`, "bind 127.0.0.1", `dir ${nodeDir}`, 'save ""', ...lines, ""].join("\n"));
  const server = await startProcess(serverCommand(conf), port, nodeDir);
  running.push(server);
  return { port, conf, dir: nodeDir, server };
}

async function startSentinel(masterPort: number): Promise<number> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "bunker-sentinel-"));
  dirs.push(dir);
  const conf = join(dir, "sentinel.conf");
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
      "sentinel down-after-milliseconds mymaster 2000",
      "sentinel failover-timeout mymaster 10000",
      "sentinel parallel-syncs mymaster 1",
      "",
    ].join("\n"),
  );
  const sentinel = await startProcess([SENTINEL!, conf], port, dir);
  running.push(sentinel);
  sentinelServers.push(sentinel);
  return port;
}

async function connect(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  clients.push(client);
  return client;
}

async function info(port: number, section: string): Promise<Record<string, string>> {
  const client = await RawClient.connect(port);
  try {
    const text = String(await client.call("INFO", section));
    return Object.fromEntries(text.split("\r\n").filter((line) => line.includes(":")).map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]));
  } finally {
    client.close();
  }
}

/**
 * Every node but the master `masterPort()` names is its replica, linked, and has applied
 * all the master sent; returns that master's port. If they never are, the error carries
 * what was seen last and the logs of the nodes and of the Sentinels (whether they
 * converted a node, what its link did).
 */
async function waitReplicasInSync(nodes: Node[], masterPort: () => Promise<number>): Promise<number> {
  let last: unknown = null;
  try {
    return await waitFor(
      async () => {
        const port = await masterPort();
        const master = await info(port, "replication").catch(() => null);
        last = { master: port, state: master };
        if (master === null || master.role !== "master") return false;
        for (const node of nodes) {
          if (node.port === port) continue;
          const state = await info(node.port, "replication").catch(() => null);
          last = { master: port, masterOffset: master.master_repl_offset, replica: node.port, state };
          if (state === null || state.role !== "slave" || state.master_port !== String(port) || state.master_link_status !== "up") return false;
          if (state.slave_repl_offset !== master.master_repl_offset) return false;
        }
        return port;
      },
      { what: `the nodes on ${nodes.map((node) => node.port).join(", ")} in sync with their master`, timeoutMs: FAILOVER_DEADLINE_MS },
    );
  } catch (error) {
    const tail = (output: string) => output.split("\n").slice(-40).join("\n");
    const logs = [...nodes.map((node) => `--- node ${node.port}\n${tail(node.server.output())}`), ...sentinelServers.map((sentinel) => `--- Sentinel ${sentinel.port}\n${tail(sentinel.output())}`)];
    throw new Error(`${(error as Error).message}\nlast seen: ${JSON.stringify(last)}\n${logs.join("\n")}`);
  }
}

async function digest(port: number): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    return String(await client.call("DEBUG", "DIGEST"));
  } finally {
    client.close();
  }
}

async function masterAddress(sentinelPort: number): Promise<number> {
  const client = await RawClient.connect(sentinelPort);
  try {
    const reply = (await client.call("SENTINEL", "get-master-addr-by-name", "mymaster")) as string[];
    return Number(reply[1]);
  } finally {
    client.close();
  }
}

describe.skipIf(SENTINEL === undefined || REDIS_SERVER === undefined)("Redis Sentinel with a Bunker master and two Bunker replicas", () => {
  test(
    "a SIGKILLed master is replaced, clients follow, no WAIT-acknowledged write is lost, the old master rejoins as a replica",
    async () => {
      const master = await startNode([]);
      const replicas = [await startNode([`replicaof 127.0.0.1 ${master.port}`]), await startNode([`replicaof 127.0.0.1 ${master.port}`])];
      await waitReplicasInSync(replicas, async () => master.port);

      const sentinels = [await startSentinel(master.port), await startSentinel(master.port), await startSentinel(master.port)];
      // Each Sentinel must know both replicas and the two other Sentinels before a failover
      // can be authorised (quorum 2, a majority to elect the leader).
      for (const port of sentinels) {
        const sentinel = await connect(port);
        await waitFor(
          async () => {
            const known = (await sentinel.call("SENTINEL", "replicas", "mymaster")) as unknown[];
            const peers = (await sentinel.call("SENTINEL", "sentinels", "mymaster")) as unknown[];
            return known.length === 2 && peers.length === 2;
          },
          { what: `Sentinel ${port} to discover the replicas and the other Sentinels`, timeoutMs: FAILOVER_DEADLINE_MS },
        );
      }

      const client = new Redis({
        sentinels: sentinels.map((port) => ({ host: "127.0.0.1", port })),
        name: "mymaster",
        maxRetriesPerRequest: null,
        retryStrategy: () => 100,
        sentinelRetryStrategy: () => 100,
      });
      // Connections refused while the master is down are expected; the client retries.
      client.on("error", () => {});
      clients.push(client);
      const acknowledged: string[] = [];
      for (let i = 0; i < 100; i++) {
        await client.set(`key:${i}`, `value:${i}`);
        const held = await client.wait(2, 5000);
        expect(held).toBe(2);
        acknowledged.push(`key:${i}`);
      }

      master.server.proc.kill("SIGKILL");
      await master.server.exited;
      const promoted = await waitFor(
        async () => {
          const port = await masterAddress(sentinels[0]!).catch(() => master.port);
          return port !== master.port ? port : false;
        },
        { what: "Sentinel to promote a replica", timeoutMs: FAILOVER_DEADLINE_MS },
      );
      expect(replicas.map((replica) => replica.port)).toContain(promoted);
      await waitFor(async () => (await info(promoted, "replication")).role === "master", { what: "the promoted replica to be a master" });

      // The client finds the new master through Sentinel and writes there.
      await waitFor(
        async () => {
          try {
            await client.set("after:failover", "1");
            return true;
          } catch {
            return false;
          }
        },
        { what: "the Sentinel-aware client to write to the new master", timeoutMs: FAILOVER_DEADLINE_MS },
      );
      const newMaster = await connect(promoted);
      for (const key of acknowledged) expect(await newMaster.call("GET", key)).toBe(`value:${key.slice(4)}`);

      // The other replica, and the old master once it is back with its old config, end as
      // replicas of the master Sentinel names. That may not be `promoted`: a new master that
      // answers a Sentinel's PING after down-after-milliseconds (a loaded machine) is failed
      // over again at once, as Sentinel 7.0 still counts the other Sentinels' votes on the
      // master it replaced.
      const returned = await startNode([], master.port, master.dir);
      const nodes = [...replicas, returned];
      const final = await waitReplicasInSync(nodes, () => masterAddress(sentinels[0]!).catch(() => promoted));
      for (const node of nodes) if (node.port !== final) expect(await digest(node.port)).toBe(await digest(final));
      expect(await connect(returned.port).then((c) => c.call("GET", "after:failover"))).toBe("1");
    },
    { timeout: 300_000 },
  );
});
