// What a key and its value cost in memory, as Bunker counts it: the number behind
// used_memory, eviction and MEMORY USAGE (Redis gets these from zmalloc's counter and
// object.c's objectComputeSize).
//
// Every figure is O(1) to read: each collection keeps its own total up to date as it
// changes, so the keyspace can re-measure a value after every write.
//
// What is counted is what the value allocates while it lives: object cells, typed
// arrays at their capacity (spare room included, as jemalloc's size classes are), and
// the bytes of keys and short strings in the key table's arenas. Garbage the JS heap
// has not collected yet, freed arena bytes waiting for reuse and the runtime itself are
// not: they show in RSS, so in mem_fragmentation_ratio, as allocator slack does in Redis.
//
// The constants were measured on Bun (JSC): heapUsed per object, growing 200k of them
// (scripts/memory-calibrate.ts measures them again).

import type { RedisValue } from "./types.ts";

/** A JS object's cell header (structure id, butterfly pointer). */
const OBJECT_HEADER_BYTES = 16;
/** One inline property slot. */
const PROPERTY_BYTES = 8;
/**
 * A typed array's cost beyond its bytes: the view cell and the storage header.
 * Measured: Uint8Array(16) 64 bytes, (100) 160, (600) 656.
 */
export const TYPED_ARRAY_OVERHEAD = 56;
/** A JS array's cost beyond its element slots (cell and butterfly header). */
const ARRAY_OVERHEAD = 32;

/** The cell of an object with `properties` own fields. */
export function objectBytes(properties: number): number {
  return OBJECT_HEADER_BYTES + properties * PROPERTY_BYTES;
}

/** A typed array (or ArrayBuffer) of `byteLength` bytes. */
export function typedArrayBytes(byteLength: number): number {
  return TYPED_ARRAY_OVERHEAD + byteLength;
}

/** A JS array with room for `capacity` elements (the elements' own cost is not included). */
export function arrayBytes(capacity: number): number {
  return ARRAY_OVERHEAD + capacity * PROPERTY_BYTES;
}

/** A Map or Set's cost per entry (hash table bucket and ordered entry list), without the keys and values. */
export const MAP_ENTRY_BYTES = 48;
/** A Map or Set's own cells. */
export const MAP_BYTES = 96;

/** A JS string of `length` latin1 characters (a Map key). */
export function stringBytes(length: number): number {
  return 24 + length;
}

/**
 * Per key in the key table, whatever its value: the slot's fields in the pages (stored,
 * hash, kind, key and value locations and lengths, expiry, LRU, LFU, the volatile
 * position, this figure) and two positions of the index, which is at most half full.
 */
export const KEY_SLOT_BYTES = 8 + 4 + 1 + 4 + 4 + 8 + 4 + 1 + 4 + 2 + 4 + 8 + 2 * 4;
/** A key with a TTL also has an entry in the volatile list (which grows by doubling). */
export const EXPIRE_ENTRY_BYTES = 8;

/**
 * A value kept as an object of its own: a string outside the value arena, or a
 * collection (whose memoryUsage() is kept current by the collection itself).
 */
export function valueMemoryUsage(value: RedisValue): number {
  if (value instanceof Uint8Array) return typedArrayBytes(value.byteLength);
  return value.memoryUsage();
}
