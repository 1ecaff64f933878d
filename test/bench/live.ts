/**
 * live fan-out: N `profileChanged` subscribers over graphql-ws (in a process of their own,
 * live-client.ts) while another writer changes M profiles a second in the emulator, whose signed
 * callback reaches the service, which publishes the change to its subscribers. The delivery
 * latency is receive time − change time (both read on this host's clock); every delivery owed is
 * counted, so missing and duplicate ones show. Rows run on one replica (changes on its in-process
 * stream, cache in memory) and on 1 and 3 replicas sharing Redis (the change stream, cache and
 * ledger in Redis; callbacks go to the first replica, as a load balancer would pick one).
 *
 * Subscriber i listens to 10 consecutive accounts of a pool of 1,000, and the writer changes the
 * pool's accounts in order: a subscriber's accounts change back to back, a burst of 10 changes
 * within 10/M s (a team whose profiles change together), then nothing until the writer comes round.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { request } from "undici";
import { accountId } from "./accounts.js";
import { sendCallbacksTo, startCallbackEmulator, metricsPage, type Extras } from "./hotset.js";
import type { CollectPlan, CountPlan, LiveResult, SubscribePlan } from "./live-client.js";
import { assertAlive, cpuMs, startChild, stopChild, type Child } from "./processes.js";
import type { Bench } from "./scenarios.js";
import { counterValue } from "./stats.js";
import { portraitGets, resetCalls, upstreamFigures } from "./upstream.js";

export interface LiveRowSpec {
  subscribers: number;
  changesPerSecond: number;
  /** Whether subscribers select `user { profile }` (read at delivery) besides `changes`. */
  withProfile: boolean;
}

export interface LiveSettings {
  rows: LiveRowSpec[];
  /** Replica counts for the Redis rows (each runs `replicaRows`); empty: none. */
  replicas: number[];
  replicaRows: LiveRowSpec[];
  seconds: number;
  /** An unmeasured run of the first row on each fresh set of services. */
  warmupSeconds: number;
  /** Accounts subscribed to and changed (round-robin). */
  pool: number;
  idsPerSubscriber: number;
  perConnection: number;
  staggerMs: number;
}

export interface LiveRow {
  replicas: number;
  redis: boolean;
  spec: LiveRowSpec;
  connections: number;
  changesMade: number;
  changesFailed: number;
  /** Deliveries owed per second: changes/s × subscribers of each account. */
  deliveriesPerSecond: number;
  result: LiveResult;
  /** portrait_get calls and accounts per change, over the window (profile reads at delivery). */
  upstreamCalls: number;
  upstreamAccounts: number;
  /** Service CPU (all replicas) over the window, as a share of one core. */
  serviceCoreShare: number | null;
}

/** `1000x100`, `1000x100:bare` (no `user { profile }` in the selection). */
export function parseLiveRows(name: string, text: string): LiveRowSpec[] {
  return text
    .split(",")
    .filter(Boolean)
    .map((item) => {
      const match = /^(\d+)x(\d+)(:bare)?$/.exec(item.trim());
      if (!match || Number(match[1]) < 1 || Number(match[2]) < 1)
        throw new Error(`${name}=${text} is invalid: expected rows such as 1000x10,1000x100:bare`);
      return { subscribers: Number(match[1]), changesPerSecond: Number(match[2]), withProfile: !match[3] };
    });
}

export const rowLabel = (spec: LiveRowSpec) =>
  `${spec.subscribers.toLocaleString("en-US")} × ${spec.changesPerSecond}/s${spec.withProfile ? "" : ", changes only"}`;

/** A typed request/answer channel over a child's IPC. */
function channel(child: Child) {
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.process.on("message", (m: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) waiter?.reject(new Error(`${child.name}: ${m.error}`));
    else waiter?.resolve(m.result);
  });
  child.process.once("exit", () =>
    pending.forEach((w) => w.reject(new Error(`${child.name} exited:\n${child.output()}`))),
  );
  return <T>(plan: SubscribePlan | CountPlan | CollectPlan) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      child.process.send({ id, plan });
    });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SIGNATURE_TAG = "Tag_Profile_IM_SelfSignature";

/** Sum of a gauge over the replicas' /metrics. */
async function gauge(services: Child[], name: string): Promise<number> {
  const pages = await Promise.all(services.map(metricsPage));
  return pages.reduce((sum, page) => sum + counterValue(page, name), 0);
}

export async function live(bench: Bench, extras: Extras, s: LiveSettings): Promise<LiveRow[]> {
  const emulator = await startCallbackEmulator(extras, s.pool, "live emulator");
  const client = await startChild({
    name: "live client",
    script: join(extras.root, "dist/test/bench/live-client.js"),
    cpu: extras.cpu.driver,
    ipc: true,
    ready: /ready at (\S+)/,
    env: { BENCH_LIVE_CHILD: "1" },
  });
  const send = channel(client);
  const token = randomBytes(24).toString("base64url");
  const rows: LiveRow[] = [];
  let seq = 0;

  const measure = async (
    services: Child[],
    redis: boolean,
    spec: LiveRowSpec,
    seconds = s.seconds,
  ): Promise<LiveRow> => {
    const subscribed = await send<{ connections: number; subscribed: number }>({
      type: "subscribe",
      urls: services.map((svc) => `${new URL(svc.url).origin.replace(/^http/, "ws")}/graphql`),
      tokens: bench.tokens,
      subscribers: spec.subscribers,
      perConnection: s.perConnection,
      pool: s.pool,
      idsPerSubscriber: s.idsPerSubscriber,
      withProfile: spec.withProfile,
      staggerMs: s.staggerMs,
    });
    // The service holds every subscription before the first change (a change before it is not owed).
    const deadline = Date.now() + 60_000;
    while ((await gauge(services, "portrait_graph_subscriptions")) < subscribed.subscribed) {
      if (Date.now() > deadline)
        throw new Error(`live: the services did not hold ${subscribed.subscribed} subscriptions within 60 s`);
      await sleep(100);
    }
    await sleep(500);
    await resetCalls(emulator.url);
    const cpuBefore = services.map((svc) => cpuMs(svc.pid));
    const made: [number, string][] = [];
    let failed = 0;
    const interval = 1000 / spec.changesPerSecond;
    const start = Date.now();
    const writes: Promise<void>[] = [];
    for (let k = 0; start + k * interval < start + seconds * 1000; k++) {
      const wait = start + k * interval - Date.now();
      if (wait > 0) await sleep(wait);
      const n = ++seq;
      const account = accountId(n % s.pool);
      made.push([n, account]);
      writes.push(
        request(`${emulator.url}/emulator/profile`, {
          method: "POST",
          body: JSON.stringify({
            account,
            items: [{ Tag: SIGNATURE_TAG, Value: `c${n}@${Date.now()}` }],
            platform: "Android",
          }),
        }).then(
          async (res) => {
            if (res.statusCode !== 200) failed++;
            await res.body.dump();
          },
          () => void failed++,
        ),
      );
    }
    await Promise.all(writes);
    // Let the last deliveries arrive: until all owed are in, or none came for 2 s, or 30 s have passed
    // (a delivery later than that counts as missing).
    const owed = made.length * ((spec.subscribers * s.idsPerSubscriber) / s.pool);
    const settleBy = Date.now() + 30_000;
    for (let last = -1, quietSince = Date.now(); Date.now() < settleBy;) {
      const count = await send<number>({ type: "count" });
      if (count >= owed) break;
      if (count !== last) [last, quietSince] = [count, Date.now()];
      else if (Date.now() - quietSince >= 2_000) break;
      await sleep(250);
    }
    const cpuAfter = services.map((svc) => cpuMs(svc.pid));
    assertAlive([...services, emulator, client]);
    const result = await send<LiveResult>({ type: "collect", changes: made });
    const calls = (await portraitGets(emulator.url)).filter((c) => c.at >= start);
    const up = upstreamFigures(calls, start, Date.now());
    const cpu = cpuBefore.every((v, i) => v !== undefined && cpuAfter[i] !== undefined)
      ? cpuAfter.reduce<number>((sum, v, i) => sum + (v! - cpuBefore[i]!), 0)
      : null;
    return {
      replicas: services.length,
      redis,
      spec,
      connections: subscribed.connections,
      changesMade: made.length,
      changesFailed: failed,
      deliveriesPerSecond: (spec.changesPerSecond * spec.subscribers * s.idsPerSubscriber) / s.pool,
      result,
      upstreamCalls: up.calls,
      upstreamAccounts: Math.round(up.calls * up.accountsPerCall),
      serviceCoreShare: cpu === null ? null : cpu / (Date.now() - start),
    };
  };

  const runOn = async (count: number, redis: boolean, specs: LiveRowSpec[]) => {
    const services = await bench.startServices(count, {
      TIM_BASE_URL: emulator.url,
      TIM_RATE_LIMIT: "200",
      TIM_CALLBACK_TOKEN: token,
      MAX_SUBSCRIPTIONS_PER_CONNECTION: String(s.perConnection),
      ...(redis
        ? {
            REDIS_URL: extras.redisUrl!,
            REDIS_KEY_PREFIX: `${extras.redisPrefix}live${count}:`,
            REPLICAS: String(count),
          }
        : {}),
    });
    try {
      await sendCallbacksTo(emulator, services[0]!, token);
      // A fresh process is slow at first (its JIT): a short unmeasured run of the first row warms it.
      if (s.warmupSeconds > 0 && specs[0]) await measure(services, redis, specs[0], s.warmupSeconds);
      for (const spec of specs) {
        console.error(`· live: ${count} replica${count > 1 ? "s" : ""}${redis ? " on Redis" : ""}, ${rowLabel(spec)}`);
        rows.push(await measure(services, redis, spec));
      }
    } finally {
      await Promise.all(services.map((svc) => stopChild(svc)));
    }
  };

  try {
    await runOn(1, false, s.rows);
    if (extras.redisUrl) for (const count of s.replicas) await runOn(count, true, s.replicaRows);
  } finally {
    await stopChild(client);
    await stopChild(emulator);
  }
  return rows;
}
