export type CircuitState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive outage failures that open the circuit. */
  failures: number;
  /** How long an open circuit refuses calls before one trial call may go. */
  halfOpenAfterMs: number;
  now?: () => number;
}

/** Why a call may go: as an ordinary call, or as the one trial of a half-open circuit. */
export interface Pass {
  readonly trial: boolean;
}

/**
 * A circuit breaker for one API. Closed, every call goes; after `failures` consecutive outage
 * failures it opens and calls are refused at once. `halfOpenAfterMs` later it is half-open: the next
 * call (live traffic, or the readiness probe, whichever comes first) is the one trial, and calls
 * that arrive meanwhile wait for its outcome rather than fail; the trial's success closes the
 * circuit, its failure opens it again for another `halfOpenAfterMs`.
 *
 * Hand-written rather than taken from a library (cockatiel's breaker served before): the read
 * dispatcher must know, before it draws a budget slot, whether a call may go at all, and callers
 * that meet a half-open circuit must wait for the trial, where cockatiel decides only inside
 * `execute` and refuses every call during the trial.
 *
 *   const pass = await breaker.enter(signal);     // throws CircuitOpenError while open
 *   try { …; breaker.record(pass, "success"); } catch (e) { breaker.record(pass, isOutage(e) ? "failure" : "success"); }
 */
export class CircuitBreaker {
  readonly #failures: number;
  readonly #halfOpenAfterMs: number;
  readonly #now: () => number;
  readonly #onChange: (state: CircuitState) => void;
  #consecutive = 0;
  #openedAt: number | undefined;
  #trial: { settled: Promise<void>; settle: () => void } | undefined;
  #reported: CircuitState = "closed";

  constructor(options: BreakerOptions, onChange: (state: CircuitState) => void = () => {}) {
    checkBreakerOptions(options);
    this.#failures = options.failures;
    this.#halfOpenAfterMs = options.halfOpenAfterMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onChange = onChange;
  }

  get state(): CircuitState {
    if (this.#openedAt === undefined) return "closed";
    return this.#now() - this.#openedAt >= this.#halfOpenAfterMs ? "half-open" : "open";
  }

  /**
   * Admission of one call: resolves with its pass, waits while a trial is in flight, and throws
   * `refused()` while the circuit is open (or the trial it waited for failed).
   */
  async enter(refused: () => Error, signal?: AbortSignal): Promise<Pass> {
    for (;;) {
      const state = this.state;
      this.#report(state);
      if (state === "closed") return { trial: false };
      if (state === "open") throw refused();
      if (!this.#trial) {
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => (settle = resolve));
        this.#trial = { settled, settle };
        return { trial: true };
      }
      await waitFor(this.#trial.settled, signal);
    }
  }

  /**
   * The outcome of a call admitted with `pass`: `failure` for an outage failure (counted),
   * `success` for any answer that shows Tencent is up (a caller's error included), `abandoned` when
   * the call ended without an answer for another reason (its caller left, a deadline, no slot).
   */
  record(pass: Pass, outcome: "success" | "failure" | "abandoned"): void {
    if (outcome === "success") {
      this.#consecutive = 0;
      if (pass.trial || this.#openedAt !== undefined) this.#openedAt = undefined;
    } else if (outcome === "failure") {
      this.#consecutive++;
      if (pass.trial || (this.#openedAt === undefined && this.#consecutive >= this.#failures)) {
        this.#openedAt = this.#now();
      }
    }
    if (pass.trial && this.#trial) {
      this.#trial.settle();
      this.#trial = undefined;
    }
    this.#report(this.state);
  }

  #report(state: CircuitState): void {
    if (state === this.#reported) return;
    this.#reported = state;
    this.#onChange(state);
  }
}

/** The options, or a RangeError naming the one out of range. */
export function checkBreakerOptions<T extends BreakerOptions>(options: T): T {
  if (!(Number.isInteger(options.failures) && options.failures >= 1))
    throw new RangeError(`breaker failures must be an integer >= 1, got ${options.failures}`);
  if (!(options.halfOpenAfterMs >= 0))
    throw new RangeError(`breaker halfOpenAfterMs must be >= 0, got ${options.halfOpenAfterMs}`);
  return options;
}

function waitFor(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
