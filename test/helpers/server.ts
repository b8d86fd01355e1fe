// Test helpers: start Bunker (or the real redis-server) as a child process on a free
// port in a temp directory, and talk to it with raw RESP over a socket.

import { mkdtempSync, rmSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { DEADLINE_MS, waitFor } from "./wait.ts";
import { withAllocatorSettings } from "../../src/allocator.ts";

const ROOT = resolve(import.meta.dir, "../..");
export const MAIN = join(ROOT, "src/main.ts");

/**
 * The ports tests listen on: below the kernel's ephemeral range where there is room, so
 * that the outgoing connections of the tests themselves (and of anything else running on
 * the machine) cannot take a port between the probe and the server's bind.
 */
const PORT_RANGE = ((): { low: number; high: number } => {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: assume the IANA/Linux default start of the ephemeral range.
  }
  return ephemeralLow > 12000 ? { low: 10000, high: ephemeralLow - 1 } : { low: 20000, high: 60000 };
})();

/**
 * Under `bun test --parallel` each worker process probes its own slice of the range: two
 * workers could otherwise both probe the same free port before either server binds it,
 * and one test would then talk to the other's server.
 */
const WORKER_SLICES = 32;
const PORT_SLICE = ((): { low: number; high: number } => {
  const worker = Number(process.env.BUN_TEST_WORKER_ID ?? process.env.JEST_WORKER_ID);
  if (!Number.isInteger(worker) || worker < 0) return PORT_RANGE;
  const width = Math.floor((PORT_RANGE.high - PORT_RANGE.low + 1) / WORKER_SLICES);
  const low = PORT_RANGE.low + (worker % WORKER_SLICES) * width;
  return { low, high: low + width - 1 };
})();

let nextPort = PORT_SLICE.low + Math.floor(Math.random() * (PORT_SLICE.high - PORT_SLICE.low));

/** A port nobody listens on right now (probed by binding it). */
export function freePort(): number {
  for (;;) {
    const port = nextPort++;
    if (nextPort > PORT_SLICE.high) nextPort = PORT_SLICE.low;
    try {
      const probe = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      probe.stop(true);
      return port;
    } catch {
      // taken: try the next one
    }
  }
}

export interface RunningServer {
  port: number;
  dir: string;
  proc: Subprocess;
  /** Everything the server printed so far (stdout + stderr). */
  output(): string;
  /** Everything the server printed, once it has exited and its output is closed. */
  finalOutput(): Promise<string>;
  /** Waits until the server has printed `expected` (its output is read asynchronously). */
  waitForOutput(expected: string | RegExp): Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number>;
}

export interface StartOptions {
  args?: string[];
  dir?: string;
  /** Wait until the server accepts connections (default true). */
  waitReady?: boolean;
  /**
   * Wait, too, until it logged "Ready to accept connections". Both servers listen before
   * they load their data, and Redis before it sets its process title: a test that
   * changes the files under a server, or reads what start-up does, waits for the line.
   * Not for a server started with a logfile or a loglevel above notice: it never prints it.
   */
  waitLoaded?: boolean;
  env?: Record<string, string>;
}

/** Waits until `port` accepts a connection; gives up at once if `proc` exits. */
async function waitForPort(port: number, proc: Subprocess): Promise<void> {
  await waitFor(
    async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited early (${proc.exitCode ?? proc.signalCode})`);
      try {
        const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
        socket.end();
        return true;
      } catch {
        return false;
      }
    },
    { what: `the server to listen on port ${port}` },
  );
}

/** What both servers log once they have loaded their data and serve. */
const READY_LINE = "Ready to accept connections";

/** Waits until the server logged that it is ready (its data loaded); gives up at once if `proc` exits. */
async function waitForReadyLine(proc: Subprocess, output: () => string): Promise<void> {
  await waitFor(
    () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited early (${proc.exitCode ?? proc.signalCode})`);
      return output().includes(READY_LINE);
    },
    { what: "the server to log that it is ready" },
  );
}

/**
 * Waits until a server started with `waitReady: false` logged that it is ready or exited:
 * null once it is ready, else its exit code (for tests of start-ups that may be refused).
 */
export async function loadedOrExitCode(server: RunningServer, what = "the server to load or exit"): Promise<number | null> {
  const state = await waitFor(
    () => (server.proc.exitCode !== null || server.proc.signalCode !== null ? "exited" : server.output().includes(READY_LINE) ? "ready" : null),
    { what },
  );
  return state === "ready" ? null : await server.exited;
}

/** Collects a process's stdout and stderr: the text so far, and a promise of the end. */
function collect(proc: Subprocess): { text: () => string; closed: Promise<unknown> } {
  let text = "";
  const readers: Promise<void>[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream instanceof ReadableStream) {
      readers.push(
        (async () => {
          const decoder = new TextDecoder();
          for await (const chunk of stream) text += decoder.decode(chunk as Uint8Array);
        })(),
      );
    }
  }
  return { text: () => text, closed: Promise.all(readers) };
}

async function start(command: string[], port: number, dir: string, options: StartOptions, ownDir: boolean): Promise<RunningServer> {
  const proc = Bun.spawn(command, { cwd: dir, stdout: "pipe", stderr: "pipe", env: withAllocatorSettings({ ...process.env, ...(options.env ?? {}) }) });
  const { text: output, closed } = collect(proc);
  const exited = proc.exited;
  if (options.waitReady !== false || options.waitLoaded === true) {
    try {
      await waitForPort(port, proc);
      if (options.waitLoaded === true) await waitForReadyLine(proc, output);
    } catch (error) {
      proc.kill("SIGKILL");
      await exited;
      throw new Error(`${(error as Error).message}\n${output()}`);
    }
  }
  return {
    port,
    dir,
    proc,
    output,
    async finalOutput() {
      await exited;
      await closed;
      return output();
    },
    async waitForOutput(expected) {
      const printed = () => (typeof expected === "string" ? output().includes(expected) : expected.test(output()));
      try {
        await waitFor(printed, { what: `${expected} in the server's output` });
      } catch (error) {
        throw new Error(`${(error as Error).message}; it printed:\n${output()}`);
      }
    },
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGKILL");
        await exited;
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `command`, a server that listens on `port`, in `dir` (which stays the caller's),
 * and waits until it accepts connections: for servers started some other way than
 * startBunker's (another command line, a wrapper script).
 */
export function startProcess(command: string[], port: number, dir: string, options: StartOptions = {}): Promise<RunningServer> {
  return start(command, port, dir, options, false);
}

/** Starts Bunker with `--port <free> --save ""` plus `args` (later args win, as in Redis). */
export async function startBunker(options: StartOptions = {}): Promise<RunningServer> {
  const port = freePort();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "bunker-test-"));
  const args = ["--port", String(port), "--save", "", "--bind", "127.0.0.1", ...(options.args ?? [])];
  return start([process.execPath, MAIN, ...args], port, dir, options, ownDir);
}

/** The real redis-server: the one on PATH, else the usual install locations. */
export const REDIS_SERVER = Bun.which("redis-server") ?? ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));

/** Starts the real redis-server 7.0 the same way (tests skip when it is not installed). */
export async function startRedis(options: StartOptions = {}): Promise<RunningServer> {
  if (REDIS_SERVER === undefined) throw new Error("redis-server is not installed");
  const port = freePort();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "redis-test-"));
  const args = ["--port", String(port), "--save", "", "--bind", "127.0.0.1", "--dir", dir, ...(options.args ?? [])];
  return start([REDIS_SERVER, ...args], port, dir, options, ownDir);
}

// ---- raw RESP client --------------------------------------------------------------

export type Reply = string | number | bigint | null | Reply[] | ReplyError | Map<Reply, Reply> | boolean;

export class ReplyError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

/** Encodes a command as a RESP multibulk. */
export function encodeCommand(args: Array<string | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A minimal RESP2/RESP3 client that keeps raw bytes, for exact comparisons. */
export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(private socket: import("bun").Socket<undefined>) {}

  static async connect(port: number): Promise<RawClient> {
    let client: RawClient | null = null;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, data) {
          client!.buffer = Buffer.concat([client!.buffer, data]);
          const waiters = client!.waiters;
          client!.waiters = [];
          for (const w of waiters) w();
        },
        drain() {
          client!.writeUnsent();
        },
        close() {
          client!.closed = true;
          const waiters = client!.waiters;
          client!.waiters = [];
          for (const w of waiters) w();
        },
      },
    });
    client = new RawClient(socket);
    return client;
  }

  /** Stops reading from the socket (the kernel buffers fill and the server must hold replies). */
  pauseReading(): void {
    (this.socket as unknown as { pause(): void }).pause();
  }

  /** What the socket did not take yet (a large request): written, in order, as it drains. */
  private unsent: Uint8Array[] = [];

  write(bytes: Uint8Array | string): void {
    const data = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    this.unsent.push(data);
    if (this.unsent.length === 1) this.writeUnsent();
  }

  private writeUnsent(): void {
    while (this.unsent.length > 0) {
      const data = this.unsent[0]!;
      const written = this.socket.write(data);
      if (written < 0) return;
      if (written < data.length) {
        this.unsent[0] = data.subarray(written);
        return;
      }
      this.unsent.shift();
    }
  }

  /** Sends a command and returns its parsed reply. */
  async call(...args: Array<string | Uint8Array>): Promise<Reply> {
    this.write(encodeCommand(args));
    return this.readReply();
  }

  /** Sends a command and returns the raw bytes of its reply (latin1 string). */
  async callRaw(...args: Array<string | Uint8Array>): Promise<string> {
    this.write(encodeCommand(args));
    return this.readRawReply();
  }

  private async waitData(): Promise<void> {
    if (this.closed) throw new Error("connection closed");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timeout waiting for reply")), DEADLINE_MS);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Waits for the next complete reply and returns its raw bytes. */
  async readRawReply(): Promise<string> {
    for (;;) {
      const end = replyEnd(this.buffer, 0);
      if (end > 0) {
        const raw = this.buffer.subarray(0, end).toString("latin1");
        this.buffer = this.buffer.subarray(end);
        return raw;
      }
      if (this.closed) throw new Error("connection closed");
      await this.waitData();
    }
  }

  async readReply(): Promise<Reply> {
    const raw = await this.readRawReply();
    return parseReply(Buffer.from(raw, "latin1"), 0)[0];
  }

  /**
   * Resolves when the server closes the connection, or when `timeoutMs` passed (check
   * `closed`), with what arrived before.
   */
  async waitClosed(timeoutMs = DEADLINE_MS): Promise<string> {
    await waitFor(() => this.closed, { timeoutMs, what: "the server to close the connection" }).catch(() => {});
    return this.pending();
  }

  /**
   * The replies the server sent before now that were not read yet (pub/sub messages,
   * keyspace events): sends PING and collects every reply ahead of its answer. A server
   * handles one connection's input in order and queues a notification while it runs the
   * command that caused it, so everything caused by commands already answered is there.
   */
  async drainBeforePing(): Promise<string> {
    this.write(encodeCommand(["PING"]));
    let before = "";
    for (;;) {
      const reply = await this.readRawReply();
      // RESP2 in subscribed mode answers PING with a pong message.
      if (reply === "+PONG\r\n" || reply === "*2\r\n$4\r\npong\r\n$0\r\n\r\n") return before;
      before += reply;
    }
  }

  pending(): string {
    return this.buffer.toString("latin1");
  }

  close(): void {
    this.socket.end();
  }
}

/** Index just past one complete reply starting at `start`, or -1 if incomplete. */
function replyEnd(buf: Buffer, start: number): number {
  if (start >= buf.length) return -1;
  const lineEnd = buf.indexOf("\r\n", start);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buf[start]!);
  const header = buf.subarray(start + 1, lineEnd).toString("latin1");
  const next = lineEnd + 2;
  switch (type) {
    case "+":
    case "-":
    case ":":
    case ",":
    case "#":
    case "_":
    case "(":
      return next;
    case "$":
    case "=":
    case "!": {
      const n = Number(header);
      if (n < 0) return next;
      return buf.length >= next + n + 2 ? next + n + 2 : -1;
    }
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      let n = Number(header);
      if (n < 0) return next;
      if (type === "%" || type === "|") n *= 2;
      let pos = next;
      for (let i = 0; i < n; i++) {
        pos = replyEnd(buf, pos);
        if (pos < 0) return -1;
      }
      return pos;
    }
    default:
      return next;
  }
}

/** Parses one reply: bulk strings come back as latin1 strings, arrays as arrays, maps as Map. */
export function parseReply(buf: Buffer, start: number): [Reply, number] {
  const lineEnd = buf.indexOf("\r\n", start);
  const type = String.fromCharCode(buf[start]!);
  const header = buf.subarray(start + 1, lineEnd).toString("latin1");
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return [header, next];
    case "-":
      return [new ReplyError(header), next];
    case ":": {
      const n = Number(header);
      return [Number.isSafeInteger(n) ? n : BigInt(header), next];
    }
    case ",":
      return [header, next];
    case "#":
      return [header === "t", next];
    case "_":
      return [null, next];
    case "$":
    case "=": {
      const n = Number(header);
      if (n < 0) return [null, next];
      return [buf.subarray(next, next + n).toString("latin1"), next + n + 2];
    }
    case "*":
    case "~":
    case ">": {
      const n = Number(header);
      if (n < 0) return [null, next];
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const [item, after] = parseReply(buf, pos);
        items.push(item);
        pos = after;
      }
      return [items, pos];
    }
    case "%": {
      const n = Number(header);
      const map = new Map<Reply, Reply>();
      let pos = next;
      for (let i = 0; i < n; i++) {
        const [k, a] = parseReply(buf, pos);
        const [v, b] = parseReply(buf, a);
        map.set(k, v);
        pos = b;
      }
      return [map, pos];
    }
    default:
      throw new Error(`unknown reply type ${type}`);
  }
}

/** Runs redis-cli with arguments against a port; returns stdout. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const proc = Bun.spawn(["redis-cli", "-p", String(port), ...args], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}
