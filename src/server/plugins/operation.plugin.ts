import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, Kind, type OperationDefinitionNode } from "graphql";
import { accountsOf } from "../../graphql/cost.js";
import type { Context } from "../../graphql/context.js";
import { planProfiles } from "../../graphql/selection.js";
import { unauthenticated } from "../auth.js";

export interface OperationPolicy {
  /** Distinct accounts one operation may read. */
  maxAccountsPerOperation: number;
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
          if (!ctx.viewer) {
            if (!(policy.anonymousIntrospection && readsOnlySchema(operation))) {
              throw unauthenticated("A bearer token is required (Authorization: Bearer <JWT>)");
            }
            if (metrics.persistedQueryRegister) throw unauthenticated("A bearer token is required to register a persisted query");
          }
          const fragments = Object.fromEntries(
            document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const accounts = accountsOf(operation, fragments, request.variables).size;
          if (accounts > policy.maxAccountsPerOperation) throw accountLimit(accounts, policy.maxAccountsPerOperation);
          const plan = planProfiles(schema, operation, fragments, request.variables ?? {}, ctx.profiles.registry);
          ctx.plan = plan;
          ctx.profiles.select(plan.tags);
        },
      };
    },
  };
}

/** The one error for an operation (or HTTP batch) that could read more accounts than allowed. */
export function accountLimit(accounts: number, max: number): GraphQLError {
  return new GraphQLError(
    `This request could read ${accounts} distinct accounts; MAX_ACCOUNTS_PER_OPERATION allows ${max}. Split it into smaller requests.`,
    { extensions: { code: "ACCOUNT_LIMIT_EXCEEDED", limit: max, accounts, http: { status: 400 } } },
  );
}

/** Whether an operation only reads the schema (introspection, `_service`): what explorers, codegen and routers need. */
export function readsOnlySchema(operation: OperationDefinitionNode | undefined): boolean {
  return !!operation && operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && SCHEMA_FIELDS.has(s.name.value));
}
