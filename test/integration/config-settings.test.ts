// No silent settings (#17): a setting that needs a feature Bunker lacks is refused, at
// start-up (exit 1, the FATAL CONFIG FILE ERROR report on stderr) and by CONFIG SET
// (Redis's error shape), while its default is accepted and CONFIG GET shows it as Redis
// does; settings Bunker acts on do what they do in redis-server 7.0.15, which runs
// beside it. docs/configuration.md says what Bunker does with each parameter.

import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, MAIN, RawClient, REDIS_SERVER, startBunker, startProcess, startRedis } from "../helpers/server.ts";
import { DEADLINE_MS, waitFor } from "../helpers/wait.ts";
import { concat, resp, writeAofDir } from "../helpers/aof.ts";
import { both, haveRedis, startPair } from "../helpers/differential.ts";

const withRedis = haveRedis ? test : test.skip;
const BUNKER = [process.execPath, MAIN];

const scratch: string[] = [];
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bunker-settings-"));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Runs a server expected to stop by itself: how it ended and what it printed. */
function runToExit(command: string[], cwd: string): { exitCode: number | null; signal: string | null; stdout: string; stderr: string } {
  const result = Bun.spawnSync(command, { cwd, stdin: "ignore", timeout: DEADLINE_MS });
  return {
    exitCode: result.exitCode,
    signal: result.signalCode === undefined || result.signalCode === null ? null : String(result.signalCode),
    stdout: result.stdout.toString(),
    stderr: result.stderr.toString(),
  };
}

function fatalReport(line: { number: number; text: string } | null, reason: string): string {
  const at = line === null ? "" : `Reading the configuration file, at line ${line.number}\n>>> '${line.text}'\n`;
  return `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n${at}${reason}\n`;
}

/** The parameters that refuse values other than their default, each at its default, as command-line options. */
const DEFAULTS_OF_REFUSED = [
  ["--daemonize", "no"],
  ["--syslog-enabled", "no"],
  ["--cluster-enabled", "no"],
  ["--aclfile", ""],
  ["--supervised", "no"],
  ["--oom-score-adj", "no"],
  ["--min-replicas-to-write", "0"],
  ["--watchdog-period", "0"],
  ["--socket-mark-id", "0"],
  ["--tls-port", "0"],
  ["--tls-cluster", "no"],
  ["--tls-replication", "no"],
  ["--replicaof", "no", "one"],
].flat();

describe("start-up", () => {
  test("a value that needs a missing feature stops the server: exit 1, the report on stderr", () => {
    const dir = scratchDir();
    const port = freePort();
    const cases: Array<{ args: string[]; line: { number: number; text: string } | null; reason: string }> = [
      {
        args: ["--port", String(port), "--cluster-enabled", "yes"],
        line: { number: 3, text: 'cluster-enabled "yes"' },
        reason: "Bunker does not support cluster mode (cluster-enabled)",
      },
      { args: ["--port", String(port), "--tls-port", "6380"], line: { number: 3, text: 'tls-port "6380"' }, reason: "Bunker does not support TLS (tls-port)" },
      {
        args: ["--port", String(port), "--aclfile", "/etc/redis/users.acl"],
        line: { number: 3, text: 'aclfile "/etc/redis/users.acl"' },
        reason: "Bunker does not support ACL files (aclfile)",
      },
      { args: ["--port", String(port), "--sentinel"], line: null, reason: "Bunker does not support Sentinel mode (--sentinel)" },
    ];
    for (const { args, line, reason } of cases) {
      const result = runToExit([...BUNKER, ...args], dir);
      expect({ args, exitCode: result.exitCode, stderr: result.stderr, stdout: result.stdout }).toEqual({
        args,
        exitCode: 1,
        stderr: fatalReport(line, reason),
        stdout: "",
      });
    }
  });

  test("in a config file the report names the line, as for any bad value", () => {
    const dir = scratchDir();
    const file = join(dir, "redis.conf");
    writeFileSync(file, "# settings\nport 0\n\nsupervised systemd\n");
    expect(runToExit([...BUNKER, file], dir)).toEqual({
      exitCode: 1,
      signal: null,
      stdout: "",
      stderr: fatalReport({ number: 4, text: "supervised systemd" }, "Bunker does not support supervision by upstart or systemd (supervised)"),
    });
    writeFileSync(file, "port 0\nuser default on nopass ~* &* +@all\nuser worker on >secret ~jobs:* +@list\n");
    expect(runToExit([...BUNKER, file], dir).stderr).toBe(
      fatalReport({ number: 3, text: "user worker on >secret ~jobs:* +@list" }, "Bunker does not support ACL users and rules (user)"),
    );
  });

  withRedis("their defaults are accepted, and CONFIG GET shows them as Redis does", async () => {
    const names = [...DEFAULTS_OF_REFUSED.filter((arg) => arg.startsWith("--")).map((arg) => arg.slice(2)), "slaveof"];
    const pair = await startPair(DEFAULTS_OF_REFUSED);
    try {
      for (const name of names) {
        const [ours, redis] = await both(pair, "CONFIG", "GET", name);
        expect({ name, reply: ours }).toEqual({ name, reply: redis });
      }
    } finally {
      await pair.stop();
    }
  });
});

describe("CONFIG SET", () => {
  withRedis("refuses a value that needs a missing feature with Redis's error shape; the default is +OK; immutable ones answer as Redis", async () => {
    const pair = await startPair();
    const { b, r } = pair;
    try {
      const refused: Array<[string, string, string]> = [
        ["tls-port", "6380", "TLS (tls-port)"],
        ["tls-replication", "yes", "TLS (tls-replication)"],
        ["tls-cluster", "yes", "TLS (tls-cluster)"],
        ["watchdog-period", "100", "the software watchdog (watchdog-period)"],
      ];
      for (const [name, value, what] of refused) {
        expect(await b.callRaw("CONFIG", "SET", name, value)).toBe(`-ERR CONFIG SET failed (possibly related to argument '${name}') - Bunker does not support ${what}\r\n`);
        expect(await b.callRaw("CONFIG", "GET", name)).toBe(await r.callRaw("CONFIG", "GET", name));
      }
      // Several pairs: all or nothing.
      expect(await b.callRaw("CONFIG", "SET", "maxmemory-samples", "7", "tls-port", "6380")).toBe(
        "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - Bunker does not support TLS (tls-port)\r\n",
      );
      expect(await b.callRaw("CONFIG", "GET", "maxmemory-samples")).toBe("*2\r\n$17\r\nmaxmemory-samples\r\n$1\r\n5\r\n");
      // Defaults are +OK; immutable parameters and values that are bad anyway answer exactly as Redis.
      for (const [name, value] of [
        ["tls-port", "0"],
        ["oom-score-adj", "no"],
        ["min-replicas-to-write", "0"],
        ["tls-replication", "no"],
        ["cluster-enabled", "yes"],
        ["daemonize", "yes"],
        ["supervised", "systemd"],
        ["replicaof", "127.0.0.1 6379"],
        ["aclfile", "x"],
        ["socket-mark-id", "1"],
        ["tls-port", "99999"],
      ] as const) {
        const [ours, redis] = await both(pair, "CONFIG", "SET", name, value);
        expect({ name, value, reply: ours }).toEqual({ name, value, reply: redis });
      }
    } finally {
      await pair.stop();
    }
  });
});

describe("settings Bunker acts on, as redis-server does", () => {
  withRedis("unixsocketperm: the socket's mode", async () => {
    const modes: number[] = [];
    for (const start of [startBunker, startRedis]) {
      const dir = scratchDir();
      // Redis accepts on its TCP port before it binds and chmods the socket: wait for its ready line.
      const server = await start({ args: ["--unixsocket", join(dir, "server.sock"), "--unixsocketperm", "700"], waitLoaded: true });
      try {
        modes.push(statSync(join(dir, "server.sock")).mode & 0o777);
      } finally {
        await server.stop();
      }
    }
    expect(modes).toEqual([0o700, 0o700]);
  });

  (existsSync("/proc/self/oom_score_adj") && haveRedis ? test : test.skip)(
    "oom-score-adj: the server's score from oom-score-adj-values, relative or absolute, restored by no",
    async () => {
      const own = Number(readFileSync("/proc/self/oom_score_adj", "utf8"));
      const seen: number[][] = [];
      for (const start of [startBunker, startRedis]) {
        const server = await start({ args: ["--oom-score-adj", "absolute", "--oom-score-adj-values", "150 300 900"] });
        const client = await RawClient.connect(server.port);
        const score = () => Number(readFileSync(`/proc/${server.proc.pid}/oom_score_adj`, "utf8"));
        try {
          // Both servers listen before they set their score (Redis just after its ready line).
          await waitFor(() => score() === 150, { what: "the server's oom_score_adj to be set" }).catch(() => {});
          const row = [score()];
          await client.call("CONFIG", "SET", "oom-score-adj-values", "170 300 900");
          row.push(score());
          await client.call("CONFIG", "SET", "oom-score-adj", "relative");
          row.push(score() - own);
          await client.call("CONFIG", "SET", "oom-score-adj", "no");
          row.push(score() - own);
          seen.push(row);
        } finally {
          client.close();
          await server.stop();
        }
      }
      expect(seen).toEqual([
        [150, 170, 170, 0],
        [150, 170, 170, 0],
      ]);
    },
  );

  /** The keepalive timer (/proc/net/tcp "tr" 2) on the server's side of a new connection to `port`. */
  async function keepaliveTimerOn(port: number): Promise<boolean> {
    const client = await RawClient.connect(port);
    try {
      await client.call("PING");
      const portHex = port.toString(16).toUpperCase().padStart(4, "0");
      const row = readFileSync("/proc/net/tcp", "latin1")
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .find((fields) => fields[1]?.endsWith(`:${portHex}`) && fields[3] === "01");
      return row !== undefined && row[5]!.startsWith("02:");
    } finally {
      client.close();
    }
  }

  const onLinux = (() => {
    try {
      readFileSync("/proc/net/tcp");
      return true;
    } catch {
      return false;
    }
  })();

  (onLinux && haveRedis ? test : test.skip)("tcp-keepalive: keepalive probes on new TCP clients; CONFIG SET applies to the next ones", async () => {
    for (const start of [startBunker, startRedis]) {
      const server = await start({ args: ["--tcp-keepalive", "45"] });
      try {
        expect(await keepaliveTimerOn(server.port)).toBe(true);
        const admin = await RawClient.connect(server.port);
        expect(await admin.call("CONFIG", "SET", "tcp-keepalive", "0")).toBe("OK");
        admin.close();
        expect(await keepaliveTimerOn(server.port)).toBe(false);
      } finally {
        await server.stop();
      }
    }
  });

  withRedis("propagation-error-behavior panic: a command of the AOF that fails stops the load with a panic; use-exit-on-panic makes it exit(1)", async () => {
    const incr = concat(resp("SELECT", "0"), resp("SET", "k", "v"), resp("LPUSH", "k", "x"));
    const manifest = "file appendonly.aof.1.incr.aof seq 1 type i\n";
    for (const [extra, ending] of [
      [[], { exitCode: null, signal: "SIGABRT" }],
      [["--use-exit-on-panic", "yes"], { exitCode: 1, signal: null }],
    ] as const) {
      for (const command of [BUNKER, [REDIS_SERVER!]]) {
        const dir = writeAofDir({ "appendonly.aof.1.incr.aof": incr }, manifest);
        scratch.push(dir);
        const args = ["--port", String(freePort()), "--save", "", "--dir", dir, "--appendonly", "yes", "--propagation-error-behavior", "panic", ...extra];
        const result = runToExit([...command, ...args], dir);
        const output = result.stdout + result.stderr;
        expect({ command: command.at(-1), exitCode: result.exitCode, signal: result.signal }).toEqual({ command: command.at(-1), ...ending });
        expect(output).toContain(
          "# == CRITICAL == This server is sending an error to its AOF-loading-client: '-WRONGTYPE Operation against a key holding the wrong kind of value' after processing the command 'lpush'",
        );
        expect(output).toMatch(/# Guru Meditation: This server panicked sending an error to its AOF-loading-client after processing the command 'lpush' #[\w/.]+:\d+\n/);
      }
    }
  });

  withRedis("panic-on-replicas, with no replica, logs the failed command and goes on, as ignore does", async () => {
    const incr = concat(resp("SELECT", "0"), resp("SET", "k", "v"), resp("LPUSH", "k", "x"), resp("SET", "after", "1"));
    const dir = writeAofDir({ "appendonly.aof.1.incr.aof": incr }, "file appendonly.aof.1.incr.aof seq 1 type i\n");
    scratch.push(dir);
    const port = freePort();
    const server = await startProcess([...BUNKER, "--port", String(port), "--save", "", "--dir", dir, "--appendonly", "yes", "--propagation-error-behavior", "panic-on-replicas"], port, dir);
    try {
      const client = await RawClient.connect(port);
      expect(await client.call("GET", "after")).toBe("1");
      client.close();
    } finally {
      await server.stop();
    }
  });
});
