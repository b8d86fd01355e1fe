// SORT and SORT_RO (Redis's sort.c) on lists, sets and sorted sets.
//
// The elements are loaded into a vector, weighted (the element itself, or the value
// a BY pattern points to), sorted, cut to LIMIT, then each output element is
// replaced by its GET patterns, and the result is replied or STOREd as a list.
//
// Redis details kept because they are visible:
//   - BY with a pattern that has no '*' ("nosort") skips sorting: lists and sorted
//     sets keep their order (DESC walks them backwards), sets come in set order;
//     with STORE a set is sorted ALPHA instead, so the stored list is deterministic.
//   - Numeric weights are read with strtod (parseSortWeight); a missing BY key
//     weighs 0; equal weights are ordered by the elements' bytes.
//   - ALPHA compares with strcoll, which under the C/C.UTF-8 collation is a byte
//     comparison of the C strings (up to the first NUL), but with STORE it is a
//     binary comparison; with BY, elements whose weight key is missing come first.
//   - Sorting a listpack sorted set converts it to a skiplist for good.
//   - Sorts are stable, as glibc's qsort is (a merge sort) for these sizes.

import type { CommandSpec } from "./table.ts";
import type { Client } from "../net/client.ts";
import type { Database } from "../db/keyspace.ts";
import { argIs, argLower, bytesToKey, compareBytes, concatBytes, keyToBytes } from "../db/bytes.ts";
import { intArg, replyError, keyChanged, wrongType } from "./context.ts";
import * as errors from "../errors.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../notify.ts";
import { RedisList } from "../db/list.ts";
import { parseSortWeight } from "../util/float.ts";

const STAR = 0x2a;
const HASH_SIGN = 0x23;
const DASH = 0x2d;
const GREATER_THAN = 0x3e;

/** Length of the bytes as a C string: up to the first NUL. */
function cStringLength(bytes: Uint8Array): number {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes.length : nul;
}

/**
 * lookupKeyByPattern: the value a BY/GET pattern names for one element. "#" is the
 * element itself; the first '*' is replaced by the element; "key->field" reads a
 * hash field. A pattern without '*' names nothing. Null when the key is missing or
 * of the wrong type, or the field is missing.
 */
function lookupKeyByPattern(db: Database, pattern: Uint8Array, element: Uint8Array): Uint8Array | null {
  const patternEnd = cStringLength(pattern);
  if (patternEnd === 1 && pattern[0] === HASH_SIGN) return element;
  const star = pattern.subarray(0, patternEnd).indexOf(STAR);
  if (star < 0) return null;
  let fieldLength = 0;
  for (let i = star + 1; i + 1 < patternEnd; i++) {
    if (pattern[i] === DASH && pattern[i + 1] === GREATER_THAN) {
      // "->" at the very end is not a field reference.
      if (i + 2 < patternEnd) fieldLength = pattern.length - i - 2;
      break;
    }
  }
  const postfixLength = pattern.length - (star + 1) - (fieldLength > 0 ? fieldLength + 2 : 0);
  const keyBytes = concatBytes([pattern.subarray(0, star), element, pattern.subarray(star + 1, star + 1 + postfixLength)]);
  const value = db.lookupRead(bytesToKey(keyBytes));
  if (value === undefined) return null;
  if (fieldLength > 0) {
    if (value instanceof Uint8Array || value.type !== "hash") return null;
    return value.get(bytesToKey(pattern.subarray(pattern.length - fieldLength))) ?? null;
  }
  return value instanceof Uint8Array ? value : null;
}

/**
 * strcoll in the C collation: the bytes up to each string's first NUL. In place: a sort
 * of 1M elements makes ~20M comparisons, and two views each cost more than the compare.
 */
function compareCStrings(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x === 0 ? -1 : y === 0 ? 1 : x - y;
    if (x === 0) return 0;
  }
  // No NUL in the common part: the longer one is greater unless its next byte ends it.
  if (a.length === b.length) return 0;
  return a.length > b.length ? (a[n] === 0 ? 0 : 1) : b[n] === 0 ? 0 : -1;
}

interface SortOptions {
  descending: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** The BY pattern had no '*': keep the source's own order. */
  dontSort: boolean;
  sortBy: Uint8Array | null;
  storeKey: Uint8Array | null;
  getPatterns: Uint8Array[];
}

/** The SQL-like option list, parsed left to right; null after replying an error. */
function parseSortOptions(client: Client, argv: Uint8Array[], readOnly: boolean): SortOptions | null {
  const options: SortOptions = {
    descending: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    dontSort: false,
    sortBy: null,
    storeKey: null,
    getPatterns: [],
  };
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const option = argLower(argv[j]!);
    if (option === "asc") options.descending = false;
    else if (option === "desc") options.descending = true;
    else if (option === "alpha") options.alpha = true;
    else if (option === "limit" && remaining >= 2) {
      const start = intArg(client, argv[j + 1]!);
      if (start === null) return null;
      const count = intArg(client, argv[j + 2]!);
      if (count === null) return null;
      options.limitStart = start;
      options.limitCount = count;
      j += 2;
    } else if (!readOnly && option === "store" && remaining >= 1) {
      options.storeKey = argv[++j]!;
    } else if (option === "by" && remaining >= 1) {
      const pattern = argv[++j]!;
      options.sortBy = pattern;
      if (pattern.subarray(0, cStringLength(pattern)).indexOf(STAR) < 0) options.dontSort = true;
    } else if (option === "get" && remaining >= 1) {
      options.getPatterns.push(argv[++j]!);
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
  }
  return options;
}

interface SortEntry {
  element: Uint8Array;
  weight: number;
  /** ALPHA with BY: the looked-up value, null when missing. */
  alphaKey: Uint8Array | null;
}

function entry(element: Uint8Array): SortEntry {
  return { element, weight: 0, alphaKey: null };
}

function sortGeneric(client: Client, argv: Uint8Array[], readOnly: boolean): void {
  const options = parseSortOptions(client, argv, readOnly);
  if (options === null) return;
  const db = client.db;
  const source = db.lookupRead(bytesToKey(argv[1]!));
  if (source !== undefined && (source instanceof Uint8Array || (source.type !== "list" && source.type !== "set" && source.type !== "zset"))) {
    wrongType(client);
    return;
  }
  const { descending, storeKey, getPatterns } = options;
  let { alpha, dontSort, sortBy } = options;
  if (dontSort && source?.type === "set" && storeKey !== null) {
    // An unsorted set would store in hash order: sort it so the result is deterministic.
    dontSort = false;
    alpha = true;
    sortBy = null;
  }
  if (source?.type === "zset" && source.encoding === "listpack") {
    // Redis converts in place (zsetConvert) without signalling the key: the members
    // and scores are unchanged, only OBJECT ENCODING tells.
    source.convertToSkiplist();
    db.noteResized(bytesToKey(argv[1]!));
  }

  const length = source === undefined ? 0 : source.type === "list" ? source.length : source.size;
  let start = Math.min(Math.max(options.limitStart, 0), length);
  const limitCount = Math.min(Math.max(options.limitCount, -1), length);
  let end = limitCount < 0 ? length - 1 : start + limitCount - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;

  // Load the vector. Unsorted lists and sorted sets load just the LIMIT range.
  let vector: SortEntry[] = [];
  if (source !== undefined) {
    if (source.type === "list") {
      if (!dontSort) vector = source.toArray().map(entry);
      else if (end >= start) {
        const wanted = end - start + 1;
        for (const element of source.valuesFrom(descending ? length - start - 1 : start, descending)) {
          vector.push(entry(element));
          if (vector.length === wanted) break;
        }
      }
    } else if (source.type === "set") {
      vector = source.orderedMembers().map((member) => entry(keyToBytes(member)));
    } else if (source.type === "zset") {
      if (!dontSort) {
        for (const [member] of source) vector.push(entry(keyToBytes(member)));
      } else if (end >= start) {
        vector = source.rangeByRank(start, end, descending).map(([member]) => entry(keyToBytes(member)));
      }
    }
  }
  if (dontSort && source !== undefined && source.type !== "set") {
    // The vector already is the LIMIT range.
    end -= start;
    start = 0;
  }

  let conversionError = false;
  if (!dontSort) {
    for (const item of vector) {
      let weightSource: Uint8Array;
      if (sortBy !== null) {
        const found = lookupKeyByPattern(db, sortBy, item.element);
        if (found === null) continue;
        weightSource = found;
      } else weightSource = item.element;
      if (alpha) {
        if (sortBy !== null) item.alphaKey = weightSource;
        continue;
      }
      const weight = parseSortWeight(weightSource);
      if (weight === null) conversionError = true;
      else item.weight = weight;
    }
    if (conversionError) {
      // Replied below.
    } else if (!alpha || sortBy !== null || !sortTextsNatively(vector, storeKey !== null, descending, start, end)) {
      vector.sort(sortComparator(alpha, sortBy !== null, storeKey !== null, descending));
    }
  }

  const selected = end >= start ? vector.slice(start, end + 1) : [];
  const outputLength = getPatterns.length > 0 ? getPatterns.length * selected.length : selected.length;
  if (conversionError) {
    replyError(client, "ERR One or more scores can't be converted into double");
    return;
  }

  if (storeKey === null) {
    const reply = client.reply;
    reply.arrayHeader(outputLength);
    for (const item of selected) {
      if (getPatterns.length === 0) reply.bulk(item.element);
      for (const pattern of getPatterns) {
        const value = lookupKeyByPattern(db, pattern, item.element);
        if (value === null) reply.nullBulk();
        else reply.bulk(value);
      }
    }
    return;
  }

  // Stored elements are copies: string values may later be modified in place (SETBIT).
  const stored: Uint8Array[] = [];
  for (const item of selected) {
    if (getPatterns.length === 0) stored.push(new Uint8Array(item.element));
    for (const pattern of getPatterns) {
      const value = lookupKeyByPattern(db, pattern, item.element);
      stored.push(value === null ? new Uint8Array(0) : new Uint8Array(value));
    }
  }
  const destination = bytesToKey(storeKey);
  if (outputLength > 0) {
    db.setKey(destination, RedisList.fromValues(stored));
    keyChanged(client, NOTIFY_LIST, "sortstore", destination, outputLength);
  } else if (db.dbDelete(destination)) {
    keyChanged(client, NOTIFY_GENERIC, "del", destination);
  }
  client.reply.integer(outputLength);
}

/**
 * SORT ALPHA of the elements themselves, by the engine's own string sort: each element as
 * a binary string (one char per byte) compares as memcmp does, and the built-in sort
 * with no comparator is several times faster than any JS comparator over bytes (1M
 * elements: 0.25 s against 1.8 s). Elements that compare equal are equal bytes, so the
 * sort's stability cannot show. Without STORE the collation stops at a NUL byte; a vector
 * with one falls back to the comparator (false). Only the LIMIT range [start, end] of the
 * vector is rewritten in order: nothing else of it is read.
 */
function sortTextsNatively(vector: SortEntry[], storing: boolean, descending: boolean, start: number, end: number): boolean {
  const texts: string[] = new Array(vector.length);
  for (let i = 0; i < vector.length; i++) {
    const element = vector[i]!.element;
    if (!storing && element.indexOf(0) >= 0) return false;
    texts[i] = bytesToKey(element);
  }
  texts.sort();
  if (descending) texts.reverse();
  for (let i = start; i <= end; i++) vector[i] = entry(keyToBytes(texts[i]!));
  return true;
}

/** sortCompare for one SORT call's options. */
function sortComparator(alpha: boolean, byPattern: boolean, storing: boolean, descending: boolean): (a: SortEntry, b: SortEntry) => number {
  const compareText = storing ? compareBytes : compareCStrings;
  let compare: (a: SortEntry, b: SortEntry) => number;
  if (!alpha) {
    compare = (a, b) => (a.weight > b.weight ? 1 : a.weight < b.weight ? -1 : compareBytes(a.element, b.element));
  } else if (byPattern) {
    compare = (a, b) => {
      if (a.alphaKey === null || b.alphaKey === null) {
        if (a.alphaKey === b.alphaKey) return 0;
        return a.alphaKey === null ? -1 : 1;
      }
      return compareText(a.alphaKey, b.alphaKey);
    };
  } else {
    compare = (a, b) => compareText(a.element, b.element);
  }
  return descending ? (a, b) => -compare(a, b) : compare;
}

function sort(client: Client, argv: Uint8Array[]): void {
  sortGeneric(client, argv, false);
}

function sortRo(client: Client, argv: Uint8Array[]): void {
  sortGeneric(client, argv, true);
}

/**
 * sortGetKeys: the sorted key, and the destination of the last STORE. The scan
 * skips LIMIT's two arguments and GET's/BY's one, so a pattern spelled "store" is
 * not mistaken for the option.
 */
function sortKeys(argv: Uint8Array[]): number[] {
  const keys = [1];
  let storeAt = -1;
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i]!;
    if (argIs(word, "limit")) i += 2;
    else if (argIs(word, "get") || argIs(word, "by")) i += 1;
    else if (argIs(word, "store") && i + 1 < argv.length) storeAt = i + 1;
  }
  if (storeAt > 0) keys.push(storeAt);
  return keys;
}

const SORT_CATEGORIES = { categories: ["set", "sortedset", "list", "dangerous"], group: "generic" };
const SORT_COMPLEXITY =
  "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

export const sortCommands: CommandSpec[] = [
  { name: "sort", arity: -2, flags: ["write", "denyoom", "movablekeys"], firstKey: 1, lastKey: 1, keyStep: 1, getKeys: sortKeys, ...SORT_CATEGORIES, since: "1.0.0", summary: "Sort the elements in a list, set or sorted set", complexity: SORT_COMPLEXITY, handler: sort },
  { name: "sort_ro", arity: -2, flags: ["readonly", "movablekeys"], firstKey: 1, lastKey: 1, keyStep: 1, ...SORT_CATEGORIES, since: "7.0.0", summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", complexity: SORT_COMPLEXITY, handler: sortRo },
];
