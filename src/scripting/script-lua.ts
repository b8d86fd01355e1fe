// The Lua side of scripting (Redis's script_lua.c): the `redis` table scripts call,
// the conversions between Redis replies and Lua values in both directions, and the
// call of a compiled script with Redis's error reporting.
//
// redis.call runs the command in the script client through ScriptRunner.call and reads
// the reply back from that client's buffer, RESP bytes turned into Lua values as
// Redis's redisProtocolToLuaType does; a script's result is written to the caller the
// other way (luaReplyToRedisReply). Errors travel as Redis 7.0's error tables
// ({err = "CODE message"}), which the error handler completes with the script's
// source and line for the final "script: <sha>, on @user_script:<line>." text.

import { LuaState, LUA_TBOOLEAN, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, LUA_MASKCOUNT, LUA_MASKLINE } from "./lua.ts";
import type { ScriptRun, ScriptRunner } from "./script.ts";
import { allowListGlobals } from "./sandbox.ts";
import { openScriptLibraries } from "./lib/index.ts";
import { PROPAGATE_AOF, PROPAGATE_REPL } from "../propagate.ts";
import type { Client } from "../net/client.ts";
import type { Server } from "../server.ts";
import { REDIS_VERSION } from "../version.ts";
import { formatDouble } from "../util/float.ts";
import { logger } from "../log.ts";
import { argLower, bytesToKey, integerBytes, keyToBytes } from "../db/bytes.ts";

const encoder = new TextEncoder();

/** Redis's log levels as redis.log takes them (LL_DEBUG...LL_WARNING). */
const LOG_LEVELS = ["debug", "verbose", "notice", "warning"] as const;

const REDIS_VERSION_NUM = REDIS_VERSION.split(".").reduce((n, part) => n * 256 + Number(part), 0);

/** Redis's shared error for a nested redis.call that Lua debug hooks could trigger. */
const CALL_OUTSIDE_SCRIPT = "redis.call/pcall can only be called inside a script invocation";

/** The script's SHA1 as 40 lower-case hex digits (Bun's SHA1 is several times node:crypto's speed). */
export function sha1hex(bytes: Uint8Array): string {
  return Bun.SHA1.hash(bytes, "hex") as string;
}

/**
 * What redis.* needs from the server, per Lua state: the running script (null between
 * runs: a function called at load time, or from a hook, finds none).
 */
export interface ScriptHost {
  readonly server: Server;
  readonly runner: ScriptRunner;
}

/**
 * luaPushError: pushes Redis's error table for `error`. "-CODE message" keeps its code;
 * a plain message gets ERR. A trailing CR/LF is trimmed.
 */
export function pushErrorTable(lua: LuaState, error: string, L: number): void {
  let code = "ERR";
  let message = error;
  if (error.startsWith("-")) {
    const space = error.indexOf(" ");
    if (space < 0) message = error.slice(1);
    else {
      code = error.slice(1, space);
      message = error.slice(space + 1);
    }
  }
  message = message.replace(/^[\r\n]+|[\r\n]+$/g, "");
  lua.newTable(0, 1, L);
  lua.pushBytes(keyToBytes(`${code} ${message}`), L);
  lua.setField(-2, "err", L);
}

/** Marks the error table on top: its error was counted when the command replied it. */
function markStatsCounted(lua: LuaState, L: number): void {
  lua.pushBoolean(true, L);
  lua.setField(-2, "ignore_error_stats_update", L);
}

/**
 * A Lua state with what EVAL scripts and function libraries both see, not yet protected
 * (scriptingInit, luaEngineInitEngine): Lua's libraries and Redis's (the globals Redis
 * does not give scripts are never added), and the `redis` table. math.randomseed may be
 * called only while a script runs (FUNCTION LOAD's code is not one).
 */
export function newScriptState(host: ScriptHost, options: { evalMode: boolean }): LuaState {
  const lua = new LuaState();
  allowListGlobals(lua);
  for (const name of ["base", "table", "string", "math", "debug"] as const) lua.openLibrary(name);
  openScriptLibraries(lua, () => host.runner.current !== null);
  registerRedisApi(lua, host, options);
  return lua;
}

/** Registers the `redis` table (and Redis's pcall) in the globals of `lua`. */
export function registerRedisApi(lua: LuaState, host: ScriptHost, options: { evalMode: boolean }): void {
  const { server, runner } = host;

  // Redis's pcall: an error table caught by pcall comes back as its err string.
  lua.pushFunction((L) => {
    const argc = lua.top(L);
    lua.pushBoolean(true, L);
    lua.insert(1, L);
    if (lua.pcall(argc - 1, -1, 0, L) !== 0) {
      lua.remove(1, L);
      if (lua.type(-1, L) === LUA_TTABLE) {
        lua.getField(-1, "err", L);
        if (lua.isString(-1, L)) lua.module._lua_replace(L, -2);
        else lua.pop(1, L);
      }
      lua.pushBoolean(false, L);
      lua.insert(1, L);
    }
    return lua.top(L);
  });
  lua.setGlobal("pcall");

  lua.newTable();
  const redis = lua.top();

  const argvFromStack = (L: number): Uint8Array[] | string => {
    const values = lua.argumentsFromStack(L);
    if (values === null) {
      lua.setTop(0, L);
      return "Lua redis lib command arguments must be strings or integers";
    }
    if (values.length === 0) return "Please specify at least one argument for this redis lib call";
    for (let j = 0; j < values.length; j++) {
      const value = values[j]!;
      if (typeof value !== "number") continue;
      // %.17g, as Redis formats a number argument: a safe integer prints as its digits.
      values[j] = Number.isSafeInteger(value) && !Object.is(value, -0) ? integerBytes(value) : encoder.encode(numberText(lua, j + 1, L));
    }
    lua.setTop(0, L);
    return values as Uint8Array[];
  };

  let inUse = false;
  const genericCommand = (L: number, raiseError: boolean): number => {
    const run = runner.current;
    if (run === null) {
      pushErrorTable(lua, CALL_OUTSIDE_SCRIPT, L);
      return lua.raiseTop(L);
    }
    const argv = argvFromStack(L);
    if (typeof argv === "string") {
      pushErrorTable(lua, argv, L);
      return raiseError ? lua.raiseTop(L) : 1;
    }
    if (inUse) {
      const warning = "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?";
      logger.warning(warning);
      pushErrorTable(lua, warning, L);
      return 1;
    }
    inUse = true;
    let failed: boolean;
    try {
      const error = runner.call(run, argv);
      const client = run.scriptClient;
      if (error !== null) {
        client.reply.length = 0;
        // Rejected before running: ScriptRunner.call counted the error and the rejection.
        pushErrorTable(lua, error, L);
        markStatsCounted(lua, L);
        failed = true;
      } else {
        const reply = client.reply;
        failed = reply.length > 0 && reply.buffer[0] === 45; // '-'
        pushReply(lua, L, reply.buffer, 0, true, 0, reply.resp === 2);
        reply.length = 0;
      }
    } finally {
      inUse = false;
    }
    return raiseError && failed ? lua.raiseTop(L) : 1;
  };
  lua.setFunctionField("call", (L) => genericCommand(L, true));
  lua.setFunctionField("pcall", (L) => genericCommand(L, false));

  registerLogAndVersion(lua);

  lua.setFunctionField("setresp", (L) => {
    const run = runner.current;
    if (run === null) return raiseErrorTable(lua, "redis.setresp can only be called inside a script invocation", L);
    if (lua.top(L) !== 1) return raiseErrorTable(lua, "redis.setresp() requires one argument.", L);
    const resp = Math.trunc(lua.toNumber(1, L));
    if (resp !== 2 && resp !== 3) return raiseErrorTable(lua, "RESP version must be 2 or 3.", L);
    run.scriptClient.reply.resp = resp;
    return 0;
  });

  lua.setFunctionField("sha1hex", (L) => {
    if (lua.top(L) !== 1) return raiseErrorTable(lua, "wrong number of arguments", L);
    lua.pushString(sha1hex(lua.toBytes(1, L) ?? new Uint8Array(0)), L);
    return 1;
  });

  lua.setFunctionField("error_reply", (L) => {
    if (lua.top(L) !== 1 || lua.type(-1, L) !== LUA_TSTRING) {
      pushErrorTable(lua, "wrong number or type of arguments", L);
      return 1;
    }
    const text = bytesToKey(lua.toBytes(-1, L)!);
    // Like Redis's lua_tostring + sdsnew, the text ends at its first NUL byte.
    const cString = text.split("\0")[0]!;
    pushErrorTable(lua, cString.startsWith("-") ? cString : `-${cString}`, L);
    return 1;
  });
  lua.setFunctionField("status_reply", (L) => {
    if (lua.top(L) !== 1 || lua.type(-1, L) !== LUA_TSTRING) {
      pushErrorTable(lua, "wrong number or type of arguments", L);
      return 1;
    }
    lua.newTable(0, 1, L);
    lua.pushValue(-2, L);
    lua.setField(-2, "ok", L);
    return 1;
  });

  lua.setFunctionField("set_repl", (L) => {
    const run = runner.current;
    if (run === null) return raiseErrorTable(lua, "redis.set_repl can only be called inside a script invocation", L);
    if (lua.top(L) !== 1) return raiseErrorTable(lua, "redis.set_repl() requires two arguments.", L);
    const flags = Math.trunc(lua.toNumber(-1, L));
    if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPL)) !== 0) {
      return raiseErrorTable(lua, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", L);
    }
    run.replicationTargets = flags;
    return 0;
  });
  const replConstants: Array<[string, number]> = [
    ["REPL_NONE", 0],
    ["REPL_AOF", PROPAGATE_AOF],
    ["REPL_SLAVE", PROPAGATE_REPL],
    ["REPL_REPLICA", PROPAGATE_REPL],
    ["REPL_ALL", PROPAGATE_AOF | PROPAGATE_REPL],
  ];
  for (const [name, value] of replConstants) {
    lua.pushNumber(value);
    lua.setField(redis, name);
  }

  lua.setFunctionField("acl_check_cmd", (L) => {
    const run = runner.current;
    if (run === null) return raiseErrorTable(lua, "redis.acl_check_cmd can only be called inside a script invocation", L);
    const argv = argvFromStack(L);
    if (typeof argv === "string") return raiseErrorTable(lua, argv, L);
    // lookupCommand: a container's unknown subcommand is no command either.
    const command = server.table.lookupBytes(argv[0]!);
    const known = command !== undefined && (command.subcommands.size === 0 || argv.length < 2 || command.subcommands.has(argLower(argv[1]!)));
    if (!known) return raiseErrorTable(lua, "Invalid command passed to redis.acl_check_cmd()", L);
    // No ACL users yet: the default user may run every command.
    lua.pushBoolean(true, L);
    return 1;
  });

  if (options.evalMode) {
    // Outside a debugging session (SCRIPT DEBUG is not supported): breakpoint says
    // false and debug logs nothing, as in Redis without an active debugger.
    lua.setFunctionField("breakpoint", (L) => {
      lua.pushBoolean(false, L);
      return 1;
    });
    lua.setFunctionField("debug", () => 0);
    lua.setFunctionField("replicate_commands", (L) => {
      lua.pushBoolean(true, L);
      return 1;
    });
  }
  lua.setGlobal("redis");
}

/**
 * redis.log, the LOG_* levels and REDIS_VERSION(_NUM) on the table on top of the stack
 * (luaRegisterLogFunction, luaRegisterVersion): part of the `redis` table, and of the
 * API a function library's load code sees.
 */
export function registerLogAndVersion(lua: LuaState): void {
  const table = lua.top();
  lua.setFunctionField("log", (L) => {
    const argc = lua.top(L);
    if (argc < 2) return raiseErrorTable(lua, "redis.log() requires two arguments or more.", L);
    if (!lua.isNumber(1, L)) return raiseErrorTable(lua, "First argument must be a number (log level).", L);
    const level = Math.trunc(lua.toNumber(1, L));
    if (level < 0 || level > 3) return raiseErrorTable(lua, "Invalid debug level.", L);
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const bytes = lua.toBytes(j, L);
      if (bytes !== null) parts.push(bytesToKey(bytes));
    }
    logger.log(LOG_LEVELS[level]!, parts.join(" "));
    return 0;
  });
  for (let level = 0; level < LOG_LEVELS.length; level++) {
    lua.pushNumber(level);
    lua.setField(table, `LOG_${LOG_LEVELS[level]!.toUpperCase()}`);
  }
  lua.pushNumber(REDIS_VERSION_NUM);
  lua.setField(table, "REDIS_VERSION_NUM");
  lua.pushString(REDIS_VERSION);
  lua.setField(table, "REDIS_VERSION");

}

/** luaPushError + luaError: raises Redis's error table for `message`. */
function raiseErrorTable(lua: LuaState, message: string, L: number): never {
  pushErrorTable(lua, message, L);
  return lua.raiseTop(L);
}

/**
 * A Lua number as Redis writes it into a command's arguments ("%.17g"): a NaN keeps the
 * sign the VM gave it ("-nan" for 0/0 on x86), which lua_tonumber loses leaving WebAssembly.
 */
function numberText(lua: LuaState, index: number, L: number): string {
  const value = lua.toNumber(index, L);
  if (!Number.isNaN(value)) return formatDouble(value);
  return lua.toNumberBits(index, L) >> 63n === 1n ? "-nan" : "nan";
}

// ---- Redis reply -> Lua value ----------------------------------------------------

/**
 * The array part Lua 5.1 leaves a table with when keys 1..n are set one at a time into an
 * empty one (each rehash picks the largest power of two more than half used): the next
 * power of two of n, and no hash part. Redis builds KEYS, ARGV and the tables of array
 * replies that way; making them this size at once gives the same table without the
 * rehash at 1, 2, 3, 5, 9... (most of the cost of a short array).
 */
export function grownArraySize(n: number): number {
  return n <= 1 ? n : 2 ** (32 - Math.clz32(n - 1));
}

/** The text of the reply line at `at` (after its type byte). */
function replyLine(buffer: Uint8Array, at: number, lineEnd: number): string {
  return bytesToKey(buffer.subarray(at + 1, lineEnd));
}

/**
 * redisProtocolToLuaType: pushes the reply at `at` in `buffer` as a Lua value and
 * returns the position after it. `push` false parses without pushing (attributes).
 */
export function pushReply(lua: LuaState, L: number, buffer: Uint8Array, at: number, push: boolean, depth = 0, noNulls = false): number {
  const type = buffer[at]!;
  // A reply's lines are short ("$5", ":42"): a loop finds their end sooner than a native indexOf call.
  let lineEnd = at + 1;
  while (buffer[lineEnd] !== 13 && lineEnd < buffer.length) lineEnd++;
  const next = lineEnd + 2;
  // A C function has LUA_MINSTACK (20) free slots: only nested aggregates need more.
  if (push && depth > 4) lua.checkStack(4, L);
  switch (type) {
    case 58: // ':'
      if (push) lua.pushNumber(integerBetween(buffer, at + 1, lineEnd), L);
      return next;
    case 36: {
      // '$'
      const length = integerBetween(buffer, at + 1, lineEnd);
      if (length < 0) {
        if (push) lua.pushBoolean(false, L);
        return next;
      }
      if (push) lua.pushByteRange(buffer, next, next + length, L);
      return next + length + 2;
    }
    case 43: // '+'
      if (push) {
        lua.newTable(0, 1, L);
        lua.pushByteRange(buffer, at + 1, lineEnd, L);
        lua.setField(-2, "ok", L);
      }
      return next;
    case 45: // '-'
      if (push) {
        pushErrorTable(lua, "-" + replyLine(buffer, at, lineEnd), L);
        markStatsCounted(lua, L);
      }
      return next;
    case 42: {
      // '*'
      const count = integerBetween(buffer, at + 1, lineEnd);
      if (count < 0) {
        if (push) lua.pushBoolean(false, L);
        return next;
      }
      // The table must end up laid out as Redis's, which grows it one element at a time
      // from an empty one: the layout decides what `#` says after holes, and the order of
      // pairs. Without nulls (RESP2 has none: a null is false) that is grownArraySize;
      // a RESP3 null leaves a hole as the table grows, so then it grows here too.
      if (push) lua.newTable(noNulls ? grownArraySize(count) : 0, 0, L);
      let position = next;
      for (let j = 0; j < count; j++) {
        position = pushReply(lua, L, buffer, position, push, depth + 1, noNulls);
        if (push) lua.rawSetI(-2, j + 1, L);
      }
      return position;
    }
    case 37: // '%': {map = {key = value...}}
    case 126: {
      // '~': {set = {member = true...}}
      const isMap = type === 37;
      const count = integerBetween(buffer, at + 1, lineEnd);
      if (push) {
        lua.newTable(0, 1, L);
        lua.newTable(0, 0, L); // as Redis: the hash part's history decides the order of pairs
      }
      let position = next;
      for (let j = 0; j < count; j++) {
        position = pushReply(lua, L, buffer, position, push, depth + 1);
        if (isMap) position = pushReply(lua, L, buffer, position, push, depth + 1);
        else if (push) lua.pushBoolean(true, L);
        if (push) lua.module._lua_settable(L, -3);
      }
      if (push) lua.setField(-2, isMap ? "map" : "set", L);
      return position;
    }
    case 95: // '_'
      if (push) lua.pushNil(L);
      return next;
    case 35: // '#'
      if (push) lua.pushBoolean(buffer[at + 1] === 116, L);
      return next;
    case 44: // ','
      if (push) {
        lua.newTable(0, 1, L);
        lua.pushNumber(parseRespDouble(replyLine(buffer, at, lineEnd)), L);
        lua.setField(-2, "double", L);
      }
      return next;
    case 40: // '('
      if (push) {
        lua.newTable(0, 1, L);
        lua.pushBytes(buffer.subarray(at + 1, lineEnd), L);
        lua.setField(-2, "big_number", L);
      }
      return next;
    case 61: {
      // '=': verbatim, "fmt:text"
      const length = integerBetween(buffer, at + 1, lineEnd);
      if (push) {
        lua.newTable(0, 1, L);
        lua.newTable(0, 2, L);
        lua.pushBytes(buffer.subarray(next + 4, next + length), L);
        lua.setField(-2, "string", L);
        lua.pushBytes(buffer.subarray(next, next + 3), L);
        lua.setField(-2, "format", L);
        lua.setField(-2, "verbatim_string", L);
      }
      return next + length + 2;
    }
    case 124: {
      // '|': attributes are skipped, the reply follows
      const count = integerBetween(buffer, at + 1, lineEnd);
      let position = next;
      for (let j = 0; j < 2 * count; j++) position = pushReply(lua, L, buffer, position, false, depth + 1);
      return pushReply(lua, L, buffer, position, push, depth + 1);
    }
    default:
      throw new Error(`unexpected reply type ${String.fromCharCode(type)} from a command called by a script`);
  }
}

/** The decimal integer in buffer[start, end): digit by digit while exact, else through a string. */
function integerBetween(buffer: Uint8Array, start: number, end: number): number {
  const negative = buffer[start] === 45;
  const first = negative ? start + 1 : start;
  if (end - first > 15) return Number(bytesToKey(buffer.subarray(start, end)));
  let value = 0;
  for (let i = first; i < end; i++) value = value * 10 + (buffer[i]! - 48);
  return negative ? -value : value;
}

function parseRespDouble(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  if (text === "nan") return NaN;
  return Number(text);
}

// ---- Lua value -> Redis reply ----------------------------------------------------

/**
 * An aggregate luaReplyToRedisReply is writing: an array (its table on the stack, the
 * next index), a map (the outer table, the map and the current key on the stack; `next`
 * is 1 while the key's value is still to write) or a set (likewise).
 */
const AGGREGATE_ARRAY = 0;
const AGGREGATE_MAP = 1;
const AGGREGATE_SET = 2;
interface AggregateFrame {
  kind: number;
  next: number;
  length: number;
}

/**
 * luaReplyToRedisReply: writes the value on top of the stack (consumed) as the reply
 * to `client`. `scriptResp` is the protocol the script chose (redis.setresp): it
 * decides what a boolean means, the caller's decides how replies are encoded.
 *
 * Redis recurses into nested tables until its Lua stack is full ("reached lua stack
 * limit", some 8000 levels down); JavaScript's stack is shallower than that, so the
 * nesting is followed with a list of open aggregates instead, the Lua stack holding
 * their tables as Redis's recursion holds them (and so failing at the same depth).
 */
export function replyFromLua(lua: LuaState, L: number, client: Client, server: Server, scriptResp: number): void {
  let open: AggregateFrame[] | null = null;
  for (;;) {
    const frame = replyValue(lua, L, client, server, scriptResp);
    if (frame !== null) (open ??= []).push(frame);
    // Push the next value of the innermost open aggregate, closing those that are done.
    for (;;) {
      if (open === null || open.length === 0) return;
      if (nextOfAggregate(lua, L, open[open.length - 1]!)) break;
      open.pop();
    }
  }
}

/** Writes the value on top (consumed), or the header of an aggregate, whose frame it returns. */
function replyValue(lua: LuaState, L: number, client: Client, server: Server, scriptResp: number): AggregateFrame | null {
  const reply = client.reply;
  if (!lua.checkStack(4, L)) {
    server.replyError(client, "ERR reached lua stack limit");
    lua.pop(1, L);
    return null;
  }
  switch (lua.type(-1, L)) {
    case LUA_TSTRING:
      reply.bulk(lua.toBytes(-1, L)!);
      break;
    case LUA_TBOOLEAN:
      if (scriptResp === 2) {
        if (lua.toBoolean(-1, L)) reply.integer(1);
        else reply.nullBulk();
      } else reply.boolean(lua.toBoolean(-1, L));
      break;
    case LUA_TNUMBER:
      reply.integer(luaNumberToLongLong(lua.toNumber(-1, L)));
      break;
    case LUA_TTABLE:
      return replyTable(lua, L, client, server);
    default:
      reply.nullBulk();
  }
  lua.pop(1, L);
  return null;
}

/** Pushes the aggregate's next value to write and returns true, or pops its tables and returns false. */
function nextOfAggregate(lua: LuaState, L: number, frame: AggregateFrame): boolean {
  switch (frame.kind) {
    case AGGREGATE_ARRAY:
      if (frame.next <= frame.length) {
        lua.rawGetI(-1, frame.next++, L);
        return true;
      }
      lua.pop(1, L);
      return false;
    case AGGREGATE_MAP:
      // [outer, map, key, value] once the key is written: the value is next.
      if (frame.next === 1) {
        frame.next = 0;
        return true;
      }
      if (lua.next(-2, L)) {
        lua.pushValue(-2, L);
        frame.next = 1;
        return true;
      }
      lua.pop(2, L);
      return false;
    default:
      if (lua.next(-2, L)) {
        lua.pop(1, L);
        lua.pushValue(-1, L);
        return true;
      }
      lua.pop(2, L);
      return false;
  }
}

/** (long long) of a Lua number as C casts it on x86-64: NaN and out-of-range values become LLONG_MIN. */
function luaNumberToLongLong(n: number): number | bigint {
  if (Number.isNaN(n) || n >= 9223372036854775808 || n < -9223372036854775808) return -9223372036854775808n;
  const truncated = Math.trunc(n);
  return Number.isSafeInteger(truncated) ? truncated : BigInt(truncated);
}

/** The table on top of the stack as a reply (consumed): error, status, double, ..., or an aggregate's header and frame. */
function replyTable(lua: LuaState, L: number, client: Client, server: Server): AggregateFrame | null {
  const reply = client.reply;
  const field = (name: string): number => {
    lua.pushName(name, L);
    lua.rawGet(-2, L);
    return lua.type(-1, L);
  };
  if (field("err") === LUA_TSTRING) {
    lua.pop(1, L);
    const info = errorInformation(lua, L);
    // addReplyErrorFormatEx("-%s"): trailing CR/LF trimmed, the others become spaces.
    const message = info.message.replace(/[\r\n]+$/, "");
    if (info.statsCounted) replyCountedError(client, message);
    else server.replyError(client, message);
    lua.pop(1, L);
    return null;
  }
  lua.pop(1, L);
  if (field("ok") === LUA_TSTRING) {
    // Like sdsnew, the status ends at a NUL byte; CR and LF become spaces.
    const text = bytesToKey(lua.toBytes(-1, L)!).split("\0")[0]!.replace(/[\r\n]/g, " ");
    reply.simple(text);
    lua.pop(2, L);
    return null;
  }
  lua.pop(1, L);
  if (field("double") === LUA_TNUMBER) {
    const value = lua.toNumber(-1, L);
    if (Number.isNaN(value)) {
      // printf's "%.17g" shows the NaN's sign (0/0 is -nan on x86), which JavaScript loses.
      const text = numberText(lua, -1, L);
      if (reply.resp === 3) reply.raw(keyToBytes(`,${text}\r\n`));
      else reply.bulk(keyToBytes(text));
    } else reply.double(value);
    lua.pop(2, L);
    return null;
  }
  lua.pop(1, L);
  if (field("big_number") === LUA_TSTRING) {
    const text = bytesToKey(lua.toBytes(-1, L)!).replace(/[\r\n]/g, " ");
    if (reply.resp === 3) reply.raw(keyToBytes(`(${text}\r\n`));
    else reply.bulk(keyToBytes(text));
    lua.pop(2, L);
    return null;
  }
  lua.pop(1, L);
  if (field("verbatim_string") === LUA_TTABLE) {
    if (field("format") === LUA_TSTRING) {
      const format = bytesToKey(lua.toBytes(-1, L)!).split("\0")[0]!;
      lua.pushName("string", L);
      lua.rawGet(-3, L);
      if (lua.type(-1, L) === LUA_TSTRING) {
        const text = lua.toBytes(-1, L)!;
        if (reply.resp === 3) {
          reply.raw(keyToBytes(`=${text.length + 4}\r\n${format.slice(0, 3).padEnd(3, " ")}:`)); // addReplyVerbatim pads a short format with spaces
          reply.raw(text);
          reply.raw(keyToBytes("\r\n"));
        } else reply.bulk(text);
        lua.pop(4, L);
        return null;
      }
      lua.pop(1, L);
    }
    lua.pop(1, L);
  }
  lua.pop(1, L);
  if (field("map") === LUA_TTABLE) {
    reply.mapHeader(countEntries(lua, L));
    lua.pushNil(L);
    return { kind: AGGREGATE_MAP, next: 0, length: 0 };
  }
  lua.pop(1, L);
  if (field("set") === LUA_TTABLE) {
    reply.setHeader(countEntries(lua, L));
    lua.pushNil(L);
    return { kind: AGGREGATE_SET, next: 0, length: 0 };
  }
  lua.pop(1, L);
  // An array: elements 1, 2, ... up to the first nil.
  let length = 0;
  for (;;) {
    lua.rawGetI(-1, length + 1, L);
    const type = lua.type(-1, L);
    lua.pop(1, L);
    if (type === LUA_TNIL) break;
    length++;
  }
  reply.arrayHeader(length);
  return { kind: AGGREGATE_ARRAY, next: 1, length };
}

/** The number of entries of the table on top of the stack (a map or set reply's length). */
function countEntries(lua: LuaState, L: number): number {
  let count = 0;
  lua.pushNil(L);
  while (lua.next(-2, L)) {
    lua.pop(1, L);
    count++;
  }
  return count;
}

/**
 * An error a command called by the script replied, and which was counted then
 * (ERR_REPLY_FLAG_NO_STATS_UPDATE): not counted again, but the script's command
 * (EVAL, FCALL...) still counts as failed.
 */
function replyCountedError(client: Client, message: string): void {
  client.reply.error(message);
  if (client.currentCommand !== null) client.currentCommand.failedCalls++;
}

/** luaExtractErrorInformation of the error table on top of the stack (left there). */
function errorInformation(lua: LuaState, L: number): { message: string; source: string | null; line: string | null; statsCounted: boolean } {
  const text = (name: string): string | null => {
    lua.getField(-1, name, L);
    const value = lua.isString(-1, L) ? bytesToKey(lua.toBytes(-1, L)!).split("\0")[0]! : null;
    lua.pop(1, L);
    return value;
  };
  lua.getField(-1, "ignore_error_stats_update", L);
  const statsCounted = lua.type(-1, L) === LUA_TBOOLEAN && lua.toBoolean(-1, L);
  lua.pop(1, L);
  return { message: text("err") ?? "", source: text("source"), line: text("line"), statsCounted };
}

// ---- calling a compiled script ---------------------------------------------------

/** Redis's error handler, defined in Lua as Redis defines it: it completes an error with where it happened. */
export const ERROR_HANDLER_SOURCE = `local dbg = debug
debug = nil
function __redis__err__handler(err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'C' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
`;

/** Instructions between two checks of a running script (Redis's count hook period). */
const HOOK_PERIOD = 100_000;

/**
 * luaCallFunction: with the error handler and the function on the stack (and, for a
 * function call, its KEYS and ARGV tables), runs it and replies the result or the
 * error to the caller. `onHook` runs every HOOK_PERIOD instructions and answers
 * whether to stop the script (SCRIPT KILL).
 */
export function callLuaFunction(
  lua: LuaState,
  run: ScriptRun,
  server: Server,
  argumentCount: number,
  hook: number,
): void {
  const caller = run.caller;
  // The count hook stays installed between runs (a count left from the run before only
  // makes the first check of this one come sooner); a killed run's line hook is replaced.
  if (hook !== 0) lua.ensureHook(hook, LUA_MASKCOUNT, HOOK_PERIOD);
  else lua.ensureHook(0, 0, 0);
  const status = lua.pcall(argumentCount, 1, -(argumentCount + 2));
  if (status !== 0) {
    if (lua.type(-1) !== LUA_TTABLE) {
      const message = lua.isString(-1) ? bytesToKey(lua.toBytes(-1)!) : "execution failure";
      server.replyError(caller, `ERR Error running script ${run.functionName}, ${message.slice(0, 100)}`);
    } else {
      const info = errorInformation(lua, lua.L);
      let message = info.message;
      if (info.line !== null && info.source !== null) message += ` script: ${run.functionName}, on ${info.source}:${info.line}.`;
      if (info.statsCounted) replyCountedError(caller, message);
      else server.replyError(caller, message);
    }
    lua.pop(1);
  } else {
    replyFromLua(lua, lua.L, caller, server, run.scriptClient.reply.resp);
  }
}

/** luaCreateArray: argv[from, to) as a Lua array on top of the stack (KEYS, ARGV). */
export function pushArgumentArray(lua: LuaState, argv: Uint8Array[], from: number, to: number): void {
  lua.newTable(grownArraySize(to - from), 0);
  fillArgumentArray(lua, argv, from, to);
}

/** Sets keys 1.. of the table on top of the stack to argv[from, to). */
export function fillArgumentArray(lua: LuaState, argv: Uint8Array[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    lua.pushBytes(argv[i]!);
    lua.rawSetI(-2, i - from + 1);
  }
}

/**
 * Runs a prepared script (error handler, function and `argumentCount` arguments on the
 * stack) with the busy hook when busy-reply-threshold is set, then ends the run
 * (scriptResetRun) whatever happened.
 */
export function runLuaFunction(lua: LuaState, run: ScriptRun, host: ScriptHost, argumentCount: number, hook: number): void {
  const server = host.server;
  try {
    callLuaFunction(lua, run, server, argumentCount, server.config.getNumber("busy-reply-threshold") > 0 ? hook : 0);
  } finally {
    lua.setTop(0);
    host.runner.reset(run);
  }
}

/** The hook that makes a busy script kill-able: after SCRIPT KILL it fires on every line so pcall cannot catch it for long. */
export function killScriptFromHook(lua: LuaState, L: number, hook: number): never {
  logger.warning("Lua script killed by user with SCRIPT KILL.");
  lua.setHook(hook, LUA_MASKLINE, 0, L);
  pushErrorTable(lua, "Script killed by user with SCRIPT KILL...", L);
  return lua.raiseTop(L);
}
