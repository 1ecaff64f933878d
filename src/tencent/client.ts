import { setTimeout as sleep } from "node:timers/promises";
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from "cockatiel";
import { Agent, type Dispatcher } from "undici";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { LocalBudget, type CallBudget } from "./budget.js";
import {
  isRetryable,
  TencentApiError,
  TencentCircuitOpenError,
  TencentDeadlineError,
  TencentError,
  TencentTransportError,
} from "./errors.js";
import { ThrottleGovernor } from "./governor.js";
import { stringifyJson } from "./json.js";
import { portraitGet, portraitSet, type PortraitResult, type ProfileItem } from "./portrait.js";
import { upstreamOrigins, type Region } from "./regions.js";
import { attemptCall, type AttemptEvent, type TencentEnvelope, type UpstreamBase } from "./transport.js";
import { UserSigCache } from "./usersig.cache.js";

export type { AttemptEvent, TencentEnvelope } from "./transport.js";

export interface TencentClientOptions {
  sdkAppId: number;
  secretKey: string;
  /** An app admin account; the API refuses anyone else (60010). Default `administrator`. */
  adminIdentifier?: string;
  /** Default `china`. */
  region?: Region;
  /** Overrides the region hosts, e.g. `http://127.0.0.1:5800` for the emulator. */
  baseUrl?: string;
  /** Time limit of one HTTP attempt, in ms (Tencent's own timeout is 3 s). Default 5000. */
  timeoutMs?: number;
  /** Time limit of a whole call, slot waits and retries included, when the caller sets none. Default 10000. */
  deadlineMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** Backoff after a throttling code (60007…); Tencent counts per second, so it starts slower. */
  throttleBackoff?: Partial<BackoffOptions>;
  /** Where call slots come from. Default: a local budget of `rateLimit` calls/s per API. */
  budget?: CallBudget;
  /** Calls per second per API for the default local budget; 0 turns it off. Default 200. */
  rateLimit?: number;
  /** Calls the default local budget lets through back to back. Default 1 (any 1-second window holds at most rateLimit). */
  rateBurst?: number;
  /** Circuit breaker per API: opens after `failures` consecutive upstream failures, probes again after `halfOpenAfterMs`. */
  breaker?: { failures?: number; halfOpenAfterMs?: number };
  /** Keep-alive connections per upstream origin. Default 64. */
  connections?: number;
  /** Validity of the admin UserSig the client mints; it is renewed at half-life. Default 1 day. */
  userSigTtlSeconds?: number;
  /** Replace the HTTP dispatcher (tests pass undici's MockAgent). */
  dispatcher?: Dispatcher;
  /** Clock for UserSig minting and renewal, in ms since the epoch. */
  now?: () => number;
  /** Randomness of retry jitter (tests make it deterministic). */
  random?: () => number;
  /** Called after every HTTP attempt; for metrics. Carries no secrets. Same as `observe`. */
  onAttempt?: (event: AttemptEvent) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absolute deadline on the `performance.now()` clock; default now + the client's `deadlineMs`. */
  deadline?: number;
  /** The caller already holds a budget slot for the first attempt (the read dispatcher does). */
  slotHeld?: boolean;
  /**
   * False for writes: once a request may have reached Tencent (a timeout, a dropped connection),
   * it is not sent again, and the `TencentTransportError` (with `sent: true`) goes to the caller.
   */
  idempotent?: boolean;
  /**
   * Codes the caller handles itself, thrown at once instead of retried here. The read dispatcher
   * passes the account-class codes: a whole portrait_get refused for one bad account fails the
   * same way however often it is sent, so it splits the call instead.
   */
  noRetryCodes?: ReadonlySet<number>;
}

/** What the client reports about itself. */
export type ClientEvent = { type: "attempt"; attempt: AttemptEvent } | { type: "breaker"; api: string; open: boolean };

/**
 * The Tencent REST client: signs as the app admin, pools keep-alive connections, draws a slot of
 * the per-API call budget before every attempt, backs off when Tencent throttles, retries
 * throttled or transient failures with jittered backoff inside a deadline, and stops calling an
 * API whose circuit breaker has opened.
 *
 *   const client = new TencentClient({ sdkAppId, secretKey, baseUrl: emulator.url });
 *   const answer = await client.call("profile", "portrait_get", { To_Account: ["id1"], TagList: [...] });
 */
export class TencentClient {
  readonly sdkAppId: number;
  readonly adminIdentifier: string;
  readonly origins: readonly string[];
  readonly budget: CallBudget;
  readonly governor: ThrottleGovernor;
  readonly #bases: readonly UpstreamBase[];
  readonly #userSig: UserSigCache;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffOptions;
  readonly #throttleBackoff: BackoffOptions;
  readonly #breakerOptions: { failures: number; halfOpenAfterMs: number };
  readonly #breakers = new Map<string, CircuitBreakerPolicy>();
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #ownsBudget: boolean;
  readonly #random: () => number;
  readonly #listeners = new Set<(event: ClientEvent) => void>();

  constructor(options: TencentClientOptions) {
    if (!Number.isSafeInteger(options.sdkAppId) || options.sdkAppId <= 0) {
      throw new RangeError(`sdkAppId must be a positive integer, got ${options.sdkAppId}`);
    }
    if (!options.secretKey) throw new RangeError("secretKey must not be empty");
    this.sdkAppId = options.sdkAppId;
    this.adminIdentifier = options.adminIdentifier ?? "administrator";
    this.#userSig = new UserSigCache({
      sdkAppId: options.sdkAppId,
      secretKey: options.secretKey,
      identifier: this.adminIdentifier,
      ttlSeconds: options.userSigTtlSeconds ?? 86_400,
      now: options.now ?? Date.now,
    });
    this.origins = upstreamOrigins(options.region ?? "china", options.baseUrl);
    this.#bases = this.origins.map((base) => {
      const url = new URL(base);
      return { origin: url.origin, prefix: base.slice(url.origin.length) };
    });
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#deadlineMs = options.deadlineMs ?? 10_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#throttleBackoff = { baseMs: 250, capMs: 2_000, ...options.throttleBackoff };
    this.#breakerOptions = {
      failures: options.breaker?.failures ?? 5,
      halfOpenAfterMs: options.breaker?.halfOpenAfterMs ?? 5_000,
    };
    this.#ownsBudget = options.budget === undefined;
    this.budget = options.budget ?? new LocalBudget(options.rateLimit ?? 200, options.rateBurst);
    this.governor = new ThrottleGovernor(() => this.budget.ratePerSecond || Infinity);
    this.#random = options.random ?? Math.random;
    if (options.onAttempt) {
      const onAttempt = options.onAttempt;
      this.observe((event) => event.type === "attempt" && onAttempt(event.attempt));
    }
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** Listen to attempts and breaker changes (metrics, readiness); returns a function that stops listening. */
  observe(listener: (event: ClientEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether calls of `api` may be attempted now: false while its circuit breaker is open. */
  available(api: string): boolean {
    const state = this.#breakers.get(api)?.state;
    return state !== CircuitState.Open && state !== CircuitState.Isolated;
  }

  /** APIs whose breaker is open now. */
  openCircuits(): string[] {
    return [...this.#breakers.keys()].filter((api) => !this.available(api));
  }

  /** Wait for one call slot of `api`: the throttle governor's pace first, then the budget. */
  async acquireSlot(api: string, signal?: AbortSignal): Promise<void> {
    const started = performance.now();
    await this.governor.pace(api, signal);
    await this.budget.acquire(api, signal);
    // Tencent began throttling while this call waited for its slot: it paces like the rest.
    if ((this.governor.slowedSince(api) ?? -Infinity) > started) await this.governor.pace(api, signal);
  }

  /** POST `v4/<service>/<command>` and return the answer, or throw a `TencentError`. */
  async call(service: string, command: string, body: object, options: CallOptions = {}): Promise<TencentEnvelope> {
    const api = `${service}/${command}`;
    const started = performance.now();
    const deadline = options.deadline ?? started + this.#deadlineMs;
    const payload = stringifyJson(body);
    const idempotent = options.idempotent ?? true;
    let lastError: TencentError | undefined;
    let origin = 0;
    let resigned = false;

    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (lastError) {
        const delay = backoffDelay(
          attempt - 2,
          lastError.kind === "throttled" ? this.#throttleBackoff : this.#backoff,
          this.#random,
        );
        if (performance.now() + delay >= deadline) throw new TencentDeadlineError(api, deadline - started, lastError);
        await sleep(delay, undefined, options.signal ? { signal: options.signal } : undefined);
      }
      if (attempt > 1 || !options.slotHeld)
        await this.#acquireWithin(api, deadline, started, lastError, options.signal);
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new TencentDeadlineError(api, deadline - started, lastError);
      const sentAt = performance.now();
      try {
        const answer = await this.#breaker(api).execute(() =>
          attemptCall(this.#dispatcher, {
            api,
            base: this.#bases[origin % this.#bases.length]!,
            query: this.#userSig.queryPrefix(),
            payload,
            attempt,
            timeoutMs: Math.max(1, Math.ceil(Math.min(this.#timeoutMs, remaining))),
            signal: options.signal,
            report: (event) => this.#emit({ type: "attempt", attempt: event }),
          }),
        );
        this.governor.succeeded(api);
        return answer;
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new TencentCircuitOpenError(api);
        if (!(error instanceof TencentError)) throw error;
        lastError = error;
        if (error instanceof TencentApiError && error.code === 70001 && !resigned) {
          // Our cached sig expired early in Tencent's eyes (clock skew): mint a new one, once.
          resigned = true;
          this.#userSig.renew();
          continue;
        }
        if (error.kind === "throttled") this.governor.throttled(api, sentAt);
        if (!isRetryable(error.kind)) throw error;
        if (error instanceof TencentApiError && options.noRetryCodes?.has(error.code)) throw error;
        // A write that may have reached Tencent is not sent again: its outcome is the caller's to learn.
        if (!idempotent && error instanceof TencentTransportError && error.sent) throw error;
        // A host that failed at the network level is not asked again first: try the backup.
        if (error instanceof TencentTransportError) origin++;
      }
    }
    throw lastError!;
  }

  /** `v4/profile/portrait_get` for at most 100 accounts; see `portraitGet`. */
  portraitGet(accounts: readonly string[], tags: readonly string[], options?: CallOptions): Promise<PortraitResult[]> {
    return portraitGet(this, accounts, tags, options);
  }

  /** `v4/profile/portrait_set` for one account; see `portraitSet`. Never re-sent once it may have arrived. */
  portraitSet(account: string, items: readonly ProfileItem[], options?: CallOptions): Promise<void> {
    return portraitSet(this, account, items, { ...options, idempotent: false });
  }

  /**
   * Release the keep-alive connections and the budget (only those the client created). Calls in
   * flight get `graceMs` to finish (default: as long as they take); after that they are cut.
   */
  async close(graceMs = Infinity): Promise<void> {
    if (this.#ownsDispatcher) {
      const closed = this.#dispatcher.close().then(() => true);
      const inTime = Number.isFinite(graceMs)
        ? await Promise.race([closed, sleep(graceMs, false, { ref: false })])
        : await closed;
      if (!inTime) {
        closed.catch(() => {}); // rejected by destroy(): the calls it cut are answered as failed
        await this.#dispatcher.destroy();
      }
    }
    if (this.#ownsBudget) await this.budget.close();
  }

  async #acquireWithin(
    api: string,
    deadline: number,
    started: number,
    lastError: TencentError | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now())));
    try {
      await this.acquireSlot(api, signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new TencentDeadlineError(api, deadline - started, lastError);
      throw error;
    }
  }

  #breaker(api: string): CircuitBreakerPolicy {
    let breaker = this.#breakers.get(api);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isUpstreamDown), {
        halfOpenAfter: this.#breakerOptions.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(this.#breakerOptions.failures),
      });
      breaker.onStateChange((state) => this.#emit({ type: "breaker", api, open: state === CircuitState.Open }));
      this.#breakers.set(api, breaker);
    }
    return breaker;
  }

  #emit(event: ClientEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

// The failures that say Tencent (or the way to it) is down, not that one request was wrong.
const SERVER_FAILURE_CODES = new Set([60008, 70169, 70202, 70500]);
function isUpstreamDown(error: unknown): boolean {
  if (error instanceof TencentTransportError) return error.kind === "transient";
  return error instanceof TencentApiError && SERVER_FAILURE_CODES.has(error.code);
}
