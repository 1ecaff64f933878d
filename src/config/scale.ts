import { DEFAULTS } from "./defaults.js";
import { ConfigError, number, redactUrl, type Env } from "./env.js";

// ─── Scale-out: Redis, the shared call budget, the profile cache ────────────────────────────────
// Nothing here connects to anything: with REDIS_URL unset the service is one process that shares
// nothing, and `npm start` needs no Redis.

export interface ScaleOutSettings {
  /** `redis[s]://[[user]:password@]host[:port][/db]`; undefined: one process, nothing shared. */
  redisUrl: string | undefined;
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
