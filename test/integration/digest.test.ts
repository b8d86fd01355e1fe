// DEBUG DIGEST and DEBUG DIGEST-VALUE byte for byte with redis-server 7.0: the same
// random dataset (every type and encoding, binary keys and values, TTLs, db 0 and db 9)
// is built on both servers with commands, then the dataset digest and every key's value
// digest must be identical, before and after DEBUG RELOAD, and after single changes.
// Each comparison also checks that the digests are not zeros and that the dataset
// really has the encodings it is meant to cover, so a digest that ignored values, or a
// generator that stopped producing big collections, fails instead of passing vacuously.

import { describe, expect, test } from "bun:test";
import { both, compareScript, haveRedis, usePair, type CommandArgs } from "../helpers/differential.ts";
import { parseReply, type RawClient, type Reply } from "../helpers/server.ts";
import { Random } from "../../src/util/random.ts";

const d = haveRedis ? describe : describe.skip;

const pair = usePair(["--enable-debug-command", "yes"]);

const ZERO_STATUS = `+${"0".repeat(40)}\r\n`;
const DIGEST_STATUS = /^\+[0-9a-f]{40}\r\n$/;

// ---- the dataset -----------------------------------------------------------------------

/** Builds the commands of one random dataset; `prefix` keeps two databases' key names apart (or not). */
class DatasetBuilder {
  readonly commands: CommandArgs[] = [];
  /** Numbers the keys: each call of key() names a new one. */
  private serial = 0;

  constructor(
    private readonly random: Random,
    private readonly prefix: string,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[this.random.nextInt(items.length)]!;
  }

  private key(kind: string): string {
    return `${this.prefix}${kind}:${this.serial++}`;
  }

  /** Random bytes, with the ones that break naive code (NUL, CR, LF, 0x80, 0xff) likely. */
  private binary(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = this.random.nextInt(4) === 0 ? this.pick([0, 10, 13, 0x80, 0xff]) : this.random.nextInt(256);
    return bytes;
  }

  private integerText(): string {
    return this.pick([
      () => String(this.random.nextInt(100)),
      () => String(-this.random.nextInt(1_000_000)),
      () => String(this.random.nextInt(2 ** 40) * 1000),
      () => this.pick(["9223372036854775807", "-9223372036854775808", "0", "-1"]),
    ])();
  }

  /** A string value of any encoding Redis has: int, embstr, raw, and binary. */
  private value(): string | Uint8Array {
    return this.pick<() => string | Uint8Array>([
      () => this.integerText(),
      () => this.pick(["", "a", "hello", "007", "-0", "3.14", "1e5", " 12", "12345678901234567890123"]),
      () => `text-${this.random.nextInt(1_000_000)}`,
      () => this.binary(1 + this.random.nextInt(40)),
      () => this.binary(45 + this.random.nextInt(100)),
      () => this.binary(513 + this.random.nextInt(600)),
    ])();
  }

  /** A collection element: short text, integers (intset/listpack integers), binary, sometimes long. */
  private element(allowLong: boolean): string | Uint8Array {
    const kind = this.random.nextInt(allowLong ? 10 : 9);
    if (kind < 3) return this.integerText();
    if (kind < 6) return `e${this.random.nextInt(5000)}`;
    if (kind < 8) return this.binary(1 + this.random.nextInt(20));
    if (kind < 9) return "";
    return this.binary(65 + this.random.nextInt(200));
  }

  private score(): string {
    return this.pick([
      () => String(this.random.nextInt(1000) - 500),
      () => String((this.random.nextFloat() - 0.5) * 10 ** this.random.nextInt(30)),
      () => this.pick(["inf", "-inf", "+inf", "-0", "0", "0.1", "1e-300", "1.7976931348623157e308", "-2.5", "1e17", "123456789012345678"]),
    ])();
  }

  private maybeExpire(key: string | Uint8Array): void {
    const roll = this.random.nextInt(6);
    if (roll === 0) this.commands.push(["EXPIRE", key, String(100_000 + this.random.nextInt(100_000))]);
    else if (roll === 1) this.commands.push(["PEXPIREAT", key, String(4_000_000_000_000 + this.random.nextInt(1000))]);
  }

  strings(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.random.nextInt(8) === 0 ? this.binary(1 + this.random.nextInt(30)) : this.key("str");
      this.commands.push(["SET", key, this.value()]);
      const roll = this.random.nextInt(10);
      if (roll === 0) this.commands.push(["APPEND", key, this.value()]);
      else if (roll === 1) this.commands.push(["SETRANGE", key, String(this.random.nextInt(20)), "xyz"]);
      else if (roll === 2) this.commands.push(["SETBIT", key, String(this.random.nextInt(200)), "1"]);
      this.maybeExpire(key);
    }
    for (let i = 0; i < 10; i++) {
      const key = this.key("counter");
      this.commands.push(["INCRBY", key, this.integerText().slice(0, 15)], ["INCRBYFLOAT", this.key("float"), this.pick(["1.5", "-0.1", "3", "1e3"])]);
    }
    // Edge keys: the empty key, a key longer than a key-arena segment can hold.
    this.commands.push(["SET", `${this.prefix}`, ""], ["SET", `${this.prefix}${"k".repeat(70_000)}`, "huge key"]);
    this.commands.push(["SET", `${this.prefix}${"m".repeat(65)}`, "v".repeat(65)]);
  }

  hyperloglogs(): void {
    const sparse = this.key("hll");
    this.commands.push(["PFADD", sparse, "a", "b", "c"], ["PFCOUNT", sparse]);
    const dense = this.key("hll");
    for (let batch = 0; batch < 8; batch++) {
      this.commands.push(["PFADD", dense, ...Array.from({ length: 500 }, (_, i) => `m${batch}-${i}`)]);
    }
    this.commands.push(["PFCOUNT", dense], ["PFMERGE", this.key("hll"), sparse, dense]);
    this.maybeExpire(dense);
  }

  lists(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.key("list");
      const big = i % 5 === 0;
      const length = big ? 200 + this.random.nextInt(400) : 1 + this.random.nextInt(10);
      const elements = Array.from({ length }, () => this.element(big || this.random.nextInt(4) === 0));
      this.commands.push([this.pick(["RPUSH", "LPUSH"]), key, ...elements]);
      const roll = this.random.nextInt(4);
      if (roll === 0) this.commands.push(["LSET", key, String(this.random.nextInt(length)), this.element(true)]);
      else if (roll === 1) this.commands.push(["LINSERT", key, "BEFORE", elements[0]!, "inserted"]);
      else if (roll === 2) this.commands.push(["LREM", key, "0", elements[elements.length - 1]!]);
      this.maybeExpire(key);
    }
  }

  sets(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.key("set");
      const kind = i % 4;
      let members: Array<string | Uint8Array>;
      if (kind === 0) members = Array.from({ length: 1 + this.random.nextInt(20) }, () => this.integerText());
      else if (kind === 1) members = Array.from({ length: 520 + this.random.nextInt(200) }, () => this.integerText());
      else members = Array.from({ length: kind === 2 ? 1 + this.random.nextInt(15) : 300 }, () => this.element(true));
      this.commands.push(["SADD", key, ...members]);
      if (this.random.nextInt(3) === 0) this.commands.push(["SREM", key, members[0]!]);
      this.maybeExpire(key);
    }
  }

  /**
   * The pairs of the i-th hash or zset: by i % 3 few (a listpack), many (hashtable or
   * skiplist), or few with one element too long for a listpack (`long` for that pair).
   */
  private pairs(i: number, pair: (long: boolean) => Array<string | Uint8Array>): Array<string | Uint8Array> {
    const kind = i % 3;
    const length = kind === 1 ? 150 + this.random.nextInt(200) : 1 + this.random.nextInt(20);
    const args: Array<string | Uint8Array> = [];
    for (let n = 0; n < length; n++) args.push(...pair(kind === 2 && n === 0));
    return args;
  }

  hashes(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.key("hash");
      const args = this.pairs(i, (long) => [this.element(false), long ? this.binary(80) : this.element(false)]);
      this.commands.push(["HSET", key, ...args]);
      const roll = this.random.nextInt(4);
      if (roll === 0) this.commands.push(["HINCRBY", key, "counter", this.integerText().slice(0, 12)]);
      else if (roll === 1) this.commands.push(["HINCRBYFLOAT", key, "float", this.pick(["0.1", "-3.5", "1e10"])]);
      else if (roll === 2) this.commands.push(["HDEL", key, args[0]!]);
      this.maybeExpire(key);
    }
  }

  zsets(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.key("zset");
      const args = this.pairs(i, (long) => [this.score(), long ? this.binary(70) : this.element(false)]);
      this.commands.push(["ZADD", key, ...args]);
      // -0 written into a listpack reads back as 0, into a skiplist stays -0.
      this.commands.push(["ZADD", key, "-0", "negative-zero"]);
      const roll = this.random.nextInt(3);
      if (roll === 0) this.commands.push(["ZINCRBY", key, this.pick(["0.1", "-7", "1e-9"]), args[1]!]);
      else if (roll === 1) this.commands.push(["ZREM", key, args[1]!]);
      this.maybeExpire(key);
    }
  }

  streams(count: number): void {
    for (let i = 0; i < count; i++) {
      const key = this.key("stream");
      const length = i % 3 === 0 ? 250 + this.random.nextInt(100) : 1 + this.random.nextInt(10);
      const ids: string[] = [];
      let ms = 1 + this.random.nextInt(1000);
      for (let e = 0; e < length; e++) {
        ms += this.random.nextInt(3);
        const id = `${ms}-${e}`;
        ids.push(id);
        // Mostly the master fields (entries stored as "same fields"), sometimes others.
        const fields: Array<string | Uint8Array> = this.random.nextInt(3) === 0 ? [this.element(true), this.value(), "x", ""] : ["name", this.value(), "n", this.integerText()];
        this.commands.push(["XADD", key, id, ...fields]);
      }
      for (let del = 0; del < length / 4; del++) this.commands.push(["XDEL", key, this.pick(ids)]);
      if (i % 4 === 1) this.commands.push(["XTRIM", key, "MAXLEN", String(Math.floor(length / 2))]);
      if (i % 2 === 0) {
        this.commands.push(["XGROUP", "CREATE", key, "group", "0"], ["XREADGROUP", "GROUP", "group", "alice", "COUNT", "3", "STREAMS", key, ">"]);
        this.commands.push(["XACK", key, "group", ids[0]!], ["XGROUP", "CREATECONSUMER", key, "group", "bob"]);
      }
      this.maybeExpire(key);
    }
    // A stream whose every entry was deleted: the key stays, with nothing to mix but its type.
    const empty = this.key("stream");
    this.commands.push(["XADD", empty, "5-5", "f", "v"], ["XDEL", empty, "5-5"], ["XSETID", empty, "10-10"]);
  }

  build(): CommandArgs[] {
    this.strings(120);
    this.hyperloglogs();
    this.lists(20);
    this.sets(16);
    this.hashes(18);
    this.zsets(18);
    this.streams(8);
    // A few TTLs removed again.
    this.commands.push(["PERSIST", `${this.prefix}str:0`], ["PERSIST", `${this.prefix}list:0`]);
    return this.commands;
  }
}

// ---- comparisons -----------------------------------------------------------------------

/** Runs commands on both servers; every reply must be identical (so the datasets are). */
async function runBoth(commands: CommandArgs[]): Promise<void> {
  expect(await compareScript(pair(), commands)).toEqual([]);
}

/** DEBUG DIGEST on both: identical, well-formed and not zeros; returns it. */
async function compareDatasetDigest(): Promise<string> {
  const [ours, theirs] = await both(pair(), "DEBUG", "DIGEST");
  expect(ours).toBe(theirs);
  expect(ours).toMatch(DIGEST_STATUS);
  expect(ours).not.toBe(ZERO_STATUS);
  return ours;
}

/** Every key of the selected database, as Redis lists them (binary-safe). */
async function keysOf(client: RawClient): Promise<Uint8Array[]> {
  const keys = (await client.call("KEYS", "*")) as string[];
  return keys.map((key) => Buffer.from(key, "latin1"));
}

/**
 * DEBUG DIGEST-VALUE of every key of the selected database on both, in batches: the reply
 * bytes identical, and no zeros (every key exists). Returns how many keys were compared.
 */
async function compareValueDigests(): Promise<number> {
  const keys = await keysOf(pair().r);
  expect(await pair().b.call("DBSIZE")).toBe(keys.length);
  const mismatches: string[] = [];
  for (let at = 0; at < keys.length; at += 50) {
    const batch = keys.slice(at, at + 50);
    const [ours, theirs] = await both(pair(), "DEBUG", "DIGEST-VALUE", ...batch);
    if (ours === theirs && ours.startsWith(`*${batch.length}\r\n`) && !ours.includes(ZERO_STATUS)) continue;
    // Name the keys that differ.
    const [mine, redis] = [ours, theirs].map((raw) => parseReply(Buffer.from(raw, "latin1"), 0)[0] as string[]);
    batch.forEach((key, i) => {
      if (mine![i] !== redis![i] || mine![i] === ZERO_STATUS.slice(1, 41)) {
        mismatches.push(`${JSON.stringify(Buffer.from(key).toString("latin1").slice(0, 80))}: bunker ${mine![i]}, redis ${redis![i]}`);
      }
    });
    if (mismatches.length === 0) mismatches.push(`batch at ${at}: bunker ${JSON.stringify(ours)}, redis ${JSON.stringify(theirs)}`);
  }
  expect(mismatches).toEqual([]);
  return keys.length;
}

/** OBJECT ENCODING of every key in the selected database, on Redis. */
async function encodingsOnRedis(): Promise<Set<Reply>> {
  const encodings = new Set<Reply>();
  for (const key of await keysOf(pair().r)) encodings.add(await pair().r.call("OBJECT", "ENCODING", key));
  return encodings;
}

async function selectBoth(db: number): Promise<void> {
  await runBoth([["SELECT", String(db)]]);
}

// ---- tests -------------------------------------------------------------------------------

d("DEBUG DIGEST / DIGEST-VALUE equal Redis 7.0's", () => {
  test("an empty dataset digests to zeros; arity and errors", async () => {
    const [ours] = await both(pair(), "DEBUG", "DIGEST");
    expect(ours).toBe(ZERO_STATUS);
    await runBoth([
      ["DEBUG", "DIGEST"],
      ["DEBUG", "DIGEST-VALUE"],
      ["debug", "digest-value", "missing", "also-missing"],
      ["DEBUG", "DIGEST", "extra"],
      ["debug", "Digest", "extra", "args"],
      ["DEBUG", "NO-SUCH-SUBCOMMAND"],
      ["DEBUG", "SLEEP"],
      ["DEBUG", "OBJECT"],
    ]);
    // RESP3 replies them as the same status strings (HELLO's own reply names client ids).
    await both(pair(), "HELLO", "3");
    await runBoth([["DEBUG", "DIGEST"], ["DEBUG", "DIGEST-VALUE", "missing"]]);
    await both(pair(), "HELLO", "2");
  });

  test("a random dataset of every type and encoding in db 0 and db 9", async () => {
    const random = new Random(0xd16e57);
    await selectBoth(0);
    await runBoth(new DatasetBuilder(random, "").build());
    const db0Encodings = await encodingsOnRedis();
    const db0Keys = await compareValueDigests();
    const afterDb0 = await compareDatasetDigest();

    // db 9: partly the same key names (the db number must keep them apart), partly others.
    await selectBoth(9);
    await runBoth(new DatasetBuilder(random, "").build().slice(0, 400));
    await runBoth(new DatasetBuilder(random, "nine:").build());
    const db9Keys = await compareValueDigests();
    const afterDb9 = await compareDatasetDigest();
    expect(afterDb9).not.toBe(afterDb0);

    // The dataset covers what it claims to.
    const encodings = new Set([...db0Encodings, ...(await encodingsOnRedis())]);
    for (const encoding of ["int", "embstr", "raw", "quicklist", "listpack", "hashtable", "intset", "skiplist", "stream"]) {
      expect(encodings).toContain(encoding);
    }
    expect(db0Keys).toBeGreaterThan(200);
    expect(db9Keys).toBeGreaterThan(300);
    const keyspace = String(await pair().r.call("INFO", "keyspace"));
    expect(Number(/db0:keys=\d+,expires=(\d+)/.exec(keyspace)![1])).toBeGreaterThan(30);
    expect(Number(/db9:keys=\d+,expires=(\d+)/.exec(keyspace)![1])).toBeGreaterThan(30);
  });

  test("after DEBUG RELOAD on both", async () => {
    const before = await compareDatasetDigest();
    const [ours, theirs] = await both(pair(), "DEBUG", "RELOAD");
    expect([ours, theirs]).toEqual(["+OK\r\n", "+OK\r\n"]);
    // Reloading may change a digest (a -0 score in a skiplist that loads as a listpack
    // becomes 0), but then in the same way on both. Keys first: a mismatch names them.
    for (const db of [0, 9]) {
      await selectBoth(db);
      await compareValueDigests();
    }
    expect(await compareDatasetDigest()).toMatch(DIGEST_STATUS);
    expect(before).toMatch(DIGEST_STATUS);
  });

  test("changing one element changes the digest, the same way on both", async () => {
    await selectBoth(0);
    let previous = await compareDatasetDigest();
    const changes: CommandArgs[][] = [
      [["HSET", "hash:big-for-change", ...Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]).flat()]],
      [["HSET", "hash:big-for-change", "f100", "changed"]],
      [["HSET", "hash:big-for-change", "f100", "v100"]], // back: the digest of before returns (checked below)
      [["RPUSH", "list:for-change", ...Array.from({ length: 300 }, (_, i) => `e${i}`)]],
      [["LSET", "list:for-change", "150", "changed"]],
      [["LMOVE", "list:for-change", "list:for-change", "LEFT", "RIGHT"]], // same elements, other order
      [["SADD", "set:for-change", ...Array.from({ length: 600 }, (_, i) => String(i))]],
      [["SREM", "set:for-change", "300"]],
      [["ZADD", "zset:for-change", ...Array.from({ length: 200 }, (_, i) => [String(i / 7), `m${i}`]).flat()]],
      [["ZINCRBY", "zset:for-change", "1e-12", "m99"]],
      [["ZADD", "zset:for-change", "-0", "m5"]],
      [["XADD", "stream:for-change", "1-1", "a", "1"], ["XADD", "stream:for-change", "1-2", "a", "2"]],
      [["XDEL", "stream:for-change", "1-1"]],
      [["SET", "string:for-change", "12345"]],
      [["INCR", "string:for-change"]],
      [["EXPIRE", "string:for-change", "100000"]],
      [["PERSIST", "string:for-change"]],
      [["MOVE", "string:for-change", "9"]],
    ];
    const seen: string[] = [previous];
    for (const commands of changes) {
      await runBoth(commands);
      const digest = await compareDatasetDigest();
      expect(digest).not.toBe(previous);
      seen.push(digest);
      previous = digest;
    }
    // Setting the hash field back restored the digest it had before the change.
    expect(seen[3]).toBe(seen[1]);
  });

  test("logically expired keys still count until they are removed", async () => {
    await selectBoth(0);
    await runBoth([["DEBUG", "SET-ACTIVE-EXPIRE", "0"]]);
    try {
      const before = await compareDatasetDigest();
      await runBoth([["SET", "short-lived", "v", "PX", "50"], ["RPUSH", "short-lived-list", "a", "b"], ["PEXPIRE", "short-lived-list", "50"]]);
      // The servers read the same clock and set the TTLs before replying: once it is 50 ms
      // past the replies, both keys are logically expired on both.
      const setBy = Date.now();
      while (Date.now() <= setBy + 60) await Bun.sleep(20);
      const expiredIncluded = await compareDatasetDigest();
      expect(expiredIncluded).not.toBe(before);
      const [ours, theirs] = await both(pair(), "DEBUG", "DIGEST-VALUE", "short-lived", "short-lived-list");
      expect(ours).toBe(theirs);
      expect(ours).not.toContain(ZERO_STATUS);
      // A lookup removes them; then the dataset is as before.
      await runBoth([["EXISTS", "short-lived", "short-lived-list"]]);
      expect(await compareDatasetDigest()).toBe(before);
    } finally {
      await runBoth([["DEBUG", "SET-ACTIVE-EXPIRE", "1"]]);
    }
  });

  test("a -0 score written to a skiplist that reloads as a listpack", async () => {
    await selectBoth(0);
    const long = "l".repeat(100);
    await runBoth([
      ["ZADD", "zset:negative-zero", "1", "a", "2", long],
      ["ZADD", "zset:negative-zero", "-0", "z"],
      ["ZREM", "zset:negative-zero", long],
      ["OBJECT", "ENCODING", "zset:negative-zero"],
      ["DEBUG", "DIGEST-VALUE", "zset:negative-zero"],
      ["DEBUG", "RELOAD"],
      ["OBJECT", "ENCODING", "zset:negative-zero"],
      ["ZSCORE", "zset:negative-zero", "z"],
      ["DEBUG", "DIGEST-VALUE", "zset:negative-zero"],
    ]);
    await compareDatasetDigest();
  });
});
