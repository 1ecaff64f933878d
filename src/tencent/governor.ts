import { setTimeout as sleep } from "node:timers/promises";

/**
 * Adaptive back-off for Tencent's frequency limits (60007 and kin). The call budget paces calls at
 * the configured rate; when Tencent still answers "too many calls", the real limit is lower than
 * configured (another writer shares the app's quota, or the plan allows less). From then on every
 * call of that API waits here first, paced at the rate that actually got through in the last
 * second; each clean second adds 10% back, until the configured rate is reached again.
 *
 * Retrying a throttled call at full speed multiplies the load on an upstream that is already
 * refusing it; pacing at the observed rate keeps attempts close to the calls that were needed.
 *
 *   const governor = new ThrottleGovernor(() => 200);
 *   await governor.pace("profile/portrait_set");   // no wait unless Tencent throttled recently
 */
export class ThrottleGovernor {
  readonly #apis = new Map<string, ApiState>();

  constructor(
    /** The configured ceiling, calls per second. */
    private readonly ceiling: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Wait for this API's reduced pace, if it has one. */
  async pace(api: string, signal?: AbortSignal): Promise<void> {
    const state = this.#apis.get(api);
    if (!state?.rate) return;
    const now = this.now();
    this.#recover(state, now);
    if (!state.rate) return;
    const at = Math.max(state.next, now);
    state.next = at + 1000 / state.rate;
    if (at > now) await sleep(at - now, undefined, signal ? { signal } : undefined);
  }

  /** Tencent accepted a call of `api`. */
  succeeded(api: string): void {
    const state = this.#state(api);
    const now = this.now();
    state.successes.push(now);
    while (state.successes.length > 0 && state.successes[0]! < now - 1000) state.successes.shift();
  }

  /** Tencent refused a call of `api` for frequency: slow down to what got through. */
  throttled(api: string): void {
    const state = this.#state(api);
    const now = this.now();
    const gotThrough = state.successes.filter((t) => t >= now - 1000).length;
    const current = state.rate ?? this.ceiling();
    state.rate = Math.max(MIN_RATE, Math.min(current * 0.7, gotThrough || current * 0.5));
    state.lastChange = now;
    // The quota of this second is spent: the next call waits one interval from now.
    state.next = Math.max(state.next, now + 1000 / state.rate);
  }

  /** The reduced rate of an API, or undefined when it runs at the configured rate. */
  rateOf(api: string): number | undefined {
    return this.#apis.get(api)?.rate;
  }

  #recover(state: ApiState, now: number): void {
    while (state.rate && now - state.lastChange >= 1000) {
      state.lastChange += 1000;
      state.rate += Math.max(1, state.rate * 0.1);
      if (state.rate >= this.ceiling()) state.rate = undefined;
    }
  }

  #state(api: string): ApiState {
    let state = this.#apis.get(api);
    if (!state) {
      state = { rate: undefined, next: 0, lastChange: 0, successes: [] };
      this.#apis.set(api, state);
    }
    return state;
  }
}

interface ApiState {
  /** Calls per second while backing off; undefined at full speed. */
  rate: number | undefined;
  next: number;
  lastChange: number;
  successes: number[];
}

const MIN_RATE = 1;
