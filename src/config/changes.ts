import { DEFAULTS } from "./defaults.js";
import { ConfigError, flag, nonEmpty, number, oneOf, type Env } from "./env.js";

/**
 * Where profile changes come in (Tencent's profile-change callback) and go out (profileChanged
 * subscriptions, cache hints for routers and CDNs).
 */
export interface ChangeSettings {
  /** The callback receiver; undefined: off (no callback is accepted, and the cache stays off by default). */
  callback: CallbackSettings | undefined;
  /** Changes the stream keeps for subscribers that resume from a cursor (CHANGE_STREAM_WINDOW). */
  streamWindow: number;
  subscriptions: {
    /** Subscriptions one replica holds at once (MAX_SUBSCRIPTIONS). */
    maxPerProcess: number;
    /** Changes one subscription may have waiting before it is dropped as too slow (SUBSCRIPTION_QUEUE_MAX). */
    maxQueued: number;
    /** Keep-alive pings of the WebSocket and SSE transports (SUBSCRIPTION_HEARTBEAT_MS). */
    heartbeatMs: number;
    /** Operations one WebSocket connection may run at once (MAX_SUBSCRIPTIONS_PER_CONNECTION). */
    maxPerConnection: number;
    /** Bytes waiting to be sent before a WebSocket or SSE client is dropped as too slow (SUBSCRIPTION_MAX_BUFFERED_BYTES). */
    maxBufferedBytes: number;
    /** Time a WebSocket has to send connection_init (SUBSCRIPTION_INIT_TIMEOUT_MS). */
    initTimeoutMs: number;
  };
  /** What the service tells routers and CDNs about caching profile reads (CACHE_CONTROL_*). */
  cacheControl: { maxAgeSeconds: number; scope: "PRIVATE" | "PUBLIC" };
  /** Apollo Router's invalidation endpoint, told of every change (ROUTER_INVALIDATION_*); undefined: off. */
  routerInvalidation: RouterInvalidationSettings | undefined;
}

export interface RouterInvalidationSettings {
  /** The router's invalidation endpoint, e.g. http://router:4000/invalidation (ROUTER_INVALIDATION_URL). */
  url: URL;
  /** The router's `shared_key`, sent as Authorization (ROUTER_INVALIDATION_KEY); a secret. */
  sharedKey: string;
  /** This subgraph's name in the supergraph (ROUTER_INVALIDATION_SUBGRAPH). */
  subgraph: string;
}

export interface CallbackSettings {
  /** Where Tencent posts (TIM_CALLBACK_PATH). */
  path: string;
  /**
   * `signed`: TIM_CALLBACK_TOKEN checks Sign and RequestTime; `unsigned`: TIM_CALLBACK_UNSIGNED=true
   * (never in production); `embedded`: the embedded emulator's development mode, with a token made
   * for the run.
   */
  mode: "signed" | "unsigned" | "embedded";
  /** The callback token (signed mode). */
  token: string | undefined;
  /** Largest callback body (TIM_CALLBACK_BODY_LIMIT_BYTES). */
  bodyLimitBytes: number;
}

export function readChangeSettings(
  env: Env,
  context: { production: boolean; embeddedEmulator: boolean },
): ChangeSettings {
  const d = DEFAULTS.changes;
  return {
    callback: readCallback(env, context),
    streamWindow: number("CHANGE_STREAM_WINDOW", env.CHANGE_STREAM_WINDOW, d.streamWindow, { min: 100, integer: true }),
    subscriptions: {
      maxPerProcess: number("MAX_SUBSCRIPTIONS", env.MAX_SUBSCRIPTIONS, d.maxSubscriptions, { min: 1, integer: true }),
      maxQueued: number("SUBSCRIPTION_QUEUE_MAX", env.SUBSCRIPTION_QUEUE_MAX, d.subscriptionQueueMax, {
        min: 1,
        integer: true,
      }),
      heartbeatMs: number("SUBSCRIPTION_HEARTBEAT_MS", env.SUBSCRIPTION_HEARTBEAT_MS, d.heartbeatMs, {
        min: 1000,
        integer: true,
      }),
      maxPerConnection: number(
        "MAX_SUBSCRIPTIONS_PER_CONNECTION",
        env.MAX_SUBSCRIPTIONS_PER_CONNECTION,
        d.maxPerConnection,
        { min: 1, integer: true },
      ),
      maxBufferedBytes: number(
        "SUBSCRIPTION_MAX_BUFFERED_BYTES",
        env.SUBSCRIPTION_MAX_BUFFERED_BYTES,
        d.maxBufferedBytes,
        { min: 16_384, integer: true },
      ),
      initTimeoutMs: number("SUBSCRIPTION_INIT_TIMEOUT_MS", env.SUBSCRIPTION_INIT_TIMEOUT_MS, d.initTimeoutMs, {
        min: 100,
        integer: true,
      }),
    },
    cacheControl: {
      maxAgeSeconds: number("CACHE_CONTROL_MAX_AGE", env.CACHE_CONTROL_MAX_AGE, d.cacheControlMaxAgeSeconds, {
        min: 0,
        max: 86_400,
        integer: true,
      }),
      scope: oneOf("CACHE_CONTROL_SCOPE", env.CACHE_CONTROL_SCOPE, d.cacheControlScope, ["PRIVATE", "PUBLIC"] as const),
    },
    routerInvalidation: readRouterInvalidation(env),
  };
}

function readRouterInvalidation(env: Env): RouterInvalidationSettings | undefined {
  const raw = env.ROUTER_INVALIDATION_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("ROUTER_INVALIDATION_URL", raw, "an http(s) URL such as http://router:4000/invalidation");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError("ROUTER_INVALIDATION_URL", raw, "an http(s) URL such as http://router:4000/invalidation");
  }
  // The key is never echoed: ConfigError shows the value received.
  if (!nonEmpty(env.ROUTER_INVALIDATION_KEY)) {
    throw new ConfigError(
      "ROUTER_INVALIDATION_KEY",
      "",
      "the router's invalidation shared_key, set together with ROUTER_INVALIDATION_URL",
    );
  }
  const subgraph = env.ROUTER_INVALIDATION_SUBGRAPH?.trim() || DEFAULTS.changes.routerSubgraphName;
  return { url, sharedKey: env.ROUTER_INVALIDATION_KEY!.trim(), subgraph };
}

function readCallback(env: Env, context: { production: boolean; embeddedEmulator: boolean }) {
  const token = nonEmpty(env.TIM_CALLBACK_TOKEN) ? env.TIM_CALLBACK_TOKEN!.trim() : undefined;
  const unsigned = flag("TIM_CALLBACK_UNSIGNED", env.TIM_CALLBACK_UNSIGNED, false);
  if (token !== undefined && unsigned) {
    throw new ConfigError("TIM_CALLBACK_UNSIGNED", "true", "not set together with TIM_CALLBACK_TOKEN");
  }
  if (unsigned && context.production) {
    throw new ConfigError(
      "TIM_CALLBACK_UNSIGNED",
      "true",
      "TIM_CALLBACK_TOKEN in production: an unsigned receiver would apply any change anyone posts",
    );
  }
  const mode =
    token !== undefined ? "signed" : unsigned ? "unsigned" : context.embeddedEmulator ? "embedded" : undefined;
  if (mode === undefined) return undefined;
  const path = env.TIM_CALLBACK_PATH?.trim() || DEFAULTS.changes.callbackPath;
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(path) || path.startsWith("/graphql") || path === "/") {
    throw new ConfigError("TIM_CALLBACK_PATH", path, "a path such as /tencent/callback, not under /graphql");
  }
  return {
    path,
    mode,
    token,
    bodyLimitBytes: number(
      "TIM_CALLBACK_BODY_LIMIT_BYTES",
      env.TIM_CALLBACK_BODY_LIMIT_BYTES,
      DEFAULTS.changes.callbackBodyLimitBytes,
      { min: 1024, integer: true },
    ),
  } satisfies CallbackSettings;
}
