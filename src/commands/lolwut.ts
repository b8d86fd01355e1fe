// LOLWUT: computer art and the version, as Redis 7.0 draws it (lolwut.c, lolwut5.c,
// lolwut6.c). VERSION 5 is Georg Nees's Schotter in braille characters, VERSION 6 a
// skyline in ANSI grays, any other version (the default: 7.0.15's own is the unstable
// one) just the version line.
//
// The art draws from C's rand(), so Bunker draws from the same generator (glibc's,
// src/util/libc-rand.ts) in the same order, and from the same float arithmetic: Redis
// computes the squares' sides and offsets in C `float`, hence Math.fround wherever a
// float is stored or a float operation rounds. With the seed of a redis-server's rand()
// the art is the same byte for byte (test/integration/lolwut.test.ts finds that seed).

import type { Client } from "../net/client.ts";
import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import { argLower, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import * as errors from "../errors.ts";
import { REDIS_VERSION } from "../version.ts";
import { RAND_MAX, type LibcRand } from "../util/libc-rand.ts";

const f32 = Math.fround;

/** C's round(): halves away from zero (Math.round takes them up). */
function cRound(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** C's conversion of a float to int: toward zero. */
const toInt = Math.trunc;

/** A canvas of pixels of 0..3 (black, two grays, white): Redis's lwCanvas. */
export class LwCanvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  drawPixel(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  getPixel(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width]!;
  }

  /** Bresenham, as lwDrawLine: the same pixels Redis lights for the same ends. */
  drawLine(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.drawPixel(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /**
   * lwDrawSquare: a square of side `size` (a float) centred on x,y and turned by
   * `angle`, its corners on the circle that circumscribes it. The side and the angle
   * are C floats: the side is divided and rounded in double and stored back as a float,
   * the angle accumulates in a float.
   */
  drawSquare(x: number, y: number, size: number, angle: number, color: number): void {
    size = f32(f32(size) / 1.4142135623);
    size = f32(cRound(size));
    const px: number[] = [];
    const py: number[] = [];
    let k = f32(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.drawLine(px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, color);
  }
}

// ---- version 5: Schotter ------------------------------------------------------------

/**
 * lwDrawSchotter: squares_per_row x squares_per_col squares, more and more shaken as the
 * rows go down (rows 0 and 1 are not, so a canvas of two rows draws nothing random).
 */
export function drawSchotter(rand: LibcRand, consoleCols: number, squaresPerRow: number, squaresPerCol: number): LwCanvas {
  const canvasWidth = consoleCols * 2;
  const padding = canvasWidth > 4 ? 2 : 0;
  const squareSide = f32(f32(canvasWidth - padding * 2) / f32(squaresPerRow));
  const canvasHeight = toInt(f32(f32(squareSide * f32(squaresPerCol)) + padding * 2));
  const canvas = new LwCanvas(canvasWidth, canvasHeight, 0);
  const halfSide = f32(squareSide / 2);
  const randomShare = (y: number) => f32(f32(f32(f32(rand.rand()) / f32(RAND_MAX)) / f32(squaresPerCol)) * y);
  for (let y = 0; y < squaresPerCol; y++) {
    for (let x = 0; x < squaresPerRow; x++) {
      let sx = toInt(f32(f32(f32(x * squareSide) + halfSide) + padding));
      let sy = toInt(f32(f32(f32(y * squareSide) + halfSide) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = randomShare(y);
        let r2 = randomShare(y);
        let r3 = randomShare(y);
        if (rand.rand() % 2) r1 = -r1;
        if (rand.rand() % 2) r2 = -r2;
        if (rand.rand() % 2) r3 = -r3;
        angle = r1;
        sx = toInt(f32(sx + f32(f32(r2 * squareSide) / 3)));
        sy = toInt(f32(sy + f32(f32(r3 * squareSide) / 3)));
      }
      canvas.drawSquare(sx, sy, squareSide, angle, 1);
    }
  }
  return canvas;
}

/**
 * The canvas in braille characters, each a 2x4 block of pixels (dots 1-3 down the left
 * column, 4-6 down the right, 7 and 8 the bottom row), as a byte string of UTF-8: U+2800
 * plus the dots' bits, always three bytes.
 */
export function renderBraille(canvas: LwCanvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.getPixel(x, y)) byte |= 1 << 0;
      if (canvas.getPixel(x, y + 1)) byte |= 1 << 1;
      if (canvas.getPixel(x, y + 2)) byte |= 1 << 2;
      if (canvas.getPixel(x + 1, y)) byte |= 1 << 3;
      if (canvas.getPixel(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.getPixel(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.getPixel(x, y + 3)) byte |= 1 << 6;
      if (canvas.getPixel(x + 1, y + 3)) byte |= 1 << 7;
      const code = 0x2800 + byte;
      text += String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
    // Redis compares y, a multiple of 4, with height-1: a newline after every row of
    // characters but the one that starts on the last pixel row.
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

// ---- version 6: the skyline ----------------------------------------------------------

const GRAY_ESCAPES = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

/** Each pixel a space in its gray, foreground and background both set, as lolwut6.c. */
export function renderGrays(canvas: LwCanvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) text += `\x1b[${GRAY_ESCAPES[canvas.getPixel(x, y)] ?? GRAY_ESCAPES[0]} \x1b[0m`;
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** generateSkyscraper: the roof two pixels narrower each side, windows two pixels wide. */
function drawSkyscraper(rand: LibcRand, canvas: LwCanvas, si: Skyscraper): void {
  const startY = canvas.height - 1;
  const endY = startY - si.height + 1;
  for (let y = startY; y >= endY; y--) {
    for (let x = si.xoff; x < si.xoff + si.width; x++) {
      if (y === endY && (x <= si.xoff + 1 || x >= si.xoff + si.width - 2)) continue;
      let color = si.color;
      if (si.windows && x > si.xoff + 1 && x < si.xoff + si.width - 2 && y > endY + 1 && y < startY - 1) {
        const relX = x - (si.xoff + 1);
        const relY = y - (endY + 1);
        // C's % keeps the dividend's sign: relx and rely are positive here.
        if (((relX / 2) | 0) % 2 && relY % 2) {
          do {
            color = 1 + (rand.rand() % 2);
          } while (color === si.color);
          if (relX % 2) color = canvas.getPixel(x - 1, y);
        }
      }
      canvas.drawPixel(x, y, color);
    }
  }
}

/** generateSkyline: two passes of window-less grays behind, then the black front row. */
export function drawSkyline(rand: LibcRand, canvas: LwCanvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand.rand() % 8;
      const width = 10 + (rand.rand() % 9);
      const height = color === 2 ? ((h / 2) | 0) + (((rand.rand() % h) / 2) | 0) : ((h / 2) | 0) + (((rand.rand() % h) / 3) | 0);
      drawSkyscraper(rand, canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? (width / 2) | 0 : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand.rand() % 8;
    let width = 5 + (rand.rand() % 14);
    if (width % 4) width += width % 3;
    const height = ((h / 3) | 0) + (((rand.rand() % h) / 2) | 0);
    drawSkyscraper(rand, canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

// ---- the command ---------------------------------------------------------------------

/** The optional numeric arguments (getLongFromObjectOrReply each), clamped; null after an error reply. */
function numericArguments(client: Client, args: Uint8Array[], defaults: number[], limits: Array<[number, number]>): number[] | null {
  const values = defaults.slice();
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const parsed = parseInteger(args[i]!);
    if (parsed === null) {
      replyError(client, errors.NOT_INTEGER);
      return null;
    }
    const [min, max] = limits[i]!;
    // A bigint is beyond ±2^53, so beyond every limit: clamping is all that is left.
    values[i] = typeof parsed === "bigint" ? (parsed < 0n ? min : max) : Math.min(max, Math.max(min, parsed));
  }
  return values;
}

export function lolwut5(client: Client, args: Uint8Array[]): void {
  const values = numericArguments(client, args, [66, 8, 12], [[1, 1000], [1, 200], [1, 200]]);
  if (values === null) return;
  const [cols, perRow, perCol] = values as [number, number, number];
  const canvas = drawSchotter(client.server.libcRand, cols, perRow, perCol);
  client.reply.verbatim(renderBraille(canvas) + `\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`);
}

export function lolwut6(client: Client, args: Uint8Array[]): void {
  const values = numericArguments(client, args, [80, 20], [[1, 1000], [1, 1000]]);
  if (values === null) return;
  const [cols, rows] = values as [number, number];
  const canvas = new LwCanvas(cols, rows, 3);
  drawSkyline(client.server.libcRand, canvas);
  client.reply.verbatim(
    renderGrays(canvas) +
      "\nDedicated to the 8 bit game developers of past and present.\n" +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
  );
}

/**
 * LOLWUT [VERSION v] [art arguments...]: Redis prints the version as "%u.0.0" of the
 * number cast to unsigned int and picks the art by its first characters, so 5 (and
 * 4.9) is Schotter, 6 (and 5.9) the skyline, and anything else, 4294967301 included
 * (it prints as 5), goes by its low 32 bits. Without VERSION the arguments are ignored.
 */
function lolwut(client: Client, argv: Uint8Array[]): void {
  let version = REDIS_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && argLower(argv[1]!) === "version") {
    const parsed = parseInteger(argv[2]!);
    if (parsed === null) {
      replyError(client, errors.NOT_INTEGER);
      return;
    }
    version = `${Number(BigInt.asUintN(32, BigInt(parsed)))}.0.0`;
    args = argv.slice(3);
  }
  const is = (major: string, minor9: boolean) => version[0] === major && version[1] === "." && (version[2] === "9") === minor9;
  if (is("5", false) || is("4", true)) lolwut5(client, args);
  else if (is("6", false) || is("5", true)) lolwut6(client, args);
  else client.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const lolwutCommands: CommandSpec[] = [
  keyless({ name: "lolwut", arity: -1, flags: ["readonly", "fast"], categories: [], group: "server", since: "5.0.0", summary: "Display some computer art and the Redis version", handler: lolwut }),
];
