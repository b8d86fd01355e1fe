// DEBUG DIGEST and DEBUG DIGEST-VALUE: a SHA1 signature of the dataset, equal to Redis 7.0's.
//
// Tests (ours and Redis's own) compare two servers' datasets in one line by comparing
// digests, so the 20 bytes must be exactly what Redis's debug.c computes for the same
// data. Its construction uses two steps on a 20-byte accumulator:
//
//   xor(acc, data)   acc ^= SHA1(data)              order does not matter
//   mix(acc, data)   acc = SHA1(acc ^ SHA1(data))   order matters, and so do boundaries
//
//   value(acc, key):  mix(acc, type as 4 big-endian bytes: string 0, list 1, set 2,
//                     zset 3, hash 4, stream 6)
//                     string  mix(bytes)
//                     list    mix(element) head to tail
//                     set     xor(member) for each member
//                     hash    e = 0; mix(e, field); mix(e, value); xor(acc, e) per field
//                     zset    e = 0; mix(e, member); mix(e, "%.17g" of score); xor(acc, e)
//                     stream  per entry in ID order: mix("<ms>.<seq>"), then mix(field),
//                             mix(value) for each pair (consumer groups and the last ID
//                             do not count; deleted entries are not visited)
//                     then xor(acc, "!!expire!!") if the key has a TTL (not its value)
//   DIGEST-VALUE:     value() from a zero accumulator; zeros for a missing key
//   DIGEST:           final = 0; for each non-empty database, in index order:
//                     mix(final, index as 4 big-endian bytes); then for each key
//                     d = 0; mix(d, key); value(d, key); xor(final, d)
//
// What gets hashed is each element's text as Redis decodes it (an int-encoded string,
// an intset member or an integer listpack entry as its decimal digits), which is the
// text we store, so encodings do not matter. The one exception is a sorted set score:
// Redis formats the double it reads back, and a listpack stores -0 as 0; so does a
// listpack zset here (zset.ts), and the double read back is formatted with formatDouble.
// Like Redis, which walks the dict rather than looking keys up, keys that are
// logically expired but not yet removed count, and nothing is expired here.
//
// Cost: a string key takes 7 SHA1 computations of at most 64 bytes, so the call
// overhead is what matters. Measured on Bun 1.4.5 per 20-byte input: node:crypto
// createHash 300-380 ns, a reused Bun.CryptoHasher 170 ns, Bun.SHA1.hash into a
// reused output 72 ns. Passing a subarray view adds about 50 ns, so short inputs are
// copied into a scratch array of their exact length instead. DEBUG DIGEST of 1M keys
// "key:N" -> "value:N" then takes 0.6-1.0 s (with createHash: about 5 times as long);
// redis-server 7.0.15 took 2.5-3 s for the same data on the same (busy) machine.

import type { Database } from "./keyspace.ts";
import type { KeyTable } from "./keytable.ts";
import type { RedisValue } from "./types.ts";
import { formatDouble } from "../util/float.ts";

export const DIGEST_BYTES = 20;

/** Redis's OBJ_* type numbers, as they enter the digest. */
const TYPE_NUMBER = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 } as const;

/** Inputs up to this length are copied into an exact-length scratch array rather than viewed. */
const SCRATCH_MAX = 64;

const EXPIRE_MARK = Buffer.from("!!expire!!", "latin1");

/**
 * The digest of every database (DEBUG DIGEST): 20 bytes, all zeros for an empty dataset.
 * `dbs[i]` must be database number i.
 */
export function computeDatasetDigest(dbs: readonly Database[]): Uint8Array {
  return new Digester().dataset(dbs);
}

/**
 * The digest of the value at `key` in `db` (DEBUG DIGEST-VALUE), expired or not:
 * 20 bytes, all zeros when the key does not exist.
 */
export function computeValueDigest(db: Database, key: Uint8Array): Uint8Array {
  return new Digester().keyValue(db, key);
}

/** 40 lower-case hex digits, as DEBUG DIGEST replies them. */
export function digestToHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString("hex");
}

/** The scratch state of one digest computation (no module-level mutable state). */
class Digester {
  /** SHA1 output. */
  private readonly hash = new Uint8Array(DIGEST_BYTES);
  /** One scratch array per length 0..SCRATCH_MAX, made on first use. */
  private readonly scratch: (Uint8Array | undefined)[] = [];
  private readonly typeTag = new Uint8Array(4);
  private readonly element = new Uint8Array(DIGEST_BYTES);

  dataset(dbs: readonly Database[]): Uint8Array {
    const final = new Uint8Array(DIGEST_BYTES);
    const keyDigest = new Uint8Array(DIGEST_BYTES);
    const dbTag = new Uint8Array(4);
    const dbTagView = new DataView(dbTag.buffer);
    for (let index = 0; index < dbs.length; index++) {
      const table = dbs[index]!.table;
      if (table.size === 0) continue;
      dbTagView.setUint32(0, index);
      this.mix(final, dbTag);
      for (let slot = 0; slot < table.slotCount; slot++) {
        if (!table.isLive(slot)) continue;
        keyDigest.fill(0);
        const keyLength = table.keyLengthOf(slot);
        if (keyLength <= SCRATCH_MAX) {
          const key = this.scratchOf(keyLength);
          table.copyKey(slot, key, 0);
          this.mix(keyDigest, key);
        } else {
          this.mix(keyDigest, table.keyBytesAt(slot));
        }
        this.valueAtSlot(keyDigest, table, slot);
        this.xor(final, keyDigest);
      }
    }
    return final;
  }

  keyValue(db: Database, key: Uint8Array): Uint8Array {
    const digest = new Uint8Array(DIGEST_BYTES);
    const table = db.table;
    const slot = table.findBytes(key);
    if (slot >= 0) this.valueAtSlot(digest, table, slot);
    return digest;
  }

  /** Redis's xorObjectDigest: mixes the type, the content and the TTL mark of a slot's value into `digest`. */
  private valueAtSlot(digest: Uint8Array, table: KeyTable, slot: number): void {
    if (table.isInline(slot) && table.inlineLengthOf(slot) <= SCRATCH_MAX) {
      // A short string in the value arena: copied out rather than viewed.
      const value = this.scratchOf(table.inlineLengthOf(slot));
      table.copyInlineValue(slot, value, 0);
      this.content(digest, value);
    } else {
      this.content(digest, table.valueAt(slot));
    }
    if (table.expireAtOf(slot) !== -1) this.xor(digest, EXPIRE_MARK);
  }

  private content(digest: Uint8Array, value: RedisValue): void {
    if (value instanceof Uint8Array) {
      this.mix(digest, this.typeTagOf(TYPE_NUMBER.string));
      this.mix(digest, value);
    } else {
      this.mix(digest, this.typeTagOf(TYPE_NUMBER[value.type]));
      switch (value.type) {
        case "list":
          for (const element of value) this.mix(digest, element);
          break;
        case "set":
          for (const member of value.members) this.xor(digest, this.binaryBytes(member));
          break;
        case "hash":
          for (const [field, fieldValue] of value.map) {
            const element = this.element.fill(0);
            this.mix(element, this.binaryBytes(field));
            this.mix(element, fieldValue);
            this.xor(digest, element);
          }
          break;
        case "zset":
          value.forEachAscending((member, score) => {
            const element = this.element.fill(0);
            this.mix(element, this.binaryBytes(member));
            this.mix(element, this.binaryBytes(formatDouble(score)));
            this.xor(digest, element);
          });
          break;
        case "stream":
          for (const entry of value) {
            this.mix(digest, this.binaryBytes(`${entry.id.ms}.${entry.id.seq}`));
            for (const part of entry.fields) this.mix(digest, part);
          }
          break;
      }
    }
  }

  /** acc ^= SHA1(data) */
  private xor(acc: Uint8Array, data: Uint8Array): void {
    const hash = this.hash;
    Bun.SHA1.hash(data, hash);
    for (let i = 0; i < DIGEST_BYTES; i++) acc[i]! ^= hash[i]!;
  }

  /** acc = SHA1(acc ^ SHA1(data)) */
  private mix(acc: Uint8Array, data: Uint8Array): void {
    this.xor(acc, data);
    Bun.SHA1.hash(acc, acc);
  }

  private typeTagOf(type: number): Uint8Array {
    this.typeTag[3] = type;
    return this.typeTag;
  }

  private scratchOf(length: number): Uint8Array {
    return (this.scratch[length] ??= new Uint8Array(length));
  }

  /** The bytes of a binary string (collection members and fields are latin1 strings). */
  private binaryBytes(text: string): Uint8Array {
    const length = text.length;
    if (length > SCRATCH_MAX) return Buffer.from(text, "latin1");
    const bytes = this.scratchOf(length);
    for (let i = 0; i < length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
}
