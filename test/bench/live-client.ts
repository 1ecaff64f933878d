/**
 * The live scenario's subscribers, a process of its own (`node dist/test/bench/live-client.js`,
 * started by live.ts with an IPC channel). Plans come as messages:
 *
 * - `subscribe`: open ⌈subscribers ÷ perConnection⌉ graphql-ws connections, `staggerMs` apart and
 *   spread round-robin over the replicas' URLs, and on each run up to `perConnection`
 *   `profileChanged` subscriptions. Subscriber i listens to `idsPerSubscriber` consecutive
 *   accounts of the pool, starting at i × idsPerSubscriber (mod pool), so every account has the
 *   same number of subscribers. Every delivery is recorded: the change's sequence number and when
 *   it arrived (the writer puts `c<seq>@<epoch ms sent>` in the self-signature, so the latency is
 *   receive time − change time on the same host's clock; the change's `eventTime`, the emulator's
 *   clock on the same host, splits off the writer → emulator part).
 * - `count`: the deliveries received so far.
 * - `collect`: given the changes made (seq → account), tally deliveries (missing, duplicate),
 *   latency percentiles, and close every connection.
 */
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { accountId } from "./accounts.js";
import { percentiles, tallyDeliveries, type DeliveryTally, type Percentiles } from "./stats.js";

export interface SubscribePlan {
  type: "subscribe";
  /** ws:// URLs of the replicas' /graphql. */
  urls: string[];
  tokens: string[];
  subscribers: number;
  perConnection: number;
  pool: number;
  idsPerSubscriber: number;
  /** Select `user { profile }` too: read at delivery, through the service's cache. */
  withProfile: boolean;
  staggerMs: number;
}

/** How many deliveries have arrived so far (to wait for the last ones). */
export interface CountPlan {
  type: "count";
}

export interface CollectPlan {
  type: "collect";
  /** [seq, account] of every change made. */
  changes: [number, string][];
}

export interface LiveResult {
  connections: number;
  subscribed: number;
  tally: DeliveryTally;
  latency: Percentiles;
  /** Receive time − the change's EventTime (when the emulator applied it): the callback → service → subscriber part. */
  sinceEventTime: Percentiles;
  /** Deliveries whose `user.profile` held a value older than the change delivered. */
  staleProfiles: number;
  errors: Record<string, number>;
}

const selection = (withProfile: boolean) =>
  `subscription($ids: [ID!]!) { profileChanged(ids: $ids) { cursor eventTime changes { selfSignature }${
    withProfile ? " user { id profile { nick selfSignature } }" : ""
  } } }`;

interface Delivery {
  profileChanged?: {
    eventTime?: number;
    changes?: { selfSignature?: string | null };
    user?: { id: string; profile?: { selfSignature?: string | null } | null };
  };
}

const seqOf = (value: string | null | undefined) => Number(/^c(\d+)@/.exec(value ?? "")?.[1] ?? 0);
const sentAt = (value: string | null | undefined) => Number(/@([\d.]+)$/.exec(value ?? "")?.[1] ?? NaN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which accounts subscriber `i` listens to. */
export function accountsOf(i: number, pool: number, idsPerSubscriber: number): string[] {
  return Array.from({ length: idsPerSubscriber }, (_, j) => accountId((i * idsPerSubscriber + j) % pool));
}

let clients: Client[] = [];
let plan: SubscribePlan | undefined;
let received: number[][] = [];
let latencies: number[] = [];
let sinceEvent: number[] = [];
let staleProfiles = 0;
let subscribed = 0;
const errors: Record<string, number> = {};
const countError = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);

async function subscribe(p: SubscribePlan): Promise<{ connections: number; subscribed: number }> {
  plan = p;
  received = Array.from({ length: p.subscribers }, () => []);
  latencies = [];
  sinceEvent = [];
  staleProfiles = 0;
  subscribed = 0;
  const connections = Math.ceil(p.subscribers / p.perConnection);
  const query = selection(p.withProfile);
  for (let c = 0; c < connections; c++) {
    const token = p.tokens[c % p.tokens.length]!;
    const client = createClient({
      url: p.urls[c % p.urls.length]!,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { Authorization: `Bearer ${token}` },
      onNonLazyError: (e) => countError(`connection ${(e as { code?: number }).code ?? String(e)}`),
    });
    clients.push(client);
    for (let k = 0; k < p.perConnection; k++) {
      const i = c * p.perConnection + k;
      if (i >= p.subscribers) break;
      const ids = accountsOf(i, p.pool, p.idsPerSubscriber);
      client.subscribe<Delivery>(
        { query, variables: { ids } },
        {
          next: (result) => {
            const at = Date.now();
            if (result.errors) {
              const code = result.errors[0]?.extensions?.code;
              countError(`graphql ${typeof code === "string" ? code : "error"}`);
              return;
            }
            const change = result.data?.profileChanged;
            const value = change?.changes?.selfSignature;
            const seq = seqOf(value);
            if (seq === 0) {
              countError("delivery without a bench change");
              return;
            }
            received[i]!.push(seq);
            latencies.push(at - sentAt(value));
            if (typeof change?.eventTime === "number") sinceEvent.push(at - change.eventTime);
            if (p.withProfile && seqOf(change?.user?.profile?.selfSignature) < seq) staleProfiles++;
          },
          error: (e) => countError(`subscription ${(e as { code?: number })?.code ?? "error"}`),
          complete: () => {},
        },
      );
      subscribed++;
    }
    if (p.staggerMs > 0) await sleep(p.staggerMs);
  }
  return { connections, subscribed };
}

async function collect(c: CollectPlan): Promise<LiveResult> {
  const p = plan!;
  const subscribers = Array.from(
    { length: p.subscribers },
    (_, i) => new Set(accountsOf(i, p.pool, p.idsPerSubscriber)),
  );
  const result: LiveResult = {
    connections: clients.length,
    subscribed,
    tally: tallyDeliveries(subscribers, new Map(c.changes), received),
    latency: percentiles(latencies),
    sinceEventTime: percentiles(sinceEvent),
    staleProfiles,
    errors: { ...errors },
  };
  await Promise.all(clients.map((client) => client.dispose()));
  clients = [];
  for (const key of Object.keys(errors)) delete errors[key];
  return result;
}

// As the bench's child process: answer each plan sent over IPC; leave when the parent goes.
if (process.env.BENCH_LIVE_CHILD === "1" && process.send) {
  process.on("message", (message: { id: number; plan: SubscribePlan | CountPlan | CollectPlan }) => {
    const { id, plan: next } = message;
    const run =
      next.type === "subscribe"
        ? subscribe(next)
        : next.type === "count"
          ? Promise.resolve(received.reduce((sum, r) => sum + r.length, 0))
          : collect(next);
    run.then(
      (result) => process.send!({ id, result }),
      (error: unknown) => process.send!({ id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
  process.once("SIGTERM", () => process.exit(0));
  console.log("live client ready at ipc://parent");
}
