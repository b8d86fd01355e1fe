// Corrupted inputs: bit flips, overwritten bytes, truncation, inserted/removed/
// duplicated ranges. The loader must answer every one with an RdbLoadError (never
// another error type, never a hang), and with the checksum on it must never accept
// a file whose checksummed bytes changed.

import { describe as group, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisList } from "../../src/db/list.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { DEFAULT_ENCODE_OPTIONS } from "../../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder, RdbLoadError } from "../../src/persistence/rdb/decoder.ts";
import { b, buildStream, decodeValue, encodeFile, encodeValue, seededRandom, type KeySpec } from "./rdb-codec-helpers.ts";

type Mutation = { name: string; bytes: Uint8Array; changedFrom: number };

function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/** One random corruption; `changedFrom` is the first offset whose byte differs from the original. */
function mutate(random: () => number, input: Uint8Array): Mutation {
  const at = randomInt(random, input.length);
  const out = (bytes: Uint8Array, name: string): Mutation => {
    let first = 0;
    while (first < bytes.length && first < input.length && bytes[first] === input[first]) first++;
    return { name, bytes, changedFrom: first === bytes.length && bytes.length === input.length ? -1 : first };
  };
  switch (randomInt(random, 7)) {
    case 0: {
      const copy = input.slice();
      copy[at]! ^= 1 << randomInt(random, 8);
      return out(copy, `flip bit at ${at}`);
    }
    case 1: {
      const copy = input.slice();
      copy[at] = randomInt(random, 256);
      return out(copy, `set byte at ${at}`);
    }
    case 2:
      return out(input.slice(0, at), `truncate at ${at}`);
    case 3: {
      const count = 1 + randomInt(random, 16);
      const noise = new Uint8Array(count).map(() => randomInt(random, 256));
      return out(new Uint8Array([...input.subarray(0, at), ...noise, ...input.subarray(at)]), `insert ${count} at ${at}`);
    }
    case 4: {
      const count = 1 + randomInt(random, 16);
      return out(new Uint8Array([...input.subarray(0, at), ...input.subarray(at + count)]), `remove ${count} at ${at}`);
    }
    case 5: {
      const from = randomInt(random, input.length);
      const count = 1 + randomInt(random, 64);
      const piece = input.subarray(from, from + count);
      return out(new Uint8Array([...input.subarray(0, at), ...piece, ...input.subarray(at)]), `splice ${count} from ${from} at ${at}`);
    }
    default: {
      // Overwrite with a copy of another part of the file (plausible-looking structure).
      const copy = input.slice();
      const from = randomInt(random, input.length);
      const count = 1 + randomInt(random, 32);
      copy.set(input.subarray(from, Math.min(from + count, input.length, from + input.length - at)), at);
      return out(copy, `copy ${count} from ${from} over ${at}`);
    }
  }
}

function smallDataset(): KeySpec[] {
  return [
    { db: 0, key: "s", value: b("hello") },
    { db: 0, key: "i", value: b("12345") },
    { db: 0, key: "lzf", value: b("abcabcabc".repeat(10)) },
    { db: 0, key: "l", value: RedisList.fromValues(["a", "1", "bb", "-300"].map(b)), expireAtMs: 4102444800000 },
    { db: 0, key: "set", value: RedisSet.fromMembers(["1", "2", "300000"]) },
    { db: 0, key: "hset", value: RedisSet.fromMembers(["x", "y"]) },
    { db: 0, key: "h", value: RedisHash.fromEntries([["f", b("v")], ["n", b("7")]]) },
    { db: 1, key: "z", value: RedisZSet.fromEntries([["a", 1], ["b", 2.5]]) },
    { db: 1, key: "stream", value: buildStream() },
  ];
}

async function attempt(bytes: Uint8Array, verifyChecksum: boolean): Promise<"loaded" | RdbLoadError> {
  try {
    await RdbDecoder.fromBytes(bytes, { ...DEFAULT_LOAD_LIMITS, verifyChecksum }).load({ onKey: () => true });
    return "loaded";
  } catch (error) {
    if (error instanceof RdbLoadError) return error;
    throw new Error(`not an RdbLoadError: ${String(error)}${error instanceof Error ? "\n" + error.stack : ""}`);
  }
}

const inputs: [string, Uint8Array][] = [
  ["small dataset, compressed", encodeFile(smallDataset())],
  ["small dataset, uncompressed", encodeFile(smallDataset(), { compression: false })],
  ["sample-7.0.rdb", new Uint8Array(readFileSync(new URL("../fixtures/sample-7.0.rdb", import.meta.url).pathname))],
];

group("corrupted files", () => {
  for (const [name, original] of inputs) {
    test(`${name}: checksum on -> every change to checksummed bytes is refused`, async () => {
      const random = seededRandom(name.length * 7919 + 1);
      const trailer = original.length; // bytes at or after this are outside the file
      let refused = 0;
      let slowest = 0;
      for (let i = 0; i < 1500; i++) {
        const mutation = mutate(random, original);
        const started = performance.now();
        const result = await attempt(mutation.bytes, true);
        slowest = Math.max(slowest, performance.now() - started);
        if (result === "loaded") {
          // Only a change past the end (nothing changed, or bytes appended after the CRC) may load.
          const unchanged = mutation.changedFrom === -1 || mutation.changedFrom >= trailer;
          expect(unchanged ? "ok" : `accepted corrupt file: ${mutation.name}`).toBe("ok");
        } else {
          refused++;
        }
      }
      expect(refused).toBeGreaterThan(1300);
      expect(slowest).toBeLessThan(2000);
    });

    test(`${name}: checksum off -> RdbLoadError or a load, nothing else`, async () => {
      const random = seededRandom(name.length * 104729 + 3);
      let slowest = 0;
      for (let i = 0; i < 1500; i++) {
        const mutation = mutate(random, original);
        const started = performance.now();
        await attempt(mutation.bytes, false);
        slowest = Math.max(slowest, performance.now() - started);
      }
      expect(slowest).toBeLessThan(2000);
    });
  }

  test("corrupted files read from disk through a tiny buffer behave the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunker-rdb-fuzz-"));
    try {
      const original = inputs[0]![1];
      const random = seededRandom(77);
      const path = join(dir, "dump.rdb");
      for (let i = 0; i < 300; i++) {
        const mutation = mutate(random, original);
        writeFileSync(path, mutation.bytes);
        let outcome: string;
        try {
          await RdbDecoder.fromFile(path, { ...DEFAULT_LOAD_LIMITS, readBufferSize: 16 }).load({ onKey: () => true });
          outcome = "loaded";
        } catch (error) {
          if (!(error instanceof RdbLoadError)) throw new Error(`${mutation.name}: ${String(error)}`);
          outcome = "refused";
        }
        // The in-memory reader must reach the same verdict.
        const inMemory = await attempt(mutation.bytes, true);
        expect(`${mutation.name}: ${outcome}`).toBe(`${mutation.name}: ${inMemory === "loaded" ? "loaded" : "refused"}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("hostile lengths do not allocate or loop beyond the input", async () => {
    const header = b("REDIS0010");
    const cases = [
      // A 2^62-byte string, a 2^40-member set, an LZF string claiming 4 GiB, a list of 2^32 nodes.
      new Uint8Array([...header, 0, 1, 0x6b, 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x61]),
      new Uint8Array([...header, 2, 1, 0x6b, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0x61]),
      new Uint8Array([...header, 0, 1, 0x6b, 0xc3, 2, 0x80, 0xff, 0xff, 0xff, 0xff, 0x00, 0x61]),
      new Uint8Array([...header, 18, 1, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff, 2, 0]),
    ];
    for (const bytes of cases) {
      const result = await attempt(bytes, true);
      expect(result).toBeInstanceOf(RdbLoadError);
    }
  });
});

test("corrupted DUMP payload bodies: decodeValue throws only RdbLoadError", () => {
  const random = seededRandom(4242);
  const values = smallDataset().map((k) => encodeValue(k.value, DEFAULT_ENCODE_OPTIONS));
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const { type, payload } = values[i % values.length]!;
    const mutation = mutate(random, payload);
    const mutatedType = random() < 0.05 ? randomInt(random, 256) : type;
    try {
      decodeValue(mutatedType, mutation.bytes);
    } catch (error) {
      if (!(error instanceof RdbLoadError)) throw new Error(`${mutation.name}: ${String(error)}`);
      refused++;
    }
  }
  expect(refused).toBeGreaterThan(1000);
});
