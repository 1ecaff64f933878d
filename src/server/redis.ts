import { KeyvAdapter } from "@apollo/utils.keyvadapter";
import KeyvRedis from "@keyv/redis";
import Keyv from "keyv";
import { createClient } from "redis";
import { redactUrl } from "../config.js";
import { DEFAULTS } from "../config/defaults.js";
import { withTimeout } from "../redis/link.js";

/** The one node-redis client of the process. */
export type RedisClient = ReturnType<typeof createClient>;

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

export interface RedisConnection {
  readonly client: RedisClient;
  readonly keyPrefix: string;
  /** The URL with its password masked: safe to log. */
  readonly url: string;
  readonly state: RedisState;
  /** Calls `listener` on every change of `state`; returns a function that removes it. */
  onStateChange(listener: (state: RedisState) => void): () => void;
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
 * Only call it when REDIS_URL is set: nothing else in the service touches Redis.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<RedisConnection> {
  const maxDelay = options.maxReconnectDelayMs ?? DEFAULTS.redis.maxReconnectDelayMs;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: DEFAULTS.redis.connectTimeoutMs,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, maxDelay) + Math.floor(Math.random() * 100),
    },
  });
  let state: RedisState = "down";
  const listeners = new Set<(state: RedisState) => void>();
  const setState = (next: RedisState) => {
    if (state === next || state === "closed") return;
    state = next;
    for (const listener of listeners) listener(next);
  };
  // An 'error' listener is required (node-redis emits one per failed attempt); the messages name
  // host and port, never the password.
  client.on("error", (error: Error) => options.onError?.(error));
  client.on("ready", () => setState("ready"));
  client.on("reconnecting", () => setState("down"));
  client.on("end", () => setState("down"));

  // connect() resolves only once Redis answers (it retries per the strategy); never await it alone.
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    connected,
    new Promise((resolve) => (timer = setTimeout(resolve, options.initialWaitMs ?? DEFAULTS.redis.initialWaitMs))),
  ]);
  clearTimeout(timer);

  return {
    client,
    keyPrefix: options.keyPrefix ?? DEFAULTS.redis.keyPrefix,
    url: redactUrl(url),
    get state() {
      return state;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (state === "closed") return;
      setState("closed");
      // Not client.close(): it waits for every queued reply, forever if Redis stalled. Drain the
      // server first; a command still in flight fails, which its caller already treats as Redis away.
      if (client.isOpen) client.destroy();
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
 * It shares the process's client (@keyv/redis takes a client as is). A Redis error or a lookup
 * slower than `commandTimeoutMs` is a miss (the client then sends the full query again), never a
 * request failure. Do not `disconnect()` the Keyv behind it: that would close the shared client.
 */
export function createApqCache(client: RedisClient, prefix: string, options: ApqCacheOptions = {}): ApqCache {
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
  // node-redis stops timing a command once it is written, so a stalled Redis would hold the request.
  return {
    get: (key) => withTimeout(adapter.get(key), timeoutMs).catch(() => undefined),
    set: (key, value, setOptions) => withTimeout(adapter.set(key, value, setOptions), timeoutMs).catch(() => {}),
    delete: (key) => withTimeout(adapter.delete(key), timeoutMs).catch(() => false),
  };
}
