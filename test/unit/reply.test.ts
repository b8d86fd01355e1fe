// The reply writer: exact RESP2/RESP3 bytes for every kind of reply, across the sizes
// where it switches between a JS loop and a native copy, and while its buffer grows.

import { expect, test } from "bun:test";
import { ReplyWriter } from "../../src/protocol/reply.ts";

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

function written(fill: (w: ReplyWriter) => void, resp = 2): string {
  const w = new ReplyWriter();
  w.resp = resp;
  fill(w);
  return latin1(w.buffer.subarray(0, w.length));
}

test("integers: every digit count, negatives, bigints", () => {
  const values = [0, -0, 1, 9, 10, 99, 100, 511, 512, 1000, 123456789, -1, -10, -512, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 1 - 2 ** 31, 2 ** 31 + 1, 2 ** 32 + 7, 2 ** 53 - 1, -(2 ** 53 - 1)];
  for (let n = 1; n < 1e16; n *= 10) values.push(n, n - 1, -n);
  for (const v of values) expect(written((w) => w.integer(v))).toBe(`:${String(v)}\r\n`);
  expect(written((w) => w.integer(9223372036854775807n))).toBe(":9223372036854775807\r\n");
  expect(written((w) => w.integer(-9223372036854775808n))).toBe(":-9223372036854775808\r\n");
});

test("bulk replies of every size around the copy thresholds", () => {
  for (const size of [0, 1, 9, 10, 31, 32, 33, 99, 100, 511, 512, 1000, 5000, 40_000]) {
    const value = Buffer.alloc(size, 0x61 + (size % 26));
    const expected = `$${size}\r\n${value.toString("latin1")}\r\n`;
    expect(written((w) => w.bulk(value))).toBe(expected);
    expect(written((w) => w.bulkText(value.toString("latin1")))).toBe(expected);
  }
});

test("headers, simple strings, errors, nulls, RESP3 types", () => {
  for (const count of [0, 1, 9, 10, 511, 512, 100000]) {
    expect(written((w) => w.arrayHeader(count))).toBe(`*${count}\r\n`);
    expect(written((w) => w.mapHeader(count))).toBe(`*${count * 2}\r\n`);
    expect(written((w) => w.mapHeader(count), 3)).toBe(`%${count}\r\n`);
    expect(written((w) => w.setHeader(count), 3)).toBe(`~${count}\r\n`);
    expect(written((w) => w.pushHeader(count), 3)).toBe(`>${count}\r\n`);
    expect(written((w) => w.setHeader(count))).toBe(`*${count}\r\n`);
  }
  expect(written((w) => w.simple("PONG"))).toBe("+PONG\r\n");
  expect(written((w) => w.simple(""))).toBe("+\r\n");
  expect(written((w) => w.ok())).toBe("+OK\r\n");
  expect(written((w) => w.error("ERR bad\r\nthing"))).toBe("-ERR bad  thing\r\n");
  expect(written((w) => w.nullBulk())).toBe("$-1\r\n");
  expect(written((w) => w.nullBulk(), 3)).toBe("_\r\n");
  expect(written((w) => w.nullArray())).toBe("*-1\r\n");
  expect(written((w) => w.emptyArray())).toBe("*0\r\n");
  expect(written((w) => w.double(1.5))).toBe("$3\r\n1.5\r\n");
  expect(written((w) => w.double(1.5), 3)).toBe(",1.5\r\n");
  expect(written((w) => w.boolean(true), 3)).toBe("#t\r\n");
  expect(written((w) => w.boolean(false))).toBe(":0\r\n");
  expect(written((w) => w.verbatim("hi"), 3)).toBe("=6\r\ntxt:hi\r\n");
});

test("disabled writers write nothing; the buffer grows across many replies", () => {
  expect(written((w) => {
    w.enabled = false;
    w.ok();
    w.integer(5);
    w.integer(12345);
    w.bulk(Buffer.from("abc"));
    w.simple("x");
    w.arrayHeader(3);
  })).toBe("");
  const w = new ReplyWriter();
  let expected = "";
  for (let i = 0; i < 20_000; i++) {
    const value = Buffer.alloc(i % 70, 0x30 + (i % 10));
    w.bulk(value);
    w.integer(i * 7919);
    w.simple("OK");
    expected += `$${value.length}\r\n${value.toString("latin1")}\r\n:${i * 7919}\r\n+OK\r\n`;
  }
  expect(latin1(w.buffer.subarray(0, w.length))).toBe(expected);
});

test("bulkInto: the caller's bytes land between the header and CRLF; nothing when replies are off", () => {
  for (const size of [0, 3, 512, 100_000]) {
    const value = Buffer.alloc(size, 0x62);
    const text = written((w) => {
      w.bulk(Buffer.from("before"));
      const at = w.bulkInto(size);
      w.bytes.set(value, at);
      w.integer(1);
    });
    expect(text).toBe(`$6\r\nbefore\r\n$${size}\r\n${value.toString("latin1")}\r\n:1\r\n`);
  }
  const off = new ReplyWriter();
  off.enabled = false;
  expect(off.bulkInto(10)).toBe(-1);
  expect(off.length).toBe(0);
});

test("command(): a RESP array of bulk strings, as arrayHeader + bulk write it, across sizes and buffer growth", () => {
  const sizes = [0, 1, 9, 10, 31, 32, 33, 99, 100, 1000, 5000, 40_000];
  const argvs: Uint8Array[][] = [[], [new Uint8Array(Buffer.from("PING"))]];
  for (const size of sizes) argvs.push([new Uint8Array(Buffer.from("SET")), new Uint8Array(Buffer.from("k")), new Uint8Array(size).fill(0x61 + (size % 26))]);
  for (const count of [9, 10, 11, 99, 100, 101]) argvs.push(Array.from({ length: count }, (_, i) => new Uint8Array(Buffer.from(`a${i}`))));
  // Appended after other bytes, so a growth copies what was there.
  for (const argv of argvs) {
    const expected = written((w) => {
      w.simple("x".repeat(16_000));
      w.arrayHeader(argv.length);
      for (const arg of argv) w.bulk(arg);
    });
    expect(written((w) => {
      w.simple("x".repeat(16_000));
      w.command(argv);
    })).toBe(expected);
  }
  const off = new ReplyWriter();
  off.enabled = false;
  off.command([new Uint8Array(3)]);
  expect(off.length).toBe(0);
});
