// cmsgpack (src/scripting/lib/cmsgpack.ts) against lua-cmsgpack in the real redis-server:
// the same Lua snippets run in our VM and through EVAL, and their results must be equal
// byte for byte (packed strings shown in hex, decoded values through a serializer
// written in Lua, errors by message). A few pinned results keep a check when
// redis-server is not installed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openCmsgpack } from "../../src/scripting/lib/cmsgpack.ts";
import { libraryState, redisLua, runLua, type LuaOutcome } from "../helpers/lua.ts";
import { seededRandom } from "../helpers/random.ts";
import { RawClient, REDIS_SERVER, startRedis, type RunningServer } from "../helpers/server.ts";

/**
 * Helpers every snippet may use, on one line so that error positions stay "user_script:1:".
 * hex(s): a packed string, readable in a failed comparison. ser(v): a value, tables in
 * pairs order (which must match too), or with their entries sorted once a snippet sets
 * sortTables. all(...): every result of a call, and their count.
 */
const PRELUDE = [
  "local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end",
  "local sortTables = false",
  "local function ser(v) local t = type(v)",
  "if t == 'table' then local parts = {} for k, x in pairs(v) do parts[#parts + 1] = '[' .. ser(k) .. ']=' .. ser(x) end",
  "if sortTables then table.sort(parts) end return '{' .. table.concat(parts, ',') .. '}'",
  "elseif t == 'string' then return string.format('%q', v) elseif t == 'number' then return string.format('%.17g', v) else return tostring(v) end end",
  "local function all(...) local out = {tostring(select('#', ...))} for i = 1, select('#', ...) do out[#out + 1] = ser((select(i, ...))) end return table.concat(out, ' ') end",
  "local function bytes(...) return string.char(...) end",
].join(" ");

const lua = libraryState(openCmsgpack);
let redis: RunningServer | undefined;
let client: RawClient | undefined;

beforeAll(async () => {
  if (REDIS_SERVER === undefined) return;
  redis = await startRedis();
  client = await RawClient.connect(redis.port);
});

afterAll(async () => {
  client?.close();
  await redis?.stop();
  lua.close();
});

function ours(snippet: string): LuaOutcome {
  return runLua(lua, `${PRELUDE} ${snippet}`);
}

/** Runs every snippet in both VMs; a mismatch names its snippet. */
async function expectSameAsRedis(snippets: string[]): Promise<void> {
  for (const snippet of snippets) {
    const source = `${PRELUDE} ${snippet}`;
    const mine = runLua(lua, source);
    const theirs = await redisLua(client!, source);
    expect({ snippet, ...mine }).toEqual({ snippet, ...theirs });
  }
}

/** Runs snippets each returning lines, batched into one EVAL, and compares line by line. */
async function expectSameLines(body: string): Promise<void> {
  const source = `${PRELUDE} ${body}`;
  const mine = runLua(lua, source);
  const theirs = await redisLua(client!, source);
  if (!("value" in mine) || !("value" in theirs) || mine.value === null || theirs.value === null) {
    expect(mine).toEqual(theirs);
    return;
  }
  const mineLines = mine.value.split("\n");
  const theirLines = theirs.value.split("\n");
  expect(mineLines.length).toBe(theirLines.length);
  for (let i = 0; i < mineLines.length; i++) expect({ line: i, value: mineLines[i] }).toEqual({ line: i, value: theirLines[i] });
}

/**
 * `items` in runs of at most `maxChars` characters: RawClient writes a command with one
 * socket write, and a script of megabytes does not go out whole.
 */
function inChunks(items: string[], maxChars = 500_000): string[][] {
  const chunks: string[][] = [[]];
  let size = 0;
  for (const item of items) {
    if (size + item.length > maxChars && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)!.push(item);
    size += item.length;
  }
  return chunks;
}

/** A Lua string literal holding exactly `bytes`. */
function luaString(bytes: ArrayLike<number>): string {
  let text = '"';
  for (let i = 0; i < bytes.length; i++) text += `\\${bytes[i]}`;
  return `${text}"`;
}

function fromHex(hex: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

const withRedis = test.skipIf(REDIS_SERVER === undefined);

// ---- pinned results (from redis-server 7.0.15), for machines without it ---------------

describe("cmsgpack without redis-server", () => {
  const pinned: Array<[string, string]> = [
    ["return hex(cmsgpack.pack(0, -1, 127, 128, -32, -33, 255, 256))", "00ff7fcc80e0d0dfccffcd0100"],
    ["return hex(cmsgpack.pack(65536, 2^32, -2^31, -2^31-1, -2^63))", "ce00010000cf0000000100000000d280000000d3ffffffff7fffffffd38000000000000000"],
    ["return hex(cmsgpack.pack(2^63, 1.5, 0.1, 1/0, 0/0, -(0/0), -0))", "ca5f000000ca3fc00000cb3fb999999999999aca7f800000cbfff8000000000000cb7ff800000000000000"],
    ["return hex(cmsgpack.pack('', 'abc', string.rep('x', 32)))", "a0a3616263d920" + "78".repeat(32)],
    ["return hex(cmsgpack.pack({}, {1, 2}, {a = true}, {1, nil, 3}, nil, type))", "9092010281a161c38201010303c0c0"],
    ["return all(cmsgpack.unpack(bytes(0xcf, 255, 255, 255, 255, 255, 255, 255, 255, 0xd3, 128, 0, 0, 0, 0, 0, 0, 0)))", "2 -1 -9.2233720368547758e+18"],
    ["return all(cmsgpack.unpack_one(bytes(1, 2, 3), 1))", "2 2 2"],
    ["return all(cmsgpack.unpack_limit(bytes(1, 2, 3), 5, 1))", "3 -1 2 3"],
    ["return all(cmsgpack.unpack(bytes(0x92, 1)))", "user_script:1: Missing bytes in input."],
    ["return all(cmsgpack.unpack(bytes(0xc4, 1, 1)))", "user_script:1: Bad data format in input."],
    ["return cmsgpack.pack()", "user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"],
    ["return cmsgpack._VERSION .. ' ' .. cmsgpack._NAME", "lua-cmsgpack 0.4.0 cmsgpack"],
  ];
  for (const [snippet, expected] of pinned) {
    test(snippet, () => {
      const outcome = ours(snippet);
      expect("value" in outcome ? outcome.value : outcome.error).toBe(expected);
    });
  }
});

// ---- packing -------------------------------------------------------------------------

describe("cmsgpack.pack matches redis-server", () => {
  withRedis("integers at every size boundary", async () => {
    const snippets: string[] = [];
    for (const exponent of [0, 4, 5, 7, 8, 15, 16, 24, 31, 32, 52, 53, 62, 63, 64]) {
      for (const delta of [-2, -1, 0, 1, 2]) {
        snippets.push(`return hex(cmsgpack.pack(2^${exponent} + ${delta}, -(2^${exponent} + ${delta})))`);
      }
    }
    for (const exponent of [53, 62, 63]) {
      for (const step of [1, 1024, 2048, 4096]) snippets.push(`return hex(cmsgpack.pack(2^${exponent} + ${step}, -2^${exponent} - ${step}))`);
    }
    snippets.push("return hex(cmsgpack.pack(0, -0, 0 * -1))");
    await expectSameAsRedis(snippets);
  });

  withRedis("floats: float32 when exact, else float64; infinities, NaNs, subnormals", async () => {
    const values = [
      "0.5", "-0.5", "1.5", "0.1", "-0.1", "1/3", "math.pi", "1e300", "-1e300", "1e-300", "2^-149", "2^-150", "2^-126",
      "3.4028234663852886e38", "3.4028235677973366e38", "-3.4028234663852886e38", "2^24 + 0.5", "2^53 - 0.5",
      "16777217.5", "123456.789", "2^64", "2^100", "-2^63 - 4096", "-2^64", "1/0", "-1/0", "0/0", "-(0/0)",
      "math.huge - math.huge", "math.sqrt(-1)", "2^63 * 0.75 + 0.5", "1.401298464324817e-45", "5e-324",
    ];
    await expectSameAsRedis(values.map((value) => `return hex(cmsgpack.pack(${value}))`));
  });

  withRedis("strings: fixstr, str8, str16, str32 and every byte", async () => {
    const snippets: string[] = [];
    for (const length of [0, 1, 30, 31, 32, 33, 254, 255, 256, 257, 65534, 65535, 65536, 65537, 100000]) {
      snippets.push(`return hex(cmsgpack.pack(string.rep('a', ${length})))`);
    }
    snippets.push("local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end return hex(cmsgpack.pack(table.concat(t)))");
    snippets.push("local out = {} for i = 0, 255 do out[#out + 1] = cmsgpack.pack(string.char(i)) end return hex(table.concat(out))");
    snippets.push("return cmsgpack.pack(string.rep('\\0\\255', 40000))");
    await expectSameAsRedis(snippets);
  });

  withRedis("nil, booleans, and values MessagePack cannot hold", async () => {
    await expectSameAsRedis([
      "return hex(cmsgpack.pack(nil))",
      "return hex(cmsgpack.pack(true, false))",
      "return hex(cmsgpack.pack(type, coroutine.create(function() end), nil))",
      "return hex(cmsgpack.pack({type, true}))",
      "return hex(cmsgpack.pack({[type] = 1}))",
    ]);
  });

  withRedis("tables: array detection, holes, sparse, mixed and odd keys", async () => {
    const tables = [
      "{}", "{1}", "{1, 2, 3}", "{1, 2, nil, 4}", "{nil, 2}", "{[1] = 'a', [3] = 'c'}", "{[2] = 'b'}", "{[1] = 'a', [2] = 'b'}",
      "{a = 1}", "{1, 2, a = 3}", "{[0] = 'zero', 'one'}", "{[1.5] = 1}", "{[-1] = 1}", "{[2^31] = 1}", "{[2^31 - 1] = 1}",
      "{['1'] = 1}", "{[true] = 1, [false] = 0}", "{{}, {{}}, {a = {}}}", "{x = {1, 2, {y = 'z'}}, [10] = 10, [20.5] = true}",
      "{1, 2, 3, nil}", "{n = 0}", "{[1] = 1, [2] = 2, [4] = 4, [3] = 3}", "{'a', 'b', c = 'c', 'd', e = {f = 'g'}}",
      "{[1e300] = 1, [-0.5] = 2, [1/0] = 3, [-1/0] = 4}",
    ];
    const snippets = tables.map((table) => `return hex(cmsgpack.pack(${table}))`);
    snippets.push("local t = {1, 2, 3} t[2] = nil return hex(cmsgpack.pack(t))");
    snippets.push("local t = {1, 2, 3} t[3] = nil return hex(cmsgpack.pack(t))");
    snippets.push("local t = {} for i = 10, 1, -1 do t[i] = i end return hex(cmsgpack.pack(t))");
    snippets.push("local t = {} for i = 1, 100 do t['k' .. i] = i end t.k50 = nil return hex(cmsgpack.pack(t))");
    snippets.push("local t = setmetatable({}, {__index = function() return 1 end}) return hex(cmsgpack.pack(t))");
    snippets.push("local t = setmetatable({1, 2}, {__index = function() return 1 end, __len = function() return 5 end}) return hex(cmsgpack.pack(t))");
    await expectSameAsRedis(snippets);
  });

  withRedis("collection sizes: fix, 16 and 32 bit headers", async () => {
    const snippets: string[] = [];
    for (const count of [15, 16, 17, 65535, 65536, 70000]) {
      snippets.push(`local t = {} for i = 1, ${count} do t[i] = i % 200 end return hex(cmsgpack.pack(t))`);
      snippets.push(`local t = {} for i = 1, ${count} do t[-i] = true end return hex(cmsgpack.pack(t))`);
    }
    await expectSameAsRedis(snippets);
  });

  withRedis("nesting: sixteen levels, then nil; cycles", async () => {
    const snippets: string[] = [];
    for (const depth of [14, 15, 16, 17, 18, 30]) {
      snippets.push(`local t = {} local c = t for i = 2, ${depth} do c[1] = {} c = c[1] end return hex(cmsgpack.pack(t))`);
      snippets.push(`local t = {} local c = t for i = 2, ${depth} do c.k = {v = i} c = c.k end return hex(cmsgpack.pack(t))`);
      snippets.push(`local t = {} local c = t for i = 2, ${depth} do local n = {} c[n] = i c = n end return hex(cmsgpack.pack(t))`);
    }
    snippets.push("local t = {} t[1] = t return hex(cmsgpack.pack(t))");
    snippets.push("local t = {} t.self = t return hex(cmsgpack.pack(t, t))");
    snippets.push("local a, b = {}, {} a.b = b b.a = a return hex(cmsgpack.pack(a))");
    await expectSameAsRedis(snippets);
  });

  withRedis("several arguments, and the argument count limits", async () => {
    const snippets = [
      "return hex(cmsgpack.pack(1, 'a', {1}, nil, true, {k = 'v'}, 2.5))",
      "return hex(cmsgpack.pack(nil, nil))",
      "return cmsgpack.pack()",
      "local pack = cmsgpack.pack return pack()",
      "return cmsgpack:pack()",
    ];
    for (const count of [3999, 4000, 4001, 7997, 7998, 8000]) {
      snippets.push(`local t = {} for i = 1, ${count} do t[i] = i end return hex(cmsgpack.pack(unpack(t)))`);
    }
    // Tables need more stack while they are encoded: the limit comes earlier.
    for (const count of [3990, 3994, 3995, 3996, 3997, 3998, 3999, 4000]) {
      snippets.push(`local t = {} for i = 1, ${count} do t[i] = {1} end return #cmsgpack.pack(unpack(t))`);
      snippets.push(`local t = {} for i = 1, ${count} do t[i] = {a = {b = {c = {}}}} end return #cmsgpack.pack(unpack(t))`);
    }
    await expectSameAsRedis(snippets);
  });
});

// ---- unpacking -----------------------------------------------------------------------

/** One encoding of every MessagePack type, with and without meaning for lua-cmsgpack. */
const ENCODINGS: string[] = [
  "00", "01", "7f", "e0", "ff", "f0", "a0", "a568656c6c6f", "bf" + "61".repeat(31),
  "80", "8101a161", "82a161c3a162c2", "8f" + Array.from({ length: 15 }, (_, i) => `${(i + 1).toString(16).padStart(2, "0")}c0`).join(""),
  "90", "910a", "93010203", "9f" + "07".repeat(15), "92c001", "93c0c0c0", "9301c003",
  "c0", "c1", "c2", "c3",
  "c403616263", "c50003616263", "c600000003616263", "c70101ff", "c8000101ff", "c90000000101ff",
  "ca3fc00000", "ca00000001", "ca7f800000", "caff800000", "ca7fc00000", "caffc00000", "ca7f800001", "ca7fbfffff", "caffffffff", "ca80000000",
  "cb3ff8000000000000", "cb0000000000000001", "cb7ff0000000000000", "cb7ff8000000000000", "cbfff8000000000000",
  "cb7ff0000000000001", "cbfff0000000000001", "cb7fffffffffffffff", "cb8000000000000000",
  "cc00", "cc7f", "cc80", "ccff", "cd0000", "cdffff", "cd8000", "ce00000000", "ceffffffff", "ce80000000",
  "cf0000000000000000", "cfffffffffffffffff", "cf7fffffffffffffff", "cf8000000000000000", "cf0020000000000001",
  "cf0020000000000003", "cf00000000ffffffff", "cf0000000100000000", "cf8000000000000001", "cffffffffffffffffe",
  "d000", "d07f", "d080", "d0ff", "d10000", "d18000", "d1ff00", "d1ff01", "d17fff", "d200000000", "d280000000", "d2ffffffff",
  "d30000000000000000", "d38000000000000000", "d3ffffffffffffffff", "d3ffdfffffffffffff", "d3ffe0000000000001", "d37fffffffffffffff",
  "d401ff", "d50102ff", "d601" + "00".repeat(4), "d701" + "00".repeat(8), "d801" + "00".repeat(16),
  "d903616263", "d900", "d9ff" + "62".repeat(255), "da0003616263", "da0000", "db00000003616263", "db00000000",
  "dc0000", "dc000201c2", "dd00000000", "dd0000000201c3", "de0000", "de0001a178c0", "df00000000", "df00000001c3c2",
  "dc0011" + "05".repeat(17), "de0010" + Array.from({ length: 16 }, (_, i) => `a1${(0x61 + i).toString(16)}${i.toString(16).padStart(2, "0")}`).join(""),
  "8201020103", "8101c0", "81c001", "81cb7ff800000000000001", "81cbfff800000000000001", "81ca7fc0000001",
  "9281a1619101c0", "81910101", "8180c3", "82c3c2c2c3",
];

describe("cmsgpack.unpack matches redis-server", () => {
  withRedis("every type from hand-made bytes", async () => {
    await expectSameAsRedis(ENCODINGS.map((hex) => `return all(cmsgpack.unpack(${luaString(fromHex(hex))}))`));
  });

  withRedis("NaNs and rounding survive a round trip through Lua", async () => {
    const numeric = ENCODINGS.filter((hex) => /^(ca|cb|cf|d3)/.test(hex));
    await expectSameAsRedis(numeric.map((hex) => `return hex(cmsgpack.pack(cmsgpack.unpack(${luaString(fromHex(hex))})))`));
  });

  withRedis("every truncation of every encoding", async () => {
    const lines: string[] = [];
    for (const hex of ENCODINGS) {
      const bytes = fromHex(hex);
      for (let cut = 0; cut < bytes.length; cut++) lines.push(luaString(bytes.slice(0, cut)));
    }
    await expectSameLines(
      `local inputs = {${lines.join(",")}} local out = {} ` +
        "for i, s in ipairs(inputs) do out[i] = all(pcall(function() return cmsgpack.unpack(s) end)) end return table.concat(out, '\\n')",
    );
  });

  withRedis("values back to back, and strings of every length class", async () => {
    await expectSameAsRedis([
      "return all(cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}, nil, false, {four = 4})))",
      "return all(cmsgpack.unpack(''))",
      "return all(cmsgpack.unpack(5))",
      "return all(cmsgpack.unpack(-1.5))",
      "return all(cmsgpack.unpack(nil))",
      "return all(cmsgpack.unpack())",
      "return all(cmsgpack.unpack({}))",
      "return all(cmsgpack.unpack(bytes(1), 'ignored'))",
      "local s = string.rep('z', 70000) local u = cmsgpack.unpack(cmsgpack.pack(s)) return tostring(u == s)",
      "local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end local s = table.concat(t) return all(cmsgpack.unpack(cmsgpack.pack(s, s .. s)))",
      "return all(cmsgpack.unpack(bytes(0xdb, 0, 1, 0, 0) .. string.rep('q', 65536)) == string.rep('q', 65536))",
      "return all(cmsgpack.unpack(bytes(0xdb, 0, 1, 0, 0) .. string.rep('q', 65535)))",
      "return all(cmsgpack.unpack(bytes(0xdd, 255, 255, 255, 255, 1, 2)))",
      "return all(cmsgpack.unpack(bytes(0xdf, 0, 0, 0, 2, 1)))",
      "local t = {} for i = 1, 70000 do t[i] = i end local u = cmsgpack.unpack(cmsgpack.pack(t)) return #u .. ' ' .. u[70000]",
      "local t = {} for i = 1, 70000 do t['k' .. i] = i end local u = cmsgpack.unpack(cmsgpack.pack(t)) local n = 0 for k, v in pairs(u) do n = n + 1 end return n .. ' ' .. u.k70000",
    ]);
  });

  withRedis("decoded tables iterate in Redis's order", async () => {
    await expectSameAsRedis([
      "local t = {} for i = 1, 40 do t['key' .. i] = i end return ser(cmsgpack.unpack(cmsgpack.pack(t)))",
      "local t = {} for i = 1, 40 do t[i * 1.5] = i end return ser(cmsgpack.unpack(cmsgpack.pack(t)))",
      "local t = {1, 2, 3, [10] = 10, x = 'x', [true] = false, [-7] = 'neg'} return ser(cmsgpack.unpack(cmsgpack.pack(t)))",
      "return ser(cmsgpack.unpack(bytes(0x94, 0xc0, 2, 0xc0, 4)))",
      "return ser(cmsgpack.unpack(bytes(0x84, 3, 3, 1, 1, 2, 2, 0xa1, 0x61, 0xc0)))",
      "local out = {} for k, v in pairs(cmsgpack) do out[#out + 1] = k .. '=' .. (type(v) == 'string' and v or type(v)) end return table.concat(out, ' ')",
    ]);
  });

  withRedis("unpack_one and unpack_limit: offsets, limits and their errors", async () => {
    const snippets: string[] = [];
    const input = "bytes(1, 0xa2, 0x68, 0x69, 0x92, 2, 3, 0xc0, 0xcd, 1, 0)"; // 1, "hi", {2, 3}, nil, 256
    for (const offset of ["", "0", "1", "4", "7", "8", "10", "11", "12", "-1", "-0.5", "1.9", "'4'", "2^31", "2^32 + 3", "2^40", "2^63", "-2^63", "1e300", "0/0", "'x'", "nil", "{}"]) {
      snippets.push(`return all(cmsgpack.unpack_one(${input}${offset === "" ? "" : ", " + offset}))`);
    }
    for (const limit of ["0", "1", "2", "3", "5", "6", "100", "-1", "0.5", "'2'", "2^40", "0/0", "nil", "'x'"]) {
      for (const offset of ["", "0", "1", "4", "11", "12", "-3"]) {
        snippets.push(`return all(cmsgpack.unpack_limit(${input}, ${limit}${offset === "" ? "" : ", " + offset}))`);
      }
    }
    snippets.push("return all(cmsgpack.unpack_limit(bytes(1, 2)))");
    snippets.push("return all(cmsgpack.unpack_one())");
    snippets.push("return all(cmsgpack.unpack_one(nil, 'x'))");
    snippets.push("return all(cmsgpack.unpack_one(bytes(0x92, 1)))");
    snippets.push("return all(cmsgpack.unpack_one(bytes(1, 0xc1), 1))");
    snippets.push("return all(cmsgpack.unpack_limit(bytes(1, 0xc1), 1))");
    snippets.push("return all(cmsgpack.unpack_one(''))");
    snippets.push("return all(cmsgpack.unpack_one('', 0))");
    snippets.push("return all(cmsgpack.unpack_limit('', 0, 0))");
    snippets.push(
      "local s = cmsgpack.pack(1, {2}, 'x', {a = 'b'}) local out, offset = {}, 0 " +
        "while offset >= 0 do local value offset, value = cmsgpack.unpack_one(s, offset) out[#out + 1] = offset .. ':' .. ser(value) end return table.concat(out, ' ')",
    );
    await expectSameAsRedis(snippets);
  });

  withRedis("inside a coroutine", async () => {
    await expectSameAsRedis([
      "return coroutine.wrap(function() return hex(cmsgpack.pack({1, {a = 2}}, 0/0)) end)()",
      "return coroutine.wrap(function() return all(cmsgpack.unpack_limit(cmsgpack.pack(1, {2}, 'x'), 2, 1)) end)()",
      "return all(coroutine.resume(coroutine.create(function() return cmsgpack.unpack(bytes(0x92)) end)))",
      "return all(coroutine.resume(coroutine.create(function() return cmsgpack.pack() end)))",
    ]);
  });

  withRedis("table index errors from decoded map keys", async () => {
    await expectSameAsRedis([
      "return all(cmsgpack.unpack(bytes(0x81, 0xc0, 1)))",
      "return all(cmsgpack.unpack(bytes(0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 1)))",
      "return all(cmsgpack.unpack(bytes(0x91, 0x81, 0xc0, 1)))",
      "return all(pcall(cmsgpack.unpack, bytes(0x81, 0xc0, 1)))",
      "return all(pcall(cmsgpack.unpack, bytes(0x92, 1)))",
    ]);
  });

  withRedis("stack limits: many results, deep nesting", async () => {
    const snippets: string[] = [];
    for (const count of [7990, 7997, 7998, 7999, 8000, 9000]) {
      snippets.push(`return select('#', cmsgpack.unpack(string.rep(bytes(1), ${count})))`);
      snippets.push(`local s = string.rep(bytes(1), ${count}) return select('#', cmsgpack.unpack_limit(s, ${count}))`);
      snippets.push(`local s = string.rep(bytes(1), ${count}) return select('#', cmsgpack.unpack_limit(s, ${count}, 1))`);
    }
    for (const depth of [100, 3990, 3995, 3996, 3997, 3998, 3999, 4000, 5000]) {
      snippets.push(`local u = cmsgpack.unpack(string.rep(bytes(0x91), ${depth}) .. bytes(7)) local d = 0 while type(u) == 'table' do u = u[1] d = d + 1 end return d .. ' ' .. u`);
      snippets.push(`local u = cmsgpack.unpack(string.rep(bytes(0x81, 1), ${depth}) .. bytes(7)) local d = 0 while type(u) == 'table' do u = u[1] d = d + 1 end return d .. ' ' .. u`);
      snippets.push(`local u = cmsgpack.unpack(string.rep(bytes(0x81), ${depth}) .. bytes(7)) return type(u)`);
    }
    for (const count of [3997, 3998, 3999, 4000]) {
      snippets.push(`return select('#', cmsgpack.unpack(string.rep(bytes(0x91, 0x91, 1), ${count})))`);
    }
    await expectSameAsRedis(snippets);
  });
});

// ---- what the VM cannot match yet ------------------------------------------------------

describe("cmsgpack against redis-server, known VM differences", () => {
  // Redis 7.0 patched Lua's string hash to read every byte (commit 7f88923b4, #9449); the
  // wasm VM hashes a string of 32 bytes or more from a sample of them, as stock Lua 5.1
  // does. Such keys land elsewhere in the table, lua_next visits them in another order,
  // and pack writes the map in that order. Nothing in cmsgpack can change this: it needs
  // the patch in the VM, and then this test fails and should become a plain one.
  const knownDifference = REDIS_SERVER === undefined ? test.skip : test.failing;
  knownDifference("long string keys: maps come out in another order", async () => {
    await expectSameAsRedis(["return hex(cmsgpack.pack({[string.rep('x', 32)] = 1, a = 4, b = 5, c = 6}))"]);
  });
});

// ---- randomized ----------------------------------------------------------------------

/** Random Lua values written as Lua source, built from a seeded PRNG. */
class LuaValueSource {
  /** Values left to the one being built, so that nested tables stay small. */
  private budget = 0;

  constructor(private readonly random: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private integer(limit: number): number {
    return Math.floor(this.random() * limit);
  }

  number(): string {
    const random = this.random;
    switch (this.integer(8)) {
      case 0: {
        const exponent = this.pick([0, 5, 7, 8, 15, 16, 31, 32, 53, 63, 64]);
        return `(${random() < 0.5 ? "-" : ""}2^${exponent} + ${this.integer(5) - 2})`;
      }
      case 1:
        return String(this.integer(300) - 150);
      case 2:
        return String(Math.floor((random() - 0.5) * 2 ** (this.integer(64) + 1)));
      case 3:
        return String(Math.fround((random() - 0.5) * 10 ** (this.integer(20) - 10)));
      case 4: {
        // Any double: random bits, with NaNs and infinities written as expressions.
        const view = new DataView(new ArrayBuffer(8));
        view.setUint32(0, Math.floor(random() * 2 ** 32));
        view.setUint32(4, Math.floor(random() * 2 ** 32));
        const value = view.getFloat64(0);
        if (Number.isNaN(value)) return random() < 0.5 ? "(0/0)" : "(-(0/0))";
        if (!Number.isFinite(value)) return value > 0 ? "(1/0)" : "(-1/0)";
        return `(${value})`;
      }
      case 5:
        return this.pick(["0", "(-0)", "0.5", "(1/0)", "(-1/0)", "(0/0)", "(-(0/0))", "(2^63)", "(-2^63)", "(2^-149)"]);
      case 6:
        return `${(random() - 0.5) * 1000}`;
      default:
        return String(this.integer(2 ** 32) * (random() < 0.5 ? -1 : 1));
    }
  }

  string(): string {
    const length = this.pick([0, 1, 5, 31, 32, 33, this.integer(40), this.integer(300), 255, 256]);
    if (this.random() < 0.01) return `string.rep('s', ${this.pick([65535, 65536])})`;
    return luaString(Array.from({ length }, () => this.integer(256)));
  }

  key(): string {
    switch (this.integer(6)) {
      case 0:
      case 1:
        // Shorter than 32 bytes: see "known VM differences" above.
        return luaString(Array.from({ length: this.integer(32) }, () => this.integer(256)));
      case 2:
        // Not NaN: a NaN key is an error in the constructor and would end the whole batch.
        return this.number().replace(/^\(0\/0\)$|^\(-\(0\/0\)\)$/, "1");
      case 3:
        return String(this.integer(20) + 1);
      case 4:
        return this.pick(["true", "false"]);
      default:
        // Not tables: they hash by address, so with other keys beside them the order
        // lua_next gives differs between any two processes (Redis against itself too).
        return this.pick(["'a'", "'b'", "-1", "0", "0.5", "2^40"]);
    }
  }

  table(depth: number): string {
    if (this.budget-- <= 0) return "{}";
    const size = this.pick([0, 1, 3, 8, 15, 16, 17, this.integer(40)]);
    const parts: string[] = [];
    switch (this.integer(4)) {
      case 0: // an array, perhaps with holes
        for (let i = 0; i < size; i++) parts.push(this.random() < 0.1 ? "nil" : this.value(depth + 1));
        break;
      case 1: // keyed
        for (let i = 0; i < size; i++) parts.push(`[${this.key()}] = ${this.value(depth + 1)}`);
        break;
      case 2: // a chain deep enough to reach the nesting limit
        return depth < 20 ? `{${this.table(depth + 1)}, ${this.value(depth + 1)}}` : "{}";
      default: // mixed
        for (let i = 0; i < size; i++) parts.push(this.random() < 0.5 ? this.value(depth + 1) : `[${this.key()}] = ${this.value(depth + 1)}`);
    }
    return `{${parts.join(", ")}}`;
  }

  value(depth = 0): string {
    if (depth === 0) this.budget = 80;
    this.budget--;
    const roll = this.random();
    if (roll < 0.3) return this.number();
    if (roll < 0.55) return this.string();
    if (roll < 0.62) return this.pick(["true", "false", "nil"]);
    return this.budget > 0 && depth < 22 ? this.table(depth) : "0";
  }
}

/** Random MessagePack bytes: mostly well formed, every type, some cut or corrupted. */
function randomMessage(random: () => number, depth = 0): number[] {
  const integer = (limit: number) => Math.floor(random() * limit);
  const bytes = (count: number) => Array.from({ length: count }, () => integer(256));
  const be = (value: number, size: number) => Array.from({ length: size }, (_, i) => Math.floor(value / 256 ** (size - 1 - i)) % 256);
  const type = integer(depth > 3 ? 6 : 9);
  switch (type) {
    case 0:
      return [integer(256)];
    case 1:
      return [0xcc + integer(4), ...bytes(8)].slice(0, [2, 3, 5, 9][integer(4)]);
    case 2: {
      const tag = [0xca, 0xcb, 0xcf, 0xd3, 0xd0, 0xd1, 0xd2, 0xcc, 0xcd, 0xce][integer(10)]!;
      const size = { 0xca: 4, 0xcb: 8, 0xcf: 8, 0xd3: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xcc: 1, 0xcd: 2, 0xce: 4 }[tag]!;
      const body = bytes(size);
      if (random() < 0.3) body[0] = [0x7f, 0xff, 0x80, 0x00][integer(4)]!;
      return [tag, ...body];
    }
    case 3: {
      const length = [integer(32), integer(300), 31, 32, 255, 256][integer(6)]!;
      const body = bytes(length);
      if (length < 32 && random() < 0.5) return [0xa0 | length, ...body];
      if (length <= 255 && random() < 0.5) return [0xd9, length, ...body];
      return random() < 0.5 ? [0xda, ...be(length, 2), ...body] : [0xdb, ...be(length, 4), ...body];
    }
    case 4:
      return [[0xc0, 0xc1, 0xc2, 0xc3][integer(4)]!];
    case 5: {
      const tag = [0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8][integer(11)]!;
      return [tag, ...bytes(integer(6))];
    }
    default: {
      const count = [0, 1, 2, 5, 15, 16, integer(20)][integer(7)]!;
      const isMap = random() < 0.5;
      const header = count <= 15 && random() < 0.6 ? [(isMap ? 0x80 : 0x90) | count] : random() < 0.5 ? [isMap ? 0xde : 0xdc, ...be(count, 2)] : [isMap ? 0xdf : 0xdd, ...be(count, 4)];
      const body: number[] = [];
      for (let i = 0; i < count; i++) {
        if (isMap) body.push(...randomKey(random));
        body.push(...randomMessage(random, depth + 1));
      }
      return [...header, ...body];
    }
  }
}

/**
 * A map key whose place in a Lua table is the same in both VMs: no strings of 32 bytes or
 * more (see "known VM differences") and no tables (placed by address). Sometimes nil or
 * a NaN, which make the decoder's lua_settable fail.
 */
function randomKey(random: () => number): number[] {
  const integer = (limit: number) => Math.floor(random() * limit);
  switch (integer(6)) {
    case 0:
      return [integer(128)];
    case 1:
      return [0xd0, integer(256)];
    case 2: {
      const length = integer(32);
      return [0xa0 | length, ...Array.from({ length }, () => integer(256))];
    }
    case 3:
      return [0xcb, ...Array.from({ length: 8 }, () => integer(256))];
    case 4:
      return [0xc2 + integer(2)];
    default:
      return random() < 0.5 ? [0xc0] : [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
  }
}

describe("cmsgpack randomized against redis-server", () => {
  withRedis("random values pack the same, and decode back the same", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const source = new LuaValueSource(seededRandom(seed));
      const makers = Array.from({ length: 40 }, () => `function() return ${source.value()} end`);
      for (const chunk of inChunks(makers)) {
        await expectSameLines(
          `local values = {${chunk.join(",\n")}} local out = {} ` +
            "for i, make in ipairs(values) do local v = make() local packed = cmsgpack.pack(v) out[i] = hex(packed) .. ' ' .. all(cmsgpack.unpack(packed)) end return table.concat(out, '\\n')",
        );
      }
    }
  });

  withRedis("random several-argument packs", async () => {
    const random = seededRandom(99);
    const source = new LuaValueSource(random);
    const calls = Array.from({ length: 60 }, () => {
      const args = Array.from({ length: 1 + Math.floor(random() * 6) }, () => source.value());
      return `function() return cmsgpack.pack(${args.join(", ")}) end`;
    });
    for (const chunk of inChunks(calls)) {
      await expectSameLines(
        `local calls = {${chunk.join(",\n")}} local out = {} ` +
          "for i, call in ipairs(calls) do local packed = call() out[i] = hex(packed) .. ' ' .. all(cmsgpack.unpack(packed)) end return table.concat(out, '\\n')",
      );
    }
  });

  withRedis("random and damaged MessagePack bytes decode the same", async () => {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const random = seededRandom(seed);
      const inputs: string[] = [];
      for (let i = 0; i < 150; i++) {
        let message: number[] = [];
        const pieces = 1 + Math.floor(random() * 3);
        for (let p = 0; p < pieces; p++) message.push(...randomMessage(random));
        const damage = random();
        if (damage < 0.15 && message.length > 0) message = message.slice(0, Math.floor(random() * message.length));
        else if (damage < 0.3 && message.length > 0) message[Math.floor(random() * message.length)] = Math.floor(random() * 256);
        inputs.push(luaString(message));
      }
      for (const chunk of inChunks(inputs)) {
        // Damage can make anything a map key, a table too, and tables are placed by
        // address: entries are compared sorted here (the order is checked above).
        await expectSameLines(
          `sortTables = true local inputs = {${chunk.join(",\n")}} local out = {} ` +
            "for i, s in ipairs(inputs) do " +
            "local ok, a, b, c = pcall(function() return all(cmsgpack.unpack(s)), all(cmsgpack.unpack_one(s, i % 3)), all(cmsgpack.unpack_limit(s, i % 4, i % 2)) end) " +
            "out[i] = tostring(ok) .. ' ' .. tostring(a) .. ' | ' .. tostring(b) .. ' | ' .. tostring(c) end return table.concat(out, '\\n')",
        );
      }
    }
  });
});
