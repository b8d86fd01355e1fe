import { describe, expect, test } from "bun:test";
import { BACKLOG_MIN_SIZE, ReplicationBacklog } from "../../src/replication/replication.ts";

const bytes = (from: number, count: number) => Uint8Array.from({ length: count }, (_, i) => (from + i) & 0xff);

describe("ReplicationBacklog", () => {
  test("its first byte is the one after the offset it was created at", () => {
    const backlog = new ReplicationBacklog(BACKLOG_MIN_SIZE, 100);
    expect(backlog.offset).toBe(101);
    expect(backlog.histlen).toBe(0);
    expect(backlog.holds(101)).toBe(true);
    expect(backlog.holds(102)).toBe(false);
    expect(backlog.since(101).length).toBe(0);
  });

  test("keeps the last size bytes of a stream written in pieces of any length, and gives any held suffix", () => {
    const size = BACKLOG_MIN_SIZE;
    const backlog = new ReplicationBacklog(size, 0);
    let written = 0;
    const all: number[] = [];
    for (const piece of [1, 7, 5000, 12000, 1, 40000, 3, size, 9999]) {
      const data = bytes(written, piece);
      backlog.append(data);
      for (const b of data) all.push(b);
      written += piece;
      const held = Math.min(written, size);
      expect(backlog.histlen).toBe(held);
      expect(backlog.offset).toBe(written - held + 1);
      for (const from of [backlog.offset, backlog.offset + 1, backlog.offset + Math.floor(held / 2), written + 1]) {
        expect(backlog.holds(from)).toBe(true);
        expect([...backlog.since(from)]).toEqual(all.slice(from - 1));
      }
      expect(backlog.holds(backlog.offset - 1)).toBe(false);
      expect(backlog.holds(written + 2)).toBe(false);
    }
  });

  test("a resize keeps the most recent bytes", () => {
    const backlog = new ReplicationBacklog(BACKLOG_MIN_SIZE * 2, 0);
    const data = bytes(0, BACKLOG_MIN_SIZE + 500);
    backlog.append(data);
    backlog.resize(BACKLOG_MIN_SIZE);
    expect(backlog.histlen).toBe(BACKLOG_MIN_SIZE);
    expect([...backlog.since(backlog.offset)]).toEqual([...data.subarray(500)]);
    backlog.resize(BACKLOG_MIN_SIZE * 4);
    backlog.append(bytes(7, 10));
    expect([...backlog.since(backlog.offset + BACKLOG_MIN_SIZE)]).toEqual([...bytes(7, 10)]);
    expect(backlog.offset).toBe(501);
  });
});
