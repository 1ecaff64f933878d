import { Arg, Ctx, Directive, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import type { ProfileData } from "../profile/codec.js";
import type { Context } from "./context.js";
import { badInput } from "./errors.js";
import { Profile } from "./profile.type.js";
import { User } from "./user.type.js";
import { assertAuthenticated, checkUserId, userIdError } from "./viewer.js";

/**
 * The entry points `user`, `users` and `me`. A supergraph whose users subgraph already owns them
 * builds this subgraph without them (`ROOT_FIELDS=none`, see schema.ts): routers then reach
 * `User.profile` through `_entities`.
 */
@Resolver(() => User)
export class UserQueries {
  @Query(() => User, { nullable: true, description: "One account by UserID." })
  user(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): User {
    assertAuthenticated(ctx);
    checkUserId(id, "id");
    return { id };
  }

  @Query(() => [User], {
    nullable: "items",
    description:
      "Accounts by UserID, in the order given (at most the configured maximum, default 1000). " +
      "An id that cannot be a UserID nulls only its own entry, with BAD_USER_INPUT at that path.",
  })
  users(@Arg("ids", () => [ID]) ids: string[], @Ctx() ctx: Context): (User | Error)[] {
    assertAuthenticated(ctx);
    if (ids.length > ctx.maxUsers) {
      throw badInput([{ field: "ids", rule: `must hold at most ${ctx.maxUsers} ids (got ${ids.length})` }]);
    }
    // GraphQL reports an Error in a list at that item's path and still resolves the others.
    return ids.map((id, i) => userIdError(id, `ids[${i}]`) ?? { id });
  }

  @Query(() => User, { nullable: true, description: "The caller's own account (the token's sub)." })
  // Whose account `me` is depends on the token: a shared cache must never serve it to another caller.
  @Directive("@cacheControl(scope: PRIVATE)")
  me(@Ctx() ctx: Context): User {
    return { id: assertAuthenticated(ctx).account };
  }
}

/** What this subgraph adds to `User`, however the user was reached (a root field or `_entities`). */
@Resolver(() => User)
export class UserResolver {
  @FieldResolver(() => Profile, {
    nullable: true,
    description: "The account's Tencent profile; null with an error (e.g. ACCOUNT_NOT_FOUND) when it cannot be read.",
  })
  profile(@Root() user: User, @Ctx() ctx: Context): Promise<ProfileData> {
    return ctx.profiles.load(user.id);
  }
}
