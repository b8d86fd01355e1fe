// MEMORY USAGE/STATS/DOCTOR/PURGE/MALLOC-STATS/HELP beside the real Redis 7.0: the same
// reply shapes and errors, and figures close to Redis's where Bunker's layout is close to
// Redis's (strings, large collections). Small collections and streams cost Bunker more,
// and MEMORY USAGE says so: the bounds below record the distance measured for each.

import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { compareCommandInfo, compareScript, haveRedis, usePair, type Pair } from "../helpers/differential.ts";
import type { RawClient } from "../helpers/server.ts";

/** Builds the same keys on a server: one per type and encoding, small and large. */
async function fill(client: RawClient): Promise<void> {
  const pipeline: string[][] = [
    ["SET", "embstr", "v".repeat(10)],
    ["SET", "raw", "v".repeat(1024)],
    ["SET", "big", "v".repeat(100_000)],
    ["SET", "int", "123456"],
  ];
  const hash: string[] = ["HSET", "hash-big"];
  const set: string[] = ["SADD", "set-big"];
  const intset: string[] = ["SADD", "intset"];
  const zset: string[] = ["ZADD", "zset-big"];
  const list: string[] = ["RPUSH", "list-big"];
  for (let i = 0; i < 2000; i++) {
    hash.push(`field:${i}`, `value:${i}:${"x".repeat(20)}`);
    set.push(`member:${i}`);
    zset.push(String(i * 1.5), `member:${i}`);
    list.push(`element:${i}:${"x".repeat(20)}`);
    if (i < 400) intset.push(String(i * 7));
  }
  pipeline.push(hash, set, intset, zset, list);
  pipeline.push(["HSET", "hash-small", "a", "1", "b", "2"], ["ZADD", "zset-small", "1", "a", "2", "b"], ["RPUSH", "list-small", "a", "b"]);
  for (const command of pipeline) await client.call(...command);
  for (let i = 0; i < 200; i++) await client.call("XADD", "stream", `${i + 1}-0`, "field", `value:${i}`);
}

async function usageOf(client: RawClient, key: string): Promise<number> {
  return Number(await client.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
}

describe.skipIf(!haveRedis)("MEMORY beside Redis 7.0", () => {
  const pair = usePair();

  test("HELP, errors and missing keys reply as Redis's", async () => {
    const p: Pair = pair();
    await p.b.call("SET", "k", "v");
    await p.r.call("SET", "k", "v");
    const mismatches = await compareScript(p, [
      ["MEMORY", "HELP"],
      ["MEMORY", "HELP", "extra"],
      ["MEMORY"],
      ["MEMORY", "NOSUCH"],
      ["MEMORY", "USAGE"],
      ["MEMORY", "USAGE", "missing"],
      ["MEMORY", "USAGE", "k", "SAMPLES"],
      ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
      ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
      ["MEMORY", "USAGE", "k", "FOO", "1"],
      ["MEMORY", "STATS", "extra"],
      ["MEMORY", "PURGE"],
      ["MEMORY", "DOCTOR", "x"],
    ]);
    expect(mismatches).toEqual([]);
    expect(await compareCommandInfo(p, ["memory"])).toEqual([]);
  });

  test("MEMORY STATS has Redis's fields in Redis's order, with a db.N entry per database holding keys", async () => {
    const p: Pair = pair();
    for (const client of [p.b, p.r]) {
      await client.call("FLUSHALL");
      await client.call("SET", "a", "1");
      await client.call("SELECT", "3");
      await client.call("SET", "b", "2");
      await client.call("SELECT", "0");
    }
    const names = async (client: RawClient) => {
      const reply = (await client.call("MEMORY", "STATS")) as unknown[];
      const keys: string[] = [];
      for (let i = 0; i < reply.length; i += 2) {
        keys.push(String(reply[i]));
        if (String(reply[i]).startsWith("db.")) {
          const inner = reply[i + 1] as unknown[];
          for (let j = 0; j < inner.length; j += 2) keys.push(`  ${String(inner[j])}`);
        }
      }
      return keys;
    };
    expect(await names(p.b)).toEqual(await names(p.r));
    const stats = (await p.b.call("MEMORY", "STATS")) as unknown[];
    const field = (name: string) => Number(stats[stats.indexOf(name) + 1]);
    expect(field("keys.count")).toBe(2);
    expect(field("total.allocated")).toBeGreaterThan(field("startup.allocated"));
    expect(field("dataset.bytes") + field("overhead.total")).toBe(field("total.allocated"));
  });

  test("MEMORY USAGE is close to Redis's where the layouts match, and its distance elsewhere stays as measured", async () => {
    const p: Pair = pair();
    await Promise.all([p.b.call("FLUSHALL"), p.r.call("FLUSHALL")]);
    await Promise.all([fill(p.b), fill(p.r)]);
    // Bunker's figure over Redis's, [low, high] for each key.
    const bounds: Record<string, [number, number]> = {
      embstr: [0.75, 1.25],
      raw: [0.75, 1.25],
      big: [0.75, 1.25],
      "hash-big": [0.75, 1.25],
      "list-big": [0.75, 1.25],
      "set-big": [0.75, 1.25],
      "zset-big": [0.75, 1.25],
      intset: [0.75, 1.25],
      // Small values pay for a JS object and a typed array, about 100 bytes Redis does not
      // spend, and a new hash's listpack starts with room for a few fields.
      int: [1, 1.6],
      "hash-small": [1, 3],
      "zset-small": [1, 2.5],
      "list-small": [1, 2.5],
      // Stream entries are still an object each (issue #16 packed the other collections).
      stream: [1, 16],
    };
    const ratios: Record<string, number> = {};
    for (const key of Object.keys(bounds)) ratios[key] = (await usageOf(p.b, key)) / (await usageOf(p.r, key));
    for (const [key, [low, high]] of Object.entries(bounds)) {
      if (ratios[key]! < low || ratios[key]! > high) throw new Error(`${key}: Bunker/Redis ${ratios[key]!.toFixed(2)} outside [${low}, ${high}] (${JSON.stringify(ratios)})`);
    }
  });

  test("redis-cli --memkeys reports each key's bytes", async () => {
    const p: Pair = pair();
    await p.b.call("FLUSHALL");
    await p.b.call("SET", "sized", "v".repeat(5000));
    const run = spawnSync("redis-cli", ["-p", String(p.bunker.port), "--memkeys"], { encoding: "utf8", timeout: 60_000 });
    expect(run.stdout).toMatch(/Biggest string found '"sized"' has 5\d{3} bytes/);
  });

  test("DOCTOR, PURGE and MALLOC-STATS answer in Redis's shapes", async () => {
    const p: Pair = pair();
    const doctor = String(await p.b.call("MEMORY", "DOCTOR"));
    expect(doctor.length).toBeGreaterThan(0);
    expect(await p.b.call("MEMORY", "PURGE")).toBe("OK");
    expect(String(await p.b.call("MEMORY", "MALLOC-STATS"))).toContain("heap.used: ");
  });
});
