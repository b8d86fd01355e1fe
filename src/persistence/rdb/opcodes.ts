// RDB format constants, as defined by Redis 7.0's rdb.h.
//
// Value types (0..21) and opcodes (0xF5..0xFF) share one byte position in the
// file: the loader reads a byte and treats it as an opcode when it is >= 0xF5.

/** The RDB version Redis 7.0 writes; the loader accepts 1..RDB_VERSION. */
export const RDB_VERSION = 10;

// --- Value types -----------------------------------------------------------
export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE = 6;
export const RDB_TYPE_MODULE_2 = 7;
// 8 was never used (it was RDB_TYPE_MODULE_PRE_GA's slot, removed before 4.0).
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
/** Redis 7.2+ only (RDB 11): listpack-encoded sets. Recognised so the error can name it. */
export const RDB_TYPE_SET_LISTPACK = 20;
/** Redis 7.2+ only (RDB 11): streams with consumer active-time. Recognised so the error can name it. */
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;

// --- Opcodes ---------------------------------------------------------------
/** A function library: one string holding the library source (7.0 GA). */
export const RDB_OPCODE_FUNCTION2 = 0xf5;
/** A function library in the 7.0-rc1/rc2 layout (name, engine, description, code). */
export const RDB_OPCODE_FUNCTION_PRE_GA = 0xf6;
export const RDB_OPCODE_MODULE_AUX = 0xf7;
/** LRU idle time of the next key, in seconds. */
export const RDB_OPCODE_IDLE = 0xf8;
/** LFU counter of the next key, one byte. */
export const RDB_OPCODE_FREQ = 0xf9;
export const RDB_OPCODE_AUX = 0xfa;
export const RDB_OPCODE_RESIZEDB = 0xfb;
/** Expire time of the next key, int64 LE unix milliseconds. */
export const RDB_OPCODE_EXPIRETIME_MS = 0xfc;
/** Legacy expire time of the next key, int32 LE unix seconds (load only). */
export const RDB_OPCODE_EXPIRETIME = 0xfd;
export const RDB_OPCODE_SELECTDB = 0xfe;
export const RDB_OPCODE_EOF = 0xff;

// --- Length / string encodings ---------------------------------------------
export const RDB_6BITLEN = 0;
export const RDB_14BITLEN = 1;
export const RDB_32BITLEN = 0x80;
export const RDB_64BITLEN = 0x81;
/** Top two bits 11: the low six bits name a special string encoding below. */
export const RDB_ENCVAL = 3;
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

// --- Quicklist node containers (type 18) -------------------------------------
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

// --- Stream listpack entry flags ---------------------------------------------
export const STREAM_ITEM_FLAG_NONE = 0;
export const STREAM_ITEM_FLAG_DELETED = 1;
export const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

// --- Module serialization (only what is needed to name and refuse them) ------
export const RDB_MODULE_OPCODE_EOF = 0;
export const RDB_MODULE_OPCODE_UINT = 2;

const TYPE_NAMES: Record<number, string> = {
  [RDB_TYPE_STRING]: "STRING",
  [RDB_TYPE_LIST]: "LIST",
  [RDB_TYPE_SET]: "SET",
  [RDB_TYPE_ZSET]: "ZSET",
  [RDB_TYPE_HASH]: "HASH",
  [RDB_TYPE_ZSET_2]: "ZSET_2",
  [RDB_TYPE_MODULE]: "MODULE",
  [RDB_TYPE_MODULE_2]: "MODULE_2",
  [RDB_TYPE_HASH_ZIPMAP]: "HASH_ZIPMAP",
  [RDB_TYPE_LIST_ZIPLIST]: "LIST_ZIPLIST",
  [RDB_TYPE_SET_INTSET]: "SET_INTSET",
  [RDB_TYPE_ZSET_ZIPLIST]: "ZSET_ZIPLIST",
  [RDB_TYPE_HASH_ZIPLIST]: "HASH_ZIPLIST",
  [RDB_TYPE_LIST_QUICKLIST]: "LIST_QUICKLIST",
  [RDB_TYPE_STREAM_LISTPACKS]: "STREAM_LISTPACKS",
  [RDB_TYPE_HASH_LISTPACK]: "HASH_LISTPACK",
  [RDB_TYPE_ZSET_LISTPACK]: "ZSET_LISTPACK",
  [RDB_TYPE_LIST_QUICKLIST_2]: "LIST_QUICKLIST_2",
  [RDB_TYPE_STREAM_LISTPACKS_2]: "STREAM_LISTPACKS_2",
  [RDB_TYPE_SET_LISTPACK]: "SET_LISTPACK",
  [RDB_TYPE_STREAM_LISTPACKS_3]: "STREAM_LISTPACKS_3",
};

/** Name of a value type byte for error messages ("type 20 (SET_LISTPACK)"). */
export function rdbTypeName(type: number): string {
  return TYPE_NAMES[type] ?? "unknown";
}

/** Value types Redis 7.0 can load (its rdbIsObjectType); 20 and 21 are 7.2's. */
export function isRdb10ObjectType(type: number): boolean {
  return (type >= 0 && type <= 7) || (type >= 9 && type <= 19);
}
