// Bunker as a replica: the replica half of Redis's replication.c.
//
// A replica keeps one link to its master (server.masterhost / server.master). The link
// is a client connection this server opens itself and drives through a state machine,
// as syncWithMaster does:
//
//   REPLICAOF host port -> replicationSetMaster: state "connect"
//   connectWithMaster (now, or from replicaCron every second) ........ "connecting"
//   the socket opens: PING .............................................. "receive-ping-reply"
//   +PONG (or -NOAUTH): AUTH [masteruser] masterauth, REPLCONF listening-port,
//     [REPLCONF ip-address], REPLCONF capa eof capa psync2, each answered in turn
//   PSYNC <cached replid> <cached offset + 1> | PSYNC ? -1 ............. "receive-psync-reply"
//     +FULLRESYNC <replid> <offset> -> readSyncBulkPayload ............. "transfer"
//         $<len> or $EOF:<mark>, newlines before it keep the link alive;
//         to temp-<unixtime>.<pid>.rdb then renamed over dbfilename (repl-diskless-load
//         disabled), or kept in memory and loaded from there (on-empty-db with no keys,
//         swapdb); the old data emptied (or, swapdb, kept until the new one loaded)
//     +CONTINUE [newid] -> the cached master resumes ...................... "connected"
//     -NOMASTERLINK / -LOADING: try again later; another error: SYNC
//   the master client (CLIENT_MASTER): its commands run through processCommand with
//   mustObey; reploff advances by the complete commands applied (outside MULTI), and
//   those bytes, as they came, go on to this server's backlog and sub-replicas
//   (feedReplicationBuffer: Redis's replicationFeedStreamFromMasterStream).
//
// When the link drops, the master's replid and reploff are kept as the cached master,
// so the next handshake asks PSYNC for just what was missed. REPLICAOF NO ONE turns
// the server back into a master: the history so far stays valid as replid2 (PSYNC2).

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "../server.ts";
import { Client, type ClientSocket, type ClientSocketData } from "../net/client.ts";
import { ProtocolError, type ParserLimits } from "../protocol/parser.ts";
import { ReplyWriter } from "../protocol/reply.ts";
import { KeyTable } from "../db/keytable.ts";
import { logger } from "../log.ts";
import { errorText } from "../util/errors-text.ts";
import { REPLID_LENGTH, type RdbReplicationInfo } from "./replication.ts";
import { atoll } from "../util/strtoll.ts";
import type { RdbByteSource } from "../persistence/rdb/decoder.ts";
import { reportLoadFailure } from "../persistence/persistence.ts";
import { describeClientLine } from "../info.ts";

/**
 * server.repl_state. The handshake states are the ones ROLE reports as "handshake".
 */
export type ReplState =
  | "none"
  | "connect"
  | "connecting"
  | "receive-ping-reply"
  | "send-handshake"
  | "receive-auth-reply"
  | "receive-port-reply"
  | "receive-ip-reply"
  | "receive-capa-reply"
  | "send-psync"
  | "receive-psync-reply"
  | "transfer"
  | "connected";

/** What a partial resync needs of a master this server was connected to (server.cached_master). */
interface CachedMaster {
  replid: string;
  reploff: number;
  /** The database its stream had selected (the next command may need no SELECT). */
  dbIndex: number;
}


/** CONFIG_RUN_ID_SIZE: the length of the $EOF: mark. */
const EOF_MARK_LENGTH = REPLID_LENGTH;
/** REPL_MAX_WRITTEN_BEFORE_FSYNC: the temp file is fsynced every 8 MB as it is written. */
const MAX_WRITTEN_BEFORE_FSYNC = 8 * 1024 * 1024;
/** A handshake reply longer than this is not a reply (receiveSynchronousResponse reads 256 bytes). */
const MAX_HANDSHAKE_LINE = 64 * 1024;

const LF = 10;

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An RDB held in memory, read by the decoder as it reads a file (diskless load). */
function memoryByteSource(chunks: Uint8Array[], size: number): RdbByteSource {
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    const take = Math.min(chunk.length, size - at);
    whole.set(take === chunk.length ? chunk : chunk.subarray(0, take), at);
    at += take;
  }
  return {
    size,
    read: (target, targetOffset, length, position) => {
      const count = Math.max(0, Math.min(length, size - position));
      target.set(whole.subarray(position, position + count), targetOffset);
      return count;
    },
    close: () => {},
  };
}

export class MasterLink {
  /** server.masterhost / masterport: null while this server is a master. */
  masterHost: string | null = null;
  masterPort = 0;
  state: ReplState = "none";
  /** server.master: the client the master's stream runs in, once synced. */
  master: Client | null = null;
  /** server.master->reploff: the stream offset of the last complete command applied. */
  reploff = 0;
  /** server.master->read_reploff: the stream offset of the last byte read. */
  readReploff = 0;
  /** server.master->replid. */
  masterReplid = "";
  /** The master is too old for PSYNC (it answered SYNC): no REPLCONF ACK (CLIENT_PRE_PSYNC). */
  private prePsync = false;
  cachedMaster: CachedMaster | null = null;
  /** server.repl_down_since (unix s): when the link went down, 0 while up or never up. */
  downSince = 0;
  /** stat_net_repl_input_bytes: every byte read from masters (handshake, RDB, stream). */
  netInputBytes = 0;

  // The handshake and transfer (server.repl_transfer_*).
  private socket: ClientSocket | null = null;
  /** Counts connections: callbacks of a socket from an abandoned attempt are ignored. */
  private generation = 0;
  private pendingLine: Uint8Array = new Uint8Array(0);
  private unsent: Uint8Array[] = [];
  /** server.master_replid / master_initial_offset as PSYNC's reply set them. */
  private psyncReplid = "";
  private psyncInitialOffset = -1;
  /** The handshake's replies still expected before PSYNC is sent. */
  transferSize = -1;
  transferRead = 0;
  /** server.repl_transfer_lastio (unix s). */
  transferLastIo = 0;
  private transferFile: { path: string; fd: number; lastFsync: number } | null = null;
  private transferChunks: Uint8Array[] | null = null;
  private eofMark: Uint8Array | null = null;
  private lastBytes = new Uint8Array(EOF_MARK_LENGTH);
  /** The load of a received RDB is running: bytes the master sends meanwhile wait. */
  private loadingPayload = false;
  private afterPayload: Uint8Array[] = [];
  /** Stream bytes read but not yet applied, for the sub-replicas (master->querybuf since repl_applied). */
  private unapplied: Uint8Array[] = [];
  private readonly parserLimits: ParserLimits = { maxBulkLength: Number.MAX_SAFE_INTEGER, unauthenticated: false };
  /** Encodes what this replica sends its master (the handshake, REPLCONF ACK). */
  private readonly commandWriter = new ReplyWriter();

  constructor(private readonly server: Server) {}

  get isReplica(): boolean {
    return this.masterHost !== null;
  }

  /** server.masterhost set or cleared: the replication stream's source, and the log lines' role mark (S or M). */
  private setRole(replica: boolean): void {
    this.server.replication.isReplica = replica;
    logger.role = replica ? "S" : "M";
    // The role's oom-score-adj-values entry; a failure is logged there and changes nothing else.
    this.server.setOOMScoreAdj();
  }

  /** slaveIsInHandshakeState */
  get inHandshake(): boolean {
    return this.state !== "none" && this.state !== "connect" && this.state !== "connecting" && this.state !== "transfer" && this.state !== "connected";
  }

  // ---- REPLICAOF -------------------------------------------------------------------

  /**
   * replicationSetMaster: from now on a replica of host:port. A server that was a master
   * keeps its own history as a cached master, so a promoted replica of it may answer
   * +CONTINUE.
   */
  replicationSetMaster(host: string, port: number): void {
    const wasMaster = this.masterHost === null;
    this.masterHost = null;
    if (this.master !== null) this.master.close();
    this.disconnectAllBlockedClients();
    this.masterHost = host;
    this.masterPort = port;
    this.setRole(true);
    this.cancelReplicationHandshake(false);
    if (wasMaster) {
      this.replicationDiscardCachedMaster();
      this.replicationCacheMasterUsingMyself();
    }
    this.server.config.setReplicaOf(host, port);
    this.state = "connect";
    logger.notice(`Connecting to MASTER ${host}:${port}`);
    this.connectWithMaster();
  }

  /**
   * disconnectAllBlockedClients: clients blocked on this server as a master (BLPOP, WAIT...)
   * would wait on a replica for what only its master can do: they are answered
   * -UNBLOCKED and closed. Clients held by a pause are not: their command starts over.
   */
  private disconnectAllBlockedClients(): void {
    const server = this.server;
    for (const client of [...server.blocking.blockedClients]) {
      if (client.blocked?.kind === "postponed") continue;
      server.blocking.unblock(client);
      server.replyError(client, "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)");
      client.closeAfterReply = true;
      server.afterUnblock(client);
    }
  }

  /**
   * replicationUnsetMaster (REPLICAOF NO ONE): a master again. The master's history
   * stays valid as replid2 up to here (shiftReplicationId), and the backlog is kept,
   * so the other replicas of the old master can continue from this one.
   */
  replicationUnsetMaster(): void {
    if (this.masterHost === null) return;
    this.masterHost = null;
    if (this.master !== null) this.master.close();
    this.replicationDiscardCachedMaster();
    this.cancelReplicationHandshake(false);
    const replication = this.server.replication;
    this.setRole(false);
    replication.shiftReplicationId();
    this.disconnectSlaves();
    this.state = "none";
    replication.selectedDb = -1;
    replication.noReplicasSince = unixSeconds();
    this.downSince = 0;
    this.server.config.setReplicaOf(null, 0);
    // restartAOFAfterSYNC: an AOF a sync stopped is turned back on.
    const aof = this.server.persistence.aof;
    if (this.server.config.getBool("appendonly") && aof.state === "off") this.restartAOFAfterSYNC();
  }

  /** disconnectSlaves: this server's own replicas must sync again (its history changed). */
  private disconnectSlaves(): void {
    for (const replica of [...this.server.replication.replicas]) replica.close();
  }

  // ---- connecting and the handshake (connectWithMaster, syncWithMaster) --------------

  connectWithMaster(): void {
    const host = this.masterHost;
    if (host === null) return;
    const generation = ++this.generation;
    this.transferLastIo = unixSeconds();
    this.state = "connecting";
    logger.notice("MASTER <-> REPLICA sync started");
    const ours = (socket: ClientSocket) => generation === this.generation && socket === this.socket;
    Bun.connect<ClientSocketData>({
      hostname: host,
      port: this.masterPort,
      data: { client: null },
      socket: {
        open: (socket) => {
          if (generation !== this.generation) {
            socket.end();
            return;
          }
          this.socket = socket;
          socket.setNoDelay?.(true);
          this.syncWithMaster(null);
        },
        data: (socket, data) => {
          if (ours(socket)) this.onLinkData(data);
        },
        drain: (socket) => {
          if (!ours(socket)) return;
          if (this.master !== null) this.master.drain();
          else this.writeUnsent();
        },
        close: (socket) => {
          if (ours(socket)) this.onLinkClosed("connection lost");
        },
        error: (socket, error) => {
          if (ours(socket)) this.onLinkClosed(errorText(error));
        },
      },
    }).catch((error: unknown) => {
      if (generation !== this.generation || this.state !== "connecting") return;
      // A non-blocking connect reports its failure when syncWithMaster first runs.
      logger.warning(`Error condition on socket for SYNC: ${connectErrorText(error)}`);
      this.generation++;
      this.state = "connect";
    });
  }

  /** Writes handshake bytes; what the socket does not take waits for its drain. */
  private send(bytes: Uint8Array): void {
    this.unsent.push(bytes);
    if (this.unsent.length === 1) this.writeUnsent();
  }

  private sendCommand(...args: string[]): void {
    const writer = this.commandWriter;
    writer.arrayHeader(args.length);
    for (const arg of args) writer.bulkText(arg);
    this.send(writer.take());
  }

  private writeUnsent(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.unsent.length > 0) {
      const head = this.unsent[0]!;
      const written = socket.write(head);
      if (written < 0) return;
      if (written < head.length) {
        this.unsent[0] = head.subarray(written);
        return;
      }
      this.unsent.shift();
    }
  }

  /** The bytes of the link, by state: handshake replies, the RDB, then the stream. */
  private onLinkData(data: Uint8Array): void {
    this.netInputBytes += data.length;
    this.server.stats.readsProcessed++;
    if (this.master !== null) {
      this.onMasterStream(data);
      return;
    }
    if (this.loadingPayload) {
      this.afterPayload.push(Uint8Array.from(data));
      return;
    }
    let rest: Uint8Array | null = data;
    while (rest !== null && rest.length > 0 && this.socket !== null && this.master === null && !this.loadingPayload) {
      if (this.state === "transfer") rest = this.readSyncBulkPayload(rest);
      else rest = this.readHandshakeLine(rest);
    }
    if (rest !== null && rest.length > 0) {
      if (this.master !== null) this.onMasterStream(rest);
      else if (this.loadingPayload) this.afterPayload.push(Uint8Array.from(rest));
    }
  }

  /**
   * One reply line of the handshake (receiveSynchronousResponse) to syncWithMaster.
   * Returns the bytes after it, or null when the line is not complete yet.
   */
  private readHandshakeLine(data: Uint8Array): Uint8Array | null {
    const taken = this.takeLine(data);
    if (taken === null) {
      if (this.pendingLine.length > MAX_HANDSHAKE_LINE) this.handshakeError();
      return null;
    }
    this.syncWithMaster(taken.line);
    return taken.rest;
  }

  /**
   * A line from the master (without its CRLF) and the bytes after it, or null when it is
   * not complete yet: what came so far waits in pendingLine for the next read.
   */
  private takeLine(data: Uint8Array): { line: string; rest: Uint8Array } | null {
    const newline = data.indexOf(LF);
    const head = newline < 0 ? data : data.subarray(0, newline);
    let lineBytes = head;
    if (this.pendingLine.length > 0) {
      lineBytes = new Uint8Array(this.pendingLine.length + head.length);
      lineBytes.set(this.pendingLine);
      lineBytes.set(head, this.pendingLine.length);
    }
    if (newline < 0) {
      this.pendingLine = lineBytes === data ? Uint8Array.from(data) : lineBytes;
      return null;
    }
    this.pendingLine = new Uint8Array(0);
    let line = Buffer.from(lineBytes).toString("latin1");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    return { line, rest: data.subarray(newline + 1) };
  }

  /**
   * syncWithMaster: the handshake, one step per reply. `reply` is the line the master
   * answered (null when the connection just opened).
   */
  private syncWithMaster(reply: string | null): void {
    const server = this.server;
    const config = server.config;
    if (this.state === "none") {
      this.closeSocket();
      return;
    }
    if (this.state === "connecting") {
      logger.notice("Non blocking connect for SYNC fired the event.");
      this.state = "receive-ping-reply";
      this.sendCommand("PING");
      return;
    }
    if (reply === null) return;
    this.transferLastIo = unixSeconds();
    switch (this.state) {
      case "receive-ping-reply": {
        // +PONG, or an authentication error: AUTH comes next anyway.
        if (!reply.startsWith("+") && !reply.startsWith("-NOAUTH") && !reply.startsWith("-NOPERM") && !reply.startsWith("-ERR operation not permitted")) {
          logger.warning(`Error reply to PING from master: '${reply}'`);
          this.handshakeFailed();
          return;
        }
        logger.notice("Master replied to PING, replication can continue...");
        this.sendHandshake();
        return;
      }
      case "receive-auth-reply":
        if (reply.startsWith("-")) {
          logger.warning(`Unable to AUTH to MASTER: ${reply}`);
          this.handshakeFailed();
          return;
        }
        this.state = "receive-port-reply";
        return;
      case "receive-port-reply":
        if (reply.startsWith("-")) logger.notice(`(Non critical) Master does not understand REPLCONF listening-port: ${reply}`);
        this.state = config.getString("replica-announce-ip") !== "" ? "receive-ip-reply" : "receive-capa-reply";
        return;
      case "receive-ip-reply":
        if (reply.startsWith("-")) logger.notice(`(Non critical) Master does not understand REPLCONF ip-address: ${reply}`);
        this.state = "receive-capa-reply";
        return;
      case "receive-capa-reply":
        if (reply.startsWith("-")) logger.notice(`(Non critical) Master does not understand REPLCONF capa: ${reply}`);
        this.state = "send-psync";
        this.slaveTryPartialResynchronization();
        this.state = "receive-psync-reply";
        return;
      case "receive-psync-reply":
        this.readPsyncReply(reply);
        return;
      default:
        return;
    }
  }

  /** REPL_STATE_SEND_HANDSHAKE: AUTH, REPLCONF listening-port [ip-address] capa, sent at once. */
  private sendHandshake(): void {
    const config = this.server.config;
    const masterauth = config.getString("masterauth");
    if (masterauth !== "") {
      const masteruser = config.getString("masteruser");
      if (masteruser !== "") this.sendCommand("AUTH", masteruser, masterauth);
      else this.sendCommand("AUTH", masterauth);
    }
    const announcedPort = config.getNumber("replica-announce-port");
    this.sendCommand("REPLCONF", "listening-port", String(announcedPort !== 0 ? announcedPort : this.server.port));
    const announcedIp = config.getString("replica-announce-ip");
    if (announcedIp !== "") this.sendCommand("REPLCONF", "ip-address", announcedIp);
    this.sendCommand("REPLCONF", "capa", "eof", "capa", "psync2");
    this.state = masterauth !== "" ? "receive-auth-reply" : "receive-port-reply";
  }

  /** slaveTryPartialResynchronization, the writing half: PSYNC with the cached master, or PSYNC ? -1. */
  private slaveTryPartialResynchronization(): void {
    this.psyncInitialOffset = -1;
    const cached = this.cachedMaster;
    if (cached !== null) {
      const offset = String(cached.reploff + 1);
      logger.notice(`Trying a partial resynchronization (request ${cached.replid}:${offset}).`);
      this.sendCommand("PSYNC", cached.replid, offset);
    } else {
      logger.notice("Partial resynchronization not possible (no cached master)");
      this.sendCommand("PSYNC", "?", "-1");
    }
  }

  /** slaveTryPartialResynchronization, the reading half, and what syncWithMaster does with the answer. */
  private readPsyncReply(reply: string): void {
    // Newlines keep the link alive while the master prepares its answer.
    if (reply === "") return;
    if (reply.startsWith("+FULLRESYNC")) {
      const words = reply.split(" ");
      const replid = words[1];
      const offset = words[2];
      if (replid === undefined || offset === undefined || replid.length !== REPLID_LENGTH) {
        logger.warning("Master replied with wrong +FULLRESYNC syntax.");
        this.psyncReplid = "";
      } else {
        this.psyncReplid = replid;
        this.psyncInitialOffset = atoll(offset);
        logger.notice(`Full resync from master: ${replid}:${this.psyncInitialOffset}`);
      }
      this.prepareTransfer();
      return;
    }
    if (reply.startsWith("+CONTINUE")) {
      logger.notice("Successful partial resynchronization with master.");
      const cached = this.cachedMaster!;
      const newId = reply.slice(10).trim();
      const replication = this.server.replication;
      if (newId.length === REPLID_LENGTH && newId !== cached.replid) {
        logger.warning(`Master replication ID changed to ${newId}`);
        replication.replid2 = cached.replid;
        replication.secondReplidOffset = replication.masterReplOffset + 1;
        replication.replid = newId;
        cached.replid = newId;
        this.disconnectSlaves();
      }
      this.replicationResurrectCachedMaster();
      if (replication.backlog === null) replication.createReplicationBacklog();
      logger.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
      return;
    }
    if (reply.startsWith("-NOMASTERLINK") || reply.startsWith("-LOADING")) {
      logger.notice(`Master is currently unable to PSYNC but should be in the future: ${reply}`);
      this.handshakeFailed();
      return;
    }
    if (!reply.startsWith("-ERR")) logger.warning(`Unexpected reply to PSYNC from master: ${reply}`);
    else logger.notice(`Master does not support PSYNC or is in error state (reply: ${reply})`);
    logger.notice("Retrying with SYNC...");
    this.send(Buffer.from("SYNC\r\n", "latin1"));
    this.prepareTransfer();
  }

  /** The end of syncWithMaster: the payload goes to a temp file, or to memory for a diskless load. */
  private prepareTransfer(): void {
    if (!this.useDisklessLoad()) {
      let fd = -1;
      let path = "";
      let failure: unknown = null;
      for (let tries = 0; tries < 5 && fd === -1; tries++) {
        path = join(process.cwd(), `temp-${unixSeconds()}.${process.pid}.rdb`);
        try {
          fd = openSync(path, "wx", 0o644);
        } catch (error) {
          failure = error;
        }
      }
      if (fd === -1) {
        logger.warning(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${errorText(failure)}`);
        this.handshakeFailed();
        return;
      }
      this.transferFile = { path, fd, lastFsync: 0 };
      this.transferChunks = null;
    } else {
      this.transferFile = null;
      this.transferChunks = [];
    }
    this.state = "transfer";
    this.transferSize = -1;
    this.transferRead = 0;
    this.transferLastIo = unixSeconds();
  }

  /** useDisklessLoad */
  private useDisklessLoad(): boolean {
    const mode = this.server.config.getString("repl-diskless-load");
    if (mode === "swapdb") return true;
    if (mode === "on-empty-db") return this.server.dbs.every((db) => db.size === 0);
    return false;
  }

  /** A handshake reply that cannot be one. */
  private handshakeError(): void {
    logger.warning("Master did not respond to command during SYNC handshake");
    this.handshakeFailed();
  }

  /** syncWithMaster's error path: the connection is closed, the next cron tick tries again. */
  private handshakeFailed(): void {
    this.closeSocket();
    this.removeTransferFile();
    this.state = "connect";
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.generation++;
    this.socket = null;
    this.unsent = [];
    this.pendingLine = new Uint8Array(0);
    socket?.end();
  }

  // ---- the RDB (readSyncBulkPayload) -----------------------------------------------

  /**
   * readSyncBulkPayload: the $<len> / $EOF:<mark> line (newlines before it keep the
   * link alive), then the payload to the temp file or memory. Returns the bytes after
   * what it consumed, or null when it needs more.
   */
  private readSyncBulkPayload(data: Uint8Array): Uint8Array | null {
    this.transferLastIo = unixSeconds();
    if (this.transferSize === -1) {
      const taken = this.takeLine(data);
      if (taken === null) return null;
      const { line, rest } = taken;
      if (line.startsWith("-")) {
        logger.warning(`MASTER aborted replication with an error: ${line.slice(1)}`);
        this.cancelReplicationHandshake(true);
        return null;
      }
      if (line === "") return rest;
      if (!line.startsWith("$")) {
        logger.warning(`Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`);
        this.cancelReplicationHandshake(true);
        return null;
      }
      const target = this.transferFile !== null ? "to disk" : "to parser";
      if (line.startsWith("$EOF:") && line.length - 5 >= EOF_MARK_LENGTH) {
        this.eofMark = Buffer.from(line.slice(5, 5 + EOF_MARK_LENGTH), "latin1");
        this.lastBytes.fill(0);
        this.transferSize = 0;
        logger.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${target}`);
      } else {
        this.eofMark = null;
        this.transferSize = atoll(line.slice(1));
        logger.notice(`MASTER <-> REPLICA sync: receiving ${this.transferSize} bytes from master ${target}`);
      }
      return rest;
    }
    let payload = data;
    let rest: Uint8Array | null = null;
    let eofReached = false;
    if (this.eofMark === null) {
      const left = this.transferSize - this.transferRead;
      if (payload.length >= left) {
        rest = payload.subarray(left);
        payload = payload.subarray(0, left);
        eofReached = true;
      }
    } else {
      const mark = this.eofMark;
      // The last 40 bytes read so far: the transfer ends when they are the mark.
      if (payload.length >= EOF_MARK_LENGTH) this.lastBytes.set(payload.subarray(payload.length - EOF_MARK_LENGTH));
      else {
        this.lastBytes.copyWithin(0, payload.length);
        this.lastBytes.set(payload, EOF_MARK_LENGTH - payload.length);
      }
      eofReached = Buffer.compare(this.lastBytes, mark) === 0;
    }
    if (!this.storePayload(payload)) return null;
    this.transferRead += payload.length;
    if (!eofReached) return null;
    if (this.eofMark !== null) this.transferRead -= EOF_MARK_LENGTH;
    if (rest !== null && rest.length > 0) this.afterPayload.push(Uint8Array.from(rest));
    void this.loadPayload();
    return null;
  }

  /** The payload's bytes to the temp file (fsynced every 8 MB) or to memory; false on a write error. */
  private storePayload(payload: Uint8Array): boolean {
    const file = this.transferFile;
    if (file === null) {
      this.transferChunks!.push(Uint8Array.from(payload));
      return true;
    }
    try {
      let written = 0;
      while (written < payload.length) written += writeSync(file.fd, payload, written, payload.length - written);
      if (this.transferRead + payload.length >= file.lastFsync + MAX_WRITTEN_BEFORE_FSYNC) {
        fsyncSync(file.fd);
        file.lastFsync = this.transferRead + payload.length;
      }
      return true;
    } catch (error) {
      logger.warning(`Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: ${errorText(error)}`);
      this.cancelReplicationHandshake(true);
      return false;
    }
  }

  /**
   * The rest of readSyncBulkPayload once the payload is all there: persistence children
   * stopped, the old data emptied (swapdb: kept aside), the RDB loaded, then the master
   * client created with the master's id and offset.
   */
  private async loadPayload(): Promise<void> {
    const server = this.server;
    const persistence = server.persistence;
    const replication = server.replication;
    const generation = this.generation;
    this.loadingPayload = true;
    if (persistence.aof.state !== "off") persistence.aof.stopAppendOnly();
    if (persistence.childSlot.hasActiveRdbChild()) {
      const child = persistence.childSlot.activeChild()!;
      if (this.transferFile !== null) {
        logger.notice(
          `Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process ${child.pid} and removing its temp file to avoid any race`,
        );
      }
      persistence.killRDBChild();
    }
    const swapdb = this.transferFile === null && server.config.getString("repl-diskless-load") === "swapdb";
    let backup: KeyTable[] | null = null;
    if (swapdb) {
      // disklessLoadInitTempDb: the new data loads into tables of its own; the old ones
      // come back if the load fails.
      backup = server.dbs.map((db) => db.table);
      for (const db of server.dbs) db.table = new KeyTable(db.epoch);
      server.scripting.functions.flush();
    } else {
      this.replicationAttachToNewMaster();
      logger.notice("MASTER <-> REPLICA sync: Flushing old data");
      server.emptyData(-1, true);
    }
    logger.notice("MASTER <-> REPLICA sync: Loading DB in memory");
    let loaded: true | Error;
    const file = this.transferFile;
    if (file === null) {
      const source = memoryByteSource(this.transferChunks!, this.transferRead);
      this.transferChunks = null;
      loaded = await persistence.loadFile(source, this.transferRead, false);
      if (loaded !== true) {
        reportLoadFailure(loaded, server.config.getString("dbfilename"), true);
        logger.warning(`Failed trying to load the MASTER synchronization DB from socket: ${loaded.message}`);
      }
    } else {
      loaded = this.installReceivedFile(file);
      if (loaded === true) {
        loaded = await persistence.loadFile(persistence.dbPath, this.transferRead, false);
        if (loaded !== true) {
          reportLoadFailure(loaded, server.config.getString("dbfilename"), true);
          logger.warning(`Failed trying to load the MASTER synchronization DB from disk: ${loaded.message}`);
        }
        this.deleteSyncFileIfUnwanted();
      }
    }
    this.loadingPayload = false;
    const stillOurs = generation === this.generation && this.socket !== null;
    if (loaded !== true || !stillOurs) {
      if (backup !== null) {
        server.dbs.forEach((db, i) => (db.table = backup![i]!));
        logger.notice("MASTER <-> REPLICA sync: Discarding temporary DB in background");
      } else if (loaded !== true) server.emptyData(-1, true);
      this.afterPayload = [];
      if (stillOurs) this.cancelReplicationHandshake(true);
      return;
    }
    if (backup !== null) {
      this.replicationAttachToNewMaster();
      logger.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
      // The old tables come back for a moment so that emptyData signals WATCH and
      // blocked clients for their keys, as swapMainDbWithTempDb does.
      const loadedTables = server.dbs.map((db) => db.table);
      server.dbs.forEach((db, i) => (db.table = backup![i]!));
      server.emptyData(-1);
      server.dbs.forEach((db, i) => (db.table = loadedTables[i]!));
      logger.notice("MASTER <-> REPLICA sync: Discarding old DB in background");
    }
    // Loaded from memory, the new dataset is on no disk yet: a change for the save points.
    // Loaded from the file that became dbfilename, it is saved as it is.
    if (file === null) server.datasetChanged(1);
    else server.dirty = 0;
    const info = persistence.rdbReplicationInfo;
    this.replicationCreateMasterClient(info !== null && info.streamDb >= 0 ? info.streamDb : 0, this.psyncReplid, this.psyncInitialOffset);
    replication.replid = this.masterReplid;
    replication.masterReplOffset = this.reploff;
    replication.clearReplicationId2();
    if (replication.backlog === null) replication.createReplicationBacklog();
    logger.notice("MASTER <-> REPLICA sync: Finished with success");
    // The master puts a diskless replica online at its first ACK.
    if (this.eofMark !== null) this.replicationSendAck();
    if (server.config.getBool("appendonly")) this.restartAOFAfterSYNC();
    const pending = this.afterPayload;
    this.afterPayload = [];
    for (const chunk of pending) if (this.master !== null) this.onMasterStream(chunk);
  }

  /** fsync, rename over dbfilename, fsync the directory (the disk-load path). */
  private installReceivedFile(file: { path: string; fd: number }): true | Error {
    this.transferFile = null;
    const dbfilename = this.server.config.getString("dbfilename");
    try {
      fsyncSync(file.fd);
    } catch (error) {
      closeSync(file.fd);
      logger.warning(`Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: ${errorText(error)}`);
      return error as Error;
    }
    closeSync(file.fd);
    try {
      renameSync(file.path, this.server.persistence.dbPath);
    } catch (error) {
      logger.warning(`Failed trying to rename the temp DB into ${dbfilename} in MASTER <-> REPLICA synchronization: ${errorText(error)}`);
      return error as Error;
    }
    try {
      const dir = openSync(process.cwd(), "r");
      fsyncSync(dir);
      closeSync(dir);
    } catch (error) {
      logger.warning(`Failed trying to sync DB directory ${dbfilename} in MASTER <-> REPLICA synchronization: ${errorText(error)}`);
      return error as Error;
    }
    return true;
  }

  /**
   * rdb-del-sync-files: a replica that persists nothing (no save points, no AOF) does not
   * keep the file its master sent.
   */
  private deleteSyncFileIfUnwanted(): void {
    const config = this.server.config;
    if (!config.getBool("rdb-del-sync-files") || !this.server.persistence.allPersistenceDisabled()) return;
    logger.notice("Removing the RDB file obtained from the master. This replica has persistence disabled");
    try {
      unlinkSync(this.server.persistence.dbPath);
    } catch {
      // Already gone.
    }
  }

  /** replicationAbortSyncTransfer's file part: the temp file goes. */
  private removeTransferFile(): void {
    const file = this.transferFile;
    this.transferFile = null;
    this.transferChunks = null;
    if (file === null) return;
    try {
      closeSync(file.fd);
    } catch {
      // Already closed.
    }
    try {
      unlinkSync(file.path);
    } catch {
      // Already gone.
    }
  }

  /**
   * replicationAttachToNewMaster: a different dataset is coming, so the cached master
   * is useless, this server's replicas must sync again and its backlog cannot serve them.
   */
  private replicationAttachToNewMaster(): void {
    this.replicationDiscardCachedMaster();
    this.disconnectSlaves();
    this.server.replication.freeReplicationBacklog();
  }

  /** restartAOFAfterSYNC: the AOF starts over from the synced dataset (a rewrite). */
  private restartAOFAfterSYNC(): void {
    if (!this.server.persistence.aof.startAppendOnly()) {
      // Redis retries ten times a second apart and then exits; a replica whose AOF
      // cannot start is not reliable.
      logger.warning("FATAL: this replica instance finished the synchronization with its master, but the AOF can't be turned on. Exiting now.");
      this.server.onExit(1);
    }
  }

  /**
   * cancelReplicationHandshake: a handshake or transfer under way is abandoned (state
   * "connect"); with `reconnect`, a new attempt starts at once.
   */
  cancelReplicationHandshake(reconnect: boolean): boolean {
    if (this.state === "transfer") {
      this.closeSocket();
      this.removeTransferFile();
      this.state = "connect";
    } else if (this.state === "connecting" || this.inHandshake) {
      this.closeSocket();
      this.state = "connect";
    } else return false;
    if (!reconnect) return true;
    logger.notice(`Reconnecting to MASTER ${this.masterHost}:${this.masterPort} after failure`);
    this.connectWithMaster();
    return true;
  }

  /** The link's socket closed or failed before the master client took it over. */
  private onLinkClosed(reason: string): void {
    if (this.master !== null) {
      this.master.close();
      return;
    }
    if (this.state === "transfer") {
      if (this.loadingPayload) return;
      logger.warning(`I/O error trying to sync with MASTER: ${reason}`);
      this.cancelReplicationHandshake(true);
    } else if (this.inHandshake || this.state === "connecting") {
      logger.warning(`Failed to read response from the server: ${reason === "connection lost" ? "Connection reset by peer" : reason}`);
      logger.warning("Master did not respond to command during SYNC handshake");
      this.handshakeFailed();
    }
  }

  // ---- the master client ----------------------------------------------------------

  /** replicationCreateMasterClient: the connection becomes the client the master's stream runs in. */
  private replicationCreateMasterClient(dbIndex: number, replid: string, offset: number): void {
    const socket = this.socket!;
    const server = this.server;
    const local = `${(socket as unknown as { localAddress?: string }).localAddress ?? "127.0.0.1"}:${(socket as unknown as { localPort?: number }).localPort ?? 0}`;
    const remote = `${this.masterHost}:${this.masterPort}`;
    const master = new Client(server.allocateClientId(), server, socket, remote, local);
    socket.data.client = master;
    master.authenticated = true;
    master.mustObey = true;
    // Nothing is answered to a master, except REPLCONF GETACK (replicationSendAck).
    master.replyMode = "off";
    master.reply.enabled = false;
    master.dbIndex = Math.min(Math.max(0, dbIndex), server.dbs.length - 1);
    this.master = master;
    this.reploff = offset;
    this.readReploff = offset;
    this.masterReplid = replid;
    this.prePsync = offset === -1;
    this.unapplied = [];
    server.clients.set(master.id, master);
    this.state = "connected";
    this.downSince = 0;
  }

  /** replicationResurrectCachedMaster: after +CONTINUE the cached master runs the stream again. */
  private replicationResurrectCachedMaster(): void {
    const cached = this.cachedMaster!;
    this.cachedMaster = null;
    this.replicationCreateMasterClient(cached.dbIndex, cached.replid, cached.reploff);
  }

  /**
   * replicationCacheMaster, called when the master client goes (the link dropped, a
   * timeout, CLIENT KILL TYPE master, REPLICAOF): what it had applied is kept for PSYNC,
   * what was read but not applied is dropped, and, still a replica of it, a new
   * connection starts at once.
   */
  masterClientClosed(master: Client): void {
    if (master !== this.master) return;
    this.master = null;
    this.generation++;
    this.socket = null;
    this.unsent = [];
    this.unapplied = [];
    // Cached even when REPLICAOF is leaving this master: the next master may be one of
    // its other replicas, promoted, which still knows its history (PSYNC2).
    logger.warning("Connection with master lost.");
    logger.notice("Caching the disconnected master state.");
    this.cachedMaster = { replid: this.masterReplid, reploff: this.reploff, dbIndex: master.dbIndex };
    this.readReploff = this.reploff;
    // replicationHandleMasterDisconnection
    this.state = "connect";
    this.downSince = unixSeconds();
    if (this.masterHost === null) return;
    logger.notice(`Reconnecting to MASTER ${this.masterHost}:${this.masterPort}`);
    this.connectWithMaster();
  }

  /**
   * replicationCacheMasterUsingMyself: a master turning replica offers its own history
   * to the new master (which may be its former replica, able to answer +CONTINUE).
   */
  private replicationCacheMasterUsingMyself(): void {
    logger.notice(
      "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
    );
    const replication = this.server.replication;
    this.cachedMaster = { replid: replication.replid, reploff: replication.masterReplOffset, dbIndex: 0 };
  }

  /** replicationDiscardCachedMaster */
  replicationDiscardCachedMaster(): void {
    if (this.cachedMaster === null) return;
    logger.notice("Discarding previously cached master state.");
    this.cachedMaster = null;
  }

  /**
   * The stream from the master: each complete command runs (processCommand, as any
   * client's, with mustObey), reploff follows the commands applied outside MULTI, and
   * the applied bytes go on as they came to this server's backlog and replicas.
   */
  private onMasterStream(data: Uint8Array): void {
    const master = this.master!;
    const server = this.server;
    this.readReploff += data.length;
    master.totalNetInput += data.length;
    master.lastInteraction = Date.now();
    if (server.replication.backlog !== null) this.unapplied.push(Uint8Array.from(data));
    master.parser.feed(data);
    this.processMasterInput();
  }

  private processMasterInput(): void {
    const master = this.master!;
    const server = this.server;
    const limits = this.parserLimits;
    while (!master.closed && master.blocked === null) {
      const request = master.parser.next(limits);
      if (request === null) break;
      if (request instanceof ProtocolError) {
        logger.warning(`Protocol error (${request.logMessage}) from client: ${describeClientLine(server, master)}. ${master.parser.protocolErrorSample()}`);
        this.masterProtocolError();
        return;
      }
      server.processCommand(master, request);
      if (master.inMulti) continue;
      // commandProcessed: what was applied goes on to our backlog and replicas command by
      // command (a failing command's log shows the backlog up to the one before it).
      const before = this.reploff;
      this.reploff = this.readReploff - master.parser.bufferedBytes;
      if (this.reploff > before) this.replicationFeedStreamFromMasterStream(this.reploff - before);
    }
    master.parser.trimProcessed();
    if (master.reply.length > 0) master.flush();
  }

  /** A master that sends garbage is not cached: the next sync is a full one. */
  private masterProtocolError(): void {
    const master = this.master!;
    this.master = null;
    this.socket = null;
    this.generation++;
    master.close();
    this.state = "connect";
    this.downSince = unixSeconds();
  }

  /** replicationFeedStreamFromMasterStream: `length` applied bytes, from the unapplied ones, as they came. */
  private replicationFeedStreamFromMasterStream(length: number): void {
    const replication = this.server.replication;
    if (replication.backlog === null) {
      this.unapplied = [];
      // Without a backlog the offset still follows the master's (a PRE_PSYNC master, say).
      replication.masterReplOffset += length;
      return;
    }
    let left = length;
    while (left > 0 && this.unapplied.length > 0) {
      const head = this.unapplied[0]!;
      if (head.length <= left) {
        replication.feedReplicationBuffer(head);
        left -= head.length;
        this.unapplied.shift();
      } else {
        replication.feedReplicationBuffer(head.subarray(0, left));
        this.unapplied[0] = head.subarray(left);
        left = 0;
      }
    }
  }

  /** replicationSendAck: REPLCONF ACK <reploff>, the one thing a replica writes to its master. */
  replicationSendAck(): void {
    const master = this.master;
    if (master === null || master.closed) return;
    const writer = this.commandWriter;
    writer.arrayHeader(3);
    writer.bulkText("REPLCONF");
    writer.bulkText("ACK");
    writer.bulkText(String(this.reploff));
    const bytes = writer.take();
    const enabled = master.reply.enabled;
    master.reply.enabled = true;
    master.reply.raw(bytes);
    master.reply.enabled = enabled;
    if (master !== this.server.currentClient) master.flush();
  }

  /** replicationGetSlaveOffset */
  slaveOffset(): number {
    if (this.masterHost === null) return 0;
    if (this.master !== null) return Math.max(0, this.reploff);
    if (this.cachedMaster !== null) return Math.max(0, this.cachedMaster.reploff);
    return 0;
  }

  // ---- the cron (replicationCron's replica half) ---------------------------------------

  /** Once a second: timeouts of the connection, the transfer and a silent master; reconnect; ACK. */
  replicaCron(): void {
    if (this.masterHost === null) return;
    const now = unixSeconds();
    const timeout = this.server.config.getNumber("repl-timeout");
    if ((this.state === "connecting" || this.inHandshake) && now - this.transferLastIo > timeout) {
      logger.warning("Timeout connecting to the MASTER...");
      this.cancelReplicationHandshake(true);
    }
    if (this.state === "transfer" && !this.loadingPayload && now - this.transferLastIo > timeout) {
      logger.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.cancelReplicationHandshake(true);
    }
    const master = this.master;
    if (this.state === "connected" && master !== null && now - Math.floor(master.lastInteraction / 1000) > timeout) {
      logger.warning("MASTER timeout: no data nor PING received...");
      master.close();
    }
    if (this.state === "connect") {
      logger.notice(`Connecting to MASTER ${this.masterHost}:${this.masterPort}`);
      this.connectWithMaster();
    }
    if (this.master !== null && !this.prePsync) this.replicationSendAck();
  }

  // ---- persistence: the replication info an RDB carries ----------------------------

  /**
   * rdbPopulateSaveInfo's replica branches: the stream's database of the master (or of
   * the cached master), with this server's replid and offset, which are the master's.
   */
  rdbSaveInfo(): RdbReplicationInfo | null {
    if (this.masterHost === null) return null;
    const replication = this.server.replication;
    let streamDb: number;
    if (this.master !== null) streamDb = this.master.dbIndex;
    else if (this.cachedMaster !== null) streamDb = this.cachedMaster.dbIndex;
    else return null;
    return { streamDb, replId: replication.replid, offset: replication.masterReplOffset };
  }

  /**
   * loadDataFromDisk's replica branch: an RDB that carries a replication id and offset
   * makes them this server's and a cached master, so the first handshake asks PSYNC.
   */
  restoreFromRdb(info: RdbReplicationInfo | null): void {
    if (this.masterHost === null || info === null || info.offset === -1 || info.streamDb === -1) return;
    const replication = this.server.replication;
    replication.replid = info.replId;
    replication.masterReplOffset = info.offset;
    this.replicationCacheMasterUsingMyself();
    this.cachedMaster!.dbIndex = info.streamDb;
  }

  /** The replicaof directive at start-up: a replica from the start, connecting from the first cron tick. */
  configureFromStartup(host: string, port: number): void {
    this.masterHost = host;
    this.masterPort = port;
    this.setRole(true);
    this.state = "connect";
  }

  // ---- what INFO and ROLE show ---------------------------------------------------------

  /** ROLE's replica state. */
  roleState(): string {
    if (this.inHandshake) return "handshake";
    switch (this.state) {
      case "none":
        return "none";
      case "connect":
        return "connect";
      case "connecting":
        return "connecting";
      case "transfer":
        return "sync";
      case "connected":
        return "connected";
      default:
        return "unknown";
    }
  }

  /** INFO replication's replica fields, between role: and connected_slaves:. */
  infoFields(): string[] {
    if (this.masterHost === null) return [];
    const config = this.server.config;
    const now = unixSeconds();
    let offset = 1;
    let readOffset = 1;
    if (this.master !== null) {
      offset = this.reploff;
      readOffset = this.readReploff;
    } else if (this.cachedMaster !== null) {
      offset = this.cachedMaster.reploff;
      readOffset = this.cachedMaster.reploff;
    }
    const lines = [
      `master_host:${this.masterHost}`,
      `master_port:${this.masterPort}`,
      `master_link_status:${this.state === "connected" ? "up" : "down"}`,
      `master_last_io_seconds_ago:${this.master !== null ? now - Math.floor(this.master.lastInteraction / 1000) : -1}`,
      `master_sync_in_progress:${this.state === "transfer" ? 1 : 0}`,
      `slave_read_repl_offset:${readOffset}`,
      `slave_repl_offset:${offset}`,
    ];
    if (this.state === "transfer") {
      const perc = this.transferSize > 0 ? (this.transferRead / this.transferSize) * 100 : 0;
      lines.push(
        `master_sync_total_bytes:${this.transferSize}`,
        `master_sync_read_bytes:${this.transferRead}`,
        `master_sync_left_bytes:${this.transferSize - this.transferRead}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${now - this.transferLastIo}`,
      );
    }
    if (this.state !== "connected") lines.push(`master_link_down_since_seconds:${this.downSince !== 0 ? now - this.downSince : -1}`);
    lines.push(
      `slave_priority:${config.getNumber("replica-priority")}`,
      `slave_read_only:${config.getBool("replica-read-only") ? 1 : 0}`,
      `replica_announced:${config.getBool("replica-announced") ? 1 : 0}`,
    );
    return lines;
  }

  // ---- what the rest of the server asks ---------------------------------------------

  /** The master's command is running: keys are never expired for it (expireIfNeeded). */
  masterCommandRunning(): boolean {
    return this.master !== null && this.server.currentClient === this.master;
  }

  /** The commands of a user are refused with -MASTERDOWN (replica-serve-stale-data no and the link down). */
  get staleDenied(): boolean {
    return this.masterHost !== null && this.state !== "connected" && !this.server.config.getBool("replica-serve-stale-data");
  }
}

/** What strerror says of a refused or unreachable connection. */
function connectErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ECONNREFUSED") return "Connection refused";
  if (code === "ETIMEDOUT") return "Connection timed out";
  if (code === "EHOSTUNREACH") return "No route to host";
  if (code === "ENETUNREACH") return "Network is unreachable";
  return errorText(error);
}

