import type { TypePolicies } from "@apollo/client";

/**
 * Apollo Client cache policies for this schema; pass them to `InMemoryCache`:
 *
 *   new ApolloClient({ link, cache: new InMemoryCache({ typePolicies }) })
 *
 * `User` is normalized by its `id` (InMemoryCache's default), but `Profile` has no id of its own:
 * it is stored inside its user, at `User.profile`. Each query selects some fields of it (a list
 * shows the nick, a detail page the level, `setProfile` returns what it wrote), and without a
 * merge function each write replaces the stored object, so the fields other queries selected
 * vanish: Apollo Client warns "Cache data may be lost when replacing the profile field of a User
 * object" and refetches those queries, each write undoing the other's.
 *
 * A profile is one-to-one with its user and has no identity apart from it, so two objects written
 * at the same `User.profile` are always the same profile with different fields selected, and
 * merging them is exact. The policy sits on the type (`Profile: { merge: true }`) rather than on
 * the one field (`User: { fields: { profile: { merge: true } } }`): the two behave the same today,
 * and the type-level one also covers any later field that returns a Profile. A profile that comes
 * back null (an unknown account) still replaces the stored one, as it should.
 *
 * This file only exports data (the type import is erased), so a client can copy it or import it
 * without pulling anything of the server in.
 */
export const typePolicies: TypePolicies = {
  Profile: {
    // Not normalized: a profile lives inside its User entry (there is no id to key it by).
    keyFields: false,
    merge: true,
  },
};
