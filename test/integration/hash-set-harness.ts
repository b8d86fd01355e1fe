// Differential helpers for the hash and set tests: scripts whose replies must match
// Redis byte for byte (or as multisets where Redis answers in hash-table order), with
// the dirty counter (rdb_changes_since_last_save) compared after every command.

import { parseReply, RawClient, type Reply } from "../helpers/server.ts";
import { dirtyOf, type Pair } from "../helpers/differential.ts";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server.ts";
import { Client } from "../../src/net/client.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

export type Arg = string | Uint8Array;

/** How a reply is compared: exact bytes, or with element order ignored. */
export type Order = "exact" | "any" | "pairs" | "shape";

export interface Step {
  cmd: Arg[];
  /**
   * "any": an array/set whose element order is Redis's hash order. "pairs": same, for
   * flat field/value lists. "shape": random content, only the type and length must match.
   */
  order?: Order;
}

export type ScriptEntry = Arg[] | Step;

function describeArgs(args: Arg[]): string {
  return JSON.stringify(args.map((a) => (typeof a === "string" ? a : `<bytes ${Buffer.from(a).toString("hex")}>`)));
}


function sortKey(reply: Reply): string {
  return JSON.stringify(reply, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? [...v.entries()] : v));
}

/** The reply as a comparable value with hash-order differences removed. */
export function normalize(raw: string, order: Order): string {
  if (order === "exact") return raw;
  if (order === "shape") return raw.slice(0, raw.indexOf("\r\n"));
  const reply = parseReply(Buffer.from(raw, "latin1"), 0)[0];
  // The aggregate's type byte (* ~ %) must still match.
  const kind = raw[0];
  if (!Array.isArray(reply)) return raw;
  let items: Reply[] = reply;
  if (order === "pairs") {
    const pairs: Reply[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
    items = pairs;
  }
  return kind + JSON.stringify(items.map(sortKey).sort());
}

/** HELLO answers the connection's id, which differs between the two servers. */
function withoutClientId(raw: string): string {
  return raw.replace(/(\$2\r\nid\r\n):\d+/, "$1:<id>");
}

/**
 * Runs the script on both servers. Returns readable mismatch lines: reply differences
 * and dirty-counter increments that differ from Redis's. Empty when all match.
 */
export async function compareSteps(pair: Pair, script: ScriptEntry[], checkDirty = true): Promise<string[]> {
  const mismatches: string[] = [];
  for (const entry of script) {
    const step: Step = Array.isArray(entry) ? { cmd: entry } : entry;
    const order = step.order ?? "exact";
    const before = checkDirty ? await Promise.all([dirtyOf(pair.b), dirtyOf(pair.r)]) : [0, 0];
    const [ours, theirs] = await Promise.all([pair.b.callRaw(...step.cmd), pair.r.callRaw(...step.cmd)]);
    if (normalize(withoutClientId(ours), order) !== normalize(withoutClientId(theirs), order)) {
      mismatches.push(`${describeArgs(step.cmd)}\n   bunker: ${JSON.stringify(ours)}\n   redis:  ${JSON.stringify(theirs)}`);
    }
    if (checkDirty) {
      const after = await Promise.all([dirtyOf(pair.b), dirtyOf(pair.r)]);
      const ourDelta = after[0] - before[0]!;
      const theirDelta = after[1] - before[1]!;
      if (ourDelta !== theirDelta) mismatches.push(`${describeArgs(step.cmd)}: dirty +${ourDelta}, Redis +${theirDelta}`);
    }
  }
  return mismatches;
}

/** Sends the same command to both; returns [bunker, redis] parsed replies. */
export async function callBoth(pair: Pair, ...args: Arg[]): Promise<[Reply, Reply]> {
  return Promise.all([pair.b.call(...args), pair.r.call(...args)]);
}

/** FLUSHALL and the encoding thresholds back to their defaults, on both servers. */
export async function resetBoth(pair: Pair): Promise<void> {
  for (const client of [pair.b, pair.r]) {
    await client.call("FLUSHALL");
    await client.call("CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64", "set-max-intset-entries", "512");
    await client.call("CONFIG", "SET", "notify-keyspace-events", "");
  }
}

/**
 * Bunker in this process (no socket): commands run through Server.processCommand, and a
 * subscriber registered straight in the Pub/Sub registry records keyspace notifications
 * as the pmessage bytes a PSUBSCRIBE * connection would receive.
 */
export class InProcessBunker {
  private constructor(
    readonly server: Server,
    private readonly client: Client,
    private readonly subscriber: Client,
  ) {}

  static create(): InProcessBunker {
    const table = new CommandTable();
    registerAllCommands(table);
    const server = new Server(Config.defaults(), table);
    const client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
    const subscriber = new Client(2, server, null, "127.0.0.1:40002", "127.0.0.1:6379");
    server.pubsub.psubscribe(subscriber, "*");
    return new InProcessBunker(server, client, subscriber);
  }

  /** Runs one command; returns its reply bytes (latin1). */
  run(...args: Arg[]): string {
    this.server.processCommand(this.client, args.map((a) => (typeof a === "string" ? new Uint8Array(Buffer.from(a, "utf8")) : a)));
    return Buffer.from(this.client.reply.take()).toString("latin1");
  }

  /** Notifications delivered since the last call, as raw RESP2 pmessage bytes. */
  takeNotifications(): string {
    return Buffer.from(this.subscriber.reply.take()).toString("latin1");
  }
}

const SENTINEL_CHANNEL = "zz-end-of-notifications";

/**
 * Runs `script` on the real Redis of the pair with a PSUBSCRIBE * connection open and
 * notify-keyspace-events KEA; returns the replies and the raw pmessage bytes received.
 */
export async function redisNotifications(pair: Pair, script: Arg[][]): Promise<{ replies: string[]; notifications: string }> {
  const subscriber = await RawClient.connect(pair.redis.port);
  try {
    await subscriber.call("PSUBSCRIBE", "*");
    await pair.r.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
    const replies: string[] = [];
    for (const command of script) replies.push(await pair.r.callRaw(...command));
    await pair.r.call("PUBLISH", SENTINEL_CHANNEL, "end");
    let notifications = "";
    for (;;) {
      const raw = await subscriber.readRawReply();
      if (raw.includes(SENTINEL_CHANNEL)) break;
      notifications += raw;
    }
    await pair.r.call("CONFIG", "SET", "notify-keyspace-events", "");
    return { replies, notifications };
  } finally {
    subscriber.close();
  }
}

/**
 * Compares keyspace notifications (and replies) of `script` between an in-process
 * Bunker and the real Redis. Returns readable mismatch lines, empty when equal.
 */
export async function compareNotifications(pair: Pair, entries: ScriptEntry[]): Promise<string[]> {
  const steps: Step[] = entries.map((entry) => (Array.isArray(entry) ? { cmd: entry } : entry));
  const script = steps.map((step) => step.cmd);
  const bunker = InProcessBunker.create();
  bunker.run("CONFIG", "SET", "notify-keyspace-events", "KEA");
  const ours: string[] = [];
  let ourNotifications = "";
  for (const command of script) {
    ours.push(bunker.run(...command));
    ourNotifications += bunker.takeNotifications();
  }
  const theirs = await redisNotifications(pair, script);
  const mismatches: string[] = [];
  // Guards against a vacuous pass (notifications not enabled on either side).
  if (theirs.notifications === "") mismatches.push("Redis sent no notifications for the script");
  script.forEach((command, i) => {
    const order = steps[i]!.order ?? "exact";
    if (normalize(ours[i]!, order) !== normalize(theirs.replies[i]!, order)) mismatches.push(`${describeArgs(command)}\n   bunker: ${JSON.stringify(ours[i])}\n   redis:  ${JSON.stringify(theirs.replies[i])}`);
  });
  const readable = (raw: string): string[] => {
    const events: string[] = [];
    let offset = 0;
    while (offset < raw.length) {
      const [message, next] = parseReply(Buffer.from(raw, "latin1"), offset);
      const parts = message as string[];
      events.push(`${parts[2]} ${parts[3]}`);
      offset = next;
    }
    return events;
  };
  if (ourNotifications !== theirs.notifications) {
    mismatches.push(`notifications differ\n   bunker: ${JSON.stringify(readable(ourNotifications))}\n   redis:  ${JSON.stringify(readable(theirs.notifications))}`);
  }
  return mismatches;
}

/**
 * Runs each command on both servers and compares keyspace_hits/keyspace_misses after it.
 * Returns the mismatches (empty when every command counts as Redis's does).
 */
export async function compareKeyspaceStats(pair: Pair, commands: string[][]): Promise<string[]> {
  const stats = (): Promise<string[]> =>
    Promise.all(
      [pair.b, pair.r].map(async (client) => {
        const info = (await client.call("INFO", "stats")) as string;
        return `${/keyspace_hits:(\d+)/.exec(info)![1]}/${/keyspace_misses:(\d+)/.exec(info)![1]}`;
      }),
    );
  await callBoth(pair, "CONFIG", "RESETSTAT");
  const mismatches: string[] = [];
  for (const command of commands) {
    await callBoth(pair, ...command);
    const [ours, theirs] = await stats();
    if (ours !== theirs) mismatches.push(`${command.join(" ")}: hits/misses ${ours}, Redis ${theirs}`);
  }
  return mismatches;
}

