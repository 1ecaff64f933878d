import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULTS } from "../config/defaults.js";
import { classifyErrorCode, hasRole } from "../tencent/codes.js";
import { TencentApiError, TencentError, TencentTransportError } from "../tencent/errors.js";
import {
  perAccountAnswerOf,
  portraitGetBody,
  portraitSetBody,
  PORTRAIT_GET,
  PORTRAIT_SET,
  readPortraitAnswer,
  type PortraitResult,
  type ProfileItem,
} from "../tencent/portrait.js";
import { TencentWire, type AttemptEvent, type TencentEnvelope, type TencentWireOptions } from "../tencent/wire.js";
import { checkBreakerOptions, CircuitBreaker, type CircuitState } from "./breaker.js";
import { LocalBudget, type CallBudget } from "./budget.js";
import { TencentCircuitOpenError, TencentDeadlineError } from "./errors.js";
import { ThrottleGovernor } from "./governor.js";
import { backoffDelay, decide, isOutage, retryAccount, RetryThrottle, type BackoffOptions } from "./retry.js";
import { Slot } from "./slot.js";

export type { AttemptEvent, TencentEnvelope } from "../tencent/wire.js";

export interface UpstreamOptions {
  wire: TencentWire;
  /** Where call slots come from. Default: a local budget of `rateLimit` calls/s per API. */
  budget?: CallBudget;
  /** Calls per second per API for the default local budget; 0 turns it off. */
  rateLimit?: number;
  /** Calls the default local budget lets through back to back. Default 1. */
  rateBurst?: number;
  /** Time limit of one HTTP attempt, in ms (Tencent's own timeout is 3 s). */
  timeoutMs?: number;
  /** Time limit of a whole call, slot waits and retries included, when the caller sets none. */
  deadlineMs?: number;
  /** Attempts per call, the first included (≥ 1). */
  maxAttempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** Back-off after a throttling code (60007…); Tencent counts per second, so it starts slower. */
  throttleBackoff?: Partial<BackoffOptions>;
  /** Circuit breaker per API: opens after `failures` consecutive outage failures; one trial after `halfOpenAfterMs`. */
  breaker?: { failures?: number; halfOpenAfterMs?: number };
  /** Extra reads for an account whose own answer was a transient code. */
  accountRetries?: number;
  /** Randomness of retry jitter (tests make it deterministic). */
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absolute deadline on the `performance.now()` clock; default now + `deadlineMs`. */
  deadline?: number;
  /** A slot the caller already drew (see `acquire`): it pays for the first attempt. */
  slot?: Slot;
  /** False for writes: once a request may have reached Tencent, it is not sent again. Default true. */
  idempotent?: boolean;
}

/** What the upstream reports about itself. */
export type UpstreamEvent =
  { type: "attempt"; attempt: AttemptEvent } | { type: "breaker"; api: string; state: CircuitState; open: boolean };

/**
 * The call policy towards Tencent, in one place: every attempt is admitted by the API's circuit
 * breaker and paid by one slot of the call budget (paced by the throttle governor after 60007s);
 * throttled and outage failures are retried with jittered back-off inside the call's deadline and
 * the retry budget; a write is never sent twice once it may have arrived; and a portrait_get refused
 * as a whole for an unknown account is split until that account is alone. The wire below
 * (`TencentWire`) sends one attempt at a time and knows nothing of this.
 *
 *   const upstream = new Upstream({ wire: new TencentWire({ sdkAppId, secretKey, baseUrl }) });
 *   const [alice] = await upstream.portraitGet(["alice"], ["Tag_Profile_IM_Nick"]);
 */
export class Upstream {
  readonly wire: TencentWire;
  readonly budget: CallBudget;
  readonly governor: ThrottleGovernor;
  readonly accountRetries: number;
  readonly #attemptTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffOptions;
  readonly #throttleBackoff: BackoffOptions;
  readonly #breakerOptions: { failures: number; halfOpenAfterMs: number };
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #retryThrottles = new Map<string, RetryThrottle>();
  readonly #ownsBudget: boolean;
  readonly #random: () => number;
  readonly #listeners = new Set<(event: UpstreamEvent) => void>();

  constructor(options: UpstreamOptions) {
    const d = DEFAULTS.upstream;
    this.wire = options.wire;
    this.#attemptTimeoutMs = options.timeoutMs ?? d.attemptTimeoutMs;
    this.#deadlineMs = options.deadlineMs ?? d.callDeadlineMs;
    this.#maxAttempts = options.maxAttempts ?? d.maxAttempts;
    if (!(Number.isInteger(this.#maxAttempts) && this.#maxAttempts >= 1))
      throw new RangeError(`maxAttempts must be an integer >= 1, got ${options.maxAttempts}`);
    this.accountRetries = options.accountRetries ?? DEFAULTS.reads.accountRetries;
    this.#backoff = { ...d.backoff, ...options.backoff };
    this.#throttleBackoff = { ...d.throttleBackoff, ...options.throttleBackoff };
    this.#breakerOptions = checkBreakerOptions({ ...d.breaker, ...options.breaker });
    this.#ownsBudget = options.budget === undefined;
    this.budget = options.budget ?? new LocalBudget(options.rateLimit ?? DEFAULTS.tencent.rateLimit, options.rateBurst);
    this.governor = new ThrottleGovernor(() => this.budget.ratePerSecond || Infinity);
    this.#random = options.random ?? Math.random;
    this.wire.onAttempt((attempt) => this.#emit({ type: "attempt", attempt }));
  }

  get adminIdentifier(): string {
    return this.wire.adminIdentifier;
  }

  /** Listen to attempts and breaker changes (metrics, readiness); returns a function that stops listening. */
  observe(listener: (event: UpstreamEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The circuit of `api`: `open` refuses calls at once; `half-open` lets one trial go while others wait for it. */
  circuit(api: string): CircuitState {
    return this.#breaker(api).state;
  }

  /** Whether a call of `api` may be attempted now: false while its circuit is open (a due trial counts as available). */
  available(api: string): boolean {
    return this.circuit(api) !== "open";
  }

  /**
   * APIs whose circuit is open (refusing calls). A half-open circuit is not listed: its next call is
   * the trial, and a replica that called itself unready then would get no call to try.
   */
  openCircuits(): string[] {
    return [...this.#breakers.keys()].filter((api) => this.circuit(api) === "open");
  }

  /** Draw one slot of `api`: the throttle governor's pace first, then the budget. */
  async acquire(api: string, signal?: AbortSignal): Promise<Slot> {
    const started = performance.now();
    await this.governor.pace(api, signal);
    await this.budget.acquire(api, signal);
    // Tencent began throttling while this call waited for its slot: it paces like the rest.
    if ((this.governor.slowedSince(api) ?? -Infinity) > started) await this.governor.pace(api, signal);
    return new Slot(api, performance.now());
  }

  /** POST `v4/<api>` (e.g. `profile/portrait_get`) under the call policy; the answer, or a `TencentError`. */
  async call(api: string, body: object, options: CallOptions = {}): Promise<TencentEnvelope> {
    const started = performance.now();
    const deadline = options.deadline ?? started + this.#deadlineMs;
    const payload = this.wire.encode(body);
    const idempotent = options.idempotent ?? true;
    const breaker = this.#breaker(api);
    const throttle = this.#retryThrottle(api);
    let slot = options.slot;
    let lastError: TencentError | undefined;
    let host = 0;
    let resigned = false;
    let retries = 0;
    let backOff = false;

    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (backOff && lastError) {
        const delay = backoffDelay(
          retries++,
          lastError.kind === "throttled" ? this.#throttleBackoff : this.#backoff,
          this.#random,
        );
        if (performance.now() + delay >= deadline) throw new TencentDeadlineError(api, deadline - started, lastError);
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
      }
      const refused = () => new TencentCircuitOpenError(api);
      // A closed circuit admits at once: no deadline timer for a wait that cannot happen.
      const pass =
        breaker.state === "closed"
          ? await breaker.enter(refused)
          : await this.#within(api, deadline, started, lastError, options.signal, (signal) =>
              breaker.enter(refused, signal),
            );
      let paid: Slot;
      try {
        paid =
          slot ?? (await this.#within(api, deadline, started, lastError, options.signal, (s) => this.acquire(api, s)));
      } catch (error) {
        breaker.record(pass, "abandoned");
        throw error;
      }
      slot = undefined;
      paid.spend(api);
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        breaker.record(pass, "abandoned");
        throw new TencentDeadlineError(api, deadline - started, lastError);
      }
      const sentAt = performance.now();
      try {
        const answer = await this.wire.send(api, payload, {
          host,
          attempt,
          timeoutMs: Math.min(this.#attemptTimeoutMs, remaining),
          signal: options.signal,
        });
        breaker.record(pass, "success");
        throttle.succeeded();
        this.governor.succeeded(api);
        return answer;
      } catch (error) {
        if (!(error instanceof TencentError)) {
          breaker.record(pass, "abandoned");
          throw error;
        }
        const outage = isOutage(error);
        breaker.record(pass, outage ? "failure" : "success");
        lastError = error;
        if (error.kind === "throttled") this.governor.throttled(api, sentAt);
        const decision = decide(error, { idempotent, resigned });
        if (decision === "give-up") throw error;
        if (decision === "resign") {
          // Our cached sig expired early in Tencent's eyes (clock skew): mint a new one, resend at once.
          resigned = true;
          backOff = false;
          this.wire.renewSignature();
          continue;
        }
        backOff = true;
        if (outage) {
          throttle.failed();
          // Tencent keeps failing: each further call costs one attempt, not maxAttempts.
          if (!throttle.allows()) throw error;
        }
        // A host that failed at the network level is not asked again first: try the backup.
        if (error instanceof TencentTransportError) host++;
      }
    }
    throw lastError!;
  }

  /**
   * `v4/profile/portrait_get` for at most 100 distinct accounts: one result per requested account,
   * in request order. A whole call refused because an account does not exist (40003 and its legacy
   * kin, which name no account) is split in halves, each paying its own slot, until the bad account
   * is alone and gets the code as its own result. Any other failure of the whole call throws.
   */
  async portraitGet(
    accounts: readonly string[],
    tags: readonly string[],
    options: CallOptions = {},
  ): Promise<PortraitResult[]> {
    const body = portraitGetBody(accounts, tags);
    let envelope: Record<string, unknown>;
    try {
      envelope = await this.call(PORTRAIT_GET, body, options);
    } catch (error) {
      const answer = perAccountAnswerOf(error);
      if (answer) return readPortraitAnswer(answer, accounts);
      if (!(error instanceof TencentApiError && hasRole(error.code, "not-found"))) throw error;
      return this.#split(accounts, tags, error, options);
    }
    return readPortraitAnswer(envelope, accounts);
  }

  /** `v4/profile/portrait_set` for one account; never sent again once it may have reached Tencent. */
  async portraitSet(account: string, items: readonly ProfileItem[], options: CallOptions = {}): Promise<void> {
    await this.call(PORTRAIT_SET, portraitSetBody(account, items), { ...options, idempotent: false });
  }

  /** Whether an account's own transient failure deserves another read, after `tries` so far. */
  retryAccount(result: Extract<PortraitResult, { ok: false }>, tries: number): boolean {
    return retryAccount(result, tries, this.accountRetries);
  }

  /**
   * Release the connections and the budget (only a budget it created). Attempts in flight get
   * `graceMs` to finish (default: as long as they take); after that they are cut.
   */
  async close(graceMs = Infinity): Promise<void> {
    this.governor.close();
    await this.wire.close(graceMs);
    if (this.#ownsBudget) await this.budget.close();
  }

  async #split(
    accounts: readonly string[],
    tags: readonly string[],
    refusal: TencentApiError,
    options: CallOptions,
  ): Promise<PortraitResult[]> {
    const unique = [...new Set(accounts)];
    if (unique.length === 1) {
      const failure = {
        ok: false as const,
        code: refusal.code,
        info: refusal.info,
        kind: classifyErrorCode(refusal.code),
        invalid: false,
      };
      return accounts.map((account) => ({ account, ...failure }));
    }
    const half = Math.ceil(unique.length / 2);
    const next = { signal: options.signal, deadline: options.deadline ?? performance.now() + this.#deadlineMs };
    const halves = await Promise.all([
      this.portraitGet(unique.slice(0, half), tags, next),
      this.portraitGet(unique.slice(half), tags, next),
    ]);
    const byAccount = new Map(halves.flat().map((result) => [result.account, result]));
    return accounts.map((account) => byAccount.get(account)!);
  }

  /** Run `work` with an abort signal that also fires at the deadline (→ TencentDeadlineError). */
  async #within<T>(
    api: string,
    deadline: number,
    started: number,
    lastError: TencentError | undefined,
    signal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())));
    try {
      return await work(signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new TencentDeadlineError(api, deadline - started, lastError);
      throw error;
    }
  }

  #breaker(api: string): CircuitBreaker {
    let breaker = this.#breakers.get(api);
    if (!breaker) {
      breaker = new CircuitBreaker(this.#breakerOptions, (state) =>
        this.#emit({ type: "breaker", api, state, open: state !== "closed" }),
      );
      this.#breakers.set(api, breaker);
    }
    return breaker;
  }

  #retryThrottle(api: string): RetryThrottle {
    let throttle = this.#retryThrottles.get(api);
    if (!throttle) {
      throttle = new RetryThrottle();
      this.#retryThrottles.set(api, throttle);
    }
    return throttle;
  }

  #emit(event: UpstreamEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

/** The wire's options and the policy's, flat. */
export type UpstreamSettings = TencentWireOptions & Omit<UpstreamOptions, "wire">;

/**
 * An `Upstream` over a new `TencentWire`, from one flat set of options (what main.ts, the tests and
 * the bench configure).
 *
 *   const upstream = createUpstream({ sdkAppId, secretKey, baseUrl: emulator.url, rateLimit: 200 });
 */
export function createUpstream(options: UpstreamSettings): Upstream {
  const { sdkAppId, secretKey, adminIdentifier, region, baseUrl, connections, userSigTtlSeconds, dispatcher, now } =
    options;
  const wire = new TencentWire({
    sdkAppId,
    secretKey,
    ...(adminIdentifier !== undefined ? { adminIdentifier } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(connections !== undefined ? { connections } : {}),
    ...(userSigTtlSeconds !== undefined ? { userSigTtlSeconds } : {}),
    ...(dispatcher !== undefined ? { dispatcher } : {}),
    ...(now !== undefined ? { now } : {}),
  });
  return new Upstream({ ...options, wire });
}
