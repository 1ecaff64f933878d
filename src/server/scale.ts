import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import { redactUrl, type ScaleOutSettings } from "../config.js";
import type { ProfileCache } from "../profile/cache.js";
import { MemoryProfileCache } from "../profile/cache.memory.js";
import { RedisProfileCache } from "../profile/cache.redis.js";
import { DEFAULTS } from "../config/defaults.js";
import { LocalChangeLedger, RedisChangeLedger, type ChangeLedger } from "../profile/changes/ledger.js";
import { LocalChangeStream, type ChangeStream } from "../profile/changes/stream.js";
import { RedisChangeStream } from "../profile/changes/stream.redis.js";
import type { CallBudget } from "../upstream/budget.js";
import { RedisBudget } from "../upstream/budget.redis.js";
import type { Logger } from "./logger.js";
import { connectRedis, connectRedisCluster, createApqCache, type RedisConnection } from "./redis.js";

/** What several replicas share, or nothing: the call budget, the profile cache, the APQ store, the change stream. */
export interface ScaleOut {
  /** The shared call budget; undefined: the client's own local budget. */
  budget: CallBudget | undefined;
  /** The profile cache (PROFILE_CACHE_TTL_MS > 0): on Redis with REDIS_URL, else in memory. */
  cache: ProfileCache | undefined;
  /** Apollo's APQ store on Redis; undefined: Apollo's in-memory one. */
  apqCache: KeyValueCache<string> | undefined;
  /** Profile changes: which were applied (ledger) and the stream every replica reads. */
  changes: { ledger: ChangeLedger; stream: ChangeStream };
  redis: RedisConnection | undefined;
  close(): Promise<void>;
}

/**
 * Wire the scale-out pieces from the settings. Without REDIS_URL nothing connects anywhere and
 * each replica keeps its own budget, cache and APQ store; with it, one Redis client serves all
 * three, and a Redis outage degrades each to its local form (see RedisBudget) without failing
 * requests.
 */
export async function createScaleOut(
  settings: ScaleOutSettings,
  ratePerSecond: number,
  logger: Logger,
  options: { streamWindow?: number } = {},
): Promise<ScaleOut> {
  const { ttlMs, staleIfErrorMs, maxEntries, maxEntryBytes } = settings.profileCache;
  const window = options.streamWindow ?? DEFAULTS.changes.streamWindow;
  if (!settings.redisUrl && !settings.redisClusterNodes) {
    const cache = ttlMs > 0 ? new MemoryProfileCache({ ttlMs, staleMs: staleIfErrorMs, maxEntries }) : undefined;
    const changes = { ledger: new LocalChangeLedger(), stream: new LocalChangeStream({ window }) };
    return {
      budget: undefined,
      cache,
      apqCache: undefined,
      changes,
      redis: undefined,
      close: async () => {
        await changes.stream.close();
        await cache?.close();
      },
    };
  }
  let lastError = 0;
  // Not redis.url: errors come during the first connection attempts, before `redis` is assigned.
  const where = settings.redisClusterNodes
    ? `cluster ${settings.redisClusterNodes.map(redactUrl).join(",")}`
    : redactUrl(settings.redisUrl!);
  const connectOptions = {
    keyPrefix: settings.redisKeyPrefix,
    // One line per 10 s while Redis is away, not one per reconnect attempt.
    onError: (error: Error) => {
      if (Date.now() - lastError < 10_000) return;
      lastError = Date.now();
      logger.warn({ redis: where, error: error.message }, "redis unreachable");
    },
  };
  // REDIS_CLUSTER_NODES: a Redis Cluster, each command routed to its key's master.
  const redis: RedisConnection = settings.redisClusterNodes
    ? await connectRedisCluster(settings.redisClusterNodes, connectOptions)
    : await connectRedis(settings.redisUrl!, connectOptions);
  redis.onStateChange((state) => logger.info({ redis: redis.url, state }, "redis state"));
  const timeoutMs = settings.redisCommandTimeoutMs;
  const budget = new RedisBudget({
    client: redis.link,
    keyPrefix: settings.redisKeyPrefix,
    ratePerSecond,
    replicas: settings.replicas,
    commandTimeoutMs: timeoutMs,
  });
  budget.onModeChange((mode) =>
    (mode === "degraded" ? logger.warn.bind(logger) : logger.info.bind(logger))(
      { mode, ratePerSecond: budget.ratePerSecond },
      "call budget mode",
    ),
  );
  const cache =
    ttlMs > 0
      ? new RedisProfileCache({
          client: redis.link,
          keyPrefix: settings.redisKeyPrefix,
          ttlMs,
          staleMs: staleIfErrorMs,
          maxEntryBytes,
          commandTimeoutMs: timeoutMs,
        })
      : undefined;
  let lastCacheError = 0;
  cache?.onError((error, operation) => {
    // One line per 10 s while Redis fails; the metric counts every failure.
    if (Date.now() - lastCacheError < 10_000) return;
    lastCacheError = Date.now();
    logger.warn(
      { operation, error: error instanceof Error ? error.message : String(error) },
      "profile cache: Redis failed; serving misses",
    );
  });
  const apqCache = createApqCache(redis.client, settings.redisKeyPrefix, { commandTimeoutMs: timeoutMs });
  // The change stream's reader blocks on XREAD: a connection of its own, never the shared one.
  // On a cluster, a duplicate client that goes only to the stream's master (following failovers).
  const reader = await redis.duplicate();
  let lastStreamError = 0;
  const stream = new RedisChangeStream({
    client: redis.link,
    reader: reader.link,
    keyPrefix: settings.redisKeyPrefix,
    window,
    commandTimeoutMs: timeoutMs,
    onError: (error, operation) => {
      if (Date.now() - lastStreamError < 10_000) return;
      lastStreamError = Date.now();
      logger.warn(
        { operation, error: error instanceof Error ? error.message : String(error) },
        "change stream: Redis failed",
      );
    },
  });
  const ledger = new RedisChangeLedger({
    client: redis.link,
    keyPrefix: settings.redisKeyPrefix,
    commandTimeoutMs: timeoutMs,
  });
  return {
    budget,
    cache,
    apqCache,
    changes: { ledger, stream },
    redis,
    async close() {
      await stream.close();
      await budget.close();
      await cache?.close();
      await reader.close();
      await redis.close();
    },
  };
}
