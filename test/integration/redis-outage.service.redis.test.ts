import { afterEach, expect, it, vi } from "vitest";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";
import { useServices, type Service } from "../support/service.js";

// One service whose Redis (budget, profile cache, APQ store, all built by createScaleOut from the
// variables main.ts reads) sits behind a TCP proxy the test cuts and restores.
const RATE = 100;
const REPLICAS = 4;

const READ = `query($ids: [ID!]!) { users(ids: $ids) { id profile { nick } } }`;
const WRITE = `mutation($nick: String!) { setProfile(input: { nick: $nick }) { id } }`;
const ACCOUNTS = ["zhang.wei", "li.na", "sato.yuki", "kim.minjun", "alex.chen"];

type Users = { users: { id: string; profile: { nick: string } | null }[] };

async function readyz(service: Service): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(service.url.replace(/\/graphql$/, "/readyz"));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The budget-mode and Redis gauges, as /metrics shows them. */
async function gauges(service: Service): Promise<Record<string, number>> {
  const text = await (await fetch(service.url.replace(/\/graphql$/, "/metrics"))).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^portrait_graph_(call_budget_mode\{mode="(\w+)"\}|redis_up) (\S+)$/.exec(line);
    if (match) out[match[2] ?? "redis_up"] = Number(match[3]);
  }
  return out;
}

/** The profile cache's store failures by operation, as /metrics counts them. */
async function cacheErrors(service: Service): Promise<Record<string, number>> {
  const text = await (await fetch(service.url.replace(/\/graphql$/, "/metrics"))).text();
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^portrait_graph_profile_cache_errors_total\{operation="(\w+)"\} (\S+)$/.exec(line);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

/** Every account read through GraphQL, each answer checked against the emulator's store. */
async function readAll(service: Service, expected: Record<string, string>): Promise<void> {
  const ids = Object.keys(expected);
  const answers = await Promise.all(ids.map((id) => service.gql<Users>(READ, { ids: [id] })));
  const both = await service.gql<Users>(READ, { ids });
  for (const res of [...answers, both]) {
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
  }
  expect(Object.fromEntries(answers.map((res) => [res.data!.users[0]!.id, res.data!.users[0]!.profile?.nick]))).toEqual(
    expected,
  );
  expect(Object.fromEntries(both.data!.users.map((u) => [u.id, u.profile?.nick]))).toEqual(expected);
}

describeRedis("Redis down or unreachable, through the service", () => {
  const redis = useRedis();
  const start = useServices();
  const proxies: Awaited<ReturnType<typeof startTcpProxy>>[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it("keeps answering reads and writes on a local budget of TIM_RATE_LIMIT ÷ REPLICAS, reports degraded in /readyz and /metrics, and returns to shared by itself", async () => {
    const proxy = await startTcpProxy(redis.url);
    proxies.push(proxy);
    const service = await start(
      {},
      {},
      {},
      {
        scaleOutEnv: {
          REDIS_URL: proxy.url,
          REDIS_KEY_PREFIX: redis.prefix,
          TIM_RATE_LIMIT: String(RATE),
          REPLICAS: String(REPLICAS),
          PROFILE_CACHE_TTL_MS: "60000",
        },
      },
    );
    const nicks = (me: string) =>
      Object.fromEntries(ACCOUNTS.map((id) => [id, id === "zhang.wei" ? me : `nick-${id}`]));
    for (const id of ACCOUNTS) service.emulator.store.apply(id, [["Tag_Profile_IM_Nick", nicks("before")[id]!]]);

    // Redis answers: the shared budget.
    expect(await readyz(service)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: "ready", budget: "shared", redis: "ready" }),
    });
    expect(await gauges(service)).toEqual({ local: 0, shared: 1, degraded: 0, redis_up: 1 });
    expect(service.client.budget.ratePerSecond).toBe(RATE);
    await readAll(service, nicks("before")); // and the profile cache now holds them
    expect(await cacheErrors(service)).toEqual({});

    // Redis goes away (connection refused): the replica turns degraded, and stays ready.
    await proxy.cut();
    await vi.waitFor(
      async () => expect((await readyz(service)).body).toMatchObject({ budget: "degraded", redis: "down" }),
      { timeout: 10_000, interval: 50 },
    );
    expect(await readyz(service)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: "ready", budget: "degraded", redis: "down" }),
    });
    expect(await gauges(service)).toEqual({ local: 0, shared: 0, degraded: 1, redis_up: 0 });
    expect(service.client.budget.ratePerSecond).toBe(RATE / REPLICAS);

    // Reads and writes still answer, correctly, with no error.
    service.emulator.resetStats();
    await readAll(service, nicks("before"));
    expect(service.portraitGets().length).toBeGreaterThan(0); // no cache while Redis is away: asked upstream
    const written = await service.gql(WRITE, { nick: "during" });
    expect([written.status, written.errors]).toEqual([200, undefined]);
    await readAll(service, nicks("during"));
    // The cache's failures are counted (each one a miss, never an error for the caller): with the
    // connection lost the cache is dirty, so each lookup first tries the epoch bump, and fails there.
    expect(await cacheErrors(service)).toMatchObject({ epoch: expect.any(Number), invalidate: 1 });

    // Redis is back: shared again, by itself, with no restart.
    await proxy.restore();
    await vi.waitFor(
      async () => expect((await readyz(service)).body).toMatchObject({ budget: "shared", redis: "ready" }),
      { timeout: 15_000, interval: 50 },
    );
    expect(await readyz(service)).toEqual({
      status: 200,
      body: expect.objectContaining({ status: "ready", budget: "shared", redis: "ready" }),
    });
    expect(await gauges(service)).toEqual({ local: 0, shared: 1, degraded: 0, redis_up: 1 });
    expect(service.client.budget.ratePerSecond).toBe(RATE);
    // The write made while Redis was away is what every read sees now, not the entry cached before it.
    await readAll(service, nicks("during"));
    // …and the budget's slots come from Redis again.
    const before = await redis.redis.client.get(`${redis.prefix}budget:profile/portrait_get`);
    const written2 = await service.gql(WRITE, { nick: "after" });
    expect(written2.errors).toBeUndefined();
    await readAll(service, nicks("after"));
    expect(await redis.redis.client.get(`${redis.prefix}budget:profile/portrait_get`)).not.toBe(before);
  });
});
