// string.format and tonumber as Redis's Lua has them, in place of the VM's own.
//
// The VM is Lua 5.1 compiled for 32-bit WebAssembly, where long and lua_Integer have 32
// bits; Redis's is the same Lua compiled for 64-bit Linux. Two base functions show the
// difference to scripts:
//  - string.format's integer conversions cast the number to `long`:
//    string.format('%d', 2^40) is "1099511627776" in Redis, "-2147483648" in the VM;
//  - tonumber(s, base) parses with strtoul into an `unsigned long`:
//    tonumber('ffffffffff', 16) is 1099511627775 in Redis, 4294967295 in the VM.
// So both are re-implemented here with 64-bit semantics (casts as x86-64 does them, see
// lp64.ts), following Lua 5.1's lstrlib.c and lbaselib.c for everything else: the
// format syntax and its errors, %q's escapes, %s stopping at a NUL byte, %c of 0 adding
// nothing. Floating-point conversions (%e %f %g...) have no 32-bit problem, and the C
// printf is the only exact reference for them (rounding, widths, "-nan"), so they are
// handed to the VM's original string.format one item at a time.
//
// tonumber(s) in base 10 differs too, for another reason: the VM's C library is musl,
// whose strtod takes "0x" for 0 (glibc's, in Redis, refuses it) and reads "-nan" as a
// positive NaN. tonumber answers as glibc would; the VM's own coercions ("0x" + 1) keep
// musl's answer, which this module cannot reach.

import { type LuaState, LUA_TNIL, LUA_TNONE, LUA_TNUMBER, LUA_TSTRING } from "../lua.ts";
import { formatPrintfFixed, isCSpace, parseLuaNumber } from "../../util/float.ts";
import { TWO_POW_64, toCInt, toCIntViaLong, toCLong, toCUnsignedLong } from "./lp64.ts";
import { ByteOutput } from "./byte-output.ts";
import { checkNumberLayout, checkString, pushNumberWords, raiseWithPositionBytes, stringAt, stringView } from "./lua-raw.ts";

export function openLuaOverrides(lua: LuaState): void {
  checkNumberLayout(lua);
  openStringFormat(lua);
  openToNumber(lua);
}

const PERCENT = 0x25;
const DOT = 0x2e;
/** How many flag characters ("-+ #0", repeats counted) a conversion may have. */
const MAX_FLAGS = 5;
/** Lua 5.1 formats a %s argument of this length or more without a precision verbatim. */
const LONG_STRING = 100;

const FLAG_MINUS = 1;
const FLAG_PLUS = 2;
const FLAG_SPACE = 4;
const FLAG_HASH = 8;
const FLAG_ZERO = 16;

function flagBit(byte: number): number {
  switch (byte) {
    case 0x2d:
      return FLAG_MINUS;
    case 0x2b:
      return FLAG_PLUS;
    case 0x20:
      return FLAG_SPACE;
    case 0x23:
      return FLAG_HASH;
    case 0x30:
      return FLAG_ZERO;
    default:
      return 0;
  }
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

const SPACE = 0x20;
const ZERO = 0x30;

/**
 * printf's integer conversions: `digits` is the magnitude, `sign` "-", "+", " " or "",
 * `prefix` the "0x"/"0X" of %#x, `leadingZero` %#o's demand that the first digit be a 0.
 */
function addInteger(output: ByteOutput, digits: string, sign: string, prefix: string, flags: number, width: number, precision: number, leadingZero = false): void {
  if (precision >= 0) {
    // An explicit precision is a minimum number of digits, and 0 prints nothing for 0.
    if (precision === 0 && digits === "0") digits = "";
    else if (digits.length < precision) digits = "0".repeat(precision - digits.length) + digits;
  }
  if (leadingZero && digits.charCodeAt(0) !== ZERO) digits = "0" + digits;
  const length = sign.length + prefix.length + digits.length;
  const padding = width - length;
  if (padding > 0 && (flags & FLAG_MINUS) === 0) {
    if ((flags & FLAG_ZERO) !== 0 && precision < 0) {
      output.text(sign);
      output.text(prefix);
      output.repeat(ZERO, padding);
      output.text(digits);
      return;
    }
    output.repeat(SPACE, padding);
  }
  output.text(sign);
  output.text(prefix);
  output.text(digits);
  if (padding > 0 && (flags & FLAG_MINUS) !== 0) output.repeat(SPACE, padding);
}

/** source[start, end) padded to `width` with spaces, as printf's %s and %c do (the 0 flag is ignored). */
function addPadded(output: ByteOutput, source: Uint8Array, start: number, end: number, flags: number, width: number): void {
  const padding = width - (end - start);
  if (padding > 0 && (flags & FLAG_MINUS) === 0) output.repeat(SPACE, padding);
  output.copyFrom(source, start, end);
  if (padding > 0 && (flags & FLAG_MINUS) !== 0) output.repeat(SPACE, padding);
}

/**
 * printf's %f for the common case, without the trip to the C printf: a finite number
 * below 1e21, whose digits formatPrintfFixed writes (the exact value, ties to even);
 * this adds the flags and the width. Returns false when the C printf must do it.
 */
function addFixed(output: ByteOutput, n: number, flags: number, width: number, precision: number): boolean {
  const magnitude = Math.abs(n);
  if (!(magnitude < 1e21)) return false;
  if (precision < 0) precision = 6;
  let digits = formatPrintfFixed(magnitude, precision);
  if (precision === 0 && (flags & FLAG_HASH) !== 0) digits += ".";
  // The sign of -0 and of negatives that round to zero is printed too.
  const sign = n < 0 || Object.is(n, -0) ? "-" : (flags & FLAG_PLUS) !== 0 ? "+" : (flags & FLAG_SPACE) !== 0 ? " " : "";
  const padding = width - sign.length - digits.length;
  if (padding > 0 && (flags & FLAG_MINUS) === 0) {
    if ((flags & FLAG_ZERO) !== 0) {
      output.text(sign);
      output.repeat(ZERO, padding);
      output.text(digits);
      return true;
    }
    output.repeat(SPACE, padding);
  }
  output.text(sign);
  output.text(digits);
  if (padding > 0 && (flags & FLAG_MINUS) !== 0) output.repeat(SPACE, padding);
  return true;
}

const unsignedWords = new Uint32Array(2);

/** The digits of `(unsigned long)n` in `radix`. */
function unsignedDigits(n: number, radix: number): string {
  if (n >= 0 && n < Number.MAX_SAFE_INTEGER) return Math.trunc(n).toString(radix);
  toCUnsignedLong(n, unsignedWords);
  return ((BigInt(unsignedWords[1]!) << 32n) | BigInt(unsignedWords[0]!)).toString(radix);
}

/** The digits of the magnitude of `value`, an integer from toCLong. */
function signedMagnitude(value: number): string {
  const magnitude = Math.abs(value);
  return magnitude <= Number.MAX_SAFE_INTEGER ? String(magnitude) : BigInt(magnitude).toString();
}

const oneByte = new Uint8Array(1);

function openStringFormat(lua: LuaState): void {
  const M = lua.module;
  lua.getGlobal("string");
  lua.getField(-1, "format");
  // The VM's own string.format, kept to format floating-point items.
  const cFormat = lua.ref();
  const output = new ByteOutput();

  /** Appends the item `spec` (a "%...f" at [start, end) of the VM's memory) applied to argument `arg` by the C printf. */
  const addFloat = (L: number, start: number, end: number, arg: number): void => {
    lua.pushRef(cFormat, L);
    M._lua_pushlstring(L, start, end - start);
    lua.pushValue(arg, L);
    M._lua_call(L, 2, 1);
    const address = stringAt(lua, L, -1);
    output.copyFrom(M.HEAPU8, address, address + stringView.length);
    lua.pop(1, L);
  };

  /** %q: the string in double quotes, escaped so that Lua reads it back. */
  const addQuoted = (L: number, arg: number): void => {
    const start = checkString(lua, L, arg);
    const end = start + stringView.length;
    const heap = M.HEAPU8;
    output.byte(0x22);
    for (let i = start; i < end; i++) {
      const byte = heap[i]!;
      switch (byte) {
        case 0x22: // "
        case 0x5c: // backslash
        case 0x0a: // newline
          output.byte(0x5c);
          output.byte(byte);
          break;
        case 0x0d:
          output.text("\\r");
          break;
        case 0x00:
          output.text("\\000");
          break;
        default:
          output.byte(byte);
      }
    }
    output.byte(0x22);
  };

  const format = (L: number): number => {
    const top = lua.top(L);
    // The template is read in place. Like every Lua string it is followed by a NUL, which
    // ends a conversion cut short exactly as it does in C.
    const template = checkString(lua, L, 1);
    const end = template + stringView.length;
    // Fetched again after each argument conversion, which may grow the memory.
    let heap = M.HEAPU8;
    output.length = 0;
    let arg = 1;
    let i = template;
    while (i < end) {
      const byte = heap[i++]!;
      if (byte !== PERCENT) {
        output.byte(byte);
        continue;
      }
      if (heap[i] === PERCENT) {
        output.byte(PERCENT);
        i++;
        continue;
      }
      // A conversion: its argument must exist before its syntax is even looked at.
      if (++arg > top) lua.argumentError(arg, "no value", L);
      const specStart = i;
      let flags = 0;
      for (let flag = flagBit(heap[i]!); flag !== 0; flag = flagBit(heap[++i]!)) flags |= flag;
      if (i - specStart > MAX_FLAGS) lua.raiseWithPosition("invalid format (repeated flags)", L);
      let width = 0;
      if (isDigit(heap[i]!)) width = heap[i++]! - 0x30;
      if (isDigit(heap[i]!)) width = width * 10 + heap[i++]! - 0x30;
      let precision = -1;
      if (heap[i] === DOT) {
        i++;
        precision = 0;
        if (isDigit(heap[i]!)) precision = heap[i++]! - 0x30;
        if (isDigit(heap[i]!)) precision = precision * 10 + heap[i++]! - 0x30;
      }
      if (isDigit(heap[i]!)) lua.raiseWithPosition("invalid format (width or precision too long)", L);
      const conversion = heap[i++]!;
      switch (conversion) {
        case 0x64: // d
        case 0x69: {
          // i
          const value = toCLong(lua.checkNumber(arg, L));
          const sign = value < 0 ? "-" : (flags & FLAG_PLUS) !== 0 ? "+" : (flags & FLAG_SPACE) !== 0 ? " " : "";
          addInteger(output, signedMagnitude(value), sign, "", flags, width, precision);
          break;
        }
        case 0x75: // u
          addInteger(output, unsignedDigits(lua.checkNumber(arg, L), 10), "", "", flags, width, precision);
          break;
        case 0x6f: {
          // o: %#o makes the first digit a 0 (so 0 with precision 0 still prints "0").
          const digits = unsignedDigits(lua.checkNumber(arg, L), 8);
          addInteger(output, digits, "", "", flags, width, precision, (flags & FLAG_HASH) !== 0);
          break;
        }
        case 0x78: // x
        case 0x58: {
          // X
          let digits = unsignedDigits(lua.checkNumber(arg, L), 16);
          if (conversion === 0x58) digits = digits.toUpperCase();
          const prefix = (flags & FLAG_HASH) !== 0 && digits !== "0" ? (conversion === 0x58 ? "0X" : "0x") : "";
          addInteger(output, digits, "", prefix, flags, width, precision);
          break;
        }
        case 0x63: {
          // c: (int)n printed as a char; sprintf's result is then cut at its first NUL.
          oneByte[0] = toCInt(lua.checkNumber(arg, L)) & 0xff;
          if (oneByte[0] === 0) {
            if ((flags & FLAG_MINUS) === 0) output.repeat(SPACE, width - 1);
          } else {
            addPadded(output, oneByte, 0, 1, flags, width);
          }
          break;
        }
        case 0x66: {
          // f
          const n = lua.checkNumber(arg, L);
          if (!addFixed(output, n, flags, width, precision)) addFloat(L, specStart - 1, i, arg);
          break;
        }
        case 0x65: // e
        case 0x45: // E
        case 0x67: // g
        case 0x47: // G
          lua.checkNumber(arg, L); // the error, with this function's name and position
          addFloat(L, specStart - 1, i, arg);
          break;
        case 0x71: // q
          addQuoted(L, arg);
          break;
        case 0x73: {
          // s
          const start = checkString(lua, L, arg);
          const length = stringView.length;
          heap = M.HEAPU8;
          if (precision < 0 && length >= LONG_STRING) {
            output.copyFrom(heap, start, start + length);
            break;
          }
          // printf reads a C string: up to the first NUL, then at most `precision` bytes.
          let stop = start;
          const limit = start + (precision >= 0 && precision < length ? precision : length);
          while (stop < limit && heap[stop] !== 0) stop++;
          addPadded(output, heap, start, stop, flags, width);
          break;
        }
        default: {
          // "%c" of lua_pushfstring stops at a NUL, so a missing conversion shows as nothing.
          const message = [...INVALID_OPTION_PREFIX, ...(conversion === 0 ? [] : [conversion]), ...INVALID_OPTION_SUFFIX];
          raiseWithPositionBytes(lua, L, new Uint8Array(message));
        }
      }
      heap = M.HEAPU8;
    }
    output.push(lua, L);
    return 1;
  };

  lua.setFunctionField("format", format);
  lua.pop(1);
}

const INVALID_OPTION_PREFIX = new TextEncoder().encode("invalid option '%");
const INVALID_OPTION_SUFFIX = new TextEncoder().encode("' to 'format'");

/** The value of an ASCII digit or letter as a digit (letters are 10..35), or 36. */
function digitValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x7a) return lower - 0x61 + 10;
  return 36;
}

const ULONG_MAX = (1n << 64n) - 1n;

/**
 * glibc's strtoul with a 64-bit unsigned long, then the check luaB_tonumber makes: the
 * number in `base` of the C string at bytes[start, end) (it ends at a NUL if it has one),
 * or null when no digit was read or something other than white space follows the digits.
 */
function parseUnsignedLong(bytes: Uint8Array, start: number, end: number, base: number): number | null {
  let i = start;
  while (i < end && bytes[i] !== 0) i++;
  end = i;
  i = start;
  while (i < end && isCSpace(bytes[i]!)) i++;
  let negative = false;
  if (i < end && (bytes[i] === 0x2d || bytes[i] === 0x2b)) negative = bytes[i++] === 0x2d;
  // "0x" before base-16 digits. Without digits after it strtoul stops at the "x",
  // which is not white space, so the answer is nil either way.
  if (base === 16 && i + 1 < end && bytes[i] === 0x30 && (bytes[i + 1]! | 0x20) === 0x78) i += 2;
  const firstDigit = i;
  // Exact in a double while below 2^53; a BigInt takes over beyond.
  let value = 0;
  let big: bigint | null = null;
  let overflow = false;
  for (; i < end; i++) {
    const digit = digitValue(bytes[i]!);
    if (digit >= base) break;
    if (big === null) {
      const next = value * base + digit;
      if (next <= Number.MAX_SAFE_INTEGER) {
        value = next;
        continue;
      }
      big = BigInt(value);
    }
    if (!overflow) {
      big = big * BigInt(base) + BigInt(digit);
      if (big > ULONG_MAX) overflow = true;
    }
  }
  if (i === firstDigit) return null;
  while (i < end && isCSpace(bytes[i]!)) i++;
  if (i < end) return null;
  if (overflow) return Number(ULONG_MAX);
  if (big === null) return negative && value !== 0 ? TWO_POW_64 - value : value;
  // strtoul negates in unsigned arithmetic: "-1" is 2^64 - 1.
  return Number(negative ? (-big) & ULONG_MAX : big);
}

/** Whether the first byte after leading white space is a minus sign (the sign strtod gives a NaN). */
function startsWithMinus(text: Uint8Array): boolean {
  let i = 0;
  while (i < text.length && isCSpace(text[i]!)) i++;
  return text[i] === 0x2d;
}

function openToNumber(lua: LuaState): void {
  const tonumber = (L: number): number => {
    const baseType = lua.type(2, L);
    const base = baseType === LUA_TNONE || baseType === LUA_TNIL ? 10 : toCIntViaLong(lua.checkNumber(2, L));
    if (base === 10) {
      const type = lua.type(1, L);
      if (type === LUA_TNONE) lua.checkAny(1, L); // raises "value expected"
      if (type === LUA_TNUMBER) {
        lua.pushValue(1, L);
        return 1;
      }
      // The VM reads strings with musl's strtod, which agrees with glibc's except that it
      // takes "0x" for 0 and drops the sign of "-nan". So its answer stands unless it is
      // 0 (which is also its answer for "not a number") or NaN.
      const n = lua.toNumber(1, L);
      if (n !== 0 && n === n) {
        lua.pushNumber(n, L);
        return 1;
      }
      const value = type === LUA_TSTRING ? parseLuaNumber(lua.toBytes(1, L)!) : null;
      if (value === null) lua.pushNil(L);
      else if (value === value) lua.pushNumber(value, L);
      else pushNumberWords(lua, L, 0, startsWithMinus(lua.toBytes(1, L)!) ? 0xfff80000 : 0x7ff80000);
      return 1;
    }
    const text = checkString(lua, L, 1);
    if (base < 2 || base > 36) lua.argumentError(2, "base out of range", L);
    const value = parseUnsignedLong(lua.module.HEAPU8, text, text + stringView.length, base);
    if (value === null) lua.pushNil(L);
    else lua.pushNumber(value, L);
    return 1;
  };
  lua.pushFunction(tonumber);
  lua.setGlobal("tonumber");
}
