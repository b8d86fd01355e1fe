// The globals a script sees, protected as Redis 7.0 protects them.
//
// Redis patches its Lua VM with read-only tables: after set-up it marks the globals
// table and every table reachable from it (string, math, redis, cjson...) read-only,
// so that no script can leave anything behind for the next one, and gives the globals
// table an __index that turns a read of a missing global into an error. Our VM is
// stock Lua 5.1, so the same guarantees are built from what Lua has:
//
//   every protected table T is put behind a new, empty *proxy* P: P's metatable reads
//   through to T (__index = T, a table, so a read costs the VM one more table lookup
//   and no function call) and refuses every write (__newindex raises "Attempt to
//   modify a readonly table" with the script's position, as the patched VM does).
//   Every reference a script can reach is then pointed at the proxy instead of the
//   table: the fields of the protected tables (_G.string, _G._G...), the strings'
//   metatable's __index, and the globals themselves (the proxy of the globals table
//   becomes the thread's globals, which scripts compiled later get as environment).
//
// The tables themselves stay as the libraries built them, unreachable from scripts:
// so `pairs` lists their keys in the order Redis's VM does, which depends on the
// history of each table's hash part (its size, the order its keys came in). For the
// same reason allowListGlobals filters the globals while the libraries open, as
// Redis's luaSetAllowListProtection does: a global Redis never adds (print, dofile...)
// must not be added and removed here, or its dead slot would change the order.
//
// Metatables cannot be proxies (the VM reads them with raw lookups), so the two a
// script can reach (the globals' and the strings') stay as they are and getmetatable
// hands out a read-only proxy of them instead.
//
// A stock VM lets a few functions bypass metatables: rawset, rawget, next (and pairs,
// which returns it), setmetatable, getmetatable, and table.insert, which writes with
// raw operations. Those are replaced by C functions that look through a proxy to its
// table for reading and raise the patched VM's error for writing. (table.remove and
// table.sort write nothing into a table of length 0, which every proxy is, and Redis's
// VM raises nothing for them either.) What the patched VM reports and ours does not:
// table.foreach and unpack over a protected table see it empty (no script has a reason
// to walk a library table so).

import { type LuaState, LUA_GLOBALSINDEX, LUA_TNIL, LUA_TSTRING, LUA_TNUMBER, LUA_TTABLE } from "./lua.ts";
import { toCIntViaLong } from "./lib/lp64.ts";
import { logger } from "../log.ts";
import { bytesToKey } from "../db/bytes.ts";

export const READONLY_ERROR = "Attempt to modify a readonly table";

/** The globals Redis 7.0 lets the libraries add (its allow lists), in any order. */
const GLOBALS_ALLOW_LIST = new Set([
  // libraries
  "string", "cjson", "bit", "cmsgpack", "math", "table", "struct",
  // the Redis API
  "redis", "__redis__err__handler",
  // Lua builtins (getfenv, setfenv and newproxy are not: see the deny list)
  "xpcall", "tostring", "setmetatable", "next", "assert", "tonumber", "rawequal", "collectgarbage", "getmetatable",
  "rawset", "pcall", "coroutine", "type", "_G", "select", "unpack", "gcinfo", "pairs", "rawget", "loadstring",
  "ipairs", "_VERSION", "load", "error",
  // removed right after initialization (the error handler keeps it, then sets it to nil)
  "debug",
]);

/**
 * Globals left out without a warning. getfenv, setfenv and newproxy are on Redis 7.0's
 * allow list, but the redis-server 7.0.15 we compare with (Debian's, with the fix for
 * CVE-2025-46818) does not have them, and neither do we.
 */
const GLOBALS_DENY_LIST = new Set(["dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy"]);

/**
 * luaSetAllowListProtection: until protectGlobals, a new global is only added when the
 * allow list has it; others are dropped (with a warning when the deny list does not
 * name them either). Call on a fresh state, before opening the libraries.
 */
export function allowListGlobals(lua: LuaState): void {
  lua.pushValue(LUA_GLOBALSINDEX);
  lua.newTable();
  lua.pushFunction((L) => {
    // (table, key, value): a new key of the globals.
    const type = lua.type(2, L);
    if (type !== LUA_TSTRING && type !== LUA_TNUMBER) return lua.raiseWithPosition("Second argument to luaNewIndexAllowList must be a string or number", L);
    const name = bytesToKey(lua.toBytes(2, L)!);
    if (GLOBALS_ALLOW_LIST.has(name)) {
      lua.setTop(3, L);
      lua.rawSet(1, L);
    } else if (!GLOBALS_DENY_LIST.has(name)) {
      logger.warning(`A key '${name}' was added to Lua globals which is not on the globals allow list nor listed on the deny list.`);
    }
    return 0;
  });
  lua.setField(-2, "__newindex");
  lua.setMetatable(-2);
  lua.pop(1);
}

/**
 * Builds the protection over the globals of `lua`: call once the globals hold every
 * library and function scripts may see. Returns the registry reference of the globals
 * table itself (now behind its proxy), where the server sets KEYS and ARGV (Redis lifts
 * the read-only flag for that).
 */
export function protectGlobals(lua: LuaState): number {
  // registry[hiddenOf] = { [proxy] = table }, and registry[proxyOf] = { [metatable] = proxy }.
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

  /** Pushes the table behind the proxy at `index` and returns true, or pushes nothing. */
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

  /** Gives the proxy at `proxyIndex` the table at `hiddenIndex`: the metatable and the registry entry. */
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

  // While protecting: { [table] = proxy } for every table visited (dropped at the end).
  lua.newTable();
  const proxies = lua.ref();

  /**
   * Puts the table on top of the stack behind a proxy, which replaces it there, and
   * every table it holds, whose fields then name their proxies. Only values of
   * existing keys change: the table's layout, and so the order of pairs, stays.
   */
  const protect = (): void => {
    lua.checkStack(8);
    const tableIndex = lua.top();
    lua.pushRef(proxies);
    lua.pushValue(tableIndex);
    lua.rawGet(-2);
    if (lua.type(-1) !== LUA_TNIL) {
      lua.module._lua_replace(lua.L, tableIndex);
      lua.pop(1);
      return;
    }
    lua.pop(1);
    lua.newTable();
    const proxyIndex = tableIndex + 2;
    lua.pushValue(tableIndex);
    lua.pushValue(proxyIndex);
    lua.rawSet(tableIndex + 1);
    attach(proxyIndex, tableIndex);
    lua.pushNil();
    while (lua.next(tableIndex)) {
      if (lua.type(-1) === LUA_TTABLE) {
        protect();
        // Assigning an existing key while traversing is allowed (lua_next's contract).
        lua.pushValue(-2);
        lua.insert(-2);
        lua.rawSet(tableIndex);
      } else lua.pop(1);
    }
    // A metatable the table has (the globals' error __index) stays its own: getmetatable
    // hands out a read-only proxy of it.
    if (lua.getMetatable(tableIndex)) protectMetatable();
    lua.module._lua_replace(lua.L, tableIndex);
    lua.pop(1);
  };

  /** Registers a read-only proxy for the metatable on top of the stack (popped), and points its fields at proxies. */
  const protectMetatable = (): void => {
    const metatableIndex = lua.top();
    lua.pushNil();
    while (lua.next(metatableIndex)) {
      if (lua.type(-1) === LUA_TTABLE) {
        protect();
        lua.pushValue(-2);
        lua.insert(-2);
        lua.rawSet(metatableIndex);
      } else lua.pop(1);
    }
    lua.newTable();
    attach(metatableIndex + 1, metatableIndex);
    lua.pushRef(proxyOf);
    lua.pushValue(metatableIndex);
    lua.pushValue(metatableIndex + 1);
    lua.rawSet(-3);
    lua.pop(3);
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

  // luaB_setmetatable, with its checks made here so that their errors name the function
  // and the script's line (a C function called from this one would have neither).
  lua.pushFunction((L) => {
    const type = lua.type(2, L);
    checkTable(1, L);
    if (type !== LUA_TNIL && type !== LUA_TTABLE) lua.argumentError(2, "nil or table expected", L);
    if (pushHidden(1, L)) raiseReadonly(L);
    if (lua.getMetatable(1, L)) {
      lua.pushString("__metatable", L);
      lua.rawGet(-2, L);
      if (lua.type(-1, L) !== LUA_TNIL) lua.raiseWithPosition("cannot change a protected metatable", L);
    }
    lua.setTop(2, L);
    lua.setMetatable(1, L);
    return 1;
  });
  lua.setGlobal("setmetatable");

  lua.getGlobal("getmetatable");
  const originalGetMetatable = lua.ref();
  lua.pushFunction((L) => {
    lua.checkAny(1, L);
    lua.setTop(1, L);
    // A proxy's own metatable is machinery: what the script sees is its table's.
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

  // table.insert writes with raw operations: on a proxy it raises as the patched VM's
  // lua_rawseti does, after tinsert's own argument checks (made here for all tables, so
  // that their errors name the function and the script's line).
  lua.getGlobal("table");
  lua.getField(-1, "insert");
  const originalInsert = lua.ref();
  lua.pushFunction((L) => {
    checkTable(1, L);
    const argc = lua.top(L);
    if (argc !== 2 && argc !== 3) return lua.raiseWithPosition("wrong number of arguments to 'insert'", L);
    if (argc === 3) toCIntViaLong(lua.checkNumber(2, L));
    if (pushHidden(1, L)) raiseReadonly(L);
    lua.pushRef(originalInsert, L);
    lua.insert(1, L);
    lua.module._lua_call(L, argc, 0);
    return 0;
  });
  lua.setField(-2, "insert");
  lua.pop(1);

  // The globals' metatable: reading a missing global is an error.
  lua.pushValue(LUA_GLOBALSINDEX);
  setErrorMetatable(lua);

  // The globals, then the strings' metatable (its __index is the string library, by then
  // behind its proxy); the globals' proxy becomes the thread's globals.
  lua.pushValue(-1);
  const globalsRef = lua.ref();
  protect();
  lua.module._lua_replace(lua.L, LUA_GLOBALSINDEX);
  lua.pushString("");
  lua.getMetatable(-1);
  protectMetatable();
  lua.pop(1);
  lua.unref(proxies);
  return globalsRef;
}

/**
 * luaSetErrorMetatable: reading a missing field of the table on top of the stack raises
 * "Script attempted to access nonexistent global variable" (the globals, and the
 * load-time API of function libraries).
 */
export function setErrorMetatable(lua: LuaState): void {
  lua.newTable();
  lua.pushFunction((L) => {
    const type = lua.type(-1, L);
    if (type !== LUA_TSTRING && type !== LUA_TNUMBER) return lua.raiseWithPosition("Second argument to luaProtectedTableError must be a string or number", L);
    return lua.raiseWithPosition(`Script attempted to access nonexistent global variable '${bytesToKey(lua.toBytes(-1, L)!)}'`, L);
  });
  lua.setField(-2, "__index");
  lua.setMetatable(-2);
}
