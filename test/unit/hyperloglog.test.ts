// Differential tests of src/db/hyperloglog.ts against the real redis-server 7.0.15.
//
// Every scenario runs the same PFADD / PFCOUNT / PFMERGE sequence on Redis and on an
// in-test model of the commands built on our functions, then compares replies and the
// exact bytes of GET: an HLL is a string, so any byte of difference is a bug.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { startRedis, type RunningServer } from "../helpers/server.ts";
import {
  HLL_DENSE_SIZE,
  HLL_INVALID_ERR,
  HLL_SPARSE_MAX_BYTES_DEFAULT,
  HLL_WRONGTYPE_ERR,
  HllError,
  hllAdd,
  hllCount,
  hllCountUnion,
  hllCreateSparse,
  hllIsValid,
  hllMerge,
  murmurHash64A,
  type HllCardinality,
} from "../../src/db/hyperloglog.ts";
import { seededRandom } from "../helpers/random.ts";

// ---------------------------------------------------------------------------
// A minimal RESP2 client that keeps bulk strings as bytes.

type Reply = string | number | bigint | Uint8Array | null | { error: string } | Reply[];

class RespClient {
  private socket: Socket<undefined> | null = null;
  private received = new Uint8Array(0);
  private readonly waiting: ((reply: Reply) => void)[] = [];

  async connect(port: number): Promise<void> {
    this.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => this.onData(chunk),
        drain: () => this.flush(),
      },
    });
  }

  private pendingWrites: Uint8Array[] = [];

  private flush(): void {
    while (this.pendingWrites.length > 0 && this.socket !== null) {
      const head = this.pendingWrites[0]!;
      const written = this.socket.write(head);
      if (written < 0) throw new Error("socket closed");
      if (written < head.length) {
        this.pendingWrites[0] = head.subarray(written);
        return;
      }
      this.pendingWrites.shift();
    }
  }

  command(...args: (string | Uint8Array)[]): Promise<Reply> {
    const encoder = new TextEncoder();
    const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
      parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
    }
    const request = Buffer.concat(parts);
    const promise = new Promise<Reply>((resolve) => this.waiting.push(resolve));
    this.pendingWrites.push(new Uint8Array(request));
    if (this.pendingWrites.length === 1) this.flush();
    return promise;
  }

  private onData(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.received.length + chunk.length);
    merged.set(this.received);
    merged.set(chunk, this.received.length);
    this.received = merged;
    for (;;) {
      const parsed = parseReply(this.received, 0);
      if (parsed === null) return;
      this.received = this.received.slice(parsed.next);
      this.waiting.shift()!(parsed.reply);
    }
  }

  close(): void {
    this.socket?.end();
  }
}

function parseReply(buffer: Uint8Array, start: number): { reply: Reply; next: number } | null {
  const lineEnd = buffer.indexOf(13, start);
  if (lineEnd < 0 || lineEnd + 1 >= buffer.length) return null;
  const line = Buffer.from(buffer.subarray(start + 1, lineEnd)).toString("latin1");
  const afterLine = lineEnd + 2;
  switch (buffer[start]) {
    case 43 /* + */:
      return { reply: line, next: afterLine };
    case 45 /* - */:
      return { reply: { error: line }, next: afterLine };
    case 58 /* : */: {
      const n = BigInt(line);
      const asNumber = Number(n);
      return { reply: Number.isSafeInteger(asNumber) ? asNumber : n, next: afterLine };
    }
    case 36 /* $ */: {
      const length = Number(line);
      if (length < 0) return { reply: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return null;
      return { reply: buffer.slice(afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case 42 /* * */: {
      const count = Number(line);
      const items: Reply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (item === null) return null;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: items, next };
    }
    default:
      throw new Error(`unexpected reply byte ${buffer[start]}`);
  }
}

// ---------------------------------------------------------------------------
// The real server.

let redisServer: RunningServer | null = null;
const redis = new RespClient();

beforeAll(async () => {
  redisServer = await startRedis();
  await redis.connect(redisServer.port);
  expect(await redis.command("PING")).toBe("PONG");
});

afterAll(async () => {
  redis.close();
  await redisServer?.stop();
});

// ---------------------------------------------------------------------------
// The commands, modelled on our functions the way the command module uses them.

type ModelReply = number | bigint | string | { error: string };

class ModelServer {
  readonly keys = new Map<string, Uint8Array>();
  sparseMaxBytes = HLL_SPARSE_MAX_BYTES_DEFAULT;

  pfadd(key: string, elements: Uint8Array[]): ModelReply {
    const existing = this.keys.get(key);
    if (existing !== undefined && !hllIsValid(existing)) return errorOf(HLL_WRONGTYPE_ERR);
    try {
      const { value, changed } = hllAdd(existing ?? hllCreateSparse(), elements, this.sparseMaxBytes);
      this.keys.set(key, value);
      return changed || existing === undefined ? 1 : 0;
    } catch (error) {
      if (!(error instanceof HllError)) throw error;
      if (error.partialValue !== undefined) this.keys.set(key, error.partialValue);
      return errorOf(error.message);
    }
  }

  pfcount(keys: string[]): ModelReply {
    try {
      if (keys.length > 1) return hllCountUnion(this.existing(keys));
      const value = this.keys.get(keys[0]!);
      if (value === undefined) return 0;
      if (!hllIsValid(value)) return errorOf(HLL_WRONGTYPE_ERR);
      const { count, updatedCache } = hllCount([value]);
      if (updatedCache !== undefined) this.keys.set(keys[0]!, updatedCache);
      return count;
    } catch (error) {
      if (!(error instanceof HllError)) throw error;
      return errorOf(error.message);
    }
  }

  pfmerge(dest: string, sources: string[]): ModelReply {
    try {
      this.keys.set(dest, hllMerge(this.keys.get(dest), this.existing(sources), this.sparseMaxBytes));
      return "OK";
    } catch (error) {
      if (!(error instanceof HllError)) throw error;
      return errorOf(error.message);
    }
  }

  private existing(keys: string[]): Uint8Array[] {
    const values: Uint8Array[] = [];
    for (const key of keys) {
      const value = this.keys.get(key);
      if (value !== undefined) values.push(value);
    }
    return values;
  }
}

function errorOf(reply: string): { error: string } {
  return { error: reply.slice(1) };
}

const encoder = new TextEncoder();
const bytesOf = (text: string): Uint8Array => encoder.encode(text);
const hex = (bytes: Uint8Array | null | undefined): string => (bytes ? Buffer.from(bytes).toString("hex") : "(nil)");

function randomBytes(random: () => number, maxLength: number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * (maxLength + 1)));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

let keyCounter = 0;
function freshKey(label: string): string {
  return `hll:${label}:${keyCounter++}`;
}

async function redisGet(key: string): Promise<Uint8Array | null> {
  const reply = await redis.command("GET", key);
  if (reply !== null && !(reply instanceof Uint8Array)) throw new Error(`GET ${key}: ${JSON.stringify(reply)}`);
  return reply;
}

async function redisSet(key: string, value: Uint8Array): Promise<void> {
  expect(await redis.command("SET", key, value)).toBe("OK");
}

async function setSparseMaxBytes(model: ModelServer, bytes: number): Promise<void> {
  expect(await redis.command("CONFIG", "SET", "hll-sparse-max-bytes", String(bytes))).toBe("OK");
  model.sparseMaxBytes = bytes;
}

/** Runs PFADD on both sides and checks the reply and the stored bytes. */
async function bothPfadd(model: ModelServer, key: string, elements: Uint8Array[]): Promise<void> {
  const expected = await redis.command("PFADD", key, ...elements);
  expect(model.pfadd(key, elements)).toEqual(expected as ModelReply);
  expect(hex(model.keys.get(key))).toBe(hex(await redisGet(key)));
}

async function bothPfcount(model: ModelServer, keys: string[]): Promise<void> {
  const expected = await redis.command("PFCOUNT", ...keys);
  expect(model.pfcount(keys)).toEqual(expected as ModelReply);
  for (const key of keys) expect(hex(model.keys.get(key))).toBe(hex(await redisGet(key)));
}

async function bothPfmerge(model: ModelServer, dest: string, sources: string[]): Promise<void> {
  const expected = await redis.command("PFMERGE", dest, ...sources);
  expect(model.pfmerge(dest, sources)).toEqual(expected as ModelReply);
  expect(hex(model.keys.get(dest))).toBe(hex(await redisGet(dest)));
}

/** Puts the same raw bytes under `key` on both sides. */
async function bothSet(model: ModelServer, key: string, value: Uint8Array): Promise<void> {
  await redisSet(key, value);
  model.keys.set(key, value.slice());
}

function numberedElements(count: number, prefix: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(bytesOf(`${prefix}${i}`));
  return out;
}

async function addInChunks(model: ModelServer, key: string, elements: Uint8Array[], chunk: number): Promise<void> {
  for (let i = 0; i < elements.length; i += chunk) await bothPfadd(model, key, elements.slice(i, i + chunk));
}

// Hand-made values.

function header(encoding: number, cacheStale: boolean, card = 0n): Uint8Array {
  const out = new Uint8Array(16);
  out.set(bytesOf("HYLL"));
  out[4] = encoding;
  new DataView(out.buffer).setBigUint64(8, card, true);
  if (cacheStale) out[15]! |= 0x80;
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const zeroOp = (run: number): number[] => [run - 1];
const xzeroOp = (run: number): number[] => [0x40 | ((run - 1) >>> 8), (run - 1) & 0xff];
const valOp = (value: number, run: number): number[] => [0x80 | ((value - 1) << 2) | (run - 1)];

function sparseOf(opcodes: number[][], cacheStale = true, card = 0n): Uint8Array {
  return concat(header(1, cacheStale, card), new Uint8Array(opcodes.flat()));
}

function denseWithRegisters(registerAt: (index: number) => number, cacheStale = true): Uint8Array {
  const out = new Uint8Array(HLL_DENSE_SIZE);
  out.set(header(0, cacheStale));
  for (let index = 0; index < 16384; index++) {
    const value = registerAt(index);
    const bit = index * 6;
    const byte = 16 + (bit >>> 3);
    const shift = bit & 7;
    out[byte]! |= (value << shift) & 0xff;
    if (shift > 2) out[byte + 1]! |= value >>> (8 - shift);
  }
  return out;
}

/** A random, valid sparse body: opcodes of every kind that cover exactly 16384 registers. */
function randomValidSparse(random: () => number, zeroBias: number): Uint8Array {
  const opcodes: number[][] = [];
  let remaining = 16384;
  while (remaining > 0) {
    const pick = random();
    if (pick < zeroBias) {
      const run = Math.min(remaining, 1 + Math.floor(random() * (random() < 0.5 ? 64 : 700)));
      opcodes.push(run <= 64 && random() < 0.8 ? zeroOp(run) : xzeroOp(run));
      remaining -= run;
    } else {
      const run = Math.min(remaining, 1 + Math.floor(random() * 4));
      opcodes.push(valOp(1 + Math.floor(random() * (random() < 0.7 ? 4 : 32)), run));
      remaining -= run;
    }
  }
  return sparseOf(opcodes, random() < 0.5, BigInt(Math.floor(random() * 1000)));
}

// ---------------------------------------------------------------------------

describe("values created and grown by PFADD", () => {
  test("an empty PFADD creates the same sparse value as Redis", async () => {
    const model = new ModelServer();
    const key = freshKey("empty");
    await bothPfadd(model, key, []);
    expect(hex(hllCreateSparse())).toBe("48594c4c0100000000000000000000807fff");
    await bothPfcount(model, [key]);
    await bothPfadd(model, key, []);
  });

  for (const size of [1, 10, 1000, 100000]) {
    test(`${size} elements: bytes after each PFADD, PFCOUNT and its cached value`, async () => {
      const model = new ModelServer();
      const key = freshKey(`n${size}`);
      const elements = numberedElements(size, "element:");
      await addInChunks(model, key, elements, size >= 1000 ? 5000 : 3);
      await bothPfcount(model, [key]);
      // A second count reads the cache both sides wrote.
      await bothPfcount(model, [key]);
      // Re-adding known elements changes nothing.
      await addInChunks(model, key, elements.slice(0, 50), 25);
      await bothPfcount(model, [key]);
    });
  }

  test("binary elements, including empty ones and every byte value", async () => {
    const model = new ModelServer();
    const random = seededRandom(7);
    const key = freshKey("binary");
    const elements: Uint8Array[] = [new Uint8Array(0)];
    for (let byte = 0; byte < 256; byte++) elements.push(new Uint8Array([byte]), new Uint8Array([byte, 0, byte]));
    for (let i = 0; i < 4000; i++) elements.push(randomBytes(random, 40));
    await addInChunks(model, key, elements, 97);
    await bothPfcount(model, [key]);
  });

  test("element lengths 0..64 exercise every hash tail length", async () => {
    const model = new ModelServer();
    const random = seededRandom(99);
    const key = freshKey("tails");
    for (let length = 0; length <= 64; length++) {
      const element = new Uint8Array(length);
      for (let i = 0; i < length; i++) element[i] = Math.floor(random() * 256);
      await bothPfadd(model, key, [element]);
    }
    await bothPfcount(model, [key]);
  });

  for (const maxBytes of [0, 1, 20, 100, 5000, 20000]) {
    test(`hll-sparse-max-bytes ${maxBytes}: promotion happens at the same element`, async () => {
      const model = new ModelServer();
      await setSparseMaxBytes(model, maxBytes);
      try {
        const key = freshKey(`max${maxBytes}`);
        const elements = numberedElements(maxBytes > 3000 ? 12000 : 1500, `m${maxBytes}-`);
        await addInChunks(model, key, elements, maxBytes > 3000 ? 7 : 1);
        await bothPfcount(model, [key]);
      } finally {
        await setSparseMaxBytes(model, HLL_SPARSE_MAX_BYTES_DEFAULT);
      }
    });
  }

  test("a dense source with registers above 32 turns a sparse destination dense", async () => {
    const model = new ModelServer();
    const sparseKey = freshKey("sp");
    const denseKey = freshKey("dn");
    await bothSet(model, sparseKey, sparseOf([xzeroOp(100), valOp(3, 1), xzeroOp(16283)]));
    await bothSet(model, denseKey, denseWithRegisters((index) => (index === 5000 ? 40 : 0)));
    await bothPfmerge(model, sparseKey, [denseKey]);
    await bothPfcount(model, [sparseKey]);
  });
});

describe("MurmurHash64A", () => {
  test("hash of known inputs (checked through Redis's register choice)", async () => {
    // The register index and run length Redis derives from the hash are visible in the
    // sparse opcodes after adding one element to an empty HLL.
    for (const text of ["", "a", "hello", "12345678", "123456789", "0123456789abcdef"]) {
      const hash = murmurHash64A(bytesOf(text));
      const index = Number(hash & 0x3fffn);
      let rest = (hash >> 14n) | (1n << 50n);
      let count = 1;
      while ((rest & 1n) === 0n) {
        count++;
        rest >>= 1n;
      }
      const key = freshKey("hash");
      await redis.command("PFADD", key, text);
      const stored = (await redisGet(key))!;
      const expectedOps: number[][] = [];
      if (index > 0) expectedOps.push(index > 64 ? xzeroOp(index) : zeroOp(index));
      expectedOps.push(valOp(count, 1));
      const after = 16383 - index;
      if (after > 0) expectedOps.push(after > 64 ? xzeroOp(after) : zeroOp(after));
      expect(hex(stored.subarray(16))).toBe(hex(new Uint8Array(expectedOps.flat())));
    }
  });
});

describe("PFCOUNT", () => {
  test("several keys count the union; missing keys count as empty; caches are untouched", async () => {
    const model = new ModelServer();
    const a = freshKey("ua");
    const b = freshKey("ub");
    const c = freshKey("uc");
    await addInChunks(model, a, numberedElements(3000, "shared-"), 1000);
    await addInChunks(model, b, numberedElements(500, "shared-"), 500);
    await addInChunks(model, c, numberedElements(20, "c-"), 20);
    await bothPfcount(model, [a, b]);
    await bothPfcount(model, [b, c]);
    await bothPfcount(model, [a, b, c, freshKey("missing")]);
    await bothPfcount(model, [c, freshKey("missing")]);
    await bothPfcount(model, [freshKey("missing"), freshKey("missing")]);
    await bothPfcount(model, [freshKey("missing")]);
    // The same key twice still takes the union path.
    await bothPfcount(model, [c, c]);
  });

  test("a valid cache is returned as stored, even when the body would count differently", async () => {
    const model = new ModelServer();
    const key = freshKey("cached");
    await bothSet(model, key, sparseOf([xzeroOp(16384)], false, 123456789n));
    await bothPfcount(model, [key]);
    const huge = freshKey("cachedhuge");
    await bothSet(model, huge, sparseOf([xzeroOp(16384)], false, (1n << 62n) + 12345n));
    await bothPfcount(model, [huge]);
    expect(hllCount([model.keys.get(huge)!]).count).toBe((1n << 62n) + 12345n);
  });

  test("estimates past 2^53 and past 2^63 match Redis (hand-made dense values)", async () => {
    const model = new ModelServer();
    for (const register of [63, 52, 51, 50, 49, 45, 40, 33]) {
      const key = freshKey(`dense${register}`);
      await bothSet(model, key, denseWithRegisters(() => register));
      await bothPfcount(model, [key]);
      await bothPfcount(model, [key, freshKey("missing")]);
    }
    const mixed = freshKey("densemixed");
    await bothSet(model, mixed, denseWithRegisters((index) => (index * 7919) % 64));
    await bothPfcount(model, [mixed]);
    await bothPfcount(model, [mixed, mixed]);
  });

  test("count of a single value: number, cache write-back", () => {
    const added = hllAdd(hllCreateSparse(), numberedElements(100, "x"), 3000).value;
    const first = hllCount([added]);
    // Redis 7.0.15 answers 99 for these 100 elements.
    expect(first.count).toBe(99);
    expect(first.updatedCache).toBeDefined();
    expect(first.updatedCache![15]! & 0x80).toBe(0);
    const second = hllCount([first.updatedCache!]);
    expect(second).toEqual({ count: 99 });
    expect(hllCount([]).count).toBe(0);
  });
});

describe("PFMERGE", () => {
  test("sparse sources give a sparse result; a dense source gives a dense one", async () => {
    const model = new ModelServer();
    const small1 = freshKey("s1");
    const small2 = freshKey("s2");
    const big = freshKey("big");
    await addInChunks(model, small1, numberedElements(200, "a"), 200);
    await addInChunks(model, small2, numberedElements(300, "b"), 300);
    await addInChunks(model, big, numberedElements(20000, "c"), 5000);

    const sparseDest = freshKey("dest");
    await bothPfmerge(model, sparseDest, [small1, small2]);
    expect(model.keys.get(sparseDest)![4]).toBe(1);
    await bothPfcount(model, [sparseDest]);

    const denseDest = freshKey("dest");
    await bothPfmerge(model, denseDest, [small1, big]);
    expect(model.keys.get(denseDest)![4]).toBe(0);
    await bothPfcount(model, [denseDest]);

    // An existing destination is one of the inputs, and its old cache bytes carry over.
    await bothPfmerge(model, small1, [small2]);
    await bothPfmerge(model, small1, []);
    await bothPfmerge(model, small2, [big, freshKey("missing")]);
    await bothPfcount(model, [small1, small2]);
    await bothPfmerge(model, freshKey("dest"), []);
    await bothPfmerge(model, freshKey("dest"), [freshKey("missing")]);
  });

  test("merging many sparse values promotes the destination past hll-sparse-max-bytes", async () => {
    const model = new ModelServer();
    const sources: string[] = [];
    for (let i = 0; i < 8; i++) {
      const key = freshKey(`many${i}`);
      await addInChunks(model, key, numberedElements(250, `set${i}-`), 250);
      sources.push(key);
    }
    const dest = freshKey("manydest");
    await bothPfmerge(model, dest, sources.slice(0, 2));
    await bothPfmerge(model, dest, sources);
    expect(model.keys.get(dest)![4]).toBe(0);
    await bothPfcount(model, [dest]);
  });

  test("random sparse values of every opcode shape merge identically", async () => {
    const model = new ModelServer();
    const random = seededRandom(2024);
    for (let round = 0; round < 30; round++) {
      const a = freshKey("ra");
      const b = freshKey("rb");
      await bothSet(model, a, randomValidSparse(random, 0.3 + random() * 0.6));
      await bothSet(model, b, randomValidSparse(random, 0.3 + random() * 0.6));
      const dest = random() < 0.5 ? a : freshKey("rdest");
      await bothPfmerge(model, dest, [a, b]);
      await bothPfcount(model, [dest]);
    }
  });
});

describe("moving values between Redis and Bunker", () => {
  test("values written by either side keep working on the other", async () => {
    const model = new ModelServer();
    for (const size of [5, 800, 6000]) {
      // Bunker's value goes to Redis...
      const ours = hllAdd(hllCreateSparse(), numberedElements(size, "move-"), HLL_SPARSE_MAX_BYTES_DEFAULT).value;
      const key = freshKey(`move${size}`);
      await bothSet(model, key, ours);
      await bothPfcount(model, [key]);
      await addInChunks(model, key, numberedElements(size, "more-"), 1000);
      await bothPfcount(model, [key]);
      // ...and Redis's comes back.
      const fromRedis = (await redisGet(key))!;
      const other = freshKey(`back${size}`);
      await bothSet(model, other, fromRedis);
      await addInChunks(model, other, numberedElements(300, "again-"), 100);
      await bothPfcount(model, [other]);
    }
  });
});

describe("PFADD on hand-made sparse values", () => {
  test("non-canonical opcodes (split runs, XZERO of 1, mergeable VALs) are edited like Redis", async () => {
    const model = new ModelServer();
    const shapes: number[][][] = [
      [zeroOp(1), valOp(2, 2), valOp(2, 1), zeroOp(64), xzeroOp(1), xzeroOp(16315)],
      [valOp(1, 4), valOp(1, 4), valOp(1, 4), xzeroOp(16372)],
      [xzeroOp(8192), xzeroOp(8192)],
      [zeroOp(64), zeroOp(64), zeroOp(2), valOp(32, 4), xzeroOp(16250)],
    ];
    for (const shape of shapes) {
      const key = freshKey("shape");
      await bothSet(model, key, sparseOf(shape));
      await addInChunks(model, key, numberedElements(3000, "shape-"), 7);
      await bothPfcount(model, [key]);
    }
  });

  test("random valid sparse values: every PFADD gives the same bytes", async () => {
    const model = new ModelServer();
    const random = seededRandom(31337);
    for (let round = 0; round < 40; round++) {
      const key = freshKey("fuzz");
      await bothSet(model, key, randomValidSparse(random, 0.2 + random() * 0.7));
      const elements: Uint8Array[] = [];
      const count = 1 + Math.floor(random() * 400);
      for (let i = 0; i < count; i++) elements.push(randomBytes(random, 12));
      await addInChunks(model, key, elements, 1 + Math.floor(random() * 20));
      await bothPfcount(model, [key]);
    }
  });
});

describe("invalid and corrupted values", () => {
  test("header checks (isHLLObjectOrReply) reject the same values with WRONGTYPE", async () => {
    const model = new ModelServer();
    const dense = denseWithRegisters(() => 1);
    const rejected: Uint8Array[] = [
      bytesOf("not an hll at all"),
      bytesOf("HYLL"),
      header(1, true).subarray(0, 15),
      concat(bytesOf("HYLX"), header(1, true).subarray(4), new Uint8Array(xzeroOp(16384))),
      concat(header(2, true), new Uint8Array(xzeroOp(16384))),
      dense.subarray(0, HLL_DENSE_SIZE - 1),
      concat(dense, new Uint8Array(1)),
    ];
    for (const value of rejected) {
      expect(hllIsValid(value)).toBe(false);
      const key = freshKey("bad");
      await bothSet(model, key, value);
      await bothPfadd(model, key, [bytesOf("x")]);
      await bothPfcount(model, [key]);
      await bothPfcount(model, [key, freshKey("missing")]);
      await bothPfmerge(model, freshKey("dest"), [key]);
      await bothPfmerge(model, key, []);
    }
    expect(hllIsValid(header(1, true))).toBe(true);
    expect(hllIsValid(dense)).toBe(true);
    expect(() => hllAdd(bytesOf("nope"), [], 3000)).toThrow(HLL_WRONGTYPE_ERR);
  });

  test("corrupted sparse bodies are reported where Redis reports them", async () => {
    const model = new ModelServer();
    const bodies: Uint8Array[] = [
      header(1, true),
      sparseOf([xzeroOp(100)]),
      sparseOf([xzeroOp(16384), zeroOp(1)]),
      sparseOf([xzeroOp(16383), valOp(5, 2)]),
      sparseOf([xzeroOp(16000), valOp(3, 4), xzeroOp(500)]),
      sparseOf([valOp(4, 3), xzeroOp(8000)]),
      sparseOf([xzeroOp(100)], false, 42n),
      concat(sparseOf([xzeroOp(16000)]), new Uint8Array([0x45])),
      concat(sparseOf([zeroOp(3), valOp(2, 1), xzeroOp(16000)]), new Uint8Array([0x40])),
    ];
    for (const body of bodies) {
      for (const elements of [[bytesOf("x")], numberedElements(60, "corrupt-"), numberedElements(3000, "corrupt-")]) {
        const key = freshKey("corrupt");
        await bothSet(model, key, body);
        await bothPfadd(model, key, elements);
        await bothPfcount(model, [key]);
        await bothPfcount(model, [key, freshKey("missing")]);
        await bothPfmerge(model, freshKey("dest"), [key]);
        await bothPfmerge(model, key, []);
      }
    }
  });

  test("PFADD that meets corruption mid-way keeps the registers it already changed", async () => {
    const model = new ModelServer();
    const indexOf = (element: Uint8Array): number => Number(murmurHash64A(element) & 0x3fffn);
    const candidates = numberedElements(20000, "partial-");
    const inRange = candidates.filter((element) => indexOf(element) < 100).slice(0, 3);
    const outOfRange = candidates.find((element) => indexOf(element) >= 100)!;
    expect(inRange.length).toBe(3);
    for (const cacheStale of [true, false]) {
      const key = freshKey("partial");
      await bothSet(model, key, sparseOf([xzeroOp(100)], cacheStale, 7n));
      await bothPfadd(model, key, [...inRange, outOfRange, inRange[0]!]);
      await bothPfcount(model, [key]);
    }
    try {
      hllAdd(sparseOf([xzeroOp(100)]), [inRange[0]!, outOfRange], 3000);
      throw new Error("hllAdd accepted a corrupted value");
    } catch (error) {
      expect(error).toBeInstanceOf(HllError);
      expect((error as HllError).partialValue).toBeDefined();
    }
  });

  test("random bytes after a sparse header behave the same on both sides", async () => {
    const model = new ModelServer();
    const random = seededRandom(4242);
    for (let round = 0; round < 60; round++) {
      const key = freshKey("garbage");
      const body = randomBytes(random, 80);
      // Skew towards XZERO opcodes so bodies often come near 16384 registers.
      for (let i = 0; i < body.length; i += 2) if (random() < 0.5) body[i] = 0x40 | (body[i]! & 0x0f);
      await bothSet(model, key, concat(header(1, random() < 0.8), body));
      await bothPfadd(model, key, numberedElements(1 + Math.floor(random() * 40), `g${round}-`));
      await bothPfcount(model, [key]);
      await bothPfmerge(model, freshKey("dest"), [key]);
    }
  });

  test("HllError carries the Redis reply text", () => {
    expect(HLL_INVALID_ERR).toBe("-INVALIDOBJ Corrupted HLL object detected");
    expect(HLL_WRONGTYPE_ERR).toBe("-WRONGTYPE Key is not a valid HyperLogLog string value.");
    const corrupt = sparseOf([xzeroOp(100)]);
    expect(() => hllCount([corrupt])).toThrow(HLL_INVALID_ERR);
    expect(() => hllMerge(undefined, [corrupt], 3000)).toThrow(HLL_INVALID_ERR);
  });
});

describe("API contract", () => {
  test("inputs are never mutated; unchanged PFADD returns the input itself", () => {
    const start = hllAdd(hllCreateSparse(), numberedElements(50, "keep-"), 3000).value;
    const snapshot = start.slice();
    const again = hllAdd(start, numberedElements(50, "keep-"), 3000);
    expect(again.changed).toBe(false);
    expect(again.value).toBe(start);
    const grown = hllAdd(start, numberedElements(5000, "grow-"), 3000);
    expect(grown.changed).toBe(true);
    expect(grown.value[4]).toBe(0);
    expect(hex(start)).toBe(hex(snapshot));
    const denseSnapshot = grown.value.slice();
    hllAdd(grown.value, numberedElements(100, "more-"), 3000);
    hllCount([grown.value]);
    hllMerge(grown.value, [start], 3000);
    expect(hex(grown.value)).toBe(hex(denseSnapshot));
  });

  test("hllCount's union path equals counting the merged value", () => {
    const a = hllAdd(hllCreateSparse(), numberedElements(4000, "u-"), 3000).value;
    const b = hllAdd(hllCreateSparse(), numberedElements(700, "v-"), 3000).value;
    const union: HllCardinality = hllCount([a, b]).count;
    expect(union).toBe(hllCountUnion([a, b]));
    expect(union).toBe(hllCount([hllMerge(undefined, [a, b], 3000)]).count);
    expect(Math.abs(Number(union) - 4700) / 4700).toBeLessThan(0.03);
  });

  test("100k adds take well under a second", () => {
    const elements = numberedElements(100000, "speed-");
    const started = performance.now();
    const { value } = hllAdd(hllCreateSparse(), elements, HLL_SPARSE_MAX_BYTES_DEFAULT);
    const elapsed = performance.now() - started;
    const count = Number(hllCount([value]).count);
    expect(Math.abs(count - 100000) / 100000).toBeLessThan(0.02);
    expect(elapsed).toBeLessThan(500);
  });
});
