import { spawn } from "node:child_process";
import { once } from "node:events";
import { trace } from "@opentelemetry/api";
import { describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/config.js";
import { readTelemetrySettings } from "../../src/config/telemetry.js";
import { startOtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";

describe("telemetry settings (the standard OTEL_* variables)", () => {
  it("exports nothing unless an OTLP endpoint is set; OTLP/HTTP protobuf by default", () => {
    expect(readTelemetrySettings({}).enabled).toBe(false);
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: " " }).enabled).toBe(false);
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toEqual({
      enabled: true,
      protocol: "http/protobuf",
    });
    expect(readTelemetrySettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" }).enabled).toBe(true);
    expect(
      readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_SDK_DISABLED: "true" })
        .enabled,
    ).toBe(false);
  });

  it("takes the traces protocol before the general one", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(readTelemetrySettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).protocol).toBe("http/json");
    expect(
      readTelemetrySettings({
        ...endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      }).protocol,
    ).toBe("http/protobuf");
  });

  it("refuses an endpoint that is not an http(s) URL, and grpc or an unknown protocol, naming the variable", () => {
    expect(() => readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(ConfigError);
    expect(() => readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    for (const protocol of ["grpc", "http"]) {
      expect(() =>
        readTelemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: protocol }),
      ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL.*http\/protobuf or http\/json/);
    }
  });
});

/** The built service as the container runs it: `node --import ./dist/src/telemetry/preload.js dist/src/main.js`. */
async function startTracedService(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "./dist/src/telemetry/preload.js", "dist/src/main.js"], {
    env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const started = Promise.race([
    (async () => {
      while (!/user\s+zhang\.wei:\s+Bearer \S+\n/.test(output)) await once(child.stdout, "data");
    })(),
    exited.then(([code]) => {
      throw new Error(`the service exited with ${code}:\n${output}`);
    }),
  ]);
  await started;
  const url = /ready at (\S+)/.exec(output)![1]!;
  const token = /user\s+zhang\.wei:\s+Bearer (\S+)/.exec(output)![1]!;
  return { child, exited, url, token, output: () => output };
}

describe("OpenTelemetry export through the preload", () => {
  it("sends the request's spans to an OTLP/HTTP receiver in one trace, flushed on SIGTERM", async () => {
    const receiver = await startOtlpReceiver();
    // A batch delay of a minute: whatever arrives was sent by the flush on SIGTERM.
    const service = await startTracedService({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "60000",
    });
    try {
      // Probes are not traced.
      for (let ready = false; !ready;) {
        const res = await fetch(new URL("/readyz", service.url));
        ready = res.status === 200;
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Each request reads its own account: the development cache would serve a second read of one.
      const query = (operation: string, headers: Record<string, string> = {}, account = "li.na") =>
        fetch(service.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${service.token}`, ...headers },
          body: JSON.stringify({ query: `query ${operation} { user(id: "${account}") { profile { nick } } }` }),
        }).then((res) => res.json());
      expect(await query("One")).toEqual({ data: { user: { profile: { nick: "李娜" } } } });
      // A caller's W3C trace context: the request's spans join the caller's trace.
      const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
      const callerSpan = "00f067aa0ba902b7";
      expect(await query("Two", { traceparent: `00-${callerTrace}-${callerSpan}-01` }, "sato.yuki")).toMatchObject({
        data: { user: { profile: { nick: expect.any(String) } } },
      });
      expect(receiver.posts).toEqual([]);

      service.child.kill("SIGTERM");
      const [code] = await service.exited;
      expect(code).toBe(0);
      expect(receiver.posts.length).toBeGreaterThan(0);
      expect(receiver.posts.every((p) => p.path === "/v1/traces" && p.contentType === "application/json")).toBe(true);

      const spans = receiver.spans;
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(["portrait-graph"]));
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const operation = (name: string) => spans.find((s) => s.name === `graphql query ${name}`);
      const upstreamIn = (traceId: string) =>
        spans.filter((s) => s.traceId === traceId && s.name === "tencent profile/portrait_get");

      // Request One: the HTTP server span is the root; the operation span and the Tencent attempt
      // it caused are its children, in its trace.
      const one = operation("One")!;
      expect(one).toMatchObject({ kind: 2, attributes: { "graphql.operation.name": "One", "graphql.outcome": "ok" } });
      const request = byId.get(one.parentSpanId!)!;
      expect(request).toMatchObject({ kind: 2, traceId: one.traceId, parentSpanId: undefined });
      expect(request.attributes["http.method"] ?? request.attributes["http.request.method"]).toBe("POST");
      const upstream = upstreamIn(one.traceId);
      expect(upstream).toHaveLength(1);
      expect(upstream[0]).toMatchObject({
        kind: 3,
        parentSpanId: request.spanId,
        attributes: { "tencent.attempt": 1 },
      });

      // Request Two continues the caller's trace: every span of it carries the caller's trace id.
      const two = operation("Two")!;
      expect(two.traceId).toBe(callerTrace);
      const twoRequest = spans.find((s) => s.traceId === callerTrace && s.kind === 2 && s.scope.includes("http"))!;
      expect(twoRequest.parentSpanId).toBe(callerSpan);
      expect(upstreamIn(callerTrace)).toMatchObject([{ parentSpanId: twoRequest.spanId }]);

      // Nothing for /readyz.
      const paths = spans.map((s: ReceivedSpan) => s.attributes["http.target"] ?? s.attributes["url.path"]);
      expect(paths).not.toContain("/readyz");
    } finally {
      service.child.kill("SIGKILL");
      await receiver.close();
    }
  });

  it("without an endpoint the preload registers nothing: spans stay no-ops", async () => {
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "");
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "");
    try {
      await import("../../src/telemetry/preload.js");
    } finally {
      vi.unstubAllEnvs();
    }
    const span = trace.getTracer("portrait-graph").startSpan("graphql.operation");
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});
