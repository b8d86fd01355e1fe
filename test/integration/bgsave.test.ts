// The background save path, through real sockets: BGSAVE replies and counters, a slow
// writer (rdb-key-save-delay) overlapped with writes, killing the writer with SIGKILL
// and SIGUSR1, a failing rename, MISCONF and its recovery, scheduled saves, save
// points, FLUSHALL during a save, and point-in-time correctness checked by loading
// the file into the real redis-server.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, startBunker, startRedis, REDIS_SERVER, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const MISCONF =
  "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\r\n";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function start(args: string[] = []): Promise<{ server: RunningServer; c: RawClient }> {
  const server = await startBunker({ args });
  running.push(server);
  return { server, c: await RawClient.connect(server.port) };
}

async function info(c: RawClient, field: string): Promise<string> {
  const text = (await c.call("INFO", "everything")) as string;
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  if (line === undefined) throw new Error(`no INFO field ${field}`);
  return line.slice(field.length + 1);
}

async function waitSaveDone(c: RawClient): Promise<void> {
  await waitFor(async () => (await info(c, "rdb_bgsave_in_progress")) === "0", { what: "the background save to end" });
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^temp-\d+\.rdb$/.test(f));
}

/** The writer's pid, once it has created its temp file (it is at work). */
async function writerPid(dir: string): Promise<number> {
  const file = await waitFor(() => tempFiles(dir)[0], { what: "the writer's temp file" });
  return Number(/temp-(\d+)\.rdb/.exec(file)![1]);
}

async function fill(c: RawClient, count: number, prefix = "key"): Promise<void> {
  let batch = "";
  for (let i = 0; i < count; i++) batch += `*3\r\n$3\r\nSET\r\n$${(prefix + ":" + i).length}\r\n${prefix}:${i}\r\n$${("v" + i).length}\r\nv${i}\r\n`;
  c.write(batch);
  for (let i = 0; i < count; i++) await c.readRawReply();
}

describe("BGSAVE", () => {
  test("replies, counters and a valid file", async () => {
    const { server, c } = await start();
    await fill(c, 100);
    expect(await c.callRaw("BGSAVE", "foo")).toBe("-ERR syntax error\r\n");
    expect(await c.callRaw("BGSAVE", "SCHEDULE", "extra")).toBe("-ERR syntax error\r\n");
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    await waitSaveDone(c);
    expect(await info(c, "rdb_saves")).toBe("1");
    expect(await info(c, "total_forks")).toBe("1");
    expect(Number(await info(c, "latest_fork_usec"))).toBeGreaterThan(0);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(await info(c, "rdb_changes_since_last_save")).toBe("0");
    const file = readFileSync(join(server.dir, "dump.rdb"));
    expect(file.subarray(0, 9).toString()).toBe("REDIS0010");
    if (REDIS_SERVER !== undefined) {
      const check = Bun.spawnSync(["redis-check-rdb", join(server.dir, "dump.rdb")]);
      expect(check.exitCode).toBe(0);
      expect(check.stdout.toString()).toContain("Checksum OK");
    }
    await server.waitForOutput("Background saving terminated with success");
  });

  test("a slow save: in-progress errors, INFO, temp file, writes during the save stay dirty", async () => {
    const { server, c } = await start(["--rdb-key-save-delay", "60000"]);
    await fill(c, 20);
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    const pid = await writerPid(server.dir);
    expect(await c.callRaw("BGSAVE")).toBe("-ERR Background save already in progress\r\n");
    expect(await c.callRaw("BGSAVE", "SCHEDULE")).toBe("-ERR Background save already in progress\r\n");
    expect(await c.callRaw("SAVE")).toBe("-ERR Background save already in progress\r\n");
    expect(await info(c, "rdb_bgsave_in_progress")).toBe("1");
    expect(Number(await info(c, "rdb_current_bgsave_time_sec"))).toBeGreaterThanOrEqual(0);
    expect(await info(c, "current_save_keys_total")).toBe("20");
    expect(existsSync(join(server.dir, `temp-${pid}.rdb`))).toBe(true);
    // The writer reports its progress like Redis's child info pipe (first at key 1).
    await waitFor(async () => Number(await info(c, "current_save_keys_processed")) >= 1, { what: "the writer's first progress report" });
    expect(Number(await info(c, "current_fork_perc"))).toBeGreaterThan(0);
    await c.call("SET", "during1", "x");
    await c.call("SET", "key:1", "changed");
    await c.call("DEL", "key:2");
    await waitSaveDone(c);
    expect(await info(c, "rdb_changes_since_last_save")).toBe("3");
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(tempFiles(server.dir)).toEqual([]);
  });

  test("rdb-key-save-delay under a millisecond still delays each key: 2000 keys at 500 µs take a second", async () => {
    // Bun.sleep(0.5) returns at once: summed per key, this save used to take milliseconds.
    const { c } = await start(["--rdb-key-save-delay", "500"]);
    await fill(c, 2000);
    const started = performance.now();
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    await waitSaveDone(c);
    const elapsedMs = performance.now() - started;
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    // Only a bound that no loaded machine reaches: the point is the lower one.
    expect(elapsedMs).toBeLessThan(30_000);
  });

  test("writer killed with SIGKILL: status err, temp file removed, MISCONF for writes and PING, reads go on", async () => {
    const { server, c } = await start(["--rdb-key-save-delay", "100000", "--save", "3600 1"]);
    await fill(c, 20);
    await c.call("BGSAVE");
    const pid = await writerPid(server.dir);
    process.kill(pid, "SIGKILL");
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("err");
    expect(await info(c, "rdb_last_bgsave_error")).toBe("writer killed by signal 9");
    expect(tempFiles(server.dir)).toEqual([]);
    expect(await c.callRaw("SET", "a", "1")).toBe(MISCONF);
    expect(await c.callRaw("PING")).toBe(MISCONF);
    expect(await c.callRaw("GET", "key:1")).toBe("$2\r\nv1\r\n");
    // A transaction with a write is refused at queue time, then EXECABORT.
    expect(await c.callRaw("MULTI")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "x", "1")).toBe(MISCONF);
    expect(await c.callRaw("GET", "x")).toBe("+QUEUED\r\n");
    expect(await c.callRaw("EXEC")).toBe("-EXECABORT Transaction discarded because of previous errors.\r\n");
    expect(await c.callRaw("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "a", "1")).toBe("+OK\r\n");
    expect(await c.callRaw("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "a", "1")).toBe(MISCONF);
    expect(await c.callRaw("CONFIG", "SET", "save", "")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "a", "1")).toBe("+OK\r\n");
    expect(await c.callRaw("CONFIG", "SET", "save", "3600 1")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "a", "1")).toBe(MISCONF);
    // A successful foreground save clears the condition.
    expect(await c.callRaw("SAVE")).toBe("+OK\r\n");
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(await c.callRaw("SET", "a", "1")).toBe("+OK\r\n");
    await server.waitForOutput("Background saving terminated by signal 9");
  });

  test("EXEC is refused when MISCONF appears after the writes were queued", async () => {
    const { server, c } = await start(["--rdb-key-save-delay", "100000", "--save", "3600 1"]);
    await fill(c, 20);
    const other = await RawClient.connect(server.port);
    expect(await c.callRaw("MULTI")).toBe("+OK\r\n");
    expect(await c.callRaw("SET", "q", "1")).toBe("+QUEUED\r\n");
    await other.call("BGSAVE");
    process.kill(await writerPid(server.dir), "SIGKILL");
    await waitSaveDone(other);
    expect(await c.callRaw("EXEC")).toBe("-EXECABORT Transaction discarded because of: " + MISCONF.slice(1));
    other.close();
  });

  test("writer stopped with SIGUSR1: status stays ok, temp file removed, writes allowed", async () => {
    const { server, c } = await start(["--rdb-key-save-delay", "100000", "--save", "3600 1"]);
    await fill(c, 20);
    await c.call("BGSAVE");
    const pid = await writerPid(server.dir);
    process.kill(pid, "SIGUSR1");
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(tempFiles(server.dir)).toEqual([]);
    expect(await c.callRaw("SET", "a", "1")).toBe("+OK\r\n");
    await server.waitForOutput("Received SIGUSR1 in child, exiting now.");
    await server.waitForOutput("Background saving terminated by signal 10");
  });

  test("rename failure (dump.rdb is a directory): exit 1 handling, MISCONF, recovery", async () => {
    const { server, c } = await start(["--save", "3600 1"]);
    await fill(c, 10);
    mkdirSync(join(server.dir, "dump.rdb"));
    writeFileSync(join(server.dir, "dump.rdb", "keep"), "x");
    expect(await c.callRaw("SAVE")).toBe("-ERR\r\n");
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("err");
    expect(await info(c, "rdb_last_bgsave_error")).toMatch(/^rename: /);
    expect(await c.callRaw("SET", "a", "1")).toBe(MISCONF);
    expect(tempFiles(server.dir)).toEqual([]);
    await server.waitForOutput("Background saving error");
    await server.waitForOutput("Error moving temp DB file");
    rmSync(join(server.dir, "dump.rdb"), { recursive: true });
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(await c.callRaw("SET", "a", "1")).toBe("+OK\r\n");
  });

  test("BGSAVE inside MULTI/EXEC is scheduled and runs from the cron", async () => {
    const { c } = await start();
    await fill(c, 5);
    await c.call("MULTI");
    expect(await c.callRaw("BGSAVE")).toBe("+QUEUED\r\n");
    expect(await c.callRaw("EXEC")).toBe("*1\r\n+Background saving scheduled\r\n");
    await waitFor(async () => (await info(c, "rdb_saves")) === "1", { what: "the scheduled save" });
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
  });

  test("save points start a background save; FLUSHALL stops a running writer", async () => {
    const { server, c } = await start(["--save", "1 1"]);
    await c.call("SET", "a", "1");
    await waitFor(async () => Number(await info(c, "rdb_saves")) >= 1, { what: "the save point's save" });
    await waitSaveDone(c);
    expect(await info(c, "rdb_changes_since_last_save")).toBe("0");
    const firstSave = readFileSync(join(server.dir, "dump.rdb"));
    await c.call("CONFIG", "SET", "save", "");
    // 21 keys at 1 s each: left alone, this save would go on for 21 s and write a new file.
    await c.call("CONFIG", "SET", "rdb-key-save-delay", "1000000");
    await fill(c, 20);
    await c.call("BGSAVE");
    await writerPid(server.dir);
    expect(await c.callRaw("FLUSHALL")).toBe("+OK\r\n");
    await waitSaveDone(c);
    // Stopped, not finished: no new file (FLUSHALL saves only with save points).
    expect(readFileSync(join(server.dir, "dump.rdb")).equals(firstSave)).toBe(true);
    expect(tempFiles(server.dir)).toEqual([]);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(await c.callRaw("SET", "b", "1")).toBe("+OK\r\n");
  });
});

const withRedis = REDIS_SERVER !== undefined ? describe : describe.skip;

withRedis("point-in-time snapshot", () => {
  test("writes, deletes, expiries, RENAME, SWAPDB and FLUSHDB during a slow save do not leak into the file", async () => {
    const { server, c } = await start(["--rdb-key-save-delay", "2000"]);
    await fill(c, 400, "a");
    for (let i = 0; i < 50; i++) await c.call("SET", `n:${i}`, String(i * 9));
    await c.call("SELECT", "1");
    await fill(c, 200, "b");
    await c.call("SET", "ttl", "gone-soon", "PX", "300");
    await c.call("SELECT", "2");
    await fill(c, 100, "c");
    await c.call("SELECT", "0");
    const expected = new Map<string, string>();
    for (let i = 0; i < 400; i++) expected.set(`0/a:${i}`, `v${i}`);
    for (let i = 0; i < 50; i++) expected.set(`0/n:${i}`, String(i * 9));
    for (let i = 0; i < 200; i++) expected.set(`1/b:${i}`, `v${i}`);
    expected.set("1/ttl", "gone-soon");
    for (let i = 0; i < 100; i++) expected.set(`2/c:${i}`, `v${i}`);

    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    // Mutations while the writer is slowly consuming the stream.
    for (let i = 0; i < 400; i += 7) await c.call("SET", `a:${i}`, "overwritten");
    for (let i = 1; i < 400; i += 11) await c.call("DEL", `a:${i}`);
    // INCR writes its digits where the old ones lay: the snapshot must have copied them first.
    for (let i = 0; i < 50; i++) await c.call(i % 2 ? "INCR" : "DECR", `n:${i}`);
    await c.call("SET", "created-after", "x");
    await c.call("RENAME", "a:399", "renamed");
    await c.call("APPEND", "a:398", "-appended");
    await c.call("EXPIRE", "a:397", "1000");
    await c.call("SWAPDB", "1", "2");
    await c.call("SELECT", "1");
    await c.call("SET", "c:5", "after-swap");
    await c.call("SELECT", "2");
    await c.call("FLUSHDB");
    await c.call("SET", "b:0", "after-flush");
    await c.call("SELECT", "0");
    await waitSaveDone(c);
    expect(await info(c, "rdb_last_bgsave_status")).toBe("ok");
    expect(Number(await info(c, "rdb_last_cow_size"))).toBeGreaterThan(0);

    // Load the file into the real Redis and read everything back.
    const redisDir = join(server.dir, "redis");
    mkdirSync(redisDir);
    writeFileSync(join(redisDir, "dump.rdb"), readFileSync(join(server.dir, "dump.rdb")));
    const redis = await startRedis({ dir: redisDir });
    running.push(redis);
    const r = await RawClient.connect(redis.port);
    const actual = new Map<string, string>();
    for (const db of [0, 1, 2]) {
      await r.call("SELECT", String(db));
      const keys = (await r.call("KEYS", "*")) as string[];
      for (const key of keys) actual.set(`${db}/${key}`, (await r.call("GET", key)) as string);
    }
    // The 300 ms key may have expired in the real server after loading; it must have been in the file.
    if (!actual.has("1/ttl")) expected.delete("1/ttl");
    const differences: string[] = [];
    for (const [key, value] of expected) if (actual.get(key) !== value) differences.push(`${key}: expected ${value}, file has ${actual.get(key)}`);
    for (const [key, value] of actual) if (!expected.has(key)) differences.push(`${key}: not expected, file has ${value}`);
    expect(differences).toEqual([]);
    r.close();
  });
});

describe("shutdown and signals", () => {
  test("SIGTERM saves with save points; a restart finds the data", async () => {
    const { server, c } = await start(["--save", "3600 1"]);
    await fill(c, 50);
    server.proc.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const output = await server.finalOutput();
    expect(output).toContain("Received SIGTERM scheduling shutdown...");
    expect(output).toContain("Saving the final RDB snapshot before exiting.");
    const again = await startBunker({ dir: server.dir, args: ["--save", "3600 1"] });
    running.push(again);
    const c2 = await RawClient.connect(again.port);
    expect(await c2.call("DBSIZE")).toBe(50);
    expect(await c2.call("GET", "key:7")).toBe("v7");
  });

  test("SHUTDOWN during a slow BGSAVE stops the writer, saves and exits 0", async () => {
    const { server, c } = await start(["--save", "3600 1", "--rdb-key-save-delay", "100000"]);
    await fill(c, 20);
    await c.call("BGSAVE");
    await writerPid(server.dir);
    c.write("*1\r\n$8\r\nSHUTDOWN\r\n");
    expect(await server.exited).toBe(0);
    expect(tempFiles(server.dir)).toEqual([]);
    expect(await server.finalOutput()).toContain("There is a child saving an .rdb. Killing it!");
    const again = await startBunker({ dir: server.dir });
    running.push(again);
    const c2 = await RawClient.connect(again.port);
    expect(await c2.call("DBSIZE")).toBe(20);
  });

  test("SHUTDOWN with a failing save stays up; FORCE exits; ABORT and syntax errors", async () => {
    const { server, c } = await start(["--save", "3600 1"]);
    await c.call("SET", "a", "1");
    expect(await c.callRaw("SHUTDOWN", "ABORT")).toBe("-ERR No shutdown in progress.\r\n");
    expect(await c.callRaw("SHUTDOWN", "NOSAVE", "SAVE")).toBe("-ERR syntax error\r\n");
    expect(await c.callRaw("SHUTDOWN", "ABORT", "NOW")).toBe("-ERR syntax error\r\n");
    expect(await c.callRaw("SHUTDOWN", "FOO")).toBe("-ERR syntax error\r\n");
    mkdirSync(join(server.dir, "dump.rdb"));
    writeFileSync(join(server.dir, "dump.rdb", "keep"), "x");
    expect(await c.callRaw("SHUTDOWN")).toBe("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    expect(await c.callRaw("PING")).toBe("+PONG\r\n");
    c.write("*2\r\n$8\r\nSHUTDOWN\r\n$5\r\nFORCE\r\n");
    expect(await server.exited).toBe(0);
  });

  test("save \"\" + SHUTDOWN exits without writing; SHUTDOWN SAVE writes", async () => {
    const { server, c } = await start();
    await c.call("SET", "a", "1");
    c.write("*1\r\n$8\r\nSHUTDOWN\r\n");
    expect(await server.exited).toBe(0);
    expect(existsSync(join(server.dir, "dump.rdb"))).toBe(false);
    const again = await startBunker({ dir: server.dir });
    running.push(again);
    const c2 = await RawClient.connect(again.port);
    await c2.call("SET", "a", "1");
    c2.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
    expect(await again.exited).toBe(0);
    expect(existsSync(join(server.dir, "dump.rdb"))).toBe(true);
  });
});
