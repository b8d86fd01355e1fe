// Server commands: INFO, CONFIG, CLIENT, COMMAND, DEBUG, SLOWLOG, LATENCY, MONITOR, TIME.
// Persistence commands (SAVE, BGSAVE, LASTSAVE, FLUSHALL, SHUTDOWN) are in persistence.ts.

import type { CommandArgument, CommandMetadata, CommandSpec, Command, KeySpec, KeySpecBeginSearch, KeySpecFindKeys } from "./table.ts";
import { commandHasKeys, getKeysFromCommandWithSpecs } from "./getkeys.ts";
import { keyless } from "./table.ts";
import { REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, type Client } from "../net/client.ts";
import { argIs, argLower, atoi, bytesToKey, bytesToText, copyBytes, parseInteger } from "../db/bytes.ts";
import { logger } from "../log.ts";
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
import type { LatencyHistogram } from "../latency-histogram.ts";
import { latencyDoctor, latencyGraph } from "../latency.ts";
import { readFileSync } from "node:fs";
import { serverPanic } from "../crash.ts";
import { debugHtstats, debugHtstatsKey, debugListpack, debugQuicklistPackedThreshold } from "./debug-structures.ts";
import { keyToBytes } from "../db/bytes.ts";
import { TRACKING_BCAST, TRACKING_BROKEN_REDIR, TRACKING_CACHING, TRACKING_NOLOOP, TRACKING_ON, TRACKING_OPTIN, TRACKING_OPTOUT } from "../tracking.ts";

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
  server.evictor.resetStats();
  for (const command of server.table.all()) {
    command.calls = 0;
    command.microseconds = 0;
    command.rejectedCalls = 0;
    command.failedCalls = 0;
    command.latencyHistogram = null;
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
  if (c === c.server.masterLink.master) return "master";
  if (c.replica !== null) return "replica";
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
  // Only clients in a blocking command can be unblocked; a client held by CLIENT PAUSE or
  // waiting in SHUTDOWN cannot.
  if (target === undefined || state == null || state.kind === "postponed" || state.kind === "shutdown") {
    client.reply.integer(0);
    return;
  }
  server.blocking.unblock(target);
  if (withError) {
    if (state.kind !== "offset" && state.onUnblockError) state.onUnblockError();
    else server.replyError(target, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else if (state.kind === "offset") state.reply(server.blocking.acknowledgedBy(state.offset));
  else state.onTimeout();
  server.updateStatsOnUnblock(target, state.command, true);
  server.afterUnblock(target);
  client.reply.integer(1);
}

// ---- CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO (client-side caching: tracking.ts) ----

/**
 * CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP]:
 * the options are read first (a bad one is an error even with OFF), then the rules on
 * combining them with each other and with the client's current mode, in Redis's order.
 */
function clientTracking(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  const tracking = server.tracking;
  let redirect = 0;
  let options = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const moreArgs = j < argv.length - 1;
    const option = argLower(argv[j]!);
    if (option === "redirect" && moreArgs) {
      j++;
      if (redirect !== 0) {
        replyError(client, errors.TRACKING_REDIRECT_TWICE);
        return;
      }
      const id = parseInteger(argv[j]!);
      if (id === null) {
        replyError(client, errors.NOT_INTEGER);
        return;
      }
      // The client must exist now, although it may go away later (the broken redirect).
      if (typeof id === "bigint" || !server.clients.has(id)) {
        replyError(client, errors.TRACKING_REDIRECT_MISSING);
        return;
      }
      redirect = id;
    } else if (option === "bcast") options |= TRACKING_BCAST;
    else if (option === "optin") options |= TRACKING_OPTIN;
    else if (option === "optout") options |= TRACKING_OPTOUT;
    else if (option === "noloop") options |= TRACKING_NOLOOP;
    else if (option === "prefix" && moreArgs) prefixes.push(bytesToKey(argv[++j]!));
    else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const mode = argLower(argv[2]!);
  if (mode === "on") {
    const problem = trackingOptionsProblem(client, options, prefixes);
    if (problem !== null) {
      replyError(client, problem);
      return;
    }
    tracking.enableTracking(client, redirect, options, prefixes);
  } else if (mode === "off") {
    tracking.disableTracking(client);
  } else {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  client.reply.ok();
}

/** Why CLIENT TRACKING ON cannot take these options for this client, or null. */
function trackingOptionsProblem(client: Client, options: number, prefixes: readonly string[]): string | null {
  const bcast = (options & TRACKING_BCAST) !== 0;
  const current = client.trackingFlags;
  if (!bcast && prefixes.length > 0) return errors.TRACKING_PREFIX_WITHOUT_BCAST;
  if ((current & TRACKING_ON) !== 0 && ((current & TRACKING_BCAST) !== 0) !== bcast) return errors.TRACKING_SWITCH_BCAST;
  if (bcast && (options & (TRACKING_OPTIN | TRACKING_OPTOUT)) !== 0) return errors.TRACKING_OPTIN_OPTOUT_WITH_BCAST;
  if ((options & TRACKING_OPTIN) !== 0 && (options & TRACKING_OPTOUT) !== 0) return errors.TRACKING_OPTIN_AND_OPTOUT;
  if (((options & TRACKING_OPTIN) !== 0 && (current & TRACKING_OPTOUT) !== 0) || ((options & TRACKING_OPTOUT) !== 0 && (current & TRACKING_OPTIN) !== 0)) {
    return errors.TRACKING_SWITCH_OPTIN_OPTOUT;
  }
  return bcast ? client.server.tracking.prefixCollision(client, prefixes) : null;
}

/** CLIENT CACHING YES|NO: whether the next command (or transaction) is remembered, in OPTIN/OPTOUT mode. */
function clientCaching(client: Client, argv: Uint8Array[]): void {
  const flags = client.trackingFlags;
  if ((flags & TRACKING_ON) === 0) {
    replyError(client, errors.CACHING_WITHOUT_TRACKING);
    return;
  }
  const answer = argLower(argv[2]!);
  if (answer === "yes") {
    if ((flags & TRACKING_OPTIN) === 0) {
      replyError(client, errors.CACHING_YES_WITHOUT_OPTIN);
      return;
    }
  } else if (answer === "no") {
    if ((flags & TRACKING_OPTOUT) === 0) {
      replyError(client, errors.CACHING_NO_WITHOUT_OPTOUT);
      return;
    }
  } else {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  client.trackingFlags |= TRACKING_CACHING;
  client.reply.ok();
}

/** CLIENT GETREDIR: the id invalidations go to (0: this connection), -1 without tracking. */
function clientGetredir(client: Client): void {
  client.reply.integer((client.trackingFlags & TRACKING_ON) !== 0 ? client.trackingRedirection : -1);
}

/** CLIENT TRACKINGINFO: flags, redirect and prefixes, as Redis lists them. */
function clientTrackinginfo(client: Client): void {
  const flags = client.trackingFlags;
  const names = [(flags & TRACKING_ON) !== 0 ? "on" : "off"];
  if (flags & TRACKING_BCAST) names.push("bcast");
  if (flags & TRACKING_OPTIN) {
    names.push("optin");
    if (flags & TRACKING_CACHING) names.push("caching-yes");
  }
  if (flags & TRACKING_OPTOUT) {
    names.push("optout");
    if (flags & TRACKING_CACHING) names.push("caching-no");
  }
  if (flags & TRACKING_NOLOOP) names.push("noloop");
  if (flags & TRACKING_BROKEN_REDIR) names.push("broken_redirect");
  const reply = client.reply;
  reply.mapHeader(3);
  reply.bulkText("flags");
  reply.setHeader(names.length);
  for (const name of names) reply.bulkText(name);
  reply.bulkText("redirect");
  reply.integer((flags & TRACKING_ON) !== 0 ? client.trackingRedirection : -1);
  reply.bulkText("prefixes");
  // Byte order, as Redis's radix tree of the client's prefixes lists them.
  const prefixes = client.trackingPrefixes === null ? [] : [...client.trackingPrefixes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  reply.arrayHeader(prefixes.length);
  for (const prefix of prefixes) reply.bulkText(prefix);
}

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
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
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
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
  // Redis hides may_replicate and protected on purpose (its flag table comments them out).
  const flags = spec.flags.filter((flag) => flag !== "may_replicate" && flag !== "protected");
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
  // Tips and key specifications are sets in RESP3 (addReplySetLen); subcommands an
  // array, or an empty set for a command without any (addReplyCommandSubCommands).
  const tips = spec.tips ?? [];
  reply.setHeader(tips.length);
  for (const tip of tips) reply.bulkText(tip);
  // Redis's key specifications (every declared command has generated metadata).
  replyKeySpecs(client, command.metadata?.keySpecs ?? []);
  if (command.subcommands.size === 0) reply.setHeader(0);
  else reply.arrayHeader(command.subcommands.size);
  for (const sub of command.subcommands.values()) replyCommandInfo(client, sub);
}

/** addReplyCommandKeySpecs: COMMAND INFO's element 8, each spec's fields in Redis's order. */
function replyKeySpecs(client: Client, specs: readonly KeySpec[]): void {
  const reply = client.reply;
  reply.setHeader(specs.length);
  for (const spec of specs) {
    reply.mapHeader(spec.notes === undefined ? 3 : 4);
    if (spec.notes !== undefined) {
      reply.bulkText("notes");
      reply.bulkText(spec.notes);
    }
    reply.bulkText("flags");
    replyFlagSet(client, spec.flags);
    reply.bulkText("begin_search");
    replySearchStep(client, spec.beginSearch);
    reply.bulkText("find_keys");
    replySearchStep(client, spec.findKeys);
  }
}

/** A key spec's begin_search or find_keys: {type, spec: {its fields}}. */
function replySearchStep(client: Client, step: KeySpecBeginSearch | KeySpecFindKeys): void {
  let type: string;
  let fields: Array<[string, number | string]>;
  if ("index" in step) [type, fields] = ["index", [["index", step.index]]];
  else if ("keyword" in step) [type, fields] = ["keyword", [["keyword", step.keyword], ["startfrom", step.startFrom]]];
  else if ("lastKey" in step) [type, fields] = ["range", [["lastkey", step.lastKey], ["keystep", step.keyStep], ["limit", step.limit]]];
  else if ("keyNumIdx" in step) [type, fields] = ["keynum", [["keynumidx", step.keyNumIdx], ["firstkey", step.firstKey], ["keystep", step.keyStep]]];
  else [type, fields] = ["unknown", []];
  const reply = client.reply;
  reply.mapHeader(2);
  reply.bulkText("type");
  reply.bulkText(type);
  reply.bulkText("spec");
  reply.mapHeader(fields.length);
  for (const [name, value] of fields) {
    reply.bulkText(name);
    if (typeof value === "number") reply.integer(value);
    else reply.bulkText(value);
  }
}

/** addReplyCommandFlags: flags as a set of status replies. */
function replyFlagSet(client: Client, flags: readonly string[]): void {
  client.reply.setHeader(flags.length);
  for (const flag of flags) client.reply.simple(flag);
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
    if (command === undefined) client.reply.nullBulk();
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
    if (arg.summary !== undefined) fields.push(["summary", () => reply.bulkText(arg.summary!)]);
    if (arg.since !== undefined) fields.push(["since", () => reply.bulkText(arg.since!)]);
    if (arg.deprecatedSince !== undefined) fields.push(["deprecated_since", () => reply.bulkText(arg.deprecatedSince!)]);
    if (arg.flags !== undefined) fields.push(["flags", () => replyFlagSet(client, arg.flags!)]);
    if (arg.arguments !== undefined) fields.push(["arguments", () => replyCommandArguments(client, arg.arguments!)]);
    reply.mapHeader(fields.length);
    for (const [name, write] of fields) {
      reply.bulkText(name);
      write();
    }
  }
}

/**
 * addReplyCommandDocs: the declaration's summary, since, group and complexity, then
 * Redis's doc flags, deprecation, history and arguments from the generated metadata.
 */
function replyCommandDocs(client: Client, command: Command): void {
  const reply = client.reply;
  const spec = command.spec;
  const docs: Partial<CommandMetadata> = command.metadata ?? {};
  const fields: Array<[string, () => void]> = [
    ["summary", () => reply.bulkText(spec.summary)],
    ["since", () => reply.bulkText(spec.since)],
    ["group", () => reply.bulkText(spec.group)],
  ];
  if (spec.complexity) fields.push(["complexity", () => reply.bulkText(spec.complexity!)]);
  if (docs.docFlags !== undefined) fields.push(["doc_flags", () => replyFlagSet(client, docs.docFlags!)]);
  if (docs.deprecatedSince !== undefined) fields.push(["deprecated_since", () => reply.bulkText(docs.deprecatedSince!)]);
  if (docs.replacedBy !== undefined) fields.push(["replaced_by", () => reply.bulkText(docs.replacedBy!)]);
  const history = docs.history;
  if (history !== undefined) {
    fields.push([
      "history",
      () => {
        // addReplyCommandHistory: a set of [version, change] pairs (RESP3 shows it).
        reply.setHeader(history.length);
        for (const [version, change] of history) {
          reply.arrayHeader(2);
          reply.bulkText(version);
          reply.bulkText(change);
        }
      },
    ]);
  }
  const args = docs.arguments;
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

/**
 * COMMAND GETKEYS and GETKEYSANDFLAGS (Redis's getKeysSubcommandImpl): the command is
 * looked up as Redis's lookupCommand does (a container's unknown subcommand is no
 * command), then its keys are found with its key specs (getkeys.ts).
 */
function getKeysSubcommand(client: Client, argv: Uint8Array[], withFlags: boolean): void {
  const args = argv.slice(2);
  let command = client.server.table.lookup(argLower(args[0]!));
  if (command !== undefined && command.subcommands.size > 0 && args.length >= 2) {
    command = command.subcommands.get(argLower(args[1]!));
  }
  if (command === undefined) {
    replyError(client, "ERR Invalid command specified");
    return;
  }
  if (!commandHasKeys(command)) {
    replyError(client, "ERR The command has no key arguments");
    return;
  }
  const arity = command.spec.arity;
  if ((arity > 0 && args.length !== arity) || args.length < -arity) {
    replyError(client, "ERR Invalid number of arguments specified for command");
    return;
  }
  const keys = getKeysFromCommandWithSpecs(command, args);
  if (keys.length === 0) {
    // EVAL and FCALL with numkeys 0 (no_mandatory_keys) have an empty list of keys;
    // ZUNION with a bad numkeys has invalid arguments.
    if (command.flags.has("no_mandatory_keys")) client.reply.arrayHeader(0);
    else replyError(client, "ERR Invalid arguments specified for command");
    return;
  }
  client.reply.arrayHeader(keys.length);
  for (const key of keys) {
    if (!withFlags) {
      client.reply.bulk(args[key.index]!);
      continue;
    }
    client.reply.arrayHeader(2);
    client.reply.bulk(args[key.index]!);
    replyFlagSet(client, key.flags);
  }
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

// ---- MODULE --------------------------------------------------------------------------
//
// Redis modules are native libraries built against redis-server's C API: Bunker cannot
// load them. MODULE LIST is truthfully empty, and a load fails as a failed dlopen fails
// on Redis (its reply, and a log line that says why); so does a `loadmodule` directive
// at start-up (main.ts).

/** Why a module cannot load, for the log line Redis writes as "Module <path> failed to load: <why>". */
export const MODULES_UNSUPPORTED = "Bunker does not load Redis modules (native libraries built for redis-server)";

function moduleLoad(client: Client, argv: Uint8Array[]): void {
  logger.warning(`Module ${bytesToText(argv[2]!)} failed to load: ${MODULES_UNSUPPORTED}`);
  replyError(client, "ERR Error loading the extension. Please check the server logs.");
}

function moduleUnload(client: Client): void {
  replyError(client, "ERR Error unloading module: no such module with that name");
}

const MODULE_HELP = [
  "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LIST",
  "    Return a list of loaded modules.",
  "LOAD <path> [<arg> ...]",
  "    Load a module library from <path>, passing to it any optional arguments.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Load a module library from <path>, while passing it module configurations and optional arguments.",
  "UNLOAD <name>",
  "    Unload a module.",
  "HELP",
  "    Prints this help.",
];

// ---- DEBUG ---------------------------------------------------------------------------

/** The subcommands Bunker has, in Redis's words and order. */
const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANGE-REPL-ID",
  "    Change the replication IDs of the instance.",
  "    Dangerous: should be used only for testing the replication subsystem.",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "HTSTATS <dbid>",
  "    Return hash table statistics of the specified Redis database.",
  "HTSTATS-KEY <key>",
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  "LOADAOF",
  "    Flush the AOF buffers on disk and reload the AOF in memory.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "PANIC",
  "    Crash the server simulating a panic.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "SEGFAULT",
  "    Crash the server with sigsegv.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Sets the threshold for elements to be inserted as plain vs packed nodes",
  "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "STRINGMATCH-TEST",
  "    Run a fuzz tester against the stringmatchlen() function.",
  "LISTPACK <key>",
  "    Show low level info about the listpack encoding of <key>.",
  "PAUSE-CRON <0|1>",
  "    Stop periodic cron job processing.",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
  "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
  "    In case NEVER is provided the last observed peak will never be reset",
  "    In case RESET is provided the peak reset time will be restored to the default value",
  "REPLYBUFFER RESIZING <0|1>",
  "    Enable or disable the reply buffer resize cron job",
  "HELP",
  "    Prints this help.",
];


/** DEBUG REPLYBUFFER PEAK-RESET-TIME <never|reset|ms> | RESIZING <0|1>: the reply buffer's cron resizing. */
function debugReplyBuffer(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  const option = argLower(argv[2]!);
  if (option === "peak-reset-time") {
    const value = argLower(argv[3]!);
    if (value === "never") server.replyBufferPeakResetTime = -1;
    else if (value === "reset") server.replyBufferPeakResetTime = REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME;
    else {
      const ms = parseInteger(argv[3]!);
      if (ms === null) {
        replyError(client, errors.NOT_INTEGER);
        return;
      }
      server.replyBufferPeakResetTime = Number(ms);
    }
  } else if (option === "resizing") {
    server.replyBufferResizing = atoi(argv[3]!) !== 0;
  } else {
    replyError(client, errors.subcommandSyntaxError(bytesToKey(argv[1]!), "debug"));
    return;
  }
  client.reply.ok();
}

/** An argument as C's `%s` prints it: up to its first NUL byte. */
function asCText(arg: Uint8Array): string {
  const nul = arg.indexOf(0);
  return bytesToText(nul === -1 ? arg : arg.subarray(0, nul));
}

/**
 * DEBUG POPULATE count [prefix] [size]: keys prefix:0 .. prefix:count-1 (named as
 * Redis's 128-byte snprintf names them) holding "value:<n>", zero-padded or cut to
 * `size`. Existing keys are skipped. As in Redis the keys reach WATCH only: no
 * keyspace event, no dirty count, nothing propagated.
 */
function debugPopulate(client: Client, argv: Uint8Array[]): void {
  const positive = (arg: Uint8Array): number | null => {
    const n = parseInteger(arg);
    if (n === null || n < 0 || typeof n === "bigint") {
      replyError(client, "ERR value is out of range, must be positive");
      return null;
    }
    return n;
  };
  const count = positive(argv[2]!);
  if (count === null) return;
  const size = argv.length === 5 ? positive(argv[4]!) : 0;
  if (size === null) return;
  const prefix = argv.length >= 4 ? bytesToKey(argv[3]!.subarray(0, argv[3]!.indexOf(0) === -1 ? undefined : argv[3]!.indexOf(0))) : "key";
  const server = client.server;
  const db = client.db;
  for (let n = 0; n < count; n++) {
    const key = `${prefix}:${n}`.slice(0, 127);
    if (db.lookupWrite(key) !== undefined) continue;
    const text = keyToBytes(`value:${n}`);
    let value = text;
    if (size !== 0) {
      value = new Uint8Array(size);
      value.set(size < text.length ? text.subarray(0, size) : text);
    }
    db.add(key, value);
    server.signalModifiedKey(client, db, key);
  }
  client.reply.ok();
}

/** DEBUG PROTOCOL <type>: one reply of each RESP type, as Redis's client tests expect them. */
function debugProtocol(client: Client, type: string): void {
  const reply = client.reply;
  switch (type) {
    case "string":
      return reply.bulkText("Hello World");
    case "integer":
      return reply.integer(12345);
    case "double":
      return reply.double(3.141);
    case "bignum":
      return reply.bigNumber("1234567999999999999999999999999999999");
    case "null":
      return reply.nullElement();
    case "array":
    case "set":
      if (type === "array") reply.arrayHeader(3);
      else reply.setHeader(3);
      for (let j = 0; j < 3; j++) reply.integer(j);
      return;
    case "map":
      reply.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        reply.integer(j);
        reply.boolean(j === 1);
      }
      return;
    case "attrib":
      if (reply.resp === 3) {
        reply.attributeHeader(1);
        reply.bulkText("key-popularity");
        reply.arrayHeader(2);
        reply.bulkText("key:123");
        reply.integer(90);
      }
      return reply.bulkText("Some real reply following the attribute");
    case "push": {
      if (reply.resp < 3) {
        replyError(client, "ERR RESP2 is not supported by this command");
        return;
      }
      const wasEnabled = reply.startPushing();
      reply.pushHeader(2);
      reply.bulkText("server-cpu-usage");
      reply.integer(42);
      reply.stopPushing(wasEnabled);
      return reply.bulkText("Some real reply following the push reply");
    }
    case "true":
    case "false":
      return reply.boolean(type === "true");
    case "verbatim":
      return reply.verbatim("This is a verbatim\nstring");
    default:
      replyError(client, "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

/**
 * stringmatchlen_fuzz_test: ten million random patterns against random strings (bytes
 * below 128, up to 31 of each), for a crash or a hang; the total goes to standard output.
 */
function stringmatchFuzzTest(): void {
  const pattern = new Uint8Array(32);
  const subject = new Uint8Array(32);
  // xorshift32: Math.random per byte would be most of the run's time.
  let state = (Math.random() * 0xffffffff) | 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  let matches = 0;
  for (let cycle = 0; cycle < 10_000_000; cycle++) {
    const lengths = next();
    const subjectLength = lengths & 31;
    const patternLength = (lengths >>> 5) & 31;
    for (let j = 0; j < subjectLength; j++) subject[j] = next() & 127;
    for (let j = 0; j < patternLength; j++) pattern[j] = next() & 127;
    if (globMatch(pattern.subarray(0, patternLength), subject.subarray(0, subjectLength))) matches++;
  }
  process.stdout.write(`Total matches: ${matches}\n`);
}

function debug(client: Client, argv: Uint8Array[]): void {
  const sub = argLower(argv[1]!);
  const server = client.server;
  if (sub === "sleep" && argv.length === 3) {
    const seconds = Number(bytesToKey(argv[2]!));
    const until = performance.now() + (Number.isFinite(seconds) ? seconds * 1000 : 0);
    // Blocks the event loop on purpose, as Redis's DEBUG SLEEP blocks the server.
    // One clock reading per turn: a second one could already be past `until`, and
    // Bun.sleepSync throws on a negative time (seen on a loaded machine).
    for (let left = until - performance.now(); left > 0; left = until - performance.now()) Bun.sleepSync(Math.min(10, left));
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
  } else if (sub === "change-repl-id" && argv.length === 2) {
    logger.warning("Changing replication IDs after receiving DEBUG change-repl-id");
    server.replication.changeReplicationId();
    server.replication.clearReplicationId2();
    client.reply.ok();
  } else if (sub === "digest" && argv.length === 2) {
    client.reply.simple(digestToHex(computeDatasetDigest(server.dbs)));
  } else if (sub === "digest-value") {
    // Logically expired keys count, as in Redis: the digest does not look keys up.
    client.reply.arrayHeader(argv.length - 2);
    for (let i = 2; i < argv.length; i++) client.reply.simple(digestToHex(computeValueDigest(client.db, argv[i]!)));
  } else if (sub === "populate" && argv.length >= 3 && argv.length <= 5) {
    debugPopulate(client, argv);
  } else if (sub === "pause-cron" && argv.length === 3) {
    if (server.cron !== null) server.cron.paused = atoi(argv[2]!) !== 0;
    client.reply.ok();
  } else if (sub === "replybuffer" && argv.length === 4) {
    debugReplyBuffer(client, argv);
  } else if (sub === "set-skip-checksum-validation" && argv.length === 3) {
    server.persistence.skipChecksumValidation = atoi(argv[2]!) !== 0;
    client.reply.ok();
  } else if (sub === "log" && argv.length === 3) {
    logger.warning(`DEBUG LOG: ${asCText(argv[2]!)}`);
    client.reply.ok();
  } else if (sub === "error" && argv.length === 3) {
    // A raw error line: Redis writes it as it is, so errorstats does not count it.
    client.reply.raw(keyToBytes(`-${bytesToKey(argv[2]!).replace(/[\r\n]/g, " ")}\r\n`));
  } else if (sub === "protocol" && argv.length === 3) {
    debugProtocol(client, argLower(argv[2]!));
  } else if (sub === "segfault" && argv.length === 2) {
    // The signal a bad memory access raises, delivered to the crash handler (crash.ts).
    process.kill(process.pid, "SIGSEGV");
  } else if (sub === "panic" && argv.length === 2) {
    serverPanic(server, "DEBUG PANIC called at Unix time " + Math.floor(Date.now() / 1000));
  } else if (sub === "stringmatch-test" && argv.length === 2) {
    stringmatchFuzzTest();
    client.reply.simple("Apparently Redis did not crash: test passed");
  } else if (sub === "htstats" && argv.length === 3) {
    debugHtstats(client, argv);
  } else if (sub === "htstats-key" && argv.length === 3) {
    debugHtstatsKey(client, argv);
  } else if (sub === "listpack" && argv.length === 3) {
    debugListpack(client, argv);
  } else if (sub === "quicklist-packed-threshold" && argv.length === 3) {
    debugQuicklistPackedThreshold(client, argv);
  } else if (sub === "help") {
    replyHelp(client, DEBUG_HELP);
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

/** One command's LATENCY HISTOGRAM entry: its name, then {calls, histogram_usec}. */
function replyCommandHistogram(client: Client, command: Command, histogram: LatencyHistogram): void {
  const reply = client.reply;
  reply.bulkText(command.fullName);
  reply.mapHeader(2);
  reply.bulkText("calls");
  reply.integer(histogram.totalCount);
  reply.bulkText("histogram_usec");
  const distribution = histogram.cumulativeDistribution();
  reply.mapHeader(distribution.length);
  for (const [micros, count] of distribution) {
    reply.integer(micros);
    reply.integer(count);
  }
}

/**
 * LATENCY HISTOGRAM [command ...]: the latency distribution of every command (and
 * subcommand) with one, or of the named commands and their subcommands (unknown names
 * are skipped).
 */
function latencyHistogram(client: Client, argv: Uint8Array[]): void {
  const table = client.server.table;
  const chosen: Array<[Command, LatencyHistogram]> = [];
  const collect = (command: Command, withSubcommands: boolean) => {
    if (command.latencyHistogram !== null) chosen.push([command, command.latencyHistogram]);
    if (withSubcommands) for (const sub of command.subcommands.values()) collect(sub, false);
  };
  if (argv.length === 2) {
    for (const command of table.commands.values()) collect(command, true);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const command = lookupByFullName(client, bytesToKey(argv[i]!));
      if (command !== undefined) collect(command, true);
    }
  }
  client.reply.mapHeader(chosen.length);
  for (const [command, histogram] of chosen) replyCommandHistogram(client, command, histogram);
}

function latencyGraphCommand(client: Client, argv: Uint8Array[]): void {
  const name = bytesToKey(argv[2]!);
  const event = client.server.latency.events.get(name);
  if (event === undefined) {
    replyError(client, `ERR No samples available for event '${asCText(argv[2]!)}'`);
    return;
  }
  client.reply.verbatim(latencyGraph(name, event));
}

/** AnonHugePages of this process in kB (0 where /proc cannot tell). */
function anonHugePagesKb(): number {
  try {
    const match = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync("/proc/self/smaps_rollup", "utf8"));
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}

function latencyDoctorCommand(client: Client): void {
  const server = client.server;
  const config = server.config;
  const report = latencyDoctor(server.latency.events, {
    threshold: server.latency.threshold,
    slowlogSlowerThan: config.getNumber("slowlog-log-slower-than"),
    hz: config.getNumber("hz"),
    appendfsync: config.getString("appendfsync"),
    anonHugePagesKb: anonHugePagesKb(),
  });
  client.reply.verbatim(report);
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
      keyless({ name: "pause", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "2.9.50", summary: "Stop processing commands from clients for some time", complexity: "O(1)", handler: clientPause }),
      keyless({ name: "unpause", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "6.2.0", summary: "Resume processing of clients that were paused", complexity: "O(N) Where N is the number of paused clients", handler: clientUnpause }),
      keyless({ name: "unblock", arity: -3, flags: ["admin", "noscript", "loading", "stale"], ...CONN, since: "5.0.0", summary: "Unblock a client blocked in a blocking command from a different connection", complexity: "O(log N) where N is the number of client connections", handler: clientUnblock }),
      keyless({ name: "tracking", arity: -3, flags: ["noscript", "loading", "stale"], ...CONN, since: "6.0.0", summary: "Enable or disable server assisted client side caching support", complexity: "O(1). Some options may introduce additional complexity.", handler: clientTracking }),
      keyless({ name: "caching", arity: 3, flags: ["noscript", "loading", "stale"], ...CONN, since: "6.0.0", summary: "Instruct the server about tracking or not keys in the next request", complexity: "O(1)", handler: clientCaching }),
      keyless({ name: "getredir", arity: 2, flags: ["noscript", "loading", "stale"], ...CONN, since: "6.0.0", summary: "Get tracking notifications redirection client ID if any", complexity: "O(1)", handler: clientGetredir }),
      keyless({ name: "trackinginfo", arity: 2, flags: ["noscript", "loading", "stale"], ...CONN, since: "6.2.0", summary: "Return information about server assisted client side caching for the current connection", complexity: "O(1)", handler: clientTrackinginfo }),
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
      keyless({ name: "getkeys", arity: -4, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "2.8.13", summary: "Extract keys given a full Redis command", complexity: "O(N) where N is the number of arguments to the command", handler: (c, argv) => getKeysSubcommand(c, argv, false) }),
      keyless({ name: "getkeysandflags", arity: -4, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "7.0.0", summary: "Extract keys and access flags given a full Redis command", complexity: "O(N) where N is the number of arguments to the command", handler: (c, argv) => getKeysSubcommand(c, argv, true) }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, categories: ["connection"], since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, COMMAND_HELP) }),
    ],
  }),
  keyless({ name: "debug", arity: -2, flags: ["admin", "noscript", "loading", "stale", "protected"], ...SRV, since: "1.0.0", summary: "A container for debugging commands", complexity: "Depends on subcommand.", handler: debug }),
  keyless({
    name: "module", arity: -2, flags: [], ...SRV, since: "4.0.0", summary: "A container for module commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "list", arity: 2, flags: ["admin", "noscript"], ...SRV, since: "4.0.0", summary: "List all modules loaded by the server", complexity: "O(N) where N is the number of loaded modules.", tips: ["nondeterministic_output_order"], handler: (c) => c.reply.arrayHeader(0) }),
      keyless({ name: "load", arity: -3, flags: ["no_async_loading", "admin", "noscript", "protected"], ...SRV, since: "4.0.0", summary: "Load a module", complexity: "O(1)", handler: moduleLoad }),
      keyless({ name: "loadex", arity: -3, flags: ["no_async_loading", "admin", "noscript", "protected"], ...SRV, since: "7.0.0", summary: "Load a module with extended parameters", complexity: "O(1)", handler: moduleLoad }),
      keyless({ name: "unload", arity: 3, flags: ["no_async_loading", "admin", "noscript", "protected"], ...SRV, since: "4.0.0", summary: "Unload a module", complexity: "O(1)", handler: moduleUnload }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, MODULE_HELP) }),
    ],
  }),
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
      keyless({ name: "doctor", arity: 2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Return a human readable latency analysis report.", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], handler: latencyDoctorCommand }),
      keyless({ name: "graph", arity: 3, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Return a latency graph for the event.", complexity: "O(1)", tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], handler: latencyGraphCommand }),
      keyless({ name: "histogram", arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "7.0.0", summary: "Return the cumulative distribution of latencies of a subset of commands or all.", complexity: "O(N) where N is the number of commands with latency information being retrieved.", tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"], handler: latencyHistogram }),
      keyless({ name: "reset", arity: -2, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "2.8.13", summary: "Reset latency data for one or more events.", complexity: "O(1)", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], handler: latencyReset }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...SRV, since: "2.8.13", summary: "Show helpful text about the different subcommands.", complexity: "O(1)", handler: (c) => replyHelp(c, ["LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>", "    Return time-latency samples for the <event> class.", "LATEST", "    Return the latest latency samples for all events.", "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.", "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.", "    If no commands are specified then all histograms are replied.", "HELP", "    Prints this help."]) }),
    ],
  }),
  keyless({ name: "monitor", arity: 1, flags: ["admin", "noscript", "loading", "stale"], ...SRV, since: "1.0.0", summary: "Listen for all requests received by the server in real time", handler: monitor }),
  keyless({ name: "time", arity: 1, flags: ["loading", "stale", "fast"], ...SRV, since: "2.6.0", summary: "Return the current server time", complexity: "O(1)", tips: ["nondeterministic_output"], handler: time }),
];

