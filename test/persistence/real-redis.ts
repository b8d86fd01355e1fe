// A real redis-server for compatibility tests: started on a free loopback port
// with a scratch --dir and no save points, spoken to over a raw RESP2 socket so
// replies stay bytes (DUMP payloads are binary).

import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { freePort } from "../helpers/server.ts";
import { DEADLINE_MS } from "../helpers/wait.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export type Resp = string | number | Uint8Array | null | RespError | Resp[];

export class RespError {
  constructor(readonly message: string) {}
}

export const redisServerPath = Bun.which("redis-server");
export const redisCheckRdbPath = Bun.which("redis-check-rdb");

/** Incremental RESP2 parser over a growing byte buffer. */
class RespReader {
  private buffer = new Uint8Array(0);
  private position = 0;

  push(chunk: Uint8Array): void {
    const rest = this.buffer.subarray(this.position);
    const merged = new Uint8Array(rest.length + chunk.length);
    merged.set(rest);
    merged.set(chunk, rest.length);
    this.buffer = merged;
    this.position = 0;
  }

  /** One complete reply, or undefined if more bytes are needed. */
  next(): Resp | undefined {
    const start = this.position;
    const value = this.parse();
    if (value === undefined) this.position = start;
    return value;
  }

  private line(): string | undefined {
    for (let i = this.position; i + 1 < this.buffer.length; i++) {
      if (this.buffer[i] === 13 && this.buffer[i + 1] === 10) {
        const text = Buffer.from(this.buffer.subarray(this.position, i)).toString("latin1");
        this.position = i + 2;
        return text;
      }
    }
    return undefined;
  }

  private parse(): Resp | undefined {
    if (this.position >= this.buffer.length) return undefined;
    const kind = String.fromCharCode(this.buffer[this.position]!);
    this.position++;
    const header = this.line();
    if (header === undefined) return undefined;
    switch (kind) {
      case "+":
        return header;
      case "-":
        return new RespError(header);
      case ":":
        return Number(header);
      case "$": {
        const length = Number(header);
        if (length < 0) return null;
        if (this.position + length + 2 > this.buffer.length) return undefined;
        const bytes = this.buffer.slice(this.position, this.position + length);
        this.position += length + 2;
        return bytes;
      }
      case "*": {
        const count = Number(header);
        if (count < 0) return null;
        const items: Resp[] = [];
        for (let i = 0; i < count; i++) {
          const item = this.parse();
          if (item === undefined) return undefined;
          items.push(item);
        }
        return items;
      }
      default:
        throw new Error(`unexpected RESP type byte ${kind}`);
    }
  }
}

function encodeCommand(args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A RESP2 connection with one outstanding request at a time. */
export class RespConnection {
  private readonly reader = new RespReader();
  private waiting: ((value: Resp) => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: Awaited<ReturnType<typeof Bun.connect>>) {}

  static async open(port: number): Promise<RespConnection> {
    let connection: RespConnection | null = null;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, chunk) {
          connection!.onData(chunk);
        },
        close() {
          if (connection !== null) connection.closed = true;
        },
      },
    });
    connection = new RespConnection(socket);
    return connection;
  }

  private onData(chunk: Uint8Array): void {
    this.reader.push(chunk);
    if (this.waiting === null) return;
    const reply = this.reader.next();
    if (reply !== undefined) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(reply);
    }
  }

  async command(...args: (string | Uint8Array)[]): Promise<Resp> {
    if (this.closed) throw new Error("connection closed");
    const reply = new Promise<Resp>((resolve, reject) => {
      this.waiting = resolve;
      setTimeout(() => reject(new Error(`timeout waiting for reply to ${String(args[0])}`)), DEADLINE_MS);
    });
    const bytes = encodeCommand(args);
    let written = 0;
    while (written < bytes.length) {
      const n = this.socket.write(bytes.subarray(written));
      if (n < 0) throw new Error("socket closed");
      written += n;
      if (written < bytes.length) await Bun.sleep(1);
    }
    return reply;
  }

  close(): void {
    this.socket.end();
  }
}

/** A redis-server process with a scratch directory. */
export class RealRedis {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly process: Subprocess,
    readonly connection: RespConnection,
  ) {}

  /** Starts redis-server; `dbfilename` names the dump it loads at startup (placed in `dir` by the caller). */
  static async start(options: { dir?: string; args?: string[] } = {}): Promise<RealRedis> {
    if (redisServerPath === null) throw new Error("redis-server not installed");
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "bunker-real-redis-"));
    for (let attempt = 0; attempt < 20; attempt++) {
      // A port nobody listens on (probed by binding), so a PONG can only come from this server.
      const port = freePort();
      const process = Bun.spawn(
        [
          redisServerPath,
          "--port", String(port),
          "--bind", "127.0.0.1",
          "--save", "",
          "--appendonly", "no",
          "--dir", dir,
          "--daemonize", "no",
          "--logfile", join(dir, "redis.log"),
          ...(options.args ?? []),
        ],
        { stdout: "ignore", stderr: "ignore" },
      );
      const deadline = Date.now() + DEADLINE_MS;
      while (Date.now() < deadline && process.exitCode === null) {
        try {
          const connection = await RespConnection.open(port);
          // The server may still be loading a dump: wait for a real PONG.
          for (;;) {
            const pong = await connection.command("PING");
            if (pong === "PONG") {
              // Make sure it is our server, not another one that took the port meanwhile.
              const reply = await connection.command("CONFIG", "GET", "dir");
              const value = Array.isArray(reply) ? reply[1] : undefined;
              const text = value instanceof Uint8Array ? Buffer.from(value).toString() : String(value);
              const ownDir = text === realpathSync(dir);
              if (ownDir && process.exitCode === null) return new RealRedis(port, dir, process, connection);
              break;
            }
            if (!(pong instanceof RespError) || !pong.message.startsWith("LOADING")) break;
            await Bun.sleep(20);
          }
          connection.close();
        } catch {
          await Bun.sleep(20);
        }
      }
      if (process.exitCode === null) process.kill();
      await process.exited;
      if (process.exitCode !== null && process.exitCode !== 0) {
        // Refused to start for a reason other than the port (e.g. a bad dump): report it.
        const log = await Bun.file(join(dir, "redis.log")).text().catch(() => "");
        if (!log.includes("Address already in use")) throw new Error(`redis-server exited ${process.exitCode}: ${log}`);
      }
    }
    throw new Error("could not start redis-server");
  }

  command(...args: (string | Uint8Array)[]): Promise<Resp> {
    return this.connection.command(...args);
  }

  async stop(removeDir = true): Promise<void> {
    this.connection.close();
    this.process.kill();
    await this.process.exited;
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function bytes(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

export function text(value: Resp): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("latin1");
  if (typeof value === "string") return value;
  throw new Error(`not a string reply: ${JSON.stringify(value)}`);
}
