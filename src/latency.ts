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
    // latencyResetEvent matches event names case-insensitively.
    let n = 0;
    for (const e of events) {
      const lower = e.toLowerCase();
      for (const name of [...this.events.keys()]) {
        if (name.toLowerCase() === lower && this.events.delete(name)) n++;
      }
    }
    return n;
  }
}

// ---- LATENCY GRAPH -------------------------------------------------------------------

/** Width of LATENCY GRAPH (LATENCY_GRAPH_COLS) and its height in text rows. */
const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;
/** Three heights per text row; "filled" bars use these characters, and '|' below the top. */
const GRAPH_CHARSET = "_o#";

interface GraphSample {
  value: number;
  label: string;
}

/**
 * LATENCY GRAPH's body: Redis's sparkline (sparkline.c with SPARKLINE_FILL), 80
 * samples per band, each sample a column of bars scaled between the band's minimum
 * and maximum, with its age ("12s", "3m", "2h", "1d") written vertically below.
 */
function renderSparkline(samples: readonly GraphSample[], min: number, max: number): string {
  let output = "";
  for (let start = 0; start < samples.length; start += GRAPH_COLUMNS) {
    if (start !== 0) output += "\n";
    output += renderSparklineBand(samples.slice(start, start + GRAPH_COLUMNS), min, max);
  }
  return output;
}

function renderSparklineBand(band: readonly GraphSample[], min: number, max: number): string {
  const steps = GRAPH_CHARSET.length * GRAPH_ROWS;
  const range = max - min === 0 ? 1 : max - min;
  // C's (int)(relval*steps)/relmax, stored in an int: truncated twice.
  const stepOf = (value: number) => Math.min(steps - 1, Math.max(0, Math.trunc(Math.trunc((value - min) * steps) / range)));
  let output = "";
  for (let row = 0; ; row++) {
    let line = "";
    let printed = false;
    if (row < GRAPH_ROWS) {
      printed = band.length > 0;
      for (const sample of band) {
        const index = stepOf(sample.value) - (GRAPH_ROWS - row - 1) * GRAPH_CHARSET.length;
        line += index >= 0 && index < GRAPH_CHARSET.length ? GRAPH_CHARSET[index]! : index >= GRAPH_CHARSET.length ? "|" : " ";
      }
    } else if (row === GRAPH_ROWS) {
      // One blank row between the bars and the labels.
      printed = band.length > 0;
      line = " ".repeat(band.length);
    } else {
      const labelRow = row - GRAPH_ROWS - 1;
      for (const sample of band) {
        if (sample.label.length > labelRow) {
          printed = true;
          line += sample.label[labelRow]!;
        } else line += " ";
      }
    }
    if (!printed) return output;
    output += line + "\n";
  }
}

/** How long ago a sample was, as LATENCY GRAPH labels it. */
function ageLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** LATENCY GRAPH <event>: the header line, a rule, and the sparkline of the event's samples. */
export function latencyGraph(name: string, event: LatencyEvent, now = Math.floor(Date.now() / 1000)): string {
  let min = 0;
  let max = 0;
  const samples: GraphSample[] = [];
  for (const sample of event.samples) {
    if (samples.length === 0) min = max = sample.latency;
    else {
      if (sample.latency > max) max = sample.latency;
      if (sample.latency < min) min = sample.latency;
    }
    samples.push({ value: sample.latency, label: ageLabel(now - sample.time) });
  }
  const header = `${name} - high ${max} ms, low ${min} ms (all time high ${event.max} ms)\n${"-".repeat(GRAPH_COLUMNS)}\n`;
  return header + renderSparkline(samples, min, max);
}

// ---- LATENCY DOCTOR ------------------------------------------------------------------

/** What LATENCY DOCTOR looks at besides the events. */
export interface DoctorContext {
  threshold: number;
  slowlogSlowerThan: number;
  hz: number;
  appendfsync: string;
  /** AnonHugePages of the process, in kB (transparent huge pages make persistence stall). */
  anonHugePagesKb: number;
}

/** analyzeLatencyForEvent: sample count, integer average and mean deviation, and the seconds the samples span. */
function analyzeEvent(event: LatencyEvent, now: number): { samples: number; avg: number; mad: number; period: number } {
  const samples = event.samples.length;
  if (samples === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = event.samples[0]!.time;
  for (const sample of event.samples) {
    sum += sample.latency;
    if (sample.time < oldest) oldest = sample.time;
  }
  const avg = Math.floor(sum / samples);
  let deviation = 0;
  for (const sample of event.samples) deviation += Math.abs(avg - sample.latency);
  return { samples, avg, mad: Math.floor(deviation / samples), period: Math.max(1, now - oldest) };
}

/**
 * LATENCY DOCTOR: one line per event with Redis's figures (spikes, average, mean
 * deviation, seconds between spikes, worst), then advice keyed to the events seen,
 * as Redis's report gives it. The advice is Bunker's own wording: it is read by
 * people, and some of Redis's (fork(), jemalloc) is about machinery Bunker lacks.
 */
export function latencyDoctor(events: ReadonlyMap<string, LatencyEvent>, context: DoctorContext, now = Math.floor(Date.now() / 1000)): string {
  if (events.size === 0 && context.threshold === 0) {
    return 'Latency monitoring is disabled. Enable it with "CONFIG SET latency-monitor-threshold <milliseconds>": events that take at least that long are then recorded.\n';
  }
  const advice = new Set<string>();
  let report = "";
  let number = 0;
  for (const [name, event] of events) {
    if (number++ === 0) report += "Latency spikes were recorded in this instance:\n\n";
    const stats = analyzeEvent(event, now);
    report += `${number}. ${name}: ${stats.samples} latency spikes (average ${stats.avg}ms, mean deviation ${stats.mad}ms, period ${(stats.period / stats.samples).toFixed(2)} sec). Worst all time event ${event.max}ms.\n`;
    if (name === "command") {
      if (context.slowlogSlowerThan < 0) advice.add(`- Slow commands cause some of the spikes, and the slow log is off. Turn it on with 'CONFIG SET slowlog-log-slower-than ${context.threshold * 1000}' to see which.`);
      else if (context.slowlogSlowerThan / 1000 > context.threshold) advice.add(`- The slow log only keeps commands slower than the latency threshold; 'CONFIG SET slowlog-log-slower-than ${context.threshold * 1000}' makes it keep the ones these spikes count.`);
      advice.add("- SLOWLOG GET lists the slowest commands with their arguments: commands over large values (KEYS, SMEMBERS or HGETALL of big collections, SORT, range queries) are the usual cause.");
      advice.add("- Deleting, expiring or evicting a very large value is done in one go: split such values into smaller keys, or delete them with UNLINK.");
    }
    if (name === "fast-command") advice.add("- Commands that should take microseconds took milliseconds: the machine gave the server too little CPU (check its load, other processes, and 'redis-cli --intrinsic-latency 100').");
    if (name === "expire-cycle") {
      advice.add("- Deleting, expiring or evicting a very large value is done in one go: split such values into smaller keys, or delete them with UNLINK.");
      if (context.hz < 100) advice.add("- Expiring keys in smaller steps helps here: 'CONFIG SET hz 100'.");
    }
    if (name.startsWith("aof-") || name === "rdb-unlink-temp-file") {
      advice.add("- Disk writes stall: keep persistence on a local disk (SSD if possible), away from other disk-heavy processes.");
      if (name === "aof-fsync-always" && context.appendfsync === "always") advice.add("- appendfsync always waits for the disk on every write; 'CONFIG SET appendfsync everysec' waits at most once a second.");
    }
  }
  if (context.anonHugePagesKb > 0) advice.add("- The process uses transparent huge pages, which make memory copies and persistence stall: 'echo never > /sys/kernel/mm/transparent_hugepage/enabled' (then restart the server).");
  if (number === 0 && advice.size === 0) return "No latency spike was recorded since the server started.\n";
  if (advice.size === 0) return `${report}\nNo advice fits these events.\n`;
  return `${report}\nAdvice:\n\n${[...advice].join("\n")}\n`;
}
