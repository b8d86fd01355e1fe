// The blocking registry on its own: clients waiting on keys are served in the order they
// blocked and only by a key they wait on; postponed and WAIT clients are blocked clients
// too (INFO blocked_clients) but only their own release frees them.

import { describe, expect, test } from "bun:test";
import { BlockingRegistry } from "../../src/blocking.ts";
import type { Client } from "../../src/net/client.ts";
import type { Command } from "../../src/commands/table.ts";

const command = { fullName: "blpop" } as unknown as Command;

function fakeClient(name: string, dbIndex = 0): Client {
  return { name, dbIndex, blocked: null } as unknown as Client;
}

describe("BlockingRegistry", () => {
  test("key waiters are served FIFO from the key that became ready, each key once", () => {
    const registry = new BlockingRegistry();
    const served: string[] = [];
    const a = fakeClient("a");
    const b = fakeClient("b");
    let stock = 1;
    for (const client of [a, b]) {
      registry.blockForKeys(client, "list", ["k", "k", "other"], 0, command, {
        serve: (key) => {
          if (stock === 0) return false;
          stock--;
          served.push(`${(client as unknown as { name: string }).name}:${key}`);
          return true;
        },
        onTimeout: () => served.push("timeout"),
      });
    }
    expect(a.blocked?.kind).toBe("list");
    expect(a.blocked?.kind === "list" && a.blocked.keys.length).toBe(2);
    expect(registry.keyWaiterCount).toBe(2);
    registry.signalKeyReady(1, "k"); // another database: nobody waits there
    registry.serveReadyKeys(() => {});
    expect(served).toEqual([]);
    registry.signalKeyReady(0, "k");
    registry.serveReadyKeys(() => {});
    expect(served).toEqual(["a:k"]);
    expect(a.blocked).toBeNull();
    expect(registry.isWaitedOn(0, "other")).toBe(true);
    stock = 1;
    registry.signalKeyReady(0, "other");
    registry.serveReadyKeys(() => {});
    expect(served).toEqual(["a:k", "b:other"]);
    expect(registry.blockedCount).toBe(0);
    expect(registry.isWaitedOn(0, "k")).toBe(false);
  });

  test("postponed clients count as blocked but are neither served nor timed out", () => {
    const registry = new BlockingRegistry();
    const client = fakeClient("p");
    registry.blockPostponed(client, command);
    expect(registry.blockedCount).toBe(1);
    expect(registry.countOf("postponed")).toBe(1);
    expect(registry.keyWaiterCount).toBe(0);
    registry.expireTimeouts(Number.MAX_SAFE_INTEGER, () => {});
    expect(client.blocked?.kind).toBe("postponed");
    registry.unblock(client);
    expect(registry.blockedCount).toBe(0);
  });

  test("WAIT clients are released once enough replicas acknowledged their offset, or answer the count at the timeout", () => {
    const registry = new BlockingRegistry();
    const acknowledged = new Map<number, number>();
    registry.acknowledgedBy = (offset) => acknowledged.get(offset) ?? 0;
    const replies: string[] = [];
    const early = fakeClient("early");
    const late = fakeClient("late");
    registry.blockForOffset(early, 100, 2, 0, command, (n) => replies.push(`early:${n}`));
    registry.blockForOffset(late, 200, 1, Date.now() + 60_000, command, (n) => replies.push(`late:${n}`));
    expect(registry.countOf("offset")).toBe(2);
    acknowledged.set(100, 1);
    registry.acknowledgeOffsets(() => {});
    expect(replies).toEqual([]);
    acknowledged.set(100, 2);
    const released: Client[] = [];
    registry.acknowledgeOffsets((client) => released.push(client));
    expect(replies).toEqual(["early:2"]);
    expect(released).toEqual([early]);
    registry.expireTimeouts(Date.now() + 120_000, () => {});
    expect(replies).toEqual(["early:2", "late:0"]);
    expect(registry.blockedCount).toBe(0);
  });

  test("timeouts answer the waiters whose deadline passed", () => {
    const registry = new BlockingRegistry();
    const replies: string[] = [];
    const soon = fakeClient("soon");
    const never = fakeClient("never");
    const now = Date.now();
    registry.blockForKeys(soon, "zset", ["z"], now + 10, command, { serve: () => false, onTimeout: () => replies.push("soon") });
    registry.blockForKeys(never, "stream", ["s"], 0, command, { serve: () => false, onTimeout: () => replies.push("never") });
    registry.expireTimeouts(now + 10, () => {});
    expect(replies).toEqual(["soon"]);
    expect(registry.countOf("zset")).toBe(0);
    expect(registry.countOf("stream")).toBe(1);
    registry.unblock(never);
  });
});
