// Replication commands. The replica side: REPLICAOF / SLAVEOF, ROLE, and REPLCONF
// GETACK as a master asks it of this server (replication/replica.ts does the work).

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, argLower, bytesToKey, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import { describeClientLine } from "../info.ts";
import { logger } from "../log.ts";
import * as errors from "../errors.ts";

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
  const server = client.server;
  const link = server.masterLink;
  const reply = client.reply;
  if (link.masterHost === null) {
    const replication = server.replication;
    const online = replication.replicas.filter((replica) => replica.replica!.state === "online");
    reply.arrayHeader(3);
    reply.bulkText("master");
    reply.integer(replication.masterReplOffset);
    reply.arrayHeader(online.length);
    for (const replica of online) {
      const state = replica.replica!;
      reply.arrayHeader(3);
      reply.bulkText(state.announcedIp || replica.address.slice(0, replica.address.lastIndexOf(":")));
      reply.bulkText(String(state.listeningPort));
      reply.bulkText(String(state.ackOffset));
    }
    return;
  }
  reply.arrayHeader(5);
  reply.bulkText("slave");
  reply.bulkText(link.masterHost);
  reply.integer(link.masterPort);
  reply.bulkText(link.roleState());
  reply.integer(link.master !== null ? link.reploff : -1);
}

/**
 * replconfCommand, the replica's part: GETACK from its master is answered with
 * REPLCONF ACK <offset> (the one reply a master gets); the master-side options are the
 * master's business (REPLCONF from this server's own replicas).
 */
function replconf(client: Client, argv: Uint8Array[]): void {
  if (argv.length % 2 === 0) {
    replyError(client, errors.wrongArgs("replconf"));
    return;
  }
  const link = client.server.masterLink;
  for (let i = 1; i < argv.length; i += 2) {
    const option = argLower(argv[i]!);
    if (option === "getack") {
      if (link.masterHost !== null && link.master !== null) link.replicationSendAck();
      return;
    }
    if (option === "ack") return;
  }
  client.reply.ok();
}

const R = { categories: [] as string[], group: "server" };

export const replicationCommands: CommandSpec[] = [
  keyless({ name: "replicaof", arity: 3, flags: ["admin", "noscript", "stale", "no_async_loading"], ...R, since: "5.0.0", summary: "Make the server a replica of another instance, or promote it as master.", complexity: "O(1)", handler: replicaof }),
  keyless({ name: "slaveof", arity: 3, flags: ["admin", "noscript", "stale", "no_async_loading"], ...R, since: "1.0.0", summary: "Make the server a replica of another instance, or promote it as master.", complexity: "O(1)", handler: replicaof }),
  keyless({ name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], ...R, categories: ["admin", "dangerous"], since: "2.8.12", summary: "Return the role of the instance in the context of replication", complexity: "O(1)", handler: role }),
  keyless({ name: "replconf", arity: -1, flags: ["admin", "noscript", "loading", "stale", "allow_busy"], ...R, since: "3.0.0", summary: "An internal command for configuring the replication stream", complexity: "O(1)", handler: replconf }),
];
