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

export class RequestParser {
  private buffer: Uint8Array = EMPTY;
  private position = 0;
  /** Arguments still expected in the current multibulk request; 0 when between requests. */
  private pendingArgs = 0;
  private argv: Uint8Array[] = [];
  /** A bulk argument being filled across chunks, with how many bytes (incl. CRLF) are in it. */
  private bigArg: Uint8Array | null = null;
  private bigArgFilled = 0;

  /** Bytes received but not yet turned into commands (the query buffer, for limits and CLIENT LIST). */
  get bufferedBytes(): number {
    return this.buffer.length - this.position + this.bigArgFilled;
  }

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
    for (;;) {
      if (this.pendingArgs === 0 && this.bigArg === null) {
        if (this.position >= this.buffer.length) {
          this.release();
          return null;
        }
        if (this.buffer[this.position] === 42 /* '*' */) {
          const header = this.readHeaderLine("too big mbulk count string");
          if (header === null || header instanceof ProtocolError) return header;
          const count = parseHeaderInteger(this.buffer, header.start + 1, header.end);
          if (count === null || count > INT_MAX) return new ProtocolError("invalid multibulk length");
          if (count > 10 && limits.unauthenticated) return new ProtocolError("unauthenticated multibulk length");
          this.position = header.next;
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
    if (this.position >= this.buffer.length) return null;
    const marker = this.buffer[this.position]!;
    if (marker !== 36 /* '$' */) {
      return new ProtocolError(`expected '$', got '${String.fromCharCode(marker)}'`);
    }
    const header = this.readHeaderLine("too big bulk count string");
    if (header === null || header instanceof ProtocolError) return header;
    const length = parseHeaderInteger(this.buffer, header.start + 1, header.end);
    if (length === null || length < 0 || length > limits.maxBulkLength) return new ProtocolError("invalid bulk length");
    if (length > 16384 && limits.unauthenticated) return new ProtocolError("unauthenticated bulk length");
    this.position = header.next;
    const available = this.buffer.length - this.position;
    if (available >= length + 2) {
      const arg = this.buffer.subarray(this.position, this.position + length);
      this.position += length + 2;
      return arg;
    }
    if (length >= 32 * 1024) {
      // Large argument: allocate it once and let feed() fill it in place.
      const big = new Uint8Array(length + 2);
      big.set(this.buffer.subarray(this.position));
      this.bigArg = big;
      this.bigArgFilled = available;
      this.buffer = EMPTY;
      this.position = 0;
      return null;
    }
    // Wait for more input; rewind so the header is parsed again then (it is short).
    this.position = header.start;
    return null;
  }

  /** Finds the CRLF-terminated header line at position; null if incomplete. */
  private readHeaderLine(tooBig: string): { start: number; end: number; next: number } | ProtocolError | null {
    const start = this.position;
    const newline = this.buffer.indexOf(13 /* \r */, start);
    if (newline < 0 || newline + 1 >= this.buffer.length) {
      if (this.buffer.length - start > PROTO_INLINE_MAX_SIZE) return new ProtocolError(tooBig);
      return null;
    }
    if (newline - start > PROTO_INLINE_MAX_SIZE) return new ProtocolError(tooBig);
    return { start, end: newline, next: newline + 2 };
  }

  private readInline(): Uint8Array[] | ProtocolError | null {
    const start = this.position;
    const newline = this.buffer.indexOf(10 /* \n */, start);
    if (newline < 0) {
      if (this.buffer.length - start > PROTO_INLINE_MAX_SIZE) return new ProtocolError("too big inline request");
      return null;
    }
    let end = newline;
    if (end > start && this.buffer[end - 1] === 13) end--;
    this.position = newline + 1;
    const args = splitInlineArgs(this.buffer.subarray(start, end));
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
