// LATENCY monitor: per-event samples (ms) above latency-monitor-threshold, as Redis's latency.c.

export interface LatencySample {
  time: number; // unix seconds
  latency: number; // ms
}

export interface LatencyEvent {
  samples: LatencySample[];
  max: number;
}

/** Redis keeps 160 samples per event, one per second at most. */
const HISTORY_SIZE = 160;

export class LatencyMonitor {
  threshold = 0;
  readonly events = new Map<string, LatencyEvent>();

  /** Records `ms` for `event` when monitoring is on and it reaches the threshold. */
  sample(kind: string, ms: number, event = kind): void {
    if (this.threshold <= 0 || ms < this.threshold) return;
    this.add(event, Math.round(ms));
  }

  add(event: string, latencyMs: number): void {
    const now = Math.floor(Date.now() / 1000);
    let entry = this.events.get(event);
    if (entry === undefined) this.events.set(event, (entry = { samples: [], max: 0 }));
    const last = entry.samples[entry.samples.length - 1];
    if (last !== undefined && last.time === now) {
      last.latency = Math.max(last.latency, latencyMs);
    } else {
      entry.samples.push({ time: now, latency: latencyMs });
      if (entry.samples.length > HISTORY_SIZE) entry.samples.shift();
    }
    entry.max = Math.max(entry.max, latencyMs);
  }

  reset(events: string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }
}
