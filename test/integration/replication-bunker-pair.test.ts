// Bunker on both ends: a Bunker replica of a Bunker master (full sync to disk and
// diskless, a random stream of every write command, a dropped link resynced from the
// backlog), a chain in which a redis-server replica of the Bunker replica gets the stream
// as the Bunker master made it, and PSYNC2 after a promotion: a redis-server replica
// that follows a promoted Bunker replica continues with +CONTINUE. Then masterauth and
// masteruser against a master with a password, Bunker and redis-server on either side.

import { afterEach, describe, expect, test } from "bun:test";
import { REDIS_SERVER } from "../helpers/server.ts";
import { info } from "../helpers/info.ts";
import { waitFor } from "../helpers/wait.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { runSequence } from "../helpers/sequence-runner.ts";
import { bunkerNode, bunkerReplicaOf, digest, populate, redisNode, redisReplicaOf, stopAll, waitInSync, type Node } from "../helpers/replication.ts";

const nodes: Node[] = [];

afterEach(async () => {
  await stopAll(...nodes.splice(0).reverse());
});

async function track(started: Promise<Node>): Promise<Node> {
  const node = await started;
  nodes.push(node);
  return node;
}

/** A Bunker master that starts a diskless sync at once (or syncs to disk). */
function bunkerMaster(diskless: "yes" | "no"): Promise<Node> {
  return track(bunkerNode(["--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0"]));
}

async function stat(node: Node, field: string): Promise<string | undefined> {
  return (await info(node.client, "stats")).get(field);
}

describe.skipIf(REDIS_SERVER === undefined)("Bunker replicating from Bunker", () => {
  for (const diskless of ["yes", "no"] as const) {
    test(`full sync (repl-diskless-sync ${diskless}), a random write stream, then a dropped link resynced from the backlog`, async () => {
      const master = await bunkerMaster(diskless);
      await populate(master.client, 300);
      const replica = await track(bunkerReplicaOf(master));
      await waitInSync(master, replica);
      expect(await digest(replica)).toBe(await digest(master));
      expect(await stat(master, "sync_full")).toBe("1");

      await runSequence(master.server.port, generateWriteSequence(41, { length: 300 }));
      await waitInSync(master, replica);
      expect(await digest(replica)).toBe(await digest(master));

      await master.client.call("CLIENT", "KILL", "TYPE", "replica");
      await master.client.call("SET", "while-down", "1");
      await waitFor(async () => (await stat(master, "sync_partial_ok")) === "1", { what: "the replica's partial resync" });
      await waitInSync(master, replica);
      expect(await replica.client.call("GET", "while-down")).toBe("1");
      expect(await digest(replica)).toBe(await digest(master));
      expect(await stat(master, "sync_full")).toBe("1");
    });
  }

  test("a chain: a redis-server replica of a Bunker replica gets the Bunker master's stream unchanged", async () => {
    const master = await bunkerMaster("yes");
    await populate(master.client, 100);
    const middle = await track(bunkerReplicaOf(master, ["--repl-diskless-sync-delay", "0"]));
    const leaf = await track(redisReplicaOf(middle));
    await waitInSync(master, middle);
    await waitInSync(middle, leaf);
    await runSequence(master.server.port, generateWriteSequence(42, { length: 200 }));
    await waitInSync(master, middle);
    await waitInSync(middle, leaf);
    const expected = await digest(master);
    expect(await digest(middle)).toBe(expected);
    expect(await digest(leaf)).toBe(expected);
    // One history along the chain: the same id and the same offset.
    const ids = await Promise.all([master, middle, leaf].map(async (node) => (await info(node.client, "replication")).get("master_replid")));
    expect(new Set(ids).size).toBe(1);
  });

  test("PSYNC2: after REPLICAOF NO ONE on a Bunker replica, a redis-server sibling that follows it continues with +CONTINUE", async () => {
    const master = await bunkerMaster("yes");
    await populate(master.client, 100);
    const promoted = await track(bunkerReplicaOf(master));
    const sibling = await track(redisReplicaOf(master));
    await master.client.call("SET", "before", "1");
    await waitInSync(master, promoted);
    await waitInSync(master, sibling);

    expect(await promoted.client.call("REPLICAOF", "NO", "ONE")).toBe("OK");
    const afterPromotion = await info(promoted.client, "replication");
    expect(afterPromotion.get("role")).toBe("master");
    expect(afterPromotion.get("master_replid2")).toBe((await info(master.client, "replication")).get("master_replid"));
    expect(await sibling.client.call("REPLICAOF", "127.0.0.1", String(promoted.server.port))).toBe("OK");
    await promoted.client.call("SET", "after", "1");
    await waitFor(async () => (await stat(promoted, "sync_partial_ok")) === "1", { what: "the sibling's partial resync with the promoted replica" });
    expect(await stat(promoted, "sync_full")).toBe("0");
    await waitInSync(promoted, sibling);
    expect(await sibling.client.call("GET", "after")).toBe("1");
    expect(await digest(sibling)).toBe(await digest(promoted));
  });
});

describe.skipIf(REDIS_SERVER === undefined)("a master with a password", () => {
  test("a replica authenticates with masterauth (and masteruser); a wrong one is logged and retried, both ways with redis-server", async () => {
    const password = ["--requirepass", "s3cret"];
    // Bunker replicating from a redis-server master that requires a password.
    const redisMaster = await track(redisNode(password));
    await redisMaster.client.call("AUTH", "s3cret");
    await redisMaster.client.call("SET", "k", "from-redis");
    const ours = await track(bunkerReplicaOf(redisMaster, ["--masteruser", "default", "--masterauth", "s3cret", ...password]));
    await ours.client.call("AUTH", "s3cret");
    await waitInSync(redisMaster, ours);
    expect(await ours.client.call("GET", "k")).toBe("from-redis");
    const wrong = await track(bunkerReplicaOf(redisMaster, ["--masterauth", "nope"]));
    await wrong.server.waitForOutput(/Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled\./);
    expect((await info(wrong.client, "replication")).get("master_link_status")).toBe("down");
    expect(await wrong.client.call("CONFIG", "SET", "masterauth", "s3cret")).toBe("OK");
    await waitInSync(redisMaster, wrong);

    // A redis-server replica of a Bunker master that requires a password.
    const bunkerMaster = await track(bunkerNode([...password, "--repl-diskless-sync-delay", "0"]));
    await bunkerMaster.client.call("AUTH", "s3cret");
    await bunkerMaster.client.call("SET", "k", "from-bunker");
    const theirs = await track(redisReplicaOf(bunkerMaster, ["--masterauth", "s3cret"]));
    await waitInSync(bunkerMaster, theirs);
    expect(await theirs.client.call("GET", "k")).toBe("from-bunker");
  });
});
