import { describe, expect, test } from "bun:test";
import { ZsetTree, type MemberOrder } from "../../src/db/zset-tree.ts";
import { seededRandom } from "../helpers/random.ts";

/** Members by slot, slots reused after a removal as the real index reuses them. */
class Slots implements MemberOrder {
  readonly keys: (string | null)[] = [];
  private readonly free: number[] = [];

  add(key: string): number {
    const slot = this.free.pop() ?? this.keys.length;
    this.keys[slot] = key;
    return slot;
  }

  remove(slot: number): void {
    this.keys[slot] = null;
    this.free.push(slot);
  }

  compareKeyAt(slot: number, key: string): number {
    const own = this.keys[slot];
    if (own === null || own === undefined) throw new Error(`compared against freed slot ${slot}`);
    return own < key ? -1 : own > key ? 1 : 0;
  }
}

type Element = { member: string; score: number };
const compare = (a: Element, b: Element) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.member < b.member ? -1 : a.member > b.member ? 1 : 0);

function contents(tree: ZsetTree, slots: Slots, descending = false): Element[] {
  const out: Element[] = [];
  tree.forEach((score, slot) => out.push({ member: slots.keys[slot]!, score }), descending);
  return out;
}

describe("ZsetTree", () => {
  for (const seed of [1, 2, 3, 4]) {
    test(`random operations against a sorted array (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const slots = new Slots();
      const tree = new ZsetTree(slots);
      const model: Element[] = [];
      const slotOf = new Map<string, number>();
      // Few distinct scores, so ties (ordered by member) are common; sizes swing across many splits and merges.
      const scoreOf = () => (random() < 0.5 ? Math.floor(random() * 20) : random() * 1000 - 500);
      for (let step = 0; step < 40000; step++) {
        const phase = Math.floor(step / 5000) % 2 === 0; // grow, then shrink
        const r = random();
        if (r < (phase ? 0.6 : 0.3)) {
          const member = `m${Math.floor(random() * 6000)}`;
          if (slotOf.has(member)) continue;
          const element = { member, score: scoreOf() };
          const slot = slots.add(member);
          slotOf.set(member, slot);
          tree.insert(element.score, slot, member);
          model.push(element);
          model.sort(compare);
        } else if (r < 0.75 && model.length > 0) {
          const index = Math.floor(random() * model.length);
          const element = model[index]!;
          const slot = tree.remove(element.score, element.member);
          expect(slot).toBe(slotOf.get(element.member)!);
          slots.remove(slot);
          slotOf.delete(element.member);
          model.splice(index, 1);
        } else if (r < 0.85 && model.length > 0) {
          const rank = Math.floor(random() * model.length);
          const slot = tree.removeAt(rank);
          const element = model[rank]!;
          expect(slots.keys[slot]).toBe(element.member);
          slots.remove(slot);
          slotOf.delete(element.member);
          model.splice(rank, 1);
        } else if (r < 0.95 && model.length > 0) {
          const index = Math.floor(random() * model.length);
          const element = model[index]!;
          const score = random() < 0.5 ? element.score + (random() - 0.5) * 0.01 : scoreOf();
          tree.updateScore(element.score, element.member, score);
          element.score = score;
          model.sort(compare);
        } else if (model.length > 0) {
          const rank = Math.floor(random() * model.length);
          const element = model[rank]!;
          expect(tree.rankOf(element.score, element.member)).toBe(rank);
          expect(slots.keys[tree.slotAt(rank)]).toBe(element.member);
          expect(tree.scoreAt(rank)).toBe(element.score);
          const min = scoreOf();
          expect(tree.countScoresBelow(min, false)).toBe(model.filter((e) => e.score < min).length);
          expect(tree.countScoresBelow(element.score, true)).toBe(model.filter((e) => e.score <= element.score).length);
        }
        expect(tree.size).toBe(model.length);
        if (step % 997 === 0) {
          tree.check();
          expect(contents(tree, slots)).toEqual(model);
        }
      }
      tree.check();
      expect(contents(tree, slots)).toEqual(model);
      expect(contents(tree, slots, true)).toEqual([...model].reverse());
      // Empty it from the front (ZPOPMIN) and check the tree collapses cleanly.
      while (model.length > 0) {
        const slot = tree.removeAt(0);
        expect(slots.keys[slot]).toBe(model.shift()!.member);
        slots.remove(slot);
      }
      tree.check();
      expect(tree.size).toBe(0);
    });
  }

  test("a tree three levels deep grows and shrinks back to a leaf", () => {
    const random = seededRandom(5);
    const slots = new Slots();
    const tree = new ZsetTree(slots);
    const model: Element[] = [];
    for (let i = 0; i < 300000; i++) {
      const member = `m${i}`;
      const element = { member, score: Math.floor(random() * 1000) };
      tree.insert(element.score, slots.add(member), member);
      model.push(element);
    }
    expect(tree.depth).toBe(3);
    tree.check();
    model.sort(compare);
    expect(contents(tree, slots)).toEqual(model);
    // Remove in random order: merges and redistributions at every level.
    for (let i = model.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [model[i], model[j]] = [model[j]!, model[i]!];
    }
    for (let i = 0; i < model.length; i++) {
      const element = model[i]!;
      slots.remove(tree.remove(element.score, element.member));
      if (i % 50000 === 0) tree.check();
    }
    tree.check();
    expect(tree.size).toBe(0);
    expect(tree.depth).toBe(0);
  });

  test("cursors walk both ways across leaves", () => {
    const slots = new Slots();
    const tree = new ZsetTree(slots);
    for (let i = 0; i < 1000; i++) tree.append(i, slots.add(`m${i}`));
    tree.check();
    const cursor = tree.cursorAt(500);
    const seen: number[] = [];
    for (; cursor.valid; cursor.next()) seen.push(cursor.score);
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i));
    const back = tree.cursorAt(130);
    const down: number[] = [];
    for (; back.valid; back.prev()) down.push(back.score);
    expect(down.length).toBe(131);
    expect(down[0]).toBe(130);
    expect(down[130]).toBe(0);
    expect(tree.cursorAt(1000).valid).toBe(false);
  });

  test("lowerBound over a predicate that is not monotonic returns a turning point", () => {
    const slots = new Slots();
    const tree = new ZsetTree(slots);
    const random = seededRandom(9);
    const members: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const member = `k${Math.floor(random() * 1e9)}`;
      if (members.includes(member)) continue;
      members.push(member);
      tree.insert(random(), slots.add(member), member);
    }
    const order: string[] = [];
    tree.forEach((_, slot) => order.push(slots.keys[slot]!));
    for (const bound of ["k3", "k5", "k7"]) {
      const rank = tree.lowerBound((_, slot) => slots.keys[slot]! < bound);
      if (rank < order.length) expect(order[rank]! < bound).toBe(false);
      if (rank > 0) expect(order[rank - 1]! < bound).toBe(true);
    }
  });
});
