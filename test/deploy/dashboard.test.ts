import { readFileSync } from "node:fs";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metrics } from "../../src/server/metrics.js";
import { startService, type Service } from "../support/service.js";
import { promqlReferences } from "./promql.js";

interface Target {
  expr: string;
  datasource: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
const dashboard = JSON.parse(readFileSync("deploy/grafana/portrait-graph.json", "utf8")) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};
const panels = dashboard.panels.filter((p) => p.type !== "row");
const expressions = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Labels every scraped series gets from Prometheus itself. */
const TARGET_LABELS = ["instance", "job"];

describe("Grafana dashboard", () => {
  // The names and labels the running service exposes, scraped from its /metrics after it has
  // answered an operation and called Tencent.
  let service: Service;
  const names = new Set<string>();
  const labelsOf = new Map<string, Set<string>>();
  beforeAll(async () => {
    service = await startService();
    expect((await service.gql('{ user(id: "li.na") { profile { nick } } }')).data).toBeTruthy();
    const res = await request(new URL("/metrics", service.url));
    const text = await res.body.text();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      names.add(name!);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    }
    for (const [, name, labels] of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /gm)) {
      const set = labelsOf.get(name!) ?? new Set(TARGET_LABELS);
      for (const [, label] of (labels ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) set.add(label!);
      labelsOf.set(name!, set);
    }
    // Labelled series appear once a value is set; the label names are declared where the metrics are.
    for (const metric of new Metrics().registry.getMetricsAsArray()) {
      const declared = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
      for (const name of [metric.name, `${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]) {
        const set = labelsOf.get(name) ?? new Set(TARGET_LABELS);
        for (const label of declared) set.add(label);
        labelsOf.set(name, set);
      }
    }
  });
  afterAll(() => service.close());

  it("has a panel per concern the service measures, each querying the dashboard's Prometheus data source", () => {
    expect(dashboard.uid).toBe("portrait-graph");
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(expressions.length).toBeGreaterThanOrEqual(20);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ["datasource", "datasource"],
      ["instance", "query"],
    ]);
  });

  it("covers every metric the service defines", () => {
    const used = new Set(expressions.flatMap(({ expr }) => [...promqlReferences(expr).metrics]));
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    const own = new Metrics().registry.getMetricsAsArray().map((m) => m.name);
    const custom = own.filter((name) => !/_(process|nodejs)_/.test(name));
    expect(custom.filter((name) => ![...used].some((u) => base(u) === name || u === name))).toEqual([]);
  });

  it("queries only metric names the running service exposes at /metrics, with labels they carry", () => {
    expect(names.has("portrait_graph_graphql_requests_total")).toBe(true);
    const variable = dashboard.templating.list.find((v) => v.name === "instance")!;
    const variableQuery = (variable.query as { query: string }).query;
    const [, metric, label] = /^label_values\(([^,]+),\s*([^)]+)\)$/.exec(variableQuery)!;
    const all = [...expressions, { panel: "variable instance", expr: `${metric}{${label}=""}` }];
    const problems: string[] = [];
    for (const { panel, expr } of all) {
      const { metrics, labels } = promqlReferences(expr);
      expect(metrics.size, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of metrics) {
        if (!names.has(name)) problems.push(`${panel}: ${name} is not exposed`);
        const known = new Set([...metrics].flatMap((m) => [...(labelsOf.get(m) ?? [])]));
        if (name.endsWith("_bucket")) known.add("le");
        for (const l of labels)
          if (!known.has(l)) problems.push(`${panel}: label ${l} is on none of ${[...metrics].join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("finds references the way the check above relies on (a misspelled name would be caught)", () => {
    expect(
      promqlReferences('histogram_quantile(0.99, sum by (le, api) (rate(portrait_graph_x_bucket{api=~"a|b"}[5m])))'),
    ).toEqual({ metrics: new Set(["portrait_graph_x_bucket"]), labels: new Set(["api", "le"]) });
    expect(promqlReferences("sum(rate(a_total[1m])) / sum(rate(b_total[1m]))").metrics).toEqual(
      new Set(["a_total", "b_total"]),
    );
  });
});
