// The `cmsgpack` library Redis gives scripts: MessagePack encoding and decoding of Lua
// values, as lua-cmsgpack 0.4.0 (deps/lua/src/lua_cmsgpack.c in Redis 7.0) does it,
// byte for byte, error for error.
//
// What a script can observe, and so what this file reproduces:
// - Lua 5.1 has only doubles. A number is packed as an integer when it is one and fits
//   int64 (Redis casts to int64_t and compares; on x86-64 anything outside gives
//   INT64_MIN, so only -2^63 itself survives at the low end and 2^63 does not), in the
//   smallest of fixint/uint8..64 or negative fixint/int8..64; otherwise as float32 when
//   that is exact (infinities included), else float64. The VM's own lua_Integer is 32
//   bits in this wasm build, so numbers stay doubles here and int64 is done by hand.
// - A table is an array when its keys are exactly 1..n, else a map in lua_next order.
//   Tables deeper than MAX_NESTING pack as nil (that is how cycles terminate).
// - Decoding pushes values the way the C code does (same table creation, same
//   lua_settable order), so the tables come out with the same iteration order. uint64
//   goes through a signed int64 first, so values from 2^63 decode negative; bin, ext and
//   fixext are not understood and are "Bad data format".
// - The C code works on the Lua stack and checks its room with luaL_checkstack at fixed
//   points; the same calls are made here at the same points, so that the "stack overflow
//   (...)" errors a script can hit (thousands of arguments or results, deep nesting)
//   come at the same sizes with the same messages.
// - NaNs keep their sign and payload (toNumberBits/pushNumberBits): Redis writes the
//   double's bytes as they are, and 0/0 on x86 is a negative NaN.

import { LUA_TBOOLEAN, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, type LuaState } from "../lua.ts";

/** LUACMSGPACK_MAX_NESTING: a table at this depth packs as nil. */
const MAX_NESTING = 16;

const TWO_32 = 2 ** 32;
const TWO_63 = 2 ** 63;
const INT_MAX = 2 ** 31 - 1;

/** The messages of luaL_checkstack calls, which name the C function that made them. */
const STACK_PACK_ARGUMENT = "in function mp_check";
const STACK_ARRAY_CHECK = "in function table_is_an_array";
const STACK_PACK_ARRAY = "in function mp_encode_lua_table_as_array";
const STACK_PACK_MAP = "in function mp_encode_lua_table_as_map";
const STACK_UNPACK_VALUE = "too many return values at once; use unpack_one or unpack_limit instead.";
const STACK_UNPACK_ARRAY = "in function mp_decode_to_lua_array";
const STACK_UNPACK_OFFSET = "in function mp_unpack_full";

/** Creates the global `cmsgpack` table (luaopen_cmsgpack). */
export function openCmsgpack(lua: LuaState): void {
  // One packer's buffer is reused from call to call; a pack that starts while another
  // is running (from a __gc metamethod, say) gets a fresh one.
  let idlePacker: Packer | null = new Packer(lua);

  const pack = (L: number): number => {
    const argumentCount = lua.top(L);
    if (argumentCount === 0) lua.argumentError(0, "MessagePack pack needs input.", L);
    if (!lua.checkStack(argumentCount, L)) lua.argumentError(0, "Too many arguments for MessagePack pack.", L);
    const packer = idlePacker ?? new Packer(lua);
    idlePacker = null;
    try {
      for (let argument = 1; argument <= argumentCount; argument++) {
        lua.ensureStack(1, STACK_PACK_ARGUMENT, L);
        lua.pushValue(argument, L);
        packer.packTop(L, 0);
        // Redis pushes each argument's encoding and concatenates them at the end; a
        // placeholder in its slot keeps the stack as deep, for the checks above.
        lua.pushNil(L);
      }
      lua.setTop(argumentCount, L);
      lua.pushBytes(packer.bytes(), L);
    } finally {
      packer.reset();
      idlePacker = packer;
    }
    return 1;
  };

  const unpack = (L: number): number => unpackFull(lua, L, 0, 0);

  const unpackOne = (L: number): number => {
    const offset = toInt64(lua.optNumber(2, 0, L));
    if (lua.top(L) > 1) lua.setTop(1, L);
    return unpackFull(lua, L, 1, offset);
  };

  const unpackLimit = (L: number): number => {
    const limit = toInt64(lua.checkNumber(2, L));
    const offset = toInt64(lua.optNumber(3, 0, L));
    if (lua.top(L) > 1) lua.setTop(1, L);
    return unpackFull(lua, L, limit, offset);
  };

  // Fields in Redis's order, so that pairs(cmsgpack) walks them in the same order.
  lua.newTable();
  lua.setFunctionField("pack", pack);
  lua.setFunctionField("unpack", unpack);
  lua.setFunctionField("unpack_one", unpackOne);
  lua.setFunctionField("unpack_limit", unpackLimit);
  const metadata: Array<[string, string]> = [
    ["_NAME", "cmsgpack"],
    ["_VERSION", "lua-cmsgpack 0.4.0"],
    ["_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"],
    ["_DESCRIPTION", "MessagePack C implementation for Lua"],
  ];
  for (const [name, value] of metadata) {
    lua.pushString(value);
    lua.setField(-2, name);
  }
  lua.setGlobal("cmsgpack");
}

/**
 * A C cast of a double to int64_t on x86-64: truncation toward zero, and INT64_MIN for
 * NaN and anything out of range (cvttsd2si's "integer indefinite"). The result stays a
 * double; beyond 2^53 it is only compared, never used as an exact count.
 */
function toInt64(value: number): number {
  if (!(value >= -TWO_63 && value < TWO_63)) return -TWO_63;
  return Math.trunc(value);
}

/** A C cast of an int64 (held as an integral double) to int: its low 32 bits, signed. */
function toInt32(value: number): number {
  return Number(BigInt.asIntN(32, BigInt(value)));
}

// ---- packing ---------------------------------------------------------------------

/** Encodes Lua values from the top of the stack into a growing byte buffer. */
class Packer {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  constructor(private readonly lua: LuaState) {}

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    // Do not hold on to the memory of one huge pack.
    if (this.buffer.length > 1 << 20) {
      this.buffer = new Uint8Array(256);
      this.view = new DataView(this.buffer.buffer);
    }
  }

  /** Makes room for `size` more bytes and returns where they start. */
  private reserve(size: number): number {
    const start = this.length;
    const needed = start + size;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, start));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = needed;
    return start;
  }

  private writeByte(byte: number): void {
    const at = this.reserve(1); // before reading this.buffer, which reserve may replace
    this.buffer[at] = byte;
  }

  /** Encodes the value on top of the stack, `level` tables deep, and pops it. */
  packTop(L: number, level: number): void {
    const lua = this.lua;
    let type = lua.type(-1, L);
    if (type === LUA_TTABLE && level === MAX_NESTING) type = LUA_TNIL;
    switch (type) {
      case LUA_TSTRING:
        this.writeString(lua.toBytes(-1, L)!);
        break;
      case LUA_TBOOLEAN:
        this.writeByte(lua.toBoolean(-1, L) ? 0xc3 : 0xc2);
        break;
      case LUA_TNUMBER:
        this.writeNumber(L);
        break;
      case LUA_TTABLE:
        this.writeTable(L, level);
        break;
      default:
        // nil, and what MessagePack has no type for (functions, userdata, threads).
        this.writeByte(0xc0);
    }
    lua.pop(1, L);
  }

  private writeString(bytes: Uint8Array): void {
    const length = bytes.length;
    // No bin types: lua-cmsgpack 0.4.0 writes every Lua string as str (str8 included).
    if (length < 32) {
      this.writeByte(0xa0 | length);
    } else if (length <= 0xff) {
      const at = this.reserve(2);
      this.buffer[at] = 0xd9;
      this.buffer[at + 1] = length;
    } else if (length <= 0xffff) {
      const at = this.reserve(3);
      this.buffer[at] = 0xda;
      this.view.setUint16(at + 1, length);
    } else {
      const at = this.reserve(5);
      this.buffer[at] = 0xdb;
      this.view.setUint32(at + 1, length);
    }
    const at = this.reserve(length);
    this.buffer.set(bytes, at);
  }

  private writeNumber(L: number): void {
    const value = this.lua.toNumber(-1, L);
    if (Number.isInteger(value) && value >= -TWO_63 && value < TWO_63) {
      this.writeInteger(value);
    } else if (Math.fround(value) === value) {
      const at = this.reserve(5);
      this.buffer[at] = 0xca;
      this.view.setFloat32(at + 1, value);
    } else {
      const at = this.reserve(9);
      this.buffer[at] = 0xcb;
      if (Number.isNaN(value)) this.view.setBigUint64(at + 1, this.lua.toNumberBits(-1, L));
      else this.view.setFloat64(at + 1, value);
    }
  }

  /** An integral value in [-2^63, 2^63) in the smallest encoding (-0 is 0). */
  private writeInteger(value: number): void {
    if (value >= 0) {
      if (value <= 0x7f) return this.writeByte(value);
      if (value <= 0xff) return this.writeTagged(0xcc, 1, value);
      if (value <= 0xffff) return this.writeTagged(0xcd, 2, value);
      if (value <= 0xffffffff) return this.writeTagged(0xce, 4, value);
      return this.writeTagged(0xcf, 8, value);
    }
    if (value >= -32) return this.writeByte(value & 0xff);
    if (value >= -0x80) return this.writeTagged(0xd0, 1, value);
    if (value >= -0x8000) return this.writeTagged(0xd1, 2, value);
    if (value >= -0x80000000) return this.writeTagged(0xd2, 4, value);
    return this.writeTagged(0xd3, 8, value);
  }

  /** A type byte and `size` big-endian bytes of the two's complement of `value`. */
  private writeTagged(tag: number, size: 1 | 2 | 4 | 8, value: number): void {
    const at = this.reserve(1 + size);
    this.buffer[at] = tag;
    if (size === 1) this.buffer[at + 1] = value & 0xff;
    else if (size === 2) this.view.setUint16(at + 1, value & 0xffff);
    else if (size === 4) this.view.setUint32(at + 1, value >>> 0);
    else {
      // Exact for every integral double in range: dividing by 2^32 only moves the
      // exponent, and what the floor leaves is a multiple of the value's last bit.
      const high = Math.floor(value / TWO_32);
      this.view.setInt32(at + 1, high);
      this.view.setUint32(at + 5, value - high * TWO_32);
    }
  }

  private writeCollectionHeader(count: number, fixTag: number, tag16: number, tag32: number): void {
    if (count <= 15) {
      this.writeByte(fixTag | count);
    } else if (count <= 0xffff) {
      const at = this.reserve(3);
      this.buffer[at] = tag16;
      this.view.setUint16(at + 1, count);
    } else {
      const at = this.reserve(5);
      this.buffer[at] = tag32;
      this.view.setUint32(at + 1, count);
    }
  }

  private writeTable(L: number, level: number): void {
    const lua = this.lua;
    if (this.isArray(L)) {
      const length = lua.length(-1, L);
      this.writeCollectionHeader(length, 0x90, 0xdc, 0xdd);
      lua.ensureStack(1, STACK_PACK_ARRAY, L);
      for (let index = 1; index <= length; index++) {
        lua.rawGetI(-1, index, L);
        this.packTop(L, level + 1);
      }
      return;
    }
    lua.ensureStack(3, STACK_PACK_MAP, L);
    // The header needs the count first, and lua_next is the only way to count.
    let count = 0;
    lua.pushNil(L);
    while (lua.next(-2, L)) {
      lua.pop(1, L);
      count++;
    }
    this.writeCollectionHeader(count, 0x80, 0xde, 0xdf);
    lua.pushNil(L);
    while (lua.next(-2, L)) {
      lua.pushValue(-2, L); // a copy of the key to encode; the original drives lua_next
      this.packTop(L, level + 1);
      this.packTop(L, level + 1);
    }
  }

  /**
   * table_is_an_array: every key is an integer in 1..INT_MAX (a C int holds it) and the
   * largest equals the count, so the keys are exactly 1..n. The empty table is an array.
   */
  private isArray(L: number): boolean {
    const lua = this.lua;
    lua.ensureStack(2, STACK_ARRAY_CHECK, L);
    const stackTop = lua.top(L);
    let count = 0;
    let largest = 0;
    lua.pushNil(L);
    while (lua.next(-2, L)) {
      lua.pop(1, L);
      const key = lua.type(-1, L) === LUA_TNUMBER ? lua.toNumber(-1, L) : 0;
      if (!(key > 0 && key <= INT_MAX && Number.isInteger(key))) {
        lua.setTop(stackTop, L);
        return false;
      }
      if (key > largest) largest = key;
      count++;
    }
    return largest === count;
  }
}

// ---- unpacking -------------------------------------------------------------------

/** Why decoding stopped early; turned into the Lua error by unpackFull. */
const MISSING_BYTES = "Missing bytes in input.";
const BAD_FORMAT = "Bad data format in input.";

/** Where a float's bytes are read (Unpacker.floatBytes). */
const floatScratch = new Uint8Array(8);
const floatView = new DataView(floatScratch.buffer);

class DecodeError {
  constructor(readonly message: string) {}
}

/**
 * mp_unpack_full: decodes up to `limit` values from byte `offset` of the string argument
 * and returns them; unless it is asked for everything (both 0), the offset to continue
 * from goes first, -1 once the input is used up.
 */
function unpackFull(lua: LuaState, L: number, limit: number, offset: number): number {
  const decodeAll = limit === 0 && offset === 0;
  const input = lua.checkBytes(1, L);
  const length = input.length;
  if (offset < 0 || limit < 0) {
    // Redis prints the input length where it means the limit.
    lua.raiseWithPosition(`Invalid request to unpack with offset of ${toInt32(offset)} and limit of ${toInt32(length)}.`, L);
  } else if (offset > length) {
    lua.raiseWithPosition(`Start offset ${toInt32(offset)} greater than input length ${toInt32(length)}.`, L);
  }
  if (decodeAll) limit = INT_MAX;

  const unpacker = new Unpacker(lua, L, input, offset);
  let count = 0;
  try {
    for (; unpacker.left() > 0 && count < limit; count++) unpacker.decode();
  } catch (error) {
    if (error instanceof DecodeError) lua.raiseWithPosition(error.message, L);
    throw error;
  }

  if (!decodeAll) {
    lua.ensureStack(1, STACK_UNPACK_OFFSET, L);
    const left = unpacker.left();
    lua.pushNumber(left === 0 ? -1 : length - left, L);
    lua.insert(2, L);
    count++;
  }
  return count;
}

/** Decodes MessagePack values from a byte string onto the Lua stack. */
class Unpacker {
  constructor(
    private readonly lua: LuaState,
    private readonly L: number,
    private readonly input: Uint8Array,
    private position: number,
  ) {}

  // Big-endian reads by hand: a DataView over the input would need `input.buffer`, which
  // for a small fresh array makes the engine allocate its ArrayBuffer (100-250 ns a call).
  private uint16(at: number): number {
    const input = this.input;
    return (input[at]! << 8) | input[at + 1]!;
  }

  private int32(at: number): number {
    const input = this.input;
    return (input[at]! << 24) | (input[at + 1]! << 16) | (input[at + 2]! << 8) | input[at + 3]!;
  }

  private uint32(at: number): number {
    return this.int32(at) >>> 0;
  }

  /** The `size` bytes at `at` in floatScratch, for its DataView to read. */
  private floatBytes(at: number, size: number): DataView {
    for (let i = 0; i < size; i++) floatScratch[i] = this.input[at + i]!;
    return floatView;
  }

  left(): number {
    return this.input.length - this.position;
  }

  private need(size: number): void {
    if (this.input.length - this.position < size) throw new DecodeError(MISSING_BYTES);
  }

  /** Pushes the next value (a table holds everything inside it). */
  decode(): void {
    const { lua, L } = this;
    this.need(1);
    lua.ensureStack(1, STACK_UNPACK_VALUE, L);
    const at = this.position;
    const tag = this.input[at]!;
    if (tag <= 0x7f) {
      lua.pushNumber(tag, L);
      this.position += 1;
    } else if (tag >= 0xe0) {
      lua.pushNumber(tag - 0x100, L);
      this.position += 1;
    } else if ((tag & 0xe0) === 0xa0) {
      this.decodeString(1, tag & 0x1f);
    } else if ((tag & 0xf0) === 0x90) {
      this.position += 1;
      this.decodeArray(tag & 0x0f);
    } else if ((tag & 0xf0) === 0x80) {
      this.position += 1;
      this.decodeMap(tag & 0x0f);
    } else {
      switch (tag) {
        case 0xc0:
          lua.pushNil(L);
          this.position += 1;
          break;
        case 0xc2:
        case 0xc3:
          lua.pushBoolean(tag === 0xc3, L);
          this.position += 1;
          break;
        case 0xcc:
          this.need(2);
          lua.pushNumber(this.input[at + 1]!, L);
          this.position += 2;
          break;
        case 0xcd:
          this.need(3);
          lua.pushNumber(this.uint16(at + 1), L);
          this.position += 3;
          break;
        case 0xce:
          this.need(5);
          lua.pushNumber(this.uint32(at + 1), L);
          this.position += 5;
          break;
        case 0xcf:
        case 0xd3:
          // Redis reads uint64 into a signed int64 too (lua_pushinteger on 64-bit), so
          // both read signed; the sum rounds once, to nearest-even, as the C cast does.
          this.need(9);
          lua.pushNumber(this.int32(at + 1) * TWO_32 + this.uint32(at + 5), L);
          this.position += 9;
          break;
        case 0xd0:
          this.need(2);
          lua.pushNumber((this.input[at + 1]! << 24) >> 24, L);
          this.position += 2;
          break;
        case 0xd1:
          this.need(3);
          lua.pushNumber((this.uint16(at + 1) << 16) >> 16, L);
          this.position += 3;
          break;
        case 0xd2:
          this.need(5);
          lua.pushNumber(this.int32(at + 1), L);
          this.position += 5;
          break;
        case 0xca: {
          this.need(5);
          const value = this.floatBytes(at + 1, 4).getFloat32(0);
          if (Number.isNaN(value)) lua.pushNumberBits(float32NaNToFloat64(this.uint32(at + 1)), L);
          else lua.pushNumber(value, L);
          this.position += 5;
          break;
        }
        case 0xcb: {
          this.need(9);
          const view = this.floatBytes(at + 1, 8);
          const value = view.getFloat64(0);
          if (Number.isNaN(value)) lua.pushNumberBits(view.getBigUint64(0), L);
          else lua.pushNumber(value, L);
          this.position += 9;
          break;
        }
        case 0xd9:
          this.need(2);
          this.decodeString(2, this.input[at + 1]!);
          break;
        case 0xda:
          this.need(3);
          this.decodeString(3, this.uint16(at + 1));
          break;
        case 0xdb:
          this.need(5);
          this.decodeString(5, this.uint32(at + 1));
          break;
        case 0xdc:
          this.need(3);
          this.position += 3;
          this.decodeArray(this.uint16(at + 1));
          break;
        case 0xdd:
          this.need(5);
          this.position += 5;
          this.decodeArray(this.uint32(at + 1));
          break;
        case 0xde:
          this.need(3);
          this.position += 3;
          this.decodeMap(this.uint16(at + 1));
          break;
        case 0xdf:
          this.need(5);
          this.position += 5;
          this.decodeMap(this.uint32(at + 1));
          break;
        default:
          // 0xc1, bin 8/16/32, ext 8/16/32, fixext 1..16: unknown to lua-cmsgpack 0.4.0.
          throw new DecodeError(BAD_FORMAT);
      }
    }
  }

  private decodeString(headerSize: number, length: number): void {
    this.need(headerSize + length);
    const start = this.position + headerSize;
    this.lua.pushByteRange(this.input, start, start + length, this.L);
    this.position = start + length;
  }

  /** A table with the `count` values that follow at keys 1..count (a nil leaves its hole). */
  private decodeArray(count: number): void {
    const { lua, L } = this;
    lua.newTable(0, 0, L);
    lua.ensureStack(1, STACK_UNPACK_ARRAY, L);
    for (let index = 1; index <= count; index++) {
      lua.pushNumber(index, L);
      this.decode();
      // lua_rawset on a fresh table is the lua_settable Redis calls (no metatable).
      lua.rawSet(-3, L);
    }
  }

  /** A table of `count` key/value pairs, set in input order (a nil or NaN key is a Lua error). */
  private decodeMap(count: number): void {
    const { lua, L } = this;
    lua.newTable(0, 0, L);
    for (let pair = 0; pair < count; pair++) {
      this.decode();
      this.decode();
      lua.rawSet(-3, L);
    }
  }
}

/**
 * The double a C float-to-double conversion makes of a float NaN on x86: sign kept,
 * payload moved to the top of the double's fraction, and quieted.
 */
function float32NaNToFloat64(floatBits: number): bigint {
  const sign = BigInt(floatBits >>> 31) << 63n;
  const payload = BigInt(floatBits & 0x7fffff) << 29n;
  return sign | 0x7ff8000000000000n | payload;
}
