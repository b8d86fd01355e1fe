// The list value: a chunked deque in the spirit of Redis's quicklist.
//
// A list is a doubly linked chain of nodes; each node is a small ring buffer of
// at most NODE_CAPACITY values. Pushes and pops at either end touch one node
// (O(1) amortised), and positional access walks node by node from the nearer end,
// so it costs O(n / NODE_CAPACITY) rather than O(n). Middle insertions split a
// full node in two, and removals merge small neighbours back together, so nodes
// stay reasonably full and positional access stays cheap.
//
// The node layout is private: the RDB encoder re-chunks lists by
// list-max-listpack-size itself, so nothing outside depends on NODE_CAPACITY.
//
// Redis 7.0 reports OBJECT ENCODING "quicklist" for every list, whatever its size.

import { bytesEqual } from "./bytes.ts";

/** Largest number of values one node holds. */
const NODE_CAPACITY = 128;
/** First ring size of a node created for a short list: small lists stay small in memory. */
const INITIAL_NODE_RING = 4;
/** A node this empty after a removal tries to merge with a neighbour. */
const MERGE_THRESHOLD = NODE_CAPACITY / 4;

class ListNode {
  /** Ring buffer; its length is a power of two, unused slots hold undefined. */
  items: (Uint8Array | undefined)[];
  head = 0;
  count = 0;
  prev: ListNode | null = null;
  next: ListNode | null = null;

  constructor(ringSize: number) {
    this.items = new Array<Uint8Array | undefined>(ringSize).fill(undefined);
  }

  static fromValues(values: Uint8Array[]): ListNode {
    let ringSize = INITIAL_NODE_RING;
    while (ringSize < values.length) ringSize *= 2;
    const node = new ListNode(ringSize);
    for (let i = 0; i < values.length; i++) node.items[i] = values[i];
    node.count = values.length;
    return node;
  }

  get(offset: number): Uint8Array {
    return this.items[(this.head + offset) & (this.items.length - 1)]!;
  }

  put(offset: number, value: Uint8Array): void {
    this.items[(this.head + offset) & (this.items.length - 1)] = value;
  }

  pushBack(value: Uint8Array): void {
    if (this.count === this.items.length) this.growRing();
    this.items[(this.head + this.count) & (this.items.length - 1)] = value;
    this.count++;
  }

  pushFront(value: Uint8Array): void {
    if (this.count === this.items.length) this.growRing();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = value;
    this.count++;
  }

  popFront(): Uint8Array {
    const value = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return value;
  }

  popBack(): Uint8Array {
    const slot = (this.head + this.count - 1) & (this.items.length - 1);
    const value = this.items[slot]!;
    this.items[slot] = undefined;
    this.count--;
    return value;
  }

  /** The values in order, as a fresh array (used by the rare middle edits). */
  toArray(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.get(i);
    return out;
  }

  /** Replace the content with `values` (at most NODE_CAPACITY of them). */
  reset(values: Uint8Array[]): void {
    let ringSize = INITIAL_NODE_RING;
    while (ringSize < values.length) ringSize *= 2;
    const items = new Array<Uint8Array | undefined>(ringSize).fill(undefined);
    for (let i = 0; i < values.length; i++) items[i] = values[i];
    this.items = items;
    this.head = 0;
    this.count = values.length;
  }

  private growRing(): void {
    const old = this.items;
    const mask = old.length - 1;
    const grown = new Array<Uint8Array | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) grown[i] = old[(this.head + i) & mask];
    this.items = grown;
    this.head = 0;
  }
}

/** Where a list position lives: the node and the offset inside it. */
interface NodePosition {
  node: ListNode;
  offset: number;
}

export class RedisList {
  readonly type = "list" as const;
  readonly encoding = "quicklist" as const;

  private headNode: ListNode | null = null;
  private tailNode: ListNode | null = null;
  private totalCount = 0;
  private nodeCountValue = 0;

  static fromValues(values: Iterable<Uint8Array>): RedisList {
    const list = new RedisList();
    for (const value of values) list.pushTail(value);
    return list;
  }

  /**
   * The list of values[0, count), built node by node with the nodes pushTail would
   * have built (same chunking and ring sizes) but without growing a ring per
   * value: the RDB loader's constructor.
   */
  static fromArray(values: readonly Uint8Array[], count: number): RedisList {
    const list = new RedisList();
    for (let start = 0; start < count; start += NODE_CAPACITY) {
      const end = Math.min(count, start + NODE_CAPACITY);
      let ringSize = NODE_CAPACITY;
      if (start === 0) {
        // The first node starts small and doubles, as pushTail grows it.
        ringSize = INITIAL_NODE_RING;
        while (ringSize < end) ringSize *= 2;
      }
      const node = new ListNode(ringSize);
      const items = node.items;
      for (let i = start; i < end; i++) items[i - start] = values[i];
      node.count = end - start;
      list.linkAfter(node, list.tailNode);
    }
    list.totalCount = count;
    return list;
  }

  /** A deep copy (COPY): the same values, in arrays of their own. */
  clone(): RedisList {
    const values = this.toArray();
    for (let i = 0; i < values.length; i++) values[i] = values[i]!.slice();
    return RedisList.fromArray(values, values.length);
  }

  get length(): number {
    return this.totalCount;
  }

  /** Number of internal nodes (for DEBUG/diagnostics and tests of the chunking). */
  get nodeCount(): number {
    return this.nodeCountValue;
  }

  pushHead(value: Uint8Array): void {
    let node = this.headNode;
    if (node === null || node.count >= NODE_CAPACITY) {
      // A list that already filled a node is long: give the new node a full ring at once.
      node = new ListNode(node === null ? INITIAL_NODE_RING : NODE_CAPACITY);
      this.linkBefore(node, this.headNode);
    }
    node.pushFront(value);
    this.totalCount++;
  }

  pushTail(value: Uint8Array): void {
    let node = this.tailNode;
    if (node === null || node.count >= NODE_CAPACITY) {
      node = new ListNode(node === null ? INITIAL_NODE_RING : NODE_CAPACITY);
      this.linkAfter(node, this.tailNode);
    }
    node.pushBack(value);
    this.totalCount++;
  }

  popHead(): Uint8Array | undefined {
    const node = this.headNode;
    if (node === null) return undefined;
    const value = node.popFront();
    this.totalCount--;
    if (node.count === 0) this.unlink(node);
    return value;
  }

  popTail(): Uint8Array | undefined {
    const node = this.tailNode;
    if (node === null) return undefined;
    const value = node.popBack();
    this.totalCount--;
    if (node.count === 0) this.unlink(node);
    return value;
  }

  /** Value at `index` (0 = head; negative counts from the tail, -1 = last), or undefined when out of range. */
  at(index: number): Uint8Array | undefined {
    const position = this.locate(index);
    return position === null ? undefined : position.node.get(position.offset);
  }

  /** LSET: same index rules as at(); false when out of range. */
  set(index: number, value: Uint8Array): boolean {
    const position = this.locate(index);
    if (position === null) return false;
    position.node.put(position.offset, value);
    return true;
  }

  /** Values from `start` to `stop` inclusive; the caller has normalised 0 <= start <= stop < length. */
  range(start: number, stop: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (start > stop || start >= this.totalCount || start < 0) return out;
    const last = stop < this.totalCount ? stop : this.totalCount - 1;
    const position = this.locate(start)!;
    let node: ListNode | null = position.node;
    let offset = position.offset;
    let remaining = last - start + 1;
    while (node !== null && remaining > 0) {
      for (; offset < node.count && remaining > 0; offset++, remaining--) out.push(node.get(offset));
      node = node.next;
      offset = 0;
    }
    return out;
  }

  /**
   * Writes the values, head to tail, into `target` from index 0 and returns how
   * many there are: a reusable array instead of a fresh one (the RDB encoder's loop).
   */
  valuesInto(target: Uint8Array[]): number {
    let at = 0;
    for (let node = this.headNode; node !== null; node = node.next) {
      for (let i = 0; i < node.count; i++) target[at++] = node.get(i);
    }
    return at;
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (let node = this.headNode; node !== null; node = node.next) {
      for (let i = 0; i < node.count; i++) yield node.get(i);
    }
  }

  /**
   * Values starting at `index` (normalised, 0 <= index < length), walking towards the tail,
   * or towards the head when `reverse`. LPOS and LRANGE-like scans use this to avoid
   * re-locating every position.
   */
  *valuesFrom(index: number, reverse = false): Generator<Uint8Array, void, undefined> {
    const position = this.locate(index);
    if (position === null) return;
    let node: ListNode | null = position.node;
    let offset = position.offset;
    if (!reverse) {
      while (node !== null) {
        for (; offset < node.count; offset++) yield node.get(offset);
        node = node.next;
        offset = 0;
      }
    } else {
      while (node !== null) {
        for (; offset >= 0; offset--) yield node.get(offset);
        node = node.prev;
        offset = node === null ? 0 : node.count - 1;
      }
    }
  }

  toArray(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.totalCount);
    let i = 0;
    for (let node = this.headNode; node !== null; node = node.next) {
      for (let j = 0; j < node.count; j++) out[i++] = node.get(j);
    }
    return out;
  }

  clear(): void {
    this.headNode = null;
    this.tailNode = null;
    this.totalCount = 0;
    this.nodeCountValue = 0;
  }

  /**
   * LPOS: positions (0-based from the head) of elements equal to `value`.
   * rank > 0 starts at the head and skips rank-1 matches; rank < 0 starts at the tail.
   * count 0 means every match; maxLen 0 means compare the whole list.
   * The caller rejects rank 0 and negative count/maxLen as Redis does.
   */
  positionsOf(value: Uint8Array, rank: number, count: number, maxLen: number): number[] {
    const out: number[] = [];
    if (this.totalCount === 0) return out;
    const reverse = rank < 0;
    let toSkip = (reverse ? -rank : rank) - 1;
    let compared = 0;
    let index = reverse ? this.totalCount - 1 : 0;
    const step = reverse ? -1 : 1;
    for (const candidate of this.valuesFrom(index, reverse)) {
      if (maxLen !== 0 && compared >= maxLen) break;
      compared++;
      if (bytesEqual(candidate, value)) {
        if (toSkip > 0) {
          toSkip--;
        } else {
          out.push(index);
          if (count !== 0 && out.length >= count) break;
        }
      }
      index += step;
    }
    return out;
  }

  /**
   * LINSERT: put `value` before or after the first element (from the head) equal to `pivot`.
   * Returns the new length, or -1 when the pivot is absent.
   */
  insert(pivot: Uint8Array, value: Uint8Array, before: boolean): number {
    for (let node = this.headNode; node !== null; node = node.next) {
      for (let offset = 0; offset < node.count; offset++) {
        if (bytesEqual(node.get(offset), pivot)) {
          this.insertAt(node, before ? offset : offset + 1, value);
          return this.totalCount;
        }
      }
    }
    return -1;
  }

  /**
   * Insert `value` so that it ends up at position `index` (0 <= index <= length).
   * index == length appends.
   */
  insertAtIndex(index: number, value: Uint8Array): void {
    if (index <= 0) return this.pushHead(value);
    if (index >= this.totalCount) return this.pushTail(value);
    const position = this.locate(index)!;
    this.insertAt(position.node, position.offset, value);
  }

  /**
   * LREM: remove up to |count| elements equal to `value`; count > 0 from the head,
   * count < 0 from the tail, 0 all of them. Returns how many were removed.
   */
  remove(count: number, value: Uint8Array): number {
    const limit = count === 0 ? Infinity : Math.abs(count);
    let removed = 0;
    const fromTail = count < 0;
    let node = fromTail ? this.tailNode : this.headNode;
    while (node !== null && removed < limit) {
      const following: ListNode | null = fromTail ? node.prev : node.next;
      let matches = 0;
      for (let i = 0; i < node.count; i++) if (bytesEqual(node.get(i), value)) matches++;
      if (matches > 0) {
        const values = node.toArray();
        const kept: Uint8Array[] = [];
        if (!fromTail) {
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            if (removed < limit && bytesEqual(v, value)) removed++;
            else kept.push(v);
          }
        } else {
          for (let i = values.length - 1; i >= 0; i--) {
            const v = values[i]!;
            if (removed < limit && bytesEqual(v, value)) removed++;
            else kept.push(v);
          }
          kept.reverse();
        }
        this.totalCount -= values.length - kept.length;
        if (kept.length === 0) {
          this.unlink(node);
        } else {
          node.reset(kept);
          this.mergeIfSparse(node, !fromTail);
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
    if (start > stop || start >= this.totalCount) {
      this.clear();
      return;
    }
    const dropAtTail = stop >= this.totalCount ? 0 : this.totalCount - 1 - stop;
    this.removeHead(start);
    this.removeTail(dropAtTail);
  }

  /** Drop the first `n` elements (whole nodes at once where possible). */
  removeHead(n: number): void {
    while (n > 0 && this.headNode !== null) {
      const node: ListNode = this.headNode;
      if (node.count <= n) {
        n -= node.count;
        this.totalCount -= node.count;
        this.unlink(node);
      } else {
        this.totalCount -= n;
        for (; n > 0; n--) node.popFront();
      }
    }
  }

  /** Drop the last `n` elements. */
  removeTail(n: number): void {
    while (n > 0 && this.tailNode !== null) {
      const node: ListNode = this.tailNode;
      if (node.count <= n) {
        n -= node.count;
        this.totalCount -= node.count;
        this.unlink(node);
      } else {
        this.totalCount -= n;
        for (; n > 0; n--) node.popBack();
      }
    }
  }

  // ---- internals ----

  /** Node and offset of a position (negative counts from the tail), or null when out of range. */
  private locate(index: number): NodePosition | null {
    if (index < 0) index += this.totalCount;
    if (index < 0 || index >= this.totalCount) return null;
    if (index < this.totalCount / 2) {
      let node = this.headNode!;
      while (index >= node.count) {
        index -= node.count;
        node = node.next!;
      }
      return { node, offset: index };
    }
    let fromEnd = this.totalCount - 1 - index;
    let node = this.tailNode!;
    while (fromEnd >= node.count) {
      fromEnd -= node.count;
      node = node.prev!;
    }
    return { node, offset: node.count - 1 - fromEnd };
  }

  /** Insert at `offset` inside `node` (0..node.count), splitting a full node. */
  private insertAt(node: ListNode, offset: number, value: Uint8Array): void {
    if (offset === node.count && node.count < NODE_CAPACITY) {
      node.pushBack(value);
    } else if (offset === 0 && node.count < NODE_CAPACITY) {
      node.pushFront(value);
    } else if (node.count < NODE_CAPACITY) {
      const values = node.toArray();
      values.splice(offset, 0, value);
      node.reset(values);
    } else {
      const values = node.toArray();
      values.splice(offset, 0, value);
      const half = values.length >>> 1;
      node.reset(values.slice(0, half));
      this.linkAfter(ListNode.fromValues(values.slice(half)), node);
    }
    this.totalCount++;
  }

  /**
   * After a removal left `node` sparse, fold it into the neighbour on the side already
   * visited by the caller's walk (towards the head when walking forward), so the walk's
   * next node stays linked and no unvisited values move into visited nodes.
   */
  private mergeIfSparse(node: ListNode, intoPrevious: boolean): void {
    if (node.count > MERGE_THRESHOLD) return;
    if (intoPrevious) {
      const prev = node.prev;
      if (prev !== null && prev.count + node.count <= NODE_CAPACITY) {
        prev.reset(prev.toArray().concat(node.toArray()));
        this.unlink(node);
      }
    } else {
      const next = node.next;
      if (next !== null && node.count + next.count <= NODE_CAPACITY) {
        next.reset(node.toArray().concat(next.toArray()));
        this.unlink(node);
      }
    }
  }

  private linkBefore(node: ListNode, successor: ListNode | null): void {
    if (successor === null) {
      // Only an empty list has no node to link before.
      this.linkAfter(node, null);
      return;
    }
    node.next = successor;
    node.prev = successor.prev;
    if (successor.prev !== null) successor.prev.next = node;
    else this.headNode = node;
    successor.prev = node;
    this.nodeCountValue++;
  }

  private linkAfter(node: ListNode, predecessor: ListNode | null): void {
    if (predecessor === null) {
      // Empty list, or insertion before the current head.
      node.prev = null;
      node.next = this.headNode;
      if (this.headNode !== null) this.headNode.prev = node;
      this.headNode = node;
      if (this.tailNode === null) this.tailNode = node;
    } else {
      node.prev = predecessor;
      node.next = predecessor.next;
      if (predecessor.next !== null) predecessor.next.prev = node;
      else this.tailNode = node;
      predecessor.next = node;
    }
    this.nodeCountValue++;
  }

  private unlink(node: ListNode): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.headNode = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tailNode = node.prev;
    node.prev = null;
    node.next = null;
    this.nodeCountValue--;
  }
}
