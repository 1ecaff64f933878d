import { createHash } from "node:crypto";
import { ApolloServer } from "@apollo/server";
import { afterAll, expect, it, vi } from "vitest";
import { createApqCache, type ApqCache } from "../../src/server/redis.js";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";

const QUERY = "{ hello }";
const HASH = createHash("sha256").update(QUERY).digest("hex");
const byHash = { extensions: { persistedQuery: { version: 1, sha256Hash: HASH } } };

async function replica(cache: ApqCache) {
  const server = new ApolloServer({
    typeDefs: "type Query { hello: String }",
    resolvers: { Query: { hello: () => "hi" } },
    persistedQueries: { cache, ttl: 60 },
  });
  await server.start();
  return server;
}

function outcome(response: Awaited<ReturnType<ApolloServer["executeOperation"]>>) {
  if (response.body.kind !== "single") throw new Error("expected a single result");
  const { data, errors } = response.body.singleResult;
  return errors ? errors.map((e) => e.extensions?.code) : data;
}

describeRedis("APQ store on Redis", () => {
  const fx = useRedis();
  const servers: ApolloServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("a query registered through one replica is served by hash through another", async () => {
    const other = await fx.connect();
    const one = await replica(createApqCache(fx.redis.client, fx.prefix));
    const two = await replica(createApqCache(other.client, fx.prefix));
    servers.push(one, two);

    expect(outcome(await two.executeOperation(byHash))).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
    expect(outcome(await one.executeOperation({ query: QUERY, ...byHash }))).toEqual({ hello: "hi" });
    // Apollo stores the registration without waiting for it.
    await vi.waitFor(async () => expect(await fx.redis.client.exists(`${fx.prefix}apq:${HASH}`)).toBe(1));
    expect(outcome(await two.executeOperation(byHash))).toEqual({ hello: "hi" });

    const ttl = await fx.redis.client.pTTL(`${fx.prefix}apq:${HASH}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("without a TTL from Apollo, entries get the default one; values round-trip between adapters", async () => {
    const other = await fx.connect();
    const one = createApqCache(fx.redis.client, fx.prefix, { defaultTtlSeconds: 30 });
    const two = createApqCache(other.client, fx.prefix);
    await one.set("apq:abc", "{ me { id } }");
    expect(await two.get("apq:abc")).toBe("{ me { id } }");
    const ttl = await fx.redis.client.pTTL(`${fx.prefix}apq:abc`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it("with Redis away or stalled, a lookup is a miss, not a failure", async () => {
    const proxy = await startTcpProxy(fx.url);
    try {
      const link = await fx.connect({ url: proxy.url });
      const cache = createApqCache(link.client, fx.prefix, { commandTimeoutMs: 50 });
      await cache.set("apq:stall", "{ hello }");
      expect(await cache.get("apq:stall")).toBe("{ hello }");

      proxy.freeze();
      expect(await cache.get("apq:stall")).toBeUndefined();
      proxy.thaw();

      const down = new Promise<void>((resolve) => link.onStateChange((s) => s === "down" && resolve()));
      await proxy.cut();
      await down;
      expect(await cache.get("apq:stall")).toBeUndefined();
      await cache.set("apq:other", "{ x }"); // resolves
    } finally {
      await proxy.close();
    }
  });
});
