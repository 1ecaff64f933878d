import type { FastifyPluginAsync } from "fastify";
import type { Metrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";
import type { RedisConnection } from "./redis.js";

export interface HealthOptions {
  readiness: Readiness;
  metrics: Metrics;
  /** Gauges read when /metrics is scraped. */
  gauges: {
    queuedAccounts: () => number;
    budgetMode: () => string;
    redis: RedisConnection | undefined;
    subscriptions: () => number;
  };
}

const BUDGET_MODES = ["local", "shared", "degraded"] as const;

/** `/healthz` (liveness), `/readyz` (readiness, with what it checked) and `/metrics` (Prometheus). */
export const healthPlugin: FastifyPluginAsync<HealthOptions> = async (app, { readiness, metrics, gauges }) => {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const report = readiness.report();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? "ready" : "not ready", ...report.checks });
  });
  app.get("/metrics", async (_request, reply) => {
    metrics.queueDepth.set(gauges.queuedAccounts());
    metrics.subscriptions.set(gauges.subscriptions());
    const mode = gauges.budgetMode();
    for (const each of BUDGET_MODES) metrics.budgetMode.set({ mode: each }, mode === each ? 1 : 0);
    if (gauges.redis) metrics.redisUp.set(gauges.redis.state === "ready" ? 1 : 0);
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
};
