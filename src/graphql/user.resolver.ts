import type { GraphQLResolveInfo } from "graphql";
import { Arg, Ctx, FieldResolver, ID, Info, Query, Resolver, Root } from "type-graphql";
import type { ProfileData } from "../profile/codec.js";
import type { Context } from "./context.js";
import { badInput, toGraphQLError } from "./errors.js";
import { prepareProfiles } from "./profile.prepare.js";
import { Profile } from "./profile.type.js";
import { User } from "./user.type.js";
import { checkUserId, viewerOf } from "./viewer.js";

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: "One account by UserID." })
  user(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): User {
    viewerOf(ctx);
    checkUserId(id, "id");
    return { id };
  }

  @Query(() => [User], { nullable: "items", description: "Accounts by UserID, in the order given (at most the configured maximum, default 1000)." })
  users(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: Context): User[] {
    viewerOf(ctx);
    if (ids.length > ctx.maxUsers) {
      throw badInput([{ field: "ids", rule: `must hold at most ${ctx.maxUsers} ids (got ${ids.length})` }]);
    }
    ids.forEach((id, i) => checkUserId(id, `ids[${i}]`));
    return ids.map((id) => ({ id }));
  }

  @Query(() => User, { nullable: true, description: "The caller's own account (the token's sub)." })
  me(@Ctx() ctx: Context): User {
    return { id: viewerOf(ctx).account };
  }

  @FieldResolver(() => Profile, {
    nullable: true,
    description: "The account's Tencent profile; null with an error (e.g. ACCOUNT_NOT_FOUND) when it cannot be read.",
  })
  profile(@Root() user: User, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<ProfileData> {
    prepareProfiles(ctx, info);
    return ctx.profiles.load(user.id).catch((error: unknown) => {
      throw toGraphQLError(error);
    });
  }
}
