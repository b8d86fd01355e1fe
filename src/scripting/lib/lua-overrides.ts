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
import { isCSpace, parseLuaNumber } from "../../util/float.ts";
import { TWO_POW_64, toCInt, toCIntViaLong, toCLong, toCUnsignedLong } from "./lp64.ts";
import { checkNumberLayout, pushNumberWords, raiseWithPositionBytes } from "./lua-raw.ts";

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

/** A growable byte buffer, kept between calls. */
class Output {
  bytes = new Uint8Array(256);
  length = 0;

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  append(source: Uint8Array): void {
    this.reserve(source.length);
    this.bytes.set(source, this.length);
    this.length += source.length;
  }

  /** ASCII text (digits, signs, padding). */
  text(value: string): void {
    this.reserve(value.length);
    for (let i = 0; i < value.length; i++) this.bytes[this.length++] = value.charCodeAt(i);
  }

  repeat(value: number, count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    this.bytes.fill(value, this.length, this.length + count);
    this.length += count;
  }
}

const SPACE = 0x20;
const ZERO = 0x30;

/**
 * printf's integer conversions: `digits` is the magnitude, `sign` "-", "+", " " or "",
 * `prefix` the "0x"/"0X" of %#x, `leadingZero` %#o's demand that the first digit be a 0.
 */
function addInteger(output: Output, digits: string, sign: string, prefix: string, flags: number, width: number, precision: number, leadingZero = false): void {
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

/** Pads `bytes` to `width` with spaces, as printf's %s and %c do (the 0 flag is ignored). */
function addPadded(output: Output, bytes: Uint8Array, flags: number, width: number): void {
  const padding = width - bytes.length;
  if (padding > 0 && (flags & FLAG_MINUS) === 0) output.repeat(SPACE, padding);
  output.append(bytes);
  if (padding > 0 && (flags & FLAG_MINUS) !== 0) output.repeat(SPACE, padding);
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
  lua.getGlobal("string");
  lua.getField(-1, "format");
  // The VM's own string.format, kept to format floating-point items.
  const cFormat = lua.ref();
  const output = new Output();

  /** Appends `spec` (a "%...f" item) applied to argument `arg` by the C printf. */
  const addFloat = (L: number, spec: Uint8Array, arg: number): void => {
    lua.pushRef(cFormat, L);
    lua.pushBytes(spec, L);
    lua.pushValue(arg, L);
    lua.module._lua_call(L, 2, 1);
    const address = lua.module._lua_tolstring(L, -1, 0);
    output.append(lua.heap.subarray(address, address + lua.length(-1, L)));
    lua.pop(1, L);
  };

  /** %q: the string in double quotes, escaped so that Lua reads it back. */
  const addQuoted = (L: number, arg: number): void => {
    const text = lua.checkBytes(arg, L);
    output.byte(0x22);
    for (let i = 0; i < text.length; i++) {
      const byte = text[i]!;
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
    const template = lua.checkBytes(1, L);
    const end = template.length;
    /** The byte at `at`, or the NUL that ends every Lua string. */
    const at = (index: number): number => (index < end ? template[index]! : 0);
    output.length = 0;
    let arg = 1;
    let i = 0;
    while (i < end) {
      const percent = template.indexOf(PERCENT, i);
      if (percent < 0) {
        output.append(template.subarray(i));
        break;
      }
      if (percent > i) output.append(template.subarray(i, percent));
      i = percent + 1;
      if (at(i) === PERCENT) {
        output.byte(PERCENT);
        i++;
        continue;
      }
      // A conversion: its argument must exist before its syntax is even looked at.
      if (++arg > top) lua.argumentError(arg, "no value", L);
      const specStart = i;
      let flags = 0;
      while (flagBit(at(i)) !== 0) flags |= flagBit(template[i++]!);
      if (i - specStart >= MAX_FLAGS + 1) lua.raiseWithPosition("invalid format (repeated flags)", L);
      let width = 0;
      if (isDigit(at(i))) width = template[i++]! - 0x30;
      if (isDigit(at(i))) width = width * 10 + template[i++]! - 0x30;
      let precision = -1;
      if (at(i) === DOT) {
        i++;
        precision = 0;
        if (isDigit(at(i))) precision = template[i++]! - 0x30;
        if (isDigit(at(i))) precision = precision * 10 + template[i++]! - 0x30;
      }
      if (isDigit(at(i))) lua.raiseWithPosition("invalid format (width or precision too long)", L);
      const conversion = at(i++);
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
            addPadded(output, oneByte, flags, width);
          }
          break;
        }
        case 0x65: // e
        case 0x45: // E
        case 0x66: // f
        case 0x67: // g
        case 0x47: // G
          lua.checkNumber(arg, L); // the error, with this function's name and position
          addFloat(L, template.subarray(specStart - 1, i), arg);
          break;
        case 0x71: // q
          addQuoted(L, arg);
          break;
        case 0x73: {
          // s
          const text = lua.checkBytes(arg, L);
          if (precision < 0 && text.length >= LONG_STRING) {
            output.append(text);
            break;
          }
          // printf reads a C string: up to the first NUL, then at most `precision` bytes.
          const nul = text.indexOf(0);
          let length = nul < 0 ? text.length : nul;
          if (precision >= 0 && precision < length) length = precision;
          addPadded(output, text.subarray(0, length), flags, width);
          break;
        }
        default: {
          // "%c" of lua_pushfstring stops at a NUL, so a missing conversion shows as nothing.
          const message = [...INVALID_OPTION_PREFIX, ...(conversion === 0 ? [] : [conversion]), ...INVALID_OPTION_SUFFIX];
          raiseWithPositionBytes(lua, L, new Uint8Array(message));
        }
      }
    }
    lua.pushBytes(output.bytes.subarray(0, output.length), L);
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
 * number of `text` (a C string: it ends at a NUL) in `base`, or null when no digit was
 * read or something other than white space follows the digits.
 */
function parseUnsignedLong(text: Uint8Array, base: number): number | null {
  const nul = text.indexOf(0);
  const end = nul < 0 ? text.length : nul;
  let i = 0;
  while (i < end && isCSpace(text[i]!)) i++;
  let negative = false;
  if (i < end && (text[i] === 0x2d || text[i] === 0x2b)) negative = text[i++] === 0x2d;
  // "0x" before base-16 digits. Without digits after it strtoul stops at the "x",
  // which is not white space, so the answer is nil either way.
  if (base === 16 && i + 1 < end && text[i] === 0x30 && (text[i + 1]! | 0x20) === 0x78) i += 2;
  const firstDigit = i;
  // Exact in a double while below 2^53; a BigInt takes over beyond.
  let value = 0;
  let big: bigint | null = null;
  let overflow = false;
  for (; i < end; i++) {
    const digit = digitValue(text[i]!);
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
  while (i < end && isCSpace(text[i]!)) i++;
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
      lua.checkAny(1, L);
      const type = lua.type(1, L);
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
    const text = lua.checkBytes(1, L);
    if (base < 2 || base > 36) lua.argumentError(2, "base out of range", L);
    const value = parseUnsignedLong(text, base);
    if (value === null) lua.pushNil(L);
    else lua.pushNumber(value, L);
    return 1;
  };
  lua.pushFunction(tonumber);
  lua.setGlobal("tonumber");
}
