import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DispatcherEvent } from "../profile/dispatcher.js";
import type { AttemptEvent } from "../tencent/transport.js";

/**
 * The service's Prometheus metrics, on a registry of its own (so several servers in one process,
 * as in tests, never mix). Labels are operation names, API names and outcome codes: never
 * accounts, tokens or signatures. Operation names come from clients, so only well-formed ones are
 * kept, and at most `MAX_OPERATION_NAMES` of them; the rest count as `other`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #operationNames = new Set<string>();
  /**
   * Label children bound once per label set (prom-client would otherwise hash a label object on
   * every observation): bounded, as the label values are (operation names, codes, APIs).
   */
  readonly #operationChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>();
  readonly #attemptChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>();

  readonly graphqlRequests = new Counter({
    name: "portrait_graph_graphql_requests_total",
    help: "GraphQL operations answered, by operation name and outcome (ok, or the first error code).",
    labelNames: ["operation", "outcome"] as const,
    registers: [this.registry],
  });

  readonly graphqlDuration = new Histogram({
    name: "portrait_graph_graphql_request_duration_seconds",
    help: "Time to answer a GraphQL operation.",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamCalls = new Counter({
    name: "portrait_graph_upstream_calls_total",
    help: "HTTP attempts to the Tencent REST API, by API and code (0 = success, a Tencent ErrorCode, http_<status>, or network).",
    labelNames: ["api", "code"] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: "portrait_graph_upstream_call_duration_seconds",
    help: "Time of one HTTP attempt to Tencent.",
    labelNames: ["api"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly accountsPerCall = new Histogram({
    name: "portrait_graph_upstream_accounts_per_call",
    help: "Accounts carried by each portrait_get call.",
    buckets: [1, 2, 5, 10, 20, 50, 100],
    registers: [this.registry],
  });

  readonly slotWait = new Histogram({
    name: "portrait_graph_rate_slot_wait_seconds",
    help: "Time a portrait_get call waited for a slot of the call budget.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: "portrait_graph_read_queue_accounts",
    help: "Accounts waiting for a portrait_get call.",
    registers: [this.registry],
  });

  readonly circuitOpen = new Gauge({
    name: "portrait_graph_circuit_open",
    help: "1 while the circuit breaker of an API is open.",
    labelNames: ["api"] as const,
    registers: [this.registry],
  });

  readonly budgetMode = new Gauge({
    name: "portrait_graph_call_budget_mode",
    help: "1 for the mode the call budget is in: local (one process), shared (Redis) or degraded (Redis unreachable, local share).",
    labelNames: ["mode"] as const,
    registers: [this.registry],
  });

  readonly cacheLookups = new Counter({
    name: "portrait_graph_profile_cache_lookups_total",
    help: "Profile cache lookups, by result (hit, miss): the hit rate is hit / (hit + miss).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  readonly staleServed = new Counter({
    name: "portrait_graph_profile_stale_served_total",
    help: "Profiles served stale from the cache (within STALE_IF_ERROR_MS) because Tencent could not answer, by the error they stood in for.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });

  readonly callbacks = new Counter({
    name: "portrait_graph_callbacks_total",
    help: "Tencent third-party callbacks received, by command (Profile.CallbackPortraitSet, other, none) and outcome (accepted, unknown_command, bad_sign, stale_time, wrong_app, malformed, too_large).",
    labelNames: ["command", "outcome"] as const,
    registers: [this.registry],
  });

  readonly changes = new Counter({
    name: "portrait_graph_profile_changes_total",
    help: "Profile changes the service learnt of, by source (callback, setProfile) and verdict (new: applied and published; duplicate; older: an EventTime older than one already applied).",
    labelNames: ["source", "verdict"] as const,
    registers: [this.registry],
  });

  readonly subscriptions = new Gauge({
    name: "portrait_graph_subscriptions",
    help: "profileChanged subscriptions this replica holds.",
    registers: [this.registry],
  });

  readonly routerInvalidations = new Counter({
    name: "portrait_graph_router_invalidations_total",
    help: "Cache tags (one per changed account) sent to the router's invalidation endpoint, by outcome (ok, failed).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly liveConnections = new Gauge({
    name: "portrait_graph_subscription_connections",
    help: "Open live-update connections by transport: WebSockets (ws), SSE streams (sse).",
    labelNames: ["transport"] as const,
    registers: [this.registry],
  });

  readonly cacheErrors = new Counter({
    name: "portrait_graph_profile_cache_errors_total",
    help: "Failures of the shared profile cache's store (Redis), by operation; each one is a miss, never a request failure.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });

  readonly redisUp = new Gauge({
    name: "portrait_graph_redis_up",
    help: "1 while Redis answers, 0 while it does not (only when REDIS_URL is set).",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "portrait_graph_" });
  }

  recordOperation(name: string | undefined, outcome: string, seconds: number): void {
    const operation = this.#operationLabel(name);
    const key = `${operation}\n${outcome}`;
    let child = this.#operationChildren.get(key);
    if (!child) {
      child = {
        count: this.graphqlRequests.labels({ operation, outcome }),
        duration: this.graphqlDuration.labels({ operation, outcome }),
      };
      this.#operationChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }

  recordAttempt = (event: AttemptEvent): void => {
    const code =
      event.code !== undefined
        ? String(event.code)
        : event.httpStatus !== undefined
          ? `http_${event.httpStatus}`
          : "network";
    const key = `${event.api}\n${code}`;
    let child = this.#attemptChildren.get(key);
    if (!child) {
      child = {
        count: this.upstreamCalls.labels({ api: event.api, code }),
        duration: this.upstreamDuration.labels({ api: event.api }),
      };
      this.#attemptChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(event.durationMs / 1000);
  };

  recordDispatch = (event: DispatcherEvent): void => {
    switch (event.type) {
      case "call":
        this.accountsPerCall.observe(event.accounts);
        this.slotWait.observe(event.slotWaitMs / 1000);
        break;
      case "cache":
        if (event.hits > 0) this.cacheLookups.inc({ result: "hit" }, event.hits);
        if (event.misses > 0) this.cacheLookups.inc({ result: "miss" }, event.misses);
        break;
      case "stale":
        this.staleServed.inc({ reason: event.reason });
        break;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown dispatcher event ${JSON.stringify(unreachable)}`);
      }
    }
  };

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #operationLabel(name: string | undefined): string {
    if (!name) return "anonymous";
    if (this.#operationNames.has(name)) return name;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || this.#operationNames.size >= MAX_OPERATION_NAMES) return "other";
    this.#operationNames.add(name);
    return name;
  }
}

const MAX_OPERATION_NAMES = 200;
