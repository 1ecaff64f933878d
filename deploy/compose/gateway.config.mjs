// Hive Gateway's configuration in the compose stack (mounted at /gateway in its image, beside
// supergraph.graphql; the CLI reads `gatewayConfig`, the object `defineConfig` would return). The
// router forwards each client's Authorization header to the subgraph, which verifies the bearer
// token itself: the router holds no secret.
export const gatewayConfig = {
  supergraph: "./supergraph.graphql",
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") }),
  },
  // Subscriptions (profileChanged) reach the subgraph over WebSocket (graphql-transport-ws) on its
  // /graphql, whatever the client used with the gateway (SSE, WebSocket); the caller's token goes
  // in the connection parameters, checked by the subgraph as a query's Authorization header is.
  transportEntries: {
    "*.http": {
      options: {
        subscriptions: {
          kind: "ws",
          location: "/graphql",
          options: { connectionParams: { Authorization: "{context.headers.authorization}" } },
        },
      },
    },
  },
};
