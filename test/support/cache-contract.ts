import { setImmediate as turn, setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { tagKeyOf, type CacheEntry, type CacheLookup, type ProfileCache } from "../../src/profile/cache.js";
import type { ProfileItem } from "../../src/tencent/portrait.js";

/*
 * The ProfileCache contract, as tests any implementation runs: the in-memory cache, the Redis cache
 * on one Redis, and on a Redis Cluster.
 */

export const NICK = tagKeyOf(["Tag_Profile_IM_Nick"]);
export const LEVEL = tagKeyOf(["Tag_Profile_IM_Level", "Tag_Profile_IM_Nick"]);
export const nick = (value: string): ProfileItem[] => [{ Tag: "Tag_Profile_IM_Nick", Value: value }];

export function miss(lookup: CacheLookup | undefined): string {
  if (!lookup || lookup.hit) throw new Error(`expected a miss, got ${JSON.stringify(lookup)}`);
  if (lookup.version === undefined) throw new Error("expected a miss with a version");
  return lookup.version;
}

/** Looks `account` up, and on a miss stores `items` under the version the lookup returned. */
export async function fill(cache: ProfileCache, account: string, tagKey: string, items: ProfileItem[]): Promise<void> {
  const [lookup] = await cache.get([account], tagKey);
  await cache.set([{ account, tagKey, version: miss(lookup), items }]);
}

let unique = 0;
/** Account names unique to one test, so tests sharing a cache (or a Redis prefix) never meet. */
export const accountsFor = (...names: string[]) => {
  unique++;
  return names.map((n) => `${n}.${unique}`);
};

/** The ProfileCache contract, run against each implementation. */
export function cacheContract(make: () => ProfileCache) {
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
