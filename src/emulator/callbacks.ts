import { createHash } from "node:crypto";
import { request } from "undici";
import { DEFAULTS } from "../config/defaults.js";
import { redactUrl } from "../util/redact.js";
import type { TagValue } from "../profile/tags.js";
import { stringifyJson } from "../tencent/json.js";
import { CallbackQuirks } from "./callback.quirks.js";
import {
  NO_CALLBACKS,
  parseCallbackSettings,
  type CallbackQuirk,
  type CallbackSettings,
  type OptPlatform,
} from "./callback.settings.js";

export const CALLBACK_COMMAND = "Profile.CallbackPortraitSet";
/** How old the `staleTime` quirk makes RequestTime: well past the 60 s a receiver must accept. */
const STALE_SECONDS = 120;
const MAX_LOG = 10_000;

/** A profile change that happened: what Tencent reports in Profile.CallbackPortraitSet. */
export interface ProfileChange {
  /** Whose profile changed (`From_Account`). */
  account: string;
  /** Who changed it (`Operator_Account`): the app admin for a REST write, the user from a client. */
  operator: string;
  platform: OptPlatform;
  clientIp: string;
  /** The tags written and their new values, in the order written. */
  items: ReadonlyArray<readonly [string, TagValue]>;
}

/** One callback the emulator sent (or dropped), for tests: GET /emulator/callbacks, `emulator.callbacks`. */
export interface CallbackDelivery {
  /** The change's number, from 1, in the order the changes happened. */
  event: number;
  /** The configured URL, without the query the emulator appends. */
  url: string;
  account: string;
  operator: string;
  platform: OptPlatform;
  eventTime: number;
  /** The quirks this change got. */
  quirks: CallbackQuirk[];
  /** 2 for the second copy of a duplicated callback. */
  copy?: 2;
  /** The RequestTime sent (signed callbacks only). */
  requestTime?: number;
  /** When it was sent (or dropped), ms since the epoch. */
  at: number;
  /** The receiver's HTTP status, "error" (no answer: refused, reset, timed out) or "dropped" (never sent). */
  outcome: number | "error" | "dropped";
  error?: string;
}

export interface CallbackSenderOptions {
  sdkAppId: number;
  nowMs: () => number;
  random: () => number;
  /** Waits out the `delay` quirk; must reject when `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted when the emulator closes: pending delays and requests end. */
  signal: AbortSignal;
  timeoutMs?: number;
}

/**
 * Sends Tencent's third-party callback `Profile.CallbackPortraitSet` after every profile change,
 * as Tencent does: a POST per configured URL, at most once, in no promised order, its answer
 * ignored. Each delivery is logged with its outcome.
 */
export class CallbackSender {
  readonly log: CallbackDelivery[] = [];
  #settings: CallbackSettings = NO_CALLBACKS;
  #quirks: CallbackQuirks;
  #events = 0;
  #inFlight = new Set<Promise<void>>();
  /** `outOfOrder` callbacks waiting for the next one to go first. */
  #held: (() => Promise<void>)[] = [];

  constructor(readonly options: CallbackSenderOptions) {
    this.#quirks = new CallbackQuirks(this.#settings, options.random);
  }

  get settings(): CallbackSettings {
    return this.#settings;
  }

  /** Validate a `callbacks` patch over the current settings, without applying it. */
  parse(patch: unknown): CallbackSettings {
    return parseCallbackSettings(patch, this.#settings);
  }

  /** Use these settings from now on; counted quirks start again. */
  apply(settings: CallbackSettings): void {
    this.#settings = settings;
    this.#quirks = new CallbackQuirks(settings, this.options.random);
  }

  /** What GET /emulator/config shows under `callbacks` (the token only as "set", no URL password). */
  describe() {
    const s = this.#settings;
    const quirks = this.#quirks.remaining();
    return {
      urls: s.urls.map(shown),
      ...(s.token !== undefined ? { token: "(set)" } : {}),
      delayMs: s.delayMs,
      ...(Object.keys(quirks).length > 0 ? { quirks } : {}),
      ...(Object.keys(s.faults).length > 0 ? { faults: s.faults } : {}),
      ...(this.#held.length > 0 ? { held: this.#held.length } : {}),
    };
  }

  /** Report a change; the callbacks go out in the background (see `settled`). */
  notify(change: ProfileChange): void {
    const urls = this.#settings.urls;
    if (urls.length === 0) return;
    const event = ++this.#events;
    const quirks = this.#quirks.next();
    const eventTime = this.options.nowMs();
    const body = stringifyJson({
      CallbackCommand: CALLBACK_COMMAND,
      Operator_Account: change.operator,
      From_Account: change.account,
      EventTime: eventTime,
      ProfileItem: change.items.map(([Tag, Value]) => ({ Tag, Value })),
    });
    const record = {
      event,
      account: change.account,
      operator: change.operator,
      platform: change.platform,
      eventTime,
      quirks,
    };
    const token = this.#settings.token;
    const send = async (copy?: 2) => {
      await Promise.all(
        urls.map((url) =>
          this.#post(url, body, change, token, quirks, { ...record, url: shown(url), ...(copy ? { copy } : {}) }),
        ),
      );
    };
    // A duplicate is the same body again, signed as of its own sending.
    const deliver = async () => {
      await send();
      if (quirks.includes("duplicate")) await send(2);
    };
    this.#track(async () => {
      if (quirks.includes("drop")) {
        for (const url of urls)
          this.#record({ ...record, url: shown(url), at: this.options.nowMs(), outcome: "dropped" });
      } else {
        if (quirks.includes("delay")) await this.options.sleep(this.#settings.delayMs, this.options.signal);
        if (quirks.includes("outOfOrder")) {
          this.#held.push(deliver);
          return;
        }
        await deliver();
      }
      // Whatever was held back goes now, after this callback.
      for (const late of this.#held.splice(0)) await late();
    });
  }

  /** Resolves when no callback is on its way (held `outOfOrder` ones wait for the next change). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  clear(): void {
    this.log.length = 0;
  }

  #track(task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch(() => undefined) // the emulator closing ends delays and requests: nothing to report
      .finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  async #post(
    url: string,
    body: string,
    change: ProfileChange,
    token: string | undefined,
    quirks: readonly CallbackQuirk[],
    record: Omit<CallbackDelivery, "at" | "outcome">,
  ): Promise<void> {
    const target = new URL(url);
    const query = target.searchParams;
    query.append("SdkAppid", String(this.options.sdkAppId));
    query.append("CallbackCommand", CALLBACK_COMMAND);
    query.append("contenttype", "json");
    query.append("ClientIP", change.clientIp);
    query.append("OptPlatform", change.platform);
    let requestTime: number | undefined;
    if (token !== undefined) {
      requestTime = Math.floor(this.options.nowMs() / 1000) - (quirks.includes("staleTime") ? STALE_SECONDS : 0);
      // The signature covers the token and the time only: the body is as trustworthy as the transport.
      const signed = quirks.includes("badSign") ? `not-the-token${requestTime}` : `${token}${requestTime}`;
      query.append("Sign", createHash("sha256").update(signed).digest("hex"));
      query.append("RequestTime", String(requestTime));
    }
    const at = this.options.nowMs();
    const timeoutMs = this.options.timeoutMs ?? DEFAULTS.emulator.callbacks.timeoutMs;
    const sent = { ...record, ...(requestTime !== undefined ? { requestTime } : {}), at };
    try {
      const res = await request(target, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body,
        signal: this.options.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      this.#record({ ...sent, outcome: res.statusCode });
    } catch (error) {
      if (this.options.signal.aborted) throw error;
      this.#record({ ...sent, outcome: "error", error: error instanceof Error ? error.message : String(error) });
    }
  }

  #record(delivery: CallbackDelivery): void {
    if (this.log.length >= MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG + 1);
    this.log.push(delivery);
  }
}

// A URL as logs and GET /emulator/config show it: a password in it is masked.
function shown(url: string): string {
  return url.includes("@") ? redactUrl(url) : url;
}
