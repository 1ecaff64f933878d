import type { ApolloServer } from "@apollo/server";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import type { Limits } from "../config.js";
import { explorerAsset } from "../explorer/landing-page.js";
import type { Context } from "../graphql/context.js";
import { ErrorCode, REQUEST_REFUSAL_CODES } from "../profile/error-codes.js";
import { GRAPHQL_PATH } from "./apollo.js";
import type { BatchCounter } from "./batch.js";
import { GRAPHQL_RESPONSE_JSON, prefersGraphQLResponseJson } from "./media-type.js";
import { overBudget } from "./plugins/operation.plugin.js";

export interface RoutesOptions {
  apollo: ApolloServer<Context>;
  /** Builds each request's context (see request-context.ts). */
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<Context>;
  limits: Pick<
    Limits,
    "maxBatchOperations" | "maxAccountsPerOperation" | "maxEntriesPerOperation" | "maxEntitiesPerOperation"
  >;
  /** Counts a whole HTTP batch before any of its operations runs. */
  batches: BatchCounter;
  /** Trusted documents: the GraphQL-over-HTTP `documentId` form, mapped to Apollo's extension. */
  acceptDocumentId?: (request: FastifyRequest) => Promise<void>;
}

/** The methods /graphql answers; any other gets 405 with this list in `Allow`. */
export const GRAPHQL_METHODS = ["GET", "POST", "OPTIONS"] as const;

const JSON_TYPE = "application/json; charset=utf-8";
const GRAPHQL_RESPONSE_TYPE = `${GRAPHQL_RESPONSE_JSON}; charset=utf-8`;

/**
 * `/graphql`: Apollo Server for GET and POST (HTTP batches bounded as a whole first), 405 with
 * `Allow` for every other method (OPTIONS is CORS's), and the offline explorer's bundle under
 * `/graphql/explorer/`.
 */
export const routesPlugin: FastifyPluginAsync<RoutesOptions> = async (app, options) => {
  const { limits, batches } = options;
  const refuse = (reply: FastifyReply, status: number, message: string, extensions: Record<string, unknown>) =>
    reply
      .code(status)
      .type(prefersGraphQLResponseJson(reply.request.headers.accept) ? GRAPHQL_RESPONSE_TYPE : JSON_TYPE)
      .send(JSON.stringify({ errors: [{ message, extensions }] }));

  const handler = fastifyApolloHandler(options.apollo, { context: options.context });
  app.route({
    method: ["GET", "POST"],
    url: GRAPHQL_PATH,
    // HEAD is not GraphQL over HTTP: it gets the 405 below rather than an answer without a body.
    exposeHeadRoute: false,
    ...(options.acceptDocumentId ? { preValidation: options.acceptDocumentId } : {}),
    // A batch is bounded as a whole, before any of its operations runs. (The hooks of every
    // request take a callback, not a promise: only a batch has anything to wait for.)
    preHandler: (request, reply, done) => {
      const body = request.body;
      if (!Array.isArray(body)) return done();
      if (body.length > limits.maxBatchOperations) {
        return void refuse(
          reply,
          400,
          `A batch may hold at most ${limits.maxBatchOperations} operations (MAX_BATCH_OPERATIONS); got ${body.length}`,
          { code: ErrorCode.BAD_REQUEST },
        );
      }
      batches
        .cost(body)
        .then((cost) => {
          const error = overBudget(cost, limits);
          if (!error) return done();
          const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
          void refuse(reply, 400, error.message, extensions);
        })
        .catch((error: unknown) => done(error instanceof Error ? error : new Error(String(error))));
    },
    // GraphQL over HTTP: in application/json a refused GraphQL request is a 200 whose body says
    // why (a router such as Apollo Gateway otherwise shows "400: Bad Request" and drops the code).
    onSend: (request, reply, payload, done) => {
      const status = reply.statusCode;
      if ((status === 400 || status === 403) && !prefersGraphQLResponseJson(request.headers.accept)) {
        if (typeof payload === "string" && refusesGraphQLRequest(payload)) void reply.code(200);
      }
      done(null, payload);
    },
    handler,
  });

  const others = app.supportedMethods.filter(
    (method) => !(GRAPHQL_METHODS as readonly string[]).includes(method),
  ) as HTTPMethods[];
  app.route({
    method: others,
    url: GRAPHQL_PATH,
    handler: async (request, reply) =>
      refuse(
        reply.header("allow", GRAPHQL_METHODS.join(", ")),
        405,
        `${request.method} is not allowed on ${GRAPHQL_PATH}: send GraphQL by POST (or GET for queries)`,
        { code: ErrorCode.METHOD_NOT_ALLOWED },
      ),
  });

  // The offline explorer's bundle (GraphiQL and React), served from this process, never a CDN.
  app.get(`${GRAPHQL_PATH}/explorer/*`, async (request, reply) => {
    const asset = explorerAsset(request.url.split("?")[0]!);
    if (!asset) return reply.callNotFound();
    return reply
      .code(asset.status)
      .type(asset.contentType)
      .header("cache-control", asset.cacheControl)
      .send(asset.body);
  });
};

/** Whether an answer only refuses well-formed GraphQL requests (every error's code is one of REQUEST_REFUSAL_CODES). */
function refusesGraphQLRequest(payload: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return false;
  }
  const errors = (Array.isArray(body) ? body : [body]).flatMap(
    (result) => (result as { errors?: { extensions?: { code?: unknown } }[] } | null)?.errors ?? [],
  );
  return errors.length > 0 && errors.every((e) => REQUEST_REFUSAL_CODES.has(e.extensions?.code as ErrorCode));
}
