// Differential runs of Lua snippets: each one in Bunker's VM with the libraries under
// test, and through EVAL on a real redis-server 7.0, outcome by outcome (see lua.ts).
// Snippets are sent to Redis pipelined, so thousands of generated cases take a moment.

import { afterAll, beforeAll } from "bun:test";
import type { LuaState } from "../../src/scripting/lua.ts";
import { libraryState, luaOutcomeOfReply, runLua, type LuaOutcome } from "./lua.ts";
import { encodeCommand, RawClient, REDIS_SERVER, startRedis, type RunningServer } from "./server.ts";

export const haveRedis = REDIS_SERVER !== undefined;

/** Lua source for the double `n`, read back exactly (NaNs and infinities as expressions). */
export function luaNumber(n: number): string {
  if (Number.isNaN(n)) return "(0/0)";
  if (n === Infinity) return "(1/0)";
  if (n === -Infinity) return "(-1/0)";
  if (Object.is(n, -0)) return "(-0)";
  // The shortest round-trip form; strtod (the Lua lexer's reader) reads it back exactly.
  return n < 0 ? `(${n})` : String(n);
}

/** A Lua string literal for arbitrary bytes, in ASCII (EVAL's script travels as UTF-8 here). */
export function luaBytes(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  let out = '"';
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    const next = data[i + 1];
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    // A decimal escape takes up to three digits: pad it when a digit follows.
    else out += next !== undefined && next >= 0x30 && next <= 0x39 ? `\\${String(byte).padStart(3, "0")}` : `\\${byte}`;
  }
  return `${out}"`;
}

/** Bytes made visible: printable ASCII as is, the rest as \xNN. */
export function showBytes(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function showOutcome(outcome: LuaOutcome): string {
  if ("error" in outcome) return `error ${showBytes(outcome.error)}`;
  return outcome.value === null ? "nil" : `value ${showBytes(outcome.value)}`;
}

export class LuaComparison {
  constructor(
    readonly lua: LuaState,
    readonly client: RawClient,
  ) {}

  /** How many snippets of the last `mismatches` run Redis answered with an error. */
  lastErrorCount = 0;

  /** Runs `snippets` on Redis (pipelined) and here; describes every outcome that differs. */
  async mismatches(snippets: string[]): Promise<string[]> {
    const theirs = await this.onRedis(snippets);
    this.lastErrorCount = theirs.filter((outcome) => "error" in outcome).length;
    const differences: string[] = [];
    snippets.forEach((source, i) => {
      const ours = runLua(this.lua, source);
      const expected = showOutcome(theirs[i]!);
      const actual = showOutcome(ours);
      if (expected !== actual) differences.push(`${source}\n    redis: ${expected}\n    ours:  ${actual}`);
    });
    return differences;
  }

  /** The outcomes of `snippets` on Redis, in order. */
  async onRedis(snippets: string[]): Promise<LuaOutcome[]> {
    const outcomes: LuaOutcome[] = [];
    const BATCH = 256;
    for (let start = 0; start < snippets.length; start += BATCH) {
      const batch = snippets.slice(start, start + BATCH);
      for (const source of batch) this.client.write(encodeCommand(["EVAL", source, "0"]));
      for (let i = 0; i < batch.length; i++) outcomes.push(luaOutcomeOfReply(await this.client.readRawReply()));
    }
    return outcomes;
  }

  /** The outcome of one snippet here. */
  ours(source: string): LuaOutcome {
    return runLua(this.lua, source);
  }
}

/**
 * A comparison for the tests of one file: a fresh redis-server and a Lua state with
 * base/table/string/math plus `openers`, for as long as the file runs.
 */
export function useLuaComparison(...openers: Array<(lua: LuaState) => void>): () => LuaComparison {
  let server: RunningServer | undefined;
  let comparison: LuaComparison | undefined;
  beforeAll(async () => {
    if (!haveRedis) return;
    server = await startRedis();
    comparison = new LuaComparison(libraryState(...openers), await RawClient.connect(server.port));
  });
  afterAll(async () => {
    comparison?.client.close();
    comparison?.lua.close();
    await server?.stop();
  });
  return () => {
    if (comparison === undefined) throw new Error("no comparison: redis-server is not installed");
    return comparison;
  };
}
