import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/server/metrics.js";

describe("Metrics: label children bound once per label set", () => {
  it("counts every observation under its own operation and outcome", async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 3; i++) metrics.recordOperation("Nicks", "ok", 0.002);
    metrics.recordOperation("Nicks", "UPSTREAM_THROTTLED", 0.2);
    metrics.recordOperation(undefined, "ok", 0.002);
    for (let i = 0; i < 2; i++)
      metrics.recordAttempt({ api: "profile/portrait_get", attempt: 1, durationMs: 3, outcome: "ok", code: 0 });
    metrics.recordAttempt({
      api: "profile/portrait_get",
      attempt: 2,
      durationMs: 3,
      outcome: "error",
      httpStatus: 502,
    });
    const { body } = await metrics.render();
    expect(body).toMatch(/^portrait_graph_graphql_requests_total\{operation="Nicks",outcome="ok"\} 3$/m);
    expect(body).toMatch(
      /^portrait_graph_graphql_requests_total\{operation="Nicks",outcome="UPSTREAM_THROTTLED"\} 1$/m,
    );
    expect(body).toMatch(/^portrait_graph_graphql_requests_total\{operation="anonymous",outcome="ok"\} 1$/m);
    expect(body).toMatch(
      /^portrait_graph_graphql_request_duration_seconds_count\{operation="Nicks",outcome="ok"\} 3$/m,
    );
    expect(body).toMatch(/^portrait_graph_upstream_calls_total\{api="profile\/portrait_get",code="0"\} 2$/m);
    expect(body).toMatch(/^portrait_graph_upstream_calls_total\{api="profile\/portrait_get",code="http_502"\} 1$/m);
    expect(body).toMatch(/^portrait_graph_upstream_call_duration_seconds_count\{api="profile\/portrait_get"\} 3$/m);
  });
});
