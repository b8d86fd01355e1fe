// The Server: listeners, clients, databases, the command dispatcher and the stats
// INFO reports. Mirrors Redis's server.c: processCommand() checks a command against
// the connection's state (auth, arity, MULTI, pub/sub context, loading, MISCONF)
// and call() runs it and accounts for it.

import type { TCPSocketListener, TCPSocketListenOptions, UnixSocketListener } from "bun";
import { chmodSync, unlinkSync, writeFileSync } from "node:fs";
import { Client, CLIENT_ID_AOF, REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, REPLY_MIN_BYTES, type ClientSocket, type ClientSocketData } from "./net/client.ts";
import { ProtocolError, type ParserLimits } from "./protocol/parser.ts";
import { CommandTable, type Command } from "./commands/table.ts";
import { Database, type KeyspaceEvents } from "./db/keyspace.ts";
import { elapsedMicros } from "./util/clock.ts";
import { CommandEpoch } from "./db/value-arena.ts";
import { STARTUP_BYTES } from "./memory.ts";
import { EVICT_FAIL, Evictor } from "./evict.ts";
import { argLower, bytesToKey, copyBytes, keyToBytes } from "./db/bytes.ts";
import { Config, ConfigError } from "./config.ts";
import { logger } from "./log.ts";
import { setOOMScoreAdj } from "./oom-score-adj.ts";
import { PubSub } from "./pubsub.ts";
import { Notifier, NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from "./notify.ts";
import { BlockingRegistry } from "./blocking.ts";
import { WatchRegistry } from "./watch.ts";
import { Tracking } from "./tracking.ts";
import * as errors from "./errors.ts";
import { SlowLog } from "./slowlog.ts";
import { LatencyMonitor } from "./latency.ts";
import { Persistence } from "./persistence/persistence.ts";
import { Propagation, PROPAGATE_ALL, SHARED } from "./propagate.ts";
import { Scripting } from "./scripting/scripting.ts";
import { sdscatrepr } from "./util/repr.ts";
import { errorText } from "./util/errors-text.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import { serverPanic } from "./crash.ts";
import { describeClientLine } from "./info.ts";
import type { ClientOutputBufferLimit } from "./config.ts";
import { Replication } from "./replication/replication.ts";
import { MasterLink } from "./replication/replica.ts";
import { NOREPLICAS_ERROR, ReplicationMaster } from "./replication/master.ts";
import { LibcRand } from "./util/libc-rand.ts";

export interface ServerStats {
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  netInputBytes: number;
  netOutputBytes: number;
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  totalErrorReplies: number;
  errorCounts: Map<string, number>;
  unexpectedErrorReplies: number;
  /** Ring of (time, commands, netIn, netOut) samples for instantaneous_* fields. */
  samples: Array<[number, number, number, number]>;
  pubsubChannelsPeak: number;
  /** clientsCronResizeOutputBuffer's shrinks and expansions of reply buffers (INFO reply_buffer_*). */
  replyBufferShrinks: number;
  replyBufferExpands: number;
  readsProcessed: number;
  writesProcessed: number;
}

/**
 * An offset from performance.now() to the unix time anchored on Date.now(), which is
 * whole milliseconds: the time derived from it lags the real time by less than a
 * millisecond and is never ahead of Date.now() (a client's idle time never reads -1).
 */
function wallClockFromNow(): number {
  return Date.now() - performance.now();
}

/** timeOrigin, exact, while it still agrees with Date.now(); else wallClockFromNow(). */
function initialWallClockOffset(): number {
  const now = Date.now();
  const derived = performance.timeOrigin + performance.now();
  return derived >= now - 1 && derived < now + 1 ? performance.timeOrigin : wallClockFromNow();
}

/** Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS: how many seconds "recent" covers in INFO's client peaks. */
export const CLIENTS_PEAK_MEM_USAGE_SLOTS = 8;

/**
 * A read of at least this many bytes (Redis's PROTO_IOBUF_LEN, the most its readQueryFromClient
 * asks for at once) is freed as soon as its requests ran: see onRead.
 */
const READ_RELEASE_MIN_BYTES = 16 * 1024;

export class Server {
  dbs: Database[] = [];
  readonly clients = new Map<number, Client>();
  private nextClientId = 1;
  /** One listener per `bind` address; CONFIG SET port replaces them. */
  private tcpListeners: TCPSocketListener<ClientSocketData>[] = [];
  private unixListener: UnixSocketListener<ClientSocketData> | null = null;
  readonly pubsub = new PubSub();
  readonly notifier = new Notifier(this.pubsub);
  readonly blocking = new BlockingRegistry();
  readonly watches = new WatchRegistry();
  /** Client-side caching: the tracking table, BCAST prefixes, invalidations (tracking.ts). */
  readonly tracking = new Tracking(this);
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  /** The effect stream of write commands (AOF, replicas and tests attach feeds). */
  readonly propagation = new Propagation();
  /** Lua scripts: the EVAL state and cache, the running script. */
  readonly scripting: Scripting;
  readonly persistence: Persistence;
  /** Replication ids, offset, backlog and the replicas' stream (replication/). */
  readonly replication = new Replication(this);
  /** This server's link to its master when it is a replica (replication/replica.ts). */
  readonly masterLink = new MasterLink(this);
  /** The master side of replication: SYNC/PSYNC, full syncs, WAIT (replication/master.ts). */
  readonly master: ReplicationMaster;
  /** maxmemory and maxmemory-clients: key and client eviction (evict.ts). */
  readonly evictor: Evictor;
  /**
   * pre_command_oom_state: performEvictions found nothing more to free before the running
   * command; a script's first denyoom call is refused then (script.ts), not mid-way.
   */
  preCommandOomState = false;
  /** C's rand() as Redis seeds it: LOLWUT draws its art from it (commands/lolwut.ts). */
  readonly libcRand = LibcRand.seededAsRedis();
  readonly startTime = Date.now();
  readonly runId: string;
  /** used_memory_startup (memory.ts): the server's own structures, counted in used_memory. */
  usedMemoryStartup = STARTUP_BYTES;
  /** used_memory_peak: the most usedMemory() has returned. */
  usedMemoryPeak = 0;
  cron: import("./cron.ts").Cron | null = null;
  /** latency-tracking: per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats). */
  latencyTracking = true;
  /** Port actually bound (differs from config with `port 0`). */
  port = 0;
  stats: ServerStats = Server.emptyStats();
  /** rdb_changes_since_last_save */
  dirty = 0;
  /** server.loading: an RDB or AOF load runs (set with setLoading). */
  loading = false;
  monitors = new Set<Client>();
  /** CLIENT PAUSE: until (unix ms) and whether only writes are paused. */
  pausedUntil = 0;
  pauseWritesOnly = false;
  /**
   * Writes paused while a shutdown waits for its replicas (Redis's PAUSE_DURING_SHUTDOWN):
   * a pause of its own, which CLIENT UNPAUSE does not end.
   */
  shutdownPause = false;
  /**
   * Clients whose replies wait for the before-reply stage, each once (Client.replyQueued),
   * in the order they were queued. An array and a flag rather than a Set: with a hook
   * every read queues its client, and the stage swaps this with `flushingReplies`.
   */
  private pendingReplies: Client[] = [];
  private flushingReplies: Client[] = [];
  private beforeSleepScheduled = false;
  /** server.in_exec: EXEC is running its queue (BGSAVE inside it is scheduled instead). */
  inExec = false;
  /** The client whose command is running (for MONITOR, CLIENT commands, errors). */
  currentClient: Client | null = null;
  shuttingDown = false;
  /** closeListeners ran (SHUTDOWN's last step): the clients' sockets close with them. */
  private listenersClosed = false;
  /** Called with the exit code once the server has shut down (main.ts exits the process). */
  onExit: (code: number) => void = (code) => process.exit(code);
  /**
   * The unix ms time the running command sees (0 until it first asks), and how many
   * call()s are running (EXEC runs its queue through nested calls). Redis 7.0's call()
   * fixes the time for a command (fixed_time_expire and the cached mstime) so that keys
   * do not expire half-way through it; here it also means the keyspace reads the clock
   * once per command instead of once per key it touches (MSET of 10 keys: 10 reads),
   * and a command that touches no key does not read it at all.
   */
  private commandTime = 0;
  private commandDepth = 0;
  /**
   * Counts the commands call() runs, nested ones included, for the databases' value
   * arenas (the rule on views of arena bytes is at CommandEpoch).
   */
  readonly commandEpoch = new CommandEpoch();
  /** performance.now() when the outermost running call() started. */
  private commandStart = 0;
  /**
   * wallClockOffset + performance.now() is the unix time in ms, so the command's time
   * comes from the reading call() takes for its duration anyway, without a Date.now()
   * (a clock read costs about 35 ns here, a tenth of a pipelined SET). The two clocks
   * only part when the system clock is stepped: syncWallClock() re-anchors then. The
   * process's timeOrigin is exact; if the clock was stepped since the process started (a
   * long test run makes many servers), the server anchors on Date.now() (wallClockFromNow).
   */
  private wallClockOffset = initialWallClockOffset();
  /** The keyspace's clock: the command's fixed time inside a command, the real time outside. */
  readonly clock = (): number => {
    if (this.commandDepth === 0) return Date.now();
    if (this.commandTime === 0) this.commandTime = Math.floor(this.wallClockOffset + this.commandStart);
    return this.commandTime;
  };

  /** Re-anchors the command clock on Date.now() if the system clock was stepped (serverCron, every tick). */
  syncWallClock(): void {
    const now = Date.now();
    const derived = this.wallClockOffset + performance.now();
    // Normally derived is within [now, now + 1): allow a millisecond of slack either way.
    if (derived < now - 1 || derived >= now + 2) this.wallClockOffset = wallClockFromNow();
  }
  /** Cached config values read on every command. */
  private maxBulkLength = 512 * 1024 * 1024;
  private queryBufferLimit = 1024 * 1024 * 1024;
  private requirePass = "";
  /** client-output-buffer-limit of the normal and pubsub classes. */
  private normalOutputLimit: ClientOutputBufferLimit = { hard: 0, soft: 0, softSeconds: 0 };
  private pubsubOutputLimit: ClientOutputBufferLimit = { hard: 0, soft: 0, softSeconds: 0 };
  /** client-output-buffer-limit replica (Redis's class "slave"). */
  private replicaOutputLimit: ClientOutputBufferLimit = { hard: 0, soft: 0, softSeconds: 0 };
  /**
   * Output (reply buffer plus what the socket has not taken) past which a client's
   * limits are worth checking: the smallest reply buffer plus the smallest limit that
   * is set, Infinity when nothing is limited. A client that must still authenticate is
   * checked whatever its output. One comparison per command and per flush.
   */
  outputLimitCheckBytes = Infinity;
  /** DEBUG REPLYBUFFER PEAK-RESET-TIME (ms, -1: never) and RESIZING: the reply buffer's serverCron resizing. */
  replyBufferPeakResetTime = REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME;
  replyBufferResizing = true;
  /**
   * ClientsPeakMemInput / ClientsPeakMemOutput: the largest client input (query buffer and
   * arguments) and output (the replies the socket has not taken) the cron saw in each of
   * the last 8 seconds, one slot per second; INFO's client_recent_max_* are their maxima.
   */
  readonly clientsPeakMemInput = new Float64Array(CLIENTS_PEAK_MEM_USAGE_SLOTS);
  readonly clientsPeakMemOutput = new Float64Array(CLIENTS_PEAK_MEM_USAGE_SLOTS);

  constructor(
    readonly config: Config,
    readonly table: CommandTable = new CommandTable(),
  ) {
    this.runId = [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, "0")).join("");
    this.createDatabases(config.getNumber("databases"));
    this.applyConfig();
    this.blocking.onTimer = () => this.expireBlockedClients();
    this.persistence = new Persistence(this);
    this.master = new ReplicationMaster(this);
    this.scripting = new Scripting(this);
    this.evictor = new Evictor(this);
  }

  static emptyStats(): ServerStats {
    return {
      totalConnections: 0,
      totalCommands: 0,
      rejectedConnections: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      keyspaceHits: 0,
      keyspaceMisses: 0,
      totalErrorReplies: 0,
      errorCounts: new Map(),
      unexpectedErrorReplies: 0,
      samples: [],
      pubsubChannelsPeak: 0,
      replyBufferShrinks: 0,
      replyBufferExpands: 0,
      readsProcessed: 0,
      writesProcessed: 0,
    };
  }

  private createDatabases(count: number): void {
    const events: KeyspaceEvents = {
      // deleteExpiredKeyAndPropagate: after the keyspace removed the key.
      onExpired: (db: Database, key: string) => {
        this.stats.expiredKeys++;
        this.notifier.notify(NOTIFY_EXPIRED, "expired", key, db.index);
        this.signalModifiedKey(null, db, key);
        this.propagateDeletion(db.index, key, this.lazyfreeLazyExpire);
      },
      onNewKey: (db: Database, key: string) => {
        if (this.notifier.flags & NOTIFY_NEW) this.notifier.notify(NOTIFY_NEW, "new", key, db.index);
      },
      wantsNewKeys: () => (this.notifier.flags & NOTIFY_NEW) !== 0,
      wantsKeyMisses: () => (this.notifier.flags & NOTIFY_KEY_MISS) !== 0,
      keyWaiters: () => this.blocking.keyWaiterCount > 0,
      onKeyReady: (db: Database, key: string) => this.blocking.signalKeyReady(db.index, key),
      isLoading: () => this.loading,
      clientsPaused: () => this.clientsArePaused(),
      replicaExpiry: () => {
        const link = this.masterLink;
        if (link.masterHost === null) return 0;
        if (link.masterCommandRunning()) return 1;
        return this.replicaReadOnly ? 2 : 0;
      },
      onKeyMiss: (db: Database, key: string) => {
        if (this.notifier.flags & NOTIFY_KEY_MISS) this.notifier.notify(NOTIFY_KEY_MISS, "keymiss", key, db.index);
      },
    };
    for (let i = 0; i < count; i++) {
      const db = new Database(i, this.commandEpoch);
      db.now = this.clock;
      db.events = events;
      this.dbs.push(db);
    }
  }

  // lazyfree-lazy-*: Bunker frees memory the same way whatever they say, but these two
  // decide whether a deletion is replicated as DEL or as UNLINK (lazyfree-lazy-server-del
  // decides nothing else in Redis 7.0, so it has no field: docs/configuration.md).
  /** Expired keys (lazy and active expiry, EXPIRE/GETEX in the past). */
  lazyfreeLazyExpire = false;
  /** GETDEL (DEL is replicated as sent). */
  lazyfreeLazyUserDel = false;

  /** replica-read-only (server.repl_slave_ro): a replica refuses users' writes. */
  replicaReadOnly = true;

  /** propagateDeletion: a key the server deleted by itself goes to the effect stream as DEL (or UNLINK). */
  propagateDeletion(dbIndex: number, key: string, lazy: boolean): void {
    if (!this.propagation.active) return;
    this.propagation.alsoPropagate(dbIndex, [lazy ? SHARED.unlink : SHARED.del, keyToBytes(key)]);
  }

  /** Reads config values the hot path uses, and keeps them fresh on CONFIG SET. */
  private applyConfig(): void {
    const c = this.config;
    const refresh = () => {
      this.maxBulkLength = c.getNumber("proto-max-bulk-len");
      this.queryBufferLimit = c.getNumber("client-query-buffer-limit");
      this.requirePass = c.getString("requirepass");
      this.normalOutputLimit = c.clientOutputBufferLimit("normal");
      this.pubsubOutputLimit = c.clientOutputBufferLimit("pubsub");
      this.replicaOutputLimit = c.clientOutputBufferLimit("replica");
      let smallest = Infinity;
      for (const limit of [this.normalOutputLimit, this.pubsubOutputLimit, this.replicaOutputLimit]) {
        if (limit.hard > 0) smallest = Math.min(smallest, limit.hard);
        if (limit.soft > 0) smallest = Math.min(smallest, limit.soft);
      }
      this.outputLimitCheckBytes = REPLY_MIN_BYTES + smallest;
      this.notifier.flags = c.keyspaceEventFlags();
      this.slowlog.maxLength = c.getNumber("slowlog-max-len");
      this.slowlog.slowerThan = c.getNumber("slowlog-log-slower-than");
      this.latency.threshold = c.getNumber("latency-monitor-threshold");
      this.latencyTracking = c.getBool("latency-tracking");
      logger.level = c.getString("loglevel") as typeof logger.level;
      this.lazyfreeLazyExpire = c.getBool("lazyfree-lazy-expire");
      this.lazyfreeLazyUserDel = c.getBool("lazyfree-lazy-user-del");
      this.tracking.maxKeys = c.getNumber("tracking-table-max-keys");
      this.replicaReadOnly = c.getBool("replica-read-only");
    };
    refresh();
    for (const name of [
      "proto-max-bulk-len",
      "client-query-buffer-limit",
      "requirepass",
      "client-output-buffer-limit",
      "notify-keyspace-events",
      "slowlog-max-len",
      "slowlog-log-slower-than",
      "latency-monitor-threshold",
      "latency-tracking",
      "loglevel",
      "lazyfree-lazy-expire",
      "lazyfree-lazy-user-del",
      "tracking-table-max-keys",
      "replica-read-only",
    ]) {
      c.onChange(name, refresh);
    }
    const applyLfu = () => {
      const lfu = c.getString("maxmemory-policy").includes("lfu")
        ? { logFactor: c.getNumber("lfu-log-factor"), decayMinutes: c.getNumber("lfu-decay-time") }
        : null;
      for (const db of this.dbs) db.lfu = lfu;
    };
    applyLfu();
    for (const name of ["maxmemory-policy", "lfu-log-factor", "lfu-decay-time"]) c.onChange(name, applyLfu);
    for (const name of ["oom-score-adj", "oom-score-adj-values"]) {
      c.onChange(name, () => {
        if (!this.setOOMScoreAdj()) throw new ConfigError("Failed to set current oom_score_adj. Check server logs.");
      });
    }
    logger.file = c.getString("logfile");
    c.onChange("logfile", (value) => {
      logger.file = value;
    });
  }

  /** setOOMScoreAdj(-1): the score of this server's role, master or replica. */
  setOOMScoreAdj(): boolean {
    return setOOMScoreAdj(this.config, this.replication.isReplica ? "replica" : "master");
  }

  /**
   * A change to the dataset as a whole (FLUSHDB, FLUSHALL, SWAPDB, a function library, a
   * replica's full sync loaded from memory): the dirty counter, which save points read
   * and which makes call() propagate a command. emptyData / swapDatabases have signalled
   * WATCH and blocked clients already.
   */
  datasetChanged(changes: number): void {
    this.dirty += changes;
  }

  /**
   * startLoading / stopLoading's flag: while set, commands without the `loading` flag
   * get -LOADING, no key expires (keyIsExpired), and nothing is propagated.
   */
  setLoading(loading: boolean): void {
    this.loading = loading;
    this.propagation.setLoading(loading);
  }

  authRequired(): boolean {
    return this.requirePass !== "";
  }

  /**
   * Redis's authRequired(c): the client must still authenticate. A client that connected
   * while a password was required needs none once requirepass is cleared.
   */
  clientAuthRequired(client: Client): boolean {
    return !client.authenticated && this.requirePass !== "";
  }

  checkPassword(password: Uint8Array): boolean {
    return this.requirePass !== "" && bytesToKey(password) === this.requirePass;
  }

  // ---- networking ---------------------------------------------------------------

  async listen(): Promise<void> {
    const port = this.config.getNumber("port");
    const handlers = {
      open: (socket: ClientSocket) => this.onOpen(socket),
      data: (socket: ClientSocket, data: Buffer) => {
        const client = socket.data.client;
        if (client !== null) this.onRead(client, data);
      },
      drain: (socket: ClientSocket) => socket.data.client?.drain(),
      close: (socket: ClientSocket, error?: Error) => {
        const client = socket.data.client;
        if (client !== null && !client.closed) {
          if (!this.listenersClosed) this.peerClosed(client, error);
          client.closed = true;
          this.onClientClosed(client);
        }
      },
      error: (socket: ClientSocket) => {
        socket.data.client?.close();
      },
    };
    this.socketHandlers = handlers;
    if (port !== 0 || this.config.getString("unixsocket") === "") {
      const listeners = this.listenToPort(port);
      if (listeners === null) throw new Error(`Failed listening on port ${port} (TCP), aborting.`);
      this.tcpListeners = listeners;
      this.port = listeners[0]?.port ?? port;
    }
    const unixPath = this.config.getString("unixsocket");
    if (unixPath !== "") {
      try {
        unlinkSync(unixPath);
      } catch {
        // Not there: fine.
      }
      this.unixListener = Bun.listen<ClientSocketData>({ unix: unixPath, socket: handlers, data: { client: null } });
      const permissions = this.config.getNumber("unixsocketperm");
      if (permissions !== 0) {
        try {
          chmodSync(unixPath, permissions);
        } catch {
          // anetUnixServer does not check its chmod either: the socket keeps the umask's mode.
        }
      }
    }
    this.config.onChange("port", (value) => this.changeListenPort(Number(value)));
  }

  /**
   * listenToPort: a listener on `port` for every `bind` address (port 0: a free port,
   * which the other addresses then share). An address that cannot be bound is logged as
   * Redis logs it; an optional one ("-addr") that is not available, or one of an address
   * family this machine lacks, is skipped; any other failure closes what was opened and
   * returns null.
   */
  private listenToPort(port: number): TCPSocketListener<ClientSocketData>[] | null {
    const listeners: TCPSocketListener<ClientSocketData>[] = [];
    const binds = this.config.getString("bind").split(" ").filter((b) => b !== "");
    let boundPort = port;
    for (const raw of binds.length > 0 ? binds : ["*"]) {
      const optional = raw.startsWith("-");
      const host = optional ? raw.slice(1) : raw;
      const hostname = host === "*" ? "0.0.0.0" : host === "::*" ? "::" : host;
      try {
        // IPv6 sockets are IPv6-only, as Redis's anetV6Only: "::" then coexists with "0.0.0.0".
        // Bun's listen takes ipv6Only, which this bun-types declares for connect only.
        const ipv6Only = hostname.includes(":");
        const options = { hostname, port: boundPort, ipv6Only, socket: this.socketHandlers!, data: { client: null } } as TCPSocketListenOptions<ClientSocketData>;
        const listener = Bun.listen<ClientSocketData>(options);
        listeners.push(listener);
        boundPort = listener.port;
      } catch (error) {
        // Bun reports the failed bind() as a listen error; Redis's text names bind.
        logger.warning(`Warning: Could not create server TCP listening socket ${host}:${port}: bind: ${errorText(error)}`);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRNOTAVAIL" && optional) continue;
        if (code === "EAFNOSUPPORT" || code === "EPROTONOSUPPORT" || code === "ENOPROTOOPT") continue;
        for (const listener of listeners) listener.stop(true);
        return null;
      }
    }
    return listeners;
  }

  /**
   * changeListenPort (CONFIG SET port): port 0 stops listening on TCP. The new port is
   * bound before the old one is let go, so a refused change leaves the server where it
   * was; connected clients stay either way.
   */
  private changeListenPort(port: number): void {
    let listeners: TCPSocketListener<ClientSocketData>[] = [];
    if (port !== 0) {
      const bound = this.listenToPort(port);
      if (bound === null) throw new ConfigError("Unable to listen on this port. Check server logs.");
      listeners = bound;
    }
    for (const listener of this.tcpListeners) listener.stop(false);
    this.tcpListeners = listeners;
    this.port = port;
  }

  private get listeners(): Array<TCPSocketListener<ClientSocketData> | UnixSocketListener<ClientSocketData>> {
    return this.unixListener === null ? this.tcpListeners : [...this.tcpListeners, this.unixListener];
  }

  /** Redis 7.0's last start-up lines, logged once the data is loaded. */
  logReady(): void {
    const unixPath = this.config.getString("unixsocket");
    if (this.tcpListeners.length > 0) logger.notice("Ready to accept connections");
    if (unixPath !== "") logger.notice(`The server is now ready to accept connections at ${unixPath}`);
  }

  /** The listening sockets' descriptors: a busy script accepts connections from them itself (busy.ts). */
  listenerDescriptors(): number[] {
    return this.listeners.map((listener) => (listener as unknown as { fd: number }).fd);
  }

  /**
   * A client whose connection was accepted while a script was busy, served until now
   * through its descriptor (busy.ts), joins Bun's event loop.
   */
  adoptConnection(client: Client, fd: number): void {
    const handlers = this.socketHandlers!;
    // Bun.connect takes an open descriptor (FdSocketOptions), which this bun-types does not declare.
    const connect = Bun.connect as unknown as (options: { fd: number; socket: typeof handlers; data: ClientSocketData }) => Promise<ClientSocket>;
    connect({ fd, socket: handlers, data: { client } }).catch(() => {
      if (!client.closed) {
        client.closed = true;
        this.onClientClosed(client);
      }
    });
  }

  private socketHandlers: Parameters<typeof Bun.listen<ClientSocketData>>[0]["socket"] | null = null;

  /** A new client id (a connection this server opens itself: its master's). */
  allocateClientId(): number {
    return this.nextClientId++;
  }

  /** A client that has no socket yet: its connection was accepted during a busy script. */
  addPendingClient(address: string, localAddress: string, isUnix: boolean): Client | string {
    if (this.clients.size >= this.config.getNumber("maxclients")) {
      this.stats.rejectedConnections++;
      return `-${errors.MAX_CLIENTS}\r\n`;
    }
    const host = address.slice(0, address.lastIndexOf(":"));
    if (!isUnix && this.config.getBool("protected-mode") && !this.authRequired() && !isLoopback(host)) {
      this.stats.rejectedConnections++;
      return `-${errors.protectedModeDenied()}\r\n`;
    }
    const client = new Client(this.nextClientId++, this, null, address, localAddress, isUnix);
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
    return client;
  }

  private onOpen(socket: ClientSocket): void {
    const adopted = socket.data?.client;
    if (adopted) {
      adopted.socket = socket;
      this.configureClientSocket(socket, adopted.isUnixSocket);
      adopted.drain();
      this.resumeClient(adopted);
      return;
    }
    const remote = socket.remoteAddress ?? "";
    const isUnix = remote === "" || remote.startsWith("/");
    const local = (socket as unknown as { localAddress?: string }).localAddress ?? "";
    const localPort = (socket as unknown as { localPort?: number }).localPort ?? this.port;
    const remotePort = (socket as unknown as { remotePort?: number }).remotePort ?? 0;
    const address = isUnix ? `${this.config.getString("unixsocket")}:0` : `${formatHost(remote)}:${remotePort}`;
    const localAddress = isUnix ? `${this.config.getString("unixsocket")}:0` : `${formatHost(local)}:${localPort}`;
    // acceptTcpHandler / acceptUnixHandler, before the maxclients and protected-mode checks.
    if (logger.enabled("verbose")) logger.verbose(isUnix ? `Accepted connection to ${this.config.getString("unixsocket")}` : `Accepted ${address}`);
    socket.data = { client: null };
    if (this.clients.size >= this.config.getNumber("maxclients")) {
      this.stats.rejectedConnections++;
      socket.end(`-${errors.MAX_CLIENTS}\r\n`);
      return;
    }
    if (!isUnix && this.config.getBool("protected-mode") && !this.authRequired() && !isLoopback(remote)) {
      this.stats.rejectedConnections++;
      socket.end(`-${errors.protectedModeDenied()}\r\n`);
      return;
    }
    const client = new Client(this.nextClientId++, this, socket, address, localAddress, isUnix);
    socket.data.client = client;
    this.configureClientSocket(socket, isUnix);
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
  }

  /**
   * The peer closed the connection (the server did not): Redis's readQueryFromClient
   * counts the read that found the end (or the error) and, at verbose, logs why. A
   * failed write (EPIPE) is writeToClient's.
   */
  private peerClosed(client: Client, error: Error | undefined): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "EPIPE") {
      if (logger.enabled("verbose")) logger.verbose(`Error writing to client: ${errorText(error)}`);
      return;
    }
    this.stats.readsProcessed++;
    if (!logger.enabled("verbose")) return;
    logger.verbose(error === undefined ? `Client closed connection ${describeClientLine(this, client)}` : `Reading from client: ${errorText(error)}`);
  }

  /**
   * createClient's socket options: no Nagle delay, and on TCP the keepalive probes of
   * tcp-keepalive (the first after that many seconds idle; Bun picks the probes' interval
   * and count, which Redis sets to a third of it and 3). A change applies to new clients.
   */
  private configureClientSocket(socket: ClientSocket, isUnix: boolean): void {
    socket.setNoDelay?.(true);
    const keepAliveSeconds = this.config.getNumber("tcp-keepalive");
    if (!isUnix && keepAliveSeconds > 0) socket.setKeepAlive(true, keepAliveSeconds * 1000);
  }

  /**
   * A read from a client's socket. Bun copies every read into a new buffer, which the
   * garbage collector frees some time later; under pipelined large values (1 KB SETs at
   * 300k a second: 300 MB of such buffers a second) the allocator meanwhile keeps taking
   * fresh pages for new ones, and the page faults and madvise calls were a tenth of the
   * server's CPU at the memory limit (docs/memory.md). So a large read's buffer is freed
   * as soon as its requests ran (RequestParser.freeInput: ArrayBuffer.prototype.transfer
   * detaches it, and its memory goes back to the allocator at once, for the next read), or
   * once the parser moved the rest of a request cut by the read's end; with it the
   * parser's own buffers it outgrew. Not while the client is blocked (its command keeps
   * its arguments until it is served: XREADGROUP propagates its group argument then).
   * Arguments longer than ARG_COPY_LIMIT are views of the read; whatever keeps one past
   * its command copies it (ownBytes for the keyspace, the MULTI
   * queue, CLIENT PAUSE's postponed commands, the slowlog, the effect stream's feeds).
   * A small read is left to the collector: detaching every read (about 350 ns each,
   * making the buffer's ArrayBuffer object, then the transfer) made small pipelined SETs
   * and GETs about 8% slower.
   */
  private onRead(client: Client, data: Buffer): void {
    // Bun gives each read a buffer of its own (test/unit/bun-sockets.test.ts); checked anyway.
    const disposable = data.length >= READ_RELEASE_MIN_BYTES && data.byteOffset === 0 && data.buffer.byteLength === data.length;
    this.onData(client, data, disposable);
    if (client.blocked === null) client.parser.freeInput();
  }

  /** `disposable`: the memory of `data` may be freed once its requests ran (onRead). */
  onData(client: Client, data: Uint8Array, disposable = false): void {
    client.totalNetInput += data.length;
    this.stats.readsProcessed++;
    this.stats.netInputBytes += data.length;
    client.parser.feed(data, disposable, client.blocked === null);
    // readQueryFromClient: the limit holds for every read, whatever the client is doing
    // (blocked, paused, in MULTI, during a busy script, before AUTH...), since its input
    // accumulates while it does.
    if (client.parser.bufferedBytes > this.queryBufferLimit) {
      logger.warning(
        `Closing client that reached max query buffer length: ${describeClientLine(this, client)} (qbuf initial bytes: ${client.parser.initialBytes()})`,
      );
      client.close();
      return;
    }
    // updateClientMemUsageAndBucket, while a memory limit is set: the query buffer read...
    const evictor = this.evictor;
    if (evictor.clientsTracked) evictor.updateClientMemUsage(client);
    const commandsBefore = client.commandsProcessed;
    const requests = this.processInput(client);
    // call() stamps lastInteraction from its own clock reading (a Date.now() per read
    // was 8% of the JS time at -P 1); input that ran no command is stamped here.
    if (client.commandsProcessed === commandsBefore) client.lastInteraction = Date.now();
    this.replyReady(client, requests > 1);
    // ...and what its commands left (replies the socket did not take, a MULTI queue).
    if (evictor.clientsTracked) evictor.updateClientMemUsage(client);
  }

  /**
   * Commands of one pipeline run back to back, so the clock reading that ends one can
   * start the next: one performance.now() per command instead of two (a clock read
   * costs about 35 ns here, a third of a pipelined PING). processInput sets
   * pipelineClock to the previous command's end (lastCallEnd) when nothing but parsing
   * the next request lies between them, and only for requests of up to
   * PIPELINE_CLOCK_MAX_ARGS arguments, whose parse is a few tens of ns: that is the
   * only time a command's usec then includes beyond what Redis measures. call()
   * consumes it; 0 means "read the clock".
   */
  private pipelineClock = 0;
  private lastCallEnd = 0;
  /** The limits passed to the parser, one object refilled per request rather than one allocated. */
  private readonly parserLimits: ParserLimits = { maxBulkLength: 0, unauthenticated: false };

  /** Runs every complete command in the client's query buffer (processInputBuffer); returns how many requests ran. */
  processInput(client: Client): number {
    const requests = this.processRequests(client);
    client.parser.trimProcessed();
    return requests;
  }

  private processRequests(client: Client): number {
    let previousEnd = 0;
    let requests = 0;
    while (!client.closed && !client.closeAfterReply && client.blocked === null) {
      const limits = this.parserLimits;
      limits.maxBulkLength = this.maxBulkLength;
      limits.unauthenticated = this.clientAuthRequired(client);
      const request = client.parser.next(limits);
      if (request === null) return requests;
      if (request instanceof ProtocolError) {
        if (logger.enabled("verbose")) {
          logger.verbose(`Protocol error (${request.logMessage}) from client: ${describeClientLine(this, client)}. ${client.parser.protocolErrorSample()}`);
        }
        client.reply.enabled = true;
        client.reply.error(`ERR Protocol error: ${request.message}`);
        client.closeAfterReply = true;
        return requests;
      }
      // A small request that follows a command of the same batch starts its clock where
      // that command's stopped (see pipelineClock).
      if (previousEnd !== 0 && request.length <= PIPELINE_CLOCK_MAX_ARGS) this.pipelineClock = previousEnd;
      this.lastCallEnd = 0;
      requests++;
      this.processCommand(client, request);
      if (client.trackingFlags !== 0) this.tracking.commandProcessed(client);
      this.pipelineClock = 0;
      previousEnd = this.lastCallEnd;
      // Redis checks the output limits as replies are added: a client over them is
      // closed before more of its requests run or any of the replies is written.
      if ((client.outputBytes > this.outputLimitCheckBytes || !client.authenticated) && this.closeClientOnOutputBufferLimitReached(client, true)) return requests;
      // A long pipeline's replies go out as they grow, unless the before-reply stage has
      // work: then no reply may leave before that work is done (the AOF's fsync). Nor
      // when an output limit applies to the client: Redis writes a read's replies once
      // it is processed, so its limits see them all, and a client closed for them gets
      // none of them.
      if (client.reply.length > 64 * 1024 && this.beforeReplyHooks.length === 0 && !this.outputLimited(client)) {
        client.flush();
        previousEnd = 0;
      }
    }
    return requests;
  }

  /** Paused clients are served again once the pause ends or their output drains. */
  resumeClient(client: Client): void {
    if (!client.closed && client.blocked === null) {
      this.processInput(client);
      this.replyReady(client);
    }
  }

  private pauseTimer: ReturnType<typeof setTimeout> | null = null;

  /** pauseClients: a pause may only be extended, and ALL supersedes WRITE while both are active. */
  pauseClients(until: number, writesOnly: boolean): void {
    const active = this.pausedUntil !== 0 && Date.now() < this.pausedUntil;
    this.pauseWritesOnly = active ? this.pauseWritesOnly && writesOnly : writesOnly;
    if (!active || until > this.pausedUntil) this.pausedUntil = until;
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      if (this.pausedUntil !== 0) this.unpauseClients();
    }, Math.max(0, this.pausedUntil - Date.now()));
  }

  /** unpauseClients: the postponed commands run in the order they arrived, then each client's further input. */
  unpauseClients(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    this.pausedUntil = 0;
    this.runPostponedCommands();
  }

  /** The shutdown that paused writes was cancelled (unpauseClients(PAUSE_DURING_SHUTDOWN)). */
  endShutdownPause(): void {
    this.shutdownPause = false;
    this.runPostponedCommands();
  }

  /**
   * The postponed clients run again, each command as an execution unit of its own: when
   * a command ends the pause (CLIENT UNPAUSE, SHUTDOWN ABORT), after it has finished, as
   * Redis processes unblocked clients in beforeSleep; nested in it, their changes would
   * count as the outer command's and propagate it too. A command still held by the other
   * pause is postponed again by processCommand.
   */
  private runPostponedCommands(): void {
    if (this.commandDepth > 0) {
      queueMicrotask(() => this.runPostponedCommands());
      return;
    }
    for (const [client, argv] of [...this.postponedCommands]) {
      this.postponedCommands.delete(client);
      this.blocking.unblock(client);
      this.processCommand(client, argv);
      if (client.trackingFlags !== 0) this.tracking.commandProcessed(client);
      this.resumeClient(client);
    }
  }

  // ---- the before-reply stage (Redis's beforeSleep) ---------------------------------
  //
  // Replies are written once the commands of an event-loop turn have run. Work that must
  // happen between the two registers a hook (the AOF writes its buffer and, with
  // appendfsync always, fsyncs there: no reply of a write leaves before its effect is on
  // disk, and one fsync covers every client of the turn). With no hook the stage is
  // empty and the replies to a single request are written as soon as it ran; those of a
  // pipeline wait for the end of the turn, as all of Redis's do.

  private readonly beforeReplyHooks: Array<() => void> = [];

  /** Registers work of the before-reply stage; returns the function that removes it. */
  addBeforeReplyHook(hook: () => void): () => void {
    this.beforeReplyHooks.push(hook);
    return () => {
      const index = this.beforeReplyHooks.indexOf(hook);
      if (index >= 0) this.beforeReplyHooks.splice(index, 1);
    };
  }

  /**
   * A client's input was processed: its replies go out now, or at the end of the turn
   * when the stage has work or the input was a pipeline (several requests). Written
   * at once, each pipeline's replies woke the benchmark's client as a batch of their
   * own (a wake-up on another CPU, sock_def_readable, 8% of the server's samples for
   * 1 KB SETs at -P 16 at the memory limit); written together, one wake-up serves many,
   * as with Redis's beforeSleep: +6-8% there, system time -30%. A single request's reply
   * still goes out at once: deferring those cost 2-3% at -P 1.
   */
  private replyReady(client: Client, pipelined = false): void {
    if (this.beforeReplyHooks.length === 0 && !pipelined) client.flush();
    else this.queueReply(client, true);
  }

  /**
   * Stream bytes were added to a replica's output: written with the turn's other replies,
   * unless it still waits for its RDB (Client.outputHeld keeps them; its limits still apply).
   */
  replicaOutputAdded(replica: Client): void {
    this.queueReply(replica);
  }

  /** Queue a flush for a client written to outside its own input handling (pub/sub, unblocking). */
  scheduleFlush(client: Client): void {
    if (client === this.currentClient) return;
    this.queueReply(client);
  }

  private queueReply(client: Client, endOfTurn = false): void {
    if (!client.replyQueued) {
      client.replyQueued = true;
      this.pendingReplies.push(client);
    }
    this.requestBeforeSleep(endOfTurn);
  }

  /**
   * Makes sure the stage runs this turn: a hook with work of its own that no reply asked
   * for (the AOF's buffer after the cron expired keys) calls it. `endOfTurn`: once the
   * callbacks of the whole poll are done, even with no hook.
   */
  requestBeforeSleep(endOfTurn = false): void {
    if (this.beforeSleepScheduled) return;
    this.beforeSleepScheduled = true;
    // Bun drains microtasks after each socket callback, but runs immediates once the
    // callbacks of the whole poll are done: with work in the stage (an fsync), that is
    // what makes it once per turn for every client that had input, as Redis's beforeSleep.
    if (endOfTurn || this.beforeReplyHooks.length > 0) setImmediate(this.beforeSleepTask);
    else queueMicrotask(this.beforeSleepTask);
  }

  private readonly beforeSleepTask = (): void => this.beforeSleep();

  /** beforeSleep: the stage's hooks, then every queued reply (handleClientsWithPendingWrites). */
  beforeSleep(): void {
    this.beforeSleepScheduled = false;
    // A hook may remove itself (client-side caching's broadcast runs once per request).
    const hooks = this.beforeReplyHooks.length > 1 ? [...this.beforeReplyHooks] : this.beforeReplyHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i]!();
    // Clients queued while these are flushed wait for the next stage, as with a copy.
    const clients = this.pendingReplies;
    this.pendingReplies = this.flushingReplies;
    // writeToClient counts the client again once written (its replies left the total).
    const evictor = this.evictor;
    for (let i = 0; i < clients.length; i++) {
      const client = clients[i]!;
      client.replyQueued = false;
      client.flush();
      if (evictor.clientsTracked) evictor.updateClientMemUsage(client);
    }
    clients.length = 0;
    this.flushingReplies = clients;
  }

  onClientClosed(client: Client): void {
    this.clients.delete(client.id);
    if (client === this.masterLink.master) this.masterLink.masterClientClosed(client);
    if (client.replica !== null) this.master.replicaClosed(client);
    this.evictor.clientClosed(client);
    this.watches.unwatchAllKeys(client);
    if (client.trackingFlags !== 0 || this.tracking.hasHeldKeys) this.tracking.disableTracking(client);
    this.pubsub.removeClient(client);
    this.blocking.unblock(client);
    this.monitors.delete(client);
    this.postponedCommands.delete(client);
    // A closed client left in pendingReplies is skipped by its flush().
  }

  /** The client-output-buffer-limit of the client's class (getClientType: pubsub while subscribed, else normal). */
  private outputLimitOf(client: Client): ClientOutputBufferLimit {
    if (client.replica !== null) return this.replicaOutputLimit;
    return client.channels.size + client.patterns.size + client.shardChannels.size > 0 ? this.pubsubOutputLimit : this.normalOutputLimit;
  }

  /** Whether an output limit applies to the client (its class has one, or it must still authenticate). */
  private outputLimited(client: Client): boolean {
    if (!client.authenticated) return true;
    const { hard, soft } = this.outputLimitOf(client);
    return hard > 0 || soft > 0;
  }

  /**
   * checkClientOutputBufferLimits: whether the client's output, beyond the reply buffer
   * every client has (`used`, Redis's reply list), is over its class's hard limit, or
   * over the soft one for more than its seconds (counted in whole seconds, as Redis's
   * server.unixtime). A client that must still authenticate may not outgrow the reply
   * buffer at all (CVE-2025-21605, which Debian's redis 7.0.15 carries): a flood of
   * requests whose -NOAUTH replies it does not read is closed once they fill the reply
   * buffer (16 KB, 1 KB once idle).
   */
  private checkClientOutputBufferLimits(client: Client, used: number): boolean {
    if (this.clientAuthRequired(client)) return true;
    const { hard, soft, softSeconds } = this.outputLimitOf(client);
    const overHard = hard > 0 && used >= hard;
    let overSoft = soft > 0 && used >= soft;
    if (overSoft) {
      const now = Math.floor(Date.now() / 1000);
      if (client.softLimitSince === 0) {
        client.softLimitSince = now;
        overSoft = false; // the first time it is seen
      } else if (now - client.softLimitSince <= softSeconds) overSoft = false;
    } else client.softLimitSince = 0;
    return overHard || overSoft;
  }

  /**
   * closeClientOnOutputBufferLimitReached: closes a client over its output limits,
   * without writing what it has not been sent. `async` is the caller adding replies
   * (Redis then frees the client in the next event-loop turn and says "scheduled to be
   * closed ASAP"); serverCron, which checks clients whose output sits over a soft limit
   * while nothing is added, passes false. Returns whether the client was closed.
   */
  closeClientOnOutputBufferLimitReached(client: Client, async: boolean): boolean {
    // A client without a connection (the AOF loader's, a script's) is never closed.
    if (client.closed || client.socket === null) return false;
    const used = client.outputBytes - client.replyBufferSize;
    if (used <= 0 || !this.checkClientOutputBufferLimits(client, used)) return false;
    const info = describeClientLine(this, client);
    client.discardOutput();
    client.close();
    if (async) logger.warning(`Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    else logger.warning(`Client ${info} closed for overcoming of output buffer limits.`);
    return true;
  }

  // ---- command dispatch --------------------------------------------------------

  private lookupCommand(nameBytes: Uint8Array): Command | undefined {
    return this.table.lookupBytes(nameBytes);
  }

  /** processCommand: the checks Redis applies before running a command, in Redis's order. */
  processCommand(client: Client, argv: Uint8Array[]): void {
    // c->lastcmd (CLIENT LIST cmd=) is the command looked up, whether it then runs, is
    // refused, queued or postponed; EXEC's queued commands do not change it.
    let command = this.lookupCommand(argv[0]!);
    if (command === undefined) {
      client.lastCommandName = "NULL";
      this.rejectCommand(client, argv, undefined, errors.unknownCommand(bytesToKey(argv[0]!), argv.slice(1).map(bytesToKey)));
      return;
    }
    if (command.subcommands.size > 0 && argv.length >= 2) {
      const sub = command.subcommands.get(argLower(argv[1]!));
      if (sub === undefined) {
        client.lastCommandName = "NULL";
        // lookupCommand finds no command here: no rejected_calls is counted, not even the container's.
        this.rejectCommand(client, argv, undefined, errors.unknownSubcommand(bytesToKey(argv[1]!), bytesToKey(argv[0]!)));
        return;
      }
      command = sub;
    }
    client.lastCommandName = command.fullName;
    const arity = command.spec.arity;
    if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
      this.rejectCommand(client, argv, command, errors.wrongArgs(command.fullName));
      return;
    }
    if (command.isProtected && !this.allowProtectedAction(client, command)) {
      const name = (command.parent ?? command).name;
      this.rejectCommand(client, argv, command, errors.protectedCommandNotAllowed(name.toUpperCase(), `enable-${name}-command`));
      return;
    }
    if (this.clientAuthRequired(client) && !command.noAuth) {
      this.rejectCommand(client, argv, command, errors.NOAUTH);
      return;
    }
    if (this.evictor.clientsTracked && !this.handleMaxmemory(client, command, argv)) return;
    // Keep the client-side caching table within tracking-table-max-keys.
    if (this.tracking.clients !== 0) this.tracking.limitUsedSlots(client);
    const isExec = command.isExec;
    const diskError = this.persistence.diskErrorMessage();
    if (diskError !== null && (this.isWriteLike(client, command, argv) || command.name === "ping") && !(isExec && client.multiAborted)) {
      if (!client.mustObey) {
        this.rejectCommand(client, argv, command, diskError);
        return;
      }
      this.replicaAppliesDespiteDiskError(command);
    }
    // min-replicas-to-write: not enough replicas acknowledged lately.
    if (!this.master.checkGoodReplicasStatus() && this.isWriteLike(client, command, argv)) {
      this.rejectCommand(client, argv, command, NOREPLICAS_ERROR);
      return;
    }
    // A read-only replica takes writes from its master only.
    if (this.replicaReadOnly && this.replication.isReplica && !client.mustObey && this.isWriteLike(client, command, argv)) {
      this.rejectCommand(client, argv, command, errors.READONLY_REPLICA);
      return;
    }
    if (client.inPubSubContext && !PUBSUB_CONTEXT_COMMANDS.has(command.fullName)) {
      this.rejectCommand(client, argv, command, errors.pubsubContext(command.fullName));
      return;
    }
    // replica-serve-stale-data no: with the link down only `stale` commands run.
    if (this.masterLink.staleDenied && (!this.isStaleCommand(command, argv) || (isExec && client.multiQueue.some((q) => !this.isStaleCommand(q.command, q.argv))))) {
      this.rejectCommand(client, argv, command, errors.MASTERDOWN);
      return;
    }
    if (this.loading && !command.allowedWhileLoading) {
      this.rejectCommand(client, argv, command, errors.LOADING);
      return;
    }
    // A script past busy-reply-threshold (commands read from inside its hook, busy.ts).
    if (this.scripting.runner.timedOut && !command.flags.has("allow_busy")) {
      this.rejectCommand(client, argv, command, this.scripting.runner.busyError());
      return;
    }
    if (this.pausedUntil !== 0 || this.shutdownPause) {
      const mayReplicate = this.isMayReplicateCommand(command, argv) || (isExec && client.multiQueue.some((q) => this.isMayReplicateCommand(q.command, q.argv)));
      if (this.isPausedFor(mayReplicate)) {
        // blockPostponeClient: this command (and the client's later input) waits for the pause to end.
        this.postponedCommands.set(client, argv.map(copyBytes));
        this.blocking.blockPostponed(client, command);
        return;
      }
    }
    if (client.inMulti && !MULTI_CONTROL_COMMANDS.has(command.name)) {
      if (command.noMulti) {
        this.rejectCommand(client, argv, command, errors.NOT_ALLOWED_IN_MULTI);
        return;
      }
      client.multiQueue.push({ command, argv: argv.map(copyBytes) });
      client.reply.simple("QUEUED");
      return;
    }
    this.call(client, command, argv);
    if (this.blocking.keyWaiterCount > 0) this.handleClientsBlockedOnKeys();
  }

  /**
   * processCommand's maxmemory step, while a memory limit is set (Redis's, with the
   * evictClients before it): clients over maxmemory-clients are evicted, then keys over
   * maxmemory; when nothing more can be
   * freed a denyoom command (EXEC of a transaction holding one, a script without
   * allow-oom, anything but EXEC/DISCARD/QUIT/RESET inside MULTI) is refused. Returns
   * whether the command goes on. Not for what a master or the AOF sends, nor while a
   * busy script yields (its DELs would interleave with the script's effects).
   */
  private handleMaxmemory(client: Client, command: Command, argv: Uint8Array[]): boolean {
    const evictor = this.evictor;
    evictor.evictClients();
    // The client evicted itself: its command is not run.
    if (client.closed) return false;
    if (evictor.maxmemory === 0 || this.scripting.runner.timedOut) return true;
    if (client.mustObey) {
      this.preCommandOomState = false;
      return true;
    }
    const outOfMemory = evictor.performEvictions() === EVICT_FAIL;
    if (outOfMemory) {
      let reject = this.isDenyOomCommand(command, argv) || (command.isExec && client.multiQueue.some((q) => this.isDenyOomCommand(q.command, q.argv)));
      if (client.inMulti && !MULTI_OOM_EXEMPT_COMMANDS.has(command.name)) reject = true;
      if (reject) {
        this.rejectCommand(client, argv, command, errors.OOM);
        return false;
      }
    }
    this.preCommandOomState = outOfMemory;
    return true;
  }

  private lastDiskErrorApplyLog = 0;

  /**
   * A master's write while this replica cannot persist (MISCONF): a replica that may not
   * ignore that stops (replica-ignore-disk-write-errors no), else it applies the write
   * and says so every 10 s.
   */
  private replicaAppliesDespiteDiskError(command: Command): void {
    if (!this.config.getBool("replica-ignore-disk-write-errors") && command.name !== "ping") {
      serverPanic(this, "Replica was unable to write command to disk.");
      return;
    }
    const now = Date.now();
    if (now > this.lastDiskErrorApplyLog + 10_000) {
      this.lastDiskErrorApplyLog = now;
      logger.warning("Replica is applying a command even though it is unable to write to disk.");
    }
  }

  /** The denyoom flag, a script's shebang deciding for EVAL, EVALSHA and FCALL (scriptFlagsToCmdFlags). */
  private isDenyOomCommand(command: Command, argv: Uint8Array[]): boolean {
    if (command.spec.group !== "scripting") return command.denyOom;
    return this.scripting.writeFlagsOf(command, argv)?.denyOom ?? command.denyOom;
  }

  /**
   * allowProtectedAction for DEBUG and MODULE (the protected commands): "yes", or "local"
   * and the client is on the unix socket or on 127.0.0.1 / ::1 (Redis's islocalClient).
   */
  private allowProtectedAction(client: Client, command: Command): boolean {
    const setting = this.config.getString(`enable-${(command.parent ?? command).name}-command`);
    if (setting === "yes") return true;
    if (setting !== "local") return false;
    if (client.isUnixSocket) return true;
    const ip = client.peerIp;
    return ip === "127.0.0.1" || ip === "::1";
  }

  /** is_write_command: the command writes, or it is EXEC of a queue that does. */
  private isWriteLike(client: Client, command: Command, argv: Uint8Array[]): boolean {
    return this.isWriteCommand(command, argv) || (command.isExec && client.multiQueue.some((q) => this.isWriteCommand(q.command, q.argv)));
  }

  /** getCommandFlags' write flag: a script's shebang decides it for EVAL and EVALSHA. */
  private isWriteCommand(command: Command, argv: Uint8Array[]): boolean {
    if (command.spec.group !== "scripting") return command.isWrite;
    return this.scripting.writeFlagsOf(command, argv)?.write ?? command.isWrite;
  }

  /** The stale flag (allowed on a replica whose link is down), a script's shebang deciding for EVAL and FCALL. */
  private isStaleCommand(command: Command, argv: Uint8Array[]): boolean {
    if (command.spec.group !== "scripting") return command.flags.has("stale");
    return this.scripting.writeFlagsOf(command, argv)?.stale ?? command.flags.has("stale");
  }

  /** is_may_replicate_command: write or may_replicate, the script's shebang deciding for EVAL and EVALSHA. */
  private isMayReplicateCommand(command: Command, argv: Uint8Array[]): boolean {
    if (command.spec.group !== "scripting") return command.mayReplicate;
    return this.scripting.writeFlagsOf(command, argv)?.mayReplicate ?? command.mayReplicate;
  }

  /**
   * handleClientsBlockedOnKeys: serves the clients whose keys the last execution unit made
   * ready. Each served client is an execution unit of its own: its effects (LPOP for a
   * BLPOP) are propagated before the next client is served.
   */
  handleClientsBlockedOnKeys(): void {
    let errorsBefore = this.stats.totalErrorReplies;
    this.blocking.serveReadyKeys((client, command) => {
      // A client served an error (-NOGROUP...) counts a failed call.
      this.updateStatsOnUnblock(client, command, this.stats.totalErrorReplies !== errorsBefore);
      errorsBefore = this.stats.totalErrorReplies;
      this.propagation.propagatePendingCommands();
      this.afterUnblock(client);
    });
    // Lazy expiry of a ready key that turned out expired.
    this.propagation.propagatePendingCommands();
    this.lastCallEnd = 0; // serving blocked clients took time: the next command reads the clock
  }

  /** Clients held by CLIENT PAUSE, with the command they were about to run (a copy: argv may be a view of the input). */
  private postponedCommands = new Map<Client, Uint8Array[]>();

  /** CLIENT PAUSE holds this command: ALL holds every command, WRITE the ones that may replicate. */
  private isPausedFor(writeLike: boolean): boolean {
    if (this.shutdownPause && writeLike) return true;
    if (this.pausedUntil === 0) return false;
    if (Date.now() >= this.pausedUntil) {
      this.unpauseClients();
      return false;
    }
    return !this.pauseWritesOnly || writeLike;
  }

  /**
   * checkClientPauseTimeoutAndReturnIfPaused, as a pure check: a CLIENT PAUSE is in force,
   * so keys do not expire. A pause whose time is up counts as over; its timer (or the next
   * command, isPausedFor) releases the postponed clients, never a key lookup midway.
   */
  clientsArePaused(): boolean {
    return this.shutdownPause || (this.pausedUntil !== 0 && Date.now() < this.pausedUntil);
  }

  /**
   * rejectCommand: a command refused before running counts in rejected_calls, its error
   * is counted, and a MULTI it was meant for fails. A refused EXEC (BUSY, MISCONF, wrong
   * arity...) ends the transaction instead (execCommandAbort), inside MULTI or not, and
   * MONITOR sees it.
   */
  private rejectCommand(client: Client, argv: Uint8Array[], command: Command | undefined, message: string): void {
    if (command !== undefined) command.rejectedCalls++;
    if (command?.isExec) {
      client.inMulti = false;
      client.multiQueue = [];
      client.multiAborted = false;
      client.dirtyCas = false;
      this.watches.unwatchAllKeys(client);
      // Redis's own text of the reason has no ERR code (its format strings have none).
      const reason = message.startsWith("ERR ") ? message.slice(4) : message;
      this.replyError(client, `EXECABORT Transaction discarded because of: ${reason}`);
      if (this.monitors.size > 0) this.feedMonitors(client, argv);
      return;
    }
    if (client.inMulti) client.multiAborted = true;
    this.replyError(client, message);
  }

  /** Sends an error reply and records it in errorstats. */
  replyError(client: Client, message: string): void {
    this.countError(message);
    client.reply.error(message);
    if (client.id === CLIENT_ID_AOF || client === this.masterLink.master || client.replica !== null) this.afterErrorReplyToPeer(client, message);
  }

  /**
   * afterErrorReply for a client that is another server's stream (the AOF loader, our
   * master, a replica of ours): an error there means the two disagree, which should not
   * happen. Logged and counted; with propagation-error-behavior, a read-only replica
   * (panic, panic-on-replicas) or the AOF loader (panic) panics instead of going on.
   */
  private afterErrorReplyToPeer(client: Client, message: string): void {
    const [from, to] = client.id === CLIENT_ID_AOF ? ["server", "AOF-loading-client"] : client === this.masterLink.master ? ["replica", "master"] : ["master", "replica"];
    const text = errors.errorAsPassedToReply(message).slice(0, 4096);
    logger.warning(`== CRITICAL == This ${from} is sending an error to its ${to}: '${text}' after processing the command '${client.lastCommandName}'`);
    if (to === "master") this.replication.showLatestBacklog();
    this.stats.unexpectedErrorReplies++;
    const behavior = this.config.getString("propagation-error-behavior");
    const panicInReplicas = to === "master" && this.replicaReadOnly && (behavior === "panic" || behavior === "panic-on-replicas");
    const panicInAof = to === "AOF-loading-client" && behavior === "panic";
    if (panicInReplicas || panicInAof) {
      serverPanic(this, `This ${from} panicked sending an error to its ${to} after processing the command '${client.lastCommandName}'`);
    }
  }

  /** Redis's prev_err_count: total_error_replies when commandStatsOnError last looked. */
  private errorsCheckpoint = 0;

  /**
   * incrCommandStatsOnError: counts a failed (or rejected) call of `command` when errors
   * were replied since the last look, which call() takes at its start and end. So, as in
   * Redis, an error inside a nested call (a script's redis.call, EXEC's commands) counts
   * for the nested command only, not again for EVAL or EXEC. Returns whether it counted.
   */
  commandStatsOnError(command: Command | null, rejected: boolean): boolean {
    let counted = false;
    if (command !== null && this.stats.totalErrorReplies > this.errorsCheckpoint) {
      if (rejected) command.rejectedCalls++;
      else command.failedCalls++;
      counted = true;
    }
    this.errorsCheckpoint = this.stats.totalErrorReplies;
    return counted;
  }

  countError(message: string): void {
    // afterErrorReply looks for the code's end in the first 32 bytes of "-<message>" only;
    // an error without a space there (a script's {err = "oops"}) counts as ERR.
    const space = message.indexOf(" ");
    const code = space < 0 || space > 30 ? "ERR" : message.slice(0, space);
    this.stats.totalErrorReplies++;
    this.stats.errorCounts.set(code, (this.stats.errorCounts.get(code) ?? 0) + 1);
  }

  /**
   * call(): runs a command with its accounting (commandstats, slowlog, MONITOR, errors).
   * `flags` (Redis's CMD_CALL_*): EXEC run by the AOF loader passes CMD_CALL_NONE, and
   * its commands then count in total_commands_processed and failed_calls only.
   */
  call(client: Client, command: Command, argv: Uint8Array[], flags = CMD_CALL_FULL, targets = PROPAGATE_ALL): void {
    const previous = this.currentClient;
    this.currentClient = client;
    this.errorsCheckpoint = this.stats.totalErrorReplies;
    const start = this.pipelineClock !== 0 && this.monitors.size === 0 ? this.pipelineClock : performance.now();
    this.pipelineClock = 0;
    if (this.commandDepth++ === 0) this.commandStart = start;
    this.commandEpoch.boundary();
    client.commandsProcessed++;
    client.lastInteraction = Math.floor(this.wallClockOffset + start);
    // CLIENT REPLY OFF drops every reply; SKIP drops the next command's reply only.
    client.reply.enabled = client.replyMode === "on";
    if (client.replyMode === "skip") client.replyMode = "on";
    // The propagation state of this call (Redis keeps it in client flags and restores
    // it after a nested call): what replaces argv in the effect stream, and whether the
    // command's own argv is withheld (it propagated what it did with alsoPropagate).
    const dirtyBefore = this.dirty;
    const outerCommand = client.currentCommand;
    client.currentCommand = command;
    const outerCurrentArgv = client.currentArgv;
    client.currentArgv = argv;
    const outerArgv = client.propagateArgv;
    const outerPrevent = client.preventPropagation;
    const outerForce = client.forcePropagation;
    client.propagateArgv = null;
    client.preventPropagation = false;
    client.forcePropagation = false;
    try {
      command.spec.handler!(client, argv);
    } catch (error) {
      this.internalError(client, command, error);
    }
    // MONITOR sees the command once it ran, with the database it left selected (so the
    // commands EXEC or a script ran come before EXEC itself; EVAL feeds itself first).
    if (this.monitors.size > 0 && command.monitored) this.feedMonitors(client, argv);
    const propagation = this.propagation;
    if (propagation.active && (this.dirty !== dirtyBefore || client.forcePropagation) && !client.preventPropagation && !command.isExec) {
      propagation.alsoPropagate(client.dbIndex, client.propagateArgv ?? argv, targets);
    }
    // trackingRememberKeys, while the command (and a script's caller's) is still current.
    if (this.tracking.clients !== 0) this.tracking.afterCall(client, command);
    client.currentCommand = outerCommand;
    // A blocked command keeps its arguments until it is served, as Redis keeps c->argv.
    if (client.blocked === null) client.currentArgv = outerCurrentArgv;
    client.propagateArgv = outerArgv;
    client.preventPropagation = outerPrevent;
    client.forcePropagation = outerForce;
    const end = performance.now();
    this.lastCallEnd = end;
    // Nested calls (EXEC's queue) keep the outer command's instant, as in Redis.
    if (--this.commandDepth === 0) {
      this.commandTime = 0;
      // afterCommand: the outermost call hands the effects of its execution unit on.
      if (propagation.active) {
        const offsetBefore = this.replication.masterReplOffset;
        propagation.propagatePendingCommands(command.touchesArbitraryKeys);
        // c->woff: where this client's writes end in the stream (WAIT waits for it).
        if (this.replication.masterReplOffset !== offsetBefore) client.woff = this.replication.masterReplOffset;
      }
      // The client's own invalidations follow its reply (of EXEC or EVAL as a whole).
      if (this.tracking.hasPendingKeys) this.tracking.handlePendingKeyInvalidations(client);
    }
    client.reply.enabled = client.replyMode !== "off";
    const micros = elapsedMicros(start, end);
    client.durationMicros = micros;
    if (flags & CMD_CALL_STATS) {
      command.calls++;
      command.microseconds += micros;
      // A blocked command's latency is recorded when it is unblocked (updateStatsOnUnblock).
      if (this.latencyTracking && client.blocked === null) (command.latencyHistogram ??= new LatencyHistogram()).record(micros * 1000);
    }
    this.commandStatsOnError(command, false);
    this.stats.totalCommands++;
    if (flags & CMD_CALL_SLOWLOG) {
      // The guards of record() and sample(), here so that the usual call costs no call.
      const slowlog = this.slowlog;
      if (!command.skipSlowlog && slowlog.slowerThan >= 0 && micros >= slowlog.slowerThan) slowlog.record(micros, argv, client);
      // latencyAddSampleIfNeeded(event, duration/1000): whole milliseconds of the usec above.
      if (this.latency.threshold > 0) this.latency.sample("command", Math.floor(micros / 1000), command.latencyEvent);
    }
    this.currentClient = previous;
  }

  /**
   * Runs a command the AOF loader read, as loadSingleAppendOnlyFile does with cmd->proc
   * (not call()): the command gets its own fixed clock and arena epoch, as under call(),
   * and runs as `client`'s current command; nothing is accounted (commandstats,
   * total_commands_processed, slowlog, MONITOR) and, the server loading, nothing is
   * propagated. EXEC's queued commands then go through call() with CMD_CALL_NONE.
   */
  runCommandForLoader(client: Client, command: Command, argv: Uint8Array[]): void {
    const previous = this.currentClient;
    this.currentClient = client;
    if (this.commandDepth++ === 0) this.commandStart = performance.now();
    this.commandEpoch.boundary();
    client.lastCommandName = command.fullName;
    const outerCommand = client.currentCommand;
    client.currentCommand = command;
    try {
      command.spec.handler!(client, argv);
    } catch (error) {
      this.internalError(client, command, error);
    }
    client.currentCommand = outerCommand;
    if (--this.commandDepth === 0) this.commandTime = 0;
    this.currentClient = previous;
  }

  private internalError(client: Client, command: Command, error: unknown): void {
    const text = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
    logger.warning(`Internal error executing '${command.fullName}': ${text}`);
    this.stats.unexpectedErrorReplies++;
    this.replyError(client, `ERR internal error executing '${command.fullName}': ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * updateStatsOnUnblock, as Redis 7.0 counts a blocked command that ends other than by
   * timing out: served with an error, or released by CLIENT UNBLOCK (which 7.0 always
   * counts as failed). Its call was counted when it blocked.
   */
  updateStatsOnUnblock(client: Client, command: Command, hadErrors: boolean): void {
    if (hadErrors) command.failedCalls++;
    // Redis adds the time taken to serve it, which Bunker does not measure apart.
    if (this.latencyTracking) (command.latencyHistogram ??= new LatencyHistogram()).record(client.durationMicros * 1000);
  }

  afterUnblock(client: Client): void {
    client.currentArgv = null;
    if (this.tracking.hasHeldKeys) this.tracking.releaseHeld(client);
    this.scheduleFlush(client);
    if (!client.closed) queueMicrotask(() => this.resumeClient(client));
  }

  expireBlockedClients(): void {
    this.blocking.expireTimeouts(Date.now(), (c) => this.afterUnblock(c));
  }

  /** replicationFeedMonitors: the command as MONITOR shows it (EVAL feeds itself before its script's commands). */
  feedMonitors(client: Client, argv: Uint8Array[]): void {
    // gettimeofday's microseconds: the monotonic clock carries them, Date.now() does not.
    const nowMicros = Math.floor((this.wallClockOffset + performance.now()) * 1000);
    const seconds = Math.floor(nowMicros / 1e6);
    const micros = String(nowMicros % 1e6).padStart(6, "0");
    const origin = client.isUnixSocket ? `unix:${this.config.getString("unixsocket")}` : client.address;
    let line = `${seconds}.${micros} [${client.dbIndex} ${origin}]`;
    for (const arg of argv) line = sdscatrepr(line + " ", arg);
    for (const monitor of this.monitors) {
      if (monitor === client) continue;
      monitor.reply.simple(line);
      this.scheduleFlush(monitor);
    }
  }

  // ---- keyspace helpers used by commands ---------------------------------------

  /**
   * signalModifiedKey: `key` of `db` changed, so transactions WATCHing it fail and the
   * clients that may cache it are told. `client` is the one whose command changed it,
   * null for the server's own changes (expiry). Every change to a key comes here:
   * commands through keyChanged, the keyspace's expiry events, DEBUG POPULATE.
   */
  signalModifiedKey(client: Client | null, db: Database, key: string): void {
    if (!this.watches.idle()) this.watches.touch(db, key);
    if (!this.tracking.idle()) this.tracking.invalidateKey(client, key, true);
  }

  /**
   * Redis's server.current_client: the connection whose command is running, which for
   * the commands a script runs is the script's caller; null outside commands.
   */
  executingConnection(): Client | null {
    const client = this.currentClient;
    const run = this.scripting.runner.current;
    return run !== null && client === run.scriptClient ? run.caller : client;
  }

  /** A command is running (Redis's fixed_time_expire): a client's own invalidations wait for its reply. */
  get inCommand(): boolean {
    return this.commandDepth > 0;
  }

  /** signalKeyAsReady: a blocked client waiting on this key may now be served. */
  signalKeyReady(db: number, key: string): void {
    this.blocking.signalKeyReady(db, key);
  }

  /**
   * emptyData with signalFlushedDb: empties database `dbIndex`, or every database with
   * -1 (FLUSHALL, DEBUG RELOAD), after failing the transactions that WATCH one of its
   * keys. Returns the number of keys removed; the command counts them as changes.
   * `withFunctions`: the function libraries go too (a reload; FLUSHALL keeps them).
   */
  emptyData(dbIndex: number, withFunctions = false): number {
    if (withFunctions) this.scripting.functions.flush();
    let removed = 0;
    for (const db of this.dbs) {
      if (dbIndex !== -1 && db.index !== dbIndex) continue;
      this.scanDatabaseForDeletedStreams(db, null);
      this.watches.touchAllInDb(db, null);
      removed += db.clear();
    }
    this.tracking.invalidateKeysOnFlush();
    return removed;
  }

  /**
   * dbSwapDatabases (SWAPDB): transactions watching a key of either database fail,
   * XREADGROUP readers whose stream went away learn it, and clients blocked on a key
   * that now holds a list, sorted set or stream are served.
   */
  swapDatabases(first: Database, second: Database): void {
    this.watches.touchAllInDb(first, second);
    this.watches.touchAllInDb(second, first);
    this.scanDatabaseForDeletedStreams(first, second);
    this.scanDatabaseForDeletedStreams(second, first);
    first.swapWith(second);
    this.scanDatabaseForReadyKeys(first);
    this.scanDatabaseForReadyKeys(second);
  }

  /** The waited-on keys of `db` that hold a value now. */
  private scanDatabaseForReadyKeys(db: Database): void {
    for (const key of this.blocking.waitedKeysOf(db.index)) if (db.has(key)) this.blocking.signalKeyReady(db.index, key);
  }

  /** Waited-on keys of `emptied` holding a stream that `replacedWith` does not replace with one. */
  private scanDatabaseForDeletedStreams(emptied: Database, replacedWith: Database | null): void {
    if (this.blocking.countOf("stream") === 0) return;
    const isStream = (db: Database, key: string) => db.typeOfKey(key) === "stream";
    for (const key of this.blocking.waitedKeysOf(emptied.index)) {
      if (isStream(emptied, key) && (replacedWith === null || !isStream(replacedWith, key))) this.blocking.signalKeyReady(emptied.index, key);
    }
  }


  /** Keyspace hits/misses live in each database: INFO adds them up. */
  keyspaceStats(): { hits: number; misses: number; expired: number } {
    let hits = 0;
    let misses = 0;
    for (const db of this.dbs) {
      hits += db.stats.hits;
      misses += db.stats.misses;
    }
    return { hits, misses, expired: this.stats.expiredKeys };
  }

  writePidFile(): void {
    const path = this.config.getString("pidfile");
    if (path === "") return;
    try {
      writeFileSync(path, `${process.pid}\n`);
    } catch (error) {
      logger.warning(`Failed to write PID file: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  removePidFile(): void {
    const path = this.config.getString("pidfile");
    if (path === "") return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }

  /** Closes listeners and clients (the last step of SHUTDOWN). */
  closeListeners(): void {
    // Stopping a listener closes its clients' sockets: the server's doing, not theirs.
    this.listenersClosed = true;
    for (const listener of this.listeners) listener.stop(true);
    this.tcpListeners = [];
    this.unixListener = null;
    const unixPath = this.config.getString("unixsocket");
    if (unixPath !== "") {
      try {
        unlinkSync(unixPath);
      } catch {
        // Already gone.
      }
    }
  }

}

// call() flags (Redis's CMD_CALL_*): what a command's run is accounted in.
/** No commandstats calls/usec (failed_calls and total_commands_processed still count). */
export const CMD_CALL_NONE = 0;
/** commandstats calls and usec. */
export const CMD_CALL_STATS = 1 << 0;
/** The slowlog and the latency monitor. */
export const CMD_CALL_SLOWLOG = 1 << 1;
export const CMD_CALL_FULL = CMD_CALL_STATS | CMD_CALL_SLOWLOG;

/** Requests with more arguments than this read the clock for their own start (their parse is not negligible). */
const PIPELINE_CLOCK_MAX_ARGS = 32;

/** Commands a RESP2 client may run while subscribed. */
const PUBSUB_CONTEXT_COMMANDS = new Set(["ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"]);
/** Commands MULTI does not queue. */
const MULTI_CONTROL_COMMANDS = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Inside MULTI over maxmemory, everything but these is refused (queuing takes memory too). */
const MULTI_OOM_EXEMPT_COMMANDS = new Set(["exec", "discard", "quit", "reset"]);

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127.");
}

function formatHost(address: string): string {
  if (address.startsWith("::ffff:")) return address.slice(7);
  return address;
}
