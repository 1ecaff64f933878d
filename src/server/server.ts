import type { AddressInfo } from "node:net";
import { InMemoryLRUCache, type KeyValueCache } from "@apollo/utils.keyvaluecache";
import type { GraphQLSchema } from "graphql";
import type { HttpSettings, Limits } from "../config.js";
import { DEFAULTS } from "../config/defaults.js";
import { buildSubgraph } from "../graphql/schema.js";
import type { ProfileCache } from "../profile/cache.js";
import { ProfileDispatcher } from "../profile/dispatcher.js";
import type { TagRegistry } from "../profile/tags.js";
import type { ChangeSettings } from "../config/changes.js";
import type { ProfileChange } from "../profile/changes/change.js";
import { ChangeHub } from "../profile/changes/hub.js";
import type { ChangeLedger } from "../profile/changes/ledger.js";
import type { ChangeStream } from "../profile/changes/stream.js";
import type { Upstream } from "../upstream/upstream.js";
import { callbackPlugin } from "./callback.plugin.js";
import { createApollo } from "./apollo.js";
import type { Authenticator } from "./auth.js";
import { BatchCounter } from "./batch.js";
import { drainPlugin } from "./drain.plugin.js";
import { healthPlugin } from "./health.plugin.js";
import { createHttpApp } from "./http.js";
import { createLogger, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { Readiness } from "./readiness.js";
import type { RedisConnection } from "./redis.js";
import { operationContext, requestContext, type RequestContextOptions } from "./request-context.js";
import { formatErrors } from "./errors.js";
import { RouterInvalidation } from "./router-invalidation.js";
import { liveOperations } from "./subscriptions.operation.js";
import { subscriptionsPlugin } from "./subscriptions.plugin.js";
import { routesPlugin } from "./routes.plugin.js";
import type { TrustedDocuments } from "../config/trusted-documents.js";
import { trustedDocuments } from "./trusted-documents.js";

export interface ServerOptions {
  /** The upstream call policy over the Tencent wire (see src/upstream). */
  client: Upstream;
  tags: TagRegistry;
  authenticate: Authenticator;
  /** `development`: stack traces, the demo token in the explorer; `production` masks unexpected errors. Default production. */
  nodeEnv?: string;
  logger?: Logger;
  limits?: Partial<Limits>;
  http?: Partial<HttpSettings>;
  /** Whether callers without a token may read the schema. Default: only in development. */
  anonymousIntrospection?: boolean;
  /** Time a request may spend waiting for Tencent, retries included. Default REQUEST_DEADLINE_MS's. */
  requestDeadlineMs?: number;
  /** Bounds of the process-wide read queue, and an optional fixed gathering delay (see ProfileDispatcher). */
  queue?: { maxQueuedAccounts?: number; maxWaitMs?: number; gatherMs?: number };
  /** The optional shared profile cache. */
  cache?: ProfileCache;
  /** Apollo's APQ store (shared on Redis when several replicas run). Default: in memory. */
  apqCache?: KeyValueCache<string>;
  /** The Redis connection behind the shared budget, cache and APQ store, for readiness and metrics. */
  redis?: RedisConnection;
  /** What the explorer opens with. Default: EXAMPLE_QUERY in development, OWN_PROFILE_QUERY otherwise. */
  landingPage?: { document?: string; headers?: Record<string, string> };
  /** How often readiness re-checks the upstream while not ready. */
  readinessIntervalMs?: number;
  /** The subgraph schema; default `buildSubgraph()` (tests pass one with a failing resolver). */
  schema?: GraphQLSchema;
  /** Run only a manifest's documents (strict) or log the others (log); see trusted-documents.ts. */
  trustedDocuments?: TrustedDocuments;
  /** How long, and for whom, routers and CDNs may cache reads. Default: not at all (max-age 0). */
  cacheControl?: { maxAgeSeconds: number; scope: "PRIVATE" | "PUBLIC" };
  /**
   * Profile changes (createScaleOut's ledger and stream) and how they are served: the callback
   * receiver, profileChanged subscriptions. Without it, neither is on.
   */
  changes?: {
    ledger: ChangeLedger;
    stream: ChangeStream;
    settings: ChangeSettings;
    /** The callback token (the embedded emulator's development mode makes one for the run). */
    callbackToken?: string | undefined;
  };
}

export const EXAMPLE_QUERY = `# Profiles of a few demo accounts, batched into one portrait_get call
query DemoProfiles {
  me { id profile { nick } }
  users(ids: ["zhang.wei", "li.na", "sato.yuki"]) {
    id
    profile { nick gender level location custom }
  }
}
`;

/** What the explorer opens with outside development: works for any caller, names no account. */
export const OWN_PROFILE_QUERY = `# Your own profile: put your token in the headers (Authorization: Bearer <JWT>)
query MyProfile {
  me { id profile { nick } }
}
`;

/**
 * The GraphQL service: Apollo Server 5 on Fastify at `/graphql` (GET and POST, HTTP batching),
 * plus `/healthz`, `/readyz` and `/metrics`. It owns the process-wide read dispatcher over the
 * given client, and wires metrics, logs and readiness; the HTTP edge is Fastify plugins
 * (`drain.plugin.ts`, `routes.plugin.ts`, `health.plugin.ts`) and Apollo is `apollo.ts`.
 *
 *   const server = await createServer({ client, tags, authenticate });
 *   const url = await server.listen(0);   // http://127.0.0.1:<port>/graphql
 *   …
 *   await server.shutdown();              // drain, then close
 */
export async function createServer(options: ServerOptions) {
  const nodeEnv = options.nodeEnv ?? "production";
  const development = nodeEnv === "development";
  const limits: Limits = { ...DEFAULTS.limits, ...options.limits };
  const logger = options.logger ?? createLogger({ level: DEFAULTS.service.logLevel });
  const client = options.client;
  const metrics = new Metrics();
  const dispatcher = new ProfileDispatcher({
    reader: client,
    ...options.queue,
    ...(options.cache ? { cache: options.cache } : {}),
  });
  const readiness = new Readiness(
    client,
    logger,
    options.readinessIntervalMs ?? DEFAULTS.service.readinessIntervalMs,
    options.redis,
  );
  const unobserve = [
    client.observe((event) => {
      if (event.type === "attempt") metrics.recordAttempt(event.attempt);
      else metrics.circuitOpen.set({ api: event.api }, event.open ? 1 : 0);
    }),
    dispatcher.observe(metrics.recordDispatch),
    options.cache?.onError?.((_error, operation) => metrics.cacheErrors.inc({ operation })) ?? (() => {}),
  ];
  const live = options.changes;
  const invalidation = live?.settings.routerInvalidation
    ? new RouterInvalidation(live.settings.routerInvalidation, logger, (outcome, tags) =>
        metrics.routerInvalidations.inc({ outcome }, tags),
      )
    : undefined;
  const hub = live
    ? new ChangeHub({
        ledger: live.ledger,
        stream: live.stream,
        cache: options.cache,
        onChange: (change) => dispatcher.forget(change.account),
        ...(invalidation ? { onNew: (change: ProfileChange) => invalidation.invalidate(change.account) } : {}),
        maxSubscriptions: live.settings.subscriptions.maxPerProcess,
        maxQueued: live.settings.subscriptions.maxQueued,
        onError: (error, step) =>
          logger.warn({ step, error: error instanceof Error ? error.message : String(error) }, "profile changes"),
      })
    : undefined;
  await hub?.start();
  const publishWrite = hub
    ? (change: ProfileChange) =>
        hub.wrote(change).then((verdict) => metrics.changes.inc({ source: "setProfile", verdict }))
    : undefined;
  const trusted = options.trustedDocuments ? trustedDocuments(options.trustedDocuments, logger) : undefined;
  const apqStore = options.apqCache ?? new InMemoryLRUCache<string>({ maxSize: DEFAULTS.apq.memoryBytes });
  const apqCache = trusted ? trusted.store(apqStore) : apqStore;

  const schema = options.schema ?? (await buildSubgraph());
  const apollo = await createApollo({
    schema,
    logger,
    metrics,
    nodeEnv,
    limits,
    apqCache,
    trustedPlugin: trusted?.plugin,
    anonymousIntrospection: options.anonymousIntrospection ?? development,
    // Production opens on the caller's own profile: the example names demo accounts that exist
    // only on the emulator, and no token is ever filled in there (explorerLandingPage).
    landingPage: {
      document: options.landingPage?.document ?? (development ? EXAMPLE_QUERY : OWN_PROFILE_QUERY),
      headers: options.landingPage?.headers,
    },
    cacheControl: options.cacheControl ?? {
      maxAgeSeconds: DEFAULTS.changes.cacheControlMaxAgeSeconds,
      scope: DEFAULTS.changes.cacheControlScope,
    },
    cacheTags: invalidation !== undefined,
  });
  const http = { ...DEFAULTS.http, corsOrigins: [...DEFAULTS.http.corsOrigins], ...options.http };
  const app = await createHttpApp({ ...http, bodyLimitBytes: limits.bodyLimitBytes });
  const contextOptions: RequestContextOptions = {
    authenticate: options.authenticate,
    dispatcher,
    writer: client,
    registry: options.tags,
    deadlineMs: options.requestDeadlineMs ?? DEFAULTS.service.requestDeadlineMs,
    maxUsers: limits.maxUsers,
    maxSubscriptionIds: limits.maxSubscriptionIds,
    changes: hub,
    publishWrite,
    logger,
  };
  await app.register(drainPlugin, { readiness });
  await app.register(routesPlugin, {
    apollo,
    context: requestContext(contextOptions),
    limits,
    batches: new BatchCounter(limits.maxTokens, apqCache),
    ...(trusted ? { acceptDocumentId: trusted.acceptDocumentId } : {}),
  });
  await app.register(healthPlugin, {
    readiness,
    metrics,
    gauges: {
      queuedAccounts: () => dispatcher.queuedAccounts,
      budgetMode: () => client.budget.mode,
      redis: options.redis,
      subscriptions: () => hub?.subscriptions ?? 0,
    },
  });
  if (hub && live) {
    // Subscriptions over WebSocket and SSE, with the same auth, validation and bounds as HTTP.
    await app.register(subscriptionsPlugin, {
      operations: liveOperations({
        schema,
        limits,
        development,
        policy: {
          maxAccountsPerOperation: limits.maxAccountsPerOperation,
          maxEntriesPerOperation: limits.maxEntriesPerOperation,
          maxEntitiesPerOperation: limits.maxEntitiesPerOperation,
          anonymousIntrospection: false,
        },
        context: operationContext(contextOptions),
        formatError: formatErrors(logger, development),
        trusted: trusted?.check,
      }),
      authenticate: options.authenticate,
      settings: live.settings.subscriptions,
      maxPayloadBytes: limits.bodyLimitBytes,
      corsOrigins: http.corsOrigins,
      metrics,
      logger,
    });
  }
  const callback = live?.settings.callback;
  if (hub && callback) {
    await app.register(callbackPlugin, {
      settings: callback,
      token: callback.mode === "unsigned" ? undefined : (live.callbackToken ?? callback.token),
      sdkAppId: client.wire.sdkAppId,
      hub,
      metrics,
      logger,
    });
  }
  await app.ready();

  let url: string | undefined;
  let closed: Promise<void> | undefined;
  const close = async () => {
    await hub?.close();
    readiness.stop();
    for (const stop of unobserve) stop();
    await app.close();
    await apollo.stop();
    dispatcher.close();
  };
  return {
    metrics,
    readiness,
    logger,
    /** Profile changes in and out (undefined without `changes`). */
    changes: hub,
    get url() {
      return url;
    },
    /** Listen (port 0: an ephemeral port); resolves with the GraphQL URL. */
    async listen(port = 0, host = "127.0.0.1"): Promise<string> {
      await app.listen({ port, host });
      readiness.start();
      const { port: actual } = app.server.address() as AddressInfo;
      url = `http://${host.includes(":") ? `[${host}]` : host}:${actual}/graphql`;
      return url;
    },
    /**
     * Graceful stop: `/readyz` answers 503 at once; in-flight and already-accepted requests are
     * answered (with `Connection: close`); once none is left (or `timeoutMs` passed) the listener
     * and every connection close.
     */
    shutdown(timeoutMs: number = DEFAULTS.service.shutdownTimeoutMs): Promise<void> {
      closed ??= (async () => {
        const until = performance.now() + timeoutMs;
        // WebSocket clients are told at once (1001 "going away") and reconnect, to another replica,
        // resubscribing from where they were; SSE streams complete as the hub ends their subscriptions.
        await app.liveUpdates?.goingAway();
        await hub?.close();
        await app.drain(until);
        await invalidation?.settled();
        const force = setTimeout(() => app.server.closeAllConnections(), Math.max(0, until - performance.now()));
        await close();
        clearTimeout(force);
      })();
      return closed;
    },
    /** Stop at once (tests). */
    close(): Promise<void> {
      closed ??= close();
      return closed;
    },
  };
}

export type Server = Awaited<ReturnType<typeof createServer>>;
