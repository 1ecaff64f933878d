/**
 * Small helpers shared by the hot-set and live scenarios: percentiles, a tally of deliveries
 * (expected, received, missing, duplicate) and reading a counter from a Prometheus text page.
 * Pure functions, unit-tested in test/unit/bench.stats.test.ts.
 */

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The `p` quantile (0–1) of an ascending array, nearest rank; 0 for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** p50, p90, p99 and max of `values` (any order; the array is not changed). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    count: list.length,
    p50: percentile(list, 0.5),
    p90: percentile(list, 0.9),
    p99: percentile(list, 0.99),
    max: list.at(-1) ?? 0,
  };
}

export interface DeliveryTally {
  /** Deliveries owed: for each change, every subscriber of its account. */
  expected: number;
  /** Distinct (subscriber, change) pairs received that were owed. */
  delivered: number;
  missing: number;
  /** Deliveries of a pair already received. */
  duplicates: number;
  /** Deliveries of a change the subscriber was not owed (another account, or a change never made). */
  unexpected: number;
}

/**
 * Count what each subscriber was owed against what it received. `subscribers[i]` is the set of
 * accounts subscriber i listens to; `changes` maps a change's sequence number to its account;
 * `received[i]` lists the sequence numbers subscriber i got, in any order, repeats included.
 */
export function tallyDeliveries(
  subscribers: readonly ReadonlySet<string>[],
  changes: ReadonlyMap<number, string>,
  received: readonly (readonly number[])[],
): DeliveryTally {
  let expected = 0;
  let delivered = 0;
  let duplicates = 0;
  let unexpected = 0;
  subscribers.forEach((accounts, i) => {
    for (const account of changes.values()) if (accounts.has(account)) expected++;
    const seen = new Set<number>();
    for (const seq of received[i] ?? []) {
      const account = changes.get(seq);
      if (account === undefined || !accounts.has(account)) unexpected++;
      else if (seen.has(seq)) duplicates++;
      else {
        seen.add(seq);
        delivered++;
      }
    }
  });
  return { expected, delivered, missing: expected - delivered, duplicates, unexpected };
}

/**
 * The sum of a counter's samples in a Prometheus text page whose labels include all of `labels`
 * (`{}`: every sample of the metric).
 */
export function counterValue(page: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of page.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(match[3]);
  }
  return sum;
}

/** hits / (hits + misses) between two pages of the cache's lookup counter; null without lookups. */
export function hitRate(before: string, after: string): number | null {
  const metric = "portrait_graph_profile_cache_lookups_total";
  const hits = counterValue(after, metric, { result: "hit" }) - counterValue(before, metric, { result: "hit" });
  const all = counterValue(after, metric) - counterValue(before, metric);
  return all > 0 ? hits / all : null;
}
