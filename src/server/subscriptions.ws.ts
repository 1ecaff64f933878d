import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError } from "graphql";
import { CloseCode, handleProtocols, makeServer, type Context as WsContext } from "graphql-ws";
import { WebSocketServer, type WebSocket } from "ws";
import type { Viewer } from "../graphql/context.js";
import { ErrorCode } from "../profile/error-codes.js";
import type { Authenticator } from "./auth.js";
import type { Logger } from "./logger.js";
import { asGraphQLError, endOperation, type LiveOperations } from "./subscriptions.operation.js";

export interface WsTransportOptions {
  operations: LiveOperations;
  authenticate: Authenticator;
  logger: Logger;
  /** Keep-alive ping interval; a client that has not answered the previous ping by the next is dropped. */
  heartbeatMs: number;
  /** Time a client has to send connection_init. */
  initTimeoutMs: number;
  /** Operations one connection may run at once. */
  maxPerConnection: number;
  /** Bytes waiting to be sent before the client counts as too slow. */
  maxBufferedBytes: number;
  /** Largest message a client may send (BODY_LIMIT_BYTES, as for an HTTP request body). */
  maxPayloadBytes: number;
  /** Called as connections open (+1) and close (-1), for the metrics. */
  onConnections: (delta: number) => void;
}

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  viewer?: Viewer;
  /** The Authorization value the connection was opened with (kept in memory only, never logged). */
  authorization?: string | undefined;
  /** Each running operation's controller: aborting it drops the reads it still waits for. */
  operations: Map<string, AbortController>;
}

/** How long sockets told to go away get to close before they are cut. */
const GOING_AWAY_MS = 1_000;
// The reason of a close frame is at most 123 bytes.
const closeReason = (reason: string) =>
  Buffer.from(reason)
    .subarray(0, 123)
    .toString()
    .replace(/\uFFFD$/, "");

/**
 * GraphQL over WebSocket (graphql-ws's `graphql-transport-ws` protocol, what Apollo Router, Hive
 * Gateway and Apollo Client speak) on the upgrade of `/graphql`. The token is checked once, at
 * connection_init (`connectionParams.Authorization`, or the upgrade request's Authorization
 * header): a missing or bad one closes the socket with 4401 and the reason, never the token.
 * Bounds: MAX_SUBSCRIPTIONS_PER_CONNECTION operations, messages of at most BODY_LIMIT_BYTES, a
 * connection_init within SUBSCRIPTION_INIT_TIMEOUT_MS, a ping every SUBSCRIPTION_HEARTBEAT_MS,
 * and a client whose unsent data passes SUBSCRIPTION_MAX_BUFFERED_BYTES is dropped (1013).
 */
export function wsTransport(options: WsTransportOptions) {
  const { operations, logger } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, handleProtocols });
  const sockets = new Set<WebSocket>();

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    connectionInitWaitTimeout: options.initTimeoutMs,
    onConnect: async (ctx) => {
      const authorization = bearerOf(ctx.connectionParams) ?? ctx.extra.request.headers.authorization;
      let viewer: Viewer | undefined;
      try {
        viewer = await options.authenticate(authorization);
      } catch (error) {
        return refuse(ctx, `Unauthorized: ${error instanceof Error ? error.message : "invalid token"}`);
      }
      if (!viewer) {
        return refuse(
          ctx,
          'Unauthorized: a bearer token is required (connectionParams {"Authorization": "Bearer <JWT>"})',
        );
      }
      ctx.extra.viewer = viewer;
      ctx.extra.authorization = authorization;
      return true;
    },
    onSubscribe: async (ctx, id, payload) => {
      // A connection outlives its token: each new operation checks it again (cached until `exp`).
      try {
        await options.authenticate(ctx.extra.authorization);
      } catch (error) {
        return [asGraphQLError(error)];
      }
      // The subscription being started already holds its place in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > options.maxPerConnection) {
        return [
          new GraphQLError(
            `This connection already runs ${options.maxPerConnection} operations (MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one or open another connection`,
            { extensions: { code: ErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED } },
          ),
        ];
      }
      const prepared = operations.prepare(ctx.extra.viewer, payload);
      if (Array.isArray(prepared)) return prepared;
      ctx.extra.operations.set(id, prepared.controller);
      return prepared.args;
    },
    onNext: (ctx, _id, _payload, _args, result) => {
      const socket = ctx.extra.socket;
      // The hub's queue bounds changes not yet executed; this bounds what is executed but unsent.
      if (socket.bufferedAmount > options.maxBufferedBytes) dropSlow(socket, options.maxBufferedBytes);
      return operations.formatResult(result);
    },
    onError: (_ctx, _id, _payload, errors) => operations.format(errors),
    onComplete: (ctx, id) => {
      endOperation(ctx.extra.operations.get(id));
      ctx.extra.operations.delete(id);
    },
  });

  function refuse(ctx: WsContext<Record<string, unknown> | undefined, Extra>, reason: string): false {
    // The reason comes from the authenticator, which never quotes the token.
    logger.info({ transport: "ws", reason }, "live update refused");
    ctx.extra.socket.close(CloseCode.Unauthorized, closeReason(reason));
    return false;
  }

  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    sockets.add(socket);
    options.onConnections(1);
    const extra: Extra = { socket, request, operations: new Map() };
    // A ping each interval; no pong by the next one and the client is gone.
    let answered = true;
    socket.on("pong", () => (answered = true));
    const heartbeat = setInterval(() => {
      if (!answered) return socket.terminate();
      answered = false;
      socket.ping();
    }, options.heartbeatMs);
    heartbeat.unref();
    socket.on("error", (error) => logger.warn({ error: error.message }, "websocket error"));
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (receive) =>
          socket.on("message", (data: Buffer) => {
            receive(data.toString()).catch((error: unknown) => {
              logger.error({ err: error instanceof Error ? error : new Error(String(error)) }, "websocket message");
              if (socket.readyState === socket.OPEN)
                socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      extra,
    );
    socket.once("close", (code: number, reason: Buffer) => {
      clearInterval(heartbeat);
      sockets.delete(socket);
      options.onConnections(-1);
      for (const controller of extra.operations.values()) endOperation(controller);
      void closed(code, reason.toString());
    });
  });

  return {
    /** Take over an upgrade of `/graphql`. */
    upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
    },
    get connections(): number {
      return sockets.size;
    },
    /**
     * Close every connection with 1001 "going away" (clients reconnect, to another replica, and
     * resubscribe), and resolve once they are closed: those that do not answer within a second are cut.
     */
    async goingAway(): Promise<void> {
      const open = [...sockets];
      const closed = open.map((socket) => new Promise((resolve) => socket.once("close", resolve)));
      for (const socket of open) socket.close(1001, "Going away: the replica is draining; reconnect");
      const cut = setTimeout(() => open.forEach((socket) => socket.terminate()), GOING_AWAY_MS);
      await Promise.all(closed);
      clearTimeout(cut);
      wss.close();
    },
  };
}

/** A client too slow to read what it was sent: closed (1013, try again later), cut if it does not answer. */
export function dropSlow(
  socket: Pick<WebSocket, "close" | "terminate" | "once" | "readyState">,
  maxBufferedBytes: number,
): void {
  if (socket.readyState !== 1) return; // already closing
  socket.close(
    1013,
    closeReason(`Too slow: over ${maxBufferedBytes} bytes unsent; resubscribe with the last cursor received`),
  );
  const cut = setTimeout(() => socket.terminate(), GOING_AWAY_MS);
  cut.unref();
  socket.once("close", () => clearTimeout(cut));
}

/** `connectionParams.Authorization` (or `authorization`), as Apollo Client and routers send it. */
function bearerOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === "string" ? value : undefined;
}
