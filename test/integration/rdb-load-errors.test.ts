// What a server logs when its RDB file is corrupt or cut short, against redis-server
// 7.0.15 on the same files (the fixture truncated at several points, and with flipped
// bytes): "Short read or OOM loading DB...", "Wrong RDB checksum...", "Internal error in
// RDB reading offset <N>, function at rdb.c:<line> -> <reason>" (the same offset,
// Redis's loading_loaded_bytes, and the same reason; <line> is Redis's C source line,
// always 0 in Bunker), "Terminating server after rdb file reading failure.", and the
// exit status. The report of redis-check-rdb that follows is Redis's checker walking the
// file (AUX fields, keys...): only its error line is compared.
//
// Not compared: a corrupt listpack that the file's checksum also catches (Redis checks
// listpacks shallowly on load, sanitize-dump-payload no, and fails on the checksum;
// Bunker validates them deeply and names the listpack), and a stream cut short (Redis
// names the stream field it was reading, Bunker reports the short read).

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haveRedis } from "../helpers/differential.ts";
import { freePort, MAIN, REDIS_SERVER } from "../helpers/server.ts";

const d = haveRedis ? describe : describe.skip;
const FIXTURE = readFileSync(join(import.meta.dir, "../fixtures/sample-7.0.rdb"));

/** The loading failure's lines, in order, without pid, role and time; the checker's error line with its offset. */
function failureLines(output: string): string[] {
  const lines: string[] = [];
  for (const line of output.split("\n")) {
    const logged = /^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [#*.-] (.*)$/.exec(line);
    const text = logged !== null ? logged[1]! : line;
    if (/^(Short read|Wrong RDB checksum|Internal error in RDB|Terminating server)/.test(text) || (logged === null && /^\[offset \d+\] (?!Checking|AUX|Selecting)/.test(text))) {
      lines.push(text.replace(/rdb\.c:\d+/, "rdb.c:<line>"));
    }
  }
  return lines;
}

async function loadFailure(command: string[], bytes: Uint8Array): Promise<{ code: number | null; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "rdb-load-errors-"));
  try {
    writeFileSync(join(dir, "dump.rdb"), bytes);
    const proc = Bun.spawn([...command, "--port", String(freePort()), "--save", "", "--dir", dir, "--bind", "127.0.0.1"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    const code = await proc.exited;
    return { code, lines: failureLines(out + err) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const flipped = (at: number) => {
  const copy = Uint8Array.from(FIXTURE);
  copy[at]! ^= 0xff;
  return copy;
};

d("RDB load failures are logged as redis-server logs them", () => {
  const cases: Array<[string, Uint8Array]> = [
    ["cut in the header", FIXTURE.subarray(0, 5)],
    ["cut after the version", FIXTURE.subarray(0, 9)],
    ["cut in an AUX field", FIXTURE.subarray(0, 60)],
    ["cut before the checksum", FIXTURE.subarray(0, FIXTURE.length - 8)],
    ["cut in the checksum", FIXTURE.subarray(0, FIXTURE.length - 1)],
    ["an unknown string encoding", flipped(9)],
    ["a bad length encoding", flipped(300)],
    ["a checksum that does not match", flipped(40)],
  ];
  for (const [name, bytes] of cases) {
    test(name, async () => {
      const [ours, theirs] = await Promise.all([loadFailure([process.execPath, MAIN], bytes), loadFailure([REDIS_SERVER!], bytes)]);
      expect(theirs.lines.length).toBeGreaterThan(0);
      expect(ours).toEqual(theirs);
    });
  }
});
