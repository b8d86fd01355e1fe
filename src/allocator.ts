// The allocator settings the server runs with, applied before anything else loads.
//
// Bun allocates through mimalloc, and every socket read reaches JavaScript as a new
// buffer that Bun copies the bytes into: a server taking 1 KiB values at 200k requests
// a second goes through 200 MB of such buffers each second. mimalloc gives the pages of
// freed buffers back to the kernel 10 ms after they empty (its purge_delay), so under
// that load they are given back and faulted in again all the time: 70-160k page faults
// per million 1 KiB SETs, a third more system time than with the pages kept. Kept for a
// second instead (MIMALLOC_PURGE_DELAY=1000), the faults fall to 5-15k per million and
// the RSS stays where it was; an idle server still returns its memory a second later.
//
// mimalloc reads its options from the environment once, when the process starts, so a
// server started without the variable executes itself again with it (execve: same PID,
// same arguments). A value the user set is kept as it is.

export const PURGE_DELAY_VARIABLE = "MIMALLOC_PURGE_DELAY";
const PURGE_DELAY_MS = "1000";

/**
 * `env` with the allocator settings added where it has none: what the server is executed
 * with (a test or tool that spawns many servers can pass it and save each the re-execution).
 */
export function withAllocatorSettings(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return env[PURGE_DELAY_VARIABLE] === undefined ? { ...env, [PURGE_DELAY_VARIABLE]: PURGE_DELAY_MS } : env;
}

/**
 * Bun's flags under which the process is not executed again: the sampling profiler and
 * the inspector suspend the main thread with SIGPWR, and one arriving as execve runs is
 * still pending in the new image, which has no handler yet and dies of it (3 of 4
 * profiled starts did). Such a run keeps mimalloc's defaults unless the variable is set.
 */
const NO_REEXEC_FLAGS = ["--cpu-prof", "--heap-prof", "--inspect"];

/** Re-executes this process with the allocator settings when they are not set; returns otherwise. */
export function applyAllocatorSettings(): void {
  if (process.env[PURGE_DELAY_VARIABLE] !== undefined || typeof process.execve !== "function") return;
  if (process.execArgv.some((flag) => NO_REEXEC_FLAGS.some((prefix) => flag.startsWith(prefix)))) return;
  // argv[0] as it was given: proc-title-template's {title} is that word (proc-title.ts).
  const argv = [process.argv0, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, argv, withAllocatorSettings(process.env));
  } catch {
    // The server runs as well without the setting (only more page faults under large values).
  }
}
