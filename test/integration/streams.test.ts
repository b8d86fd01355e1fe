// Stream commands compared byte for byte with Redis 7.0.15: every option and error of XADD,
// XTRIM, XRANGE/XREVRANGE, XDEL, XLEN, XREAD, the consumer-group commands, XINFO and
// XSETID; RESP3; node layout under approximate trimming (XTRIM counts, radix-tree stats)
// over random workloads; the dirty counter and keyspace events; and blocking XREAD /
// XREADGROUP scenarios (XADD from other clients, MULTI/EXEC, deleted keys and groups,
// CLIENT UNBLOCK, timeouts). Times (delivery times, idle, seen-time) differ by a
// millisecond or so between two servers, so replies that carry them are compared with
// those numbers masked; everything else must be identical.

import { describe, expect, test } from "bun:test";
import { both, haveRedis, dirtyOf, usePair } from "../helpers/differential.ts";
import { runScenario, waitBlockedClients, type Step, type Transcript } from "../helpers/scenario.ts";
import { RawClient } from "../helpers/server.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

const registeredCommands = new CommandTable();
registerAllCommands(registeredCommands);
const havePubSub = registeredCommands.lookup("psubscribe") !== undefined;


const pair = usePair();

const d = haveRedis ? describe : describe.skip;

/**
 * Hides what depends on the clock: unix-ms timestamps (13 digits), and the small
 * millisecond counts of XINFO CONSUMERS "idle" and of XPENDING's idle column.
 */
function maskTimes(reply: string): string {
  return reply
    .replace(/:1\d{12}\r\n/g, ":<time>\r\n")
    .replace(/\$4\r\nidle\r\n:\d+\r\n/g, "$4\r\nidle\r\n:<idle>\r\n")
    .replace(/(\*4\r\n\$\d+\r\n[0-9-]+\r\n\$\d+\r\n[^\r]*\r\n):\d+(\r\n:\d+\r\n)/g, "$1:<idle>$2");
}

/** Runs commands on both servers; returns the mismatches (replies compared after maskTimes). */
async function compare(script: string[][], mask = false): Promise<string[]> {
  const mismatches: string[] = [];
  for (const command of script) {
    const [ours, theirs] = await Promise.all([pair().b.callRaw(...command), pair().r.callRaw(...command)]);
    const [a, b] = mask ? [maskTimes(ours), maskTimes(theirs)] : [ours, theirs];
    if (a !== b) mismatches.push(`${JSON.stringify(command)}\n   bunker: ${JSON.stringify(ours)}\n   redis:  ${JSON.stringify(theirs)}`);
  }
  return mismatches;
}

function words(lines: string): string[][] {
  return lines
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(/\s+/).map((word) => (word === "''" ? "" : word)));
}

d("stream commands match Redis", () => {
  test("XADD: explicit, partial and automatic IDs, NOMKSTREAM, trimming options, errors", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-1 a 1
      XADD s 1-1 a 1
      XADD s 1-* b 2
      XADD s 1-* b 2 c 3
      XADD s 0-0 a 1
      XADD n 0-0 a 1
      EXISTS n
      XADD n 0-* a 1
      XADD s 5 a
      XADD s 5
      XADD s NOMKSTREAM 5 a b
      XADD missing NOMKSTREAM * a b
      EXISTS missing
      XADD s MAXLEN 2 6-0 a b
      XLEN s
      XRANGE s - +
      XADD s MAXLEN ~ 2 7-0 a b
      XADD s MAXLEN = 2 8-0 a b
      XADD s MAXLEN -1 9-0 a b
      XADD s MAXLEN abc 9-0 a b
      XADD s MAXLEN 1 MINID 1 9-0 a b
      XADD s MINID 1 MAXLEN 1 9-0 a b
      XADD s LIMIT 10 9-0 a b
      XADD s LIMIT 0 9-0 a b
      XADD s MAXLEN 5 LIMIT 10 9-0 a b
      XADD s MAXLEN ~ 5 LIMIT 10 9-0 a b
      XADD s MAXLEN ~ 5 LIMIT -1 9-0 a b
      XADD s MAXLEN ~ 9-0 a b
      XADD s MAXLEN
      XADD s MINID - 10-0 a b
      XADD s MINID + 10-0 a b
      XADD s MINID 7 10-0 a b
      XADD s MINID ~ 7 11-0 a b
      XRANGE s - +
      XADD s bad-id a b
      XADD s 12-x a b
      XADD s 18446744073709551616-0 a b
      XADD s 18446744073709551615-18446744073709551615 a b
      XADD s * a b
      XADD s 18446744073709551615-* a b
      XADD t 18446744073709551615-18446744073709551614 a b
      XADD t 18446744073709551615-* a b
      XADD t 18446744073709551615-18446744073709551615 a b
      XADD t * a b
      XADD u 18446744073709551615-* a b
      XADD u 18446744073709551615-* a b
      XADD s nomkstream MAXLEN 100 13-0 x y
      XADD s 14-0 f
      XADD s 14-0 f v g
      XADD s 14-0 ''
      XADD s 14-0 '' ''
      XADD s 15 dup 1 dup 2
      XRANGE s 14 15
      OBJECT ENCODING s
      TYPE s
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("XADD * generates increasing IDs in the current millisecond", async () => {
    await both(pair(), "FLUSHALL");
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(String(await pair().b.call("XADD", "auto", "*", "f", String(i))));
    const parsed = ids.map((text) => text.split("-").map(BigInt));
    for (let i = 1; i < parsed.length; i++) {
      const [ms, seq] = parsed[i]!;
      const [prevMs, prevSeq] = parsed[i - 1]!;
      expect(ms! > prevMs! || (ms === prevMs && seq! > prevSeq!)).toBe(true);
    }
    expect(Number(parsed[0]![0])).toBeGreaterThanOrEqual(now - 1000);
    // With a top item in the future, * continues its sequence.
    await pair().b.call("XADD", "future", "99999999999999-5", "f", "v");
    expect(await pair().b.call("XADD", "future", "*", "f", "v")).toBe("99999999999999-6");
    expect(await pair().b.call("XADD", "future", "99999999999999-*", "f", "v")).toBe("99999999999999-7");
  });

  test("XTRIM: strategies, exact and approximate, LIMIT, errors", async () => {
    await both(pair(), "FLUSHALL");
    const adds = Array.from({ length: 250 }, (_, i) => ["XADD", "s", `${i + 1}-0`, "field", String(i)]);
    const script = [
      ...adds,
      ...words(`
        XTRIM s
        XTRIM s MAXLEN
        XTRIM s MAXLEN 1 junk
        XTRIM s FOO 1
        XTRIM s LIMIT 5
        XTRIM s MAXLEN x
        XTRIM s MAXLEN -3
        XTRIM s MAXLEN 5 MINID 3
        XTRIM s MAXLEN = 200 LIMIT 5
        XTRIM missing MAXLEN 1
        XTRIM missing MAXLEN x
        XTRIM s MAXLEN ~ 230
        XTRIM s MAXLEN ~ 190
        XLEN s
        XTRIM s MAXLEN ~ 10 LIMIT 50
        XTRIM s MAXLEN ~ 10 LIMIT 150
        XTRIM s MAXLEN ~ 10 LIMIT 0
        XLEN s
        XTRIM s MINID ~ 240
        XTRIM s MINID 245
        XRANGE s - + COUNT 2
        XTRIM s MINID = 247
        XTRIM s MAXLEN = 1
        XRANGE s - +
        XTRIM s MAXLEN 0
        XLEN s
        EXISTS s
        XINFO STREAM s
      `),
    ];
    expect(await compare(script)).toEqual([]);
  });

  test("XRANGE / XREVRANGE: special and exclusive bounds, COUNT, errors", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-1 a 1
      XADD s 1-2 b 2
      XADD s 2-0 c 3 d 4
      XADD s 3-5 e 5
      XRANGE s - +
      XRANGE s 1 1
      XRANGE s 1-2 +
      XRANGE s (1-1 +
      XRANGE s (1-2 (3-5
      XRANGE s - + COUNT 2
      XRANGE s - + COUNT 0
      XRANGE s - + COUNT -1
      XRANGE s - + COUNT x
      XRANGE s - + COUNT 1 COUNT 2
      XRANGE s - + LIMIT 2
      XRANGE s - + COUNT
      XRANGE s (- +
      XRANGE s - (+
      XRANGE s ( +
      XRANGE s (18446744073709551615-18446744073709551615 +
      XRANGE s - (0-0
      XRANGE s - (0
      XRANGE s x +
      XRANGE s 01 2
      XRANGE s 1-18446744073709551616 2
      XRANGE s 18446744073709551616 +
      XRANGE s -1 +
      XRANGE s 2 1
      XRANGE missing - +
      XRANGE missing - + COUNT 0
      XRANGE missing x +
      XREVRANGE s + -
      XREVRANGE s + - COUNT 1
      XREVRANGE s (3-5 -
      XREVRANGE s 2 1
      XREVRANGE s 2 (1-1
      XREVRANGE s - +
      XREVRANGE s + - COUNT 0
      XREVRANGE missing + -
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("XDEL, XLEN and XINFO STREAM (plain, FULL, COUNT), XINFO/XGROUP help and errors", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-1 a 1
      XADD s 1-2 b 2
      XADD s 2-0 c 3 d 4
      XADD s 3-5 e 5
      XINFO STREAM s
      XINFO STREAM s FULL
      XINFO STREAM s full COUNT 2
      XINFO STREAM s FULL COUNT 0
      XINFO STREAM s FULL COUNT -5
      XINFO STREAM s FULL COUNT x
      XINFO STREAM s FULL COUNT 1 COUNT 2
      XINFO STREAM s FULL COUNT
      XINFO STREAM s FULL FULL
      XINFO STREAM s FULL FOO 1
      XINFO STREAM s FOO
      XDEL s 1-1 9-9
      XDEL s x
      XDEL s 2-0 bad
      XDEL missing bad
      XDEL s 1-2 1-2
      XINFO STREAM s
      XDEL s 3-5 2-0
      XINFO STREAM s
      XINFO STREAM s FULL
      XLEN s
      XLEN missing
      XRANGE s - +
      XINFO STREAM missing
      XINFO GROUPS missing
      XINFO CONSUMERS missing g
      XINFO GROUPS s
      XINFO CONSUMERS s g
      XINFO HELP
      XINFO HELP x
      XINFO FOO s
      XINFO
      XINFO GROUPS s x
      XINFO CONSUMERS s
      XINFO STREAM
      XGROUP HELP
      XGROUP HELP x
      XGROUP FOO
      XGROUP
      XGROUP CREATE s
      XGROUP DESTROY s
      XADD s MAXLEN 0 9-0 a b
      XINFO STREAM s
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("COPY keeps the nodes (tombstones included), counters, groups, consumers and PELs", async () => {
    await both(pair(), "FLUSHALL");
    const adds = Array.from({ length: 150 }, (_, i) => ["XADD", "s", `${i + 1}-0`, "f", "v"]);
    const deletes = Array.from({ length: 50 }, (_, i) => ["XDEL", "s", `${i + 1}-0`]);
    const script = [
      ...adds,
      ...deletes,
      ...words(`
        XGROUP CREATE s g 0
        XGROUP CREATECONSUMER s g idle
        XREADGROUP GROUP g alice COUNT 3 STREAMS s >
        XREADGROUP GROUP g bob COUNT 2 STREAMS s >
        COPY s c
        XINFO STREAM c
        XINFO STREAM c FULL
        XPENDING c g
        XADD c 151-0 f v
        XADD c 152-0 other field
        XINFO STREAM c
        XACK c g 51-0
        XPENDING s g
        XINFO STREAM s
      `),
    ];
    expect(await compare(script, true)).toEqual([]);
  });

  test("XREAD without BLOCK (and with BLOCK when data is there)", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-1 a 1
      XADD s 1-2 b 2
      XADD s 2-0 c 3 d 4
      XADD s 3-5 e 5
      XREAD STREAMS s 0
      XREAD COUNT 2 STREAMS s 0
      XREAD COUNT 2 STREAMS s s 0 1-2
      XREAD STREAMS s $
      XREAD STREAMS s missing 0 0
      XREAD STREAMS missing 0
      XREAD STREAMS missing $
      XREAD STREAMS s
      XREAD STREAMS s 0 1
      XREAD STREAMS
      XREAD COUNT x STREAMS s 0
      XREAD COUNT -1 STREAMS s 0
      XREAD COUNT 0 STREAMS s 0
      XREAD BLOCK x STREAMS s 0
      XREAD BLOCK -1 STREAMS s 0
      XREAD BLOCK 1.5 STREAMS s 0
      XREAD BLOCK 10 STREAMS s 0
      XREAD BLOCK 9223372036854775807 STREAMS s 0
      XREAD GROUP g c STREAMS s 0
      XREAD NOACK STREAMS s 0
      XREAD STREAMS s >
      XREAD STREAMS s +
      XREAD STREAMS s -
      XREAD STREAMS s 3-5
      XREAD STREAMS s 3-4
      XREAD STREAMS s 18446744073709551615-18446744073709551615
      XREAD FOO STREAMS s 0
      XREAD COUNT 1
      xread count 1 streams s 0
      SET str x
      XREAD STREAMS str 0
      XREAD STREAMS s str 0 x
      XREAD STREAMS s str x 0
      XDEL s 3-5
      XREAD STREAMS s 2-0
      XREAD STREAMS s 2-1
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("consumer groups: XGROUP subcommands, XREADGROUP, XPENDING, XACK, XINFO GROUPS/CONSUMERS", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-1 a 1
      XADD s 1-2 b 2
      XADD s 2-0 c 3 d 4
      XADD s 3-5 e 5
      SET str x
      XREADGROUP STREAMS s 0
      XREADGROUP GROUP g c STREAMS s 0
      XREADGROUP GROUP g c STREAMS missing 0
      XREADGROUP GROUP g c STREAMS str 0
      XREADGROUP GROUP g c NOACK
      XGROUP CREATE s g 0
      XREADGROUP GROUP g c STREAMS s $
      XREADGROUP GROUP g c STREAMS s x
      XREADGROUP GROUP g c STREAMS s > 0
      XREADGROUP GROUP g c STREAMS s missing > >
      XREADGROUP GROUP g c COUNT 2 STREAMS s >
      XINFO GROUPS s
      XINFO STREAM s FULL
      XREADGROUP GROUP g c STREAMS s 0
      XREADGROUP GROUP g c STREAMS s 1-1
      XREADGROUP GROUP g c COUNT 1 STREAMS s 0
      XREADGROUP GROUP g c2 STREAMS s >
      XREADGROUP GROUP g c2 STREAMS s >
      XREADGROUP GROUP g c2 BLOCK 0 STREAMS s 0
      XREADGROUP GROUP g c3 NOACK STREAMS s >
      XREADGROUP GROUP g c2 STREAMS s s > 0
      XDEL s 1-1
      XREADGROUP GROUP g c STREAMS s 0
      XREADGROUP GROUP g c STREAMS s 18446744073709551615-18446744073709551614
      XPENDING s g
      XPENDING s g - + 10
      XPENDING s g - + 10 c
      XPENDING s g - + 10 nobody
      XPENDING s g - + 0
      XPENDING s g - + -1
      XPENDING s g (1-1 + 10
      XPENDING s g - (2-0 10
      XPENDING s g IDLE 0 - + 10
      XPENDING s g IDLE 100000 - + 10
      XPENDING s g IDLE -5 - + 1
      XPENDING s g IDLE x - + 10
      XPENDING s g IDLE 10 - +
      XPENDING s g IDLE 10 - + 1 c2 extra
      XPENDING s g - + x
      XPENDING s g x + 10
      XPENDING s g - x 10
      XPENDING s g (18446744073709551615-18446744073709551615 + 10
      XPENDING s g - +
      XPENDING s g - + 1 c extra
      XPENDING s nog
      XPENDING missing g
      XPENDING str g
      XPENDING s nog - + x
      XINFO GROUPS s
      XINFO CONSUMERS s g
      XINFO STREAM s
      XGROUP CREATE s g $
      XGROUP CREATE s g2 $
      XGROUP CREATE s g3 -
      XGROUP CREATE s g3 +
      XGROUP CREATE s g4 x
      XGROUP CREATE s g5 0 MKSTREAM
      XGROUP CREATE s g6 0 ENTRIESREAD 3
      XGROUP CREATE s g7 0 ENTRIESREAD -1
      XGROUP CREATE s g8 0 ENTRIESREAD -2
      XGROUP CREATE s g9 0 ENTRIESREAD x
      XGROUP CREATE s g10 0 FOO
      XGROUP CREATE s g11 0 ENTRIESREAD
      XGROUP CREATE s g12 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
      XGROUP CREATE s g13 x FOO
      XGROUP CREATE m g 0
      XGROUP CREATE m g $ MKSTREAM
      XINFO STREAM m
      XINFO GROUPS m
      XGROUP CREATE str g 0
      XGROUP CREATE str g 0 MKSTREAM
      XGROUP SETID s g 0
      XGROUP SETID s g -
      XGROUP SETID s g +
      XGROUP SETID s g $
      XGROUP SETID s g 1 ENTRIESREAD 5
      XGROUP SETID s g 1 ENTRIESREAD -3
      XGROUP SETID s g 1 FOO 5
      XGROUP SETID s g 1 ENTRIESREAD x
      XGROUP SETID s g 1 ENTRIESREAD
      XGROUP SETID s nog 1
      XGROUP SETID missing g 1
      XGROUP SETID str g 1
      XGROUP SETID s g x
      XINFO GROUPS s
      XGROUP CREATECONSUMER s g c
      XGROUP CREATECONSUMER s g new
      XGROUP CREATECONSUMER s nog new
      XGROUP CREATECONSUMER missing g new
      XGROUP DELCONSUMER s g c
      XGROUP DELCONSUMER s g nobody
      XGROUP DELCONSUMER s nog c
      XGROUP DESTROY s g6
      XGROUP DESTROY s g6
      XGROUP DESTROY missing g6
      XGROUP DESTROY str g6
      XINFO GROUPS s
      XINFO CONSUMERS s g
      XINFO CONSUMERS s nog
      XACK s g 2-0 3-5 9-0
      XACK s g 2-0
      XACK s g bad
      XACK s nog bad
      XACK missing g bad
      XACK str g 1-0
      XPENDING s g
    `);
    expect(await compare(script, true)).toEqual([]);
  });

  test("XCLAIM, XAUTOCLAIM and XSETID", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 1-0 a 1
      XADD s 2-0 b 2
      XADD s 3-0 c 3
      XADD s 4-0 d 4
      XADD s 5-0 e 5
      SET str x
      XGROUP CREATE s g 0
      XREADGROUP GROUP g alice COUNT 3 STREAMS s >
      XCLAIM s g bob 0 1-0
      XCLAIM s g bob 0 1-0 JUSTID
      XCLAIM s g bob 0 2-0 3-0 TIME 1000 RETRYCOUNT 7
      XINFO STREAM s FULL
      XCLAIM s g bob 100000 1-0
      XCLAIM s g carol 0 4-0
      XCLAIM s g carol 0 4-0 FORCE
      XCLAIM s g carol 0 5-0 FORCE JUSTID TIME 5
      XINFO STREAM s FULL
      XCLAIM s g carol 0 9-0 FORCE
      XCLAIM s g dave 0 1-0 LASTID 10-0 JUSTID
      XINFO GROUPS s
      XCLAIM s g dave 0 LASTID 20-0
      XCLAIM s g dave 0 LASTID 5-0
      XCLAIM s g dave 0 LASTID 30-0 BOGUS
      XINFO GROUPS s
      XCLAIM s g dave x 1-0
      XCLAIM s g dave -5 1-0 JUSTID TIME 10
      XCLAIM s g dave 0 1-0 IDLE x
      XCLAIM s g dave 0 1-0 TIME x
      XCLAIM s g dave 0 1-0 RETRYCOUNT x
      XCLAIM s g dave 0 1-0 LASTID x
      XCLAIM s g dave 0 1-0 FOO
      XCLAIM s g dave 0 1-0 IDLE
      XCLAIM s g dave 0 1-0 TIME -5 JUSTID
      XCLAIM s g dave 0 1-0 TIME 99999999999999 JUSTID
      XCLAIM s g dave 0 bad
      XCLAIM s nog dave 0 1-0
      XCLAIM s nog dave x 1-0
      XCLAIM missing g dave 0 1-0
      XCLAIM str g dave 0 1-0
      XCLAIM s g dave 0 1-0 JUSTID IDLE 5000
      XPENDING s g IDLE 4000 - + 10
      XINFO CONSUMERS s g
      XDEL s 2-0
      XCLAIM s g erin 0 2-0 3-0 JUSTID
      XPENDING s g - + 10 erin
      XINFO GROUPS s
      XAUTOCLAIM s g frank 0 0
      XAUTOCLAIM s g frank 0 0 COUNT 1
      XAUTOCLAIM s g frank 0 0 COUNT 1 JUSTID
      XAUTOCLAIM s g frank 0 (1-0 COUNT 1 JUSTID
      XAUTOCLAIM s g frank 0 (18446744073709551615-18446744073709551615
      XAUTOCLAIM s g frank 0 - JUSTID
      XAUTOCLAIM s g frank 0 + JUSTID
      XAUTOCLAIM s g frank x 0
      XAUTOCLAIM s g frank 0 x
      XAUTOCLAIM s g frank 0 0 COUNT 0
      XAUTOCLAIM s g frank 0 0 COUNT -1
      XAUTOCLAIM s g frank 0 0 COUNT x
      XAUTOCLAIM s g frank 0 0 COUNT 1000000 JUSTID
      XAUTOCLAIM s g frank 0 0 COUNT 576460752303423487 JUSTID
      XAUTOCLAIM s g frank 0 0 COUNT 576460752303423488
      XAUTOCLAIM s g frank 0 0 FOO
      XAUTOCLAIM s g frank 0 0 COUNT
      XAUTOCLAIM s nog frank 0 0
      XAUTOCLAIM missing g frank 0 0
      XAUTOCLAIM str g frank 0 0
      XAUTOCLAIM s g frank 100000 0 JUSTID
      XINFO CONSUMERS s g
      XDEL s 1-0 3-0
      XAUTOCLAIM s g gina 0 0 COUNT 1 JUSTID
      XAUTOCLAIM s g gina 0 0 COUNT 2 JUSTID
      XAUTOCLAIM s g gina 0 0 JUSTID
      XPENDING s g
      XSETID s 1-0
      XSETID s 5-0
      XSETID s 10-0
      XINFO STREAM s
      XSETID s 11-0 ENTRIESADDED 2
      XSETID s 11-0 ENTRIESADDED 1
      XSETID s 11-0 ENTRIESADDED -1
      XSETID s 11-0 ENTRIESADDED x
      XSETID s 11-0 MAXDELETEDID 12-0
      XSETID s 11-0 MAXDELETEDID 10-0 ENTRIESADDED 100
      XINFO STREAM s
      XSETID s 9-0
      XSETID s 10-0 FOO
      XSETID s 10-0 ENTRIESADDED
      XSETID s x
      XSETID s -
      XSETID missing 1-0
      XSETID str 1-0
      XDEL s 4-0 5-0
      XSETID s 3-0
      XSETID s 3-0 MAXDELETEDID 3-0
      XINFO STREAM s
      XADD s 4-0 x y
      XADD s 3-1 x y
      XINFO STREAM s FULL
    `);
    expect(await compare(script, true)).toEqual([]);
  });

  test("appends after XSETID moved the last ID back below a MINID-trimmed node", async () => {
    await both(pair(), "FLUSHALL");
    const script = words(`
      XADD s 5-0 f v
      XADD s 6-0 f v
      XADD s 7-0 f v
      XDEL s 7-0
      XTRIM s MINID 7
      XINFO STREAM s
      XSETID s 0-5
      XADD s 0-6 f v
      XRANGE s - +
      XREVRANGE s + -
      XINFO STREAM s
      XADD s 0-7 g w
      XDEL s 0-6
      XRANGE s - +
      XINFO STREAM s FULL
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("WRONGTYPE and arity errors for every command", async () => {
    await both(pair(), "FLUSHALL");
    await Promise.all([pair().b.call("SET", "str", "x"), pair().r.call("SET", "str", "x")]);
    const script = words(`
      XADD str * a b
      XLEN str
      XRANGE str - +
      XREVRANGE str + -
      XDEL str 1
      XTRIM str MAXLEN 1
      XREAD STREAMS str 0
      XREADGROUP GROUP g c STREAMS str >
      XGROUP CREATE str g 0
      XGROUP SETID str g 0
      XGROUP DESTROY str g
      XGROUP CREATECONSUMER str g c
      XGROUP DELCONSUMER str g c
      XACK str g 1
      XPENDING str g
      XCLAIM str g c 0 1
      XAUTOCLAIM str g c 0 0
      XINFO STREAM str
      XINFO GROUPS str
      XINFO CONSUMERS str g
      XSETID str 1
      XADD s * a
      XADD s
      XLEN
      XLEN a b
      XRANGE s -
      XREVRANGE s +
      XDEL s
      XTRIM s MAXLEN
      XREAD STREAMS
      XREADGROUP GROUP g c STREAMS s
      XGROUP CREATE s g
      XGROUP SETID s g
      XGROUP DESTROY s
      XGROUP DESTROY s g x
      XGROUP CREATECONSUMER s g
      XGROUP DELCONSUMER s g c d
      XGROUP HELP x
      XACK s g
      XPENDING s
      XCLAIM s g c 0
      XAUTOCLAIM s g c 0
      XINFO STREAM
      XINFO GROUPS
      XINFO CONSUMERS s
      XINFO HELP x
      XSETID s
      XGROUP
      XINFO
    `);
    expect(await compare(script)).toEqual([]);
  });

  test("RESP3 replies", async () => {
    await both(pair(), "FLUSHALL");
    await Promise.all([pair().b.callRaw("HELLO", "3"), pair().r.callRaw("HELLO", "3")]);
    try {
      const script = words(`
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        XADD missing NOMKSTREAM * a b
        XRANGE s - +
        XRANGE s - + COUNT 0
        XREVRANGE s + - COUNT 1
        XREAD STREAMS s missing 0 0
        XREAD STREAMS missing 0
        XREAD STREAMS s $
        XGROUP CREATE s g 0
        XGROUP CREATE s empty $
        XREADGROUP GROUP g c STREAMS s >
        XDEL s 1-0
        XREADGROUP GROUP g c STREAMS s 0
        XPENDING s g
        XPENDING s empty
        XPENDING s g - + 10 nobody
        XINFO STREAM s
        XINFO STREAM s FULL
        XINFO GROUPS s
        XINFO CONSUMERS s g
        XAUTOCLAIM s g d 0 0 JUSTID
        XCLAIM s g d 0 2-0 JUSTID
        XADD e MAXLEN 0 1-0 a b
        XINFO STREAM e
        XINFO HELP
      `);
      expect(await compare(script, true)).toEqual([]);
    } finally {
      await Promise.all([pair().b.callRaw("HELLO", "2"), pair().r.callRaw("HELLO", "2")]);
    }
  });

  test("COMMAND GETKEYS for XREAD and XREADGROUP", async () => {
    const script = words(`
      COMMAND GETKEYS XREAD COUNT 1 STREAMS a b 0 0
      COMMAND GETKEYS XREAD BLOCK 0 STREAMS streams 0
      COMMAND GETKEYS XREADGROUP GROUP streams c STREAMS a 0
      COMMAND GETKEYS XREADGROUP GROUP g c NOACK COUNT 2 STREAMS a b c > > >
      COMMAND GETKEYS XADD s * a b
      COMMAND GETKEYS XGROUP CREATE s g $
      COMMAND GETKEYS XINFO STREAM s
    `);
    expect(await compare(script)).toEqual([]);
  });
});

d("WATCH sees the stream changes Redis signals", () => {
  test("XADD and XDEL/XTRIM that remove entries abort a transaction; no-op XDEL/XTRIM do not", async () => {
    const commands = words(`
      XADD s 9-0 a b
      XDEL s 1-0
      XDEL s 7-0
      XTRIM s MAXLEN 1
      XTRIM s MAXLEN 100
      XTRIM s MAXLEN ~ 1
      XTRIM s MINID 0
      XADD s 1-0 too small
      XLEN s
      XRANGE s - +
    `);
    const outcomes: string[][] = [[], []];
    for (const command of commands) {
      for (const [index, port] of [pair().bunker.port, pair().redis.port].entries()) {
        const [watcher, other] = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
        try {
          await watcher.call("FLUSHALL");
          await watcher.call("XADD", "s", "1-0", "a", "1");
          await watcher.call("XADD", "s", "2-0", "a", "1");
          await watcher.call("WATCH", "s");
          await other.call(...command);
          await watcher.call("MULTI");
          await watcher.call("PING");
          outcomes[index]!.push(`${command.join(" ")}: ${await watcher.callRaw("EXEC")}`);
        } finally {
          watcher.close();
          other.close();
        }
      }
    }
    expect(outcomes[0]).toEqual(outcomes[1]!);
    expect(outcomes[0]!.filter((line) => line.endsWith("*-1\r\n")).length).toBe(3);
  });
});

// ---- node layout ---------------------------------------------------------------------------

d("node layout matches Redis under random workloads", () => {
  /** A small deterministic PRNG (the same sequence on every run). */
  function lcg(seed: number): (bound: number) => number {
    let state = seed;
    return (bound) => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return Math.floor((state / 0x7fffffff) * bound);
    };
  }

  test("XTRIM/XADD trimming counts, XINFO radix-tree stats, with various node limits", async () => {
    const mismatches: string[] = [];
    for (const [seed, maxEntries, maxBytes] of [
      [1, 100, 4096],
      [2, 3, 0],
      [3, 0, 200],
      [4, 10, 50],
      [5, 1, 4096],
    ] as const) {
      const random = lcg(seed);
      const script: string[][] = [
        ["FLUSHALL"],
        ["CONFIG", "SET", "stream-node-max-entries", String(maxEntries)],
        ["CONFIG", "SET", "stream-node-max-bytes", String(maxBytes)],
      ];
      let ms = 1;
      for (let i = 0; i < 250; i++) {
        const op = random(20);
        if (op < 12) {
          // Mostly close IDs, sometimes far ones (deeper rax branching).
          ms += random(5) === 0 ? random(1e9) * (random(2) ? 1 : 4096) : random(3);
          const args = ["XADD", "s"];
          if (random(8) === 0) {
            args.push("MAXLEN");
            const modifier = ["~", "=", ""][random(3)]!;
            if (modifier !== "") args.push(modifier);
            args.push(String(random(50)));
          }
          args.push(`${ms}-*`);
          for (let f = 0, fields = 1 + random(3); f < fields; f++) {
            args.push(random(2) ? `f${f}` : `g${random(5)}`, random(4) === 0 ? "x".repeat(random(100)) : String(random(1000)));
          }
          script.push(args);
        } else if (op < 15) {
          script.push(["XDEL", "s", `${1 + random(ms)}-0`, `${1 + random(ms)}-1`]);
        } else if (op < 17) {
          const byLength = random(2) === 0;
          const args = ["XTRIM", "s", byLength ? "MAXLEN" : "MINID"];
          const mode = random(3);
          if (mode === 1) args.push("~");
          else if (mode === 2) args.push("=");
          args.push(String(byLength ? random(80) : random(ms + 2)));
          if (mode === 1 && random(2) === 0) args.push("LIMIT", String(random(30)));
          script.push(args);
        } else {
          script.push(["XINFO", "STREAM", "s"]);
        }
      }
      script.push(["XINFO", "STREAM", "s", "FULL", "COUNT", "0"]);
      mismatches.push(...(await compare(script)));
    }
    await Promise.all([
      pair().b.call("CONFIG", "SET", "stream-node-max-entries", "100"),
      pair().r.call("CONFIG", "SET", "stream-node-max-entries", "100"),
      pair().b.call("CONFIG", "SET", "stream-node-max-bytes", "4096"),
      pair().r.call("CONFIG", "SET", "stream-node-max-bytes", "4096"),
    ]);
    expect(mismatches).toEqual([]);
  });
});

// ---- dirty counter and keyspace events -------------------------------------------------------

d("side effects match Redis", () => {
  const script = words(`
    XADD s 1-0 a 1
    XADD s 2-0 b 2
    XADD s 3-0 c 3
    XADD s MAXLEN 1 4-0 d 4
    XADD s 3-0 d 4
    XADD n NOMKSTREAM * a 1
    XTRIM s MAXLEN 0
    XTRIM s MAXLEN 0
    XADD s 5-0 e 5
    XADD s 6-0 e 5
    XADD s 7-0 e 5
    XDEL s 5-0 9-0 6-0
    XDEL s 9-0
    XGROUP CREATE s g 0
    XGROUP CREATE s g 0
    XGROUP CREATE m g $ MKSTREAM
    XGROUP CREATECONSUMER s g c1
    XGROUP CREATECONSUMER s g c1
    XREADGROUP GROUP g c2 STREAMS s >
    XREADGROUP GROUP g c2 STREAMS s >
    XREADGROUP GROUP g c2 STREAMS s 0
    XREADGROUP GROUP g c3 STREAMS s 0
    XREADGROUP GROUP g c4 STREAMS s m > >
    XADD s 8-0 x 1
    XADD s 9-0 x 1
    XREADGROUP GROUP g c5 NOACK STREAMS s >
    XACK s g 7-0 7-0 8-0
    XCLAIM s g c6 0 7-0
    XCLAIM s g c6 0 7-0 FORCE
    XCLAIM s g c6 0 9-0 FORCE JUSTID
    XCLAIM s g c6 0 LASTID 100-0
    XCLAIM s g c6 0 9-0 LASTID 200-0
    XCLAIM s g c6 0 8-0 LASTID 300-0
    XDEL s 9-0
    XCLAIM s g c7 0 9-0 JUSTID
    XCLAIM s g c7 0 9-0 JUSTID
    XAUTOCLAIM s g c8 0 0
    XAUTOCLAIM s g c9 100000 0
    XADD s 10-0 a 1
    XCLAIM s g c6 0 10-0 FORCE
    XDEL s 10-0
    XAUTOCLAIM s g c9 0 0
    XGROUP SETID s g 0
    XGROUP SETID s g 0 ENTRIESREAD 1
    XGROUP DELCONSUMER s g c1
    XGROUP DELCONSUMER s g nobody
    XGROUP DESTROY s g
    XGROUP DESTROY s g
    XSETID s 500-0
    XSETID s 400-0 ENTRIESADDED 99
    XLEN s
    XRANGE s - +
    XREAD STREAMS s 0
    XINFO STREAM s
    DEL s
  `);

  test("rdb_changes_since_last_save moves like Redis's", async () => {
    await both(pair(), "FLUSHALL");
    const mismatches: string[] = [];
    for (const command of script) {
      const before = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
      const [ours, theirs] = await Promise.all([pair().b.callRaw(...command), pair().r.callRaw(...command)]);
      const after = await Promise.all([dirtyOf(pair().b), dirtyOf(pair().r)]);
      const [deltaOurs, deltaTheirs] = [after[0] - before[0], after[1] - before[1]];
      if (maskTimes(ours) !== maskTimes(theirs) || deltaOurs !== deltaTheirs) {
        mismatches.push(`${command.join(" ")}: ${JSON.stringify(ours)}/${deltaOurs} vs ${JSON.stringify(theirs)}/${deltaTheirs}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  test("keyspace hits and misses are counted like Redis's lookups", async () => {
    const commands = words(`
      XADD s 1-0 a 1
      XLEN s
      XLEN m
      XRANGE m - +
      XREAD STREAMS s m 0 0
      XGROUP CREATE s g 0
      XREADGROUP GROUP g c STREAMS s >
      XACK s g 1-0
      XACK m g 1-0
      XPENDING s g
      XCLAIM s g c 0 1-0
      XAUTOCLAIM s g c 0 0
      XINFO STREAM s
      XINFO GROUPS m
      XDEL s 1-0
      XTRIM s MAXLEN 0
      XSETID s 5-0
    `);
    const traces: string[][] = [];
    for (const client of [pair().b, pair().r]) {
      await client.call("FLUSHALL");
      await client.call("CONFIG", "RESETSTAT");
      const trace: string[] = [];
      for (const command of commands) {
        await client.call(...command);
        const stats = String(await client.call("INFO", "stats"));
        trace.push(`${command[0]} ${/keyspace_hits:(\d+)/.exec(stats)![1]}/${/keyspace_misses:(\d+)/.exec(stats)![1]}`);
      }
      traces.push(trace);
    }
    expect(traces[0]).toEqual(traces[1]!);
  });

  (havePubSub ? test : test.skip)("keyspace notifications carry Redis's event names, in Redis's order", async () => {
    await both(pair(), "FLUSHALL");
    const [subB, subR] = await Promise.all([RawClient.connect(pair().bunker.port), RawClient.connect(pair().redis.port)]);
    try {
      await Promise.all([pair().b.callRaw("CONFIG", "SET", "notify-keyspace-events", "KEA"), pair().r.callRaw("CONFIG", "SET", "notify-keyspace-events", "KEA")]);
      await Promise.all([subB.callRaw("PSUBSCRIBE", "__key*__:*"), subR.callRaw("PSUBSCRIBE", "__key*__:*")]);
      expect(await compare(script, true)).toEqual([]);
      const [ours, theirs] = await Promise.all([subB.drainBeforePing(), subR.drainBeforePing()]);
      for (const event of ["xadd", "xtrim", "xdel", "xgroup-create", "xgroup-createconsumer", "xgroup-setid", "xgroup-delconsumer", "xgroup-destroy", "xsetid"]) {
        expect(ours).toContain(`__keyevent@0__:${event}\r\n`);
      }
      expect(ours).toEqual(theirs);
    } finally {
      subB.close();
      subR.close();
      await Promise.all([pair().b.callRaw("CONFIG", "SET", "notify-keyspace-events", ""), pair().r.callRaw("CONFIG", "SET", "notify-keyspace-events", "")]);
    }
  });
});

// ---- blocking scenarios ------------------------------------------------------------------------

/**
 * One step of a multi-client scenario. `send` issues a command without waiting (the
 * client may block); `call` waits for the reply; a client's next step first waits for
 * its outstanding reply. `$id<n>` in arguments becomes client n's CLIENT ID.
 */
const CLIENTS = 5;

/** Runs the scenario on both servers, expects identical transcripts, returns Bunker's. */
async function compareScenario(steps: Step[]): Promise<Transcript> {
  await both(pair(), "FLUSHALL");
  const options = { clients: CLIENTS, mapReply: maskTimes };
  const [ours, theirs] = await Promise.all([runScenario(pair().bunker.port, steps, options), runScenario(pair().redis.port, steps, options)]);
  expect(ours).toEqual(theirs);
  return ours;
}

d("blocking XREAD / XREADGROUP matches Redis", () => {
  test("XADD from another client serves blocked readers in order, with COUNT and $", async () => {
    const transcript = await compareScenario([
      { c: 1, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "0"] },
      { c: 2, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"] },
      { c: 3, send: ["XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "other", "s", "0", "0"] },
      { blockedClients: true },
      { dirty: true },
      { c: 0, call: ["XADD", "s", "1-0", "a", "1"] },
      { dirty: true },
      { blockedClients: true },
      { c: 1, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["XADD", "s", "2-0", "b", "2"] },
      { c: 0, call: ["XADD", "s", "3-0", "c", "3"] },
      { c: 0, call: ["EXEC"] },
      { blockedClients: true },
    ]);
    expect(transcript.replies[1]![0]).toContain("$1\r\na\r\n");
    expect(transcript.probes).toEqual(["3", "0", "1", "0", "0"]);
  });

  test("XREADGROUP BLOCK: delivery to waiters, PEL and group state, NOACK, dirty counter", async () => {
    const transcript = await compareScenario([
      { c: 0, call: ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 2, send: ["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 3, send: ["XREADGROUP", "GROUP", "g", "carol", "NOACK", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", ">"] },
      { blockedClients: true },
      { dirty: true },
      { c: 0, call: ["XADD", "s", "1-0", "a", "1"] },
      { dirty: true },
      { blockedClients: true },
      { c: 0, call: ["XADD", "s", "2-0", "b", "2", "c", "3"] },
      { blockedClients: true },
      { c: 0, call: ["XPENDING", "s", "g"] },
      { c: 0, call: ["XINFO", "GROUPS", "s"] },
      { c: 0, call: ["XINFO", "STREAM", "s", "FULL"] },
      { c: 0, call: ["XADD", "s", "3-0", "d", "4"] },
      { c: 0, call: ["XINFO", "CONSUMERS", "s", "g"] },
    ]);
    expect(transcript.probes.slice(0, 2)).toEqual(["3", "1"]);
  });

  test("commandstats of unblocked commands: an error reply counts a failed call, as updateStatsOnUnblock does", async () => {
    const transcript = await compareScenario([
      { c: 0, call: ["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"] },
      { c: 0, call: ["CONFIG", "RESETSTAT"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "t", ">"] },
      { c: 0, call: ["XGROUP", "DESTROY", "t", "g"] },
      { blockedClients: true },
      { c: 2, send: ["BLPOP", "l", "0"] },
      { c: 0, call: ["RPUSH", "l", "a"] },
      { c: 2, send: ["BLPOP", "l", "0"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id2"] },
      { c: 2, send: ["BLPOP", "l", "0"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id2", "ERROR"] },
      { blockedClients: true },
    ]);
    expect(transcript.replies[1]).toEqual(["-NOGROUP the consumer group this client was blocked on no longer exists\r\n"]);
    // Redis lists commandstats in its hash table's order: compare the lines sorted.
    for (const client of [pair().b, pair().r]) {
      const stats = String(await client.call("INFO", "commandstats")).split("\r\n").filter((line) => /^cmdstat_(xreadgroup|blpop|client\|unblock):/.test(line));
      expect(stats.map((line) => line.replace(/usec=\d+,usec_per_call=[\d.]+,/, "")).sort()).toEqual([
        "cmdstat_blpop:calls=3,rejected_calls=0,failed_calls=2",
        "cmdstat_client|unblock:calls=2,rejected_calls=0,failed_calls=1",
        "cmdstat_xreadgroup:calls=1,rejected_calls=0,failed_calls=1",
      ]);
    }
  });

  test("a waiter whose key or group goes away gets Redis's error; XREAD waiters stay", async () => {
    await compareScenario([
      { c: 0, call: ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 2, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"] },
      { c: 0, call: ["DEL", "s"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "t", ">"] },
      { c: 0, call: ["XGROUP", "DESTROY", "t", "g"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "t", "g", "$"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "t", ">"] },
      { c: 0, call: ["SET", "t", "now a string"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "u", "g", "$", "MKSTREAM"] },
      { c: 3, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "u", ">"] },
      { c: 0, call: ["FLUSHALL"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "v", "g", "$", "MKSTREAM"] },
      { c: 3, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "v", ">"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["DEL", "v"] },
      { c: 0, call: ["XADD", "v", "1-0", "a", "1"] },
      { c: 0, call: ["EXEC"] },
      { blockedClients: true },
      // The plain XREAD waiter on s is still there: a new stream at s serves it.
      { c: 0, call: ["XADD", "s", "5-0", "x", "y"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "r", "g", "$", "MKSTREAM"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "r", ">"] },
      { c: 0, call: ["RENAME", "r", "renamed"] },
      { blockedClients: true },
      { c: 0, call: ["XGROUP", "CREATE", "w", "g", "$", "MKSTREAM"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "w", ">"] },
      { c: 2, send: ["XREAD", "BLOCK", "0", "STREAMS", "w", "$"] },
      { c: 0, call: ["SWAPDB", "0", "1"] },
      { blockedClients: true },
      { c: 0, call: ["SWAPDB", "0", "1"] },
      { c: 0, call: ["XADD", "w", "1-0", "x", "y"] },
      { blockedClients: true },
    ]);
  });

  test("a group reader is answered as soon as its key expires, with no other command", async () => {
    const outcomes: string[] = [];
    for (const port of [pair().bunker.port, pair().redis.port]) {
      const [control, waiter] = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
      try {
        await control.call("FLUSHALL");
        await control.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
        const reply = waiter.callRaw("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
        await waitBlockedClients(control, 1);
        await control.call("PEXPIRE", "s", "50");
        // The active expiry cycle removes the key and answers the waiter; nobody sends a command meanwhile.
        outcomes.push(await reply);
      } finally {
        control.close();
        waiter.close();
      }
    }
    expect(outcomes[0]).toBe("-UNBLOCKED the stream key no longer exists\r\n");
    expect(outcomes[0]).toBe(outcomes[1]!);
  });

  test("entries added and removed in one transaction, and a reader on several keys", async () => {
    await compareScenario([
      { c: 1, send: ["XREAD", "BLOCK", "0", "STREAMS", "q", "0"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["XADD", "q", "1-0", "a", "1"] },
      { c: 0, call: ["XDEL", "q", "1-0"] },
      { c: 0, call: ["EXEC"] },
      { c: 2, send: ["XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"] },
      { c: 0, call: ["XADD", "b", "1-0", "from", "b"] },
      { c: 0, call: ["XADD", "a", "1-0", "from", "a"] },
      { c: 3, send: ["XREAD", "BLOCK", "0", "STREAMS", "a", "a", "1-0", "0"] },
      { c: 0, call: ["XADD", "a", "2-0", "x", "y"] },
      { blockedClients: true },
    ]);
  });

  test("inside MULTI a blocking read answers at once; timeouts; CLIENT UNBLOCK", async () => {
    await compareScenario([
      { c: 0, call: ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"] },
      { c: 0, call: ["MULTI"] },
      { c: 0, call: ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"] },
      { c: 0, call: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 0, call: ["EXEC"] },
      { c: 1, send: ["XREAD", "BLOCK", "100", "STREAMS", "s", "$"] },
      { untilBlockedClients: 0 },
      { blockedClients: true },
      { c: 1, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id1"] },
      { c: 2, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id2", "TIMEOUT"] },
      { c: 3, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id3", "ERROR"] },
      { c: 0, call: ["CLIENT", "UNBLOCK", "$id3", "ERROR"] },
      { blockedClients: true },
      { c: 0, call: ["XADD", "s", "1-0", "a", "1"] },
      { c: 0, call: ["XPENDING", "s", "g"] },
    ]);
  });

  test("RESP3 waiters get RESP3 replies", async () => {
    const steps: Step[] = [
      { c: 1, call: ["HELLO", "3"] },
      { c: 1, send: ["XREAD", "BLOCK", "0", "STREAMS", "s", "0"] },
      { c: 0, call: ["XADD", "s", "1-0", "a", "1"] },
      { c: 0, call: ["XGROUP", "CREATE", "s", "g", "$"] },
      { c: 1, send: ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
      { c: 0, call: ["XADD", "s", "2-0", "b", "2"] },
      { c: 1, send: ["XREAD", "BLOCK", "50", "STREAMS", "s", "$"] },
      { untilBlockedClients: 0 },
    ];
    await both(pair(), "FLUSHALL");
    const options = { clients: CLIENTS, mapReply: maskTimes };
  const [ours, theirs] = await Promise.all([runScenario(pair().bunker.port, steps, options), runScenario(pair().redis.port, steps, options)]);
    // HELLO's own reply carries each server's identity: compare what follows it.
    expect(ours.replies[1]!.slice(1)).toEqual(theirs.replies[1]!.slice(1));
    expect(ours.replies[1]![1]).toStartWith("%1\r\n");
    expect(ours.replies[1]![3]).toBe("_\r\n");
    expect(ours.replies[0]).toEqual(theirs.replies[0]);
  });
});
