import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import { encodeProfileChanges } from "../profile/input.js";
import type { Context } from "./context.js";
import { badInput, forbidden, toGraphQLError } from "./errors.js";
import { ProfileInput } from "./profile.input.js";
import { User } from "./user.type.js";
import { checkUserId, viewerOf } from "./viewer.js";

@Resolver()
export class ProfileMutation {
  @Mutation(() => User, {
    description:
      "Write profile fields through portrait_set, all or nothing. userId defaults to the caller; " +
      "another user's profile, and adminForbidType, need the token scope profile:admin.",
  })
  async setProfile(
    @Arg("input", () => ProfileInput) input: ProfileInput,
    @Ctx() ctx: Context,
    @Arg("userId", () => ID, { nullable: true }) userId?: string | null,
  ): Promise<User> {
    const viewer = viewerOf(ctx);
    const target = userId ?? viewer.account;
    checkUserId(target, "userId");
    if (target !== viewer.account && !viewer.admin) {
      throw forbidden(`Only an admin (scope profile:admin) may set another user's profile; the token is for "${viewer.account}"`);
    }
    if (input.adminForbidType !== undefined && !viewer.admin) {
      throw forbidden("input.adminForbidType may only be set by an admin (scope profile:admin)");
    }
    const { items, violations } = encodeProfileChanges({ ...input }, ctx.tags);
    if (violations.length > 0) throw badInput(violations);
    try {
      await ctx.client.portraitSet(target, items);
    } catch (error) {
      throw toGraphQLError(error);
    }
    ctx.profiles.clear(target);
    return { id: target };
  }
}
