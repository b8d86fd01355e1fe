// Bunker as a replica of the real redis-server 7.0: full sync (diskless and disk
// masters; repl-diskless-load disabled, on-empty-db, swapdb), the stream of random
// writes of every type, expiries as a replica sees them, a dropped link and PSYNC, a
// replica and a master restarting, REPLICAOF NO ONE. Datasets are compared with
// DEBUG DIGEST once the replica's offset is the master's.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, REDIS_SERVER, freePort, startBunker, startProcess } from "../helpers/server.ts";
import { info, infoField } from "../helpers/info.ts";
import { waitFor } from "../helpers/wait.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { runSequence } from "../helpers/sequence-runner.ts";
import { MASTER_ARGS, bunkerNode, bunkerReplicaOf, digest, populate, redisNode, redisReplicaOf, stopAll, waitInSync, type Node } from "../helpers/replication.ts";

const nodes: Node[] = [];
const dirs: string[] = [];
function track<T extends Node>(node: T): T {
  nodes.push(node);
  return node;
}
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bunker-replica-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await stopAll(...nodes.splice(0));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(REDIS_SERVER === undefined)("Bunker as a replica of redis-server", () => {
  test("full sync from a diskless master, then random writes of every type; the stream is applied and counted", async () => {
    const master = track(await redisNode(["--repl-diskless-sync", "yes"]));
    await populate(master.client);
    const replica = track(await bunkerReplicaOf(master));
    await waitInSync(master, replica);
    expect(await digest(replica)).toBe(await digest(master));
    await replica.server.waitForOutput("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk");
    await replica.server.waitForOutput("MASTER <-> REPLICA sync: Finished with success");

    const steps = generateWriteSequence(18, { length: 300 });
    await runSequence(master.server.port, steps);
    await master.client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    await master.client.call("MULTI");
    await master.client.call("SET", "in-multi", "1");
    await master.client.call("INCR", "in-multi");
    await master.client.call("EXEC");
    await waitInSync(master, replica);
    expect(await digest(replica)).toBe(await digest(master));

    // The master client: flags=M, never answered; the stream counted as replication input.
    const clients = String(await replica.client.call("CLIENT", "LIST"));
    expect(clients).toMatch(new RegExp(`addr=127\\.0\\.0\\.1:${master.server.port} .* flags=M `));
    const stats = await info(replica.client, "stats");
    expect(Number(stats.get("total_net_repl_input_bytes"))).toBeGreaterThan(1000);
    expect(String(await replica.client.call("ROLE"))).toBe(["slave", "127.0.0.1", String(master.server.port), "connected", await infoField(replica.client, "slave_repl_offset")].join(","));
    // WAIT on the master: its REPLCONF GETACK is answered with REPLCONF ACK.
    await master.client.call("SET", "acked", "1");
    expect(await master.client.call("WAIT", "1", "20000")).toBe(1);
    // The master hears REPLCONF ACK with the replica's offset.
    const offset = await infoField(master.client, "master_repl_offset");
    await waitFor(async () => (await infoField(master.client, "slave0")).includes(`offset=${offset},`), { what: "the replica's ACK" });
  });

  test("full sync from a disk master into replicas with repl-diskless-load disabled, on-empty-db and swapdb", async () => {
    const master = track(await redisNode(["--repl-diskless-sync", "no"]));
    await populate(master.client);
    const diskDir = tempDir();
    const disk = track(await bunkerReplicaOf(master, [], { dir: diskDir }));
    const onEmpty = track(await bunkerReplicaOf(master, ["--repl-diskless-load", "on-empty-db"]));
    // swapdb: the old data stays until the new one has loaded.
    const swap = track(await bunkerNode(["--repl-diskless-load", "swapdb"]));
    await swap.client.call("SET", "old", "data");
    expect(await swap.client.call("REPLICAOF", "127.0.0.1", String(master.server.port))).toBe("OK");
    for (const replica of [disk, onEmpty, swap]) await waitInSync(master, replica);
    const expected = await digest(master);
    for (const replica of [disk, onEmpty, swap]) expect(await digest(replica)).toBe(expected);
    await disk.server.waitForOutput(/MASTER <-> REPLICA sync: receiving \d+ bytes from master to disk/);
    expect(existsSync(join(diskDir, "dump.rdb"))).toBe(true);
    await onEmpty.server.waitForOutput(/receiving \d+ bytes from master to parser/);
    await swap.server.waitForOutput("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    expect(await swap.client.call("EXISTS", "old")).toBe(0);

    await runSequence(master.server.port, generateWriteSequence(5, { length: 120 }));
    for (const replica of [disk, onEmpty, swap]) await waitInSync(master, replica);
    const after = await digest(master);
    for (const replica of [disk, onEmpty, swap]) expect(await digest(replica)).toBe(after);
  });

  test("a key expired on the master is hidden on the replica, and deleted when the master's DEL arrives", async () => {
    const master = track(await redisNode());
    await master.client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    const replica = track(await bunkerReplicaOf(master));
    await master.client.call("SET", "short", "v", "PX", "50");
    await master.client.call("SET", "long", "v", "EX", "100000");
    await waitInSync(master, replica);
    // The time passes (the scenario); the master has not looked at the key since.
    await Bun.sleep(120);
    expect(await replica.client.call("GET", "short")).toBe(null);
    expect(await replica.client.call("EXISTS", "short")).toBe(0);
    expect(await replica.client.call("TTL", "short")).toBe(-2);
    // Still stored: the replica does not delete what its master has not.
    expect(await replica.client.call("DBSIZE")).toBe(2);
    expect(await infoField(replica.client, "expired_keys")).toBe("0");
    await master.client.call("GET", "short");
    await waitInSync(master, replica);
    expect(await replica.client.call("DBSIZE")).toBe(1);
    expect(await digest(replica)).toBe(await digest(master));
  });

  test("a dropped link resumes with PSYNC: killed on the master's side, then on the replica's", async () => {
    const master = track(await redisNode());
    await populate(master.client, 50);
    const replica = track(await bunkerReplicaOf(master));
    await waitInSync(master, replica);
    const replid = await infoField(master.client, "master_replid");

    await master.client.call("CLIENT", "KILL", "TYPE", "slave");
    await master.client.call("SET", "while-away", "1");
    await waitInSync(master, replica);
    await replica.server.waitForOutput("Caching the disconnected master state.");
    await replica.server.waitForOutput(`Trying a partial resynchronization (request ${replid}:`);
    await replica.server.waitForOutput("Successful partial resynchronization with master.");
    expect(await infoField(master.client, "sync_partial_ok")).toBe("1");

    expect(await replica.client.call("CLIENT", "KILL", "TYPE", "master")).toBe(1);
    await master.client.call("RPUSH", "list", "x");
    await waitInSync(master, replica);
    expect(await infoField(master.client, "sync_partial_ok")).toBe("2");
    expect(await infoField(master.client, "sync_full")).toBe("1");
    expect(await digest(replica)).toBe(await digest(master));
  });

  test("a replica restarting continues with PSYNC from the replication info its RDB keeps", async () => {
    const master = track(await redisNode());
    await populate(master.client, 50);
    const dir = tempDir();
    const args = ["--replicaof", "127.0.0.1", String(master.server.port), "--enable-debug-command", "yes"];
    const first = await startBunker({ dir, args });
    let client = await RawClient.connect(first.port);
    const replica: Node = { server: first, client };
    await waitInSync(master, replica);
    client.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    await first.exited;
    client.close();
    await master.client.call("SET", "while-down", "1");

    const second = await startBunker({ dir, args });
    client = await RawClient.connect(second.port);
    const restarted = track({ server: second, client });
    await waitInSync(master, restarted);
    await second.waitForOutput("Successful partial resynchronization with master.");
    expect(await infoField(master.client, "sync_partial_ok")).toBe("1");
    expect(await digest(restarted)).toBe(await digest(master));
  });

  test("a master restarting with its RDB: the replica continues with PSYNC", async () => {
    const dir = tempDir();
    const port = freePort();
    const masterArgs = [REDIS_SERVER!, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...MASTER_ARGS];
    const first = await startProcess(masterArgs, port, dir);
    let masterClient = await RawClient.connect(port);
    let master: Node = { server: first, client: masterClient };
    await populate(masterClient, 50);
    const replica = track(await bunkerReplicaOf(master));
    await waitInSync(master, replica);
    masterClient.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    await first.exited;
    masterClient.close();
    await waitFor(async () => (await infoField(replica.client, "master_link_status")) === "down", { what: "the link to go down" });

    const second = await startProcess(masterArgs, port, dir);
    masterClient = await RawClient.connect(port);
    master = track({ server: second, client: masterClient });
    await masterClient.call("SET", "after-restart", "1");
    await waitInSync(master, replica);
    expect(await infoField(masterClient, "sync_partial_ok")).toBe("1");
    expect(await digest(replica)).toBe(await digest(master));
  });

  test("a replica with an AOF starts it over after a full sync (restartAOFAfterSYNC), and the AOF holds the master's data", async () => {
    const master = track(await redisNode());
    await populate(master.client, 50);
    const dir = tempDir();
    const replica = track(await bunkerReplicaOf(master, ["--appendonly", "yes"], { dir }));
    await waitInSync(master, replica);
    await waitFor(async () => {
      const fields = await info(replica.client, "persistence");
      return fields.get("aof_enabled") === "1" && fields.get("aof_rewrite_in_progress") === "0" && fields.get("aof_last_bgrewrite_status") === "ok" && fields.get("aof_rewrite_scheduled") === "0";
    }, { what: "the AOF to be on after the sync" });
    await master.client.call("SET", "after-sync", "1");
    await waitInSync(master, replica);
    const expected = await digest(master);
    expect(await digest(replica)).toBe(expected);
    // The AOF alone (no replicaof) loads the same dataset.
    replica.client.close();
    await replica.server.stop();
    nodes.splice(nodes.indexOf(replica), 1);
    const reloaded = track(await bunkerNode(["--appendonly", "yes"], { dir }));
    expect(await digest(reloaded)).toBe(expected);
  });

  test("moved to a promoted sibling (a failover), the replica continues with PSYNC from the old master's history", async () => {
    const master = track(await redisNode());
    await populate(master.client, 50);
    const sibling = track(await redisReplicaOf(master));
    const replica = track(await bunkerReplicaOf(master));
    await waitInSync(master, sibling);
    await waitInSync(master, replica);
    expect(await sibling.client.call("REPLICAOF", "NO", "ONE")).toBe("OK");
    expect(await replica.client.call("REPLICAOF", "127.0.0.1", String(sibling.server.port))).toBe("OK");
    await sibling.client.call("SET", "after-failover", "1");
    await waitInSync(sibling, replica);
    await replica.server.waitForOutput("Successful partial resynchronization with master.");
    await replica.server.waitForOutput("Master replication ID changed to");
    expect(await infoField(sibling.client, "sync_partial_ok")).toBe("1");
    expect(await infoField(sibling.client, "sync_full")).toBe("0");
    expect(await digest(replica)).toBe(await digest(sibling));
  });

  test("REPLICAOF NO ONE promotes the replica, keeping the master's history as replid2", async () => {
    const master = track(await redisNode());
    await master.client.call("SET", "k", "v");
    const replica = track(await bunkerReplicaOf(master));
    await waitInSync(master, replica);
    expect(await replica.client.callRaw("REPLICAOF", "127.0.0.1", String(master.server.port))).toBe("+OK Already connected to specified master\r\n");
    expect(await replica.client.callRaw("REPLICAOF", "127.0.0.1", "70000")).toBe("-ERR Invalid master port\r\n");
    const replid = await infoField(master.client, "master_replid");
    const offset = Number(await infoField(replica.client, "master_repl_offset"));
    expect(await replica.client.call("REPLICAOF", "NO", "ONE")).toBe("OK");
    await replica.server.waitForOutput(/MASTER MODE enabled \(user request from 'id=\d+ addr=127\.0\.0\.1:\d+ /);
    const fields = await info(replica.client, "replication");
    expect(fields.get("role")).toBe("master");
    expect(fields.get("master_replid2")).toBe(replid);
    expect(fields.get("second_repl_offset")).toBe(String(offset + 1));
    expect(fields.get("repl_backlog_active")).toBe("1");
    expect(await replica.client.call("SET", "now", "writable")).toBe("OK");
    expect(await master.client.call("INFO", "replication")).toMatch(/connected_slaves:0/);
  });
});
