// PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST compared with Redis 7.0: replies, the
// stored HLL bytes (GET), OBJECT ENCODING, the dirty counter after every command,
// WATCH, keyspace notifications and the errors for foreign or corrupted values.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, usePair } from "../helpers/differential.ts";
import { compareNotifications, compareSteps, resetBoth, type ScriptEntry } from "./hash-set-harness.ts";


const pair = usePair();
beforeEach(async () => {
  if (haveRedis) {
    await resetBoth(pair());
    for (const c of [pair().b, pair().r]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
  }
});

const d = haveRedis ? describe : describe.skip;

/**
 * COMMAND INFO without the key specs, tips and docs: arity, flags, key positions, ACL
 * categories. Subcommands are sorted: Redis lists them in its hash table's order.
 */
function elements(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** A sparse HLL header followed by `opcodes` (cache marked stale). */
function sparseHll(opcodes: number[]): Uint8Array {
  return new Uint8Array([0x48, 0x59, 0x4c, 0x4c, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, ...opcodes]);
}

d("PFADD and PFCOUNT match Redis", () => {
  test("adds, counts, cache refresh, encodings and dirty counter", async () => {
    const script: ScriptEntry[] = [
      ["PFADD", "h"],
      ["GET", "h"],
      ["OBJECT", "ENCODING", "h"],
      ["PFADD", "h"],
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a", "d", "e", "f"],
      ["GET", "h"],
      ["PFCOUNT", "h"],
      ["GET", "h"],
      ["PFCOUNT", "h"],
      ["PFCOUNT", "missing"],
      ["PFADD", "big", ...elements("e", 300)],
      ["GET", "big"],
      ["PFCOUNT", "big"],
      ["PFADD", "big", ...elements("f", 3000)],
      ["STRLEN", "big"],
      ["GET", "big"],
      ["PFCOUNT", "big"],
      ["PFADD", "big", ...elements("f", 3000)],
      ["PFCOUNT", "big", "h"],
      ["PFCOUNT", "h", "missing", "big"],
      ["PFCOUNT", "missing", "missing2"],
      ["GET", "h"],
      ["SET", "copy", "x"],
      ["OBJECT", "ENCODING", "copy"],
      ["PFADD", "ttl", "x"],
      ["EXPIRE", "ttl", "1000"],
      ["PFADD", "ttl", "y", "z"],
      ["TTL", "ttl"],
      ["PFCOUNT", "ttl"],
      ["TTL", "ttl"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("hll-sparse-max-bytes decides when a sparse HLL turns dense", async () => {
    for (const c of [pair().b, pair().r]) await c.call("CONFIG", "SET", "hll-sparse-max-bytes", "100");
    const script: ScriptEntry[] = [
      ["PFADD", "s", ...elements("x", 10)],
      ["STRLEN", "s"],
      ["PFADD", "s", ...elements("y", 60)],
      ["STRLEN", "s"],
      ["GET", "s"],
      ["PFCOUNT", "s"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("a cached count does not touch WATCH; a refreshed one does", async () => {
    const script: ScriptEntry[] = [
      ["PFADD", "h", "a", "b"],
      ["PFCOUNT", "h"],
      ["WATCH", "h"],
      ["PFCOUNT", "h"],
      ["PFADD", "h", "a"],
      ["MULTI"],
      ["PING"],
      ["EXEC"],
      ["PFADD", "h", "zz"],
      ["WATCH", "h"],
      ["PFCOUNT", "h"],
      ["MULTI"],
      ["PING"],
      ["EXEC"],
    ];
    expect(await compareSteps(pair(), script, false)).toEqual([]);
  });
});

d("PFMERGE matches Redis", () => {
  test("merges into new and existing keys, sparse and dense", async () => {
    const script: ScriptEntry[] = [
      ["PFADD", "a", "1", "2", "3"],
      ["PFADD", "b", "3", "4", "5"],
      ["PFMERGE", "dest", "a", "b"],
      ["GET", "dest"],
      ["OBJECT", "ENCODING", "dest"],
      ["PFCOUNT", "dest"],
      ["PFMERGE", "dest"],
      ["GET", "dest"],
      ["PFMERGE", "fresh"],
      ["GET", "fresh"],
      ["PFMERGE", "fresh2", "missing"],
      ["GET", "fresh2"],
      ["PFADD", "dense", ...elements("d", 3000)],
      ["PFMERGE", "a", "dense", "b"],
      ["STRLEN", "a"],
      ["GET", "a"],
      ["PFCOUNT", "a"],
      ["PFMERGE", "b", "b"],
      ["GET", "b"],
      ["SET", "ttl", "x"],
      ["DEL", "ttl"],
      ["PFADD", "ttl", "q"],
      ["EXPIRE", "ttl", "500"],
      ["PFMERGE", "ttl", "b"],
      ["TTL", "ttl"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });
});

d("HyperLogLog errors match Redis", () => {
  test("wrong types, non-HLL strings and corrupted sparse values", async () => {
    const truncated = sparseHll([0x40 | 0x00, 100]); // XZERO of 101 registers: not 16384.
    const badHeader = new Uint8Array([0x48, 0x59, 0x4c, 0x4c, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff]);
    // XZERO runs covering 16000 registers: PFADD edits the start before meeting the gap.
    const shortByGap = sparseHll([0x7e, 0x7f]);
    const script: ScriptEntry[] = [
      ["RPUSH", "list", "x"],
      ["SET", "gap", shortByGap],
      ["PFADD", "gap", ...elements("g", 200)],
      ["GET", "gap"],
      ["OBJECT", "ENCODING", "gap"],
      ["SET", "str", "not an hll at all"],
      ["SET", "corrupt", truncated],
      ["SET", "badheader", badHeader],
      ["PFADD", "good", "x", "y"],
      ["PFADD", "list", "a"],
      ["PFADD", "str", "a"],
      ["PFADD", "badheader", "a"],
      ["PFCOUNT", "list"],
      ["PFCOUNT", "str"],
      ["PFCOUNT", "corrupt"],
      ["PFCOUNT", "badheader"],
      ["PFCOUNT", "good", "list"],
      ["PFCOUNT", "good", "str", "list"],
      ["PFCOUNT", "corrupt", "list"],
      ["PFCOUNT", "list", "corrupt"],
      ["PFCOUNT", "good", "corrupt"],
      ["PFMERGE", "dest", "good", "list"],
      ["PFMERGE", "dest", "corrupt", "list"],
      ["PFMERGE", "dest", "str"],
      ["PFMERGE", "list", "good"],
      ["PFMERGE", "str", "good"],
      ["PFMERGE", "corrupt", "good"],
      ["EXISTS", "dest"],
      ["OBJECT", "ENCODING", "str"],
      ["PFADD", "corrupt", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
      ["GET", "corrupt"],
      ["OBJECT", "ENCODING", "corrupt"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });
});

d("HyperLogLog commands send Redis's keyspace notifications", () => {
  test("pfadd for PFADD and PFMERGE, nothing for PFCOUNT", async () => {
    const script: ScriptEntry[] = [
      ["PFADD", "h", "a"],
      ["PFADD", "h", "a"],
      ["PFADD", "new"],
      ["PFCOUNT", "h"],
      ["PFCOUNT", "h", "new"],
      ["PFMERGE", "m", "h", "new"],
      ["PFMERGE", "m"],
    ];
    expect(await compareNotifications(pair(), script)).toEqual([]);
  });
});

d("PFDEBUG and PFSELFTEST match Redis", () => {
  test("ENCODING, DECODE, GETREG and TODENSE: replies, stored bytes, encodings, dirty counter", async () => {
    const script: ScriptEntry[] = [
      ["PFADD", "h", "a", "b", "c", "d", "e"],
      ["PFDEBUG", "ENCODING", "h"],
      ["PFDEBUG", "DECODE", "h"],
      ["OBJECT", "ENCODING", "h"],
      ["PFDEBUG", "GETREG", "h"],
      ["PFDEBUG", "ENCODING", "h"],
      ["GET", "h"],
      ["PFDEBUG", "DECODE", "h"],
      ["PFDEBUG", "TODENSE", "h"],
      ["PFCOUNT", "h"],
      ["PFADD", "s", "x"],
      ["PFDEBUG", "TODENSE", "s"],
      ["GET", "s"],
      ["PFDEBUG", "NOSUCH", "s"],
      ["PFDEBUG", "ENCODING", "missing"],
      ["SET", "str", "not an hll"],
      ["PFDEBUG", "ENCODING", "str"],
      ["LPUSH", "list", "x"],
      ["PFDEBUG", "ENCODING", "list"],
      ["SET", "bad", sparseHll([0x40, 0x00])],
      ["PFDEBUG", "DECODE", "bad"],
      ["PFDEBUG", "TODENSE", "bad"],
      ["PFDEBUG", "GETREG", "bad"],
      ["OBJECT", "ENCODING", "bad"],
      ["PFDEBUG", "GETREG"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("PFSELFTEST passes", async () => {
    expect(await pair().b.callRaw("PFSELFTEST")).toBe("+OK\r\n");
    expect(await pair().r.callRaw("PFSELFTEST")).toBe("+OK\r\n");
  });
});

d("HyperLogLog commands are declared as in Redis", () => {
  test("COMMAND INFO: arity, flags, key positions, categories", async () => {
    expect(await compareCommandInfo(pair(), ["PFADD", "PFCOUNT", "PFMERGE", "PFDEBUG", "PFSELFTEST"])).toEqual([]);
  });
});
