#!/usr/bin/env bun
// What an AOF rewrite's base file costs to write, in both formats: N small string keys
// (key:<i> -> value:<i>, what DEBUG POPULATE makes) in an in-process server, then
//   - the rewrite child (SnapshotCoordinator in its "aof-base" mode, spawned through
//     the child slot as BGREWRITEAOF will): wall time from spawn to reaping, the
//     writer's peak RSS (VmHWM, polled: rusage's maxRSS is no use here, since Linux
//     carries the high-water mark across exec and posix_spawn's child starts in the
//     server's address space), the file's size;
//   - rewriteAppendOnlyFile in the server (the start-up path): wall time, file size;
//   - with --redis, redis-server 7.0.15's BGREWRITEAOF of DEBUG POPULATE N, timed from
//     the command to aof_rewrite_in_progress:0 (polled every 5 ms).
//
//   bun scripts/bench-aof-rewrite.ts [--keys 1000000] [--redis]

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Config } from "../src/config.ts";
import { Server } from "../src/server.ts";
import { Client } from "../src/net/client.ts";
import { CommandTable } from "../src/commands/table.ts";
import { registerAllCommands } from "../src/commands/index.ts";
import { SnapshotCoordinator } from "../src/persistence/snapshot.ts";
import { aofRewriteChildFileName } from "../src/persistence/rdb-file.ts";
import { rewriteAppendOnlyFile } from "../src/persistence/aof/rewrite.ts";
import type { ChildExit } from "../src/persistence/child.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--keys");
const KEYS = at >= 0 ? Number(args[at + 1]) : 1_000_000;
const WITH_REDIS = args.includes("--redis");

const dir = mkdtempSync(join(tmpdir(), "bench-aof-rewrite-"));
const home = process.cwd();
process.chdir(dir);

const table = new CommandTable();
registerAllCommands(table);
const server = new Server(Config.defaults(), table);
const client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
const run = (...argv: string[]): string => {
  server.processCommand(client, argv.map((arg) => new Uint8Array(Buffer.from(arg, "latin1"))));
  return Buffer.from(client.reply.take()).toString("latin1");
};

const loadStarted = performance.now();
for (let i = 0; i < KEYS; i += 1000) {
  const argv = ["MSET"];
  for (let j = i; j < Math.min(KEYS, i + 1000); j++) argv.push(`key:${j}`, `value:${j}`);
  run(...argv);
}
console.log(`${KEYS} keys loaded in ${((performance.now() - loadStarted) / 1000).toFixed(2)} s`);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Polls the process's VmHWM until `done()`; returns the highest seen (bytes). */
async function peakRss(pid: number, done: () => boolean): Promise<number> {
  let peak = 0;
  while (!done()) {
    try {
      const status = await Bun.file(`/proc/${pid}/status`).text();
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      if (match) peak = Math.max(peak, Number(match[1]) * 1024);
    } catch {
      // Gone.
    }
    await Bun.sleep(5);
    slot.checkChildrenDone();
  }
  return peak;
}
const slot = server.persistence.childSlot;
let exit: ChildExit | null = null;
slot.onDone("aof-rewrite", (_child, childExit) => (exit = childExit));

// For reference: a BGSAVE's writer (dump.rdb) of the same data.
{
  const started = performance.now();
  const child = slot.spawnChild("rdb", new SnapshotCoordinator(server), { type: "file", path: join(dir, "dump.rdb") });
  const rss = await peakRss(child.pid, () => !slot.hasActiveChildProcess());
  console.log(`child, dump.rdb (BGSAVE): ${((performance.now() - started) / 1000).toFixed(2)} s, writer peak RSS ${mb(rss)}, file ${mb(statSync("dump.rdb").size)}`);
}

for (const preamble of [true, false]) {
  const format = preamble ? "RDB preamble" : "commands";
  run("CONFIG", "SET", "aof-use-rdb-preamble", preamble ? "yes" : "no");
  exit = null;
  const started = performance.now();
  const producer = new SnapshotCoordinator(server, { output: "aof-base" });
  const child = slot.spawnChild("aof-rewrite", producer, { type: "file", path: dir });
  const rss = await peakRss(child.pid, () => exit !== null);
  const seconds = (performance.now() - started) / 1000;
  const finished: ChildExit = exit!;
  const file = join(dir, aofRewriteChildFileName(child.pid));
  console.log(
    `child, ${format}: ${seconds.toFixed(2)} s, exit ${finished.exitCode}, writer peak RSS ${mb(rss)}, file ${mb(statSync(file).size)}`,
  );
  rmSync(file);

  const inProcessStarted = performance.now();
  if (!rewriteAppendOnlyFile(server, "in-process.aof")) throw new Error("rewriteAppendOnlyFile failed");
  console.log(
    `rewriteAppendOnlyFile, ${format}: ${((performance.now() - inProcessStarted) / 1000).toFixed(2)} s, file ${mb(statSync("in-process.aof").size)}`,
  );
  rmSync("in-process.aof");
}

if (WITH_REDIS) {
  const port = 32000 + Math.floor(Math.random() * 1000);
  const logfile = join(dir, "redis.log");
  const proc = Bun.spawn(["redis-server", "--port", String(port), "--save", "", "--dir", dir, "--appenddirname", "redis-aof", "--enable-debug-command", "yes", "--logfile", logfile], {
    stdout: "ignore",
    stderr: "ignore",
  });
  const cli = (...argv: string[]) => Bun.spawnSync(["redis-cli", "-p", String(port), ...argv]).stdout.toString().trim();
  while (cli("PING") !== "PONG") await Bun.sleep(50);
  cli("DEBUG", "POPULATE", String(KEYS));
  for (const preamble of [true, false]) {
    cli("CONFIG", "SET", "aof-use-rdb-preamble", preamble ? "yes" : "no");
    const started = performance.now();
    cli("BGREWRITEAOF");
    while (!cli("INFO", "persistence").includes("aof_rewrite_in_progress:0")) await Bun.sleep(5);
    const seconds = (performance.now() - started) / 1000;
    const files = readdirSync(join(dir, "redis-aof")).filter((name) => name.includes(".base."));
    const newest = files.sort().at(-1)!;
    // The child's own time: from the parent's "started by pid" line to the child's last one.
    const log = readFileSync(logfile, "latin1").split("\n");
    const stamp = (pattern: RegExp) => {
      const line = log.findLast((l) => pattern.test(l));
      const match = line === undefined ? null : /(\d\d):(\d\d):(\d\d)\.(\d\d\d)/.exec(line);
      return match === null ? NaN : ((Number(match[1]) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 + Number(match[4]);
    };
    const childMs = stamp(/Successfully created the temporary AOF base file/) - stamp(/Background append only file rewriting started by pid/);
    console.log(
      `redis-server BGREWRITEAOF, ${preamble ? "RDB preamble" : "commands"}: ${seconds.toFixed(2)} s until aof_rewrite_in_progress:0 ` +
        `(fork to the child's last log line: ${(childMs / 1000).toFixed(2)} s), file ${mb(statSync(join(dir, "redis-aof", newest)).size)}`,
    );
  }
  proc.kill("SIGKILL");
  await proc.exited;
}

process.chdir(home);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
