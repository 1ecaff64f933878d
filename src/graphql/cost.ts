import { Kind, valueFromASTUntyped, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from "graphql";

/**
 * How many accounts an operation asks for, from its document and variables, before it runs: every
 * entry of every `users(ids)` list across aliases, every `user(id)` alias, `me`, `setProfile`'s
 * target and every `_entities` representation, variables' defaults included. A repeated id counts
 * each time: Tencent is asked once per account, but every entry is resolved and answered, so 30
 * aliases of the same 1000 ids are 30,000 entries of work and answer, not 1000.
 *
 *   accountsOf(operation, fragments, { ids: ["a", "b", "a"] })   // 3 for `users(ids: $ids)`
 */
export function accountsOf(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>> | undefined,
): number {
  let accounts = 0;
  // A variable the request leaves out takes its default from the document, and the default can
  // hold ids too (`query($ids: [ID!] = ["a", …])`): count what execution will see.
  // (No prototype: a variable named `toString` must not find Object.prototype's.)
  const vars: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, variables);
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (definition.defaultValue && !Object.hasOwn(vars, name)) vars[name] = valueFromASTUntyped(definition.defaultValue);
  }
  const value = (node: ValueNode | undefined): unknown => (node === undefined ? undefined : valueFromASTUntyped(node, vars));
  // A list argument counts its entries; anything else (one id, or a value GraphQL will refuse) counts one.
  const entries = (arg: unknown) => (Array.isArray(arg) ? arg.length : 1);
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
        case "me":
        case "setProfile":
          accounts += 1;
          break;
        case "users":
          accounts += entries(arg("ids"));
          break;
        case "_entities":
          accounts += entries(arg("representations"));
          break;
      }
    }
  };
  walk(operation.selectionSet);
  return accounts;
}
