import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { TagRegistry } from "../profile/tags.js";
import { parseJson, stringifyJson } from "../tencent/json.js";
import { validateAccountImport, multiAccountImport } from "./account.handlers.js";
import { checkQuery, type AppCredentials } from "./auth.js";
import {
  describeBehaviour,
  parseFaults,
  parseLatency,
  parseRateLimit,
  pickLatency,
  rollFault,
  Throttle,
  type Behaviour,
  type Faults,
  type Latency,
} from "./behaviour.js";
import { EnvelopeError, fail, ok, type Envelope } from "./envelope.js";
import { portraitGet, validatePortraitSet } from "./profile.handlers.js";
import { DEMO_ACCOUNTS } from "./seed.js";
import { AccountStore } from "./store.js";

export interface EmulatorOptions {
  sdkAppId: number;
  secretKey: string;
  /** App admin accounts allowed to call the REST API. */
  adminIdentifier: string;
  tags: TagRegistry;
  /** Calls per second per API before 60007; 0 = off. Default 200. */
  rateLimit?: number;
  latency?: Latency;
  faults?: Faults;
  /** A JSON file that keeps the state across restarts. */
  dataFile?: string;
  /** Seed the demo accounts into an empty state. Default true. */
  seed?: boolean;
  /** Clock for UserSig expiry, in seconds. */
  nowSeconds?: () => number;
  random?: () => number;
}

/** One REST call the emulator answered, for tests and benchmarks that count upstream calls. */
export interface CallRecord {
  api: string;
  /** ErrorCode answered, or the HTTP status / "drop" of an injected network fault. */
  outcome: number | "502" | "drop";
  /** portrait_get: the accounts asked; portrait_set: the account written. */
  accounts?: string[];
  tags?: string[];
}

type Handler = (body: Record<string, unknown>) => Envelope | Promise<Envelope>;

const PROFILE_APIS = new Set(["profile/portrait_get", "profile/portrait_set"]);

/**
 * The local Tencent profile REST API.
 *
 *   const emulator = await createEmulator({ sdkAppId, secretKey, adminIdentifier, tags });
 *   const url = await emulator.listen(0);   // http://127.0.0.1:<port>
 *   …
 *   await emulator.close();
 */
export async function createEmulator(options: EmulatorOptions) {
  const store = new AccountStore(options.dataFile);
  const loaded = await store.load();
  const tags = options.tags;
  const random = options.random ?? Math.random;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const app: AppCredentials = {
    sdkAppId: options.sdkAppId,
    secretKey: options.secretKey,
    admins: new Set([options.adminIdentifier]),
  };
  if (!loaded) {
    store.apply(options.adminIdentifier, []);
    if (options.seed ?? true) {
      for (const demo of DEMO_ACCOUNTS) {
        store.apply(demo.id, Object.entries(demo.profile).filter(([tag]) => tags.byTag(tag)));
      }
    }
    await store.flush();
  }

  const behaviour: Behaviour = {
    rateLimit: options.rateLimit ?? 200,
    latency: options.latency ?? { min: 0, max: 0 },
    faults: options.faults ?? {},
  };
  let throttles = new Map<string, Throttle>();
  const calls: CallRecord[] = [];
  const maxHistory = 100_000;

  const handlers: Record<string, Handler> = {
    "profile/portrait_get": (body) => portraitGet(store, tags, body),
    "profile/portrait_set": async (body) => {
      const { account, items } = validatePortraitSet(store, tags, body);
      store.apply(account, items);
      await store.flush();
      return ok();
    },
    "im_open_login_svc/account_import": async (body) => {
      const { account, items } = validateAccountImport(body);
      store.apply(account, items);
      await store.flush();
      return ok({}, false);
    },
    "im_open_login_svc/multiaccount_import": async (body) => {
      const answer = multiAccountImport(store, body);
      await store.flush();
      return answer;
    },
  };

  function record(entry: CallRecord): void {
    if (calls.length >= maxHistory) calls.splice(0, calls.length - maxHistory + 1);
    calls.push(entry);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const api = url.pathname.slice("/v4/".length);
    const profileApi = PROFILE_APIS.has(api);
    const body = await readBody(req);
    const latency = pickLatency(behaviour.latency, random);
    if (latency > 0) await sleep(latency);

    const fault = rollFault(behaviour.faults, random);
    if (fault === "drop") {
      record({ api, outcome: "drop" });
      req.socket.destroy();
      return;
    }
    if (fault === "502") {
      record({ api, outcome: "502" });
      send(res, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
      return;
    }

    let answer: Envelope;
    let parsed: Record<string, unknown> | undefined;
    try {
      const handler = handlers[api];
      if (!handler) throw new EnvelopeError(60009, `wrong resource: no API at ${url.pathname}`);
      if (req.method !== "POST") throw new EnvelopeError(60002, `HTTP method ${req.method} is not supported; use POST`);
      if (behaviour.rateLimit > 0 && !throttleFor(api).tryTake()) {
        throw new EnvelopeError(60007, `REST API call frequency exceeded: at most ${behaviour.rateLimit} calls per second`);
      }
      checkQuery(url.searchParams, app, nowSeconds());
      if (body === undefined) throw new EnvelopeError(60003, `request body is larger than ${MAX_BODY_BYTES} bytes`);
      parsed = parseBody(body);
      if (fault === "40006") throw new EnvelopeError(40006, "Err_Profile_Internal_Error: injected fault, retry later");
      if (fault === "70500") throw new EnvelopeError(70500, "internal server error: injected fault, retry later");
      answer = await handler(parsed);
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      answer = fail(error.code, error.info, profileApi);
    }
    record({ api, outcome: answer.ErrorCode, ...describeCall(api, parsed) });
    send(res, 200, stringifyJson(answer), "application/json; charset=utf-8");
  }

  function throttleFor(api: string): Throttle {
    let throttle = throttles.get(api);
    if (!throttle) {
      throttle = new Throttle(behaviour.rateLimit);
      throttles.set(api, throttle);
    }
    return throttle;
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === "/emulator/config") {
      if (req.method === "POST") {
        try {
          configure(parseBody((await readBody(req)) ?? ""));
        } catch (error) {
          const message = error instanceof EnvelopeError || error instanceof RangeError ? error.message : String(error);
          send(res, 400, JSON.stringify({ error: message }), "application/json");
          return;
        }
      }
      send(res, 200, JSON.stringify(describeBehaviour(behaviour)), "application/json");
      return;
    }
    if (url.pathname === "/emulator/stats") {
      if (req.method === "DELETE") calls.length = 0;
      send(res, 200, stringifyJson(summarize(calls)), "application/json");
      return;
    }
    send(res, 404, JSON.stringify({ error: `no emulator endpoint at ${url.pathname}` }), "application/json");
  }

  /** Change behaviour at run time; fields left out stay as they are, `faults: {}` clears faults. */
  function configure(patch: Record<string, unknown>): void {
    const next: Behaviour = { ...behaviour };
    if (patch.rateLimit !== undefined) next.rateLimit = parseRateLimit(patch.rateLimit);
    if (patch.latencyMs !== undefined) next.latency = parseLatency(patch.latencyMs);
    if (patch.faults !== undefined) next.faults = parseFaults(patch.faults);
    if (next.rateLimit !== behaviour.rateLimit) throttles = new Map();
    Object.assign(behaviour, next);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    const route = url.pathname.startsWith("/emulator/") ? handleControl : handleApi;
    route(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(error) }), "application/json");
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    store,
    tags,
    calls,
    /** Listen on 127.0.0.1 (port 0: an ephemeral port); resolves with the base URL. */
    async listen(port = 0, host = "127.0.0.1"): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    },
    configure,
    get behaviour() {
      return describeBehaviour(behaviour);
    },
    stats: () => summarize(calls),
    resetStats: () => void (calls.length = 0),
    async close(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.flush();
    },
  };
}

export type Emulator = Awaited<ReturnType<typeof createEmulator>>;

function describeCall(api: string, body: Record<string, unknown> | undefined): Partial<CallRecord> {
  if (!body) return {};
  if (api === "profile/portrait_get" && Array.isArray(body.To_Account)) {
    return { accounts: body.To_Account as string[], ...(Array.isArray(body.TagList) ? { tags: body.TagList as string[] } : {}) };
  }
  if (api === "profile/portrait_set" && typeof body.From_Account === "string") return { accounts: [body.From_Account] };
  return {};
}

function summarize(calls: readonly CallRecord[]) {
  const byApi: Record<string, { calls: number; outcomes: Record<string, number> }> = {};
  for (const call of calls) {
    const entry = (byApi[call.api] ??= { calls: 0, outcomes: {} });
    entry.calls++;
    entry.outcomes[String(call.outcome)] = (entry.outcomes[String(call.outcome)] ?? 0) + 1;
  }
  return { total: calls.length, byApi, calls };
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The body as text, or undefined when it is over MAX_BODY_BYTES (read to the end either way). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8");
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === "") throw new EnvelopeError(60003, "request body is empty; send a JSON object ({} at least)");
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    throw new EnvelopeError(60003, "request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EnvelopeError(60003, "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
