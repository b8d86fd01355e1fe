// Which arguments of a command are keys, and how the command uses each: Redis's
// getKeysFromCommandWithSpecs (db.c), behind COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS.
//
// A command's key specifications (Redis's, from metadata/) are preferred: each spec
// finds where its keys begin (an index, or the argument after a keyword searched
// forward or backward) and then how many there are (a range to a last key, or a count
// read from a numkeys argument), and every key found carries the spec's flags. When
// a spec cannot say (a bad numkeys, an incomplete or unknown spec) or its flags vary
// with the arguments (SET ... GET, BITFIELD), Redis falls back to the command's own key
// function; here that is the declaration's (getKeys, or first/last/step), with the
// flags Redis's native function gives those keys (KEY_FUNCTION_FLAGS), none for most.

import type { Command, KeySpec, KeySpecFlag } from "./table.ts";

/** A key found in a command's arguments: its index and how the command uses it. */
export interface KeyReference {
  index: number;
  flags: readonly KeySpecFlag[];
}

const NO_FLAGS: readonly KeySpecFlag[] = [];
const RO_ACCESS: readonly KeySpecFlag[] = ["RO", "access"];
const RW_ACCESS_UPDATE: readonly KeySpecFlag[] = ["RW", "access", "update"];
const OW_UPDATE: readonly KeySpecFlag[] = ["OW", "update"];
const RW_ACCESS_DELETE: readonly KeySpecFlag[] = ["RW", "access", "delete"];

/** Lower-case latin1 text of an argument, for keyword comparisons. */
function word(arg: Uint8Array): string {
  let text = "";
  for (let i = 0; i < arg.length; i++) text += String.fromCharCode(arg[i]!);
  return text.toLowerCase();
}

/**
 * The commands whose Redis key function (getkeys_proc) reports flags, and those flags
 * (setGetKeys, bitfieldGetKeys, sortGetKeys, sortROGetKeys, migrateGetKeys). Redis's
 * other key functions report no flags.
 */
const KEY_FUNCTION_FLAGS: Record<string, (args: Uint8Array[], index: number) => readonly KeySpecFlag[]> = {
  set(args) {
    for (let i = 3; i < args.length; i++) if (word(args[i]!) === "get") return RW_ACCESS_UPDATE;
    return OW_UPDATE;
  },
  bitfield(args) {
    for (let i = 2; i < args.length; i++) {
      const remaining = args.length - i - 1;
      const arg = word(args[i]!);
      if (arg === "get" && remaining >= 2) i += 2;
      else if (arg === "overflow" && remaining >= 1) i += 1;
      else return RW_ACCESS_UPDATE; // SET, INCRBY, or a syntax error (not read-only to be safe)
    }
    return RO_ACCESS;
  },
  sort: (_args, index) => (index === 1 ? RO_ACCESS : OW_UPDATE),
  sort_ro: () => RO_ACCESS,
  migrate: () => RW_ACCESS_DELETE,
};

/**
 * The commands with a key function of their own in Redis (getkeys_proc): only they
 * fall back to it when their key specs cannot answer.
 */
const HAS_KEY_FUNCTION = new Set([
  "bitfield", "blmpop", "bzmpop", "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro", "georadius",
  "georadiusbymember", "lmpop", "migrate", "set", "sintercard", "sort", "sort_ro", "xread", "xreadgroup", "zdiff",
  "zdiffstore", "zinter", "zintercard", "zinterstore", "zmpop", "zunion", "zunionstore",
]);

/** Redis's string2ll for numkeys: a canonical decimal integer, else null. */
function parseKeyCount(arg: Uint8Array): number | null {
  const text = word(arg);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** Redis's getKeysUsingKeySpecs: the keys its specs find, or null where a spec cannot say. */
function getKeysUsingKeySpecs(specs: readonly KeySpec[], args: Uint8Array[]): KeyReference[] | null {
  const argc = args.length;
  const keys: KeyReference[] = [];
  for (const spec of specs) {
    if (spec.flags.includes("not_key")) continue;
    let first = 0;
    const begin = spec.beginSearch;
    if ("index" in begin) first = begin.index;
    else if ("keyword" in begin) {
      const keyword = begin.keyword.toLowerCase();
      const start = begin.startFrom > 0 ? begin.startFrom : argc + begin.startFrom;
      const end = begin.startFrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (word(args[i]!) === keyword) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // keyword not found: this spec has no keys
    } else return null;

    let last: number;
    let step: number;
    const find = spec.findKeys;
    if ("lastKey" in find) {
      step = find.keyStep;
      if (find.lastKey >= 0) last = first + find.lastKey;
      else if (find.limit === 0) last = argc + find.lastKey;
      else last = first + (Math.trunc((argc - first) / find.limit) + find.lastKey);
    } else if ("keyNumIdx" in find) {
      step = find.keyStep;
      if (find.keyNumIdx >= argc) return null;
      const count = first + find.keyNumIdx < argc ? parseKeyCount(args[first + find.keyNumIdx]!) : null;
      if (count === null || count < 0) return null;
      first += find.firstKey;
      last = first + count - 1;
    } else return null;

    // First or last out of bounds is a syntax error.
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      // A command of variable arity is checked by its handler: no key here.
      if (i >= argc || i < first) continue;
      keys.push({ index: i, flags: spec.flags });
    }
    if (spec.flags.includes("incomplete")) return null;
  }
  return keys;
}

/** Redis's doesCommandHaveKeys: a key function, or a spec that is not not_key. */
export function commandHasKeys(command: Command): boolean {
  const specs = command.metadata?.keySpecs;
  // Without Redis's metadata (no declared command; one a test registers), the declaration's key positions.
  if (specs === undefined) return command.spec.getKeys !== undefined || command.spec.firstKey > 0;
  return HAS_KEY_FUNCTION.has(command.fullName) || specs.some((spec) => !spec.flags.includes("not_key"));
}

/**
 * Redis's getKeysFromCommandWithSpecs: the keys of `args` (args[0] is the command's
 * name) with their flags. Empty when there are none, or when the arguments are wrong.
 */
export function getKeysFromCommandWithSpecs(command: Command, args: Uint8Array[]): KeyReference[] {
  const specs = command.metadata?.keySpecs;
  // Without Redis's metadata (no declared command; one a test registers), the declaration's key positions.
  if (specs === undefined) return command.keyIndexes(args).map((index) => ({ index, flags: NO_FLAGS }));
  const hasKeySpec = specs.some((spec) => !spec.flags.includes("not_key"));
  const hasVariableFlags = specs.some((spec) => spec.flags.includes("variable_flags"));
  if (hasKeySpec && !hasVariableFlags) {
    const keys = getKeysUsingKeySpecs(specs, args);
    if (keys !== null) return keys;
  }
  if (!HAS_KEY_FUNCTION.has(command.fullName)) return [];
  const flagsOf = KEY_FUNCTION_FLAGS[command.fullName];
  return command.keyIndexes(args).map((index) => ({ index, flags: flagsOf === undefined ? NO_FLAGS : flagsOf(args, index) }));
}
