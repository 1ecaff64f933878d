/**
 * Tencent's "N calls per second" per API, as a token bucket holding one second of calls that
 * refills continuously: a steady N/s always passes, a burst beyond that is refused (60007).
 */
export class Throttle {
  #tokens: number;
  #last = performance.now();

  constructor(readonly ratePerSecond: number) {
    this.#tokens = ratePerSecond;
  }

  tryTake(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.ratePerSecond, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
