// ioredis's defineCommand against Bunker and redis-server 7.0: a custom command is a Lua
// script that ioredis sends as EVAL the first time on a connection and as EVALSHA after,
// falling back to EVAL when the server answers NOSCRIPT (after SCRIPT FLUSH). The
// replies, the errors ioredis raises, and the calls the server counted (INFO
// commandstats) must be the same on both servers.

import { describe, expect, test } from "bun:test";
import type Redis from "ioredis";
import { haveRedis } from "../helpers/differential.ts";
import { describeError, errorStats, ioredisClient, scriptingCommandStats, useLibraryServers } from "../helpers/library-pair.ts";

const onBoth = useLibraryServers();
const d = haveRedis ? describe : describe.skip;

/** The custom commands the scenarios define, as ioredis adds them to a client. */
interface CustomCommands {
  addAndEcho(key: string, increment: number): Promise<unknown>;
  sumKeys(numberOfKeys: number, ...keysThenArgs: string[]): Promise<unknown>;
  failing(key: string): Promise<unknown>;
  errorReply(key: string): Promise<unknown>;
}

/** A pipeline or MULTI of a client with those commands (ioredis types only its own). */
interface CustomChain {
  addAndEcho(key: string, increment: number): CustomChain;
  sumKeys(numberOfKeys: number, ...keysThenArgs: string[]): CustomChain;
  get(key: string): CustomChain;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

function defineCommands(client: Redis): Redis & CustomCommands {
  // A fixed number of keys: ioredis puts it before the arguments.
  client.defineCommand("addAndEcho", {
    numberOfKeys: 1,
    lua: "local n = redis.call('incrby', KEYS[1], ARGV[1]) return {n, KEYS[1], #ARGV, redis.call('type', KEYS[1])['ok']}",
  });
  // No numberOfKeys: the caller passes it first.
  client.defineCommand("sumKeys", {
    lua: "local total = 0 for i, key in ipairs(KEYS) do total = total + tonumber(redis.call('get', key) or '0') end return total * tonumber(ARGV[1])",
  });
  // A runtime error inside the script, and an error reply built by the script.
  client.defineCommand("failing", { numberOfKeys: 1, lua: "return redis.call('lpush', KEYS[1])" });
  client.defineCommand("errorReply", { numberOfKeys: 1, lua: "return redis.error_reply('MYERR ' .. KEYS[1] .. ' is wrong')" });
  return client as Redis & CustomCommands;
}

async function settle(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return describeError(error);
  }
}

d("ioredis defineCommand", () => {
  test("EVALSHA after the first call, EVAL again after SCRIPT FLUSH, in pipelines and MULTI", async () => {
    const outcome = await onBoth(async (port) => {
      const client = defineCommands(ioredisClient(port));
      try {
        const replies: unknown[] = [];
        for (let i = 1; i <= 4; i++) replies.push(await client.addAndEcho("counter", i));
        replies.push(await client.script("FLUSH"));
        for (let i = 0; i < 3; i++) replies.push(await client.addAndEcho("counter", 100));
        await client.mset("a", "1", "b", "2", "c", "3");
        replies.push(await client.sumKeys(3, "a", "b", "c", "10"));
        replies.push(await client.sumKeys(0, "7"));
        // A pipeline of custom commands: the first on this connection is already loaded.
        replies.push(await (client.pipeline() as unknown as CustomChain).addAndEcho("counter", 1).sumKeys(2, "a", "b", "2").get("counter").exec());
        replies.push(await (client.multi() as unknown as CustomChain).addAndEcho("other", 5).sumKeys(1, "other", "3").exec());
        // Errors, with the script's SHA1 and line in the message.
        await client.set("str", "x");
        replies.push(await settle(client.failing("str")));
        replies.push(await settle(client.errorReply("k1")));
        replies.push(await settle(client.addAndEcho("str", 1)));
        replies.push(await client.script("EXISTS", "0000000000000000000000000000000000000000"));
        return { replies, stats: await scriptingCommandStats(client), errors: await errorStats(client) };
      } finally {
        client.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
    // What ioredis sent, as Redis counted it: EVAL once per script per connection (and
    // after NOSCRIPT), EVALSHA otherwise.
    expect(outcome.redis.stats["evalsha"]).toMatch(/^calls=\d+ rejected=0 failed=[1-9]/);
    // One NOSCRIPT: the EVALSHA right after SCRIPT FLUSH, which ioredis then sent as EVAL.
    expect(outcome.redis.errors["NOSCRIPT"]).toBe(1);
  });

  test("a second connection loads its own copy: EVALSHA works from the start once the script is cached", async () => {
    const outcome = await onBoth(async (port) => {
      const first = defineCommands(ioredisClient(port));
      const second = defineCommands(ioredisClient(port));
      try {
        const replies: unknown[] = [];
        replies.push(await first.addAndEcho("k", 1));
        // `second` sends EVAL (its socket never loaded the script), then EVALSHA.
        replies.push(await second.addAndEcho("k", 2));
        replies.push(await second.addAndEcho("k", 3));
        // Concurrent calls from both connections: the two interleave differently on each
        // server, so the values they saw are compared as a set.
        const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? first : second).addAndEcho("k", 1)));
        replies.push(concurrent.map((reply) => (reply as [number])[0]).sort((x, y) => x - y));
        replies.push(await first.get("k"));
        return { replies, stats: await scriptingCommandStats(first) };
      } finally {
        first.disconnect();
        second.disconnect();
      }
    });
    expect(outcome.bunker).toEqual(outcome.redis);
  });
});
