// Writing an RDB file the way Redis does, for both SAVE (in the server) and the
// snapshot writer process: temp-<pid>.rdb in `dir`, fsync every 4 MiB when
// rdb-save-incremental-fsync is on, then fsync, close, rename over dbfilename and
// fsync the directory. Every failure comes back with Redis's log line and a short
// cause for INFO's rdb_last_bgsave_error; the temp file is then removed.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errorText } from "./errors-text.ts";

/** Redis's REDIS_AUTOSYNC_BYTES. */
const INCREMENTAL_FSYNC_BYTES = 4 * 1024 * 1024;

export interface RdbFileFailure {
  logLine: string;
  cause: string;
}

export class RdbFileWriter {
  readonly tempName: string;
  readonly tempPath: string;
  private fd = -1;
  private sinceFsync = 0;

  constructor(
    readonly dir: string,
    readonly finalName: string,
    pid: number,
    private readonly incrementalFsync: boolean,
  ) {
    this.tempName = `temp-${pid}.rdb`;
    this.tempPath = join(dir, this.tempName);
  }

  /** Creates the temp file. */
  open(): RdbFileFailure | null {
    try {
      this.fd = openSync(this.tempPath, "w");
      return null;
    } catch (error) {
      return {
        logLine: `Failed opening the temp RDB file ${this.tempName} (in server root dir ${this.dir}) for saving: ${errorText(error)}`,
        cause: `open: ${errorText(error)}`,
      };
    }
  }

  /** Appends bytes (throws on an I/O error: report it with writeFailure). */
  write(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fd, chunk, offset, chunk.length - offset);
    this.sinceFsync += chunk.length;
    if (this.incrementalFsync && this.sinceFsync >= INCREMENTAL_FSYNC_BYTES) {
      fsyncSync(this.fd);
      this.sinceFsync = 0;
    }
  }

  /** The failure of a write (`stage` is Redis's name for the step: rdbSaveRio, fflush...). */
  writeFailure(stage: string, error: unknown): RdbFileFailure {
    this.abandon();
    return { logLine: `Write error saving DB on disk(${stage}): ${errorText(error)}`, cause: `${stage}: ${errorText(error)}` };
  }

  /** fsync, close, rename over the final name, fsync the directory. */
  commit(): RdbFileFailure | null {
    let stage = "fsync";
    try {
      fsyncSync(this.fd);
      stage = "fclose";
      closeSync(this.fd);
      this.fd = -1;
    } catch (error) {
      return this.writeFailure(stage, error);
    }
    try {
      renameSync(this.tempPath, join(this.dir, this.finalName));
    } catch (error) {
      this.abandon();
      return {
        logLine: `Error moving temp DB file ${this.tempName} on the final destination ${this.finalName} (in server root dir ${this.dir}): ${errorText(error)}`,
        cause: `rename: ${errorText(error)}`,
      };
    }
    try {
      const dirFd = openSync(this.dir, "r");
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch (error) {
      return { logLine: `Write error saving DB on disk(fsyncFileDir): ${errorText(error)}`, cause: `fsyncFileDir: ${errorText(error)}` };
    }
    return null;
  }

  /** Closes and removes the temp file after a failure. */
  abandon(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Already failing: the first error is the one reported.
      }
      this.fd = -1;
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      // Never created, or already gone.
    }
  }
}
