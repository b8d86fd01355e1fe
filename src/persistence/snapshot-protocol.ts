// The wire format between the server and the snapshot writer process.
//
// Frames are a 4-byte big-endian length followed by one msgpack value. Keys travel
// already RDB-encoded (type byte + payload, as encodeValue produces them): the server
// has to serialise a value anyway to preserve it before a change, and the writer then
// only frames, checksums and writes bytes.
//
// server -> writer
//   ["begin", { ctime, usedMem }]                  header (AUX fields)
//   ["db", index, keyCount, expiresCount]          SELECTDB + RESIZEDB (once per db)
//   ["keys", db, keys[], types[], payloads[], expires[]]   a batch; expire -1 = none;
//                                                  keys are bytes; type -1 = a
//                                                  string value as is (the writer encodes it:
//                                                  integer form, LZF), else an RDB type + payload
//   ["end"]                                        EOF + checksum, fsync, rename
// writer -> server
//   ["progress", keysWritten, bytesWritten, rssBytes]
//   ["error", cause]                               just before a failing exit

import { Decoder, Encoder } from "@msgpack/msgpack";

export type ServerMessage =
  | ["begin", { ctime: number; usedMem: number }]
  | ["db", number, number, number]
  | ["keys", number, Uint8Array[], number[], Uint8Array[], number[]]
  | ["end"];

/** Type marker for a string value sent raw: the writer applies the RDB string encodings. */
export const RAW_STRING_TYPE = -1;

export type WriterMessage = ["progress", number, number, number] | ["error", string];

const encoder = new Encoder();

export function encodeFrame(message: ServerMessage | WriterMessage): Uint8Array {
  // A view of the encoder's own buffer: copied once, into the frame.
  const body = encoder.encodeSharedRef(message);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Reassembles frames from a byte stream with arbitrary chunk boundaries. */
export class FrameReader {
  private buffer = new Uint8Array(0);
  private readonly decoder = new Decoder();

  push(chunk: Uint8Array): unknown[] {
    if (this.buffer.length === 0) this.buffer = chunk.slice();
    else {
      const merged = new Uint8Array(this.buffer.length + chunk.length);
      merged.set(this.buffer);
      merged.set(chunk, this.buffer.length);
      this.buffer = merged;
    }
    const messages: unknown[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= 4) {
      const length = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset, 4).getUint32(0);
      if (this.buffer.length - offset - 4 < length) break;
      messages.push(this.decoder.decode(this.buffer.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    this.buffer = offset === this.buffer.length ? new Uint8Array(0) : this.buffer.subarray(offset);
    return messages;
  }
}
