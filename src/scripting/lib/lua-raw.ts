// What the C libraries need from the VM beyond LuaState's API: the exact bits of a
// number on the stack, argument errors whose text holds arbitrary bytes, and strings read
// and pushed without making a typed array per call.
//
// That last one is for speed. LuaState.checkBytes copies a string out with slice() and
// pushBytes takes a Uint8Array; in JavaScriptCore creating a typed array (slice, subarray)
// costs as much as a whole crossing into the VM, and the libraries here run on scripts'
// hot paths. So they read a string's bytes where it lies in the VM's memory (a string on
// the stack never moves; only the memory's view must be fetched again after anything
// that may allocate) and push results from a buffer of their own.
//
// Exact bits, because JavaScriptCore turns every NaN that reaches JavaScript into one
// canonical NaN (lua_tonumber's result, a Float64Array read, alike), while in Redis a NaN
// keeps its sign and payload, and scripts can see them: tostring(0/0) is "-nan" (x86's
// default NaN has the sign bit), struct.pack('d', 0/0) writes those bytes, and
// bit.tobit() of a NaN returns the low word of its payload. So a library that may meet a
// NaN reads the stack slot's two words from the VM's memory, and pushes one by writing
// them. That relies on Lua 5.1's layout on wasm32, checked by `checkNumberLayout`:
//   lua_State: { next: 4 bytes, tt, marked, status: 1 byte each, (pad), top @8, base @12 }
//   TValue:    { value: 8 bytes (the double), tt: int, (pad) } = 16 bytes

//
// The buffers below live in the VM's memory and are allocated once: there is one VM
// module per process (lua.ts), shared by every Lua state, and a buffer is never in use
// by two calls at once.

import { type LuaState, LUA_TNUMBER } from "../lua.ts";

const TOP_OFFSET = 8;
const BASE_OFFSET = 12;
const TVALUE_SIZE = 16;

/** The address of the stack slot `index` (a real index, not a pseudo-index). */
function slotAddress(lua: LuaState, L: number, index: number): number {
  const heap32 = lua.module.HEAP32;
  if (index > 0) return heap32[(L + BASE_OFFSET) >> 2]! + (index - 1) * TVALUE_SIZE;
  return heap32[(L + TOP_OFFSET) >> 2]! + index * TVALUE_SIZE;
}

/** The low 32 bits of the double at `index`, which must hold a number. */
export function numberLowWord(lua: LuaState, L: number, index: number): number {
  return lua.module.HEAP32[slotAddress(lua, L, index) >> 2]! >>> 0;
}

/** The high 32 bits (sign, exponent, top of the fraction) of the double at `index`. */
export function numberHighWord(lua: LuaState, L: number, index: number): number {
  return lua.module.HEAP32[(slotAddress(lua, L, index) + 4) >> 2]! >>> 0;
}

/** Pushes the double whose bits are `high:low`, NaNs included. */
export function pushNumberWords(lua: LuaState, L: number, low: number, high: number): void {
  lua.pushNumber(0, L);
  const address = slotAddress(lua, L, -1);
  const heap32 = lua.module.HEAP32;
  heap32[address >> 2] = low;
  heap32[(address + 4) >> 2] = high;
}

let layoutChecked = false;

/**
 * Checks once that the stack slots are where this file looks for them, as BitOp's self-test
 * checks its number conversion: a VM built differently must fail loudly at startup rather
 * than have scripts read garbage.
 */
export function checkNumberLayout(lua: LuaState): void {
  if (layoutChecked) return;
  const L = lua.L;
  const top = lua.top(L);
  lua.pushNumber(-1.5, L); // 0xBFF80000_00000000
  lua.pushNumber(2 ** -1074, L); // 0x00000000_00000001
  const ok =
    numberHighWord(lua, L, -2) === 0xbff80000 &&
    numberLowWord(lua, L, -2) === 0 &&
    numberHighWord(lua, L, top + 2) === 0 &&
    numberLowWord(lua, L, -1) === 1 &&
    lua.module.HEAP32[(slotAddress(lua, L, -1) + 8) >> 2] === LUA_TNUMBER;
  pushNumberWords(lua, L, 0, 0xfff80000);
  const negativeNaN = lua.toText(-1, L);
  lua.setTop(top, L);
  if (!ok || negativeNaN !== "-nan") throw new Error("Lua stack layout is not the one src/scripting/lib/lua-raw.ts expects");
  layoutChecked = true;
}

/** A C buffer for error texts, allocated once (a Lua error unwinds past any free). */
let messageBuffer = 0;
const MESSAGE_CAPACITY = 256;

/**
 * luaL_argerror with a message given as bytes: LuaState.argumentError takes text and
 * encodes it as UTF-8, but C libraries put raw bytes in messages ("invalid format option
 * '\xff'"). Never returns.
 */
export function argumentErrorBytes(lua: LuaState, L: number, position: number, message: Uint8Array): never {
  const M = lua.module;
  if (messageBuffer === 0) messageBuffer = M._malloc(MESSAGE_CAPACITY);
  const length = Math.min(message.length, MESSAGE_CAPACITY - 1);
  M.HEAPU8.set(message.subarray(0, length), messageBuffer);
  M.HEAPU8[messageBuffer + length] = 0;
  M._luaL_argerror(L, position, messageBuffer);
  throw new Error("luaL_argerror returned");
}

/** luaL_error with a message given as bytes: the caller's position, then `message`. Never returns. */
export function raiseWithPositionBytes(lua: LuaState, L: number, message: Uint8Array): never {
  lua.module._luaL_where(L, 1);
  lua.pushBytes(message, L);
  lua.module._lua_concat(L, 2);
  return lua.raiseTop(L);
}

/** Where the last string `checkString`/`stringAt` found lies in the VM's memory. */
export const stringView = { address: 0, length: 0 };
let lengthCell = 0;

/** luaL_checklstring, without a copy: fills `stringView` and returns the address. */
export function checkString(lua: LuaState, L: number, index: number): number {
  const M = lua.module;
  if (lengthCell === 0) lengthCell = M._malloc(8);
  stringView.address = M._luaL_checklstring(L, index, lengthCell);
  stringView.length = M.HEAP32[lengthCell >> 2]!;
  return stringView.address;
}

/** lua_tolstring, without a copy: fills `stringView` and returns the address (0 when not a string or number). */
export function stringAt(lua: LuaState, L: number, index: number): number {
  const M = lua.module;
  if (lengthCell === 0) lengthCell = M._malloc(8);
  stringView.address = M._lua_tolstring(L, index, lengthCell);
  stringView.length = stringView.address === 0 ? 0 : M.HEAP32[lengthCell >> 2]!;
  return stringView.address;
}

/** A buffer in the VM's memory that results are copied to before lua_pushlstring. */
let pushBuffer = 0;
let pushBufferSize = 0;

/** Pushes the first `length` bytes of `bytes` as a Lua string. */
export function pushByteArray(lua: LuaState, L: number, bytes: Uint8Array, length: number): void {
  const M = lua.module;
  if (length > pushBufferSize) {
    if (pushBuffer !== 0) M._free(pushBuffer);
    pushBufferSize = Math.max(length, pushBufferSize * 2, 256);
    pushBuffer = M._malloc(pushBufferSize);
    if (pushBuffer === 0) {
      pushBufferSize = 0;
      throw new Error("out of memory in the Lua VM");
    }
  }
  const heap = M.HEAPU8;
  if (length <= 32) {
    for (let i = 0; i < length; i++) heap[pushBuffer + i] = bytes[i]!;
  } else {
    heap.set(length === bytes.length ? bytes : bytes.subarray(0, length), pushBuffer);
  }
  M._lua_pushlstring(L, pushBuffer, length);
}
