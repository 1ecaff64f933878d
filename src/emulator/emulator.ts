import { setMaxListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleepFor } from "node:timers/promises";
import { TagRegistry } from "../profile/tags.js";
import { accountDelete, multiAccountImport, validateAccountImport } from "./account.handlers.js";
import { handleApi, type ApiDeps, type Handler } from "./api.js";
import type { AppCredentials } from "./auth.js";
import type { Faults, Latency } from "./behaviour.js";
import type { CallbackOptions } from "./callback.settings.js";
import { CallbackSender } from "./callbacks.js";
import { CallLog, type EmulatorApi } from "./calls.js";
import { handleControl, type OtherWriter } from "./control.js";
import { ok } from "./envelope.js";
import { send } from "./http.js";
import { portraitGet, validatePortraitSet } from "./profile.handlers.js";
import type { Quirks } from "./quirks.js";
import { RuntimeBehaviour } from "./runtime.js";
import { DEMO_ACCOUNTS, seedItems } from "./seed.js";
import { AccountStore } from "./store.js";

export type { CallbackDelivery } from "./callbacks.js";
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
  /** Clock for `outage` times and callback event times, in ms since the epoch. */
  nowMs?: () => number;
  /** A sustained whole-call failure from the start (see `outage.ts`); none by default. */
  outage?: { code: number | string; calls?: number; forMs?: number; untilMs?: number; apis?: string[] };
  /**
   * Profile.CallbackPortraitSet after every profile change, e.g. `{urls: [receiver], token}`;
   * the fields and quirks are in callback.settings.ts. Off by default.
   */
  callbacks?: CallbackOptions;
  random?: () => number;
  /**
   * How the emulator waits out latency and write delays; a test can pass its own to decide when
   * a delay ends. Must reject when `signal` aborts (the emulator closing).
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

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
  const nowMs = options.nowMs ?? Date.now;
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

  const callbacks = new CallbackSender({
    sdkAppId: options.sdkAppId,
    nowMs,
    random,
    sleep,
    signal: closing.signal,
  });
  const behaviour = new RuntimeBehaviour(
    {
      rateLimit: options.rateLimit ?? 200,
      latency: options.latency ?? { min: 0, max: 0 },
      faults: options.faults ?? {},
      quirks: options.quirks ?? {},
    },
    random,
    nowMs,
    callbacks,
  );
  if (options.outage) behaviour.configure({ outage: options.outage });
  if (options.callbacks) behaviour.configure({ callbacks: options.callbacks });
  const log = new CallLog();
  const quirks = () => behaviour.current.quirks;

  /** A profile write, from the REST API or another writer: checked, applied, then reported. */
  async function writeProfile(body: Record<string, unknown>, writer: Required<OtherWriter>): Promise<void> {
    const { account, items } = validatePortraitSet(store, tags, body, quirks());
    store.apply(account, items);
    await store.flush();
    callbacks.notify({ account, ...writer, items: [...items] });
  }

  const handlers: Record<EmulatorApi, Handler> = {
    "profile/portrait_get": (body) =>
      portraitGet(store, tags, body, { quirks: quirks(), failures: behaviour.failures }),
    "profile/portrait_set": async (body, caller) => {
      await wait(quirks().writeApplyDelayMs);
      await writeProfile(body, { platform: "RESTAPI", operator: caller.identifier, clientIp: caller.clientIp });
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
    "im_open_login_svc/account_delete": async (body) => {
      const answer = accountDelete(store, body);
      await store.flush();
      return answer;
    },
  };

  const api: ApiDeps = { handlers, behaviour, log, app, nowSeconds, random, wait };
  /** Another writer (a user's client SDK by default) changes a profile behind the service's back. */
  const changeProfile = (account: unknown, items: unknown, writer: OtherWriter = {}) =>
    writeProfile(
      { From_Account: account, ProfileItem: items },
      {
        platform: writer.platform ?? "iOS",
        operator: writer.operator ?? (typeof account === "string" ? account : ""),
        clientIp: writer.clientIp ?? "127.0.0.1",
      },
    );

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    const handled = url.pathname.startsWith("/emulator/")
      ? handleControl(req, res, url, { behaviour, log, callbacks, changeProfile })
      : handleApi(req, res, url, api);
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
    /** Every profile-change callback sent or dropped, oldest first (see `CallbackDelivery`). */
    callbacks: callbacks.log,
    /** Resolves when no callback is on its way. */
    callbacksSettled: () => callbacks.settled(),
    /**
     * Another writer changes a profile, as POST /emulator/profile does: checked like portrait_set
     * (an EnvelopeError with Tencent's code otherwise), applied, and reported by callback.
     *
     *   await emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "娜娜" }], { platform: "Android" });
     */
    changeProfile: (account: string, items: readonly { Tag: string; Value: unknown }[], writer?: OtherWriter) =>
      changeProfile(account, items, writer),
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
