import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ExecutionResult } from "graphql";
import { createHandler } from "graphql-sse/lib/use/fastify";
import type { Viewer } from "../graphql/context.js";
import { ErrorCode } from "../profile/error-codes.js";
import type { Authenticator } from "./auth.js";
import type { Logger } from "./logger.js";
import { asGraphQLError, endOperation, type LiveOperations } from "./subscriptions.operation.js";

export interface SseTransportOptions {
  path: string;
  operations: LiveOperations;
  authenticate: Authenticator;
  logger: Logger;
  /** A comment line each interval keeps proxies and the socket from closing an idle stream. */
  heartbeatMs: number;
  /** Bytes waiting to be sent before the client counts as too slow and its stream is cut. */
  maxBufferedBytes: number;
  /** Called as streams open (+1) and close (-1), for the metrics. */
  onConnections: (delta: number) => void;
}

const JSON_TYPE = "application/json; charset=utf-8";
const EVENT_STREAM = "text/event-stream";

/**
 * GraphQL over Server-Sent Events (graphql-sse, "distinct connections" mode: one operation per
 * stream) for browsers: `POST <path>` with a JSON body, or `GET <path>?query=…`, with
 * `Accept: text/event-stream` and the bearer token in the Authorization header (a missing or bad
 * one is a 401 with the reason). CORS is the app's (@fastify/cors). The stream ends with a
 * `complete` event when the subscription does (the replica draining included); an error in the
 * middle (SUBSCRIBER_TOO_SLOW) arrives as a last `next` event with `errors`, then `complete`.
 */
export function registerSse(app: FastifyInstance, options: SseTransportOptions): void {
  const { operations } = options;
  const viewers = new WeakMap<FastifyRequest, Viewer>();
  const controllers = new WeakMap<FastifyRequest, AbortController>();
  const handler = createHandler({
    // Authentication happened before (below); no stream token: single-connection mode stays off.
    authenticate: () => null,
    onSubscribe: (req, params) => {
      const prepared = operations.prepare(viewers.get(req.raw), params);
      if (Array.isArray(prepared)) return { errors: operations.format(prepared) } as unknown as ExecutionResult;
      controllers.set(req.raw, prepared.controller);
      // graphql-sse types the context as a record; ours is an interface (no index signature).
      return prepared.args as typeof prepared.args & { contextValue: Record<PropertyKey, unknown> };
    },
    onOperation: (_ctx, _req, _args, result) => (isAsyncIterable(result) ? endWithErrors(result, operations) : result),
    onNext: (_ctx, req, result) => {
      const response = req.context.reply.raw;
      if (response.writableLength > options.maxBufferedBytes) {
        options.logger.warn({ buffered: response.writableLength }, "SSE client too slow: stream cut");
        response.destroy();
      }
      return operations.formatResult(result as ExecutionResult);
    },
  });

  app.route({
    method: ["GET", "POST"],
    url: options.path,
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const accept = request.headers.accept ?? "";
      if (!accept.includes(EVENT_STREAM)) {
        return refuse(
          reply,
          406,
          `Send Accept: ${EVENT_STREAM} (GraphQL over SSE); queries go to /graphql`,
          {
            code: ErrorCode.BAD_REQUEST,
          },
          options.logger,
        );
      }
      let viewer: Viewer | undefined;
      try {
        viewer = await options.authenticate(request.headers.authorization);
      } catch (error) {
        return refuse(
          reply,
          401,
          error instanceof Error ? error.message : "invalid token",
          {
            code: ErrorCode.UNAUTHENTICATED,
          },
          options.logger,
        );
      }
      if (!viewer) {
        return refuse(
          reply,
          401,
          "A bearer token is required (Authorization: Bearer <JWT>)",
          {
            code: ErrorCode.UNAUTHENTICATED,
          },
          options.logger,
        );
      }
      viewers.set(request, viewer);
      // graphql-sse streams only for this exact Accept value.
      request.raw.headers.accept = EVENT_STREAM;
      // The stream is written by graphql-sse from here on; Fastify only counts it (drain.plugin.ts).
      void reply.hijack();
      const response = reply.raw;
      // An open stream is idle between changes: heartbeats, not the socket's idle timeout, decide.
      request.raw.socket.setTimeout(0);
      const heartbeat = setInterval(() => {
        if (response.headersSent && response.writable) response.write(":\n\n");
      }, options.heartbeatMs);
      heartbeat.unref();
      options.onConnections(1);
      response.once("close", () => {
        clearInterval(heartbeat);
        options.onConnections(-1);
        endOperation(controllers.get(request));
      });
      try {
        await handler(request, reply);
      } catch (error) {
        // The operation failed after the stream began (e.g. the client went away mid-write).
        options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, "SSE stream");
        if (!response.headersSent) response.writeHead(500, { "content-type": JSON_TYPE });
        response.end();
      }
    },
  });
}

function refuse(
  reply: FastifyReply,
  status: number,
  message: string,
  extensions: Record<string, unknown>,
  logger: Logger,
) {
  // The message never quotes the token (the authenticator's reasons do not).
  logger.info({ transport: "sse", status, reason: message }, "live update refused");
  if (status === 401) void reply.header("www-authenticate", 'Bearer realm="portrait-graph"');
  return reply
    .code(status)
    .type(JSON_TYPE)
    .send(JSON.stringify({ errors: [{ message, extensions }] }));
}

function isAsyncIterable(value: unknown): value is AsyncIterableIterator<ExecutionResult> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * The subscription's results, with an error thrown in the middle (SUBSCRIBER_TOO_SLOW) turned into
 * a last result that carries it: graphql-sse would otherwise cut the stream without telling why.
 * Hand-written rather than an async generator, so that `return()` (the client left) reaches the
 * subscription at once instead of after its next change.
 */
function endWithErrors(
  source: AsyncIterableIterator<ExecutionResult>,
  operations: LiveOperations,
): AsyncIterableIterator<ExecutionResult> {
  let failed = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (failed) return { value: undefined, done: true };
      try {
        return await source.next();
      } catch (error) {
        failed = true;
        return {
          value: { errors: operations.format([asGraphQLError(error)]) } as unknown as ExecutionResult,
          done: false,
        };
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    // graphql-sse ends only what looks like an async generator (it has `throw`) when the client leaves.
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
