// The world an EVAL script sees, against the real redis-server 7.0: the globals and the
// libraries (listed by pairs, in Redis's order), the read-only protection of every
// global table and what bypasses it in a stock Lua (rawset, setmetatable, table.insert),
// what is missing (os, io, print, loadfile...), and the redis.* API's constants and
// helpers (log, sha1hex, setresp, set_repl, acl_check_cmd, breakpoint, debug).

import { describe, expect, test } from "bun:test";
import { both, compareScript, haveRedis, usePair, type CommandArgs } from "../helpers/differential.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair();

const evals = (...scripts: string[]): CommandArgs[] => scripts.map((script) => ["EVAL", script, "0"]);

/** A script listing the keys of `table` with their types, sorted, or in pairs order. */
const listing = (table: string, sorted: boolean): string =>
  `local out = {}; for k, v in pairs(${table}) do out[#out + 1] = tostring(k) .. ':' .. type(v) end; ${sorted ? "table.sort(out); " : ""}return out`;

const LIBRARIES = ["_G", "redis", "string", "math", "table", "cjson", "cmsgpack", "struct", "bit", "coroutine", "cjson.new()", "getmetatable('')", "getmetatable(_G)"];

d("the sandbox", () => {
  test("the globals and every library's functions, sorted", async () => {
    expect(await compareScript(pair(), evals(...LIBRARIES.map((name) => listing(name, true))))).toEqual([]);
  });

  test("the globals and every library's functions, in pairs order", async () => {
    expect(await compareScript(pair(), evals(...LIBRARIES.map((name) => listing(name, false))))).toEqual([]);
  });

  test("writes to globals and to library tables are refused", async () => {
    const scripts = [
      "x = 1",
      "_G.x = 1",
      "_G['redis'] = nil",
      "redis = nil",
      "KEYS = {}",
      "local t = _G; t.y = 2",
      "redis.call = function() end",
      "redis.x = 1",
      "redis.LOG_DEBUG = 5",
      "string.x = 1",
      "string.len = nil",
      "math.pi = 3",
      "table.insert = nil",
      "cjson.x = 1",
      "cjson.encode = nil",
      "cmsgpack.x = 1",
      "struct.x = 1",
      "bit.x = 1",
      "coroutine.x = 1",
      "getmetatable('').__index = nil",
      "getmetatable('').x = 1",
      "getmetatable('').__index.x = 1",
      "getmetatable('').__index.upper = nil",
      "rawset(_G, 'x', 1)",
      "rawset(redis, 'x', 1)",
      "rawset(string, 'len', nil)",
      "return rawset({}, 'x', 1).x",
      "rawset(getmetatable(''), 'x', 1)",
      "setmetatable(_G, nil)",
      "setmetatable(_G, {})",
      "setmetatable(redis, {})",
      "setmetatable(string, {})",
      "return getmetatable(setmetatable({}, {__index = {a = 1}})).__index.a",
      "table.insert(redis, 1)",
      "table.insert(_G, 1)",
      "table.insert(string, 1, 'x')",
      "table.remove(string)",
      "table.remove(redis, 1)",
      "table.sort(math)",
      "table.sort(_G)",
      "table.insert(1, 2)",
      "table.insert({}, 1, 2, 3)",
      "table.insert({})",
      "table.insert(redis)",
      "table.insert(redis, 'x', 1)",
      "table.insert(redis, 1, 2, 3)",
      "local t = {}; table.insert(t, 'a'); table.insert(t, 1, 'b'); table.insert(t, 5, 'c'); return {t[1], t[2], t[5], #t}",
      "table.remove(1)",
      "table.remove({}, 'x')",
      "table.sort(1)",
      "table.sort({}, 1)",
      "table.sort({3, 'a', 1})",
      "table.sort({3, 2, 1}, function(a, b) error('cmp') end)",
      "local t = {3, 2, 1}; table.sort(t, function(a, b) return a > b end); return t",
      "return setmetatable(setmetatable({}, {__metatable = 'locked'}), {})",
      "return getmetatable(setmetatable({}, {__metatable = 'locked'}))",
      "return getmetatable('').__metatable",
      "local t = {3, 1, 2}; table.sort(t); table.insert(t, 4); table.remove(t, 1); return t",
      "local function f() x = 1 end; f()",
      "local function f()\n  redis.x = 1\nend\nf()",
      "return pcall(function() x = 1 end)",
      "return {pcall(function() redis.x = 1 end)}",
      "return {pcall(rawset, _G, 'x', 1)}",
      "return {pcall(setmetatable, _G, {})}",
      "return {pcall(table.insert, redis, 1)}",
      "local env = {}; setmetatable(env, {__index = _G}); env.x = 1; return env.x",
      "local t = {}; t.x = 1; _G.tostring(t); return t.x",
    ];
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });

  test("reads: missing globals, rawget, next, pairs and metatables of protected tables", async () => {
    const scripts = [
      "return a_global",
      "return _G.a_global",
      "return _G['a_global']",
      "return rawget(_G, 'a_global')",
      "return type(rawget(_G, 'redis'))",
      "return type(rawget(redis, 'call'))",
      "return type(rawget(string, 'len'))",
      "return rawget(redis, 'nope')",
      "return type(next(redis))",
      "return type(next(_G))",
      "return next(redis, nil) ~= nil",
      "local k = next(string); return type(string[k])",
      "return next({})",
      "return {next({5})}",
      "local n = 0; for k in pairs(redis) do n = n + 1 end; return n",
      "local n = 0; for k in pairs(_G) do n = n + 1 end; return n",
      "local n = 0; for k, v in next, redis do n = n + 1 end; return n",
      "return #redis",
      "return #_G",
      "return type(getmetatable(_G))",
      "return type(getmetatable(redis))",
      "return type(getmetatable(string))",
      "return type(getmetatable(''))",
      "return getmetatable('').__index == string",
      "return type(getmetatable('').__index)",
      "return getmetatable('').__index.upper('x')",
      "return ('abc'):upper()",
      "return ('%d'):format(5)",
      "return getmetatable({})",
      "return getmetatable(1)",
      "return getmetatable()",
      "return rawget()",
      "return rawget(1, 2)",
      "return rawset()",
      "return rawset(1, 2, 3)",
      "return next()",
      "return next(1)",
      "return pairs()",
      "return pairs(1)",
      "return setmetatable()",
      "return setmetatable({}, 1)",
      "return rawequal(_G, _G)",
      "return rawequal(string, getmetatable('').__index)",
      "return _G == _G._G",
      "return type(_G._G)",
      "return tostring(_G) == tostring(_G._G)",
      "return {ipairs(redis)} ~= nil",
      "local n = 0; for i, v in ipairs({1, 2, nil, 4}) do n = n + 1 end; return n",
      "return unpack({1, 2, 3})",
      "return select('#', unpack({1, 2, 3}))",
      "return table.concat({'a', 'b'}, ',')",
      "return table.getn({1, 2})",
      "return type(table.foreach)",
      "return type(string.gfind)",
      "return type(math.mod)",
      "return type(table.setn)",
    ];
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });

  test("what is missing: os, io, print, debug, dofile, loadfile, require, module, getfenv, setfenv", async () => {
    const scripts = [
      "return os",
      "return io",
      "return print",
      "return debug",
      "return dofile",
      "return loadfile",
      "return require",
      "return module",
      "return getfenv",
      "return setfenv",
      "return newproxy",
      "return package",
      "return gcinfo",
      "return collectgarbage",
      "return type(collectgarbage)",
      "return type(gcinfo)",
      "return type(loadstring)",
      "return type(load)",
      "return type(xpcall)",
      "return type(pcall)",
      "return type(unpack)",
      "return type(select)",
      "return type(coroutine)",
      "return type(cjson)",
      "return type(bit)",
      "return os.time()",
      "print('x')",
      "return debug.getinfo(1)",
      "require('os')",
      "return getfenv(1)",
      "setfenv(1, {})",
      "dofile('/etc/passwd')",
      "return loadfile('/etc/passwd')",
      "module('x')",
      "return __redis__err__handler",
      "return type(__redis__err__handler)",
      "return _VERSION",
      "return type(_G.__redis__compare_helper)",
      "return type(__redis__compare_helper)",
      "return type(_G.__redis__err__handler)",
    ];
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });

  test("loadstring, load, coroutines", async () => {
    const scripts = [
      "return loadstring('return 1')()",
      "return loadstring('return 1 +')",
      "return {loadstring('return 1 +')}",
      "return {loadstring('return 1 +', 'chunk')}",
      "return loadstring('x = 1')()",
      "return loadstring('return a_global')()",
      "local f = loadstring('return ...'); return {f(1, 2)}",
      "return loadstring(string.dump(function() return 1 end))",
      "return type(string.dump)",
      "return load(function() return nil end)",
      "local parts = {'return ', '42'}; local i = 0; return load(function() i = i + 1; return parts[i] end)()",
      "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1); return b * 2 end); local r1 = {coroutine.resume(co, 1)}; local r2 = {coroutine.resume(co, 10)}; return {r1[2], r2[2], coroutine.status(co)}",
      "local co = coroutine.wrap(function() coroutine.yield(1); coroutine.yield(2) end); return {co(), co()}",
      "local co = coroutine.create(function() error('inside') end); return {coroutine.resume(co)}",
      "local co = coroutine.create(function() redis.call('nosuch') end); local ok, e = coroutine.resume(co); return {ok, type(e)}",
      "local co = coroutine.create(function() return redis.call('ping') end); local ok, r = coroutine.resume(co); return r",
      "local co = coroutine.create(function() x = 1 end); return {coroutine.resume(co)}",
      "return coroutine.running()",
      "return coroutine.yield()",
      "local co = coroutine.create(function() return coroutine.running() ~= nil end); return {coroutine.resume(co)}",
      "return coroutine.status(coroutine.create(function() end))",
    ];
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });

  test("redis.* constants and helpers", async () => {
    const scripts = [
      "return redis.REDIS_VERSION",
      "return redis.REDIS_VERSION_NUM",
      "return string.format('%06x', redis.REDIS_VERSION_NUM)",
      "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
      "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
      "return redis.breakpoint()",
      "return redis.breakpoint(1, 2)",
      "return redis.debug('x', 1, {})",
      "return redis.debug()",
      "return redis.replicate_commands()",
      "return redis.replicate_commands(1)",
      "return redis.sha1hex('')",
      "return redis.sha1hex('abc')",
      "return redis.sha1hex('a\\0b')",
      "return redis.sha1hex(1)",
      "return redis.sha1hex(1.5)",
      "return redis.sha1hex()",
      "return redis.sha1hex('a', 'b')",
      "return redis.sha1hex(nil)",
      "return redis.sha1hex({})",
      "return redis.sha1hex(true)",
      "return redis.setresp()",
      "return redis.setresp(1)",
      "return redis.setresp(4)",
      "return redis.setresp('3')",
      "return redis.setresp('x')",
      "return redis.setresp(3, 2)",
      "return redis.setresp(2.9)",
      "redis.setresp(3); return redis.call('hgetall', 'nokey')",
      "return redis.set_repl()",
      "return redis.set_repl(redis.REPL_ALL)",
      "return redis.set_repl(redis.REPL_NONE)",
      "return redis.set_repl(redis.REPL_AOF)",
      "return redis.set_repl(99)",
      "return redis.set_repl(-1)",
      "return redis.set_repl('x')",
      "return redis.set_repl(1, 2)",
      "redis.set_repl(redis.REPL_NONE); redis.call('set', 'k', 'v'); return redis.call('get', 'k')",
      "return redis.log()",
      "return redis.log(redis.LOG_WARNING)",
      "return redis.log('x', 'y')",
      "return redis.log(99, 'y')",
      "return redis.log(-1, 'y')",
      "return redis.log(redis.LOG_DEBUG, 'debug line')",
      "return redis.log(redis.LOG_WARNING, 'a', 1, 2.5)",
      "return redis.log(redis.LOG_WARNING, {})",
      "return redis.log('3', 'x')",
      "return redis.acl_check_cmd('get', 'k')",
      "return redis.acl_check_cmd('set', 'k', 'v')",
      "return redis.acl_check_cmd('set')",
      "return redis.acl_check_cmd('nosuch')",
      "return redis.acl_check_cmd('config', 'get', 'x')",
      "return redis.acl_check_cmd('config', 'nosuch')",
      "return redis.acl_check_cmd('config')",
      "return redis.acl_check_cmd()",
      "return redis.acl_check_cmd({})",
      "return redis.acl_check_cmd('get', {})",
      "return redis.acl_check_cmd(1)",
      "return redis.error_reply == redis.error_reply",
      "return redis.call == redis.pcall",
      "return type(redis.setresp)",
    ];
    await both(pair(), "DEL", "k");
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });

  test("redis.log writes the server's log", async () => {
    const p = pair();
    await both(p, "EVAL", "redis.log(redis.LOG_WARNING, 'a warning from', 'a script', 42)", "0");
    await both(p, "EVAL", "redis.log(redis.LOG_NOTICE, 'a notice from a script')", "0");
    await both(p, "EVAL", "redis.log(redis.LOG_DEBUG, 'a debug line from a script')", "0");
    // Redis's line: "<pid>:M <date> # a warning from a script 42" (# warning, * notice, . debug).
    await p.redis.waitForOutput(/# a warning from a script 42\n/);
    await p.bunker.waitForOutput(/# a warning from a script 42\n/);
    await p.redis.waitForOutput(/\* a notice from a script\n/);
    await p.bunker.waitForOutput(/\* a notice from a script\n/);
    expect(p.redis.output()).not.toContain("a debug line from a script");
    expect(p.bunker.output()).not.toContain("a debug line from a script");
  });

  test("math.random is the same sequence in every script, and per script state does not leak", async () => {
    const scripts = [
      "return {math.random(), math.random(100), math.random(5, 10)}",
      "return {math.random(), math.random(100), math.random(5, 10)}",
      "math.randomseed(42); return {math.random(1000), math.random(1000)}",
      "return math.random(1000)",
      "return math.random(0)",
      "return math.random(10, 1)",
      "return math.random(1, 2, 3)",
      "return tostring(math.random())",
    ];
    expect(await compareScript(pair(), evals(...scripts))).toEqual([]);
  });
});
