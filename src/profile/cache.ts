import type { WireItem } from "../tencent/portrait.js";

/**
 * The optional shared profile cache (off by default): one entry per account and tag set, each
 * stamped with the account's version. A write bumps the version before `setProfile` answers, so
 * an entry stored from a read that started before the write can never be served after it.
 */
export interface ProfileCache {
  /** One lookup per account, in order: a hit, or a miss with the version to store the fetched value under. */
  get(accounts: readonly string[], tagKey: string): Promise<CacheLookup[]>;
  /** Store fetched profiles, each only if its account's version is still the one its lookup saw. */
  set(entries: readonly CacheEntry[]): Promise<void>;
  /**
   * Bump the account's version everywhere; resolves once no replica can serve an older entry.
   * Never rejects: the write it follows has happened. If the shared store cannot be reached, the
   * implementation falls back as it documents (RedisProfileCache: this replica stops using the cache
   * until it has voided every older entry; others may serve one until then or until the TTL).
   */
  invalidate(account: string): Promise<void>;
  /** Failures of the store (a cache that cannot fail has none); returns a function that stops listening. */
  onError?(listener: (error: unknown, operation: CacheOperation) => void): () => void;
  close(): Promise<void>;
}

/** What a cache was doing when its store failed. */
export type CacheOperation = "get" | "set" | "invalidate" | "epoch";

export type CacheLookup =
  | { hit: true; items: WireItem[] }
  /** `version` undefined: the cache could not be read (e.g. Redis away); do not store. */
  | { hit: false; version: string | undefined };

export interface CacheEntry {
  account: string;
  tagKey: string;
  version: string;
  items: readonly WireItem[];
}

/** The cache key of a tag set: its tags sorted and joined, so the same set always maps to the same key. */
export function tagKeyOf(tags: Iterable<string>): string {
  return [...new Set(tags)].sort().join(",");
}

/**
 * What to store after one account's read: for each tag set its readers missed (with the version
 * each lookup saw), the fetched items restricted to that set.
 */
export function entriesToStore(
  account: string,
  missed: ReadonlyMap<string, string>,
  items: readonly WireItem[],
): CacheEntry[] {
  return [...missed].map(([tagKey, version]) => {
    const wanted = new Set(tagKey.split(","));
    return { account, tagKey, version, items: items.filter((item) => wanted.has(item.Tag)) };
  });
}
