import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type OperationDefinitionNode } from "graphql";
import type { Context } from "../../graphql/context.js";
import { userCacheTag } from "../router-invalidation.js";

/**
 * Tags what a router may cache with the accounts it holds, so that the router's invalidation
 * endpoint can drop exactly those entries when a profile changes (see router-invalidation.ts),
 * without `@cacheTag` in the schema:
 *
 * - a router's entity fetch (`_entities` with `representations`) gets `extensions.apolloEntityCacheTags`,
 *   one list per representation, in order: `[["user-li.na"], ["user-sato.yuki"]]`;
 * - any other read gets `extensions.apolloCacheTags`: every account whose profile it read.
 *
 * On only when ROUTER_INVALIDATION_URL is set: without invalidation the tags would be bytes for nothing.
 */
export function cacheTagsPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, request, response, operation }) {
          if (response.body.kind !== "single") return;
          const result = response.body.singleResult;
          const representations = entityRepresentations(operation, request.variables);
          if (representations && result.data && "_entities" in result.data) {
            result.extensions = {
              ...result.extensions,
              apolloEntityCacheTags: representations.map((r: unknown) => {
                const id = (r as { id?: unknown } | null)?.id;
                return typeof id === "string" ? [userCacheTag(id)] : [];
              }),
            };
            return;
          }
          const read = contextValue.profiles.read;
          if (read.size === 0) return;
          result.extensions = { ...result.extensions, apolloCacheTags: [...read].map(userCacheTag) };
        },
      };
    },
  };
}

/** The `representations` of the operation's `_entities` field (a router's entity fetch), if it has one. */
function entityRepresentations(
  operation: OperationDefinitionNode | undefined,
  variables: Record<string, unknown> | undefined,
): unknown[] | undefined {
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD || selection.name.value !== "_entities") continue;
    const argument = selection.arguments?.find((a) => a.name.value === "representations")?.value;
    // Routers always pass them as a variable; an inline list is not worth tagging.
    const value = argument?.kind === Kind.VARIABLE ? variables?.[argument.name.value] : undefined;
    return Array.isArray(value) ? value : undefined;
  }
  return undefined;
}
