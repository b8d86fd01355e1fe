// A read of 16 KB or more is freed as soon as its requests ran (server.ts onRead, the
// parser's freeInput), or once the rest of a request it cut short moved on:
// arguments longer than ARG_COPY_LIMIT are views of their read, so whatever keeps one
// past its command must have copied it. The same commands with long arguments of every
// kind go to Bunker and to redis-server in one write (large reads, freed), cut at random
// places and around each long argument (reads of every boundary), and with a long last
// argument as a read of its own (the 20000-byte one is freed: an argument at offset 0 of
// a read); the replies, the dataset's digest and every value must be the same on both.

import { describe, expect, test } from "bun:test";
import { haveRedis, usePair, type CommandArgs, type Pair } from "../helpers/differential.ts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeCommand, RawClient, startBunker } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { ARG_COPY_LIMIT } from "../../src/protocol/parser.ts";
import { Random } from "../../src/util/random.ts";

const d = haveRedis ? describe : describe.skip;
const pair = usePair(["--enable-debug-command", "yes"]);

/** Random bytes of a length past ARG_COPY_LIMIT (the arena's range and beyond it). */
function longBytes(random: Random, tag: number): Uint8Array {
  const length = ARG_COPY_LIMIT + 1 + random.nextInt(6000);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random.nextInt(256);
  bytes[0] = tag & 0xff;
  return bytes;
}

/** Commands that keep long arguments in every kind of value, a transaction and a script. */
function script(random: Random, round: number): CommandArgs[] {
  const long = (n: number) => longBytes(random, n);
  const k = (name: string) => `${name}:${round}`;
  const bigKey = new Uint8Array([...new TextEncoder().encode(`bigkey:${round}:`), ...long(1)]);
  return [
    ["SET", k("s1"), long(2)],
    ["SET", k("s2"), long(3), "EX", "1000"],
    ["SET", bigKey, long(4)],
    ["MSET", k("m1"), long(5), k("m2"), long(6)],
    ["GETSET", k("s1"), long(7)],
    ["APPEND", k("a"), long(8)],
    ["APPEND", k("a"), long(9)],
    ["SETRANGE", k("r"), "3", long(10)],
    ["HSET", k("h"), "f1", long(11), long(12), "v2"],
    ["HSET", k("hbig"), ...Array.from({ length: 130 }, (_, i) => (i % 2 === 0 ? `f${i}` : long(i)))],
    ["RPUSH", k("l"), long(13), "x", long(14)],
    ["LPUSH", k("l"), long(15)],
    ["LSET", k("l"), "1", long(16)],
    ["SADD", k("set"), long(17), long(18), "m"],
    ["ZADD", k("z"), "1", long(19), "2", long(20)],
    ["XADD", k("x"), "1-1", "field", long(21), long(22), "v"],
    ["PFADD", k("hll"), long(23), long(24)],
    ["GEOADD", k("g"), "13.361389", "38.115556", long(25)],
    ["MULTI"],
    ["SET", k("t1"), long(26)],
    ["RPUSH", k("tl"), long(27)],
    ["EXEC"],
    ["EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('STRLEN', KEYS[1])", "1", k("e"), long(28)],
    ["ECHO", long(29)],
  ];
}

/** Sends the commands as one stream of bytes cut at `cuts` (offsets), a write per piece; returns the replies. */
async function run(client: RawClient, commands: CommandArgs[], cuts: number[]): Promise<string[]> {
  const wire = Buffer.concat(commands.map((command) => encodeCommand(command)));
  let from = 0;
  for (const cut of [...cuts.filter((at) => at > 0 && at < wire.length).sort((a, b) => a - b), wire.length]) {
    if (cut <= from) continue;
    client.write(wire.subarray(from, cut));
    from = cut;
    // Let the piece go out on its own, so that the server reads it apart from the next.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const replies: string[] = [];
  for (let i = 0; i < commands.length; i++) replies.push(await client.readRawReply());
  return replies;
}

/** Offsets around each long argument's bytes: after its "$<n>\r\n" header and after its CRLF. */
function aroundPayloads(commands: CommandArgs[]): number[] {
  const starts: number[] = [];
  let offset = 0;
  for (const command of commands) {
    offset += `*${command.length}\r\n`.length;
    for (const arg of command) {
      const length = typeof arg === "string" ? Buffer.byteLength(arg) : arg.length;
      offset += `$${length}\r\n`.length;
      offset += length + 2;
      if (length > ARG_COPY_LIMIT) starts.push(offset - length - 2, offset);
    }
  }
  return starts;
}

/**
 * The waiter sends `before` with the first `cut` bytes of the blocking command `block`,
 * then in another write the rest of it with the first 100 bytes of `after`; once it is
 * blocked (seen by `observer`), the rest of `after` in writes of the sizes `pieces`
 * cycles through, each let out on its own.
 */
async function blockAmidInput(waiter: RawClient, observer: RawClient, input: { before: Uint8Array; block: Uint8Array; cut: number; after: Uint8Array; pieces: number[] }): Promise<void> {
  const { before, block, cut, after, pieces } = input;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
  waiter.write(Buffer.concat([before, block.subarray(0, cut)]));
  await pause();
  waiter.write(Buffer.concat([block.subarray(cut), after.subarray(0, 100)]));
  await waitFor(async () => /blocked_clients:1\r/.test(String(await observer.call("INFO", "clients"))), { what: "the client to block" });
  for (let from = 100, i = 0; from < after.length; i++) {
    const to = Math.min(after.length, from + pieces[i % pieces.length]!);
    waiter.write(after.subarray(from, to));
    from = to;
    await pause();
  }
}

async function compareDatasets(p: Pair): Promise<void> {
  const keys = (await p.r.call("KEYS", "*")) as string[];
  expect(keys.length).toBeGreaterThan(20);
  expect(((await p.b.call("KEYS", "*")) as string[]).sort()).toEqual([...keys].sort());
  for (const key of keys) {
    const latin1 = Buffer.from(key, "latin1");
    expect({ key: key.slice(0, 40), digest: await p.b.callRaw("DEBUG", "DIGEST-VALUE", latin1) }).toEqual({
      key: key.slice(0, 40),
      digest: await p.r.callRaw("DEBUG", "DIGEST-VALUE", latin1),
    });
  }
  expect(await p.b.callRaw("DEBUG", "DIGEST")).toBe(await p.r.callRaw("DEBUG", "DIGEST"));
}

d("long arguments survive the release of the reads that brought them", () => {
  test("in one write, cut at random places, and cut around each long argument", async () => {
    const p = pair();
    const random = new Random(20261207);
    for (const [round, mode] of ["whole", "random", "around-payloads"].entries()) {
      const commands = script(random, round);
      const wireLength = commands.reduce((sum, command) => sum + encodeCommand(command).length, 0);
      const cuts =
        mode === "whole" ? [] : mode === "random" ? Array.from({ length: 40 }, () => random.nextInt(wireLength)) : aroundPayloads(commands);
      const [ours, theirs] = await Promise.all([run(p.b, commands, cuts), run(p.r, commands, cuts)]);
      expect({ mode, replies: ours }).toEqual({ mode, replies: theirs });
    }
    await compareDatasets(p);
  });

  test("a long last argument that arrives as a read of its own", async () => {
    const p = pair();
    const random = new Random(11);
    const commands: CommandArgs[] = [];
    for (const [i, size] of [1500, 4000, 5000, 9000, 20000].entries()) {
      const value = () => {
        const bytes = longBytes(random, i);
        return bytes.length >= size ? bytes.subarray(0, size) : new Uint8Array([...bytes, ...new Uint8Array(size - bytes.length).fill(i)]);
      };
      commands.push(["SET", `s:${i}`, value()], ["APPEND", `a:${i}`, value()], ["HSET", `h:${i}`, "f", value()], ["RPUSH", `l:${i}`, value()]);
      commands.push(["SADD", `set:${i}`, value()], ["ZADD", `z:${i}`, "1", value()], ["XADD", `x:${i}`, "1-1", "f", value()], ["PFADD", `p:${i}`, value()]);
    }
    const observer = await RawClient.connect(p.bunker.port);
    const id = String(await p.b.call("CLIENT", "ID"));
    for (const command of commands) {
      const wire = encodeCommand(command);
      const last = command[command.length - 1] as Uint8Array;
      const header = wire.length - last.length - 2;
      // The header (and every argument before the last) first; once the server has read
      // them (CLIENT LIST's argv-mem counts the arguments of a request still arriving),
      // the last argument and its CRLF, alone.
      p.b.write(wire.subarray(0, header));
      const before = command.slice(0, -1).reduce((sum: number, arg) => sum + Buffer.byteLength(arg as string), 0);
      await waitFor(async () => String(await observer.call("CLIENT", "LIST", "ID", id)).includes(` argv-mem=${before} `), { what: "the header to be read" });
      p.b.write(wire.subarray(header));
      const ours = await p.b.readRawReply();
      expect({ command: command[0], ours }).toEqual({ command: command[0], ours: await p.r.callRaw(...command) });
    }
    observer.close();
    await compareDatasets(p);
  });

  test("a client blocked with long arguments is served with them intact", async () => {
    const p = pair();
    const random = new Random(7);
    const key = new Uint8Array([...new TextEncoder().encode("blocked:"), ...longBytes(random, 1)]);
    const value = longBytes(random, 2);
    const fillers = Array.from({ length: 50 }, (_, i) => longBytes(random, i));
    for (const [server, client] of [
      [p.bunker, p.b],
      [p.redis, p.r],
    ] as const) {
      const waiter = await RawClient.connect(server.port);
      // The blocking command and its long key arrive in one read, which stays allocated while it waits.
      waiter.write(encodeCommand(["BLMOVE", key, key, "LEFT", "RIGHT", "0"]));
      await waitFor(async () => /blocked_clients:1\r/.test(String(await client.call("INFO", "clients"))), { what: "the client to block" });
      // A stream of other requests (whose reads are freed) before the push that serves it.
      for (const [i, filler] of fillers.entries()) client.write(encodeCommand(["SET", `filler:${i}`, filler]));
      for (let i = 0; i < fillers.length; i++) await client.readRawReply();
      expect(await client.call("RPUSH", key, value)).toBe(1);
      expect(await waiter.readRawReply()).toBe(`$${value.length}\r\n${Buffer.from(value).toString("latin1")}\r\n`);
      waiter.close();
    }
    await compareDatasets(p);
  });

  test("a blocked client's input keeps arriving in reads that are not freed under it", async () => {
    // The blocking command is cut inside its first key, so it is parsed from the
    // parser's own buffer (its keys views of that); the reads that arrive while it waits
    // (some of 20 KB, which are freed when the client is not blocked) move the pending
    // input around that buffer, or do not fit it.
    const p = pair();
    const random = new Random(11);
    const key = new Uint8Array([...new TextEncoder().encode("waiting:"), ...longBytes(random, 1)]);
    const value = longBytes(random, 2);
    const before = Buffer.concat(Array.from({ length: 8 }, (_, i) => encodeCommand(["SET", `before:${i}`, longBytes(random, i)])));
    const block = encodeCommand(["BLMOVE", key, key, "LEFT", "RIGHT", "0"]);
    const afterCommands = Array.from({ length: 16 }, (_, i) => ["SET", `after:${i}`, longBytes(random, i)] as CommandArgs);
    const after = Buffer.concat(afterCommands.map((command) => encodeCommand(command)));
    const others = Array.from({ length: 20 }, (_, i) => encodeCommand(["SET", `other:${i}`, longBytes(random, i)]));
    const cut = 30;
    for (const [server, client] of [
      [p.bunker, p.b],
      [p.redis, p.r],
    ] as const) {
      const waiter = await RawClient.connect(server.port);
      // Pieces that do not fit the spare room after the pending bytes, and some that fit the buffer.
      await blockAmidInput(waiter, client, { before, block, cut, after, pieces: [12000, 9000, 20000] });
      // Other clients' large reads meanwhile.
      for (const other of others) client.write(other);
      for (let i = 0; i < others.length; i++) await client.readRawReply();
      expect(await client.call("RPUSH", key, value)).toBe(1);
      for (let i = 0; i < 8; i++) expect(await waiter.readRawReply()).toBe("+OK\r\n");
      expect(await waiter.readRawReply()).toBe(`$${value.length}\r\n${Buffer.from(value).toString("latin1")}\r\n`);
      for (let i = 0; i < afterCommands.length; i++) expect(await waiter.readRawReply()).toBe("+OK\r\n");
      expect(await client.call("LLEN", key)).toBe(1);
      waiter.close();
    }
    await compareDatasets(p);
  });
});

describe("the arguments a blocked command keeps", () => {
  test("stay intact while its client's input arrives, as the propagated command shows", async () => {
    // XREADGROUP keeps its group argument (a view: longer than ARG_COPY_LIMIT) until it
    // is served, to propagate the delivery as XCLAIM. It is cut inside its name, so it is
    // parsed from the parser's own buffer, the group a view of that (not at its start,
    // which the parser would copy); that buffer must then not be written over by the
    // input that keeps coming, in pieces that do not fit its spare room.
    const server = await startBunker({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    try {
      const random = new Random(5);
      // 6000 bytes: the blocking command fills more of a 16 KB own buffer than what follows it.
      const group = new Uint8Array([...new TextEncoder().encode("group:"), ...longBytes(random, 1).subarray(0, 994), ...new Uint8Array(5000).fill(103)]);
      const client = await RawClient.connect(server.port);
      expect(await client.call("XGROUP", "CREATE", "s", group, "$", "MKSTREAM")).toBe("OK");
      const waiter = await RawClient.connect(server.port);
      const before = Buffer.concat(Array.from({ length: 8 }, (_, i) => encodeCommand(["SET", `before:${i}`, longBytes(random, i)])));
      const block = encodeCommand(["XREADGROUP", "GROUP", group, "consumer", "BLOCK", "0", "STREAMS", "s", ">"]);
      const cut = 20;
      const afterCommands = Array.from({ length: 16 }, (_, i) => encodeCommand(["SET", `after:${i}`, longBytes(random, i)]));
      const after = Buffer.concat(afterCommands);
      // The first piece does not fit the room after the pending bytes, and they are fewer
      // than the bytes parsed before them: the buffer would be reused if it could.
      await blockAmidInput(waiter, client, { before, block, cut, after, pieces: [11000, 9000, 20000] });
      expect(await client.call("XADD", "s", "1-1", "f", "v")).toBe("1-1");
      for (let i = 0; i < 8; i++) expect(await waiter.readRawReply()).toBe("+OK\r\n");
      await waiter.readRawReply();
      for (let i = 0; i < afterCommands.length; i++) expect(await waiter.readRawReply()).toBe("+OK\r\n");
      const aofDir = join(server.dir, "appendonlydir");
      const incr = readdirSync(aofDir).find((name) => name.endsWith(".incr.aof"))!;
      const aof = readFileSync(join(aofDir, incr), "latin1");
      const groupText = Buffer.from(group).toString("latin1");
      // The group's creation and the delivery's XCLAIM both carry it as it was sent.
      expect(aof.split(`$${group.length}\r\n${groupText}\r\n`).length - 1).toBe(2);
      expect(aof).toContain("$6\r\nXCLAIM\r\n");
      waiter.close();
      client.close();
    } finally {
      await server.stop();
    }
  });
});
