// sdscatrepr: Redis's quoting of bytes (sds.c), checked byte by byte against its
// rules, against sdssplitargs reading it back, and against what redis-server itself
// prints in a MONITOR line.

import { describe, expect, test } from "bun:test";
import { sdscatrepr } from "../../../src/util/repr.ts";
import { splitInlineArgs } from "../../../src/protocol/inline.ts";
import { RawClient, REDIS_SERVER, startRedis } from "../../helpers/server.ts";

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

/** sdscatrepr's switch, written out as a table. */
function expectedRepr(byte: number): string {
  const escapes: Record<number, string> = { 0x5c: "\\\\", 0x22: '\\"', 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x07: "\\a", 0x08: "\\b" };
  if (escapes[byte] !== undefined) return escapes[byte]!;
  const isprint = byte >= 0x20 && byte <= 0x7e; // glibc's isprint in the C locale
  return isprint ? String.fromCharCode(byte) : `\\x${byte < 16 ? "0" : ""}${byte.toString(16)}`;
}

describe("sdscatrepr", () => {
  test("appends a quoted copy to the prefix", () => {
    expect(sdscatrepr("", "")).toBe('""');
    expect(sdscatrepr("dir ", "/tmp/a b")).toBe('dir "/tmp/a b"');
    expect(sdscatrepr("x", new Uint8Array([0x61, 0x00, 0xff]))).toBe('x"a\\x00\\xff"');
  });

  test("every byte follows Redis's rule", () => {
    for (let byte = 0; byte < 256; byte++) {
      expect(sdscatrepr("", new Uint8Array([byte]))).toBe(`"${expectedRepr(byte)}"`);
    }
  });

  test("a binary string and its bytes quote the same", () => {
    const binary = String.fromCharCode(...ALL_BYTES);
    expect(sdscatrepr("", binary)).toBe(sdscatrepr("", ALL_BYTES));
  });

  test("sdssplitargs reads every byte back", () => {
    const line = new TextEncoder().encode(sdscatrepr("", ALL_BYTES));
    const args = splitInlineArgs(line);
    expect(args).not.toBeNull();
    expect(args!.length).toBe(1);
    expect([...args![0]!]).toEqual([...ALL_BYTES]);
  });

  test.skipIf(REDIS_SERVER === undefined)("matches redis-server's MONITOR line for all 256 bytes", async () => {
    const redis = await startRedis();
    const monitor = await RawClient.connect(redis.port);
    const client = await RawClient.connect(redis.port);
    try {
      expect(await monitor.callRaw("MONITOR")).toBe("+OK\r\n");
      await client.call("ECHO", ALL_BYTES);
      const line = await monitor.readRawReply();
      expect(line.endsWith(sdscatrepr(' "ECHO" ', ALL_BYTES) + "\r\n")).toBe(true);
    } finally {
      monitor.close();
      client.close();
      await redis.stop();
    }
  });
});
