import { describe, expect, test } from "bun:test";
import {
  ENTRIES_READ_UNKNOWN,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  RedisStream,
  SortedKeyMap,
  compareStreamId,
  decrementId,
  formatStreamId,
  incrementId,
  parseStreamId,
  parseStreamIdForAdd,
  pendingBounds,
  pendingFrom,
  pendingRange,
  streamIdFromKey,
  streamIdKey,
  streamIdToBytes,
  type PendingEntry,
  type StreamId,
} from "../../src/db/stream.ts";
import { bytesToText, textToBytes } from "../../src/db/bytes.ts";

const id = (text: string): StreamId => {
  const parsed = parseStreamId(text);
  if (parsed === null) throw new Error(`bad id ${text}`);
  return parsed;
};
const f = (...texts: string[]): Uint8Array[] => texts.map(textToBytes);
const ids = (entries: { id: StreamId }[]): string[] => entries.map((entry) => formatStreamId(entry.id));
const MAX = "18446744073709551615";

/** A stream with entries 1-0 .. n-0, field "f" = the number. */
function numbered(n: number, nodeMaxEntries = 100): RedisStream {
  const stream = new RedisStream();
  for (let i = 1; i <= n; i++) stream.appendEntry({ ms: BigInt(i), seq: 0n }, f("f", String(i)), nodeMaxEntries);
  return stream;
}

describe("stream IDs", () => {
  test("parse like Redis 7.0.15 (values checked against XADD)", () => {
    expect(parseStreamId("007-1")).toEqual({ ms: 7n, seq: 1n });
    expect(parseStreamId("+5-1")).toEqual({ ms: 5n, seq: 1n });
    expect(parseStreamId(" 6-1")).toEqual({ ms: 6n, seq: 1n });
    expect(parseStreamId("8--05")).toEqual({ ms: 8n, seq: 18446744073709551611n });
    expect(parseStreamId(`${MAX}-${MAX}`)).toEqual({ ms: 2n ** 64n - 1n, seq: 2n ** 64n - 1n });
    expect(parseStreamId("10")).toEqual({ ms: 10n, seq: 0n });
    expect(parseStreamId("10", 2n ** 64n - 1n)).toEqual({ ms: 10n, seq: 2n ** 64n - 1n });
    for (const bad of ["7-1 ", "9-", "", "18446744073709551616-0", "-0-1", "1-2-3", "1.5", "x", "*", "1-x"]) {
      expect(parseStreamId(bad)).toBeNull();
    }
    expect(parseStreamId("1".repeat(128))).toBeNull();
    // A C string ends at NUL.
    expect(parseStreamId(new Uint8Array([53, 0, 120]))).toEqual({ ms: 5n, seq: 0n });
  });

  test("'-' and '+' outside strict mode only", () => {
    expect(parseStreamId("-")).toEqual({ ms: 0n, seq: 0n });
    expect(parseStreamId("+")).toEqual({ ms: 2n ** 64n - 1n, seq: 2n ** 64n - 1n });
    expect(parseStreamId("-", 0n, true)).toBeNull();
    expect(parseStreamId("+", 0n, true)).toBeNull();
  });

  test("XADD's <ms>-* form", () => {
    expect(parseStreamIdForAdd("11-*")).toEqual({ id: { ms: 11n, seq: 0n }, seqGiven: false });
    expect(parseStreamIdForAdd("11-3")).toEqual({ id: { ms: 11n, seq: 3n }, seqGiven: true });
    expect(parseStreamIdForAdd("11")).toEqual({ id: { ms: 11n, seq: 0n }, seqGiven: true });
    expect(parseStreamIdForAdd("*")).toBeNull();
    expect(parseStreamIdForAdd("-*")).toBeNull();
    expect(parseStreamIdForAdd("-")).toBeNull();
    expect(parseStreamIdForAdd("11-**")).toBeNull();
  });

  test("increment and decrement across the 64-bit boundaries", () => {
    expect(incrementId({ ms: 1n, seq: 2n ** 64n - 1n })).toEqual({ ms: 2n, seq: 0n });
    expect(incrementId(MAX_STREAM_ID)).toBeNull();
    expect(decrementId({ ms: 2n, seq: 0n })).toEqual({ ms: 1n, seq: 2n ** 64n - 1n });
    expect(decrementId(MIN_STREAM_ID)).toBeNull();
    expect(incrementId(MIN_STREAM_ID)).toEqual({ ms: 0n, seq: 1n });
  });

  test("streamIdKey is 16 bytes that sort like the IDs and round-trip", () => {
    const samples = [
      MIN_STREAM_ID,
      { ms: 0n, seq: 1n },
      { ms: 0n, seq: 2n ** 64n - 1n },
      { ms: 1n, seq: 0n },
      { ms: 255n, seq: 7n },
      { ms: 256n, seq: 0n },
      { ms: 2n ** 63n, seq: 0n },
      MAX_STREAM_ID,
    ];
    const keys = samples.map(streamIdKey);
    for (const key of keys) expect(key.length).toBe(16);
    expect([...keys].sort()).toEqual(keys);
    for (let i = 0; i < samples.length; i++) {
      expect(streamIdFromKey(keys[i]!)).toEqual({ ...samples[i]! });
      expect(bytesToText(streamIdToBytes(samples[i]!)).length).toBeGreaterThan(0);
      expect(Buffer.from(streamIdToBytes(samples[i]!)).toString("latin1")).toBe(keys[i]!);
    }
    expect(compareStreamId(samples[2]!, samples[3]!)).toBe(-1);
    expect(compareStreamId(MAX_STREAM_ID, MAX_STREAM_ID)).toBe(0);
  });
});

describe("RedisStream entries", () => {
  test("an empty stream", () => {
    const stream = new RedisStream();
    expect(stream.type).toBe("stream");
    expect(stream.encoding).toBe("stream");
    expect(stream.length).toBe(0);
    expect(stream.firstId()).toBeUndefined();
    expect(stream.lastEntryId()).toBeUndefined();
    expect([...stream]).toEqual([]);
    expect(stream.range(MIN_STREAM_ID, MAX_STREAM_ID)).toEqual([]);
    expect(stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 0, true)).toEqual([]);
    expect(stream.delete(id("1-1"))).toBe(false);
    expect(stream.trim({ strategy: "maxlen", maxLen: 0, approx: false, limit: 0 })).toBe(0);
    expect(stream.nodeCount).toBe(0);
  });

  test("append, get, iterate; lastId and entriesAdded follow", () => {
    const stream = new RedisStream();
    stream.appendEntry(id("1-1"), f("a", "1"));
    stream.appendEntry(id("1-2"), f("a", "2", "b", "3"));
    stream.appendEntry(id("5-0"), f("c", "4"));
    expect(stream.length).toBe(3);
    expect(formatStreamId(stream.lastId)).toBe("5-0");
    expect(stream.entriesAdded).toBe(3n);
    expect(ids([...stream])).toEqual(["1-1", "1-2", "5-0"]);
    expect(stream.get(id("1-2"))!.fields.map(bytesToText)).toEqual(["a", "2", "b", "3"]);
    expect(stream.get(id("1-3"))).toBeUndefined();
    expect(formatStreamId(stream.firstId()!)).toBe("1-1");
    expect(() => stream.appendEntry(id("5-0"), f("x", "y"))).toThrow(RangeError);
    expect(() => stream.appendEntry(id("4-9"), f("x", "y"))).toThrow(RangeError);
  });

  test("the extreme IDs 0-1 and max-max", () => {
    const stream = new RedisStream();
    stream.appendEntry(id("0-1"), f("a", "b"));
    stream.appendEntry(id(`${MAX}-${MAX}`), f("a", "b"));
    expect(ids(stream.range(MIN_STREAM_ID, MAX_STREAM_ID))).toEqual(["0-1", `${MAX}-${MAX}`]);
    expect(ids(stream.range(MAX_STREAM_ID, MAX_STREAM_ID))).toEqual([`${MAX}-${MAX}`]);
    expect(ids(stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 0, true))).toEqual([`${MAX}-${MAX}`, "0-1"]);
    expect(ids(stream.range(id("0-2"), { ms: 2n ** 64n - 1n, seq: 2n ** 64n - 2n }))).toEqual([]);
    expect(formatStreamId(stream.lastId)).toBe(`${MAX}-${MAX}`);
    expect(stream.delete(MAX_STREAM_ID)).toBe(true);
    expect(formatStreamId(stream.maxDeletedId)).toBe(`${MAX}-${MAX}`);
    expect(ids([...stream])).toEqual(["0-1"]);
  });

  test("range forward/backward with limits across nodes", () => {
    const stream = numbered(1000);
    expect(stream.nodeCount).toBe(10);
    expect(ids(stream.range(id("95"), id("105")))).toEqual(
      Array.from({ length: 11 }, (_, i) => `${95 + i}-0`),
    );
    expect(ids(stream.range(id("95"), id("105"), 3))).toEqual(["95-0", "96-0", "97-0"]);
    expect(ids(stream.range(id("95"), id("105"), 3, true))).toEqual(["105-0", "104-0", "103-0"]);
    expect(ids(stream.range(id("100-1"), id("101-0")))).toEqual(["101-0"]);
    expect(ids(stream.range(id("0-0"), id("1-0"), 0, true))).toEqual(["1-0"]);
    expect(ids(stream.range(id("1000-1"), MAX_STREAM_ID))).toEqual([]);
    expect(ids(stream.range(id("1000-0"), MAX_STREAM_ID, 0, true))).toEqual(["1000-0"]);
    expect(stream.range(id("6"), id("5"))).toEqual([]);
    const back = [...stream.entriesBackFrom(id("201-5"))].slice(0, 3);
    expect(ids(back)).toEqual(["201-0", "200-0", "199-0"]);
    expect(ids([...stream.entriesFrom(id("998-1"))])).toEqual(["999-0", "1000-0"]);
  });

  test("XDEL: tombstones, maxDeletedId only grows, empty nodes go away", () => {
    const stream = numbered(250);
    expect(stream.nodeCount).toBe(3);
    expect(stream.delete(id("150"))).toBe(true);
    expect(stream.delete(id("150"))).toBe(false);
    expect(stream.delete(id("120"))).toBe(true);
    expect(formatStreamId(stream.maxDeletedId)).toBe("150-0");
    expect(stream.length).toBe(248);
    expect(stream.get(id("150"))).toBeUndefined();
    expect(ids(stream.range(id("149"), id("151")))).toEqual(["149-0", "151-0"]);
    for (let i = 1; i <= 100; i++) stream.delete({ ms: BigInt(i), seq: 0n });
    expect(stream.nodeCount).toBe(2);
    expect(formatStreamId(stream.firstId()!)).toBe("101-0");
    expect(formatStreamId(stream.maxDeletedId)).toBe("150-0");
  });

  test("empty-stream XDEL leaves lastId, and a fresh append starts a new node", () => {
    const stream = numbered(3);
    for (const n of ["1", "2", "3"]) stream.delete(id(n));
    expect(stream.length).toBe(0);
    expect(stream.nodeCount).toBe(0);
    expect(stream.firstId()).toBeUndefined();
    expect(formatStreamId(stream.lastId)).toBe("3-0");
    stream.appendEntry(id("4"), f("a", "b"));
    expect(stream.nodeCount).toBe(1);
    expect(ids([...stream])).toEqual(["4-0"]);
  });
});

describe("RedisStream node layout matches Redis 7.0.15", () => {
  /** The same generators as the scenarios run against redis-server 7.0.15 (node sizes from XINFO). */
  function scenario(name: string): [StreamId, Uint8Array[]][] {
    const out: [StreamId, Uint8Array[]][] = [];
    for (let i = 0; i < 300; i++) {
      let text: string;
      let fields: string[];
      if (name === "A") {
        text = `${1000 + i}-${i % 3}`;
        fields = ["name", "x".repeat((i % 50) + 10), "n", String(i * 37)];
      } else if (name === "B") {
        text = `${5 + i}-0`;
        fields = ["a", "x".repeat(60 + (i % 10)), i % 2 === 0 ? "b" : "c", String(-i * 1000)];
      } else if (name === "C") {
        text = `${1 + i}-0`;
        fields = ["f", "y".repeat(5000)];
      } else {
        text = `${(1n << 40n) * BigInt(i) + 1n}-${1000 - i}`;
        fields = ["k", "v".repeat((i % 130) + 1), "k2", "1".repeat((i % 25) + 1)];
      }
      out.push([id(text), f(...fields)]);
    }
    return out;
  }

  test.each([
    ["A", [90, 86, 78, 46]], // same fields as the master entry, integer values
    ["B", [49, 48, 48, 48, 48, 48, 11]], // alternating field names, 64+ byte strings, negative ints
    ["D", [65, 35, 28, 63, 36, 28, 45]], // huge ms deltas, negative seq deltas, long digit strings
  ] as [string, number[]][])("scenario %s splits by stream-node-max-bytes like Redis", (name, expected) => {
    const stream = new RedisStream();
    for (const [entryId, fields] of scenario(name)) stream.appendEntry(entryId, fields);
    expect(stream.nodeSizes()).toEqual(expected);
  });

  test("entries bigger than a node each get their own node", () => {
    const stream = new RedisStream();
    for (const [entryId, fields] of scenario("C")) stream.appendEntry(entryId, fields);
    expect(stream.nodeCount).toBe(300);
  });

  test("1000-byte values: the fifth entry opens a new node (4096-byte limit)", () => {
    const stream = new RedisStream();
    const value = "x".repeat(1000);
    for (let i = 1; i <= 8; i++) stream.appendEntry({ ms: BigInt(i), seq: 0n }, f("f", value));
    expect(stream.nodeSizes()).toEqual([4, 4]);
    expect(stream.nodeListpackBytes()[0]).toBe(4066);
  });

  test("stream-node-max-entries counts tombstones; 0 disables it", () => {
    const stream = numbered(100);
    for (let i = 1; i <= 50; i++) stream.delete({ ms: BigInt(i), seq: 0n });
    stream.appendEntry(id("200"), f("f", "v"));
    expect(stream.nodeCount).toBe(2);
    expect(stream.length).toBe(51);
    const unlimited = numbered(250, 0);
    expect(unlimited.nodeSizes()).toEqual([250]);
  });

  test("sealLastNode forces a node boundary (the loader keeps the file's nodes)", () => {
    const stream = new RedisStream();
    stream.appendEntry(id("1"), f("a", "b"), 0, 0);
    stream.appendEntry(id("2"), f("a", "b"), 0, 0);
    stream.sealLastNode();
    stream.appendEntry(id("3"), f("a", "b"), 0, 0);
    expect(stream.nodeSizes()).toEqual([2, 1]);
  });
});

describe("RedisStream trimming (numbers from Redis 7.0.15)", () => {
  test("XADD MAXLEN ~ 555 over 1000 adds keeps 600 (Redis's own test)", () => {
    const stream = new RedisStream();
    for (let i = 1; i <= 1000; i++) {
      stream.appendEntry({ ms: BigInt(i), seq: 1n }, f("xitem", String(i)), 100);
      stream.trim({ strategy: "maxlen", maxLen: 555, approx: true, limit: 100 * 100 });
    }
    expect(stream.length).toBe(600);
    expect(stream.nodeCount).toBe(6);
  });

  test("a sequence of XTRIMs with LIMIT, MINID ~, MINID and MAXLEN", () => {
    const stream = new RedisStream();
    for (let i = 1; i <= 1000; i++) stream.appendEntry({ ms: BigInt(i), seq: 1n }, f("xitem", String(i)));
    expect(stream.trim({ strategy: "maxlen", maxLen: 0, approx: true, limit: 250 })).toBe(200);
    expect(stream.length).toBe(800);
    expect(stream.trim({ strategy: "minid", minId: id("455"), approx: true, limit: 10_000 })).toBe(200);
    expect(formatStreamId(stream.firstId()!)).toBe("401-1");
    expect(stream.trim({ strategy: "minid", minId: id("455"), approx: false, limit: 0 })).toBe(54);
    expect(stream.length).toBe(546);
    expect(formatStreamId(stream.firstId()!)).toBe("455-1");
    expect(stream.nodeCount).toBe(6);
    expect(stream.trim({ strategy: "maxlen", maxLen: 10, approx: false, limit: 0 })).toBe(536);
    expect(formatStreamId(stream.firstId()!)).toBe("991-1");
    expect(stream.nodeCount).toBe(1);
    // The last node keeps 90 tombstones + 10 live entries: the next append opens a node.
    stream.appendEntry(id("1001-0"), f("a", "b"));
    expect(stream.nodeCount).toBe(2);
    // Trimming never moves maxDeletedId (only XDEL does, in 7.0).
    expect(formatStreamId(stream.maxDeletedId)).toBe("0-0");
  });

  test("approximate trim removes nothing when no whole node can go", () => {
    const stream = numbered(150);
    expect(stream.trim({ strategy: "maxlen", maxLen: 120, approx: true, limit: 0 })).toBe(0);
    expect(stream.trim({ strategy: "maxlen", maxLen: 120, approx: false, limit: 0 })).toBe(30);
    expect(formatStreamId(stream.firstId()!)).toBe("31-0");
    expect(stream.trim({ strategy: "maxlen", maxLen: 500, approx: false, limit: 0 })).toBe(0);
  });

  test("removeFirst drops the oldest entries exactly", () => {
    const stream = numbered(300);
    expect(stream.removeFirst(150)).toBe(150);
    expect(formatStreamId(stream.firstId()!)).toBe("151-0");
    expect(stream.removeFirst(1000)).toBe(150);
    expect(stream.length).toBe(0);
  });

  test("MINID over a node whose only entries >= threshold are tombstones leaves an empty node, as Redis", () => {
    const stream = numbered(10);
    stream.delete(id("10"));
    expect(stream.trim({ strategy: "minid", minId: id("10"), approx: false, limit: 0 })).toBe(9);
    expect(stream.length).toBe(0);
    expect(stream.nodeCount).toBe(1);
    expect(stream.firstId()).toBeUndefined();
    stream.appendEntry(id("11"), f("f", "v"));
    expect(ids([...stream])).toEqual(["11-0"]);
  });
});

describe("consumer groups and PELs", () => {
  test("groups and consumers iterate by name, like Redis's rax", () => {
    const stream = numbered(5);
    for (const name of ["mike", "alpha", "Zed", "beta"]) expect(stream.createGroup(name, MIN_STREAM_ID)).not.toBeNull();
    expect(stream.createGroup("beta", MIN_STREAM_ID)).toBeNull();
    expect([...stream.groups.keys()]).toEqual(["Zed", "alpha", "beta", "mike"]);
    const group = stream.groups.get("alpha")!;
    expect(group.entriesRead).toBe(ENTRIES_READ_UNKNOWN);
    stream.createConsumer(group, "c2", 1);
    stream.createConsumer(group, "c1", 1);
    expect(stream.createConsumer(group, "c1", 2)).toBeNull();
    expect([...group.consumers.keys()]).toEqual(["c1", "c2"]);
    expect(stream.lookupOrCreateConsumer(group, "c0", 3).seenTime).toBe(3);
    expect(stream.lookupOrCreateConsumer(group, "c1", 99).seenTime).toBe(1);
    expect(stream.deleteGroup("alpha")).toBe(true);
    expect(stream.deleteGroup("alpha")).toBe(false);
  });

  test("group and consumer PELs share entries; ack, transfer, redelivery, delete consumer", () => {
    const stream = numbered(10);
    const group = stream.createGroup("g", MIN_STREAM_ID)!;
    const alice = stream.createConsumer(group, "alice", 0)!;
    const bob = stream.createConsumer(group, "bob", 0)!;
    for (const n of [3, 1, 2]) stream.deliverPending(group, alice, { ms: BigInt(n), seq: 0n }, 1000 + n);
    stream.deliverPending(group, bob, id("4"), 2000);
    expect(group.pending.size).toBe(4);
    expect(ids([...group.pending.values()])).toEqual(["1-0", "2-0", "3-0", "4-0"]);
    expect(ids([...alice.pending.values()])).toEqual(["1-0", "2-0", "3-0"]);
    const shared = group.pending.get(streamIdKey(id("2")))!;
    expect(alice.pending.get(streamIdKey(id("2")))).toBe(shared);

    // Redelivery of an already pending ID to another consumer moves it and resets it.
    shared.deliveryCount = 5;
    const moved = stream.deliverPending(group, bob, id("2"), 3000);
    expect(moved).toBe(shared);
    expect(moved).toEqual({ id: id("2"), consumer: "bob", deliveryTime: 3000, deliveryCount: 1 });
    expect(alice.pending.has(streamIdKey(id("2")))).toBe(false);
    expect(ids([...bob.pending.values()])).toEqual(["2-0", "4-0"]);

    // XCLAIM-style transfer.
    stream.transferPending(group, group.pending.get(streamIdKey(id("1")))!, bob);
    expect(ids([...alice.pending.values()])).toEqual(["3-0"]);
    expect(ids([...bob.pending.values()])).toEqual(["1-0", "2-0", "4-0"]);

    expect(stream.acknowledge(group, id("2"))).toBe(true);
    expect(stream.acknowledge(group, id("2"))).toBe(false);
    expect(bob.pending.has(streamIdKey(id("2")))).toBe(false);
    expect(group.pending.size).toBe(3);

    expect(stream.deleteConsumer(group, "bob")).toBe(2);
    expect(stream.deleteConsumer(group, "bob")).toBe(-1);
    expect(ids([...group.pending.values()])).toEqual(["3-0"]);
    for (const entry of group.pending.values()) expect(group.consumers.get(entry.consumer)!.pending.get(streamIdKey(entry.id))).toBe(entry);
  });

  test("addPending (loader, XCLAIM FORCE) keeps both PELs consistent", () => {
    const stream = numbered(3);
    const group = stream.createGroup("g", id("3"), 3)!;
    stream.createConsumer(group, "a", 0);
    stream.createConsumer(group, "b", 0);
    stream.addPending(group, { id: id("2"), consumer: "a", deliveryTime: 5, deliveryCount: 2 });
    stream.addPending(group, { id: id("2"), consumer: "b", deliveryTime: 6, deliveryCount: 1 });
    expect(group.consumers.get("a")!.pending.size).toBe(0);
    expect(group.consumers.get("b")!.pending.get(streamIdKey(id("2")))!.deliveryTime).toBe(6);
    expect(() => stream.addPending(group, { id: id("1"), consumer: "nobody", deliveryTime: 0, deliveryCount: 1 })).toThrow();
  });

  test("PEL ranges in ID order with many out-of-order inserts and deletions", () => {
    const pel = new SortedKeyMap<PendingEntry>();
    const model: bigint[] = [];
    let state = 99;
    const random = () => {
      // mulberry32
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    };
    for (let i = 0; i < 20_000; i++) {
      const ms = BigInt(random() % 50_000);
      const key = streamIdKey({ ms, seq: 0n });
      if (random() % 4 === 0) {
        if (pel.delete(key)) model.splice(model.indexOf(ms), 1);
      } else if (!pel.has(key)) {
        pel.set(key, { id: { ms, seq: 0n }, consumer: "c", deliveryTime: 0, deliveryCount: 1 });
        model.push(ms);
      }
    }
    model.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(model.length).toBeGreaterThan(5000);
    expect([...pel.values()].map((e) => e.id.ms)).toEqual(model);
    expect(pel.size).toBe(model.length);
    const from = model[Math.floor(model.length / 2)]!;
    const to = model[Math.floor(model.length / 2) + 30]!;
    expect(pendingRange(pel, { ms: from, seq: 0n }, { ms: to, seq: 0n }).map((e) => e.id.ms)).toEqual(
      model.slice(Math.floor(model.length / 2), Math.floor(model.length / 2) + 31),
    );
    expect(pendingRange(pel, { ms: from, seq: 0n }, MAX_STREAM_ID, 5).length).toBe(5);
    const bounds = pendingBounds(pel)!;
    expect(bounds.first.id.ms).toBe(model[0]!);
    expect(bounds.last.id.ms).toBe(model[model.length - 1]!);
  });

  test("iterating a PEL while acknowledging what it yields (XAUTOCLAIM-style)", () => {
    const stream = numbered(2000);
    const group = stream.createGroup("g", MIN_STREAM_ID)!;
    const consumer = stream.createConsumer(group, "c", 0)!;
    for (let i = 1; i <= 2000; i++) stream.deliverPending(group, consumer, { ms: BigInt(i), seq: 0n }, 0);
    const visited: bigint[] = [];
    for (const entry of pendingFrom(group.pending, id("500"))) {
      visited.push(entry.id.ms);
      if (entry.id.ms % 2n === 0n) stream.acknowledge(group, entry.id);
    }
    expect(visited.length).toBe(1501);
    expect(visited[0]).toBe(500n);
    expect(visited[visited.length - 1]).toBe(2000n);
    expect(group.pending.size).toBe(2000 - 751);
  });

  test("pendingFrom and pendingBounds accept a plain Map too", () => {
    const pel = new Map<string, PendingEntry>();
    for (const n of [5n, 1n, 3n]) pel.set(streamIdKey({ ms: n, seq: 0n }), { id: { ms: n, seq: 0n }, consumer: "c", deliveryTime: 0, deliveryCount: 1 });
    expect([...pendingFrom(pel, { ms: 2n, seq: 0n })].map((e) => e.id.ms)).toEqual([3n, 5n]);
    expect(pendingBounds(pel)!.first.id.ms).toBe(1n);
    expect(pendingBounds(new Map())).toBeUndefined();
  });
});

describe("logical read counters (values from Redis 7.0.15 XINFO GROUPS)", () => {
  test("group created at an ID, no tombstones: lag is exact", () => {
    const stream = numbered(3);
    const atFirst = stream.createGroup("g", id("1"))!;
    const atEnd = stream.createGroup("g2", stream.lastId)!;
    expect(stream.groupLag(atFirst)).toBe(2);
    expect(stream.groupLag(atEnd)).toBe(0);
    for (const n of ["1", "2", "3"]) stream.delete(id(n));
    // Emptied stream: any ID up to the last one has read everything.
    expect(stream.groupLag(atFirst)).toBe(0);
  });

  test("ENTRIESREAD given, then every entry deleted: lag uses the counter", () => {
    const stream = numbered(3);
    const group = stream.createGroup("g", stream.lastId, 1)!;
    for (const n of ["1", "2", "3"]) stream.delete(id(n));
    expect(stream.groupLag(group)).toBe(2);
  });

  test("XREADGROUP progression with a tombstone ahead", () => {
    const stream = numbered(5);
    const group = stream.createGroup("g", MIN_STREAM_ID)!;
    stream.advanceGroup(group, id("1"));
    stream.advanceGroup(group, id("2"));
    expect(group.entriesRead).toBe(2);
    expect(stream.groupLag(group)).toBe(3);
    stream.delete(id("4"));
    stream.advanceGroup(group, id("3"));
    expect(group.entriesRead).toBe(ENTRIES_READ_UNKNOWN);
    expect(stream.groupLag(group)).toBeNull();
    stream.advanceGroup(group, id("5"));
    expect(group.entriesRead).toBe(5);
    expect(stream.groupLag(group)).toBe(0);
    expect(formatStreamId(group.lastId)).toBe("5-0");
    // Moving backwards is not XREADGROUP's business.
    stream.advanceGroup(group, id("1"));
    expect(formatStreamId(group.lastId)).toBe("5-0");
  });

  test("estimateEntriesRead cases", () => {
    const fresh = new RedisStream();
    expect(fresh.estimateEntriesRead(id("5"))).toBe(0);
    const stream = numbered(5);
    expect(stream.estimateEntriesRead(id("5"))).toBe(5);
    expect(stream.estimateEntriesRead(id("6"))).toBe(ENTRIES_READ_UNKNOWN);
    expect(stream.estimateEntriesRead(id("1"))).toBe(1);
    expect(stream.estimateEntriesRead(id("0-5"))).toBe(0);
    expect(stream.estimateEntriesRead(id("3"))).toBe(ENTRIES_READ_UNKNOWN);
    stream.delete(id("1"));
    // The tombstone is before the first entry: still no fragmentation ahead.
    expect(stream.estimateEntriesRead(id("2"))).toBe(2);
    expect(stream.estimateEntriesRead(id("0-1"))).toBe(1);
    // streamRangeHasTombstones ignores a tombstone below the first live entry (Redis 7.0.15:
    // entries 1..5, XDEL 1, XGROUP CREATE t g 0 ENTRIESREAD 0 -> lag 5, not 4).
    expect(stream.rangeHasTombstones(id("1"))).toBe(false);
    expect(stream.rangeHasTombstones(id("2"))).toBe(false);
    stream.delete(id("3"));
    expect(stream.estimateEntriesRead(id("2"))).toBe(ENTRIES_READ_UNKNOWN);
  });
});

describe("scale", () => {
  test("100k entries: seek, range and delete stay correct", () => {
    const stream = new RedisStream();
    for (let i = 0; i < 100_000; i++) stream.appendEntry({ ms: BigInt(1_700_000_000_000 + Math.floor(i / 3)), seq: BigInt(i % 3) }, f("k", String(i)));
    expect(stream.length).toBe(100_000);
    expect(stream.nodeCount).toBe(1000);
    const probe = { ms: 1_700_000_000_000n + 20_000n, seq: 1n };
    expect(bytesToText(stream.get(probe)!.fields[1]!)).toBe("60001");
    expect(ids(stream.range(probe, MAX_STREAM_ID, 2))).toEqual(["1700000020000-1", "1700000020000-2"]);
    for (let i = 0; i < 100_000; i += 2) {
      expect(stream.delete({ ms: BigInt(1_700_000_000_000 + Math.floor(i / 3)), seq: BigInt(i % 3) })).toBe(true);
    }
    expect(stream.length).toBe(50_000);
    let previous: StreamId | null = null;
    let count = 0;
    for (const entry of stream) {
      if (previous !== null) expect(compareStreamId(previous, entry.id)).toBe(-1);
      previous = entry.id;
      count++;
    }
    expect(count).toBe(50_000);
    expect(stream.entriesAdded).toBe(100_000n);
  });
});

test("formatStreamId writes both parts in decimal, up to 2^64-1", () => {
  const cases: Array<[bigint, bigint, string]> = [
    [0n, 0n, "0-0"],
    [1733555555555n, 7n, "1733555555555-7"],
    [9007199254740991n, 9007199254740991n, "9007199254740991-9007199254740991"],
    [9007199254740992n, 0n, "9007199254740992-0"],
    [1n, 9007199254740993n, "1-9007199254740993"],
    [18446744073709551615n, 18446744073709551615n, "18446744073709551615-18446744073709551615"],
  ];
  for (const [ms, seq, text] of cases) expect(formatStreamId({ ms, seq })).toBe(text);
});
