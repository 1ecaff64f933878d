import {
  getNamedType,
  isObjectType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLResolveInfo,
} from "graphql";
import { STANDARD_TAGS, type CustomTag, type TagRegistry } from "../profile/tags.js";
import { badInput } from "./errors.js";

const TAG_BY_FIELD = new Map<string, string>(STANDARD_TAGS.map((t) => [t.field, t.tag]));

/**
 * Every Tencent tag that the operation selects on `Profile`, wherever the selection sits
 * (aliases, fragments, `_entities`): the request's loads all ask for this one set. `custom`
 * without `keys` stands for every readable custom tag. Unknown custom keys are refused here,
 * before any upstream call.
 */
export function tagsForOperation(
  info: GraphQLResolveInfo,
  registry: TagRegistry,
): { tags: ReadonlySet<string>; selectsProfile: boolean } {
  // Apollo reuses the parsed document of a repeated query, so the walk runs once per query text,
  // unless `custom(keys: $var)` makes the answer depend on the variables.
  const cached = CACHE.get(info.operation);
  if (cached?.registry === registry) return cached.result;
  let usesVariables = false;
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [info.operation, ...Object.values(info.fragments)],
  };
  const tags = new Set<string>();
  let selectsProfile = false;
  const typeInfo = new TypeInfo(info.schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || !isObjectType(getNamedType(parent))) return;
        if (parent.name === "User" && node.name.value === "profile") selectsProfile = true;
        if (parent.name !== "Profile") return;
        const tag = TAG_BY_FIELD.get(node.name.value);
        if (tag) {
          tags.add(tag);
          return;
        }
        if (node.name.value !== "custom") return;
        const arg = node.arguments?.find((a) => a.name.value === "keys");
        if (arg && (arg.value.kind === Kind.VARIABLE || (arg.value.kind === Kind.LIST && arg.value.values.some((v) => v.kind === Kind.VARIABLE)))) {
          usesVariables = true;
        }
        const argDef = typeInfo.getFieldDef()?.args.find((a) => a.name === "keys");
        const keys = arg && argDef ? (valueFromAST(arg.value, argDef.type, info.variableValues) as string[] | null | undefined) : undefined;
        for (const spec of customTags(keys, registry)) tags.add(spec.tag);
      },
    }),
  );
  const result = { tags, selectsProfile };
  if (!usesVariables) CACHE.set(info.operation, { registry, result });
  return result;
}

const CACHE = new WeakMap<object, { registry: TagRegistry; result: { tags: ReadonlySet<string>; selectsProfile: boolean } }>();

/** The custom tags behind `custom(keys: …)`: the named readable keys, or all readable ones. */
export function customTags(keys: readonly string[] | null | undefined, registry: TagRegistry): CustomTag[] {
  if (keys === undefined || keys === null) return registry.custom.filter((t) => t.readable);
  const violations = [];
  const tags: CustomTag[] = [];
  for (const key of keys) {
    const spec = registry.byCustomKey(key);
    if (!spec) violations.push({ field: `custom(keys).${key}`, rule: "is not a configured custom tag" });
    else if (!spec.readable) violations.push({ field: `custom(keys).${key}`, rule: "is write-only (no read permission)" });
    else tags.push(spec);
  }
  if (violations.length > 0) throw badInput(violations);
  return tags;
}
