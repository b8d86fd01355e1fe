// The AOF's durability under kill -9. A Bunker with appendonly yes serves several
// clients that stream INCRs on a few counters and SETs of unique keys (pipelined a
// little), and the test records every acknowledged reply; then the server is killed
// with SIGKILL at a random (seeded) moment, sometimes while a BGREWRITEAOF is in
// progress, sometimes around its end, and restarted on the same directory. With
// appendfsync always nothing acknowledged may be missing after the restart, and nothing
// that was never sent may appear: each counter is at least its last acknowledged value
// and at most what was sent, each acknowledged SET is there with its value, and the key
// count is exactly what the model explains. After the last cycle the real redis-server
// loads the same directory to the same DEBUG DIGEST.
//
// With appendfsync everysec Redis documents that up to about two seconds of writes may
// be lost; the second test measures what a kill -9 loses (the file is in the page
// cache, so only a postponed write can go) and prints it, asserting only that every lost
// write was acknowledged in the last few seconds before the kill.
//
// The seed is AOF_CRASH_SEED (default below): a failure prints it with the cycle.

import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { encodeCommand, RawClient, startBunker, type Reply, type RunningServer } from "../helpers/server.ts";
import { seededRandom } from "../helpers/random.ts";
import { waitFor } from "../helpers/wait.ts";
import { info } from "../helpers/info.ts";
import { copyDir, startRedisOnAof, tempDir, withRedis } from "../helpers/aof.ts";

const SEED = Number(process.env.AOF_CRASH_SEED ?? 7_000_2024);
const CYCLES = Number(process.env.AOF_CRASH_CYCLES ?? 100);
const CLIENTS = 4;
const COUNTERS = 5;

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// ---- the model of what must be in the dataset -----------------------------------------------

/** What the test knows about the dataset: verified state plus this cycle's traffic. */
class Model {
  /** A counter's value as read after the last restart (0: absent). */
  readonly counterBase = new Map<string, number>();
  /** INCRs sent on a counter this cycle, and the highest value acknowledged. */
  readonly counterSent = new Map<string, number>();
  readonly counterAcked = new Map<string, number>();
  /** Keys present for sure (acknowledged, or found after a restart) -> value. */
  readonly durable = new Map<string, string>();
  /** Keys acknowledged this cycle (a restart checks these, and every key now and then). */
  readonly recent = new Set<string>();
  /** SETs sent this cycle and not acknowledged when the server died. */
  readonly inFlight = new Map<string, string>();
  /** Acknowledged writes, with when (for the everysec measure). */
  readonly ackLog: Array<{ at: number; key: string; value: string }> = [];
  acks = 0;

  constructor(readonly counters: string[]) {
    for (const counter of counters) this.counterBase.set(counter, 0);
  }

  startCycle(): void {
    this.counterSent.clear();
    this.counterAcked.clear();
    this.inFlight.clear();
    this.recent.clear();
    this.ackLog.length = 0;
    this.acks = 0;
  }
}

type Op = { kind: "incr"; key: string } | { kind: "set"; key: string; value: string };

/**
 * One client's stream: batches of 1-4 commands written at once, their replies checked
 * and recorded, until the connection dies. Anything else than a dead connection fails.
 */
async function writer(port: number, model: Model, random: () => number, name: string, stop: { now: boolean }, pauseMs = 0): Promise<void> {
  let client: RawClient;
  try {
    client = await RawClient.connect(port);
  } catch {
    return; // the server was killed before this client got in
  }
  let serial = 0;
  try {
    while (!stop.now) {
      const batch: Op[] = [];
      const size = 1 + Math.floor(random() * 4);
      for (let i = 0; i < size; i++) {
        if (random() < 0.5) {
          const key = model.counters[Math.floor(random() * model.counters.length)]!;
          model.counterSent.set(key, (model.counterSent.get(key) ?? 0) + 1);
          batch.push({ kind: "incr", key });
        } else {
          const key = `${name}:${serial++}`;
          const value = `v${Math.floor(random() * 1e9).toString(36)}:${key}`;
          model.inFlight.set(key, value);
          batch.push({ kind: "set", key, value });
        }
      }
      client.write(Buffer.concat(batch.map((op) => encodeCommand(op.kind === "incr" ? ["INCR", op.key] : ["SET", op.key, op.value]))));
      for (const op of batch) {
        const reply = await client.readReply();
        if (op.kind === "incr") {
          if (typeof reply !== "number") throw new Error(`INCR ${op.key} replied ${String(reply)}`);
          model.counterAcked.set(op.key, Math.max(model.counterAcked.get(op.key) ?? 0, reply));
          model.ackLog.push({ at: performance.now(), key: op.key, value: String(reply) });
        } else {
          if (reply !== "OK") throw new Error(`SET ${op.key} replied ${String(reply)}`);
          model.inFlight.delete(op.key);
          model.durable.set(op.key, op.value);
          model.recent.add(op.key);
          model.ackLog.push({ at: performance.now(), key: op.key, value: op.value });
        }
        model.acks++;
      }
      if (pauseMs > 0) await Bun.sleep(pauseMs);
    }
  } catch (error) {
    if (!client.closed && !/connection closed/.test((error as Error).message)) throw error;
  } finally {
    client.close();
  }
}

/** GET of many keys, in MGET chunks. */
async function getAll(client: RawClient, keys: string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const reply = (await client.call("MGET", ...keys.slice(i, i + 1000))) as Reply[];
    for (const value of reply) values.push(value as string | null);
  }
  return values;
}

/**
 * After a restart: every acknowledged write is there, nothing unsent is, and the model
 * becomes what was found (in-flight writes that made it are durable from now on).
 * `full`: every key's value is read; else the last cycle's, and DBSIZE must still match
 * the whole model. Returns the problems found, empty when none.
 */
async function verifyAndAdopt(client: RawClient, model: Model, full = true): Promise<string[]> {
  const problems: string[] = [];
  const counterValues = await getAll(client, model.counters);
  let present = 0;
  model.counters.forEach((counter, i) => {
    const value = counterValues[i] === null ? 0 : Number(counterValues[i]);
    const acked = model.counterAcked.get(counter) ?? 0;
    const most = model.counterBase.get(counter)! + (model.counterSent.get(counter) ?? 0);
    if (value < acked) problems.push(`${counter} is ${value}, but ${acked} was acknowledged`);
    if (value > most) problems.push(`${counter} is ${value}, more than the ${most} INCRs sent`);
    model.counterBase.set(counter, value);
    if (counterValues[i] !== null) present++;
  });
  const durableKeys = full ? [...model.durable.keys()] : [...model.recent];
  const durableValues = await getAll(client, durableKeys);
  durableKeys.forEach((key, i) => {
    if (durableValues[i] !== model.durable.get(key)) problems.push(`${key} is ${JSON.stringify(durableValues[i])}, acknowledged ${model.durable.get(key)}`);
  });
  present += model.durable.size;
  const inFlightKeys = [...model.inFlight.keys()];
  const inFlightValues = await getAll(client, inFlightKeys);
  inFlightKeys.forEach((key, i) => {
    const value = inFlightValues[i];
    if (value === null) return;
    if (value !== model.inFlight.get(key)) problems.push(`in-flight ${key} is ${JSON.stringify(value)}, sent ${model.inFlight.get(key)}`);
    model.durable.set(key, value!);
    present++;
  });
  const dbsize = await client.call("DBSIZE");
  if (dbsize !== present) problems.push(`DBSIZE is ${String(dbsize)}, the model explains ${present} keys`);
  return problems;
}

// ---- one life of the server -------------------------------------------------------------------

/**
 * plain: writes only. kill-during-rewrite: a slow rewrite, killed in the middle.
 * kill-after-rewrite: a rewrite that completed (new BASE, history deleted), then writes.
 * rewrite-racing-kill: a fast rewrite, killed a random few ms after it started: before,
 * during or after its done-handler.
 */
type CycleKind = "plain" | "kill-during-rewrite" | "kill-after-rewrite" | "rewrite-racing-kill";

async function startOn(dir: string, args: string[]): Promise<RunningServer> {
  // It listens while it loads: wait for the load to be done.
  const server = await startBunker({ dir, args, waitLoaded: true });
  servers.push(server);
  return server;
}

async function kill(server: RunningServer): Promise<void> {
  server.proc.kill("SIGKILL");
  await server.exited;
  servers.splice(servers.indexOf(server), 1);
}

interface CycleOutcome {
  kind: CycleKind;
  /** The rewrite was in progress at the last INFO before the kill. */
  rewriteInProgressAtKill: boolean;
  acks: number;
}

/**
 * Starts the writers, waits for `target` acknowledgements (with a rewrite started on
 * the way for the rewrite kinds), then kills the server. Returns when every writer saw
 * its connection die.
 */
async function runAndKill(server: RunningServer, model: Model, random: () => number, cycle: number, kind: CycleKind): Promise<CycleOutcome> {
  const stop = { now: false };
  const writers = Array.from({ length: CLIENTS }, (_, i) => writer(server.port, model, seededRandom(Math.floor(random() * 2 ** 32)), `c${cycle}.${i}`, stop));
  const control = await RawClient.connect(server.port);
  const acked = (count: number) => waitFor(() => model.acks >= count, { what: `${count} acknowledged writes` });
  let rewriteInProgressAtKill = false;
  try {
    if (kind === "plain") {
      await acked(10 + Math.floor(random() * 200));
    } else {
      await acked(5 + Math.floor(random() * 50));
      const keys = Number(await control.call("DBSIZE"));
      // A slow rewrite (about 5 s in all) for a kill in the middle of it; none otherwise.
      const delay = kind === "kill-during-rewrite" ? Math.ceil(5_000_000 / Math.max(1, keys)) : 0;
      expect(await control.call("CONFIG", "SET", "rdb-key-save-delay", String(delay))).toBe("OK");
      expect(await control.call("BGREWRITEAOF")).toBe("Background append only file rewriting started");
      if (kind === "kill-during-rewrite") {
        await acked(model.acks + 5 + Math.floor(random() * 150));
        rewriteInProgressAtKill = (await info(control, "persistence")).get("aof_rewrite_in_progress") === "1";
      } else if (kind === "kill-after-rewrite") {
        await waitFor(async () => (await info(control, "persistence")).get("aof_rewrite_in_progress") === "0", { what: "the rewrite to finish" });
        expect((await info(control, "persistence")).get("aof_last_bgrewrite_status")).toBe("ok");
        await acked(model.acks + Math.floor(random() * 100));
      } else {
        // Time is the scenario: the kill lands anywhere around the rewrite's end.
        await Bun.sleep(Math.floor(random() * 250));
      }
    }
  } finally {
    await kill(server);
    stop.now = true;
    control.close();
  }
  await Promise.all(writers);
  return { kind, rewriteInProgressAtKill, acks: model.acks };
}

test(
  `appendfsync always: ${CYCLES} kill -9 cycles, some during a rewrite, lose no acknowledged write (seed ${SEED})`,
  async () => {
    const random = seededRandom(SEED);
    const dir = tempDir("bunker-aof-crash-");
    dirs.push(dir);
    const model = new Model(Array.from({ length: COUNTERS }, (_, i) => `counter:${i}`));
    const kinds: Record<CycleKind, number> = { plain: 0, "kill-during-rewrite": 0, "kill-after-rewrite": 0, "rewrite-racing-kill": 0 };
    let acks = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The base's form varies: RDB preamble or commands, with or without #TS annotations.
      const args = [
        "--appendonly", "yes",
        "--appendfsync", "always",
        "--aof-use-rdb-preamble", random() < 0.7 ? "yes" : "no",
        "--aof-timestamp-enabled", random() < 0.3 ? "yes" : "no",
      ];
      const server = await startOn(dir, args);
      const client = await RawClient.connect(server.port);
      const problems = await verifyAndAdopt(client, model, cycle % 10 === 0);
      client.close();
      if (problems.length > 0) throw new Error(`seed ${SEED}, after cycle ${cycle - 1}:\n${problems.slice(0, 20).join("\n")}\n--- log ---\n${server.output()}`);
      model.startCycle();
      const draw = random();
      const kind: CycleKind = draw < 0.2 ? "kill-during-rewrite" : draw < 0.35 ? "kill-after-rewrite" : draw < 0.5 ? "rewrite-racing-kill" : "plain";
      const outcome = await runAndKill(server, model, random, cycle, kind);
      if (kind === "kill-during-rewrite") {
        // The kill must have hit the rewrite: a rewrite that finished would prove nothing.
        if (!outcome.rewriteInProgressAtKill) throw new Error(`seed ${SEED}, cycle ${cycle}: the rewrite was over before the kill`);
      }
      kinds[kind]++;
      acks += outcome.acks;
    }
    // The last cycle's writes, checked once more, then the same directory in redis-server.
    const server = await startOn(dir, ["--appendonly", "yes", "--enable-debug-command", "yes"]);
    const client = await RawClient.connect(server.port);
    const problems = await verifyAndAdopt(client, model);
    if (problems.length > 0) throw new Error(`seed ${SEED}, after the last cycle:\n${problems.slice(0, 20).join("\n")}`);
    const digest = await client.call("DEBUG", "DIGEST");
    client.close();
    await kill(server);
    console.log(`aof crash loop (seed ${SEED}): ${CYCLES} cycles (${kinds.plain} plain, ${kinds["kill-during-rewrite"]} killed during a rewrite, ${kinds["kill-after-rewrite"]} after one, ${kinds["rewrite-racing-kill"]} racing one), ${acks} acknowledged writes, ${model.durable.size} keys, none lost`);
    lastDigest = { dir, digest: String(digest) };
  },
  600_000,
);

let lastDigest: { dir: string; digest: string } | null = null;

withRedis("redis-server loads the directory the crash loop left to the same DEBUG DIGEST", async () => {
  if (lastDigest === null) throw new Error("the crash loop did not complete");
  const copy = copyDir(lastDigest.dir);
  dirs.push(copy);
  const redis = await startRedisOnAof(copy);
  if (redis.server === null) throw new Error(`redis-server refused the directory (exit ${redis.exitCode}):\n${redis.output}`);
  servers.push(redis.server);
  const client = await RawClient.connect(redis.server.port);
  expect(await client.call("DEBUG", "DIGEST")).toBe(lastDigest.digest);
  client.close();
});

test("appendfsync everysec: what a kill -9 loses, measured", async () => {
  const random = seededRandom(SEED + 1);
  const dir = tempDir("bunker-aof-everysec-");
  dirs.push(dir);
  const model = new Model(Array.from({ length: COUNTERS }, (_, i) => `counter:${i}`));
  // Redis documents that everysec may lose up to about 2 s of writes (a write postponed
  // behind a slow fsync for up to 2 s, on a clock of whole seconds); 3.5 s is loose.
  const BOUND_MS = 3500;
  const CYCLES_EVERYSEC = 3;
  const losses: string[] = [];
  let worst = 0;
  let killedAt = 0;
  for (let cycle = 0; cycle <= CYCLES_EVERYSEC; cycle++) {
    const server = await startOn(dir, ["--appendonly", "yes", "--appendfsync", "everysec"]);
    const client = await RawClient.connect(server.port);
    if (cycle > 0) {
      // What the last cycle acknowledged and the restarted server does not have.
      const acked = model.ackLog;
      const current = await getAll(client, acked.map((ack) => ack.key));
      const lostAges: number[] = [];
      acked.forEach((ack, i) => {
        const missing = model.counters.includes(ack.key) ? Number(current[i] ?? 0) < Number(ack.value) : current[i] !== ack.value;
        if (missing) lostAges.push(killedAt - ack.at);
      });
      const oldest = Math.max(0, ...lostAges);
      losses.push(`${lostAges.length}/${acked.length}` + (lostAges.length > 0 ? ` (oldest ${Math.round(oldest)} ms before the kill)` : ""));
      worst = Math.max(worst, lostAges.length);
      expect(oldest).toBeLessThan(BOUND_MS);
    }
    client.close();
    if (cycle === CYCLES_EVERYSEC) {
      await kill(server);
      break;
    }
    model.startCycle();
    const stop = { now: false };
    const writers = Array.from({ length: CLIENTS }, (_, i) => writer(server.port, model, seededRandom(Math.floor(random() * 2 ** 32)), `e${cycle}.${i}`, stop, 2));
    // Time is the scenario: the writes run longer than the window that may be lost.
    await Bun.sleep(4000 + Math.floor(random() * 1000));
    killedAt = performance.now();
    await kill(server);
    stop.now = true;
    await Promise.all(writers);
  }
  console.log(`aof everysec, kill -9 (seed ${SEED + 1}): acknowledged writes lost per cycle ${losses.join(", ")}; worst ${worst}`);
}, 120_000);
