import type { ProfileItem } from "../tencent/portrait.js";
import { STANDARD_TAGS, type StandardField, type TagRegistry, type TagValue } from "./tags.js";

/** A profile as the domain sees it: standard fields by name, custom fields by console key. */
export type ProfileData = { [F in StandardField]?: string | number } & {
  readonly account: string;
  /** Custom values by key (no `Tag_Profile_Custom_` prefix); uint64 beyond 2^53 as bigint. */
  readonly custom: Record<string, TagValue>;
};

const FIELD_BY_TAG = new Map(STANDARD_TAGS.map((t) => [t.tag, t.field]));

/** Tencent's `[{Tag, Value}]` → a `ProfileData`; unknown tags are ignored. */
export function decodeProfile(account: string, items: readonly ProfileItem[], tags: TagRegistry): ProfileData {
  const profile: Record<string, unknown> = { account, custom: {} };
  const custom = profile.custom as Record<string, TagValue>;
  for (const { Tag, Value } of items) {
    const field = FIELD_BY_TAG.get(Tag);
    if (field !== undefined) {
      profile[field] = typeof Value === "bigint" ? Number(Value) : Value;
      continue;
    }
    const spec = tags.byTag(Tag);
    if (spec?.kind === "custom") custom[spec.key] = Value;
  }
  return profile as ProfileData;
}
