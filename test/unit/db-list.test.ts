import { describe, expect, test } from "bun:test";
import { RedisList } from "../../src/db/list.ts";
import { bytesToText, textToBytes } from "../../src/db/bytes.ts";
import { seededRandom } from "../helpers/random.ts";
import { lpBytes, lpLength } from "../../src/db/listpack.ts";
import { lzfDecompress } from "../../src/persistence/rdb/lzf.ts";

const b = (text: string): Uint8Array => textToBytes(text);
const texts = (values: Iterable<Uint8Array>): string[] => [...values].map(bytesToText);

/** LREM on the array model: up to |count| of `value` from the head (count > 0), the tail (< 0), or all (0). */
function modelRemove(model: string[], count: number, value: string): number {
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < model.length && (count === 0 || removed < count); ) {
      if (model[i] === value) {
        model.splice(i, 1);
        removed++;
      } else i++;
    }
  } else {
    for (let i = model.length - 1; i >= 0 && removed < -count; i--) {
      if (model[i] === value) {
        model.splice(i, 1);
        removed++;
      }
    }
  }
  return removed;
}

describe("RedisList basics", () => {
  test("an empty list", () => {
    const list = new RedisList();
    expect(list.type).toBe("list");
    expect(list.encoding).toBe("quicklist");
    expect(list.length).toBe(0);
    expect(list.popHead()).toBeUndefined();
    expect(list.popTail()).toBeUndefined();
    expect(list.at(0)).toBeUndefined();
    expect(list.at(-1)).toBeUndefined();
    expect(list.set(0, b("x"))).toBe(false);
    expect(list.range(0, 0)).toEqual([]);
    expect([...list]).toEqual([]);
    expect(list.positionsOf(b("x"), 1, 0, 0)).toEqual([]);
    expect(list.insert(b("x"), b("y"), true)).toBe(-1);
    expect(list.remove(0, b("x"))).toBe(0);
  });

  test("one element, both ends", () => {
    const list = new RedisList();
    list.pushTail(b("only"));
    expect(list.length).toBe(1);
    expect(bytesToText(list.at(0)!)).toBe("only");
    expect(bytesToText(list.at(-1)!)).toBe("only");
    expect(list.at(1)).toBeUndefined();
    expect(list.at(-2)).toBeUndefined();
    expect(bytesToText(list.popHead()!)).toBe("only");
    expect(list.length).toBe(0);
    expect(list.nodeCount).toBe(0);
    list.pushHead(b("again"));
    expect(bytesToText(list.popTail()!)).toBe("again");
    expect(list.popTail()).toBeUndefined();
  });

  test("LPUSH order: pushHead puts each value in front", () => {
    const list = new RedisList();
    for (const v of ["a", "b", "c"]) list.pushHead(b(v));
    list.pushTail(b("z"));
    expect(texts(list)).toEqual(["c", "b", "a", "z"]);
    expect(texts(list.range(1, 2))).toEqual(["b", "a"]);
  });

  test("negative indexes and set", () => {
    const list = RedisList.fromValues(["a", "b", "c", "d"].map(b));
    expect(bytesToText(list.at(-1)!)).toBe("d");
    expect(bytesToText(list.at(-4)!)).toBe("a");
    expect(list.at(-5)).toBeUndefined();
    expect(list.at(4)).toBeUndefined();
    expect(list.set(-2, b("C"))).toBe(true);
    expect(list.set(4, b("nope"))).toBe(false);
    expect(list.set(-5, b("nope"))).toBe(false);
    expect(texts(list)).toEqual(["a", "b", "C", "d"]);
  });

  test("values are bytes: NUL and 0xff survive", () => {
    const list = new RedisList();
    const binary = new Uint8Array([0, 255, 0, 128]);
    list.pushTail(binary);
    expect(list.at(0)).toEqual(binary);
    expect(list.positionsOf(new Uint8Array([0, 255, 0, 128]), 1, 0, 0)).toEqual([0]);
    expect(list.positionsOf(new Uint8Array([0, 255, 0]), 1, 0, 0)).toEqual([]);
  });
});

describe("RedisList commands' helpers", () => {
  test("insert before/after the first pivot, -1 without pivot", () => {
    const list = RedisList.fromValues(["a", "p", "b", "p"].map(b));
    expect(list.insert(b("p"), b("x"), true)).toBe(5);
    expect(list.insert(b("p"), b("y"), false)).toBe(6);
    expect(texts(list)).toEqual(["a", "x", "p", "y", "b", "p"]);
    expect(list.insert(b("missing"), b("z"), true)).toBe(-1);
    expect(list.length).toBe(6);
  });

  test("insert at both ends and in the middle", () => {
    const list = RedisList.fromValues(["a", "c"].map(b));
    list.insert(b("c"), b("b"), true);
    list.insert(b("a"), b("start"), true);
    list.insert(b("c"), b("end"), false);
    expect(texts(list)).toEqual(["start", "a", "b", "c", "end"]);
  });

  test("remove: count > 0 from head, < 0 from tail, 0 all", () => {
    const values = ["x", "a", "x", "b", "x", "c", "x"];
    let list = RedisList.fromValues(values.map(b));
    expect(list.remove(2, b("x"))).toBe(2);
    expect(texts(list)).toEqual(["a", "b", "x", "c", "x"]);
    list = RedisList.fromValues(values.map(b));
    expect(list.remove(-2, b("x"))).toBe(2);
    expect(texts(list)).toEqual(["x", "a", "x", "b", "c"]);
    list = RedisList.fromValues(values.map(b));
    expect(list.remove(0, b("x"))).toBe(4);
    expect(texts(list)).toEqual(["a", "b", "c"]);
    expect(list.remove(0, b("nope"))).toBe(0);
    expect(list.remove(-10, b("a"))).toBe(1);
    expect(texts(list)).toEqual(["b", "c"]);
  });

  test("remove everything from a multi-node list leaves an empty list", () => {
    const list = new RedisList();
    for (let i = 0; i < 1000; i++) list.pushTail(b("same"));
    expect(list.remove(0, b("same"))).toBe(1000);
    expect(list.length).toBe(0);
    expect(list.nodeCount).toBe(0);
    list.pushTail(b("after"));
    expect(texts(list)).toEqual(["after"]);
  });

  test("trim keeps start..stop; empty when start > stop or beyond the end", () => {
    const make = () => RedisList.fromValues(["0", "1", "2", "3", "4", "5"].map(b));
    let list = make();
    list.trim(1, 3);
    expect(texts(list)).toEqual(["1", "2", "3"]);
    list = make();
    list.trim(0, 100);
    expect(list.length).toBe(6);
    list = make();
    list.trim(4, 2);
    expect(list.length).toBe(0);
    list = make();
    list.trim(6, 10);
    expect(list.length).toBe(0);
    list = make();
    list.trim(5, 5);
    expect(texts(list)).toEqual(["5"]);
  });

  test("trim across many nodes keeps the right slice", () => {
    const list = new RedisList();
    for (let i = 0; i < 10_000; i++) list.pushTail(b(String(i)));
    list.trim(2500, 7499);
    expect(list.length).toBe(5000);
    expect(bytesToText(list.at(0)!)).toBe("2500");
    expect(bytesToText(list.at(-1)!)).toBe("7499");
    expect(texts(list.range(0, 2))).toEqual(["2500", "2501", "2502"]);
  });

  test("positionsOf follows LPOS (checked against Redis 7.0.15)", () => {
    const list = RedisList.fromValues(["a", "b", "c", "1", "2", "3", "c", "c"].map(b));
    const c = b("c");
    expect(list.positionsOf(c, 1, 1, 0)).toEqual([2]);
    expect(list.positionsOf(c, 2, 1, 0)).toEqual([6]);
    expect(list.positionsOf(c, -1, 1, 0)).toEqual([7]);
    expect(list.positionsOf(c, 1, 2, 0)).toEqual([2, 6]);
    expect(list.positionsOf(c, 1, 0, 0)).toEqual([2, 6, 7]);
    expect(list.positionsOf(c, -1, 2, 0)).toEqual([7, 6]);
    expect(list.positionsOf(c, 1, 1, 2)).toEqual([]);
    expect(list.positionsOf(c, 1, 1, 3)).toEqual([2]);
    expect(list.positionsOf(c, 2, 1, 6)).toEqual([]);
    expect(list.positionsOf(c, -1, 1, 1)).toEqual([7]);
    expect(list.positionsOf(c, -3, 0, 0)).toEqual([2]);
    expect(list.positionsOf(c, 4, 1, 0)).toEqual([]);
  });

  test("valuesFrom walks forward and backward across nodes", () => {
    const list = new RedisList();
    for (let i = 0; i < 1000; i++) list.pushTail(b(String(i)));
    const forward = [...list.valuesFrom(995)].map(bytesToText);
    expect(forward).toEqual(["995", "996", "997", "998", "999"]);
    const backward: string[] = [];
    for (const v of list.valuesFrom(130, true)) {
      backward.push(bytesToText(v));
      if (backward.length === 5) break;
    }
    expect(backward).toEqual(["130", "129", "128", "127", "126"]);
    expect([...list.valuesFrom(1000)]).toEqual([]);
    expect([...list.valuesFrom(0, true)].map(bytesToText)).toEqual(["0"]);
  });
});

describe("RedisList at scale", () => {
  test.each([42, 7, 20240601])("random operations match a plain array model (seed %d)", (seed) => {
    const random = seededRandom(seed);
    const list = new RedisList();
    const model: string[] = [];
    let counter = 0;
    const next = () => String(counter++ % 50); // repeats, so remove/insert find pivots
    for (let step = 0; step < 60_000; step++) {
      const op = random();
      if (op < 0.2) {
        const v = next();
        list.pushHead(b(v));
        model.unshift(v);
      } else if (op < 0.45) {
        const v = next();
        list.pushTail(b(v));
        model.push(v);
      } else if (op < 0.55) {
        const got = list.popHead();
        expect(got === undefined ? undefined : bytesToText(got)).toBe(model.shift());
      } else if (op < 0.65) {
        const got = list.popTail();
        expect(got === undefined ? undefined : bytesToText(got)).toBe(model.pop());
      } else if (op < 0.75 && model.length > 0) {
        const index = Math.floor(random() * model.length) - (random() < 0.5 ? model.length : 0);
        const v = next();
        expect(list.set(index, b(v))).toBe(true);
        model[index < 0 ? index + model.length : index] = v;
      } else if (op < 0.82) {
        const pivot = next();
        const v = next();
        const before = random() < 0.5;
        const at = model.indexOf(pivot);
        const expected = at === -1 ? -1 : model.length + 1;
        if (at !== -1) model.splice(before ? at : at + 1, 0, v);
        expect(list.insert(b(pivot), b(v), before)).toBe(expected);
      } else if (op < 0.86) {
        const v = next();
        const count = Math.floor(random() * 7) - 3;
        expect(list.remove(count, b(v))).toBe(modelRemove(model, count, v));
      } else if (op < 0.87 && model.length > 10) {
        const start = Math.floor(random() * 5);
        const stop = model.length - 1 - Math.floor(random() * 5);
        list.trim(start, stop);
        model.splice(stop + 1);
        model.splice(0, start);
      } else if (model.length > 0) {
        const index = Math.floor(random() * model.length);
        expect(bytesToText(list.at(index)!)).toBe(model[index]!);
        expect(bytesToText(list.at(index - model.length)!)).toBe(model[index]!);
      }
      expect(list.length).toBe(model.length);
      if (step % 5000 === 0) expect(texts(list)).toEqual(model);
    }
    expect(texts(list)).toEqual(model);
    expect(list.toArray().map(bytesToText)).toEqual(model);
    if (model.length > 3) expect(texts(list.range(1, 3))).toEqual(model.slice(1, 4));
  });

  test("100k pushes and pops at both ends", () => {
    const list = new RedisList();
    for (let i = 0; i < 100_000; i++) {
      if (i % 2 === 0) list.pushTail(b(String(i)));
      else list.pushHead(b(String(i)));
    }
    expect(list.length).toBe(100_000);
    expect(bytesToText(list.at(0)!)).toBe("99999");
    expect(bytesToText(list.at(-1)!)).toBe("99998");
    expect(bytesToText(list.at(50_000)!)).toBe("0");
    for (let i = 0; i < 50_000; i++) list.popHead();
    expect(bytesToText(list.at(0)!)).toBe("0");
    for (let i = 0; i < 50_000; i++) list.popTail();
    expect(list.length).toBe(0);
    expect(list.nodeCount).toBe(0);
  });

  test("a 1M list is chunked, so middle access walks nodes, not elements", () => {
    const list = new RedisList();
    const value = b("v");
    for (let i = 0; i < 1_000_000; i++) list.pushTail(value);
    // Nodes are full when built by appends: about n / 128 of them.
    expect(list.nodeCount).toBeLessThanOrEqual(Math.ceil(1_000_000 / 128));
    list.set(500_000, b("middle"));
    expect(bytesToText(list.at(500_000)!)).toBe("middle");
    expect(bytesToText(list.at(-500_000)!)).toBe("middle");
    const started = performance.now();
    for (let i = 0; i < 2000; i++) list.at(400_000 + i * 100);
    // ~4k node hops per access; an O(n) scan would take minutes here.
    expect(performance.now() - started).toBeLessThan(3000);
    // Middle inserts split nodes and keep order.
    list.insert(b("middle"), b("inserted"), true);
    expect(bytesToText(list.at(500_000)!)).toBe("inserted");
    expect(bytesToText(list.at(500_001)!)).toBe("middle");
    expect(list.length).toBe(1_000_001);
  });
});

/** A BulkReplySink that collects the bulks it is given, as the reply writer would write them. */
class CollectingSink {
  bytes = new Uint8Array(1 << 16);
  private at = 0;
  private readonly spans: Array<[number, number]> = [];
  texts: string[] = [];
  bulkInto(length: number): number {
    if (this.at + length > this.bytes.length) {
      const grown = new Uint8Array((this.at + length) * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const start = this.at;
    this.at += length;
    this.spans.push([start, length]);
    return start;
  }
  bulkText(text: string): void {
    this.flush();
    this.texts.push(text);
  }
  bulk(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.bulkInto(bytes.length));
  }
  /** The bulks so far as text, in order. */
  take(): string[] {
    this.flush();
    const out = this.texts;
    this.texts = [];
    this.at = 0;
    return out;
  }
  private flush(): void {
    for (const [start, length] of this.spans) this.texts.push(bytesToText(this.bytes.subarray(start, start + length)));
    this.spans.length = 0;
  }
}

describe("RedisList nodes across list-max-listpack-size and list-compress-depth", () => {
  /** Node facts through forEachNode: each node's listpack (decompressed) and whether it was compressed. */
  function nodesOf(list: RedisList): Array<{ entries: number; compressed: boolean; bytes: number }> {
    const out: Array<{ entries: number; compressed: boolean; bytes: number }> = [];
    list.forEachNode((entry, size, lzfRawSize) => {
      const listpack = lzfRawSize >= 0 ? lzfDecompress(entry.subarray(0, size), lzfRawSize) : entry.subarray(0, size);
      out.push({ entries: lpLength(listpack), compressed: lzfRawSize >= 0, bytes: lpBytes(listpack) });
    });
    return out;
  }

  function checkInvariants(list: RedisList, model: string[], depth: number): void {
    const nodes = nodesOf(list);
    expect(nodes.length).toBe(list.nodeCount);
    expect(nodes.reduce((sum, node) => sum + node.entries, 0)).toBe(model.length);
    for (const node of nodes) expect(node.entries).toBeGreaterThan(0);
    // The depth nodes at each end are never compressed; none is when compression is off.
    for (let i = 0; i < nodes.length; i++) {
      if (depth === 0 || i < depth || i >= nodes.length - depth) expect(nodes[i]!.compressed).toBe(false);
    }
  }

  const value = (random: () => number): string => {
    const kind = random();
    if (kind < 0.3) return String(Math.floor(random() * 100_000) - 50_000);
    if (kind < 0.6) return String(Math.floor(random() * 20));
    if (kind < 0.95) return "v".repeat(Math.floor(random() * 300));
    return "w".repeat(5000 + Math.floor(random() * 3000));
  };

  for (const fill of [1, 2, 5, 128, -1, -2, -5]) {
    for (const depth of [0, 1, 2]) {
      test(`fill ${fill}, depth ${depth}: random operations match an array model`, () => {
        const random = seededRandom(fill * 31 + depth * 7 + 1000);
        const list = new RedisList(fill, depth);
        const model: string[] = [];
        const sink = new CollectingSink();
        for (let step = 0; step < 4000; step++) {
          const op = random();
          if (op < 0.3) {
            const v = value(random);
            if (random() < 0.5) {
              list.pushHead(b(v));
              model.unshift(v);
            } else {
              list.pushTail(b(v));
              model.push(v);
            }
          } else if (op < 0.38) {
            const fromHead = random() < 0.5;
            const count = 1 + Math.floor(random() * 4);
            const taken = Math.min(count, model.length);
            const expected = fromHead ? model.slice(0, taken) : model.slice(model.length - taken).reverse();
            if (taken > 0) list.writeRange(sink, fromHead ? 0 : model.length - 1, taken, !fromHead);
            expect(sink.take()).toEqual(expected);
            if (fromHead) {
              list.removeHead(taken);
              model.splice(0, taken);
            } else {
              list.removeTail(taken);
              model.splice(model.length - taken, taken);
            }
          } else if (op < 0.55) {
            const pivot = model.length > 0 && random() < 0.8 ? model[Math.floor(random() * model.length)]! : value(random);
            const v = value(random);
            const before = random() < 0.5;
            const at = model.indexOf(pivot);
            if (at !== -1) model.splice(before ? at : at + 1, 0, v);
            expect(list.insert(b(pivot), b(v), before)).toBe(at === -1 ? -1 : model.length);
          } else if (op < 0.65 && model.length > 0) {
            const index = Math.floor(random() * model.length);
            const v = value(random);
            expect(list.set(index - (random() < 0.5 ? model.length : 0), b(v))).toBe(true);
            model[index] = v;
          } else if (op < 0.72 && model.length > 0) {
            const v = model[Math.floor(random() * model.length)]!;
            const count = Math.floor(random() * 5) - 2;
            expect(list.remove(count, b(v))).toBe(modelRemove(model, count, v));
          } else if (op < 0.74 && model.length > 4) {
            const start = Math.floor(random() * 3);
            const stop = model.length - 1 - Math.floor(random() * 3);
            list.trim(start, stop);
            model.splice(stop + 1);
            model.splice(0, start);
          } else if (op < 0.85 && model.length > 0) {
            const start = Math.floor(random() * model.length);
            const count = 1 + Math.floor(random() * Math.min(50, model.length - start));
            list.writeRange(sink, start, count, false);
            expect(sink.take()).toEqual(model.slice(start, start + count));
            const index = Math.floor(random() * model.length);
            expect(list.writeAt(sink, index - model.length)).toBe(true);
            expect(sink.take()).toEqual([model[index]!]);
          } else if (op < 0.9 && model.length > 0) {
            const v = model[Math.floor(random() * model.length)]!;
            const expected: number[] = [];
            model.forEach((element, i) => element === v && expected.push(i));
            expect(list.positionsOf(b(v), 1, 0, 0)).toEqual(expected);
            expect(list.positionsOf(b(v), -1, 0, 0)).toEqual([...expected].reverse());
          } else if (op < 0.92) {
            const copy = list.clone();
            expect(texts(copy)).toEqual(model);
            // The same nodes; their compression may differ, as quicklistDup's does (it
            // compresses a raw node deeper than the depth as it links it).
            const shape = (target: RedisList) => nodesOf(target).map((node) => [node.entries, node.bytes]);
            expect(shape(copy)).toEqual(shape(list));
          }
          expect(list.length).toBe(model.length);
          if (step % 50 === 0) {
            checkInvariants(list, model, depth);
            expect(texts(list)).toEqual(model);
            const reversed: string[] = [];
            list.forEach((bytes, start, end) => reversed.push(bytesToText(bytes.subarray(start, end))), true);
            expect(reversed).toEqual([...model].reverse());
          }
        }
        checkInvariants(list, model, depth);
        expect(texts(list)).toEqual(model);
      });
    }
  }

  test("pushes fill nodes as quicklistPushTail does: by count for a positive fill, by bytes for a negative one", () => {
    const byCount = RedisList.fromValues(Array.from({ length: 10 }, (_, i) => b(`e${i}`)), 4);
    expect(nodesOf(byCount).map((node) => node.entries)).toEqual([4, 4, 2]);
    // 100-byte strings take 103 bytes: 7 + 103k + 108 <= 4096 allows 38 in a node.
    const byBytes = RedisList.fromValues(Array.from({ length: 100 }, () => b("x".repeat(100))), -1);
    expect(nodesOf(byBytes).map((node) => node.entries)).toEqual([39, 39, 22]);
    // A count fill never passes SIZE_SAFETY_LIMIT (8 KiB).
    const safety = RedisList.fromValues(Array.from({ length: 10 }, () => b("y".repeat(3000))), 100);
    expect(nodesOf(safety).map((node) => node.entries)).toEqual([2, 2, 2, 2, 2]);
  });

  test("with a compress depth, interior nodes are LZF-compressed and ends stay raw", () => {
    const list = RedisList.fromValues(Array.from({ length: 50 }, (_, i) => b(`element-${i}-`.padEnd(200, "z"))), 5, 1);
    const nodes = nodesOf(list);
    expect(nodes.map((node) => node.compressed)).toEqual([false, ...Array(8).fill(true), false]);
    expect(texts(list)).toEqual(Array.from({ length: 50 }, (_, i) => `element-${i}-`.padEnd(200, "z")));
    // Popping the head node away brings the next one within the depth: it is decompressed.
    list.removeHead(5);
    expect(nodesOf(list).map((node) => node.compressed)).toEqual([false, ...Array(7).fill(true), false]);
    // Small nodes are not worth compressing (MIN_COMPRESS_BYTES).
    const small = RedisList.fromValues(Array.from({ length: 20 }, (_, i) => b(String(i))), 2, 1);
    expect(nodesOf(small).some((node) => node.compressed)).toBe(false);
  });
});
