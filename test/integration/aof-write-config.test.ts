// The AOF's write side reads appendfsync and aof-timestamp-enabled from fields that
// CONFIG SET refreshes (aof.ts), not from the config on every effect: a change made at
// run time must reach the INCR file from the next effect on, as in Redis.

import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RawClient, startBunker, type RunningServer } from "../helpers/server.ts";

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** The INCR file as text, #TS annotations' seconds replaced by <ts>. */
function incr(dir: string): string {
  return readFileSync(join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"), "latin1").replace(/#TS:\d+\r\n/g, "#TS:<ts>\r\n");
}

const command = (...args: string[]) => `*${args.length}\r\n` + args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");

test("CONFIG SET aof-timestamp-enabled and appendfsync take effect from the next write", async () => {
  server = await startBunker({ args: ["--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-percentage", "0"] });
  const client = await RawClient.connect(server.port);
  try {
    expect(await client.call("SET", "a", "1")).toBe("OK");
    expect(await client.call("CONFIG", "SET", "aof-timestamp-enabled", "yes")).toBe("OK");
    expect(await client.call("SET", "b", "2")).toBe("OK");
    expect(await client.call("CONFIG", "SET", "appendfsync", "always")).toBe("OK");
    expect(await client.call("CONFIG", "SET", "aof-timestamp-enabled", "no")).toBe("OK");
    // Time is the scenario: in a new second an enabled annotation would be written again.
    await Bun.sleep(1000 - (Date.now() % 1000) + 20);
    expect(await client.call("SET", "c", "3")).toBe("OK");
    expect(await client.call("CONFIG", "SET", "appendfsync", "no")).toBe("OK");
    expect(await client.call("SET", "d", "4")).toBe("OK");
    // The stage writes the INCR file before any reply of its turn leaves, whatever the policy.
    expect(incr(server.dir)).toBe(
      command("SELECT", "0") + command("SET", "a", "1") + "#TS:<ts>\r\n" + command("SET", "b", "2") + command("SET", "c", "3") + command("SET", "d", "4"),
    );
  } finally {
    client.close();
  }
});
