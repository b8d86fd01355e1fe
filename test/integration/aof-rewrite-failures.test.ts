// An AOF rewrite that does not finish, with writes flowing: its child killed with
// SIGKILL (an error: aof_last_bgrewrite_status:err, aof_rewrites_consecutive_failures
// up, temp files removed, the manifest as the rewrite's start left it, the data intact
// after a restart, and no retry unless one is due) or with SIGUSR1 (no error); the
// rewrite that turns the AOF on (wait-rewrite), rescheduled after a failure; failed
// automatic rewrites retried until the limit. Each test runs against Bunker and
// against redis-server 7.0.15 with the same expectations: those are Redis's behaviour.

import { afterEach, describe, expect, test } from "bun:test";
import { RawClient, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { info, waitInfo } from "../helpers/info.ts";
import { FLAVORS, aofDirFiles, logCount, manifestOf, rewritePids, fill, rewriteTempFiles, startFlavor, type Flavor } from "../helpers/aof-servers.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(flavor: Flavor, args: string[], dir?: string): Promise<{ server: RunningServer; client: RawClient }> {
  // appendfsync always unless a test says otherwise: with everysec a write may wait in
  // memory while an fsync runs (Redis postpones it too), so the files would lag the replies.
  const server = await startFlavor(flavor, ["--appendfsync", "always", ...args], dir === undefined ? {} : { dir });
  running.push(server);
  return { server, client: await RawClient.connect(server.port) };
}

/**
 * A client that writes until stopped (INCR of one counter and a SET of a new key per
 * round) and counts what was acknowledged. `stop()` waits for the loop to end.
 */
async function writeLoad(port: number): Promise<{ acked: () => number; counter: () => number; keys: () => number; stop: () => Promise<void> }> {
  const client = await RawClient.connect(port);
  let running = true;
  let counter = 0;
  let keys = 0;
  const loop = (async () => {
    while (running) {
      const reply = await client.call("INCR", "load:counter");
      if (typeof reply !== "number") throw new Error(`INCR replied ${String(reply)}`);
      counter = reply;
      expect(await client.call("SET", `load:${keys}`, String(keys))).toBe("OK");
      keys++;
    }
  })();
  return {
    acked: () => counter + keys,
    counter: () => counter,
    keys: () => keys,
    async stop() {
      running = false;
      await loop;
      client.close();
    },
  };
}

/** Waits until `count` more writes were acknowledged. */
async function moreWrites(load: { acked: () => number }, count: number): Promise<void> {
  const target = load.acked() + count;
  await waitFor(() => load.acked() >= target, { what: `${count} more acknowledged writes` });
}

/** The pid of the nth rewrite child (1-based), once the log names it. */
async function rewritePid(server: RunningServer, nth: number): Promise<number> {
  return waitFor(() => rewritePids(server)[nth - 1], { what: `rewrite child #${nth} in the log` });
}

async function restartAndDigest(flavor: Flavor, server: RunningServer, args: string[]): Promise<string> {
  server.proc.kill("SIGKILL");
  await server.exited;
  const { client } = await start(flavor, args, server.dir);
  const digest = String(await client.call("DEBUG", "DIGEST"));
  client.close();
  return digest;
}

for (const flavor of FLAVORS) {
  describe(`${flavor}: a rewrite killed under load`, () => {
    const args = ["--appendonly", "yes", "--appendfsync", "always"];

    test("SIGKILL: status err, failures 1, temp files removed, manifest as the start left it, no retry, data intact after a restart", async () => {
      const { server, client } = await start(flavor, args);
      await fill(client, 500);
      const load = await writeLoad(server.port);
      await moreWrites(load, 20);
      const manifestBefore = manifestOf(server.dir)!;
      // A slow rewrite: 10 ms per key.
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      const pid = await rewritePid(server, 1);
      // The start opened a new INCR file and said so in the manifest.
      const manifestAtStart = manifestOf(server.dir)!;
      expect(manifestAtStart).toBe(`${manifestBefore}file appendonly.aof.2.incr.aof seq 2 type i\n`);
      expect((await info(client, "persistence")).get("aof_rewrite_in_progress")).toBe("1");
      await waitFor(() => rewriteTempFiles(server.dir).includes(`temp-rewriteaof-${pid}.aof`), { what: "the child's temp file" });
      await moreWrites(load, 20);
      process.kill(pid, "SIGKILL");
      await server.waitForOutput("Background AOF rewrite terminated by signal 9");
      let fields = await info(client, "persistence");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("err");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("1");
      expect(fields.get("aof_rewrites")).toBe("1");
      expect(fields.get("aof_rewrite_scheduled")).toBe("0");
      await waitFor(() => rewriteTempFiles(server.dir).length === 0, { what: "the temp files to be removed" });
      expect(manifestOf(server.dir)).toBe(manifestAtStart);
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
      // Writes go on; no rewrite is started again (time is the scenario: several cron ticks).
      await moreWrites(load, 20);
      await Bun.sleep(1200);
      fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites")).toBe("1");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      expect(rewritePids(server)).toEqual([pid]);
      await load.stop();
      const counter = load.counter();
      const keys = load.keys();
      const digest = String(await client.call("DEBUG", "DIGEST"));
      client.close();
      // Everything is in BASE + INCR 1 + INCR 2.
      expect(await restartAndDigest(flavor, server, args)).toBe(digest);
      const after = await RawClient.connect(running[running.length - 1]!.port);
      expect(await after.call("GET", "load:counter")).toBe(String(counter));
      expect(await after.call("GET", `load:${keys - 1}`)).toBe(String(keys - 1));
      // A manual rewrite clears the error.
      expect(await after.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await waitInfo(after, "aof_rewrite_in_progress", "0");
      fields = await info(after, "persistence");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("0");
      expect(manifestOf(running[running.length - 1]!.dir)).toBe("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n");
      after.close();
    });

    test("SIGUSR1: terminated by signal 10, no error status, no failure counted", async () => {
      const { server, client } = await start(flavor, args);
      await fill(client, 500);
      const load = await writeLoad(server.port);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      const pid = await rewritePid(server, 1);
      const manifestAtStart = manifestOf(server.dir);
      await waitFor(() => rewriteTempFiles(server.dir).includes(`temp-rewriteaof-${pid}.aof`), { what: "the child's temp file" });
      await moreWrites(load, 20);
      process.kill(pid, "SIGUSR1");
      await server.waitForOutput("Background AOF rewrite terminated by signal 10");
      const fields = await info(client, "persistence");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("0");
      await waitFor(() => rewriteTempFiles(server.dir).length === 0, { what: "the temp files to be removed" });
      expect(manifestOf(server.dir)).toBe(manifestAtStart);
      await moreWrites(load, 20);
      await load.stop();
      const digest = String(await client.call("DEBUG", "DIGEST"));
      client.close();
      expect(await restartAndDigest(flavor, server, args)).toBe(digest);
    });
  });

  describe(`${flavor}: failed rewrites that are retried`, () => {
    test("turning the AOF on (wait-rewrite): a killed first rewrite is rescheduled, the temp INCR restarts, the next one turns it on", async () => {
      const { server, client } = await start(flavor, []);
      await fill(client, 300);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      const load = await writeLoad(server.port);
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      const first = await rewritePid(server, 1);
      let fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("1");
      expect(fields.get("aof_rewrite_in_progress")).toBe("1");
      expect(aofDirFiles(server.dir)).toEqual(["temp-appendonly.aof.incr"]);
      await moreWrites(load, 20);
      process.kill(first, "SIGKILL");
      await server.waitForOutput("Background AOF rewrite terminated by signal 9");
      await server.waitForOutput("Removing the temp incr aof file temp-appendonly.aof.incr in the background");
      // The cron starts it again (the slot is free at its next tick); this one may finish.
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      const second = await rewritePid(server, 2);
      expect(second).not.toBe(first);
      await server.waitForOutput("Background AOF rewrite finished successfully");
      await moreWrites(load, 20);
      await load.stop();
      fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites")).toBe("2");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("0");
      expect(fields.get("aof_rewrite_scheduled")).toBe("0");
      expect(manifestOf(server.dir)).toBe("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]);
      const digest = String(await client.call("DEBUG", "DIGEST"));
      client.close();
      expect(await restartAndDigest(flavor, server, ["--appendonly", "yes"])).toBe(digest);
    });

    test("automatic rewrites: each failure is retried while the growth rule holds, until the limit after 3", async () => {
      const args = ["--appendonly", "yes", "--auto-aof-rewrite-min-size", "1kb", "--auto-aof-rewrite-percentage", "10", "--rdb-key-save-delay", "10000"];
      const { server, client } = await start(flavor, args);
      await fill(client, 100);
      for (let nth = 1; nth <= 3; nth++) {
        const pid = await rewritePid(server, nth);
        expect(logCount(server, "Starting automatic rewriting of AOF on")).toBe(nth);
        process.kill(pid, "SIGKILL");
        await waitFor(() => logCount(server, "Background AOF rewrite terminated by signal 9") === nth, { what: `failure #${nth}` });
      }
      await server.waitForOutput("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 1 minutes");
      expect(server.output()).toMatch(/Starting automatic rewriting of AOF on \d+% growth/);
      const fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("3");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("err");
      // Held back now (time is the scenario: several cron ticks pass without a 4th).
      await Bun.sleep(1000);
      expect(rewritePids(server).length).toBe(3);
      expect((await info(client, "persistence")).get("aof_rewrite_in_progress")).toBe("0");
      // A manual rewrite is not limited: scheduled behind a BGSAVE, it resets the count
      // of failures, so the cron's limit does not hold it back either.
      expect(await client.call("BGSAVE")).toBe("Background saving started");
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting scheduled");
      expect((await info(client, "persistence")).get("aof_rewrites_consecutive_failures")).toBe("0");
      await server.waitForOutput("Background AOF rewrite finished successfully");
      const log = server.output();
      expect(log.indexOf("Background saving terminated with success")).toBeLessThan(log.lastIndexOf("Background append only file rewriting started by pid"));
      expect((await info(client, "persistence")).get("aof_last_bgrewrite_status")).toBe("ok");
      client.close();
    });
  });
}
