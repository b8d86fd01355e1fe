// The snapshot writer does not outlive its server. kill -9 of the server during a slow
// BGSAVE or AOF rewrite: the writer notices at once that its stream closed (in the middle
// of its rdb-key-save-delay, with more keys queued than it could write in minutes),
// removes its temp file and exits. Nor is the channel's Unix socket file left in the temp
// dir: it is removed once the writer has connected. Redis's forked child would go on and
// finish its file; a Bunker writer without its server can never receive the rest of the
// dataset.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient, startBunker, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";
import { info } from "../helpers/info.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

/** Well within the test's timeout, far from the minutes the writer would otherwise run on. */
const EXIT_DEADLINE_MS = 10_000;

/** The process has exited (a zombie not reaped yet by its new parent counts). */
function exited(pid: number): boolean {
  if (existsSync("/proc/self/stat")) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      return stat[stat.lastIndexOf(")") + 2] === "Z";
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The channel sockets of a server of that pid in the temp dir (bunker-<pid>-*.sock) that
 * are not in `before`: a server killed earlier may have left one under a pid that is this
 * server's now.
 */
function channelSockets(serverPid: number, before: readonly string[] = []): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(`bunker-${serverPid}-`) && name.endsWith(".sock") && !before.includes(name));
}

const KINDS = [
  { command: "BGSAVE", inProgress: "rdb_bgsave_in_progress", tempFile: /^temp-(\d+)\.rdb$/, aborted: "Background save aborted" },
  { command: "BGREWRITEAOF", inProgress: "aof_rewrite_in_progress", tempFile: /^temp-rewriteaof-(\d+)\.aof$/, aborted: "Background AOF rewrite aborted" },
];

describe("the server killed during a background save", () => {
  for (const kind of KINDS) {
    test(`${kind.command}: the writer exits at once, removing its temp file; no socket file is left`, async () => {
      // 100 ms a key: the writer's queue alone would take minutes.
      const server = await startBunker({ args: ["--rdb-key-save-delay", "100000"] });
      running.push(server);
      const client = await RawClient.connect(server.port);
      // 3 MB: more than the writer may have in hand, so the server is held back as well.
      const value = "v".repeat(1000);
      for (let i = 0; i < 3000; i += 100) {
        const args: string[] = [];
        for (let j = i; j < i + 100; j++) args.push(`key:${j}`, value);
        expect(await client.call("MSET", ...args)).toBe("OK");
      }
      const staleSockets = channelSockets(server.proc.pid);
      expect(String(await client.call(kind.command))).toMatch(/started/);
      const tempFile = await waitFor(() => readdirSync(server.dir).find((name) => kind.tempFile.test(name)), { what: "the writer's temp file" });
      const writerPid = Number(kind.tempFile.exec(tempFile)![1]);
      // At work: connected, and past its first key.
      await waitFor(
        async () => {
          const fields = await info(client, "everything");
          return fields.get(kind.inProgress) === "1" && Number(fields.get("current_save_keys_processed")) >= 1;
        },
        { what: "the writer to write keys" },
      );
      client.close();
      // Connected: the socket file has done its work already.
      expect(channelSockets(server.proc.pid, staleSockets)).toEqual([]);

      server.proc.kill("SIGKILL");
      await server.exited;
      await waitFor(() => exited(writerPid), { timeoutMs: EXIT_DEADLINE_MS, what: `writer ${writerPid} to exit` });
      await waitFor(() => !existsSync(join(server.dir, tempFile)), { timeoutMs: EXIT_DEADLINE_MS, what: `${tempFile} to be removed` });
      expect(channelSockets(server.proc.pid, staleSockets)).toEqual([]);
      await waitFor(() => server.output().includes(`${kind.aborted}: the server closed the snapshot stream before its end.`), {
        timeoutMs: EXIT_DEADLINE_MS,
        what: "the writer's log line",
      });
    });
  }
});
