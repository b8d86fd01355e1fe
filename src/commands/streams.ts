// Stream commands: XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XREAD, consumer groups
// (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and XSETID, as Redis
// 7.0.15's t_stream.c behaves: same argument parsing order (so the same error wins when
// several apply), same replies in RESP2 and RESP3, same dirty-counter increments and
// keyspace events.
//
// The data model is RedisStream (db/stream.ts). Writers open the key with
// `db.lookupWrite` (consumer-group commands, which Redis reads with lookupKeyRead, with
// `lookupReadWrite`), so a running snapshot copies it before it changes. Consumer-group
// bookkeeping (PEL, last-delivered ID, seen-time) is reported with keyChangedUnwatched:
// dirty counter and events, but no WATCH signal, as in Redis.
//
// Propagation follows t_stream.c: XADD with the ID it got and an exact trim ("=" and the
// resulting length or first ID); XREADGROUP, XCLAIM and XAUTOCLAIM never as themselves
// but as one idempotent XCLAIM ... FORCE JUSTID LASTID per delivery or claim, XGROUP
// SETID for a NOACK read or a LASTID alone, XGROUP CREATECONSUMER for a NOACK consumer.
//
// Blocking: XREAD/XREADGROUP with BLOCK park the client in the server's
// BlockingRegistry with one "greater than" ID per key. XADD signals the key; the
// registry then calls `serveBlockedRead`, which replies with that key's new entries as
// serveClientsBlockedOnStreamKey does. XREADGROUP waiters must also learn that their
// key was deleted, overwritten, expired or flushed (Redis answers them with an error at
// once): the keyspace signals a stream that leaves its key.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import type { Config } from "../config.ts";
import { argIs, argLower, bytesToKey, integerBytes, keyToBytes, ownBytes, parseInteger, textToBytes } from "../db/bytes.ts";
import {
  ENTRIES_READ_UNKNOWN,
  MAX_STREAM_ID,
  MIN_STREAM_ID,
  RedisStream,
  compareStreamId,
  decrementId,
  formatStreamId,
  incrementId,
  isZeroStreamId,
  parseStreamId,
  parseStreamIdForAdd,
  pendingBounds,
  pendingFrom,
  streamIdEquals,
  streamIdKey,
  type ConsumerGroup,
  type PendingEntry,
  type StreamConsumer,
  type StreamEntry,
  type StreamId,
  type StreamTrimSpec,
} from "../db/stream.ts";
import { alsoPropagate, checkType, keyChanged, keyChangedBytes, keyChangedUnwatched, preventPropagation, propagateAs, replyError } from "./context.ts";
import { SHARED } from "../propagate.ts";
import { replyHelp } from "./keys.ts";
import * as errors from "../errors.ts";
import { NOTIFY_STREAM } from "../notify.ts";

// ---- error texts ------------------------------------------------------------------------

const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";
const XADD_ID_TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item";
const XADD_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0";
const STREAM_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items";
const ELEMENTS_TOO_LARGE = "ERR Elements are too large to be stored";
const MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0.";
const LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0.";
const TRIM_STRATEGIES_CONFLICT = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
const LIMIT_WITHOUT_STRATEGY = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
const XTRIM_WITHOUT_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy";
const LIMIT_WITHOUT_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option";
const INVALID_START = "ERR invalid start ID for the interval";
const INVALID_END = "ERR invalid end ID for the interval";
const TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range";
// Redis 7.0 names XREAD and '$' here even for XREADGROUP.
const UNBALANCED_STREAMS = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
const GROUP_ONLY_XREADGROUP = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
const NOACK_ONLY_XREADGROUP = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
const MISSING_GROUP = "ERR Missing GROUP option for XREADGROUP";
const DOLLAR_IN_XREADGROUP =
  "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.";
const GREATER_IN_XREAD = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.";
const BLOCKED_GROUP_GONE = "NOGROUP the consumer group this client was blocked on no longer exists";
const BLOCKED_KEY_GONE = "UNBLOCKED the stream key no longer exists";
const BUSYGROUP = "BUSYGROUP Consumer Group name already exists";
const XGROUP_NEEDS_KEY =
  "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";
const ENTRIES_READ_INVALID = "ERR value for ENTRIESREAD must be positive or -1";
const XCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XCLAIM";
const XCLAIM_IDLE = "ERR Invalid IDLE option argument for XCLAIM";
const XCLAIM_TIME = "ERR Invalid TIME option argument for XCLAIM";
const XCLAIM_RETRYCOUNT = "ERR Invalid RETRYCOUNT option argument for XCLAIM";
const XAUTOCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XAUTOCLAIM";
const XAUTOCLAIM_COUNT = "ERR COUNT must be > 0";
const ENTRIES_ADDED_NEGATIVE = "ERR entries_added must be positive";
const XSETID_BELOW_GIVEN_MAX_DELETED = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
const XSETID_BELOW_TOP = "ERR The ID specified in XSETID is smaller than the target stream top item";
const XSETID_ENTRIES_ADDED_TOO_SMALL = "ERR The entries_added specified in XSETID is smaller than the target stream length";

/** Redis formats names with %s: the text stops at the first NUL byte. */
function cText(binary: string): string {
  const nul = binary.indexOf("\0");
  return nul === -1 ? binary : binary.slice(0, nul);
}

function noGroupForReadGroup(key: string, group: string): string {
  return `NOGROUP No such key '${cText(key)}' or consumer group '${cText(group)}' in XREADGROUP with GROUP option`;
}

function noKeyOrGroup(key: string, group: string): string {
  return `NOGROUP No such key '${cText(key)}' or consumer group '${cText(group)}'`;
}

function noGroupForKey(group: string, key: string): string {
  return `NOGROUP No such consumer group '${cText(group)}' for key name '${cText(key)}'`;
}

/** addReplySubcommandSyntaxError */
function subcommandSyntaxError(client: Client, argv: Uint8Array[]): void {
  replyError(
    client,
    `ERR unknown subcommand or wrong number of arguments for '${cText(bytesToKey(argv[1]!)).slice(0, 128)}'. Try ${argLower(argv[0]!).toUpperCase()} HELP.`,
  );
}

// ---- arguments --------------------------------------------------------------------------

/** getLongLongFromObjectOrReply: a signed 64-bit integer, or null after replying `message`. */
function longLongArg(client: Client, arg: Uint8Array, message: string = errors.NOT_INTEGER): bigint | null {
  const value = parseInteger(arg);
  if (value === null) {
    replyError(client, message);
    return null;
  }
  return typeof value === "bigint" ? value : BigInt(value);
}

/** streamParseStrictIDOrReply: "-" and "+" are refused; a missing sequence is 0. */
function strictIdArg(client: Client, arg: Uint8Array): StreamId | null {
  const id = parseStreamId(arg, 0n, true);
  if (id === null) replyError(client, INVALID_ID);
  return id;
}

/** Strict IDs from argv[from] on, all parsed before any is used (the commands are all or nothing). */
function strictIdArgs(client: Client, argv: Uint8Array[], from: number): StreamId[] | null {
  const ids: StreamId[] = [];
  for (let j = from; j < argv.length; j++) {
    const id = strictIdArg(client, argv[j]!);
    if (id === null) return null;
    ids.push(id);
  }
  return ids;
}

/** streamParseIDOrReply: "-" is 0-0 and "+" the maximum ID. */
function idArg(client: Client, arg: Uint8Array, missingSeq: bigint): StreamId | null {
  const id = parseStreamId(arg, missingSeq, false);
  if (id === null) replyError(client, INVALID_ID);
  return id;
}

/**
 * streamParseIntervalIDOrReply plus the exclusive-bound adjustment: "(id" (strict) is
 * the next ID for a start bound and the previous one for an end bound.
 */
function intervalIdArg(client: Client, arg: Uint8Array, bound: "start" | "end"): StreamId | null {
  const missingSeq = bound === "start" ? 0n : MAX_STREAM_ID.seq;
  const exclusive = arg.length > 1 && arg[0] === 40; /* ( */
  if (!exclusive) return idArg(client, arg, missingSeq);
  const id = parseStreamId(arg.subarray(1), missingSeq, true);
  if (id === null) {
    replyError(client, INVALID_ID);
    return null;
  }
  const moved = bound === "start" ? incrementId(id) : decrementId(id);
  if (moved === null) replyError(client, bound === "start" ? INVALID_START : INVALID_END);
  return moved;
}

/** streamIncrID as XREAD uses it: past the last possible ID it wraps to 0-0. */
function idAfter(id: StreamId): StreamId {
  return incrementId(id) ?? { ms: 0n, seq: 0n };
}

// ---- lookups ----------------------------------------------------------------------------

/**
 * The stream at `key`, opened for writing (lookupKeyWrite: no stats; a running snapshot
 * preserves it first); undefined when missing, null after replying WRONGTYPE.
 */
function streamForWrite(client: Client, key: string | Uint8Array): RedisStream | undefined | null {
  const db = client.db;
  return checkType(client, typeof key === "string" ? db.lookupWrite(key) : db.lookupWriteBytes(key), RedisStream);
}

/** The stream at `key` for a read (lookupKeyRead: counts keyspace hits/misses). */
function readStream(client: Client, key: string, forWrite = false): RedisStream | undefined | null {
  return checkType(client, forWrite ? client.db.lookupReadWrite(key) : client.db.lookupRead(key), RedisStream);
}

// ---- replies ----------------------------------------------------------------------------

function replyId(client: Client, id: StreamId): void {
  client.reply.bulkText(formatStreamId(id));
}

function replyEntry(client: Client, entry: StreamEntry): void {
  const reply = client.reply;
  reply.arrayHeader(2);
  reply.bulkText(formatStreamId(entry.id));
  reply.arrayHeader(entry.fields.length);
  for (const part of entry.fields) reply.bulk(part);
}

function replyEntries(client: Client, entries: StreamEntry[]): void {
  client.reply.arrayHeader(entries.length);
  for (const entry of entries) replyEntry(client, entry);
}

/** Stream values must be stored as bytes the keyspace owns (parser arguments are views). */
function ownedFields(argv: Uint8Array[], from: number): Uint8Array[] {
  const fields: Uint8Array[] = [];
  for (let i = from; i < argv.length; i++) fields.push(ownBytes(argv[i]!));
  return fields;
}

// ---- consumers --------------------------------------------------------------------------

/**
 * streamLookupConsumer + streamCreateConsumer as XREADGROUP/XCLAIM/XAUTOCLAIM use them:
 * an existing consumer's seen-time is refreshed; a new one counts as a change and emits
 * xgroup-createconsumer. `announce` propagates the creation (XGROUP CREATECONSUMER),
 * which an XREADGROUP with NOACK needs: no XCLAIM will create the consumer on a replica.
 */
function consumerForDelivery(client: Client, key: string, stream: RedisStream, group: ConsumerGroup, name: string, now: number, announce: StreamPropagation | null = null): StreamConsumer {
  const existing = group.consumers.get(name);
  if (existing !== undefined) {
    existing.seenTime = now;
    return existing;
  }
  const created = stream.createConsumer(group, name, now)!;
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-createconsumer", key);
  if (announce !== null && client.server.propagation.active) {
    alsoPropagate(client, [SHARED.xgroup, SHARED.createconsumer, announce.key, announce.group, keyToBytes(name)]);
  }
  return created;
}

/** streamPropInfo: the key and group name as the command named them, for the effects it propagates. */
interface StreamPropagation {
  key: Uint8Array;
  group: Uint8Array;
}

/**
 * streamPropagateXCLAIM: a delivery or claim is replicated as an idempotent XCLAIM
 * key group consumer 0 id TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <group last ID>.
 */
function propagateXclaim(client: Client, info: StreamPropagation, group: ConsumerGroup, pending: PendingEntry, idArg: Uint8Array | null): void {
  if (!client.server.propagation.active) return;
  alsoPropagate(client, [
    SHARED.xclaim,
    info.key,
    info.group,
    keyToBytes(pending.consumer),
    ZERO,
    // XCLAIM passes on the ID as it was given; the others as formatted.
    idArg ?? textToBytes(formatStreamId(pending.id)),
    SHARED.time,
    integerBytes(pending.deliveryTime),
    SHARED.retrycount,
    integerBytes(pending.deliveryCount),
    SHARED.force,
    SHARED.justid,
    SHARED.lastid,
    textToBytes(formatStreamId(group.lastId)),
  ]);
}

const ZERO = textToBytes("0");

/** streamPropagateGroupID: XGROUP SETID key group <last ID> ENTRIESREAD <n>. */
function propagateGroupId(client: Client, info: StreamPropagation, group: ConsumerGroup): void {
  if (!client.server.propagation.active) return;
  alsoPropagate(client, [SHARED.xgroup, SHARED.setid, info.key, info.group, textToBytes(formatStreamId(group.lastId)), SHARED.entriesread, integerBytes(group.entriesRead)]);
}

// ---- XADD / XTRIM -----------------------------------------------------------------------

interface AddOrTrimArgs {
  /** Index of the ID argument (XADD): the fields follow it. */
  idIndex: number;
  /** Explicit ID, or null for "*". */
  id: StreamId | null;
  /** False for the "<ms>-*" form. */
  seqGiven: boolean;
  noMkStream: boolean;
  trim: StreamTrimSpec | null;
  /**
   * Index of MAXLEN's count or MINID's id when "~" preceded it: an approximate trim is
   * replicated as an exact one ("=" and the length or first ID the trim left).
   */
  approxValueIndex: number;
}

/**
 * streamParseAddOrTrimArgsOrReply: options up to the ID for XADD (which stops at "*" or
 * at the first word that is not an option, parsed as the ID), every argument for XTRIM.
 * Null after replying an error.
 */
function parseAddOrTrimArgs(client: Client, argv: Uint8Array[], isXadd: boolean): AddOrTrimArgs | null {
  let strategy: "none" | "maxlen" | "minid" = "none";
  let maxLen = 0;
  let minId: StreamId = MIN_STREAM_ID;
  let approx = false;
  let limit = 0n;
  let limitGiven = false;
  const parsed: AddOrTrimArgs = { idIndex: argv.length, id: null, seqGiven: true, noMkStream: false, trim: null, approxValueIndex: -1 };
  let i = 2;
  for (; i < argv.length; i++) {
    const moreArgs = argv.length - 1 - i;
    const option = argv[i]!;
    if (isXadd && option.length === 1 && option[0] === 42 /* * */) {
      break;
    } else if ((argIs(option, "maxlen") || argIs(option, "minid")) && moreArgs > 0) {
      if (strategy !== "none") {
        replyError(client, TRIM_STRATEGIES_CONFLICT);
        return null;
      }
      approx = false;
      parsed.approxValueIndex = -1;
      const next = argv[i + 1]!;
      if (moreArgs >= 2 && next.length === 1 && (next[0] === 126 /* ~ */ || next[0] === 61) /* = */) {
        approx = next[0] === 126;
        i++;
        if (approx) parsed.approxValueIndex = i + 1;
      }
      if (argIs(option, "maxlen")) {
        const value = longLongArg(client, argv[i + 1]!);
        if (value === null) return null;
        if (value < 0n) {
          replyError(client, MAXLEN_NEGATIVE);
          return null;
        }
        maxLen = Number(value);
        strategy = "maxlen";
      } else {
        const id = strictIdArg(client, argv[i + 1]!);
        if (id === null) return null;
        minId = id;
        strategy = "minid";
      }
      i++;
    } else if (argIs(option, "limit") && moreArgs > 0) {
      const value = longLongArg(client, argv[i + 1]!);
      if (value === null) return null;
      if (value < 0n) {
        replyError(client, LIMIT_NEGATIVE);
        return null;
      }
      limit = value;
      limitGiven = true;
      i++;
    } else if (isXadd && argIs(option, "nomkstream")) {
      parsed.noMkStream = true;
    } else if (isXadd) {
      const explicit = parseStreamIdForAdd(option);
      if (explicit === null) {
        replyError(client, INVALID_ID);
        return null;
      }
      parsed.id = explicit.id;
      parsed.seqGiven = explicit.seqGiven;
      break;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return null;
    }
  }
  parsed.idIndex = i;
  if (limit !== 0n && strategy === "none") {
    replyError(client, LIMIT_WITHOUT_STRATEGY);
    return null;
  }
  if (!isXadd && strategy === "none") {
    replyError(client, XTRIM_WITHOUT_STRATEGY);
    return null;
  }
  let effectiveLimit = 0;
  if (client.mustObey) {
    // A replicated or AOF-loaded trim was made exact ("=") with its LIMIT kept: obey it.
    effectiveLimit = 0;
  } else if (limitGiven) {
    if (!approx) {
      replyError(client, LIMIT_WITHOUT_APPROX);
      return null;
    }
    effectiveLimit = Number(limit);
  } else if (approx) {
    // Without LIMIT an approximate trim still bounds its work, like Redis.
    effectiveLimit = 100 * nodeLimits(client).maxEntries;
    if (effectiveLimit <= 0) effectiveLimit = 10000;
    if (effectiveLimit > 1000000) effectiveLimit = 1000000;
  }
  if (strategy === "maxlen") parsed.trim = { strategy, maxLen, approx, limit: effectiveLimit };
  else if (strategy === "minid") parsed.trim = { strategy, minId, approx, limit: effectiveLimit };
  return parsed;
}

interface NodeLimits {
  maxEntries: number;
  maxBytes: number;
}

const nodeLimitsByConfig = new WeakMap<Config, NodeLimits>();

/**
 * stream-node-max-entries and -bytes, which every XADD reads: kept current by the
 * config's change listeners rather than looked up by name each time (two lookups were
 * a twentieth of an XADD's time).
 */
function nodeLimits(client: Client): NodeLimits {
  const config = client.server.config;
  let limits = nodeLimitsByConfig.get(config);
  if (limits === undefined) {
    const current: NodeLimits = { maxEntries: 0, maxBytes: 0 };
    const refresh = (): void => {
      current.maxEntries = config.getNumber("stream-node-max-entries");
      current.maxBytes = config.getNumber("stream-node-max-bytes");
    };
    refresh();
    config.onChange("stream-node-max-entries", refresh);
    config.onChange("stream-node-max-bytes", refresh);
    nodeLimitsByConfig.set(config, (limits = current));
  }
  return limits;
}

/** STREAM_LISTPACK_MAX_SIZE: a listpack cannot hold more bytes than this. */
const LISTPACK_MAX_SIZE = 1 << 30;

/** streamAppendItem's choice of ID, or an error text. */
function idForAppend(stream: RedisStream, parsed: AddOrTrimArgs): StreamId | string {
  const last = stream.lastId;
  let id: StreamId;
  if (parsed.id === null) {
    const now = BigInt(Date.now());
    id = now > last.ms ? { ms: now, seq: 0n } : incrementId(last)!;
  } else if (parsed.seqGiven) {
    id = parsed.id;
  } else if (parsed.id.ms === last.ms) {
    // "<ms>-*" in the same millisecond as the top item continues its sequence.
    const next = incrementId(last);
    if (next === null || next.ms !== last.ms) return XADD_ID_TOO_SMALL;
    id = next;
  } else {
    id = parsed.id;
  }
  return compareStreamId(id, last) <= 0 ? XADD_ID_TOO_SMALL : id;
}

function xadd(client: Client, argv: Uint8Array[]): void {
  const parsed = parseAddOrTrimArgs(client, argv, true);
  if (parsed === null) return;
  const fieldsStart = parsed.idIndex + 1;
  const fieldArgs = argv.length - fieldsStart;
  if (fieldArgs < 2 || fieldArgs % 2 === 1) {
    replyError(client, errors.wrongArgs("xadd"));
    return;
  }
  if (parsed.id !== null && parsed.seqGiven && isZeroStreamId(parsed.id)) {
    // Refused before the key is created, so no empty stream is left behind.
    replyError(client, XADD_ID_ZERO);
    return;
  }
  // The key as bytes (BullMQ appends an event per job): a key string only for a new
  // stream, an observer, or while a client is blocked on some key.
  const key = argv[1]!;
  const db = client.db;
  let stream = streamForWrite(client, key);
  if (stream === null) return;
  if (stream === undefined) {
    if (parsed.noMkStream) {
      client.reply.nullBulk();
      return;
    }
    stream = new RedisStream();
    db.addBytes(key, stream);
  }
  if (streamIdEquals(stream.lastId, MAX_STREAM_ID)) {
    replyError(client, STREAM_EXHAUSTED);
    return;
  }
  const id = idForAppend(stream, parsed);
  if (typeof id === "string") {
    replyError(client, id);
    return;
  }
  let totalBytes = 0;
  for (let i = fieldsStart; i < argv.length; i++) totalBytes += argv[i]!.length;
  if (totalBytes > LISTPACK_MAX_SIZE) {
    replyError(client, ELEMENTS_TOO_LARGE);
    return;
  }
  const limits = nodeLimits(client);
  stream.appendEntry(id, ownedFields(argv, fieldsStart), limits.maxEntries, limits.maxBytes);
  replyId(client, id);
  keyChangedBytes(client, NOTIFY_STREAM, "xadd", key);
  if (parsed.trim !== null && stream.trim(parsed.trim) > 0) keyChangedBytes(client, NOTIFY_STREAM, "xtrim", key, 0);
  // Replicated with the ID it got ("*" and "<ms>-*" are not deterministic) and an exact trim.
  const finalStream = stream;
  propagateAs(client, () => {
    const rewritten = exactTrimArgv(argv, parsed, finalStream);
    if (parsed.id === null || !parsed.seqGiven) rewritten[parsed.idIndex] = textToBytes(formatStreamId(id));
    return rewritten;
  });
  client.server.blocking.signalKeyReadyBytes(client.dbIndex, key);
}

/**
 * streamRewriteApproxSpecifier + streamRewriteTrimArgument: MAXLEN/MINID ~ <n> becomes
 * "= <what the trim left>" (the stream's length, or its first ID), so a replica or an
 * AOF replay trims exactly as this server did.
 */
function exactTrimArgv(argv: Uint8Array[], parsed: AddOrTrimArgs, stream: RedisStream): Uint8Array[] {
  const rewritten = argv.slice();
  const index = parsed.approxValueIndex;
  if (index < 0 || parsed.trim === null) return rewritten;
  rewritten[index - 1] = SHARED.equals;
  if (parsed.trim.strategy === "maxlen") rewritten[index] = integerBytes(stream.length);
  // The oldest entry kept, deleted ones included; for an empty stream, the largest ID.
  else rewritten[index] = textToBytes(formatStreamId(stream.firstStoredId() ?? MAX_STREAM_ID));
  return rewritten;
}

function xtrim(client: Client, argv: Uint8Array[]): void {
  const parsed = parseAddOrTrimArgs(client, argv, false);
  if (parsed === null) return;
  const key = argv[1]!;
  const stream = streamForWrite(client, key);
  if (stream === null) return;
  if (stream === undefined) {
    client.reply.integer(0);
    return;
  }
  // A trim that changes nothing leaves the key alone (no snapshot copy, WATCH stays valid).
  if (!stream.trimPlan(parsed.trim!).changes) {
    client.reply.integer(0);
    return;
  }
  const removed = stream.trim(parsed.trim!);
  if (removed > 0) {
    keyChangedBytes(client, NOTIFY_STREAM, "xtrim", key, removed);
    propagateAs(client, () => exactTrimArgv(argv, parsed, stream));
  }
  client.reply.integer(removed);
}

// ---- XLEN / XRANGE / XREVRANGE / XDEL ---------------------------------------------------

function xlen(client: Client, argv: Uint8Array[]): void {
  const stream = readStream(client, bytesToKey(argv[1]!));
  if (stream === null) return;
  client.reply.integer(stream === undefined ? 0 : stream.length);
}

function xrangeGeneric(client: Client, argv: Uint8Array[], reverse: boolean): void {
  const startArg = reverse ? argv[3]! : argv[2]!;
  const endArg = reverse ? argv[2]! : argv[3]!;
  const start = intervalIdArg(client, startArg, "start");
  if (start === null) return;
  const end = intervalIdArg(client, endArg, "end");
  if (end === null) return;
  let count = -1n;
  for (let j = 4; j < argv.length; j++) {
    if (argIs(argv[j]!, "count") && j + 1 < argv.length) {
      const value = longLongArg(client, argv[j + 1]!);
      if (value === null) return;
      count = value < 0n ? 0n : value;
      j++;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const stream = readStream(client, bytesToKey(argv[1]!));
  if (stream === null) return;
  if (stream === undefined) {
    client.reply.emptyArray();
    return;
  }
  if (count === 0n) {
    client.reply.nullArray();
    return;
  }
  const limit = count === -1n ? 0 : Number(count > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : count);
  replyEntries(client, reverse ? stream.range(start, end, limit, true) : stream.range(start, end, limit));
}

function xdel(client: Client, argv: Uint8Array[]): void {
  const key = bytesToKey(argv[1]!);
  const stream = streamForWrite(client, key);
  if (stream === null) return;
  if (stream === undefined) {
    client.reply.integer(0);
    return;
  }
  const ids = strictIdArgs(client, argv, 2);
  if (ids === null) return;
  let deleted = 0;
  for (const id of ids) {
    if (stream.get(id) === undefined) continue;
    stream.delete(id);
    deleted++;
  }
  if (deleted > 0) keyChanged(client, NOTIFY_STREAM, "xdel", key, deleted);
  client.reply.integer(deleted);
}

// ---- XREAD / XREADGROUP ------------------------------------------------------------------

/** XREAD_BLOCKED_DEFAULT_COUNT: a blocked XREAD without COUNT gets at most this many. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** What a blocked XREAD/XREADGROUP waits for, per key (the first occurrence of a key wins). */
interface BlockedRead {
  /** Entries must be greater than this ID; replaced by the group's last ID for XREADGROUP. */
  after: Map<string, StreamId>;
  count: number;
  /** The group read's group (`arg`: its name as sent, for the propagated XCLAIMs) and consumer. */
  group: { name: string; arg: Uint8Array; consumer: string; noAck: boolean } | null;
}

/** Keys of XREAD/XREADGROUP (COMMAND GETKEYS): the first half of the arguments after STREAMS. */
function xreadKeys(argv: Uint8Array[]): number[] {
  let streamsAt = -1;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (argIs(arg, "block") || argIs(arg, "count")) i++;
    else if (argIs(arg, "group")) i += 2;
    else if (argIs(arg, "noack")) continue;
    else if (argIs(arg, "streams")) {
      streamsAt = i;
      break;
    } else break;
  }
  const remaining = argv.length - streamsAt - 1;
  if (streamsAt === -1 || remaining === 0 || remaining % 2 !== 0) return [];
  const keys: number[] = [];
  for (let i = streamsAt + 1; i < streamsAt + 1 + remaining / 2; i++) keys.push(i);
  return keys;
}

/** ID reserved for ">" (only new entries), as Redis encodes it. */
function isNewEntriesId(id: StreamId): boolean {
  return streamIdEquals(id, MAX_STREAM_ID);
}

/**
 * xreadCommand, for XREAD and XREADGROUP. Never propagated itself: what a group read
 * changes goes to the effect stream as XCLAIM / XGROUP commands.
 */
function xreadGeneric(client: Client, argv: Uint8Array[], isGroupRead: boolean): void {
  preventPropagation(client);
  let timeoutAt = -1;
  let count = 0;
  let streamsAt = 0;
  let streamCount = 0;
  let noAck = false;
  let groupName: string | null = null;
  let groupArg: Uint8Array | null = null;
  let consumerName: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const moreArgs = argv.length - i - 1;
    const option = argv[i]!;
    if (argIs(option, "block") && moreArgs > 0) {
      // Redis refuses BLOCK in scripts outright (older scripts relied on it), before parsing it.
      if (client === client.server.scripting.runner.current?.scriptClient) {
        replyError(client, `ERR ${bytesToKey(argv[0]!)} command is not allowed with BLOCK option from scripts`);
        return;
      }
      i++;
      const timeout = longLongArg(client, argv[i]!, TIMEOUT_NOT_INTEGER);
      if (timeout === null) return;
      if (timeout < 0n) {
        replyError(client, errors.TIMEOUT_NEGATIVE);
        return;
      }
      // A deadline past 2^63 ms overflows in Redis and never comes: it waits forever.
      const deadline = BigInt(Date.now()) + timeout;
      timeoutAt = timeout === 0n || deadline > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(deadline);
    } else if (argIs(option, "count") && moreArgs > 0) {
      i++;
      const value = longLongArg(client, argv[i]!);
      if (value === null) return;
      count = value < 0n ? 0 : value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
    } else if (argIs(option, "streams") && moreArgs > 0) {
      streamsAt = i + 1;
      streamCount = argv.length - streamsAt;
      if (streamCount % 2 !== 0) {
        replyError(client, UNBALANCED_STREAMS);
        return;
      }
      streamCount /= 2;
      break;
    } else if (argIs(option, "group") && moreArgs >= 2) {
      if (!isGroupRead) {
        replyError(client, GROUP_ONLY_XREADGROUP);
        return;
      }
      groupArg = argv[i + 1]!;
      groupName = bytesToKey(groupArg);
      consumerName = bytesToKey(argv[i + 2]!);
      i += 2;
    } else if (argIs(option, "noack")) {
      if (!isGroupRead) {
        replyError(client, NOACK_ONLY_XREADGROUP);
        return;
      }
      noAck = true;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  if (streamsAt === 0) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  if (isGroupRead && groupName === null) {
    replyError(client, MISSING_GROUP);
    return;
  }

  // Resolve every key, group and ID before serving anything.
  const keys: string[] = [];
  const afterIds: StreamId[] = [];
  const groups: ConsumerGroup[] = [];
  for (let i = 0; i < streamCount; i++) {
    const keyArg = argv[streamsAt + i]!;
    const idText = argv[streamsAt + streamCount + i]!;
    const key = bytesToKey(keyArg);
    const stream = readStream(client, key);
    if (stream === null) return;
    if (groupName !== null) {
      const group = stream?.groups.get(groupName);
      if (group === undefined) {
        replyError(client, noGroupForReadGroup(key, groupName));
        return;
      }
      groups.push(group);
    }
    keys.push(key);
    if (idText.length === 1 && idText[0] === 36 /* $ */) {
      if (isGroupRead) {
        replyError(client, DOLLAR_IN_XREADGROUP);
        return;
      }
      afterIds.push(stream === undefined ? { ms: 0n, seq: 0n } : stream.lastId);
      continue;
    }
    if (idText.length === 1 && idText[0] === 62 /* > */) {
      if (!isGroupRead) {
        replyError(client, GREATER_IN_XREAD);
        return;
      }
      afterIds.push(MAX_STREAM_ID);
      continue;
    }
    const id = strictIdArg(client, idText);
    if (id === null) return;
    afterIds.push(id);
  }

  // Serve synchronously the streams that have something for this reader.
  const now = Date.now();
  const served: Array<() => void> = [];
  for (let i = 0; i < streamCount; i++) {
    const key = keys[i]!;
    const stream = readStream(client, key, groupName !== null);
    if (stream === undefined || stream === null) continue;
    let after = afterIds[i]!;
    let serve = false;
    let history = false;
    const group = groupName === null ? null : groups[i]!;
    if (group !== null) {
      if (!isNewEntriesId(after)) {
        serve = true;
        history = true;
      } else {
        const lastLive = stream.lastEntryId();
        if (lastLive !== undefined && compareStreamId(lastLive, group.lastId) > 0) {
          serve = true;
          after = group.lastId;
        }
      }
    } else {
      const lastLive = stream.lastEntryId();
      if (lastLive !== undefined && compareStreamId(lastLive, after) > 0) serve = true;
    }
    if (!serve) continue;
    const start = idAfter(after);
    const keyBytes = argv[streamsAt + i]!;
    if (group === null) {
      const entries = stream.range(start, MAX_STREAM_ID, count);
      served.push(() => {
        if (client.reply.resp === 2) client.reply.arrayHeader(2);
        client.reply.bulk(keyBytes);
        replyEntries(client, entries);
      });
    } else {
      // Delivering changes the group: do it now, in key order, as Redis does. The consumer
      // only comes into existence when something is served to it.
      const info: StreamPropagation = { key: keyBytes, group: groupArg! };
      const consumer = consumerForDelivery(client, key, stream, group, consumerName!, now, noAck ? info : null);
      // History reads are not propagated, as in Redis: only new deliveries change replicas.
      const reply = history
        ? takePendingHistory(client, stream, consumer, start, count, now)
        : deliverNewEntries(client, stream, group, consumer, start, count, noAck, now, info);
      keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
      served.push(() => {
        if (client.reply.resp === 2) client.reply.arrayHeader(2);
        client.reply.bulk(keyBytes);
        reply();
      });
    }
  }
  if (served.length > 0) {
    if (client.reply.resp === 2) client.reply.arrayHeader(served.length);
    else client.reply.mapHeader(served.length);
    for (const write of served) write();
    return;
  }

  if (timeoutAt !== -1) {
    // Inside MULTI (or a script) a blocking read cannot wait: it answers as if it timed out.
    if (client.denyBlocking) {
      client.reply.nullArray();
      return;
    }
    const waiting: BlockedRead = {
      after: new Map(),
      count: count > 0 ? count : BLOCKED_DEFAULT_COUNT,
      group: groupName === null ? null : { name: groupName, arg: groupArg!, consumer: consumerName!, noAck },
    };
    for (let i = 0; i < streamCount; i++) {
      if (!waiting.after.has(keys[i]!)) waiting.after.set(keys[i]!, afterIds[i]!);
    }
    client.server.blocking.blockForKeys(client, "stream", waiting.after.keys(), timeoutAt, client.currentCommand!, {
      serve: (readyKey) => serveBlockedRead(client, waiting, readyKey),
      onTimeout: () => client.reply.nullArray(),
    });
    return;
  }
  client.reply.nullArray();
}

/**
 * streamReplyWithRange for a group reading new entries: moves the group's last ID and
 * read counter and, unless NOACK, adds each entry to the PELs (an entry already pending,
 * after XGROUP SETID moved back, changes owner). Each delivery is propagated as an
 * XCLAIM; with NOACK, the group's new last ID as XGROUP SETID. Returns the writer of the reply.
 */
function deliverNewEntries(
  client: Client,
  stream: RedisStream,
  group: ConsumerGroup,
  consumer: StreamConsumer,
  start: StreamId,
  count: number,
  noAck: boolean,
  now: number,
  info: StreamPropagation,
): () => void {
  const entries = stream.range(start, MAX_STREAM_ID, count);
  const lastIdBefore = group.lastId;
  for (const entry of entries) {
    stream.advanceGroup(group, entry.id);
    if (!noAck) propagateXclaim(client, info, group, stream.deliverPending(group, consumer, entry.id, now), null);
  }
  if (noAck && compareStreamId(group.lastId, lastIdBefore) !== 0) propagateGroupId(client, info, group);
  return () => replyEntries(client, entries);
}

/**
 * streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from `start`;
 * each one still in the stream counts as delivered again, a deleted one is reported as
 * [id, nil]. Returns the writer of the reply.
 */
function takePendingHistory(client: Client, stream: RedisStream, consumer: StreamConsumer, start: StreamId, count: number, now: number): () => void {
  const items: Array<{ id: StreamId; entry: StreamEntry | undefined }> = [];
  for (const pending of pendingFrom(consumer.pending, start)) {
    if (count > 0 && items.length >= count) break;
    const entry = stream.get(pending.id);
    if (entry !== undefined) {
      pending.deliveryTime = now;
      pending.deliveryCount++;
    }
    items.push({ id: pending.id, entry });
  }
  return () => {
    client.reply.arrayHeader(items.length);
    for (const item of items) {
      if (item.entry !== undefined) {
        replyEntry(client, item.entry);
      } else {
        client.reply.arrayHeader(2);
        replyId(client, item.id);
        client.reply.nullArray();
      }
    }
  };
}

// ---- blocked readers ---------------------------------------------------------------------

/**
 * serveClientsBlockedOnStreamKey for one waiter: true when it was answered (entries, or an
 * error because its key or group went away), false to keep waiting.
 */
function serveBlockedRead(client: Client, waiting: BlockedRead, readyKey: string): boolean {
  const stream = client.db.lookupWrite(readyKey);
  if (!(stream instanceof RedisStream)) {
    // A group reader cannot be served by a future stream at this key: its group is gone.
    if (waiting.group === null) return false;
    replyError(client, BLOCKED_KEY_GONE);
    return true;
  }
  let after = waiting.after.get(readyKey)!;
  let group: ConsumerGroup | undefined;
  if (waiting.group !== null) {
    group = stream.groups.get(waiting.group.name);
    if (group === undefined) {
      replyError(client, BLOCKED_GROUP_GONE);
      return true;
    }
    after = group.lastId;
  }
  if (compareStreamId(stream.lastId, after) <= 0) return false;
  const start = idAfter(after);
  const now = Date.now();
  let writeEntries: () => void;
  if (group !== undefined) {
    const info: StreamPropagation = { key: keyToBytes(readyKey), group: waiting.group!.arg };
    const noAck = waiting.group!.noAck;
    const consumer = consumerForDelivery(client, readyKey, stream, group, waiting.group!.consumer, now, noAck ? info : null);
    writeEntries = deliverNewEntries(client, stream, group, consumer, start, waiting.count, noAck, now, info);
  } else {
    const entries = stream.range(start, MAX_STREAM_ID, waiting.count);
    writeEntries = () => replyEntries(client, entries);
  }
  if (client.reply.resp === 2) {
    client.reply.arrayHeader(1);
    client.reply.arrayHeader(2);
  } else {
    client.reply.mapHeader(1);
  }
  client.reply.bulk(keyToBytes(readyKey));
  writeEntries();
  return true;
}

// ---- XGROUP -----------------------------------------------------------------------------

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

/** ENTRIESREAD's value: a counter >= 0 or -1 (unknown). Null after replying. */
function entriesReadArg(client: Client, arg: Uint8Array): number | null {
  const value = longLongArg(client, arg);
  if (value === null) return null;
  if (value < 0n && value !== BigInt(ENTRIES_READ_UNKNOWN)) {
    replyError(client, ENTRIES_READ_INVALID);
    return null;
  }
  return Number(value);
}

/**
 * The part of xgroupCommand every subcommand but HELP shares: the stream (which must exist
 * unless CREATE ... MKSTREAM) and the group (which must exist for SETID and the consumer
 * subcommands). Null after replying.
 */
function xgroupTarget(
  client: Client,
  argv: Uint8Array[],
  mkStream: boolean,
  groupRequired: boolean,
): { key: string; stream: RedisStream | undefined; groupName: string; group: ConsumerGroup | undefined } | null {
  const key = bytesToKey(argv[2]!);
  const stream = streamForWrite(client, key);
  if (stream === null) return null;
  const groupName = bytesToKey(argv[3]!);
  if (!mkStream && stream === undefined) {
    replyError(client, XGROUP_NEEDS_KEY);
    return null;
  }
  const group = stream?.groups.get(groupName);
  if (group === undefined && groupRequired) {
    replyError(client, noGroupForKey(groupName, key));
    return null;
  }
  return { key, stream, groupName, group };
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] */
function xgroupCreate(client: Client, argv: Uint8Array[]): void {
  let mkStream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < argv.length; ) {
    if (argIs(argv[i]!, "mkstream")) {
      mkStream = true;
      i++;
    } else if (argIs(argv[i]!, "entriesread") && i + 1 < argv.length) {
      const value = entriesReadArg(client, argv[i + 1]!);
      if (value === null) return;
      entriesRead = value;
      i += 2;
    } else {
      subcommandSyntaxError(client, argv);
      return;
    }
  }
  const target = xgroupTarget(client, argv, mkStream, false);
  if (target === null) return;
  if (argv.length > 8) {
    subcommandSyntaxError(client, argv);
    return;
  }
  const idText = argv[4]!;
  let id: StreamId | null;
  if (idText.length === 1 && idText[0] === 36 /* $ */) {
    id = target.stream === undefined ? { ms: 0n, seq: 0n } : target.stream.lastId;
  } else {
    id = strictIdArg(client, idText);
    if (id === null) return;
  }
  let stream = target.stream;
  if (stream === undefined) {
    stream = new RedisStream();
    client.db.add(target.key, stream);
  }
  if (stream.createGroup(target.groupName, id, entriesRead) === null) {
    replyError(client, BUSYGROUP);
    return;
  }
  client.reply.ok();
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-create", target.key);
}

/** XGROUP SETID key group id|$ [ENTRIESREAD n] */
function xgroupSetid(client: Client, argv: Uint8Array[]): void {
  const target = xgroupTarget(client, argv, false, true);
  if (target === null) return;
  if (argv.length !== 5 && argv.length !== 7) {
    subcommandSyntaxError(client, argv);
    return;
  }
  const stream = target.stream!;
  const idText = argv[4]!;
  let id: StreamId | null;
  if (idText.length === 1 && idText[0] === 36 /* $ */) id = stream.lastId;
  else {
    id = idArg(client, idText, 0n);
    if (id === null) return;
  }
  let entriesRead = ENTRIES_READ_UNKNOWN;
  if (argv.length === 7) {
    if (!argIs(argv[5]!, "entriesread")) {
      subcommandSyntaxError(client, argv);
      return;
    }
    const value = entriesReadArg(client, argv[6]!);
    if (value === null) return;
    entriesRead = value;
  }
  const group = target.group!;
  group.lastId = id;
  group.entriesRead = entriesRead;
  client.reply.ok();
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-setid", target.key);
}

/** XGROUP DESTROY key group */
function xgroupDestroy(client: Client, argv: Uint8Array[]): void {
  const target = xgroupTarget(client, argv, false, false);
  if (target === null) return;
  if (target.group === undefined) {
    client.reply.integer(0);
    return;
  }
  target.stream!.deleteGroup(target.groupName);
  client.reply.integer(1);
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-destroy", target.key);
  // Its blocked XREADGROUP readers get -NOGROUP.
  client.server.signalKeyReady(client.dbIndex, target.key);
}

/** XGROUP CREATECONSUMER key group consumer */
function xgroupCreateConsumer(client: Client, argv: Uint8Array[]): void {
  const target = xgroupTarget(client, argv, false, true);
  if (target === null) return;
  const name = bytesToKey(argv[4]!);
  if (target.group!.consumers.has(name)) {
    client.reply.integer(0);
    return;
  }
  target.stream!.createConsumer(target.group!, name, Date.now());
  client.reply.integer(1);
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-createconsumer", target.key);
}

/** XGROUP DELCONSUMER key group consumer: the number of pending entries it had. */
function xgroupDelConsumer(client: Client, argv: Uint8Array[]): void {
  const target = xgroupTarget(client, argv, false, true);
  if (target === null) return;
  const name = bytesToKey(argv[4]!);
  if (!target.group!.consumers.has(name)) {
    client.reply.integer(0);
    return;
  }
  const pending = target.stream!.deleteConsumer(target.group!, name);
  client.reply.integer(pending);
  keyChangedUnwatched(client, NOTIFY_STREAM, "xgroup-delconsumer", target.key);
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ---------------------------------------------------

/**
 * The key's group for XACK-like commands (`forWrite`: the command may change the group):
 * undefined when the key or group is missing, null after WRONGTYPE.
 */
function groupOf(client: Client, key: string, groupArg: Uint8Array, forWrite: boolean): { stream: RedisStream; group: ConsumerGroup } | undefined | null {
  const stream = readStream(client, key, forWrite);
  if (stream === null) return null;
  const group = stream?.groups.get(bytesToKey(groupArg));
  return group === undefined ? undefined : { stream: stream!, group };
}

/** XACK key group id [id ...] */
function xack(client: Client, argv: Uint8Array[]): void {
  const key = bytesToKey(argv[1]!);
  const target = groupOf(client, key, argv[2]!, true);
  if (target === null) return;
  if (target === undefined) {
    client.reply.integer(0);
    return;
  }
  const ids = strictIdArgs(client, argv, 3);
  if (ids === null) return;
  let acknowledged = 0;
  for (const id of ids) {
    if (!target.group.pending.has(streamIdKey(id))) continue;
    target.stream.acknowledge(target.group, id);
    acknowledged++;
  }
  keyChangedUnwatched(client, NOTIFY_STREAM, null, key, acknowledged);
  client.reply.integer(acknowledged);
}

/** XPENDING key group [[IDLE min-idle] start end count [consumer]] */
function xpending(client: Client, argv: Uint8Array[]): void {
  const summaryOnly = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  let start: StreamId = MIN_STREAM_ID;
  let end: StreamId = MAX_STREAM_ID;
  let count = 0n;
  let minIdle = 0n;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let startIndex = 3;
    if (argIs(argv[3]!, "idle")) {
      const value = longLongArg(client, argv[4]!);
      if (value === null) return;
      minIdle = value;
      if (argv.length < 8) {
        replyError(client, errors.SYNTAX_ERROR);
        return;
      }
      startIndex += 2;
    }
    const countValue = longLongArg(client, argv[startIndex + 2]!);
    if (countValue === null) return;
    count = countValue < 0n ? 0n : countValue;
    const parsedStart = intervalIdArg(client, argv[startIndex]!, "start");
    if (parsedStart === null) return;
    const parsedEnd = intervalIdArg(client, argv[startIndex + 1]!, "end");
    if (parsedEnd === null) return;
    start = parsedStart;
    end = parsedEnd;
    if (startIndex + 3 < argv.length) consumerName = bytesToKey(argv[startIndex + 3]!);
  }
  const key = bytesToKey(argv[1]!);
  const groupName = bytesToKey(argv[2]!);
  const target = groupOf(client, key, argv[2]!, false);
  if (target === null) return;
  if (target === undefined) {
    replyError(client, noKeyOrGroup(key, groupName));
    return;
  }
  const group = target.group;
  const reply = client.reply;
  if (summaryOnly) {
    reply.arrayHeader(4);
    reply.integer(group.pending.size);
    const bounds = pendingBounds(group.pending);
    if (bounds === undefined) {
      reply.nullBulk();
      reply.nullBulk();
      reply.nullArray();
      return;
    }
    replyId(client, bounds.first.id);
    replyId(client, bounds.last.id);
    const owners: StreamConsumer[] = [];
    for (const consumer of group.consumers.values()) if (consumer.pending.size > 0) owners.push(consumer);
    reply.arrayHeader(owners.length);
    for (const consumer of owners) {
      reply.arrayHeader(2);
      reply.bulkText(consumer.name);
      reply.bulkText(String(consumer.pending.size));
    }
    return;
  }
  let pel: Map<string, PendingEntry> = group.pending;
  if (consumerName !== null) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) {
      reply.emptyArray();
      return;
    }
    pel = consumer.pending;
  }
  const now = Date.now();
  const selected: PendingEntry[] = [];
  if (count > 0n) {
    for (const pending of pendingFrom(pel, start)) {
      if (compareStreamId(pending.id, end) > 0) break;
      if (minIdle !== 0n && BigInt(now - pending.deliveryTime) < minIdle) continue;
      selected.push(pending);
      if (BigInt(selected.length) >= count) break;
    }
  }
  reply.arrayHeader(selected.length);
  for (const pending of selected) {
    reply.arrayHeader(4);
    replyId(client, pending.id);
    reply.bulkText(pending.consumer);
    reply.integer(Math.max(0, now - pending.deliveryTime));
    reply.integer(pending.deliveryCount);
  }
}

/** XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] */
function xclaim(client: Client, argv: Uint8Array[]): void {
  const key = bytesToKey(argv[1]!);
  const target = groupOf(client, key, argv[2]!, true);
  if (target === null) return;
  if (target === undefined) {
    replyError(client, noKeyOrGroup(key, bytesToKey(argv[2]!)));
    return;
  }
  const { stream, group } = target;
  const minIdleValue = longLongArg(client, argv[4]!, XCLAIM_MIN_IDLE);
  if (minIdleValue === null) return;
  const minIdle = minIdleValue < 0n ? 0n : minIdleValue;

  // IDs run until the first argument that is not one; options follow.
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseStreamId(argv[j]!, 0n, true);
    if (id === null) break;
    ids.push(id);
  }
  const idArgs = argv.slice(5, 5 + ids.length);
  const now = Date.now();
  let deliveryTime: bigint | null = null;
  let retryCount = -1n;
  let force = false;
  let justId = false;
  let lastId: StreamId | null = null;
  for (; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    const option = argv[j]!;
    if (argIs(option, "force")) {
      force = true;
    } else if (argIs(option, "justid")) {
      justId = true;
    } else if (argIs(option, "idle") && moreArgs > 0) {
      const idle = longLongArg(client, argv[++j]!, XCLAIM_IDLE);
      if (idle === null) return;
      deliveryTime = BigInt(now) - idle;
    } else if (argIs(option, "time") && moreArgs > 0) {
      const time = longLongArg(client, argv[++j]!, XCLAIM_TIME);
      if (time === null) return;
      deliveryTime = time;
    } else if (argIs(option, "retrycount") && moreArgs > 0) {
      const retries = longLongArg(client, argv[++j]!, XCLAIM_RETRYCOUNT);
      if (retries === null) return;
      retryCount = retries;
    } else if (argIs(option, "lastid") && moreArgs > 0) {
      const id = strictIdArg(client, argv[++j]!);
      if (id === null) return;
      lastId = id;
    } else {
      replyError(client, `ERR Unrecognized XCLAIM option '${cText(bytesToKey(option))}'`);
      return;
    }
  }
  // A bogus IDLE/TIME (negative, or in the future) means "now" rather than an error.
  const claimTime = deliveryTime === null || deliveryTime < 0n || deliveryTime > BigInt(now) ? now : Number(deliveryTime);

  // XCLAIM is replicated as what it did: one XCLAIM ... FORCE JUSTID per entry claimed or
  // dropped, or XGROUP SETID when LASTID alone moved the group.
  preventPropagation(client);
  const info: StreamPropagation = { key: argv[1]!, group: argv[2]! };
  // LASTID moves the group forward; it counts as a change of its own only when nothing
  // else was claimed or dropped (Redis then propagates it alone).
  let lastIdMoved = false;
  if (lastId !== null && compareStreamId(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    lastIdMoved = true;
  }
  const consumerName = bytesToKey(argv[3]!);
  let consumer: StreamConsumer | null = null;
  const claimed: Array<{ id: StreamId; entry: StreamEntry }> = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const idKey = streamIdKey(id);
    let pending = group.pending.get(idKey);
    const entry = stream.get(id);
    if (entry === undefined) {
      // The entry is gone from the stream: its PEL entry is dropped, nothing is claimed.
      if (pending !== undefined) {
        propagateXclaim(client, info, group, pending, idArgs[k]!);
        stream.acknowledge(group, id);
        keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
        lastIdMoved = false;
      }
      continue;
    }
    let createdByForce = false;
    if (pending === undefined) {
      if (!force) continue;
      createdByForce = true;
    } else if (minIdle !== 0n && BigInt(now - pending.deliveryTime) < minIdle) {
      continue;
    }
    if (consumer === null) consumer = consumerForDelivery(client, key, stream, group, consumerName, now);
    if (createdByForce) {
      pending = { id, consumer: consumer.name, deliveryTime: now, deliveryCount: 1 };
      stream.addPending(group, pending);
    } else {
      stream.transferPending(group, pending!, consumer);
    }
    pending!.deliveryTime = claimTime;
    if (retryCount >= 0n) pending!.deliveryCount = Number(retryCount);
    else if (!justId) pending!.deliveryCount++;
    claimed.push({ id, entry });
    propagateXclaim(client, info, group, pending!, idArgs[k]!);
    keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
    lastIdMoved = false;
  }
  if (lastIdMoved) {
    propagateGroupId(client, info, group);
    keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
  }
  client.reply.arrayHeader(claimed.length);
  for (const item of claimed) {
    if (justId) replyId(client, item.id);
    else replyEntry(client, item.entry);
  }
}

/** LONG_MAX / max(sizeof(streamID), attempts factor): XAUTOCLAIM's COUNT ceiling. */
const XAUTOCLAIM_MAX_COUNT = 576460752303423487n;
/**
 * Redis allocates COUNT stream IDs (16 bytes each) up front for the deleted-IDs list; on a
 * 64-bit Linux host jemalloc refuses a request above 48 TiB, and the command says so.
 */
const STREAM_ID_BYTES = 16;
const XAUTOCLAIM_ALLOCATION_LIMIT = 3 * 2 ** 44;
const XAUTOCLAIM_NO_MEMORY = "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";
/** XAUTOCLAIM scans at most COUNT * this many PEL entries per call. */
const XAUTOCLAIM_ATTEMPTS_FACTOR = 10;

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(client: Client, argv: Uint8Array[]): void {
  const minIdleValue = longLongArg(client, argv[4]!, XAUTOCLAIM_MIN_IDLE);
  if (minIdleValue === null) return;
  const minIdle = minIdleValue < 0n ? 0n : minIdleValue;
  const start = intervalIdArg(client, argv[5]!, "start");
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    if (argIs(argv[j]!, "count") && moreArgs > 0) {
      const value = longLongArg(client, argv[j + 1]!, XAUTOCLAIM_COUNT);
      if (value === null) return;
      if (value < 1n || value > XAUTOCLAIM_MAX_COUNT) {
        replyError(client, XAUTOCLAIM_COUNT);
        return;
      }
      count = value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
      j++;
    } else if (argIs(argv[j]!, "justid")) {
      justId = true;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const key = bytesToKey(argv[1]!);
  const target = groupOf(client, key, argv[2]!, true);
  if (target === null) return;
  if (target === undefined) {
    replyError(client, noKeyOrGroup(key, bytesToKey(argv[2]!)));
    return;
  }
  if (count * STREAM_ID_BYTES > XAUTOCLAIM_ALLOCATION_LIMIT) {
    replyError(client, XAUTOCLAIM_NO_MEMORY);
    return;
  }
  const { stream, group } = target;
  const consumerName = bytesToKey(argv[3]!);
  const now = Date.now();
  let attempts = count * XAUTOCLAIM_ATTEMPTS_FACTOR;
  let consumer: StreamConsumer | null = null;
  // Replicated as one XCLAIM ... FORCE JUSTID per entry claimed or dropped.
  preventPropagation(client);
  const info: StreamPropagation = { key: argv[1]!, group: argv[2]! };
  const claimed: Array<{ id: StreamId; entry: StreamEntry }> = [];
  const deletedIds: StreamId[] = [];
  // The cursor is the first PEL entry this call did not get to (0-0 when it reached the end).
  let cursor: StreamId = { ms: 0n, seq: 0n };
  for (const pending of pendingFrom(group.pending, start)) {
    if (attempts === 0 || count === 0) {
      cursor = pending.id;
      break;
    }
    attempts--;
    const entry = stream.get(pending.id);
    if (entry === undefined) {
      propagateXclaim(client, info, group, pending, null);
      stream.acknowledge(group, pending.id);
      deletedIds.push(pending.id);
      keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
      count--;
      continue;
    }
    if (minIdle !== 0n && BigInt(now - pending.deliveryTime) < minIdle) continue;
    if (consumer === null) consumer = consumerForDelivery(client, key, stream, group, consumerName, now);
    stream.transferPending(group, pending, consumer);
    pending.deliveryTime = now;
    if (!justId) pending.deliveryCount++;
    claimed.push({ id: pending.id, entry });
    count--;
    propagateXclaim(client, info, group, pending, null);
    keyChangedUnwatched(client, NOTIFY_STREAM, null, key);
  }
  const reply = client.reply;
  reply.arrayHeader(3);
  replyId(client, cursor);
  reply.arrayHeader(claimed.length);
  for (const item of claimed) {
    if (justId) replyId(client, item.id);
    else replyEntry(client, item.entry);
  }
  reply.arrayHeader(deletedIds.length);
  for (const id of deletedIds) replyId(client, id);
}

// ---- XINFO ------------------------------------------------------------------------------

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

/** XINFO's key: the stream, or null after replying "no such key" / WRONGTYPE. */
function xinfoStream(client: Client, argv: Uint8Array[]): RedisStream | null {
  const stream = readStream(client, bytesToKey(argv[2]!));
  if (stream === undefined) {
    replyError(client, errors.NO_SUCH_KEY);
    return null;
  }
  return stream;
}

function replyEntriesReadAndLag(client: Client, stream: RedisStream, group: ConsumerGroup): void {
  client.reply.bulkText("entries-read");
  if (group.entriesRead === ENTRIES_READ_UNKNOWN) client.reply.nullBulk();
  else client.reply.integer(group.entriesRead);
  client.reply.bulkText("lag");
  const lag = stream.groupLag(group);
  if (lag === null) client.reply.nullBulk();
  else client.reply.integer(lag);
}

/** XINFO CONSUMERS key group */
function xinfoConsumers(client: Client, argv: Uint8Array[]): void {
  const stream = xinfoStream(client, argv);
  if (stream === null) return;
  const groupName = bytesToKey(argv[3]!);
  const group = stream.groups.get(groupName);
  if (group === undefined) {
    replyError(client, noGroupForKey(groupName, bytesToKey(argv[2]!)));
    return;
  }
  const reply = client.reply;
  const now = Date.now();
  reply.arrayHeader(group.consumers.size);
  for (const consumer of group.consumers.values()) {
    reply.mapHeader(3);
    reply.bulkText("name");
    reply.bulkText(consumer.name);
    reply.bulkText("pending");
    reply.integer(consumer.pending.size);
    reply.bulkText("idle");
    reply.integer(Math.max(0, now - consumer.seenTime));
  }
}

/** XINFO GROUPS key */
function xinfoGroups(client: Client, argv: Uint8Array[]): void {
  const stream = xinfoStream(client, argv);
  if (stream === null) return;
  const reply = client.reply;
  reply.arrayHeader(stream.groups.size);
  for (const group of stream.groups.values()) {
    reply.mapHeader(6);
    reply.bulkText("name");
    reply.bulkText(group.name);
    reply.bulkText("consumers");
    reply.integer(group.consumers.size);
    reply.bulkText("pending");
    reply.integer(group.pending.size);
    reply.bulkText("last-delivered-id");
    replyId(client, group.lastId);
    replyEntriesReadAndLag(client, stream, group);
  }
}

/** XINFO STREAM key [FULL [COUNT count]] */
function xinfoStreamCommand(client: Client, argv: Uint8Array[]): void {
  const stream = xinfoStream(client, argv);
  if (stream === null) return;
  let full = false;
  let count = 10n;
  if (argv.length > 3) {
    const wellFormed =
      (argv.length === 4 || argv.length === 6) && argIs(argv[3]!, "full") && (argv.length === 4 || argIs(argv[4]!, "count"));
    if (!wellFormed) {
      subcommandSyntaxError(client, argv);
      return;
    }
    full = true;
    if (argv.length === 6) {
      const value = longLongArg(client, argv[5]!);
      if (value === null) return;
      count = value < 0n ? 10n : value;
    }
  }
  const reply = client.reply;
  reply.mapHeader(full ? 9 : 10);
  reply.bulkText("length");
  reply.integer(stream.length);
  reply.bulkText("radix-tree-keys");
  reply.integer(stream.nodeCount);
  reply.bulkText("radix-tree-nodes");
  reply.integer(stream.radixTreeNodes());
  reply.bulkText("last-generated-id");
  replyId(client, stream.lastId);
  reply.bulkText("max-deleted-entry-id");
  replyId(client, stream.maxDeletedId);
  reply.bulkText("entries-added");
  reply.integer(stream.entriesAdded);
  reply.bulkText("recorded-first-entry-id");
  replyId(client, stream.firstId() ?? MIN_STREAM_ID);
  if (!full) {
    reply.bulkText("groups");
    reply.integer(stream.groups.size);
    const first = stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 1);
    reply.bulkText("first-entry");
    if (first.length > 0) replyEntry(client, first[0]!);
    else reply.nullBulk();
    const last = stream.range(MIN_STREAM_ID, MAX_STREAM_ID, 1, true);
    reply.bulkText("last-entry");
    if (last.length > 0) replyEntry(client, last[0]!);
    else reply.nullBulk();
    return;
  }
  // COUNT 0 means everything.
  const limit = count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
  reply.bulkText("entries");
  replyEntries(client, stream.range(MIN_STREAM_ID, MAX_STREAM_ID, limit));
  reply.bulkText("groups");
  reply.arrayHeader(stream.groups.size);
  for (const group of stream.groups.values()) {
    reply.mapHeader(7);
    reply.bulkText("name");
    reply.bulkText(group.name);
    reply.bulkText("last-delivered-id");
    replyId(client, group.lastId);
    replyEntriesReadAndLag(client, stream, group);
    reply.bulkText("pel-count");
    reply.integer(group.pending.size);
    reply.bulkText("pending");
    const groupPending = firstPending(group.pending, limit);
    reply.arrayHeader(groupPending.length);
    for (const pending of groupPending) {
      reply.arrayHeader(4);
      replyId(client, pending.id);
      reply.bulkText(pending.consumer);
      reply.integer(pending.deliveryTime);
      reply.integer(pending.deliveryCount);
    }
    reply.bulkText("consumers");
    reply.arrayHeader(group.consumers.size);
    for (const consumer of group.consumers.values()) {
      reply.mapHeader(4);
      reply.bulkText("name");
      reply.bulkText(consumer.name);
      reply.bulkText("seen-time");
      reply.integer(consumer.seenTime);
      reply.bulkText("pel-count");
      reply.integer(consumer.pending.size);
      reply.bulkText("pending");
      const consumerPending = firstPending(consumer.pending, limit);
      reply.arrayHeader(consumerPending.length);
      for (const pending of consumerPending) {
        reply.arrayHeader(3);
        replyId(client, pending.id);
        reply.integer(pending.deliveryTime);
        reply.integer(pending.deliveryCount);
      }
    }
  }
}

/** The first `limit` entries of a PEL in ID order (0 = all). */
function firstPending(pel: Map<string, PendingEntry>, limit: number): PendingEntry[] {
  const out: PendingEntry[] = [];
  for (const pending of pendingFrom(pel)) {
    if (limit > 0 && out.length >= limit) break;
    out.push(pending);
  }
  return out;
}

// ---- XSETID -----------------------------------------------------------------------------

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(client: Client, argv: Uint8Array[]): void {
  const id = strictIdArg(client, argv[2]!);
  if (id === null) return;
  let entriesAdded = -1n;
  let maxDeletedId: StreamId = { ms: 0n, seq: 0n };
  for (let i = 3; i < argv.length; ) {
    const moreArgs = argv.length - 1 - i;
    if (argIs(argv[i]!, "entriesadded") && moreArgs > 0) {
      const value = longLongArg(client, argv[i + 1]!);
      if (value === null) return;
      if (value < 0n) {
        replyError(client, ENTRIES_ADDED_NEGATIVE);
        return;
      }
      entriesAdded = value;
      i += 2;
    } else if (argIs(argv[i]!, "maxdeletedid") && moreArgs > 0) {
      const value = strictIdArg(client, argv[i + 1]!);
      if (value === null) return;
      if (compareStreamId(id, value) < 0) {
        replyError(client, XSETID_BELOW_GIVEN_MAX_DELETED);
        return;
      }
      maxDeletedId = value;
      i += 2;
    } else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  const key = bytesToKey(argv[1]!);
  const stream = streamForWrite(client, key);
  if (stream === null) return;
  if (stream === undefined) {
    replyError(client, errors.NO_SUCH_KEY);
    return;
  }
  if (stream.length > 0) {
    if (compareStreamId(id, stream.lastEntryId()!) < 0) {
      replyError(client, XSETID_BELOW_TOP);
      return;
    }
    if (entriesAdded !== -1n && BigInt(stream.length) > entriesAdded) {
      replyError(client, XSETID_ENTRIES_ADDED_TOO_SMALL);
      return;
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1n) stream.entriesAdded = entriesAdded;
  if (!isZeroStreamId(maxDeletedId)) stream.maxDeletedId = maxDeletedId;
  client.reply.ok();
  keyChangedUnwatched(client, NOTIFY_STREAM, "xsetid", key);
}

// ---- declarations -------------------------------------------------------------------------

const X = { categories: ["stream"], group: "stream" };
const single = { firstKey: 1, lastKey: 1, keyStep: 1 };
const subcommandKey = { firstKey: 2, lastKey: 2, keyStep: 1 };
const movable = { firstKey: 0, lastKey: 0, keyStep: 0 };

export const streamCommands: CommandSpec[] = [
  { name: "xadd", arity: -5, flags: ["write", "denyoom", "fast"], ...single, ...X, since: "5.0.0", summary: "Appends a new entry to a stream", complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", tips: ["nondeterministic_output"], handler: xadd },
  { name: "xlen", arity: 2, flags: ["readonly", "fast"], ...single, ...X, since: "5.0.0", summary: "Return the number of entries in a stream", complexity: "O(1)", handler: xlen },
  { name: "xrange", arity: -4, flags: ["readonly"], ...single, ...X, since: "5.0.0", summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", handler: (c, a) => xrangeGeneric(c, a, false) },
  { name: "xrevrange", arity: -4, flags: ["readonly"], ...single, ...X, since: "5.0.0", summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", handler: (c, a) => xrangeGeneric(c, a, true) },
  { name: "xdel", arity: -3, flags: ["write", "fast"], ...single, ...X, since: "5.0.0", summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.", handler: xdel },
  { name: "xtrim", arity: -4, flags: ["write"], ...single, ...X, since: "5.0.0", summary: "Trims the stream to (approximately if '~' is passed) a certain size", complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", tips: ["nondeterministic_output"], handler: xtrim },
  { name: "xread", arity: -4, flags: ["readonly", "blocking", "movablekeys"], ...movable, ...X, since: "5.0.0", summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", getKeys: xreadKeys, handler: (c, a) => xreadGeneric(c, a, false) },
  { name: "xreadgroup", arity: -7, flags: ["write", "blocking", "movablekeys"], ...movable, ...X, since: "5.0.0", summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", getKeys: xreadKeys, handler: (c, a) => xreadGeneric(c, a, true) },
  keyless({
    name: "xgroup", arity: -2, flags: [], categories: [], group: "stream", since: "5.0.0", summary: "A container for consumer groups commands", complexity: "Depends on subcommand.",
    subcommands: [
      { name: "create", arity: -5, flags: ["write", "denyoom"], ...subcommandKey, ...X, since: "5.0.0", summary: "Create a consumer group.", complexity: "O(1)", handler: xgroupCreate },
      { name: "setid", arity: -5, flags: ["write"], ...subcommandKey, ...X, since: "5.0.0", summary: "Set a consumer group to an arbitrary last delivered ID value.", complexity: "O(1)", handler: xgroupSetid },
      { name: "destroy", arity: 4, flags: ["write"], ...subcommandKey, ...X, since: "5.0.0", summary: "Destroy a consumer group.", complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).", handler: xgroupDestroy },
      { name: "createconsumer", arity: 5, flags: ["write", "denyoom"], ...subcommandKey, ...X, since: "6.2.0", summary: "Create a consumer in a consumer group.", complexity: "O(1)", handler: xgroupCreateConsumer },
      { name: "delconsumer", arity: 5, flags: ["write"], ...subcommandKey, ...X, since: "5.0.0", summary: "Delete a consumer from a consumer group.", complexity: "O(1)", handler: xgroupDelConsumer },
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...X, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, XGROUP_HELP) }),
    ],
  }),
  { name: "xack", arity: -4, flags: ["write", "fast"], ...single, ...X, since: "5.0.0", summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", complexity: "O(1) for each message ID processed.", handler: xack },
  { name: "xpending", arity: -3, flags: ["readonly"], ...single, ...X, since: "5.0.0", summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", tips: ["nondeterministic_output"], handler: xpending },
  { name: "xclaim", arity: -6, flags: ["write", "fast"], ...single, ...X, since: "5.0.0", summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.", tips: ["nondeterministic_output"], handler: xclaim },
  { name: "xautoclaim", arity: -6, flags: ["write", "fast"], ...single, ...X, since: "6.2.0", summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", complexity: "O(1) if COUNT is small.", tips: ["nondeterministic_output"], handler: xautoclaim },
  keyless({
    name: "xinfo", arity: -2, flags: [], categories: [], group: "stream", since: "5.0.0", summary: "A container for stream introspection commands", complexity: "Depends on subcommand.",
    subcommands: [
      { name: "consumers", arity: 4, flags: ["readonly"], ...subcommandKey, ...X, since: "5.0.0", summary: "List the consumers in a consumer group", complexity: "O(1)", tips: ["nondeterministic_output"], handler: xinfoConsumers },
      { name: "groups", arity: 3, flags: ["readonly"], ...subcommandKey, ...X, since: "5.0.0", summary: "List the consumer groups of a stream", complexity: "O(1)", handler: xinfoGroups },
      { name: "stream", arity: -3, flags: ["readonly"], ...subcommandKey, ...X, since: "5.0.0", summary: "Get information about a stream", complexity: "O(1)", handler: xinfoStreamCommand },
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...X, since: "5.0.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, XINFO_HELP) }),
    ],
  }),
  { name: "xsetid", arity: -3, flags: ["write", "denyoom", "fast"], ...single, ...X, since: "5.0.0", summary: "An internal command for replicating stream values", complexity: "O(1)", handler: xsetid },
];
