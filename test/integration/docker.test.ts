// The container image, tested without a Docker engine: the Dockerfile's conventions
// (parsed statically), the entrypoint's argument handling and privilege drop, the
// bunker-server defaults, SIGTERM during a background save through the exec chain,
// and the health check's exit codes.

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, RawClient, startBunker, type RunningServer } from "../helpers/server.ts";

const ROOT = resolve(import.meta.dir, "../..");
const ENTRYPOINT = join(ROOT, "docker/docker-entrypoint.sh");
const WRAPPER_DIR = join(ROOT, "docker");
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

/** Dockerfile instructions as [keyword, rest] pairs (continuations joined, comments dropped). */
function dockerfile(): Array<[string, string]> {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const space = l.indexOf(" ");
      return [l.slice(0, space).toUpperCase(), l.slice(space + 1).trim()] as [string, string];
    });
}

describe("Dockerfile (static check)", () => {
  const instructions = dockerfile();
  const all = (keyword: string) => instructions.filter(([k]) => k === keyword).map(([, rest]) => rest);

  test("multi-stage on the official oven/bun image, installing from the lockfile", () => {
    const froms = all("FROM");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^oven\/bun:/);
    expect(all("COPY").some((c) => c.includes("bun.lock"))).toBe(true);
    expect(all("RUN").some((r) => r.includes("bun install --frozen-lockfile"))).toBe(true);
    expect(all("COPY").some((c) => c.startsWith("--from="))).toBe(true);
    expect(existsSync(join(ROOT, "bun.lock"))).toBe(true);
  });

  test("runs as a non-root user with /data as volume and working directory", () => {
    expect(all("RUN").some((r) => /useradd .*bunker/.test(r))).toBe(true);
    const workdirs = all("WORKDIR");
    expect(workdirs[workdirs.length - 1]).toBe("/data");
    expect(all("VOLUME")).toContain("/data");
    expect(all("EXPOSE")).toContain("6379");
    expect(all("ENTRYPOINT")).toEqual(['["docker-entrypoint.sh"]']);
    expect(all("CMD")).toEqual(['["bunker-server"]']);
    expect(all("HEALTHCHECK").some((h) => h.includes("src/healthcheck.ts"))).toBe(true);
  });

  test("copies only what runs, and every copied path exists", () => {
    for (const copy of all("COPY")) {
      if (copy.startsWith("--from=")) continue;
      const parts = copy.split(/\s+/);
      for (const source of parts.slice(0, -1)) expect(existsSync(join(ROOT, source))).toBe(true);
    }
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const entry of ["node_modules", ".git", "test"]) expect(ignored).toContain(entry);
  });
});

/** A fake bunker-server that prints its uid and arguments: checks what the entrypoint execs. */
function fakeServerDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fake-bin-"));
  writeFileSync(join(dir, "bunker-server"), '#!/bin/sh\necho "uid=$(id -u) args=$*"\n');
  chmodSync(join(dir, "bunker-server"), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

function runEntrypoint(args: string[], cwd: string, env: Record<string, string> = {}): { out: string; code: number } {
  const bin = fakeServerDir();
  const result = Bun.spawnSync(["sh", ENTRYPOINT, ...args], {
    cwd,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, BUNKER_USER: "nobody", ...env },
  });
  return { out: result.stdout.toString().trim() + result.stderr.toString().trim(), code: result.exitCode };
}

describe("docker-entrypoint.sh", () => {
  test("options and config files become bunker-server arguments; other commands run as given", () => {
    const cwd = mkdtempSync(join(tmpdir(), "data-"));
    chmodSync(cwd, 0o777);
    const expectedUid = isRoot ? NOBODY : process.getuid!();
    expect(runEntrypoint(["--save", "60", "1", "--loglevel", "warning"], cwd).out).toBe(`uid=${expectedUid} args=--save 60 1 --loglevel warning`);
    expect(runEntrypoint(["/etc/bunker.conf", "--port", "7000"], cwd).out).toBe(`uid=${expectedUid} args=/etc/bunker.conf --port 7000`);
    expect(runEntrypoint(["sh", "-c", "echo plain command"], cwd).out).toBe("plain command");
  });

  (isRoot ? test : test.skip)("as root: gives /data's files to the server user and drops privileges", () => {
    const cwd = mkdtempSync(join(tmpdir(), "data-"));
    writeFileSync(join(cwd, "dump.rdb"), "x");
    writeFileSync(join(cwd, "appendonly.aof"), "y");
    expect(statSync(join(cwd, "dump.rdb")).uid).toBe(0);
    const { out, code } = runEntrypoint(["bunker-server", "--port", "1"], cwd);
    expect(code).toBe(0);
    expect(out).toBe(`uid=${NOBODY} args=--port 1`);
    for (const file of readdirSync(cwd)) expect(statSync(join(cwd, file)).uid).toBe(NOBODY);
    expect(statSync(cwd).uid).toBe(NOBODY);
  });
});

describe("bunker-server in the container", () => {
  async function startWrapper(args: string[], dir: string): Promise<{ port: number; proc: ReturnType<typeof Bun.spawn> }> {
    const port = freePort();
    const proc = Bun.spawn(["sh", ENTRYPOINT, "bunker-server", "--port", String(port), ...args], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, PATH: `${WRAPPER_DIR}:${process.execPath.replace(/\/[^/]+$/, "")}:${process.env.PATH}`, BUNKER_HOME: ROOT, BUNKER_USER: "nobody" },
    });
    for (let i = 0; i < 200; i++) {
      try {
        const c = await RawClient.connect(port);
        c.close();
        return { port, proc };
      } catch {
        await Bun.sleep(50);
      }
    }
    proc.kill("SIGKILL");
    throw new Error("wrapper did not start: " + (await new Response(proc.stderr as ReadableStream).text()));
  }

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "data-"));
    if (isRoot) chownSync(dir, NOBODY, NOBODY);
    return dir;
  }

  test("defaults are protected mode off and every interface; options still override them", async () => {
    const { port, proc } = await startWrapper([], dataDir());
    const c = await RawClient.connect(port);
    expect(await c.call("CONFIG", "GET", "protected-mode")).toEqual(["protected-mode", "no"]);
    expect(await c.call("CONFIG", "GET", "bind")).toEqual(["bind", "* -::*"]);
    c.close();
    proc.kill("SIGKILL");
    await proc.exited;
    const second = await startWrapper(["--protected-mode", "yes"], dataDir());
    const c2 = await RawClient.connect(second.port);
    expect(await c2.call("CONFIG", "GET", "protected-mode")).toEqual(["protected-mode", "yes"]);
    c2.close();
    second.proc.kill("SIGKILL");
    await second.proc.exited;
  });

  test("SIGTERM during a background save: writer stopped, final save done, exit 0 within 10 s", async () => {
    const dir = dataDir();
    const { port, proc } = await startWrapper(["--save", "3600 1", "--rdb-key-save-delay", "200000"], dir);
    const c = await RawClient.connect(port);
    for (let i = 0; i < 30; i++) await c.call("SET", `k${i}`, `v${i}`);
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    for (let i = 0; i < 100 && !readdirSync(dir).some((f) => f.startsWith("temp-")); i++) await Bun.sleep(50);
    const started = Date.now();
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readdirSync(dir).filter((f) => f.startsWith("temp-"))).toEqual([]);
    const again = await startBunker({ dir });
    running.push(again);
    const c2 = await RawClient.connect(again.port);
    expect(await c2.call("DBSIZE")).toBe(30);
  });
});

describe("healthcheck", () => {
  function check(port: number, env: Record<string, string> = {}): { code: number; out: string } {
    const result = Bun.spawnSync([process.execPath, join(ROOT, "src/healthcheck.ts")], {
      env: { ...process.env, BUNKER_PORT: String(port), BUNKER_CONFIG: "/nonexistent.conf", ...env },
    });
    return { code: result.exitCode, out: result.stdout.toString().trim() };
  }

  test("healthy, down, and authentication required", async () => {
    const server = await startBunker();
    running.push(server);
    expect(check(server.port)).toEqual({ code: 0, out: "PONG" });
    const locked = await startBunker({ args: ["--requirepass", "s3cret"] });
    running.push(locked);
    const refused = check(locked.port);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("authentication required");
    expect(check(locked.port, { BUNKER_PASSWORD: "s3cret" })).toEqual({ code: 0, out: "PONG" });
    const conf = join(mkdtempSync(join(tmpdir(), "conf-")), "bunker.conf");
    writeFileSync(conf, `port ${locked.port}\nrequirepass "s3cret"\n`);
    expect(check(0, { BUNKER_PORT: "", BUNKER_CONFIG: conf })).toEqual({ code: 0, out: "PONG" });
    const down = check(freePort());
    expect(down.code).toBe(1);
    expect(down.out).toContain("cannot reach the server");
  });

  test("unhealthy while MISCONF is active, with the reason", async () => {
    const server = await startBunker({ args: ["--save", "3600 1", "--rdb-key-save-delay", "100000"] });
    running.push(server);
    const c = await RawClient.connect(server.port);
    for (let i = 0; i < 20; i++) await c.call("SET", `k${i}`, "v");
    await c.call("BGSAVE");
    let temp: string | undefined;
    for (let i = 0; i < 100 && temp === undefined; i++) {
      temp = readdirSync(server.dir).find((f) => /^temp-\d+\.rdb$/.test(f));
      if (temp === undefined) await Bun.sleep(50);
    }
    process.kill(Number(/temp-(\d+)/.exec(temp!)![1]), "SIGKILL");
    for (let i = 0; i < 100; i++) {
      const info = (await c.call("INFO", "persistence")) as string;
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await Bun.sleep(50);
    }
    const result = check(server.port);
    expect(result.code).toBe(1);
    expect(result.out).toContain("MISCONF");
    expect(result.out).toContain("writer killed by signal 9");
  });
});
