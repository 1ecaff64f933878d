/**
 * The profile tag registry: every standard Tencent profile tag and the app's configured custom
 * tags, with the value rules Tencent applies (docs/tencent-contract.md). The one source of the
 * field list: the codec, the selection walk, the input rules and the emulator derive from it, and
 * a test checks that the GraphQL types match it.
 */
export type TagValue = string | number | bigint;

export type StandardField =
  | "nick"
  | "gender"
  | "birthday"
  | "location"
  | "selfSignature"
  | "allowType"
  | "language"
  | "image"
  | "msgSettings"
  | "adminForbidType"
  | "level"
  | "role";

interface TagBase {
  tag: string;
  /** Only an app admin may write it (the service lets only `profile:admin` callers set it). */
  adminOnly: boolean;
}

/**
 * A closed set of values Tencent accepts for one tag, with the name each value (and the set) goes
 * by in GraphQL: the GraphQL enum is built from this, so its names and Tencent's wire values
 * cannot drift apart.
 */
export interface TagEnum {
  /** The GraphQL enum's name. */
  name: string;
  /** GraphQL value name → Tencent wire value, in the order Tencent's docs list them. */
  values: Readonly<Record<string, string>>;
}

export interface StandardTag extends TagBase {
  kind: "standard";
  field: StandardField;
  type: "string" | "uint32";
  maxBytes?: number;
  /** The accepted wire values (those of `enum`), for the checks that only need the list. */
  values?: readonly string[];
  enum?: TagEnum;
  /** What the value means, where the tag's name does not say it (shown in the GraphQL descriptions). */
  about?: string;
}

export interface CustomTag extends TagBase {
  kind: "custom";
  /** The console key: the tag without `Tag_Profile_Custom_`. */
  key: string;
  type: "string" | "integer";
  maxBytes?: number;
  readable: boolean;
  writable: boolean;
}

export type TagSpec = StandardTag | CustomTag;

export const CUSTOM_TAG_PREFIX = "Tag_Profile_Custom_";
export const MAX_STRING_BYTES = 500;
export const UINT32_MAX = 4_294_967_295;
export const UINT64_MAX = 18_446_744_073_709_551_615n;

const GENDER: TagEnum = {
  name: "Gender",
  values: { UNKNOWN: "Gender_Type_Unknown", FEMALE: "Gender_Type_Female", MALE: "Gender_Type_Male" },
};
const ALLOW_TYPE: TagEnum = {
  name: "AllowType",
  values: {
    NEED_CONFIRM: "AllowType_Type_NeedConfirm",
    ALLOW_ANY: "AllowType_Type_AllowAny",
    DENY_ANY: "AllowType_Type_DenyAny",
  },
};
const ADMIN_FORBID_TYPE: TagEnum = {
  name: "AdminForbidType",
  values: { NONE: "AdminForbid_Type_None", SEND_OUT: "AdminForbid_Type_SendOut" },
};

interface StandardRules {
  maxBytes?: number;
  enum?: TagEnum;
  adminOnly?: boolean;
  about?: string;
}

const standard = (
  field: StandardField,
  suffix: string,
  type: "string" | "uint32",
  rules: StandardRules = {},
): StandardTag => ({
  kind: "standard",
  tag: `Tag_Profile_IM_${suffix}`,
  field,
  type,
  adminOnly: rules.adminOnly ?? false,
  ...(rules.maxBytes === undefined ? {} : { maxBytes: rules.maxBytes }),
  ...(rules.enum === undefined ? {} : { enum: rules.enum, values: Object.values(rules.enum.values) }),
  ...(rules.about === undefined ? {} : { about: rules.about }),
});

/**
 * The twelve standard fields, in the order GraphQL shows them. `Profile` and `ProfileInput`
 * (src/graphql/standard-fields.ts) and the three GraphQL enums are built from this list.
 */
export const STANDARD_TAGS: readonly StandardTag[] = [
  standard("nick", "Nick", "string", { maxBytes: MAX_STRING_BYTES }),
  standard("gender", "Gender", "string", { enum: GENDER }),
  standard("birthday", "BirthDay", "uint32", { about: "YYYYMMDD as a number, e.g. 19920314" }),
  standard("location", "Location", "string", { maxBytes: 16 }),
  standard("selfSignature", "SelfSignature", "string", { maxBytes: MAX_STRING_BYTES }),
  standard("allowType", "AllowType", "string", { enum: ALLOW_TYPE, about: "how friend requests are handled" }),
  standard("language", "Language", "uint32", { about: "an app-defined code" }),
  standard("image", "Image", "string", { maxBytes: MAX_STRING_BYTES, about: "avatar URL" }),
  standard("msgSettings", "MsgSettings", "uint32", { about: "bit 0 set = do not receive messages" }),
  standard("adminForbidType", "AdminForbidType", "string", {
    enum: ADMIN_FORBID_TYPE,
    adminOnly: true,
    about: "whether an admin has stopped this user from sending",
  }),
  standard("level", "Level", "uint32", { about: "app-defined" }),
  standard("role", "Role", "uint32", { about: "app-defined" }),
];

/** Why a value was refused, with the Tencent code portrait_set answers for it. */
export interface ValueViolation {
  code: 40601 | 40605 | 40610;
  rule: string;
}

/** Check one value against its tag's rules; `undefined` when it is acceptable. */
export function checkTagValue(spec: TagSpec, value: unknown): ValueViolation | undefined {
  if (spec.type === "string") {
    if (typeof value !== "string") return { code: 40610, rule: "must be a string" };
    if (spec.kind === "standard" && spec.values && !spec.values.includes(value)) {
      return { code: 40605, rule: `must be one of ${spec.values.join(", ")}` };
    }
    const limit = spec.maxBytes ?? MAX_STRING_BYTES;
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > limit) return { code: 40601, rule: `must be at most ${limit} bytes of UTF-8 (got ${bytes})` };
    return undefined;
  }
  const isInt = (typeof value === "number" && Number.isInteger(value)) || typeof value === "bigint";
  if (!isInt) return { code: 40610, rule: "must be an integer" };
  const max = spec.type === "uint32" ? BigInt(UINT32_MAX) : UINT64_MAX;
  const n = BigInt(value);
  if (n < 0n || n > max) return { code: 40605, rule: `must be an integer from 0 to ${max}` };
  return undefined;
}

/**
 * Parse `TIM_CUSTOM_TAGS`: `Key:type[:access]` entries separated by commas, e.g.
 * `Test:string,Score:integer,Secret:string:w`. Types: `string` (≤ 500 bytes) or `integer`
 * (uint64). Access: `rw` (default), `r` (read-only) or `w` (write-only), as set in the console.
 */
export function parseCustomTags(spec: string): CustomTag[] {
  const tags: CustomTag[] = [];
  for (const entry of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [key = "", type = "string", access = "rw", ...rest] = entry.split(":").map((s) => s.trim());
    if (rest.length > 0 || !CUSTOM_KEY.test(key)) {
      throw new RangeError(
        `custom tag "${entry}": expected Key:type[:access] with a key of 1 to 16 letters, digits or _`,
      );
    }
    if (type !== "string" && type !== "integer") {
      throw new RangeError(`custom tag "${entry}": type must be string or integer, got "${type}"`);
    }
    if (access !== "rw" && access !== "r" && access !== "w") {
      throw new RangeError(`custom tag "${entry}": access must be rw, r or w, got "${access}"`);
    }
    if (tags.some((t) => t.key === key)) throw new RangeError(`custom tag "${key}" is listed twice`);
    tags.push({
      kind: "custom",
      tag: CUSTOM_TAG_PREFIX + key,
      key,
      type,
      adminOnly: false,
      readable: access.includes("r"),
      writable: access.includes("w"),
      ...(type === "string" ? { maxBytes: MAX_STRING_BYTES } : {}),
    });
  }
  return tags;
}

// Current consoles allow up to 8 letters; older ones 16 of letters, digits and `_`
// (legacy keys embed the app id: `888888_Test`).
const CUSTOM_KEY = /^[A-Za-z0-9_]{1,16}$/;

const STANDARD_BY_FIELD = new Map<string, StandardTag>(STANDARD_TAGS.map((t) => [t.field, t]));

/** A standard tag by its GraphQL field name (`nick` → Tag_Profile_IM_Nick). */
export function standardTagOf(field: string): StandardTag | undefined {
  return STANDARD_BY_FIELD.get(field);
}

/** Standard plus configured custom tags, looked up by Tencent tag name or by custom key. */
export class TagRegistry {
  readonly #byTag = new Map<string, TagSpec>();
  readonly #byKey = new Map<string, CustomTag>();
  readonly custom: readonly CustomTag[];
  /** Every custom tag an admin may read: what `custom` without keys stands for. */
  readonly readableCustom: readonly CustomTag[];
  /** Every tag a read may ask for: the standard ones and the readable custom ones. */
  readonly readableTags: ReadonlySet<string>;

  constructor(custom: readonly CustomTag[] = []) {
    this.custom = custom;
    this.readableCustom = custom.filter((t) => t.readable);
    this.readableTags = new Set([...STANDARD_TAGS, ...this.readableCustom].map((t) => t.tag));
    for (const spec of [...STANDARD_TAGS, ...custom]) this.#byTag.set(spec.tag, spec);
    for (const spec of custom) this.#byKey.set(spec.key, spec);
  }

  static fromSpec(spec: string): TagRegistry {
    return new TagRegistry(parseCustomTags(spec));
  }

  byTag(tag: string): TagSpec | undefined {
    return this.#byTag.get(tag);
  }

  byCustomKey(key: string): CustomTag | undefined {
    return this.#byKey.get(key);
  }

  /** The `TIM_CUSTOM_TAGS` form of the custom tags. */
  customSpec(): string {
    return this.custom.map((t) => `${t.key}:${t.type}:${t.readable ? "r" : ""}${t.writable ? "w" : ""}`).join(",");
  }
}
