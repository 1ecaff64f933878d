import type { ApolloServerPlugin } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { costOf, fragmentsOf, type OperationCost } from "../../graphql/cost.js";
import type { Context } from "../../graphql/context.js";
import { planProfiles } from "../../graphql/selection.js";
import { ErrorCode } from "../../profile/error-codes.js";
import { ProfileError } from "../../profile/errors.js";
import { unauthenticated } from "../auth.js";

export interface OperationPolicy {
  /** Distinct accounts one operation may read (see `costOf`). */
  maxAccountsPerOperation: number;
  /** Entries (ids, aliases, repeats included) one operation may ask for. */
  maxEntriesPerOperation: number;
  /** `_entities` representations one operation may hold. */
  maxEntitiesPerOperation: number;
  /** Whether callers without a token may read the schema (introspection, `_service`). */
  anonymousIntrospection: boolean;
}

// What schema tooling, Sandbox and routers composing the supergraph read.
const SCHEMA_FIELDS = new Set(["__schema", "__type", "__typename", "_service"]);

/**
 * The work that belongs to an operation, done once before it executes: who may run it, what it
 * may cost (accounts it can read), and what it reads of profiles (its tag set, its custom keys).
 * Resolvers only read what this prepared, so one bad argument is one error, not one per profile.
 */
export function operationPlugin(policy: OperationPolicy): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ requestIsBatched, contextValue }) {
      // Operations of one HTTP batch share the context object's fields; each gets its own reads.
      if (requestIsBatched) contextValue.profiles = contextValue.profiles.fork();
      return {
        async didResolveOperation({ contextValue: ctx, operation, document, request, schema, metrics }) {
          if (!operation) return;
          // A write the client sent is carried out even if the client leaves (see request-context.ts).
          if (operation.operation === OperationTypeNode.MUTATION) ctx.http.writes = true;
          // Reading the schema anonymously is allowed; registering a persisted query with it is not.
          const anonymousSchemaRead = !ctx.viewer && policy.anonymousIntrospection && readsOnlySchema(operation);
          if (anonymousSchemaRead && metrics.persistedQueryRegister)
            throw unauthenticated("A bearer token is required to register a persisted query");
          prepareOperation(policy, ctx, { schema, document, operation, variables: request.variables });
        },
      };
    },
  };
}

/**
 * Who may run the operation, what it may cost, and what it reads of profiles (ctx.plan, and the
 * tags ctx.profiles asks Tencent for): the same over HTTP (the plugin above) and over the
 * WebSocket and SSE transports, whose subscriptions select `user { profile { … } }` too.
 */
export function prepareOperation(
  policy: OperationPolicy,
  ctx: Context,
  request: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operation: OperationDefinitionNode;
    variables: Record<string, unknown> | undefined;
  },
): void {
  const { schema, document, operation, variables } = request;
  if (!ctx.viewer && !(policy.anonymousIntrospection && readsOnlySchema(operation))) {
    throw unauthenticated("A bearer token is required (Authorization: Bearer <JWT>)");
  }
  const fragments = fragmentsOf(document);
  const over = overBudget(costOf(operation, fragments, variables), policy);
  if (over) throw over;
  const plan = refusedWith400(() => planProfiles(schema, operation, fragments, variables ?? {}, ctx.profiles.registry));
  ctx.plan = plan;
  ctx.profiles.select(plan.tags);
}

/**
 * The one error for an operation (or HTTP batch) that could read more distinct accounts, ask for
 * more entries, or hold more `_entities` representations than allowed; undefined when it fits.
 */
export function overBudget(
  cost: OperationCost,
  policy: Pick<OperationPolicy, "maxAccountsPerOperation" | "maxEntriesPerOperation" | "maxEntitiesPerOperation">,
): GraphQLError | undefined {
  const accounts = cost.accounts.size;
  if (accounts > policy.maxAccountsPerOperation) {
    const max = policy.maxAccountsPerOperation;
    return new GraphQLError(
      `This request could read ${accounts} distinct accounts; MAX_ACCOUNTS_PER_OPERATION allows ${max}. Split it into smaller requests.`,
      {
        extensions: { code: ErrorCode.ACCOUNT_LIMIT_EXCEEDED, limit: max, accounts, http: { status: 400 } },
      },
    );
  }
  if (cost.entries > policy.maxEntriesPerOperation) {
    const max = policy.maxEntriesPerOperation;
    return new GraphQLError(
      `This request asks for ${cost.entries} entries (ids in users lists and user aliases, repeats included); ` +
        `MAX_ENTRIES_PER_OPERATION allows ${max}. Ask for each account once, or split the request.`,
      {
        extensions: { code: ErrorCode.ENTRY_LIMIT_EXCEEDED, limit: max, entries: cost.entries, http: { status: 400 } },
      },
    );
  }
  if (cost.entities > policy.maxEntitiesPerOperation) {
    const max = policy.maxEntitiesPerOperation;
    return new GraphQLError(
      `This request holds ${cost.entities} _entities representations; MAX_ENTITIES_PER_OPERATION allows ${max}. ` +
        "Fetch fewer entities at a time.",
      {
        extensions: {
          code: ErrorCode.ENTITY_LIMIT_EXCEEDED,
          limit: max,
          entities: cost.entities,
          http: { status: 400 },
        },
      },
    );
  }
  return undefined;
}

// Apollo answers an error thrown before execution with HTTP 500 unless the error names a status;
// an argument refused here (an unknown custom key) is the caller's mistake, so it is a 400.
function refusedWith400<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ProfileError)
      throw new ProfileError(error.message, { ...error.extensions, http: { status: 400 } });
    throw error;
  }
}

/** Whether an operation only reads the schema (introspection, `_service`): what explorers, codegen and routers need. */
export function readsOnlySchema(operation: OperationDefinitionNode | undefined): boolean {
  return (
    !!operation &&
    operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && SCHEMA_FIELDS.has(s.name.value))
  );
}
