import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { context as otelContext, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { GraphQLError } from "graphql";
import type { Context } from "../../graphql/context.js";
import { TencentTransportError } from "../../tencent/errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { tracingOn } from "../../util/tracing.js";

const tracer = trace.getTracer("portrait-graph");

/**
 * One log line, one metric sample and one span per GraphQL operation: its name, duration and
 * outcome (`ok`, or the first error's code). Spans use `@opentelemetry/api` only: a deployment that
 * registers an OpenTelemetry SDK sees them (continuing an incoming W3C `traceparent`); one that
 * does not pays for none. The log line is built only when its level is enabled.
 */
export function observabilityPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<Context> {
  return {
    // A refused token fails while the context is built, before any operation starts: count it too.
    async contextCreationDidFail({ error }) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- codes are strings; String() only keeps an odd one from breaking the label
      const code = String((error as { extensions?: { code?: unknown } }).extensions?.code ?? "CONTEXT_FAILED");
      metrics.recordOperation(undefined, code, 0);
      logger.info({ operation: null, outcome: code, reason: error.message.slice(0, 120) }, "graphql request refused");
    },
    async requestDidStart({ request }) {
      const started = performance.now();
      let span: Span | undefined;
      if (tracingOn()) {
        const parent = propagation.extract(otelContext.active(), request.http?.headers ?? new Map(), HEADER_GETTER);
        span = tracer.startSpan("graphql.operation", { kind: SpanKind.SERVER }, parent);
      }
      return {
        async didResolveOperation({ operationName, operation }) {
          if (!span) return;
          span.updateName(`graphql ${operation?.operation ?? "operation"}${operationName ? ` ${operationName}` : ""}`);
          span.setAttribute("graphql.operation.type", operation?.operation ?? "unknown");
          if (operationName) span.setAttribute("graphql.operation.name", operationName);
        },
        async didEncounterErrors(ctx) {
          for (const error of ctx.errors) logUpstreamDetail(logger, error, ctx);
        },
        async willSendResponse(ctx) {
          const errors = ctx.response.body.kind === "single" ? ctx.response.body.singleResult.errors : undefined;
          // eslint-disable-next-line @typescript-eslint/no-base-to-string -- codes are strings; String() only keeps an odd one from breaking the label
          const outcome = errors?.length ? String(errors[0]?.extensions?.code ?? "ERROR") : "ok";
          const seconds = (performance.now() - started) / 1000;
          metrics.recordOperation(ctx.operationName ?? undefined, outcome, seconds);
          if (logger.isLevelEnabled("info"))
            logger.info(
              {
                operation: ctx.operationName ?? null,
                durationMs: Math.round(seconds * 1e4) / 10,
                outcome,
                batched: ctx.requestIsBatched,
              },
              "graphql request",
            );
          if (!span) return;
          span.setAttribute("graphql.outcome", outcome);
          if (outcome !== "ok") span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          span.end();
        },
      };
    },
  };
}

// What the network layer said about an upstream failure (it may name internal hosts) goes to the log, never to the client.
function logUpstreamDetail(logger: Logger, error: GraphQLError, ctx: GraphQLRequestContext<Context>): void {
  let cause: unknown = error.originalError;
  for (let depth = 0; cause && depth < 4; depth++) {
    if (cause instanceof TencentTransportError && cause.detail) {
      logger.warn(
        { operation: ctx.operationName ?? null, api: cause.api, detail: cause.detail },
        "upstream transport failure",
      );
      return;
    }
    cause = (cause as { cause?: unknown }).cause;
  }
}

const HEADER_GETTER = {
  get: (carrier: { get(key: string): string | undefined }, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: { keys?(): Iterable<string> }) => [...(carrier.keys?.() ?? [])],
};
