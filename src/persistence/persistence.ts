// Persistence state and the RDB paths, as Redis's rdb.c: SAVE (rdbSave), loading at
// start-up (rdbLoad), DEBUG RELOAD, the FLUSHALL save, the shutdown sequence
// (prepareForShutdown), and the RDB kind of background child: rdbSaveBackground starts
// it in the child slot (child.ts) with the snapshot coordinator (snapshot.ts) as its
// producer, killRDBChild stops it, and backgroundSaveDoneHandler is what serverCron's
// checkChildrenDone calls when it has exited. serverCron (cron.ts) also asks
// checkSavePoints and runScheduledBgsave to start one.
//
// The counters are the ones Redis keeps in `server` (lastsave, dirty, bgsave status,
// rdb_saves...), and the MISCONF condition is computed from them.

import { existsSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Server } from "../server.ts";
import type { Client } from "../net/client.ts";
import { MISCONF_RDB } from "../errors.ts";
import { logger } from "../log.ts";
import { setOOMScoreAdj } from "../oom-score-adj.ts";
import { RdbEncoder, ValueEncoder, type RdbEncodeOptions } from "./rdb/encoder.ts";
import { RdbDecoder, RdbLoadError, fileByteSource, type RdbByteSource, type RdbLoadLimits, type RdbLoadSummary, ValueDecoder } from "./rdb/decoder.ts";
import type { RdbReplicationInfo } from "../replication/replication.ts";
import { SHARED } from "../propagate.ts";
import { atoll } from "../util/strtoll.ts";
import { bytesToKey, bytesToText } from "../db/bytes.ts";
import { REDIS_VERSION } from "../version.ts";
import { usedMemory } from "../memory.ts";
import { errorText } from "../util/errors-text.ts";
import { SnapshotCoordinator } from "./snapshot.ts";
import { AppendOnlyFile } from "./aof/aof.ts";
import { AOF_EMPTY, AOF_FAILED, AOF_NOT_EXIST, AOF_OK, AOF_OPEN_ERR, aofLoadManifestFromDisk } from "./aof/manifest.ts";
import { loadAppendOnlyFiles } from "./aof/load.ts";
import { ConfigError } from "../config.ts";
import { RdbFileWriter } from "./rdb-file.ts";
import { ChildSlot, childProgressPercent, isRdbChildKind, type Child, type ChildExit } from "./child.ts";
import { constants as osConstants } from "node:os";

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed save, automatic ones wait this long (s). */
const BGSAVE_RETRY_DELAY = 5;

export interface LoadingState {
  startTime: number; // unix seconds
  totalBytes: number;
  loadedBytes: number;
  rdbUsedMem: number;
  startedAtMs: number;
}

/** SHUTDOWN's flags, or those shutdown-on-sigterm / shutdown-on-sigint give a signal. */
export interface ShutdownFlags {
  nosave: boolean;
  save: boolean;
  now: boolean;
  force: boolean;
}

export class Persistence {
  /** Unix seconds of the last successful save; the server start time at first. */
  lastSave = Math.floor(Date.now() / 1000);
  lastBgsaveStatus: "ok" | "err" = "ok";
  /** Unix seconds of the last background save attempt (the 5 s retry rule). */
  lastBgsaveTry = 0;
  /** Seconds the last background save took, -1 before the first. */
  lastBgsaveTimeSec = -1;
  rdbSaves = 0;
  /** `dirty` when the running background save started: a success subtracts it. */
  dirtyBeforeBgsave = 0;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB loads and RESTORE payloads are not CRC-checked. */
  skipChecksumValidation = false;
  /** Why the last background save failed (Bunker's addition to INFO). */
  lastBgsaveError = "";
  rdbLastLoadKeysLoaded = 0;
  rdbLastLoadKeysExpired = 0;
  rdbLastCowSize = 0;
  /** BGSAVE SCHEDULE / BGSAVE inside EXEC waiting for its turn. */
  bgsaveScheduled = false;
  loadingState: LoadingState | null = null;
  /** The one background child (Redis's child_pid/child_type) and its fork stats. */
  readonly childSlot: ChildSlot;
  /**
   * The working memory of the values commands encode and decode on their own: DUMP and
   * DEBUG OBJECT, RESTORE. Commands run one at a time and these codecs call out to
   * nothing, so one of each serves them all; a load, a save and a snapshot have their own.
   */
  readonly valueEncoder = new ValueEncoder();
  readonly valueDecoder = new ValueDecoder();
  /** The append-only file (aof/aof.ts): off unless appendonly yes. */
  readonly aof: AppendOnlyFile;

  constructor(private readonly server: Server) {
    this.childSlot = new ChildSlot(
      (event, ms) => server.latency.sample(event, ms),
      (pid) => setOOMScoreAdj(server.config, "bgchild", pid),
    );
    this.childSlot.onDone("rdb", (child, exit) => this.backgroundSaveDoneHandler(child, exit));
    this.aof = new AppendOnlyFile(server);
    this.childSlot.onDone("aof-rewrite", (child, exit) => this.aof.backgroundRewriteDoneHandler(child, exit));
    // updateAppendonly: CONFIG SET appendonly turns the AOF on (through a rewrite) or off.
    server.config.onChange("appendonly", (value) => {
      const aof = this.aof;
      if (value === "no" && aof.state !== "off") aof.stopAppendOnly();
      else if (value === "yes" && aof.state === "off" && !aof.startAppendOnly()) throw new ConfigError("Unable to turn on AOF. Check server logs.");
    });
    // updateAofAutoGCEnabled: turning the collection back on deletes the history now.
    server.config.onChange("aof-disable-auto-gc", (value) => {
      if (value === "no") this.aof.deleteHistory();
    });
  }

  get dbPath(): string {
    return join(process.cwd(), this.server.config.getString("dbfilename"));
  }

  /** allPersistenceDisabled: no save points and the AOF off. */
  allPersistenceDisabled(): boolean {
    return this.server.config.savePoints().length === 0 && this.aof.state === "off";
  }

  /**
   * The MISCONF condition (writeCommandsDeniedByDiskError): stop-writes-on-bgsave-error,
   * save points configured and the last background save failed; else the AOF on and its
   * last write or fsync failed. Returns the error text, or null when writes may go on.
   */
  diskErrorMessage(): string | null {
    if (this.lastBgsaveStatus === "err") {
      const config = this.server.config;
      if (config.getBool("stop-writes-on-bgsave-error") && config.savePoints().length > 0) return MISCONF_RDB;
    }
    return this.aof.diskErrorMessage();
  }

  encodeOptions(): RdbEncodeOptions {
    const config = this.server.config;
    return {
      compression: config.getBool("rdbcompression"),
      streamNodeMaxBytes: config.getNumber("stream-node-max-bytes"),
      streamNodeMaxEntries: config.getNumber("stream-node-max-entries"),
    };
  }

  loadLimits(): RdbLoadLimits {
    const config = this.server.config;
    return {
      hashMaxListpackEntries: config.getNumber("hash-max-listpack-entries"),
      hashMaxListpackValue: config.getNumber("hash-max-listpack-value"),
      zsetMaxListpackEntries: config.getNumber("zset-max-listpack-entries"),
      zsetMaxListpackValue: config.getNumber("zset-max-listpack-value"),
      setMaxIntsetEntries: config.getNumber("set-max-intset-entries"),
      listMaxListpackSize: config.getNumber("list-max-listpack-size"),
      listCompressDepth: config.getNumber("list-compress-depth"),
    };
  }

  // ---- foreground save (rdbSave) -------------------------------------------------

  /**
   * Writes the whole dataset to temp-<pid>.rdb, fsyncs, renames it over dbfilename and
   * fsyncs the directory. On failure logs Redis's line, removes the temp file and
   * returns false. Does not touch counters: the callers decide (SAVE vs FLUSHALL...).
   */
  writeSnapshotFile(): boolean {
    const config = this.server.config;
    const file = new RdbFileWriter(process.cwd(), config.getString("dbfilename"), process.pid, config.getBool("rdb-save-incremental-fsync"));
    const saved = file.writeWhole("rdbSaveRio", () => {
      this.writeDataset(new RdbEncoder((chunk) => file.write(chunk), { ...this.encodeOptions(), checksum: config.getBool("rdbchecksum") }));
    });
    if (!saved) return false;
    logger.notice("DB saved on disk");
    return true;
  }

  /**
   * Header, every non-empty database with its keys, EOF and checksum. `aofBase`: the
   * file is an AOF base (the RDB preamble of rewriteAppendOnlyFile): aux aof-base is 1.
   */
  writeDataset(encoder: RdbEncoder, aofBase = false): void {
    // rdbPopulateSaveInfo: the replication id and offset ride along (a master's with a
    // backlog, a replica's with its master's database), never in an AOF base.
    const replication = aofBase ? undefined : this.server.replication.rdbPopulateSaveInfo();
    encoder.writeHeader({ redisVer: REDIS_VERSION, ctime: Date.now() / 1000, usedMem: usedMemory(this.server), aofBase, replication });
    for (const code of this.server.scripting.functions.codes()) encoder.writeFunction(code);
    const now = Date.now();
    const policy = this.server.config.getString("maxmemory-policy");
    const lruPolicy = policy.includes("lru");
    const lfuPolicy = policy.includes("lfu");
    for (const db of this.server.dbs) {
      if (db.size === 0) continue;
      encoder.selectDb(db.index, db.size, db.expiresCount);
      // Every stored key, expired ones too (as Redis writes them; loaders drop them).
      const table = db.table;
      const nowSeconds = Math.floor(now / 1000);
      for (let slot = 0; slot < table.slotCount; slot++) {
        if (!table.isLive(slot)) continue;
        const value = table.valueAt(slot);
        const lru = lruPolicy
          ? { idleSeconds: Math.max(0, nowSeconds - table.lruOf(slot)) }
          : lfuPolicy
            ? { freq: table.freqOf(slot) }
            : undefined;
        const expireAt = table.expireAtOf(slot);
        encoder.writeKey(table.keyBytesAt(slot), value, expireAt === -1 ? undefined : expireAt, lru);
      }
    }
    encoder.finish();
  }

  /** The state change of a successful foreground save (rdbSave's success path). */
  private markSaved(): void {
    this.server.dirty = 0;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.lastBgsaveStatus = "ok";
    this.lastBgsaveError = "";
  }

  /** SAVE: counted in rdb_saves; a failure leaves the bgsave status alone (Redis 7.0). */
  saveCommand(): boolean {
    this.rdbSaves++;
    const ok = this.writeSnapshotFile();
    if (ok) this.markSaved();
    return ok;
  }

  /** A save that is not SAVE itself (FLUSHALL, SHUTDOWN, DEBUG RELOAD): not counted in rdb_saves. */
  saveInternal(): boolean {
    const ok = this.writeSnapshotFile();
    if (ok) this.markSaved();
    return ok;
  }

  // ---- loading (rdbLoad) ------------------------------------------------------------

  /**
   * loadDataFromDisk, at start-up: the AOF manifest is read in any case (a later CONFIG
   * SET appendonly yes continues its sequence numbers); with appendonly yes the AOF is
   * the dataset and is opened for appending afterwards (aofOpenIfNeededOnServerStart),
   * else dir/dbfilename is loaded. Then history files a crash left are deleted. A fatal
   * problem logs Redis's lines and returns false (main exits with code 1).
   */
  async loadAtStartup(): Promise<boolean | { exitCode: number }> {
    const server = this.server;
    const manifest = aofLoadManifestFromDisk(server);
    if (manifest === null) return false;
    this.aof.manifest = manifest;
    if (server.config.getBool("appendonly")) {
      const started = performance.now();
      const result = await loadAppendOnlyFiles(server, manifest);
      if (result.status === AOF_FAILED || result.status === AOF_OPEN_ERR) return false;
      if (result.status !== AOF_NOT_EXIST) logger.notice(`DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
      // CONFIG SET appendonly no while loading: then there is nothing to open.
      if (server.config.getBool("appendonly")) this.aof.openOnServerStart(manifest, result.sizes ?? { currentSize: 0, baseSize: 0 });
    } else {
      const loaded = await this.loadRdbAtStartup();
      if (loaded !== true) return loaded;
    }
    this.aof.deleteHistory();
    return true;
  }

  /**
   * rdbLoad of dir/dbfilename at start-up: a missing file is an empty start. A library
   * that does not load ends the start-up with the exit status of Redis's checker (see
   * checkRdbAfterLibraryFailure).
   */
  private async loadRdbAtStartup(): Promise<boolean | { exitCode: number }> {
    const path = this.dbPath;
    let size: number;
    try {
      size = statSync(path).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
      logger.warning(`Fatal error loading the DB: ${errorText(error)}. Exiting.`);
      return false;
    }
    const started = performance.now();
    // A master puts a DEL for each key the file holds already expired into a backlog made
    // for the load (RDBFLAGS_FEED_REPL), so that a replica continuing after the restart
    // drops them too; the backlog stays only if the file names a history to continue.
    const replication = this.server.replication;
    const feedReplication = !replication.isReplica;
    if (feedReplication) replication.createReplicationBacklog();
    const result = await this.loadFile(path, size, false, feedReplication);
    if (result instanceof LibraryLoadError) {
      reportLoadFailure(result, this.server.config.getString("dbfilename"), false, false, this.server.config.getNumber("loading-process-events-interval-bytes"));
      return { exitCode: await this.checkRdbAfterLibraryFailure(path) };
    }
    if (result !== true) {
      reportLoadFailure(result, this.server.config.getString("dbfilename"), false, true, this.server.config.getNumber("loading-process-events-interval-bytes"));
      return false;
    }
    logger.notice(`DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
    // loadDataFromDisk: the history the file names lives on, so PSYNC continues after a
    // restart: a replica's as its cached master, a master's as its replid2.
    const info = this.rdbReplicationInfo;
    const valid = info !== null && info.replId.length === 40 && info.offset !== -1 && info.streamDb !== -1;
    if (valid) {
      if (this.server.masterLink.masterHost !== null) this.server.masterLink.restoreFromRdb(info);
      else this.server.master.restoreReplicationInfo(info.replId, info.offset);
    } else if (feedReplication) replication.freeReplicationBacklog();
    return true;
  }

  /**
   * After a load failure Redis runs redis-check-rdb on the file and exits with its
   * status. The checker reads a library's code without loading it, so a file that failed
   * only because of a library (one that does not compile, or is there twice) passes: it
   * reports the file OK and Redis 7.0 exits with status 0. This reads the file the same
   * way (libraries skipped, keys counted), prints the checker's verdict and returns the
   * exit status.
   */
  private async checkRdbAfterLibraryFailure(path: string): Promise<number> {
    const name = this.server.config.getString("dbfilename");
    let keys = 0;
    let expires = 0;
    try {
      const decoder = RdbDecoder.fromSource(fileByteSource(path), { ...this.loadLimits(), verifyChecksum: true, databases: this.server.dbs.length });
      const summary = await decoder.load({
        onFunction: () => {},
        onKey: (_db, _key, _value, expireAtMs) => {
          keys++;
          if (expireAtMs !== undefined) expires++;
          return true;
        },
      });
      process.stdout.write(
        `[offset 0] Checking RDB file ${name}\n[offset ${summary.bytesRead}] \\o/ RDB looks OK! \\o/\n[info] ${keys} keys read\n[info] ${expires} expires\n[info] 0 already expired\n`,
      );
      return 0;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const offset = error instanceof RdbLoadError ? (error.offset ?? 0) : 0;
      process.stdout.write(`[offset 0] Checking RDB file ${name}\n--- RDB ERROR DETECTED ---\n[offset ${offset}] ${reason}\n[additional info] Reading RDB file: ${name}\n--- RDB ERROR DETECTED ---\n`);
      return 1;
    }
  }

  /**
   * Reads an RDB file into the databases, serving clients (with -LOADING) between
   * chunks. `merge` lets file keys replace existing ones (DEBUG RELOAD MERGE).
   * Returns true or the error.
   */
  async loadFile(path: string | RdbByteSource, size: number, merge: boolean, feedReplication = false): Promise<true | RdbLoadError | Error> {
    this.startLoading(size);
    let lastProgressLog = performance.now();
    try {
      const result = await this.rdbLoadRio(path, { merge, aofPreamble: false, feedReplication }, (bytesRead) => {
        this.loadingState!.loadedBytes = bytesRead;
        if (performance.now() - lastProgressLog > 2000) {
          lastProgressLog = performance.now();
          const perc = size > 0 ? ((bytesRead / size) * 100).toFixed(2) : "0.00";
          logger.notice(`Loading RDB: ${perc}% (${bytesRead} of ${size} bytes), keys loaded so far: ${this.rdbLastLoadKeysLoaded}`);
        }
      });
      return result instanceof Error ? result : true;
    } finally {
      this.stopLoading();
    }
  }

  /**
   * startLoading: the server is loading `totalBytes` of files (INFO's loading_* fields,
   * -LOADING replies, no expiry, no propagation) and the last load's key counts restart.
   */
  startLoading(totalBytes: number): void {
    const now = Date.now();
    this.loadingState = { startTime: Math.floor(now / 1000), totalBytes, loadedBytes: 0, rdbUsedMem: 0, startedAtMs: now };
    this.rdbLastLoadKeysLoaded = 0;
    this.rdbLastLoadKeysExpired = 0;
    this.server.setLoading(true);
  }

  stopLoading(): void {
    this.server.setLoading(false);
    this.loadingState = null;
  }

  /**
   * rdbLoadRio: reads the RDB at the start of the file at `path` into the databases, for
   * a load the caller started (startLoading). `merge`: file keys replace existing ones
   * (DEBUG RELOAD MERGE). `aofPreamble`: the RDB is an AOF's base or preamble, whose keys
   * are all loaded (a master drops keys already expired only from a plain RDB).
   * `onProgress` gets the bytes read so far between chunks; the event loop runs after
   * each (clients get -LOADING, INFO works). Counts rdb_last_load_keys_loaded/expired.
   * Returns what the decoder read (the RDB's length in the file), or the error.
   */
  async rdbLoadRio(
    path: string | Buffer | RdbByteSource,
    flags: { merge: boolean; aofPreamble: boolean; feedReplication?: boolean },
    onProgress: (bytesRead: number) => void,
  ): Promise<RdbLoadSummary | Error> {
    const server = this.server;
    const config = server.config;
    const now = Date.now();
    const keyLoadDelay = config.getNumber("key-load-delay");
    // iAmMaster: a replica keeps the keys past their time, its master's DELs remove them.
    const dropExpired = !flags.aofPreamble && !server.replication.isReplica;
    let emptyKeysSkipped = 0;
    this.rdbReplicationInfo = null;
    try {
      const source = typeof path === "string" || path instanceof Uint8Array ? fileByteSource(path) : path;
      const decoder = RdbDecoder.fromSource(source, {
        ...this.loadLimits(),
        verifyChecksum: config.getBool("rdbchecksum") && !this.skipChecksumValidation,
        progressIntervalBytes: config.getNumber("loading-process-events-interval-bytes"),
        databases: server.dbs.length,
      });
      const summary = await decoder.load({
        onAux: (name, value) => this.logRdbAuxField(name, value, now),
        // rdbFunctionLoad: a library that does not load fails the whole load, as in Redis,
        // which logs why and then takes its "unexpected EOF" exit from the loader (eoferr):
        // the error reported after this line is that one.
        onFunction: (code) => {
          const error = server.scripting.functions.loadFromRdb(code, flags.merge);
          if (error !== null) {
            logger.warning(`Failed loading library, ${error}`);
            throw new LibraryLoadError("Unexpected EOF reading RDB file", 0);
          }
        },
        onKey: (dbIndex, keyBytes, value, expireAtMs, idleSeconds, freq) => {
          const db = server.dbs[dbIndex]!;
          if (keyLoadDelay > 0) busyWaitMicros(keyLoadDelay);
          if (dropExpired && expireAtMs !== undefined && expireAtMs < Date.now()) {
            if (flags.feedReplication) server.replication.feed(dbIndex, [server.lazyfreeLazyExpire ? SHARED.unlink : SHARED.del, keyBytes]);
            this.rdbLastLoadKeysExpired++;
            return true;
          }
          let slot = db.loadKey(keyBytes, value, expireAtMs ?? -1);
          if (slot < 0) {
            const key = bytesToKey(keyBytes);
            if (!flags.merge) {
              logger.warning(`RDB has duplicated key '${key}' in DB ${dbIndex}`);
              return false;
            }
            db.remove(key);
            slot = db.loadKey(keyBytes, value, expireAtMs ?? -1);
          }
          // OBJECT IDLETIME / FREQ survive a save and load, as Redis keeps them (IDLE/FREQ opcodes).
          if (freq !== undefined) db.setFreq(slot, freq);
          if (idleSeconds !== undefined) db.setIdleSeconds(slot, idleSeconds);
          this.rdbLastLoadKeysLoaded++;
          return true;
        },
        // An empty collection in a file (old Redis bugs wrote some) is left out, as Redis does.
        onEmptyKeySkipped: (_dbIndex, keyBytes) => {
          if (emptyKeysSkipped++ < 10) logger.warning(`rdbLoadObject skipping empty key: ${bytesToKey(keyBytes)}`);
        },
        onProgress: async (bytesRead) => {
          onProgress(bytesRead);
          // Let the event loop run: clients get -LOADING, INFO works.
          await new Promise<void>((resolve) => setImmediate(resolve));
        },
      });
      if (emptyKeysSkipped > 0) {
        logger.warning(
          `Done loading RDB, keys loaded: ${this.rdbLastLoadKeysLoaded}, keys expired: ${this.rdbLastLoadKeysExpired}, empty keys skipped: ${emptyKeysSkipped}.`,
        );
      } else logger.notice(`Done loading RDB, keys loaded: ${this.rdbLastLoadKeysLoaded}, keys expired: ${this.rdbLastLoadKeysExpired}.`);
      return summary;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** The repl-stream-db, repl-id and repl-offset aux fields of the last RDB loaded (rdbSaveInfo), null when it had none. */
  rdbReplicationInfo: RdbReplicationInfo | null = null;

  /** The AUX fields rdbLoadRio logs (or keeps: used-mem for INFO's loading_rdb_used_mem, the repl-* fields). */
  private logRdbAuxField(name: string, value: Uint8Array, now: number): void {
    const text = bytesToText(value);
    if (name === "repl-stream-db" || name === "repl-id" || name === "repl-offset") {
      const info = (this.rdbReplicationInfo ??= { streamDb: -1, replId: "", offset: -1 });
      if (name === "repl-stream-db") info.streamDb = atoll(text);
      else if (name === "repl-id") info.replId = text;
      else info.offset = atoll(text);
      return;
    }
    if (name.startsWith("%")) logger.notice(`RDB '${name}': ${text}`);
    else if (name === "redis-ver") logger.notice(`Loading RDB produced by version ${text}`);
    else if (name === "ctime") logger.notice(`RDB age ${Math.max(0, Math.floor(now / 1000) - Number(text))} seconds`);
    else if (name === "used-mem") {
      const usedMem = Number(text);
      if (this.loadingState !== null) this.loadingState.rdbUsedMem = usedMem;
      logger.notice(`RDB memory usage when created ${(usedMem / 1024 / 1024).toFixed(2)} Mb`);
    } else if (name === "aof-preamble") {
      if (atoll(text) !== 0) logger.notice("RDB has an AOF tail");
    } else if (name === "aof-base") {
      if (atoll(text) !== 0) logger.notice("RDB is base AOF");
    }
  }

  /** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] */
  async debugReloadAsync(client: Client, options: Uint8Array[]): Promise<void> {
    const server = this.server;
    let merge = false;
    let flush = true;
    let save = true;
    for (const option of options) {
      const word = bytesToKey(option).toLowerCase();
      if (word === "merge") merge = true;
      else if (word === "noflush") flush = false;
      else if (word === "nosave") save = false;
      else {
        server.replyError(client, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        return;
      }
    }
    if (save && !this.saveInternal()) {
      server.replyError(client, "ERR");
      return;
    }
    if (flush) server.emptyData(-1, true);
    let size: number;
    try {
      size = statSync(this.dbPath).size;
    } catch {
      server.replyError(client, "ERR Error trying to load the RDB dump");
      return;
    }
    const result = await this.loadFile(this.dbPath, size, merge);
    if (result !== true) {
      // Redis 7.0 does not exit here: with a client running a command, rdbReportError
      // logs at verbose level and returns (isRestoreContext), and DEBUG RELOAD answers
      // an error with whatever was loaded before the failure still in memory.
      reportLoadFailure(result, server.config.getString("dbfilename"), true, true, server.config.getNumber("loading-process-events-interval-bytes"));
      server.replyError(client, "ERR Error trying to load the RDB dump");
      return;
    }
    logger.notice("DB reloaded by DEBUG RELOAD");
    client.reply.ok();
  }

  debugReload(client: Client, options: Uint8Array[]): void {
    this.holdClientWhile(client, () => this.debugReloadAsync(client, options));
  }

  /**
   * DEBUG LOADAOF: the AOF buffer written, the dataset emptied and loaded again from
   * the AOF directory (the manifest re-read, history deleted). Anything but a clean or
   * empty load ends the process, as in Redis.
   */
  debugLoadAof(client: Client): void {
    this.holdClientWhile(client, () => this.debugLoadAofAsync(client));
  }

  private async debugLoadAofAsync(client: Client): Promise<void> {
    const server = this.server;
    const aof = this.aof;
    if (aof.state !== "off") aof.flushAppendOnlyFile(true);
    server.emptyData(-1, true);
    const manifest = aofLoadManifestFromDisk(server);
    if (manifest === null) {
      server.onExit(1);
      return;
    }
    aof.manifest = manifest;
    aof.deleteHistory();
    const result = await loadAppendOnlyFiles(server, manifest);
    if (result.status !== AOF_OK && result.status !== AOF_EMPTY) {
      server.onExit(1);
      return;
    }
    if (result.sizes !== null) aof.loadedSizes(result.sizes);
    // What was loaded is no change to propagate or to count toward a save point.
    server.dirty = 0;
    logger.warning("Append Only File loaded by DEBUG LOADAOF");
    client.reply.ok();
  }

  /** A load yields to the event loop: the client's further input waits until it is done. */
  private holdClientWhile(client: Client, task: () => Promise<void>): void {
    const blocking = this.server.blocking;
    blocking.blockPostponed(client, client.currentCommand!);
    void task().finally(() => {
      blocking.unblock(client);
      this.server.afterUnblock(client);
    });
  }

  // ---- background save (rdbSaveBackground) and its done-handler -------------------

  /**
   * Redis's rdbSaveBackground, called by BGSAVE, save points and a scheduled BGSAVE:
   * counts the attempt, then starts an "rdb" child in the slot with a snapshot
   * coordinator as its producer. Returns false when a child is active, or when the
   * writer could not be started (status err, as a failed fork in Redis).
   */
  rdbSaveBackground(): boolean {
    if (this.childSlot.hasActiveChildProcess()) return false;
    this.rdbSaves++;
    this.dirtyBeforeBgsave = this.server.dirty;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    let child: Child<"rdb">;
    try {
      child = this.childSlot.spawnChild("rdb", new SnapshotCoordinator(this.server), { type: "file", path: this.dbPath });
    } catch (error) {
      this.lastBgsaveStatus = "err";
      this.lastBgsaveError = `spawn: ${errorText(error)}`;
      logger.warning(`Can't save in background: fork: ${errorText(error)}`);
      return false;
    }
    logger.notice(`Background saving started by pid ${child.pid}`);
    return true;
  }

  /**
   * Redis's killRDBChild (FLUSHALL, SHUTDOWN): SIGUSR1 to the writer. The cleanup (temp
   * file, status) is left to checkChildrenDone, which reaps it as "terminated by signal
   * 10" and leaves the status alone.
   */
  killRDBChild(): void {
    if (this.childSlot.hasActiveRdbChild()) this.childSlot.killChild();
  }

  /**
   * Redis's backgroundSaveDoneHandler, the done-handler of an "rdb" child, called by
   * checkChildrenDone once the writer has exited: success moves dirty and lastsave on, an
   * error exit sets status err (MISCONF when save points exist), a signal removes the
   * temp file and sets status err unless it was SIGUSR1.
   */
  backgroundSaveDoneHandler(child: Child<"rdb">, exit: ChildExit): void {
    const snapshot = child.producer;
    const now = Math.floor(Date.now() / 1000);
    if (exit.bySignal === 0 && exit.exitCode === 0) {
      logger.notice("Background saving terminated with success");
      this.server.dirty = Math.max(0, this.server.dirty - this.dirtyBeforeBgsave);
      this.lastSave = now;
      this.lastBgsaveStatus = "ok";
      this.lastBgsaveError = "";
      this.rdbLastCowSize = snapshot.cowPeak;
      logger.notice(`Fork CoW for RDB: current ${snapshot.cowSize >> 20} MB, peak ${snapshot.cowPeak >> 20} MB, average ${snapshot.cowPeak >> 21} MB`);
      // Bunker's own line: what the writer process itself used (Redis's child has no equivalent).
      logger.verbose(`Snapshot writer: ${snapshot.keysProcessed} keys, ${snapshot.bytesWritten} bytes written, RSS ${snapshot.writerRss >> 20} MB`);
    } else if (exit.bySignal === 0) {
      logger.warning("Background saving error");
      this.lastBgsaveStatus = "err";
      this.lastBgsaveError = snapshot.failureCause || `writer exited with code ${exit.exitCode}`;
    } else {
      logger.warning(`Background saving terminated by signal ${exit.bySignal}`);
      const started = performance.now();
      this.rdbRemoveTempFile(child);
      this.server.latency.sample("rdb-unlink-temp-file", performance.now() - started);
      // SIGUSR1 is how the server stops a writer on purpose: not an error.
      if (exit.bySignal !== osConstants.signals.SIGUSR1) {
        this.lastBgsaveStatus = "err";
        this.lastBgsaveError = `writer killed by signal ${exit.bySignal}`;
      }
    }
    this.lastBgsaveTimeSec = now - child.startedAtSec;
    // Replicas whose full sync this file is: sent it now, or closed after a failure.
    this.server.master.updateSlavesWaitingBgsave(exit.bySignal === 0 && exit.exitCode === 0, "disk");
  }

  /** Redis's rdbRemoveTempFile: temp-<writer pid>.rdb beside the output, if it is there. */
  private rdbRemoveTempFile(child: Child): void {
    if (child.output.type !== "file") return;
    const path = join(dirname(child.output.path), `temp-${child.pid}.rdb`);
    if (!existsSync(path)) return;
    try {
      unlinkSync(path);
    } catch (error) {
      logger.warning(`Unable to remove the temp file ${path} of a killed writer: ${(error as Error).message}`);
    }
  }

  /** The 5 s retry rule: after a failed save, automatic and scheduled ones wait. */
  private bgsaveRetryAllowed(nowSec: number): boolean {
    return nowSec - this.lastBgsaveTry > BGSAVE_RETRY_DELAY || this.lastBgsaveStatus === "ok";
  }

  /**
   * serverCron's save points, checked when no child is active: the first point with
   * enough changes and old enough lastsave starts a background save.
   */
  checkSavePoints(nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    if (!this.bgsaveRetryAllowed(now)) return;
    for (const point of this.server.config.savePoints()) {
      if (this.server.dirty >= point.changes && now - this.lastSave > point.seconds) {
        logger.notice(`${point.changes} changes in ${point.seconds} seconds. Saving...`);
        this.rdbSaveBackground();
        return;
      }
    }
  }

  /**
   * serverCron's scheduled BGSAVE (BGSAVE SCHEDULE, BGSAVE inside EXEC), when no child is
   * active: the flag is cleared only when the save starts.
   */
  runScheduledBgsave(nowMs: number): void {
    if (!this.bgsaveScheduled || !this.bgsaveRetryAllowed(Math.floor(nowMs / 1000))) return;
    if (this.rdbSaveBackground()) this.bgsaveScheduled = false;
  }

  // ---- shutdown (prepareForShutdown, finishShutdown) ----------------------------------
  //
  // SHUTDOWN, or a SIGTERM/SIGINT at the next cron tick, first lets lagging replicas catch
  // up: writes are paused, the replicas are asked for an ACK, and the shutdown finishes
  // once every replica acknowledged the whole stream or shutdown-timeout seconds passed
  // (the cron checks). NOW skips the wait; ABORT cancels it. SHUTDOWN's client waits
  // blocked, and hears back only if the shutdown fails or is aborted.

  /** A SIGTERM/SIGINT asked for a shutdown (server.shutdown_asap); cleared when it is cancelled. */
  shutdownPending: "SIGTERM" | "SIGINT" | null = null;
  /** shutdown_mstime: a shutdown waits for its replicas until then; 0 when none was initiated. */
  private shutdownMstime = 0;
  /** shutdown_flags: those of the shutdown that waits. */
  private shutdownFlags: ShutdownFlags = { nosave: false, save: false, now: false, force: false };

  /** isShutdownInitiated */
  get shutdownInitiated(): boolean {
    return this.shutdownMstime !== 0;
  }

  /**
   * prepareForShutdown: true when the server is ready to exit now; false when the shutdown
   * waits for replicas (the cron finishes it) or failed (logged, and SHUTDOWN's clients
   * told). A second request while one waits is refused.
   */
  prepareForShutdown(flags: ShutdownFlags): boolean {
    if (this.shutdownInitiated) return false;
    const server = this.server;
    // A dataset half-loaded must not overwrite the file it comes from.
    this.shutdownFlags = server.loading ? { ...flags, nosave: true, save: false } : flags;
    logger.warning("User requested shutdown...");
    if (!flags.now && server.config.getNumber("shutdown-timeout") !== 0 && !this.isReadyToShutdown()) {
      this.shutdownMstime = Date.now() + server.config.getNumber("shutdown-timeout") * 1000;
      if (!server.clientsArePaused()) server.master.sendGetackToReplicas();
      server.shutdownPause = true;
      logger.notice("Waiting for replicas before shutting down.");
      return false;
    }
    return this.finishShutdown();
  }

  /** isReadyToShutdown: no replica lags behind the stream. */
  private isReadyToShutdown(): boolean {
    return this.server.master.replicasInSync();
  }

  /**
   * finishShutdown: stop a running writer, save when save points exist (unless NOSAVE)
   * or SAVE was given, remove the pidfile, close listeners. False (the server stays up,
   * the shutdown is cancelled) when the save failed without FORCE.
   */
  private finishShutdown(): boolean {
    const server = this.server;
    const flags = this.shutdownFlags;
    server.master.logLaggingReplicas();
    const child = this.childSlot.activeChild();
    if (child !== null && isRdbChildKind(child.kind)) {
      logger.warning("There is a child saving an .rdb. Killing it!");
      this.killRDBChild();
      // The process exits before a cron tick could reap the writer: remove its file now.
      this.rdbRemoveTempFile(child);
    }
    const aof = this.aof;
    if (child !== null && child.kind === "aof-rewrite") {
      // With the AOF still waiting for its first BASE, exiting would lose the dataset.
      if (aof.state === "wait-rewrite") {
        if (!flags.force) {
          logger.warning("Writing initial AOF, can't exit.");
          return this.shutdownFailed();
        }
        logger.warning("Writing initial AOF. Exit anyway.");
      }
      logger.warning("There is a child rewriting the AOF. Killing it!");
      aof.killAppendOnlyChild();
    }
    aof.shutdownFsync();
    const savePoints = server.config.savePoints().length > 0;
    if ((savePoints && !flags.nosave) || flags.save) {
      logger.notice("Saving the final RDB snapshot before exiting.");
      if (!this.saveInternal()) {
        if (!flags.force) {
          logger.warning("Error trying to save the DB, can't exit.");
          return this.shutdownFailed();
        }
        logger.warning("Error trying to save the DB. Exit anyway.");
      }
    }
    server.removePidFile();
    // flushSlavesOutputBuffers: what the replicas have not been sent yet goes out first.
    for (const replica of server.replication.replicas) replica.flush();
    server.closeListeners();
    logger.warning("Redis is now ready to exit, bye bye...");
    server.shuttingDown = true;
    return true;
  }

  private shutdownFailed(): false {
    logger.warning("Errors trying to shut down the server. Check the logs for more information.");
    this.cancelShutdown();
    return false;
  }

  /** cancelShutdown: writes resume; SHUTDOWN's waiting clients get Redis's error. */
  private cancelShutdown(): void {
    const server = this.server;
    this.shutdownPending = null;
    this.shutdownMstime = 0;
    for (const client of server.blocking.shutdownWaiters()) {
      server.blocking.unblock(client);
      server.replyError(client, "ERR Errors trying to SHUTDOWN. Check logs.");
      server.afterUnblock(client);
    }
    server.endShutdownPause();
  }

  /** abortShutdown (SHUTDOWN ABORT): false when no shutdown was initiated or requested. */
  abortShutdown(): boolean {
    if (this.shutdownInitiated) this.cancelShutdown();
    else if (this.shutdownPending !== null) this.shutdownPending = null;
    else return false;
    logger.notice("Shutdown manually aborted.");
    return true;
  }

  /** Run by the cron: a signal's pending shutdown, or one that waits for its replicas. */
  runPendingShutdown(): void {
    const signal = this.shutdownPending;
    if (signal !== null && !this.shutdownInitiated) {
      const words = this.server.config.getString(signal === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm").split(" ");
      const flags = { nosave: words.includes("nosave"), save: words.includes("save"), now: words.includes("now"), force: words.includes("force") };
      if (this.prepareForShutdown(flags)) this.server.onExit(0);
    } else if (this.shutdownInitiated && (Date.now() >= this.shutdownMstime || this.isReadyToShutdown())) {
      if (this.finishShutdown()) this.server.onExit(0);
    }
  }

  installSignalHandlers(): void {
    const onSignal = (signal: "SIGTERM" | "SIGINT") => {
      if (signal === "SIGINT" && this.shutdownPending !== null) {
        logger.warning("You insist... exiting now.");
        removeQuietly(join(process.cwd(), `temp-${process.pid}.rdb`));
        this.server.onExit(1);
        return;
      }
      if (this.server.loading) logger.warning("Received shutdown signal during loading, scheduling shutdown.");
      else logger.warning(`Received ${signal} scheduling shutdown...`);
      this.shutdownPending = signal;
      if (this.server.loading) {
        // No cron runs during the start-up load: shut down now, without saving.
        this.server.removePidFile();
        this.server.onExit(0);
      }
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  }

  // ---- INFO persistence -------------------------------------------------------------

  infoFields(): string[] {
    const server = this.server;
    const child = this.childSlot.activeChild();
    // What the running child reports (any kind, as Redis's current_* fields).
    const info = child?.producer;
    const rdbChild = child !== null && isRdbChildKind(child.kind) ? child : null;
    const now = Date.now();
    const lines = [
      `loading:${server.loading ? 1 : 0}`,
      "async_loading:0",
      `current_cow_peak:${info?.cowPeak ?? 0}`,
      `current_cow_size:${info?.cowSize ?? 0}`,
      `current_cow_size_age:${info && info.cowUpdatedAt > 0 ? Math.floor((now - info.cowUpdatedAt) / 1000) : 0}`,
      `current_fork_perc:${info ? childProgressPercent(info).toFixed(2) : "0.00"}`,
      `current_save_keys_processed:${info?.keysProcessed ?? 0}`,
      `current_save_keys_total:${info?.keysTotal ?? 0}`,
      `rdb_changes_since_last_save:${server.dirty}`,
      `rdb_bgsave_in_progress:${rdbChild ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSave}`,
      `rdb_last_bgsave_status:${this.lastBgsaveStatus}`,
      `rdb_last_bgsave_time_sec:${this.lastBgsaveTimeSec}`,
      `rdb_current_bgsave_time_sec:${rdbChild ? Math.floor(now / 1000) - rdbChild.startedAtSec : -1}`,
      `rdb_saves:${this.rdbSaves}`,
      `rdb_last_cow_size:${this.rdbLastCowSize}`,
      `rdb_last_bgsave_error:${this.lastBgsaveError}`,
      `rdb_last_load_keys_expired:${this.rdbLastLoadKeysExpired}`,
      `rdb_last_load_keys_loaded:${this.rdbLastLoadKeysLoaded}`,
      ...this.aof.infoFields(),
      "module_fork_in_progress:0",
      "module_fork_last_cow_size:0",
    ];
    // aof_enabled is the state (a rewrite turning it on counts); these follow the setting.
    if (server.config.getBool("appendonly")) lines.push(...this.aof.infoFieldsWhenEnabled());
    const loading = this.loadingState;
    if (server.loading && loading !== null) {
      const elapsed = (now - loading.startedAtMs) / 1000;
      const perc = loading.totalBytes > 0 ? (loading.loadedBytes / loading.totalBytes) * 100 : 0;
      const eta = elapsed < 1 ? 1 : Math.floor((elapsed * (loading.totalBytes - loading.loadedBytes)) / (loading.loadedBytes + 1));
      lines.push(
        `loading_start_time:${loading.startTime}`,
        `loading_total_bytes:${loading.totalBytes}`,
        `loading_rdb_used_mem:${loading.rdbUsedMem}`,
        `loading_loaded_bytes:${loading.loadedBytes}`,
        `loading_loaded_perc:${perc.toFixed(2)}`,
        `loading_eta_seconds:${eta}`,
      );
    }
    return lines;
  }
}

/** A library in the RDB that did not load (rdbFunctionLoad failed): see checkRdbAfterLibraryFailure. */
class LibraryLoadError extends RdbLoadError {}

/**
 * Logs a failed load the way Redis reports it before exiting; `inCommand`: the load of
 * a command (DEBUG RELOAD), which Redis reports without exiting: the loader's own
 * warnings, the "Internal error" line at verbose level, no checker report.
 */
/**
 * Redis's server.loading_loaded_bytes when a load fails, which its "Internal error in
 * RDB reading offset" line shows: the progress callback records the bytes read only
 * when a read crosses a multiple of loading-process-events-interval-bytes, so it is 0
 * for any file smaller than that (2 MB by default) and a boundary's neighbourhood
 * after. Bunker reports the last boundary passed: exact below the first one, and the
 * start of the crossing read rounded down to the boundary beyond it.
 */
function loadingLoadedBytes(offset: number, progressIntervalBytes: number): number {
  return progressIntervalBytes > 0 ? Math.floor(offset / progressIntervalBytes) * progressIntervalBytes : offset;
}

/**
 * Bunker's integrity checks say what they found wrong ("... integrity check failed.
 * (Invalid listpack: ...)"); Redis's line stops at its sentence. The detail goes to the
 * verbose log, the warning keeps Redis's words.
 */
function redisReason(message: string): string {
  const detail = /^(.* integrity check failed\.) \((.*)\)$/.exec(message);
  if (detail === null) return message;
  logger.verbose(`RDB integrity check detail: ${detail[2]}`);
  return detail[1]!;
}

export function reportLoadFailure(error: Error, dbfilename: string, inCommand = false, checkerReport = true, progressIntervalBytes = 2 * 1024 * 1024): void {
  if (!(error instanceof RdbLoadError)) {
    if (!inCommand) logger.warning(`Fatal error loading the DB: ${error.message}. Exiting.`);
    return;
  }
  const message = error.message;
  if (message.startsWith("Wrong signature") || message.startsWith("Can't handle RDB format version")) {
    logger.warning(message);
    if (!inCommand) logger.warning("Fatal error loading the DB: Invalid argument. Exiting.");
    return;
  }
  let reason = redisReason(message);
  // A short read and a bad checksum are found by the loader's own reads; anything else
  // is a corrupt value, which Redis reports through rdbReportCorruptRDB.
  const shortRead = message.startsWith("Unexpected EOF");
  const badChecksum = message.startsWith("Wrong RDB checksum");
  if (shortRead) logger.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.");
  else if (badChecksum) {
    logger.warning(message);
    reason = "RDB CRC error";
  }
  // Redis's line carries the C source line of the check that failed; Bunker's decoder
  // has none to give, so the line is always rdb.c:0 (stable, and visibly not Redis's).
  const internal = `Internal error in RDB reading offset ${loadingLoadedBytes(error.offset ?? 0, progressIntervalBytes)}, function at rdb.c:0 -> ${reason}`;
  if (inCommand) {
    logger.verbose(internal);
    return;
  }
  logger.warning(internal);
  if (!checkerReport) return;
  // Redis then runs its RDB checker, whose report goes to standard output; a corrupt
  // value reaches it as the same internal error, quoted whole.
  process.stdout.write(
    `[offset 0] Checking RDB file ${dbfilename}\n--- RDB ERROR DETECTED ---\n[offset ${error.offset ?? 0}] ${shortRead || badChecksum ? reason : internal}\n[additional info] Reading RDB file: ${dbfilename}\n--- RDB ERROR DETECTED ---\n`,
  );
  // The checker meets a corrupt value through rdbReportError too, which ends the
  // process with this line; a short read or a bad checksum ends in the checker's own exit.
  if (!shortRead && !badChecksum) logger.warning("Terminating server after rdb file reading failure.");
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Nothing to remove.
  }
}

/** key-load-delay (microseconds per key): slows loading for tests, as Redis's debugDelay. */
export function busyWaitMicros(micros: number): void {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until) {
    // spin: the delay must hold the event loop, like Redis's usleep in the loader
  }
}
