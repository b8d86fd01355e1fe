// Function libraries in the RDB and the AOF, against redis-server 7.0.15:
// - an RDB Bunker saves (SAVE, BGSAVE; rdbcompression yes and no) passes
//   redis-check-rdb, and redis-server started on it has the libraries and calls them;
//   an RDB Redis saves loads in Bunker;
// - DEBUG RELOAD and a restart keep the libraries (same expectations on both servers);
// - an RDB whose libraries do not load (the same library twice, a function in two
//   libraries, code that fails) stops the start-up, with Redis's log line;
// - the AOF: the FUNCTION commands in the INCR file byte for byte as Redis writes them,
//   replayed on a restart, accepted by redis-check-aof and loaded by redis-server;
//   BGREWRITEAOF with and without the RDB preamble keeps the libraries, and the base
//   file without the preamble is Redis's (FUNCTION LOAD first, then the keys).
//
// Where several libraries are compared, FUNCTION LIST is sorted (Redis answers in its
// dicts' order); a file compared byte for byte holds one library.

import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, encodeCommand, loadedOrExitCode, startBunker, startRedis, type Reply, type RunningServer } from "../helpers/server.ts";
import { FLAVORS, startFlavor, type Flavor } from "../helpers/aof-servers.ts";
import { checkAof } from "../helpers/aof.ts";
import { haveRedis } from "../helpers/differential.ts";
import { waitFor } from "../helpers/wait.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";

const d = haveRedis ? describe : describe.skip;

const running: RunningServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bunker-functions-"));
  dirs.push(dir);
  return dir;
}

async function start(flavor: Flavor, args: string[] = [], dir?: string): Promise<{ server: RunningServer; client: RawClient }> {
  const server = await startFlavor(flavor, args, dir === undefined ? {} : { dir });
  running.push(server);
  return { server, client: await RawClient.connect(server.port) };
}

/**
 * Starts `flavor` on `dir` and waits until it serves or exits: the server, or its exit
 * code and log.
 */
async function startOrExit(flavor: Flavor, dir: string): Promise<{ server: RunningServer } | { code: number; output: string }> {
  const options = { dir, waitReady: false, args: ["--enable-debug-command", "yes"] };
  const server = flavor === "bunker" ? await startBunker(options) : await startRedis(options);
  running.push(server);
  const code = await loadedOrExitCode(server, `${flavor} to load or exit`);
  if (code === null) return { server };
  return { code, output: await server.finalOutput() };
}

function lib(name: string, body: string): string {
  return `#!lua name=${name}\n${body}`;
}

const LIB1 = lib(
  "lib1",
  "redis.register_function{function_name='f1', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads a key'}",
);
const LIB2 = lib(
  "lib2",
  "redis.register_function('f2', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\n" +
    "redis.register_function('f2b', function() return 'b' end)\n" +
    "-- a comment long enough for LZF to compress the code. ".repeat(8),
);

/** FUNCTION LIST WITHCODE with libraries and functions sorted by name, as JSON. */
async function libraries(client: RawClient): Promise<string> {
  const reply = (await client.call("FUNCTION", "LIST", "WITHCODE")) as Reply[];
  const sorted = reply
    .map((library) => (library as Reply[]).map((entry) => (Array.isArray(entry) ? entry.map((fn) => JSON.stringify(fn)).sort() : entry)))
    .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
  return JSON.stringify(sorted);
}

/** The FCALLs that show both libraries work (f2 writes k2). */
async function callAll(client: RawClient): Promise<Reply[]> {
  return [await client.call("FCALL", "f1", "1", "k"), await client.call("FCALL", "f2", "1", "k2", "v2"), await client.call("FCALL_RO", "f1", "1", "k2"), await client.call("FCALL", "f2b", "0")];
}

const EXPECTED_CALLS: Reply[] = ["value", "OK", "v2", "b"];

async function loadLibraries(client: RawClient): Promise<void> {
  expect(await client.call("FUNCTION", "LOAD", LIB1)).toBe("lib1");
  expect(await client.call("FUNCTION", "LOAD", LIB2)).toBe("lib2");
  expect(await client.call("SET", "k", "value")).toBe("OK");
}

async function infoField(client: RawClient, section: string, field: string): Promise<string> {
  const text = String(await client.call("INFO", section));
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(text)?.[1] ?? "";
}

async function bgsave(client: RawClient): Promise<void> {
  expect(await client.call("BGSAVE")).toBe("Background saving started");
  await waitFor(async () => (await infoField(client, "persistence", "rdb_bgsave_in_progress")) === "0", { what: "BGSAVE to finish" });
  expect(await infoField(client, "persistence", "rdb_last_bgsave_status")).toBe("ok");
}

async function checkRdb(path: string): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["redis-check-rdb", path], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, output: out + err };
}

/** A directory holding `rdb` as dump.rdb. */
function dirWithRdb(rdb: Uint8Array): string {
  const dir = tempDir();
  writeFileSync(join(dir, "dump.rdb"), rdb);
  return dir;
}

d("the RDB", () => {
  for (const save of ["SAVE", "BGSAVE"] as const) {
    for (const compression of ["yes", "no"]) {
      test(`Bunker's ${save} (rdbcompression ${compression}) loads in redis-server`, async () => {
        const { server, client } = await start("bunker", ["--rdbcompression", compression]);
        await loadLibraries(client);
        const expected = await libraries(client);
        if (save === "SAVE") expect(await client.call("SAVE")).toBe("OK");
        else await bgsave(client);
        const path = join(server.dir, "dump.rdb");
        const check = await checkRdb(path);
        expect(check.output).toContain("Checksum OK");
        expect(check.code).toBe(0);
        // The code is stored as written; uncompressed, it is in the file as it is.
        if (compression === "no") expect(readFileSync(path).includes(Buffer.from(LIB2))).toBe(true);
        const redis = await start("redis", [], dirWithRdb(readFileSync(path)));
        expect(await libraries(redis.client)).toBe(expected);
        expect(await callAll(redis.client)).toEqual(EXPECTED_CALLS);
        expect(await redis.client.call("FUNCTION", "STATS")).toEqual(await client.call("FUNCTION", "STATS"));
      });
    }
  }

  for (const compression of ["yes", "no"]) {
    test(`Redis's SAVE (rdbcompression ${compression}) loads in Bunker`, async () => {
      const { server, client } = await start("redis", ["--rdbcompression", compression]);
      await loadLibraries(client);
      expect(await client.call("SAVE")).toBe("OK");
      const bunker = await start("bunker", [], dirWithRdb(readFileSync(join(server.dir, "dump.rdb"))));
      expect(await libraries(bunker.client)).toBe(await libraries(client));
      expect(await callAll(bunker.client)).toEqual(EXPECTED_CALLS);
      expect(await bunker.client.call("FUNCTION", "STATS")).toEqual(await client.call("FUNCTION", "STATS"));
    });
  }

  for (const flavor of FLAVORS) {
    test(`${flavor}: DEBUG RELOAD and a restart keep the libraries`, async () => {
      const { server, client } = await start(flavor);
      await loadLibraries(client);
      const before = await libraries(client);
      expect(await client.call("DEBUG", "RELOAD")).toBe("OK");
      expect(await libraries(client)).toBe(before);
      expect(await callAll(client)).toEqual(EXPECTED_CALLS);
      // MERGE with the libraries still there: the file's replace them.
      expect(await client.call("DEBUG", "RELOAD", "MERGE", "NOFLUSH", "NOSAVE")).toBe("OK");
      expect(await libraries(client)).toBe(before);
      // NOFLUSH without MERGE: the same library twice fails the load.
      const noflush = await client.call("DEBUG", "RELOAD", "NOFLUSH", "NOSAVE");
      expect(String(noflush)).toMatch(/^ERR Error trying to load the RDB dump/);
      expect(await client.call("SAVE")).toBe("OK");
      server.proc.kill("SIGKILL");
      await server.exited;
      const again = await start(flavor, [], server.dir);
      expect(await libraries(again.client)).toBe(before);
      expect(await callAll(again.client)).toEqual(EXPECTED_CALLS);
      // FUNCTION FLUSH then DEBUG RELOAD: the saved file has none.
      expect(await again.client.call("FUNCTION", "FLUSH")).toBe("OK");
      expect(await again.client.call("DEBUG", "RELOAD")).toBe("OK");
      expect(await again.client.call("FUNCTION", "LIST")).toEqual([]);
    });
  }

  test("an RDB whose libraries do not load stops the start-up, as in Redis", async () => {
    // A file with one library, uncompressed, whose FUNCTION2 records are then edited.
    const { server, client } = await start("redis", ["--rdbcompression", "no"]);
    const code = lib("only", "redis.register_function('fo', function() return 1 end)");
    expect(await client.call("FUNCTION", "LOAD", code)).toBe("only");
    expect(await client.call("SET", "key", "value")).toBe("OK");
    expect(await client.call("SAVE")).toBe("OK");
    const original = readFileSync(join(server.dir, "dump.rdb"));
    /** A FUNCTION2 record: the opcode, then the code as an RDB string (6- or 14-bit length). */
    const functionRecord = (text: string): Buffer => {
      const length = text.length < 64 ? [text.length] : [0x40 | (text.length >> 8), text.length & 0xff];
      return Buffer.concat([Buffer.from([0xf5, ...length]), Buffer.from(text)]);
    };
    const record = functionRecord(code);
    const at = original.indexOf(record);
    expect(at).toBeGreaterThan(0);
    /** The file with `records` in place of the library's record, and its checksum recomputed. */
    const withRecords = (...codes: string[]): Buffer => {
      const records = codes.map(functionRecord);
      const body = Buffer.concat([original.subarray(0, at), ...records, original.subarray(at + record.length, original.length - 8)]);
      const checksum = Buffer.alloc(8);
      checksum.writeBigUInt64LE(crc64(body));
      return Buffer.concat([body, checksum]);
    };
    const cases: Array<[string, Buffer]> = [
      ["the same library twice", withRecords(code, code)],
      ["a function in two libraries", withRecords(code, lib("other", "redis.register_function('FO', function() return 2 end)"))],
      ["code that fails", withRecords(lib("bad", "error('at load')\nredis.register_function('fb', function() end)"))],
      ["code that does not compile", withRecords(lib("bad", "this is not lua"))],
      ["no metadata", withRecords("return 1")],
      ["a good file (control)", withRecords(code, lib("other", "redis.register_function('fo2', function() return 2 end)"))],
    ];
    for (const [name, rdb] of cases) {
      const outcomes: Record<string, { code: number | null; lines: string[] }> = {};
      for (const flavor of FLAVORS) {
        const started = await startOrExit(flavor, dirWithRdb(rdb));
        if ("server" in started) {
          const c = await RawClient.connect(started.server.port);
          outcomes[flavor] = { code: null, lines: [String(await c.call("FCALL", "fo2", "0")), String(await c.call("GET", "key"))] };
          c.close();
          continue;
        }
        // The log lines of the failure (Bunker has no rdb.c line numbers), and the checker's verdict.
        const lines = started.output.split("\n").filter((line) => /Failed loading library|Internal error in RDB|Short read|RDB looks OK|RDB ERROR DETECTED/.test(line));
        outcomes[flavor] = { code: started.code, lines: lines.map((line) => line.replace(/^.*? [.\-*#] /, "").replace(/rdb\.c:\d+/, "rdb.c:N").replace(/^\[offset \d+\] /, "")) };
      }
      expect({ name, ...outcomes.bunker }).toEqual({ name, ...outcomes.redis });
      if (!name.includes("control")) {
        // Redis's checker does not load libraries: it finds the file fine, and Redis exits 0.
        expect(outcomes.redis!.code).toBe(0);
        expect(outcomes.redis!.lines[0]).toStartWith("Failed loading library, ");
        expect(outcomes.redis!.lines).toContain("\\o/ RDB looks OK! \\o/");
      }
    }
  });
});

// ---- the AOF --------------------------------------------------------------------------

async function rewriteDone(client: RawClient, server: RunningServer, seq: number): Promise<void> {
  await waitFor(
    async () =>
      (await infoField(client, "persistence", "aof_rewrite_in_progress")) === "0" &&
      (await infoField(client, "persistence", "aof_rewrite_scheduled")) === "0" &&
      readFileSync(join(server.dir, "appendonlydir", "appendonly.aof.manifest"), "latin1").includes(`seq ${seq} type i`),
    { what: `the rewrite to seq ${seq}` },
  );
  expect(await infoField(client, "persistence", "aof_last_bgrewrite_status")).toBe("ok");
}

function aofFile(server: RunningServer, name: string): Buffer {
  return readFileSync(join(server.dir, "appendonlydir", name));
}

function copyOf(dir: string): string {
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const AOF_ARGS = ["--appendonly", "yes", "--appendfsync", "always"];

d("the AOF", () => {
  test("the FUNCTION commands in the INCR file are Redis's; a restart replays them", async () => {
    // A payload with one library, made by Redis (the same bytes go to both).
    const maker = await start("redis");
    await maker.client.call("FUNCTION", "LOAD", LIB2);
    const payload = Buffer.from(String(await maker.client.call("FUNCTION", "DUMP")), "latin1");
    const steps: Array<Array<string | Uint8Array>> = [
      ["FUNCTION", "LOAD", LIB1],
      ["FUNCTION", "LOAD", LIB1],
      ["FUNCTION", "LOAD", "REPLACE", LIB1],
      ["FUNCTION", "LOAD", "#!lua name=bad\nerror('x')"],
      ["FUNCTION", "LOAD", LIB2],
      ["FCALL", "f2", "1", "k", "v"],
      ["FCALL", "f1", "1", "k"],
      ["FUNCTION", "DELETE", "lib2"],
      ["FUNCTION", "DELETE", "nosuch"],
      ["FUNCTION", "RESTORE", payload],
      ["FUNCTION", "RESTORE", payload],
      ["FUNCTION", "RESTORE", payload, "REPLACE"],
      ["SELECT", "3"],
      ["FUNCTION", "FLUSH"],
      ["FUNCTION", "FLUSH", "ASYNC"],
      ["FUNCTION", "RESTORE", payload, "FLUSH"],
      ["FUNCTION", "LOAD", LIB1],
      ["SET", "in3", "x"],
      ["SELECT", "0"],
      ["FUNCTION", "FLUSH", "SYNC"],
      ["FUNCTION", "LOAD", LIB1],
      ["FUNCTION", "LOAD", "REPLACE", LIB2],
      ["MULTI"],
      ["FUNCTION", "DELETE", "lib1"],
      ["FUNCTION", "LOAD", LIB1],
      ["EXEC"],
    ];
    const result: Record<string, { replies: string[]; incr: string; server: RunningServer }> = {};
    for (const flavor of FLAVORS) {
      const { server, client } = await start(flavor, AOF_ARGS);
      const replies: string[] = [];
      for (const step of steps) replies.push(await client.callRaw(...step));
      result[flavor] = { replies, incr: aofFile(server, "appendonly.aof.1.incr.aof").toString("latin1"), server };
    }
    expect(result.bunker!.replies).toEqual(result.redis!.replies);
    expect(result.bunker!.incr).toBe(result.redis!.incr);
    // redis-check-aof accepts both; each server restarts on its files with the libraries,
    // and Redis loads Bunker's directory.
    for (const flavor of FLAVORS) {
      const { server } = result[flavor]!;
      const check = await checkAof(server.dir);
      expect(check.code).toBe(0);
      expect(check.output).toContain("is valid");
    }
    const expected = await libraries(await RawClient.connect(result.redis!.server.port));
    const bunkerCopy = copyOf(result.bunker!.server.dir);
    for (const flavor of FLAVORS) {
      const { server } = result[flavor]!;
      server.proc.kill("SIGKILL");
      await server.exited;
      const restarted = await start(flavor, AOF_ARGS, server.dir);
      expect(await libraries(restarted.client)).toBe(expected);
      expect(await restarted.client.call("FCALL", "f2b", "0")).toBe("b");
    }
    const redis = await start("redis", AOF_ARGS, bunkerCopy);
    expect(await libraries(redis.client)).toBe(expected);
    expect(await redis.client.call("GET", "k")).toBe("v");
    expect(await redis.client.call("GET", "in3")).toBe(null);
  });

  for (const preamble of ["yes", "no"]) {
    test(`BGREWRITEAOF with aof-use-rdb-preamble ${preamble} keeps the libraries`, async () => {
      const args = [...AOF_ARGS, "--aof-use-rdb-preamble", preamble];
      const result: Record<string, { base: Buffer; server: RunningServer; list: string }> = {};
      for (const flavor of FLAVORS) {
        const { server, client } = await start(flavor, args);
        expect(await client.call("FUNCTION", "LOAD", LIB2)).toBe("lib2");
        expect(await client.call("SET", "k", "v")).toBe("OK");
        expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
        // Loaded while the rewrite may still run: in the new INCR file, not in the base.
        expect(await client.call("FUNCTION", "LOAD", LIB1)).toBe("lib1");
        await rewriteDone(client, server, 2);
        const base = aofFile(server, `appendonly.aof.2.base.${preamble === "yes" ? "rdb" : "aof"}`);
        result[flavor] = { base, server, list: await libraries(client) };
        const check = await checkAof(server.dir);
        expect(check.code).toBe(0);
        server.proc.kill("SIGKILL");
        await server.exited;
        const restarted = await start(flavor, args, server.dir);
        expect(await libraries(restarted.client)).toBe(result[flavor]!.list);
        expect(await restarted.client.call("FCALL", "f1", "1", "k")).toBe("v");
      }
      expect(result.bunker!.list).toBe(result.redis!.list);
      if (preamble === "no") {
        // The commands base: the library first (FUNCTION LOAD, no REPLACE), then the keys.
        expect(result.bunker!.base.toString("latin1")).toBe(result.redis!.base.toString("latin1"));
        expect(result.bunker!.base.toString("latin1").startsWith(Buffer.from(encodeCommand(["FUNCTION", "LOAD", LIB2])).toString("latin1"))).toBe(true);
      } else {
        expect(result.bunker!.base.includes(Buffer.from("lib2"))).toBe(true);
      }
      // Redis loads Bunker's rewritten directory, and Bunker Redis's.
      const redis = await start("redis", args, copyOf(result.bunker!.server.dir));
      expect(await libraries(redis.client)).toBe(result.redis!.list);
      const bunker = await start("bunker", args, copyOf(result.redis!.server.dir));
      expect(await libraries(bunker.client)).toBe(result.redis!.list);
      expect(await bunker.client.call("FCALL", "f1", "1", "k")).toBe("v");
      expect(existsSync(join(result.bunker!.server.dir, "appendonlydir"))).toBe(true);
    });
  }
});
