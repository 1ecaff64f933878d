export interface BackoffOptions {
  /** Delay scale of the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any one delay, in ms. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, capMs: 2_000 };

/**
 * "Full jitter" exponential backoff: a uniform delay in [0, min(cap, base·2^retry)), so that
 * clients that failed together do not retry together. `retry` counts from 0.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random = Math.random): number {
  return random() * Math.min(options.capMs, options.baseMs * 2 ** retry);
}
