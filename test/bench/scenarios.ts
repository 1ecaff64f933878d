/**
 * The four scenarios of `npm run bench`. Each starts the processes it measures, drives them from
 * the load generator's process, reads what reached the emulator, and stops them again.
 */
import { accountId } from "./accounts.js";
import type { ClosedLoopPlan, LoadResult, Shape, SinglePlan, SingleResult } from "./load.js";
import { assertAlive, stopChild, type Child } from "./processes.js";
import { configureEmulator, portraitGets, resetCalls, upstreamFigures, type UpstreamFigures } from "./upstream.js";

export interface BenchSettings {
  seconds: number;
  warmupSeconds: number;
  /** Ok answers the warm-up needs per service process, and its longest length. */
  warmupRequests: number;
  warmupMaxSeconds: number;
  clients: number;
  staggerMs: number;
  /** Storm runs per configuration, in ABC, CBA, ABC… order. */
  stormRounds: number;
  accounts: number;
  latencyMs: number;
  rateLimit: number;
  fanOutIds: number;
  /** Unmeasured fan-outs first: the list path of a fresh process is not warm from the storms. */
  fanOutWarmups: number;
  fanOutReps: number;
  overheadRounds: number;
  overheadSeconds: number;
  overheadClients: number;
}

/** What the scenarios need from the orchestrator. */
export interface Bench {
  settings: BenchSettings;
  emulator: Child;
  /** Bearer tokens, one per client. */
  tokens: string[];
  /** The direct REST path to portrait_get, up to `random=` (pre-minted UserSig). */
  restPath: string;
  run(plan: ClosedLoopPlan): Promise<LoadResult>;
  runOne(plan: SinglePlan): Promise<SingleResult>;
  /**
   * Start `count` service processes; `env` is added to the common environment. `build` runs
   * another build's `dist/src/main.js` (`root`) and passes `nodeArgs` to node (profiling).
   */
  startServices(
    count: number,
    env: Record<string, string>,
    build?: { root?: string; nodeArgs?: string[] },
  ): Promise<Child[]>;
  startBaseline(): Promise<Child>;
}

export interface StormResult extends LoadResult {
  upstream: UpstreamFigures;
  /** Service CPU ms per ok request, and share of one core over the window. */
  cpuMsPerRequest: number | null;
  serviceCoreShare: number | null;
  /** Share of the window a service event loop spent runnable but waiting for its core (per process). */
  serviceWaitShare: number | null;
  driverCoreShare: number | null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const origin = (child: Child) => new URL(child.url).origin;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** One closed-loop storm of single-id reads against `targets`, with the emulator set as given. */
export async function storm(
  bench: Bench,
  shape: Shape,
  targets: Child[],
  upstream: { rateLimit: number; latencyMs: number },
  overrides: Partial<
    Pick<ClosedLoopPlan, "clients" | "seconds" | "warmupSeconds" | "warmupRequests" | "accounts">
  > = {},
): Promise<StormResult> {
  const { settings, emulator } = bench;
  await configureEmulator(emulator.url, upstream);
  await pause(1_100); // the emulator's bucket holds one second of calls: let it refill
  await resetCalls(emulator.url);
  const result = await bench.run({
    type: "closed-loop",
    shape,
    targets: shape === "rest-user" ? [emulator.url] : targets.map(origin),
    restPath: bench.restPath,
    tokens: bench.tokens,
    accounts: overrides.accounts ?? settings.accounts,
    clients: overrides.clients ?? settings.clients,
    staggerMs: settings.staggerMs,
    warmupSeconds: overrides.warmupSeconds ?? settings.warmupSeconds,
    warmupRequests: overrides.warmupRequests ?? settings.warmupRequests * Math.max(1, targets.length),
    warmupMaxSeconds: Math.max(settings.warmupMaxSeconds, overrides.warmupSeconds ?? 0),
    seconds: overrides.seconds ?? settings.seconds,
    watch: { service: targets.map((t) => t.pid), emulator: [emulator.pid] },
  });
  assertAlive([...targets, emulator]);
  const figures = upstreamFigures(await portraitGets(emulator.url), result.windowStart, result.windowEnd);
  const service = result.cpuMs.service ?? null;
  const emulatorCpu = result.cpuMs.emulator ?? null;
  const window = result.cpuWindowMs || 1;
  return {
    ...result,
    upstream: figures,
    cpuMsPerRequest: service === null || result.ok === 0 ? null : service / result.ok,
    serviceCoreShare: service === null ? null : service / window,
    serviceWaitShare:
      result.waitMs.service == null || targets.length === 0 ? null : result.waitMs.service / window / targets.length,
    driverCoreShare: emulatorCpu === null ? null : (emulatorCpu + result.loadCpuMs) / window,
  };
}

export interface FanOutRow {
  target: string;
  perCall: number | null;
  reps: number;
  medianMs: number;
  allMs: number[];
  callsPerRequest: number;
  accountsPerCall: number;
  throttled: number;
  /** CPU ms the answering process spent per request, the mean over the reps (/proc counts in 10 ms ticks). */
  cpuMs: number | null;
  errors: string[];
}

/** One request over `fanOutIds` distinct accounts, `reps` times, each with accounts not asked before. */
export async function fanOut(bench: Bench, service: Child, baseline: Child): Promise<FanOutRow[]> {
  const { settings, emulator } = bench;
  await configureEmulator(emulator.url, { rateLimit: settings.rateLimit, latencyMs: settings.latencyMs });
  const n = settings.fanOutIds;
  let nextId = 0;
  const freshIds = () => Array.from({ length: n }, () => accountId(nextId++ % settings.accounts));
  const variants: { target: string; perCall: number | null; reps: number; plan: (ids: string[]) => SinglePlan }[] = [
    {
      target: `portrait-graph users(ids: ${n})`,
      perCall: null,
      reps: settings.fanOutReps,
      plan: (ids) => ({
        type: "single",
        shape: "graphql-users",
        target: origin(service),
        watchPid: service.pid,
        token: bench.tokens[0]!,
        ids,
      }),
    },
    {
      target: `baseline, ${Math.ceil(n / 100)} calls of 100`,
      perCall: 100,
      reps: settings.fanOutReps,
      plan: (ids) => ({
        type: "single",
        shape: "baseline-users",
        target: origin(baseline),
        watchPid: baseline.pid,
        token: "",
        ids,
        perCall: 100,
      }),
    },
    {
      target: `baseline, ${n} calls of 1 (N+1)`,
      perCall: 1,
      reps: 1,
      plan: (ids) => ({
        type: "single",
        shape: "baseline-users",
        target: origin(baseline),
        watchPid: baseline.pid,
        token: "",
        ids,
        perCall: 1,
      }),
    },
  ];
  const rows: FanOutRow[] = [];
  for (const variant of variants) {
    // N+1 runs the baseline's code that the 10 × 100 variant has just warmed (and takes 5 s a go).
    for (let i = 0; i < (variant.perCall === 1 ? 0 : settings.fanOutWarmups); i++)
      await bench.runOne(variant.plan(freshIds()));
    const ms: number[] = [];
    const cpu: number[] = [];
    const errors: string[] = [];
    let calls = 0;
    let accounts = 0;
    let throttled = 0;
    for (let rep = 0; rep < variant.reps; rep++) {
      await pause(1_100);
      await resetCalls(emulator.url);
      const result = await bench.runOne(variant.plan(freshIds()));
      assertAlive([service, baseline, emulator]);
      const gets = await portraitGets(emulator.url);
      ms.push(result.ms);
      if (result.cpuMs !== null) cpu.push(result.cpuMs);
      if (!result.ok) errors.push(result.error ?? "wrong answer");
      calls += gets.length;
      accounts += gets.reduce((sum, c) => sum + (c.accounts?.length ?? 0), 0);
      throttled += gets.filter((c) => c.outcome === 60007).length;
    }
    rows.push({
      target: variant.target,
      perCall: variant.perCall,
      reps: variant.reps,
      medianMs: median(ms),
      allMs: ms,
      callsPerRequest: calls / variant.reps,
      accountsPerCall: calls ? accounts / calls : 0,
      throttled,
      cpuMs: cpu.length === variant.reps ? cpu.reduce((a, b) => a + b, 0) / cpu.length : null,
      errors,
    });
  }
  return rows;
}

export interface StormConfig {
  key: string;
  shape: Shape;
  targets: Child[];
  upstream: { rateLimit: number; latencyMs: number };
}

/** The runs of one configuration, and the run with the median ok req/s (the one reported). */
export interface StormSeries {
  runs: StormResult[];
  median: StormResult;
  okPerSecond: { min: number; max: number };
  p99: { min: number; max: number };
}

/**
 * Every configuration `stormRounds` times, in ABC, CBA, ABC… order, so that a change in the
 * machine's other load falls on all of them alike. The first run of a configuration warms its
 * fresh processes (thousands of requests); later ones only re-open connections.
 */
export async function stormRounds(bench: Bench, configs: StormConfig[]): Promise<Record<string, StormSeries>> {
  const runs = new Map<string, StormResult[]>(configs.map((c) => [c.key, []]));
  for (let round = 0; round < bench.settings.stormRounds; round++) {
    for (const config of round % 2 === 0 ? configs : [...configs].reverse()) {
      const done = runs.get(config.key)!;
      const warm = done.length > 0 ? { warmupSeconds: bench.settings.warmupSeconds, warmupRequests: 0 } : {};
      done.push(await storm(bench, config.shape, config.targets, config.upstream, warm));
    }
  }
  const series: Record<string, StormSeries> = {};
  for (const [key, list] of runs) {
    const sorted = [...list].sort((a, b) => a.okPerSecond - b.okPerSecond);
    series[key] = {
      runs: list,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      okPerSecond: { min: sorted[0]!.okPerSecond, max: sorted.at(-1)!.okPerSecond },
      p99: { min: Math.min(...list.map((r) => r.p99)), max: Math.max(...list.map((r) => r.p99)) },
    };
  }
  return series;
}

/** The cap-200 storm over 1 and over 3 replicas, each set on its own Redis budget, in rounds. */
export async function replicas(
  bench: Bench,
  redisUrl: string,
  prefix: (count: number) => string,
): Promise<Record<"one" | "three", StormSeries>> {
  const start = (count: number) =>
    bench.startServices(count, { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix(count), REPLICAS: String(count) });
  const [one, three] = [await start(1), await start(3)];
  const upstream = { rateLimit: bench.settings.rateLimit, latencyMs: bench.settings.latencyMs };
  try {
    const series = await stormRounds(bench, [
      { key: "one", shape: "graphql-user", targets: one, upstream },
      { key: "three", shape: "graphql-user", targets: three, upstream },
    ]);
    return { one: series.one!, three: series.three! };
  } finally {
    await Promise.all([...one, ...three].map((s) => stopChild(s)));
  }
}

export interface OverheadResult {
  rounds: { direct: LoadResult; graphql: StormResult; ratio: number }[];
  medianRatio: number;
  minRatio: number;
  maxRatio: number;
  direct: { okPerSecond: number; p50: number; p99: number };
  graphql: { okPerSecond: number; p50: number; p99: number; cpuMsPerRequest: number | null; accountsPerCall: number };
}

/** One profile through GraphQL vs the same portrait_get sent straight to the emulator, ABBA rounds. */
export async function overhead(
  bench: Bench,
  service: Child,
  options: { accounts?: number; warmupRequests?: number } = {},
): Promise<OverheadResult> {
  const { overheadClients: clients, overheadSeconds: seconds, overheadRounds } = bench.settings;
  // A service warm from storm (c) needs only a short warm-up per run; a fresh one asks for more.
  const plan = {
    clients,
    seconds,
    warmupSeconds: 1,
    warmupRequests: options.warmupRequests ?? 0,
    ...(options.accounts ? { accounts: options.accounts } : {}),
  };
  const off = { rateLimit: 0, latencyMs: 0 };
  const rounds: OverheadResult["rounds"] = [];
  for (let round = 0; round < overheadRounds; round++) {
    const directFirst = round % 2 === 0;
    const direct = directFirst ? await storm(bench, "rest-user", [], off, plan) : undefined;
    const graphql = await storm(
      bench,
      "graphql-user",
      [service],
      off,
      round === 0 ? plan : { ...plan, warmupRequests: 0 },
    );
    const directLast = direct ?? (await storm(bench, "rest-user", [], off, plan));
    rounds.push({ direct: directLast, graphql, ratio: graphql.okPerSecond / directLast.okPerSecond });
  }
  const ratios = rounds.map((r) => r.ratio);
  const pick = (f: (r: OverheadResult["rounds"][number]) => number) => median(rounds.map(f));
  const cpu = rounds.map((r) => r.graphql.cpuMsPerRequest).filter((v): v is number => v !== null);
  return {
    rounds,
    medianRatio: median(ratios),
    minRatio: Math.min(...ratios),
    maxRatio: Math.max(...ratios),
    direct: {
      okPerSecond: pick((r) => r.direct.okPerSecond),
      p50: pick((r) => r.direct.p50),
      p99: pick((r) => r.direct.p99),
    },
    graphql: {
      okPerSecond: pick((r) => r.graphql.okPerSecond),
      p50: pick((r) => r.graphql.p50),
      p99: pick((r) => r.graphql.p99),
      cpuMsPerRequest: cpu.length ? median(cpu) : null,
      accountsPerCall: pick((r) => r.graphql.upstream.accountsPerCall),
    },
  };
}
