// The real redis-server 7.0.15 as an oracle for the pure algorithm tests:
// started on a free loopback port with no persistence, fed pipelined commands
// over a raw RESP2 socket. Bulk replies come back as latin1 binary strings
// (one char per byte) and integers as bigint, so nothing is lost on the way.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket, Subprocess } from "bun";
import { freePort } from "../../helpers/server.ts";
import { DEADLINE_MS } from "../../helpers/wait.ts";

export type OracleReply = string | bigint | null | OracleError | OracleReply[];

export class OracleError {
  constructor(readonly message: string) {}
}

export const redisServerPath = Bun.which("redis-server");

/** Text as bytes, one byte per char (the inverse of the bulk reply form). */
export function latin1(text: string): Uint8Array {
  return Buffer.from(text, "latin1");
}

export function asLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

function encode(commands: (string | Uint8Array)[][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const args of commands) {
    parts.push(Buffer.from(`*${args.length}\r\n`));
    for (const arg of args) {
      const bytes = typeof arg === "string" ? latin1(arg) : arg;
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
    }
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `position`; undefined when more bytes are needed. */
function parseReply(buffer: Buffer, position: number): [OracleReply, number] | undefined {
  const lineEnd = buffer.indexOf("\r\n", position);
  if (lineEnd < 0) return undefined;
  const kind = buffer[position];
  const line = buffer.toString("latin1", position + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case 0x2b: // +
      return [line, next];
    case 0x2d: // -
      return [new OracleError(line), next];
    case 0x3a: // :
      return [BigInt(line), next];
    case 0x24: {
      // $
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buffer.length < next + length + 2) return undefined;
      return [buffer.toString("latin1", next, next + length), next + length + 2];
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: OracleReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        if (item === undefined) return undefined;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected RESP type byte ${kind}`);
  }
}

export class RedisOracle {
  private received: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(
    private readonly process: Subprocess,
    private readonly socket: Socket<undefined>,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisOracle> {
    if (redisServerPath === null) throw new Error("redis-server is not installed");
    const dir = mkdtempSync(join(tmpdir(), "bunker-oracle-"));
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = freePort();
      const process = Bun.spawn(
        [redisServerPath, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        { stdout: "ignore", stderr: "ignore" },
      );
      const deadline = Date.now() + DEADLINE_MS;
      while (Date.now() < deadline && process.exitCode === null) {
        try {
          let oracle: RedisOracle | null = null;
          const socket = await Bun.connect({
            hostname: "127.0.0.1",
            port,
            socket: {
              data(_socket, chunk) {
                oracle?.onData(chunk);
              },
            },
          });
          oracle = new RedisOracle(process, socket, dir);
          const [pong] = await oracle.pipeline([["PING"]]);
          if (pong === "PONG") return oracle;
        } catch {
          await Bun.sleep(20);
        }
      }
      process.kill();
      await process.exited;
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error("could not start redis-server");
  }

  private onData(chunk: Uint8Array): void {
    this.received = Buffer.concat([this.received, chunk]);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Sends all commands at once and returns their replies in order. */
  async pipeline(commands: (string | Uint8Array)[][]): Promise<OracleReply[]> {
    const bytes = encode(commands);
    let written = 0;
    while (written < bytes.length) {
      const n = this.socket.write(bytes.subarray(written));
      if (n < 0) throw new Error("oracle socket closed");
      written += n;
      if (written < bytes.length) await Bun.sleep(1);
    }
    const replies: OracleReply[] = [];
    let position = 0;
    while (replies.length < commands.length) {
      const parsed = parseReply(this.received, position);
      if (parsed === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      replies.push(parsed[0]);
      position = parsed[1];
    }
    this.received = this.received.subarray(position);
    return replies;
  }

  async stop(): Promise<void> {
    this.socket.end();
    this.process.kill();
    await this.process.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
