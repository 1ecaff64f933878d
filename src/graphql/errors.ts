import { GraphQLError } from "graphql";
import type { InputViolation } from "../profile/input.js";
import { AccountError } from "../profile/profile.loader.js";
import { TencentApiError, TencentError } from "../tencent/errors.js";

/** The stable `extensions.code` vocabulary of this service. */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  ACCOUNT_NOT_FOUND: "ACCOUNT_NOT_FOUND",
  UPSTREAM_THROTTLED: "UPSTREAM_THROTTLED",
  UPSTREAM_UNAVAILABLE: "UPSTREAM_UNAVAILABLE",
  UPSTREAM_ERROR: "UPSTREAM_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface TencentDetail {
  errorCode: number;
  errorInfo: string;
}

export class ServiceError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extra: { tencent?: TencentDetail; field?: string; http?: { status: number } } = {}) {
    super(message, { extensions: { code, ...extra } });
    this.name = "ServiceError";
  }
}

export function badInput(violations: readonly InputViolation[]): ServiceError {
  const message = violations.map((v) => `${v.field} ${v.rule}`).join("; ");
  const error = new ServiceError(message, ErrorCode.BAD_USER_INPUT, { field: violations[0]?.field ?? "input" });
  (error.extensions as Record<string, unknown>).violations = violations;
  return error;
}

export function unauthenticated(message: string): ServiceError {
  return new ServiceError(message, ErrorCode.UNAUTHENTICATED, { http: { status: 401 } });
}

export function forbidden(message: string): ServiceError {
  return new ServiceError(message, ErrorCode.FORBIDDEN);
}

/**
 * The one mapping from what went wrong upstream to a GraphQL error. Messages name the account
 * and Tencent's code; they never carry request URLs (which hold the UserSig).
 */
export function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof AccountError) {
    const { account, code, info, kind, invalid } = error.result;
    const tencent = { errorCode: code, errorInfo: info };
    if (code === 40003 || code === 70107 || invalid) {
      return new ServiceError(`Account ${JSON.stringify(account)} was not found`, ErrorCode.ACCOUNT_NOT_FOUND, { tencent });
    }
    if (code === 40007) return new ServiceError(`No permission to read the profile of ${JSON.stringify(account)}`, ErrorCode.FORBIDDEN, { tencent });
    return fromKind(kind, `Reading the profile of ${JSON.stringify(account)} failed upstream`, tencent);
  }
  if (error instanceof TencentError) {
    const apiError = error instanceof TencentApiError ? error : (error.cause instanceof TencentApiError ? error.cause : undefined);
    const tencent = apiError ? { errorCode: apiError.code, errorInfo: apiError.info } : undefined;
    if (apiError?.code === 40003) return new ServiceError("Account was not found", ErrorCode.ACCOUNT_NOT_FOUND, { ...(tencent && { tencent }) });
    if (apiError?.code === 40008) return new ServiceError("No permission to write that profile field", ErrorCode.FORBIDDEN, { ...(tencent && { tencent }) });
    if (apiError && [40001, 40009, 40601, 40605, 40610].includes(apiError.code)) {
      return new ServiceError(`Tencent refused the input: ${apiError.info}`, ErrorCode.BAD_USER_INPUT, { ...(tencent && { tencent }) });
    }
    return fromKind(error.kind, `Tencent ${error.api} failed: ${error.message}`, tencent);
  }
  return error instanceof Error ? new GraphQLError(error.message, { originalError: error }) : new GraphQLError(String(error));
}

function fromKind(kind: TencentError["kind"], message: string, tencent: TencentDetail | undefined): ServiceError {
  const extra = tencent ? { tencent } : {};
  switch (kind) {
    case "throttled":
      return new ServiceError(message, ErrorCode.UPSTREAM_THROTTLED, extra);
    case "transient":
      return new ServiceError(message, ErrorCode.UPSTREAM_UNAVAILABLE, extra);
    case "config":
    case "caller":
      return new ServiceError(message, ErrorCode.UPSTREAM_ERROR, extra);
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown error kind ${String(unreachable)}`);
    }
  }
}
