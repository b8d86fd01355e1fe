// Memory as Bunker measures it, under Redis's names (zmalloc.c's used memory and RSS):
// used memory is the JS heap in use plus external (ArrayBuffer) memory, RSS is the
// process's. INFO memory, the RDB header's used-mem field and used_memory_startup
// read it here.

/**
 * used_memory_peak: the most used memory any memorySnapshot() has seen. Process-wide by
 * nature, as the heap it measures is: two servers in one process would report the same.
 */
let peak = 0;

export function memorySnapshot(): { used: number; rss: number; heap: number; external: number } {
  const usage = process.memoryUsage();
  const used = usage.heapUsed + usage.external;
  if (used > peak) peak = used;
  return { used, rss: usage.rss, heap: usage.heapUsed, external: usage.external };
}

/**
 * The usable size jemalloc gives a request of `size` bytes: its size class (16-byte
 * steps up to 128, then four classes per doubling). Where Redis reports an allocation's
 * size (a reply buffer's, a script body's), it is this.
 */
export function jemallocSizeClass(size: number): number {
  if (size <= 8) return 8;
  if (size <= 128) return Math.ceil(size / 16) * 16;
  const step = 2 ** Math.floor(Math.log2(size - 1)) / 4;
  return Math.ceil(size / step) * step;
}

/** INFO's used_memory_peak (sampled on each INFO and each save, not by the cron). */
export function usedMemoryPeak(): number {
  return peak;
}
