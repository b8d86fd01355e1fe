// What an AOF rewrite writes when `aof-use-rdb-preamble` is no: for each key the
// commands that rebuild it, as Redis 7.0's rewriteAppendOnlyFileRio and its
// rewrite{List,Set,SortedSet,Hash,Stream}Object write them (aof.c).
//
// Used by the snapshot writer process in its "aof-base, commands" mode (each key
// arrives there RDB-encoded and is decoded one at a time) and by the in-process
// rewriteAppendOnlyFile (rewrite.ts), which walks the live keyspace. Both hand this
// module one value at a time: nothing here holds more than the key being written.
//
// The bytes are Redis's for the same value, command for command:
//   string  SET key value
//   list    RPUSH key e1 .. e64, RPUSH key e65 ..           (AOF_REWRITE_ITEMS_PER_CMD)
//   set     SADD key m1 .. m64, ...                          intset: ascending
//   zset    ZADD key s1 m1 .. s64 m64, ...                   score as %.17g
//   hash    HMSET key f1 v1 .. f64 v64, ...                  (7.0 writes HMSET, not HSET)
//   stream  XADD key id f v .. per entry (an empty stream: XADD key MAXLEN 0 0-1 x y),
//           XSETID key last-id ENTRIESADDED n MAXDELETEDID id,
//           per group (name order) XGROUP CREATE key group last-id ENTRIESREAD n, then per
//           consumer (name order) an XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n
//           JUSTID FORCE per pending entry (ID order), or XGROUP CREATECONSUMER key group
//           consumer when it has none
//   then    PEXPIREAT key ms                                 for a key with a TTL
// Element order follows the value's: a list's, an intset's (ascending), a listpack
// hash's (insertion), a listpack zset's (ascending). Where Redis iterates a hash table
// (a hashtable set or hash, a skiplist zset's dict) its order is its own: Bunker writes
// insertion order, and a skiplist zset ascending.

import type { ByteWriter } from "../rdb/encoder.ts";
import type { RedisValue } from "../../db/types.ts";
import type { RedisList } from "../../db/list.ts";
import type { RedisSet } from "../../db/set.ts";
import type { RedisZSet } from "../../db/zset.ts";
import type { RedisHash } from "../../db/hash.ts";
import { formatStreamId, type RedisStream, type StreamId } from "../../db/stream.ts";
import { integerDigitCount, textToBytes, writeIntegerDigits } from "../../db/bytes.ts";
import { formatDouble } from "../../util/float.ts";

/** Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD, pairs per ZADD/HMSET. */
export const AOF_REWRITE_ITEMS_PER_CMD = 64;

const CRLF = textToBytes("\r\n");
/** The fixed beginnings, written as Redis writes them (rioWrite of a literal). */
const FUNCTION_WORD = textToBytes("FUNCTION");
const LOAD_WORD = textToBytes("LOAD");
const SELECT_PREFIX = textToBytes("*2\r\n$6\r\nSELECT\r\n");
const SET_PREFIX = textToBytes("*3\r\n$3\r\nSET\r\n");
const PEXPIREAT_PREFIX = textToBytes("*3\r\n$9\r\nPEXPIREAT\r\n");
const RPUSH = textToBytes("RPUSH");
const SADD = textToBytes("SADD");
const ZADD = textToBytes("ZADD");
const HMSET = textToBytes("HMSET");
const XADD = textToBytes("XADD");
const XSETID = textToBytes("XSETID");
const XGROUP = textToBytes("XGROUP");
const XCLAIM = textToBytes("XCLAIM");
const WORDS = {
  maxlen: textToBytes("MAXLEN"),
  zero: textToBytes("0"),
  emptyStreamId: textToBytes("0-1"),
  x: textToBytes("x"),
  y: textToBytes("y"),
  entriesAdded: textToBytes("ENTRIESADDED"),
  maxDeletedId: textToBytes("MAXDELETEDID"),
  create: textToBytes("CREATE"),
  entriesRead: textToBytes("ENTRIESREAD"),
  createConsumer: textToBytes("CREATECONSUMER"),
  time: textToBytes("TIME"),
  retryCount: textToBytes("RETRYCOUNT"),
  justId: textToBytes("JUSTID"),
  force: textToBytes("FORCE"),
};

/**
 * Writes rewrite commands into a ByteWriter (give it a sink for a file). One per
 * rewrite: it keeps nothing between keys but its scratch for numbers.
 */
export class AofRewriteWriter {
  private readonly digits = new Uint8Array(24);
  /** The variadic command being written (startBatches / nextItem). */
  private readonly batch = { name: RPUSH, key: RPUSH, width: 1, remaining: 0, filled: 0 };

  constructor(private readonly out: ByteWriter) {}

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.out.totalBytes;
  }

  /** `#TS:<unix seconds>` (aof-timestamp-enabled): the rewrite's first line, as Redis's. */
  timestampAnnotation(unixSeconds: number): void {
    this.out.bytes(textToBytes(`#TS:${Math.floor(unixSeconds)}\r\n`));
  }

  /** rewriteFunctions: FUNCTION LOAD of each library, before the databases. */
  functionLoad(code: Uint8Array): void {
    this.command([FUNCTION_WORD, LOAD_WORD, code]);
  }

  /** SELECT n: before the keys of each database (and whenever the database changes). */
  select(dbIndex: number): void {
    this.out.bytes(SELECT_PREFIX);
    this.bulkInteger(dbIndex);
  }

  /**
   * The commands that rebuild one key, then its PEXPIREAT when `expireAtMs` is not -1.
   * A string value is its bytes (RedisValue's StringValue).
   */
  key(key: Uint8Array, value: RedisValue, expireAtMs: number): void {
    if (value instanceof Uint8Array) this.stringKey(key, value);
    else {
      switch (value.type) {
        case "list":
          this.list(key, value);
          break;
        case "set":
          this.set(key, value);
          break;
        case "zset":
          this.zset(key, value);
          break;
        case "hash":
          this.hash(key, value);
          break;
        case "stream":
          this.stream(key, value);
          break;
      }
    }
    if (expireAtMs !== -1) this.expire(key, expireAtMs);
    this.out.flushIfFull();
  }

  /** SET key value. */
  stringKey(key: Uint8Array, value: Uint8Array): void {
    this.out.bytes(SET_PREFIX);
    this.bulk(key);
    this.bulk(value);
  }

  /** PEXPIREAT key ms. */
  expire(key: Uint8Array, expireAtMs: number): void {
    this.out.bytes(PEXPIREAT_PREFIX);
    this.bulk(key);
    this.bulkInteger(expireAtMs);
  }

  // ---- collections ------------------------------------------------------------------

  private list(key: Uint8Array, list: RedisList): void {
    this.startBatches(RPUSH, key, list.length, 1);
    list.forEach(this.listElement);
  }

  /** One RPUSH argument, read where it lies in the list's listpack. */
  private readonly listElement = (bytes: Uint8Array, start: number, end: number): void => {
    this.nextItem();
    this.out.byte(36); // '$'
    this.decimal(end - start);
    this.out.bytes(CRLF);
    this.out.bytesRange(bytes, start, end);
    this.out.bytes(CRLF);
  };

  private set(key: Uint8Array, set: RedisSet): void {
    // An intset iterates ascending; a hashtable in Redis's dict order (ours: slot order).
    this.startBatches(SADD, key, set.size, 1);
    set.forEachPosition((position) => {
      this.nextItem();
      this.bulk(set.memberBytesAt(position));
    });
  }

  private zset(key: Uint8Array, zset: RedisZSet): void {
    // A listpack holds an integral score as an integer, so a -0 there reads back as 0, as in Redis.
    this.startBatches(ZADD, key, zset.size, 2);
    zset.forEachAscending((member, score) => {
      this.nextItem();
      this.bulkLatin1(formatDouble(score));
      this.bulkLatin1(member);
    });
  }

  private hash(key: Uint8Array, hash: RedisHash): void {
    this.startBatches(HMSET, key, hash.size, 2);
    hash.forEachPosition((position) => {
      this.nextItem();
      this.bulk(hash.fieldBytesAt(position));
      this.bulk(hash.valueAt(position));
    });
  }

  private stream(key: Uint8Array, stream: RedisStream): void {
    if (stream.length > 0) {
      for (const entry of stream) {
        const fields = entry.fields;
        this.arrayHeader(3 + fields.length);
        this.bulk(XADD);
        this.bulk(key);
        this.bulkStreamId(entry.id);
        for (const part of fields) this.bulk(part);
      }
    } else {
      // An empty stream (XDEL'd or XTRIM'd to nothing, XGROUP CREATE MKSTREAM): Redis's
      // "XADD MAXLEN 0" form creates the key and leaves it empty.
      this.command([XADD, key, WORDS.maxlen, WORDS.zero, WORDS.emptyStreamId, WORDS.x, WORDS.y]);
    }
    // After the entries: last-id may be past the last entry (XDEL, XSETID).
    this.arrayHeader(7);
    this.bulk(XSETID);
    this.bulk(key);
    this.bulkStreamId(stream.lastId);
    this.bulk(WORDS.entriesAdded);
    this.bulkLatin1(String(stream.entriesAdded));
    this.bulk(WORDS.maxDeletedId);
    this.bulkStreamId(stream.maxDeletedId);

    // Groups, consumers and PELs are radix trees in Redis (name / ID order); Bunker's
    // SortedKeyMaps iterate in the same order.
    for (const group of stream.groups.values()) {
      const groupName = group.name;
      this.arrayHeader(7);
      this.bulk(XGROUP);
      this.bulk(WORDS.create);
      this.bulk(key);
      this.bulkLatin1(groupName);
      this.bulkStreamId(group.lastId);
      this.bulk(WORDS.entriesRead);
      this.bulkInteger(group.entriesRead);
      for (const consumer of group.consumers.values()) {
        if (consumer.pending.size === 0) {
          this.arrayHeader(5);
          this.bulk(XGROUP);
          this.bulk(WORDS.createConsumer);
          this.bulk(key);
          this.bulkLatin1(groupName);
          this.bulkLatin1(consumer.name);
          continue;
        }
        for (const pending of consumer.pending.values()) {
          this.arrayHeader(12);
          this.bulk(XCLAIM);
          this.bulk(key);
          this.bulkLatin1(groupName);
          this.bulkLatin1(consumer.name);
          this.bulk(WORDS.zero);
          this.bulkStreamId(pending.id);
          this.bulk(WORDS.time);
          this.bulkInteger(pending.deliveryTime);
          this.bulk(WORDS.retryCount);
          this.bulkInteger(pending.deliveryCount);
          this.bulk(WORDS.justId);
          this.bulk(WORDS.force);
        }
      }
    }
  }

  // ---- RESP -------------------------------------------------------------------------

  /**
   * A variadic command for `items` items of `width` arguments each, in commands of at
   * most AOF_REWRITE_ITEMS_PER_CMD items: call nextItem() before writing each item.
   */
  private startBatches(name: Uint8Array, key: Uint8Array, items: number, width: 1 | 2): void {
    const batch = this.batch;
    batch.name = name;
    batch.key = key;
    batch.width = width;
    batch.remaining = items;
    batch.filled = 0;
  }

  /** Opens the next command of the batch when the last one is full (Redis's count/items). */
  private nextItem(): void {
    const batch = this.batch;
    if (batch.filled === 0) {
      this.arrayHeader(2 + Math.min(batch.remaining, AOF_REWRITE_ITEMS_PER_CMD) * batch.width);
      this.bulk(batch.name);
      this.bulk(batch.key);
    }
    if (++batch.filled === AOF_REWRITE_ITEMS_PER_CMD) batch.filled = 0;
    batch.remaining--;
  }

  private command(argv: readonly Uint8Array[]): void {
    this.arrayHeader(argv.length);
    for (const arg of argv) this.bulk(arg);
  }

  private arrayHeader(count: number): void {
    this.out.byte(42); // '*'
    this.decimal(count);
    this.out.bytes(CRLF);
  }

  private bulk(data: Uint8Array): void {
    this.out.byte(36); // '$'
    this.decimal(data.length);
    this.out.bytes(CRLF);
    this.out.bytes(data);
    this.out.bytes(CRLF);
  }

  /** A binary string (members, fields, names: one char per byte) as a bulk string. */
  private bulkLatin1(text: string): void {
    this.out.byte(36);
    this.decimal(text.length);
    this.out.bytes(CRLF);
    this.out.latin1(text);
    this.out.bytes(CRLF);
  }

  /** rioWriteBulkLongLong: the decimal form as a bulk string. */
  private bulkInteger(n: number): void {
    this.out.byte(36);
    this.decimal(integerDigitCount(n));
    this.out.bytes(CRLF);
    this.decimal(n);
    this.out.bytes(CRLF);
  }

  /** rioWriteBulkStreamID: "<ms>-<seq>". */
  private bulkStreamId(id: StreamId): void {
    this.bulkLatin1(formatStreamId(id));
  }

  private decimal(n: number): void {
    const length = integerDigitCount(n);
    writeIntegerDigits(this.digits, 0, n, length);
    this.out.bytesOf(this.digits, length);
  }
}
