// Random command sequences over a handful of keys, sent to Bunker and to redis-server:
// every reply must be byte-identical, so state drift between the two (a value shared
// by two keys, a wrong encoding after COPY, an off-by-one in a range) shows up as soon
// as a later command reads it. Deterministic: a failure names its seed and step.

import { describe, expect, test } from "bun:test";
import { both, haveRedis, usePair } from "../helpers/differential.ts";
import { seededRandom } from "../helpers/random.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair();

const KEYS = ["a", "b", "c", "l", "h", "z"];
const VALUES = ["1", "2", "-3", "10", "x", "hello", "", "3.5", "abc", "100000000000"];
const INTS = ["0", "1", "-1", "2", "-2", "5", "100", "-100"];

/** Commands whose replies are deterministic for the same history, over every type. */
function generators(pick: <T>(items: readonly T[]) => T): Array<() => string[]> {
  const k = () => pick(KEYS);
  const v = () => pick(VALUES);
  const n = () => pick(INTS);
  const end = () => pick(["LEFT", "RIGHT"]);
  return [
    () => ["SET", k(), v()], () => ["GET", k()], () => ["INCR", k()], () => ["DECRBY", k(), n()], () => ["APPEND", k(), v()],
    () => ["STRLEN", k()], () => ["GETRANGE", k(), n(), n()], () => ["SETRANGE", k(), pick(["0", "1", "3"]), v()],
    () => ["INCRBYFLOAT", k(), pick(["1.5", "-0.25", "3", "1e2"])], () => ["MSET", k(), v(), k(), v()], () => ["MGET", k(), k()],
    () => ["GETDEL", k()], () => ["LPUSH", k(), v(), v()], () => ["RPUSH", k(), v()], () => ["LPOP", k()], () => ["RPOP", k(), pick(["1", "2"])],
    () => ["LRANGE", k(), n(), n()], () => ["LINDEX", k(), n()], () => ["LSET", k(), n(), v()], () => ["LINSERT", k(), pick(["BEFORE", "AFTER"]), v(), v()],
    () => ["LREM", k(), n(), v()], () => ["LTRIM", k(), n(), n()], () => ["LPOS", k(), v()], () => ["LMOVE", k(), k(), end(), end()], () => ["LLEN", k()],
    () => ["HSET", k(), v(), v()], () => ["HGET", k(), v()], () => ["HDEL", k(), v()], () => ["HINCRBY", k(), v(), n()], () => ["HGETALL", k()],
    () => ["HLEN", k()], () => ["HKEYS", k()], () => ["HSTRLEN", k(), v()], () => ["ZADD", k(), n(), v()], () => ["ZINCRBY", k(), pick(["1", "0.5", "-2"]), v()],
    () => ["ZRANGE", k(), n(), n(), "WITHSCORES"], () => ["ZRANGEBYSCORE", k(), pick(["-inf", "0", "(1"]), pick(["+inf", "5", "(10"])],
    () => ["ZREM", k(), v()], () => ["ZRANK", k(), v()], () => ["ZSCORE", k(), v()], () => ["ZPOPMIN", k()], () => ["ZCARD", k()],
    () => ["ZRANGEBYLEX", k(), pick(["-", "[a", "(h"]), pick(["+", "[z", "(x"])], () => ["SETBIT", k(), pick(["0", "7", "20"]), pick(["0", "1"])],
    () => ["BITCOUNT", k()], () => ["GETBIT", k(), pick(["0", "7", "20"])], () => ["DEL", k()], () => ["EXISTS", k(), k()], () => ["TYPE", k()],
    () => ["RENAME", k(), k()], () => ["COPY", k(), k(), "REPLACE"], () => ["EXPIRE", k(), pick(["100", "200"])], () => ["TTL", k()], () => ["PERSIST", k()],
    () => ["OBJECT", "ENCODING", k()], () => ["SADD", k(), n(), n()], () => ["SISMEMBER", k(), n()], () => ["SCARD", k()], () => ["SREM", k(), n()],
    () => ["DUMP", k()],
    () => ["XADD", k(), pick(["1-1", "2-0", "5-5", "10-1", "9-9"]), "f", v()], () => ["XRANGE", k(), "-", "+"], () => ["XLEN", k()],
    () => ["XDEL", k(), pick(["1-1", "2-0", "5-5"])], () => ["XTRIM", k(), "MAXLEN", pick(["0", "1", "2"])], () => ["XREVRANGE", k(), "+", "-", "COUNT", "2"],
    () => ["HINCRBYFLOAT", k(), v(), pick(["1.5", "-2", "0.1"])], () => ["HSETNX", k(), v(), v()], () => ["HMGET", k(), v(), v()],
    () => ["ZUNIONSTORE", k(), "2", k(), k()], () => ["ZINTERSTORE", k(), "2", k(), k(), "AGGREGATE", pick(["SUM", "MIN", "MAX"])],
    () => ["ZREMRANGEBYRANK", k(), n(), n()], () => ["ZCOUNT", k(), "-inf", n()], () => ["ZREVRANGE", k(), "0", "-1", "WITHSCORES"],
    () => ["SORT", k()], () => ["SORT", k(), "ALPHA", "DESC"], () => ["SORT", k(), "ALPHA", "LIMIT", "0", "2", "STORE", k()],
    () => ["BITFIELD", k(), "INCRBY", pick(["i5", "u4", "i8"]), pick(["0", "3", "100"]), n()], () => ["BITOP", pick(["AND", "OR", "XOR"]), k(), k(), k()],
    () => ["BITPOS", k(), pick(["0", "1"])], () => ["PFADD", k(), v(), v()], () => ["PFCOUNT", k()],
    () => ["SINTERSTORE", k(), k(), k()], () => ["SUNIONSTORE", k(), k(), k()], () => ["SDIFFSTORE", k(), k(), k()], () => ["SMOVE", k(), k(), n()],
    () => ["LMPOP", "2", k(), k(), end(), "COUNT", pick(["1", "3"])], () => ["ZMPOP", "2", k(), k(), pick(["MIN", "MAX"])],
    () => ["GETEX", k(), "PERSIST"], () => ["SETNX", k(), v()], () => ["GETSET", k(), v()], () => ["LCS", k(), k()],
    () => ["ZRANGESTORE", k(), k(), "0", "-1"], () => ["RENAMENX", k(), k()], () => ["MOVE", k(), "1"], () => ["SELECT", pick(["0", "1"])],
    () => ["SWAPDB", "0", "1"],
  ];
}

d("random command sequences match Redis byte for byte", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}`, async () => {
      await Promise.all([pair().b.call("FLUSHALL"), pair().r.call("FLUSHALL"), pair().b.call("SELECT", "0"), pair().r.call("SELECT", "0")]);
      const random = seededRandom(seed);
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const commands = generators(pick);
      const mismatches: string[] = [];
      for (let step = 0; step < 3000 && mismatches.length < 5; step++) {
        const command = pick(commands)();
        const [ours, theirs] = await both(pair(), ...command);
        if (ours !== theirs) mismatches.push(`step ${step} ${JSON.stringify(command)}: bunker ${JSON.stringify(ours)}, redis ${JSON.stringify(theirs)}`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
