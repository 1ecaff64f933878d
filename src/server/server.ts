import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import { InMemoryLRUCache, type KeyValueCache } from "@apollo/utils.keyvaluecache";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { GraphQLSchema } from "graphql";
import type { HttpSettings, Limits } from "../config.js";
import { DEFAULTS } from "../config/defaults.js";
import { explorerAsset, explorerLandingPage } from "../explorer/landing-page.js";
import type { Context } from "../graphql/context.js";
import { fragmentNestingRule, MAX_FRAGMENT_NESTING, singleSchemaReadRule } from "../graphql/nesting.js";
import { buildSubgraph } from "../graphql/schema.js";
import type { ProfileCache } from "../profile/cache.js";
import { ProfileDispatcher } from "../profile/dispatcher.js";
import { ErrorCode } from "../profile/error-codes.js";
import { ProfileError } from "../profile/errors.js";
import { ProfileService } from "../profile/profile.service.js";
import type { TagRegistry } from "../profile/tags.js";
import type { TencentClient } from "../tencent/client.js";
import type { Authenticator } from "./auth.js";
import { BatchCounter } from "./batch.js";
import { formatErrors } from "./errors.js";
import { createHttpApp } from "./http.js";
import { createLogger, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import { observabilityPlugin } from "./plugins/observability.plugin.js";
import { operationPlugin, overBudget } from "./plugins/operation.plugin.js";
import { Readiness } from "./readiness.js";
import type { RedisConnection } from "./redis.js";
import { trustedDocuments, type TrustedDocuments } from "./trusted-documents.js";

export interface ServerOptions {
  client: TencentClient;
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
  /** What the explorer opens with. */
  landingPage?: { document?: string; headers?: Record<string, string> };
  /** How often readiness re-checks the upstream while not ready. Default 2000 ms. */
  readinessIntervalMs?: number;
  schema?: GraphQLSchema;
  /** Run only a manifest's documents (strict) or log the others (log); see trusted-documents.ts. */
  trustedDocuments?: TrustedDocuments;
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

/**
 * The GraphQL service: Apollo Server 5 on Fastify at `/graphql` (GET and POST, HTTP batching),
 * plus `/healthz`, `/readyz` and `/metrics`. It owns the process-wide read dispatcher over the
 * given client, and wires metrics, logs and readiness itself.
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
  const schema = options.schema ?? (await buildSubgraph());
  const client = options.client;
  const deadlineMs = options.requestDeadlineMs ?? DEFAULTS.service.requestDeadlineMs;
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
  ];
  const trusted = options.trustedDocuments ? trustedDocuments(options.trustedDocuments, logger) : undefined;
  const apqStore = options.apqCache ?? new InMemoryLRUCache<string>({ maxSize: DEFAULTS.apq.memoryBytes });
  const apqCache = trusted ? trusted.store(apqStore) : apqStore;
  const batches = new BatchCounter(limits.maxTokens, apqCache);
  const armor = new ApolloArmor({
    maxAliases: { n: limits.maxAliases, allowList: [] },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true },
    maxDirectives: { n: limits.maxDirectives },
    // Tokens are bounded by graphql-js itself while parsing (parseOptions below): one parse, not two.
    maxTokens: { enabled: false },
    // The cost that matters here is accounts read, bounded by MAX_ACCOUNTS_PER_OPERATION.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: !development },
  }).protect();

  const app = await createHttpApp({
    ...DEFAULTS.http,
    corsOrigins: [...DEFAULTS.http.corsOrigins],
    ...options.http,
    bodyLimitBytes: limits.bodyLimitBytes,
  });
  let inFlight = 0;
  let lastRequestAt = performance.now();
  app.addHook("onRequest", async (_request, reply) => {
    inFlight++;
    lastRequestAt = performance.now();
    // "close" fires once per response: when it was sent, or when its connection went away.
    reply.raw.once("close", () => void inFlight--);
    // While draining, every answer tells the client not to reuse its connection.
    if (readiness.draining) void reply.header("connection", "close");
  });

  const apollo = new ApolloServer<Context>({
    schema,
    logger,
    nodeEnv,
    introspection: true,
    allowBatchedHttpRequests: true,
    // A request that carries Authorization was preflighted by the browser (bearer-only auth), so
    // GET queries from urql or graphql-request work, while a plain form post still cannot.
    csrfPrevention: { requestHeaders: ["x-apollo-operation-name", "apollo-require-preflight", "authorization"] },
    persistedQueries: { cache: apqCache, ttl: DEFAULTS.apq.ttlSeconds },
    parseOptions: { maxTokens: limits.maxTokens },
    // The nesting rule last: it keeps the others from recursing along a long fragment chain.
    validationRules: [...armor.validationRules, singleSchemaReadRule, fragmentNestingRule(MAX_FRAGMENT_NESTING)],
    includeStacktraceInErrorResponses: development,
    // SIGTERM is main.ts's to handle (drain, then exit 0); Apollo's own handler would re-raise it.
    stopOnTerminationSignals: false,
    formatError: formatErrors(logger, development),
    plugins: [
      ...(trusted ? [trusted.plugin] : []),
      ...(armor.plugins as ApolloServerPlugin<Context>[]),
      operationPlugin({
        maxAccountsPerOperation: limits.maxAccountsPerOperation,
        maxEntriesPerOperation: limits.maxEntriesPerOperation,
        anonymousIntrospection: options.anonymousIntrospection ?? development,
      }),
      observabilityPlugin(logger, metrics),
      // Apollo Sandbox when its CDN loads, the bundled GraphiQL when it does not; the page holds no
      // secret (every operation needs a token), and only development pre-fills the demo token.
      explorerLandingPage({
        endpointPath: "/graphql",
        document: options.landingPage?.document ?? EXAMPLE_QUERY,
        headers: options.landingPage?.headers,
        development,
      }),
    ],
  });
  await apollo.start();

  const handler = fastifyApolloHandler(apollo, {
    context: async (request, reply) => {
      const viewer = await options.authenticate(request.headers.authorization);
      const controller = new AbortController();
      const timer = setTimeout(
        () =>
          controller.abort(
            new ProfileError(`The request's deadline of ${deadlineMs} ms passed while waiting for Tencent`, {
              code: ErrorCode.UPSTREAM_UNAVAILABLE,
            }),
          ),
        deadlineMs,
      );
      timer.unref();
      reply.raw.once("close", () => clearTimeout(timer));
      const profiles = new ProfileService({
        dispatcher,
        writer: client,
        registry: options.tags,
        viewer,
        signal: controller.signal,
        deadline: performance.now() + deadlineMs,
        report: (message) => logger.warn(message),
      });
      return { viewer, profiles, plan: undefined, maxUsers: limits.maxUsers };
    },
  });
  app.route({
    method: ["GET", "POST"],
    url: "/graphql",
    ...(trusted ? { preValidation: trusted.acceptDocumentId } : {}),
    // A batch is bounded as a whole, before any of its operations runs.
    preHandler: async (request, reply) => {
      if (!Array.isArray(request.body)) return;
      if (request.body.length > limits.maxBatchOperations) {
        const message = `A batch may hold at most ${limits.maxBatchOperations} operations (MAX_BATCH_OPERATIONS); got ${request.body.length}`;
        return reply
          .code(400)
          .type(JSON_TYPE)
          .send(JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_REQUEST } }] }));
      }
      const error = overBudget(await batches.cost(request.body), limits);
      if (error) {
        const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
        return reply
          .code(400)
          .type(JSON_TYPE)
          .send(JSON.stringify({ errors: [{ message: error.message, extensions }] }));
      }
    },
    handler,
  });
  // The offline explorer's bundle (GraphiQL and React), served from this process, never a CDN.
  app.get("/graphql/explorer/*", async (request, reply) => {
    const asset = explorerAsset(request.url.split("?")[0]!);
    if (!asset) return reply.callNotFound();
    return reply
      .code(asset.status)
      .type(asset.contentType)
      .header("cache-control", asset.cacheControl)
      .send(asset.body);
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const report = readiness.report();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? "ready" : "not ready", ...report.checks });
  });
  app.get("/metrics", async (_request, reply) => {
    metrics.queueDepth.set(dispatcher.queuedAccounts);
    for (const mode of ["local", "shared", "degraded"])
      metrics.budgetMode.set({ mode }, client.budget.mode === mode ? 1 : 0);
    if (options.redis) metrics.redisUp.set(options.redis.state === "ready" ? 1 : 0);
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
  await app.ready();

  let url: string | undefined;
  let closed: Promise<void> | undefined;
  const close = async () => {
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
        readiness.drain();
        const until = performance.now() + timeoutMs;
        while (performance.now() < until && (inFlight > 0 || performance.now() - lastRequestAt < QUIET_MS)) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
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

const JSON_TYPE = "application/json; charset=utf-8";

// Draining ends once no request has arrived for this long: clients that were told to close see it.
const QUIET_MS = 250;

export type Server = Awaited<ReturnType<typeof createServer>>;
