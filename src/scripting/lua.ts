// The Lua 5.1 virtual machine scripts run in, and the thin layer over its C API that the
// rest of src/scripting/ uses.
//
// The VM is the real Lua 5.1 (the version Redis embeds), compiled to WebAssembly by the
// `wasmoon-lua5.1` package; we use only its raw C API (lua_*, luaL_*), not its
// JavaScript object bridge. Functions the scripts call (redis.call, cjson.encode...)
// are C functions written in TypeScript: `pushFunction` puts a JS function into the
// module's function table, and it reads its arguments and pushes its results on the
// Lua stack through this class. Everything crosses as bytes: a Lua string is any byte
// sequence, and so is a Redis value.
//
// Two things differ from calling C:
// - The WebAssembly memory grows: a view of it taken before a call that may allocate
//   (any push) is stale afterwards. Read `this.heap` afresh after pushing.
// - lua_error unwinds with a JS exception (emscripten's longjmp is `throw Infinity`).
//   A function that raises a Lua error must let that exception pass; any other
//   exception escaping into the VM would leave it inconsistent, so `pushFunction`
//   turns one into a Lua error.

import { LuaApi } from "wasmoon-lua5.1";

export const LUA_REGISTRYINDEX = -10000;
export const LUA_ENVIRONINDEX = -10001;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;

/** lua_upvalueindex: the pseudo-index of a C closure's upvalue `n` (from 1). */
export function luaUpvalueIndex(n: number): number {
  return LUA_GLOBALSINDEX - n;
}

export const LUA_TNONE = -1;
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;
export const LUA_TUSERDATA = 7;
export const LUA_TTHREAD = 8;

/** lua_pcall / lua_load results. */
export const LUA_OK = 0;
export const LUA_ERRRUN = 2;
export const LUA_ERRSYNTAX = 3;
export const LUA_ERRMEM = 4;
export const LUA_ERRERR = 5;

export const LUA_MASKCOUNT = 1 << 3;
export const LUA_MASKLINE = 1 << 2;

export const LUA_GCCOLLECT = 2;
export const LUA_GCCOUNT = 3;
export const LUA_GCCOUNTB = 4;

/** A C function: reads its arguments from the stack of `L`, pushes results, returns their count. */
export type LuaCFunction = (L: number) => number;

/** The emscripten module's exports this file uses (the package ships no types for them). */
interface LuaModule {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
  addFunction(fn: (...args: number[]) => number | void, signature: string): number;
  removeFunction(pointer: number): void;
  _malloc(size: number): number;
  _free(pointer: number): void;
  [name: `_lua${string}`]: (...args: number[]) => number;
}

const M = await loadLuaModule();

/**
 * Loads the VM. The package's module calls every export through a checking wrapper
 * (about 30-45 ns a call, a debug build's assertions); a script's run makes dozens of
 * calls, so the module's _lua* functions are pointed at the raw WebAssembly exports,
 * caught as the module instantiates them.
 */
async function loadLuaModule(): Promise<LuaModule> {
  let rawExports: Record<string, unknown> | null = null;
  const instantiate = WebAssembly.instantiate;
  const capture = async (...args: Parameters<typeof WebAssembly.instantiate>): Promise<unknown> => {
    const result = (await (instantiate as (...a: unknown[]) => Promise<unknown>)(...args)) as WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource;
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    rawExports ??= instance.exports as Record<string, unknown>;
    return result;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = capture;
  let api: LuaApi;
  try {
    api = await LuaApi.initialize();
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = instantiate;
  }
  const module = api.module as unknown as LuaModule & Record<string, unknown>;
  if (rawExports !== null) {
    for (const [name, value] of Object.entries(rawExports)) {
      if (typeof value === "function" && typeof module[`_${name}`] === "function" && /^(lua|luaL)_/.test(name)) module[`_${name}`] = value;
    }
  }
  return module;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The address of the number at stack `index` of L (pseudo-indices are not on the stack).
 * In this wasm32 build lua_State keeps `top` at byte 8 and `base` at byte 12 (after
 * next, tt, marked, status), and a TValue is 16 bytes: the 8-byte value, then the type
 * tag. The tag check catches a build laid out otherwise.
 */
function numberSlot(L: number, index: number): number {
  if (index === 0 || index <= LUA_REGISTRYINDEX) throw new Error(`not a stack index: ${index}`);
  const slot = index > 0 ? M.HEAP32[(L + 12) >> 2]! + (index - 1) * 16 : M.HEAP32[(L + 8) >> 2]! + index * 16;
  if (M.HEAP32[(slot + 8) >> 2] !== LUA_TNUMBER) throw new Error("not a number, or an unexpected Lua stack layout");
  return slot;
}

/**
 * A copy of `length` bytes of VM memory at `pointer`. Short strings (keys, arguments)
 * are copied byte by byte: slicing a view of the VM's large memory costs far more here.
 */
function copyOut(pointer: number, length: number): Uint8Array {
  const heap = M.HEAPU8;
  if (length > 64) return heap.slice(pointer, pointer + length);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = heap[pointer + i]!;
  return out;
}

/** True for the exception emscripten's longjmp throws (lua_error unwinding). */
function isLuaUnwind(error: unknown): boolean {
  return typeof error === "number";
}

/**
 * One Lua state and the helpers to talk to it. Redis keeps one for EVAL and one for
 * functions; so does the server (src/scripting/eval.ts, functions.ts).
 */
export class LuaState {
  readonly L: number;
  /** Scratch memory for strings passed into the VM, grown on demand and kept. */
  private scratch = 0;
  private scratchSize = 0;
  /** A 4-byte cell for size_t out-parameters (lua_tolstring's length). */
  private readonly lengthCell: number;
  /** Function-table slots this state registered, released by close(). */
  private readonly functionPointers: number[] = [];
  /** NULL-terminated `const char *[]` option lists for luaL_checkoption, by their joined names. */
  private readonly optionLists = new Map<string, number>();

  constructor() {
    this.L = M._luaL_newstate();
    if (this.L === 0) throw new Error("cannot create a Lua state");
    this.lengthCell = M._malloc(8);
    this.checkStackLayout();
  }

  get module(): LuaModule {
    return M;
  }

  /** The VM's memory as bytes; stale after anything that may allocate. */
  get heap(): Uint8Array {
    return M.HEAPU8;
  }

  close(): void {
    M._lua_close(this.L);
    for (const pointer of this.functionPointers) M.removeFunction(pointer);
    this.functionPointers.length = 0;
    if (this.scratch !== 0) M._free(this.scratch);
    M._free(this.lengthCell);
    for (const pointer of this.fieldNames.values()) M._free(pointer);
    this.fieldNames.clear();
    for (const list of this.optionLists.values()) M._free(list);
    this.optionLists.clear();
  }

  /** Copies `bytes` into scratch memory and returns its address (valid until the next copy). */
  private copyIn(bytes: Uint8Array, extra = 0): number {
    const pointer = this.reserveScratch(bytes.length + extra);
    M.HEAPU8.set(bytes, pointer);
    return pointer;
  }

  /** The scratch memory's address, with room for `needed` bytes. */
  private reserveScratch(needed: number): number {
    if (needed > this.scratchSize) {
      if (this.scratch !== 0) M._free(this.scratch);
      this.scratchSize = Math.max(needed, 256, this.scratchSize * 2);
      this.scratch = M._malloc(this.scratchSize);
      if (this.scratch === 0) throw new Error("out of memory in the Lua VM");
    }
    return this.scratch;
  }

  /** A NUL-terminated copy of `text` for the C functions that take a `const char *`. */
  /**
   * Field names (KEYS, ARGV, err, ok...) as C strings, each copied into the VM once and
   * kept for the state's life: they are few, and getField/setField run on every script.
   */
  private readonly fieldNames = new Map<string, number>();

  private fieldName(name: string): number {
    let pointer = this.fieldNames.get(name);
    if (pointer === undefined) {
      const bytes = encoder.encode(name);
      pointer = M._malloc(bytes.length + 1);
      M.HEAPU8.set(bytes, pointer);
      M.HEAPU8[pointer + bytes.length] = 0;
      this.fieldNames.set(name, pointer);
    }
    return pointer;
  }

  private cString(text: string): number {
    const bytes = encoder.encode(text);
    const pointer = this.copyIn(bytes, 1);
    M.HEAPU8[pointer + bytes.length] = 0;
    return pointer;
  }

  // ---- the stack -------------------------------------------------------------------

  top(L = this.L): number {
    return M._lua_gettop(L);
  }

  setTop(index: number, L = this.L): void {
    M._lua_settop(L, index);
  }

  pop(count: number, L = this.L): void {
    M._lua_settop(L, -count - 1);
  }

  type(index: number, L = this.L): number {
    return M._lua_type(L, index);
  }

  pushValue(index: number, L = this.L): void {
    M._lua_pushvalue(L, index);
  }

  insert(index: number, L = this.L): void {
    M._lua_insert(L, index);
  }

  remove(index: number, L = this.L): void {
    M._lua_remove(L, index);
  }

  checkStack(extra: number, L = this.L): boolean {
    return M._lua_checkstack(L, extra) !== 0;
  }

  /** luaL_checkstack: room for `extra` more values, or the Lua error "stack overflow (message)". */
  ensureStack(extra: number, message: string, L = this.L): void {
    // The message is copied into the VM only when it is needed: this runs per value.
    if (M._lua_checkstack(L, extra) === 0) M._luaL_checkstack(L, extra, this.cString(message));
  }

  pushNil(L = this.L): void {
    M._lua_pushnil(L);
  }

  pushNumber(value: number, L = this.L): void {
    M._lua_pushnumber(L, value);
  }

  pushBoolean(value: boolean, L = this.L): void {
    M._lua_pushboolean(L, value ? 1 : 0);
  }

  pushBytes(bytes: Uint8Array, L = this.L): void {
    if (bytes.length < 64) return this.pushByteRange(bytes, 0, bytes.length, L);
    M._lua_pushlstring(L, this.copyIn(bytes), bytes.length);
  }

  /**
   * Pushes bytes[from, to) as a string. Up to 1 KiB it is copied byte by byte: a
   * subarray of a small fresh array (an argument copied out of the VM) first makes the
   * engine give that array its ArrayBuffer, which costs more than the copy.
   */
  pushByteRange(bytes: Uint8Array, from: number, to: number, L = this.L): void {
    const length = to - from;
    if (length > 1024) {
      M._lua_pushlstring(L, this.copyIn(bytes.subarray(from, to)), length);
      return;
    }
    const pointer = this.reserveScratch(length);
    const heap = M.HEAPU8;
    for (let i = 0; i < length; i++) heap[pointer + i] = bytes[from + i]!;
    M._lua_pushlstring(L, length === 0 ? 0 : pointer, length);
  }

  /** Pushes a constant name (a field name): copied into the VM once, then pushed from there. */
  pushName(name: string, L = this.L): void {
    M._lua_pushstring(L, this.fieldName(name));
  }

  pushString(text: string, L = this.L): void {
    this.pushBytes(encoder.encode(text), L);
  }

  /** Pushes a JS function as a Lua C function (registered once; keep the closure for reuse). */
  pushFunction(fn: LuaCFunction, L = this.L): void {
    M._lua_pushcclosure(L, this.functionPointer(fn), 0);
  }

  /** lua_pushcclosure: a C function (a functionPointer slot) with the top `upvalueCount` values as upvalues. */
  pushClosure(pointer: number, upvalueCount: number, L = this.L): void {
    M._lua_pushcclosure(L, pointer, upvalueCount);
  }

  pushLightUserdata(pointer: number, L = this.L): void {
    M._lua_pushlightuserdata(L, pointer);
  }

  /** lua_newuserdata: pushes a new full userdata of `size` bytes and returns its address. */
  newUserdata(size: number, L = this.L): number {
    return M._lua_newuserdata(L, size);
  }

  /** lua_touserdata: the address of a (light or full) userdata, 0 for anything else. */
  toUserdata(index: number, L = this.L): number {
    return M._lua_touserdata(L, index);
  }

  /** The function-table slot for `fn`, wrapped so that a JS exception becomes a Lua error. */
  functionPointer(fn: LuaCFunction): number {
    const pointer = M.addFunction((L: number) => {
      try {
        return fn(L);
      } catch (error) {
        if (isLuaUnwind(error)) throw error;
        return this.raise(error instanceof Error ? error.message : String(error), L);
      }
    }, "ii");
    this.functionPointers.push(pointer);
    return pointer;
  }

  /**
   * The arguments a C function was called with, read straight from the VM's memory (no
   * call into the VM per argument: redis.call runs this for every command a script
   * sends): each string argument as a copy of its bytes, each number as a JS number,
   * null at the first of any other type. The stack is left as it was.
   *
   * In this wasm32 build a TString is a 16-byte header (next, tt, marked, reserved,
   * hash, then len at byte 12) followed by its bytes; checkStackLayout verifies that
   * and the TValue layout numberSlot relies on when the VM is created.
   */
  argumentsFromStack(L: number): Array<Uint8Array | number> | null {
    const heap32 = M.HEAP32;
    const base = heap32[(L + 12) >> 2]!;
    const count = (heap32[(L + 8) >> 2]! - base) >> 4;
    const values: Array<Uint8Array | number> = new Array(count);
    for (let i = 0; i < count; i++) {
      const slot = base + i * 16;
      const type = heap32[(slot + 8) >> 2];
      if (type === LUA_TSTRING) {
        const string = heap32[slot >> 2]!;
        values[i] = copyOut(string + 16, heap32[(string + 12) >> 2]!);
      } else if (type === LUA_TNUMBER) {
        values[i] = M.HEAPF64[slot >> 3]!;
      } else {
        return null;
      }
    }
    return values;
  }

  /**
   * Whether the table at `index` holds nothing but an array part of exactly `size`
   * slots, nil from slot `length` on: no metatable, no hash part (its node is the VM's
   * shared empty one). Read from the Table struct (wasm32: metatable at byte 8, array
   * at 12, node at 16, sizearray at 28) and its TValues (the type tag at byte 8 of 16),
   * whose layout checkStackLayout verifies too.
   */
  isBareArray(index: number, size: number, length = size, L = this.L): boolean {
    const table = M._lua_topointer(L, index);
    const heap32 = M.HEAP32;
    if (table === 0 || heap32[(table + 8) >> 2] !== 0 || heap32[(table + 16) >> 2] !== this.emptyNode || heap32[(table + 28) >> 2] !== size) return false;
    const array = heap32[(table + 12) >> 2]!;
    for (let slot = length; slot < size; slot++) if (heap32[(array + slot * 16 + 8) >> 2] !== LUA_TNIL) return false;
    return true;
  }

  /** The node of every table without a hash part (Lua's dummynode). */
  private emptyNode = 0;

  /** Throws unless the VM lays out strings, stack values and tables as this class reads them. */
  private checkStackLayout(): void {
    const L = this.L;
    const top = M._lua_gettop(L);
    M._lua_createtable(L, 0, 0);
    this.emptyNode = M.HEAP32[(M._lua_topointer(L, -1) + 16) >> 2]!;
    M._lua_createtable(L, 3, 0);
    const bare = this.isBareArray(-1, 3) && !this.isBareArray(-1, 2);
    this.pushName("x");
    M._lua_pushnumber(L, 1);
    M._lua_rawset(L, -3);
    const hashed = this.isBareArray(-1, 3);
    M._lua_createtable(L, 3, 0);
    M._lua_pushvalue(L, -1);
    M._lua_setmetatable(L, -2);
    const withMetatable = this.isBareArray(-1, 3);
    M._lua_createtable(L, 4, 0);
    M._lua_pushnumber(L, 1);
    M._lua_rawseti(L, -2, 3);
    const filledTo3 = this.isBareArray(-1, 4, 3) && !this.isBareArray(-1, 4, 2);
    M._lua_settop(L, top);
    if (!bare || hashed || withMetatable || !filledTo3) throw new Error("the Lua VM's table layout is not the one this server reads");
    const probe = encoder.encode("layout-probe");
    this.pushBytes(probe);
    M._lua_pushnumber(L, 2.5);
    const values = this.argumentsFromStack(L);
    M._lua_settop(L, top);
    const text = values?.[top];
    if (!(text instanceof Uint8Array) || decoder.decode(text) !== "layout-probe" || values?.[top + 1] !== 2.5) {
      throw new Error("the Lua VM's stack layout is not the one this server reads");
    }
  }

  /** The value at `index` as bytes (a copy), or null when it is neither a string nor a number. */
  toBytes(index: number, L = this.L): Uint8Array | null {
    const pointer = M._lua_tolstring(L, index, this.lengthCell);
    if (pointer === 0) return null;
    const length = M.HEAP32[this.lengthCell >> 2]!;
    return copyOut(pointer, length);
  }

  /**
   * lua_tolstring without the copy, for hot paths: the address in `heap` of the bytes of
   * the string at `index` (0 when it is neither a string nor a number; a number is
   * converted in place), their count then in `lastLength`. Valid until the VM next
   * allocates. (Not a subarray view: JSC takes ~150 ns to make one, more than reading a
   * short string costs.)
   */
  toAddress(index: number, L = this.L): number {
    return M._lua_tolstring(L, index, this.lengthCell);
  }

  /** The byte count of the string toAddress or checkAddress last returned. */
  get lastLength(): number {
    return M.HEAP32[this.lengthCell >> 2]!;
  }

  /** The value at `index` as text (UTF-8 decoded), or null. */
  toText(index: number, L = this.L): string | null {
    const bytes = this.toBytes(index, L);
    return bytes === null ? null : decoder.decode(bytes);
  }

  toNumber(index: number, L = this.L): number {
    return M._lua_tonumber(L, index);
  }

  /**
   * The IEEE 754 bits of the number at stack `index` as the VM holds them. lua_tonumber
   * cannot give these for a NaN: the JS engine canonicalises a NaN leaving WebAssembly,
   * losing the sign and payload that Redis's libraries write out byte for byte.
   */
  toNumberBits(index: number, L = this.L): bigint {
    return new DataView(M.HEAPU8.buffer).getBigUint64(numberSlot(L, index), true);
  }

  /** Pushes the number whose IEEE 754 bits are `bits` (a NaN keeps its sign and payload). */
  pushNumberBits(bits: bigint, L = this.L): void {
    M._lua_pushnumber(L, 0);
    new DataView(M.HEAPU8.buffer).setBigUint64(numberSlot(L, -1), bits, true);
  }

  isNumber(index: number, L = this.L): boolean {
    return M._lua_isnumber(L, index) !== 0;
  }

  /** lua_isstring: a string, or a number (convertible). */
  isString(index: number, L = this.L): boolean {
    return M._lua_isstring(L, index) !== 0;
  }

  toBoolean(index: number, L = this.L): boolean {
    return M._lua_toboolean(L, index) !== 0;
  }

  /** The `#` length of a string or table (lua_objlen). */
  length(index: number, L = this.L): number {
    return M._lua_objlen(L, index);
  }

  toPointer(index: number, L = this.L): number {
    return M._lua_topointer(L, index);
  }

  // ---- tables ----------------------------------------------------------------------

  newTable(arrayHint = 0, recordHint = 0, L = this.L): void {
    M._lua_createtable(L, arrayHint, recordHint);
  }

  /** t[name] = top of stack (popped), t at `index`; may call metamethods. */
  setField(index: number, name: string, L = this.L): void {
    M._lua_setfield(L, index, this.fieldName(name));
  }

  /** Pushes t[name], t at `index`; may call metamethods. */
  getField(index: number, name: string, L = this.L): void {
    M._lua_getfield(L, index, this.fieldName(name));
  }

  /** t[key] = value with key and value on top of the stack (both popped), no metamethods. */
  rawSet(index: number, L = this.L): void {
    M._lua_rawset(L, index);
  }

  /** Pushes t[key] for the key on top of the stack (popped), no metamethods. */
  rawGet(index: number, L = this.L): void {
    M._lua_rawget(L, index);
  }

  rawSetI(index: number, n: number, L = this.L): void {
    M._lua_rawseti(L, index, n);
  }

  rawGetI(index: number, n: number, L = this.L): void {
    M._lua_rawgeti(L, index, n);
  }

  /** lua_next: pops a key, pushes the next key and value; false at the end. */
  next(index: number, L = this.L): boolean {
    return M._lua_next(L, index) !== 0;
  }

  setMetatable(index: number, L = this.L): void {
    M._lua_setmetatable(L, index);
  }

  getMetatable(index: number, L = this.L): boolean {
    return M._lua_getmetatable(L, index) !== 0;
  }

  /** A global (t[name] in the globals table), pushed. */
  getGlobal(name: string, L = this.L): void {
    this.getField(LUA_GLOBALSINDEX, name, L);
  }

  /** Pops the top of the stack into the global `name`. */
  setGlobal(name: string, L = this.L): void {
    this.setField(LUA_GLOBALSINDEX, name, L);
  }

  /** Sets field `name` of the table on top of the stack to the function `fn`. */
  setFunctionField(name: string, fn: LuaCFunction, L = this.L): void {
    this.pushFunction(fn, L);
    this.setField(-2, name, L);
  }

  // ---- references, loading, calling ------------------------------------------------

  /** Pops the top of the stack into the registry and returns its reference. */
  ref(L = this.L): number {
    return M._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  unref(reference: number, L = this.L): void {
    M._luaL_unref(L, LUA_REGISTRYINDEX, reference);
  }

  pushRef(reference: number, L = this.L): void {
    M._lua_rawgeti(L, LUA_REGISTRYINDEX, reference);
  }

  /** luaL_loadbuffer: compiles `source` as a chunk named `chunkName` and pushes it (or the error). */
  load(source: Uint8Array, chunkName: string, L = this.L): number {
    const nameBytes = encoder.encode(chunkName);
    // One scratch area holds the source, then the NUL-terminated name.
    const base = this.copyIn(source, nameBytes.length + 1);
    const heap = M.HEAPU8;
    heap.set(nameBytes, base + source.length);
    heap[base + source.length + nameBytes.length] = 0;
    return M._luaL_loadbuffer(L, base, source.length, base + source.length);
  }

  /** lua_pcall: the status (LUA_OK or an error code with the error value on the stack). */
  pcall(argumentCount: number, resultCount: number, handlerIndex = 0, L = this.L): number {
    return M._lua_pcall(L, argumentCount, resultCount, handlerIndex);
  }

  /** Raises a Lua error with `message` as the error value (no position added). Never returns. */
  raise(message: string | Uint8Array, L = this.L): never {
    if (typeof message === "string") this.pushString(message, L);
    else this.pushBytes(message, L);
    M._lua_error(L);
    throw new Error("lua_error returned");
  }

  /** Raises the value on top of the stack as the error. Never returns. */
  raiseTop(L = this.L): never {
    M._lua_error(L);
    throw new Error("lua_error returned");
  }

  /**
   * luaL_error: raises `message` prefixed with the position of the Lua code that called
   * the running C function ("user_script:1: "), as Lua's own errors are. Never returns.
   */
  raiseWithPosition(message: string, L = this.L): never {
    M._luaL_where(L, 1);
    this.pushString(message, L);
    M._lua_concat(L, 2);
    return this.raiseTop(L);
  }

  /** luaL_argerror's text: "bad argument #n to 'name' (message)", with position. */
  argumentError(position: number, message: string, L = this.L): never {
    M._luaL_argerror(L, position, this.cString(message));
    throw new Error("luaL_argerror returned");
  }

  /** luaL_checklstring: the argument as bytes, or the Lua error "string expected, got ...". */
  checkBytes(position: number, L = this.L): Uint8Array {
    const pointer = M._luaL_checklstring(L, position, this.lengthCell);
    const length = M.HEAP32[this.lengthCell >> 2]!;
    return M.HEAPU8.slice(pointer, pointer + length);
  }

  /** luaL_checklstring without the copy: the address, the length then in `lastLength` (see toAddress). */
  checkAddress(position: number, L = this.L): number {
    return M._luaL_checklstring(L, position, this.lengthCell);
  }

  /**
   * luaL_checkoption with no default: the index in `options` of the string argument, or
   * the Lua error "bad argument #n to 'f' (invalid option 'x')". The C list is built once
   * per distinct `options` and kept until close().
   */
  checkOption(position: number, options: readonly string[], L = this.L): number {
    const key = options.join("\0");
    let list = this.optionLists.get(key);
    if (list === undefined) {
      // The pointer array, then the NUL-terminated names it points to.
      const names = options.map((option) => encoder.encode(option));
      const pointersSize = (names.length + 1) * 4;
      const address = M._malloc(pointersSize + names.reduce((total, name) => total + name.length + 1, 0));
      if (address === 0) throw new Error("out of memory in the Lua VM");
      let text = address + pointersSize;
      names.forEach((name, i) => {
        M.HEAP32[(address >> 2) + i] = text;
        M.HEAPU8.set(name, text);
        M.HEAPU8[text + name.length] = 0;
        text += name.length + 1;
      });
      M.HEAP32[(address >> 2) + names.length] = 0;
      this.optionLists.set(key, address);
      list = address;
    }
    return M._luaL_checkoption(L, position, 0, list);
  }

  /** luaL_checknumber. */
  checkNumber(position: number, L = this.L): number {
    return M._luaL_checknumber(L, position);
  }

  /** luaL_optnumber. */
  optNumber(position: number, fallback: number, L = this.L): number {
    return M._luaL_optnumber(L, position, fallback);
  }

  /** luaL_checktype. */
  checkType(position: number, type: number, L = this.L): void {
    M._luaL_checktype(L, position, type);
  }

  /** luaL_checkany. */
  checkAny(position: number, L = this.L): void {
    M._luaL_checkany(L, position);
  }

  setHook(hook: number, mask: number, count: number, L = this.L): void {
    M._lua_sethook(L, hook, mask, count);
    if (L === this.L) {
      this.hook = hook;
      this.hookMask = mask;
      this.hookCount = count;
    }
  }

  /** The main thread's hook as setHook last set it. */
  private hook = 0;
  private hookMask = 0;
  private hookCount = 0;

  /**
   * setHook unless the main thread already has this hook: scripts run one after another
   * with the same count hook, and leaving it installed between them saves two calls
   * into the VM per run.
   */
  ensureHook(hook: number, mask: number, count: number): void {
    if (this.hook !== hook || this.hookMask !== mask || this.hookCount !== count) this.setHook(hook, mask, count);
  }

  /** A hook function's slot (signature void(lua_State*, lua_Debug*)). */
  hookPointer(fn: (L: number) => void): number {
    const pointer = M.addFunction((L: number) => {
      fn(L);
    }, "vii");
    this.functionPointers.push(pointer);
    return pointer;
  }

  gc(what: number, data = 0): number {
    return M._lua_gc(this.L, what, data);
  }

  /** The VM's memory in use, in bytes (collectgarbage("count") * 1024). */
  memoryBytes(): number {
    return this.gc(LUA_GCCOUNT) * 1024 + this.gc(LUA_GCCOUNTB);
  }

  /** Opens one of the VM's own libraries (luaopen_base, _table, _string, _math, _debug). */
  openLibrary(name: "base" | "table" | "string" | "math" | "debug"): void {
    M._lua_pushcclosure(this.L, this.libraryOpener(name), 0);
    this.pushString(name === "base" ? "" : name);
    M._lua_call(this.L, 1, 0);
  }

  /** The C function pointer of a luaopen_* function, from the module's function table. */
  private libraryOpener(name: string): number {
    const exported = (M as unknown as Record<string, unknown>)[`_luaopen_${name}`];
    if (typeof exported !== "function") throw new Error(`no luaopen_${name} in the Lua module`);
    // luaopen_* must run through lua_call (it expects a fresh C frame): wrap it as a C function.
    return this.functionPointer((L) => (exported as (L: number) => number)(L));
  }
}
