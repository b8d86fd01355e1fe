import { describe, expect, test } from "bun:test";
import { seededRandom } from "../persistence/rdb-primitives-helpers.ts";
import { SEGMENT_SIZE, ValueArena } from "../../src/db/value-arena.ts";
import { KeyTable } from "../../src/db/keytable.ts";

function bytesOf(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7) & 0xff;
  return out;
}

describe("ValueArena", () => {
  test("store, view and release; an emptied segment is dropped", () => {
    const arena = new ValueArena();
    const first = arena.store(bytesOf(1, 100));
    expect(arena.view(first, 100)).toEqual(bytesOf(1, 100));
    const locations: number[] = [];
    // Fill well past one segment.
    for (let i = 0; i < 30000; i++) locations.push(arena.store(bytesOf(i, 100)));
    expect(arena.allocatedBytes).toBeGreaterThan(2 * SEGMENT_SIZE);
    for (let i = 0; i < 30000; i++) expect(arena.view(locations[i]!, 100)).toEqual(bytesOf(i, 100));
    const before = arena.allocatedBytes;
    for (let i = 0; i < 25000; i++) arena.release(locations[i]!, 100);
    expect(arena.allocatedBytes).toBeLessThan(before);
    expect(arena.liveBytes).toBe(100 + 5000 * 100);
  });
});

describe("hole reuse", () => {
  test("bytes freed by a command are reused by a later command's value of the same length, never by the same command", () => {
    const table = new KeyTable();
    table.epoch.boundary();
    const slot = table.insert("k", bytesOf(1, 32), -1, 0);
    table.epoch.boundary();
    // One command: read the old value through a view, store a new one of the same length.
    const previous = table.valueAt(slot) as Uint8Array;
    table.setValue(slot, bytesOf(2, 32));
    table.setValue(slot, bytesOf(3, 32));
    expect(previous).toEqual(bytesOf(1, 32));
    table.epoch.boundary();
    const arena = (table as unknown as { values: ValueArena }).values;
    const allocated = arena.allocatedBytes;
    // Later commands overwriting with same-length values cycle through the freed holes: no growth.
    for (let i = 0; i < 100000; i++) {
      table.epoch.boundary();
      table.setValue(slot, bytesOf(i, 32));
      expect(table.valueAt(slot)).toEqual(bytesOf(i, 32));
    }
    expect(arena.allocatedBytes).toBe(allocated);
    expect(arena.liveBytes).toBe(32);
  });

  test("a SET workload over many keys keeps the arena at its live size", () => {
    const table = new KeyTable();
    const slots = Array.from({ length: 50000 }, (_, i) => table.insert(`k${i}`, bytesOf(i, 40), -1, 0));
    const arena = (table as unknown as { values: ValueArena }).values;
    const allocated = arena.allocatedBytes;
    const random = seededRandom(5);
    for (let i = 0; i < 500000; i++) {
      table.epoch.boundary();
      table.setValue(slots[Math.floor(random() * slots.length)]!, bytesOf(i, 40));
    }
    expect(arena.allocatedBytes).toBeLessThanOrEqual(allocated + SEGMENT_SIZE);
  });
});

describe("KeyTable value reclaiming", () => {
  test("overwrites of random sizes: values stay right, old views keep their bytes, memory stays bounded", () => {
    const random = seededRandom(11);
    const table = new KeyTable();
    const count = 20000;
    const expected: Uint8Array[] = [];
    const slots: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = bytesOf(i, 1 + Math.floor(random() * 400));
      expected.push(v);
      slots.push(table.insert(`k${i}`, v, -1, 0));
    }
    const views = slots.slice(0, 50).map((slot) => table.valueAt(slot) as Uint8Array);
    const viewCopies = views.map((v) => new Uint8Array(v));
    let maxAllocated = 0;
    for (let step = 0; step < 400000; step++) {
      const i = Math.floor(random() * count);
      const v = bytesOf(step, 1 + Math.floor(random() * 400));
      table.setValue(slots[i]!, v);
      expected[i] = v;
      if (step % 1000 === 0) maxAllocated = Math.max(maxAllocated, (table as unknown as { values: ValueArena }).values.allocatedBytes);
    }
    for (let i = 0; i < count; i++) expect(table.valueAt(slots[i]!)).toEqual(expected[i]!);
    for (let i = 0; i < views.length; i++) expect(views[i]).toEqual(viewCopies[i]!);
    const live = (table as unknown as { values: ValueArena }).values.liveBytes;
    // Garbage is reclaimed as it goes: never much more than twice the live bytes, plus a few segments.
    expect(maxAllocated).toBeLessThan(2.2 * live + 8 * SEGMENT_SIZE);
    expect(400000 * 200).toBeGreaterThan(maxAllocated * 5);
  });
});
