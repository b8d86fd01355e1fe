// Incremental request parser: RESP multibulk and inline commands, as Redis's
// processMultibulkBuffer / processInlineBuffer accept them.
//
// The query buffer. Data arrives in chunks with arbitrary boundaries, and a client
// that is blocked, paused or in the middle of a big request keeps sending while
// nothing is parsed. Whatever the pattern, every received byte is copied a bounded
// number of times (amortised O(bytes), never O(pending bytes) per chunk):
//
//   nothing pending         the chunk Bun handed the data callback becomes the buffer
//                           as it is (no copy: the hot path of a pipelining client)
//   bytes pending, room     the chunk is appended to the spare room of the parser's
//                           own buffer (`owned`), behind the pending bytes
//   bytes pending, no room  the pending bytes move to the front of `owned` when it is
//                           free to reuse and what was parsed from it outweighs them,
//                           otherwise into a new buffer 1.5 times what is needed,
//                           then the chunk is appended
//   a bulk of 32 KB or more the argument gets a buffer of its announced size and the
//                           chunks fill it in place (PROTO_MBULK_BIG_ARG)
//
// Arguments longer than ARG_COPY_LIMIT are views into the buffer they were read from
// (a blocked command keeps them), so `owned` is reused only while no such view of it
// was handed out; a buffer with views is left to them and the garbage collector.
// Unless the caller says the requests parsed so far are done with (feed's
// `argumentsDone`: none blocked, every keeper copied what it kept): then the half-read
// request's views are copied, `owned` is free to reuse, and the buffers the parser
// stops using (a read whose rest moved, an `owned` outgrown or dropped, a read copied
// whole into `owned`) are freed by freeInput() once the read's requests ran, rather
// than left for the collector: a client pipelining 1 KB values cuts nearly every read
// inside a request, and each such read and outgrown `owned` was garbage of about
// 0.5 MB, 80 MB of it for 40 MB of input (docs/memory.md).
//
// A header line is scanned once however it trickles in (lineScanned), so a line cut
// into many chunks is not searched again from its start for every chunk.
//
// Lines end as Redis's strchr over its NUL-terminated query buffer finds their end:
// a NUL byte stops the search as the terminator would, and the request then waits
// for more input until more than PROTO_INLINE_MAX_SIZE bytes are pending ("too big
// inline request" / "too big ... count string"). Redis applies that limit after each
// read(2) of 16 KB or more; here it applies to the line itself, wherever the reads
// fall: a line whose end is more than PROTO_INLINE_MAX_SIZE bytes from its start is
// too big. (Redis accepts such a line of up to about 80 KB when it arrives at once.)

import { splitInlineArgs } from "./inline.ts";
import { sdscatrepr } from "../util/repr.ts";

/** Longest inline request or *<n> / $<n> header line accepted without its end (PROTO_INLINE_MAX_SIZE). */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** A bulk argument at least this long is read into a buffer of its own (PROTO_MBULK_BIG_ARG). */
const PROTO_MBULK_BIG_ARG = 32 * 1024;
const INT_MAX = 2147483647;
const EMPTY = new Uint8Array(0);

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLength: number;
  /** true while the client must still AUTH: Redis then caps request sizes to stop memory abuse. */
  unauthenticated: boolean;
}

/**
 * A protocol error: the client gets `-ERR Protocol error: <message>` and is closed after
 * the reply. `logMessage` is what Redis's setProtocolError logs, which is not always the
 * reply's text ("invalid mbulk count" for "invalid multibulk length").
 */
export class ProtocolError {
  constructor(
    readonly message: string,
    readonly logMessage: string = message,
  ) {}
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
/** Lines are short: scan this far in JS before handing the search to native indexOf. */
const LINE_SCAN = 32;
/** findLineEnd() results besides the terminator's index. */
const LINE_INCOMPLETE = -1;
const LINE_TOO_BIG = -2;
/** The smallest buffer the parser allocates for itself (Redis's PROTO_IOBUF_LEN). */
const QUERY_BUFFER_MIN = 16 * 1024;
/** An own buffer larger than this is not kept for reuse once it has nothing pending. */
const QUERY_BUFFER_KEEP_MAX = 256 * 1024;
/** Redis's PROTO_DUMP_LEN: how much of the query buffer a protocol error's log line shows. */
const PROTO_DUMP_LEN = 128;

export class RequestParser {
  /** The query buffer: the input not parsed yet is [position, length); past length is spare room. */
  private buffer: Uint8Array = EMPTY;
  private length = 0;
  private position = 0;
  /**
   * Where the input of the current read starts: Redis trims the parsed requests off its
   * query buffer once a read is processed, so CLIENT LIST's qbuf counts from here.
   */
  private batchStart = 0;
  /** The parser's own buffer (null until a chunk had to be appended to pending bytes). */
  private owned: Uint8Array | null = null;
  /** An argument view into `owned` was handed out: its bytes may not be overwritten. */
  private ownedShared = false;
  /** `buffer` is a fed chunk whose memory the caller gave up (feed's `disposable`). */
  private bufferDisposable = false;
  /** Buffers the parser no longer reads, for freeInput() to free. */
  private retired: Uint8Array[] = [];
  /** Arguments still expected in the current multibulk request; 0 when between requests. */
  private pendingArgs = 0;
  /** The length the current argument's $ header announced, -1 until it is read (Redis's bulklen). */
  private bulkLength = -1;
  private argv: Uint8Array[] = [];
  /** A bulk argument being filled across chunks, with how many bytes (incl. CRLF) are in it. */
  private bigArg: Uint8Array | null = null;
  private bigArgFilled = 0;
  /** argv[0] of the last request the fast path read (see commandName). */
  private lastCommandName: Uint8Array = EMPTY;
  /** The line starting at lineStart has no end before lineScanned; lineBlocked: a NUL ended the search. */
  private lineStart = -1;
  private lineScanned = 0;
  private lineBlocked = false;

  /** Bytes received but not yet turned into commands: what client-query-buffer-limit is checked against. */
  get bufferedBytes(): number {
    return this.length - this.position + this.bigArgFilled;
  }

  /** Bytes of the arguments read so far of a request still arriving (Redis's argv_len_sum while it reads one). */
  get partialArgvBytes(): number {
    if (this.pendingArgs === 0) return 0;
    let bytes = 0;
    for (let i = 0; i < this.argv.length; i++) bytes += this.argv[i]!.length;
    return bytes;
  }

  /** CLIENT LIST qbuf: the query buffer's length, the requests of the read being processed included. */
  get queryBufferLength(): number {
    return this.length - this.batchStart + this.bigArgFilled;
  }

  /** CLIENT LIST qbuf-free: spare room in the query buffer. */
  get queryBufferFree(): number {
    if (this.bigArg !== null) return this.bigArg.length - this.bigArgFilled;
    return this.buffer.length - this.length;
  }

  /**
   * Adds received bytes. A chunk that starts with no input pending is parsed where it
   * lies (Bun hands each read's bytes in a fresh buffer that it never writes again:
   * test/unit/bun-sockets.test.ts).
   *
   * `disposable`: the chunk's whole ArrayBuffer is the caller's to give up, and
   * freeInput() may free it once the parser is done with it. `argumentsDone`: no
   * argument the parser handed out before this chunk is still in use (no request is
   * blocked; what was kept was copied), so the parser may reuse or free the buffers
   * they point into. Without both, buffers are left to the garbage collector.
   */
  feed(chunk: Uint8Array, disposable = false, argumentsDone = false): void {
    // What the caller did not free after the last read stays for the collector.
    if (this.retired.length !== 0) this.retired.length = 0;
    if (this.bigArg !== null) {
      // Fill the pre-sized argument buffer first; anything after it is ordinary input.
      const want = this.bigArg.length - this.bigArgFilled;
      const take = Math.min(want, chunk.length);
      this.bigArg.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.bigArgFilled);
      this.bigArgFilled += take;
      if (take === chunk.length) {
        if (disposable) this.retired.push(chunk);
        return;
      }
      chunk = chunk.subarray(take);
    }
    const rest = this.length - this.position;
    if (rest === 0) {
      this.buffer = chunk;
      this.bufferDisposable = disposable;
      this.length = chunk.length;
      this.position = 0;
      this.batchStart = 0;
      this.lineStart = -1;
      return;
    }
    const previous = this.buffer;
    const previousDisposable = this.bufferDisposable;
    const previousOwned = this.owned;
    if (argumentsDone) this.ownPendingArguments();
    if (this.buffer === this.owned && this.buffer.length - this.length >= chunk.length) {
      this.buffer.set(chunk, this.length);
      this.length += chunk.length;
    } else {
      this.movePending(rest + chunk.length);
      this.buffer.set(chunk, this.length);
      this.length += chunk.length;
    }
    this.bufferDisposable = false;
    this.batchStart = this.position;
    if (disposable) this.retired.push(chunk);
    if (argumentsDone) {
      if (previousDisposable && previous !== this.buffer) this.retired.push(previous);
      if (previousOwned !== null && previousOwned !== this.owned) this.retired.push(previousOwned);
    }
  }

  /**
   * After a read's requests ran, none of their arguments still in use: frees the memory
   * of the buffers the parser stopped reading (the caller's disposable chunks and its
   * own outgrown buffers) at once, for the next read, rather than at the collector's
   * next pass (ArrayBuffer.prototype.transfer detaches it).
   */
  freeInput(): void {
    const retired = this.retired;
    if (retired.length === 0) return;
    for (let i = 0; i < retired.length; i++) {
      const memory = retired[i]!.buffer as ArrayBuffer;
      if (!memory.detached) memory.transfer(0);
    }
    retired.length = 0;
  }

  /**
   * The half-read request's arguments that are views of the input (longer than
   * ARG_COPY_LIMIT) become copies, so nothing but the caller's finished requests points
   * into `buffer` or `owned` any more; with those done, `owned` may be written over.
   */
  private ownPendingArguments(): void {
    const argv = this.argv;
    if (this.pendingArgs !== 0 && argv.length !== 0) {
      const input = this.buffer.buffer;
      const own = this.owned === null ? null : this.owned.buffer;
      for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        if (arg.length > ARG_COPY_LIMIT && (arg.buffer === input || arg.buffer === own)) argv[i] = arg.slice();
      }
    }
    this.ownedShared = false;
  }

  /** Moves the pending bytes to the front of a buffer with room for `needed` bytes. */
  private movePending(needed: number): void {
    const from = this.position;
    const rest = this.length - from;
    let target = this.owned;
    const reusable =
      target !== null &&
      !this.ownedShared &&
      target.length >= needed &&
      // Moving within the buffer costs the pending bytes: only when more than that was parsed since.
      (target !== this.buffer || from >= rest);
    if (!reusable) {
      target = new Uint8Array(Math.max(QUERY_BUFFER_MIN, needed + (needed >> 1)));
      target.set(this.buffer.subarray(from, this.length));
      this.owned = target;
      this.ownedShared = false;
    } else if (target === this.buffer) {
      target!.copyWithin(0, from, this.length);
    } else {
      target!.set(this.buffer.subarray(from, this.length));
    }
    this.buffer = target!;
    this.position = 0;
    this.length = rest;
    this.batchStart = 0;
    if (this.lineStart === from) {
      this.lineStart = 0;
      this.lineScanned -= from;
    } else this.lineStart = -1;
  }

  /**
   * The end of a read's processing (Redis trims the parsed requests off its query
   * buffer there): qbuf no longer counts them.
   */
  trimProcessed(): void {
    this.batchStart = this.position;
  }

  /**
   * clientsCronResizeQueryBuffer: an idle client's spare buffer is given back (Redis
   * frees the free space of a query buffer idle for more than 2 seconds).
   */
  releaseSpareBuffer(): void {
    if (this.owned !== null && this.buffer !== this.owned) {
      this.owned = null;
      this.ownedShared = false;
    }
  }

  /**
   * The start of the query buffer as the query-buffer-limit log line shows it (Redis's
   * sdscatrepr of its first 64 bytes).
   */
  initialBytes(): string {
    if (this.bigArg !== null) return sdscatrepr("", this.bigArg.subarray(0, Math.min(64, this.bigArgFilled)));
    return sdscatrepr("", this.buffer.subarray(this.position, Math.min(this.length, this.position + 64)));
  }

  /**
   * What Redis's setProtocolError logs of the query buffer: the pending input from the
   * failing line, as C's %s prints it (up to a NUL) in a 256-byte buffer, with every
   * non-printable byte shown as '.'.
   */
  protocolErrorSample(): string {
    const pending = this.buffer.subarray(this.position, this.length);
    const cString = (bytes: Uint8Array) => {
      const nul = bytes.indexOf(0);
      return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString("latin1");
    };
    let text: string;
    if (pending.length < PROTO_DUMP_LEN) text = `Query buffer during protocol error: '${cString(pending)}'`;
    else {
      const half = PROTO_DUMP_LEN / 2;
      text =
        `Query buffer during protocol error: '${cString(pending.subarray(0, half))}' ` +
        `(... more ${pending.length - PROTO_DUMP_LEN} bytes ...) '${cString(pending.subarray(pending.length - half))}'`;
    }
    return text.slice(0, 255).replace(/[^\x20-\x7e]/g, ".");
  }

  /** The next complete command, null when more input is needed, or a ProtocolError. */
  next(limits: ParserLimits): ParseResult {
    if (this.pendingArgs === 0 && this.bigArg === null && this.position < this.length && this.buffer[this.position] === 42 /* '*' */) {
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
    const length = this.length;
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
    let views = false;
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
      if (size > ARG_COPY_LIMIT) views = true;
    }
    this.position = i;
    if (views && buffer === this.owned) this.ownedShared = true;
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

  /** copyArg, noting when a long argument is a view of `owned`, which from then on is never written over. */
  private argAt(from: number, size: number): Uint8Array {
    if (size > ARG_COPY_LIMIT && this.buffer === this.owned) this.ownedShared = true;
    return copyArg(this.buffer, from, size);
  }

  private nextGeneral(limits: ParserLimits): ParseResult {
    for (;;) {
      if (this.pendingArgs === 0 && this.bigArg === null) {
        if (this.position >= this.length) {
          this.release();
          return null;
        }
        if (this.buffer[this.position] === 42 /* '*' */) {
          const start = this.position;
          const cr = this.findLineEnd(13);
          if (cr === LINE_INCOMPLETE) return null;
          if (cr === LINE_TOO_BIG) return new ProtocolError("too big mbulk count string");
          const count = parseHeaderInteger(this.buffer, start + 1, cr);
          if (count === null || count > INT_MAX) return new ProtocolError("invalid multibulk length", "invalid mbulk count");
          if (count > 10 && limits.unauthenticated) return new ProtocolError("unauthenticated multibulk length", "unauth mbulk count");
          this.position = cr + 2;
          if (count <= 0) continue; // "*0" and "*-1" are empty requests Redis silently skips
          this.pendingArgs = count;
          this.bulkLength = -1;
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
    if (this.bulkLength < 0) {
      // Redis looks for the line's end before it looks at its first byte.
      const start = this.position;
      if (start >= this.length) return null;
      const cr = this.findLineEnd(13);
      if (cr === LINE_INCOMPLETE) return null;
      if (cr === LINE_TOO_BIG) return new ProtocolError("too big bulk count string");
      const marker = this.buffer[start]!;
      if (marker !== 36 /* '$' */) {
        return new ProtocolError(`expected '$', got '${String.fromCharCode(marker)}'`, "expected $ but got something else");
      }
      const length = parseHeaderInteger(this.buffer, start + 1, cr);
      if (length === null || length < 0 || length > limits.maxBulkLength) return new ProtocolError("invalid bulk length");
      if (length > 16384 && limits.unauthenticated) return new ProtocolError("unauthenticated bulk length", "unauth bulk length");
      this.position = cr + 2;
      this.bulkLength = length;
    }
    const length = this.bulkLength;
    const from = this.position;
    const available = this.length - from;
    if (available >= length + 2) {
      this.position = from + length + 2;
      this.bulkLength = -1;
      return this.argAt(from, length);
    }
    if (length >= PROTO_MBULK_BIG_ARG) {
      // Large argument: allocate it once and let feed() fill it in place.
      const big = new Uint8Array(length + 2);
      big.set(this.buffer.subarray(from, this.length));
      this.bigArg = big;
      this.bigArgFilled = available;
      this.bulkLength = -1;
      this.position = this.length;
      this.release();
    }
    return null;
  }

  /**
   * Finds the end of the line at position: `terminator` (CR for a header, LF for an
   * inline request), or a NUL, which ends Redis's strchr() as well and leaves the line
   * unfinished for good. A header's CR must have one more byte after it (Redis's
   * processMultibulkBuffer waits for it). Returns the terminator's index,
   * LINE_INCOMPLETE, or LINE_TOO_BIG when the end is not within PROTO_INLINE_MAX_SIZE
   * bytes of the start. The search resumes where the previous one for this line stopped.
   */
  private findLineEnd(terminator: number): number {
    const buffer = this.buffer;
    const start = this.position;
    const length = this.length;
    let from = start;
    if (this.lineStart === start) {
      if (this.lineBlocked) return length - start > PROTO_INLINE_MAX_SIZE ? LINE_TOO_BIG : LINE_INCOMPLETE;
      from = this.lineScanned;
    }
    // The end may lie at start + PROTO_INLINE_MAX_SIZE at the most.
    const searchEnd = Math.min(length, start + PROTO_INLINE_MAX_SIZE + 1);
    let end = -1;
    const scanEnd = Math.min(searchEnd, from + LINE_SCAN);
    for (let i = from; i < scanEnd; i++) {
      const c = buffer[i]!;
      if (c === terminator || c === 0) {
        end = i;
        break;
      }
    }
    if (end < 0 && scanEnd < searchEnd) {
      const rest = buffer.subarray(scanEnd, searchEnd);
      const at = rest.indexOf(terminator);
      const nul = (at < 0 ? rest : rest.subarray(0, at)).indexOf(0);
      if (nul >= 0) end = scanEnd + nul;
      else if (at >= 0) end = scanEnd + at;
    }
    if (end < 0 || buffer[end] === 0) {
      this.lineStart = start;
      this.lineScanned = end < 0 ? searchEnd : end;
      this.lineBlocked = end >= 0;
      return length - start > PROTO_INLINE_MAX_SIZE ? LINE_TOO_BIG : LINE_INCOMPLETE;
    }
    if (terminator === 13 && end + 1 >= length) {
      this.lineStart = start;
      this.lineScanned = end;
      this.lineBlocked = false;
      return LINE_INCOMPLETE;
    }
    return end;
  }

  private readInline(): Uint8Array[] | ProtocolError | null {
    const start = this.position;
    const newline = this.findLineEnd(10 /* \n */);
    if (newline === LINE_INCOMPLETE) return null;
    if (newline === LINE_TOO_BIG) return new ProtocolError("too big inline request");
    const buffer = this.buffer;
    let end = newline;
    if (end > start && buffer[end - 1] === 13) end--;
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
        if (i >= end) {
          this.position = newline + 1;
          return args;
        }
        const from = i;
        while (i < end && !isSpace(buffer[i]!)) i++;
        const size = i - from;
        args.push(this.argAt(from, size));
      }
    }
    // splitInlineArgs copies what it returns: the view it reads is not kept.
    const args = splitInlineArgs(buffer.subarray(start, end));
    if (args === null) return new ProtocolError("unbalanced quotes in request", "unbalanced quotes in inline request");
    this.position = newline + 1;
    return args;
  }

  /**
   * Nothing is pending: drop the buffer (a large own one too), so an idle client holds
   * no input. Both may go to freeInput(), which runs only once the requests that could
   * have views of them are done; a half-read request's views are copied first.
   */
  private release(): void {
    const dropOwned = this.owned !== null && (this.ownedShared || this.owned.length > QUERY_BUFFER_KEEP_MAX);
    if (this.bufferDisposable || dropOwned) {
      if (this.pendingArgs !== 0) this.ownPendingArguments();
      if (this.bufferDisposable) this.retired.push(this.buffer);
      if (dropOwned) this.retired.push(this.owned!);
    }
    this.buffer = EMPTY;
    this.bufferDisposable = false;
    this.length = 0;
    this.position = 0;
    this.batchStart = 0;
    this.lineStart = -1;
    if (dropOwned) {
      this.owned = null;
      this.ownedShared = false;
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
 * does not copy). Buffer#copy reads the source without a view of it. A caller reading
 * from the parser's own buffer notes the views it makes (RequestParser.ownedShared).
 * An argument at the very start of a chunk is copied too: ownBytes keeps a view at
 * offset 0 as it is (it takes it for a large argument assembled in the parser's own
 * buffer), and a chunk's memory is freed once its requests ran.
 */
function copyArg(buffer: Uint8Array, from: number, size: number): Uint8Array {
  if (size <= LOOP_COPY_LIMIT) {
    const arg = new Uint8Array(size);
    for (let i = 0; i < size; i++) arg[i] = buffer[from + i]!;
    return arg;
  }
  if (size <= ARG_COPY_LIMIT || buffer.byteOffset + from === 0) {
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
