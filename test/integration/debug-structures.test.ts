// DEBUG HTSTATS, HTSTATS-KEY, LISTPACK and QUICKLIST-PACKED-THRESHOLD against
// redis-server 7.0.15: the reply texts and errors byte for byte where they do not
// describe the table (HTSTATS's numbers are Bunker's own table: their shape and
// arithmetic are checked instead), lpRepr's text on standard output (but the address),
// and lists built with a lowered packed threshold: the same DUMP payloads (PLAIN
// containers), DEBUG OBJECT fields and digests as Redis's.

import { describe, expect, test } from "bun:test";
import { compareScript, haveRedis, usePair, type Pair } from "../helpers/differential.ts";
import { waitFor } from "../helpers/wait.ts";
import { dictStatsText, indexShape } from "../../src/db/htstats.ts";

const d = haveRedis ? describe : describe.skip;

test("dictStatsText counts chains per home position as dictGetStats prints them", () => {
  // An index of 8 positions; slots 0..4 with hashes homing at 1, 1, 1, 4, 6.
  const hashes = [1, 9, 17, 4, 6];
  const index = new Int32Array(8);
  index.set([0, 1, 2, 3, 4, 0, 5, 0]);
  const shape = indexShape(index, (slot) => hashes[slot]!, () => true);
  expect(dictStatsText([shape])).toBe(
    "Hash table 0 stats (main hash table):\n" +
      " table size: 8\n" +
      " number of elements: 5\n" +
      " different slots: 3\n" +
      " max chain length: 3\n" +
      " avg chain length (counted): 1.67\n" +
      " avg chain length (computed): 1.67\n" +
      " Chain length distribution:\n" +
      "   0: 5 (62.50%)\n" +
      "   1: 2 (25.00%)\n" +
      "   3: 1 (12.50%)\n",
  );
  expect(dictStatsText([indexShape(new Int32Array(8), () => 0, () => true)])).toBe(
    "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n",
  );
});

/** The body of a bulk reply. */
const body = (raw: string) => raw.slice(raw.indexOf("\r\n") + 2, -2);

/** Checks an HTSTATS table's internal arithmetic: the histogram adds up to the table. */
function checkTable(text: string, elements: number): void {
  const size = Number(/ table size: (\d+)/.exec(text)![1]);
  expect(Number(/ number of elements: (\d+)/.exec(text)![1])).toBe(elements);
  const histogram = [...text.matchAll(/^ {3}(\d+): (\d+) \(/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(histogram.reduce((sum, [, n]) => sum + n!, 0)).toBe(size);
  expect(histogram.reduce((sum, [len, n]) => sum + len! * n!, 0)).toBe(elements);
}

d("DEBUG HTSTATS / HTSTATS-KEY / LISTPACK / QUICKLIST-PACKED-THRESHOLD vs redis-server", () => {
  const pair = usePair(["--enable-debug-command", "yes"]);

  test("errors, empty tables and DEBUG HELP are Redis's", async () => {
    expect(
      await compareScript(pair(), [
        ["DEBUG", "HTSTATS", "0"],
        ["DEBUG", "HTSTATS", "16"],
        ["DEBUG", "HTSTATS", "-1"],
        ["DEBUG", "HTSTATS", "x"],
        ["DEBUG", "HTSTATS", "0", "full"],
        ["DEBUG", "HTSTATS-KEY", "missing"],
        ["SET", "s", "v"],
        ["DEBUG", "HTSTATS-KEY", "s"],
        ["HSET", "h", "f", "v"],
        ["DEBUG", "HTSTATS-KEY", "h"],
        ["SADD", "ints", "1", "2"],
        ["DEBUG", "HTSTATS-KEY", "ints"],
        ["ZADD", "z", "1", "a"],
        ["DEBUG", "HTSTATS-KEY", "z"],
        ["RPUSH", "l", "a"],
        ["DEBUG", "HTSTATS-KEY", "l"],
        ["DEBUG", "LISTPACK", "missing"],
        ["DEBUG", "LISTPACK", "s"],
        ["DEBUG", "LISTPACK", "l"],
        ["DEBUG", "LISTPACK", "ints"],
        ["DEBUG", "HTSTATS-KEY", "h", "extra"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "-1"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5x"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4gb"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4293918721"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4293918720"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1GB"],
        ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
        ["FLUSHALL"],
        ["DEBUG", "HTSTATS", "0"],
        ["DEBUG", "HTSTATS", "3"],
      ]),
    ).toEqual([]);
  });

  test("HTSTATS and HTSTATS-KEY describe Bunker's tables in Redis's layout", async () => {
    const { b, r } = pair();
    for (const client of [b, r]) {
      await client.call("SELECT", "2");
      await client.call("DEBUG", "POPULATE", "300");
      for (let i = 0; i < 40; i++) await client.call("EXPIRE", `key:${i}`, "1000");
      await client.call("HSET", "bighash", ...Array.from({ length: 600 }, (_, i) => [`f${i}`, "v"]).flat());
      await client.call("SADD", "bigset", ...Array.from({ length: 200 }, (_, i) => `m${i}`));
      await client.call("ZADD", "bigzset", ...Array.from({ length: 150 }, (_, i) => [String(i), `m${i}`]).flat());
      await client.call("SELECT", "0");
    }
    const layout = (text: string) => text.replace(/\d+(\.\d+)?/g, "N").replace(/( {3}N: N \(N%\)\n)+/g, "<histogram>");
    const ours = body(await b.callRaw("DEBUG", "HTSTATS", "2"));
    const theirs = body(await r.callRaw("DEBUG", "HTSTATS", "2"));
    // Redis may be rehashing (a "rehashing target" table): compare the main tables' layout.
    const mainTables = (text: string) => text.split(/(?=\[Expires HT\])/).map((part) => part.split("Hash table 1")[0]!);
    expect(mainTables(ours).map(layout)).toEqual(mainTables(theirs).map(layout));
    const [dictionary, expires] = ours.split("[Expires HT]\n") as [string, string];
    checkTable(dictionary.slice("[Dictionary HT]\n".length), 303);
    checkTable(expires, 40);
    for (const key of ["bighash", "bigset", "bigzset"]) {
      await b.call("SELECT", "2");
      await r.call("SELECT", "2");
      const [mine, redis] = [body(await b.callRaw("DEBUG", "HTSTATS-KEY", key)), body(await r.callRaw("DEBUG", "HTSTATS-KEY", key))];
      expect(layout(mine.split("Hash table 1")[0]!)).toBe(layout(redis.split("Hash table 1")[0]!));
      expect(mine).toStartWith("Hash table 0 stats (main hash table):\n table size: ");
      checkTable(mine, key === "bighash" ? 600 : key === "bigset" ? 200 : 150);
    }
    await b.call("SELECT", "0");
    await r.call("SELECT", "0");
  });

  test("DEBUG LISTPACK prints lpRepr's text on standard output", async () => {
    const p = pair();
    const big = "x".repeat(41);
    const wide = "y".repeat(64);
    const script = [
      ["HSET", "lh", "f", "v", "n", "12", "neg", "-5000", "big", "300000", "huge", "-9000000000", "long", big, "longer", wide],
      ["ZADD", "lz", "1.5", "a", "2", "b", "-3", "c", "1e300", "d"],
    ];
    expect(await compareScript(p, script)).toEqual([]);
    const printed = async (server: Pair["bunker"], client: Pair["b"], key: string, marker: string) => {
      const from = server.output().length;
      expect(await client.call("DEBUG", "LISTPACK", key)).toBe("Listpack structure printed on stdout");
      // Redis's printf output reaches the pipe when its log flushes standard output.
      await client.call("DEBUG", "LOG", marker);
      await waitFor(() => server.output().slice(from).includes(marker), { what: "the log line after the listpack" });
      const text = server.output().slice(from);
      return text.slice(text.indexOf("{total bytes"), text.indexOf("{end}\n\n") + 7).replace(/addr: 0x[0-9a-f]+/g, "addr: <address>");
    };
    for (const key of ["lh", "lz"]) {
      const ours = await printed(p.bunker, p.b, key, `after-${key}`);
      const theirs = await printed(p.redis, p.r, key, `after-${key}`);
      expect(ours.length).toBeGreaterThan(50);
      expect(ours).toBe(theirs);
    }
  });

  test("a lowered QUICKLIST-PACKED-THRESHOLD makes plain nodes as Redis's", async () => {
    const p = pair();
    const large = (n: number) => `large-${n}-${"z".repeat(20 + n)}`;
    const script: string[][] = [
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "30b"],
      ["RPUSH", "pl", "a", "b", large(1), "c", "d", "e"],
      ["LPUSH", "pl", large(2)],
      ["RPUSH", "pl", large(3), "f"],
      ["LINSERT", "pl", "BEFORE", "d", large(4)],
      ["LINSERT", "pl", "AFTER", large(1), "g"],
      ["LINSERT", "pl", "AFTER", large(1), large(5)],
      ["LSET", "pl", "0", "small"],
      ["LSET", "pl", "1", large(6)],
      ["LSET", "pl", "3", large(7)],
      ["LSET", "pl", "5", large(8)],
      ["LRANGE", "pl", "0", "-1"],
      ["LPOS", "pl", large(7)],
      ["DUMP", "pl"],
      ["DEBUG", "DIGEST-VALUE", "pl"],
      ["RPUSH", "n", "123", "1", "2", "99999999999999999999999999999999"],
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b"],
      ["RPUSH", "n", "7", "123456", "text"],
      ["DUMP", "n"],
      ["LRANGE", "n", "0", "-1"],
      ["LPOP", "pl", "3"],
      ["RPOP", "pl", "2"],
      ["DUMP", "pl"],
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"],
      ["RPUSH", "pl", large(9)],
      ["DUMP", "pl"],
    ];
    const mismatches = await compareScript(p, script);
    expect(mismatches).toEqual([]);
    // A payload with PLAIN containers loads back, plain nodes and all.
    const payload = Buffer.from((await p.r.callRaw("DUMP", "pl")).split("\r\n")[1]!, "latin1");
    expect(await p.b.call("RESTORE", "restored", "0", payload)).toBe("OK");
    expect(await p.b.call("DEBUG", "DIGEST-VALUE", "restored")).toEqual(await p.r.call("DEBUG", "DIGEST-VALUE", "pl"));
    const fields = (text: unknown) => String(text).replace(/^.*?encoding/, "encoding").replace(/ lru:\d+ lru_seconds_idle:\d+/, "");
    expect(fields(await p.b.call("DEBUG", "OBJECT", "pl"))).toBe(fields(await p.r.call("DEBUG", "OBJECT", "pl")));
    expect(fields(await p.b.call("DEBUG", "OBJECT", "restored"))).toBe(fields(await p.r.call("DEBUG", "OBJECT", "pl")));
    await p.b.call("DEL", "restored");
    expect(await p.b.call("DEBUG", "DIGEST")).toBe(await p.r.call("DEBUG", "DIGEST"));
  });
});
