// The allocator settings (src/allocator.ts): a server started without
// MIMALLOC_PURGE_DELAY executes itself again with it, keeping its PID, its arguments and
// the argv[0] it was given (the process title's first word), and a value the user set is
// left alone. The test helpers pass the setting themselves, so these servers are spawned
// by hand.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PURGE_DELAY_VARIABLE } from "../../src/allocator.ts";
import { freePort, MAIN, RawClient } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const d = process.platform === "linux" ? describe : describe.skip;

/** The environment the kernel shows for `pid`: what the process image was executed with. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").filter((entry) => entry !== "");
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

/** Starts `bun src/main.ts` with `extra` added to an environment that lacks the variable; returns what it ran with. */
async function runWith(extra: Record<string, string>, bunFlags: string[] = []): Promise<{ environ: Map<string, string>; reply: unknown; title: string }> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  if (extra[PURGE_DELAY_VARIABLE] === undefined) delete env[PURGE_DELAY_VARIABLE];
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "bunker-allocator-"));
  const proc = Bun.spawn([process.execPath, ...bunFlags, MAIN, "--port", String(port), "--save", "", "--bind", "127.0.0.1", "--dir", dir], {
    cwd: dir,
    env,
    // Started as a shell starts `bun` from PATH: argv[0] is not the executable's path.
    argv0: "bun",
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    const client = await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the server ended (${proc.exitCode ?? proc.signalCode})`);
        return RawClient.connect(port).catch(() => null);
      },
      { what: "the server to accept connections" },
    );
    // The process answering is the one spawned: the re-execution kept its PID.
    const reply = await client.call("PING");
    client.close();
    const title = readFileSync(`/proc/${proc.pid}/cmdline`, "latin1").split("\0")[0]!;
    return { environ: environOf(proc.pid), reply, title };
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

d("allocator settings", () => {
  test("a server started without MIMALLOC_PURGE_DELAY runs with 1000, as the same process", async () => {
    const { environ, reply, title } = await runWith({});
    expect(reply).toBe("PONG");
    expect(environ.get(PURGE_DELAY_VARIABLE)).toBe("1000");
    expect(title).toMatch(/^bun 127\.0\.0\.1:\d+$/);
  });

  test("under the CPU profiler the server runs as started (a profiler signal at the execve would kill it)", async () => {
    const profiles = mkdtempSync(join(tmpdir(), "bunker-allocator-prof-"));
    try {
      // Several starts: the race it avoids lost 3 of 4.
      for (let i = 0; i < 3; i++) {
        const { environ, reply } = await runWith({}, ["--cpu-prof", `--cpu-prof-dir=${profiles}`, "--cpu-prof-interval=100"]);
        expect(reply).toBe("PONG");
        expect(environ.has(PURGE_DELAY_VARIABLE)).toBe(false);
      }
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });

  test("a value the user set is kept", async () => {
    const { environ, reply, title } = await runWith({ [PURGE_DELAY_VARIABLE]: "50" });
    expect(reply).toBe("PONG");
    expect(title).toMatch(/^bun 127\.0\.0\.1:\d+$/);
    expect(environ.get(PURGE_DELAY_VARIABLE)).toBe("50");
  });
});
