import { setTimeout as sleep } from "node:timers/promises";

/**
 * A client-side rate limiter (GCRA): at most `ratePerSecond` calls a second on average, with at
 * most `burst` calls back to back. Callers are admitted in arrival order.
 *
 * Tencent counts calls per API per second; a bucket that starts full would let a cold client
 * fire a whole second's quota at once and then another, so the burst is kept small.
 *
 *   const limiter = new RateLimiter(200);
 *   await limiter.acquire(2_000);   // waits for a slot, or throws RateLimitWaitError past 2 s
 */
export class RateLimiter {
  readonly #intervalMs: number;
  readonly #toleranceMs: number;
  #theoreticalArrival = 0;

  constructor(
    readonly ratePerSecond: number,
    readonly burst = Math.max(1, Math.ceil(ratePerSecond / 20)),
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.#intervalMs = 1000 / ratePerSecond;
    this.#toleranceMs = (burst - 1) * this.#intervalMs;
  }

  /**
   * Reserve the next slot and wait for it. Throws `RateLimitWaitError` without reserving when the
   * wait would exceed `maxWaitMs`, and rejects with the signal's reason when aborted.
   */
  async acquire(maxWaitMs = Infinity, signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const arrival = Math.max(this.#theoreticalArrival, now);
    const waitMs = arrival - this.#toleranceMs - now;
    if (waitMs > maxWaitMs) throw new RateLimitWaitError(waitMs);
    this.#theoreticalArrival = arrival + this.#intervalMs;
    if (waitMs > 0) await sleep(waitMs, undefined, signal ? { signal } : undefined);
  }
}

export class RateLimitWaitError extends Error {
  constructor(readonly waitMs: number) {
    super(`the client rate limiter would make this call wait ${Math.ceil(waitMs)} ms`);
    this.name = "RateLimitWaitError";
  }
}
