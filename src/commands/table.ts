// The command table. Every command (and subcommand) is declared once, as data:
// name, arity, flags, key positions, ACL categories and handler. The same
// declaration drives dispatch, the arity and unknown-command errors, COMMAND
// INFO/DOCS/LIST/GETKEYS/COUNT, MULTI rules, MISCONF (write flag), LOADING
// (loading flag) and INFO commandstats.

import type { Client } from "../net/client.ts";
import type { LatencyHistogram } from "../latency-histogram.ts";
import { commandMetadata } from "./metadata/index.ts";

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "sentinel"
  | "only_sentinel"
  | "no_mandatory_keys"
  | "protected"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

/** Handlers write their reply to client.reply. argv[0] is the command name as sent. */
export type CommandHandler = (client: Client, argv: Uint8Array[]) => void;

export interface CommandSpec {
  /** Lower case; a subcommand's name is its own word ("get" under "config"). */
  name: string;
  /** Redis arity: N means exactly N args (incl. the name), -N means at least N. */
  arity: number;
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number;
  keyStep: number;
  /** Categories beyond those derived from flags (e.g. "string", "keyspace", "connection"). */
  categories: string[];
  /** Documentation group (COMMAND DOCS): string, generic, server, connection, transactions, list, ... */
  group: string;
  since: string;
  summary: string;
  complexity?: string;
  /** COMMAND tips (e.g. "nondeterministic_output"). */
  tips?: string[];
  /**
   * Redis's CMD_TOUCHES_ARBITRARY_KEYS (hidden from COMMAND, as in Redis): the command may
   * lazily expire keys it was not given (SCAN, RANDOMKEY), and those deletions are
   * propagated each on its own rather than wrapped in MULTI/EXEC.
   */
  touchesArbitraryKeys?: boolean;
  /** Key positions for commands whose keys move (numkeys, STREAMS ...): returns argv indexes. */
  getKeys?: (argv: Uint8Array[]) => number[];
  handler?: CommandHandler;
  subcommands?: CommandSpec[];
  // COMMAND INFO's key specifications and COMMAND DOCS's arguments, history, doc flags
  // and deprecation are not declared here: they are Redis's, generated into metadata/
  // (Command.metadata).
}

/** One argument of a command, for COMMAND DOCS (Redis's redisCommandArg). */
export interface CommandArgument {
  name: string;
  type: "string" | "integer" | "double" | "key" | "pattern" | "unix-time" | "pure-token" | "oneof" | "block";
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  flags?: Array<"optional" | "multiple" | "multiple_token">;
  arguments?: CommandArgument[];
}

/** A key specification's flags; a spec lists them in Redis's order (addReplyFlagsForKeyArgs). */
export type KeySpecFlag =
  | "RO" | "RW" | "OW" | "RM" | "access" | "update" | "insert" | "delete" | "not_key" | "incomplete" | "variable_flags";

/**
 * Where a key specification starts looking (Redis's begin_search): an argument index,
 * the argument after the first `keyword` from `startFrom` (backwards when negative),
 * or unknown (SORT's BY/GET/STORE keys).
 */
export type KeySpecBeginSearch = { index: number } | { keyword: string; startFrom: number } | { unknown: true };

/**
 * How a key specification finds its keys from there (Redis's find_keys): a range (the
 * last key relative to the first, -1 up to the last argument, a step and a limit), a
 * count read at keyNumIdx with the first key after it, or unknown.
 */
export type KeySpecFindKeys =
  | { lastKey: number; keyStep: number; limit: number }
  | { keyNumIdx: number; firstKey: number; keyStep: number }
  | { unknown: true };

/** One of a command's key specifications (COMMAND INFO element 8, Redis's keySpec). */
export interface KeySpec {
  notes?: string;
  flags: KeySpecFlag[];
  beginSearch: KeySpecBeginSearch;
  findKeys: KeySpecFindKeys;
}

/**
 * What Redis 7.0.15 declares about a command beyond its dispatch data: COMMAND DOCS's
 * fields and COMMAND INFO's key specifications. Generated from the real server by
 * scripts/gen-command-metadata.ts into metadata/<family>.ts, keyed by full name.
 */
export interface CommandMetadata {
  docFlags?: Array<"deprecated" | "syscmd">;
  deprecatedSince?: string;
  replacedBy?: string;
  history?: Array<[string, string]>;
  arguments?: CommandArgument[];
  keySpecs: KeySpec[];
}

/** A resolved, ready-to-dispatch command with its stats. */
export class Command {
  readonly flags: Set<CommandFlag>;
  readonly isWrite: boolean;
  /** Redis's is_may_replicate_command: write or may_replicate (CLIENT PAUSE WRITE holds it). */
  readonly mayReplicate: boolean;
  readonly allowedWhileLoading: boolean;
  /** CMD_DENYOOM: refused while used memory is over maxmemory and nothing can be evicted. */
  readonly denyOom: boolean;
  // Flags the dispatcher tests on every call, as fields (a Set lookup per call adds up).
  readonly noAuth: boolean;
  readonly noMulti: boolean;
  /** CMD_NOSCRIPT: refused inside scripts. */
  readonly noScript: boolean;
  /** CMD_PROTECTED: allowed only as enable-debug-command / enable-module-command say. */
  readonly isProtected: boolean;
  /** MONITOR shows it: neither skip_monitor nor admin. */
  readonly monitored: boolean;
  readonly skipSlowlog: boolean;
  /** EXEC propagates nothing itself: its commands' effects are wrapped in MULTI/EXEC. */
  readonly isExec: boolean;
  readonly touchesArbitraryKeys: boolean;
  /**
   * Client-side caching remembers the keys its client read after it runs: read-only,
   * except the read-only script commands (a script's own reads remember its keys).
   */
  readonly tracksReads: boolean;
  /** The latency monitor event its slow calls count under. */
  readonly latencyEvent: "fast-command" | "command";
  readonly subcommands = new Map<string, Command>();
  readonly fullName: string;
  readonly aclCategories: string[];
  /** Redis's COMMAND DOCS fields and key specifications; undefined for a command Redis does not have. */
  readonly metadata: CommandMetadata | undefined;
  calls = 0;
  microseconds = 0;
  /** Made at the first call recorded with latency-tracking on; CONFIG RESETSTAT drops it. */
  latencyHistogram: LatencyHistogram | null = null;
  rejectedCalls = 0;
  failedCalls = 0;

  constructor(
    readonly spec: CommandSpec,
    readonly parent?: Command,
  ) {
    this.flags = new Set(spec.flags);
    this.isWrite = this.flags.has("write");
    this.mayReplicate = this.isWrite || this.flags.has("may_replicate");
    this.allowedWhileLoading = this.flags.has("loading");
    this.denyOom = this.flags.has("denyoom");
    this.noAuth = this.flags.has("no_auth");
    this.noMulti = this.flags.has("no_multi");
    this.noScript = this.flags.has("noscript");
    this.isProtected = this.flags.has("protected");
    this.monitored = !this.flags.has("skip_monitor") && !this.flags.has("admin");
    this.skipSlowlog = this.flags.has("skip_slowlog");
    this.isExec = parent === undefined && spec.name === "exec";
    this.touchesArbitraryKeys = spec.touchesArbitraryKeys === true;
    this.tracksReads = this.flags.has("readonly") && !SCRIPT_READ_ONLY_COMMANDS.has(spec.name);
    this.latencyEvent = this.flags.has("fast") ? "fast-command" : "command";
    this.fullName = parent ? `${parent.spec.name}|${spec.name}` : spec.name;
    this.aclCategories = deriveCategories(spec);
    this.metadata = commandMetadata(this.fullName);
    for (const sub of spec.subcommands ?? []) this.subcommands.set(sub.name, new Command(sub, this));
  }

  get name(): string {
    return this.spec.name;
  }

  /** argv indexes of the keys (COMMAND GETKEYS, WATCH-style bookkeeping, the snapshot hook). */
  keyIndexes(argv: Uint8Array[]): number[] {
    if (this.spec.getKeys) return this.spec.getKeys(argv);
    const { firstKey, keyStep } = this.spec;
    if (firstKey <= 0) return [];
    let last = this.spec.lastKey;
    if (last < 0) last = argv.length + last;
    const out: number[] = [];
    for (let i = firstKey; i <= last && i < argv.length; i += keyStep) out.push(i);
    return out;
  }
}

/** EVAL_RO, EVALSHA_RO, FCALL_RO: read-only, but call() leaves their keys to the script's reads. */
const SCRIPT_READ_ONLY_COMMANDS = new Set(["eval_ro", "evalsha_ro", "fcall_ro"]);

/** Redis prints ACL categories in the order of its category table, not in declaration order. */
const CATEGORY_ORDER = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
  "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
];

function deriveCategories(spec: CommandSpec): string[] {
  const cats = new Set<string>(spec.categories);
  const flags = new Set(spec.flags);
  if (flags.has("write")) cats.add("write");
  if (flags.has("readonly") && !spec.categories.includes("scripting")) cats.add("read");
  if (flags.has("admin")) {
    cats.add("admin");
    cats.add("dangerous");
  }
  if (flags.has("pubsub")) cats.add("pubsub");
  if (flags.has("fast")) cats.add("fast");
  if (flags.has("blocking")) cats.add("blocking");
  if (!flags.has("fast")) cats.add("slow");
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...cats].sort((a, b) => rank(a) - rank(b));
}

/** A command name in the byte index: its lower-case bytes and the command. */
interface IndexedName {
  readonly name: Uint8Array;
  readonly command: Command;
}

export class CommandTable {
  readonly commands = new Map<string, Command>();
  /**
   * The names again, by a hash of their case-folded bytes, so that dispatch finds a
   * command from argv[0] without making a string of it (lookupBytes). Built on first
   * use, dropped when the table changes.
   */
  private byteIndex: Map<number, IndexedName[]> | null = null;

  register(specs: CommandSpec[]): void {
    for (const spec of specs) {
      if (this.commands.has(spec.name)) throw new Error(`command ${spec.name} declared twice`);
      this.commands.set(spec.name, new Command(spec));
    }
    this.byteIndex = null;
  }

  /** rename-command: `to` empty removes the command; otherwise it answers only to the new name. */
  rename(from: string, to: string): void {
    const command = this.commands.get(from.toLowerCase());
    if (command === undefined) return;
    this.commands.delete(from.toLowerCase());
    if (to !== "") this.commands.set(to.toLowerCase(), command);
    this.byteIndex = null;
  }

  lookup(name: string): Command | undefined {
    return this.commands.get(name);
  }

  /**
   * The command named by `name` (argv[0], in any letter case): the same answer as
   * lookup(latin1(name).toLowerCase()). ASCII names, which is every name clients
   * send, are found through the byte index; others take the string path.
   */
  lookupBytes(name: Uint8Array): Command | undefined {
    const length = name.length;
    let hash = length;
    for (let i = 0; i < length; i++) {
      let c = name[i]!;
      if (c >= 128) return this.lookup(latin1Lower(name));
      if (c >= 65 && c <= 90) c += 32;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    const bucket = (this.byteIndex ?? this.buildByteIndex()).get(hash);
    if (bucket === undefined) return undefined;
    for (let b = 0; b < bucket.length; b++) {
      const entry = bucket[b]!;
      const lower = entry.name;
      if (lower.length !== length) continue;
      let i = 0;
      for (; i < length; i++) {
        let c = name[i]!;
        if (c >= 65 && c <= 90) c += 32;
        if (c !== lower[i]) break;
      }
      if (i === length) return entry.command;
    }
    return undefined;
  }

  private buildByteIndex(): Map<number, IndexedName[]> {
    const index = new Map<number, IndexedName[]>();
    for (const [text, command] of this.commands) {
      const name = new Uint8Array(text.length);
      let hash = text.length;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        name[i] = c & 0xff;
        hash = (Math.imul(hash, 31) + c) | 0;
      }
      // Names with non-ASCII letters are reached through lookup() only.
      if (!/^[\x00-\x7f]*$/.test(text)) continue;
      const bucket = index.get(hash);
      if (bucket === undefined) index.set(hash, [{ name, command }]);
      else bucket.push({ name, command });
    }
    this.byteIndex = index;
    return index;
  }

  /** Every command and subcommand, for INFO commandstats and CONFIG RESETSTAT. */
  *all(): Iterable<Command> {
    for (const command of this.commands.values()) {
      yield command;
      yield* command.subcommands.values();
    }
  }
}

/** latin1 text of `bytes`, lower-cased as String#toLowerCase does. */
function latin1Lower(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text.toLowerCase();
}

/** Shorthand for declarations: a keyless command. */
export function keyless(spec: Omit<CommandSpec, "firstKey" | "lastKey" | "keyStep">): CommandSpec {
  return { ...spec, firstKey: 0, lastKey: 0, keyStep: 0 };
}
