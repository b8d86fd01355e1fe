// The reply encoder: RESP2 and RESP3 replies appended to one growable byte buffer
// per client. Commands write here; the connection layer flushes the buffer once per
// batch of input (so a pipeline of 16 commands becomes one socket write).
//
// Text passed to the writer is a "binary string": each char code is one byte. Redis
// messages are ASCII, and user bytes (keys, names) are turned into binary strings with
// bytesToKey, so the bytes on the wire are exactly the bytes the user sent.

import { formatDouble, LongDouble } from "../util/float.ts";

const CRLF_0 = 13;
const CRLF_1 = 10;
const INITIAL_SIZE = 16 * 1024;

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const OK = ascii("+OK\r\n");
const NULL_BULK = ascii("$-1\r\n");
const NULL_ARRAY = ascii("*-1\r\n");
const RESP3_NULL = ascii("_\r\n");
const EMPTY_ARRAY = ascii("*0\r\n");

/** Up to this many bytes a JS loop copies faster than TypedArray#set's native call. */
const LOOP_COPY_LIMIT = 32;

/** Copies `bytes` into `buf` at `pos` (which has room); returns the position after them. */
function copyInto(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (n <= LOOP_COPY_LIMIT) {
    for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  } else buf.set(bytes, pos);
  return pos + n;
}

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the position after them. */
function writeDigits(buf: Uint8Array, pos: number, value: number): number {
  if (value < 10) {
    buf[pos] = 48 + value;
    return pos + 1;
  }
  if (value < 100) {
    // Bulk lengths of keys and short values: no digit-counting loop.
    const tens = (value / 10) | 0;
    buf[pos] = 48 + tens;
    buf[pos + 1] = 48 + value - tens * 10;
    return pos + 2;
  }
  if (value <= 0x7fffffff) {
    // int32 arithmetic: a third of the cost of Math.floor and % on doubles.
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
    let at = pos + digits;
    let rest = value;
    while (at > pos) {
      const quotient = (rest / 10) | 0;
      buf[--at] = 48 + rest - quotient * 10;
      rest = quotient;
    }
    return pos + digits;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let at = pos + digits;
  for (let rest = value; at > pos; rest = Math.floor(rest / 10)) buf[--at] = 48 + (rest % 10);
  return pos + digits;
}

export class ReplyWriter {
  buffer: Uint8Array = new Uint8Array(INITIAL_SIZE);
  length = 0;
  /** 2 or 3, set by HELLO. */
  resp = 2;
  /** Replies are dropped (CLIENT REPLY OFF/SKIP) while this is false. */
  enabled = true;

  /**
   * Redis's CLIENT_PUSHING: pub/sub messages and (un)subscription confirmations reach
   * the client even under CLIENT REPLY OFF|SKIP. Returns what stopPushing restores.
   */
  startPushing(): boolean {
    const wasEnabled = this.enabled;
    this.enabled = true;
    return wasEnabled;
  }

  stopPushing(wasEnabled: boolean): void {
    this.enabled = wasEnabled;
  }

  private ensure(extra: number): void {
    if (this.length + extra > this.buffer.length) this.grow(extra);
  }

  private grow(extra: number): void {
    const needed = this.length + extra;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** Forgets the pending bytes (they were written out), shrinking a buffer a huge reply grew. */
  reset(): void {
    this.length = 0;
    if (this.buffer.length > 1024 * 1024) this.buffer = new Uint8Array(INITIAL_SIZE);
  }

  /** Takes the pending bytes out (the caller owns them) and resets the buffer. */
  take(): Uint8Array {
    const out = this.buffer.slice(0, this.length);
    this.length = 0;
    if (this.buffer.length > 1024 * 1024) this.buffer = new Uint8Array(INITIAL_SIZE);
    return out;
  }

  raw(bytes: Uint8Array): void {
    if (!this.enabled) return;
    const n = bytes.length;
    if (this.length + n > this.buffer.length) this.grow(n);
    this.length = copyInto(this.buffer, this.length, bytes);
  }

  private text(text: string): void {
    const n = text.length;
    this.ensure(n);
    const buf = this.buffer;
    let pos = this.length;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.length = pos;
  }

  private crlf(): void {
    this.ensure(2);
    this.buffer[this.length++] = CRLF_0;
    this.buffer[this.length++] = CRLF_1;
  }

  ok(): void {
    this.raw(OK);
  }

  simple(text: string): void {
    if (!this.enabled) return;
    const n = text.length;
    if (this.length + n + 3 > this.buffer.length) this.grow(n + 3);
    const buf = this.buffer;
    let pos = this.length;
    buf[pos++] = 43; // '+'
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    buf[pos++] = CRLF_0;
    buf[pos++] = CRLF_1;
    this.length = pos;
  }

  /** An error reply; `text` starts with its code (`ERR ...`, `WRONGTYPE ...`). CR/LF become spaces, as Redis does. */
  error(text: string): void {
    if (!this.enabled) return;
    this.text("-" + text.replace(/[\r\n]/g, " "));
    this.crlf();
  }

  integer(value: number | bigint): void {
    if (!this.enabled) return;
    if (typeof value === "number" && Number.isSafeInteger(value)) {
      // ':' sign, up to 16 digits, CRLF
      if (this.length + 20 > this.buffer.length) this.grow(20);
      const buf = this.buffer;
      let pos = this.length;
      buf[pos++] = 58; // ':'
      if (value < 0) {
        buf[pos++] = 45;
        value = -value;
      }
      pos = writeDigits(buf, pos, value);
      buf[pos++] = CRLF_0;
      buf[pos++] = CRLF_1;
      this.length = pos;
      return;
    }
    this.text(":");
    this.text(String(value));
    this.crlf();
  }

  bulk(bytes: Uint8Array): void {
    const at = this.bulkInto(bytes.length);
    if (at >= 0) copyInto(this.buffer, at, bytes);
  }

  /**
   * A bulk reply of `n` bytes that the caller copies into `buffer` at the returned
   * offset right away (the keyspace copies an arena string in, with no view made).
   * Returns -1 when replies are off (CLIENT REPLY OFF/SKIP): then nothing is copied.
   */
  bulkInto(n: number): number {
    if (!this.enabled) return -1;
    if (this.length + n + 21 > this.buffer.length) this.grow(n + 21);
    const buf = this.buffer;
    let pos = this.length;
    buf[pos++] = 36; // '$'
    pos = writeDigits(buf, pos, n);
    buf[pos++] = CRLF_0;
    buf[pos++] = CRLF_1;
    const at = pos;
    pos += n;
    buf[pos++] = CRLF_0;
    buf[pos++] = CRLF_1;
    this.length = pos;
    return at;
  }

  /** The buffer bulkInto's offset refers to (it may have grown). */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  /** A bulk reply of a binary string. */
  bulkText(text: string): void {
    if (!this.enabled) return;
    this.header(36 /* '$' */, text.length);
    this.text(text);
    this.crlf();
  }

  /**
   * A command as a client sends it, a RESP array of bulk strings (Redis's
   * catAppendOnlyGenericCommand): what the AOF and the replication stream carry. One
   * pass with one bounds check: the AOF writes one per effect of every write command.
   */
  command(argv: readonly Uint8Array[]): void {
    if (!this.enabled) return;
    const count = argv.length;
    // '*' or '$', up to 16 digits, CRLF, and the argument's CRLF: 21 bytes at most each.
    let size = 19;
    for (let i = 0; i < count; i++) size += argv[i]!.length + 21;
    if (this.length + size > this.buffer.length) this.grow(size);
    const buf = this.buffer;
    let pos = this.length;
    buf[pos++] = 42; // '*'
    pos = writeDigits(buf, pos, count);
    buf[pos++] = CRLF_0;
    buf[pos++] = CRLF_1;
    for (let i = 0; i < count; i++) {
      const arg = argv[i]!;
      buf[pos++] = 36; // '$'
      pos = writeDigits(buf, pos, arg.length);
      buf[pos++] = CRLF_0;
      buf[pos++] = CRLF_1;
      pos = copyInto(buf, pos, arg);
      buf[pos++] = CRLF_0;
      buf[pos++] = CRLF_1;
    }
    this.length = pos;
  }

  /** `<type><count>\r\n` for a non-negative count (aggregate and bulk headers). */
  private header(type: number, count: number): void {
    if (this.length + 19 > this.buffer.length) this.grow(19);
    const buf = this.buffer;
    let pos = this.length;
    buf[pos++] = type;
    pos = writeDigits(buf, pos, count);
    buf[pos++] = CRLF_0;
    buf[pos++] = CRLF_1;
    this.length = pos;
  }

  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  nullBulk(): void {
    this.raw(this.resp === 3 ? RESP3_NULL : NULL_BULK);
  }

  /** A missing aggregate: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.raw(this.resp === 3 ? RESP3_NULL : NULL_ARRAY);
  }

  arrayHeader(count: number): void {
    if (!this.enabled) return;
    this.header(42 /* '*' */, count);
  }

  emptyArray(): void {
    this.raw(EMPTY_ARRAY);
  }

  /** A map of `pairs` entries: `%n` in RESP3, a flat array of 2n in RESP2. */
  mapHeader(pairs: number): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.header(37 /* '%' */, pairs);
    } else this.arrayHeader(pairs * 2);
  }

  setHeader(count: number): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.header(126 /* '~' */, count);
    } else this.arrayHeader(count);
  }

  pushHeader(count: number): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.header(62 /* '>' */, count);
    } else this.arrayHeader(count);
  }

  /** A double: `,<d>` in RESP3, a bulk string in RESP2 (Redis's %.17g form either way). */
  double(value: number): void {
    if (!this.enabled) return;
    const formatted = formatDouble(value);
    if (this.resp === 3) {
      this.text("," + formatted);
      this.crlf();
    } else this.bulkText(formatted);
  }

  /**
   * addReplyHumanLongDouble: the double as a long double printed "%.17Lf" with the
   * trailing zeros cut (GEOPOS's 13.36138933897018433): a bulk string in RESP2, a
   * RESP3 double with that text in RESP3.
   */
  humanDouble(value: number): void {
    if (!this.enabled) return;
    const formatted = LongDouble.fromNumber(value).toHumanString();
    if (this.resp === 3) {
      this.text("," + formatted);
      this.crlf();
    } else this.bulkText(formatted);
  }

  boolean(value: boolean): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.text(value ? "#t\r\n" : "#f\r\n");
    else this.integer(value ? 1 : 0);
  }

  /** Verbatim text (INFO, CLIENT INFO...): `=len\r\ntxt:...` in RESP3, a bulk string in RESP2. */
  verbatim(text: string, format = "txt"): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.text(`=${text.length + 4}\r\n${format}:`);
      this.text(text);
      this.crlf();
    } else this.bulkText(text);
  }

  /** A big number: `(digits` in RESP3, a bulk string in RESP2 (addReplyBigNum). */
  bigNumber(digits: string): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.text("(" + digits);
      this.crlf();
    } else this.bulkText(digits);
  }

  /** An attribute map of `pairs` entries (RESP3 only: `|n`), which the next reply follows. */
  attributeHeader(pairs: number): void {
    if (!this.enabled) return;
    this.header(124 /* '|' */, pairs);
  }

  /** Redis's "null" for a missing element inside an array (RESP2 `$-1`, RESP3 `_`). */
  nullElement(): void {
    this.nullBulk();
  }
}
