// In-process micro-benchmark of the RDB codec: builds the mixed dataset of
// scripts/bench.ts's loadMixed (70% short strings, 10% small hashes, 10% small
// lists, 5% small sets, 5% small sorted sets) as the commands would build it,
// encodes it through RdbEncoder.writeKey into a real file (as SAVE does), then
// decodes the file through RdbDecoder. It compares the codec only with itself:
// the ratios against Redis come from `bun scripts/bench.ts --only persistence`.
//
//   bun scripts/bench-rdb-codec.ts [--keys 1000000] [--repeat 3] [--parts] [--profile-only encode|decode]
//   bun scripts/bench-rdb-codec.ts --write DIR     (just writes DIR/dump.rdb, e.g. to time a server start-up)
//
// --parts also times the pieces in isolation (CRC-64 of the file, LZF of every
// string value, listpack building, key conversions, the file write alone) so a
// change can be judged by the piece it targets.

import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RedisValue } from "../src/db/types.ts";
import { RedisHash } from "../src/db/hash.ts";
import { RedisList } from "../src/db/list.ts";
import { RedisSet } from "../src/db/set.ts";
import { RedisZSet } from "../src/db/zset.ts";
import { bytesToKey, textToBytes } from "../src/db/bytes.ts";
import { DEFAULT_ENCODE_OPTIONS, RdbEncoder, ValueEncoder } from "../src/persistence/rdb/encoder.ts";
import { DEFAULT_LOAD_LIMITS, RdbDecoder } from "../src/persistence/rdb/decoder.ts";
import { Crc64 } from "../src/persistence/rdb/crc64.ts";
import { lzfCompress } from "../src/persistence/rdb/lzf.ts";
import { RdbFileWriter } from "../src/persistence/rdb-file.ts";

const args = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1]! : fallback;
}
const KEYS = Number(option("--keys", "1000000"));
const REPEAT = Number(option("--repeat", "3"));
const PARTS = args.includes("--parts");
const ONLY = option("--profile-only", "");
const WRITE_DIR = option("--write", "");

/** The values loadMixed creates, built through the same methods the command handlers use. */
function buildDataset(count: number): { keys: string[]; values: RedisValue[] } {
  const keys: string[] = new Array(count);
  const values: RedisValue[] = new Array(count);
  const ys = "y".repeat(20);
  for (let i = 0; i < count; i++) {
    const kind = i % 20;
    keys[i] = `m:${i}`;
    if (kind < 14) {
      values[i] = textToBytes(`value-${i}-${ys}`);
    } else if (kind < 16) {
      const hash = new RedisHash();
      const pairs = ["f1", "v1", "f2", String(i), "f3", "hello world", "f4", "x", "f5", "yy"];
      for (let p = 0; p < pairs.length; p += 2) hash.set(pairs[p]!, textToBytes(pairs[p + 1]!));
      hash.convertIfNeeded(DEFAULT_LOAD_LIMITS.hashMaxListpackEntries, DEFAULT_LOAD_LIMITS.hashMaxListpackValue);
      values[i] = hash;
    } else if (kind < 18) {
      const list = new RedisList();
      for (const element of ["a", "b", String(i), "dddd", "eeeeeeeeee"]) list.pushTail(textToBytes(element));
      values[i] = list;
    } else if (kind < 19) {
      const set = new RedisSet();
      for (const member of ["1", "2", "3", String(i), "five"]) set.add(member);
      set.convertIfNeeded(DEFAULT_LOAD_LIMITS.setMaxIntsetEntries);
      values[i] = set;
    } else {
      const zset = new RedisZSet();
      const pairs: [string, number][] = [["a", 1], ["b", 2.5], ["c", 3], ["d", i], ["e", -1]];
      for (const [member, score] of pairs) zset.add(member, score);
      zset.convertIfNeeded(DEFAULT_LOAD_LIMITS.zsetMaxListpackEntries, DEFAULT_LOAD_LIMITS.zsetMaxListpackValue);
      values[i] = zset;
    }
  }
  return { keys, values };
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

/** CPU seconds (user + system, GC threads included) of this process so far: steadier than wall time on a busy machine. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function best(label: string, runs: number[], cpuRuns: number[] = []): string {
  const sorted = [...runs].sort((a, b) => a - b);
  const cpu = cpuRuns.length > 0 ? `   cpu best ${Math.min(...cpuRuns).toFixed(3)} s` : "";
  return `${label.padEnd(34)} best ${sorted[0]!.toFixed(3)} s   median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)} s${cpu}`;
}

const encoderOptions = { ...DEFAULT_ENCODE_OPTIONS, checksum: true };

/** What persistence.ts's writeSnapshotFile does: temp file, writeKey per key, finish, commit. */
function encodeToFile(dir: string, keys: string[], values: RedisValue[]): number {
  const file = new RdbFileWriter(dir, "dump.rdb", process.pid, true);
  const failure = file.open();
  if (failure !== null) throw new Error(failure.logLine);
  const encoder = new RdbEncoder((chunk) => file.write(chunk), encoderOptions);
  encoder.writeHeader({ redisVer: "7.0.15", ctime: 1700000000, usedMem: 1000000, aofBase: false });
  encoder.selectDb(0, keys.length, 0);
  for (let i = 0; i < keys.length; i++) {
    encoder.writeKey(Buffer.from(keys[i]!, "latin1"), values[i]!, undefined);
  }
  encoder.finish();
  const commitFailure = file.commit();
  if (commitFailure !== null) throw new Error(commitFailure.logLine);
  return encoder.bytesWritten;
}

/** The encoder alone: a sink that drops the chunks (no CRC-free variant: the CRC is part of encoding). */
function encodeToNothing(keys: string[], values: RedisValue[], checksum: boolean): number {
  const encoder = new RdbEncoder(() => {}, { ...encoderOptions, checksum });
  encoder.writeHeader({ redisVer: "7.0.15", ctime: 1700000000, usedMem: 1000000, aofBase: false });
  encoder.selectDb(0, keys.length, 0);
  for (let i = 0; i < keys.length; i++) {
    encoder.writeKey(Buffer.from(keys[i]!, "latin1"), values[i]!, undefined);
  }
  encoder.finish();
  return encoder.bytesWritten;
}

/** Decodes the file; `collect` also converts the key and stores the pair, as a load into a keyspace does. */
async function decodeFile(path: string, collect: boolean): Promise<number> {
  const decoder = RdbDecoder.fromFile(path, { ...DEFAULT_LOAD_LIMITS });
  const keyspace = new Map<string, RedisValue>();
  const summary = await decoder.load({
    onKey: collect
      ? (_db, key, value) => {
          keyspace.set(bytesToKey(key), value);
        }
      : () => {},
  });
  if (summary.checksum !== "verified") throw new Error(`checksum ${summary.checksum}`);
  return summary.keysLoaded;
}

async function main(): Promise<void> {
  if (WRITE_DIR !== "") {
    const { keys, values } = buildDataset(KEYS);
    const size = encodeToFile(WRITE_DIR, keys, values);
    console.log(`wrote ${join(WRITE_DIR, "dump.rdb")} (${size} bytes)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-rdb-codec-"));
  try {
    let started = performance.now();
    const { keys, values } = buildDataset(KEYS);
    console.log(`built ${KEYS} mixed values in ${seconds(started).toFixed(2)} s`);
    const path = join(dir, "dump.rdb");

    const encodeRuns: number[] = [];
    const encodeNullRuns: number[] = [];
    const decodeNoopRuns: number[] = [];
    const decodeCollectRuns: number[] = [];
    const cpu = { encode: [] as number[], encodeNull: [] as number[], decodeNoop: [] as number[], decodeCollect: [] as number[] };
    let cpuStart = 0;
    let size = 0;
    for (let run = 0; run < REPEAT; run++) {
      if (ONLY !== "decode") {
        Bun.gc(true);
        started = performance.now();
        cpuStart = cpuSeconds();
        size = encodeToFile(dir, keys, values);
        encodeRuns.push(seconds(started));
        cpu.encode.push(cpuSeconds() - cpuStart);
        if (ONLY === "encode") continue;
        Bun.gc(true);
        started = performance.now();
        cpuStart = cpuSeconds();
        encodeToNothing(keys, values, true);
        encodeNullRuns.push(seconds(started));
        cpu.encodeNull.push(cpuSeconds() - cpuStart);
      } else if (run === 0) {
        size = encodeToFile(dir, keys, values);
      }
      Bun.gc(true);
      started = performance.now();
      cpuStart = cpuSeconds();
      const loaded = await decodeFile(path, false);
      decodeNoopRuns.push(seconds(started));
      cpu.decodeNoop.push(cpuSeconds() - cpuStart);
      if (loaded !== KEYS) throw new Error(`decoded ${loaded} keys, expected ${KEYS}`);
      if (ONLY === "decode") continue;
      Bun.gc(true);
      started = performance.now();
      cpuStart = cpuSeconds();
      await decodeFile(path, true);
      decodeCollectRuns.push(seconds(started));
      cpu.decodeCollect.push(cpuSeconds() - cpuStart);
    }
    console.log(`file: ${(size / 1048576).toFixed(1)} MiB (${size} bytes), sha ${new Bun.CryptoHasher("sha1").update(readFileSync(path)).digest("hex").slice(0, 12)}`);
    if (encodeRuns.length > 0) console.log(best("encode to file (SAVE path)", encodeRuns, cpu.encode));
    if (encodeNullRuns.length > 0) console.log(best("encode, sink drops chunks", encodeNullRuns, cpu.encodeNull));
    if (decodeNoopRuns.length > 0) console.log(best("decode, no-op onKey", decodeNoopRuns, cpu.decodeNoop));
    if (decodeCollectRuns.length > 0) console.log(best("decode, keys into a Map", decodeCollectRuns, cpu.decodeCollect));

    if (PARTS) await parts(path, keys, values);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pieces in isolation. */
async function parts(path: string, keys: string[], values: RedisValue[]): Promise<void> {
  const file = readFileSync(path);
  const time = (label: string, body: () => void): void => {
    const runs: number[] = [];
    for (let run = 0; run < REPEAT; run++) {
      const started = performance.now();
      body();
      runs.push(seconds(started));
    }
    console.log(best(label, runs));
  };
  console.log(`\n-- parts (${statSync(path).size} bytes file) --`);
  time("CRC-64 of the file (64 KiB chunks)", () => {
    const crc = new Crc64();
    for (let at = 0; at < file.length; at += 65536) crc.update(file.subarray(at, Math.min(file.length, at + 65536)));
    crc.digest();
  });
  const strings = values.filter((value): value is Uint8Array => value instanceof Uint8Array);
  time(`LZF of the ${strings.length} string values`, () => {
    for (const value of strings) lzfCompress(value, value.length - 4);
  });
  time("Buffer.from(key, latin1) for every key", () => {
    for (const key of keys) Buffer.from(key, "latin1");
  });
  const valueEncoder = new ValueEncoder();
  time("encodeValue of every collection", () => {
    for (const value of values) if (!(value instanceof Uint8Array)) valueEncoder.encode(value, DEFAULT_ENCODE_OPTIONS);
  });
  const keyBytes = keys.map((key) => Buffer.from(key, "latin1"));
  time("bytesToKey for every key", () => {
    for (const bytes of keyBytes) bytesToKey(bytes);
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-rdb-write-"));
  try {
    time("file write alone (64 KiB chunks, fsync 4 MiB)", () => {
      const writer = new RdbFileWriter(dir, "dump.rdb", process.pid, true);
      writer.open();
      for (let at = 0; at < file.length; at += 65536) writer.write(file.slice(at, Math.min(file.length, at + 65536)));
      writer.commit();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
