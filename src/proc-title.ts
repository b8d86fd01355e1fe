// The process title (Redis's redisSetProcTitle): what `ps` and /proc/<pid>/cmdline show,
// proc-title-template expanded ("{title} {listen-addr} {server-mode}" by default), with
// set-proc-title yes.
//
// Bun's process.title changes nothing ps shows, so the title is written where the
// kernel reads a process's command line: the argv strings at the bottom of the stack,
// between arg_start and arg_end (fields 48 and 49 of /proc/self/stat), through
// /proc/self/mem, as setproctitle does in place. The title is cut to that area (the
// original command line's length, less its final NUL) and the rest filled with NULs,
// so cmdline reads as redis-server's does. Redis's setproctitle also moves the
// environment away to reuse its room; Bun keeps reading its environment, so Bunker
// does not, and a title longer than the command Bunker was started with is cut
// (docs/configuration.md says so). The short name (comm, `ps -o comm`) stays the
// executable's, as Redis leaves it.
//
// {title} is the first word of the command line as it was given (Redis's
// exec_argv[0]): the bun executable for `bun src/main.ts`.

import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import type { Config } from "./config.ts";
import { expandProcTitleTemplate } from "./config.ts";
import { logger } from "./log.ts";

interface ArgvArea {
  start: number;
  length: number;
}

/** The command line's bytes in this process's memory, from /proc/self/stat; null where there is none. */
function argvArea(): ArgvArea | null {
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    // Fields after the command name in parentheses (which may hold spaces): the state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[48 - 3]);
    const end = Number(fields[49 - 3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return null;
    return { start, length: end - start };
  } catch {
    return null;
  }
}

export class ProcTitle {
  private readonly area = argvArea();
  /** exec_argv[0]: the command line's first word, before any title replaced it. */
  private readonly execName = process.argv0;

  constructor(private readonly config: Config) {}

  /**
   * redisSetProcTitle: the template expanded with `title` (the executable's name when
   * none) written over the command line. False when the template does not expand (it was
   * validated, so not likely) or the command line cannot be written.
   */
  set(title: string = this.execName): boolean {
    if (!this.config.getBool("set-proc-title")) return true;
    const expanded = expandProcTitleTemplate(this.config.getString("proc-title-template"), title, this.config.procTitleContext());
    if (expanded === null || this.area === null) return false;
    const bytes = Buffer.alloc(this.area.length);
    bytes.write(expanded.slice(0, this.area.length - 1), "latin1");
    try {
      const mem = openSync("/proc/self/mem", "r+");
      try {
        writeSync(mem, bytes, 0, bytes.length, this.area.start);
      } finally {
        closeSync(mem);
      }
      return true;
    } catch (error) {
      logger.verbose(`Can't set the process title: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
