/**
 * The hot-set and live scenarios as Markdown tables, in the style of report.ts (printed, and pasted
 * into the README). Nothing here asserts.
 */
import type { HotSetRow, HotSetSettings } from "./hotset.js";
import { rowLabel, type LiveRow, type LiveSettings } from "./live.js";

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
const pct = (n: number | null) => (n === null ? "n/a" : `${(n * 100).toFixed(1)}%`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const errors = (total: number, kinds: Record<string, number>) =>
  total === 0
    ? "0"
    : `${total} (${Object.entries(kinds)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")})`;

export function hotSetTable(rows: HotSetRow[], s: HotSetSettings): string {
  const header = [
    `hot-set: ${s.clients} clients, ${int(s.accounts)} accounts, ${Math.round(s.hotShare * 100)}% of reads on ${int(s.hotAccounts)}, cap 200/s, 30 ms, ${s.seconds} s`,
    "account reads/s",
    "of Tencent's 20,000/s",
    "requests/s",
    "hit rate",
    "upstream calls/s",
    "upstream accounts/s",
    "p50",
    "p99",
    "changes read back after the run; seen by the load (change → first read p50 / p99)",
    "older value read after a change (p99 / max)",
    "errors",
  ];
  return table(
    header,
    rows.map((r) => {
      const w = r.load.writes;
      return [
        r.name,
        int(r.accountReadsPerSecond),
        pct(r.shareOfTencentBound),
        int(r.load.okRequests / r.load.seconds),
        pct(r.hitRate),
        int(r.upstreamCallsPerSecond),
        int(r.upstreamAccountsPerSecond),
        ms(r.load.latency.p50),
        ms(r.load.latency.p99),
        w
          ? `${w.readAfter} of ${w.made}${w.failed ? ` (${w.failed} writes failed)` : ""}; ${w.readBack} (${ms(w.latency.p50)} / ${ms(w.latency.p99)})${w.wentBack ? `; ${w.wentBack} reads went back to an older value` : ""}`
          : "—",
        w ? `${ms(w.staleFor.p99)} / ${ms(w.staleFor.max)}` : "—",
        errors(r.load.errors, r.load.errorKinds) + (r.throttled ? `; 60007 at emulator: ${r.throttled}` : ""),
      ];
    }),
  );
}

export function liveTable(rows: LiveRow[], s: LiveSettings): string {
  const header = [
    `live: subscribers × changes/s (${s.idsPerSubscriber} ids each over ${int(s.pool)} accounts, ≤ ${s.perConnection} per WebSocket), ${s.seconds} s`,
    "replicas",
    "connections",
    "deliveries owed/s",
    "delivered / owed",
    "missing",
    "duplicates",
    "p50",
    "p99",
    "max",
    "p50 / p99 from EventTime",
    "profile older than the change",
    "upstream accounts per change",
    "service CPU (share of a core)",
    "errors",
  ];
  return table(
    header,
    rows.map((r) => {
      const t = r.result.tally;
      const errorCount = Object.values(r.result.errors).reduce((a, b) => a + b, 0) + t.unexpected;
      return [
        rowLabel(r.spec),
        `${r.replicas}${r.redis ? " (Redis)" : ""}`,
        int(r.connections),
        int(r.deliveriesPerSecond),
        `${int(t.delivered)} / ${int(t.expected)}`,
        int(t.missing),
        int(t.duplicates),
        ms(r.result.latency.p50),
        ms(r.result.latency.p99),
        ms(r.result.latency.max),
        `${ms(r.result.sinceEventTime.p50)} / ${ms(r.result.sinceEventTime.p99)}`,
        r.spec.withProfile ? int(r.result.staleProfiles) : "—",
        r.changesMade ? (r.upstreamAccounts / r.changesMade).toFixed(2) : "—",
        pct(r.serviceCoreShare),
        errors(errorCount, {
          ...r.result.errors,
          ...(t.unexpected ? { unowed: t.unexpected } : {}),
          ...(r.changesFailed ? { "writes failed": r.changesFailed } : {}),
        }),
      ];
    }),
  );
}
