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
