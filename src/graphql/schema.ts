import "reflect-metadata";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap, type PubSub } from "type-graphql";
import { ProfileMutation } from "./profile.mutation.js";
import { ProfileResolver } from "./profile.resolver.js";
import { ProfileSubscription } from "./profile.subscription.js";
import { resolveEntities, resolveUserReference } from "./user.reference.js";
import { UserQueries, UserResolver } from "./user.resolver.js";

// Federation 2.4: the first version whose composition takes a Subscription type (profileChanged);
// Apollo Router needs it to plan subscriptions to this subgraph.
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.4", import: ["@key"])';

/**
 * Which `Query` entry points the subgraph declares (ROOT_FIELDS):
 * - `all`: `user(id)`, `users(ids)` and `me`, for a graph where this subgraph is the one that
 *   answers for users (and `npm run schema`'s file);
 * - `none`: none of them, for a supergraph whose users subgraph owns those names. `User.profile`
 *   is then reached through `_entities`, and `setProfile` stays.
 * Not `@shareable`: the router could then send `me` to either subgraph, and both would have to
 * answer identically (same auth, same null for an unknown account), which two teams' services
 * do not. See README "Federation".
 */
export type RootFields = "all" | "none";

export interface SubgraphOptions {
  /** Default `all`. */
  rootFields?: RootFields;
}

/**
 * Apollo's cache hints (the cache-control plugin reads them, and routers such as Apollo Router
 * cache subgraph answers by the Cache-Control header it computes). The hints in the schema say
 * what does not depend on configuration: `User` and `Profile` inherit their parent's max age, `me`
 * is PRIVATE. How long and for whom the rest may be cached is configured (CACHE_CONTROL_MAX_AGE,
 * CACHE_CONTROL_SCOPE) and applied by the server; see README "Caching by routers and CDNs".
 */
const CACHE_CONTROL = `
enum CacheControlScope { PUBLIC PRIVATE }
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/**
 * type-graphql requires a PubSub once any subscription exists, even when every subscription brings
 * its own `subscribe` (ours reads the change hub, see profile.subscription.ts). None uses topics,
 * so this one is never called; if one ever did, it says so.
 */
const NO_TOPICS: PubSub = {
  publish() {
    throw new Error("subscriptions read the change hub; no topic-based PubSub is configured");
  },
  subscribe() {
    throw new Error("subscriptions read the change hub; no topic-based PubSub is configured");
  },
};

/**
 * Build the subgraph: type-graphql's schema, printed with its directives, handed to
 * `buildSubgraphSchema` together with type-graphql's resolvers and `User.__resolveReference`.
 *
 *   const schema = await buildSubgraph({ rootFields: "none" });
 */
export async function buildSubgraph(options: SubgraphOptions = {}): Promise<GraphQLSchema> {
  const fields = [UserResolver, ProfileResolver, ProfileMutation, ProfileSubscription] as const;
  const schema = await buildSchema({
    resolvers: options.rootFields === "none" ? [...fields] : [UserQueries, ...fields],
    validate: false,
    skipCheck: true,
    pubSub: NO_TOPICS,
  });
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION_LINK}\n${CACHE_CONTROL}\n${printSchemaWithDirectives(schema)}`),
    resolvers: {
      ...resolvers,
      Query: { ...resolvers.Query, _entities: resolveEntities },
      User: { ...resolvers.User, __resolveReference: resolveUserReference },
    },
  });
}
