#!/usr/bin/env bun
// In-process benchmark of the sorted set value (src/db/zset.ts): memory per element and
// the cost of the operations behind ZADD, ZSCORE, ZRANK, ZRANGE 0 10, ZREM and ZPOPMIN,
// on a small (listpack) and a large (skiplist-encoded) set with random scores.
//
//   bun scripts/bench-zset.ts [--module path/to/zset.ts] [--large 100000] [--small 100]
//
// --module points at another checkout's zset.ts to compare before and after with the same
// script (only the API both share is used: add, score, rank, rangeByRank, delete, popMin,
// addWithFlags, convertIfNeeded).

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const modulePath = option("module", new URL("../src/db/zset.ts", import.meta.url).pathname);
const LARGE = Number(option("large", "100000"));
const SMALL = Number(option("small", "100"));

interface ZSetLike {
  readonly encoding: string;
  readonly size: number;
  add(member: string, score: number): string;
  addWithFlags(member: string, score: number, flags: object, maxEntries?: number, maxValueBytes?: number): { outcome: string };
  convertIfNeeded(maxEntries: number, maxValueBytes: number): boolean;
  score(member: string): number | undefined;
  rank(member: string): number | undefined;
  rangeByRank(start: number, stop: number): unknown[];
  delete(member: string): boolean;
  popMin(count?: number): unknown[];
}
const { RedisZSet } = (await import(modulePath)) as { RedisZSet: new () => ZSetLike };
const jsc = require("bun:jsc") as { heapStats(): { heapSize: number } };

/** ZADD's path: the limits are passed in (new) or checked after the add (old). */
const limitsInAdd = RedisZSet.prototype.addWithFlags.length >= 4 || "loadMember" in RedisZSet.prototype;
function zadd(zset: ZSetLike, member: string, score: number): void {
  if (limitsInAdd) zset.addWithFlags(member, score, {}, 128, 64);
  else {
    zset.addWithFlags(member, score, {});
    zset.convertIfNeeded(128, 64);
  }
}

/** JSC's heap size, which counts typed arrays' backing stores too (extraMemorySize is part of it). */
function heapBytes(): number {
  Bun.gc(true);
  Bun.gc(true);
  return jsc.heapStats().heapSize;
}

function memoryPerElement(sets: number, members: number): { encoding: string; bytes: number } {
  const before = heapBytes();
  const kept: ZSetLike[] = [];
  for (let s = 0; s < sets; s++) {
    const zset = new RedisZSet();
    for (let i = 0; i < members; i++) zadd(zset, `element:${s * members + i}`, Math.floor(Math.random() * 1e6) / 100);
    kept.push(zset);
  }
  const after = heapBytes();
  const bytes = (after - before) / (sets * members);
  return { encoding: kept[0]!.encoding, bytes: kept.length > 0 ? bytes : 0 };
}

function time(label: string, operations: number, run: () => void): void {
  const start = performance.now();
  run();
  const ns = ((performance.now() - start) * 1e6) / operations;
  console.log(`  ${label.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns/op`);
}

function operations(size: number): void {
  const zset = new RedisZSet();
  const members = Array.from({ length: size }, (_, i) => `element:${i}`);
  const picks = Array.from({ length: 200000 }, () => members[Math.floor(Math.random() * size)]!);
  const scores = Array.from({ length: 200000 }, () => Math.random() * 1e6);
  time(`ZADD new, random scores (to ${size})`, size, () => {
    for (let i = 0; i < size; i++) zadd(zset, members[i]!, scores[i % scores.length]!);
  });
  console.log(`  (encoding ${zset.encoding})`);
  const n = picks.length;
  time("ZADD existing, new random score", n, () => {
    for (let i = 0; i < n; i++) zadd(zset, picks[i]!, scores[(i * 7) % n]!);
  });
  time("ZSCORE", n, () => {
    for (let i = 0; i < n; i++) zset.score(picks[i]!);
  });
  time("ZRANK", n, () => {
    for (let i = 0; i < n; i++) zset.rank(picks[i]!);
  });
  const ranges = Math.min(n, 100000);
  time("ZRANGE 0 10", ranges, () => {
    for (let i = 0; i < ranges; i++) zset.rangeByRank(0, 10);
  });
  const churn = Math.min(n, 50000);
  time("ZREM + ZADD back (random member)", churn, () => {
    for (let i = 0; i < churn; i++) {
      const member = picks[i]!;
      zset.delete(member);
      zadd(zset, member, scores[i]!);
    }
  });
  const pops = Math.min(size, 50000);
  time(`ZPOPMIN (${pops} of ${size})`, pops, () => {
    for (let i = 0; i < pops; i++) zset.popMin(1);
  });
}

console.log(`module ${modulePath}`);
const small = memoryPerElement(20000, 10);
console.log(`memory: 10-member zsets (${small.encoding}): ${small.bytes.toFixed(1)} bytes/element`);
const big = memoryPerElement(40, 5000);
console.log(`memory: 5000-member zsets (${big.encoding}): ${big.bytes.toFixed(1)} bytes/element`);
console.log(`small zset (${SMALL} members):`);
operations(SMALL);
console.log(`large zset (${LARGE} members):`);
operations(LARGE);
