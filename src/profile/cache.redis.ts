import { Buffer } from "node:buffer";
import { DEFAULTS } from "../config/defaults.js";
import { createHash } from "node:crypto";
import { LuaScript, withTimeout, type RedisLink } from "../redis/link.js";
import { parseJson, stringifyJson } from "../tencent/json.js";
import type { WireItem } from "../tencent/portrait.js";
import type { CacheEntry, CacheLookup, CacheOperation, ProfileCache } from "./cache.js";

export interface RedisProfileCacheOptions {
  /** A connected (or connecting) node-redis client; the cache never closes it. */
  client: RedisLink;
  /** Prepended to every key. Default `portrait-graph:`. */
  keyPrefix?: string;
  /** How long an entry lives (PROFILE_CACHE_TTL_MS, > 0). */
  ttlMs: number;
  /** A serialized entry larger than this is not stored (PROFILE_CACHE_MAX_ENTRY_BYTES). Default 16 384. */
  maxEntryBytes?: number;
  /** A Redis round trip slower than this counts as failed. Default 200 ms. */
  commandTimeoutMs?: number;
}

/*
 * Keys (p = key prefix):
 *   p profile:epoch                          INCR'd after an outage in which an invalidate failed
 *   p profile:v:<account>                    the account's version, INCR'd by every write
 *   p profile:e:<epoch>:<tag set>:<account>  "<version>:<items as JSON>", with the TTL
 * The tag set is a hash of the tag key, so keys stay short and ':'-free up to the account.
 *
 * The version and epoch keys have no TTL and must never be evicted (if `profile:v:alice` vanished,
 * her version would read 0 again and an old entry stamped 0 could match): run Redis with
 * `maxmemory-policy volatile-lru` (or volatile-lfu / volatile-ttl), which evicts only keys with a
 * TTL, i.e. entries. They cost one small key per account ever written through the service.
 *
 * The scripts build keys from the prefix: one Redis (or one primary), not Redis Cluster.
 */

/** Every lookup of a batch in one round trip: the epoch, then per account its version and entry (if stamped with it). */
const GET = new LuaScript(`
local p = ARGV[1]
local epoch = redis.call('GET', p .. 'profile:epoch') or '0'
local out = { epoch }
for i = 3, #ARGV do
  local account = ARGV[i]
  local version = redis.call('GET', p .. 'profile:v:' .. account) or '0'
  local entry = redis.call('GET', p .. 'profile:e:' .. epoch .. ':' .. ARGV[2] .. ':' .. account)
  out[#out + 1] = version
  if entry and string.sub(entry, 1, #version + 1) == version .. ':' then
    out[#out + 1] = string.sub(entry, #version + 2)
  else
    out[#out + 1] = false
  end
end
return out
`);

/**
 * Compare-and-set: stores each entry only if epoch and version are still those its lookup saw
 * (the token "<epoch>:<version>"). ARGV: prefix, TTL in ms, then account, tag set, token, JSON per entry.
 */
const SET = new LuaScript(`
local p = ARGV[1]
local epoch = redis.call('GET', p .. 'profile:epoch') or '0'
local stored = 0
for i = 3, #ARGV, 4 do
  local account = ARGV[i]
  local version = redis.call('GET', p .. 'profile:v:' .. account) or '0'
  if ARGV[i + 2] == epoch .. ':' .. version then
    redis.call('SET', p .. 'profile:e:' .. epoch .. ':' .. ARGV[i + 1] .. ':' .. account, version .. ':' .. ARGV[i + 3], 'PX', ARGV[2])
    stored = stored + 1
  end
end
return stored
`);

/**
 * The profile cache shared by every replica through Redis.
 *
 *   const cache = new RedisProfileCache({ client: redis.client, keyPrefix: redis.keyPrefix, ttlMs: 30_000 });
 *
 * A lookup returns the token "<epoch>:<version>" for each miss; `set` stores an entry only if that
 * token is still current, so a read that began before a write can never store what it fetched
 * after the write bumped the version. `invalidate` is one INCR, seen by every replica at once.
 *
 * When Redis is away: lookups are misses without a token (nothing gets stored), and an invalidate
 * that fails (or times out: it may or may not have landed) still resolves, because the write itself
 * succeeded upstream, but marks this replica's cache dirty. A dirty replica serves and stores
 * nothing until it has bumped the shared epoch, which voids every entry written before: it tries on
 * every reconnect and before every lookup. The honest window: until that bump lands, or the entry's
 * TTL ends, other replicas that still reach Redis may serve the entry the failed invalidate should
 * have voided (and store one they fetched before the write). The TTL bounds it.
 */
export class RedisProfileCache implements ProfileCache {
  readonly #client: RedisLink;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #maxEntryBytes: number;
  readonly #timeoutMs: number;
  readonly #errorListeners = new Set<(error: unknown, operation: CacheOperation) => void>();
  /** Failed invalidates so far, and how many of them an epoch bump has covered: dirty while they differ. */
  #failedInvalidates = 0;
  #coveredInvalidates = 0;
  #bumping: Promise<boolean> | undefined;

  constructor(options: RedisProfileCacheOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${options.ttlMs}`);
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? DEFAULTS.redis.keyPrefix;
    this.#ttlMs = Math.ceil(options.ttlMs);
    this.#maxEntryBytes = options.maxEntryBytes ?? DEFAULTS.profileCache.maxEntryBytes;
    this.#timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
    this.#client.on("ready", this.#onReady);
  }

  /** True after a failed invalidate, until the epoch bump that makes this replica's cache usable again. */
  get dirty(): boolean {
    return this.#failedInvalidates !== this.#coveredInvalidates;
  }

  async get(accounts: readonly string[], tagKey: string): Promise<CacheLookup[]> {
    const unavailable = () => accounts.map((): CacheLookup => ({ hit: false, version: undefined }));
    if (accounts.length === 0) return [];
    if (this.dirty && !(await this.#bumpEpoch())) return unavailable();
    let reply: unknown;
    try {
      reply = await GET.run(this.#client, [], [this.#prefix, tagHash(tagKey), ...accounts], this.#timeoutMs);
    } catch (error) {
      this.#failed(error, "get");
      return unavailable();
    }
    const [epoch, ...pairs] = reply as (string | null)[];
    return accounts.map((_, i): CacheLookup => {
      const version = pairs[2 * i]!;
      const json = pairs[2 * i + 1];
      if (json == null) return { hit: false, version: `${epoch}:${version}` };
      return { hit: true, items: parseJson(json) as WireItem[] };
    });
  }

  async set(entries: readonly CacheEntry[]): Promise<void> {
    if (this.dirty && !(await this.#bumpEpoch())) return;
    const args: string[] = [];
    for (const { account, tagKey, version, items } of entries) {
      const json = stringifyJson(items);
      if (Buffer.byteLength(json) > this.#maxEntryBytes) continue;
      args.push(account, tagHash(tagKey), version, json);
    }
    if (args.length === 0) return;
    try {
      await SET.run(this.#client, [], [this.#prefix, String(this.#ttlMs), ...args], this.#timeoutMs);
    } catch (error) {
      this.#failed(error, "set");
    }
  }

  async invalidate(account: string): Promise<void> {
    try {
      await withTimeout(this.#client.sendCommand(["INCR", `${this.#prefix}profile:v:${account}`]), this.#timeoutMs);
    } catch (error) {
      this.#failedInvalidates++;
      this.#failed(error, "invalidate");
    }
  }

  /** Redis failures, for logs and metrics (the cache itself carries on with misses). */
  onError(listener: (error: unknown, operation: CacheOperation) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  #failed(error: unknown, operation: CacheOperation): void {
    for (const listener of this.#errorListeners) listener(error, operation);
  }

  /** Stops listening to the client; the client stays open. */
  async close(): Promise<void> {
    this.#client.off("ready", this.#onReady);
  }

  readonly #onReady = (): void => {
    if (this.dirty) void this.#bumpEpoch();
  };

  /**
   * One epoch bump at a time; resolves true once the cache is clean. A bump covers only the failures
   * before it started: one that fails while it is in flight needs another bump, after it.
   */
  async #bumpEpoch(): Promise<boolean> {
    while (this.dirty) {
      if (!(await this.#bumpOnce())) return false;
    }
    return true;
  }

  #bumpOnce(): Promise<boolean> {
    const covers = this.#failedInvalidates;
    this.#bumping ??= withTimeout(this.#client.sendCommand(["INCR", `${this.#prefix}profile:epoch`]), this.#timeoutMs)
      .then(
        () => {
          this.#coveredInvalidates = Math.max(this.#coveredInvalidates, covers);
          return true;
        },
        (error: unknown) => {
          this.#failed(error, "epoch");
          return false;
        },
      )
      .finally(() => {
        this.#bumping = undefined;
      });
    return this.#bumping;
  }
}

/** A short, ':'-free name for a tag set (96 bits of SHA-1: collisions are not a practical concern). */
function tagHash(tagKey: string): string {
  return createHash("sha1").update(tagKey).digest("base64url").slice(0, 16);
}
