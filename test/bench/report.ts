/**
 * The bench's results as Markdown tables (printed, and pasted into the README) and the targets,
 * each reported as met or not met with its figure. Nothing here asserts: a missed target is a
 * finding, not a failure.
 */
import type { FanOutRow, OverheadResult, StormResult, StormSeries } from "./scenarios.js";

export interface Target {
  name: string;
  met: boolean;
  figure: string;
}

export interface Storms {
  capped: StormSeries;
  baseline: StormSeries;
  uncapped: StormSeries;
}

export interface Replicas {
  one: StormSeries;
  three: StormSeries;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number | null) => (n === null ? "n/a" : `${Math.round(n * 100)}%`);
const lowerMedian = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
const cpu = (r: StormResult) =>
  r.cpuMsPerRequest === null
    ? "n/a"
    : `${r.cpuMsPerRequest.toFixed(2)} (ran ${pct(r.serviceCoreShare)}, waited ${pct(r.serviceWaitShare)})`;
const range = (s: StormSeries) => (s.runs.length > 1 ? ` (${int(s.okPerSecond.min)}–${int(s.okPerSecond.max)})` : "");
const p99 = (s: StormSeries) =>
  `${ms(s.median.p99)}${s.runs.length > 1 ? ` (${Math.round(s.p99.min)}–${Math.round(s.p99.max)})` : ""}`;

/** 60007 answers over every run of a series. */
const throttled = (s: StormSeries) => s.runs.reduce((sum, r) => sum + r.upstream.throttled, 0);

/** Errors over every run of a series, with their kinds. */
function errors(s: StormSeries): string {
  const kinds: Record<string, number> = {};
  for (const run of s.runs)
    for (const [kind, n] of Object.entries(run.errorKinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
  const total = s.runs.reduce((sum, r) => sum + r.errors, 0);
  return total === 0
    ? "0"
    : `${total} (${Object.entries(kinds)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")})`;
}

/** ok req/s of `a` over `b`, round by round (runs of the same round were measured back to back). */
export function roundRatios(a: StormSeries, b: StormSeries): number[] {
  return a.runs.map((run, i) => run.okPerSecond / b.runs[i]!.okPerSecond);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

export function stormTable(
  storms: Storms,
  label: { clients: number; accounts: number; seconds: number; latencyMs: number; rateLimit: number },
): string {
  const rounds = storms.capped.runs.length;
  const row = (name: string, s: StormSeries) => {
    const r = s.median;
    return [
      name,
      `${int(r.okPerSecond)}${range(s)}`,
      x(r.okPerSecond / storms.baseline.median.okPerSecond),
      ms(r.p50),
      p99(s),
      int(r.upstream.callsPerSecond),
      r.upstream.accountsPerCall.toFixed(1),
      String(throttled(s)),
      errors(s),
      cpu(r),
      pct(r.driverCoreShare),
    ];
  };
  const cap = `cap ${label.rateLimit}/s, ${label.latencyMs} ms`;
  return table(
    [
      `storm: ${label.clients} clients, \`user(id)\` over ${int(label.accounts)} accounts, ${label.seconds} s × ${rounds} rounds`,
      "ok req/s, median run (min–max)",
      "× baseline",
      "p50",
      "p99 (min–max)",
      "upstream calls/s",
      "accounts/call",
      "60007 at emulator (all rounds)",
      "errors (all rounds)",
      "service CPU ms/req (core share it ran, and waited for its core)",
      "load + emulator (share of their core)",
    ],
    [
      row(`(a) portrait-graph, ${cap}`, storms.capped),
      row(`(b) per-request loader baseline, ${cap}`, storms.baseline),
      row(`(c) portrait-graph, throttle off, ${label.latencyMs} ms`, storms.uncapped),
    ],
  );
}

export function fanOutTable(rows: FanOutRow[], label: { ids: number; latencyMs: number; rateLimit: number }): string {
  const ours = rows[0]!;
  return table(
    [
      `fan-out: one request over ${int(label.ids)} distinct ids, cap ${label.rateLimit}/s, ${label.latencyMs} ms`,
      "latency (median)",
      "calls",
      "accounts/call",
      "CPU ms of the answering process (mean; 10 ms ticks)",
      "60007",
      "errors",
      "vs portrait-graph",
    ],
    rows.map((r) => [
      `${r.target}${r.reps > 1 ? ` (median of ${r.reps}: ${r.allMs.map((v) => Math.round(v)).join(", ")} ms)` : ""}`,
      ms(r.medianMs),
      int(r.callsPerRequest),
      r.accountsPerCall.toFixed(0),
      r.cpuMs === null ? "n/a" : String(Math.round(r.cpuMs)),
      String(r.throttled),
      String(r.errors.length),
      r === ours
        ? "—"
        : `${x(r.medianMs / ours.medianMs)} the latency, ${x(r.callsPerRequest / ours.callsPerRequest)} the calls`,
    ]),
  );
}

const maxOver = (s: StormSeries, f: (r: StormResult) => number) => Math.max(...s.runs.map(f));

export function replicasTable(replicas: Replicas, rateLimit: number): string {
  const rounds = replicas.one.runs.length;
  const row = (name: string, s: StormSeries) => {
    const r = s.median;
    const calendar = maxOver(s, (run) => run.upstream.maxPerCalendarSecond);
    return [
      name,
      `${int(r.okPerSecond)}${range(s)}`,
      ms(r.p50),
      p99(s),
      int(r.upstream.callsPerSecond),
      r.upstream.accountsPerCall.toFixed(1),
      `${calendar}${calendar > rateLimit ? " (over the budget)" : ""}`,
      String(maxOver(s, (run) => run.upstream.maxPerSlidingSecond)),
      String(throttled(s)),
      errors(s),
      cpu(r),
    ];
  };
  return table(
    [
      `replicas on one Redis budget, the storm of (a), ${rounds} rounds`,
      "ok req/s, median run (min–max)",
      "p50",
      "p99 (min–max)",
      "upstream calls/s",
      "accounts/call",
      "max calls in a calendar second (all rounds)",
      "max in any sliding 1 s",
      "60007",
      "errors",
      "service CPU ms/req (core share all replicas ran; share each waited for it)",
    ],
    [row("1 replica", replicas.one), row("3 replicas", replicas.three)],
  );
}

/** The overhead rounds: cache off (every read goes upstream) and, when run, cache on over a hot set. */
export function overheadTable(
  o: OverheadResult,
  label: { clients: number; seconds: number },
  cached?: { result: OverheadResult; accounts: number },
): string {
  const pair = (r: OverheadResult, what: string) => [
    [
      `direct REST portrait_get to the emulator${what}`,
      int(r.direct.okPerSecond),
      ms(r.direct.p50),
      ms(r.direct.p99),
      "—",
      "1.00×",
    ],
    [
      `GraphQL \`user(id){profile{nick}}\`${what} (${r.graphql.accountsPerCall.toFixed(1)} accounts/call upstream)`,
      int(r.graphql.okPerSecond),
      ms(r.graphql.p50),
      ms(r.graphql.p99),
      r.graphql.cpuMsPerRequest === null ? "n/a" : r.graphql.cpuMsPerRequest.toFixed(3),
      `${x(r.medianRatio)} (${x(r.minRatio)}–${x(r.maxRatio)})`,
    ],
  ];
  return table(
    [
      `overhead: one profile, ${label.clients} clients, no throttle or latency, ${o.rounds.length} ABBA rounds of ${label.seconds} s`,
      "ok req/s (median)",
      "p50",
      "p99",
      "service CPU ms/req",
      "ratio (median, min–max)",
    ],
    [
      ...pair(o, cached ? ", cache off" : ""),
      ...(cached ? pair(cached.result, `, cache on, hot set of ${int(cached.accounts)}`) : []),
    ],
  );
}

/** The CPU targets of issue 15: GraphQL vs direct REST, CPU per cached read, the storm's tail. */
export function cpuTargets(
  storms: Storms | undefined,
  uncached: OverheadResult,
  cached: OverheadResult | undefined,
  limits = { ratio: 0.8, cachedCpuMs: 0.25, tail: 2 },
): Target[] {
  const versus = (o: OverheadResult) =>
    `${x(o.medianRatio)} (rounds ${o.rounds.map((r) => x(r.ratio)).join(", ")}; ${int(o.graphql.okPerSecond)} vs ${int(o.direct.okPerSecond)} req/s)`;
  const s = storms?.capped.median;
  const cachedCpu = cached?.graphql.cpuMsPerRequest ?? null;
  return [
    {
      name: `one profile via GraphQL ≥ ${limits.ratio} × direct REST to the same emulator, cache off`,
      met: uncached.medianRatio >= limits.ratio,
      figure: versus(uncached),
    },
    cached
      ? {
          name: `the same, cache on (hot set)`,
          met: cached.medianRatio >= limits.ratio,
          figure: versus(cached),
        }
      : { name: "the same, cache on", met: false, figure: "not run" },
    {
      name: `service CPU per cached one-profile read ≤ ${limits.cachedCpuMs} ms`,
      met: cachedCpu !== null && cachedCpu <= limits.cachedCpuMs,
      figure: cachedCpu === null ? "not measured" : `${cachedCpu.toFixed(3)} ms (median of rounds)`,
    },
    ...(s
      ? [
          {
            name: `storm p99 ≤ ${limits.tail} × its p50`,
            met: s.p99 <= limits.tail * s.p50,
            figure: `${x(s.p99 / s.p50)} (p50 ${ms(s.p50)}, p99 ${ms(s.p99)} in the median run of (a))`,
          },
        ]
      : []),
  ];
}

export function evaluateTargets(
  storms: Storms,
  fanOut: FanOutRow[],
  replicas: Replicas | undefined,
  latencyMs: number,
  rateLimit: number,
): Target[] {
  const ratios = roundRatios(storms.capped, storms.uncapped);
  const ratio = lowerMedian(ratios);
  const underCap: [string, number][] = [
    ["storm (a)", throttled(storms.capped)],
    ["fan-out", fanOut[0]?.throttled ?? 0],
    ...(replicas
      ? ([
          ["1 replica", throttled(replicas.one)],
          ["3 replicas", throttled(replicas.three)],
        ] as [string, number][])
      : []),
  ];
  const total = underCap.reduce((sum, [, n]) => sum + n, 0);
  const bound = 4 * latencyMs;
  const budget = `3 replicas together never over the ${rateLimit}/s budget`;
  const cpuOf = (s: StormSeries) => s.median.cpuMsPerRequest?.toFixed(2) ?? "n/a";
  return [
    {
      name: "storm under the cap ≥ 0.8 × the same storm with the throttle off",
      met: ratio >= 0.8,
      figure:
        `${x(ratio)} (median of rounds: ${ratios.map(x).join(", ")}; ${int(storms.capped.median.okPerSecond)} vs ${int(storms.uncapped.median.okPerSecond)} req/s;` +
        ` service CPU ms/req ${cpuOf(storms.capped)} capped, ${cpuOf(storms.uncapped)} throttle off)`,
    },
    {
      name: "zero 60007 reaching the emulator from portrait-graph",
      met: total === 0,
      figure: `${total} (${underCap.map(([name, n]) => `${name}: ${n}`).join(", ")})`,
    },
    {
      name: `storm p99 ≤ 4 × the upstream round trip (${bound} ms)`,
      met: storms.capped.median.p99 <= bound,
      figure: `p99 ${ms(storms.capped.median.p99)} in the median run (rounds ${Math.round(storms.capped.p99.min)}–${Math.round(storms.capped.p99.max)} ms; p50 ${ms(storms.capped.median.p50)})`,
    },
    replicas
      ? (() => {
          const calendar = maxOver(replicas.three, (r) => r.upstream.maxPerCalendarSecond);
          return {
            name: budget,
            met: calendar <= rateLimit,
            figure: `max ${calendar} calls in a calendar second over all rounds (${maxOver(replicas.three, (r) => r.upstream.maxPerSlidingSecond)} in any sliding 1 s)`,
          };
        })()
      : { name: budget, met: false, figure: "not run (no Redis)" },
  ];
}

export function targetLines(targets: Target[]): string {
  return targets.map((t) => `- ${t.met ? "met" : "NOT MET"}: ${t.name}: ${t.figure}`).join("\n");
}
