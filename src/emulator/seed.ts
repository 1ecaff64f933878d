import type { TagRegistry, TagValue } from "../profile/tags.js";

/**
 * Demo accounts for a fresh emulator: realistic profiles in several scripts, two of them using
 * the custom tags of the default `TIM_CUSTOM_TAGS` (`Test:string,Score:string`). Custom values
 * are strings, as the real service sends a string tag's value; an emulator configured with
 * `Score:integer` stores them as numbers (`seedItems`).
 */
export const DEMO_ACCOUNTS: ReadonlyArray<{ id: string; profile: Record<string, TagValue> }> = [
  {
    id: "zhang.wei",
    profile: {
      Tag_Profile_IM_Nick: "张伟",
      Tag_Profile_IM_Gender: "Gender_Type_Male",
      Tag_Profile_IM_BirthDay: 19920314,
      Tag_Profile_IM_Location: "CN-Shenzhen",
      Tag_Profile_IM_SelfSignature: "代码写得好，下班回家早",
      Tag_Profile_IM_AllowType: "AllowType_Type_NeedConfirm",
      Tag_Profile_IM_Language: 86,
      Tag_Profile_IM_Image: "https://example.com/avatars/zhang.wei.png",
      Tag_Profile_IM_Level: 3000000000,
      Tag_Profile_IM_Role: 2,
      Tag_Profile_Custom_Test: "Custom Data1",
      Tag_Profile_Custom_Score: "18446744073709551615",
    },
  },
  {
    id: "li.na",
    profile: {
      Tag_Profile_IM_Nick: "李娜",
      Tag_Profile_IM_Gender: "Gender_Type_Female",
      Tag_Profile_IM_BirthDay: 19950802,
      Tag_Profile_IM_Location: "CN-Beijing",
      Tag_Profile_IM_SelfSignature: "山高水长",
      Tag_Profile_IM_AllowType: "AllowType_Type_AllowAny",
      Tag_Profile_IM_MsgSettings: 0,
      Tag_Profile_Custom_Test: "Custom Data2",
      Tag_Profile_Custom_Score: "42",
    },
  },
  {
    id: "sato.yuki",
    profile: {
      Tag_Profile_IM_Nick: "佐藤 ゆき",
      Tag_Profile_IM_Gender: "Gender_Type_Female",
      Tag_Profile_IM_Location: "JP-Tokyo",
      Tag_Profile_IM_AllowType: "AllowType_Type_DenyAny",
      Tag_Profile_IM_Language: 81,
    },
  },
  {
    id: "kim.minjun",
    profile: {
      Tag_Profile_IM_Nick: "김민준",
      Tag_Profile_IM_Gender: "Gender_Type_Male",
      Tag_Profile_IM_Location: "KR-Seoul",
      Tag_Profile_IM_MsgSettings: 1,
      Tag_Profile_IM_AdminForbidType: "AdminForbid_Type_SendOut",
    },
  },
  {
    id: "alex.chen",
    profile: {
      Tag_Profile_IM_Nick: "Alex Chen 陈",
      Tag_Profile_IM_Gender: "Gender_Type_Unknown",
      Tag_Profile_IM_SelfSignature: "Shipping things 🚀",
      Tag_Profile_IM_Level: 7,
    },
  },
];

/** A demo profile's items for the tags this emulator has, each in its tag's type. */
export function seedItems(profile: Readonly<Record<string, TagValue>>, tags: TagRegistry): [string, TagValue][] {
  const items: [string, TagValue][] = [];
  for (const [tag, value] of Object.entries(profile)) {
    const spec = tags.byTag(tag);
    if (!spec) continue;
    if (spec.type === "integer" && typeof value === "string") {
      const n = BigInt(value);
      items.push([tag, n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n]);
    } else items.push([tag, value]);
  }
  return items;
}
