import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleepFor } from "node:timers/promises";
import { TagRegistry } from "../profile/tags.js";
import { stringifyJson } from "../tencent/json.js";
import { validateAccountImport, multiAccountImport } from "./account.handlers.js";
import { checkQuery, type AppCredentials } from "./auth.js";
import { pickLatency, rollFault, type Faults, type Latency } from "./behaviour.js";
import { CallLog, describeCall } from "./calls.js";
import { handleControl } from "./control.js";
import { EnvelopeError, fail, ok, type Envelope } from "./envelope.js";
import { MAX_BODY_BYTES, parseBody, readBody, send } from "./http.js";
import { portraitGet, validatePortraitSet } from "./profile.handlers.js";
import type { Quirks } from "./quirks.js";
import { RuntimeBehaviour } from "./runtime.js";
import { DEMO_ACCOUNTS, seedItems } from "./seed.js";
import { AccountStore } from "./store.js";

export type { CallRecord } from "./calls.js";

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
  /** Answers the real service may give where its docs are silent; none by default. */
  quirks?: Quirks;
  /** A JSON file that keeps the state across restarts. */
  dataFile?: string;
  /** Seed the demo accounts into an empty state. Default true. */
  seed?: boolean;
  /** Clock for UserSig expiry, in seconds. */
  nowSeconds?: () => number;
  random?: () => number;
  /**
   * How the emulator waits out latency and write delays; a test can pass its own to decide when
   * a delay ends. Must reject when `signal` aborts (the emulator closing).
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
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
  const closing = new AbortController();
  // Every call waiting out a delay listens on this one signal; hundreds at once are expected.
  setMaxListeners(0, closing.signal);
  const sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
  const wait = async (ms: number | undefined) => {
    if (ms !== undefined && ms > 0) await sleep(ms, closing.signal);
  };
  const app: AppCredentials = {
    sdkAppId: options.sdkAppId,
    secretKey: options.secretKey,
    admins: new Set([options.adminIdentifier]),
  };
  if (!loaded) {
    store.apply(options.adminIdentifier, []);
    if (options.seed ?? true) {
      for (const demo of DEMO_ACCOUNTS) {
        store.apply(demo.id, seedItems(demo.profile, tags));
      }
    }
    await store.flush();
  }

  const behaviour = new RuntimeBehaviour(
    {
      rateLimit: options.rateLimit ?? 200,
      latency: options.latency ?? { min: 0, max: 0 },
      faults: options.faults ?? {},
      quirks: options.quirks ?? {},
    },
    random,
  );
  const log = new CallLog();
  const quirks = () => behaviour.current.quirks;

  const handlers: Record<string, Handler> = {
    "profile/portrait_get": (body) =>
      portraitGet(store, tags, body, { quirks: quirks(), failures: behaviour.failures }),
    "profile/portrait_set": async (body) => {
      await wait(quirks().writeApplyDelayMs);
      const { account, items } = validatePortraitSet(store, tags, body, quirks());
      store.apply(account, items);
      await store.flush();
      await wait(quirks().writeAnswerDelayMs);
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

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const at = Date.now();
    const api = url.pathname.slice("/v4/".length);
    const profileApi = PROFILE_APIS.has(api);
    const body = await readBody(req);
    await wait(pickLatency(behaviour.current.latency, random));

    const fault = rollFault(behaviour.current.faults, random);
    if (fault === "drop") {
      log.record({ api, at, outcome: "drop" });
      req.socket.destroy();
      return;
    }
    if (fault === "502") {
      log.record({ api, at, outcome: "502" });
      send(res, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
      return;
    }

    let answer: Envelope;
    let parsed: Record<string, unknown> | undefined;
    try {
      const handler = handlers[api];
      if (!handler) throw new EnvelopeError(60009, `wrong resource: no API at ${url.pathname}`);
      if (req.method !== "POST") throw new EnvelopeError(60002, `HTTP method ${req.method} is not supported; use POST`);
      if (behaviour.throttleFor(api)?.tryTake() === false) {
        throw new EnvelopeError(
          60007,
          `REST API call frequency exceeded: at most ${behaviour.current.rateLimit} calls per second`,
        );
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
    // A call refused before its body was read (throttled, bad UserSig) still records what it asked for.
    parsed ??= body === undefined ? undefined : parseQuietly(body);
    log.record({ api, at, outcome: answer.ErrorCode, ...describeCall(api, parsed, answer) });
    send(res, 200, stringifyJson(answer), "application/json; charset=utf-8");
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    const handled = url.pathname.startsWith("/emulator/")
      ? handleControl(req, res, url, behaviour, log)
      : handleApi(req, res, url);
    handled.catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(error) }), "application/json");
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    store,
    tags,
    /** Every call answered, oldest first (see `CallRecord`). */
    calls: log.calls,
    /** Listen on 127.0.0.1 (port 0: an ephemeral port); resolves with the base URL. */
    async listen(port = 0, host = "127.0.0.1"): Promise<string> {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      });
      const address = server.address() as AddressInfo;
      return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
    },
    /** Change behaviour as POST /emulator/config does; throws a RangeError on a bad setting. */
    configure: (patch: Record<string, unknown>) => behaviour.configure(patch),
    get behaviour() {
      return behaviour.describe();
    },
    stats: () => log.summarize(),
    resetStats: () => log.clear(),
    async close(): Promise<void> {
      // Calls still waiting out a delay end now rather than when their timers would.
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.flush();
    },
  };
}

export type Emulator = Awaited<ReturnType<typeof createEmulator>>;

function parseQuietly(text: string): Record<string, unknown> | undefined {
  try {
    return parseBody(text);
  } catch {
    return undefined;
  }
}
