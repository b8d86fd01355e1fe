// Keyspace notifications (notify-keyspace-events): class flags, their letters, and
// delivery as __keyspace@<db>__:<key> -> <event> and __keyevent@<db>__:<event> -> <key>.

import type { PubSub } from "./pubsub.ts";
import { keyToBytes, textToBytes } from "./db/bytes.ts";

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
export const NOTIFY_LOADED = 1 << 12; // module only
export const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n
/** For keyChanged: a change that emits no keyspace event (PFCOUNT's cached cardinality). */
export const NO_EVENT = 0;
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

/** notify-keyspace-events letters -> class flags (keyspaceEventsStringToFlags's switch). */
const NOTIFY_LETTERS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** keyspaceEventsStringToFlags: null when a letter names no class. */
export function keyspaceEventsStringToFlags(classes: string): number | null {
  let flags = 0;
  for (const letter of classes) {
    const bit = NOTIFY_LETTERS[letter];
    if (bit === undefined) return null;
    flags |= bit;
  }
  return flags;
}

/** Class letters in keyspaceEventsFlagsToString's order, for flags other than K, E and m. */
const CLASS_LETTERS: ReadonlyArray<readonly [string, number]> = [
  ["g", NOTIFY_GENERIC],
  ["$", NOTIFY_STRING],
  ["l", NOTIFY_LIST],
  ["s", NOTIFY_SET],
  ["h", NOTIFY_HASH],
  ["z", NOTIFY_ZSET],
  ["x", NOTIFY_EXPIRED],
  ["e", NOTIFY_EVICTED],
  ["t", NOTIFY_STREAM],
  ["d", NOTIFY_MODULE],
  ["n", NOTIFY_NEW],
];

/**
 * keyspaceEventsFlagsToString. Note Redis prints "n" only when not all of "A" is set,
 * so "An" reads back as "A" (the flag itself stays set).
 */
export function keyspaceEventsFlagsToString(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    out += "A";
  } else {
    for (const [letter, bit] of CLASS_LETTERS) if (flags & bit) out += letter;
  }
  if (flags & NOTIFY_KEYSPACE) out += "K";
  if (flags & NOTIFY_KEYEVENT) out += "E";
  if (flags & NOTIFY_KEY_MISS) out += "m";
  return out;
}

export class Notifier {
  flags = 0;
  constructor(private readonly pubsub: PubSub) {}

  /** notifyKeyspaceEvent: `type` is the event's class flag, `key` a binary string. */
  notify(type: number, event: string, key: string, db: number): void {
    const flags = this.flags;
    if ((flags & type) === 0) return;
    if (flags & NOTIFY_KEYSPACE) {
      const channel = `__keyspace@${db}__:${key}`;
      this.pubsub.publish(keyToBytes(channel), textToBytes(event), channel);
    }
    if (flags & NOTIFY_KEYEVENT) {
      const channel = `__keyevent@${db}__:${event}`;
      this.pubsub.publish(keyToBytes(channel), keyToBytes(key), channel);
    }
  }
}
