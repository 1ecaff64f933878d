import { classifyErrorCode, type TencentErrorKind } from "./codes.js";

export { classifyErrorCode, type TencentErrorKind } from "./codes.js";

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
