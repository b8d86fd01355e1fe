// The globals a script sees, protected as Redis 7.0 protects them.
//
// Redis patches its Lua VM with read-only tables: after set-up it marks the globals
// table and every table reachable from it (string, math, redis, cjson...) read-only,
// so that no script can leave anything behind for the next one, and gives the globals
// table an __index that turns a read of a missing global into an error. Our VM is
// stock Lua 5.1, so the same guarantees are built from what Lua has:
//
//   every protected table becomes an empty *proxy* in place (same identity, so every
//   reference the libraries hold still works); its contents move to a hidden table;
//   the proxy's metatable reads through to the hidden table (__index = hidden, a table,
//   so a read costs the VM one more table lookup and no function call) and refuses
//   every write (__newindex raises "Attempt to modify a readonly table" with the
//   script's position, as the patched VM does).
//
// Metatables cannot be proxies (the VM reads them with raw lookups), so the two a
// script can reach (the globals' and the strings') stay as they are and
// getmetatable hands out a read-only proxy of them instead.
//
// A stock VM lets a few functions bypass metatables: rawset, rawget, next (and pairs,
// which returns it), setmetatable, getmetatable, and table.insert/remove/sort, which
// write with raw operations. Those are replaced by C functions that look through a
// proxy to its hidden table for reading and raise the patched VM's error for writing.
// What the patched VM reports and ours does not: table.foreach and unpack over a
// protected table see it empty (no script has a reason to walk a library table so).

import { type LuaState, LUA_GLOBALSINDEX, LUA_TNIL, LUA_TSTRING, LUA_TNUMBER, LUA_TTABLE } from "./lua.ts";

export const READONLY_ERROR = "Attempt to modify a readonly table";

/** Registry references protectGlobals hands back. */
export interface ProtectedGlobals {
  /** The hidden globals table: where the server sets KEYS and ARGV (Redis lifts the read-only flag for that). */
  hiddenGlobals: number;
  /**
   * The globals proxy's metatable: its __index is the hidden globals, and a function
   * library's load code runs with it pointed at the load-time API instead.
   */
  globalsMetatable: number;
}

/**
 * Builds the protection over the globals of `lua`: call once the globals hold every
 * library and function scripts may see.
 */
export function protectGlobals(lua: LuaState): ProtectedGlobals {
  // registry[hiddenOf] = { [proxy] = hidden }, and registry[proxyOf] = { [metatable] = proxy }.
  const weakTable = (): number => {
    lua.newTable();
    lua.newTable();
    lua.pushString("k");
    lua.setField(-2, "__mode");
    lua.setMetatable(-2);
    return lua.ref();
  };
  const hiddenOf = weakTable();
  const proxyOf = weakTable();

  /** Pushes the hidden table of the proxy at `index` and returns true, or pushes nothing. */
  const pushHidden = (index: number, L: number): boolean => {
    const absolute = index < 0 ? lua.top(L) + index + 1 : index;
    lua.pushRef(hiddenOf, L);
    lua.pushValue(absolute, L);
    lua.rawGet(-2, L);
    if (lua.type(-1, L) === LUA_TNIL) {
      lua.pop(2, L);
      return false;
    }
    lua.remove(-2, L);
    return true;
  };
  const raiseReadonly = (L: number): never => lua.raise(READONLY_ERROR, L);
  const checkTable = (position: number, L: number): void => lua.checkType(position, LUA_TTABLE, L);

  lua.pushFunction((L) => lua.raiseWithPosition(READONLY_ERROR, L));
  const newIndexRef = lua.ref();

  /** Gives the proxy at `proxyIndex` its hidden table at `hiddenIndex`: the metatable and the registry entry. */
  const attach = (proxyIndex: number, hiddenIndex: number): void => {
    lua.pushRef(hiddenOf);
    lua.pushValue(proxyIndex);
    lua.pushValue(hiddenIndex);
    lua.rawSet(-3);
    lua.pop(1);
    lua.newTable();
    lua.pushValue(hiddenIndex);
    lua.setField(-2, "__index");
    lua.pushRef(newIndexRef);
    lua.setField(-2, "__newindex");
    lua.setMetatable(proxyIndex);
  };

  /** Turns the table on top of the stack into a proxy in place, and every table it holds. */
  const visited = new Set<number>();
  const protect = (): void => {
    const pointer = lua.toPointer(-1);
    if (visited.has(pointer)) return;
    visited.add(pointer);
    lua.checkStack(8);
    const tableIndex = lua.top();
    lua.newTable();
    const hiddenIndex = tableIndex + 1;
    lua.pushNil();
    while (lua.next(tableIndex)) {
      lua.pushValue(-2);
      lua.insert(-2);
      lua.rawSet(hiddenIndex);
    }
    lua.pushNil();
    while (lua.next(hiddenIndex)) {
      lua.pop(1);
      lua.pushValue(-1);
      lua.pushNil();
      lua.rawSet(tableIndex);
    }
    lua.pushNil();
    while (lua.next(hiddenIndex)) {
      if (lua.type(-1) === LUA_TTABLE) protect();
      lua.pop(1);
    }
    // A metatable the table had (the globals' error __index) now serves the hidden table.
    if (lua.getMetatable(tableIndex)) {
      protectMetatable();
      lua.setMetatable(hiddenIndex);
    }
    attach(tableIndex, hiddenIndex);
    lua.pop(1);
  };

  /** Registers a read-only proxy for the metatable on top of the stack (left in place). */
  const protectMetatable = (): void => {
    const metatableIndex = lua.top();
    lua.newTable();
    attach(metatableIndex + 1, metatableIndex);
    lua.pushRef(proxyOf);
    lua.pushValue(metatableIndex);
    lua.pushValue(metatableIndex + 1);
    lua.rawSet(-3);
    lua.pop(2);
  };

  // ---- the functions that would bypass the protection ----
  lua.pushFunction((L) => {
    checkTable(1, L);
    lua.checkAny(2, L);
    lua.checkAny(3, L);
    if (pushHidden(1, L)) raiseReadonly(L);
    lua.setTop(3, L);
    lua.rawSet(1, L);
    return 1;
  });
  lua.setGlobal("rawset");

  lua.pushFunction((L) => {
    checkTable(1, L);
    lua.checkAny(2, L);
    lua.setTop(2, L);
    if (pushHidden(1, L)) lua.module._lua_replace(L, 1);
    lua.rawGet(1, L);
    return 1;
  });
  lua.setGlobal("rawget");

  lua.getGlobal("next");
  const originalNextRef = lua.ref();
  lua.pushFunction((L) => {
    checkTable(1, L);
    lua.setTop(2, L);
    if (pushHidden(1, L)) lua.module._lua_replace(L, 1);
    if (lua.next(1, L)) return 2;
    lua.pushNil(L);
    return 1;
  });
  lua.pushValue(-1);
  const nextRef = lua.ref();
  lua.setGlobal("next");
  // pairs keeps Lua's own next for ordinary tables (no call into JavaScript per step).
  lua.pushFunction((L) => {
    checkTable(1, L);
    lua.setTop(1, L);
    if (pushHidden(1, L)) {
      lua.pop(1, L);
      lua.pushRef(nextRef, L);
    } else lua.pushRef(originalNextRef, L);
    lua.insert(1, L);
    lua.pushNil(L);
    return 3;
  });
  lua.setGlobal("pairs");

  lua.getGlobal("setmetatable");
  const originalSetMetatable = lua.ref();
  lua.pushFunction((L) => {
    checkTable(1, L);
    if (pushHidden(1, L)) raiseReadonly(L);
    lua.setTop(2, L);
    lua.pushRef(originalSetMetatable, L);
    lua.insert(1, L);
    lua.module._lua_call(L, 2, 1);
    return 1;
  });
  lua.setGlobal("setmetatable");

  lua.getGlobal("getmetatable");
  const originalGetMetatable = lua.ref();
  lua.pushFunction((L) => {
    lua.checkAny(1, L);
    lua.setTop(1, L);
    // A proxy's own metatable is machinery: what the script sees is its hidden table's.
    if (lua.type(1, L) === LUA_TTABLE && pushHidden(1, L)) lua.module._lua_replace(L, 1);
    lua.pushRef(originalGetMetatable, L);
    lua.insert(1, L);
    lua.module._lua_call(L, 1, 1);
    if (lua.type(1, L) === LUA_TTABLE) {
      lua.pushRef(proxyOf, L);
      lua.pushValue(1, L);
      lua.rawGet(-2, L);
      if (lua.type(-1, L) !== LUA_TNIL) return 1;
      lua.pop(2, L);
    }
    return 1;
  });
  lua.setGlobal("getmetatable");

  // table.insert/remove/sort write with raw operations: refuse them on protected tables.
  lua.getGlobal("table");
  const tableLibrary = lua.top();
  for (const name of ["insert", "remove", "sort"]) {
    lua.getField(tableLibrary, name);
    const original = lua.ref();
    lua.pushFunction((L) => {
      if (lua.type(1, L) === LUA_TTABLE && pushHidden(1, L)) raiseReadonly(L);
      lua.pushRef(original, L);
      lua.insert(1, L);
      lua.module._lua_call(L, lua.top(L) - 1, -1);
      return lua.top(L);
    });
    lua.setField(tableLibrary, name);
  }
  lua.pop(1);

  // The strings' metatable: its __index (the string library) is protected with the rest.
  lua.pushString("");
  lua.getMetatable(-1);
  protectMetatable();
  lua.pop(2);

  // The globals' metatable: reading a missing global is an error (Redis's luaSetErrorMetatable).
  lua.pushValue(LUA_GLOBALSINDEX);
  lua.newTable();
  lua.pushFunction((L) => {
    const type = lua.type(-1, L);
    if (type !== LUA_TSTRING && type !== LUA_TNUMBER) return lua.raiseWithPosition("Second argument to luaProtectedTableError must be a string or number", L);
    const name = Buffer.from(lua.toBytes(-1, L)!).toString("latin1");
    return lua.raiseWithPosition(`Script attempted to access nonexistent global variable '${name}'`, L);
  });
  lua.setField(-2, "__index");
  lua.setMetatable(-2);

  protect();
  pushHidden(-1, lua.L);
  const hiddenGlobals = lua.ref();
  lua.module._lua_getmetatable(lua.L, -1);
  const globalsMetatable = lua.ref();
  lua.pop(1);
  return { hiddenGlobals, globalsMetatable };
}
