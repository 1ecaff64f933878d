import { GraphQLJSON } from "graphql-scalars";
import { Arg, Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { ProfileData } from "../profile/codec.js";
import type { Context } from "./context.js";
import { Profile } from "./profile.type.js";
import { keysId, resolveCustomKeys } from "./selection.js";
import { badInput } from "./errors.js";

@Resolver(() => Profile)
export class ProfileResolver {
  @FieldResolver(() => GraphQLJSON, {
    nullable: true,
    description:
      'Custom tags as an object keyed without the Tag_Profile_Custom_ prefix, e.g. {"Test": "hi", "Score": "42"}. ' +
      "Only tags that were set appear. Integers beyond 2^53 are exact decimal strings. Without keys: every readable custom tag.",
  })
  custom(
    @Root() profile: ProfileData,
    @Ctx() ctx: Context,
    @Arg("keys", () => [String], { nullable: true }) keys?: string[] | null,
  ): Record<string, string | number> {
    // The operation plugin checked the keys once for the whole operation; this only looks them up.
    const specs = ctx.plan?.custom.get(keysId(keys)) ?? checked(keys, ctx);
    const out: Record<string, string | number> = {};
    for (const { key } of specs) {
      const value = profile.custom[key];
      if (value !== undefined) out[key] = typeof value === "bigint" ? value.toString() : value;
    }
    return out;
  }
}

function checked(keys: string[] | null | undefined, ctx: Context) {
  const violations: { field: string; rule: string }[] = [];
  const specs = resolveCustomKeys(keys, ctx.profiles.registry, violations);
  if (violations.length > 0) throw badInput(violations);
  return specs;
}
