// The codec's working memory belongs to each encoding and decoding (ValueEncoder,
// ValueDecoder, a load's own), not to the process: an encoder's sink runs in the middle
// of a value and may encode others (a command's DUMP, another save), and a load awaits
// between chunks while commands run (a RESTORE, a DEBUG RELOAD), or runs a handler while
// its key array is in use. Each case below shared some scratch when it was module state.

import { describe as group, expect, test } from "bun:test";
import type { RedisValue } from "../../src/db/types.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { bytesToKey } from "../../src/db/bytes.ts";
import { DEFAULT_ENCODE_OPTIONS, ValueEncoder } from "../../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder, ValueDecoder } from "../../src/persistence/rdb/decoder.ts";
import { createDumpPayload, parseDumpPayload } from "../../src/persistence/rdb/dump.ts";
import { b, describe, encodeFile, loadBytes, type KeySpec } from "./rdb-codec-helpers.ts";

/** Values whose writing spans many chunks and every piece of scratch: LZF, the listpack, a list's elements, the element callbacks. */
function bigValues(tag: string): KeySpec[] {
  const text = (i: number) => `${tag}-value-${i}-`.padEnd(60, "z");
  const tableHash = new RedisHash();
  for (let i = 0; i < 300; i++) tableHash.set(`${tag}-field-${i}`, b(text(i)));
  tableHash.convertIfNeeded(128, 64);
  const listpackHash = new RedisHash();
  for (let i = 0; i < 40; i++) listpackHash.set(`f${i}`, b(`${tag}${i}`.repeat(3)));
  const list = RedisList.fromValues(Array.from({ length: 3000 }, (_, i) => b(text(i))));
  const skiplist = RedisZSet.fromEntries(Array.from({ length: 400 }, (_, i): [string, number] => [`${tag}-member-${i}`.padEnd(40, "m"), i / 3]));
  skiplist.convertIfNeeded(128, 64);
  return [
    { db: 0, key: `${tag}:string`, value: b(text(0).repeat(200)) },
    { db: 0, key: `${tag}:hashtable`, value: tableHash },
    { db: 0, key: `${tag}:listpack`, value: listpackHash },
    { db: 0, key: `${tag}:list`, value: list },
    { db: 0, key: `${tag}:zset`, value: skiplist },
  ];
}

group("encoding", () => {
  test("a sink that encodes other values mid-value (a DUMP, another save) changes neither file", () => {
    const keys = bigValues("outer");
    const others = bigValues("inner");
    const options = { chunkSize: 256 };
    const reference = encodeFile(keys, options);
    const otherFile = encodeFile(others, options);
    const otherDumps = others.map((k) => createDumpPayload(new ValueEncoder().encode(k.value, DEFAULT_ENCODE_OPTIONS)));

    // The server's encoder for commands, used by the sink on every chunk.
    const commandEncoder = new ValueEncoder();
    let chunks = 0;
    const nestedFiles: Uint8Array[] = [];
    const written = encodeFile(keys, options, () => {
      chunks++;
      const other = others[chunks % others.length]!;
      expect(createDumpPayload(commandEncoder.encode(other.value, DEFAULT_ENCODE_OPTIONS))).toEqual(otherDumps[chunks % others.length]!);
      if (chunks % 97 === 0) nestedFiles.push(encodeFile(others, options));
    });
    expect(written).toEqual(reference);
    expect(chunks).toBeGreaterThan(100);
    expect(nestedFiles.length).toBeGreaterThan(0);
    for (const file of nestedFiles) expect(file).toEqual(otherFile);
  });
});

group("decoding", () => {
  test("a RESTORE, and a whole load, run in the middle of a load leave both results intact", async () => {
    const keys = bigValues("outer");
    // Keys of the outer file's lengths, so a shared key array would be overwritten.
    for (let i = 0; i < 2000; i++) keys.push({ db: 0, key: `k${String(i).padStart(6, "0")}`, value: b(`v${i}`) });
    const file = encodeFile(keys);
    const expected = (await loadBytes(file)).keys.map((k) => [k.key, describe(k.value)]);
    expect(expected.length).toBe(keys.length);
    const others = bigValues("inner");
    for (let i = 0; i < 50; i++) others.push({ db: 0, key: `j${String(i).padStart(6, "0")}`, value: b(`w${i}`) });
    const otherFile = encodeFile(others);
    const expectedOthers = (await loadBytes(otherFile)).keys.map((k) => [k.key, describe(k.value)]);
    const dumps = others.map((k) => createDumpPayload(new ValueEncoder().encode(k.value, DEFAULT_ENCODE_OPTIONS)));
    const restored = (dump: Uint8Array): RedisValue => {
      const { type, payload } = parseDumpPayload(dump);
      return new ValueDecoder().decode(type, payload, DEFAULT_LOAD_LIMITS);
    };
    const expectedRestores = dumps.map((dump) => describe(restored(dump)));

    // The server's decoder for RESTORE.
    const commandDecoder = new ValueDecoder();
    const restore = (i: number): RedisValue => {
      const { type, payload } = parseDumpPayload(dumps[i % dumps.length]!);
      return commandDecoder.decode(type, payload, DEFAULT_LOAD_LIMITS);
    };
    const loadOthers = async (): Promise<unknown[]> => {
      const loaded: unknown[] = [];
      await RdbDecoder.fromBytes(otherFile, { ...DEFAULT_LOAD_LIMITS }).load({
        onKey: (_db, key, value) => {
          loaded.push([bytesToKey(key), describe(value)]);
        },
      });
      return loaded;
    };

    const loaded: unknown[] = [];
    let progressCalls = 0;
    const nestedLoads: Promise<unknown[]>[] = [];
    const summary = await RdbDecoder.fromBytes(file, { ...DEFAULT_LOAD_LIMITS, progressIntervalBytes: 512 }).load({
      onKey: (_db, key, value) => {
        const name = bytesToKey(key);
        // A load started while this key's array is in use (it runs synchronously here:
        // no onProgress) must not write into it.
        if (loaded.length % 250 === 0) nestedLoads.push(loadOthers());
        expect(bytesToKey(key)).toBe(name);
        loaded.push([name, describe(value)]);
      },
      onProgress: async () => {
        progressCalls++;
        const i = progressCalls;
        expect(describe(restore(i))).toEqual(expectedRestores[i % dumps.length]);
        await new Promise<void>((resolve) => setImmediate(resolve));
        // Between two chunks of this load, commands run: a RESTORE, a DEBUG RELOAD.
        expect(describe(restore(i + 1))).toEqual(expectedRestores[(i + 1) % dumps.length]);
        if (i % 10 === 0) expect(await loadOthers()).toEqual(expectedOthers);
      },
    });
    expect(summary.checksum).toBe("verified");
    expect(progressCalls).toBeGreaterThan(20);
    expect(nestedLoads.length).toBeGreaterThan(3);
    for (const result of await Promise.all(nestedLoads)) expect(result).toEqual(expectedOthers);
    expect(loaded).toEqual(expected);
  });
});
