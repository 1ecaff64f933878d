import type { ReadOutcome } from "./dispatcher.js";

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

/**
 * The dispatcher's waiting room, in arrival order: retried accounts and split halves of a refused
 * call go first (they waited longest), then the oldest accounts. An account waits once however many
 * callers want it.
 */
export class ReadQueue {
  readonly #byAccount = new Map<string, Entry>();
  #fifo: (Entry | undefined)[] = [];
  #head = 0;
  #retries: Entry[] = [];
  #pinned: Entry[][] = [];
  #size = 0;

  /** Accounts waiting (split halves included). */
  get size(): number {
    return this.#size;
  }

  /** The waiting entry of an account, to merge another read into. */
  get(account: string): Entry | undefined {
    return this.#byAccount.get(account);
  }

  push(account: string, version: string | undefined): Entry {
    const entry: Entry = { account, tags: new Set(), waiters: [], enqueuedAt: performance.now(), retries: 0, version, cacheKeys: new Map() };
    this.#byAccount.set(account, entry);
    this.#fifo.push(entry);
    this.#size++;
    return entry;
  }

  /** Back to the front: an account whose own answer was transient. */
  retry(entry: Entry): void {
    // Its wait for a call starts again: the bound is on waiting, not on time spent in calls.
    entry.enqueuedAt = performance.now();
    this.#retries.push(entry);
    this.#size++;
  }

  /** Groups that must each go out alone, before anything else (halves of a refused call). */
  pin(...groups: Entry[][]): void {
    const now = performance.now();
    for (const group of groups) for (const entry of group) entry.enqueuedAt = now;
    this.#pinned.unshift(...groups.filter((g) => g.length > 0));
    for (const group of groups) this.#size += group.length;
  }

  takePinned(): Entry[] | undefined {
    const group = this.#pinned.shift();
    if (group) this.#size -= group.length;
    return group;
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
  expired(before: number): Entry[] {
    const out: Entry[] = [];
    const keep = (e: Entry) => (e.enqueuedAt < before ? (out.push(e), false) : true);
    this.#retries = this.#retries.filter(keep);
    this.#pinned = this.#pinned.map((g) => g.filter(keep)).filter((g) => g.length > 0);
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
    const out = [...this.#pinned.flat(), ...this.#retries, ...(this.#fifo.slice(this.#head).filter(Boolean) as Entry[])];
    this.#pinned = [];
    this.#retries = [];
    this.#fifo = [];
    this.#head = 0;
    this.#byAccount.clear();
    this.#size = 0;
    return out;
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
