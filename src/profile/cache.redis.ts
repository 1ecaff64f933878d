import { Buffer } from "node:buffer";
import { DEFAULTS } from "../config/defaults.js";
import { createHash, randomBytes } from "node:crypto";
import { LuaScript, withTimeout, type RedisLink } from "../redis/link.js";
import { groupBySlot } from "../redis/slots.js";
import { parseJson, stringifyJson } from "../tencent/json.js";
import type { WireItem } from "../tencent/portrait.js";
import type { CacheEntry, CacheLookup, CacheOperation, ProfileCache } from "./cache.js";

export interface RedisProfileCacheOptions {
  /** A connected (or connecting) link to Redis or a Redis Cluster; the cache never closes it. */
  client: RedisLink;
  /** Prepended to every key. Default `portrait-graph:`. */
  keyPrefix?: string;
  /** How long an entry is served (PROFILE_CACHE_TTL_MS, > 0). */
  ttlMs: number;
  /** How old an entry may be and still be served, marked stale, when Tencent cannot answer (STALE_IF_ERROR_MS). Default 0. */
  staleMs?: number;
  /** A serialized entry larger than this is not stored (PROFILE_CACHE_MAX_ENTRY_BYTES). Default 16 384. */
  maxEntryBytes?: number;
  /** A Redis round trip slower than this counts as failed. Default 200 ms. */
  commandTimeoutMs?: number;
}

/*
 * Keys (p = key prefix), each account's keys sharing one hash slot (`{<account>}`), so the keys of
 * one account always live on one node:
 *   p profile:epoch                              set anew after an outage (a token never used before)
 *   p profile:{<account>}:v                      the account's version, INCR'd by every change
 *   p profile:{<account>}:e:<epoch>:<tag set>    "<version>:<stored at, ms>:<items as JSON>", with the TTL
 * The tag set is a hash of the tag key, so keys stay short.
 *
 * The version and epoch keys have no TTL and must never be evicted (if the version key vanished,
 * the version would read 0 again and an old entry stamped 0 could match): run Redis with
 * `maxmemory-policy volatile-lru` (or volatile-lfu / volatile-ttl), which evicts only keys with a
 * TTL, i.e. entries. They cost one small key per account ever changed.
 */

/**
 * Lookups: KEYS are, per account, its version key then its entry key (under the epoch read just
 * before). Returns Redis's time (ms), then per account its version and entry (if stamped with it).
 * On a single Redis one call takes a whole batch; on a cluster, one call per hash slot (a script may
 * only touch one slot there), all sent at once.
 */
const GET = new LuaScript(`
local t = redis.call('TIME')
local out = { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) }
for i = 1, #KEYS, 2 do
  local version = redis.call('GET', KEYS[i]) or '0'
  local entry = redis.call('GET', KEYS[i + 1])
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
 * Compare-and-set: stores each entry only if its account's version is still the one its lookup saw
 * (the entry key carries the epoch the lookup saw). KEYS per entry: version key, entry key; ARGV:
 * the entry's lifetime (ms), then per entry the version seen and the JSON.
 */
const SET = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stored = 0
for i = 1, #KEYS, 2 do
  local n = (i + 1) / 2
  local version = redis.call('GET', KEYS[i]) or '0'
  if ARGV[2 * n] == version then
    redis.call('SET', KEYS[i + 1], version .. ':' .. now .. ':' .. ARGV[2 * n + 1], 'PX', ARGV[1])
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
 * Entries are kept up to `staleMs` when that is longer than the TTL: past the TTL a lookup is a
 * miss that carries the entry as `stale`, for the reader to serve if Tencent cannot answer.
 *
 * When Redis is away: lookups are misses without a token (nothing gets stored), and an invalidate
 * that fails (or times out: it may or may not have landed) still resolves, because the write itself
 * succeeded upstream, but marks this replica's cache dirty. A dirty replica serves and stores
 * nothing until it has bumped the shared epoch, which voids every entry written before: it tries on
 * every reconnect and before every lookup. The honest window: until that bump lands, or the entry's
 * TTL ends, other replicas that still reach Redis may serve the entry the failed invalidate should
 * have voided (and store one they fetched before the write). The TTL bounds it.
 *
 * A lost connection marks the cache dirty too, even when no invalidate failed: Redis replicates
 * asynchronously, so when a master dies (Redis Cluster failover, or a Redis restarted from a
 * snapshot) the last version bumps it acknowledged may be gone from the copy that takes over, and
 * an entry stored before them would match again. The epoch bump after the loss voids every such
 * entry. It sets a random epoch rather than INCR, since the epoch key's own last bump may be the
 * write that was lost: a value seen before must never come back. The cost: after a failover or a
 * reconnect, the cache starts empty.
 */
export class RedisProfileCache implements ProfileCache {
  readonly #client: RedisLink;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #staleMs: number;
  readonly #maxEntryBytes: number;
  readonly #timeoutMs: number;
  readonly #errorListeners = new Set<(error: unknown, operation: CacheOperation) => void>();
  /**
   * Failed invalidates and lost connections so far, and how many of them an epoch bump has covered:
   * dirty while they differ.
   */
  #losses = 0;
  #covered = 0;
  #bumping: Promise<boolean> | undefined;

  constructor(options: RedisProfileCacheOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be > 0, got ${options.ttlMs}`);
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? DEFAULTS.redis.keyPrefix;
    this.#ttlMs = Math.ceil(options.ttlMs);
    this.#staleMs = Math.ceil(options.staleMs ?? 0);
    this.#maxEntryBytes = options.maxEntryBytes ?? DEFAULTS.profileCache.maxEntryBytes;
    this.#timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
    this.#client.on("ready", this.#onReady);
    this.#client.on("reconnecting", this.#onLost);
    this.#client.on("end", this.#onLost);
  }

  /**
   * True after a failed invalidate or a lost connection, until the epoch bump that makes this
   * replica's cache usable again.
   */
  get dirty(): boolean {
    return this.#losses !== this.#covered;
  }

  async get(accounts: readonly string[], tagKey: string): Promise<CacheLookup[]> {
    const unavailable = () => accounts.map((): CacheLookup => ({ hit: false, version: undefined }));
    if (accounts.length === 0) return [];
    if (this.dirty && !(await this.#bumpEpoch())) return unavailable();
    let epoch: string;
    /** Per account, Redis's time (of the node that holds it), its version and its entry if stamped with it. */
    const found: [now: number, version: unknown, entry: unknown][] = [];
    try {
      const stored = await withTimeout(
        this.#client.sendCommand(["GET", this.#epochKey()], { key: this.#epochKey() }),
        this.#timeoutMs,
      );
      epoch = typeof stored === "string" ? stored : "0";
      const tags = tagHash(tagKey);
      const groups = groupBySlot(
        accounts.map((account, index) => ({ index, key: this.#versionKey(account) })),
        (item) => item.key,
        this.#client.clustered,
      );
      const replies = await Promise.all(
        groups.map((group) =>
          GET.run(
            this.#client,
            group.flatMap(({ index, key }) => [key, this.#entryKey(accounts[index]!, epoch, tags)]),
            [],
            this.#timeoutMs,
          ),
        ),
      );
      groups.forEach((group, g) => {
        const [now, ...pairs] = replies[g] as [number, ...unknown[]];
        group.forEach(({ index }, i) => (found[index] = [Number(now), pairs[2 * i], pairs[2 * i + 1]]));
      });
    } catch (error) {
      this.#failed(error, "get");
      return unavailable();
    }
    return accounts.map((_, i): CacheLookup => {
      const [now, version, entry] = found[i]!;
      const token = `${epoch}:${String(version)}`;
      if (typeof entry !== "string") return { hit: false, version: token };
      const at = entry.indexOf(":");
      const ageMs = Math.max(0, now - Number(entry.slice(0, at)));
      const items = parseJson(entry.slice(at + 1)) as WireItem[];
      if (ageMs <= this.#ttlMs) return { hit: true, items };
      return { hit: false, version: token, stale: { items, ageMs } };
    });
  }

  async set(entries: readonly CacheEntry[]): Promise<void> {
    if (this.dirty && !(await this.#bumpEpoch())) return;
    const stores: { keys: [string, string]; args: [string, string] }[] = [];
    for (const { account, tagKey, version, items } of entries) {
      const json = stringifyJson(items);
      if (Buffer.byteLength(json) > this.#maxEntryBytes) continue;
      const split = version.indexOf(":");
      stores.push({
        keys: [this.#versionKey(account), this.#entryKey(account, version.slice(0, split), tagHash(tagKey))],
        args: [version.slice(split + 1), json],
      });
    }
    const lifetime = String(Math.max(this.#ttlMs, this.#staleMs));
    try {
      await Promise.all(
        groupBySlot(stores, (store) => store.keys[0], this.#client.clustered).map((group) =>
          SET.run(
            this.#client,
            group.flatMap((store) => store.keys),
            [lifetime, ...group.flatMap((store) => store.args)],
            this.#timeoutMs,
          ),
        ),
      );
    } catch (error) {
      this.#failed(error, "set");
    }
  }

  async invalidate(account: string): Promise<void> {
    try {
      const key = this.#versionKey(account);
      await withTimeout(this.#client.sendCommand(["INCR", key], { key }), this.#timeoutMs);
    } catch (error) {
      this.#losses++;
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
    this.#client.off("reconnecting", this.#onLost);
    this.#client.off("end", this.#onLost);
  }

  readonly #onLost = (): void => {
    this.#losses++;
  };

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

  #epochKey(): string {
    return `${this.#prefix}profile:epoch`;
  }

  #versionKey(account: string): string {
    return `${this.#prefix}profile:{${account}}:v`;
  }

  #entryKey(account: string, epoch: string, tags: string): string {
    return `${this.#prefix}profile:{${account}}:e:${epoch}:${tags}`;
  }

  #bumpOnce(): Promise<boolean> {
    const covers = this.#losses;
    const key = this.#epochKey();
    const epoch = randomBytes(8).toString("hex");
    this.#bumping ??= withTimeout(this.#client.sendCommand(["SET", key, epoch], { key }), this.#timeoutMs)
      .then(
        () => {
          this.#covered = Math.max(this.#covered, covers);
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
