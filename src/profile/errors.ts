import { hasRole } from "../tencent/codes.js";
import { TencentApiError, TencentError, type TencentErrorKind } from "../tencent/errors.js";
import type { PortraitResult } from "../tencent/portrait.js";
import { TencentCircuitOpenError, TencentDeadlineError } from "../upstream/errors.js";
import { ErrorCode } from "./error-codes.js";
import type { InputViolation } from "./input.js";

// The codes live in one registry (error-codes.ts); re-exported for the callers that import them from here.
export { ErrorCode } from "./error-codes.js";

export interface TencentDetail {
  errorCode: number;
  errorInfo: string;
}

export interface ErrorExtensions {
  code: ErrorCode;
  tencent?: TencentDetail;
  /** The input field at fault, e.g. `input.nick` or `ids[3]`. */
  field?: string;
  violations?: InputViolation[];
  /** A write that may or may not have been applied: read the profile before trying again. */
  outcome?: "unknown";
  http?: { status: number };
}

/**
 * An error a client may see, with its `extensions`. GraphQL copies `extensions` from the error a
 * resolver throws, so this layer needs no GraphQL import. Messages never carry secrets, upstream
 * addresses, or more than a short prefix of what the caller sent.
 */
export class ProfileError extends Error {
  constructor(
    message: string,
    readonly extensions: ErrorExtensions,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ProfileError";
  }
}

/** At most `max` characters of something the caller sent, quoted, for an error message. */
export function quote(value: unknown, max = 32): string {
  const text = typeof value === "string" ? value : String(value);
  const chars = [...text];
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max).join("")}…` : text);
}

/** Violations one error lists; past that, one more entry counts the rest. */
export const MAX_REPORTED_VIOLATIONS = 20;

/**
 * BAD_USER_INPUT for every violation found, listing at most MAX_REPORTED_VIOLATIONS of them: one
 * body can carry 100,000 unknown custom keys, and the answer must not grow with it.
 */
export function badInput(violations: readonly InputViolation[]): ProfileError {
  const listed = violations.slice(0, MAX_REPORTED_VIOLATIONS);
  const rest = violations.length - listed.length;
  // `input.custom.x` → `input`, `custom(keys).x` → `custom(keys)`: where the unlisted ones are.
  if (rest > 0)
    listed.push({ field: listed[0]!.field.split(/[.[]/)[0]!, rule: `has ${rest} more violations like these` });
  const message = listed.map((v) => `${v.field} ${v.rule}`).join("; ");
  return new ProfileError(message, {
    code: ErrorCode.BAD_USER_INPUT,
    field: listed[0]?.field ?? "input",
    violations: listed,
  });
}

export function unauthenticated(message: string): ProfileError {
  return new ProfileError(message, { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } });
}

export function forbidden(message: string): ProfileError {
  return new ProfileError(message, { code: ErrorCode.FORBIDDEN });
}

export function throttled(message: string): ProfileError {
  return new ProfileError(message, { code: ErrorCode.UPSTREAM_THROTTLED });
}

/** One account's own failure in a portrait_get answer. */
export function accountError(result: Extract<PortraitResult, { ok: false }>): ProfileError {
  const { account, code, info, kind, invalid } = result;
  if (code === undefined) {
    return new ProfileError(`Tencent's answer left out account ${quote(account)}`, {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
    });
  }
  const tencent = { errorCode: code, errorInfo: info };
  if (hasRole(code, "not-found") || invalid) {
    return new ProfileError(`Account ${quote(account)} was not found`, { code: ErrorCode.ACCOUNT_NOT_FOUND, tencent });
  }
  if (hasRole(code, "no-read"))
    return new ProfileError(`No permission to read the profile of ${quote(account)}`, {
      code: ErrorCode.FORBIDDEN,
      tencent,
    });
  return new ProfileError(`Reading the profile of ${quote(account)} failed upstream`, {
    code: codeOfKind(kind),
    tencent,
  });
}

/** A failure of a whole Tencent call, for the caller. */
export function upstreamError(error: TencentError): ProfileError {
  if (error instanceof TencentCircuitOpenError) {
    return new ProfileError(
      "Tencent is unavailable: calls are paused after repeated failures",
      { code: ErrorCode.UPSTREAM_UNAVAILABLE },
      { cause: error },
    );
  }
  const api =
    error instanceof TencentApiError
      ? error
      : error instanceof TencentDeadlineError && error.cause instanceof TencentApiError
        ? error.cause
        : undefined;
  const tencent = api ? { tencent: { errorCode: api.code, errorInfo: api.info } } : {};
  if (api && hasRole(api.code, "not-found"))
    return new ProfileError("Account was not found", { code: ErrorCode.ACCOUNT_NOT_FOUND, ...tencent });
  if (api && (hasRole(api.code, "no-read") || hasRole(api.code, "no-write")))
    return new ProfileError("No permission for that profile field", { code: ErrorCode.FORBIDDEN, ...tencent });
  if (api && hasRole(api.code, "input"))
    return new ProfileError(`Tencent refused the input: ${api.info}`, { code: ErrorCode.BAD_USER_INPUT, ...tencent });
  return new ProfileError(error.message, { code: codeOfKind(error.kind), ...tencent }, { cause: error });
}

/** Why a read ended without an answer for its account: a ProfileError as it is, else mapped. */
export function readError(error: unknown): ProfileError {
  if (error instanceof ProfileError) return error;
  if (error instanceof TencentError) return upstreamError(error);
  return new ProfileError("Reading the profile failed", { code: ErrorCode.UPSTREAM_UNAVAILABLE }, { cause: error });
}

function codeOfKind(kind: TencentErrorKind): ErrorCode {
  switch (kind) {
    case "throttled":
      return ErrorCode.UPSTREAM_THROTTLED;
    case "transient":
      return ErrorCode.UPSTREAM_UNAVAILABLE;
    case "config":
    case "caller":
      return ErrorCode.UPSTREAM_ERROR;
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown error kind ${String(unreachable)}`);
    }
  }
}
