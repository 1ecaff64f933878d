import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryProfileCache } from "../../src/profile/cache.memory.js";
import { RedisProfileCache } from "../../src/profile/cache.redis.js";
import type { RedisLink } from "../../src/redis/link.js";
import { accountsFor, cacheContract, fill, miss, NICK, nick } from "../support/cache-contract.js";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";

describe("MemoryProfileCache", () => {
  cacheContract(() => new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 1000 }));

  it("keeps at most maxEntries, dropping the least recently used", async () => {
    const cache = new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 2 });
    await fill(cache, "a", NICK, nick("A"));
    await fill(cache, "b", NICK, nick("B"));
    await cache.get(["a"], NICK); // a is now more recent than b
    await fill(cache, "c", NICK, nick("C"));
    expect((await cache.get(["a", "b", "c"], NICK)).map((l) => l.hit)).toEqual([true, false, true]);
  });

  it("serves an entry for ttlMs, not after", async () => {
    let now = 1000;
    const cache = new MemoryProfileCache({ ttlMs: 5000, maxEntries: 10, clock: { now: () => now } });
    await fill(cache, "a", NICK, nick("A"));
    now += 4999;
    expect((await cache.get(["a"], NICK))[0]).toMatchObject({ hit: true });
    now += 2;
    expect((await cache.get(["a"], NICK))[0]).toMatchObject({ hit: false });
  });

  it("past ttlMs and within staleMs, a lookup is a miss that carries the entry as stale, with its age; not after", async () => {
    let now = 1000;
    const cache = new MemoryProfileCache({ ttlMs: 5000, staleMs: 60_000, maxEntries: 10, clock: { now: () => now } });
    await fill(cache, "a", NICK, nick("A"));
    now += 5001;
    expect((await cache.get(["a"], NICK))[0]).toMatchObject({ hit: false, stale: { items: nick("A"), ageMs: 5001 } });
    now += 60_000;
    expect((await cache.get(["a"], NICK))[0]).toEqual({ hit: false, version: expect.any(String) });
  });

  it("an invalidated entry is never served stale: a change made it wrong, not old", async () => {
    let now = 1000;
    const cache = new MemoryProfileCache({ ttlMs: 5000, staleMs: 60_000, maxEntries: 10, clock: { now: () => now } });
    await fill(cache, "a", NICK, nick("A"));
    await cache.invalidate("a");
    now += 6000;
    expect((await cache.get(["a"], NICK))[0]).toEqual({ hit: false, version: expect.any(String) });
  });

  it("when it drops an account's version to bound memory, voids older lookups instead of matching them again", async () => {
    const cache = new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 1 });
    const [lookup] = await cache.get(["alice"], NICK);
    await cache.invalidate("alice");
    for (let i = 0; i < 10_000; i++) await cache.invalidate(`other${i}`); // alice's version record is evicted
    await cache.set([{ account: "alice", tagKey: NICK, version: miss(lookup), items: nick("old") }]);
    expect((await cache.get(["alice"], NICK))[0]).toMatchObject({ hit: false });
  });
});

describeRedis("RedisProfileCache", () => {
  const fx = useRedis();
  const caches: RedisProfileCache[] = [];
  const make = (options: Partial<ConstructorParameters<typeof RedisProfileCache>[0]> = {}) => {
    const cache = new RedisProfileCache({ client: fx.redis.link, keyPrefix: fx.prefix, ttlMs: 60_000, ...options });
    caches.push(cache);
    return cache;
  };
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((c) => c.close()));
  });

  cacheContract(() => make());

  it("keeps an entry up to staleMs: past the TTL a lookup carries it as stale, by Redis's clock", async () => {
    const cache = make({ ttlMs: 50, staleMs: 60_000 });
    const [alice] = accountsFor("alice");
    await fill(cache, alice!, NICK, nick("Alice"));
    await sleep(80);
    const [lookup] = await cache.get([alice!], NICK);
    expect(lookup).toMatchObject({ hit: false, stale: { items: nick("Alice") } });
    expect((lookup as { stale: { ageMs: number } }).stale.ageMs).toBeGreaterThanOrEqual(50);
    // Stored for as long as it may serve stale.
    const entry = (await fx.keys()).find((k) => k.startsWith(`${fx.prefix}profile:{${alice}}:e:`))!;
    expect(await fx.redis.client.pTTL(entry)).toBeGreaterThan(50_000);
  });

  it("an invalidate through one replica voids the entry for every replica at once", async () => {
    const other = await fx.connect();
    const one = make();
    const two = make({ client: other.link });
    const [alice] = accountsFor("alice");
    await fill(one, alice!, NICK, nick("old"));
    expect((await two.get([alice!], NICK))[0]).toMatchObject({ hit: true });
    await one.invalidate(alice!);
    expect((await two.get([alice!], NICK))[0]).toMatchObject({ hit: false });
  });

  it("answers a whole batch in two round trips: the epoch, then one script over every key it names", async () => {
    let commands = 0;
    const link = fx.redis.link;
    const counting: RedisLink = {
      get isReady() {
        return link.isReady;
      },
      clustered: link.clustered,
      on: (event, listener) => link.on(event, listener),
      off: (event, listener) => link.off(event, listener),
      sendCommand: (args, route) => (commands++, link.sendCommand(args, route)),
    };
    const cache = make({ client: counting });
    const accounts = accountsFor(...Array.from({ length: 100 }, (_, i) => `u${i}`));
    await cache.get(accounts, NICK); // may load the script once (NOSCRIPT, then EVAL)
    commands = 0;
    const lookups = await cache.get(accounts, NICK);
    expect(lookups).toHaveLength(100);
    expect(commands).toBe(2);
  });

  it("stores entries with the TTL, under the prefix; versions have none (they must never be evicted)", async () => {
    const cache = make({ ttlMs: 5000 });
    const [alice] = accountsFor("alice");
    await fill(cache, alice!, NICK, nick("Alice"));
    await cache.invalidate(alice!);
    await fill(cache, alice!, NICK, nick("Alice 2"));
    // Each account's keys share its hash slot ({account}): the layout works on Redis Cluster.
    const keys = (await fx.keys()).filter((k) => k.startsWith(`${fx.prefix}profile:{${alice}}:`));
    const entry = keys.find((k) => k.startsWith(`${fx.prefix}profile:{${alice}}:e:`))!;
    const version = keys.find((k) => k === `${fx.prefix}profile:{${alice}}:v`)!;
    const ttl = await fx.redis.client.pTTL(entry);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    expect(await fx.redis.client.pTTL(version)).toBe(-1);
  });

  it("does not store an entry larger than maxEntryBytes", async () => {
    const cache = make({ maxEntryBytes: 200 });
    const [small, large] = accountsFor("small", "large");
    await fill(cache, small!, NICK, nick("x".repeat(50)));
    await fill(cache, large!, NICK, nick("x".repeat(500)));
    expect((await cache.get([small!, large!], NICK)).map((l) => l.hit)).toEqual([true, false]);
  });

  it("with Redis away: misses without a version, stores nothing; the lost connection and a failed invalidate bump the epoch on reconnect", async () => {
    const proxy = await startTcpProxy(fx.url);
    try {
      const link = await fx.connect({ url: proxy.url, maxReconnectDelayMs: 100 });
      const errors: string[] = [];
      const cache = make({ client: link.link });
      cache.onError((_, operation) => errors.push(operation));
      const other = make(); // a replica that still reaches Redis
      const [alice, bob] = accountsFor("alice", "bob");
      await fill(cache, alice!, NICK, nick("old Alice"));
      const [bobLookup] = await cache.get([bob!], NICK);

      const down = new Promise<void>((resolve) => link.onStateChange((s) => s === "down" && resolve()));
      await proxy.cut();
      await down;
      // Writes Redis acknowledged just before it went may be lost with it (a restart, a failover):
      // the cache is dirty until an epoch bump voids what was stored before.
      expect(cache.dirty).toBe(true);
      expect(await cache.get([alice!, bob!], NICK)).toEqual([
        { hit: false, version: undefined },
        { hit: false, version: undefined },
      ]);
      await cache.set([{ account: bob!, tagKey: NICK, version: miss(bobLookup), items: nick("Bob") }]);
      await cache.invalidate(alice!); // the write happened upstream; Redis did not hear of it
      expect(cache.dirty).toBe(true);
      // While dirty, each lookup and store first tries the epoch bump, and fails there.
      expect(errors).toEqual(expect.arrayContaining(["epoch", "invalidate"]));
      // The documented window: a replica that still reaches Redis serves the old entry...
      expect((await other.get([alice!], NICK))[0]).toEqual({ hit: true, items: nick("old Alice") });

      await proxy.restore();
      await vi.waitFor(() => expect(cache.dirty).toBe(false)); // the epoch bump on reconnect
      // ...until the epoch bump voids every older entry, everywhere.
      expect((await other.get([alice!], NICK))[0]).toMatchObject({ hit: false });
      expect((await cache.get([bob!], NICK))[0]).toMatchObject({ hit: false }); // the store while away never landed
      // A lookup from before the outage cannot store into the new epoch either.
      await cache.set([{ account: bob!, tagKey: NICK, version: miss(bobLookup), items: nick("Bob") }]);
      expect((await cache.get([bob!], NICK))[0]).toMatchObject({ hit: false });
      await fill(cache, bob!, NICK, nick("Bob"));
      expect((await other.get([bob!], NICK))[0]).toEqual({ hit: true, items: nick("Bob") });
    } finally {
      await proxy.close();
    }
  });
});
