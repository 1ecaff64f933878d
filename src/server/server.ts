import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { GraphQLError, type GraphQLSchema } from "graphql";
import { explorerAsset, explorerLandingPage } from "../explorer/landing-page.js"; // explorer wiring
import type { Context } from "../graphql/context.js";
import { ErrorCode, unauthenticated } from "../graphql/errors.js";
import { buildSubgraph } from "../graphql/schema.js";
import { ProfileBatcher } from "../profile/batcher.js";
import { ProfileLoader } from "../profile/profile.loader.js";
import type { TagRegistry } from "../profile/tags.js";
import type { TencentClient } from "../tencent/client.js";
import type { Authenticator } from "./auth.js";
import { Metrics } from "./metrics.js";

export interface ServerOptions {
  client: TencentClient;
  tags: TagRegistry;
  authenticate: Authenticator;
  /** ms the shared batcher gathers accounts across requests before calling; 0 = one event-loop turn. */
  batchWindowMs?: number;
  /** Largest `users(ids)` list. Default 1000. */
  maxUsers?: number;
  /** `development` shows stack traces and pre-fills Sandbox's headers; `production` masks unexpected errors. */
  nodeEnv?: string;
  /** Origins allowed to call from a browser; `["*"]` (default) allows any (tokens are bearer, not cookies). */
  corsOrigins?: readonly string[];
  /** What the Sandbox landing page opens with. */
  landingPage?: { document?: string; headers?: Record<string, string> };
  metrics?: Metrics;
  schema?: GraphQLSchema;
}

export const EXAMPLE_QUERY = `# Profiles of a few demo accounts, batched into one portrait_get call
query DemoProfiles {
  me { id profile { nick } }
  users(ids: ["zhang.wei", "li.na", "sato.yuki"]) {
    id
    profile { nick gender level location custom }
  }
}
`;

// Root fields anyone may query: schema tooling, Sandbox and routers composing the supergraph.
const ANONYMOUS_ROOT_FIELDS = new Set(["__schema", "__type", "__typename", "_service"]);

/**
 * The GraphQL service: Apollo Server 5 on node:http at `/graphql`, plus `/healthz` and `/metrics`.
 *
 *   const server = await createServer({ client, tags, authenticate });
 *   const url = await server.listen(0);   // http://127.0.0.1:<port>/graphql
 */
export async function createServer(options: ServerOptions) {
  const nodeEnv = options.nodeEnv ?? "production";
  const development = nodeEnv === "development";
  const schema = options.schema ?? (await buildSubgraph());
  const batcher = new ProfileBatcher(options.client, 100, options.batchWindowMs ?? 0);
  const metrics = options.metrics ?? new Metrics();
  const corsOrigins = options.corsOrigins ?? ["*"];
  const http = createHttpServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: development ? String(error) : "Internal server error" }] });
      else res.destroy();
    });
  });

  const apollo = new ApolloServer<Context>({
    schema,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: development,
    nodeEnv,
    formatError: (formatted, error) => maskUnexpected(formatted, error, development),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: http }),
      requireViewer(),
      // Sandbox in every mode (the bundled GraphiQL when Apollo's CDN is unreachable): the page holds
      // no secret and every operation still needs a token. Headers pre-fill it in development only.
      explorerLandingPage({ endpointPath: "/graphql", document: options.landingPage?.document ?? EXAMPLE_QUERY, headers: options.landingPage?.headers, development }), // explorer wiring
    ],
  });
  await apollo.start();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(metrics.render());
      return;
    }
    const asset = req.method === "GET" || req.method === "HEAD" ? explorerAsset(url.pathname) : undefined; // explorer wiring
    if (asset) { res.writeHead(asset.status, { "content-type": asset.contentType, "cache-control": asset.cacheControl }); res.end(asset.body); return; } // explorer wiring
    if (url.pathname !== "/graphql") return sendJson(res, 404, { error: "not found; GraphQL is at /graphql" });
    applyCors(req, res, corsOrigins);
    if (req.method === "OPTIONS") {
      res.writeHead(204);
      res.end();
      return;
    }
    metrics.recordRequest();
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const text = req.method === "POST" ? await readText(req) : "";
    let body: unknown;
    if (text !== "" && (headers.get("content-type") ?? "").includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { errors: [{ message: "The request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] });
      }
    } else body = text;

    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? "GET", headers, search: url.search, body },
      context: async () => ({
        viewer: await options.authenticate(headers.get("authorization")),
        profiles: new ProfileLoader(batcher, options.tags),
        tags: options.tags,
        client: options.client,
        maxUsers: options.maxUsers ?? 1000,
      }),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  return {
    apollo,
    http,
    metrics,
    /** Listen (port 0: an ephemeral port); resolves with the GraphQL URL. */
    async listen(port = 0, host = "127.0.0.1"): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(port, host, () => resolve());
      });
      const { port: actual } = http.address() as AddressInfo;
      return `http://${host.includes(":") ? `[${host}]` : host}:${actual}/graphql`;
    },
    async close(): Promise<void> {
      await apollo.stop();
      if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export type Server = Awaited<ReturnType<typeof createServer>>;

/** No anonymous access: only introspection and `_service` work without a valid token. */
function requireViewer(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (contextValue.viewer) return;
          const anonymous = !!operation && operation.selectionSet.selections.every(
            (s) => s.kind === "Field" && ANONYMOUS_ROOT_FIELDS.has(s.name.value),
          );
          if (!anonymous) throw unauthenticated("A bearer token is required (Authorization: Bearer <JWT>)");
        },
      };
    },
  };
}

const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

// Errors we raised on purpose pass through; anything else is an internal error: logged here (our
// messages never hold secrets) and masked for the client outside development.
function maskUnexpected(formatted: ReturnType<GraphQLError["toJSON"]>, error: unknown, development: boolean) {
  const code = formatted.extensions?.code;
  if (development || (typeof code === "string" && KNOWN_CODES.has(code))) return formatted;
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  console.error("portrait-graph: internal error:", original instanceof Error ? (original.stack ?? original.message) : String(original));
  return { message: "Internal server error", ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const allowed = origins.includes("*") ? "*" : origins.includes(origin) ? origin : undefined;
  if (!allowed) return;
  res.setHeader("access-control-allow-origin", allowed);
  if (allowed !== "*") res.setHeader("vary", "origin");
  if (req.method === "OPTIONS") {
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader(
      "access-control-allow-headers",
      req.headers["access-control-request-headers"] ?? "authorization, content-type, apollo-require-preflight, x-apollo-operation-name",
    );
    res.setHeader("access-control-max-age", "600");
  }
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
