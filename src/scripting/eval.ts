// EVAL, EVALSHA and the script cache (Redis's eval.c).
//
// A script is compiled once, when first seen (EVAL or SCRIPT LOAD), into a Lua function
// kept in the registry under its SHA1, as Redis keeps its f_<sha> functions; EVALSHA
// and every later EVAL of the same body call that function. The Lua state holds
// Redis 7.0's globals behind the protection of sandbox.ts; SCRIPT FLUSH throws the state
// away with every script in it and builds a new one.

import { LuaState, LUA_OK, LUA_TTABLE } from "./lua.ts";
import { protectGlobals } from "./sandbox.ts";
import { ERROR_HANDLER_SOURCE, fillArgumentArray, grownArraySize, killScriptFromHook, newScriptState, pushArgumentArray, runLuaFunction, sha1hex, type ScriptHost } from "./script-lua.ts";
import { SCRIPT_FLAG_EVAL_COMPAT_MODE, SCRIPT_FLAG_NAMES, type ScriptRunner } from "./script.ts";
import type { Client } from "../net/client.ts";
import { splitInlineArgs } from "../protocol/inline.ts";
import { bytesEqual, bytesToKey, parseInteger } from "../db/bytes.ts";
import { jemallocSizeClass } from "../memory.ts";
import * as errors from "../errors.ts";

interface CachedScript {
  /** Registry reference of the compiled function. */
  readonly ref: number;
  readonly flags: number;
}

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/** The Lua state of EVAL scripts and its cache of compiled scripts. */
export class EvalScripts {
  private lua!: LuaState;
  private scripts = new Map<string, CachedScript>();
  /** Registry references: the error handler, the hidden globals (KEYS/ARGV go there). */
  private errorHandlerRef = 0;
  private hiddenGlobalsRef = 0;
  private hook = 0;
  /** Bytes the cache holds (lua_scripts_mem): SHA and body strings, as Redis counts their sds. */
  private scriptsMemory = 0;

  constructor(private readonly host: ScriptHost & { onBusyHook(lua: LuaState, L: number): boolean }) {
    this.init();
  }

  /** scriptingInit: a new Lua state with Redis's globals, protected. */
  private init(): void {
    const lua = newScriptState(this.host, { evalMode: true });
    this.lua = lua;
    if (lua.load(new TextEncoder().encode(ERROR_HANDLER_SOURCE), "@err_handler_def") !== LUA_OK || lua.pcall(0, 0) !== LUA_OK) {
      throw new Error(`cannot define the scripts' error handler: ${lua.toText(-1)}`);
    }
    lua.getGlobal("__redis__err__handler");
    this.errorHandlerRef = lua.ref();
    this.hiddenGlobalsRef = protectGlobals(lua);
    this.hook = lua.hookPointer((L) => {
      if (this.host.onBusyHook(lua, L)) killScriptFromHook(lua, L, this.hook);
    });
    this.scripts = new Map();
    this.scriptsMemory = 0;
  }

  /** scriptingReset (SCRIPT FLUSH): every script goes with the state. */
  reset(): void {
    this.lua.close();
    this.init();
  }

  get count(): number {
    return this.scripts.size;
  }

  /** used_memory_vm_eval: the Lua state's memory. */
  get vmMemory(): number {
    return this.lua.memoryBytes();
  }

  /** used_memory_scripts_eval (evalScriptsMemory): the cache's strings and entries. */
  get cacheMemory(): number {
    return this.scriptsMemory + this.scripts.size * 64;
  }

  has(sha: string): boolean {
    return this.scripts.has(sha);
  }

  /**
   * luaCreateFunction: compiles `body` into the cache (once per SHA) and returns its SHA,
   * or null after replying the error to `client`.
   */
  createFunction(client: Client, body: Uint8Array): string | null {
    const sha = this.shaOfBody(body);
    if (this.scripts.has(sha)) return sha;
    const shebang = extractShebangFlags(body);
    if (typeof shebang === "string") {
      this.host.server.replyError(client, `ERR ${shebang}`);
      return null;
    }
    const lua = this.lua;
    // The shebang line is skipped but its line feed kept, so line numbers stay the user's.
    if (lua.load(body.subarray(shebang.length), "@user_script") !== LUA_OK) {
      const message = lua.toText(-1) ?? "";
      lua.pop(1);
      this.host.server.replyError(client, `ERR Error compiling script (new function): ${message}`);
      return null;
    }
    const ref = lua.ref();
    this.scripts.set(sha, { ref, flags: shebang.flags });
    this.scriptsMemory += 48 + sdsAllocation(body.length);
    return sha;
  }

  /** The last SHA argument EVALSHA was given, as sent and as the cache's key (the same script comes again and again). */
  private lastShaArgument = new Uint8Array(0);
  private lastSha = "";

  /** A 40-byte SHA argument as the cache's key: lower case. */
  private shaOf(argument: Uint8Array): string {
    const last = this.lastShaArgument;
    let same = last.length === 40;
    for (let i = 0; same && i < 40; i++) same = last[i] === argument[i];
    if (same) return this.lastSha;
    let sha = "";
    for (let i = 0; i < 40; i++) {
      const c = argument[i]!;
      sha += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
    }
    this.lastShaArgument = argument.slice();
    this.lastSha = sha;
    return sha;
  }

  /**
   * The body whose SHA was computed last: processCommand's flag check and EVAL both ask
   * for it (c->cur_script), and a client that sends scripts whole sends the same one
   * again and again. Comparing its bytes costs a tenth of a SHA1 (~25 against ~210 ns
   * for a one-line script), and the SHA comes back as the same string, whose hash the
   * script cache's lookups then find computed.
   */
  private lastBody = new Uint8Array(0);
  private lastBodyArgument: Uint8Array | null = null;
  private lastBodySha = "";

  private shaOfBody(body: Uint8Array): string {
    if (body === this.lastBodyArgument) return this.lastBodySha;
    this.lastBodyArgument = body;
    if (!bytesEqual(body, this.lastBody)) {
      // A copy: the argument may be a view into the query buffer, which is reused.
      this.lastBody = body.slice();
      this.lastBodySha = sha1hex(body);
    }
    return this.lastBodySha;
  }

  /** The flags of the script `argv` names (evalGetCommandFlags), or null when unknown. */
  scriptFlagsFor(argv: Uint8Array[], isEvalsha: boolean): number | null {
    const script = argv[1]!;
    if (isEvalsha) {
      if (script.length !== 40) return null;
      return this.scripts.get(this.shaOf(script))?.flags ?? null;
    }
    const cached = this.scripts.get(this.shaOfBody(script));
    if (cached !== undefined) return cached.flags;
    const shebang = extractShebangFlags(script);
    return typeof shebang === "string" ? null : shebang.flags;
  }

  /** evalGenericCommand: EVAL, EVALSHA and their _RO forms. */
  eval(client: Client, argv: Uint8Array[], isEvalsha: boolean, readOnly: boolean): void {
    const server = this.host.server;
    const numkeys = parseInteger(argv[2]!);
    if (numkeys === null || typeof numkeys === "bigint") {
      server.replyError(client, errors.NOT_INTEGER);
      return;
    }
    if (numkeys > argv.length - 3) {
      server.replyError(client, "ERR Number of keys can't be greater than number of args");
      return;
    }
    if (numkeys < 0) {
      server.replyError(client, "ERR Number of keys can't be negative");
      return;
    }
    let sha: string;
    if (isEvalsha) {
      if (argv[1]!.length !== 40) {
        server.replyError(client, NOSCRIPT);
        return;
      }
      sha = this.shaOf(argv[1]!);
      if (!this.scripts.has(sha)) {
        server.replyError(client, NOSCRIPT);
        return;
      }
    } else {
      const created = this.createFunction(client, argv[1]!);
      if (created === null) return;
      sha = created;
    }
    const script = this.scripts.get(sha)!;
    const runner: ScriptRunner = this.host.runner;
    const run = runner.prepare(client, argv, sha, script.flags, readOnly, true);
    if (run === null) return;
    const lua = this.lua;
    lua.pushRef(this.errorHandlerRef);
    lua.pushRef(script.ref);
    // KEYS and ARGV are globals of EVAL scripts, set where the protection does not look.
    lua.pushRef(this.hiddenGlobalsRef);
    setArgumentGlobal(lua, "KEYS", argv, 3, 3 + numkeys);
    setArgumentGlobal(lua, "ARGV", argv, 3 + numkeys, argv.length);
    lua.pop(1);
    runLuaFunction(lua, run, this.host, 0, this.hook);
  }
}

/**
 * Sets the KEYS or ARGV global (in the hidden globals table on top of the stack) to
 * argv[from, to). Redis makes a new table per run; the last run's is refilled instead
 * when it is laid out as the new one would be (a bare array part of the same size, nil
 * past the new length), which no script can tell: a script has
 * no way to keep a reference past its run (no writable global or library table, no
 * setfenv), and a table it changed (another length, a field, a metatable) is replaced.
 */
function setArgumentGlobal(lua: LuaState, name: "KEYS" | "ARGV", argv: Uint8Array[], from: number, to: number): void {
  // Raw: the globals table's metatable raises for a global that is not set.
  lua.pushName(name);
  lua.rawGet(-2);
  if (lua.type(-1) === LUA_TTABLE && lua.isBareArray(-1, grownArraySize(to - from), to - from)) {
    fillArgumentArray(lua, argv, from, to);
    lua.pop(1);
    return;
  }
  lua.pop(1);
  pushArgumentArray(lua, argv, from, to);
  lua.setField(-2, name);
}

/** The allocation jemalloc gives an sds of `length` bytes (header, NUL, size class), roughly. */
function sdsAllocation(length: number): number {
  return jemallocSizeClass(length + (length < 256 ? 3 : length < 65536 ? 5 : 9) + 1);
}

/**
 * evalExtractShebangFlags: a body starting with "#!" must be "#!lua" with optional
 * "flags=a,b" on its first line. Returns the flags and the shebang's length, or the
 * error text.
 */
export function extractShebangFlags(body: Uint8Array): { flags: number; length: number } | string {
  if (body.length < 2 || body[0] !== 35 || body[1] !== 33) return { flags: SCRIPT_FLAG_EVAL_COMPAT_MODE, length: 0 };
  const end = body.indexOf(10);
  if (end < 0) return "Invalid script shebang";
  const parts = splitInlineArgs(body.subarray(0, end));
  if (parts === null || parts.length === 0) return "Invalid engine in script shebang";
  const text = bytesToKey;
  // strcmp: the C string ends at a NUL byte.
  const engine = text(parts[0]!).split("\0")[0]!;
  if (engine !== "#!lua") return `Unexpected engine in script shebang: ${engine}`;
  let flags = 0;
  for (let j = 1; j < parts.length; j++) {
    const part = text(parts[j]!);
    if (!part.startsWith("flags=")) return `Unknown lua shebang option: ${part.split("\0")[0]}`;
    const list = part.slice(6);
    if (list.length === 0) continue;
    for (const name of list.split(",")) {
      const known = SCRIPT_FLAG_NAMES.find(([flagName]) => flagName === name.split("\0")[0] && !name.includes("\0"));
      if (known === undefined) return `Unexpected flag in script shebang: ${name.split("\0")[0]}`;
      flags |= known[1];
    }
  }
  return { flags, length: end };
}
