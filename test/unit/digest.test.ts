// The digest module against vectors recorded from redis-server 7.0.15 (DEBUG DIGEST-VALUE
// and DEBUG DIGEST after the commands quoted beside each value), so the construction is
// checked even where no redis-server is installed. test/integration/digest.test.ts
// compares against a live server on large random datasets.

import { INLINE_MAX } from "../../src/db/keytable.ts";
import { describe, expect, test } from "bun:test";
import { Database } from "../../src/db/keyspace.ts";
import { computeDatasetDigest, computeValueDigest, digestToHex } from "../../src/db/digest.ts";
import { RedisList } from "../../src/db/list.ts";
import { RedisSet } from "../../src/db/set.ts";
import { RedisHash } from "../../src/db/hash.ts";
import { RedisZSet } from "../../src/db/zset.ts";
import { RedisStream } from "../../src/db/stream.ts";
import { keyToBytes, textToBytes } from "../../src/db/bytes.ts";
import { markRaw } from "../../src/db/string-encoding.ts";

const ZEROS = "0".repeat(40);

/** Key (binary string) -> Redis's DEBUG DIGEST-VALUE for it. */
const REDIS_VALUE_DIGESTS: Record<string, string> = {
  str: "36b23a1456b2dce2c3ed252c456761301dba8060", // SET str hello
  int: "9364d007acb0ba24016c9866e6283671e674924f", // SET int -12345
  empty: "8b3447c33a834b810e3e181b6fd6a2ee1020921c", // SET empty ""
  "\x00\xff\r\n": "3e0cac452827211fc94448310c99879237c0606c", // SET <00 ff 0d 0a> <80 00 fe>
  list: "dc078494e5df5c7074de9b3c5b7e2df419cbdcec", // RPUSH list a "" 7 a
  intset: "8de89763c56cee0b0278fb8c6d600dfd116c2a2e", // SADD intset 3 -1 100
  set: "c66379e89f2657872d659e225e70b2626f13c9a0", // SADD set x "" <c3 a9>
  hash: "d0ba7860330496998ee9247c5154eab07660f995", // HSET hash f v n 12 "" ""
  // ZADD zset 1 one -2.5 neg 0.1 tenth inf top -inf bottom 1e-300 tiny
  zset: "5dcb43e185da886eeac266101687a2b07cdd8809",
  // XADD stream 1-1 f v; XADD stream 1-2 f w g x; XADD stream 5-0 h ""; XDEL stream 1-2; XGROUP CREATE stream grp 0
  stream: "df5fd5a5f98616330ed939ea0e55a72f990ef867",
  ttl: "311b17018163335616e089f6b951c82c477335ac", // SET ttl v EX 100000
};
/** DEBUG DIGEST of all of the above in db 0, plus SET str hello in db 3. */
const REDIS_DATASET_DIGEST = "1101e154479dd33428d84e601ed625948fddfa79";

function buildDatabases(): Database[] {
  const dbs = Array.from({ length: 16 }, (_, i) => new Database(i));
  const db = dbs[0]!;
  db.add("str", textToBytes("hello"));
  db.add("int", textToBytes("-12345"));
  db.add("empty", new Uint8Array(0));
  db.add("\x00\xff\r\n", new Uint8Array([0x80, 0x00, 0xfe]));
  db.add("list", RedisList.fromValues(["a", "", "7", "a"].map(textToBytes)));
  db.add("intset", RedisSet.fromMembers(["3", "-1", "100"]));
  db.add("set", RedisSet.fromMembers(["x", "", "\xc3\xa9"]));
  db.add("hash", RedisHash.fromEntries([["f", textToBytes("v")], ["n", textToBytes("12")], ["", new Uint8Array(0)]]));
  db.add(
    "zset",
    RedisZSet.fromEntries([["one", 1], ["neg", -2.5], ["tenth", 0.1], ["top", Infinity], ["bottom", -Infinity], ["tiny", 1e-300]]),
  );
  const stream = new RedisStream();
  stream.appendEntry({ ms: 1n, seq: 1n }, ["f", "v"].map(textToBytes));
  stream.appendEntry({ ms: 1n, seq: 2n }, ["f", "w", "g", "x"].map(textToBytes));
  stream.appendEntry({ ms: 5n, seq: 0n }, ["h", ""].map(textToBytes));
  stream.delete({ ms: 1n, seq: 2n });
  stream.createGroup("grp", { ms: 0n, seq: 0n });
  db.add("stream", stream);
  db.add("ttl", textToBytes("v"), Date.now() + 100_000_000);
  dbs[3]!.add("str", textToBytes("hello"));
  return dbs;
}

describe("DEBUG DIGEST-VALUE construction", () => {
  const db = buildDatabases()[0]!;
  for (const [key, expected] of Object.entries(REDIS_VALUE_DIGESTS)) {
    test(`${JSON.stringify(key)} as Redis 7.0 digests it`, () => {
      expect(digestToHex(computeValueDigest(db, keyToBytes(key)))).toBe(expected);
    });
  }

  test("a missing key is all zeros", () => {
    expect(digestToHex(computeValueDigest(db, textToBytes("missing")))).toBe(ZEROS);
  });

  test("a logically expired key that is still stored counts, with its TTL mark", () => {
    const expiring = new Database(0);
    expiring.add("ttl", textToBytes("v"), Date.now() - 1000);
    expect(digestToHex(computeValueDigest(expiring, textToBytes("ttl")))).toBe(REDIS_VALUE_DIGESTS.ttl!);
  });
});

describe("DEBUG DIGEST construction", () => {
  test("the whole dataset, two databases", () => {
    expect(digestToHex(computeDatasetDigest(buildDatabases()))).toBe(REDIS_DATASET_DIGEST);
  });

  test("an empty dataset is all zeros", () => {
    expect(digestToHex(computeDatasetDigest([new Database(0), new Database(1)]))).toBe(ZEROS);
  });

  test("key order does not matter, the database number does", () => {
    const forward = [new Database(0), new Database(1)];
    const backward = [new Database(0), new Database(1)];
    const moved = [new Database(0), new Database(1)];
    for (let i = 0; i < 50; i++) forward[0]!.add(`k${i}`, textToBytes(`v${i}`));
    for (let i = 49; i >= 0; i--) backward[0]!.add(`k${i}`, textToBytes(`v${i}`));
    for (let i = 0; i < 50; i++) moved[1]!.add(`k${i}`, textToBytes(`v${i}`));
    const digest = digestToHex(computeDatasetDigest(forward));
    expect(digest).not.toBe(ZEROS);
    expect(digestToHex(computeDatasetDigest(backward))).toBe(digest);
    expect(digestToHex(computeDatasetDigest(moved))).not.toBe(digest);
  });

  test("list order matters", () => {
    const db = new Database(0);
    db.add("l", RedisList.fromValues(["a", "b"].map(textToBytes)));
    const ab = digestToHex(computeValueDigest(db, textToBytes("l")));
    expect(ab).not.toBe(ZEROS);
    db.setKey("l", RedisList.fromValues(["b", "a"].map(textToBytes)));
    expect(digestToHex(computeValueDigest(db, textToBytes("l")))).not.toBe(ab);
  });

  test("a string digests the same from the value arena (copied or viewed) and as an object", () => {
    for (const length of [0, 10, 64, 65, 100, 700, INLINE_MAX, INLINE_MAX + 1]) {
      const text = "v".repeat(length);
      const inArena = [new Database(0)];
      const asObject = [new Database(0)];
      inArena[0]!.add(`key-${text}`, textToBytes(text));
      // A raw-marked string is never put in the arena (string-encoding.ts).
      const marked = markRaw(textToBytes(text));
      asObject[0]!.add(`key-${text}`, marked);
      expect(inArena[0]!.table.isInline(0)).toBe(length <= INLINE_MAX);
      expect(asObject[0]!.table.isInline(0)).toBe(false);
      const key = textToBytes(`key-${text}`);
      expect(digestToHex(computeValueDigest(asObject[0]!, key))).toBe(digestToHex(computeValueDigest(inArena[0]!, key)));
      expect(digestToHex(computeDatasetDigest(asObject))).toBe(digestToHex(computeDatasetDigest(inArena)));
    }
  });
});
