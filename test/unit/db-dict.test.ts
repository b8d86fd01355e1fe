import { describe, expect, test } from "bun:test";
import { Dict } from "../../src/db/dict.ts";
import { bytesToKey, keyToBytes } from "../../src/db/bytes.ts";
import { seededRandom } from "../helpers/random.ts";

/** A binary-string key of 0..24 bytes, any byte value, from a small alphabet so keys repeat. */
function randomKey(random: () => number, alphabet: number): string {
  const length = Math.floor(random() * 25);
  let key = "";
  for (let i = 0; i < length; i++) key += String.fromCharCode(Math.floor(random() * alphabet) * (256 / alphabet));
  return key;
}

function randomValue(random: () => number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * 40));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Every live entry of the dict as [key, value], by walking slots. */
function entriesOf(dict: Dict): Map<string, string> {
  const out = new Map<string, string>();
  for (let slot = 0; slot < dict.slotCount; slot++) {
    if (!dict.isLive(slot)) continue;
    const key = dict.keyAt(slot);
    expect(out.has(key)).toBe(false);
    out.set(key, dict.valueKind === "bytes" ? bytesToKey(dict.valueAt(slot)) : String(dict.scoreAt(slot)));
  }
  return out;
}

describe("Dict", () => {
  for (const seed of [1, 2, 3, 4]) {
    test(`random operations agree with a Map (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const dict = new Dict("bytes");
      const reference = new Map<string, string>();
      // Phases: grow, churn, shrink to empty, grow again, so index growth, shrinking,
      // slot reuse, compaction and clear are all crossed.
      const phases = [
        { steps: 3000, addBias: 0.8 },
        { steps: 3000, addBias: 0.5 },
        { steps: 6000, addBias: 0.1 },
        { steps: 2000, addBias: 0.9 },
      ];
      for (const { steps, addBias } of phases) {
        for (let step = 0; step < steps; step++) {
          const key = randomKey(random, seed === 4 ? 4 : 16);
          const op = random();
          if (op < addBias) {
            const value = randomValue(random);
            let slot = dict.find(key);
            if (slot < 0) {
              expect(reference.has(key)).toBe(false);
              slot = dict.add(random() < 0.5 ? key : keyToBytes(key));
            }
            dict.setValue(slot, value);
            reference.set(key, bytesToKey(value));
          } else {
            expect(dict.delete(key)).toBe(reference.delete(key));
          }
          expect(dict.size).toBe(reference.size);
          if (step % 97 === 0) {
            const probe = randomKey(random, 16);
            const slot = dict.findBytes(keyToBytes(probe));
            expect(slot).toBe(dict.find(probe));
            if (reference.has(probe)) expect(bytesToKey(dict.valueAt(slot))).toBe(reference.get(probe)!);
            else expect(slot).toBe(-1);
          }
        }
        expect(entriesOf(dict)).toEqual(reference);
      }
    });
  }

  test("keys of every byte value and the empty key", () => {
    const dict = new Dict("none");
    const keys = ["", "\u0000", "\u00ff", "\u0080\u0081\u009f", "a\u0000b"];
    for (const key of keys) dict.add(key);
    for (const key of keys) {
      const slot = dict.find(key);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(dict.keyAt(slot)).toBe(key);
      expect(bytesToKey(dict.keyBytesAt(slot))).toBe(key);
    }
    expect(dict.find("a")).toBe(-1);
    expect(dict.delete("")).toBe(true);
    expect(dict.find("")).toBe(-1);
    expect(dict.size).toBe(4);
  });

  test("compareKeyAt is memcmp order, shorter first on a common prefix", () => {
    const dict = new Dict("none");
    const slot = dict.add("abc");
    expect(dict.compareKeyAt(slot, "abc")).toBe(0);
    expect(dict.compareKeyAt(slot, "abd")).toBeLessThan(0);
    expect(dict.compareKeyAt(slot, "ab")).toBeGreaterThan(0);
    expect(dict.compareKeyAt(slot, "abcd")).toBeLessThan(0);
    expect(dict.compareKeyAt(slot, "\u00ff")).toBeLessThan(0);
  });

  test("scores", () => {
    const dict = new Dict("score");
    const a = dict.add("a");
    const b = dict.add("b");
    dict.setScore(a, 1.5);
    dict.setScore(b, -Infinity);
    expect(dict.scoreAt(dict.find("a"))).toBe(1.5);
    expect(dict.scoreAt(dict.find("b"))).toBe(-Infinity);
    dict.delete("a");
    const c = dict.add("c");
    expect(dict.scoreAt(c)).toBe(0);
  });

  test("compaction keeps slots and bytes; garbage never exceeds live bytes by much", () => {
    const dict = new Dict("bytes");
    const value = new Uint8Array(100).fill(7);
    const slots = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const slot = dict.add(`field:${i}`);
      dict.setValue(slot, value);
      slots.set(`field:${i}`, slot);
    }
    const before = dict.memoryBytes();
    // Rewrite every value many times: garbage piles up and is compacted away.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1000; i++) {
        const slot = dict.find(`field:${i}`);
        expect(slot).toBe(slots.get(`field:${i}`)!);
        dict.setValue(slot, new Uint8Array(100).fill(round));
      }
    }
    for (let i = 0; i < 1000; i++) {
      const slot = dict.find(`field:${i}`);
      expect(slot).toBe(slots.get(`field:${i}`)!);
      expect(dict.valueAt(slot)).toEqual(new Uint8Array(100).fill(19));
    }
    expect(dict.memoryBytes()).toBeLessThan(before * 3);
    // Deleting most entries gives the arena back.
    for (let i = 0; i < 990; i++) dict.delete(`field:${i}`);
    expect(dict.memoryBytes()).toBeLessThan(before / 2);
    for (let i = 990; i < 1000; i++) expect(dict.find(`field:${i}`)).toBe(slots.get(`field:${i}`)!);
  });

  test("a view keeps its bytes after the value is replaced and the arena compacted", () => {
    const dict = new Dict("bytes");
    const slot = dict.add("k");
    dict.setValue(slot, keyToBytes("first"));
    const view = dict.valueAt(slot);
    for (let i = 0; i < 200; i++) dict.setValue(slot, new Uint8Array(50).fill(i));
    expect(bytesToKey(view)).toBe("first");
    // setValue from a view of the same dict (copying one entry's value to another).
    const other = dict.add("other");
    dict.setValue(other, dict.valueAt(slot));
    expect(dict.valueAt(other)).toEqual(new Uint8Array(50).fill(199));
  });

  for (const seed of [11, 12, 13]) {
    test(`a scan returns every key present throughout, with adds and deletes between steps (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const dict = new Dict("bytes");
      let next = 0;
      for (; next < 2000; next++) dict.add(`k${next}`);
      // Keys 0..499 stay the whole time; the others churn.
      const stable = new Set<string>();
      for (let i = 0; i < 500; i++) stable.add(`k${i}`);
      const seen = new Set<string>();
      let cursor = 0;
      let steps = 0;
      do {
        cursor = dict.scan(cursor, 1 + Math.floor(random() * 20), (slot) => seen.add(dict.keyAt(slot)));
        // Churn: delete random non-stable keys (compaction and index shrinking happen), add new ones.
        for (let j = 0; j < 30; j++) {
          const victim = dict.randomSlot();
          const key = dict.keyAt(victim);
          if (!stable.has(key)) dict.deleteSlot(victim);
        }
        for (let j = 0; j < 10; j++) dict.setValue(dict.add(`k${next++}`), new Uint8Array(30));
        steps++;
      } while (cursor !== 0 && steps < 100_000);
      expect(cursor).toBe(0);
      for (const key of stable) expect(seen.has(key)).toBe(true);
    });
  }

  test("scan bounds the free slots it passes in one step", () => {
    const dict = new Dict("none");
    for (let i = 0; i < 1000; i++) dict.add(`k${i}`);
    for (let i = 0; i < 999; i++) dict.delete(`k${i}`);
    const visited: string[] = [];
    let cursor = 0;
    let steps = 0;
    do {
      cursor = dict.scan(cursor, 1, (slot) => visited.push(dict.keyAt(slot)));
      steps++;
    } while (cursor !== 0);
    expect(visited).toEqual(["k999"]);
    expect(steps).toBeGreaterThan(10);
  });

  test("randomSlot is uniform over live keys, also when most slots are free", () => {
    const random = seededRandom(5);
    const dict = new Dict("none");
    for (let i = 0; i < 5000; i++) dict.add(`k${i}`);
    // Keep 10 scattered keys: 4990 free slots around them.
    const kept = new Set<string>();
    while (kept.size < 10) kept.add(`k${Math.floor(random() * 5000)}`);
    for (let i = 0; i < 5000; i++) if (!kept.has(`k${i}`)) dict.delete(`k${i}`);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const slot = dict.randomSlot();
      expect(dict.isLive(slot)).toBe(true);
      const key = dict.keyAt(slot);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    // 2000 expected each; a fair draw stays well within +-20%.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1600);
      expect(count).toBeLessThan(2400);
    }
  });

  test("emptying the dict releases its slots; clear() too", () => {
    const dict = new Dict("bytes");
    for (let i = 0; i < 100; i++) dict.add(`k${i}`);
    for (let i = 0; i < 100; i++) dict.delete(`k${i}`);
    expect(dict.size).toBe(0);
    expect(dict.slotCount).toBe(0);
    expect(dict.randomSlot()).toBe(-1);
    dict.add("x");
    dict.clear();
    expect(dict.find("x")).toBe(-1);
    expect(dict.size).toBe(0);
  });

  test("clone is deep and keeps slots", () => {
    const dict = new Dict("bytes");
    for (let i = 0; i < 50; i++) dict.setValue(dict.add(`k${i}`), keyToBytes(`v${i}`));
    dict.delete("k3");
    const copy = dict.clone();
    dict.setValue(dict.find("k1"), keyToBytes("changed"));
    dict.delete("k2");
    expect(bytesToKey(copy.valueAt(copy.find("k1")))).toBe("v1");
    expect(copy.find("k2")).toBeGreaterThanOrEqual(0);
    expect(copy.find("k3")).toBe(-1);
    expect(copy.size).toBe(49);
    for (let i = 4; i < 50; i++) expect(copy.find(`k${i}`)).toBe(dict.find(`k${i}`));
  });
});
