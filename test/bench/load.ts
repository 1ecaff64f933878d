/**
 * The load generator, a process of its own (`node dist/test/bench/load.js`, started by `run.ts`
 * with an IPC channel). It takes plans as messages and answers each with its result:
 *
 * - `closed-loop`: `clients` clients arrive `staggerMs` apart, each with its own connection, and
 *   each sends its next request as soon as the last one is answered. A warm-up runs first; only
 *   requests started inside the measured window count. Every body is checked: a wrong answer is
 *   an error. CPU time of the watched processes is read from /proc over the window.
 * - `single`: one request (a fan-out), timed and checked.
 */
import { Pool } from "undici";
import { accountId, nickOf, NICK_TAG } from "./accounts.js";
import { hotSetLoop, type HotSetPlan } from "./hotset.load.js";
import { cpuMs, runQueueMs } from "./processes.js";

export type Shape = "graphql-user" | "baseline-user" | "rest-user";

export interface ClosedLoopPlan {
  type: "closed-loop";
  shape: Shape;
  /** Origins; clients are spread over them round-robin (replicas). */
  targets: string[];
  /** For `rest-user`: the emulator path up to `random=`. */
  restPath?: string;
  /** One bearer token per client (GraphQL only). */
  tokens: string[];
  accounts: number;
  clients: number;
  staggerMs: number;
  /**
   * Warm-up before the measured window: at least `warmupSeconds` and `warmupRequests` ok answers
   * (a fresh Node process needs thousands of requests before its JIT settles), at most
   * `warmupMaxSeconds`.
   */
  warmupSeconds: number;
  warmupRequests: number;
  warmupMaxSeconds: number;
  seconds: number;
  /** Process groups whose CPU time is measured over the window. */
  watch: Record<string, number[]>;
}

export interface SinglePlan {
  type: "single";
  shape: "graphql-users" | "baseline-users";
  target: string;
  /** The process that answers; its CPU time for the request is measured. */
  watchPid: number;
  token: string;
  ids: string[];
  /** Baseline only: accounts per call. */
  perCall?: number;
}

export interface LoadResult {
  /** Epoch ms: when the first client started, and the measured window. */
  startedAt: number;
  windowStart: number;
  windowEnd: number;
  seconds: number;
  /** The warm-up as it ran: its length and the ok answers in it. */
  warmup: { seconds: number; requests: number };
  ok: number;
  errors: number;
  /** Error kinds and their counts (`http 503`, `graphql UPSTREAM_THROTTLED`, `wrong answer`, …). */
  errorKinds: Record<string, number>;
  okPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU ms over the window per watched group, and the window's real length. */
  cpuMs: Record<string, number | null>;
  /** Ms the group's main threads spent runnable but waiting for a CPU, over the window. */
  waitMs: Record<string, number | null>;
  cpuWindowMs: number;
  loadCpuMs: number;
}

export interface SingleResult {
  ms: number;
  cpuMs: number | null;
  ok: boolean;
  error?: string;
}

const USER_QUERY = "query($id: ID!) { user(id: $id) { profile { nick } } }";
const USERS_QUERY = "query($ids: [ID!]!) { users(ids: $ids) { id profile { nick } } }";

type Outcome = true | string;

/** What the bench reads from any answer it gets: GraphQL, the baseline's, or Tencent's REST envelope. */
interface AnswerBody {
  errors?: { extensions?: { code?: string } }[];
  data?: { user?: { profile?: { nick?: unknown } }; users?: ({ profile?: { nick?: unknown } | null } | null)[] };
  nick?: unknown;
  nicks?: unknown[];
  UserProfileItem?: { ProfileItem?: { Value?: unknown }[] }[];
  ActionStatus?: string;
  ErrorCode?: number;
}

async function send(pool: Pool, plan: ClosedLoopPlan, token: string, id: string): Promise<Outcome> {
  const json = { "content-type": "application/json" };
  const res =
    plan.shape === "graphql-user"
      ? await pool.request({
          path: "/graphql",
          method: "POST",
          headers: { ...json, authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: USER_QUERY, variables: { id } }),
        })
      : plan.shape === "baseline-user"
        ? await pool.request({ path: "/user", method: "POST", headers: json, body: JSON.stringify({ id }) })
        : await pool.request({
            path: `${plan.restPath}${Math.floor(Math.random() * 2 ** 32)}`,
            method: "POST",
            headers: json,
            body: JSON.stringify({ To_Account: [id], TagList: [NICK_TAG] }),
          });
  const body = (await res.body.json().catch(() => undefined)) as AnswerBody | undefined;
  if (res.statusCode !== 200) return `http ${res.statusCode}`;
  if (body?.errors) return `graphql ${body.errors[0]?.extensions?.code ?? "error"}`;
  const nick =
    plan.shape === "graphql-user"
      ? body?.data?.user?.profile?.nick
      : plan.shape === "baseline-user"
        ? body?.nick
        : body?.UserProfileItem?.[0]?.ProfileItem?.[0]?.Value;
  if (plan.shape === "rest-user" && body?.ActionStatus !== "OK") return `tencent ${body?.ErrorCode}`;
  return nick === nickOf(id) ? true : "wrong answer";
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function closedLoop(plan: ClosedLoopPlan): Promise<LoadResult> {
  // One connection per client, as real clients have: client i uses target i mod n.
  const n = plan.targets.length;
  const pools = plan.targets.map(
    (origin, t) => new Pool(origin, { connections: Math.ceil((plan.clients - t) / n), pipelining: 1 }),
  );
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let warmed = 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  let windowStart = Infinity;
  let windowEnd = Infinity;
  type Sample = Record<string, number | null>;
  const cpu: { at: number; groups: Sample; waits: Sample; self: number }[] = [];
  const total = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? null : values.reduce((a, b) => a! + b!, 0)!;
  const sampleCpu = () => {
    const groups: Sample = {};
    const waits: Sample = {};
    for (const [name, pids] of Object.entries(plan.watch)) {
      groups[name] = total(pids.map(cpuMs));
      waits[name] = total(pids.map(runQueueMs));
    }
    const self = process.cpuUsage();
    cpu.push({ at: performance.now(), groups, waits, self: (self.user + self.system) / 1000 });
  };
  const timers: NodeJS.Timeout[] = [];
  // The window opens once the warm-up has lasted long enough and seen enough answers.
  const maybeOpenWindow = () => {
    const now = performance.now();
    if (windowStart !== Infinity) return;
    const warm = now - t0 >= plan.warmupSeconds * 1000 && warmed >= plan.warmupRequests;
    if (!warm && now - t0 < plan.warmupMaxSeconds * 1000) return;
    windowStart = now;
    windowEnd = now + plan.seconds * 1000;
    sampleCpu();
    timers.push(setTimeout(sampleCpu, plan.seconds * 1000));
  };
  timers.push(
    setTimeout(maybeOpenWindow, plan.warmupSeconds * 1000),
    setTimeout(maybeOpenWindow, plan.warmupMaxSeconds * 1000),
  );

  await Promise.all(
    Array.from({ length: plan.clients }, async (_, client) => {
      await sleep(client * plan.staggerMs);
      const pool = pools[client % pools.length]!;
      const token = plan.tokens[client % Math.max(1, plan.tokens.length)] ?? "";
      while (performance.now() < windowEnd) {
        const id = accountId(Math.floor(Math.random() * plan.accounts));
        const started = performance.now();
        const outcome = await send(pool, plan, token, id).catch(
          (error: Error & { code?: string }) => `transport ${error.code ?? String(error)}`,
        );
        if (started < windowStart) {
          if (outcome === true) warmed++;
          maybeOpenWindow();
          continue;
        }
        latencies.push(performance.now() - started);
        if (outcome === true) ok++;
        else errorKinds[outcome] = (errorKinds[outcome] ?? 0) + 1;
      }
    }),
  );
  timers.forEach(clearTimeout);
  await Promise.all(pools.map((pool) => pool.close()));
  latencies.sort((a, b) => a - b);
  const [first, last] = cpu;
  const delta = (pick: (sample: (typeof cpu)[number]) => Sample) => {
    const out: Sample = {};
    for (const name of Object.keys(plan.watch)) {
      const a = first ? pick(first)[name] : null;
      const b = last ? pick(last)[name] : null;
      out[name] = a == null || b == null ? null : b - a;
    }
    return out;
  };
  return {
    startedAt,
    windowStart: startedAt + (windowStart - t0),
    windowEnd: startedAt + (windowEnd - t0),
    seconds: plan.seconds,
    warmup: { seconds: (windowStart - t0) / 1000, requests: warmed },
    ok,
    errors: latencies.length - ok,
    errorKinds,
    okPerSecond: ok / plan.seconds,
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? 0,
    cpuMs: delta((sample) => sample.groups),
    waitMs: delta((sample) => sample.waits),
    cpuWindowMs: first && last ? last.at - first.at : 0,
    loadCpuMs: first && last ? last.self - first.self : 0,
  };
}

export async function single(plan: SinglePlan): Promise<SingleResult> {
  const pool = new Pool(plan.target, { connections: 1 });
  const cpuBefore = cpuMs(plan.watchPid);
  const started = performance.now();
  try {
    const res =
      plan.shape === "graphql-users"
        ? await pool.request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${plan.token}` },
            body: JSON.stringify({ query: USERS_QUERY, variables: { ids: plan.ids } }),
          })
        : await pool.request({
            path: "/users",
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ ids: plan.ids, perCall: plan.perCall }),
          });
    const body = (await res.body.json()) as AnswerBody | undefined;
    const ms = performance.now() - started;
    const cpuAfter = cpuMs(plan.watchPid);
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? null : cpuAfter - cpuBefore;
    const nicks: unknown[] =
      plan.shape === "graphql-users" ? (body?.data?.users ?? []).map((u) => u?.profile?.nick) : (body?.nicks ?? []);
    const right =
      res.statusCode === 200 &&
      !body?.errors &&
      nicks.length === plan.ids.length &&
      plan.ids.every((id, i) => nicks[i] === nickOf(id));
    return right
      ? { ms, cpuMs: cpu, ok: true }
      : {
          ms,
          cpuMs: cpu,
          ok: false,
          error: `status ${res.statusCode}: ${JSON.stringify(body?.errors?.[0] ?? body).slice(0, 200)}`,
        };
  } finally {
    await pool.close();
  }
}

// As the bench's child process: answer each plan sent over IPC; leave when the parent goes.
if (process.env.BENCH_LOAD_CHILD === "1" && process.send) {
  process.on("message", (message: { id: number; plan: ClosedLoopPlan | SinglePlan | HotSetPlan }) => {
    const { id, plan } = message;
    const run =
      plan.type === "closed-loop" ? closedLoop(plan) : plan.type === "hot-set" ? hotSetLoop(plan) : single(plan);
    run.then(
      (result) => process.send!({ id, result }),
      (error: unknown) => process.send!({ id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.once("SIGTERM", () => process.exit(0));
  console.log("load generator ready at ipc://parent");
}
