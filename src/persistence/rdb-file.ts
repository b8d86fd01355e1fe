// Writing a save's file the way Redis does, for SAVE (in the server), the snapshot
// writer process and the AOF rewrite: a temp file in `dir`, fsync every 4 MiB when
// incremental fsync is on (rdb-save-incremental-fsync, aof-rewrite-incremental-fsync),
// then fsync, close, and an atomic rename to the final name. Every failure comes back
// with Redis's log line and a short cause (INFO's rdb_last_bgsave_error); the temp
// file is then removed.
//
// Two flavours, as Redis names and logs them:
//   RdbFileWriter          rdbSave: temp-<pid>.rdb -> dbfilename, then fsync of the directory
//   AofRewriteFileWriter   rewriteAppendOnlyFile: temp-rewriteaof-<pid>.aof -> the given name
//                          (the rewrite child's temp-rewriteaof-bg-<pid>.aof, or a base file)

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { errorText } from "../util/errors-text.ts";
import { logger } from "../log.ts";

/** Redis's REDIS_AUTOSYNC_BYTES. */
const INCREMENTAL_FSYNC_BYTES = 4 * 1024 * 1024;

export interface RdbFileFailure {
  logLine: string;
  cause: string;
}

/** Redis's log lines for the failures of one kind of file. */
interface SaveFileMessages {
  open(tempName: string, dir: string, error: string): string;
  /** `stage` is Redis's name for the step (rdbSaveRio, fsync, fclose...). */
  write(stage: string, error: string): string;
  rename(tempName: string, finalName: string, dir: string, error: string): string;
}

const RDB_MESSAGES: SaveFileMessages = {
  open: (tempName, dir, error) => `Failed opening the temp RDB file ${tempName} (in server root dir ${dir}) for saving: ${error}`,
  write: (stage, error) => `Write error saving DB on disk(${stage}): ${error}`,
  rename: (tempName, finalName, dir, error) =>
    `Error moving temp DB file ${tempName} on the final destination ${finalName} (in server root dir ${dir}): ${error}`,
};

const AOF_REWRITE_MESSAGES: SaveFileMessages = {
  open: (_tempName, _dir, error) => `Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): ${error}`,
  write: (_stage, error) => `Write error writing append only file on disk: ${error}`,
  rename: (_tempName, _finalName, _dir, error) => `Error moving temp append only file on the final destination: ${error}`,
};

/** A file written under a temp name and renamed into place once complete. */
class SaveFileWriter {
  readonly tempPath: string;
  private fd = -1;
  private sinceFsync = 0;

  constructor(
    readonly dir: string,
    readonly tempName: string,
    /** Relative to `dir`, or absolute. */
    readonly finalName: string,
    private readonly incrementalFsync: boolean,
    private readonly messages: SaveFileMessages,
    private readonly fsyncDirectory: boolean,
  ) {
    this.tempPath = resolve(dir, tempName);
  }

  /** Creates the temp file. */
  open(): RdbFileFailure | null {
    try {
      this.fd = openSync(this.tempPath, "w");
      return null;
    } catch (error) {
      return { logLine: this.messages.open(this.tempName, this.dir, errorText(error)), cause: `open: ${errorText(error)}` };
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
    return { logLine: this.messages.write(stage, errorText(error)), cause: `${stage}: ${errorText(error)}` };
  }

  /** fsync, close, rename to the final name (then fsync the directory, for an RDB file). */
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
      renameSync(this.tempPath, resolve(this.dir, this.finalName));
    } catch (error) {
      this.abandon();
      return {
        logLine: this.messages.rename(this.tempName, this.finalName, this.dir, errorText(error)),
        cause: `rename: ${errorText(error)}`,
      };
    }
    if (!this.fsyncDirectory) return null;
    try {
      const dirFd = openSync(this.dir, "r");
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch (error) {
      return { logLine: this.messages.write("fsyncFileDir", errorText(error)), cause: `fsyncFileDir: ${errorText(error)}` };
    }
    return null;
  }

  /**
   * A whole save in this process (SAVE, rewriteAppendOnlyFile): open, `write` the
   * contents through write(), commit. Logs Redis's line and returns false on a failure
   * (`stage` names the writing step in it).
   */
  writeWhole(stage: string, write: () => void): boolean {
    const openFailure = this.open();
    if (openFailure !== null) {
      logger.warning(openFailure.logLine);
      return false;
    }
    try {
      write();
    } catch (error) {
      logger.warning(this.writeFailure(stage, error).logLine);
      return false;
    }
    const failure = this.commit();
    if (failure !== null) {
      logger.warning(failure.logLine);
      return false;
    }
    return true;
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

/** rdbSave's file: temp-<pid>.rdb in `dir`, renamed over dbfilename. */
export class RdbFileWriter extends SaveFileWriter {
  constructor(dir: string, dbfilename: string, pid: number, incrementalFsync: boolean) {
    super(dir, `temp-${pid}.rdb`, dbfilename, incrementalFsync, RDB_MESSAGES, true);
  }
}

/**
 * rewriteAppendOnlyFile's file: temp-rewriteaof-<pid>.aof in `dir`, renamed to
 * `finalName` (relative to `dir` or absolute). The rewrite child's final name is
 * aofRewriteChildFileName(pid); the parent's done-handler moves it into the AOF directory.
 */
export class AofRewriteFileWriter extends SaveFileWriter {
  constructor(dir: string, finalName: string, pid: number, incrementalFsync: boolean) {
    super(dir, aofRewriteTempFileName(pid), finalName, incrementalFsync, AOF_REWRITE_MESSAGES, false);
  }
}

/** The file rewriteAppendOnlyFile writes first (in `dir`): temp-rewriteaof-<pid>.aof. */
export function aofRewriteTempFileName(pid: number): string {
  return `temp-rewriteaof-${pid}.aof`;
}

/**
 * What the rewrite child leaves in `dir` on success: temp-rewriteaof-bg-<pid>.aof.
 * With aofRewriteTempFileName, the two names Redis's aofRemoveTempFile removes.
 */
export function aofRewriteChildFileName(pid: number): string {
  return `temp-rewriteaof-bg-${pid}.aof`;
}
