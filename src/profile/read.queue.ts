import type { WireItem } from "../tencent/portrait.js";
import type { ProfileError } from "./errors.js";

/**
 * An account's profile fields, or why it could not be read. `stale`: Tencent could not answer
 * (`reason`, the error it would have been) and these are the cached fields, `ageMs` old.
 */
export type ReadOutcome =
  { ok: true; account: string; items: WireItem[]; stale?: { ageMs: number; reason: string } } | ProfileError;

/** One caller waiting for an account. */
export interface Waiter {
  resolve(outcome: ReadOutcome): void;
}

/** One account waiting for (or riding in) a portrait_get, with everyone who wants it. */
export interface Entry {
  account: string;
  tags: Set<string>;
  waiters: Waiter[];
  enqueuedAt: number;
  /** Transient per-account failures retried so far. */
  retries: number;
  /** The cache version its first reader saw (reads with a newer one must not join it). */
  version: string | undefined;
  /** Cache keys (tag sets) its readers missed, with the version each lookup saw. */
  cacheKeys: Map<string, string>;
}

/** Answers everyone waiting for the entry's account. */
export function settle(entry: Entry, outcome: ReadOutcome): void {
  for (const waiter of entry.waiters.splice(0)) waiter.resolve(outcome);
}

/**
 * The dispatcher's waiting room, in arrival order: retried accounts go first (they waited
 * longest), then the oldest accounts. An account waits once however many
 * callers want it. While anything waits, a sweeper hands entries that waited longer than `maxWaitMs`
 * to `onExpired`, so the bound holds even when no call slot comes to take them.
 */
export class ReadQueue {
  readonly #maxWaitMs: number;
  readonly #onExpired: (entry: Entry) => void;
  #sweeper: NodeJS.Timeout | undefined;
  readonly #byAccount = new Map<string, Entry>();
  #fifo: (Entry | undefined)[] = [];
  #head = 0;
  #retries: Entry[] = [];
  #size = 0;

  constructor(maxWaitMs: number, onExpired: (entry: Entry) => void) {
    this.#maxWaitMs = maxWaitMs;
    this.#onExpired = onExpired;
  }

  /** Accounts waiting. */
  get size(): number {
    return this.#size;
  }

  /** The waiting entry of an account, to merge another read into. */
  get(account: string): Entry | undefined {
    return this.#byAccount.get(account);
  }

  /**
   * Queue an account, waiting since `enqueuedAt`: the accounts of one read share one time, so the
   * wait bound takes all of them or none (never half a read, leaving the rest for a smaller call).
   */
  push(account: string, version: string | undefined, enqueuedAt = performance.now()): Entry {
    const entry: Entry = {
      account,
      tags: new Set(),
      waiters: [],
      enqueuedAt,
      retries: 0,
      version,
      cacheKeys: new Map(),
    };
    this.#byAccount.set(account, entry);
    this.#fifo.push(entry);
    this.#size++;
    this.#startSweeper();
    return entry;
  }

  /** Back to the front: an account whose own answer was transient. */
  retry(entry: Entry): void {
    // Its wait for a call starts again: the bound is on waiting, not on time spent in calls.
    entry.enqueuedAt = performance.now();
    this.#retries.push(entry);
    this.#size++;
  }

  /** The next single entry: retried ones first, then the oldest. */
  shift(): Entry | undefined {
    const retried = this.#retries.shift();
    if (retried) {
      this.#size--;
      return retried;
    }
    while (this.#head < this.#fifo.length) {
      const entry = this.#fifo[this.#head];
      this.#fifo[this.#head++] = undefined;
      this.#compact();
      if (!entry) continue;
      this.#byAccount.delete(entry.account);
      this.#size--;
      return entry;
    }
    return undefined;
  }

  /** Remove and return every entry that has waited since before `before`. */
  #expired(before: number): Entry[] {
    const out: Entry[] = [];
    const keep = (e: Entry) => (e.enqueuedAt < before ? (out.push(e), false) : true);
    this.#retries = this.#retries.filter(keep);
    while (this.#head < this.#fifo.length) {
      const entry = this.#fifo[this.#head];
      if (entry && entry.enqueuedAt >= before) break;
      this.#fifo[this.#head++] = undefined;
      if (entry) {
        this.#byAccount.delete(entry.account);
        out.push(entry);
      }
    }
    this.#compact();
    this.#size -= out.length;
    return out;
  }

  /** Remove and return everything. */
  drain(): Entry[] {
    const out = [...this.#retries, ...(this.#fifo.slice(this.#head).filter(Boolean) as Entry[])];
    this.#retries = [];
    this.#fifo = [];
    this.#head = 0;
    this.#byAccount.clear();
    this.#size = 0;
    return out;
  }

  /** Stops the sweeper; entries stay where they are. */
  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #startSweeper(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(
      () => {
        for (const entry of this.#expired(performance.now() - this.#maxWaitMs)) this.#onExpired(entry);
        if (this.#size === 0) this.close();
      },
      Math.max(10, this.#maxWaitMs / 4),
    );
    this.#sweeper.unref();
  }

  #compact(): void {
    if (this.#head === this.#fifo.length) {
      this.#fifo = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
  }
}
