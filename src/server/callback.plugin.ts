import type { FastifyError, FastifyPluginAsync } from "fastify";
import type { CallbackSettings as CallbackConfig } from "../config/changes.js";
import { CALLBACK_OK, checkCallback } from "../profile/changes/callback.js";
import type { ChangeHub } from "../profile/changes/hub.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";

export interface CallbackOptions {
  settings: CallbackConfig;
  /** The token to check Sign with (signed and embedded modes); undefined in the unsigned mode. */
  token: string | undefined;
  sdkAppId: number;
  hub: ChangeHub;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The receiver of Tencent's third-party callbacks at `TIM_CALLBACK_PATH` (POST). Each delivery is
 * checked (src/profile/changes/callback.ts) and counted (`portrait_graph_callbacks_total{command,
 * outcome}`); a refusal gets its status and a one-line reason, never a stack trace. An accepted
 * `Profile.CallbackPortraitSet` is answered at once, as Tencent expects of an after-event callback,
 * and applied after: the hub invalidates the account on every replica and publishes the change.
 * The body is read as text with its own limit (TIM_CALLBACK_BODY_LIMIT_BYTES), so integers keep
 * every digit.
 */
export const callbackPlugin: FastifyPluginAsync<CallbackOptions> = async (app, options) => {
  const { settings, hub, metrics, logger } = options;
  const count = (command: string, outcome: string) => metrics.callbacks.inc({ command, outcome });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: settings.bodyLimitBytes }, (_request, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const tooLarge = error.statusCode === 413;
    count("none", tooLarge ? "too_large" : "malformed");
    const status = tooLarge ? 413 : error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
    return reply
      .code(status)
      .type("application/json; charset=utf-8")
      .send({
        ActionStatus: "FAIL",
        ErrorCode: status,
        ErrorInfo: tooLarge
          ? `The callback body is larger than ${settings.bodyLimitBytes} bytes (TIM_CALLBACK_BODY_LIMIT_BYTES)`
          : "The callback could not be read",
      });
  });
  app.post(settings.path, async (request, reply) => {
    const query = new URL(request.url, "http://callback").searchParams;
    const body = typeof request.body === "string" ? request.body : "";
    const check = checkCallback(query, body, { sdkAppId: options.sdkAppId, token: options.token });
    count(check.command, check.outcome);
    if (check.status !== 200) {
      logger.warn({ outcome: check.outcome, reason: check.reason }, "callback refused");
      return reply
        .code(check.status)
        .type("application/json; charset=utf-8")
        .send({ ActionStatus: "FAIL", ErrorCode: check.status, ErrorInfo: check.reason ?? "refused" });
    }
    if (check.change) {
      const change = check.change;
      // Tencent waits for nothing: answer first, apply after.
      setImmediate(() => {
        hub.received(change).then(
          (verdict) => metrics.changes.inc({ source: "callback", verdict }),
          (error: unknown) => logger.error({ err: error as Error }, "applying a profile change failed"),
        );
      });
    }
    return reply.type("application/json; charset=utf-8").send(CALLBACK_OK);
  });
};
