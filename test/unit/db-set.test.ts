import { describe, expect, test } from "bun:test";
import { RedisSet } from "../../src/db/set.ts";
import { parseIntegerKey } from "../../src/db/listpack.ts";
import { decodeIntset, encodeIntset } from "../../src/db/intset.ts";
import { seededRandom } from "../helpers/random.ts";

describe("what an intset can hold: parseIntegerKey (Redis string2ll)", () => {
  test("accepts canonical int64 text", () => {
    for (const text of ["0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "1000000000000000000"]) {
      expect(parseIntegerKey(text)).not.toBeNull();
    }
  });

  test("refuses everything else", () => {
    for (const text of ["", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "1e3", "9223372036854775808",
      "-9223372036854775809", "99999999999999999999", "abc", "0x10", "12a"]) {
      expect(parseIntegerKey(text)).toBeNull();
    }
  });
});

/** One SSCAN step as the members it returns. */
function scanMembers(set: RedisSet, cursor: number, count: number): { cursor: number; keys: string[] } {
  const keys: string[] = [];
  const next = set.scan(cursor, count, (position) => keys.push(set.memberAt(position)));
  return { cursor: next, keys };
}

function collect(set: RedisSet, visitAll: (visit: (position: number) => void) => void): string[] {
  const out: string[] = [];
  visitAll((position) => out.push(set.memberAt(position)));
  return out;
}

/** Ascending numeric order of integer text, exactly (bigints beyond 2^53). */
function numericOrder(members: string[]): string[] {
  return [...members].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

describe("RedisSet", () => {
  test("an empty set", () => {
    const set = new RedisSet();
    expect(set.type).toBe("set");
    expect(set.encoding).toBe("intset");
    expect(set.size).toBe(0);
    expect(set.randomMember()).toBeUndefined();
    expect(set.popRandom()).toBeUndefined();
    expect(collect(set, (v) => set.forEachRandomPosition(5, v))).toEqual([]);
    expect(scanMembers(set, 0, 10)).toEqual({ cursor: 0, keys: [] });
  });

  test("add/delete report changes", () => {
    const set = new RedisSet();
    expect(set.add("1")).toBe(true);
    expect(set.add("1")).toBe(false);
    expect(set.has("1")).toBe(true);
    expect(set.has("01")).toBe(false);
    expect(set.delete("01")).toBe(false);
    expect(set.delete("1")).toBe(true);
    expect(set.delete("1")).toBe(false);
  });

  test("intset while members are integers, hashtable on the first non-integer", () => {
    const set = new RedisSet();
    set.add("3");
    set.add("-7");
    set.add("9223372036854775807");
    expect(set.encoding).toBe("intset");
    set.add("007"); // not canonical: Redis stores it as a string
    expect(set.encoding).toBe("hashtable");
    expect(set.has("3")).toBe(true);
    expect(set.has("007")).toBe(true);
    set.delete("007");
    expect(set.encoding).toBe("hashtable"); // one way
  });

  test("convertIfNeeded applies set-max-intset-entries", () => {
    const set = new RedisSet();
    for (let i = 0; i < 512; i++) set.add(String(i));
    expect(set.convertIfNeeded(512)).toBe(false);
    set.add("512");
    expect(set.convertIfNeeded(512)).toBe(true);
    expect(set.encoding).toBe("hashtable");
    expect(set.convertIfNeeded(512)).toBe(false);
    // setTypeConvert adds the integers ascending: slot order is their order.
    expect(set.orderedMembers()).toEqual(Array.from({ length: 513 }, (_, i) => String(i)));
  });

  test("an intset lists members in ascending numeric order, bigints included; its bytes are intset.c's", () => {
    const set = RedisSet.fromMembers(["10", "-3", "2", "9223372036854775807", "-9223372036854775808", "9007199254740993", "9007199254740992"]);
    expect(set.encoding).toBe("intset");
    const expected = ["-9223372036854775808", "-3", "2", "10", "9007199254740992", "9007199254740993", "9223372036854775807"];
    expect(set.orderedMembers()).toEqual(expected);
    const page = scanMembers(set, 0, 2);
    expect(page.cursor).toBe(0);
    expect(page.keys).toEqual(expected);
    expect(set.intsetBytes()).toEqual(encodeIntset(expected.map(BigInt)));
    set.add("0");
    expect(set.orderedMembers()[2]).toBe("0");
    set.delete("-3");
    expect(set.orderedMembers().slice(0, 3)).toEqual(["-9223372036854775808", "0", "2"]);
  });

  for (const seed of [1, 2, 3]) {
    test(`random operations agree with a Set across widths and the conversion (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const maxEntries = 20 + Math.floor(random() * 100);
      const set = new RedisSet();
      const reference = new Set<string>();
      const magnitudes = [100, 40_000, 3e9, 2 ** 62];
      for (let step = 0; step < 3000; step++) {
        // Widths grow over time (16, 32, 64 bits), as intsetUpgradeAndAdd sees them.
        const magnitude = magnitudes[Math.min(3, Math.floor(step / 500))]!;
        const integer = BigInt(Math.floor((random() - 0.5) * 2 * Math.min(magnitude, 2 ** 52))) * (magnitude > 2 ** 52 ? 1024n : 1n);
        const member = step > 2500 && random() < 0.05 ? `s${step}` : String(integer);
        const roll = random();
        if (roll < 0.6) {
          expect(set.add(member)).toBe(!reference.has(member));
          reference.add(member);
          set.convertIfNeeded(maxEntries);
        } else if (roll < 0.8) {
          const victim = random() < 0.5 && reference.size > 0 ? [...reference][Math.floor(random() * reference.size)]! : member;
          expect(set.delete(victim)).toBe(reference.delete(victim));
        } else expect(set.has(member)).toBe(reference.has(member));
        expect(set.size).toBe(reference.size);
        if (set.encoding === "intset" && step % 25 === 0) {
          expect(set.orderedMembers()).toEqual(numericOrder([...reference]));
          const bytes = set.intsetBytes()!;
          if (reference.size > 0) expect(decodeIntset(bytes).map(String)).toEqual(numericOrder([...reference]));
        }
      }
      expect(new Set(set.orderedMembers())).toEqual(reference);
      expect(set.encoding).toBe("hashtable");
    });
  }

  test("a hashtable set scans with a cursor and keeps the guarantee across changes", () => {
    const set = new RedisSet();
    for (let i = 0; i < 3000; i++) set.add(`m${i}`);
    expect(set.encoding).toBe("hashtable");
    const seen = new Set<string>();
    let cursor = 0;
    let rounds = 0;
    let extra = 0;
    do {
      const page = scanMembers(set, cursor, 100);
      for (const member of page.keys) seen.add(member);
      cursor = page.cursor;
      rounds++;
      // Remove members with odd index >= 1500 (never the "guaranteed" ones), add a few.
      for (let k = 0; k < 30; k++) set.delete(`m${1501 + 2 * ((rounds * 30 + k) % 749)}`);
      for (let k = 0; k < 5; k++) set.add(`extra${extra++}`);
    } while (cursor !== 0);
    expect(rounds).toBeGreaterThan(20);
    for (let i = 0; i < 1500; i++) expect(seen.has(`m${i}`)).toBe(true);
  });

  for (const kind of ["intset", "hashtable"] as const) {
    test(`random members (${kind}): distinct, or with repetition`, () => {
      const set = new RedisSet();
      for (let i = 0; i < 100; i++) set.add(kind === "intset" ? String(i * 7) : `m${i}`);
      expect(set.encoding).toBe(kind);
      for (const count of [1, 10, 33, 34, 99]) {
        const picks = collect(set, (v) => set.forEachRandomDistinctPosition(count, v));
        expect(picks.length).toBe(count);
        expect(new Set(picks).size).toBe(count);
        for (const member of picks) expect(set.has(member)).toBe(true);
      }
      const repeated = collect(set, (v) => set.forEachRandomPosition(300, v));
      expect(repeated.length).toBe(300);
      expect(new Set(repeated).size).toBeLessThan(300);
    });
  }

  test("SPOP with a count: both strategies remove what they return; a large one may leave an intset", () => {
    for (const count of [5, 30, 49, 50, 100]) {
      const set = new RedisSet();
      for (let i = 0; i < 50; i++) set.add(String(i));
      set.encoding = "hashtable";
      const popped = set.popRandomMembers(count, 512);
      expect(new Set(popped).size).toBe(Math.min(count, 50));
      for (const member of popped) expect(set.has(member)).toBe(false);
      expect(set.size).toBe(Math.max(0, 50 - count));
      // spopWithCountCommand's CASE 3 moves the members that stay into a fresh set
      // (an intset here) and replies the others in the old set's order.
      if (count * 5 >= 50 && count < 50) {
        expect(set.encoding as string).toBe("intset");
        expect(popped).toEqual([...popped].sort((a, b) => Number(a) - Number(b)));
      }
      if (count * 5 < 50) expect(set.encoding).toBe("hashtable");
    }
  });

  test("random picks are roughly uniform", () => {
    for (const kind of ["intset", "hashtable"] as const) {
      const set = new RedisSet();
      for (let i = 0; i < 20; i++) set.add(kind === "intset" ? String(i) : `m${i}`);
      const counts = new Map<string, number>();
      for (let i = 0; i < 40_000; i++) {
        const member = set.randomMember()!;
        counts.set(member, (counts.get(member) ?? 0) + 1);
      }
      expect(counts.size).toBe(20);
      for (const count of counts.values()) {
        expect(count).toBeGreaterThan(1600);
        expect(count).toBeLessThan(2400);
      }
    }
  });

  test("100k members", () => {
    const set = new RedisSet();
    for (let i = 0; i < 100_000; i++) set.add(String(i * 3));
    expect(set.encoding).toBe("intset");
    expect(set.convertIfNeeded(512)).toBe(true);
    expect(set.size).toBe(100_000);
    expect(set.has("299997")).toBe(true);
    expect(set.has("299998")).toBe(false);
    let total = 0;
    let cursor = 0;
    do {
      const page = scanMembers(set, cursor, 1000);
      total += page.keys.length;
      cursor = page.cursor;
    } while (cursor !== 0);
    expect(total).toBe(100_000);
  });
});
