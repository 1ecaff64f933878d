import { RateLimiter } from "./limiter.js";

/** Where a budget's slots come from: this process, Redis (shared by every replica), or a local fallback while Redis is away. */
export type BudgetMode = "local" | "shared" | "degraded";

/**
 * Tencent's per-API call budget (200 calls/s for the whole app by default). Every call to Tencent
 * draws one slot first: the read dispatcher before it forms a call, the client before a retry,
 * the write path before each portrait_set.
 *
 *   const budget = new LocalBudget(200);
 *   await budget.acquire("profile/portrait_get");   // resolves when a call may leave
 */
export interface CallBudget {
  /** Wait for one slot of `api`. Rejects with the signal's reason when aborted. */
  acquire(api: string, signal?: AbortSignal): Promise<void>;
  readonly mode: BudgetMode;
  /** Calls per second per API that this budget allows (this process's share while degraded). */
  readonly ratePerSecond: number;
  close(): Promise<void>;
}

/**
 * A budget kept in this process: one GCRA limiter per API. Right for a single replica; with
 * several replicas, each must get its share (`rate ÷ replicas`) or use the Redis budget.
 * A rate of 0 turns the budget off (every acquire resolves at once).
 */
export class LocalBudget implements CallBudget {
  readonly mode: BudgetMode;
  readonly #limiters = new Map<string, RateLimiter>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst?: number,
    mode: BudgetMode = "local",
  ) {
    if (!(ratePerSecond >= 0)) throw new RangeError(`ratePerSecond must be >= 0, got ${ratePerSecond}`);
    this.mode = mode;
  }

  async acquire(api: string, signal?: AbortSignal): Promise<void> {
    if (this.ratePerSecond === 0) return;
    let limiter = this.#limiters.get(api);
    if (!limiter) {
      // Burst 1 by default: any 1-second window, wherever it starts, then holds at most the rate
      // (the reads gather while they wait, so a burst buys nothing there).
      limiter = new RateLimiter(this.ratePerSecond, this.burst ?? 1);
      this.#limiters.set(api, limiter);
    }
    await limiter.acquire(Infinity, signal);
  }

  async close(): Promise<void> {}
}
