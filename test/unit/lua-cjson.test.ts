// Tests of src/scripting/lib/cjson.ts, the `cjson` library scripts see.
//
// Most tests are differential: each Lua snippet runs in Bunker's VM (runLua) and through
// EVAL on a real redis-server 7.0.15 (redisLua), and the outcomes, values or error
// messages, must be identical byte for byte. Snippets return strings (EVAL would
// truncate numbers). Redis keeps one Lua state across EVALs, so cjson settings changed
// by a snippet persist there; snippets that change settings run "fresh": after SCRIPT
// FLUSH (which makes Redis build a new Lua state) and in a new state here. A few golden
// results, taken from Redis, also run without a redis-server.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openCjson } from "../../src/scripting/lib/cjson.ts";
import type { LuaState } from "../../src/scripting/lua.ts";
import { libraryState, redisLua, runLua, type LuaOutcome } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";
import { REDIS_SERVER, RawClient, startRedis, type RunningServer } from "../helpers/server.ts";

/** A Lua string literal holding `text`'s bytes (one char per byte, latin1). */
function luaLiteral(text: string): string {
  let literal = '"';
  for (let i = 0; i < text.length; i++) {
    const byte = text.charCodeAt(i);
    if (byte > 0xff) throw new Error("luaLiteral takes bytes (latin1)");
    if (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) literal += text[i];
    else literal += "\\" + String(byte).padStart(3, "0");
  }
  return literal + '"';
}

/**
 * Local helpers for snippets (Redis forbids new globals): `dump` shows a decoded value
 * exactly (types, every bit of a number, the sign of NaN, cjson.null), `all` shows
 * every result of a call.
 */
const PRELUDE = `
local function dump(v)
  if type(v) == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = dump(k) .. "=" .. dump(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif v == cjson.null then return "null"
  elseif type(v) == "string" then return string.format("%q", v)
  elseif type(v) == "number" then return "n:" .. string.format("%.17g", v)
  else return type(v) .. ":" .. tostring(v) end
end
local function all(...)
  local shown = {}
  for i = 1, select("#", ...) do shown[i] = tostring((select(i, ...))) end
  return table.concat(shown, " ")
end
`;

// ---- golden results (from redis-server 7.0.15) ------------------------------------

const GOLDEN: Array<[string, LuaOutcome]> = [
  ['return cjson.encode({1, 2, 3, {a = "x/y\\n"}})', { value: '[1,2,3,{"a":"x\\/y\\n"}]' }],
  ["return cjson.encode({})", { value: "{}" }],
  ["return cjson.encode({-0, 0.1, 1e300, 2^53, 123456789012345, 100000000000005, 1.5e20})", { value: "[-0,0.1,1e+300,9.007199254741e+15,1.2345678901234e+14,1e+14,1.5e+20]" }],
  ["return cjson.encode({[2^40] = 1})", { value: '{"1099511627776":1}' }],
  ["return cjson.encode({cjson.null})", { value: "[null]" }],
  ["return cjson.encode(cjson)", { error: "user_script:1: Cannot serialise function: type not supported" }],
  ["return cjson.encode({[1] = 1, [20] = 1})", { error: "user_script:1: Cannot serialise table: excessively sparse array" }],
  ["return cjson.encode(1/0)", { error: "user_script:1: Cannot serialise number: must not be NaN or Inf" }],
  ["return cjson.encode()", { error: "user_script:1: bad argument #1 to 'encode' (expected 1 argument)" }],
  ["return tostring(cjson.decode('nan'))", { value: "nan" }],
  ["return tostring(cjson.decode('-nan'))", { value: "-nan" }],
  ["return tostring(cjson.decode('[0x10, -0x1p4, +1, 01, -.5, 1.]')[5])", { value: "-0.5" }],
  ["return cjson.decode('[1,2')", { error: "user_script:1: Expected comma or array end but found T_END at character 5" }],
  ["return cjson.decode('x')", { error: "user_script:1: Expected value but found invalid token at character 1" }],
  ["return cjson.decode_max_depth(2^32 + 5)", { value: "5" }],
  [
    "return cjson.encode_max_depth(2^31)",
    { error: "user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)" },
  ],
  [
    'local r = {} for k in pairs(cjson) do r[#r + 1] = k end return table.concat(r, ",")',
    {
      value:
        "_NAME,encode,decode_max_depth,_VERSION,decode_invalid_numbers,encode_keep_buffer,null,encode_number_precision,new,encode_max_depth,encode_invalid_numbers,decode,encode_sparse_array",
    },
  ],
];

describe("cjson (golden results from Redis 7.0.15)", () => {
  test.each(GOLDEN)("%s", (snippet, expected) => {
    const lua = libraryState(openCjson);
    try {
      expect(runLua(lua, snippet)).toEqual(expected);
    } finally {
      lua.close();
    }
  });
});

// ---- snippet generators ----------------------------------------------------------

/** Lua expressions for numbers worth printing: ties, digit-count edges, extremes. */
const NUMBERS = [
  "0", "-0", "1", "-1", "0.1", "-0.1", "1/3", "2/3", "0.5", "2.5", "1.25", "0.125", "9.5",
  "1e300", "-1e300", "1e-300", "1e308", "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308",
  "2^53", "2^53 + 1", "-2^53", "2^63", "2^64", "2^31", "-2^31", "2^31 - 1", "2^32", "-2^32 - 1",
  "1e14", "1e14 - 1", "1e15", "1e16", "1e17", "1e21", "1e22", "123456789012345", "100000000000005",
  "100000000000015", "999999999999995", "99999999999999.5", "12345678901234.5", "1e-5", "1e-4",
  "0.0001234", "0.000015", "1.5e20", "math.pi", "-math.pi", "12345.678901234567", "3.0000000000000004",
  "0.30000000000000004", "1e100", "123e-20", "4294967295", "4294967296.5", "-2147483648.5", "65536",
];

/** Byte strings worth escaping: every byte, controls, quotes, slashes, UTF-8 good and bad. */
function interestingStrings(): string[] {
  const strings: string[] = ["", "a", "hello world", '"', "\\", "/", "</script>", "\x7f", "\x00", "a\x00b"];
  for (let byte = 0; byte < 256; byte++) strings.push(String.fromCharCode(byte));
  let everyByte = "";
  for (let byte = 0; byte < 256; byte++) everyByte += String.fromCharCode(byte);
  strings.push(everyByte);
  // UTF-8: valid, overlong, surrogates, truncated, stray continuation bytes.
  strings.push(Buffer.from("héllo wörld ✓ 😀", "utf8").toString("latin1"));
  strings.push("\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80\x80", "\xff\xfe", "\xc3");
  return strings;
}

/** JSON texts that must fail, or that only a strtod-based, NUL-terminated parser accepts. */
const ODD_JSON = [
  "", " ", "\t\n\r ", "[", "]", "{", "}", "[1,]", "[,1]", "[,]", "{,}", '{"a"}', '{"a":}', '{"a" 1}', '{1:2}',
  '{"a":1,}', '{"a":1 "b":2}', "[1 2]", '["a" "b"]', "[1;2]", '{"a";1}', "tru", "true1", "truex", "nul", "nulll",
  "falsey", "fals", "True", "NULL", "[1]x", "1 2", '"abc', '"\\x"', '"\\', '"\\u"', '"\\u12"', '"\\u12g4"', "01",
  "-01", "00", "-", "--1", "+1", "+", "+-1", "-+1", ".5", "-.5", "1.", "1.e5", "1e", "1e+", "1e-", "1E2", "1e+2",
  "1e-2", "0.1e1", "-0", "-0.0", "0e0", "0x", "0x1g", "0xg", "0x10", "-0x10", "0X1p4", "0x.8", "0x1.8p1", "0xp1",
  "inf", "-inf", "+inf", "Infinity", "-Infinity", "infinit", "infinityx", "in", "i", "I", "Inf", "INF", "iNfInItY",
  "NaN", "nan", "-nan", "+nan", "nan(123)", "nan(abc_9)", "nan(", "nan()", "nanx", "N", "n", "na", "[1,2,3]]",
  "[[[]]", '{"a":{"b":[}}', "\x001", "1\x00", "\x00", "\x00\x00", "[1]\x00garbage", "[1,\x00]", '"a\x00b"',
  "\f1", "\v1", "1\f", "'a'", "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "1.000000000000000000001",
  "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "[1e309, -1e309]", "[-]", "[-a]", "{\"a\":-}",
  "//", "/* */ 1", "# 1", "[1] // c", "\xef\xbb\xbf[1]", "[\xff]", '"\xff"', '{"\xff":1}', "\xc3\xa9",
  '{"a":1,"a":2}', '{"":""}', '[""]', '[null,true,false]', "[[],{}]", '{"a":[],"b":{}}', "  [ 1 , 2 ]  ",
  '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\u0000"', '"\\u0041\\u00e9\\u07ff\\u0800\\uffff"', '"\\uD83D\\uDE00"',
  '"\\ud800\\udc00"', '"\\udbff\\udfff"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\\ud800\\\\udc00"',
  '"\\udc00\\ud800"', '"\\ud800\\udbff"', '"\\ud800\\ud"', '"\\ud800\\u"', '"\\U0041"', '"\\x41"', '"\\0"', '"\\a"',
  '"\\\'"', '"\\ "', '"\t\n\x01\x1f"', "[1]]", "{}}", "[]]", '{"a":1}}', '{"a" : 1 , "b" : [ 1 , { } ] }',
  "0x1p1024", "0x1p1023", "-0x1p-1074", "0x1p-1075", "0x1p-1076", "0x1.fffffffffffff8p1023", "0x1.0000000000000801p0",
  "0x.1p-1070", "0x123456789abcdef0123456789", "0x1P+4", "0x1e", "0x1e+1", "1" + "0".repeat(400), "0." + "0".repeat(400) + "1",
  "1." + "9".repeat(40), "9007199254740993", "-9007199254740993.0000000000000000001", "2.4703282292062327208828439643411e-324",
];

// ---- random documents --------------------------------------------------------------

/** A random JSON-ish document (latin1 bytes): valid JSON plus what cjson tolerates. */
function randomJson(random: () => number, depth = 0): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const space = (): string => (random() < 0.7 ? "" : pick([" ", "\t", "\n", "\r", "  ", " \n "]));
  const roll = random();
  if (depth < 5 && roll < 0.2) {
    const count = Math.floor(random() * 6);
    const items: string[] = [];
    for (let i = 0; i < count; i++) items.push(space() + randomJson(random, depth + 1) + space());
    return "[" + items.join(",") + "]";
  }
  if (depth < 5 && roll < 0.4) {
    const count = Math.floor(random() * 6);
    const members: string[] = [];
    for (let i = 0; i < count; i++) {
      // Few distinct keys, so objects repeat keys now and then.
      const key = random() < 0.3 ? '"k' + Math.floor(random() * 4) + '"' : randomJsonString(random);
      members.push(space() + key + space() + ":" + space() + randomJson(random, depth + 1) + space());
    }
    return "{" + members.join(",") + "}";
  }
  if (roll < 0.6) return randomJsonString(random);
  if (roll < 0.85) return randomJsonNumber(random);
  return pick(["true", "false", "null"]);
}

function randomJsonString(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex4 = (value: number): string => value.toString(16).padStart(4, "0");
  let text = '"';
  const length = Math.floor(random() * 12);
  for (let i = 0; i < length; i++) {
    const kind = random();
    if (kind < 0.5) text += String.fromCharCode(0x20 + Math.floor(random() * 95)).replace(/["\\]/, "a");
    else if (kind < 0.65) text += pick(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]);
    else if (kind < 0.75) text += "\\u" + hex4(Math.floor(random() * 0x10000));
    else if (kind < 0.8) text += "\\u" + hex4(0xd800 + Math.floor(random() * 0x400)) + "\\u" + hex4(0xdc00 + Math.floor(random() * 0x400));
    else if (kind < 0.85) text += "\\u" + pick(["00e9", "0000", "001F", "007f", "07FF", "0800", "FFFF", "D83D", "DE00"]);
    else if (kind < 0.92) text += Buffer.from(pick(["é", "ü", "✓", "😀", "中"]), "utf8").toString("latin1");
    else text += String.fromCharCode(1 + Math.floor(random() * 255)).replace(/["\\]/, "b");
  }
  return text + '"';
}

function randomJsonNumber(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const digits = (count: number): string => {
    let text = "";
    for (let i = 0; i < count; i++) text += String(Math.floor(random() * 10));
    return text;
  };
  const kind = random();
  const sign = random() < 0.3 ? "-" : "";
  if (kind < 0.4) return sign + String(Math.floor(random() * 10 ** Math.floor(random() * 16)));
  if (kind < 0.6) return sign + String(Math.floor(random() * 1000)) + "." + digits(1 + Math.floor(random() * 18));
  if (kind < 0.75) return sign + digits(1).replace("0", "1") + "." + digits(Math.floor(random() * 6)) + pick(["e", "E"]) + pick(["", "+", "-"]) + String(Math.floor(random() * 330));
  if (kind < 0.85) return sign + digits(16 + Math.floor(random() * 10)).replace(/^0/, "1");
  if (kind < 0.9) return sign + "0" + digits(1 + Math.floor(random() * 3));
  if (kind < 0.95) return sign + "0x" + Math.floor(random() * 1e6).toString(16);
  return pick(["inf", "-inf", "nan", "-nan", "Infinity", "+1", "1e999", "-0", "0.0", "4.9e-324"]);
}

/** `json` with a random edit: a byte deleted, inserted or replaced (mostly JSON punctuation). */
function mutate(random: () => number, json: string): string {
  const at = Math.floor(random() * (json.length + 1));
  const bytes = '{}[],:"\\0123456789-+.eEtrufalsnxi \t\x00\xff';
  const byte = bytes[Math.floor(random() * bytes.length)]!;
  const kind = random();
  if (kind < 0.33) return json.slice(0, at) + json.slice(at + 1);
  if (kind < 0.66) return json.slice(0, at) + byte + json.slice(at);
  return json.slice(0, at) + byte + json.slice(at + 1);
}

/** A random Lua table constructor: arrays, sparse arrays, mixed and odd keys, nesting. */
function randomLuaTable(random: () => number, depth = 0): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const value = (): string => {
    const roll = random();
    if (depth < 4 && roll < 0.25) return randomLuaTable(random, depth + 1);
    if (roll < 0.5) return pick(["1", "-1", "0", "0.5", "1e20", "2^53", "-0", "3.14159", "1/3", "100"]);
    if (roll < 0.8) return luaLiteral(pick(["a", "b/c", 'q"uote', "\n", "\x01", "é", "\xff", "", "k1"]));
    return pick(["true", "false", "cjson.null"]);
  };
  const parts: string[] = [];
  const shape = random();
  const count = Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    if (shape < 0.3) parts.push(value());
    else if (shape < 0.5) parts.push(`[${1 + Math.floor(random() * (random() < 0.5 ? 8 : 40))}] = ${value()}`);
    else {
      const key = pick(["1", "2", "3", "0", "-1", "1.5", "2^31", "2^40", "1e15", luaLiteral("k" + Math.floor(random() * 5)), luaLiteral("x/y"), "12"]);
      parts.push(`[${key}] = ${value()}`);
    }
  }
  return "{" + parts.join(", ") + "}";
}

// ---- differential -----------------------------------------------------------------

describe.skipIf(REDIS_SERVER === undefined)("cjson against redis-server 7.0.15", () => {
  let server: RunningServer;
  let client: RawClient;

  beforeAll(async () => {
    server = await startRedis();
    client = await RawClient.connect(server.port);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  /**
   * Runs every snippet on both sides and expects identical outcomes. Both sides start
   * from default settings; a snippet sees what earlier ones of the same call set,
   * unless `fresh` resets them before each snippet.
   */
  async function expectSameOutcomes(snippets: string[], options: { fresh?: boolean } = {}): Promise<void> {
    const mismatches: Array<{ snippet: string; redis: LuaOutcome; bunker: LuaOutcome }> = [];
    let lua: LuaState | null = null;
    try {
      for (const snippet of snippets) {
        if (lua === null || options.fresh) {
          await client.call("SCRIPT", "FLUSH");
          lua?.close();
          lua = libraryState(openCjson);
        }
        const source = PRELUDE + snippet;
        const redis = await redisLua(client, source);
        const bunker = runLua(lua, source);
        if (JSON.stringify(redis) !== JSON.stringify(bunker)) mismatches.push({ snippet, redis, bunker });
      }
    } finally {
      lua?.close();
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  }

  test("golden results are Redis's", async () => {
    for (const [snippet, expected] of GOLDEN) {
      await client.call("SCRIPT", "FLUSH");
      expect(await redisLua(client, snippet)).toEqual(expected);
    }
  });

  test("scalars, nil and cjson.null", async () => {
    await expectSameOutcomes([
      "return cjson.encode(nil)",
      "return cjson.encode(true)",
      "return cjson.encode(false)",
      "return cjson.encode(cjson.null)",
      "return cjson.encode('x')",
      "return cjson.encode(42)",
      "return cjson.encode({nil, 1})",
      "return cjson.encode({1, nil, 3})",
      "return cjson.encode({a = cjson.null, b = {cjson.null}})",
      "return cjson.encode(type)",
      "return cjson.encode(coroutine.create(function() end))",
      "return cjson.encode({f = type})",
      "return cjson.encode({type})",
      "return cjson.encode(1, 2)",
      "return cjson:encode(1)",
      "return cjson:encode()",
      "return cjson.decode()",
      "return cjson.decode(1, 2)",
      "return cjson.decode(nil)",
      "return cjson.decode({})",
      "return dump(cjson.decode(123))",
      "return dump(cjson.decode(-1.5))",
      "return select('#', pcall(cjson.encode))",
      "local ok, e = pcall(cjson.encode) return e",
      "local ok, e = pcall(cjson.decode, '[') return e",
      "return type(cjson.null)",
      "return cjson._NAME .. ' ' .. cjson._VERSION",
      "return tostring(cjson.decode('null') == cjson.null)",
      "return tostring(cjson.decode('[null]')[1] == cjson.null)",
      "return tostring(cjson.new().null == cjson.null)",
      "return type(cjson.new)",
      "return dump({cjson.decode('true'), cjson.decode('false')})",
      "return coroutine.wrap(function() return cjson.encode({1, {a = 'b'}}) end)()",
      "return coroutine.wrap(function() return dump(cjson.decode('[1,{\"a\":-0,\"b\":[null]}]')) end)()",
      "return coroutine.wrap(function() return dump(cjson.decode('-nan')) end)()",
      "return coroutine.wrap(function() return dump({pcall(cjson.decode, string.rep('[', 1001))}) end)()",
      "return coroutine.wrap(function() cjson.decode_max_depth(10000) local ok, e = pcall(cjson.decode, string.rep('[', 9000)) cjson.decode_max_depth(1000) return e end)()",
    ]);
  });

  test("numbers at the default and every other precision", async () => {
    const list = "{" + NUMBERS.join(", ") + "}";
    const snippets = [`return cjson.encode(${list})`];
    for (const number of NUMBERS) {
      snippets.push(`return cjson.encode(${number})`, `return cjson.encode({[${number}] = 1})`, `return cjson.encode({x = ${number}})`);
    }
    await expectSameOutcomes(snippets);
    const precisions: string[] = [];
    for (let precision = 1; precision <= 14; precision++) {
      precisions.push(`cjson.encode_number_precision(${precision}) return cjson.encode(${list})`);
      precisions.push(`cjson.encode_number_precision(${precision}) local k = {} for i, n in ipairs(${list}) do k[#k + 1] = cjson.encode({[n] = i}) end return table.concat(k, " ")`);
    }
    await expectSameOutcomes(precisions, { fresh: true });
  });

  test("NaN and infinities per encode_invalid_numbers", async () => {
    const values = ["1/0", "-1/0", "0/0", "-(0/0)", "{1/0}", "{[1/0] = 1}", "{[-1/0] = 1}", "{a = 0/0}", "{1, -1/0, 0/0}"];
    const snippets: string[] = [];
    for (const setting of ["", "cjson.encode_invalid_numbers(false)", "cjson.encode_invalid_numbers(true)", "cjson.encode_invalid_numbers('null')", "cjson.encode_invalid_numbers('on')", "cjson.encode_invalid_numbers('off')"]) {
      for (const value of values) snippets.push(`${setting} return cjson.encode(${value})`);
      snippets.push(`${setting} cjson.encode_number_precision(3) return cjson.encode({1/0, -1/0, 0/0, 1.23456})`);
    }
    await expectSameOutcomes(snippets, { fresh: true });
  });

  test("strings: every byte, escapes, invalid UTF-8", async () => {
    const snippets: string[] = [];
    for (const text of interestingStrings()) {
      const literal = luaLiteral(text);
      snippets.push(`return cjson.encode(${literal})`, `return cjson.encode({[${literal}] = ${literal}})`);
      snippets.push(`return cjson.decode(cjson.encode(${literal}))`);
    }
    snippets.push("local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end return cjson.encode(t)");
    snippets.push("return cjson.encode(string.rep('a\\0/\"', 10000))");
    await expectSameOutcomes(snippets);
  });

  test("decoding each byte raw in a string and after a backslash", async () => {
    const snippets: string[] = [];
    for (let byte = 0; byte < 256; byte++) {
      const char = String.fromCharCode(byte);
      snippets.push(`return dump(cjson.decode(${luaLiteral('"' + char + '"')}))`);
      snippets.push(`return dump(cjson.decode(${luaLiteral('"\\' + char + '"')}))`);
      snippets.push(`return dump(cjson.decode(${luaLiteral(char)}))`);
      snippets.push(`return dump(cjson.decode(${luaLiteral("[1" + char + "]")}))`);
    }
    await expectSameOutcomes(snippets);
  });

  test("arrays, objects and mixed keys", async () => {
    await expectSameOutcomes([
      "return cjson.encode({1, 2, 3})",
      "return cjson.encode({{}, {{}}, {a = {}}})",
      "return cjson.encode({a = 1, b = 2, c = 3, d = 4, e = 5})",
      "return cjson.encode({1, 2, a = 3})",
      "return cjson.encode({[1] = 'a', [2] = 'b', [3.5] = 'c'})",
      "return cjson.encode({[0] = 'zero', 'one'})",
      "return cjson.encode({[-1] = 'minus', 'one'})",
      "return cjson.encode({[-0] = 'minus zero'})",
      "return cjson.encode({['1'] = 'string one', [2] = 'two'})",
      "return cjson.encode({[true] = 1})",
      "return cjson.encode({[{}] = 1})",
      "return cjson.encode({[type] = 1})",
      "return cjson.encode({[1.5] = 1, [2.25] = 2, [1e100] = 3, [-1e-10] = 4})",
      "return cjson.encode({[2^31] = 1})",
      "return cjson.encode({[2^31 - 1] = 1})",
      "return cjson.encode({[2^40] = 1, [1] = 2})",
      "local t = {} t[2^40] = 1 t[1] = 2 return cjson.encode(t)",
      "local t = {} t[1] = 2 t[2^40] = 1 return cjson.encode(t)",
      "local t = {} t[2^33] = 'a' t[3] = 'b' t[2] = 'c' t[1] = 'd' return cjson.encode(t)",
      "local t = {} for i = 1, 100 do t[i] = i end return cjson.encode(t)",
      "local t = {} for i = 1, 100 do t['k' .. i] = i end return cjson.encode(t)",
      "local t = {} for i = 100, 1, -1 do t[i] = i end return cjson.encode(t)",
      "local t = {} for i = 1, 50 do t[i * 2] = i end return cjson.encode(t)",
      "local t = {1, 2, 3} t[2] = nil return cjson.encode(t)",
      "local t = {1, 2, 3} t[3] = nil return cjson.encode(t)",
      "local t = setmetatable({}, {__index = function() return 1 end}) return cjson.encode(t)",
      "local t = setmetatable({1}, {__len = function() return 5 end}) return cjson.encode(t)",
      "local t = setmetatable({}, {__pairs = function() error('no') end}) t.a = 1 return cjson.encode(t)",
    ]);
  });

  test("sparse arrays and encode_sparse_array", async () => {
    const tables = [
      "{[1] = 1, [3] = 3}",
      "{[10] = 1}",
      "{[11] = 1}",
      "{[1] = 1, [20] = 1}",
      "{[1] = 1, [2] = 2, [21] = 1}",
      "{[1] = 1, [2] = 2, [22] = 1}",
      "{[3] = 3}",
      "{[1000] = 1}",
      "{[2^31 - 1] = 1, a = 1}",
      "{[5] = 1, [6] = 2, [7] = 3, [8] = 4, [9] = 5, [10] = 6, [11] = 7, [12] = 8, [25] = 9}",
    ];
    const settings = [
      "",
      "cjson.encode_sparse_array(true)",
      "cjson.encode_sparse_array(false, 1)",
      "cjson.encode_sparse_array(true, 1)",
      "cjson.encode_sparse_array(nil, 0)",
      "cjson.encode_sparse_array(nil, 3, 0)",
      "cjson.encode_sparse_array(nil, nil, 1000)",
      "cjson.encode_sparse_array('on', 2, 2)",
      "cjson.encode_sparse_array(nil, 2^31 - 1)",
    ];
    const snippets: string[] = [];
    for (const setting of settings) for (const table of tables) snippets.push(`${setting} return cjson.encode(${table})`);
    await expectSameOutcomes(snippets, { fresh: true });
  });

  test("nesting depth, self reference and the Lua stack limit", async () => {
    const nestArrays = (depth: number): string => `local t = {} local c = t for i = 1, ${depth - 1} do c[1] = {} c = c[1] end`;
    const nestObjects = (depth: number): string => `local t = {} local c = t for i = 1, ${depth - 1} do c.a = {} c = c.a end`;
    const snippets: string[] = [];
    for (const depth of [999, 1000, 1001, 1500]) {
      snippets.push(`${nestArrays(depth)} return #cjson.encode(t) .. ''`, `${nestObjects(depth)} return #cjson.encode(t) .. ''`);
      snippets.push(`return dump(#cjson.encode(cjson.decode(string.rep('[', ${depth}) .. string.rep(']', ${depth}))) .. '')`);
      snippets.push(`return #cjson.encode(cjson.decode(string.rep('{"a":', ${depth}) .. '1' .. string.rep('}', ${depth}))) .. ''`);
    }
    snippets.push("local t = {} t[1] = t return cjson.encode(t)", "local t = {} t.me = t return cjson.encode(t)");
    snippets.push("return cjson.decode(string.rep('[', 2000))", "return cjson.decode(string.rep('{\"a\":', 2000))");
    snippets.push("return cjson.decode('[[[[' .. string.rep(' ', 50) .. '[')");
    // Raised limits: the Lua stack (lua_checkstack, 8000 slots) decides where it fails.
    for (const depth of [3000, 7990, 8000, 12000]) {
      snippets.push(`cjson.encode_max_depth(100000) ${nestArrays(depth)} return #cjson.encode(t) .. ''`);
      snippets.push(`cjson.encode_max_depth(100000) ${nestObjects(depth)} return #cjson.encode(t) .. ''`);
      snippets.push(`cjson.decode_max_depth(100000) return #cjson.encode(cjson.decode(string.rep('[', ${depth}) .. string.rep(']', ${depth}))) .. ''`);
      snippets.push(`cjson.decode_max_depth(100000) local t = cjson.decode(string.rep('{"a":', ${depth}) .. '1' .. string.rep('}', ${depth})) return 'ok'`);
    }
    for (const limit of [1, 2, 5]) {
      snippets.push(`cjson.encode_max_depth(${limit}) return cjson.encode({{{{{}}}}})`);
      snippets.push(`cjson.encode_max_depth(${limit}) return cjson.encode({a = {b = {c = {d = 1}}}})`);
      snippets.push(`cjson.decode_max_depth(${limit}) return dump(cjson.decode('[[[[[]]]]]'))`);
      snippets.push(`cjson.decode_max_depth(${limit}) return dump(cjson.decode('{"a":{"b":[1]}}'))`);
      snippets.push(`cjson.encode_max_depth(${limit}) return cjson.encode('scalar')`);
    }
    await expectSameOutcomes(snippets, { fresh: true });
  });

  test("decoding odd and malformed JSON", async () => {
    const snippets: string[] = [];
    for (const json of ODD_JSON) {
      snippets.push(`return dump(cjson.decode(${luaLiteral(json)}))`);
      snippets.push(`return cjson.encode(cjson.decode(${luaLiteral(json)}))`);
    }
    await expectSameOutcomes(snippets);
  });

  test("decode_invalid_numbers off: strict JSON numbers", async () => {
    const snippets: string[] = [];
    for (const json of ODD_JSON) snippets.push(`cjson.decode_invalid_numbers(false) return dump(cjson.decode(${luaLiteral(json)}))`);
    await expectSameOutcomes(snippets, { fresh: true });
  });

  test("configuration functions: values returned, arguments checked", async () => {
    const calls = [
      "cjson.encode_sparse_array()",
      "cjson.encode_sparse_array(true)",
      "cjson.encode_sparse_array(false)",
      "cjson.encode_sparse_array('on')",
      "cjson.encode_sparse_array('off')",
      "cjson.encode_sparse_array('yes')",
      "cjson.encode_sparse_array(1)",
      "cjson.encode_sparse_array({})",
      "cjson.encode_sparse_array(nil, 3)",
      "cjson.encode_sparse_array(nil, nil, 5)",
      "cjson.encode_sparse_array(true, 0, 0)",
      "cjson.encode_sparse_array(nil, -1)",
      "cjson.encode_sparse_array(nil, nil, -1)",
      "cjson.encode_sparse_array(true, -1)",
      "cjson.encode_sparse_array(nil, 2^31)",
      "cjson.encode_sparse_array(nil, 2^32 + 1)",
      "cjson.encode_sparse_array(nil, 2^64)",
      "cjson.encode_sparse_array(nil, -2^32 + 3)",
      "cjson.encode_sparse_array(nil, 0/0)",
      "cjson.encode_sparse_array(nil, 1/0)",
      "cjson.encode_sparse_array(nil, '5')",
      "cjson.encode_sparse_array(nil, ' 0x10 ')",
      "cjson.encode_sparse_array(nil, 'x')",
      "cjson.encode_sparse_array(nil, nil, {})",
      "cjson.encode_sparse_array(nil, 1.9)",
      "cjson.encode_sparse_array(nil, -0.5)",
      "cjson.encode_sparse_array(1, 2, 3, 4)",
      "cjson.encode_sparse_array(nil, nil, nil, nil)",
      "cjson.encode_max_depth()",
      "cjson.encode_max_depth(0)",
      "cjson.encode_max_depth(1)",
      "cjson.encode_max_depth(-1)",
      "cjson.encode_max_depth('10')",
      "cjson.encode_max_depth(2^31 - 1)",
      "cjson.encode_max_depth(2^31)",
      "cjson.encode_max_depth(1.5)",
      "cjson.encode_max_depth(true)",
      "cjson.encode_max_depth(nil)",
      "cjson.encode_max_depth(1, 2)",
      "cjson.decode_max_depth()",
      "cjson.decode_max_depth(0)",
      "cjson.decode_max_depth(7)",
      "cjson.decode_max_depth(2^32 + 7)",
      "cjson.decode_max_depth('x')",
      "cjson.decode_max_depth(nil, nil)",
      "cjson.encode_number_precision()",
      "cjson.encode_number_precision(0)",
      "cjson.encode_number_precision(1)",
      "cjson.encode_number_precision(14)",
      "cjson.encode_number_precision(15)",
      "cjson.encode_number_precision(7.9)",
      "cjson.encode_number_precision('3')",
      "cjson.encode_number_precision(2^32 + 3)",
      "cjson.encode_keep_buffer()",
      "cjson.encode_keep_buffer(true)",
      "cjson.encode_keep_buffer(false)",
      "cjson.encode_keep_buffer('on')",
      "cjson.encode_keep_buffer('off')",
      "cjson.encode_keep_buffer('on\\0x')",
      "cjson.encode_keep_buffer('x')",
      "cjson.encode_keep_buffer('\\200')",
      "cjson.encode_keep_buffer(1)",
      "cjson.encode_keep_buffer(nil)",
      "cjson.encode_keep_buffer(true, 1)",
      "cjson.encode_invalid_numbers()",
      "cjson.encode_invalid_numbers(true)",
      "cjson.encode_invalid_numbers(false)",
      "cjson.encode_invalid_numbers('on')",
      "cjson.encode_invalid_numbers('off')",
      "cjson.encode_invalid_numbers('null')",
      "cjson.encode_invalid_numbers('NULL')",
      "cjson.encode_invalid_numbers(0)",
      "cjson.decode_invalid_numbers()",
      "cjson.decode_invalid_numbers(true)",
      "cjson.decode_invalid_numbers(false)",
      "cjson.decode_invalid_numbers('on')",
      "cjson.decode_invalid_numbers('off')",
      "cjson.decode_invalid_numbers('null')",
      "cjson:encode_max_depth(3)",
      "cjson:encode_keep_buffer()",
    ];
    const snippets: string[] = [];
    for (const call of calls) {
      snippets.push(`return all(${call})`);
      // What stays set after the call (an error may come after a partial update).
      snippets.push(`pcall(function() return ${call} end) return all(cjson.encode_sparse_array()) .. ' ' .. all(cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())`);
    }
    snippets.push("cjson.encode_keep_buffer(false) return cjson.encode({1, 'a', {b = 2}}) .. cjson.encode({3})");
    snippets.push("cjson.encode_keep_buffer(false) cjson.encode_keep_buffer(true) return cjson.encode({1})");
    snippets.push("cjson.encode_number_precision(3) return cjson.encode({1234567, 0.0001234567, 123, 1000, 999.5, -0.5})");
    snippets.push("cjson.encode_number_precision(1) return cjson.encode({15, 25, 35, 0.25, 0.35, 9.5, 95})");
    snippets.push("cjson.encode_number_precision(9) return cjson.encode({123456789, 1234567890, 2^31 - 1, -2^31})");
    snippets.push("cjson.encode_number_precision(10) return cjson.encode({1234567890, 12345678901, 2^31 - 1, -2^31})");
    snippets.push("local c = cjson.new() c.encode_max_depth(2) return all(cjson.encode_max_depth(), c.encode_max_depth())");
    snippets.push("local c = cjson.new() cjson.encode_number_precision(2) return c.encode({1/3}) .. cjson.encode({1/3})");
    snippets.push("local c = cjson.new() c.decode_invalid_numbers(false) return dump({pcall(c.decode, 'nan')}) .. dump(cjson.decode('[nan]'))");
    snippets.push("local c = cjson.new() return all(c._NAME, c._VERSION, c.null == cjson.null, c.encode == cjson.encode, type(c.new))");
    snippets.push("local c = cjson.new().new() c.encode_sparse_array(true) return c.encode({[1] = 1, [50] = 2})");
    snippets.push("local c = cjson.new() local r = {} for k in pairs(c) do r[#r + 1] = k end return table.concat(r, ',')");
    snippets.push("local c = cjson.new(1, 2, 3) return c.encode({1})");
    await expectSameOutcomes(snippets, { fresh: true });
  });

  test("round trips", async () => {
    const documents = [
      '{"name":"job","data":{"id":123,"tags":["a","b"],"nested":{"x":1.5,"y":null}},"opts":{"attempts":3,"delay":0}}',
      '[1,2,3,"four",{"five":5},[6,[7,[8]]],true,false,null]',
      '{"unicode":"\\u00e9\\u4e2d\\ud83d\\ude00","escapes":"\\"\\\\\\/\\b\\f\\n\\r\\t","slash":"a/b"}',
      '{"big":12345678901234567890,"small":1e-300,"neg":-0,"exp":1.5E+10,"frac":0.1}',
      "[]",
      "{}",
      '[[],{},[{}],{"a":[]}]',
      '"just a string"',
      "3.141592653589793",
    ];
    const snippets: string[] = [];
    // Large documents: buffers grow past what is kept between calls.
    snippets.push("local t = {} for i = 1, 20000 do t[i] = {id = i, name = 'n' .. i, v = i / 7, s = string.rep('\\\"', i % 5)} end local s = cjson.encode(t) local s2 = cjson.encode(cjson.decode(s)) return #s .. ' ' .. tostring(s == s2) .. ' ' .. s:sub(-200)");
    snippets.push("local s = string.rep('\\1\\2/\\255', 100000) local e = cjson.encode(s) return #e .. ' ' .. tostring(cjson.decode(e) == s) .. ' ' .. e:sub(1, 60)");
    snippets.push("local s = cjson.encode(string.rep('x', 200000)) return #s .. cjson.encode({1, 2})");
    for (const json of documents) {
      snippets.push(`return cjson.encode(cjson.decode(${luaLiteral(json)}))`);
      snippets.push(`return cjson.encode(cjson.decode(cjson.encode(cjson.decode(${luaLiteral(json)}))))`);
      snippets.push(`return dump(cjson.decode(${luaLiteral(json)}))`);
    }
    await expectSameOutcomes(snippets);
  });

  test("random JSON documents, and the same with a random edit", async () => {
    const random = seededRandom(0xc0ffee);
    const snippets: string[] = [];
    for (let i = 0; i < 400; i++) {
      const json = randomJson(random);
      snippets.push(`return dump(cjson.decode(${luaLiteral(json)}))`);
      snippets.push(`return cjson.encode(cjson.decode(${luaLiteral(json)}))`);
      const edited = mutate(random, json);
      snippets.push(`return dump(cjson.decode(${luaLiteral(edited)}))`);
      snippets.push(`cjson.decode_invalid_numbers(${i % 2 === 0}) local ok, v = pcall(cjson.decode, ${luaLiteral(edited)}) cjson.decode_invalid_numbers(true) return dump({ok, v})`);
    }
    await expectSameOutcomes(snippets);
  }, 120_000);

  test("random Lua tables", async () => {
    const random = seededRandom(424242);
    const snippets: string[] = [];
    for (let i = 0; i < 400; i++) {
      const table = randomLuaTable(random);
      snippets.push(`return cjson.encode(${table})`);
      snippets.push(`cjson.encode_sparse_array(true) local ok, v = pcall(cjson.encode, ${table}) cjson.encode_sparse_array(false) return dump({ok, v})`);
      snippets.push(`local ok, v = pcall(cjson.encode, ${table}) if not ok then return v end return dump(cjson.decode(v))`);
    }
    await expectSameOutcomes(snippets);
  }, 120_000);

  test("random doubles at random precisions", async () => {
    const random = seededRandom(2718);
    const bits = new DataView(new ArrayBuffer(8));
    const snippets: string[] = [];
    for (let i = 0; i < 100; i++) {
      const numbers: string[] = [];
      for (let j = 0; j < 20; j++) {
        let value: number;
        const kind = random();
        if (kind < 0.4) {
          bits.setUint32(0, Math.floor(random() * 2 ** 32));
          bits.setUint32(4, Math.floor(random() * 2 ** 32));
          value = bits.getFloat64(0);
          if (!Number.isFinite(value)) value = 1;
        } else if (kind < 0.7) {
          value = Math.floor(random() * 2 ** 24) / 2 ** Math.floor(random() * 30);
        } else {
          value = Math.floor(random() * 2 ** 53) * 10 ** Math.floor(random() * 12 - 6);
        }
        numbers.push(value.toPrecision(17));
      }
      const precision = 1 + Math.floor(random() * 14);
      const list = "{" + numbers.join(", ") + "}";
      snippets.push(`cjson.encode_number_precision(${precision}) local s = cjson.encode(${list}) cjson.encode_number_precision(14) return s`);
      snippets.push(`return cjson.encode(cjson.decode(${luaLiteral("[" + numbers.join(",") + "]")}))`);
    }
    await expectSameOutcomes(snippets);
  }, 60_000);
});
