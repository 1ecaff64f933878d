/**
 * What went wrong at the Tencent boundary, in four classes that decide what to do next:
 * - `caller`: the request was wrong (bad parameter, unknown tag, missing account); do not retry.
 * - `config`: credentials or setup are wrong (UserSig, SDKAppID, admin rights); do not retry.
 * - `throttled`: a frequency limit; retry after a pause.
 * - `transient`: an internal or network failure; retry with backoff.
 */
export type TencentErrorKind = "caller" | "config" | "throttled" | "transient";

// docs/tencent-contract.md, "Error codes": the retryable codes, split into throttling and the rest.
const THROTTLED_CODES = new Set([60007, 60011, 60018, 60019]);
const TRANSIENT_CODES = new Set([40006, 60008, 70169, 70202, 70500]);
// Codes that say the service's own credentials or app setup are wrong, not the request.
const CONFIG_CODES = new Set([
  40004, 60004, 60005, 60006, 60010, 60012, 60016, 60021, 70001, 70002, 70003, 70005, 70009,
  70013, 70014, 70403,
]);

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

/** Base of every error the client throws. Messages never carry the UserSig or the secret key. */
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

/** No usable answer: connection failure, timeout, non-200 HTTP status or a body that is not an envelope. */
export class TencentTransportError extends TencentError {
  constructor(
    message: string,
    kind: TencentErrorKind,
    api: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, kind, api, options);
  }
}

/** The call's total deadline ran out (waiting for the rate limiter, retrying, or in flight). */
export class TencentDeadlineError extends TencentError {
  constructor(
    api: string,
    readonly deadlineMs: number,
    /** The failure that the last attempt ended with, if any. */
    readonly lastError?: TencentError,
  ) {
    super(
      `Tencent ${api} did not succeed within its ${deadlineMs} ms deadline` +
        (lastError ? ` (last error: ${lastError.message})` : ""),
      lastError?.kind === "throttled" ? "throttled" : "transient",
      api,
      { cause: lastError },
    );
  }
}
