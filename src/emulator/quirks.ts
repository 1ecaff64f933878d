import type { TagValue } from "../profile/tags.js";

/**
 * Quirks: answers the real service may give where its documentation is silent or has changed over
 * the years. Each one is off by default, so the emulator answers as docs/tencent-contract.md
 * describes unless a test or `TIM_EMULATOR_QUIRKS` asks for the other shape.
 */
export interface Quirks {
  /** portrait_get fails as a whole, with no UserProfileItem, when any account is unknown or malformed. */
  wholeCallAccountError?: WholeCallAccountCode;
  /** Standard fields never set are answered with Tencent's defaults; an object overrides some of them. */
  defaults?: true | Readonly<Record<string, TagValue>>;
  /** An account that exists but holds no profile data answers this per-account code. */
  emptyProfileCode?: EmptyProfileCode;
  /** The next `times` reads of each named account answer `code` for that account, then normal data. */
  accountFailures?: Readonly<Record<string, AccountFailure>>;
  /** Per account and read: the probability of answering each transient per-account code. */
  accountFaults?: Readonly<AccountFaults>;
  /** Code of a never-imported account (portrait_get per account, portrait_set for the call). */
  notFoundCode?: NotFoundCode;
  /** Code of a malformed UserID (empty or over 32 bytes). */
  invalidAccountCode?: InvalidAccountCode;
  /** Integers sent as decimal JSON strings: custom integer fields only, or uint32 standard fields too. */
  integersAsStrings?: "custom" | "all";
  /** portrait_set waits this long before it is checked and applied; the answer follows. */
  writeApplyDelayMs?: number;
  /** portrait_set is applied at once but answered only after this delay. */
  writeAnswerDelayMs?: number;
  /**
   * How portrait_get lists failed accounts. Default (the current docs' samples): one
   * `Fail_Account` of every account whose ResultCode is not 0, left out when empty. `"split"`
   * (the legacy Web SDK sample): malformed and deregistered accounts in `Invalid_Account`, the
   * others in `Fail_Account`, each left out when empty. `"legacy"` (the old portrait_get samples):
   * split, and both lists always present, `[]` when empty.
   */
  accountLists?: "split" | "legacy";
}

export const WHOLE_CALL_ACCOUNT_CODES = [40003, 40006] as const;
export type WholeCallAccountCode = (typeof WHOLE_CALL_ACCOUNT_CODES)[number];

/** Old portrait_get codes for "the account has no standard (40807) / custom (40809) profile data". */
export const EMPTY_PROFILE_CODES = [40807, 40809] as const;
export type EmptyProfileCode = (typeof EMPTY_PROFILE_CODES)[number];

/**
 * Per-account "try again" codes: 40006 is the current documented sample; the 408xx are the old
 * portrait_get failures whose text says to try again (40806, "custom field length invalid", too).
 */
export const ACCOUNT_FAILURE_CODES = [40006, 40802, 40805, 40806, 40808, 40810, 40812] as const;
export type AccountFailureCode = (typeof ACCOUNT_FAILURE_CODES)[number];
export type AccountFaults = Partial<Record<`${AccountFailureCode}`, number>>;
export interface AccountFailure {
  code: AccountFailureCode;
  times: number;
}

/** 40003 today; 10001 is the legacy "no such account". */
export const NOT_FOUND_CODES = [40003, 10001] as const;
export type NotFoundCode = (typeof NOT_FOUND_CODES)[number];

/** 40003 today; 10002 is the legacy "illegal account". */
export const INVALID_ACCOUNT_CODES = [40003, 10002] as const;
export type InvalidAccountCode = (typeof INVALID_ACCOUNT_CODES)[number];

export const QUIRK_NAMES = [
  "wholeCallAccountError",
  "defaults",
  "emptyProfileCode",
  "accountFailures",
  "accountFaults",
  "notFoundCode",
  "invalidAccountCode",
  "integersAsStrings",
  "writeApplyDelayMs",
  "writeAnswerDelayMs",
  "accountLists",
] as const satisfies readonly (keyof Quirks)[];

/** ResultInfo / ErrorInfo of each account-class code the emulator answers. */
export const ACCOUNT_CODE_INFO: Readonly<Record<number, string>> = {
  40003: "Err_Profile_Account_Not_Exist",
  40006: "Err_Profile_PortraitGet_Read_Custom_Data_Fail",
  40802: "Err_Profile_PortraitGet_Standard_Task_Fail: try again later",
  40805: "Err_Profile_PortraitGet_Custom_Task_Fail: try again later",
  40806: "Err_Profile_PortraitGet_Custom_Length_Invalid: try again later",
  40807: "Err_Profile_PortraitGet_Standard_Key_Not_Exist: the account has no profile data",
  40808: "Err_Profile_PortraitGet_Standard_Read_Fail: try again later",
  40809: "Err_Profile_PortraitGet_Custom_Key_Not_Exist: the account has no profile data",
  40810: "Err_Profile_PortraitGet_Custom_Read_Fail: try again later",
  40812: "Err_Profile_PortraitGet_Default_Standard_Fail: try again later",
  // The legacy answers carried these Chinese texts: "account does not exist" / "illegal account".
  10001: "帐号不存在",
  10002: "帐号非法",
};
