import { ConfigError, flag, nonEmpty, type Env } from "./env.js";

/**
 * OpenTelemetry export, switched on by configuration alone: the standard `OTEL_*` variables. The
 * SDK reads most of them itself (headers, timeouts, sampler, batch delays, resource attributes);
 * this reads the few that decide whether it starts at all and what it starts, and refuses a bad
 * endpoint or protocol at start-up, as every other variable is.
 */
export interface TelemetrySettings {
  /** An OTLP endpoint is configured (and `OTEL_SDK_DISABLED` is not true). */
  enabled: boolean;
  /** `portrait-graph` unless `OTEL_SERVICE_NAME` or `service.name` in `OTEL_RESOURCE_ATTRIBUTES` names the service. */
  serviceName: string | undefined;
  /** The service exports metrics through Prometheus `/metrics`; OTLP metrics only when `OTEL_METRICS_EXPORTER` asks. */
  metrics: boolean;
  /** Logs go to stdout (pino); OTLP logs only when `OTEL_LOGS_EXPORTER` asks. */
  logs: boolean;
}

export const TELEMETRY_SERVICE_NAME = "portrait-graph";

const PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;

export function readTelemetrySettings(env: Env = process.env): TelemetrySettings {
  const endpoints = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] as const;
  for (const name of endpoints) {
    const value = env[name];
    if (nonEmpty(value) && !/^https?:\/\/[^/]/.test(value!.trim())) {
      throw new ConfigError(name, value!, "an http(s) URL of an OTLP receiver, e.g. http://otel-collector:4318");
    }
  }
  for (const name of ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] as const) {
    const value = env[name];
    if (nonEmpty(value) && !(PROTOCOLS as readonly string[]).includes(value!.trim())) {
      throw new ConfigError(name, value!, `one of ${PROTOCOLS.join(", ")} (default http/protobuf)`);
    }
  }
  const disabled = flag("OTEL_SDK_DISABLED", env.OTEL_SDK_DISABLED, false);
  const named =
    nonEmpty(env.OTEL_SERVICE_NAME) ||
    (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",").some((pair) => pair.trim().startsWith("service.name="));
  return {
    enabled: !disabled && endpoints.some((name) => nonEmpty(env[name])),
    serviceName: named ? undefined : TELEMETRY_SERVICE_NAME,
    metrics: nonEmpty(env.OTEL_METRICS_EXPORTER),
    logs: nonEmpty(env.OTEL_LOGS_EXPORTER),
  };
}
