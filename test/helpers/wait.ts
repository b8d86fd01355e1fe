// Waiting in tests: poll a condition until it holds, with a deadline generous enough for
// a loaded machine. A test never sleeps a fixed time hoping that something has happened
// by then: on a busy machine it has not, and on a quiet one the sleep is wasted. A test
// that passes returns as soon as the condition holds; only a failing test waits out the
// deadline.
//
// Fixed sleeps remain only where the time itself is the scenario: letting an expiry or a
// timeout pass, or giving a server the chance to do something it must not do. Such a
// sleep is written so that a longer real wait cannot make the test fail.

/** How long a test waits for something that should happen promptly (see the note above). */
export const DEADLINE_MS = 30_000;

export interface WaitOptions {
  /** Give up after this long (default DEADLINE_MS). */
  timeoutMs?: number;
  /** Pause between polls (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/**
 * Calls `condition` until it returns something other than false, undefined or null, and
 * returns that. Throws when the deadline passes. An exception from `condition` is not
 * caught: it ends the wait (so a condition can report that waiting is pointless, e.g. the
 * process died); a condition that can fail transiently catches its own errors.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, options: WaitOptions = {}): Promise<Exclude<T, false | undefined | null>> {
  const timeoutMs = options.timeoutMs ?? DEADLINE_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== false && value !== undefined && value !== null) return value as Exclude<T, false | undefined | null>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}`);
    await Bun.sleep(options.intervalMs ?? 20);
  }
}
