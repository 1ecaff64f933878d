import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from "graphql";
import { LRUCache } from "lru-cache";
import { costOf, fragmentsOf, type OperationCost } from "../graphql/cost.js";
import { fragmentNesting, MAX_FRAGMENT_NESTING } from "../graphql/nesting.js";

/** One operation of an HTTP batch, as a client sends it. */
interface BatchPiece {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

/**
 * What a whole HTTP batch can cost (see `costOf`): its distinct accounts and its entries, worked out before any of its
 * operations runs (Apollo runs a batch's operations concurrently, so a per-operation check could
 * only stop the later ones after the first had called Tencent). A piece whose document cannot be
 * found or parsed counts nothing here; Apollo answers it with its own error.
 */
export class BatchCounter {
  readonly #documents = new LRUCache<string, DocumentNode>({ max: 500 });

  constructor(
    private readonly maxTokens: number,
    /** Apollo's APQ store (the raw cache; Apollo prefixes keys with `apq:`). */
    private readonly apq: KeyValueCache<string> | undefined,
  ) {}

  async cost(pieces: readonly unknown[]): Promise<OperationCost> {
    const all: OperationCost = { accounts: new Set(), entries: 0, entities: 0 };
    for (const raw of pieces) {
      const piece = (typeof raw === "object" && raw !== null ? raw : {}) as BatchPiece;
      const operation = await this.#operation(piece);
      if (!operation) continue;
      const variables =
        typeof piece.variables === "object" && piece.variables !== null
          ? (piece.variables as Record<string, unknown>)
          : {};
      const cost = costOf(operation.definition, operation.fragments, variables);
      for (const account of cost.accounts) all.accounts.add(account);
      all.entries += cost.entries;
      all.entities += cost.entities;
    }
    return all;
  }

  async #operation(
    piece: BatchPiece,
  ): Promise<{ definition: OperationDefinitionNode; fragments: Record<string, FragmentDefinitionNode> } | undefined> {
    let query = typeof piece.query === "string" ? piece.query : undefined;
    const hash = piece.extensions?.persistedQuery?.sha256Hash;
    if (query === undefined && typeof hash === "string" && this.apq) query = await this.apq.get(`apq:${hash}`);
    if (query === undefined) return undefined;
    let document = this.#documents.get(query);
    if (!document) {
      try {
        document = parse(query, { maxTokens: this.maxTokens, noLocation: true });
      } catch {
        return undefined;
      }
      // Too deep to walk safely (costOf recurses per fragment); Apollo refuses it on its own.
      if (fragmentNesting(document) > MAX_FRAGMENT_NESTING) return undefined;
      this.#documents.set(query, document);
    }
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const name = typeof piece.operationName === "string" ? piece.operationName : undefined;
    const definition = name
      ? operations.find((o) => o.name?.value === name)
      : operations.length === 1
        ? operations[0]
        : undefined;
    if (!definition) return undefined;
    return { definition, fragments: fragmentsOf(document) };
  }
}
