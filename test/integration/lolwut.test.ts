// LOLWUT against redis-server 7.0.15. The art is drawn from C's rand(), which Redis
// seeds with time(NULL)^getpid()^tv_usec: not reproducible from outside, so
// - what draws nothing random (the version line, Schotter of one or two rows of
//   squares, errors, VERSION's parsing) is compared byte for byte, server to server;
// - for the random art, the test recovers the seed of the redis-server it started: it
//   knows the pid and the second, and SRANDMEMBER on an intset of 0..511 shows the
//   low 9 bits of four rand() draws (intsetRandom is rand()%len), which leaves one
//   seed of the ~3 million candidates. Bunker's renderer fed from glibc's rand() with
//   that seed, four draws on, must then print what Redis printed, byte for byte;
// - Bunker's own random art is checked for its dimensions and trailing lines.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compareScript, haveRedis, usePair } from "../helpers/differential.ts";
import { RawClient, startRedis, type RunningServer } from "../helpers/server.ts";
import { LibcRand } from "../../src/util/libc-rand.ts";
import { drawSchotter, drawSkyline, LwCanvas, renderBraille, renderGrays } from "../../src/commands/lolwut.ts";

const d = haveRedis ? describe : describe.skip;

const SCHOTTER_TAIL = "\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15\n";
const SKYLINE_TAIL = "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n";

/** The body of a bulk or verbatim reply (latin1 bytes). */
function body(raw: string): string {
  if (raw.startsWith("=")) return raw.slice(raw.indexOf("\r\n") + 2 + 4, -2);
  return raw.slice(raw.indexOf("\r\n") + 2, -2);
}

// ---- recovering the seed of glibc's rand() ------------------------------------------

/**
 * The first `count` outputs of glibc's rand() as linear forms over the 31 seeded words
 * (the feedback is additive mod 2^32): coefficient j of output k.
 */
function outputForms(count: number): Int32Array[] {
  const words = Array.from({ length: 31 }, (_, i) => {
    const form = new Int32Array(31);
    form[i] = 1;
    return form;
  });
  let front = 3;
  const forms: Int32Array[] = [];
  for (let draw = 0; draw < 310 + count; draw++) {
    const rear = (front + 31 - 3) % 31;
    const sum = words[front]!.map((c, j) => (c + words[rear]![j]!) | 0);
    words[front] = sum;
    front = (front + 1) % 31;
    if (draw >= 310) forms.push(sum);
  }
  return forms;
}

/** Every seed s ^ pid ^ usec, s in [fromSecond, toSecond], whose first draws' low 9 bits are `low9`. */
function recoverSeeds(pid: number, fromSecond: number, toSecond: number, low9: number[]): number[] {
  const forms = outputForms(low9.length);
  const words = new Int32Array(31);
  const found = new Set<number>();
  for (let second = fromSecond; second <= toSecond; second++) {
    for (let usec = 0; usec < 1_000_000; usec++) {
      const seed = (second ^ pid ^ usec) >>> 0;
      let word = seed | 0 || 1;
      words[0] = word;
      for (let i = 1; i < 31; i++) {
        const hi = Math.trunc(word / 127773);
        word = 16807 * (word % 127773) - 2836 * hi;
        if (word < 0) word += 2147483647;
        words[i] = word;
      }
      let matches = true;
      for (let k = 0; k < low9.length && matches; k++) {
        const form = forms[k]!;
        let sum = 0;
        for (let j = 0; j < 31; j++) sum = (sum + Math.imul(form[j]!, words[j]!)) | 0;
        matches = ((sum >>> 1) & 511) === low9[k];
      }
      if (matches) found.add(seed);
    }
  }
  return [...found];
}

test("LibcRand draws glibc's sequence", () => {
  const rand = new LibcRand(1);
  expect([rand.rand(), rand.rand(), rand.rand()]).toEqual([1804289383, 846930886, 1681692777]);
  const other = new LibcRand(0xdeadbeef);
  expect([other.rand(), other.rand()]).toEqual([352217057, 918588210]);
  // The linear forms the seed search uses agree with the generator itself.
  const forms = outputForms(3);
  const seeded = new LibcRand(12345);
  const words = [12345];
  for (let i = 1; i < 31; i++) words.push(Number((BigInt(words[i - 1]!) * 16807n) % 2147483647n));
  for (const form of forms) expect(seeded.rand()).toBe(form.reduce((sum, c, j) => (sum + Math.imul(c, words[j]!)) | 0, 0) >>> 1);
});

test("the braille renderer encodes each 2x4 block of a known canvas", () => {
  const canvas = new LwCanvas(4, 4, 0);
  // Left block: dots 1, 2, 3, 7 (the left column); right block: dots 4 and 8.
  for (let y = 0; y < 4; y++) canvas.drawPixel(0, y, 1);
  canvas.drawPixel(3, 0, 1);
  canvas.drawPixel(3, 3, 1);
  expect(Buffer.from(renderBraille(canvas), "latin1").toString("utf8")).toBe("\u2847\u2888\n");
  // A height of one row of pixels: no newline, as Redis compares y with height-1.
  expect(renderBraille(new LwCanvas(2, 1, 1))).toBe(Buffer.from("\u2809", "utf8").toString("latin1"));
});

d("LOLWUT vs redis-server", () => {
  const pair = usePair();

  test("the deterministic replies are byte-identical", async () => {
    const script: string[][] = [
      ["LOLWUT"],
      ["LOLWUT", "whatever", "1", "2"],
      ["LOLWUT", "VERSION"],
      ["LOLWUT", "VERSION", "7"],
      ["LOLWUT", "VERSION", "4"],
      ["LOLWUT", "VERSION", "59"],
      ["LOLWUT", "VERSION", "-1"],
      ["LOLWUT", "VERSION", "x"],
      ["LOLWUT", "VERSION", "99999999999999999999"],
      ["LOLWUT", "VERSION", "5", "x"],
      ["LOLWUT", "VERSION", "5", "10", "x"],
      ["LOLWUT", "VERSION", "5", "10", "2", "1.5"],
      ["LOLWUT", "VERSION", "6", "x"],
      ["LOLWUT", "VERSION", "6", "10", "x"],
      ["lolwut", "version", "4294967301", "20", "3", "2"],
      // Schotter of one or two rows draws no random number: every size, clamped ones too.
      ["LOLWUT", "VERSION", "5", "66", "8", "2"],
      ["LOLWUT", "VERSION", "5", "1", "1", "1"],
      ["LOLWUT", "VERSION", "5", "2", "1", "1"],
      ["LOLWUT", "VERSION", "5", "3", "2", "2"],
      ["LOLWUT", "VERSION", "5", "0", "0", "0"],
      ["LOLWUT", "VERSION", "5", "-5", "-5", "-5"],
      ["LOLWUT", "VERSION", "5", "5000", "1", "1"],
      ["LOLWUT", "VERSION", "5", "40", "500", "1"],
      ["LOLWUT", "VERSION", "5", "40", "3", "-99999999999999999999"],
      ...Array.from({ length: 40 }, (_, i) => ["LOLWUT", "VERSION", "5", String(1 + ((i * 37) % 150)), String(1 + ((i * 13) % 30)), String(1 + (i % 2))]),
    ];
    expect(await compareScript(pair(), script)).toEqual([]);
    await pair().b.call("HELLO", "3");
    await pair().r.call("HELLO", "3");
    expect(await compareScript(pair(), [["LOLWUT"], ["LOLWUT", "VERSION", "5", "20", "3", "2"]])).toEqual([]);
  });

  test("Bunker's random art has Redis's dimensions and trailing lines", async () => {
    const { b } = pair();
    await b.call("HELLO", "2");
    const schotter = body(await b.callRaw("LOLWUT", "VERSION", "5", "30", "4", "6"));
    expect(schotter.endsWith(SCHOTTER_TAIL)).toBe(true);
    const art = schotter.slice(0, -SCHOTTER_TAIL.length).split("\n");
    // A canvas of 60 x (14 * 6 + 4) pixels: 22 rows of 30 braille characters, and an
    // empty line, as the last row does not start on the last pixel row.
    expect(art.map((line) => line.length / 3)).toEqual([...Array(22).fill(30), 0]);
    const defaults = body(await b.callRaw("LOLWUT", "VERSION", "5"));
    expect(defaults.slice(0, -SCHOTTER_TAIL.length).split("\n").map((line) => line.length / 3)).toEqual([...Array(49).fill(66), 0]);
    const skyline = body(await b.callRaw("LOLWUT", "VERSION", "6", "30", "7"));
    expect(skyline.endsWith(SKYLINE_TAIL)).toBe(true);
    const rows = skyline.slice(0, -SKYLINE_TAIL.length).split("\n");
    expect(rows.length).toBe(7);
    for (const row of rows) expect(row).toMatch(/^(\x1b\[0;(30;40|90;100|37;47|97;107)m \x1b\[0m){30}$/);
    const clamped = body(await b.callRaw("LOLWUT", "VERSION", "6", "0", "5000"));
    expect(clamped.slice(0, -SKYLINE_TAIL.length).split("\n").length).toBe(1000);
  });
});

d("LOLWUT's random art, with the seed of redis-server's rand()", () => {
  let redis: RunningServer;
  let client: RawClient;
  let seconds: [number, number];

  beforeAll(async () => {
    const before = Math.floor(Date.now() / 1000);
    redis = await startRedis();
    // time(NULL) is read just after gettimeofday: the seed's second may be one later.
    seconds = [before - 1, Math.floor(Date.now() / 1000) + 1];
    client = await RawClient.connect(redis.port);
  });
  afterAll(async () => {
    client?.close();
    await redis?.stop();
  });

  test("Bunker's renderer draws what Redis drew, byte for byte", async () => {
    await client.call("SADD", "probe", ...Array.from({ length: 512 }, (_, i) => String(i)));
    expect(await client.call("OBJECT", "ENCODING", "probe")).toBe("intset");
    const low9: number[] = [];
    for (let k = 0; k < 4; k++) low9.push(Number(await client.call("SRANDMEMBER", "probe")));
    const seeds = recoverSeeds(redis.proc.pid, seconds[0], seconds[1], low9);
    expect(seeds.length).toBe(1);
    const rand = new LibcRand(seeds[0]!);
    for (let k = 0; k < 4; k++) rand.rand();

    const schotter = (cols: number, perRow: number, perCol: number) => renderBraille(drawSchotter(rand, cols, perRow, perCol)) + SCHOTTER_TAIL;
    const skyline = (cols: number, rows: number) => {
      const canvas = new LwCanvas(cols, rows, 3);
      drawSkyline(rand, canvas);
      return renderGrays(canvas) + SKYLINE_TAIL;
    };
    const cases: Array<[string[], () => string]> = [
      [["VERSION", "5"], () => schotter(66, 8, 12)],
      [["VERSION", "6"], () => skyline(80, 20)],
      [["VERSION", "5", "100", "20", "30"], () => schotter(100, 20, 30)],
      [["VERSION", "5", "7", "3", "200"], () => schotter(7, 3, 200)],
      [["VERSION", "6", "200", "60"], () => skyline(200, 60)],
      [["VERSION", "6", "3", "2"], () => skyline(3, 2)],
      [["VERSION", "5", "33", "1", "9"], () => schotter(33, 1, 9)],
    ];
    for (const [args, ours] of cases) {
      const theirs = body(await client.callRaw("LOLWUT", ...args));
      expect({ args, art: ours() }).toEqual({ args, art: theirs });
    }
  }, 60_000);
});
