/**
 * GCRA (generic cell rate algorithm), take-now form: the one rate-limiter arithmetic of the
 * TypeScript side (the Redis budget runs the same in Lua, on Redis's clock). A slot is granted only
 * if it can be used at once; otherwise nothing is reserved and the wait is returned, so a timer
 * that fires late never spends a slot back to back with one taken on time.
 *
 * With burst 1, grants are spaced `1/rate` apart: every 1-second window, wherever it starts, holds
 * at most `rate` of them (Tencent counts calls per API per second on its own clock).
 *
 *   const gcra = new Gcra(200);
 *   const wait = gcra.take(performance.now());   // 0: granted; else ms to wait before asking again
 */
export class Gcra {
  #intervalMs = 0;
  #toleranceMs = 0;
  /** Theoretical arrival time of the next slot, on the caller's clock (ms). */
  #tat = 0;

  constructor(ratePerSecond: number, burst = 1) {
    this.setRate(ratePerSecond, burst);
  }

  /** Change the rate (calls per second, > 0); slots already granted stay granted. */
  setRate(ratePerSecond: number, burst = 1): void {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
    this.#intervalMs = 1000 / ratePerSecond;
    this.#toleranceMs = (burst - 1) * this.#intervalMs;
  }

  /** Take a slot at `now` (ms): 0 when granted, else how long until one can be taken. */
  take(now: number): number {
    const tat = Math.max(this.#tat, now);
    const waitMs = tat - this.#toleranceMs - now;
    if (waitMs > 0) return waitMs;
    this.#tat = tat + this.#intervalMs;
    return 0;
  }

  /** Push the next grant to at least `at` (ms): the quota until then is spent elsewhere. */
  holdUntil(at: number): void {
    this.#tat = Math.max(this.#tat, at + this.#toleranceMs);
  }
}
