import {
  Kind,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

/** What an operation can cost before it runs. */
export interface OperationCost {
  /** Distinct accounts it can make us read from Tencent (ids, plus one for the caller's own account). */
  accounts: Set<unknown>;
  /** Entries it asks for, repeats included: each is resolved and answered even when Tencent is asked once. */
  entries: number;
  /** `_entities` representations, repeats included: a router's page, bounded on its own. */
  entities: number;
}

/** A document's fragments by name: what `costOf` and the tag-set walk follow spreads through. */
export function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  return Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
}

/**
 * The variables execution will see, as far as counting needs them: the request's, plus each
 * left-out variable's default from the document (a default can hold ids too:
 * `query($ids: [ID!] = ["a", …])`). No prototype: a variable named `toString` finds nothing.
 */
export function withDefaults(
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const vars: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue && !Object.hasOwn(vars, name))
      vars[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return vars;
}

/**
 * Whether execution will include a selection, as `@skip(if:)` and `@include(if:)` decide with these
 * variables. Only a value that is exactly `true` (skip) or `false` (include) leaves it out: anything
 * else (a missing or malformed variable, which execution refuses anyway) counts it, so a cost is
 * never under-counted.
 */
export function isIncluded(
  node: { readonly directives?: readonly DirectiveNode[] | undefined },
  variables: Readonly<Record<string, unknown>>,
): boolean {
  for (const directive of node.directives ?? []) {
    const name = directive.name.value;
    if (name !== "skip" && name !== "include") continue;
    const arg = directive.arguments?.find((a) => a.name.value === "if");
    const value = arg ? valueFromASTUntyped(arg.value, variables) : undefined;
    if (name === "skip" ? value === true : value === false) return false;
  }
  return true;
}

/**
 * The cost of an operation, from its document and variables, before it runs: every entry of every
 * `users(ids)` list across aliases, every `user(id)` alias, `me` and `setProfile`'s target, and
 * apart from them `_entities` representations (a router's page, which it cannot split, has a
 * bound of its own); variables' defaults included, and nothing under a selection that
 * `@skip`/`@include` leave out. Distinct accounts bound what Tencent sees; entries bound the work
 * and the answer (30 aliases of the same 1000 ids are 1000 accounts but 30,000 entries). An
 * argument that is not a plain id still counts as one.
 *
 *   costOf(operation, fragments, { ids: ["a", "b", "a"] })   // { accounts: {a, b}, entries: 3, entities: 0 } for `users(ids: $ids)`
 */
export function costOf(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>> | undefined,
): OperationCost {
  const accounts = new Set<unknown>();
  let entries = 0;
  let entities = 0;
  const vars = withDefaults(operation, variables);
  const value = (node: ValueNode | undefined): unknown =>
    node === undefined ? undefined : valueFromASTUntyped(node, vars);
  const add = (id: unknown) => {
    entries++;
    accounts.add(typeof id === "string" ? id : Symbol("not an id"));
  };
  const each = (arg: unknown, id: (item: unknown) => unknown = (item) => item) => {
    for (const item of Array.isArray(arg) ? arg : [arg]) add(id(item));
  };
  const visited = new Set<string>();

  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (!isIncluded(selection, vars)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (fragment && !visited.has(name)) {
          visited.add(name);
          walk(fragment.selectionSet);
        }
        continue;
      }
      const arg = (name: string) => value(selection.arguments?.find((a) => a.name.value === name)?.value);
      switch (selection.name.value) {
        case "user":
          add(arg("id"));
          break;
        case "me":
          add(ME);
          break;
        case "setProfile":
          add(arg("userId") ?? ME);
          break;
        case "users":
          each(arg("ids"));
          break;
        case "_entities": {
          const representations = arg("representations");
          entities += Array.isArray(representations) ? representations.length : 1;
          break;
        }
      }
    }
  };
  walk(operation.selectionSet);
  return { accounts, entries, entities };
}

// The caller's own account: one account, whoever the caller is.
const ME = "\u0000me";
