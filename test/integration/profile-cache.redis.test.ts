import { setImmediate as turn, setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tagKeyOf, type CacheEntry, type CacheLookup, type ProfileCache } from "../../src/profile/cache.js";
import { MemoryProfileCache } from "../../src/profile/cache.memory.js";
import { RedisProfileCache } from "../../src/profile/cache.redis.js";
import type { RedisLink } from "../../src/redis/link.js";
import type { ProfileItem } from "../../src/tencent/portrait.js";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";

const NICK = tagKeyOf(["Tag_Profile_IM_Nick"]);
const LEVEL = tagKeyOf(["Tag_Profile_IM_Level", "Tag_Profile_IM_Nick"]);
const nick = (value: string): ProfileItem[] => [{ Tag: "Tag_Profile_IM_Nick", Value: value }];

function miss(lookup: CacheLookup | undefined): string {
  if (!lookup || lookup.hit) throw new Error(`expected a miss, got ${JSON.stringify(lookup)}`);
  if (lookup.version === undefined) throw new Error("expected a miss with a version");
  return lookup.version;
}

/** Looks `account` up, and on a miss stores `items` under the version the lookup returned. */
async function fill(cache: ProfileCache, account: string, tagKey: string, items: ProfileItem[]): Promise<void> {
  const [lookup] = await cache.get([account], tagKey);
  await cache.set([{ account, tagKey, version: miss(lookup), items }]);
}

let unique = 0;
/** Account names unique to one test, so tests sharing a cache (or a Redis prefix) never meet. */
const accountsFor = (...names: string[]) => {
  unique++;
  return names.map((n) => `${n}.${unique}`);
};

/** The ProfileCache contract, run against each implementation. */
function cacheContract(make: () => ProfileCache) {
  it("misses with a version, then hits with the items stored under it, per account, in order", async () => {
    const cache = make();
    const [alice, bob] = accountsFor("alice", "bob");
    const first = await cache.get([alice!, bob!, alice!], NICK);
    expect(first.map((l) => l.hit)).toEqual([false, false, false]);
    await cache.set([{ account: alice!, tagKey: NICK, version: miss(first[0]), items: nick("Alice") }]);
    const second = await cache.get([bob!, alice!], NICK);
    expect(second[0]).toMatchObject({ hit: false });
    expect(second[1]).toEqual({ hit: true, items: nick("Alice") });
  });

  it("keeps tag sets apart: an entry for one set is no hit for another", async () => {
    const cache = make();
    const [alice] = accountsFor("alice");
    await fill(cache, alice!, NICK, nick("Alice"));
    expect((await cache.get([alice!], LEVEL))[0]).toMatchObject({ hit: false });
  });

  it("keeps integers exact: bigint values round-trip", async () => {
    const cache = make();
    const [alice] = accountsFor("alice");
    const items: ProfileItem[] = [
      { Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n },
      { Tag: "Tag_Profile_IM_Level", Value: 4294967295 },
      { Tag: "Tag_Profile_IM_Nick", Value: "张伟 18446744073709551615" },
    ];
    await fill(cache, alice!, "k", items);
    expect(await cache.get([alice!], "k")).toEqual([{ hit: true, items }]);
  });

  it("a hit is the caller's own copy: changing it changes nothing cached", async () => {
    const cache = make();
    const [alice] = accountsFor("alice");
    await fill(cache, alice!, NICK, nick("Alice"));
    const [hit] = await cache.get([alice!], NICK);
    if (!hit?.hit) throw new Error("expected a hit");
    hit.items.push({ Tag: "Tag_Profile_IM_Level", Value: 1 });
    expect(await cache.get([alice!], NICK)).toEqual([{ hit: true, items: nick("Alice") }]);
  });

  it("invalidate voids the account's entries and gives a new version; other accounts keep theirs", async () => {
    const cache = make();
    const [alice, bob] = accountsFor("alice", "bob");
    await fill(cache, alice!, NICK, nick("Alice"));
    await fill(cache, bob!, NICK, nick("Bob"));
    const before = await cache.get([alice!], LEVEL);
    await cache.invalidate(alice!);
    const after = await cache.get([alice!, bob!], NICK);
    expect(after[0]).toMatchObject({ hit: false });
    expect(after[1]).toEqual({ hit: true, items: nick("Bob") });
    expect(miss(after[0])).not.toBe(miss(before[0]));
  });

  it("refuses the stale store: a read that looked up before a write cannot store what it fetched", async () => {
    const cache = make();
    const [alice] = accountsFor("alice");
    // The read looks up (miss) and fetches the old value...
    const [lookup] = await cache.get([alice!], NICK);
    const fetched = nick("old");
    // ...meanwhile the write lands upstream and invalidates before setProfile answers...
    await cache.invalidate(alice!);
    // ...then the read tries to store the old value under the version it saw: refused.
    await cache.set([{ account: alice!, tagKey: NICK, version: miss(lookup), items: fetched }]);
    const [next] = await cache.get([alice!], NICK);
    expect(next).toMatchObject({ hit: false });
    // A read that starts after the write stores (and later reads hit) the new value.
    await cache.set([{ account: alice!, tagKey: NICK, version: miss(next), items: nick("new") }]);
    expect(await cache.get([alice!], NICK)).toEqual([{ hit: true, items: nick("new") }]);
  });

  it("in a batch of stores, refuses only the entries whose account changed", async () => {
    const cache = make();
    const [alice, bob] = accountsFor("alice", "bob");
    const lookups = await cache.get([alice!, bob!], NICK);
    await cache.invalidate(bob!);
    const entries: CacheEntry[] = [
      { account: alice!, tagKey: NICK, version: miss(lookups[0]), items: nick("Alice") },
      { account: bob!, tagKey: NICK, version: miss(lookups[1]), items: nick("old Bob") },
    ];
    await cache.set(entries);
    const after = await cache.get([alice!, bob!], NICK);
    expect(after.map((l) => l.hit)).toEqual([true, false]);
  });

  it("under concurrent reads and writes, no read that starts after an invalidate resolved sees an older value", async () => {
    const cache = make();
    const accounts = accountsFor("a", "b", "c");
    const upstream = new Map<string, number>(accounts.map((a) => [a, 0]));
    /** Per account, the newest value whose invalidate has resolved: the least a read starting now may see. */
    const settled = new Map<string, number>(accounts.map((a) => [a, 0]));
    const violations: string[] = [];
    let hits = 0;
    let staleStores = 0;
    const pause = () => (Math.random() < 0.5 ? turn() : sleep(Math.floor(Math.random() * 3)));

    const write = async (account: string) => {
      const value = upstream.get(account)! + 1;
      upstream.set(account, value); // portrait_set succeeded
      await pause();
      await cache.invalidate(account); // before setProfile answers
      settled.set(account, Math.max(settled.get(account)!, value));
    };
    const read = async (account: string) => {
      const floor = settled.get(account)!;
      const [lookup] = await cache.get([account], LEVEL);
      let value: number;
      if (lookup!.hit) {
        hits++;
        value = Number(lookup!.items[0]!.Value);
      } else {
        await pause();
        value = upstream.get(account)!; // portrait_get reads now and answers after a while
        await pause();
        if (lookup!.version !== undefined) {
          if (upstream.get(account)! !== value) staleStores++;
          await cache.set([
            {
              account,
              tagKey: LEVEL,
              version: lookup!.version,
              items: [{ Tag: "Tag_Profile_IM_Level", Value: value }],
            },
          ]);
        }
      }
      if (value < floor) violations.push(`${account}: read ${value} after the invalidate of ${floor} resolved`);
    };

    // 12 concurrent clients, each a sequence of 50 operations on random accounts, 1 in 8 a write.
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let i = 0; i < 50; i++) {
          const account = accounts[Math.floor(Math.random() * accounts.length)]!;
          await (Math.random() < 1 / 8 ? write(account) : read(account));
        }
      }),
    );
    expect(violations).toEqual([]);
    // The race did happen (reads tried to store values a write had replaced), and the cache served.
    expect(staleStores).toBeGreaterThan(0);
    expect(hits).toBeGreaterThan(0);
  });
}

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

  it("with Redis away: misses without a version, stores nothing; a failed invalidate bumps the epoch on reconnect", async () => {
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
      expect(await cache.get([alice!, bob!], NICK)).toEqual([
        { hit: false, version: undefined },
        { hit: false, version: undefined },
      ]);
      await cache.set([{ account: bob!, tagKey: NICK, version: miss(bobLookup), items: nick("Bob") }]);
      await cache.invalidate(alice!); // the write happened upstream; Redis did not hear of it
      expect(cache.dirty).toBe(true);
      expect(errors).toEqual(expect.arrayContaining(["get", "set", "invalidate"]));
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
