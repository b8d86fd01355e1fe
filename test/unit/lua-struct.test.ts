// The `struct` library (src/scripting/lib/struct.ts) against Redis 7.0's lua_struct.c,
// through EVAL on a real redis-server (skipped when it is not installed): every option,
// endianness and alignment, integers out of range and wider than 8 bytes, NaN bytes,
// unpack's offsets and next position, the error messages; then generated formats and
// data (pack, unpack of what was packed, unpack of random bytes, garbage formats).

import { describe, expect, test } from "bun:test";
import { openStruct } from "../../src/scripting/lib/struct.ts";
import { haveRedis, luaBytes, luaNumber, useLuaComparison } from "../helpers/lua-compare.ts";
import { libraryState, runLua } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";

const d = haveRedis ? describe : describe.skip;
const comparison = useLuaComparison(openStruct);

/** Every result of a call, tostring'd and joined, so that one EVAL reply shows them all. */
const ALL = "local function all(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end return table.concat(t, ',') end ";

test("struct works without Redis: pack, unpack, size", () => {
  const lua = libraryState(openStruct);
  expect(runLua(lua, "return struct.pack('>I2', 258)")).toEqual({ value: "\x01\x02" });
  expect(runLua(lua, `${ALL}return all(struct.unpack('<hs', struct.pack('<hs', -2, 'ab')))`)).toEqual({ value: "-2,ab,6" });
  expect(runLua(lua, "return tostring(struct.size('!8bd'))")).toEqual({ value: "16" });
  expect(runLua(lua, "return struct.pack('L', 2^64)")).toEqual({ value: "\0".repeat(8) });
  expect(runLua(lua, "return struct.pack('q', 1)")).toEqual({ error: "user_script:1: bad argument #1 to 'pack' (invalid format option 'q')" });
  lua.close();
});

d("struct matches Redis", () => {
  test("each option, both byte orders", async () => {
    const snippets: string[] = [];
    const values = [0, 1, -1, 127, 128, -128, 255, 256, 32767, -32768, 65535, 65536, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 2 ** 64, 1e30, -1e30, 1.5, -1.5, 0.9, -0.9, NaN, Infinity, -Infinity];
    for (const order of ["<", ">", "=", ""]) {
      for (const option of ["b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "I3", "i5", "I7", "i8", "i9", "I12", "i16", "I32", "i0"]) {
        for (const n of values) {
          snippets.push(`return struct.pack('${order}${option}', ${luaNumber(n)})`);
          snippets.push(`${ALL}return all(struct.unpack('${order}${option}', struct.pack('${order}${option}', ${luaNumber(n)})))`);
        }
      }
      for (const n of [0, -0, 1.5, -2.25, 1e-310, 3.4028235677973366e38, 3.5e38, 1e-46, 2 ** -149, 0.1, 1 / 3, 1e308, NaN, Infinity, -Infinity]) {
        snippets.push(`return struct.pack('${order}f', ${luaNumber(n)})`, `return struct.pack('${order}d', ${luaNumber(n)})`);
        snippets.push(`${ALL}return all(struct.unpack('${order}fd', struct.pack('${order}fd', ${luaNumber(n)}, ${luaNumber(n)})))`);
      }
    }
    snippets.push(
      "return struct.pack('d', -(0/0))",
      "return struct.pack('f', -(0/0))",
      "return struct.pack('d', 'nan')",
      "return struct.pack('d', '0x10')",
      "return struct.pack('i', ' 12 ')",
      "return struct.pack('b', '1e2')",
    );
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("NaN bytes keep their sign and payload", async () => {
    const snippets: string[] = [];
    const doubles = ["\x01\0\0\0\0\0\xf0\x7f", "\0\0\0\0\0\0\xf8\xff", "\0\0\0\0\0\0\xf8\x7f", "\xff\xff\xff\xff\xff\xff\xff\xff", "\x05\0\0\x80\0\0\xf4\x7f", "\0\0\0\0\0\0\xf0\x7f", "\0\0\0\0\0\0\xf0\xff"];
    const floats = ["\x01\0\x80\x7f", "\0\0\xc0\xff", "\xff\xff\xff\xff", "\0\0\x80\x7f", "\x01\x02\xa0\x7f"];
    for (const bytes of doubles) {
      for (const order of ["<", ">"]) {
        snippets.push(`return tostring(struct.unpack('${order}d', ${luaBytes(bytes)}))`);
        snippets.push(`return struct.pack('${order}d', struct.unpack('${order}d', ${luaBytes(bytes)}))`);
        snippets.push(`return struct.pack('<f', struct.unpack('${order}d', ${luaBytes(bytes)}))`);
      }
    }
    for (const bytes of floats) {
      for (const order of ["<", ">"]) {
        snippets.push(`return tostring(struct.unpack('${order}f', ${luaBytes(bytes)}))`);
        snippets.push(`return struct.pack('<d', struct.unpack('${order}f', ${luaBytes(bytes)}))`);
        snippets.push(`return struct.pack('${order}f', struct.unpack('${order}f', ${luaBytes(bytes)}))`);
      }
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("strings, padding, alignment, size", async () => {
    const snippets = [
      "return struct.pack('c', 'abc')",
      "return struct.pack('c3', 'abc')",
      "return struct.pack('c5', 'ab')",
      "return struct.pack('c0', 'a\\0b')",
      "return struct.pack('c0c2', '', 'xy')",
      "return struct.pack('s', 'a\\0b')",
      "return struct.pack('sc0c2', 12, 3.5, 'xyz')",
      "return struct.pack('s', 1e100)",
      "return struct.pack('c2', 'a')",
      "return struct.pack('bxxh', 1, 2)",
      "return struct.pack('!bd', 1, 2)",
      "return struct.pack('!4bd', 1, 2)",
      "return struct.pack('!2bi3bi', 1, 2, 3, 4)",
      "return struct.pack('!i3bi3', 1, 2, 3)",
      "return struct.pack('!16bi16', 1, 2)",
      "return struct.pack('!bc3h', 1, 'abc', 2)",
      "return struct.pack('!8bxh', 1, 2)",
      "return struct.pack('!8bsh', 1, 'ab', 2)",
      "return struct.pack(' < b > h ! 4 i', 1, 2, 3)",
      "return struct.pack('!3i', 1)",
      "return struct.pack('!0i', 1)",
      "return struct.pack('!1073741824bi', 1, 2)",
      "return struct.pack('!2147483648i', 1)",
      "return struct.pack('i33', 1)",
      "return struct.pack('i2147483647', 1)",
      "return struct.pack('i99999999999', 1)",
      "return struct.pack('c2147483647', 1)",
      "return struct.pack('c2147483648', 1)",
      "return struct.pack('z', 1)",
      "return struct.pack('3', 1)",
      "return struct.pack('\\255', 1)",
      "return struct.pack('%', 1)",
      "return struct.pack('b\\0zzz', 1)",
      "return struct.pack('b', 'x')",
      "return struct.pack('b')",
      "return struct.pack('bb', 1)",
      "return struct.pack('c')",
      "return struct.pack('s', {})",
      "return struct.pack('d', true)",
      "return struct.pack()",
      "return struct.pack(12, 1)",
      "return struct.pack('')",
      "local p = struct.pack return p('y')",
      "return select(2, pcall(struct.pack, 'y'))",
    ];
    for (const format of ["", "b", "!bd", "!4bd", "!2bi3bi", "c10!8d", "s", "c0", "bc0", "zb", "#b", "b3", "!bxhxi", "!16bi16", "i33", "!3", "<>=", "Tl", "c2147483647c2147483647"]) {
      snippets.push(`return tostring(struct.size('${format}'))`);
    }
    snippets.push("return tostring(struct.size())", "return tostring(struct.size({}))");
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("unpack: offsets, c0, s, too short, results", async () => {
    const snippets = [
      "return struct.unpack('c0', '3abc')",
      "return struct.unpack('bc0', '\\3abc')",
      "return struct.unpack('c1c0', '2abc')",
      "return struct.unpack('c1c0', ' 2abc')",
      "return struct.unpack('bc0', '\\5abc')",
      "return struct.unpack('xc0', 'abc')",
      "return struct.unpack('sc0', 'x\\0abc')",
      "return struct.unpack('dc0', struct.pack('d', 2.7) .. 'abc')",
      "return struct.unpack('dc0', struct.pack('d', -1) .. 'abc')",
      "return struct.unpack('dc0', struct.pack('d', 2^64) .. 'abc')",
      "return struct.unpack('dc0', struct.pack('d', 0/0) .. 'abc')",
      "return struct.unpack('s', 'abc')",
      "return struct.unpack('xs', 'abc\\0')",
      `${ALL}return all(struct.unpack('ss', 'a\\0\\0b\\0'))`,
      `${ALL}return all(struct.unpack('bbb', 'abc', 2))`,
      `${ALL}return all(struct.unpack('b', 'abc', 3))`,
      `${ALL}return all(struct.unpack('b', 'abc', 4))`,
      `${ALL}return all(struct.unpack('', 'abc', 4))`,
      `${ALL}return all(struct.unpack('', 'abc', 1000))`,
      `${ALL}return all(struct.unpack('c2', 'abc', 2.9))`,
      `${ALL}return all(struct.unpack('c2', 'abc', '2'))`,
      `${ALL}return all(struct.unpack('c2', 'abc', nil))`,
      `${ALL}return all(struct.unpack('c2', 'abc', 'x'))`,
      `${ALL}return all(struct.unpack('c2', 'abc', {}))`,
      `${ALL}return all(struct.unpack('c2', 'abc', 0))`,
      `${ALL}return all(struct.unpack('c2', 'abc', 0.5))`,
      `${ALL}return all(struct.unpack('c2', 'abc', -1))`,
      `${ALL}return all(struct.unpack('', 'abc', -1))`,
      `${ALL}return all(struct.unpack('', 'abc', -2^40))`,
      `${ALL}return all(struct.unpack('', 'abc', 2^53 + 2))`,
      `${ALL}return all(struct.unpack('', 'abc', 2^63))`,
      `${ALL}return all(struct.unpack('', 'abc', 0/0))`,
      `${ALL}return all(struct.unpack('!4i', 'abcdefgh', -1))`,
      `${ALL}return all(struct.unpack('!4bi', 'abcdefgh'))`,
      `${ALL}return all(struct.unpack('!4bi', 'abcdefg'))`,
      `${ALL}return all(struct.unpack('!4bi', 'abcdefgh', 2))`,
      `${ALL}return all(struct.unpack('c2', 12345))`,
      `${ALL}return all(struct.unpack('c2', {}))`,
      `${ALL}return all(struct.unpack('c2'))`,
      `${ALL}return all(struct.unpack())`,
      `${ALL}return all(struct.unpack('i9', 'abcdefgh'))`,
      `${ALL}return all(struct.unpack('c0', ''))`,
      `${ALL}return all(struct.unpack('q', 'abc'))`,
      `${ALL}return all(struct.unpack('i40', 'abc'))`,
      `${ALL}return all(struct.unpack('b z', 'abc'))`,
      `${ALL}return all(struct.unpack('x x x', 'abc'))`,
      `${ALL}return all(struct.unpack('x x x x', 'abc'))`,
      `${ALL}return all(struct.unpack(string.rep('b', 7990), string.rep('a', 7990)))`,
      `${ALL}return all(struct.unpack(string.rep('b', 8100), string.rep('a', 8100)))`,
      `${ALL}return all(struct.unpack(string.rep('x', 9000), string.rep('a', 9000)))`,
    ];
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("integers wider than 8 bytes and sign extension", async () => {
    const snippets: string[] = [];
    const random = seededRandom(0x57c7);
    for (let size = 0; size <= 32; size++) {
      for (let k = 0; k < 6; k++) {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = k === 0 ? 0xff : k === 1 ? (i === size - 1 ? 0x80 : 0) : Math.floor(random() * 256);
        for (const order of ["<", ">"]) {
          snippets.push(`${ALL}return all(struct.unpack('${order}i${size}', ${luaBytes(bytes)}))`);
          snippets.push(`${ALL}return all(struct.unpack('${order}I${size}', ${luaBytes(bytes)}))`);
        }
      }
      for (const n of [-1, -(2 ** 40), 2 ** 63, -(2 ** 63), 12345]) snippets.push(`return struct.pack('>i${size}', ${luaNumber(n)})`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });

  test("generated: pack and unpack what was packed", async () => {
    const random = seededRandom(0x5eed5);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const integer = (): string =>
      luaNumber(
        pick([
          () => Math.floor(random() * 256) - 128,
          () => Math.floor(random() * 2 ** 16),
          () => Math.floor((random() - 0.5) * 2 ** 33),
          () => Math.floor((random() - 0.5) * 2 ** 64),
          () => (random() - 0.5) * 2 ** (random() * 80),
          () => pick([NaN, Infinity, -Infinity, 2 ** 63, 2 ** 64, -(2 ** 63), 0.5, -0.5]),
        ])(),
      );
    const float = (): string => luaNumber(pick([() => (random() - 0.5) * 2 ** (random() * 300 - 150), () => pick([NaN, 0, -0, Infinity, 1e-320, 3.5e38])])());
    const text = (): string => {
      const bytes = new Uint8Array(Math.floor(random() * 6));
      for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.2 ? 0 : Math.floor(random() * 256);
      return luaBytes(bytes);
    };
    const snippets: string[] = [];
    for (let n = 0; n < 1500; n++) {
      let format = pick(["", "<", ">", "=", "!", "!2", "!4", "<!8", ">!16"]);
      const args: string[] = [];
      const items = 1 + Math.floor(random() * 6);
      for (let i = 0; i < items; i++) {
        const option = pick(["b", "B", "h", "H", "l", "L", "T", "i", "I", "i", "f", "d", "c", "s", "x", " ", "!4", "<", ">"]);
        switch (option) {
          case "i":
          case "I": {
            format += `${option}${pick(["", "1", "2", "3", "4", "6", "8", "9", "12", "16"])}`;
            args.push(integer());
            break;
          }
          case "f":
          case "d":
            format += option;
            args.push(float());
            break;
          case "c": {
            const size = Math.floor(random() * 4);
            format += `c${size}`;
            args.push(text());
            break;
          }
          case "s":
            format += "s";
            args.push(text());
            break;
          case "x":
          case " ":
          case "!4":
          case "<":
          case ">":
            format += option;
            break;
          default:
            format += option;
            args.push(integer());
        }
      }
      const call = `struct.pack('${format}'${args.map((a) => `, ${a}`).join("")})`;
      snippets.push(`return ${call}`);
      snippets.push(`${ALL}return all(pcall(function() return struct.unpack('${format}', ${call}) end))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
    // The generator must mostly make valid calls, or this tests little but errors.
    expect(comparison().lastErrorCount).toBeLessThan(snippets.length / 4);
  });

  test("generated: unpack random bytes, and garbage formats", async () => {
    const random = seededRandom(0xdada);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const snippets: string[] = [];
    for (let n = 0; n < 1500; n++) {
      let format = "";
      const items = 1 + Math.floor(random() * 5);
      for (let i = 0; i < items; i++) format += pick(["b", "B", "h", "H", "l", "L", "T", "i", "I3", "i9", "f", "d", "c", "c2", "c0", "s", "x", " ", "!", "!4", "<", ">", "bc0", "Bc0"]);
      const data = new Uint8Array(Math.floor(random() * 24));
      for (let i = 0; i < data.length; i++) data[i] = random() < 0.25 ? pick([0, 1, 2, 3, 0xff, 0x7f, 0x80]) : Math.floor(random() * 256);
      const offset = random() < 0.7 ? "" : `, ${pick(["1", "2", "3", "5", "0", "-1", "1.5", "'2'", "nil"])}`;
      snippets.push(`${ALL}return all(struct.unpack('${format}', ${luaBytes(data)}${offset}))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
    expect(comparison().lastErrorCount).toBeLessThan(snippets.length * 0.75);
    snippets.length = 0;
    const alphabet = "bBhHlLTiIfdcsx !<>=0123456789qz#%\\\x01\x80\xff";
    for (let n = 0; n < 800; n++) {
      const length = 1 + Math.floor(random() * 8);
      let format = "";
      for (let i = 0; i < length; i++) format += alphabet[Math.floor(random() * alphabet.length)];
      const literal = luaBytes(format);
      snippets.push(`return struct.pack(${literal}, 1, 2, 3, 4, 5, 6, 7, 8)`);
      snippets.push(`${ALL}return all(struct.unpack(${literal}, string.rep('\\1', 40)))`);
      snippets.push(`return tostring(struct.size(${literal}))`);
    }
    expect(await comparison().mismatches(snippets)).toEqual([]);
  });
});
