// Tests of src/util/glob.ts, Redis's stringmatchlen.
//
// The golden tables were produced by redis-server 7.0.15 (KEYS on a database
// holding only the subject; CONFIG GET for the case-insensitive form, which is
// how Redis uses nocase). The differential test at the end replays random
// patterns against a live redis-server when one is installed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { globIsLiteral, globMatch, isMatchAllPattern } from "../../../src/util/glob.ts";
import { Random } from "../../../src/util/random.ts";
import { RedisOracle, latin1, redisServerPath } from "./redis-oracle.ts";

/** What KEYS answers: the bare "*" is short-circuited before the matcher. */
function keysMatches(pattern: string, subject: string): boolean {
  const patternBytes = latin1(pattern);
  return isMatchAllPattern(patternBytes) || globMatch(patternBytes, latin1(subject));
}

// [pattern, subject, does KEYS pattern return the key]
const KEYS_GOLDEN: [string, string, boolean][] = [
  ["hello", "hello", true],
  ["hello", "hell", false],
  ["hello", "helloo", false],
  ["h?llo", "hello", true],
  ["h?llo", "hllo", false],
  ["h*llo", "hllo", true],
  ["h*llo", "heeeello", true],
  ["h*llo", "heeeellox", false],
  ["h[ae]llo", "hello", true],
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hallo", true],
  ["h[^e]llo", "hello", false],
  ["h[a-b]llo", "hbllo", true],
  ["h[a-b]llo", "hcllo", false],
  ["h[b-a]llo", "hallo", true],
  ["h\\*llo", "h*llo", true],
  ["h\\*llo", "hello", false],
  ["h\\?llo", "h?llo", true],
  ["\\[a]", "[a]", true],
  ["[\\]]", "]", true],
  ["[\\-]", "-", true],
  ["[a\\-z]", "b", false],
  ["*", "x", true],
  ["**", "x", true],
  ["*a", "ba", true],
  ["*a", "ab", false],
  ["a*", "ab", true],
  ["a*b*c", "aXbYc", true],
  ["a*b*c", "aXbYcZ", false],
  ["*?", "a", true],
  ["?*", "a", true],
  ["*?*", "ab", true],
  ["??", "a", false],
  ["*", "", true],
  ["**", "", false],
  ["?", "", false],
  ["", "", true],
  ["", "a", false],
  ["[", "", false],
  ["[", "[", false],
  ["[", "a", false],
  ["[^", "a", true],
  ["[^", "ab", false],
  ["[abc", "b", true],
  ["[abc", "d", false],
  ["[abc", "bc", false],
  ["[^abc", "d", true],
  ["x[", "x", false],
  ["x[", "xa", false],
  ["[\\", "\\", true],
  ["[\\", "a", false],
  ["\\", "\\", true],
  ["a\\", "a\\", true],
  ["a\\", "a", false],
  ["\\\\", "\\", true],
  ["[]", "]", false],
  ["[]]", "]", false],
  ["[]]", "]]", false],
  ["[]a]", "a", false],
  ["[]a]", "]a]", false],
  ["[a-]", "b", false],
  ["[a-]", "]", true],
  ["[a-]", "^", true],
  ["[a-]x", "_", true],
  ["[a-]x", "_x", false],
  ["[a-]x]", "_", true],
  ["[-a]", "-", true],
  ["[-a]", "a", true],
  ["[--]", "-", true],
  ["[\xff-a]", "\x00", true],
  ["[\xff-a]", "a", true],
  ["[\xff-a]", "b", false],
  ["[\xff-a]", "\xff", true],
  ["[\xff-a]", "\xfe", false],
  ["[\x80-\xff]", "\x90", true],
  ["[\x80-\xff]", "a", false],
  ["[a-\x80]", "\x7f", false],
  ["[a-\x80]", "\x00", true],
  ["\xe4*", "\xe4\xb8\xad", true],
  ["?", "\xe4\xb8\xad", false],
  ["???", "\xe4\xb8\xad", true],
  ["a\x00b", "a\x00b", true],
  ["a?b", "a\x00b", true],
  ["*\x00*", "x\x00y", true],
  ["a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false],
  ["*a*a*a*a*a*a*a*a*", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true],
  ["user:*:name", "user:1000:name", true],
  ["user:*:name", "user:1000:email", false],
  ["*:[0-9][0-9]", "k:42", true],
  ["*:[0-9][0-9]", "k:4x", false],
];

// [pattern, does CONFIG GET pattern (nocase matching) return "maxmemory"]
const NOCASE_GOLDEN: [string, boolean][] = [
  ["[M-M]axmemory", true],
  ["[\\M]axmemory", false],
  ["MAXMEMORY", true],
  ["MaxMemory", true],
  ["[Z-a]axmemory", false],
  ["[^M]axmemory", false],
  ["[^N]axmemory", true],
  ["[L-N]AXMEMORY", true],
  ["maxmemor?", true],
  ["MAXMEMOR[X-Z]", true],
  ["*MEMORY", true],
];

describe("globMatch against Redis 7.0.15 answers", () => {
  test.each(KEYS_GOLDEN)("KEYS %j with key %j -> %p", (pattern, subject, expected) => {
    expect(keysMatches(pattern, subject)).toBe(expected);
  });

  test.each(NOCASE_GOLDEN)("nocase %j vs maxmemory -> %p", (pattern, expected) => {
    expect(globMatch(latin1(pattern), latin1("maxmemory"), true)).toBe(expected);
  });
});

describe("globMatch quirks", () => {
  test("an empty subject matches only the empty pattern, even for stars", () => {
    expect(globMatch(latin1("*"), latin1(""))).toBe(false);
    expect(globMatch(latin1(""), latin1(""))).toBe(true);
    expect(isMatchAllPattern(latin1("*"))).toBe(true);
    expect(isMatchAllPattern(latin1("**"))).toBe(false);
  });

  test("nocase folds only ASCII letters", () => {
    expect(globMatch(latin1("ABC"), latin1("abc"), true)).toBe(true);
    expect(globMatch(latin1("ABC"), latin1("abc"), false)).toBe(false);
    // 0xc4 and 0xe4 are A-umlaut in latin1 upper and lower case: not folded by the C locale.
    expect(globMatch(latin1("\xc4"), latin1("\xe4"), true)).toBe(false);
    expect(globMatch(latin1("[a-c]"), latin1("B"), true)).toBe(true);
    expect(globMatch(latin1("[a-c]"), latin1("B"), false)).toBe(false);
  });

  test("works on subarrays (byteOffset != 0)", () => {
    const buffer = latin1("xxuser:42yy");
    expect(globMatch(latin1("user:*"), buffer.subarray(2, 9))).toBe(true);
    expect(globMatch(latin1("user:4?"), buffer.subarray(2, 9))).toBe(true);
    expect(globMatch(latin1("user:4?"), buffer.subarray(2, 10))).toBe(false);
  });
});

describe("globMatch cost", () => {
  test("alternating stars against a long subject stay linear-ish (no exponential backtracking)", () => {
    const pattern = latin1("a*".repeat(40) + "b");
    const subject = latin1("a".repeat(20000));
    const started = performance.now();
    expect(globMatch(pattern, subject)).toBe(false);
    // The recursive matcher without Redis 7.0.9's skipLongerMatches would never finish.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("a pattern of 200k stars and letters does not overflow the stack", () => {
    const pattern = latin1("*a".repeat(100000));
    expect(globMatch(pattern, latin1("a".repeat(100000)))).toBe(true);
    expect(globMatch(pattern, latin1("a".repeat(99999)))).toBe(false);
  });
});

describe("globIsLiteral", () => {
  test("true only without * ? [ or backslash", () => {
    expect(globIsLiteral(latin1("user:1000"))).toBe(true);
    expect(globIsLiteral(latin1(""))).toBe(true);
    expect(globIsLiteral(latin1("a]b-c^"))).toBe(true);
    for (const special of ["a*", "a?", "a[b]", "a\\b"]) expect(globIsLiteral(latin1(special))).toBe(false);
  });

  test("a literal pattern matches exactly itself", () => {
    const pattern = latin1("key:\x00\xff]");
    expect(globMatch(pattern, latin1("key:\x00\xff]"))).toBe(true);
    expect(globMatch(pattern, latin1("key:\x00\xff"))).toBe(false);
  });
});

describe.skipIf(redisServerPath === null)("globMatch differential against a live redis-server", () => {
  let oracle: RedisOracle;
  beforeAll(async () => {
    oracle = await RedisOracle.start();
  });
  afterAll(async () => {
    await oracle.stop();
  });

  test("random patterns over a hostile alphabet give the same KEYS answer", async () => {
    const seed = Date.now() | 0;
    const random = new Random(seed);
    const patternAlphabet = ["a", "b", "A", "*", "?", "[", "]", "^", "-", "\\", "\xff", "\x80", "0"];
    const subjectAlphabet = ["a", "b", "A", "]", "-", "\\", "\xff", "\x80", "0", "^", "[", "*"];
    const subjects = new Set<string>([""]);
    while (subjects.size < 200) {
      let subject = "";
      const length = 1 + random.nextInt(6);
      for (let i = 0; i < length; i++) subject += subjectAlphabet[random.nextInt(subjectAlphabet.length)];
      subjects.add(subject);
    }
    await oracle.pipeline([["SELECT", "9"], ["FLUSHDB"], ...[...subjects].map((subject) => ["SET", subject, "1"])]);
    const patterns: string[] = [];
    for (let i = 0; i < 600; i++) {
      let pattern = "";
      const length = random.nextInt(8);
      for (let j = 0; j < length; j++) pattern += patternAlphabet[random.nextInt(patternAlphabet.length)];
      patterns.push(pattern);
    }
    const replies = await oracle.pipeline(patterns.map((pattern) => ["KEYS", pattern]));
    const mismatches: string[] = [];
    patterns.forEach((pattern, i) => {
      const real = new Set(replies[i] as string[]);
      for (const subject of subjects) {
        if (keysMatches(pattern, subject) !== real.has(subject)) {
          mismatches.push(`seed ${seed}: KEYS ${JSON.stringify(pattern)} key ${JSON.stringify(subject)} redis=${real.has(subject)}`);
        }
      }
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});

