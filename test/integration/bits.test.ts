// Bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO)
// compared byte for byte with Redis 7.0, with the dirty counter checked after every
// command, keyspace notifications, OBJECT ENCODING, TTLs and RESP3 replies.

import { beforeEach, describe, expect, test } from "bun:test";
import { haveRedis, compareCommandInfo, usePair } from "../helpers/differential.ts";
import { RawClient, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareNotifications, compareSteps, resetBoth, type ScriptEntry } from "./hash-set-harness.ts";
import { Random } from "../../src/util/random.ts";


const pair = usePair();
beforeEach(async () => {
  if (haveRedis) await resetBoth(pair());
});

const d = haveRedis ? describe : describe.skip;

/**
 * COMMAND INFO without the key specs, tips and docs: arity, flags, key positions, ACL
 * categories. Subcommands are sorted: Redis lists them in its hash table's order.
 */
d("SETBIT and GETBIT match Redis", () => {
  test("values, growth, no-op writes and errors", async () => {
    const script: ScriptEntry[] = [
      ["SETBIT", "b", "7", "1"],
      ["GET", "b"],
      ["SETBIT", "b", "7", "1"],
      ["SETBIT", "b", "7", "0"],
      ["SETBIT", "b", "100", "0"],
      ["STRLEN", "b"],
      ["GET", "b"],
      ["SETBIT", "b", "0", "1"],
      ["GETBIT", "b", "0"],
      ["GETBIT", "b", "7"],
      ["GETBIT", "b", "1000000"],
      ["GETBIT", "missing", "3"],
      ["SETBIT", "b", "-1", "1"],
      ["SETBIT", "b", "abc", "1"],
      ["SETBIT", "b", "1.5", "1"],
      ["SETBIT", "b", "4294967296", "1"],
      ["SETBIT", "b", "9223372036854775808", "1"],
      ["SETBIT", "b", "1", "2"],
      ["SETBIT", "b", "1", "-1"],
      ["SETBIT", "b", "1", "x"],
      ["SETBIT", "b", "-1", "x"],
      ["GETBIT", "b", "-1"],
      ["GETBIT", "b", "x"],
      ["SETBIT", "b", "1"],
      ["GETBIT", "b"],
      ["RPUSH", "list", "a"],
      ["SETBIT", "list", "1", "1"],
      ["GETBIT", "list", "1"],
      ["SETBIT", "list", "-1", "1"],
      ["SET", "n", "123"],
      ["OBJECT", "ENCODING", "n"],
      ["SETBIT", "n", "0", "0"],
      ["OBJECT", "ENCODING", "n"],
      ["GET", "n"],
      ["SET", "short", "hello"],
      ["OBJECT", "ENCODING", "short"],
      ["GETBIT", "short", "1"],
      ["OBJECT", "ENCODING", "short"],
      ["SETBIT", "short", "1", "1"],
      ["OBJECT", "ENCODING", "short"],
      ["GET", "short"],
      ["SETBIT", "fresh", "3", "0"],
      ["OBJECT", "ENCODING", "fresh"],
      ["GET", "fresh"],
      // Growth reuses spare room in the string's buffer: copies must stay independent.
      ["SETBIT", "g", "7", "1"],
      ["SETBIT", "g", "15", "1"],
      ["COPY", "g", "g2"],
      ["SETBIT", "g2", "23", "1"],
      ["SETBIT", "g", "31", "1"],
      ["GET", "g"],
      ["GET", "g2"],
      ["APPEND", "g", "x"],
      ["SETBIT", "g", "100", "1"],
      ["GET", "g"],
      ["SETRANGE", "g", "20", "y"],
      ["BITFIELD", "g", "SET", "u8", "#30", "255"],
      ["GET", "g"],
      ["RENAME", "g", "g3"],
      ["SETBIT", "g3", "300", "1"],
      ["GET", "g3"],
      ["SET", "ttl", "x", "EX", "1000"],
      ["SETBIT", "ttl", "100", "1"],
      ["TTL", "ttl"],
      ["SETBIT", "ttl", "0", "1"],
      ["TTL", "ttl"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("a write that changes nothing leaves WATCH alone", async () => {
    // INFO would be queued inside MULTI: no dirty-counter checks here.
    const script: ScriptEntry[] = [
      ["SETBIT", "b", "0", "1"],
      ["WATCH", "b"],
      ["SETBIT", "b", "0", "1"],
      ["BITFIELD", "b", "SET", "u1", "0", "1", "GET", "u8", "0"],
      ["MULTI"],
      ["PING"],
      ["EXEC"],
      ["WATCH", "b"],
      ["SETBIT", "b", "0", "0"],
      ["MULTI"],
      ["PING"],
      ["EXEC"],
    ];
    expect(await compareSteps(pair(), script, false)).toEqual([]);
  });

  test("proto-max-bulk-len bounds the offset", async () => {
    for (const c of [pair().b, pair().r]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "1048576");
    try {
      const script: ScriptEntry[] = [
        ["SETBIT", "b", String(1048576 * 8 - 1), "1"],
        ["STRLEN", "b"],
        ["SETBIT", "b", String(1048576 * 8), "1"],
        ["GETBIT", "b", String(1048576 * 8)],
        ["BITFIELD", "b", "GET", "u8", String(1048576 * 8)],
        ["BITFIELD", "b", "GET", "u8", `#${1048576}`],
        ["BITFIELD", "b", "GET", "u8", `#${1048576 - 1}`],
      ];
      expect(await compareSteps(pair(), script)).toEqual([]);
    } finally {
      for (const c of [pair().b, pair().r]) await c.call("CONFIG", "SET", "proto-max-bulk-len", "536870912");
    }
  });
});

d("BITCOUNT and BITPOS match Redis", () => {
  test("ranges in bytes and bits, negative indexes, errors", async () => {
    const script: ScriptEntry[] = [
      ["SET", "s", "\x00\xff\xf0\x0f\x55\x00\x80"],
      ["SET", "ones", "\xff\xff\xff"],
      ["SET", "zeros", "\x00\x00"],
      ["SET", "empty", ""],
      ["BITCOUNT", "s"],
      ["BITCOUNT", "missing"],
      ["BITCOUNT", "missing", "0", "-1", "BIT"],
      ["BITCOUNT", "empty"],
      ["BITCOUNT", "s", "1", "2"],
      ["BITCOUNT", "s", "-2", "-1"],
      ["BITCOUNT", "s", "-1", "-2"],
      ["BITCOUNT", "s", "-100", "100"],
      ["BITCOUNT", "s", "5", "2"],
      ["BITCOUNT", "s", "3", "20", "BIT"],
      ["BITCOUNT", "s", "9", "9", "bit"],
      ["BITCOUNT", "s", "-5", "-1", "BIT"],
      ["BITCOUNT", "s", "0", "-1", "byte"],
      ["BITCOUNT", "s", "9223372036854775807", "-9223372036854775808"],
      ["BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "BIT"],
      ["BITCOUNT", "s", "0"],
      ["BITCOUNT", "s", "0", "1", "BITS"],
      ["BITCOUNT", "s", "a", "1"],
      ["BITCOUNT", "s", "0", "9223372036854775808"],
      ["BITCOUNT", "s", "0", "1", "BIT", "extra"],
      ["RPUSH", "list", "x"],
      ["BITCOUNT", "list"],
      ["BITCOUNT", "list", "0", "1"],
      ["BITCOUNT", "list", "0", "1", "FOO"],
      ["BITCOUNT", "list", "a", "b"],
      ["BITCOUNT", "missing", "0"],
      ["BITCOUNT", "missing", "a", "b"],
      ["BITCOUNT", "missing", "0", "1", "FOO"],
      ["BITPOS", "s", "1"],
      ["BITPOS", "s", "0"],
      ["BITPOS", "ones", "0"],
      ["BITPOS", "ones", "0", "1"],
      ["BITPOS", "ones", "0", "0", "-1"],
      ["BITPOS", "ones", "0", "0", "-1", "BIT"],
      ["BITPOS", "ones", "0", "3", "BIT"],
      ["BITPOS", "zeros", "1"],
      ["BITPOS", "zeros", "0"],
      ["BITPOS", "empty", "0"],
      ["BITPOS", "empty", "1"],
      ["BITPOS", "missing", "0"],
      ["BITPOS", "missing", "1"],
      ["BITPOS", "missing", "1", "0", "5", "BIT"],
      ["BITPOS", "s", "1", "2"],
      ["BITPOS", "s", "1", "-3"],
      ["BITPOS", "s", "0", "1", "1"],
      ["BITPOS", "s", "1", "9", "14", "BIT"],
      ["BITPOS", "s", "0", "8", "15", "BIT"],
      ["BITPOS", "s", "1", "50", "60", "BIT"],
      ["BITPOS", "s", "1", "5", "2"],
      ["BITPOS", "s", "0", "-1", "-2"],
      ["BITPOS", "s", "2"],
      ["BITPOS", "s", "-1"],
      ["BITPOS", "s", "x"],
      ["BITPOS", "s", "1", "x"],
      ["BITPOS", "s", "1", "0", "x"],
      ["BITPOS", "s", "1", "0", "x", "FOO"],
      ["BITPOS", "s", "1", "0", "1", "FOO"],
      ["BITPOS", "s", "1", "0", "1", "BIT", "extra"],
      ["BITPOS", "list", "1"],
      ["BITPOS", "list", "2"],
      ["BITPOS", "list", "1", "x"],
      ["BITPOS", "missing", "1", "x"],
      ["BITPOS", "missing", "0", "0", "0", "FOO"],
      ["BITPOS", "missing", "x"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });
});

d("BITOP matches Redis", () => {
  test("operations, lengths, missing keys, deletion and errors", async () => {
    const script: ScriptEntry[] = [
      ["SET", "a", "\xff\x0f\x33"],
      ["SET", "b", "\xf0\xf0"],
      ["SET", "c", "\x01"],
      ["BITOP", "AND", "dest", "a", "b", "c"],
      ["GET", "dest"],
      ["OBJECT", "ENCODING", "dest"],
      ["BITOP", "or", "dest", "a", "b", "c", "missing"],
      ["GET", "dest"],
      ["BITOP", "XOR", "dest", "a", "b"],
      ["GET", "dest"],
      ["BITOP", "NOT", "dest", "a"],
      ["GET", "dest"],
      ["BITOP", "NOT", "dest", "missing"],
      ["EXISTS", "dest"],
      ["BITOP", "AND", "dest", "missing"],
      ["BITOP", "AND", "dest", "a", "missing"],
      ["GET", "dest"],
      ["BITOP", "AND", "a", "a"],
      ["GET", "a"],
      ["SET", "withttl", "x", "EX", "1000"],
      ["BITOP", "OR", "withttl", "b"],
      ["TTL", "withttl"],
      ["BITOP", "NOT", "dest", "a", "b"],
      ["BITOP", "NOT", "dest"],
      ["BITOP", "NAND", "dest", "a"],
      ["RPUSH", "list", "x"],
      ["BITOP", "AND", "dest", "a", "list"],
      ["BITOP", "AND", "list", "a"],
      ["TYPE", "list"],
      ["BITOP", "OR", "list2", "missing", "missing2"],
      ["SET", "int", "12"],
      ["BITOP", "OR", "dest", "int"],
      ["GET", "dest"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });
});

d("BITFIELD and BITFIELD_RO match Redis", () => {
  test("operations, overflow policies, # offsets and errors", async () => {
    const script: ScriptEntry[] = [
      ["BITFIELD", "f", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "100", "GET", "i4", "0"],
      ["GET", "f"],
      ["BITFIELD", "f", "SET", "i8", "#1", "-128", "INCRBY", "i8", "#1", "-1", "OVERFLOW", "FAIL", "INCRBY", "i8", "#1", "-1", "GET", "i8", "8"],
      ["BITFIELD", "f", "OVERFLOW", "WRAP", "INCRBY", "u2", "100", "1", "GET", "u2", "100"],
      ["BITFIELD", "f", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0", "GET", "u63", "0", "GET", "u63", "1"],
      ["BITFIELD", "f", "INCRBY", "i64", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807"],
      ["BITFIELD", "f", "OVERFLOW", "SAT", "SET", "u8", "#3", "-1", "SET", "i8", "#4", "-9223372036854775808", "GET", "u8", "#3", "GET", "i8", "#4"],
      ["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "#3", "256", "SET", "u8", "#3", "255"],
      ["BITFIELD", "f", "SET", "u8", "0", "7", "SET", "u8", "0", "7"],
      ["BITFIELD", "f", "INCRBY", "u8", "0", "0"],
      ["BITFIELD", "f", "GET", "u8", "1000"],
      ["BITFIELD", "f"],
      ["BITFIELD", "missing"],
      ["BITFIELD", "missing", "GET", "u8", "0"],
      ["EXISTS", "missing"],
      ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"],
      ["GET", "g"],
      ["BITFIELD", "h", "SET", "u8", "0", "0", "SET", "u8", "8", "0"],
      ["GET", "h"],
      ["BITFIELD", "f", "GET", "u64", "0"],
      ["BITFIELD", "f", "GET", "i65", "0"],
      ["BITFIELD", "f", "GET", "i0", "0"],
      ["BITFIELD", "f", "GET", "I8", "0"],
      ["BITFIELD", "f", "GET", "i08", "0"],
      ["BITFIELD", "f", "GET", "x8", "0"],
      ["BITFIELD", "f", "GET", "u8", "-1"],
      ["BITFIELD", "f", "GET", "u8", "#-1"],
      ["BITFIELD", "f", "GET", "u8", "##1"],
      ["BITFIELD", "f", "GET", "u8", "1.5"],
      ["BITFIELD", "f", "SET", "u8", "0", "x"],
      ["BITFIELD", "f", "INCRBY", "u8", "0", "9223372036854775808"],
      ["BITFIELD", "f", "OVERFLOW", "BAD", "GET", "u8", "0"],
      ["BITFIELD", "f", "OVERFLOW"],
      ["BITFIELD", "f", "GET", "u8"],
      ["BITFIELD", "f", "SET", "u8", "0"],
      ["BITFIELD", "f", "FOO", "u8", "0"],
      ["BITFIELD", "f", "GET", "u8", "0", "GET", "bad", "0"],
      ["RPUSH", "list", "x"],
      ["BITFIELD", "list", "GET", "u8", "0"],
      ["BITFIELD", "list", "SET", "u8", "0", "1"],
      ["BITFIELD", "list", "GET", "bad", "0"],
      ["BITFIELD_RO", "f", "GET", "u8", "0", "GET", "i5", "#2"],
      ["BITFIELD_RO", "f", "SET", "u8", "0", "1"],
      ["BITFIELD_RO", "f", "GET", "u8", "0", "INCRBY", "u8", "0", "1"],
      ["BITFIELD_RO", "f", "OVERFLOW", "SAT", "GET", "u8", "0"],
      ["BITFIELD_RO", "f", "SET", "bad", "0", "1"],
      ["BITFIELD_RO", "list", "GET", "u8", "0"],
      ["BITFIELD_RO", "list", "SET", "u8", "0", "1"],
      ["BITFIELD_RO", "missing", "GET", "u8", "0"],
      ["BITFIELD_RO", "missing"],
      ["SET", "e", "hi"],
      ["BITFIELD", "e", "GET", "u8", "0"],
      ["OBJECT", "ENCODING", "e"],
      ["BITFIELD", "e", "SET", "u8", "0", "104"],
      ["OBJECT", "ENCODING", "e"],
      ["SET", "t", "abc", "EX", "1000"],
      ["BITFIELD", "t", "SET", "u8", "#10", "1"],
      ["TTL", "t"],
    ];
    expect(await compareSteps(pair(), script)).toEqual([]);
  });

  test("RESP3 replies (FAIL is a null)", async () => {
    for (const c of [pair().b, pair().r]) await c.call("HELLO", "3");
    try {
      const script: ScriptEntry[] = [
        ["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "0", "300", "SET", "i8", "0", "-1", "INCRBY", "i8", "0", "-200"],
        ["BITFIELD_RO", "f", "GET", "u8", "0"],
        ["BITFIELD", "f", "SET", "i64", "0", "9223372036854775807", "GET", "u63", "1"],
        ["SETBIT", "f", "3", "1"],
        ["BITCOUNT", "f"],
        ["BITPOS", "f", "0"],
        ["BITOP", "NOT", "g", "f"],
        ["GET", "g"],
      ];
      expect(await compareSteps(pair(), script)).toEqual([]);
    } finally {
      for (const c of [pair().b, pair().r]) await c.call("HELLO", "2");
    }
  });

  test("random bit programs leave identical strings and replies", async () => {
    const random = new Random(20240607);
    const types = ["u1", "u3", "u8", "u16", "u31", "u32", "u33", "u53", "u63", "i1", "i2", "i8", "i13", "i32", "i53", "i54", "i63", "i64"];
    const policies = ["WRAP", "SAT", "FAIL"];
    const valueFor = (): string => {
      const choices = ["0", "1", "-1", "127", "-128", "255", "65535", "9223372036854775807", "-9223372036854775808", "4611686018427387904"];
      return random.nextInt(3) === 0 ? choices[random.nextInt(choices.length)]! : String(random.nextInt(2000) - 1000);
    };
    const script: ScriptEntry[] = [];
    for (let i = 0; i < 150; i++) {
      const key = `k${random.nextInt(3)}`;
      const roll = random.nextInt(6);
      if (roll === 0) script.push(["SETBIT", key, String(random.nextInt(200)), String(random.nextInt(2))]);
      else if (roll === 1) script.push(["BITCOUNT", key, String(random.nextInt(40) - 20), String(random.nextInt(60) - 20), random.nextInt(2) ? "BIT" : "BYTE"]);
      else if (roll === 2) script.push(["BITPOS", key, String(random.nextInt(2)), String(random.nextInt(80) - 40), String(random.nextInt(120) - 40), random.nextInt(2) ? "BIT" : "BYTE"]);
      else if (roll === 3) script.push(["GET", key]);
      else {
        const command = ["BITFIELD", key];
        for (let op = random.nextInt(4) + 1; op > 0; op--) {
          const type = types[random.nextInt(types.length)]!;
          const offset = random.nextInt(4) === 0 ? `#${random.nextInt(4)}` : String(random.nextInt(150));
          const kind = random.nextInt(4);
          if (kind === 0) command.push("GET", type, offset);
          else if (kind === 1) command.push("SET", type, offset, valueFor());
          else if (kind === 2) command.push("INCRBY", type, offset, valueFor());
          else command.push("OVERFLOW", policies[random.nextInt(3)]!);
        }
        script.push(command);
      }
    }
    for (const key of ["k0", "k1", "k2"]) script.push(["GET", key]);
    expect(await compareSteps(pair(), script)).toEqual([]);
  });
});

d("bit commands send Redis's keyspace notifications", () => {
  test("setbit, set and del events", async () => {
    const script: ScriptEntry[] = [
      ["SETBIT", "b", "3", "1"],
      ["SETBIT", "b", "3", "1"],
      ["SETBIT", "b", "30", "0"],
      ["BITFIELD", "f", "SET", "u8", "0", "1", "SET", "u8", "8", "2"],
      ["BITFIELD", "f", "SET", "u8", "0", "1"],
      ["BITFIELD", "g", "OVERFLOW", "FAIL", "SET", "u8", "0", "999"],
      ["BITOP", "OR", "dest", "b", "f"],
      ["BITOP", "AND", "dest", "missing"],
      ["BITOP", "AND", "dest", "missing"],
      ["GETBIT", "b", "3"],
      ["BITCOUNT", "b"],
    ];
    expect(await compareNotifications(pair(), script)).toEqual([]);
  });
});

d("bit commands are declared as in Redis", () => {
  test("COMMAND INFO: arity, flags, key positions, categories", async () => {
    expect(await compareCommandInfo(pair(), ["SETBIT", "GETBIT", "BITCOUNT", "BITPOS", "BITOP", "BITFIELD", "BITFIELD_RO"])).toEqual([]);
  });
});

d("in-place bit writes during a background save", () => {
  test("the RDB file keeps every string as it was when BGSAVE started", async () => {
    const running: RunningServer[] = [];
    try {
      const server = await startBunker({ args: ["--rdb-key-save-delay", "2000"] });
      running.push(server);
      const c = await RawClient.connect(server.port);
      const expected = new Map<string, string>();
      for (let i = 0; i < 300; i++) {
        const key = `bm:${i}`;
        await c.call("SETBIT", key, String(i % 64), "1");
        await c.call("SETBIT", key, String(64 + (i % 7)), "1");
        expected.set(key, (await c.call("GET", key)) as string);
      }
      await c.call("PFADD", "hll", "a", "b", "c");
      expected.set("hll", (await c.call("GET", "hll")) as string);

      expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
      for (let i = 0; i < 300; i++) {
        const key = `bm:${i}`;
        if (i % 4 === 0) await c.call("SETBIT", key, String(i % 64), "0"); // in place
        else if (i % 4 === 1) await c.call("SETBIT", key, String(1000 + i), "1"); // grows
        else if (i % 4 === 2) await c.call("BITFIELD", key, "INCRBY", "u8", "0", "1", "SET", "u16", "#20", "65535");
        else await c.call("BITOP", "NOT", key, key);
      }
      await c.call("PFADD", "hll", ...Array.from({ length: 100 }, (_, i) => `x${i}`));
      const persistence = await waitFor(
        async () => {
          const text = (await c.call("INFO", "persistence")) as string;
          return text.includes("rdb_bgsave_in_progress:0") && text;
        },
        { what: "the background save to end" },
      );
      expect(persistence).toContain("rdb_last_bgsave_status:ok");
      c.close();

      const redisDir = join(server.dir, "redis");
      mkdirSync(redisDir);
      writeFileSync(join(redisDir, "dump.rdb"), readFileSync(join(server.dir, "dump.rdb")));
      const redis = await startRedis({ dir: redisDir });
      running.push(redis);
      const r = await RawClient.connect(redis.port);
      const differences: string[] = [];
      expect(await r.call("DBSIZE")).toBe(expected.size);
      for (const [key, value] of expected) {
        const stored = (await r.call("GET", key)) as string;
        if (stored !== value) differences.push(`${key}: expected ${JSON.stringify(value)}, file has ${JSON.stringify(stored)}`);
      }
      r.close();
      expect(differences).toEqual([]);
    } finally {
      for (const server of running) await server.stop();
    }
  });
});
