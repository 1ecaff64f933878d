import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

/**
 * How many fragments deep a document's spreads chain (`...A` → `fragment A { ...B }` → …): 0 with
 * no fragments. graphql-js's validation (and graphql-armor's depth rule) recurse once per link,
 * so a chain of a few thousand fragments overflows the stack before any rule can refuse it; this
 * walks without recursion, to refuse such a document first. A spread back into the chain being
 * walked (a cycle, which validation refuses) ends that chain.
 *
 *   fragmentNesting(parse("{ ...A } fragment A on Query { ...B } fragment B on Query { __typename }"))   // 2
 */
export function fragmentNesting(document: DocumentNode): number {
  const spreads = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      spreads.set(definition.name.value, spreadsIn(definition.selectionSet));
  }
  const depth = new Map<string, number>();
  const onChain = new Set<string>();
  for (const start of spreads.keys()) {
    if (depth.has(start)) continue;
    const stack = [{ name: start, next: 0 }];
    onChain.add(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = spreads.get(top.name)!;
      if (top.next < children.length) {
        const child = children[top.next++]!;
        if (spreads.has(child) && !depth.has(child) && !onChain.has(child)) {
          onChain.add(child);
          stack.push({ name: child, next: 0 });
        }
        continue;
      }
      let deepest = 0;
      for (const child of children) deepest = Math.max(deepest, depth.get(child) ?? 0);
      depth.set(top.name, deepest + 1);
      onChain.delete(top.name);
      stack.pop();
    }
  }
  let max = 0;
  for (const d of depth.values()) max = Math.max(max, d);
  return max;
}

/**
 * Fragments a document may chain. Real clients compose a few levels (a Relay screen perhaps a
 * dozen); validation overflows the stack somewhere past a thousand.
 */
export const MAX_FRAGMENT_NESTING = 100;

// The fragments a selection set spreads, at any depth, walked with a stack of our own.
function spreadsIn(root: SelectionSetNode): string[] {
  const names: string[] = [];
  const sets = [root];
  for (let set = sets.pop(); set; set = sets.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) names.push(selection.name.value);
      else if (selection.selectionSet) sets.push(selection.selectionSet);
    }
  }
  return names;
}

/**
 * A validation rule that refuses a document whose fragments chain deeper than `max`. It must come
 * last among the rules: graphql-js runs every rule in one pass, and the specified rules (and
 * graphql-armor's) recurse along the chain when they visit the fragment definitions. On entering
 * the document, after every other rule has, it reports the error and hands the visitor an empty
 * document instead, so that no rule walks the chain at all (a graphql-js visitor may replace the
 * node it enters).
 *
 *   validationRules: [...armor.validationRules, fragmentNestingRule(MAX_FRAGMENT_NESTING)]
 */
export function fragmentNestingRule(max: number) {
  return (context: ValidationContext): ASTVisitor => ({
    Document(node) {
      const nesting = fragmentNesting(node);
      if (nesting <= max) return undefined;
      context.reportError(new GraphQLError(`Fragments are chained ${nesting} deep; at most ${max} levels are allowed`));
      return { ...node, definitions: [] };
    },
  });
}

/**
 * At most one `__schema` selection per document: the whole schema is one answer (what Sandbox,
 * GraphiQL and codegen ask), and thirty aliased copies of it are only a way to multiply the answer.
 */
export function singleSchemaReadRule(context: ValidationContext): ASTVisitor {
  let seen = 0;
  return {
    Field(node) {
      if (node.name.value !== "__schema" || ++seen !== 2) return;
      context.reportError(new GraphQLError("A document may select __schema at most once", { nodes: [node] }));
    },
  };
}
