import { badInput } from "./errors.js";
import type { User } from "./user.type.js";
import { userIdError } from "./viewer.js";

/**
 * `_entities` for `User`: the reference is the entity; its `profile` field loads (through the
 * request's loader, so N representations still cost ⌈N/100⌉ calls) only when selected. A malformed
 * representation fails only its own index: it is returned as a rejected promise, never thrown,
 * because a throw here would abort the whole `_entities` list.
 */
export function resolveUserReference(reference: { id?: unknown }): User | Promise<never> {
  const error = userIdError(reference.id, "representations.id");
  return error ? Promise.reject(error) : { id: reference.id as string };
}

/**
 * `Query._entities`, in place of @apollo/subgraph's: that one throws on the first representation
 * that is not an object of a known entity type, which nulls every entity of the list (and shows
 * as an internal error). Here such a representation fails only its own index, with BAD_USER_INPUT.
 */
export function resolveEntities(
  _source: unknown,
  { representations }: { representations: readonly unknown[] },
): (User | Promise<never>)[] {
  return representations.map((reference) => {
    if (typeof reference !== "object" || reference === null || Array.isArray(reference)) {
      return Promise.reject(
        badInput([{ field: "representations", rule: 'must be objects such as {"__typename": "User", "id": "…"}' }]),
      );
    }
    const { __typename } = reference as { __typename?: unknown };
    if (__typename !== "User") {
      return Promise.reject(
        badInput([{ field: "representations.__typename", rule: 'must be "User", the only entity of this subgraph' }]),
      );
    }
    const user = resolveUserReference(reference);
    // `_Entity` resolves its member type from `__typename`.
    return user instanceof Promise ? user : { ...user, __typename: "User" };
  });
}
