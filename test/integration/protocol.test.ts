// Wire behaviour through real sockets: protocol errors close the connection after the
// reply exactly as Redis does, inline commands, RESP3, limits, backpressure, and the
// clients users run (redis-cli, Bun's RedisClient).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCommand, RawClient, redisCli, startBunker, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { haveRedis, usePair } from "../helpers/differential.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair();

/** What a connection answers to `payload` after the end-of-replies marker was sent: the marker's reply. */
const END_OF_REPLIES = encodeCommand(["ECHO", "end-of-replies"]);
const END_OF_REPLIES_REPLY = "$14\r\nend-of-replies\r\n";

/**
 * Sends raw bytes on a fresh connection to each server; returns what came back and
 * whether the server closed the connection. A payload that `closes` is answered until
 * the close; after one that does not, an ECHO is sent, and its reply marks the end (so
 * no fixed wait decides when the server has said everything).
 */
async function rawBoth(payload: string, closes: boolean): Promise<[string, string, boolean, boolean]> {
  const run = async (port: number) => {
    const c = await RawClient.connect(port);
    c.write(payload);
    if (!closes) c.write(END_OF_REPLIES);
    await waitFor(() => c.closed || c.pending().endsWith(END_OF_REPLIES_REPLY), { what: "the replies to the payload" }).catch(() => {});
    const [got, closed] = [c.pending(), c.closed];
    c.close();
    return [got, closed] as const;
  };
  const [[a, ac], [b, bc]] = await Promise.all([run(pair().bunker.port), run(pair().redis.port)]);
  return [a, b, ac, bc];
}

d("protocol errors match Redis", () => {
  // [payload, whether Redis closes the connection after answering it]
  const cases: Array<[string, boolean]> = [
    ["*a\r\n", true],
    ["*1\r\n:1\r\n", true],
    ["*2\r\n$3\r\nGET\r\n$-5\r\n", true],
    ['SET "a\r\n', true],
    ["*1\r\n$4\r\nPING\r\n*x\r\n", true],
    ["PING\r\nECHO hello\r\n\r\nPING\r\n", false],
    ['SET k "va\\x41l ue"\r\nGET k\r\n', false],
    ["*0\r\n*1\r\n$4\r\nPING\r\n", false],
    // Headers the parser's fast path hands to the general one, and mixed-case names.
    ["*01\r\n$4\r\nPING\r\n", true],
    ["*1\r\n$04\r\nPING\r\n", true],
    ["*1\r\n$+4\r\nPING\r\n", true],
    ["*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", false],
    ["*3\r\n$3\r\nsEt\r\n$1\r\nk\r\n$2\r\nv1\r\n*2\r\n$3\r\nGeT\r\n$1\r\nk\r\n*1\r\n$5\r\nPiNgX\r\n", false],
    // Inline requests without quotes take the parser's own split.
    ["SET  k1 \t v1\r\nGET k1\r\nECHO a\\x41\r\n  \r\nping\n", false],
    // Too big inline request (no newline within 64 KB).
    ["A".repeat(70 * 1024), true],
    // A line's end more than 64 KB from its start, in one write: too big (Redis checks
    // after each read, and its reads take 16 KB first).
    [`ECHO ${"a".repeat(100_000)}\r\n`, true],
    [`ECHO ${"a".repeat(60_000)}\r\n`, false],
    ["*" + "1".repeat(70_000), true],
    ["*1\r\n$" + "1".repeat(70_000), true],
    // The first byte of a bulk header is checked once its line is complete.
    ["*1\r\n\r\n", true],
    ["*1\r\n\xc8\r\n", true],
  ];
  for (const [payload, closes] of cases) {
    test(payload.length > 1000 ? `${JSON.stringify(payload.slice(0, 12))}... (${payload.length} bytes)` : JSON.stringify(payload), async () => {
      const [ours, theirs, ourClosed, theirClosed] = await rawBoth(payload, closes);
      expect(theirClosed).toBe(closes);
      expect(ours).toBe(theirs);
      expect(ourClosed).toBe(theirClosed);
    });
  }
});

d("input Redis leaves waiting: a NUL ends its search for a line's end", () => {
  /** Bytes sent, then how many the server holds unparsed (CLIENT LIST qbuf; -1: it closes the connection) and how many one-line replies came by then. */
  type Step = [bytes: string, qbuf: number, replies: number];

  /**
   * Sends each step's bytes on a fresh connection to each server and waits until the
   * server holds that many bytes unparsed (asked on another connection) and the replies
   * have come, or it has closed the connection; records what came back. Returns both
   * servers' records.
   */
  async function stepBoth(steps: Step[]): Promise<string[][]> {
    const run = async (port: number) => {
      const admin = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      const id = Number(await c.call("CLIENT", "ID"));
      const record: string[] = [];
      for (const [bytes, qbuf, replies] of steps) {
        c.write(bytes);
        await waitFor(
          async () => {
            if (c.closed) return true;
            if (c.pending().split("\r\n").length - 1 < replies) return false;
            return String(await admin.call("CLIENT", "LIST", "ID", String(id))).includes(` qbuf=${qbuf} `);
          },
          { what: `qbuf=${qbuf} after ${JSON.stringify(bytes.slice(0, 20))}` },
        );
        if (c.closed) await c.waitClosed();
        record.push(`${c.closed ? "closed " : ""}${c.pending()}`);
      }
      c.close();
      admin.close();
      return record;
    };
    return Promise.all([run(pair().bunker.port), run(pair().redis.port)]);
  }

  const cases: Array<[string, Step[]]> = [
    // The PING before it runs; the line with the NUL waits, and whatever follows it.
    [
      "inline",
      [
        ["PING\r\nPI\0NG\r\nPING\r\n", 13, 1],
        ["PING\r\n", 19, 1],
        ["x".repeat(70_000), -1, 2],
      ],
    ],
    ["quoted inline", [['ECHO "a\0b"\r\n', 12, 0]]],
    [
      "multibulk count",
      [
        ["*1\0\r\n$4\r\nPING\r\n", 15, 0],
        ["x".repeat(70_000), -1, 1],
      ],
    ],
    ["bulk count", [["*1\r\n$4\0\r\nPING\r\n", 11, 0]]],
    // Only a complete line's first byte is checked.
    [
      "bulk marker",
      [
        ["*1\r\nX", 1, 0],
        ["\r", 2, 0],
        ["\n", -1, 1],
      ],
    ],
    // A request's parsed headers are no longer in the query buffer.
    ["bulk data", [["*2\r\n$4\r\nECHO\r\n$5\r\nab", 2, 0]]],
  ];
  for (const [name, steps] of cases) {
    test(name, async () => {
      const [ours, theirs] = await stepBoth(steps);
      expect(ours).toEqual(theirs!);
    });
  }

  test("a client's own CLIENT INFO counts its request in qbuf, as Redis trims its query buffer after the read", async () => {
    const qbuf = async (c: RawClient) => /qbuf=(\d+) /.exec(String(await c.call("CLIENT", "INFO")))![1];
    expect(await qbuf(pair().b)).toBe(await qbuf(pair().r));
  });
});

describe("RESP3 and HELLO", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startBunker();
  });
  afterAll(async () => {
    await server.stop();
  });

  test("HELLO 3 switches replies to RESP3", async () => {
    const c = await RawClient.connect(server.port);
    const hello = await c.callRaw("HELLO", "3");
    expect(hello.startsWith("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n")).toBe(true);
    expect(await c.callRaw("GET", "missing")).toBe("_\r\n");
    expect(await c.callRaw("CONFIG", "GET", "maxclients")).toBe("%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
    expect(await c.callRaw("HELLO", "4")).toBe("-NOPROTO unsupported protocol version\r\n");
    expect(await c.callRaw("HELLO", "2", "SETNAME", "bad name")).toBe("-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    expect(await c.callRaw("HELLO", "2", "FOO")).toBe("-ERR Syntax error in HELLO option 'FOO'\r\n");
    c.close();
  });

  test("redis-cli and Bun's RedisClient work against Bunker", async () => {
    expect((await redisCli(server.port, "SET", "cli", "value")).trim()).toBe("OK");
    expect((await redisCli(server.port, "GET", "cli")).trim()).toBe("value");
    const client = new Bun.RedisClient(`redis://127.0.0.1:${server.port}`);
    await client.set("bun", "42");
    expect(await client.get("bun")).toBe("42");
    expect(await client.incr("bun")).toBe(43);
    client.close();
  });

  test("a client that does not read gets its replies once it drains (backpressure)", async () => {
    const c = await RawClient.connect(server.port);
    await c.call("SET", "big", "x".repeat(1024 * 1024));
    // 64 MB of replies requested in one write: the server must not lose or reorder them.
    let request = "";
    for (let i = 0; i < 64; i++) request += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    c.write(request);
    let total = 0;
    for (let i = 0; i < 64; i++) total += (await c.readRawReply()).length;
    expect(total).toBe(64 * (1024 * 1024 + "$1048576\r\n\r\n".length));
    c.close();
  });

  test("client-output-buffer-limit closes a client that does not read", async () => {
    const limited = await startBunker({ args: ["--client-output-buffer-limit", "normal 2mb 0 0"] });
    const writer = await RawClient.connect(limited.port);
    await writer.call("SET", "big", "x".repeat(1024 * 1024));
    const lazy = await RawClient.connect(limited.port);
    // Never read: ask for 200 MB of replies.
    let request = "";
    for (let i = 0; i < 200; i++) request += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    lazy.pauseReading();
    lazy.write(request);
    await waitFor(() => limited.output().includes("scheduled to be closed ASAP for overcoming of output buffer limits"), { what: "the log line" });
    await waitFor(async () => String(await writer.call("CLIENT", "LIST")).trim().split("\n").length === 1, { what: "the disconnection" });
    writer.close();
    await limited.stop();
  });

  test("unixsocket: the server also listens on a Unix socket", async () => {
    const socketDir = mkdtempSync(join(tmpdir(), "bunker-socket-"));
    const path = join(socketDir, "bunker.sock");
    // The TCP port accepts before the socket is bound: wait for the ready line.
    const s = await startBunker({ args: ["--unixsocket", path], waitLoaded: true });
    const result = Bun.spawnSync(["redis-cli", "-s", path, "PING"]);
    expect(result.stdout.toString().trim()).toBe("PONG");
    await s.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  test("maxclients refuses with Redis's error", async () => {
    const limited = await startBunker({ args: ["--maxclients", "2"] });
    const a = await RawClient.connect(limited.port);
    const b = await RawClient.connect(limited.port);
    const c = await RawClient.connect(limited.port);
    expect(await c.waitClosed()).toBe("-ERR max number of clients reached\r\n");
    a.close();
    b.close();
    await limited.stop();
  });

  test("requirepass: NOAUTH, AUTH, and unauthenticated request limits", async () => {
    const locked = await startBunker({ args: ["--requirepass", "secret"] });
    const c = await RawClient.connect(locked.port);
    expect(await c.callRaw("GET", "x")).toBe("-NOAUTH Authentication required.\r\n");
    expect(await c.callRaw("AUTH", "wrong")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    expect(await c.callRaw("AUTH", "secret")).toBe("+OK\r\n");
    expect(await c.callRaw("GET", "x")).toBe("$-1\r\n");
    const d2 = await RawClient.connect(locked.port);
    d2.write("*20\r\n");
    expect(await d2.waitClosed()).toBe("-ERR Protocol error: unauthenticated multibulk length\r\n");
    c.close();
    await locked.stop();
  });

  test("idle clients are closed after `timeout` seconds, counted in whole seconds as Redis counts them, and logged at verbose", async () => {
    const s = await startBunker({ args: ["--timeout", "1", "--loglevel", "verbose"] });
    const c = await RawClient.connect(s.port);
    // Redis closes once the unix time in whole seconds is more than `timeout` past the
    // last interaction's: a client last heard early in a second is closed two seconds
    // later, not one (which is what idle milliseconds > timeout * 1000 would give).
    while (Date.now() % 1000 > 100) await Bun.sleep(5);
    const idleSince = Date.now();
    expect(await c.callRaw("PING")).toBe("+PONG\r\n");
    await c.waitClosed();
    expect(c.closed).toBe(true);
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(1500);
    await s.waitForOutput(" - Closing idle client\n");
    await s.stop();
  });
});
