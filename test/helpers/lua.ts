// Running Lua snippets in Bunker's VM outside the server, and the same snippets through
// EVAL on the real redis-server, to compare the libraries scripts see (cjson, cmsgpack,
// struct, bit, string.format...) result by result.

import { LuaState, LUA_OK } from "../../src/scripting/lua.ts";
import type { RawClient } from "./server.ts";

/** What a snippet gave: its first result as bytes (tostring'd numbers), or its error message. */
export type LuaOutcome = { value: string | null } | { error: string };

const encoder = new TextEncoder();

/** A state with Lua's base, table, string and math libraries and then `openers` (a library each). */
export function libraryState(...openers: Array<(lua: LuaState) => void>): LuaState {
  const lua = new LuaState();
  for (const name of ["base", "table", "string", "math"] as const) lua.openLibrary(name);
  for (const open of openers) open(lua);
  return lua;
}

/** Runs `source` as a chunk named like Redis's ("user_script") and returns its first result. */
export function runLua(lua: LuaState, source: string): LuaOutcome {
  lua.setTop(0);
  let status = lua.load(encoder.encode(source), "@user_script");
  if (status === LUA_OK) status = lua.pcall(0, 1);
  const bytes = lua.toBytes(-1);
  const text = bytes === null ? null : Buffer.from(bytes).toString("latin1");
  lua.setTop(0);
  if (status !== LUA_OK) return { error: text ?? "(non-string error)" };
  return { value: text };
}

/**
 * The same snippet on a real Redis: EVAL's reply as a LuaOutcome. A script error's
 * reply ("ERR user_script:1: boom script: <sha>, on @user_script:1.") gives the message
 * Lua raised ("user_script:1: boom"), which is what runLua reports for the same error.
 */
export async function redisLua(client: RawClient, source: string): Promise<LuaOutcome> {
  return luaOutcomeOfReply(await client.callRaw("EVAL", source, "0"));
}

/** EVAL's raw reply (see redisLua) as a LuaOutcome. */
export function luaOutcomeOfReply(raw: string): LuaOutcome {
  if (raw.startsWith("-")) {
    const message = raw.slice(1, -2).replace(/^ERR /, "");
    return { error: message.replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.$/, "") };
  }
  if (raw.startsWith("$-1")) return { value: null };
  if (raw.startsWith("$")) {
    const body = raw.slice(raw.indexOf("\r\n") + 2, -2);
    return { value: body };
  }
  if (raw.startsWith(":")) return { value: raw.slice(1, -2) };
  return { value: `unexpected reply ${JSON.stringify(raw)}` };
}
