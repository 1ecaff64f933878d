import { Gcra } from "./gcra.js";
import { SlotQueue } from "./slot.queue.js";

/** Where a budget's slots come from: this process, Redis (shared by every replica), or a local fallback while Redis is away. */
export type BudgetMode = "local" | "shared" | "degraded";

/**
 * Tencent's per-API call budget (200 calls/s for the whole app by default). Every attempt sent to
 * Tencent is paid by one slot of it: the read dispatcher draws one before it forms a call, a retry
 * or a write draws its own (see `Upstream.acquire`).
 *
 *   const budget = new LocalBudget(200);
 *   await budget.acquire("profile/portrait_get");   // resolves when a call may leave
 */
export interface CallBudget {
  /** Wait for one slot of `api`; resolves with when it was granted. Rejects with the signal's reason when aborted. */
  acquire(api: string, signal?: AbortSignal): Promise<number>;
  readonly mode: BudgetMode;
  /** Calls per second per API that this budget allows (this process's share while degraded). */
  readonly ratePerSecond: number;
  close(): Promise<void>;
}

/**
 * A budget kept in this process: one GCRA per API, callers served in arrival order. Right for a
 * single replica; with several, each must get its share (`rate ÷ replicas`) or use the Redis
 * budget. A rate of 0 turns the budget off (every acquire resolves at once).
 */
export class LocalBudget implements CallBudget {
  readonly mode: BudgetMode = "local";
  readonly #limiters = new Map<string, Gcra>();
  readonly #queue: SlotQueue;

  constructor(
    readonly ratePerSecond: number,
    /** Calls let through back to back. Default 1: any 1-second window holds at most the rate. */
    readonly burst = 1,
  ) {
    if (!(ratePerSecond >= 0)) throw new RangeError(`ratePerSecond must be >= 0, got ${ratePerSecond}`);
    this.#queue = new SlotQueue((api) => this.#limiter(api).take(performance.now()));
  }

  acquire(api: string, signal?: AbortSignal): Promise<number> {
    if (this.ratePerSecond === 0) return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve(now());
    return this.#queue.acquire(api, signal);
  }

  async close(): Promise<void> {
    this.#queue.close();
  }

  #limiter(api: string): Gcra {
    let limiter = this.#limiters.get(api);
    if (!limiter) {
      // Reads gather while they wait for a slot, so a burst buys them nothing: 1 by default.
      limiter = new Gcra(this.ratePerSecond, this.burst);
      this.#limiters.set(api, limiter);
    }
    return limiter;
  }
}

const now = () => performance.now();
