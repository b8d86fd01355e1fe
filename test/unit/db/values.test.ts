// cloneValue (COPY's deep copy) checked against what it used to be: the value's RDB
// serialisation read back with its encoding restored. Everything a client can observe
// (content, order, OBJECT ENCODING, SCAN pages, groups and PELs) and what decides later
// behaviour (conversions) must be the same, and the copy must share no bytes with the
// source. Streams are the exception: the round trip rebuilt their nodes without the
// tombstones, while Redis's streamDup (and now clone()) copies them node for node, so a
// stream copy is compared with the source itself, XINFO's node numbers and the node
// the next append lands in included.

import { describe, expect, test } from "bun:test";
import { cloneValue, valueEncoding } from "../../../src/db/values.ts";
import type { RedisValue } from "../../../src/db/types.ts";
import { RedisList } from "../../../src/db/list.ts";
import { RedisHash } from "../../../src/db/hash.ts";
import { RedisSet } from "../../../src/db/set.ts";
import { RedisZSet } from "../../../src/db/zset.ts";
import { RedisStream, type StreamId } from "../../../src/db/stream.ts";
import { bytesToKey, keyToBytes } from "../../../src/db/bytes.ts";
import { copyStringValue, markRaw, markUnencoded } from "../../../src/db/string-encoding.ts";
import { DEFAULT_ENCODE_OPTIONS } from "../../../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS } from "../../../src/persistence/rdb/decoder.ts";
import { Random } from "../../../src/util/random.ts";
import { decodeValue, encodeValue } from "../../persistence/rdb-codec-helpers.ts";

/** cloneValue as it was: through the RDB codec, keeping the source's encoding. */
function roundTripCopy(value: RedisValue): RedisValue {
  if (value instanceof Uint8Array) return copyStringValue(value);
  const encoded = encodeValue(value, { ...DEFAULT_ENCODE_OPTIONS, compression: false });
  // A skiplist is read back as one: the loader would make a small one a listpack (where -0 becomes 0).
  const skiplist = !(value instanceof Uint8Array) && value.type === "zset" && value.encoding === "skiplist";
  const copy = decodeValue(encoded.type, encoded.payload, skiplist ? { ...DEFAULT_LOAD_LIMITS, zsetMaxListpackEntries: 0 } : DEFAULT_LOAD_LIMITS);
  if (!(copy instanceof Uint8Array) && copy.type === "zset") {
    // A big listpack (built without limits) is loaded as a skiplist: back to what it was.
    if (value.encoding === "listpack") copy.convertToListpackIfFits(Infinity, Infinity);
  } else if (!(copy instanceof Uint8Array) && copy.type !== "list" && copy.type !== "stream" && "encoding" in copy) {
    (copy as { encoding: string }).encoding = value.encoding;
  }
  return copy;
}

function scoreText(score: number): string {
  return Object.is(score, -0) ? "-0" : String(score);
}

function idText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Every page of a SCAN over the value, `count` at a time. */
function scanPages(scan: (cursor: number, count: number) => { cursor: number; keys: string[] }): string[][] {
  const pages: string[][] = [];
  let cursor = 0;
  do {
    const page = scan(cursor, 7);
    pages.push(page.keys);
    cursor = page.cursor;
  } while (cursor !== 0 && pages.length < 10000);
  return pages;
}

/** What a client can see of a value, and the internal state later commands depend on. */
function observe(value: RedisValue): unknown {
  const encoding = valueEncoding(value);
  if (value instanceof Uint8Array) return [encoding, bytesToKey(value)];
  switch (value.type) {
    case "list":
      return [encoding, value.toArray().map(bytesToKey), value.nodeCount];
    case "hash":
      return [encoding, [...value.map].map(([field, v]) => [field, bytesToKey(v)]), scanPages((c, n) => value.scan(c, n))];
    case "set":
      return [encoding, [...value.members], value.orderedMembers(), scanPages((c, n) => value.scan(c, n))];
    case "zset": {
      const elements: string[] = [];
      value.forEachAscending((member, score) => elements.push(`${member}=${scoreText(score)}`));
      return [encoding, elements, scanPages((c, n) => value.scan(c, n))];
    }
    case "stream":
      return [
        encoding,
        [...value].map((entry) => [idText(entry.id), entry.fields.map(bytesToKey)]),
        value.length,
        value.nodeSizes(),
        value.nodeListpackBytes(),
        value.radixTreeNodes(),
        idText(value.lastId),
        idText(value.maxDeletedId),
        String(value.entriesAdded),
        [...value.groups.values()].map((group) => [
          group.name,
          idText(group.lastId),
          group.entriesRead,
          [...group.pending].map(([key, p]) => [key, idText(p.id), p.consumer, p.deliveryTime, p.deliveryCount]),
          [...group.consumers.values()].map((consumer) => [
            consumer.name,
            consumer.seenTime,
            // The consumer's PEL holds the very entries of the group's PEL.
            [...consumer.pending].map(([key, p]) => [key, p === group.pending.get(key)]),
          ]),
        ]),
      ];
  }
}

/** Every byte array reachable from the value. */
function byteArrays(value: RedisValue): Uint8Array[] {
  if (value instanceof Uint8Array) return [value];
  switch (value.type) {
    case "list":
      return value.toArray();
    case "hash":
      return [...value.map.values()];
    case "stream":
      return [...value].flatMap((entry) => entry.fields);
    default:
      return [];
  }
}

function expectSameCopy(source: RedisValue): void {
  const before = observe(source);
  const copy = cloneValue(source);
  const reference = roundTripCopy(source);
  expect(observe(copy)).toEqual(observe(reference));
  expect(observe(source)).toEqual(before);
  const shared = new Set(byteArrays(source));
  for (const bytes of byteArrays(copy)) expect(shared.has(bytes)).toBe(false);
}

const random = new Random(20240607);

function randomText(maxLength: number): string {
  const length = random.nextInt(maxLength + 1);
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(random.nextInt(4) === 0 ? random.nextInt(256) : 97 + random.nextInt(26));
  return text;
}

/** Mostly text, sometimes an integer (listpacks store those as integers). */
function randomElement(maxLength: number): string {
  const roll = random.nextInt(5);
  if (roll === 0) return String(random.nextInt(2 ** 31) - 2 ** 30);
  if (roll === 1) return String(random.nextInt(100));
  return randomText(maxLength);
}

function randomScore(): number {
  switch (random.nextInt(8)) {
    case 0:
      return random.nextInt(100);
    case 1:
      return -0;
    case 2:
      return random.nextInt(2) === 0 ? Infinity : -Infinity;
    case 3:
      return (random.nextInt(2000) - 1000) / 8;
    default:
      return (random.nextFloat() - 0.5) * 10 ** (random.nextInt(40) - 20);
  }
}

describe("cloneValue gives what the RDB round trip gave", () => {
  test("strings keep their bytes and their encoding marks", () => {
    for (const text of ["", "12", "-7", "hello", "x".repeat(100)]) expectSameCopy(keyToBytes(text));
    const raw = markRaw(keyToBytes("raw"));
    expect(valueEncoding(cloneValue(raw))).toBe("raw");
    const unencoded = markUnencoded(keyToBytes("15"));
    expect(valueEncoding(unencoded)).toBe("embstr");
    expect(valueEncoding(cloneValue(unencoded))).toBe("embstr");
    // A range of a marked string is plain (Symbol.species): "int" when its bytes say so.
    expect(valueEncoding(markRaw(keyToBytes("12345")).subarray(1))).toBe("int");
    expect(valueEncoding(unencoded.slice())).toBe("int");
  });

  test("lists", () => {
    for (const size of [1, 2, 5, 127, 128, 129, 300, 1000]) {
      const list = new RedisList();
      for (let i = 0; i < size; i++) {
        const value = keyToBytes(randomElement(size > 200 ? 10 : 80));
        if (random.nextInt(2) === 0) list.pushTail(value);
        else list.pushHead(value);
      }
      if (size > 10) list.trim(1, size - 3);
      expectSameCopy(list);
    }
  });

  test("hashes, listpack and hashtable", () => {
    for (const size of [1, 10, 128, 129, 500]) {
      for (const longValues of [false, true]) {
        const hash = new RedisHash();
        for (let i = 0; i < size; i++) hash.set(randomElement(20), keyToBytes(randomElement(longValues ? 100 : 20)));
        hash.convertIfNeeded(128, 64);
        for (let i = 0; i < size / 4; i++) hash.delete([...hash.map.keys()][random.nextInt(hash.size)]!);
        if (hash.size === 0) hash.set("f", keyToBytes("v"));
        hash.scan(0, 3); // a cursor index exists on the source
        expectSameCopy(hash);
      }
    }
  });

  test("sets: intset (also beyond the default limit), hashtable of strings and of integers", () => {
    const cases: RedisSet[] = [];
    for (const size of [1, 20, 600]) {
      const set = new RedisSet();
      for (let i = 0; i < size; i++) set.add(String(random.nextInt(1_000_000) - 500_000));
      cases.push(set); // stays an intset: as with set-max-intset-entries raised
      const strings = RedisSet.fromMembers([...set.members].map((member) => member + "x"));
      cases.push(strings);
      const integers = RedisSet.fromMembers(set.members);
      integers.encoding = "hashtable";
      cases.push(integers);
    }
    for (const set of cases) {
      set.scan(0, 5);
      expectSameCopy(set);
    }
  });

  test("zsets: listpack (where -0 becomes 0) and skiplist (which keeps it)", () => {
    for (const size of [1, 5, 128, 129, 400]) {
      for (const encoding of ["listpack", "skiplist"] as const) {
        const zset = new RedisZSet(encoding);
        for (let i = 0; i < size; i++) zset.add(randomElement(30), randomScore());
        zset.add("negative-zero", -0);
        expectSameCopy(zset);
      }
    }
  });

  test("streams: nodes, deletions, counters, groups, consumers and PELs", () => {
    for (const size of [1, 50, 100, 101, 350]) {
      const stream = new RedisStream();
      const ids: StreamId[] = [];
      let ms = 1000n;
      for (let i = 0; i < size; i++) {
        ms += BigInt(1 + random.nextInt(3));
        const id = { ms, seq: BigInt(random.nextInt(3)) };
        const fields = random.nextInt(3) === 0 ? [keyToBytes(randomText(5)), keyToBytes(randomElement(60))] : [keyToBytes("f"), keyToBytes(randomElement(60))];
        if (random.nextInt(10) === 0) fields.push(keyToBytes("g"), keyToBytes("x".repeat(random.nextInt(300))));
        stream.appendEntry(id, fields);
        ids.push(id);
      }
      for (let i = 0; i < size / 5; i++) {
        const id = ids[random.nextInt(ids.length)]!;
        if (stream.delete(id) && stream.length > 0) stream.maxDeletedId = id;
      }
      if (stream.length === 0) stream.appendEntry({ ms: 99999n, seq: 0n }, [keyToBytes("f"), keyToBytes("v")]);
      stream.entriesAdded += 7n;
      stream.lastId = { ms: stream.lastId.ms + 5n, seq: 0n };
      const group = stream.createGroup("readers", ids[Math.floor(ids.length / 2)]!, 3)!;
      stream.createGroup("idle", { ms: 0n, seq: 0n });
      const alice = stream.createConsumer(group, "alice", 1000)!;
      const bob = stream.createConsumer(group, "bob", 2000)!;
      stream.createConsumer(group, "carol", 3000);
      for (const entry of [...stream].slice(0, 20)) stream.deliverPending(group, random.nextInt(2) === 0 ? alice : bob, entry.id, 5000 + random.nextInt(100));
      const before = observe(stream);
      const copy = cloneValue(stream) as RedisStream;
      expect(observe(copy)).toEqual(before);
      const shared = new Set(byteArrays(stream));
      for (const bytes of byteArrays(copy)) expect(shared.has(bytes)).toBe(false);
      // Apart from the node layout, the copy is what the round trip made.
      const layoutFree = (value: RedisStream) => (observe(value) as unknown[]).filter((_, i) => i < 3 || i > 5);
      expect(layoutFree(copy)).toEqual(layoutFree(roundTripCopy(stream) as RedisStream));

      // The copy goes on as the source does, and changing it leaves the source alone.
      const lastId = stream.lastId.ms;
      for (const value of [stream, copy]) {
        for (let i = 1; i <= 120; i++) value.appendEntry({ ms: lastId + BigInt(i), seq: 0n }, [keyToBytes("f"), keyToBytes("v")]);
        value.delete([...value][0]!.id);
      }
      expect(observe(copy)).toEqual(observe(stream));
      copy.deleteGroup("readers");
      expect(stream.groups.has("readers")).toBe(true);
    }
  });
});
