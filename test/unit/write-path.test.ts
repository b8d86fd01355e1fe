// The write path inside one server: what call() hands to a feed for each kind of
// command (its own argv, a rewrite, what it propagated itself, nothing), how execution
// units are wrapped, and the before-reply stage that runs before any reply is written.
// The command-by-command comparison with Redis's replication stream is in
// test/integration/effects-stream.test.ts.

import { describe, expect, test } from "bun:test";
import { Server } from "../../src/server.ts";
import { Client, type ClientSocket } from "../../src/net/client.ts";
import { Config } from "../../src/config.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";
import { SelectTracker } from "../../src/propagate.ts";

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

function setup() {
  const table = new CommandTable();
  registerAllCommands(table);
  const { config } = Config.fromArgs(["--save", "", "--enable-debug-command", "yes"], process.cwd());
  const server = new Server(config, table);
  const stream: string[] = [];
  const select = new SelectTracker();
  server.propagation.addFeed({
    feed(db, argv) {
      const selecting = select.selectFor(db);
      if (selecting !== null) stream.push(selecting.map(latin1).join(" "));
      stream.push(argv.map(latin1).join(" "));
    },
  });
  const written: string[] = [];
  const connect = (id: number) => {
    const socket = {
      write(data: Uint8Array, offset = 0, length = data.length - offset) {
        written.push(`${id}:${latin1(data.subarray(offset, offset + length))}`);
        return length;
      },
      end() {},
      pause() {},
      resume() {},
      data: { client: null },
    } as unknown as ClientSocket;
    const client = new Client(id, server, socket, `127.0.0.1:${40000 + id}`, "127.0.0.1:6379");
    server.clients.set(id, client);
    return client;
  };
  const send = (client: Client, ...requests: string[][]) => {
    const wire = requests.map((args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`).join("")).join("");
    server.onData(client, Buffer.from(wire, "latin1"));
  };
  const take = () => stream.splice(0);
  return { server, connect, send, take, written };
}

describe("call() and the effect stream", () => {
  test("a write is propagated as sent, a read or a no-op write not at all", () => {
    const { connect, send, take } = setup();
    const c = connect(1);
    send(c, ["set", "k", "v"], ["GET", "k"], ["DEL", "missing"], ["SADD", "s", "a"], ["SADD", "s", "a"], ["LPUSHX", "nolist", "x"]);
    expect(take()).toEqual(["SELECT 0", "set k v", "SADD s a"]);
  });

  test("a rewritten command is propagated in its replicated form; an unchanged one as sent", () => {
    const { connect, send, take } = setup();
    const c = connect(1);
    send(c, ["SET", "k", "v", "EX", "100", "GET"]);
    const [, set] = take();
    expect(set).toMatch(/^SET k v PXAT \d{13}$/);
    expect(Number(set!.split(" ")[4]) - Date.now()).toBeGreaterThan(90_000);
    send(c, ["PEXPIREAT", "k", "99999999999999", "GT"], ["GETDEL", "k"], ["INCRBYFLOAT", "f", "0.5"], ["HINCRBYFLOAT", "h", "x", "1.5"]);
    expect(take()).toEqual(["PEXPIREAT k 99999999999999 GT", "DEL k", "SET f 0.5 KEEPTTL", "HSET h x 1.5"]);
  });

  test("a command that propagates its effects itself is not propagated: SPOP with a count", () => {
    const { connect, send, take } = setup();
    const c = connect(1);
    send(c, ["SADD", "s", "a", "b", "c"]);
    take();
    send(c, ["SPOP", "s", "2"]);
    const effects = take();
    expect(effects[0]).toBe("MULTI");
    expect(effects.slice(1, 3).every((line) => /^SREM s [abc]$/.test(line))).toBe(true);
    expect(effects[3]).toBe("EXEC");
    send(c, ["SPOP", "s", "5"]);
    expect(take()).toEqual(["DEL s"]);
  });

  test("EXEC's effects are one MULTI/EXEC (a single write goes alone), in the databases they touched", () => {
    const { connect, send, take } = setup();
    const c = connect(1);
    send(c, ["MULTI"], ["SET", "a", "1"], ["SELECT", "2"], ["INCR", "n"], ["GET", "a"], ["EXEC"]);
    expect(take()).toEqual(["SELECT 0", "MULTI", "SET a 1", "SELECT 2", "INCR n", "EXEC"]);
    send(c, ["MULTI"], ["INCR", "n"], ["EXEC"], ["MULTI"], ["GET", "n"], ["EXEC"]);
    expect(take()).toEqual(["INCR n"]);
  });

  test("FLUSHDB and FLUSHALL are propagated even when there was nothing to delete", () => {
    const { connect, send, take } = setup();
    const c = connect(1);
    send(c, ["FLUSHDB"], ["FLUSHALL", "ASYNC"]);
    expect(take()).toEqual(["SELECT 0", "FLUSHDB", "FLUSHALL ASYNC"]);
  });

  test("lazy expiry: DEL before the write that found the key expired, wrapped with it; alone before a read", async () => {
    const { server, connect, send, take } = setup();
    expect(server.config.set([["lazyfree-lazy-expire", "no"]])).toBeNull();
    const c = connect(1);
    send(c, ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "a", "1", "PX", "1"], ["SET", "b", "1", "PX", "1"]);
    take();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && Date.now() <= server.dbs[0]!.table.expireAtOf(server.dbs[0]!.table.find("b"))) await Bun.sleep(5);
    send(c, ["SET", "a", "2"], ["GET", "b"]);
    expect(take()).toEqual(["MULTI", "DEL a", "SET a 2", "EXEC", "DEL b"]);
  });

  test("a client served after blocking is an execution unit of its own, propagated as the non-blocking form", () => {
    const { connect, send, take } = setup();
    const waiter = connect(1);
    const pusher = connect(2);
    send(waiter, ["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]);
    expect(waiter.blocked?.kind).toBe("list");
    send(pusher, ["MULTI"], ["RPUSH", "src", "x"], ["SET", "other", "1"], ["EXEC"]);
    expect(take()).toEqual(["SELECT 0", "MULTI", "RPUSH src x", "SET other 1", "EXEC", "LMOVE src dst right left"]);
    expect(waiter.blocked).toBeNull();
  });

  test("inside EXEC a blocking command does not block (denyBlocking)", () => {
    const { server, connect, send, take, written } = setup();
    const c = connect(1);
    send(c, ["MULTI"], ["BLPOP", "nothing", "0"], ["EXEC"]);
    expect(c.blocked).toBeNull();
    // A pipeline's replies are written at the end of the turn.
    server.beforeSleep();
    expect(written.join("")).toContain("*1\r\n*-1\r\n");
    expect(take()).toEqual([]);
  });

  test("the active expire cycle propagates each expired key on its own", async () => {
    const { server, connect, send, take } = setup();
    const c = connect(1);
    send(c, ["SET", "x", "1", "PX", "1"], ["SET", "y", "1", "PX", "1"]);
    take();
    await Bun.sleep(5);
    server.cron = null;
    const { Cron } = await import("../../src/cron.ts");
    const cron = new Cron(server);
    const deadline = Date.now() + 30_000;
    while (server.dbs[0]!.size > 0 && Date.now() < deadline) {
      cron.activeExpireCycle();
      await Bun.sleep(1);
    }
    expect(take().sort()).toEqual(["DEL x", "DEL y"]);
  });
});

describe("the before-reply stage", () => {
  test("with no hook, replies are written as soon as the input is processed", () => {
    const { connect, send, written } = setup();
    const c = connect(1);
    send(c, ["PING"]);
    expect(written).toEqual(["1:+PONG\r\n"]);
  });

  test("with no hook, a pipeline's replies wait for the end of the turn, and the clients' go out together", async () => {
    const { connect, send, written } = setup();
    const a = connect(1);
    const b = connect(2);
    send(a, ["SET", "k", "1"], ["INCR", "k"]);
    send(b, ["GET", "k"], ["PING"]);
    // Not after each callback's microtasks: once the callbacks of the whole poll are done.
    await Promise.resolve();
    expect(written).toEqual([]);
    await Bun.sleep(0);
    expect(written).toEqual(["1:+OK\r\n:2\r\n", "2:$1\r\n2\r\n+PONG\r\n"]);
    // A single request is still answered at once.
    send(a, ["PING"]);
    expect(written.at(-1)).toBe("1:+PONG\r\n");
  });

  test("a hook runs once before the replies of every client of the turn are written", async () => {
    const { server, connect, send, written } = setup();
    const order: string[] = [];
    const remove = server.addBeforeReplyHook(() => order.push(`hook with ${written.length} replies written`));
    const a = connect(1);
    const b = connect(2);
    send(a, ["SET", "k", "1"]);
    send(b, ["INCR", "k"]);
    expect(written).toEqual([]);
    await Promise.resolve();
    await Bun.sleep(0);
    expect(order).toEqual(["hook with 0 replies written"]);
    expect(written.sort()).toEqual(["1:+OK\r\n", "2::2\r\n"]);
    remove();
    send(a, ["PING"]);
    expect(written.at(-1)).toBe("1:+PONG\r\n");
    expect(order.length).toBe(1);
  });
});
