/**
 * hot-set: reads with the profile cache on, as issue 14 asks. An emulator of its own holds 10,000
 * accounts (state file in the emulator's format), throttled at Tencent's 200 calls/s with 30 ms of
 * latency, and sends signed Profile.CallbackPortraitSet callbacks to the service, whose receiver
 * (TIM_CALLBACK_TOKEN) turns the cache on. The load generator's process reads with 90 % of picks
 * on 1,000 hot accounts. Rows: `user(id)`; `users(ids)` pages of 20; `user(id)` while another
 * writer changes hot profiles in the emulator (each change must be read back); and `user(id)` with
 * the cache in Redis. Figures: account reads served per second against Tencent's bound of
 * 20,000/s (200 calls × 100 accounts), the cache's hit rate (the service's /metrics over the
 * window), upstream calls and accounts per second (the emulator's call log), p50/p99.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { request } from "undici";
import { writeEmulatorState } from "./accounts.js";
import type { HotSetLoad, HotSetPlan } from "./hotset.load.js";
import { assertAlive, startChild, stopChild, type Child } from "./processes.js";
import type { Bench } from "./scenarios.js";
import { hitRate as hitRateOf } from "./stats.js";
import { portraitGets, resetCalls, upstreamFigures } from "./upstream.js";

/** Tencent's bound on account reads: 200 portrait_get calls a second × 100 accounts each. */
export const TENCENT_ACCOUNTS_PER_SECOND = 200 * 100;

export interface HotSetSettings {
  accounts: number;
  hotAccounts: number;
  hotShare: number;
  pageSize: number;
  writesPerSecond: number;
  clients: number;
  seconds: number;
  warmupSeconds: number;
}

export interface HotSetRow {
  name: string;
  cache: "memory" | "redis";
  perRequest: number;
  load: HotSetLoad;
  accountReadsPerSecond: number;
  /** Of Tencent's 20,000 account reads a second. */
  shareOfTencentBound: number;
  hitRate: number | null;
  upstreamCallsPerSecond: number;
  upstreamAccountsPerSecond: number;
  throttled: number;
}

/** What the scenario needs beyond the common bench: where the built scripts are, pinning, env. */
export interface Extras {
  root: string;
  cpu: { service?: number; driver?: number };
  /** The app's credentials (TIM_SDKAPPID…), as every party gets them. */
  common: Record<string, string>;
  dir: string;
  /** Sends a plan to the load generator's process. */
  send<T>(plan: HotSetPlan): Promise<T>;
  redisUrl: string | undefined;
  redisPrefix: string;
}

/** An emulator of its own with `accounts` accounts, throttled like Tencent, sending signed callbacks once told where. */
export async function startCallbackEmulator(extras: Extras, accounts: number, name: string): Promise<Child> {
  const stateFile = join(extras.dir, `${name}.json`);
  await writeEmulatorState(stateFile, accounts, extras.common.TIM_ADMIN_IDENTIFIER!);
  return startChild({
    name,
    script: join(extras.root, "dist/src/emulator/main.js"),
    cpu: extras.cpu.driver,
    ready: /listening on (\S+)[\s\S]*accounts: \d+/,
    env: {
      ...extras.common,
      TIM_EMULATOR_HOST: "127.0.0.1",
      TIM_EMULATOR_PORT: "0",
      TIM_EMULATOR_DATA: stateFile,
      TIM_EMULATOR_SEED: "none",
      TIM_EMULATOR_RATE_LIMIT: "200",
      TIM_EMULATOR_LATENCY_MS: "30",
    },
  });
}

/** Point the emulator's callbacks at `receiver` (one replica: Tencent calls one URL, the balancer picks). */
export async function sendCallbacksTo(emulator: Child, receiver: Child, token: string): Promise<void> {
  const url = `${new URL(receiver.url).origin}/tencent/callback`;
  const res = await request(`${emulator.url}/emulator/config`, {
    method: "POST",
    body: JSON.stringify({ callbacks: { urls: [url], token } }),
  });
  // The answer shows the token only as "set"; an error names the field, never the token.
  if (res.statusCode !== 200) throw new Error(`the emulator refused the callback settings: ${await res.body.text()}`);
  await res.body.dump();
}

/** The service's /metrics page; a connection reset (a kept-alive socket the service closed meanwhile) is tried again. */
export async function metricsPage(service: Child, tries = 3): Promise<string> {
  try {
    const res = await request(`${new URL(service.url).origin}/metrics`, { reset: true });
    return await res.body.text();
  } catch (error) {
    if (tries <= 1) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return metricsPage(service, tries - 1);
  }
}

export async function hotSet(bench: Bench, extras: Extras, s: HotSetSettings): Promise<HotSetRow[]> {
  const emulator = await startCallbackEmulator(extras, s.accounts, "hot-set emulator");
  const token = randomBytes(24).toString("base64url");
  const rows: HotSetRow[] = [];
  const serviceEnv = (cache: "memory" | "redis") => ({
    TIM_BASE_URL: emulator.url,
    TIM_RATE_LIMIT: "200",
    TIM_CALLBACK_TOKEN: token,
    ...(cache === "redis" ? { REDIS_URL: extras.redisUrl!, REDIS_KEY_PREFIX: `${extras.redisPrefix}hot:` } : {}),
  });
  const measure = async (
    name: string,
    service: Child,
    cache: "memory" | "redis",
    perRequest: number,
    writes: number,
  ): Promise<HotSetRow> => {
    await resetCalls(emulator.url);
    const load = await extras.send<HotSetLoad>({
      type: "hot-set",
      target: new URL(service.url).origin,
      tokens: bench.tokens,
      accounts: s.accounts,
      hot: { accounts: s.hotAccounts, share: s.hotShare },
      perRequest,
      clients: s.clients,
      staggerMs: bench.settings.staggerMs,
      warmupSeconds: s.warmupSeconds,
      seconds: s.seconds,
      metricsUrl: `${new URL(service.url).origin}/metrics`,
      ...(writes > 0 ? { writer: { emulator: emulator.url, perSecond: writes } } : {}),
    });
    assertAlive([service, emulator]);
    const up = upstreamFigures(await portraitGets(emulator.url), load.windowStart, load.windowEnd);
    const { metrics, ...rest } = load;
    const accountReadsPerSecond = rest.accountReads / s.seconds;
    return {
      name,
      cache,
      perRequest,
      load: rest,
      accountReadsPerSecond,
      shareOfTencentBound: accountReadsPerSecond / TENCENT_ACCOUNTS_PER_SECOND,
      hitRate: metrics ? hitRateOf(metrics.before, metrics.after) : null,
      upstreamCallsPerSecond: up.callsPerSecond,
      upstreamAccountsPerSecond: up.callsPerSecond * up.accountsPerCall,
      throttled: up.throttled,
    };
  };
  try {
    const step = (text: string) => console.error(`· hot-set: ${text}`);
    const [service] = await bench.startServices(1, serviceEnv("memory"));
    await sendCallbacksTo(emulator, service!, token);
    step("user(id), cache in memory");
    rows.push(await measure("user(id)", service!, "memory", 1, 0));
    step(`users(ids: ${s.pageSize}), cache in memory`);
    rows.push(await measure(`users(ids: ${s.pageSize})`, service!, "memory", s.pageSize, 0));
    step(`user(id) with another writer changing ${s.writesPerSecond} hot profiles/s`);
    rows.push(
      await measure(
        `user(id), another writer ${s.writesPerSecond} changes/s`,
        service!,
        "memory",
        1,
        s.writesPerSecond,
      ),
    );
    await stopChild(service!);
    if (extras.redisUrl) {
      const [onRedis] = await bench.startServices(1, serviceEnv("redis"));
      await sendCallbacksTo(emulator, onRedis!, token);
      step("user(id), cache in Redis");
      rows.push(await measure("user(id), cache in Redis", onRedis!, "redis", 1, 0));
      await stopChild(onRedis!);
    }
  } finally {
    await stopChild(emulator);
  }
  return rows;
}
