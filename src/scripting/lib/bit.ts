// Lua BitOp 1.0.2 (Mike Pall's `bit` library) as Redis 7.0 ships it to scripts:
// tobit, tohex, bnot, band, bor, bxor, lshift, rshift, arshift, rol, ror, bswap.
//
// Every operation works on 32-bit integers and returns a signed one (-2^31..2^31-1).
// An argument becomes one the way BitOp converts it: add 2^52 + 2^51 to the double and
// keep the low 32 bits of the sum's representation. For |n| < 2^51 that is n rounded to
// an integer (half to even, the FPU's rounding) modulo 2^32, so 2^32 + 5 gives 5 and 2.5
// gives 2; beyond 2^51 it is whatever those bits are, which this reproduces by doing the
// same addition. Arguments are read with lua_tonumber, so numeric strings are accepted;
// anything else is "number expected" (BitOp reports it only when the bits come out 0,
// which they always do for a non-number).

import { type LuaState, LUA_TNUMBER, LUA_TNONE } from "../lua.ts";
import { checkNumberLayout, numberLowWord, pushByteArray } from "./lua-raw.ts";

/** 2^52 + 2^51: adding it leaves the integer part of n in the low bits of the sum. */
const TOBIT_BIAS = 6755399441055744;

const conversion = new Float64Array(1);
/** The two words of `conversion`; the host is little-endian, so [0] is the low one. */
const conversionWords = new Uint32Array(conversion.buffer);

const LOWER_HEX = "0123456789abcdef";
const UPPER_HEX = "0123456789ABCDEF";
const hexBuffer = new Uint8Array(8);

export function openBit(lua: LuaState): void {
  checkNumberLayout(lua);

  /** The 32-bit integer of argument `index` (as a signed value). */
  const bitArgument = (L: number, index: number): number => {
    const n = lua.toNumber(index, L);
    let bits: number;
    if (n === n) {
      conversion[0] = n + TOBIT_BIAS;
      bits = conversionWords[0]!;
    } else {
      // A NaN stays itself through the addition, so BitOp sees its payload's low word;
      // JavaScript lost the payload on the way here, so read it from the stack.
      bits = lua.type(index, L) === LUA_TNUMBER ? numberLowWord(lua, L, index) : 0;
    }
    if (bits === 0 && !lua.isNumber(index, L)) lua.checkNumber(index, L); // raises "number expected, got ..."
    return bits | 0;
  };

  const returnBits = (L: number, bits: number): number => {
    lua.pushNumber(bits | 0, L);
    return 1;
  };

  /** band/bor/bxor: BitOp converts the first argument, then the others from the last down. */
  const fold = (operation: (a: number, b: number) => number) => (L: number): number => {
    let bits = bitArgument(L, 1);
    for (let index = lua.top(L); index > 1; index--) bits = operation(bits, bitArgument(L, index));
    return returnBits(L, bits);
  };

  /** Shifts and rotations take the count modulo 32. */
  const shift = (operation: (bits: number, count: number) => number) => (L: number): number => {
    const bits = bitArgument(L, 1);
    const count = bitArgument(L, 2) & 31;
    return returnBits(L, operation(bits, count));
  };

  lua.newTable(0, 12); // sized as luaL_register sizes it: the layout decides the order of pairs
  lua.setFunctionField("tobit", (L) => returnBits(L, bitArgument(L, 1)));
  lua.setFunctionField("bnot", (L) => returnBits(L, ~bitArgument(L, 1)));
  lua.setFunctionField("band", fold((a, b) => a & b));
  lua.setFunctionField("bor", fold((a, b) => a | b));
  lua.setFunctionField("bxor", fold((a, b) => a ^ b));
  lua.setFunctionField("lshift", shift((bits, count) => bits << count));
  lua.setFunctionField("rshift", shift((bits, count) => bits >>> count));
  lua.setFunctionField("arshift", shift((bits, count) => bits >> count));
  // A count of 0 shifts the other way by 32, which x86 (and JavaScript) take as 0: the
  // value comes back unchanged, as it does in Redis.
  lua.setFunctionField("rol", shift((bits, count) => (bits << count) | (bits >>> (32 - count))));
  lua.setFunctionField("ror", shift((bits, count) => (bits << (32 - count)) | (bits >>> count)));
  lua.setFunctionField("bswap", (L) => {
    const b = bitArgument(L, 1);
    return returnBits(L, (b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
  });
  lua.setFunctionField("tohex", (L) => {
    let bits = bitArgument(L, 1);
    // The width: 8 digits by default; a negative one asks for upper case. Its magnitude
    // is capped at 8, which catches -2^31 too (its negation overflows to a huge value).
    let width = lua.type(2, L) === LUA_TNONE ? 8 : bitArgument(L, 2);
    let digits = LOWER_HEX;
    if (width < 0) {
      width = -width;
      digits = UPPER_HEX;
    }
    if (width > 8) width = 8;
    for (let i = width - 1; i >= 0; i--) {
      hexBuffer[i] = digits.charCodeAt(bits & 15);
      bits >>>= 4;
    }
    pushByteArray(lua, L, hexBuffer, width);
    return 1;
  });
  lua.setGlobal("bit");
}
