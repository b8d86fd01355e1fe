// Replication commands: the master's side of the handshake and sync (SYNC, PSYNC,
// REPLCONF), WAIT, ROLE, and REPLICAOF / SLAVEOF. replication/master.ts does the master's
// work and replication/replica.ts the replica's (REPLICAOF, ROLE's replica form, the
// REPLCONF GETACK a master asks of this server).

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, bytesToKey, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import { describeClientLine } from "../info.ts";
import { logger } from "../log.ts";

function sync(client: Client, argv: Uint8Array[]): void {
  client.server.master.syncCommand(client, argv);
}

function replconf(client: Client, argv: Uint8Array[]): void {
  client.server.master.replconfCommand(client, argv);
}

function wait(client: Client, argv: Uint8Array[]): void {
  client.server.master.waitCommand(client, argv);
}

/** replicaofCommand: REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF, its old name). */
function replicaof(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  const link = server.masterLink;
  if (argIs(argv[1]!, "no") && argIs(argv[2]!, "one")) {
    if (link.masterHost !== null) {
      link.replicationUnsetMaster();
      logger.notice(`MASTER MODE enabled (user request from '${describeClientLine(server, client)}')`);
    }
    client.reply.ok();
    return;
  }
  // It would have to drop every replica, itself included.
  if (client.replica !== null) {
    replyError(client, "ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInteger(argv[2]!);
  if (port === null || typeof port === "bigint" || port < 0 || port > 65535) {
    replyError(client, "ERR Invalid master port");
    return;
  }
  const host = bytesToKey(argv[1]!);
  if (link.masterHost !== null && link.masterHost.toLowerCase() === host.toLowerCase() && link.masterPort === port) {
    logger.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
    client.reply.simple("OK Already connected to specified master");
    return;
  }
  link.replicationSetMaster(host, port);
  logger.notice(`REPLICAOF ${host}:${port} enabled (user request from '${describeClientLine(server, client)}')`);
  client.reply.ok();
}

/** roleCommand: [master, offset, [[ip, port, offset]...]] or [slave, host, port, state, offset]. */
function role(client: Client): void {
  const link = client.server.masterLink;
  if (link.masterHost === null) {
    client.server.master.roleCommand(client);
    return;
  }
  const reply = client.reply;
  reply.arrayHeader(5);
  reply.bulkText("slave");
  reply.bulkText(link.masterHost);
  reply.integer(link.masterPort);
  reply.bulkText(link.roleState());
  reply.integer(link.master !== null ? link.reploff : -1);
}

const R = { categories: [] as string[], group: "server" };
const SYNC_FLAGS: CommandSpec["flags"] = ["admin", "noscript", "no_async_loading", "no_multi"];

export const replicationCommands: CommandSpec[] = [
  keyless({ name: "sync", arity: 1, flags: SYNC_FLAGS, ...R, since: "1.0.0", summary: "Internal command used for replication", handler: sync }),
  keyless({ name: "psync", arity: -3, flags: SYNC_FLAGS, ...R, since: "2.8.0", summary: "Internal command used for replication", handler: sync }),
  keyless({ name: "replconf", arity: -1, flags: ["admin", "noscript", "loading", "stale", "allow_busy"], ...R, since: "3.0.0", summary: "An internal command for configuring the replication stream", complexity: "O(1)", handler: replconf }),
  keyless({ name: "wait", arity: 3, flags: ["noscript"], categories: ["connection"], group: "generic", since: "3.0.0", summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:agg_min"], handler: wait }),
  keyless({ name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], categories: ["admin", "dangerous"], group: "server", since: "2.8.12", summary: "Return the role of the instance in the context of replication", complexity: "O(1)", handler: role }),
  keyless({ name: "replicaof", arity: 3, flags: ["admin", "noscript", "stale", "no_async_loading"], ...R, since: "5.0.0", summary: "Make the server a replica of another instance, or promote it as master.", complexity: "O(1)", handler: replicaof }),
  keyless({ name: "slaveof", arity: 3, flags: ["admin", "noscript", "stale", "no_async_loading"], ...R, since: "1.0.0", summary: "Make the server a replica of another instance, or promote it as master.", complexity: "O(1)", handler: replicaof }),
];
