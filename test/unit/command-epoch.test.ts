// The command counter behind the value arenas' "a view stays valid until its command
// ends" rule (value-arena.ts CommandEpoch): one per server, handed to every table its
// databases make, bumped by every call() (nested ones included).

import { expect, test } from "bun:test";
import type { ValueArena } from "../../src/db/value-arena.ts";
import type { KeyTable } from "../../src/db/keytable.ts";
import { inProcessServer } from "../helpers/in-process.ts";

function startServer() {
  const started = inProcessServer();
  // No save points: FLUSHALL would otherwise write dump.rdb in the working directory.
  started.run("config", "set", "save", "");
  return started;
}

const valueArena = (table: KeyTable) => (table as unknown as { values: ValueArena }).values;

test("two servers in one process count their own commands", () => {
  const a = startServer();
  const b = startServer();
  expect(a.server.commandEpoch).not.toBe(b.server.commandEpoch);
  const before = b.server.commandEpoch.value;
  a.run("set", "k", "v");
  a.run("get", "k");
  expect(a.server.commandEpoch.value).toBeGreaterThanOrEqual(2);
  expect(b.server.commandEpoch.value).toBe(before);
  // EXEC and each command of its queue are commands of their own.
  const started = a.server.commandEpoch.value;
  a.run("multi");
  a.run("set", "k", "w");
  a.run("get", "k");
  expect(a.run("exec")).toBe("*2\r\n+OK\r\n$1\r\nw\r\n");
  // MULTI, EXEC and the two queued commands EXEC runs (queueing them runs nothing).
  expect(a.server.commandEpoch.value - started).toBe(4);
  expect(b.server.commandEpoch.value).toBe(before);
});

test("every table a server's databases make counts that server's commands", () => {
  const { server, run } = startServer();
  const epoch = server.commandEpoch;
  const tablesShareIt = () => server.dbs.every((db) => db.table.epoch === epoch);
  expect(tablesShareIt()).toBe(true);
  run("set", "k", "v");
  run("flushall"); // Database.clear(): new tables
  expect(tablesShareIt()).toBe(true);
  run("set", "k", "v");
  run("del", "k"); // the last key gone: KeyTable.reset()
  expect(tablesShareIt()).toBe(true);
  run("select", "1");
  run("set", "k", "v");
  run("swapdb", "0", "1");
  expect(tablesShareIt()).toBe(true);

  // Through the table FLUSHALL made: a value read through a view (GETRANGE; GET copies
  // without one) by one command is overwritten in place by the next, with no arena
  // growth, which needs the table to see the boundaries.
  run("flushall");
  run("set", "k", "x".repeat(32));
  const arena = valueArena(server.dbs[1]!.table);
  const allocated = arena.allocatedBytes;
  for (let i = 0; i < 50_000; i++) {
    const text = String(i).padStart(32, "v");
    run("set", "k", text);
    expect(run("getrange", "k", "0", "-1")).toBe(`$32\r\n${text}\r\n`);
  }
  expect(arena.allocatedBytes).toBe(allocated);
  expect(arena.liveBytes).toBe(32);
});
