// Replication commands: the master's side of the handshake and sync (SYNC, PSYNC,
// REPLCONF), WAIT and ROLE. The work is replication/master.ts's; the replica side adds
// REPLICAOF/SLAVEOF and its branches of ROLE and REPLCONF GETACK.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";

function sync(client: Client, argv: Uint8Array[]): void {
  client.server.master.syncCommand(client, argv);
}

function replconf(client: Client, argv: Uint8Array[]): void {
  client.server.master.replconfCommand(client, argv);
}

function wait(client: Client, argv: Uint8Array[]): void {
  client.server.master.waitCommand(client, argv);
}

function role(client: Client): void {
  client.server.master.roleCommand(client);
}

const R = { categories: [] as string[], group: "server" };
const SYNC_FLAGS: CommandSpec["flags"] = ["admin", "noscript", "no_async_loading", "no_multi"];

export const replicationCommands: CommandSpec[] = [
  keyless({ name: "sync", arity: 1, flags: SYNC_FLAGS, ...R, since: "1.0.0", summary: "Internal command used for replication", handler: sync }),
  keyless({ name: "psync", arity: -3, flags: SYNC_FLAGS, ...R, since: "2.8.0", summary: "Internal command used for replication", handler: sync }),
  keyless({ name: "replconf", arity: -1, flags: ["admin", "noscript", "loading", "stale", "allow_busy"], ...R, since: "3.0.0", summary: "An internal command for configuring the replication stream", complexity: "O(1)", handler: replconf }),
  keyless({ name: "wait", arity: 3, flags: ["noscript"], categories: ["connection"], group: "generic", since: "3.0.0", summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:agg_min"], handler: wait }),
  keyless({ name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], categories: ["admin", "dangerous"], group: "server", since: "2.8.12", summary: "Return the role of the instance in the context of replication", complexity: "O(1)", handler: role }),
];
