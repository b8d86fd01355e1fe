// The snapshot worker (src/persistence/snapshot-worker.ts) reads string keys from the
// key table's shared memory on its own thread while the server thread goes on writing
// them. These tests run a save at full speed (no rdb-key-save-delay) with writes
// pipelined right behind BGSAVE, so that the worker and the copy-on-write hook contend
// for the same keys, and check with the real redis-server that the file holds exactly
// the dataset of the moment BGSAVE was accepted: no write after it, no key twice (Redis
// refuses to load a file with a duplicated key), none missing.

import { afterEach, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, REDIS_SERVER, encodeCommand, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { datasetDigest } from "../helpers/sequence-runner.ts";
import { seededRandom } from "../helpers/random.ts";
import { waitFor } from "../helpers/wait.ts";
import { infoField } from "../helpers/info.ts";

const KEYS = 150_000;
/** Small enough for one socket write to take a chunk whole. */
const CHUNK_COMMANDS = 500;
const CHUNKS = 120;
const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

/** A chunk of writes over the populated keys: overwrites, deletes, expiries, new keys, collections. */
function writeChunk(random: () => number, round: number, chunk: number): Uint8Array {
  const commands: Uint8Array[] = [];
  for (let i = 0; i < CHUNK_COMMANDS; i++) {
    const key = `key:${Math.floor(random() * KEYS)}`;
    const pick = random();
    if (pick < 0.5) commands.push(encodeCommand(["SET", key, `r${round}c${chunk}i${i}`]));
    else if (pick < 0.6) commands.push(encodeCommand(["DEL", key]));
    else if (pick < 0.7) commands.push(encodeCommand(["PEXPIRE", key, "100000"]));
    else if (pick < 0.8) commands.push(encodeCommand(["APPEND", key, "+"]));
    else if (pick < 0.9) commands.push(encodeCommand(["SET", `new:${round}:${chunk}:${i}`, "n"]));
    else commands.push(encodeCommand(["HSET", `hash:${Math.floor(random() * 50)}`, `f${i}`, "v".repeat(600)]));
  }
  return Buffer.concat(commands);
}

const withRedis = REDIS_SERVER === undefined ? test.skip : test;

withRedis("a save at full speed under pipelined writes holds exactly the dataset of its epoch", async () => {
  const bunker = await startBunker({ args: ["--enable-debug-command", "yes"] });
  running.push(bunker);
  const client = await RawClient.connect(bunker.port);
  const random = seededRandom(7);
  await client.call("DEBUG", "POPULATE", String(KEYS), "key", "24");
  // Values only the server thread can read: hashes and strings over the arena's limit.
  for (let h = 0; h < 50; h++) await client.call("HSET", `hash:${h}`, "a", "1", "b", "x".repeat(700));
  for (let s = 0; s < 200; s++) await client.call("SET", `big:${s}`, "y".repeat(2000));

  for (let round = 0; round < 3; round++) {
    const before = await datasetDigest(bunker.port);
    expect(before).toMatch(/^[0-9a-f]{40}$/);
    // BGSAVE and the first writes in one packet: the writes follow the epoch at once.
    const chunks = Array.from({ length: CHUNKS }, (_, chunk) => writeChunk(random, round, chunk));
    client.write(Buffer.concat([encodeCommand(["BGSAVE"]), chunks[0]!]));
    expect(await client.readRawReply()).toBe("+Background saving started\r\n");
    for (let chunk = 0; chunk < chunks.length; chunk++) {
      if (chunk > 0) client.write(chunks[chunk]!);
      for (let i = 0; i < CHUNK_COMMANDS; i++) {
        const reply = await client.readRawReply();
        if (reply.startsWith("-")) throw new Error(`write refused: ${reply}`);
      }
    }
    await waitFor(async () => (await infoField(client, "rdb_bgsave_in_progress", "persistence")) === "0", { timeoutMs: 120_000, what: "the background save to end" });
    expect(await infoField(client, "rdb_last_bgsave_status", "persistence")).toBe("ok");

    const redisDir = mkdtempSync(join(tmpdir(), "redis-bgsave-worker-"));
    copyFileSync(join(bunker.dir, "dump.rdb"), join(redisDir, "dump.rdb"));
    const redis = await startRedis({ dir: redisDir, args: ["--enable-debug-command", "yes"] });
    expect(await datasetDigest(redis.port)).toBe(before);
    await redis.stop();
  }
  client.close();
}, 240_000);
