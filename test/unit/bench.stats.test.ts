import { describe, expect, it } from "vitest";
import { counterValue, hitRate, percentile, percentiles, tallyDeliveries } from "../bench/stats.js";

describe("bench statistics", () => {
  it("a percentile is the nearest-rank value: p50 of 1..10 is 5, p99 is 10, p0 the first", () => {
    const tenth = Array.from({ length: 10 }, (_, i) => i + 1);
    expect([percentile(tenth, 0.5), percentile(tenth, 0.9), percentile(tenth, 0.99), percentile(tenth, 0)]).toEqual([
      5, 9, 10, 1,
    ]);
    expect(percentile([], 0.5)).toBe(0);
  });

  it("percentiles sort numerically (not as strings) and leave the input alone", () => {
    const values = [100, 9, 25, 3, 1000];
    expect(percentiles(values)).toEqual({ count: 5, p50: 25, p90: 1000, p99: 1000, max: 1000 });
    expect(values).toEqual([100, 9, 25, 3, 1000]);
  });

  it("a delivery tally counts what each subscriber was owed, and the missing, duplicate and unowed deliveries", () => {
    const subscribers = [new Set(["a", "b"]), new Set(["b"]), new Set(["c"])];
    const changes = new Map([
      [1, "a"],
      [2, "b"],
      [3, "b"],
    ]);
    // 0 gets 1, 2 twice, and misses 3; 1 gets 2, 3 and a change of "a" it never asked for; 2 is owed nothing.
    const received = [[1, 2, 2], [3, 2, 1], [7]];
    expect(tallyDeliveries(subscribers, changes, received)).toEqual({
      expected: 5,
      delivered: 4,
      missing: 1,
      duplicates: 1,
      unexpected: 2,
    });
  });

  it("a counter is summed over the samples whose labels match, and the hit rate is taken between two pages", () => {
    const page = (hit: number, miss: number) =>
      [
        "# HELP portrait_graph_profile_cache_lookups_total Profile cache lookups",
        "# TYPE portrait_graph_profile_cache_lookups_total counter",
        `portrait_graph_profile_cache_lookups_total{result="hit"} ${hit}`,
        `portrait_graph_profile_cache_lookups_total{result="miss"} ${miss}`,
        `portrait_graph_profile_cache_lookups_total_other{result="hit"} 99`,
      ].join("\n");
    expect(counterValue(page(3, 1), "portrait_graph_profile_cache_lookups_total")).toBe(4);
    expect(counterValue(page(3, 1), "portrait_graph_profile_cache_lookups_total", { result: "hit" })).toBe(3);
    expect(hitRate(page(10, 10), page(100, 20))).toBe(0.9);
    expect(hitRate(page(10, 10), page(10, 10))).toBeNull();
  });
});
