// A script that runs too long must not leave the server deaf (Redis's scriptInterrupt
// and processEventsWhileBlocked).
//
// Scripts run on the server's one JavaScript thread, synchronously, inside the command
// that started them; the event loop cannot run until they return. Redis has the same
// shape and solves it from the VM's count hook: every 100,000 instructions it checks the
// time, and once the script has run past busy-reply-threshold it processes network
// events from inside the hook, answering -BUSY to every command but the few that may run
// then (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, the transaction commands).
//
// Bun's event loop cannot be entered from inside a JavaScript call, but a Bun socket
// exposes its file descriptor, and the descriptor is non-blocking. So the hook reads
// each connected client's socket itself (readSync, which fails with EAGAIN when nothing
// waits), feeds the bytes to the client's parser as the data handler would, runs the
// commands through processCommand (which refuses them with -BUSY), and writes the
// replies at once. The caller of the script is left alone, as Redis protects it.
//
// New connections are accepted the same way: the hook calls accept4 on the listening
// sockets' descriptors (through bun:ffi, as Bun has no synchronous accept), serves the
// new client through its descriptor while the script runs, and hands the descriptor to
// Bun (Bun.connect({fd})) once the script has ended, keeping the client's state.
//
// Timers (serverCron) do not run during the script, as in Redis, where whileBlockedCron
// does only a little of serverCron's work.

import { closeSync, readSync, writeSync } from "node:fs";
import { dlopen, FFIType, ptr } from "bun:ffi";
import type { Server } from "../server.ts";
import type { ClientSocket } from "../net/client.ts";
import type { ScriptRunner } from "./script.ts";
import { logger } from "../log.ts";

const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/** libc's accept4 and getsockname, loaded on first use (a busy script is rare). */
let libc: { accept4: (fd: number, address: number, length: number, flags: number) => number; getsockname: (fd: number, address: number, length: number) => number } | null = null;

function socketCalls(): NonNullable<typeof libc> {
  if (libc === null) {
    const library = dlopen("libc.so.6", {
      accept4: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    });
    libc = library.symbols as unknown as NonNullable<typeof libc>;
  }
  return libc;
}

const addressBuffer = new Uint8Array(128);
const addressLength = new Uint32Array(1);

/** "host:port" of the sockaddr in addressBuffer, as CLIENT LIST shows it; null for a Unix socket. */
function formatSocketAddress(): string | null {
  const view = new DataView(addressBuffer.buffer);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === AF_INET) return `${addressBuffer.subarray(4, 8).join(".")}:${port}`;
  if (family === AF_INET6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false).toString(16));
    const text = groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
    const mapped = /^::ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
    if (mapped) {
      const high = parseInt(mapped[1]!, 16);
      const low = parseInt(mapped[2]!, 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}:${port}`;
    }
    return `${text}:${port}`;
  }
  if (family === AF_UNIX) return null;
  return "?:0";
}

/**
 * The socket of a client accepted during a busy script: writes go straight to the
 * descriptor (what the kernel takes; the rest waits in the client's pending output
 * until Bun has the socket), reading is done by processEventsWhileBlocked.
 */
class DescriptorSocket {
  constructor(readonly fd: number) {}
  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    try {
      return writeSync(this.fd, bytes, offset, length);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EAGAIN" ? 0 : -1;
    }
  }
  end(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
  pause(): void {}
  resume(): void {}
}

/** The script ended: Bun takes over the connections accepted meanwhile. */
export function adoptConnectionsAcceptedWhileBusy(server: Server, runner: ScriptRunner): void {
  for (const { client, fd } of runner.acceptedWhileBusy.splice(0)) {
    if (client.closed) continue;
    server.adoptConnection(client, fd);
  }
}

/** Accepts every connection waiting on the listening sockets. */
function acceptWhileBusy(server: Server, runner: ScriptRunner): void {
  const calls = socketCalls();
  for (const listenFd of server.listenerDescriptors()) {
    for (;;) {
      addressLength[0] = addressBuffer.length;
      const fd = calls.accept4(listenFd, ptr(addressBuffer), ptr(addressLength), SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      const remote = formatSocketAddress();
      addressLength[0] = addressBuffer.length;
      calls.getsockname(fd, ptr(addressBuffer), ptr(addressLength));
      const local = formatSocketAddress();
      const isUnix = remote === null;
      const unixPath = `${server.config.getString("unixsocket")}:0`;
      const client = server.addPendingClient(remote ?? unixPath, local ?? unixPath, isUnix);
      if (typeof client === "string") {
        try {
          writeSync(fd, client);
        } catch {
          // The refusal is best effort, as Redis's.
        }
        closeSync(fd);
        continue;
      }
      client.socket = new DescriptorSocket(fd) as unknown as ClientSocket;
      runner.acceptedWhileBusy.push({ client, fd });
    }
  }
}

const readBuffer = Buffer.alloc(64 * 1024);

/**
 * The count hook's work: false while the script may go on; once it is past the
 * threshold, serves the other clients and answers whether SCRIPT KILL asked it to stop.
 */
export function whileScriptBusy(server: Server, runner: ScriptRunner): boolean {
  const run = runner.current;
  if (run === null) return false;
  if (!runner.timedOut) {
    const elapsed = performance.now() - run.startTime;
    if (elapsed < server.config.getNumber("busy-reply-threshold")) return false;
    logger.warning(
      `Slow script detected: still in execution after ${Math.floor(elapsed)} milliseconds. You can try killing the script using the ${run.isEval ? "SCRIPT KILL" : "FUNCTION KILL"} command. Script name is: ${run.functionName}.`,
    );
    runner.timedOut = true;
  }
  acceptWhileBusy(server, runner);
  processEventsWhileBlocked(server, run.caller);
  return run.killed;
}

/** Reads what every client but `protectedClient` sent, runs it, and writes the replies. */
function processEventsWhileBlocked(server: Server, protectedClient: unknown): void {
  for (const client of server.clients.values()) {
    if (client === protectedClient || client.closed || client.socket === null) continue;
    const fd = (client.socket as unknown as { fd?: number }).fd;
    if (typeof fd !== "number" || fd < 0) continue;
    for (;;) {
      let count: number;
      try {
        count = readSync(fd, readBuffer, 0, readBuffer.length, null);
      } catch {
        break; // EAGAIN: nothing more to read now
      }
      // 0 is the peer's end of stream: left for the event loop to see once the script ends.
      if (count <= 0) break;
      server.onData(client, readBuffer.slice(0, count));
      client.flush();
      if (count < readBuffer.length) break;
    }
  }
}
