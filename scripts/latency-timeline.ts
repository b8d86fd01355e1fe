// A closed-loop write load that keeps every request's latency and completion time, so a
// benchmark can ask "what was p99 between these two instants?" and draw latency over time.
//
// redis-benchmark reports one histogram per run: a background job (BGSAVE, BGREWRITEAOF)
// that takes part of a run is diluted by the rest of it, and nothing says *when* the slow
// requests happened. This load is redis-benchmark's -c N -P 1 -r R, with one difference:
// it records (completion time, latency) per request in two typed arrays (no object per
// request: a run of several seconds is millions of them), and the caller cuts windows
// out of that timeline afterwards.
//
// The connections run in a worker thread with its own event loop. The benchmark's main
// thread samples PSS from /proc (a synchronous read that takes milliseconds on a large
// process) and polls INFO; on the same event loop those pauses would show up as server
// latency. Times are epoch milliseconds (performance.timeOrigin + performance.now()),
// which agree between threads to a few microseconds.
//
// Each connection sends one command, waits for its reply and sends the next at once,
// as redis-benchmark's clients do at -P 1. The replies of the commands a load sends are
// single-line (+OK, :1, -ERR), so reading a reply is finding its "\n".

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { encodeCommand } from "../test/helpers/server.ts";
import { seededRandom } from "../test/helpers/random.ts";

/**
 * What each request sends: `command`'s arguments, where the text "__rand_int__" in one
 * argument becomes a random integer below `range`, 12 digits zero-padded, a new one per
 * request (redis-benchmark's -r, so `key:__rand_int__` names the keys that the bench's
 * loaders create and redis-benchmark -r writes).
 */
export interface WriteLoad {
  command: string[];
  range: number;
}

/** p50/p99/max of the requests that completed in a window, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

const RAND_INT = "__rand_int__";
const RAND_DIGITS = 12;

/**
 * The requests of one run, ordered by completion time (one worker thread records them
 * all, with a monotonic clock): `completedAt[i]` in epoch ms, `latencyMs[i]` from the
 * write of the request to the end of its reply.
 */
export class LatencyTimeline {
  constructor(
    readonly completedAt: Float64Array,
    readonly latencyMs: Float32Array,
    /** Error replies among the requests (they are in the timeline too). */
    readonly errors: number,
  ) {}

  get count(): number {
    return this.completedAt.length;
  }

  /** Index of the first request completed at or after `time`. */
  private lowerBound(time: number): number {
    let low = 0;
    let high = this.completedAt.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.completedAt[mid]! < time) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The requests completed in [from, to): nearest-rank percentiles, as redis-benchmark's histogram reports. */
  summary(from: number, to: number): LatencySummary {
    const sorted = this.latencyMs.slice(this.lowerBound(from), this.lowerBound(to)).sort();
    const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
    if (sorted.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
    return { count: sorted.length, p50: rank(50), p99: rank(99), max: sorted[sorted.length - 1]! };
  }

  /** Consecutive whole windows of `widthMs` from `from` up to `to`, each summarised. */
  windows(from: number, to: number, widthMs: number): Array<LatencySummary & { start: number }> {
    const out: Array<LatencySummary & { start: number }> = [];
    for (let start = from; start + widthMs <= to; start += widthMs) out.push({ start, ...this.summary(start, start + widthMs) });
    return out;
  }
}

/** A load running in its worker thread. */
export class RunningWriteLoad {
  private constructor(
    private readonly worker: Worker,
    /** Epoch ms at which the first requests were sent. */
    readonly startedAt: number,
  ) {}

  /**
   * Opens `connections` connections to 127.0.0.1:`port` and starts sending; resolves
   * once every connection sent its first request. `seed` makes the key sequence repeatable.
   */
  static async start(port: number, load: WriteLoad, connections = 20, seed = 1): Promise<RunningWriteLoad> {
    if (!load.command.some((arg) => arg.includes(RAND_INT))) throw new Error(`the load's command has no ${RAND_INT}`);
    const worker = new Worker(import.meta.path, { workerData: { latencyTimeline: { port, load, connections, seed } satisfies WorkerInput } });
    const startedAt = await new Promise<number>((resolve, reject) => {
      worker.once("error", reject);
      worker.once("message", (message: WorkerMessage) => {
        if (message.kind === "started") resolve(message.at);
        else reject(new Error(message.kind === "failed" ? message.error : "unexpected message from the load worker"));
      });
    });
    return new RunningWriteLoad(worker, startedAt);
  }

  /** Stops sending, waits for the outstanding replies and returns the timeline. */
  async stop(): Promise<LatencyTimeline> {
    const result = await new Promise<WorkerMessage>((resolve, reject) => {
      this.worker.once("error", reject);
      this.worker.once("message", resolve);
      this.worker.postMessage("stop");
    });
    await this.worker.terminate();
    if (result.kind !== "stopped") throw new Error(result.kind === "failed" ? result.error : "unexpected message from the load worker");
    return new LatencyTimeline(result.completedAt, result.latencyMs, result.errors);
  }
}

interface WorkerInput {
  port: number;
  load: WriteLoad;
  connections: number;
  seed: number;
}

type WorkerMessage =
  | { kind: "started"; at: number }
  | { kind: "stopped"; completedAt: Float64Array; latencyMs: Float32Array; errors: number }
  | { kind: "failed"; error: string };

/** The worker thread: the connections, and the two growing arrays of the timeline. */
async function runLoadWorker(input: WorkerInput): Promise<void> {
  const port = parentPort!;
  const origin = performance.timeOrigin;
  const random = seededRandom(input.seed);
  let completedAt = new Float64Array(1 << 20);
  let latencyMs = new Float32Array(1 << 20);
  let count = 0;
  let errors = 0;
  let running = true;
  let outstanding = 0;
  let failure: string | null = null;

  // The request's bytes once, with a marker where the random digits go; each request
  // overwrites the digits in place (the socket copies what it writes).
  const marker = "\u0001".repeat(RAND_DIGITS);
  const template = Buffer.from(encodeCommand(input.load.command.map((arg) => arg.replace(RAND_INT, marker))));
  const digitsAt = template.indexOf(marker, 0, "latin1");

  const record = (completed: number, latency: number, isError: boolean) => {
    if (count === completedAt.length) {
      const biggerTimes = new Float64Array(count * 2);
      biggerTimes.set(completedAt);
      completedAt = biggerTimes;
      const biggerLatencies = new Float32Array(count * 2);
      biggerLatencies.set(latencyMs);
      latencyMs = biggerLatencies;
    }
    completedAt[count] = origin + completed;
    latencyMs[count] = latency;
    count++;
    if (isError) errors++;
  };

  let finished!: () => void;
  const allIdle = new Promise<void>((resolve) => (finished = resolve));

  interface Connection {
    socket: import("bun").Socket<undefined>;
    request: Buffer;
    sentAt: number;
    atLineStart: boolean;
    isError: boolean;
  }

  const send = (connection: Connection) => {
    let n = Math.floor(random() * input.load.range);
    for (let i = digitsAt + RAND_DIGITS - 1; i >= digitsAt; i--) {
      connection.request[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    connection.sentAt = performance.now();
    const written = connection.socket.write(connection.request);
    if (written !== connection.request.length) {
      failure = `short write (${written} of ${connection.request.length} bytes)`;
      running = false;
    }
  };

  const onData = (connection: Connection, chunk: Uint8Array) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (connection.atLineStart) {
        connection.isError = byte === 45; // "-"
        connection.atLineStart = false;
      }
      if (byte !== 10) continue;
      const now = performance.now();
      record(now, now - connection.sentAt, connection.isError);
      connection.atLineStart = true;
      if (running) send(connection);
      else if (--outstanding === 0) finished();
    }
  };

  const connections: Connection[] = [];
  try {
    for (let i = 0; i < input.connections; i++) {
      const connection = { request: Buffer.from(template), sentAt: 0, atLineStart: true, isError: false } as Connection;
      connection.socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: input.port,
        socket: {
          data: (_socket, chunk) => onData(connection, chunk),
          close: () => {
            if (running) {
              failure ??= "the server closed a connection";
              running = false;
            }
          },
        },
      });
      connections.push(connection);
    }
  } catch (error) {
    port.postMessage({ kind: "failed", error: String(error) } satisfies WorkerMessage);
    return;
  }

  port.on("message", () => {
    running = false;
    if (outstanding === 0) finished();
  });
  outstanding = connections.length;
  for (const connection of connections) send(connection);
  port.postMessage({ kind: "started", at: origin + performance.now() } satisfies WorkerMessage);

  // A server that stopped answering would hold the stop forever: give it 30 s.
  await Promise.race([allIdle, Bun.sleep(30_000)]);
  for (const connection of connections) connection.socket.end();
  if (failure !== null || outstanding > 0) {
    port.postMessage({ kind: "failed", error: failure ?? `${outstanding} replies missing 30 s after the stop` } satisfies WorkerMessage);
    return;
  }
  const times = completedAt.slice(0, count);
  const latencies = latencyMs.slice(0, count);
  port.postMessage({ kind: "stopped", completedAt: times, latencyMs: latencies, errors } satisfies WorkerMessage, [times.buffer, latencies.buffer]);
}

if (!isMainThread && (workerData as { latencyTimeline?: WorkerInput } | null)?.latencyTimeline) {
  await runLoadWorker((workerData as { latencyTimeline: WorkerInput }).latencyTimeline);
}

// Run on its own, the load is a check against redis-benchmark: the same server, the same
// -c 20 -P 1 SET on random keys, compared percentile for percentile.
//   bun scripts/latency-timeline.ts <port> [seconds (3)] [keys (1000000)]
//   redis-benchmark -p <port> -c 20 -t set -r <keys> -d 32 -n 200000
if (isMainThread && import.meta.main) {
  const [port, seconds = "3", keys = "1000000"] = process.argv.slice(2);
  if (port === undefined) throw new Error("usage: bun scripts/latency-timeline.ts <port> [seconds] [keys]");
  const load = await RunningWriteLoad.start(Number(port), { command: ["SET", "key:__rand_int__", "x".repeat(32)], range: Number(keys) });
  await Bun.sleep(Number(seconds) * 1000);
  const timeline = await load.stop();
  const all = timeline.summary(-Infinity, Infinity);
  const elapsed = (timeline.completedAt[timeline.count - 1]! - load.startedAt) / 1000;
  console.log(`SET -c 20: ${all.count} requests, ${(all.count / elapsed).toFixed(0)}/s, p50 ${all.p50.toFixed(3)} ms, p99 ${all.p99.toFixed(3)} ms, max ${all.max.toFixed(3)} ms, ${timeline.errors} errors`);
}
