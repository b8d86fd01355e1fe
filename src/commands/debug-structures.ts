// DEBUG subcommands that show how values are laid out: HTSTATS, HTSTATS-KEY, LISTPACK,
// and QUICKLIST-PACKED-THRESHOLD, which moves where a list element gets a plain node.
// Texts and errors are debug.c's; the numbers describe Bunker's structures (htstats.ts
// says how a chain is read in an open-addressing table).

import type { Client } from "../net/client.ts";
import { bytesToKey, parseInteger } from "../db/bytes.ts";
import { replyError } from "./context.ts";
import * as errors from "../errors.ts";
import { dictStatsText } from "../db/htstats.ts";
import { RedisHash } from "../db/hash.ts";
import { RedisSet } from "../db/set.ts";
import { RedisZSet } from "../db/zset.ts";
import { quicklistSetPackedThreshold } from "../db/list.ts";
import { backlenSize, lpBytes, lpFirst, lpGetBytes, lpLength, lpNext } from "../db/listpack.ts";
import { memtoull } from "../config.ts";

/** DEBUG HTSTATS <dbid>: the key table's index, then its keys with a TTL ([Expires HT]). */
export function debugHtstats(client: Client, argv: Uint8Array[]): void {
  const dbid = parseInteger(argv[2]!);
  if (dbid === null) {
    replyError(client, errors.NOT_INTEGER);
    return;
  }
  const dbs = client.server.dbs;
  if (dbid < 0 || dbid >= dbs.length) {
    replyError(client, "ERR Out of range database");
    return;
  }
  const table = dbs[Number(dbid)]!.table;
  client.reply.verbatim("[Dictionary HT]\n" + dictStatsText(table.indexShapes(false)) + "[Expires HT]\n" + dictStatsText(table.indexShapes(true)));
}

/** DEBUG HTSTATS-KEY <key>: the hash table of a hashtable-encoded hash or set, or a skiplist zset. */
export function debugHtstatsKey(client: Client, argv: Uint8Array[]): void {
  const value = client.db.peek(bytesToKey(argv[2]!));
  if (value === undefined) {
    replyError(client, errors.NO_SUCH_KEY);
    return;
  }
  const dict = value instanceof RedisHash || value instanceof RedisSet || value instanceof RedisZSet ? value.statsDict() : null;
  if (dict === null) {
    replyError(client, "ERR The value stored at the specified key is not represented using an hash table");
    return;
  }
  client.reply.verbatim(dictStatsText([dict.indexShape()]));
}

/** lpCurrentEncodedSizeBytes and lpCurrentEncodedSizeUnsafe of the entry starting with `encoding`. */
function entryEncoding(lp: Uint8Array, p: number): { headerBytes: number; encodedSize: number } {
  const encoding = lp[p]!;
  if (encoding < 0x80) return { headerBytes: 1, encodedSize: 1 };
  if (encoding < 0xc0) return { headerBytes: 1, encodedSize: 1 + (encoding & 0x3f) };
  if (encoding < 0xe0) return { headerBytes: 1, encodedSize: 2 };
  if (encoding < 0xf0) return { headerBytes: 2, encodedSize: 2 + (((encoding & 0x0f) << 8) | lp[p + 1]!) };
  if (encoding === 0xf0) return { headerBytes: 5, encodedSize: 5 + (lp[p + 1]! | (lp[p + 2]! << 8) | (lp[p + 3]! << 16) | (lp[p + 4]! << 24)) };
  const intBytes: Record<number, number> = { 0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8 };
  return { headerBytes: 1, encodedSize: 1 + (intBytes[encoding] ?? 0) };
}

const pad = (value: number, width: number) => String(value).padStart(width, " ");

/**
 * lpRepr's text. Redis prints each entry's address in memory; Bunker has none to show,
 * so `addr` is the entry's offset in the listpack, in the same format.
 */
export function listpackRepr(lp: Uint8Array): string {
  let text = `{total bytes ${lpBytes(lp)}} {num entries ${lpLength(lp)}}\n`;
  let index = 0;
  for (let p = lpFirst(lp); p >= 0; p = lpNext(lp, p), index++) {
    const { headerBytes, encodedSize } = entryEncoding(lp, p);
    const backlen = backlenSize(encodedSize);
    text +=
      "{\n" +
      `\taddr: 0x${p.toString(16).padStart(8, "0")},\n` +
      `\tindex: ${pad(index, 2)},\n` +
      `\toffset: ${p},\n` +
      `\thdr+entrylen+backlen: ${pad(encodedSize + backlen, 2)},\n` +
      `\thdrlen: ${pad(headerBytes, 3)},\n` +
      `\tbacklen: ${pad(backlen, 2)},\n` +
      `\tpayload: ${encodedSize - headerBytes}\n`;
    text += "\tbytes: ";
    for (let i = 0; i < encodedSize + backlen; i++) text += lp[p + i]!.toString(16).padStart(2, "0") + "|";
    text += "\n";
    const value = lpGetBytes(lp, p);
    text += "\t[str]" + (value.length > 40 ? Buffer.from(value.subarray(0, 40)).toString("latin1") + "..." : Buffer.from(value).toString("latin1"));
    text += "\n}\n";
  }
  return text + "{end}\n\n";
}

/** DEBUG LISTPACK <key>: lpRepr of a listpack-encoded hash or sorted set, on standard output as Redis prints it. */
export function debugListpack(client: Client, argv: Uint8Array[]): void {
  const value = client.db.peek(bytesToKey(argv[2]!));
  if (value === undefined) {
    replyError(client, errors.NO_SUCH_KEY);
    return;
  }
  let lp: Uint8Array | null = null;
  if (value instanceof RedisHash) lp = value.listpackBytes();
  else if (value instanceof RedisZSet && value.encoding === "listpack") lp = value.listpackBytes();
  if (lp === null) {
    replyError(client, "ERR Not a listpack encoded object.");
    return;
  }
  process.stdout.write(Buffer.from(listpackRepr(lp), "latin1"));
  client.reply.simple("Listpack structure printed on stdout");
}

/** DEBUG QUICKLIST-PACKED-THRESHOLD <size>: a memory value (memtoull), at most 4 GB less 1 MB; 0 restores 1 GB. */
export function debugQuicklistPackedThreshold(client: Client, argv: Uint8Array[]): void {
  const size = memtoull(bytesToKey(argv[2]!));
  if (size === null || !quicklistSetPackedThreshold(Number(size > 2n ** 33n ? 2n ** 33n : size))) {
    replyError(client, "ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    return;
  }
  client.reply.ok();
}
