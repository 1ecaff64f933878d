import type { IncomingMessage, ServerResponse } from "node:http";
import { stringifyJson } from "../tencent/json.js";
import { clientIpOf } from "./api.js";
import { OPT_PLATFORMS, type OptPlatform } from "./callback.settings.js";
import type { CallbackSender } from "./callbacks.js";
import type { CallLog } from "./calls.js";
import { EnvelopeError } from "./envelope.js";
import { parseBody, readBody, send } from "./http.js";
import type { RuntimeBehaviour } from "./runtime.js";

/** A change made behind the service's back: by a user's client SDK, the console, another back end. */
export interface OtherWriter {
  /** Where the change came from (the callback's `OptPlatform`). Default `iOS`. */
  platform?: OptPlatform;
  /** Who made it (the callback's `Operator_Account`). Default: the account itself. */
  operator?: string;
  /** The callback's `ClientIP`. Default: the caller of POST /emulator/profile, or 127.0.0.1. */
  clientIp?: string;
}

export interface ControlDeps {
  behaviour: RuntimeBehaviour;
  log: CallLog;
  callbacks: CallbackSender;
  /** Validate like portrait_set, apply, and send the callback; throws an EnvelopeError. */
  changeProfile: (account: unknown, items: unknown, writer: OtherWriter) => Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, stringifyJson(body), "application/json");

/**
 * The emulator's own endpoints, beside the Tencent API:
 * `GET|POST /emulator/config` (show or change behaviour), `GET|DELETE /emulator/stats` (the calls
 * answered, by API and outcome), `GET|DELETE /emulator/callbacks` (the profile-change callbacks
 * sent) and `POST /emulator/profile` (another writer changes a profile).
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: ControlDeps,
): Promise<void> {
  const { behaviour, log, callbacks } = deps;
  if (url.pathname === "/emulator/config") {
    if (req.method === "POST") {
      try {
        behaviour.configure(parseBody((await readBody(req)) ?? ""));
      } catch (error) {
        return json(res, 400, { error: reason(error) });
      }
    }
    return json(res, 200, behaviour.describe());
  }
  if (url.pathname === "/emulator/stats") {
    if (req.method === "DELETE") log.clear();
    return json(res, 200, log.summarize());
  }
  if (url.pathname === "/emulator/callbacks") {
    if (req.method === "DELETE") callbacks.clear();
    return json(res, 200, { total: callbacks.log.length, deliveries: callbacks.log });
  }
  if (url.pathname === "/emulator/profile") {
    if (req.method !== "POST") return json(res, 405, { error: "POST a change: {account, items, platform?}" });
    try {
      const body = parseBody((await readBody(req)) ?? "");
      const { account, items, platform, operator, clientIp, ...rest } = body;
      const unknown = Object.keys(rest);
      if (unknown.length > 0) {
        throw new RangeError(`unknown field "${unknown[0]}"; expected account, items, platform, operator, clientIp`);
      }
      await deps.changeProfile(account, items, {
        platform: platformOf(platform),
        ...(operator !== undefined ? { operator: stringField(operator, "operator") } : {}),
        clientIp: clientIp !== undefined ? stringField(clientIp, "clientIp") : clientIpOf(req),
      });
    } catch (error) {
      const code = error instanceof EnvelopeError ? { code: error.code } : {};
      return json(res, 400, { error: reason(error), ...code });
    }
    return json(res, 200, { ok: true });
  }
  json(res, 404, { error: `no emulator endpoint at ${url.pathname}` });
}

function platformOf(value: unknown): OptPlatform {
  if (value === undefined) return "iOS";
  if (!(OPT_PLATFORMS as readonly unknown[]).includes(value)) {
    throw new RangeError(`platform must be one of ${OPT_PLATFORMS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as OptPlatform;
}

function stringField(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw new RangeError(`${name} must be a non-empty string`);
  return value;
}

function reason(error: unknown): string {
  if (error instanceof EnvelopeError || error instanceof RangeError) return error.message;
  throw error;
}
