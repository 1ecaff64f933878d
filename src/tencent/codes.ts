/**
 * Every Tencent code the service knows, written once: what it means, its class (what to do next),
 * and the role some codes play in a profile read. Classification, the breaker's notion of "Tencent
 * is down" and the mapping to this service's own error codes all derive from this table, and a test
 * checks docs/tencent-contract.md against it.
 *
 * Classes:
 * - `caller`: the request was wrong (bad parameter, unknown tag, missing account); do not retry.
 * - `config`: credentials or setup are wrong (UserSig, SDKAppID, admin rights); do not retry.
 * - `throttled`: a frequency limit; retry after a pause, and slow down.
 * - `transient`: an internal or network failure; retry with back-off.
 */
export type TencentErrorKind = "caller" | "config" | "throttled" | "transient";

/**
 * What a code says beyond its class:
 * - `not-found`: the account does not exist (or is malformed, or was deregistered);
 * - `empty-profile`: the account exists but has no profile data yet (an empty profile, not an error);
 * - `input`: the request's tags or values were refused (a caller's input problem);
 * - `no-read` / `no-write`: admins lack the permission for a custom field;
 * - `outage`: Tencent failed internally: retried, and counted by the circuit breaker.
 */
export type CodeRole = "not-found" | "empty-profile" | "input" | "no-read" | "no-write" | "outage";

export interface TencentCode {
  kind: TencentErrorKind;
  role?: CodeRole;
  meaning: string;
}

const code = (kind: TencentErrorKind, meaning: string, role?: CodeRole): TencentCode =>
  role ? { kind, role, meaning } : { kind, meaning };

/** The codes of the current documents, then those of older ones the real service may still send. */
export const TENCENT_CODES: Readonly<Record<number, TencentCode>> = {
  // Profile API (portrait_get, portrait_set).
  40001: code("caller", "the request could not be decoded or a parameter is wrong", "input"),
  40002: code("caller", "To_Account is missing"),
  40003: code("caller", "the account does not exist (never imported) or is malformed", "not-found"),
  40004: code("config", "the request needs app admin permission"),
  40006: code("transient", "internal server error, try again later", "outage"),
  40007: code("caller", "no permission to read that profile field", "no-read"),
  40008: code("caller", "no permission to write that profile field", "no-write"),
  40009: code("caller", "the profile field (tag) does not exist", "input"),
  40601: code("caller", "the value is over the length limit", "input"),
  40605: code("caller", "the value is not allowed for that standard field", "input"),
  40610: code("caller", "the value has the wrong type for that standard field", "input"),
  // Common REST codes.
  60002: code("caller", "the URL or HTTP request could not be parsed"),
  60003: code("caller", "the body is not a JSON object"),
  60004: code("config", "account or signature error"),
  60005: code("config", "account or signature error"),
  60006: code("config", "invalid SDKAppID"),
  60007: code("throttled", "REST call frequency exceeded"),
  60008: code("transient", "service timeout or malformed request", "outage"),
  60009: code("caller", "no such API (URL path)"),
  60010: code("config", "the identifier is not an app admin"),
  60011: code("throttled", "SDKAppID call frequency exceeded"),
  60012: code("config", "SDKAppID missing"),
  60015: code("caller", "an account field is not a string"),
  60016: code("config", "SDKAppID disabled"),
  60018: code("throttled", "too many requests, try later"),
  60019: code("throttled", "too many requests, try later"),
  60021: code("config", "the source IP is not allowed"),
  // Accounts and UserSig.
  70001: code("config", "UserSig expired"),
  70002: code("config", "UserSig empty"),
  70003: code("config", "UserSig invalid"),
  70005: code("config", "UserSig invalid"),
  70009: code("config", "UserSig HMAC check failed (another app's key)"),
  70013: code("config", "the identifier differs from the UserSig's"),
  70014: code("config", "the SDKAppID differs from the UserSig's"),
  70107: code("caller", "the UserID does not exist", "not-found"),
  70169: code("transient", "internal timeout, try again", "outage"),
  70202: code("transient", "internal timeout, try again", "outage"),
  70398: code("caller", "too many accounts"),
  70402: code("caller", "invalid parameter"),
  70403: code("config", "app admin required"),
  70500: code("transient", "internal server error, try again", "outage"),
  // Older documents' codes.
  10001: code("caller", "no such account (legacy)", "not-found"),
  10002: code("caller", "illegal account (legacy)", "not-found"),
  40602: code("caller", "a write could not read the profile (legacy)"),
  40603: code("caller", "illegal field in a write (legacy)", "input"),
  40604: code("caller", "illegal field length in a write (legacy)", "input"),
  40606: code("caller", "setting standard data failed (legacy)"),
  40607: code("caller", "illegal field in a write (legacy)", "input"),
  40608: code("caller", "illegal field length in a write (legacy)", "input"),
  40609: code("caller", "setting custom data failed (legacy)"),
  40801: code("caller", "illegal tag in a read (legacy)", "input"),
  40802: code("transient", "a read's standard-data task failed, try again (legacy)", "outage"),
  40803: code("transient", "a read's data could not be parsed, try again (legacy)", "outage"),
  40804: code("caller", "illegal tag in a read (legacy)", "input"),
  40805: code("transient", "a read's custom-data task failed, try again (legacy)", "outage"),
  40806: code("transient", "custom field length invalid, try again (legacy)", "outage"),
  40807: code("caller", "no standard profile data for the account (legacy)", "empty-profile"),
  40808: code("transient", "reading standard data failed, try again (legacy)", "outage"),
  40809: code("caller", "no custom profile data for the account (legacy)", "empty-profile"),
  40810: code("transient", "reading custom data failed, try again (legacy)", "outage"),
  40811: code("caller", "wrong account in a read (legacy)", "not-found"),
  40812: code("transient", "reading default standard data failed, try again (legacy)", "outage"),
};

/** The class of a Tencent `ErrorCode` (or per-account `ResultCode`); a code not in the table is the caller's. */
export function classifyErrorCode(code: number): TencentErrorKind {
  return TENCENT_CODES[code]?.kind ?? "caller";
}

/** Whether `code` plays `role` (see `CodeRole`). */
export function hasRole(code: number, role: CodeRole): boolean {
  return TENCENT_CODES[code]?.role === role;
}
