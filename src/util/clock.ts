/**
 * The whole microseconds between two performance.now() readings, as Redis measures a
 * command (ustime() - call_timer): the difference of the two readings truncated to the
 * microsecond. A command shorter than a microsecond then counts 0 or 1 as the clock
 * ticked during it, and back-to-back commands add up to the time they took together.
 * Rounding each duration instead would count every one under half a microsecond as 0.
 */
export function elapsedMicros(startMs: number, endMs: number): number {
  return Math.floor(endMs * 1000) - Math.floor(startMs * 1000);
}
