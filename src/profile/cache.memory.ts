import { LRUCache } from "lru-cache";
import type { WireItem } from "../tencent/portrait.js";
import type { CacheEntry, CacheLookup, ProfileCache } from "./cache.js";

export interface MemoryProfileCacheOptions {
  /** How long an entry may be served (PROFILE_CACHE_TTL_MS, > 0). */
  ttlMs: number;
  /** Entries kept (PROFILE_CACHE_MAX_ENTRIES); the least recently used go first. */
  maxEntries: number;
  /** Tests only: the clock TTLs are measured with. */
  clock?: { now(): number };
}

interface Entry {
  version: number;
  items: readonly WireItem[];
}

/**
 * The profile cache of a single process (no REDIS_URL). With several replicas it would let one
 * replica serve what another just overwrote, so it is only for one.
 *
 *   const cache = new MemoryProfileCache({ ttlMs: 30_000, maxEntries: 10_000 });
 *
 * Versions come from one counter: `invalidate` gives the account the next value, so a version is
 * never reused. Accounts without a record (never written, or whose record was dropped to bound
 * memory) share a floor version; dropping a record raises the floor, which voids every entry and
 * every lookup that saw an older one (a few misses, never a stale hit).
 */
export class MemoryProfileCache implements ProfileCache {
  readonly #entries: LRUCache<string, Entry>;
  readonly #versions: LRUCache<string, number>;
  #counter = 0;
  #floor = 0;

  constructor(options: MemoryProfileCacheOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${options.ttlMs}`);
    if (!(Number.isInteger(options.maxEntries) && options.maxEntries >= 1)) {
      throw new RangeError(`maxEntries must be an integer >= 1, got ${options.maxEntries}`);
    }
    this.#entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
    });
    this.#versions = new LRUCache<string, number>({
      max: Math.max(options.maxEntries, 10_000),
      disposeAfter: (_version, _account, reason) => {
        if (reason === "evict") this.#floor = ++this.#counter;
      },
    });
  }

  async get(accounts: readonly string[], tagKey: string): Promise<CacheLookup[]> {
    return accounts.map((account): CacheLookup => {
      const version = this.#versionOf(account);
      const entry = this.#entries.get(entryKey(account, tagKey));
      if (entry && entry.version === version) return { hit: true, items: [...entry.items] };
      return { hit: false, version: String(version) };
    });
  }

  async set(entries: readonly CacheEntry[]): Promise<void> {
    for (const { account, tagKey, version, items } of entries) {
      const current = this.#versionOf(account);
      if (version !== String(current)) continue;
      this.#entries.set(entryKey(account, tagKey), {
        version: current,
        items: items.map((item) => Object.freeze({ ...item })),
      });
    }
  }

  async invalidate(account: string): Promise<void> {
    this.#versions.set(account, ++this.#counter);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }

  #versionOf(account: string): number {
    return this.#versions.get(account) ?? this.#floor;
  }
}

/** NUL cannot occur in a UserID, so account and tag set never run into each other. */
function entryKey(account: string, tagKey: string): string {
  return `${account}\u0000${tagKey}`;
}
