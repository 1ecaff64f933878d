import "reflect-metadata";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { parse, type GraphQLSchema } from "graphql";
import { buildSchema, createResolversMap } from "type-graphql";
import { ProfileMutation } from "./profile.mutation.js";
import { ProfileResolver } from "./profile.resolver.js";
import { resolveEntities, resolveUserReference } from "./user.reference.js";
import { UserResolver } from "./user.resolver.js";

// Federation 2.3: the newest version that tooling of v2.0–v2.3 (and the compatibility suite) accepts.
const FEDERATION_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';

/**
 * Build the subgraph: type-graphql's schema, printed with its directives, handed to
 * `buildSubgraphSchema` together with type-graphql's resolvers and `User.__resolveReference`.
 */
export async function buildSubgraph(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [UserResolver, ProfileResolver, ProfileMutation],
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
