import type { TagRegistry, TagSpec, TagValue } from "../profile/tags.js";
import type { Quirks } from "./quirks.js";
import type { AccountRecord } from "./store.js";

/**
 * What Tencent answers for a standard field never set, when it answers at all (quirk `defaults`).
 * AllowType's is the one the Web SDK profile doc marks "（默认）" (default): AllowAny.
 */
export const TENCENT_DEFAULTS: Readonly<Record<string, TagValue>> = {
  Tag_Profile_IM_Nick: "",
  Tag_Profile_IM_Gender: "Gender_Type_Unknown",
  Tag_Profile_IM_BirthDay: 0,
  Tag_Profile_IM_Location: "",
  Tag_Profile_IM_SelfSignature: "",
  Tag_Profile_IM_AllowType: "AllowType_Type_AllowAny",
  Tag_Profile_IM_Language: 0,
  Tag_Profile_IM_Image: "",
  Tag_Profile_IM_MsgSettings: 0,
  Tag_Profile_IM_AdminForbidType: "AdminForbid_Type_None",
  Tag_Profile_IM_Level: 0,
  Tag_Profile_IM_Role: 0,
};

/**
 * The `ProfileItem` of one account for the tags asked, in their order. A field never set is left
 * out, or (quirk `defaults`) answered with its default when it is a standard field; integers go
 * out as numbers, or (quirk `integersAsStrings`) as decimal strings.
 */
export function profileItems(
  record: AccountRecord,
  tagList: readonly string[],
  tags: TagRegistry,
  quirks: Quirks,
): { Tag: string; Value: TagValue }[] {
  const items: { Tag: string; Value: TagValue }[] = [];
  for (const tag of tagList) {
    const spec = tags.byTag(tag)!;
    const value = record.profile.get(tag) ?? neverSetValue(spec, quirks);
    if (value !== undefined) items.push({ Tag: tag, Value: onTheWire(spec, value, quirks) });
  }
  return items;
}

function neverSetValue(spec: TagSpec, quirks: Quirks): TagValue | undefined {
  if (!quirks.defaults || spec.kind !== "standard") return undefined;
  const overrides = quirks.defaults === true ? {} : quirks.defaults;
  return overrides[spec.tag] ?? TENCENT_DEFAULTS[spec.tag];
}

function onTheWire(spec: TagSpec, value: TagValue, quirks: Quirks): TagValue {
  if (typeof value === "string") return value;
  const mode = quirks.integersAsStrings;
  const asString = mode === "all" || (mode === "custom" && spec.kind === "custom");
  return asString ? value.toString() : value;
}
