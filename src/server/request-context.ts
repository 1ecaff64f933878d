import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Context } from "../graphql/context.js";
import type { ProfileChange } from "../profile/changes/change.js";
import type { ChangeHub } from "../profile/changes/hub.js";
import { ErrorCode } from "../profile/error-codes.js";
import { ProfileError } from "../profile/errors.js";
import type { ProfileDispatcher } from "../profile/dispatcher.js";
import { ProfileService, type ProfileWriter } from "../profile/profile.service.js";
import type { TagRegistry } from "../profile/tags.js";
import type { Authenticator } from "./auth.js";
import type { Logger } from "./logger.js";
import type { Viewer } from "../profile/viewer.js";

export interface RequestContextOptions {
  authenticate: Authenticator;
  dispatcher: ProfileDispatcher;
  writer: ProfileWriter;
  registry: TagRegistry;
  /** REQUEST_DEADLINE_MS: time the request may spend waiting for Tencent, retries included. */
  deadlineMs: number;
  maxUsers: number;
  maxSubscriptionIds: number;
  /** Profile changes, for profileChanged (undefined: live updates off). */
  changes?: ChangeHub | undefined;
  /** Where ProfileService publishes this service's own writes. */
  publishWrite?: ((change: ProfileChange) => Promise<unknown>) | undefined;
  logger: Logger;
}

/**
 * The GraphQL context of one HTTP request (every operation of a batch starts from it): the viewer
 * from the bearer token, and a ProfileService whose waits for Tencent end at the request's
 * deadline, or as soon as the client disconnects before its answer was sent. A read that has not
 * left by then is dropped (the dispatcher forms no call for accounts nobody waits for any more),
 * while accounts other requests wait for still go. A request that writes is not cancelled by a
 * disconnect: once a write may reach Tencent, cutting it would only make its outcome unknown.
 */
export function requestContext(options: RequestContextOptions) {
  const { deadlineMs } = options;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<Context> => {
    const viewer = await options.authenticate(request.headers.authorization);
    const http = { writes: false };
    const end = new RequestEnd(reply.raw, http, performance.now() + deadlineMs, deadlineMs);
    const profiles = new ProfileService({
      dispatcher: options.dispatcher,
      writer: options.writer,
      registry: options.registry,
      viewer,
      get signal() {
        return end.signal;
      },
      deadline: end.deadline,
      report: (message) => options.logger.warn(message),
      ...(options.publishWrite ? { changes: { wrote: options.publishWrite } } : {}),
    });
    return {
      viewer,
      profiles,
      plan: undefined,
      maxUsers: options.maxUsers,
      maxSubscriptionIds: options.maxSubscriptionIds,
      changes: options.changes,
      http,
    };
  };
}

/**
 * When an HTTP request's waits for Tencent end: at its deadline, or as soon as its client goes away
 * before the answer was sent (unless it writes). Nothing is armed until something asks for the
 * signal, which only a read that must wait for Tencent (or a write) does: a read the cache answers
 * costs no AbortController, no timer and no listener.
 */
export class RequestEnd {
  #controller: AbortController | undefined;
  readonly #response: ServerResponse;
  readonly #http: { readonly writes: boolean };
  readonly #deadlineMs: number;
  /** The deadline on the `performance.now()` clock. */
  readonly deadline: number;

  constructor(response: ServerResponse, http: { readonly writes: boolean }, deadline: number, deadlineMs: number) {
    this.#response = response;
    this.#http = http;
    this.deadline = deadline;
    this.#deadlineMs = deadlineMs;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = (this.#controller = new AbortController());
    const response = this.#response;
    const left = this.deadline - performance.now();
    if (response.closed) {
      if (this.#gone()) controller.abort(disconnected());
    } else if (left <= 0) {
      controller.abort(deadlinePassed(this.#deadlineMs));
    } else {
      const timer = setTimeout(() => controller.abort(deadlinePassed(this.#deadlineMs)), left);
      timer.unref();
      // "close" fires once: when the answer was sent, or when the connection went away before.
      response.once("close", () => {
        clearTimeout(timer);
        if (this.#gone()) controller.abort(disconnected());
      });
    }
    return controller.signal;
  }

  // The client went away before its answer was sent, and nothing this request does is a write.
  #gone(): boolean {
    return !this.#response.writableFinished && !this.#http.writes;
  }
}

function disconnected(): ProfileError {
  return new ProfileError("The client disconnected before its answer was sent", {
    code: ErrorCode.CLIENT_CLOSED_REQUEST,
  });
}

/**
 * The context of one operation over the WebSocket or SSE transport: the viewer was authenticated
 * when the connection (or stream) opened, `signal` ends when the operation does (the client
 * completed it, or went away). Each change of a subscription then gets its own deadline (see
 * `Context.eventWindow`): reads of `user { profile }` wait for Tencent at most REQUEST_DEADLINE_MS.
 */
export function operationContext(options: RequestContextOptions) {
  const { deadlineMs } = options;
  // A signal that ends at the deadline or with the operation, whichever is first. (Not
  // AbortSignal.any: each change would leave a dependant on the operation's long-lived signal.)
  const window = (operation: AbortSignal) => {
    const controller = new AbortController();
    const end = () => controller.abort(operation.reason);
    if (operation.aborted) end();
    else operation.addEventListener("abort", end, { once: true });
    setTimeout(() => {
      operation.removeEventListener("abort", end);
      controller.abort(deadlinePassed(deadlineMs));
    }, deadlineMs).unref();
    return { signal: controller.signal, deadline: performance.now() + deadlineMs };
  };
  return (viewer: Viewer | undefined, signal: AbortSignal): Context => {
    const profiles = new ProfileService({
      dispatcher: options.dispatcher,
      writer: options.writer,
      registry: options.registry,
      viewer,
      ...window(signal),
      report: (message) => options.logger.warn(message),
      ...(options.publishWrite ? { changes: { wrote: options.publishWrite } } : {}),
    });
    return {
      viewer,
      profiles,
      plan: undefined,
      maxUsers: options.maxUsers,
      maxSubscriptionIds: options.maxSubscriptionIds,
      changes: options.changes,
      eventWindow: () => window(signal),
      // Only subscriptions run over these transports: nothing writes.
      http: { writes: false },
    };
  };
}

function deadlinePassed(deadlineMs: number): ProfileError {
  return new ProfileError(`The request's deadline of ${deadlineMs} ms passed while waiting for Tencent`, {
    code: ErrorCode.UPSTREAM_UNAVAILABLE,
  });
}
