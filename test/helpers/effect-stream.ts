// The effect stream of write commands, as text: what the real Redis sends its replicas
// (captured with `redis-cli --replica`) and what Bunker hands its propagation feeds
// (recorded in-process), rendered alike, normalised where two runs legitimately
// differ, and compared line by line.
//
// The text form is redis-cli's: in replica mode it prints each command of the stream
// as a CSV line of sdscatrepr-quoted arguments (`"set","k","v"`, cliFormatReplyCSV),
// so that is what Bunker's feed is rendered into, and a difference reads the same on
// both sides.
//
// Three facts about redis-cli 7.0's replica mode shape the capture:
// - After the RDB payload it sends REPLCONF ACK 0 and waits for a reply the master never
//   sends, so the first command of the stream is swallowed as that "reply". The first
//   command is always the SELECT that precedes the first write (a new replica makes the
//   master forget its selected db), or a heartbeat PING; the capture therefore starts
//   with a marker write and keeps only what follows it.
// - The master sends PING every repl-ping-replica-period seconds; they are dropped.
// - redis-cli uses diskless sync (REPLCONF capa eof), which waits
//   repl-diskless-sync-delay seconds for more replicas: start Redis with
//   REDIS_CAPTURE_ARGS.

import type { Subprocess } from "bun";
import { sdscatrepr } from "../../src/util/repr.ts";
import { bytesToKey, keyToBytes } from "../../src/db/bytes.ts";
import { splitInlineArgs } from "../../src/protocol/inline.ts";
import { SelectTracker, type EffectFeed } from "../../src/propagate.ts";

/** redis-server options for a master whose stream is captured (see the file's comment). */
export const REDIS_CAPTURE_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600", "--enable-debug-command", "yes"];

/** The write that opens a captured stream (the commands before it are not compared). */
export const START_MARKER = ["SET", "__effects_start__", "1"];
/** The write that closes a run: once its line arrives, everything before it has. */
export function endMarker(tag: string | number): string[] {
  return ["SET", "__effects_end__", String(tag)];
}

/** One command in redis-cli's CSV form. */
export function renderCommand(argv: readonly (Uint8Array | string)[]): string {
  return argv.map((arg) => sdscatrepr("", arg)).join(",");
}

/**
 * Splits a CSV line back into its arguments, each still in sdscatrepr form without
 * the quotes (`a\"b`), which is all the normaliser needs: ids and times are printable.
 */
export function splitRenderedLine(line: string): string[] {
  const tokens: string[] = [];
  const token = /"((?:[^"\\]|\\.)*)"(,|$)/y;
  let at = 0;
  while (at < line.length) {
    token.lastIndex = at;
    const match = token.exec(line);
    if (match === null) throw new Error(`not a redis-cli CSV command line: ${line}`);
    tokens.push(match[1]!);
    at = token.lastIndex;
  }
  return tokens;
}

/** A CSV line back to the command's bytes (the inverse of renderCommand): sdssplitargs reads each argument. */
export function parseRenderedLine(line: string): Uint8Array[] {
  return splitRenderedLine(line).map((token) => {
    const parsed = splitInlineArgs(keyToBytes(`"${token}"`));
    if (parsed === null || parsed.length !== 1) throw new Error(`not an sdscatrepr string: "${token}"`);
    return parsed[0]!;
  });
}

// ---- Redis: the replication stream through redis-cli --replica ----------------------

export class ReplicaCapture {
  private stdoutText = "";
  private stderrText = "";
  private waiters: Array<() => void> = [];

  private constructor(private readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    void this.pump(proc.stdout, (text) => (this.stdoutText += text));
    void this.pump(proc.stderr, (text) => (this.stderrText += text));
  }

  /**
   * Attaches `redis-cli --replica` to the server on `port` and waits until it logs the
   * stream (after the RDB transfer).
   */
  static async attach(port: number, timeoutMs = 20000): Promise<ReplicaCapture> {
    const proc = Bun.spawn(["redis-cli", "-p", String(port), "--replica"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const capture = new ReplicaCapture(proc);
    await capture.until(() => capture.stderrText.includes("Logging commands from master."), timeoutMs, "redis-cli --replica to finish its SYNC");
    return capture;
  }

  private async pump(stream: ReadableStream<Uint8Array>, append: (text: string) => void): Promise<void> {
    // redis-cli escapes every byte that is not printable ASCII: one char per byte.
    for await (const chunk of stream) {
      append(bytesToKey(chunk));
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits (without polling the clock in a loop) until `condition` holds after new output. */
  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.proc.exitCode !== null) throw new Error(`redis-cli exited (${this.proc.exitCode}) while waiting for ${what}:\n${this.stderrText}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; redis-cli printed:\n${this.stderrText}\n${this.stdoutText.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every complete line printed so far (heartbeat PINGs included). */
  rawLines(): string[] {
    const complete = this.stdoutText.slice(0, this.stdoutText.lastIndexOf("\n") + 1);
    return complete === "" ? [] : complete.slice(0, -1).split("\n");
  }

  /** Waits until `line` has been printed. */
  async waitForLine(line: string, timeoutMs = 20000): Promise<void> {
    await this.until(() => this.stdoutText.includes(`${line}\n`), timeoutMs, `the line ${line}`);
  }

  /**
   * The stream between the start marker and `end` (the end marker's line, included),
   * without heartbeat PINGs.
   */
  async commandsUntil(end: string, timeoutMs = 20000): Promise<string[]> {
    await this.waitForLine(end, timeoutMs);
    return cutStream(this.rawLines().filter((line) => line !== '"ping"' && line !== '"PING"'), end);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
    await this.proc.exited;
  }
}

/** The lines after the start marker up to and including `end`. */
export function cutStream(lines: string[], end: string): string[] {
  const start = lines.indexOf(renderCommand(START_MARKER));
  if (start < 0) throw new Error(`the stream has no start marker ${renderCommand(START_MARKER)}:\n${lines.slice(0, 20).join("\n")}`);
  const stop = lines.indexOf(end, start);
  if (stop < 0) throw new Error(`the stream has no end marker ${end}`);
  return lines.slice(start + 1, stop + 1);
}

// ---- Bunker: a feed that records the stream ----------------------------------------

/**
 * A propagation feed that keeps the stream as Redis's replication link would carry it:
 * a SELECT before an effect in another database than the previous one (SelectTracker),
 * then the effect. Keeps both the rendered lines and the argv (copied: a feed's argv
 * may be reused after the call), the latter to replay the stream into another server.
 */
export class RecordingFeed implements EffectFeed {
  readonly tracker = new SelectTracker();
  readonly commands: Uint8Array[][] = [];

  feed(dbIndex: number, argv: readonly Uint8Array[]): void {
    const select = this.tracker.selectFor(dbIndex);
    if (select !== null) this.commands.push(select);
    this.commands.push(argv.map((arg) => arg.slice()));
  }

  lines(): string[] {
    return this.commands.map(renderCommand);
  }
}

// ---- normalising ---------------------------------------------------------------------

/**
 * A stream with what differs between two runs of the same sequence replaced by
 * placeholders: absolute unix times in ms (`<time>`), kept aside in `times` as offsets
 * from the run's start so that they can be compared with a tolerance, and stream ids
 * generated from the clock (`<id1>`, `<id2>`...: see ClockIds), and DUMP payloads (see
 * payloadType).
 */
export interface NormalisedStream {
  lines: string[];
  /** Per line with times: the offsets (ms) of those times from the run's start. */
  times: Array<{ line: number; offsets: number[] }>;
}

/** A stream id whose ms part is a clock reading (explicit ids in sequences are small). */
const CLOCK_ID = /^(\d{12,})-(\d+)$/;
/** Unix times in ms from 2001 on; the sequences' explicit absolute times are far from it or equal on both sides. */
const MIN_CLOCK_MS = 1_000_000_000_000;

/** Positions of absolute times in a propagated command, by its (lower-cased) name. */
function timePositions(tokens: string[]): number[] {
  const name = tokens[0]!.toLowerCase();
  const positions: number[] = [];
  const upper = tokens.map((t) => t.toUpperCase());
  if (name === "pexpireat" || name === "expireat") positions.push(2);
  else if (name === "set" || name === "getex") {
    for (let i = 3; i < tokens.length - 1; i++) if (upper[i] === "PXAT" || upper[i] === "EXAT") positions.push(i + 1);
  } else if (name === "restore") {
    if (upper.includes("ABSTTL")) positions.push(2);
  } else if (name === "xclaim") {
    for (let i = 5; i < tokens.length - 1; i++) if (upper[i] === "TIME") positions.push(i + 1);
  }
  return positions;
}

/** The logical type of each RDB value type a Redis 7.0 DUMP payload starts with. */
const RDB_VALUE_TYPES: Record<number, string> = {
  0: "string",
  1: "list", 10: "list", 14: "list", 18: "list",
  2: "set", 11: "set",
  3: "zset", 5: "zset", 12: "zset", 17: "zset",
  4: "hash", 9: "hash", 13: "hash", 16: "hash",
  15: "stream", 19: "stream",
};

/**
 * A DUMP payload (a RESTORE argument) as `<TYPE payload>`. Its bytes are not the same
 * in two runs: a hash table's order follows the process's random hash seed, a stream's
 * consumers and pending entries carry clock readings. What the payload restores is
 * checked where the stream is replayed (the dataset comparisons).
 */
function payloadType(token: string): string {
  const bytes = parseRenderedLine(`"${token}"`)[0]!;
  return `<${RDB_VALUE_TYPES[bytes[0] ?? -1] ?? "unknown"} payload>`;
}

/** Index of XADD's id argument (after NOMKSTREAM and the trim options). */
function xaddIdIndex(tokens: string[]): number {
  let i = 2;
  for (;;) {
    const word = tokens[i]?.toUpperCase();
    if (word === "NOMKSTREAM") i += 1;
    else if (word === "MAXLEN" || word === "MINID") i += tokens[i + 1] === "=" || tokens[i + 1] === "~" ? 3 : 2;
    else if (word === "LIMIT") i += 2;
    else return i;
  }
}

/**
 * Placeholders for stream ids generated from the clock. Each XADD that carries one
 * introduces a new placeholder (two runs may generate the same id twice, or not: the
 * same millisecond in one stream after a DEL, or in two streams); other commands find
 * the placeholder of the id in the same stream (database and key).
 */
class ClockIds {
  private readonly byStream = new Map<string, Map<string, string>>();
  private count = 0;
  db = 0;

  private idsOf(key: string): Map<string, string> {
    const name = `${this.db}\u0000${key}`;
    let ids = this.byStream.get(name);
    if (ids === undefined) this.byStream.set(name, (ids = new Map()));
    return ids;
  }

  fresh(key: string, id: string): string {
    const placeholder = `<id${++this.count}>`;
    this.idsOf(key).set(id, placeholder);
    return placeholder;
  }

  placeholder(key: string, id: string): string {
    return this.idsOf(key).get(id) ?? this.fresh(key, id);
  }

  /** Replaces the clock ids of a command line in place. */
  normalise(tokens: string[]): void {
    const name = tokens[0]!.toLowerCase();
    if (name === "select") this.db = Number(tokens[1]);
    if (!name.startsWith("x") && name !== "restore") return;
    const key = (name === "xgroup" ? tokens[2] : tokens[1]) ?? "";
    const generated = name === "xadd" ? xaddIdIndex(tokens) : -1;
    for (let i = 1; i < tokens.length; i++) {
      if (!CLOCK_ID.test(tokens[i]!)) continue;
      tokens[i] = i === generated ? this.fresh(key, tokens[i]!) : this.placeholder(key, tokens[i]!);
    }
  }
}

export function normaliseStream(lines: string[], startMs: number): NormalisedStream {
  const ids = new ClockIds();
  const out: string[] = [];
  const times: NormalisedStream["times"] = [];
  lines.forEach((line, index) => {
    const tokens = splitRenderedLine(line);
    const offsets: number[] = [];
    for (const position of timePositions(tokens)) {
      const value = Number(tokens[position]);
      // A time in the sequence itself (EXAT 1, PXAT 4102444800000...) is the same in both runs.
      if (!Number.isSafeInteger(value) || value < MIN_CLOCK_MS || value > startMs + 10 * 365 * 86400_000) continue;
      offsets.push(value - startMs);
      tokens[position] = "<time>";
    }
    if (tokens[0]!.toLowerCase() === "restore" && tokens.length > 3) tokens[3] = payloadType(tokens[3]!);
    ids.normalise(tokens);
    if (offsets.length > 0) times.push({ line: index, offsets });
    out.push(tokens.map((t) => `"${t}"`).join(","));
  });
  return { lines: out, times };
}

/**
 * Compares two normalised streams: lines byte for byte, then each pair of times to
 * within `toleranceMs` (the runs' durations differ, so the same relative TTL lands on
 * different offsets). Returns a readable report, empty when they agree.
 */
export function compareNormalised(
  ours: NormalisedStream,
  theirs: NormalisedStream,
  options: { toleranceMs: number; names?: [string, string]; context?: number },
): string {
  const [ourName, theirName] = options.names ?? ["bunker", "redis"];
  const context = options.context ?? 6;
  const length = Math.max(ours.lines.length, theirs.lines.length);
  for (let i = 0; i < length; i++) {
    if (ours.lines[i] === theirs.lines[i]) continue;
    const from = Math.max(0, i - context);
    const show = (lines: string[]) =>
      lines
        .slice(from, i + context + 1)
        .map((line, k) => `${from + k === i ? ">" : " "} ${String(from + k).padStart(5)}  ${line}`)
        .join("\n");
    return [
      `streams differ at line ${i} (${ourName}: ${ours.lines.length} lines, ${theirName}: ${theirs.lines.length} lines)`,
      `--- ${ourName}`,
      show(ours.lines),
      `--- ${theirName}`,
      show(theirs.lines),
    ].join("\n");
  }
  const theirTimes = new Map(theirs.times.map((entry) => [entry.line, entry.offsets]));
  for (const { line, offsets } of ours.times) {
    const other = theirTimes.get(line) ?? [];
    for (let k = 0; k < Math.max(offsets.length, other.length); k++) {
      const a = offsets[k];
      const b = other[k];
      if (a === undefined || b === undefined || Math.abs(a - b) > options.toleranceMs) {
        return `the absolute time of line ${line} (${ours.lines[line]}) is ${a} ms after the ${ourName} run's start, ${b} ms after the ${theirName} run's start (tolerance ${options.toleranceMs} ms)`;
      }
    }
  }
  return "";
}
