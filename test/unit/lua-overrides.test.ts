// string.format and tonumber with Redis's 64-bit behaviour (src/scripting/lib/lua-overrides.ts)
// against Redis 7.0 through EVAL on a real redis-server (skipped when it is not
// installed): integer conversions beyond 32 bits and their casts of NaN, infinities and
// out-of-range values, flags/width/precision, %c/%s/%q's C-string quirks, the format
// errors; tonumber in bases 2..36 with strtoul's rules. Then generated cases of both.

import { describe, expect, test } from "bun:test";
import { openLuaOverrides } from "../../src/scripting/lib/lua-overrides.ts";
import { haveRedis, luaBytes, luaNumber, useLuaComparison } from "../helpers/lua-compare.ts";
import { libraryState, runLua } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";

const d = haveRedis ? describe : describe.skip;

function pick<T>(random: () => number, items: T[]): T {
  return items[Math.floor(random() * items.length)]!;
}
const comparison = useLuaComparison(openLuaOverrides);

const NUMBERS = [
  0, -0, 1, -1, 7, -7, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, 2.675, 1 / 3, 255, 65, 1e-5, 123456.789, 1e15, 1e16, 1e21, 1e22,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32) - 1, 1712345678901, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 62,
  2 ** 63 - 1024, 2 ** 63, -(2 ** 63), -(2 ** 63) - 4096, 2 ** 64 - 2048, 2 ** 64, -(2 ** 64), 1e30, -1e30, 1e300, -1e308,
  5e-324, 2.2250738585072014e-308, NaN, Infinity, -Infinity,
];

test("string.format and tonumber work without Redis", () => {
  const lua = libraryState(openLuaOverrides);
  expect(runLua(lua, "return string.format('%d', 1712345678901)")).toEqual({ value: "1712345678901" });
  expect(runLua(lua, "return string.format('%x|%5.1f|%s', -1, 2.25, 'a')")).toEqual({ value: "ffffffffffffffff|  2.2|a" });
  expect(runLua(lua, "return tostring(tonumber('ffffffffff', 16))")).toEqual({ value: "1099511627775" });
  expect(runLua(lua, "return string.format('%y', 1)")).toEqual({ error: "user_script:1: invalid option '%y' to 'format'" });
  lua.close();
});

d("string.format matches Redis", () => {
  test("every conversion on interesting numbers", async () => {
    const snippets: string[] = [];
    for (const n of NUMBERS) {
      const x = luaNumber(n);
      for (const spec of ["%d", "%i", "%u", "%o", "%x", "%X", "%c", "%e", "%E", "%f", "%g", "%G", "%s", "%q", "%.3f", "%.0e", "%#.3g", "%+.20g", "%99.99f", "%-+25.17e", "%#x", "%#o", "%020d", "%-20u", "% 5i", "%.30x"]) {
        snippets.push(`return string.format('[${spec}]', ${x})`);
      }
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("flags, widths and precisions of integer conversions", async () => {
    const snippets: string[] = [];
    for (const flags of ["", "-", "+", " ", "#", "0", "-0", "+0", " 0", "#0", "+ ", "-+ #0", "00000", "-----"]) {
      for (const width of ["", "1", "5", "12", "99"]) {
        for (const precision of ["", ".", ".0", ".1", ".5", ".25"]) {
          const spec = `%${flags}${width}${precision}`;
          snippets.push(`return string.format('[${spec}d][${spec}o][${spec}x][${spec}X][${spec}u]', 0, 0, 0, 0, 0)`);
          snippets.push(`return string.format('[${spec}d][${spec}o][${spec}x][${spec}X][${spec}u]', 42, 8, 255, 255, 7)`);
          snippets.push(`return string.format('[${spec}d][${spec}i][${spec}o][${spec}x]', -42, -(2^63), -1, -255)`);
          snippets.push(`return string.format('[${spec}c][${spec}s][${spec}s][${spec}e][${spec}g]', 65, 'abc', '', 1.5, 100)`);
        }
      }
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("%c, %s and %q with NUL bytes and long strings", async () => {
    const snippets = [
      "return string.format('[%c][%5c][%-5c]', 0, 0, 0)",
      "return string.format('[%c][%c][%c]', 256 + 65, -1, 2^31)",
      "return string.format('[%c]', 'x')",
      "return string.format('[%c]', 65.9)",
      "return string.format('[%s]', 'a\\0b')",
      "return string.format('[%5s]', 'a\\0b')",
      "return string.format('[%.5s]', 'a\\0b')",
      "return string.format('[%s]', string.rep('a\\0', 50))",
      "return string.format('[%s]', string.rep('a\\0', 49) .. 'a')",
      "return string.format('[%5s]', string.rep('x', 120))",
      "return string.format('[%.3s]', string.rep('a\\0', 60))",
      "return string.format('[%.99s]', string.rep('y', 200))",
      "return string.format('[%s]', 1.5)",
      "return string.format('[%s]', 2^63)",
      "return string.format('[%s]', 0/0)",
      "return string.format('[%5.1s]', 12345)",
      "return string.format('[%s]', {})",
      "return string.format('[%s]', nil)",
      "return string.format('[%s]', true)",
      "return string.format('%q', 'a\"b\\\\c\\nd\\re\\0f\\1\\255')",
      "return string.format('%q', string.rep('\\0', 3) .. '1')",
      "return string.format('%-20q', 'x')",
      "return string.format('%q', 12.5)",
      "return string.format('%q', {})",
      "return string.format('%q')",
      "return string.format('a\\0b%dc\\0', 1)",
      "return string.format('%%%d%%%%', 5)",
      "return string.format('\\255%s\\128', '\\200')",
    ];
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("format errors", async () => {
    const snippets = [
      "return string.format('%d')",
      "return string.format('%d', 'abc')",
      "return string.format('%d', {})",
      "return string.format('%d', nil)",
      "return string.format('%f', '1.5x')",
      "return string.format('%x', true)",
      "return string.format('%s %s', 1)",
      "return string.format('%y')",
      "return string.format('%y', 1)",
      "return string.format('%', 1)",
      "return string.format('%')",
      "return string.format('abc%')",
      "return string.format('%5', 1)",
      "return string.format('%5.', 1)",
      "return string.format('%l', 1)",
      "return string.format('%ld', 1)",
      "return string.format('%hd', 1)",
      "return string.format('%n', 1)",
      "return string.format('%p', 1)",
      "return string.format('%a', 1)",
      "return string.format('%F', 1)",
      "return string.format('%\\255', 1)",
      "return string.format('%\\0', 1)",
      "return string.format('%-0\\0', 1)",
      "return string.format('%100d', 1)",
      "return string.format('%.100d', 1)",
      "return string.format('%1.100f', 1)",
      "return string.format('%------d', 1)",
      "return string.format('%-----d', 1)",
      "return string.format('%-0-0-d', 1)",
      "return string.format('%-0-0-0d', 1)",
      "return string.format('%*d', 1, 2)",
      "return string.format()",
      "return string.format(nil)",
      "return string.format(12)",
      "return string.format({})",
      "return string.format('%d %d', 1, 2, 3)",
      "local f = string.format return f('%d', 'x')",
      "return ('%5.2f'):format(3.14159)",
      "return ('%d'):format('x')",
      "return select(2, pcall(string.format, '%d', 'x'))",
    ];
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("generated specs and values", async () => {
    const random = seededRandom(0xf0a7);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const number = (): string => {
      switch (Math.floor(random() * 5)) {
        case 0:
          return luaNumber(pick(NUMBERS));
        case 1:
          return luaNumber(Math.floor((random() - 0.5) * 2 ** (random() * 66)));
        case 2:
          return luaNumber((random() - 0.5) * 10 ** (random() * 40 - 20));
        case 3:
          // Halfway cases for the rounding of %f and %e.
          return luaNumber(Math.floor(random() * 2 ** 12) / 2 ** Math.floor(random() * 12));
        default:
          return luaNumber((random() - 0.5) * 2 ** (random() * 2000 - 1000));
      }
    };
    const text = (): string => {
      const bytes = new Uint8Array(Math.floor(random() * (random() < 0.1 ? 160 : 8)));
      for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.1 ? 0 : 32 + Math.floor(random() * 95);
      return luaBytes(bytes);
    };
    /** Mostly a value the conversion takes; now and then anything. */
    const value = (conversion: string): string => {
      if (random() < 0.08) return pick(["nil", "{}", "true", "'x'", "(0/0)", "-(0/0)", `'${Math.floor(random() * 1000)}'`, text(), number()]);
      return conversion === "s" || conversion === "q" ? (random() < 0.7 ? text() : number()) : number();
    };
    const spec = (): string => {
      let text = "%";
      const flagCount = random() < 0.03 ? 6 : Math.floor(random() * 3);
      for (let i = 0; i < flagCount; i++) text += pick(["-", "+", " ", "#", "0"]);
      if (random() < 0.5) text += String(Math.floor(random() * (random() < 0.03 ? 1000 : 40)));
      if (random() < 0.5) text += `.${random() < 0.2 ? "" : String(Math.floor(random() * (random() < 0.03 ? 1000 : 30)))}`;
      return text + (random() < 0.03 ? pick(["y", "l", "h", "n", "a", "\\0"]) : pick([..."diouxXceEfgGqs%dfgex"]));
    };
    const snippets: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const count = 1 + Math.floor(random() * 3);
      const specs = Array.from({ length: count }, spec);
      const values = specs.map((item) => value(item[item.length - 1]!));
      if (random() < 0.03) values.pop();
      snippets.push(`return string.format('<${specs.join("|")}>'${values.map((v) => `, ${v}`).join("")})`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
    expect(comparison().lastErrorCount).toBeLessThan(snippets.length / 3);
  });

  test("%f: halfway cases, negative zero, flags and widths", async () => {
    const random = seededRandom(0xf1f1);
    const snippets: string[] = [];
    for (let n = 0; n < 2500; n++) {
      const precision = Math.floor(random() * (random() < 0.1 ? 100 : 12));
      const tie = Math.floor(random() * 2 ** (10 + Math.floor(random() * 40))) / 2 ** (precision + 1);
      const x = pick(random, [
        tie,
        -tie,
        Math.round(random() * 10 ** Math.floor(random() * 10)) / 10 ** Math.floor(random() * 10),
        (random() - 0.5) * 10 ** Math.floor(random() * 44 - 22),
        -(random() * 10 ** -precision),
        pick(random, [0, -0, 1e21, 999999999999999900000, 1e21 - 65536, 0.5, 1.5, 2.5, -2.5, 1.005, 2.675]),
      ]);
      const flags = ["", "-", "+", " ", "#", "0", "+0", "-#", " 0"][Math.floor(random() * 9)];
      const width = random() < 0.5 ? "" : String(Math.floor(random() * 30));
      const spec = `%${flags}${width}${random() < 0.2 ? "" : `.${precision}`}f`;
      snippets.push(`return string.format('[${spec}]', ${luaNumber(x)})`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("generated floating-point conversions", async () => {
    const random = seededRandom(0xf10a7);
    const snippets: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const conversion = "eEfgG"[Math.floor(random() * 5)];
      const precision = Math.floor(random() * 25);
      const x =
        random() < 0.5
          ? (random() - 0.5) * 10 ** Math.floor(random() * 60 - 30)
          : Math.round(random() * 10 ** Math.floor(random() * 8)) / 10 ** Math.floor(random() * 8);
      snippets.push(`return string.format('%.${precision}${conversion}|%#${precision}${conversion}', ${luaNumber(x)}, ${luaNumber(x)})`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });
});

d("tonumber matches Redis", () => {
  test("bases other than 10 (strtoul into 64 bits)", async () => {
    const snippets: string[] = [];
    const texts = [
      "ffffffffff", "FFFFFFFFFF", "  ff  ", "\\tff\\n", "0xff", "0XFF", "0x", "0xg", "0x 1", "-ff", "-0", "+11", "++1", "-+1", "- 1",
      "ffffffffffffffff", "10000000000000000", "-10000000000000000", "-ffffffffffffffff", "fffffffffffffffff", "1fffffffffffff",
      "20000000000001", "zz", "ZZ", "z", "", " ", "f f", "ff\\0zz", "\\0", "1.5", "1e5", "0b101", "7fffffffffffffff",
      "8000000000000000", "-8000000000000000", "-8000000000000001", "99999999999999999999999999", "00000000000000000000000000001",
    ];
    for (const text of texts) {
      for (const base of ["16", "2", "8", "10", "36", "17"]) snippets.push(`return tostring(tonumber("${text}", ${base}))`);
    }
    snippets.push(
      "return tostring(tonumber('1', 37))",
      "return tostring(tonumber('1', 1))",
      "return tostring(tonumber('1', 0))",
      "return tostring(tonumber('1', -16))",
      "return tostring(tonumber('11', 2^32 + 2))",
      "return tostring(tonumber('11', 2^32 + 10))",
      "return tostring(tonumber('11', 2.9))",
      "return tostring(tonumber('11', '3'))",
      "return tostring(tonumber('11', ' 0x10 '))",
      "return tostring(tonumber('11', 'x'))",
      "return tostring(tonumber('11', {}))",
      "return tostring(tonumber('1', 0/0))",
      "return tostring(tonumber('1', 1/0))",
      "return tostring(tonumber('1', 2^63))",
      "return tostring(tonumber(nil, 16))",
      "return tostring(tonumber({}, 16))",
      "return tostring(tonumber(true, 16))",
      "return tostring(tonumber(255, 16))",
      "return tostring(tonumber(1.5, 16))",
      "return tostring(tonumber(-1, 16))",
      "return tostring(tonumber())",
      "return tostring(tonumber(nil, 37))",
      "return tostring(tonumber(nil))",
      "return tostring(tonumber(nil, nil))",
      "return tostring(tonumber('0x10'))",
      "return tostring(tonumber('  5  '))",
      "return tostring(tonumber('5', 10))",
      "return tostring(tonumber('5', 10.5))",
      "return tostring(tonumber('0x10', 10))",
      "return tostring(tonumber('1e500'))",
      "return tostring(tonumber('5 x'))",
      "return tostring(tonumber(0/0))",
      "return tostring(tonumber(-(0/0)))",
      "return tostring(tonumber(true))",
      "return tostring(tonumber({}))",
      "return tostring(tonumber(2^63))",
      "local t = tonumber return tostring(t(nil, 16))",
    );
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("base 10: what strtod reads, with white space, NUL and hex", async () => {
    const random = seededRandom(0x10);
    const alphabet = "0123456789.eE+-xXpPabcdfinINtyA \t\0";
    const snippets: string[] = [];
    for (const text of ["0x", "-0x", "+0x", " 0x ", "0X", "0x.", "0x.p1", "0x1p", "0x1p+", "1x", "12x", "-nan", "nan", " -nan ", "NaN(123)", "-nan(x)", "nan(", "-inf", "Infinity", "infinit", "1e", "1e+", ".5", ".", "-.5e-3", "0x1.8p1", "1e500", "-1e-500", "4.9e-324", "  12  ", "12\0abc", "\0", ""]) {
      snippets.push(`return tostring(tonumber("${text}"))`, `return tostring(tonumber("${text}", 10))`);
    }
    for (let n = 0; n < 2000; n++) {
      const length = 1 + Math.floor(random() * 8);
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      snippets.push(`return tostring(tonumber(${luaBytes(text)}))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("generated strings and bases", async () => {
    const random = seededRandom(0x70b);
    const alphabet = "0123456789abcdefghxyzABCDEFXZ +-\t\n";
    const snippets: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const length = Math.floor(random() * (random() < 0.2 ? 30 : 8));
      let text = "";
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      if (random() < 0.2) text = `${random() < 0.5 ? "-" : ""}0x${text}`;
      const base = random() < 0.9 ? String(2 + Math.floor(random() * 35)) : String(Math.floor(random() * 80) - 20);
      snippets.push(`return tostring(tonumber(${luaBytes(text)}, ${base}))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });
});
