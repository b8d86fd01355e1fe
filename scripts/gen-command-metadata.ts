// Generates src/commands/metadata/: Redis 7.0.15's command metadata (COMMAND DOCS's
// arguments, history, doc flags, deprecation, and COMMAND INFO's key specifications)
// for every command Bunker declares, one data module per command family, asked from
// the real redis-server.
//
//   node_modules/.bin/bun scripts/gen-command-metadata.ts
//
// Which commands: every command declared in src/commands/<family>.ts (the family is
// the file), every Redis subcommand of a declared container (so that a subcommand
// being added, CLIENT TRACKING say, finds its data waiting), and PENDING below:
// commands being added elsewhere, whose entries are written to the family file they
// will live in. The lookup (metadata/index.ts) ignores entries of undeclared commands.
// The declarations keep arity, flags, first/last/step, categories, tips, summary,
// since, group and complexity: where Redis says otherwise, the COMMAND INFO and
// COMMAND DOCS differential tests say so.

import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { RawClient, startRedis, type Reply } from "../test/helpers/server.ts";
import type { CommandArgument, CommandMetadata, CommandSpec, KeySpec, KeySpecFlag } from "../src/commands/table.ts";

const ROOT = join(import.meta.dir, "..");
const COMMANDS_DIR = join(ROOT, "src/commands");
const OUT_DIR = join(COMMANDS_DIR, "metadata");

/** Commands not declared yet, by the family file that will declare them. */
const PENDING: Record<string, string[]> = {
  geo: ["geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore"],
};

/** Files of src/commands that declare no family. */
const NOT_FAMILIES = new Set(["table", "index", "context"]);

/** Each family file's declared command names (and their declared subcommands). */
async function declaredFamilies(): Promise<Map<string, string[]>> {
  const families = new Map<string, string[]>();
  for (const file of readdirSync(COMMANDS_DIR).sort()) {
    if (!file.endsWith(".ts")) continue;
    const family = basename(file, ".ts");
    if (NOT_FAMILIES.has(family)) continue;
    const module = (await import(join(COMMANDS_DIR, file))) as Record<string, unknown>;
    const names: string[] = [];
    for (const value of Object.values(module)) {
      if (!Array.isArray(value) || !value.every(isCommandSpec)) continue;
      for (const spec of value as CommandSpec[]) names.push(spec.name);
    }
    if (names.length > 0) families.set(family, names);
  }
  for (const [family, names] of Object.entries(PENDING)) {
    const list = families.get(family) ?? [];
    for (const name of names) if (!list.includes(name)) list.push(name);
    families.set(family, list);
  }
  return families;
}

function isCommandSpec(value: unknown): boolean {
  return typeof value === "object" && value !== null && typeof (value as CommandSpec).name === "string" && typeof (value as CommandSpec).arity === "number";
}

// ---- reading Redis's replies (RESP3) ----------------------------------------------

function asMap(reply: Reply): Map<Reply, Reply> {
  if (!(reply instanceof Map)) throw new Error(`expected a map, got ${JSON.stringify(reply)}`);
  return reply;
}

function asArray(reply: Reply | undefined): Reply[] {
  if (!Array.isArray(reply)) throw new Error(`expected an array, got ${JSON.stringify(reply)}`);
  return reply;
}

function asString(reply: Reply | undefined): string {
  if (typeof reply !== "string") throw new Error(`expected a string, got ${JSON.stringify(reply)}`);
  return reply;
}

function asNumber(reply: Reply | undefined): number {
  if (typeof reply !== "number") throw new Error(`expected an integer, got ${JSON.stringify(reply)}`);
  return reply;
}

const ARGUMENT_FIELDS = new Set(["name", "type", "key_spec_index", "token", "summary", "since", "deprecated_since", "flags", "arguments"]);

function parseArgument(reply: Reply): CommandArgument {
  const map = asMap(reply);
  for (const field of map.keys()) if (!ARGUMENT_FIELDS.has(asString(field))) throw new Error(`unknown argument field ${String(field)}`);
  const argument: CommandArgument = { name: asString(map.get("name")), type: asString(map.get("type")) as CommandArgument["type"] };
  if (map.has("key_spec_index")) argument.keySpecIndex = asNumber(map.get("key_spec_index"));
  if (map.has("token")) argument.token = asString(map.get("token"));
  if (map.has("summary")) argument.summary = asString(map.get("summary"));
  if (map.has("since")) argument.since = asString(map.get("since"));
  if (map.has("deprecated_since")) argument.deprecatedSince = asString(map.get("deprecated_since"));
  if (map.has("flags")) argument.flags = asArray(map.get("flags")).map(asString) as CommandArgument["flags"];
  if (map.has("arguments")) argument.arguments = asArray(map.get("arguments")).map(parseArgument);
  return argument;
}

const DOCS_FIELDS = new Set(["summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by", "history", "arguments", "subcommands"]);

/** A COMMAND DOCS entry's metadata fields (the declaration has the others). */
function parseDocs(reply: Reply): Omit<CommandMetadata, "keySpecs"> {
  const map = asMap(reply);
  for (const field of map.keys()) if (!DOCS_FIELDS.has(asString(field))) throw new Error(`unknown docs field ${String(field)}`);
  const docs: Omit<CommandMetadata, "keySpecs"> = {};
  if (map.has("doc_flags")) docs.docFlags = asArray(map.get("doc_flags")).map(asString) as CommandMetadata["docFlags"];
  if (map.has("deprecated_since")) docs.deprecatedSince = asString(map.get("deprecated_since"));
  if (map.has("replaced_by")) docs.replacedBy = asString(map.get("replaced_by"));
  if (map.has("history")) docs.history = asArray(map.get("history")).map((entry) => asArray(entry).map(asString) as [string, string]);
  if (map.has("arguments")) docs.arguments = asArray(map.get("arguments")).map(parseArgument);
  return docs;
}

function parseKeySpec(reply: Reply): KeySpec {
  const map = asMap(reply);
  const spec: KeySpec = { flags: asArray(map.get("flags")).map(asString) as KeySpecFlag[], beginSearch: { unknown: true }, findKeys: { unknown: true } };
  if (map.has("notes")) spec.notes = asString(map.get("notes"));
  const begin = asMap(map.get("begin_search")!);
  const beginSpec = asMap(begin.get("spec")!);
  switch (asString(begin.get("type"))) {
    case "index":
      spec.beginSearch = { index: asNumber(beginSpec.get("index")) };
      break;
    case "keyword":
      spec.beginSearch = { keyword: asString(beginSpec.get("keyword")), startFrom: asNumber(beginSpec.get("startfrom")) };
      break;
    case "unknown":
      break;
    default:
      throw new Error(`unknown begin_search ${String(begin.get("type"))}`);
  }
  const find = asMap(map.get("find_keys")!);
  const findSpec = asMap(find.get("spec")!);
  switch (asString(find.get("type"))) {
    case "range":
      spec.findKeys = { lastKey: asNumber(findSpec.get("lastkey")), keyStep: asNumber(findSpec.get("keystep")), limit: asNumber(findSpec.get("limit")) };
      break;
    case "keynum":
      spec.findKeys = { keyNumIdx: asNumber(findSpec.get("keynumidx")), firstKey: asNumber(findSpec.get("firstkey")), keyStep: asNumber(findSpec.get("keystep")) };
      break;
    case "unknown":
      break;
    default:
      throw new Error(`unknown find_keys ${String(find.get("type"))}`);
  }
  return spec;
}

// ---- writing the modules -----------------------------------------------------------

/** TypeScript source for a value on one line. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${inline(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

/** TypeScript source for a value: an object without a list of objects in it on one line. */
function source(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== "object" || item === null || Array.isArray(item))) return inline(value);
    const inner = indent + "  ";
    return `[\n${value.map((item) => inner + source(item, inner)).join(",\n")},\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (!entries.some(([, v]) => Array.isArray(v) && v.some((item) => typeof item === "object" && item !== null && !Array.isArray(item)))) {
      return inline(value);
    }
    const inner = indent + "  ";
    return `{\n${entries.map(([k, v]) => `${inner}${k}: ${source(v, inner)}`).join(",\n")},\n${indent}}`;
  }
  return JSON.stringify(value);
}

const HEADER = (command: string) =>
  `// Generated by scripts/gen-command-metadata.ts from Redis 7.0.15 (${command}): do not edit.\n`;

function exportName(family: string): string {
  return `${family.replace(/[^a-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase())}Metadata`;
}

async function main(): Promise<void> {
  const families = await declaredFamilies();
  const redis = await startRedis();
  const client = await RawClient.connect(redis.port);
  try {
    await client.call("HELLO", "3");
    const allDocs = asMap(await client.call("COMMAND", "DOCS"));
    const allInfo = asArray(await client.call("COMMAND", "INFO"));
    const keySpecs = new Map<string, KeySpec[]>();
    const subcommandsOf = new Map<string, string[]>();
    for (const entry of allInfo) {
      const info = asArray(entry);
      const name = asString(info[0]);
      keySpecs.set(name, asArray(info[8]).map(parseKeySpec));
      const subs: string[] = [];
      for (const sub of asArray(info[9])) {
        const subInfo = asArray(sub);
        const subName = asString(subInfo[0]);
        keySpecs.set(subName, asArray(subInfo[8]).map(parseKeySpec));
        subs.push(subName);
      }
      subcommandsOf.set(name, subs.sort());
    }
    const docsOf = new Map<string, Reply>();
    for (const [name, docs] of allDocs) {
      docsOf.set(asString(name), docs);
      const subs = asMap(docs).get("subcommands");
      if (subs !== undefined) for (const [subName, subDocs] of asMap(subs)) docsOf.set(asString(subName), subDocs);
    }

    mkdirSync(OUT_DIR, { recursive: true });
    const written: string[] = [];
    const unknown: string[] = [];
    let entries = 0;
    for (const [family, names] of families) {
      const records: string[] = [];
      for (const name of names) {
        if (!keySpecs.has(name)) {
          unknown.push(name);
          continue;
        }
        for (const fullName of [name, ...(subcommandsOf.get(name) ?? [])]) {
          const metadata: CommandMetadata = { ...parseDocs(docsOf.get(fullName)!), keySpecs: keySpecs.get(fullName)! };
          records.push(`  ${JSON.stringify(fullName)}: ${source(metadata, "  ")},`);
          entries++;
        }
      }
      if (records.length === 0) continue;
      const text =
        HEADER(`COMMAND DOCS, COMMAND INFO`) +
        `// The ${family} family's commands (src/commands/${family}.ts), by full name.\n\n` +
        `import type { CommandMetadata } from "../table.ts";\n\n` +
        `export const ${exportName(family)}: Record<string, CommandMetadata> = {\n${records.join("\n")}\n};\n`;
      writeFileSync(join(OUT_DIR, `${family}.ts`), text);
      written.push(family);
    }
    const index =
      HEADER("the list of families") +
      `// Every family's metadata in one map; commandMetadata() is how the command table\n` +
      `// finds a command's entry (entries whose command is not declared are never asked for).\n\n` +
      `import type { CommandMetadata } from "../table.ts";\n` +
      written.map((family) => `import { ${exportName(family)} } from "./${family}.ts";\n`).join("") +
      `\nconst ALL = new Map<string, CommandMetadata>();\n` +
      `for (const family of [${written.map(exportName).join(", ")}]) {\n` +
      `  for (const [fullName, metadata] of Object.entries(family)) ALL.set(fullName, metadata);\n` +
      `}\n\n` +
      `/** Redis's metadata of the command (or subcommand, "config|get") with this full name. */\n` +
      `export function commandMetadata(fullName: string): CommandMetadata | undefined {\n` +
      `  return ALL.get(fullName);\n` +
      `}\n`;
    writeFileSync(join(OUT_DIR, "index.ts"), index);
    console.log(`${entries} entries in ${written.length} families: ${written.join(", ")}`);
    if (unknown.length > 0) console.log(`not Redis commands (no metadata): ${unknown.join(", ")}`);
  } finally {
    client.close();
    await redis.stop();
  }
}

await main();
