// The write path checked against Redis 7.0 itself: long random write sequences
// (test/helpers/write-sequence.ts) run on an in-process Bunker, whose propagation feed
// records the effect stream, and on redis-server, whose replication stream
// `redis-cli --replica` prints. Then:
//   a. the two streams, normalised (absolute times, clock-generated stream ids), are
//      identical line by line;
//   b. Bunker's stream replayed into a fresh Bunker rebuilds the same dataset;
//   c. Bunker's stream loaded by redis-server as its AOF rebuilds the same dataset;
//   d. (independent of Bunker's propagation) Redis's stream replayed into Bunker
//      rebuilds Redis's dataset: Bunker as a replica of Redis.
// Datasets are compared by DEBUG DIGEST where both servers have it, and always by a
// canonical dump read through commands (sequence-runner.ts). Two self-checks run the
// harness on Redis alone, so that a failure of a, b or c is Bunker's: a second Redis
// run of the sequence streams the same (nothing in it depends on chance or timing), and
// Redis's stream loaded as an AOF rebuilds Redis's dataset (the dump compares only
// what Redis replicates).
//
// Reproduce one seed: EFFECTS_SEEDS=7 bun test test/integration/effects-stream.test.ts
// Other knobs: EFFECTS_LENGTH (steps per seed), EFFECTS_DUMP_DIR (writes each seed's
// steps and both streams, raw and normalised, there).

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveRedis } from "../helpers/differential.ts";
import { RawClient, startRedis, type RunningServer } from "../helpers/server.ts";
import {
  REDIS_CAPTURE_ARGS,
  RecordingFeed,
  ReplicaCapture,
  START_MARKER,
  compareNormalised,
  cutStream,
  endMarker,
  normaliseStream,
  parseRenderedLine,
  renderCommand,
} from "../helpers/effect-stream.ts";
import { commandsUsed, describeStep, generateWriteSequence, type SequenceStep } from "../helpers/write-sequence.ts";
import {
  argBytes,
  canonicalDump,
  datasetDigest,
  forNormalClient,
  replayCommands,
  runSequence,
  startInProcessBunker,
  startRedisFromAof,
  type InProcessBunker,
  type RunResult,
} from "../helpers/sequence-runner.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

const DEFAULT_SEEDS = [1, 2, 3, 4, 5, 6];
const DEFAULT_LENGTH = 6000;
const SEEDS = process.env.EFFECTS_SEEDS === undefined ? DEFAULT_SEEDS : process.env.EFFECTS_SEEDS.split(",").map(Number);
const LENGTH = Number(process.env.EFFECTS_LENGTH ?? DEFAULT_LENGTH);
const DUMP_DIR = process.env.EFFECTS_DUMP_DIR;

const d = haveRedis ? describe : describe.skip;

interface BunkerRun {
  bunker: InProcessBunker;
  feed: RecordingFeed;
  run: RunResult;
  /** Per step: how many commands the feed had recorded once the step completed. */
  recordedAfterStep: number[];
}

interface RedisRun {
  /** The server the sequence ran on, still running (its dataset is compared). */
  redis: RunningServer;
  lines: string[];
  run: RunResult;
}

async function runOnBunker(steps: SequenceStep[]): Promise<BunkerRun> {
  const feed = new RecordingFeed();
  const bunker = await startInProcessBunker(feed);
  const recordedAfterStep: number[] = [];
  const run = await runSequence(bunker.port, steps, { afterStep: () => recordedAfterStep.push(feed.commands.length) });
  return { bunker, feed, run, recordedAfterStep };
}

async function runOnRedis(steps: SequenceStep[], seed: number): Promise<RedisRun> {
  const redis = await startRedis({ args: REDIS_CAPTURE_ARGS });
  try {
    const capture = await ReplicaCapture.attach(redis.port);
    try {
      const run = await runSequence(redis.port, steps);
      const lines = await capture.commandsUntil(renderCommand(endMarker(seed)));
      return { redis, lines, run };
    } finally {
      await capture.stop();
    }
  } catch (error) {
    await redis.stop();
    throw error;
  }
}

/** The stream Bunker recorded, between the markers (empty when nothing reached the feed). */
function bunkerLines(run: BunkerRun, seed: number): string[] {
  const all = run.feed.lines();
  return all.includes(renderCommand(endMarker(seed))) ? cutStream(all, renderCommand(endMarker(seed))) : [];
}

/** The steps around the one that produced Bunker's stream line `line`, with both servers' replies. */
function stepsAround(seed: number, steps: SequenceStep[], bunker: BunkerRun, redis: RedisRun, line: number): string {
  const markerIndex = bunker.feed.lines().indexOf(renderCommand(START_MARKER));
  const recorded = markerIndex + 1 + line;
  let step = bunker.recordedAfterStep.findIndex((count) => count > recorded);
  if (step < 0) step = steps.length - 1;
  const out: string[] = [`seed ${seed}; the line comes from step ${step} (EFFECTS_SEEDS=${seed} reproduces it):`];
  for (let i = Math.max(0, step - 8); i <= Math.min(steps.length - 1, step + 3); i++) {
    out.push(`${i === step ? ">" : " "} ${String(i).padStart(5)}  ${describeStep(steps[i]!)}`);
    const ours = bunker.run.replies[i]!;
    const theirs = redis.run.replies[i]!;
    out.push(ours === theirs ? `          reply ${JSON.stringify(ours)}` : `          bunker ${JSON.stringify(ours)}\n          redis  ${JSON.stringify(theirs)}`);
  }
  return out.join("\n");
}

/** The first difference between two canonical dumps, readable. */
function dumpDifference(ours: string[], theirs: string[], names: [string, string]): string {
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    if (ours[i] !== theirs[i]) return `datasets differ at key ${i} (${names[0]}: ${ours.length} keys, ${names[1]}: ${theirs.length} keys)\n  ${names[0]}: ${ours[i]}\n  ${names[1]}: ${theirs[i]}`;
  }
  return "";
}

test("the default sequences send every write command Bunker declares", () => {
  const table = new CommandTable();
  registerAllCommands(table);
  const writes: string[] = [];
  for (const command of table.commands.values()) {
    if (command.isWrite) writes.push(command.fullName);
    for (const sub of command.subcommands.values()) if (sub.isWrite) writes.push(sub.fullName);
  }
  const used = new Set<string>();
  for (const seed of DEFAULT_SEEDS) for (const name of commandsUsed(generateWriteSequence(seed, { length: DEFAULT_LENGTH }))) used.add(name);
  expect(writes.filter((name) => !used.has(name))).toEqual([]);
  // PFCOUNT is not flagged as a write, but stores the cardinality it computed.
  expect(used.has("pfcount")).toBe(true);
});

d("the capture of Redis's stream", () => {
  test("a command Redis propagates as it is sent prints as renderCommand renders it", async () => {
    const redis = await startRedis({ args: REDIS_CAPTURE_ARGS });
    const capture = await ReplicaCapture.attach(redis.port);
    const client = await RawClient.connect(redis.port);
    try {
      const every = new Uint8Array(256).map((_, i) => i);
      const commands: Uint8Array[][] = [
        ["SET", "__effects_start__", "1"],
        ["SET", "k", every],
        ["HSET", 'q"\\,', "\r\n\t\x07\x08", ""],
        ["SET", "__effects_end__", "x"],
      ].map((argv) => argv.map(argBytes));
      for (const argv of commands) await client.call(...argv);
      const lines = await capture.commandsUntil(renderCommand(commands[3]!));
      expect(lines).toEqual(commands.slice(1).map(renderCommand));
    } finally {
      client.close();
      await capture.stop();
      await redis.stop();
    }
  });
});

d("the effect stream of random write sequences", () => {
  const started: Array<{ stop(): void | Promise<void> }> = [];
  afterAll(async () => {
    for (const server of started) await server.stop();
  });

  for (const seed of SEEDS) {
    describe(`seed ${seed}`, () => {
      let runs: Promise<{ steps: SequenceStep[]; bunker: BunkerRun; redis: RedisRun }> | null = null;
      const both = () =>
        (runs ??= (async () => {
          const steps = generateWriteSequence(seed, { length: LENGTH });
          const bunker = await runOnBunker(steps);
          started.push(bunker.bunker);
          const redis = await runOnRedis(steps, seed);
          started.push(redis.redis);
          if (DUMP_DIR !== undefined) {
            mkdirSync(DUMP_DIR, { recursive: true });
            const write = (name: string, lines: string[]) => writeFileSync(join(DUMP_DIR, `seed-${seed}-${name}.txt`), lines.join("\n") + "\n");
            write("steps", steps.map((step, i) => `${i} ${describeStep(step)}`));
            write("redis", redis.lines);
            write("redis-normalised", normaliseStream(redis.lines, redis.run.startMs).lines);
            write("bunker", bunkerLines(bunker, seed));
            write("bunker-normalised", normaliseStream(bunkerLines(bunker, seed), bunker.run.startMs).lines);
          }
          return { steps, bunker, redis };
        })());

      // The harness checked on Redis alone: were these to fail, so would a correct Bunker.
      test("self-check: a second Redis run of the sequence streams the same", async () => {
        const { redis } = await both();
        const again = await runOnRedis(generateWriteSequence(seed, { length: LENGTH }), seed);
        await again.redis.stop();
        const report = compareNormalised(normaliseStream(again.lines, again.run.startMs), normaliseStream(redis.lines, redis.run.startMs), {
          toleranceMs: Math.max(again.run.durationMs, redis.run.durationMs) + 2000,
          names: ["second run", "first run"],
        });
        expect(report).toBe("");
      }, 120000);

      test("self-check: Redis's stream loaded as an AOF rebuilds Redis's dataset", async () => {
        const { redis } = await both();
        // The captured stream starts after the start marker, in database 0.
        const commands = [["SELECT", "0"].map(argBytes), START_MARKER.map(argBytes), ...redis.lines.map(parseRenderedLine)];
        const replica = await startRedisFromAof(commands, ["--enable-debug-command", "yes"]);
        try {
          const [original, replayed] = await Promise.all([canonicalDump(redis.redis.port), canonicalDump(replica.port)]);
          expect(dumpDifference(original, replayed, ["original", "replayed"])).toBe("");
          expect(original.length).toBeGreaterThan(0);
          const [digestOriginal, digestReplayed] = await Promise.all([datasetDigest(redis.redis.port), datasetDigest(replica.port)]);
          expect(digestOriginal).not.toBeNull();
          expect(digestReplayed).toBe(digestOriginal);
        } finally {
          await replica.stop();
        }
      }, 120000);

      test("a. Bunker's effect stream is Redis's replication stream", async () => {
        const { steps, bunker, redis } = await both();
        const ours = normaliseStream(bunkerLines(bunker, seed), bunker.run.startMs);
        const theirs = normaliseStream(redis.lines, redis.run.startMs);
        // The same relative TTL lands on different offsets when the runs take different times.
        const toleranceMs = Math.max(bunker.run.durationMs, redis.run.durationMs) + 2000;
        const report = compareNormalised(ours, theirs, { toleranceMs });
        if (report !== "") {
          const line = Number(/line (\d+)/.exec(report)?.[1] ?? 0);
          throw new Error(`seed ${seed}: ${report}\n\n${stepsAround(seed, steps, bunker, redis, line)}`);
        }
        expect(theirs.lines.length).toBeGreaterThan(LENGTH / 4);
      }, 120000);

      test("b. Bunker's stream replayed into a fresh Bunker rebuilds the dataset", async () => {
        const { bunker } = await both();
        const recorded = bunker.feed.commands.slice();
        const replica = await startInProcessBunker();
        started.push(replica);
        // A normal client replays the stream (see forNormalClient); errors are reported.
        const errors = await replayCommands(replica.port, recorded.map(forNormalClient));
        const [original, replayed] = await Promise.all([canonicalDump(bunker.bunker.port), canonicalDump(replica.port)]);
        const difference = dumpDifference(original, replayed, ["original", "replayed"]);
        if (difference !== "") throw new Error(`seed ${seed}: ${difference}\nreplay errors: ${JSON.stringify(errors.slice(0, 10))}`);
        const [digestOriginal, digestReplayed] = await Promise.all([datasetDigest(bunker.bunker.port), datasetDigest(replica.port)]);
        if (digestOriginal !== null && digestReplayed !== null) expect(digestReplayed).toBe(digestOriginal);
        expect(original.length).toBeGreaterThan(0);
      }, 120000);

      test("d. Redis's stream replayed into Bunker rebuilds Redis's dataset", async () => {
        // Bunker applying what a Redis master sends its replicas (XCLAIM ... FORCE JUSTID
        // LASTID, XGROUP SETID ... ENTRIESREAD, PXAT, ABSTTL...): independent of Bunker's
        // own propagation, so it passes before call() feeds anything.
        const { redis } = await both();
        const commands = [["SELECT", "0"].map(argBytes), START_MARKER.map(argBytes), ...redis.lines.map(parseRenderedLine)];
        const replica = await startInProcessBunker();
        started.push(replica);
        const errors = await replayCommands(replica.port, commands.map(forNormalClient));
        const [original, replayed] = await Promise.all([canonicalDump(redis.redis.port), canonicalDump(replica.port)]);
        const difference = dumpDifference(original, replayed, ["redis", "bunker"]);
        if (difference !== "") throw new Error(`seed ${seed}: ${difference}\nreplay errors: ${JSON.stringify(errors.slice(0, 10))}`);
        const [digestOriginal, digestReplayed] = await Promise.all([datasetDigest(redis.redis.port), datasetDigest(replica.port)]);
        if (digestOriginal !== null && digestReplayed !== null) expect(digestReplayed).toBe(digestOriginal);
      }, 120000);

      test("c. Bunker's stream loaded by redis-server as its AOF rebuilds the dataset", async () => {
        const { bunker } = await both();
        const recorded = bunker.feed.commands.slice();
        let redis: RunningServer | null = null;
        try {
          redis = await startRedisFromAof(recorded, ["--enable-debug-command", "yes"]);
          const [original, replayed] = await Promise.all([canonicalDump(bunker.bunker.port), canonicalDump(redis.port)]);
          const difference = dumpDifference(original, replayed, ["bunker", "redis"]);
          if (difference !== "") throw new Error(`seed ${seed}: ${difference}`);
          const [digestOriginal, digestReplayed] = await Promise.all([datasetDigest(bunker.bunker.port), datasetDigest(redis.port)]);
          if (digestOriginal !== null && digestReplayed !== null) expect(digestReplayed).toBe(digestOriginal);
          expect(original.length).toBeGreaterThan(0);
        } finally {
          await redis?.stop();
        }
      }, 120000);
    });
  }
});
