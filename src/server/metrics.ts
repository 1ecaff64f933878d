import type { AttemptEvent } from "../tencent/client.js";

/**
 * Prometheus counters for the service and its upstream. Labels are API names and outcome codes:
 * never accounts, tokens or signatures.
 */
export class Metrics {
  #requests = 0;
  #upstream = new Map<string, { count: number; seconds: number }>();

  recordRequest(): void {
    this.#requests++;
  }

  recordAttempt = (event: AttemptEvent): void => {
    const outcome = event.outcome === "ok" ? "ok" : String(event.code ?? event.httpStatus ?? event.kind ?? "error");
    const key = `api="${event.api}",outcome="${outcome}"`;
    const entry = this.#upstream.get(key) ?? { count: 0, seconds: 0 };
    entry.count++;
    entry.seconds += event.durationMs / 1000;
    this.#upstream.set(key, entry);
  };

  render(): string {
    const lines = [
      "# HELP portrait_graph_requests_total GraphQL HTTP requests received.",
      "# TYPE portrait_graph_requests_total counter",
      `portrait_graph_requests_total ${this.#requests}`,
      "# HELP portrait_graph_upstream_attempts_total HTTP attempts to the Tencent REST API, by API and outcome.",
      "# TYPE portrait_graph_upstream_attempts_total counter",
      ...[...this.#upstream].map(([labels, e]) => `portrait_graph_upstream_attempts_total{${labels}} ${e.count}`),
      "# HELP portrait_graph_upstream_seconds_total Time spent in upstream attempts.",
      "# TYPE portrait_graph_upstream_seconds_total counter",
      ...[...this.#upstream].map(([labels, e]) => `portrait_graph_upstream_seconds_total{${labels}} ${e.seconds.toFixed(6)}`),
    ];
    return `${lines.join("\n")}\n`;
  }
}
