// serverCron: the server's one periodic loop, run `hz` times a second as in Redis.
// Each tick: active expiry, client timeouts, the clients' memory and client eviction
// (with maxmemory), blocked-client timeouts, stats sampling,
// and the persistence duties (checkChildrenDone, save points, scheduled BGSAVE,
// pending shutdown), in that order. main.ts starts it once the data is loaded.

import { CLIENTS_PEAK_MEM_USAGE_SLOTS, type Server } from "./server.ts";
import { REPLY_MIN_BYTES } from "./net/client.ts";
import { logger } from "./log.ts";
import { clientArgvBytes, usedMemory } from "./memory.ts";

/** Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP and the share of a tick the cycle may use. */
const KEYS_PER_LOOP = 20;
const SLOW_CYCLE_TIME_PERCENT = 25;

export class Cron {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private expireDbCursor = 0;
  private running = false;
  activeExpireEnabled = true;
  /** DEBUG PAUSE-CRON 1. */
  paused = false;
  cronLoops = 0;
  private lastReplicationCron = 0;

  constructor(private readonly server: Server) {}

  /** Ticks until stop() or a completed shutdown, as Redis's time event. */
  start(): void {
    this.running = true;
    const tick = () => {
      this.timer = null;
      try {
        this.serverCron();
      } finally {
        if (this.running && !this.server.shuttingDown) this.schedule(tick);
      }
    };
    this.schedule(tick);
  }

  private schedule(tick: () => void): void {
    this.timer = setTimeout(tick, 1000 / this.hz());
  }

  /** The ticks a second: `hz`, within Redis's CONFIG_MIN_HZ and CONFIG_MAX_HZ. */
  private hz(): number {
    return Math.max(1, Math.min(500, this.server.config.getNumber("hz")));
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * One tick. The persistence duties follow Redis's serverCron: checkChildrenDone reaps
   * a child that has exited and calls the done-handler of its kind; then, when no child
   * is active, the save points and a scheduled BGSAVE may start one. A child reaped in
   * this tick lets the save points be checked in the same tick (Redis's else-branch
   * waits for the next one). Redis checks a signal's pending shutdown near the start of
   * the tick; Bunker does it last, after the child was reaped.
   */
  serverCron(): void {
    const server = this.server;
    const now = Date.now();
    server.syncWallClock();
    // DEBUG PAUSE-CRON: the tick does nothing (Redis's pause_cron, for tests).
    if (this.paused) return;
    this.cronLoops++;
    this.logDatabasesAndClients();
    // A replica expires nothing itself: its master's DELs do (iAmMaster).
    if (this.activeExpireEnabled && !server.loading && !server.replication.isReplica) {
      this.activeExpireCycle();
      // An expired stream wakes its XREADGROUP readers.
      if (server.blocking.keyWaiterCount > 0) server.handleClientsBlockedOnKeys();
    }
    // databasesCron's incremental rehashing: an index rehash also moves on without writes.
    if (server.config.getBool("activerehashing")) for (const db of server.dbs) db.table.maintenance();
    this.clientsCron(now);
    // The values evicted since the last tick are garbage a collection must free (evict.ts).
    server.evictor.collectEvictedGarbage();
    // clientsCron's memory tracking corrects the running clients total (output buffers
    // drain, pub/sub messages queue, without a read from their client), then Redis's
    // beforeSleep evicts clients over maxmemory-clients.
    if (server.evictor.clientsTracked) {
      server.evictor.recountClientsMemory();
      server.evictor.evictClients();
    }
    server.expireBlockedClients();
    this.sampleStats(now);
    // The tracking table's limit also holds while no command runs (CONFIG SET lowered it).
    if (server.tracking.clients !== 0) server.tracking.limitUsedSlots(null);

    const persistence = server.persistence;
    const children = persistence.childSlot;
    const aof = persistence.aof;
    // A rewrite BGREWRITEAOF scheduled while another child ran.
    if (!server.loading) aof.runScheduledRewrite();
    if (children.hasActiveChildProcess()) {
      children.checkChildrenDone();
      // Replicas waiting for a full sync start as soon as the slot is free.
      if (!server.loading) server.master.replicationStartPendingFork();
    }
    if (!children.hasActiveChildProcess() && !server.loading) {
      persistence.checkSavePoints(now);
      aof.checkAutoRewrite();
    }
    if (!children.hasActiveChildProcess() && !server.loading) persistence.runScheduledBgsave(now);
    aof.flushFromCron();
    // replicationCron, once a second: the replica half (timeouts, reconnection, REPLCONF
    // ACK), then the master half (PINGs, newlines, timeouts, the backlog's TTL, pending syncs).
    if (now - this.lastReplicationCron >= 1000) {
      this.lastReplicationCron = now;
      server.masterLink.replicaCron();
      if (!server.loading) server.master.replicationCron();
    }
    persistence.runPendingShutdown();
  }

  /**
   * run_with_period(ms): whether this tick runs a block of that period, as Redis decides
   * it (every ms / (1000 / hz) loops in C's integer division, counted from the first
   * tick; every tick when the period is no longer than one).
   */
  private runWithPeriod(ms: number): boolean {
    const tickMs = Math.floor(1000 / this.hz());
    return ms <= tickMs || (this.cronLoops - 1) % Math.floor(ms / tickMs) === 0;
  }

  /** Every 5 seconds: the non-empty databases at verbose, the clients and memory at debug. */
  private logDatabasesAndClients(): void {
    if (!logger.enabled("verbose") || !this.runWithPeriod(5000)) return;
    const server = this.server;
    server.dbs.forEach((db, index) => {
      if (db.size > 0 || db.expiresCount > 0) logger.verbose(`DB ${index}: ${db.size} keys (${db.expiresCount} volatile) in ${db.table.indexSlots} slots HT.`);
    });
    if (!logger.enabled("debug")) return;
    const replicas = server.replication.replicas.length;
    logger.debug(`${server.clients.size - replicas} clients connected (${replicas} replicas), ${usedMemory(server)} bytes in use`);
  }

  /**
   * activeExpireCycle (slow mode): sample keys with a TTL in each database, delete the
   * expired ones, and keep going on a database while more than a quarter of the sample
   * was expired, within a time budget of 25% of the tick.
   */
  activeExpireCycle(): void {
    // While clients are paused the dataset stays still: no key expires.
    if (this.server.clientsArePaused()) return;
    // Each expired key is propagated as its own DEL (propagate_no_multi): they are
    // independent of each other, so no transaction wraps them.
    const propagation = this.server.propagation;
    propagation.noMulti = true;
    try {
      this.expireWithinBudget();
    } finally {
      propagation.propagatePendingCommands();
      propagation.noMulti = false;
    }
  }

  private expireWithinBudget(): void {
    const hz = this.server.config.getNumber("hz");
    const budgetMs = (1000 / hz) * (SLOW_CYCLE_TIME_PERCENT / 100);
    const start = performance.now();
    const dbs = this.server.dbs;
    for (let n = 0; n < dbs.length; n++) {
      const db = dbs[this.expireDbCursor % dbs.length]!;
      this.expireDbCursor++;
      for (;;) {
        const [checked, expired] = db.activeExpire(KEYS_PER_LOOP);
        if (checked === 0 || expired * 4 <= checked) break;
        if (performance.now() - start > budgetMs) return;
      }
      if (performance.now() - start > budgetMs) return;
    }
  }

  /**
   * clientsCron: idle clients are closed after `timeout` seconds (not blocked, subscribed
   * or MONITOR ones, as in Redis); a query buffer idle
   * for more than 2 seconds gives its spare room back (clientsCronResizeQueryBuffer);
   * the reply buffer's size follows its use (clientsCronResizeOutputBuffer); and
   * output that sits over a soft limit while nothing is added to it still closes its
   * client once the limit's seconds have passed.
   */
  private clientsCron(now: number): void {
    const server = this.server;
    const timeout = server.config.getNumber("timeout");
    const nowSeconds = Math.floor(now / 1000);
    // clientsCronTrackExpansiveClients: this second's slot takes the peaks; the next one,
    // eight seconds old, is cleared for the coming second.
    const peakSlot = nowSeconds % CLIENTS_PEAK_MEM_USAGE_SLOTS;
    const staleSlot = (peakSlot + 1) % CLIENTS_PEAK_MEM_USAGE_SLOTS;
    server.clientsPeakMemInput[staleSlot] = 0;
    server.clientsPeakMemOutput[staleSlot] = 0;
    for (const client of server.clients.values()) {
      const idle = now - client.lastInteraction;
      // Whole seconds, as Redis's server.unixtime and c->lastinteraction.
      if (timeout > 0 && nowSeconds - Math.floor(client.lastInteraction / 1000) > timeout && !client.mustObey) {
        if (client.blocked === null && client.subscriptionCount === 0 && client.shardChannels.size === 0 && !client.monitor && client.replica === null) {
          logger.verbose("Closing idle client");
          client.close();
          continue;
        }
      }
      if (idle > 2000) client.parser.releaseSpareBuffer();
      const parser = client.parser;
      const input = parser.queryBufferLength + parser.queryBufferFree + clientArgvBytes(client);
      if (input > server.clientsPeakMemInput[peakSlot]!) server.clientsPeakMemInput[peakSlot] = input;
      if (client.pendingBytes > server.clientsPeakMemOutput[peakSlot]!) server.clientsPeakMemOutput[peakSlot] = client.pendingBytes;
      if (server.replyBufferResizing) {
        const resized = client.resizeReplyBuffer(now, server.replyBufferPeakResetTime);
        if (resized < 0) server.stats.replyBufferShrinks++;
        else if (resized > 0) server.stats.replyBufferExpands++;
      }
      if (client.outputBytes > REPLY_MIN_BYTES) server.closeClientOnOutputBufferLimitReached(client, false);
    }
  }

  private sampleStats(now: number): void {
    const stats = this.server.stats;
    stats.samples.push([now, stats.totalCommands, stats.netInputBytes, stats.netOutputBytes]);
    if (stats.samples.length > 16) stats.samples.shift();
  }
}
