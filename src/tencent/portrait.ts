import { classifyErrorCode, hasRole, type TencentErrorKind } from "./codes.js";
import { TencentApiError } from "./errors.js";
import type { TencentEnvelope } from "./transport.js";

/** One profile field as the service writes it. Integers above 2^53 are `bigint`. */
export interface ProfileItem {
  Tag: string;
  Value: string | number | bigint;
}

/**
 * One profile field as Tencent answered it. `Value` is whatever JSON came: a string, a number (a
 * `bigint` beyond 2^53), a decimal string for an integer, and in principle any other JSON value;
 * the profile codec decides what it can use and reports the rest.
 */
export interface WireItem {
  Tag: string;
  Value: unknown;
}

/** One account's answer to portrait_get: its fields, or its own failure. */
export type PortraitResult =
  | { account: string; ok: true; items: WireItem[] }
  | {
      account: string;
      ok: false;
      /** Tencent's ResultCode; undefined when the answer left the account out altogether. */
      code: number | undefined;
      info: string;
      kind: TencentErrorKind;
      /** Listed in `Invalid_Account` (malformed or deregistered). */
      invalid: boolean;
    };

/** Tencent's documented ceiling for one portrait_get ("to avoid response packet failure"). */
export const PORTRAIT_GET_MAX_ACCOUNTS = 100;

export const PORTRAIT_GET = "profile/portrait_get";
export const PORTRAIT_SET = "profile/portrait_set";

/**
 * The body of a portrait_get: each account once (an account asked twice is answered for each
 * occurrence by `readPortraitAnswer`), each tag once. Refuses what Tencent would refuse.
 */
export function portraitGetBody(accounts: readonly string[], tags: readonly string[]): object {
  if (!Array.isArray(accounts) || accounts.length === 0) {
    throw new RangeError("portraitGet: accounts must be a non-empty array of UserIDs");
  }
  for (const account of accounts) {
    if (typeof account !== "string") throw new TypeError("portraitGet: every account must be a string");
  }
  const unique = [...new Set(accounts)];
  if (unique.length > PORTRAIT_GET_MAX_ACCOUNTS) {
    throw new RangeError(
      `portraitGet: accounts must hold at most ${PORTRAIT_GET_MAX_ACCOUNTS} distinct UserIDs per call, got ${unique.length}`,
    );
  }
  if (!Array.isArray(tags) || tags.length === 0) {
    throw new RangeError("portraitGet: tags must be a non-empty array of profile tags");
  }
  return { To_Account: unique, TagList: [...new Set(tags)] };
}

/** The body of a portrait_set: one account (Tencent has no batch form), at least one item. */
export function portraitSetBody(account: string, items: readonly ProfileItem[]): object {
  if (typeof account !== "string" || account === "") {
    throw new RangeError("portraitSet: account must be a non-empty UserID");
  }
  if (!Array.isArray(items) || items.length === 0) {
    throw new RangeError("portraitSet: items must be a non-empty array of {Tag, Value}");
  }
  return { From_Account: account, ProfileItem: items };
}

/**
 * A portrait_get answer, one result per requested account in request order. The answers Tencent
 * may give, and how each is read, are in docs/tencent-contract.md: per-account codes, accounts in
 * `Invalid_Account`, "no profile data yet" codes read as an empty profile, numeric strings for
 * codes, and an account the answer left out (a transient failure without a code).
 */
export function readPortraitAnswer(envelope: Record<string, unknown>, accounts: readonly string[]): PortraitResult[] {
  const byAccount = new Map<string, PortraitResult>();
  const invalid = new Set(stringArray(envelope.Invalid_Account));
  for (const raw of Array.isArray(envelope.UserProfileItem) ? envelope.UserProfileItem : []) {
    const result = toResult(raw, invalid);
    if (result && !byAccount.has(result.account)) byAccount.set(result.account, result);
  }
  return accounts.map(
    (account: string) =>
      byAccount.get(account) ?? {
        account,
        ok: false,
        code: undefined,
        info: "the answer left this account out",
        kind: "transient",
        invalid: false,
      },
  );
}

/**
 * The answer inside a failed portrait_get, when it still carries each account's own result: old
 * servers answer `ActionStatus: "FAIL"` (e.g. 10001) with every account's result listed. Undefined
 * for any other failure.
 */
export function perAccountAnswerOf(error: unknown): TencentEnvelope | undefined {
  if (!(error instanceof TencentApiError)) return undefined;
  const items = error.response.UserProfileItem;
  return Array.isArray(items) && items.length > 0 ? (error.response as TencentEnvelope) : undefined;
}

function toResult(raw: unknown, invalid: ReadonlySet<string>): PortraitResult | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const item = raw as Record<string, unknown>;
  const account = item.To_Account;
  if (typeof account !== "string") return undefined;
  const code = toCode(item.ResultCode);
  if (code !== 0 && !hasRole(code, "empty-profile")) {
    return {
      account,
      ok: false,
      code,
      info: typeof item.ResultInfo === "string" ? item.ResultInfo : "",
      kind: classifyErrorCode(code),
      invalid: invalid.has(account),
    };
  }
  const items = Array.isArray(item.ProfileItem) ? item.ProfileItem.filter(isWireItem) : [];
  return { account, ok: true, items };
}

// ResultCode is a number in every documented answer; a numeric string is read as one, a missing one as 0.
function toCode(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return 0;
}

// An item is kept whatever its value: the codec reads what it can and reports the rest. Only an
// item without a tag cannot be attributed to any field.
function isWireItem(value: unknown): value is WireItem {
  return typeof value === "object" && value !== null && typeof (value as { Tag?: unknown }).Tag === "string";
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
