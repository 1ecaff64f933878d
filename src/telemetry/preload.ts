import { readTelemetrySettings } from "../config/telemetry.js";
import { onShutdown } from "./lifecycle.js";

/**
 * OpenTelemetry export by configuration only. Loaded before the service:
 *
 *   node --import ./dist/src/telemetry/preload.js dist/src/main.js
 *   NODE_OPTIONS="--import ./dist/src/telemetry/preload.js" node dist/src/main.js
 *
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, it starts the
 * OpenTelemetry Node SDK with an OTLP trace exporter that the standard `OTEL_*` variables configure
 * (`OTEL_EXPORTER_OTLP_PROTOCOL`: http/protobuf by default, or http/json, grpc; headers, sampler,
 * batch delays, resource attributes), service name `portrait-graph`. Without one it does nothing:
 * the SDK is not even loaded, and the service's spans stay no-op calls.
 *
 * The service makes its spans through `@opentelemetry/api` (one per GraphQL operation, one per
 * Tencent attempt). The SDK adds one server span per HTTP request (`@opentelemetry/instrumentation-http`,
 * probes and `/metrics` left out), which every span of that request belongs to: a Tencent call made
 * for the request is a child of it, beside the operation span, in the request's trace (and an
 * incoming W3C `traceparent` continues the caller's trace).
 */
const settings = readTelemetrySettings();

if (settings.enabled) {
  const [{ NodeSDK }, { HttpInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/instrumentation-http"),
  ]);
  const sdk = new NodeSDK({
    ...(settings.serviceName ? { serviceName: settings.serviceName } : {}),
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would bury the requests in traces of their own.
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? "").split("?")[0]!),
        // Tencent is called through undici, not node:http; the exporter's own posts need no spans.
        disableOutgoingRequestInstrumentation: true,
      }),
    ],
    // The service's metrics are Prometheus `/metrics` and its logs are stdout: without their own
    // OTEL_*_EXPORTER the SDK would also push OTLP metrics and logs to the endpoint.
    ...(settings.metrics ? {} : { metricReaders: [] }),
    ...(settings.logs ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  // Spans still in the batch are exported when the service stops (SIGTERM), within SHUTDOWN_TIMEOUT_MS.
  onShutdown(() => sdk.shutdown());
}

const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
