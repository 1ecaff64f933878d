import { setTimeout as sleep } from "node:timers/promises";
import type { CallOptions } from "../tencent/client.js";
import {
  ACCOUNT_CLASS_CALL_CODES,
  classifyErrorCode,
  TencentApiError,
  TencentCircuitOpenError,
} from "../tencent/errors.js";
import { PORTRAIT_GET_MAX_ACCOUNTS, type PortraitResult, type ProfileItem } from "../tencent/portrait.js";
import { entriesToStore, tagKeyOf, type ProfileCache } from "./cache.js";
import { accountError, readError, throttled, upstreamError, type ProfileError } from "./errors.js";
import { ReadQueue, settle, type Entry, type ReadOutcome, type Waiter } from "./read.queue.js";

export type { ReadOutcome } from "./read.queue.js";

/** What the dispatcher needs of the Tencent client. */
export interface PortraitReader {
  portraitGet(accounts: readonly string[], tags: readonly string[], options?: CallOptions): Promise<PortraitResult[]>;
  /** Wait for one call slot of `api` (the shared budget). */
  acquireSlot(api: string, signal?: AbortSignal): Promise<void>;
  /** False while the API's circuit breaker is open. */
  available(api: string): boolean;
}

export interface DispatcherOptions {
  reader: PortraitReader;
  /** Accounts per portrait_get. Default 100 (Tencent's ceiling). */
  maxAccountsPerCall?: number;
  /** Accounts that may wait for a call at once; past it, reads fail fast with UPSTREAM_THROTTLED. Default 10000. */
  maxQueuedAccounts?: number;
  /** How long an account may wait for a call; past it, UPSTREAM_THROTTLED. Default 2000 ms. */
  maxWaitMs?: number;
  /** Calls in flight at once. Default 64 (the client's connections per host). */
  maxCallsInFlight?: number;
  /** Extra attempts for an account whose own answer was a transient code (40006, 408xx). Default 2. */
  accountRetries?: number;
  /** A fixed delay before each call draws its slot, to gather more even when slots are free. Default 0. */
  gatherMs?: number;
  cache?: ProfileCache;
}

export type DispatcherEvent = { type: "call"; accounts: number; slotWaitMs: number };

const API = "profile/portrait_get";

/**
 * The one process-wide read path to `portrait_get`. Accounts asked for by concurrent requests wait
 * in one queue, in arrival order. A call leaves when a rate slot is free, and only then takes up to
 * 100 waiting accounts (with the union of the tags they want): every account that arrived while the
 * call waited for its slot rides in it. Idle, a read costs one round trip; under load, calls fill up
 * instead of piling up behind the rate limit.
 *
 * - An account already in flight with the tags a read needs is joined, not asked for again.
 * - The queue is bounded by accounts and by wait; past either bound a read fails fast.
 * - A whole call refused with an account-class code is split in halves until the bad account is
 *   alone, so one bad id never hides the others' profiles; per-account transient codes are retried
 *   for those accounts only.
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
  readonly #accountRetries: number;
  readonly #gatherMs: number;
  readonly #cache: ProfileCache | undefined;
  readonly #queue: ReadQueue;
  /** The latest call carrying each account, for reads that can join it. */
  readonly #inFlight = new Map<string, Entry>();
  readonly #listeners = new Set<(event: DispatcherEvent) => void>();
  #callsInFlight = 0;
  #acquiring = false;

  constructor(options: DispatcherOptions) {
    this.#reader = options.reader;
    this.#maxPerCall = options.maxAccountsPerCall ?? PORTRAIT_GET_MAX_ACCOUNTS;
    this.#maxQueued = options.maxQueuedAccounts ?? 10_000;
    this.#maxWaitMs = options.maxWaitMs ?? 2_000;
    this.#maxInFlight = options.maxCallsInFlight ?? 64;
    this.#accountRetries = options.accountRetries ?? 2;
    this.#gatherMs = options.gatherMs ?? 0;
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
   * (its reason becomes the outcome); the accounts stay queued for other callers.
   */
  async load(accounts: readonly string[], tags: ReadonlySet<string>, signal?: AbortSignal): Promise<ReadOutcome[]> {
    const tagKey = tagKeyOf(tags);
    const lookups = this.#cache ? await this.#cache.get(accounts, tagKey).catch(() => undefined) : undefined;
    if (signal?.aborted) return accounts.map(() => readError(signal.reason));
    const waiting: { entry: Entry; waiter: Waiter }[] = [];
    const outcomes = Promise.all(
      accounts.map((account, i) => {
        const lookup = lookups?.[i];
        if (lookup?.hit) return { ok: true as const, account, items: lookup.items };
        return new Promise<ReadOutcome>((resolve) => {
          const waiter: Waiter = { resolve };
          const entry = this.#enqueue(account, tags, tagKey, lookup?.version, waiter);
          if (entry) waiting.push({ entry, waiter });
        });
      }),
    );
    this.#pump();
    if (!signal || waiting.length === 0) return outcomes;
    // One listener per load, not one per account: a 1000-id list must not pile listeners on the signal.
    const onAbort = () => {
      for (const { entry, waiter } of waiting) {
        const at = entry.waiters.indexOf(waiter);
        if (at >= 0) {
          entry.waiters.splice(at, 1);
          waiter.resolve(readError(signal.reason));
        }
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    return outcomes.finally(() => signal.removeEventListener("abort", onAbort));
  }

  /**
   * After a write: no read that starts from now on joins a call that began before, and no replica
   * serves a cached value from before (resolves once the shared cache has been told).
   */
  async invalidate(account: string): Promise<void> {
    this.#inFlight.delete(account);
    await this.#cache?.invalidate(account);
  }

  close(): void {
    this.#queue.close();
  }

  /** Join a call in flight, or the waiting entry of the account, or queue a new one; undefined when refused at once. */
  #enqueue(
    account: string,
    tags: ReadonlySet<string>,
    tagKey: string,
    version: string | undefined,
    waiter: Waiter,
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
        entry = this.#queue.push(account, version);
      }
      for (const tag of tags) entry.tags.add(tag);
    }
    if (version !== undefined) entry.cacheKeys.set(tagKey, entry.cacheKeys.get(tagKey) ?? version);
    entry.waiters.push(waiter);
    return entry;
  }

  #pump(): void {
    if (this.#acquiring || this.#callsInFlight >= this.#maxInFlight || this.#queue.size === 0) return;
    if (!this.#reader.available(API)) {
      // The breaker is open: answer at once rather than hold reads for a slot they cannot use.
      const error = upstreamError(new TencentCircuitOpenError(API));
      for (const entry of this.#queue.drain()) settle(entry, error);
      return;
    }
    this.#acquiring = true;
    const started = performance.now();
    const slot =
      this.#gatherMs > 0
        ? sleep(this.#gatherMs).then(() => this.#reader.acquireSlot(API))
        : this.#reader.acquireSlot(API);
    slot.then(
      () => {
        this.#acquiring = false;
        const group = this.#take();
        if (group.length > 0) {
          for (const listener of this.#listeners)
            listener({ type: "call", accounts: group.length, slotWaitMs: performance.now() - started });
          void this.#send(group);
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

  /** The next call's accounts: a split half first, then the oldest waiting accounts; expired ones fail. */
  #take(): Entry[] {
    for (let pinned = this.#queue.takePinned(); pinned; pinned = this.#queue.takePinned()) {
      // A split half whose callers all left (deadline, disconnect) is not worth a call.
      const wanted = pinned.filter((entry) => entry.waiters.length > 0);
      if (wanted.length > 0) return wanted;
    }
    const group: Entry[] = [];
    const now = performance.now();
    while (group.length < this.#maxPerCall) {
      const entry = this.#queue.shift();
      if (!entry) break;
      if (entry.waiters.length === 0) continue;
      if (now - entry.enqueuedAt > this.#maxWaitMs) settle(entry, this.#waitedTooLong());
      else group.push(entry);
    }
    return group;
  }

  async #send(group: Entry[]): Promise<void> {
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
        // Account-class refusals come back at once: resending the same accounts fails the same way,
        // so #callFailed splits the call instead (and retries a lone account itself).
        { slotHeld: true, noRetryCodes: ACCOUNT_CLASS_CALL_CODES },
      );
      group.forEach((entry, i) => this.#settleResult(entry, results[i]!));
    } catch (error) {
      this.#callFailed(group, error);
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
    } else if (result.kind === "transient" && result.code !== undefined && entry.retries < this.#accountRetries) {
      entry.retries++;
      this.#queue.retry(entry);
    } else {
      settle(entry, accountError(result));
    }
  }

  #callFailed(group: Entry[], error: unknown): void {
    if (error instanceof TencentApiError && ACCOUNT_CLASS_CALL_CODES.has(error.code)) {
      if (group.length > 1) {
        // One bad account can fail the whole call: split until it is alone (each half draws its own slot).
        const half = Math.ceil(group.length / 2);
        this.#queue.pin(group.slice(0, half), group.slice(half));
        return;
      }
      const [entry] = group as [Entry];
      const kind = classifyErrorCode(error.code);
      if (kind === "transient" && entry.retries < this.#accountRetries) {
        // Alone, the account is tried again alone: in a shared call it would fail the others again.
        entry.retries++;
        this.#queue.pin([entry]);
        return;
      }
      this.#settleResult(entry, {
        account: entry.account,
        ok: false,
        code: error.code,
        info: error.info,
        kind,
        invalid: false,
      });
      return;
    }
    const outcome = readError(error);
    for (const entry of group) settle(entry, outcome);
  }

  #store(entry: Entry, items: readonly ProfileItem[]): void {
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
