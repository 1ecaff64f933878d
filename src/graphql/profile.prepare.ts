import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "./context.js";
import { tagsForOperation } from "./selection.js";

const NICK = "Tag_Profile_IM_Nick";

/**
 * Tell the request's loader which tags to fetch, once per request, from the whole operation;
 * returns whether the operation reads `User.profile` at all. A profile selected only for
 * `__typename` still needs one tag to learn whether the account exists.
 */
export function prepareProfiles(ctx: Context, info: GraphQLResolveInfo): boolean {
  if (ctx.selectsProfile === undefined) {
    const { tags, selectsProfile } = tagsForOperation(info, ctx.tags);
    ctx.selectsProfile = selectsProfile;
    ctx.profiles.want(tags.size > 0 ? tags : [NICK]);
  }
  return ctx.selectsProfile;
}
