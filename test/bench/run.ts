/**
 * `npm run bench`: portrait-graph against baselines measured in the same run, reported as ratios.
 *
 * 1. Overhead: `user(id) { profile { nick } }` over HTTP vs a hand-written direct REST call
 *    (undici POST with a pre-minted UserSig) to the same emulator; no throttle, no latency.
 * 2. Upstream calls for one query over 250 accounts: a hand-written N+1 resolver (one
 *    portrait_get per account) vs portrait-graph's loader; the emulator adds 5 ms per call.
 * 3. Throughput under Tencent's 200 calls/s cap (emulator throttle on, 20-60 ms latency), 64
 *    concurrent clients each asking for 10 random accounts: a hand-written endpoint that makes
 *    one portrait_get per request vs portrait-graph, whose shared batcher coalesces requests.
 *    The bound is 200 calls/s × 100 accounts = 20 000 accounts/s.
 *
 * Everything runs in this one process on loopback (load generator included), so ratios matter
 * more than absolute numbers. Knobs: BENCH_SECONDS per run (default 3), BENCH_ROUNDS of
 * interleaved A/B runs in scenario 1 (default 3), BENCH_CONCURRENCY (default 16).
 */
import { createServer as createHttpServer } from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { createEmulator } from "../../src/emulator/emulator.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { createAuthenticator } from "../../src/server/auth.js";
import { createServer } from "../../src/server/server.js";
import { TencentClient } from "../../src/tencent/client.js";
import { signUserSig } from "../../src/tencent/usersig.js";
import { SignJWT } from "jose";

const APP = { sdkAppId: 1400000000, secretKey: "bench-secret-key", adminIdentifier: "administrator" };
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const JWT_SECRET = "bench-jwt-secret-bench-jwt-secret-0123456789";
const NICK = "Tag_Profile_IM_Nick";

interface LoadResult {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Closed-loop load: `concurrency` workers each send the next request as soon as one returns. */
async function load(concurrency: number, seconds: number, send: () => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const ok = await send().catch(() => false);
        latencies.push(performance.now() - t);
        if (!ok) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, seconds: (performance.now() - started) / 1000, p50: q(0.5), p99: q(0.99), errors };
}

async function main() {
  const tags = TagRegistry.fromSpec("Test:string,Score:integer");
  const emulator = await createEmulator({ ...APP, tags, rateLimit: 0, seed: true });
  const emuUrl = await emulator.listen(0);
  const ids = Array.from({ length: 1000 }, (_, i) => `bench${i}`);
  const setup = new TencentClient({ ...APP, baseUrl: emuUrl, rateLimit: 0 });
  for (let i = 0; i < ids.length; i += 100) await setup.call("im_open_login_svc", "multiaccount_import", { Accounts: ids.slice(i, i + 100) });
  await Promise.all(ids.map((id) => setup.portraitSet(id, [{ Tag: NICK, Value: `nick ${id} 昵称` }])));
  await setup.close();

  // Scenarios 1 and 2 measure the stack, not the limiter: that client does not throttle itself.
  const client = new TencentClient({ ...APP, baseUrl: emuUrl, rateLimit: 0 });
  const service = await createServer({ client, tags, authenticate: createAuthenticator({ jwtSecret: JWT_SECRET }), nodeEnv: "production" });
  const gqlUrl = await service.listen(0);
  // Scenario 3 runs as in production: the client keeps itself under Tencent's 200 calls/s.
  const cappedClient = new TencentClient({ ...APP, baseUrl: emuUrl, rateLimit: 200 });
  const cappedService = await createServer({ client: cappedClient, tags, authenticate: createAuthenticator({ jwtSecret: JWT_SECRET }), nodeEnv: "production" });
  const cappedUrl = await cappedService.listen(0);
  const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("bench0").setExpirationTime("1h").sign(new TextEncoder().encode(JWT_SECRET));
  const gqlPool = new Pool(new URL(gqlUrl).origin, { connections: 128 });
  const cappedPool = new Pool(new URL(cappedUrl).origin, { connections: 128 });
  const emuPool = new Pool(emuUrl, { connections: 128 });
  const gql = async (query: string, variables: Record<string, unknown>, check: (data: any) => boolean, pool = gqlPool) => {
    const res = await pool.request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.body.json()) as { data?: unknown; errors?: unknown };
    return res.statusCode === 200 && !body.errors && check(body.data);
  };
  const pick = (n: number) => {
    const set = new Set<string>();
    while (set.size < n) set.add(ids[Math.floor(Math.random() * ids.length)]!);
    return [...set];
  };
  const rows: string[][] = [];
  const memory = () => Math.round(process.memoryUsage().rss / 1048576);
  const rssStart = memory();

  // 1. Overhead of one profile through GraphQL vs a direct REST call.
  emulator.configure({ rateLimit: 0, latencyMs: 0, faults: {} });
  const sig = signUserSig({ ...APP, identifier: APP.adminIdentifier, expireSeconds: 3600 });
  const restPath = `/v4/profile/portrait_get?sdkappid=${APP.sdkAppId}&identifier=${APP.adminIdentifier}&usersig=${sig}&contenttype=json&random=`;
  const direct = () => async () => {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const res = await emuPool.request({ path: restPath + Math.floor(Math.random() * 2 ** 32), method: "POST", body: JSON.stringify({ To_Account: [id], TagList: [NICK] }) });
    const body = (await res.body.json()) as { UserProfileItem: { ProfileItem: unknown[] }[] };
    return body.UserProfileItem[0]!.ProfileItem.length === 1;
  };
  const viaGraphql = () => () => {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    return gql("query($id: ID!) { user(id: $id) { profile { nick } } }", { id }, (d) => d.user.profile.nick === `nick ${id} 昵称`);
  };
  await load(CONCURRENCY, 1, direct()); // warm-up
  await load(CONCURRENCY, 1, viaGraphql());
  // Interleaved A/B rounds; the median round is reported, with the spread of the ratio.
  const rps = (r: LoadResult) => r.requests / r.seconds;
  const rounds: { base: LoadResult; ours: LoadResult }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const base = await load(CONCURRENCY, SECONDS, direct());
    const ours = await load(CONCURRENCY, SECONDS, viaGraphql());
    rounds.push({ base, ours });
  }
  rounds.sort((a, b) => rps(a.ours) / rps(a.base) - rps(b.ours) / rps(b.base));
  const { base: base1, ours: ours1 } = rounds[Math.floor(rounds.length / 2)]!;
  const spread = `${ratio(rps(rounds[0]!.ours), rps(rounds[0]!.base))}–${ratio(rps(rounds.at(-1)!.ours), rps(rounds.at(-1)!.base))}`;
  rows.push(
    ["1 overhead", "direct REST portrait_get (hand-written)", fmt(rps(base1)) + " req/s", `p50 ${ms(base1.p50)} p99 ${ms(base1.p99)}`, String(base1.errors), "1.00"],
    ["1 overhead", "GraphQL user(id){profile{nick}}", fmt(rps(ours1)) + " req/s", `p50 ${ms(ours1.p50)} p99 ${ms(ours1.p99)}`, String(ours1.errors), `${ratio(rps(ours1), rps(base1))} (rounds: ${spread})`],
  );

  // 2. Upstream calls for one query over 250 accounts, 5 ms per upstream call.
  emulator.configure({ latencyMs: 5 });
  const accounts = ids.slice(0, 250);
  emulator.resetStats();
  let t = performance.now();
  const naive = await Promise.all(accounts.map((id) => client.portraitGet([id], [NICK])));
  const naiveMs = performance.now() - t;
  const naiveCalls = emulator.calls.length;
  emulator.resetStats();
  t = performance.now();
  const okBatched = await gql("query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }", { ids: accounts }, (d) => d.users.length === 250 && d.users.every((u: any) => u.profile.nick));
  const batchedMs = performance.now() - t;
  const batchedCalls = emulator.calls.length;
  if (!naive.every(([r]) => r!.ok) || !okBatched) throw new Error("scenario 2 returned wrong data");
  rows.push(
    ["2 calls/query", "N+1 resolver, 250 accounts (hand-written)", `${naiveCalls} calls`, `${ms(naiveMs)} wall`, "0", "1.00"],
    ["2 calls/query", "GraphQL users(ids: 250)", `${batchedCalls} calls`, `${ms(batchedMs)} wall`, "0", `${ratio(naiveCalls, batchedCalls)} fewer calls, ${ratio(naiveMs, batchedMs)} faster`],
  );

  // 3. Throughput under the 200 calls/s cap with realistic upstream latency.
  emulator.configure({ rateLimit: 200, latencyMs: "20-60" });
  const handWritten = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const { ids: wanted } = JSON.parse(Buffer.concat(chunks).toString()) as { ids: string[] };
    try {
      const results = await cappedClient.portraitGet(wanted, [NICK]);
      res.end(JSON.stringify(results.map((r) => (r.ok ? r.items[0]?.Value : null))));
    } catch {
      res.statusCode = 503;
      res.end();
    }
  });
  await new Promise<void>((r) => handWritten.listen(0, "127.0.0.1", r));
  const hwPool = new Pool(`http://127.0.0.1:${(handWritten.address() as AddressInfo).port}`, { connections: 128 });
  const perRequest = 10;
  const workers = 64;
  const hand = () => async () => {
    const res = await hwPool.request({ path: "/", method: "POST", body: JSON.stringify({ ids: pick(perRequest) }) });
    const body = res.statusCode === 200 ? ((await res.body.json()) as unknown[]) : (await res.body.dump(), []);
    return body.length === perRequest && body.every(Boolean);
  };
  const ours = () => () =>
    gql("query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }", { ids: pick(perRequest) }, (d) => d.users.every((u: any) => u.profile?.nick), cappedPool);
  emulator.resetStats();
  const base3 = await load(workers, SECONDS, hand());
  await new Promise((r) => setTimeout(r, 1100)); // let the throttle's bucket refill between runs
  const throttledBase = emulator.stats().byApi["profile/portrait_get"]?.outcomes["60007"] ?? 0;
  emulator.resetStats();
  const ours3 = await load(workers, SECONDS, ours());
  const throttledOurs = emulator.stats().byApi["profile/portrait_get"]?.outcomes["60007"] ?? 0;
  const aps = (r: LoadResult) => ((r.requests - r.errors) * perRequest) / r.seconds;
  rows.push(
    ["3 throughput", `hand-written: 1 portrait_get per request (${workers} clients × ${perRequest} ids)`, fmt(aps(base3)) + " accounts/s", `p50 ${ms(base3.p50)} p99 ${ms(base3.p99)}`, `${base3.errors} (60007 seen: ${throttledBase})`, "1.00"],
    ["3 throughput", "GraphQL users(ids: 10) via the shared batcher", fmt(aps(ours3)) + " accounts/s", `p50 ${ms(ours3.p50)} p99 ${ms(ours3.p99)}`, `${ours3.errors} (60007 seen: ${throttledOurs})`, `${ratio(aps(ours3), aps(base3))} (${((aps(ours3) / 20000) * 100).toFixed(0)}% of the 20 000/s bound)`],
  );

  console.log(
    `\nportrait-graph bench — Node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, ${SECONDS}s per run, ` +
      `${ROUNDS} rounds in 1, concurrency ${CONCURRENCY} (scenario 3: ${workers}); RSS ${rssStart} → ${memory()} MiB\n`,
  );
  const header = ["scenario", "target", "result", "latency", "errors", "ratio vs baseline"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const row of rows) console.log(line(row));

  await hwPool.close();
  await new Promise<void>((r) => handWritten.close(() => r()));
  await gqlPool.close();
  await cappedPool.close();
  await cappedService.close();
  await cappedClient.close();
  await emuPool.close();
  await service.close();
  await client.close();
  await emulator.close();

}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${n.toFixed(1)} ms`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

await main();
