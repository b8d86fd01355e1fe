// Roberto Ierusalimschy's `struct` library (struct.c 1.7) as Redis 7.0 ships it to
// scripts: struct.pack(fmt, ...), struct.unpack(fmt, data [, pos]), struct.size(fmt).
//
// A format is a sequence of options, each with an optional count:
//   > <          big / little endian (little, the machine's order, until told)
//   ! [n]        align items to n bytes (a power of 2; "!" alone is 8)
//   b B h H      signed / unsigned char (1 byte) and short (2)
//   l L T        long, unsigned long, size_t: 8 bytes, as on 64-bit Redis
//   i I [n]      int of n bytes (default 4, at most 32)
//   f d          float, double
//   c [n]        n chars (default 1). Packing, c0 is the whole string; unpacking, c0
//                takes its length from the previous result
//   s            a NUL-terminated string
//   x            one padding byte
//   ' '          ignored
// The format is a C string: it ends at its first NUL byte.
//
// What the C code does beyond its contract is reproduced too, because scripts see it:
//  - integers are cast as x86-64 casts (see lp64.ts): pack("L", 2^64) writes 0 and
//    pack("l", 0/0) writes 0x8000000000000000;
//  - integers wider than 8 bytes: packing writes the 8-byte value then zeros (even for a
//    negative number); unpacking keeps the last 8 bytes shifted in, and its sign-extension
//    mask is `~0 << (size*8 - 1)` with the shift count taken modulo 64, as x86 does;
//  - pack's "string too short" error names the argument after the string;
//  - alignment applies to sizes that are not powers of two with the same arithmetic;
//  - unpack's offset is a size_t: 0 is refused, a negative one is a huge offset ("data
//    string too short", or returned as is when the format is empty).

import { type LuaState, LUA_TNIL, LUA_TNONE, LUA_TNUMBER } from "../lua.ts";
import { toCLong, toCSize, toCUnsignedLong } from "./lp64.ts";
import { ByteOutput } from "./byte-output.ts";
import { argumentErrorBytes, checkNumberLayout, checkString, numberHighWord, numberLowWord, pushNumberWords, stringView } from "./lua-raw.ts";

const BIG = 0;
const LITTLE = 1;
/** The machine's own order (x86-64), used until a format says otherwise. */
const NATIVE = LITTLE;

/** The largest integer option, "i32". */
const MAX_INT_SIZE = 32;
/** What "!" without a count aligns to: the alignment of a double on x86-64. */
const MAX_ALIGN = 8;
const INT_MAX = 2147483647;

const CHAR_0 = 48;
const CHAR_9 = 57;

function isDigit(byte: number): boolean {
  return byte >= CHAR_0 && byte <= CHAR_9;
}

function isAlphanumeric(byte: number): boolean {
  return isDigit(byte) || ((byte | 0x20) >= 97 && (byte | 0x20) <= 122);
}

const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);
const longWords = new Uint32Array(2);

export function openStruct(lua: LuaState): void {
  checkNumberLayout(lua);
  const output = new ByteOutput();

  // The parsing state of the format being read: shared by the three functions, which
  // never run inside one another. The format is copied out of the VM (it is short, and
  // packing may grow the VM's memory while it is being read).
  let format = new Uint8Array(64);
  let formatEnd = 0;
  let cursor = 0;
  let endian = NATIVE;
  let align = 1;

  /** Reads argument 1 as a C string. */
  const startFormat = (L: number): void => {
    const start = checkString(lua, L, 1);
    const length = stringView.length;
    if (length > format.length) format = new Uint8Array(Math.max(length, format.length * 2));
    const heap = lua.module.HEAPU8;
    let i = 0;
    for (; i < length; i++) {
      const byte = heap[start + i]!;
      if (byte === 0) break;
      format[i] = byte;
    }
    formatEnd = i;
    cursor = 0;
    endian = NATIVE;
    align = 1;
  };

  /** The count after an option, or `fallback` when there is none. */
  const readCount = (L: number, fallback: number): number => {
    if (cursor >= formatEnd || !isDigit(format[cursor]!)) return fallback;
    let count = 0;
    do {
      const digit = format[cursor]! - CHAR_0;
      if (count > INT_MAX / 10 || count * 10 > INT_MAX - digit) lua.raiseWithPosition("integral size overflow", L);
      count = count * 10 + digit;
      cursor++;
    } while (cursor < formatEnd && isDigit(format[cursor]!));
    return count;
  };

  /** The size of option `option` (reading its count); 0 for the options without one. */
  const optionSize = (L: number, option: number): number => {
    switch (option) {
      case 0x42: // B
      case 0x62: // b
      case 0x78: // x
        return 1;
      case 0x48: // H
      case 0x68: // h
        return 2;
      case 0x4c: // L
      case 0x6c: // l
      case 0x54: // T
      case 0x64: // d
        return 8;
      case 0x66: // f
        return 4;
      case 0x63: // c
        return readCount(L, 1);
      case 0x69: // i
      case 0x49: {
        // I
        const size = readCount(L, 4);
        if (size > MAX_INT_SIZE) lua.raiseWithPosition(`integral size ${size} is larger than limit of ${MAX_INT_SIZE}`, L);
        return size;
      }
      default:
        return 0;
    }
  };

  /** Padding to put before an item of `size` bytes at offset `offset`. */
  const padding = (offset: number, option: number, size: number): number => {
    if (size === 0 || option === 0x63) return 0;
    if (size > align) size = align;
    // Sizes are at most 32 here, so the low 32 bits of the offset are all that count.
    return (size - (offset & (size - 1))) & (size - 1);
  };

  /** The options that change the state instead of reading or writing an item. */
  const controlOption = (L: number, option: number): void => {
    switch (option) {
      case 0x20: // ' '
        return;
      case 0x3e: // >
        endian = BIG;
        return;
      case 0x3c: // <
        endian = LITTLE;
        return;
      case 0x21: {
        // !
        const alignment = readCount(L, MAX_ALIGN);
        if (alignment <= 0 || (alignment & (alignment - 1)) !== 0) lua.raiseWithPosition(`alignment ${alignment} is not a power of 2`, L);
        align = alignment;
        return;
      }
      default:
        invalidOption(L, option);
    }
  };

  const invalidOption = (L: number, option: number): never => {
    const message = new Uint8Array([...INVALID_OPTION_PREFIX, option, 0x27]);
    return argumentErrorBytes(lua, L, 1, message);
  };

  /** Writes argument `arg` as an integer of `size` bytes. */
  const packInteger = (L: number, arg: number, size: number): void => {
    toCUnsignedLong(lua.checkNumber(arg, L), longWords);
    const low = longWords[0]!;
    const high = longWords[1]!;
    output.reserve(size);
    const bytes = output.bytes;
    const start = output.length;
    for (let i = 0; i < size; i++) {
      // Byte i of the 64-bit value, counting from the least significant; zeros past 8.
      const byte = i < 4 ? (low >>> (8 * i)) & 0xff : i < 8 ? (high >>> (8 * (i - 4))) & 0xff : 0;
      bytes[endian === LITTLE ? start + i : start + size - 1 - i] = byte;
    }
    output.length += size;
  };

  /** Writes argument `arg` as a float or a double. */
  const packFloat = (L: number, arg: number, size: number): void => {
    const n = lua.checkNumber(arg, L);
    const little = endian === LITTLE;
    if (n === n) {
      if (size === 4) scratch.setFloat32(0, n, little);
      else scratch.setFloat64(0, n, little);
    } else {
      // A NaN's sign and payload, from the stack (a string that reads as NaN gives the
      // plain positive one).
      const isNumber = lua.type(arg, L) === LUA_TNUMBER;
      const high = isNumber ? numberHighWord(lua, L, arg) : 0x7ff80000;
      const low = isNumber ? numberLowWord(lua, L, arg) : 0;
      if (size === 4) {
        // cvtsd2ss: keep the sign and the top 23 bits of the fraction, set the quiet bit.
        const fraction = (((high & 0xfffff) << 3) | (low >>> 29)) | 0x400000;
        scratch.setUint32(0, ((high & 0x80000000) | 0x7f800000 | fraction) >>> 0, little);
      } else {
        scratch.setUint32(little ? 4 : 0, high, little);
        scratch.setUint32(little ? 0 : 4, low, little);
      }
    }
    output.copyFrom(scratchBytes, 0, size);
  };

  const pack = (L: number): number => {
    startFormat(L);
    // struct.c pushes a nil before its buffer, so the first missing argument is a nil.
    lua.pushNil(L);
    output.length = 0;
    let arg = 2;
    let total = 0;
    while (cursor < formatEnd) {
      const option = format[cursor++]!;
      let size = optionSize(L, option);
      const pad = padding(total, option, size);
      total += pad;
      output.repeat(0, pad);
      switch (option) {
        case 0x62: // b
        case 0x42: // B
        case 0x68: // h
        case 0x48: // H
        case 0x6c: // l
        case 0x4c: // L
        case 0x54: // T
        case 0x69: // i
        case 0x49: // I
          packInteger(L, arg++, size);
          break;
        case 0x78: // x
          output.byte(0);
          break;
        case 0x66: // f
        case 0x64: // d
          packFloat(L, arg++, size);
          break;
        case 0x63: // c
        case 0x73: {
          // s
          const text = checkString(lua, L, arg++);
          const length = stringView.length;
          if (size === 0) size = length;
          // struct.c checks after moving on to the next argument, and names that one.
          if (length < size) lua.argumentError(arg, "string too short", L);
          output.copyFrom(lua.module.HEAPU8, text, text + size);
          if (option === 0x73) {
            output.byte(0);
            size++;
          }
          break;
        }
        default:
          controlOption(L, option);
      }
      total += size;
    }
    output.push(lua, L);
    return 1;
  };

  /** Reads an integer of `size` bytes at `offset` of the VM's memory. */
  const readInteger = (heap: Uint8Array, offset: number, size: number, signed: boolean): number => {
    // The value as struct.c builds it in an unsigned long: each byte shifted in at the
    // bottom, so past 8 bytes only the last 8 read remain.
    let high = 0;
    let low = 0;
    for (let i = 0; i < size; i++) {
      const byte = heap[endian === BIG ? offset + i : offset + size - 1 - i]!;
      high = ((high << 8) | (low >>> 24)) >>> 0;
      low = ((low << 8) | byte) >>> 0;
    }
    if (!signed) return high * 4294967296 + low;
    const shift = (size * 8 - 1) & 63;
    const maskHigh = shift >= 32 ? (-1 << (shift - 32)) >>> 0 : 0xffffffff;
    const maskLow = shift >= 32 ? 0 : (-1 << shift) >>> 0;
    if ((high & maskHigh) !== 0 || (low & maskLow) !== 0) {
      high = (high | maskHigh) >>> 0;
      low = (low | maskLow) >>> 0;
    }
    return (high | 0) * 4294967296 + low;
  };

  /** Pushes the float or double at `offset`, NaNs with their bits. */
  const pushFloat = (L: number, heap: Uint8Array, offset: number, size: number): void => {
    const little = endian === LITTLE;
    for (let i = 0; i < size; i++) scratch.setUint8(i, heap[offset + i]!);
    if (size === 4) {
      const bits = scratch.getUint32(0, little);
      if ((bits & 0x7f800000) !== 0x7f800000 || (bits & 0x7fffff) === 0) {
        lua.pushNumber(scratch.getFloat32(0, little), L);
      } else {
        // cvtss2sd: the sign, the fraction moved to the top, the quiet bit set.
        const fraction = (bits & 0x7fffff) | 0x400000;
        pushNumberWords(lua, L, (fraction << 29) >>> 0, ((bits & 0x80000000) | 0x7ff00000 | (fraction >>> 3)) >>> 0);
      }
    } else {
      const high = scratch.getUint32(little ? 4 : 0, little);
      const low = scratch.getUint32(little ? 0 : 4, little);
      if ((high & 0x7ff00000) !== 0x7ff00000 || ((high & 0xfffff) === 0 && low === 0)) {
        lua.pushNumber(scratch.getFloat64(0, little), L);
      } else {
        pushNumberWords(lua, L, low, high);
      }
    }
  };

  const unpack = (L: number): number => {
    startFormat(L);
    // The data stays on the stack (argument 2), so its bytes are read in place.
    const dataAddress = checkString(lua, L, 2);
    const dataLength = stringView.length;
    let start = 1;
    const offsetType = lua.type(3, L);
    if (offsetType !== LUA_TNONE && offsetType !== LUA_TNIL) start = toCLong(lua.checkNumber(3, L));
    if (start === 0) lua.argumentError(3, "offset must be 1 or greater", L);
    if (formatEnd === 0) {
      lua.pushNumber(start, L);
      return 1;
    }
    // A negative offset is a size_t beyond any string.
    let position = start > 0 ? start - 1 : Infinity;
    let results = 0;
    while (cursor < formatEnd) {
      const option = format[cursor++]!;
      let size = optionSize(L, option);
      position += padding(position, option, size);
      if (!(size <= dataLength && position <= dataLength - size)) lua.argumentError(2, "data string too short", L);
      if (!lua.checkStack(2, L)) lua.raiseWithPosition("stack overflow (too many results)", L);
      switch (option) {
        case 0x62: // b
        case 0x42: // B
        case 0x68: // h
        case 0x48: // H
        case 0x6c: // l
        case 0x4c: // L
        case 0x54: // T
        case 0x69: // i
        case 0x49: // I
          lua.pushNumber(readInteger(lua.heap, dataAddress + position, size, option >= 0x61), L);
          results++;
          break;
        case 0x78: // x
          break;
        case 0x66: // f
        case 0x64: // d
          pushFloat(L, lua.heap, dataAddress + position, size);
          results++;
          break;
        case 0x63: {
          // c
          if (size === 0) {
            if (results === 0 || !lua.isNumber(-1, L)) lua.raiseWithPosition("format 'c0' needs a previous size", L);
            size = toCSize(lua.toNumber(-1, L));
            lua.pop(1, L);
            results--;
            if (!(size <= dataLength && position <= dataLength - size)) lua.argumentError(2, "data string too short", L);
          }
          lua.module._lua_pushlstring(L, dataAddress + position, size);
          results++;
          break;
        }
        case 0x73: {
          // s
          const heap = lua.heap;
          const from = dataAddress + position;
          const end = dataAddress + dataLength;
          let nul = from;
          while (nul < end && heap[nul] !== 0) nul++;
          if (nul === end) lua.raiseWithPosition("unfinished string in data", L);
          size = nul - from + 1;
          lua.module._lua_pushlstring(L, from, nul - from);
          results++;
          break;
        }
        default:
          controlOption(L, option);
      }
      position += size;
    }
    lua.pushNumber(position + 1, L);
    return results + 1;
  };

  const size = (L: number): number => {
    startFormat(L);
    let position = 0;
    while (cursor < formatEnd) {
      const option = format[cursor++]!;
      const itemSize = optionSize(L, option);
      position += padding(position, option, itemSize);
      if (option === 0x73) lua.argumentError(1, "option 's' has no fixed size", L);
      else if (option === 0x63 && itemSize === 0) lua.argumentError(1, "option 'c0' has no fixed size", L);
      // Letters and digits other than the options above are ignored here (struct.c
      // sends only the other characters to the control options).
      if (!isAlphanumeric(option)) controlOption(L, option);
      position += itemSize;
    }
    lua.pushNumber(position, L);
    return 1;
  };

  lua.newTable(0, 3); // sized as luaL_register sizes it: the layout decides the order of pairs
  lua.setFunctionField("pack", pack);
  lua.setFunctionField("unpack", unpack);
  lua.setFunctionField("size", size);
  lua.setGlobal("struct");
}

const INVALID_OPTION_PREFIX = new TextEncoder().encode("invalid format option '");
