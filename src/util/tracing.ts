import { ProxyTracerProvider, trace } from "@opentelemetry/api";

// The API's global tracer provider is a proxy whose delegate stays this no-op until an SDK registers.
const NO_SDK = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK is registered: without one, spans are no-ops, and the work of
 * building them (names, attributes, context extraction) is skipped. Asked per operation, so a
 * provider registered after start-up is seen.
 */
export function tracingOn(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
}
