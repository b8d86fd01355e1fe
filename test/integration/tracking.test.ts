// Client-side caching (CLIENT TRACKING) against the real Redis 7.0: the transcripts of
// what each connection receives (replies and invalidation messages, in order) must be
// byte-equal, in RESP3 (pushes on the tracking connection) and in RESP2 (Pub/Sub
// messages on a redirect connection), for writes from every path: plain commands,
// MULTI/EXEC, Lua scripts, lazy and active expiry, FLUSHDB/FLUSHALL, SWAPDB (which 7.0
// does not signal), the table's limit, and the redirect connection going away.

import { describe, expect, test } from "bun:test";
import { both, compareScript, haveRedis, usePair, type CommandArgs } from "../helpers/differential.ts";
import { runPushScenario, type PushStep } from "../helpers/scenario.ts";
import { RawClient, startBunker } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair(["--enable-debug-command", "yes"]);

/**
 * A scenario written one step a line: "<client> <command...>" (a "\s" inside an argument
 * is a space, for Lua), "!<client> <command...>" for a command without a reply, "sleep
 * <ms>", "dbsize <n> [db]", "close <client>". `$redirect` stands for the variant's
 * tracking options (empty in RESP3, REDIRECT to client 2 in RESP2).
 */
function steps(text: string, redirect = ""): PushStep[] {
  const out: PushStep[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const words = line
      .replace("$redirect", redirect)
      .split(/\s+/)
      .filter((w) => w !== "")
      .map((w) => w.replace(/\\s/g, " "));
    const [head, ...rest] = words;
    if (head === "sleep") out.push({ sleep: Number(rest[0]) });
    else if (head === "dbsize") out.push({ dbsize: Number(rest[0]), db: rest[1] === undefined ? 0 : Number(rest[1]) });
    else if (head === "close") out.push({ close: Number(rest[0]) });
    else if (head!.startsWith("!")) out.push({ c: Number(head!.slice(1)), noReply: rest });
    else out.push({ c: Number(head), call: rest });
  }
  return out;
}

/** The fields of CLIENT INFO / CLIENT LIST and INFO that tracking decides; the rest differs between servers. */
function trackingFields(reply: string): string {
  if (reply.includes(" flags=")) return [...reply.matchAll(/ (flags|redir|resp)=\S+/g)].map((m) => m[0]).join("");
  if (reply.includes("# Stats") || reply.includes("# Clients")) return [...reply.matchAll(/tracking_\w+:\d+/g)].map((m) => m[0]).join(" ");
  return reply;
}

/** Runs the scenario on both servers (from a clean state) and returns both transcripts. */
async function transcripts(scenario: PushStep[], clients = 4): Promise<[string[], string[]]> {
  const p = pair();
  const results: string[][] = [];
  for (const server of [p.bunker, p.redis]) {
    const control = await RawClient.connect(server.port);
    await control.call("FLUSHALL");
    await control.call("CONFIG", "SET", "tracking-table-max-keys", "1000000");
    await control.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    control.close();
    results.push(await runPushScenario(server.port, scenario, { clients, mapReply: trackingFields }));
  }
  return [results[0]!, results[1]!];
}

async function expectSameTranscript(scenario: PushStep[], clients = 4): Promise<void> {
  const [bunker, redis] = await transcripts(scenario, clients);
  expect(redis.join("")).toMatch(/invalidate|tracking-redir-broken/);
  expect(bunker.join("\n")).toBe(redis.join("\n"));
}

/** RESP3: client 0 tracks on its own connection. RESP2: client 0 redirects to client 2, subscribed. */
const VARIANTS = [
  { name: "RESP3 pushes", setup: "0 HELLO 3", redirect: "" },
  { name: "RESP2 through a redirect", setup: "2 SUBSCRIBE __redis__:invalidate", redirect: "REDIRECT $id2" },
];

// Client 0 tracks, client 1 writes, client 3 looks on.
const WRITE_PATHS = `
  0 CLIENT TRACKING on $redirect
  0 CLIENT INFO
  0 GET k1
  1 SET k1 v
  0 GET k1
  0 SET k1 w
  0 GET k1
  0 MGET k2 k3 k4
  1 MULTI
  1 SET k2 x
  1 DEL k3
  1 EXEC
  0 MULTI
  0 GET k2
  0 INCR k2
  0 SET k4 own
  0 EXEC
  0 GET k4
  1 EVAL redis.call('set',KEYS[1],'z') 1 k4
  0 EVAL return\\sredis.call('get',KEYS[1]) 2 k5 k6
  1 SET k6 1
  0 EVAL_RO return\\sredis.call('get',KEYS[1]) 1 k7
  1 SET k7 1
  0 EVAL redis.call('set','k5','own')\\sreturn\\s1 0
  0 LRANGE l1 0 -1
  0 HGET h1 f
  0 SMEMBERS s1
  0 ZRANGE z1 0 -1
  0 XRANGE x1 - +
  0 STRLEN k8
  0 EXISTS k9
  1 RPUSH l1 a b
  1 HSET h1 f v
  1 SADD s1 m
  1 ZADD z1 1 m
  1 XADD x1 1-1 f v
  1 APPEND k8 tail
  1 SET k9 v
  0 GET k9
  1 EXPIRE k9 100
  0 GET k9
  1 RENAME k9 k10
  0 GET k10
  1 COPY k10 k9
  0 GET k9
  1 MOVE k9 1
  0 MGET g1 g2 g3 g4 g5 g6 g7
  1 SET g1 1
  1 GETEX g1 PX 100000
  1 GETDEL g1
  1 SETRANGE g2 0 x
  1 PERSIST g2
  1 SORT l1 ALPHA STORE g3
  1 BITOP OR g4 g2 g2
  1 PFADD g5 x
  1 LMOVE l1 g6 LEFT LEFT
  1 SINTERSTORE g7 s1 s1
  0 MGET g1 g2 g3 g4 g5 g6 g7
  0 DEBUG RELOAD
  0 GET g2
  1 DEBUG RELOAD
  1 DEBUG SET-ACTIVE-EXPIRE 0
  1 SET e1 v PX 100
  0 GET e1
  sleep 250
  0 GET e1
  1 SET e2 v PX 100
  0 GET e2
  sleep 250
  1 GET e2
  1 DEBUG SET-ACTIVE-EXPIRE 1
  1 SELECT 9
  0 SELECT 9
  1 SET e3 v PX 100
  0 GET e3
  dbsize 0 9
  0 SELECT 0
  1 SELECT 0
  0 GET k1
  1 SWAPDB 0 1
  1 SET k1 again
  0 GET k1
  1 SELECT 1
  1 FLUSHDB
  1 SELECT 0
  0 GET k1
  1 FLUSHALL
  0 GET k1
  0 FLUSHALL ASYNC
  !0 CLIENT REPLY OFF
  !0 GET r1
  1 SET r1 v
  0 CLIENT REPLY ON
  0 CLIENT TRACKING on $redirect NOLOOP
  0 GET n1
  0 SET n1 own
  0 GET n1
  1 SET n1 other
  0 CLIENT TRACKINGINFO
  0 CLIENT GETREDIR
  3 INFO clients
  3 INFO stats
  0 RESET
  0 CLIENT TRACKINGINFO
  0 CLIENT GETREDIR
  3 INFO clients
  3 SET n1 after
`;

const OPTIN_OPTOUT = `
  0 CLIENT TRACKING on OPTIN $redirect
  0 GET a
  0 CLIENT CACHING yes
  0 CLIENT TRACKINGINFO
  0 GET b
  0 GET c
  1 MSET a 1 b 2 c 3
  0 CLIENT CACHING yes
  0 MULTI
  0 GET a
  0 GET d
  0 EXEC
  0 GET c
  0 MULTI
  0 CLIENT CACHING yes
  0 GET e
  0 EXEC
  0 CLIENT CACHING yes
  0 PING
  0 GET f
  1 MSET a 1 b 2 c 3 d 4 e 5 f 6
  0 CLIENT TRACKING on OPTOUT $redirect
  0 CLIENT TRACKING off
  0 CLIENT CACHING yes
  0 CLIENT TRACKING on OPTOUT $redirect
  0 CLIENT CACHING yes
  0 CLIENT CACHING no
  0 CLIENT TRACKINGINFO
  0 GET a
  0 GET b
  0 CLIENT CACHING no
  0 CLIENT ID
  0 GET c
  1 MSET a 1 b 2 c 3
`;

const BCAST = `
  0 CLIENT TRACKING on BCAST PREFIX user: PREFIX obj: $redirect
  3 HELLO 3
  3 CLIENT TRACKING on BCAST NOLOOP
  0 CLIENT INFO
  0 CLIENT TRACKINGINFO
  1 SET user:1 a
  1 MSET user:2 b obj:1 c other d
  1 SET user:1 again
  3 SET user:3 x
  3 MULTI
  3 SET user:4 y
  3 SET obj:2 z
  3 EXEC
  3 EVAL redis.call('set','user:5','1') 0
  1 DEBUG SET-ACTIVE-EXPIRE 0
  1 SET user:6 v PX 100
  sleep 250
  1 GET user:6
  1 DEBUG SET-ACTIVE-EXPIRE 1
  1 SELECT 9
  1 SET obj:7 v PX 100
  dbsize 0 9
  1 SELECT 0
  1 SET plain 1
  3 INFO stats
  1 FLUSHALL
  3 CLIENT TRACKING on BCAST PREFIX x
  0 CLIENT TRACKING on BCAST PREFIX usr PREFIX user:
  0 CLIENT TRACKING on BCAST PREFIX ab PREFIX a
  0 CLIENT TRACKING on BCAST PREFIX zed $redirect
  0 CLIENT TRACKINGINFO
  1 SET zed:1 1
  0 CLIENT TRACKING on
  0 CLIENT TRACKING off
  3 INFO stats
  3 INFO clients
`;

const REDIRECT_GONE = `
  0 HELLO 3
  2 HELLO 3
  0 CLIENT TRACKING on REDIRECT $id2
  1 CLIENT TRACKING on REDIRECT $id2
  0 GET r1
  1 GET r1
  3 SET r1 1
  close 2
  0 GET r1
  1 GET r1
  3 SET r1 2
  0 CLIENT TRACKINGINFO
  1 CLIENT TRACKINGINFO
  0 CLIENT INFO
  1 CLIENT INFO
  0 GET r1
  0 SET r1 own
  0 FLUSHALL
  0 CLIENT GETREDIR
`;

d("client-side caching matches Redis", () => {
  for (const variant of VARIANTS) {
    test(`every write path, NOLOOP, CLIENT REPLY OFF, RESET (${variant.name})`, async () => {
      await expectSameTranscript(steps(variant.setup + "\n" + WRITE_PATHS, variant.redirect));
    });

    test(`OPTIN and OPTOUT with CLIENT CACHING (${variant.name})`, async () => {
      await expectSameTranscript(steps(variant.setup + "\n" + OPTIN_OPTOUT, variant.redirect));
    });

    test(`BCAST with prefixes, NOLOOP, transactions, scripts and expiry (${variant.name})`, async () => {
      await expectSameTranscript(steps(variant.setup + "\n" + BCAST, variant.redirect));
    });
  }

  test("the redirect connection going away (RESP3 gets tracking-redir-broken, RESP2 the R flag)", async () => {
    await expectSameTranscript(steps(REDIRECT_GONE));
  });

  test("a RESP2 redirect that is not in Pub/Sub mode, and a RESP3 one, get what Redis sends", async () => {
    await expectSameTranscript(
      steps(`
        0 CLIENT TRACKING on REDIRECT $id2
        0 GET a
        1 SET a 1
        2 HELLO 3
        0 GET a
        1 SET a 2
        0 GET a
        1 FLUSHALL
        3 HELLO 3
        3 CLIENT TRACKING on REDIRECT $id0
        0 SUBSCRIBE ch
        3 GET b
        1 SET b 1
        3 GET b
        1 FLUSHALL
      `),
    );
  });

  test("tracking-table-max-keys evicts keys with an invalidation, as INFO reports", async () => {
    const scenario = steps(`
      0 HELLO 3
      0 CLIENT TRACKING on
      3 CONFIG SET tracking-table-max-keys 2
      0 MGET t1 t2 t3
      0 PING
      3 INFO stats
      0 MGET t4 t5 t6 t7 t8
      0 PING
      3 INFO stats
    `);
    const [bunker, redis] = await transcripts(scenario);
    // Which keys go is Redis's random choice (Bunker takes the oldest): compare how many,
    // wherever the cron or the next command sent them.
    const evictions = (transcript: string[]) => transcript.join("").replace(/\*1\r\n\$2\r\nt\d\r\n/g, "*1 <key>");
    const shape = (transcript: string[]) => transcript.map((step) => step.replace(/>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$2\r\nt\d\r\n/g, ""));
    expect(evictions(bunker).match(/<key>/g)?.length).toBe(evictions(redis).match(/<key>/g)?.length);
    expect(shape(bunker).join("\n")).toBe(shape(redis).join("\n"));
  });

  test("every error and option rule of CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO", async () => {
    const p = pair();
    await both(p, "FLUSHALL");
    const script: CommandArgs[] = [
      ["CLIENT", "TRACKING"],
      ["CLIENT", "TRACKING", "maybe"],
      ["CLIENT", "TRACKING", "on", "foo"],
      ["CLIENT", "TRACKING", "off", "foo"],
      ["CLIENT", "TRACKING", "on", "REDIRECT"],
      ["CLIENT", "TRACKING", "on", "PREFIX"],
      ["CLIENT", "TRACKING", "on", "REDIRECT", "abc"],
      ["CLIENT", "TRACKING", "on", "REDIRECT", "99999999999999999999"],
      ["CLIENT", "TRACKING", "on", "REDIRECT", "987654"],
      ["CLIENT", "TRACKING", "on", "REDIRECT", "0"],
      ["CLIENT", "TRACKING", "on", "REDIRECT", "-1"],
      ["CLIENT", "TRACKING", "off", "REDIRECT", "987654"],
      ["CLIENT", "TRACKING", "on", "PREFIX", "a"],
      ["CLIENT", "TRACKING", "on", "BCAST", "OPTIN"],
      ["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"],
      ["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab\r\nx", "PREFIX", "a"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a\0z", "PREFIX", "a"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "", "PREFIX", "q"],
      ["CLIENT", "CACHING", "yes"],
      ["CLIENT", "CACHING", "no"],
      ["CLIENT", "CACHING", "maybe"],
      ["CLIENT", "CACHING"],
      ["CLIENT", "GETREDIR"],
      ["CLIENT", "GETREDIR", "x"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "TRACKINGINFO", "x"],
      ["CLIENT", "TRACKING", "on"],
      ["CLIENT", "CACHING", "yes"],
      ["CLIENT", "CACHING", "no"],
      ["CLIENT", "TRACKING", "on", "BCAST"],
      ["CLIENT", "TRACKING", "on", "OPTIN"],
      ["CLIENT", "CACHING", "no"],
      ["CLIENT", "CACHING", "yes"],
      ["CLIENT", "TRACKING", "on", "OPTOUT"],
      ["CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "TRACKING", "off"],
      ["CLIENT", "TRACKING", "off"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "c", "NOLOOP", "bcast"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bb"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "d", "PREFIX", "c"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "TRACKING", "on", "OPTIN"],
      ["CLIENT", "TRACKING", "ON", "bcast", "prefix", "e", "Noloop"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "GETREDIR"],
      ["CLIENT", "TRACKING", "off"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "HELP"],
      ["COMMAND", "INFO", "client|tracking", "client|caching", "client|getredir", "client|trackinginfo"],
      ["EVAL", "return redis.pcall('client','tracking','on')", "0"],
      ["EVAL", "return redis.pcall('client','caching','yes')", "0"],
    ];
    expect(await compareScript(p, script)).toEqual([]);
    // The same in RESP3, where TRACKINGINFO is a map with a set of flags.
    await both(p, "HELLO", "3");
    const resp3: CommandArgs[] = [
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y", "NOLOOP"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "TRACKING", "off"],
      ["CLIENT", "TRACKING", "on", "OPTOUT"],
      ["CLIENT", "CACHING", "no"],
      ["CLIENT", "TRACKINGINFO"],
      ["CLIENT", "GETREDIR"],
    ];
    expect(await compareScript(p, resp3)).toEqual([]);
    await both(p, "RESET");
  });

  test("RESET and a closed connection leave no tracking client or prefix behind", async () => {
    const p = pair();
    for (const server of [p.bunker, p.redis]) {
      const a = await RawClient.connect(server.port);
      const b = await RawClient.connect(server.port);
      const control = await RawClient.connect(server.port);
      await a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p1", "PREFIX", "p2");
      const bId = String(await b.call("CLIENT", "ID"));
      await b.call("CLIENT", "TRACKING", "on");
      await b.call("GET", "somekey");
      const info = async () => [...String(await control.call("INFO", "everything")).matchAll(/tracking_\w+:\d+/g)].map((m) => m[0]).join(" ");
      expect(await info()).toBe("tracking_clients:2 tracking_total_keys:1 tracking_total_items:1 tracking_total_prefixes:2");
      await a.call("RESET");
      b.close();
      // The closed client's id stays in the table until its key changes, as in Redis.
      await waitFor(async () => !String(await control.call("CLIENT", "LIST")).includes(`id=${bId} `), { what: "the closed client to be dropped" });
      expect(await info()).toBe("tracking_clients:0 tracking_total_keys:1 tracking_total_items:1 tracking_total_prefixes:0");
      await control.call("SET", "somekey", "1");
      expect(await info()).toBe("tracking_clients:0 tracking_total_keys:0 tracking_total_items:0 tracking_total_prefixes:0");
      a.close();
      control.close();
    }
  });
});

describe("client-side caching (Bunker)", () => {
  test("two given prefixes that overlap, past the first: only the error, nothing enabled", async () => {
    // Redis 7.0 answers the error and then +OK with tracking on (checkPrefixCollisionsOrReply
    // returns its loop index): two replies to one command. Bunker sends the error only.
    const server = await startBunker();
    try {
      const client = await RawClient.connect(server.port);
      expect(await client.callRaw("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "PREFIX", "bc")).toBe(
        "-ERR Prefix 'b' overlaps with another provided prefix 'bc'. Prefixes for a single client must not overlap.\r\n",
      );
      expect(await client.callRaw("PING")).toBe("+PONG\r\n");
      expect(await client.callRaw("CLIENT", "GETREDIR")).toBe(":-1\r\n");
      client.close();
    } finally {
      await server.stop();
    }
  });

  test("over tracking-table-max-keys, the oldest tracked keys go first", async () => {
    const server = await startBunker({ args: ["--tracking-table-max-keys", "2"] });
    try {
      const client = await RawClient.connect(server.port);
      await client.call("HELLO", "3");
      await client.call("CLIENT", "TRACKING", "on");
      expect(await client.callRaw("MGET", "k1", "k2", "k3", "k4")).toBe("*4\r\n_\r\n_\r\n_\r\n_\r\n");
      const before = await client.drainBeforePing();
      expect(before).toBe(">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk1\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nk2\r\n");
      client.close();
    } finally {
      await server.stop();
    }
  });
});
