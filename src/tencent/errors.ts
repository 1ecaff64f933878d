/**
 * What went wrong at the Tencent boundary, in four classes that decide what to do next:
 * - `caller`: the request was wrong (bad parameter, unknown tag, missing account); do not retry.
 * - `config`: credentials or setup are wrong (UserSig, SDKAppID, admin rights); do not retry.
 * - `throttled`: a frequency limit; retry after a pause, and slow down.
 * - `transient`: an internal or network failure; retry with backoff.
 * Every code and its class: docs/tencent-contract.md.
 */
export type TencentErrorKind = "caller" | "config" | "throttled" | "transient";

// docs/tencent-contract.md, "Error codes": the retryable codes, split into throttling and the rest.
const THROTTLED_CODES = new Set([60007, 60011, 60018, 60019]);
// 408xx "task failed, try again" codes of the older profile docs are transient too.
const TRANSIENT_CODES = new Set([40006, 60008, 70169, 70202, 70500, 40802, 40803, 40805, 40808, 40810, 40812]);
// Codes that say the service's own credentials or app setup are wrong, not the request.
const CONFIG_CODES = new Set([
  40004, 60004, 60005, 60006, 60010, 60012, 60016, 60021, 70001, 70002, 70003, 70005, 70009, 70013, 70014, 70403,
]);

/** Per-account codes that mean "no such account": current (40003), legacy (10001, 10002, 40811) and account-system (70107) ones. */
export const ACCOUNT_NOT_FOUND_CODES: ReadonlySet<number> = new Set([40003, 10001, 10002, 40811, 70107]);

/** Per-account codes that mean "this account has no profile data yet": an empty profile, not an error. */
export const EMPTY_PROFILE_CODES: ReadonlySet<number> = new Set([40807, 40809]);

/**
 * Codes that, as the answer to a whole `portrait_get`, may stand for one bad account among many:
 * the reader splits the call to find it rather than failing every account.
 */
export const ACCOUNT_CLASS_CALL_CODES: ReadonlySet<number> = new Set([...ACCOUNT_NOT_FOUND_CODES, 40006]);

/** The class of a Tencent `ErrorCode` (or per-account `ResultCode`). */
export function classifyErrorCode(code: number): TencentErrorKind {
  if (THROTTLED_CODES.has(code)) return "throttled";
  if (TRANSIENT_CODES.has(code)) return "transient";
  if (CONFIG_CODES.has(code)) return "config";
  return "caller";
}

export function isRetryable(kind: TencentErrorKind): boolean {
  return kind === "throttled" || kind === "transient";
}

/** Base of every error the client throws. Messages never carry the UserSig, the secret key or an upstream address. */
export class TencentError extends Error {
  constructor(
    message: string,
    readonly kind: TencentErrorKind,
    /** `service/command`, e.g. `profile/portrait_get`. */
    readonly api: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Tencent answered with a non-zero `ErrorCode`. */
export class TencentApiError extends TencentError {
  constructor(
    readonly code: number,
    readonly info: string,
    api: string,
    /** The whole parsed answer, for APIs whose failures still carry data (legacy portrait_get). */
    readonly response: Record<string, unknown>,
  ) {
    super(`Tencent ${api} failed with ErrorCode ${code}: ${info}`, classifyErrorCode(code), api);
  }
}

/**
 * No usable answer: connection failure, timeout, non-200 HTTP status or a body that is not an
 * envelope. `sent` says whether the request may have reached Tencent (a timeout or a dropped
 * connection after the request was written): a write that may have been applied is not retried.
 */
export class TencentTransportError extends TencentError {
  constructor(
    message: string,
    kind: TencentErrorKind,
    api: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown; sent?: boolean; detail?: string },
  ) {
    super(message, kind, api, options);
    this.sent = options?.sent ?? true;
    this.detail = options?.detail;
  }

  readonly sent: boolean;
  /** What the network layer said (may name the upstream address): for the server log only. */
  readonly detail: string | undefined;
}

/** The call's total deadline ran out (waiting for a rate slot, retrying, or in flight). */
export class TencentDeadlineError extends TencentError {
  constructor(
    api: string,
    readonly deadlineMs: number,
    /** The failure that the last attempt ended with, if any. */
    cause?: TencentError,
  ) {
    super(
      `Tencent ${api} did not succeed within its ${Math.round(deadlineMs)} ms deadline` +
        (cause ? ` (last error: ${cause.message})` : ""),
      cause?.kind === "throttled" ? "throttled" : "transient",
      api,
      { cause },
    );
  }
}

/** The API's circuit breaker is open after repeated upstream failures: the call was not attempted. */
export class TencentCircuitOpenError extends TencentError {
  constructor(api: string) {
    super(`Tencent ${api} is unavailable (circuit open after repeated failures); not attempted`, "transient", api);
  }
}
