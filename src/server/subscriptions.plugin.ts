import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";
import type { ChangeSettings } from "../config/changes.js";
import { GRAPHQL_PATH } from "./apollo.js";
import type { Authenticator } from "./auth.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { LiveOperations } from "./subscriptions.operation.js";
import { registerSse } from "./subscriptions.sse.js";
import { wsTransport } from "./subscriptions.ws.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The live-update transports (only when profile changes are on). */
    liveUpdates?: {
      /** Close every WebSocket with 1001 "going away" and refuse new ones (the replica is draining). */
      goingAway(): Promise<void>;
      /** Open WebSocket connections and SSE streams. */
      readonly connections: { ws: number; sse: number };
    };
  }
}

export interface SubscriptionsOptions {
  operations: LiveOperations;
  authenticate: Authenticator;
  settings: ChangeSettings["subscriptions"];
  /** BODY_LIMIT_BYTES: the largest WebSocket message, as for a request body. */
  maxPayloadBytes: number;
  /** CORS_ORIGINS: a browser's WebSocket from another origin is refused unless listed ("*": any). */
  corsOrigins: readonly string[];
  metrics: Metrics;
  logger: Logger;
}

/** Where the SSE transport is served. */
export const STREAM_PATH = `${GRAPHQL_PATH}/stream`;

/**
 * Live updates (`Subscription.profileChanged`) over the network: GraphQL over WebSocket on the
 * upgrade of `/graphql` (subscriptions.ws.ts) and GraphQL over SSE at `/graphql/stream`
 * (subscriptions.sse.ts), with the same token rules, validation and bounds as queries
 * (subscriptions.operation.ts). `app.liveUpdates.goingAway()` starts the drain: WebSockets close
 * with 1001 (their clients reconnect elsewhere); SSE streams complete when the hub closes.
 */
const subscriptions: FastifyPluginAsync<SubscriptionsOptions> = async (app, options) => {
  const { settings, metrics } = options;
  const open = { ws: 0, sse: 0 };
  const count = (transport: "ws" | "sse") => (delta: number) => {
    open[transport] += delta;
    metrics.liveConnections.set({ transport }, open[transport]);
  };
  const ws = wsTransport({
    operations: options.operations,
    authenticate: options.authenticate,
    logger: options.logger,
    heartbeatMs: settings.heartbeatMs,
    initTimeoutMs: settings.initTimeoutMs,
    maxPerConnection: settings.maxPerConnection,
    maxBufferedBytes: settings.maxBufferedBytes,
    maxPayloadBytes: options.maxPayloadBytes,
    onConnections: count("ws"),
  });
  registerSse(app, {
    path: STREAM_PATH,
    operations: options.operations,
    authenticate: options.authenticate,
    logger: options.logger,
    heartbeatMs: settings.heartbeatMs,
    maxBufferedBytes: settings.maxBufferedBytes,
    onConnections: count("sse"),
  });

  const anyOrigin = options.corsOrigins.includes("*");
  let draining = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== GRAPHQL_PATH) return reject(socket, 404, "Not Found");
    if (draining) return reject(socket, 503, "Service Unavailable");
    // Browsers send Origin with a WebSocket, and CORS does not apply to it: the same list decides.
    const origin = request.headers.origin;
    if (origin !== undefined && !anyOrigin && !options.corsOrigins.includes(origin)) {
      return reject(socket, 403, "Forbidden");
    }
    ws.upgrade(request, socket, head);
  };
  app.server.on("upgrade", onUpgrade);

  let gone: Promise<void> | undefined;
  const goingAway = () => {
    draining = true;
    gone ??= ws.goingAway();
    return gone;
  };
  app.decorate("liveUpdates", {
    goingAway,
    get connections() {
      return { ...open };
    },
  });
  // app.close() (a test's, or after the drain) must not wait on upgraded sockets, which the HTTP
  // server still counts as its connections.
  app.addHook("preClose", async () => {
    await goingAway();
    app.server.off("upgrade", onUpgrade);
  });
};

/** An upgrade refused with a bare HTTP status (no WebSocket was opened). */
function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Registered with fastify-plugin: `app.liveUpdates` is the server's, not a child context's. */
export const subscriptionsPlugin = fp(subscriptions, { name: "subscriptions" });
