// Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO.

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { bytesToKey, copyBytes, parseInteger } from "../db/bytes.ts";
import * as errors from "../errors.ts";
import { REDIS_VERSION } from "../version.ts";

function ping(client: Client, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    client.server.replyError(client, errors.wrongArgs("ping"));
    return;
  }
  if (client.inPubSubContext) {
    // RESP2 subscribers get PING as a two-element array.
    client.reply.arrayHeader(2);
    client.reply.bulkText("pong");
    client.reply.bulk(argv.length === 2 ? argv[1]! : new Uint8Array(0));
    return;
  }
  if (argv.length === 2) client.reply.bulk(argv[1]!);
  else client.reply.simple("PONG");
}

function echo(client: Client, argv: Uint8Array[]): void {
  client.reply.bulk(argv[1]!);
}

function quit(client: Client): void {
  client.reply.ok();
  client.closeAfterReply = true;
}

/** Redis's RESET: back to a fresh connection's state (keeps the connection itself). */
function reset(client: Client): void {
  const server = client.server;
  if (client.inMulti) {
    client.inMulti = false;
    client.multiQueue = [];
    client.multiAborted = false;
  }
  server.watches.unwatchAllKeys(client);
  client.dirtyCas = false;
  server.pubsub.removeClient(client);
  server.monitors.delete(client);
  client.monitor = false;
  server.tracking.disableTracking(client);
  client.dbIndex = 0;
  client.reply.resp = 2;
  client.name = null;
  client.replyMode = "on";
  client.reply.enabled = true;
  client.noEvict = false;
  client.authenticated = !server.authRequired();
  client.reply.simple("RESET");
}

function select(client: Client, argv: Uint8Array[]): void {
  const index = parseInteger(argv[1]!);
  if (index === null || typeof index === "bigint") {
    client.server.replyError(client, errors.NOT_INTEGER);
    return;
  }
  if (index < 0 || index >= client.server.dbs.length) {
    client.server.replyError(client, errors.INVALID_DB);
    return;
  }
  client.dbIndex = index;
  client.reply.ok();
}

const AUTH_FAILED = "WRONGPASS invalid username-password pair or user is disabled.";

/** AUTH [username] password, with only the default user (no ACL users in Bunker). */
function auth(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  if (argv.length > 3) {
    server.replyError(client, errors.SYNTAX_ERROR);
    return;
  }
  if (argv.length === 2 && !server.authRequired()) {
    server.replyError(
      client,
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    return;
  }
  if (!checkCredentials(client, argv.length === 3 ? argv[1]! : null, argv[argv.length - 1]!)) {
    server.replyError(client, AUTH_FAILED);
    return;
  }
  client.authenticated = true;
  client.reply.ok();
}

function checkCredentials(client: Client, username: Uint8Array | null, password: Uint8Array): boolean {
  const server = client.server;
  if (username !== null && bytesToKey(username) !== "default") return false;
  if (!server.authRequired()) return true; // the default user has nopass
  return server.checkPassword(password);
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
function hello(client: Client, argv: Uint8Array[]): void {
  const server = client.server;
  let protocol = client.reply.resp;
  let i = 1;
  if (argv.length >= 2) {
    const version = parseInteger(argv[1]!);
    if (version === null) {
      server.replyError(client, "ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version !== 2 && version !== 3) {
      server.replyError(client, "NOPROTO unsupported protocol version");
      return;
    }
    protocol = version;
    i = 2;
  }
  let newName: Uint8Array | null = null;
  let authUser: Uint8Array | null = null;
  let authPass: Uint8Array | null = null;
  for (; i < argv.length; i++) {
    const option = bytesToKey(argv[i]!).toLowerCase();
    const remaining = argv.length - i - 1;
    if (option === "auth" && remaining >= 2) {
      authUser = argv[i + 1]!;
      authPass = argv[i + 2]!;
      i += 2;
    } else if (option === "setname" && remaining >= 1) {
      newName = argv[i + 1]!;
      i += 1;
    } else {
      server.replyError(client, `ERR Syntax error in HELLO option '${bytesToKey(argv[i]!)}'`);
      return;
    }
  }
  if (authUser !== null && authPass !== null) {
    if (!checkCredentials(client, authUser, authPass)) {
      server.replyError(client, AUTH_FAILED);
      return;
    }
    client.authenticated = true;
  }
  if (!client.authenticated) {
    server.replyError(client, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    return;
  }
  if (newName !== null) {
    const problem = validateClientName(newName);
    if (problem !== null) {
      server.replyError(client, problem);
      return;
    }
    client.name = newName.length === 0 ? null : copyBytes(newName);
  }
  client.reply.resp = protocol;
  const reply = client.reply;
  reply.mapHeader(7);
  reply.bulkText("server");
  reply.bulkText("redis");
  reply.bulkText("version");
  reply.bulkText(REDIS_VERSION);
  reply.bulkText("proto");
  reply.integer(protocol);
  reply.bulkText("id");
  reply.integer(client.id);
  reply.bulkText("mode");
  reply.bulkText("standalone");
  reply.bulkText("role");
  reply.bulkText("master");
  reply.bulkText("modules");
  reply.emptyArray();
}

/** CLIENT SETNAME / HELLO SETNAME: no spaces, newlines or other special characters. */
export function validateClientName(name: Uint8Array): string | null {
  for (const c of name) {
    if (c < 33 || c > 126) return "ERR Client names cannot contain spaces, newlines or special characters.";
  }
  return null;
}

export const connectionCommands: CommandSpec[] = [
  keyless({ name: "ping", arity: -1, flags: ["fast"], categories: ["connection"], group: "connection", since: "1.0.0", summary: "Ping the server", complexity: "O(1)", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], handler: ping }),
  keyless({ name: "echo", arity: 2, flags: ["loading", "stale", "fast"], categories: ["connection"], group: "connection", since: "1.0.0", summary: "Echo the given string", complexity: "O(1)", handler: echo }),
  keyless({ name: "quit", arity: -1, flags: ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"], categories: ["connection"], group: "connection", since: "1.0.0", summary: "Close the connection", complexity: "O(1)", handler: quit }),
  keyless({ name: "reset", arity: 1, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], categories: ["connection"], group: "connection", since: "6.2.0", summary: "Reset the connection", complexity: "O(1)", handler: reset }),
  keyless({ name: "select", arity: 2, flags: ["loading", "stale", "fast"], categories: ["connection"], group: "connection", since: "1.0.0", summary: "Change the selected database for the current connection", complexity: "O(1)", handler: select }),
  keyless({ name: "auth", arity: -2, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], categories: ["connection"], group: "connection", since: "1.0.0", summary: "Authenticate to the server", complexity: "O(N) where N is the number of passwords defined for the user", handler: auth }),
  keyless({ name: "hello", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], categories: ["connection"], group: "connection", since: "6.0.0", summary: "Handshake with Redis", complexity: "O(1)", handler: hello }),
];
