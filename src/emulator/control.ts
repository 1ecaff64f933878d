import type { IncomingMessage, ServerResponse } from "node:http";
import { stringifyJson } from "../tencent/json.js";
import type { CallLog } from "./calls.js";
import { EnvelopeError } from "./envelope.js";
import { parseBody, readBody, send } from "./http.js";
import type { RuntimeBehaviour } from "./runtime.js";

/**
 * The emulator's own endpoints, beside the Tencent API:
 * `GET|POST /emulator/config` (show or change behaviour) and `GET|DELETE /emulator/stats`
 * (the calls answered, by API and outcome).
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  behaviour: RuntimeBehaviour,
  log: CallLog,
): Promise<void> {
  if (url.pathname === "/emulator/config") {
    if (req.method === "POST") {
      try {
        behaviour.configure(parseBody((await readBody(req)) ?? ""));
      } catch (error) {
        const message = error instanceof EnvelopeError || error instanceof RangeError ? error.message : String(error);
        send(res, 400, JSON.stringify({ error: message }), "application/json");
        return;
      }
    }
    send(res, 200, JSON.stringify(behaviour.describe()), "application/json");
    return;
  }
  if (url.pathname === "/emulator/stats") {
    if (req.method === "DELETE") log.clear();
    send(res, 200, stringifyJson(log.summarize()), "application/json");
    return;
  }
  send(res, 404, JSON.stringify({ error: `no emulator endpoint at ${url.pathname}` }), "application/json");
}
