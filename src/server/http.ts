import fastifyCors from "@fastify/cors";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { HttpSettings } from "../config.js";
import { ErrorCode } from "../profile/error-codes.js";
import { lingerAfterAnswer } from "./linger.js";

export interface HttpOptions extends HttpSettings {
  bodyLimitBytes: number;
}

/**
 * The HTTP edge, on Fastify: a body limit (413 while the body streams in), header and request
 * timeouts and a connection cap (slow or idle sockets are dropped), CORS from the maintained
 * plugin, and errors shaped like GraphQL errors. Routes are added by `createServer`.
 */
export async function createHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  // The headers are part of the request, so they never get longer than the whole of it. Node also
  // requires headersTimeout <= requestTimeout: given more, it silently swaps the two, so a
  // REQUEST_TIMEOUT_MS under HEADERS_TIMEOUT_MS would let a body trickle in for HEADERS_TIMEOUT_MS.
  const headersTimeoutMs = Math.min(options.headersTimeoutMs, options.requestTimeoutMs);
  const app = Fastify({
    bodyLimit: options.bodyLimitBytes,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    // An idle socket that sends nothing at all is dropped too.
    connectionTimeout: options.requestTimeoutMs + options.keepAliveTimeoutMs,
    http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs) },
    // Requests are logged once per GraphQL operation (observability plugin), not per HTTP hit.
    logger: false,
    return503OnClosing: false,
    forceCloseConnections: "idle",
  });
  app.server.maxConnections = options.maxConnections;
  app.server.headersTimeout = headersTimeoutMs;

  await app.register(fastifyCors, {
    origin: options.corsOrigins.includes("*") ? "*" : options.corsOrigins,
    methods: ["GET", "POST", "OPTIONS"],
    maxAge: 600,
    credentials: false,
    strictPreflight: false,
  });

  // `Expect: 100-continue` (curl asks so before a body over 1 MiB): a declared length over the
  // limit is answered 413 at once, so the body is never sent; any other request is told to go on.
  app.server.on("checkContinue", (request, response) => {
    if (!(Number(request.headers["content-length"]) > options.bodyLimitBytes)) response.writeContinue();
    app.server.emit("request", request, response);
  });
  // An answer sent while the body is still arriving (413, 415) closes the connection without a
  // reset, so every client reads it (see linger.ts).
  app.addHook("onSend", (request, reply, payload, done) => {
    if (!request.raw.complete) {
      void reply.header("connection", "close");
      lingerAfterAnswer(request.raw, options.linger);
    }
    done(null, payload);
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const code =
      status === 413
        ? ErrorCode.PAYLOAD_TOO_LARGE
        : status === 415
          ? ErrorCode.UNSUPPORTED_MEDIA_TYPE
          : status < 500
            ? ErrorCode.BAD_REQUEST
            : ErrorCode.INTERNAL_SERVER_ERROR;
    const message =
      status === 413
        ? `The request body is larger than ${options.bodyLimitBytes} bytes (BODY_LIMIT_BYTES)`
        : status < 500
          ? error.message.slice(0, 200)
          : "Internal server error";
    void reply
      .code(status)
      .type("application/json; charset=utf-8")
      .send({ errors: [{ message, extensions: { code } }] });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply
      .code(404)
      .send({ errors: [{ message: "Not found; GraphQL is at /graphql", extensions: { code: ErrorCode.NOT_FOUND } }] });
  });
  return app;
}
