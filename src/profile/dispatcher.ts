import { setImmediate as endOfTurn, setTimeout as sleep } from "node:timers/promises";
import { DEFAULTS } from "../config/defaults.js";
import { PORTRAIT_GET, PORTRAIT_GET_MAX_ACCOUNTS, type PortraitResult, type WireItem } from "../tencent/portrait.js";
import type { CircuitState } from "../upstream/breaker.js";
import { TencentCircuitOpenError } from "../upstream/errors.js";
import type { Slot } from "../upstream/slot.js";
import type { CallOptions } from "../upstream/upstream.js";
import { entriesToStore, tagKeyOf, type ProfileCache, type StaleEntry } from "./cache.js";
import { accountError, ErrorCode, ProfileError, readError, throttled, upstreamError } from "./errors.js";
import { ReadQueue, settle, type Entry, type ReadOutcome, type Waiter } from "./read.queue.js";

export type { ReadOutcome } from "./read.queue.js";

/** What the dispatcher needs of the upstream (`Upstream` in src/upstream). */
export interface PortraitReader {
  /** Draw one call slot of `api` (the shared budget, paced by the throttle governor). */
  acquire(api: string, signal?: AbortSignal): Promise<Slot>;
  /** The API's circuit: open refuses calls; half-open lets one trial call through. */
  circuit(api: string): CircuitState;
  portraitGet(accounts: readonly string[], tags: readonly string[], options?: CallOptions): Promise<PortraitResult[]>;
  /** Whether an account's own transient failure is worth another read, after `tries` so far. */
  retryAccount(result: Extract<PortraitResult, { ok: false }>, tries: number): boolean;
}

export interface DispatcherOptions {
  reader: PortraitReader;
  /** Accounts per portrait_get, 1 to 100. Default 100 (Tencent's ceiling). */
  maxAccountsPerCall?: number;
  /** Accounts that may wait for a call at once; past it, reads fail fast with UPSTREAM_THROTTLED. */
  maxQueuedAccounts?: number;
  /** How long an account may wait for a call; past it, UPSTREAM_THROTTLED. */
  maxWaitMs?: number;
  /** Calls in flight at once. */
  maxCallsInFlight?: number;
  /** A fixed delay before each call draws its slot, to gather more even when slots are free. */
  gatherMs?: number;
  cache?: ProfileCache;
}

export type DispatcherEvent =
  | { type: "call"; accounts: number; slotWaitMs: number }
  /** One load's cache lookups. */
  | { type: "cache"; hits: number; misses: number }
  /** An account served stale from the cache because Tencent could not answer (the outcome's code). */
  | { type: "stale"; reason: string };

const API = PORTRAIT_GET;

/** The failures a stale cached profile may stand in for: Tencent (or the way to it) could not answer. */
const STALE_ON: ReadonlySet<string> = new Set([ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.UPSTREAM_THROTTLED]);

/**
 * The one process-wide read path to `portrait_get`. Accounts asked for by concurrent requests wait
 * in one queue, in arrival order. A call draws its rate slot at the end of the event-loop turn in
 * which its first account arrived (at once when 100 are waiting), and only once the slot is granted
 * takes up to 100 waiting accounts (with the union of the tags they want): every account that arrived
 * in that turn, or while the call waited for its slot, rides in it. Idle, a read costs one round
 * trip; under load, calls fill up instead of piling up behind the rate limit.
 *
 * - An account already in flight with the tags a read needs is joined, not asked for again.
 * - The queue is bounded by accounts and by wait; past either bound a read fails fast.
 * - An account whose own answer was transient waits again (the upstream's policy says how often)
 *   and rides in the next call with the others.
 * - While the API's circuit is open, waiting reads fail at once without drawing a slot; while it is
 *   half-open, one call (the trial) goes and the rest wait for its outcome.
 *
 * Retries of a whole call, the split of a whole call refused for one unknown account, pacing and
 * the breaker are the upstream's (src/upstream): this class only gathers, deduplicates and caches.
 *
 *   const dispatcher = new ProfileDispatcher({ reader: client });
 *   const [outcome] = await dispatcher.load(["alice"], new Set(["Tag_Profile_IM_Nick"]));
 */
export class ProfileDispatcher {
  readonly #reader: PortraitReader;
  readonly #maxPerCall: number;
  readonly #maxQueued: number;
  readonly #maxWaitMs: number;
  readonly #maxInFlight: number;
  readonly #gatherMs: number;
  readonly #cache: ProfileCache | undefined;
  readonly #queue: ReadQueue;
  /** The latest call carrying each account, for reads that can join it. */
  readonly #inFlight = new Map<string, Entry>();
  readonly #listeners = new Set<(event: DispatcherEvent) => void>();
  #callsInFlight = 0;
  #acquiring = false;

  constructor(options: DispatcherOptions) {
    const d = DEFAULTS.reads;
    this.#reader = options.reader;
    this.#maxPerCall = checked("maxAccountsPerCall", options.maxAccountsPerCall, PORTRAIT_GET_MAX_ACCOUNTS, {
      min: 1,
      max: PORTRAIT_GET_MAX_ACCOUNTS,
    });
    this.#maxQueued = checked("maxQueuedAccounts", options.maxQueuedAccounts, d.maxQueuedAccounts, { min: 1 });
    this.#maxWaitMs = checked("maxWaitMs", options.maxWaitMs, d.maxWaitMs, { min: 1 });
    this.#maxInFlight = checked("maxCallsInFlight", options.maxCallsInFlight, d.maxCallsInFlight, { min: 1 });
    this.#gatherMs = options.gatherMs ?? d.gatherMs;
    if (!(this.#gatherMs >= 0)) throw new RangeError(`gatherMs must be >= 0, got ${options.gatherMs}`);
    this.#cache = options.cache;
    // Accounts that waited past the bound fail even when no slot comes (e.g. a stalled shared budget).
    this.#queue = new ReadQueue(this.#maxWaitMs, (entry) => settle(entry, this.#waitedTooLong()));
  }

  /** Accounts waiting for a call now. */
  get queuedAccounts(): number {
    return this.#queue.size;
  }

  observe(listener: (event: DispatcherEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One outcome per account, in order; never rejects. `signal` ends the wait of this caller only
   * (its reason becomes the outcome); the accounts stay queued for other callers. Given as a
   * function, it is asked for only when an account is not a cache hit (all hits: never).
   */
  async load(
    accounts: readonly string[],
    tags: ReadonlySet<string>,
    signal?: AbortSignal | (() => AbortSignal),
  ): Promise<ReadOutcome[]> {
    const tagKey = tagKeyOf(tags);
    const lookups = this.#cache ? await this.#cache.get(accounts, tagKey).catch(() => undefined) : undefined;
    // A read the cache answers whole is served whatever the signal says (it is not even asked for);
    // a read with a miss does not start once the signal is over.
    const waits = !lookups || lookups.some((lookup) => !lookup.hit);
    const ends = waits && signal ? (typeof signal === "function" ? signal() : signal) : undefined;
    if (ends?.aborted) return accounts.map(() => readError(ends.reason));
    if (lookups) {
      const hits = lookups.filter((l) => l.hit).length;
      this.#emit({ type: "cache", hits, misses: lookups.length - hits });
    }
    const waiting: { entry: Entry; waiter: Waiter }[] = [];
    const arrivedAt = performance.now();
    const outcomes = Promise.all(
      accounts.map((account, i) => {
        const lookup = lookups?.[i];
        if (lookup?.hit) return { ok: true as const, account, items: lookup.items };
        const stale = lookup?.stale;
        return new Promise<ReadOutcome>((resolve) => {
          const waiter: Waiter = {
            resolve: stale ? (outcome) => resolve(this.#orStale(account, outcome, stale)) : resolve,
          };
          const entry = this.#enqueue(account, tags, tagKey, lookup?.version, waiter, arrivedAt);
          if (entry) waiting.push({ entry, waiter });
        });
      }),
    );
    this.#pump();
    if (!ends || waiting.length === 0) return outcomes;
    // One listener per load, not one per account: a 1000-id list must not pile listeners on the signal.
    const onAbort = () => {
      for (const { entry, waiter } of waiting) {
        const at = entry.waiters.indexOf(waiter);
        if (at >= 0) {
          entry.waiters.splice(at, 1);
          waiter.resolve(readError(ends.reason));
        }
      }
    };
    ends.addEventListener("abort", onAbort, { once: true });
    return outcomes.finally(() => ends.removeEventListener("abort", onAbort));
  }

  /**
   * After a write: no read that starts from now on joins a call that began before, and no replica
   * serves a cached value from before (resolves once the shared cache has been told).
   */
  async invalidate(account: string): Promise<void> {
    this.#inFlight.delete(account);
    await this.#cache?.invalidate(account);
  }

  /**
   * A change of `account` was heard (from the change stream, on every replica): no read that
   * starts from now on joins a call that began before it. The cache was told where the change came in.
   */
  forget(account: string): void {
    this.#inFlight.delete(account);
  }

  close(): void {
    this.#queue.close();
  }

  /**
   * Serve-stale-on-error: when Tencent cannot answer for an account (circuit open, throttled, queue
   * full, down, past the deadline) and the cache still holds its last value within
   * STALE_IF_ERROR_MS, that value is the answer, marked stale. A caller's or the account's own error
   * (not found, no permission) is never hidden.
   */
  #orStale(account: string, outcome: ReadOutcome, stale: StaleEntry): ReadOutcome {
    if (!(outcome instanceof ProfileError) || !STALE_ON.has(outcome.extensions.code)) return outcome;
    const reason = outcome.extensions.code;
    this.#emit({ type: "stale", reason });
    return { ok: true, account, items: stale.items, stale: { ageMs: stale.ageMs, reason } };
  }

  #emit(event: DispatcherEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Join a call in flight, or the waiting entry of the account, or queue a new one; undefined when refused at once. */
  #enqueue(
    account: string,
    tags: ReadonlySet<string>,
    tagKey: string,
    version: string | undefined,
    waiter: Waiter,
    arrivedAt: number,
  ): Entry | undefined {
    const flight = this.#inFlight.get(account);
    let entry: Entry | undefined;
    if (flight && flight.version === version && isSuperset(flight.tags, tags)) {
      entry = flight;
    } else {
      entry = this.#queue.get(account);
      if (!entry) {
        if (this.#queue.size >= this.#maxQueued) {
          waiter.resolve(
            throttled(
              `Too many profile reads are waiting for Tencent (${this.#maxQueued} accounts); try again shortly`,
            ),
          );
          return undefined;
        }
        entry = this.#queue.push(account, version, arrivedAt);
      }
      for (const tag of tags) entry.tags.add(tag);
    }
    if (version !== undefined) entry.cacheKeys.set(tagKey, entry.cacheKeys.get(tagKey) ?? version);
    entry.waiters.push(waiter);
    return entry;
  }

  #pump(): void {
    if (this.#acquiring || this.#callsInFlight >= this.#maxInFlight || this.#queue.size === 0) return;
    const circuit = this.#reader.circuit(API);
    if (circuit === "open") {
      // Answer at once rather than hold reads for a slot they cannot use.
      const error = upstreamError(new TencentCircuitOpenError(API));
      for (const entry of this.#queue.drain()) settle(entry, error);
      return;
    }
    // On trial: one call at a time; the others wait (within QUEUE_MAX_WAIT_MS) for its outcome.
    if (circuit === "half-open" && this.#callsInFlight > 0) return;
    this.#acquiring = true;
    const started = performance.now();
    // Without a gathering delay the slot is drawn at the end of this event-loop turn, so reads that
    // arrive in the same turn (requests parsed from one poll of the sockets) share a call even when
    // slots are free; a full call's worth of accounts does not wait for the turn to end.
    const slot =
      this.#gatherMs > 0
        ? sleep(this.#gatherMs).then(() => this.#reader.acquire(API))
        : this.#queue.size >= this.#maxPerCall
          ? this.#reader.acquire(API)
          : endOfTurn().then(() => this.#reader.acquire(API));
    slot.then(
      (granted) => {
        this.#acquiring = false;
        const group = this.#take();
        if (group.length > 0) {
          this.#emit({ type: "call", accounts: group.length, slotWaitMs: performance.now() - started });
          void this.#send(group, granted);
        }
        this.#pump();
      },
      (error: unknown) => {
        this.#acquiring = false;
        const outcome = readError(error);
        for (const entry of this.#queue.drain()) settle(entry, outcome);
      },
    );
  }

  /** The next call's accounts: the oldest waiting (retried ones first); expired ones fail, abandoned ones are dropped. */
  #take(): Entry[] {
    const group: Entry[] = [];
    const now = performance.now();
    while (group.length < this.#maxPerCall) {
      const entry = this.#queue.shift();
      if (!entry) break;
      // Every caller of this account left (deadline, disconnect): it costs Tencent nothing.
      if (entry.waiters.length === 0) continue;
      if (now - entry.enqueuedAt > this.#maxWaitMs) settle(entry, this.#waitedTooLong());
      else group.push(entry);
    }
    return group;
  }

  async #send(group: Entry[], slot: Slot): Promise<void> {
    this.#callsInFlight++;
    const tags = new Set<string>();
    for (const entry of group) for (const tag of entry.tags) tags.add(tag);
    for (const entry of group) {
      entry.tags = tags;
      this.#inFlight.set(entry.account, entry);
    }
    try {
      const results = await this.#reader.portraitGet(
        group.map((e) => e.account),
        [...tags],
        { slot },
      );
      group.forEach((entry, i) => this.#settleResult(entry, results[i]!));
    } catch (error) {
      const outcome = readError(error);
      for (const entry of group) settle(entry, outcome);
    } finally {
      for (const entry of group) if (this.#inFlight.get(entry.account) === entry) this.#inFlight.delete(entry.account);
      this.#callsInFlight--;
      this.#pump();
    }
  }

  #settleResult(entry: Entry, result: PortraitResult): void {
    if (result.ok) {
      this.#store(entry, result.items);
      settle(entry, { ok: true, account: entry.account, items: result.items });
    } else if (entry.waiters.length > 0 && this.#reader.retryAccount(result, entry.retries)) {
      // Waits again, and rides in the next call with whatever else is waiting.
      entry.retries++;
      this.#queue.retry(entry);
    } else {
      settle(entry, accountError(result));
    }
  }

  #store(entry: Entry, items: readonly WireItem[]): void {
    if (!this.#cache || entry.cacheKeys.size === 0) return;
    this.#cache.set(entriesToStore(entry.account, entry.cacheKeys, items)).catch(() => undefined);
  }

  #waitedTooLong(): ProfileError {
    return throttled(
      `Waited over ${this.#maxWaitMs} ms for a Tencent call slot (the read queue is backed up); try again shortly`,
    );
  }
}

function isSuperset(have: ReadonlySet<string>, want: ReadonlySet<string>): boolean {
  for (const tag of want) if (!have.has(tag)) return false;
  return true;
}

function checked(
  name: string,
  value: number | undefined,
  fallback: number,
  rule: { min: number; max?: number },
): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < rule.min || (rule.max !== undefined && v > rule.max)) {
    throw new RangeError(
      `${name} must be an integer from ${rule.min}${rule.max !== undefined ? ` to ${rule.max}` : " up"}, got ${value}`,
    );
  }
  return v;
}
