// Crash reports (Redis's debug.c: bugReportStart, printCrashReport, bugReportEnd).
//
// When the server dies of a fatal signal, a bug or DEBUG PANIC, the log gets a report
// operators and their tools know from Redis: the "crashed by signal" or "Guru
// Meditation" line between the REDIS BUG REPORT START/END markers, the stack, INFO and
// CLIENT LIST; then the process ends as Redis's does, by that signal or by SIGABRT.
//
// What JavaScript can catch: signals sent to the process (kill -SEGV, DEBUG SEGFAULT,
// which Bun delivers to listeners) and uncaught errors. A fault inside Bun's native code
// ends the process before any JavaScript runs; Bun prints its own report then.

import { buildInfo, describeClientLine } from "./info.ts";
import { logger } from "./log.ts";
import type { Server } from "./server.ts";
import { BUNKER_VERSION, REDIS_VERSION } from "./version.ts";

const FATAL_SIGNALS = { SIGSEGV: 11, SIGBUS: 7, SIGFPE: 8, SIGILL: 4, SIGABRT: 6 } as const;
type FatalSignal = keyof typeof FATAL_SIGNALS;

let reporting = false;

/** setupSignalHandlers' fatal half, and a report for errors nothing caught. */
export function installCrashHandlers(server: Server): void {
  for (const signal of Object.keys(FATAL_SIGNALS) as FatalSignal[]) {
    process.on(signal, () => crashBySignal(server, signal));
  }
  process.on("uncaughtException", (error) => serverPanic(server, `uncaught ${describeError(error)}`, error));
  process.on("unhandledRejection", (reason) => serverPanic(server, `unhandled rejection: ${describeError(reason)}`, reason));
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * sigsegvHandler: the report, then the signal's default action, so the exit status (and a
 * core dump where enabled) says what killed the process. A signal from kill() has si_code
 * SI_USER (0); it is the only kind JavaScript sees.
 */
export function crashBySignal(server: Server, signal: FatalSignal): void {
  if (reporting) return;
  reporting = true;
  // crash-log-enabled no: Redis leaves these signals to their default action, no report.
  if (server.config.getBool("crash-log-enabled")) {
    bugReportStart();
    logger.warning(`Redis ${REDIS_VERSION} crashed by signal: ${FATAL_SIGNALS[signal]}, si_code: 0`);
    logger.warning(`Bunker ${BUNKER_VERSION}, pid ${process.pid}`);
    printCrashReport(server, `${signal} was sent to the process with kill(): it interrupted no instruction of the server's, whose event loop was between tasks.`);
    bugReportEnd();
  }
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * _serverPanic (DEBUG PANIC, a bug): the Guru Meditation lines and the report, then
 * abort() as Redis does, or exit(1) with use-exit-on-panic (bugReportEnd).
 */
export function serverPanic(server: Server, message: string, error: unknown = new Error(message)): void {
  if (reporting) return;
  reporting = true;
  bugReportStart();
  logger.warning("------------------------------------------------");
  logger.warning("!!! Software Failure. Press left mouse button to continue");
  logger.warning(`Guru Meditation: ${message} #${whereFrom(error)}`);
  printCrashReport(server, error);
  bugReportEnd();
  if (server.config.getBool("use-exit-on-panic")) process.exit(1);
  process.removeAllListeners("SIGABRT");
  process.abort();
}

/** Where the panic was called, as "file:line" under src/ (Redis's __FILE__:__LINE__). */
function whereFrom(error: unknown): string {
  const frames = error instanceof Error ? (error.stack ?? "").split("\n").slice(1) : [];
  for (const frame of frames) {
    const location = /\(?([^\s()]+):(\d+):\d+\)?$/.exec(frame.trim());
    if (location === null || location[1]!.endsWith("/crash.ts")) continue;
    return `${location[1]!.replace(/^.*\/src\//, "")}:${location[2]}`;
  }
  return "unknown";
}

function bugReportStart(): void {
  logger.syncWrites = true;
  logger.raw("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===");
}

function printCrashReport(server: Server, error: unknown): void {
  logger.raw("\n------ STACK TRACE ------");
  logger.raw(error instanceof Error && error.stack !== undefined ? error.stack : String(error));
  logger.raw("\n------ INFO OUTPUT ------");
  try {
    logger.raw(buildInfo(server, ["all"]).replaceAll("\r\n", "\n"));
  } catch (infoError) {
    logger.raw(`(INFO failed: ${describeError(infoError)})`);
  }
  logger.raw("\n------ CLIENT LIST OUTPUT ------");
  for (const client of server.clients.values()) logger.raw(describeClientLine(server, client));
  const current = server.currentClient;
  if (current !== null) {
    logger.raw("\n------ CURRENT CLIENT INFO ------");
    logger.raw(describeClientLine(server, current));
    const argv = current.currentArgv ?? [];
    argv.forEach((arg, i) => logger.raw(`argv[${i}]: '${Buffer.from(arg).toString("latin1")}'`));
  }
}

function bugReportEnd(): void {
  logger.raw("\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n");
  logger.raw("       This is Bunker's bug: please report it with the lines above.\n");
  logger.raw("       The data on disk is what the last completed save or AOF write holds.\n");
}
