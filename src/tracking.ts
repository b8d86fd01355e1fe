// Client-side caching (Redis's tracking.c): which clients may hold which keys in a
// local cache, and the invalidation messages that tell them a key changed.
//
// Two ways of tracking, per client (CLIENT TRACKING ON):
// - default (OPTIN/OPTOUT refine it): after a read-only command, call() remembers the
//   keys it read (rememberKeys) in the tracking table, a Map from key name to the ids
//   of the clients that read it. When the key changes (signalModifiedKey, expiry, the
//   table's own limit) every client in its entry gets one invalidation and the entry
//   goes: a client is told once, until it reads the key again.
// - BCAST: the client gives key prefixes instead and nothing is remembered per read.
//   A changed key is noted under each matching prefix, and the notes are sent at the
//   end of the event-loop turn (the before-reply stage), one message per prefix with
//   every key changed in the turn, sorted as Redis's radix tree lists them.
//
// Keys are names only, whatever the database (as in Redis: a write to "foo" in db 1
// invalidates a reader of "foo" in db 0). A client's id stays in the table after it
// disconnects or turns tracking off, until the key changes: the cleanup is lazy, as
// Redis's, so that a client that read a million keys costs nothing to free.
//
// Messages: RESP3 clients get a push `>2 invalidate [keys]` on their own connection,
// or on the connection they redirect to; a RESP2 client needs a redirect to a
// connection in Pub/Sub mode, which receives `message __redis__:invalidate [keys]`.
// FLUSHDB/FLUSHALL send a null instead of the array ("every key"). A redirect whose
// connection is gone sets the client's broken-redirect flag and, in RESP3, sends it
// `tracking-redir-broken <id>`. Messages bypass CLIENT REPLY OFF (Redis's
// CLIENT_PUSHING), as Pub/Sub messages do.
//
// Order: an invalidation for the client whose command is running waits until that
// command's reply is written (the whole of EXEC, EVAL...): the pending list, sent by
// call() once the outermost command is done (trackingHandlePendingKeyInvalidations).
// Other clients get theirs when the key changes.
//
// The cost for a server without tracking: the keyspace hooks ask idle() (two Map
// sizes) and call() compares the number of tracking clients with 0.

import type { Client } from "./net/client.ts";
import type { Command } from "./commands/table.ts";
import type { Server } from "./server.ts";
import type { ReplyWriter } from "./protocol/reply.ts";
import { bytesToKey, keyToBytes } from "./db/bytes.ts";
import * as errors from "./errors.ts";

// A client's tracking state (Redis's CLIENT_TRACKING_* client flags), in Client.trackingFlags.
/** CLIENT_TRACKING: tracking is on. */
export const TRACKING_ON = 1 << 0;
/** CLIENT_TRACKING_BROKEN_REDIR: the client it redirects to has gone away. */
export const TRACKING_BROKEN_REDIR = 1 << 1;
/** CLIENT_TRACKING_BCAST: broadcasting mode (prefixes). */
export const TRACKING_BCAST = 1 << 2;
/** CLIENT_TRACKING_OPTIN: only reads after CLIENT CACHING YES are remembered. */
export const TRACKING_OPTIN = 1 << 3;
/** CLIENT_TRACKING_OPTOUT: reads after CLIENT CACHING NO are not remembered. */
export const TRACKING_OPTOUT = 1 << 4;
/** CLIENT_TRACKING_CACHING: CLIENT CACHING was given for the next command (or transaction). */
export const TRACKING_CACHING = 1 << 5;
/** CLIENT_TRACKING_NOLOOP: no messages about the client's own changes. */
export const TRACKING_NOLOOP = 1 << 6;

/** The Pub/Sub channel a RESP2 redirect receives invalidations on. */
const TRACKING_CHANNEL = keyToBytes("__redis__:invalidate");
const RESP2_NULL = keyToBytes("$-1\r\n");
const RESP3_NULL = keyToBytes("_\r\n");

/**
 * bcastState: for one prefix, the clients that broadcast on it, and the keys under it
 * changed this turn, each with the client that changed it last (null for the server's
 * own changes: expiry), which NOLOOP leaves out.
 */
interface BroadcastState {
  keys: Map<string, Client | null>;
  readonly clients: Set<Client>;
}

/**
 * What a tracking message carries after its header: one key (an array of one), or
 * bytes already in protocol form (a broadcast's array, the null of a flush).
 */
type Payload = string | Uint8Array;

export class Tracking {
  /**
   * TrackingTable: key -> the ids of the clients that may cache it. Most keys are read
   * by one client, so an entry holds a bare id until a second reader makes it a Set.
   */
  private readonly table = new Map<string, number | Set<number>>();
  /** TrackingTableTotalItems: ids across the whole table (INFO tracking_total_items). */
  private totalItems = 0;
  /** PrefixTable: prefix -> its broadcast state. */
  private readonly prefixTable = new Map<string, BroadcastState>();
  /** server.tracking_clients: clients with tracking on. */
  clients = 0;
  /**
   * server.tracking_pending_keys: invalidations for the client running the command,
   * sent after its reply. null stands for a flush (every key).
   */
  private pendingKeys: Array<string | null> = [];
  /**
   * Pending invalidations of a client whose command goes on after call() returned (DEBUG
   * RELOAD's load yields to the event loop): they wait for its reply (releaseHeld).
   */
  private readonly held = new Map<Client, Array<string | null>>();
  /** trackingLimitUsedSlots' timeout_counter: runs that could not get under the limit. */
  private limitRunsOverLimit = 0;
  /** tracking-table-max-keys (0: no limit), refreshed by the server on CONFIG SET. */
  maxKeys = 1_000_000;
  /** Removes the before-reply hook that sends the broadcasts, while one is registered. */
  private removeBroadcastHook: (() => void) | null = null;

  constructor(private readonly server: Server) {}

  /** No key tracked and no prefix: a changed key needs no work here. */
  idle(): boolean {
    return this.table.size === 0 && this.prefixTable.size === 0;
  }

  get totalKeys(): number {
    return this.table.size;
  }

  get totalItemCount(): number {
    return this.totalItems;
  }

  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  // ---- turning tracking on and off (CLIENT TRACKING, RESET, disconnection) ----------

  /**
   * checkPrefixCollisionsOrReply: the error for BCAST prefixes that overlap (one is a
   * prefix of the other: the same key would be announced twice) with the client's
   * existing prefixes or with each other, or null. Redis 7.0 also enables tracking and
   * answers +OK after an overlap between two given prefixes that are not the first
   * (it returns the loop index as "no collision"): a second reply to one command,
   * which Bunker does not send; the error stands and nothing changes.
   */
  prefixCollision(client: Client, prefixes: readonly string[]): string | null {
    const existing = client.trackingPrefixes === null ? [] : [...client.trackingPrefixes].sort(compareKeys);
    for (let i = 0; i < prefixes.length; i++) {
      const prefix = prefixes[i]!;
      for (const other of existing) {
        if (overlaps(other, prefix)) return errors.trackingPrefixOverlapsExisting(prefix, other);
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(prefix, prefixes[j]!)) return errors.trackingPrefixOverlapsProvided(prefix, prefixes[j]!);
      }
    }
    return null;
  }

  /**
   * enableTracking: tracking on with these options (TRACKING_BCAST, _OPTIN, _OPTOUT,
   * _NOLOOP), replacing the previous ones but keeping the prefixes the client already
   * broadcasts on. `redirect` 0 means the client's own connection.
   */
  enableTracking(client: Client, redirect: number, options: number, prefixes: readonly string[]): void {
    if ((client.trackingFlags & TRACKING_ON) === 0) this.clients++;
    client.trackingFlags =
      (client.trackingFlags | TRACKING_ON) & ~(TRACKING_BROKEN_REDIR | TRACKING_BCAST | TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP);
    client.trackingRedirection = redirect;
    if ((options & TRACKING_BCAST) !== 0) {
      client.trackingFlags |= TRACKING_BCAST;
      if (prefixes.length === 0) this.enableBcastTrackingForPrefix(client, "");
      for (const prefix of prefixes) this.enableBcastTrackingForPrefix(client, prefix);
    }
    client.trackingFlags |= options & (TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP);
  }

  private enableBcastTrackingForPrefix(client: Client, prefix: string): void {
    let state = this.prefixTable.get(prefix);
    if (state === undefined) this.prefixTable.set(prefix, (state = { keys: new Map(), clients: new Set() }));
    if (state.clients.has(client)) return;
    state.clients.add(client);
    (client.trackingPrefixes ??= new Set()).add(prefix);
  }

  /**
   * disableTracking (CLIENT TRACKING OFF, RESET, a closed connection): the client leaves
   * its prefixes; its ids in the tracking table stay until their keys change.
   */
  disableTracking(client: Client): void {
    this.held.delete(client);
    if ((client.trackingFlags & TRACKING_BCAST) !== 0 && client.trackingPrefixes !== null) {
      for (const prefix of client.trackingPrefixes) {
        const state = this.prefixTable.get(prefix)!;
        state.clients.delete(client);
        if (state.clients.size === 0) this.prefixTable.delete(prefix);
      }
      client.trackingPrefixes = null;
    }
    if ((client.trackingFlags & TRACKING_ON) !== 0) {
      this.clients--;
      client.trackingFlags = 0;
    }
  }

  // ---- remembering what a client read ------------------------------------------------

  /**
   * The part of call() after a command for tracking: a read-only command remembers the
   * keys it read for its client. A command a script runs remembers the keys the script
   * was given, for the script's caller (Redis remembers the declared keys of EVAL and
   * FCALL, not what the script read); EVAL_RO, EVALSHA_RO and FCALL_RO themselves do not.
   */
  afterCall(client: Client, command: Command): void {
    if (!command.tracksReads) return;
    const run = this.server.scripting.runner.current;
    const caller = run !== null && client === run.scriptClient ? run.caller : client;
    const flags = caller.trackingFlags;
    if ((flags & TRACKING_ON) === 0 || (flags & TRACKING_BCAST) !== 0) return;
    const callerCommand = caller.currentCommand;
    const argv = caller.currentArgv;
    if (callerCommand === null || argv === null) return;
    this.rememberKeys(caller, callerCommand, argv);
  }

  /** trackingRememberKeys: the keys of `command` go into the table for `client`. */
  private rememberKeys(client: Client, command: Command, argv: Uint8Array[]): void {
    const flags = client.trackingFlags;
    const optin = (flags & TRACKING_OPTIN) !== 0;
    const optout = (flags & TRACKING_OPTOUT) !== 0;
    const cachingGiven = (flags & TRACKING_CACHING) !== 0;
    if ((optin && !cachingGiven) || (optout && cachingGiven)) return;
    // Shard channels are keys for cluster routing only: nothing to cache.
    if (command.flags.has("pubsub")) return;
    const id = client.id;
    for (const index of command.keyIndexes(argv)) {
      const key = bytesToKey(argv[index]!);
      const holders = this.table.get(key);
      if (holders === undefined) {
        this.table.set(key, id);
        this.totalItems++;
      } else if (typeof holders === "number") {
        if (holders === id) continue;
        this.table.set(key, new Set([holders, id]));
        this.totalItems++;
      } else if (!holders.has(id)) {
        holders.add(id);
        this.totalItems++;
      }
    }
  }

  /**
   * The CACHING flag lasts for one command, or for a whole transaction (resetClient):
   * cleared after any command but a CLIENT subcommand, unless a MULTI is open.
   */
  commandProcessed(client: Client): void {
    if ((client.trackingFlags & TRACKING_CACHING) === 0 || client.inMulti) return;
    if (client.lastCommandName.startsWith("client|")) return;
    client.trackingFlags &= ~TRACKING_CACHING;
  }

  // ---- invalidation --------------------------------------------------------------------

  /**
   * trackingInvalidateKey: `key` changed (or leaves the table, `bcast` false). Every
   * client that may cache it is told, and its entry goes. `modifier` is the client
   * whose command changed it (null for expiry and eviction), for NOLOOP in BCAST mode;
   * in the default mode NOLOOP compares with the connection whose command is running.
   */
  invalidateKey(modifier: Client | null, key: string, bcast: boolean): void {
    if (bcast && this.prefixTable.size > 0) this.rememberKeyToBroadcast(modifier, key);
    if (this.table.size === 0) return;
    this.invalidateEntry(key, this.server.executingConnection(), this.server.inCommand);
  }

  /** The table's entry for `key` goes, with a message to each of its clients. */
  private invalidateEntry(key: string, running: Client | null, inCommand: boolean): void {
    const holders = this.table.get(key);
    if (holders === undefined) return;
    this.table.delete(key);
    if (typeof holders === "number") {
      this.totalItems--;
      this.invalidateFor(holders, key, running, inCommand);
      return;
    }
    this.totalItems -= holders.size;
    for (const id of holders) this.invalidateFor(id, key, running, inCommand);
  }

  private invalidateFor(id: number, key: string, running: Client | null, inCommand: boolean): void {
    const target = this.server.clients.get(id);
    // A client that switched to BCAST since it read the key gets broadcasts only.
    if (target === undefined || (target.trackingFlags & TRACKING_ON) === 0 || (target.trackingFlags & TRACKING_BCAST) !== 0) return;
    if (target === running) {
      if ((target.trackingFlags & TRACKING_NOLOOP) !== 0) return;
      // Its own command is running: the message follows the reply.
      if (inCommand) {
        this.pendingKeys.push(key);
        return;
      }
    }
    this.sendTrackingMessage(target, key);
  }

  /**
   * trackingInvalidateKeysOnFlush (FLUSHDB, FLUSHALL, DEBUG RELOAD): every tracking client
   * is told that every key changed, and the table is emptied, whichever database went.
   */
  invalidateKeysOnFlush(): void {
    if (this.clients > 0) {
      const running = this.server.executingConnection();
      for (const client of this.server.clients.values()) {
        if ((client.trackingFlags & TRACKING_ON) === 0) continue;
        if (client === running) this.pendingKeys.push(null);
        else this.sendTrackingMessage(client, nullFor(client));
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /**
   * trackingHandlePendingKeyInvalidations: call() after the outermost command, once its
   * reply is written: the invalidations that waited for it go to `client`.
   */
  handlePendingKeyInvalidations(client: Client): void {
    const pending = this.pendingKeys;
    if (pending.length === 0) return;
    this.pendingKeys = [];
    if (client.blocked?.kind === "postponed") {
      this.held.set(client, [...(this.held.get(client) ?? []), ...pending]);
      return;
    }
    for (const key of pending) this.sendTrackingMessage(client, key ?? nullFor(client));
  }

  /** A held client was released with its reply: the invalidations that waited for it follow. */
  releaseHeld(client: Client): void {
    const pending = this.held.get(client);
    if (pending === undefined) return;
    this.held.delete(client);
    for (const key of pending) this.sendTrackingMessage(client, key ?? nullFor(client));
  }

  get hasHeldKeys(): boolean {
    return this.held.size !== 0;
  }

  get hasPendingKeys(): boolean {
    return this.pendingKeys.length !== 0;
  }

  /**
   * sendTrackingMessage: one invalidation for `client`, to its connection or the one it
   * redirects to. A RESP2 client is only reached through a redirect in Pub/Sub mode.
   */
  private sendTrackingMessage(client: Client, payload: Payload): void {
    let target = client;
    const redirect = client.trackingRedirection;
    const redirected = redirect !== 0;
    if (redirected) {
      const redirectTarget = this.server.clients.get(redirect);
      if (redirectTarget === undefined) {
        client.trackingFlags |= TRACKING_BROKEN_REDIR;
        if (client.reply.resp > 2) {
          const reply = client.reply;
          const wasEnabled = reply.startPushing();
          reply.pushHeader(2);
          reply.bulkText("tracking-redir-broken");
          reply.integer(redirect);
          reply.stopPushing(wasEnabled);
          this.server.scheduleFlush(client);
        }
        return;
      }
      target = redirectTarget;
    }
    const reply = target.reply;
    if (reply.resp > 2) {
      const wasEnabled = reply.startPushing();
      reply.pushHeader(2);
      reply.bulkText("invalidate");
      writePayload(reply, payload);
      reply.stopPushing(wasEnabled);
    } else if (redirected && target.subscriptionCount + target.shardChannels.size > 0) {
      const wasEnabled = reply.startPushing();
      reply.arrayHeader(3);
      reply.bulkText("message");
      reply.bulk(TRACKING_CHANNEL);
      writePayload(reply, payload);
      reply.stopPushing(wasEnabled);
    } else {
      // RESP2 has no pushes on a connection that runs commands.
      return;
    }
    this.server.scheduleFlush(target);
  }

  // ---- broadcasting --------------------------------------------------------------------

  /** trackingRememberKeyToBroadcast: `key` is noted under every prefix it starts with. */
  private rememberKeyToBroadcast(modifier: Client | null, key: string): void {
    let noted = false;
    for (const [prefix, state] of this.prefixTable) {
      if (!key.startsWith(prefix)) continue;
      state.keys.set(key, modifier);
      noted = true;
    }
    if (noted && this.removeBroadcastHook === null) {
      this.removeBroadcastHook = this.server.addBeforeReplyHook(this.broadcastHook);
      this.server.requestBeforeSleep();
    }
  }

  private readonly broadcastHook = (): void => {
    this.removeBroadcastHook?.();
    this.removeBroadcastHook = null;
    this.broadcastInvalidationMessages();
  };

  /**
   * trackingBroadcastInvalidationMessages, in the before-reply stage: for each prefix (in
   * byte order), the keys changed under it this turn go to each of its clients in one
   * message, without the keys a NOLOOP client changed itself.
   */
  broadcastInvalidationMessages(): void {
    if (this.clients === 0) return;
    const prefixes = [...this.prefixTable.keys()].sort(compareKeys);
    for (const prefix of prefixes) {
      const state = this.prefixTable.get(prefix)!;
      if (state.keys.size === 0) continue;
      const keys = [...state.keys].sort((a, b) => compareKeys(a[0], b[0]));
      state.keys = new Map();
      const everyKey = broadcastReply(keys, null)!;
      for (const client of state.clients) {
        if ((client.trackingFlags & TRACKING_NOLOOP) === 0) {
          this.sendTrackingMessage(client, everyKey);
          continue;
        }
        const others = broadcastReply(keys, client);
        if (others !== null) this.sendTrackingMessage(client, others);
      }
    }
  }

  // ---- the table's limit -----------------------------------------------------------------

  /**
   * trackingLimitUsedSlots (before each command and each cron tick, while a client
   * tracks): over tracking-table-max-keys, keys leave the table with an invalidation to
   * their clients, as if they had changed, up to an effort that grows with each run
   * that could not get under the limit. Redis picks them by a random walk of its radix
   * tree; Bunker takes the oldest entries (the Map's order), which costs O(1) a key.
   * `running` is the connection whose command is about to run (NOLOOP spares it).
   */
  limitUsedSlots(running: Client | null): void {
    const maxKeys = this.maxKeys;
    if (maxKeys === 0) return;
    if (this.table.size <= maxKeys) {
      this.limitRunsOverLimit = 0;
      return;
    }
    let effort = 100 * (this.limitRunsOverLimit + 1);
    while (effort-- > 0) {
      const oldest = this.table.keys().next();
      if (oldest.done === true) break;
      // trackingInvalidateKey(NULL, key, 0): no broadcast, and no command is running.
      this.invalidateEntry(oldest.value, running, false);
      if (this.table.size <= maxKeys) {
        this.limitRunsOverLimit = 0;
        return;
      }
    }
    this.limitRunsOverLimit++;
  }
}

/** The null that means "every key", as the tracking client's protocol writes it. */
function nullFor(client: Client): Uint8Array {
  return client.reply.resp > 2 ? RESP3_NULL : RESP2_NULL;
}

function writePayload(reply: ReplyWriter, payload: Payload): void {
  if (typeof payload === "string") {
    reply.arrayHeader(1);
    reply.bulkText(payload);
  } else reply.raw(payload);
}

/**
 * trackingBuildBroadcastReply: the array of `keys` in protocol form, without those
 * `exclude` changed last; null when that leaves none.
 */
function broadcastReply(keys: ReadonlyArray<readonly [string, Client | null]>, exclude: Client | null): Uint8Array | null {
  let count = 0;
  for (const [, modifier] of keys) if (exclude === null || modifier !== exclude) count++;
  if (count === 0) return null;
  let text = `*${count}\r\n`;
  for (const [key, modifier] of keys) {
    if (exclude !== null && modifier === exclude) continue;
    text += `$${key.length}\r\n${key}\r\n`;
  }
  return keyToBytes(text);
}

/** Byte order of binary strings, as Redis's radix trees list keys (a prefix first). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** stringCheckPrefix: one of the two is a prefix of the other. */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}
