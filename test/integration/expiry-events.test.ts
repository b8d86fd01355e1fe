// Keyspace events around expiry, byte for byte with Redis: SET over a key that expired
// but was not yet reclaimed emits "expired" before "new" and "set"; SET with a TTL, and
// SETEX and PSETEX, emit "set" then "expire" and count one change; DEL of such a key
// emits "expired" and deletes nothing.

import { describe, expect, test } from "bun:test";
import { RawClient } from "../helpers/server.ts";
import { dirtyOf, haveRedis, usePair } from "../helpers/differential.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair(["--enable-debug-command", "yes"]);

d("expiry events match Redis", () => {
  test("SET over a lazily expired key", async () => {
    const transcripts: string[] = [];
    for (const [port, client] of [[pair().bunker.port, pair().b], [pair().redis.port, pair().r]] as const) {
      await client.call("CONFIG", "SET", "notify-keyspace-events", "KEAn");
      // Without the active cycle, only the SET finds the key expired.
      await client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      const subscriber = await RawClient.connect(port);
      await subscriber.call("PSUBSCRIBE", "__keyevent@0__:*");
      await client.call("SET", "k", "v", "PX", "30");
      await client.call("SET", "d", "v", "PX", "30");
      // The key's time must pass (longer is as good: nothing else removes it).
      await Bun.sleep(80);
      await client.call("SET", "k", "w");
      // DEL expires the key it finds past its time, and counts it as not deleted.
      const deleted = await client.call("DEL", "d", "k");
      transcripts.push(`DEL -> ${deleted}\n` + (await subscriber.drainBeforePing()));
      subscriber.close();
    }
    expect(transcripts[0]).toContain("expired");
    expect(transcripts[0]).toBe(transcripts[1]!);
  });

  test("SET with a TTL, SETEX and PSETEX: replies, TTLs, events and changes", async () => {
    // Far enough ahead that neither server's clock moves a TTL apart from the other's.
    const farSeconds = "4102444800";
    const script: string[][] = [
      ["SET", "new", "v", "EX", "1000"],
      ["SET", "new", "w", "px", "2000000"],
      ["SET", "plain", "v"],
      ["SET", "plain", "w", "Ex", "1000"],
      ["SET", "plain", "x"],
      ["SETEX", "setex", "1000", "v"],
      ["PSETEX", "setex", "3000000", "w"],
      ["SET", "at", "v", "EXAT", farSeconds],
      ["SET", "at", "w", "PXAT", `${farSeconds}000`],
      ["SET", "big", "x".repeat(1024), "PX", "1000000"],
      // A lock taken, held, replaced, kept, read back; XX on a missing key.
      ["SET", "lock", "t1", "NX", "PX", "100000"],
      ["SET", "lock", "t2", "NX", "PX", "100000"],
      ["SET", "lock", "t3", "XX", "EX", "1000"],
      ["SET", "lock", "t4", "KEEPTTL"],
      ["SET", "lock", "t5", "GET", "EX", "500"],
      ["SET", "nolock", "t", "XX", "PX", "1000"],
      ["SET", "nolock", "t", "NX", "GET", "EX", "600"],
      // 2^53 + 1 ms from now: past what a double holds exactly.
      ["SET", "huge", "v", "PX", "9007199254740993"],
      ["SET", "bad", "v", "EX", "0"],
      ["SET", "bad", "v", "PX", "-5"],
      ["SET", "bad", "v", "EX", "9223372036854775807"],
      ["SET", "bad", "v", "EX", "1.5"],
      ["SET", "bad", "v", "EX", "10", "PX", "10"],
      ["SETEX", "bad", "0", "v"],
    ];
    // Each command runs on both servers before the next: an EXAT/PXAT deadline's TTL is
    // read on both within the same few milliseconds, not a whole run apart (it moves
    // every second).
    const servers = [
      { port: pair().bunker.port, client: pair().b },
      { port: pair().redis.port, client: pair().r },
    ];
    const subscribers: RawClient[] = [];
    for (const { port, client } of servers) {
      await client.call("FLUSHALL");
      await client.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      const subscriber = await RawClient.connect(port);
      await subscriber.call("PSUBSCRIBE", "__keyevent@0__:*");
      subscribers.push(subscriber);
    }
    const runs: string[][] = servers.map(() => []);
    for (const command of script) {
      for (const [i, { client }] of servers.entries()) {
        const before = await dirtyOf(client);
        const reply = await client.callRaw(...command);
        const changes = (await dirtyOf(client)) - before;
        // TTLs to the second; PXAT's to the millisecond.
        const ttl = await client.call("TTL", command[1]!);
        const at = await client.call("PEXPIRETIME", command[1]!);
        runs[i]!.push(`${command.slice(0, 3).join(" ")} ${command.slice(3).join(" ").slice(0, 40)} -> ${reply.trim()} changes ${changes} ttl ${ttl} pexpiretime ${command[0] === "SET" && /at$/i.test(command[3] ?? "") ? at : "-"}`);
      }
    }
    for (const [i, { client }] of servers.entries()) {
      runs[i]!.push(await subscribers[i]!.drainBeforePing());
      subscribers[i]!.close();
      await client.call("CONFIG", "SET", "notify-keyspace-events", "");
    }
    expect(runs[0]).toEqual(runs[1]!);
  });
});
