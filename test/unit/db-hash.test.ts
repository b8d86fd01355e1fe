import { describe, expect, test } from "bun:test";
import { KeyOrderIndex, RedisHash } from "../../src/db/hash.ts";
import { bytesToText, textToBytes } from "../../src/db/bytes.ts";

const b = (text: string): Uint8Array => textToBytes(text);

/** Run a full SCAN with the given page size, optionally mutating between calls. */
function fullScan(scanStep: (cursor: number) => { cursor: number; keys: string[] }, between?: (round: number) => void) {
  const seen: string[] = [];
  let cursor = 0;
  let round = 0;
  do {
    const page = scanStep(cursor);
    seen.push(...page.keys);
    cursor = page.cursor;
    if (between !== undefined) between(round);
    round++;
  } while (cursor !== 0);
  return { seen, rounds: round };
}

describe("RedisHash", () => {
  test("empty hash", () => {
    const hash = new RedisHash();
    expect(hash.type).toBe("hash");
    expect(hash.encoding).toBe("listpack");
    expect(hash.size).toBe(0);
    expect(hash.get("f")).toBeUndefined();
    expect(hash.delete("f")).toBe(false);
    expect(hash.randomField()).toBeUndefined();
    expect(hash.randomFields(3)).toEqual([]);
    expect(hash.randomFieldsWithRepetition(3)).toEqual([]);
    expect(hash.scan(0, 10)).toEqual({ cursor: 0, keys: [] });
  });

  test("set reports new fields; updates keep the insertion position", () => {
    const hash = new RedisHash();
    expect(hash.set("a", b("1"))).toBe(true);
    expect(hash.set("b", b("2"))).toBe(true);
    expect(hash.set("a", b("3"))).toBe(false);
    expect([...hash.map.keys()]).toEqual(["a", "b"]);
    expect(bytesToText(hash.get("a")!)).toBe("3");
    expect(hash.delete("a")).toBe(true);
    hash.set("a", b("4"));
    // Like a listpack: a deleted-then-re-added field goes to the end.
    expect([...hash.map.keys()]).toEqual(["b", "a"]);
    expect(hash.has("a")).toBe(true);
  });

  test("binary field names are kept exactly", () => {
    const hash = new RedisHash();
    const field = String.fromCharCode(0, 255, 128, 10);
    hash.set(field, new Uint8Array([1, 2]));
    expect(hash.get(field)).toEqual(new Uint8Array([1, 2]));
    expect(hash.scan(0, 10).keys).toEqual([field]);
  });

  test("convertIfNeeded: entries limit", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 128; i++) hash.set(`f${i}`, b("v"));
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    expect(hash.encoding).toBe("listpack");
    hash.set("one-more", b("v"));
    expect(hash.convertIfNeeded(128, 64)).toBe(true);
    expect(hash.encoding).toBe("hashtable");
    // One way: shrinking does not convert back.
    for (let i = 0; i < 128; i++) hash.delete(`f${i}`);
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    expect(hash.encoding).toBe("hashtable");
  });

  test("convertIfNeeded: a long field or a long value", () => {
    const longValue = new Uint8Array(65);
    const byValue = new RedisHash();
    byValue.set("f", new Uint8Array(64));
    expect(byValue.convertIfNeeded(128, 64)).toBe(false);
    byValue.set("g", longValue);
    expect(byValue.convertIfNeeded(128, 64)).toBe(true);

    const byField = new RedisHash();
    byField.set("x".repeat(65), b("v"));
    expect(byField.convertIfNeeded(128, 64)).toBe(true);
    expect(byField.encoding).toBe("hashtable");
  });

  test("convertIfNeeded sees writes made straight on .map (the loader's path)", () => {
    const hash = new RedisHash();
    hash.map.set("f", new Uint8Array(100));
    expect(hash.convertIfNeeded(128, 64)).toBe(true);
  });

  test("convertIfNeeded only examines elements written since the last check, as Redis does", () => {
    const hash = new RedisHash();
    hash.set("f", new Uint8Array(50));
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    // The limit was lowered (CONFIG SET) after the long value went in: a later small write
    // does not convert, exactly as Redis checks only the arguments of the write.
    hash.set("g", b("x"));
    expect(hash.convertIfNeeded(128, 10)).toBe(false);
    hash.set("h", new Uint8Array(11));
    expect(hash.convertIfNeeded(128, 10)).toBe(true);
  });

  test("HSCAN on a listpack hash returns everything at once with cursor 0", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 20; i++) hash.set(`f${i}`, b("v"));
    const page = hash.scan(0, 5);
    expect(page.cursor).toBe(0);
    expect(page.keys).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`));
  });

  test("HSCAN on a hashtable hash pages through every field once", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 1000; i++) hash.set(`f${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    const { seen, rounds } = fullScan((cursor) => hash.scan(cursor, 10));
    expect(rounds).toBeGreaterThan(50);
    expect(seen.length).toBe(1000);
    expect(new Set(seen).size).toBe(1000);
  });

  test("HSCAN guarantee: fields present throughout are returned despite churn between calls", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 2000; i++) hash.set(`stable${i}`, b("v"));
    for (let i = 0; i < 2000; i++) hash.set(`churn${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    let added = 0;
    const { seen } = fullScan(
      (cursor) => hash.scan(cursor, 50),
      (round) => {
        // Delete many, re-add some deleted ones and add new ones: forces compactions.
        // (Fewer additions than the page size, or the scan would chase them forever.)
        for (let k = 0; k < 40; k++) hash.delete(`churn${(round * 40 + k) % 2000}`);
        for (let k = 0; k < 20; k++) hash.set(`churn${(round * 40 + k) % 2000}`, b("again"));
        for (let k = 0; k < 10; k++) hash.set(`new${added++}`, b("v"));
      },
    );
    const seenSet = new Set(seen);
    for (let i = 0; i < 2000; i++) expect(seenSet.has(`stable${i}`)).toBe(true);
    // Nothing that never existed shows up.
    for (const field of seenSet) expect(/^(stable|churn|new)\d+$/.test(field)).toBe(true);
  });

  test("HRANDFIELD helpers: distinct picks, whole hash, repetitions", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 300; i++) hash.set(`f${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    for (const count of [1, 5, 99, 100, 101, 299]) {
      const picks = hash.randomFields(count);
      expect(picks.length).toBe(count);
      expect(new Set(picks).size).toBe(count);
      for (const field of picks) expect(hash.has(field)).toBe(true);
    }
    expect(hash.randomFields(300).length).toBe(300);
    expect(hash.randomFields(1000).length).toBe(300);
    const repeated = hash.randomFieldsWithRepetition(1000);
    expect(repeated.length).toBe(1000);
    for (const field of repeated) expect(hash.has(field)).toBe(true);
    // 1000 picks among 300 fields repeat by the pigeonhole principle.
    expect(new Set(repeated).size).toBeLessThan(1000);
  });

  test("random picks are fair after deletions and re-additions", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 10; i++) hash.set(`f${i}`, b("v"));
    hash.randomField(); // build the index, then churn
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 5; i++) hash.delete(`f${i}`);
      for (let i = 0; i < 5; i++) hash.set(`f${i}`, b("v"));
    }
    const counts = new Map<string, number>();
    const draws = 50_000;
    for (let i = 0; i < draws; i++) {
      const field = hash.randomField()!;
      counts.set(field, (counts.get(field) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    // Each field expects 5000 draws; a re-added field counted twice would get ~9000.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(4200);
      expect(count).toBeLessThan(5800);
    }
  });

  test("the cursor index follows writes made straight on .map", () => {
    const hash = new RedisHash();
    hash.encoding = "hashtable";
    hash.set("a", b("1"));
    hash.scan(0, 10); // builds the index
    hash.map.set("b", b("2"));
    hash.map.delete("a");
    expect(fullScan((cursor) => hash.scan(cursor, 1)).seen).toEqual(["b"]);
    hash.map.clear();
    expect(hash.size).toBe(0);
    expect(hash.randomField()).toBeUndefined();
    hash.map.set("c", b("3"));
    expect(hash.randomField()).toBe("c");
  });
});

describe("KeyOrderIndex", () => {
  test("cursors stay valid across compaction", () => {
    const live = new Set<string>();
    for (let i = 0; i < 200; i++) live.add(`k${i}`);
    const index = new KeyOrderIndex((key) => live.has(key), live);
    const first = index.scan(0, 10);
    expect(first.keys).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    // Remove most keys, including ones already returned: this compacts the slots.
    for (let i = 0; i < 190; i++) {
      if (i >= 10 && i < 20) continue;
      live.delete(`k${i}`);
      index.noteRemoved(`k${i}`);
    }
    expect(index.slotCount).toBeLessThan(200);
    const rest = index.scan(first.cursor, 100);
    expect(rest.cursor).toBe(0);
    const expected = [...Array.from({ length: 10 }, (_, i) => `k${i + 10}`), ...Array.from({ length: 10 }, (_, i) => `k${i + 190}`)];
    expect(rest.keys).toEqual(expected);
    expect(index.size).toBe(20);
  });

  test("SCAN guarantee under heavy churn with compactions", () => {
    let state = 12345;
    const random = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    const live = new Set<string>();
    const index = new KeyOrderIndex((key) => live.has(key), []);
    const add = (key: string) => {
      if (!live.has(key)) {
        live.add(key);
        index.noteAdded(key);
      }
    };
    const remove = (key: string) => {
      if (live.delete(key)) index.noteRemoved(key);
    };
    for (let i = 0; i < 300; i++) add(`stable${i}`);
    for (let i = 0; i < 3000; i++) add(`churn${i}`);
    let compactions = 0;
    let previousSlots = index.slotCount;
    const seen = new Set<string>();
    let cursor = 0;
    do {
      const page = index.scan(cursor, 40);
      for (const key of page.keys) {
        expect(live.has(key)).toBe(true);
        seen.add(key);
      }
      cursor = page.cursor;
      for (let k = 0; k < 120; k++) remove(`churn${Math.floor(random() * 3000)}`);
      for (let k = 0; k < 30; k++) add(`churn${Math.floor(random() * 3000)}`);
      if (index.slotCount < previousSlots) compactions++;
      previousSlots = index.slotCount;
      expect(index.size).toBe(live.size);
    } while (cursor !== 0);
    expect(compactions).toBeGreaterThan(0);
    for (let i = 0; i < 300; i++) expect(seen.has(`stable${i}`)).toBe(true);
  });

  test("scan with a stale or invented cursor never throws and ends", () => {
    const live = new Set(["a", "b", "c"]);
    const index = new KeyOrderIndex((key) => live.has(key), live);
    expect(index.scan(999_999, 10)).toEqual({ cursor: 0, keys: [] });
    expect(index.scan(2, 10).keys).toEqual(["b", "c"]);
  });
});
