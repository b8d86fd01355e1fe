// The synchronous AOF rewrite: Redis's rewriteAppendOnlyFile(filename) run in the
// server itself. Redis uses it at start-up, to create the first base file when AOF is
// on and no AOF exists yet (aofOpenIfNeededOnServerStart), and its rewrite child runs
// the same function after the fork. Bunker's background rewrite is the snapshot
// writer in its "aof-base" mode (snapshot-writer.ts); this is the in-process twin,
// for paths that write the current dataset and wait for it.
//
//   temp-rewriteaof-<pid>.aof in the working directory (dir)
//     aof-use-rdb-preamble yes: an RDB file with aux aof-base=1 (Persistence.writeDataset)
//     aof-use-rdb-preamble no:  [#TS:<now>] then per non-empty database SELECT n and the
//                               commands of each key (rewrite-commands.ts)
//   fsync (every 4 MiB too with aof-rewrite-incremental-fsync), close, rename to `path`
// A failure logs Redis's line, removes the temp file and returns false.

import type { Server } from "../../server.ts";
import { ByteWriter, RdbEncoder } from "../rdb/encoder.ts";
import { AofRewriteFileWriter } from "../rdb-file.ts";
import { AofRewriteWriter } from "./rewrite-commands.ts";

/**
 * Writes the current dataset to `path` (relative to the working directory, or
 * absolute) as an AOF base file in the configured format. Returns false after logging
 * when it could not; the file at `path` is then untouched.
 */
export function rewriteAppendOnlyFile(server: Server, path: string): boolean {
  const config = server.config;
  const file = new AofRewriteFileWriter(process.cwd(), path, process.pid, config.getBool("aof-rewrite-incremental-fsync"));
  return file.writeWhole("rewriteAppendOnlyFileRio", () => {
    if (config.getBool("aof-use-rdb-preamble")) {
      const encoder = new RdbEncoder((chunk) => file.write(chunk), { ...server.persistence.encodeOptions(), checksum: config.getBool("rdbchecksum") });
      server.persistence.writeDataset(encoder, true);
    } else {
      const out = new ByteWriter(64 * 1024, (chunk) => file.write(chunk));
      writeDatasetAsCommands(server, new AofRewriteWriter(out), config.getBool("aof-timestamp-enabled"));
      out.flush();
    }
  });
}

/** rewriteAppendOnlyFileRio: every stored key (logically expired ones too, as Redis). */
function writeDatasetAsCommands(server: Server, commands: AofRewriteWriter, timestamp: boolean): void {
  if (timestamp) commands.timestampAnnotation(Date.now() / 1000);
  for (const code of server.scripting.functions.codes()) commands.functionLoad(code);
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    commands.select(db.index);
    const table = db.table;
    for (let slot = 0; slot < table.slotCount; slot++) {
      if (!table.isLive(slot)) continue;
      commands.key(table.keyBytesAt(slot), table.valueAt(slot), table.expireAtOf(slot));
    }
  }
}
