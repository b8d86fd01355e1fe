import { describe, expect, test } from "bun:test";
import { RedisHash } from "../../src/db/hash.ts";
import { bytesToKey, bytesToText, textToBytes } from "../../src/db/bytes.ts";
import { encodeListpack, validateListpack } from "../../src/db/listpack.ts";
import { seededRandom } from "../helpers/random.ts";

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

/** One HSCAN step as the fields it returns. */
function scanFields(hash: RedisHash, cursor: number, count: number): { cursor: number; keys: string[] } {
  const keys: string[] = [];
  const next = hash.scan(cursor, count, (position) => keys.push(hash.fieldAt(position)));
  return { cursor: next, keys };
}

function pairsOf(hash: RedisHash): [string, string][] {
  const pairs: [string, string][] = [];
  hash.forEach((field, value) => pairs.push([field, bytesToKey(value)]));
  return pairs;
}

function collect(visitAll: (visit: (position: number) => void) => void, hash: RedisHash): string[] {
  const out: string[] = [];
  visitAll((position) => out.push(hash.fieldAt(position)));
  return out;
}

describe("RedisHash", () => {
  test("empty hash", () => {
    const hash = new RedisHash();
    expect(hash.type).toBe("hash");
    expect(hash.encoding).toBe("listpack");
    expect(hash.size).toBe(0);
    expect(hash.get("f")).toBeUndefined();
    expect(hash.delete("f")).toBe(false);
    expect(hash.randomPosition()).toBe(-1);
    expect(collect((v) => hash.forEachRandomPosition(3, v), hash)).toEqual([]);
    expect(scanFields(hash, 0, 10)).toEqual({ cursor: 0, keys: [] });
  });

  test("set reports new fields; updates keep the position; the listpack is Redis's", () => {
    const hash = new RedisHash();
    expect(hash.set("a", b("1"))).toBe(true);
    expect(hash.set("b", b("hello"))).toBe(true);
    expect(hash.set("a", b("three"))).toBe(false);
    expect(pairsOf(hash)).toEqual([["a", "three"], ["b", "hello"]]);
    // The bytes a fresh listpack of the same pairs has (integers as integer entries).
    expect(hash.listpackBytes()).toEqual(encodeListpack([b("a"), b("three"), b("b"), b("hello")]));
    hash.delete("a");
    hash.set("a", b("12"));
    expect(pairsOf(hash)).toEqual([["b", "hello"], ["a", "12"]]);
    expect(hash.listpackBytes()).toEqual(encodeListpack([b("b"), b("hello"), b("a"), 12n]));
  });

  test("binary field names and values are kept exactly, integers as their text", () => {
    const hash = new RedisHash();
    const field = "\u0000\u00ff\u0080\u009f";
    hash.set(field, new Uint8Array([0, 255, 128]));
    hash.set("n", b("-9223372036854775808"));
    hash.set("not-canonical", b("007"));
    expect(hash.get(field)).toEqual(new Uint8Array([0, 255, 128]));
    expect(bytesToText(hash.get("n")!)).toBe("-9223372036854775808");
    expect(bytesToText(hash.get("not-canonical")!)).toBe("007");
    expect(hash.has(field)).toBe(true);
    expect(hash.has("\u0000")).toBe(false);
  });

  test("convertIfNeeded: entries limit", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 128; i++) hash.set(`f${i}`, b("v"));
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    expect(hash.encoding).toBe("listpack");
    hash.set("f128", b("v"));
    expect(hash.convertIfNeeded(128, 64)).toBe(true);
    expect(hash.encoding).toBe("hashtable");
    // Listpack order survives the conversion (slot order).
    expect(pairsOf(hash).map(([f]) => f)).toEqual(Array.from({ length: 129 }, (_, i) => `f${i}`));
    for (let i = 0; i < 129; i++) hash.delete(`f${i}`);
    hash.set("x", b("y"));
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    expect(hash.encoding).toBe("hashtable"); // one way
  });

  test("convertIfNeeded: a long field or a long value", () => {
    const longField = new RedisHash();
    longField.set("f".repeat(65), b("v"));
    expect(longField.convertIfNeeded(128, 64)).toBe(true);
    const longValue = new RedisHash();
    longValue.set("f", b("v".repeat(65)));
    expect(longValue.convertIfNeeded(128, 64)).toBe(true);
    const exact = new RedisHash();
    exact.set("f".repeat(64), b("v".repeat(64)));
    expect(exact.convertIfNeeded(128, 64)).toBe(false);
  });

  test("convertIfNeeded only examines elements written since the last check, as Redis does", () => {
    const hash = new RedisHash();
    hash.set("f", b("v".repeat(100)));
    expect(hash.convertIfNeeded(128, 200)).toBe(false);
    // The limit is lowered later (CONFIG SET): the old long value is not re-examined.
    hash.set("g", b("short"));
    expect(hash.convertIfNeeded(128, 64)).toBe(false);
    expect(hash.encoding).toBe("listpack");
  });

  for (const seed of [1, 2, 3]) {
    test(`random operations agree with a Map across the conversion (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const maxEntries = 8 + Math.floor(random() * 40);
      const maxValue = 16 + Math.floor(random() * 30);
      const hash = new RedisHash();
      const reference = new Map<string, string>();
      let converted = false;
      for (let step = 0; step < 4000; step++) {
        const field = random() < 0.2 ? String(Math.floor(random() * 200) - 100) : `f${Math.floor(random() * (step < 2000 ? 60 : 400))}`;
        const roll = random();
        if (roll < 0.6) {
          const length = random() < 0.02 ? maxValue + 1 : Math.floor(random() * maxValue);
          const value = random() < 0.3 ? String(Math.floor(random() * 1e6)) : "v".repeat(length);
          expect(hash.set(field, b(value))).toBe(!reference.has(field));
          reference.set(field, value);
          if (hash.convertIfNeeded(maxEntries, maxValue)) converted = true;
        } else if (roll < 0.9) {
          expect(hash.delete(field)).toBe(reference.delete(field));
        } else {
          const got = hash.get(field);
          expect(got === undefined ? undefined : bytesToKey(got)).toBe(reference.get(field));
        }
        expect(hash.size).toBe(reference.size);
        expect(hash.encoding).toBe(converted ? "hashtable" : "listpack");
        if (!converted) {
          // Listpack order is Map order: both append new keys and update in place.
          if (step % 50 === 0) expect(pairsOf(hash)).toEqual([...reference]);
          if (step % 50 === 0) expect(validateListpack(hash.listpackBytes()!)).toBe(2 * reference.size);
        }
      }
      expect(new Map(pairsOf(hash))).toEqual(reference);
      expect(converted).toBe(true);
    });
  }

  test("HSCAN on a listpack hash returns everything at once with cursor 0", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 20; i++) hash.set(`f${i}`, b("v"));
    const page = scanFields(hash, 0, 5);
    expect(page.cursor).toBe(0);
    expect(page.keys.length).toBe(20);
  });

  test("HSCAN on a hashtable hash pages through every field once", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 1000; i++) hash.set(`f${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    const { seen, rounds } = fullScan((cursor) => scanFields(hash, cursor, 10));
    expect(seen.length).toBe(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(rounds).toBeGreaterThan(50);
  });

  test("HSCAN guarantee: fields present throughout are returned despite churn between calls", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 2000; i++) hash.set(`stable${i}`, b("v"));
    for (let i = 0; i < 2000; i++) hash.set(`churn${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    let added = 0;
    const { seen } = fullScan(
      (cursor) => scanFields(hash, cursor, 50),
      (round) => {
        // Delete many, re-add some deleted ones (into freed slots) and add new ones, with
        // values long enough that the arena is compacted along the way. (Fewer additions
        // than the page size, or the scan would chase them forever.)
        for (let k = 0; k < 40; k++) hash.delete(`churn${(round * 40 + k) % 2000}`);
        for (let k = 0; k < 20; k++) hash.set(`churn${(round * 40 + k) % 2000}`, b("again".repeat(10)));
        for (let k = 0; k < 10; k++) hash.set(`new${added++}`, b("v"));
      },
    );
    const seenSet = new Set(seen);
    for (let i = 0; i < 2000; i++) expect(seenSet.has(`stable${i}`)).toBe(true);
    // Nothing that never existed shows up.
    for (const field of seenSet) expect(/^(stable|churn|new)\d+$/.test(field)).toBe(true);
  });

  for (const encoding of ["listpack", "hashtable"] as const) {
    test(`HRANDFIELD walks (${encoding}): distinct picks, repetitions, listpack order for small samples`, () => {
      const hash = new RedisHash();
      for (let i = 0; i < 30; i++) hash.set(`f${String(i).padStart(2, "0")}`, b(`v${i}`));
      hash.encoding = encoding;
      for (const count of [1, 5, 10, 11, 29]) {
        const picked = collect((v) => hash.forEachRandomDistinctPosition(count, v), hash);
        expect(picked.length).toBe(count);
        expect(new Set(picked).size).toBe(count);
        for (const field of picked) expect(hash.has(field)).toBe(true);
        // lpRandomPairsUnique: at most a third of a listpack comes back in listpack order.
        if (encoding === "listpack" && count * 3 <= 30) expect(picked).toEqual([...picked].sort());
      }
      const repeated = collect((v) => hash.forEachRandomPosition(200, v), hash);
      expect(repeated.length).toBe(200);
      expect(new Set(repeated).size).toBeGreaterThan(20);
      expect(hash.valueAt(hash.randomPosition()).length).toBeGreaterThan(1);
    });
  }

  test("random picks are fair after deletions (hashtable)", () => {
    const hash = new RedisHash();
    for (let i = 0; i < 1000; i++) hash.set(`f${i}`, b("v"));
    hash.convertIfNeeded(128, 64);
    for (let i = 0; i < 990; i++) hash.delete(`f${i}`);
    const counts = new Map<string, number>();
    for (let i = 0; i < 10000; i++) {
      const field = hash.fieldAt(hash.randomPosition());
      counts.set(field, (counts.get(field) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(count).toBeGreaterThan(700);
  });

  test("a clone shares nothing and keeps order and encoding", () => {
    for (const encoding of ["listpack", "hashtable"] as const) {
      const hash = new RedisHash();
      for (let i = 0; i < 10; i++) hash.set(`f${i}`, b(`v${i}`));
      hash.encoding = encoding;
      const copy = hash.clone();
      hash.set("f1", b("changed"));
      hash.delete("f2");
      expect(copy.encoding).toBe(encoding);
      expect(pairsOf(copy)).toEqual(Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]));
    }
  });

  test("setBytes, writeValue and writeFieldAt/writeValueAt agree with set(), get(), fieldAt() and valueAt(), in both encodings", () => {
    // Integer-looking fields are stored as listpack integers; the byte forms must match
    // them exactly as the string forms do ("007" and "-0" stay strings).
    const fields = ["1", "007", "-0", "-42", "9223372036854775807", "9223372036854775808", "field", "", "12345678901234567890"];
    const sink = { bytes: new Uint8Array(256), at: 0, bulkInto(n: number) { const at = this.at; this.at += n; return at; }, bulkText(text: string) { this.bytes.set(b(text), this.at); this.at += text.length; }, bulk(bytes: Uint8Array) { this.bytes.set(bytes, this.bulkInto(bytes.length)); } };
    const written = (hash: RedisHash, field: string): string | null => {
      sink.at = 0;
      return hash.writeValue(sink, b(field)) ? bytesToKey(sink.bytes.subarray(0, sink.at)) : null;
    };
    for (const encoding of ["listpack", "hashtable"] as const) {
      const hash = new RedisHash();
      if (encoding === "hashtable") hash.encoding = "hashtable";
      fields.forEach((field, i) => expect(hash.set(field, b(`s${i}`))).toBe(true));
      fields.forEach((field, i) => expect(hash.setBytes(b(field), b(`b${i}`))).toBe(false));
      expect(hash.setBytes(b("new"), b("12"))).toBe(true);
      expect(hash.encoding).toBe(encoding);
      fields.forEach((field, i) => {
        expect(bytesToKey(hash.get(field)!)).toBe(`b${i}`);
        expect(written(hash, field)).toBe(`b${i}`);
      });
      expect(written(hash, "new")).toBe("12");
      // HGETALL writes every pair from the hash's own bytes: the same text fieldAt/valueAt give.
      hash.forEachPosition((position) => {
        sink.at = 0;
        hash.writeFieldAt(sink, position);
        expect(bytesToKey(sink.bytes.subarray(0, sink.at))).toBe(hash.fieldAt(position));
        sink.at = 0;
        hash.writeValueAt(sink, position);
        expect(bytesToKey(sink.bytes.subarray(0, sink.at))).toBe(bytesToKey(hash.valueAt(position)));
      });
      expect(written(hash, "01")).toBeNull();
      expect(written(hash, "missing")).toBeNull();
      expect(hash.size).toBe(fields.length + 1);
    }
  });
});
