// The time a command sees: fixed for the whole command (and for a transaction's queue),
// as Redis 7.0's call() fixes it, and the real time between commands.

import { expect, test } from "bun:test";
import { Server } from "../../src/server.ts";
import { Client } from "../../src/net/client.ts";
import { Config } from "../../src/config.ts";
import { CommandTable, type CommandSpec } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

/** A keyless test command that runs `body` and replies OK. */
function testCommand(name: string, body: () => void, flags: CommandSpec["flags"] = ["fast"]): CommandSpec {
  return {
    name,
    arity: 1,
    flags,
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    categories: [],
    group: "server",
    since: "7.0.0",
    summary: "test only",
    handler: (client) => {
      body();
      client.reply.ok();
    },
  };
}

function setup() {
  const table = new CommandTable();
  registerAllCommands(table);
  const seen: number[] = [];
  /** [the command's time, Date.now() right after it was read], per clocknow run. */
  const pairs: Array<[number, number]> = [];
  let server: Server | null = null;
  table.register([
    testCommand("clocknow", () => pairs.push([server!.clock(), Date.now()])),
    testCommand("clocktest", () => {
      seen.push(server!.clock());
      busyWait(3);
      seen.push(server!.clock());
    }),
  ]);
  server = new Server(Config.defaults(), table);
  const client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
  const run = (...args: string[]) => {
    server!.processCommand(client, args.map((a) => new Uint8Array(Buffer.from(a))));
    return Buffer.from(client.reply.take()).toString("latin1");
  };
  return { server, run, seen, pairs };
}

test("a command sees one instant; the next command a later one", () => {
  const { run, seen } = setup();
  expect(run("clocktest")).toBe("+OK\r\n");
  expect(seen[1]).toBe(seen[0]!);
  busyWait(3);
  run("clocktest");
  expect(seen[2]!).toBeGreaterThan(seen[0]!);
  expect(seen[3]).toBe(seen[2]!);
});

test("EXEC's queued commands share the EXEC's instant; outside commands the clock runs", () => {
  const { server, run, seen } = setup();
  run("multi");
  run("clocktest");
  run("clocktest");
  expect(run("exec")).toBe("*2\r\n+OK\r\n+OK\r\n");
  expect(new Set(seen).size).toBe(1);
  const before = server.clock();
  busyWait(3);
  expect(server.clock()).toBeGreaterThan(before);
});

test("a key that expires during a command stays for that command", () => {
  const { server, run } = setup();
  run("set", "k", "v", "px", "2");
  // Inside one command, two reads straddling the expiry time agree.
  const db = server.dbs[0]!;
  let first: unknown;
  let second: unknown;
  server.table.register([
    testCommand(
      "readtwice",
      () => {
        first = db.lookupRead("k");
        busyWait(5);
        second = db.lookupRead("k");
      },
      [],
    ),
  ]);
  run("readtwice");
  expect(first === undefined).toBe(second === undefined);
  busyWait(3);
  expect(run("get", "k")).toBe("$-1\r\n");
});

test("the command clock follows Date.now(), and re-anchors after a step of the system clock", () => {
  const { server, run, seen } = setup();
  const before = Date.now();
  run("clocktest");
  const after = Date.now();
  expect(seen[0]!).toBeGreaterThanOrEqual(before - 1);
  expect(seen[0]!).toBeLessThanOrEqual(after + 1);
  // As if the system clock had been stepped back a minute since the server started.
  const internals = server as unknown as { wallClockOffset: number };
  internals.wallClockOffset += 60_000;
  run("clocktest");
  expect(seen[2]! - Date.now()).toBeGreaterThan(59_000);
  server.syncWallClock();
  const start = Date.now();
  run("clocktest");
  expect(seen[4]!).toBeGreaterThanOrEqual(start - 1);
  expect(seen[4]!).toBeLessThanOrEqual(start + 2);
  // In step: nothing changes.
  const offset = internals.wallClockOffset;
  server.syncWallClock();
  expect(internals.wallClockOffset).toBe(offset);
});

test("a server made after the system clock was stepped tells the time from its start, not the process's", () => {
  // As if the system clock had been stepped forward a minute since the process started:
  // the process's timeOrigin is then a minute behind the clock.
  const original = performance.timeOrigin;
  const own = Object.getOwnPropertyDescriptor(performance, "timeOrigin");
  const stepped = original - 60_000;
  Object.defineProperty(performance, "timeOrigin", { value: stepped, configurable: true });
  try {
    expect(performance.timeOrigin).toBe(stepped);
    const { server, run, seen, pairs } = setup();
    const before = Date.now();
    run("clocktest");
    expect(seen[0]!).toBeGreaterThanOrEqual(before - 1);
    expect(seen[0]!).toBeLessThanOrEqual(Date.now() + 1);
    // Anchored on Date.now(), which floors, the clock may lag but never runs ahead: a
    // time taken at a command's start (a client's last interaction) is never in the
    // future, so its idle time never reads -1. The same after a re-anchoring.
    for (const reanchor of [false, true]) {
      if (reanchor) {
        (server as unknown as { wallClockOffset: number }).wallClockOffset += 60_000;
        server.syncWallClock();
      }
      pairs.length = 0;
      for (let i = 0; i < 3000; i++) run("clocknow");
      expect(pairs.filter(([time, now]) => time > now)).toEqual([]);
    }
  } finally {
    if (own !== undefined) Object.defineProperty(performance, "timeOrigin", own);
    else delete (performance as unknown as { timeOrigin?: number }).timeOrigin;
  }
  expect(performance.timeOrigin).toBe(original);
});
