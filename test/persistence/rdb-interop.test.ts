// Interop with the real Redis 7.0: files Redis writes load in Bunker with every
// value intact, files Bunker writes pass redis-check-rdb and load in Redis, and
// DUMP payloads are byte-identical where Redis's layout is deterministic.

import { afterAll, beforeAll, describe as group, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RedisValue } from "../../src/db/types.ts";
import { RedisStream } from "../../src/db/stream.ts";
import { keyToBytes } from "../../src/db/bytes.ts";
import { DEFAULT_ENCODE_OPTIONS } from "../../src/persistence/rdb/encoder.ts";
import { parseDumpPayload } from "../../src/persistence/rdb/dump.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder } from "../../src/persistence/rdb/decoder.ts";
import { RealRedis, RespError, redisCheckRdbPath, redisServerPath, text, type Resp } from "./real-redis.ts";
import { b, decodeValue, describe, dumpPayload, encodeFile, fullDataset, type KeySpec } from "./rdb-codec-helpers.ts";

const available = redisServerPath !== null && redisCheckRdbPath !== null;
if (!available) {
  console.warn("rdb-interop: redis-server / redis-check-rdb not installed; skipping the Redis 7.0 interop tests");
}

/** The dataset, less what a server would drop on load (already expired), plus a stream built only by XADD. */
function interopDataset(): KeySpec[] {
  const keys = fullDataset().filter((k) => k.expireAtMs === undefined || k.expireAtMs > Date.now());
  const plain = new RedisStream();
  for (let i = 1; i <= 300; i++) {
    const fields =
      i % 5 === 0
        ? [b("name"), b(`n${i}`), b("payload"), b("p".repeat(i % 40 === 0 ? 2000 : 10))]
        : [b("name"), b(`n${i}`), b("n"), b(String(i * 1000))];
    plain.appendEntry({ ms: 1700000000000n + BigInt(i), seq: BigInt(i % 4) }, fields);
  }
  keys.push({ db: 0, key: "stream:plain", value: plain });
  return keys;
}

/** Redis commands that build `value` under `key` (streams other than the known ones are XADD-only). */
function commandsFor(spec: KeySpec): (string | Uint8Array)[][] {
  const { key, value } = spec;
  const commands: (string | Uint8Array)[][] = [];
  if (value instanceof Uint8Array) {
    commands.push(["SET", key, value]);
  } else if (value.type === "list") {
    const all = Array.from(value);
    for (let i = 0; i < all.length; i += 500) commands.push(["RPUSH", key, ...all.slice(i, i + 500)]);
  } else if (value.type === "set") {
    commands.push(["SADD", key, ...value.orderedMembers().map(keyToBytes)]);
  } else if (value.type === "hash") {
    const args: Uint8Array[] = [];
    value.forEach((field, v) => args.push(keyToBytes(field), v));
    commands.push(["HSET", key, ...args]);
  } else if (value.type === "zset") {
    const args: string[] = [];
    for (const [member, score] of value) args.push(score === Infinity ? "inf" : score === -Infinity ? "-inf" : String(score), member);
    commands.push(["ZADD", key, ...args]);
  } else if (key === "stream") {
    // fullDataset's buildStream(), replayed as commands.
    for (let i = 1; i <= 250; i++) {
      const fields = i % 7 === 0 ? ["other", `x${i}`, "more", String(i)] : ["field", `value-${i}`];
      commands.push(["XADD", key, `${1000 + Math.floor(i / 3)}-${i % 3}`, ...fields]);
    }
    commands.push(["XDEL", key, "1001-1"]);
    commands.push(["XGROUP", "CREATE", key, "group-a", "1010-0", "ENTRIESREAD", "30"]);
    for (const name of ["alice", "bob", "idle-carol"]) commands.push(["XGROUP", "CREATECONSUMER", key, "group-a", name]);
    commands.push(["XCLAIM", key, "group-a", "alice", "0", "1002-0", "TIME", "1700000001000", "RETRYCOUNT", "1", "FORCE", "JUSTID"]);
    commands.push(["XCLAIM", key, "group-a", "alice", "0", "1003-2", "TIME", "1700000002000", "RETRYCOUNT", "1", "FORCE", "JUSTID"]);
    commands.push(["XCLAIM", key, "group-a", "bob", "0", "1004-1", "TIME", "1700000003000", "RETRYCOUNT", "5", "FORCE", "JUSTID"]);
    commands.push(["XGROUP", "CREATE", key, "group-b", "0-0"]);
  } else if (key === "stream:emptied") {
    commands.push(["XADD", key, "5-5", "a", "b"], ["XDEL", key, "5-5"], ["XGROUP", "CREATE", key, "g", "5-5", "ENTRIESREAD", "1"]);
  } else {
    for (const entry of value) commands.push(["XADD", key, `${entry.id.ms}-${entry.id.seq}`, ...entry.fields]);
  }
  if (spec.expireAtMs !== undefined) commands.push(["PEXPIREAT", key, String(spec.expireAtMs)]);
  return commands;
}

/** describe(), with consumer seen-times dropped (Redis sets them to "now" when a consumer is created). */
function withoutSeenTimes(value: RedisValue): unknown {
  const described = describe(value) as { groups?: { consumers: { seenTime?: number }[] }[] };
  for (const g of described.groups ?? []) for (const c of g.consumers) delete c.seenTime;
  return described;
}

function modelEncoding(value: RedisValue): string {
  if (value instanceof Uint8Array) return "(string)";
  return value.encoding;
}

/** Values whose DUMP Redis lays out deterministically (no hash-table iteration order, no tombstones). */
function dumpIsDeterministic(spec: KeySpec): boolean {
  const value = spec.value;
  if (value instanceof Uint8Array || value.type === "list") return true;
  if (value.type === "set") return value.encoding === "intset";
  if (value.type === "hash" || value.type === "zset") return value.encoding === "listpack";
  return spec.key === "stream:plain";
}

async function ok(redis: RealRedis, ...args: (string | Uint8Array)[]): Promise<Resp> {
  const reply = await redis.command(...args);
  if (reply instanceof RespError) throw new Error(`${String(args[0])} failed: ${reply.message}`);
  return reply;
}

group.skipIf(!available)("with a real redis-server 7.0", () => {
  const dataset = interopDataset();
  let source: RealRedis;
  let sourceDump: string;

  beforeAll(async () => {
    source = await RealRedis.start();
    let db = -1;
    for (const spec of dataset) {
      if (spec.db !== db) {
        db = spec.db;
        await ok(source, "SELECT", String(db));
      }
      for (const command of commandsFor(spec)) await ok(source, ...command);
    }
    await ok(source, "SELECT", "0");
    await ok(source, "SAVE");
    sourceDump = join(source.dir, "dump.rdb");
  });

  afterAll(async () => {
    await source?.stop();
  });

  test("the dataset has the encodings the model says (sanity check of the test itself)", async () => {
    for (const spec of dataset) {
      await ok(source, "SELECT", String(spec.db));
      if (spec.value instanceof Uint8Array) continue;
      const encoding = text(await ok(source, "OBJECT", "ENCODING", spec.key));
      expect(`${spec.key}: ${encoding}`).toBe(`${spec.key}: ${modelEncoding(spec.value)}`);
    }
    await ok(source, "SELECT", "0");
  });

  test("DUMP payloads are byte-identical to Redis's", async () => {
    let compared = 0;
    for (const spec of dataset) {
      if (!dumpIsDeterministic(spec)) continue;
      await ok(source, "SELECT", String(spec.db));
      const real = (await ok(source, "DUMP", spec.key)) as Uint8Array;
      const ours = dumpPayload(spec.value, DEFAULT_ENCODE_OPTIONS);
      expect(`${spec.key}: ${Buffer.from(ours).toString("hex")}`).toBe(`${spec.key}: ${Buffer.from(real).toString("hex")}`);
      compared++;
    }
    await ok(source, "SELECT", "0");
    expect(compared).toBeGreaterThan(30);
    // And with rdbcompression off.
    await ok(source, "CONFIG", "SET", "rdbcompression", "no");
    const real = (await ok(source, "DUMP", "str:lzf-text")) as Uint8Array;
    await ok(source, "CONFIG", "SET", "rdbcompression", "yes");
    const ours = dumpPayload(dataset.find((k) => k.key === "str:lzf-text")!.value, { ...DEFAULT_ENCODE_OPTIONS, compression: false });
    expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(real).toString("hex"));
  });

  test("Redis's dump.rdb decodes to the same values, expiries and databases", async () => {
    const loaded: KeySpec[] = [];
    const summary = await RdbDecoder.fromFile(sourceDump, DEFAULT_LOAD_LIMITS).load({
      onKey: (db, key, value, expireAtMs) => {
        loaded.push({ db, key: Buffer.from(key).toString("latin1"), value, expireAtMs });
      },
    });
    expect(summary.checksum).toBe("verified");
    expect(summary.keysLoaded).toBe(dataset.length);
    const byKey = new Map(loaded.map((k) => [`${k.db}:${k.key}`, k]));
    for (const spec of dataset) {
      const got = byKey.get(`${spec.db}:${spec.key}`);
      expect(got === undefined ? `missing ${spec.key}` : spec.key).toBe(spec.key);
      expect(withoutSeenTimes(got!.value)).toEqual(withoutSeenTimes(spec.value));
      expect(got!.expireAtMs).toBe(spec.expireAtMs);
    }
  });

  test("our file passes redis-check-rdb and Redis loads it with every value intact", async () => {
    for (const compression of [true, false]) {
      const dir = mkdtempSync(join(tmpdir(), "bunker-rdb-interop-"));
      let target: RealRedis | null = null;
      try {
        writeFileSync(join(dir, "dump.rdb"), encodeFile(dataset, { compression }));
        const check = Bun.spawnSync([redisCheckRdbPath!, join(dir, "dump.rdb")], { stdout: "pipe", stderr: "pipe" });
        const report = check.stdout.toString();
        expect(report).toContain("Checksum OK");
        expect(report).toContain("\\o/ RDB looks OK! \\o/");
        expect(report).toContain(`[info] ${dataset.length} keys read`);
        expect(check.exitCode).toBe(0);

        target = await RealRedis.start({ dir });
        for (const db of [0, 3, 15]) {
          await ok(target, "SELECT", String(db));
          expect(await ok(target, "DBSIZE")).toBe(dataset.filter((k) => k.db === db).length);
        }
        for (const spec of dataset) {
          await ok(target, "SELECT", String(spec.db));
          const dump = (await ok(target, "DUMP", spec.key)) as Uint8Array;
          const { type, payload } = parseDumpPayload(dump);
          expect(describe(decodeValue(type, payload))).toEqual(describe(spec.value));
          if (!(spec.value instanceof Uint8Array)) {
            expect(`${spec.key}: ${text(await ok(target, "OBJECT", "ENCODING", spec.key))}`).toBe(
              `${spec.key}: ${modelEncoding(spec.value)}`,
            );
          }
          expect(await ok(target, "PEXPIRETIME", spec.key)).toBe(spec.expireAtMs ?? -1);
        }
        // Spot checks through ordinary commands.
        await ok(target, "SELECT", "0");
        expect(text(await ok(target, "GET", "str:lzf"))).toBe("a".repeat(100));
        expect(await ok(target, "LLEN", "list:long")).toBe(5000);
        expect(text(await ok(target, "LINDEX", "list:long", "4999"))).toBe(`element-4999-${"z".repeat(4999 % 13)}`);
        expect(text(await ok(target, "ZSCORE", "zset:listpack", "g"))).toBe("0.10000000000000001");
        const groups = (await ok(target, "XINFO", "GROUPS", "stream")) as Resp[][];
        expect(groups.map((g) => text(g[1]!))).toEqual(["group-a", "group-b"]);
        const pending = (await ok(target, "XPENDING", "stream", "group-a")) as Resp[];
        expect(pending[0]).toBe(3);
      } finally {
        await target?.stop(false);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
