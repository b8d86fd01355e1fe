// Seeded random sequences of write commands for the effect-stream tests: every write
// command Bunker declares, with its options, over a small key space (so commands hit
// existing keys, keys of the wrong type and empty results), in several databases, in
// and out of MULTI (with one write, none, an error when queueing, WATCH), RESTOREs of
// payloads DUMPed earlier, plus scripted episodes with random parts: clients served
// after blocking, keys expiring lazily, consumer-group traffic on a stream,
// XREADGROUP reading a consumer's history, and scripts (EVAL, EVALSHA, FCALL) running
// random commands, with the FUNCTION commands that manage their libraries.
//
// The same sequence runs on Bunker and on the real Redis, and their effect streams are
// compared line by line, so nothing in it may depend on what the two servers do not
// share:
// - randomness: SPOP only where its result is determined (a set of one member, a count
//   no set reaches, count 0); no RANDOMKEY or SCAN except where one key can be found;
// - the clock: TTLs are far in the future (the stream carries them as absolute times,
//   which the comparison normalises) or already in the past (the key goes at once);
//   keys expire within a run only in the lazy-expiry episode, after
//   `DEBUG SET-ACTIVE-EXPIRE 0`, and are looked up only once their time has passed;
//   XCLAIM/XAUTOCLAIM use min-idle-time 0; stream ids generated from the clock (`*`)
//   are mapped to placeholders by the comparison.
// - hash order: SORT ... STORE of a set is sorted by Redis whatever the options.
// And nothing whose effect Redis 7.0 itself does not replicate, since the streams are
// also replayed and the datasets compared: XREADGROUP history reads only in their
// episode, which ends by setting what they changed (see historyReadEpisode).
//
// Strings in a sequence are binary strings: one char per byte (latin1).

import { seededRandom } from "./random.ts";
import { START_MARKER, endMarker } from "./effect-stream.ts";
import { crc64 } from "../../src/persistence/rdb/crc64.ts";

/** An argument: bytes, or the payload of an earlier DUMP step (by slot). */
export type SeqArg = string | Uint8Array | { payload: number };

export type SequenceStep =
  /** Client 0 runs the command and waits for its reply. */
  | { call: SeqArg[] }
  /** Client 0 runs DUMP key; the payload (null when there is no key) is kept in slot `into`. */
  | { dump: string; into: number }
  /** Client 1 selects `db` and sends a blocking command; the runner waits until the server reports it blocked. */
  | { block: SeqArg[]; db: number }
  /** Collects client 1's reply (its blocked command was served by the steps since `block`). */
  | { served: true }
  /** Client 0 polls PTTL key until it answers -2: the key's time has passed (and the lookup deleted it). */
  | { waitExpired: string };

export interface SequenceOptions {
  /** About how many steps the random part has (episodes may overshoot it a little). */
  length: number;
  /** The databases the random part works in (firstDatabase..firstDatabase+databases-1); the episodes use 8 and 9. */
  databases?: number;
  /** The first of them (default 0): a test may keep database 0 for data of its own. */
  firstDatabase?: number;
  /** Leave FLUSHALL out (it would stop a background save under way). */
  noFlushAll?: boolean;
}

const STRINGS = ["s1", "s2", "s3", "k\xe9,\"q"];
const LISTS = ["l1", "l2", "l3"];
const HASHES = ["h1", "h2"];
const SETS = ["t1", "t2", "t3"];
const ZSETS = ["z1", "z2", "z3"];
const STREAMS = ["x1", "x2"];
const HLLS = ["p1", "p2"];
const ALL_KEYS = [...STRINGS, ...LISTS, ...HASHES, ...SETS, ...ZSETS, ...STREAMS, ...HLLS];

const VALUES = ["1", "2", "-3", "10", "x", "hello", "", "3.5", "abc", "100000000000", "a,b", 'q"u\\o', "new\nline", "\x00\xff\x7f", "\xe9t\xe9", "12345678901234567890"];
const INTS = ["0", "1", "-1", "2", "5", "100", "-100", "9223372036854775807", "x"];
const FLOATS = ["1.5", "-0.25", "3", "1e2", "0.1", "abc", "-1e308"];
const FIELDS = ["f1", "f2", "f3", "n"];
const MEMBERS = ["a", "b", "c", "d", "1", "2", "10", "-5"];
const SCORES = ["0", "1", "-1", "2.5", "10", "-inf", "+inf", "1e3", "3", "nan"];
const STREAM_IDS = ["1-1", "2-0", "3-5", "5-0", "8-1", "10-0", "12-3", "15-0", "20-0"];
const GROUPS = ["g1", "g2"];
const CONSUMERS = ["c1", "c2"];
// Relative TTLs far in the future, absolute ones far in the future or in the past.
const SECONDS = ["100000", "200000", "3000000"];
const MILLIS = ["100000000", "250000000"];
const UNIX_SECONDS = ["4102444800", "4102444900", "1", "100"];
const UNIX_MILLIS = ["4102444800000", "4102444800500", "1000", "5000000"];

/** The keys the blocking episodes wait on (outside the random key space). */
const BLOCK_LISTS = ["bk:l1", "bk:l2"];
const BLOCK_ZSETS = ["bk:z1", "bk:z2"];
const BLOCK_STREAM = "bk:x";
const BLOCK_SCRATCH = "bk:tmp";
/**
 * The scripts of the scripting episode: ARGV holds commands, each as its argument count
 * then its arguments, which the script runs in order with redis.pcall (errors are
 * collected, the rest still runs) or redis.call (the first error ends the script, the
 * writes before it stay).
 */
const RUN_COMMANDS = (call: "call" | "pcall") =>
  [
    "local i, out = 1, {}",
    "while i <= #ARGV do",
    "  local n = tonumber(ARGV[i])",
    `  local r = redis.${call}(unpack(ARGV, i + 1, i + n))`,
    "  if type(r) == 'table' and r.err then r = 'error: ' .. r.err end",
    "  out[#out + 1] = r",
    "  i = i + n + 1",
    "end",
    "return out",
  ].join("\n");
const RUNNER_LIBRARY = [
  "#!lua name=runner",
  `redis.register_function('prun', function(keys, ARGV) ${RUN_COMMANDS("pcall").replace(/\n/g, " ")} end)`,
  `redis.register_function('crun', function(keys, ARGV) ${RUN_COMMANDS("call").replace(/\n/g, " ")} end)`,
].join("\n");
const OTHER_LIBRARIES = [
  "#!lua name=other\nredis.register_function('other', function() return 1 end)",
  "#!lua name=other\nredis.register_function{function_name='other2', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
  "#!lua name=clash\nredis.register_function('PRUN', function() return 1 end)",
];

/** A FUNCTION DUMP payload of `codes` (FUNCTION2 records, RDB version 10, CRC64). */
function functionsPayload(codes: readonly string[]): Uint8Array {
  const parts: number[] = [];
  for (const code of codes) {
    parts.push(0xf5);
    if (code.length < 64) parts.push(code.length);
    else parts.push(0x40 | (code.length >> 8), code.length & 0xff);
    for (let i = 0; i < code.length; i++) parts.push(code.charCodeAt(i));
  }
  parts.push(10, 0);
  const body = Uint8Array.from(parts);
  const out = new Uint8Array(body.length + 8);
  out.set(body);
  new DataView(out.buffer).setBigUint64(body.length, crc64(body), true);
  return out;
}

/** Databases of the lazy-expiry episode. */
const EXPIRY_DB = 8;
const RANDOMKEY_DB = 9;

class Generator {
  readonly steps: SequenceStep[] = [];
  /** Client 0's selected database, known because every SELECT the sequence sends succeeds. */
  db = 0;
  private payloadSlots = 0;
  /** Between MULTI and EXEC/DISCARD: commands are queued, their replies come with EXEC. */
  private inMulti = false;
  private readonly random: () => number;
  private readonly databases: number;
  private readonly firstDatabase: number;
  private readonly noFlushAll: boolean;

  constructor(seed: number, options: SequenceOptions) {
    this.random = seededRandom(seed);
    this.databases = options.databases ?? 4;
    this.firstDatabase = options.firstDatabase ?? 0;
    this.noFlushAll = options.noFlushAll === true;
  }

  // ---- choices ----------------------------------------------------------------------

  chance(p: number): boolean {
    return this.random() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  /** A key of `pool`, or now and then any key (so that commands meet other types). */
  key(pool: readonly string[]): string {
    return this.chance(0.12) ? this.pick(ALL_KEYS) : this.pick(pool);
  }
  some<T>(pick: () => T, min: number, max: number): T[] {
    return Array.from({ length: this.int(min, max) }, pick);
  }
  value(): string {
    return this.pick(VALUES);
  }
  /** One of the databases the random part works in. */
  randomDb(): number {
    return this.firstDatabase + this.int(0, this.databases - 1);
  }
  dbIndex(): string {
    return String(this.randomDb());
  }
  /** Optional words: each present with probability p. */
  maybe(p: number, ...words: string[]): string[] {
    return this.chance(p) ? words : [];
  }
  end(): string {
    return this.pick(["LEFT", "RIGHT"]);
  }

  call(...argv: SeqArg[]): void {
    this.steps.push({ call: argv });
    const name = typeof argv[0] === "string" ? argv[0].toUpperCase() : "";
    if (name === "MULTI") this.inMulti = true;
    else if (name === "EXEC" || name === "DISCARD") this.inMulti = false;
  }

  /**
   * PFDEBUG on a fresh sparse HLL: TODENSE converts it (a change that propagates as
   * PFDEBUG), the second TODENSE and ENCODING change nothing. At the end of the
   * sequence and without random draws, so that adding it left every seed's other
   * steps as they were.
   */
  hllDebugEpisode(): void {
    this.call("DEL", "pd");
    this.call("PFADD", "pd", "a", "b");
    this.call("PFDEBUG", "TODENSE", "pd");
    this.call("PFDEBUG", "TODENSE", "pd");
    this.call("PFDEBUG", "ENCODING", "pd");
    this.call("PFADD", "pd", "c");
    this.call("PFDEBUG", "GETREG", "pd");
  }

  // ---- single commands ----------------------------------------------------------------

  /** SET's expiry options: relative, absolute (future or past), KEEPTTL, or invalid. */
  setExpiry(): string[] {
    switch (this.int(0, 7)) {
      case 0:
        return ["EX", this.pick(SECONDS)];
      case 1:
        return ["PX", this.pick(MILLIS)];
      case 2:
        return ["EXAT", this.pick(UNIX_SECONDS)];
      case 3:
        return ["PXAT", this.pick(UNIX_MILLIS)];
      case 4:
        return ["KEEPTTL"];
      case 5:
        return [this.pick(["EX", "PX"]), this.pick(["0", "-5", "abc"])];
      default:
        return [];
    }
  }

  stringCommand(): SeqArg[] {
    const k = () => this.key(STRINGS);
    switch (this.int(0, 21)) {
      case 0:
      case 1:
        return ["SET", k(), this.value(), ...this.setExpiry(), ...this.maybe(0.2, this.pick(["NX", "XX"])), ...this.maybe(0.2, "GET")];
      case 2:
        return ["set", k(), this.value()];
      case 3:
        return ["SETNX", k(), this.value()];
      case 4:
        return ["SETEX", k(), this.pick([...SECONDS, "0", "-1"]), this.value()];
      case 5:
        return ["PSETEX", k(), this.pick([...MILLIS, "0"]), this.value()];
      case 6:
        return ["GETSET", k(), this.value()];
      case 7:
        return ["GETDEL", k()];
      case 8: {
        const option = this.pick([["EX", this.pick(SECONDS)], ["PX", this.pick(MILLIS)], ["EXAT", this.pick(UNIX_SECONDS)], ["PXAT", this.pick(UNIX_MILLIS)], ["PERSIST"], []]);
        return ["GETEX", k(), ...option];
      }
      case 9:
        return ["MSET", ...this.some(() => [k(), this.value()], 1, 3).flat()];
      case 10:
        return ["MSETNX", ...this.some(() => [k(), this.value()], 1, 3).flat()];
      case 11:
        return ["APPEND", k(), this.value()];
      case 12:
        return ["SETRANGE", k(), this.pick(["0", "1", "5", "-1"]), this.value()];
      case 13:
        return [this.pick(["INCR", "DECR"]), k()];
      case 14:
        return [this.pick(["INCRBY", "DECRBY"]), k(), this.pick(INTS)];
      case 15:
        return ["INCRBYFLOAT", k(), this.pick(FLOATS)];
      case 16:
        return ["SETBIT", k(), this.pick(["0", "7", "20", "100"]), this.pick(["0", "1"])];
      case 17: {
        const ops: string[] = [];
        for (let i = this.int(1, 3); i > 0; i--) {
          const type = this.pick(["u8", "i5", "u4", "i16"]);
          const offset = this.pick(["0", "3", "#1", "100"]);
          const op = this.int(0, 3);
          if (op === 0) ops.push("SET", type, offset, this.pick(INTS));
          else if (op === 1) ops.push("INCRBY", type, offset, this.pick(["1", "-3", "100"]));
          else if (op === 2) ops.push("OVERFLOW", this.pick(["WRAP", "SAT", "FAIL"]));
          else ops.push("GET", type, offset);
        }
        return ["BITFIELD", k(), ...ops];
      }
      case 18: {
        const op = this.pick(["AND", "OR", "XOR", "NOT"]);
        return ["BITOP", op, k(), ...(op === "NOT" ? [k()] : this.some(k, 1, 3))];
      }
      case 19:
        return ["PFADD", this.key(HLLS), ...this.some(() => this.pick(MEMBERS), 0, 3)];
      case 20:
        return ["PFMERGE", this.key(HLLS), ...this.some(() => this.key(HLLS), 0, 2)];
      default:
        return ["PFCOUNT", this.key(HLLS), ...this.maybe(0.2, this.key(HLLS))];
    }
  }

  keyCommand(): SeqArg[] {
    const k = () => this.pick(ALL_KEYS);
    const condition = () => this.maybe(0.4, this.pick(["NX", "XX", "GT", "LT"]));
    switch (this.int(0, 15)) {
      case 0:
        return [this.pick(["DEL", "UNLINK"]), ...this.some(k, 1, 3)];
      case 1:
        return ["EXPIRE", k(), this.pick([...SECONDS, "-10", "0", "abc"]), ...condition()];
      case 2:
        return ["PEXPIRE", k(), this.pick([...MILLIS, "-5", "0"]), ...condition()];
      case 3:
        return ["EXPIREAT", k(), this.pick([...UNIX_SECONDS, "0"]), ...condition()];
      case 4:
        return ["PEXPIREAT", k(), this.pick(UNIX_MILLIS), ...condition()];
      case 5:
        return ["PERSIST", k()];
      case 6:
        return [this.pick(["RENAME", "RENAMENX"]), k(), k()];
      case 7:
        return ["COPY", k(), k(), ...this.maybe(0.4, "DB", this.dbIndex()), ...this.maybe(0.5, "REPLACE")];
      case 8:
        return ["MOVE", k(), this.dbIndex()];
      case 9:
        return ["SWAPDB", this.dbIndex(), this.dbIndex()];
      case 10:
        return this.chance(0.3) ? ["FLUSHDB", ...this.maybe(0.5, this.pick(["ASYNC", "SYNC"]))] : ["DEL", k()];
      case 11:
        return this.chance(0.05) && !this.noFlushAll ? ["FLUSHALL", ...this.maybe(0.5, "ASYNC")] : ["UNLINK", k()];
      case 12:
      case 13:
        return this.restore();
      default: {
        const alpha = this.chance(0.6);
        return [
          "SORT",
          this.pick([...LISTS, ...SETS, ...ZSETS]),
          ...this.maybe(0.2, "BY", "nosort"),
          ...this.maybe(0.3, "LIMIT", this.pick(["0", "1"]), this.pick(["2", "10", "-1"])),
          ...this.maybe(0.2, "GET", "#"),
          ...this.maybe(0.4, "DESC"),
          ...(alpha ? ["ALPHA"] : []),
          "STORE",
          this.pick([...LISTS, ...STRINGS]),
        ];
      }
    }
  }

  /** RESTORE of a payload dumped earlier in the sequence (a DUMP is added when there is none yet). */
  restore(): SeqArg[] {
    if (this.payloadSlots === 0 || (!this.inMulti && this.chance(0.3))) {
      // Inside MULTI a DUMP would only be queued: restore a key dumped before, or do something else.
      if (this.inMulti) return ["UNLINK", this.pick(ALL_KEYS)];
      this.dump();
    }
    const payload = { payload: this.int(0, this.payloadSlots - 1) };
    const abs = this.chance(0.4);
    const ttl = abs ? this.pick(UNIX_MILLIS) : this.pick(["0", "0", ...MILLIS]);
    const tail = [...this.maybe(0.5, "REPLACE"), ...(abs ? ["ABSTTL"] : [])];
    if (this.chance(0.3)) tail.push(...(this.chance(0.5) ? ["IDLETIME", this.pick(["0", "1000"])] : ["FREQ", this.pick(["0", "100"])]));
    return ["RESTORE", this.pick(ALL_KEYS), ttl, payload, ...tail];
  }

  dump(): void {
    this.steps.push({ dump: this.pick(ALL_KEYS), into: this.payloadSlots++ });
  }

  listCommand(): SeqArg[] {
    const k = () => this.key(LISTS);
    const v = () => this.pick(MEMBERS);
    switch (this.int(0, 13)) {
      case 0:
      case 1:
        return [this.pick(["LPUSH", "RPUSH"]), k(), ...this.some(v, 1, 4)];
      case 2:
        return [this.pick(["LPUSHX", "RPUSHX"]), k(), ...this.some(v, 1, 2)];
      case 3:
        return [this.pick(["LPOP", "RPOP"]), k(), ...this.maybe(0.5, this.pick(["0", "1", "2", "100"]))];
      case 4:
        return ["LMPOP", "2", k(), k(), this.end(), ...this.maybe(0.6, "COUNT", this.pick(["1", "2", "100"]))];
      case 5:
        return ["LMOVE", k(), k(), this.end(), this.end()];
      case 6:
        return ["RPOPLPUSH", k(), k()];
      case 7:
        return ["LINSERT", k(), this.pick(["BEFORE", "AFTER"]), v(), v()];
      case 8:
        return ["LSET", k(), this.pick(["0", "-1", "1", "10"]), v()];
      case 9:
        return ["LREM", k(), this.pick(["0", "1", "-1", "2"]), v()];
      case 10:
        return ["LTRIM", k(), this.pick(["0", "1", "-2"]), this.pick(["-1", "1", "0", "2"])];
      case 11:
        return ["SORT", k(), ...this.maybe(0.5, "ALPHA"), "STORE", k()];
      default:
        return [this.pick(["RPUSH", "LPUSH"]), k(), ...this.some(v, 1, 2)];
    }
  }

  hashCommand(): SeqArg[] {
    const k = () => this.key(HASHES);
    const f = () => this.pick(FIELDS);
    switch (this.int(0, 6)) {
      case 0:
      case 1:
        return ["HSET", k(), ...this.some(() => [f(), this.value()], 1, 3).flat()];
      case 2:
        return ["HMSET", k(), f(), this.value()];
      case 3:
        return ["HSETNX", k(), f(), this.value()];
      case 4:
        return ["HDEL", k(), ...this.some(f, 1, 3)];
      case 5:
        return ["HINCRBY", k(), f(), this.pick(INTS)];
      default:
        return ["HINCRBYFLOAT", k(), f(), this.pick(FLOATS)];
    }
  }

  setCommand(): SeqArg[] {
    const k = () => this.key(SETS);
    const m = () => this.pick(MEMBERS);
    switch (this.int(0, 7)) {
      case 0:
      case 1:
        return ["SADD", k(), ...this.some(m, 1, 4)];
      case 2:
        return ["SREM", k(), ...this.some(m, 1, 3)];
      case 3:
        return ["SMOVE", k(), k(), m()];
      case 4:
        // Determined outcomes only: count 0, or a count no set in the sequence reaches.
        return ["SPOP", k(), this.pick(["0", "100"])];
      case 5:
        return [this.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k(), ...this.some(k, 1, 3)];
      case 6: {
        // A set of one member: SPOP's choice is forced.
        this.call("DEL", "sp");
        this.call("SADD", "sp", m());
        return ["SPOP", "sp", ...this.maybe(0.5, "1")];
      }
      default:
        return ["SADD", k(), m()];
    }
  }

  zsetCommand(): SeqArg[] {
    const k = () => this.key(ZSETS);
    const m = () => this.pick(MEMBERS);
    const lex = () => this.pick(["-", "+", "[a", "(b", "[c", "(1"]);
    const score = () => this.pick(["-inf", "+inf", "0", "(1", "2.5", "(10"]);
    switch (this.int(0, 16)) {
      case 0:
      case 1: {
        const flags = [...this.maybe(0.2, this.pick(["NX", "XX"])), ...this.maybe(0.2, this.pick(["GT", "LT"])), ...this.maybe(0.2, "CH"), ...this.maybe(0.15, "INCR")];
        return ["ZADD", k(), ...flags, ...this.some(() => [this.pick(SCORES), m()], 1, flags.includes("INCR") ? 1 : 3).flat()];
      }
      case 2:
        return ["ZINCRBY", k(), this.pick(["1", "-2.5", "0", "inf", "abc"]), m()];
      case 3:
        return ["ZREM", k(), ...this.some(m, 1, 3)];
      case 4:
        return ["ZREMRANGEBYSCORE", k(), score(), score()];
      case 5:
        return ["ZREMRANGEBYRANK", k(), this.pick(["0", "1", "-1"]), this.pick(["0", "-1", "2"])];
      case 6:
        return ["ZREMRANGEBYLEX", k(), lex(), lex()];
      case 7:
        return [this.pick(["ZPOPMIN", "ZPOPMAX"]), k(), ...this.maybe(0.5, this.pick(["0", "1", "2", "100"]))];
      case 8:
        return ["ZMPOP", "2", k(), k(), this.pick(["MIN", "MAX"]), ...this.maybe(0.5, "COUNT", this.pick(["1", "3"]))];
      case 9:
      case 10: {
        const sources = this.some(() => (this.chance(0.2) ? this.key(SETS) : k()), 1, 3);
        const weights = this.maybe(0.3, "WEIGHTS", ...sources.map(() => this.pick(["1", "2", "-1", "0.5"])));
        const name = this.pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
        const aggregate = name === "ZDIFFSTORE" ? [] : [...weights, ...this.maybe(0.3, "AGGREGATE", this.pick(["SUM", "MIN", "MAX"]))];
        return [name, k(), String(sources.length), ...sources, ...aggregate];
      }
      case 11: {
        const by = this.int(0, 2);
        const range = by === 1 ? [score(), score(), "BYSCORE"] : by === 2 ? [lex(), lex(), "BYLEX"] : [this.pick(["0", "1"]), this.pick(["-1", "2"])];
        return ["ZRANGESTORE", k(), k(), ...range, ...this.maybe(0.3, "REV"), ...(by > 0 ? this.maybe(0.3, "LIMIT", "0", this.pick(["1", "2"])) : [])];
      }
      case 12:
      case 13:
      case 14:
      case 15:
        return this.geoCommand();
      default:
        return ["ZADD", k(), this.pick(SCORES), m()];
    }
  }

  /** GEOADD (run and propagated as ZADD) and the searches that store (propagated as sent). */
  geoCommand(): SeqArg[] {
    const k = () => this.key(ZSETS);
    const m = () => this.pick(MEMBERS);
    const longitude = () => this.pick(["0", "0.5", "-1", "1.25", "179.9", "-180", "13.361389", "200"]);
    const latitude = () => this.pick(["0", "0.5", "1", "-0.75", "85", "-85.05112878", "38.115556"]);
    const radius = () => [this.pick(["0", "10", "200", "5000", "-1"]), this.pick(["km", "m", "MI", "ft"])];
    const count = () => this.maybe(0.3, "COUNT", this.pick(["1", "2", "5"]), ...this.maybe(0.3, "ANY"));
    const order = () => this.maybe(0.3, this.pick(["ASC", "DESC"]));
    switch (this.int(0, 4)) {
      case 0:
      case 1: {
        const flags = [...this.maybe(0.2, this.pick(["NX", "XX"])), ...this.maybe(0.2, "CH")];
        return ["GEOADD", k(), ...flags, ...this.some(() => [longitude(), latitude(), m()], 1, 3).flat()];
      }
      case 2:
        return ["GEORADIUS", k(), longitude(), latitude(), ...radius(), this.pick(["STORE", "STOREDIST"]), k(), ...count(), ...order()];
      case 3:
        return ["GEORADIUSBYMEMBER", k(), m(), ...radius(), this.pick(["STORE", "STOREDIST"]), k(), ...count(), ...order()];
      default: {
        const from = this.chance(0.5) ? ["FROMMEMBER", m()] : ["FROMLONLAT", longitude(), latitude()];
        const by = this.chance(0.5) ? ["BYRADIUS", ...radius()] : ["BYBOX", radius()[0]!, ...radius()];
        return ["GEOSEARCHSTORE", k(), k(), ...from, ...by, ...count(), ...order(), ...this.maybe(0.4, "STOREDIST")];
      }
    }
  }

  streamId(): string {
    const kind = this.random();
    if (kind < 0.7) return this.pick(STREAM_IDS);
    if (kind < 0.82) return "*";
    if (kind < 0.94) return `${this.int(1, 30)}-*`;
    return this.pick(["0-0", "0-1"]);
  }

  trimOptions(): string[] {
    const strategy = this.pick(["MAXLEN", "MINID"]);
    const approximate = this.chance(0.4);
    const operator = approximate ? ["~"] : this.maybe(0.5, "=");
    const threshold = strategy === "MAXLEN" ? this.pick(["0", "1", "2", "5"]) : this.pick(STREAM_IDS);
    return [strategy, ...operator, threshold, ...(approximate ? this.maybe(0.3, "LIMIT", this.pick(["0", "1", "100"])) : [])];
  }

  xreadgroup(key: string): SeqArg[] {
    return ["XREADGROUP", "GROUP", this.pick(GROUPS), this.pick(CONSUMERS), ...this.maybe(0.5, "COUNT", this.pick(["1", "2", "3"])), ...this.maybe(0.3, "NOACK"), "STREAMS", key, ">"];
  }

  /** XCLAIM with min-idle-time 0: the claim does not depend on how long ago the entries were delivered. */
  xclaim(key: string, ids: readonly string[]): SeqArg[] {
    const options = [
      ...this.maybe(0.25, "IDLE", this.pick(["0", "5000"])),
      ...this.maybe(0.2, "TIME", "1000000"),
      ...this.maybe(0.3, "RETRYCOUNT", this.pick(["0", "3", "7"])),
      ...this.maybe(0.3, "FORCE"),
      ...this.maybe(0.3, "JUSTID"),
      ...this.maybe(0.2, "LASTID", this.pick([...ids, "30-0"])),
    ];
    return ["XCLAIM", key, this.pick(GROUPS), this.pick(CONSUMERS), "0", ...this.some(() => this.pick(ids), 1, 3), ...options];
  }

  xautoclaim(key: string, start: string): SeqArg[] {
    return ["XAUTOCLAIM", key, this.pick(GROUPS), this.pick(CONSUMERS), "0", start, ...this.maybe(0.5, "COUNT", this.pick(["1", "2", "10"])), ...this.maybe(0.3, "JUSTID")];
  }

  streamCommand(): SeqArg[] {
    const k = () => this.key(STREAMS);
    const id = () => this.pick(STREAM_IDS);
    const g = () => this.pick(GROUPS);
    const c = () => this.pick(CONSUMERS);
    switch (this.int(0, 17)) {
      case 0:
      case 1:
      case 2:
        return ["XADD", k(), ...this.maybe(0.1, "NOMKSTREAM"), ...(this.chance(0.25) ? this.trimOptions() : []), this.streamId(), ...this.some(() => [this.pick(FIELDS), this.value()], 1, 2).flat()];
      case 3:
        return ["XTRIM", k(), ...this.trimOptions()];
      case 4:
        return ["XDEL", k(), ...this.some(id, 1, 3)];
      case 5:
        return ["XGROUP", "CREATE", k(), g(), this.pick(["0", "$", "3-5"]), ...this.maybe(0.4, "MKSTREAM"), ...this.maybe(0.2, "ENTRIESREAD", this.pick(["0", "2"]))];
      case 6:
        return ["XGROUP", "SETID", k(), g(), this.pick(["0", "$", "5-0"]), ...this.maybe(0.3, "ENTRIESREAD", this.pick(["1", "3"]))];
      case 7:
        return ["XGROUP", "CREATECONSUMER", k(), g(), c()];
      case 8:
        return ["XGROUP", "DELCONSUMER", k(), g(), c()];
      case 9:
        return this.chance(0.3) ? ["XGROUP", "DESTROY", k(), g()] : ["XGROUP", "CREATE", k(), g(), "0", "MKSTREAM"];
      case 10:
      case 11:
        return this.xreadgroup(k());
      case 12:
        return ["XACK", k(), g(), ...this.some(id, 1, 3)];
      case 13:
      case 14:
        return this.xclaim(k(), STREAM_IDS);
      case 15:
        return this.xautoclaim(k(), this.pick(["0-0", "3-5"]));
      case 16:
        return ["XSETID", k(), this.pick(["20-0", "25-1", "1-0"]), ...this.maybe(0.3, "ENTRIESADDED", this.pick(["30", "100"]), "MAXDELETEDID", this.pick(["0-0", "2-0"]))];
      default:
        return ["XADD", k(), id(), "f", this.value()];
    }
  }

  /** A blocking command run where it cannot block (in MULTI): it behaves as its non-blocking twin. */
  blockingCommandInMulti(): SeqArg[] {
    const l = () => this.key(LISTS);
    const z = () => this.key(ZSETS);
    switch (this.int(0, 7)) {
      case 0:
        return [this.pick(["BLPOP", "BRPOP"]), l(), l(), "0"];
      case 1:
        return ["BLMOVE", l(), l(), this.end(), this.end(), "0"];
      case 2:
        return ["BRPOPLPUSH", l(), l(), "0"];
      case 3:
        return ["BLMPOP", "0", "2", l(), l(), this.end(), ...this.maybe(0.5, "COUNT", "2")];
      case 4:
        return [this.pick(["BZPOPMIN", "BZPOPMAX"]), z(), z(), "0"];
      case 5:
        return ["BZMPOP", "0", "1", z(), this.pick(["MIN", "MAX"]), ...this.maybe(0.5, "COUNT", "2")];
      default:
        return ["XREADGROUP", "GROUP", this.pick(GROUPS), this.pick(CONSUMERS), "BLOCK", "0", ...this.maybe(0.3, "NOACK"), "STREAMS", this.key(STREAMS), ">"];
    }
  }

  /** One random command of any family (its argument count is always right: MULTI queues it). */
  randomCommand(): SeqArg[] {
    const family = this.random();
    if (family < 0.22) return this.stringCommand();
    if (family < 0.36) return this.keyCommand();
    if (family < 0.5) return this.listCommand();
    if (family < 0.58) return this.hashCommand();
    if (family < 0.68) return this.setCommand();
    if (family < 0.82) return this.zsetCommand();
    return this.streamCommand();
  }

  select(db: number): void {
    this.call("SELECT", String(db));
    this.db = db;
  }

  // ---- transactions ---------------------------------------------------------------------

  transaction(): void {
    const kind = this.int(0, 9);
    if (kind <= 3) {
      // Several commands, possibly in several databases, with non-blocking blocking commands.
      this.call("MULTI");
      for (let i = this.int(2, 5); i > 0; i--) {
        if (this.chance(0.15)) {
          const db = this.randomDb();
          this.call("SELECT", String(db));
          this.db = db;
        } else this.call(...(this.chance(0.2) ? this.blockingCommandInMulti() : this.randomCommand()));
      }
      this.call("EXEC");
    } else if (kind === 4) {
      this.call("MULTI");
      this.call(...this.randomCommand());
      this.call("EXEC");
    } else if (kind === 5) {
      this.call("MULTI");
      this.call("GET", this.pick(STRINGS));
      this.call("LLEN", this.pick(LISTS));
      this.call("EXEC");
    } else if (kind === 6) {
      // An error when queueing: EXEC answers EXECABORT and runs nothing.
      this.call("MULTI");
      this.call(...this.randomCommand());
      this.call(...this.pick([["NOSUCHCOMMAND", "x"], ["SET", "s1"], ["LPUSH"]]));
      this.call(...this.randomCommand());
      this.call("EXEC");
    } else if (kind === 7) {
      this.call("MULTI");
      this.call(...this.randomCommand());
      this.call("DISCARD");
    } else {
      // WATCH: the transaction runs, or not when the client itself touched the key first.
      const watched = this.pick(ALL_KEYS);
      this.call("WATCH", watched);
      if (this.chance(0.4)) this.call("SET", watched, "touched");
      this.call("MULTI");
      for (let i = this.int(1, 3); i > 0; i--) this.call(...this.randomCommand());
      this.call("EXEC");
    }
  }

  // ---- episodes -------------------------------------------------------------------------

  /** A second client blocks on a key, then client 0 writes what serves it. */
  blockingEpisode(): void {
    const [l1, l2] = BLOCK_LISTS as [string, string];
    const [z1, z2] = BLOCK_ZSETS as [string, string];
    this.call("DEL", l1, l2, z1, z2, BLOCK_STREAM, BLOCK_SCRATCH);
    const block = (...argv: SeqArg[]) => this.steps.push({ block: argv, db: this.db });
    const served = () => this.steps.push({ served: true });
    const kind = this.int(0, 9);
    if (kind <= 4) {
      // Lists.
      const dst = this.chance(0.5) ? l2 : this.key(LISTS);
      const blocking = this.pick<SeqArg[]>([
        ["BLPOP", l1, "0"],
        ["BRPOP", l2, l1, "0"],
        ["BLMOVE", l1, dst, this.end(), this.end(), "0"],
        ["BRPOPLPUSH", l1, dst, "0"],
        ["BLMPOP", "0", "2", l2, l1, this.end(), ...this.maybe(0.5, "COUNT", "2")],
      ]);
      block(...blocking);
      const serve = this.int(0, 6);
      if (serve === 0) this.call("LPUSH", l1, ...this.some(() => this.pick(MEMBERS), 1, 3));
      else if (serve === 1) this.call("RPUSH", l1, "a");
      else if (serve === 2) {
        this.call("RPUSH", BLOCK_SCRATCH, "a", "b");
        this.call(this.pick(["LMOVE", "lmove"]), BLOCK_SCRATCH, l1, this.end(), this.end());
      } else if (serve === 3) {
        this.call("RPUSH", BLOCK_SCRATCH, "a");
        this.call("RPOPLPUSH", BLOCK_SCRATCH, l1);
      } else if (serve === 4) {
        // Pushed and partly popped in one transaction: the client is served after EXEC.
        this.call("MULTI");
        this.call("RPUSH", l1, "a", "b", "c");
        this.call("LPOP", l1);
        this.call("SET", "s1", "in-multi");
        this.call("EXEC");
      } else if (serve === 5) {
        this.call("RPUSH", BLOCK_SCRATCH, "3", "1", "2");
        this.call("SORT", BLOCK_SCRATCH, "STORE", l1);
      } else {
        this.call("RPUSH", BLOCK_SCRATCH, "x", "y");
        this.call("RENAME", BLOCK_SCRATCH, l1);
      }
      served();
    } else if (kind <= 7) {
      // Sorted sets.
      block(...this.pick<SeqArg[]>([["BZPOPMIN", z1, "0"], ["BZPOPMAX", z2, z1, "0"], ["BZMPOP", "0", "2", z1, z2, this.pick(["MIN", "MAX"]), ...this.maybe(0.5, "COUNT", "2")]]));
      const serve = this.int(0, 2);
      if (serve === 0) this.call("ZADD", z1, "1", "a", "2", "b", "3", "c");
      else if (serve === 1) this.call("ZINCRBY", z1, "5", "m");
      else {
        this.call("ZADD", BLOCK_SCRATCH, "1", "x", "2", "y");
        this.call("ZUNIONSTORE", z1, "1", BLOCK_SCRATCH);
      }
      served();
    } else {
      // A consumer group read served by XADD.
      this.call("XGROUP", "CREATE", BLOCK_STREAM, "g", "$", "MKSTREAM");
      block("XREADGROUP", "GROUP", "g", this.pick(CONSUMERS), ...this.maybe(0.5, "COUNT", "1"), "BLOCK", "0", ...this.maybe(0.4, "NOACK"), "STREAMS", BLOCK_STREAM, ">");
      this.call("XADD", BLOCK_STREAM, this.pick(["*", "7-1"]), "f", "v");
      served();
    }
  }

  /**
   * A stream with entries and consumer groups, then random consumer-group traffic on
   * it (the random part alone seldom has a group where it reads, acks or claims).
   */
  streamEpisode(): void {
    const key = this.pick(STREAMS);
    const ids = STREAM_IDS.slice(0, this.int(3, 7));
    this.call("DEL", key);
    for (const id of ids) this.call("XADD", key, id, this.pick(FIELDS), this.value());
    this.call("XGROUP", "CREATE", key, "g1", "0");
    if (this.chance(0.5)) this.call("XGROUP", "CREATE", key, "g2", this.pick(["$", "0", ids[1]!]), ...this.maybe(0.3, "ENTRIESREAD", "1"));
    const g = () => this.pick(GROUPS);
    const c = () => this.pick(CONSUMERS);
    const id = () => this.pick(ids);
    for (let i = this.int(4, 12); i > 0; i--) {
      switch (this.int(0, 11)) {
        case 0:
        case 1:
          this.call(...this.xreadgroup(key));
          break;
        case 2:
          this.call("XREADGROUP", "GROUP", g(), c(), "COUNT", "1", "STREAMS", key, ">");
          break;
        case 3:
          this.call("XACK", key, g(), ...this.some(id, 1, 3));
          break;
        case 4:
        case 5:
          this.call(...this.xclaim(key, ids));
          break;
        case 6:
          this.call(...this.xautoclaim(key, this.pick(["0-0", ids[1]!])));
          break;
        case 7:
          this.call("XDEL", key, ...this.some(id, 1, 2));
          break;
        case 8:
          this.call("XADD", key, ...(this.chance(0.3) ? this.trimOptions() : []), this.pick(["*", "*", "40-*", "50-1"]), "f", this.value());
          break;
        case 9:
          this.call("XGROUP", this.pick(["CREATECONSUMER", "DELCONSUMER"]), key, g(), c());
          break;
        case 10:
          this.call("XGROUP", "SETID", key, g(), this.pick(["0", "$", id()]), ...this.maybe(0.4, "ENTRIESREAD", this.pick(["0", "2"])));
          break;
        default:
          if (this.chance(0.5)) this.call("XTRIM", key, ...this.trimOptions());
          else if (this.chance(0.5)) this.call("XSETID", key, this.pick(["60-0", "99-5"]), ...this.maybe(0.5, "ENTRIESADDED", "100", "MAXDELETEDID", this.pick(["0-0", "2-0"])));
          else this.call("XGROUP", "DESTROY", key, g());
      }
    }
  }

  /**
   * XREADGROUP reading a consumer's history (an id instead of `>`) on a stream of its
   * own. Redis 7.0 propagates nothing for it, although it counts a delivery and
   * stamps the delivery time of what it returns: a replica (or an AOF) never sees that,
   * so the episode ends with an XCLAIM that sets both explicitly, after which the data
   * is the same wherever the stream is replayed.
   */
  historyReadEpisode(): void {
    const key = "xh";
    this.call("DEL", key);
    this.call("XADD", key, "1-1", "f", "v");
    this.call("XADD", key, "2-0", "f", "w");
    this.call("XGROUP", "CREATE", key, "g", "0");
    this.call("XREADGROUP", "GROUP", "g", "c1", ...this.maybe(0.5, "COUNT", "1"), "STREAMS", key, ">");
    this.call("XREADGROUP", "GROUP", "g", this.pick(CONSUMERS), ...this.maybe(0.3, "COUNT", "1"), ...this.maybe(0.2, "NOACK"), "STREAMS", key, this.pick(["0", "1-1", "0-0"]));
    this.call("XCLAIM", key, "g", this.pick(CONSUMERS), "0", "1-1", "2-0", "FORCE", "RETRYCOUNT", "5", "TIME", "1000000", ...this.maybe(0.5, "JUSTID"));
  }

  /**
   * Keys expire while nothing looks at them (active expiry is off), then each is found
   * expired by a different kind of access: a read, writes, EXISTS/TYPE, a transaction,
   * RENAME, KEYS, SCAN and RANDOMKEY (each of the last two where only one expired key
   * can be met, so the servers' hash orders do not matter).
   */
  lazyExpiryEpisode(): void {
    const back = this.db;
    this.select(RANDOMKEY_DB);
    this.call("FLUSHDB");
    this.call("SET", "e:random", "v", "PX", "5");
    this.select(EXPIRY_DB);
    this.call("FLUSHDB");
    this.call("MSET", "e:get", "v", "e:setover", "v", "e:rename", "v", "e:keys", "v", "e:copy", "v", "e:incr", "5", "e:gx", "v", "e:multi", "v", "live", "v");
    this.call("RPUSH", "e:push", "a", "b");
    this.call("HSET", "e:exists", "f", "v");
    this.call("ZADD", "e:type", "1", "m");
    this.call("SADD", "e:scan", "m");
    this.call("SET", "e:setover", "v", "PX", "5");
    this.call("PSETEX", "e:incr", "5", "7");
    this.call("GETEX", "e:gx", "PX", "5");
    for (const key of ["e:get", "e:rename", "e:keys", "e:copy", "e:multi", "e:push", "e:exists", "e:type", "e:scan"]) this.call("PEXPIRE", key, "5");
    const slot = this.payloadSlots++;
    this.steps.push({ dump: "live", into: slot });
    this.call("RESTORE", "e:restore", "5", { payload: slot });
    // Set last, so that once it has expired every key above has too.
    this.call("SET", "__clock__", "1", "PX", "15");
    this.steps.push({ waitExpired: "__clock__" });
    this.call("GET", "e:get");
    this.call("SET", "e:setover", "new");
    this.call("LPUSH", "e:push", "c");
    this.call("EXISTS", "e:exists");
    this.call("TYPE", "e:type");
    this.call("MULTI");
    this.call("GET", "e:multi");
    this.call("SET", "live", "v2");
    this.call("EXEC");
    this.call("RENAME", "e:rename", "e:renamed");
    this.call("KEYS", "*");
    this.call("DBSIZE");
    this.call("GET", "e:keys");
    this.call("INCR", "e:incr");
    this.call("COPY", "e:copy", "e:copied");
    this.call("GET", "e:gx");
    this.call("GET", "e:restore");
    this.call("SCAN", "0", "COUNT", "100");
    this.select(RANDOMKEY_DB);
    this.call("RANDOMKEY");
    this.select(back);
  }

  /**
   * Scripts running random commands (see RUN_COMMANDS), so that what a script propagates
   * is checked on every kind of write: EVAL, EVALSHA and FCALL, a SELECT inside the
   * script now and then, in and out of MULTI, with pcall or with call (an error ends the
   * script, the writes before it stay). Then the FUNCTION commands on the libraries.
   */
  scriptingEpisode(): void {
    this.call("FUNCTION", "LOAD", "REPLACE", RUNNER_LIBRARY);
    this.call("SCRIPT", "LOAD", RUN_COMMANDS("pcall"));
    this.call("SCRIPT", "LOAD", RUN_COMMANDS("call"));
    const commands = (): SeqArg[] => {
      const argv: SeqArg[] = [];
      for (let i = this.int(1, 4); i > 0; i--) {
        const command = this.chance(0.1) ? ["SELECT", this.dbIndex()] : this.randomCommand();
        argv.push(String(command.length), ...command);
      }
      return argv;
    };
    for (let i = this.int(2, 5); i > 0; i--) {
      const call = this.chance(0.7) ? "pcall" : "call";
      const kind = this.int(0, 3);
      const inMulti = !this.inMulti && this.chance(0.2);
      if (inMulti) this.call("MULTI");
      if (kind === 0) this.call("EVAL", RUN_COMMANDS(call), "0", ...commands());
      else if (kind === 1) this.call("EVALSHA", sha1(RUN_COMMANDS(call)), "0", ...commands());
      else this.call("FCALL", call === "pcall" ? "prun" : "crun", "0", ...commands());
      if (inMulti) {
        if (this.chance(0.5)) this.call(...this.randomCommand());
        this.call("EXEC");
      }
    }
    // The libraries: loaded, replaced, deleted, restored, flushed (each propagated itself).
    for (let i = this.int(1, 3); i > 0; i--) {
      switch (this.int(0, 5)) {
        case 0:
          this.call("FUNCTION", "LOAD", ...this.maybe(0.5, "REPLACE"), this.pick(OTHER_LIBRARIES));
          break;
        case 1:
          this.call("FUNCTION", "DELETE", this.pick(["other", "clash", "runner", "nosuch"]));
          break;
        case 2:
          this.call("FUNCTION", "RESTORE", functionsPayload(this.some(() => this.pick(OTHER_LIBRARIES), 0, 2)), ...this.maybe(0.7, this.pick(["APPEND", "REPLACE", "FLUSH"])));
          break;
        case 3:
          this.call("FUNCTION", "FLUSH", ...this.maybe(0.5, this.pick(["ASYNC", "SYNC"])));
          break;
        default:
          this.call("FCALL", "other2", "1", this.pick(STRINGS));
      }
    }
  }

  // ---- the whole sequence ------------------------------------------------------------------

  generate(length: number): SequenceStep[] {
    this.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    this.call(...START_MARKER);
    if (this.firstDatabase !== 0) this.select(this.firstDatabase);
    const lazyExpiryAt = [Math.floor(length / 3), Math.floor((2 * length) / 3)];
    const scriptingAt = [Math.floor(length / 6), Math.floor(length / 2), Math.floor((5 * length) / 6)];
    while (this.steps.length < length) {
      if (lazyExpiryAt.length > 0 && this.steps.length >= lazyExpiryAt[0]!) {
        lazyExpiryAt.shift();
        this.lazyExpiryEpisode();
        continue;
      }
      if (scriptingAt.length > 0 && this.steps.length >= scriptingAt[0]!) {
        scriptingAt.shift();
        this.scriptingEpisode();
        continue;
      }
      const action = this.random();
      if (action < 0.8) this.call(...this.randomCommand());
      else if (action < 0.87) this.transaction();
      else if (action < 0.9) this.blockingEpisode();
      else if (action < 0.915) this.streamEpisode();
      else if (action < 0.92) this.historyReadEpisode();
      else if (action < 0.95) this.select(this.randomDb());
      else if (action < 0.975) this.dump();
      else this.call(...this.restore());
    }
    this.select(0);
    this.hllDebugEpisode();
    return this.steps;
  }
}

/**
 * A sequence of about `options.length` steps from `seed`: first `DEBUG SET-ACTIVE-EXPIRE 0`
 * and the start marker, last `SELECT 0`, the PFDEBUG episode and the end marker (endMarker(seed)).
 */
export function generateWriteSequence(seed: number, options: SequenceOptions): SequenceStep[] {
  const generator = new Generator(seed, options);
  const steps = generator.generate(options.length);
  steps.push({ call: endMarker(seed) });
  return steps;
}

function sha1(text: string): string {
  return new Bun.CryptoHasher("sha1").update(text).digest("hex");
}

/** A step as one readable line (for failure reports). */
export function describeStep(step: SequenceStep): string {
  const show = (args: SeqArg[]) =>
    args.map((arg) => (typeof arg === "string" ? JSON.stringify(arg) : arg instanceof Uint8Array ? `<${arg.length} bytes>` : `<payload ${arg.payload}>`)).join(" ");
  if ("call" in step) return show(step.call);
  if ("dump" in step) return `DUMP ${JSON.stringify(step.dump)} -> payload ${step.into}`;
  if ("block" in step) return `[client 1, db ${step.db}] ${show(step.block)}`;
  if ("served" in step) return "[client 1 served]";
  return `[wait until ${step.waitExpired} expired]`;
}

/** The commands (lower case, `xgroup|create` for subcommands) a sequence sends: for coverage checks. */
export function commandsUsed(steps: SequenceStep[]): Set<string> {
  const names = new Set<string>();
  const add = (argv: SeqArg[]) => {
    const name = String(argv[0]).toLowerCase();
    names.add(name === "xgroup" || name === "function" ? `${name}|${String(argv[1]).toLowerCase()}` : name);
  };
  for (const step of steps) {
    if ("call" in step) add(step.call);
    else if ("block" in step) add(step.block);
    else if ("dump" in step) names.add("dump");
  }
  return names;
}
