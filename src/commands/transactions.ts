// MULTI / EXEC / DISCARD / WATCH / UNWATCH.
// Queueing itself happens in Server.processCommand (commands are checked, then queued);
// EXEC replays the queue through Server.call so stats and notifications stay right.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import { CLIENT_ID_AOF, type Client } from "../net/client.ts";
import { CMD_CALL_FULL, CMD_CALL_NONE } from "../server.ts";
import { bytesToKey } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import * as errors from "../errors.ts";

/** discardTransaction: the MULTI state, the dirty flag and every watch go. */
function endTransaction(client: Client): void {
  client.inMulti = false;
  client.multiQueue = [];
  client.multiAborted = false;
  client.dirtyCas = false;
  client.server.watches.unwatchAllKeys(client);
}

function multi(client: Client): void {
  if (client.inMulti) {
    replyError(client, "ERR MULTI calls can not be nested");
    return;
  }
  client.inMulti = true;
  client.multiQueue = [];
  client.multiAborted = false;
  client.reply.ok();
}

function exec(client: Client): void {
  const server = client.server;
  if (!client.inMulti) {
    replyError(client, "ERR EXEC without MULTI");
    return;
  }
  if (client.multiAborted) {
    endTransaction(client);
    replyError(client, errors.EXECABORT);
    return;
  }
  // A watched key that expired since WATCH counts as modified (isWatchedKeyExpired); it
  // is not deleted here: EXEC itself must have no effect.
  if (client.dirtyCas || server.watches.isWatchedKeyExpired(client, server.dbs)) {
    endTransaction(client);
    client.reply.nullArray();
    return;
  }
  const queue = client.multiQueue;
  // Keys touched by the transaction itself must not fail a later WATCH-less EXEC.
  endTransaction(client);
  client.reply.arrayHeader(queue.length);
  // The queued commands run as one execution unit: their effects are propagated as one
  // MULTI/EXEC by the outer call() (EXEC itself is never propagated), and they cannot block.
  const outerDeny = client.denyBlocking;
  client.denyBlocking = true;
  server.inExec = true;
  // The AOF loader's transactions are not accounted as commands users ran.
  const callFlags = client.id === CLIENT_ID_AOF ? CMD_CALL_NONE : CMD_CALL_FULL;
  try {
    for (const { command, argv } of queue) server.call(client, command, argv, callFlags);
  } finally {
    client.denyBlocking = outerDeny;
    server.inExec = false;
  }
}

function discard(client: Client): void {
  if (!client.inMulti) {
    replyError(client, "ERR DISCARD without MULTI");
    return;
  }
  endTransaction(client);
  client.reply.ok();
}

function watch(client: Client, argv: Uint8Array[]): void {
  if (client.inMulti) {
    replyError(client, "ERR WATCH inside MULTI is not allowed");
    return;
  }
  // No point in watching more once a watched key changed.
  if (!client.dirtyCas) {
    for (let i = 1; i < argv.length; i++) client.server.watches.watch(client, client.db, bytesToKey(argv[i]!));
  }
  client.reply.ok();
}

function unwatch(client: Client): void {
  client.server.watches.unwatchAllKeys(client);
  client.dirtyCas = false;
  client.reply.ok();
}

const T = { categories: ["transaction"], group: "transactions" };

export const transactionCommands: CommandSpec[] = [
  keyless({ name: "multi", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], ...T, since: "1.2.0", summary: "Mark the start of a transaction block", complexity: "O(1)", handler: multi }),
  keyless({ name: "exec", arity: 1, flags: ["noscript", "loading", "stale", "skip_slowlog"], ...T, since: "1.2.0", summary: "Execute all commands issued after MULTI", complexity: "Depends on commands in the transaction", handler: exec }),
  keyless({ name: "discard", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], ...T, since: "2.0.0", summary: "Discard all commands issued after MULTI", complexity: "O(N), when N is the number of queued commands", handler: discard }),
  { name: "watch", arity: -2, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], firstKey: 1, lastKey: -1, keyStep: 1, ...T, since: "2.2.0", summary: "Watch the given keys to determine execution of the MULTI/EXEC block", complexity: "O(1) for every key.", handler: watch },
  keyless({ name: "unwatch", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], ...T, since: "2.2.0", summary: "Forget about all watched keys", complexity: "O(1)", handler: unwatch }),
];
