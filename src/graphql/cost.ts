import { Kind, valueFromASTUntyped, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from "graphql";

/**
 * The distinct accounts an operation can make us read, from its document and variables, before it
 * runs: every `users(ids)` list across aliases, every `user(id)` alias, `me`, `setProfile`'s target
 * and every `_entities` representation, variables' defaults included. An argument that is not a
 * plain id still counts as one.
 *
 *   accountsOf(operation, fragments, { ids: ["a", "b"] }).size   // 2 for `users(ids: $ids)`
 */
export function accountsOf(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>> | undefined,
): Set<unknown> {
  const accounts = new Set<unknown>();
  // A variable the request leaves out takes its default from the document, and the default can
  // hold ids too (`query($ids: [ID!] = ["a", …])`): count what execution will see.
  // (No prototype: a variable named `toString` must not find Object.prototype's.)
  const vars: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue && !Object.hasOwn(vars, name)) vars[name] = valueFromASTUntyped(definition.defaultValue);
  }
  const value = (node: ValueNode | undefined): unknown => (node === undefined ? undefined : valueFromASTUntyped(node, vars));
  const add = (id: unknown) => accounts.add(typeof id === "string" ? id : Symbol("not an id"));
  const visited = new Set<string>();

  const walk = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
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
          accounts.add(ME);
          break;
        case "setProfile": {
          const target = arg("userId");
          if (target === undefined || target === null) accounts.add(ME);
          else add(target);
          break;
        }
        case "users": {
          const ids = arg("ids");
          for (const id of Array.isArray(ids) ? ids : [ids]) add(id);
          break;
        }
        case "_entities": {
          const reps = arg("representations");
          for (const rep of Array.isArray(reps) ? reps : [reps]) add(rep !== null && typeof rep === "object" ? (rep as { id?: unknown }).id : rep);
          break;
        }
      }
    }
  };
  walk(operation.selectionSet);
  return accounts;
}

// The caller's own account: one account, whoever the caller is.
const ME = Symbol("me");
