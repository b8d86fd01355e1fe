// Hashes and sets through the RDB codec as packed bytes: a listpack hash and an intset
// are written as their own bytes and loaded as the blob's bytes (validated), converted
// only where Redis's loader converts; hashtable-encoded ones round-trip into dicts.

import { describe, expect, test } from "bun:test";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisSet } from "../../src/db/set.ts";
import { bytesToKey, textToBytes } from "../../src/db/bytes.ts";
import { encodeListpack } from "../../src/db/listpack.ts";
import { encodeIntset } from "../../src/db/intset.ts";
import { DEFAULT_ENCODE_OPTIONS } from "../../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS } from "../../src/persistence/rdb/decoder.ts";
import { RDB_TYPE_HASH, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_SET, RDB_TYPE_SET_INTSET } from "../../src/persistence/rdb/opcodes.ts";
import { decodeValue, encodeValue } from "./rdb-codec-helpers.ts";

const RAW = { ...DEFAULT_ENCODE_OPTIONS, compression: false };
const b = (text: string): Uint8Array => textToBytes(text);

/** An RDB string of `bytes` (length prefix < 2^14) followed by nothing else: a blob payload. */
function rdbString(bytes: Uint8Array): Uint8Array {
  const header = bytes.length < 64 ? [bytes.length] : [0x40 | (bytes.length >> 8), bytes.length & 0xff];
  return new Uint8Array([...header, ...bytes]);
}

function pairs(hash: RedisHash): [string, string][] {
  const out: [string, string][] = [];
  hash.forEach((field, value) => out.push([field, bytesToKey(value)]));
  return out;
}

describe("hashes", () => {
  test("a listpack hash is saved as its own bytes and loaded as the blob's bytes", () => {
    const hash = new RedisHash();
    hash.set("name", b("bunker"));
    hash.set("n", b("42"));
    hash.set("gone", b("x"));
    hash.delete("gone");
    const encoded = encodeValue(hash, RAW);
    expect(encoded.type).toBe(RDB_TYPE_HASH_LISTPACK);
    expect(encoded.payload).toEqual(rdbString(hash.listpackBytes()!));
    const loaded = decodeValue(encoded.type, encoded.payload) as RedisHash;
    expect(loaded.encoding).toBe("listpack");
    expect(loaded.listpackBytes()).toEqual(hash.listpackBytes()!);
    expect(pairs(loaded)).toEqual([["name", "bunker"], ["n", "42"]]);
  });

  test("a listpack blob with more pairs than hash-max-listpack-entries loads as a hashtable, in order", () => {
    const entries: (Uint8Array | bigint)[] = [];
    for (let i = 0; i < 10; i++) entries.push(b(`f${i}`), b(`v${i}`));
    const payload = rdbString(encodeListpack(entries));
    const small = decodeValue(RDB_TYPE_HASH_LISTPACK, payload, { ...DEFAULT_LOAD_LIMITS, hashMaxListpackEntries: 10 }) as RedisHash;
    expect(small.encoding).toBe("listpack");
    const big = decodeValue(RDB_TYPE_HASH_LISTPACK, payload, { ...DEFAULT_LOAD_LIMITS, hashMaxListpackEntries: 9 }) as RedisHash;
    expect(big.encoding).toBe("hashtable");
    expect(pairs(big)).toEqual(pairs(small));
  });

  test("duplicate fields in a listpack blob are refused, small and large", () => {
    for (const count of [3, 40]) {
      const entries: (Uint8Array | bigint)[] = [];
      for (let i = 0; i < count; i++) entries.push(b(`f${i}`), b("v"));
      entries.push(b("f1"), b("again"));
      expect(() => decodeValue(RDB_TYPE_HASH_LISTPACK, rdbString(encodeListpack(entries)))).toThrow("duplicate");
    }
    // An integer entry and a string entry with the same text are the same field.
    expect(() => decodeValue(RDB_TYPE_HASH_LISTPACK, rdbString(encodeListpack([7n, b("a"), b("x"), b("b"), b("7"), b("c")])))).toThrow("duplicate");
  });

  test("a hashtable hash round-trips into a dict; a long value makes a small one a hashtable on load", () => {
    const hash = new RedisHash();
    // Past the default hash-max-listpack-entries (512) even after the deletions.
    for (let i = 0; i < 900; i++) hash.set(`field:${i}`, b(`value:${i}`));
    hash.convertIfNeeded(512, 64);
    for (let i = 0; i < 900; i += 3) hash.delete(`field:${i}`);
    const encoded = encodeValue(hash, RAW);
    expect(encoded.type).toBe(RDB_TYPE_HASH);
    const loaded = decodeValue(encoded.type, encoded.payload) as RedisHash;
    expect(loaded.encoding).toBe("hashtable");
    expect(pairs(loaded)).toEqual(pairs(hash));
    // A long value makes a small RDB_TYPE_HASH a hashtable on load.
    const longValue = new RedisHash();
    longValue.set("a", b("1"));
    longValue.set("b", b("x".repeat(100)));
    longValue.convertIfNeeded(128, 64);
    const reloaded = decodeValue(RDB_TYPE_HASH, encodeValue(longValue, RAW).payload) as RedisHash;
    expect(reloaded.encoding).toBe("hashtable");
    expect(pairs(reloaded)).toEqual([["a", "1"], ["b", "x".repeat(100)]]);
  });
});

describe("sets", () => {
  test("an intset is saved as its own bytes and loaded as the blob's bytes", () => {
    const set = RedisSet.fromMembers(["5", "-70000", "3"]);
    const encoded = encodeValue(set, RAW);
    expect(encoded.type).toBe(RDB_TYPE_SET_INTSET);
    expect(encoded.payload).toEqual(rdbString(encodeIntset([-70000, 3, 5])));
    const loaded = decodeValue(encoded.type, encoded.payload) as RedisSet;
    expect(loaded.intsetBytes()).toEqual(set.intsetBytes()!);
    // Past set-max-intset-entries the loader converts, as Redis's does.
    const converted = decodeValue(encoded.type, encoded.payload, { ...DEFAULT_LOAD_LIMITS, setMaxIntsetEntries: 2 }) as RedisSet;
    expect(converted.encoding).toBe("hashtable");
    expect(converted.orderedMembers()).toEqual(["-70000", "3", "5"]);
  });

  test("RDB_TYPE_SET loads into an intset while it can, else a dict; duplicates refused", () => {
    const strings = RedisSet.fromMembers(["a", "b", "1"]);
    const integers = RedisSet.fromMembers(["9", "1", "4"]);
    integers.encoding = "hashtable";
    const loadedStrings = decodeValue(RDB_TYPE_SET, encodeValue(strings, RAW).payload) as RedisSet;
    expect(loadedStrings.encoding).toBe("hashtable");
    expect(loadedStrings.orderedMembers()).toEqual(strings.orderedMembers());
    const loadedIntegers = decodeValue(RDB_TYPE_SET, encodeValue(integers, RAW).payload) as RedisSet;
    expect(loadedIntegers.encoding).toBe("intset");
    expect(loadedIntegers.orderedMembers()).toEqual(["1", "4", "9"]);
    const duplicated = new Uint8Array([3, 1, 0x61, 1, 0x62, 1, 0x61]);
    expect(() => decodeValue(RDB_TYPE_SET, duplicated)).toThrow("Duplicate set members");
    const duplicatedIntegers = new Uint8Array([2, 1, 0x31, 1, 0x31]);
    expect(() => decodeValue(RDB_TYPE_SET, duplicatedIntegers)).toThrow("Duplicate set members");
  });
});
