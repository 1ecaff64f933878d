import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { DEFAULTS } from "../config/defaults.js";
import { stringifyJson } from "./json.js";
import { upstreamOrigins, type Region } from "./regions.js";
import { attemptCall, type AttemptEvent, type TencentEnvelope, type UpstreamBase } from "./transport.js";
import { UserSigCache } from "./usersig.cache.js";

export type { AttemptEvent, TencentEnvelope } from "./transport.js";

export interface TencentWireOptions {
  sdkAppId: number;
  secretKey: string;
  /** An app admin account; the API refuses anyone else (60010). */
  adminIdentifier?: string;
  region?: Region;
  /** Overrides the region hosts, e.g. `http://127.0.0.1:5800` for the emulator. */
  baseUrl?: string;
  /** Keep-alive connections per upstream origin. */
  connections?: number;
  /** Validity of the admin UserSig; it is renewed at half-life. */
  userSigTtlSeconds?: number;
  /** Replace the HTTP dispatcher (tests pass undici's MockAgent). */
  dispatcher?: Dispatcher;
  /** Clock for UserSig minting and renewal, in ms since the epoch. */
  now?: () => number;
}

export interface SendOptions {
  /** Which base to use: an index into `origins`, modulo their number (the policy moves to the backup host). */
  host: number;
  /** Time limit of this attempt. */
  timeoutMs: number;
  /** 1 for the first attempt of a call; for spans and metrics. */
  attempt: number;
  signal?: AbortSignal;
}

/**
 * The Tencent REST API on the wire, and nothing more: signs every request as the app admin, knows
 * the region's hosts, pools keep-alive connections, sends ONE attempt and parses its envelope. What
 * to do when an attempt fails (retry, pace, split, stop) is the call policy's (`src/upstream`).
 *
 *   const wire = new TencentWire({ sdkAppId, secretKey, baseUrl: emulator.url });
 *   const envelope = await wire.send("profile/portrait_get", body, { host: 0, timeoutMs: 3000, attempt: 1 });
 */
export class TencentWire {
  readonly sdkAppId: number;
  readonly adminIdentifier: string;
  readonly origins: readonly string[];
  readonly #bases: readonly UpstreamBase[];
  readonly #userSig: UserSigCache;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #listeners = new Set<(event: AttemptEvent) => void>();

  constructor(options: TencentWireOptions) {
    if (!Number.isSafeInteger(options.sdkAppId) || options.sdkAppId <= 0) {
      throw new RangeError(`sdkAppId must be a positive integer, got ${options.sdkAppId}`);
    }
    if (!options.secretKey) throw new RangeError("secretKey must not be empty");
    this.sdkAppId = options.sdkAppId;
    this.adminIdentifier = options.adminIdentifier ?? DEFAULTS.tencent.adminIdentifier;
    this.#userSig = new UserSigCache({
      sdkAppId: options.sdkAppId,
      secretKey: options.secretKey,
      identifier: this.adminIdentifier,
      ttlSeconds: options.userSigTtlSeconds ?? DEFAULTS.upstream.userSigTtlSeconds,
      now: options.now ?? Date.now,
    });
    this.origins = upstreamOrigins(options.region ?? DEFAULTS.tencent.region, options.baseUrl);
    this.#bases = this.origins.map((base) => {
      const url = new URL(base);
      return { origin: url.origin, prefix: base.slice(url.origin.length) };
    });
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.connections ?? DEFAULTS.upstream.connections,
        keepAliveTimeout: 30_000,
        pipelining: 1,
      });
  }

  /** Listen to every attempt (metrics); returns a function that stops listening. Events carry no secrets. */
  onAttempt(listener: (event: AttemptEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The JSON body of a request, as it goes on the wire (integers beyond 2^53 exact). */
  encode(body: object): string {
    return stringifyJson(body);
  }

  /** POST `v4/<api>` once and return the envelope, or throw a `TencentError`. */
  send(api: string, payload: string, options: SendOptions): Promise<TencentEnvelope> {
    return attemptCall(this.#dispatcher, {
      api,
      base: this.#bases[options.host % this.#bases.length]!,
      query: this.#userSig.queryPrefix(),
      payload,
      attempt: options.attempt,
      timeoutMs: Math.max(1, Math.ceil(options.timeoutMs)),
      signal: options.signal,
      report: (event) => {
        for (const listener of this.#listeners) listener(event);
      },
    });
  }

  /** Forget the admin UserSig: the next attempt carries a new one (Tencent said 70001: clock skew). */
  renewSignature(): void {
    this.#userSig.renew();
  }

  /**
   * Release the keep-alive connections (only a pool the wire created). Attempts in flight get
   * `graceMs` to finish (default: as long as they take); after that they are cut.
   */
  async close(graceMs = Infinity): Promise<void> {
    if (!this.#ownsDispatcher) return;
    const closed = this.#dispatcher.close().then(() => true);
    const inTime = Number.isFinite(graceMs)
      ? await Promise.race([closed, sleep(graceMs, false, { ref: false })])
      : await closed;
    if (!inTime) {
      closed.catch(() => {}); // rejected by destroy(): the attempts it cut are answered as failed
      await this.#dispatcher.destroy();
    }
  }
}
