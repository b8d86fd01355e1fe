// The request parser: pipelining, arbitrary chunk boundaries, inline quoting, every
// protocol error, and a fuzz run that asserts it never throws.

import { describe, expect, test } from "bun:test";
import { ARG_COPY_LIMIT, PROTO_INLINE_MAX_SIZE, ProtocolError, RequestParser, type ParseResult } from "../../src/protocol/parser.ts";
import { ownBytes } from "../../src/db/bytes.ts";
import { splitInlineArgs } from "../../src/protocol/inline.ts";

const limits = { maxBulkLength: 512 * 1024 * 1024, unauthenticated: false };
const text = (args: Uint8Array[]) => args.map((a) => Buffer.from(a).toString("latin1"));
const messageOf = (result: ParseResult) => (result instanceof ProtocolError ? result.message : result);

function parseAll(chunks: Uint8Array[]): Array<string[] | string> {
  const parser = new RequestParser();
  const out: Array<string[] | string> = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (;;) {
      const result: ParseResult = parser.next(limits);
      if (result === null) break;
      if (result instanceof ProtocolError) {
        out.push(result.message);
        return out;
      }
      out.push(text(result));
    }
  }
  return out;
}

describe("RequestParser", () => {
  test("pipelined multibulk requests in one chunk", () => {
    const input = Buffer.from("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    expect(parseAll([input])).toEqual([["PING"], ["SET", "k", "v"]]);
  });

  test("a request split at every possible byte gives the same result", () => {
    const input = Buffer.from("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\nPING\r\n");
    const expected = [["SET", "key", "va\r\nl"], ["PING"]];
    for (let cut = 1; cut < input.length; cut++) {
      expect(parseAll([input.subarray(0, cut), input.subarray(cut)])).toEqual(expected);
    }
    // One byte at a time.
    expect(parseAll([...input].map((b) => Uint8Array.of(b)))).toEqual(expected);
  });

  test("a large bulk arriving in many chunks is assembled once", () => {
    const value = Buffer.alloc(300_000, 97);
    const input = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${value.length}\r\n`), value, Buffer.from("\r\n")]);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < input.length; i += 7000) chunks.push(input.subarray(i, i + 7000));
    const result = parseAll(chunks);
    expect(result.length).toBe(1);
    expect((result[0] as string[])[1]!.length).toBe(300_000);
  });

  test("whole requests (the fast path) and requests split byte by byte parse the same", () => {
    let state = 99;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    const sizes = [0, 1, 3, 47, 48, 49, 200, ARG_COPY_LIMIT, ARG_COPY_LIMIT + 1, 40_000];
    const requests: string[][] = [];
    for (let r = 0; r < 40; r++) {
      const argc = 1 + random(12);
      requests.push(Array.from({ length: argc }, () => String.fromCharCode(97 + random(26)).repeat(sizes[random(sizes.length)]!)));
    }
    const wire = requests.map((args) => `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join("");
    const input = Buffer.from(wire, "latin1");
    expect(parseAll([input])).toEqual(requests);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < input.length; ) {
      const take = 1 + random(700);
      pieces.push(input.subarray(i, i + take));
      i += take;
    }
    expect(parseAll(pieces)).toEqual(requests);
  });

  test("headers the fast path leaves to the general parser", () => {
    expect(parseAll([Buffer.from("*01\r\n$4\r\nPING\r\n")])).toEqual(["invalid multibulk length"]);
    expect(parseAll([Buffer.from("*1\r\n$04\r\nPING\r\n")])).toEqual(["invalid bulk length"]);
    expect(parseAll([Buffer.from("*1\r\n$+4\r\nPING\r\n")])).toEqual(["invalid bulk length"]);
    expect(parseAll([Buffer.from("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")])).toEqual([["ECHO", ""]]);
    expect(parseAll([Buffer.from("*2\r\n$4\r\nECHO\r\n$1234567890\r\n")])).toEqual(["invalid bulk length"]);
    const parser = new RequestParser();
    parser.feed(Buffer.from("*1\r\n$20000\r\n" + "a".repeat(20000) + "\r\n"));
    expect(messageOf(parser.next({ ...limits, unauthenticated: true }))).toBe("unauthenticated bulk length");
    const p2 = new RequestParser();
    p2.feed(Buffer.from("*11\r\n" + "$1\r\na\r\n".repeat(11)));
    expect(messageOf(p2.next({ ...limits, unauthenticated: true }))).toBe("unauthenticated multibulk length");
    const p3 = new RequestParser();
    p3.feed(Buffer.from("*1\r\n$200\r\n" + "a".repeat(200) + "\r\n"));
    expect(messageOf(p3.next({ ...limits, maxBulkLength: 100 }))).toBe("invalid bulk length");
  });

  test("short arguments are standalone copies, long ones views that ownBytes copies", () => {
    const long = "b".repeat(ARG_COPY_LIMIT + 1);
    const medium = "m".repeat(200);
    const chunk = Buffer.from(`*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$${long.length}\r\n${long}\r\n$200\r\n${medium}\r\n`, "latin1");
    for (const split of [false, true]) {
      const parser = new RequestParser();
      if (split) {
        parser.feed(chunk.subarray(0, 20));
        expect(parser.next(limits)).toBeNull();
        parser.feed(chunk.subarray(20));
      } else parser.feed(chunk);
      const argv = parser.next(limits) as Uint8Array[];
      expect(text(argv)).toEqual(["SET", "k", long, medium]);
      // Plain Uint8Arrays, never Buffers (whose slice() would not copy), though the input was one.
      for (const arg of argv) expect(Buffer.isBuffer(arg)).toBe(false);
      const short = argv[1]!;
      expect(short.byteOffset).toBe(0);
      expect(short.buffer.byteLength).toBe(1);
      expect(ownBytes(short)).toBe(short);
      const value = argv[2]!;
      const owned = ownBytes(value);
      expect(owned.buffer.byteLength).toBe(long.length);
      expect(ownBytes(argv[3]!)).toBe(argv[3]!);
      // None shares memory with the input.
      const copy = Buffer.from(chunk);
      chunk.fill(0);
      expect(text([short, owned, argv[3]!])).toEqual(["k", long, medium]);
      copy.copy(chunk);
    }
  });

  test("inline requests without quotes split as sdssplitargs splits them", () => {
    let state = 7;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    const alphabet = [32, 32, 9, 11, 12, 13, 97, 98, 92, 120, 0, 200, 255, 36, 42];
    for (let round = 0; round < 500; round++) {
      const line = Buffer.from(Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]!));
      if (line[0] === 42) line[0] = 97; // a leading '*' makes a multibulk request
      const parser = new RequestParser();
      parser.feed(Buffer.concat([line, Buffer.from("\n")]));
      const result = parser.next(limits);
      // A NUL ends Redis's search for the newline: the request waits for more input.
      if (line.includes(0)) {
        expect(result).toBeNull();
        continue;
      }
      // A CR right before the LF belongs to the line ending, as in Redis.
      const expected = splitInlineArgs(line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line)!;
      if (expected.length === 0) expect(result).toBeNull();
      else expect(text(result as Uint8Array[])).toEqual(text(expected));
    }
    expect(parseAll([Buffer.from("PING\r\n  set  a\tb\r\nECHO 'x y'\r\n")])).toEqual([["PING"], ["set", "a", "b"], ["ECHO", "x y"]]);
  });

  test("argv[0] is shared by consecutive requests naming the same bytes, and only by those", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nping\r\n*2\r\n$4\r\nPING\r\n$1\r\nx\r\n"));
    const [a, b, c, d] = [parser.next(limits), parser.next(limits), parser.next(limits), parser.next(limits)] as Uint8Array[][];
    expect(b![0]).toBe(a![0]!);
    expect(c![0]).not.toBe(a![0]!);
    expect(text(c!)).toEqual(["ping"]);
    expect(text(d!)).toEqual(["PING", "x"]);
    expect(text(a!)).toEqual(["PING"]);
  });

  test("empty multibulk counts are skipped", () => {
    expect(parseAll([Buffer.from("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")])).toEqual([["PING"]]);
  });

  test("protocol errors", () => {
    expect(parseAll([Buffer.from("*a\r\n")])).toEqual(["invalid multibulk length"]);
    expect(parseAll([Buffer.from("*3000000000\r\n")])).toEqual(["invalid multibulk length"]);
    expect(parseAll([Buffer.from("*1\r\n:1\r\n")])).toEqual(["expected '$', got ':'"]);
    expect(parseAll([Buffer.from("*1\r\n$-5\r\n")])).toEqual(["invalid bulk length"]);
    expect(parseAll([Buffer.from("*1\r\n$abc\r\n")])).toEqual(["invalid bulk length"]);
    expect(parseAll([Buffer.from('SET "a\r\n')])).toEqual(["unbalanced quotes in request"]);
    expect(parseAll([Buffer.alloc(70 * 1024, 97)])).toEqual(["too big inline request"]);
    expect(parseAll([Buffer.concat([Buffer.from("*"), Buffer.alloc(70 * 1024, 49)])])).toEqual(["too big mbulk count string"]);
    const parser = new RequestParser();
    parser.feed(Buffer.from("*20\r\n"));
    expect(messageOf(parser.next({ ...limits, unauthenticated: true }))).toBe("unauthenticated multibulk length");
    const p2 = new RequestParser();
    p2.feed(Buffer.from("*1\r\n$20000\r\n"));
    expect(messageOf(p2.next({ ...limits, unauthenticated: true }))).toBe("unauthenticated bulk length");
    const p3 = new RequestParser();
    p3.feed(Buffer.from("*1\r\n$200\r\n"));
    expect(messageOf(p3.next({ ...limits, maxBulkLength: 100 }))).toBe("invalid bulk length");
  });

  test("a NUL ends the search for a line's end, as Redis's strchr: the request waits until too big", () => {
    const inline = new RequestParser();
    inline.feed(Buffer.from("PING\r\nPI\0NG\r\n"));
    expect(text(inline.next(limits) as Uint8Array[])).toEqual(["PING"]);
    expect(inline.next(limits)).toBeNull();
    inline.feed(Buffer.from("PING\r\n"));
    expect(inline.next(limits)).toBeNull();
    inline.feed(Buffer.alloc(PROTO_INLINE_MAX_SIZE - 13, 120));
    expect(inline.next(limits)).toBeNull(); // exactly PROTO_INLINE_MAX_SIZE bytes pending
    inline.feed(Buffer.from("x"));
    expect(messageOf(inline.next(limits))).toBe("too big inline request");
    expect(parseAll([Buffer.from('ECHO "a\0b"\r\n')])).toEqual([]);
    expect(parseAll([Buffer.from("\0PING\r\n"), Buffer.from("PING\r\n")])).toEqual([]);
    expect(parseAll([Buffer.from("*1\0\r\n$4\r\nPING\r\n")])).toEqual([]);
    expect(parseAll([Buffer.from("*1\0"), Buffer.alloc(70_000, 120)])).toEqual(["too big mbulk count string"]);
    expect(parseAll([Buffer.from("*1\r\n$4\0\r\nPING\r\n")])).toEqual([]);
    expect(parseAll([Buffer.from("*1\r\n\0$4\r\nPING\r\n"), Buffer.alloc(70_000, 120)])).toEqual(["too big bulk count string"]);
    // In a bulk's data a NUL is an ordinary byte.
    expect(parseAll([Buffer.from("*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n")])).toEqual([["ECHO", "a\0b"]]);
  });

  test("a header line is complete before its first byte is checked, as in Redis", () => {
    const parser = new RequestParser();
    for (const piece of ["*1\r\n", "X", "\r"]) {
      parser.feed(Buffer.from(piece));
      expect(parser.next(limits)).toBeNull();
    }
    parser.feed(Buffer.from("\n"));
    expect(messageOf(parser.next(limits))).toBe("expected '$', got 'X'");
  });

  test("a line longer than PROTO_INLINE_MAX_SIZE is too big however it arrives", () => {
    const echo = (n: number) => Buffer.from(`ECHO ${"a".repeat(n)}\r\n`);
    expect(parseAll([echo(PROTO_INLINE_MAX_SIZE - 6)])).toEqual([["ECHO", "a".repeat(PROTO_INLINE_MAX_SIZE - 6)]]);
    expect(parseAll([echo(PROTO_INLINE_MAX_SIZE - 4)])).toEqual(["too big inline request"]);
    expect(parseAll([echo(100_000)])).toEqual(["too big inline request"]);
    // A header's CR at PROTO_INLINE_MAX_SIZE bytes from the line's start is still read.
    expect(parseAll([Buffer.from(`*${"1".repeat(PROTO_INLINE_MAX_SIZE - 1)}\r\n`)])).toEqual(["invalid multibulk length"]);
    expect(parseAll([Buffer.from(`*${"1".repeat(PROTO_INLINE_MAX_SIZE)}\r\n`)])).toEqual(["too big mbulk count string"]);
    expect(parseAll([Buffer.from(`*1\r\n$${"1".repeat(PROTO_INLINE_MAX_SIZE)}\r\n`)])).toEqual(["too big bulk count string"]);
    // Trickled in: the same answers.
    const trickle = (bytes: Buffer) => Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, i * 1000 + 1000));
    expect(parseAll(trickle(echo(PROTO_INLINE_MAX_SIZE - 6)))).toEqual([["ECHO", "a".repeat(PROTO_INLINE_MAX_SIZE - 6)]]);
    expect(parseAll(trickle(echo(100_000)))).toEqual(["too big inline request"]);
  });

  describe("every byte is copied a bounded number of times", () => {
    /** Bytes the parser copies (TypedArray#set and copyWithin) while `run` runs. */
    function bytesCopied(run: () => void): number {
      const proto = Uint8Array.prototype;
      const { set, copyWithin } = proto;
      let copied = 0;
      proto.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
        copied += source.length;
        return set.call(this, source, offset);
      } as typeof set;
      proto.copyWithin = function (this: Uint8Array, target: number, start: number, end?: number) {
        copied += (end ?? this.length) - start;
        return copyWithin.call(this, target, start, end);
      } as typeof copyWithin;
      try {
        run();
      } finally {
        proto.set = set;
        proto.copyWithin = copyWithin;
      }
      return copied;
    }
    const request = Buffer.from("*3\r\n$3\r\nSET\r\n$8\r\nkey:0001\r\n$20\r\nvalue-value-value-va\r\n");

    test("a client that is not being served (blocked, paused) and keeps sending", () => {
      const parser = new RequestParser();
      const chunk = Buffer.concat(Array.from({ length: 20 }, () => request)); // ~1 KB
      let fed = 0;
      const copied = bytesCopied(() => {
        while (fed < 16 * 1024 * 1024) {
          parser.feed(Buffer.from(chunk));
          fed += chunk.length;
        }
      });
      expect(parser.bufferedBytes).toBe(fed);
      expect(copied).toBeLessThan(4 * fed);
    });

    test("requests cut at every chunk boundary, parsed as they come", () => {
      const parser = new RequestParser();
      const wire = Buffer.concat(Array.from({ length: 20_000 }, () => request));
      let requests = 0;
      const copied = bytesCopied(() => {
        for (let i = 0; i < wire.length; i += 997) {
          parser.feed(Buffer.from(wire.subarray(i, i + 997)));
          while (parser.next(limits) !== null) requests++;
        }
      });
      expect(requests).toBe(20_000);
      expect(copied).toBeLessThan(4 * wire.length);
    });

    test("a 16 MB argument in 64 KB chunks, and a 30 KB one byte by byte", () => {
      for (const [size, step] of [
        [16 * 1024 * 1024, 64 * 1024],
        [30 * 1024, 1],
      ] as const) {
        const parser = new RequestParser();
        const wire = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`), Buffer.alloc(size, 122), Buffer.from("\r\n")]);
        let argv: ParseResult = null;
        const copied = bytesCopied(() => {
          for (let i = 0; i < wire.length; i += step) {
            parser.feed(wire.subarray(i, i + step));
            argv = parser.next(limits) ?? argv;
          }
        });
        expect((argv as unknown as Uint8Array[])[1]!.length).toBe(size);
        expect(copied).toBeLessThan(4 * wire.length);
      }
    });
  });

  test("a long argument handed out as a view keeps its bytes while the parser reuses its buffer", () => {
    const parser = new RequestParser();
    const long = "L".repeat(3000);
    const wire = Buffer.from(`*2\r\n$4\r\nECHO\r\n$${long.length}\r\n${long}\r\n` + "*1\r\n$4\r\nPING\r\n".repeat(4000), "latin1");
    const kept: Uint8Array[][] = [];
    // Cut so that the long argument is read by the fast path and the general one, from
    // Bun's chunks and from the parser's own buffer.
    for (const step of [1500, 997, 4000, 3100]) {
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < wire.length; i += step) {
          parser.feed(Buffer.from(wire.subarray(i, i + step)));
          for (let argv = parser.next(limits); argv !== null; argv = parser.next(limits)) {
            if ((argv as Uint8Array[]).length === 2) kept.push(argv as Uint8Array[]);
          }
        }
      }
    }
    expect(kept.length).toBe(12);
    for (const argv of kept) expect(text(argv)).toEqual(["ECHO", long]);
  });

  test("freeInput: a read's buffer and outgrown own buffers are freed once done with, never while input, a half-read request or a kept argument needs them", () => {
    const long = "v".repeat(2000);
    // A buffer of its own, as Bun hands each read.
    const chunkOf = (wire: string) => new Uint8Array(Buffer.from(wire, "latin1"));
    const freed = (chunk: Uint8Array) => (chunk.buffer as ArrayBuffer).detached;
    const drain = (parser: RequestParser) => {
      const out: string[][] = [];
      for (let argv = parser.next(limits); argv !== null; argv = parser.next(limits)) out.push(text(argv as Uint8Array[]));
      return out;
    };
    // Whole requests: freed, and the parser reads nothing of the chunk afterwards.
    let parser = new RequestParser();
    let chunk = chunkOf(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${long.length}\r\n${long}\r\n`);
    parser.feed(chunk, true, true);
    expect(drain(parser)).toEqual([["SET", "k", long]]);
    parser.freeInput();
    expect(freed(chunk)).toBe(true);
    expect(parser.queryBufferLength).toBe(0);
    parser.feed(chunkOf("*1\r\n$4\r\nPING\r\n"), true, true);
    expect(drain(parser)).toEqual([["PING"]]);

    // A chunk not marked disposable is never freed.
    parser = new RequestParser();
    chunk = chunkOf("*1\r\n$4\r\nPING\r\n");
    parser.feed(chunk);
    expect(drain(parser)).toEqual([["PING"]]);
    parser.freeInput();
    expect(freed(chunk)).toBe(false);

    // Input of the chunk not parsed yet (a request cut short): held until the next chunk
    // moved it to the parser's own buffer; that chunk, copied there whole, goes at once.
    parser = new RequestParser();
    const first = chunkOf("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI");
    parser.feed(first, true, true);
    expect(drain(parser)).toEqual([["PING"]]);
    parser.freeInput();
    expect(freed(first)).toBe(false);
    const second = chunkOf("NG\r\n*1\r\n$4\r\nEC");
    parser.feed(second, true, true);
    expect(drain(parser)).toEqual([["PING"]]);
    parser.freeInput();
    expect([freed(first), freed(second)]).toEqual([true, true]);
    parser.feed(chunkOf("HO\r\n"), true, true);
    expect(drain(parser)).toEqual([["ECHO"]]);

    // A request half read whose first arguments are views of the chunk: held, although
    // every byte of the chunk was consumed; once the request goes on in the parser's own
    // buffer its views are copies and the chunk is freed.
    parser = new RequestParser();
    chunk = chunkOf(`*3\r\n$3\r\nSET\r\n$${long.length}\r\n${long}\r\n$1`);
    parser.feed(chunk, true, true);
    expect(drain(parser)).toEqual([]);
    parser.freeInput();
    expect(freed(chunk)).toBe(false);
    parser.feed(chunkOf("\r\nv"), true, true);
    expect(drain(parser)).toEqual([]);
    parser.freeInput();
    expect(freed(chunk)).toBe(true);
    parser.feed(chunkOf("\r\n"), true, true);
    expect(drain(parser)).toEqual([["SET", long, "v"]]);

    // A request's arguments still in use (a blocked command keeps them): the chunk they
    // are views of is neither freed nor written over, whatever arrives meanwhile.
    parser = new RequestParser();
    chunk = chunkOf(`*2\r\n$4\r\nECHO\r\n$${long.length}\r\n${long}\r\n*2\r\n$4\r\nECHO\r\n$${long.length}\r\n`);
    parser.feed(chunk, true, true);
    const kept = parser.next(limits) as Uint8Array[];
    expect(kept[1]!.buffer).toBe(chunk.buffer);
    for (let i = 0; i < 5; i++) {
      parser.feed(chunkOf(long.slice(0, 300)), true, false);
      parser.freeInput();
    }
    expect(freed(chunk)).toBe(false);
    parser.feed(chunkOf(`${long.slice(1500)}\r\n`), true, true);
    expect(drain(parser)).toEqual([["ECHO", long]]);
    expect(text(kept)).toEqual(["ECHO", long]);

    // A long argument at the very start of a chunk is a copy, not a view of it (ownBytes
    // keeps views at offset 0 as they are).
    parser = new RequestParser();
    parser.feed(chunkOf(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${long.length}\r\n`), true, true);
    expect(drain(parser)).toEqual([]);
    parser.freeInput();
    chunk = chunkOf(`${long}\r\n`);
    parser.feed(chunk, true, true);
    const [argv] = [parser.next(limits) as Uint8Array[]];
    expect(argv[2]!.buffer).not.toBe(chunk.buffer);
    expect(ownBytes(argv[2]!)).toBe(argv[2]!);
    expect(parser.next(limits)).toBeNull();
    parser.freeInput();
    expect(freed(chunk)).toBe(true);
    expect(text(argv)).toEqual(["SET", "k", long]);
  });

  test("qbuf and qbuf-free: the read being processed, then what is pending, and the spare room", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nab"));
    expect(parser.queryBufferLength).toBe(34);
    expect(text(parser.next(limits) as Uint8Array[])).toEqual(["PING"]);
    expect(parser.next(limits)).toBeNull();
    // As Redis, the read's requests count until it is processed; the parsed headers of
    // the incomplete request are not pending any more.
    expect(parser.queryBufferLength).toBe(34);
    parser.trimProcessed();
    expect(parser.queryBufferLength).toBe(2);
    expect(parser.bufferedBytes).toBe(2);
    expect(parser.initialBytes()).toBe('"ab"');
    parser.feed(Buffer.from("c"));
    expect(parser.queryBufferLength).toBe(3);
    expect(parser.queryBufferFree).toBeGreaterThan(0);
    parser.feed(Buffer.from("de\r\n"));
    expect(text(parser.next(limits) as Uint8Array[])).toEqual(["ECHO", "abcde"]);
    expect(parser.next(limits)).toBeNull();
    expect(parser.queryBufferLength).toBe(0);
    expect(parser.queryBufferFree).toBe(0);
  });

  test("fuzz: random and mutated input never throws and always ends in a result", () => {
    const seeds = [
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
      "PING\r\n",
      'SET "a b" \'c\' "\\x41\\n"\r\n',
      "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    ].map((s) => Buffer.from(s));
    let state = 12345;
    const random = () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
    for (let round = 0; round < 3000; round++) {
      const seed = Buffer.from(seeds[round % seeds.length]!);
      const bytes = round % 3 === 0 ? Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))) : seed;
      for (let m = 0; m < 1 + Math.floor(random() * 4); m++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const parser = new RequestParser();
      let position = 0;
      let steps = 0;
      expect(() => {
        while (position < bytes.length) {
          const take = 1 + Math.floor(random() * 8);
          parser.feed(bytes.subarray(position, position + take));
          position += take;
          for (;;) {
            const result = parser.next(limits);
            if (result === null || result instanceof ProtocolError) break;
            if (++steps > 10000) throw new Error("parser loops");
          }
        }
      }).not.toThrow();
    }
  });
});

describe("inline argument splitting (sdssplitargs)", () => {
  const split = (s: string) => {
    const r = splitInlineArgs(Buffer.from(s, "latin1"));
    return r === null ? null : text(r);
  };
  test("quotes and escapes", () => {
    expect(split("set a b")).toEqual(["set", "a", "b"]);
    expect(split('set "a b" c')).toEqual(["set", "a b", "c"]);
    expect(split('"\\x41\\n\\t\\\\"')).toEqual(["A\n\t\\"]);
    expect(split("'it\\'s'")).toEqual(["it's"]);
    expect(split("'a\\nb'")).toEqual(["a\\nb"]);
    expect(split('"a"b')).toBeNull();
    expect(split('"abc')).toBeNull();
    expect(split("   ")).toEqual([]);
    expect(split('""')).toEqual([""]);
  });
});
