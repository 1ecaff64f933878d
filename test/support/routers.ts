import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { composeServices } from "@apollo/composition";
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { Agent, request } from "undici";

/** Another team's subgraph: reviews whose author is a `User` it knows only by id. */
export const REVIEWS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Review { id: ID! body: String! author: User! }
  type User @key(fields: "id", resolvable: false) { id: ID! }
  type Query {
    "The first reviews, their authors taken in turn from the given list."
    reviews(first: Int!): [Review!]!
    "One review by each of the given authors, in order."
    reviewsBy(authors: [ID!]!): [Review!]!
  }
`;

/** The reviews subgraph on an ephemeral port; `first` reviews cycle through `authors`. */
export async function startReviews(authors: readonly string[]) {
  const review = (i: number, author: string) => ({ id: `r${i}`, body: `review ${i}`, author: { id: author } });
  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(REVIEWS_SDL),
      resolvers: {
        Query: {
          reviews: (_: unknown, { first }: { first: number }) =>
            Array.from({ length: first }, (_x, i) => review(i, authors[i % authors.length]!)),
          reviewsBy: (_: unknown, args: { authors: string[] }) => args.authors.map((author, i) => review(i, author)),
        },
      },
    }),
    // Apollo Server would otherwise announce on the console that it enables inline tracing.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, close: () => server.stop() };
}

/**
 * Another team's users subgraph: it owns the entry points `me`, `user(id)` and `users(ids)` and
 * the `User` entity with fields of its own. Beside it, this subgraph runs with ROOT_FIELDS=none.
 */
export const USERS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type User @key(fields: "id") { id: ID! name: String! email: String }
  type Query {
    me: User
    user(id: ID!): User
    users(ids: [ID!]!): [User]!
  }
`;

/** The users subgraph on an ephemeral port: it knows `accounts` (`name` is "Name of <id>"), null for others. */
export async function startUsers(accounts: readonly string[]) {
  const known = new Set(accounts);
  const find = (id: string) => (known.has(id) ? { id } : null);
  const server = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: parse(USERS_SDL),
      resolvers: {
        Query: {
          // This stand-in checks no token, so it has no caller to answer `me` for.
          me: () => null,
          user: (_: unknown, { id }: { id: string }) => find(id),
          users: (_: unknown, { ids }: { ids: string[] }) => ids.map(find),
        },
        User: {
          __resolveReference: ({ id }: { id: string }) => find(id),
          name: ({ id }: { id: string }) => `Name of ${id}`,
          email: ({ id }: { id: string }) => `${id}@example.com`,
        },
      },
    }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  return { url, close: () => server.stop() };
}

export interface Subgraph {
  name: string;
  url: string;
}

/** A federation router over the given subgraphs, forwarding each client's Authorization to them. */
export interface Router {
  name: string;
  start(subgraphs: Subgraph[]): Promise<{ url: string; close: () => Promise<void> }>;
  /**
   * Whether the router reports an entity field's error at the path of the entity it belongs to.
   * Hive Gateway 2.15 reports every error of a batched `_entities` call at the list's first
   * index (graphql-tools' batch delegation drops the index: ardatan/graphql-tools#2950, fix
   * proposed in graphql-hive/gateway#1556); its data is right.
   */
  exactEntityErrorPaths: boolean;
}

export const apolloGateway: Router = {
  name: "Apollo Gateway",
  exactEntityErrorPaths: true,
  async start(subgraphs) {
    const gateway = new ApolloGateway({
      // Composes from each subgraph's `_service` SDL, read without a token.
      supergraphSdl: new IntrospectAndCompose({ subgraphs }),
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            const authorization = context.authorization as string | undefined;
            if (authorization) request.http?.headers.set("authorization", authorization);
          },
        }),
    });
    const router = new ApolloServer({ gateway });
    const { url } = await startStandaloneServer(router, {
      listen: { port: 0, host: "127.0.0.1" },
      context: async ({ req }: { req: IncomingMessage }) => ({ authorization: req.headers.authorization }),
    });
    return { url, close: () => router.stop() };
  },
};

// Hive Gateway's types declare graphql's GraphQLErrorExtensions.http differently from Apollo
// Server's (headers as a record, not a HeaderMap), and one program cannot hold both, so it is
// loaded untyped and the one function used is described here.
const HIVE_GATEWAY: string = "@graphql-hive/gateway";
type HiveRuntime = RequestListener & { dispose(): Promise<void> | void };
interface HiveGateway {
  createGatewayRuntime: (config: {
    supergraph: string;
    logging: boolean;
    propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Record<string, string | null> };
  }) => HiveRuntime;
}

export const hiveGateway: Router = {
  name: "Hive Gateway",
  exactEntityErrorPaths: false,
  async start(subgraphs) {
    const { createGatewayRuntime } = (await import(HIVE_GATEWAY)) as HiveGateway;
    // Composed here, as `rover supergraph compose` would, from each subgraph's `_service` SDL.
    const services = await Promise.all(
      subgraphs.map(async ({ name, url }) => ({ name, url, typeDefs: parse(await serviceSdl(url)) })),
    );
    const { supergraphSdl, errors } = composeServices(services);
    if (!supergraphSdl) throw new Error(`composition failed: ${errors?.map((e) => e.message).join("; ")}`);
    const runtime = createGatewayRuntime({
      supergraph: supergraphSdl,
      logging: false,
      propagateHeaders: {
        fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }),
      },
    });
    const server = createServer(runtime);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/graphql`,
      async close() {
        await runtime.dispose();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  },
};

/**
 * A subgraph's SDL, read once as a composer does, on a connection of its own: a pooled keep-alive
 * socket that sat idle for about the server's keep-alive timeout can be reset as it is reused
 * (the keep-alive race, nodejs/node#52649), which this read hit on a loaded machine under Node 24.
 */
async function serviceSdl(url: string): Promise<string> {
  const dispatcher = new Agent();
  try {
    const res = await request(url, {
      dispatcher,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ _service { sdl } }" }),
    });
    const body = (await res.body.json()) as { data?: { _service: { sdl: string } } };
    if (!body.data) throw new Error(`no _service SDL from ${url}: ${JSON.stringify(body)}`);
    return body.data._service.sdl;
  } finally {
    await dispatcher.close();
  }
}

/**
 * The compose stack's gateway run in-process: Hive Gateway's runtime (what its CLI and image run,
 * loaded untyped as above) with `deploy/compose/gateway.config.mjs` and a supergraph composed by
 * `deploy/compose/supergraph.mjs` from `schema/schema.graphql`, pointed at `serviceUrl`.
 */
export async function startComposeGateway(serviceUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const { gatewayConfig } = (await import(
    new URL("../../deploy/compose/gateway.config.mjs", import.meta.url).href
  )) as { gatewayConfig: Record<string, unknown> };
  const { composeSupergraph } = await composeSupergraphModule();
  const { createGatewayRuntime } = (await import(HIVE_GATEWAY_RUNTIME)) as {
    createGatewayRuntime: (config: Record<string, unknown>) => HiveRuntime;
  };
  const runtime = createGatewayRuntime({
    ...gatewayConfig,
    supergraph: composeSupergraph(readFileSync("schema/schema.graphql", "utf8"), serviceUrl),
    logging: false,
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.dispose();
    },
  };
}

const HIVE_GATEWAY_RUNTIME: string = "@graphql-hive/gateway-runtime";

/** `deploy/compose/supergraph.mjs`: how the compose stack composes its supergraph. */
export function composeSupergraphModule() {
  return import(new URL("../../deploy/compose/supergraph.mjs", import.meta.url).href) as Promise<{
    composeSupergraph: (sdl: string, url?: string) => string;
    SUBGRAPH_URL: string;
  }>;
}
