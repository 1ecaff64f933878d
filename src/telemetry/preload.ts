import { readTelemetrySettings, TELEMETRY_SERVICE_NAME } from "../config/telemetry.js";
import { onShutdown } from "./lifecycle.js";

/**
 * OpenTelemetry export by configuration only. Loaded before the service:
 *
 *   node --import ./dist/src/telemetry/preload.js dist/src/main.js
 *   NODE_OPTIONS="--import ./dist/src/telemetry/preload.js" node dist/src/main.js
 *
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, it registers the
 * OpenTelemetry Node tracer provider with a batching OTLP/HTTP exporter, which the standard
 * `OTEL_*` variables configure (protocol, headers, timeout, compression, `OTEL_BSP_*`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`); the service is named
 * `portrait-graph` unless they name it. Without an endpoint it does nothing: no SDK module is even
 * loaded, and the service's spans stay no-op calls.
 *
 * The service makes its spans through `@opentelemetry/api` (one per GraphQL operation, one per
 * Tencent attempt). The preload adds one server span per HTTP request (`instrumentation-http`;
 * probes and `/metrics` left out), which is active while the request runs: the operation span and
 * the Tencent attempts made for the request are its children, in the request's trace, which
 * continues an incoming W3C `traceparent`.
 */
const settings = readTelemetrySettings();

if (settings.enabled) {
  const [{ NodeTracerProvider, BatchSpanProcessor }, resources, { registerInstrumentations }, { HttpInstrumentation }] =
    await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/instrumentation"),
      import("@opentelemetry/instrumentation-http"),
    ]);
  // Each exporter reads OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION itself.
  const { OTLPTraceExporter } =
    settings.protocol === "http/json"
      ? await import("@opentelemetry/exporter-trace-otlp-http")
      : await import("@opentelemetry/exporter-trace-otlp-proto");
  const provider = new NodeTracerProvider({
    // Later sources win: the default name, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, host and process.
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ "service.name": TELEMETRY_SERVICE_NAME }))
      .merge(
        resources.detectResources({
          detectors: [resources.envDetector, resources.hostDetector, resources.processDetector],
        }),
      ),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The global tracer provider, the AsyncLocalStorage context manager, W3C trace context and baggage.
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would bury the requests in traces of their own.
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? "").split("?")[0]!),
        // Tencent is called through undici, not node:http; the exporter's own posts need no spans.
        disableOutgoingRequestInstrumentation: true,
      }),
    ],
  });
  // Spans still in the batch are exported when the service stops (SIGTERM), within SHUTDOWN_TIMEOUT_MS.
  onShutdown(() => provider.shutdown());
}

const UNTRACED_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
