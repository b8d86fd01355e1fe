// The part of Redis's replication.c both roles share: the replication ids and offset,
// the backlog, and the stream a server sends its replicas.
//
// A server's history is named by its replication id (`replid`) and measured in bytes
// (`master_repl_offset`): every byte of the stream a master sends its replicas counts.
// The backlog keeps the last `repl-backlog-size` bytes of that stream, so a replica
// that reconnects asking for a known id and an offset still held gets `+CONTINUE` and
// only what it missed (PSYNC). After a promotion the old id stays valid as `replid2`
// up to `second_repl_offset`, so the master's other replicas can continue (PSYNC2).
//
// A top-level master makes its stream from the write path: this is a feed of the effect
// stream (propagate.ts) that encodes each effect in RESP, after a SELECT when the
// database changes, as replicationFeedSlaves does. A replica does not: it forwards the
// bytes it gets from its master unchanged (feedReplicationBuffer), so that its own
// replicas and backlog see the same history with the same offsets.
//
//   call() -> propagatePendingCommands -> Replication.feed (top-level master only)
//     -> feedReplicationBuffer(bytes): backlog, master_repl_offset, each replica's output
//   master link (replica) -> the bytes applied -> feedReplicationBuffer (proxied as they came)

import type { Server } from "../server.ts";
import type { Client } from "../net/client.ts";
import { PROPAGATE_REPL, SHARED, type EffectFeed } from "../propagate.ts";
import { ReplyWriter } from "../protocol/reply.ts";
import { logger } from "../log.ts";
import { sdscatrepr } from "../util/repr.ts";

/** CONFIG_RUN_ID_SIZE: a replication id is 40 hex characters. */
export const REPLID_LENGTH = 40;
/** The id of no history (replid2 when cleared). */
export const NO_REPLID = "0".repeat(REPLID_LENGTH);
/** CONFIG_REPL_BACKLOG_MIN_SIZE */
export const BACKLOG_MIN_SIZE = 16 * 1024;

/** getRandomHexChars(CONFIG_RUN_ID_SIZE) */
export function randomReplid(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(REPLID_LENGTH / 2))).toString("hex");
}

/**
 * The state of a replica as its master sees it (SLAVE_STATE_*):
 * - "wait-bgsave-start": it asked for a full sync and waits for an RDB child to start
 *   for it; it is fed nothing meanwhile;
 * - "wait-bgsave-end": the RDB it will load is being made; the stream since that
 *   snapshot accumulates in its output, not sent yet;
 * - "send-bulk": the RDB file is being sent (disk sync);
 * - "online": it receives the stream.
 */
export type ReplicaState = "wait-bgsave-start" | "wait-bgsave-end" | "send-bulk" | "online";

/** replstateToString: a replica's state as INFO and the logs name it. */
export function replicaStateName(state: ReplicaState): string {
  return REPLICA_STATE_NAMES[state];
}

const REPLICA_STATE_NAMES: Record<ReplicaState, string> = {
  "wait-bgsave-start": "wait_bgsave",
  "wait-bgsave-end": "wait_bgsave",
  "send-bulk": "send_bulk",
  online: "online",
};

/** A replica's IP as INFO, ROLE and the logs show it: the one it announced, else its peer address. */
export function replicaIp(replica: Client): string {
  const announced = replica.replica?.announcedIp ?? "";
  return announced !== "" ? announced : replica.peerIp;
}

/** What a master knows of one replica connection (Redis keeps it in the client struct). */
export interface ReplicaLink {
  state: ReplicaState;
  /** REPLCONF listening-port / ip-address (slave_listening_port, slave_addr). */
  listeningPort: number;
  announcedIp: string;
  /** REPLCONF capa eof / psync2 (SLAVE_CAPA_*). */
  capaEof: boolean;
  capaPsync2: boolean;
  /** REPLCONF ACK: the offset it has processed and when it said so (ms). */
  ackOffset: number;
  ackTimeMs: number;
  /** The offset its full sync starts from (psync_initial_offset). */
  initialOffset: number;
  /** It came with SYNC, not PSYNC: no +FULLRESYNC line (CLIENT_PRE_PSYNC). */
  prePsync: boolean;
  /** REPLCONF rdb-only 1 (CLIENT_REPL_RDBONLY): it wants the RDB and no stream. */
  rdbOnly?: boolean;
}

/**
 * repl_backlog: the last `size` bytes of the stream in a ring. `offset` is the stream
 * offset of its first byte (repl_backlog_off, 1-based as Redis counts: the first byte
 * after master_repl_offset N is N+1).
 */
export class ReplicationBacklog {
  private buffer: Uint8Array;
  /** Where the next byte goes in `buffer`. */
  private index = 0;
  /** repl_backlog_histlen: bytes held. */
  histlen = 0;
  /** repl_backlog_off: the offset of the first byte held. */
  offset: number;

  constructor(
    size: number,
    /** master_repl_offset when the backlog is created: its first byte will be the next one. */
    masterReplOffset: number,
  ) {
    this.buffer = new Uint8Array(Math.max(size, BACKLOG_MIN_SIZE));
    this.offset = masterReplOffset + 1;
  }

  get size(): number {
    return this.buffer.length;
  }

  /** Adds stream bytes; the oldest fall out once the ring is full. */
  append(bytes: Uint8Array): void {
    const size = this.buffer.length;
    let data = bytes;
    if (data.length > size) {
      // Only the last `size` bytes can stay: the rest counts as if written and dropped.
      this.offset += this.histlen + (data.length - size);
      this.histlen = 0;
      data = data.subarray(data.length - size);
    }
    const first = Math.min(data.length, size - this.index);
    this.buffer.set(data.subarray(0, first), this.index);
    if (first < data.length) this.buffer.set(data.subarray(first), 0);
    this.index = (this.index + data.length) % size;
    this.histlen += data.length;
    if (this.histlen > size) {
      this.offset += this.histlen - size;
      this.histlen = size;
    }
  }

  /** Whether the stream from `offset` on is held (masterTryPartialResynchronization's range check). */
  holds(offset: number): boolean {
    return offset >= this.offset && offset <= this.offset + this.histlen;
  }

  /** addReplyReplicationBacklog: the bytes from `offset` to the end (holds(offset) must be true). */
  since(offset: number): Uint8Array {
    const skip = offset - this.offset;
    const length = this.histlen - skip;
    const out = new Uint8Array(length);
    const size = this.buffer.length;
    const start = (this.index - this.histlen + skip + size * 2) % size;
    const first = Math.min(length, size - start);
    out.set(this.buffer.subarray(start, start + first), 0);
    if (first < length) out.set(this.buffer.subarray(0, length - first), first);
    return out;
  }

  /** resizeReplicationBacklog: keeps the most recent bytes that fit the new size. */
  resize(size: number): void {
    const newSize = Math.max(size, BACKLOG_MIN_SIZE);
    if (newSize === this.buffer.length) return;
    const kept = Math.min(this.histlen, newSize);
    const tail = this.since(this.offset + this.histlen - kept);
    this.buffer = new Uint8Array(newSize);
    this.buffer.set(tail, 0);
    this.index = kept % newSize;
    this.offset += this.histlen - kept;
    this.histlen = kept;
  }
}

/** The repl-* aux fields of an RDB (rdbSaveInfo): repl-stream-db, repl-id, repl-offset. */
export interface RdbReplicationInfo {
  streamDb: number;
  replId: string;
  offset: number;
}

export class Replication implements EffectFeed {
  /** Replicas take the effects meant for them (a script's redis.set_repl may exclude them). */
  readonly targets = PROPAGATE_REPL;
  /** server.replid / replid2 / master_repl_offset / second_replid_offset. */
  replid = randomReplid();
  replid2 = NO_REPLID;
  masterReplOffset = 0;
  secondReplidOffset = -1;
  /** server.repl_backlog: null until the first replica attaches (or this server syncs with a master). */
  backlog: ReplicationBacklog | null = null;
  /** server.slaves: replica connections, in the order they attached. */
  readonly replicas: Client[] = [];
  /** server.slaveseldb: the database the stream last selected, -1 to select again. */
  selectedDb = -1;
  /** server.repl_no_slaves_since (unix seconds): the backlog's TTL counts from here. */
  noReplicasSince = Math.floor(Date.now() / 1000);
  /**
   * Whether this server is a replica (server.masterhost != NULL): then its stream is
   * its master's, proxied, and its own effects (none: it is read-only to users) are not fed.
   */
  isReplica = false;
  /** INFO stats: total_net_repl_output_bytes (bytes sent to replicas). */
  netOutputBytes = 0;

  private readonly writer = new ReplyWriter();
  private feedAttached = false;

  constructor(private readonly server: Server) {}

  // ---- the stream --------------------------------------------------------------------

  /**
   * replicationFeedSlaves: one effect of the write path (a top-level master's), encoded
   * as the stream carries it. The effect's arguments may be views reused after this call.
   */
  feed(dbIndex: number, argv: readonly Uint8Array[]): void {
    if (this.isReplica || this.backlog === null) return;
    const writer = this.writer;
    if (this.selectedDb !== dbIndex) {
      writer.arrayHeader(2);
      writer.bulk(SHARED.select);
      writer.bulkText(String(dbIndex));
      this.selectedDb = dbIndex;
    }
    writer.command(argv);
    const bytes = writer.buffer.subarray(0, writer.length);
    this.feedReplicationBuffer(bytes);
    writer.reset();
  }

  /**
   * A command the master sends by itself (PING every repl-ping-replica-period, REPLCONF
   * GETACK): part of the stream like any effect, in the database last selected.
   */
  feedCommand(argv: readonly Uint8Array[]): void {
    if (this.isReplica || this.backlog === null) return;
    const writer = this.writer;
    writer.command(argv);
    this.feedReplicationBuffer(writer.buffer.subarray(0, writer.length));
    writer.reset();
  }

  /**
   * feedReplicationBuffer: bytes of the stream go to the backlog, count into
   * master_repl_offset, and are added to the output of every replica past
   * wait-bgsave-start (one that waits for its RDB keeps them until it is sent: Client.outputHeld).
   * `bytes` may be reused after the call.
   */
  feedReplicationBuffer(bytes: Uint8Array): void {
    const backlog = this.backlog;
    if (backlog === null) return;
    backlog.append(bytes);
    this.masterReplOffset += bytes.length;
    const replicas = this.replicas;
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[i]!;
      const link = replica.replica!;
      if (link.state === "wait-bgsave-start" || link.rdbOnly === true) continue;
      replica.reply.raw(bytes);
      this.server.replicaOutputAdded(replica);
    }
  }

  // ---- ids and the backlog -------------------------------------------------------------

  /** changeReplicationId: a new history from here on. */
  changeReplicationId(): void {
    this.replid = randomReplid();
  }

  /** clearReplicationId2 */
  clearReplicationId2(): void {
    this.replid2 = NO_REPLID;
    this.secondReplidOffset = -1;
  }

  /**
   * shiftReplicationId: a replica turned master keeps its master's id as replid2, valid
   * up to the next byte, and starts a history of its own.
   */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    this.secondReplidOffset = this.masterReplOffset + 1;
    this.changeReplicationId();
    logger.warning(
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplidOffset}. New replication ID is ${this.replid}`,
    );
  }

  /** createReplicationBacklog: from now on the stream is kept and master_repl_offset moves. */
  createReplicationBacklog(): void {
    if (this.backlog !== null) return;
    this.backlog = new ReplicationBacklog(this.server.config.getNumber("repl-backlog-size"), this.masterReplOffset);
    this.selectedDb = -1;
    if (!this.feedAttached) {
      this.server.propagation.addFeed(this);
      this.feedAttached = true;
    }
  }

  /** freeReplicationBacklog: no replica for repl-backlog-ttl seconds (or the history ends). */
  freeReplicationBacklog(): void {
    this.backlog = null;
    if (this.feedAttached) {
      this.server.propagation.removeFeed(this);
      this.feedAttached = false;
    }
  }

  /**
   * rdbPopulateSaveInfo: the replication fields an RDB carries (repl-stream-db, repl-id,
   * repl-offset), or undefined when this server is in no replication chain. A master
   * needs a backlog (without one a replica would need a full sync anyway); one that has
   * selected no database since its last full sync says 0, since its next write selects
   * one. A replica gives its master's database, of the link or of the cached master.
   */
  rdbPopulateSaveInfo(): RdbReplicationInfo | undefined {
    if (this.isReplica) return this.server.masterLink.rdbSaveInfo() ?? undefined;
    if (this.backlog === null) return undefined;
    return { streamDb: this.selectedDb === -1 ? 0 : this.selectedDb, replId: this.replid, offset: this.masterReplOffset };
  }

  /** showLatestBacklog: the last 256 bytes of the stream, logged when this replica's master sent a command that failed. */
  showLatestBacklog(): void {
    const backlog = this.backlog;
    if (backlog === null || backlog.histlen === 0) return;
    const length = Math.min(256, backlog.histlen);
    logger.warning(`Latest backlog is: '${sdscatrepr("", backlog.since(backlog.offset + backlog.histlen - length))}'`);
  }

  /** resizeReplicationBacklog (CONFIG SET repl-backlog-size). */
  resizeReplicationBacklog(size: number): void {
    this.backlog?.resize(size);
  }
}
