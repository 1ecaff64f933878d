import { GraphQLString } from "graphql";
import { Field } from "type-graphql";
import { STANDARD_TAGS, type StandardTag } from "../profile/tags.js";
import { enumOf } from "./enums.js";
import { UInt32 } from "./scalars.js";

/** Where a standard field appears: read on `Profile`, written through `ProfileInput`. */
export type FieldSide = "output" | "input";

/**
 * Give a type-graphql class the twelve standard fields of the tag registry, each nullable (a
 * field never set reads as null; one left out of an input keeps its value), typed and described
 * from its registry entry. The types are given explicitly: esbuild (the tests) emits no decorator
 * metadata to infer them from.
 *
 *   class Profile {}
 *   addStandardFields(Profile, "output");
 *   ObjectType({ description: "…" })(Profile);
 */
export function addStandardFields(target: { prototype: object }, side: FieldSide): void {
  for (const spec of STANDARD_TAGS) {
    const type = graphqlTypeOf(spec);
    Field(() => type, { nullable: true, description: descriptionOf(spec, side) })(target.prototype, spec.field);
  }
}

/** The GraphQL type of a standard field: its enum, `UInt32` or `String`. */
function graphqlTypeOf(spec: StandardTag): object {
  const values = enumOf(spec.field);
  if (values) return values;
  return spec.type === "uint32" ? UInt32 : GraphQLString;
}

/** `Tag_Profile_IM_Image: avatar URL, at most 500 bytes of UTF-8.`, plus who may write it. */
function descriptionOf(spec: StandardTag, side: FieldSide): string {
  const limit = spec.maxBytes === undefined ? undefined : `at most ${spec.maxBytes} bytes of UTF-8`;
  const text = [spec.about, limit].filter(Boolean).join(", ");
  let description = text ? `${spec.tag}: ${text}.` : `${spec.tag}.`;
  if (spec.adminOnly)
    description += side === "input" ? " Admins only (token scope profile:admin)." : " Set by admins only.";
  return description;
}
