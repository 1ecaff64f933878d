import { checkTagValue, STANDARD_TAGS, type TagValue } from "../profile/tags.js";
import type { AccountStore } from "./store.js";
import { EnvelopeError, isValidUserId, MAX_USERID_BYTES, ok, type Envelope } from "./envelope.js";

const NICK = STANDARD_TAGS.find((t) => t.field === "nick")!;
const IMAGE = STANDARD_TAGS.find((t) => t.field === "image")!;
const MAX_IMPORT_ACCOUNTS = 100;
const MAX_DELETE_ACCOUNTS = 100;

/** `v4/im_open_login_svc/account_import`: `{UserID, Nick?, FaceUrl?}`; importing again updates. */
export function validateAccountImport(body: Record<string, unknown>): {
  account: string;
  items: Map<string, TagValue>;
} {
  const account = body.UserID ?? body.Identifier;
  if (typeof account !== "string" || !isValidUserId(account)) {
    throw new EnvelopeError(70402, `invalid parameter: UserID must be a string of 1 to ${MAX_USERID_BYTES} bytes`);
  }
  const items = new Map<string, TagValue>();
  for (const [field, spec] of [
    ["Nick", NICK],
    ["FaceUrl", IMAGE],
  ] as const) {
    const value = body[field];
    if (value === undefined) continue;
    const violation = checkTagValue(spec, value);
    if (violation) throw new EnvelopeError(70402, `invalid parameter: ${field} ${violation.rule}`);
    items.set(spec.tag, value as string);
  }
  return { account, items };
}

/** `v4/im_open_login_svc/multiaccount_import`: `{Accounts: [UserID…]}`, at most 100. */
export function multiAccountImport(store: AccountStore, body: Record<string, unknown>): Envelope {
  const accounts = body.Accounts;
  if (!Array.isArray(accounts) || accounts.length === 0 || accounts.length > MAX_IMPORT_ACCOUNTS) {
    throw new EnvelopeError(
      70402,
      `invalid parameter: Accounts must be an array of 1 to ${MAX_IMPORT_ACCOUNTS} UserIDs`,
    );
  }
  const failed: unknown[] = [];
  for (const id of accounts) {
    if (typeof id === "string" && isValidUserId(id)) store.apply(id, []);
    else failed.push(id);
  }
  return ok({ FailAccounts: failed }, false);
}

/**
 * `v4/im_open_login_svc/account_delete`: `{DeleteItem: [{UserID}…]}`, 1 to 100 accounts, answered
 * with a `ResultItem` per account: 0, or 70107 for an account that does not exist (never imported,
 * malformed or already deleted). A deleted account's profile is gone; reads answer it as invalid.
 */
export function accountDelete(store: AccountStore, body: Record<string, unknown>): Envelope {
  const list = body.DeleteItem;
  const ids = Array.isArray(list) ? list.map((item: unknown) => (item as { UserID?: unknown } | null)?.UserID) : [];
  if (!Array.isArray(list) || ids.length === 0 || ids.length > MAX_DELETE_ACCOUNTS) {
    throw new EnvelopeError(
      70402,
      `invalid parameter: DeleteItem must be an array of 1 to ${MAX_DELETE_ACCOUNTS} {"UserID": …}`,
    );
  }
  if (ids.some((id) => typeof id !== "string")) {
    throw new EnvelopeError(70402, 'invalid parameter: each DeleteItem needs a string "UserID"');
  }
  const results = (ids as string[]).map((id) =>
    store.delete(id)
      ? { ResultCode: 0, ResultInfo: "", UserID: id }
      : { ResultCode: 70107, ResultInfo: "Err_TLS_PT_Open_Login_Account_Not_Exist", UserID: id },
  );
  return ok({ ResultItem: results }, false);
}
