// What an AOF rewrite writes: the base file, in both of Redis 7.0's formats, from the
// snapshot writer in its "aof-base" mode (spawned as an "aof-rewrite" child of an
// in-process server) and from the in-process rewriteAppendOnlyFile.
//
// - The commands form (aof-use-rdb-preamble no) is compared with what redis-server's
//   own BGREWRITEAOF writes for the same data: the whole file byte for byte when each
//   database holds one key of an encoding whose order Redis keeps (list, intset,
//   listpack hash and zset, stream), and per key otherwise (Redis writes keys, and
//   the members of a hashtable set or hash and of a skiplist zset, in its hash tables'
//   order: only that order is normalised, the batches are compared as they are).
// - Both forms are checked by redis-check-aof / redis-check-rdb and loaded by
//   redis-server 7.0.15 from an appendonlydir built around them, which must then hold
//   the same dataset (DEBUG DIGEST, and every key's value with its stream groups).
// - Point in time: a rewrite slowed by rdb-key-save-delay, writes while it runs, and
//   the base holds the dataset of the moment the rewrite started.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, ReplyError, REDIS_SERVER, startRedis, type RunningServer } from "../helpers/server.ts";
import { argBytes, canonicalDump, datasetDigest, runSequence, startInProcessBunker, type InProcessBunker } from "../helpers/sequence-runner.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { waitFor } from "../helpers/wait.ts";
import { SnapshotCoordinator } from "../../src/persistence/snapshot.ts";
import { parseWriterArgv } from "../../src/persistence/snapshot-protocol.ts";
import { aofRewriteChildFileName, aofRewriteTempFileName } from "../../src/persistence/rdb-file.ts";
import { rewriteAppendOnlyFile } from "../../src/persistence/aof/rewrite.ts";
import type { ChildExit } from "../../src/persistence/child.ts";
import type { Server } from "../../src/server.ts";
import { logger } from "../../src/log.ts";

const withRedis = REDIS_SERVER === undefined || Bun.which("redis-check-aof") === null ? test.skip : test;

// ---- the datasets -----------------------------------------------------------------------

/** A command: binary strings (one char per byte). */
type Command = string[];

interface KeySpec {
  key: string;
  /** The commands that build it (no SELECT). */
  commands: Command[];
  /**
   * Redis writes its elements in an order Bunker reproduces (a list, an intset, a
   * listpack hash or zset, a stream); false where Redis iterates a hash table, whose
   * encoding `unorderedEncoding` names (the test checks it on Redis).
   */
  unorderedEncoding?: "hashtable" | "skiplist";
}

/** Far in the future (2100): TTLs that cannot expire during a test. */
const FAR_MS = 4102444800000;
/** Pending entries get fixed delivery times (XCLAIM TIME must not be in the future). */
const DELIVERED_MS = 1700000000000;

function numbered(count: number, make: (i: number) => string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(...make(i));
  return out;
}

/** Every type and encoding, with the batch boundaries of AOF_REWRITE_ITEMS_PER_CMD. */
function keySpecs(): KeySpec[] {
  const specs: KeySpec[] = [
    { key: "str:plain", commands: [["SET", "str:plain", "hello"], ["PEXPIREAT", "str:plain", String(FAR_MS + 1)]] },
    { key: "str:int", commands: [["SET", "str:int", "12345"]] },
    { key: "str:int64", commands: [["SET", "str:int64", "12345678901"], ["INCRBY", "str:int64", "-2"]] },
    { key: "str:zero-padded", commands: [["SET", "str:zero-padded", "007"]] },
    { key: "str:empty", commands: [["SET", "str:empty", ""]] },
    { key: "str:long", commands: [["SET", "str:long", "x".repeat(600)], ["APPEND", "str:long", "yz"]] },
    { key: "str:binary", commands: [["SET", "str:binary", "\x00\r\n\xff\xfe$*3"], ["PEXPIREAT", "str:binary", String(FAR_MS + 2)]] },
    { key: "\x00bin\r\nkey\xff", commands: [["SET", "\x00bin\r\nkey\xff", "\x01"]] },
    { key: "list:small", commands: [["RPUSH", "list:small", "a", "1", "-2", "bb", "12345678901", ""], ["PEXPIREAT", "list:small", String(FAR_MS + 3)]] },
    { key: "list:64", commands: [["RPUSH", "list:64", ...numbered(64, (i) => [`e${i}`])]] },
    { key: "list:65", commands: [["RPUSH", "list:65", ...numbered(65, (i) => [String(i * 7 - 100)])]] },
    {
      key: "list:edited",
      commands: [
        ["RPUSH", "list:edited", ...numbered(129, (i) => [i % 3 === 0 ? String(i) : `v${i}`])],
        ["LPUSH", "list:edited", "head2", "head1"],
        ["LSET", "list:edited", "5", "changed"],
        ["LINSERT", "list:edited", "BEFORE", "v10", "inserted"],
        ["LREM", "list:edited", "0", "v20"],
      ],
    },
    { key: "list:plain-node", commands: [["RPUSH", "list:plain-node", "a", "y".repeat(10000), "b", "z".repeat(9000)]] },
    { key: "set:intset", commands: [["SADD", "set:intset", "5", "-3", "100000", "1099511627776", "0", "-9223372036854775808", "9223372036854775807"], ["PEXPIREAT", "set:intset", String(FAR_MS + 4)]] },
    { key: "set:intset-65", commands: [["SADD", "set:intset-65", ...numbered(65, (i) => [String((i * 37) % 65)])]] },
    { key: "set:intset-600", commands: [["SADD", "set:intset-600", ...numbered(600, (i) => [String(i * 3)])]], unorderedEncoding: "hashtable" },
    { key: "set:small", commands: [["SADD", "set:small", "a", "b", "\xff\x00"]], unorderedEncoding: "hashtable" },
    { key: "set:130", commands: [["SADD", "set:130", ...numbered(130, (i) => [`m${i}`])]], unorderedEncoding: "hashtable" },
    { key: "set:mixed", commands: [["SADD", "set:mixed", "1", "2", "x"], ["SREM", "set:mixed", "2"]], unorderedEncoding: "hashtable" },
    {
      key: "zset:lp",
      commands: [
        ["ZADD", "zset:lp", "1", "a", "2.5", "b", "inf", "c", "-inf", "d", "0.1", "e", "1e17", "f", "-0", "g", "3.0000000000000004", "h", "12345678901", "i", "-1.5e-7", "j"],
        ["ZINCRBY", "zset:lp", "0.25", "a"],
        ["PEXPIREAT", "zset:lp", String(FAR_MS + 5)],
      ],
    },
    { key: "zset:lp-65", commands: [["ZADD", "zset:lp-65", ...numbered(65, (i) => [String((i % 13) / 4), `m${i}`])]] },
    { key: "zset:skiplist", commands: [["ZADD", "zset:skiplist", ...numbered(200, (i) => [String(i * 1.5 - 40), `m${i}`])]], unorderedEncoding: "skiplist" },
    { key: "zset:long-member", commands: [["ZADD", "zset:long-member", "-0", "w".repeat(100), "2", "b", "0.3", "c"]], unorderedEncoding: "skiplist" },
    // Small enough for a listpack again, but a skiplist (Redis does not convert back): its -0 stays -0.
    {
      key: "zset:shrunk",
      commands: [["ZADD", "zset:shrunk", "1", "w".repeat(100)], ["ZADD", "zset:shrunk", "-0", "a", "2", "b"], ["ZREM", "zset:shrunk", "w".repeat(100)]],
      unorderedEncoding: "skiplist",
    },
    // 0 * -1 is -0, which a listpack holds as 0.
    {
      key: "zset:weighted",
      commands: [["ZADD", "zset:weighted:source", "0", "a", "1", "b"], ["ZUNIONSTORE", "zset:weighted", "1", "zset:weighted:source", "WEIGHTS", "-1"], ["DEL", "zset:weighted:source"], ["ZINCRBY", "zset:weighted", "-0", "c"]],
    },
    // Integers only, but a hashtable since it held a string.
    { key: "set:ints-in-hashtable", commands: [["SADD", "set:ints-in-hashtable", "30", "10", "x", "20"], ["SREM", "set:ints-in-hashtable", "x"]], unorderedEncoding: "hashtable" },
    {
      key: "hash:lp",
      commands: [
        ["HSET", "hash:lp", "f1", "v1", "f2", "2", "f3", "-3", "\x00f", "\xffv"],
        ["HSET", "hash:lp", "f1", "v1b"],
        ["HDEL", "hash:lp", "f2"],
        ["HSET", "hash:lp", "f2", "again"],
        ["HINCRBY", "hash:lp", "n", "10"],
        ["PEXPIREAT", "hash:lp", String(FAR_MS + 6)],
      ],
    },
    { key: "hash:lp-65", commands: [["HSET", "hash:lp-65", ...numbered(65, (i) => [`f${i}`, String(i)])]] },
    { key: "hash:ht", commands: [["HSET", "hash:ht", ...numbered(600, (i) => [`f${i}`, `v${i}`])]], unorderedEncoding: "hashtable" },
    { key: "hash:long-value", commands: [["HSET", "hash:long-value", "a", "1", "b", "v".repeat(100)]], unorderedEncoding: "hashtable" },
    {
      key: "stream:plain",
      commands: [
        ["XADD", "stream:plain", "1-1", "f", "v"],
        ["XADD", "stream:plain", "1-2", "f", "v2"],
        ["XADD", "stream:plain", "1-3", "a", "b", "c", "d"],
        ["XADD", "stream:plain", "5-0", "\x00f", "\xffv"],
        ["PEXPIREAT", "stream:plain", String(FAR_MS + 7)],
      ],
    },
    {
      key: "stream:deleted",
      commands: [...Array.from({ length: 10 }, (_, i) => ["XADD", "stream:deleted", `1-${i + 1}`, "f", String(i)]), ["XDEL", "stream:deleted", "1-1", "1-5", "1-10"]],
    },
    { key: "stream:trimmed", commands: [["XADD", "stream:trimmed", "2-1", "f", "v"], ["XADD", "stream:trimmed", "2-2", "f", "v"], ["XTRIM", "stream:trimmed", "MAXLEN", "0"]] },
    { key: "stream:mkstream", commands: [["XGROUP", "CREATE", "stream:mkstream", "g", "$", "MKSTREAM"], ["XGROUP", "CREATECONSUMER", "stream:mkstream", "g", "idle"]] },
    { key: "stream:setid", commands: [["XADD", "stream:setid", "3-1", "f", "v"], ["XADD", "stream:setid", "3-2", "f", "v"], ["XDEL", "stream:setid", "3-2"], ["XSETID", "stream:setid", "10-5", "ENTRIESADDED", "7", "MAXDELETEDID", "3-2"]] },
    { key: "stream:nodes", commands: Array.from({ length: 250 }, (_, i) => ["XADD", "stream:nodes", `${i + 1}-1`, ...(i % 3 === 0 ? ["a", String(i)] : ["a", String(i), "b", "x"])]) },
    {
      key: "stream:groups",
      commands: [
        ...Array.from({ length: 8 }, (_, i) => ["XADD", "stream:groups", `1-${i + 1}`, "f", `v${i + 1}`]),
        ["XGROUP", "CREATE", "stream:groups", "g2", "0"],
        ["XGROUP", "CREATE", "stream:groups", "g1", "$"],
        ["XGROUP", "CREATE", "stream:groups", "\xffbin", "1-3", "ENTRIESREAD", "3"],
        ["XGROUP", "CREATE", "stream:groups", "g3", "1-5"],
        ["XREADGROUP", "GROUP", "g2", "alice", "COUNT", "3", "STREAMS", "stream:groups", ">"],
        ["XREADGROUP", "GROUP", "g2", "bob", "COUNT", "2", "STREAMS", "stream:groups", ">"],
        ["XACK", "stream:groups", "g2", "1-2"],
        ["XGROUP", "CREATECONSUMER", "stream:groups", "g2", "carol"],
        ["XGROUP", "CREATECONSUMER", "stream:groups", "g1", "dave"],
        ["XREADGROUP", "GROUP", "\xffbin", "\x00c", "COUNT", "2", "STREAMS", "stream:groups", ">"],
        ["XCLAIM", "stream:groups", "g2", "bob", "0", "1-1"],
        // Delivery times and counts as data, not as the clock of the run.
        ["XCLAIM", "stream:groups", "g2", "bob", "0", "1-1", "TIME", String(DELIVERED_MS + 1), "RETRYCOUNT", "4", "JUSTID"],
        ["XCLAIM", "stream:groups", "g2", "alice", "0", "1-3", "TIME", String(DELIVERED_MS + 2), "RETRYCOUNT", "1", "JUSTID"],
        ["XCLAIM", "stream:groups", "g2", "bob", "0", "1-4", "1-5", "TIME", String(DELIVERED_MS + 3), "RETRYCOUNT", "2", "JUSTID"],
        ["XCLAIM", "stream:groups", "\xffbin", "\x00c", "0", "1-4", "1-5", "TIME", String(DELIVERED_MS + 4), "RETRYCOUNT", "7", "JUSTID"],
        ["XGROUP", "SETID", "stream:groups", "g1", "1-6", "ENTRIESREAD", "6"],
        ["XDEL", "stream:groups", "1-7"],
      ],
    },
  ];
  return specs;
}

/** The specs by key. */
function spec(key: string): KeySpec {
  const found = keySpecs().find((s) => s.key === key);
  if (found === undefined) throw new Error(`no key spec ${key}`);
  return found;
}

/**
 * Keys whose value Redis itself does not keep through a rewrite and a load: a skiplist
 * zset small enough for a listpack is loaded as one, where -0 becomes 0.
 */
const NOT_ROUND_TRIPPED = ["zset:shrunk"];

/** Every spec in database 0 (`except` some), and a few keys in databases 1, 5 and 15. */
function fullDataset(except: readonly string[] = []): Command[] {
  return [
    ["SELECT", "0"],
    ...keySpecs()
      .filter((s) => !except.includes(s.key))
      .flatMap((s) => s.commands),
    ["SELECT", "1"],
    ["SET", "db1:string", "one"],
    ["RPUSH", "db1:list", "a", "b"],
    ["SELECT", "5"],
    ["HSET", "db5:hash", "f", "v"],
    ["ZADD", "db5:zset", "1", "m"],
    ["PEXPIREAT", "db5:zset", String(FAR_MS + 8)],
    ["SELECT", "15"],
    ["SET", "\xff\x00", "\x01\x02"],
    ["SADD", "db15:set", "1"],
  ];
}

/** One key per database, of encodings whose order Redis keeps: its whole file is comparable. */
const ONE_PER_DB = [
  "str:binary",
  "list:edited",
  "set:intset-65",
  "zset:lp",
  "hash:lp",
  "stream:groups",
  "stream:trimmed",
  "stream:mkstream",
  "stream:deleted",
  "\x00bin\r\nkey\xff",
  "list:plain-node",
  "zset:lp-65",
  "hash:lp-65",
  "stream:setid",
  "stream:nodes",
  "set:intset",
];

function onePerDbDataset(): Command[] {
  return ONE_PER_DB.flatMap((key, db) => [["SELECT", String(db)], ...spec(key).commands]);
}

async function apply(port: number, commands: Command[]): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    for (const command of commands) {
      const reply = await client.call(...command.map(argBytes));
      if (reply instanceof ReplyError) throw new Error(`${JSON.stringify(command)}: ${reply.message}`);
    }
  } finally {
    client.close();
  }
}

// ---- servers and files --------------------------------------------------------------------

const home = process.cwd();
const running: RunningServer[] = [];
const inProcess: InProcessBunker[] = [];
const scratch: string[] = [];
afterEach(async () => {
  process.chdir(home);
  logger.file = "";
  while (running.length > 0) await running.pop()!.stop();
  for (const bunker of inProcess.splice(0)) {
    bunker.server.persistence.childSlot.activeChild()?.proc.kill("SIGKILL");
    bunker.stop();
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/**
 * An in-process Bunker working in a scratch directory (this process's working
 * directory until the test ends: the writer writes there), loaded with `commands`.
 */
async function bunkerWith(commands: Command[], args: string[] = []): Promise<{ bunker: InProcessBunker; dir: string }> {
  const dir = scratchDir("bunker-aof-rewrite-");
  process.chdir(dir);
  const bunker = await startInProcessBunker(undefined, args);
  inProcess.push(bunker);
  await apply(bunker.port, commands);
  return { bunker, dir };
}

interface ChildRun {
  exit: ChildExit;
  pid: number;
  producer: SnapshotCoordinator;
}

/**
 * Starts an "aof-rewrite" child with the snapshot coordinator in its "aof-base" mode,
 * as BGREWRITEAOF will, with a done-handler that records the exit. `whileRunning` runs
 * once the child is started; then checkChildrenDone is polled (as serverCron does)
 * until the child has been reaped.
 */
async function rewriteInChild(server: Server, whileRunning?: (producer: SnapshotCoordinator) => Promise<void>): Promise<ChildRun> {
  const slot = server.persistence.childSlot;
  const exits: ChildExit[] = [];
  slot.onDone("aof-rewrite", (_child, exit) => exits.push(exit));
  const producer = new SnapshotCoordinator(server, { output: "aof-base" });
  const child = slot.spawnChild("aof-rewrite", producer, { type: "file", path: join(process.cwd(), "appendonlydir") });
  await whileRunning?.(producer);
  await waitFor(
    () => {
      slot.checkChildrenDone();
      return exits.length > 0;
    },
    { timeoutMs: 120_000, what: "the AOF rewrite child to exit" },
  );
  return { exit: exits[0]!, pid: child.pid, producer };
}

/** The base file a successful child left in the working directory (and checks nothing else is left). */
function childBase(run: ChildRun): Buffer {
  expect(run.exit).toEqual({ exitCode: 0, bySignal: 0 });
  const path = join(process.cwd(), aofRewriteChildFileName(run.pid));
  expect(existsSync(join(process.cwd(), aofRewriteTempFileName(run.pid)))).toBe(false);
  return readFileSync(path);
}

async function setFormat(port: number, preamble: boolean, timestamp = false): Promise<void> {
  await apply(port, [
    ["CONFIG", "SET", "aof-use-rdb-preamble", preamble ? "yes" : "no"],
    ["CONFIG", "SET", "aof-timestamp-enabled", timestamp ? "yes" : "no"],
  ]);
}

async function infoField(client: RawClient, section: string, field: string): Promise<string> {
  const text = String(await client.call("INFO", section));
  return new RegExp(`${field}:(.*)\r`).exec(text)?.[1] ?? "";
}

/** redis-server's own BGREWRITEAOF of `commands` (AOF off, as BGREWRITEAOF allows): its base file. */
async function redisRewrite(commands: Command[], preamble: boolean, timestamp = false): Promise<Buffer> {
  const redis = await startRedis({ args: ["--aof-use-rdb-preamble", preamble ? "yes" : "no", "--aof-timestamp-enabled", timestamp ? "yes" : "no"] });
  running.push(redis);
  await apply(redis.port, commands);
  const client = await RawClient.connect(redis.port);
  try {
    expect(await client.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    await waitFor(async () => (await infoField(client, "persistence", "aof_rewrite_in_progress")) === "0" && (await infoField(client, "persistence", "aof_rewrite_scheduled")) === "0", {
      what: "redis-server's BGREWRITEAOF",
    });
    expect(await infoField(client, "persistence", "aof_last_bgrewrite_status")).toBe("ok");
  } finally {
    client.close();
  }
  const manifest = readFileSync(join(redis.dir, "appendonlydir", "appendonly.aof.manifest"), "latin1");
  const base = /^file (\S+) seq \d+ type b$/m.exec(manifest)?.[1];
  if (base === undefined) throw new Error(`no base in redis-server's manifest:\n${manifest}`);
  return readFileSync(join(redis.dir, "appendonlydir", base));
}

async function run(command: string[]): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: stdout + stderr };
}

/**
 * An appendonlydir around `base` (as base file 1 with an empty incr file), checked by
 * redis-check-aof, and a redis-server 7.0.15 started on it (loaded, ready).
 */
async function redisOnBase(base: Buffer, preamble: boolean): Promise<RunningServer> {
  const dir = scratchDir("redis-aof-base-");
  const aofDir = join(dir, "appendonlydir");
  mkdirSync(aofDir);
  const baseName = `appendonly.aof.1.base.${preamble ? "rdb" : "aof"}`;
  writeFileSync(join(aofDir, baseName), base);
  writeFileSync(join(aofDir, "appendonly.aof.1.incr.aof"), "");
  writeFileSync(join(aofDir, "appendonly.aof.manifest"), `file ${baseName} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`);
  const check = await run(["redis-check-aof", join(aofDir, "appendonly.aof.manifest")]);
  expect(check.output).toContain("All AOF files and manifest are valid");
  expect(check.code).toBe(0);
  const redis = await startRedis({ dir, args: ["--appendonly", "yes", "--enable-debug-command", "yes"] });
  running.push(redis);
  const client = await RawClient.connect(redis.port);
  try {
    await waitFor(async () => !((await client.call("EXISTS", "k")) instanceof ReplyError), { what: "redis-server to load the AOF" });
  } finally {
    client.close();
  }
  expect(redis.output()).toContain(preamble ? "Reading RDB base file on AOF loading..." : `DB loaded from base file ${baseName}`);
  return redis;
}

/** Both servers hold the same dataset: DEBUG DIGEST, and every key with its stream groups. */
async function expectSameDataset(bunkerPort: number, redisPort: number): Promise<void> {
  const digest = await datasetDigest(bunkerPort);
  expect(digest).toMatch(/^[0-9a-f]{40}$/);
  expect(await datasetDigest(redisPort)).toBe(digest);
  expect(await canonicalDump(redisPort, 16, { fullStreams: true })).toEqual(await canonicalDump(bunkerPort, 16, { fullStreams: true }));
}

// ---- reading the commands form ------------------------------------------------------------

interface AofContents {
  annotations: string[];
  commands: string[][];
}

/** RESP commands and `#` annotation lines, as the AOF loader reads them; throws on anything else. */
function parseAof(bytes: Buffer): AofContents {
  const annotations: string[] = [];
  const commands: string[][] = [];
  let at = 0;
  const line = (): string => {
    const end = bytes.indexOf("\r\n", at);
    if (end < 0) throw new Error(`no line end after offset ${at}`);
    const text = bytes.subarray(at, end).toString("latin1");
    at = end + 2;
    return text;
  };
  while (at < bytes.length) {
    if (bytes[at] === 0x23) {
      annotations.push(line());
      continue;
    }
    const header = line();
    if (!/^\*\d+$/.test(header)) throw new Error(`expected a multibulk at offset ${at}, got ${JSON.stringify(header)}`);
    const argv: string[] = [];
    for (let i = Number(header.slice(1)); i > 0; i--) {
      const bulk = line();
      if (!/^\$\d+$/.test(bulk)) throw new Error(`expected a bulk string, got ${JSON.stringify(bulk)}`);
      const length = Number(bulk.slice(1));
      argv.push(bytes.subarray(at, at + length).toString("latin1"));
      if (bytes.subarray(at + length, at + length + 2).toString("latin1") !== "\r\n") throw new Error("bulk string without CRLF");
      at += length + 2;
    }
    commands.push(argv);
  }
  return { annotations, commands };
}

/** The databases SELECTed, in order, and each key's commands ("<db> <key>" -> commands in order). */
function commandsByKey(commands: string[][]): { selects: string[]; keys: Map<string, string[][]> } {
  const selects: string[] = [];
  const keys = new Map<string, string[][]>();
  let db = "";
  for (const argv of commands) {
    const name = argv[0]!.toUpperCase();
    if (name === "SELECT") {
      db = argv[1]!;
      selects.push(db);
      continue;
    }
    const id = `${db} ${name === "XGROUP" ? argv[2] : argv[1]}`;
    const list = keys.get(id) ?? [];
    list.push(argv);
    keys.set(id, list);
  }
  return { selects, keys };
}

/**
 * A key's commands with the elements of its SADD/HMSET/ZADD batches in sorted order
 * (where Redis iterates a hash table): each batch keeps its command, key and size.
 */
function withoutHashOrder(commands: string[][]): unknown {
  const batches: string[][] = [];
  const elements: string[] = [];
  for (const argv of commands) {
    const name = argv[0]!.toUpperCase();
    const width = name === "SADD" ? 1 : name === "HMSET" || name === "ZADD" ? 2 : 0;
    if (width === 0) {
      batches.push(argv);
      continue;
    }
    batches.push([argv[0]!, argv[1]!, `${argv.length - 2} arguments`]);
    for (let i = 2; i < argv.length; i += width) elements.push(JSON.stringify(argv.slice(i, i + width)));
  }
  return { batches, elements: elements.sort() };
}

/** Throws, showing where they part, unless `ours` and `theirs` (named `theirName`) are the same bytes. */
function expectSameBytes(ours: Buffer, theirs: Buffer, theirName = "redis"): void {
  if (ours.equals(theirs)) return;
  let at = 0;
  while (at < ours.length && at < theirs.length && ours[at] === theirs[at]) at++;
  const show = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 60), at + 60).toString("latin1"));
  throw new Error(`first difference at byte ${at} of ${ours.length} / ${theirs.length}:\n ours:  ${show(ours)}\n ${theirName}: ${show(theirs)}`);
}

// ---- the tests --------------------------------------------------------------------------

describe("the commands form (aof-use-rdb-preamble no)", () => {
  withRedis("one key per database: the whole base file is redis-server's BGREWRITEAOF byte for byte", async () => {
    const commands = onePerDbDataset();
    const theirs = await redisRewrite(commands, false);
    const { bunker } = await bunkerWith(commands);
    await setFormat(bunker.port, false);
    const fromChild = childBase(await rewriteInChild(bunker.server));
    expectSameBytes(fromChild, theirs);
    expect(rewriteAppendOnlyFile(bunker.server, "in-process.aof")).toBe(true);
    expectSameBytes(readFileSync("in-process.aof"), theirs);
  }, 60_000);

  withRedis("every type and encoding, per key: the commands of redis-server's BGREWRITEAOF", async () => {
    const commands = fullDataset();
    const theirs = commandsByKey(parseAof(await redisRewrite(commands, false)).commands);
    // Which keys Redis holds in a hash table (its order is not reproducible), as the specs say.
    const redis = running[running.length - 1]!;
    const client = await RawClient.connect(redis.port);
    for (const s of keySpecs()) {
      const encoding = await client.call("OBJECT", "ENCODING", argBytes(s.key));
      expect([s.key, encoding]).toEqual([s.key, s.unorderedEncoding ?? expect.not.stringMatching(/^(hashtable|skiplist)$/)]);
    }
    client.close();
    const unordered = new Set(keySpecs().filter((s) => s.unorderedEncoding !== undefined).map((s) => `0 ${s.key}`));

    const { bunker } = await bunkerWith(commands);
    await setFormat(bunker.port, false);
    const fromChild = childBase(await rewriteInChild(bunker.server));
    expect(rewriteAppendOnlyFile(bunker.server, "in-process.aof")).toBe(true);
    // The child (keys decoded from the stream) and the server (live values) write the same
    // commands for each key; the child's key order is the two producers' (snapshot.ts).
    expect(commandsByKey(parseAof(fromChild).commands)).toEqual(commandsByKey(parseAof(readFileSync("in-process.aof")).commands));

    const ours = commandsByKey(parseAof(fromChild).commands);
    expect(ours.selects).toEqual(theirs.selects);
    expect([...ours.keys.keys()].sort()).toEqual([...theirs.keys.keys()].sort());
    for (const [id, theirCommands] of theirs.keys) {
      const ourCommands = ours.keys.get(id)!;
      if (unordered.has(id)) expect([id, withoutHashOrder(ourCommands)]).toEqual([id, withoutHashOrder(theirCommands)]);
      else expect([id, ourCommands]).toEqual([id, theirCommands]);
    }
  }, 60_000);

  withRedis("aof-timestamp-enabled: a #TS annotation of the rewrite's start first, as Redis's", async () => {
    const commands = ONE_PER_DB.slice(0, 5).flatMap((key, db) => [["SELECT", String(db)], ...spec(key).commands]);
    const theirs = parseAof(await redisRewrite(commands, false, true));
    expect(theirs.annotations).toHaveLength(1);
    const { bunker } = await bunkerWith(commands);
    await setFormat(bunker.port, false, true);
    const before = Math.floor(Date.now() / 1000);
    const bytes = childBase(await rewriteInChild(bunker.server));
    const after = Math.floor(Date.now() / 1000);
    const ours = parseAof(bytes);
    expect(bytes.toString("latin1")).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT\r\n/);
    expect(ours.annotations).toHaveLength(1);
    const stamp = Number(/^#TS:(\d+)$/.exec(ours.annotations[0]!)![1]);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(after);
    expect(ours.commands).toEqual(theirs.commands);
  }, 60_000);

  withRedis("an empty dataset: an empty base file, as Redis's (a #TS line only with timestamps)", async () => {
    expect((await redisRewrite([], false)).length).toBe(0);
    const { bunker } = await bunkerWith([]);
    await setFormat(bunker.port, false);
    expect(childBase(await rewriteInChild(bunker.server)).length).toBe(0);
    expect(rewriteAppendOnlyFile(bunker.server, "empty.aof")).toBe(true);
    expect(readFileSync("empty.aof").length).toBe(0);
    await setFormat(bunker.port, false, true);
    expect(rewriteAppendOnlyFile(bunker.server, "stamped.aof")).toBe(true);
    expect(readFileSync("stamped.aof", "latin1")).toMatch(/^#TS:\d+\r\n$/);
  }, 60_000);
});

describe("both forms load in redis-server 7.0.15 as the base of an appendonlydir", () => {
  for (const preamble of [true, false]) {
    const form = preamble ? "RDB preamble" : "commands";
    withRedis(`${form}: from the rewrite child and from rewriteAppendOnlyFile, the same dataset`, async () => {
      const { bunker } = await bunkerWith(fullDataset(NOT_ROUND_TRIPPED));
      await setFormat(bunker.port, preamble);
      const fromChild = childBase(await rewriteInChild(bunker.server));
      expect(rewriteAppendOnlyFile(bunker.server, "in-process.base")).toBe(true);
      const inProcessBase = readFileSync("in-process.base");
      for (const base of [fromChild, inProcessBase]) {
        if (preamble) {
          expect(base.subarray(0, 9).toString("latin1")).toBe("REDIS0010");
          writeFileSync("check.rdb", base);
          const check = await run(["redis-check-rdb", "check.rdb"]);
          expect(check.output).toContain("AUX FIELD aof-base = '1'");
          expect(check.output).toContain("RDB looks OK!");
          expect(check.code).toBe(0);
        } else {
          writeFileSync("check.aof", base);
          const check = await run(["redis-check-aof", "check.aof"]);
          expect(check.output).toContain("is valid");
          expect(check.code).toBe(0);
        }
        const redis = await redisOnBase(base, preamble);
        await expectSameDataset(bunker.port, redis.port);
      }
    }, 90_000);
  }
});

/**
 * Megabytes of keys in database 0: with rdb-key-save-delay the writer spends seconds
 * in them, and the stream to it is held back (backpressure) before the other databases.
 */
const PADDING_KEYS = 6000;
function padding(): Command[] {
  const commands: Command[] = [["SELECT", "0"]];
  for (let i = 0; i < PADDING_KEYS; i += 100) commands.push(["MSET", ...numbered(100, (j) => [`pad:${i + j}`, "p".repeat(2048)])]);
  return commands;
}

interface DumpedConsumer {
  "pel-count": number;
  pending: [string, ...unknown[]][];
}
interface DumpedGroup extends DumpedConsumer {
  consumers: DumpedConsumer[];
}

/**
 * The dataset Redis rebuilds from commands: a pending entry whose stream entry was
 * deleted is dropped by the XCLAIM that would restore it (7.0's XCLAIM clears such
 * entries), and a consumer left without pending entries is not created at all
 * (Redis writes XGROUP CREATECONSUMER only for consumers that had none). Redis's own
 * rewrite loses them the same way.
 */
function withoutDeletedPending(lines: string[]): string[] {
  return lines.map((line) => {
    const [db, key, type, expireAt, value] = JSON.parse(line) as [number, string, string, number, { entries: [string][]; groups: DumpedGroup[] }];
    if (type !== "stream") return line;
    const ids = new Set(value.entries.map(([id]) => id));
    for (const group of value.groups) {
      group.pending = group.pending.filter(([id]) => ids.has(id));
      group["pel-count"] = group.pending.length;
      group.consumers = group.consumers.flatMap((consumer) => {
        const pending = consumer.pending.filter(([id]) => ids.has(id));
        if (consumer.pending.length > 0 && pending.length === 0) return [];
        return [{ ...consumer, "pel-count": pending.length, pending }];
      });
    }
    return JSON.stringify([db, key, type, expireAt, value]);
  });
}

describe("point in time", () => {
  for (const preamble of [false, true]) {
    const form = preamble ? "RDB preamble" : "commands";
    withRedis(`${form}: writes during a slow rewrite leave the base as the dataset was when it started`, async () => {
      // The sequence writes to databases after the padding, keys not streamed yet.
      const { bunker } = await bunkerWith([...fullDataset(NOT_ROUND_TRIPPED).map((c) => (c[0] === "SELECT" && c[1] === "0" ? ["SELECT", "2"] : c)), ...padding()]);
      await runSequence(bunker.port, generateWriteSequence(7, { length: 600, firstDatabase: 3 }));
      await setFormat(bunker.port, preamble);
      await apply(bunker.port, [["CONFIG", "SET", "rdb-key-save-delay", "1000"]]);
      const before = await datasetDigest(bunker.port);
      const beforeDump = await canonicalDump(bunker.port, 16, { fullStreams: true });

      const result = await rewriteInChild(bunker.server, async (producer) => {
        await runSequence(bunker.port, generateWriteSequence(8, { length: 1500, firstDatabase: 1, noFlushAll: true }));
        // Every write ran before the writer got past the padding to the keys they changed,
        // and some changed keys not streamed yet (their old values were preserved).
        expect(bunker.server.persistence.childSlot.hasActiveChildProcess()).toBe(true);
        expect(producer.keysProcessed).toBeLessThan(PADDING_KEYS);
        expect(producer.preservedBytes).toBeGreaterThan(0);
        expect(await datasetDigest(bunker.port)).not.toBe(before);
      });
      const redis = await redisOnBase(childBase(result), preamble);
      expect(await datasetDigest(redis.port)).toBe(before);
      expect(await canonicalDump(redis.port, 16, { fullStreams: true })).toEqual(preamble ? beforeDump : withoutDeletedPending(beforeDump));
    }, 240_000);
  }
});

describe("the writer's files and exits", () => {
  test("start() gives the writer an aof-base output with the AOF settings; an rdb producer keeps dump.rdb's", async () => {
    const { bunker } = await bunkerWith([["SET", "k", "v"]]);
    await apply(bunker.port, [
      ["CONFIG", "SET", "rdb-save-incremental-fsync", "no"],
      ["CONFIG", "SET", "aof-rewrite-incremental-fsync", "yes"],
      ["CONFIG", "SET", "aof-use-rdb-preamble", "no"],
      ["CONFIG", "SET", "aof-timestamp-enabled", "yes"],
      ["CONFIG", "SET", "rdb-key-save-delay", "25"],
    ]);
    const argvOf = (producer: SnapshotCoordinator) => {
      try {
        const argv = producer.start();
        expect(argv[0]).toBe(process.execPath);
        return parseWriterArgv(argv.slice(3));
      } finally {
        producer.release();
      }
    };
    const aof = argvOf(new SnapshotCoordinator(bunker.server, { output: "aof-base" }));
    expect(aof.output).toEqual({ kind: "aof-base", preamble: false, timestamp: true });
    expect(aof.incrementalFsync).toBe(true);
    expect(aof.keySaveDelayMicros).toBe(25);
    expect(aof.dir).toBe(process.cwd());
    const rdb = argvOf(new SnapshotCoordinator(bunker.server));
    expect(rdb.output).toEqual({ kind: "rdb", dbfilename: "dump.rdb" });
    expect(rdb.incrementalFsync).toBe(false);
    await apply(bunker.port, [
      ["CONFIG", "SET", "aof-rewrite-incremental-fsync", "no"],
      ["CONFIG", "SET", "aof-use-rdb-preamble", "yes"],
    ]);
    const preamble = argvOf(new SnapshotCoordinator(bunker.server, { output: "aof-base" }));
    expect(preamble.output).toEqual({ kind: "aof-base", preamble: true, timestamp: true });
    expect(preamble.incrementalFsync).toBe(false);
  });

  test("the channel's socket file is gone when the producer stops or is released before the writer connected", async () => {
    const { bunker } = await bunkerWith([["SET", "k", "v"]]);
    for (const end of ["stop", "release"] as const) {
      const producer = new SnapshotCoordinator(bunker.server, { output: "aof-base" });
      const { socketPath } = parseWriterArgv(producer.start().slice(3));
      expect(existsSync(socketPath)).toBe(true);
      producer[end]();
      expect(existsSync(socketPath)).toBe(false);
      producer.release();
    }
  });

  test("success: temp-rewriteaof-bg-<pid>.aof in dir, Redis's log line, nothing else left", async () => {
    const dir = scratchDir("bunker-aof-log-");
    const logfile = join(dir, "writer.log");
    const { bunker } = await bunkerWith([["SET", "k", "v"]], ["--logfile", logfile]);
    const result = await rewriteInChild(bunker.server);
    childBase(result);
    expect(readdirSync(process.cwd()).filter((name) => name.startsWith("temp-"))).toEqual([aofRewriteChildFileName(result.pid)]);
    expect(readFileSync(logfile, "latin1")).toMatch(
      new RegExp(`^${result.pid}:C .* \\* Successfully created the temporary AOF base file temp-rewriteaof-bg-${result.pid}\\.aof$`, "m"),
    );
  });

  test("SIGUSR1: exit as Redis's child; only the temp file aofRemoveTempFile removes is left", async () => {
    const { bunker } = await bunkerWith([["MSET", ...numbered(200, (i) => [`k${i}`, "v"])]]);
    await apply(bunker.port, [["CONFIG", "SET", "rdb-key-save-delay", "100000"]]);
    const result = await rewriteInChild(bunker.server, async (producer) => {
      await waitFor(() => producer.keysProcessed > 0, { what: "the writer to write a key" });
      bunker.server.persistence.childSlot.killChild();
    });
    expect(result.exit).toEqual({ exitCode: 1, bySignal: 10 });
    const left = readdirSync(process.cwd()).filter((name) => name.startsWith("temp-"));
    expect(left.every((name) => name === aofRewriteTempFileName(result.pid) || name === aofRewriteChildFileName(result.pid))).toBe(true);
    expect(left).not.toContain(aofRewriteChildFileName(result.pid));
  });

  test("the server goes away before the end: exit 1, no file left", async () => {
    const { bunker } = await bunkerWith(padding());
    await apply(bunker.port, [["CONFIG", "SET", "rdb-key-save-delay", "1000"]]);
    const result = await rewriteInChild(bunker.server, async (producer) => {
      await waitFor(() => producer.keysProcessed > 0, { what: "the writer to write a key" });
      producer.release();
    });
    expect(result.exit).toEqual({ exitCode: 1, bySignal: 0 });
    expect(readdirSync(process.cwd()).filter((name) => name.startsWith("temp-"))).toEqual([]);
  });

  test("rewriteAppendOnlyFile: a failed rename logs Redis's line, removes the temp file, leaves the target", async () => {
    const { bunker } = await bunkerWith([["SET", "k", "v"]]);
    mkdirSync("target.aof");
    for (const preamble of [true, false]) {
      await setFormat(bunker.port, preamble);
      expect(rewriteAppendOnlyFile(bunker.server, "target.aof")).toBe(false);
      expect(logger.recent.at(-1)).toContain("# Error moving temp append only file on the final destination: Is a directory");
      expect(existsSync(aofRewriteTempFileName(process.pid))).toBe(false);
      expect(readdirSync("target.aof")).toEqual([]);
    }
    expect(rewriteAppendOnlyFile(bunker.server, join(process.cwd(), "absolute.aof"))).toBe(true);
    expect(readFileSync("absolute.aof", "latin1")).toBe("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  });
});
