import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { propagation, trace } from "@opentelemetry/api";
import { request } from "undici";
import { describe, expect, it, vi } from "vitest";
import { SetProfileDocument, UsersNicksDocument } from "../__generated__/graphql.js";
import { gatedSleep } from "../support/emulator.js";
import { importAccounts, startService } from "../support/service.js";

const readyz = async (url: string) => {
  const res = await request(url.replace("/graphql", "/readyz"));
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

describe("circuit breaker", () => {
  it("opens after repeated upstream failures, answers at once without calling, and closes by itself", async () => {
    // Half-open after 1 s, not sooner: on a loaded machine the checks below must still find it open.
    const svc = await startService(
      {},
      { readinessIntervalMs: 50 },
      { maxAttempts: 1, breaker: { failures: 3, halfOpenAfterMs: 1_000 } },
    );
    try {
      svc.emulator.configure({ faults: { "502": 1 } });
      for (let i = 0; i < 3; i++) {
        const { errors } = await svc.gql(UsersNicksDocument, { ids: [`down${i}`] });
        expect(errors![0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      }
      expect((await readyz(svc.url)).body).toMatchObject({
        status: "not ready",
        openCircuits: ["profile/portrait_get"],
      });
      const attemptsBefore = svc.emulator.calls.length;
      const { errors } = await svc.gql(UsersNicksDocument, { ids: ["li.na"] });
      expect(errors![0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(errors![0]!.message).toMatch(/paused after repeated failures/);
      // Answered without an upstream attempt (how fast: the next test).
      expect(svc.emulator.calls.length).toBe(attemptsBefore);

      svc.emulator.configure({ faults: {} });
      // The readiness probe is the half-open trial call: once it succeeds the breaker closes.
      await vi.waitFor(async () => expect((await readyz(svc.url)).status).toBe(200), { timeout: 5_000, interval: 50 });
      expect((await svc.gql(UsersNicksDocument, { ids: ["li.na"] })).data!.users[0]!.profile!.nick).toBe("李娜");
    } finally {
      await svc.close();
    }
  });

  it("while open, answers UPSTREAM_UNAVAILABLE at once: no upstream attempt, no wait for a call slot, median under 50 ms", async () => {
    // Once the breaker is open, any attempt that reaches the emulator is held there until the test
    // ends, and the call budget (2/s) would hold each read up to 500 ms: waiting on either shows.
    const { waits, sleep } = gatedSleep();
    const svc = await startService(
      { sleep },
      { requestDeadlineMs: 1_000 },
      { rateLimit: 2, maxAttempts: 1, breaker: { failures: 3, halfOpenAfterMs: 60_000 } },
    );
    try {
      svc.emulator.configure({ faults: { "502": 1 } });
      for (let i = 0; i < 3; i++) {
        const { errors } = await svc.gql(UsersNicksDocument, { ids: [`down${i}`] });
        expect(errors![0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      }
      expect((await readyz(svc.url)).body).toMatchObject({ openCircuits: ["profile/portrait_get"] });
      svc.emulator.configure({ faults: {}, latencyMs: 60_000 });
      const attemptsBefore = svc.emulator.calls.length;

      const answers: { code: unknown; ms: number }[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const { errors } = await svc.gql(UsersNicksDocument, { ids: [`open${i}`] });
        answers.push({ code: errors?.[0]?.extensions.code, ms: performance.now() - started });
      }
      expect(answers.map((a) => a.code)).toEqual(Array(20).fill("UPSTREAM_UNAVAILABLE"));
      // Not one attempt arrived at the emulator (a held one would be waiting in `waits`).
      expect(waits).toEqual([]);
      expect(svc.emulator.calls.length).toBe(attemptsBefore);
      // The median, not the maximum: one answer slowed by GC or a busy CI core says nothing about waiting.
      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      const median = (ms[9]! + ms[10]!) / 2;
      console.info(
        `answered in ${median.toFixed(1)} ms (median; min ${ms[0]!.toFixed(1)}, max ${ms[19]!.toFixed(1)}) while the breaker was open`,
      );
      expect(median).toBeLessThan(50);
    } finally {
      await svc.close();
    }
  });
});

describe("adaptive back-off on 60007", () => {
  it("when Tencent allows fewer calls than configured, attempts stay within 1.2× the calls needed", async () => {
    // The client believes in 200 calls/s; the upstream allows 20. 60 concurrent writes need 60 calls.
    const svc = await startService({}, {}, { rateLimit: 200 });
    try {
      const accounts = await importAccounts(svc, "w", 60);
      svc.emulator.configure({ rateLimit: 20 });
      svc.emulator.resetStats();
      const results = await Promise.all(
        accounts.map((id, i) => svc.gql(SetProfileDocument, { userId: id, input: { nick: `n${i}` } }, svc.adminToken)),
      );
      expect(results.filter((r) => r.errors)).toEqual([]);
      const sets = svc.emulator.calls.filter((c) => c.api === "profile/portrait_set");
      const succeeded = sets.filter((c) => c.outcome === 0).length;
      expect(succeeded).toBe(60);
      console.info(`${sets.length} attempts for ${succeeded} writes (${sets.length - succeeded} answered 60007)`);
      expect(sets.length).toBeLessThanOrEqual(Math.ceil(1.2 * succeeded));
    } finally {
      await svc.close();
    }
  });
});

describe("traces", () => {
  it("continue an incoming W3C traceparent, with one span per operation and per upstream attempt", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const svc = await startService();
    try {
      exporter.reset();
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const { errors } = await svc.gql("query Traced { me { profile { nick } } }", undefined, svc.userToken, {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      });
      expect(errors).toBeUndefined();
      const spans = exporter.getFinishedSpans();
      const operation = spans.find((s) => s.name === "graphql query Traced");
      expect(operation?.spanContext().traceId).toBe(traceId);
      expect(operation?.attributes["graphql.outcome"]).toBe("ok");
      expect(
        spans.some(
          (s) => s.name === "tencent profile/portrait_get" && s.attributes["tencent.api"] === "profile/portrait_get",
        ),
      ).toBe(true);
      expect(JSON.stringify(spans.map((s) => s.attributes))).not.toMatch(/usersig|Bearer/i);
    } finally {
      await svc.close();
      trace.disable();
      propagation.disable();
      await provider.shutdown();
    }
  });
});
