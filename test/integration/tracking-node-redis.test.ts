// node-redis's client-side cache (createClient({ RESP: 3, clientSideCache })) against
// Bunker and the real Redis: it turns tracking on with CLIENT TRACKING at connect (which
// failed on Bunker with "unknown subcommand 'TRACKING'" before client-side caching was
// built), caches GET/HGETALL/MGET replies, and drops them on the server's invalidation
// pushes. What its user sees — values, the cache's hits and misses, its size after
// invalidations and a FLUSHALL — must be the same on both servers. (`redis` is a
// devDependency for this test only: ioredis has no client-side cache.)

import { describe, expect, test } from "bun:test";
import { BasicClientSideCache, createClient } from "redis";
import { REDIS_SERVER, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const d = REDIS_SERVER !== undefined ? describe : describe.skip;

/** The cache user's view of one run: each step's value and the cache's figures after it. */
async function cacheSession(server: RunningServer, trackingMode: "plain" | "optout"): Promise<string[]> {
  const url = `redis://127.0.0.1:${server.port}`;
  const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: "LRU", trackingMode });
  const client = createClient({ url, RESP: 3, clientSideCache: cache });
  const writer = createClient({ url });
  const seen: string[] = [];
  const note = (what: string, value: unknown) => {
    const stats = cache.stats();
    seen.push(`${what} -> ${JSON.stringify(value)} hits=${stats.hitCount} misses=${stats.missCount} size=${cache.size()}`);
  };
  // Each invalidation push the client received (null: every key, after a flush).
  const invalidated: string[] = [];
  cache.on("invalidate", (key: unknown) => invalidated.push(key === null ? "<all>" : String(key)));
  await client.connect();
  await writer.connect();
  try {
    await writer.flushAll();
    await writer.set("k1", "one");
    await writer.hSet("h1", { f: "v" });
    note("GET k1", await client.get("k1"));
    note("GET k1", await client.get("k1"));
    note("HGETALL h1", await client.hGetAll("h1"));
    note("HGETALL h1", await client.hGetAll("h1"));
    note("MGET k1 k2", await client.mGet(["k1", "k2"]));
    note("MGET k1 k2", await client.mGet(["k1", "k2"]));

    // Another connection changes k1: the cached GET and MGET go, the hash stays.
    await writer.set("k1", "two");
    await waitFor(() => invalidated.includes("k1"), { what: "the invalidation of k1" });
    note("GET k1 after SET", await client.get("k1"));
    note("HGETALL h1 still cached", await client.hGetAll("h1"));
    note("MGET k1 k2 after SET", await client.mGet(["k1", "k2"]));

    // The cache's own connection writes: Redis sends its invalidation after the reply.
    await client.set("k1", "three");
    await waitFor(() => invalidated.filter((key) => key === "k1").length === 2, { what: "the invalidation of k1 by its own write" });
    note("GET k1 after own SET", await client.get("k1"));

    // An expiring key: the invalidation comes from the server's expiry, not a command.
    await writer.set("e1", "soon", { PX: 100 });
    note("GET e1", await client.get("e1"));
    await waitFor(() => invalidated.includes("e1"), { what: "the invalidation of the expired e1" });
    note("GET e1 after expiry", await client.get("e1"));

    // FLUSHALL: one invalidation for every key.
    await writer.flushAll();
    // (The first flush, before the session, was announced too.)
    await waitFor(() => invalidated.filter((key) => key === "<all>").length === 2, { what: "the flush invalidation" });
    note("size after FLUSHALL", cache.size());
    note("GET k1 after FLUSHALL", await client.get("k1"));
    seen.push(`invalidations: ${invalidated.join(" ")}`);
    seen.push(`tracking: ${JSON.stringify(await client.sendCommand(["CLIENT", "TRACKINGINFO"]))}`);
  } finally {
    await client.close();
    await writer.close();
  }
  return seen;
}

d("node-redis clientSideCache", () => {
  for (const mode of ["plain", "optout"] as const) {
    test(`caches and invalidates as with Redis (${mode} tracking)`, async () => {
      const results: string[][] = [];
      for (const start of [startBunker, startRedis]) {
        const server = await start();
        try {
          results.push(await cacheSession(server, mode));
        } finally {
          await server.stop();
        }
      }
      const [bunker, redis] = results;
      expect(redis!.some((line) => line.includes("hits=1"))).toBe(true);
      expect(bunker).toEqual(redis!);
    });
  }
});
