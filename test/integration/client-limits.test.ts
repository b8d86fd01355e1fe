// The limits Redis 7.0 puts on every client, whatever the client is doing, checked
// against the real redis-server (Debian's 7.0.15, which carries the CVE-2025-21605
// fix): client-query-buffer-limit on every read (blocked, paused, in MULTI, subscribed,
// during a busy script), the limits on requests of clients that must still
// authenticate and on their replies, and client-output-buffer-limit with its hard and
// soft limits for normal, pub/sub and MONITOR clients, blocked, paused or in MULTI.
// Both servers see the same steps; the test compares what a client receives, whether
// its connection is closed, and the log line each server writes. Waits are on
// conditions (CLIENT LIST, log lines, closed sockets), never on a guessed duration.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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
