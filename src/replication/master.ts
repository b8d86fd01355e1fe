// What a master does for its replicas (Redis's replication.c, master half): the
// handshake (REPLCONF), SYNC/PSYNC, the full sync through the background child slot,
// the partial resync from the backlog, the stream's upkeep in replicationCron (PING,
// newlines, timeouts, the backlog's TTL), WAIT and min-replicas-to-write. The stream
// itself, the ids and the backlog are the shared core (replication.ts).
//
// A full sync is the forkless snapshot of docs/persistence.md, taken for replicas
// (docs/replication.md explains it as an essay):
//
//   SYNC/PSYNC -> state wait-bgsave-start, output held (Client.outputHeld)
//     disk (repl-diskless-sync no, or a replica without capa eof):
//       rdbSaveBackground (an ordinary "rdb" child) -> +FULLRESYNC <replid> <offset>,
//       state wait-bgsave-end: the stream from the snapshot's epoch accumulates held
//       -> backgroundSaveDoneHandler -> updateSlavesWaitingBgsave(ok, "disk")
//       -> state send-bulk: "$<size>\r\n" + the file, read in chunks as the socket
//          takes them (sendBulkToSlave) -> online, the held stream follows
//     diskless (the 7.0 default, replicas with capa eof, after repl-diskless-sync-delay):
//       an "rdb-to-socket" child: every waiting replica gets +FULLRESYNC, then
//       "$EOF:<mark>\r\n" RDB "<mark>" as the writer produces it (RdbPipe), paced by
//       the slowest replica -> all taken: the writer exits -> updateSlavesWaitingBgsave
//       (ok, "socket") -> online; the held stream is released at its first REPLCONF ACK
//
// Bytes a replica must get before its stream (+FULLRESYNC, the RDB, keep-alive
// newlines) bypass its reply buffer, which holds the stream: DirectOutput writes them
// to its socket (Redis's connWrite) and tells when the socket has taken them.

import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync } from "node:fs";
import type { Server } from "../server.ts";
import type { Client } from "../net/client.ts";
import { logger } from "../log.ts";
import { bytesToKey, bytesToText, parseInteger } from "../db/bytes.ts";
import { SnapshotCoordinator } from "../persistence/snapshot.ts";
import type { Child, ChildExit } from "../persistence/child.ts";
import { randomReplid, replicaIp, replicaStateName, type ReplicaLink } from "./replication.ts";
import { SYNTAX_ERROR, NOT_INTEGER } from "../errors.ts";
import { splitInlineArgs } from "../protocol/inline.ts";

/** -NOREPLICAS (shared.noreplicaserr). */
export const NOREPLICAS_ERROR = "NOREPLICAS Not enough good replicas to write.";

/** SLAVE_REQ_RDB_EXCLUDE_DATA / _FUNCTIONS (REPLCONF rdb-filter-only). */
const REQ_RDB_EXCLUDE_DATA = 1;
const REQ_RDB_EXCLUDE_FUNCTIONS = 2;

/** Reading a disk sync's file: chunks of this size, while less than BULK_HIGH_WATER waits for the socket. */
const BULK_CHUNK_BYTES = 64 * 1024;
const BULK_HIGH_WATER = 256 * 1024;
/** A diskless sync stops reading the writer while a replica has this much of the RDB not yet taken... */
const PIPE_HIGH_WATER = 1024 * 1024;
/** ...and reads again once every replica is under this. */
const PIPE_LOW_WATER = 256 * 1024;

/**
 * Bytes written to a replica's socket ahead of its reply buffer: a queue drained as
 * the socket takes it (Client.drain calls drain()). `onDrained` runs each time the
 * queue empties.
 */
export class DirectOutput {
  private chunks: Uint8Array[] = [];
  private offset = 0;
  /** Bytes queued, not yet taken by the socket. */
  bytes = 0;
  /** When a write was last only partly taken (repl_last_partial_write, unix s), 0 when none waits. */
  lastPartialWrite = 0;
  onDrained: () => void = () => {};

  constructor(
    private readonly client: Client,
    private readonly countBytes: (n: number) => void,
  ) {}

  /** Queues bytes and writes what the socket takes now (onDrained is for the socket's drain events only). */
  write(bytes: Uint8Array): void {
    if (this.client.closed) return;
    this.chunks.push(bytes);
    this.bytes += bytes.length;
    if (this.chunks.length === 1) this.writeQueued();
  }

  /** The socket's drain event: writes what it takes; true when nothing is left. */
  drain(): boolean {
    if (!this.writeQueued()) return false;
    this.onDrained();
    return this.chunks.length === 0;
  }

  private writeQueued(): boolean {
    const socket = this.client.socket;
    if (socket === null || this.client.closed) return true;
    while (this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const chunk = this.offset === 0 ? head : head.subarray(this.offset);
      const written = socket.write(chunk);
      if (written < 0) {
        this.client.close();
        return true;
      }
      this.countBytes(written);
      this.bytes -= written;
      if (written < chunk.length) {
        this.offset += written;
        this.lastPartialWrite = Math.floor(Date.now() / 1000);
        return false;
      }
      this.chunks.shift();
      this.offset = 0;
    }
    this.lastPartialWrite = 0;
    return true;
  }
}

/** What a connection said with REPLCONF before SYNC (Redis keeps it in the client). */
interface Handshake {
  listeningPort: number;
  announcedIp: string;
  capaEof: boolean;
  capaPsync2: boolean;
  rdbOnly: boolean;
  req: number;
}

/** The master's own per-replica state beyond the shared ReplicaLink. */
interface MasterSide {
  rdbOnly: boolean;
  /** slave_req: the RDB filters it asked for. */
  req: number;
  direct: DirectOutput;
  /** A disk sync being sent: the file (repldbfd), its size and how far it was read. */
  bulk: { fd: number; size: number; offset: number } | null;
  /** repl_start_cmd_stream_on_ack: online after a diskless sync, the stream waits for its first ACK. */
  startStreamOnAck: boolean;
}

/**
 * A diskless sync in flight: the writer's RDB bytes go to every target replica, and
 * the writer is held back while the slowest has too much not yet taken (Redis's
 * rdb_pipe_conns and rdbPipeReadHandler).
 */
class RdbPipe {
  readonly targets: Client[];
  ended = false;
  finished = false;
  private paused = false;
  coordinator: SnapshotCoordinator | null = null;

  constructor(
    private readonly master: ReplicationMaster,
    targets: Client[],
  ) {
    this.targets = targets;
  }

  onData(bytes: Uint8Array): void {
    let over = false;
    for (const replica of this.targets) {
      const direct = this.master.sideOf(replica)?.direct;
      if (direct === undefined) continue;
      direct.write(bytes);
      if (direct.bytes > PIPE_HIGH_WATER) over = true;
    }
    if (over && !this.paused) {
      this.paused = true;
      this.coordinator?.pauseWriterInput();
    }
  }

  onEnd(): void {
    this.ended = true;
    this.check();
  }

  /** A target's socket took everything queued, or a target went away. */
  check(): void {
    let behind = 0;
    let pending = 0;
    for (const replica of this.targets) {
      const bytes = this.master.sideOf(replica)?.direct.bytes ?? 0;
      if (bytes > PIPE_LOW_WATER) behind++;
      pending += bytes;
    }
    if (this.paused && behind === 0) {
      this.paused = false;
      this.coordinator?.resumeWriterInput();
    }
    if (this.ended && !this.finished && pending === 0) {
      this.finished = true;
      logger.warning(`Diskless rdb transfer, done reading from pipe, ${this.targets.length} replicas still up.`);
      this.coordinator?.closeWriterChannel();
    }
  }

  removeTarget(replica: Client): void {
    const index = this.targets.indexOf(replica);
    if (index < 0) return;
    this.targets.splice(index, 1);
    if (this.targets.length === 0 && !this.ended) {
      logger.warning("Diskless rdb transfer, last replica dropped, killing fork child.");
      this.master.server.persistence.killRDBChild();
      return;
    }
    this.check();
  }
}

export class ReplicationMaster {
  /** INFO stats: sync_full, sync_partial_ok, sync_partial_err. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** repl_good_slaves_count: online replicas lagging at most min-replicas-max-lag. */
  goodReplicas = 0;
  /** min-replicas-to-write / min-replicas-max-lag, kept here: processCommand reads them for every command. */
  private minReplicasToWrite = 0;
  private minReplicasMaxLag = 10;
  /** get_ack_from_slaves: REPLCONF GETACK goes out before the event loop sleeps. */
  private getAckFromReplicas = false;
  /** RDBGeneratedByReplication: dump.rdb was written for a disk sync (rdb-del-sync-files). */
  private rdbGeneratedByReplication = false;
  /** replication_cron_loops: replicationCron's runs (once a second). */
  private cronLoops = 0;
  private readonly handshakes = new WeakMap<Client, Handshake>();
  private readonly sides = new Map<Client, MasterSide>();
  /** The diskless sync in flight (server.rdb_pipe_conns != NULL). */
  private pipe: RdbPipe | null = null;

  constructor(readonly server: Server) {
    server.persistence.childSlot.onDone("rdb-to-socket", (child, exit) => this.backgroundSaveDoneHandlerSocket(child, exit));
    server.blocking.acknowledgedBy = (offset) => this.replicationCountAcksByOffset(offset);
    server.config.onChange("repl-backlog-size", () => server.replication.resizeReplicationBacklog(server.config.getNumber("repl-backlog-size")));
    const applyMinReplicas = (): void => {
      this.minReplicasToWrite = server.config.getNumber("min-replicas-to-write");
      this.minReplicasMaxLag = server.config.getNumber("min-replicas-max-lag");
      this.refreshGoodSlavesCount();
    };
    applyMinReplicas();
    for (const name of ["min-replicas-to-write", "min-replicas-max-lag"]) server.config.onChange(name, applyMinReplicas);
  }

  sideOf(client: Client): MasterSide | undefined {
    return this.sides.get(client);
  }

  private get replicas(): Client[] {
    return this.server.replication.replicas;
  }

  // ---- names and small helpers ---------------------------------------------------

  /** replicationGetSlaveName: ip:listening-port as the replica announced them. */
  replicaName(client: Client): string {
    const link = client.replica;
    const handshake = this.handshakes.get(client);
    const announced = link?.announcedIp ?? handshake?.announcedIp ?? "";
    const port = link?.listeningPort ?? handshake?.listeningPort ?? 0;
    const addr = announced !== "" ? announced : client.peerIp;
    if (addr === "") return `client id #${client.id}`;
    if (port === 0) return `${addr}:<unknown-replica-port>`;
    return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
  }

  private handshakeOf(client: Client): Handshake {
    let handshake = this.handshakes.get(client);
    if (handshake === undefined) {
      handshake = { listeningPort: 0, announcedIp: "", capaEof: false, capaPsync2: false, rdbOnly: false, req: 0 };
      this.handshakes.set(client, handshake);
    }
    return handshake;
  }

  // ---- REPLCONF ------------------------------------------------------------------

  /** replconfCommand: the master's options (GETACK on a master does nothing). */
  replconfCommand(client: Client, argv: Uint8Array[]): void {
    const server = this.server;
    if (argv.length % 2 === 0) {
      server.replyError(client, SYNTAX_ERROR);
      return;
    }
    const handshake = this.handshakeOf(client);
    for (let j = 1; j < argv.length; j += 2) {
      const option = bytesToKey(argv[j]!).toLowerCase();
      const value = argv[j + 1]!;
      if (option === "listening-port") {
        const port = parseInteger(value);
        if (port === null || typeof port === "bigint") {
          server.replyError(client, NOT_INTEGER);
          return;
        }
        handshake.listeningPort = port;
        if (client.replica !== null) client.replica.listeningPort = port;
      } else if (option === "ip-address") {
        // NET_HOST_STR_LEN
        if (value.length >= 256) {
          server.replyError(client, `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`);
          return;
        }
        handshake.announcedIp = bytesToText(value);
        if (client.replica !== null) client.replica.announcedIp = handshake.announcedIp;
      } else if (option === "capa") {
        const capa = bytesToKey(value).toLowerCase();
        if (capa === "eof") handshake.capaEof = true;
        else if (capa === "psync2") handshake.capaPsync2 = true;
        if (client.replica !== null) {
          client.replica.capaEof = handshake.capaEof;
          client.replica.capaPsync2 = handshake.capaPsync2;
        }
      } else if (option === "ack") {
        // Internal: no reply, whatever happens.
        if (client.replica === null) return;
        const offset = parseInteger(value);
        if (offset === null) return;
        this.replconfAck(client, Number(offset));
        return;
      } else if (option === "getack") {
        // A replica answers its master with REPLCONF ACK at once; a master ignores it.
        if (server.masterLink.masterHost !== null && server.masterLink.master !== null) server.masterLink.replicationSendAck();
        return;
      } else if (option === "rdb-only") {
        const flag = parseInteger(value);
        if (flag === null || typeof flag === "bigint" || flag < 0 || flag > 1) {
          server.replyError(client, flag === null ? NOT_INTEGER : "ERR value is out of range, must be between 0 and 1");
          return;
        }
        handshake.rdbOnly = flag === 1;
      } else if (option === "rdb-filter-only") {
        const filters = splitInlineArgs(value)?.map(bytesToKey) ?? null;
        if (filters === null) {
          server.replyError(client, "ERR Missing rdb-filter-only values");
          return;
        }
        handshake.req |= REQ_RDB_EXCLUDE_DATA | REQ_RDB_EXCLUDE_FUNCTIONS;
        for (const filter of filters) {
          if (filter.toLowerCase() === "functions") handshake.req &= ~REQ_RDB_EXCLUDE_FUNCTIONS;
          else {
            server.replyError(client, `ERR Unsupported rdb-filter-only option: ${filter}`);
            return;
          }
        }
      } else {
        server.replyError(client, `ERR Unrecognized REPLCONF option: ${bytesToKey(argv[j]!)}`);
        return;
      }
    }
    client.reply.ok();
  }

  /** REPLCONF ACK <offset> [FACK <offset>]: the replica processed the stream up to offset. */
  private replconfAck(client: Client, offset: number): void {
    const link = client.replica!;
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTimeMs = Date.now();
    // The ACK may come before the cron noticed that the diskless child exited.
    const child = this.server.persistence.childSlot.activeChild();
    if (child !== null && child.kind === "rdb-to-socket" && link.state === "wait-bgsave-end") this.server.persistence.childSlot.checkChildrenDone();
    const side = this.sides.get(client);
    if (side !== undefined && side.startStreamOnAck && link.state === "online") this.replicaStartCommandStream(client);
    this.server.blocking.acknowledgeOffsets((released) => this.server.afterUnblock(released));
  }

  // ---- SYNC / PSYNC --------------------------------------------------------------

  /** syncCommand: SYNC, and PSYNC replid offset. */
  syncCommand(client: Client, argv: Uint8Array[]): void {
    const server = this.server;
    const replication = server.replication;
    // Already a replica: ignored.
    if (client.replica !== null) return;
    const isPsync = bytesToKey(argv[0]!).toLowerCase() === "psync";
    if (isPsync && argv.length > 3 && bytesToKey(argv[3]!).toLowerCase() === "failover") {
      logger.warning(`Failover request received for replid ${bytesToText(argv[1]!)}.`);
      if (!replication.isReplica) {
        server.replyError(client, "ERR PSYNC FAILOVER can't be sent to a master.");
        return;
      }
    }
    if (server.masterLink.masterHost !== null && server.masterLink.state !== "connected") {
      server.replyError(client, "NOMASTERLINK Can't SYNC while not connected with my master");
      return;
    }
    if (client.outputBytes > 0) {
      server.replyError(client, "ERR SYNC and PSYNC are invalid with pending output");
      return;
    }
    const handshake = this.handshakeOf(client);
    if ((handshake.req & (REQ_RDB_EXCLUDE_DATA | REQ_RDB_EXCLUDE_FUNCTIONS)) !== 0 && !handshake.capaEof) {
      server.replyError(client, "ERR Filtered replica requires EOF capability");
      return;
    }
    logger.notice(`Replica ${this.replicaName(client)} asks for synchronization`);
    let prePsync = false;
    if (isPsync) {
      const offset = parseInteger(argv[2]!);
      if (offset === null) {
        server.replyError(client, NOT_INTEGER);
        logger.warning(`Replica ${this.replicaName(client)} asks for synchronization but with a wrong offset`);
        return;
      }
      const replid = bytesToText(argv[1]!);
      if (this.masterTryPartialResynchronization(client, replid, Number(offset))) {
        this.syncPartialOk++;
        return;
      }
      if (!replid.startsWith("?")) this.syncPartialErr++;
    } else {
      // An old replica (or redis-cli --replica): no +FULLRESYNC line, no ACKs expected.
      prePsync = true;
    }
    this.syncFull++;
    this.attachReplica(client, handshake, "wait-bgsave-start", prePsync);
    client.outputHeld = true;
    // Fewer, larger packets on the link to the replica, if asked (non critical).
    if (server.config.getBool("repl-disable-tcp-nodelay")) client.socket?.setNoDelay?.(false);
    if (this.replicas.length === 1 && replication.backlog === null) {
      // A backlog made from scratch starts a history of its own.
      replication.changeReplicationId();
      replication.clearReplicationId2();
      replication.createReplicationBacklog();
      logger.notice(`Replication backlog created, my new replication IDs are '${replication.replid}' and '${replication.replid2}'`);
    }
    const child = server.persistence.childSlot.activeChild();
    if (child !== null && child.kind === "rdb") {
      // A save to disk is running: usable if a replica already collects the stream since its epoch.
      const side = this.sides.get(client)!;
      const donor = this.replicas.find((other) => other !== client && other.replica!.state === "wait-bgsave-end" && (!this.sides.get(other)!.rdbOnly || side.rdbOnly));
      const donorLink = donor?.replica ?? null;
      if (donor !== undefined && donorLink !== null && handshakeCapaCovers(client.replica!, donorLink) && this.sides.get(donor)!.req === side.req) {
        // copyReplicaOutputBuffer
        if (!side.rdbOnly) client.reply.raw(donor.reply.buffer.subarray(0, donor.reply.length));
        this.replicationSetupSlaveForFullResync(client, donorLink.initialOffset);
        logger.notice("Waiting for end of BGSAVE for SYNC");
      } else logger.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
    } else if (child !== null && child.kind === "rdb-to-socket") {
      logger.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    } else if (server.config.getBool("repl-diskless-sync") && handshake.capaEof && server.config.getNumber("repl-diskless-sync-delay") > 0) {
      // replicationCron starts it, once more replicas had the time to arrive.
      logger.notice("Delay next BGSAVE for diskless SYNC");
    } else if (!server.persistence.childSlot.hasActiveChildProcess()) {
      this.startBgsaveForReplication(capaOf(client.replica!), handshake.req);
    } else {
      logger.notice("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed");
    }
  }

  /** Makes `client` a replica (CLIENT_SLAVE) in `state`. */
  private attachReplica(client: Client, handshake: Handshake, state: ReplicaLink["state"], prePsync: boolean): void {
    const link: ReplicaLink = {
      state,
      listeningPort: handshake.listeningPort,
      announcedIp: handshake.announcedIp,
      capaEof: handshake.capaEof,
      capaPsync2: handshake.capaPsync2,
      ackOffset: 0,
      ackTimeMs: Date.now(),
      initialOffset: 0,
      prePsync,
      rdbOnly: handshake.rdbOnly,
    };
    client.replica = link;
    const direct = new DirectOutput(client, (n) => {
      this.server.replication.netOutputBytes += n;
    });
    const side: MasterSide = { rdbOnly: handshake.rdbOnly, req: handshake.req, direct, bulk: null, startStreamOnAck: false };
    direct.onDrained = () => this.directDrained(client, side);
    client.directOutput = direct;
    this.sides.set(client, side);
    this.replicas.push(client);
  }

  /**
   * masterTryPartialResynchronization: +CONTINUE and the backlog from `offset` when the
   * history asked for is ours (replid, or replid2 up to second_repl_offset) and the
   * backlog still holds it; false for a full resync.
   */
  private masterTryPartialResynchronization(client: Client, replid: string, offset: number): boolean {
    const replication = this.server.replication;
    const lower = replid.toLowerCase();
    if (lower !== replication.replid && (lower !== replication.replid2 || offset > replication.secondReplidOffset)) {
      if (!replid.startsWith("?")) {
        if (lower !== replication.replid && lower !== replication.replid2) {
          logger.notice(
            `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${replication.replid}' and '${replication.replid2}')`,
          );
        } else {
          logger.notice(`Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${replication.secondReplidOffset}`);
        }
      } else logger.notice(`Full resync requested by replica ${this.replicaName(client)}`);
      return false;
    }
    const backlog = replication.backlog;
    if (backlog === null || !backlog.holds(offset)) {
      logger.notice(`Unable to partial resync with replica ${this.replicaName(client)} for lack of backlog (Replica request was: ${offset}).`);
      if (offset > replication.masterReplOffset) {
        logger.warning(`Warning: replica ${this.replicaName(client)} tried to PSYNC with an offset that is greater than the master replication offset.`);
      }
      return false;
    }
    const handshake = this.handshakeOf(client);
    this.attachReplica(client, handshake, "online", false);
    client.replica!.ackTimeMs = Date.now();
    client.reply.raw(encodeText(handshake.capaPsync2 ? `+CONTINUE ${replication.replid}\r\n` : "+CONTINUE\r\n"));
    const missed = backlog.histlen === 0 ? new Uint8Array(0) : backlog.since(offset);
    client.reply.raw(missed);
    logger.notice(
      `Partial resynchronization request from ${this.replicaName(client)} accepted. Sending ${missed.length} bytes of backlog starting from offset ${offset}.`,
    );
    this.refreshGoodSlavesCount();
    return true;
  }

  /**
   * replicationSetupSlaveForFullResync: the replica's RDB is the snapshot taken at
   * `offset`; from now on it collects the stream (held until the RDB is sent), which
   * starts with a SELECT.
   */
  private replicationSetupSlaveForFullResync(client: Client, offset: number): void {
    const link = client.replica!;
    link.initialOffset = offset;
    link.state = "wait-bgsave-end";
    this.server.replication.selectedDb = -1;
    if (!link.prePsync) this.sides.get(client)!.direct.write(encodeText(`+FULLRESYNC ${this.server.replication.replid} ${offset}\r\n`));
  }

  /**
   * startBgsaveForReplication: an RDB for the replicas waiting to start, to their
   * sockets (diskless, all of them with capa eof) or to disk. On failure they get an
   * error and are closed.
   */
  private startBgsaveForReplication(mincapa: { eof: boolean }, req: number): boolean {
    const server = this.server;
    const filtered = (req & (REQ_RDB_EXCLUDE_DATA | REQ_RDB_EXCLUDE_FUNCTIONS)) !== 0;
    const socketTarget = (server.config.getBool("repl-diskless-sync") || filtered) && mincapa.eof;
    logger.notice(`Starting BGSAVE for SYNC with target: ${socketTarget ? "replicas sockets" : "disk"}`);
    let ok: boolean;
    if (server.replication.rdbPopulateSaveInfo() === undefined) {
      logger.warning("BGSAVE for replication: replication information not available, can't generate the RDB file right now. Try later.");
      ok = false;
    } else if (socketTarget) ok = this.rdbSaveToSlavesSockets(req);
    else ok = server.persistence.rdbSaveBackground();
    if (!ok) {
      logger.warning("BGSAVE for replication failed");
      for (const replica of [...this.replicas]) {
        if (replica.replica!.state !== "wait-bgsave-start") continue;
        this.detachReplica(replica);
        replica.outputHeld = false;
        server.replyError(replica, "ERR BGSAVE failed, replication can't continue");
        replica.closeAfterReply = true;
        replica.flush();
      }
      return false;
    }
    if (!socketTarget) {
      // Remembered only while the feature is on: a flag set with it off would never be cleared.
      if (server.config.getBool("rdb-del-sync-files")) this.rdbGeneratedByReplication = true;
      const offset = server.replication.masterReplOffset;
      for (const replica of this.replicas) {
        if (replica.replica!.state === "wait-bgsave-start" && this.sides.get(replica)!.req === req) this.replicationSetupSlaveForFullResync(replica, offset);
      }
    }
    return true;
  }

  /**
   * rdbSaveToSlavesSockets: the "rdb-to-socket" child. Every waiting replica with the
   * same requirements gets +FULLRESYNC at this offset, which is the snapshot's epoch.
   */
  private rdbSaveToSlavesSockets(req: number): boolean {
    const server = this.server;
    const slot = server.persistence.childSlot;
    if (slot.hasActiveChildProcess() || this.pipe !== null) return false;
    const targets: Client[] = [];
    const offset = server.replication.masterReplOffset;
    for (const replica of this.replicas) {
      if (replica.replica!.state !== "wait-bgsave-start" || this.sides.get(replica)!.req !== req) continue;
      targets.push(replica);
      this.replicationSetupSlaveForFullResync(replica, offset);
    }
    const pipe = new RdbPipe(this, [...targets]);
    const coordinator = new SnapshotCoordinator(server, {
      output: "socket",
      socketTarget: { eofMark: randomReplid(), onData: (bytes) => pipe.onData(bytes), onEnd: () => pipe.onEnd() },
      excludeData: (req & REQ_RDB_EXCLUDE_DATA) !== 0,
      excludeFunctions: (req & REQ_RDB_EXCLUDE_FUNCTIONS) !== 0,
    });
    pipe.coordinator = coordinator;
    let child: Child<"rdb-to-socket">;
    try {
      child = slot.spawnChild("rdb-to-socket", coordinator, { type: "sockets", replicas: targets.map((r) => this.replicaName(r)) });
    } catch (error) {
      logger.warning(`Can't save in background: fork: ${error instanceof Error ? error.message : String(error)}`);
      // The caller cleans up the replicas still waiting to start.
      for (const replica of targets) if (replica.replica !== null) replica.replica.state = "wait-bgsave-start";
      return false;
    }
    this.pipe = pipe;
    logger.notice(`Background RDB transfer started by pid ${child.pid}`);
    return true;
  }

  /** backgroundSaveDoneHandlerSocket, then updateSlavesWaitingBgsave. */
  private backgroundSaveDoneHandlerSocket(child: Child<"rdb-to-socket">, exit: ChildExit): void {
    const ok = exit.bySignal === 0 && exit.exitCode === 0;
    if (ok) logger.notice("Background RDB transfer terminated with success");
    else if (exit.bySignal === 0) logger.warning("Background transfer error");
    else logger.warning(`Background transfer terminated by signal ${exit.bySignal}`);
    this.pipe = null;
    this.server.persistence.lastBgsaveTimeSec = Math.floor(Date.now() / 1000) - child.startedAtSec;
    this.updateSlavesWaitingBgsave(ok, "socket");
    // checkChildrenDone: the slot is free once this returns; start a pending sync then.
    queueMicrotask(() => this.replicationStartPendingFork());
  }

  /**
   * updateSlavesWaitingBgsave, at the end of every RDB child (the disk one through
   * backgroundSaveDoneHandler): replicas whose RDB it was are sent the file (disk) or
   * are online (socket); after a failure they are closed.
   */
  updateSlavesWaitingBgsave(ok: boolean, type: "disk" | "socket"): void {
    for (const replica of [...this.replicas]) {
      const link = replica.replica!;
      if (link.state !== "wait-bgsave-end") continue;
      const side = this.sides.get(replica)!;
      if (!ok) {
        logger.warning("SYNC failed. BGSAVE child returned an error");
        replica.close();
        continue;
      }
      if (type === "socket") {
        logger.notice(`Streamed RDB transfer with replica ${this.replicaName(replica)} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`);
        if (!this.replicaPutOnline(replica)) {
          replica.close();
          continue;
        }
        side.startStreamOnAck = true;
        continue;
      }
      let fd: number;
      let size: number;
      try {
        fd = openSync(this.server.persistence.dbPath, "r");
        size = fstatSync(fd).size;
      } catch (error) {
        replica.close();
        logger.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${error instanceof Error ? error.message.replace(/^[A-Z]+: /, "").replace(/, open .*$/, "") : String(error)}`);
        continue;
      }
      link.state = "send-bulk";
      side.bulk = { fd, size, offset: 0 };
      side.direct.write(encodeText(`$${size}\r\n`));
      this.sendBulkToSlave(replica, side);
    }
  }

  /** sendBulkToSlave: the next chunks of the file, while the socket keeps up. */
  private sendBulkToSlave(replica: Client, side: MasterSide): void {
    const bulk = side.bulk;
    if (bulk === null || replica.closed) return;
    while (bulk.offset < bulk.size && side.direct.bytes < BULK_HIGH_WATER) {
      const chunk = new Uint8Array(Math.min(BULK_CHUNK_BYTES, bulk.size - bulk.offset));
      let read: number;
      try {
        read = readSync(bulk.fd, chunk, 0, chunk.length, bulk.offset);
      } catch (error) {
        logger.warning(`Read error sending DB to replica: ${error instanceof Error ? error.message : String(error)}`);
        replica.close();
        return;
      }
      if (read <= 0) {
        logger.warning("Read error sending DB to replica: premature EOF");
        replica.close();
        return;
      }
      bulk.offset += read;
      side.direct.write(read === chunk.length ? chunk : chunk.subarray(0, read));
    }
    if (bulk.offset === bulk.size && side.direct.bytes === 0) {
      closeQuietly(bulk.fd);
      side.bulk = null;
      if (!this.replicaPutOnline(replica)) {
        replica.close();
        return;
      }
      this.replicaStartCommandStream(replica);
    }
  }

  /** A replica's socket took all its direct output. */
  private directDrained(replica: Client, side: MasterSide): void {
    if (side.bulk !== null) this.sendBulkToSlave(replica, side);
    else if (this.pipe !== null && this.pipe.targets.includes(replica)) this.pipe.check();
  }

  /**
   * replicaPutOnline: the RDB is sent. An rdb-only replica (redis-cli --rdb) is done
   * and is to be closed (false).
   */
  private replicaPutOnline(replica: Client): boolean {
    const link = replica.replica!;
    if (this.sides.get(replica)?.rdbOnly) {
      logger.notice(`RDB transfer completed, rdb only replica (${this.replicaName(replica)}) should be disconnected asap`);
      return false;
    }
    link.state = "online";
    link.ackTimeMs = Date.now();
    this.refreshGoodSlavesCount();
    logger.notice(`Synchronization with replica ${this.replicaName(replica)} succeeded`);
    return true;
  }

  /** replicaStartCommandStream: the stream held since the snapshot goes out now. */
  private replicaStartCommandStream(replica: Client): void {
    const side = this.sides.get(replica);
    if (side !== undefined) side.startStreamOnAck = false;
    replica.outputHeld = false;
    this.server.replicaOutputAdded(replica);
  }

  // ---- a replica goes away ---------------------------------------------------------

  /** freeClient's master/slave cleanup: a replica connection closed. */
  replicaClosed(client: Client): void {
    const link = client.replica;
    if (link === null) return;
    logger.warning(`Connection with replica ${this.replicaName(client)} lost.`);
    const server = this.server;
    const child = server.persistence.childSlot.activeChild();
    // No one else wants the file being made for replicas, and no save point wants it either.
    if (
      server.config.savePoints().length === 0 &&
      link.state === "wait-bgsave-end" &&
      child !== null &&
      child.kind === "rdb" &&
      !this.replicas.some((other) => other !== client && (other.replica!.state === "wait-bgsave-start" || other.replica!.state === "wait-bgsave-end"))
    ) {
      server.persistence.killRDBChild();
    }
    this.detachReplica(client);
    this.pipe?.removeTarget(client);
  }

  private detachReplica(client: Client): void {
    const side = this.sides.get(client);
    if (side?.bulk) closeQuietly(side.bulk.fd);
    this.sides.delete(client);
    client.directOutput = null;
    client.replica = null;
    const replicas = this.replicas;
    const index = replicas.indexOf(client);
    if (index >= 0) replicas.splice(index, 1);
    if (replicas.length === 0) this.server.replication.noReplicasSince = Math.floor(Date.now() / 1000);
    this.refreshGoodSlavesCount();
  }

  // ---- replicationCron ---------------------------------------------------------------

  /** replicationCron's master half, once a second (serverCron's run_with_period(1000)). */
  replicationCron(): void {
    const server = this.server;
    const replication = server.replication;
    const config = server.config;
    const nowSec = Math.floor(Date.now() / 1000);
    const replicas = this.replicas;
    // PING every repl-ping-replica-period: a replica can notice a link that died silently.
    if (this.cronLoops % config.getNumber("repl-ping-replica-period") === 0 && replicas.length > 0) {
      replication.feedCommand([PING]);
    }
    // A newline each second to replicas waiting for their RDB (but not for a diskless
    // one being streamed): it keeps their PSYNC or transfer timeout from firing.
    const socketChild = server.persistence.childSlot.activeChild()?.kind === "rdb-to-socket";
    for (const replica of replicas) {
      const state = replica.replica!.state;
      if (state === "wait-bgsave-start" || (state === "wait-bgsave-end" && !socketChild)) this.sides.get(replica)?.direct.write(NEWLINE);
    }
    const timeout = config.getNumber("repl-timeout");
    for (const replica of [...replicas]) {
      const link = replica.replica!;
      if (link.state === "online") {
        if (link.prePsync) continue;
        if (nowSec - Math.floor(link.ackTimeMs / 1000) > timeout) {
          logger.warning(`Disconnecting timedout replica (streaming sync): ${this.replicaName(replica)}`);
          replica.close();
          continue;
        }
      }
      if (link.state === "wait-bgsave-end" && socketChild) {
        const last = this.sides.get(replica)?.direct.lastPartialWrite ?? 0;
        if (last !== 0 && nowSec - last > timeout) {
          logger.warning(`Disconnecting timedout replica (full sync): ${this.replicaName(replica)}`);
          replica.close();
          continue;
        }
      }
    }
    const ttl = config.getNumber("repl-backlog-ttl");
    if (replicas.length === 0 && ttl > 0 && replication.backlog !== null && !replication.isReplica) {
      if (nowSec - replication.noReplicasSince > ttl) {
        // Without a backlog the offset stops moving: the old id must not be continued.
        replication.changeReplicationId();
        replication.clearReplicationId2();
        replication.freeReplicationBacklog();
        logger.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
      }
    }
    this.replicationStartPendingFork();
    this.refreshGoodSlavesCount();
    this.removeRDBUsedToSyncReplicas();
    this.cronLoops++;
  }

  /**
   * removeRDBUsedToSyncReplicas: a master that persists nothing (no save points, no AOF)
   * with rdb-del-sync-files does not keep the dump.rdb a disk sync wrote, once no replica
   * waits for it or is being sent it.
   */
  private removeRDBUsedToSyncReplicas(): void {
    const server = this.server;
    if (!server.config.getBool("rdb-del-sync-files")) {
      this.rdbGeneratedByReplication = false;
      return;
    }
    if (!this.rdbGeneratedByReplication || !server.persistence.allPersistenceDisabled()) return;
    if (this.replicas.some((replica) => replica.replica!.state !== "online")) return;
    if (!existsSync(server.persistence.dbPath)) return;
    this.rdbGeneratedByReplication = false;
    logger.notice("Removing the RDB file used to feed replicas in a persistence-less instance");
    rmSync(server.persistence.dbPath, { force: true });
  }

  /**
   * shouldStartChildReplication + replicationStartPendingFork: replicas waiting to
   * start get their RDB once the slot is free; a diskless one waits
   * repl-diskless-sync-delay seconds for others (or max-replicas of them).
   */
  replicationStartPendingFork(): void {
    const server = this.server;
    if (server.persistence.childSlot.hasActiveChildProcess() || this.pipe !== null) return;
    const nowSec = Math.floor(Date.now() / 1000);
    let waiting = 0;
    let maxIdle = 0;
    let req = -1;
    const mincapa = { eof: true };
    for (const replica of this.replicas) {
      if (replica.replica!.state !== "wait-bgsave-start") continue;
      const side = this.sides.get(replica)!;
      if (req === -1) req = side.req;
      else if (req !== side.req) continue;
      maxIdle = Math.max(maxIdle, nowSec - Math.floor(replica.lastInteraction / 1000));
      waiting++;
      mincapa.eof &&= replica.replica!.capaEof;
    }
    if (waiting === 0) return;
    const config = server.config;
    const maxReplicas = config.getNumber("repl-diskless-sync-max-replicas");
    if (!config.getBool("repl-diskless-sync") || (maxReplicas > 0 && waiting >= maxReplicas) || maxIdle >= config.getNumber("repl-diskless-sync-delay")) {
      this.startBgsaveForReplication(mincapa, req);
    }
  }

  // ---- WAIT, good replicas --------------------------------------------------------------

  /** replicationCountAcksByOffset: online replicas that acknowledged `offset`. */
  replicationCountAcksByOffset(offset: number): number {
    let count = 0;
    for (const replica of this.replicas) {
      const link = replica.replica!;
      if (link.state === "online" && link.ackOffset >= offset) count++;
    }
    return count;
  }

  /** waitCommand: WAIT numreplicas timeout. */
  waitCommand(client: Client, argv: Uint8Array[]): void {
    const server = this.server;
    if (server.replication.isReplica) {
      server.replyError(
        client,
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
      );
      return;
    }
    const numreplicas = parseInteger(argv[1]!);
    if (numreplicas === null) {
      server.replyError(client, NOT_INTEGER);
      return;
    }
    const timeout = parseInteger(argv[2]!);
    if (timeout === null) {
      server.replyError(client, "ERR timeout is not an integer or out of range");
      return;
    }
    if (timeout < 0) {
      server.replyError(client, "ERR timeout is negative");
      return;
    }
    const offset = client.woff;
    const acknowledged = this.replicationCountAcksByOffset(offset);
    if (acknowledged >= numreplicas || client.denyBlocking) {
      client.reply.integer(acknowledged);
      return;
    }
    const timeoutAt = timeout === 0 || timeout === 0n ? 0 : Date.now() + Number(timeout);
    server.blocking.blockForOffset(client, offset, Number(numreplicas), timeoutAt, client.currentCommand!, (count) => client.reply.integer(count));
    this.replicationRequestAckFromSlaves();
  }

  /**
   * replicationRequestAckFromSlaves: one REPLCONF GETACK for every WAIT of this turn,
   * sent once its commands have run (Redis's beforeSleep).
   */
  private replicationRequestAckFromSlaves(): void {
    if (this.getAckFromReplicas) return;
    this.getAckFromReplicas = true;
    queueMicrotask(() => {
      this.getAckFromReplicas = false;
      if (this.server.clientsArePaused()) return;
      this.server.replication.feedCommand(GETACK);
    });
  }

  /** sendGetackToReplicas: REPLCONF GETACK into the stream now (a shutdown waiting for its replicas). */
  sendGetackToReplicas(): void {
    this.server.replication.feedCommand(GETACK);
  }

  /** isReadyToShutdown's test: every replica acknowledged the whole stream. */
  replicasInSync(): boolean {
    const offset = this.server.replication.masterReplOffset;
    return this.replicas.every((replica) => replica.replica!.ackOffset === offset);
  }

  /** finishShutdown's report of the replicas that have not acknowledged the whole stream. */
  logLaggingReplicas(): void {
    const replicas = this.replicas;
    if (replicas.length === 0) return;
    const offset = this.server.replication.masterReplOffset;
    const nowSec = Math.floor(Date.now() / 1000);
    let lagging = 0;
    for (const replica of replicas) {
      const link = replica.replica!;
      if (link.ackOffset === offset) continue;
      lagging++;
      const lag = link.state === "online" ? nowSec - Math.floor(link.ackTimeMs / 1000) : 0;
      logger.notice(`Lagging replica ${this.replicaName(replica)} reported offset ${offset - link.ackOffset} behind master, lag=${lag}, state=${replicaStateName(link.state)}.`);
    }
    logger.notice(`${replicas.length - lagging} of ${replicas.length} replicas are in sync when shutting down.`);
  }

  /** refreshGoodSlavesCount */
  refreshGoodSlavesCount(): void {
    const maxLag = this.minReplicasMaxLag;
    if (this.minReplicasToWrite === 0 || maxLag === 0) return;
    const nowSec = Math.floor(Date.now() / 1000);
    let good = 0;
    for (const replica of this.replicas) {
      const link = replica.replica!;
      if (link.state === "online" && nowSec - Math.floor(link.ackTimeMs / 1000) <= maxLag) good++;
    }
    this.goodReplicas = good;
  }

  /** checkGoodReplicasStatus: writes are allowed (min-replicas-to-write is met, or off). */
  checkGoodReplicasStatus(): boolean {
    const toWrite = this.minReplicasToWrite;
    return toWrite === 0 || this.minReplicasMaxLag === 0 || this.goodReplicas >= toWrite || this.server.replication.isReplica;
  }

  /** INFO replication's min_slaves_good_slaves, when the setting is on. */
  goodReplicasInfo(): string | null {
    if (this.minReplicasToWrite === 0 || this.minReplicasMaxLag === 0) return null;
    return `min_slaves_good_slaves:${this.goodReplicas}`;
  }

  // ---- ROLE ---------------------------------------------------------------------------

  /** roleCommand, master form: master, offset, the online replicas as [ip, port, ack offset]. */
  roleCommand(client: Client): void {
    const replication = this.server.replication;
    const online = this.replicas.filter((replica) => replica.replica!.state === "online");
    client.reply.arrayHeader(3);
    client.reply.bulkText("master");
    client.reply.integer(replication.masterReplOffset);
    client.reply.arrayHeader(online.length);
    for (const replica of online) {
      const link = replica.replica!;
      client.reply.arrayHeader(3);
      client.reply.bulkText(replicaIp(replica));
      client.reply.bulkText(String(link.listeningPort));
      client.reply.bulkText(String(link.ackOffset));
    }
  }

  // ---- memory ----------------------------------------------------------------------------

  /** mem_clients_slaves: what replica connections hold (their stream output included). */
  replicaClientsMemory(): number {
    let bytes = 0;
    for (const replica of this.replicas) bytes += replica.outputBytes + (this.sides.get(replica)?.direct.bytes ?? 0);
    return bytes;
  }

  // ---- restart ---------------------------------------------------------------------------

  /**
   * loadDataFromDisk for a master: the history the RDB names becomes replid2 (valid up
   * to the next byte) and the offset goes on from it, so a replica that was in sync when
   * the file was saved gets +CONTINUE after the restart. The backlog made for the load
   * holds the DELs of the keys found expired, which come after that offset (Redis's
   * rebaseReplicationBuffer).
   */
  restoreReplicationInfo(replid: string, offset: number): void {
    const replication = this.server.replication;
    if (replication.isReplica) return;
    replication.replid2 = replid;
    replication.secondReplidOffset = offset + 1;
    replication.masterReplOffset += offset;
    replication.createReplicationBacklog();
    const backlog = replication.backlog!;
    backlog.offset = replication.masterReplOffset - backlog.histlen + 1;
    replication.noReplicasSince = Math.floor(Date.now() / 1000);
  }
}

const encoder = new TextEncoder();
function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

const PING = encodeText("PING");
const GETACK = [encodeText("REPLCONF"), encodeText("GETACK"), encodeText("*")];
const NEWLINE = encodeText("\n");

function capaOf(link: ReplicaLink): { eof: boolean } {
  return { eof: link.capaEof };
}

/** (c->slave_capa & slave->slave_capa) == slave->slave_capa */
function handshakeCapaCovers(link: ReplicaLink, donor: ReplicaLink): boolean {
  return (link.capaEof || !donor.capaEof) && (link.capaPsync2 || !donor.capaPsync2);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
