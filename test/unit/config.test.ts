// The configuration module against a real Redis 7.0.15: defaults, CONFIG GET
// patterns, CONFIG SET replies for many values of every parameter, start-up from
// the command line / config files / stdin, the FATAL CONFIG FILE ERROR report and
// CONFIG REWRITE output. Tests that need redis-server are skipped when it is not
// installed; the others pin the verified behaviour without it.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { Config, ConfigError, FatalConfigError, unsupportedReason } from "../../src/config.ts";
import { CONFIG_TABLE, type ConfigParam } from "../../src/config-table.ts";
import { NOTIFY_NEW as NEW_KEY_EVENTS } from "../../src/notify.ts";
import { freePort } from "../helpers/server.ts";
import { DEADLINE_MS } from "../helpers/wait.ts";

// Starting redis-server processes and probing thousands of values takes seconds.
setDefaultTimeout(60_000);

// ---- a real redis-server, spoken to over raw RESP2 ----------------------------------

const redisServerPath = Bun.which("redis-server");
const haveRedis = redisServerPath !== null;

type Reply = string | number | null | { error: string } | Reply[];

/** Binary strings (latin1) in and out, so values compare byte for byte. */
class RespClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  private closed = false;

  private constructor(private readonly socket: Awaited<ReturnType<typeof Bun.connect>>) {}

  static async open(port: number): Promise<RespClient> {
    let client: RespClient | null = null;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, chunk) {
          client!.onData(Buffer.from(chunk));
        },
        close() {
          client?.onClose();
        },
      },
    });
    client = new RespClient(socket);
    return client;
  }

  private onClose(): void {
    this.closed = true;
    for (const { reject } of this.waiting.splice(0)) reject(new Error("connection closed"));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.waiting.length === 0) return;
      const parsed = parseReply(this.buffer, 0);
      if (parsed === null) return;
      this.buffer = this.buffer.subarray(parsed.end);
      this.waiting.shift()!.resolve(parsed.value);
    }
  }

  async call(...args: string[]): Promise<Reply> {
    if (this.closed) throw new Error("connection closed");
    let encoded = `*${args.length}\r\n`;
    for (const arg of args) encoded += `$${arg.length}\r\n${arg}\r\n`;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${args.join(" ")}`)), DEADLINE_MS);
      this.waiting.push({
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    const bytes = Buffer.from(encoded, "latin1");
    let written = 0;
    while (written < bytes.length) {
      const n = this.socket.write(bytes.subarray(written));
      if (n < 0) throw new Error("socket closed");
      written += n;
      if (written < bytes.length) await Bun.sleep(1);
    }
    return reply;
  }

  close(): void {
    this.socket.end();
  }
}

function parseReply(buffer: Buffer, start: number): { value: Reply; end: number } | null {
  const lineEnd = buffer.indexOf("\r\n", start);
  if (lineEnd < 0) return null;
  const kind = String.fromCharCode(buffer[start]!);
  const header = buffer.toString("latin1", start + 1, lineEnd);
  let position = lineEnd + 2;
  switch (kind) {
    case "+":
      return { value: header, end: position };
    case "-":
      return { value: { error: header }, end: position };
    case ":":
      return { value: Number(header), end: position };
    case "$": {
      const length = Number(header);
      if (length < 0) return { value: null, end: position };
      if (buffer.length < position + length + 2) return null;
      return { value: buffer.toString("latin1", position, position + length), end: position + length + 2 };
    }
    case "*": {
      const count = Number(header);
      const items: Reply[] = [];
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, position);
        if (item === null) return null;
        items.push(item.value);
        position = item.end;
      }
      return { value: items, end: position };
    }
    default:
      throw new Error(`bad reply type ${kind}`);
  }
}

class RealRedis {
  private constructor(
    readonly port: number,
    private readonly process: Subprocess,
    readonly client: RespClient,
  ) {}

  /**
   * Starts redis-server with `args(port)` in `cwd` (a config file argument must set the
   * port itself); `password` answers a requirepass the configuration sets.
   */
  static async start(cwd: string, args: (port: number) => string[], options: { stdin?: string; password?: string } = {}): Promise<RealRedis> {
    let lastExit: number | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      const child = Bun.spawn([redisServerPath!, ...args(port)], {
        cwd,
        stdin: options.stdin === undefined ? "ignore" : Buffer.from(options.stdin, "latin1"),
        stdout: "ignore",
        stderr: "ignore",
      });
      const deadline = Date.now() + DEADLINE_MS;
      while (Date.now() < deadline && child.exitCode === null) {
        let client: RespClient;
        try {
          client = await RespClient.open(port);
        } catch {
          await Bun.sleep(20);
          continue;
        }
        const pong = await client.call("PING");
        if (pong === "PONG") return new RealRedis(port, child, client);
        if (pong !== null && typeof pong === "object" && "error" in pong && pong.error.startsWith("NOAUTH") && options.password !== undefined) {
          if ((await client.call("AUTH", options.password)) === "OK") return new RealRedis(port, child, client);
        }
        client.close();
        await Bun.sleep(20);
      }
      child.kill("SIGKILL");
      lastExit = await child.exited;
    }
    throw new Error(`could not start redis-server ${args(0).join(" ")} (last exit ${lastExit})`);
  }

  async configGet(...patterns: string[]): Promise<Map<string, string>> {
    const reply = await this.client.call("CONFIG", "GET", ...patterns);
    if (!Array.isArray(reply)) throw new Error(`CONFIG GET failed: ${JSON.stringify(reply)}`);
    const map = new Map<string, string>();
    for (let i = 0; i < reply.length; i += 2) map.set(reply[i] as string, reply[i + 1] as string);
    return map;
  }

  /** CONFIG SET's reply as Config.set reports it: null for +OK, else the error text. */
  async configSet(...args: string[]): Promise<string | null> {
    const reply = await this.client.call("CONFIG", "SET", ...args);
    if (reply === "OK") return null;
    if (reply !== null && typeof reply === "object" && "error" in reply) return reply.error;
    throw new Error(`unexpected CONFIG SET reply ${JSON.stringify(reply)}`);
  }

  async stop(): Promise<void> {
    try {
      await this.client.call("SHUTDOWN", "NOSAVE");
    } catch {
      // The connection closes as the server exits.
    }
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 5000);
    await this.process.exited;
    clearTimeout(timer);
  }
}

/** Runs redis-server expecting it to refuse its configuration. */
async function runFailingRedis(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([redisServerPath!, ...args], { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

// ---- helpers ----------------------------------------------------------------------------

const scratchDirs: string[] = [];
function scratchDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), "bunker-config-")));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Config changes the process's working directory for `dir`: put it back after each use. */
function keepingCwd<T>(fn: () => T): T {
  const saved = process.cwd();
  try {
    return fn();
  } finally {
    process.chdir(saved);
  }
}

function load(argv: string[], cwd: string, stdin?: string): Config {
  return keepingCwd(
    () => Config.fromArgs(argv, cwd, stdin === undefined ? {} : { readStdin: () => Buffer.from(stdin, "latin1") }).config,
  );
}

function fatalOf(fn: () => unknown): FatalConfigError {
  try {
    keepingCwd(fn);
  } catch (error) {
    if (error instanceof FatalConfigError) return error;
    throw error;
  }
  throw new Error("expected a FatalConfigError");
}

function asMap(pairs: Array<[string, string]>): Map<string, string> {
  return new Map(pairs);
}

/** Sorted "name=value" lines of two CONFIG GET answers, minus names that depend on the process. */
function comparable(map: Map<string, string>, ignore: string[]): string[] {
  return [...map]
    .filter(([name]) => !ignore.includes(name))
    .map(([name, value]) => `${name}=${value}`)
    .sort();
}

// ---- values tried with CONFIG SET on both servers ---------------------------------------

const COMMON_PROBES = ["abc", "", "-1", "0", "1", "1.5", "+1", " 1", "1 ", "01", "0x10", "99999999999999999999", "-99999999999999999999"];

const NUMERIC_PROBES = [
  "2", "5", "100", "1000", "0777", "0778", "777", "65535", "65536", "2147483647", "2147483648", "-2147483648",
  "-2147483649", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551615",
  "18446744073709551616", "1k", "1kb", "1K", "1KB", "2mb", "1gb", "3g", "1b", "kb", "1 kb", "1kbb", "50%", "100%",
  "101%", "-5%", "%", "5%%", "1048576", "1048575", "20000000000g",
];

const BOOL_PROBES = ["yes", "no", "YES", "No", "maybe", "y", "true"];
const STRING_PROBES = ["x", "a/b", "a\\b", "a b", "{port}", "{title}", "{title} {port}", "{{", "{x}", "a_b", "a.b-c", "\x01\xff\"q"];

/** Probes per parameter kind, plus extra ones for the special formats. */
function probesFor(param: ConfigParam): string[] {
  switch (param.kind) {
    case "bool":
      return [...COMMON_PROBES, ...BOOL_PROBES];
    case "int":
    case "memory":
      return [...COMMON_PROBES, ...NUMERIC_PROBES];
    case "enum": {
      const names = param.values.map(([name]) => name);
      return [...COMMON_PROBES, ...names, ...names.map((name) => name.toUpperCase()), names.join(" "), "save now", "now save", "default save", "save nosave", "force  now"];
    }
    case "string":
      return [...COMMON_PROBES, ...STRING_PROBES];
    case "special":
      switch (param.name) {
        case "save":
          return [...COMMON_PROBES, "100 1", "100 ", " ", "100  1", "0 1", "1 -1", "+5 01", "5 -0", "5 1x", "100 1 200", "100 1 100 1", "9999999999999999999 5", "5 99999999999", "5 2147483648", '""'];
        case "client-output-buffer-limit":
          // Small "normal" limits would disconnect the probing client itself.
          return [...COMMON_PROBES, "replica 1mb 2k 3", "pubsub 1 2 3 slave 4 5 6", "master 1 1 1", "pubsub 1 1", "pubsub 1 1 -1", "pubsub x 1 1", "PUBSUB 1 1 1x", "pubsub 0 0 9999999999", "pubsub 0 0 2147483648", "pubsub 0 0 +5", "nope 1 1 1", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"];
        case "oom-score-adj-values":
          return [...COMMON_PROBES, "0 200 800", "1 2 3", "0 200", "0 200 5000", "-2000 0 2000", "-2001 0 0", "a b c", "0 0 0 0", "0  0"];
        case "notify-keyspace-events":
          return [...COMMON_PROBES, "KEA", "Ex", "zlshg$xetmdn", "A", "AKEm", "An", "gn", "Q", "KE$", "d", "AAA"];
        case "latency-tracking-info-percentiles":
          return [...COMMON_PROBES, "50 99 99.9", "50 abc", "101", "1.50000 2e1 0x10", "100", "0.0001", "1e-7", "-0", "inf", "nan", ".5", "5.", "0x1p-2"];
        case "bind":
          // Real bind changes are checked by binding; only the pre-apply refusal is comparable.
          return [Array.from({ length: 17 }, (_, i) => `127.0.0.${i + 1}`).join(" ")];
        case "dir":
        case "replicaof":
          return COMMON_PROBES;
      }
  }
}

/**
 * Values that would disturb the probing connection or depend on the machine (not on
 * the configuration logic): kept out for these parameters, whose other probes still run.
 */
function safeOnRealServer(name: string, value: string): boolean {
  switch (name) {
    case "port":
      return !/^\d+$/.test(value) || Number(value) > 65535;
    case "maxmemory-clients":
      // Any non-percent byte limit evicts the probing client.
      return value.includes("%") || value === "0" || value === "" || !/^\d/.test(value);
    case "timeout":
      return !/^\d+$/.test(value) || value === "0";
    case "maxclients":
      // adjustOpenFilesLimit depends on the process's rlimits, not on the config.
      return !/^\d+$/.test(value) || value === "0" || value === "1" || BigInt(value) > 4294967295n;
    case "tls-port":
    case "tls-replication":
    case "tls-cluster":
      // Enabling TLS makes Redis load certificates (Bunker has no TLS).
      return !(value === "yes" || value === "YES" || (/^\d+$/.test(value) && Number(value) > 0 && Number(value) <= 65535));
    case "watchdog-period":
      return !/^\d+$/.test(value) || value === "0";
    default:
      return true;
  }
}

// ---- tests that need a real redis-server ------------------------------------------------

describe.skipIf(!haveRedis)("against a real Redis 7.0.15", () => {
  let real: RealRedis;
  let realDir: string;

  beforeAll(async () => {
    realDir = scratchDir();
    real = await RealRedis.start(realDir, (port) => ["--port", String(port)]);
  });
  afterAll(async () => {
    await real?.stop();
  });

  test("every default equals CONFIG GET * of a server started with only --port", async () => {
    const realAll = await real.configGet("*");
    const ours = asMap(Config.defaults().get(["*"]));
    expect(realAll.size).toBeGreaterThan(180);
    expect(comparable(ours, ["port", "dir"])).toEqual(comparable(realAll, ["port", "dir"]));
    expect(realAll.get("dir")).toBe(realDir);
    expect(ours.get("dir")).toBe(process.cwd());
  });

  test("hidden parameters answer by exact name only, like Redis", async () => {
    const ours = Config.defaults();
    for (const name of ["rdb-key-save-delay", "key-load-delay", "loading-process-events-interval-bytes", "watchdog-period", "use-exit-on-panic"]) {
      expect(asMap(ours.get([name]))).toEqual(await real.configGet(name));
    }
    for (const pattern of ["rdb-key*", "*delay*", "loading-*", "*panic*"]) {
      expect(asMap(Config.defaults().get([pattern]))).toEqual(await real.configGet(pattern));
    }
  });

  test("CONFIG GET patterns, several patterns, case and aliases match Redis", async () => {
    const ours = Config.defaults();
    const cases: string[][] = [
      ["maxmemory"],
      ["MAXMEMORY"],
      ["MaxMemory", "maxmemory"],
      ["maxmemory*", "MAXMEMORY"],
      ["MAXMEMORY", "maxmemory*"],
      ["*slave*"],
      ["*replica*"],
      ["slaveof", "replicaof"],
      ["hash-max-*"],
      ["h?"],
      ["[ab]*"],
      ["*[^a-y]"],
      ["*max*", "*min*", "*max*"],
      ["nonexistent"],
      ["nonexist*"],
      ["SAVE", "save"],
      ["*-*-*-*-*"],
      ["\\*"],
      ["*\\-lazy*"],
      ["lua-time-limit", "busy-reply-threshold"],
    ];
    for (const patterns of cases) {
      const expected = await real.configGet(...patterns);
      const actual = ours.get(patterns);
      // Redis answers in hash order: compare as maps, and check no name repeats.
      expect({ patterns, result: asMap(actual) }).toEqual({ patterns, result: expected });
      expect(new Set(actual.map(([name]) => name)).size).toBe(actual.length);
    }
  });

  test("CONFIG SET of many values for every parameter gives Redis's replies and values", async () => {
    const ours = load(["--port", String(real.port)], realDir);
    const mismatches: string[] = [];
    let compared = 0;
    for (const param of CONFIG_TABLE) {
      const names = param.alias === undefined ? [param.name] : [param.name, param.alias];
      const original = (await real.configGet(param.name)).get(param.name)!;
      for (const name of names) {
        for (const value of probesFor(param)) {
          if (!safeOnRealServer(param.name, value)) continue;
          const redisReply = await real.configSet(name, value);
          const actual = keepingCwd(() => ours.set([[name, value]]));
          compared++;
          const realValue = (await real.configGet(param.name)).get(param.name);
          // A value that needs a feature Bunker lacks is refused where Redis takes it; ours keeps the old value.
          const refusedHere = param.unsupported !== undefined && redisReply === null && realValue !== param.default;
          const expected = refusedHere ? `ERR CONFIG SET failed (possibly related to argument '${name}') - ${unsupportedReason(param.unsupported!.feature, name)}` : redisReply;
          if (expected !== actual) mismatches.push(`SET ${name} ${JSON.stringify(value)}: redis ${JSON.stringify(expected)} ours ${JSON.stringify(actual)}`);
          const ourValue = ours.getString(param.name);
          if (refusedHere ? ourValue !== original : realValue !== ourValue) {
            mismatches.push(`GET ${param.name} after ${JSON.stringify(value)}: redis ${JSON.stringify(realValue)} ours ${JSON.stringify(ourValue)}`);
          }
          if (redisReply === null) {
            await real.configSet(param.name, original);
            keepingCwd(() => ours.set([[param.name, param.name === "dir" ? ours.getString("dir") : original]]));
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
    const after = await real.configGet("*");
    expect(comparable(asMap(ours.get(["*"])), [])).toEqual(comparable(after, []));
  });

  test("CONFIG SET with several pairs: order of checks, duplicates, aliases, atomicity", async () => {
    const ours = Config.defaults();
    const cases: string[][] = [
      ["maxmemory", "1mb", "maxmemory-policy", "allkeys-lru"],
      ["maxmemory", "2mb", "maxmemory-policy", "bogus"],
      ["maxmemory", "1", "MAXMEMORY", "2"],
      ["hash-max-ziplist-entries", "100", "hash-max-listpack-entries", "200"],
      ["foo", "bar", "maxmemory", "3mb"],
      ["maxmemory", "1", "foo", "bar"],
      ["daemonize", "yes", "foo", "bar"],
      ["foo", "bar", "daemonize", "yes"],
      ["maxmemory", "abc", "daemonize", "yes"],
      ["DAEMONIZE", "yes"],
      ["Hash-Max-Ziplist-Entries", "-1"],
      ["maxmemory", "4mb", "dir", "/tmp"],
      ["save", "10 1", "appendfsync", "always", "timeout", "x"],
      ["save", "10 1", "appendfsync", "always"],
      ["slave-read-only", "no", "replica-read-only", "yes"],
      ["lua-time-limit", "100", "BUSY-reply-threshold", "200"],
      ["maxmemory", "0", "save", "3600 1 300 100 60 10000", "appendfsync", "everysec", "replica-read-only", "yes", "hash-max-listpack-entries", "512", "busy-reply-threshold", "5000"],
    ];
    for (const args of cases) {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!, args[i + 1]!]);
      const expected = await real.configSet(...args);
      const actual = ours.set(pairs);
      expect({ args, reply: actual }).toEqual({ args, reply: expected });
      const realAll = await real.configGet("*");
      expect(comparable(asMap(ours.get(["*"])), ["port", "dir"])).toEqual(comparable(realAll, ["port", "dir"]));
    }
  });

  test("protected configs (dir, dbfilename) once enable-protected-configs allows them", async () => {
    const ourStart = scratchDir();
    const protectedReal = await RealRedis.start(ourStart, (port) => ["--port", String(port), "--enable-protected-configs", "yes"]);
    const ours = load(["--enable-protected-configs", "yes"], ourStart);
    const target = scratchDir();
    const file = join(target, "plain-file");
    fs.writeFileSync(file, "");
    try {
      const probes: Array<[string, string]> = [
        ["dbfilename", "a/b"],
        ["dbfilename", "a\\b"],
        ["dbfilename", ""],
        ["dbfilename", "other.rdb"],
        ["dir", "/nonexistent/at/all"],
        ["dir", ""],
        ["dir", file],
        ["dir", target],
        ["dir", "."],
      ];
      for (const [name, value] of probes) {
        const expected = await protectedReal.configSet(name, value);
        const actual = keepingCwd(() => {
          process.chdir(ours.getString("dir"));
          return ours.set([[name, value]]);
        });
        expect({ name, value, reply: actual }).toEqual({ name, value, reply: expected });
        expect(ours.getString(name)).toBe((await protectedReal.configGet(name)).get(name)!);
      }
      expect(ours.getString("dir")).toBe(target);
      expect(Config.defaults().set([["dir", target]], { localClient: true })).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
      );
      const local = load(["--enable-protected-configs", "local"], ourStart);
      expect(keepingCwd(() => local.set([["dbfilename", "x.rdb"]], { localClient: true }))).toBeNull();
      expect(local.set([["dbfilename", "y.rdb"]], { localClient: false })).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config",
      );
    } finally {
      await protectedReal.stop();
    }
  });

  test("start-up from command line, config files with include and quotes, and stdin matches Redis", async () => {
    const dir = scratchDir();
    const included = join(dir, "included.conf");
    fs.writeFileSync(included, "timeout 5\nsave 30 3\nmaxmemory 7mb\n");
    fs.writeFileSync(join(dir, "inc-a.conf"), "tcp-keepalive 77\n");
    fs.writeFileSync(join(dir, "inc-b.conf"), "tcp-keepalive 88\nlatency-tracking-info-percentiles 1 2.5\n");
    const mainFile = (port: number, extra: string) =>
      [
        "# a comment",
        `   port ${port}   `,
        "bind 127.0.0.1",
        'requirepass "p w\\x41\\n"',
        "slave-read-only no",
        "hash-max-ziplist-entries 10",
        "list-max-ziplist-entries 5",
        "notify-keyspace-events KEA",
        "client-output-buffer-limit replica 1mb 2mb 3 pubsub 0 0 0",
        "oom-score-adj-values 1 2 3",
        "hz 1000",
        "shutdown-on-sigterm save now",
        "maxmemory-clients 10%",
        "unixsocketperm 700",
        "dbfilename 'my dump.rdb'",
        "save 100 1",
        "",
        "save 200 2",
        `include ${included}`,
        "save 300 3",
        "save 400 4",
        `include ${join(dir, "inc-*.conf")}`,
        `include ${join(dir, "nothing-*.conf")}`,
        "MAXMEMORY-POLICY allkeys-lfu",
        extra,
      ].join("\n");
    const scenarios: Array<{ name: string; argv: (port: number) => string[]; stdin?: string; password?: string; files?: (port: number) => Record<string, string> }> = [
      { name: "--save alone at the end", argv: (port) => ["--port", String(port), "--save"] },
      { name: "--save followed by an option", argv: (port) => ["--save", "--port", String(port), "--maxmemory", "1mb"] },
      { name: "repeated --save", argv: (port) => ["--port", String(port), "--save", "100", "1", "--save", "200", "2"] },
      { name: "name and value in one argument", argv: (port) => [`--port ${port}`, "--maxmemory 2mb", "--bind", "127.0.0.1", "-::1"] },
      {
        name: "values with spaces and quotes",
        argv: (port) => ["--port", String(port), "--requirepass", 'a "b" c', "--dbfilename", "x y.rdb"],
        password: 'a "b" c',
      },
      { name: "a value that looks like an option", argv: (port) => ["--port", String(port), "--ignore-warnings", "--not-an-option"] },
      {
        name: "config file with include, aliases, deprecated and quoted values",
        argv: () => [join(dir, "main.conf")],
        files: (port) => ({ "main.conf": mainFile(port, "") }),
        password: "p wA\n",
      },
      {
        name: "config file then command-line options",
        argv: () => [join(dir, "main.conf"), "--maxmemory", "9mb", "--save", "1", "1"],
        files: (port) => ({ "main.conf": mainFile(port, "dynamic-hz no") }),
        password: "p wA\n",
      },
      { name: "stdin as first argument", argv: (port) => ["-", "--port", String(port)], stdin: "maxmemory 5mb\nsave 10 10\n" },
      {
        name: "config file and stdin",
        argv: () => [join(dir, "stdin.conf"), "-"],
        stdin: "maxmemory 6mb\n",
        files: (port) => ({ "stdin.conf": `port ${port}\nsave 5 5\n` }),
      },
    ];
    for (const scenario of scenarios) {
      let started: RealRedis | null = null;
      let ourArgv: string[] = [];
      started = await RealRedis.start(
        dir,
        (port) => {
          for (const [name, content] of Object.entries(scenario.files?.(port) ?? {})) fs.writeFileSync(join(dir, name), content);
          ourArgv = scenario.argv(port);
          return ourArgv;
        },
        { stdin: scenario.stdin, password: scenario.password },
      );
      try {
        const realAll = await started.configGet("*");
        const ours = load(ourArgv, dir, scenario.stdin);
        expect({ scenario: scenario.name, config: comparable(asMap(ours.get(["*"])), ["dir"]) }).toEqual({
          scenario: scenario.name,
          config: comparable(realAll, ["dir"]),
        });
      } finally {
        await started.stop();
      }
    }
  });

  test("the FATAL CONFIG FILE ERROR report is the one redis-server prints", async () => {
    const dir = scratchDir();
    const write = (name: string, content: string) => {
      fs.writeFileSync(join(dir, name), content);
      return join(dir, name);
    };
    write("ok.conf", "port 0\n");
    write("bad-inside.conf", "timeout 1\n\nmaxmemory lots\n");
    const cases: string[][] = [
      [write("bad-directive.conf", "# comment\nport 0\n\nfoo bar\n")],
      [write("bad-value.conf", 'port 0\n  maxmemory   "abc" \n')],
      [write("unbalanced.conf", 'save "abc\n')],
      [write("wrong-count.conf", "port 0 1\n")],
      [write("bad-bool.conf", "appendonly maybe\n")],
      [write("bad-enum.conf", "maxmemory-policy lru\n")],
      [write("bad-save.conf", "save 0 1\n")],
      [write("bad-dbfilename.conf", "dbfilename a/b\n")],
      [write("bad-dir.conf", "dir /nonexistent/dir\n")],
      [write("bad-defrag.conf", "activedefrag yes\n")],
      [write("bad-sentinel.conf", "sentinel monitor x 127.0.0.1 1 1\n")],
      [write("bad-module-config.conf", "mymodule.option\n")],
      [write("bad-include-args.conf", "include a b\n")],
      [write("bad-logfile.conf", "logfile /nonexistent/dir/redis.log\n")],
      [write("bad-master-port.conf", "replicaof host 70000\n")],
      [write("includes-bad.conf", `port 0\ninclude ${join(dir, "bad-inside.conf")}\n`)],
      [join(dir, "ok.conf"), "--maxmemory", "abc"],
      [join(dir, "ok.conf"), "--port", "1", "2"],
      [write("no-trailing-newline.conf", "port 0"), "--bogus", "1"],
      ["--port", "0", "--maxmemory"],
      ["--port", "0", "--maxmemory", "--timeout", "5"],
      ["--port", "0", "--save", "1", "x"],
      ["--port", "0", "--requirepass", "a\x01b", "--bogus", "x"],
    ];
    for (const argv of cases) {
      const realRun = await runFailingRedis(dir, argv);
      expect({ argv, code: realRun.code }).toEqual({ argv, code: 1 });
      const ours = fatalOf(() => Config.fromArgs(argv, dir));
      expect(ours.reportedThroughLog).toBe(false);
      expect({ argv, report: ours.report }).toEqual({ argv, report: realRun.stderr });
    }
  });

  test("config files that cannot be opened are reported through the log, as Redis does", async () => {
    const dir = scratchDir();
    fs.writeFileSync(join(dir, "includes-missing.conf"), "port 0\ninclude /nonexistent/x.conf\n");
    for (const argv of [["missing.conf"], [join(dir, "includes-missing.conf")]]) {
      const realRun = await runFailingRedis(dir, argv);
      expect(realRun.code).toBe(1);
      const logged = /# (Fatal error, can't open config file .*)\n/.exec(realRun.stdout);
      expect(logged).not.toBeNull();
      const ours = fatalOf(() => Config.fromArgs(argv, dir));
      expect(ours.reportedThroughLog).toBe(true);
      expect(ours.report).toBe(logged![1]!);
    }
  });

  test("CONFIG REWRITE produces the file Redis writes", async () => {
    const sharedDir = scratchDir();
    const realDir = scratchDir();
    const ourDir = scratchDir();
    const included = join(sharedDir, "included.conf");
    fs.writeFileSync(included, "timeout 5\n");
    const content = (port: number) =>
      [
        "# my configuration",
        `  port ${port}  `,
        `dir ${sharedDir}`,
        `include ${included}`,
        "slave-read-only yes",
        "hash-max-ziplist-entries 100",
        "save 100 1",
        "",
        "",
        "",
        "save 200 2",
        "bind 127.0.0.1",
        "maxmemory 1gb",
        'logfile ""',
        "\tmaxmemory 2gb",
        "rename-command FLUSHDB \"\"",
        "loadmodule-not-really-known x",
        "# Generated by CONFIG REWRITE (not the exact signature)",
        "appendfsync always",
        "",
      ].join("\n");

    let realFile = "";
    const realServer = await RealRedis.start(realDir, (port) => {
      realFile = join(realDir, "redis.conf");
      // Redis refuses unknown directives at start-up: add the line after it started.
      fs.writeFileSync(realFile, content(port).replace("loadmodule-not-really-known x\n", ""));
      return [realFile];
    });
    try {
      const ourFile = join(ourDir, "redis.conf");
      fs.writeFileSync(ourFile, fs.readFileSync(realFile));
      const ours = keepingCwd(() => Config.fromArgs([ourFile], ourDir, { isKnownCommand: (name) => name === "flushdb" }).config);
      for (const file of [realFile, ourFile]) fs.appendFileSync(file, "loadmodule-not-really-known x\nsome-unknown-parameter 5\n");

      const rounds: string[][][] = [
        [["maxmemory", "3000000"], ["appendfsync", "everysec"], ["hash-max-listpack-value", "2048"], ["client-output-buffer-limit", "pubsub 1mb 2gb 30"]],
        [["notify-keyspace-events", "KEA"], ["save", ""], ["requirepass", "secret"], ["maxmemory-clients", "5%"], ["proc-title-template", "{title} {port}"]],
        [["bind", "* -::*"], ["hash-max-listpack-entries", "512"], ["slave-read-only", "no"], ["save", "10 1 20 2"], ["latency-tracking-info-percentiles", ""], ["oom-score-adj-values", "0 100 800"]],
      ];
      for (const round of rounds) {
        for (const [name, value] of round) {
          expect(await realServer.configSet(name!, value!)).toBeNull();
          expect(keepingCwd(() => ours.set([[name!, value!]]))).toBeNull();
        }
        expect(await realServer.client.call("CONFIG", "REWRITE")).toBe("OK");
        expect(keepingCwd(() => ours.rewrite())).toBeNull();
        const realLines = fs.readFileSync(realFile, "latin1").split("\n");
        const ourLines = fs.readFileSync(ourFile, "latin1").split("\n");
        // Redis appends new lines in hash-table order: compare that part as a set.
        const split = (lines: string[]) => {
          const at = lines.indexOf("# Generated by CONFIG REWRITE");
          return at < 0 ? { kept: lines, appended: [] } : { kept: lines.slice(0, at + 1), appended: lines.slice(at + 1).sort() };
        };
        expect(split(ourLines)).toEqual(split(realLines));
        expect(fs.statSync(ourFile).mode & 0o777).toBe(fs.statSync(realFile).mode & 0o777);
      }
    } finally {
      await realServer.stop();
    }
  });
});

// ---- behaviour pinned without a real server ------------------------------------------------

describe("Config without a real server", () => {
  test("typed getters read the table's defaults", () => {
    const config = Config.defaults();
    expect(config.getNumber("hz")).toBe(10);
    expect(config.getNumber("maxmemory")).toBe(0);
    expect(config.getNumber("proto-max-bulk-len")).toBe(536870912);
    expect(config.getBool("rdbcompression")).toBe(true);
    expect(config.getBool("slave-read-only")).toBe(true);
    expect(config.getString("appendfsync")).toBe("everysec");
    expect(config.getString("save")).toBe("3600 1 300 100 60 10000");
    expect(config.getString("dir")).toBe(process.cwd());
    expect(config.savePoints()).toEqual([
      { seconds: 3600, changes: 1 },
      { seconds: 300, changes: 100 },
      { seconds: 60, changes: 10000 },
    ]);
    expect(config.clientOutputBufferLimit("normal")).toEqual({ hard: 0, soft: 0, softSeconds: 0 });
    expect(config.clientOutputBufferLimit("replica")).toEqual({ hard: 268435456, soft: 67108864, softSeconds: 60 });
    expect(config.clientOutputBufferLimit("pubsub")).toEqual({ hard: 33554432, soft: 8388608, softSeconds: 60 });
    expect(config.configFile).toBeUndefined();
    expect(config.describe("requirepass")?.flags.sensitive).toBe(true);
    expect(() => config.getNumber("no-such-thing")).toThrow();
  });

  test("CONFIG SET error texts verified on 7.0.15", () => {
    const config = Config.defaults();
    const cases: Array<[Array<[string, string]>, string | null]> = [
      [[["foo", "bar"]], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"],
      [[["save", "1 2 3"]], "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"],
      [[["dir", "/tmp"]], "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"],
      [[["DAEMONIZE", "yes"]], "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"],
      [[["maxmemory", "1"], ["MAXMEMORY", "2"]], "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"],
      [[["appendonly", "maybe"]], "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'"],
      [[["timeout", "1.5"]], "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer"],
      [[["Hash-Max-Ziplist-Entries", "-1"]], "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive"],
      [[["maxmemory", "1 kb"]], "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"],
      [[["maxmemory-clients", "x"]], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"],
      [[["maxmemory-clients", "101%"]], "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"],
      [[["appendfsync", "sometimes"]], "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no"],
      [[["shutdown-on-sigterm", "save nosave"]], "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously"],
      [[["notify-keyspace-events", "Q"]], "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."],
      [[["client-output-buffer-limit", "master 1 1 1"]], "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."],
      [[["maxmemory", "1mb"], ["foo", "bar"]], "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"],
      [[["daemonize", "yes"], ["foo", "bar"]], "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"],
      [[["appendonly", "yes"]], null],
    ];
    for (const [pairs, expected] of cases) expect({ pairs, reply: config.set(pairs) }).toEqual({ pairs, reply: expected });
    expect(config.set([["appendonly", "yes"]], { loading: true })).toBe("LOADING Redis is loading the dataset in memory");
    expect(config.getString("maxmemory")).toBe("0");
  });

  test("special formats parse and print as Redis does", () => {
    const config = Config.defaults();
    expect(config.set([["save", "100 "]])).toBeNull();
    expect(config.getString("save")).toBe("100 0");
    expect(config.set([["save", "5 99999999999"]])).toBeNull();
    expect(config.savePoints()).toEqual([{ seconds: 5, changes: 1215752191 }]);
    expect(config.set([["save", ""]])).toBeNull();
    expect(config.savePoints()).toEqual([]);
    expect(config.set([["save", " "]])).not.toBeNull();
    expect(config.set([["maxmemory", "20000000000g"]])).toBeNull();
    expect(config.getString("maxmemory")).toBe("1553255926290448384");
    expect(config.set([["maxmemory", "99999999999999999999999"]])).toBeNull();
    expect(config.getBigInt("maxmemory")).toBe(18446744073709551615n);
    expect(config.set([["maxmemory-clients", "10%"]])).toBeNull();
    expect(config.getString("maxmemory-clients")).toBe("10%");
    expect(config.getNumber("maxmemory-clients")).toBe(-10);
    expect(config.set([["notify-keyspace-events", "zlshg$xetmdn"]])).toBeNull();
    expect(config.getString("notify-keyspace-events")).toBe("Am");
    expect(config.keyspaceEventFlags() & (1 << 14)).not.toBe(0);
    expect(config.set([["client-output-buffer-limit", "replica 1mb 2k 3 pubsub 1 1 1"]])).toBeNull();
    expect(config.getString("client-output-buffer-limit")).toBe("normal 0 0 0 slave 1048576 2000 3 pubsub 1 1 1");
    expect(config.clientOutputBufferLimit("replica")).toEqual({ hard: 1048576, soft: 2000, softSeconds: 3 });
    expect(config.set([["shutdown-on-sigint", "now save"]])).toBeNull();
    expect(config.getString("shutdown-on-sigint")).toBe("save now");
    expect(config.set([["oom-score-adj", "Relative"]])).toBeNull();
    expect(config.getString("oom-score-adj")).toBe("yes");
    expect(config.set([["oom-score-adj", "NO"]])).toBeNull();
    expect(config.getString("oom-score-adj")).toBe("no");
    expect(config.set([["latency-tracking-info-percentiles", "1.50000 2e1 0x10"]])).toBeNull();
    expect(config.getString("latency-tracking-info-percentiles")).toBe("1.5 20 16");
    // string2d refuses what strtod overflows or underflows (ERANGE), as Redis does.
    for (const value of ["1e999", "1e-999", "0x", " 5"]) {
      expect(config.set([["latency-tracking-info-percentiles", value]])).toBe(
        "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters",
      );
    }
    expect(config.getString("latency-tracking-info-percentiles")).toBe("1.5 20 16");
    expect(config.set([["hz", "1000"]])).toBeNull();
    expect(config.getNumber("hz")).toBe(500);
    expect(config.set([["hz", "0"]])).toBeNull();
    expect(config.getNumber("hz")).toBe(1);
    expect(config.set([["proc-title-template", "{title}"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables",
    );
  });

  test("listeners run after all pairs are set, and a ConfigError rolls everything back", () => {
    const config = Config.defaults();
    const seen: string[] = [];
    config.onChange("maxmemory", (value) => seen.push(`maxmemory=${value}`));
    config.onChange("slave-read-only", (value) => seen.push(`replica-read-only=${value}`));
    config.onChange("timeout", (value) => {
      seen.push(`timeout=${value}`);
      if (value === "13") throw new ConfigError("Unable to use this timeout");
    });
    expect(config.set([["maxmemory", "1mb"], ["replica-read-only", "no"]])).toBeNull();
    expect(seen).toEqual(["maxmemory=1048576", "replica-read-only=no"]);
    seen.length = 0;
    // Setting a value to what it already is notifies no one.
    expect(config.set([["maxmemory", "1048576"]])).toBeNull();
    expect(seen).toEqual([]);

    expect(config.set([["maxmemory", "2mb"], ["timeout", "13"], ["save", "1 1"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'timeout') - Unable to use this timeout",
    );
    expect(config.getString("maxmemory")).toBe("1048576");
    expect(config.getString("timeout")).toBe("0");
    expect(config.getString("save")).toBe("3600 1 300 100 60 10000");
    // maxmemory's listener accepted 2mb, then hears about the restored value.
    expect(seen).toEqual(["maxmemory=2097152", "timeout=13", "maxmemory=1048576"]);

    seen.length = 0;
    expect(config.set([["maxmemory", "3mb"], ["timeout", "x"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer",
    );
    expect(config.getString("maxmemory")).toBe("1048576");
    expect(seen).toEqual([]);
  });

  test("notify-keyspace-events: dropping n from KEAn is a change, though both read back as AKE", () => {
    const config = Config.defaults();
    const seen: number[] = [];
    config.onChange("notify-keyspace-events", () => seen.push(config.keyspaceEventFlags() & NEW_KEY_EVENTS));
    expect(config.set([["notify-keyspace-events", "KEAn"]])).toBeNull();
    expect(config.set([["notify-keyspace-events", "KEA"]])).toBeNull();
    expect(config.getString("notify-keyspace-events")).toBe("AKE");
    expect(seen).toEqual([NEW_KEY_EVENTS, 0]);
    // A failed CONFIG SET puts n back with the rest.
    expect(config.set([["notify-keyspace-events", "KEAn"]])).toBeNull();
    expect(config.set([["notify-keyspace-events", "KEA"], ["timeout", "x"]])).not.toBeNull();
    expect(config.keyspaceEventFlags() & NEW_KEY_EVENTS).toBe(NEW_KEY_EVENTS);
  });

  test("start-up options are appended after the file: errors name the right line", () => {
    const dir = scratchDir();
    fs.writeFileSync(join(dir, "two-lines.conf"), "port 0\ntimeout 1\n");
    const error = fatalOf(() => Config.fromArgs(["two-lines.conf", "--maxmemory", "abc"], dir));
    expect(error.reportedThroughLog).toBe(false);
    expect(error.report).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 4\n>>> 'maxmemory \"abc\"'\nargument must be a memory value\n",
    );
    const result = keepingCwd(() => Config.fromArgs(["two-lines.conf", "--timeout", "9"], dir));
    expect(result.configFile).toBe(join(dir, "two-lines.conf"));
    expect(result.config.configFile).toBe(join(dir, "two-lines.conf"));
    expect(result.config.getNumber("timeout")).toBe(9);
    const missing = fatalOf(() => Config.fromArgs(["nope.conf"], dir));
    expect(missing.reportedThroughLog).toBe(true);
    expect(missing.report).toBe(`Fatal error, can't open config file '${dir}/nope.conf': No such file or directory`);
  });

  test("a dir directive moves the process, and later relative includes follow it", () => {
    const start = scratchDir();
    const other = scratchDir();
    fs.writeFileSync(join(other, "relative.conf"), "timeout 42\n");
    fs.writeFileSync(join(other, ".relative-hidden.conf"), "timeout 7\n");
    fs.writeFileSync(join(start, "main.conf"), `dir ${other}\ninclude relative.conf\ntimeout 1\ninclude rel*.conf\n`);
    const saved = process.cwd();
    const config = load(["main.conf"], start);
    expect(process.cwd()).toBe(saved);
    expect(config.getString("dir")).toBe(other);
    expect(config.getNumber("timeout")).toBe(42);
  });

  test("a save line after an include replaces the save points (Redis 7.0 quirk)", () => {
    const dir = scratchDir();
    fs.writeFileSync(join(dir, "empty.conf"), "");
    fs.writeFileSync(join(dir, "before.conf"), "save 1 1\nsave 2 2\n");
    fs.writeFileSync(join(dir, "after.conf"), `include ${join(dir, "empty.conf")}\nsave 1 1\nsave 2 2\n`);
    expect(load(["before.conf"], dir).getString("save")).toBe("1 1 2 2");
    expect(load(["after.conf"], dir).getString("save")).toBe("2 2");
  });

  test("rename-command is checked against the server's commands when given", () => {
    const dir = scratchDir();
    const isKnownCommand = (name: string) => ["get", "set", "flushdb"].includes(name);
    fs.writeFileSync(join(dir, "rename.conf"), 'rename-command FLUSHDB ""\nrename-command get fetch\n');
    const config = keepingCwd(() => Config.fromArgs(["rename.conf"], dir, { isKnownCommand }).config);
    expect(config.renamedCommands).toEqual([
      { from: "FLUSHDB", to: "" },
      { from: "get", to: "fetch" },
    ]);
    fs.writeFileSync(join(dir, "unknown.conf"), "rename-command nosuch x\n");
    expect(fatalOf(() => Config.fromArgs(["unknown.conf"], dir, { isKnownCommand })).report).toContain("No such command in rename-command\n");
    fs.writeFileSync(join(dir, "clash.conf"), "rename-command get set\n");
    expect(fatalOf(() => Config.fromArgs(["clash.conf"], dir, { isKnownCommand })).report).toContain("Target command name already exists\n");
  });

  test("CONFIG REWRITE without a config file, and on a fresh file", () => {
    expect(Config.defaults().rewrite()).toBe("ERR The server is running without a config file");
    const dir = scratchDir();
    const file = join(dir, "fresh.conf");
    fs.writeFileSync(file, "# keep me\nmaxmemory 1mb\n");
    const config = load([file], dir);
    expect(config.set([["maxmemory", "0"], ["timeout", "30"]])).toBeNull();
    fs.unlinkSync(file);
    expect(config.rewrite()).toBeNull();
    const lines = fs.readFileSync(file, "latin1").split("\n");
    expect(lines[0]).toBe("# Generated by CONFIG REWRITE");
    expect(lines).toContain("timeout 30");
    expect(lines).toContain(`dir "${dir}"`);
    expect(lines).toContain("user default on nopass ~* &* +@all");
    expect(lines).not.toContain("maxmemory 0");
    expect(fs.readdirSync(dir)).toEqual(["fresh.conf"]);
    // A config file that turned into a directory cannot be read back.
    fs.unlinkSync(file);
    fs.mkdirSync(file);
    expect(config.rewrite()).toBe("ERR Rewriting config file: Is a directory");
  });

  test("repl-backlog-size is raised to 16k only when CONFIG SET changes it", () => {
    const dir = scratchDir();
    const config = load(["--repl-backlog-size", "1"], dir);
    expect(config.getString("repl-backlog-size")).toBe("1");
    expect(config.set([["repl-backlog-size", "1"]])).toBeNull();
    expect(config.getString("repl-backlog-size")).toBe("1");
    expect(config.set([["repl-backlog-size", "2"]])).toBeNull();
    expect(config.getString("repl-backlog-size")).toBe("16384");
  });
});

// ---- values that need a feature Bunker lacks ------------------------------------------------

/** A valid value other than the default, which needs the feature the parameter lacks. */
function valueNeedingTheFeature(param: ConfigParam): string[] {
  switch (param.kind) {
    case "bool":
      return [param.default === "yes" ? "no" : "yes"];
    case "int":
    case "memory":
      return ["1"];
    case "enum":
      return [param.values.find(([name]) => name !== param.default)![0]];
    case "string":
      return ["x"];
    case "special":
      return ["127.0.0.1", "6379"];
  }
}

const LACKING = CONFIG_TABLE.filter((param) => param.unsupported !== undefined);

describe("values that need a feature Bunker lacks", () => {
  test("the parameters that refuse values other than their default", () => {
    expect(LACKING.map((param) => `${param.name}: ${param.unsupported!.feature}`)).toEqual([
      "daemonize: running as a daemon",
      "syslog-enabled: logging to syslog",
      "cluster-enabled: cluster mode",
      "aclfile: ACL files",
      "supervised: supervision by upstart or systemd",
      "watchdog-period: the software watchdog",
      "socket-mark-id: socket marks",
      "tls-port: TLS",
      "tls-cluster: TLS",
      "tls-replication: TLS",
    ]);
  });

  test("a config file line is refused with the FATAL CONFIG FILE ERROR report, at its line", () => {
    const dir = scratchDir();
    for (const param of LACKING) {
      for (const name of param.alias === undefined ? [param.name] : [param.name, param.alias]) {
        const text = `${name} ${valueNeedingTheFeature(param).join(" ")}`;
        fs.writeFileSync(join(dir, "lacking.conf"), `# a comment\nport 0\n${text}\n`);
        const error = fatalOf(() => Config.fromArgs([join(dir, "lacking.conf")], dir));
        expect(error.reportedThroughLog).toBe(false);
        expect(error.report).toBe(
          `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> '${text}'\n` +
            `Bunker does not support ${param.unsupported!.feature} (${name})\n`,
        );
      }
    }
    const fromCommandLine = fatalOf(() => Config.fromArgs(["--port", "0", "--cluster-enabled", "yes"], dir));
    expect(fromCommandLine.report).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'cluster-enabled \"yes\"'\nBunker does not support cluster mode (cluster-enabled)\n",
    );
  });

  test("their defaults are accepted at start-up and by CONFIG SET, and CONFIG GET shows them", () => {
    const dir = scratchDir();
    const lines = LACKING.map((param) => `${param.name} ${param.name === "replicaof" ? "no one" : param.default === "" ? '""' : param.default}`);
    fs.writeFileSync(join(dir, "defaults.conf"), ["port 0", ...lines, "slaveof no one", ""].join("\n"));
    const config = load([join(dir, "defaults.conf")], dir);
    for (const param of LACKING) {
      expect(config.get([param.name])).toEqual([[param.name, param.default]]);
      const expected = param.flags.immutable ? `ERR CONFIG SET failed (possibly related to argument '${param.name}') - can't set immutable config` : null;
      expect(config.set([[param.name, param.default]])).toBe(expected);
    }
    // An enum's default given in another case is the same value.
    expect(load(["--port", "0", "--supervised", "NO", "--oom-score-adj", "No"], dir).getString("oom-score-adj")).toBe("no");
  });

  test("CONFIG SET refuses them with Redis's error shape, and nothing changes", () => {
    const config = Config.defaults();
    for (const param of LACKING) {
      for (const name of param.alias === undefined ? [param.name] : [param.name, param.alias]) {
        const reason = param.flags.immutable ? "can't set immutable config" : `Bunker does not support ${param.unsupported!.feature} (${name})`;
        expect(config.set([[name, valueNeedingTheFeature(param).join(" ")]])).toBe(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`);
        expect(config.getString(param.name)).toBe(param.default);
      }
    }
    expect(config.set([["tls-port", "6380"]])).toBe("ERR CONFIG SET failed (possibly related to argument 'tls-port') - Bunker does not support TLS (tls-port)");
    // All or nothing: the pair before the refused one is restored.
    expect(config.set([["timeout", "30"], ["tls-cluster", "yes"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'tls-cluster') - Bunker does not support TLS (tls-cluster)",
    );
    expect(config.getString("timeout")).toBe("0");
    // The value's own check comes first, as Redis makes it.
    expect(config.set([["tls-port", "70000"]])).toBe("ERR CONFIG SET failed (possibly related to argument 'tls-port') - argument must be between 0 and 65535 inclusive");
    expect(config.set([["oom-score-adj", "sometimes"]])).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj') - argument(s) must be one of the following: no, yes, relative, absolute",
    );
  });

  test("user lines: only the default user as the configuration leaves it (what CONFIG REWRITE writes)", () => {
    const dir = scratchDir();
    const hash = new Bun.CryptoHasher("sha256").update("secret").digest("hex");
    const accepted = [
      "user default on nopass ~* &* +@all",
      "user default on nopass sanitize-payload ~* &* +@all",
      "user default +@all ~* &* nopass on",
      `requirepass secret\nuser default on #${hash} ~* &* +@all`,
      `user default on #${hash} ~* &* +@all\nrequirepass secret`,
    ];
    for (const content of accepted) {
      fs.writeFileSync(join(dir, "users.conf"), `port 0\n${content}\n`);
      expect(load([join(dir, "users.conf")], dir).userDirectives.length).toBe(1);
    }
    const refused: Array<[string, number, string]> = [
      ["user alice on >pw ~* +@all", 2, "user alice on >pw ~* +@all"],
      ["user default on nopass ~* &* +@all -flushall", 2, "user default on nopass ~* &* +@all -flushall"],
      ["user default off nopass ~* &* +@all", 2, "user default off nopass ~* &* +@all"],
      // Redis applies user lines after the whole file: nopass would win over requirepass.
      ["requirepass secret\nuser default on nopass ~* &* +@all", 3, "user default on nopass ~* &* +@all"],
      [`user default on #${hash} ~* &* +@all`, 2, `user default on #${hash} ~* &* +@all`],
    ];
    for (const [content, line, text] of refused) {
      fs.writeFileSync(join(dir, "users.conf"), `port 0\n${content}\n`);
      expect(fatalOf(() => Config.fromArgs([join(dir, "users.conf")], dir)).report).toBe(
        `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${line}\n>>> '${text}'\nBunker does not support ACL users and rules (user)\n`,
      );
    }
  });

  test("--sentinel is refused before anything is read", () => {
    const error = fatalOf(() => Config.fromArgs(["/nonexistent.conf", "--sentinel"], process.cwd()));
    expect(error.reportedThroughLog).toBe(false);
    expect(error.report).toBe("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nBunker does not support Sentinel mode (--sentinel)\n");
    // A bare sentinel line in a file is what Redis accepts outside Sentinel mode.
    const dir = scratchDir();
    fs.writeFileSync(join(dir, "bare.conf"), "port 0\nsentinel\n");
    expect(load([join(dir, "bare.conf")], dir).getNumber("port")).toBe(0);
  });
});
