// The bgsave section's chart: per dataset, write latency (p50 and p99 per window, log
// scale) and memory (PSS of the server and its children) over time, Redis and Bunker on
// the same axes, x in seconds from the BGSAVE command, each server's save shaded.
//
// Plain SVG text, no dependency: the file is committed (docs/bench/bgsave.svg) and
// rendered by GitHub where the README links it.

/** One latency window: `start` in seconds from the command; NaN percentiles when nothing completed. */
export interface ChartWindow {
  start: number;
  count: number;
  p50: number;
  p99: number;
}

/** One server's run of one dataset. */
export interface ChartSeries {
  server: "redis" | "bunker";
  windows: ChartWindow[];
  /** `at` in seconds from the command. */
  memory: Array<{ at: number; mib: number }>;
  /** From the command to the INFO reply that read the save as done. */
  saveSeconds: number;
  forkMs: number;
  p99Before: number;
  p99During: number;
}

export interface ChartDataset {
  label: string;
  series: ChartSeries[];
}

const COLORS: Record<ChartSeries["server"], string> = { redis: "#d62728", bunker: "#1f77b4" };
const NAMES: Record<ChartSeries["server"], string> = { redis: "Redis", bunker: "Bunker" };

const WIDTH = 1200;
const LATENCY_LEFT = 70;
const LATENCY_WIDTH = 650;
const MEMORY_LEFT = LATENCY_LEFT + LATENCY_WIDTH + 80;
const MEMORY_WIDTH = WIDTH - MEMORY_LEFT - 25;
const HEADER_HEIGHT = 100;
const ROW_TITLE_HEIGHT = 64;
const PANEL_HEIGHT = 200;
const ROW_HEIGHT = ROW_TITLE_HEIGHT + PANEL_HEIGHT + 46;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A step of 1, 2 or 5 times a power of ten that cuts `span` into about `parts` parts. */
function niceStep(span: number, parts: number): number {
  const raw = span / parts;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * power >= raw)!;
  return step * power;
}

function formatTick(value: number): string {
  return Number(value.toPrecision(6)).toString();
}

interface Panel {
  left: number;
  top: number;
  width: number;
  height: number;
  x(seconds: number): number;
}

/** The frame, x ticks and labels, and the save bands and the command's line, shared by both panels of a row. */
function panelFrame(panel: Panel, id: string, xMin: number, xMax: number, series: ChartSeries[]): string[] {
  const out: string[] = [];
  const { left, top, width, height } = panel;
  out.push(`<clipPath id="${id}"><rect x="${left}" y="${top}" width="${width}" height="${height}"/></clipPath>`);
  series.forEach((s, index) => {
    const x0 = panel.x(0);
    const x1 = panel.x(Math.min(xMax, s.saveSeconds));
    out.push(`<rect x="${x0.toFixed(1)}" y="${top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${height}" fill="${COLORS[s.server]}" fill-opacity="0.08"/>`);
    out.push(`<rect x="${x0.toFixed(1)}" y="${top + 1 + index * 5}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="4" fill="${COLORS[s.server]}" fill-opacity="0.7"/>`);
  });
  const step = niceStep(xMax - xMin, 10);
  for (let tick = Math.ceil(xMin / step) * step; tick <= xMax + 1e-9; tick += step) {
    const x = panel.x(tick).toFixed(1);
    out.push(`<line x1="${x}" y1="${top + height}" x2="${x}" y2="${top + height + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${top + height + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  const zero = panel.x(0).toFixed(1);
  out.push(`<line x1="${zero}" y1="${top}" x2="${zero}" y2="${top + height}" stroke="#333" stroke-dasharray="2,2"/>`);
  out.push(`<text x="${left + width / 2}" y="${top + height + 32}" text-anchor="middle" fill="#444">seconds from BGSAVE</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#333"/>`);
  return out;
}

function pathOf(points: Array<[number, number] | null>): string {
  let d = "";
  let pen = false;
  for (const point of points) {
    if (point === null) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${point[0].toFixed(1)},${point[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

function latencyPanel(panel: Panel, id: string, xMin: number, xMax: number, series: ChartSeries[]): string[] {
  const out = panelFrame(panel, id, xMin, xMax, series);
  const { left, top, width, height } = panel;
  const values = series.flatMap((s) => s.windows.flatMap((w) => (w.count > 0 ? [w.p50, w.p99] : [])));
  const lowest = Math.max(0.001, Math.min(...values));
  const highest = Math.max(lowest * 10, Math.max(...values));
  const decadeLow = Math.floor(Math.log10(lowest));
  const decadeHigh = Math.ceil(Math.log10(highest));
  const y = (ms: number) => top + height - ((Math.log10(Math.max(ms, 10 ** decadeLow)) - decadeLow) / (decadeHigh - decadeLow)) * height;
  const labelMinor = decadeHigh - decadeLow <= 3;
  for (let decade = decadeLow; decade <= decadeHigh; decade++) {
    for (const multiple of [1, 2, 5]) {
      const value = multiple * 10 ** decade;
      if (value > 10 ** decadeHigh) break;
      const yy = y(value).toFixed(1);
      out.push(`<line x1="${left}" y1="${yy}" x2="${left + width}" y2="${yy}" stroke="#000" stroke-opacity="${multiple === 1 ? 0.15 : 0.06}"/>`);
      if (multiple === 1 || labelMinor) out.push(`<text x="${left - 6}" y="${Number(yy) + 4}" text-anchor="end">${formatTick(value)}</text>`);
    }
  }
  out.push(`<text transform="translate(${left - 48},${top + height / 2}) rotate(-90)" text-anchor="middle" fill="#444">write latency, ms (log)</text>`);
  for (const s of series) {
    const center = (w: ChartWindow) => panel.x(w.start + (s.windows[1] ? (s.windows[1].start - s.windows[0]!.start) / 2 : 0));
    for (const [field, dash, strokeWidth] of [["p50", "5,3", 1.3], ["p99", "", 1.8]] as const) {
      const d = pathOf(s.windows.map((w) => (w.count > 0 ? [center(w), y(w[field])] : null)));
      out.push(`<path d="${d}" fill="none" stroke="${COLORS[s.server]}" stroke-width="${strokeWidth}"${dash ? ` stroke-dasharray="${dash}"` : ""} clip-path="url(#${id})"/>`);
    }
    // A window in which no request completed: the server answered nobody for 100 ms.
    for (const w of s.windows) {
      if (w.count > 0) continue;
      const x = center(w);
      out.push(`<path d="M${(x - 4).toFixed(1)},${top + 14} L${(x + 4).toFixed(1)},${top + 14} L${x.toFixed(1)},${top + 21} Z" fill="${COLORS[s.server]}"/>`);
    }
  }
  return out;
}

function memoryPanel(panel: Panel, id: string, xMin: number, xMax: number, series: ChartSeries[]): string[] {
  const out = panelFrame(panel, id, xMin, xMax, series);
  const { left, top, width, height } = panel;
  const highest = Math.max(1, ...series.flatMap((s) => s.memory.map((m) => m.mib)));
  const step = niceStep(highest * 1.1, 5);
  const ceiling = Math.ceil((highest * 1.1) / step) * step;
  const y = (mib: number) => top + height - (mib / ceiling) * height;
  for (let tick = 0; tick <= ceiling + 1e-9; tick += step) {
    const yy = y(tick).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${left + width}" y2="${yy}" stroke="#000" stroke-opacity="0.1"/>`);
    out.push(`<text x="${left - 6}" y="${Number(yy) + 4}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  out.push(`<text transform="translate(${left - 52},${top + height / 2}) rotate(-90)" text-anchor="middle" fill="#444">PSS, MiB</text>`);
  for (const s of series) {
    const d = pathOf(s.memory.map((m) => [panel.x(m.at), y(m.mib)]));
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[s.server]}" stroke-width="1.8" clip-path="url(#${id})"/>`);
  }
  return out;
}

function legend(top: number): string[] {
  const out: string[] = [];
  let x = LATENCY_LEFT;
  const item = (swatch: string, label: string, width: number) => {
    out.push(`<g transform="translate(${x},${top})">${swatch}<text x="34" y="4">${escapeXml(label)}</text></g>`);
    x += width;
  };
  for (const server of ["redis", "bunker"] as const) item(`<rect x="0" y="-6" width="26" height="10" fill="${COLORS[server]}"/>`, NAMES[server], 100);
  item(`<line x1="0" y1="0" x2="26" y2="0" stroke="#555" stroke-width="1.8"/>`, "p99 per window", 150);
  item(`<line x1="0" y1="0" x2="26" y2="0" stroke="#555" stroke-width="1.3" stroke-dasharray="5,3"/>`, "p50 per window", 150);
  item(`<rect x="0" y="-6" width="26" height="10" fill="#555" fill-opacity="0.15"/><rect x="0" y="-6" width="26" height="3" fill="#555"/>`, "the save (BGSAVE to rdb_bgsave_in_progress:0)", 340);
  item(`<path d="M9,-4 L17,-4 L13,3 Z" fill="#555"/>`, "no reply in the window", 200);
  return out;
}

/** The whole chart as SVG text. */
export function renderBgsaveChart(datasets: ChartDataset[], text: { title: string; subtitle: string }): string {
  const height = HEADER_HEIGHT + datasets.length * ROW_HEIGHT;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LATENCY_LEFT}" y="28" font-size="18" font-weight="bold">${escapeXml(text.title)}</text>`,
    `<text x="${LATENCY_LEFT}" y="50" fill="#444">${escapeXml(text.subtitle)}</text>`,
    ...legend(78),
  ];
  datasets.forEach((dataset, index) => {
    const rowTop = HEADER_HEIGHT + index * ROW_HEIGHT;
    const top = rowTop + ROW_TITLE_HEIGHT;
    const xMin = Math.min(...dataset.series.map((s) => s.windows[0]?.start ?? 0));
    const xMax = Math.max(...dataset.series.flatMap((s) => [s.saveSeconds, ...s.memory.map((m) => m.at), ...s.windows.map((w) => w.start)]));
    const scale = (left: number, width: number) => (seconds: number) => left + ((seconds - xMin) / (xMax - xMin)) * width;
    out.push(`<text x="${LATENCY_LEFT}" y="${rowTop + 16}" font-size="15" font-weight="bold">${escapeXml(dataset.label)}</text>`);
    dataset.series.forEach((s, i) => {
      const summary = `${NAMES[s.server]}: save ${s.saveSeconds.toFixed(2)} s, latest_fork_usec ${(s.forkMs * 1000).toFixed(0)}, p99 ${s.p99Before.toFixed(2)} ms before, ${s.p99During.toFixed(2)} ms during`;
      out.push(`<text x="${LATENCY_LEFT}" y="${rowTop + 34 + i * 16}" fill="${COLORS[s.server]}">${escapeXml(summary)}</text>`);
    });
    out.push(...latencyPanel({ left: LATENCY_LEFT, top, width: LATENCY_WIDTH, height: PANEL_HEIGHT, x: scale(LATENCY_LEFT, LATENCY_WIDTH) }, `latency${index}`, xMin, xMax, dataset.series));
    out.push(...memoryPanel({ left: MEMORY_LEFT, top, width: MEMORY_WIDTH, height: PANEL_HEIGHT, x: scale(MEMORY_LEFT, MEMORY_WIDTH) }, `memory${index}`, xMin, xMax, dataset.series));
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
