// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO and FUNCTION. The engine is
// in src/scripting/.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, atoi, bytesToKey, keyToBytes, parseInteger } from "../db/bytes.ts";
import { datasetChanged, replyError } from "./context.ts";
import { replyHelp } from "./keys.ts";
import * as errors from "../errors.ts";
import { globMatch } from "../util/glob.ts";
import { BUSY_SCRIPT, SCRIPT_FLAG_NAMES } from "../scripting/script.ts";
import { FUNCTION_LOAD_TIMEOUT_MS } from "../scripting/functions.ts";
import { createFunctionsPayload, parseFunctionsPayload } from "../persistence/rdb/dump.ts";

/** EVAL's keys: numkeys at argv[2], then that many keys (evalGetKeys). */
function evalKeys(argv: Uint8Array[]): number[] {
  if (argv.length < 3) return [];
  // evalGetKeys reads numkeys with atoi ("1x" is 1); EVAL itself is stricter.
  const count = atoi(argv[2]!);
  if (count <= 0 || count > argv.length - 3) return [];
  const keys: number[] = [];
  for (let i = 0; i < count; i++) keys.push(3 + i);
  return keys;
}

/**
 * EVAL, EVALSHA and FCALL (skip_monitor) feed monitors themselves, first, so that MONITOR shows
 * the script's commands after it (evalCommand, fcallCommandGeneric), whatever happens next.
 */
function feedScriptToMonitors(client: Client, argv: Uint8Array[]): void {
  if (client.server.monitors.size > 0) client.server.feedMonitors(client, argv);
}

function evalCommand(client: Client, argv: Uint8Array[]): void {
  feedScriptToMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, false, false);
}

function evalRoCommand(client: Client, argv: Uint8Array[]): void {
  feedScriptToMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, false, true);
}

function evalShaCommand(client: Client, argv: Uint8Array[]): void {
  feedScriptToMonitors(client, argv);
  client.server.scripting.evalScripts.eval(client, argv, true, false);
}

function evalShaRoCommand(client: Client, argv: Uint8Array[]): void {
  feedScriptToMonitors(client, argv);
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

// ---- FUNCTION and FCALL ----------------------------------------------------------

function fcallGeneric(client: Client, argv: Uint8Array[], readOnly: boolean): void {
  const server = client.server;
  // Functions are fed to monitors before the commands they run.
  feedScriptToMonitors(client, argv);
  const functions = server.scripting.functions;
  const fn = functions.find(bytesToKey(argv[1]!));
  if (fn === undefined) {
    replyError(client, "ERR Function not found");
    return;
  }
  const numkeys = parseInteger(argv[2]!);
  if (numkeys === null || typeof numkeys === "bigint") {
    replyError(client, "ERR Bad number of keys provided");
    return;
  }
  if (numkeys > argv.length - 3) {
    replyError(client, "ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    replyError(client, "ERR Number of keys can't be negative");
    return;
  }
  functions.call(client, fn, argv, numkeys, readOnly);
}

function functionLoad(client: Client, argv: Uint8Array[]): void {
  let replace = false;
  let position = 2;
  while (position < argv.length - 1) {
    const arg = argv[position++]!;
    if (argIs(arg, "replace")) {
      replace = true;
      continue;
    }
    replyError(client, `ERR Unknown option given: ${bytesToKey(arg).split("\0")[0]}`);
    return;
  }
  if (position >= argv.length) {
    replyError(client, "ERR Function code is missing");
    return;
  }
  const timeout = client.mustObey ? 0 : FUNCTION_LOAD_TIMEOUT_MS;
  const created = client.server.scripting.functions.create(argv[position]!, replace, timeout);
  if (typeof created !== "string") {
    replyError(client, `ERR ${created.error}`);
    return;
  }
  datasetChanged(client, 1);
  client.reply.bulkText(created);
}

function functionDelete(client: Client, argv: Uint8Array[]): void {
  if (!client.server.scripting.functions.delete(bytesToKey(argv[2]!))) {
    replyError(client, "ERR Library not found");
    return;
  }
  datasetChanged(client, 1);
  client.reply.ok();
}

function functionFlush(client: Client, argv: Uint8Array[]): void {
  if (argv.length > 3) {
    replyError(client, errors.subcommandSyntaxError(bytesToKey(argv[1]!), bytesToKey(argv[0]!)));
    return;
  }
  if (argv.length === 3 && !argIs(argv[2]!, "sync") && !argIs(argv[2]!, "async")) {
    replyError(client, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  client.server.scripting.functions.flush();
  datasetChanged(client, 1);
  client.reply.ok();
}

function functionList(client: Client, argv: Uint8Array[]): void {
  let withCode = false;
  let pattern: Uint8Array | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!withCode && argIs(arg, "withcode")) {
      withCode = true;
      continue;
    }
    if (pattern === null && argIs(arg, "libraryname")) {
      if (i >= argv.length - 1) {
        replyError(client, "ERR library name argument was not given");
        return;
      }
      pattern = argv[++i]!;
      continue;
    }
    replyError(client, `ERR Unknown argument ${bytesToKey(arg).split("\0")[0]}`);
    return;
  }
  const libraries = [...client.server.scripting.functions.libraries.values()].filter(
    (library) => pattern === null || globMatch(pattern, keyToBytes(library.name), true),
  );
  const reply = client.reply;
  reply.arrayHeader(libraries.length);
  for (const library of libraries) {
    reply.mapHeader(withCode ? 4 : 3);
    reply.bulkText("library_name");
    reply.bulkText(library.name);
    reply.bulkText("engine");
    reply.bulkText(library.engine);
    reply.bulkText("functions");
    reply.arrayHeader(library.functions.size);
    for (const fn of library.functions.values()) {
      reply.mapHeader(3);
      reply.bulkText("name");
      reply.bulkText(fn.name);
      reply.bulkText("description");
      if (fn.description === null) reply.nullBulk();
      else reply.bulk(fn.description);
      reply.bulkText("flags");
      const names = SCRIPT_FLAG_NAMES.filter(([, flag]) => (fn.flags & flag) !== 0);
      reply.setHeader(names.length);
      for (const [name] of names) reply.simple(name);
    }
    if (withCode) {
      reply.bulkText("library_code");
      reply.bulk(library.code);
    }
  }
}

function functionDump(client: Client): void {
  client.reply.bulk(createFunctionsPayload(client.server.scripting.functions.codes(), client.server.config.getBool("rdbcompression")));
}

function functionRestore(client: Client, argv: Uint8Array[]): void {
  if (argv.length > 4) {
    replyError(client, errors.subcommandSyntaxError(bytesToKey(argv[1]!), bytesToKey(argv[0]!)));
    return;
  }
  let policy: "flush" | "append" | "replace" = "append";
  if (argv.length === 4) {
    const word = argv[3]!;
    if (argIs(word, "append")) policy = "append";
    else if (argIs(word, "replace")) policy = "replace";
    else if (argIs(word, "flush")) policy = "flush";
    else {
      replyError(client, "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  const payload = parseFunctionsPayload(argv[2]!, client.server.persistence.skipChecksumValidation);
  if (typeof payload === "string") {
    replyError(client, `ERR ${payload}`);
    return;
  }
  const error = client.server.scripting.functions.restore(payload.codes, policy, payload.error);
  if (error !== null) {
    replyError(client, `ERR ${error}`);
    return;
  }
  datasetChanged(client, 1);
  client.reply.ok();
}

function functionStats(client: Client): void {
  const scripting = client.server.scripting;
  const run = scripting.runner.current;
  if (run !== null && run.isEval) {
    replyError(client, BUSY_SCRIPT);
    return;
  }
  const reply = client.reply;
  reply.mapHeader(2);
  reply.bulkText("running_script");
  if (run === null) reply.nullBulk();
  else {
    reply.mapHeader(3);
    reply.bulkText("name");
    reply.bulkText(run.functionName);
    reply.bulkText("command");
    const command = run.callerArgv;
    reply.arrayHeader(command.length);
    for (const arg of command) reply.bulk(arg);
    reply.bulkText("duration_ms");
    reply.integer(Math.floor(performance.now() - run.startTime));
  }
  reply.bulkText("engines");
  reply.mapHeader(1);
  reply.bulkText("LUA");
  reply.mapHeader(2);
  reply.bulkText("libraries_count");
  reply.integer(scripting.functions.libraries.size);
  reply.bulkText("functions_count");
  reply.integer(scripting.functions.functionCount);
}

function functionKill(client: Client): void {
  client.server.scripting.runner.kill(client, false);
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

const FCALL_FLAGS = ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"] as const;
const FCALL_RO_FLAGS = ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"] as const;
const ALL_SHARDS = ["request_policy:all_shards", "response_policy:all_succeeded"];

scriptingCommands.push(
  { name: "fcall", arity: -3, flags: [...FCALL_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "7.0.0", summary: "Invoke a function", complexity: "Depends on the function that is executed.", handler: (c, a) => fcallGeneric(c, a, false) },
  { name: "fcall_ro", arity: -3, flags: [...FCALL_RO_FLAGS], firstKey: 0, lastKey: 0, keyStep: 0, getKeys: evalKeys, ...S, since: "7.0.0", summary: "Invoke a read-only function", complexity: "Depends on the function that is executed.", handler: (c, a) => fcallGeneric(c, a, true) },
  keyless({
    name: "function", arity: -2, flags: [], categories: [], group: "scripting", since: "7.0.0", summary: "A container for function commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "delete", arity: 3, flags: ["write", "noscript"], ...S, since: "7.0.0", summary: "Delete a function by name", complexity: "O(1)", tips: ALL_SHARDS, handler: functionDelete }),
      keyless({ name: "dump", arity: 2, flags: ["noscript"], ...S, since: "7.0.0", summary: "Dump all functions into a serialized binary payload", complexity: "O(N) where N is the number of functions", handler: functionDump }),
      keyless({ name: "flush", arity: -2, flags: ["write", "noscript"], ...S, since: "7.0.0", summary: "Deleting all functions", complexity: "O(N) where N is the number of functions deleted", tips: ALL_SHARDS, handler: functionFlush }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...S, since: "7.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, FUNCTION_HELP) }),
      keyless({ name: "kill", arity: 2, flags: ["noscript", "allow_busy"], ...S, since: "7.0.0", summary: "Kill the function currently in execution.", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:one_succeeded"], handler: functionKill }),
      keyless({ name: "list", arity: -2, flags: ["noscript"], ...S, since: "7.0.0", summary: "List information about all the functions", complexity: "O(N) where N is the number of functions", tips: ["nondeterministic_output_order"], handler: functionList }),
      keyless({ name: "load", arity: -3, flags: ["write", "denyoom", "noscript"], ...S, since: "7.0.0", summary: "Create a function with the given arguments (name, code, description)", complexity: "O(1) (considering compilation time is redundant)", tips: ALL_SHARDS, handler: functionLoad }),
      keyless({ name: "restore", arity: -3, flags: ["write", "denyoom", "noscript"], ...S, since: "7.0.0", summary: "Restore all the functions on the given payload", complexity: "O(N) where N is the number of functions on the payload", tips: ALL_SHARDS, handler: functionRestore }),
      keyless({ name: "stats", arity: 2, flags: ["noscript", "allow_busy"], ...S, since: "7.0.0", summary: "Return information about the function currently running (name, description, duration)", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], handler: functionStats }),
    ],
  }),
);
