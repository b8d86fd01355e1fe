// Client libraries against both servers: a test file starts one Bunker and one real
// redis-server, and each scenario runs against Redis first, then against Bunker, on a
// flushed server (keys, script cache, command statistics). The scenario returns what a
// user of the library can observe (results, job states, counts, error messages), with
// timings left out or rounded, and the test compares the two outcomes.
//
// Scenarios run one server at a time, not both at once: the machine has two cores, and
// a library's timers (lock extensions, delayed jobs) are what a loaded machine upsets.

import { afterAll, beforeAll } from "bun:test";
import Redis from "ioredis";
import { startBunker, startRedis, type RunningServer } from "./server.ts";
import { haveRedis } from "./differential.ts";

export type Side = "redis" | "bunker";

export interface LibraryServers {
  redis: RunningServer;
  bunker: RunningServer;
}

/** An ioredis client on 127.0.0.1:`port`, with options the scenarios share. */
export function ioredisClient(port: number, options: Record<string, unknown> = {}): Redis {
  return new Redis({ host: "127.0.0.1", port, lazyConnect: false, enableOfflineQueue: true, ...options });
}

/** Runs `use` with an ioredis client that is always disconnected afterwards. */
export async function withIoredis<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = ioredisClient(port);
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Empties a server between scenarios: keys, cached scripts, INFO commandstats. */
async function reset(port: number): Promise<void> {
  await withIoredis(port, async (client) => {
    await client.flushall();
    await client.script("FLUSH");
    await client.config("RESETSTAT");
  });
}

/**
 * Registers beforeAll/afterAll hooks that start the two servers for the test file
 * (when redis-server is installed); returns `onBoth`, which runs a scenario on each.
 * A scenario that throws on Bunker reports the end of Bunker's log with the error.
 */
export function useLibraryServers(): <T>(scenario: (port: number, side: Side) => Promise<T>) => Promise<Record<Side, T>> {
  let servers: LibraryServers | undefined;
  beforeAll(async () => {
    if (haveRedis) {
      const [redis, bunker] = await Promise.all([startRedis(), startBunker()]);
      servers = { redis, bunker };
    }
  });
  afterAll(async () => {
    if (servers !== undefined) await Promise.all([servers.redis.stop(), servers.bunker.stop()]);
  });
  async function onBoth<T>(scenario: (port: number, side: Side) => Promise<T>): Promise<Record<Side, T>> {
    const outcome = {} as Record<Side, T>;
    for (const side of ["redis", "bunker"] as const) {
      const server = servers![side];
      await reset(server.port);
      try {
        outcome[side] = await scenario(server.port, side);
      } catch (error) {
        const log = server.output().split("\n").slice(-30).join("\n");
        throw new Error(`${side}: ${(error as Error)?.stack ?? error}\n--- ${side}'s log ends with:\n${log}`);
      }
    }
    return outcome;
  }
  return onBoth;
}

/** An error as a library user sees it: its class and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return `non-Error: ${JSON.stringify(error)}`;
}

/** The eval/evalsha/script lines of INFO commandstats: calls and failed calls, no timings. */
export async function scriptingCommandStats(client: Redis): Promise<Record<string, string>> {
  const text = await client.info("commandstats");
  const stats: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^cmdstat_((?:eval|evalsha|eval_ro|evalsha_ro|script)(?:\|\w+)?):calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)/.exec(line);
    if (match) stats[match[1]!] = `calls=${match[2]} rejected=${match[3]} failed=${match[4]}`;
  }
  return stats;
}

/** INFO errorstats as a record: error prefix to count (NOSCRIPT, ERR, WRONGTYPE...). */
export async function errorStats(client: Redis): Promise<Record<string, number>> {
  const text = await client.info("errorstats");
  const stats: Record<string, number> = {};
  for (const match of text.matchAll(/^errorstat_([^:]+):count=(\d+)/gm)) stats[match[1]!] = Number(match[2]);
  return stats;
}
