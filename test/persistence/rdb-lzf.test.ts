import { describe, expect, test } from "bun:test";
import { lzfCompress, lzfDecompress } from "../../src/persistence/rdb/lzf.ts";
import {
  REDIS_DUMPS,
  ascii,
  decodesOrFormatError,
  expectFormatError,
  fixturePath,
  hex,
  mutate,
  randomBytes,
  randomInt,
  readRdbString,
  seededRandom,
  toHex,
} from "./rdb-primitives-helpers.ts";

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Sample inputs of the kinds an RDB holds: text with repeats, runs, binary noise, mixtures. */
function sampleInput(random: () => number, kind: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  switch (kind % 5) {
    case 0: {
      const words = ["user:", "1000", "session", "{\"id\":", "\"name\":\"", "alpha", "beta", ",", "}", " "];
      let at = 0;
      while (at < length) {
        const word = words[randomInt(random, words.length)]!;
        for (let k = 0; k < word.length && at < length; k++) out[at++] = word.charCodeAt(k);
      }
      return out;
    }
    case 1:
      return out.fill(randomInt(random, 256));
    case 2:
      return randomBytes(random, length);
    case 3: {
      // A short random pattern repeated with a period that varies: overlapping references.
      const period = 1 + randomInt(random, 40);
      const pattern = randomBytes(random, period);
      for (let i = 0; i < length; i++) out[i] = pattern[i % period]!;
      return out;
    }
    default: {
      // Random blocks repeated at distances around the 8 KiB window limit.
      const block = randomBytes(random, 300);
      for (let i = 0; i < length; i++) out[i] = random() < 0.05 ? randomInt(random, 256) : block[(i * 7) % 300]!;
      return out;
    }
  }
}

describe("lzfDecompress on bytes real Redis produced", () => {
  test("the LZF string in sample-7.0-encodings.rdb is 30 x 'a'", async () => {
    const file = new Uint8Array(await Bun.file(fixturePath("sample-7.0-encodings.rdb")).arrayBuffer());
    // key "lzf" (03 6c 7a 66) followed by the value: c3 <clen 9> <len 30> <9 bytes>
    const keyAt = indexOfBytes(file, hex("036c7a66"));
    expect(keyAt).toBeGreaterThan(0);
    const value = readRdbString(file, keyAt + 4);
    expect(value.compressedFrom).toBe(30);
    expect(toHex(value.bytes)).toBe("016161e01100016161");
    expect(lzfDecompress(value.bytes, 30)).toEqual(new Uint8Array(30).fill(0x61));
  });

  test("compressed DUMP payloads decompress to the uncompressed DUMP's blob", () => {
    const pairs: Array<[Uint8Array, Uint8Array, number]> = [
      [REDIS_DUMPS.hashLzf, REDIS_DUMPS.hash, 1],
      [REDIS_DUMPS.intset64Lzf, REDIS_DUMPS.intset64, 1],
      [REDIS_DUMPS.listLzf, REDIS_DUMPS.list, 3], // type, node count, container
    ];
    for (const [compressedDump, plainDump, blobAt] of pairs) {
      const compressed = readRdbString(compressedDump, blobAt);
      const plain = readRdbString(plainDump, blobAt);
      expect(compressed.compressedFrom).toBe(plain.bytes.length);
      expect(compressed.bytes.length).toBeLessThanOrEqual(plain.bytes.length - 4);
      expect(lzfDecompress(compressed.bytes, plain.bytes.length)).toEqual(plain.bytes);
    }
  });

  test("hashtable-encoded hash values compressed by Redis", () => {
    const dump = REDIS_DUMPS.hashtableLzf;
    // 04 02 | 05 "other" | c3 LZF "abc" x 9 | 05 "field" | c3 LZF "a" x 100
    const first = readRdbString(dump, 2 + 6);
    expect(lzfDecompress(first.bytes, first.compressedFrom!)).toEqual(ascii("abc".repeat(9)));
    const second = readRdbString(dump, first.next + 6);
    expect(lzfDecompress(second.bytes, second.compressedFrom!)).toEqual(ascii("a".repeat(100)));
  });
});

describe("lzfCompress", () => {
  test("produces the same bytes as Redis for the inputs captured from it", () => {
    expect(toHex(lzfCompress(new Uint8Array(30).fill(0x61), 26)!)).toBe("016161e01100016161");
    const dump = REDIS_DUMPS.hashtableLzf;
    const abc = readRdbString(dump, 2 + 6);
    expect(lzfCompress(ascii("abc".repeat(9)), 27 - 4)).toEqual(abc.bytes);
    const hundredA = readRdbString(dump, abc.next + 6);
    expect(lzfCompress(ascii("a".repeat(100)), 100 - 4)).toEqual(hundredA.bytes);
    for (const [compressedDump, plainDump, blobAt] of [
      [REDIS_DUMPS.hashLzf, REDIS_DUMPS.hash, 1],
      [REDIS_DUMPS.intset64Lzf, REDIS_DUMPS.intset64, 1],
      [REDIS_DUMPS.listLzf, REDIS_DUMPS.list, 3],
    ] as const) {
      const plain = readRdbString(plainDump, blobAt).bytes;
      expect(lzfCompress(plain, plain.length - 4)).toEqual(readRdbString(compressedDump, blobAt).bytes);
    }
  });

  test("round trips inputs of many kinds and sizes, including window and run-length boundaries", () => {
    const random = seededRandom(2024);
    const lengths = [1, 2, 3, 4, 5, 21, 31, 32, 33, 64, 263, 264, 265, 266, 1000, 8191, 8192, 8193, 8194, 20_000, 70_000];
    for (let kind = 0; kind < 5; kind++) {
      for (const length of lengths) {
        const input = sampleInput(random, kind, length);
        const compressed = lzfCompress(input);
        if (compressed === null) continue;
        expect(compressed.length).toBeLessThan(input.length);
        expect(lzfDecompress(compressed, input.length)).toEqual(input);
      }
    }
    for (let trial = 0; trial < 300; trial++) {
      const input = sampleInput(random, trial, 1 + randomInt(random, 3000));
      const compressed = lzfCompress(input);
      if (compressed !== null) expect(lzfDecompress(compressed, input.length)).toEqual(input);
    }
  });

  test("compresses what is compressible: runs, repeats and text", () => {
    const random = seededRandom(3);
    for (const kind of [0, 1, 3]) {
      const input = sampleInput(random, kind, 10_000);
      const compressed = lzfCompress(input);
      expect(compressed).not.toBeNull();
      expect(compressed!.length).toBeLessThan(input.length / 2);
    }
    // A whole 64 KiB run: each back-reference covers at most 264 bytes.
    const run = new Uint8Array(65536).fill(0x78);
    const compressed = lzfCompress(run)!;
    expect(compressed.length).toBeLessThan(800);
    expect(lzfDecompress(compressed, run.length)).toEqual(run);
  });

  test("returns null for incompressible data, tiny inputs and an impossible budget", () => {
    const random = seededRandom(4);
    expect(lzfCompress(randomBytes(random, 5000))).toBeNull();
    expect(lzfCompress(new Uint8Array(0))).toBeNull();
    expect(lzfCompress(new Uint8Array([1]))).toBeNull();
    expect(lzfCompress(new Uint8Array([1, 1]))).toBeNull();
    expect(lzfCompress(new Uint8Array(100).fill(1), 0)).toBeNull();
    expect(lzfCompress(new Uint8Array(100).fill(1), -5)).toBeNull();
  });

  test("never exceeds maxOutputLength, and finds the output when the budget allows it", () => {
    const random = seededRandom(6);
    for (let trial = 0; trial < 200; trial++) {
      const input = sampleInput(random, trial, 20 + randomInt(random, 500));
      const unlimited = lzfCompress(input, input.length * 2);
      expect(unlimited).not.toBeNull();
      expect(lzfDecompress(unlimited!, input.length)).toEqual(input);
      const budget = randomInt(random, input.length + 40);
      const limited = lzfCompress(input, budget);
      if (limited !== null) {
        expect(limited.length).toBeLessThanOrEqual(budget);
        expect(lzfDecompress(limited, input.length)).toEqual(input);
      }
      // With room to spare (the budget checks are conservative by up to 4 bytes) it must succeed.
      expect(lzfCompress(input, unlimited!.length + 4)).toEqual(unlimited);
    }
  });

  test("an unbounded budget compresses even incompressible data, without a huge allocation", () => {
    const random = seededRandom(13);
    const input = randomBytes(random, 100_000);
    for (const budget of [Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER]) {
      const compressed = lzfCompress(input, budget)!;
      expect(compressed.length).toBeGreaterThan(input.length);
      expect(compressed.length).toBeLessThanOrEqual(input.length + Math.ceil(input.length / 32));
      expect(lzfDecompress(compressed, input.length)).toEqual(input);
    }
    expect(lzfCompress(input, Number.NaN)).toBeNull();
  });

  test("the default budget is input.length - 1 (Redis passes length - 4 itself)", () => {
    const random = seededRandom(8);
    for (let trial = 0; trial < 300; trial++) {
      const input = sampleInput(random, trial, 2 + randomInt(random, 60));
      const compressed = lzfCompress(input);
      if (compressed !== null) expect(compressed.length).toBeLessThanOrEqual(input.length - 1);
      const redisStyle = lzfCompress(input, input.length - 4);
      if (redisStyle !== null) expect(redisStyle.length).toBeLessThanOrEqual(input.length - 4);
    }
  });

  test("output does not depend on earlier calls (the shared match table is per-call)", () => {
    const random = seededRandom(10);
    const target = sampleInput(random, 4, 9000);
    const first = lzfCompress(target)!;
    for (let trial = 0; trial < 30; trial++) lzfCompress(sampleInput(random, trial, 1 + randomInt(random, 20_000)));
    expect(lzfCompress(target)).toEqual(first);
    expect(lzfCompress(target.slice())).toEqual(first);
  });

  test("works on a subarray view and leaves the input untouched", () => {
    const backing = ascii("xxxx" + "hello hello hello hello hello" + "yyyy");
    const before = backing.slice();
    const view = backing.subarray(4, backing.length - 4);
    const compressed = lzfCompress(view)!;
    expect(lzfDecompress(compressed, view.length)).toEqual(view);
    expect(backing).toEqual(before);
  });

  test("a large input (4 MiB, beyond the scratch buffer) round trips", () => {
    const random = seededRandom(12);
    const input = sampleInput(random, 0, 4 * 1024 * 1024);
    const compressed = lzfCompress(input)!;
    expect(lzfDecompress(compressed, input.length)).toEqual(input);
  });
});

describe("lzfDecompress validation", () => {
  const valid = lzfCompress(ascii("abcabcabcabcabcabcabcabcabc-abcabcabcabc"))!;
  const validLength = 40;

  test("the valid stream decodes", () => {
    expect(lzfDecompress(valid, validLength)).toEqual(ascii("abcabcabcabcabcabcabcabcabc-abcabcabcabc"));
  });

  test("expected length different from the real one", () => {
    expectFormatError(() => lzfDecompress(valid, validLength - 1), "longer than expected");
    expectFormatError(() => lzfDecompress(valid, validLength + 1), "expected 41");
    expectFormatError(() => lzfDecompress(valid, 0));
  });

  test("empty input decodes only to an empty string", () => {
    expect(lzfDecompress(new Uint8Array(0), 0)).toEqual(new Uint8Array(0));
    expectFormatError(() => lzfDecompress(new Uint8Array(0), 1));
  });

  test("literal run past the end of the input", () => {
    expectFormatError(() => lzfDecompress(hex("05616263"), 6), "past end");
  });

  test("back-reference truncated or before the start of the output", () => {
    expectFormatError(() => lzfDecompress(hex("0061 20"), 4), "truncated");
    expectFormatError(() => lzfDecompress(hex("0061 e0"), 20), "truncated");
    expectFormatError(() => lzfDecompress(hex("0061 e005"), 20), "truncated");
    expectFormatError(() => lzfDecompress(hex("0061 2001"), 4), "before start");
    expectFormatError(() => lzfDecompress(hex("2000"), 3), "before start");
  });

  test("impossible expected lengths are refused before allocating", () => {
    expectFormatError(() => lzfDecompress(valid, -1));
    expectFormatError(() => lzfDecompress(valid, 1.5));
    expectFormatError(() => lzfDecompress(valid, Number.NaN));
    expectFormatError(() => lzfDecompress(valid, 2 ** 40), "cannot expand");
    expectFormatError(() => lzfDecompress(hex("01"), 2 ** 31), "cannot expand");
  });

  test("the maximum expansion (264 bytes per 3-byte reference) is accepted", () => {
    const stream = hex("0078" + "e0ff00".repeat(10));
    const output = lzfDecompress(stream, 1 + 264 * 10);
    expect(output).toEqual(new Uint8Array(1 + 2640).fill(0x78));
  });

  test("fuzz: random and mutated streams only ever throw RdbFormatError", () => {
    const random = seededRandom(77);
    const seeds = [valid, lzfCompress(sampleInput(random, 0, 3000))!, lzfCompress(sampleInput(random, 3, 500))!];
    let decoded = 0;
    for (let trial = 0; trial < 5000; trial++) {
      const base = seeds[trial % seeds.length]!;
      const input = trial % 4 === 0 ? randomBytes(random, randomInt(random, 64)) : mutate(random, base);
      const expectedLength = trial % 3 === 0 ? randomInt(random, 5000) : [40, 3000, 500][trial % 3]!;
      if (decodesOrFormatError(() => lzfDecompress(input, expectedLength))) decoded++;
    }
    expect(decoded).toBeGreaterThan(0); // some mutations stay valid streams
  });
});
