import { describe, expect, test } from "bun:test";
import { KeyRecordReader, KeyRecords, RAW_STRING_TYPE, encodeFrame, FrameReader, writeKeysFrame } from "../../src/persistence/snapshot-protocol.ts";
import { KeyTable } from "../../src/db/keytable.ts";
import { keyToBytes } from "../../src/db/bytes.ts";

function addFromTable(records: KeyRecords, table: KeyTable, slot: number): void {
  table.copyKey(slot, records.bytes, records.beginKey(table.keyLengthOf(slot)));
  if (table.isInline(slot)) {
    const at = records.beginPayload(RAW_STRING_TYPE, table.inlineLengthOf(slot));
    table.copyInlineValue(slot, records.bytes, at);
  } else {
    const value = table.valueAt(slot) as Uint8Array;
    const at = records.beginPayload(RAW_STRING_TYPE, value.length);
    records.bytes.set(value, at);
  }
  records.endKey(table.expireAtOf(slot));
}

describe("KeyRecords", () => {
  test("keys and values copied from a table come back through a frame, across buffer growth", () => {
    const table = new KeyTable();
    const expected: [string, Uint8Array, number][] = [];
    for (let i = 0; i < 3000; i++) {
      // Arena strings, object strings (over 512 bytes) and one value bigger than the buffer.
      const size = i === 1234 ? 300_000 : i % 7 === 0 ? 600 + i : i % 50;
      const value = new Uint8Array(size).map((_, j) => (i + j) & 0xff);
      const key = `key:${i}\u00ff`;
      const expireAt = i % 3 === 0 ? 1_700_000_000_000 + i : -1;
      table.insert(key, value, expireAt, 0);
      expected.push([key, value, expireAt]);
    }
    const records = new KeyRecords();
    for (let slot = 0; slot < table.slotCount; slot++) addFromTable(records, table, slot);
    expect(records.count).toBe(3000);
    const frame = encodeFrame(["keys", 0, records.count, records.contents()]);
    const frames: [unknown, number][] = [];
    // In two chunks: a frame is whole only once its last byte arrived.
    const frameReader = new FrameReader();
    frameReader.push(frame.subarray(0, 1000), (message, frameBytes) => frames.push([message, frameBytes]));
    expect(frames).toEqual([]);
    frameReader.push(frame.subarray(1000), (message, frameBytes) => frames.push([message, frameBytes]));
    expect(frames.length).toBe(1);
    expect(frames[0]![1]).toBe(frame.length);
    const message = frames[0]![0] as ["keys", number, number, Uint8Array];
    const reader = new KeyRecordReader(message[3]);
    let i = 0;
    while (reader.next()) {
      const [key, value, expireAt] = expected[i++]!;
      expect(reader.key).toEqual(keyToBytes(key));
      expect(reader.type).toBe(RAW_STRING_TYPE);
      expect(reader.payload).toEqual(value);
      expect(reader.expireAt).toBe(expireAt);
    }
    expect(i).toBe(3000);
    records.clear();
    expect(records.count).toBe(0);
    expect(records.contents().length).toBe(0);
  });
});

describe("writeKeysFrame", () => {
  test("reads back as the keys message, whatever the database and count; refuses a buffer too small", () => {
    for (const [db, count, size] of [[0, 1, 0], [15, 512, 70_000], [9, 300, 127]] as const) {
      const records = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      const target = new Uint8Array(new SharedArrayBuffer(128 * 1024));
      const length = writeKeysFrame(target, db, count, records);
      const messages: unknown[] = [];
      new FrameReader().push(target.slice(0, length), (message) => messages.push(message));
      expect(messages).toEqual([["keys", db, count, records]]);
    }
    expect(() => writeKeysFrame(new Uint8Array(100), 0, 1, new Uint8Array(90))).toThrow("does not fit");
  });
});
