import type { CacheEntry, CacheLookup, ProfileCache } from "../../src/profile/cache.js";
import type { ProfileItem } from "../../src/tencent/portrait.js";

/** A minimal versioned in-memory ProfileCache for dispatcher tests; `settled()` awaits stores in progress. */
export class MemoryProfileCacheForTest implements ProfileCache {
  readonly versions = new Map<string, number>();
  readonly entries = new Map<string, { version: string; items: ProfileItem[] }>();
  #pending: Promise<unknown>[] = [];

  async get(accounts: readonly string[], tagKey: string): Promise<CacheLookup[]> {
    return accounts.map((account) => {
      const version = String(this.versions.get(account) ?? 0);
      const entry = this.entries.get(`${account}|${tagKey}`);
      return entry && entry.version === version ? { hit: true, items: entry.items } : { hit: false, version };
    });
  }

  set(entries: readonly CacheEntry[]): Promise<void> {
    const done = Promise.resolve().then(() => {
      for (const e of entries) {
        if (String(this.versions.get(e.account) ?? 0) === e.version) this.entries.set(`${e.account}|${e.tagKey}`, { version: e.version, items: [...e.items] });
      }
    });
    this.#pending.push(done);
    return done;
  }

  async invalidate(account: string): Promise<void> {
    this.versions.set(account, (this.versions.get(account) ?? 0) + 1);
  }

  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }

  async close(): Promise<void> {}
}
