import { ConfigError, flag, nonEmpty, type Env } from "./env.js";

/**
 * OpenTelemetry export, switched on by configuration alone: the standard `OTEL_*` variables. The
 * SDK reads most of them itself (endpoint, headers, timeout, compression, sampler, batch delays,
 * resource attributes, service name); this reads the few that decide whether it starts at all and
 * with which exporter, and refuses a bad endpoint or protocol at start-up, as every other
 * variable is.
 */
export interface TelemetrySettings {
  /** An OTLP endpoint is configured (and `OTEL_SDK_DISABLED` is not true). */
  enabled: boolean;
  /** OTLP over HTTP, as protobuf (the OpenTelemetry default) or JSON. */
  protocol: "http/protobuf" | "http/json";
}

/** `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` says otherwise. */
export const TELEMETRY_SERVICE_NAME = "portrait-graph";

const PROTOCOLS = ["http/protobuf", "http/json"] as const;

export function readTelemetrySettings(env: Env = process.env): TelemetrySettings {
  const endpoints = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] as const;
  for (const name of endpoints) {
    const value = env[name];
    if (nonEmpty(value) && !/^https?:\/\/[^/]/.test(value!.trim())) {
      throw new ConfigError(name, value!, "an http(s) URL of an OTLP/HTTP receiver, e.g. http://otel-collector:4318");
    }
  }
  // The signal's own variable wins over the general one, as the OpenTelemetry spec has it.
  const name = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
    ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const protocol = env[name]?.trim() || "http/protobuf";
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    // gRPC would bring its own HTTP/2 stack into the image; every collector also listens for OTLP/HTTP on 4318.
    throw new ConfigError(name, protocol, `${PROTOCOLS.join(" or ")} (OTLP over HTTP, port 4318 on a collector)`);
  }
  return {
    enabled: !flag("OTEL_SDK_DISABLED", env.OTEL_SDK_DISABLED, false) && endpoints.some((n) => nonEmpty(env[n])),
    protocol: protocol as TelemetrySettings["protocol"],
  };
}
