// A Bunker replica and a redis-server replica of the same redis-server master, side by
// side: the errors users get (read-only replica, stale data with the link down), INFO
// replication and ROLE in the same states, REPLICAOF's replies, CONFIG REWRITE; a failing
// command of the master as both log it; a master turned replica (blocked clients,
// oom-score-adj).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAIN, RawClient, REDIS_SERVER, freePort, startProcess, type Reply } from "../helpers/server.ts";
import { info } from "../helpers/info.ts";
import { waitFor } from "../helpers/wait.ts";
import { bunkerNode, bunkerReplicaOf, redisNode, redisReplicaOf, stopAll, waitInSync, type Node } from "../helpers/replication.ts";

/** Field names in order, with the values that differ between two servers replaced by their kind. */
function shape(fields: Map<string, string>): string[] {
  return [...fields.entries()].map(([name, value]) => `${name}:${/^-?\d+$/.test(value) ? "N" : /^[0-9a-f]{40}$/.test(value) ? "ID" : value}`);
}

function roleShape(reply: Reply): unknown {
  return Array.isArray(reply) ? reply.map((item) => (typeof item === "number" ? "N" : item)) : reply;
}

describe.skipIf(REDIS_SERVER === undefined)("a Bunker replica beside a redis-server replica", () => {
  let master: Node;
  let ours: Node;
  let theirs: Node;

  beforeAll(async () => {
    master = await redisNode();
    await master.client.call("SET", "k", "v");
    ours = await bunkerReplicaOf(master);
    theirs = await redisReplicaOf(master);
    await waitInSync(master, ours);
    await waitInSync(master, theirs);
  });

  afterAll(async () => {
    await stopAll(master, ours, theirs);
  });

  async function both(...args: string[]): Promise<[string, string]> {
    return [await ours.client.callRaw(...args), await theirs.client.callRaw(...args)];
  }

  test("read-only replica: the same errors for writes, scripts' writes and transactions", async () => {
    const cases: string[][] = [
      ["SET", "x", "1"],
      ["INCR", "k"],
      ["DEL", "k"],
      ["FLUSHALL"],
      ["EVAL", "return redis.call('set', 'x', '1')", "0"],
      ["EVAL", "#!lua\nreturn redis.call('set', 'x', '1')", "0"],
      ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"],
      ["EVAL", "return redis.call('get', 'k')", "0"],
      ["GET", "k"],
      ["PUBLISH", "ch", "m"],
      ["MULTI"],
      ["SET", "x", "1"],
      ["GET", "k"],
      ["EXEC"],
    ];
    for (const command of cases) {
      const [a, b] = await both(...command);
      expect({ command, reply: a }).toEqual({ command, reply: b });
    }
    expect(await ours.client.call("EXISTS", "x")).toBe(0);
  });

  test("REPLICAOF's replies: arity, bad port, already connected", async () => {
    const port = String(master.server.port);
    for (const command of [["REPLICAOF", "127.0.0.1"], ["REPLICAOF", "127.0.0.1", "-1"], ["REPLICAOF", "127.0.0.1", "x"], ["SLAVEOF", "127.0.0.1", port], ["REPLICAOF", "127.0.0.1", port]]) {
      const [a, b] = await both(...command);
      expect({ command, reply: a }).toEqual({ command, reply: b });
    }
  });

  test("INFO replication and ROLE have Redis's shape while connected", async () => {
    await waitInSync(master, ours);
    await waitInSync(master, theirs);
    // What differs: the offsets (each has its own history since), the ids; kept as kinds.
    const mine = await info(ours.client, "replication");
    const redis = await info(theirs.client, "replication");
    expect(shape(mine)).toEqual(shape(redis));
    expect(roleShape(await ours.client.call("ROLE"))).toEqual(roleShape(await theirs.client.call("ROLE")));
    expect(mine.get("master_replid")).toBe(redis.get("master_replid"));
    expect(mine.get("slave_repl_offset")).toBe(redis.get("slave_repl_offset"));
  });

  test("CONFIG REWRITE writes the master REPLICAOF set, and drops it after REPLICAOF NO ONE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunker-rewrite-"));
    const file = join(dir, "redis.conf");
    const port = freePort();
    writeFileSync(file, `port ${port}\nsave ""\nbind 127.0.0.1\n`);
    const server = await startProcess([process.execPath, MAIN, file], port, dir);
    const client = await RawClient.connect(port);
    try {
      await client.call("REPLICAOF", "127.0.0.1", String(master.server.port));
      expect(await client.call("CONFIG", "GET", "replicaof")).toEqual(["replicaof", `127.0.0.1 ${master.server.port}`]);
      expect(await client.call("CONFIG", "REWRITE")).toBe("OK");
      expect(readFileSync(file, "utf8")).toContain(`\nreplicaof 127.0.0.1 ${master.server.port}\n`);
      await client.call("REPLICAOF", "NO", "ONE");
      expect(await client.call("CONFIG", "REWRITE")).toBe("OK");
      expect(readFileSync(file, "utf8")).not.toContain("replicaof");
    } finally {
      client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with the link down and replica-serve-stale-data no: -MASTERDOWN except for stale commands; INFO and ROLE alike", async () => {
    for (const node of [ours, theirs]) await node.client.call("CONFIG", "SET", "replica-serve-stale-data", "no");
    master.client.close();
    await master.server.stop();
    for (const node of [ours, theirs]) {
      await waitFor(async () => (await info(node.client, "replication")).get("master_link_status") === "down", { what: "the link to go down" });
    }
    for (const command of [["GET", "k"], ["SET", "k", "v"], ["DBSIZE"], ["PING"], ["ECHO", "x"], ["CONFIG", "GET", "replica-serve-stale-data"], ["MULTI"], ["GET", "k"], ["EXEC"], ["EVAL", "return 1", "0"], ["EVAL", "#!lua\nreturn 1", "0"], ["EVAL", "#!lua flags=no-writes,allow-stale\nreturn 1", "0"]]) {
      const [a, b] = await both(...command);
      expect({ command, reply: a }).toEqual({ command, reply: b });
    }
    // The link's state names differ only in timing (connect / connecting while retrying).
    const normalise = (fields: Map<string, string>) =>
      shape(fields).filter((line) => !line.startsWith("master_link_down_since_seconds") && !line.startsWith("master_last_io_seconds_ago"));
    expect(normalise(await info(ours.client, "replication"))).toEqual(normalise(await info(theirs.client, "replication")));
    const role = (reply: Reply) => {
      const shaped = roleShape(reply) as unknown[];
      shaped[3] = ["connect", "connecting"].includes(String(shaped[3])) ? "connect|connecting" : shaped[3];
      return shaped;
    };
    expect(role(await ours.client.call("ROLE"))).toEqual(role(await theirs.client.call("ROLE")));
    for (const node of [ours, theirs]) await node.client.call("CONFIG", "SET", "replica-serve-stale-data", "yes");
    expect(await ours.client.call("GET", "k")).toBe("v");
  });
});

describe.skipIf(REDIS_SERVER === undefined)("a command of the master that fails on the replica", () => {
  /** The replica's log lines about the failure, without pid, time and level. */
  const failureLines = (node: Node) =>
    node.server
      .output()
      .split("\n")
      .filter((line) => /CRITICAL|Latest backlog|panicked/.test(line))
      .map((line) => line.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] /, ""));

  test("is logged as Redis logs it (with the latest backlog); panic-on-replicas stops a read-only replica as it stops Redis", async () => {
    const master = await redisNode();
    const replicas = [await bunkerReplicaOf(master, ["--replica-read-only", "no"]), await redisReplicaOf(master, ["--replica-read-only", "no"])];
    try {
      for (const replica of replicas) await waitInSync(master, replica);
      // A key of another type than the master's, written on the replicas while writable.
      for (const replica of replicas) await replica.client.call("SET", "x", "string");
      await master.client.call("LPUSH", "x", "a");
      for (const replica of replicas) await replica.server.waitForOutput("Latest backlog is:");
      expect(failureLines(replicas[0]!)).toEqual(failureLines(replicas[1]!));
      expect(failureLines(replicas[0]!)[0]).toBe(
        "== CRITICAL == This replica is sending an error to its master: '-WRONGTYPE Operation against a key holding the wrong kind of value' after processing the command 'lpush'",
      );
      for (const replica of replicas) {
        await replica.client.call("CONFIG", "SET", "replica-read-only", "yes");
        await replica.client.call("CONFIG", "SET", "propagation-error-behavior", "panic-on-replicas");
      }
      await master.client.call("LPUSH", "x", "b");
      for (const replica of replicas) {
        await replica.server.waitForOutput("This replica panicked sending an error to its master after processing the command 'lpush'");
        await replica.server.exited;
      }
    } finally {
      await stopAll(master, ...replicas);
    }
  });
});

describe.skipIf(REDIS_SERVER === undefined)("a master that becomes a replica", () => {
  test("answers its blocked clients -UNBLOCKED and closes them, as Redis; takes the replica's oom-score-adj value", async () => {
    const master = await redisNode();
    const servers = [await bunkerNode(["--oom-score-adj", "absolute", "--oom-score-adj-values", "0 200 800"]), await redisNode(["--oom-score-adj", "absolute", "--oom-score-adj-values", "0 200 800"])];
    const blocked: RawClient[] = [];
    try {
      const replies = [];
      for (const node of servers) {
        const client = await RawClient.connect(node.server.port);
        blocked.push(client);
        replies.push(client.callRaw("BLPOP", "list", "0"));
        await waitFor(async () => (await info(node.client, "clients")).get("blocked_clients") === "1", { what: "BLPOP to block" });
      }
      for (const node of servers) expect(await node.client.call("REPLICAOF", "127.0.0.1", String(master.server.port))).toBe("OK");
      const [ours, theirs] = await Promise.all(replies);
      expect(ours).toBe(theirs!);
      expect(ours).toBe("-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n");
      for (const client of blocked) await waitFor(() => client.closed, { what: "the unblocked client to be closed" });
      for (const node of servers) {
        await waitInSync(master, node);
        expect(readFileSync(`/proc/${node.server.proc.pid}/oom_score_adj`, "utf8").trim()).toBe("200");
      }
    } finally {
      for (const client of blocked) client.close();
      await stopAll(master, ...servers);
    }
  });
});
