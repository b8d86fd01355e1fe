// Pub/Sub commands (Redis's pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
// PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB's
// introspection subcommands. The registry and message delivery are in ../pubsub.ts;
// keyspace notifications go through the same registry.
//
// Every (un)subscription is confirmed with its own [kind, channel, count] reply: a
// push in RESP3, an array in RESP2. The count is the client's channels + patterns
// for the classic commands and its shard channels for the S* ones, as in Redis 7.0.
// A client with subscriptions is in the RESP2 "subscribed context" (see
// Client.inPubSubContext and Server.processCommand).

import type { CommandSpec } from "./table.ts";
import { keyless } from "./table.ts";
import type { Client } from "../net/client.ts";
import { bytesToKey, keyToBytes } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import { replyHelp } from "./keys.ts";
import { globMatch } from "../util/glob.ts";

type ConfirmationKind = "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe" | "sunsubscribe";

/** One subscription confirmation; `name` null is the "subscribed to nothing" form. */
function confirm(client: Client, kind: ConfirmationKind, name: string | null, count: number): void {
  const reply = client.reply;
  const wasEnabled = reply.startPushing();
  reply.pushHeader(3);
  reply.bulkText(kind);
  if (name === null) reply.nullBulk();
  else reply.bulkText(name);
  reply.integer(count);
  reply.stopPushing(wasEnabled);
}

function shardCount(client: Client): number {
  return client.shardChannels.size;
}

function subscribe(client: Client, argv: Uint8Array[]): void {
  const pubsub = client.server.pubsub;
  for (let i = 1; i < argv.length; i++) {
    const channel = bytesToKey(argv[i]!);
    pubsub.subscribe(client, channel);
    confirm(client, "subscribe", channel, client.subscriptionCount);
  }
}

function ssubscribe(client: Client, argv: Uint8Array[]): void {
  const pubsub = client.server.pubsub;
  for (let i = 1; i < argv.length; i++) {
    const channel = bytesToKey(argv[i]!);
    pubsub.subscribe(client, channel, true);
    confirm(client, "ssubscribe", channel, shardCount(client));
  }
}

function psubscribe(client: Client, argv: Uint8Array[]): void {
  const pubsub = client.server.pubsub;
  for (let i = 1; i < argv.length; i++) {
    const pattern = bytesToKey(argv[i]!);
    pubsub.psubscribe(client, pattern);
    confirm(client, "psubscribe", pattern, client.subscriptionCount);
  }
}

/**
 * UNSUBSCRIBE / SUNSUBSCRIBE: the named channels, or every channel the client has
 * (then, with none, a single confirmation with a null channel).
 */
function unsubscribeChannels(client: Client, argv: Uint8Array[], shard: boolean): void {
  const pubsub = client.server.pubsub;
  const kind: ConfirmationKind = shard ? "sunsubscribe" : "unsubscribe";
  const count = (): number => (shard ? shardCount(client) : client.subscriptionCount);
  if (argv.length > 1) {
    for (let i = 1; i < argv.length; i++) {
      const channel = bytesToKey(argv[i]!);
      pubsub.unsubscribe(client, channel, shard);
      confirm(client, kind, channel, count());
    }
    return;
  }
  const channels = [...(shard ? client.shardChannels : client.channels)];
  for (const channel of channels) {
    pubsub.unsubscribe(client, channel, shard);
    confirm(client, kind, channel, count());
  }
  if (channels.length === 0) confirm(client, kind, null, count());
}

function unsubscribe(client: Client, argv: Uint8Array[]): void {
  unsubscribeChannels(client, argv, false);
}

function sunsubscribe(client: Client, argv: Uint8Array[]): void {
  unsubscribeChannels(client, argv, true);
}

function punsubscribe(client: Client, argv: Uint8Array[]): void {
  const pubsub = client.server.pubsub;
  if (argv.length > 1) {
    for (let i = 1; i < argv.length; i++) {
      const pattern = bytesToKey(argv[i]!);
      pubsub.punsubscribe(client, pattern);
      confirm(client, "punsubscribe", pattern, client.subscriptionCount);
    }
    return;
  }
  const patterns = [...client.patterns];
  for (const pattern of patterns) {
    pubsub.punsubscribe(client, pattern);
    confirm(client, "punsubscribe", pattern, client.subscriptionCount);
  }
  if (patterns.length === 0) confirm(client, "punsubscribe", null, client.subscriptionCount);
}

function publish(client: Client, argv: Uint8Array[]): void {
  const receivers = client.server.pubsub.publish(argv[1]!, argv[2]!, bytesToKey(argv[1]!));
  client.reply.integer(receivers);
}

function spublish(client: Client, argv: Uint8Array[]): void {
  const receivers = client.server.pubsub.publish(argv[1]!, argv[2]!, bytesToKey(argv[1]!), true);
  client.reply.integer(receivers);
}

// ---- PUBSUB introspection ------------------------------------------------------------

/** addReplySubcommandSyntaxError: the subcommand exists but its arguments do not fit. */
function subcommandSyntaxError(client: Client, argv: Uint8Array[]): void {
  const name = bytesToKey(argv[1]!).slice(0, 128);
  replyError(client, `ERR unknown subcommand or wrong number of arguments for '${name}'. Try PUBSUB HELP.`);
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]: active channels (with at least one subscriber). */
function replyChannelList(client: Client, argv: Uint8Array[], registry: Map<string, Set<Client>>): void {
  if (argv.length > 3) {
    subcommandSyntaxError(client, argv);
    return;
  }
  const pattern = argv.length === 3 ? argv[2]! : null;
  const matching: string[] = [];
  for (const channel of registry.keys()) {
    if (pattern === null || globMatch(pattern, keyToBytes(channel))) matching.push(channel);
  }
  client.reply.arrayHeader(matching.length);
  for (const channel of matching) client.reply.bulkText(channel);
}

/** PUBSUB NUMSUB / SHARDNUMSUB: [channel, subscribers] pairs in argument order. */
function replySubscriberCounts(client: Client, argv: Uint8Array[], registry: Map<string, Set<Client>>): void {
  client.reply.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    client.reply.bulk(argv[i]!);
    client.reply.integer(registry.get(bytesToKey(argv[i]!))?.size ?? 0);
  }
}

function pubsubChannels(client: Client, argv: Uint8Array[]): void {
  replyChannelList(client, argv, client.server.pubsub.channels);
}

function pubsubShardChannels(client: Client, argv: Uint8Array[]): void {
  replyChannelList(client, argv, client.server.pubsub.shardChannels);
}

function pubsubNumsub(client: Client, argv: Uint8Array[]): void {
  replySubscriberCounts(client, argv, client.server.pubsub.channels);
}

function pubsubShardNumsub(client: Client, argv: Uint8Array[]): void {
  replySubscriberCounts(client, argv, client.server.pubsub.shardChannels);
}

function pubsubNumpat(client: Client): void {
  client.reply.integer(client.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

// ---- declarations ----------------------------------------------------------------------

const P = { categories: [] as string[], group: "pubsub" };
/** Shard channels are declared where keys would be (COMMAND INFO shows them so), as in Redis. */
const shardChannelsSpec = { firstKey: 1, lastKey: -1, keyStep: 1 };

export const pubsubCommands: CommandSpec[] = [
  keyless({ name: "subscribe", arity: -2, flags: ["pubsub", "noscript", "loading", "stale"], ...P, since: "2.0.0", summary: "Listen for messages published to the given channels", complexity: "O(N) where N is the number of channels to subscribe to.", handler: subscribe }),
  keyless({ name: "unsubscribe", arity: -1, flags: ["pubsub", "noscript", "loading", "stale"], ...P, since: "2.0.0", summary: "Stop listening for messages posted to the given channels", complexity: "O(N) where N is the number of clients already subscribed to a channel.", handler: unsubscribe }),
  keyless({ name: "psubscribe", arity: -2, flags: ["pubsub", "noscript", "loading", "stale"], ...P, since: "2.0.0", summary: "Listen for messages published to channels matching the given patterns", complexity: "O(N) where N is the number of patterns the client is already subscribed to.", handler: psubscribe }),
  keyless({ name: "punsubscribe", arity: -1, flags: ["pubsub", "noscript", "loading", "stale"], ...P, since: "2.0.0", summary: "Stop listening for messages posted to channels matching the given patterns", complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", handler: punsubscribe }),
  { name: "ssubscribe", arity: -2, flags: ["pubsub", "noscript", "loading", "stale"], ...shardChannelsSpec, ...P, since: "7.0.0", summary: "Listen for messages published to the given shard channels", complexity: "O(N) where N is the number of shard channels to subscribe to.", handler: ssubscribe },
  { name: "sunsubscribe", arity: -1, flags: ["pubsub", "noscript", "loading", "stale"], ...shardChannelsSpec, ...P, since: "7.0.0", summary: "Stop listening for messages posted to the given shard channels", complexity: "O(N) where N is the number of clients already subscribed to a shard channel.", handler: sunsubscribe },
  keyless({ name: "publish", arity: 3, flags: ["pubsub", "loading", "stale", "fast", "may_replicate"], ...P, since: "2.0.0", summary: "Post a message to a channel", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", handler: publish }),
  { name: "spublish", arity: 3, flags: ["pubsub", "loading", "stale", "fast", "may_replicate"], firstKey: 1, lastKey: 1, keyStep: 1, ...P, since: "7.0.0", summary: "Post a message to a shard channel", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.", handler: spublish },
  keyless({
    name: "pubsub", arity: -2, flags: [], ...P, since: "2.8.0", summary: "A container for Pub/Sub commands", complexity: "Depends on subcommand.",
    subcommands: [
      keyless({ name: "channels", arity: -2, flags: ["pubsub", "loading", "stale"], ...P, since: "2.8.0", summary: "List active channels", complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", handler: pubsubChannels }),
      keyless({ name: "numpat", arity: 2, flags: ["pubsub", "loading", "stale"], ...P, since: "2.8.0", summary: "Get the count of unique patterns pattern subscriptions", complexity: "O(1)", handler: pubsubNumpat }),
      keyless({ name: "numsub", arity: -2, flags: ["pubsub", "loading", "stale"], ...P, since: "2.8.0", summary: "Get the count of subscribers for channels", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels", handler: pubsubNumsub }),
      keyless({ name: "shardchannels", arity: -2, flags: ["pubsub", "loading", "stale"], ...P, since: "7.0.0", summary: "List active shard channels", complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", handler: pubsubShardChannels }),
      keyless({ name: "shardnumsub", arity: -2, flags: ["pubsub", "loading", "stale"], ...P, since: "7.0.0", summary: "Get the count of subscribers for shard channels", complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", handler: pubsubShardNumsub }),
      keyless({ name: "help", arity: 2, flags: ["loading", "stale"], ...P, since: "6.2.0", summary: "Show helpful text about the different subcommands", complexity: "O(1)", handler: (c) => replyHelp(c, PUBSUB_HELP) }),
    ],
  }),
];
