// COMMAND DOCS (byte for byte) and COMMAND INFO of the scripting commands against
// redis-server 7.0.15. SCRIPT DEBUG is not implemented, so the SCRIPT container's own
// entry is compared without it.

import { describe, expect, test } from "bun:test";
import { haveRedis, usePair } from "../helpers/differential.ts";

const d = haveRedis ? describe : describe.skip;

const COMMANDS = [
  "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro",
  "script|exists", "script|flush", "script|load", "script|kill", "script|help",
  "function", "function|load", "function|delete", "function|flush", "function|list", "function|dump",
  "function|restore", "function|stats", "function|kill", "function|help",
];

d("scripting commands in COMMAND DOCS and COMMAND INFO", () => {
  const pair = usePair();

  test("each command's docs and info are Redis's", async () => {
    const { b, r } = pair();
    for (const name of COMMANDS) {
      const [ours, theirs] = await Promise.all([b.callRaw("COMMAND", "DOCS", name), r.callRaw("COMMAND", "DOCS", name)]);
      // A container lists its subcommands in its dictionary's order: compare as sets of lines.
      if (name === "function") expect(ours.split("\r\n").sort()).toEqual(theirs.split("\r\n").sort());
      else expect({ name, reply: ours }).toEqual({ name, reply: theirs });
      // COMMAND INFO without the key specifications (Bunker lists none for any command yet)
      // and the subcommands (compared by name below and above).
      const [ourInfo, theirInfo] = (await Promise.all([b.call("COMMAND", "INFO", name), r.call("COMMAND", "INFO", name)])) as unknown[][][];
      expect({ name, info: ourInfo[0]!.slice(0, 8) }).toEqual({ name, info: theirInfo[0]!.slice(0, 8) });
    }
  });

  test("SCRIPT's subcommands are Redis's but DEBUG", async () => {
    const { b, r } = pair();
    const names = async (client: typeof b) => ((await client.call("COMMAND", "INFO", "script")) as unknown[][])[0]![9] as unknown[][];
    const ours = (await names(b)).map((entry) => String(entry[0])).sort();
    const theirs = (await names(r)).map((entry) => String(entry[0])).filter((name) => name !== "script|debug").sort();
    expect(ours).toEqual(theirs);
  });
});
