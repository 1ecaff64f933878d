/**
 * The bench's selection of scenarios (BENCH_SCENARIOS) and the two scenarios of issue 14 that run
 * after the storms: hot-set (reads with the cache on) and live (subscription fan-out). run.ts
 * calls `runCacheAndLive` with its bench and adds the text and results it returns.
 *
 * Knobs: BENCH_SCENARIOS (`storm,overhead,hotset,live`, the default: all; `storm` is the storm,
 * fan-out, replicas and overhead scenarios; `overhead` alone runs only the overhead rounds, each
 * side on a fresh service); BENCH_HOTSET_SECONDS (8),
 * BENCH_HOTSET_CLIENTS (BENCH_CLIENTS, 128), BENCH_HOTSET_WRITES (20 changes/s);
 * BENCH_LIVE_ROWS (`1000x10,1000x100,1000x100:bare,10000x10`: subscribers × changes/s, `:bare`
 * without `user { profile }`), BENCH_LIVE_REPLICAS (`1,3`: replica counts on Redis, `none`),
 * BENCH_LIVE_REPLICA_ROWS (`1000x100`), BENCH_LIVE_SECONDS (8), BENCH_LIVE_WARMUP_SECONDS (2: an
 * unmeasured run of the first row on each fresh set of services), BENCH_LIVE_IDS (10 ids per
 * subscriber, over a pool of BENCH_LIVE_POOL = 1000 accounts), BENCH_LIVE_PER_CONNECTION (20, the
 * service's default MAX_SUBSCRIPTIONS_PER_CONNECTION), BENCH_LIVE_STAGGER_MS (2, between connections).
 */
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { hotSet, type Extras, type HotSetRow, type HotSetSettings } from "./hotset.js";
import { live, parseLiveRows, type LiveRow, type LiveSettings } from "./live.js";
import { hotSetTable, liveTable } from "./report.live.js";
import type { Bench } from "./scenarios.js";

export const SCENARIOS = ["storm", "overhead", "hotset", "live"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** BENCH_SCENARIOS as a set; every scenario when unset. */
export function selectedScenarios(text = process.env.BENCH_SCENARIOS ?? ""): Set<Scenario> {
  const names = text
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  for (const name of names)
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`BENCH_SCENARIOS=${text} is invalid: expected a comma list of ${SCENARIOS.join(", ")}`);
  const selected = new Set<Scenario>(names.length ? (names as Scenario[]) : SCENARIOS);
  // The storm's run includes the overhead rounds (on its warm throttle-off service).
  if (selected.has("storm")) selected.add("overhead");
  return selected;
}

/** latest.json for a full run; partial-<names>.json (git-ignored) otherwise, so a dev run keeps the recorded one. */
export function resultsFile(selected: ReadonlySet<Scenario>): string {
  return selected.size === SCENARIOS.length
    ? "latest.json"
    : `partial-${SCENARIOS.filter((s) => selected.has(s)).join("-")}.json`;
}

const knob = (name: string, fallback: number, min = 1) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value >= min)) throw new Error(`${name}=${process.env[name]} is invalid: expected a number >= ${min}`);
  return value;
};

export function hotSetSettings(bench: Bench): HotSetSettings {
  return {
    accounts: 10_000,
    hotAccounts: 1_000,
    hotShare: 0.9,
    pageSize: 20,
    writesPerSecond: knob("BENCH_HOTSET_WRITES", 20),
    clients: knob("BENCH_HOTSET_CLIENTS", bench.settings.clients),
    seconds: knob("BENCH_HOTSET_SECONDS", 8),
    warmupSeconds: knob("BENCH_WARMUP_SECONDS", 2, 0) + 1,
  };
}

export function liveSettings(): LiveSettings {
  const replicas = process.env.BENCH_LIVE_REPLICAS ?? "1,3";
  return {
    rows: parseLiveRows("BENCH_LIVE_ROWS", process.env.BENCH_LIVE_ROWS ?? "1000x10,1000x100,1000x100:bare,10000x10"),
    replicas:
      replicas === "none"
        ? []
        : replicas.split(",").map((n) => {
            if (!(Number(n) >= 1))
              throw new Error(`BENCH_LIVE_REPLICAS=${replicas} is invalid: expected e.g. 1,3 or none`);
            return Number(n);
          }),
    replicaRows: parseLiveRows("BENCH_LIVE_REPLICA_ROWS", process.env.BENCH_LIVE_REPLICA_ROWS ?? "1000x100"),
    seconds: knob("BENCH_LIVE_SECONDS", 8),
    warmupSeconds: knob("BENCH_LIVE_WARMUP_SECONDS", 2, 0),
    pool: knob("BENCH_LIVE_POOL", 1000),
    idsPerSubscriber: knob("BENCH_LIVE_IDS", 10),
    perConnection: knob("BENCH_LIVE_PER_CONNECTION", 20),
    staggerMs: knob("BENCH_LIVE_STAGGER_MS", 2, 0),
  };
}

export interface CacheAndLive {
  text: string;
  results: {
    hotSet?: { settings: HotSetSettings; rows: HotSetRow[] };
    live?: { settings: LiveSettings; rows: LiveRow[] };
    [scenario: string]: unknown;
  };
}

export async function runCacheAndLive(
  bench: Bench,
  extras: Extras,
  selected: ReadonlySet<Scenario>,
): Promise<CacheAndLive> {
  const text: string[] = [];
  const results: CacheAndLive["results"] = {};
  if (selected.has("hotset")) {
    const settings = hotSetSettings(bench);
    const rows = await hotSet(bench, extras, settings);
    results.hotSet = { settings, rows };
    text.push(hotSetTable(rows, settings), "");
  }
  if (selected.has("live")) {
    const settings = liveSettings();
    if (!extras.redisUrl) console.error("! Redis not reachable: the live scenario's replica rows are skipped");
    const rows = await live(bench, extras, settings);
    results.live = { settings, rows };
    text.push(liveTable(rows, settings), "");
  }
  return { text: text.join("\n"), results };
}

/** A run without the storms: its own short header, its tables, and partial-<names>.json. */
export async function writePartial(
  dir: string,
  selected: ReadonlySet<Scenario>,
  run: {
    startedAt: Date;
    loadAverages: number[];
    pinning: { service: number; driver: number } | undefined;
    redisLeft: number | undefined;
  },
  extra: CacheAndLive,
): Promise<void> {
  const root = join(dir, "..", "..", "..");
  const commit =
    spawnSync("git", ["describe", "--always", "--dirty"], { cwd: root, encoding: "utf8" }).stdout.trim() || "unknown";
  run.loadAverages.push(os.loadavg()[0]!);
  const meta = {
    date: run.startedAt.toISOString(),
    commit,
    node: process.version,
    cpu: `${os.cpus().length}× ${os.cpus()[0]?.model ?? "unknown CPU"}`,
    loadAverage1m: { min: Math.min(...run.loadAverages), max: Math.max(...run.loadAverages) },
    pinning: run.pinning
      ? `taskset: service(s) on CPU ${run.pinning.service}; load generator, subscribers, emulator and orchestrator on CPU ${run.pinning.driver}`
      : "none",
    redisKeysLeft: run.redisLeft ?? null,
    scenarios: [...selected],
  };
  const text = [
    `portrait-graph bench (${meta.scenarios.join(", ")}) — ${meta.date}, commit ${commit}, Node ${meta.node}, ${meta.cpu}`,
    `load average (1 min) during the run: ${meta.loadAverage1m.min.toFixed(2)}–${meta.loadAverage1m.max.toFixed(2)}; pinning: ${meta.pinning}`,
    "",
    extra.text,
  ].join("\n");
  console.log(`\n${text}\n`);
  await mkdir(dir, { recursive: true });
  const file = resultsFile(selected);
  await writeFile(join(dir, file), `${JSON.stringify({ meta, ...extra.results, table: text }, null, 2)}\n`);
  console.log(`wrote ${join("test/bench/results", file)}`);
}
