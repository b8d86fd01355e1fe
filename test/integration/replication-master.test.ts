// Bunker as the master of the real redis-server 7.0: full sync to disk and diskless,
// the command stream after it (a random sequence of every write command, MULTI/EXEC,
// expiries), a dropped link and its partial resync, the replica restarting, and Bunker
// restarting with its replication history. Datasets are compared with DEBUG DIGEST once
// the replica's offset is the master's.

import { describe, expect, test } from "bun:test";
import { MAIN, REDIS_SERVER, startProcess } from "../helpers/server.ts";
import { info } from "../helpers/info.ts";
import { waitFor } from "../helpers/wait.ts";
import { runSequence } from "../helpers/sequence-runner.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { expectSameDataset, fillEveryType, startBunkerMaster, startRedisReplica, waitReplicaInSync, useReplicationServers } from "../helpers/replication.ts";

const { track, connect } = useReplicationServers();

describe.skipIf(REDIS_SERVER === undefined)("Bunker master, redis-server replica", () => {
  for (const diskless of ["yes", "no"]) {
    test(`full sync (repl-diskless-sync ${diskless}), then a random stream of every write command`, async () => {
      const master = await track(startBunkerMaster(["--repl-diskless-sync", diskless]));
      const client = await connect(master);
      await fillEveryType(client);
      const replica = await track(startRedisReplica(master.port));
      await expectSameDataset(master, replica);
      await master.waitForOutput(`Starting BGSAVE for SYNC with target: ${diskless === "yes" ? "replicas sockets" : "disk"}`);
      await master.waitForOutput("Synchronization with replica 127.0.0.1:");
      const fields = await info(client);
      expect(fields.get("sync_full")).toBe("1");
      expect(fields.get("connected_slaves")).toBe("1");
      expect(fields.get("slave0")).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+$`));
      // The stream: a random sequence in databases 0-3 plus its episodes (blocking pops,
      // lazy expiry, consumer groups, scripts, functions).
      await runSequence(master.port, generateWriteSequence(diskless === "yes" ? 11 : 12, { length: 400, databases: 4, noFlushAll: true }));
      await expectSameDataset(master, replica);
      expect(Number((await info(client, "stats")).get("total_net_repl_output_bytes"))).toBeGreaterThan(0);
    }, 120_000);
  }

  test("MULTI/EXEC and expiries reach the replica; a key expiring on the master is deleted there", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    await client.call("MULTI");
    await client.call("SET", "a", "1");
    await client.call("INCR", "a");
    await client.call("LPUSH", "l", "x", "y");
    await client.call("SET", "short", "v", "PX", "200");
    await client.call("EXPIRE", "l", "100000");
    expect(await client.call("EXEC")).toEqual(["OK", 2, 2, "OK", 1]);
    await client.call("SET", "ex", "v", "EX", "100000");
    await expectSameDataset(master, replica);
    const replicaClient = await connect(replica);
    expect(await replicaClient.call("GET", "a")).toBe("2");
    expect(Number(await replicaClient.call("TTL", "l"))).toBeGreaterThan(99_000);
    // The master's active expiry deletes "short" and replicates the DEL.
    await waitFor(async () => (await replicaClient.call("EXISTS", "short")) === 0 && (await info(replicaClient, "keyspace")).get("db0")?.startsWith("keys=3,"), {
      what: "the expired key to be deleted on the replica",
    });
    await expectSameDataset(master, replica);
  });

  test("a dropped link resyncs partially; a replica restarting with its RDB too", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    await fillEveryType(client, 100);
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    const replicaClient = await connect(replica);
    await replicaClient.call("CLIENT", "KILL", "TYPE", "master");
    await client.call("SET", "after-kill", "1");
    await waitFor(async () => (await info(client, "stats")).get("sync_partial_ok") === "1", { what: "a partial resync" });
    await master.waitForOutput(/Partial resynchronization request from 127\.0\.0\.1:\d+ accepted/);
    await expectSameDataset(master, replica);
    // The replica restarts from its own RDB, which names the master's history: PSYNC continues it.
    await replicaClient.call("SHUTDOWN", "SAVE").catch(() => null);
    await replica.exited;
    const restarted = await track(
      startProcess([REDIS_SERVER!, "--port", String(replica.port), "--bind", "127.0.0.1", "--dir", replica.dir, "--enable-debug-command", "yes", "--replicaof", "127.0.0.1", String(master.port)], replica.port, replica.dir),
    );
    await client.call("SET", "after-restart", "1");
    await waitFor(async () => (await info(client, "stats")).get("sync_partial_ok") === "2", { what: "the restarted replica's partial resync" });
    expect((await info(client, "stats")).get("sync_full")).toBe("1");
    await expectSameDataset(master, restarted);
  });

  test("Bunker restarting keeps its replication history: the replica continues with +CONTINUE", async () => {
    const master = await track(startBunkerMaster(["--repl-diskless-sync", "no"]));
    const client = await connect(master);
    await fillEveryType(client, 100);
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    await client.call("SET", "before", "1");
    await waitReplicaInSync(master, replica);
    const before = await info(client, "replication");
    await client.call("SHUTDOWN", "SAVE").catch(() => null);
    await master.exited;
    const again = await track(startProcess([process.execPath, MAIN, "--port", String(master.port), "--bind", "127.0.0.1", "--enable-debug-command", "yes"], master.port, master.dir));
    const againClient = await connect(again);
    const after = await info(againClient, "replication");
    // loadDataFromDisk: the saved id is the second one, valid up to the saved offset + 1.
    // (SHUTDOWN may have added a REPLCONF GETACK to the stream, waiting for the replica's ACK.)
    expect(after.get("master_replid2")).toBe(before.get("master_replid"));
    expect(Number(after.get("master_repl_offset"))).toBeGreaterThanOrEqual(Number(before.get("master_repl_offset")));
    expect(after.get("second_repl_offset")).toBe(String(Number(after.get("master_repl_offset")) + 1));
    expect(after.get("repl_backlog_active")).toBe("1");
    await waitFor(async () => (await info(againClient, "stats")).get("sync_partial_ok") === "1", { what: "the replica's partial resync after the restart" });
    expect((await info(againClient, "stats")).get("sync_full")).toBe("0");
    await againClient.call("SET", "after", "1");
    await expectSameDataset(again, replica);
  });

  test("a key that expired while Bunker was down is deleted on the replica that continues after the restart", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    await client.call("SET", "keep", "1");
    await client.call("SET", "short", "1", "PX", "1500");
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    await client.call("SHUTDOWN", "SAVE").catch(() => null);
    await master.exited;
    // Time passes while the master is down: the key is past its time when the file loads.
    await Bun.sleep(1600);
    const again = await track(startProcess([process.execPath, MAIN, "--port", String(master.port), "--bind", "127.0.0.1", "--enable-debug-command", "yes"], master.port, master.dir));
    const againClient = await connect(again);
    expect((await info(againClient, "persistence")).get("rdb_last_load_keys_expired")).toBe("1");
    await waitFor(async () => (await info(againClient, "stats")).get("sync_partial_ok") === "1", { what: "the replica's partial resync after the restart" });
    // The replica keeps an expired key until its master's DEL (a replica expires nothing itself).
    const replicaClient = await connect(replica);
    await waitFor(async () => (await replicaClient.call("DBSIZE")) === 1, { what: "the DEL of the expired key on the replica" });
    expect(await replicaClient.call("EXISTS", "keep")).toBe(1);
  });
});
