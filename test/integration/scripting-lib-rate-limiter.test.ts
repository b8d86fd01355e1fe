// rate-limiter-flexible's RateLimiterRedis (ioredis, useRedisPackage false) against
// Bunker and redis-server 7.0. Each consume is one Lua script, defined with ioredis's
// defineCommand: SET NX EX, INCRBY, PTTL, and EXPIRE when the key had no TTL. The points
// it reports (consumed, remaining, first in duration) must be the same on both servers;
// msBeforeNext is a time, compared as "within the window".

import { describe, expect, test } from "bun:test";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { haveRedis } from "../helpers/differential.ts";
import { describeError, ioredisClient, scriptingCommandStats, useLibraryServers } from "../helpers/library-pair.ts";

const onBoth = useLibraryServers();
const d = haveRedis ? describe : describe.skip;

const POINTS = 5;
const DURATION_SECONDS = 10;

/**
 * A RateLimiterRes (resolved or rejected) without its time: msBeforeNext is checked to
 * be in the window's second half (the steps take milliseconds, a loaded machine's
 * stalls less than seconds; a window of 1 s passes 0 as the low end), then left out.
 */
function points(result: unknown, windowMs: number, lowMs = windowMs / 2): unknown {
  if (!(result instanceof RateLimiterRes)) return describeError(result);
  const within = result.msBeforeNext > lowMs && result.msBeforeNext <= windowMs;
  return {
    consumed: result.consumedPoints,
    remaining: result.remainingPoints,
    first: result.isFirstInDuration,
    msBeforeNextWithinWindow: within || result.msBeforeNext,
  };
}

async function settle(promise: Promise<RateLimiterRes>, windowMs: number, lowMs = windowMs / 2): Promise<unknown> {
  try {
    return { resolved: points(await promise, windowMs, lowMs) };
  } catch (error) {
    return { rejected: points(error, windowMs, lowMs) };
  }
}

d("rate-limiter-flexible RateLimiterRedis", () => {
  test("consume up to the limit, then rejections; penalty, reward, block, get, delete", async () => {
    const outcome = await onBoth(async (port) => {
      const client = ioredisClient(port);
      try {
        const limiter = new RateLimiterRedis({ storeClient: client, useRedisPackage: false, points: POINTS, duration: DURATION_SECONDS, keyPrefix: "rl" });
        const window = DURATION_SECONDS * 1000;
        const steps: Record<string, unknown> = {};
        const consumes: unknown[] = [];
        for (let i = 0; i < POINTS + 2; i++) consumes.push(await settle(limiter.consume("user:1"), window));
        steps.consumes = consumes;
        // Several points at once, on a fresh key and past the limit.
        steps.bulk = [await settle(limiter.consume("user:2", 3), window), await settle(limiter.consume("user:2", 3), window)];
        steps.penalty = await settle(limiter.penalty("user:3", 2), window);
        steps.reward = await settle(limiter.reward("user:3", 1), window);
        steps.get = points(await limiter.get("user:3"), window);
        steps.getMissing = await limiter.get("user:none");
        // block() sets the key with its own expiry (MULTI SET EX + PTTL, not the script).
        steps.block = await settle(limiter.block("user:4", 60), 60_000);
        steps.blockedConsume = await settle(limiter.consume("user:4"), 60_000);
        steps.deleted = await limiter.delete("user:1");
        steps.afterDelete = await settle(limiter.consume("user:1"), window);
        // What Redis holds: the counters and that each has an expiry within the window.
        const keys = (await client.keys("rl:*")).sort();
        steps.keys = await Promise.all(keys.map(async (key) => [key, await client.get(key), (await client.pttl(key)) > 0]));
        steps.stats = await scriptingCommandStats(client);
        return steps;
      } finally {
        client.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
    expect((outcome.redis.consumes as unknown[])[POINTS]).toEqual({ rejected: { consumed: POINTS + 1, remaining: 0, first: false, msBeforeNextWithinWindow: true } });
  });

  test("a window that ends: the counter starts again after the key expires", async () => {
    const outcome = await onBoth(async (port) => {
      const client = ioredisClient(port);
      try {
        const limiter = new RateLimiterRedis({ storeClient: client, useRedisPackage: false, points: 2, duration: 1, keyPrefix: "short" });
        const steps: unknown[] = [];
        for (let i = 0; i < 3; i++) steps.push(await settle(limiter.consume("k"), 1000, 0));
        // Past the 1 s window (PTTL-driven, so wait for the key itself to go).
        while ((await client.exists("short:k")) === 1) await Bun.sleep(50);
        steps.push(await settle(limiter.consume("k"), 1000, 0));
        return steps;
      } finally {
        client.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
  });
});
