import { GraphQLJSON } from "graphql-scalars";
import { Arg, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { ProfileData } from "../profile/codec.js";
import type { Context } from "./context.js";
import { Profile } from "./profile.type.js";
import { customTags } from "./selection.js";

@Resolver(() => Profile)
export class ProfileResolver {
  @FieldResolver(() => GraphQLJSON, {
    nullable: true,
    description:
      'Custom tags as an object keyed without the Tag_Profile_Custom_ prefix, e.g. {"Test": "hi", "Score": 42}. ' +
      "Only tags that were set appear. Integers beyond 2^53 are exact decimal strings. Without keys: every readable custom tag.",
  })
  custom(
    @Root() profile: ProfileData,
    @Ctx() ctx: Context,
    @Arg("keys", () => [String], { nullable: true }) keys?: string[] | null,
  ): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const { key } of customTags(keys, ctx.tags)) {
      const value = profile.custom[key];
      if (value !== undefined) out[key] = typeof value === "bigint" ? value.toString() : value;
    }
    return out;
  }
}
