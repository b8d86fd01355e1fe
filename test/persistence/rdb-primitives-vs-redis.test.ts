// The RDB primitives against a real redis-server 7.0.15 (skipped when it is not
// installed):
//  * what we encode is what Redis's DUMP writes, byte for byte (hash and list
//    listpacks, intsets);
//  * what we decode is what Redis reads back from RESTORE (listpack, ziplist,
//    quicklist of ziplists, intset, zipmap), including the test-side ziplist and
//    zipmap builders the unit tests rely on;
//  * differential fuzz: mutated blobs are RESTOREd with `sanitize-dump-payload yes`
//    (Redis's deep validation, the same checks redis-check-rdb runs) and Redis must
//    accept exactly the blobs our decoders accept.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../helpers/server.ts";
import { DEADLINE_MS } from "../helpers/wait.ts";
import { decodeIntset, encodeIntset } from "../../src/db/intset.ts";
import { type ListpackEntry, decodeListpack, encodeListpack, listpackEntryBytes } from "../../src/db/listpack.ts";
import { RdbFormatError } from "../../src/persistence/rdb/errors.ts";
import { decodeZiplist } from "../../src/persistence/rdb/ziplist.ts";
import { decodeZipmap } from "../../src/persistence/rdb/zipmap.ts";
import {
  ascii,
  buildZiplist,
  buildZipmap,
  concat,
  dumpPayload,
  mutate,
  randomBytes,
  randomInt,
  rdbLength,
  readRdbString,
  seededRandom,
} from "./rdb-primitives-helpers.ts";

const RDB_TYPE_HASH_ZIPMAP = 9;
const RDB_TYPE_LIST_ZIPLIST = 10;
const RDB_TYPE_SET_INTSET = 11;
const RDB_TYPE_LIST_QUICKLIST = 14;
const RDB_TYPE_HASH_LISTPACK = 16;
const RDB_TYPE_LIST_QUICKLIST_2 = 18;

type Reply = Uint8Array | string | number | null | Error | Reply[];

/** Minimal RESP2 client: one request in flight, replies kept as bytes. */
class RespClient {
  private buffer: Uint8Array = new Uint8Array(0);
  private pending: Array<(reply: Reply) => void> = [];
  private socket!: Awaited<ReturnType<typeof Bun.connect>>;

  static async open(port: number): Promise<RespClient> {
    const client = new RespClient();
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_socket, chunk) => client.onData(chunk) },
    });
    return client;
  }

  private onData(chunk: Uint8Array): void {
    this.buffer = concat(this.buffer, chunk);
    while (this.pending.length > 0) {
      const parsed = this.parse(0);
      if (parsed === null) return;
      this.buffer = this.buffer.slice(parsed[1]);
      this.pending.shift()!(parsed[0]);
    }
  }

  private parse(at: number): [Reply, number] | null {
    let lineEnd = at;
    while (lineEnd + 1 < this.buffer.length && !(this.buffer[lineEnd] === 13 && this.buffer[lineEnd + 1] === 10)) lineEnd++;
    if (lineEnd + 1 >= this.buffer.length) return null;
    const line = Buffer.from(this.buffer.subarray(at + 1, lineEnd)).toString("latin1");
    const next = lineEnd + 2;
    switch (this.buffer[at]) {
      case 0x2b: // +
        return [line, next];
      case 0x2d: // -
        return [new Error(line), next];
      case 0x3a: // :
        return [Number(line), next];
      case 0x24: {
        // $
        const length = Number(line);
        if (length < 0) return [null, next];
        if (next + length + 2 > this.buffer.length) return null;
        return [this.buffer.slice(next, next + length), next + length + 2];
      }
      default: {
        // *
        const count = Number(line);
        const items: Reply[] = [];
        let position = next;
        for (let i = 0; i < count; i++) {
          const item = this.parse(position);
          if (item === null) return null;
          items.push(item[0]);
          position = item[1];
        }
        return [items, position];
      }
    }
  }

  async call(...args: (string | Uint8Array)[]): Promise<Reply> {
    const parts: Uint8Array[] = [ascii(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === "string" ? ascii(arg) : arg;
      parts.push(ascii(`$${bytes.length}\r\n`), bytes, ascii("\r\n"));
    }
    const reply = new Promise<Reply>((resolve) => this.pending.push(resolve));
    const request = concat(...parts);
    let written = 0;
    while (written < request.length) {
      const n = this.socket.write(request.subarray(written));
      if (n < 0) throw new Error("socket closed");
      written += n;
      if (written < request.length) await Bun.sleep(1);
    }
    return reply;
  }

  close(): void {
    this.socket.end();
  }
}

const redisServer = Bun.which("redis-server");
let redisProcess: Subprocess | null = null;
let redisDir = "";
let client: RespClient;

async function startRedis(): Promise<void> {
  redisDir = realpathSync(mkdtempSync(join(tmpdir(), "bunker-rdb-primitives-")));
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = freePort();
    const process = Bun.spawn(
      [
        redisServer!, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", redisDir, "--logfile", join(redisDir, "redis.log"),
        "--sanitize-dump-payload", "yes", "--rdbcompression", "no",
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline && process.exitCode === null) {
      try {
        const candidate = await RespClient.open(port);
        // Another process may own this port; make sure we talk to the server we started.
        const dir = await candidate.call("CONFIG", "GET", "dir");
        if (Array.isArray(dir) && Buffer.from(dir[1] as Uint8Array).toString() === redisDir) {
          redisProcess = process;
          client = candidate;
          return;
        }
        candidate.close();
        break;
      } catch {
        await Bun.sleep(25);
      }
    }
    process.kill();
    await process.exited;
  }
  throw new Error("could not start redis-server");
}

function text(reply: Reply): string {
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString("latin1");
  if (reply instanceof Error) throw reply;
  return String(reply);
}

function asText(entries: ListpackEntry[]): string[] {
  return entries.map((entry) => Buffer.from(listpackEntryBytes(entry)).toString("latin1"));
}

async function restore(type: number, body: Uint8Array): Promise<boolean> {
  const reply = await client.call("RESTORE", "k", "0", dumpPayload(type, body), "REPLACE");
  if (reply === "OK") return true;
  if (reply instanceof Error && reply.message.includes("Bad data format")) return false;
  throw new Error(`unexpected RESTORE reply ${String(reply)}`);
}

async function listContents(): Promise<string[]> {
  return ((await client.call("LRANGE", "k", "0", "-1")) as Reply[]).map(text);
}

async function dumpOf(key: string): Promise<Uint8Array> {
  return (await client.call("DUMP", key)) as Uint8Array;
}

function quicklistNode(listpack: Uint8Array): Uint8Array {
  return concat(rdbLength(1), rdbLength(2), rdbLength(listpack.length), listpack);
}

function asBlob(bytes: Uint8Array): Uint8Array {
  return concat(rdbLength(bytes.length), bytes);
}

/** Elements of the kinds a Redis list or hash holds, biased toward encoding boundaries. */
function randomElement(random: () => number): Uint8Array {
  const boundaries = [0, 12, 13, 127, 128, 4095, 4096, 32767, 32768, 8388607, 8388608, 2147483647, 2147483648];
  switch (randomInt(random, 6)) {
    case 0: {
      const base = boundaries[randomInt(random, boundaries.length)]!;
      const value = BigInt(base + randomInt(random, 3) - 1) * (random() < 0.5 ? -1n : 1n);
      return ascii(value.toString());
    }
    case 1:
      return ascii(BigInt.asIntN(64, BigInt(Math.floor(random() * 2 ** 52)) * 4099n).toString());
    case 2:
      return ascii(["01", "-0", "+1", " 7", "1e3", "", "9223372036854775808", "-9223372036854775808"][randomInt(random, 8)]!);
    case 3:
      return randomBytes(random, randomInt(random, 70));
    case 4:
      return new Uint8Array(randomInt(random, 2) === 0 ? 63 + randomInt(random, 3) : randomInt(random, 10)).fill(0x61);
    default:
      return ascii(`item:${randomInt(random, 100000)}`);
  }
}

describe.skipIf(redisServer === null)("RDB primitives vs redis-server 7.0.15", () => {
  beforeAll(startRedis);
  afterAll(async () => {
    client?.close();
    if (redisProcess !== null) {
      redisProcess.kill();
      await redisProcess.exited;
    }
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  test("encodeListpack equals the listpack Redis DUMPs for hashes and lists", async () => {
    const random = seededRandom(1001);
    for (let trial = 0; trial < 150; trial++) {
      await client.call("DEL", "h", "l");
      const count = 1 + randomInt(random, 60);
      const hashArgs: Uint8Array[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const field = randomElement(random).slice(0, 64);
        const key = Buffer.from(field).toString("latin1");
        if (seen.has(key)) continue;
        seen.add(key);
        hashArgs.push(field, randomElement(random).slice(0, 64));
      }
      await client.call("HSET", "h", ...hashArgs);
      const hashDump = await dumpOf("h");
      expect(hashDump[0]).toBe(RDB_TYPE_HASH_LISTPACK);
      expect(encodeListpack(hashArgs)).toEqual(readRdbString(hashDump, 1).bytes);

      const listArgs = Array.from({ length: 1 + randomInt(random, 80) }, () => randomElement(random));
      await client.call("RPUSH", "l", ...listArgs);
      const listDump = await dumpOf("l");
      expect(Array.from(listDump.subarray(0, 3))).toEqual([RDB_TYPE_LIST_QUICKLIST_2, 1, 2]);
      expect(encodeListpack(listArgs)).toEqual(readRdbString(listDump, 3).bytes);
    }
  });

  test("encodeIntset equals the intset Redis DUMPs", async () => {
    const random = seededRandom(1002);
    for (let trial = 0; trial < 100; trial++) {
      await client.call("DEL", "s");
      const magnitude = [30000, 2 ** 31, 2 ** 53][trial % 3]!;
      const values = new Set<bigint>();
      for (let i = 0, n = 1 + randomInt(random, 200); i < n; i++) values.add(BigInt(Math.floor((random() * 2 - 1) * magnitude)));
      if (trial % 10 === 0) values.add(-(2n ** 63n));
      await client.call("SADD", "s", ...[...values].map((v) => v.toString()));
      const dump = await dumpOf("s");
      expect(dump[0]).toBe(RDB_TYPE_SET_INTSET);
      const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(encodeIntset(sorted)).toEqual(readRdbString(dump, 1).bytes);
    }
  });

  test("Redis reads our listpacks, ziplists, quicklists, intsets and zipmaps as we decode them", async () => {
    const random = seededRandom(1003);
    for (let trial = 0; trial < 60; trial++) {
      const elements = Array.from({ length: 1 + randomInt(random, 50) }, () => randomElement(random));
      const expected = elements.map((e) => Buffer.from(e).toString("latin1"));

      const listpack = encodeListpack(elements);
      expect(await restore(RDB_TYPE_LIST_QUICKLIST_2, quicklistNode(listpack))).toBe(true);
      expect(await listContents()).toEqual(expected);
      expect(asText(decodeListpack(listpack))).toEqual(expected);

      const variants = [
        buildZiplist(elements),
        buildZiplist(elements, { forceLargePrevlen: true }),
        buildZiplist(elements, { forceLongStrings: true, stringLengthLowBits: trial % 64 }),
        buildZiplist(elements, { headerCount: 65535 }),
      ];
      for (const ziplist of variants) {
        expect(await restore(RDB_TYPE_LIST_ZIPLIST, asBlob(ziplist))).toBe(true);
        expect(await listContents()).toEqual(expected);
        expect(asText(decodeZiplist(ziplist))).toEqual(expected);
      }

      const half = Math.ceil(elements.length / 2);
      const nodes = [buildZiplist(elements.slice(0, half)), buildZiplist(elements.slice(half))].filter((n) => n.length > 11);
      expect(await restore(RDB_TYPE_LIST_QUICKLIST, concat(rdbLength(nodes.length), ...nodes.map(asBlob)))).toBe(true);
      expect(await listContents()).toEqual(expected);

      const values = [...new Set(elements.map((_, i) => BigInt(i * (trial + 1) * 7919) - 40000n))];
      expect(await restore(RDB_TYPE_SET_INTSET, asBlob(encodeIntset(values)))).toBe(true);
      const members = ((await client.call("SMEMBERS", "k")) as Reply[]).map((m) => BigInt(text(m)));
      expect(members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(decodeIntset(encodeIntset(values)));

      const pairs = new Map<string, Uint8Array>();
      for (const element of elements) pairs.set(Buffer.from(element).toString("latin1"), randomElement(random));
      const zipmap = buildZipmap(
        [...pairs].map(([field, value]) => [Buffer.from(field, "latin1"), value] as const),
        { free: (i) => i % 5 },
      );
      expect(await restore(RDB_TYPE_HASH_ZIPMAP, asBlob(zipmap))).toBe(true);
      const hash = (await client.call("HGETALL", "k")) as Reply[];
      const fromRedis = new Map<string, string>();
      for (let i = 0; i < hash.length; i += 2) fromRedis.set(text(hash[i]!), text(hash[i + 1]!));
      const fromUs = new Map(decodeZipmap(zipmap).map(([f, v]) => [Buffer.from(f).toString("latin1"), Buffer.from(v).toString("latin1")]));
      expect(fromRedis).toEqual(fromUs);
    }
  });

  test("long strings, 5-byte zipmap lengths and 65535+ element listpacks/ziplists", async () => {
    const big = [new Uint8Array(70000).fill(0x62), new Uint8Array(16384).fill(0x63), ascii("tail")];
    expect(await restore(RDB_TYPE_LIST_QUICKLIST_2, quicklistNode(encodeListpack(big)))).toBe(true);
    expect((await listContents()).map((s) => s.length)).toEqual([70000, 16384, 4]);
    expect(await restore(RDB_TYPE_LIST_ZIPLIST, asBlob(buildZiplist(big)))).toBe(true);
    expect((await listContents()).map((s) => s.length)).toEqual([70000, 16384, 4]);

    // A quicklist node counts its elements in 16 bits, so 65535+ elements go in a
    // hash listpack (header count 65535 = unknown, Redis walks it).
    const pairs = Array.from({ length: 33000 }, (_, i) => [ascii(`f${i}`), ascii(String(i))]).flat();
    expect(await restore(RDB_TYPE_HASH_LISTPACK, asBlob(encodeListpack(pairs)))).toBe(true);
    expect(await client.call("HLEN", "k")).toBe(33000);
    expect(text(await client.call("HGET", "k", "f32999"))).toBe("32999");
    const many = Array.from({ length: 66000 }, (_, i) => ascii(String(i)));
    expect(await restore(RDB_TYPE_LIST_ZIPLIST, asBlob(buildZiplist(many)))).toBe(true);
    expect(await client.call("LLEN", "k")).toBe(66000);
    expect(text(await client.call("LINDEX", "k", "-1"))).toBe("65999");

    const zipmap = buildZipmap([[new Uint8Array(300).fill(0x66), new Uint8Array(254).fill(0x76)]]);
    expect(await restore(RDB_TYPE_HASH_ZIPMAP, asBlob(zipmap))).toBe(true);
    expect(text(await client.call("HGET", "k", "f".repeat(300)))).toBe("v".repeat(254));
  });

  /**
   * Mutates `seeds` and RESTOREs each mutant. `ours` returns the decoded contents as
   * text, or null when our decoder refuses the blob (RdbFormatError only).
   */
  async function differentialFuzz(options: {
    seeds: Uint8Array[];
    trials: number;
    seed: number;
    type: number;
    frame: (blob: Uint8Array) => Uint8Array;
    ours: (blob: Uint8Array) => string[] | null;
    theirs: () => Promise<string[]>;
    /** Contents Redis cannot keep (an empty list) make RESTORE fail even when the blob is valid. */
    redisRefusesEmpty: boolean;
    /** Blobs Redis accepts that we refuse on purpose; must match this message. */
    allowedStricterMessage?: string;
  }): Promise<{ acceptedByBoth: number; refusedByBoth: number }> {
    const random = seededRandom(options.seed);
    let acceptedByBoth = 0;
    let refusedByBoth = 0;
    for (let trial = 0; trial < options.trials; trial++) {
      const blob = mutate(random, options.seeds[trial % options.seeds.length]!);
      if (trial % 2 === 0 && blob.length >= 4 && options.type !== RDB_TYPE_HASH_ZIPMAP && options.type !== RDB_TYPE_SET_INTSET) {
        new DataView(blob.buffer).setUint32(0, blob.length, true); // get past the size check
      }
      let ourContents: string[] | null = null;
      let ourError = "";
      try {
        ourContents = options.ours(blob);
      } catch (error) {
        if (!(error instanceof RdbFormatError)) throw error;
        ourError = error.message;
      }
      const weAccept = ourContents !== null && !(options.redisRefusesEmpty && ourContents.length === 0);
      const redisAccepts = await restore(options.type, options.frame(blob));
      if (redisAccepts && !weAccept && options.allowedStricterMessage && ourError.includes(options.allowedStricterMessage)) {
        continue;
      }
      if (redisAccepts !== weAccept) {
        throw new Error(
          `disagreement on ${Buffer.from(blob).toString("hex")}: redis ${redisAccepts}, ours ${weAccept} ${ourError}`,
        );
      }
      if (redisAccepts) {
        expect(await options.theirs()).toEqual(ourContents!);
        acceptedByBoth++;
      } else {
        refusedByBoth++;
      }
    }
    return { acceptedByBoth, refusedByBoth };
  }

  test("differential fuzz: listpacks (RESTORE as a quicklist node)", async () => {
    const random = seededRandom(2001);
    const seeds = [0, 1, 2, 3].map(() => encodeListpack(Array.from({ length: 1 + randomInt(random, 12) }, () => randomElement(random))));
    seeds.push(encodeListpack([new Uint8Array(130).fill(0x61), ascii("x"), -100000n, new Uint8Array(4100).fill(0)]));
    const result = await differentialFuzz({
      seeds,
      trials: 3000,
      seed: 2002,
      type: RDB_TYPE_LIST_QUICKLIST_2,
      frame: quicklistNode,
      ours: (blob) => asText(decodeListpack(blob)),
      theirs: listContents,
      redisRefusesEmpty: true,
    });
    expect(result.acceptedByBoth).toBeGreaterThan(20);
    expect(result.refusedByBoth).toBeGreaterThan(1000);
  });

  test("differential fuzz: ziplists (RESTORE as a legacy ziplist list)", async () => {
    const random = seededRandom(3001);
    const seeds = [0, 1, 2].map(() => buildZiplist(Array.from({ length: 1 + randomInt(random, 10) }, () => randomElement(random))));
    seeds.push(buildZiplist([new Uint8Array(300).fill(0x61), ascii("5"), ascii("-70000")]));
    seeds.push(buildZiplist([ascii("a"), ascii("12")], { forceLargePrevlen: true, forceLongStrings: true }));
    const result = await differentialFuzz({
      seeds,
      trials: 3000,
      seed: 3002,
      type: RDB_TYPE_LIST_ZIPLIST,
      frame: asBlob,
      ours: (blob) => asText(decodeZiplist(blob)),
      theirs: listContents,
      redisRefusesEmpty: true,
    });
    expect(result.acceptedByBoth).toBeGreaterThan(20);
    expect(result.refusedByBoth).toBeGreaterThan(1000);
  });

  test("differential fuzz: intsets", async () => {
    const seeds = [
      encodeIntset([-5n, 1n, 2n, 30000n]),
      encodeIntset([-70000n, 0n, 70000n]),
      encodeIntset([-(2n ** 40n), 3n, 2n ** 62n]),
    ];
    const result = await differentialFuzz({
      seeds,
      trials: 2000,
      seed: 4002,
      type: RDB_TYPE_SET_INTSET,
      frame: asBlob,
      ours: (blob) => decodeIntset(blob).map(String),
      theirs: async () =>
        ((await client.call("SMEMBERS", "k")) as Reply[])
          .map((m) => BigInt(text(m)))
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
          .map(String),
      redisRefusesEmpty: false,
    });
    expect(result.acceptedByBoth).toBeGreaterThan(20);
    expect(result.refusedByBoth).toBeGreaterThan(500);
  });

  test("differential fuzz: zipmaps", async () => {
    const seeds = [
      buildZipmap([[ascii("foo"), ascii("bar")], [ascii("hello"), ascii("world")]]),
      buildZipmap([[ascii("a"), ascii("1")], [ascii("b"), ascii("")], [ascii("c"), ascii("22")]], { free: (i) => i }),
      buildZipmap([[new Uint8Array(260).fill(0x6b), ascii("v")]]),
    ];
    const result = await differentialFuzz({
      seeds,
      trials: 2000,
      seed: 5002,
      type: RDB_TYPE_HASH_ZIPMAP,
      frame: asBlob,
      ours: (blob) =>
        decodeZipmap(blob)
          .map(([f, v]) => `${Buffer.from(f).toString("latin1")}=${Buffer.from(v).toString("latin1")}`)
          .sort(),
      theirs: async () => {
        const flat = (await client.call("HGETALL", "k")) as Reply[];
        const out: string[] = [];
        for (let i = 0; i < flat.length; i += 2) out.push(`${text(flat[i]!)}=${text(flat[i + 1]!)}`);
        return out.sort();
      },
      redisRefusesEmpty: false,
      allowedStricterMessage: "5-byte form",
    });
    expect(result.acceptedByBoth).toBeGreaterThan(20);
    expect(result.refusedByBoth).toBeGreaterThan(500);
  });
});
