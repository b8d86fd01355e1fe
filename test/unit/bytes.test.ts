// Byte helpers: Redis's string2ll rules, decimal formatting, copies that never alias.

import { expect, test } from "bun:test";
import { copyBytes, integerBytes, ownBytes, parseInteger } from "../../src/db/bytes.ts";

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

test("parseInteger accepts only canonical int64 text", () => {
  for (const good of ["0", "1", "-1", "9223372036854775807", "-9223372036854775808", "42"]) {
    expect(String(parseInteger(Buffer.from(good)))).toBe(good);
  }
  for (const bad of ["", "-", "01", "-0", "+1", " 1", "1 ", "1.0", "9223372036854775808", "-9223372036854775809", "abc"]) {
    expect(parseInteger(Buffer.from(bad))).toBeNull();
  }
});

test("integerBytes formats like String()", () => {
  for (const n of [0, 1, -1, 9, 10, 99, 100, -100, 123456789, -9007199254740991, 9007199254740991, 2 ** 31 - 1, 2 ** 31, 1 - 2 ** 31, -(2 ** 31), 2 ** 31 + 1, 1e15, -1e15]) {
    expect(text(integerBytes(n))).toBe(String(n));
  }
  // Every digit count, at and around each power of ten, and timestamps.
  for (let p = 0; p <= 15; p++) {
    for (const n of [10 ** p - 1, 10 ** p, 10 ** p + 1, 10 ** p + 10 ** Math.max(0, p - 1) * 7]) {
      if (!Number.isSafeInteger(n)) continue;
      expect(text(integerBytes(n))).toBe(String(n));
      expect(text(integerBytes(-n))).toBe(String(-n));
    }
  }
  for (const n of [1733555555555, 100000000, 100000001, 2147483648, 12300000005]) expect(text(integerBytes(n))).toBe(String(n));
  // Random magnitudes across the whole safe range (the int32 halves and the int32 tail).
  for (let i = 0; i < 5000; i++) {
    const n = Math.floor(Math.random() * 2 ** Math.floor(Math.random() * 54)) * (i % 2 === 0 ? 1 : -1);
    expect(text(integerBytes(n))).toBe(String(n));
  }
});

test("copies never share memory, even from a Buffer (whose slice() is a view)", () => {
  const chunk = Buffer.from("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  const arg = chunk.subarray(24, 29);
  for (const copy of [copyBytes(arg), ownBytes(arg)]) {
    expect(text(copy)).toBe("hello");
    chunk[24] = 72;
    expect(text(copy)).toBe("hello");
    chunk[24] = 104;
  }
});
