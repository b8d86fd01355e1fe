// The AOF's life cycle at run time, as a user of Redis observes it: replies, INFO
// aof_* fields, log lines, the files of appendonlydir and the manifest's text, the
// bytes of the INCR files. Turning the AOF on and off with CONFIG SET, BGREWRITEAOF
// with the AOF off, during a BGSAVE, twice, inside MULTI/EXEC; the automatic rewrite;
// aof-disable-auto-gc; SHUTDOWN and SIGTERM; SHUTDOWN while the first rewrite runs;
// DEBUG LOADAOF; MULTI/EXEC and SELECT in the INCR file; #TS annotations; the sizes.
//
// Every test runs against Bunker and against redis-server 7.0.15 with the same
// expectations, so each expectation is Redis's behaviour. Where a file's bytes cannot be
// the same (an RDB base holds the server's memory figures and time), only names and
// sizes as reported are compared.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCommand, RawClient, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { info } from "../helpers/info.ts";
import { FLAVORS, aofDirFiles, logCount, manifestOf, rewritePids, fill, rewriteTempFiles, startFlavor, type Flavor } from "../helpers/aof-servers.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(flavor: Flavor, args: string[] = [], dir?: string): Promise<{ server: RunningServer; client: RawClient }> {
  // appendfsync always unless a test says otherwise: with everysec a write may wait in
  // memory while an fsync runs (Redis postpones it too), so the files would lag the replies.
  const server = await startFlavor(flavor, ["--appendfsync", "always", ...args], dir === undefined ? {} : { dir });
  running.push(server);
  return { server, client: await RawClient.connect(server.port) };
}

/** Kills the server and starts the same flavor on its directory. */
async function restart(flavor: Flavor, server: RunningServer, args: string[]): Promise<{ server: RunningServer; client: RawClient }> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill("SIGKILL");
    await server.exited;
  }
  return start(flavor, args, server.dir);
}

/** Waits for the nth "Background AOF rewrite finished successfully" in the log. */
async function rewriteFinished(server: RunningServer, nth = 1): Promise<void> {
  await waitFor(() => logCount(server, "Background AOF rewrite finished successfully") >= nth, { what: `rewrite #${nth} to finish` });
}

function incrFile(server: RunningServer, seq: number): string {
  return readFileSync(join(server.dir, "appendonlydir", `appendonly.aof.${seq}.incr.aof`), "latin1");
}

/** Commands as the INCR file holds them. */
function resp(...commands: string[][]): string {
  return commands.map((command) => Buffer.from(encodeCommand(command)).toString("latin1")).join("");
}

const MANIFEST_1 = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
const MANIFEST_2 = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n";

for (const flavor of FLAVORS) {
  describe(`${flavor}: turning the AOF on and off`, () => {
    test("CONFIG SET appendonly yes / no / yes: first BASE by a rewrite, files kept while off, history removed when on again", async () => {
      const { server, client } = await start(flavor);
      await client.call("SET", "a", "1");
      expect(aofDirFiles(server.dir)).toEqual([]);
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await rewriteFinished(server);
      expect(server.output()).toContain("Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.1.incr.aof");
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]);
      expect(manifestOf(server.dir)).toBe(MANIFEST_1);
      let fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("1");
      expect(fields.get("aof_rewrites")).toBe("1");
      await client.call("SET", "b", "2");
      expect(incrFile(server, 1)).toBe(resp(["SELECT", "0"], ["SET", "b", "2"]));

      expect(await client.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
      fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("0");
      // The size fields are shown only while appendonly is yes.
      expect(fields.has("aof_current_size")).toBe(false);
      await client.call("SET", "c", "3");
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]);
      expect(manifestOf(server.dir)).toBe(MANIFEST_1);
      expect(incrFile(server, 1)).toBe(resp(["SELECT", "0"], ["SET", "b", "2"]));

      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await rewriteFinished(server, 2);
      expect(server.output()).toContain("Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into appendonly.aof.2.incr.aof");
      expect(server.output()).toContain("Removing the history file appendonly.aof.1.incr.aof in the background");
      await server.waitForOutput("Removing the history file appendonly.aof.1.base.rdb in the background");
      await waitFor(() => aofDirFiles(server.dir).length === 3, { what: "the history files to go" });
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
      expect(manifestOf(server.dir)).toBe(MANIFEST_2);
      await client.call("SET", "d", "4");
      const digest = await client.call("DEBUG", "DIGEST");
      client.close();
      const after = await restart(flavor, server, ["--appendonly", "yes"]);
      expect(await after.client.call("DEBUG", "DIGEST")).toBe(digest);
      expect(await after.client.call("MGET", "a", "b", "c", "d")).toEqual(["1", "2", "3", "4"]);
    });

    test("appendonly yes while a BGREWRITEAOF runs: that child is killed and a new rewrite starts at once", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 100);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      const first = (await waitFor(() => rewritePids(server)[0], { what: "the first rewrite" }))!;
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await server.waitForOutput("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
      await server.waitForOutput(`Killing running AOF rewrite child: ${first}`);
      expect(rewritePids(server).length).toBe(2);
      await rewriteFinished(server);
      const fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("1");
      expect(fields.get("aof_rewrites")).toBe("2");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("0");
      // The killed child was not reaped as a failure of its own.
      expect(server.output()).not.toContain("Background AOF rewrite terminated by signal");
      expect(manifestOf(server.dir)).toBe(MANIFEST_1);
      await waitFor(() => rewriteTempFiles(server.dir).length === 0, { what: "the killed child's temp files to go" });
      client.close();
    });

    test("appendonly no during the first rewrite, then yes again at once: a new rewrite; the killed one is no rewrite time", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 100);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      const first = (await waitFor(() => rewritePids(server)[0], { what: "the first rewrite" }))!;
      expect(await client.call("CONFIG", "SET", "appendonly", "no")).toBe("OK");
      await server.waitForOutput(`Killing running AOF rewrite child: ${first}`);
      let fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("0");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      expect(fields.get("aof_last_rewrite_time_sec")).toBe("-1");
      expect(fields.get("aof_current_rewrite_time_sec")).toBe("-1");
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await rewriteFinished(server);
      fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites")).toBe("2");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(Number(fields.get("aof_last_rewrite_time_sec"))).toBeLessThan(60);
      expect(manifestOf(server.dir)).toBe(MANIFEST_1);
      client.close();
    });

    test("appendonly yes during a BGSAVE: scheduled, the rewrite runs once the save is over", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 100);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "5000")).toBe("OK");
      expect(await client.call("BGSAVE")).toBe("Background saving started");
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await server.waitForOutput("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
      const fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("1");
      expect(fields.get("aof_rewrite_scheduled")).toBe("1");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      // Writes meanwhile are in the BASE the rewrite makes (it starts after them).
      await client.call("SET", "during-save", "x");
      await rewriteFinished(server);
      const log = server.output();
      expect(log.indexOf("Background saving terminated with success")).toBeLessThan(log.indexOf("Background append only file rewriting started by pid"));
      expect(manifestOf(server.dir)).toBe(MANIFEST_1);
      const digest = await client.call("DEBUG", "DIGEST");
      client.close();
      const after = await restart(flavor, server, ["--appendonly", "yes"]);
      expect(await after.client.call("DEBUG", "DIGEST")).toBe(digest);
      expect(await after.client.call("GET", "during-save")).toBe("x");
    });

    test("BGREWRITEAOF with appendonly no: a manifest with only the BASE, the previous BASE removed", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 10);
      expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
      await rewriteFinished(server);
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.manifest"]);
      expect(manifestOf(server.dir)).toBe("file appendonly.aof.1.base.rdb seq 1 type b\n");
      const fields = await info(client, "persistence");
      expect(fields.get("aof_enabled")).toBe("0");
      expect(fields.get("aof_rewrites")).toBe("1");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("ok");
      expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
      await rewriteFinished(server, 2);
      await waitFor(() => aofDirFiles(server.dir).length === 2, { what: "the old BASE to go" });
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"]);
      expect(manifestOf(server.dir)).toBe("file appendonly.aof.2.base.rdb seq 2 type b\n");
      // That BASE is the dataset when the AOF is turned on at the next start.
      const digest = await client.call("DEBUG", "DIGEST");
      client.close();
      const after = await restart(flavor, server, ["--appendonly", "yes"]);
      expect(await after.client.call("DEBUG", "DIGEST")).toBe(digest);
      expect(manifestOf(server.dir)).toBe("file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    });
  });

  describe(`${flavor}: BGREWRITEAOF and the other child`, () => {
    test("during a BGSAVE it is scheduled and runs after; during a rewrite BGSAVE and BGREWRITEAOF are refused", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes"]);
      await fill(client, 100);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
      expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting scheduled\r\n");
      let fields = await info(client, "persistence");
      expect(fields.get("aof_rewrite_scheduled")).toBe("1");
      expect(fields.get("aof_pending_rewrite")).toBe("1");
      expect(fields.get("aof_rewrite_in_progress")).toBe("0");
      expect(rewritePids(server)).toEqual([]);
      // The rewrite starts once the save is over (it is slow too: 10 ms per key).
      await waitFor(() => rewritePids(server).length === 1, { what: "the scheduled rewrite to start" });
      const log = server.output();
      expect(log.indexOf("Background saving terminated with success")).toBeGreaterThan(-1);
      expect(log.indexOf("Background saving terminated with success")).toBeLessThan(log.indexOf("Background append only file rewriting started by pid"));
      fields = await info(client, "persistence");
      expect(fields.get("aof_rewrite_scheduled")).toBe("0");
      expect(fields.get("aof_rewrite_in_progress")).toBe("1");
      expect(await client.callRaw("BGSAVE")).toBe(
        "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n",
      );
      expect(await client.callRaw("BGREWRITEAOF")).toBe("-ERR Background append only file rewriting already in progress\r\n");
      expect(await client.callRaw("BGSAVE", "SCHEDULE")).toBe("+Background saving scheduled\r\n");
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "0")).toBe("OK");
      await rewriteFinished(server);
      // ...and the scheduled save runs after the rewrite.
      await waitFor(() => logCount(server, "Background saving terminated with success") === 2, { what: "the scheduled BGSAVE" });
      fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites")).toBe("1");
      expect(fields.get("rdb_saves")).toBe("2");
      expect(manifestOf(server.dir)).toBe(MANIFEST_2);
      client.close();
    });

    test("inside MULTI/EXEC it is scheduled, then the cron starts it", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes"]);
      await client.call("SET", "a", "1");
      expect(await client.call("MULTI")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("QUEUED");
      expect(await client.call("EXEC")).toEqual(["Background append only file rewriting scheduled"]);
      await rewriteFinished(server);
      expect(rewritePids(server).length).toBe(1);
      const fields = await info(client, "persistence");
      expect(fields.get("aof_rewrites")).toBe("1");
      expect(fields.get("aof_rewrite_scheduled")).toBe("0");
      expect(manifestOf(server.dir)).toBe(MANIFEST_2);
      client.close();
    });
  });

  describe(`${flavor}: sizes and the automatic rewrite`, () => {
    test("aof_current_size / aof_base_size after start, after writes, and the automatic rewrite's growth", async () => {
      const args = ["--appendonly", "yes", "--auto-aof-rewrite-min-size", "1kb", "--auto-aof-rewrite-percentage", "0"];
      const { server, client } = await start(flavor, args);
      let fields = await info(client, "persistence");
      // Right after the empty BASE was created at start both are 0 (Redis's quirk).
      expect([fields.get("aof_current_size"), fields.get("aof_base_size")]).toEqual(["0", "0"]);
      await fill(client, 40);
      const written = resp(["SELECT", "0"], ...Array.from({ length: 40 }, (_, i) => ["SET", `key:${i}`, `value-${i}`])).length;
      fields = await info(client, "persistence");
      expect([fields.get("aof_current_size"), fields.get("aof_base_size")]).toEqual([String(written), "0"]);
      expect(statSync(join(server.dir, "appendonlydir", "appendonly.aof.1.incr.aof")).size).toBe(written);
      // Turned on now: the next cron tick finds growth over a base of 0 (counted as 1).
      expect(await client.call("CONFIG", "SET", "auto-aof-rewrite-percentage", "100")).toBe("OK");
      await server.waitForOutput(`Starting automatic rewriting of AOF on ${written * 100 - 100}% growth`);
      await rewriteFinished(server);
      fields = await info(client, "persistence");
      const baseFile = statSync(join(server.dir, "appendonlydir", "appendonly.aof.2.base.rdb")).size;
      expect([fields.get("aof_current_size"), fields.get("aof_base_size")]).toEqual([String(baseFile), String(baseFile)]);
      await client.call("SET", "after", "x");
      const more = resp(["SELECT", "0"], ["SET", "after", "x"]).length;
      expect((await info(client, "persistence")).get("aof_current_size")).toBe(String(baseFile + more));
      client.close();
    });

    test("with a commands BASE (aof-use-rdb-preamble no) the BASE's bytes and the sizes are exact", async () => {
      const args = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no"];
      const { server, client } = await start(flavor, args);
      await client.call("SET", "k", "v");
      await client.call("INCRBY", "n", "5");
      await client.call("SELECT", "3");
      await client.call("RPUSH", "list", "a", "b");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await rewriteFinished(server);
      const base = readFileSync(join(server.dir, "appendonlydir", "appendonly.aof.2.base.aof"), "latin1");
      // One key per type and database: no hash-table order can differ.
      const db0 = [resp(["SET", "k", "v"]), resp(["SET", "n", "5"])];
      const db3 = resp(["SELECT", "3"], ["RPUSH", "list", "a", "b"]);
      expect([resp(["SELECT", "0"]) + db0.join("") + db3, resp(["SELECT", "0"]) + db0.reverse().join("") + db3]).toContain(base);
      expect(manifestOf(server.dir)).toBe("file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n");
      let fields = await info(client, "persistence");
      expect([fields.get("aof_current_size"), fields.get("aof_base_size")]).toEqual([String(base.length), String(base.length)]);
      // The first effect after a rewrite starts with a SELECT, of the client's database.
      await client.call("SET", "x", "1");
      expect(incrFile(server, 2)).toBe(resp(["SELECT", "3"], ["SET", "x", "1"]));
      fields = await info(client, "persistence");
      expect(fields.get("aof_current_size")).toBe(String(base.length + resp(["SELECT", "3"], ["SET", "x", "1"]).length));
      client.close();
    });
  });

  describe(`${flavor}: history files`, () => {
    test("aof-disable-auto-gc yes keeps them in the manifest and on disk; set back to no, they are deleted", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes", "--aof-disable-auto-gc", "yes"]);
      await client.call("SET", "a", "1");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      await rewriteFinished(server);
      expect(manifestOf(server.dir)).toBe(
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
      );
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
      expect(server.output()).not.toContain("Removing the history file");
      expect(await client.call("CONFIG", "SET", "aof-disable-auto-gc", "no")).toBe("OK");
      expect(manifestOf(server.dir)).toBe(MANIFEST_2);
      await waitFor(() => aofDirFiles(server.dir).length === 3, { what: "the history files to go" });
      expect(aofDirFiles(server.dir)).toEqual(["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]);
      await server.waitForOutput("Removing the history file appendonly.aof.1.base.rdb in the background");
      client.close();
    });
  });

  describe(`${flavor}: shutting down`, () => {
    test("SHUTDOWN fsyncs the AOF; a write pipelined right before it survives", async () => {
      const args = ["--appendonly", "yes", "--appendfsync", "no"];
      const { server, client } = await start(flavor, args);
      // One read holds both: the server exits before it replies to either.
      client.write(Buffer.concat([encodeCommand(["SET", "last", "written"]), encodeCommand(["SHUTDOWN"])]));
      expect(await server.exited).toBe(0);
      expect(await server.finalOutput()).toContain("Calling fsync() on the AOF file.");
      const after = await restart(flavor, server, args);
      expect(await after.client.call("GET", "last")).toBe("written");
    });

    test("SIGTERM fsyncs the AOF and exits 0; the data is there after a restart", async () => {
      const args = ["--appendonly", "yes", "--appendfsync", "no"];
      const { server, client } = await start(flavor, args);
      await fill(client, 20);
      server.proc.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      const log = await server.finalOutput();
      expect(log).toContain("Received SIGTERM scheduling shutdown...");
      expect(log).toContain("Calling fsync() on the AOF file.");
      const after = await restart(flavor, server, args);
      expect(await after.client.call("DBSIZE")).toBe(20);
    });

    test("SHUTDOWN while the first rewrite runs: refused (Writing initial AOF), FORCE exits", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 200);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      const pid = (await waitFor(() => rewritePids(server)[0], { what: "the first rewrite" }))!;
      expect(await client.callRaw("SHUTDOWN")).toBe("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
      await server.waitForOutput("Writing initial AOF, can't exit.");
      expect(await client.call("PING")).toBe("PONG");
      expect((await info(client, "persistence")).get("aof_rewrite_in_progress")).toBe("1");
      client.write(encodeCommand(["SHUTDOWN", "FORCE"]));
      await client.waitClosed();
      expect(client.closed).toBe(true);
      expect(await server.exited).toBe(0);
      const log = await server.finalOutput();
      expect(log).toContain("Writing initial AOF. Exit anyway.");
      expect(log).toContain("There is a child rewriting the AOF. Killing it!");
      expect(log).toContain(`Killing running AOF rewrite child: ${pid}`);
      // The child is gone and took its temp files with it; the temp INCR file stays.
      await waitFor(() => rewriteTempFiles(server.dir).length === 0, { what: "the rewrite's temp files to go" });
      expect(aofDirFiles(server.dir)).toEqual(["temp-appendonly.aof.incr"]);
    });
  });

  describe(`${flavor}: shutting down during a rewrite`, () => {
    test("SHUTDOWN with the AOF on kills a BGREWRITEAOF child; the new INCR file it opened keeps the writes", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes"]);
      await fill(client, 100);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      const pid = (await waitFor(() => rewritePids(server)[0], { what: "the rewrite" }))!;
      await client.call("SET", "after-rewrite-start", "x");
      const digest = await client.call("DEBUG", "DIGEST");
      client.write(encodeCommand(["SHUTDOWN"]));
      expect(await server.exited).toBe(0);
      const log = await server.finalOutput();
      expect(log).toContain("There is a child rewriting the AOF. Killing it!");
      expect(log).toContain(`Killing running AOF rewrite child: ${pid}`);
      await waitFor(() => rewriteTempFiles(server.dir).length === 0, { what: "the rewrite's temp files to go" });
      expect(manifestOf(server.dir)).toBe(`${MANIFEST_1}file appendonly.aof.2.incr.aof seq 2 type i\n`);
      const after = await restart(flavor, server, ["--appendonly", "yes"]);
      expect(await after.client.call("DEBUG", "DIGEST")).toBe(digest);
    });

    test("SIGTERM while the first rewrite runs: the shutdown fails and the server goes on", async () => {
      const { server, client } = await start(flavor);
      await fill(client, 200);
      expect(await client.call("CONFIG", "SET", "rdb-key-save-delay", "10000")).toBe("OK");
      expect(await client.call("CONFIG", "SET", "appendonly", "yes")).toBe("OK");
      await waitFor(() => rewritePids(server)[0], { what: "the first rewrite" });
      server.proc.kill("SIGTERM");
      await server.waitForOutput("Errors trying to shut down the server. Check the logs for more information.");
      expect(server.output()).toContain("Writing initial AOF, can't exit.");
      expect(await client.call("PING")).toBe("PONG");
      expect((await info(client, "persistence")).get("aof_rewrite_in_progress")).toBe("1");
      client.close();
    });
  });

  describe(`${flavor}: a rewrite that cannot start`, () => {
    test("appenddirname is a file: BGREWRITEAOF is refused, status err, no failure counted", async () => {
      const { server, client } = await start(flavor);
      writeFileSync(join(server.dir, "appendonlydir"), "not a directory");
      expect(await client.callRaw("BGREWRITEAOF")).toBe("-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.\r\n");
      await server.waitForOutput("Can't open or create append-only dir appendonlydir: Not a directory");
      const fields = await info(client, "persistence");
      expect(fields.get("aof_last_bgrewrite_status")).toBe("err");
      expect(fields.get("aof_rewrites")).toBe("0");
      expect(fields.get("aof_rewrites_consecutive_failures")).toBe("0");
      client.close();
    });
  });

  describe(`${flavor}: DEBUG LOADAOF`, () => {
    test("reloads the dataset from the files, replies OK, logs it, leaves no dirty count", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes"]);
      await fill(client, 50);
      await client.call("INCR", "counter");
      await client.call("SELECT", "2");
      await client.call("HSET", "hash", "f", "v");
      const digest = await client.call("DEBUG", "DIGEST");
      expect(Number((await info(client, "persistence")).get("rdb_changes_since_last_save"))).toBeGreaterThan(0);
      expect(await client.callRaw("DEBUG", "LOADAOF")).toBe("+OK\r\n");
      await server.waitForOutput("Append Only File loaded by DEBUG LOADAOF");
      expect(await client.call("DEBUG", "DIGEST")).toBe(digest);
      expect((await info(client, "persistence")).get("rdb_changes_since_last_save")).toBe("0");
      // Writes go on to the same INCR file, once each.
      await client.call("SELECT", "0");
      await client.call("INCR", "counter");
      expect(await client.callRaw("DEBUG", "LOADAOF")).toBe("+OK\r\n");
      await client.call("SELECT", "0");
      expect(await client.call("GET", "counter")).toBe("2");
      const after = await restart(flavor, server, ["--appendonly", "yes"]);
      expect(await after.client.call("GET", "counter")).toBe("2");
      expect(await after.client.call("DBSIZE")).toBe(51);
    });
  });

  describe(`${flavor}: what the INCR file holds`, () => {
    const script = async (client: RawClient): Promise<void> => {
      expect(await client.call("SET", "a", "1")).toBe("OK");
      expect(await client.call("MULTI")).toBe("OK");
      await client.call("SET", "b", "2");
      await client.call("INCR", "c");
      await client.call("SELECT", "1");
      await client.call("SET", "d", "3");
      expect(await client.call("EXEC")).toEqual(["OK", 1, "OK", "OK"]);
      await client.call("SET", "e", "4");
      await client.call("SELECT", "2");
      // A transaction with one write is not wrapped (7.0); one that writes nothing is not there.
      await client.call("MULTI");
      await client.call("SET", "f", "5");
      await client.call("GET", "f");
      await client.call("EXEC");
      await client.call("MULTI");
      await client.call("GET", "f");
      await client.call("EXEC");
      expect(await client.call("INCR", "g")).toBe(1);
    };
    const expected = resp(
      ["SELECT", "0"],
      ["SET", "a", "1"],
      ["MULTI"],
      ["SET", "b", "2"],
      ["INCR", "c"],
      ["SELECT", "1"],
      ["SET", "d", "3"],
      ["EXEC"],
      ["SET", "e", "4"],
      ["SELECT", "2"],
      ["SET", "f", "5"],
      ["INCR", "g"],
    );

    test("MULTI/EXEC around a transaction's effects, SELECT when the database changes", async () => {
      const { server, client } = await start(flavor, ["--appendonly", "yes"]);
      await script(client);
      expect(incrFile(server, 1)).toBe(expected);
      client.close();
    });

    test("aof-timestamp-enabled: #TS annotations, the commands unchanged", async () => {
      const before = Math.floor(Date.now() / 1000);
      const { server, client } = await start(flavor, ["--appendonly", "yes", "--aof-timestamp-enabled", "yes"]);
      await script(client);
      const after = Math.floor(Date.now() / 1000);
      const text = incrFile(server, 1);
      expect(text.startsWith("#TS:")).toBe(true);
      const stamps = [...text.matchAll(/#TS:(\d+)\r\n/g)].map((match) => Number(match[1]));
      expect(stamps.length).toBeGreaterThan(0);
      for (const stamp of stamps) {
        expect(stamp).toBeGreaterThanOrEqual(before);
        expect(stamp).toBeLessThanOrEqual(after);
      }
      expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
      expect(text.replace(/#TS:\d+\r\n/g, "")).toBe(expected);
      client.close();
    });
  });
}


