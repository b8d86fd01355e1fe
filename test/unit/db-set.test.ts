import { describe, expect, test } from "bun:test";
import { RedisSet, isCanonicalInt64 } from "../../src/db/set.ts";

describe("isCanonicalInt64 (Redis string2ll)", () => {
  test("accepts canonical int64 text", () => {
    for (const text of ["0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "1000000000000000000"]) {
      expect(isCanonicalInt64(text)).toBe(true);
    }
  });

  test("refuses everything else", () => {
    for (const text of ["", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "1e3", "9223372036854775808",
      "-9223372036854775809", "99999999999999999999", "abc", "0x10", "12a"]) {
      expect(isCanonicalInt64(text)).toBe(false);
    }
  });
});

describe("RedisSet", () => {
  test("an empty set", () => {
    const set = new RedisSet();
    expect(set.type).toBe("set");
    expect(set.encoding).toBe("intset");
    expect(set.size).toBe(0);
    expect(set.randomMember()).toBeUndefined();
    expect(set.popRandom()).toBeUndefined();
    expect(set.randomMembers(5)).toEqual([]);
    expect(set.randomMembersWithRepetition(5)).toEqual([]);
    expect(set.scan(0, 10)).toEqual({ cursor: 0, keys: [] });
  });

  test("add/delete report changes", () => {
    const set = new RedisSet();
    expect(set.add("1")).toBe(true);
    expect(set.add("1")).toBe(false);
    expect(set.has("1")).toBe(true);
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
    set.delete("007");
    expect(set.encoding).toBe("hashtable"); // one way
  });

  test("writes straight on .members convert too (the loader's path)", () => {
    const set = new RedisSet();
    set.members.add("10");
    expect(set.encoding).toBe("intset");
    set.members.add("ten");
    expect(set.encoding).toBe("hashtable");
  });

  test("convertIfNeeded applies set-max-intset-entries", () => {
    const set = new RedisSet();
    for (let i = 0; i < 512; i++) set.add(String(i));
    expect(set.convertIfNeeded(512)).toBe(false);
    set.add("512");
    expect(set.convertIfNeeded(512)).toBe(true);
    expect(set.encoding).toBe("hashtable");
    expect(set.convertIfNeeded(512)).toBe(false);
  });

  test("an intset lists members in ascending numeric order, bigints included", () => {
    const set = RedisSet.fromMembers(["10", "-3", "2", "9223372036854775807", "-9223372036854775808", "9007199254740993", "9007199254740992"]);
    expect(set.encoding).toBe("intset");
    const expected = ["-9223372036854775808", "-3", "2", "10", "9007199254740992", "9007199254740993", "9223372036854775807"];
    expect([...set.orderedMembers()]).toEqual(expected);
    const page = set.scan(0, 2);
    expect(page.cursor).toBe(0);
    expect(page.keys).toEqual(expected);
    // The cache is refreshed after a change.
    set.add("0");
    expect(set.orderedMembers()[2]).toBe("0");
    set.delete("-3");
    expect([...set.orderedMembers()].slice(0, 3)).toEqual(["-9223372036854775808", "0", "2"]);
  });

  test("a hashtable set scans with a cursor and keeps the guarantee across changes", () => {
    const set = new RedisSet();
    for (let i = 0; i < 3000; i++) set.add(`m${i}`);
    expect(set.encoding).toBe("hashtable");
    const seen = new Set<string>();
    let cursor = 0;
    let rounds = 0;
    let extra = 0;
    do {
      const page = set.scan(cursor, 100);
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

  test("random members: distinct, bounded, or with repetition", () => {
    const set = new RedisSet();
    for (let i = 0; i < 100; i++) set.add(`m${i}`);
    for (const count of [1, 10, 33, 34, 99]) {
      const picks = set.randomMembers(count);
      expect(picks.length).toBe(count);
      expect(new Set(picks).size).toBe(count);
      for (const member of picks) expect(set.has(member)).toBe(true);
    }
    expect(new Set(set.randomMembers(500)).size).toBe(100);
    const repeated = set.randomMembersWithRepetition(300);
    expect(repeated.length).toBe(300);
    expect(new Set(repeated).size).toBeLessThan(300);
  });

  test("SRANDMEMBER with count >= size on an intset returns it sorted", () => {
    const set = RedisSet.fromMembers(["5", "1", "3"]);
    expect(set.randomMembers(10)).toEqual(["1", "3", "5"]);
  });

  test("popRandom and popRandomMembers remove what they return", () => {
    const set = new RedisSet();
    for (let i = 0; i < 50; i++) set.add(String(i));
    const one = set.popRandom()!;
    expect(set.has(one)).toBe(false);
    expect(set.size).toBe(49);
    const several = set.popRandomMembers(20);
    expect(new Set(several).size).toBe(20);
    for (const member of several) expect(set.has(member)).toBe(false);
    expect(set.size).toBe(29);
    const rest = set.popRandomMembers(100);
    expect(rest.length).toBe(29);
    expect(set.size).toBe(0);
  });

  test("random picks are roughly uniform", () => {
    const set = new RedisSet();
    for (let i = 0; i < 20; i++) set.add(`m${i}`);
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
      const page = set.scan(cursor, 1000);
      total += page.keys.length;
      cursor = page.cursor;
    } while (cursor !== 0);
    expect(total).toBe(100_000);
  });
});
