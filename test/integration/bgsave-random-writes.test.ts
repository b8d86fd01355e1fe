// The point-in-time guarantee of BGSAVE for every write command: a random sequence of
// all of them (the effect-stream tests' generator) runs while a slowed save is under
// way, and the file, loaded by the real redis-server, must hold exactly the dataset of
// the moment BGSAVE was accepted (same DEBUG DIGEST).
//
// For the writes to meet keys the save has not written yet, the writer must lag behind:
// database 0 holds several MB of padding, written first and slowly (rdb-key-save-delay),
// so the server's stream to the writer stays throttled by backpressure while the
// sequence works on databases 1-4, 8 and 9, which come after it. The test checks that
// the writer was still in the padding when the sequence ended.

import { afterEach, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, REDIS_SERVER, startBunker, startRedis, type Reply, type RunningServer } from "../helpers/server.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { datasetDigest, runSequence } from "../helpers/sequence-runner.ts";
import { waitFor } from "../helpers/wait.ts";
import { infoField } from "../helpers/info.ts";

const PADDING_KEYS = 6000;
const PADDING_VALUE = "p".repeat(2048);
const SEEDS = [101, 202];

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

const info = (client: RawClient, field: string): Promise<string> => infoField(client, field, "persistence");

const withRedis = REDIS_SERVER === undefined ? test.skip : test;

for (const seed of SEEDS) {
  withRedis(`seed ${seed}: every write command during a slow BGSAVE leaves the file as it was when the save began`, async () => {
    const bunker = await startBunker({ args: ["--rdb-key-save-delay", "1000", "--enable-debug-command", "yes"] });
    running.push(bunker);
    const client = await RawClient.connect(bunker.port);
    // A dataset of every type and encoding, built by the generator itself.
    await runSequence(bunker.port, generateWriteSequence(seed, { length: 1200, firstDatabase: 1 }));
    await client.call("SELECT", "0");
    for (let i = 0; i < PADDING_KEYS; i += 100) {
      const args: string[] = ["MSET"];
      for (let j = i; j < i + 100; j++) args.push(`pad:${j}`, PADDING_VALUE);
      await client.call(...args);
    }
    // The digest also removes the keys that are logically expired but still stored: a
    // loader drops those, so the file and the dataset are compared without them.
    const before = await datasetDigest(bunker.port);
    expect(before).toMatch(/^[0-9a-f]{40}$/);

    expect(await client.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    const during = generateWriteSequence(seed + 1, { length: 2000, firstDatabase: 1, noFlushAll: true });
    await runSequence(bunker.port, during);
    // The whole sequence ran before the writer got past the padding to its keys.
    expect(await info(client, "rdb_bgsave_in_progress")).toBe("1");
    expect(Number(await info(client, "current_save_keys_processed"))).toBeLessThan(PADDING_KEYS);
    expect(await datasetDigest(bunker.port)).not.toBe(before);

    await waitFor(async () => (await info(client, "rdb_bgsave_in_progress")) === "0", { timeoutMs: 120_000, what: "the background save to end" });
    expect(await info(client, "rdb_last_bgsave_status")).toBe("ok");
    client.close();

    const redisDir = mkdtempSync(join(tmpdir(), "redis-bgsave-"));
    copyFileSync(join(bunker.dir, "dump.rdb"), join(redisDir, "dump.rdb"));
    const redis = await startRedis({ dir: redisDir, args: ["--enable-debug-command", "yes"] });
    running.push(redis);
    const digest: Reply = await datasetDigest(redis.port);
    expect(digest).toBe(before);
  }, 240_000);
}
