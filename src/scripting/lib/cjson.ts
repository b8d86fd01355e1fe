// The `cjson` library scripts see: Lua CJSON 2.1.0 as Redis 7.0 embeds it
// (deps/lua/src/lua_cjson.c, with strbuf.c and fpconv.c), re-implemented as C functions
// in TypeScript. Scripts compare its output byte for byte (BullMQ stores what
// cjson.encode gives), so this follows the C code's behaviour, quirks included:
//
// Encoding
// - Tables are walked with lua_next, so object members come out in the VM's own
//   iteration order, as in Redis. A table is an array when every key is an integer >= 1,
//   unless it is "excessively sparse" (see arrayLength); an empty table is "{}".
// - Numbers, keys included, are printf "%.<precision>g" (14 by default); NaN and
//   infinities are refused, or written as "nan"/"inf" or "null", per
//   encode_invalid_numbers.
// - Strings are escaped byte by byte: control characters, '"', '\', '/' and DEL.
//   Bytes >= 0x80 pass untouched: nothing checks that the text is UTF-8.
// Decoding
// - The text is read as C reads it, NUL-terminated: a NUL byte ends the document.
// - Numbers go through glibc strtod, so with decode_invalid_numbers (on by default)
//   "+1", "01", "0x10", "inf" and "nan" are numbers as well.
// - null decodes to cjson.null, the NULL light userdata.
// Both ways, errors carry the C texts and positions ("Expected value but found invalid
// token at character 1"), and tables are built and traversed on the real Lua stack,
// with lua_checkstack called where the C code calls it, so deep nesting fails at the
// same depth as in Redis even when a script raises the depth limits.
//
// Each cjson table (the global, and each one cjson.new() returns) has its own settings.
// As in C they live in a userdata that is upvalue 1 of the table's functions, so they
// go when the table goes. Bytes are built in buffers reused from call to call.

import {
  LUA_TBOOLEAN,
  LUA_TLIGHTUSERDATA,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_OK,
  LuaState,
  luaUpvalueIndex,
  type LuaCFunction,
} from "../lua.ts";
import { formatDoubleG, strtodPrefix, type StrtodResult } from "../../util/float.ts";

const CJSON_NAME = "cjson";
const CJSON_VERSION = "2.1.0";

/** Slots of the settings userdata (C ints). The order is this file's own. */
const enum Setting {
  EncodeSparseConvert,
  EncodeSparseRatio,
  EncodeSparseSafe,
  EncodeMaxDepth,
  /** 0: refuse NaN and inf; 1: write them ("nan", "inf", "-inf"); 2: write "null". */
  EncodeInvalidNumbers,
  EncodeNumberPrecision,
  EncodeKeepBuffer,
  DecodeInvalidNumbers,
  DecodeMaxDepth,
  Count,
}

const DEFAULT_SETTINGS: Record<Exclude<Setting, Setting.Count>, number> = {
  [Setting.EncodeSparseConvert]: 0,
  [Setting.EncodeSparseRatio]: 2,
  [Setting.EncodeSparseSafe]: 10,
  [Setting.EncodeMaxDepth]: 1000,
  [Setting.EncodeInvalidNumbers]: 0,
  [Setting.EncodeNumberPrecision]: 14,
  [Setting.EncodeKeepBuffer]: 1,
  [Setting.DecodeInvalidNumbers]: 1,
  [Setting.DecodeMaxDepth]: 1000,
};

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** 10^n for n = 0..15: integers below 10^precision are written digit by digit. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

/** lua_typename, for the "Cannot serialise <type>" errors. */
const TYPE_NAMES = ["nil", "boolean", "userdata", "number", "string", "table", "function", "userdata", "thread"];

/**
 * `(int)luaL_checkinteger(...)` on x86-64, as Redis's C code computes it: the double is
 * truncated to a 64-bit lua_Integer (cvttsd2si: NaN and anything out of range give
 * INT64_MIN) and then cut to its low 32 bits. So 2^32 + 5 is 5 and 2^64 is 0. (The wasm
 * VM's own lua_Integer is 32 bits, hence not luaL_checkinteger.)
 */
function toCInt(d: number): number {
  const truncated = Math.trunc(d);
  if (truncated >= INT_MIN && truncated <= INT_MAX) return truncated | 0;
  if (!(Math.abs(truncated) < 2 ** 63)) return 0;
  return Number(BigInt.asIntN(32, BigInt(truncated)));
}

// ---- encoding --------------------------------------------------------------------

/** For each byte, its escape in a JSON string (6 bytes a slot), and the escape's length (0: as is). */
const ESCAPE_LENGTH = new Uint8Array(256);
const ESCAPE_BYTES = new Uint8Array(256 * 6);
{
  const setEscape = (byte: number, text: string): void => {
    ESCAPE_LENGTH[byte] = text.length;
    for (let i = 0; i < text.length; i++) ESCAPE_BYTES[byte * 6 + i] = text.charCodeAt(i);
  };
  for (let byte = 0; byte < 0x20; byte++) setEscape(byte, "\\u" + byte.toString(16).padStart(4, "0"));
  setEscape(0x08, "\\b");
  setEscape(0x09, "\\t");
  setEscape(0x0a, "\\n");
  setEscape(0x0c, "\\f");
  setEscape(0x0d, "\\r");
  setEscape(0x22, '\\"');
  setEscape(0x2f, "\\/");
  setEscape(0x5c, "\\\\");
  setEscape(0x7f, "\\u007f");
}

/** The length of bytes [from, from + length) of `text` once escaped. */
function escapedLength(text: Uint8Array, from: number, length: number): number {
  let escaped = length;
  for (let i = from; i < from + length; i++) {
    const escapeLength = ESCAPE_LENGTH[text[i]!]!;
    if (escapeLength !== 0) escaped += escapeLength - 1;
  }
  return escaped;
}

/** Strings longer than this get their escaped length counted before they are written. */
const LONG_STRING = 1 << 16;

/** A buffer that large is dropped after the call rather than kept for the next one. */
const RETAINED_BUFFER_LIMIT = 1 << 20;
const INITIAL_BUFFER_SIZE = 1024;

/** One cjson.encode call's state: the output buffer (kept between calls) and the settings. */
class JsonEncoder {
  private out = new Uint8Array(INITIAL_BUFFER_SIZE);
  private length = 0;
  private sparseConvert = 0;
  private sparseRatio = 0;
  private sparseSafe = 0;
  private maxDepth = 0;
  private invalidNumbers = 0;
  private precision = 14;

  constructor(private readonly lua: LuaState) {}

  /** Encodes the value on top of the stack of `L` and pushes the JSON text. */
  encode(L: number, settings: Int32Array, base: number): void {
    this.sparseConvert = settings[base + Setting.EncodeSparseConvert]!;
    this.sparseRatio = settings[base + Setting.EncodeSparseRatio]!;
    this.sparseSafe = settings[base + Setting.EncodeSparseSafe]!;
    this.maxDepth = settings[base + Setting.EncodeMaxDepth]!;
    this.invalidNumbers = settings[base + Setting.EncodeInvalidNumbers]!;
    this.precision = settings[base + Setting.EncodeNumberPrecision]!;
    this.length = 0;
    this.appendValue(L, 0);
    this.lua.pushByteRange(this.out, 0, this.length, L);
  }

  /** Lets go of a large buffer, or of any buffer when encode_keep_buffer is off. */
  release(keepBuffer: boolean): void {
    if (!keepBuffer || this.out.length > RETAINED_BUFFER_LIMIT) this.out = new Uint8Array(INITIAL_BUFFER_SIZE);
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.out.length) return;
    const grown = new Uint8Array(Math.max(needed, this.out.length * 2));
    grown.set(this.out.subarray(0, this.length));
    this.out = grown;
  }

  private appendAscii(text: string): void {
    this.ensure(text.length);
    const out = this.out;
    let at = this.length;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.length = at;
  }

  private appendByte(byte: number): void {
    if (this.length === this.out.length) this.ensure(1);
    this.out[this.length++] = byte;
  }

  private fail(L: number, typeName: string, reason: string): never {
    return this.lua.raiseWithPosition(`Cannot serialise ${typeName}: ${reason}`, L);
  }

  /** The value on top of the stack, at `depth` tables deep. */
  private appendValue(L: number, depth: number): void {
    const lua = this.lua;
    const type = lua.type(-1, L);
    switch (type) {
      case LUA_TSTRING:
        this.appendString(L, -1);
        return;
      case LUA_TNUMBER:
        this.appendNumber(L, -1);
        return;
      case LUA_TBOOLEAN:
        this.appendAscii(lua.toBoolean(-1, L) ? "true" : "false");
        return;
      case LUA_TTABLE: {
        depth++;
        // Three free slots: a key, a value and an error message.
        if (depth > this.maxDepth || !lua.checkStack(3, L)) {
          lua.raiseWithPosition(`Cannot serialise, excessive nesting (${depth})`, L);
        }
        const arrayLength = this.arrayLength(L);
        if (arrayLength > 0) this.appendArray(L, depth, arrayLength);
        else this.appendObject(L, depth);
        return;
      }
      case LUA_TNIL:
        this.appendAscii("null");
        return;
      case LUA_TLIGHTUSERDATA:
        // cjson.null; no other light userdata can reach a script.
        if (lua.toUserdata(-1, L) === 0) {
          this.appendAscii("null");
          return;
        }
        return this.fail(L, TYPE_NAMES[type]!, "type not supported");
      default:
        return this.fail(L, TYPE_NAMES[type]!, "type not supported");
    }
  }

  /**
   * The length to encode the table on top of the stack as an array, or -1 for an
   * object: -1 when a key is not an integer >= 1; for an array, its largest key. A
   * table whose largest key exceeds both `ratio` times its key count and `safe` is
   * "excessively sparse": an error, or an object when sparse conversion is on.
   *
   * The C code keeps the largest key in an int: a key of 2^31 or more converts to
   * INT_MIN (x86's cvttsd2si), which later keys compare above. So {[2^40] = 1} is an
   * object and a table with keys 2^40 and 1 is an array of length 1 when lua_next
   * gives 2^40 first. Reproduced as is.
   */
  private arrayLength(L: number): number {
    const lua = this.lua;
    let max = 0;
    let items = 0;
    lua.pushNil(L);
    while (lua.next(-2, L)) {
      if (lua.type(-2, L) === LUA_TNUMBER) {
        const key = lua.toNumber(-2, L);
        if (key >= 1 && Math.floor(key) === key) {
          if (key > max) max = key <= INT_MAX ? key : INT_MIN;
          items = (items + 1) | 0;
          lua.pop(1, L);
          continue;
        }
      }
      lua.pop(2, L);
      return -1;
    }
    if (this.sparseRatio > 0 && max > Math.imul(items, this.sparseRatio) && max > this.sparseSafe) {
      if (this.sparseConvert === 0) this.fail(L, "table", "excessively sparse array");
      return -1;
    }
    return max;
  }

  private appendArray(L: number, depth: number, length: number): void {
    const lua = this.lua;
    this.appendByte(0x5b /* [ */);
    for (let i = 1; i <= length; i++) {
      if (i > 1) this.appendByte(0x2c /* , */);
      lua.rawGetI(-1, i, L);
      this.appendValue(L, depth);
      lua.pop(1, L);
    }
    this.appendByte(0x5d /* ] */);
  }

  private appendObject(L: number, depth: number): void {
    const lua = this.lua;
    this.appendByte(0x7b /* { */);
    lua.pushNil(L);
    let first = true;
    while (lua.next(-2, L)) {
      if (!first) this.appendByte(0x2c /* , */);
      first = false;
      const keyType = lua.type(-2, L);
      if (keyType === LUA_TNUMBER) {
        this.appendByte(0x22 /* " */);
        this.appendNumber(L, -2);
        this.appendAscii('":');
      } else if (keyType === LUA_TSTRING) {
        this.appendString(L, -2);
        this.appendByte(0x3a /* : */);
      } else {
        this.fail(L, TYPE_NAMES[keyType]!, "table key must be a number or string");
      }
      this.appendValue(L, depth);
      lua.pop(1, L);
    }
    this.appendByte(0x7d /* } */);
  }

  private appendNumber(L: number, index: number): void {
    const value = this.lua.toNumber(index, L);
    if (value - value !== 0) {
      // NaN or an infinity.
      if (this.invalidNumbers === 0) this.fail(L, "number", "must not be NaN or Inf");
      if (this.invalidNumbers === 2) return this.appendAscii("null");
      // The C code writes "nan" itself: printf would say "-nan" for a negative one.
      if (value !== value) return this.appendAscii("nan");
    }
    // Integers of at most `precision` digits print as themselves: the usual case.
    const magnitude = value < 0 ? -value : value;
    if (Number.isInteger(magnitude) && magnitude < POWERS_OF_TEN[this.precision]! && !(value === 0 && 1 / value < 0)) {
      return this.appendInteger(value < 0, magnitude);
    }
    this.appendAscii(formatDoubleG(value, this.precision));
  }

  /** Writes an integer below 10^14 (division by 10 stays exact in a double there). */
  private appendInteger(negative: boolean, magnitude: number): void {
    let digits = 1;
    while (digits < 15 && magnitude >= POWERS_OF_TEN[digits]!) digits++;
    this.ensure(digits + 1);
    const out = this.out;
    let at = this.length;
    if (negative) out[at++] = 0x2d /* - */;
    const end = at + digits;
    for (let i = end - 1; i >= at; i--) {
      const quotient = Math.floor(magnitude / 10);
      out[i] = 0x30 + (magnitude - quotient * 10);
      magnitude = quotient;
    }
    this.length = end;
  }

  private appendString(L: number, index: number): void {
    const lua = this.lua;
    const address = lua.toAddress(index, L);
    const length = lua.lastLength;
    const text = lua.heap;
    // Room for the worst case, every byte a 6-byte \u escape; counted exactly for a long
    // string rather than reserving six times its size.
    this.ensure(length <= LONG_STRING ? length * 6 + 2 : escapedLength(text, address, length) + 2);
    const out = this.out;
    let at = this.length;
    out[at++] = 0x22;
    for (let i = address; i < address + length; i++) {
      const byte = text[i]!;
      const escapeLength = ESCAPE_LENGTH[byte]!;
      if (escapeLength === 0) {
        out[at++] = byte;
      } else {
        const from = byte * 6;
        for (let j = 0; j < escapeLength; j++) out[at++] = ESCAPE_BYTES[from + j]!;
      }
    }
    out[at++] = 0x22;
    this.length = at;
  }
}

// ---- decoding --------------------------------------------------------------------

/** The C library's token types; their names appear in error messages. */
const enum Token {
  ObjectBegin,
  ObjectEnd,
  ArrayBegin,
  ArrayEnd,
  String,
  Number,
  Boolean,
  Null,
  Colon,
  Comma,
  End,
  Whitespace,
  Error,
  Unknown,
}

const TOKEN_NAMES = [
  "T_OBJ_BEGIN",
  "T_OBJ_END",
  "T_ARR_BEGIN",
  "T_ARR_END",
  "T_STRING",
  "T_NUMBER",
  "T_BOOLEAN",
  "T_NULL",
  "T_COLON",
  "T_COMMA",
  "T_END",
  "T_WHITESPACE",
  "T_ERROR",
  "T_UNKNOWN",
];

/** The token a byte starts: single-character tokens, or Unknown where more must be read. */
const BYTE_TOKEN = new Uint8Array(256).fill(Token.Error);
{
  BYTE_TOKEN[0x7b /* { */] = Token.ObjectBegin;
  BYTE_TOKEN[0x7d /* } */] = Token.ObjectEnd;
  BYTE_TOKEN[0x5b /* [ */] = Token.ArrayBegin;
  BYTE_TOKEN[0x5d /* ] */] = Token.ArrayEnd;
  BYTE_TOKEN[0x2c /* , */] = Token.Comma;
  BYTE_TOKEN[0x3a /* : */] = Token.Colon;
  BYTE_TOKEN[0] = Token.End;
  for (const space of " \t\n\r") BYTE_TOKEN[space.charCodeAt(0)] = Token.Whitespace;
  // Literals (false, true, null), inf/nan, strings and numbers.
  for (const start of 'fiInNt"+-0123456789') BYTE_TOKEN[start.charCodeAt(0)] = Token.Unknown;
}

/** The byte an escape letter stands for ('u': a \uXXXX escape), 0 for an invalid escape. */
const ESCAPED_BYTE = new Uint8Array(256);
{
  const escapes: Record<string, number> = { '"': 0x22, "\\": 0x5c, "/": 0x2f, b: 0x08, t: 0x09, n: 0x0a, f: 0x0c, r: 0x0d, u: 0x75 };
  for (const [letter, byte] of Object.entries(escapes)) ESCAPED_BYTE[letter.charCodeAt(0)] = byte;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function hexDigitValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * One cjson.decode call's state: the text (copied, with a NUL after it as C sees it), the
 * position, the current token and a buffer for strings with escapes. Kept between calls.
 */
class JsonDecoder {
  private text = new Uint8Array(INITIAL_BUFFER_SIZE);
  private textLength = 0;
  private position = 0;
  private depth = 0;
  private invalidNumbers = 1;
  private maxDepth = 1000;

  private tokenType = Token.End;
  /** Where the token starts (or where the error is), from 0. */
  private tokenIndex = 0;
  private tokenError = "";
  private tokenNumber = 0;
  /** A NaN read with a leading '-': strtod gives -NaN, which Lua prints "-nan". */
  private tokenNegativeNaN = false;
  private tokenBoolean = false;
  /** A string token is bytes [tokenFrom, tokenTo) of `text`, or of `unescaped` when it had escapes. */
  private tokenBytes: Uint8Array = this.text;
  private tokenFrom = 0;
  private tokenTo = 0;
  private unescaped = new Uint8Array(INITIAL_BUFFER_SIZE);
  private readonly number: StrtodResult = { value: 0, end: 0 };

  constructor(
    private readonly lua: LuaState,
    /** Pushes a NaN with the sign bit set (JS cannot carry one into the VM). */
    private readonly pushNegativeNaN: (L: number) => void,
  ) {}

  /** Decodes the `length` bytes at `address` in the VM's memory and pushes the value. */
  decode(L: number, address: number, length: number, settings: Int32Array, base: number): void {
    this.invalidNumbers = settings[base + Setting.DecodeInvalidNumbers]!;
    this.maxDepth = settings[base + Setting.DecodeMaxDepth]!;
    // A copy: building the result allocates in the VM, which can move its memory.
    if (this.text.length < length + 1) this.text = new Uint8Array(length + 1);
    this.text.set(this.lua.heap.subarray(address, address + length));
    this.text[length] = 0;
    this.textLength = length;
    this.position = 0;
    this.depth = 0;

    // Only the first character is sure to be ASCII, but a NUL among the first two means
    // UTF-16 or UTF-32 text.
    if (length >= 2 && (this.text[0] === 0 || this.text[1] === 0)) {
      this.lua.raiseWithPosition("JSON parser does not support UTF-16 or UTF-32", L);
    }
    this.nextToken();
    this.processValue(L);
    if (this.nextToken() !== Token.End) this.parseError(L, "the end");
  }

  /** Lets go of buffers grown for a large document. */
  release(): void {
    if (this.text.length > RETAINED_BUFFER_LIMIT) this.text = new Uint8Array(INITIAL_BUFFER_SIZE);
    if (this.unescaped.length > RETAINED_BUFFER_LIMIT) this.unescaped = new Uint8Array(INITIAL_BUFFER_SIZE);
    this.tokenBytes = this.text;
  }

  private parseError(L: number, expected: string): never {
    const found = this.tokenType === Token.Error ? this.tokenError : TOKEN_NAMES[this.tokenType]!;
    return this.lua.raiseWithPosition(`Expected ${expected} but found ${found} at character ${this.tokenIndex + 1}`, L);
  }

  /** Enters an object or array, which needs `slots` free stack slots. */
  private descend(L: number, slots: number): void {
    this.depth++;
    if (this.depth <= this.maxDepth && this.lua.checkStack(slots, L)) return;
    this.lua.raiseWithPosition(`Found too many nested data structures (${this.depth}) at character ${this.position}`, L);
  }

  /** Pushes the value the current token starts (reading on for objects and arrays). */
  private processValue(L: number): void {
    const lua = this.lua;
    switch (this.tokenType) {
      case Token.String:
        lua.pushByteRange(this.tokenBytes, this.tokenFrom, this.tokenTo, L);
        return;
      case Token.Number:
        if (this.tokenNegativeNaN) this.pushNegativeNaN(L);
        else lua.pushNumber(this.tokenNumber, L);
        return;
      case Token.Boolean:
        lua.pushBoolean(this.tokenBoolean, L);
        return;
      case Token.ObjectBegin:
        return this.parseObject(L);
      case Token.ArrayBegin:
        return this.parseArray(L);
      case Token.Null:
        // A table cannot hold nil: JSON null is the NULL light userdata, cjson.null.
        lua.pushLightUserdata(0, L);
        return;
      default:
        return this.parseError(L, "value");
    }
  }

  private parseObject(L: number): void {
    const lua = this.lua;
    // The table, a key and a value.
    this.descend(L, 3);
    lua.newTable(0, 0, L);
    let token = this.nextToken();
    if (token === Token.ObjectEnd) {
      this.depth--;
      return;
    }
    for (;;) {
      if (token !== Token.String) this.parseError(L, "object key string");
      lua.pushByteRange(this.tokenBytes, this.tokenFrom, this.tokenTo, L);
      if (this.nextToken() !== Token.Colon) this.parseError(L, "colon");
      this.nextToken();
      this.processValue(L);
      lua.rawSet(-3, L);
      token = this.nextToken();
      if (token === Token.ObjectEnd) {
        this.depth--;
        return;
      }
      if (token !== Token.Comma) this.parseError(L, "comma or object end");
      token = this.nextToken();
    }
  }

  private parseArray(L: number): void {
    const lua = this.lua;
    // The table and a value.
    this.descend(L, 2);
    lua.newTable(0, 0, L);
    if (this.nextToken() === Token.ArrayEnd) {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.processValue(L);
      lua.rawSetI(-2, i, L);
      const token = this.nextToken();
      if (token === Token.ArrayEnd) {
        this.depth--;
        return;
      }
      if (token !== Token.Comma) this.parseError(L, "comma or array end");
      this.nextToken();
    }
  }

  private setTokenError(message: string): void {
    this.tokenType = Token.Error;
    this.tokenIndex = this.position;
    this.tokenError = message;
  }

  /** Reads the next token and returns its type; an error token leaves the position at the error. */
  private nextToken(): Token {
    this.readToken();
    return this.tokenType;
  }

  private readToken(): void {
    const text = this.text;
    let byte = text[this.position]!;
    let type = BYTE_TOKEN[byte]!;
    while (type === Token.Whitespace) {
      byte = text[++this.position]!;
      type = BYTE_TOKEN[byte]!;
    }
    this.tokenIndex = this.position;
    if (type === Token.Error) return this.setTokenError("invalid token");
    if (type === Token.End) {
      this.tokenType = Token.End;
      return;
    }
    if (type !== Token.Unknown) {
      this.tokenType = type;
      this.position++;
      return;
    }
    if (byte === 0x22 /* " */) return this.readString();
    if (byte === 0x2d /* - */ || isDigit(byte)) {
      if (this.invalidNumbers === 0 && this.isInvalidNumber()) return this.setTokenError("invalid number");
      return this.readNumber();
    }
    if (this.matches("true", false)) {
      this.tokenType = Token.Boolean;
      this.tokenBoolean = true;
      this.position += 4;
      return;
    }
    if (this.matches("false", false)) {
      this.tokenType = Token.Boolean;
      this.tokenBoolean = false;
      this.position += 5;
      return;
    }
    if (this.matches("null", false)) {
      this.tokenType = Token.Null;
      this.position += 4;
      return;
    }
    // With decode_invalid_numbers on, "+...", "inf..." and "nan..." go to strtod; any
    // other word starting with these letters is an invalid token, not an invalid number.
    if (this.invalidNumbers !== 0 && this.isInvalidNumber()) return this.readNumber();
    this.setTokenError("invalid token");
  }

  /** Whether `word` is at the position (strncmp, or strncasecmp for a lower-case word). */
  private matches(word: string, ignoreCase: boolean, at = this.position): boolean {
    const text = this.text;
    for (let i = 0; i < word.length; i++) {
      const byte = text[at + i]!;
      // A mismatch, the NUL at the end included, stops before reading past it.
      if ((ignoreCase ? byte | 0x20 : byte) !== word.charCodeAt(i)) return false;
    }
    return true;
  }

  /**
   * Whether the number here is one strtod reads but strict JSON forbids: a leading '+',
   * hex, a leading zero, inf or nan. Other malformed numbers are left to strtod.
   */
  private isInvalidNumber(): boolean {
    const text = this.text;
    let at = this.position;
    if (text[at] === 0x2b /* + */) return true;
    if (text[at] === 0x2d /* - */) at++;
    const first = text[at]!;
    if (first === 0x30 /* 0 */) {
      const second = text[at + 1]!;
      return (second | 0x20) === 0x78 /* x */ || isDigit(second);
    }
    // The C code compares a signed char: bytes >= 0x80 count as "ordinary" too.
    if (first <= 0x39 || first >= 0x80) return false;
    return this.matches("inf", true, at) || this.matches("nan", true, at);
  }

  private readNumber(): void {
    const text = this.text;
    const start = this.position;
    this.tokenNegativeNaN = false;
    // Plain integers (the usual case) directly; anything else through strtod.
    let at = start;
    const negative = text[at] === 0x2d;
    if (negative) at++;
    const digitsStart = at;
    let value = 0;
    while (isDigit(text[at]!)) value = value * 10 + (text[at++]! - 0x30);
    const next = text[at]! | 0x20;
    if (at > digitsStart && at - digitsStart <= 15 && next !== 0x2e /* . */ && next !== 0x65 /* e */ && next !== 0x78 /* x */) {
      this.tokenType = Token.Number;
      this.tokenNumber = negative ? -value : value;
      this.position = at;
      return;
    }
    const number = strtodPrefix(text, start, this.textLength, this.number);
    if (number.end === start) return this.setTokenError("invalid number");
    this.tokenType = Token.Number;
    this.tokenNumber = number.value;
    this.tokenNegativeNaN = number.value !== number.value && negative;
    this.position = number.end;
  }

  private readString(): void {
    const text = this.text;
    const start = ++this.position;
    // Without escapes the token is a slice of the text.
    let at = start;
    let byte = text[at]!;
    while (byte !== 0x22 && byte !== 0x5c && byte !== 0) byte = text[++at]!;
    if (byte === 0x22) {
      this.tokenType = Token.String;
      this.tokenBytes = text;
      this.tokenFrom = start;
      this.tokenTo = at;
      this.position = at + 1;
      return;
    }
    // An unescaped string is never longer than the rest of the text.
    if (this.unescaped.length < this.textLength) this.unescaped = new Uint8Array(this.textLength);
    const out = this.unescaped;
    let length = 0;
    for (let i = start; i < at; i++) out[length++] = text[i]!;
    this.position = at;
    for (;;) {
      byte = text[this.position]!;
      if (byte === 0x22) break;
      if (byte === 0) return this.setTokenError("unexpected end of string");
      if (byte === 0x5c /* \ */) {
        const escaped = ESCAPED_BYTE[text[this.position + 1]!]!;
        if (escaped === 0x75 /* u */) {
          const written = this.readUnicodeEscape(out, length);
          if (written === 0) return this.setTokenError("invalid unicode escape code");
          length += written;
          continue;
        }
        if (escaped === 0) return this.setTokenError("invalid escape code");
        this.position++;
        byte = escaped;
      }
      out[length++] = byte;
      this.position++;
    }
    this.position++;
    this.tokenType = Token.String;
    this.tokenBytes = out;
    this.tokenFrom = 0;
    this.tokenTo = length;
  }

  private readHex4(at: number): number {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      // Stops at the first non-hex byte, so never reads past the closing NUL.
      const digit = hexDigitValue(this.text[at + i]!);
      if (digit < 0) return -1;
      value = (value << 4) | digit;
    }
    return value;
  }

  /**
   * Reads the \uXXXX escape here (a UTF-16 surrogate pair being two of them) and writes
   * its code point as UTF-8 into `out` at `at`. Returns the bytes written, 0 when invalid.
   */
  private readUnicodeEscape(out: Uint8Array, at: number): number {
    const text = this.text;
    const position = this.position;
    let codePoint = this.readHex4(position + 2);
    if (codePoint < 0) return 0;
    let escapeLength = 6;
    if ((codePoint & 0xf800) === 0xd800) {
      // A surrogate: it must be a high one, followed by an escaped low one.
      if (codePoint & 0x400) return 0;
      if (text[position + 6] !== 0x5c || text[position + 7] !== 0x75) return 0;
      const low = this.readHex4(position + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return 0;
      codePoint = (((codePoint & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      escapeLength = 12;
    }
    let written: number;
    if (codePoint <= 0x7f) {
      out[at] = codePoint;
      written = 1;
    } else if (codePoint <= 0x7ff) {
      out[at] = 0xc0 | (codePoint >> 6);
      out[at + 1] = 0x80 | (codePoint & 0x3f);
      written = 2;
    } else if (codePoint <= 0xffff) {
      out[at] = 0xe0 | (codePoint >> 12);
      out[at + 1] = 0x80 | ((codePoint >> 6) & 0x3f);
      out[at + 2] = 0x80 | (codePoint & 0x3f);
      written = 3;
    } else {
      out[at] = 0xf0 | (codePoint >> 18);
      out[at + 1] = 0x80 | ((codePoint >> 12) & 0x3f);
      out[at + 2] = 0x80 | ((codePoint >> 6) & 0x3f);
      out[at + 3] = 0x80 | (codePoint & 0x3f);
      written = 4;
    }
    this.position = position + escapeLength;
    return written;
  }
}

// ---- the library -----------------------------------------------------------------

/** Settings as luaL_checkoption names them. */
const ON_OFF = ["off", "on"] as const;
const INVALID_NUMBER_OPTIONS = ["off", "on", "null"] as const;

/** The upvalue every cjson function finds its table's settings in. */
const SETTINGS_UPVALUE = luaUpvalueIndex(1);

/**
 * The library for one Lua state: its C functions, registered once and shared by every
 * cjson table of the state, each table's closures carrying that table's settings.
 */
class CjsonLibrary {
  private readonly functions: Array<[string, number]>;
  /**
   * The encoder and decoder for the next call, null while one is in use: a Lua finalizer
   * run by the VM's allocator mid-call could call cjson again, and gets fresh ones.
   */
  private idleEncoder: JsonEncoder | null;
  private idleDecoder: JsonDecoder | null;
  private readonly negativeNaNRef: number;

  constructor(private readonly lua: LuaState) {
    this.idleEncoder = new JsonEncoder(lua);
    this.negativeNaNRef = this.makeNegativeNaN();
    this.idleDecoder = this.newDecoder();
    const entries: Array<[string, LuaCFunction]> = [
      ["encode", (L) => this.encode(L)],
      ["decode", (L) => this.decode(L)],
      ["encode_sparse_array", (L) => this.encodeSparseArray(L)],
      ["encode_max_depth", (L) => this.integerSetting(L, Setting.EncodeMaxDepth, 1, INT_MAX)],
      ["decode_max_depth", (L) => this.integerSetting(L, Setting.DecodeMaxDepth, 1, INT_MAX)],
      ["encode_number_precision", (L) => this.integerSetting(L, Setting.EncodeNumberPrecision, 1, 14)],
      ["encode_keep_buffer", (L) => this.enumSetting(L, Setting.EncodeKeepBuffer, ON_OFF)],
      ["encode_invalid_numbers", (L) => this.enumSetting(L, Setting.EncodeInvalidNumbers, INVALID_NUMBER_OPTIONS)],
      ["decode_invalid_numbers", (L) => this.enumSetting(L, Setting.DecodeInvalidNumbers, ON_OFF)],
      [
        "new",
        (L) => {
          this.pushModule(L);
          return 1;
        },
      ],
    ];
    this.functions = entries.map(([name, fn]) => [name, lua.functionPointer(fn)]);
  }

  /**
   * Pushes a new cjson table with default settings, its fields set in the C library's
   * order (which decides the order `pairs(cjson)` lists them in).
   */
  pushModule(L: number): void {
    const lua = this.lua;
    lua.newTable(0, 0, L);
    const settings = lua.newUserdata(Setting.Count * 4, L) >> 2;
    const heap = lua.module.HEAP32;
    for (const [slot, value] of Object.entries(DEFAULT_SETTINGS)) heap[settings + Number(slot)] = value;
    for (const [name, pointer] of this.functions) {
      lua.pushValue(-1, L);
      lua.pushClosure(pointer, 1, L);
      lua.setField(-3, name, L);
    }
    lua.pop(1, L);
    lua.pushLightUserdata(0, L);
    lua.setField(-2, "null", L);
    lua.pushString(CJSON_NAME, L);
    lua.setField(-2, "_NAME", L);
    lua.pushString(CJSON_VERSION, L);
    lua.setField(-2, "_VERSION", L);
  }

  /**
   * Where the running function's settings start in HEAP32 (an index, not an address).
   * The userdata does not move, but HEAP32 itself is replaced when the VM's memory
   * grows: read `lua.module.HEAP32` afresh after anything that allocates.
   */
  private settingsBase(L: number): number {
    return this.lua.toUserdata(SETTINGS_UPVALUE, L) >> 2;
  }

  private encode(L: number): number {
    const lua = this.lua;
    if (lua.top(L) !== 1) lua.argumentError(1, "expected 1 argument", L);
    const base = this.settingsBase(L);
    const encoder = this.idleEncoder ?? new JsonEncoder(lua);
    this.idleEncoder = null;
    try {
      encoder.encode(L, lua.module.HEAP32, base);
    } finally {
      encoder.release(lua.module.HEAP32[base + Setting.EncodeKeepBuffer] !== 0);
      this.idleEncoder = encoder;
    }
    return 1;
  }

  private decode(L: number): number {
    const lua = this.lua;
    if (lua.top(L) !== 1) lua.argumentError(1, "expected 1 argument", L);
    const base = this.settingsBase(L);
    const address = lua.checkAddress(1, L);
    const decoder = this.idleDecoder ?? this.newDecoder();
    this.idleDecoder = null;
    try {
      decoder.decode(L, address, lua.lastLength, lua.module.HEAP32, base);
    } finally {
      decoder.release();
      this.idleDecoder = decoder;
    }
    return 1;
  }

  private newDecoder(): JsonDecoder {
    return new JsonDecoder(this.lua, (L) => this.lua.pushRef(this.negativeNaNRef, L));
  }

  /**
   * A NaN with its sign bit set, kept in the registry. strtod gives one for "-nan" and
   * Lua prints it "-nan"; a NaN passed in from JS arrives positive, so the VM negates one.
   */
  private makeNegativeNaN(): number {
    const lua = this.lua;
    const status = lua.load(new TextEncoder().encode("return -(...)"), "=cjson");
    if (status !== LUA_OK) throw new Error("cjson: cannot compile the NaN helper");
    lua.pushString("nan");
    if (lua.pcall(1, 1) !== LUA_OK) throw new Error("cjson: cannot make a negative NaN");
    return lua.ref();
  }

  /** json_arg_init: at most `count` arguments, padded with nils to `count`. */
  private checkArguments(L: number, count: number): void {
    const lua = this.lua;
    if (lua.top(L) > count) lua.argumentError(count + 1, "found too many arguments", L);
    while (lua.top(L) < count) lua.pushNil(L);
  }

  /** cjson.encode_sparse_array([convert[, ratio[, safe]]]): sets what is given, returns all three. */
  private encodeSparseArray(L: number): number {
    this.checkArguments(L, 3);
    const base = this.settingsBase(L);
    this.enumOption(L, 1, base, Setting.EncodeSparseConvert, ON_OFF);
    this.integerOption(L, 2, base, Setting.EncodeSparseRatio, 0, INT_MAX);
    this.integerOption(L, 3, base, Setting.EncodeSparseSafe, 0, INT_MAX);
    return 3;
  }

  private integerSetting(L: number, setting: Setting, min: number, max: number): number {
    this.checkArguments(L, 1);
    this.integerOption(L, 1, this.settingsBase(L), setting, min, max);
    return 1;
  }

  private enumSetting(L: number, setting: Setting, options: readonly string[]): number {
    this.checkArguments(L, 1);
    this.enumOption(L, 1, this.settingsBase(L), setting, options);
    return 1;
  }

  /**
   * Sets an integer setting from argument `position` unless it is nil, and pushes the
   * setting. The range error names argument #1 whatever the position, as in C.
   */
  private integerOption(L: number, position: number, base: number, setting: Setting, min: number, max: number): void {
    const lua = this.lua;
    if (lua.type(position, L) !== LUA_TNIL) {
      const value = toCInt(lua.checkNumber(position, L));
      if (!(min <= value && value <= max)) lua.argumentError(1, `expected integer between ${min} and ${max}`, L);
      lua.module.HEAP32[base + setting] = value;
    }
    lua.pushNumber(lua.module.HEAP32[base + setting]!, L);
  }

  /**
   * Sets an option from argument `position` unless it is nil (a boolean, or one of
   * `options` by name), and pushes it: a boolean for off/on, else its name.
   */
  private enumOption(L: number, position: number, base: number, setting: Setting, options: readonly string[]): void {
    const lua = this.lua;
    const type = lua.type(position, L);
    if (type !== LUA_TNIL) {
      const value = type === LUA_TBOOLEAN ? (lua.toBoolean(position, L) ? 1 : 0) : lua.checkOption(position, options, L);
      lua.module.HEAP32[base + setting] = value;
    }
    const value = lua.module.HEAP32[base + setting]!;
    if (value === 0 || value === 1) lua.pushBoolean(value === 1, L);
    else lua.pushString(options[value]!, L);
  }
}

/** Creates the global `cjson`, as Redis's scripting engine does when it opens its libraries. */
export function openCjson(lua: LuaState): void {
  new CjsonLibrary(lua).pushModule(lua.L);
  lua.setGlobal("cjson");
}
