import type { ApolloServer } from "@apollo/server";
import { fastifyApolloHandler } from "@as-integrations/fastify";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import type { Limits } from "../config.js";
import { explorerAsset } from "../explorer/landing-page.js";
import type { Context } from "../graphql/context.js";
import { ErrorCode } from "../profile/error-codes.js";
import { GRAPHQL_PATH } from "./apollo.js";
import type { BatchCounter } from "./batch.js";
import { overBudget } from "./plugins/operation.plugin.js";

export interface RoutesOptions {
  apollo: ApolloServer<Context>;
  /** Builds each request's context (see request-context.ts). */
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<Context>;
  limits: Pick<Limits, "maxBatchOperations" | "maxAccountsPerOperation" | "maxEntriesPerOperation">;
  /** Counts a whole HTTP batch before any of its operations runs. */
  batches: BatchCounter;
  /** Trusted documents: the GraphQL-over-HTTP `documentId` form, mapped to Apollo's extension. */
  acceptDocumentId?: (request: FastifyRequest) => Promise<void>;
}

/** The methods /graphql answers; any other gets 405 with this list in `Allow`. */
export const GRAPHQL_METHODS = ["GET", "POST", "OPTIONS"] as const;

const JSON_TYPE = "application/json; charset=utf-8";

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
      .type(JSON_TYPE)
      .send(JSON.stringify({ errors: [{ message, extensions }] }));

  const handler = fastifyApolloHandler(options.apollo, { context: options.context });
  app.route({
    method: ["GET", "POST"],
    url: GRAPHQL_PATH,
    // HEAD is not GraphQL over HTTP: it gets the 405 below rather than an answer without a body.
    exposeHeadRoute: false,
    ...(options.acceptDocumentId ? { preValidation: options.acceptDocumentId } : {}),
    // A batch is bounded as a whole, before any of its operations runs.
    preHandler: async (request, reply) => {
      if (!Array.isArray(request.body)) return;
      if (request.body.length > limits.maxBatchOperations) {
        return refuse(
          reply,
          400,
          `A batch may hold at most ${limits.maxBatchOperations} operations (MAX_BATCH_OPERATIONS); got ${request.body.length}`,
          { code: ErrorCode.BAD_REQUEST },
        );
      }
      const error = overBudget(await batches.cost(request.body), limits);
      if (error) {
        const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
        return refuse(reply, 400, error.message, extensions);
      }
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
