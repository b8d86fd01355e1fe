// FUNCTION and FCALL compared byte for byte with redis-server 7.0: every error of
// FUNCTION LOAD and of redis.register_function, FCALL and FCALL_RO with their checks,
// the libraries' management (DELETE, FLUSH, LIST, DUMP, RESTORE), STATS, KILL, HELP,
// COMMAND INFO and the INFO fields.
//
// FUNCTION LIST answers in the order of Redis's dicts (libraries, and each library's
// functions, in hash order): where that order shows, the comparisons use a single
// library with a single function, or sort what both servers answered.

import { beforeEach, describe, expect, test } from "bun:test";
import { both, compareCommandInfo, compareScript, dirtyOf, haveRedis, usePair, type CommandArgs } from "../helpers/differential.ts";
import { waitFor } from "../helpers/wait.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";
import { RawClient, type Reply } from "../helpers/server.ts";

const pair = usePair();
const d = haveRedis ? describe : describe.skip;

beforeEach(async () => {
  if (!haveRedis) return;
  for (const client of [pair().b, pair().r]) {
    await client.call("FUNCTION", "FLUSH");
    await client.call("FLUSHALL");
  }
});

/**
 * compareScript, except that HELLO is sent to both without comparing its reply (it
 * carries the connection's id).
 */
async function compare(script: CommandArgs[]): Promise<string[]> {
  const mismatches: string[] = [];
  let from = 0;
  for (let i = 0; i <= script.length; i++) {
    if (i < script.length && script[i]![0] !== "HELLO") continue;
    mismatches.push(...(await compareScript(pair(), script.slice(from, i))));
    if (i < script.length) await both(pair(), ...script[i]!);
    from = i + 1;
  }
  return mismatches;
}

/** A library's code: the shebang naming it, then `body`. */
function lib(name: string, body: string): string {
  return `#!lua name=${name}\n${body}`;
}

/** A library whose body is `statement` followed by the registration of a function `f`. */
function loadTime(statement: string): string {
  return lib("lt", `${statement}\nredis.register_function('f', function() return 1 end)`);
}

d("FUNCTION LOAD", () => {
  test("options, metadata and names", async () => {
    const ok = lib("mylib", "redis.register_function('myfunc', function(keys, args) return args[1] end)");
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD"],
      ["FUNCTION", "LOAD", "REPLACE"],
      ["FUNCTION", "LOAD", "REPLACE", "REPLACE"],
      ["FUNCTION", "LOAD", "replace", "replace", ok],
      ["FUNCTION", "LOAD", "FOO", ok],
      ["FUNCTION", "LOAD", "FOO\0BAR", ok],
      ["FUNCTION", "LOAD", ok, ok],
      ["FUNCTION", "LOAD", ""],
      ["FUNCTION", "LOAD", "#"],
      ["FUNCTION", "LOAD", "#!"],
      ["FUNCTION", "LOAD", "#!lua"],
      ["FUNCTION", "LOAD", "#!lua\n"],
      ["FUNCTION", "LOAD", "#!lua name=x"],
      ["FUNCTION", "LOAD", "return 1"],
      ["FUNCTION", "LOAD", "#!lua name=a name=b\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua NAME=a\nredis.register_function('fa', function() end)"],
      ["FUNCTION", "LOAD", "#!lua foo=bar\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=x foo\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=a-b\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=a.b\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=\"quoted\"\nredis.register_function('fq', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=\"unbalanced\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!python name=p\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!LuA name=upper\nredis.register_function('fu', function() end)"],
      ["FUNCTION", "LOAD", "#! lua name=sp\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua  name=twospaces  \nredis.register_function('f2', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=crlf\r\nredis.register_function('fcr', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=bad!\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lua name=bad!\nsyntax error here"],
      ["FUNCTION", "LOAD", "#!nope name=bad!\nredis.register_function('f', function() end)"],
      // NUL bytes: before the first newline (strchr stops there), quoted into the engine or the name.
      ["FUNCTION", "LOAD", "#!lua name=a\0b\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", "#!lu\0a name=a\nredis.register_function('f', function() end)"],
      ["FUNCTION", "LOAD", '#!lua name="a\\x00b"\nredis.register_function(\'f\', function() end)'],
      ["FUNCTION", "LOAD", '#!"lu\\x00a" name=a\nredis.register_function(\'f\', function() end)'],
      // Not '#!"lua\\x00"': Redis hashes the engine name with its length and compares it as a
      // C string, so it finds LUA when "lua\0" happens to land in LUA's bucket (1 in 4).
      ["FUNCTION", "LOAD", '#!lua "name=a\\x00"\nredis.register_function(\'f\', function() end)'],
      ["FUNCTION", "LOAD", '#!lua name=x "x\\x00y"\nredis.register_function(\'f\', function() end)'],
      ["FUNCTION", "LOAD", '#!lua "na\\x00me=x"\nredis.register_function(\'f\', function() end)'],
      ["FUNCTION", "LOAD", "#!lua name=x\n\0"],
      ["FUNCTION", "LOAD", ok],
      ["FUNCTION", "LOAD", ok],
      ["FUNCTION", "LOAD", "REPLACE", ok],
      ["FUNCTION", "LOAD", "Replace", ok],
      ["FUNCTION", "LOAD", lib("other", "redis.register_function('myfunc', function() return 2 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("other", "redis.register_function('myfunc', function() return 2 end)")],
      ["FUNCTION", "LOAD", lib("mylib", "redis.register_function('changed', function() return 2 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("mylib", "redis.register_function('changed', function() return 2 end)")],
      ["FCALL", "changed", "0"],
      ["FCALL", "myfunc", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("mylib", "error('no')")],
      ["FCALL", "changed", "0"],
      ["FUNCTION", "LOAD", lib("nofuncs", "local x = 1")],
      ["FUNCTION", "LOAD", lib("empty", "")],
      ["FUNCTION", "LOAD", "#!lua name=nl\n"],
      ["FUNCTION", "LOAD", lib("twice", "redis.register_function('t1', function() end)\nredis.register_function('t1', function() end)")],
      ["FUNCTION", "LOAD", lib("badfn", "redis.register_function('a-b', function() end)")],
      ["FUNCTION", "LOAD", lib("badfn", "redis.register_function('', function() end)")],
      ["FUNCTION", "LOAD", lib("badfn", "redis.register_function('nul\\0x', function() return 'nul' end)")],
      ["FUNCTION", "LOAD", lib("badfn", "redis.register_function{function_name='nul\\0x', callback=function() return 'nul' end}")],
      ["FCALL", "nul", "0"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "badfn"],
      ["FUNCTION", "LOAD", lib("x_1_Y", "redis.register_function('Fn_2', function() return 'ok' end)")],
      ["FCALL", "Fn_2", "0"],
      ["FCALL", "fn_2", "0"],
      ["FUNCTION", "DELETE", "x_1_y"],
      ["FUNCTION", "DELETE", "x_1_Y"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("compile errors and errors while the code runs", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", lib("c", "this is not lua")],
      ["FUNCTION", "LOAD", lib("c", "\n\nlocal x = = 1")],
      ["FUNCTION", "LOAD", lib("c", "return 1 +")],
      ["FUNCTION", "LOAD", lib("c", "error('boom')")],
      ["FUNCTION", "LOAD", lib("c", "\nerror('boom on line 2')")],
      ["FUNCTION", "LOAD", lib("c", "error('no position', 0)")],
      ["FUNCTION", "LOAD", lib("c", "error({err='table error'})")],
      ["FUNCTION", "LOAD", lib("c", "error({err='-CODE with code'})")],
      ["FUNCTION", "LOAD", lib("c", "error({})")],
      ["FUNCTION", "LOAD", lib("c", "error(42)")],
      ["FUNCTION", "LOAD", lib("c", "error(nil)")],
      ["FUNCTION", "LOAD", lib("c", "error(true)")],
      ["FUNCTION", "LOAD", lib("c", "local t = nil; t.x = 1")],
      ["FUNCTION", "LOAD", lib("c", "redis.register_function('f', function() end)\nerror('after registering')")],
      ["FCALL", "f", "0"],
      ["FUNCTION", "LOAD", lib("c", "return redis.register_function('f', function() end)")],
      ["FUNCTION", "LOAD", lib("c", "local x = string.rep('x', 10)")],
      ["FUNCTION", "LOAD", "#!lua name=c\n\0\0"],
      ["FUNCTION", "LOAD", "#!lua name=c\n\x1bLua"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("the load-time API: only register_function, log and the version fields", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", loadTime("redis.call('ping')")],
      ["FUNCTION", "LOAD", loadTime("redis.pcall('ping')")],
      ["FUNCTION", "LOAD", loadTime("local s = string.len('x')")],
      ["FUNCTION", "LOAD", loadTime("local t = table")],
      ["FUNCTION", "LOAD", loadTime("local c = cjson.encode({})")],
      ["FUNCTION", "LOAD", loadTime("local m = math.random()")],
      ["FUNCTION", "LOAD", loadTime("local b = bit.band(1, 1)")],
      ["FUNCTION", "LOAD", loadTime("print('x')")],
      ["FUNCTION", "LOAD", loadTime("local x = KEYS")],
      ["FUNCTION", "LOAD", loadTime("local x = tostring(1)")],
      ["FUNCTION", "LOAD", loadTime("local x = pcall")],
      ["FUNCTION", "LOAD", loadTime("x = 1")],
      ["FUNCTION", "LOAD", loadTime("local x = _G")],
      ["FUNCTION", "LOAD", loadTime("redis.setresp(3)")],
      ["FUNCTION", "LOAD", loadTime("redis.set_repl(redis.REPL_ALL)")],
      ["FUNCTION", "LOAD", loadTime("local r = redis.sha1hex('x')")],
      ["FUNCTION", "LOAD", loadTime("local r = redis.error_reply('x')")],
      ["FUNCTION", "LOAD", loadTime("local r = redis.REPL_ALL")],
      ["FUNCTION", "LOAD", loadTime("redis.foo = 1")],
      ["FUNCTION", "LOAD", loadTime("local r = redis.breakpoint")],
      ["FUNCTION", "LOAD", loadTime("redis.log(redis.LOG_NOTICE, 'loading')")],
      ["FUNCTION", "LOAD", "REPLACE", loadTime("redis.log(redis.LOG_WARNING, 'loading', 'twice')")],
      ["FUNCTION", "LOAD", "REPLACE", loadTime("redis.log()")],
      ["FUNCTION", "LOAD", "REPLACE", loadTime("redis.log('x', 'y')")],
      ["FUNCTION", "LOAD", "REPLACE", loadTime("redis.log(9, 'y')")],
      ["FUNCTION", "LOAD", "REPLACE", lib("lt", "redis.register_function('v', function() return {REDIS_VERSION_NUM_AT_LOAD, redis.REDIS_VERSION} end)\nREDIS_VERSION_NUM_AT_LOAD = 1")],
      ["FUNCTION", "LOAD", "REPLACE", lib("lt", "local v = redis.REDIS_VERSION\nlocal n = redis.REDIS_VERSION_NUM\nredis.register_function('v', function() return {v, n} end)")],
      ["FCALL", "v", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("lt", "local l = {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}\nredis.register_function('v', function() return l end)")],
      ["FCALL", "v", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("register_function's arguments, positional and named", async () => {
    const reg = (args: string) => lib("r", `redis.register_function(${args})`);
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", reg("")],
      ["FUNCTION", "LOAD", reg("'f'")],
      ["FUNCTION", "LOAD", reg("'f', function() end, 3")],
      ["FUNCTION", "LOAD", reg("1, function() end")],
      ["FUNCTION", "LOAD", reg("{}, function() end")],
      ["FUNCTION", "LOAD", reg("nil, function() end")],
      ["FUNCTION", "LOAD", reg("'f', 'not a function'")],
      ["FUNCTION", "LOAD", reg("'f', nil")],
      ["FUNCTION", "LOAD", reg("'f', {}")],
      ["FUNCTION", "LOAD", reg("function() end")],
      ["FUNCTION", "LOAD", reg("'f2'")],
      ["FUNCTION", "LOAD", reg("{}")],
      ["FUNCTION", "LOAD", reg("{function_name='f'}")],
      ["FUNCTION", "LOAD", reg("{callback=function() end}")],
      ["FUNCTION", "LOAD", reg("{function_name=1, callback=function() end}")],
      ["FUNCTION", "LOAD", reg("{function_name={}, callback=function() end}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback='x'}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, description=1}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, description={}}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, flags='no-writes'}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, flags={'bad-flag'}}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, flags={1}}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, flags={'no-writes', 'no-script'}}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, flags={'no-writes', {}}}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, unknown=1}")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() end, [1]=2}")],
      ["FUNCTION", "LOAD", reg("{'f', function() end}")],
      ["FUNCTION", "LOAD", reg("{function_name='bad name', callback=function() end}")],
      ["FUNCTION", "LOAD", reg("'f', function() end) redis.register_function('f', function() end")],
      ["FUNCTION", "LOAD", reg("{function_name='f', callback=function() return 'named' end, description='a function', flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LIST", "WITHCODE"],
      ["FCALL", "f", "0"],
      ["FUNCTION", "LOAD", "REPLACE", reg("{FUNCTION_NAME='f', CallBack=function() return 'upper' end, FLAGS={'NO-WRITES'}, DESCRIPTION='d'}")],
      ["FUNCTION", "LIST"],
      ["FCALL", "f", "0"],
      ["FUNCTION", "LOAD", "REPLACE", reg("{function_name='f', callback=function() return 'empty flags' end, flags={}, description=''}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LOAD", "REPLACE", reg("{function_name='f', callback=function() return 'binary' end, description='a\\0b\\r\\n'}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LOAD", "REPLACE", reg("{function_name='f', callback=function() end, flags={'no-writes', [3]='allow-oom'}}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LOAD", "REPLACE", reg("{function_name='f', callback=function() end, flags={'no-writes', 'no-writes'}}")],
      ["FUNCTION", "LIST"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("register_function outside FUNCTION LOAD", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", lib("late", "redis.register_function('late', function() return redis.register_function('x', function() end) end)")],
      ["FCALL", "late", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("late", "local reg = redis.register_function\nredis.register_function('late', function() return reg('x', function() end) end)")],
      ["FCALL", "late", "0"],
      ["EVAL", "return redis.register_function('x', function() end)", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  // Not compared: one library registering "f" and "F". Redis 7.0 accepts it (the
  // library's own dict is case-sensitive), links one of the two into the case-blind
  // namespace, and crashes on an assertion when the library is deleted.
  test("function names are unique across libraries", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", lib("one", "redis.register_function('shared', function() return 1 end)")],
      ["FUNCTION", "LOAD", lib("two", "redis.register_function('shared', function() return 2 end)")],
      ["FUNCTION", "LOAD", lib("two", "redis.register_function('own', function() return 2 end)\nredis.register_function('shared', function() return 2 end)")],
      ["FCALL", "own", "0"],
      ["FUNCTION", "LOAD", lib("two", "redis.register_function('SHARED', function() return 2 end)")],
      ["FCALL", "shared", "0"],
      ["FCALL", "SHARED", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("two", "redis.register_function('shared', function() return 2 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("one", "redis.register_function('shared', function() return 'one again' end)")],
      ["FCALL", "shared", "0"],
      ["FUNCTION", "STATS"],
      // A replacement that collides with another library's function leaves the old library in place.
      ["FUNCTION", "LOAD", lib("three", "redis.register_function('third', function() return 3 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("three", "redis.register_function('Shared', function() return 3 end)")],
      ["FCALL", "third", "0"],
      ["FCALL", "shared", "0"],
      ["FUNCTION", "DELETE", "one"],
      ["FUNCTION", "LOAD", "REPLACE", lib("three", "redis.register_function('Shared', function() return 3 end)")],
      ["FCALL", "shared", "0"],
      ["FCALL", "third", "0"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "three"],
      ["FUNCTION", "STATS"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("a load that runs past 500 ms times out", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", lib("slow", "while true do end")],
      ["FUNCTION", "LOAD", lib("slow", "local ok, e = pcall(function() while true do end end)\nredis.register_function('f', function() return e end)")],
      ["FUNCTION", "LIST"],
      ["PING"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("math.random in load code; the functions' globals after the load", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", lib("g", "redis.register_function('f', function() return 1 end)\nlocal r = math.random")],
      ["FUNCTION", "LOAD", lib("g", "local r = (function() return math end)()")],
      [
        "FUNCTION",
        "LOAD",
        lib(
          "g",
          [
            "redis.register_function('globals', function(keys, args)",
            "  return {string.upper('abc'), cjson.encode({1,2}), tostring(bit.band(6, 3)), struct.pack('>I2', 258), cmsgpack.pack(1), type(table.concat), type(math.floor), type(os), type(loadstring), type(KEYS), type(ARGV), type(print), type(redis.breakpoint), type(redis.replicate_commands), type(redis.register_function)}",
            "end)",
            "redis.register_function('random', function() return math.random(10) >= 1 end)",
            "redis.register_function('newglobal', function() x = 1 end)",
            "redis.register_function('readglobal', function() return undefined_global end)",
            "redis.register_function('redisfield', function() return redis.nothing end)",
            "redis.register_function('setredis', function() redis.x = 1 end)",
            "redis.register_function('rawset', function() rawset(_G, 'y', 1) return _G.y end)",
            "redis.register_function('setmetatable', function() return setmetatable(_G, nil) end)",
            "redis.register_function('gc', function() return type(collectgarbage('count')) end)",
          ].join("\n"),
        ),
      ],
      ["FCALL", "globals", "0"],
      ["FCALL", "random", "0"],
      ["FCALL", "newglobal", "0"],
      ["FCALL", "readglobal", "0"],
      ["FCALL", "redisfield", "0"],
      ["FCALL", "setredis", "0"],
      ["FCALL", "rawset", "0"],
      ["FCALL", "setmetatable", "0"],
      ["FCALL", "gc", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });
});

d("FCALL and FCALL_RO", () => {
  const code = lib(
    "calls",
    [
      "redis.register_function('echo', function(keys, args) return {keys, args, #keys, #args} end)",
      "redis.register_function('set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)",
      "redis.register_function{function_name='get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
      "redis.register_function{function_name='setro', callback=function(keys, args) return redis.call('SET', keys[1], args[1]) end, flags={'no-writes'}}",
      "redis.register_function{function_name='pcallro', callback=function(keys, args) return redis.pcall('SET', keys[1], args[1]) end, flags={'no-writes'}}",
      "redis.register_function('fail', function() error('failing') end)",
      "redis.register_function('failtable', function() return redis.error_reply('MY custom') end)",
      "redis.register_function('status', function() return redis.status_reply('FINE') end)",
      "redis.register_function('raise', function() error({err='ERR raised'}) end)",
      "redis.register_function('callerror', function() return redis.call('INCR', 'str') end)",
      "redis.register_function('badcmd', function() return redis.call('NOSUCHCOMMAND') end)",
      "redis.register_function('badarity', function() return redis.call('GET') end)",
      "redis.register_function('noscript', function() return redis.call('FUNCTION', 'LIST') end)",
      "redis.register_function('nested', function() return redis.call('FCALL', 'echo', 0) end)",
      "redis.register_function('evalinside', function() return redis.call('EVAL', 'return 1', 0) end)",
      "redis.register_function('setresp', function(keys, args) redis.setresp(tonumber(args[1])) return redis.call('HGETALL', keys[1]) end)",
      "redis.register_function('setresp3raw', function(keys) redis.setresp(3) return {redis.call('HGETALL', keys[1]), redis.call('ZSCORE', 'z', 'a'), redis.call('EXISTS', 'nope') == 0} end)",
      "redis.register_function('boolean', function() return {true, false} end)",
      "redis.register_function('double', function() redis.setresp(3) return {double=3.5} end)",
      "redis.register_function('notable', function() return nil end)",
      "redis.register_function('mixed', function(keys, args) redis.call('SET', 'k1', 'v') return redis.call('GET', 'k1') end)",
    ].join("\n"),
  );

  test("keys and arguments, numkeys and lookups", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", code],
      ["FCALL"],
      ["FCALL", "echo"],
      ["FCALL", "echo", "0"],
      ["FCALL", "echo", "0", "a", "b"],
      ["FCALL", "echo", "2", "k1", "k2", "a1", "a2"],
      ["FCALL", "echo", "2", "k1", "k2"],
      ["FCALL", "echo", "3", "k1", "k2"],
      ["FCALL", "echo", "-1"],
      ["FCALL", "echo", "abc"],
      ["FCALL", "echo", "1.5", "k"],
      ["FCALL", "echo", "99999999999999999999999", "k"],
      ["FCALL", "echo", " 1", "k"],
      ["FCALL", "echo", "", "k"],
      ["FCALL", "nosuch", "0"],
      ["FCALL", "nosuch", "abc"],
      // The functions' namespace ignores case.
      ["FCALL", "ECHO", "0"],
      ["FCALL_RO", "GeT", "1", "k"],
      ["FCALL_RO", "echo", "0"],
      ["FCALL_RO", "nosuch", "0"],
      ["FCALL_RO", "get", "-5"],
      ["FCALL", "set", "1", "k", "v"],
      ["FCALL", "get", "1", "k"],
      ["FCALL_RO", "get", "1", "k"],
      ["FCALL_RO", "set", "1", "k", "v"],
      ["FCALL", "setro", "1", "k", "v2"],
      ["FCALL_RO", "setro", "1", "k", "v2"],
      ["FCALL", "pcallro", "1", "k", "v2"],
      ["GET", "k"],
      ["FCALL", "mixed", "0"],
      ["FCALL", "mixed", "1", "k1"],
      ["FCALL", "status", "0"],
      ["FCALL", "boolean", "0"],
      ["FCALL", "notable", "0"],
      ["FCALL", "double", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("errors from inside a function name the function and the line", async () => {
    const script: CommandArgs[] = [
      ["CONFIG", "RESETSTAT"],
      ["FUNCTION", "LOAD", code],
      ["SET", "str", "abc"],
      ["FCALL", "fail", "0"],
      ["FCALL", "failtable", "0"],
      ["FCALL", "raise", "0"],
      ["FCALL", "callerror", "0"],
      ["FCALL", "badcmd", "0"],
      ["FCALL", "badarity", "0"],
      ["FCALL", "noscript", "0"],
      ["FCALL", "nested", "0"],
      ["FCALL", "evalinside", "0"],
      ["INFO", "errorstats"],
    ];
    const mismatches = await compareScript(pair(), script.slice(0, -1));
    expect(mismatches).toEqual([]);
    // errorstats counts: compared as the error lines only.
    const [ours, theirs] = await both(pair(), "INFO", "errorstats");
    const lines = (text: string) => text.split("\r\n").filter((line) => line.startsWith("errorstat_")).sort();
    expect(lines(ours)).toEqual(lines(theirs));
  });

  test("redis.setresp inside functions, RESP2 and RESP3 callers", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", code],
      ["HSET", "h", "f", "v"],
      ["ZADD", "z", "1.5", "a"],
      ["FCALL", "setresp", "1", "h", "2"],
      ["FCALL", "setresp", "1", "h", "3"],
      ["FCALL", "setresp", "1", "h", "4"],
      ["FCALL", "setresp3raw", "1", "h"],
      ["HELLO", "3"],
      ["FCALL", "setresp", "1", "h", "2"],
      ["FCALL", "setresp", "1", "h", "3"],
      ["FCALL", "setresp3raw", "1", "h"],
      ["FCALL", "boolean", "0"],
      ["FCALL", "double", "0"],
      ["FCALL", "notable", "0"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "nosuch"],
      ["FUNCTION", "STATS"],
      ["HELLO", "2"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("FCALL inside MULTI", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LOAD", code],
      ["MULTI"],
      ["FCALL", "set", "1", "m", "1"],
      ["FCALL_RO", "get", "1", "m"],
      ["FCALL", "nosuch", "0"],
      ["FCALL_RO", "set", "1", "m", "2"],
      ["FCALL", "echo", "x"],
      ["EXEC"],
      ["MULTI"],
      ["FCALL", "set", "1", "m", "3"],
      ["FUNCTION", "LOAD", lib("inmulti", "redis.register_function('im', function() return 'im' end)")],
      ["FCALL", "im", "0"],
      ["FUNCTION", "DELETE", "inmulti"],
      ["FCALL", "im", "0"],
      ["EXEC"],
      ["GET", "m"],
    ];
    expect(await compare(script)).toEqual([]);
  });
});

d("DELETE, FLUSH, LIST, STATS, KILL, HELP", () => {
  test("DELETE and FLUSH", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "DELETE"],
      ["FUNCTION", "DELETE", "a", "b"],
      ["FUNCTION", "DELETE", "nosuch"],
      ["FUNCTION", "LOAD", lib("d1", "redis.register_function('d1f', function() return 1 end)")],
      ["FUNCTION", "DELETE", "D1"],
      ["FUNCTION", "DELETE", "d1"],
      ["FUNCTION", "DELETE", "d1"],
      ["FCALL", "d1f", "0"],
      ["FUNCTION", "LOAD", lib("d1", "redis.register_function('d1f', function() return 1 end)")],
      ["FUNCTION", "FLUSH", "BAD"],
      ["FUNCTION", "FLUSH", "SYNC", "ASYNC"],
      ["FUNCTION", "FLUSH", "sync"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "LOAD", lib("d1", "redis.register_function('d1f', function() return 1 end)")],
      ["FUNCTION", "FLUSH", "ASYNC"],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LOAD", lib("d1", "redis.register_function('d1f', function() return 1 end)")],
      ["FUNCTION", "FLUSH"],
      ["FUNCTION", "FLUSH"],
      ["FCALL", "d1f", "0"],
      ["FUNCTION", "STATS"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("LIST: patterns, WITHCODE, errors", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LIST", "WITHCODE"],
      ["FUNCTION", "LOAD", lib("alpha", "redis.register_function{function_name='a1', callback=function() end, description='first'}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LIST", "WITHCODE"],
      ["FUNCTION", "LIST", "withcode", "libraryname", "al*"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "alpha", "WITHCODE"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "beta"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "ALPHA"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "a?p[gh]a"],
      ["FUNCTION", "LIST", "LIBRARYNAME"],
      ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME"],
      ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"],
      ["FUNCTION", "LIST", "FOO"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "alpha", "FOO"],
      ["FUNCTION", "LOAD", lib("beta", "redis.register_function('b1', function() end)")],
      ["FUNCTION", "LIST", "LIBRARYNAME", "beta"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "*et*"],
      ["HELLO", "3"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "beta", "WITHCODE"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "alpha"],
      ["HELLO", "2"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("LIST of several libraries, sorted", async () => {
    for (const [name, fns] of [
      ["l1", ["f1", "f2", "f3"]],
      ["l2", ["g1"]],
      ["l3", ["h1", "h2"]],
    ] as const) {
      const body = fns.map((fn) => `redis.register_function{function_name='${fn}', callback=function() end, flags={'no-writes'}, description='${fn} desc'}`).join("\n");
      const [ours, theirs] = await both(pair(), "FUNCTION", "LOAD", lib(name, body));
      expect(ours).toBe(theirs);
    }
    const canonical = (reply: Reply): string =>
      JSON.stringify(
        (reply as Reply[])
          .map((library) => {
            const entries = library as Reply[];
            return entries.map((entry) => (Array.isArray(entry) ? entry.map((fn) => JSON.stringify(fn)).sort() : entry));
          })
          .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      );
    for (const args of [["FUNCTION", "LIST"], ["FUNCTION", "LIST", "WITHCODE"], ["FUNCTION", "LIST", "LIBRARYNAME", "l[13]"]]) {
      const [ours, theirs] = await Promise.all([pair().b.call(...args), pair().r.call(...args)]);
      expect(canonical(ours)).toBe(canonical(theirs));
    }
    const [ours, theirs] = await both(pair(), "FUNCTION", "STATS");
    expect(ours).toBe(theirs);
  });

  test("STATS, KILL and HELP with nothing running", async () => {
    const script: CommandArgs[] = [
      ["FUNCTION", "STATS"],
      ["FUNCTION", "STATS", "x"],
      ["FUNCTION", "KILL"],
      ["FUNCTION", "KILL", "x"],
      ["SCRIPT", "KILL"],
      ["FUNCTION", "HELP"],
      ["FUNCTION", "HELP", "x"],
      ["FUNCTION"],
      ["FUNCTION", "NOSUCH"],
      ["FUNCTION", "DUMP", "x"],
      ["FUNCTION", "LOAD", lib("s", "redis.register_function('s1', function() end)\nredis.register_function('s2', function() end)")],
      ["FUNCTION", "STATS"],
      ["HELLO", "3"],
      ["FUNCTION", "STATS"],
      ["HELLO", "2"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("while a function runs: BUSY, STATS, FUNCTION KILL and SCRIPT KILL", async () => {
    // busy-reply-threshold 50 ms: other clients get -BUSY soon. Each run ends (killed,
    // or its time up) before the next command of the script: a command sent just after a
    // kill may still find the script running in Redis (its hook serves several rounds of
    // events), a race, not behaviour.
    const code = lib(
      "busy",
      [
        "redis.register_function('loop', function() while true do end end)",
        "redis.register_function{function_name='roloop', callback=function() while true do end end, flags={'no-writes'}}",
        // Writes, then runs for 1.5 s by the server's clock (long enough for the observer's
        // commands, each served at one of the script's periodic checks): not killable.
        "redis.register_function('wtimed', function(keys)",
        "  redis.call('SET', keys[1], '1')",
        "  local t = redis.call('TIME')",
        "  local start = t[1] * 1000000 + t[2]",
        "  repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 1500000",
        "  return 'done'",
        "end)",
      ].join("\n"),
    );
    const observers = [await RawClient.connect(pair().bunker.port), await RawClient.connect(pair().redis.port)];
    const transcripts: string[][] = [[], []];
    try {
      for (let side = 0; side < 2; side++) {
        const caller = side === 0 ? pair().b : pair().r;
        const other = observers[side]!;
        const log = (reply: string) => transcripts[side]!.push(reply.replace(/duration_ms\r\n:\d+/, "duration_ms\r\n:<ms>"));
        log(await caller.callRaw("CONFIG", "SET", "busy-reply-threshold", "50"));
        log(await caller.callRaw("FUNCTION", "LOAD", code));
        const runs: Array<[string[], "FUNCTION" | "SCRIPT" | null]> = [
          [["FCALL", "loop", "0"], "FUNCTION"],
          [["FCALL_RO", "roloop", "1", "x"], "FUNCTION"],
          [["EVAL", "while true do end", "0"], "SCRIPT"],
          [["FCALL", "wtimed", "1", "k"], null],
        ];
        for (const [call, killer] of runs) {
          const reply = caller.callRaw(...call);
          await waitFor(async () => {
            const ping = await other.callRaw("PING");
            return ping.startsWith("-BUSY") ? (log(ping), true) : false;
          });
          log(await other.callRaw("FUNCTION", "STATS"));
          log(await other.callRaw("FCALL", "loop", "0"));
          log(await other.callRaw("FUNCTION", "LIST"));
          log(await other.callRaw("FUNCTION", "STATS", "x"));
          log(await other.callRaw("GET", "k"));
          // The wrong kill first, then the right one.
          if (killer !== "FUNCTION") log(await other.callRaw("FUNCTION", "KILL"));
          if (killer !== "SCRIPT") log(await other.callRaw("SCRIPT", "KILL"));
          if (killer === "FUNCTION") log(await other.callRaw("FUNCTION", "KILL"));
          if (killer === "SCRIPT") log(await other.callRaw("SCRIPT", "KILL"));
          log(await reply);
          log(await other.callRaw("FUNCTION", "STATS"));
          log(await other.callRaw("FUNCTION", "KILL"));
        }
        log(await caller.callRaw("CONFIG", "SET", "busy-reply-threshold", "5000"));
      }
    } finally {
      for (const client of observers) client.close();
    }
    expect(transcripts[0]).toEqual(transcripts[1]!);
    expect(transcripts[1]!.filter((reply) => reply.startsWith("-UNKILLABLE")).length).toBe(2);
  });

  test("MONITOR shows FCALL and EVAL before the commands they run; commandstats count both", async () => {
    const code = lib("mon", "redis.register_function('w', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.pcall('INCR', keys[1]) end)");
    const transcripts: string[][] = [];
    for (const [port, client] of [[pair().bunker.port, pair().b], [pair().redis.port, pair().r]] as const) {
      const monitor = await RawClient.connect(port);
      try {
        expect(await monitor.call("MONITOR")).toBe("OK");
        await client.call("CONFIG", "RESETSTAT");
        for (const command of [
          ["FUNCTION", "LOAD", code],
          ["FCALL", "w", "1", "k", "v"],
          ["FCALL_RO", "w", "1", "k", "v"],
          ["FCALL", "nosuch", "0"],
          ["FCALL", "w", "x"],
          ["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"],
          ["EVAL", "return redis.call('GET', KEYS[1])", "-1"],
          ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
          ["EVALSHA", "short", "0"],
          ["EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", "1", "k"],
          ["ECHO", "end"],
        ]) {
          await client.call(...command);
        }
        await waitFor(() => monitor.pending().includes('"ECHO" "end"'), { what: "the monitor to see the last command" });
        const lines = monitor.pending().split("\r\n").filter((line) => line !== "");
        // "+<time> [<db> <address>] ...": the time and the address differ ("lua" stays).
        transcripts.push(lines.map((line) => line.replace(/^\+\d+\.\d+ /, "+<time> ").replace(/^\+<time> \[(\d+) (?!lua\])[^\]]+\]/, "+<time> [$1 <client>]")));
        const stats = String(await client.call("INFO", "commandstats"));
        transcripts.push(stats.split("\r\n").filter((line) => line.startsWith("cmdstat_")).map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+,/, "")).sort());
      } finally {
        monitor.close();
      }
    }
    expect(transcripts[0]).toEqual(transcripts[2]!);
    expect(transcripts[1]).toEqual(transcripts[3]!);
    expect(transcripts[2]).toContain('+<time> [0 lua] "SET" "k" "v"');
  });

  test("the dirty counter after each FUNCTION command and FCALL", async () => {
    const code = lib("dirty", "redis.register_function('w', function(keys) redis.call('SET', keys[1], 'x') return redis.call('SET', keys[2], 'y') end)\nredis.register_function('r', function(keys) return redis.call('GET', keys[1]) end)");
    const commands: CommandArgs[] = [
      ["FUNCTION", "LOAD", code],
      ["FUNCTION", "LOAD", code],
      ["FUNCTION", "LOAD", "REPLACE", code],
      ["FUNCTION", "LOAD", lib("bad", "error('x')")],
      ["FCALL", "w", "2", "a", "b"],
      ["FCALL", "r", "1", "a"],
      ["FUNCTION", "DUMP"],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "DELETE", "dirty"],
      ["FUNCTION", "DELETE", "dirty"],
      ["FUNCTION", "FLUSH"],
      ["FUNCTION", "FLUSH", "ASYNC"],
      ["FUNCTION", "RESTORE", "x"],
      ["FLUSHALL"],
    ];
    const deltas: Array<[number, number]> = [];
    for (const command of commands) {
      const before = [await dirtyOf(pair().b), await dirtyOf(pair().r)];
      await both(pair(), ...command);
      deltas.push([(await dirtyOf(pair().b)) - before[0]!, (await dirtyOf(pair().r)) - before[1]!]);
    }
    expect(deltas.map(([ours]) => ours)).toEqual(deltas.map(([, theirs]) => theirs));
    // FLUSHALL leaves the libraries (FUNCTION FLUSH is their flush).
    await both(pair(), "FUNCTION", "LOAD", code);
    const script: CommandArgs[] = [["FLUSHALL"], ["SCRIPT", "FLUSH"], ["FLUSHDB"], ["FCALL", "r", "1", "a"], ["FUNCTION", "STATS"]];
    expect(await compare(script)).toEqual([]);
  });

  test("COMMAND INFO of FUNCTION, FCALL and FCALL_RO", async () => {
    expect(await compareCommandInfo(pair(), ["function", "fcall", "fcall_ro"])).toEqual([]);
    const script: CommandArgs[] = [
      ["COMMAND", "GETKEYS", "FCALL", "f", "2", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "FCALL_RO", "f", "0", "a"],
      ["COMMAND", "GETKEYS", "FCALL", "f", "3", "a"],
    ];
    // COMMAND COUNT is compared only if both have every command: skip it.
    expect(await compareScript(pair(), script.slice(0, 3))).toEqual([]);
  });

  test("INFO memory counts functions and libraries", async () => {
    const fields = async (client: RawClient) => {
      const info = String(await client.call("INFO", "memory"));
      return ["number_of_functions", "number_of_libraries", "number_of_cached_scripts"].map((name) => new RegExp(`^${name}:(\\d+)\\r?$`, "m").exec(info)?.[1]);
    };
    for (const client of [pair().b, pair().r]) await client.call("SCRIPT", "FLUSH");
    expect(await fields(pair().b)).toEqual(await fields(pair().r));
    for (const client of [pair().b, pair().r]) {
      await client.call("FUNCTION", "LOAD", lib("m1", "redis.register_function('m1a', function() end)\nredis.register_function('m1b', function() end)"));
      await client.call("FUNCTION", "LOAD", lib("m2", "redis.register_function('m2a', function() end)"));
      await client.call("SCRIPT", "LOAD", "return 1");
    }
    expect(await fields(pair().b)).toEqual(["3", "2", "1"]);
    expect(await fields(pair().b)).toEqual(await fields(pair().r));
    for (const client of [pair().b, pair().r]) await client.call("FUNCTION", "DELETE", "m1");
    expect(await fields(pair().b)).toEqual(await fields(pair().r));
    // Every field of the memory section Redis has about scripts is there too.
    const names = async (client: RawClient) =>
      String(await client.call("INFO", "memory"))
        .split("\r\n")
        .map((line) => line.split(":")[0]!)
        .filter((name) => /function|script|_vm|lua/.test(name))
        .sort();
    expect(await names(pair().b)).toEqual(await names(pair().r));
    await Promise.all([pair().b.call("SCRIPT", "FLUSH"), pair().r.call("SCRIPT", "FLUSH")]);
  });
});

d("DUMP and RESTORE", () => {
  const libA = lib("liba", "redis.register_function{function_name='fa', callback=function() return 'a' end, description='A', flags={'no-writes'}}");
  const libB = lib("libb", "redis.register_function('fb', function() return 'b' end)\n" + "-- padding so that the code compresses ".repeat(20));

  test("DUMP's payload is byte-identical, with rdbcompression yes and no", async () => {
    for (const compression of ["yes", "no"]) {
      for (const client of [pair().b, pair().r]) {
        await client.call("CONFIG", "SET", "rdbcompression", compression);
        await client.call("FUNCTION", "FLUSH");
      }
      const script: CommandArgs[] = [["FUNCTION", "DUMP"], ["FUNCTION", "LOAD", libA], ["FUNCTION", "DUMP"], ["FUNCTION", "LOAD", libB], ["FUNCTION", "DELETE", "liba"], ["FUNCTION", "DUMP"]];
      expect(await compare(script)).toEqual([]);
    }
    for (const client of [pair().b, pair().r]) await client.call("CONFIG", "SET", "rdbcompression", "yes");
  });

  test("RESTORE: policies, collisions, errors", async () => {
    // Payloads made by Redis, restored on both.
    const r = pair().r;
    await r.call("FUNCTION", "LOAD", libA);
    const dumpA = Buffer.from(String(await r.call("FUNCTION", "DUMP")), "latin1");
    await r.call("FUNCTION", "LOAD", libB);
    const dumpAB = Buffer.from(String(await r.call("FUNCTION", "DUMP")), "latin1");
    await r.call("FUNCTION", "FLUSH");
    await r.call("FUNCTION", "LOAD", lib("liba", "redis.register_function('fb', function() return 'other' end)"));
    const dumpCollide = Buffer.from(String(await r.call("FUNCTION", "DUMP")), "latin1");
    await r.call("FUNCTION", "FLUSH");
    const dumpEmpty = Buffer.from(String(await r.call("FUNCTION", "DUMP")), "latin1");

    const corrupt = Buffer.from(dumpA);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const badVersion = Buffer.from(dumpA);
    badVersion[badVersion.length - 10] = 99;
    const script: CommandArgs[] = [
      ["FUNCTION", "RESTORE"],
      ["FUNCTION", "RESTORE", dumpA, "APPEND", "x"],
      ["FUNCTION", "RESTORE", dumpA, "BAD"],
      ["FUNCTION", "RESTORE", "garbage"],
      ["FUNCTION", "RESTORE", ""],
      ["FUNCTION", "RESTORE", corrupt],
      ["FUNCTION", "RESTORE", badVersion],
      ["FUNCTION", "RESTORE", dumpA.subarray(0, dumpA.length - 12)],
      ["FUNCTION", "RESTORE", Buffer.concat([dumpA.subarray(0, 1), dumpA])],
      ["FUNCTION", "RESTORE", dumpEmpty],
      ["FUNCTION", "RESTORE", dumpA],
      ["FCALL", "fa", "0"],
      ["FUNCTION", "RESTORE", dumpA],
      ["FUNCTION", "RESTORE", dumpA, "append"],
      ["FUNCTION", "RESTORE", dumpAB],
      ["FUNCTION", "LIST", "LIBRARYNAME", "libb"],
      ["FUNCTION", "RESTORE", dumpAB, "REPLACE"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "libb"],
      ["FCALL", "fb", "0"],
      ["FUNCTION", "RESTORE", dumpCollide, "REPLACE"],
      ["FCALL", "fa", "0"],
      ["FUNCTION", "RESTORE", dumpCollide, "APPEND"],
      ["FUNCTION", "RESTORE", dumpCollide, "FLUSH"],
      ["FUNCTION", "LIST"],
      ["FCALL", "fb", "0"],
      ["FCALL", "fa", "0"],
      ["FUNCTION", "RESTORE", dumpEmpty, "FLUSH"],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "RESTORE", dumpA, "FLUSH"],
      ["FUNCTION", "LIST"],
      // Function names collide whatever their case.
      ["FUNCTION", "DELETE", "liba"],
      ["FUNCTION", "LOAD", lib("upper", "redis.register_function('FA', function() return 'upper' end)")],
      ["FUNCTION", "RESTORE", dumpA],
      ["FUNCTION", "RESTORE", dumpA, "REPLACE"],
      ["FCALL", "fa", "0"],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("RESTORE of crafted payloads: records that do not load, cut, foreign or pre-GA", async () => {
    /** An RDB string: 6- or 14-bit length, then the bytes. */
    const rdbString = (text: string) => Buffer.concat([Buffer.from(text.length < 64 ? [text.length] : [0x40 | (text.length >> 8), text.length & 0xff]), Buffer.from(text, "latin1")]);
    const function2 = (code: string) => Buffer.concat([Buffer.from([0xf5]), rdbString(code)]);
    /** The records, then the RDB version and the CRC64 of all that. */
    const payload = (...parts: Buffer[]) => {
      const body = Buffer.concat([...parts, Buffer.from([10, 0])]);
      const checksum = Buffer.alloc(8);
      checksum.writeBigUInt64LE(crc64(body));
      return Buffer.concat([body, checksum]);
    };
    const one = (name: string, fn: string) => lib(name, `redis.register_function('${fn}', function() return '${name}' end)`);
    const preGa = (name: string, engine: string, description: string | null, code: string) =>
      Buffer.concat([Buffer.from([0xf6]), rdbString(name), rdbString(engine), Buffer.from([description === null ? 0 : 1]), description === null ? Buffer.alloc(0) : rdbString(description), rdbString(code)]);
    const script: CommandArgs[] = [
      ["FUNCTION", "RESTORE", payload(function2(one("a", "x")), function2(one("a", "y")))],
      ["FUNCTION", "RESTORE", payload(function2(one("a", "x")), function2(one("b", "X")))],
      ["FUNCTION", "RESTORE", payload(function2("#!lua name=c\nerror('boom')"))],
      ["FUNCTION", "RESTORE", payload(function2("return 1"))],
      ["FUNCTION", "RESTORE", payload(function2("#!lua name=d\n"))],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0, 1, 0x41]))],
      ["FUNCTION", "RESTORE", payload(function2(one("g", "g")), Buffer.from([1, 2, 3]))],
      // A library that fails is reported before a bad record after it (each loads as it is read).
      ["FUNCTION", "RESTORE", payload(function2("#!lua name=c\nerror('boom')"), Buffer.from([0]))],
      ["FUNCTION", "RESTORE", payload(function2(one("h", "h")).subarray(0, 20))],
      ["FUNCTION", "RESTORE", payload()],
      // RDB_OPCODE_FUNCTION of 7.0's release candidates, and each of its parts cut.
      ["FUNCTION", "RESTORE", payload(preGa("pg", "LUA", null, "redis.register_function('pgf', function() return 1 end)"))],
      ["FUNCTION", "RESTORE", payload(preGa("pg2", "lua", "a description", "redis.register_function('pgf2', function() return 2 end)"))],
      ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "pg"],
      ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "pg2"],
      ["FCALL", "pgf2", "0"],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0xf6]))],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0xf6]), rdbString("n"))],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0xf6]), rdbString("n"), rdbString("LUA"), Buffer.from([0xc0]))],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0xf6]), rdbString("n"), rdbString("LUA"), Buffer.from([1]))],
      ["FUNCTION", "RESTORE", payload(Buffer.from([0xf6]), rdbString("n"), rdbString("LUA"), Buffer.from([0]))],
      ["FUNCTION", "RESTORE", payload(preGa("pg3", "nope", null, "redis.register_function('pgf3', function() return 1 end)"))],
      ["FUNCTION", "RESTORE", payload(function2(lib("z", "redis.register_function('ZZ', function() end)")))],
      ["FUNCTION", "RESTORE", payload(function2(lib("y", "redis.register_function('zz', function() end)")))],
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("a payload from Redis restores in Bunker and the other way round", async () => {
    const { b, r } = pair();
    for (const client of [b, r]) {
      await client.call("FUNCTION", "LOAD", libA);
      await client.call("FUNCTION", "LOAD", libB);
    }
    const fromRedis = Buffer.from(String(await r.call("FUNCTION", "DUMP")), "latin1");
    const fromBunker = Buffer.from(String(await b.call("FUNCTION", "DUMP")), "latin1");
    // Two libraries: the order in the payload is Redis's dict order, so only the content is compared.
    expect(fromBunker.length).toBe(fromRedis.length);
    expect(await b.call("FUNCTION", "RESTORE", fromRedis, "FLUSH")).toBe("OK");
    expect(await r.call("FUNCTION", "RESTORE", fromBunker, "FLUSH")).toBe("OK");
    for (const fn of ["fa", "fb"]) {
      const [ours, theirs] = await both(pair(), "FCALL", fn, "0");
      expect(ours).toBe(theirs);
    }
    const [ours, theirs] = await both(pair(), "FUNCTION", "STATS");
    expect(ours).toBe(theirs);
    // The first library of the payload that collides: which one is first is dict order in Redis.
    expect(String(await r.call("FUNCTION", "RESTORE", fromBunker))).toMatch(/^ERR Library lib[ab] already exists$/);
  });
});
