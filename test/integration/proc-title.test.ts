// The process title against redis-server 7.0.15: /proc/<pid>/cmdline and `ps -o args=`
// of a started server show proc-title-template expanded as Redis expands it ({title}
// aside: the executable, bun for Bunker), CONFIG SET proc-title-template re-titles the
// process or fails with Redis's error, and set-proc-title no leaves the command line.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { haveRedis } from "../helpers/differential.ts";
import { RawClient, REDIS_SERVER, startBunker, startRedis, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const d = haveRedis && process.platform === "linux" ? describe : describe.skip;

/** The command line as the kernel shows it, up to the first NUL (what follows is padding). */
function cmdline(server: RunningServer): string {
  const raw = readFileSync(`/proc/${server.proc.pid}/cmdline`, "latin1");
  const nul = raw.indexOf("\0");
  return nul === -1 ? raw : raw.slice(0, nul);
}

function psArgs(server: RunningServer): string {
  return Bun.spawnSync(["ps", "-o", "args=", "-p", String(server.proc.pid)]).stdout.toString().trimEnd();
}

/** Each server's title with its {title} (the executable's name) replaced by a marker. */
async function titles(args: string[], run?: (client: RawClient) => Promise<unknown>): Promise<{ bunker: string; redis: string; replies: unknown[] }> {
  // Redis listens before it sets its title (initServer, then redisSetProcTitle): a port
  // that answers does not mean the title is there; the ready line comes after both.
  const bunker = await startBunker({ args, waitLoaded: true });
  const redis = await startRedis({ args, waitLoaded: true });
  const replies: unknown[] = [];
  try {
    const normalise = (server: RunningServer, executable: string) => cmdline(server).split(executable).join("<title>").replaceAll(String(server.port), "<port>");
    for (const server of [bunker, redis]) {
      if (run === undefined) continue;
      const client = await RawClient.connect(server.port);
      replies.push(await run(client));
      client.close();
    }
    // A title starts with the executable for the default template: each server's own.
    return { bunker: normalise(bunker, process.execPath), redis: normalise(redis, REDIS_SERVER!), replies };
  } finally {
    await Promise.all([bunker.stop(), redis.stop()]);
  }
}

d("process title vs redis-server", () => {
  test("the default template: {title} {listen-addr} {server-mode}", async () => {
    const { bunker, redis } = await titles([]);
    expect(redis).toBe("<title> 127.0.0.1:<port>");
    expect(bunker).toBe(redis);
  });

  test("every variable, quoting and trimming", async () => {
    const { bunker, redis } = await titles(["--proc-title-template", "  db {{ {listen-addr} {port} {tls-port} [{unixsocket}] {server-mode} {config-file} end  "]);
    expect(redis).toBe("db { 127.0.0.1:<port> <port> 0 []  - end");
    expect(bunker).toBe(redis);
  });

  test("CONFIG SET proc-title-template re-titles the process, ps shows it, bad templates fail as in Redis", async () => {
    for (const start of [startBunker, startRedis]) {
      const server = await start();
      const client = await RawClient.connect(server.port);
      try {
        expect(await client.call("CONFIG", "SET", "proc-title-template", "{unknown}")).toMatchObject({
          message: "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables",
        });
        expect(await client.call("CONFIG", "SET", "proc-title-template", "  ")).toMatchObject({ message: expect.stringContaining("template format is invalid") });
        expect(await client.call("CONFIG", "SET", "proc-title-template", "{port")).toMatchObject({ message: expect.stringContaining("template format is invalid") });
        expect(await client.call("CONFIG", "SET", "proc-title-template", "cache-{port} {{x}")).toBe("OK");
        await waitFor(() => cmdline(server) === `cache-${server.port} {x}`, { what: "the new title" });
        expect(psArgs(server)).toStartWith(`cache-${server.port} {x}`);
      } finally {
        client.close();
        await server.stop();
      }
    }
  });

  test("set-proc-title no leaves the command line as it was", async () => {
    const bunker = await startBunker({ args: ["--set-proc-title", "no"] });
    try {
      expect(cmdline(bunker)).toBe(process.execPath);
      expect(await (async () => {
        const client = await RawClient.connect(bunker.port);
        const reply = await client.call("CONFIG", "SET", "proc-title-template", "other {port}");
        client.close();
        return reply;
      })()).toBe("OK");
      expect(psArgs(bunker)).toContain("src/main.ts");
    } finally {
      await bunker.stop();
    }
  });
});
