// The limits Redis 7.0 puts on every client, whatever the client is doing, checked
// against the real redis-server (Debian's 7.0.15, which carries the CVE-2025-21605
// fix): client-query-buffer-limit on every read (blocked, paused, in MULTI, subscribed,
// during a busy script), the limits on requests of clients that must still
// authenticate and on their replies, and client-output-buffer-limit with its hard and
// soft limits for normal, pub/sub and MONITOR clients, blocked, paused or in MULTI.
// Both servers see the same steps; the test compares what a client receives, whether
// its connection is closed, and the log line each server writes. Waits are on
// conditions (CLIENT LIST, log lines, closed sockets), never on a guessed duration.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { encodeCommand, RawClient, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { haveRedis } from "../helpers/differential.ts";
import { waitFor } from "../helpers/wait.ts";

const d = haveRedis ? describe : describe.skip;

interface Side {
  name: "bunker" | "redis";
  server: RunningServer;
  /** An authenticated connection for CONFIG, CLIENT LIST and the like. */
  admin: RawClient;
}

/** Bunker and Redis started with the same arguments, with an admin connection each. */
function useSides(args: string[], password?: string): () => Side[] {
  let sides: Side[] = [];
  beforeAll(async () => {
    if (!haveRedis) return;
    const servers = await Promise.all([startBunker({ args }), startRedis({ args })]);
    sides = await Promise.all(
      servers.map(async (server, i) => {
        const admin = await RawClient.connect(server.port);
        if (password !== undefined) expect(await admin.call("AUTH", password)).toBe("OK");
        return { name: i === 0 ? "bunker" : "redis", server, admin } as Side;
      }),
    );
  });
  afterAll(async () => {
    for (const side of sides) {
      side.admin.close();
      await side.server.stop();
    }
  });
  return () => sides;
}

/** Runs `scenario` on both servers at once; returns [bunker's result, redis's result]. */
async function onBoth<T>(sides: Side[], scenario: (side: Side) => Promise<T>): Promise<T[]> {
  return Promise.all(sides.map(scenario));
}

/** CLIENT LIST as one map of fields per client. */
async function clientList(admin: RawClient): Promise<Array<Map<string, string>>> {
  const text = String(await admin.call("CLIENT", "LIST"));
  return text
    .trim()
    .split("\n")
    .map((line) => parseClientInfo(line));
}

function parseClientInfo(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const pair of line.trim().split(" ")) {
    const eq = pair.indexOf("=");
    if (eq > 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return fields;
}

/** The CLIENT LIST entry of client `id`, or undefined once it is gone. */
async function clientEntry(admin: RawClient, id: number): Promise<Map<string, string> | undefined> {
  return (await clientList(admin)).find((fields) => fields.get("id") === String(id));
}

/** The clients other than the admin connection. */
async function otherClients(side: Side): Promise<Array<Map<string, string>>> {
  return (await clientList(side.admin)).filter((fields) => fields.get("cmd") !== "client|list");
}

/** Waits until client `id` matches `condition` (its CLIENT LIST entry) on `side`. */
async function waitClient(side: Side, id: number, condition: (fields: Map<string, string> | undefined) => boolean, what: string): Promise<void> {
  await waitFor(async () => condition(await clientEntry(side.admin, id)), { what: `${side.name}: ${what}` });
}

/** A connection and its client id (asked before it does anything else). */
async function connectWithId(side: Side): Promise<{ client: RawClient; id: number }> {
  const client = await RawClient.connect(side.server.port);
  const id = Number(await client.call("CLIENT", "ID"));
  return { client, id };
}

/** The server's log lines matching `pattern`. */
function logLines(side: Side, pattern: RegExp): string[] {
  return side.server.output().split("\n").filter((line) => pattern.test(line));
}

/** Waits for the log line about client `id` matching `pattern`; returns it. */
async function waitLogLine(side: Side, pattern: RegExp, id: number): Promise<string> {
  const about = (line: string) => line.includes(` id=${id} `) || line.includes(`Client id=${id} `);
  return waitFor(() => logLines(side, pattern).find(about), { what: `${side.name}: the log line ${pattern} about client ${id}` });
}

/** The fields of the client description in a log line that do not depend on timing or buffer sizes. */
function stableFields(line: string): string {
  const info = parseClientInfo(line.slice(line.indexOf("id=")));
  return ["flags", "db", "sub", "psub", "multi", "cmd", "name", "user", "resp"].map((field) => `${field}=${info.get(field)}`).join(" ");
}

const QUERY_LIMIT_LOG = /Closing client that reached max query buffer length: /;
const OUTPUT_LIMIT_ASYNC_LOG = / scheduled to be closed ASAP for overcoming of output buffer limits\./;
const OUTPUT_LIMIT_CRON_LOG = / closed for overcoming of output buffer limits\./;

/** What the log line says the query buffer started with: `(qbuf initial bytes: "...")`. */
function initialBytes(line: string): string {
  return line.slice(line.indexOf("(qbuf initial bytes: "));
}

/** `count` SET requests: complete requests the server cannot run while the client waits. */
function setRequests(count: number): Uint8Array {
  return Buffer.concat(Array.from({ length: count }, (_, i) => encodeCommand(["SET", `key:${i % 100}`, "some-value-some-value"])));
}

/** Bytes of a bulk argument announced as 10 MB, which never completes. */
function partialBigArgument(prefix: string[], bytes: number): Uint8Array {
  const header = Buffer.from(`*${prefix.length + 1}\r\n` + prefix.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("") + `$${10 * 1024 * 1024}\r\n`);
  return Buffer.concat([header, Buffer.alloc(bytes, 120)]);
}

/** A server's resident memory, in bytes. */
function rssOf(server: RunningServer): number {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

d("client-query-buffer-limit holds on every read, whatever the client is doing", () => {
  const sides = useSides(["--client-query-buffer-limit", "1mb", "--busy-reply-threshold", "100"]);

  /**
   * Puts a fresh client into a state (`enter`), has it send 4 MB it cannot get run,
   * and expects the server to close it with Redis's log line. Returns, per server, the
   * line's client fields and its initial bytes.
   */
  async function overflow(enter: (side: Side, client: RawClient, id: number) => Promise<void>, flood: Uint8Array, leave?: (side: Side) => Promise<void>) {
    const seen = await onBoth(sides(), async (side) => {
      const { client, id } = await connectWithId(side);
      await enter(side, client, id);
      client.write(flood);
      const line = await waitLogLine(side, QUERY_LIMIT_LOG, id);
      await waitFor(() => client.closed, { what: `${side.name}: the connection to be closed` });
      if (leave !== undefined) await leave(side);
      // Everyone else is still served.
      expect(await side.admin.call("PING")).toBe("PONG");
      return { fields: stableFields(line), initial: initialBytes(line) };
    });
    expect(seen[0]).toEqual(seen[1]!);
    return seen[0]!;
  }

  test("blocked in BLPOP", async () => {
    const seen = await overflow(async (side, client, id) => {
      client.write(encodeCommand(["BLPOP", "no-such-list", "0"]));
      await waitClient(side, id, (fields) => fields?.get("flags") === "b", "the client to block");
    }, setRequests(100_000));
    expect(seen.fields).toContain("flags=b");
    expect(seen.fields).toContain("cmd=blpop");
    expect(seen.initial).toStartWith('(qbuf initial bytes: "*3\\r\\n$3\\r\\nSET\\r\\n$5\\r\\nkey:0\\r\\n');
  });

  test("paused by CLIENT PAUSE", async () => {
    const seen = await overflow(
      async (side, client) => {
        expect(await side.admin.call("CLIENT", "PAUSE", "3000", "ALL")).toBe("OK");
        // Its first request is postponed, the rest waits behind it.
        client.write(encodeCommand(["GET", "k"]));
      },
      setRequests(100_000),
      async (side) => {
        // The admin's next command waits for the pause to end, as in Redis.
        expect(await side.admin.call("CLIENT", "UNPAUSE")).toBe("OK");
      },
    );
    expect(seen.fields).toContain("flags=b");
    expect(seen.fields).toContain("cmd=get");
  });

  test("in MULTI, with an argument that never completes", async () => {
    const seen = await overflow(
      async (_side, client) => {
        expect(await client.call("MULTI")).toBe("OK");
      },
      partialBigArgument(["SET", "k"], 4 * 1024 * 1024),
    );
    expect(seen.fields).toContain("flags=x");
    expect(seen.fields).toContain("multi=0");
    // A big argument is read into a buffer of its own: the query buffer starts with it.
    expect(seen.initial).toBe(`(qbuf initial bytes: "${"x".repeat(64)}")`);
  });

  test("subscribed", async () => {
    const seen = await overflow(
      async (_side, client) => {
        await client.call("SUBSCRIBE", "channel");
      },
      partialBigArgument(["SUBSCRIBE"], 4 * 1024 * 1024),
    );
    expect(seen.fields).toContain("flags=P");
    expect(seen.fields).toContain("sub=1");
  });

  test("while another client's script is busy", async () => {
    await onBoth(sides(), async (side) => {
      const runner = await RawClient.connect(side.server.port);
      runner.write(encodeCommand(["EVAL", "while true do end", "0"]));
      // The script is past busy-reply-threshold once others get -BUSY.
      await waitFor(async () => String(await side.admin.call("PING")).startsWith("BUSY"), { what: `${side.name}: the script to be busy` });
      const before = logLines(side, QUERY_LIMIT_LOG).length;
      const victim = await RawClient.connect(side.server.port);
      victim.write(partialBigArgument(["ECHO"], 4 * 1024 * 1024));
      await waitFor(() => logLines(side, QUERY_LIMIT_LOG).length > before && victim.closed, { what: `${side.name}: the victim to be closed` });
      expect(await side.admin.call("SCRIPT", "KILL")).toBe("OK");
      await waitFor(async () => (await side.admin.call("PING")) === "PONG", { what: `${side.name}: the script to end` });
      runner.close();
    });
  });

  test("many blocked clients flooding: each is closed and the memory stays bounded", async () => {
    const [bunker] = sides();
    const before = rssOf(bunker!.server);
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectWithId(bunker!)));
    for (const { client } of clients) client.write(encodeCommand(["BLPOP", "no-such-list", "0"]));
    await waitFor(async () => (await otherClients(bunker!)).filter((fields) => fields.get("flags") === "b").length === 20, { what: "20 blocked clients" });
    const flood = setRequests(200_000); // ~9 MB each
    for (const { client } of clients) client.write(flood);
    await waitFor(() => clients.every(({ client }) => client.closed), { what: "every flooding client to be closed" });
    expect(rssOf(bunker!.server) - before).toBeLessThan(150 * 1024 * 1024);
  });
});

d("clients that must still authenticate (requirepass)", () => {
  const sides = useSides(["--requirepass", "secret", "--enable-debug-command", "yes"], "secret");

  const NOAUTH = "-NOAUTH Authentication required.\r\n";

  /** A fresh unauthenticated connection sends `pings` PINGs in one write: what does it get, is it closed? */
  async function unauthenticated(side: Side, pings: number, prepare?: () => Promise<void>): Promise<{ received: string; closed: boolean }> {
    const client = await RawClient.connect(side.server.port);
    if (prepare !== undefined) await prepare();
    client.write("PING\r\n".repeat(pings));
    await waitFor(() => client.closed || client.pending().length === NOAUTH.length * pings, { what: `${side.name}: the replies or the close` });
    const result = { received: client.pending(), closed: client.closed };
    client.close();
    return result;
  }

  test("the reply buffer is all their output may take: 16 KB of -NOAUTH in one read closes the connection", async () => {
    await onBoth(sides(), async (side) => expect(await side.admin.call("DEBUG", "REPLYBUFFER", "RESIZING", "0")).toBe("OK"));
    for (const [pings, closes] of [
      [100, false],
      [481, false], // 481 replies: 16354 bytes
      [482, true], // 16388 bytes
      [2000, true],
    ] as const) {
      const [ours, theirs] = await onBoth(sides(), (side) => unauthenticated(side, pings));
      expect(theirs!.closed).toBe(closes);
      expect(ours!.closed).toBe(closes);
      // Closed: nothing of the read's replies is written.
      expect(theirs!.received).toBe(closes ? "" : NOAUTH.repeat(pings));
      expect(ours!.received).toBe(theirs!.received);
    }
    for (const side of sides()) {
      const lines = logLines(side, OUTPUT_LIMIT_ASYNC_LOG);
      expect(lines.length).toBe(2);
      expect(stableFields(lines[0]!)).toBe("flags=N db=0 sub=0 psub=0 multi=-1 cmd=ping name= user=default resp=2");
    }
  });

  test("a reply buffer that shrank while idle (1 KB) allows 30 replies, not 31", async () => {
    await onBoth(sides(), async (side) => expect(await side.admin.call("DEBUG", "REPLYBUFFER", "RESIZING", "1")).toBe("OK"));
    for (const [pings, closes] of [
      [29, false],
      [31, true],
    ] as const) {
      const results = await onBoth(sides(), (side) =>
        unauthenticated(side, pings, async () => {
          // serverCron shrinks an idle client's reply buffer to 1 KB.
          await waitFor(async () => (await otherClients(side)).some((fields) => fields.get("rbs") === "1024"), { what: `${side.name}: rbs=1024` });
        }),
      );
      for (const result of results) expect(result.closed).toBe(closes);
      expect(results[0]!.received).toBe(results[1]!.received);
    }
  });

  test("once authenticated, the limit is gone", async () => {
    const results = await onBoth(sides(), async (side) => {
      const client = await RawClient.connect(side.server.port);
      client.write(Buffer.concat([encodeCommand(["AUTH", "secret"]), Buffer.from("PING\r\n".repeat(2000))]));
      await waitFor(() => client.pending().length === 5 + 7 * 2000, { what: `${side.name}: 2000 PONGs` });
      const result = { received: client.pending(), closed: client.closed };
      client.close();
      return result;
    });
    expect(results[0]).toEqual(results[1]!);
  });

  test("request sizes: more than 10 arguments or a bulk over 16 KB is a protocol error", async () => {
    for (const [payload, closes] of [
      ["*10\r\n" + "$1\r\na\r\n".repeat(10), false],
      ["*11\r\n", true],
      [`*1\r\n$16384\r\n${"a".repeat(16384)}\r\n`, false],
      ["*1\r\n$16385\r\n", true],
    ] as const) {
      const results = await onBoth(sides(), async (side) => {
        const client = await RawClient.connect(side.server.port);
        client.write(payload);
        if (!closes) client.write("PING\r\n");
        await waitFor(() => client.closed || client.pending().split("\r\n").length - 1 === 2, { what: `${side.name}: the replies to ${payload.slice(0, 10)}` });
        const result = { received: client.pending(), closed: client.closed };
        client.close();
        return result;
      });
      expect(results[1]!.closed).toBe(closes);
      expect(results[0]).toEqual(results[1]!);
    }
  });

  test("100 connections flooding PINGs without reading are closed, and the memory stays bounded", async () => {
    const flood = "PING\r\n".repeat(175_000); // ~1 MB
    await onBoth(sides(), async (side) => {
      const before = side.name === "bunker" ? rssOf(side.server) : 0;
      const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(side.server.port)));
      for (const client of clients) {
        client.pauseReading();
        client.write(flood);
      }
      await waitFor(async () => (await otherClients(side)).length === 0, { what: `${side.name}: every flooding connection to be closed` });
      if (side.name === "bunker") expect(rssOf(side.server) - before).toBeLessThan(100 * 1024 * 1024);
      for (const client of clients) client.close();
    });
  });
});

d("client-output-buffer-limit, for every kind of client in every state", () => {
  const sides = useSides([]);

  beforeAll(async () => {
    if (!haveRedis) return;
    await onBoth(sides(), async (side) => {
      expect(await side.admin.call("SET", "big", "x".repeat(1024 * 1024))).toBe("OK");
      expect(await side.admin.call("SET", "mid", "m".repeat(50 * 1024))).toBe("OK");
    });
  });

  async function setLimits(value: string): Promise<void> {
    await onBoth(sides(), async (side) => expect(await side.admin.call("CONFIG", "SET", "client-output-buffer-limit", value)).toBe("OK"));
  }
  // Each test starts from the defaults.
  beforeEach(async () => {
    if (haveRedis) await setLimits("normal 0 0 0 pubsub 32mb 8mb 60");
  });

  /** A reading client sends `payload`: what it received once `expected` bytes came or the server closed it. */
  async function reader(side: Side, payload: Uint8Array, expected: number): Promise<{ received: string; closed: boolean; line?: string }> {
    const { client, id } = await connectWithId(side);
    client.write(payload);
    await waitFor(() => client.closed || client.pending().length >= expected, { what: `${side.name}: the replies or the close` });
    const line = client.closed ? await waitLogLine(side, OUTPUT_LIMIT_ASYNC_LOG, id) : undefined;
    const result = { received: client.pending(), closed: client.closed, line };
    client.close();
    return result;
  }

  const bulkLength = (bytes: number) => `$${bytes}\r\n`.length + bytes + 2;

  test("replies beyond the reply buffer count, whether or not the client reads", async () => {
    await setLimits("normal 100kb 0 0");
    // 1 MB at once: closed before a byte is written.
    const [ours, theirs] = await onBoth(sides(), (side) => reader(side, encodeCommand(["GET", "big"]), bulkLength(1024 * 1024)));
    expect(theirs!.closed).toBe(true);
    expect(theirs!.received).toBe("");
    expect(ours!.closed).toBe(true);
    expect(ours!.received).toBe("");
    expect(stableFields(ours!.line!)).toBe(stableFields(theirs!.line!));
    // 2 x 50 KB: 100 KB, of which only what goes beyond the 16 KB reply buffer counts.
    const two = await onBoth(sides(), (side) => reader(side, Buffer.concat([encodeCommand(["GET", "mid"]), encodeCommand(["GET", "mid"])]), 2 * bulkLength(50 * 1024)));
    expect(two.map((result) => [result.closed, result.received.length])).toEqual([
      [false, 2 * bulkLength(50 * 1024)],
      [false, 2 * bulkLength(50 * 1024)],
    ]);
    // 3 x 50 KB is over.
    const three = await onBoth(sides(), (side) => reader(side, Buffer.concat([0, 1, 2].map(() => encodeCommand(["GET", "mid"]))), 3 * bulkLength(50 * 1024)));
    expect(three.map((result) => [result.closed, result.received])).toEqual([
      [true, ""],
      [true, ""],
    ]);
  });

  test("EXEC's replies in MULTI", async () => {
    await setLimits("normal 1mb 0 0");
    const results = await onBoth(sides(), async (side) => {
      const { client, id } = await connectWithId(side);
      expect(await client.call("MULTI")).toBe("OK");
      for (let i = 0; i < 3; i++) expect(await client.call("GET", "big")).toBe("QUEUED");
      client.write(encodeCommand(["EXEC"]));
      const line = await waitLogLine(side, OUTPUT_LIMIT_ASYNC_LOG, id);
      await waitFor(() => client.closed, { what: `${side.name}: the close` });
      // Redis checks as each queued command adds its reply, while the client is still in
      // MULTI (flags=x multi=3); Bunker once EXEC has returned.
      return { received: client.pending(), cmd: parseClientInfo(line.slice(line.indexOf("id="))).get("cmd") };
    });
    expect(results[0]).toEqual(results[1]!);
    expect(results[0]).toEqual({ received: "", cmd: "exec" });
  });

  /** A subscriber that does not read, and 200 messages of 32 KB published to its channel. */
  async function floodedSubscriber(side: Side): Promise<{ client: RawClient; id: number; publisher: RawClient }> {
    const { client, id } = await connectWithId(side);
    await client.call("SUBSCRIBE", "news");
    client.pauseReading();
    const publisher = await RawClient.connect(side.server.port);
    const message = "n".repeat(32 * 1024);
    for (let i = 0; i < 200; i++) publisher.write(encodeCommand(["PUBLISH", "news", message]));
    return { client, id, publisher };
  }

  test("a pub/sub client that does not read: hard limit", async () => {
    await setLimits("pubsub 256kb 0 0");
    const results = await onBoth(sides(), async (side) => {
      const { client, id, publisher } = await floodedSubscriber(side);
      const line = await waitLogLine(side, OUTPUT_LIMIT_ASYNC_LOG, id);
      await waitClient(side, id, (fields) => fields === undefined, "the subscriber to be gone");
      // The publisher's replies: 1 while the subscriber was there, then 0.
      for (let i = 0; i < 200; i++) await publisher.readReply();
      publisher.close();
      client.close();
      return stableFields(line);
    });
    expect(results[0]).toBe(results[1]!);
    expect(results[0]).toContain("flags=P");
  });

  test("a pub/sub client over its soft limit, with nothing published after, is closed by the cron", async () => {
    await setLimits("pubsub 0 256kb 1");
    const results = await onBoth(sides(), async (side) => {
      const { client, id, publisher } = await floodedSubscriber(side);
      for (let i = 0; i < 200; i++) expect(await publisher.readReply()).toBe(1);
      publisher.close();
      // More than a second later (in whole seconds), serverCron closes it.
      const line = await waitLogLine(side, OUTPUT_LIMIT_CRON_LOG, id);
      expect(logLines(side, OUTPUT_LIMIT_ASYNC_LOG).some((l) => l.includes(` id=${id} `))).toBe(false);
      client.close();
      return stableFields(line);
    });
    expect(results[0]).toBe(results[1]!);
  });

  test("MONITOR that does not read", async () => {
    await setLimits("normal 256kb 0 0");
    const results = await onBoth(sides(), async (side) => {
      const { client, id } = await connectWithId(side);
      expect(await client.call("MONITOR")).toBe("OK");
      client.pauseReading();
      const worker = await RawClient.connect(side.server.port);
      const value = "v".repeat(4096);
      for (let round = 0; round < 200 && (await clientEntry(side.admin, id)) !== undefined; round++) {
        for (let i = 0; i < 100; i++) worker.write(encodeCommand(["SET", "monitored", value]));
        for (let i = 0; i < 100; i++) await worker.readReply();
      }
      const line = await waitLogLine(side, OUTPUT_LIMIT_ASYNC_LOG, id);
      worker.close();
      client.close();
      return stableFields(line);
    });
    expect(results[0]).toBe(results[1]!);
    expect(results[0]).toContain("flags=O");
  });

  test("blocked or paused with output over the soft limit: closed by the cron", async () => {
    // The limit is set once the client is in the state: only serverCron can see it then.
    const pipeline = Buffer.concat(Array.from({ length: 32 }, () => encodeCommand(["GET", "big"])));
    const blocked = await onBoth(sides(), async (side) => {
      const { client, id } = await connectWithId(side);
      client.pauseReading();
      client.write(Buffer.concat([pipeline, encodeCommand(["BLPOP", "no-such-list", "0"])]));
      await waitClient(side, id, (fields) => fields?.get("flags") === "b", "the client to block");
      expect(await side.admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1")).toBe("OK");
      const line = await waitLogLine(side, OUTPUT_LIMIT_CRON_LOG, id);
      expect(await side.admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")).toBe("OK");
      client.close();
      return stableFields(line);
    });
    expect(blocked[0]).toBe(blocked[1]!);
    expect(blocked[0]).toContain("flags=b");
    const paused = await onBoth(sides(), async (side) => {
      const { client, id } = await connectWithId(side);
      expect(await side.admin.call("CLIENT", "PAUSE", "60000", "WRITE")).toBe("OK");
      client.pauseReading();
      // The GETs run, the SET is postponed. (Bunker stops reading a client with 4 MB of
      // replies waiting, so the SET comes in the same write.)
      client.write(Buffer.concat([pipeline, encodeCommand(["SET", "k", "v"])]));
      await waitClient(side, id, (fields) => fields?.get("flags") === "b", "the SET to be postponed");
      expect(await side.admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 1mb 1")).toBe("OK");
      const line = await waitLogLine(side, OUTPUT_LIMIT_CRON_LOG, id);
      expect(await side.admin.call("CLIENT", "UNPAUSE")).toBe("OK");
      expect(await side.admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")).toBe("OK");
      client.close();
      return stableFields(line);
    });
    expect(paused[0]).toBe(paused[1]!);
    expect(paused[0]).toContain("flags=b");
  });
});

d("INFO stats as Redis 7.0 has them", () => {
  const sides = useSides([]);
  test("no client_*_buffer_limit_disconnections fields (they came with 7.2)", async () => {
    const fields = await onBoth(sides(), async (side) =>
      String(await side.admin.call("INFO", "stats"))
        .split("\r\n")
        .filter((line) => line.includes("buffer"))
        .map((line) => line.split(":")[0]),
    );
    expect(fields[0]).toEqual(fields[1]!);
  });
});
