// SAVE, LASTSAVE, loading at start-up (good, expired, corrupt, wrong-version, empty and
// missing files), LOADING while a slow load runs, DEBUG RELOAD, DUMP/RESTORE, FLUSHALL's
// save, and files written by one server loaded by the other.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, startBunker, startRedis, REDIS_SERVER, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { compareScript, haveRedis, startPair } from "../helpers/differential.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;
const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

async function bunker(args: string[] = [], dir?: string): Promise<{ server: RunningServer; c: RawClient }> {
  const server = await startBunker({ args, dir });
  running.push(server);
  return { server, c: await RawClient.connect(server.port) };
}

async function infoField(c: RawClient, field: string): Promise<string> {
  const text = (await c.call("INFO", "everything")) as string;
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  return line === undefined ? "" : line.slice(field.length + 1);
}

/** Starts Bunker in `dir` expecting it to fail; returns exit code and output. */
async function failingStart(dir: string): Promise<{ code: number; output: string }> {
  const server = await startBunker({ dir, waitReady: false });
  const code = await server.exited;
  return { code, output: await server.finalOutput() };
}

function tempDir(): string {
  const dir = join(require("node:os").tmpdir(), `bunker-rdb-${Date.now()}-${Math.floor(Math.random() * 1e9)}`);
  mkdirSync(dir);
  return dir;
}

describe("SAVE and LASTSAVE", () => {
  test("SAVE writes a file redis-check-rdb accepts; counters move", async () => {
    const { server, c } = await bunker();
    const lastsave = (await c.call("LASTSAVE")) as number;
    expect(Math.abs(lastsave - Date.now() / 1000)).toBeLessThan(5);
    expect(String(lastsave)).toBe(await infoField(c, "rdb_last_save_time"));
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "x".repeat(100), "EX", "1000");
    expect(await infoField(c, "rdb_changes_since_last_save")).toBe("2");
    expect(await c.callRaw("SAVE")).toBe("+OK\r\n");
    expect(await infoField(c, "rdb_changes_since_last_save")).toBe("0");
    expect(await infoField(c, "rdb_saves")).toBe("1");
    const path = join(server.dir, "dump.rdb");
    expect(readFileSync(path).subarray(0, 9).toString()).toBe("REDIS0010");
    if (REDIS_SERVER !== undefined) {
      const check = Bun.spawnSync(["redis-check-rdb", path]);
      expect(check.exitCode).toBe(0);
      expect(check.stdout.toString()).toContain("Checksum OK");
    }
  });

  test("FLUSHALL with save points saves and resets the change counter; without, it counts the keys", async () => {
    const { server, c } = await bunker(["--save", "3600 1"]);
    for (let i = 0; i < 5; i++) await c.call("SET", `k${i}`, "v");
    expect(await c.callRaw("FLUSHALL")).toBe("+OK\r\n");
    expect(await infoField(c, "rdb_changes_since_last_save")).toBe("0");
    expect(await infoField(c, "rdb_saves")).toBe("0");
    expect(existsSync(join(server.dir, "dump.rdb"))).toBe(true);
    await c.call("CONFIG", "SET", "save", "");
    await c.call("SET", "k", "v");
    await c.call("FLUSHALL");
    expect(await infoField(c, "rdb_changes_since_last_save")).toBe("2");
  });
});

describe("loading at start-up", () => {
  test("the Redis 7.0 fixture loads with every value", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "dump.rdb"), readFileSync(join(FIXTURES, "sample-7.0.rdb")));
    const { server, c } = await bunker([], dir);
    expect(await c.call("DBSIZE")).toBe(6);
    for (const [key, type] of [["str", "string"], ["list", "list"], ["set", "set"], ["zset", "zset"], ["hash", "hash"], ["strm", "stream"]]) {
      expect(await c.call("TYPE", key!)).toBe(type!);
    }
    expect(await c.call("PEXPIRETIME", "str")).toBe(4102444800000);
    expect(await infoField(c, "rdb_last_load_keys_loaded")).toBe("6");
    await server.waitForOutput("Loading RDB produced by version 7.0.15");
    await server.waitForOutput("Done loading RDB, keys loaded: 6, keys expired: 0.");
    await server.waitForOutput(/DB loaded from disk: [\d.]+ seconds/);
  });

  test("keys already expired are dropped and counted", async () => {
    const { server, c } = await bunker(["--enable-debug-command", "yes"], tempDir());
    // Without the active expire cycle a key past its time stays in memory until read,
    // and SAVE writes it (as Redis's does): the file holds a key that is already expired,
    // however long the steps take.
    await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    await c.call("SET", "a", "1", "PX", "1");
    await c.call("SET", "b", "2");
    await c.call("SAVE");
    await server.stop();
    running.pop();
    const again = await bunker([], server.dir);
    expect(await again.c.call("DBSIZE")).toBe(1);
    expect(await infoField(again.c, "rdb_last_load_keys_expired")).toBe("1");
    expect(await infoField(again.c, "rdb_last_load_keys_loaded")).toBe("1");
  });

  test("corrupt, wrong-version and empty files stop start-up with exit 1 and leave the file alone", async () => {
    const original = readFileSync(join(FIXTURES, "sample-7.0.rdb"));
    const crc = Buffer.from(original);
    crc[crc.length - 1] ^= 0xff;
    const version = Buffer.from(original);
    version.write("0011", 5);
    const truncated = original.subarray(0, original.length - 30);
    const cases: Array<[string, Uint8Array, string]> = [
      ["bad checksum", crc, "RDB CRC error"],
      ["version 11", version, "Can't handle RDB format version 11"],
      ["truncated", truncated, "Short read or OOM loading DB"],
      ["empty", new Uint8Array(0), ""],
    ];
    for (const [name, bytes, expected] of cases) {
      const dir = tempDir();
      writeFileSync(join(dir, "dump.rdb"), bytes);
      const { code, output } = await failingStart(dir);
      expect({ name, code }).toEqual({ name, code: 1 });
      expect(output).toContain(expected);
      expect(Buffer.compare(readFileSync(join(dir, "dump.rdb")), Buffer.from(bytes))).toBe(0);
    }
  });

  test("a missing file starts empty", async () => {
    const { c } = await bunker();
    expect(await c.call("DBSIZE")).toBe(0);
  });

  test("clients get -LOADING while a slow load runs; INFO shows the loading fields", async () => {
    const { server, c } = await bunker([], tempDir());
    let batch = "";
    for (let i = 0; i < 3000; i++) batch += `*3\r\n$3\r\nSET\r\n$${String(i).length + 2}\r\nk:${i}\r\n$${"x".repeat(100).length}\r\n${"x".repeat(100)}\r\n`;
    c.write(batch);
    for (let i = 0; i < 3000; i++) await c.readRawReply();
    await c.call("SAVE");
    await server.stop();
    running.pop();
    const slow = await startBunker({ dir: server.dir, args: ["--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024"], waitReady: true });
    running.push(slow);
    const c2 = await RawClient.connect(slow.port);
    expect(await c2.callRaw("PING")).toBe("-LOADING Redis is loading the dataset in memory\r\n");
    expect(await c2.callRaw("GET", "k:1")).toBe("-LOADING Redis is loading the dataset in memory\r\n");
    const info = (await c2.call("INFO", "persistence")) as string;
    expect(info).toContain("loading:1");
    expect(info).toContain("loading_loaded_perc:");
    expect(info).toContain("loading_eta_seconds:");
    expect(typeof (await c2.call("LASTSAVE"))).toBe("number");
    // The load alone takes 3 s (3000 keys x 1 ms).
    await waitFor(async () => (await c2.callRaw("PING")) === "+PONG\r\n", { what: "the load to end" });
    expect(await c2.call("DBSIZE")).toBe(3000);
  });
});

describe("access metadata survives a save and load", () => {
  test("OBJECT IDLETIME with an LRU policy, OBJECT FREQ with an LFU policy", async () => {
    const dir = tempDir();
    const lru = await bunker(["--maxmemory-policy", "allkeys-lru"], dir);
    await lru.c.call("SET", "k", "v");
    const payload = Buffer.from((await lru.c.call("DUMP", "k")) as string, "latin1");
    expect(await lru.c.callRaw("RESTORE", "idle", "0", payload, "IDLETIME", "1000")).toBe("+OK\r\n");
    expect(await lru.c.call("OBJECT", "IDLETIME", "idle")).toBe(1000);
    await lru.c.call("SAVE");
    lru.c.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    await lru.server.exited;
    const again = await bunker(["--maxmemory-policy", "allkeys-lru"], dir);
    expect((await again.c.call("OBJECT", "IDLETIME", "idle")) as number).toBeGreaterThanOrEqual(1000);
    const lfuDir = tempDir();
    const lfu = await bunker(["--maxmemory-policy", "allkeys-lfu"], lfuDir);
    expect(await lfu.c.callRaw("RESTORE", "hot", "0", payload, "FREQ", "200")).toBe("+OK\r\n");
    expect(await lfu.c.call("OBJECT", "FREQ", "hot")).toBe(200);
    await lfu.c.call("SAVE");
    lfu.c.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    await lfu.server.exited;
    const lfuAgain = await bunker(["--maxmemory-policy", "allkeys-lfu"], lfuDir);
    expect(await lfuAgain.c.call("OBJECT", "FREQ", "hot")).toBe(200);
    // The counter grows with accesses (logarithmically, as Redis's LFULogIncr).
    await lfuAgain.c.call("SET", "fresh", "v");
    const start = (await lfuAgain.c.call("OBJECT", "FREQ", "fresh")) as number;
    for (let i = 0; i < 200; i++) await lfuAgain.c.call("GET", "fresh");
    expect((await lfuAgain.c.call("OBJECT", "FREQ", "fresh")) as number).toBeGreaterThan(start);
  });
});

describe("DEBUG RELOAD and DUMP/RESTORE", () => {
  test("DEBUG RELOAD keeps data and TTLs; options; gated by enable-debug-command", async () => {
    const locked = await bunker();
    expect(await locked.c.callRaw("DEBUG", "RELOAD")).toBe(
      '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n',
    );
    const { c } = await bunker(["--enable-debug-command", "yes"]);
    await c.call("SET", "a", "1", "EX", "1000");
    await c.call("SET", "b", "2");
    expect(await c.callRaw("DEBUG", "RELOAD", "FOO")).toBe("-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
    expect(await c.callRaw("DEBUG", "RELOAD")).toBe("+OK\r\n");
    expect(await c.call("DBSIZE")).toBe(2);
    expect((await c.call("TTL", "a")) as number).toBeGreaterThan(900);
    await c.call("SET", "c", "3");
    expect(await c.callRaw("DEBUG", "RELOAD", "NOSAVE")).toBe("+OK\r\n");
    expect(await c.call("EXISTS", "c")).toBe(0);
  });

  const d = haveRedis ? test : test.skip;
  d("DUMP and RESTORE match Redis byte for byte", async () => {
    const pair = await startPair();
    try {
      const script = [
        ["SET", "s", "hello"],
        ["SET", "i", "12345"],
        ["SET", "big", "a".repeat(100)],
        ["DUMP", "s"],
        ["DUMP", "i"],
        ["DUMP", "big"],
        ["DUMP", "nokey"],
        ["RESTORE", "s", "0", "x"],
        ["RESTORE", "new", "-1", "x"],
        ["RESTORE", "new", "0", "x", "FOO"],
        ["RESTORE", "new", "0", "x", "FREQ", "300"],
        ["RESTORE", "new", "0", "x", "IDLETIME", "-1"],
        ["RESTORE", "new", "0", "\x00\x05hello\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"],
      ];
      expect(await compareScript(pair, script)).toEqual([]);
      for (const source of ["s", "i", "big"]) {
        const payload = Buffer.from((await pair.r.call("DUMP", source)) as string, "latin1");
        const [ours, theirs] = await Promise.all([pair.b.callRaw("RESTORE", `${source}-copy`, "0", payload), pair.r.callRaw("RESTORE", `${source}-copy`, "0", payload)]);
        expect(ours).toBe(theirs);
        expect(await pair.b.callRaw("GET", `${source}-copy`)).toBe(await pair.r.callRaw("GET", `${source}-copy`));
        expect(await pair.b.callRaw("RESTORE", `${source}-copy`, "0", payload)).toBe("-BUSYKEY Target key name already exists.\r\n");
        expect(await pair.b.callRaw("RESTORE", `${source}-copy`, "100000", payload, "REPLACE")).toBe("+OK\r\n");
        expect((await pair.b.call("PTTL", `${source}-copy`)) as number).toBeGreaterThan(90000);
      }
    } finally {
      await pair.stop();
    }
  });
});

const withRedis = REDIS_SERVER !== undefined ? describe : describe.skip;
withRedis("empty keys in a file are skipped with Redis's log lines", () => {
  test("an empty listpack hash: 'skipping empty key' and the count in the Done line", async () => {
    // REDIS0010, SELECTDB 0, a hash listpack of no entries at "gone", the string "k" = "v", EOF, no CRC.
    const emptyListpack = [7, 0, 0, 0, 0, 0, 0xff];
    const file = new Uint8Array([
      ...Buffer.from("REDIS0010"), 0xfe, 0,
      16, 4, ...Buffer.from("gone"), emptyListpack.length, ...emptyListpack,
      0, 1, ...Buffer.from("k"), 1, ...Buffer.from("v"),
      0xff, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const lines: string[][] = [];
    for (const start of [startBunker, startRedis]) {
      const dir = tempDir();
      writeFileSync(join(dir, "dump.rdb"), file);
      const server = await start({ dir });
      running.push(server);
      await server.waitForOutput("Done loading RDB");
      lines.push(server.output().split("\n").filter((line) => /empty key|Done loading RDB/.test(line)).map((line) => line.replace(/^\d+:M [^#*]+/, "")));
      const c = await RawClient.connect(server.port);
      expect(await c.call("DBSIZE")).toBe(1);
      c.close();
    }
    expect(lines[0]).toEqual(lines[1]!);
    expect(lines[0]).toEqual(["# rdbLoadObject skipping empty key: gone", "# Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 1."]);
  });
});

withRedis("files move both ways between Redis and Bunker", () => {
  test("Redis's SAVE loads into Bunker; Bunker's SAVE loads into Redis", async () => {
    const redis = await startRedis();
    running.push(redis);
    const r = await RawClient.connect(redis.port);
    await r.call("SET", "text", "x".repeat(500));
    await r.call("SET", "num", "-123456");
    await r.call("SET", "bin", Buffer.from([0, 1, 2, 255, 254]));
    await r.call("SET", "ttl", "v", "EX", "5000");
    await r.call("SELECT", "5");
    await r.call("SET", "db5", "five");
    await r.call("SAVE");
    const dir = tempDir();
    writeFileSync(join(dir, "dump.rdb"), readFileSync(join(redis.dir, "dump.rdb")));
    const { server, c } = await bunker([], dir);
    expect(await c.call("GET", "text")).toBe("x".repeat(500));
    expect(await c.call("GET", "num")).toBe("-123456");
    expect(await c.callRaw("GET", "bin")).toBe("$5\r\n\x00\x01\x02\xff\xfe\r\n");
    expect((await c.call("TTL", "ttl")) as number).toBeGreaterThan(4000);
    await c.call("SELECT", "5");
    expect(await c.call("GET", "db5")).toBe("five");
    await c.call("SET", "added-by-bunker", "yes");
    await c.call("SAVE");
    const dir2 = tempDir();
    writeFileSync(join(dir2, "dump.rdb"), readFileSync(join(server.dir, "dump.rdb")));
    const redis2 = await startRedis({ dir: dir2 });
    running.push(redis2);
    const r2 = await RawClient.connect(redis2.port);
    expect(await r2.call("GET", "text")).toBe("x".repeat(500));
    expect(await r2.callRaw("GET", "bin")).toBe("$5\r\n\x00\x01\x02\xff\xfe\r\n");
    await r2.call("SELECT", "5");
    expect(await r2.call("GET", "added-by-bunker")).toBe("yes");
  });
});
