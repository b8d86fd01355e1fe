// A client connection: its query buffer (the parser), its reply buffer, the bytes
// still waiting for the socket to drain, and the per-connection state commands use
// (selected database, MULTI queue, WATCHed keys, subscriptions, blocking).
//
// Output flow: commands append to `reply`; `flush()` moves those bytes to the socket.
// socket.write() takes only what the kernel accepts, so the rest waits in `pending`
// until `drain`. While bytes are pending, reading is paused, which pushes back on a
// client that writes faster than it reads instead of growing memory without bound.

import type { Socket } from "bun";
import { RequestParser } from "../protocol/parser.ts";
import { ReplyWriter } from "../protocol/reply.ts";
import type { Command } from "../commands/table.ts";
import type { Server } from "../server.ts";
import type { Database } from "../db/keyspace.ts";
import type { BlockedState } from "../blocking.ts";
import type { WatchedKey } from "../watch.ts";
import { jemallocSizeClass } from "../memory.ts";
import type { ReplicaLink } from "../replication/replication.ts";

export interface ClientSocketData {
  client: Client | null;
}

export type ClientSocket = Socket<ClientSocketData>;

export interface QueuedCommand {
  command: Command;
  argv: Uint8Array[];
}

/**
 * CLIENT_ID_AOF: the id of the client the AOF loader runs commands in (Redis's is
 * UINT64_MAX, which no connection ever gets); EXEC and the error log look for it.
 */
export const CLIENT_ID_AOF = Number.MAX_SAFE_INTEGER;

/** Reading pauses while more than this many reply bytes wait for the socket. */
const PAUSE_READ_PENDING_BYTES = 4 * 1024 * 1024;

/**
 * The reply buffer Redis gives each client (c->buf): PROTO_REPLY_CHUNK_BYTES when it
 * connects; serverCron then shrinks it, to PROTO_REPLY_MIN_BYTES at the least, when its
 * peak use stays under half of it, and doubles it back while it fills up. Output limits
 * count only what goes beyond it (Redis's reply list), and a client that must still
 * authenticate may not go beyond it at all, so its size is modelled here (rbs, rbp in
 * CLIENT LIST) although Bunker's ReplyWriter grows as it likes.
 */
export const REPLY_CHUNK_BYTES = 16 * 1024;
export const REPLY_MIN_BYTES = 1024;
/** How often the peak is reset (REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, ms; DEBUG REPLYBUFFER changes it). */
export const REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME = 5000;

export class Client {
  readonly parser = new RequestParser();
  readonly reply = new ReplyWriter();
  name: Uint8Array | null = null;
  dbIndex = 0;
  authenticated: boolean;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommandName = "NULL";
  /** Close once the pending output is written (QUIT, protocol errors). */
  closeAfterReply = false;
  closed = false;
  /** In the server's list of replies waiting for the before-reply stage. */
  replyQueued = false;

  // MULTI/EXEC
  inMulti = false;
  multiQueue: QueuedCommand[] = [];
  /** A queued command was rejected: EXEC answers EXECABORT. */
  multiAborted = false;
  /** A WATCHed key was touched: EXEC answers null. */
  dirtyCas = false;
  watchedKeys: WatchedKey[] = [];
  /**
   * CLIENT_DENY_BLOCKING: the client runs commands in a context that cannot wait (EXEC's
   * queue, a script): a blocking command answers as if it timed out at once.
   */
  denyBlocking = false;

  // Pub/Sub
  channels = new Set<string>();
  patterns = new Set<string>();
  shardChannels = new Set<string>();
  monitor = false;

  // Client-side caching (tracking.ts): TRACKING_* flags, 0 while tracking is off.
  trackingFlags = 0;
  /** The client id invalidations go to (CLIENT TRACKING ... REDIRECT), 0 for this connection. */
  trackingRedirection = 0;
  /** BCAST prefixes, null when not broadcasting. */
  trackingPrefixes: Set<string> | null = null;

  // CLIENT REPLY
  replyMode: "on" | "off" | "skip" = "on";
  noEvict = false;

  // Propagation of the running command (Redis's c->argv rewrites and CLIENT_PREVENT_PROP /
  // CLIENT_FORCE_* flags): call() resets them for each command and restores them after.
  /** What the effect stream gets instead of the command's argv (SET ... EX -> SET ... PXAT). */
  propagateArgv: Uint8Array[] | null = null;
  /** The command propagated its effects itself (alsoPropagate): its argv is not propagated. */
  preventPropagation = false;
  /** Propagated even though nothing changed (FLUSHALL and FLUSHDB on empty databases). */
  forcePropagation = false;

  /**
   * mustObeyClient: the client replays commands another server already accepted (the AOF
   * loader, a replication master), so limits meant for users do not apply (XADD's LIMIT).
   */
  mustObey = false;
  /** Set when this connection is a replica of this server (CLIENT_SLAVE): its state as a master sees it. */
  replica: ReplicaLink | null = null;
  /**
   * Output that accumulates but is not written yet: a replica waiting for its RDB keeps
   * the stream since the snapshot until the RDB has been sent. The output limits apply.
   */
  outputHeld = false;
  /**
   * A replica's bytes that go to its socket ahead of the reply buffer (+FULLRESYNC, its
   * RDB, keep-alive newlines: replication/master.ts), written first on every drain.
   */
  directOutput: { drain(): boolean } | null = null;
  /** c->woff: the replication offset right after this client's last propagated write (WAIT). */
  woff = 0;

  /** The command call() is running for this client (blocking commands record it). */
  currentCommand: Command | null = null;
  /** How long the last call() took, in µs (Redis's c->duration; a blocked command's latency starts from it). */
  durationMicros = 0;
  /** The arguments of the command running (or blocked), for CLIENT LIST argv-mem; null between commands. */
  currentArgv: Uint8Array[] | null = null;
  /** Blocked or suspended: set and cleared by the server's BlockingRegistry only. */
  blocked: BlockedState | null = null;

  private pending: Uint8Array[] = [];
  private pendingOffset = 0;
  pendingBytes = 0;
  private readPaused = false;
  /** Redis's buf_usable_size: the reply buffer's size (see REPLY_CHUNK_BYTES). */
  replyBufferSize = REPLY_CHUNK_BYTES;
  /** Redis's buf_peak: the most of the reply buffer used since the last reset. */
  replyBufferPeak = REPLY_CHUNK_BYTES;
  /**
   * Redis's buf_peak_last_reset_time. Redis 7.0 stamps a new client with server.unixtime
   * (seconds) and compares it with milliseconds, so the first cron run resets the peak;
   * the same is done here.
   */
  replyBufferPeakResetTime = Math.floor(Date.now() / 1000);
  /**
   * When the output was first seen over the soft limit (client-output-buffer-limit), in
   * unix seconds; 0 once a check finds it under (Redis's obuf_soft_limit_reached_time).
   */
  softLimitSince = 0;
  totalNetInput = 0;
  totalNetOutput = 0;
  commandsProcessed = 0;
  /** What this client's memory counted for last (the server's running clients total, evict.ts). */
  lastMemoryUsage = 0;

  constructor(
    readonly id: number,
    readonly server: Server,
    /** Replaced once, when a connection accepted during a busy script is handed to Bun (busy.ts). */
    public socket: ClientSocket | null,
    public address: string,
    readonly localAddress: string,
    readonly isUnixSocket = false,
  ) {
    this.authenticated = !server.authRequired();
  }

  /** The peer's IP without its port (connPeerToString's ip), IPv6 without brackets. */
  get peerIp(): string {
    return this.address.slice(0, this.address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  }

  get db(): Database {
    return this.server.dbs[this.dbIndex]!;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  /** RESP2 clients with subscriptions may only run (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET. */
  get inPubSubContext(): boolean {
    return this.reply.resp === 2 && (this.channels.size > 0 || this.patterns.size > 0 || this.shardChannels.size > 0);
  }

  /** Moves reply bytes to the socket; whatever the kernel does not take waits for drain(). */
  flush(): void {
    if (this.closed) return;
    const output = this.outputBytes;
    if (output > this.replyBufferPeak) this.replyBufferPeak = Math.min(output, this.replyBufferSize);
    // Over its output limits, a client is closed before any of this is written.
    if ((output > this.server.outputLimitCheckBytes || !this.authenticated) && this.server.closeClientOnOutputBufferLimitReached(this, true)) return;
    if (this.outputHeld) return;
    if (this.reply.length > 0) {
      const length = this.reply.length;
      this.totalNetOutput += length;
      // A replica's stream counts as replication traffic (total_net_repl_output_bytes).
      if (this.replica !== null) this.server.replication.netOutputBytes += length;
      else this.server.stats.netOutputBytes += length;
      this.server.stats.writesProcessed++;
      if (this.pendingBytes === 0 && this.socket !== null) {
        // (A replica's direct output is empty by now: its stream is released only then.)
        // Write straight from the reply buffer; copy only what the kernel did not take.
        const written = this.socket.write(this.reply.buffer, 0, length);
        if (written < 0) {
          this.close();
          return;
        }
        if (written < length) this.enqueue(this.reply.buffer.slice(written, length));
        this.reply.reset();
      } else this.enqueue(this.reply.take());
    }
    if (this.pendingBytes === 0 && this.closeAfterReply) this.close();
  }

  /**
   * clientsCronResizeOutputBuffer: shrinks the reply buffer to just above its peak (not
   * below REPLY_MIN_BYTES) when the peak stayed under half of it, or doubles it (up to
   * REPLY_CHUNK_BYTES) when it was full; then resets the peak every `peakResetTime` ms
   * (-1: never). Returns -1 for a shrink, 1 for an expansion, 0 otherwise.
   */
  resizeReplyBuffer(nowMs: number, peakResetTime: number): number {
    const size = this.replyBufferSize;
    let resized = 0;
    if (size / 2 >= REPLY_MIN_BYTES && this.replyBufferPeak < size / 2) {
      this.replyBufferSize = jemallocSizeClass(Math.max(REPLY_MIN_BYTES, this.replyBufferPeak + 1));
      resized = -1;
    } else if (size * 2 < REPLY_CHUNK_BYTES * 2 && this.replyBufferPeak === size) {
      this.replyBufferSize = Math.min(REPLY_CHUNK_BYTES, size * 2);
      resized = 1;
    }
    if (peakResetTime >= 0 && nowMs - this.replyBufferPeakResetTime >= peakResetTime) {
      this.replyBufferPeak = Math.min(this.outputBytes, size);
      this.replyBufferPeakResetTime = nowMs;
    }
    return resized;
  }

  /** Drops every reply not written yet (the client is closed for its output limits). */
  discardOutput(): void {
    this.reply.reset();
    this.pending = [];
    this.pendingOffset = 0;
    this.pendingBytes = 0;
  }

  private enqueue(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    // A replica is always read: its ACKs must arrive however far behind its output is.
    if (!this.readPaused && this.pendingBytes > PAUSE_READ_PENDING_BYTES && this.socket !== null && this.replica === null) {
      this.readPaused = true;
      this.socket.pause();
    }
  }

  /** The socket can take more: continue with the pending bytes. */
  drain(): void {
    if (this.socket === null) return;
    if (this.directOutput !== null && !this.directOutput.drain()) return;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const chunk = this.pendingOffset === 0 ? head : head.subarray(this.pendingOffset);
      const written = this.socket.write(chunk);
      if (written < 0) {
        this.close();
        return;
      }
      this.pendingBytes -= Math.max(written, 0);
      if (written < chunk.length) {
        this.pendingOffset += written;
        return;
      }
      this.pending.shift();
      this.pendingOffset = 0;
    }
    if (this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
      this.server.resumeClient(this);
    }
    if (this.closeAfterReply) this.close();
  }

  /** Reply bytes not yet accepted by the socket plus the unflushed buffer (CLIENT LIST omem). */
  get outputBytes(): number {
    return this.pendingBytes + this.reply.length;
  }

  get outputBlocks(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.onClientClosed(this);
    this.socket?.end();
  }
}
