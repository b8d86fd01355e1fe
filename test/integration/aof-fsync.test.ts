// When the AOF is fsynced, watched from outside with strace (fsync and fdatasync, and
// the writes to the AOF files, with the path of each descriptor), on Bunker and on
// redis-server 7.0.15 doing the same things:
// - everysec: bytes written in the second of the last fsync are fsynced in a later
//   second even when no client sends anything more (Redis's beforeSleep runs after
//   every cron tick);
// - no-appendfsync-on-rewrite yes: no fsync of the INCR file while a rewrite's child
//   runs (with no, every write of appendfsync always is fsynced as usual), and the
//   writes it held back are fsynced once the child is gone, again without a client;
// - aof-rewrite-incremental-fsync: the rewrite's temp file is flushed to disk every
//   4 MB as it grows (yes), or once at the end (no). Redis does it with sync_file_range,
//   which Bun's fs does not offer: Bunker fsyncs instead.
//
// Needs strace and the right to trace the servers (root, or ptrace allowed): skipped
// otherwise.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RawClient, REDIS_SERVER, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const STRACE = Bun.which("strace");

/**
 * Whether strace can attach to a server started here: ptrace may be forbidden in a
 * container, and Yama lets only root attach to a process that is not its child.
 */
const canTrace = ((): boolean => {
  if (STRACE === null) return false;
  let yamaScope = "0";
  try {
    yamaScope = readFileSync("/proc/sys/kernel/yama/ptrace_scope", "latin1").trim();
  } catch {
    // No Yama: ptrace is up to the usual permission checks.
  }
  if (process.getuid?.() !== 0 && yamaScope !== "0") return false;
  const probe = Bun.spawnSync([STRACE, "-f", "-e", "trace=none", "true"], { stderr: "pipe" });
  return probe.exitCode === 0;
})();

const withStrace = canTrace && REDIS_SERVER !== undefined ? test : test.skip;

const servers: RunningServer[] = [];
const traces: Trace[] = [];
const dirs: string[] = [];
afterEach(async () => {
  while (traces.length > 0) await traces.pop()!.stop();
  while (servers.length > 0) await servers.pop()!.stop();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

type Kind = "bunker" | "redis";

async function startOn(kind: Kind, args: string[]): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `${kind}-aof-fsync-`));
  dirs.push(dir);
  const all = ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0", ...args];
  const server = kind === "bunker" ? await startBunker({ dir, args: all }) : await startRedis({ dir, args: all });
  servers.push(server);
  return server;
}

/** One traced system call: which thread made it, what, on which file. */
interface Call {
  pid: number;
  name: string;
  path: string;
}

/** A traced thread ended by SIGKILL (every thread of a killed process has its line). */
interface Killed {
  pid: number;
  killed: true;
}

/**
 * strace -f attached to a running server (all its threads, and the children it starts):
 * fsync, fdatasync and the writes, each descriptor shown with its path (-y). The trace
 * goes to strace's standard error, unbuffered, so it can be read while it grows.
 */
class Trace {
  private text = "";
  private reading: Promise<void> = Promise.resolve();
  private constructor(private readonly proc: Subprocess) {}

  static async attach(pid: number): Promise<Trace> {
    const proc = Bun.spawn([STRACE!, "-f", "-y", "-s", "0", "-e", "trace=write,pwrite64,writev,fsync,fdatasync,sync_file_range", "-p", String(pid)], { stdout: "ignore", stderr: "pipe" });
    const trace = new Trace(proc);
    traces.push(trace);
    trace.reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) trace.text += decoder.decode(chunk);
    })();
    // Attached once every thread of the process has a tracer.
    await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`strace exited: ${trace.text}`);
        const tasks = readdirSync(`/proc/${pid}/task`);
        return tasks.every((task) => /TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/task/${task}/status`, "latin1")));
      },
      { what: `strace to attach to ${pid}` },
    );
    return trace;
  }

  /** The calls on files whose path contains `part`, and the traced processes killed by SIGKILL, in order. */
  calls(part: string): Array<Call | Killed> {
    const out: Array<Call | Killed> = [];
    for (const line of this.text.split("\n")) {
      const killed = /^(?:\[pid\s+)?(\d+)\]? \+\+\+ killed by SIGKILL/.exec(line);
      if (killed !== null) {
        out.push({ pid: Number(killed[1]), killed: true });
        continue;
      }
      const call = /^(?:\[pid\s+)?(\d+)\]? (write|pwrite64|writev|fsync|fdatasync|sync_file_range)\(\d+<([^>]*)>/.exec(line);
      if (call !== null && call[3]!.includes(part)) out.push({ pid: Number(call[1]), name: call[2]!, path: call[3]! });
    }
    return out;
  }

  /** Detaches (the server goes on) and reads the trace to its end. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null) this.proc.kill("SIGINT");
    await this.proc.exited;
    await this.reading;
  }
}

const isSync = (call: Call | Killed): boolean => "name" in call && (call.name === "fsync" || call.name === "fdatasync");
/** A flush to disk of part of a file: Redis's incremental fsync on Linux (rio.c), which Bun's fs cannot make. */
const isRangeSync = (call: Call | Killed): boolean => "name" in call && call.name === "sync_file_range";
const isWrite = (call: Call | Killed): boolean => "name" in call && call.name.includes("write");

/** Waits until an fsync of a file matching `part` follows the last write to it. */
async function syncedAfterLastWrite(trace: Trace, part: string): Promise<void> {
  await waitFor(
    () => {
      const calls = trace.calls(part);
      const lastWrite = calls.findLastIndex(isWrite);
      return lastWrite >= 0 && calls.slice(lastWrite + 1).some(isSync);
    },
    { what: `an fsync of ${part} after its last write` },
  );
}

describe("appendfsync everysec", () => {
  for (const kind of ["redis", "bunker"] as const) {
    withStrace(`${kind}: writes made in the second of the last fsync are fsynced later without another command`, async () => {
      const server = await startOn(kind, ["--appendfsync", "everysec"]);
      const client = await RawClient.connect(server.port);
      const trace = await Trace.attach(server.proc.pid);
      // Just after a second turned: the first write is fsynced, the next ones (same second) wait.
      await Bun.sleep(1000 - (Date.now() % 1000) + 20);
      for (let i = 0; i < 3; i++) expect(await client.callRaw("SET", `k${i}`, "v")).toBe("+OK\r\n");
      client.close();
      await syncedAfterLastWrite(trace, "appendonly.aof.1.incr.aof");
    });
  }
});

describe("no-appendfsync-on-rewrite", () => {
  for (const kind of ["redis", "bunker"] as const) {
    for (const noFsync of [true, false]) {
      withStrace(`${kind}, ${noFsync ? "yes: no fsync of the INCR file while the rewrite runs, the held-back one after it" : "no: appendfsync always fsyncs every write while the rewrite runs"}`, async () => {
        // A writer of a second a key, with 30 keys: it runs until the test kills it.
        const server = await startOn(kind, ["--appendfsync", "always", "--no-appendfsync-on-rewrite", noFsync ? "yes" : "no", "--rdb-key-save-delay", "1000000"]);
        const client = await RawClient.connect(server.port);
        await client.call("MSET", ...Array.from({ length: 30 }, (_, i) => [`before${i}`, "v"]).flat());
        const trace = await Trace.attach(server.proc.pid);
        expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        const writer = Number(await waitFor(() => /Background append only file rewriting started by pid (\d+)/.exec(server.output())?.[1], { what: "the writer's pid" }));
        for (let i = 0; i < 5; i++) expect(await client.callRaw("SET", `during${i}`, "v")).toBe("+OK\r\n");
        process.kill(writer, "SIGKILL");
        // From here on no client sends anything: the server acts on its own.
        client.close();
        await server.waitForOutput("Background AOF rewrite terminated by signal 9");
        const incr = "appendonly.aof.2.incr.aof";
        await syncedAfterLastWrite(trace, incr);
        // The calls on the INCR file before the killed writer is seen to exit.
        const calls = trace.calls(incr);
        const killed = calls.findIndex((call) => "killed" in call);
        expect(killed).toBeGreaterThan(0);
        const whileRunning = calls.slice(0, killed);
        expect(whileRunning.filter(isWrite).length).toBe(5);
        expect(whileRunning.filter(isSync).length).toBe(noFsync ? 0 : 5);
      });
    }
  }
});

describe("aof-rewrite-incremental-fsync", () => {
  /** 10 MB of values (1000 keys of 10 KB: about 2.5 times the 4 MB step). */
  async function tenMegabytes(client: RawClient): Promise<void> {
    const value = "v".repeat(10_000);
    for (let i = 0; i < 1000; i += 100) {
      const args = ["MSET"];
      for (let j = i; j < i + 100; j++) args.push(`key:${j}`, value);
      expect(await client.callRaw(...args)).toBe("+OK\r\n");
    }
  }

  for (const incremental of [true, false]) {
    withStrace(`${incremental ? "yes: the rewrite's temp file is flushed to disk as it grows" : "no: only once, at the end"}, as redis-server does`, async () => {
      const syncs: Record<Kind, { whole: number; ranges: number }> = { bunker: { whole: -1, ranges: -1 }, redis: { whole: -1, ranges: -1 } };
      for (const kind of ["redis", "bunker"] as const) {
        // The commands form: no compression, so the base is as large as the data.
        const server = await startOn(kind, ["--aof-use-rdb-preamble", "no", "--aof-rewrite-incremental-fsync", incremental ? "yes" : "no"]);
        const client = await RawClient.connect(server.port);
        await tenMegabytes(client);
        const trace = await Trace.attach(server.proc.pid);
        expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        await server.waitForOutput("Background AOF rewrite finished successfully");
        client.close();
        const writer = Number(/Background append only file rewriting started by pid (\d+)/.exec(server.output())![1]);
        await trace.stop();
        const calls = trace.calls(`temp-rewriteaof-${writer}.aof`);
        expect(calls.filter(isWrite).length).toBeGreaterThan(0);
        syncs[kind] = { whole: calls.filter(isSync).length, ranges: calls.filter(isRangeSync).length };
      }
      // Redis flushes each 4 MB with sync_file_range (and waits for the one before), then
      // fsyncs the whole file; Bunker fsyncs every 4 MB written, then at the end.
      if (incremental) {
        expect(syncs.redis).toEqual({ whole: 1, ranges: 3 });
        expect(syncs.bunker).toEqual({ whole: 3, ranges: 0 });
      } else {
        expect(syncs.redis).toEqual({ whole: 1, ranges: 0 });
        expect(syncs.bunker).toEqual({ whole: 1, ranges: 0 });
      }
    });
  }
});
