import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "./context.js";
import { prepareProfiles } from "./profile.prepare.js";
import type { User } from "./user.type.js";
import { checkUserId } from "./viewer.js";

/**
 * `_entities` for `User`: every representation goes through the request's loader in the same
 * tick, so 250 representations cost ⌈250/100⌉ = 3 portrait_get calls. The account's own failure
 * is reported where its `profile` is read, so the entity itself always resolves.
 */
export function resolveUserReference(reference: { id: string }, ctx: Context, info: GraphQLResolveInfo): Promise<User> | User {
  checkUserId(reference.id, "representations.id");
  const user = { id: reference.id };
  if (!prepareProfiles(ctx, info)) return user;
  return ctx.profiles.load(user.id).then(
    () => user,
    () => user,
  );
}
