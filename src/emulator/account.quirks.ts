import { EnvelopeError, isValidUserId } from "./envelope.js";
import type { AccountFailures } from "./failure.quirks.js";
import { ACCOUNT_CODE_INFO, type Quirks } from "./quirks.js";
import type { AccountRecord, AccountStore } from "./store.js";

/** One account's slot in a portrait_get answer: its record to read, or its own failure. */
export type AccountSlot =
  | { ok: true; record: AccountRecord }
  | { ok: false; code: number; info: string; list: "Fail_Account" | "Invalid_Account" };

/**
 * Quirk `wholeCallAccountError`: one unknown or malformed account fails the whole call, and the
 * answer does not say which one (a client has to split the call to find it).
 */
export function wholeCallAccountError(
  accounts: readonly string[],
  store: AccountStore,
  quirks: Quirks,
): EnvelopeError | undefined {
  const code = quirks.wholeCallAccountError;
  if (code === undefined) return undefined;
  const bad = accounts.some((id) => !isValidUserId(id) || !store.get(id));
  return bad ? new EnvelopeError(code, ACCOUNT_CODE_INFO[code]!) : undefined;
}

/**
 * The outcome of one account, checked in this order: malformed UserID or deregistered account
 * (`invalidAccountCode`), a transient failure due (`accountFailures` / `accountFaults`), never imported (`notFoundCode`),
 * no profile data at all (`emptyProfileCode`), else its record.
 */
export function accountSlot(id: string, store: AccountStore, quirks: Quirks, failures: AccountFailures): AccountSlot {
  // A deregistered account is as illegal as a malformed one (the Web SDK doc's "注销过的账户").
  if (!isValidUserId(id) || store.isDeleted(id)) {
    const code = quirks.invalidAccountCode ?? 40003;
    return {
      ok: false,
      code,
      info: code === 40003 ? "Err_Profile_Account_Invalid" : ACCOUNT_CODE_INFO[code]!,
      list: "Invalid_Account",
    };
  }
  const transient = failures.take(id);
  if (transient !== undefined)
    return { ok: false, code: transient, info: ACCOUNT_CODE_INFO[transient]!, list: "Fail_Account" };
  const record = store.get(id);
  if (!record) {
    const code = quirks.notFoundCode ?? 40003;
    return { ok: false, code, info: ACCOUNT_CODE_INFO[code]!, list: "Fail_Account" };
  }
  if (quirks.emptyProfileCode !== undefined && record.profile.size === 0) {
    const code = quirks.emptyProfileCode;
    return { ok: false, code, info: ACCOUNT_CODE_INFO[code]!, list: "Fail_Account" };
  }
  return { ok: true, record };
}

/** portrait_set's code for an account it cannot write: malformed, deregistered, or never imported. */
export function unwritableAccount(account: string, store: AccountStore, quirks: Quirks): EnvelopeError | undefined {
  // All answer 40003 by default, with the same text.
  if (!isValidUserId(account) || store.isDeleted(account))
    return new EnvelopeError(quirks.invalidAccountCode ?? 40003, `Err_Profile_Account_Not_Exist: ${account}`);
  if (!store.get(account))
    return new EnvelopeError(quirks.notFoundCode ?? 40003, `Err_Profile_Account_Not_Exist: ${account}`);
  return undefined;
}
