// Bunker as a master, seen by the tools and commands around replication: WAIT, ROLE and
// INFO replication (in shape, against a redis-server master in the same situation),
// several replicas sharing one diskless sync, redis-cli --rdb and --replica,
// min-replicas-to-write, CLIENT LIST/KILL of replicas, the replica output limit.

import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REDIS_SERVER, ReplyError, startRedis } from "../helpers/server.ts";
import { info } from "../helpers/info.ts";
import { waitFor } from "../helpers/wait.ts";
import { expectSameDataset, startBunkerMaster, startRedisReplica, waitReplicaInSync, useReplicationServers } from "../helpers/replication.ts";

const { track, connect } = useReplicationServers();

/** An INFO replication / ROLE reply with the values that differ between runs masked. */
function shapeOfInfo(fields: Map<string, string>): string[] {
  return [...fields].map(([name, value]) => `${name}:${value.replace(/[0-9a-f]{40}/g, "<id>").replace(/\d+/g, "<n>")}`);
}

function shapeOfRole(reply: unknown): unknown {
  return JSON.parse(JSON.stringify(reply).replace(/\d+/g, "0"));
}

async function runCli(args: string[], timeoutMs: number): Promise<{ out: string; err: string }> {
  const proc = Bun.spawn(["redis-cli", ...args], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGINT"), timeoutMs);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  return { out, err };
}

describe.skipIf(REDIS_SERVER === undefined)("Bunker master: WAIT, ROLE, INFO, tools", () => {
  test("WAIT counts the replicas that acknowledged the client's writes; ROLE and INFO look like Redis's", async () => {
    const bunker = await track(startBunkerMaster());
    const redis = await track(startRedis({ args: ["--repl-diskless-sync-delay", "0"] }));
    const shapes: Array<{ info: string[]; role: unknown }> = [];
    for (const master of [bunker, redis]) {
      const client = await connect(master);
      // No replica yet: WAIT answers at once with 0 when asked for none, or at its timeout.
      expect(await client.call("WAIT", "0", "0")).toBe(0);
      expect(await client.call("WAIT", "1", "50")).toBe(0);
      const replica = await track(startRedisReplica(master.port));
      await waitReplicaInSync(master, replica);
      await client.call("SET", "k", "v");
      expect(await client.call("WAIT", "1", "0")).toBe(1);
      expect(await client.call("WAIT", "2", "100")).toBe(1);
      await waitReplicaInSync(master, replica);
      // Let an ACK carry the final offset (replicas ACK every second).
      const offset = (await info(client, "replication")).get("master_repl_offset");
      await waitFor(async () => (await info(client, "replication")).get("slave0")?.includes(`offset=${offset},`), { what: "the replica's ACK" });
      shapes.push({ info: shapeOfInfo(await info(client, "replication")), role: shapeOfRole(await client.call("ROLE")) });
      expect(await client.call("WAIT", "x", "0")).toEqual(new ReplyError("ERR value is not an integer or out of range"));
      expect(await client.call("WAIT", "1", "-1")).toEqual(new ReplyError("ERR timeout is negative"));
    }
    expect(shapes[0]).toEqual(shapes[1]!);
  });

  test("several replicas arriving within repl-diskless-sync-delay share one diskless sync", async () => {
    const master = await track(startBunkerMaster(["--repl-diskless-sync-delay", "3600", "--repl-diskless-sync-max-replicas", "2"]));
    const client = await connect(master);
    await client.call("DEBUG", "POPULATE", "5000");
    const first = await track(startRedisReplica(master.port));
    await master.waitForOutput("Delay next BGSAVE for diskless SYNC");
    const second = await track(startRedisReplica(master.port));
    await expectSameDataset(master, first);
    await expectSameDataset(master, second);
    expect(master.output().match(/Background RDB transfer started by pid/g)?.length).toBe(1);
    await master.waitForOutput("Diskless rdb transfer, done reading from pipe, 2 replicas still up.");
    const fields = await info(client);
    expect(fields.get("sync_full")).toBe("2");
    expect(fields.get("total_forks")).toBe("1");
    expect(fields.get("connected_slaves")).toBe("2");
  });

  test("redis-cli --rdb gets a file redis-check-rdb accepts; redis-cli --replica prints the stream", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    await client.call("DEBUG", "POPULATE", "300");
    await client.call("HSET", "h", "f", "v");
    const file = join(master.dir, "cli.rdb");
    const rdb = await runCli(["-p", String(master.port), "--rdb", file], 30_000);
    expect(rdb.err + rdb.out).toContain("Transfer finished with success");
    expect(existsSync(file)).toBe(true);
    const check = Bun.spawnSync(["redis-check-rdb", file]);
    expect(check.stdout.toString()).toContain("RDB looks OK!");
    expect(check.stdout.toString()).toContain("[info] 301 keys read");
    // The master logs the end of the rdb-only transfer once it sees the connection close,
    // which may be after redis-cli has exited.
    await master.waitForOutput(/RDB transfer completed, rdb only replica|Connection with replica/);
    // --replica: SYNC (no PSYNC), then the stream as it comes.
    // It asks for an RDB without data (rdb-filter-only ""), which only a diskless sync gives.
    const cli = Bun.spawn(["redis-cli", "-p", String(master.port), "--replica"], { stdout: "pipe", stderr: "pipe" });
    let printed = "";
    let logged = "";
    const decoder = new TextDecoder();
    const reading = Promise.all([
      (async () => {
        for await (const chunk of cli.stdout) printed += decoder.decode(chunk as Uint8Array);
      })(),
      (async () => {
        for await (const chunk of cli.stderr) logged += decoder.decode(chunk as Uint8Array);
      })(),
    ]);
    await waitFor(() => logged.includes("Logging commands from master."), { what: "redis-cli --replica to sync" });
    expect(logged).toMatch(/SYNC done after \d+ bytes\./);
    await client.call("SET", "streamed", "value");
    await waitFor(() => printed.includes('"SET","streamed","value"'), { what: "the SET in redis-cli --replica's output" });
    // A write held by CLIENT PAUSE runs as a command of its own once released: CLIENT
    // UNPAUSE itself is not propagated (it was, with the write's change counted as its own).
    await client.call("CLIENT", "PAUSE", "100000", "WRITE");
    const other = await connect(master);
    const held = other.call("SET", "held", "1");
    await waitFor(async () => (await info(client, "clients")).get("blocked_clients") === "1", { what: "the write to be held" });
    expect(await client.call("CLIENT", "UNPAUSE")).toBe("OK");
    expect(await held).toBe("OK");
    await client.call("SET", "after", "1");
    await waitFor(() => printed.includes('"SET","after","1"'), { what: "the last SET in redis-cli --replica's output" });
    expect(printed).toContain('"SET","held","1"');
    expect(printed).not.toMatch(/UNPAUSE|MULTI/i);
    cli.kill("SIGINT");
    await reading;
    await cli.exited;
  });

  test("a persistence-less master with rdb-del-sync-files removes the dump.rdb a disk sync wrote", async () => {
    const master = await track(startBunkerMaster(["--repl-diskless-sync", "no", "--rdb-del-sync-files", "yes"]));
    const client = await connect(master);
    await client.call("SET", "k", "v");
    const replica = await track(startRedisReplica(master.port));
    await expectSameDataset(master, replica);
    await master.waitForOutput("Removing the RDB file used to feed replicas in a persistence-less instance");
    expect(existsSync(join(master.dir, "dump.rdb"))).toBe(false);
  });

  test("SHUTDOWN waits for a lagging replica (shutdown-timeout) with writes paused; ABORT cancels it, NOW does not wait", async () => {
    const master = await track(startBunkerMaster(["--shutdown-timeout", "3"]));
    const replica = await track(startRedisReplica(master.port));
    const client = await connect(master);
    await client.call("SET", "before", "1");
    await waitReplicaInSync(master, replica);
    // A replica that cannot answer: its acknowledged offset stays behind.
    process.kill(replica.proc.pid, "SIGSTOP");
    try {
      await client.call("SET", "lagging", "1");
      const shutdown = await connect(master);
      const answer = shutdown.call("SHUTDOWN");
      await master.waitForOutput("Waiting for replicas before shutting down.");
      const other = await connect(master);
      // Writes wait (postponed), reads go on, and the SHUTDOWN client is blocked.
      const write = other.call("SET", "during", "1");
      const reader = await connect(master);
      expect(await reader.call("GET", "before")).toBe("1");
      await waitFor(async () => (await info(reader, "clients")).get("blocked_clients") === "2", { what: "SHUTDOWN and the write to be blocked" });
      expect(await reader.call("SHUTDOWN", "ABORT")).toBe("OK");
      expect(await answer).toEqual(new ReplyError("ERR Errors trying to SHUTDOWN. Check logs."));
      expect(await write).toBe("OK");
      await master.waitForOutput("Shutdown manually aborted.");
      expect(await reader.call("SHUTDOWN", "ABORT")).toEqual(new ReplyError("ERR No shutdown in progress."));
    } finally {
      process.kill(replica.proc.pid, "SIGCONT");
    }
    // With the replica back, SHUTDOWN exits once it has acknowledged everything.
    await client.call("SET", "last", "1");
    const closing = await connect(master);
    void closing.call("SHUTDOWN").catch(() => null);
    expect(await master.exited).toBe(0);
    expect(await master.finalOutput()).toContain("1 of 1 replicas are in sync when shutting down.");
    const onReplica = await connect(replica);
    await waitFor(async () => (await onReplica.call("GET", "last")) === "1", { what: "the last write on the replica" });
    expect(await onReplica.call("GET", "during")).toBe("1");
  });

  test("SHUTDOWN gives up waiting after shutdown-timeout and reports the lagging replica", async () => {
    const master = await track(startBunkerMaster(["--shutdown-timeout", "1"]));
    const replica = await track(startRedisReplica(master.port));
    const client = await connect(master);
    await client.call("SET", "k", "v");
    await waitReplicaInSync(master, replica);
    process.kill(replica.proc.pid, "SIGSTOP");
    try {
      await client.call("SET", "k2", "v2");
      void client.call("SHUTDOWN").catch(() => null);
      expect(await master.exited).toBe(0);
      const log = await master.finalOutput();
      expect(log).toMatch(/Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master, lag=\d+, state=online\./);
      expect(log).toContain("0 of 1 replicas are in sync when shutting down.");
    } finally {
      process.kill(replica.proc.pid, "SIGCONT");
    }
  });

  test("DEBUG CHANGE-REPL-ID starts a new history: a reconnecting replica needs a full sync", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    await client.call("SET", "k", "v");
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    const before = await info(client, "replication");
    expect(await client.call("DEBUG", "CHANGE-REPL-ID")).toBe("OK");
    const after = await info(client, "replication");
    expect(after.get("master_replid")).not.toBe(before.get("master_replid"));
    expect(after.get("master_replid2")).toBe("0".repeat(40));
    expect(after.get("second_repl_offset")).toBe("-1");
    await master.waitForOutput("Changing replication IDs after receiving DEBUG change-repl-id");
    await client.call("CLIENT", "KILL", "TYPE", "replica");
    await master.waitForOutput(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${before.get("master_replid")}'`);
    await waitFor(async () => (await info(client, "stats")).get("sync_full") === "2", { what: "the replica's second full sync" });
    await expectSameDataset(master, replica);
  });

  test("repl-backlog-ttl: with no replica for that long the backlog is freed and a new history begins", async () => {
    const master = await track(startBunkerMaster(["--repl-backlog-ttl", "1"]));
    const client = await connect(master);
    await client.call("SET", "k", "v");
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    const before = await info(client, "replication");
    expect(before.get("repl_backlog_active")).toBe("1");
    await replica.stop();
    await master.waitForOutput("Replication backlog freed after 1 seconds without connected replicas.");
    const after = await info(client, "replication");
    expect(after.get("repl_backlog_active")).toBe("0");
    expect(after.get("master_replid")).not.toBe(before.get("master_replid"));
    expect(after.get("master_replid2")).toBe("0".repeat(40));
  });

  test("min-replicas-to-write refuses writes with -NOREPLICAS until a replica acknowledges", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    expect(await client.call("CONFIG", "SET", "min-replicas-to-write", "1")).toBe("OK");
    const noReplicas = new ReplyError("NOREPLICAS Not enough good replicas to write.");
    expect(await client.call("SET", "k", "v")).toEqual(noReplicas);
    expect(await client.call("GET", "k")).toBe(null);
    expect(await client.call("MULTI")).toBe("OK");
    expect(await client.call("SET", "k", "v")).toEqual(noReplicas);
    expect(String(await client.call("EXEC"))).toBe("EXECABORT Transaction discarded because of previous errors.");
    // A script without flags is refused at its first write (with the script's name, as Redis).
    expect(String(await client.call("EVAL", "return redis.call('set', 'k', 'v')", "0"))).toStartWith("NOREPLICAS Not enough good replicas to write. script: ");
    expect(await client.call("EVAL", "#!lua\nreturn redis.call('set', 'k', 'v')", "0")).toEqual(noReplicas);
    expect((await info(client, "replication")).get("min_slaves_good_slaves")).toBe("0");
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    await waitFor(async () => (await info(client, "replication")).get("min_slaves_good_slaves") === "1", { what: "a good replica" });
    expect(await client.call("SET", "k", "v")).toBe("OK");
  });

  test("a replica is flagged S, left out of connected_clients, killed by type, and closed over its output limit", async () => {
    const master = await track(startBunkerMaster());
    const client = await connect(master);
    const replica = await track(startRedisReplica(master.port));
    await waitReplicaInSync(master, replica);
    const list = String(await client.call("CLIENT", "LIST", "TYPE", "replica"));
    expect(list).toMatch(/flags=S /);
    expect(list.trim().split("\n").length).toBe(1);
    expect((await info(client, "clients")).get("connected_clients")).toBe("1");
    expect(await client.call("CLIENT", "KILL", "TYPE", "slave")).toBe(1);
    await master.waitForOutput("Connection with replica 127.0.0.1:");
    // It reconnects and continues; then a replica that cannot keep up is closed.
    await waitFor(async () => (await info(client, "replication")).get("connected_slaves") === "1", { what: "the replica to reconnect" });
    const replicaClient = await connect(replica);
    await replicaClient.call("DEBUG", "SLEEP", "0");
    await client.call("CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 0 0");
    const sleeping = replicaClient.call("DEBUG", "SLEEP", "3");
    const value = "x".repeat(100_000);
    for (let i = 0; i < 100; i++) await client.call("SET", `big${i % 10}`, value);
    await master.waitForOutput(/Client id=\d+ addr=127\.0\.0\.1:\d+ .*flags=S .* scheduled to be closed ASAP for overcoming of output buffer limits\./);
    await sleeping;
    await client.call("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0");
    await expectSameDataset(master, replica);
  });
});
