// AOF directories for tests: written by hand, or by the real redis-server, then loaded by
// redis-server (the reference: its log and exit status) and by an in-process Bunker with
// the AOF loader, so a test compares what the two logged, returned and loaded.

import { afterAll, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCommand, freePort, loadedOrExitCode, REDIS_SERVER, startProcess, type RunningServer } from "./server.ts";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server.ts";
import { Client } from "../../src/net/client.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";
import { logger } from "../../src/log.ts";
import { aofLoadManifestFromDisk } from "../../src/persistence/aof/manifest.ts";
import { AOF_FAILED, AOF_OPEN_ERR, type AofManifest, type AofStatus } from "../../src/persistence/aof/manifest.ts";
import { loadAppendOnlyFiles, type AofLoadResult } from "../../src/persistence/aof/load.ts";

/** A test that needs redis-server, the reference (skipped where it is not installed). */
export const withRedis = REDIS_SERVER !== undefined ? test : test.skip;

/**
 * The temp directories and servers of a test file, removed and stopped once its tests
 * ran: `track(dir)` returns the dir, `keep(server)` the server.
 */
export function useCleanup(): { track(dir: string): string; keep(server: RunningServer): RunningServer } {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    track(dir) {
      dirs.push(dir);
      return dir;
    },
    keep(server) {
      servers.push(server);
      return server;
    },
  };
}

/** A command as the AOF holds it. */
export function resp(...args: Array<string | Uint8Array>): Uint8Array {
  return encodeCommand(args);
}

export function concat(...parts: Array<Uint8Array | string>): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : part)));
}

export function tempDir(prefix = "bunker-aof-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A `dir` holding appendonlydir/ with `files` (name -> bytes) and a manifest (omitted when
 * `manifest` is null). Returns the dir.
 */
export function writeAofDir(files: Record<string, Uint8Array | string>, manifest: string | Uint8Array | null, dirName = "appendonlydir"): string {
  const dir = tempDir();
  mkdirSync(join(dir, dirName));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, dirName, name), bytes);
  if (manifest !== null) writeFileSync(join(dir, dirName, "appendonly.aof.manifest"), manifest);
  return dir;
}

/** A copy of `dir` (each server gets its own: both may modify files). */
export function copyDir(dir: string): string {
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

/** Every file under `dir` with its size, sorted: "appendonlydir/appendonly.aof.1.incr.aof 54". */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else out.push(`${path} ${statSync(join(dir, path)).size}`);
    }
  };
  walk("");
  return out.sort();
}

/** redis-check-aof on the manifest of `dir`'s AOF directory: its exit status and output. */
export async function checkAof(dir: string, dirName = "appendonlydir", fileName = "appendonly.aof"): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(["redis-check-aof", join(dir, dirName, `${fileName}.manifest`)], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, output: stdout + stderr };
}

/** The fields of an INFO reply, by name. */
export function infoFields(info: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of info.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** The commands of an AOF file of RESP multibulks (an INCR file, or a base without a preamble). */
export function parseAofCommands(bytes: Buffer): Uint8Array[][] {
  const commands: Uint8Array[][] = [];
  let at = 0;
  const line = (): string => {
    const end = bytes.indexOf("\r\n", at);
    const text = bytes.subarray(at, end).toString("latin1");
    at = end + 2;
    return text;
  };
  while (at < bytes.length) {
    const header = line();
    if (!header.startsWith("*")) throw new Error(`not a command at ${at}: ${header}`);
    const argv: Uint8Array[] = [];
    for (let i = Number(header.slice(1)); i > 0; i--) {
      const length = Number(line().slice(1));
      argv.push(bytes.subarray(at, at + length));
      at += length + 2;
    }
    commands.push(argv);
  }
  return commands;
}

export function readManifest(dir: string, dirName = "appendonlydir", fileName = "appendonly.aof"): string {
  return readFileSync(join(dir, dirName, `${fileName}.manifest`), "latin1");
}

// ---- log messages -----------------------------------------------------------------------------

const LOG_PREFIX = /^\d+:[CMXS] \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} [.\-*#] /gm;

/**
 * The messages of Redis-format log text, in order: what follows each line prefix up to the
 * next one, less the newline the log adds (a message may span lines, as Redis's FATAL
 * reports do).
 */
export function logMessages(text: string): string[] {
  const prefixes = [...text.matchAll(LOG_PREFIX)];
  return prefixes.map((match, i) => {
    const end = i + 1 < prefixes.length ? prefixes[i + 1]!.index : text.length;
    const message = text.slice(match.index + match[0].length, end);
    return message.endsWith("\n") ? message.slice(0, -1) : message;
  });
}

/** Timings and ages vary from run to run. */
export function normalize(message: string): string {
  return message.replace(/\d+\.\d{3} seconds/, "<t> seconds").replace(/RDB age \d+ seconds/, "RDB age <n> seconds");
}

/** What Redis logs once the AOF is loaded (loadDataFromDisk and after): not the loader's. */
const AFTER_LOADING = ["DB loaded from append only file", "Creating AOF base file", "Opening AOF incr file", "Creating AOF incr file", "Ready to accept connections"];

/** The messages of the AOF loading stage of a redis-server start-up log. */
function loadingStage(messages: string[]): string[] {
  const start = messages.findIndex((m) => m === "Server initialized");
  const stage: string[] = [];
  for (const message of messages.slice(start + 1)) {
    if (AFTER_LOADING.some((prefix) => message.startsWith(prefix))) break;
    if (message.startsWith("WARNING Memory overcommit")) continue;
    stage.push(normalize(message));
  }
  return stage;
}

// ---- the reference: redis-server on a directory ---------------------------------------------------

export interface RedisStart {
  /** The exit status when it refused to start; null when it came up (then `server` runs). */
  exitCode: number | null;
  /** What it logged while loading the AOF (timings normalised). */
  messages: string[];
  /** Everything it logged. */
  output: string;
  server: RunningServer | null;
}

/**
 * Starts redis-server with `appendonly yes` in `dir`, as it starts on a restart, with
 * `configFile` (if any) read first, then `args`.
 */
export async function startRedisOnAof(dir: string, args: string[] = [], configFile?: string): Promise<RedisStart> {
  if (REDIS_SERVER === undefined) throw new Error("redis-server is not installed");
  const port = freePort();
  const command = [REDIS_SERVER, ...(configFile === undefined ? [] : [configFile])];
  command.push("--port", String(port), "--save", "", "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--enable-debug-command", "yes", ...args);
  const server = await startProcess(command, port, dir, { waitReady: false });
  const exitCode = await loadedOrExitCode(server, "redis-server to load the AOF or exit");
  const output = exitCode === null ? server.output() : await server.finalOutput();
  return { exitCode, messages: loadingStage(logMessages(output)), output, server: exitCode === null ? server : null };
}

// ---- Bunker: an in-process server and the loader -------------------------------------------------

export function newServer(args: string[] = []): Server {
  const table = new CommandTable();
  registerAllCommands(table);
  const { config } = Config.fromArgs(["--port", "0", "--bind", "127.0.0.1", "--save", "", "--enable-debug-command", "yes", ...args], process.cwd());
  return new Server(config, table);
}

/** Runs `action` with the log going nowhere but `logger.recent`; returns its result and the messages. */
export async function captureLog<T>(action: () => Promise<T> | T): Promise<{ result: T; messages: string[] }> {
  const file = logger.file;
  logger.file = "/dev/null";
  logger.recent.length = 0;
  try {
    const result = await action();
    return { result, messages: logMessages(logger.recent.join("")).map(normalize) };
  } finally {
    logger.file = file;
  }
}

export interface BunkerLoad {
  server: Server;
  /** The manifest read (and changed by an upgrade), null when it could not be read. */
  manifest: AofManifest | null;
  /** null when the manifest could not be read (Redis exits there). */
  load: AofLoadResult | null;
  status: AofStatus | null;
  /** What redis-server's exit status would be: 1 when it refuses to start, else null. */
  exitCode: number | null;
  messages: string[];
}

/** What Bunker's start-up would do with `dir`: read the manifest, then load the AOF into a fresh server. */
export async function bunkerLoadAof(dir: string, args: string[] = [], server = newServer(args)): Promise<BunkerLoad> {
  let manifest: AofManifest | null = null;
  const { result: load, messages } = await captureLog(async () => {
    manifest = aofLoadManifestFromDisk({ config: server.config, dir });
    if (manifest === null) return null;
    return loadAppendOnlyFiles(server, manifest, { dir });
  });
  const status = load === null ? null : load.status;
  const exitCode = status === null || status === AOF_FAILED || status === AOF_OPEN_ERR ? 1 : null;
  return { server, manifest, load, status, exitCode, messages };
}

/** One command on an in-process server, its reply as RESP text. */
export function run(server: Server, ...args: string[]): string {
  const client = inProcessClient(server);
  server.processCommand(client, args.map((arg) => new Uint8Array(Buffer.from(arg, "latin1"))));
  return Buffer.from(client.reply.take()).toString("latin1");
}

const clients = new WeakMap<Server, Client>();
function inProcessClient(server: Server): Client {
  let client = clients.get(server);
  if (client === undefined) {
    client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
    clients.set(server, client);
  }
  return client;
}
