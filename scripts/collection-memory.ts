#!/usr/bin/env bun
// In-process memory per element of hashes and sets, for before/after comparisons of the
// collection encodings: builds many collections of one shape, collects garbage, and
// divides what JSC's heap size grew by the number of elements. heapSize counts typed
// arrays' bytes too (extraMemorySize would count them a second time).
//
//   bun scripts/collection-memory.ts [--only hash10,intset10,hash5000,set5000]
//
// Shapes (fields ~10 bytes, values ~20 bytes, as the mixed dataset):
//   hash10    20k hashes of 10 fields   (listpack)
//   intset10  20k sets of 10 integers   (intset)
//   hash5000  20 hashes of 5000 fields  (hashtable)
//   set5000   20 sets of 5000 strings   (hashtable)
// Only the API common to the old and new type modules is used (set/add, convertIfNeeded).

import { heapStats } from "bun:jsc";
import { RedisHash } from "../src/db/hash.ts";
import { RedisSet } from "../src/db/set.ts";
import { textToBytes } from "../src/db/bytes.ts";

const args = process.argv.slice(2);
const onlyIndex = args.indexOf("--only");
const ONLY = (onlyIndex >= 0 ? args[onlyIndex + 1]! : "hash10,intset10,hash5000,set5000").split(",");

function used(): number {
  Bun.gc(true);
  Bun.gc(true);
  const stats = heapStats();
  return stats.heapSize;
}

/** A 20-byte value that differs per element (so nothing is shared). */
function value(i: number): Uint8Array {
  return textToBytes(`value-${String(i).padStart(14, "0")}`);
}

const shapes: Record<string, { collections: number; elements: number; build: (c: number) => unknown }> = {
  hash10: {
    collections: 20_000,
    elements: 10,
    build: (c) => {
      const hash = new RedisHash();
      for (let i = 0; i < 10; i++) hash.set(`field:${String(i).padStart(4, "0")}`, value(c * 10 + i));
      hash.convertIfNeeded(128, 64);
      return hash;
    },
  },
  intset10: {
    collections: 20_000,
    elements: 10,
    build: (c) => {
      const set = new RedisSet();
      for (let i = 0; i < 10; i++) set.add(String(c * 10 + i));
      set.convertIfNeeded(512);
      return set;
    },
  },
  hash5000: {
    collections: 20,
    elements: 5000,
    build: (c) => {
      const hash = new RedisHash();
      for (let i = 0; i < 5000; i++) {
        hash.set(`f:${String(i).padStart(8, "0")}`, value(c * 5000 + i));
        hash.convertIfNeeded(128, 64);
      }
      return hash;
    },
  },
  set5000: {
    collections: 20,
    elements: 5000,
    build: (c) => {
      const set = new RedisSet();
      for (let i = 0; i < 5000; i++) {
        set.add(`m:${c}:${String(i).padStart(6, "0")}`);
        set.convertIfNeeded(512);
      }
      return set;
    },
  },
};

for (const name of ONLY) {
  const shape = shapes[name];
  if (shape === undefined) throw new Error(`unknown shape ${name}`);
  const before = used();
  const kept: unknown[] = [];
  for (let c = 0; c < shape.collections; c++) kept.push(shape.build(c));
  const after = used();
  const elements = shape.collections * shape.elements;
  const encoding = (kept[0] as { encoding: string }).encoding;
  console.log(`${name.padEnd(9)} ${encoding.padEnd(9)} ${((after - before) / elements).toFixed(1)} bytes/element (${shape.collections} x ${shape.elements})`);
  kept.length = 0;
}
