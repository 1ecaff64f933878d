/**
 * Every default value of the service, written once. The config modules fall back to these when a
 * variable is unset, and the factories (client, budget, cache, dispatcher, server) fall back to the
 * same values when a caller (a test, a script) leaves an option out: no module repeats a literal.
 * The README's configuration table lists the variables that set them.
 */
export const DEFAULTS = {
  service: {
    port: 4000,
    host: "0.0.0.0",
    /** LOG_LEVEL. */
    logLevel: "info",
    /** REQUEST_DEADLINE_MS: time one request may spend waiting for Tencent, retries included. */
    requestDeadlineMs: 8_000,
    /** SHUTDOWN_TIMEOUT_MS. */
    shutdownTimeoutMs: 10_000,
    /** How often readiness re-checks the upstream while not ready. */
    readinessIntervalMs: 2_000,
    /** ROOT_FIELDS: `all` (user, users, me) or `none` (beside a users subgraph that owns them). */
    rootFields: "all" as "all" | "none",
    /** TRUSTED_DOCUMENTS_MODE, when TRUSTED_DOCUMENTS is set. */
    trustedDocumentsMode: "strict",
  },
  /** Apollo's automatic persisted queries (in memory, or on Redis with REDIS_URL). */
  apq: {
    /** How long a registered query is kept. */
    ttlSeconds: 86_400,
    /** Size of the in-memory store (one replica). */
    memoryBytes: 32 * 1024 * 1024,
  },
  tencent: {
    /** TIM_ADMIN_IDENTIFIER: the app admin the service signs as. */
    adminIdentifier: "administrator",
    region: "china",
    /** TIM_RATE_LIMIT: calls per second per API for all replicas together (Tencent's documented cap). */
    rateLimit: 200,
  },
  /** The upstream call policy (src/upstream) and the wire (src/tencent). */
  upstream: {
    /** One HTTP attempt; Tencent's own server-side timeout is 3 s. */
    attemptTimeoutMs: 5_000,
    /** A whole call, slot waits and retries included, when the caller sets no deadline. */
    callDeadlineMs: 10_000,
    /** Attempts per call, the first included. */
    maxAttempts: 4,
    backoff: { baseMs: 100, capMs: 2_000 },
    /** After a throttling code (60007…): Tencent counts per second, so retries start slower. */
    throttleBackoff: { baseMs: 250, capMs: 2_000 },
    // A trial call after 1 s: service returns within about a second of Tencent answering again, and a
    // Tencent still down costs one attempt a second.
    breaker: { failures: 5, halfOpenAfterMs: 1_000 },
    /** Keep-alive connections per upstream origin. */
    connections: 64,
    /** Validity of the admin UserSig the client mints; renewed at half-life. */
    userSigTtlSeconds: 86_400,
  },
  /** The process-wide read dispatcher. */
  reads: {
    /** QUEUE_MAX_ACCOUNTS. */
    maxQueuedAccounts: 10_000,
    /** QUEUE_MAX_WAIT_MS. */
    maxWaitMs: 2_000,
    /** BATCH_WINDOW_MS: a fixed gathering delay before each call draws its slot. */
    gatherMs: 0,
    /** portrait_get calls in flight at once (the connections per host). */
    maxCallsInFlight: 64,
    /** Extra attempts for an account whose own answer was a transient code. */
    accountRetries: 2,
  },
  redis: {
    /** REDIS_KEY_PREFIX. */
    keyPrefix: "portrait-graph:",
    /** REDIS_COMMAND_TIMEOUT_MS. */
    commandTimeoutMs: 200,
    /** REPLICAS. */
    replicas: 1,
    connectTimeoutMs: 1_000,
    /** How long start-up waits for the first connection before going on without Redis. */
    initialWaitMs: 1_000,
    maxReconnectDelayMs: 2_000,
    /** While degraded, how often the shared budget asks Redis whether it answers again. */
    probeIntervalMs: 1_000,
    /** Redis Cluster: while a master is unreachable, how often the topology is read again to find its replacement. */
    clusterRefreshMs: 250,
  },
  profileCache: {
    /** PROFILE_CACHE_TTL_MS without the profile-change callback: 0, no cache (other writers' changes would go unseen). */
    ttlMs: 0,
    /**
     * PROFILE_CACHE_TTL_MS where the callback keeps the cache coherent: the safety net for a
     * callback Tencent never delivered (it documents no redelivery). A minute bounds how long such a
     * lost change can hide, and costs a hot set of N accounts about N/60 reads a second.
     */
    coherentTtlMs: 60_000,
    /**
     * STALE_IF_ERROR_MS: how old a cached profile may be and still be served, marked stale, while
     * Tencent cannot answer. Five minutes rides out a breaker trip or a short Tencent incident.
     */
    staleIfErrorMs: 300_000,
    /** PROFILE_CACHE_MAX_ENTRIES (in-memory cache). */
    maxEntries: 10_000,
    /** PROFILE_CACHE_MAX_ENTRY_BYTES (Redis cache). */
    maxEntryBytes: 16_384,
  },
  limits: {
    maxUsers: 1000,
    /** MAX_SUBSCRIPTION_IDS: accounts one profileChanged subscription may follow. */
    maxSubscriptionIds: 100,
    maxAccountsPerOperation: 1000,
    maxEntriesPerOperation: 5000,
    /** MAX_ENTITIES_PER_OPERATION: `_entities` representations one operation (a router's fetch) may hold. */
    maxEntitiesPerOperation: 5000,
    maxBatchOperations: 10,
    maxAliases: 30,
    maxDepth: 8,
    maxTokens: 2000,
    maxDirectives: 20,
    bodyLimitBytes: 1_048_576,
  },
  http: {
    corsOrigins: ["*"] as readonly string[],
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    maxConnections: 1024,
    /**
     * After answering a request whose body is still arriving (413): how long, and how many more
     * bytes, the connection is read and drained before it closes, so the client reads the answer
     * instead of a TCP reset (src/server/linger.ts).
     */
    linger: { maxMs: 5_000, maxBytes: 64 * 1024 * 1024 },
  },
  /** Profile changes: the callback receiver, the change stream, subscriptions, cache hints. */
  changes: {
    /** TIM_CALLBACK_PATH. */
    callbackPath: "/tencent/callback",
    /** TIM_CALLBACK_BODY_LIMIT_BYTES: a callback carries one account's changed tags (≤ 500 bytes each). */
    callbackBodyLimitBytes: 65_536,
    /** CHANGE_STREAM_WINDOW: changes kept for resuming subscribers. */
    streamWindow: 10_000,
    /** MAX_SUBSCRIPTIONS per replica. */
    maxSubscriptions: 10_000,
    /** SUBSCRIPTION_QUEUE_MAX: changes one subscription may have waiting. */
    subscriptionQueueMax: 100,
    /** SUBSCRIPTION_HEARTBEAT_MS. */
    heartbeatMs: 15_000,
    /** MAX_SUBSCRIPTIONS_PER_CONNECTION: operations one WebSocket may run at once. */
    maxPerConnection: 20,
    /**
     * SUBSCRIPTION_MAX_BUFFERED_BYTES: bytes a WebSocket or SSE stream may have waiting to be sent
     * before its client counts as too slow and is dropped (it resumes from its last cursor).
     */
    maxBufferedBytes: 1_048_576,
    /** SUBSCRIPTION_INIT_TIMEOUT_MS: a WebSocket must send connection_init within this. */
    initTimeoutMs: 5_000,
    /** CACHE_CONTROL_MAX_AGE (s): 0, routers and CDNs do not cache (they hear of no change). */
    cacheControlMaxAgeSeconds: 0,
    /** CACHE_CONTROL_SCOPE: reads need a token, so a shared cache must key on it. */
    cacheControlScope: "PRIVATE" as "PRIVATE" | "PUBLIC",
    /** ROUTER_INVALIDATION_SUBGRAPH: the name deploy/compose gives this subgraph. */
    routerSubgraphName: "portrait-graph",
    /** How long one invalidation request to the router may take. */
    routerInvalidationTimeoutMs: 2_000,
  },
  emulator: {
    /** TIM_EMULATOR_HOST / TIM_EMULATOR_PORT of the standalone emulator. */
    host: "127.0.0.1",
    port: 5800,
    rateLimit: 200,
    /** The emulator's profile-change callbacks (Profile.CallbackPortraitSet). */
    callbacks: {
      /** One delivery waits this long for the receiver's answer, then counts as failed. */
      timeoutMs: 2_000,
      /** What the `delay` callback quirk holds a callback back by. */
      delayMs: 1_000,
    },
  },
} as const;
