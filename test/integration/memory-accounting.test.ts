// used_memory is counted, not sampled (src/memory.ts, src/db/object-size.ts): every key
// table keeps its total current as values change, and every collection keeps its own
// figure current as it is edited. These tests run random write sequences (every write
// command, MULTI, scripts, blocking pops, expiry) and check after each step that the
// running totals equal a count made from scratch, so that a write path that forgets to
// report a change shows up here before eviction acts on a wrong number.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startInProcessBunker, runSequence, type InProcessBunker } from "../helpers/sequence-runner.ts";
import { generateWriteSequence } from "../helpers/write-sequence.ts";
import { RawClient } from "../helpers/server.ts";
import { EXPIRE_ENTRY_BYTES, KEY_SLOT_BYTES, valueMemoryUsage } from "../../src/db/object-size.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisStream, streamEntryBytes } from "../../src/db/stream.ts";
import type { Database } from "../../src/db/keyspace.ts";
import type { RedisValue } from "../../src/db/types.ts";

/** The structure's own running figures, recounted by walking it. */
function checkCollection(value: RedisValue): string | null {
  if (value instanceof RedisList) {
    const list = value as unknown as { head: { entry: Uint8Array; next: unknown } | null; entryBytes: number; nodes: number };
    let bytes = 0;
    let nodes = 0;
    for (let node = list.head; node !== null; node = node.next as typeof node) {
      bytes += node.entry.byteLength;
      nodes++;
    }
    if (bytes !== list.entryBytes || nodes !== list.nodes) return `list entryBytes ${list.entryBytes} != ${bytes}`;
  }
  if (value instanceof RedisZSet && value.encoding === "skiplist") {
    const tree = (value as unknown as { tree: { root: unknown; leaves: number; inners: number } }).tree;
    let leaves = 0;
    let inners = 0;
    const walk = (node: { isLeaf: boolean; children?: unknown[] }): void => {
      if (node.isLeaf) leaves++;
      else {
        inners++;
        for (const child of node.children!) walk(child as typeof node);
      }
    };
    walk(tree.root as { isLeaf: boolean });
    if (leaves !== tree.leaves || inners !== tree.inners) return `zset tree ${tree.leaves}/${tree.inners} != ${leaves}/${inners}`;
  }
  if (value instanceof RedisStream) {
    let bytes = 0;
    for (const entry of value) bytes += streamEntryBytes(entry.fields);
    const counted = (value as unknown as { entryBytes: number }).entryBytes;
    if (bytes !== counted) return `stream entryBytes ${counted} != ${bytes}`;
    const stream = value as unknown as { nodes: { ownBytes: number }[]; nodeBytes: number };
    const nodeBytes = stream.nodes.reduce((sum, node) => sum + node.ownBytes, 0);
    if (nodeBytes !== stream.nodeBytes) return `stream nodeBytes ${stream.nodeBytes} != ${nodeBytes}`;
  }
  return null;
}

/** The table's total recounted key by key, or the first collection whose own figure is off. */
function recount(db: Database): { bytes: number; problem: string | null } {
  const table = db.table;
  let bytes = 0;
  let problem: string | null = null;
  for (let slot = 0; slot < table.slotCount; slot++) {
    if (!table.isLive(slot)) continue;
    bytes += KEY_SLOT_BYTES + table.keyAt(slot).length;
    if (table.expireAtOf(slot) !== -1) bytes += EXPIRE_ENTRY_BYTES;
    const value = table.valueAt(slot);
    if (table.isInline(slot)) bytes += (value as Uint8Array).length;
    else {
      bytes += valueMemoryUsage(value);
      problem ??= checkCollection(value);
    }
  }
  return { bytes, problem };
}

describe("memory accounting", () => {
  let bunker: InProcessBunker;
  beforeAll(async () => {
    bunker = await startInProcessBunker();
  });
  afterAll(() => bunker.stop());

  function checkAll(where: string): void {
    bunker.server.commandEpoch.settle();
    for (const db of bunker.server.dbs) {
      const { bytes, problem } = recount(db);
      if (problem !== null || bytes !== db.table.usedBytes) {
        throw new Error(`${where}: db ${db.index} counts ${db.table.usedBytes}, recount ${bytes}${problem === null ? "" : `; ${problem}`}`);
      }
    }
  }

  for (const seed of [17, 4242, 90001]) {
    test(`the running totals match a recount after every step (seed ${seed})`, async () => {
      const steps = generateWriteSequence(seed, { length: 1500 });
      await runSequence(bunker.port, steps, { afterStep: (index) => checkAll(`seed ${seed} step ${index}`) });
      checkAll(`seed ${seed} end`);
    });
  }

  test("used_memory follows the dataset: it grows with keys and returns after DEL and FLUSHALL", async () => {
    const client = await RawClient.connect(bunker.port);
    try {
      await client.call("FLUSHALL");
      const usedMemory = async () => Number(/used_memory:(\d+)/.exec(String(await client.call("INFO", "memory")))![1]);
      const empty = await usedMemory();
      const value = "x".repeat(1000);
      for (let i = 0; i < 2000; i++) await client.call("SET", `key:${i}`, value);
      for (let i = 0; i < 500; i++) await client.call("RPUSH", "list", value);
      for (let i = 0; i < 500; i++) await client.call("HSET", "hash", `field:${i}`, value);
      const full = await usedMemory();
      // 2000 strings and 1000 elements of 1000 bytes each.
      expect(full - empty).toBeGreaterThan(3_000_000);
      expect(full - empty).toBeLessThan(4_000_000);
      await client.call("DEL", "list", "hash");
      const withoutCollections = await usedMemory();
      expect(full - withoutCollections).toBeGreaterThan(1_000_000);
      await client.call("FLUSHALL");
      expect(await usedMemory()).toBe(empty);
      checkAll("after FLUSHALL");
    } finally {
      client.close();
    }
  });
});
