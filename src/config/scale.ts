import { DEFAULTS } from "./defaults.js";
import { ConfigError, number, redactUrl, type Env } from "./env.js";

// ─── Scale-out: Redis, the shared call budget, the profile cache ────────────────────────────────
// Nothing here connects to anything: with REDIS_URL and REDIS_CLUSTER_NODES unset the service is
// one process that shares nothing, and `npm start` needs no Redis.

export interface ScaleOutSettings {
  /** `redis[s]://[[user]:password@]host[:port][/db]`; undefined: one process, nothing shared. */
  redisUrl: string | undefined;
  /**
   * A Redis Cluster instead (REDIS_CLUSTER_NODES): its seed nodes as URLs, each with the first
   * entry's scheme and credentials, which apply to every node of the cluster. Undefined: no cluster.
   */
  redisClusterNodes: string[] | undefined;
  /** Prepended to every key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** Replicas sharing TIM_RATE_LIMIT; while Redis is away each takes TIM_RATE_LIMIT ÷ REPLICAS. */
  replicas: number;
  /** How long one Redis command may take before it counts as failed (a dead Redis costs this, once). */
  redisCommandTimeoutMs: number;
  profileCache: {
    /** 0: no profile cache. */
    ttlMs: number;
    /** How old a cached profile may be and still be served, marked stale, when Tencent cannot answer. */
    staleIfErrorMs: number;
    /** In-memory cache (no REDIS_URL): entries kept, least recently used dropped first. */
    maxEntries: number;
    /** Redis cache: a serialized entry larger than this is not stored. */
    maxEntryBytes: number;
  };
}

/**
 * `coherent`: the profile-change callback keeps the cache coherent, so it is on by default (with a
 * TTL as the safety net for lost callbacks); without it the cache is off unless PROFILE_CACHE_TTL_MS
 * turns it on.
 */
export function readScaleOutSettings(env: Env = process.env, options: { coherent?: boolean } = {}): ScaleOutSettings {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) {
    // Never echo a password: the error shows the URL with it masked.
    throw new ConfigError(
      "REDIS_URL",
      redactUrl(redisUrl),
      "a redis:// or rediss:// URL such as redis://127.0.0.1:6379",
    );
  }
  const redisClusterNodes = clusterNodes(env.REDIS_CLUSTER_NODES);
  if (redisUrl !== undefined && redisClusterNodes !== undefined) {
    throw new ConfigError(
      "REDIS_CLUSTER_NODES",
      redactList(env.REDIS_CLUSTER_NODES!),
      "REDIS_URL or REDIS_CLUSTER_NODES, not both (REDIS_URL is one Redis, REDIS_CLUSTER_NODES a Redis Cluster)",
    );
  }
  const redisKeyPrefix = env.REDIS_KEY_PREFIX ?? DEFAULTS.redis.keyPrefix;
  if (redisKeyPrefix.trim() === "" || /\s/.test(redisKeyPrefix)) {
    throw new ConfigError(
      "REDIS_KEY_PREFIX",
      redisKeyPrefix,
      `a non-empty prefix without spaces, e.g. "${DEFAULTS.redis.keyPrefix}"`,
    );
  }
  return {
    redisUrl,
    redisClusterNodes,
    redisKeyPrefix,
    replicas: number("REPLICAS", env.REPLICAS, DEFAULTS.redis.replicas, { min: 1, max: 1000, integer: true }),
    redisCommandTimeoutMs: number(
      "REDIS_COMMAND_TIMEOUT_MS",
      env.REDIS_COMMAND_TIMEOUT_MS,
      DEFAULTS.redis.commandTimeoutMs,
      {
        min: 1,
        max: 10_000,
        integer: true,
      },
    ),
    profileCache: {
      ttlMs: number(
        "PROFILE_CACHE_TTL_MS",
        env.PROFILE_CACHE_TTL_MS,
        options.coherent ? DEFAULTS.profileCache.coherentTtlMs : DEFAULTS.profileCache.ttlMs,
        { min: 0, max: 7 * 24 * 3600 * 1000, integer: true },
      ),
      staleIfErrorMs: number("STALE_IF_ERROR_MS", env.STALE_IF_ERROR_MS, DEFAULTS.profileCache.staleIfErrorMs, {
        min: 0,
        max: 7 * 24 * 3600 * 1000,
        integer: true,
      }),
      maxEntries: number("PROFILE_CACHE_MAX_ENTRIES", env.PROFILE_CACHE_MAX_ENTRIES, DEFAULTS.profileCache.maxEntries, {
        min: 1,
        integer: true,
      }),
      maxEntryBytes: number(
        "PROFILE_CACHE_MAX_ENTRY_BYTES",
        env.PROFILE_CACHE_MAX_ENTRY_BYTES,
        DEFAULTS.profileCache.maxEntryBytes,
        {
          min: 64,
          integer: true,
        },
      ),
    },
  };
}

const CLUSTER_EXPECTED =
  "seed nodes of a Redis Cluster, comma-separated, each host:port or a redis:// or rediss:// URL " +
  "without a database (a cluster has only 0), e.g. 10.0.0.1:6379,10.0.0.2:6379 or rediss://:password@redis.internal:6379";

/**
 * REDIS_CLUSTER_NODES → the seeds as URLs. Nodes the cluster names later (CLUSTER SLOTS) come with
 * an address only, so the first entry's scheme and credentials are used for all: a later entry
 * written as a URL must agree with it, and a bare host:port takes them.
 */
function clusterNodes(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const entries = raw.split(",").map((entry) => entry.trim());
  const fail = (why: string): never => {
    throw new ConfigError("REDIS_CLUSTER_NODES", redactList(raw), `${CLUSTER_EXPECTED}${why}`);
  };
  let first: URL | undefined;
  return entries.map((entry) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry);
    // Credentials only in a URL: in a bare entry they would read as part of the address.
    if (!withScheme && entry.includes("@")) return fail("");
    const url = withScheme ? parse(entry) : parse(`redis://${entry}`);
    if (!url || !/^rediss?:$/.test(url.protocol) || !url.hostname || !url.port) return fail("");
    if (!/^\/?0?$/.test(url.pathname) || url.search || url.hash) return fail("");
    if (!first) {
      first = url;
    } else if (withScheme) {
      if (url.protocol !== first.protocol || url.username !== first.username || url.password !== first.password)
        fail("; every URL must use the first one's scheme and credentials (they apply to every node)");
    } else {
      url.protocol = first.protocol;
      url.username = first.username;
      url.password = first.password;
    }
    return `${url.protocol}//${url.username || url.password ? `${url.username}:${url.password}@` : ""}${url.host}`;
  });
}

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** A comma-separated list of URLs or host:port entries with every password masked. */
function redactList(raw: string): string {
  return raw
    .split(",")
    .map((entry) => entry.trim())
    .map((entry) =>
      !entry.includes("@") ? entry : entry.includes("://") ? redactUrl(entry) : entry.replace(/^.*@/, "***@"),
    )
    .join(",");
}
