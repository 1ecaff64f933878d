import {
  getNamedType,
  isObjectType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { badInput } from "../profile/errors.js";
import type { InputViolation } from "../profile/input.js";
import { standardTagOf, type CustomTag, type TagRegistry } from "../profile/tags.js";

/** What one operation reads of profiles, worked out once before it executes. */
export interface ProfilePlan {
  /** Every Tencent tag the operation selects on `Profile`, wherever the selection sits. */
  tags: ReadonlySet<string>;
  /** Whether it reads `User.profile` at all (if not, nothing goes upstream). */
  selectsProfile: boolean;
  /** The custom tags behind each `custom(keys: …)` argument it uses, by `keysId(keys)`. */
  custom: ReadonlyMap<string, readonly CustomTag[]>;
}

/**
 * The profile plan of an operation: the tags of every `Profile` selection (aliases, fragments,
 * `_entities`), and the custom tags of each `custom(keys:)`. Unknown or unreadable custom keys are
 * refused here, once for the whole operation, before any upstream call.
 */
export function planProfiles(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
  registry: TagRegistry,
): ProfilePlan {
  const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [operation, ...Object.values(fragments)] };
  const tags = new Set<string>();
  const custom = new Map<string, readonly CustomTag[]>();
  const violations: InputViolation[] = [];
  let selectsProfile = false;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || !isObjectType(getNamedType(parent))) return;
        if (parent.name === "User" && node.name.value === "profile") selectsProfile = true;
        if (parent.name !== "Profile") return;
        const standard = standardTagOf(node.name.value);
        if (standard) {
          tags.add(standard.tag);
          return;
        }
        if (node.name.value !== "custom") return;
        const arg = node.arguments?.find((a) => a.name.value === "keys");
        const argDef = typeInfo.getFieldDef()?.args.find((a) => a.name === "keys");
        const keys =
          arg && argDef ? (valueFromAST(arg.value, argDef.type, variables) as string[] | null | undefined) : undefined;
        const id = keysId(keys);
        if (custom.has(id)) return;
        const resolved = resolveCustomKeys(keys, registry, violations);
        custom.set(id, resolved);
        for (const spec of resolved) tags.add(spec.tag);
      },
    }),
  );
  if (violations.length > 0) throw badInput(violations);
  return { tags, selectsProfile, custom };
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
