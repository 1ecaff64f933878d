import type { FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * Start draining (`/readyz` answers 503 from now on, every answer says `Connection: close`),
     * then resolve once no request is in flight and none has arrived for a short while, or at
     * `until` (`performance.now()` clock), whichever comes first.
     */
    drain(until: number): Promise<void>;
  }
}

export interface DrainOptions {
  /** Readiness: `drain()` turns `/readyz` to 503, `draining` says whether it has. */
  readiness: { drain(): void; readonly draining: boolean };
}

// Draining ends once no request has arrived for this long: clients that were told to close see it.
const QUIET_MS = 250;
const POLL_MS = 20;

/**
 * Graceful drain, for every route: counts the requests in flight and, once draining, tells each
 * client not to reuse its connection. `app.drain(until)` waits for them; closing is the caller's.
 */
const drain: FastifyPluginAsync<DrainOptions> = async (app, { readiness }) => {
  let inFlight = 0;
  let lastRequestAt = performance.now();
  // Hooks on every request take a callback, not a promise: nothing in them waits.
  app.addHook("onRequest", (_request, reply, done) => {
    inFlight++;
    lastRequestAt = performance.now();
    // "close" fires once per response: when it was sent, or when its connection went away.
    reply.raw.once("close", () => void inFlight--);
    if (readiness.draining) void reply.header("connection", "close");
    done();
  });
  app.decorate("drain", async (until: number) => {
    readiness.drain();
    while (performance.now() < until && (inFlight > 0 || performance.now() - lastRequestAt < QUIET_MS)) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  });
};

/** Registered with fastify-plugin: its hook must see every route, not only its own. */
export const drainPlugin = fp(drain, { name: "drain" });
