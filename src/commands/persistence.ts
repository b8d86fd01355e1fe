// Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, FLUSHALL (which may save), SHUTDOWN.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { argIs, argLower } from "../db/bytes.ts";
import { datasetChanged, forcePropagation, replyError } from "./context.ts";
import * as errors from "../errors.ts";

function save(client: Client): void {
  const persistence = client.server.persistence;
  if (persistence.childSlot.hasActiveRdbChild()) {
    replyError(client, errors.BGSAVE_IN_PROGRESS);
    return;
  }
  if (persistence.saveCommand()) client.reply.ok();
  else replyError(client, "ERR");
}

/** BGSAVE [SCHEDULE] */
function bgsave(client: Client, argv: Uint8Array[]): void {
  const schedule = argv.length === 2 && argIs(argv[1]!, "schedule");
  if (argv.length > 2 || (argv.length === 2 && !schedule)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const persistence = client.server.persistence;
  if (persistence.childSlot.hasActiveRdbChild()) {
    replyError(client, errors.BGSAVE_IN_PROGRESS);
    return;
  }
  if (persistence.childSlot.hasActiveChildProcess() || client.server.inExec) {
    // Inside EXEC, or with SCHEDULE while another kind of child runs, the save is
    // deferred to the cron, as Redis does.
    if (!schedule && !client.server.inExec) {
      replyError(client, errors.BGSAVE_OTHER_CHILD);
      return;
    }
    persistence.bgsaveScheduled = true;
    client.reply.simple("Background saving scheduled");
    return;
  }
  if (persistence.rdbSaveBackground()) client.reply.simple("Background saving started");
  else replyError(client, "ERR");
}

/** BGREWRITEAOF: a new AOF BASE from a snapshot, now or once the running child is done. */
function bgrewriteaof(client: Client): void {
  const outcome = client.server.persistence.aof.bgrewriteaof();
  if ("status" in outcome) client.reply.simple(outcome.status);
  else replyError(client, outcome.error);
}

function lastsave(client: Client): void {
  client.reply.integer(client.server.persistence.lastSave);
}

/** FLUSHALL [ASYNC|SYNC]: stops a running writer, empties every database, and saves when save points exist. */
function flushall(client: Client, argv: Uint8Array[]): void {
  if (argv.length > 2 || (argv.length === 2 && !argIs(argv[1]!, "async") && !argIs(argv[1]!, "sync"))) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const server = client.server;
  const persistence = server.persistence;
  persistence.killRDBChild();
  datasetChanged(client, server.emptyData(-1));
  if (server.config.savePoints().length > 0) persistence.saveInternal();
  // Propagated even when every database was already empty, as Redis does.
  forcePropagation(client);
  client.reply.ok();
}

function shutdown(client: Client, argv: Uint8Array[]): void {
  const flags = { nosave: false, save: false, now: false, force: false, abort: false };
  for (let i = 1; i < argv.length; i++) {
    const word = argLower(argv[i]!);
    if (word === "nosave") flags.nosave = true;
    else if (word === "save") flags.save = true;
    else if (word === "now") flags.now = true;
    else if (word === "force") flags.force = true;
    else if (word === "abort") flags.abort = true;
    else {
      replyError(client, errors.SYNTAX_ERROR);
      return;
    }
  }
  if ((flags.nosave && flags.save) || (flags.abort && argv.length > 2)) {
    replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  const persistence = client.server.persistence;
  if (flags.abort) {
    if (persistence.abortShutdown()) client.reply.ok();
    else replyError(client, "ERR No shutdown in progress.");
    return;
  }
  if (!flags.now && client.denyBlocking) {
    replyError(client, "ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
    return;
  }
  // A busy script (past busy-reply-threshold) lets the server stop only without saving.
  const runner = client.server.scripting.runner;
  if (!flags.nosave && runner.timedOut) {
    replyError(client, runner.busyError());
    return;
  }
  // BLOCKED_SHUTDOWN: the client hears back only if the shutdown fails or is aborted.
  client.server.blocking.blockForShutdown(client, client.currentCommand!);
  if (persistence.prepareForShutdown(flags)) client.server.onExit(0);
}

const P = { categories: [] as string[], group: "server" };

export const persistenceCommands: CommandSpec[] = [
  keyless({ name: "save", arity: 1, flags: ["admin", "noscript", "no_async_loading", "no_multi"], ...P, since: "1.0.0", summary: "Synchronously save the dataset to disk", complexity: "O(N) where N is the total number of keys in all databases", handler: save }),
  keyless({ name: "bgrewriteaof", arity: 1, flags: ["admin", "noscript", "no_async_loading"], ...P, since: "1.0.0", summary: "Asynchronously rewrite the append-only file", complexity: "O(1)", handler: bgrewriteaof }),
  keyless({ name: "bgsave", arity: -1, flags: ["admin", "noscript", "no_async_loading"], ...P, since: "1.0.0", summary: "Asynchronously save the dataset to disk", complexity: "O(1)", handler: bgsave }),
  keyless({ name: "lastsave", arity: 1, flags: ["loading", "stale", "fast"], ...P, categories: ["admin", "dangerous"], since: "1.0.0", summary: "Get the UNIX time stamp of the last successful save to disk", complexity: "O(1)", tips: ["nondeterministic_output"], handler: lastsave }),
  keyless({ name: "flushall", arity: -1, flags: ["write"], ...P, categories: ["keyspace", "dangerous"], since: "1.0.0", summary: "Remove all keys from all databases", complexity: "O(N) where N is the total number of keys in all databases", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: flushall }),
  keyless({ name: "shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"], ...P, since: "1.0.0", summary: "Synchronously save the dataset to disk and then shut down the server", complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", handler: shutdown }),
];
