import { checkTagValue, type TagRegistry, type TagValue } from "../profile/tags.js";
import { accountSlot, unwritableAccount, wholeCallAccountError } from "./account.quirks.js";
import { EnvelopeError, ok, type Envelope } from "./envelope.js";
import type { AccountFailures } from "./failure.quirks.js";
import type { Quirks } from "./quirks.js";
import type { AccountStore } from "./store.js";
import { profileItems } from "./value.quirks.js";

/** The quirks a read answers with, and the per-account failures still due. */
export interface ReadShape {
  quirks: Quirks;
  failures: AccountFailures;
}

const MAX_GET_ACCOUNTS = 100;

/**
 * `v4/profile/portrait_get`, with the legacy `LastStandardSequence` (docs/tencent-contract.md,
 * "portrait_get" and "Legacy profile sequence").
 */
export function portraitGet(
  store: AccountStore,
  tags: TagRegistry,
  body: Record<string, unknown>,
  shape: ReadShape,
): Envelope {
  const to = body.To_Account;
  if (to === undefined || (Array.isArray(to) && to.length === 0)) {
    throw new EnvelopeError(40002, "Err_Profile_Comm_Decode_Fail: To_Account is required and must not be empty");
  }
  if (!Array.isArray(to)) throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: To_Account must be an array");
  if (to.length > MAX_GET_ACCOUNTS) {
    throw new EnvelopeError(
      40001,
      `Err_Profile_Comm_Decode_Fail: To_Account holds ${to.length} accounts; at most ${MAX_GET_ACCOUNTS} are allowed per call`,
    );
  }
  if (to.some((a) => typeof a !== "string")) throw new EnvelopeError(60015, "To_Account must hold strings");
  const tagList = body.TagList;
  if (!Array.isArray(tagList) || tagList.length === 0) {
    throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: TagList is required and must be a non-empty array");
  }
  for (const tag of tagList) {
    if (typeof tag !== "string")
      throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: TagList must hold strings");
    const spec = tags.byTag(tag);
    if (!spec) throw new EnvelopeError(40009, `Err_Profile_Tag_Not_Exist: ${tag}`);
    if (spec.kind === "custom" && !spec.readable)
      throw new EnvelopeError(40007, `Err_Profile_No_Read_Permission: ${tag}`);
  }
  const legacy = body.LastStandardSequence;
  if (legacy !== undefined && (typeof legacy !== "number" || !Number.isInteger(legacy) || legacy < 0)) {
    throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: LastStandardSequence must be a non-negative integer");
  }
  if (body.From_Account !== undefined && typeof body.From_Account !== "string") {
    throw new EnvelopeError(60015, "From_Account must be a string");
  }

  const accounts = to as string[];
  const wholeCall = wholeCallAccountError(accounts, store, shape.quirks);
  if (wholeCall) throw wholeCall;
  // Legacy protocol: one account's own sequence; for several, the sum of theirs, which grows by one
  // with every write of any of them (their maximum would miss a write of one behind another).
  // Equal to the caller's → send no data.
  let current = 0;
  if (legacy !== undefined) for (const id of new Set(accounts)) current += store.get(id)?.seq ?? 0;
  const sendData = legacy === undefined || legacy !== current;

  // Every failed account in request order, and the malformed or deregistered ones among them.
  const failed = new Set<string>();
  const invalid = new Set<string>();
  const items = accounts.map((id) => {
    const slot = accountSlot(id, store, shape.quirks, shape.failures);
    if (!slot.ok) {
      failed.add(id);
      if (slot.list === "Invalid_Account") invalid.add(id);
      return { To_Account: id, ResultCode: slot.code, ResultInfo: slot.info };
    }
    if (!sendData) return { To_Account: id, ResultCode: 0, ResultInfo: "" };
    return {
      To_Account: id,
      ProfileItem: profileItems(slot.record, tagList as string[], tags, shape.quirks),
      ResultCode: 0,
      ResultInfo: "",
    };
  });

  return ok({
    UserProfileItem: items,
    ...accountLists(failed, invalid, shape.quirks.accountLists),
    ...(legacy !== undefined ? { CurrentStandardSequence: current } : {}),
  });
}

/** `Fail_Account` / `Invalid_Account` in the shape quirk `accountLists` asks for (see quirks.ts). */
function accountLists(
  failed: ReadonlySet<string>,
  invalid: ReadonlySet<string>,
  shape: Quirks["accountLists"],
): { Fail_Account?: string[]; Invalid_Account?: string[] } {
  // The current docs know one list: every account that failed, for whatever reason.
  if (shape === undefined) return failed.size > 0 ? { Fail_Account: [...failed] } : {};
  const others = [...failed].filter((id) => !invalid.has(id));
  if (shape === "legacy") return { Fail_Account: others, Invalid_Account: [...invalid] };
  return {
    ...(others.length > 0 ? { Fail_Account: others } : {}),
    ...(invalid.size > 0 ? { Invalid_Account: [...invalid] } : {}),
  };
}

/**
 * `v4/profile/portrait_set` (docs/tencent-contract.md, "portrait_set"): every item is checked
 * before any is applied, so a request either changes all it names or nothing.
 */
export function validatePortraitSet(
  store: AccountStore,
  tags: TagRegistry,
  body: Record<string, unknown>,
  quirks: Quirks,
): { account: string; items: Map<string, TagValue> } {
  const account = body.From_Account;
  if (account === undefined) throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: From_Account is required");
  if (typeof account !== "string") throw new EnvelopeError(60015, "From_Account must be a string");
  const list = body.ProfileItem;
  if (!Array.isArray(list) || list.length === 0) {
    throw new EnvelopeError(
      40001,
      "Err_Profile_Comm_Decode_Fail: ProfileItem is required and must be a non-empty array",
    );
  }
  for (const item of list as unknown[]) {
    if (
      typeof item !== "object" ||
      item === null ||
      !("Tag" in item) ||
      typeof item.Tag !== "string" ||
      !("Value" in item)
    ) {
      throw new EnvelopeError(40001, "Err_Profile_Comm_Decode_Fail: each ProfileItem needs a string Tag and a Value");
    }
  }
  const unwritable = unwritableAccount(account, store, quirks);
  if (unwritable) throw unwritable;
  const items = new Map<string, TagValue>();
  for (const { Tag: tag, Value: value } of list as { Tag: string; Value: unknown }[]) {
    const spec = tags.byTag(tag);
    if (!spec) throw new EnvelopeError(40009, `Err_Profile_Tag_Not_Exist: ${tag}`);
    if (spec.kind === "custom" && !spec.writable)
      throw new EnvelopeError(40008, `Err_Profile_No_Write_Permission: ${tag}`);
    const violation = checkTagValue(spec, value);
    if (violation) throw new EnvelopeError(violation.code, `${tag} ${violation.rule}`);
    items.set(tag, normalizeInteger(value as TagValue));
  }
  return { account, items };
}

// Keep safe integers as numbers; only values beyond 2^53 stay bigint.
function normalizeInteger(value: TagValue): TagValue {
  return typeof value === "bigint" && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
