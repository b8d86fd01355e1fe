// The list value: Redis 7.0's quicklist, a doubly linked chain of nodes whose payload
// is one listpack (listpack.ts) holding a run of the list's elements.
//
// Why: an element kept as its own Uint8Array costs ~60 bytes of object before its
// first byte, and the garbage collector walks every one of them. In a listpack an
// element of 16-32 bytes costs its bytes plus 2 (encoding and backlen), and a node of
// ~100-300 elements is three objects (the node, its listpack, the listpack's bytes).
// The same byte layout is what RDB files carry, so saving a list copies its node
// listpacks as they are and loading keeps the validated ones it reads.
//
// How nodes fill, exactly as quicklist.c decides it (so a list has the nodes Redis's
// would have, and an RDB file the same node boundaries):
// - `fill` is list-max-listpack-size when the list was created. Positive: at most that
//   many entries per node, and never past SIZE_SAFETY_LIMIT (8 KiB). -1..-5: a node's
//   listpack may grow to 4, 8, 16, 32 or 64 KiB (_quicklistNodeAllowInsert estimates
//   the new size as the node's bytes + the element's length + 8).
// - Pushes go into the end node when it allows the insert, else into a new node.
// - LINSERT follows _quicklistInsert: into the node if it has room; at a full node's
//   edge into the neighbour if that has room, else a new node; in the middle of a full
//   node, a split, and then _quicklistMergeNodes tries to merge the neighbours
//   (_quicklistNodeAllowMerge: the merged size estimate, or count, within fill).
// - Deletions (pops, LREM, LTRIM) never merge; a node left empty is dropped.
// - Redis 7.0 puts an element of packed_threshold bytes or more (1 GB, or what DEBUG
//   QUICKLIST-PACKED-THRESHOLD set) in a PLAIN node of its own. Here a plain node keeps
//   its element in a listpack of one entry, so that every read walks it as any node,
//   and is marked `plain`: nothing joins or merges with it, LSET follows
//   quicklistReplaceEntry's plain cases, RDB files and DUMP carry it as a PLAIN
//   container of the bare element, and DEBUG OBJECT counts the element's bytes.
//   proto-max-bulk-len (512 MB by default) keeps elements of 1 GB out unless it is raised.
//
// list-compress-depth as quicklist.c honours it: when it is d > 0, every node but the
// d nearest each end is kept LZF-compressed (nodes under 48 bytes, and nodes LZF does
// not shrink by 8 bytes, stay raw). A compressed node's bytes are the LZF stream of its
// listpack; an edit decompresses it and compresses it again after (recompress), and
// structural changes re-apply __quicklistCompress around the node they touched. Reads
// (LRANGE, LINDEX, LPOS) decompress a node into a temporary copy instead, which leaves
// it as Redis's iterator leaves it (recompressed on release); a raw node a read passes
// gets what the iterator's release gives it, __quicklistCompress, so that a raw node
// deeper than the depth (one too small to compress when last tried, grown since) is
// compressed by a read as in Redis. The RDB encoder writes a compressed node as the LZF
// blob it is, as rdbSaveObject does. DUMP payloads are byte-identical to Redis's for the
// same commands (test/integration/lists-quicklist.test.ts).
//
// Node listpacks have spare room past their bytes while they are at an end (pushes
// append without reallocating each time); a node that stops being an end is shrunk to
// its size when the spare room matters, and one that deletions left mostly empty is
// shrunk too.
//
// Replies: writeRange and writeAt copy elements from the listpack bytes straight into
// the reply buffer (an integer entry is written as its decimal digits), so LRANGE makes
// no object per element.
//
// Redis 7.0 reports OBJECT ENCODING "quicklist" for every list, whatever its size.

import {
  type BulkReplySink,
  LP_AFTER,
  LP_BEFORE,
  lpAppend,
  lpBytes,
  lpDelete,
  lpDeleteRange,
  lpEntryEqualsBytes,
  lpFirst,
  lpGet,
  lpGetBytes,
  lpInsert,
  lpLast,
  lpLength,
  lpMerge,
  lpNew,
  lpNext,
  lpPrepend,
  lpPrev,
  lpReplace,
  lpSeek,
  lpShrinkToFit,
  lpWriteEntryReply as writeEntryReply,
} from "./listpack.ts";
import { integerDigitCount, writeIntegerDigits } from "./bytes.ts";
import { objectBytes, TYPED_ARRAY_OVERHEAD } from "./object-size.ts";
import { lzfCompress, lzfDecompress } from "../persistence/rdb/lzf.ts";

/** quicklist's optimization_level: the node byte limits of fill -1 .. -5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
/** A node never grows past this when the fill is a count (quicklist's SIZE_SAFETY_LIMIT). */
const SIZE_SAFETY_LIMIT = 8192;
/** Added to an element's length to estimate what it adds to a listpack. */
const SIZE_ESTIMATE_OVERHEAD = 8;
/** quicklist's default packed_threshold: elements this large get a plain node of their own. */
const DEFAULT_PACKED_THRESHOLD = 1 << 30;
/**
 * The packed_threshold in force. Process-wide, as Redis's static in quicklist.c: only
 * DEBUG QUICKLIST-PACKED-THRESHOLD changes it, between commands, and every list (of
 * every database) follows it from the next insert on.
 */
let packedThreshold = DEFAULT_PACKED_THRESHOLD;

/**
 * quicklistisSetPackedThreshold: false for more than 4 GB less 1 MB; 0 restores the
 * default.
 */
export function quicklistSetPackedThreshold(size: number): boolean {
  if (size > 2 ** 32 - 2 ** 20) return false;
  packedThreshold = size === 0 ? DEFAULT_PACKED_THRESHOLD : size;
  return true;
}

/** isLargeElement */
function isLargeElement(length: number): boolean {
  return length >= packedThreshold;
}
/** Nodes smaller than this are not worth compressing. */
const MIN_COMPRESS_BYTES = 48;
/** Compression must save more than this many bytes to be kept. */
const MIN_COMPRESS_IMPROVE = 8;
/** quicklistSetFill / quicklistSetCompressDepth clamp to the 16-bit fields of 64-bit builds. */
const FILL_MAX = 32767;
const COMPRESS_MAX = 65535;
const LISTPACK_END = 0xff;
/** A deletion that leaves a listpack this many times smaller than its array shrinks the array. */
const SHRINK_RATIO = 2;
const SHRINK_SLACK = 64;

class QuicklistNode {
  /** The listpack (its first `sz` bytes; the array may be longer), or its LZF stream when `compressed`. */
  entry: Uint8Array;
  /** lpBytes of the listpack, compressed or not. */
  sz: number;
  count: number;
  prev: QuicklistNode | null = null;
  next: QuicklistNode | null = null;
  compressed = false;
  /** Decompressed for an edit: compress again when the edit is done. */
  recompress = false;
  /** A PLAIN node: one large element (its listpack has exactly that one entry). */
  plain = false;

  constructor(entry: Uint8Array, count: number, sz: number = lpBytes(entry)) {
    this.entry = entry;
    this.sz = sz;
    this.count = count;
  }
}

/** Receives an element as bytes[start, end): valid only during the call. */
export type ElementVisitor = (bytes: Uint8Array, start: number, end: number) => void;

/** Holds an integer entry's decimal digits for ElementVisitor. */
const integerScratch = new Uint8Array(24);

/** Hands the entry at p to `visit` as a byte range; returns the offset of the next entry. */
function visitEntry(visit: ElementVisitor, lp: Uint8Array, p: number): number {
  const view = lpGet(lp, p);
  const next = view.next;
  if (view.stringStart >= 0) {
    visit(lp, view.stringStart, view.stringStart + view.stringLength);
  } else if (view.bigInteger !== null) {
    const text = view.bigInteger.toString();
    for (let i = 0; i < text.length; i++) integerScratch[i] = text.charCodeAt(i);
    visit(integerScratch, 0, text.length);
  } else {
    const length = integerDigitCount(view.integer);
    writeIntegerDigits(integerScratch, 0, view.integer, length);
    visit(integerScratch, 0, length);
  }
  return next;
}

/** _quicklistNodeSizeMeetsOptimizationRequirement */
function sizeMeetsOptimizationRequirement(sz: number, fill: number): boolean {
  if (fill >= 0) return false;
  const level = OPTIMIZATION_LEVEL[-fill - 1];
  return level !== undefined && sz <= level;
}

export class RedisList {
  // On the prototype, not in every list: a small list is a few objects and these would
  // be two more fields in each.
  get type(): "list" {
    return "list";
  }
  get encoding(): "quicklist" {
    return "quicklist";
  }
  /** list-max-listpack-size when the list was made (quicklistSetFill clamps it). */
  readonly fill: number;
  /** list-compress-depth when the list was made: nodes kept raw at each end, 0 = no compression. */
  readonly compressDepth: number;

  private head: QuicklistNode | null = null;
  private tail: QuicklistNode | null = null;
  private total = 0;
  private nodes = 0;
  /** The nodes' arrays' bytes (compressed or not, spare room included), for memoryUsage(). */
  private entryBytes = 0;
  /** locate()'s second result: the offset inside the node it returned. */
  private locatedOffset = 0;

  constructor(fill = -2, compressDepth = 0) {
    this.fill = fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
    this.compressDepth = compressDepth > COMPRESS_MAX ? COMPRESS_MAX : compressDepth < 0 ? 0 : compressDepth;
  }

  static fromValues(values: Iterable<Uint8Array>, fill = -2, compressDepth = 0): RedisList {
    const list = new RedisList(fill, compressDepth);
    for (const value of values) list.pushTail(value);
    return list;
  }

  /** quicklistDup (COPY): the same nodes, compressed ones still compressed. */
  clone(): RedisList {
    const copy = new RedisList(this.fill, this.compressDepth);
    for (let node = this.head; node !== null; node = node.next) {
      const entry = node.compressed ? node.entry.slice() : node.entry.slice(0, node.sz);
      const duplicate = new QuicklistNode(entry, node.count, node.sz);
      duplicate.compressed = node.compressed;
      duplicate.plain = node.plain;
      copy.total += node.count;
      copy.insertNode(copy.tail, duplicate, true);
    }
    return copy;
  }

  get length(): number {
    return this.total;
  }

  /** The bytes this list allocates (object-size.ts): its nodes and their arrays. */
  memoryUsage(): number {
    return objectBytes(8) + this.nodes * (objectBytes(7) + TYPED_ARRAY_OVERHEAD) + this.entryBytes;
  }

  /** Replaces the array of a node in the list, keeping entryBytes. */
  private setEntry(node: QuicklistNode, entry: Uint8Array): void {
    this.entryBytes += entry.byteLength - node.entry.byteLength;
    node.entry = entry;
  }

  /** Number of quicklist nodes (ql->len). */
  get nodeCount(): number {
    return this.nodes;
  }

  // ---- pushes and pops --------------------------------------------------------------

  /** quicklistPushHead */
  pushHead(value: Uint8Array): void {
    this.push(value, true);
  }

  /** quicklistPushTail */
  pushTail(value: Uint8Array): void {
    this.push(value, false);
  }

  private push(value: Uint8Array, atHead: boolean): void {
    const end = atHead ? this.head : this.tail;
    if (end !== null && this.allowInsert(end, value.length)) {
      this.setEntry(end, atHead ? lpPrepend(end.entry, value) : lpAppend(end.entry, value));
      end.sz = lpBytes(end.entry);
      end.count++;
    } else {
      const fresh = lpNew(this.newNodeCapacity(end, value.length));
      const node = new QuicklistNode(atHead ? lpPrepend(fresh, value) : lpAppend(fresh, value), 1);
      node.plain = isLargeElement(value.length);
      this.insertNode(end, node, !atHead);
      if (end !== null) this.leaveEnd(end);
    }
    this.total++;
  }

  popHead(): Uint8Array | undefined {
    const node = this.head;
    if (node === null) return undefined;
    const p = lpFirst(node.entry);
    const value = lpGetBytes(node.entry, p);
    this.deleteEntry(node, p);
    return value;
  }

  popTail(): Uint8Array | undefined {
    const node = this.tail;
    if (node === null) return undefined;
    const p = lpLast(node.entry);
    const value = lpGetBytes(node.entry, p);
    this.deleteEntry(node, p);
    return value;
  }

  /** LPOP/RPOP without a count: the end element as a bulk reply, then removed (no copy made). */
  popInto(sink: BulkReplySink, fromHead: boolean): boolean {
    const node = fromHead ? this.head : this.tail;
    if (node === null) return false;
    const p = fromHead ? lpFirst(node.entry) : lpLast(node.entry);
    writeEntryReply(sink, node.entry, p);
    this.deleteEntry(node, p);
    return true;
  }

  // ---- reads ------------------------------------------------------------------------

  /** Value at `index` (0 = head; negative counts from the tail, -1 = last), or undefined when out of range. */
  at(index: number): Uint8Array | undefined {
    const node = this.locate(index);
    if (node === null) return undefined;
    const lp = this.readable(node);
    const value = lpGetBytes(lp, lpSeek(lp, this.locatedOffset));
    this.doneReading(node);
    return value;
  }

  /** LINDEX: the element at `index` as a bulk reply; false (nothing written) when out of range. */
  writeAt(sink: BulkReplySink, index: number): boolean {
    const node = this.locate(index);
    if (node === null) return false;
    const lp = this.readable(node);
    writeEntryReply(sink, lp, lpSeek(lp, this.locatedOffset));
    this.doneReading(node);
    return true;
  }

  /**
   * Writes `count` elements as bulk replies, from position `start` (0 <= start < length)
   * towards the tail, or towards the head when `reverse`; the caller has checked the
   * range and written the array header (addListRangeReply).
   */
  writeRange(sink: BulkReplySink, start: number, count: number, reverse: boolean): void {
    let node = this.locate(start);
    let offset = this.locatedOffset;
    while (node !== null && count > 0) {
      const lp = this.readable(node);
      let p = lpSeek(lp, offset);
      if (!reverse) {
        while (count > 0) {
          p = writeEntryReply(sink, lp, p);
          count--;
          if (lp[p] === LISTPACK_END) break;
        }
        this.doneReading(node);
        node = node.next;
        offset = 0;
      } else {
        while (count > 0 && p >= 0) {
          writeEntryReply(sink, lp, p);
          count--;
          p = lpPrev(lp, p);
        }
        this.doneReading(node);
        node = node.prev;
        offset = node === null ? 0 : node.count - 1;
      }
    }
  }

  /**
   * Hands each element, head to tail (tail to head when `reverse`), to `visit` as a byte
   * range, allocating nothing per element (an integer entry is its decimal digits in a
   * scratch array). The AOF rewrite reads lists this way.
   */
  forEach(visit: ElementVisitor, reverse = false): void {
    if (!reverse) {
      for (let node = this.head; node !== null; node = node.next) {
        const lp = this.readable(node);
        for (let p = lpFirst(lp); p >= 0 && lp[p] !== LISTPACK_END; ) p = visitEntry(visit, lp, p);
        this.doneReading(node);
      }
      return;
    }
    for (let node = this.tail; node !== null; node = node.prev) {
      const lp = this.readable(node);
      for (let p = lpLast(lp); p >= 0; p = lpPrev(lp, p)) visitEntry(visit, lp, p);
      this.doneReading(node);
    }
  }

  /** Values from `start` to `stop` inclusive, as copies; out-of-range parts are left out. */
  range(start: number, stop: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (start < 0) start = 0;
    if (stop >= this.total) stop = this.total - 1;
    if (start > stop) return out;
    for (const value of this.valuesFrom(start)) {
      out.push(value);
      if (out.length === stop - start + 1) break;
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    if (this.total > 0) yield* this.valuesFrom(0);
  }

  /**
   * Copies of the values starting at `index` (0 <= index < length), walking towards the
   * tail, or towards the head when `reverse` (SORT's unsorted LIMIT range).
   */
  *valuesFrom(index: number, reverse = false): Generator<Uint8Array, void, undefined> {
    let node = this.locate(index);
    let offset = this.locatedOffset;
    while (node !== null) {
      const lp = this.readable(node);
      try {
        for (let p = lpSeek(lp, offset); p >= 0; p = reverse ? lpPrev(lp, p) : lpNext(lp, p)) yield lpGetBytes(lp, p);
      } finally {
        // Also when the consumer stops early, as Redis's iterator release does.
        this.doneReading(node);
      }
      node = reverse ? node.prev : node.next;
      offset = reverse ? -1 : 0;
    }
  }

  toArray(): Uint8Array[] {
    return this.range(0, this.total - 1);
  }

  /**
   * LPOS: positions (0-based from the head) of elements equal to `value`.
   * rank > 0 starts at the head and skips rank-1 matches; rank < 0 starts at the tail.
   * count 0 means every match; maxLen 0 means compare the whole list.
   * The caller rejects rank 0 and negative count/maxLen as Redis does.
   */
  positionsOf(value: Uint8Array, rank: number, count: number, maxLen: number): number[] {
    const out: number[] = [];
    const reverse = rank < 0;
    let toSkip = (reverse ? -rank : rank) - 1;
    let compared = 0;
    let index = reverse ? this.total - 1 : 0;
    const step = reverse ? -1 : 1;
    for (let node = reverse ? this.tail : this.head; node !== null; node = reverse ? node.prev : node.next) {
      const lp = this.readable(node);
      for (let p = reverse ? lpLast(lp) : lpFirst(lp); p >= 0; p = reverse ? lpPrev(lp, p) : lpNext(lp, p)) {
        // lposCommand reads the element past MAXLEN before it stops.
        if (maxLen !== 0 && compared >= maxLen) {
          this.doneReading(node);
          return out;
        }
        compared++;
        if (lpEntryEqualsBytes(lp, p, value)) {
          if (toSkip > 0) {
            toSkip--;
          } else {
            out.push(index);
            if (count !== 0 && out.length >= count) {
              this.doneReading(node);
              return out;
            }
          }
        }
        index += step;
      }
      this.doneReading(node);
    }
    return out;
  }

  // ---- edits --------------------------------------------------------------------------

  /** LSET (quicklistReplaceAtIndex): same index rules as at(); false when out of range. */
  set(index: number, value: Uint8Array): boolean {
    const node = this.locate(index);
    if (node === null) return false;
    const offset = this.locatedOffset;
    this.decompressForUse(node);
    const large = isLargeElement(value.length);
    if (node.plain === large) {
      // A packed node's entry, or a plain node's element replaced by another large one.
      this.setEntry(node, lpReplace(node.entry, lpSeek(node.entry, offset), value));
      node.sz = lpBytes(node.entry);
      this.compress(node);
    } else if (node.plain) {
      // A small element where a plain node was: inserted after it, and the node dropped.
      this.insertAt(node, 0, lpFirst(node.entry), value, true);
      this.deleteNode(node);
    } else {
      // A large element in a packed node: a plain node after the entry (splitting the
      // node when the entry is not its last), then the entry, now its node's last, goes.
      this.insertAt(node, offset, lpSeek(node.entry, offset), value, true);
      if (node.count === 1) this.deleteNode(node);
      else this.deleteEntry(node, lpSeek(node.entry, -1));
    }
    return true;
  }

  /**
   * LINSERT: put `value` before or after the first element (from the head) equal to `pivot`.
   * Returns the new length, or -1 when the pivot is absent.
   */
  insert(pivot: Uint8Array, value: Uint8Array, before: boolean): number {
    for (let node = this.head; node !== null; node = node.next) {
      const lp = this.readable(node);
      let offset = 0;
      for (let p = lpFirst(lp); p >= 0; p = lpNext(lp, p), offset++) {
        if (!lpEntryEqualsBytes(lp, p, pivot)) continue;
        if (node.compressed) {
          // What Redis's iterator did on its way here (quicklistDecompressNodeForUse).
          this.setEntry(node, lp);
          node.compressed = false;
          node.recompress = true;
        }
        this.insertAt(node, offset, p, value, !before);
        return this.total;
      }
      this.doneReading(node);
    }
    return -1;
  }

  /**
   * LREM: remove up to |count| elements equal to `value`; count > 0 from the head,
   * count < 0 from the tail, 0 all of them. Returns how many were removed.
   */
  remove(count: number, value: Uint8Array): number {
    const limit = count === 0 ? Infinity : Math.abs(count);
    const fromTail = count < 0;
    let removed = 0;
    let node = fromTail ? this.tail : this.head;
    while (node !== null && removed < limit) {
      const following: QuicklistNode | null = fromTail ? node.prev : node.next;
      let lp = this.readable(node);
      let matches = false;
      for (let p = lpFirst(lp); p >= 0 && !matches; p = lpNext(lp, p)) matches = lpEntryEqualsBytes(lp, p, value);
      if (!matches) this.doneReading(node);
      else {
        if (node.compressed) {
          this.setEntry(node, lp);
          node.compressed = false;
          node.recompress = true;
        }
        const before = node.count;
        if (!fromTail) {
          let p = lpFirst(lp);
          while (p >= 0 && removed < limit) {
            if (lpEntryEqualsBytes(lp, p, value)) {
              lp = lpDelete(lp, p);
              node.count--;
              removed++;
              if (lp[p] === LISTPACK_END) p = -1;
            } else {
              p = lpNext(lp, p);
            }
          }
        } else {
          let p = lpLast(lp);
          while (p >= 0 && removed < limit) {
            // Offsets before p survive the deletion at p.
            const previous = lpPrev(lp, p);
            if (lpEntryEqualsBytes(lp, p, value)) {
              lp = lpDelete(lp, p);
              node.count--;
              removed++;
            }
            p = previous;
          }
        }
        this.total -= before - node.count;
        this.setEntry(node, lp);
        if (node.count === 0) {
          this.deleteNode(node);
          // Redis's iterator has moved on to the following node, which its release compresses.
          if (removed >= limit && following !== null) this.compressAround(following);
        } else {
          this.updateSize(node);
          this.compress(node);
        }
      }
      node = following;
    }
    return removed;
  }

  /**
   * LTRIM on normalised indexes: keep positions start..stop inclusive, drop the rest.
   * start > stop or start >= length empties the list (Redis then deletes the key).
   */
  trim(start: number, stop: number): void {
    if (start < 0) start = 0;
    if (start > stop || start >= this.total) {
      this.clear();
      return;
    }
    const dropAtTail = stop >= this.total ? 0 : this.total - 1 - stop;
    this.removeHead(start);
    this.removeTail(dropAtTail);
  }

  /** Drop the first `n` elements (quicklistDelRange(ql, 0, n)). */
  removeHead(n: number): void {
    this.deleteRange(0, n);
  }

  /** Drop the last `n` elements (quicklistDelRange(ql, -n, n)). */
  removeTail(n: number): void {
    if (n > this.total) n = this.total;
    this.deleteRange(this.total - n, n);
  }

  clear(): void {
    this.head = null;
    this.tail = null;
    this.total = 0;
    this.nodes = 0;
    this.entryBytes = 0;
  }

  /** DEBUG OBJECT's quicklist fields, as debug.c writes them (with their leading space). */
  debugObjectFields(): string {
    let uncompressed = 0;
    // A plain node's sz is its element's length in Redis: the entry's, here.
    for (let node = this.head; node !== null; node = node.next) uncompressed += node.plain ? this.plainElement(node).length : node.sz;
    const average = (this.total / this.nodes).toFixed(2);
    return (
      ` ql_nodes:${this.nodes} ql_avg_node:${average === "NaN" ? "-nan" : average} ql_listpack_max:${this.fill}` +
      ` ql_compressed:${this.compressDepth !== 0 ? 1 : 0} ql_uncompressed_size:${uncompressed}`
    );
  }

  // ---- RDB ----------------------------------------------------------------------------

  /**
   * For the RDB encoder (rdbSaveObject): each node in order, as its listpack's bytes
   * entry[0, size) with lzfRawSize -1, or, for a compressed node, as its LZF stream
   * entry[0, size) that expands to a listpack of lzfRawSize bytes.
   */
  forEachNode(visit: (entry: Uint8Array, size: number, lzfRawSize: number, plain: boolean) => void): void {
    for (let node = this.head; node !== null; node = node.next) {
      if (node.plain) {
        // The bare element, saved as a string (compressed or not as rdbcompression says).
        const element = this.plainElement(node);
        visit(element, element.length, -1, true);
      } else if (node.compressed) visit(node.entry, node.entry.length, node.sz, false);
      else visit(node.entry, node.sz, -1, false);
    }
  }

  /** The element of a plain node. */
  private plainElement(node: QuicklistNode): Uint8Array {
    const lp = this.readable(node);
    return lpGetBytes(lp, lpFirst(lp));
  }

  /** The RDB loader's PLAIN container: `element` as a plain node at the tail. */
  appendPlain(element: Uint8Array): void {
    const node = new QuicklistNode(lpShrinkToFit(lpAppend(lpNew(element.length + 16), element)), 1);
    node.plain = true;
    this.total++;
    this.insertNode(this.tail, node, true);
  }

  /**
   * quicklistAppendListpack (the RDB loader): `lp`, a validated non-empty listpack of
   * exactly its size that the list may keep, becomes the new tail node as it is.
   */
  appendListpack(lp: Uint8Array): void {
    const node = new QuicklistNode(lp, lpLength(lp));
    this.total += node.count;
    this.insertNode(this.tail, node, true);
  }

  // ---- internals ----------------------------------------------------------------------

  /** _quicklistNodeAllowInsert: may an element of `length` bytes join `node`? */
  private allowInsert(node: QuicklistNode | null, length: number): boolean {
    if (node === null || node.plain || isLargeElement(length)) return false;
    const newSize = node.sz + length + SIZE_ESTIMATE_OVERHEAD;
    if (sizeMeetsOptimizationRequirement(newSize, this.fill)) return true;
    if (newSize > SIZE_SAFETY_LIMIT) return false;
    return node.count < this.fill;
  }

  /** _quicklistNodeAllowMerge: may `a` and `b` become one node? */
  private allowMerge(a: QuicklistNode | null, b: QuicklistNode | null): boolean {
    if (a === null || b === null || a.plain || b.plain) return false;
    // Redis's estimate of the merged size takes 11 bytes for the header and terminator.
    const mergedSize = a.sz + b.sz - 11;
    if (sizeMeetsOptimizationRequirement(mergedSize, this.fill)) return true;
    if (mergedSize > SIZE_SAFETY_LIMIT) return false;
    return a.count + b.count <= this.fill;
  }

  /**
   * Room for a new end node's listpack. One that replaces a full end node will most
   * likely fill as that one did, so it gets its final size at once rather than growing
   * by steps: the byte limit for a negative fill (a node stops just short of it), the
   * full node's size for a count. A list's first node starts small.
   */
  private newNodeCapacity(previousEnd: QuicklistNode | null, length: number): number {
    const least = length + 16;
    if (previousEnd === null || previousEnd.plain) return least;
    const expected = this.fill < 0 ? OPTIMIZATION_LEVEL[-this.fill - 1]! : previousEnd.sz;
    return expected > least ? expected : least;
  }

  /** A node that was an end and no longer is will rarely grow again: drop its spare room if it matters. */
  private leaveEnd(node: QuicklistNode): void {
    if (!node.compressed && node.entry.length - node.sz > (node.sz >> 4) + 32) this.setEntry(node, lpShrinkToFit(node.entry));
  }

  /** The node's listpack to read: its bytes, or a temporary decompressed copy. */
  private readable(node: QuicklistNode): Uint8Array {
    return node.compressed ? lzfDecompress(node.entry, node.sz) : node.entry;
  }

  /** The node holding position `index` (negative from the tail), its offset in locatedOffset; null when out of range. */
  private locate(index: number): QuicklistNode | null {
    if (index < 0) index += this.total;
    if (index < 0 || index >= this.total) return null;
    // quicklistGetIteratorAtIdx seeks from the nearer end.
    if (index <= (this.total - 1) / 2) {
      let node = this.head!;
      while (index >= node.count) {
        index -= node.count;
        node = node.next!;
      }
      this.locatedOffset = index;
      return node;
    }
    let fromEnd = this.total - 1 - index;
    let node = this.tail!;
    while (fromEnd >= node.count) {
      fromEnd -= node.count;
      node = node.prev!;
    }
    this.locatedOffset = node.count - 1 - fromEnd;
    return node;
  }

  /** quicklistDelIndex: removes the entry at p of a raw node, and the node when it empties. */
  private deleteEntry(node: QuicklistNode, p: number): void {
    this.setEntry(node, lpDelete(node.entry, p));
    node.count--;
    this.total--;
    this.afterDeletion(node);
  }

  /** After entries left a raw node: drop it when empty, else update and maybe shrink it, and recompress. */
  private afterDeletion(node: QuicklistNode): void {
    if (node.count === 0) {
      this.deleteNode(node);
      return;
    }
    this.updateSize(node);
    this.recompressOnly(node);
  }

  /** A raw node's sz after deletions, with its array shrunk when they left it mostly empty. */
  private updateSize(node: QuicklistNode): void {
    node.sz = lpBytes(node.entry);
    if (node.entry.length > node.sz * SHRINK_RATIO + SHRINK_SLACK) this.setEntry(node, lpShrinkToFit(node.entry));
  }

  /**
   * What releasing Redis's iterator does to a node it read (quicklistCompress): a node
   * it found compressed is compressed again, which leaves it as it was; a raw one gets
   * __quicklistCompress, which compresses it if it lies deeper than the depth (a node
   * can be raw there: one too small to compress when it was last tried, then grown).
   */
  private doneReading(node: QuicklistNode): void {
    if (this.compressDepth !== 0 && !node.compressed) this.compressAround(node);
  }

  /** quicklistDelRange for 0 <= start: removes `count` elements from `start` on. */
  private deleteRange(start: number, count: number): void {
    if (count <= 0) return;
    let extent = count > this.total - start ? this.total - start : count;
    let node = this.locate(start);
    let offset = this.locatedOffset;
    // quicklistDelRange releases the iterator it located the start with.
    if (node !== null) this.compressAround(node);
    while (extent > 0 && node !== null) {
      const next: QuicklistNode | null = node.next;
      let deleted: number;
      if (offset === 0 && extent >= node.count) {
        deleted = node.count;
        this.deleteNode(node);
      } else {
        deleted = extent + offset >= node.count ? node.count - offset : extent;
        this.decompressForUse(node);
        this.setEntry(node, lpDeleteRange(node.entry, lpSeek(node.entry, offset), deleted));
        node.count -= deleted;
        this.total -= deleted;
        this.afterDeletion(node);
      }
      extent -= deleted;
      node = next;
      offset = 0;
    }
  }

  /**
   * _quicklistInsert: `value` after (or before) the entry at p, the offset-th of `node`
   * (a raw node). The cases and their order are quicklist.c's.
   */
  private insertAt(node: QuicklistNode, offset: number, p: number, value: Uint8Array, after: boolean): void {
    const length = value.length;
    const full = !this.allowInsert(node, length);
    const atTail = after && offset === node.count - 1;
    const atHead = !after && offset === 0;
    const availableNext = atTail && this.allowInsert(node.next, length);
    const availablePrevious = atHead && this.allowInsert(node.prev, length);
    this.total++;
    if (isLargeElement(length)) {
      const alone = new QuicklistNode(lpAppend(lpNew(length + 16), value), 1);
      alone.plain = true;
      if (node.plain || atTail || atHead) {
        this.insertNode(node, alone, after);
        return;
      }
      // In the middle of a packed node: split, and the element alone between.
      const split = this.splitNode(node, offset, after);
      this.insertNode(node, alone, after);
      this.insertNode(alone, split, after);
      return;
    }
    if (!full) {
      this.setEntry(node, lpInsert(node.entry, p, value, after ? LP_AFTER : LP_BEFORE));
      node.count++;
      node.sz = lpBytes(node.entry);
      this.recompressOnly(node);
    } else if (availableNext || availablePrevious) {
      // At a full node's edge: the head of the next node, or the tail of the previous one.
      const neighbour = availableNext ? node.next! : node.prev!;
      this.decompressForUse(neighbour);
      this.setEntry(neighbour, availableNext ? lpPrepend(neighbour.entry, value) : lpAppend(neighbour.entry, value));
      neighbour.count++;
      neighbour.sz = lpBytes(neighbour.entry);
      this.recompressOnly(neighbour);
      this.recompressOnly(node);
    } else if (atTail || atHead) {
      this.insertNode(node, new QuicklistNode(lpPrepend(lpNew(length + 16), value), 1), after);
    } else {
      const split = this.splitNode(node, offset, after);
      split.entry = after ? lpPrepend(split.entry, value) : lpAppend(split.entry, value);
      split.count++;
      split.sz = lpBytes(split.entry);
      this.insertNode(node, split, after);
      this.mergeNodes(node);
    }
  }

  /**
   * _quicklistSplitNode of a raw node: with `after`, the node keeps [0, offset] and the
   * returned (unlinked) node gets the rest; without, the returned node gets [0, offset)
   * and the node keeps the rest.
   */
  private splitNode(node: QuicklistNode, offset: number, after: boolean): QuicklistNode {
    const count = node.count;
    const original = node.entry;
    const copy = original.slice(0, node.sz);
    let kept: number;
    if (after) {
      kept = offset + 1;
      if (kept < count) lpDeleteRange(original, lpSeek(original, kept), count - kept);
      lpDeleteRange(copy, lpFirst(copy), kept);
    } else {
      kept = count - offset;
      if (offset > 0) lpDeleteRange(original, lpFirst(original), offset);
      lpDeleteRange(copy, lpSeek(copy, offset), kept);
    }
    this.setEntry(node, lpShrinkToFit(original));
    node.count = kept;
    node.sz = lpBytes(node.entry);
    return new QuicklistNode(lpShrinkToFit(copy), count - kept);
  }

  /** _quicklistMergeNodes: merges around `center` where _quicklistNodeAllowMerge allows. */
  private mergeNodes(center: QuicklistNode): void {
    const previous = center.prev;
    const previousPrevious = previous === null ? null : previous.prev;
    const next = center.next;
    const nextNext = next === null ? null : next.next;
    if (this.allowMerge(previous, previousPrevious)) this.mergePair(previousPrevious!, previous!);
    if (this.allowMerge(next, nextNext)) this.mergePair(next!, nextNext!);
    let target: QuicklistNode = center;
    if (this.allowMerge(center, center.prev)) target = this.mergePair(center.prev!, center);
    if (this.allowMerge(target, target.next)) this.mergePair(target, target.next!);
  }

  /** _quicklistListpackMerge: `a` (left of `b`) takes b's entries and b goes; returns a. */
  private mergePair(a: QuicklistNode, b: QuicklistNode): QuicklistNode {
    this.decompressNode(a);
    this.decompressNode(b);
    this.setEntry(a, lpMerge(a.entry, b.entry));
    a.count += b.count;
    a.sz = lpBytes(a.entry);
    // Its elements now count in a: deleteNode must not take them off the total.
    b.count = 0;
    this.deleteNode(b);
    this.compress(a);
    return a;
  }

  /** __quicklistInsertNode: links `node` after (or before) `old` (null: into an empty list). */
  private insertNode(old: QuicklistNode | null, node: QuicklistNode, after: boolean): void {
    if (after) {
      node.prev = old;
      if (old !== null) {
        node.next = old.next;
        if (old.next !== null) old.next.prev = node;
        old.next = node;
      }
      if (this.tail === old) this.tail = node;
    } else {
      node.next = old;
      if (old !== null) {
        node.prev = old.prev;
        if (old.prev !== null) old.prev.next = node;
        old.prev = node;
      }
      if (this.head === old) this.head = node;
    }
    if (this.nodes === 0) {
      this.head = node;
      this.tail = node;
    }
    this.nodes++;
    this.entryBytes += node.entry.byteLength;
    if (old !== null) this.compress(old);
    this.compress(node);
  }

  /** __quicklistDelNode: unlinks `node` and takes its count off the total. */
  private deleteNode(node: QuicklistNode): void {
    if (node.next !== null) node.next.prev = node.prev;
    if (node.prev !== null) node.prev.next = node.next;
    if (node === this.tail) this.tail = node.prev;
    if (node === this.head) this.head = node.next;
    node.prev = null;
    node.next = null;
    this.nodes--;
    this.entryBytes -= node.entry.byteLength;
    this.total -= node.count;
    // A node within the compress depth may have gone: nodes deeper in come nearer.
    this.compressAround(null);
  }

  // ---- compression (list-compress-depth) ---------------------------------------------

  /** quicklistCompress: recompress a node decompressed for an edit, else re-apply the depth around it. */
  private compress(node: QuicklistNode): void {
    if (node.recompress) this.compressNode(node);
    else this.compressAround(node);
  }

  /** quicklistRecompressOnly */
  private recompressOnly(node: QuicklistNode): void {
    if (node.recompress) this.compressNode(node);
  }

  /**
   * __quicklistCompress: the `compressDepth` nodes at each end are made raw, and `node`
   * (when deeper in) and the first node past the depth on each side are compressed.
   */
  private compressAround(node: QuicklistNode | null): void {
    const depth = this.compressDepth;
    if (this.nodes === 0 || depth === 0 || this.nodes < depth * 2) return;
    let forward = this.head!;
    let reverse = this.tail!;
    let inDepth = false;
    for (let level = 0; level < depth; level++) {
      this.decompressNode(forward);
      this.decompressNode(reverse);
      if (forward === node || reverse === node) inDepth = true;
      // The two walks met: every node is within the depth of one end.
      if (forward === reverse || forward.next === reverse) return;
      forward = forward.next!;
      reverse = reverse.prev!;
    }
    if (!inDepth && node !== null) this.compressNode(node);
    this.compressNode(forward);
    this.compressNode(reverse);
  }

  /** __quicklistCompressNode of a raw interior node; small or incompressible nodes stay raw. */
  private compressNode(node: QuicklistNode): void {
    node.recompress = false;
    if (node.compressed || node.prev === null || node.next === null || node.sz < MIN_COMPRESS_BYTES) return;
    const compressed = lzfCompress(node.entry.subarray(0, node.sz), node.sz - MIN_COMPRESS_IMPROVE - 1);
    if (compressed === null) {
      this.leaveEnd(node);
      return;
    }
    this.setEntry(node, compressed);
    node.compressed = true;
  }

  /** __quicklistDecompressNode */
  private decompressNode(node: QuicklistNode): void {
    node.recompress = false;
    if (!node.compressed) return;
    this.setEntry(node, lzfDecompress(node.entry, node.sz));
    node.compressed = false;
  }

  /** quicklistDecompressNodeForUse: raw for an edit, compressed again after it. */
  private decompressForUse(node: QuicklistNode): void {
    if (!node.compressed) return;
    this.setEntry(node, lzfDecompress(node.entry, node.sz));
    node.compressed = false;
    node.recompress = true;
  }
}
