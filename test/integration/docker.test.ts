// The container image, tested without a Docker engine: the Dockerfile's conventions
// (parsed statically), the entrypoint's argument handling and privilege drop, the
// bunker-server defaults, SIGTERM during a background save through the exec chain,
// and the health check's exit codes.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort, RawClient, startBunker, startProcess, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const ROOT = resolve(import.meta.dir, "../..");
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const haveProc = existsSync("/proc/self/exe");

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

// ---- a copy of the image's files that the server user can reach -------------------------
//
// As root the entrypoint re-executes itself as the server user (nobody here), who then
// runs bun, src/main.ts and the snapshot writer. The checkout may live where nobody cannot
// go (a clone under a private home or a `mktemp -d` folder, mode 0700), and so may the bun
// binary (node_modules/bun inside it). So the tests run a copy laid out as in the image,
// in a world-readable folder under the temp dir:
//   <stage>/bin    bun, docker-entrypoint.sh, bunker-server  (the image's /usr/local/bin)
//   <stage>/app    package.json, src/, the runtime node_modules  (BUNKER_HOME, /app)
//   <stage>/tmp    TMPDIR for the server (the snapshot writer's socket), mode 1777
//   <stage>/data-* working directories (/data)
// All the server user needs from the temp dir itself is to pass through it.

/** Why the server user cannot reach a folder under the temp dir, or null if it can. */
function serverUserCannotReach(): string | null {
  if (!isRoot) return null; // the entrypoint runs everything as the current user
  try {
    const probe = Bun.spawnSync(["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "test", "-x", tmpdir()]);
    if (probe.exitCode === 0) return null;
  } catch {
    return "setpriv (which the entrypoint drops privileges with) is not installed";
  }
  return `the temp dir ${tmpdir()} is not traversable by uid ${NOBODY} (set TMPDIR to a folder other users can pass through)`;
}

const unreachable = serverUserCannotReach();
if (unreachable !== null) console.warn(`docker.test.ts: skipping the entrypoint and container tests: ${unreachable}`);
if (!isRoot) console.warn("docker.test.ts: not running as root, so the entrypoint's privilege drop is not tested");
/** describe, or describe.skip with the reason in the name (shown as "(skip) ..."). */
const needsStage = (name: string, body: () => void) => (unreachable === null ? describe(name, body) : describe.skip(`${name} [skipped: ${unreachable}]`, body));

/** Copies a file or folder so that anyone can read it (and run what was executable). */
function copyForEveryone(from: string, to: string): void {
  const stat = statSync(from);
  if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true });
    chmodSync(to, 0o755);
    for (const entry of readdirSync(from)) copyForEveryone(join(from, entry), join(to, entry));
  } else {
    copyFileSync(from, to);
    chmodSync(to, stat.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** The packages the server imports at run time: package.json's dependencies and theirs. */
function runtimePackages(): string[] {
  const found = new Set<string>();
  const visit = (packageJson: string) => {
    const dependencies = Object.keys((JSON.parse(readFileSync(packageJson, "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {});
    for (const name of dependencies) {
      if (found.has(name)) continue;
      found.add(name);
      visit(join(ROOT, "node_modules", name, "package.json"));
    }
  };
  visit(join(ROOT, "package.json"));
  return [...found];
}

interface Stage {
  root: string;
  bin: string;
  app: string;
  tmp: string;
}

function stageImage(): Stage {
  const root = mkdtempSync(join(tmpdir(), "bunker-container-"));
  try {
    return fillStage(root);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function fillStage(root: string): Stage {
  chmodSync(root, 0o755);
  const stage: Stage = { root, bin: join(root, "bin"), app: join(root, "app"), tmp: join(root, "tmp") };
  for (const dir of [stage.bin, stage.app]) {
    mkdirSync(dir);
    chmodSync(dir, 0o755);
  }
  mkdirSync(stage.tmp);
  chmodSync(stage.tmp, 0o1777);
  for (const script of ["docker-entrypoint.sh", "bunker-server"]) copyForEveryone(join(ROOT, "docker", script), join(stage.bin, script));
  // The bun running these tests: a hard link when it can be one (100 MB), else a copy.
  const bun = join(stage.bin, "bun");
  try {
    if ((statSync(process.execPath).mode & 0o005) !== 0o005) throw new Error("not world-executable");
    linkSync(process.execPath, bun);
  } catch {
    copyFileSync(process.execPath, bun);
    chmodSync(bun, 0o755);
  }
  copyForEveryone(join(ROOT, "package.json"), join(stage.app, "package.json"));
  copyForEveryone(join(ROOT, "src"), join(stage.app, "src"));
  for (const name of runtimePackages()) {
    const target = join(stage.app, "node_modules", name);
    mkdirSync(dirname(target), { recursive: true });
    // node_modules and a @scope folder: made under the umask, opened to everyone.
    for (let dir = dirname(target); dir !== stage.app; dir = dirname(dir)) chmodSync(dir, 0o755);
    copyForEveryone(join(ROOT, "node_modules", name), target);
  }
  return stage;
}

let stage: Stage | undefined;
function staged(): Stage {
  if (stage === undefined) throw new Error("the image's files were not staged");
  return stage;
}
beforeAll(() => {
  if (unreachable === null) stage = stageImage();
});
afterAll(() => {
  if (stage !== undefined) rmSync(stage.root, { recursive: true, force: true });
});

/** A working directory in the stage, as /data is in the image. */
function dataDir(owner?: number): string {
  const dir = mkdtempSync(join(staged().root, "data-"));
  chmodSync(dir, 0o755);
  if (owner !== undefined) chownSync(dir, owner, owner);
  return dir;
}

/** The uid a process runs as, and the binary it runs (Linux). */
function processIdentity(pid: number): { uid: number; exe: string } {
  return { uid: statSync(`/proc/${pid}`).uid, exe: readlinkSync(`/proc/${pid}/exe`) };
}

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
  const dir = mkdtempSync(join(staged().root, "fake-bin-"));
  writeFileSync(join(dir, "bunker-server"), '#!/bin/sh\necho "uid=$(id -u) args=$*"\n');
  chmodSync(join(dir, "bunker-server"), 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

function runEntrypoint(args: string[], cwd: string): { out: string; code: number } {
  const result = Bun.spawnSync(["sh", join(staged().bin, "docker-entrypoint.sh"), ...args], {
    cwd,
    env: { ...process.env, PATH: `${fakeServerDir()}:${staged().bin}:${process.env.PATH}`, BUNKER_USER: "nobody" },
  });
  return { out: result.stdout.toString().trim() + result.stderr.toString().trim(), code: result.exitCode };
}

needsStage("docker-entrypoint.sh", () => {
  test("options and config files become bunker-server arguments; other commands run as given", () => {
    const cwd = dataDir();
    chmodSync(cwd, 0o777);
    const expectedUid = isRoot ? NOBODY : process.getuid!();
    expect(runEntrypoint(["--save", "60", "1", "--loglevel", "warning"], cwd).out).toBe(`uid=${expectedUid} args=--save 60 1 --loglevel warning`);
    expect(runEntrypoint(["/etc/bunker.conf", "--port", "7000"], cwd).out).toBe(`uid=${expectedUid} args=/etc/bunker.conf --port 7000`);
    expect(runEntrypoint(["sh", "-c", "echo plain command"], cwd).out).toBe("plain command");
  });

  test.skipIf(!isRoot)("as root: gives /data's files to the server user and drops privileges", () => {
    const cwd = dataDir();
    writeFileSync(join(cwd, "dump.rdb"), "x");
    writeFileSync(join(cwd, "appendonly.aof"), "y");
    expect(statSync(join(cwd, "dump.rdb")).uid).toBe(0);
    const { out, code } = runEntrypoint(["bunker-server", "--port", "1"], cwd);
    expect(out).toBe(`uid=${NOBODY} args=--port 1`);
    expect(code).toBe(0);
    for (const file of readdirSync(cwd)) expect(statSync(join(cwd, file)).uid).toBe(NOBODY);
    expect(statSync(cwd).uid).toBe(NOBODY);
  });
});

needsStage("bunker-server in the container", () => {
  /** Runs the staged image's entrypoint and server in `dir`, as `docker run bunker <args>` would. */
  async function startContainer(args: string[], dir: string): Promise<RunningServer> {
    const port = freePort();
    const { bin, app, tmp } = staged();
    const server = await startProcess(["sh", join(bin, "docker-entrypoint.sh"), "bunker-server", "--port", String(port), ...args], port, dir, {
      env: { PATH: `${bin}:${process.env.PATH}`, BUNKER_HOME: app, BUNKER_USER: "nobody", TMPDIR: tmp },
    });
    running.push(server);
    return server;
  }

  /** The server runs the staged bun and main.ts, as the server user: the copy is what is tested. */
  async function expectStagedServer(server: RunningServer, c: RawClient): Promise<void> {
    const info = (await c.call("INFO", "server")) as string;
    expect(info).toContain(`executable:${join(staged().app, "src/main.ts")}\r\n`);
    if (haveProc) expect(processIdentity(server.proc.pid)).toEqual({ uid: isRoot ? NOBODY : process.getuid!(), exe: join(staged().bin, "bun") });
  }

  test("defaults are protected mode off and every interface; options still override them", async () => {
    const first = await startContainer([], dataDir(isRoot ? NOBODY : undefined));
    const c = await RawClient.connect(first.port);
    await expectStagedServer(first, c);
    expect(await c.call("CONFIG", "GET", "protected-mode")).toEqual(["protected-mode", "no"]);
    expect(await c.call("CONFIG", "GET", "bind")).toEqual(["bind", "* -::*"]);
    c.close();
    await first.stop();
    const second = await startContainer(["--protected-mode", "yes"], dataDir(isRoot ? NOBODY : undefined));
    const c2 = await RawClient.connect(second.port);
    expect(await c2.call("CONFIG", "GET", "protected-mode")).toEqual(["protected-mode", "yes"]);
    c2.close();
  });

  test("SIGTERM during a background save: writer stopped, final save done, exit 0 within 10 s", async () => {
    const dir = dataDir(isRoot ? NOBODY : undefined);
    const server = await startContainer(["--save", "3600 1", "--rdb-key-save-delay", "200000"], dir);
    const c = await RawClient.connect(server.port);
    await expectStagedServer(server, c);
    for (let i = 0; i < 30; i++) await c.call("SET", `k${i}`, `v${i}`);
    expect(await c.callRaw("BGSAVE")).toBe("+Background saving started\r\n");
    // 30 keys at 200 ms each: the writer is still at work when SIGTERM arrives.
    const temp = await waitFor(() => readdirSync(dir).find((f) => /^temp-\d+\.rdb$/.test(f)), { what: "the writer's temp file" });
    if (haveProc) {
      const writerPid = Number(/^temp-(\d+)/.exec(temp)![1]);
      expect(processIdentity(writerPid)).toEqual({ uid: isRoot ? NOBODY : process.getuid!(), exe: join(staged().bin, "bun") });
    }
    const started = Date.now();
    server.proc.kill("SIGTERM");
    // docker stop's grace period before SIGKILL: the product's requirement, not a test's wait.
    expect(await server.exited).toBe(0);
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
    const confDir = mkdtempSync(join(tmpdir(), "conf-"));
    const conf = join(confDir, "bunker.conf");
    writeFileSync(conf, `port ${locked.port}\nrequirepass "s3cret"\n`);
    expect(check(0, { BUNKER_PORT: "", BUNKER_CONFIG: conf })).toEqual({ code: 0, out: "PONG" });
    rmSync(confDir, { recursive: true, force: true });
    const down = check(freePort());
    expect(down.code).toBe(1);
    expect(down.out).toContain("cannot reach the server");
  });

  test("finds the password in the config file bunker-server was started with, although the title replaced the command line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "conf-"));
    const port = freePort();
    writeFileSync(join(dir, "bunker.conf"), `port ${port}\nbind 127.0.0.1\nrequirepass "s3cret"\nsave ""\n`);
    // bunker-server runs `bun` from the PATH, as in the image.
    mkdirSync(join(dir, "bin"));
    symlinkSync(process.execPath, join(dir, "bin", "bun"));
    const server = await startProcess(["sh", join(ROOT, "docker/bunker-server"), "bunker.conf"], port, dir, {
      env: { BUNKER_HOME: ROOT, PATH: `${join(dir, "bin")}:${process.env.PATH}` },
    });
    running.push(server);
    try {
      const cmdline = await waitFor(() => {
        const text = readFileSync(`/proc/${server.proc.pid}/cmdline`, "latin1");
        return text.includes(`127.0.0.1:${port}`) ? text : false;
      }, { what: "the process title" });
      expect(cmdline).not.toContain("bunker.conf");
      const result = Bun.spawnSync([process.execPath, join(ROOT, "src/healthcheck.ts")], {
        cwd: dir,
        env: { ...process.env, BUNKER_PORT: "", BUNKER_CONFIG: "", BUNKER_PASSWORD: "", REDIS_PASSWORD: "" },
      });
      expect(result.stdout.toString().trim()).toBe("PONG");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("unhealthy while MISCONF is active, with the reason", async () => {
    const server = await startBunker({ args: ["--save", "3600 1", "--rdb-key-save-delay", "100000"] });
    running.push(server);
    const c = await RawClient.connect(server.port);
    for (let i = 0; i < 20; i++) await c.call("SET", `k${i}`, "v");
    await c.call("BGSAVE");
    const temp = await waitFor(() => readdirSync(server.dir).find((f) => /^temp-\d+\.rdb$/.test(f)), { what: "the writer's temp file" });
    process.kill(Number(/temp-(\d+)/.exec(temp)![1]), "SIGKILL");
    await waitFor(async () => ((await c.call("INFO", "persistence")) as string).includes("rdb_bgsave_in_progress:0"), { what: "the killed save to be reaped" });
    const result = check(server.port);
    expect(result.code).toBe(1);
    expect(result.out).toContain("MISCONF");
    expect(result.out).toContain("writer killed by signal 9");
  });
});
