import { classifyErrorCode, EMPTY_PROFILE_CODES, TencentApiError, type TencentErrorKind } from "./errors.js";
import type { TencentEnvelope } from "./transport.js";

/** One profile field on the wire. Integers above 2^53 arrive as `bigint`; some servers send integers as decimal strings. */
export interface ProfileItem {
  Tag: string;
  Value: string | number | bigint;
}

/** One account's answer to portrait_get: its fields, or its own failure. */
export type PortraitResult =
  | { account: string; ok: true; items: ProfileItem[] }
  | {
      account: string;
      ok: false;
      /** Tencent's ResultCode; undefined when the answer left the account out altogether. */
      code: number | undefined;
      info: string;
      kind: TencentErrorKind;
      invalid: boolean;
    };

/** Tencent's documented ceiling for one portrait_get ("to avoid response packet failure"). */
export const PORTRAIT_GET_MAX_ACCOUNTS = 100;

/** What the two calls below need of a client. */
export interface TencentCaller {
  call(service: string, command: string, body: object, options?: object): Promise<TencentEnvelope>;
}

/**
 * `v4/profile/portrait_get` for at most 100 accounts. Returns one result per requested account, in
 * request order (duplicates are asked once and answered for each occurrence). A failure of the
 * whole call throws a `TencentError`; an account's own failure is a result with `ok: false`. The
 * answers Tencent may give, and how each is read: docs/tencent-contract.md.
 *
 *   const [alice] = await portraitGet(client, ["alice"], ["Tag_Profile_IM_Nick"]);
 */
export async function portraitGet(
  client: TencentCaller,
  accounts: readonly string[],
  tags: readonly string[],
  options?: object,
): Promise<PortraitResult[]> {
  if (!Array.isArray(accounts) || accounts.length === 0) {
    throw new RangeError("portraitGet: accounts must be a non-empty array of UserIDs");
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
  for (const account of unique) {
    if (typeof account !== "string") throw new TypeError("portraitGet: every account must be a string");
  }

  let envelope: Record<string, unknown>;
  try {
    envelope = await client.call(
      "profile",
      "portrait_get",
      { To_Account: unique, TagList: [...new Set(tags)] },
      options,
    );
  } catch (error) {
    // Legacy servers (docs/tencent-contract.md, "Legacy profile sequence") answer ActionStatus FAIL
    // yet list each account's own result.
    if (!(error instanceof TencentApiError) || !hasPerAccountItems(error.response)) throw error;
    envelope = error.response;
  }

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
 * `v4/profile/portrait_set`: write fields of one account (Tencent has no batch form). Resolves
 * when Tencent accepted every item; throws a `TencentError` otherwise.
 */
export async function portraitSet(
  client: TencentCaller,
  account: string,
  items: readonly ProfileItem[],
  options?: object,
): Promise<void> {
  if (typeof account !== "string" || account === "") {
    throw new RangeError("portraitSet: account must be a non-empty UserID");
  }
  if (!Array.isArray(items) || items.length === 0) {
    throw new RangeError("portraitSet: items must be a non-empty array of {Tag, Value}");
  }
  await client.call("profile", "portrait_set", { From_Account: account, ProfileItem: items }, options);
}

function toResult(raw: unknown, invalid: ReadonlySet<string>): PortraitResult | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const item = raw as Record<string, unknown>;
  const account = item.To_Account;
  if (typeof account !== "string") return undefined;
  const code = toCode(item.ResultCode);
  // "No profile data for this account yet" (older servers): an empty profile, not a failure.
  if (code !== 0 && !EMPTY_PROFILE_CODES.has(code)) {
    return {
      account,
      ok: false,
      code,
      info: typeof item.ResultInfo === "string" ? item.ResultInfo : "",
      kind: classifyErrorCode(code),
      invalid: invalid.has(account),
    };
  }
  const items = Array.isArray(item.ProfileItem) ? item.ProfileItem.filter(isProfileItem) : [];
  return { account, ok: true, items };
}

// ResultCode is a number in every documented answer; a numeric string is read as one, a missing one as 0.
function toCode(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return 0;
}

function isProfileItem(value: unknown): value is ProfileItem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.Tag === "string" && ["string", "number", "bigint"].includes(typeof v.Value);
}

function hasPerAccountItems(response: Record<string, unknown>): boolean {
  return Array.isArray(response.UserProfileItem) && response.UserProfileItem.length > 0;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
