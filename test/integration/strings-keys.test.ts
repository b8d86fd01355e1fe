// Strings, generic key commands and transactions, compared byte for byte with Redis 7.0.

import { describe, expect, test } from "bun:test";
import { compareScript, haveRedis, usePair } from "../helpers/differential.ts";


const pair = usePair();

const d = haveRedis ? describe : describe.skip;

d("strings match Redis", () => {
  test("SET options and errors", async () => {
    const script = [
      ["SET", "k", "v"],
      ["SET", "k", "v2", "GET"],
      ["SET", "k", "v3", "NX"],
      ["SET", "k", "v3", "XX", "GET"],
      ["SET", "new", "v", "XX"],
      ["SET", "new", "v", "NX", "GET"],
      ["SET", "k", "v", "EX", "0"],
      ["SET", "k", "v", "EX", "-1"],
      ["SET", "k", "v", "EX", "abc"],
      ["SET", "k", "v", "PX", "9223372036854775807"],
      ["SET", "k", "v", "EX", "9223372036854775"],
      ["SET", "k", "v", "EX", "10", "PX", "10"],
      ["SET", "k", "v", "NX", "XX"],
      ["SET", "k", "v", "KEEPTTL", "EX", "10"],
      ["SET", "k", "v", "FOO"],
      ["SET", "k", "v", "EX"],
      ["SET", "k", "v", "EX", "100"],
      ["TTL", "k"],
      ["SET", "k", "v", "KEEPTTL"],
      ["TTL", "k"],
      ["SET", "k", "v"],
      ["TTL", "k"],
      ["SETNX", "k", "x"],
      ["SETNX", "k2", "x"],
      ["SETEX", "k3", "0", "v"],
      ["SETEX", "k3", "100", "v"],
      ["PSETEX", "k4", "-5", "v"],
      ["GETSET", "k", "nv"],
      ["GETSET", "nokey", "nv"],
      // Same-length overwrites: the old value's bytes may be reused, but only after the reply.
      ["SET", "same", "aaaa"],
      ["GETSET", "same", "bbbb"],
      ["SET", "same", "cccc", "GET"],
      ["SET", "same", "dddd", "GET"],
      ["GET", "same"],
      ["GETDEL", "k"],
      ["GETDEL", "k"],
      ["MSET", "a", "1", "b", "2"],
      ["MSET", "a", "1", "b"],
      ["MGET", "a", "b", "nokey"],
      ["MSETNX", "a", "1", "zz", "2"],
      ["MSETNX", "y1", "1", "y2", "2"],
      ["STRLEN", "a"],
      ["STRLEN", "nokey"],
      ["APPEND", "a", "23"],
      ["APPEND", "fresh", "abc"],
      ["SET", "n", "12", "EX", "1000"],
      ["APPEND", "n", "34"],
      ["TTL", "n"],
      ["OBJECT", "ENCODING", "n"],
      ["GET", "n"],
      ["SET", "long", "y".repeat(5000)],
      ["APPEND", "long", "z"],
      ["STRLEN", "long"],
      ["RPUSH", "alist", "x"],
      ["APPEND", "alist", "x"],
      ["STRLEN", "alist"],
      ["GET", "a"],
      ["OBJECT", "ENCODING", "a"],
      ["OBJECT", "ENCODING", "fresh"],
      ["SET", "e", "hello world"],
      ["OBJECT", "ENCODING", "e"],
      ["SET", "e", "x".repeat(45)],
      ["OBJECT", "ENCODING", "e"],
      ["SET", "n", "12345"],
      ["OBJECT", "ENCODING", "n"],
      ["SET", "n", "012345"],
      ["OBJECT", "ENCODING", "n"],
      ["GETEX", "n", "EX", "100"],
      ["TTL", "n"],
      ["GETEX", "n", "PERSIST"],
      ["TTL", "n"],
      ["GETEX", "n", "PERSIST", "EX", "10"],
      ["GETEX", "nokey", "EX", "10"],
      ["GETEX", "n", "FOO"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("counters", async () => {
    const script = [
      ["INCR", "c"],
      ["INCRBY", "c", "10"],
      ["DECR", "c"],
      ["DECRBY", "c", "5"],
      ["INCRBY", "c", "abc"],
      ["INCRBY", "c", "9223372036854775807"],
      // Across 2^53, where a double stops being exact.
      ["SET", "c", "9007199254740990"],
      ["INCRBY", "c", "10"],
      ["INCRBY", "c", "-10"],
      ["DECRBY", "c", "9007199254740991"],
      ["DECRBY", "c", "9007199254740991"],
      ["DECRBY", "c", "0"],
      ["DECRBY", "absent", "7"],
      ["INCRBY", "absent2", "-9007199254740993"],
      ["RPUSH", "list", "x"],
      ["INCRBY", "list", "1"],
      ["DECRBY", "list", "1"],
      ["SET", "c", "9223372036854775806"],
      ["INCR", "c"],
      ["INCR", "c"],
      ["SET", "c", "-9223372036854775808"],
      ["DECR", "c"],
      ["DECRBY", "c", "-9223372036854775808"],
      ["SET", "c", "abc"],
      ["INCR", "c"],
      ["SET", "c", " 1"],
      ["INCR", "c"],
      ["SET", "f", "10.5"],
      ["INCRBYFLOAT", "f", "0.1"],
      ["INCRBYFLOAT", "f", "-5"],
      ["INCRBYFLOAT", "f", "abc"],
      ["INCRBYFLOAT", "f", "1e3"],
      ["INCRBYFLOAT", "newf", "3.0e3"],
      ["INCRBYFLOAT", "f", "inf"],
      ["OBJECT", "ENCODING", "newf"],
      ["SET", "ttl", "1", "EX", "1000"],
      ["INCRBYFLOAT", "ttl", "1"],
      ["OBJECT", "ENCODING", "ttl"],
      ["TTL", "ttl"],
      ["INCRBYFLOAT", "list", "1"],
      ["SET", "c", "5"],
      ["OBJECT", "ENCODING", "c"],
      ["INCR", "c"],
      ["OBJECT", "ENCODING", "c"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("counters across digit counts, signs, raw strings, TTLs and the 2^53 edge", async () => {
    const script = [
      ["SET", "c", "8"],
      ["INCR", "c"],
      ["INCR", "c"],
      ["INCR", "c"],
      ["GET", "c"],
      ["SET", "c", "1"],
      ["DECR", "c"],
      ["DECR", "c"],
      ["DECR", "c"],
      ["SET", "c", "-10"],
      ["INCR", "c"],
      ["SET", "c", "99"],
      ["INCR", "c"],
      ["STRLEN", "c"],
      ["SET", "r", "1"],
      ["APPEND", "r", "2"],
      ["OBJECT", "ENCODING", "r"],
      ["INCR", "r"],
      ["OBJECT", "ENCODING", "r"],
      ["GET", "r"],
      ["SET", "t", "41", "EX", "1000"],
      ["INCR", "t"],
      ["TTL", "t"],
      ["SET", "big", "9007199254739998"],
      ["INCR", "big"],
      ["INCR", "big"],
      ["INCR", "big"],
      ["GET", "big"],
      ["SET", "big", "-9007199254739998"],
      ["DECR", "big"],
      ["DECR", "big"],
      ["DECR", "big"],
      ["SET", "c", "007"],
      ["INCR", "c"],
      ["SET", "c", "-0"],
      ["DECR", "c"],
      ["SET", "c", ""],
      ["INCR", "c"],
      ["SET", "c", "x".repeat(600)],
      ["INCR", "c"],
      ["RPUSH", "l", "1"],
      ["INCR", "l"],
      ["DECR", "l"],
      ["DECR", "fresh"],
      ["INCR", "fresh2"],
      ["OBJECT", "ENCODING", "fresh"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("ranges and LCS", async () => {
    const script = [
      ["SET", "s", "Hello World"],
      ["GETRANGE", "s", "0", "4"],
      ["GETRANGE", "s", "-5", "-1"],
      ["GETRANGE", "s", "-1", "-5"],
      ["GETRANGE", "s", "5", "2"],
      ["GETRANGE", "s", "0", "100"],
      ["GETRANGE", "nokey", "0", "1"],
      ["SUBSTR", "s", "1", "3"],
      ["SETRANGE", "s", "6", "Redis"],
      ["GET", "s"],
      ["SETRANGE", "s", "20", "!"],
      ["GET", "s"],
      ["SETRANGE", "s", "-1", "x"],
      ["SETRANGE", "empty", "0", ""],
      ["EXISTS", "empty"],
      ["SETRANGE", "pad", "3", "abc"],
      ["GET", "pad"],
      ["OBJECT", "ENCODING", "pad"],
      ["SETRANGE", "s", "536870912", "x"],
      ["SET", "l1", "ohmytext"],
      ["SET", "l2", "mynewtext"],
      ["LCS", "l1", "l2"],
      ["LCS", "l1", "l2", "LEN"],
      ["LCS", "l1", "l2", "IDX"],
      ["LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4"],
      ["LCS", "l1", "l2", "IDX", "WITHMATCHLEN"],
      ["LCS", "l1", "l2", "IDX", "LEN"],
      ["LCS", "l1", "l2", "FOO"],
      ["LCS", "l1", "nokey"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });
});

d("keys match Redis", () => {
  test("generic commands", async () => {
    const script = [
      ["FLUSHALL"],
      ["SET", "a", "1"],
      ["SET", "b", "2"],
      ["DEL", "a", "b", "c"],
      ["DEL", "a"],
      ["SET", "a", "1"],
      ["EXISTS", "a", "a", "b"],
      ["TYPE", "a"],
      ["TYPE", "nokey"],
      ["RENAME", "a", "b"],
      ["GET", "b"],
      ["RENAME", "nokey", "x"],
      ["RENAMENX", "b", "b"],
      ["RENAME", "b", "b"],
      ["SET", "c", "3"],
      ["RENAMENX", "b", "c"],
      ["MOVE", "b", "1"],
      ["MOVE", "b", "1"],
      ["MOVE", "c", "0"],
      ["MOVE", "c", "99"],
      ["MOVE", "c", "abc"],
      ["SELECT", "1"],
      ["GET", "b"],
      ["SELECT", "16"],
      ["SELECT", "abc"],
      ["SELECT", "0"],
      ["COPY", "c", "d"],
      ["COPY", "c", "d"],
      ["COPY", "c", "d", "REPLACE"],
      ["COPY", "c", "c"],
      ["COPY", "c", "e", "DB", "2"],
      ["COPY", "c", "e", "DB", "20"],
      ["COPY", "c", "e", "FOO"],
      ["SWAPDB", "0", "1"],
      ["GET", "b"],
      ["SWAPDB", "0", "1"],
      ["SWAPDB", "0", "100"],
      ["SWAPDB", "x", "1"],
      ["SWAPDB", "1", "x"],
      ["DBSIZE"],
      ["UNLINK", "c", "d"],
      ["TOUCH", "c", "e", "nokey"],
      ["FLUSHDB", "FOO"],
      ["FLUSHDB", "ASYNC"],
      ["DBSIZE"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("COPY keeps every type's encoding and content, and the copy is independent", async () => {
    const big = Array.from({ length: 600 }, (_, i) => String(i));
    const script = [
      ["FLUSHALL"],
      ["SET", "str:int", "12345"],
      ["SET", "str:embstr", "hello"],
      ["APPEND", "str:raw", "short"],
      ["INCRBYFLOAT", "str:float", "3"],
      ["RPUSH", "list", "a", "1", "b"],
      ["HSET", "hash:lp", "f1", "v1", "f2", "2"],
      ["HSET", "hash:ht", "f", "x".repeat(100)],
      ["SADD", "set:int", "3", "-1", "2"],
      ["SADD", "set:ht", "a", "b", "1"],
      ["SADD", "set:bigint", ...big],
      ["ZADD", "zset:lp", "1", "a", "-0", "z", "2.5", "b"],
      ["ZADD", "zset:sl", "1", "a", "inf", "x".repeat(100)],
      ...["str:int", "str:embstr", "str:raw", "str:float", "list", "hash:lp", "hash:ht", "set:int", "set:ht", "set:bigint", "zset:lp", "zset:sl"].flatMap((key) => [
        ["COPY", key, `copy:${key}`],
        ["OBJECT", "ENCODING", `copy:${key}`],
      ]),
      ...["str:int", "str:embstr", "str:raw", "str:float"].map((key) => ["GET", `copy:${key}`]),
      ["LRANGE", "copy:list", "0", "-1"],
      ["HGETALL", "copy:hash:lp"],
      ["SMEMBERS", "copy:set:int"],
      ["HGETALL", "copy:hash:ht"],
      ["SCARD", "copy:set:ht"],
      ["SISMEMBER", "copy:set:ht", "b"],
      ["SCARD", "copy:set:bigint"],
      ["SISMEMBER", "copy:set:bigint", "599"],
      ["ZRANGE", "copy:zset:lp", "0", "-1", "WITHSCORES"],
      ["ZRANGE", "copy:zset:sl", "0", "-1", "WITHSCORES"],
      ["RPUSH", "copy:list", "c"],
      ["HSET", "copy:hash:lp", "f1", "changed"],
      ["SADD", "copy:set:int", "x"],
      ["OBJECT", "ENCODING", "copy:set:int"],
      ["OBJECT", "ENCODING", "set:int"],
      ["LRANGE", "list", "0", "-1"],
      ["HGET", "hash:lp", "f1"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("expiry commands", async () => {
    const script = [
      ["SET", "k", "v"],
      ["EXPIRE", "k", "100"],
      ["TTL", "k"],
      ["PTTL", "nokey"],
      ["EXPIRE", "k", "200", "NX"],
      ["EXPIRE", "k", "200", "XX"],
      ["EXPIRE", "k", "100", "GT"],
      ["EXPIRE", "k", "300", "GT"],
      ["EXPIRE", "k", "400", "LT"],
      ["EXPIRE", "k", "100", "LT"],
      ["TTL", "k"],
      ["EXPIRE", "k", "100", "NX", "XX"],
      ["EXPIRE", "k", "100", "GT", "LT"],
      ["EXPIRE", "k", "100", "FOO"],
      ["EXPIRE", "k", "abc"],
      ["EXPIRE", "k", "9223372036854775807"],
      ["PEXPIRE", "k", "9223372036854775807"],
      ["PERSIST", "k"],
      ["PERSIST", "k"],
      ["TTL", "k"],
      ["EXPIRE", "k", "100", "LT"],
      ["TTL", "k"],
      ["PERSIST", "k"],
      ["EXPIRE", "k", "100", "GT"],
      ["EXPIREAT", "k", "4102444800"],
      ["EXPIRETIME", "k"],
      ["PEXPIRETIME", "k"],
      ["PEXPIREAT", "k", "4102444800123"],
      ["PEXPIRETIME", "k"],
      ["EXPIRETIME", "nokey"],
      ["EXPIRE", "k", "-1"],
      ["EXISTS", "k"],
      ["EXPIRE", "nokey", "10"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("KEYS, SCAN arguments, OBJECT", async () => {
    const script = [
      ["FLUSHALL"],
      ["MSET", "user:1", "a", "user:2", "b", "other", "c"],
      ["SCAN", "abc"],
      ["SCAN", "0", "COUNT", "0"],
      ["SCAN", "0", "FOO", "bar"],
      ["SCAN", "0", "MATCH"],
      ["OBJECT", "REFCOUNT", "user:1"],
      ["SET", "int", "42"],
      ["OBJECT", "REFCOUNT", "int"],
      ["OBJECT", "ENCODING", "nokey"],
      ["OBJECT", "FREQ", "int"],
      ["OBJECT", "FOO", "int"],
      ["OBJECT", "HELP"],
      ["RANDOMKEY", "extra"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    const keys = await pair().b.call("KEYS", "user:*");
    expect((keys as string[]).sort()).toEqual(["user:1", "user:2"]);
  });
});

d("transactions and dispatch errors match Redis", () => {
  test("MULTI/EXEC/WATCH", async () => {
    const script = [
      ["MULTI"],
      ["SET", "t", "1"],
      ["INCR", "t"],
      ["GET", "t"],
      ["EXEC"],
      ["MULTI"],
      ["SET", "t"],
      ["INCR", "t"],
      ["EXEC"],
      ["MULTI"],
      ["MULTI"],
      ["WATCH", "t"],
      ["DISCARD"],
      ["EXEC"],
      ["DISCARD"],
      ["MULTI"],
      ["SAVE"],
      ["EXEC"],
      ["MULTI"],
      ["SET", "t", "abc"],
      ["INCR", "t"],
      ["EXEC"],
      ["UNWATCH"],
      ["NOTACOMMAND", "a", "b"],
      ["CONFIG", "NOTSUB"],
      ["CONFIG"],
      ["GET"],
      ["PING", "a", "b"],
      ["PING", "hello"],
      ["ECHO", "x"],
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
  });

  test("WATCH aborts EXEC when another client writes", async () => {
    const { RawClient } = await import("../helpers/server.ts");
    const other = await RawClient.connect(pair().bunker.port);
    await pair().b.call("SET", "w", "1");
    await pair().b.call("WATCH", "w");
    await other.call("SET", "w", "2");
    await pair().b.call("MULTI");
    await pair().b.call("SET", "w", "3");
    expect(await pair().b.callRaw("EXEC")).toBe("*-1\r\n");
    expect(await pair().b.call("GET", "w")).toBe("2");
    other.close();
  });
});
