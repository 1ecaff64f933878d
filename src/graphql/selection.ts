import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  valueFromAST,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { badInput } from "../profile/errors.js";
import type { InputViolation } from "../profile/input.js";
import { standardTagOf, type CustomTag, type TagRegistry } from "../profile/tags.js";
import { isIncluded, withDefaults } from "./cost.js";

/** What one operation reads of profiles, worked out once before it executes. */
export interface ProfilePlan {
  /** Every Tencent tag the operation selects on `Profile`, wherever the selection sits. */
  tags: ReadonlySet<string>;
  /** The custom tags behind each `custom(keys: …)` argument it uses, by `keysId(keys)`. */
  custom: ReadonlyMap<string, readonly CustomTag[]>;
  /** Whether it selects `User.profile` (a read of Tencent or the cache), not only `Profile` values it is handed. */
  readsUserProfile: boolean;
}

/**
 * The profile plan of an operation: the tags of every `Profile` selection (aliases, fragments,
 * `_entities`) that execution will include (`@skip`/`@include` decided by the variables), and the
 * custom tags of each `custom(keys:)`. Unknown or unreadable custom keys are refused here, once
 * for the whole operation, before any upstream call.
 */
export function planProfiles(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
  registry: TagRegistry,
): ProfilePlan {
  const vars = withDefaults(operation, variables);
  const tags = new Set<string>();
  const custom = new Map<string, readonly CustomTag[]>();
  const violations: InputViolation[] = [];
  const visited = new Set<string>();
  let readsUserProfile = false;

  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType): void => {
    for (const selection of set.selections) {
      if (!isIncluded(selection, vars)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) walk(selection.selectionSet, type);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments[selection.name.value];
        if (!fragment || visited.has(fragment.name.value)) continue;
        visited.add(fragment.name.value);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && isCompositeType(type)) walk(fragment.selectionSet, type);
        continue;
      }
      // Unions have no fields of their own; __typename and the other meta fields are not fields here.
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      if (parent.name === "User" && field.name === "profile") readsUserProfile = true;
      if (parent.name === "Profile") {
        const standard = standardTagOf(field.name);
        if (standard) tags.add(standard.tag);
        else if (field.name === "custom") {
          const arg = selection.arguments?.find((a) => a.name.value === "keys");
          const argDef = field.args.find((a) => a.name === "keys");
          const keys =
            arg && argDef ? (valueFromAST(arg.value, argDef.type, vars) as string[] | null | undefined) : undefined;
          const id = keysId(keys);
          if (!custom.has(id)) {
            const resolved = resolveCustomKeys(keys, registry, violations);
            custom.set(id, resolved);
            for (const spec of resolved) tags.add(spec.tag);
          }
        }
      }
      const type = getNamedType(field.type);
      if (selection.selectionSet && isCompositeType(type)) walk(selection.selectionSet, type);
    }
  };
  const root = schema.getRootType(operation.operation);
  if (root) walk(operation.selectionSet, root);
  if (violations.length > 0) throw badInput(violations);
  return { tags, custom, readsUserProfile };
}

/** A stable id of a `custom(keys:)` argument value. */
export function keysId(keys: readonly string[] | null | undefined): string {
  return keys === undefined || keys === null ? "*" : JSON.stringify(keys);
}

/** The custom tags behind `custom(keys: …)`: the named readable keys, or all readable ones. */
export function resolveCustomKeys(
  keys: readonly string[] | null | undefined,
  registry: TagRegistry,
  violations: InputViolation[] = [],
): CustomTag[] {
  if (keys === undefined || keys === null) return [...registry.readableCustom];
  const tags: CustomTag[] = [];
  for (const key of keys) {
    const spec = registry.byCustomKey(key);
    const field = `custom(keys).${[...key].slice(0, 32).join("")}`;
    if (!spec) violations.push({ field, rule: "is not a configured custom tag" });
    else if (!spec.readable) violations.push({ field, rule: "is write-only (no read permission)" });
    else tags.push(spec);
  }
  return tags;
}
