// Server commands: INFO, CONFIG, CLIENT, COMMAND, DEBUG, SLOWLOG, LATENCY, MONITOR, TIME.
// Persistence commands (SAVE, BGSAVE, LASTSAVE, FLUSHALL, SHUTDOWN) are in persistence.ts.

import type { CommandArgument, CommandSpec, Command } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, argLower, bytesToKey, copyBytes, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import * as errors from "../errors.ts";
import { buildInfo, describeClientLine } from "../info.ts";
import { Server } from "../server.ts";
import { validateClientName } from "./connection.ts";
import { replyHelp } from "./keys.ts";
import { valueEncoding } from "../db/values.ts";
import { RedisList } from "../db/list.ts";
import { computeDatasetDigest, computeValueDigest, digestToHex } from "../db/digest.ts";
import { globMatch } from "../util/glob.ts";
import { keyToBytes } from "../db/bytes.ts";

// ---- INFO ------------------------------------------------------------------------

function info(client: Client, argv: Uint8Array[]): void {
  const sections = argv.slice(1).map((a) => argLower(a));
  client.reply.verbatim(buildInfo(client.server, sections));
}

// ---- CONFIG ----------------------------------------------------------------------

function configGet(client: Client, argv: Uint8Array[]): void {
  const pairs = client.server.config.get(argv.slice(2).map((a) => bytesToKey(a)));
  client.reply.mapHeader(pairs.length);
  for (const [name, value] of pairs) {
    client.reply.bulkText(name);
    client.reply.bulkText(value);
  }
}

function configSet(client: Client, argv: Uint8Array[]): void {
  if (argv.length % 2 !== 0) {
    replyError(client, errors.wrongArgs("config|set"));
    return;
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([bytesToKey(argv[i]!), bytesToKey(argv[i + 1]!)]);
  const local = client.isUnixSocket || /^(127\.|::1|\[::1\])/.test(client.address);
  const problem = client.server.config.set(pairs, { loading: client.server.loading, localClient: local });
  if (problem !== null) replyError(client, problem);
  else client.reply.ok();
}

function configResetstat(client: Client): void {
  resetStats(client.server);
  client.reply.ok();
}

/** resetServerStats + resetCommandTableStats + resetErrorTableStats. */
export function resetStats(server: Server): void {
  server.stats = Server.emptyStats();
  for (const command of server.table.all()) {
    command.calls = 0;
    command.microseconds = 0;
    command.rejectedCalls = 0;
    command.failedCalls = 0;
  }
  for (const db of server.dbs) {
    db.stats.hits = 0;
    db.stats.misses = 0;
  }
}

function configRewrite(client: Client): void {
  const problem = client.server.config.rewrite();
  if (problem !== null) replyError(client, problem);
  else client.reply.ok();
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

// ---- CLIENT ----------------------------------------------------------------------

function clientId(client: Client): void {
  client.reply.integer(client.id);
}

function clientSetname(client: Client, argv: Uint8Array[]): void {
  const name = argv[2]!;
  const problem = validateClientName(name);
  if (problem !== null) {
    replyError(client, problem);
    return;
  }
  client.name = name.length === 0 ? null : copyBytes(name);
  client.reply.ok();
}

function clientGetname(client: Client): void {
  if (client.name === null) client.reply.nullBulk();
  else client.reply.bulk(client.name);
}

function clientInfo(client: Client): void {
  client.reply.verbatim(describeClientLine(client.server, client) + "\n");
}

function clientType(c: Client): string {
  return c.subscriptionCount > 0 || c.shardChannels.size > 0 ? "pubsub" : "normal";
}

const CLIENT_TYPES = new Set(["normal", "master", "replica", "slave", "pubsub"]);

function clientList(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  let clients = [...server.clients.values()];
  for (let i = 2; i < argv.length; i++) {
    const option = argLower(argv[i]!);
    if (option === "type" && i + 1 < argv.length) {
      const type = argLower(argv[++i]!);
      if (!CLIENT_TYPES.has(type)) {
        replyError(client, `ERR Unknown client type '${bytesToKey(argv[i]!)}'`);
        return;
      }
      const wanted = type === "slave" ? "replica" : type;
      clients = clients.filter((c) => clientType(c) === wanted);
    } else if (option === "id" && i + 1 < argv.length) {
      const ids = new Set<number>();
      for (i = i + 1; i < argv.length; i++) {
        const id = parseInteger(argv[i]!);
        if (id === null || typeof id === "bigint" || id <= 0) {
          replyError(client, "ERR Invalid client ID");
          return;
        }
        ids.add(id);
      }
      clients = clients.filter((c) => ids.has(c.id));
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  client.reply.verbatim(clients.map((c) => describeClientLine(server, c) + "\n").join(""));
}

function clientKill(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  if (argv.length === 3) {
    // Old form: CLIENT KILL addr:port
    const address = bytesToKey(argv[2]!);
    const target = [...server.clients.values()].find((c) => c.address === address);
    if (target === undefined) {
      replyError(client, "ERR No such client");
      return;
    }
    killClient(client, target);
    client.reply.ok();
    return;
  }
  if ((argv.length - 2) % 2 !== 0) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  let skipMe = true;
  const filters: Array<(c: Client) => boolean> = [];
  for (let i = 2; i < argv.length; i += 2) {
    const option = argLower(argv[i]!);
    const value = argv[i + 1]!;
    if (option === "id") {
      const id = parseInteger(value);
      if (id === null || typeof id === "bigint" || id <= 0) {
        replyError(client, "ERR client-id should be greater than 0");
        return;
      }
      filters.push((c) => c.id === id);
    } else if (option === "type") {
      const type = argLower(value);
      if (!CLIENT_TYPES.has(type)) {
        replyError(client, `ERR Unknown client type '${bytesToKey(value)}'`);
        return;
      }
      const wanted = type === "slave" ? "replica" : type;
      filters.push((c) => clientType(c) === wanted);
    } else if (option === "addr") {
      const address = bytesToKey(value);
      filters.push((c) => c.address === address);
    } else if (option === "laddr") {
      const address = bytesToKey(value);
      filters.push((c) => c.localAddress === address);
    } else if (option === "user") {
      const user = bytesToKey(value);
      if (user !== "default") {
        replyError(client, `ERR No such user '${user}'`);
        return;
      }
    } else if (option === "skipme") {
      if (argIs(value, "yes")) skipMe = true;
      else if (argIs(value, "no")) skipMe = false;
      else {
        replyError(client, errors.SYNTAX_ERROR);
        return;
      }
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  let killed = 0;
  for (const target of [...server.clients.values()]) {
    if (skipMe && target === client) continue;
    if (!filters.every((f) => f(target))) continue;
    killClient(client, target);
    killed++;
  }
  client.reply.integer(killed);
}

/** Killing yourself closes after the reply, as Redis does. */
function killClient(self: Client, target: Client): void {
  if (target === self) self.closeAfterReply = true;
  else target.close();
}

function clientReply(client: Client, argv: Uint8Array[]): void {
  const mode = argLower(argv[2]!);
  if (mode === "on") {
    client.replyMode = "on";
    client.reply.enabled = true;
    client.reply.ok();
  } else if (mode === "off") {
    client.replyMode = "off";
  } else if (mode === "skip") {
    if (client.replyMode !== "off") client.replyMode = "skip";
  } else replyError(client, errors.SYNTAX_ERROR);
}

function clientNoEvict(client: Client, argv: Uint8Array[]): void {
  if (argIs(argv[2]!, "on")) client.noEvict = true;
  else if (argIs(argv[2]!, "off")) client.noEvict = false;
  else {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  client.reply.ok();
}

function clientPause(client: Client, argv: Uint8Array[]): void {
  const timeout = parseInteger(argv[2]!);
  if (timeout === null || typeof timeout === "bigint" || timeout < 0) {
    replyError(client, "ERR timeout is not an integer or out of range");
    return;
  }
  let writesOnly = false;
  if (argv.length === 4) {
    if (argIs(argv[3]!, "write")) writesOnly = true;
    else if (!argIs(argv[3]!, "all")) {
      replyError(client, "ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  client.server.pauseClients(Date.now() + timeout, writesOnly);
  client.reply.ok();
}

function clientUnpause(client: Client): void {
  client.server.unpauseClients();
  client.reply.ok();
}

function clientUnblock(client: Client, argv: Uint8Array[]): void {
  const id = parseInteger(argv[2]!);
  if (id === null || typeof id === "bigint") {
    replyError(client, errors.NOT_INTEGER);
    return;
  }
  let withError = false;
  if (argv.length === 4) {
    if (argIs(argv[3]!, "error")) withError = true;
    else if (!argIs(argv[3]!, "timeout")) {
      replyError(client, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const server = client.server;
  const target = server.clients.get(id);
  const state = target?.blocked;
  // Only clients in a blocking command can be unblocked; a client held by CLIENT PAUSE cannot.
  if (target === undefined || state == null || state.kind === "postponed") {
    client.reply.integer(0);
    return;
  }
  server.blocking.unblock(target);
  if (withError) {
    if (state.kind !== "offset" && state.onUnblockError) state.onUnblockError();
    else server.replyError(target, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else if (state.kind === "offset") state.reply(server.blocking.acknowledgedBy(state.offset));
  else state.onTimeout();
  server.afterUnblock(target);
  client.reply.integer(1);
}

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "    * ID <client-id>",
  "      Kill connections by client id.",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
];

/** Redis's command flag table order (COMMAND INFO prints flags in it). */
const FLAG_ORDER = [
  "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading", "stale", "skip_monitor",
  "skip_slowlog", "asking", "fast", "no_auth", "may_replicate", "sentinel", "only_sentinel", "no_mandatory_keys",
  "protected", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
];

// ---- COMMAND ------------------------------------------------------------------------

function replyCommandInfo(client: Client, command: Command): void {
  const reply = client.reply;
  const spec = command.spec;
  reply.arrayHeader(10);
  reply.bulkText(command.fullName);
  reply.integer(spec.arity);
  // Redis hides may_replicate on purpose (its flag table comments it out).
  const flags = spec.flags.filter((flag) => flag !== "may_replicate");
  if (spec.getKeys && !flags.includes("movablekeys")) flags.push("movablekeys");
  // Redis lists flags in the order of its flag table, whatever the declaration's order.
  flags.sort((a, b) => FLAG_ORDER.indexOf(a) - FLAG_ORDER.indexOf(b));
  reply.setHeader(flags.length);
  for (const flag of flags) reply.simple(flag);
  reply.integer(spec.firstKey);
  reply.integer(spec.lastKey);
  reply.integer(spec.keyStep);
  reply.setHeader(command.aclCategories.length);
  for (const category of command.aclCategories) reply.simple("@" + category);
  const tips = spec.tips ?? [];
  reply.arrayHeader(tips.length);
  for (const tip of tips) reply.bulkText(tip);
  if (spec.firstKey > 0 && !spec.getKeys) {
    reply.arrayHeader(1);
    reply.mapHeader(3);
    reply.bulkText("flags");
    const keyFlags = command.isWrite ? ["RW", "update"] : ["RO", "access"];
    reply.setHeader(keyFlags.length);
    for (const f of keyFlags) reply.simple(f);
    reply.bulkText("begin_search");
    reply.mapHeader(2);
    reply.bulkText("type");
    reply.bulkText("index");
    reply.bulkText("spec");
    reply.mapHeader(1);
    reply.bulkText("index");
    reply.integer(spec.firstKey);
    reply.bulkText("find_keys");
    reply.mapHeader(2);
    reply.bulkText("type");
    reply.bulkText("range");
    reply.bulkText("spec");
    reply.mapHeader(3);
    reply.bulkText("lastkey");
    reply.integer(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
    reply.bulkText("keystep");
    reply.integer(spec.keyStep);
    reply.bulkText("limit");
    reply.integer(0);
  } else reply.arrayHeader(0);
  reply.arrayHeader(command.subcommands.size);
  for (const sub of command.subcommands.values()) replyCommandInfo(client, sub);
}

function commandAll(client: Client): void {
  const commands = [...client.server.table.commands.values()];
  client.reply.arrayHeader(commands.length);
  for (const command of commands) replyCommandInfo(client, command);
}

function lookupByFullName(client: Client, name: string): Command | undefined {
  const [base, sub] = name.toLowerCase().split("|");
  const command = client.server.table.lookup(base!);
  if (command === undefined || sub === undefined) return command;
  return command.subcommands.get(sub);
}

function commandInfo(client: Client, argv: Uint8Array[]): void {
  if (argv.length === 2) {
    commandAll(client);
    return;
  }
  client.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const command = lookupByFullName(client, bytesToKey(argv[i]!));
    if (command === undefined) client.reply.nullArray();
    else replyCommandInfo(client, command);
  }
}

function commandCount(client: Client): void {
  client.reply.integer(client.server.table.commands.size);
}

/** addReplyCommandArgList: each argument as a map, its fields in Redis's order. */
function replyCommandArguments(client: Client, args: readonly CommandArgument[]): void {
  const reply = client.reply;
  reply.arrayHeader(args.length);
  for (const arg of args) {
    const fields: Array<[string, () => void]> = [
      ["name", () => reply.bulkText(arg.name)],
      ["type", () => reply.bulkText(arg.type)],
    ];
    if (arg.keySpecIndex !== undefined) fields.push(["key_spec_index", () => reply.integer(arg.keySpecIndex!)]);
    if (arg.token !== undefined) fields.push(["token", () => reply.bulkText(arg.token!)]);
    if (arg.since !== undefined) fields.push(["since", () => reply.bulkText(arg.since!)]);
    if (arg.flags !== undefined) {
      fields.push([
        "flags",
        () => {
          reply.setHeader(arg.flags!.length);
          for (const flag of arg.flags!) reply.simple(flag);
        },
      ]);
    }
    if (arg.arguments !== undefined) fields.push(["arguments", () => replyCommandArguments(client, arg.arguments!)]);
    reply.mapHeader(fields.length);
    for (const [name, write] of fields) {
      reply.bulkText(name);
      write();
    }
  }
}

function replyCommandDocs(client: Client, command: Command): void {
  const reply = client.reply;
  const spec = command.spec;
  const fields: Array<[string, () => void]> = [
    ["summary", () => reply.bulkText(spec.summary)],
    ["since", () => reply.bulkText(spec.since)],
    ["group", () => reply.bulkText(spec.group)],
  ];
  if (spec.complexity) fields.push(["complexity", () => reply.bulkText(spec.complexity!)]);
  const history = spec.history;
  if (history !== undefined) {
    fields.push([
      "history",
      () => {
        reply.arrayHeader(history.length);
        for (const [version, change] of history) {
          reply.arrayHeader(2);
          reply.bulkText(version);
          reply.bulkText(change);
        }
      },
    ]);
  }
  const args = spec.arguments;
  if (args !== undefined) fields.push(["arguments", () => replyCommandArguments(client, args)]);
  if (command.subcommands.size > 0) {
    fields.push([
      "subcommands",
      () => {
        reply.mapHeader(command.subcommands.size);
        for (const sub of command.subcommands.values()) {
          reply.bulkText(sub.fullName);
          replyCommandDocs(client, sub);
        }
      },
    ]);
  }
  reply.mapHeader(fields.length);
  for (const [name, write] of fields) {
    reply.bulkText(name);
    write();
  }
}

function commandDocs(client: Client, argv: Uint8Array[]): void {
  const table = client.server.table;
  let commands: Command[];
  if (argv.length === 2) commands = [...table.commands.values()];
  else {
    commands = [];
    for (let i = 2; i < argv.length; i++) {
      const command = lookupByFullName(client, bytesToKey(argv[i]!));
      if (command !== undefined) commands.push(command);
    }
  }
  client.reply.mapHeader(commands.length);
  for (const command of commands) {
    client.reply.bulkText(command.fullName);
    replyCommandDocs(client, command);
  }
}

function commandList(client: Client, argv: Uint8Array[]): void {
  let filter: (c: Command) => boolean = () => true;
  if (argv.length === 5 && argIs(argv[2]!, "filterby")) {
    const kind = argLower(argv[3]!);
    const value = argv[4]!;
    if (kind === "module") filter = () => false;
    else if (kind === "aclcat") {
      const category = bytesToKey(value).toLowerCase();
      filter = (c) => c.aclCategories.includes(category);
    } else if (kind === "pattern") {
      filter = (c) => globMatch(value, keyToBytes(c.fullName), true);
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  } else if (argv.length !== 2) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const names: string[] = [];
  for (const command of client.server.table.all()) if (filter(command)) names.push(command.fullName);
  client.reply.arrayHeader(names.length);
  for (const name of names) client.reply.bulkText(name);
}

function commandGetkeys(client: Client, argv: Uint8Array[]): void {
  const args = argv.slice(2);
  let command = client.server.table.lookup(argLower(args[0]!));
  if (command !== undefined && command.subcommands.size > 0 && args.length >= 2) {
    command = command.subcommands.get(argLower(args[1]!)) ?? command;
  }
  if (command === undefined) {
    replyError(client, "ERR Invalid command specified");
    return;
  }
  const arity = command.spec.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) {
    replyError(client, "ERR Invalid number of arguments specified for command");
    return;
  }
  const indexes = command.keyIndexes(args);
  if (indexes.length === 0) {
    // Redis tells a command without keys from a call that names none: EVAL and FCALL
    // with numkeys 0 (no_mandatory_keys) have an empty list of keys, ZUNION with a bad
    // numkeys has invalid arguments.
    const hasKeys = command.spec.getKeys !== undefined || command.spec.firstKey > 0;
    if (!hasKeys) replyError(client, "ERR The command has no key arguments");
    else if (command.flags.has("no_mandatory_keys")) client.reply.arrayHeader(0);
    else replyError(client, "ERR Invalid arguments specified for command");
    return;
  }
  client.reply.arrayHeader(indexes.length);
  for (const i of indexes) client.reply.bulk(args[i]!);
}

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
  "HELP",
  "    Prints this help.",
];

// ---- DEBUG ---------------------------------------------------------------------------

function debugAllowed(client: Client): boolean {
  const setting = client.server.config.getString("enable-debug-command");
  if (setting === "yes") return true;
  if (setting === "local" && (client.isUnixSocket || /^(127\.|::1|\[::1\])/.test(client.address))) return true;
  replyError(
    client,
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
  );
  return false;
}

function debug(client: Client, argv: Uint8Array[]): void {
  if (!debugAllowed(client)) return;
  const sub = argLower(argv[1]!);
  const server = client.server;
  if (sub === "sleep" && argv.length === 3) {
    const seconds = Number(bytesToKey(argv[2]!));
    const until = performance.now() + (Number.isFinite(seconds) ? seconds * 1000 : 0);
    // Blocks the event loop on purpose, as Redis's DEBUG SLEEP blocks the server.
    while (performance.now() < until) Bun.sleepSync(Math.min(10, until - performance.now()));
    client.reply.ok();
  } else if (sub === "set-active-expire" && argv.length === 3) {
    const value = parseInteger(argv[2]!);
    if (server.cron !== null) server.cron.activeExpireEnabled = value !== 0;
    client.reply.ok();
  } else if (sub === "object" && argv.length === 3) {
    const db = client.db;
    const slot = db.find(bytesToKey(argv[2]!));
    if (slot < 0) {
      replyError(client, errors.NO_SUCH_KEY);
      return;
    }
    const value = db.valueAt(slot);
    const idle = db.idleSecondsOf(slot);
    const lruClock = (Math.floor(Date.now() / 1000) - idle) & 0xffffff;
    client.reply.simple(
      `Value at:0x0 refcount:1 encoding:${valueEncoding(value)} serializedlength:${client.server.persistence.valueEncoder.savedLength(value)} lru:${lruClock} lru_seconds_idle:${idle}` +
        (value instanceof RedisList ? value.debugObjectFields() : ""),
    );
  } else if (sub === "reload") {
    server.persistence.debugReload(client, argv.slice(2));
  } else if (sub === "loadaof") {
    server.persistence.debugLoadAof(client);
  } else if (sub === "digest" && argv.length === 2) {
    client.reply.simple(digestToHex(computeDatasetDigest(server.dbs)));
  } else if (sub === "digest-value") {
    // Logically expired keys count, as in Redis: the digest does not look keys up.
    client.reply.arrayHeader(argv.length - 2);
    for (let i = 2; i < argv.length; i++) client.reply.simple(digestToHex(computeValueDigest(client.db, argv[i]!)));
  } else if (sub === "help") {
    replyHelp(client, [
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DIGEST",
      "    A hex SHA1 signature of the whole dataset (every database).",
      "DIGEST-VALUE <key> [<key> ...]",
      "    A hex SHA1 signature of each key's value in the current database.",
      "LOADAOF",
      "    Flush the AOF buffers on disk and reload the AOF in memory.",
      "OBJECT <key>",
      "    Show low level info about the `key` and associated value.",
      "RELOAD [option ...]",
      "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH, NOSAVE.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not accessed.",
      "SLEEP <seconds>",
      "    Stop the server for <seconds>. Decimals allowed.",
      "HELP",
      "    Prints this help.",
    ]);
  } else {
    replyError(client, errors.subcommandSyntaxError(bytesToKey(argv[1]!), "debug"));
  }
}

// ---- SLOWLOG / LATENCY / MONITOR / TIME -------------------------------------------------

function slowlogGet(client: Client, argv: Uint8Array[]): void {
  let count = 10;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]!);
    if (n === null || typeof n === "bigint" || n < -1) {
      replyError(client, "ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1 ? Infinity : n;
  }
  const entries = client.server.slowlog.entries.slice(0, count === Infinity ? undefined : count);
  const reply = client.reply;
  reply.arrayHeader(entries.length);
  for (const entry of entries) {
    reply.arrayHeader(6);
    reply.integer(entry.id);
    reply.integer(entry.time);
    reply.integer(entry.micros);
    reply.arrayHeader(entry.argv.length);
    for (const arg of entry.argv) reply.bulk(arg);
    reply.bulkText(entry.peer);
    if (entry.clientName === null) reply.bulkText("");
    else reply.bulk(entry.clientName);
  }
}

function latencyLatest(client: Client): void {
  const events = client.server.latency.events;
  client.reply.arrayHeader(events.size);
  for (const [name, event] of events) {
    const last = event.samples[event.samples.length - 1]!;
    client.reply.arrayHeader(4);
    client.reply.bulkText(name);
    client.reply.integer(last.time);
    client.reply.integer(last.latency);
    client.reply.integer(event.max);
  }
}

function latencyHistory(client: Client, argv: Uint8Array[]): void {
  const event = client.server.latency.events.get(bytesToKey(argv[2]!));
  if (event === undefined) {
    client.reply.arrayHeader(0);
    return;
  }
  client.reply.arrayHeader(event.samples.length);
  for (const sample of event.samples) {
    client.reply.arrayHeader(2);
    client.reply.integer(sample.time);
    client.reply.integer(sample.latency);
  }
}

function latencyReset(client: Client, argv: Uint8Array[]): void {
  client.reply.integer(client.server.latency.reset(argv.slice(2).map(bytesToKey)));
}

function monitor(client: Client): void {
  if (client.monitor) {
    client.reply.ok();
    return;
  }
  client.monitor = true;
  client.server.monitors.add(client);
  client.reply.ok();
}

function time(client: Client): void {
  const nowMicros = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000));
  client.reply.arrayHeader(2);
  client.reply.bulkText(String(nowMicros / 1000000n));
  client.reply.bulkText(String(nowMicros % 1000000n));
}

// ---- declarations ---------------------------------------------------------------------------

const SRV = { categories: [] as string[], group: "server" };
const CONN = { categories: ["connection"], group: "connection" };

export const serverCommands: CommandSpec[] = [
  keyless({ name: "info", arity: -1, flags: ["loading", "stale"], ...SRV, categories: ["dangerous"], since: "1.0.0", summary: "Get information and statistics about the server", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], handler: info }),
  keyless({
    name: "config", arity: -2, flags: [], ...SRV, since: "2.0.0", summary: "A container for server configuration commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "get", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.0.0", summary: "Get the values of configuration parameters", complexity: "O(N) when N is the number of configuration parameters provided", handler: configGet }),
      keyless({ name: "set", arity: -4, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.0.0", summary: "Set configuration parameters to the given values", complexity: "O(N) when N is the number of configuration parameters provided", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: configSet }),
      keyless({ name: "resetstat", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.0.0", summary: "Reset the stats returned by INFO", complexity: "O(1)", handler: configResetstat }),
      keyless({ name: "rewrite", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.0", summary: "Rewrite the configuration file with the in memory configuration", complexity: "O(1)", handler: configRewrite }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, CONFIG_HELP) }),
    ],
  }),
  keyless({
    name: "client", arity: -2, flags: [], ...CONN, categories: [], since: "2.4.0", summary: "A container for client connection commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "id", arity: 2, flags: ["noscript", "loading", "stale"], ...CONN, since: "5.0.0", summary: "Returns the client ID for the current connection", complexity: "O(1)", handler: clientId }),
      keyless({ name: "setname", arity: 3, flags: ["noscript", "loading", "stale"], ...CONN, since: "2.6.9", summary: "Set the current connection name", complexity: "O(1)", handler: clientSetname }),
      keyless({ name: "getname", arity: 2, flags: ["noscript", "loading", "stale"], ...CONN, since: "2.6.9", summary: "Get the current connection name", complexity: "O(1)", handler: clientGetname }),
      keyless({ name: "info", arity: 2, flags: ["noscript", "loading", "stale"], ...CONN, since: "6.2.0", summary: "Returns information about the current client connection.", complexity: "O(1)", tips: ["nondeterministic_output"], handler: clientInfo }),
      keyless({ name: "list", arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "2.4.0", summary: "Get the list of client connections", complexity: "O(N) where N is the number of client connections", tips: ["nondeterministic_output"], handler: clientList }),
      keyless({ name: "kill", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "2.4.0", summary: "Kill the connection of a client", complexity: "O(N) where N is the number of client connections", handler: clientKill }),
      keyless({ name: "reply", arity: 3, flags: ["noscript", "loading", "stale"], ...CONN, since: "3.2.0", summary: "Instruct the server whether to reply to commands", complexity: "O(1)", handler: clientReply }),
      keyless({ name: "no-evict", arity: 3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "7.0.0", summary: "Set client eviction mode for the current connection", complexity: "O(1)", handler: clientNoEvict }),
      keyless({ name: "pause", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "3.0.0", summary: "Stop processing commands from clients for some time", complexity: "O(1)", handler: clientPause }),
      keyless({ name: "unpause", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "6.2.0", summary: "Resume processing of clients that were paused", complexity: "O(N) Where N is the number of paused clients", handler: clientUnpause }),
      keyless({ name: "unblock", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "5.0.0", summary: "Unblock a client blocked in a blocking command from a different connection", complexity: "O(log N) where N is the number of client connections", handler: clientUnblock }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...CONN, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, CLIENT_HELP) }),
    ],
  }),
  keyless({
    name: "command", arity: -1, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "2.8.13", summary: "Get array of Redis command details", complexity: "O(N) where N is the total number of Redis commands", tips: ["nondeterministic_output_order"], handler: commandAll,
    subcommands: [
      keyless({ name: "count", arity: 2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "2.8.13", summary: "Get total number of Redis commands", complexity: "O(1)", handler: commandCount }),
      keyless({ name: "info", arity: -2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "2.8.13", summary: "Get array of specific Redis command details, or all when no argument is given.", complexity: "O(N) where N is the number of commands to look up", tips: ["nondeterministic_output_order"], handler: commandInfo }),
      keyless({ name: "docs", arity: -2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "7.0.0", summary: "Get array of specific Redis command documentation", complexity: "O(N) where N is the number of commands to look up", tips: ["nondeterministic_output_order"], handler: commandDocs }),
      keyless({ name: "list", arity: -2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "7.0.0", summary: "Get an array of Redis command names", complexity: "O(N) where N is the total number of Redis commands", tips: ["nondeterministic_output_order"], handler: commandList }),
      keyless({ name: "getkeys", arity: -4, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "2.8.13", summary: "Extract keys given a full Redis command", complexity: "O(N) where N is the number of arguments to the command", handler: commandGetkeys }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, COMMAND_HELP) }),
    ],
  }),
  keyless({ name: "debug", arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "1.0.0", summary: "A container for debugging commands", complexity: "Depends on subcommand.", handler: debug }),
  keyless({
    name: "slowlog", arity: -2, flags: [], ...SRV, since: "2.2.12", summary: "A container for slow log commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "get", arity: -2, flags: ["admin", "loading", "stale"], ...SRV, since: "2.2.12", summary: "Get the slow log's entries", complexity: "O(N) where N is the number of entries returned", tips: ["request_policy:all_nodes", "nondeterministic_output"], handler: slowlogGet }),
      keyless({ name: "len", arity: 2, flags: ["admin", "loading", "stale"], ...SRV, since: "2.2.12", summary: "Get the slow log's length", complexity: "O(1)", tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"], handler: (c) => c.reply.integer(c.server.slowlog.entries.length) }),
      keyless({ name: "reset", arity: 2, flags: ["admin", "loading", "stale"], ...SRV, since: "2.2.12", summary: "Clear all entries from the slow log", complexity: "O(N) where N is the number of entries in the slowlog", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: (c) => { c.server.slowlog.reset(); c.reply.ok(); } }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "6.2.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, ["SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).", "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array, client IP and port,", "    client name", "LEN", "    Return the length of the slowlog.", "RESET", "    Reset the slowlog.", "HELP", "    Prints this help."]) }),
    ],
  }),
  keyless({
    name: "latency", arity: -2, flags: [], ...SRV, since: "2.8.13", summary: "A container for latency diagnostics commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "latest", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Return the latest latency samples for all events.", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], handler: latencyLatest }),
      keyless({ name: "history", arity: 3, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Return timestamp-latency samples for the event.", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], handler: latencyHistory }),
      keyless({ name: "reset", arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Reset latency data for one or more events.", complexity: "O(1)", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: latencyReset }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "2.8.13", summary: "Show helpful text about the different subcommands.", complexity: "O(1)", handler: (c) => replyHelp(c, ["LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "LATEST", "    Return the latest latency samples for all events.", "HISTORY <event>", "    Return time-latency samples for the specified event.", "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.", "    (default: reset all data for all event classes)", "HELP", "    Prints this help."]) }),
    ],
  }),
  keyless({ name: "monitor", arity: 1, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "1.0.0", summary: "Listen for all requests received by the server in real time", handler: monitor }),
  keyless({ name: "time", arity: 1, flags: ["loading", "stale", "fast"], ...SRV, since: "2.6.0", summary: "Return the current server time", complexity: "O(1)", tips: ["nondeterministic_output"], handler: time }),
];

