import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import {
  isRetryable,
  TencentApiError,
  TencentDeadlineError,
  TencentError,
  TencentTransportError,
  type TencentErrorKind,
} from "./errors.js";
import { parseJson, stringifyJson } from "./json.js";
import { RateLimiter, RateLimitWaitError } from "./limiter.js";
import { portraitGet, portraitSet, type PortraitResult, type ProfileItem } from "./portrait.js";
import { upstreamOrigins, type Region } from "./regions.js";
import { signUserSig } from "./usersig.js";

export interface TencentClientOptions {
  sdkAppId: number;
  secretKey: string;
  /** An app admin account; the API refuses anyone else (60010). Default `administrator`. */
  adminIdentifier?: string;
  /** Default `china`. */
  region?: Region;
  /** Overrides the region hosts, e.g. `http://127.0.0.1:5800` for the emulator. */
  baseUrl?: string;
  /** Time limit of one HTTP attempt, in ms (Tencent's own timeout is 3 s). Default 5000. */
  timeoutMs?: number;
  /** Time limit of a whole call, rate-limiter waits and retries included, in ms. Default 10000. */
  deadlineMs?: number;
  /** Attempts per call, the first included. Default 4. */
  maxAttempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** Backoff after a throttling code (60007…); Tencent counts per second, so it starts slower. */
  throttleBackoff?: Partial<BackoffOptions>;
  /** Calls per second per API, e.g. 200 for portrait_get; 0 turns the limiter off. Default 200. */
  rateLimit?: number;
  /** Calls the limiter lets through back to back. Default rateLimit / 20. */
  rateBurst?: number;
  /** Keep-alive connections per upstream origin. Default 64. */
  connections?: number;
  /** Validity of the admin UserSig the client mints; it is renewed at half-life. Default 1 day. */
  userSigTtlSeconds?: number;
  /** Replace the HTTP dispatcher (tests pass undici's MockAgent). */
  dispatcher?: Dispatcher;
  /** Clock for UserSig minting and renewal, in ms since the epoch. */
  now?: () => number;
  /** Called after every HTTP attempt; for metrics. Carries no secrets. */
  onAttempt?: (event: AttemptEvent) => void;
}

export interface AttemptEvent {
  api: string;
  attempt: number;
  durationMs: number;
  outcome: "ok" | "error";
  kind?: TencentErrorKind;
  code?: number;
  httpStatus?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  deadlineMs?: number;
}

/** A parsed Tencent answer whose `ErrorCode` was 0. */
export type TencentEnvelope = Record<string, unknown> & {
  ActionStatus: string;
  ErrorCode: number;
  ErrorInfo?: string;
};

/**
 * The Tencent REST client: signs as the app admin, pools keep-alive connections, limits its own
 * call rate per API, and retries throttled or transient failures with jittered backoff inside a
 * total deadline.
 *
 *   const client = new TencentClient({ sdkAppId, secretKey, baseUrl: emulator.url });
 *   const answer = await client.call("profile", "portrait_get", { To_Account: ["id1"], TagList: [...] });
 */
export class TencentClient {
  readonly sdkAppId: number;
  readonly adminIdentifier: string;
  readonly origins: readonly string[];
  /** `origins` split once into what undici wants: the origin, and a path prefix (TIM_BASE_URL behind a proxy). */
  readonly #bases: readonly { origin: string; prefix: string }[];
  readonly #secretKey: string;
  readonly #timeoutMs: number;
  readonly #deadlineMs: number;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffOptions;
  readonly #throttleBackoff: BackoffOptions;
  readonly #rateLimit: number;
  readonly #rateBurst: number | undefined;
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #userSigTtlSeconds: number;
  readonly #now: () => number;
  readonly #onAttempt: ((event: AttemptEvent) => void) | undefined;
  #userSig: { value: string; renewAtMs: number; queryPrefix: string } | undefined;

  constructor(options: TencentClientOptions) {
    if (!Number.isSafeInteger(options.sdkAppId) || options.sdkAppId <= 0) {
      throw new RangeError(`sdkAppId must be a positive integer, got ${options.sdkAppId}`);
    }
    if (!options.secretKey) throw new RangeError("secretKey must not be empty");
    this.sdkAppId = options.sdkAppId;
    this.#secretKey = options.secretKey;
    this.adminIdentifier = options.adminIdentifier ?? "administrator";
    this.origins = upstreamOrigins(options.region ?? "china", options.baseUrl);
    this.#bases = this.origins.map((base) => {
      const url = new URL(base);
      return { origin: url.origin, prefix: base.slice(url.origin.length) };
    });
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#deadlineMs = options.deadlineMs ?? 10_000;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#throttleBackoff = { baseMs: 250, capMs: 2_000, ...options.throttleBackoff };
    this.#rateLimit = options.rateLimit ?? 200;
    this.#rateBurst = options.rateBurst;
    this.#userSigTtlSeconds = options.userSigTtlSeconds ?? 86_400;
    this.#now = options.now ?? Date.now;
    this.#onAttempt = options.onAttempt;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** POST `v4/<service>/<command>` and return the answer, or throw a `TencentError`. */
  async call(service: string, command: string, body: object, options: CallOptions = {}): Promise<TencentEnvelope> {
    const api = `${service}/${command}`;
    const deadlineMs = options.deadlineMs ?? this.#deadlineMs;
    const deadline = performance.now() + deadlineMs;
    const payload = stringifyJson(body);
    const limiter = this.#limiterFor(api);
    const { signal } = options;
    let lastError: TencentError | undefined;
    let origin = 0;
    let resigned = false;
    let outOfTime = false;

    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (lastError) {
        const delay = backoffDelay(
          attempt - 2,
          lastError.kind === "throttled" ? this.#throttleBackoff : this.#backoff,
        );
        if (performance.now() + delay >= deadline) {
          outOfTime = true;
          break;
        }
        await sleep(delay, undefined, signal ? { signal } : undefined);
      }
      if (limiter) {
        try {
          await limiter.acquire(deadline - performance.now(), signal);
        } catch (error) {
          if (!(error instanceof RateLimitWaitError)) throw error;
          lastError ??= new TencentTransportError(error.message, "throttled", api);
          outOfTime = true;
          break;
        }
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        outOfTime = true;
        break;
      }
      try {
        return await this.#attempt(api, this.#bases[origin % this.#bases.length]!, payload, {
          attempt,
          timeoutMs: Math.max(1, Math.ceil(Math.min(this.#timeoutMs, remaining))),
          signal,
        });
      } catch (error) {
        if (!(error instanceof TencentError)) throw error;
        lastError = error;
        if (error instanceof TencentApiError && error.code === 70001 && !resigned) {
          // Our cached sig expired early in Tencent's eyes (clock skew): mint a new one, once.
          resigned = true;
          this.#userSig = undefined;
          continue;
        }
        if (!isRetryable(error.kind)) throw error;
        // A host that failed at the network level is not asked again first: try the backup.
        if (error instanceof TencentTransportError) origin++;
      }
    }
    if (lastError && !outOfTime) throw lastError;
    throw new TencentDeadlineError(api, deadlineMs, lastError);
  }

  /** `v4/profile/portrait_get` for at most 100 accounts; see `portraitGet`. */
  portraitGet(accounts: readonly string[], tags: readonly string[], options?: CallOptions): Promise<PortraitResult[]> {
    return portraitGet(this, accounts, tags, options);
  }

  /** `v4/profile/portrait_set` for one account; see `portraitSet`. */
  portraitSet(account: string, items: readonly ProfileItem[], options?: CallOptions): Promise<void> {
    return portraitSet(this, account, items, options);
  }

  /** Release the keep-alive connections (only those of a dispatcher the client created). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #attempt(
    api: string,
    base: { origin: string; prefix: string },
    payload: string,
    a: { attempt: number; timeoutMs: number; signal: AbortSignal | undefined },
  ): Promise<TencentEnvelope> {
    const started = performance.now();
    const report = (event: Partial<AttemptEvent>) =>
      this.#onAttempt?.({ api, attempt: a.attempt, durationMs: performance.now() - started, outcome: "error", ...event });
    const timeout = AbortSignal.timeout(a.timeoutMs);
    const signal = a.signal ? AbortSignal.any([a.signal, timeout]) : timeout;
    const { origin, prefix } = base;
    const path = `${prefix}/v4/${api}?${this.#queryPrefix()}&random=${randomInt(0x1_0000_0000)}&contenttype=json`;

    let text: string;
    let status: number;
    try {
      const response = await this.#dispatcher.request({
        origin,
        path,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: payload,
        signal,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (a.signal?.aborted) throw a.signal.reason;
      const why = timeout.aborted ? `timed out after ${Math.round(a.timeoutMs)} ms` : describeNetworkError(error);
      report({ kind: "transient" });
      throw new TencentTransportError(`Tencent ${api}: ${why}`, "transient", api);
    }

    if (status !== 200) {
      const kind: TencentErrorKind = status >= 500 ? "transient" : status === 429 ? "throttled" : "config";
      report({ kind, httpStatus: status });
      throw new TencentTransportError(`Tencent ${api} answered HTTP ${status}`, kind, api, status);
    }
    let envelope: unknown;
    try {
      envelope = parseJson(text);
    } catch {
      envelope = undefined;
    }
    if (!isEnvelope(envelope)) {
      report({ kind: "transient", httpStatus: status });
      throw new TencentTransportError(`Tencent ${api} answered with a body that is not a JSON envelope`, "transient", api, status);
    }
    const code = envelope.ErrorCode;
    if (code !== 0 || envelope.ActionStatus === "FAIL") {
      const error = new TencentApiError(code, String(envelope.ErrorInfo ?? ""), api, envelope);
      report({ kind: error.kind, code });
      throw error;
    }
    report({ outcome: "ok", code: 0 });
    return envelope;
  }

  /** `sdkappid=…&identifier=…&usersig=…`, with a cached admin UserSig renewed at half-life. */
  #queryPrefix(): string {
    const nowMs = this.#now();
    if (this.#userSig === undefined || nowMs >= this.#userSig.renewAtMs) {
      const value = signUserSig({
        sdkAppId: this.sdkAppId,
        secretKey: this.#secretKey,
        identifier: this.adminIdentifier,
        expireSeconds: this.#userSigTtlSeconds,
        time: Math.floor(nowMs / 1000),
      });
      this.#userSig = {
        value,
        renewAtMs: nowMs + (this.#userSigTtlSeconds * 1000) / 2,
        queryPrefix:
          `sdkappid=${this.sdkAppId}&identifier=${encodeURIComponent(this.adminIdentifier)}` +
          `&usersig=${encodeURIComponent(value)}`,
      };
    }
    return this.#userSig.queryPrefix;
  }

  #limiterFor(api: string): RateLimiter | undefined {
    if (this.#rateLimit <= 0) return undefined;
    let limiter = this.#limiters.get(api);
    if (!limiter) {
      limiter = new RateLimiter(this.#rateLimit, this.#rateBurst);
      this.#limiters.set(api, limiter);
    }
    return limiter;
  }
}

function isEnvelope(value: unknown): value is TencentEnvelope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.ErrorCode === "number" && typeof v.ActionStatus === "string";
}

// Name the failure without echoing the request (its URL carries the UserSig).
function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return `network error${typeof code === "string" ? ` ${code}` : ""}: ${message}`;
}
