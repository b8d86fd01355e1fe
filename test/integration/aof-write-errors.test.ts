// AOF write errors on a full disk: `dir` is a small tmpfs that the test fills, with
// Bunker and the real redis-server 7.0.15 each on an identical one, running the same
// commands, so their replies, INFO fields, log lines and files can be compared.
//
// - appendfsync everysec / no: the write that could not be written still gets its
//   reply; from then on write commands and PING get exactly
//   `-MISCONF Errors writing to the AOF file: No space left on device`, reads do not;
//   INFO says aof_last_write_status:err with the data kept in aof_buffer_length; a
//   short write is cut back, so the file never holds part of a command. Once there is
//   room again the cron's retry writes the buffer (`AOF write error looks solved, Redis
//   can write again.`) and nothing acknowledged is lost, across a restart too.
// - A transaction queued before the failure is refused at EXEC; CONFIG SET appendonly
//   no lifts the refusals (the status stays err), turning it on again resets it.
// - appendfsync always: the server exits with status 1, logging what Redis logs,
//   without replying to that write.
// - A rewrite that runs out of space: aof_last_bgrewrite_status:err and why, temp files
//   removed, the old base and INCR files still the dataset.
//
// - Where Redis 7.0.15 itself loses data here, Bunker does not follow it (each test
//   says what Redis does): a short write in an INCR file opened by a rewrite, and a
//   rewrite started while the buffer still holds a write that failed.
//
// Mounting a tmpfs needs root: the tests are skipped otherwise.

import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, REDIS_SERVER, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { checkAof, infoFields, logMessages, readManifest, resp } from "../helpers/aof.ts";
import { seededRandom } from "../helpers/random.ts";

// ---- a small tmpfs as `dir` ---------------------------------------------------------------------

const PAGE = 4096;
const MISCONF = "-MISCONF Errors writing to the AOF file: No space left on device\r\n";

/** Whether this process can mount a tmpfs (root, and mount allowed here): probed once. */
const canMount = ((): boolean => {
  if (process.getuid?.() !== 0 || Bun.which("mount") === null) return false;
  const probe = mkdtempSync(join(tmpdir(), "bunker-tmpfs-probe-"));
  try {
    if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]).exitCode !== 0) return false;
    Bun.spawnSync(["umount", probe]);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

const withTmpfs = canMount && REDIS_SERVER !== undefined ? test : test.skip;

const mounts: string[] = [];
const servers: RunningServer[] = [];

// Servers first (their working directory is the mount), then the mounts, whatever failed.
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.stop();
  while (mounts.length > 0) {
    const dir = mounts.pop()!;
    if (Bun.spawnSync(["umount", dir]).exitCode !== 0) Bun.spawnSync(["umount", "-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A new tmpfs of `size` (mount's syntax: 1m) on a temp dir, unmounted after the test. */
function tmpfs(size = "1m"): string {
  const dir = mkdtempSync(join(tmpdir(), "bunker-aof-full-"));
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  if (mount.exitCode !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mount tmpfs on ${dir}: ${mount.stderr.toString()}`);
  }
  mounts.push(dir);
  return dir;
}

const FILLER = "filler";

/** Fills the file system of `dir` with a file until no page is left; then frees `freeBytes` of it. */
function fill(dir: string, freeBytes = 0): void {
  const path = join(dir, FILLER);
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(PAGE, 0x2e);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  if (freeBytes > 0) ftruncateSync(fd, Math.max(0, size - freeBytes));
  closeSync(fd);
}

function unfill(dir: string): void {
  unlinkSync(join(dir, FILLER));
}

// ---- the servers ----------------------------------------------------------------------------------

type Kind = "bunker" | "redis";

async function startOn(kind: Kind, dir: string, args: string[]): Promise<RunningServer> {
  const all = ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0", "--enable-debug-command", "yes", ...args];
  const server = kind === "bunker" ? await startBunker({ dir, args: all }) : await startRedis({ dir, args: all });
  servers.push(server);
  return server;
}

async function info(client: RawClient): Promise<Record<string, string>> {
  return infoFields(String(await client.call("INFO", "persistence")));
}

/**
 * Waits until no everysec fsync runs: a write made while one runs is postponed (its
 * reply sent, its bytes not yet written), which would move the failure to a later command.
 */
async function noFsyncRunning(client: RawClient): Promise<void> {
  await waitFor(async () => (await info(client)).aof_pending_bio_fsync === "0", { what: "the background fsync to finish" });
}

/** The log messages about AOF writes (the lines both servers print on a write error). */
function writeErrorLines(server: RunningServer): string[] {
  return logMessages(server.output()).filter((m) => /AOF (file|write error)|AOF fsync|the append-only file|fsync policy/.test(m));
}

function aofDirFile(dir: string, name: string): string {
  return join(dir, "appendonlydir", name);
}

function incrSize(dir: string, name = "appendonly.aof.1.incr.aof"): number {
  return statSync(aofDirFile(dir, name)).size;
}

/** A SET whose effect in the AOF is exactly `bytes` long (key `key`, a value of dots). */
function setOfSize(key: string, bytes: number): string[] {
  // *3 $3 SET $k key $n value: everything but the value's digits and bytes is fixed.
  const fixed = `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$`.length + "\r\n".length + "\r\n".length;
  for (let n = bytes - fixed; n > 0; n--) {
    if (fixed + String(n).length + n === bytes) return ["SET", key, ".".repeat(n)];
  }
  throw new Error(`no SET of ${bytes} bytes`);
}

/** What each command after the failed write gets: the writes and PING refused, the rest served. */
const AFTER_FAILURE: string[][] = [
  ["SET", "c", "2"],
  ["PING"],
  ["PING", "hello"],
  ["GET", "a"],
  ["STRLEN", "big"],
  ["INCR", "n"],
  ["DEL", "a"],
  ["EXPIRE", "a", "100"],
  ["RPUSH", "l", "x"],
  ["XADD", "x", "1-1", "f", "v"],
  ["SWAPDB", "0", "1"],
  ["FLUSHALL"],
  ["PUBLISH", "ch", "m"],
  ["SELECT", "1"],
  ["SELECT", "0"],
  ["DBSIZE"],
  ["EXISTS", "a"],
  ["TTL", "a"],
  ["WATCH", "a"],
  ["UNWATCH"],
  ["MULTI"],
  ["GET", "a"],
  ["SET", "q", "1"],
  ["EXEC"],
  ["MULTI"],
  ["GET", "a"],
  ["EXEC"],
  ["ECHO", "x"],
];

interface WriteErrorRun {
  replies: string[];
  info: Record<string, string>;
  /** The INCR file's bytes while writes are refused. */
  incrDuring: string;
  check: { code: number; output: string };
  log: string[];
  /** INFO once the retry succeeded. */
  after: Record<string, string>;
}

/**
 * The same steps on one server: a write, the disk filled (`exact`: the INCR file's last
 * page filled too, so that the next write cannot write a byte, else it writes part of
 * it: a short write), the write that fails, then AFTER_FAILURE; then room again.
 */
async function writeErrorRun(kind: Kind, policy: "everysec" | "no", exact: boolean): Promise<{ run: WriteErrorRun; dir: string; server: RunningServer }> {
  const dir = tmpfs();
  const server = await startOn(kind, dir, ["--appendfsync", policy]);
  const client = await RawClient.connect(server.port);
  const replies: string[] = [];
  replies.push(await client.callRaw("SET", "a", "1"));
  fill(dir);
  await noFsyncRunning(client);
  if (exact) replies.push(await client.callRaw(...setOfSize("page", PAGE - (incrSize(dir) % PAGE))));
  replies.push(await client.callRaw("SET", "big", "x".repeat(10000)));
  for (const command of AFTER_FAILURE) replies.push(await client.callRaw(...command));
  const during = await info(client);
  const incrDuring = readFileSync(aofDirFile(dir, "appendonly.aof.1.incr.aof"), "latin1");
  const check = await checkAof(dir);
  unfill(dir);
  await server.waitForOutput("AOF write error looks solved, Redis can write again.");
  const after = await info(client);
  replies.push(await client.callRaw("SET", "c", "3"));
  client.close();
  return { run: { replies, info: during, incrDuring, check, log: writeErrorLines(server), after }, dir, server };
}

/**
 * DEBUG DIGEST of `server`, then SHUTDOWN NOSAVE and Bunker started again on `dir`:
 * both digests, and a GET of `key` on the restarted server.
 */
async function restarted(server: RunningServer, dir: string, key: string): Promise<{ before: string; after: string; value: string }> {
  const client = await RawClient.connect(server.port);
  const before = String(await client.call("DEBUG", "DIGEST"));
  client.write(resp("SHUTDOWN", "NOSAVE"));
  await client.waitClosed();
  expect(await server.exited).toBe(0);
  const again = await startOn("bunker", dir, []);
  const reader = await RawClient.connect(again.port);
  await waitFor(async () => !(await reader.callRaw("PING")).startsWith("-LOADING"), { what: "the AOF to be loaded" });
  const after = String(await reader.call("DEBUG", "DIGEST"));
  const value = await reader.callRaw("GET", key);
  reader.close();
  return { before, after, value };
}

const bulk = (value: string) => `$${value.length}\r\n${value}\r\n`;
/** The write that fails, as the AOF holds it (the INCR file held 50 bytes before it: SELECT 0, SET a 1). */
const BIG_SET = resp("SET", "big", "x".repeat(10000));

describe("a full disk under appendfsync everysec and no", () => {
  for (const { policy, exact } of [
    { policy: "everysec" as const, exact: false },
    { policy: "no" as const, exact: true },
  ]) {
    const what = exact ? "no byte can be written" : "a short write";
    withTmpfs(`appendfsync ${policy}, ${what}: the replies, INFO, log lines and files redis-server gives, then the retry`, async () => {
      const redis = await writeErrorRun("redis", policy, exact);
      const bunker = await writeErrorRun("bunker", policy, exact);
      expect(bunker.run.replies).toEqual(redis.run.replies);
      // What that is: the failed write acknowledged, then writes and PING refused, reads served.
      const replies = bunker.run.replies.slice(exact ? 2 : 1);
      expect(replies.slice(0, 3)).toEqual(["+OK\r\n", MISCONF, MISCONF]);
      expect(replies.filter((reply) => reply === MISCONF).length).toBe(11);
      expect(replies).toContain("-EXECABORT Transaction discarded because of previous errors.\r\n");
      expect(replies[replies.length - 1]).toBe("+OK\r\n");

      for (const field of ["aof_last_write_status", "aof_buffer_length", "aof_current_size"]) {
        expect(`${field}:${bunker.run.info[field]}`).toBe(`${field}:${redis.run.info[field]}`);
      }
      expect(bunker.run.info.aof_last_write_status).toBe("err");
      expect(Number(bunker.run.info.aof_buffer_length)).toBe(BIG_SET.length);
      expect(bunker.run.info.aof_last_write_error).toBe("No space left on device");
      // The log: a short write (cut back) or a failed one, as Redis words it.
      expect(bunker.run.log).toEqual(redis.run.log);
      expect(bunker.run.log).toEqual([
        exact ? "Error writing to the AOF file: No space left on device" : `Short write while writing to the AOF file: (nwritten=${PAGE - 50}, expected=${BIG_SET.length})`,
        "AOF write error looks solved, Redis can write again.",
      ]);
      // While refusing writes: the file holds whole commands only, the same as Redis's.
      expect(bunker.run.incrDuring).toBe(redis.run.incrDuring);
      expect(bunker.run.check.output).toContain("All AOF files and manifest are valid");
      expect(bunker.run.after.aof_last_write_status).toBe("ok");
      expect(bunker.run.after.aof_last_write_error).toBe("");
      expect(bunker.run.after.aof_buffer_length).toBe("0");
      expect(await checkAof(bunker.dir)).toMatchObject({ code: 0 });
      // Nothing acknowledged is lost.
      const { before, after, value } = await restarted(bunker.server, bunker.dir, "big");
      expect(after).toBe(before);
      expect(value).toBe(bulk("x".repeat(10000)));
    }, 60_000);
  }
});

describe("the error state", () => {
  withTmpfs("a transaction queued before it is refused at EXEC; appendonly no lifts it (status kept), appendonly yes resets it: as redis-server", async () => {
    const runs: Record<Kind, string[]> = { bunker: [], redis: [] };
    for (const kind of ["redis", "bunker"] as const) {
      const dir = tmpfs();
      const server = await startOn(kind, dir, ["--appendfsync", "everysec"]);
      const [client, other] = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
      const out = runs[kind];
      const fields = async (names: string[]) => {
        const all = await info(client);
        return names.map((name) => `${name}:${all[name]}`).join(" ");
      };
      out.push(await client.callRaw("SET", "a", "1"), await other.callRaw("MULTI"), await other.callRaw("SET", "q", "1"));
      fill(dir);
      await noFsyncRunning(client);
      out.push(await client.callRaw(...["SET", "big", "x".repeat(10000)]), await other.callRaw("EXEC"));
      out.push(await client.callRaw("CONFIG", "SET", "appendonly", "no"), await client.callRaw("SET", "c", "1"), await client.callRaw("PING"));
      out.push(await fields(["aof_enabled", "aof_last_write_status"]));
      unfill(dir);
      out.push(await client.callRaw("CONFIG", "SET", "appendonly", "yes"));
      await server.waitForOutput("Background AOF rewrite finished successfully");
      out.push(await fields(["aof_enabled", "aof_last_write_status", "aof_buffer_length"]));
      out.push(logMessages(server.output()).find((m) => m.startsWith("AOF reopen")) ?? "");
      client.close();
      other.close();
    }
    expect(runs.bunker).toEqual(runs.redis);
    expect(runs.bunker.slice(3)).toEqual([
      "+OK\r\n",
      "-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: No space left on device\r\n",
      "+OK\r\n",
      "+OK\r\n",
      "+PONG\r\n",
      "aof_enabled:0 aof_last_write_status:err",
      "+OK\r\n",
      "aof_enabled:1 aof_last_write_status:ok aof_buffer_length:0",
      "AOF reopen, just ignore the last error.",
    ]);
  }, 60_000);
});

describe("a full disk under appendfsync always", () => {
  withTmpfs("the write that fails ends the process with status 1 and Redis's log lines, and gets no reply", async () => {
    const results: Record<Kind, unknown> = { bunker: null, redis: null };
    let bunkerDir = "";
    for (const kind of ["redis", "bunker"] as const) {
      const dir = tmpfs();
      const server = await startOn(kind, dir, ["--appendfsync", "always"]);
      const client = await RawClient.connect(server.port);
      expect(await client.callRaw("SET", "a", "1")).toBe("+OK\r\n");
      fill(dir);
      client.write(BIG_SET);
      const received = await client.waitClosed();
      const code = await server.exited;
      await server.finalOutput();
      results[kind] = { received, code, log: writeErrorLines(server), incr: readFileSync(aofDirFile(dir, "appendonly.aof.1.incr.aof"), "latin1") };
      bunkerDir = dir;
    }
    expect(results.bunker).toEqual(results.redis);
    expect(results.bunker).toEqual({
      received: "",
      code: 1,
      log: [`Short write while writing to the AOF file: (nwritten=${PAGE - 50}, expected=${BIG_SET.length})`, "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."],
      incr: Buffer.from([resp("SELECT", "0"), resp("SET", "a", "1")].map((part) => Buffer.from(part).toString("latin1")).join(""), "latin1").toString("latin1"),
    });
    // The file was cut back to the acknowledged writes: it loads, without the failed one.
    unfill(bunkerDir);
    expect(await checkAof(bunkerDir)).toMatchObject({ code: 0 });
    const again = await startOn("bunker", bunkerDir, []);
    const client = await RawClient.connect(again.port);
    await waitFor(async () => !(await client.callRaw("PING")).startsWith("-LOADING"), { what: "the AOF to be loaded" });
    expect(await client.callRaw("GET", "a")).toBe("$1\r\n1\r\n");
    expect(await client.callRaw("EXISTS", "big")).toBe(":0\r\n");
    client.close();
  }, 60_000);
});

/** Values that LZF cannot shrink, the same on both servers. */
function incompressible(seed: number, bytes: number): string {
  const random = seededRandom(seed);
  let out = "";
  while (out.length < bytes) out += Math.floor(random() * 2 ** 32).toString(36);
  return out.slice(0, bytes);
}

describe("a rewrite that runs out of space", () => {
  for (const preamble of [true, false]) {
    withTmpfs(`aof-use-rdb-preamble ${preamble ? "yes" : "no"}: status err and why, no temp file left, the old files still the dataset`, async () => {
      const outcomes: Record<Kind, unknown> = { bunker: null, redis: null };
      for (const kind of ["redis", "bunker"] as const) {
        const dir = tmpfs();
        const server = await startOn(kind, dir, ["--aof-use-rdb-preamble", preamble ? "yes" : "no"]);
        const client = await RawClient.connect(server.port);
        // 300 KB in the INCR file; the base needs as much, and 100 KB are free.
        for (let i = 0; i < 30; i++) await client.call("SET", `k${i}`, incompressible(i, 10_000));
        fill(dir, 100 * 1024);
        expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        await server.waitForOutput("Background AOF rewrite terminated with error");
        const failed = await info(client);
        if (kind === "bunker") expect(failed.aof_last_bgrewrite_error).toEndWith(": No space left on device");
        // The writer's temp file is gone (removed in the background after the exit).
        await waitFor(() => !readdirSync(dir).some((name) => name.startsWith("temp-")), { what: "the temp files to be removed" });
        // The old base and INCR file, and the new INCR file the writes now go to.
        expect(await client.callRaw("INCR", "n")).toBe(":1\r\n");
        const manifestAfterFailure = readManifest(dir);
        const check = await checkAof(dir);
        const log = logMessages(server.output())
          .filter((m) => /^(Write error writing append only file|Background AOF rewrite terminated)/.test(m))
          .sort();
        // With room again, the next rewrite succeeds.
        unfill(dir);
        expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        await server.waitForOutput("Background AOF rewrite finished successfully");
        const digest = String(await client.call("DEBUG", "DIGEST"));
        client.close();
        outcomes[kind] = {
          status: [failed.aof_last_bgrewrite_status, failed.aof_rewrites_consecutive_failures, failed.aof_rewrite_in_progress],
          manifestAfterFailure,
          checkCode: check.code,
          log,
          manifest: readManifest(dir),
          digest,
        };
      }
      expect(outcomes.bunker).toEqual(outcomes.redis);
      const ext = preamble ? "rdb" : "aof";
      expect(outcomes.bunker).toMatchObject({
        status: ["err", "1", "0"],
        manifestAfterFailure: `file appendonly.aof.1.base.${ext} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n`,
        checkCode: 0,
        log: ["Background AOF rewrite terminated with error", "Write error writing append only file on disk: No space left on device"],
        manifest: `file appendonly.aof.2.base.${ext} seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n`,
      });
    }, 60_000);
  }
});

// ---- where Bunker does not follow Redis 7.0.15 -------------------------------------------------------

describe("what Redis 7.0.15 gets wrong on a full disk", () => {
  withTmpfs("a short write in the INCR file a rewrite opened is cut back without leaving a hole (Redis: zeros where it was, an AOF it cannot load)", async () => {
    const dir = tmpfs();
    const server = await startOn("bunker", dir, ["--appendfsync", "everysec"]);
    const client = await RawClient.connect(server.port);
    await client.call("SET", "a", "1");
    expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
    await server.waitForOutput("Background AOF rewrite finished successfully");
    await client.call("SET", "a2", "1");
    fill(dir);
    await noFsyncRunning(client);
    expect(await client.callRaw(...["SET", "big", "x".repeat(10000)])).toBe("+OK\r\n");
    expect(await client.callRaw("SET", "c", "2")).toBe(MISCONF);
    unfill(dir);
    await server.waitForOutput("AOF write error looks solved, Redis can write again.");
    expect(await client.callRaw("SET", "c", "3")).toBe("+OK\r\n");
    client.close();
    const incr = readFileSync(aofDirFile(dir, "appendonly.aof.2.incr.aof"), "latin1");
    // (A hole would read as NUL bytes where the cut-back write was.)
    expect(incr.indexOf("\x00")).toBe(-1);
    expect(incr.endsWith(Buffer.from(resp("SET", "c", "3")).toString("latin1"))).toBe(true);
    expect(await checkAof(dir)).toMatchObject({ code: 0 });
    const { before, after, value } = await restarted(server, dir, "big");
    expect(after).toBe(before);
    expect(value).toBe(bulk("x".repeat(10000)));
  }, 60_000);

  withTmpfs("no rewrite starts while a failed write waits in the buffer (Redis: the new base holds it and the new INCR file again)", async () => {
    const dir = tmpfs();
    const server = await startOn("bunker", dir, ["--appendfsync", "everysec"]);
    const client = await RawClient.connect(server.port);
    await client.call("SET", "a", "1");
    // 48 KB free: a transaction of 100 KB cannot be written, a base of two keys could.
    fill(dir, 48 * 1024);
    await noFsyncRunning(client);
    for (const call of [["MULTI"], ["SET", "pad", "x".repeat(100_000)], ["DEL", "pad"], ["INCR", "n"]]) await client.call(...call);
    expect(await client.callRaw("EXEC")).toBe("*3\r\n+OK\r\n:1\r\n:1\r\n");
    expect((await info(client)).aof_last_write_status).toBe("err");
    // Were the rewrite to start, its base would hold n = 1 and the buffer, written to the
    // INCR file it opens, INCR n once more.
    expect(await client.callRaw("BGREWRITEAOF")).toBe("-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.\r\n");
    await server.waitForOutput("Can't rewrite append only file in background: the AOF buffer could not be written");
    expect((await info(client)).aof_last_bgrewrite_status).toBe("err");
    unfill(dir);
    await server.waitForOutput("AOF write error looks solved, Redis can write again.");
    // The rewrite runs once the buffer is written.
    expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
    await server.waitForOutput("Background AOF rewrite finished successfully");
    client.close();
    const { before, after, value } = await restarted(server, dir, "n");
    expect(value).toBe(bulk("1"));
    expect(after).toBe(before);
  }, 60_000);
});
