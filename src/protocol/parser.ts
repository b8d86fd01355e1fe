// Incremental request parser: RESP multibulk and inline commands, as Redis's
// processMultibulkBuffer / processInlineBuffer accept them.
//
// Data arrives in chunks with arbitrary boundaries. The parser keeps the unconsumed
// tail of the previous chunk, never re-scans consumed bytes, and assembles a large
// bulk argument in a buffer allocated once at its announced size (so a 100 MB
// value arriving in 64 KB chunks is not concatenated over and over).

import { splitInlineArgs } from "./inline.ts";

/** Longest inline request or *<n> / $<n> header line accepted without a newline (PROTO_INLINE_MAX_SIZE). */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
const INT_MAX = 2147483647;
const EMPTY = new Uint8Array(0);

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLength: number;
  /** true while the client must still AUTH: Redis then caps request sizes to stop memory abuse. */
  unauthenticated: boolean;
}

/** A protocol error: the client gets `-ERR Protocol error: <message>` and is closed after the reply. */
export class ProtocolError {
  constructor(readonly message: string) {}
}

export type ParseResult = Uint8Array[] | ProtocolError | null;

/**
 * Arguments up to this many bytes are returned as standalone copies, longer ones as
 * views into the input chunk. In JavaScriptCore a view (subarray) costs more than
 * allocating and filling a small array, and a copy is something the keyspace can keep
 * as it is (ownBytes() then has nothing to do). JSC keeps typed arrays of up to 1000
 * elements in its own heap; above that a copy would be a malloc and a memcpy that a
 * value the command does not keep would waste.
 */
export const ARG_COPY_LIMIT = 1000;
/** Up to this many bytes, a JS loop copies faster than Buffer#copy's native call. */
const LOOP_COPY_LIMIT = 48;
/** Header lines are short: scan this far in JS before handing the search to indexOf. */
const HEADER_SCAN = 24;
/** scanLine() results besides the CR index. */
const LINE_INCOMPLETE = -1;
const LINE_TOO_BIG = -2;

export class RequestParser {
  private buffer: Uint8Array = EMPTY;
  private position = 0;
  /** Arguments still expected in the current multibulk request; 0 when between requests. */
  private pendingArgs = 0;
  private argv: Uint8Array[] = [];
  /** A bulk argument being filled across chunks, with how many bytes (incl. CRLF) are in it. */
  private bigArg: Uint8Array | null = null;
  private bigArgFilled = 0;
  /** argv[0] of the last request the fast path read (see commandName). */
  private lastCommandName: Uint8Array = EMPTY;

  /** Bytes received but not yet turned into commands (the query buffer, for limits and CLIENT LIST). */
  get bufferedBytes(): number {
    return this.buffer.length - this.position + this.bigArgFilled;
  }

  /**
   * Adds received bytes. The chunk may be the Buffer Bun hands the data callback: it is
   * used as it is, because reading its `.buffer` (which any view of it needs) costs
   * about 250 ns a chunk; arguments are copied out of it (copyArg) so none is a Buffer.
   */
  feed(chunk: Uint8Array): void {
    if (this.bigArg !== null) {
      // Fill the pre-sized argument buffer first; anything after it is ordinary input.
      const want = this.bigArg.length - this.bigArgFilled;
      const take = Math.min(want, chunk.length);
      this.bigArg.set(chunk.subarray(0, take), this.bigArgFilled);
      this.bigArgFilled += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    const rest = this.buffer.length - this.position;
    if (rest === 0) {
      // Bun hands each data callback a fresh buffer that it never writes again
      // (test/unit/bun-sockets.test.ts checks this), so the chunk is kept as it is.
      this.buffer = chunk;
    } else {
      const merged = new Uint8Array(rest + chunk.length);
      merged.set(this.buffer.subarray(this.position));
      merged.set(chunk, rest);
      this.buffer = merged;
    }
    this.position = 0;
  }

  /** The next complete command, null when more input is needed, or a ProtocolError. */
  next(limits: ParserLimits): ParseResult {
    if (this.pendingArgs === 0 && this.bigArg === null && this.buffer[this.position] === 42 /* '*' */) {
      const argv = this.nextComplete(limits);
      if (argv !== null) return argv;
    }
    return this.nextGeneral(limits);
  }

  /**
   * The fast path: a whole multibulk request already in the buffer, with plain headers
   * (no sign, no leading zero, within every limit). Reads it in one pass and commits only
   * on success; anything else (an incomplete request, an error to report, a large
   * argument) returns null and nextGeneral() parses the request from its start.
   */
  private nextComplete(limits: ParserLimits): Uint8Array[] | null {
    const buffer = this.buffer;
    const length = buffer.length;
    let i = this.position + 1;
    let c = buffer[i]!;
    if (!(c >= 49 && c <= 57)) return null;
    let count = 0;
    const countEnd = i + 9; // under INT_MAX
    while (i < length && i < countEnd && (c = buffer[i]!) >= 48 && c <= 57) {
      count = count * 10 + (c - 48);
      i++;
    }
    if (i + 1 >= length || buffer[i] !== 13) return null;
    if (count > 10 && limits.unauthenticated) return null;
    i += 2;
    const maxBulk = limits.unauthenticated ? Math.min(16384, limits.maxBulkLength) : limits.maxBulkLength;
    const argv: Uint8Array[] = [];
    for (let a = 0; a < count; a++) {
      if (i >= length || buffer[i] !== 36 /* '$' */) return null;
      let j = i + 1;
      c = buffer[j]!;
      let size = 0;
      if (c === 48) {
        j++; // "$0": a zero may only stand alone
      } else {
        if (!(c >= 49 && c <= 57)) return null;
        const sizeEnd = j + 9;
        while (j < length && j < sizeEnd && (c = buffer[j]!) >= 48 && c <= 57) {
          size = size * 10 + (c - 48);
          j++;
        }
      }
      if (j + 1 >= length || buffer[j] !== 13 || size > maxBulk) return null;
      const from = j + 2;
      i = from + size + 2;
      if (i > length) return null;
      if (a === 0) argv.push(this.commandName(buffer, from, size));
      else argv.push(copyArg(buffer, from, size));
    }
    this.position = i;
    return argv;
  }

  /**
   * argv[0] of a request: the previous request's array when the name is the same bytes,
   * which in a pipeline it nearly always is (one allocation fewer per command). Handlers
   * treat argv as read-only, so sharing it between requests is safe.
   */
  private commandName(buffer: Uint8Array, from: number, size: number): Uint8Array {
    const last = this.lastCommandName;
    if (last.length === size) {
      let i = 0;
      while (i < size && last[i] === buffer[from + i]) i++;
      if (i === size) return last;
    }
    const name = copyArg(buffer, from, size);
    if (size <= 32) this.lastCommandName = name;
    return name;
  }

  private nextGeneral(limits: ParserLimits): ParseResult {
    for (;;) {
      if (this.pendingArgs === 0 && this.bigArg === null) {
        if (this.position >= this.buffer.length) {
          this.release();
          return null;
        }
        if (this.buffer[this.position] === 42 /* '*' */) {
          const start = this.position;
          const cr = this.scanLine();
          if (cr === LINE_INCOMPLETE) return null;
          if (cr === LINE_TOO_BIG) return new ProtocolError("too big mbulk count string");
          const count = parseHeaderInteger(this.buffer, start + 1, cr);
          if (count === null || count > INT_MAX) return new ProtocolError("invalid multibulk length");
          if (count > 10 && limits.unauthenticated) return new ProtocolError("unauthenticated multibulk length");
          this.position = cr + 2;
          if (count <= 0) continue; // "*0" and "*-1" are empty requests Redis silently skips
          this.pendingArgs = count;
          this.argv = [];
        } else {
          const inline = this.readInline();
          if (inline === null || inline instanceof ProtocolError) return inline;
          if (inline.length === 0) continue;
          return inline;
        }
      }
      const arg = this.readBulk(limits);
      if (arg === null || arg instanceof ProtocolError) return arg;
      this.argv.push(arg);
      if (--this.pendingArgs === 0) {
        const argv = this.argv;
        this.argv = [];
        return argv;
      }
    }
  }

  private readBulk(limits: ParserLimits): Uint8Array | ProtocolError | null {
    if (this.bigArg !== null) {
      if (this.bigArgFilled < this.bigArg.length) return null;
      const arg = this.bigArg;
      this.bigArg = null;
      this.bigArgFilled = 0;
      // The buffer was sized to include the CRLF; Redis does not check those two bytes either.
      return arg.subarray(0, arg.length - 2);
    }
    const buffer = this.buffer;
    const start = this.position;
    if (start >= buffer.length) return null;
    const marker = buffer[start]!;
    if (marker !== 36 /* '$' */) {
      return new ProtocolError(`expected '$', got '${String.fromCharCode(marker)}'`);
    }
    const cr = this.scanLine();
    if (cr === LINE_INCOMPLETE) return null;
    if (cr === LINE_TOO_BIG) return new ProtocolError("too big bulk count string");
    const length = parseHeaderInteger(buffer, start + 1, cr);
    if (length === null || length < 0 || length > limits.maxBulkLength) return new ProtocolError("invalid bulk length");
    if (length > 16384 && limits.unauthenticated) return new ProtocolError("unauthenticated bulk length");
    const from = cr + 2;
    const available = buffer.length - from;
    if (available >= length + 2) {
      this.position = from + length + 2;
      return copyArg(buffer, from, length);
    }
    if (length >= 32 * 1024) {
      // Large argument: allocate it once and let feed() fill it in place.
      const big = new Uint8Array(length + 2);
      big.set(buffer.subarray(from));
      this.bigArg = big;
      this.bigArgFilled = available;
      this.buffer = EMPTY;
      this.position = 0;
      return null;
    }
    // Wait for more input; the header is parsed again then (it is short).
    return null;
  }

  /**
   * Finds the CR ending the header line at position (the line needs its LF too, or at
   * least one byte after the CR, as Redis's processMultibulkBuffer). Returns the CR's
   * index, LINE_INCOMPLETE, or LINE_TOO_BIG past PROTO_INLINE_MAX_SIZE.
   */
  private scanLine(): number {
    const buffer = this.buffer;
    const start = this.position;
    const length = buffer.length;
    const scanEnd = Math.min(length, start + HEADER_SCAN);
    let cr = -1;
    for (let i = start + 1; i < scanEnd; i++) {
      if (buffer[i] === 13 /* \r */) {
        cr = i;
        break;
      }
    }
    if (cr < 0 && scanEnd < length) cr = buffer.indexOf(13, scanEnd);
    if (cr < 0 || cr + 1 >= length) return length - start > PROTO_INLINE_MAX_SIZE ? LINE_TOO_BIG : LINE_INCOMPLETE;
    if (cr - start > PROTO_INLINE_MAX_SIZE) return LINE_TOO_BIG;
    return cr;
  }

  private readInline(): Uint8Array[] | ProtocolError | null {
    const start = this.position;
    const newline = this.buffer.indexOf(10 /* \n */, start);
    if (newline < 0) {
      if (this.buffer.length - start > PROTO_INLINE_MAX_SIZE) return new ProtocolError("too big inline request");
      return null;
    }
    const buffer = this.buffer;
    let end = newline;
    if (end > start && buffer[end - 1] === 13) end--;
    this.position = newline + 1;
    // Without quotes, sdssplitargs's arguments are the runs of non-space bytes: split
    // them here (PING from redis-benchmark is inline) and leave quoting to splitInlineArgs.
    let quoted = false;
    for (let i = start; i < end; i++) {
      const c = buffer[i];
      if (c === 34 || c === 39) {
        quoted = true;
        break;
      }
    }
    if (!quoted) {
      const args: Uint8Array[] = [];
      let i = start;
      for (;;) {
        while (i < end && isSpace(buffer[i]!)) i++;
        if (i >= end) return args;
        const from = i;
        while (i < end && !isSpace(buffer[i]!)) i++;
        args.push(copyArg(buffer, from, i - from));
      }
    }
    const args = splitInlineArgs(copyArg(buffer, start, end - start));
    if (args === null) return new ProtocolError("unbalanced quotes in request");
    return args;
  }

  private release(): void {
    if (this.buffer.length > 0) {
      this.buffer = EMPTY;
      this.position = 0;
    }
  }
}

const bufferCopy = Buffer.prototype.copy;

/** isspace() in the C locale, as sdssplitargs uses it. */
function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12;
}

/**
 * The argument at buffer[from, from + size): a standalone plain Uint8Array up to
 * ARG_COPY_LIMIT bytes, a plain Uint8Array view beyond (never a Buffer, whose slice()
 * does not copy). Buffer#copy reads the source without a view of it.
 */
function copyArg(buffer: Uint8Array, from: number, size: number): Uint8Array {
  if (size <= LOOP_COPY_LIMIT) {
    const arg = new Uint8Array(size);
    for (let i = 0; i < size; i++) arg[i] = buffer[from + i]!;
    return arg;
  }
  if (size <= ARG_COPY_LIMIT) {
    const arg = new Uint8Array(size);
    bufferCopy.call(buffer, arg, 0, from, from + size);
    return arg;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset + from, size);
}

/** string2ll over buffer[start, end): the strict integer form Redis requires in headers. */
function parseHeaderInteger(buffer: Uint8Array, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let negative = false;
  if (buffer[i] === 45) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buffer[i] === 48 && end - i > 1) return null;
  let value = 0;
  for (; i < end; i++) {
    const c = buffer[i]!;
    if (c < 48 || c > 57) return null;
    value = value * 10 + (c - 48);
  }
  if (value > Number.MAX_SAFE_INTEGER) return null;
  return negative ? -value : value;
}
