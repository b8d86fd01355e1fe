// A Server in the test's own process, driven through processCommand by one client
// with no socket: for tests that look at the server's objects between commands.

import { Server } from "../../src/server.ts";
import { Client } from "../../src/net/client.ts";
import { Config } from "../../src/config.ts";
import { CommandTable } from "../../src/commands/table.ts";
import { registerAllCommands } from "../../src/commands/index.ts";

export interface InProcessServer {
  server: Server;
  client: Client;
  /** Runs one command; returns its reply as a latin1 string of the RESP bytes. */
  run(...args: string[]): string;
}

export function inProcessServer(config: Config = Config.defaults()): InProcessServer {
  const table = new CommandTable();
  registerAllCommands(table);
  const server = new Server(config, table);
  const client = new Client(1, server, null, "127.0.0.1:40001", "127.0.0.1:6379");
  const run = (...args: string[]): string => {
    server.processCommand(client, args.map((arg) => new Uint8Array(Buffer.from(arg, "latin1"))));
    return Buffer.from(client.reply.take()).toString("latin1");
  };
  return { server, client, run };
}
