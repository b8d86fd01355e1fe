// Log lines in Redis's format: `<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level> <message>`.
// Level marks: '.' debug, '-' verbose, '*' notice, '#' warning. Role: 'M' for the
// server, 'C' for a child (the snapshot writer).

import { appendFileSync, writeSync } from "node:fs";

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const LEVEL_MARK: Record<LogLevel, string> = { debug: ".", verbose: "-", notice: "*", warning: "#" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

export function formatTimestamp(date: Date): string {
  return (
    `${pad(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** Redis's LOG_MAX_LEN: serverLog formats a message into a buffer of this many bytes, NUL included. */
const LOG_MAX_LEN = 1024;

/** A message cut as serverLog's buffer cuts it: at LOG_MAX_LEN - 1 bytes (of its UTF-8 form). */
function fitLogMax(message: string): string {
  // Up to a third of the limit in UTF-16 units is within the limit in UTF-8 bytes.
  if (message.length <= (LOG_MAX_LEN - 1) / 3) return message;
  const bytes = Buffer.from(message, "utf8");
  return bytes.length < LOG_MAX_LEN ? message : bytes.subarray(0, LOG_MAX_LEN - 1).toString("utf8");
}

export class Logger {
  level: LogLevel = "notice";
  /** Empty string = standard output, as Redis's `logfile ""`. */
  file = "";
  role = "M";
  /** Last lines, kept for tests and for error reports. */
  readonly recent: string[] = [];
  /** Standard output written synchronously (a crash report must be out before the process ends). */
  syncWrites = false;

  /** Whether lines of `level` are written (to skip building an expensive one). */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.level];
  }

  log(level: LogLevel, message: string): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.level]) return;
    this.write(`${process.pid}:${this.role} ${formatTimestamp(new Date())} ${LEVEL_MARK[level]} ${fitLogMax(message)}\n`);
  }

  /** A line without the prefix (Redis's LL_RAW), for the start-up banner and reports. */
  raw(text: string): void {
    this.write(text.endsWith("\n") ? text : text + "\n");
  }

  private write(line: string): void {
    this.recent.push(line);
    if (this.recent.length > 200) this.recent.shift();
    if (this.file === "") {
      if (this.syncWrites) writeSync(1, line);
      else process.stdout.write(line);
      return;
    }
    try {
      appendFileSync(this.file, line);
    } catch {
      // Redis silently drops log lines it cannot write; so do we, rather than crash.
    }
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  verbose(message: string): void {
    this.log("verbose", message);
  }
  notice(message: string): void {
    this.log("notice", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }
}

/**
 * The process's log (Redis's logfile and verbosity, set from the config). Process-wide
 * by nature, like the pid in every line and the standard output it may write to.
 */
export const logger = new Logger();
