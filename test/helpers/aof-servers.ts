// Bunker and the real redis-server side by side for the AOF's run-time behaviour: one
// test body runs against each ("flavor"), with the same expectations, so that every
// expectation is checked against the reference as well as against Bunker. Also: the
// rewrite child's pid from the log, the AOF directory's files and manifest.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REDIS_SERVER, startBunker, startRedis, type RawClient, type RunningServer, type StartOptions } from "./server.ts";

export type Flavor = "bunker" | "redis";

/** Bunker always; redis-server where it is installed. */
export const FLAVORS: Flavor[] = REDIS_SERVER === undefined ? ["bunker"] : ["bunker", "redis"];

/**
 * Starts Bunker or redis-server with `args` (after `--enable-debug-command yes`) and
 * waits until it has loaded its data (`waitLoaded`: both listen while they load).
 */
export async function startFlavor(flavor: Flavor, args: string[] = [], options: Omit<StartOptions, "args"> = {}): Promise<RunningServer> {
  const allArgs = ["--enable-debug-command", "yes", ...args];
  return flavor === "bunker" ? await startBunker({ waitLoaded: true, ...options, args: allArgs }) : await startRedis({ waitLoaded: true, ...options, args: allArgs });
}

const REWRITE_STARTED = /Background append only file rewriting started by pid (\d+)/g;

/** The pids of the rewrite children the server started, in order (from its log). */
export function rewritePids(server: RunningServer): number[] {
  return [...server.output().matchAll(REWRITE_STARTED)].map((match) => Number(match[1]));
}

/** How many times `text` occurs in the server's log so far. */
export function logCount(server: RunningServer, text: string): number {
  return server.output().split(text).length - 1;
}

/** The files of the AOF directory, sorted ([] when it does not exist). */
export function aofDirFiles(dir: string, dirName = "appendonlydir"): string[] {
  const path = join(dir, dirName);
  return existsSync(path) ? readdirSync(path).sort() : [];
}

/** The rewrite's temp files in `dir` (temp-rewriteaof-*). */
export function rewriteTempFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith("temp-rewriteaof-")).sort();
}

/** The manifest's text, null when there is none. */
export function manifestOf(dir: string, dirName = "appendonlydir", fileName = "appendonly.aof"): string | null {
  const path = join(dir, dirName, `${fileName}.manifest`);
  return existsSync(path) ? readFileSync(path, "latin1") : null;
}

/** `count` keys, pipelined. */
export async function fill(client: RawClient, count: number, prefix = "key"): Promise<void> {
  let batch = "";
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    const value = `value-${i}`;
    batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
  }
  client.write(batch);
  for (let i = 0; i < count; i++) await client.readRawReply();
}
