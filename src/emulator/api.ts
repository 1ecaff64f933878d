import type { IncomingMessage, ServerResponse } from "node:http";
import { stringifyJson } from "../tencent/json.js";
import { checkQuery, type AppCredentials } from "./auth.js";
import { pickLatency, rollFault } from "./behaviour.js";
import { describeCall, type CallLog, type EmulatorApi } from "./calls.js";
import { EnvelopeError, fail, type Envelope } from "./envelope.js";
import { MAX_BODY_BYTES, parseBody, readBody, send } from "./http.js";
import { isHttpOutage } from "./outage.js";
import type { RuntimeBehaviour } from "./runtime.js";

/** Who made a REST call, for the handlers that report it onwards (the profile-change callback). */
export interface CallContext {
  /** The `identifier` of the call: an app admin once the UserSig was checked. */
  identifier: string;
  /** The caller's IP address. */
  clientIp: string;
}

export type Handler = (body: Record<string, unknown>, context: CallContext) => Envelope | Promise<Envelope>;

export interface ApiDeps {
  handlers: Readonly<Record<EmulatorApi, Handler>>;
  behaviour: RuntimeBehaviour;
  log: CallLog;
  app: AppCredentials;
  nowSeconds: () => number;
  random: () => number;
  wait: (ms: number | undefined) => Promise<void>;
}

const PROFILE_APIS = new Set(["profile/portrait_get", "profile/portrait_set"]);

// What an nginx-style gateway answers for a path it does not route; Tencent serves only /v4/.
const NOT_FOUND_PAGE = "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>";

/**
 * One REST call, in the order a gateway and then the service would handle it: the `/v4/` prefix
 * (HTTP 404 otherwise), latency, gateway faults (502, dropped connection, an HTTP `outage`), the
 * API path (60009), method, throttle (60007), query and UserSig, body, then injected whole-call
 * 40006/70500 (an `outage` first, else `faults`), and finally the API itself.
 */
export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, deps: ApiDeps): Promise<void> {
  const { behaviour, log } = deps;
  const at = Date.now();
  if (!url.pathname.startsWith("/v4/")) {
    await readBody(req);
    log.record({ api: url.pathname, at, outcome: "404" });
    send(res, 404, NOT_FOUND_PAGE, "text/html");
    return;
  }
  const api = url.pathname.slice("/v4/".length);
  const profileApi = PROFILE_APIS.has(api);
  const body = await readBody(req);
  await deps.wait(pickLatency(behaviour.current.latency, deps.random));

  // An outage covering this call replaces the rolled faults: what fails is then known exactly.
  const outage = behaviour.outageFor(api);
  if (outage !== undefined && isHttpOutage(outage) && behaviour.takeOutage(api) !== undefined) {
    log.record({ api, at, outcome: `${outage}`, injected: "outage" });
    send(res, outage, `<html><body><h1>${outage} Gateway Error</h1></body></html>`, "text/html");
    return;
  }
  const fault = outage === undefined ? rollFault(behaviour.current.faults, deps.random) : undefined;
  if (fault === "drop") {
    log.record({ api, at, outcome: "drop", injected: "fault" });
    req.socket.destroy();
    return;
  }
  if (fault === "502") {
    log.record({ api, at, outcome: "502", injected: "fault" });
    send(res, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
    return;
  }

  let answer: Envelope;
  let parsed: Record<string, unknown> | undefined;
  let injected: "outage" | "fault" | undefined;
  try {
    const handler = (deps.handlers as Readonly<Record<string, Handler>>)[api];
    if (!handler) throw new EnvelopeError(60009, `wrong resource: no API at ${url.pathname}`);
    if (req.method !== "POST") throw new EnvelopeError(60002, `HTTP method ${req.method} is not supported; use POST`);
    if (behaviour.throttleFor(api)?.tryTake() === false) {
      throw new EnvelopeError(
        60007,
        `REST API call frequency exceeded: at most ${behaviour.current.rateLimit} calls per second`,
      );
    }
    checkQuery(url.searchParams, deps.app, deps.nowSeconds());
    if (body === undefined) throw new EnvelopeError(60003, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    parsed = parseBody(body);
    const whole = outage !== undefined && !isHttpOutage(outage) ? behaviour.takeOutage(api) : undefined;
    if (whole !== undefined) injected = "outage";
    else if (fault === "40006" || fault === "70500") injected = "fault";
    const code = whole ?? (injected === "fault" ? Number(fault) : undefined);
    if (code === 40006) throw new EnvelopeError(40006, `Err_Profile_Internal_Error: injected ${injected}, retry later`);
    if (code === 70500) throw new EnvelopeError(70500, `internal server error: injected ${injected}, retry later`);
    answer = await handler(parsed, {
      identifier: url.searchParams.get("identifier") ?? "",
      clientIp: clientIpOf(req),
    });
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    answer = fail(error.code, error.info, profileApi);
  }
  // A call refused before its body was read (throttled, bad UserSig) still records what it asked for.
  parsed ??= body === undefined ? undefined : parseQuietly(body);
  log.record({
    api,
    at,
    outcome: answer.ErrorCode,
    ...(injected ? { injected } : {}),
    ...describeCall(api, parsed, answer),
  });
  send(res, 200, stringifyJson(answer), "application/json; charset=utf-8");
}

/** The peer's IPv4 address as Tencent writes it (`127.0.0.1`, not `::ffff:127.0.0.1`). */
export function clientIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "";
  return address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
}

function parseQuietly(text: string): Record<string, unknown> | undefined {
  try {
    return parseBody(text);
  } catch {
    return undefined;
  }
}
