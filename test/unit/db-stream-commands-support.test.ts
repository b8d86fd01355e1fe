// RedisStream behaviour the stream commands rely on beyond the basic model: the rax node
// count XINFO reports, the tombstone rule behind consumer-group lag, and appends after
// XSETID moved the last ID back below tombstones. Expected values come from Redis 7.0.15.

import { describe, expect, test } from "bun:test";
import { RedisStream, parseStreamId, type StreamId } from "../../src/db/stream.ts";

function id(text: string): StreamId {
  const parsed = parseStreamId(text);
  if (parsed === null) throw new Error(`bad id ${text}`);
  return parsed;
}

const field = [new Uint8Array([102]), new Uint8Array([118])];

/** One node per entry (stream-node-max-entries 1), so the node keys are exactly these IDs. */
function streamWithNodes(ids: string[]): RedisStream {
  const stream = new RedisStream();
  for (const text of ids) stream.appendEntry(id(text), field, 1, 4096);
  return stream;
}

describe("radixTreeNodes (XINFO STREAM radix-tree-nodes)", () => {
  test("matches Redis for node key sets with different shared prefixes", () => {
    // XADD with stream-node-max-entries 1, then XINFO STREAM, on Redis 7.0.15.
    expect(new RedisStream().radixTreeNodes()).toBe(1);
    expect(streamWithNodes(["1-0"]).radixTreeNodes()).toBe(2);
    expect(streamWithNodes(["1-0", "2-0"]).radixTreeNodes()).toBe(6);
    expect(streamWithNodes(["1-0", "2-0", "3-0"]).radixTreeNodes()).toBe(8);
    expect(streamWithNodes(["1-0", "256-0", "65536-0"]).radixTreeNodes()).toBe(9);
    expect(streamWithNodes(["5-0", "5-1", "5-2", "1099511627776-0"]).radixTreeNodes()).toBe(9);
  });

  test("follows deletions: the tree shrinks back when nodes go away", () => {
    const stream = streamWithNodes(["1-0", "2-0", "3-0"]);
    stream.delete(id("2-0"));
    expect(stream.nodeCount).toBe(2);
    expect(stream.radixTreeNodes()).toBe(streamWithNodes(["1-0", "3-0"]).radixTreeNodes());
    stream.delete(id("1-0"));
    stream.delete(id("3-0"));
    expect(stream.radixTreeNodes()).toBe(1);
  });
});

describe("rangeHasTombstones", () => {
  test("a tombstone below the first live entry does not count (lag stays exact)", () => {
    const stream = new RedisStream();
    for (let i = 1; i <= 5; i++) stream.appendEntry(id(`${i}-0`), field);
    stream.delete(id("1-0"));
    expect(stream.rangeHasTombstones(id("0-0"))).toBe(false);
    // Redis: XGROUP CREATE t g 0 ENTRIESREAD 0 on this stream reports lag 5.
    const group = stream.createGroup("g", id("0-0"), 0)!;
    expect(stream.groupLag(group)).toBe(5);
    stream.delete(id("3-0"));
    expect(stream.rangeHasTombstones(id("0-0"))).toBe(true);
    expect(stream.rangeHasTombstones(id("4-0"))).toBe(false);
  });
});

describe("appending after XSETID lowered the last ID", () => {
  test("an entry can follow tombstones with higher IDs in the same node", () => {
    const stream = new RedisStream();
    for (const text of ["1-0", "2-0", "3-0", "4-0", "5-0"]) stream.appendEntry(id(text), field);
    stream.delete(id("4-0"));
    stream.delete(id("5-0"));
    // XSETID s 3-0 MAXDELETEDID 3-0 is accepted by Redis 7.0.15; XADD s 3-1 then succeeds.
    stream.lastId = id("3-0");
    stream.appendEntry(id("3-1"), field);
    expect(stream.nodeCount).toBe(1);
    expect(stream.get(id("3-1"))?.id).toEqual(id("3-1"));
    expect(stream.range(id("0-0"), id("9-0")).map((entry) => entry.id)).toEqual([id("1-0"), id("2-0"), id("3-0"), id("3-1")]);
    expect(() => stream.appendEntry(id("3-1"), field)).toThrow(RangeError);
  });

  test("an entry below every node's master ID is still found (Redis scans from the first listpack)", () => {
    const stream = new RedisStream();
    for (const text of ["5-0", "6-0", "7-0"]) stream.appendEntry(id(text), field);
    stream.delete(id("7-0"));
    // MINID 7 (exact) flags 5-0 and 6-0 deleted: the node stays, with no live entry.
    expect(stream.trim({ strategy: "minid", minId: id("7-0"), approx: false, limit: 0 })).toBe(2);
    expect(stream.length).toBe(0);
    expect(stream.nodeCount).toBe(1);
    stream.lastId = id("0-5");
    stream.appendEntry(id("0-6"), field);
    expect(stream.get(id("0-6"))?.id).toEqual(id("0-6"));
    expect(stream.range(id("0-0"), id("9-0"), 0, true).map((entry) => entry.id)).toEqual([id("0-6")]);
    expect(stream.delete(id("0-6"))).toBe(true);
    expect(stream.length).toBe(0);
  });
});

describe("trimPlan", () => {
  test("predicts exactly what trim does, without changing the stream", () => {
    let seed = 7;
    const random = (bound: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return Math.floor((seed / 0x7fffffff) * bound);
    };
    for (let round = 0; round < 200; round++) {
      const stream = new RedisStream();
      const count = random(60);
      for (let i = 1; i <= count; i++) stream.appendEntry(id(`${i}-0`), field, 1 + random(8), 4096);
      for (let i = random(10); i > 0; i--) stream.delete(id(`${1 + random(count + 1)}-0`));
      const approx = random(2) === 0;
      const limit = approx && random(2) === 0 ? random(20) : 0;
      const spec =
        random(2) === 0
          ? { strategy: "maxlen" as const, maxLen: random(count + 2), approx, limit }
          : { strategy: "minid" as const, minId: id(`${random(count + 2)}-0`), approx, limit };
      const layoutBefore = stream.nodeSizes();
      const plan = stream.trimPlan(spec);
      expect(stream.nodeSizes()).toEqual(layoutBefore);
      const removed = stream.trim(spec);
      expect(plan.removed).toBe(removed);
      expect(plan.changes).toBe(removed > 0 || stream.nodeSizes().length !== layoutBefore.length);
    }
  });

  test("a node holding only tombstones is a change even when no entry is removed", () => {
    const stream = new RedisStream();
    for (const text of ["5-0", "6-0", "7-0"]) stream.appendEntry(id(text), field);
    stream.delete(id("7-0"));
    stream.trim({ strategy: "minid", minId: id("7-0"), approx: false, limit: 0 });
    stream.appendEntry(id("8-0"), field, 1, 4096);
    expect(stream.nodeSizes()).toEqual([0, 1]);
    const spec = { strategy: "minid" as const, minId: id("8-0"), approx: true, limit: 0 };
    expect(stream.trimPlan(spec)).toEqual({ removed: 0, changes: true });
    expect(stream.trim(spec)).toBe(0);
    expect(stream.nodeSizes()).toEqual([1]);
  });
});
