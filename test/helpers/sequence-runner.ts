// Runs a write sequence (write-sequence.ts) against a server over sockets, and reads a
// server's dataset back in a canonical form. The same code drives the real redis-server
// and an in-process Bunker listening on a loopback port (startInProcessBunker), so the
// two runs differ only in the server: the in-process one lets a test attach a
// propagation feed, which a Bunker child process would not.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { DEADLINE_MS, waitFor } from "./wait.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, ReplyError, encodeCommand, startRedis, type Reply, type RunningServer } from "./server.ts";
import { describeStep, type SeqArg, type SequenceStep } from "./write-sequence.ts";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";
import type { EffectFeed } from "../../src/propagate.ts";
import { bytesToKey, keyToBytes } from "../../src/db/bytes.ts";

export interface InProcessBunker {
  server: Server;
  port: number;
  stop(): void;
}

/**
 * A Bunker Server in this process, listening on a free loopback port, with `feed` (if
 * any) attached to its propagation before the first command, and `args` after the
 * defaults (no --dir: it would change this process's directory). No cron runs: nothing
 * expires actively, and persistence never starts by itself.
 */
export async function startInProcessBunker(feed?: EffectFeed, args: string[] = []): Promise<InProcessBunker> {
  const table = new CommandTable();
  registerAllCommands(table);
  const { config } = Config.fromArgs(["--port", "0", "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes", ...args], process.cwd());
  const server = new Server(config, table);
  if (feed !== undefined) server.propagation.addFeed(feed);
  await server.listen();
  return {
    server,
    port: server.port,
    stop() {
      server.closeListeners();
      for (const client of [...server.clients.values()]) client.close();
    },
  };
}

// ---- running a sequence ------------------------------------------------------------

/** An argument as bytes: a string is a binary string (one char per byte). */
export function argBytes(arg: string | Uint8Array): Uint8Array {
  return typeof arg === "string" ? keyToBytes(arg) : arg;
}

/** What a RESTORE gets when the DUMP it refers to found no key: RESTORE fails alike on both servers. */
const MISSING_PAYLOAD = argBytes("no DUMP payload: the key did not exist");

export interface RunOptions {
  /** Called after each step completed (the in-process server has run it and its effects). */
  afterStep?: (index: number) => void;
  /** Limit for each condition-based wait (a client blocked, a key expired). */
  waitTimeoutMs?: number;
}

export interface RunResult {
  /** The reply (raw RESP, latin1) of each step; "" for steps without one. */
  replies: string[];
  /** Date.now() when the run started: absolute times in the stream are compared as offsets from it. */
  startMs: number;
  durationMs: number;
}

/** blocked_clients from INFO clients. */
async function blockedClients(client: RawClient): Promise<number> {
  const info = String(await client.call("INFO", "clients"));
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? "0");
}

/**
 * Runs `steps` on the server at `port` with two connections: client 0 runs the
 * sequence, client 1 runs the blocking commands of `block` steps.
 */
export async function runSequence(port: number, steps: SequenceStep[], options: RunOptions = {}): Promise<RunResult> {
  const waitTimeoutMs = options.waitTimeoutMs ?? DEADLINE_MS;
  const main = await RawClient.connect(port);
  const blocker = await RawClient.connect(port);
  const payloads: Array<Uint8Array | null> = [];
  const resolve = (args: SeqArg[]): Uint8Array[] =>
    args.map((arg) => (typeof arg === "object" && !(arg instanceof Uint8Array) ? (payloads[arg.payload] ?? MISSING_PAYLOAD) : argBytes(arg)));
  const replies: string[] = [];
  let blockedReply: Promise<string> | null = null;
  const startMs = Date.now();
  try {
    for (let index = 0; index < steps.length; index++) {
      const step = steps[index]!;
      let reply = "";
      if ("call" in step) {
        reply = await main.callRaw(...resolve(step.call));
      } else if ("dump" in step) {
        const payload = await main.call("DUMP", argBytes(step.dump));
        payloads[step.into] = typeof payload === "string" ? argBytes(payload) : null;
        reply = String(payload);
      } else if ("block" in step) {
        await blocker.call("SELECT", String(step.db));
        let answered = false;
        blockedReply = blocker.callRaw(...resolve(step.block));
        void blockedReply.then(() => (answered = true), () => (answered = true));
        // A blocking command that finds data answers at once: both servers would do the same.
        await waitFor(async () => answered || (await blockedClients(main)) > 0, { timeoutMs: waitTimeoutMs, intervalMs: 2, what: `client 1 to block (step ${index}: ${describeStep(step)})` });
      } else if ("served" in step) {
        if (blockedReply === null) throw new Error(`step ${index}: no blocked command to collect`);
        reply = await blockedReply;
        blockedReply = null;
      } else {
        // The key is looked up only once its TTL has run out: PTTL answers -2 then (and
        // deletes it lazily, which both servers propagate alike).
        await waitFor(async () => (await main.call("PTTL", argBytes(step.waitExpired))) === -2, { timeoutMs: waitTimeoutMs, intervalMs: 2, what: `${step.waitExpired} to expire` });
      }
      replies.push(reply);
      options.afterStep?.(index);
    }
  } finally {
    main.close();
    blocker.close();
  }
  return { replies, startMs, durationMs: Date.now() - startMs };
}

/**
 * A stream command as a normal client may send it. Redis writes an approximate trim
 * (`~`) into the stream as an exact one (`=`) and keeps its LIMIT, which only a client
 * that obeys (the AOF loader, a replica's master link) is allowed to send, and which
 * it then ignores; for anyone else LIMIT needs `~`. Dropping the LIMIT keeps the
 * meaning. (Bunker has no obeying client yet: its replays go through a normal one.)
 */
export function forNormalClient(argv: Uint8Array[]): Uint8Array[] {
  const name = bytesToKey(argv[0]!).toLowerCase();
  if (name !== "xadd" && name !== "xtrim") return argv;
  const words = argv.map((arg) => bytesToKey(arg).toUpperCase());
  const strategy = words.findIndex((word, i) => i >= 2 && (word === "MAXLEN" || word === "MINID"));
  if (strategy < 0 || words[strategy + 1] !== "=" || words[strategy + 3] !== "LIMIT") return argv;
  return [...argv.slice(0, strategy + 3), ...argv.slice(strategy + 5)];
}

/** Sends commands one after another (a recorded stream, SELECTs included); returns the error replies. */
export async function replayCommands(port: number, commands: readonly Uint8Array[][]): Promise<string[]> {
  const client = await RawClient.connect(port);
  const errors: string[] = [];
  try {
    for (const [index, argv] of commands.entries()) {
      const describe = () => `command ${index}: ${argv.map((arg) => JSON.stringify(Buffer.from(arg).toString("latin1"))).join(" ")}`;
      let reply: Reply;
      try {
        reply = await client.call(...argv);
      } catch (error) {
        // A stream never holds a command that blocks or closes the connection.
        throw new Error(`replaying ${describe()}: ${(error as Error).message}`);
      }
      if (reply instanceof ReplyError) errors.push(`${describe()}: ${reply.message}`);
    }
  } finally {
    client.close();
  }
  return errors;
}

// ---- reading a dataset back -----------------------------------------------------------

/** A RESP2 flat map ([k1, v1, k2, v2...]) as an object, without the fields in `drop`. */
function fields(flat: Reply, drop: readonly string[]): Record<string, Reply> {
  const out: Record<string, Reply> = {};
  const items = flat as Reply[];
  for (let i = 0; i < items.length; i += 2) if (!drop.includes(String(items[i]))) out[String(items[i])] = items[i + 1]!;
  return out;
}

/**
 * XINFO STREAM FULL without what is not part of the replicated state: the radix tree's
 * shape (the implementation's); a consumer's seen-time (the replica's clock); a group's
 * entries-read and lag, which Redis 7.0 does not replicate (XREADGROUP reaches replicas
 * as XCLAIM ... LASTID, which leaves them unknown there); and consumers without pending
 * entries, whose creation Redis 7.0 propagates only from XGROUP CREATECONSUMER and
 * XREADGROUP ... NOACK (XREADGROUP that delivers nothing creates one on the master only).
 */
function replicatedStreamState(full: Reply): unknown {
  const { groups, ...stream } = fullStreamState(full);
  const replicated = groups.map(({ group, consumers }) => {
    const { "entries-read": _read, lag: _lag, ...kept } = group;
    return { ...kept, consumers: consumers.filter((consumer) => consumer["pel-count"] !== 0) };
  });
  return { ...stream.stream, groups: replicated };
}

interface StreamState {
  stream: Record<string, Reply>;
  groups: { group: Record<string, Reply>; consumers: Record<string, Reply>[] }[];
}

/**
 * XINFO STREAM FULL without the radix tree's shape (the implementation's) and the
 * consumers' seen-time (a clock): what a stream rebuilt elsewhere (an AOF, a file) keeps.
 */
function fullStreamState(full: Reply): StreamState {
  const { groups, ...stream } = fields(full, ["radix-tree-keys", "radix-tree-nodes"]);
  return {
    stream,
    groups: (groups as Reply[]).map((flat) => {
      const { consumers, ...group } = fields(flat, []);
      return { group, consumers: (consumers as Reply[]).map((consumer) => fields(consumer, ["seen-time"])) };
    }),
  };
}

/** fullStreamState as one value, in XINFO's field order. */
function fullStreamValue(full: Reply): unknown {
  const { stream, groups } = fullStreamState(full);
  return { ...stream, groups: groups.map(({ group, consumers }) => ({ ...group, consumers })) };
}

function pairs(flat: Reply[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(JSON.stringify([flat[i], flat[i + 1]]));
  return out.sort();
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof ReplyError ? `<error ${v.message}>` : v));
}

/**
 * The dataset of every database as lines of text, independent of hash order and of
 * encodings: per key its type, absolute expire time (PEXPIRETIME) and value (streams
 * with their consumer groups and pending entries). Two servers hold the same data when
 * their dumps are equal. Streams are compared as replication keeps them, or with
 * `fullStreams` as a file keeps them (entries-read, lag and consumers without pending
 * entries too).
 */
export async function canonicalDump(port: number, databases = 16, options: { fullStreams?: boolean } = {}): Promise<string[]> {
  const streamState = options.fullStreams === true ? fullStreamValue : replicatedStreamState;
  const client = await RawClient.connect(port);
  const lines: string[] = [];
  try {
    for (let db = 0; db < databases; db++) {
      await client.call("SELECT", String(db));
      const keys = await client.call("KEYS", "*");
      if (!Array.isArray(keys)) throw new Error(`KEYS * in db ${db} on port ${port} answered ${String(keys)}`);
      keys.sort();
      for (const name of keys as string[]) {
        const key = argBytes(name);
        const type = String(await client.call("TYPE", key));
        const expireAt = await client.call("PEXPIRETIME", key);
        let value: unknown;
        if (type === "string") value = await client.call("GET", key);
        else if (type === "list") value = await client.call("LRANGE", key, "0", "-1");
        else if (type === "hash") value = pairs((await client.call("HGETALL", key)) as Reply[]);
        else if (type === "set") value = ((await client.call("SMEMBERS", key)) as string[]).sort();
        else if (type === "zset") value = await client.call("ZRANGE", key, "0", "-1", "WITHSCORES");
        else if (type === "stream") value = streamState(await client.call("XINFO", "STREAM", key, "FULL", "COUNT", "0"));
        else value = `<${type}>`;
        lines.push(canonicalJson([db, name, type, expireAt, value]));
      }
    }
  } finally {
    client.close();
  }
  return lines;
}

/**
 * DEBUG DIGEST (40 hex digits), or null where the server does not implement it. The
 * digest covers keys that are logically expired but still stored, which differ between
 * a server with active expiry off and one that replayed the stream with it on: a SCAN of
 * every database first deletes them (SCAN expires what it meets).
 */
export async function datasetDigest(port: number, databases = 16): Promise<string | null> {
  const client = await RawClient.connect(port);
  try {
    // A server that just started may still be loading its file (-LOADING to everything).
    await waitFor(async () => /^loading:0$/m.test(String(await client.call("INFO", "persistence"))) || null, { what: `the server on port ${port} to finish loading` });
    for (let db = 0; db < databases; db++) {
      await client.call("SELECT", String(db));
      let cursor = "0";
      do {
        const reply = await client.call("SCAN", cursor, "COUNT", "1000");
        if (!Array.isArray(reply)) throw new Error(`SCAN failed: ${String(reply)}`);
        cursor = String(reply[0]);
      } while (cursor !== "0");
    }
    const reply = await client.call("DEBUG", "DIGEST");
    return typeof reply === "string" && /^[0-9a-f]{40}$/.test(reply) ? reply : null;
  } finally {
    client.close();
  }
}

/**
 * A redis-server that starts from `commands` written as its append-only file, the way
 * Redis itself replays an effect stream: the AOF client, like a replica's link to its
 * master, obeys what it reads (an XADD's `=` trim with LIMIT, which a normal client is
 * refused, and times already in the past that a normal client's PEXPIREAT would turn
 * into a deletion).
 */
export async function startRedisFromAof(commands: readonly Uint8Array[][], args: string[] = []): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "redis-aof-replay-"));
  writeFileSync(join(dir, "appendonly.aof"), Buffer.concat(commands.map((argv) => encodeCommand(argv))));
  let redis: RunningServer;
  try {
    redis = await startRedis({ dir, args: ["--appendonly", "yes", "--appendfilename", "appendonly.aof", ...args] });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const stop = redis.stop;
  redis.stop = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const client = await RawClient.connect(redis.port);
  try {
    // INFO may answer loading:0 between two files of the AOF: wait until a command that
    // is refused while loading runs.
    await waitFor(async () => !((await client.call("EXISTS", "k")) instanceof ReplyError), { what: "redis-server to load the AOF" });
  } finally {
    client.close();
  }
  return redis;
}
