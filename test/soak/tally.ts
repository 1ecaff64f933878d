/**
 * The soak's count of what reached the emulator. It takes the emulator's counts every second and
 * clears them, so the emulator's call log holds at most a second of calls: the soak's RSS is then
 * the service's (and the load's), not a record of every call, and the counts stay exact however
 * long the soak runs.
 */
import type { Emulator } from "../../src/emulator/emulator.js";

export class UpstreamTally {
  readonly byApi: Record<string, { calls: number; outcomes: Record<string, number> }> = {};
  /** Accounts answered ResultCode 40006 inside a successful portrait_get. */
  accountFaults = 0;
  /** Call records the emulator dropped before they were counted here (its log is bounded). */
  dropped = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly emulator: Emulator) {}

  start(): void {
    this.emulator.resetStats();
    this.#timer = setInterval(() => this.take(), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.take();
  }

  /** Add the emulator's counts since the last take, then clear them (one synchronous step: nothing is lost between). */
  take(): void {
    const stats = this.emulator.stats();
    for (const [api, { calls, outcomes }] of Object.entries(stats.byApi)) {
      const entry = (this.byApi[api] ??= { calls: 0, outcomes: {} });
      entry.calls += calls;
      for (const [code, n] of Object.entries(outcomes)) entry.outcomes[code] = (entry.outcomes[code] ?? 0) + n;
    }
    for (const call of stats.calls) this.accountFaults += call.results?.filter((r) => r === 40006).length ?? 0;
    this.dropped += stats.dropped;
    this.emulator.resetStats();
  }
}
