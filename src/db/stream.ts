// The stream value: entries ordered by 128-bit ID, plus consumer groups.
//
// Entries live in nodes that mirror Redis's radix-tree-of-listpacks closely enough
// for users not to see a difference: a node is keyed by its "master" ID (the ID of
// the first entry ever added to it), new entries go to the last node until it holds
// stream-node-max-entries entries (live + deleted) or its listpack would reach
// stream-node-max-bytes, deletions leave tombstones that still count, and a node
// goes away only when its last live entry does. That is what makes XADD/XTRIM with
// `~` trim the same number of entries as Redis, and XINFO's radix-tree-keys match.
// The listpack size is computed, not built: `bodyBytes` adds up the exact encoded
// size of every listpack element t_stream.c would have appended.
//
// Lookups binary-search the node array by master ID, then the node's live entries,
// so seeking is O(log n); appends touch only the last node.
//
// Consumer groups, consumers and PELs are Maps whose iteration order is sorted by
// key (SortedKeyMap), as Redis's rax is: XINFO lists groups and consumers by name,
// and a PEL (keyed by streamIdKey, which sorts like the ID) iterates in ID order for
// XPENDING/XAUTOCLAIM. A group PEL and its consumers' PELs share PendingEntry objects.

import { parseInteger } from "./bytes.ts";
import { arrayBytes, MAP_BYTES, MAP_ENTRY_BYTES, objectBytes, stringBytes, typedArrayBytes } from "./object-size.ts";

export interface StreamId {
  ms: bigint;
  seq: bigint;
}

/** fields is [field, value, field, value, ...]. */
export interface StreamEntry {
  id: StreamId;
  fields: Uint8Array[];
}

export interface PendingEntry {
  id: StreamId;
  /** Name of the consumer that owns it (binary string). */
  consumer: string;
  /** Unix time in ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: string;
  /** Unix time in ms the consumer last did something. */
  seenTime: number;
  /** key: streamIdKey(id). */
  pending: Map<string, PendingEntry>;
}

export interface ConsumerGroup {
  name: string;
  lastId: StreamId;
  /** Logical read counter; -1 when unknown (SCG_INVALID_ENTRIES_READ). */
  entriesRead: number;
  /** Group PEL, ordered by id; key: streamIdKey(id). */
  pending: Map<string, PendingEntry>;
  consumers: Map<string, StreamConsumer>;
}

export const UINT64_MAX = 0xffffffffffffffffn;
export const MIN_STREAM_ID: Readonly<StreamId> = Object.freeze({ ms: 0n, seq: 0n });
export const MAX_STREAM_ID: Readonly<StreamId> = Object.freeze({ ms: UINT64_MAX, seq: UINT64_MAX });
/** ConsumerGroup.entriesRead when the counter is unknown. */
export const ENTRIES_READ_UNKNOWN = -1;

/** stream-node-max-entries / stream-node-max-bytes defaults. */
export const DEFAULT_NODE_MAX_ENTRIES = 100;
export const DEFAULT_NODE_MAX_BYTES = 4096;
/** STREAM_LISTPACK_MAX_SIZE: the byte limit used when stream-node-max-bytes is 0 or larger. */
const LISTPACK_MAX_SIZE = 1 << 30;

// ---- IDs ----

export function compareStreamId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function streamIdEquals(a: StreamId, b: StreamId): boolean {
  return a.ms === b.ms && a.seq === b.seq;
}

export function isZeroStreamId(id: StreamId): boolean {
  return id.ms === 0n && id.seq === 0n;
}

/** The next ID, or null after 18446744073709551615-18446744073709551615. */
export function incrementId(id: StreamId): StreamId | null {
  if (id.seq !== UINT64_MAX) return { ms: id.ms, seq: id.seq + 1n };
  if (id.ms !== UINT64_MAX) return { ms: id.ms + 1n, seq: 0n };
  return null;
}

/** The previous ID, or null before 0-0. */
export function decrementId(id: StreamId): StreamId | null {
  if (id.seq !== 0n) return { ms: id.ms, seq: id.seq - 1n };
  if (id.ms !== 0n) return { ms: id.ms - 1n, seq: UINT64_MAX };
  return null;
}

/** 2^53 - 1: IDs up to here (every millisecond timestamp) format as numbers, faster than BigInt's toString. */
const MAX_SAFE_ID_PART = 9007199254740991n;

export function formatStreamId(id: StreamId): string {
  if (id.ms <= MAX_SAFE_ID_PART && id.seq <= MAX_SAFE_ID_PART) return `${Number(id.ms)}-${Number(id.seq)}`;
  return `${id.ms}-${id.seq}`;
}

// Per-call scratch of streamIdKey: filled and read within the call, which calls out to nothing.
const idKeyView = new DataView(new ArrayBuffer(16));
const idKeyBytes = new Uint8Array(idKeyView.buffer);

/** 16-byte big-endian binary string of the ID: sorts like the ID, usable as a Map key. */
export function streamIdKey(id: StreamId): string {
  idKeyView.setBigUint64(0, id.ms);
  idKeyView.setBigUint64(8, id.seq);
  return Buffer.prototype.latin1Slice.call(idKeyBytes, 0, 16) as string;
}

export function streamIdFromKey(key: string): StreamId {
  for (let i = 0; i < 16; i++) idKeyBytes[i] = key.charCodeAt(i);
  return { ms: idKeyView.getBigUint64(0), seq: idKeyView.getBigUint64(8) };
}

/** The same 16 bytes as streamIdKey, as bytes (RDB node keys and PEL entries). */
export function streamIdToBytes(id: StreamId): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, id.ms);
  view.setBigUint64(8, id.seq);
  return out;
}

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Redis's string2ull: string2ll when it applies (negative refused), else strtoull,
 * which skips leading white space, takes a sign ('-' wraps modulo 2^64), allows leading
 * zeros, and must consume the whole, non-empty string without overflowing.
 */
function string2ull(text: string): bigint | null {
  const canonical = parseInteger(Buffer.from(text, "latin1"));
  if (canonical !== null) return canonical < 0 ? null : BigInt(canonical);
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === 43 /* + */ || sign === 45 /* - */) {
    negative = sign === 45;
    i++;
  }
  const digitsStart = i;
  let value = 0n;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    value = value * 10n + BigInt(c - 48);
    if (value > UINT64_MAX) return null;
  }
  if (i === digitsStart) return null;
  return negative ? (UINT64_MAX + 1n - value) & UINT64_MAX : value;
}

/**
 * Redis's stream ID argument parsing, as a C string (it stops at a NUL byte), at most 127 bytes.
 * Without `strict`, "-" is 0-0 and "+" the maximum ID. "<ms>" alone takes `missingSeq`.
 */
function parseIdText(input: Uint8Array | string, strict: boolean): string | null {
  let text = typeof input === "string" ? input : (Buffer.prototype.latin1Slice.call(input, 0, input.length) as string);
  if (text.length > 127) return null;
  const nul = text.indexOf("\0");
  if (nul !== -1) text = text.slice(0, nul);
  if (strict && (text === "-" || text === "+")) return null;
  return text;
}

export function parseStreamId(input: Uint8Array | string, missingSeq = 0n, strict = false): StreamId | null {
  const text = parseIdText(input, strict);
  if (text === null) return null;
  if (text === "-") return { ms: 0n, seq: 0n };
  if (text === "+") return { ms: UINT64_MAX, seq: UINT64_MAX };
  const dash = text.indexOf("-");
  const ms = string2ull(dash === -1 ? text : text.slice(0, dash));
  if (ms === null) return null;
  if (dash === -1) return { ms, seq: missingSeq };
  const seq = string2ull(text.slice(dash + 1));
  return seq === null ? null : { ms, seq };
}

/**
 * XADD's explicit ID: strict parsing plus the "<ms>-*" form (seqGiven false, seq 0).
 * The bare "*" is the command's business and is refused here.
 */
export function parseStreamIdForAdd(input: Uint8Array | string): { id: StreamId; seqGiven: boolean } | null {
  const text = parseIdText(input, true);
  if (text === null) return null;
  const dash = text.indexOf("-");
  if (dash !== -1 && text.length === dash + 2 && text.charCodeAt(dash + 1) === 42 /* * */) {
    const ms = string2ull(text.slice(0, dash));
    return ms === null ? null : { id: { ms, seq: 0n }, seqGiven: false };
  }
  const id = parseStreamId(text, 0n, true);
  return id === null ? null : { id, seqGiven: true };
}

// ---- listpack size accounting (what t_stream.c would have appended) ----

/** Encoded size of a listpack integer element, backlen included. */
function listpackIntSize(value: number): number {
  let encoded: number;
  if (value >= 0 && value <= 127) encoded = 1;
  else if (value >= -4096 && value <= 4095) encoded = 2;
  else if (value >= -32768 && value <= 32767) encoded = 3;
  else if (value >= -8388608 && value <= 8388607) encoded = 4;
  else if (value >= -2147483648 && value <= 2147483647) encoded = 5;
  else encoded = 9;
  return encoded + 1; // backlen of an encoding this short is one byte
}

const INT32_MIN_BIG = -2147483648n;
const INT32_MAX_BIG = 2147483647n;

/** listpackIntSize for a 64-bit value; only the int32 range needs the exact size. */
function listpackBigIntSize(value: bigint): number {
  return value >= INT32_MIN_BIG && value <= INT32_MAX_BIG ? listpackIntSize(Number(value)) : 10;
}

function listpackBacklenSize(encoded: number): number {
  if (encoded <= 127) return 1;
  if (encoded < 16383) return 2;
  if (encoded < 2097151) return 3;
  if (encoded < 268435455) return 4;
  return 5;
}

/** Encoded size of a listpack element appended from bytes: integers are stored as integers. */
function listpackBytesSize(bytes: Uint8Array): number {
  const asInteger = bytes.length <= 20 ? parseInteger(bytes) : null;
  if (asInteger !== null) return typeof asInteger === "number" ? listpackIntSize(asInteger) : 10;
  const length = bytes.length;
  const encoded = (length < 64 ? 1 : length < 4096 ? 2 : 5) + length;
  return encoded + listpackBacklenSize(encoded);
}

/** The delta t_stream.c stores: uint64 subtraction read back as int64. */
function idDelta(value: bigint, base: bigint): bigint {
  const delta = value - base;
  return delta >= 0n && delta <= INT64_MAX_BIG ? delta : BigInt.asIntN(64, delta);
}

/**
 * listpackBigIntSize(idDelta(value, base)), without a BigInt subtraction when both are
 * safe integers (millisecond times and sequence numbers are), whose difference then is
 * exact and the same int64.
 */
function idDeltaSize(value: bigint, base: bigint): number {
  if (value <= MAX_SAFE_ID_PART && base <= MAX_SAFE_ID_PART) return listpackIntSize(Number(value) - Number(base));
  return listpackBigIntSize(idDelta(value, base));
}

const INT64_MAX_BIG = 0x7fffffffffffffffn;

/** Listpack header (6 bytes) and terminator (1). */
const LISTPACK_OVERHEAD = 7;

/** A StreamId object with its two bigints. */
const STREAM_ID_BYTES = objectBytes(2) + 2 * 32;
/** A pending entry: its object, its ID, and its places in the group's and the consumer's maps under a 16-byte key. */
const PENDING_ENTRY_BYTES = objectBytes(4) + STREAM_ID_BYTES + 2 * (MAP_ENTRY_BYTES + stringBytes(16));

/** What an entry with these fields allocates: its object, ID, field array, field bytes and its place in its node's array. */
export function streamEntryBytes(fields: Uint8Array[]): number {
  let bytes = objectBytes(2) + STREAM_ID_BYTES + arrayBytes(fields.length) + arrayBytes(1) - arrayBytes(0);
  for (let i = 0; i < fields.length; i++) bytes += typedArrayBytes(fields[i]!.byteLength);
  return bytes;
}

interface TrimOutcome {
  readonly removed: number;
  /** False when the stream would be left as it is (a trim can drop a node of tombstones only). */
  readonly changes: boolean;
}

const NOTHING_TRIMMED: TrimOutcome = Object.freeze({ removed: 0, changes: false });

class StreamNode {
  /** Live entries, ascending. */
  entries: StreamEntry[] = [];
  /** Entries flagged deleted but still in the listpack. */
  deleted = 0;
  /** ID of the last entry appended, deleted or not (lpGetEdgeStreamID). */
  lastAppendedId: StreamId;
  /** Listpack bytes other than the master entry's count and deleted fields. */
  private bodyBytes: number;
  /** What the node allocates besides its entries (each counts its slot in `entries`): its object, master ID and fields, its array. */
  readonly ownBytes: number;

  constructor(
    readonly masterId: StreamId,
    readonly masterFields: Uint8Array[],
  ) {
    this.ownBytes = objectBytes(7) + 2 * STREAM_ID_BYTES + streamEntryBytes(masterFields) + arrayBytes(0);
    this.lastAppendedId = masterId;
    let body = listpackIntSize(masterFields.length) + listpackIntSize(0); // num-fields, terminator
    for (const field of masterFields) body += listpackBytesSize(field);
    this.bodyBytes = body;
  }

  get listpackBytes(): number {
    return LISTPACK_OVERHEAD + this.bodyBytes + listpackIntSize(this.entries.length) + listpackIntSize(this.deleted);
  }

  /** Entries in the listpack, live and deleted: what stream-node-max-entries counts. */
  get storedCount(): number {
    return this.entries.length + this.deleted;
  }

  append(entry: StreamEntry): void {
    const fields = entry.fields;
    const fieldCount = fields.length >>> 1;
    const sameFields = this.hasMasterFields(fields);
    let size = listpackIntSize(sameFields ? 2 : 0); // flags
    size += idDeltaSize(entry.id.ms, this.masterId.ms);
    size += idDeltaSize(entry.id.seq, this.masterId.seq);
    if (!sameFields) size += listpackIntSize(fieldCount);
    for (let i = 0; i < fields.length; i += 2) {
      if (!sameFields) size += listpackBytesSize(fields[i]!);
      size += listpackBytesSize(fields[i + 1]!);
    }
    size += listpackIntSize(sameFields ? fieldCount + 3 : 2 * fieldCount + 4); // lp-count
    this.bodyBytes += size;
    this.entries.push(entry);
    this.lastAppendedId = entry.id;
  }

  /** A copy holding the same entries (fields in arrays of their own), tombstones and size. */
  clone(): StreamNode {
    const copy = new StreamNode({ ...this.masterId }, this.masterFields.map((field) => field.slice()));
    copy.entries = this.entries.map((entry) => ({ id: { ...entry.id }, fields: entry.fields.map((part) => part.slice()) }));
    copy.deleted = this.deleted;
    copy.lastAppendedId = { ...this.lastAppendedId };
    copy.bodyBytes = this.bodyBytes;
    return copy;
  }

  /** Index of the first live entry with id >= `id` (entries.length when none). */
  lowerBound(id: StreamId): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareStreamId(this.entries[mid]!.id, id) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Index of the first live entry with id > `id` (entries.length when none). */
  upperBound(id: StreamId): number {
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareStreamId(this.entries[mid]!.id, id) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private hasMasterFields(fields: Uint8Array[]): boolean {
    const master = this.masterFields;
    if (fields.length !== master.length * 2) return false;
    for (let i = 0; i < master.length; i++) {
      const a = fields[i * 2]!;
      const b = master[i]!;
      if (a.length !== b.length) return false;
      for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
    }
    return true;
  }
}

export type StreamTrimSpec =
  | { strategy: "maxlen"; maxLen: number; approx: boolean; /** 0 = no limit */ limit: number }
  | { strategy: "minid"; minId: StreamId; approx: boolean; /** 0 = no limit */ limit: number };

export class RedisStream {
  readonly type = "stream" as const;
  readonly encoding = "stream" as const;

  /** Highest ID ever added (or set by XSETID); XADD must exceed it. */
  lastId: StreamId = { ms: 0n, seq: 0n };
  /** Entries ever added (XADD count, or XSETID ENTRIESADDED). */
  entriesAdded = 0n;
  /** Highest ID removed by XDEL (trimming does not move it, as in 7.0). */
  maxDeletedId: StreamId = { ms: 0n, seq: 0n };
  /** Groups by name, iterated in name order. */
  readonly groups: Map<string, ConsumerGroup> = new SortedKeyMap<ConsumerGroup>();

  private nodes: StreamNode[] = [];
  private liveCount = 0;
  /** What the live entries allocate (streamEntryBytes), and the nodes (ownBytes), for memoryUsage(). */
  private entryBytes = 0;
  private nodeBytes = 0;
  /** The next append starts a node even if the last one has room (set by sealLastNode). */
  private lastNodeSealed = false;

  /**
   * A deep copy (COPY), as Redis's streamDup makes it: the same nodes (tombstones
   * included, so XINFO's radix-tree numbers and the next append's node match the
   * source's), the ID and counter fields, and every consumer group with its consumers
   * and PEL (a pending entry stays shared between the group's PEL and its owner's).
   */
  clone(): RedisStream {
    const copy = new RedisStream();
    copy.nodes = this.nodes.map((node) => node.clone());
    copy.liveCount = this.liveCount;
    copy.entryBytes = this.entryBytes;
    copy.nodeBytes = this.nodeBytes;
    copy.lastNodeSealed = this.lastNodeSealed;
    copy.lastId = { ...this.lastId };
    copy.maxDeletedId = { ...this.maxDeletedId };
    copy.entriesAdded = this.entriesAdded;
    for (const group of this.groups.values()) {
      const groupCopy = copy.createGroup(group.name, { ...group.lastId }, group.entriesRead)!;
      for (const [key, pending] of group.pending) groupCopy.pending.set(key, { ...pending, id: { ...pending.id } });
      for (const consumer of group.consumers.values()) {
        const consumerCopy = copy.createConsumer(groupCopy, consumer.name, consumer.seenTime)!;
        for (const key of consumer.pending.keys()) consumerCopy.pending.set(key, groupCopy.pending.get(key)!);
      }
    }
    return copy;
  }

  get length(): number {
    return this.liveCount;
  }

  /**
   * The bytes this stream allocates (object-size.ts): entries, nodes, and consumer groups
   * with their consumers and pending entries. O(groups + consumers).
   */
  memoryUsage(): number {
    let bytes = objectBytes(9) + 3 * STREAM_ID_BYTES + arrayBytes(this.nodes.length) + this.entryBytes + this.nodeBytes;
    bytes += MAP_BYTES + this.groups.size * MAP_ENTRY_BYTES;
    // The key table remeasures a stream after every XADD: most have no group, and the
    // walk below would make two generators to find that out.
    if (this.groups.size === 0) return bytes;
    for (const group of this.groups.values()) {
      bytes += objectBytes(5) + stringBytes(group.name.length) + STREAM_ID_BYTES + 2 * MAP_BYTES;
      bytes += group.pending.size * PENDING_ENTRY_BYTES;
      for (const consumer of group.consumers.values()) {
        bytes += MAP_ENTRY_BYTES + objectBytes(3) + stringBytes(consumer.name.length) + MAP_BYTES;
      }
    }
    return bytes;
  }

  /** Number of listpack nodes (XINFO STREAM radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * XINFO STREAM radix-tree-nodes: the node count of the rax holding the listpacks under
   * their 16-byte master IDs. A rax is a compressed trie: one node per branching point,
   * one per run of single-child characters, one per key end, and the root. That shape
   * depends only on the set of keys, so it is computed from them.
   */
  radixTreeNodes(): number {
    if (this.nodes.length === 0) return 1;
    const keys = this.nodes.map((node) => streamIdKey(node.masterId));
    return raxSubtreeNodes(keys, 0, keys.length, 0);
  }

  firstId(): StreamId | undefined {
    for (const node of this.nodes) if (node.entries.length > 0) return node.entries[0]!.id;
    return undefined;
  }

  /**
   * streamGetEdgeID(first, with tombstones): the oldest entry the listpacks still hold,
   * deleted or not. Entries are only appended to a node, so that is the first node's
   * master ID. Undefined when no node is left.
   */
  firstStoredId(): StreamId | undefined {
    return this.nodes[0]?.masterId;
  }

  /** ID of the newest live entry (what XINFO calls last-entry), undefined when empty. */
  lastEntryId(): StreamId | undefined {
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const entries = this.nodes[i]!.entries;
      if (entries.length > 0) return entries[entries.length - 1]!.id;
    }
    return undefined;
  }

  *[Symbol.iterator](): Iterator<StreamEntry> {
    for (const node of this.nodes) for (const entry of node.entries) yield entry;
  }

  /**
   * Append an entry; `id` must exceed every ID stored so far (XADD checks it against
   * lastId first and reports the error). Updates lastId and entriesAdded as XADD does; the
   * RDB loader overwrites them with the saved values afterwards. Node limits are
   * stream-node-max-entries and stream-node-max-bytes (0 = no limit on that axis).
   */
  appendEntry(
    id: StreamId,
    fields: Uint8Array[],
    nodeMaxEntries = DEFAULT_NODE_MAX_ENTRIES,
    nodeMaxBytes = DEFAULT_NODE_MAX_BYTES,
  ): void {
    let node = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1]! : null;
    // Only live entries bound the new ID: XSETID may move lastId below tombstones still in
    // the tail listpack, and Redis then appends after them in the same listpack.
    const top = node === null ? undefined : this.lastEntryId();
    if (top !== undefined && compareStreamId(id, top) <= 0) {
      throw new RangeError(`stream ID ${formatStreamId(id)} is not greater than the last stored ID`);
    }
    if (node !== null && (this.lastNodeSealed || this.nodeIsFull(node, fields, nodeMaxEntries, nodeMaxBytes))) {
      node = null;
    }
    if (node === null) {
      const masterFields: Uint8Array[] = [];
      for (let i = 0; i < fields.length; i += 2) masterFields.push(fields[i]!);
      node = new StreamNode(id, masterFields);
      this.nodes.push(node);
      this.nodeBytes += node.ownBytes;
      this.lastNodeSealed = false;
    }
    node.append({ id, fields });
    this.entryBytes += streamEntryBytes(fields);
    this.liveCount++;
    if (compareStreamId(id, this.lastId) > 0) this.lastId = id;
    this.entriesAdded++;
  }

  /** Make the next append start a new node (the RDB loader keeps the saved node boundaries). */
  sealLastNode(): void {
    this.lastNodeSealed = true;
  }

  get(id: StreamId): StreamEntry | undefined {
    const nodeIndex = this.nodeIndexFor(id);
    if (nodeIndex < 0) return undefined;
    const node = this.nodes[nodeIndex]!;
    const i = node.lowerBound(id);
    const entry = node.entries[i];
    return entry !== undefined && streamIdEquals(entry.id, id) ? entry : undefined;
  }

  /**
   * Entries with start <= id <= end, ascending, or descending from `end` when `reverse`.
   * `limit` 0 means no limit (the command maps XRANGE's COUNT <= 0 to an empty reply itself).
   */
  range(start: StreamId, end: StreamId, limit = 0, reverse = false): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (compareStreamId(start, end) > 0) return out;
    if (!reverse) {
      for (const entry of this.entriesFrom(start)) {
        if (compareStreamId(entry.id, end) > 0) break;
        out.push(entry);
        if (limit > 0 && out.length >= limit) break;
      }
    } else {
      for (const entry of this.entriesBackFrom(end)) {
        if (compareStreamId(entry.id, start) < 0) break;
        out.push(entry);
        if (limit > 0 && out.length >= limit) break;
      }
    }
    return out;
  }

  /** Live entries with id >= `start`, ascending (XREAD, XAUTOCLAIM and friends walk this). */
  *entriesFrom(start: StreamId): Generator<StreamEntry, void, undefined> {
    let nodeIndex = this.nodeIndexFor(start);
    let entryIndex = 0;
    if (nodeIndex < 0) nodeIndex = 0;
    else entryIndex = this.nodes[nodeIndex]!.lowerBound(start);
    for (; nodeIndex < this.nodes.length; nodeIndex++, entryIndex = 0) {
      const entries = this.nodes[nodeIndex]!.entries;
      for (; entryIndex < entries.length; entryIndex++) yield entries[entryIndex]!;
    }
  }

  /** Live entries with id <= `end`, descending. */
  *entriesBackFrom(end: StreamId): Generator<StreamEntry, void, undefined> {
    let nodeIndex = this.nodeIndexFor(end);
    if (nodeIndex < 0) return;
    let entryIndex = this.nodes[nodeIndex]!.upperBound(end) - 1;
    for (;;) {
      const entries = this.nodes[nodeIndex]!.entries;
      for (; entryIndex >= 0; entryIndex--) yield entries[entryIndex]!;
      if (--nodeIndex < 0) return;
      entryIndex = this.nodes[nodeIndex]!.entries.length - 1;
    }
  }

  /**
   * XDEL of one ID: true when it existed. Keeps maxDeletedId as 7.0's XDEL does; a node
   * whose last live entry goes is dropped, otherwise the entry becomes a tombstone.
   */
  delete(id: StreamId): boolean {
    const nodeIndex = this.nodeIndexFor(id);
    if (nodeIndex < 0) return false;
    const node = this.nodes[nodeIndex]!;
    const i = node.lowerBound(id);
    const entry = node.entries[i];
    if (entry === undefined || !streamIdEquals(entry.id, id)) return false;
    this.entryBytes -= streamEntryBytes(entry.fields);
    if (node.entries.length === 1) {
      this.nodes.splice(nodeIndex, 1);
      this.nodeBytes -= node.ownBytes;
    } else {
      node.entries.splice(i, 1);
      node.deleted++;
    }
    this.liveCount--;
    if (compareStreamId(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    return true;
  }

  /**
   * XTRIM / XADD trimming with Redis 7.0's streamTrim rules: whole nodes go while they can;
   * an exact trim then flags entries deleted inside the next node; an approximate (`~`) trim
   * stops at the first node it cannot drop whole; `limit` (0 = none) caps the entries
   * removed by whole-node drops. Returns how many entries were removed.
   */
  trim(spec: StreamTrimSpec): number {
    return this.walkTrim(spec, true).removed;
  }

  /**
   * What trim(spec) would do, without doing it: how many entries it would remove, and
   * whether it would change the stream at all (it can drop a node holding only tombstones
   * and remove no entry). XTRIM leaves a stream it would not change untouched, as Redis
   * signals the key only when entries go.
   */
  trimPlan(spec: StreamTrimSpec): TrimOutcome {
    return this.walkTrim(spec, false);
  }

  private walkTrim(spec: StreamTrimSpec, apply: boolean): TrimOutcome {
    // The usual MAXLEN ~ of XADD and XTRIM: the oldest node cannot go whole yet (the
    // loop's first test), so nothing goes.
    if (spec.approx && spec.strategy === "maxlen") {
      const first = this.nodes[0];
      if (first === undefined || this.liveCount - first.entries.length < spec.maxLen) return NOTHING_TRIMMED;
    }
    let removed = 0;
    let liveCount = this.liveCount;
    let wholeNodes = 0;
    let partial: { node: StreamNode; drop: number } | null = null;
    for (; wholeNodes < this.nodes.length; ) {
      if (spec.strategy === "maxlen" && liveCount <= spec.maxLen) break;
      const node = this.nodes[wholeNodes]!;
      const live = node.entries.length;
      if (spec.limit > 0 && removed + live > spec.limit) break;
      const dropWhole =
        spec.strategy === "maxlen" ? liveCount - live >= spec.maxLen : compareStreamId(node.lastAppendedId, spec.minId) < 0;
      if (dropWhole) {
        wholeNodes++;
        liveCount -= live;
        removed += live;
        continue;
      }
      if (spec.approx) break;
      let drop = 0;
      if (spec.strategy === "maxlen") {
        drop = liveCount - spec.maxLen;
      } else {
        while (drop < live && compareStreamId(node.entries[drop]!.id, spec.minId) < 0) drop++;
      }
      if (drop > 0) {
        partial = { node, drop };
        liveCount -= drop;
        removed += drop;
      }
      break;
    }
    if (apply) {
      if (wholeNodes > 0) {
        for (const node of this.nodes.splice(0, wholeNodes)) {
          this.nodeBytes -= node.ownBytes;
          for (const entry of node.entries) this.entryBytes -= streamEntryBytes(entry.fields);
        }
      }
      if (partial !== null) {
        // The node keeps its tombstones; with MINID it can even be left with no live entry,
        // as in Redis (its last appended ID was >= the threshold, but deleted).
        const dropped = partial.node.entries.splice(0, partial.drop);
        for (const entry of dropped) this.entryBytes -= streamEntryBytes(entry.fields);
        partial.node.deleted += partial.drop;
      }
      this.liveCount = liveCount;
    }
    return { removed, changes: wholeNodes > 0 || partial !== null };
  }

  /** Remove the `count` oldest entries (exact trimming). Returns how many went. */
  removeFirst(count: number): number {
    if (count <= 0) return 0;
    return this.trim({ strategy: "maxlen", maxLen: Math.max(0, this.liveCount - count), approx: false, limit: 0 });
  }

  /** Live entry counts per node, oldest first (for tests and XINFO-style diagnostics). */
  nodeSizes(): number[] {
    return this.nodes.map((node) => node.entries.length);
  }

  /** Listpack byte size each node would have in Redis, oldest first. */
  nodeListpackBytes(): number[] {
    return this.nodes.map((node) => node.listpackBytes);
  }

  // ---- consumer groups ----

  /** XGROUP CREATE: the new group, or null when the name is taken. */
  createGroup(name: string, lastId: StreamId, entriesRead = ENTRIES_READ_UNKNOWN): ConsumerGroup | null {
    if (this.groups.has(name)) return null;
    const group: ConsumerGroup = {
      name,
      lastId,
      entriesRead,
      pending: new SortedKeyMap<PendingEntry>(),
      consumers: new SortedKeyMap<StreamConsumer>(),
    };
    this.groups.set(name, group);
    return group;
  }

  deleteGroup(name: string): boolean {
    return this.groups.delete(name);
  }

  /** XGROUP CREATECONSUMER: the new consumer, or null when it exists. */
  createConsumer(group: ConsumerGroup, name: string, seenTime: number): StreamConsumer | null {
    if (group.consumers.has(name)) return null;
    const consumer: StreamConsumer = { name, seenTime, pending: new SortedKeyMap<PendingEntry>() };
    group.consumers.set(name, consumer);
    return consumer;
  }

  /** The consumer, created on the fly as XREADGROUP and XCLAIM do. */
  lookupOrCreateConsumer(group: ConsumerGroup, name: string, seenTime: number): StreamConsumer {
    return group.consumers.get(name) ?? this.createConsumer(group, name, seenTime)!;
  }

  /**
   * XGROUP DELCONSUMER: drop the consumer and its pending entries (from the group PEL too).
   * Returns how many pending entries it had, or -1 when there was no such consumer.
   */
  deleteConsumer(group: ConsumerGroup, name: string): number {
    const consumer = group.consumers.get(name);
    if (consumer === undefined) return -1;
    const pendingCount = consumer.pending.size;
    for (const key of consumer.pending.keys()) group.pending.delete(key);
    group.consumers.delete(name);
    return pendingCount;
  }

  /**
   * XREADGROUP delivering `id` to `consumer`: a new pending entry (count 1), or, when the
   * ID is already pending (after XGROUP SETID moved back), the entry moves to this consumer
   * with its time reset and count back to 1, as Redis does.
   */
  deliverPending(group: ConsumerGroup, consumer: StreamConsumer, id: StreamId, now: number): PendingEntry {
    const key = streamIdKey(id);
    const existing = group.pending.get(key);
    if (existing === undefined) {
      const created: PendingEntry = { id, consumer: consumer.name, deliveryTime: now, deliveryCount: 1 };
      group.pending.set(key, created);
      consumer.pending.set(key, created);
      return created;
    }
    group.consumers.get(existing.consumer)?.pending.delete(key);
    existing.consumer = consumer.name;
    existing.deliveryTime = now;
    existing.deliveryCount = 1;
    consumer.pending.set(key, existing);
    return existing;
  }

  /**
   * Put a pending entry in the group PEL and in its consumer's PEL (the RDB loader, XCLAIM
   * FORCE). The consumer is `entry.consumer` and must exist; an entry already pending under
   * this ID is replaced.
   */
  addPending(group: ConsumerGroup, entry: PendingEntry): void {
    const consumer = group.consumers.get(entry.consumer);
    if (consumer === undefined) throw new RangeError("pending entry for an unknown consumer");
    const key = streamIdKey(entry.id);
    const previous = group.pending.get(key);
    if (previous !== undefined) group.consumers.get(previous.consumer)?.pending.delete(key);
    group.pending.set(key, entry);
    consumer.pending.set(key, entry);
  }

  /** XCLAIM/XAUTOCLAIM: hand a pending entry to another consumer (time and count are the caller's). */
  transferPending(group: ConsumerGroup, entry: PendingEntry, consumer: StreamConsumer): void {
    const key = streamIdKey(entry.id);
    if (entry.consumer !== consumer.name) {
      group.consumers.get(entry.consumer)?.pending.delete(key);
      entry.consumer = consumer.name;
    }
    consumer.pending.set(key, entry);
  }

  /** XACK of one ID: true when it was pending. */
  acknowledge(group: ConsumerGroup, id: StreamId): boolean {
    const key = streamIdKey(id);
    const entry = group.pending.get(key);
    if (entry === undefined) return false;
    group.pending.delete(key);
    group.consumers.get(entry.consumer)?.pending.delete(key);
    return true;
  }

  // ---- logical read counters (7.0's consumer group lag) ----

  /**
   * streamRangeHasTombstones: whether an XDEL'd ID may lie in [start, end]. Only the highest
   * deleted ID is known, so this is "maxDeletedId is inside the range" on a non-empty stream.
   */
  rangeHasTombstones(start: StreamId = MIN_STREAM_ID, end: StreamId = MAX_STREAM_ID): boolean {
    if (this.liveCount === 0 || isZeroStreamId(this.maxDeletedId)) return false;
    // A tombstone below the first live entry no longer fragments anything.
    if (compareStreamId(this.firstId()!, this.maxDeletedId) > 0) return false;
    return compareStreamId(start, this.maxDeletedId) <= 0 && compareStreamId(this.maxDeletedId, end) <= 0;
  }

  /**
   * streamEstimateDistanceFromFirstEverEntry (7.0): how many entries had been added up to
   * and including `id`, or ENTRIES_READ_UNKNOWN when tombstones or a mid-stream ID make it
   * unknowable.
   */
  estimateEntriesRead(id: StreamId): number {
    const added = Number(this.entriesAdded);
    if (added === 0) return 0;
    if (this.liveCount === 0 && compareStreamId(id, this.lastId) <= 0) return added;
    const versusLast = compareStreamId(id, this.lastId);
    if (versusLast === 0) return added;
    if (versusLast > 0) return ENTRIES_READ_UNKNOWN;
    const first = this.firstId() ?? MIN_STREAM_ID;
    if (isZeroStreamId(this.maxDeletedId) || compareStreamId(this.maxDeletedId, first) < 0) {
      const versusFirst = compareStreamId(id, first);
      if (versusFirst < 0) return added - this.liveCount;
      if (versusFirst === 0) return added - this.liveCount + 1;
    }
    return ENTRIES_READ_UNKNOWN;
  }

  /** XINFO GROUPS "lag" (streamReplyWithCGLag in 7.0): null when it cannot be known. */
  groupLag(group: ConsumerGroup): number | null {
    const added = Number(this.entriesAdded);
    if (added === 0) return 0;
    if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !this.rangeHasTombstones(group.lastId)) {
      return added - group.entriesRead;
    }
    const estimated = this.estimateEntriesRead(group.lastId);
    return estimated === ENTRIES_READ_UNKNOWN ? null : added - estimated;
  }

  /**
   * XREADGROUP serving `id` (greater than the group's last ID) moves the group forward:
   * the read counter is incremented while it is valid and no tombstone lies ahead,
   * otherwise re-estimated; then lastId becomes `id`.
   */
  advanceGroup(group: ConsumerGroup, id: StreamId): void {
    if (compareStreamId(id, group.lastId) <= 0) return;
    if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !this.rangeHasTombstones(id)) {
      group.entriesRead++;
    } else if (this.entriesAdded !== 0n) {
      group.entriesRead = this.estimateEntriesRead(id);
    }
    group.lastId = id;
  }

  // ---- internals ----

  /**
   * Index of the last node whose master ID is <= id; -1 only when there are no nodes. When
   * every master ID is greater, the first node: an entry appended after XSETID moved lastId
   * back can sit below its node's master ID, and Redis's iterator then also starts at the
   * first listpack.
   */
  private nodeIndexFor(id: StreamId): number {
    let low = 0;
    let high = this.nodes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareStreamId(this.nodes[mid]!.masterId, id) <= 0) low = mid + 1;
      else high = mid;
    }
    return this.nodes.length === 0 ? -1 : Math.max(0, low - 1);
  }

  /** streamAppendItem's test for starting a new node. */
  private nodeIsFull(node: StreamNode, fields: Uint8Array[], maxEntries: number, maxBytes: number): boolean {
    const byteLimit = maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : maxBytes;
    let incomingBytes = 0;
    for (const item of fields) incomingBytes += item.length;
    if (node.listpackBytes + incomingBytes >= byteLimit) return true;
    return maxEntries > 0 && node.storedCount >= maxEntries;
  }
}

/**
 * Rax nodes under the point where keys[low..high) (sorted, distinct, 16 bytes, sharing
 * their first `depth` bytes) part: a compressed node for a longer shared run, then
 * either the key's end node or a branching node whose children are counted the same way.
 */
function raxSubtreeNodes(keys: string[], low: number, high: number, depth: number): number {
  const first = keys[low]!;
  const last = keys[high - 1]!;
  let shared = depth;
  while (shared < 16 && first.charCodeAt(shared) === last.charCodeAt(shared)) shared++;
  let count = shared > depth ? 1 : 0;
  if (shared === 16) return count + 1;
  count++;
  for (let i = low; i < high; ) {
    const byte = keys[i]!.charCodeAt(shared);
    let j = i + 1;
    while (j < high && keys[j]!.charCodeAt(shared) === byte) j++;
    count += raxSubtreeNodes(keys, i, j, shared + 1);
    i = j;
  }
  return count;
}

// ---- PEL access in ID order ----

/** Pending entries with id >= start (all when omitted), in ID order, for any PEL map. */
export function pendingFrom(pel: Map<string, PendingEntry>, start?: StreamId): Iterable<PendingEntry> {
  const startKey = start === undefined ? undefined : streamIdKey(start);
  if (pel instanceof SortedKeyMap) return pel.valuesFrom(startKey);
  // A plain Map (built outside this module): sort once.
  const keys = [...pel.keys()].sort();
  const out: PendingEntry[] = [];
  for (const key of keys) if (startKey === undefined || key >= startKey) out.push(pel.get(key)!);
  return out;
}

/** Pending entries with start <= id <= end, in ID order, at most `limit` (0 = all). */
export function pendingRange(
  pel: Map<string, PendingEntry>,
  start: StreamId,
  end: StreamId,
  limit = 0,
): PendingEntry[] {
  const out: PendingEntry[] = [];
  for (const entry of pendingFrom(pel, start)) {
    if (compareStreamId(entry.id, end) > 0) break;
    out.push(entry);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** Lowest and highest pending IDs (XPENDING summary), undefined for an empty PEL. */
export function pendingBounds(pel: Map<string, PendingEntry>): { first: PendingEntry; last: PendingEntry } | undefined {
  if (pel.size === 0) return undefined;
  if (pel instanceof SortedKeyMap) {
    return { first: pel.get(pel.firstKey()!)!, last: pel.get(pel.lastKey()!)! };
  }
  let firstKey: string | undefined;
  let lastKey: string | undefined;
  for (const key of pel.keys()) {
    if (firstKey === undefined || key < firstKey) firstKey = key;
    if (lastKey === undefined || key > lastKey) lastKey = key;
  }
  return { first: pel.get(firstKey!)!, last: pel.get(lastKey!)! };
}

// ---- a Map that iterates in key order ----

const SORTED_CHUNK_MAX = 512;

/**
 * Sorted set of binary-string keys in chunks of at most SORTED_CHUNK_MAX (a two-level
 * B-tree): insert/remove cost O(log n + chunk), appends in order are O(1) amortised.
 */
class SortedKeys {
  private chunks: string[][] = [];
  /** Bumped by every change, so iterators know to re-seek. */
  private version = 0;

  get first(): string | undefined {
    return this.chunks.length === 0 ? undefined : this.chunks[0]![0];
  }

  get last(): string | undefined {
    if (this.chunks.length === 0) return undefined;
    const chunk = this.chunks[this.chunks.length - 1]!;
    return chunk[chunk.length - 1];
  }

  /** Insert a key known to be absent. */
  insert(key: string): void {
    this.version++;
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([key]);
      return;
    }
    const lastChunk = chunks[chunks.length - 1]!;
    let chunkIndex: number;
    if (key > lastChunk[lastChunk.length - 1]!) chunkIndex = chunks.length - 1;
    else chunkIndex = this.chunkFor(key);
    const chunk = chunks[chunkIndex]!;
    chunk.splice(lowerBound(chunk, key), 0, key);
    if (chunk.length > SORTED_CHUNK_MAX * 2) {
      chunks.splice(chunkIndex + 1, 0, chunk.splice(SORTED_CHUNK_MAX));
    }
  }

  remove(key: string): void {
    if (this.chunks.length === 0) return;
    const chunkIndex = this.chunkFor(key);
    const chunk = this.chunks[chunkIndex]!;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return;
    this.version++;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(chunkIndex, 1);
  }

  clear(): void {
    this.version++;
    this.chunks = [];
  }

  /**
   * Keys >= `start` (all when undefined), ascending. The caller may insert or delete keys
   * while iterating: after a change the walk re-seeks past the last key it yielded.
   */
  *from(start?: string): Generator<string, void, undefined> {
    let chunkIndex = 0;
    let index = 0;
    let seenVersion = -1;
    let lastYielded: string | undefined;
    for (;;) {
      if (seenVersion !== this.version) {
        if (this.chunks.length === 0) return;
        const target = lastYielded ?? start;
        chunkIndex = target === undefined ? 0 : this.chunkFor(target);
        const chunk = this.chunks[chunkIndex]!;
        index =
          target === undefined ? 0 : lastYielded !== undefined ? upperBound(chunk, target) : lowerBound(chunk, target);
        seenVersion = this.version;
      }
      let chunk = this.chunks[chunkIndex]!;
      if (index >= chunk.length) {
        chunkIndex++;
        if (chunkIndex >= this.chunks.length) return;
        chunk = this.chunks[chunkIndex]!;
        index = 0;
      }
      lastYielded = chunk[index++]!;
      yield lastYielded;
    }
  }

  /** Index of the chunk that does or would hold `key`: the first whose last key >= key. */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.chunks.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function lowerBound(sorted: string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

function upperBound(sorted: string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * A Map whose iteration (for..of, keys, values, entries, forEach) is in key order
 * (memcmp order for binary strings), like Redis's rax. Lookups stay O(1).
 */
export class SortedKeyMap<V> extends Map<string, V> {
  private readonly order = new SortedKeys();

  override set(key: string, value: V): this {
    // Guarded: Map's constructor may call set() before `order` is initialised.
    if (this.order && !super.has(key)) this.order.insert(key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    const removed = super.delete(key);
    if (removed) this.order.remove(key);
    return removed;
  }

  override clear(): void {
    super.clear();
    this.order.clear();
  }

  firstKey(): string | undefined {
    return this.order.first;
  }

  lastKey(): string | undefined {
    return this.order.last;
  }

  override *keys(): MapIterator<string> {
    for (const key of this.order.from()) yield key;
  }

  override *values(): MapIterator<V> {
    for (const key of this.order.from()) yield super.get(key)!;
  }

  override *entries(): MapIterator<[string, V]> {
    for (const key of this.order.from()) yield [key, super.get(key)!];
  }

  override [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  override forEach(callback: (value: V, key: string, map: Map<string, V>) => void, thisArg?: unknown): void {
    for (const key of this.order.from()) callback.call(thisArg, super.get(key)!, key, this);
  }

  /** Values whose key is >= `startKey` (all when undefined), in key order. */
  *valuesFrom(startKey?: string): Generator<V, void, undefined> {
    for (const key of this.order.from(startKey)) yield super.get(key)!;
  }
}
