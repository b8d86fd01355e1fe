// The libraries Redis 7.0 gives scripts beyond Lua's own, each written in TypeScript
// over the VM's C API: cjson, struct, cmsgpack and bit, Redis's math.random, and the
// replacements that give the VM's 32-bit build of string.format and tonumber Redis's
// 64-bit results.

import type { LuaState } from "../lua.ts";
import { openBit } from "./bit.ts";
import { openCjson } from "./cjson.ts";
import { openCmsgpack } from "./cmsgpack.ts";
import { openLuaOverrides } from "./lua-overrides.ts";
import { openMathRandom } from "./math-random.ts";
import { openStruct } from "./struct.ts";

/**
 * Opens every library into the globals of `lua` (before the globals are protected), in
 * the order Redis loads them. `insideScript` tells math.randomseed whether a script
 * invocation is running (a function library's load code is not one).
 */
export function openScriptLibraries(lua: LuaState, insideScript: () => boolean): void {
  openCjson(lua);
  openStruct(lua);
  openCmsgpack(lua);
  openBit(lua);
  openLuaOverrides(lua);
  openMathRandom(lua, insideScript);
}
