// DEBUG HTSTATS and HTSTATS-KEY: Redis's dictGetStats text (dict.c) for Bunker's own
// hash tables, the key table's index (keytable.ts) and a collection's Dict (dict.ts).
//
// Redis's dict chains the entries whose hashes fall in a bucket; Bunker's tables are
// open addressing with linear probing, where an entry sits at or after its home
// position (hash & mask). The nearest honest equivalent of a chain is the set of
// entries whose home is a position: what a chained table of the same size and hash
// would hold in that bucket. So "table size" is the index's length, "number of
// elements" the entries in it, "different slots" the positions that are some entry's
// home, and the chain-length histogram counts entries per home position. The numbers
// are Bunker's, not Redis's: its index is kept at most half full (Redis's dict grows
// at one element per bucket) and its hash is not siphash.

import { formatPrintfFixed } from "../util/float.ts";

/** Redis's DICT_STATS_VECTLEN: chains of 49 or more are counted together (and not printed). */
const STATS_VECTLEN = 50;

/** One index's shape: its size and, per position, how many entries have it as their home. */
export interface IndexShape {
  size: number;
  used: number;
  /** Entries per home position (length `size`). */
  homes: Uint32Array;
}

/** The shape of an index of slot+1 entries (0 empty, <0 a marker), keeping the slots `keep` accepts. */
export function indexShape(index: Int32Array, hashOf: (slot: number) => number, keep: (slot: number) => boolean): IndexShape {
  const mask = index.length - 1;
  const homes = new Uint32Array(index.length);
  let used = 0;
  for (let position = 0; position < index.length; position++) {
    const entry = index[position]!;
    if (entry <= 0 || !keep(entry - 1)) continue;
    homes[hashOf(entry - 1) & mask]!++;
    used++;
  }
  return { size: index.length, used, homes };
}

const f32 = Math.fround;

/** _dictGetStatsHt: the text of table `tableIndex` (0 the main one, 1 a rehash's target). */
function tableStats(shape: IndexShape, tableIndex: number): string {
  const title = `Hash table ${tableIndex} stats (${tableIndex === 0 ? "main hash table" : "rehashing target"}):\n`;
  if (shape.used === 0) return title + "No stats available for empty dictionaries\n";
  const lengths = new Array<number>(STATS_VECTLEN).fill(0);
  let slots = 0;
  let maxChain = 0;
  let totalChain = 0;
  for (let i = 0; i < shape.size; i++) {
    const chain = shape.homes[i]!;
    if (chain === 0) {
      lengths[0]!++;
      continue;
    }
    slots++;
    lengths[chain < STATS_VECTLEN ? chain : STATS_VECTLEN - 1]!++;
    if (chain > maxChain) maxChain = chain;
    totalChain += chain;
  }
  // Redis divides in C float, and printf shows the float's exact value.
  let text =
    title +
    ` table size: ${shape.size}\n` +
    ` number of elements: ${shape.used}\n` +
    ` different slots: ${slots}\n` +
    ` max chain length: ${maxChain}\n` +
    ` avg chain length (counted): ${formatPrintfFixed(f32(f32(totalChain) / f32(slots)), 2)}\n` +
    ` avg chain length (computed): ${formatPrintfFixed(f32(f32(shape.used) / f32(slots)), 2)}\n` +
    " Chain length distribution:\n";
  for (let i = 0; i < STATS_VECTLEN - 1; i++) {
    if (lengths[i] === 0) continue;
    text += `   ${i}: ${lengths[i]} (${formatPrintfFixed(f32(f32(f32(lengths[i]!) / f32(shape.size)) * 100), 2)}%)\n`;
  }
  return text;
}

/** dictGetStats: the main table, then the rehash target while a rehash runs. */
export function dictStatsText(tables: readonly IndexShape[]): string {
  return tables.map((shape, i) => tableStats(shape, i)).join("");
}
