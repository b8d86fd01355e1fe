// The order of a large sorted set: a B+tree of (score, member) with subtree counts, in
// typed arrays, holding member *slots* rather than members.
//
// Redis keeps a large zset as a dict (member -> score) plus a skiplist whose every node
// is an allocation with the member's sds, the score and a forward link and span per
// level. The JS twin of that (a node object with two arrays per element, and a Map
// entry) costs about 200 bytes per element before the member's bytes and is walked by
// the garbage collector element by element. Here the member index (dict.ts, a Dict in
// "score" mode) owns the member bytes and gives every member a stable slot; this tree
// orders those slots:
//
//   leaf    scores: Float64Array, slots: Int32Array, up to LEAF_CAPACITY elements in
//           order, linked to its neighbours for range walks;
//   inner   its children, and per child the element count of the subtree (ranks in
//           O(log n), as the skiplist's spans give) and the subtree's largest
//           (score, slot), the separator a descent compares against.
//
// A member is compared through MemberOrder.compareKeyAt(slot, key), so its bytes live
// once, in the index. Everything a search compares against is a live element: a
// separator is refreshed whenever the largest element of a subtree changes, so the
// index may reuse a deleted member's slot at once. The tree must be told of a removal
// before the index frees the slot.
//
// Every node but the root holds at least a quarter of its capacity (a node that falls
// under merges with a neighbour, or takes elements from it), so a tree of n elements
// costs about 12-24 bytes per element and has depth log64(n/64).
//
// Searches are binary searches for the point where a predicate turns (lowerBound).
// For score ranges and for (score, member) the predicate is monotonic and the answer is
// the skiplist's. A lex range over members whose order is not their score order has no
// single answer: Redis's zslFirstInLexRange returns *some* element that follows one
// below the range (which one depends on its nodes' random levels), and a lower bound
// gives such an element too. (A listpack zset is searched linearly, exactly as Redis
// searches one: zset.ts.)

import { arrayBytes, objectBytes, TYPED_ARRAY_OVERHEAD, typedArrayBytes } from "./object-size.ts";

/** How the tree compares a member it holds (by slot) with a member being searched for. */
export interface MemberOrder {
  /** memcmp order of the member at `slot` against `key` (a binary string): <0, 0, >0. */
  compareKeyAt(slot: number, key: string): number;
}

const LEAF_CAPACITY = 128;
const LEAF_MIN = LEAF_CAPACITY / 4;
const INNER_CAPACITY = 64;
const INNER_MIN = INNER_CAPACITY / 4;
/** Deeper than any tree of 2^31 elements can grow. */
const MAX_DEPTH = 32;
/** A leaf: its cell, one buffer viewed as scores and slots. */
const LEAF_BYTES = objectBytes(8) + typedArrayBytes((LEAF_CAPACITY + 1) * 12) + TYPED_ARRAY_OVERHEAD;
/** An inner node: its cell, one buffer viewed three ways, and its children array. */
const INNER_BYTES = objectBytes(8) + typedArrayBytes((INNER_CAPACITY + 1) * 16) + 2 * TYPED_ARRAY_OVERHEAD + arrayBytes(INNER_CAPACITY + 1);

class Leaf {
  readonly isLeaf = true;
  count = 0;
  parent: Inner | null = null;
  prev: Leaf | null = null;
  next: Leaf | null = null;
  // One more than the capacity: an insert lands first and the leaf splits after.
  readonly scores: Float64Array;
  readonly slots: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer((LEAF_CAPACITY + 1) * 12);
    this.scores = new Float64Array(buffer, 0, LEAF_CAPACITY + 1);
    this.slots = new Int32Array(buffer, (LEAF_CAPACITY + 1) * 8, LEAF_CAPACITY + 1);
  }
}

class Inner {
  readonly isLeaf = false;
  count = 0;
  parent: Inner | null = null;
  readonly children: TreeNode[] = [];
  readonly sizes: Int32Array;
  readonly maxScores: Float64Array;
  readonly maxSlots: Int32Array;

  constructor() {
    const buffer = new ArrayBuffer((INNER_CAPACITY + 1) * 16);
    this.maxScores = new Float64Array(buffer, 0, INNER_CAPACITY + 1);
    this.sizes = new Int32Array(buffer, (INNER_CAPACITY + 1) * 8, INNER_CAPACITY + 1);
    this.maxSlots = new Int32Array(buffer, (INNER_CAPACITY + 1) * 12, INNER_CAPACITY + 1);
  }
}

type TreeNode = Leaf | Inner;

function sizeOf(node: TreeNode): number {
  if (node.isLeaf) return node.count;
  let total = 0;
  for (let i = 0; i < node.count; i++) total += node.sizes[i]!;
  return total;
}

function maxScoreOf(node: TreeNode): number {
  return node.isLeaf ? node.scores[node.count - 1]! : node.maxScores[node.count - 1]!;
}

function maxSlotOf(node: TreeNode): number {
  return node.isLeaf ? node.slots[node.count - 1]! : node.maxSlots[node.count - 1]!;
}

/**
 * A position in the tree, for walking a range element by element in either direction.
 * `valid` is false once it has moved past either end.
 */
export class TreeCursor {
  constructor(
    private leaf: Leaf | null,
    private index: number,
  ) {}

  get valid(): boolean {
    return this.leaf !== null;
  }

  get score(): number {
    return this.leaf!.scores[this.index]!;
  }

  get slot(): number {
    return this.leaf!.slots[this.index]!;
  }

  next(): void {
    const leaf = this.leaf!;
    if (++this.index < leaf.count) return;
    this.leaf = leaf.next;
    this.index = 0;
  }

  prev(): void {
    if (--this.index >= 0) return;
    const leaf = this.leaf!.prev;
    this.leaf = leaf;
    this.index = leaf === null ? 0 : leaf.count - 1;
  }
}

/** Says whether an element (score, slot) lies before the point a search looks for. */
export type TreePredicate = (score: number, slot: number) => boolean;

export class ZsetTree {
  private root: TreeNode = new Leaf();
  private head: Leaf;
  private tail: Leaf;
  private elements = 0;
  /** Nodes of each kind, for memoryUsage(). */
  private leaves = 1;
  private inners = 0;

  // The path of the last descent: the inner node at each depth and the child taken.
  // Operations never nest, so one path per tree serves them all.
  private readonly pathNodes: Inner[] = [];
  private readonly pathIndexes = new Int32Array(MAX_DEPTH);
  private pathDepth = 0;
  /** Elements before the leaf the last descent reached. */
  private descentRank = 0;

  constructor(private readonly members: MemberOrder) {
    this.head = this.tail = this.root as Leaf;
  }

  get size(): number {
    return this.elements;
  }

  /** The bytes the tree allocates (object-size.ts): its nodes, each a cell, a buffer and its views. */
  memoryUsage(): number {
    return objectBytes(18) + this.leaves * LEAF_BYTES + this.inners * INNER_BYTES;
  }

  /** Levels of inner nodes above the leaves (diagnostics and tests). */
  get depth(): number {
    let depth = 0;
    for (let node = this.root; !node.isLeaf; node = node.children[0]!) depth++;
    return depth;
  }

  // ---- searches ----

  /** True when (score, slot) sorts strictly before (score, member). */
  private before(elementScore: number, slot: number, score: number, member: string): boolean {
    return elementScore < score || (elementScore === score && this.members.compareKeyAt(slot, member) < 0);
  }

  /** Descends to the leaf where (score, member) is or would go, recording the path. */
  private descendToKey(score: number, member: string): Leaf {
    let node = this.root;
    let rank = 0;
    let depth = 0;
    while (!node.isLeaf) {
      // The first child whose largest element is not before the key; the last child if none.
      let lo = 0;
      let hi = node.count - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.before(node.maxScores[mid]!, node.maxSlots[mid]!, score, member)) lo = mid + 1;
        else hi = mid;
      }
      for (let i = 0; i < lo; i++) rank += node.sizes[i]!;
      this.pathNodes[depth] = node;
      this.pathIndexes[depth++] = lo;
      node = node.children[lo]!;
    }
    this.pathDepth = depth;
    this.descentRank = rank;
    return node;
  }

  /** Index of the first element of `leaf` not before (score, member) (leaf.count if none). */
  private leafLowerBound(leaf: Leaf, score: number, member: string): number {
    let lo = 0;
    let hi = leaf.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(leaf.scores[mid]!, leaf.slots[mid]!, score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Descends to the leaf holding 0-based `rank` (< size), recording the path; returns the index in it. */
  private descendToRank(rank: number): Leaf {
    let node = this.root;
    let depth = 0;
    let before = 0;
    while (!node.isLeaf) {
      let i = 0;
      while (i < node.count - 1 && rank - before >= node.sizes[i]!) before += node.sizes[i++]!;
      this.pathNodes[depth] = node;
      this.pathIndexes[depth++] = i;
      node = node.children[i]!;
    }
    this.pathDepth = depth;
    this.descentRank = before;
    return node;
  }

  /**
   * Rank of the point where `isBefore` turns false: an element for which it is false
   * whose predecessor (if any) it is true for. Every element is before: size.
   */
  lowerBound(isBefore: TreePredicate): number {
    let node = this.root;
    let rank = 0;
    while (!node.isLeaf) {
      let lo = 0;
      let hi = node.count - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (isBefore(node.maxScores[mid]!, node.maxSlots[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      for (let i = 0; i < lo; i++) rank += node.sizes[i]!;
      node = node.children[lo]!;
    }
    let lo = 0;
    let hi = node.count;
    // The last element of a leaf reached through a child whose largest element was not
    // before is itself that largest element: the bound stays inside the leaf.
    if (hi > 0 && node !== this.tail && !isBefore(node.scores[hi - 1]!, node.slots[hi - 1]!)) hi--;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isBefore(node.scores[mid]!, node.slots[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return rank + lo;
  }

  /** Number of elements with a score below `min` (at or below it when `inclusive`). */
  countScoresBelow(min: number, inclusive: boolean): number {
    return this.lowerBound(inclusive ? (score) => score <= min : (score) => score < min);
  }

  /** 0-based rank of (score, member), which must be present. */
  rankOf(score: number, member: string): number {
    const leaf = this.descendToKey(score, member);
    return this.descentRank + this.leafLowerBound(leaf, score, member);
  }

  /** The element at 0-based `rank` (< size) as a cursor. */
  cursorAt(rank: number): TreeCursor {
    if (rank < 0 || rank >= this.elements) return new TreeCursor(null, 0);
    const leaf = this.descendToRank(rank);
    return new TreeCursor(leaf, rank - this.descentRank);
  }

  /** Slot of the element at 0-based `rank` (< size). */
  slotAt(rank: number): number {
    const leaf = this.descendToRank(rank);
    return leaf.slots[rank - this.descentRank]!;
  }

  scoreAt(rank: number): number {
    const leaf = this.descendToRank(rank);
    return leaf.scores[rank - this.descentRank]!;
  }

  firstScore(): number {
    return this.head.scores[0]!;
  }

  lastScore(): number {
    return this.tail.scores[this.tail.count - 1]!;
  }

  firstSlot(): number {
    return this.head.slots[0]!;
  }

  lastSlot(): number {
    return this.tail.slots[this.tail.count - 1]!;
  }

  /** Calls `visit` for every element, ascending or descending. */
  forEach(visit: (score: number, slot: number) => void, descending = false): void {
    if (descending) {
      for (let leaf: Leaf | null = this.tail; leaf !== null; leaf = leaf.prev) {
        for (let i = leaf.count - 1; i >= 0; i--) visit(leaf.scores[i]!, leaf.slots[i]!);
      }
      return;
    }
    for (let leaf: Leaf | null = this.head; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.count; i++) visit(leaf.scores[i]!, leaf.slots[i]!);
    }
  }

  // ---- changes ----

  /** Inserts (score, slot); `member` is the slot's member, which must not be in the tree. */
  insert(score: number, slot: number, member: string): void {
    const leaf = this.descendToKey(score, member);
    this.insertAt(leaf, this.leafLowerBound(leaf, score, member), score, slot);
  }

  /** Appends an element larger than every other (a conversion in order: no search). */
  append(score: number, slot: number): void {
    const leaf = this.descendToEdge(true);
    this.insertAt(leaf, leaf.count, score, slot);
  }

  /** Puts an element smaller than every other first (a load from the highest element down: no search). */
  prepend(score: number, slot: number): void {
    this.insertAt(this.descendToEdge(false), 0, score, slot);
  }

  /** Descends to the first or the last leaf, recording the path. */
  private descendToEdge(last: boolean): Leaf {
    let node = this.root;
    let depth = 0;
    while (!node.isLeaf) {
      const index = last ? node.count - 1 : 0;
      this.pathNodes[depth] = node;
      this.pathIndexes[depth++] = index;
      node = node.children[index]!;
    }
    this.pathDepth = depth;
    return node;
  }

  /** Puts (score, slot) at `index` of the leaf the recorded path ends at, and splits the leaf if full. */
  private insertAt(leaf: Leaf, index: number, score: number, slot: number): void {
    const count = leaf.count;
    if (index < count) {
      leaf.scores.copyWithin(index + 1, index, count);
      leaf.slots.copyWithin(index + 1, index, count);
    }
    leaf.scores[index] = score;
    leaf.slots[index] = slot;
    leaf.count = count + 1;
    this.elements++;
    for (let depth = 0; depth < this.pathDepth; depth++) this.pathNodes[depth]!.sizes[this.pathIndexes[depth]!]!++;
    if (index === count) this.refreshMaxOnPath(score, slot);
    if (leaf.count > LEAF_CAPACITY) this.splitLeaf(leaf);
  }

  /** Removes (score, member), which must be present (its slot still valid); returns its slot. */
  remove(score: number, member: string): number {
    const leaf = this.descendToKey(score, member);
    return this.removeFromLeaf(leaf, this.leafLowerBound(leaf, score, member));
  }

  /** Removes the element at 0-based `rank` (< size); returns its slot. */
  removeAt(rank: number): number {
    const leaf = this.descendToRank(rank);
    return this.removeFromLeaf(leaf, rank - this.descentRank);
  }

  /**
   * Moves (oldScore, member) to newScore: in place when it keeps its position (its
   * neighbours in the leaf still bracket it, as zslUpdateScore checks), else removed and
   * inserted again.
   */
  updateScore(oldScore: number, member: string, newScore: number): void {
    const leaf = this.descendToKey(oldScore, member);
    const index = this.leafLowerBound(leaf, oldScore, member);
    // The last element of a leaf is a separator above it: moving it goes the long way.
    if (
      index < leaf.count - 1 &&
      leaf.scores[index + 1]! > newScore &&
      (index > 0 ? leaf.scores[index - 1]! < newScore : leaf.prev === null)
    ) {
      leaf.scores[index] = newScore;
      return;
    }
    const slot = this.removeFromLeaf(leaf, index);
    this.insert(newScore, slot, member);
  }

  clear(): void {
    this.root = this.head = this.tail = new Leaf();
    this.elements = 0;
    this.leaves = 1;
    this.inners = 0;
  }

  private removeFromLeaf(leaf: Leaf, index: number): number {
    const slot = leaf.slots[index]!;
    const count = leaf.count - 1;
    if (index < count) {
      leaf.scores.copyWithin(index, index + 1, count + 1);
      leaf.slots.copyWithin(index, index + 1, count + 1);
    }
    leaf.count = count;
    this.elements--;
    for (let depth = 0; depth < this.pathDepth; depth++) this.pathNodes[depth]!.sizes[this.pathIndexes[depth]!]!--;
    if (index === count && count > 0) this.refreshMaxOnPath(leaf.scores[count - 1]!, leaf.slots[count - 1]!);
    if (count < LEAF_MIN && leaf.parent !== null) this.rebalance(leaf);
    return slot;
  }

  /** The leaf at the end of the recorded path has a new largest element: update the separators above it. */
  private refreshMaxOnPath(score: number, slot: number): void {
    for (let depth = this.pathDepth - 1; depth >= 0; depth--) {
      const node = this.pathNodes[depth]!;
      const index = this.pathIndexes[depth]!;
      node.maxScores[index] = score;
      node.maxSlots[index] = slot;
      if (index !== node.count - 1) return;
    }
  }

  /** Recomputes the separators from `node` up while each is its parent's last child. */
  private refreshSeparators(node: TreeNode): void {
    let child: TreeNode = node;
    let parent = child.parent;
    while (parent !== null && child.count > 0) {
      const index = parent.children.indexOf(child);
      parent.maxScores[index] = maxScoreOf(child);
      parent.maxSlots[index] = maxSlotOf(child);
      if (index !== parent.count - 1) return;
      child = parent;
      parent = child.parent;
    }
  }

  private splitLeaf(leaf: Leaf): void {
    const right = new Leaf();
    this.leaves++;
    const keep = leaf.count >>> 1;
    const moved = leaf.count - keep;
    right.scores.set(leaf.scores.subarray(keep, leaf.count));
    right.slots.set(leaf.slots.subarray(keep, leaf.count));
    right.count = moved;
    leaf.count = keep;
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.tail = right;
    leaf.next = right;
    this.addSibling(leaf, right);
  }

  private splitInner(node: Inner): void {
    const right = new Inner();
    this.inners++;
    const keep = node.count >>> 1;
    const moved = node.count - keep;
    for (let i = 0; i < moved; i++) {
      const child = node.children[keep + i]!;
      right.children.push(child);
      child.parent = right;
    }
    node.children.length = keep;
    right.sizes.set(node.sizes.subarray(keep, node.count));
    right.maxScores.set(node.maxScores.subarray(keep, node.count));
    right.maxSlots.set(node.maxSlots.subarray(keep, node.count));
    right.count = moved;
    node.count = keep;
    this.addSibling(node, right);
  }

  /** Puts `sibling` (split off `node`'s upper part) after `node` in their parent, growing the tree at the root. */
  private addSibling(node: TreeNode, sibling: TreeNode): void {
    let parent = node.parent;
    if (parent === null) {
      parent = new Inner();
      this.inners++;
      parent.children.push(node);
      parent.count = 1;
      node.parent = parent;
      this.root = parent;
    }
    const index = parent.children.indexOf(node);
    const count = parent.count;
    parent.children.splice(index + 1, 0, sibling);
    parent.sizes.copyWithin(index + 2, index + 1, count);
    parent.maxScores.copyWithin(index + 2, index + 1, count);
    parent.maxSlots.copyWithin(index + 2, index + 1, count);
    parent.count = count + 1;
    sibling.parent = parent;
    parent.sizes[index] = sizeOf(node);
    parent.maxScores[index] = maxScoreOf(node);
    parent.maxSlots[index] = maxSlotOf(node);
    parent.sizes[index + 1] = sizeOf(sibling);
    parent.maxScores[index + 1] = maxScoreOf(sibling);
    parent.maxSlots[index + 1] = maxSlotOf(sibling);
    if (parent.count > INNER_CAPACITY) this.splitInner(parent);
  }

  /** Removes child `index` from `parent` (its elements are gone or moved). */
  private dropChild(parent: Inner, index: number): void {
    const count = parent.count - 1;
    if (parent.children[index]!.isLeaf) this.leaves--;
    else this.inners--;
    parent.children.splice(index, 1);
    parent.sizes.copyWithin(index, index + 1, count + 1);
    parent.maxScores.copyWithin(index, index + 1, count + 1);
    parent.maxSlots.copyWithin(index, index + 1, count + 1);
    parent.count = count;
    // The parent's largest element was the dropped child's: its new one is the new last child's.
    if (index === count && count > 0) this.refreshSeparators(parent);
  }

  /** A node under its minimum: merge it with a neighbour, or even the two out. */
  private rebalance(node: TreeNode): void {
    const parent = node.parent!;
    const index = parent.children.indexOf(node);
    if (node.count === 0) {
      if (node.isLeaf) this.unlinkLeaf(node);
      this.dropChild(parent, index);
    } else if (parent.count > 1) {
      const leftIndex = index + 1 < parent.count ? index : index - 1;
      const left = parent.children[leftIndex]!;
      const right = parent.children[leftIndex + 1]!;
      const capacity = left.isLeaf ? LEAF_CAPACITY : INNER_CAPACITY;
      if (left.count + right.count <= capacity) {
        this.moveToLeft(left, right, right.count);
        if (right.isLeaf) this.unlinkLeaf(right);
        parent.sizes[leftIndex] = sizeOf(left);
        parent.maxScores[leftIndex] = maxScoreOf(left);
        parent.maxSlots[leftIndex] = maxSlotOf(left);
        this.dropChild(parent, leftIndex + 1);
      } else {
        const target = (left.count + right.count) >>> 1;
        if (left.count < target) this.moveToLeft(left, right, target - left.count);
        else this.moveToRight(left, right, left.count - target);
        parent.sizes[leftIndex] = sizeOf(left);
        parent.maxScores[leftIndex] = maxScoreOf(left);
        parent.maxSlots[leftIndex] = maxSlotOf(left);
        parent.sizes[leftIndex + 1] = sizeOf(right);
        return;
      }
    }
    if (parent.parent === null) {
      // A root with one child hands the root over to it.
      if (parent.count === 1) {
        const only = parent.children[0]!;
        only.parent = null;
        this.root = only;
        this.inners--;
      }
    } else if (parent.count < INNER_MIN) {
      this.rebalance(parent);
    }
  }

  private unlinkLeaf(leaf: Leaf): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    else this.head = leaf.next!;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    else this.tail = leaf.prev!;
    leaf.prev = leaf.next = null;
  }

  /** Moves the first `n` entries of `right` to the end of `left` (siblings of one kind). */
  private moveToLeft(left: TreeNode, right: TreeNode, n: number): void {
    const at = left.count;
    const rest = right.count - n;
    if (left.isLeaf) {
      const from = right as Leaf;
      left.scores.set(from.scores.subarray(0, n), at);
      left.slots.set(from.slots.subarray(0, n), at);
      from.scores.copyWithin(0, n, n + rest);
      from.slots.copyWithin(0, n, n + rest);
    } else {
      const from = right as Inner;
      for (let i = 0; i < n; i++) {
        const child = from.children[i]!;
        child.parent = left;
        left.children.push(child);
      }
      from.children.splice(0, n);
      left.sizes.set(from.sizes.subarray(0, n), at);
      left.maxScores.set(from.maxScores.subarray(0, n), at);
      left.maxSlots.set(from.maxSlots.subarray(0, n), at);
      from.sizes.copyWithin(0, n, n + rest);
      from.maxScores.copyWithin(0, n, n + rest);
      from.maxSlots.copyWithin(0, n, n + rest);
    }
    left.count = at + n;
    right.count = rest;
  }

  /** Moves the last `n` entries of `left` to the front of `right`. */
  private moveToRight(left: TreeNode, right: TreeNode, n: number): void {
    const keep = left.count - n;
    const count = right.count;
    if (left.isLeaf) {
      const to = right as Leaf;
      to.scores.copyWithin(n, 0, count);
      to.slots.copyWithin(n, 0, count);
      to.scores.set(left.scores.subarray(keep, keep + n));
      to.slots.set(left.slots.subarray(keep, keep + n));
    } else {
      const to = right as Inner;
      const moved = left.children.splice(keep, n);
      for (const child of moved) child.parent = to;
      to.children.unshift(...moved);
      to.sizes.copyWithin(n, 0, count);
      to.maxScores.copyWithin(n, 0, count);
      to.maxSlots.copyWithin(n, 0, count);
      to.sizes.set(left.sizes.subarray(keep, keep + n));
      to.maxScores.set(left.maxScores.subarray(keep, keep + n));
      to.maxSlots.set(left.maxSlots.subarray(keep, keep + n));
    }
    left.count = keep;
    right.count = count + n;
  }

  /** Bytes of the typed arrays and node objects (measurements; object sizes are JSC's, roughly). */
  memoryBytes(): number {
    let total = 0;
    const visit = (node: TreeNode): void => {
      if (node.isLeaf) {
        total += (LEAF_CAPACITY + 1) * 12 + 160;
        return;
      }
      total += (INNER_CAPACITY + 1) * 16 + node.count * 8 + 200;
      for (let i = 0; i < node.count; i++) visit(node.children[i]!);
    };
    visit(this.root);
    return total;
  }

  /** Checks every invariant (tests): order, counts, separators, fill, links. */
  check(): void {
    let seen = 0;
    let previous: { score: number; slot: number } | null = null;
    const verify = (node: TreeNode, depth: number, leafDepth: number[]): void => {
      if (node !== this.root && node.count < (node.isLeaf ? LEAF_MIN : INNER_MIN)) throw new Error(`underfull node (${node.count})`);
      if (node.isLeaf) {
        if (leafDepth.length === 0) leafDepth.push(depth);
        else if (leafDepth[0] !== depth) throw new Error("leaves at different depths");
        for (let i = 0; i < node.count; i++) {
          const score = node.scores[i]!;
          if (previous !== null && previous.score > score) throw new Error("scores out of order");
          previous = { score, slot: node.slots[i]! };
          seen++;
        }
        return;
      }
      if (node.children.length !== node.count) throw new Error("children length differs from count");
      for (let i = 0; i < node.count; i++) {
        const child: TreeNode = node.children[i]!;
        if (child.parent !== node) throw new Error("bad parent link");
        if (node.sizes[i] !== sizeOf(child)) throw new Error("bad subtree size");
        if (node.maxScores[i] !== maxScoreOf(child) || node.maxSlots[i] !== maxSlotOf(child)) throw new Error("bad separator");
        verify(child, depth + 1, leafDepth);
      }
    };
    verify(this.root, 0, []);
    if (seen !== this.elements) throw new Error(`size ${this.elements}, counted ${seen}`);
    let linked = 0;
    for (let leaf: Leaf | null = this.head; leaf !== null; leaf = leaf.next) {
      linked += leaf.count;
      if (leaf.next === null && leaf !== this.tail) throw new Error("bad tail");
    }
    if (linked !== this.elements) throw new Error("leaf links miss elements");
  }
}
