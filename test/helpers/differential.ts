// Differential testing: the same commands go to Bunker and to the real redis-server,
// and the reply bytes must be identical.

import { afterAll, beforeAll } from "bun:test";
import { RawClient, startBunker, startRedis, REDIS_SERVER, type RunningServer, type StartOptions } from "./server.ts";

export interface Pair {
  bunker: RunningServer;
  redis: RunningServer;
  b: RawClient;
  r: RawClient;
  stop(): Promise<void>;
}

export const haveRedis = REDIS_SERVER !== undefined;

export async function startPair(args: string[] = [], options: Omit<StartOptions, "args"> = {}): Promise<Pair> {
  const [bunker, redis] = await Promise.all([startBunker({ ...options, args }), startRedis({ ...options, args })]);
  const [b, r] = await Promise.all([RawClient.connect(bunker.port), RawClient.connect(redis.port)]);
  return {
    bunker,
    redis,
    b,
    r,
    async stop() {
      b.close();
      r.close();
      await Promise.all([bunker.stop(), redis.stop()]);
    },
  };
}

/** A command's arguments: strings are sent as UTF-8, byte arrays as they are. */
export type CommandArgs = Array<string | Uint8Array>;

/** Sends one command to both; returns [bunkerBytes, redisBytes]. */
export async function both(pair: Pair, ...args: CommandArgs): Promise<[string, string]> {
  return Promise.all([pair.b.callRaw(...args), pair.r.callRaw(...args)]);
}

/**
 * Runs a script of commands on both servers and returns the list of mismatches as
 * readable lines (empty when every reply is byte-identical).
 */
export async function compareScript(pair: Pair, script: CommandArgs[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const command of script) {
    const [ours, theirs] = await both(pair, ...command);
    if (ours !== theirs) {
      const shown = command.map((arg) => (typeof arg === "string" ? arg : Buffer.from(arg).toString("latin1")));
      mismatches.push(`${JSON.stringify(shown)}\n   bunker: ${JSON.stringify(ours)}\n   redis:  ${JSON.stringify(theirs)}`);
    }
  }
  return mismatches;
}

/** rdb_changes_since_last_save of a server: tests compare how much each command changed. */
export async function dirtyOf(client: RawClient): Promise<number> {
  const info = String(await client.call("INFO", "persistence"));
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
}

/**
 * COMMAND INFO of `names` on both servers, compared on what declarations decide (name,
 * arity, flags, first/last key and step, ACL categories, tips) and the key
 * specifications (Redis's, from src/commands/metadata/), and the same for every
 * subcommand (in name order: Redis lists them in hash order). With `onlyOurSubcommands`,
 * Redis's subcommands that Bunker does not implement are left out. Returns the mismatches.
 */
export async function compareCommandInfo(pair: Pair, names: string[], options: { onlyOurSubcommands?: boolean } = {}): Promise<string[]> {
  const subcommands = (entry: unknown[]): unknown[][] => (entry[9] ?? []) as unknown[][];
  const declaration = (entry: unknown[], keep?: Set<unknown>): string =>
    JSON.stringify(
      [
        ...entry.slice(0, 9),
        subcommands(entry)
          .filter((sub) => keep === undefined || keep.has(sub[0]))
          .map((sub) => JSON.stringify(sub.slice(0, 9)))
          .sort(),
      ],
      (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value),
    );
  const [ours, theirs] = (await Promise.all([pair.b.call("COMMAND", "INFO", ...names), pair.r.call("COMMAND", "INFO", ...names)])) as unknown[][][];
  const mismatches: string[] = [];
  names.forEach((name, i) => {
    const mine = ours![i] ?? [];
    const keep = options.onlyOurSubcommands ? new Set(subcommands(mine).map((sub) => sub[0])) : undefined;
    const a = declaration(mine);
    const b = declaration(theirs![i] ?? [], keep);
    if (a !== b) mismatches.push(`${name}\n   bunker: ${a}\n   redis:  ${b}`);
  });
  return mismatches;
}

/**
 * For each command: `setup` runs on both servers, a client WATCHes `watched`, another
 * client runs the command, then the watcher's MULTI/`probe`/EXEC reply is compared
 * (null when the command counted as a change). Returns the mismatches.
 */
export async function compareWatchEffects(
  pair: Pair,
  options: { setup: () => Promise<void>; watched: string[]; probe: string[] },
  commands: string[][],
): Promise<string[]> {
  const others = [await RawClient.connect(pair.bunker.port), await RawClient.connect(pair.redis.port)];
  const mismatches: string[] = [];
  try {
    for (const command of commands) {
      await options.setup();
      const replies: string[] = [];
      for (let side = 0; side < 2; side++) {
        const watcher = side === 0 ? pair.b : pair.r;
        await watcher.call("WATCH", ...options.watched);
        await others[side]!.call(...command);
        await watcher.call("MULTI");
        await watcher.call(...options.probe);
        replies.push(await watcher.callRaw("EXEC"));
      }
      if (replies[0] !== replies[1]) mismatches.push(`${command.join(" ")}: EXEC ${JSON.stringify(replies[0])}, Redis ${JSON.stringify(replies[1])}`);
    }
  } finally {
    for (const client of others) client.close();
  }
  return mismatches;
}

/**
 * Registers beforeAll/afterAll hooks that start a Bunker + Redis pair for the test file
 * (when redis-server is installed) and stop it; returns an accessor to the pair.
 */
export function usePair(args: string[] = []): () => Pair {
  let pair: Pair | undefined;
  beforeAll(async () => {
    if (haveRedis) pair = await startPair(args);
  });
  afterAll(async () => {
    await pair?.stop();
  });
  return () => pair!;
}
