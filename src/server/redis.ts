import { KeyvAdapter } from "@apollo/utils.keyvadapter";
import KeyvRedis from "@keyv/redis";
import Keyv from "keyv";
import { createClient, createCluster } from "redis";
import { redactUrl } from "../config.js";
import { DEFAULTS } from "../config/defaults.js";
import { ClusterLink } from "../redis/cluster.link.js";
import { clientLink, withTimeout, type RedisLink } from "../redis/link.js";

/** A node-redis client to one Redis. */
export type RedisClient = ReturnType<typeof createClient>;
/** A node-redis client to a Redis Cluster. */
export type RedisClusterClient = ReturnType<typeof createCluster>;

/** `ready`: commands run; `down`: connecting or reconnecting, commands fail at once; `closed`: after close(). */
export type RedisState = "ready" | "down" | "closed";

export interface RedisConnectOptions {
  /** Prepended to every key of this deployment (REDIS_KEY_PREFIX). Default: REDIS_KEY_PREFIX's. */
  keyPrefix?: string;
  /** Reconnect back-off: 50 ms doubling per attempt, capped here (plus up to 100 ms of jitter). Default `DEFAULTS.redis.maxReconnectDelayMs`. */
  maxReconnectDelayMs?: number;
  /** How long `connectRedis` waits for the first connection before returning a `down` connection. Default `DEFAULTS.redis.initialWaitMs`. */
  initialWaitMs?: number;
  /** Errors node-redis reports (one per failed reconnect attempt while Redis is away). Default: ignored. */
  onError?: (error: Error) => void;
}

export interface RedisConnection<C extends RedisClient | RedisClusterClient = RedisClient | RedisClusterClient> {
  /** The node-redis client (one Redis) or cluster client, for what takes one as is: the APQ store, tests. */
  readonly client: C;
  /** What the budget, the profile cache and the change stream run on: commands routed by key. */
  readonly link: RedisLink;
  readonly keyPrefix: string;
  /** Where it connects, with any password masked: safe to log. */
  readonly url: string;
  /** On a cluster: `ready` while every master answers (see ClusterLink). */
  readonly state: RedisState;
  /** Calls `listener` on every change of `state`; returns a function that removes it. */
  onStateChange(listener: (state: RedisState) => void): () => void;
  /**
   * A connection of its own to the same Redis (or cluster, connecting only to the nodes it uses),
   * for a blocking command such as the change stream's XREAD. The caller closes it.
   */
  duplicate(): Promise<RedisConnection<C>>;
  /** Disconnects at once and stops reconnecting; commands still in flight fail. */
  close(): Promise<void>;
}

/**
 * One node-redis client for the budget, the profile cache and the APQ store. It never waits long:
 * if Redis is away at start-up it returns a `down` connection that keeps reconnecting (capped
 * back-off, forever), and with `disableOfflineQueue` every command fails at once while down, so a
 * dead Redis costs the callers milliseconds (they fall back to local budgets and cache misses).
 *
 *   const redis = await connectRedis(settings.redisUrl, { keyPrefix: settings.redisKeyPrefix });
 *   redis.onStateChange((state) => log.info({ redis: redis.url, state }));
 *
 * Only call it when REDIS_URL is set: nothing else in the service touches Redis. For a Redis
 * Cluster, see `connectRedisCluster`.
 */
export async function connectRedis(
  url: string,
  options: RedisConnectOptions = {},
): Promise<RedisConnection<RedisClient>> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: DEFAULTS.redis.connectTimeoutMs,
      reconnectStrategy: backOff(options),
    },
  });
  // An 'error' listener is required (node-redis emits one per failed attempt); the messages name
  // host and port, never the password.
  client.on("error", (error: Error) => options.onError?.(error));
  const link = clientLink(client);
  const state = trackState(link);
  // connect() resolves only once Redis answers (it retries per the strategy); never await it alone.
  await waitAtMost(
    client.connect().then(
      () => true,
      () => false,
    ),
    options.initialWaitMs ?? DEFAULTS.redis.initialWaitMs,
  );
  return {
    client,
    link,
    keyPrefix: options.keyPrefix ?? DEFAULTS.redis.keyPrefix,
    url: redactUrl(url),
    get state() {
      return state.current;
    },
    onStateChange: state.onStateChange,
    duplicate: () => connectRedis(url, options),
    async close() {
      if (!state.close()) return;
      // Not client.close(): it waits for every queued reply, forever if Redis stalled. Drain the
      // server first; a command still in flight fails, which its caller already treats as Redis away.
      if (client.isOpen) client.destroy();
    },
  };
}

/**
 * A Redis Cluster (REDIS_CLUSTER_NODES): the seed nodes' URLs, whose first one's credentials and
 * TLS apply to every node the cluster names (CLUSTER SLOTS gives addresses only). Like
 * `connectRedis`, it returns within `initialWaitMs` whether or not a seed answered, and keeps
 * trying; commands go to the master of their key's slot, and a failed-over master is found again
 * by ClusterLink. Only database 0 exists on a cluster.
 */
export async function connectRedisCluster(
  nodes: readonly string[],
  options: RedisConnectOptions & { minimizeConnections?: boolean } = {},
): Promise<RedisConnection<RedisClusterClient>> {
  const seeds = nodes.map((node) => new URL(node));
  const first = seeds[0];
  if (!first) throw new RangeError("connectRedisCluster needs at least one seed node");
  const cluster = createCluster({
    rootNodes: seeds.map((seed) => ({ socket: { host: seed.hostname, port: Number(seed.port || 6379) } })),
    defaults: {
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      disableOfflineQueue: true,
      socket: {
        ...(first.protocol === "rediss:" ? { tls: true as const } : {}),
        connectTimeout: DEFAULTS.redis.connectTimeoutMs,
        reconnectStrategy: backOff(options),
      },
    },
    // Commands go to masters only: a replica may lag, and the budget and the cache's
    // compare-and-set need the one copy that writes go to.
    useReplicas: false,
    minimizeConnections: options.minimizeConnections ?? false,
  });
  // Discovery failures ('error') and each node's connection errors ('node-error'); the messages
  // name hosts and ports, never the password.
  cluster.on("error", (error: Error) => options.onError?.(error));
  cluster.on("node-error", (error: Error) => options.onError?.(error));
  const link = new ClusterLink(cluster, { retryDelayMs: backOff(options) });
  const state = trackState(link);
  await waitAtMost(link.start(), options.initialWaitMs ?? DEFAULTS.redis.initialWaitMs);
  return {
    client: cluster,
    link,
    keyPrefix: options.keyPrefix ?? DEFAULTS.redis.keyPrefix,
    url: `cluster ${seeds.map((seed) => redactUrl(seed.toString())).join(",")}`,
    get state() {
      return state.current;
    },
    onStateChange: state.onStateChange,
    duplicate: () => connectRedisCluster(nodes, { ...options, minimizeConnections: true }),
    async close() {
      if (!state.close()) return;
      link.close();
    },
  };
}

/** 50 ms doubling per attempt, capped, plus up to 100 ms of jitter so replicas do not retry in step. */
function backOff(options: RedisConnectOptions): (attempt: number) => number {
  const maxDelay = options.maxReconnectDelayMs ?? DEFAULTS.redis.maxReconnectDelayMs;
  return (attempt) => Math.min(50 * 2 ** attempt, maxDelay) + Math.floor(Math.random() * 100);
}

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The connection's state, from the link's events; `close()` returns false if it was closed already. */
function trackState(link: RedisLink) {
  let state: RedisState = link.isReady ? "ready" : "down";
  const listeners = new Set<(state: RedisState) => void>();
  const setState = (next: RedisState) => {
    if (state === next || state === "closed") return;
    state = next;
    for (const listener of listeners) listener(next);
  };
  link.on("ready", () => setState("ready"));
  link.on("reconnecting", () => setState("down"));
  link.on("end", () => setState("down"));
  return {
    get current() {
      return state;
    },
    onStateChange: (listener: (state: RedisState) => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (state === "closed") return false;
      setState("closed");
      return true;
    },
  };
}

export interface ApqCacheOptions {
  /** Used when Apollo sets no TTL of its own (`persistedQueries.ttl`). Default `DEFAULTS.apq.ttlSeconds` (a day). */
  defaultTtlSeconds?: number;
  /** A lookup slower than this is a miss, a write slower than this is dropped. Default REDIS_COMMAND_TIMEOUT_MS's. */
  commandTimeoutMs?: number;
}

/** What Apollo's `persistedQueries.cache` needs (Apollo's `KeyValueCache<string>`). */
export type ApqCache = Pick<KeyvAdapter<string>, "get" | "set" | "delete">;

/**
 * Apollo's APQ store on Redis, shared by every replica: a query registered through one replica is
 * found by the others. Keys are `<prefix><key>`; Apollo's own keys start with `apq:`, so with the
 * default prefix they read `portrait-graph:apq:<sha256>`.
 *
 *   new ApolloServer({ persistedQueries: { cache: createApqCache(redis.client, redis.keyPrefix), ttl: 86_400 } })
 *
 * It shares the process's client, one Redis or a cluster (@keyv/redis takes either as is and routes
 * each key to its master). A Redis error or a lookup slower than `commandTimeoutMs` is a miss (the
 * client then sends the full query again), never a request failure. Do not `disconnect()` the Keyv
 * behind it: that would close the shared client.
 */
export function createApqCache(
  client: RedisClient | RedisClusterClient,
  prefix: string,
  options: ApqCacheOptions = {},
): ApqCache {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
  // @keyv/redis is typed against its own @redis/client, a later patch of the one `redis` bundles;
  // at run time it only calls the commands any node-redis v5 client has.
  const store = new KeyvRedis<string>(client as unknown as ConstructorParameters<typeof KeyvRedis>[0], {
    keyPrefixSeparator: "",
    throwOnErrors: false,
    throwOnConnectError: false,
  });
  const keyv = new Keyv<string>({
    store,
    // Keyv hands its namespace to the store, which writes `<namespace><separator><key>`.
    namespace: prefix,
    useKeyPrefix: false,
    ttl: (options.defaultTtlSeconds ?? DEFAULTS.apq.ttlSeconds) * 1000,
  });
  // The adapter is CommonJS and types its parameter with keyv's CommonJS declarations; the instance
  // is the same class at run time.
  const adapter = new KeyvAdapter(keyv as unknown as ConstructorParameters<typeof KeyvAdapter<string>>[0]);
  // A cluster client whose first discovery has not succeeded yet is not open: @keyv/redis would
  // then connect it itself, and destroy the shared client when that failed. Until it is open, miss.
  const open = () => client.isOpen;
  // node-redis stops timing a command once it is written, so a stalled Redis would hold the request.
  return {
    get: async (key) => (open() ? withTimeout(adapter.get(key), timeoutMs).catch(() => undefined) : undefined),
    set: async (key, value, setOptions) => {
      if (open()) await withTimeout(adapter.set(key, value, setOptions), timeoutMs).catch(() => {});
    },
    delete: async (key) => (open() ? withTimeout(adapter.delete(key), timeoutMs).catch(() => false) : false),
  };
}
