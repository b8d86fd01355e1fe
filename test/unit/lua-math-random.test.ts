// math.random and math.randomseed (src/scripting/lib/math-random.ts) against Redis 7.0's
// redisLrand48-based replacements, through EVAL on a fresh redis-server (skipped when it
// is not installed). Redis 7.0 never reseeds between scripts, so the sequence runs on
// from one EVAL to the next: the snippets run in the same order on both sides, starting
// from the state a new server has.

import { describe, expect, test } from "bun:test";
import { openMathRandom, redisLrand48, redisSrand48, resetScriptRandom } from "../../src/scripting/lib/math-random.ts";
import { haveRedis, luaNumber, useLuaComparison } from "../helpers/lua-compare.ts";
import { libraryState, runLua } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";

const d = haveRedis ? describe : describe.skip;
const comparison = useLuaComparison(openMathRandom);

describe("redisLrand48", () => {
  test("is drand48's generator: X' = (0x5DEECE66D X + 0xB) mod 2^48, top 31 bits", () => {
    let state = 0x1234abcd330en;
    resetScriptRandom();
    for (let i = 0; i < 1000; i++) {
      state = (0x5deece66dn * state + 0xbn) & ((1n << 48n) - 1n);
      expect(redisLrand48()).toBe(Number(state >> 17n));
    }
    redisSrand48(-1);
    state = 0xffffffff330en;
    state = (0x5deece66dn * state + 0xbn) & ((1n << 48n) - 1n);
    expect(redisLrand48()).toBe(Number(state >> 17n));
    resetScriptRandom();
  });

  test("one sequence for every Lua state, refused outside a script when told so", () => {
    resetScriptRandom();
    const first = libraryState(openMathRandom);
    let running = false;
    const second = libraryState((lua) => openMathRandom(lua, () => running));
    const a = runLua(first, "return tostring(math.random())");
    expect(runLua(second, "return tostring(math.random())")).toEqual({ error: "user_script:1: math.random can only be called inside a script invocation" });
    expect(runLua(second, "math.randomseed(1)")).toEqual({ error: "user_script:1: math.randomseed can only be called inside a script invocation" });
    running = true;
    const b = runLua(second, "return tostring(math.random())");
    resetScriptRandom();
    expect(runLua(second, "return tostring(math.random())")).toEqual(a);
    expect(runLua(first, "return tostring(math.random())")).toEqual(b);
    first.close();
    second.close();
    resetScriptRandom();
  });
});

d("math.random matches Redis", () => {
  test("the sequence from a fresh server, arguments, errors and seeds", async () => {
    resetScriptRandom();
    const random = seededRandom(0x4a4d);
    const snippets: string[] = [
      // Before any seed: the state Redis starts with.
      "return tostring(math.random())",
      "local t = {} for i = 1, 20 do t[i] = math.random() end return table.concat(t, ',')",
      "return tostring(math.random(10))",
      "return tostring(math.random(5, 7))",
    ];
    const argumentCases = [
      "", "0", "1", "-1", "3, 2", "1, 2, 3", "'x'", "nil", "{}", "1, nil", "nil, 1", "2^31", "2^31 - 1", "-2^31, 2^31 - 1", "-2^31, -2^31",
      "2^32 + 5", "2^63", "0/0", "1/0", "'7'", "' 0x10 '", "1.9", "-1.9, 1.9", "0.5", "100, 100", "-5, -3", "2^31 - 2, 2^31 - 1", "1e10, 1e10 + 5",
    ];
    for (const args of argumentCases) snippets.push(`return tostring(math.random(${args}))`);
    for (const seed of ["0", "1", "-1", "42", "2^31", "2^32", "2^40 + 7", "2^63", "-2^63", "0/0", "1/0", "'12'", "1.5", "-0.5", "0x12345678", "nil", "'x'", "", "{}"]) {
      snippets.push(`math.randomseed(${seed}) local t = {} for i = 1, 5 do t[i] = math.random(1000000) end return table.concat(t, ',')`);
      snippets.push(`return tostring(math.randomseed(${seed}))`);
    }
    for (let n = 0; n < 500; n++) {
      const kind = Math.floor(random() * 5);
      if (kind === 0) snippets.push(`math.randomseed(${luaNumber(Math.floor((random() - 0.5) * 2 ** (random() * 40)))}) return tostring(math.random())`);
      else if (kind === 1) snippets.push(`return tostring(math.random(${luaNumber(Math.floor(random() * 2 ** (random() * 34)))}))`);
      else if (kind === 2) {
        const low = Math.floor((random() - 0.5) * 2 ** (random() * 33));
        const high = low + Math.floor(random() * 2 ** (random() * 33)) - 16;
        snippets.push(`return tostring(math.random(${luaNumber(low)}, ${luaNumber(high)}))`);
      } else snippets.push("local t = {} for i = 1, 10 do t[i] = math.random() end return table.concat(t, ',')");
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
    expect(comparison().lastErrorCount).toBeLessThan(snippets.length / 4);
  });
});
