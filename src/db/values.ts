// Operations over any value type: OBJECT ENCODING names and deep copies (COPY).

import type { RedisValue } from "./types.ts";
import { copyStringValue, stringEncoding } from "./string-encoding.ts";

export function valueEncoding(value: RedisValue): string {
  if (value instanceof Uint8Array) return stringEncoding(value);
  return value.encoding;
}

/** A deep copy with the same encoding, as Redis's COPY makes it (each collection's clone()). */
export function cloneValue(value: RedisValue): RedisValue {
  if (value instanceof Uint8Array) return copyStringValue(value);
  return value.clone();
}
