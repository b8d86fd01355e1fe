// The background-child slot (src/persistence/child.ts): one child at a time whatever its
// kind, Redis's mapping of the exit status, dispatch to the done-handler of the child's
// kind, and what the server does while a child of another kind than "rdb" runs (BGSAVE's
// refusal, SCHEDULE, INFO). The RDB kind end to end is in test/integration/bgsave.test.ts.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ChildSlot, ChildSlotBusyError, type ChildExit, type ChildKind, type ChildProducer } from "../../src/persistence/child.ts";
import type { SnapshotCoordinator } from "../../src/persistence/snapshot.ts";
import { Server } from "../../src/server.ts";
import { Client } from "../../src/net/client.ts";
import { Config } from "../../src/config.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";
import { Cron } from "../../src/cron.ts";

const OUTPUT = { type: "file", path: "/nonexistent-bunker-dir/out" } as const;
const LONG_RUNNING = ["sleep", "60"];

/** A producer that records what the slot asks of it and starts `argv`. */
class FakeProducer implements ChildProducer {
  keysTotal = 0;
  keysProcessed = 0;
  cowSize = 0;
  cowPeak = 0;
  cowUpdatedAt = 0;
  readonly calls: string[] = [];
  constructor(private readonly argv: string[]) {}
  start(): string[] {
    this.calls.push("start");
    return this.argv;
  }
  stop(): void {
    this.calls.push("stop");
  }
  release(): void {
    this.calls.push("release");
  }
}

const slots: ChildSlot[] = [];
afterEach(() => {
  // A failed test must not leave a sleeping process behind.
  for (const slot of slots.splice(0)) slot.activeChild()?.proc.kill("SIGKILL");
});

/**
 * A slot whose every kind has its own done-handler, which records
 * "<the handler's kind> <exitCode> <bySignal>".
 */
function recordingSlot(): { slot: ChildSlot; done: string[] } {
  const slot = new ChildSlot();
  slots.push(slot);
  const done: string[] = [];
  const recorder = (kind: ChildKind) => (_child: unknown, exit: ChildExit) => done.push(`${kind} ${exit.exitCode} ${exit.bySignal}`);
  slot.onDone("rdb", recorder("rdb"));
  slot.onDone("aof-rewrite", recorder("aof-rewrite"));
  slot.onDone("rdb-to-disk", recorder("rdb-to-disk"));
  slot.onDone("rdb-to-socket", recorder("rdb-to-socket"));
  return { slot, done };
}

/** Polls `check` (as serverCron does, every few ms) until it holds. */
async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(10);
  }
}

/** checkChildrenDone each tick until the slot is empty. */
async function reap(slot: ChildSlot): Promise<void> {
  await waitFor(() => {
    slot.checkChildrenDone();
    return !slot.hasActiveChildProcess();
  });
}

describe("ChildSlot", () => {
  test("a second child of any kind cannot start while one is active", async () => {
    const { slot, done } = recordingSlot();
    const first = new FakeProducer(LONG_RUNNING);
    const child = slot.spawnChild("aof-rewrite", first as unknown as SnapshotCoordinator, OUTPUT);
    expect(child.pid).toBeGreaterThan(0);
    expect(slot.hasActiveChildProcess()).toBe(true);
    expect(slot.hasActiveRdbChild()).toBe(false);
    expect(slot.activeChild()).toBe(child);
    expect(slot.totalForks).toBe(1);
    expect(slot.latestForkMicros).toBeGreaterThan(0);

    for (const kind of ["rdb-to-socket", "rdb-to-disk", "aof-rewrite"] as const) {
      const second = new FakeProducer(LONG_RUNNING);
      expect(() => slot.spawnChild(kind, second as unknown as SnapshotCoordinator, OUTPUT)).toThrow(ChildSlotBusyError);
      expect(second.calls).toEqual([]);
    }
    const rdb = new FakeProducer(LONG_RUNNING);
    expect(() => slot.spawnChild("rdb", rdb as unknown as SnapshotCoordinator, OUTPUT)).toThrow(ChildSlotBusyError);
    expect(rdb.calls).toEqual([]);
    expect(slot.activeChild()).toBe(child);
    expect(slot.totalForks).toBe(1);

    slot.checkChildrenDone(); // still running: nothing to reap
    expect(done).toEqual([]);
    slot.killChild();
    expect(first.calls).toEqual(["start", "stop"]);
    await reap(slot);
    // sleep has no SIGUSR1 handler: it dies by the signal (waitpid: exitcode -1, signal 10).
    expect(done).toEqual(["aof-rewrite -1 10"]);
    expect(first.calls).toEqual(["start", "stop", "release"]);

    // The slot is free again.
    slot.spawnChild("rdb-to-disk", new FakeProducer(["sh", "-c", "exit 0"]), OUTPUT);
    await reap(slot);
    expect(done).toEqual(["aof-rewrite -1 10", "rdb-to-disk 0 0"]);
    expect(slot.totalForks).toBe(2);
  });

  test("checkChildrenDone maps the exit status and calls the done-handler of the child's kind", async () => {
    const cases: Array<[Exclude<ChildKind, "rdb">, string, string]> = [
      ["rdb-to-disk", "exit 3", "rdb-to-disk 3 0"],
      ["aof-rewrite", "exit 0", "aof-rewrite 0 0"],
      // 255 is what a child's SIGUSR1 handler exits with: Redis reads it as signal 10.
      ["rdb-to-socket", "exit 255", "rdb-to-socket 1 10"],
      ["aof-rewrite", "kill -9 $$", "aof-rewrite -1 9"],
    ];
    for (const [kind, script, expected] of cases) {
      const { slot, done } = recordingSlot();
      const producer = new FakeProducer(["sh", "-c", script]);
      slot.spawnChild(kind, producer, OUTPUT);
      await reap(slot);
      expect(done).toEqual([expected]);
      expect(producer.calls).toEqual(["start", "release"]);
    }
  });

  test("a child stopped on purpose that exits with an error reads as SIGUSR1", async () => {
    const { slot, done } = recordingSlot();
    // Traps SIGUSR1 and exits 1, as a writer that sees its input end before the signal;
    // it creates `ready` once the trap is in place.
    const ready = join(mkdtempSync(join(tmpdir(), "bunker-child-")), "ready");
    const producer = new FakeProducer(["sh", "-c", `trap 'exit 1' USR1; touch '${ready}'; while :; do sleep 0.05; done`]);
    slot.spawnChild("aof-rewrite", producer as unknown as SnapshotCoordinator, OUTPUT);
    await waitFor(() => existsSync(ready));
    rmSync(dirname(ready), { recursive: true });
    slot.killChild();
    await reap(slot);
    expect(done).toEqual(["aof-rewrite 1 10"]);
  });

  test("stopChildNow (killAppendOnlyChild): the slot is free at once, no done-handler; onExited once the process is gone", async () => {
    const { slot, done } = recordingSlot();
    const producer = new FakeProducer(LONG_RUNNING);
    const child = slot.spawnChild("aof-rewrite", producer as unknown as SnapshotCoordinator, OUTPUT);
    const exited: number[] = [];
    expect(slot.stopChildNow((stopped) => exited.push(stopped.pid))?.pid).toBe(child.pid);
    expect(slot.hasActiveChildProcess()).toBe(false);
    expect(producer.calls).toEqual(["start", "stop", "release"]);
    // Another child may start right away.
    const next = slot.spawnChild("aof-rewrite", new FakeProducer(LONG_RUNNING) as unknown as SnapshotCoordinator, OUTPUT);
    await waitFor(() => exited.length === 1);
    expect(exited).toEqual([child.pid]);
    expect(child.proc.signalCode).toBe("SIGUSR1");
    slot.checkChildrenDone();
    expect(done).toEqual([]);
    expect(slot.activeChild()?.pid).toBe(next.pid);
    expect(slot.stopChildNow(() => {})).not.toBeNull();
    expect(slot.stopChildNow(() => {})).toBeNull();
  });

  test("a kind without a done-handler, or a process that cannot start, leaves the slot empty", () => {
    const slot = new ChildSlot();
    slots.push(slot);
    const unhandled = new FakeProducer(LONG_RUNNING);
    expect(() => slot.spawnChild("aof-rewrite", unhandled as unknown as SnapshotCoordinator, OUTPUT)).toThrow("no done-handler for a aof-rewrite child");
    expect(unhandled.calls).toEqual([]);

    slot.onDone("aof-rewrite", () => {});
    const missing = new FakeProducer(["/nonexistent-bunker-dir/no-such-program"]);
    expect(() => slot.spawnChild("aof-rewrite", missing as unknown as SnapshotCoordinator, OUTPUT)).toThrow();
    expect(missing.calls).toEqual(["start", "release"]);
    expect(slot.hasActiveChildProcess()).toBe(false);
    expect(slot.totalForks).toBe(0);
  });
});

describe("the server with a child of another kind", () => {
  function setup() {
    const table = new CommandTable();
    registerAllCommands(table);
    const server = new Server(Config.defaults(), table);
    const client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
    const send = (...args: string[]) => {
      server.processCommand(client, args.map((a) => new Uint8Array(Buffer.from(a))));
      return Buffer.from(client.reply.take()).toString("latin1");
    };
    slots.push(server.persistence.childSlot);
    return { server, send };
  }

  function infoField(text: string, field: string): string | undefined {
    return text.split("\r\n").find((line) => line.startsWith(field + ":"))?.slice(field.length + 1);
  }

  test("an AOF-rewrite child: BGSAVE refused with Redis's text, SCHEDULE deferred; serverCron reaps it by kind, then starts the save", async () => {
    const { server, send } = setup();
    const persistence = server.persistence;
    const slot = persistence.childSlot;
    const aofDone: ChildExit[] = [];
    slot.onDone("aof-rewrite", (_child, exit) => aofDone.push(exit));
    const producer = new FakeProducer(LONG_RUNNING);
    producer.keysTotal = 8;
    producer.keysProcessed = 2;
    slot.spawnChild("aof-rewrite", producer as unknown as SnapshotCoordinator, OUTPUT);

    expect(send("BGSAVE")).toBe(
      "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n",
    );
    expect(send("BGSAVE", "SCHEDULE")).toBe("+Background saving scheduled\r\n");
    expect(persistence.bgsaveScheduled).toBe(true);
    expect(persistence.rdbSaves).toBe(0);
    const info = send("INFO", "persistence");
    expect(infoField(info, "rdb_bgsave_in_progress")).toBe("0");
    expect(infoField(info, "rdb_current_bgsave_time_sec")).toBe("-1");
    expect(infoField(info, "current_save_keys_total")).toBe("8");
    expect(infoField(info, "current_fork_perc")).toBe("25.00");

    slot.killChild();
    const cron = new Cron(server);
    // The tick that reaps the AOF child starts the scheduled save, which writes dump.rdb
    // in the working directory: a scratch one for this test.
    const home = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), "bunker-child-"));
    process.chdir(dir);
    try {
      await waitFor(() => {
        cron.serverCron();
        return aofDone.length > 0;
      });
      expect(aofDone).toEqual([{ exitCode: -1, bySignal: 10 }]);
      // The RDB done-handler was not called for it: it sets the last save's duration.
      expect(persistence.lastBgsaveTimeSec).toBe(-1);
      expect(slot.hasActiveRdbChild()).toBe(true);
      expect(persistence.bgsaveScheduled).toBe(false);
      expect(persistence.rdbSaves).toBe(1);
      await waitFor(() => {
        cron.serverCron();
        return !slot.hasActiveChildProcess();
      });
      expect(persistence.lastBgsaveTimeSec).toBeGreaterThanOrEqual(0);
      expect(persistence.lastBgsaveStatus).toBe("ok");
      expect(existsSync(join(dir, "dump.rdb"))).toBe(true);
    } finally {
      process.chdir(home);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(infoField(send("INFO", "persistence"), "current_save_keys_total")).toBe("0");
  });

  test("a replication RDB child counts as an RDB child for BGSAVE, SAVE and INFO", async () => {
    const { server, send } = setup();
    const slot = server.persistence.childSlot;
    const socketDone: ChildExit[] = [];
    slot.onDone("rdb-to-socket", (_child, exit) => socketDone.push(exit));
    slot.spawnChild("rdb-to-socket", new FakeProducer(LONG_RUNNING), { type: "sockets", replicas: ["127.0.0.1:6380"] });
    expect(send("BGSAVE")).toBe("-ERR Background save already in progress\r\n");
    expect(send("BGSAVE", "SCHEDULE")).toBe("-ERR Background save already in progress\r\n");
    expect(send("SAVE")).toBe("-ERR Background save already in progress\r\n");
    const info = send("INFO", "persistence");
    expect(infoField(info, "rdb_bgsave_in_progress")).toBe("1");
    expect(Number(infoField(info, "rdb_current_bgsave_time_sec"))).toBeGreaterThanOrEqual(0);
    slot.killChild();
    await reap(slot);
    expect(socketDone).toEqual([{ exitCode: -1, bySignal: 10 }]);
    expect(server.persistence.lastBgsaveTimeSec).toBe(-1);
  });
});
