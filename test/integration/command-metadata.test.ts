// Command metadata against the real redis-server: COMMAND DOCS of every command (its
// arguments, history, doc flags), COMMAND INFO with its key specifications, COMMAND
// GETKEYS / GETKEYSANDFLAGS over every kind of key spec, and redis-cli's view of them.

import { describe, expect, test } from "bun:test";
import { RawClient, redisCli, type Reply } from "../helpers/server.ts";
import { compareCommandInfo, compareScript, haveRedis, usePair } from "../helpers/differential.ts";

const pair = usePair();

/**
 * A parsed RESP3 reply as plain data: a map keeps its fields in the server's order,
 * except "subcommands", which Redis lists in hash order and is compared by name.
 */
function plain(reply: Reply, key?: Reply): unknown {
  if (reply instanceof Map) {
    const entries = [...reply.entries()].map(([k, v]) => [k, plain(v, k)] as const);
    if (key === "subcommands") entries.sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
    return entries;
  }
  if (Array.isArray(reply)) return reply.map((item) => plain(item));
  if (typeof reply === "bigint") return reply.toString();
  return reply;
}

async function resp3(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  await client.call("HELLO", "3");
  return client;
}

/**
 * Where a declaration (src/commands/<family>.ts) says otherwise than Redis: the
 * declaration wins, and the difference is listed here until the family file is fixed.
 */
const DECLARATION_DIFFERENCES: Record<string, string> = {};

describe.skipIf(!haveRedis)("command metadata", () => {
  test("COMMAND DOCS of every declared command is Redis's (arguments, history, doc flags, subcommands)", async () => {
    const [b, r] = await Promise.all([resp3(pair().bunker.port), resp3(pair().redis.port)]);
    try {
      const ours = (await b.call("COMMAND", "DOCS")) as Map<Reply, Reply>;
      const names = [...ours.keys()].map(String);
      const theirs = (await r.call("COMMAND", "DOCS", ...names)) as Map<Reply, Reply>;
      const mismatches: string[] = [];
      let withArguments = 0;
      for (const name of names) {
        let mine = ours.get(name) as Map<Reply, Reply>;
        let redis = theirs.get(name) as Map<Reply, Reply> | undefined;
        if (mine.has("arguments")) withArguments++;
        if (redis === undefined) {
          mismatches.push(`${name}: not a Redis command`);
          continue;
        }
        // Subcommands Bunker does not implement (LATENCY DOCTOR...) are absent on purpose.
        const subs = redis.get("subcommands");
        if (subs instanceof Map) {
          const declared = mine.get("subcommands") as Map<Reply, Reply>;
          redis = new Map(redis);
          redis.set("subcommands", new Map([...subs].filter(([sub]) => declared.has(sub))));
        }
        if (name in DECLARATION_DIFFERENCES) {
          // The declaration's own fields differ: compare Redis's metadata fields only.
          mine = new Map(mine);
          redis = new Map(redis);
          for (const field of ["summary", "since", "group", "complexity"]) {
            redis.delete(field);
            mine.delete(field);
          }
        }
        const a = JSON.stringify(plain(mine));
        const c = JSON.stringify(plain(redis));
        if (a !== c) mismatches.push(`${name}\n   bunker: ${a}\n   redis:  ${c}`);
      }
      expect(mismatches).toEqual([]);
      expect(names.length).toBeGreaterThan(190);
      expect(withArguments).toBeGreaterThan(150);
    } finally {
      b.close();
      r.close();
    }
  });

  test("COMMAND DOCS replies are byte-equal in RESP2 for commands with doc flags, deprecation and key arguments", async () => {
    const script = ["set", "getrange", "substr", "georadius", "slaveof", "lmove", "zunionstore", "xreadgroup", "client|kill", "config|set", "migrate", "sort", "eval"].map((name) => ["COMMAND", "DOCS", name]);
    // Only the commands Bunker declares are compared (GEO and MIGRATE may be missing).
    const declared = new Set(((await pair().b.call("COMMAND", "LIST")) as string[]).map(String));
    expect(await compareScript(pair(), script.filter((command) => declared.has(command[2]!)))).toEqual([]);
  });

  test("COMMAND INFO of every declared command, key specifications included, is Redis's", async () => {
    const names = ((await pair().b.call("COMMAND", "LIST")) as string[]).filter((name) => !name.includes("|"));
    expect(await compareCommandInfo(pair(), names, { onlyOurSubcommands: true })).toEqual([]);
    // Subcommands asked by full name, and unknown names.
    const subs = ((await pair().b.call("COMMAND", "LIST")) as string[]).filter((name) => name.includes("|"));
    expect(await compareScript(pair(), [["COMMAND", "INFO", ...subs.slice(0, 20)], ["COMMAND", "INFO", "nosuch", "get", "config|nosuch"]])).toEqual([]);
  });

  test("COMMAND GETKEYS and GETKEYSANDFLAGS over every kind of key spec, and their errors", async () => {
    const declared = new Set(((await pair().b.call("COMMAND", "LIST")) as string[]).map(String));
    const calls: string[][] = [
      ["SET", "k", "v"],
      ["SET", "k", "v", "GET"],
      ["SET", "k", "v", "EX", "10", "get"],
      ["GET", "k"],
      ["MSET", "a", "1", "b", "2"],
      ["MGET", "a", "b", "c"],
      ["DEL", "a", "b"],
      ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
      ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
      ["SMOVE", "src", "dst", "m"],
      ["RENAME", "a", "b"],
      ["RENAMENX", "a", "b"],
      ["COPY", "a", "b"],
      ["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["ZUNIONSTORE", "dst", "3", "a", "b"],
      ["ZUNIONSTORE", "dst", "-1", "a", "b"],
      ["ZINTER", "2", "a", "b"],
      ["ZDIFF", "1", "a"],
      ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["LMPOP", "2", "a", "b", "LEFT"],
      ["BLMPOP", "0", "2", "a", "b", "LEFT"],
      ["ZMPOP", "1", "a", "MIN"],
      ["BZMPOP", "0", "1", "a", "MIN"],
      ["SORT", "k"],
      ["SORT", "k", "BY", "w_*", "GET", "o_*", "STORE", "dst"],
      ["SORT", "k", "LIMIT", "0", "1", "STORE", "dst", "STORE", "dst2"],
      ["SORT_RO", "k", "BY", "w_*"],
      ["XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"],
      ["XREAD", "STREAMS", "s1", "s2", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s1", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "streams", "STREAMS", ">", ">"],
      ["XADD", "s", "*", "f", "v"],
      ["EVAL", "return 1", "2", "a", "b", "c"],
      ["EVAL", "return 1", "0"],
      ["EVAL", "return 1", "-1"],
      ["EVAL", "return 1", "3", "a"],
      ["EVALSHA_RO", "abc", "1", "a"],
      ["FCALL", "f", "1", "a", "x"],
      ["FCALL_RO", "f", "0"],
      ["MIGRATE", "h", "1", "k", "0", "10"],
      ["MIGRATE", "h", "1", "", "0", "10", "COPY", "AUTH", "pw", "KEYS", "a", "b"],
      ["MIGRATE", "h", "1", "", "0", "10", "AUTH2", "u", "keys", "KEYS", "a"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst"],
      ["GEORADIUS", "g", "0", "0", "1", "km", "STOREDIST", "dst"],
      ["GEORADIUSBYMEMBER", "g", "m", "1", "km", "STORE", "a", "STOREDIST", "b"],
      ["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
      ["OBJECT", "ENCODING", "k"],
      ["OBJECT", "FREQ", "k"],
      ["MEMORY", "USAGE", "k"],
      ["DEBUG", "OBJECT", "k"],
      ["BITFIELD", "k", "GET", "u8", "0"],
      ["BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"],
      ["BITFIELD_RO", "k", "GET", "u8", "0"],
      ["BITOP", "AND", "dst", "a", "b"],
      ["BLPOP", "a", "b", "0"],
      ["WATCH", "a", "b"],
      ["PFMERGE", "dst", "a", "b"],
      ["LCS", "a", "b"],
      ["GETEX", "k", "PERSIST"],
      ["XGROUP", "CREATE", "s", "g", "$"],
      ["XINFO", "STREAM", "s"],
      ["PUBLISH", "ch", "m"],
      ["PING"],
      ["ECHO", "x"],
      ["NOSUCH", "x"],
      ["CONFIG", "NOSUCH", "x"],
      ["GET"],
      ["GET", "a", "b"],
      ["OBJECT", "ENCODING"],
      ["EVAL"],
    ];
    const script: string[][] = [];
    for (const call of calls) {
      const name = call[0]!.toLowerCase();
      const full = call.length > 1 ? `${name}|${call[1]!.toLowerCase()}` : name;
      if (["georadius", "georadiusbymember", "geosearchstore", "migrate", "memory", "lcs"].includes(name) && !declared.has(name)) continue;
      if (name === "memory" && !declared.has(full)) continue;
      script.push(["COMMAND", "GETKEYS", ...call], ["COMMAND", "GETKEYSANDFLAGS", ...call]);
    }
    expect(await compareScript(pair(), script)).toEqual([]);
    expect(await compareScript(pair(), [["COMMAND", "GETKEYSANDFLAGS"], ["COMMAND", "GETKEYSANDFLAGS", "GET"]])).toEqual([]);
    // RESP3: the flags are a set.
    const [b, r] = await Promise.all([resp3(pair().bunker.port), resp3(pair().redis.port)]);
    try {
      // RESP3 tells sets (flags, key specs) from arrays: byte-equal replies (of commands
      // without subcommands, which Redis lists in hash order).
      for (const name of ["set", "sort", "georadius", "xreadgroup", "lmove", "eval", "getrange", "bitfield"]) {
        if (!declared.has(name)) continue;
        for (const sub of ["INFO", "DOCS"]) expect(await b.callRaw("COMMAND", sub, name)).toBe(await r.callRaw("COMMAND", sub, name));
      }
      for (const call of [["SET", "k", "v", "GET"], ["LMOVE", "a", "b", "LEFT", "LEFT"]]) {
        expect(await b.callRaw("COMMAND", "GETKEYSANDFLAGS", ...call)).toBe(await r.callRaw("COMMAND", "GETKEYSANDFLAGS", ...call));
      }
    } finally {
      b.close();
      r.close();
    }
  });

  // The key specs give up on a numkeys of "2x"; the key functions then read it with
  // atoi, as Redis's genericGetKeys does, and answer a, b, dst.
  test("COMMAND GETKEYS ZUNIONSTORE dst 2x a b: numkeys read as atoi, as Redis's fallback does", async () => {
    expect(await compareScript(pair(), [["COMMAND", "GETKEYSANDFLAGS", "ZUNIONSTORE", "dst", "2x", "a", "b"], ["COMMAND", "GETKEYS", "EVAL", "s", "1x", "a"]])).toEqual([]);
  });

  test("redis-cli prints Redis's COMMAND DOCS set and COMMAND INFO set", async () => {
    for (const args of [["COMMAND", "DOCS", "set"], ["COMMAND", "INFO", "set"], ["COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"], ["--no-raw", "COMMAND", "DOCS", "zadd"]]) {
      const [ours, theirs] = await Promise.all([redisCli(pair().bunker.port, ...args), redisCli(pair().redis.port, ...args)]);
      expect(ours).toBe(theirs);
      expect(ours).toContain(args[1] === "INFO" || args[1] === "GETKEYSANDFLAGS" ? "RW" : "key_spec_index");
    }
  });

  test("redis-cli's help, built from the server's COMMAND DOCS, prints each command's syntax", async () => {
    const help = async (port: number): Promise<string> => {
      const proc = Bun.spawn(["redis-cli", "-p", String(port)], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      proc.stdin.write("help set\nhelp lmove\nhelp zadd\nhelp client kill\nhelp xreadgroup\nhelp config set\n");
      await proc.stdin.end();
      const out = await new Response(proc.stdout).text();
      await proc.exited;
      return out;
    };
    const [ours, theirs] = await Promise.all([help(pair().bunker.port), help(pair().redis.port)]);
    expect(ours).toBe(theirs);
    expect(ours).toContain("key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]");
  });
});
