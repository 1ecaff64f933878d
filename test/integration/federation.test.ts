import { readFile } from "node:fs/promises";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { importAccounts, startService, type Service } from "../support/service.js";

const REVIEWS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Review { id: ID! body: String! author: User! }
  type User @key(fields: "id", resolvable: false) { id: ID! }
  type Query { reviews(first: Int!): [Review!]! }
`;

let svc: Service;
let authors: string[];
beforeAll(async () => {
  // Routers compose by reading _service; here without a token, as ANONYMOUS_INTROSPECTION allows.
  svc = await startService({}, { anonymousIntrospection: true });
  authors = await importAccounts(svc, "author", 250);
});
afterAll(() => svc.close());
beforeEach(() => svc.emulator.resetStats());

describe("federation", () => {
  it("the committed subgraph SDL composes with another subgraph that references User", async () => {
    const sdl = await readFile("schema/schema.graphql", "utf8");
    const result = composeServices([
      { name: "profiles", typeDefs: parse(sdl), url: "http://profiles" },
      { name: "reviews", typeDefs: parse(REVIEWS_SDL), url: "http://reviews" },
    ]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.supergraphSdl).toContain("profile: Profile");
  });

  it("_entities with 250 representations costs 3 upstream calls", async () => {
    const representations = authors.map((id) => ({ __typename: "User", id }));
    const { data, errors } = await svc.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id profile { nick } } } }`,
      { r: representations },
    );
    expect(errors).toBeUndefined();
    const entities = (data as { _entities: { id: string; profile: { nick: string } }[] })._entities;
    expect(entities.map((e) => e.profile.nick)).toEqual(authors.map((id) => `nick-${id}`));
    expect(svc.portraitGets().map((c) => c.length)).toEqual([100, 100, 50]);
  });

  it("_entities that select no profile field cost nothing upstream", async () => {
    const { errors } = await svc.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }`, {
      r: authors.slice(0, 10).map((id) => ({ __typename: "User", id })),
    });
    expect(errors).toBeUndefined();
    expect(svc.portraitGets()).toEqual([]);
  });

  it("a gateway over this subgraph and a reviews subgraph resolves 250 authors' profiles in 3 calls", async () => {
    const reviews = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs: parse(REVIEWS_SDL),
        resolvers: {
          Query: {
            reviews: (_: unknown, { first }: { first: number }) =>
              Array.from({ length: first }, (_x, i) => ({ id: `r${i}`, body: `review ${i}`, author: { id: authors[i % authors.length] } })),
          },
        },
      }),
    });
    const { url: reviewsUrl } = await startStandaloneServer(reviews, { listen: { port: 0, host: "127.0.0.1" } });
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: "profiles", url: svc.url },
          { name: "reviews", url: reviewsUrl },
        ],
      }),
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (context.authorization) request.http?.headers.set("authorization", context.authorization);
          },
        }),
    });
    const router = new ApolloServer({ gateway });
    const { url: routerUrl } = await startStandaloneServer(router, {
      listen: { port: 0, host: "127.0.0.1" },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    });
    try {
      svc.emulator.resetStats();
      const res = await fetch(routerUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${svc.userToken}` },
        body: JSON.stringify({ query: "{ reviews(first: 500) { id author { id profile { nick } } } }" }),
      });
      const body = (await res.json()) as { data: { reviews: { author: { id: string; profile: { nick: string } } }[] }; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data.reviews).toHaveLength(500);
      expect(body.data.reviews[260]!.author.profile.nick).toBe(`nick-${authors[10]}`);
      // 500 reviews by 250 distinct authors: ⌈250/100⌉ portrait_get calls.
      expect(svc.portraitGets().map((c) => c.length).sort()).toEqual([100, 100, 50].sort());
    } finally {
      await router.stop();
      await reviews.stop();
    }
  });
});
