// What OBJECT ENCODING says of a string value, and which strings must stay objects.
//
// Redis's encoding of a string (int / embstr / raw) mostly follows from its bytes, but
// not always: APPEND, SETRANGE, SETBIT and HyperLogLog results are "raw" even when
// short, and INCRBYFLOAT results are never "int". Those strings are remembered by
// identity here (a WeakSet costs nothing for values never put in it), so they are
// stored as their own Uint8Array; every other string is "plain" and the keyspace may
// keep its bytes in its value arena (keytable.ts), where the encoding is derived again
// from the bytes.

import { parseInteger } from "./bytes.ts";

/** Every string in either set below: one lookup tells the keyspace a string is plain. */
const markedStrings = new WeakSet<Uint8Array>();

/** A WeakSet whose members are also recorded in markedStrings. */
class StringMarks extends WeakSet<Uint8Array> {
  override add(value: Uint8Array): this {
    markedStrings.add(value);
    return super.add(value);
  }
}

/** Strings Redis would hold with "raw" encoding although they are short. */
export const rawEncodedStrings: WeakSet<Uint8Array> = new StringMarks();
/** Strings Redis creates without trying the integer form (INCRBYFLOAT results). */
export const unencodedStrings: WeakSet<Uint8Array> = new StringMarks();

/** OBJECT ENCODING of a string value, as Redis 7.0 would report it. */
export function stringEncoding(value: Uint8Array): "int" | "embstr" | "raw" {
  if (rawEncodedStrings.has(value)) return "raw";
  if (value.length <= 20 && !unencodedStrings.has(value) && parseInteger(value) !== null) return "int";
  return value.length <= 44 ? "embstr" : "raw";
}

/** A string whose encoding follows from its bytes alone. */
export function isPlainString(value: Uint8Array): boolean {
  return !markedStrings.has(value);
}

/** A copy of a string value that keeps what OBJECT ENCODING says of it (COPY keeps encodings). */
export function copyStringValue(value: Uint8Array): Uint8Array {
  const copy = new Uint8Array(value);
  if (rawEncodedStrings.has(value)) rawEncodedStrings.add(copy);
  if (unencodedStrings.has(value)) unencodedStrings.add(copy);
  return copy;
}
