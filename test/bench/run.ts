/**
 * `npm run bench`: portrait-graph against baselines measured in the same run, every party in a
 * process of its own (service(s), emulator, load generator, baseline server), and the service
 * pinned to one core with the load generator and the emulator on the other when `taskset` can.
 *
 * 1. storm: 128 clients (arriving 2 ms apart, closed loop) read one profile each over 20,000
 *    accounts: (a) portrait-graph under the emulator's 200 calls/s throttle with 30 ms latency,
 *    (b) a per-request-loader baseline (one portrait_get per request, same client and cap),
 *    (c) portrait-graph with the throttle off on both sides (the CPU ceiling).
 * 2. fan-out: one `users(ids:)` over 1000 distinct accounts vs the baseline doing the same as
 *    10 calls of 100 (a per-request DataLoader) and as 1000 calls of 1 (N+1).
 * 3. replicas: the storm of (a) over 1 and over 3 replicas sharing one Redis budget.
 * 4. overhead: one profile through GraphQL vs the same portrait_get sent to the emulator directly.
 * 5. hot-set and 6. live (issue 14: reads with the cache on, subscription fan-out): cache-live.ts,
 *    with their knobs. BENCH_SCENARIOS picks scenarios; a partial run writes partial-<names>.json.
 *
 * Writes test/bench/results/latest.json and latest.svg and prints Markdown tables and targets.
 * Knobs (env): BENCH_SECONDS (10); warm-up of at least BENCH_WARMUP_SECONDS (2) and
 * BENCH_WARMUP_REQUESTS (5000 per service process), at most BENCH_WARMUP_MAX_SECONDS (20);
 * BENCH_STORM_ROUNDS (3: ABC, CBA, ABC), BENCH_CLIENTS (128),
 * BENCH_STAGGER_MS (2), BENCH_ACCOUNTS (20000), BENCH_ROUNDS (5), BENCH_OVERHEAD_SECONDS (2),
 * BENCH_PIN (0 turns pinning off), BENCH_REDIS_URL (redis://127.0.0.1:6379; "none" skips replicas).
 * Profiling: `--profile` or BENCH_PROFILE=1 adds CPU profiles (test/bench/profile.ts, written to
 * results/profile.json); BENCH_PROFILE_BASE=<git rev> profiles that revision too; BENCH_PROFILE_ONLY=1
 * skips the fan-out and replicas.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignJWT } from "jose";
import { signUserSig } from "../../src/tencent/usersig.js";
import { accountId, writeEmulatorState } from "./accounts.js";
import { stormChart } from "./chart.js";
import type { LoadResult, SingleResult } from "./load.js";
import { loadChannel, pinningPlan, startChild, stopAll, stopChild, waitReady } from "./processes.js";
import { buildRevision, profileBuilds, profileTables, type ProfiledBuild, type ProfiledRun } from "./profile.js";
import { cleanRedis, redisReachable } from "./redis.js";
import {
  evaluateTargets,
  fanOutTable,
  cpuTargets,
  overheadTable,
  replicasTable,
  stormTable,
  targetLines,
  type Replicas,
} from "./report.js";
import { resultsFile, runCacheAndLive, selectedScenarios, writePartial } from "./cache-live.js";
import type { Extras } from "./hotset.js";
import { fanOut, overhead, replicas, stormRounds, type Bench, type BenchSettings } from "./scenarios.js";

const knob = (name: string, fallback: number, min = 1) => {
  const value = Number(process.env[name] ?? fallback);
  if (!(value >= min)) throw new Error(`${name}=${process.env[name]} is invalid: expected a number >= ${min}`);
  return value;
};
const settings: BenchSettings = {
  seconds: knob("BENCH_SECONDS", 10),
  warmupSeconds: knob("BENCH_WARMUP_SECONDS", 2, 0),
  warmupRequests: knob("BENCH_WARMUP_REQUESTS", 5000, 0),
  warmupMaxSeconds: knob("BENCH_WARMUP_MAX_SECONDS", 20),
  clients: knob("BENCH_CLIENTS", 128),
  staggerMs: knob("BENCH_STAGGER_MS", 2),
  stormRounds: knob("BENCH_STORM_ROUNDS", 3),
  accounts: knob("BENCH_ACCOUNTS", 20_000),
  latencyMs: 30,
  rateLimit: 200,
  fanOutIds: 1000,
  fanOutWarmups: 10,
  fanOutReps: 5,
  overheadRounds: knob("BENCH_ROUNDS", 5),
  overheadSeconds: knob("BENCH_OVERHEAD_SECONDS", 2),
  overheadClients: 16,
};
const APP = { sdkAppId: 1400000000, secretKey: "portrait-graph-bench-secret-key", admin: "administrator" };
const JWT = {
  secret: randomBytes(32).toString("base64url"),
  issuer: "portrait-graph-bench",
  audience: "portrait-graph",
};
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `pg-bench:${randomBytes(4).toString("hex")}:`;
const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "..", "..", "..");
const RESULTS = join(root, "test", "bench", "results");
const pin = pinningPlan();
// --profile / BENCH_PROFILE=1: CPU profiles (test/bench/profile.ts); BENCH_PROFILE_ONLY=1 skips the
// storm rounds, fan-out and replicas (profiles and overhead only).
const PROFILE = process.argv.includes("--profile") || process.env.BENCH_PROFILE === "1";
const PROFILE_ONLY = PROFILE && process.env.BENCH_PROFILE_ONLY === "1";
const PROFILE_BASE = process.env.BENCH_PROFILE_BASE;
/** The overhead scenario's cache-on rounds read this many accounts (mostly cache hits). */
const HOT_SET = 1000;
const selected = selectedScenarios();

async function main() {
  const startedAt = new Date();
  const loadAverages: number[] = [os.loadavg()[0]!];
  const sampler = setInterval(() => loadAverages.push(os.loadavg()[0]!), 5_000);
  // The orchestrator only waits during the runs; it sits with the load generator.
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", String(pin.driver), String(process.pid)], { stdio: "ignore" });
  const dir = await mkdtemp(join(os.tmpdir(), "portrait-bench-"));
  const common = {
    TIM_SDKAPPID: String(APP.sdkAppId),
    TIM_SECRET_KEY: APP.secretKey,
    TIM_ADMIN_IDENTIFIER: APP.admin,
    TIM_CUSTOM_TAGS: "Test:string",
  };
  let redisLeft: number | undefined;
  const withRedis = await redisReachable(REDIS_URL);
  let base: Awaited<ReturnType<typeof buildRevision>> | undefined;
  try {
    if (PROFILE_BASE) {
      console.error(`· building ${PROFILE_BASE} in a git worktree to profile it too`);
      base = await buildRevision(root, PROFILE_BASE);
    }
    const stateFile = join(dir, "emulator.json");
    await writeEmulatorState(stateFile, settings.accounts, APP.admin);
    const emulator = await startChild({
      name: "emulator",
      script: join(root, "dist/src/emulator/main.js"),
      cpu: pin?.driver,
      ready: /listening on (\S+)[\s\S]*accounts: \d+/,
      env: {
        ...common,
        TIM_EMULATOR_HOST: "127.0.0.1",
        TIM_EMULATOR_PORT: "0",
        TIM_EMULATOR_DATA: stateFile,
        TIM_EMULATOR_SEED: "none",
        TIM_EMULATOR_RATE_LIMIT: String(settings.rateLimit),
        TIM_EMULATOR_LATENCY_MS: String(settings.latencyMs),
      },
    });
    const loaded = /accounts: (\d+)/.exec(emulator.output())?.[1];
    if (Number(loaded) !== settings.accounts + 1)
      throw new Error(`the emulator loaded ${loaded} accounts, expected ${settings.accounts + 1}`);
    const load = await startChild({
      name: "load generator",
      script: join(here, "load.js"),
      cpu: pin?.driver,
      ipc: true,
      ready: /ready at (\S+)/,
      env: { BENCH_LOAD_CHILD: "1" },
    });
    const send = loadChannel(load);
    const key = new TextEncoder().encode(JWT.secret);
    const tokens = await Promise.all(
      Array.from({ length: settings.clients }, (_, i) =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(accountId(i))
          .setIssuer(JWT.issuer)
          .setAudience(JWT.audience)
          .setIssuedAt()
          .setExpirationTime("2h")
          .sign(key),
      ),
    );
    const sig = signUserSig({
      sdkAppId: APP.sdkAppId,
      secretKey: APP.secretKey,
      identifier: APP.admin,
      expireSeconds: 7200,
    });
    let started = 0;
    const bench: Bench = {
      settings,
      emulator,
      tokens,
      restPath: `/v4/profile/portrait_get?sdkappid=${APP.sdkAppId}&identifier=${APP.admin}&usersig=${sig}&contenttype=json&random=`,
      run: (plan) => send<LoadResult>(plan),
      runOne: (plan) => send<SingleResult>(plan),
      async startServices(count, env, build) {
        const children = await Promise.all(
          Array.from({ length: count }, () =>
            startChild({
              name: `service ${++started}`,
              script: join(build?.root ?? root, "dist/src/main.js"),
              cpu: pin?.service,
              ...(build?.nodeArgs ? { nodeArgs: build.nodeArgs } : {}),
              ready: /ready at (\S+)/,
              env: {
                ...common,
                PORT: "0",
                HOST: "127.0.0.1",
                NODE_ENV: "production",
                LOG_LEVEL: "warn",
                TIM_BASE_URL: emulator.url,
                AUTH_JWT_SECRET: JWT.secret,
                AUTH_ISSUER: JWT.issuer,
                AUTH_AUDIENCE: JWT.audience,
                SHUTDOWN_TIMEOUT_MS: "2000",
                ...env,
              },
            }),
          ),
        );
        await Promise.all(children.map(waitReady));
        return children;
      },
      startBaseline: () =>
        startChild({
          name: "baseline",
          script: join(here, "baseline.js"),
          cpu: pin?.service,
          ready: /ready at (\S+)/,
          env: { ...common, TIM_BASE_URL: emulator.url, TIM_RATE_LIMIT: String(settings.rateLimit) },
        }),
    };
    const capped = { rateLimit: settings.rateLimit, latencyMs: settings.latencyMs };
    const step = (text: string) => console.error(`· ${text} (load average ${os.loadavg()[0]!.toFixed(2)})`);
    const extras: Extras = {
      root,
      cpu: { service: pin?.service, driver: pin?.driver },
      common,
      dir,
      send,
      redisUrl: withRedis ? REDIS_URL : undefined,
      redisPrefix: REDIS_PREFIX,
    };
    if (!selected.has("storm")) {
      const alone = selected.has("overhead") ? await overheadAlone(bench, step) : undefined;
      const cacheAndLive = await runCacheAndLive(bench, extras, selected);
      const extra = {
        text: [alone?.text, cacheAndLive.text].filter(Boolean).join("\n"),
        results: { ...alone?.results, ...cacheAndLive.results },
      };
      await stopAll();
      if (withRedis) redisLeft = await cleanRedis(REDIS_URL, REDIS_PREFIX);
      return await writePartial(RESULTS, selected, { startedAt, loadAverages, pinning: pin, redisLeft }, extra);
    }

    step("starting portrait-graph (cap on), portrait-graph (throttle off) and the baseline");
    const [serviceA] = await bench.startServices(1, { TIM_RATE_LIMIT: String(settings.rateLimit) });
    const [serviceC] = await bench.startServices(1, { TIM_RATE_LIMIT: "0" });
    const baseline = await bench.startBaseline();
    step(`storm (a), (b), (c): ${settings.stormRounds} rounds`);
    const series = await stormRounds(bench, [
      { key: "capped", shape: "graphql-user", targets: [serviceA!], upstream: capped },
      { key: "baseline", shape: "baseline-user", targets: [baseline], upstream: capped },
      {
        key: "uncapped",
        shape: "graphql-user",
        targets: [serviceC!],
        upstream: { rateLimit: 0, latencyMs: settings.latencyMs },
      },
    ]);
    const storms = { capped: series.capped!, baseline: series.baseline!, uncapped: series.uncapped! };
    step(PROFILE_ONLY ? "fan-out: skipped (BENCH_PROFILE_ONLY)" : "fan-out");
    const fanOutRows = PROFILE_ONLY ? [] : await fanOut(bench, serviceA!, baseline);
    step("overhead: GraphQL vs direct REST, cache off");
    const overheadResult = await overhead(bench, serviceC!);
    await Promise.all([serviceA!, serviceC!, baseline].map((child) => stopChild(child)));
    // Cache on, over a hot set, so most reads are hits: a fresh process, warmed by the first round.
    step(`overhead: cache on, hot set of ${HOT_SET} accounts`);
    const [serviceCached] = await bench.startServices(1, { TIM_RATE_LIMIT: "0", PROFILE_CACHE_TTL_MS: "600000" });
    const cachedOverhead = await overhead(bench, serviceCached!, {
      accounts: HOT_SET,
      warmupRequests: settings.warmupRequests,
    });
    await stopChild(serviceCached!);
    let profiles: ProfiledRun[] = [];
    if (PROFILE) {
      const current: ProfiledBuild = { label: "current", commit: gitDescribe(), root };
      step(`CPU profiles: ${[...(base ? [base.label] : []), current.label].join(", ")}`);
      profiles = await profileBuilds(bench, [...(base ? [base] : []), current]);
    }
    let replicaSeries: Replicas | undefined;
    if (PROFILE_ONLY) console.error("· replicas: skipped (BENCH_PROFILE_ONLY)");
    else if (withRedis) {
      step(`replicas: 1 and 3 on one Redis, ${settings.stormRounds} rounds`);
      replicaSeries = await replicas(bench, REDIS_URL, (n) => `${REDIS_PREFIX}r${n}:`);
    } else console.error(`! Redis not reachable at ${REDIS_URL}: the replicas scenario is skipped`);
    const extra = PROFILE_ONLY ? { text: "", results: {} } : await runCacheAndLive(bench, extras, selected);
    await stopAll();
    if (withRedis) redisLeft = await cleanRedis(REDIS_URL, REDIS_PREFIX);
    clearInterval(sampler);
    loadAverages.push(os.loadavg()[0]!);

    const targets = evaluateTargets(storms, fanOutRows, replicaSeries, settings.latencyMs, settings.rateLimit);
    const cpuTargetList = cpuTargets(storms, overheadResult, cachedOverhead);
    const cpuModel = os.cpus()[0]?.model ?? "unknown CPU";
    const commit = gitDescribe();
    const meta = {
      date: startedAt.toISOString(),
      commit,
      node: process.version,
      cpu: `${os.cpus().length}× ${cpuModel}`,
      loadAverage1m: {
        min: Math.min(...loadAverages),
        max: Math.max(...loadAverages),
        samples: loadAverages.map((l) => Number(l.toFixed(2))),
      },
      pinning: pin
        ? `taskset: service(s) and baseline on CPU ${pin.service}; load generator, emulator and orchestrator on CPU ${pin.driver}`
        : "none",
      redis: withRedis
        ? `${REDIS_URL}, prefix ${REDIS_PREFIX}, keys left after cleanup: ${redisLeft}`
        : "not reachable: replicas skipped",
      settings,
    };
    const label = {
      clients: settings.clients,
      accounts: settings.accounts,
      seconds: settings.seconds,
      latencyMs: settings.latencyMs,
      rateLimit: settings.rateLimit,
    };
    const text = [
      `portrait-graph bench — ${meta.date}, commit ${commit}, Node ${meta.node}, ${meta.cpu}`,
      `load average (1 min) during the run: ${meta.loadAverage1m.min.toFixed(2)}–${meta.loadAverage1m.max.toFixed(2)}; pinning: ${meta.pinning}`,
      `warm-up before every measured window: ≥ ${settings.warmupSeconds} s and ≥ ${settings.warmupRequests} ok answers per service process, ≤ ${settings.warmupMaxSeconds} s; clients arrive ${settings.staggerMs} ms apart; every answer checked (a wrong one is an error)`,
      "",
      stormTable(storms, label),
      "",
      fanOutRows.length
        ? fanOutTable(fanOutRows, {
            ids: settings.fanOutIds,
            latencyMs: settings.latencyMs,
            rateLimit: settings.rateLimit,
          })
        : "fan-out: not run",
      "",
      replicaSeries ? replicasTable(replicaSeries, settings.rateLimit) : "replicas: not run (no Redis)",
      "",
      overheadTable(
        overheadResult,
        { clients: settings.overheadClients, seconds: settings.overheadSeconds },
        { result: cachedOverhead, accounts: HOT_SET },
      ),
      "",
      ...(extra.text ? [extra.text] : []),
      "Targets (reported, not asserted):",
      targetLines(targets),
      "",
      "Targets, CPU (issue 15):",
      targetLines(cpuTargetList),
      ...(profiles.length ? ["", profileTables(profiles)] : []),
      "",
      `Redis: ${meta.redis}`,
    ].join("\n");
    console.log(`\n${text}\n`);

    const cap = `cap ${settings.rateLimit}/s, ${settings.latencyMs} ms`;
    const chartRows = [
      { label: "(a) portrait-graph", detail: `1 process, ${cap}`, s: storms.capped },
      { label: "(b) per-request loader", detail: `baseline, ${cap}`, s: storms.baseline },
      {
        label: "(c) portrait-graph, throttle off",
        detail: `1 process, ${settings.latencyMs} ms: the CPU ceiling`,
        s: storms.uncapped,
      },
      ...(replicaSeries
        ? [
            { label: "1 replica on Redis", detail: `shared budget, ${cap}`, s: replicaSeries.one },
            { label: "3 replicas on Redis", detail: `shared budget, ${cap}, one core`, s: replicaSeries.three },
          ]
        : []),
    ].map(({ label: l, detail, s }) => ({
      label: l,
      detail,
      okPerSecond: s.median.okPerSecond,
      okRange: s.okPerSecond,
      p99: s.median.p99,
      p99Range: s.p99,
    }));
    const svg = stormChart(chartRows, {
      title: `Storm: ${settings.clients} clients, user(id) over ${settings.accounts.toLocaleString("en-US")} accounts, ${settings.seconds} s`,
      subtitle: `${meta.date.slice(0, 10)}, Node ${meta.node}, ${meta.cpu}, load avg ${meta.loadAverage1m.min.toFixed(1)}–${meta.loadAverage1m.max.toFixed(1)}, ${pin ? "service pinned to its own core" : "no pinning"}; whiskers: min–max of ${settings.stormRounds} rounds`,
      p99Target: 4 * settings.latencyMs,
    });
    await mkdir(RESULTS, { recursive: true });
    const results = {
      meta,
      storm: storms,
      fanOut: fanOutRows,
      replicas: replicaSeries ?? null,
      overhead: overheadResult,
      overheadCached: cachedOverhead,
      targets: [...targets, ...cpuTargetList],
      ...extra.results,
      table: text,
    };
    // A profile-only run is partial: it leaves the full bench's latest.json and latest.svg alone.
    const written: string[] = [];
    if (!PROFILE_ONLY) {
      const file = resultsFile(selected);
      await writeFile(join(RESULTS, file), `${JSON.stringify(results, null, 2)}\n`);
      written.push(file);
      if (file === "latest.json") {
        await writeFile(join(RESULTS, "latest.svg"), svg);
        written.push("latest.svg");
      }
    }
    if (profiles.length) {
      await writeFile(
        join(RESULTS, "profile.json"),
        `${JSON.stringify({ meta, runs: profiles, table: text }, null, 2)}\n`,
      );
      written.push("profile.json");
    }
    console.log(`wrote ${written.map((file) => join("test/bench/results", file)).join(", ")}`);
  } finally {
    clearInterval(sampler);
    await stopAll();
    if (withRedis && redisLeft === undefined)
      redisLeft = await cleanRedis(REDIS_URL, REDIS_PREFIX).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await base?.remove();
  }
}

/**
 * `BENCH_SCENARIOS=overhead`: the overhead rounds alone, cache off and cache on, each on a fresh
 * service warmed first (in the full run, the cache-off rounds reuse storm (c)'s warm service).
 */
async function overheadAlone(bench: Bench, step: (text: string) => void) {
  const warm = { warmupRequests: settings.warmupRequests };
  step("overhead: GraphQL vs direct REST, cache off");
  const [uncachedService] = await bench.startServices(1, { TIM_RATE_LIMIT: "0" });
  const uncached = await overhead(bench, uncachedService!, warm);
  await stopChild(uncachedService!);
  step(`overhead: cache on, hot set of ${HOT_SET} accounts`);
  const [cachedService] = await bench.startServices(1, { TIM_RATE_LIMIT: "0", PROFILE_CACHE_TTL_MS: "600000" });
  const cached = await overhead(bench, cachedService!, { ...warm, accounts: HOT_SET });
  await stopChild(cachedService!);
  const text = [
    overheadTable(
      uncached,
      { clients: settings.overheadClients, seconds: settings.overheadSeconds },
      { result: cached, accounts: HOT_SET },
    ),
    "",
    "Targets, CPU (issue 15; the storm's tail needs the storm):",
    targetLines(cpuTargets(undefined, uncached, cached)),
    "",
  ].join("\n");
  return { text, results: { overhead: uncached, overheadCached: cached } };
}

function gitDescribe(): string {
  return (
    spawnSync("git", ["describe", "--always", "--dirty"], { cwd: root, encoding: "utf8" }).stdout.trim() || "unknown"
  );
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every child process`);
    void stopAll()
      .then(() => (REDIS_URL === "none" ? undefined : cleanRedis(REDIS_URL, REDIS_PREFIX).catch(() => undefined)))
      .finally(() => process.exit(130));
  });
}

await main();
