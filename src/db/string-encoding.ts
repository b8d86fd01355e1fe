// What OBJECT ENCODING says of a string value, and which strings must stay objects.
//
// Redis's encoding of a string (int / embstr / raw) mostly follows from its bytes, but
// not always: APPEND, SETRANGE, SETBIT and HyperLogLog results are "raw" even when
// short, and INCRBYFLOAT results are never "int". Those strings carry the mark in their
// class (RawString, UnencodedString), so they are stored as their own objects; every
// other string is "plain" and the keyspace may keep its bytes in its value arena
// (keytable.ts), where the encoding is derived again from the bytes.
//
// The mark is the value's class rather than an entry in a process-wide set: it goes
// wherever the value goes (RENAME, MOVE, SWAPDB, a snapshot's preserved copy), needs no
// registry that two servers in a process, or a load running beside commands, would
// share, and the plain-string test on SET's path is one `instanceof`.

import { parseInteger } from "./bytes.ts";

/**
 * A string whose encoding does not follow from its bytes. Derived arrays (subarray,
 * slice, map...) are plain Uint8Arrays (Symbol.species), so a range read out of a
 * marked string and stored elsewhere is not marked by accident.
 */
export abstract class MarkedString extends Uint8Array {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }
}

/** A string Redis would hold with "raw" encoding although it is short. */
export class RawString extends MarkedString {}

/** A string Redis creates without trying the integer form (an INCRBYFLOAT result). */
export class UnencodedString extends MarkedString {}

/**
 * `bytes` as a RawString: itself when it is one already, else a RawString over the same
 * memory (no copy: the caller stores the result in place of `bytes`). `bytes` must be
 * the caller's own array, never a view of the keyspace's value arena.
 */
export function markRaw(bytes: Uint8Array): RawString {
  if (bytes instanceof RawString) return bytes;
  return new RawString(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
}

/** markRaw for UnencodedString (a raw string stays raw: raw is what OBJECT ENCODING reports first). */
export function markUnencoded(bytes: Uint8Array): MarkedString {
  if (bytes instanceof MarkedString) return bytes;
  return new UnencodedString(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
}

/**
 * An UnencodedString of ASCII `text` (INCRBYFLOAT's result), written byte by byte: a
 * view made over an encoder's output had the engine materialize its buffer, an eighth
 * of the command's time.
 */
export function unencodedText(text: string): UnencodedString {
  const bytes = new UnencodedString(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** OBJECT ENCODING of a string value, as Redis 7.0 would report it. */
export function stringEncoding(value: Uint8Array): "int" | "embstr" | "raw" {
  if (value instanceof RawString) return "raw";
  if (value.length <= 20 && !(value instanceof UnencodedString) && parseInteger(value) !== null) return "int";
  return value.length <= 44 ? "embstr" : "raw";
}

/** A string whose encoding follows from its bytes alone (a Buffer is plain too). */
export function isPlainString(value: Uint8Array): boolean {
  return !(value instanceof MarkedString);
}

/** A copy of a string value that keeps what OBJECT ENCODING says of it (COPY keeps encodings). */
export function copyStringValue(value: Uint8Array): Uint8Array {
  if (value instanceof RawString) return new RawString(value);
  if (value instanceof UnencodedString) return new UnencodedString(value);
  return new Uint8Array(value);
}
