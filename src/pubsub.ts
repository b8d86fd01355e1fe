// The Pub/Sub registry: who listens to which channel or pattern, and message delivery.
// Keyspace notifications and PUBLISH both deliver through publish().

import type { Client } from "./net/client.ts";
import { globMatch } from "./util/glob.ts";
import { keyToBytes } from "./db/bytes.ts";

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  private patternBytes = new Map<string, Uint8Array>();

  subscribe(client: Client, channel: string, shard = false): boolean {
    const own = shard ? client.shardChannels : client.channels;
    if (own.has(channel)) return false;
    own.add(channel);
    const registry = shard ? this.shardChannels : this.channels;
    let set = registry.get(channel);
    if (set === undefined) registry.set(channel, (set = new Set()));
    set.add(client);
    return true;
  }

  unsubscribe(client: Client, channel: string, shard = false): boolean {
    const own = shard ? client.shardChannels : client.channels;
    if (!own.delete(channel)) return false;
    const registry = shard ? this.shardChannels : this.channels;
    const set = registry.get(channel);
    if (set !== undefined) {
      set.delete(client);
      if (set.size === 0) registry.delete(channel);
    }
    return true;
  }

  psubscribe(client: Client, pattern: string): boolean {
    if (client.patterns.has(pattern)) return false;
    client.patterns.add(pattern);
    let set = this.patterns.get(pattern);
    if (set === undefined) {
      this.patterns.set(pattern, (set = new Set()));
      this.patternBytes.set(pattern, keyToBytes(pattern));
    }
    set.add(client);
    return true;
  }

  punsubscribe(client: Client, pattern: string): boolean {
    if (!client.patterns.delete(pattern)) return false;
    const set = this.patterns.get(pattern);
    if (set !== undefined) {
      set.delete(client);
      if (set.size === 0) {
        this.patterns.delete(pattern);
        this.patternBytes.delete(pattern);
      }
    }
    return true;
  }

  /** Drops every subscription of a disconnecting (or RESET) client. */
  removeClient(client: Client): void {
    for (const channel of [...client.channels]) this.unsubscribe(client, channel);
    for (const channel of [...client.shardChannels]) this.unsubscribe(client, channel, true);
    for (const pattern of [...client.patterns]) this.punsubscribe(client, pattern);
  }

  /** Delivers a message; returns the number of receivers (PUBLISH's reply). */
  publish(channel: Uint8Array, message: Uint8Array, channelKey: string, shard = false): number {
    let receivers = 0;
    const subscribers = (shard ? this.shardChannels : this.channels).get(channelKey);
    if (subscribers !== undefined) {
      for (const client of subscribers) {
        const reply = client.reply;
        const wasEnabled = reply.startPushing();
        reply.pushHeader(3);
        reply.bulkText(shard ? "smessage" : "message");
        reply.bulk(channel);
        reply.bulk(message);
        reply.stopPushing(wasEnabled);
        client.server.scheduleFlush(client);
        receivers++;
      }
    }
    if (!shard && this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(this.patternBytes.get(pattern)!, channel)) continue;
        for (const client of clients) {
          const reply = client.reply;
          const wasEnabled = reply.startPushing();
          reply.pushHeader(4);
          reply.bulkText("pmessage");
          reply.bulkText(pattern);
          reply.bulk(channel);
          reply.bulk(message);
          reply.stopPushing(wasEnabled);
          client.server.scheduleFlush(client);
          receivers++;
        }
      }
    }
    return receivers;
  }
}
