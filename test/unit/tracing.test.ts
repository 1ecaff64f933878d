import { trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { tracingOn } from "../../src/util/tracing.js";

describe("tracingOn", () => {
  afterEach(() => trace.disable());

  it("is off until an OpenTelemetry SDK registers a tracer provider, and on once one has", () => {
    expect(tracingOn()).toBe(false);
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    expect(tracingOn()).toBe(true);
    trace.getTracer("t").startSpan("s").end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["s"]);
  });
});
