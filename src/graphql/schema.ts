import "reflect-metadata";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap } from "type-graphql";
import { ProfileMutation } from "./profile.mutation.js";
import { ProfileResolver } from "./profile.resolver.js";
import { resolveEntities, resolveUserReference } from "./user.reference.js";
import { UserQueries, UserResolver } from "./user.resolver.js";

// Federation 2.3: the newest version that tooling of v2.0–v2.3 (and the compatibility suite) accepts.
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

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
 * Build the subgraph: type-graphql's schema, printed with its directives, handed to
 * `buildSubgraphSchema` together with type-graphql's resolvers and `User.__resolveReference`.
 *
 *   const schema = await buildSubgraph({ rootFields: "none" });
 */
export async function buildSubgraph(options: SubgraphOptions = {}): Promise<GraphQLSchema> {
  const fields = [UserResolver, ProfileResolver, ProfileMutation] as const;
  const schema = await buildSchema({
    resolvers: options.rootFields === "none" ? [...fields] : [UserQueries, ...fields],
    validate: false,
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`),
    resolvers: {
      ...resolvers,
      Query: { ...resolvers.Query, _entities: resolveEntities },
      User: { ...resolvers.User, __resolveReference: resolveUserReference },
    },
  });
}
