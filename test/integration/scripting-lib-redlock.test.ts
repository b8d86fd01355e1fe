// redlock 5 against Bunker and redis-server 7.0. Redlock's lock, extend and release are
// Lua scripts over several keys (sent as EVALSHA, then EVAL on NOSCRIPT); a lock is held
// when the script applied to every resource. The outcomes (who holds what, for about how
// long, and the errors redlock raises with the votes behind them) must be the same on
// both servers.

import { describe, expect, test } from "bun:test";
import Redlock, { ExecutionError, type ExecutionStats } from "redlock";
import type Redis from "ioredis";
import { haveRedis } from "../helpers/differential.ts";
import { describeError, ioredisClient, scriptingCommandStats, useLibraryServers } from "../helpers/library-pair.ts";

const onBoth = useLibraryServers();
const d = haveRedis ? describe : describe.skip;

/** A key's remaining time in whole seconds (a loaded machine moves milliseconds). */
async function ttlSeconds(client: Redis, key: string): Promise<number> {
  const pttl = await client.pttl(key);
  return pttl < 0 ? pttl : Math.round(pttl / 1000);
}

/** What a failed redlock operation tells its caller: the error, and each attempt's votes. */
async function describeFailure(error: unknown): Promise<unknown> {
  if (!(error instanceof ExecutionError)) return describeError(error);
  const attempts: unknown[] = [];
  for (const statsPromise of error.attempts) {
    const stats: ExecutionStats = await statsPromise;
    attempts.push({
      votesFor: stats.votesFor.size,
      votesAgainst: [...stats.votesAgainst.values()].map(describeError),
    });
  }
  return { error: describeError(error), attempts };
}

async function attempt(operation: () => Promise<unknown>): Promise<unknown> {
  try {
    await operation();
    return "succeeded";
  } catch (error) {
    return describeFailure(error);
  }
}

d("redlock", () => {
  test("acquire, a conflicting acquire, extend, release, acquire again", async () => {
    const outcome = await onBoth(async (port) => {
      const client = ioredisClient(port);
      const other = ioredisClient(port);
      try {
        const redlock = new Redlock([client], { retryCount: 0 });
        const contender = new Redlock([other], { retryCount: 2, retryDelay: 50, retryJitter: 0 });
        const steps: Record<string, unknown> = {};

        const lock = await redlock.acquire(["lock:a", "lock:b"], 10_000);
        steps.acquired = {
          resources: lock.resources,
          stored: [await client.get("lock:a"), await client.get("lock:b")].map((value) => value === lock.value),
          ttl: [await ttlSeconds(client, "lock:a"), await ttlSeconds(client, "lock:b")],
        };
        // Held: a second acquire fails, on one of its resources or several, and the
        // lock script checks every key before it sets any (lock:c stays free).
        steps.conflict = await attempt(() => contender.acquire(["lock:b"], 5_000));
        steps.partialConflict = await attempt(() => contender.acquire(["lock:c", "lock:a"], 5_000));
        steps.lockCAfterConflict = await client.exists("lock:c");

        const extended = await lock.extend(20_000);
        steps.extended = {
          sameValue: extended.value === lock.value,
          ttl: [await ttlSeconds(client, "lock:a"), await ttlSeconds(client, "lock:b")],
        };
        // The lock that was extended is no longer valid (redlock expires it locally).
        steps.extendStale = await attempt(() => lock.extend(1_000));
        // Someone else's value: extend and release scripts refuse it.
        await client.set("lock:b", "someone-else", "PX", 20_000);
        steps.extendStolen = await attempt(() => extended.extend(20_000));
        await client.set("lock:b", extended.value, "PX", 20_000);

        await extended.release();
        steps.afterRelease = await client.exists("lock:a", "lock:b");
        steps.releaseAgain = await attempt(() => redlock.release(extended));

        const again = await contender.acquire(["lock:a"], 3_000);
        steps.acquiredAgain = { stored: (await other.get("lock:a")) === again.value, ttl: await ttlSeconds(other, "lock:a") };
        await again.release();
        steps.stats = await scriptingCommandStats(client);
        return steps;
      } finally {
        client.disconnect();
        other.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
    expect(outcome.redis.acquired).toEqual({ resources: ["lock:a", "lock:b"], stored: [true, true], ttl: [10, 10] });
    expect(outcome.redis.afterRelease).toBe(0);
  });

  test("using(): the lock is extended automatically while the routine runs", async () => {
    const outcome = await onBoth(async (port) => {
      const client = ioredisClient(port);
      const other = ioredisClient(port);
      try {
        const redlock = new Redlock([client], { retryCount: 0, automaticExtensionThreshold: 1_500 });
        const contender = new Redlock([other], { retryCount: 0 });
        const steps: Record<string, unknown> = {};
        // A 2 s lock, extended when 1.5 s remain: after 1.6 s it has been extended at
        // least once, which leaves a loaded machine 1.5 s to do it.
        steps.result = await redlock.using(["lock:job"], 2_000, async (signal) => {
          await Bun.sleep(1_600);
          return {
            aborted: signal.aborted,
            held: (await client.exists("lock:job")) === 1,
            conflict: await attempt(() => contender.acquire(["lock:job"], 1_000)),
          };
        });
        steps.afterwards = await client.exists("lock:job");
        return steps;
      } finally {
        client.disconnect();
        other.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
    expect(outcome.redis.afterwards).toBe(0);
  });
});
