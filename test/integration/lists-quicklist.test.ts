// Quicklist node layout against the real Redis 7.0: random list commands run on both
// servers with small list-max-listpack-size values and several list-compress-depth
// settings, and the replies and the DUMP payloads must be byte-identical. A DUMP of a
// list is its quicklist node by node (each node's listpack; a compressed node's LZF
// blob; rdbcompression is off so that only the nodes' own compression shows), so equal
// payloads mean the nodes split, merged and compressed as Redis's did.

import { describe, expect, test } from "bun:test";
import { compareScript, haveRedis, usePair, type CommandArgs } from "../helpers/differential.ts";
import { seededRandom } from "../helpers/random.ts";

const pair = usePair();

function element(random: () => number): string {
  const kind = random();
  if (kind < 0.3) return String(Math.floor(random() * 2000) - 1000);
  if (kind < 0.6) return ["a", "b", "c", "pivot"][Math.floor(random() * 4)]!;
  if (kind < 0.9) return `value-${Math.floor(random() * 50)}-`.padEnd(20 + Math.floor(random() * 40), "x");
  // Long and compressible: nodes past the compress depth shrink under LZF.
  return "y".repeat(100 + Math.floor(random() * 300));
}

function randomCommand(random: () => number, key: string): CommandArgs {
  const pick = random();
  if (pick < 0.25) {
    const values = Array.from({ length: 1 + Math.floor(random() * 4) }, () => element(random));
    return [random() < 0.5 ? "LPUSH" : "RPUSH", key, ...values];
  }
  if (pick < 0.35) return [random() < 0.5 ? "LPOP" : "RPOP", key, String(1 + Math.floor(random() * 3))];
  if (pick < 0.5) return ["LINSERT", key, random() < 0.5 ? "BEFORE" : "AFTER", element(random), element(random)];
  if (pick < 0.6) return ["LSET", key, String(Math.floor(random() * 40) - 20), element(random)];
  if (pick < 0.68) return ["LREM", key, String(Math.floor(random() * 5) - 2), element(random)];
  if (pick < 0.72) return ["LTRIM", key, String(Math.floor(random() * 4)), String(-1 - Math.floor(random() * 4))];
  if (pick < 0.8) return ["LRANGE", key, String(Math.floor(random() * 10) - 5), String(Math.floor(random() * 60) - 10)];
  if (pick < 0.85) return ["LINDEX", key, String(Math.floor(random() * 60) - 30)];
  if (pick < 0.9) return ["LPOS", key, element(random), "RANK", String(random() < 0.5 ? 1 : -1), "COUNT", "0"];
  if (pick < 0.95) return ["LMOVE", key, key, random() < 0.5 ? "LEFT" : "RIGHT", random() < 0.5 ? "LEFT" : "RIGHT"];
  return ["LLEN", key];
}

describe.skipIf(!haveRedis)("quicklist nodes match Redis 7.0 (DUMP payloads)", () => {
  const settings: Array<[number, number]> = [
    [3, 0],
    [5, 1],
    [4, 2],
    [1, 1],
    [-1, 1],
    [-2, 0],
    [-1, 3],
  ];
  for (const [fill, depth] of settings) {
    test(`list-max-listpack-size ${fill}, list-compress-depth ${depth}`, async () => {
      const { b, r } = pair();
      for (const client of [b, r]) {
        await client.call("CONFIG", "SET", "list-max-listpack-size", String(fill), "list-compress-depth", String(depth), "rdbcompression", "no");
        await client.call("DEL", "ql", "copy");
      }
      const random = seededRandom(1000 + fill * 10 + depth);
      const script: CommandArgs[] = [];
      for (let step = 0; step < 1500; step++) {
        // Reads matter too: Redis's iterator compresses a raw node it leaves deeper than the depth.
        script.push(randomCommand(random, "ql"));
        script.push(["DUMP", "ql"]);
        if (step % 25 === 24) script.push(["LRANGE", "ql", "0", "-1"]);
        if (step % 300 === 299) {
          // COPY duplicates the nodes (compressed ones stay compressed).
          script.push(["COPY", "ql", "copy", "REPLACE"]);
          script.push(["DUMP", "copy"]);
        }
      }
      // An RDB save and load keeps every node as it was saved (rdbLoadObject appends them).
      script.push(["DEBUG", "RELOAD"]);
      script.push(["DUMP", "ql"]);
      const mismatches = await compareScript(pair(), script);
      expect(mismatches.slice(0, 5)).toEqual([]);
      // The script must have built a list of many nodes, or it compared little.
      expect(Number(await r.call("LLEN", "ql"))).toBeGreaterThan(100);
      // DEBUG OBJECT's serialized length and quicklist fields (ql_nodes ... ql_uncompressed_size).
      const fields = (reply: unknown) => String(reply).replace(/^.*(serializedlength:\d+).* lru_seconds_idle:\d+/, "$1");
      expect(fields(await b.call("DEBUG", "OBJECT", "ql"))).toBe(fields(await r.call("DEBUG", "OBJECT", "ql")));
    }, 60_000);
  }

  test("a list loaded by RESTORE keeps the dumped nodes and takes the server's settings for growth", async () => {
    const { b, r } = pair();
    for (const client of [b, r]) {
      await client.call("CONFIG", "SET", "list-max-listpack-size", "3", "list-compress-depth", "1", "rdbcompression", "no");
      await client.call("DEL", "src", "dst");
    }
    const script: CommandArgs[] = [["RPUSH", "src", ...Array.from({ length: 40 }, (_, i) => `element-${i}-`.padEnd(60, "z"))]];
    await compareScript(pair(), script);
    // The payload as Redis made it: the bulk's bytes after "$<length>\r\n".
    const raw = await r.callRaw("DUMP", "src");
    const payload = Buffer.from(raw.slice(raw.indexOf("\r\n") + 2, raw.length - 2), "latin1");
    const mismatches = await compareScript(pair(), [
      ["CONFIG", "SET", "list-max-listpack-size", "5", "list-compress-depth", "2"],
      ["RESTORE", "dst", "0", new Uint8Array(payload)],
      ["DUMP", "dst"],
      ["RPUSH", "dst", "a", "b", "c", "d", "e", "f"],
      ["LINSERT", "dst", "BEFORE", "element-20-".padEnd(60, "z"), "inserted"],
      ["DUMP", "dst"],
      ["LRANGE", "dst", "0", "-1"],
    ]);
    expect(mismatches).toEqual([]);
  });
});
