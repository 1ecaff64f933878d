import { Directive, ObjectType } from "type-graphql";
import { addStandardFields } from "./standard-fields.js";

/**
 * A profile as GraphQL shows it: the twelve standard fields come from the tag registry
 * (src/profile/tags.ts); `custom` is resolved by ProfileResolver. Resolvers hand it a
 * `ProfileData` (src/profile/codec.ts), whose keys are the same field names.
 */
export class Profile {}

addStandardFields(Profile, "output");
// A profile is cached as long as the field that reached it allows (CACHE_CONTROL_MAX_AGE).
Directive("@cacheControl(inheritMaxAge: true)")(Profile);
ObjectType({ description: "A Tencent Cloud Chat user profile. A field never set is null.", simpleResolvers: true })(
  Profile,
);
