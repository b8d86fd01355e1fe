// The value model shared by the keyspace, the command families and the RDB codec.
//
// Strings are bytes (Uint8Array), never JS strings: values are binary-safe and a
// Uint8Array costs less memory than a JS string of the same length in JSC.
// Members and fields inside collections are "binary strings": JS strings whose
// char codes are the bytes 0..255 (latin1). They are used as Map/Set keys, where
// JS needs a primitive; convert with bytesToKey/keyToBytes from ./bytes.ts.
//
// Every collection class carries `type` (the Redis TYPE name) and `encoding`
// (what OBJECT ENCODING reports, and what the RDB encoder writes). Encodings
// only ever convert one way (listpack -> hashtable etc.), as in Redis 7.0.

import type { RedisList } from "./list.ts";
import type { RedisHash } from "./hash.ts";
import type { RedisSet } from "./set.ts";
import type { RedisZSet } from "./zset.ts";
import type { RedisStream } from "./stream.ts";

/** A string value: its bytes. OBJECT ENCODING is derived (int / embstr / raw). */
export type StringValue = Uint8Array;

export type RedisValue = StringValue | RedisList | RedisHash | RedisSet | RedisZSet | RedisStream;

export type TypeName = "string" | "list" | "set" | "zset" | "hash" | "stream";

export function typeOf(value: RedisValue): TypeName {
  return value instanceof Uint8Array ? "string" : value.type;
}
