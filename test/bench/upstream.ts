/**
 * What the bench asks of the standalone emulator over HTTP (`/emulator/config`, `/emulator/stats`)
 * and what it reads from the calls it recorded: calls per second, accounts per call, 60007s,
 * the most calls in any calendar second.
 */
import { request } from "undici";
import type { CallRecord } from "../../src/emulator/emulator.js";

export async function configureEmulator(
  url: string,
  patch: { rateLimit?: number; latencyMs?: number | string },
): Promise<void> {
  const res = await request(`${url}/emulator/config`, { method: "POST", body: JSON.stringify(patch) });
  if (res.statusCode !== 200) throw new Error(`emulator refused ${JSON.stringify(patch)}: ${await res.body.text()}`);
  await res.body.dump();
}

export async function resetCalls(url: string): Promise<void> {
  const res = await request(`${url}/emulator/stats`, { method: "DELETE" });
  await res.body.dump();
}

/** The portrait_get calls the emulator recorded since the last reset. */
export async function portraitGets(url: string): Promise<CallRecord[]> {
  const res = await request(`${url}/emulator/stats`);
  const stats = (await res.body.json()) as { calls: CallRecord[]; dropped?: number };
  // The emulator's call log is bounded (src/emulator/calls.ts): figures from a partial list would be wrong.
  if (stats.dropped)
    throw new Error(`the emulator dropped ${stats.dropped} call records since the last reset: shorten BENCH_SECONDS`);
  return stats.calls.filter((call) => call.api === "profile/portrait_get");
}

export interface UpstreamFigures {
  /** Calls inside the measured window. */
  calls: number;
  callsPerSecond: number;
  accountsPerCall: number;
  /** 60007 answers over the whole run, warm-up included. */
  throttled: number;
  /** Most calls in one calendar second (whole run), and in any sliding 1 s. */
  maxPerCalendarSecond: number;
  maxPerSlidingSecond: number;
}

/** Figures of `calls` for a run whose window was [start, end) in epoch ms. */
export function upstreamFigures(calls: CallRecord[], start: number, end: number): UpstreamFigures {
  const inWindow = calls.filter((c) => c.at >= start && c.at < end);
  const accounts = inWindow.reduce((sum, c) => sum + (c.accounts?.length ?? 0), 0);
  const perSecond = new Map<number, number>();
  for (const call of calls)
    perSecond.set(Math.floor(call.at / 1000), (perSecond.get(Math.floor(call.at / 1000)) ?? 0) + 1);
  const times = calls.map((c) => c.at).sort((a, b) => a - b);
  let sliding = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= 1000) lo++;
    sliding = Math.max(sliding, hi - lo + 1);
  }
  return {
    calls: inWindow.length,
    callsPerSecond: (inWindow.length * 1000) / (end - start),
    accountsPerCall: inWindow.length ? accounts / inWindow.length : 0,
    throttled: calls.filter((c) => c.outcome === 60007).length,
    maxPerCalendarSecond: Math.max(0, ...perSecond.values()),
    maxPerSlidingSecond: sliding,
  };
}
