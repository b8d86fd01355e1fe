// The `bit` library (src/scripting/lib/bit.ts) against Redis 7.0's Lua BitOp, snippet by
// snippet through EVAL on a real redis-server (skipped when it is not installed), then on
// generated cases: number normalisation (wrapping, rounding, 2^51 and beyond, NaN and
// infinities, numeric strings), every function's arity and errors, tohex's widths.

import { describe, expect, test } from "bun:test";
import { openBit } from "../../src/scripting/lib/bit.ts";
import { openStruct } from "../../src/scripting/lib/struct.ts";
import { haveRedis, luaNumber, useLuaComparison } from "../helpers/lua-compare.ts";
import { libraryState, runLua } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";

const d = haveRedis ? describe : describe.skip;
// struct makes NaNs with payloads, whose low word BitOp reads.
const comparison = useLuaComparison(openBit, openStruct);

/** Numbers where BitOp's conversion has something to get right. */
const INTERESTING = [
  0, -0, 1, -1, 2, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 0.49999999999999994, 1e-300, 255, 256, 65535,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -(2 ** 32), 2 ** 32 + 0.5,
  2 ** 40 + 12345, 2 ** 51 - 1, 2 ** 51, 2 ** 51 + 1, 2 ** 52 - 0.5, 2 ** 52, 2 ** 52 + 1, 2 ** 52 + 2 ** 51 + 3,
  2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 2 ** 64, -(2 ** 64), 1e20, 1.7976931348623157e308, NaN, Infinity, -Infinity,
  0x12345678, 0xdeadbeef, -0x7654321,
];

const FUNCTIONS = ["tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap", "tohex"];

test("bit works without Redis: band, tohex, normalisation", () => {
  const lua = libraryState(openBit);
  expect(runLua(lua, "return tostring(bit.band(0xff, 0x0f))")).toEqual({ value: "15" });
  expect(runLua(lua, "return tostring(bit.tobit(2^32 + 5))")).toEqual({ value: "5" });
  expect(runLua(lua, "return tostring(bit.tobit(2^31))")).toEqual({ value: "-2147483648" });
  expect(runLua(lua, "return bit.tohex(255, -4)")).toEqual({ value: "00FF" });
  expect(runLua(lua, "return bit.tohex(1)")).toEqual({ value: "00000001" });
  expect(runLua(lua, "return bit.band(1, {})")).toEqual({ error: "user_script:1: bad argument #2 to 'band' (number expected, got table)" });
  lua.close();
});

d("bit matches Redis", () => {
  test("each function on interesting numbers", async () => {
    const snippets: string[] = [];
    for (const n of INTERESTING) {
      const x = luaNumber(n);
      for (const fn of ["tobit", "bnot", "bswap"]) snippets.push(`return tostring(bit.${fn}(${x}))`);
      snippets.push(`return bit.tohex(${x})`, `return bit.tohex(${x}, -8)`, `return bit.tohex(0x12345678, ${x})`);
      for (const fn of ["lshift", "rshift", "arshift", "rol", "ror"]) {
        snippets.push(`return tostring(bit.${fn}(${x}, 4))`, `return tostring(bit.${fn}(0x87654321, ${x}))`);
      }
      for (const fn of ["band", "bor", "bxor"]) snippets.push(`return tostring(bit.${fn}(${x}, 0x0f0f0f0f))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("tohex widths, shift counts, varargs", async () => {
    const snippets: string[] = [];
    for (let width = -12; width <= 12; width++) snippets.push(`return bit.tohex(-1, ${width})`, `return bit.tohex(0xabcdef, ${width})`);
    snippets.push("return bit.tohex(255, -2^31)", "return bit.tohex(255, 2^31)", "return bit.tohex(255, 2^32 - 3)", "return bit.tohex(255, 2.5)");
    for (let count = -33; count <= 70; count += 1) {
      for (const fn of ["lshift", "rshift", "arshift", "rol", "ror"]) snippets.push(`return tostring(bit.${fn}(0x80000001, ${count}))`);
    }
    snippets.push(
      "return tostring(bit.band(1))",
      "return tostring(bit.bor(1, 2, 4, 8, 16, 32, 64, 128, 2^31))",
      "return tostring(bit.bxor(-1, 1, 2, 3))",
      "return tostring(bit.band(-1, '255', ' 0x0f '))",
      "return tostring(bit.tobit('1e3'))",
      "return tostring(bit.tobit('  12  '))",
      "return tostring(bit.tobit(' 0x7fffffff '))",
      "return tostring(bit.tobit('4294967296'))",
      "return tostring(bit.tobit('nan'))",
      "return tostring(bit.tobit('inf'))",
      "return tostring(bit.tobit(0/0, 'ignored', {}))",
    );
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("wrong types and missing arguments, in BitOp's order", async () => {
    const snippets: string[] = [];
    for (const fn of FUNCTIONS) {
      snippets.push(
        `return tostring(bit.${fn}())`,
        `return tostring(bit.${fn}(nil))`,
        `return tostring(bit.${fn}('x'))`,
        `return tostring(bit.${fn}({}, 1))`,
        `return tostring(bit.${fn}(true))`,
        `return tostring(bit.${fn}(1, 'y'))`,
        `return tostring(bit.${fn}(1, nil))`,
        `return tostring(bit.${fn}(1, 2, {}))`,
        `return tostring(bit.${fn}(1, '', 3))`,
        `local f = bit.${fn} return tostring(f('z', 'z'))`,
        `return tostring(pcall(bit.${fn}, 'z'))`,
        `return select(2, pcall(bit.${fn}, 'z'))`,
      );
    }
    snippets.push("return tostring(bit.band(1, 'x', {}))", "return tostring(bit.bor(1, {}, 'x'))", "return tostring(bit.tohex(1, nil))");
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("NaN payloads: BitOp reads the low word", async () => {
    const snippets = [
      "return tostring(bit.tobit(struct.unpack('d', '\\1\\0\\0\\0\\0\\0\\240\\127')))",
      "return tostring(bit.tobit(struct.unpack('<d', '\\255\\255\\255\\127\\0\\0\\248\\255')))",
      "return tostring(bit.bnot(struct.unpack('<d', '\\5\\0\\0\\128\\0\\0\\248\\127')))",
      "return tostring(bit.tobit(struct.unpack('<f', '\\1\\0\\128\\127')))",
      "return tostring(bit.tobit(struct.unpack('<f', '\\255\\255\\255\\255')))",
      "return tostring(bit.band(0/0, -1))",
      "return tostring(bit.band(-(0/0), -1))",
    ];
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("generated cases", async () => {
    const random = seededRandom(0xb170b);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const number = (): string => {
      switch (Math.floor(random() * 6)) {
        case 0:
          return luaNumber(pick(INTERESTING));
        case 1:
          return luaNumber(Math.floor(random() * 2 ** 32) - 2 ** 31);
        case 2:
          return luaNumber((random() - 0.5) * 2 ** (random() * 70));
        case 3:
          return luaNumber(Math.round((random() - 0.5) * 2 ** 12) / 2);
        case 4:
          return `'${Math.floor(random() * 2 ** 33)}'`;
        default:
          return luaNumber(pick(INTERESTING) + Math.floor(random() * 9) - 4);
      }
    };
    const snippets: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const fn = pick(FUNCTIONS);
      const count = fn === "band" || fn === "bor" || fn === "bxor" ? 1 + Math.floor(random() * 4) : fn === "tobit" || fn === "bnot" || fn === "bswap" ? 1 : 2;
      const args = Array.from({ length: count }, number);
      if (fn === "tohex" && random() < 0.3) args.length = 1;
      snippets.push(fn === "tohex" ? `return bit.tohex(${args.join(", ")})` : `return tostring(bit.${fn}(${args.join(", ")}))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });
});
