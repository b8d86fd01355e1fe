// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. The engine is in src/scripting/.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, bytesToKey, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import { replyHelp } from "./keys.ts";

/** EVAL's keys: numkeys at argv[2], then that many keys (evalGetKeys). */
function evalKeys(argv: Uint8Array[]): number[] {
  if (argv.length < 3) return [];
  const count = parseInteger(argv[2]!);
  if (typeof count !== "number" || count <= 0 || count > argv.length - 3) return [];
  const keys: number[] = [];
  for (let i = 0; i < count; i++) keys.push(3 + i);
  return keys;
}

/** EVAL is skip_monitor: it feeds MONITOR itself, before the commands its script runs. */
function feedMonitors(client: Client, argv: Uint8Array[]): void {
  if (client.server.monitors.size > 0) client.server.feedMonitors(client, argv);
}

function evalCommand(client: Client, argv: Uint8Array[]): void {
  feedMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, false, false);
}

function evalRoCommand(client: Client, argv: Uint8Array[]): void {
  feedMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, false, true);
}

function evalShaCommand(client: Client, argv: Uint8Array[]): void {
  feedMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, true, false);
}

function evalShaRoCommand(client: Client, argv: Uint8Array[]): void {
  feedMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, true, true);
}

function scriptLoad(client: Client, argv: Uint8Array[]): void {
  const sha = client.server.scripting.evalScripts.createFunction(client, argv[2]!);
  if (sha !== null) client.reply.bulkText(sha);
}

function scriptExists(client: Client, argv: Uint8Array[]): void {
  const scripts = client.server.scripting.evalScripts;
  client.reply.arrayHeader(argv.length - 2);
  // Redis's script dict compares keys case-insensitively; the cache is keyed by lower-case SHAs.
  for (let i = 2; i < argv.length; i++) client.reply.integer(scripts.has(bytesToKey(argv[i]!).toLowerCase()) ? 1 : 0);
}

function scriptFlush(client: Client, argv: Uint8Array[]): void {
  if (argv.length === 3 && !argIs(argv[2]!, "sync") && !argIs(argv[2]!, "async")) {
    replyError(client, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  if (argv.length > 3) {
    replyError(client, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  // ASYNC frees the old scripts in the background in Redis; here the old Lua state is
  // closed at once, which is quick (its memory returns to the VM's allocator).
  client.server.scripting.evalScripts.reset();
  client.reply.ok();
}

function scriptKill(client: Client): void {
  client.server.scripting.runner.kill(client, true);
}

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

const S = { categories: ["scripting"], group: "scripting" };
const EVAL_FLAGS = ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"] as const;
const EVAL_RO_FLAGS = ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"] as const;

export const scriptingCommands: CommandSpec[] = [
  { name: "eval", arity: -3, flags: [...EVAL_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "2.6.0", summary: "Execute a Lua script server side", complexity: "Depends on the script that is executed.", handler: evalCommand },
  { name: "evalsha", arity: -3, flags: [...EVAL_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "2.6.0", summary: "Execute a Lua script server side", complexity: "Depends on the script that is executed.", handler: evalShaCommand },
  { name: "eval_ro", arity: -3, flags: [...EVAL_RO_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "7.0.0", summary: "Execute a read-only Lua script server side", complexity: "Depends on the script that is executed.", handler: evalRoCommand },
  { name: "evalsha_ro", arity: -3, flags: [...EVAL_RO_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "7.0.0", summary: "Execute a read-only Lua script server side", complexity: "Depends on the script that is executed.", handler: evalShaRoCommand },
  keyless({
    name: "script", arity: -2, flags: [], categories: [], group: "scripting", since: "2.6.0", summary: "A container for Lua scripts management commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "exists", arity: -3, flags: ["noscript"], ...S, since: "2.6.0", summary: "Check existence of scripts in the script cache.", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", tips: ["request_policy:all_shards", "response_policy:agg_logical_and"], handler: scriptExists }),
      keyless({ name: "flush", arity: -2, flags: ["noscript"], ...S, since: "2.6.0", summary: "Remove all the scripts from the script cache.", complexity: "O(N) with N being the number of scripts in cache", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: scriptFlush }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...S, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, SCRIPT_HELP) }),
      keyless({ name: "kill", arity: 2, flags: ["noscript", "allow_busy"], ...S, since: "2.6.0", summary: "Kill the script currently in execution.", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:one_succeeded"], handler: scriptKill }),
      keyless({ name: "load", arity: 3, flags: ["noscript", "stale"], ...S, since: "2.6.0", summary: "Load the specified Lua script into the script cache.", complexity: "O(N) with N being the length in bytes of the script body.", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: scriptLoad }),
    ],
  }),
];
