// Pub/Sub compared byte for byte with Redis 7.0. Each test plays the same script on
// both servers over several connections (subscribers and a publisher) and compares
// every reply and every message a connection receives, in order. A step that expects
// no message is followed by a PING on the subscriber: a stray message would arrive
// before the PONG and show up as a difference.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, usePair } from "../helpers/differential.ts";
import { encodeCommand, parseReply, RawClient } from "../helpers/server.ts";


const pair = usePair();
beforeEach(async () => {
  if (haveRedis) for (const c of [pair().b, pair().r]) await c.call("FLUSHALL");
});

const d = haveRedis ? describe : describe.skip;

/**
 * COMMAND INFO without the key specs, tips and docs: arity, flags, key positions, ACL
 * categories. Subcommands are sorted: Redis lists them in its hash table's order.
 */
type Arg = string | Uint8Array;

/**
 * One step of a script: `cmd` sends a command on connection `on` and reads `replies`
 * replies (default 1; messages queued before them are part of what is read), `read`
 * only reads that many pending replies. `unordered` compares the replies of the step
 * as a multiset (Redis lists channels in hash-table order).
 */
interface Step {
  on: string;
  cmd?: Arg[];
  replies?: number;
  read?: number;
  unordered?: boolean;
}

/** Sorts the elements of an array reply, for replies in hash-table order. */
function sortedElements(raw: string): string {
  const reply = parseReply(Buffer.from(raw, "latin1"), 0)[0];
  if (!Array.isArray(reply)) return raw;
  return raw[0] + JSON.stringify(reply.map((item) => JSON.stringify(item)).sort());
}

/** HELLO answers the connection's id, which differs between the two servers. */
function withoutClientId(raw: string): string {
  return raw.replace(/(\$2\r\nid\r\n):\d+/, "$1:<id>");
}

async function runOn(port: number, connections: string[], steps: Step[]): Promise<string[]> {
  const clients = new Map<string, RawClient>();
  for (const name of connections) clients.set(name, await RawClient.connect(port));
  const transcript: string[] = [];
  try {
    for (const step of steps) {
      const client = clients.get(step.on)!;
      let count = step.read ?? 0;
      if (step.cmd !== undefined) {
        client.write(encodeCommand(step.cmd));
        count = step.replies ?? 1;
      }
      const replies: string[] = [];
      for (let i = 0; i < count; i++) replies.push(await client.readRawReply());
      const shown = (step.unordered ? replies.map(sortedElements).sort() : replies).map(withoutClientId);
      transcript.push(`${step.on} ${JSON.stringify(step.cmd ?? "read")} -> ${JSON.stringify(shown)}`);
    }
  } finally {
    for (const client of clients.values()) client.close();
  }
  return transcript;
}

/** Runs the script on both servers; returns the lines that differ (empty when equal). */
async function compareScript(connections: string[], steps: Step[]): Promise<string[]> {
  const [ours, theirs] = await Promise.all([runOn(pair().bunker.port, connections, steps), runOn(pair().redis.port, connections, steps)]);
  const mismatches: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    if (ours[i] !== theirs[i]) mismatches.push(`bunker: ${ours[i]}\n   redis:  ${theirs[i]}`);
  }
  return mismatches;
}

d("Pub/Sub matches Redis (RESP2)", () => {
  test("subscribe, publish, patterns, the subscribed context and unsubscribing", async () => {
    const steps: Step[] = [
      { on: "sub", cmd: ["SUBSCRIBE", "news", "sport"], replies: 2 },
      { on: "sub", cmd: ["SUBSCRIBE", "news"] },
      { on: "sub", cmd: ["PSUBSCRIBE", "h?llo", "n*"], replies: 2 },
      { on: "pub", cmd: ["PUBLISH", "sport", "goal"] },
      { on: "sub", read: 1 },
      { on: "pub", cmd: ["PUBLISH", "news", "extra"] },
      { on: "sub", read: 2 },
      { on: "pub", cmd: ["PUBLISH", "hello", "world"] },
      { on: "sub", read: 1 },
      { on: "pub", cmd: ["PUBLISH", "nobody", "listens"] },
      { on: "sub", cmd: ["PING"] },
      { on: "sub", cmd: ["PING", "payload"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["SET", "k", "v"] },
      { on: "sub", cmd: ["PUBSUB", "NUMPAT"] },
      { on: "sub", cmd: ["UNSUBSCRIBE", "sport", "nothere"], replies: 2 },
      { on: "sub", cmd: ["UNSUBSCRIBE"] },
      { on: "sub", cmd: ["UNSUBSCRIBE"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE", "n*"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE", "never"] },
      { on: "sub", cmd: ["UNSUBSCRIBE", "never"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["PING"] },
      { on: "pub", cmd: ["PUBLISH", "news", "after"] },
      { on: "sub", cmd: ["SUBSCRIBE"] },
      { on: "sub", cmd: ["PSUBSCRIBE"] },
      { on: "pub", cmd: ["PUBLISH", "news"] },
    ];
    expect(await compareScript(["sub", "pub"], steps)).toEqual([]);
  });

  test("several subscribers, binary channels and messages, QUIT and RESET", async () => {
    const binaryChannel = new Uint8Array([0x00, 0xff, 0x2a, 0x0d, 0x0a]);
    const binaryMessage = new Uint8Array([0xc3, 0x28, 0x00, 0x0d]);
    const steps: Step[] = [
      { on: "a", cmd: ["SUBSCRIBE", "ch"] },
      { on: "b", cmd: ["SUBSCRIBE", "ch", binaryChannel], replies: 2 },
      { on: "c", cmd: ["PSUBSCRIBE", "*"] },
      { on: "c", cmd: ["PSUBSCRIBE", "c?"] },
      { on: "pub", cmd: ["PUBLISH", "ch", "one"] },
      { on: "a", read: 1 },
      { on: "b", read: 1 },
      // Redis 7.0 keeps patterns in a hash table: their messages come in no set order.
      { on: "c", read: 2, unordered: true },
      { on: "pub", cmd: ["PUBLISH", binaryChannel, binaryMessage] },
      { on: "b", read: 1 },
      { on: "c", read: 1 },
      { on: "a", cmd: ["PING"] },
      { on: "pub", cmd: ["PUBSUB", "NUMSUB", "ch", binaryChannel, "none"] },
      { on: "pub", cmd: ["PUBSUB", "NUMPAT"] },
      { on: "a", cmd: ["RESET"] },
      { on: "a", cmd: ["GET", "x"] },
      { on: "b", cmd: ["QUIT"] },
      { on: "pub", cmd: ["PUBLISH", "ch", "two"] },
      { on: "c", read: 2, unordered: true },
      { on: "pub", cmd: ["PUBSUB", "NUMSUB", "ch"] },
      { on: "c", cmd: ["PUNSUBSCRIBE", "c?"] },
      { on: "pub", cmd: ["PUBSUB", "NUMPAT"] },
    ];
    expect(await compareScript(["a", "b", "c", "pub"], steps)).toEqual([]);
  });

  test("SUBSCRIBE inside MULTI", async () => {
    const steps: Step[] = [
      { on: "sub", cmd: ["MULTI"] },
      { on: "sub", cmd: ["SUBSCRIBE", "x", "y"] },
      { on: "sub", cmd: ["PING"] },
      { on: "sub", cmd: ["EXEC"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "pub", cmd: ["PUBLISH", "y", "m"] },
      { on: "sub", read: 1 },
    ];
    expect(await compareScript(["sub", "pub"], steps)).toEqual([]);
  });
});

d("Pub/Sub matches Redis (RESP3)", () => {
  test("confirmations and messages are pushes, any command is allowed", async () => {
    const steps: Step[] = [
      { on: "sub", cmd: ["HELLO", "3"] },
      { on: "sub", cmd: ["SUBSCRIBE", "a", "b"], replies: 2 },
      { on: "sub", cmd: ["PSUBSCRIBE", "a*"] },
      { on: "sub", cmd: ["SET", "k", "v"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["PING"] },
      { on: "pub", cmd: ["PUBLISH", "a", "hi"] },
      { on: "sub", read: 2 },
      { on: "sub", cmd: ["PUBLISH", "b", "self"], replies: 2 },
      { on: "sub", cmd: ["UNSUBSCRIBE", "a"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE"] },
      { on: "sub", cmd: ["UNSUBSCRIBE"] },
      { on: "sub", cmd: ["UNSUBSCRIBE"] },
      { on: "sub", cmd: ["SSUBSCRIBE", "s"] },
      { on: "pub", cmd: ["SPUBLISH", "s", "shard"] },
      { on: "sub", read: 1 },
      { on: "sub", cmd: ["SUNSUBSCRIBE"] },
      { on: "sub", cmd: ["SUNSUBSCRIBE"] },
    ];
    expect(await compareScript(["sub", "pub"], steps)).toEqual([]);
  });
});

d("CLIENT REPLY OFF|SKIP does not silence pub/sub, as in Redis 7.0", () => {
  test("confirmations, messages and keyspace notifications arrive; command replies do not", async () => {
    const steps: Step[] = [
      { on: "sub", cmd: ["HELLO", "3"] },
      { on: "sub", cmd: ["CLIENT", "REPLY", "OFF"], replies: 0 },
      { on: "sub", cmd: ["SUBSCRIBE", "ch"] },
      { on: "sub", cmd: ["PSUBSCRIBE", "__keyspace@0__:*"] },
      { on: "pub", cmd: ["CONFIG", "SET", "notify-keyspace-events", "KA"] },
      { on: "pub", cmd: ["PUBLISH", "ch", "m"] },
      { on: "sub", read: 1 },
      { on: "pub", cmd: ["SET", "k", "v"] },
      { on: "sub", read: 1 },
      // Silenced: a leaked reply would be read in place of CLIENT REPLY ON's +OK.
      { on: "sub", cmd: ["GET", "k"], replies: 0 },
      { on: "sub", cmd: ["CLIENT", "REPLY", "ON"] },
      { on: "sub", cmd: ["CLIENT", "REPLY", "SKIP"], replies: 0 },
      { on: "sub", cmd: ["SUBSCRIBE", "ch2"] },
      { on: "sub", cmd: ["PING"] },
      { on: "pub", cmd: ["CONFIG", "SET", "notify-keyspace-events", ""] },
    ];
    expect(await compareScript(["sub", "pub"], steps)).toEqual([]);
  });
});

d("sharded Pub/Sub matches Redis", () => {
  test("SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE and their counts", async () => {
    const steps: Step[] = [
      { on: "sub", cmd: ["SSUBSCRIBE", "s1", "s2"], replies: 2 },
      { on: "sub", cmd: ["SSUBSCRIBE", "s1"] },
      { on: "psub", cmd: ["PSUBSCRIBE", "*"] },
      { on: "pub", cmd: ["SPUBLISH", "s1", "m1"] },
      { on: "sub", read: 1 },
      { on: "psub", cmd: ["PING"] },
      { on: "pub", cmd: ["PUBLISH", "s1", "classic"] },
      { on: "psub", read: 1 },
      { on: "sub", cmd: ["PING"] },
      { on: "sub", cmd: ["SUBSCRIBE", "c1"] },
      { on: "sub", cmd: ["PSUBSCRIBE", "p*"] },
      { on: "sub", cmd: ["SSUBSCRIBE", "s3"] },
      { on: "pub", cmd: ["PUBSUB", "SHARDNUMSUB", "s1", "s3", "c1"] },
      { on: "pub", cmd: ["PUBSUB", "SHARDCHANNELS"], unordered: true },
      { on: "pub", cmd: ["PUBSUB", "SHARDCHANNELS", "s[12]"], unordered: true },
      { on: "pub", cmd: ["PUBSUB", "CHANNELS"], unordered: true },
      { on: "sub", cmd: ["SUNSUBSCRIBE", "s1", "s9"], replies: 2 },
      { on: "sub", cmd: ["UNSUBSCRIBE"] },
      { on: "sub", cmd: ["PUNSUBSCRIBE"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["SUNSUBSCRIBE", "s2"] },
      { on: "sub", cmd: ["SUNSUBSCRIBE", "s3"] },
      { on: "sub", cmd: ["GET", "k"] },
      { on: "sub", cmd: ["SUNSUBSCRIBE"] },
      { on: "pub", cmd: ["SPUBLISH", "s1", "nobody"] },
    ];
    expect(await compareScript(["sub", "psub", "pub"], steps)).toEqual([]);
  });
});

d("PUBSUB introspection matches Redis", () => {
  test("CHANNELS, NUMSUB, NUMPAT, HELP and argument errors", async () => {
    const steps: Step[] = [
      { on: "x", cmd: ["SUBSCRIBE", "alpha", "beta", "gamma"], replies: 3 },
      { on: "y", cmd: ["SUBSCRIBE", "alpha"] },
      { on: "y", cmd: ["PSUBSCRIBE", "al*", "al*", "b*"], replies: 3 },
      { on: "z", cmd: ["PSUBSCRIBE", "al*"] },
      { on: "q", cmd: ["PUBSUB", "CHANNELS"], unordered: true },
      { on: "q", cmd: ["PUBSUB", "CHANNELS", "*a"], unordered: true },
      { on: "q", cmd: ["PUBSUB", "channels", "b*"] },
      { on: "q", cmd: ["PUBSUB", "CHANNELS", "nomatch"] },
      { on: "q", cmd: ["PUBSUB", "NUMSUB"] },
      { on: "q", cmd: ["PUBSUB", "NUMSUB", "alpha", "beta", "al*", "alpha"] },
      { on: "q", cmd: ["PUBSUB", "NUMPAT"] },
      { on: "q", cmd: ["PUBSUB", "SHARDCHANNELS"] },
      { on: "q", cmd: ["PUBSUB", "SHARDNUMSUB"] },
      { on: "q", cmd: ["PUBSUB", "SHARDNUMSUB", "alpha"] },
      { on: "q", cmd: ["PUBSUB", "HELP"] },
      { on: "q", cmd: ["PUBSUB", "CHANNELS", "a", "b"] },
      { on: "q", cmd: ["PUBSUB", "SHARDCHANNELS", "a", "b"] },
      { on: "q", cmd: ["PUBSUB", "NUMPAT", "x"] },
      { on: "q", cmd: ["PUBSUB", "HELP", "x"] },
      { on: "q", cmd: ["PUBSUB", "FOO"] },
      { on: "q", cmd: ["PUBSUB"] },
      { on: "q", cmd: ["PUBLISH", "alpha"] },
      { on: "q", cmd: ["SPUBLISH", "alpha", "m", "extra"] },
      { on: "q", cmd: ["PUBLISH", "alpha", "to-all"] },
      { on: "x", read: 1 },
      { on: "y", read: 2 },
      { on: "z", read: 1 },
      { on: "y", cmd: ["PUNSUBSCRIBE", "al*"] },
      { on: "q", cmd: ["PUBSUB", "NUMPAT"] },
      { on: "x", cmd: ["UNSUBSCRIBE", "gamma"] },
      { on: "q", cmd: ["PUBSUB", "CHANNELS", "g*"] },
    ];
    expect(await compareScript(["x", "y", "z", "q"], steps)).toEqual([]);
  });
});

d("keyspace notifications are delivered as Redis delivers them", () => {
  test("CONFIG SET notify-keyspace-events KEA, then SET sends __keyspace@0__ and __keyevent@0__", async () => {
    const steps: Step[] = [
      { on: "listener", cmd: ["PSUBSCRIBE", "__key*__:*"] },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "KEA"] },
      { on: "client", cmd: ["SET", "foo", "bar"] },
      { on: "listener", read: 2 },
      { on: "client", cmd: ["EXPIRE", "foo", "100"] },
      { on: "client", cmd: ["DEL", "foo"] },
      { on: "listener", read: 4 },
      { on: "client", cmd: ["SELECT", "3"] },
      { on: "client", cmd: ["SET", "other", "x"] },
      { on: "listener", read: 2 },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "E$"] },
      { on: "client", cmd: ["SET", "foo", "baz"] },
      { on: "listener", read: 1 },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", ""] },
      { on: "client", cmd: ["SET", "foo", "quiet"] },
      { on: "listener", cmd: ["PING"] },
    ];
    expect(await compareScript(["listener", "client"], steps)).toEqual([]);
  });

  test("MSET and plain SET: 'new' for created keys, then 'set', key by key", async () => {
    const steps: Step[] = [
      { on: "listener", cmd: ["PSUBSCRIBE", "__key*__:*"] },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "KEAn"] },
      { on: "client", cmd: ["MSET", "a", "1", "b", "2", "a", "3"] },
      { on: "listener", read: 10 },
      { on: "client", cmd: ["SET", "c", "1"] },
      { on: "client", cmd: ["SET", "c", "2"] },
      { on: "listener", read: 6 },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "E$"] },
      { on: "client", cmd: ["MSET", "a", "9", "d", "4"] },
      { on: "listener", read: 2 },
    ];
    expect(await compareScript(["listener", "client"], steps)).toEqual([]);
  });

  test("INCR and DECR: 'new' for a created counter, then 'incrby'; nothing once the class is off", async () => {
    const steps: Step[] = [
      { on: "listener", cmd: ["PSUBSCRIBE", "__key*__:*"] },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "KEAn"] },
      { on: "client", cmd: ["INCR", "n"] },
      { on: "listener", read: 4 },
      { on: "client", cmd: ["DECR", "n"] },
      { on: "client", cmd: ["INCR", "n"] },
      { on: "listener", read: 4 },
      { on: "client", cmd: ["CONFIG", "SET", "notify-keyspace-events", "Kg"] },
      { on: "client", cmd: ["INCR", "n"] },
      { on: "client", cmd: ["DEL", "n"] },
      { on: "listener", read: 1 },
    ];
    expect(await compareScript(["listener", "client"], steps)).toEqual([]);
  });
});

d("Pub/Sub commands are declared as in Redis", () => {
  test("COMMAND INFO: arity, flags, key positions, categories", async () => {
    expect(await compareCommandInfo(pair(), ["SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE", "PUBLISH", "SPUBLISH", "PUBSUB"])).toEqual([]);
  });
});
