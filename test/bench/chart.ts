/**
 * A hand-written SVG of the storm runs: ok req/s and p99 per configuration, as two panels of
 * horizontal bars sharing the row labels, with a whisker for the spread over rounds. No charting dependency: the whole picture is a few
 * rects and texts.
 */

export interface ChartRow {
  label: string;
  /** Second line under the label (e.g. "cap 200/s, 30 ms"). */
  detail: string;
  okPerSecond: number;
  p99: number;
  /** Spread over rounds, drawn as a whisker. */
  okRange?: { min: number; max: number };
  p99Range?: { min: number; max: number };
}

export interface ChartOptions {
  title: string;
  subtitle: string;
  /** A dashed line in the p99 panel (the p99 target), in ms. */
  p99Target?: number;
}

const ROW = 44;
const TOP = 78;
const LABEL_W = 250;
const PANEL_W = 230;
const GAP = 40;
const WIDTH = LABEL_W + 2 * PANEL_W + GAP + 30;

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

/** A "nice" axis maximum at or above `value`, whose quarters are round numbers too. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10].map((m) => m * power).find((m) => m >= value)!;
}

type Range = { min: number; max: number } | undefined;

function panel(
  x: number,
  title: string,
  values: number[],
  ranges: Range[],
  unit: string,
  colour: string,
  target?: number,
): string[] {
  const max = niceMax(Math.max(...values, ...ranges.map((r) => r?.max ?? 0), target ?? 0));
  const scale = (v: number) => (v / max) * PANEL_W;
  const bottom = TOP + values.length * ROW;
  const parts = [`<text x="${x}" y="${TOP - 14}" class="h">${escape(title)}</text>`];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const tx = x + tick * PANEL_W;
    parts.push(`<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${bottom}" class="grid"/>`);
    parts.push(
      `<text x="${tx}" y="${bottom + 16}" class="tick" text-anchor="middle">${Math.round(tick * max).toLocaleString("en-US")}</text>`,
    );
  }
  values.forEach((v, i) => {
    const y = TOP + i * ROW + 8;
    parts.push(
      `<rect x="${x}" y="${y}" width="${Math.max(1, scale(v)).toFixed(1)}" height="${ROW - 18}" fill="${colour}"/>`,
    );
    const inside = scale(v) > PANEL_W * 0.7;
    const lx = inside ? x + scale(v) - 4 : x + scale(v) + 4;
    parts.push(
      `<text x="${lx.toFixed(1)}" y="${y + ROW / 2 - 4}" class="${inside ? "vi" : "v"}" text-anchor="${inside ? "end" : "start"}">${fmt(v)} ${unit}</text>`,
    );
    const range = ranges[i];
    if (range && range.max > range.min) {
      const wy = y + ROW - 16;
      const [x1, x2] = [x + scale(range.min), x + scale(range.max)];
      parts.push(
        `<path d="M${x1.toFixed(1)} ${wy - 3}v6M${x1.toFixed(1)} ${wy}H${x2.toFixed(1)}M${x2.toFixed(1)} ${wy - 3}v6" class="whisker"/>`,
      );
    }
  });
  if (target !== undefined) {
    const tx = x + scale(target);
    parts.push(`<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${bottom}" class="target"/>`);
    parts.push(`<text x="${tx + 3}" y="${TOP + 2}" class="tick">target ${fmt(target)} ${unit}</text>`);
  }
  return parts;
}

/** The SVG document for `rows`. */
export function stormChart(rows: ChartRow[], options: ChartOptions): string {
  const height = TOP + rows.length * ROW + 44;
  const labels = rows.flatMap((row, i) => {
    const y = TOP + i * ROW + 20;
    return [
      `<text x="8" y="${y}" class="l">${escape(row.label)}</text>`,
      `<text x="8" y="${y + 14}" class="d">${escape(row.detail)}</text>`,
    ];
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<style>.t{font-size:15px;font-weight:600}.s{font-size:11px;fill:#555}.h{font-size:12px;font-weight:600}.l{font-size:12px}.d{font-size:10px;fill:#666}` +
      `.v{font-size:11px}.vi{font-size:11px;fill:#fff}.tick{font-size:10px;fill:#666}.grid{stroke:#e3e3e3}.target{stroke:#c0392b;stroke-dasharray:4 3}.whisker{stroke:#222;fill:none}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="22" class="t">${escape(options.title)}</text>`,
    `<text x="8" y="40" class="s">${escape(options.subtitle)}</text>`,
    ...labels,
    ...panel(
      LABEL_W,
      "ok req/s, median run (higher is better)",
      rows.map((r) => r.okPerSecond),
      rows.map((r) => r.okRange),
      "",
      "#2e86c1",
    ),
    ...panel(
      LABEL_W + PANEL_W + GAP,
      "p99 ms, median run (lower is better)",
      rows.map((r) => r.p99),
      rows.map((r) => r.p99Range),
      "ms",
      "#d68910",
      options.p99Target,
    ),
    `</svg>`,
    "",
  ].join("\n");
}
