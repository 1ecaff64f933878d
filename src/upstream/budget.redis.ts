import { DEFAULTS } from "../config/defaults.js";
import { RedisTimeoutError, withTimeout, type RedisLink } from "../redis/link.js";
import type { BudgetMode, CallBudget } from "./budget.js";
import { GCRA } from "./budget.gcra.js";
import { Gcra } from "./gcra.js";
import { SlotQueue } from "./slot.queue.js";

export type { RedisLink } from "../redis/link.js";

/** Slow answers in a row (each over `commandTimeoutMs`) before a replica falls back to its local share. */
const TIMEOUTS_TO_DEGRADE = 3;

export interface RedisBudgetOptions {
  /** A connected (or connecting) link to Redis or a Redis Cluster; the budget never closes it. */
  client: RedisLink;
  /** Prepended to the budget's keys (`<prefix>budget:<api>`). Default `portrait-graph:`. */
  keyPrefix?: string;
  /** Calls per second per API for all replicas together (TIM_RATE_LIMIT). 0: no limit. */
  ratePerSecond: number;
  /** Calls allowed back to back. Default 1: every 1-second window holds at most `ratePerSecond` grants. */
  burst?: number;
  /** Replicas sharing the budget (REPLICAS); while Redis is away each takes `ratePerSecond ÷ replicas`. Default 1. */
  replicas?: number;
  /** A Redis round trip slower than this counts as a failure (→ degraded). Default 200. */
  commandTimeoutMs?: number;
  /** While degraded, how often to PING Redis (besides on every reconnect of the link). Default 1000. */
  probeIntervalMs?: number;
}

/**
 * The per-API call budget shared by every replica through Redis.
 *
 *   const budget = new RedisBudget({ client, ratePerSecond: 200, replicas: 3 });
 *   budget.onModeChange((mode) => log.warn({ mode }, "call budget"));
 *   await budget.acquire("profile/portrait_get");
 *
 * Callers of one API queue here in arrival order and only the head asks Redis, so what a replica
 * sends Redis depends on the rate, not on how many callers wait. When Redis fails or does not
 * answer within `commandTimeoutMs`, the budget turns `degraded` and grants from the same take-now
 * GCRA run locally at `ratePerSecond ÷ replicas`; it returns to `shared` by itself once the link
 * is ready and a PING of the node holding each budget key it uses succeeds (on every reconnect of
 * the link, and every `probeIntervalMs`).
 *
 * On a Redis Cluster each API's key lives on one master. The link turns `reconnecting` as soon as
 * any master drops (see ClusterLink), which turns the budget degraded at once, and `ready` once a
 * replica has taken over and the link has found it: no call waits on a master that is gone, and
 * grants are never split between a dead master's last state and its replica's.
 *
 * Limits worth knowing: calls granted locally just before a return to `shared` are unknown to
 * Redis, and a replica that alone lost Redis spends its local share on top of what the others
 * share; lower TIM_RATE_LIMIT a little to leave headroom for both, and for network jitter between
 * the grant and Tencent's counter.
 */
export class RedisBudget implements CallBudget {
  readonly #client: RedisLink;
  #timeoutsInARow = 0;
  readonly #prefix: string;
  readonly #rate: number;
  readonly #replicas: number;
  readonly #timeoutMs: number;
  readonly #probeIntervalMs: number;
  readonly #intervalUs: number;
  readonly #toleranceUs: number;
  readonly #burst: number;
  /** This replica's share while degraded: one GCRA per API, on this process's clock, anew each time. */
  readonly #local = new Map<string, Gcra>();
  /** When this replica last turned degraded (performance.now()). */
  #degradedAt = performance.now();
  readonly #queue: SlotQueue;
  readonly #listeners = new Set<(mode: BudgetMode) => void>();
  /** The keys this budget has drawn from: the probe asks the node of each. */
  readonly #keys = new Set<string>();
  #closed = false;
  #mode: BudgetMode;
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #probeAgain = false;

  constructor(options: RedisBudgetOptions) {
    const { ratePerSecond, burst = 1, replicas = DEFAULTS.redis.replicas } = options;
    if (!(ratePerSecond >= 0)) throw new RangeError(`ratePerSecond must be >= 0, got ${ratePerSecond}`);
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
    if (!(Number.isInteger(replicas) && replicas >= 1))
      throw new RangeError(`replicas must be an integer >= 1, got ${replicas}`);
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? DEFAULTS.redis.keyPrefix;
    this.#rate = ratePerSecond;
    this.#replicas = replicas;
    this.#burst = burst;
    this.#timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULTS.redis.probeIntervalMs;
    // Rounded up: a fractional microsecond more per slot keeps the rate at or below the budget.
    this.#intervalUs = ratePerSecond > 0 ? Math.ceil(1e6 / ratePerSecond) : 0;
    this.#toleranceUs = (burst - 1) * this.#intervalUs;
    this.#queue = new SlotQueue((api) => (this.#mode === "shared" ? this.#tryShared(api) : this.#tryLocal(api)));
    this.#mode = this.#client.isReady ? "shared" : "degraded";
    this.#client.on("ready", this.#onReady);
    this.#client.on("reconnecting", this.#onLost);
    this.#client.on("end", this.#onLost);
    if (this.#mode === "degraded") this.#startProbing();
  }

  /** `shared` while Redis answers; `degraded` while this replica runs on its local share. */
  get mode(): BudgetMode {
    return this.#mode;
  }

  /** The budget in force for this process: the shared rate, or this replica's share while degraded. */
  get ratePerSecond(): number {
    return this.#mode === "degraded" ? this.#rate / this.#replicas : this.#rate;
  }

  /** Calls `listener` on every change of `mode`; returns a function that removes it. */
  onModeChange(listener: (mode: BudgetMode) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  acquire(api: string, signal?: AbortSignal): Promise<number> {
    if (this.#closed) return Promise.reject(new Error("the call budget is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#rate === 0) return Promise.resolve(performance.now());
    return this.#queue.acquire(api, signal);
  }

  /** Stops timers and listeners, and rejects callers still waiting. The Redis client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopProbing();
    this.#client.off("ready", this.#onReady);
    this.#client.off("reconnecting", this.#onLost);
    this.#client.off("end", this.#onLost);
    this.#queue.close();
  }

  /**
   * Takes a slot from Redis: 0 when granted, else the wait in ms; undefined when Redis failed (asked
   * again, or now degraded). A lost connection degrades at once; a slow answer only after
   * `TIMEOUTS_TO_DEGRADE` in a row, because one late answer is more often this process's own
   * event-loop lag than Redis, and a replica that degrades spends its local share on top of what
   * the others draw from Redis.
   */
  async #tryShared(api: string): Promise<number | undefined> {
    const key = `${this.#prefix}budget:${api}`;
    this.#keys.add(key);
    try {
      const reply = await GCRA.run(
        this.#client,
        [key],
        [String(this.#intervalUs), String(this.#toleranceUs)],
        this.#timeoutMs,
      );
      this.#timeoutsInARow = 0;
      return Number((reply as [number, number])[0]) / 1000;
    } catch (error) {
      if (error instanceof RedisTimeoutError && this.#client.isReady && ++this.#timeoutsInARow < TIMEOUTS_TO_DEGRADE)
        return undefined;
      this.#timeoutsInARow = 0;
      this.#setMode("degraded");
      return undefined;
    }
  }

  /**
   * The same take-now GCRA on this process's clock, at this replica's share of the rate. Its first
   * grant comes one local interval after the budget turned degraded, not at once: the calls this
   * replica drew from Redis just before already spent the current second, and every replica turns
   * degraded at about the same moment when a Redis (or the budget's master) goes, so grants at once
   * would be REPLICAS extra calls on top of them.
   */
  #tryLocal(api: string): number {
    let gcra = this.#local.get(api);
    if (!gcra) {
      const share = this.#rate / this.#replicas;
      gcra = new Gcra(share, this.#burst);
      gcra.holdUntil(this.#degradedAt + 1000 / share);
      this.#local.set(api, gcra);
    }
    return gcra.take(performance.now());
  }

  #setMode(mode: BudgetMode): void {
    if (this.#mode === mode || this.#closed) return;
    this.#mode = mode;
    if (mode === "degraded") {
      this.#degradedAt = performance.now();
      this.#local.clear();
      this.#startProbing();
    } else this.#stopProbing();
    for (const listener of this.#listeners) listener(mode);
  }

  readonly #onLost = (): void => this.#setMode("degraded");

  readonly #onReady = (): void => void this.#probe();

  #startProbing(): void {
    if (this.#probeTimer) return;
    this.#probeTimer = setInterval(() => void this.#probe(), this.#probeIntervalMs);
    this.#probeTimer.unref();
  }

  #stopProbing(): void {
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /**
   * PINGs the node of every budget key drawn from so far (any node before the first), once the link
   * is ready; a probe asked for while one is in flight (say, on a reconnect) runs after it.
   */
  async #probe(): Promise<void> {
    if (this.#probing) {
      this.#probeAgain = true;
      return;
    }
    this.#probing = true;
    try {
      do {
        this.#probeAgain = false;
        if (this.#mode === "shared" || this.#closed) return;
        if (!this.#client.isReady) continue;
        const keys = this.#keys.size > 0 ? [...this.#keys] : [undefined];
        try {
          await withTimeout(
            Promise.all(keys.map((key) => this.#client.sendCommand(["PING"], { key }))),
            this.#timeoutMs,
          );
          this.#setMode("shared");
        } catch {
          // Still away; the next reconnect or interval tries again.
        }
      } while (this.#probeAgain);
    } finally {
      this.#probing = false;
    }
  }
}
