import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { ProfileChanges } from "../profile/input.js";
import type { Context } from "./context.js";
import { ProfileInput } from "./profile.input.js";
import { User } from "./user.type.js";
import { assertAuthenticated, checkUserId } from "./viewer.js";

@Resolver()
export class ProfileMutation {
  @Mutation(() => User, {
    description:
      "Write profile fields through portrait_set, all or nothing. userId defaults to the caller; " +
      "another user's profile, and adminForbidType, need the token scope profile:admin.",
  })
  async setProfile(
    @Arg("input", () => ProfileInput) input: ProfileChanges,
    @Ctx() ctx: Context,
    @Arg("userId", () => ID, { nullable: true }) userId?: string | null,
  ): Promise<User> {
    const target = userId ?? assertAuthenticated(ctx).account;
    checkUserId(target, "userId");
    await ctx.profiles.set(target, { ...input });
    return { id: target };
  }
}
