import { hasRole } from "../tencent/codes.js";
import {
  isRetryable,
  TencentApiError,
  TencentError,
  TencentTransportError,
  type TencentErrorKind,
} from "../tencent/errors.js";

export interface BackoffOptions {
  /** Delay scale of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any one delay, in ms. */
  capMs: number;
}

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base·2^retry)), so that
 * clients that failed together do not retry together. `retry` counts from 0.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random = Math.random): number {
  return random() * Math.min(options.capMs, options.baseMs * 2 ** retry);
}

/**
 * Whether a failure says Tencent (or the way to it) is down, rather than that one request was wrong
 * or too frequent: network failures, HTTP 5xx, timeouts, and the "internal error, try again" codes
 * (40006, 60008, 70169, 70202, 70500 and the old 408xx task failures) as the answer to a whole call.
 * These are retried, and they are what the circuit breaker counts.
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof TencentTransportError) return error.kind === "transient";
  return error instanceof TencentApiError && hasRole(error.code, "outage");
}

/** What the retry engine does after a failed attempt. */
export type RetryDecision = "retry" | "resign" | "give-up";

/**
 * The one retry rule of a call, given its failure so far:
 * - 70001 (UserSig expired in Tencent's eyes: clock skew) → sign anew and resend, once;
 * - throttled and transient failures → retry (within the deadline, attempts and retry budget);
 * - a write that may have reached Tencent (a timeout or a dropped connection after it was sent) →
 *   give up: its outcome is the caller's to learn, never sent twice;
 * - anything else (the caller's or the configuration's fault) → give up.
 */
export function decide(error: TencentError, options: { idempotent: boolean; resigned: boolean }): RetryDecision {
  if (error instanceof TencentApiError && error.code === 70001 && !options.resigned) return "resign";
  if (!isRetryable(error.kind)) return "give-up";
  if (!options.idempotent && error instanceof TencentTransportError && error.sent) return "give-up";
  return "retry";
}

/** Whether an account's own transient failure in a portrait_get answer is worth another read, after `tries` so far. */
export function retryAccount(
  failure: { code: number | undefined; kind: TencentErrorKind },
  tries: number,
  max: number,
) {
  return failure.kind === "transient" && failure.code !== undefined && tries < max;
}

/**
 * Retry throttling per API, as gRPC clients do it (gRFC A6): a bucket of `maxTokens`; every failed
 * attempt that could be retried takes one token, every success gives back `tokenRatio`; a retry is
 * allowed only while more than half the bucket is left. When Tencent fails persistently, retries
 * stop after a handful of failures and each call costs one attempt, so an outage never multiplies
 * the calls sent (attempts stay close to the calls needed); a healthy upstream refills the bucket.
 *
 *   const throttle = new RetryThrottle();
 *   if (failed) throttle.failed(); else throttle.succeeded();
 *   if (throttle.allows()) retry();
 */
export class RetryThrottle {
  #tokens: number;

  constructor(
    readonly maxTokens = 10,
    readonly tokenRatio = 0.1,
  ) {
    if (!(maxTokens > 0)) throw new RangeError(`maxTokens must be > 0, got ${maxTokens}`);
    this.#tokens = maxTokens;
  }

  get tokens(): number {
    return this.#tokens;
  }

  allows(): boolean {
    return this.#tokens > this.maxTokens / 2;
  }

  failed(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
  }

  succeeded(): void {
    this.#tokens = Math.min(this.maxTokens, this.#tokens + this.tokenRatio);
  }
}
