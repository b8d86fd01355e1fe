// Keyspace events around expiry, byte for byte with Redis: SET over a key that expired
// but was not yet reclaimed emits "expired" before "new" and "set".

import { describe, expect, test } from "bun:test";
import { RawClient } from "../helpers/server.ts";
import { haveRedis, usePair } from "../helpers/differential.ts";

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
      // The key's time must pass (longer is as good: nothing else removes it).
      await Bun.sleep(80);
      await client.call("SET", "k", "w");
      transcripts.push(await subscriber.drainBeforePing());
      subscriber.close();
    }
    expect(transcripts[0]).toContain("expired");
    expect(transcripts[0]).toBe(transcripts[1]!);
  });
});
