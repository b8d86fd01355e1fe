// Operations over any value type: OBJECT ENCODING names, deep copies (COPY), and the
// serialized length DEBUG OBJECT reports.

import type { RedisValue } from "./types.ts";
import { copyStringValue, stringEncoding } from "./string-encoding.ts";
import { DEFAULT_ENCODE_OPTIONS, encodeValue } from "../persistence/rdb/encoder.ts";
import { decodeValue } from "../persistence/rdb/decoder.ts";

export function valueEncoding(value: RedisValue): string {
  if (value instanceof Uint8Array) return stringEncoding(value);
  return value.encoding;
}

/**
 * A deep copy. Collections go through their RDB serialisation: one well-tested path
 * that copies every field (stream groups, PELs...) exactly. The encoding is kept,
 * as Redis's COPY keeps it.
 */
export function cloneValue(value: RedisValue): RedisValue {
  if (value instanceof Uint8Array) return copyStringValue(value);
  const encoded = encodeValue(value, { ...DEFAULT_ENCODE_OPTIONS, compression: false });
  const copy = decodeValue(encoded.type, encoded.payload);
  if (!(copy instanceof Uint8Array) && copy.type !== "list" && copy.type !== "stream" && "encoding" in copy) {
    (copy as { encoding: string }).encoding = value.encoding;
  }
  return copy;
}

/** rdbSavedObjectLen: the value's size in an RDB file. */
export function serializedLengthEstimate(value: RedisValue): number {
  return encodeValue(value, DEFAULT_ENCODE_OPTIONS).payload.length;
}
