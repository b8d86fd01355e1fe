import { describe, expect, test } from "bun:test";
import { LEX_MAX, LEX_MIN, RedisZSet, parseLexBound, type LexBound } from "../../src/db/zset.ts";
import { textToBytes } from "../../src/db/bytes.ts";
import { seededRandom } from "../helpers/random.ts";

const lex = (text: string): LexBound => {
  const bound = parseLexBound(textToBytes(text));
  if (bound === null) throw new Error(`bad lex bound ${text}`);
  return bound;
};
const members = (pairs: [string, number][]): string[] => pairs.map(([member]) => member);

/** Members a..e all with score 0, plus the classic 1/2/3 set. */
function sample(): RedisZSet {
  return RedisZSet.fromEntries([
    ["one", 1],
    ["two", 2],
    ["three", 3],
    ["minus", -Infinity],
    ["plus", Infinity],
  ]);
}

describe("RedisZSet ordering", () => {
  test("empty", () => {
    const zset = new RedisZSet();
    expect(zset.type).toBe("zset");
    expect(zset.encoding).toBe("listpack");
    expect(zset.size).toBe(0);
    expect([...zset]).toEqual([]);
    expect(zset.rank("x")).toBeUndefined();
    expect(zset.score("x")).toBeUndefined();
    expect(zset.rangeByRank(0, -1)).toEqual([]);
    expect(zset.rangeByScore(-Infinity, Infinity)).toEqual([]);
    expect(zset.rangeByLex(LEX_MIN, LEX_MAX)).toEqual([]);
    expect(zset.countInScoreRange(-Infinity, Infinity)).toBe(0);
    expect(zset.countInLexRange(LEX_MIN, LEX_MAX)).toBe(0);
    expect(zset.popMin(3)).toEqual([]);
    expect(zset.popMax()).toEqual([]);
    expect(zset.delete("x")).toBe(false);
    expect(zset.deleteRangeByRank(0, 10)).toBe(0);
    expect(zset.randomMember()).toBeUndefined();
    expect(zset.atRank(0)).toBeUndefined();
  });

  test("score ascending, ties by member bytes (memcmp)", () => {
    const zset = new RedisZSet();
    zset.add("b", 1);
    zset.add("a", 1);
    zset.add("\u00ff", 1);
    zset.add("\u0000", 1);
    zset.add("B", 1);
    zset.add("z", 0);
    zset.add("ab", 1);
    expect(members([...zset])).toEqual(["z", "\u0000", "B", "a", "ab", "b", "\u00ff"]);
    expect(members([...zset.descending()])).toEqual(["\u00ff", "b", "ab", "a", "B", "\u0000", "z"]);
  });

  test("infinities sort at the ends; -0 equals 0", () => {
    const zset = sample();
    expect(members([...zset])).toEqual(["minus", "one", "two", "three", "plus"]);
    zset.add("zero", 0);
    expect(zset.add("zero", -0)).toBe("unchanged");
    zset.add("negzero", -0);
    // Same score 0: ordered by member.
    expect(zset.rank("negzero")).toBe(1);
    expect(zset.rank("zero")).toBe(2);
  });

  test("rank forward and reverse, atRank", () => {
    const zset = sample();
    expect(zset.rank("minus")).toBe(0);
    expect(zset.rank("plus")).toBe(4);
    expect(zset.rank("plus", true)).toBe(0);
    expect(zset.rank("two", true)).toBe(2);
    expect(zset.rank("missing")).toBeUndefined();
    expect(zset.atRank(3)).toEqual(["three", 3]);
    expect(zset.atRank(5)).toBeUndefined();
  });
});

describe("RedisZSet updates", () => {
  test("add reports added / updated / unchanged", () => {
    const zset = new RedisZSet();
    expect(zset.add("m", 1)).toBe("added");
    expect(zset.add("m", 1)).toBe("unchanged");
    expect(zset.add("m", 5)).toBe("updated");
    expect(zset.score("m")).toBe(5);
    expect(zset.size).toBe(1);
  });

  test("updates that move an element keep ranks right", () => {
    const zset = new RedisZSet();
    for (let i = 0; i < 50; i++) zset.add(`m${i}`, i);
    zset.add("m0", 100);
    zset.add("m49", -1);
    zset.add("m25", 25.5); // stays in place
    expect(zset.rank("m49")).toBe(0);
    expect(zset.rank("m0")).toBe(49);
    expect(zset.rank("m25")).toBe(25);
    expect(zset.rank("m26")).toBe(26);
  });

  test("addWithFlags follows zsetAdd: NX, XX, GT, LT, INCR", () => {
    const zset = new RedisZSet();
    expect(zset.addWithFlags("a", 10, {})).toEqual({ outcome: "added", score: 10 });
    expect(zset.addWithFlags("a", 20, { nx: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.addWithFlags("b", 1, { xx: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.has("b")).toBe(false);
    expect(zset.addWithFlags("a", 5, { gt: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.addWithFlags("a", 10, { gt: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.addWithFlags("a", 15, { gt: true })).toEqual({ outcome: "updated", score: 15 });
    expect(zset.addWithFlags("a", 20, { lt: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.addWithFlags("a", 12, { lt: true })).toEqual({ outcome: "updated", score: 12 });
    // GT/LT do not stop new elements.
    expect(zset.addWithFlags("c", 1, { gt: true })).toEqual({ outcome: "added", score: 1 });
    expect(zset.addWithFlags("a", 3, { incr: true })).toEqual({ outcome: "updated", score: 15 });
    expect(zset.addWithFlags("a", 0, { incr: true })).toEqual({ outcome: "unchanged", score: 15 });
    expect(zset.addWithFlags("a", -1, { incr: true, gt: true })).toEqual({ outcome: "skipped", score: NaN });
    expect(zset.addWithFlags("new", 2.5, { incr: true })).toEqual({ outcome: "added", score: 2.5 });
    expect(zset.score("a")).toBe(15);
  });

  test("NaN never enters", () => {
    const zset = new RedisZSet();
    expect(zset.addWithFlags("a", NaN, {})).toEqual({ outcome: "nan", score: NaN });
    expect(zset.size).toBe(0);
    zset.add("inf", Infinity);
    expect(zset.addWithFlags("inf", -Infinity, { incr: true })).toEqual({ outcome: "nan", score: NaN });
    expect(zset.score("inf")).toBe(Infinity);
  });

  test("delete unlinks and keeps ranks", () => {
    const zset = sample();
    expect(zset.delete("two")).toBe(true);
    expect(zset.delete("two")).toBe(false);
    expect(members([...zset])).toEqual(["minus", "one", "three", "plus"]);
    expect(zset.rank("three")).toBe(2);
    expect(zset.size).toBe(4);
  });
});

describe("RedisZSet ranges", () => {
  test("rangeByRank forward and reverse (ZRANGE / ZREVRANGE)", () => {
    const zset = sample();
    expect(members(zset.rangeByRank(1, 3))).toEqual(["one", "two", "three"]);
    expect(members(zset.rangeByRank(0, 1, true))).toEqual(["plus", "three"]);
    expect(members(zset.rangeByRank(3, 100))).toEqual(["three", "plus"]);
    expect(zset.rangeByRank(3, 2)).toEqual([]);
    expect(zset.rangeByRank(4, 4)).toEqual([["plus", Infinity]]);
  });

  test("rangeByScore with inclusive/exclusive bounds, reverse, offset and count", () => {
    const zset = sample();
    expect(members(zset.rangeByScore(1, 3))).toEqual(["one", "two", "three"]);
    expect(members(zset.rangeByScore(1, 3, true, false))).toEqual(["two", "three"]);
    expect(members(zset.rangeByScore(1, 3, true, true))).toEqual(["two"]);
    expect(members(zset.rangeByScore(-Infinity, Infinity))).toEqual(["minus", "one", "two", "three", "plus"]);
    expect(members(zset.rangeByScore(-Infinity, Infinity, true, true))).toEqual(["one", "two", "three"]);
    expect(members(zset.rangeByScore(1, 3, false, false, true))).toEqual(["three", "two", "one"]);
    expect(members(zset.rangeByScore(-Infinity, Infinity, false, false, false, 1, 2))).toEqual(["one", "two"]);
    expect(members(zset.rangeByScore(-Infinity, Infinity, false, false, true, 1, 2))).toEqual(["three", "two"]);
    // Checked against Redis 7.0.15: LIMIT -1 x is empty, LIMIT x -1 is unlimited, LIMIT x 0 is empty.
    expect(zset.rangeByScore(-Infinity, Infinity, false, false, false, -1, 2)).toEqual([]);
    expect(members(zset.rangeByScore(-Infinity, Infinity, false, false, false, 1, -1))).toEqual(["one", "two", "three", "plus"]);
    expect(zset.rangeByScore(-Infinity, Infinity, false, false, false, 1, 0)).toEqual([]);
    expect(zset.rangeByScore(-Infinity, Infinity, false, false, false, 10, 5)).toEqual([]);
    expect(zset.rangeByScore(3, 1)).toEqual([]);
    expect(zset.rangeByScore(2, 2, true, false)).toEqual([]);
    expect(zset.rangeByScore(2, 2)).toEqual([["two", 2]]);
    expect(zset.rangeByScore(10, 20)).toEqual([]);
  });

  test("countInScoreRange (ZCOUNT)", () => {
    const zset = sample();
    expect(zset.countInScoreRange(-Infinity, Infinity)).toBe(5);
    expect(zset.countInScoreRange(1, 3)).toBe(3);
    expect(zset.countInScoreRange(1, 3, true, true)).toBe(1);
    expect(zset.countInScoreRange(4, 5)).toBe(0);
    expect(zset.countInScoreRange(3, 1)).toBe(0);
  });

  test("parseLexBound accepts what Redis accepts", () => {
    expect(parseLexBound(textToBytes("-"))).toBe(LEX_MIN);
    expect(parseLexBound(textToBytes("+"))).toBe(LEX_MAX);
    expect(parseLexBound(new Uint8Array([43, 0, 120]))).toBe(LEX_MAX); // C string: "+\0x" is "+"
    expect(parseLexBound(textToBytes("[abc"))).toEqual({ infinity: 0, value: "abc", exclusive: false });
    expect(parseLexBound(textToBytes("("))).toEqual({ infinity: 0, value: "", exclusive: true });
    for (const bad of ["", "a", "+x", "-x", "{a"]) expect(parseLexBound(textToBytes(bad))).toBeNull();
  });

  test("lex ranges over equal scores (checked against Redis 7.0.15)", () => {
    const zset = RedisZSet.fromEntries(["a", "b", "c", "d"].map((m) => [m, 0] as [string, number]));
    const cases: [string, string, string[]][] = [
      ["-", "-", []],
      ["+", "+", []],
      ["+", "-", []],
      ["[a", "(a", []],
      ["[a", "[a", ["a"]],
      ["(a", "[b", ["b"]],
      ["-", "(c", ["a", "b"]],
      ["[b", "+", ["b", "c", "d"]],
      ["-", "+", ["a", "b", "c", "d"]],
    ];
    for (const [min, max, expected] of cases) {
      expect(members(zset.rangeByLex(lex(min), lex(max)))).toEqual(expected);
      expect(zset.countInLexRange(lex(min), lex(max))).toBe(expected.length);
      expect(members(zset.rangeByLex(lex(min), lex(max), true))).toEqual([...expected].reverse());
    }
    expect(members(zset.rangeByLex(LEX_MIN, LEX_MAX, false, 1, 2))).toEqual(["b", "c"]);
    expect(members(zset.rangeByLex(LEX_MIN, LEX_MAX, true, 1, 2))).toEqual(["c", "b"]);
    expect(zset.rangeByLex(LEX_MIN, LEX_MAX, false, -1, 2)).toEqual([]);
  });

  test("lex ranges over mixed scores match Redis's listpack walk (Redis 7.0.15)", () => {
    const zset = RedisZSet.fromEntries([
      ["c", 1],
      ["a", 2],
      ["b", 3],
    ]);
    expect(members(zset.rangeByLex(lex("[b"), LEX_MAX))).toEqual(["c", "a", "b"]);
    expect(members(zset.rangeByLex(lex("[b"), LEX_MAX, true))).toEqual(["b"]);
    expect(zset.countInLexRange(lex("[b"), lex("[c"))).toBe(3);
    expect(zset.rangeByLex(LEX_MIN, lex("[a"))).toEqual([]);
  });

  test("deleteRangeByRank / ByScore / ByLex", () => {
    let zset = sample();
    expect(zset.deleteRangeByRank(1, 2)).toBe(2);
    expect(members([...zset])).toEqual(["minus", "three", "plus"]);
    expect(zset.rank("plus")).toBe(2);
    zset = sample();
    expect(zset.deleteRangeByScore(1, 3, false, true)).toBe(2);
    expect(members([...zset])).toEqual(["minus", "three", "plus"]);
    expect(zset.deleteRangeByScore(-Infinity, Infinity)).toBe(3);
    expect(zset.size).toBe(0);
    zset = RedisZSet.fromEntries(["a", "b", "c", "d", "e"].map((m) => [m, 0] as [string, number]));
    expect(zset.deleteRangeByLex(lex("(a"), lex("[c"))).toBe(2);
    expect(members([...zset])).toEqual(["a", "d", "e"]);
    expect(zset.deleteRangeByLex(lex("[x"), LEX_MAX)).toBe(0);
    expect(zset.rank("e")).toBe(2);
  });

  test("popMin / popMax", () => {
    const zset = sample();
    expect(zset.popMin()).toEqual([["minus", -Infinity]]);
    expect(zset.popMax(2)).toEqual([
      ["plus", Infinity],
      ["three", 3],
    ]);
    expect(zset.popMin(10)).toEqual([
      ["one", 1],
      ["two", 2],
    ]);
    expect(zset.size).toBe(0);
  });
});

describe("RedisZSet encodings", () => {
  test("listpack -> skiplist on entries or member length, one way", () => {
    const zset = new RedisZSet();
    for (let i = 0; i < 128; i++) zset.add(`m${i}`, i);
    expect(zset.convertIfNeeded(128, 64)).toBe(false);
    zset.add("extra", 1000);
    expect(zset.convertIfNeeded(128, 64)).toBe(true);
    expect(zset.encoding).toBe("skiplist");
    zset.popMin(100);
    expect(zset.convertIfNeeded(128, 64)).toBe(false);
    expect(zset.encoding).toBe("skiplist");

    const long = new RedisZSet();
    long.add("x".repeat(64), 1);
    expect(long.convertIfNeeded(128, 64)).toBe(false);
    long.add("y".repeat(65), 1);
    expect(long.convertIfNeeded(128, 64)).toBe(true);
  });

  test("an update to an existing member does not count as a long member added", () => {
    const zset = new RedisZSet();
    zset.addWithFlags("x".repeat(100), 1, {}, 128, 200);
    zset.addWithFlags("x".repeat(100), 2, {}, 128, 64);
    expect(zset.encoding).toBe("listpack");
    zset.addWithFlags("y".repeat(65), 2, {}, 128, 64);
    expect(zset.encoding).toBe("skiplist");
  });

  test("zset-max-listpack-entries 0 makes even one element a skiplist", () => {
    const zset = new RedisZSet();
    zset.add("a", 1);
    expect(zset.convertIfNeeded(0, 64)).toBe(true);
  });

  test("convertToListpackIfFits (ZUNIONSTORE results, loading)", () => {
    const zset = new RedisZSet("skiplist");
    zset.add("a", 1);
    zset.add("b".repeat(70), 2);
    expect(zset.convertToListpackIfFits(128, 64)).toBe(false);
    zset.delete("b".repeat(70));
    expect(zset.convertToListpackIfFits(0, 64)).toBe(false);
    expect(zset.convertToListpackIfFits(128, 64)).toBe(true);
    expect(zset.encoding as string).toBe("listpack");
  });

  test("ZSCAN: listpack whole and sorted with cursor 0; skiplist by cursor with the guarantee", () => {
    const small = RedisZSet.fromEntries([
      ["b", 2],
      ["a", 1],
    ]);
    expect(small.scan(0, 1)).toEqual({ cursor: 0, keys: ["a", "b"], scores: ["1", "2"] });

    const big = new RedisZSet();
    for (let i = 0; i < 2000; i++) big.add(`m${i}`, i % 7);
    big.convertIfNeeded(128, 64);
    const seen = new Set<string>();
    let cursor = 0;
    let rounds = 0;
    do {
      const page = big.scan(cursor, 50);
      for (const member of page.keys) seen.add(member);
      cursor = page.cursor;
      rounds++;
      // Score changes must not hide members, and removals/additions are tolerated.
      big.add(`m${rounds}`, -rounds);
      big.delete(`m${1000 + rounds}`);
      big.add(`new${rounds}`, rounds);
    } while (cursor !== 0);
    expect(rounds).toBeGreaterThan(20);
    for (let i = 0; i < 1000; i++) expect(seen.has(`m${i}`)).toBe(true);
  });

  test("random members", () => {
    for (const encoding of ["listpack", "skiplist"] as const) {
      const zset = new RedisZSet(encoding);
      for (let i = 0; i < 100; i++) zset.add(`m${i}`, i);
      const collect = (pick: (visit: (member: string, score: number) => void) => void): [string, number][] => {
        const out: [string, number][] = [];
        pick((member, score) => out.push([member, score]));
        return out;
      };
      for (const count of [2, 10, 34, 99]) {
        const picks = collect((visit) => zset.randomDistinctMembers(count, visit));
        expect(picks.length).toBe(count);
        expect(new Set(members(picks)).size).toBe(count);
        for (const [member, score] of picks) expect(zset.score(member)).toBe(score);
      }
      expect(members(collect((visit) => zset.randomDistinctMembers(100, visit)))).toEqual(members([...zset.descending()]));
      const repeated = collect((visit) => zset.randomMembersWithRepetition(500, visit));
      expect(repeated.length).toBe(500);
      for (const [member, score] of repeated) expect(zset.score(member)).toBe(score);
      // Every member comes up among many picks (a uniform draw misses one with odds of about 1e-15).
      expect(new Set(members(collect((visit) => zset.randomMembersWithRepetition(5000, visit)))).size).toBe(100);
      expect(zset.has(zset.randomMember()!)).toBe(true);
    }
  });
});

describe("RedisZSet against a sorted-array model", () => {
  test("100k random operations keep ranks, ranges and counts exact", () => {
    const random = seededRandom(7);
    const zset = new RedisZSet();
    const model = new Map<string, number>();
    const sortedModel = () =>
      [...model.entries()].sort((a, b) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let step = 0; step < 100_000; step++) {
      const member = `m${Math.floor(random() * 3000)}`;
      const op = random();
      if (op < 0.6) {
        const score = Math.floor(random() * 200) / 4; // many ties
        const expected = !model.has(member) ? "added" : model.get(member) === score ? "unchanged" : "updated";
        expect(zset.addWithFlags(member, score, {}, 128, 64).outcome).toBe(expected);
        model.set(member, score);
      } else if (op < 0.9) {
        expect(zset.delete(member)).toBe(model.delete(member));
      } else {
        expect(zset.score(member)).toBe(model.get(member));
      }
    }
    zset.convertIfNeeded(128, 64);
    expect(zset.encoding).toBe("skiplist");
    const sorted = sortedModel();
    expect([...zset]).toEqual(sorted);
    expect(zset.size).toBe(sorted.length);
    for (let i = 0; i < sorted.length; i += 37) {
      expect(zset.rank(sorted[i]![0])).toBe(i);
      expect(zset.rank(sorted[i]![0], true)).toBe(sorted.length - 1 - i);
      expect(zset.atRank(i)).toEqual(sorted[i]!);
    }
    expect(zset.rangeByRank(100, 140)).toEqual(sorted.slice(100, 141));
    expect(zset.rangeByRank(0, 9, true)).toEqual(sorted.slice(-10).reverse());
    for (const [min, max] of [[0, 10], [10.25, 10.25], [20, 49.75], [-5, 0]]) {
      const inRange = sorted.filter(([, s]) => s >= min! && s <= max!);
      expect(zset.rangeByScore(min!, max!)).toEqual(inRange);
      expect(zset.countInScoreRange(min!, max!)).toBe(inRange.length);
      const exclusive = sorted.filter(([, s]) => s > min! && s < max!);
      expect(zset.countInScoreRange(min!, max!, true, true)).toBe(exclusive.length);
      expect(zset.rangeByScore(min!, max!, false, false, true, 3, 5)).toEqual(inRange.slice().reverse().slice(3, 8));
    }
    const removedByScore = sorted.filter(([, s]) => s >= 5 && s < 6).length;
    expect(zset.deleteRangeByScore(5, 6, false, true)).toBe(removedByScore);
    const afterScore = sorted.filter(([, s]) => !(s >= 5 && s < 6));
    expect(zset.deleteRangeByRank(10, 19)).toBe(10);
    afterScore.splice(10, 10);
    expect([...zset]).toEqual(afterScore);
    for (let i = 0; i < afterScore.length; i += 53) expect(zset.rank(afterScore[i]![0])).toBe(i);
  });
});

describe("RedisZSet in both encodings against a model, across conversions", () => {
  type Pair = [string, number];
  const order = (a: Pair, b: Pair) => (a[1] !== b[1] ? a[1] - b[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const lexIn = (member: string, min: LexBound, max: LexBound) => {
    const aboveMin = min.infinity === -1 || (min.infinity === 0 && (min.exclusive ? member > min.value : member >= min.value));
    const belowMax = max.infinity === 1 || (max.infinity === 0 && (max.exclusive ? member < max.value : member <= max.value));
    return aboveMin && belowMax;
  };

  for (const seed of [11, 12, 13]) {
    test(`random operations, every query checked (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const maxEntries = 16;
      const maxValue = 12;
      const zset = new RedisZSet();
      const model = new Map<string, number>();
      // One phase in three gives every element score 0, where lex ranges are well defined.
      let sameScores = false;
      const encodingSteps = { listpack: 0, skiplist: 0 };
      const pickMember = () => {
        const n = Math.floor(random() * 60);
        // Some integer-looking members (integer listpack entries) and a few too long for a listpack.
        if (n < 10) return String(n * 7 - 20);
        if (n === 59) return `long-member-${Math.floor(random() * 3)}`;
        return `m${String.fromCharCode(97 + (n % 26))}${n}`;
      };
      const pickScore = () => {
        if (sameScores) return 0;
        const r = random();
        if (r < 0.05) return r < 0.025 ? Infinity : -Infinity;
        if (r < 0.1) return -0;
        if (r < 0.5) return Math.floor(random() * 10);
        if (r < 0.55) return 2 ** 62 * (random() < 0.5 ? 1 : 4);
        // Full-precision doubles (17-digit texts in a listpack), and neighbours of stored
        // scores a few ulps away, where only an exact conversion orders them right.
        if (r < 0.7) return (random() * 20 - 10) * 10 ** Math.floor(random() * 40 - 20);
        if (r < 0.8 && model.size > 0) {
          const near = [...model.values()][Math.floor(random() * model.size)]!;
          if (Number.isFinite(near) && near !== 0) return near * (1 + (Math.floor(random() * 5) - 2) * 2 ** -52);
        }
        return Math.round((random() * 20 - 10) * 1000) / 1000;
      };
      const pickLex = (): LexBound => {
        const r = random();
        if (r < 0.1) return r < 0.05 ? LEX_MIN : LEX_MAX;
        return { infinity: 0, value: pickMember().slice(0, 1 + Math.floor(random() * 3)), exclusive: random() < 0.5 };
      };
      for (let step = 0; step < 6000; step++) {
        if (step % 500 === 0) sameScores = random() < 0.34;
        if (sameScores) for (const [member, score] of [...model]) if (score !== 0) {
          zset.add(member, 0);
          model.set(member, 0);
        }
        const op = random();
        // Phases that grow the set past the listpack limit, and phases that shrink it back.
        const addShare = Math.floor(step / 300) % 2 === 0 ? 0.45 : 0.15;
        if (op < addShare) {
          const member = pickMember();
          const score = pickScore();
          const had = model.has(member);
          const result = zset.addWithFlags(member, score, {}, maxEntries, maxValue);
          expect(result.outcome).toBe(!had ? "added" : model.get(member) === score ? "unchanged" : "updated");
          // A listpack stores -0 as 0; the encoding it had when written decides (Redis converts first).
          const stored = result.outcome === "unchanged" ? model.get(member)! : zset.encoding === "listpack" && score === 0 ? 0 : score;
          model.set(member, stored);
          if (zset.encoding === "listpack" && zset.size > maxEntries) throw new Error("listpack past its limit");
        } else if (op < 0.6) {
          const member = random() < 0.5 && model.size > 0 ? [...model.keys()][Math.floor(random() * model.size)]! : pickMember();
          expect(zset.delete(member)).toBe(model.delete(member));
        } else if (op < 0.65) {
          const [min, max] = [pickScore(), pickScore()];
          const expected = [...model].filter(([, s]) => s >= min && s < max).length;
          expect(zset.deleteRangeByScore(min, max, false, true)).toBe(expected);
          for (const [m, s] of [...model]) if (s >= min && s < max) model.delete(m);
        } else if (op < 0.68 && model.size > 0) {
          const sorted = [...model].sort(order);
          const start = Math.floor(random() * sorted.length);
          const stop = Math.min(sorted.length - 1, start + Math.floor(random() * 4));
          expect(zset.deleteRangeByRank(start, stop)).toBe(stop - start + 1);
          for (const [m] of sorted.slice(start, stop + 1)) model.delete(m);
        } else if (op < 0.7 && sameScores) {
          const [min, max] = [pickLex(), pickLex()];
          const expected = [...model].filter(([m]) => lexIn(m, min, max));
          expect(zset.deleteRangeByLex(min, max)).toBe(expected.length);
          for (const [m] of expected) model.delete(m);
        } else if (op < 0.73) {
          const count = 1 + Math.floor(random() * 3);
          const sorted = [...model].sort(order);
          const fromTop = random() < 0.5;
          const expected = fromTop ? sorted.slice(-count).reverse() : sorted.slice(0, count);
          expect(fromTop ? zset.popMax(count) : zset.popMin(count)).toEqual(expected);
          for (const [m] of expected) model.delete(m);
        } else if (op < 0.75) {
          zset.convertToListpackIfFits(maxEntries, maxValue);
          for (const [m, s] of model) if (Object.is(s, -0) && zset.encoding === "listpack") model.set(m, 0);
        } else {
          // Queries.
          const sorted = [...model].sort(order);
          expect(zset.size).toBe(sorted.length);
          const [a, b] = [pickScore(), pickScore()];
          const [minEx, maxEx] = [random() < 0.3, random() < 0.3];
          const inRange = sorted.filter(([, s]) => (minEx ? s > a : s >= a) && (maxEx ? s < b : s <= b));
          const offset = random() < 0.5 ? 0 : Math.floor(random() * 4);
          const limit = random() < 0.5 ? -1 : Math.floor(random() * 5);
          const window = (items: Pair[]) => items.slice(offset, limit < 0 ? undefined : offset + limit);
          expect(zset.rangeByScore(a, b, minEx, maxEx, false, offset, limit)).toEqual(window(inRange));
          expect(zset.rangeByScore(a, b, minEx, maxEx, true, offset, limit)).toEqual(window([...inRange].reverse()));
          expect(zset.countInScoreRange(a, b, minEx, maxEx)).toBe(inRange.length);
          if (sorted.length > 0) {
            const i = Math.floor(random() * sorted.length);
            const [member, score] = sorted[i]!;
            expect(zset.rank(member)).toBe(i);
            expect(zset.rank(member, true)).toBe(sorted.length - 1 - i);
            expect(zset.score(member)).toBe(score);
            expect(zset.atRank(i)).toEqual(sorted[i]!);
            const j = Math.min(sorted.length - 1, i + Math.floor(random() * 5));
            expect(zset.rangeByRank(i, j)).toEqual(sorted.slice(i, j + 1));
            expect(zset.rangeByRank(i, j, true)).toEqual([...sorted].reverse().slice(i, j + 1));
          }
          expect(zset.rank("absent")).toBeUndefined();
          if (sameScores) {
            const [min, max] = [pickLex(), pickLex()];
            const lexRange = sorted.filter(([m]) => lexIn(m, min, max));
            expect(zset.rangeByLex(min, max, false, offset, limit)).toEqual(window(lexRange));
            expect(zset.rangeByLex(min, max, true, offset, limit)).toEqual(window([...lexRange].reverse()));
            expect(zset.countInLexRange(min, max)).toBe(lexRange.length);
          }
        }
        encodingSteps[zset.encoding]++;
        if (step % 250 === 0) {
          const sorted = [...model].sort(order);
          expect([...zset]).toEqual(sorted);
          expect([...zset.descending()]).toEqual([...sorted].reverse());
          const copy = zset.clone();
          expect(copy.encoding).toBe(zset.encoding);
          expect([...copy]).toEqual(sorted);
          const scanned: string[] = [];
          let cursor = 0;
          do {
            const page = zset.scan(cursor, 5);
            scanned.push(...page.keys);
            cursor = page.cursor;
          } while (cursor !== 0);
          expect(scanned.sort()).toEqual([...model.keys()].sort());
        }
      }
      // Both encodings saw a fair share of the run (the conversions went both ways).
      expect(encodingSteps.listpack).toBeGreaterThan(1000);
      expect(encodingSteps.skiplist).toBeGreaterThan(1000);
    });
  }

  test("a listpack holds its bytes as Redis's: integer scores as integers, -0 as 0, others as d2string text", () => {
    const zset = new RedisZSet();
    zset.add("a", 1.5);
    zset.add("b", -0);
    zset.add("c", 2 ** 62);
    zset.add("d", Infinity);
    zset.add("100", 3);
    expect(zset.scan(0, 10)).toEqual({ cursor: 0, keys: ["b", "a", "100", "c", "d"], scores: ["0", "1.5", "3", "4611686018427387904", "inf"] });
    expect(Object.is(zset.score("b"), 0)).toBe(true);
    expect(zset.score("d")).toBe(Infinity);
    const skiplist = new RedisZSet("skiplist");
    skiplist.add("b", -0);
    expect(Object.is(skiplist.score("b"), -0)).toBe(true);
    expect(skiplist.convertToListpackIfFits(128, 64)).toBe(true);
    expect(Object.is(skiplist.score("b"), 0)).toBe(true);
    expect(skiplist.listpackBytes()).toEqual(RedisZSet.fromEntries([["b", 0]]).listpackBytes());
  });
});
