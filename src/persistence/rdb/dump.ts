// DUMP / RESTORE payloads (cluster.c createDumpPayload / verifyDumpPayload):
//
//   <type byte> <value payload, as in an RDB file> <RDB version: 2 bytes LE> <CRC-64: 8 bytes LE>
//
// The CRC covers everything before it. Redis refuses payloads from a newer RDB
// version or with a wrong checksum with one message, which RESTORE sends as
// "-ERR " + DUMP_PAYLOAD_INVALID.

import { crc64 } from "./crc64.ts";
import { ByteWriter, ValueEncoder, type EncodedValue } from "./encoder.ts";
import { RDB_OPCODE_FUNCTION2, RDB_VERSION } from "./opcodes.ts";
import { readFunctionLibraries } from "./decoder.ts";

export const DUMP_PAYLOAD_INVALID = "DUMP payload version or checksum are wrong";

/** Thrown by parseDumpPayload; its message is exactly DUMP_PAYLOAD_INVALID. */
export class DumpPayloadError extends Error {
  override name = "DumpPayloadError";

  constructor() {
    super(DUMP_PAYLOAD_INVALID);
  }
}

/** The type byte and 10 bytes of footer. */
const FOOTER_LENGTH = 10;

/**
 * DUMP's reply for an encoded value (ValueEncoder.encode), byte-identical to Redis 7.0's
 * for the same value and options.
 */
export function createDumpPayload({ type, payload }: EncodedValue): Uint8Array {
  const dump = new Uint8Array(1 + payload.length + FOOTER_LENGTH);
  dump[0] = type;
  dump.set(payload, 1);
  const footer = 1 + payload.length;
  dump[footer] = RDB_VERSION & 0xff;
  dump[footer + 1] = (RDB_VERSION >> 8) & 0xff;
  const checksum = crc64(dump.subarray(0, footer + 2));
  new DataView(dump.buffer).setBigUint64(footer + 2, checksum, true);
  return dump;
}

/**
 * Checks the footer of a RESTORE payload and splits it. Throws DumpPayloadError
 * for a payload too short to hold a footer, an RDB version above ours, or a CRC
 * mismatch; the value itself is decoded by decoder.ts ValueDecoder.decode(type, payload).
 */
export function parseDumpPayload(bytes: Uint8Array, skipChecksum = false): { type: number; payload: Uint8Array } {
  if (!verifyDumpPayload(bytes, skipChecksum)) throw new DumpPayloadError();
  const footer = bytes.length - FOOTER_LENGTH;
  // A payload that is only a footer has no type byte; ValueDecoder.decode reports it as bad data.
  if (footer === 0) return { type: -1, payload: new Uint8Array(0) };
  return { type: bytes[0]!, payload: bytes.subarray(1, footer) };
}

/**
 * verifyDumpPayload: the 10-byte footer is there, its RDB version is not above ours, and
 * the CRC matches (unless DEBUG SET-SKIP-CHECKSUM-VALIDATION turned checking off).
 */
function verifyDumpPayload(bytes: Uint8Array, skipChecksum: boolean): boolean {
  if (bytes.length < FOOTER_LENGTH) return false;
  const footer = bytes.length - FOOTER_LENGTH;
  const version = bytes[footer]! | (bytes[footer + 1]! << 8);
  if (version > RDB_VERSION) return false;
  if (skipChecksum) return true;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + footer + 2, 8).getBigUint64(0, true);
  return crc64(bytes.subarray(0, footer + 2)) === stored;
}

/** Appends the version and CRC footer to `body`. */
function withFooter(body: Uint8Array): Uint8Array {
  const dump = new Uint8Array(body.length + FOOTER_LENGTH);
  dump.set(body);
  dump[body.length] = RDB_VERSION & 0xff;
  dump[body.length + 1] = (RDB_VERSION >> 8) & 0xff;
  new DataView(dump.buffer).setBigUint64(body.length + 2, crc64(dump.subarray(0, body.length + 2)), true);
  return dump;
}

/**
 * FUNCTION DUMP's payload: each library as an RDB file holds it (RDB_OPCODE_FUNCTION2 and
 * its code, LZF-compressed under rdbcompression as rdbSaveRawString does), then the footer.
 */
export function createFunctionsPayload(codes: readonly Uint8Array[], compression: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const out = new ByteWriter(64 * 1024, (chunk) => parts.push(chunk.slice()));
  const values = new ValueEncoder();
  for (const code of codes) {
    out.byte(RDB_OPCODE_FUNCTION2);
    values.writeString(out, code, compression);
  }
  out.flush();
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const body = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return withFooter(body);
}

/**
 * FUNCTION RESTORE's payload: the libraries' codes and the error found after them (see
 * readFunctionLibraries), or the error to reply when the footer is wrong (without its
 * ERR code).
 */
export function parseFunctionsPayload(bytes: Uint8Array, skipChecksum = false): { codes: Uint8Array[]; error: string | null } | string {
  if (!verifyDumpPayload(bytes, skipChecksum)) return DUMP_PAYLOAD_INVALID;
  return readFunctionLibraries(bytes);
}
