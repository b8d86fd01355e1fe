// AOF directories one server writes and the other loads, against redis-server 7.0.15
// (aof-load.test.ts covers directories Redis writes as Bunker's loader reads them, and
// hand-made ones):
// - Bunker -> Redis: Bunker with appendonly yes runs random write sequences of every
//   write command (write-sequence.ts: all databases, expiries, MULTI/EXEC, blocking pops
//   served, streams with groups, FLUSHDB/SWAPDB/MOVE/COPY, lazy expiry), keys deleted by
//   active expiry, and a BGREWRITEAOF whose writer is held (SIGSTOP) while more
//   sequences run, so their effects can only be in the INCR file the rewrite opened.
//   Then it stops (SHUTDOWN NOSAVE, or kill -9 with appendfsync always: every
//   acknowledged write must already be in the files): redis-check-aof accepts the
//   directory, redis-server loads it with Bunker's DEBUG DIGEST and dataset, and
//   Bunker restarted on it has the same.
// - Redis -> Bunker: a directory redis-server made with CONFIG SET appendonly yes and
//   then wrote to; Bunker loads it, appends to Redis's INCR file, and Redis loads that.
// - Refusals of Bunker-written files: the last INCR file cut at every byte of its last
//   command (and of a closing transaction), and every byte of a command in the middle
//   of an INCR file that is not the last changed, loaded or refused as redis-server
//   does (exit status, log lines, data), a refusal leaving every file as it was.

import { describe, expect } from "bun:test";
import { readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, ReplyError, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { canonicalDump, datasetDigest, runSequence } from "../helpers/sequence-runner.ts";
import { endMarker } from "../helpers/effect-stream.ts";
import { waitFor } from "../helpers/wait.ts";
import {
  bunkerLoadAof,
  checkAof,
  copyDir,
  infoFields,
  readManifest,
  resp,
  run,
  startRedisOnAof,
  tempDir,
  useCleanup,
  withRedis,
  type RedisStart,
} from "../helpers/aof.ts";

const { track, keep } = useCleanup();

const AOF_DIR = "appendonlydir";
const yesNo = (on: boolean) => (on ? "yes" : "no");

/** The pid of the `nth` (from 1) rewrite writer a server started, from its log. */
async function rewriteWriterPid(server: RunningServer, nth: number): Promise<number> {
  const pid = await waitFor(() => [...server.output().matchAll(/Background append only file rewriting started by pid (\d+)/g)][nth - 1]?.[1], {
    what: `rewrite writer number ${nth}`,
  });
  return Number(pid);
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

/** A server whose AOF is being loaded answers -LOADING: wait until it serves. */
async function waitLoaded(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    await waitFor(async () => !((await client.call("EXISTS", "k")) instanceof ReplyError), { what: "the AOF to be loaded" });
  } finally {
    client.close();
  }
}

/** SHUTDOWN NOSAVE: the server closes the connection without a reply and exits 0. */
async function shutdown(server: RunningServer): Promise<void> {
  const client = await RawClient.connect(server.port);
  client.write(resp("SHUTDOWN", "NOSAVE"));
  expect(await client.waitClosed()).toBe("");
  expect(await server.exited).toBe(0);
}

/**
 * Keys of every kind that only the cron's active expiry deletes (nothing looks them up),
 * in `db`: each becomes a DEL in the AOF. Returns their names.
 */
async function activeExpiry(client: RawClient, db: number, prefix: string): Promise<string[]> {
  const keys = [`${prefix}:s`, `${prefix}:l`, `${prefix}:h`, `${prefix}:x`, `${prefix}:m`];
  const calls = [
    ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ["SELECT", String(db)],
    ["SET", keys[0]!, "v", "PX", "1"],
    ["RPUSH", keys[1]!, "a", "b"],
    ["PEXPIRE", keys[1]!, "1"],
    ["HSET", keys[2]!, "f", "v"],
    ["XADD", keys[3]!, "1-1", "f", "v"],
    ["MULTI"],
    ["PEXPIRE", keys[2]!, "1"],
    ["PEXPIRE", keys[3]!, "1"],
    ["SET", keys[4]!, "v", "PX", "1"],
    ["EXEC"],
  ];
  for (const call of calls) await client.call(...call);
  // INFO keyspace counts keys without touching them: they go when the cron finds them.
  await waitFor(async () => !String(await client.call("INFO", "keyspace")).includes(`db${db}:`), { what: `active expiry to empty db ${db}` });
  await client.call("SELECT", "0");
  return keys;
}

// ---- Bunker -> Redis ------------------------------------------------------------------------

interface Scenario {
  name: string;
  seed: number;
  preamble: boolean;
  fsync: "always" | "everysec";
  timestamps: boolean;
  /** The AOF is on from the start, or turned on by CONFIG SET appendonly yes after writes. */
  turnedOn: "start" | "config-set";
  /** SHUTDOWN NOSAVE, or kill -9 (appendfsync always: nothing acknowledged may be missing). */
  stop: "shutdown" | "kill";
  /** kill -9 while the rewrite runs (its writer too): the manifest still lists the old base. */
  killDuringRewrite?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: "RDB preamble, everysec, timestamps, SHUTDOWN NOSAVE", seed: 1101, preamble: true, fsync: "everysec", timestamps: true, turnedOn: "start", stop: "shutdown" },
  { name: "commands base, appendfsync always, kill -9", seed: 1202, preamble: false, fsync: "always", timestamps: false, turnedOn: "start", stop: "kill" },
  { name: "commands base, timestamps, turned on by CONFIG SET appendonly yes", seed: 1303, preamble: false, fsync: "everysec", timestamps: true, turnedOn: "config-set", stop: "shutdown" },
  {
    name: "RDB preamble, appendfsync always, kill -9 while the rewrite runs",
    seed: 1404,
    preamble: true,
    fsync: "always",
    timestamps: false,
    turnedOn: "start",
    stop: "kill",
    killDuringRewrite: true,
  },
];

describe("Bunker's AOF loaded by redis-server", () => {
  for (const s of SCENARIOS) {
    withRedis(
      s.name,
      async () => {
        const dir = track(tempDir("bunker-aof-interop-"));
        const args = [
          "--appendonly",
          s.turnedOn === "start" ? "yes" : "no",
          "--aof-use-rdb-preamble",
          yesNo(s.preamble),
          "--appendfsync",
          s.fsync,
          "--aof-timestamp-enabled",
          yesNo(s.timestamps),
          "--auto-aof-rewrite-percentage",
          "0",
          "--enable-debug-command",
          "yes",
        ];
        const bunker = keep(await startBunker({ dir, args }));
        const client = await RawClient.connect(bunker.port);
        let rewrites = 0;
        await runSequence(bunker.port, generateWriteSequence(s.seed, { length: 1000 }));
        if (s.turnedOn === "config-set") {
          expect(await client.callRaw("CONFIG", "SET", "appendonly", "yes")).toBe("+OK\r\n");
          rewrites++;
          await waitFor(() => occurrences(bunker.output(), "Background AOF rewrite finished successfully") === 1, { what: "the AOF to be turned on" });
        }
        await activeExpiry(client, 11, "ae1");

        // A rewrite whose writer is held while more writes run: their effects can only be
        // in the INCR file it opened (and the keys they change are preserved for the base).
        // 20 ms a key: the writer cannot have finished before the SIGSTOP reaches it.
        await client.call("CONFIG", "SET", "rdb-key-save-delay", "20000");
        // The new INCR file starts with a SELECT even when the database did not change.
        await client.call("SELECT", "5");
        await client.call("SET", "before-rewrite", "1");
        expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        rewrites++;
        const writer = await rewriteWriterPid(bunker, rewrites);
        process.kill(writer, "SIGSTOP");
        let duringRewrite: string[];
        try {
          await client.call("SET", "during-rewrite", "1");
          await client.call("SELECT", "0");
          await runSequence(bunker.port, generateWriteSequence(s.seed + 1, { length: 1000 }));
          duringRewrite = await activeExpiry(client, 12, "ae2");
          expect(infoFields(String(await client.call("INFO", "persistence"))).aof_rewrite_in_progress).toBe("1");
        } finally {
          if (s.killDuringRewrite) process.kill(writer, "SIGKILL");
          else process.kill(writer, "SIGCONT");
        }
        if (!s.killDuringRewrite) {
          await waitFor(() => occurrences(bunker.output(), "Background AOF rewrite finished successfully") === rewrites, { what: "the rewrite to finish" });
          await runSequence(bunker.port, generateWriteSequence(s.seed + 2, { length: 500 }));
        }
        // SCAN first deletes keys already past their time (a loader would drop them too).
        const digest = await datasetDigest(bunker.port);
        const dump = await canonicalDump(bunker.port);
        expect(digest).toMatch(/^[0-9a-f]{40}$/);
        expect(dump.length).toBeGreaterThan(10);
        client.close();
        if (s.stop === "shutdown") await shutdown(bunker);
        else {
          bunker.proc.kill("SIGKILL");
          await bunker.exited;
        }

        // The files: the manifest, the last INCR file with the writes made during the rewrite.
        const ext = s.preamble ? "rdb" : "aof";
        const manifest = readManifest(dir);
        // Either way the rewrite under test opened INCR file 2 (the first base, at start-up
        // or from CONFIG SET, came with INCR file 1).
        const lastIncr = "appendonly.aof.2.incr.aof";
        if (s.killDuringRewrite) {
          expect(manifest).toBe(`file appendonly.aof.1.base.${ext} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile ${lastIncr} seq 2 type i\n`);
        } else {
          expect(manifest).toBe(`file appendonly.aof.2.base.${ext} seq 2 type b\nfile ${lastIncr} seq 2 type i\n`);
        }
        const incr = readFileSync(join(dir, AOF_DIR, lastIncr), "latin1");
        expect(incr).toContain(Buffer.from(resp(...endMarker(s.seed + 1))).toString("latin1"));
        for (const key of duringRewrite) expect(incr).toContain(Buffer.from(resp("DEL", key)).toString("latin1"));
        if (s.timestamps) expect(incr).toMatch(/^#TS:\d+\r\n\*/m);
        else expect(incr).not.toContain("#TS:");
        const check = await checkAof(dir);
        expect(check.output).toContain("All AOF files and manifest are valid");
        expect(check.code).toBe(0);

        // redis-server loads them with Bunker's dataset...
        const redis = await startRedisOnAof(track(copyDir(dir)));
        expect(redis.exitCode).toBeNull();
        keep(redis.server!);
        await waitLoaded(redis.server!.port);
        expect(await datasetDigest(redis.server!.port)).toBe(digest);
        expect(await canonicalDump(redis.server!.port)).toEqual(dump);
        // ...and so does Bunker, streams in full (what both made of the same files).
        const again = keep(await startBunker({ dir: track(copyDir(dir)), args: ["--appendonly", "yes", "--enable-debug-command", "yes"] }));
        await waitLoaded(again.port);
        expect(await datasetDigest(again.port)).toBe(digest);
        expect(await canonicalDump(again.port, 16, { fullStreams: true })).toEqual(await canonicalDump(redis.server!.port, 16, { fullStreams: true }));
        await again.stop();
        await redis.server!.stop();
      },
      120_000,
    );
  }
});

// ---- Redis -> Bunker -> Redis ---------------------------------------------------------------

describe("redis-server's AOF continued by Bunker", () => {
  withRedis("turned on with CONFIG SET appendonly yes: Bunker appends to Redis's INCR file, and Redis loads the result", async () => {
    const dir = track(tempDir("redis-aof-interop-"));
    const redis = keep(await startRedis({ dir, args: ["--appendonly", "no", "--aof-timestamp-enabled", "yes", "--enable-debug-command", "yes"] }));
    await runSequence(redis.port, generateWriteSequence(2101, { length: 800 }));
    const client = await RawClient.connect(redis.port);
    expect(await client.callRaw("CONFIG", "SET", "appendonly", "yes")).toBe("+OK\r\n");
    await waitFor(() => redis.output().includes("Background AOF rewrite finished successfully"), { what: "redis-server to turn its AOF on" });
    client.close();
    await runSequence(redis.port, generateWriteSequence(2102, { length: 800 }));
    const redisDigest = await datasetDigest(redis.port);
    const redisDump = await canonicalDump(redis.port);
    await shutdown(redis);
    const manifest = readManifest(dir);
    expect(manifest).toBe("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n");
    const incrPath = join(dir, AOF_DIR, "appendonly.aof.1.incr.aof");
    const redisIncr = readFileSync(incrPath);

    const bunker = keep(await startBunker({ dir, args: ["--appendonly", "yes", "--aof-timestamp-enabled", "yes", "--enable-debug-command", "yes"] }));
    await waitLoaded(bunker.port);
    expect(bunker.output()).toContain("Opening AOF incr file appendonly.aof.1.incr.aof on server start");
    expect(await datasetDigest(bunker.port)).toBe(redisDigest);
    expect(await canonicalDump(bunker.port)).toEqual(redisDump);
    await runSequence(bunker.port, generateWriteSequence(2103, { length: 800 }));
    const bunkerDigest = await datasetDigest(bunker.port);
    const bunkerDump = await canonicalDump(bunker.port);
    await shutdown(bunker);

    // Same files, Redis's bytes first, Bunker's after them.
    expect(readManifest(dir)).toBe(manifest);
    const incr = readFileSync(incrPath);
    expect(incr.length).toBeGreaterThan(redisIncr.length);
    expect(incr.subarray(0, redisIncr.length).equals(redisIncr)).toBe(true);
    const check = await checkAof(dir);
    expect(check.output).toContain("All AOF files and manifest are valid");
    const again = await startRedisOnAof(dir);
    expect(again.exitCode).toBeNull();
    keep(again.server!);
    await waitLoaded(again.server!.port);
    expect(await datasetDigest(again.server!.port)).toBe(bunkerDigest);
    expect(await canonicalDump(again.server!.port)).toEqual(bunkerDump);
    await again.server!.stop();
  }, 120_000);
});

// ---- loading Bunker's own files, cut or corrupted -----------------------------------------------

interface Written {
  dir: string;
  /** incr 1 (not the last file): a command in its middle, and its last commands (SELECT, SADD). */
  middleCommand: { start: number; end: number };
  nonLastEnd: { start: number; end: number };
  /** incr 2 (the last file): where its last plain command starts and ends, then the closing transaction. */
  lastCommand: { start: number; end: number };
  transaction: { start: number; end: number };
}

const NON_LAST = "appendonly.aof.1.incr.aof";
const LAST = "appendonly.aof.2.incr.aof";

/**
 * A directory Bunker writes (appendfsync always, so each reply means the bytes are in
 * the file): a base, INCR 1, a killed rewrite's INCR 2 (the last), ending with a plain
 * command and then a transaction.
 */
async function bunkerWrittenDir(): Promise<Written> {
  const dir = track(tempDir("bunker-aof-cut-"));
  const bunker = keep(await startBunker({ dir, args: ["--appendonly", "yes", "--appendfsync", "always", "--rdb-key-save-delay", "1000000"] }));
  const client = await RawClient.connect(bunker.port);
  const size = (name: string) => statSync(join(dir, AOF_DIR, name)).size;
  await client.call("SET", "a", "1");
  await client.call("HSET", "h", "f", "v", "g", "w");
  const middleStart = size("appendonly.aof.1.incr.aof");
  await client.call("RPUSH", "l", "x", "yz");
  const middleEnd = size(NON_LAST);
  await client.call("ZADD", "z", "1.5", "m");
  const nonLastEndStart = size(NON_LAST);
  await client.call("SELECT", "3");
  await client.call("SADD", "s", "1", "2");
  const nonLastEnd = size(NON_LAST);
  // A rewrite that cannot finish, killed: its INCR file stays, listed after INCR 1.
  expect(await client.callRaw("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
  process.kill(await rewriteWriterPid(bunker, 1), "SIGKILL");
  await bunker.waitForOutput("Background AOF rewrite terminated by signal 9");
  await client.call("INCR", "n");
  await client.call("SET", "b", "2", "PXAT", "4102444800000");
  const lastStart = size(LAST);
  await client.call("SET", "c", "3");
  const lastEnd = size(LAST);
  for (const call of [["MULTI"], ["INCR", "n"], ["LPUSH", "l2", "q"], ["EXEC"]]) await client.call(...call);
  const transactionEnd = size(LAST);
  client.close();
  await shutdown(bunker);
  expect(readManifest(dir)).toBe(`file appendonly.aof.1.base.rdb seq 1 type b\nfile ${NON_LAST} seq 1 type i\nfile ${LAST} seq 2 type i\n`);
  expect(readFileSync(join(dir, AOF_DIR, LAST), "latin1").slice(lastStart, lastEnd)).toBe(Buffer.from(resp("SET", "c", "3")).toString("latin1"));
  return {
    dir,
    middleCommand: { start: middleStart, end: middleEnd },
    nonLastEnd: { start: nonLastEndStart, end: nonLastEnd },
    lastCommand: { start: lastStart, end: lastEnd },
    transaction: { start: lastEnd, end: transactionEnd },
  };
}

/** Every file of the AOF directory, as bytes. */
function aofFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of ["appendonly.aof.manifest", "appendonly.aof.1.base.rdb", NON_LAST, LAST]) files[name] = readFileSync(join(dir, AOF_DIR, name), "latin1");
  return files;
}

interface Variant {
  /** What was done to the directory (for messages). */
  what: string;
  prepare(dir: string): void;
  args: string[];
}

interface Outcome {
  variant: Variant;
  redis: RedisStart;
  redisFiles: Record<string, string>;
  redisDigest: string | null;
}

/** redis-server on a prepared copy of `dir` for each variant, a few at a time. */
async function redisOutcomes(dir: string, variants: Variant[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const batch = 4;
  for (let i = 0; i < variants.length; i += batch) {
    const started = await Promise.all(
      variants.slice(i, i + batch).map(async (variant) => {
        const copy = track(copyDir(dir));
        variant.prepare(copy);
        const redis = await startRedisOnAof(copy, variant.args);
        let redisDigest: string | null = null;
        if (redis.server !== null) {
          const client = await RawClient.connect(redis.server.port);
          redisDigest = String(await client.call("DEBUG", "DIGEST"));
          client.close();
          await redis.server.stop();
        }
        return { variant, redis, redisFiles: aofFiles(copy), redisDigest };
      }),
    );
    outcomes.push(...started);
  }
  return outcomes;
}

function bulk(reply: string): string {
  return (/^\$\d+\r\n([\s\S]*)\r\n$/.exec(reply) ?? /^\+(.*)\r\n$/.exec(reply))?.[1] ?? reply;
}

/**
 * Bunker's loader on another copy of each variant: the exit status, the log lines, the
 * files and the data redis-server had. Where Redis truncates a file that is not the
 * last before refusing it, Bunker refuses it untouched (load.ts says why): its log is
 * Redis's without the truncation lines.
 */
async function expectBunkerAsRedis(dir: string, outcomes: Outcome[]): Promise<void> {
  for (const { variant, redis, redisFiles, redisDigest } of outcomes) {
    const copy = track(copyDir(dir));
    variant.prepare(copy);
    const prepared = aofFiles(copy);
    const bunker = await bunkerLoadAof(copy, variant.args);
    const context = `${variant.what} (${variant.args.join(" ")})`;
    const refusedAfterTruncating = redis.exitCode !== null && redis.messages.some((m) => m.startsWith("!!! Truncating the AOF"));
    const expected = refusedAfterTruncating ? redis.messages.filter((m) => !m.startsWith("!!! Truncating the AOF") && !/^AOF .* loaded anyway/.test(m)) : redis.messages;
    expect({ context, exitCode: bunker.exitCode, messages: bunker.messages }).toEqual({ context, exitCode: redis.exitCode, messages: expected });
    if (redis.exitCode === null) {
      expect({ context, digest: bulk(run(bunker.server, "DEBUG", "DIGEST")) }).toEqual({ context, digest: redisDigest! });
      expect({ context, files: aofFiles(copy) }).toEqual({ context, files: redisFiles });
    } else {
      // A refusal never modifies a file.
      expect({ context, files: aofFiles(copy) }).toEqual({ context, files: prepared });
      if (!refusedAfterTruncating) expect({ context, files: redisFiles }).toEqual({ context, files: prepared });
    }
  }
}

function cutAt(offset: number): (dir: string) => void {
  return (dir) => truncateSync(join(dir, AOF_DIR, LAST), offset);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

describe("Bunker's own AOF cut or corrupted, loaded as redis-server loads it", () => {
  let written: Written | null = null;
  const writtenDir = async () => (written ??= await bunkerWrittenDir());

  withRedis("the last INCR file cut at every byte of its last command: loaded (aof-load-truncated yes) or refused (no)", async () => {
    const { dir, lastCommand } = await writtenDir();
    // The file as it was when the plain command was the last one.
    const base = track(copyDir(dir));
    truncateSync(join(base, AOF_DIR, LAST), lastCommand.end);
    const variants: Variant[] = [];
    for (const offset of range(lastCommand.start + 1, lastCommand.end)) {
      for (const truncated of [true, false]) variants.push({ what: `cut at ${offset}`, prepare: cutAt(offset), args: ["--aof-load-truncated", yesNo(truncated)] });
    }
    const outcomes = await redisOutcomes(base, variants);
    // What the comparison covers: every cut is loaded with yes and refused with no.
    for (const { variant, redis } of outcomes) expect(`${variant.what} ${variant.args[1]}: ${redis.exitCode}`).toBe(`${variant.what} ${variant.args[1]}: ${variant.args[1] === "yes" ? null : 1}`);
    await expectBunkerAsRedis(base, outcomes);
  }, 120_000);

  withRedis("the last INCR file cut inside its closing transaction: reverted (yes) or refused (no)", async () => {
    const { dir, transaction } = await writtenDir();
    const variants: Variant[] = [];
    for (const offset of range(transaction.start + 1, transaction.end)) {
      for (const truncated of [true, false]) variants.push({ what: `cut at ${offset}`, prepare: cutAt(offset), args: ["--aof-load-truncated", yesNo(truncated)] });
    }
    const outcomes = await redisOutcomes(dir, variants);
    expect(outcomes.filter((o) => o.redis.messages.some((m) => m.startsWith("Revert incomplete MULTI/EXEC transaction"))).length).toBeGreaterThan(0);
    await expectBunkerAsRedis(dir, outcomes);
  }, 120_000);

  withRedis("a byte changed anywhere in a command in the middle, or at the end, of an INCR file that is not the last", async () => {
    const { dir, middleCommand, nonLastEnd } = await writtenDir();
    const offsets = [...range(middleCommand.start, middleCommand.end), ...range(nonLastEnd.start, nonLastEnd.end)];
    const variants: Variant[] = offsets.map((offset) => ({
      what: `byte ${offset} of ${NON_LAST} changed`,
      prepare: (copy: string) => {
        const path = join(copy, AOF_DIR, NON_LAST);
        const bytes = readFileSync(path);
        // '*' becomes '+', '$' '%', a digit its neighbour, 'R' 'S': every kind of damage.
        bytes[offset] = bytes[offset]! ^ 1;
        writeFileSync(path, bytes);
      },
      args: [],
    }));
    const outcomes = await redisOutcomes(dir, variants);
    // What the comparison covers: the '*' and '$' lines are refused; a count made larger
    // at the end of the file reads to its end, which Redis truncates before refusing it.
    const incr = readFileSync(join(dir, AOF_DIR, NON_LAST), "latin1");
    offsets.forEach((offset, i) => {
      if (incr[offset] === "*" || incr[offset] === "$") expect(`${offset}: ${outcomes[i]!.redis.exitCode}`).toBe(`${offset}: 1`);
    });
    expect(outcomes.filter((o) => o.redis.messages.includes("Fatal error: the truncated file is not the last file")).length).toBeGreaterThan(0);
    await expectBunkerAsRedis(dir, outcomes);
  }, 120_000);

  withRedis("the server process itself: exit status 1 and every file as it was, or the data redis-server loads", async () => {
    const { dir, lastCommand, middleCommand } = await writtenDir();
    const refusals: Variant[] = [
      { what: "cut, aof-load-truncated no", prepare: cutAt(lastCommand.start + 5), args: ["--aof-load-truncated", "no"] },
      {
        what: "the '*' of a command of INCR 1 changed",
        prepare: (copy) => {
          const path = join(copy, AOF_DIR, NON_LAST);
          const bytes = readFileSync(path);
          bytes[middleCommand.start] = "+".charCodeAt(0);
          writeFileSync(path, bytes);
        },
        args: [],
      },
    ];
    for (const variant of refusals) {
      const copy = track(copyDir(dir));
      variant.prepare(copy);
      const before = aofFiles(copy);
      const bunker = await startBunker({ dir: copy, args: ["--appendonly", "yes", ...variant.args], waitReady: false });
      expect({ what: variant.what, code: await bunker.exited }).toEqual({ what: variant.what, code: 1 });
      expect(aofFiles(copy)).toEqual(before);
    }
    // Cut with aof-load-truncated yes: it starts, with the data and the file redis-server makes of it.
    const cut = cutAt(lastCommand.start + 5);
    const [redisCopy, bunkerCopy] = [track(copyDir(dir)), track(copyDir(dir))];
    cut(redisCopy);
    cut(bunkerCopy);
    const redis = await startRedisOnAof(redisCopy);
    expect(redis.exitCode).toBeNull();
    keep(redis.server!);
    const bunker = keep(await startBunker({ dir: bunkerCopy, args: ["--appendonly", "yes", "--enable-debug-command", "yes"] }));
    await waitLoaded(bunker.port);
    expect(await datasetDigest(bunker.port)).toBe((await datasetDigest(redis.server!.port))!);
    await bunker.stop();
    await redis.server!.stop();
    expect(statSync(join(bunkerCopy, AOF_DIR, LAST)).size).toBe(statSync(join(redisCopy, AOF_DIR, LAST)).size);
  }, 120_000);
});
