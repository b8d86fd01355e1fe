// Busy scripts against the real redis-server 7.0: once a script runs past
// busy-reply-threshold, other clients (connected before or during it) get -BUSY for all
// but the few commands allowed then; SCRIPT KILL stops a script that wrote nothing,
// a script that wrote is UNKILLABLE and only SHUTDOWN NOSAVE ends it; afterwards every
// client, including those accepted during the script, is served as usual. The same
// steps run on both servers and the transcripts are compared.

import { describe, expect, test } from "bun:test";
import { haveRedis, startPair } from "../helpers/differential.ts";
import { RawClient, type RunningServer } from "../helpers/server.ts";
import { waitFor } from "../helpers/wait.ts";

const d = haveRedis ? describe : describe.skip;

const BUSY = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

/** Starts `script` on a connection of its own; resolves with that connection and its reply to come. */
async function startBusyScript(server: RunningServer, observer: RawClient, script: string): Promise<{ caller: RawClient; reply: Promise<string> }> {
  const caller = await RawClient.connect(server.port);
  const reply = caller.callRaw("EVAL", script, "0");
  // The script is busy once another client's PING is refused (it waits until then).
  await waitFor(async () => (await observer.callRaw("PING")) === BUSY, { what: "the script to be busy" });
  return { caller, reply };
}

/** CLIENT LIST reduced to what both servers agree on: each client's name, db and last command. */
function clientSummary(list: string): string[] {
  return list
    .trim()
    .split("\n")
    .map((line) => {
      const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? "?";
      return `name=${field("name")} db=${field("db")} cmd=${field("cmd")}`;
    })
    .sort();
}

d("busy scripts", () => {
  test("other clients get BUSY, new connections too; SCRIPT KILL stops a read-only script; all clients work afterwards", async () => {
    const p = await startPair();
    try {
      const transcripts: string[][] = [];
      for (const server of [p.bunker, p.redis]) {
        const lines: string[] = [];
        const record = (label: string, reply: string) => lines.push(`${label}: ${reply}`);
        const before = await RawClient.connect(server.port);
        await before.call("CONFIG", "SET", "busy-reply-threshold", "200");
        await before.call("CLIENT", "SETNAME", "before");
        await before.call("SET", "k", "v");
        const { caller, reply } = await startBusyScript(server, before, "local i = 0; while true do i = i + 1 end");
        record("GET", await before.callRaw("GET", "k"));
        record("EVAL", await before.callRaw("EVAL", "return 1", "0"));
        record("SCRIPT LOAD", await before.callRaw("SCRIPT", "LOAD", "return 1"));
        record("MULTI", await before.callRaw("MULTI"));
        record("SET in MULTI", await before.callRaw("SET", "x", "1"));
        record("EXEC", await before.callRaw("EXEC"));
        record("SHUTDOWN", await before.callRaw("SHUTDOWN"));
        record("SHUTDOWN SAVE", await before.callRaw("SHUTDOWN", "SAVE"));
        // A connection opened while the script runs is served too.
        const during = await RawClient.connect(server.port);
        record("new PING", await during.callRaw("PING"));
        record("new CLIENT SETNAME", await during.callRaw("CLIENT", "SETNAME", "during"));
        // (Client ids differ: the servers saw different numbers of readiness probes.)
        record("new HELLO 3", (await during.callRaw("HELLO", "3")).replace(/\$2\r\nid\r\n:\d+/, "$2\r\nid\r\n:<id>"));
        record("SCRIPT KILL", await during.callRaw("SCRIPT", "KILL"));
        record("caller", await reply);
        record("EXEC after", await before.callRaw("EXEC"));
        record("SCRIPT KILL after", await before.callRaw("SCRIPT", "KILL"));
        // Everyone is served normally again, the clients accepted meanwhile included.
        record("PING", await before.callRaw("PING"));
        record("new PING after", await during.callRaw("PING"));
        record("new CLIENT SETNAME after", await during.callRaw("CLIENT", "SETNAME", "during"));
        record("new GET after", await during.callRaw("GET", "k"));
        record("caller after", await caller.callRaw("EVAL", "return redis.call('get', 'k')", "0"));
        record("CLIENT LIST", clientSummary(String(await during.call("CLIENT", "LIST"))).join(" | "));
        record("errorstats", (await before.callRaw("INFO", "errorstats")).replace(/^\$\d+\r\n/, ""));
        const stats = String(await before.call("INFO", "commandstats"));
        record("eval stats", /cmdstat_eval:calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)/.exec(stats)!.slice(1).join(","));
        // (Not PING's calls: how many PINGs ran before the script started is timing.)
        await server.waitForOutput(/Slow script detected: still in execution after \d+ milliseconds\. You can try killing the script using the SCRIPT KILL command\. Script name is: [0-9a-f]{40}\./);
        await server.waitForOutput("Lua script killed by user with SCRIPT KILL.");
        for (const client of [before, during, caller]) client.close();
        transcripts.push(lines);
      }
      expect(transcripts[0]).toEqual(transcripts[1]!);
      expect(transcripts[0]).toContain(`GET: ${BUSY}`);
      expect(transcripts[0]).toContain(`new PING: ${BUSY}`);
      expect(transcripts[0]).toContain("SCRIPT KILL: +OK\r\n");
    } finally {
      await p.stop();
    }
  });

  test("a script killed while pcall catches errors, and a busy script's reply once it ends by itself", async () => {
    const p = await startPair();
    try {
      const transcripts: string[][] = [];
      for (const server of [p.bunker, p.redis]) {
        const lines: string[] = [];
        const observer = await RawClient.connect(server.port);
        await observer.call("CONFIG", "SET", "busy-reply-threshold", "200");
        // pcall catches the kill error at first; the hook keeps raising it until the script gives up.
        const killed = await startBusyScript(server, observer, "while true do pcall(function() while true do end end) end");
        lines.push(await observer.callRaw("SCRIPT", "KILL"));
        lines.push(await killed.reply);
        // A script that ends on its own after the threshold: its caller gets the result.
        const sha = String(await observer.call("SCRIPT", "LOAD", "local t0 = redis.call('time'); repeat local t = redis.call('time') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= 600000; return redis.call('incr', 'done')"));
        const caller = await RawClient.connect(server.port);
        const reply = caller.callRaw("EVALSHA", sha, "0");
        await waitFor(async () => (await observer.callRaw("PING")) === BUSY, { what: "the script to be busy" });
        lines.push(await observer.callRaw("SCRIPT", "KILL"));
        lines.push(await reply);
        lines.push(await observer.callRaw("GET", "done"));
        for (const client of [observer, killed.caller, caller]) client.close();
        transcripts.push(lines);
      }
      expect(transcripts[0]).toEqual(transcripts[1]!);
    } finally {
      await p.stop();
    }
  });

  test("a script that wrote is UNKILLABLE; SHUTDOWN without NOSAVE gets BUSY; SHUTDOWN NOSAVE ends the server", async () => {
    const p = await startPair();
    try {
      const transcripts: string[][] = [];
      for (const server of [p.bunker, p.redis]) {
        const lines: string[] = [];
        const observer = await RawClient.connect(server.port);
        await observer.call("CONFIG", "SET", "busy-reply-threshold", "200");
        const busy = await startBusyScript(server, observer, "redis.call('set', 'w', '1'); while true do end");
        // The caller's connection is closed with the server: keep what happens to its reply.
        const callerOutcome = busy.reply.catch((error: Error) => error.message);
        lines.push(await observer.callRaw("SCRIPT", "KILL"));
        lines.push(await observer.callRaw("SHUTDOWN"));
        lines.push(await observer.callRaw("SHUTDOWN", "SAVE"));
        lines.push(await observer.callRaw("SHUTDOWN", "NOSAVE", "NOW", "FORCE", "bogus"));
        observer.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
        // The server exits: no reply, both connections closed.
        lines.push(`exit ${await server.exited}`);
        lines.push(`observer got: ${JSON.stringify(await observer.waitClosed())}`);
        lines.push(`caller got: ${await callerOutcome}`);
        transcripts.push(lines);
      }
      expect(transcripts[0]).toEqual(transcripts[1]!);
      expect(transcripts[0]![0]).toMatch(/^-UNKILLABLE Sorry the script already executed write commands/);
    } finally {
      await p.stop();
    }
  });
});
