// Function libraries (Redis 7.0's functions.c and function_lua.c): FUNCTION LOAD keeps a
// library's code, runs it once in the functions' own Lua state so that it registers
// its functions (redis.register_function), and FCALL calls one of them by name.
//
// The functions' Lua state has the same globals as EVAL's, protected the same way
// (sandbox.ts), without EVAL's KEYS/ARGV globals (a function gets keys and arguments as
// its two parameters) and without the debugger's redis.breakpoint/debug. While a
// library's code loads, the globals proxy reads from a load-time API instead of the
// globals: only redis.register_function, redis.log, the LOG_* levels and the version
// fields exist then; anything else is "Script attempted to access nonexistent global
// variable". The loaded code's functions keep the globals table itself, so once the
// load is over they see the ordinary globals, as in Redis.
//
// Libraries are data: they are saved in the RDB (RDB_OPCODE_FUNCTION2, the code as a
// string), in the AOF's base, and they propagate as the FUNCTION commands that changed
// them.

import { LuaState, LUA_GLOBALSINDEX, LUA_OK, LUA_TFUNCTION, LUA_TNIL, LUA_TSTRING, LUA_TNUMBER, LUA_TTABLE, LUA_MASKCOUNT, LUA_MASKLINE } from "./lua.ts";
import { protectGlobals, setErrorMetatable } from "./sandbox.ts";
import { ERROR_HANDLER_SOURCE, killScriptFromHook, pushErrorTable, newScriptState, pushArgumentArray, runLuaFunction, registerLogAndVersion, type ScriptHost } from "./script-lua.ts";
import { SCRIPT_FLAG_NAMES, type ScriptRunner } from "./script.ts";
import { splitInlineArgs } from "../protocol/inline.ts";
import type { Client } from "../net/client.ts";
import { bytesToKey } from "../db/bytes.ts";

export interface FunctionInfo {
  readonly name: string;
  readonly description: Uint8Array | null;
  readonly flags: number;
  readonly library: LibraryInfo;
  /** Registry reference of the Lua callback. */
  readonly ref: number;
}

export interface LibraryInfo {
  readonly name: string;
  /** The engine's name as registered ("LUA"). */
  readonly engine: string;
  /** The whole code, shebang included, as FUNCTION LIST WITHCODE and the RDB keep it. */
  readonly code: Uint8Array;
  readonly functions: Map<string, FunctionInfo>;
}

const ENGINE_NAME = "LUA";
/** Where the load-time API waits in the globals until protectGlobals has covered it. */
const LIBRARY_API_NAME = "__LIBRARY_API__";
/** How long a library's load code may run (LOAD_TIMEOUT_MS); no limit for the AOF or a master. */
export const FUNCTION_LOAD_TIMEOUT_MS = 500;
const INVALID_NAME = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";


/** functionsVerifyName: [a-zA-Z0-9_]+ */
function isValidName(name: string): boolean {
  return /^[a-zA-Z0-9_]+$/.test(name);
}

/**
 * The libraries and their functions (functionsLibCtx): libraries by name, and every
 * library's functions in one namespace (a function name is unique across libraries).
 * That namespace ignores case (Redis's functionDictType compares names with
 * strcasecmp): FCALL finds "myFunc" as "MYFUNC", and a library cannot register "F"
 * while another has "f". Library names, and names within a library, keep their case.
 */
export class FunctionLibraries {
  readonly libraries = new Map<string, LibraryInfo>();
  /** By lower-cased name (see above). */
  readonly functions = new Map<string, FunctionInfo>();

  link(library: LibraryInfo): void {
    this.libraries.set(library.name, library);
    for (const [name, fn] of library.functions) this.functions.set(name.toLowerCase(), fn);
  }

  unlink(library: LibraryInfo): void {
    this.libraries.delete(library.name);
    for (const name of library.functions.keys()) this.functions.delete(name.toLowerCase());
  }

  /** A function by name, whatever its case. */
  find(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }

  hasFunction(name: string): boolean {
    return this.functions.has(name.toLowerCase());
  }
}

/** The functions' Lua state and the current libraries (functionsInit, luaEngineInitEngine). */
export class Functions {
  private readonly lua: LuaState;
  private current = new FunctionLibraries();
  private readonly errorHandlerRef: number;
  private readonly globalsMetatableRef: number;
  private readonly hiddenGlobalsRef: number;
  private readonly libraryApiRef: number;
  /** The library being loaded (REGISTRY_LOAD_CTX_NAME): where register_function puts functions. */
  private loading: { library: LibraryInfo; start: number; timeout: number } | null = null;
  private readonly loadHook: number;
  private readonly callHook: number;

  constructor(private readonly host: ScriptHost & { onBusyHook(lua: LuaState, L: number): boolean }) {
    const lua = newScriptState(host, { evalMode: false });
    this.lua = lua;

    // The load-time API, set as a global (raw: it is on no allow list) so that the
    // protection covers it, then taken out of the globals.
    lua.pushValue(LUA_GLOBALSINDEX);
    lua.pushString(LIBRARY_API_NAME);
    lua.newTable();
    lua.newTable();
    lua.setFunctionField("register_function", (L) => this.registerFunction(L));
    registerLogAndVersion(lua);
    setErrorMetatable(lua);
    lua.setField(-2, "redis");
    setErrorMetatable(lua);
    lua.rawSet(-3);
    lua.pop(1);

    // The error handler lives in the registry here (no global of that name for functions).
    const handlerSource = ERROR_HANDLER_SOURCE.replace("function __redis__err__handler(err)", "local error_handler = function (err)") + "return error_handler\n";
    if (lua.load(new TextEncoder().encode(handlerSource), "@err_handler_def") !== LUA_OK || lua.pcall(0, 1) !== LUA_OK) {
      throw new Error(`cannot define the functions' error handler: ${lua.toText(-1)}`);
    }
    this.errorHandlerRef = lua.ref();

    // After protectGlobals the thread's globals are the proxy; its metatable's __index
    // (the globals table) is what a library's load switches to the load-time API.
    this.hiddenGlobalsRef = protectGlobals(lua);
    lua.module._lua_getmetatable(lua.L, LUA_GLOBALSINDEX);
    this.globalsMetatableRef = lua.ref();
    lua.pushRef(this.hiddenGlobalsRef);
    lua.pushString(LIBRARY_API_NAME);
    lua.rawGet(-2);
    this.libraryApiRef = lua.ref();
    lua.pushString(LIBRARY_API_NAME);
    lua.pushNil();
    lua.rawSet(-3);
    lua.pop(1);

    this.loadHook = lua.hookPointer((L) => {
      const loading = this.loading;
      if (loading === null || loading.timeout === 0 || performance.now() - loading.start <= loading.timeout) return;
      lua.setHook(this.loadHook, LUA_MASKLINE, 0, L);
      pushErrorTable(lua, "FUNCTION LOAD timeout", L);
      lua.raiseTop(L);
    });
    this.callHook = lua.hookPointer((L) => {
      if (host.onBusyHook(lua, L)) killScriptFromHook(lua, L, this.callHook);
    });
  }

  get libraries(): ReadonlyMap<string, LibraryInfo> {
    return this.current.libraries;
  }

  /** The engine's n_functions: every library's own count (Redis adds dictSize(li->functions)). */
  get functionCount(): number {
    let count = 0;
    for (const library of this.current.libraries.values()) count += library.functions.size;
    return count;
  }

  find(name: string): FunctionInfo | undefined {
    return this.current.find(name);
  }

  /** used_memory_vm_functions: the functions' Lua state. */
  get vmMemory(): number {
    return this.lua.memoryBytes();
  }

  /** used_memory_functions (functionsMemoryOverhead): the libraries' names and code, and the tables. */
  get overheadMemory(): number {
    let bytes = 200;
    for (const library of this.current.libraries.values()) {
      bytes += 64 + library.name.length + library.code.length;
      for (const fn of library.functions.values()) bytes += 64 + fn.name.length + (fn.description?.length ?? 0);
    }
    return bytes;
  }

  // ---- loading a library ----------------------------------------------------------

  /**
   * functionsCreateWithLibraryCtx: compiles and runs `code` into `target` (the current
   * libraries unless given). Returns the library's name, or the error text.
   */
  create(code: Uint8Array, replace: boolean, timeout: number, target: FunctionLibraries = this.current): string | { error: string } {
    const metadata = extractLibraryMetadata(code);
    if ("error" in metadata) return metadata;
    if (!isValidName(metadata.name)) return { error: INVALID_NAME };
    if (metadata.engine.toUpperCase() !== ENGINE_NAME) return { error: `Engine '${metadata.engine}' not found` };
    let old = target.libraries.get(metadata.name);
    if (old !== undefined && !replace) return { error: `Library '${metadata.name}' already exists` };
    if (old !== undefined) target.unlink(old);
    // The code is kept (FUNCTION LIST WITHCODE, DUMP, the RDB): a copy, as the argument may view the input buffer.
    const library: LibraryInfo = { name: metadata.name, engine: ENGINE_NAME, code: code.slice(), functions: new Map() };
    const fail = (error: string): { error: string } => {
      this.release(library);
      if (old !== undefined) target.link(old);
      return { error };
    };
    const loadError = this.runLoadCode(library, code.subarray(metadata.codeStart), timeout);
    if (loadError !== null) return fail(loadError);
    if (library.functions.size === 0) return fail("No functions registered");
    for (const name of library.functions.keys()) {
      if (target.hasFunction(name)) return fail(`Function ${name} already exists`);
    }
    target.link(library);
    if (old !== undefined) {
      this.release(old);
      old = undefined;
    }
    return library.name;
  }

  /** luaEngineCreate: runs the library's code with the load-time API as its globals. */
  private runLoadCode(library: LibraryInfo, body: Uint8Array, timeout: number): string | null {
    const lua = this.lua;
    this.pointGlobalsAt(this.libraryApiRef);
    try {
      if (lua.load(body, "@user_function") !== LUA_OK) {
        const message = lua.toText(-1) ?? "";
        lua.pop(1);
        return `Error compiling function: ${message}`;
      }
      this.loading = { library, start: performance.now(), timeout };
      lua.setHook(this.loadHook, LUA_MASKCOUNT, 100_000);
      if (lua.pcall(0, 0) !== LUA_OK) {
        const message = errorMessage(lua);
        lua.pop(1);
        return `Error registering functions: ${message}`;
      }
      return null;
    } finally {
      lua.setHook(0, 0, 0);
      this.loading = null;
      this.pointGlobalsAt(this.hiddenGlobalsRef);
      lua.setTop(0);
    }
  }

  /** Sets the globals proxy's __index (the load-time API while a library loads). */
  private pointGlobalsAt(tableRef: number): void {
    const lua = this.lua;
    lua.pushRef(this.globalsMetatableRef);
    lua.pushString("__index");
    lua.pushRef(tableRef);
    lua.rawSet(-3);
    lua.pop(1);
  }

  /** Frees a library's callbacks (engineLibraryFree). */
  private release(library: LibraryInfo): void {
    for (const fn of library.functions.values()) this.lua.unref(fn.ref);
  }

  /** redis.register_function(name, callback) or redis.register_function{function_name=..., callback=..., flags=..., description=...}. */
  private registerFunction(L: number): number {
    const lua = this.lua;
    const loading = this.loading;
    if (loading === null) return raise(lua, L, "redis.register_function can only be called on FUNCTION LOAD command");
    const argc = lua.top(L);
    if (argc < 1 || argc > 2) return raise(lua, L, "wrong number of arguments to redis.register_function");
    let name: string | null = null;
    let description: Uint8Array | null = null;
    let flags = 0;
    let ref = -1;
    const dropRef = (): void => {
      if (ref !== -1) lua.unref(ref, L);
      ref = -1;
    };
    if (argc === 1) {
      if (lua.type(1, L) !== LUA_TTABLE) return raise(lua, L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
      lua.pushNil(L);
      while (lua.next(1, L)) {
        if (!lua.isString(-2, L)) {
          dropRef();
          return raise(lua, L, "named argument key given to redis.register_function is not a string");
        }
        const key = bytesToKey(lua.toBytes(-2, L)!).split("\0")[0]!.toLowerCase();
        if (key === "function_name") {
          if (!lua.isString(-1, L)) {
            dropRef();
            return raise(lua, L, "function_name argument given to redis.register_function must be a string");
          }
          name = bytesToKey(lua.toBytes(-1, L)!);
        } else if (key === "description") {
          if (!lua.isString(-1, L)) {
            dropRef();
            return raise(lua, L, "description argument given to redis.register_function must be a string");
          }
          description = lua.toBytes(-1, L)!;
        } else if (key === "callback") {
          if (lua.type(-1, L) !== LUA_TFUNCTION) {
            dropRef();
            return raise(lua, L, "callback argument given to redis.register_function must be a function");
          }
          dropRef();
          ref = lua.ref(L);
          continue;
        } else if (key === "flags") {
          if (lua.type(-1, L) !== LUA_TTABLE) {
            dropRef();
            return raise(lua, L, "flags argument to redis.register_function must be a table representing function flags");
          }
          const read = readFlags(lua, L);
          if (read === null) {
            dropRef();
            return raise(lua, L, "unknown flag given");
          }
          flags = read;
        } else {
          dropRef();
          return raise(lua, L, "unknown argument given to redis.register_function");
        }
        lua.pop(1, L);
      }
      if (name === null) {
        dropRef();
        return raise(lua, L, "redis.register_function must get a function name argument");
      }
      if (ref === -1) return raise(lua, L, "redis.register_function must get a callback argument");
    } else {
      if (!lua.isString(1, L)) return raise(lua, L, "first argument to redis.register_function must be a string");
      if (lua.type(2, L) !== LUA_TFUNCTION) return raise(lua, L, "second argument to redis.register_function must be a function");
      name = bytesToKey(lua.toBytes(1, L)!);
      lua.setTop(2, L);
      ref = lua.ref(L);
    }
    // The name is binary-safe (luaGetStringSds): a NUL byte in it makes it invalid.
    const functions = loading.library.functions;
    if (!isValidName(name)) {
      dropRef();
      return raise(lua, L, INVALID_NAME);
    }
    if (functions.has(name)) {
      dropRef();
      return raise(lua, L, "Function already exists in the library");
    }
    functions.set(name, { name, description, flags, library: loading.library, ref });
    return 0;
  }

  // ---- the FUNCTION commands' operations ----------------------------------------

  /** FUNCTION DELETE */
  delete(name: string): boolean {
    const library = this.current.libraries.get(name);
    if (library === undefined) return false;
    this.current.unlink(library);
    this.release(library);
    return true;
  }

  /** FUNCTION FLUSH: every library goes. */
  flush(): void {
    for (const library of this.current.libraries.values()) this.release(library);
    this.current = new FunctionLibraries();
  }

  /**
   * FUNCTION RESTORE's work: loads `codes` into a new set of libraries, then joins it
   * with the current ones by `policy`. `payloadError`: what was wrong in the payload
   * after `codes`, reported if they all load (Redis loads each library as it reads it).
   * Returns null or the error.
   */
  restore(codes: Uint8Array[], policy: "flush" | "append" | "replace", payloadError: string | null = null): string | null {
    const incoming = new FunctionLibraries();
    const discard = (): void => {
      for (const library of incoming.libraries.values()) this.release(library);
    };
    for (const code of codes) {
      const created = this.create(code, false, 0, incoming);
      if (typeof created !== "string") {
        discard();
        return created.error;
      }
    }
    if (payloadError !== null) {
      discard();
      return payloadError;
    }
    if (policy === "flush") {
      this.flush();
      this.current = incoming;
      return null;
    }
    // libraryJoin: collisions first, so that nothing changes on failure.
    const replaced: LibraryInfo[] = [];
    for (const library of incoming.libraries.values()) {
      const existing = this.current.libraries.get(library.name);
      if (existing === undefined) continue;
      if (policy !== "replace") {
        for (const old of replaced) this.current.link(old);
        discard();
        return `Library ${library.name} already exists`;
      }
      this.current.unlink(existing);
      replaced.push(existing);
    }
    for (const fn of incoming.functions.values()) {
      const name = fn.name;
      if (this.current.hasFunction(name)) {
        for (const old of replaced) this.current.link(old);
        discard();
        return `Function ${name} already exists`;
      }
    }
    for (const library of incoming.libraries.values()) this.current.link(library);
    for (const old of replaced) this.release(old);
    return null;
  }

  /**
   * rdbFunctionLoad: a library from an RDB file (or an AOF's RDB preamble) into the
   * current ones, replacing one of the same name only when merging (DEBUG RELOAD MERGE).
   * Returns null or the error.
   */
  loadFromRdb(code: Uint8Array, allowReplace: boolean): string | null {
    const created = this.create(code, allowReplace, 0);
    return typeof created === "string" ? null : created.error;
  }

  /** The libraries' code, in order, for the RDB, FUNCTION DUMP and the AOF base. */
  codes(): Uint8Array[] {
    return [...this.current.libraries.values()].map((library) => library.code);
  }

  // ---- calling a function ---------------------------------------------------------

  /** fcallCommandGeneric once the function and numkeys are checked. */
  call(client: Client, fn: FunctionInfo, argv: Uint8Array[], numkeys: number, readOnly: boolean): void {
    const runner: ScriptRunner = this.host.runner;
    const run = runner.prepare(client, argv, fn.name, fn.flags, readOnly, false);
    if (run === null) return;
    const lua = this.lua;
    lua.pushRef(this.errorHandlerRef);
    lua.pushRef(fn.ref);
    pushArgumentArray(lua, argv, 3, 3 + numkeys);
    pushArgumentArray(lua, argv, 3 + numkeys, argv.length);
    runLuaFunction(lua, run, this.host, 2, this.callHook);
  }
}

function raise(lua: LuaState, L: number, message: string): never {
  pushErrorTable(lua, message, L);
  return lua.raiseTop(L);
}

/** luaRegisterFunctionReadFlags: the flags table on top of the stack, or null for an unknown flag. */
function readFlags(lua: LuaState, L: number): number | null {
  let flags = 0;
  for (let j = 1; ; j++) {
    lua.pushNumber(j, L);
    lua.module._lua_gettable(L, -2);
    const type = lua.type(-1, L);
    if (type === LUA_TNIL) {
      lua.pop(1, L);
      return flags;
    }
    if (!lua.isString(-1, L)) {
      lua.pop(1, L);
      return null;
    }
    const name = bytesToKey(lua.toBytes(-1, L)!).split("\0")[0]!.toLowerCase();
    lua.pop(1, L);
    const known = SCRIPT_FLAG_NAMES.find(([flagName]) => flagName === name);
    if (known === undefined) return null;
    flags |= known[1];
  }
}

/** luaExtractErrorInformation's message of the error on top of the stack. */
function errorMessage(lua: LuaState): string {
  if (lua.type(-1) === LUA_TSTRING || lua.type(-1) === LUA_TNUMBER) return `ERR ${lua.toText(-1)}`;
  if (lua.type(-1) === LUA_TTABLE) {
    lua.getField(-1, "err");
    const message = lua.isString(-1) ? bytesToKey(lua.toBytes(-1)!).split("\0")[0]! : "";
    lua.pop(1);
    return message;
  }
  return "";
}

/**
 * functionExtractLibMetaData: "#!<engine> name=<library>" on the first line. The code
 * the engine runs starts at that line's newline (line numbers stay the user's).
 */
export function extractLibraryMetadata(code: Uint8Array): { engine: string; name: string; codeStart: number } | { error: string } {
  if (code.length < 2 || code[0] !== 35 || code[1] !== 33) return { error: "Missing library metadata" };
  const end = code.indexOf(10);
  // Redis looks for the newline with strchr: a NUL byte before it ends the search.
  if (end < 0 || code.subarray(0, end).includes(0)) return { error: "Invalid library metadata" };
  const parts = splitInlineArgs(code.subarray(0, end));
  if (parts === null || parts.length === 0) return { error: "Invalid library metadata" };
  // The engine and the name are binary-safe (sds): a NUL byte quoted into them ("\x00")
  // makes an unknown engine or an invalid name. Only the "name=" prefix check and the
  // error about another value read them as C strings.
  const engine = bytesToKey(parts[0]!).slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = bytesToKey(parts[i]!);
    if (part.split("\0")[0]!.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) return { error: "Invalid metadata value, name argument was given multiple times" };
      name = part.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${part.split("\0")[0]!}` };
  }
  if (name === null) return { error: "Library name was not given" };
  return { engine, name, codeStart: end };
}
