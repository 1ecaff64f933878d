import { Gcra } from "./gcra.js";
import { SlotQueue } from "./slot.queue.js";

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
  readonly #queue: SlotQueue;

  constructor(
    /** The configured ceiling, calls per second. */
    private readonly ceiling: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#queue = new SlotQueue((api) => this.#take(api));
  }

  /** Wait for this API's reduced pace, if it has one (callers go in arrival order). */
  async pace(api: string, signal?: AbortSignal): Promise<void> {
    const state = this.#apis.get(api);
    if (state?.rate === undefined) return;
    this.#recover(state, this.now());
    if (state.rate === undefined) return;
    await this.#queue.acquire(api, signal);
  }

  /** When the current slow-down of `api` began (undefined at full speed): a caller that started waiting before it paces again. */
  slowedSince(api: string): number | undefined {
    const state = this.#apis.get(api);
    return state?.rate === undefined ? undefined : state.throttledAt;
  }

  /** Tencent accepted a call of `api`. */
  succeeded(api: string): void {
    const state = this.#state(api);
    const now = this.now();
    state.successes.push(now);
    while (state.successes.length > 0 && state.successes[0]! < now - 1000) state.successes.shift();
  }

  /**
   * Tencent refused a call of `api` for frequency: slow down to what got through. A refusal of a
   * call sent before the last slow-down says nothing new (it left at the old pace) and is ignored,
   * so a burst of refusals lowers the pace once, not once per refusal.
   */
  throttled(api: string, sentAt: number = this.now()): void {
    const state = this.#state(api);
    const now = this.now();
    if (state.rate !== undefined && sentAt < state.lastChange) return;
    const gotThrough = state.successes.filter((t) => t >= now - 1000).length;
    const current = state.rate ?? this.ceiling();
    // Half of what got through: that count includes the burst an idle quota allows, and pacing at
    // the refill rate itself would leave no slack. The 10% a second of recovery finds the rest.
    state.rate = Math.max(MIN_RATE, Math.min(current * 0.7, gotThrough > 0 ? gotThrough * 0.5 : current * 0.5));
    state.pace.setRate(state.rate);
    state.lastChange = now;
    state.throttledAt = now;
    // The quota of this second is spent: the next call waits one interval from now.
    state.pace.holdUntil(now + 1000 / state.rate);
  }

  close(): void {
    this.#queue.close();
  }

  #take(api: string): number {
    const state = this.#apis.get(api);
    if (!state) return 0;
    const now = this.now();
    this.#recover(state, now);
    return state.rate === undefined ? 0 : state.pace.take(now);
  }

  #recover(state: ApiState, now: number): void {
    while (state.rate !== undefined && now - state.lastChange >= 1000) {
      state.lastChange += 1000;
      state.rate += Math.max(1, state.rate * 0.1);
      if (state.rate >= this.ceiling()) state.rate = undefined;
      else state.pace.setRate(state.rate);
    }
  }

  #state(api: string): ApiState {
    let state = this.#apis.get(api);
    if (!state) {
      state = { rate: undefined, pace: new Gcra(1), lastChange: 0, throttledAt: 0, successes: [] };
      this.#apis.set(api, state);
    }
    return state;
  }
}

interface ApiState {
  /** Calls per second while backing off; undefined at full speed. */
  rate: number | undefined;
  pace: Gcra;
  lastChange: number;
  throttledAt: number;
  successes: number[];
}

const MIN_RATE = 1;
