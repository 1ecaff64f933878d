/**
 * The hot-set load, run inside the load generator's process (`load.ts` dispatches `hot-set` plans
 * here): closed-loop clients, each on its own connection and arriving `staggerMs` apart, read
 * accounts of which `hot.share` of picks fall on the first `hot.accounts`; each request is one
 * `user(id)` or one `users(ids)` page. With `writer`, the same process also changes `perSecond`
 * hot profiles a second through the emulator's other-writer endpoint (round-robin, so no change
 * is overwritten before it can be read), writing `w<seq>` into the self-signature, and records
 * when each change is first read back. Every nick is checked.
 */
import { Pool, request } from "undici";
import { accountId, nickOf } from "./accounts.js";
import { percentiles, type Percentiles } from "./stats.js";

export interface HotSetPlan {
  type: "hot-set";
  target: string;
  tokens: string[];
  accounts: number;
  hot: { accounts: number; share: number };
  /** Accounts per request: 1 is `user(id)`, more is one `users(ids)` page. */
  perRequest: number;
  clients: number;
  staggerMs: number;
  warmupSeconds: number;
  seconds: number;
  /** The service's /metrics, read as the window opens and as it closes (the cache's hit rate). */
  metricsUrl?: string;
  /** Another writer: the emulator's origin and changes a second. */
  writer?: { emulator: string; perSecond: number };
}

export interface HotSetLoad {
  windowStart: number;
  windowEnd: number;
  seconds: number;
  requests: number;
  okRequests: number;
  /** Accounts in ok answers. */
  accountReads: number;
  errors: number;
  errorKinds: Record<string, number>;
  latency: Percentiles;
  /** The service's /metrics pages at the window's start and end. */
  metrics?: { before: string; after: string };
  writes?: {
    made: number;
    failed: number;
    /** Changes seen in a read (before the readers stopped). */
    readBack: number;
    /**
     * From sending the change to the first read that returned it. Bounded below by how often an
     * account is read at all: a hot account gets a read every (hot accounts ÷ hot reads/s) on average.
     */
    latency: Percentiles;
    /**
     * Per change, how long after it was sent a read could still start and return the older value:
     * the latest such start − the change's time (0 when none did). The freshness figure.
     */
    staleFor: Percentiles;
    /** After the run, one `users(ids)` over every changed account: how many hold the change's value. */
    readAfter: number;
    /** Reads that returned an older value after a newer one had been read for the same account. */
    wentBack: number;
  };
}

const USER = "query($id: ID!) { user(id: $id) { profile { nick selfSignature } } }";
const USERS = "query($ids: [ID!]!) { users(ids: $ids) { id profile { nick selfSignature } } }";
const SIGNATURE_TAG = "Tag_Profile_IM_SelfSignature";

interface Read {
  id: string;
  profile?: { nick?: unknown; selfSignature?: unknown } | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function hotSetLoop(plan: HotSetPlan): Promise<HotSetLoad> {
  const pool = new Pool(plan.target, { connections: plan.clients, pipelining: 1 });
  const pick = () => {
    const hot = Math.random() < plan.hot.share;
    const i = hot
      ? Math.floor(Math.random() * plan.hot.accounts)
      : plan.hot.accounts + Math.floor(Math.random() * (plan.accounts - plan.hot.accounts));
    return accountId(i);
  };
  const t0 = Date.now();
  const windowStart = t0 + plan.warmupSeconds * 1000;
  const windowEnd = windowStart + plan.seconds * 1000;
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let requests = 0;
  let okRequests = 0;
  let accountReads = 0;
  // The writer's changes: seq → [account, sent at]; first read of each; newest seq read per account.
  const made = new Map<number, { account: string; at: number }>();
  const firstRead = new Map<number, number>();
  const newestRead = new Map<string, number>();
  const latestChange = new Map<string, { seq: number; at: number }>();
  const staleFor = new Map<number, number>();
  let wentBack = 0;
  let writesFailed = 0;

  const observe = (read: Read, startedAt: number, at: number) => {
    const signature = read.profile?.selfSignature;
    const match = /^w(\d+)$/.exec(typeof signature === "string" ? signature : "");
    const seq = match ? Number(match[1]) : 0;
    const newest = newestRead.get(read.id) ?? 0;
    if (seq < newest) wentBack++;
    else newestRead.set(read.id, seq);
    if (seq > 0 && !firstRead.has(seq)) firstRead.set(seq, at);
    const change = latestChange.get(read.id);
    if (change && seq < change.seq && startedAt > change.at)
      staleFor.set(change.seq, Math.max(staleFor.get(change.seq) ?? 0, startedAt - change.at));
  };

  /** The accounts read (all checked), or what went wrong. */
  const once = async (token: string, startedAt: number): Promise<number | string> => {
    const ids = Array.from({ length: plan.perRequest }, pick);
    const single = plan.perRequest === 1;
    const res = await pool.request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(single ? { query: USER, variables: { id: ids[0] } } : { query: USERS, variables: { ids } }),
    });
    const body = (await res.body.json().catch(() => undefined)) as
      | { errors?: { extensions?: { code?: string } }[]; data?: { user?: Read | null; users?: (Read | null)[] } }
      | undefined;
    if (res.statusCode !== 200) return `http ${res.statusCode}`;
    if (body?.errors) return `graphql ${body.errors[0]?.extensions?.code ?? "error"}`;
    const reads: Read[] = single
      ? [{ id: ids[0]!, profile: body?.data?.user?.profile ?? null }]
      : (body?.data?.users ?? []).map((u, i) => ({ id: ids[i]!, profile: u?.profile ?? null }));
    if (reads.length !== ids.length || reads.some((r) => r.profile?.nick !== nickOf(r.id))) return "wrong answer";
    const at = Date.now();
    if (plan.writer) reads.forEach((r) => observe(r, startedAt, at));
    return reads.length;
  };

  const writer = async () => {
    const w = plan.writer!;
    const interval = 1000 / w.perSecond;
    let seq = 0;
    // Changes start with the measured window and stop a second before it ends, so each has time to be read.
    while (Date.now() < windowStart) await sleep(windowStart - Date.now());
    const stopAt = windowEnd - 1000;
    const next = () => windowStart + seq * interval;
    while (next() < stopAt) {
      const wait = next() - Date.now();
      if (wait > 0) await sleep(wait);
      seq++;
      const account = accountId((seq - 1) % plan.hot.accounts);
      const at = Date.now();
      made.set(seq, { account, at });
      latestChange.set(account, { seq, at });
      const res = await request(`${w.emulator}/emulator/profile`, {
        method: "POST",
        body: JSON.stringify({ account, items: [{ Tag: SIGNATURE_TAG, Value: `w${seq}` }], platform: "Android" }),
      }).catch(() => undefined);
      if (res?.statusCode !== 200) writesFailed++;
      await res?.body.dump();
    }
  };

  const clients = Array.from({ length: plan.clients }, async (_, client) => {
    await sleep(client * plan.staggerMs);
    const token = plan.tokens[client % plan.tokens.length]!;
    while (Date.now() < windowEnd) {
      const started = performance.now();
      const startedAt = Date.now();
      const outcome = await once(token, startedAt).catch(
        (e: Error & { code?: string }) => `transport ${e.code ?? String(e)}`,
      );
      if (startedAt < windowStart) continue;
      requests++;
      latencies.push(performance.now() - started);
      if (typeof outcome === "number") {
        okRequests++;
        accountReads += outcome;
      } else errorKinds[outcome] = (errorKinds[outcome] ?? 0) + 1;
    }
  });
  const page = async (at: number) => {
    while (Date.now() < at) await sleep(at - Date.now());
    const res = await request(plan.metricsUrl!);
    return res.body.text();
  };
  const pages = plan.metricsUrl ? Promise.all([page(windowStart), page(windowEnd)]) : undefined;
  await Promise.all([...clients, ...(plan.writer ? [writer()] : [])]);
  const metrics = pages ? await pages : undefined;

  const result: HotSetLoad = {
    windowStart,
    windowEnd,
    seconds: plan.seconds,
    requests,
    okRequests,
    accountReads,
    errors: requests - okRequests,
    errorKinds,
    latency: percentiles(latencies),
    ...(metrics ? { metrics: { before: metrics[0], after: metrics[1] } } : {}),
  };
  if (plan.writer) {
    const lags = [...firstRead].flatMap(([seq, at]) => {
      const change = made.get(seq);
      return change ? [at - change.at] : [];
    });
    result.writes = {
      made: made.size,
      failed: writesFailed,
      readBack: lags.length,
      latency: percentiles(lags),
      staleFor: percentiles([...made.keys()].map((seq) => staleFor.get(seq) ?? 0)),
      readAfter: await readAfter(pool, plan.tokens[0]!, made),
      wentBack,
    };
  }
  await pool.close();
  return result;
}

/** Read every changed account once more (pages of 100) and count those that hold their change's value. */
async function readAfter(pool: Pool, token: string, made: Map<number, { account: string }>): Promise<number> {
  const changes = [...made];
  let holding = 0;
  for (let i = 0; i < changes.length; i += 100) {
    const page = changes.slice(i, i + 100);
    const res = await pool.request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: USERS, variables: { ids: page.map(([, c]) => c.account) } }),
    });
    const body = (await res.body.json()) as { data?: { users?: (Read | null)[] } };
    page.forEach(([seq], k) => {
      if (body.data?.users?.[k]?.profile?.selfSignature === `w${seq}`) holding++;
    });
  }
  return holding;
}
