import { registerEnumType } from "type-graphql";
import { STANDARD_TAGS, type StandardField, type TagEnum } from "../profile/tags.js";

/**
 * The GraphQL enums of the standard fields with a closed value set (Gender, AllowType,
 * AdminForbidType), built from the tag registry. Each value's GraphQL name maps to Tencent's wire
 * value, so resolvers pass Tencent values through both ways: graphql-js turns
 * "Gender_Type_Female" into `FEMALE` on the way out and `FEMALE` into "Gender_Type_Female" on the
 * way in.
 */
const ENUMS = new Map<StandardField, object>();

for (const spec of STANDARD_TAGS) {
  if (!spec.enum) continue;
  // A fresh object per enum: type-graphql keys its enum metadata by object identity.
  const values: TagEnum["values"] = { ...spec.enum.values };
  registerEnumType(values, { name: spec.enum.name, description: spec.about ? `${spec.tag}: ${spec.about}` : spec.tag });
  ENUMS.set(spec.field, values);
}

/** The GraphQL enum (as type-graphql knows it) of a standard field with a closed value set. */
export function enumOf(field: StandardField): object | undefined {
  return ENUMS.get(field);
}
