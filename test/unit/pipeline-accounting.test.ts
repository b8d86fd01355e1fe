// Per-command accounting inside a pipeline: commandstats, slowlog and the latency
// monitor see each command with its own duration, although pipelined commands share
// clock readings (the end of one command starts the next; see Server.pipelineClock).

import { expect, test } from "bun:test";
import { Server } from "../../src/server.ts";
import { Client, type ClientSocket } from "../../src/net/client.ts";
import { Config } from "../../src/config.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

function setup() {
  const table = new CommandTable();
  registerAllCommands(table);
  const { config } = Config.fromArgs(["--enable-debug-command", "yes"], process.cwd());
  const server = new Server(config, table);
  let output = "";
  const socket = {
    write(data: Uint8Array, offset = 0, length = data.length - offset) {
      output += Buffer.from(data.subarray(offset, offset + length)).toString("latin1");
      return length;
    },
    end() {},
    pause() {},
    resume() {},
    data: { client: null },
  } as unknown as ClientSocket;
  const client = new Client(1, server, socket, "127.0.0.1:40001", "127.0.0.1:6379");
  server.clients.set(client.id, client);
  const send = (...requests: string[][]) => {
    output = "";
    const wire = requests.map((args) => `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join("");
    server.onData(client, Buffer.from(wire, "latin1"));
    // The end of the event-loop turn: a pipeline's replies are written there.
    server.beforeSleep();
    return output;
  };
  return { server, send, client };
}

test("a slow command's time is not counted in the next pipelined command", () => {
  const { server, send } = setup();
  send(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
  send(["SLOWLOG", "RESET"]);
  expect(send(["DEBUG", "SLEEP", "0.03"], ["PING"], ["SET", "k", "v"], ["GET", "k"], ["PING"])).toBe("+OK\r\n+PONG\r\n+OK\r\n$1\r\nv\r\n+PONG\r\n");
  const entries = server.slowlog.entries.map((e) => [Buffer.from(e.argv[0]!).toString(), e.micros] as const).reverse().slice(1); // after SLOWLOG RESET
  expect(entries.map(([name]) => name)).toEqual(["DEBUG", "PING", "SET", "GET", "PING"]);
  expect(entries[0]![1]).toBeGreaterThanOrEqual(29_000);
  for (const [, micros] of entries.slice(1)) {
    expect(micros).toBeGreaterThanOrEqual(0);
    expect(micros).toBeLessThan(5_000);
  }
  const ping = server.table.lookup("ping")!;
  expect(ping.calls).toBe(2);
  expect(ping.microseconds).toBeLessThan(10_000);
});

test("rejected and queued commands in a pipeline do not pass a clock reading on", () => {
  const { server, send } = setup();
  send(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
  send(["SLOWLOG", "RESET"]);
  const reply = send(["DEBUG", "SLEEP", "0.02"], ["NOSUCH"], ["GET"], ["PING"], ["MULTI"], ["PING"], ["EXEC"], ["PING"]);
  expect(reply).toBe(
    "+OK\r\n-ERR unknown command 'NOSUCH', with args beginning with: \r\n-ERR wrong number of arguments for 'get' command\r\n+PONG\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n+PONG\r\n",
  );
  const entries = server.slowlog.entries.map((e) => [Buffer.from(e.argv[0]!).toString(), e.micros] as const).reverse().slice(1); // after SLOWLOG RESET
  expect(entries.map(([name]) => name)).toEqual(["DEBUG", "PING", "MULTI", "PING", "PING"]);
  // EXEC is not logged (skip_slowlog), the commands it ran are.
  for (const [, micros] of entries.slice(1)) expect(micros).toBeLessThan(5_000);
});

test("lastInteraction (CLIENT LIST idle, timeout) moves with commands and with input that runs none", () => {
  const { server, send, client } = setup();
  const busyWait = (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until);
  };
  client.lastInteraction = 0;
  let before = Date.now();
  send(["PING"]);
  expect(client.lastInteraction).toBeGreaterThanOrEqual(before - 1);
  expect(client.lastInteraction).toBeLessThanOrEqual(Date.now() + 1);
  busyWait(5);
  // Half a request: no command runs, the read still counts as interaction.
  before = Date.now();
  server.onData(client, Buffer.from("*1\r\n$4\r\nPI"));
  expect(client.lastInteraction).toBeGreaterThanOrEqual(before);
  busyWait(5);
  before = Date.now();
  server.onData(client, Buffer.from("NG\r\n"));
  expect(client.lastInteraction).toBeGreaterThanOrEqual(before - 1);
  expect(client.commandsProcessed).toBe(2);
});
