import type { PortraitResult } from "../tencent/portrait.js";

export interface PortraitReader {
  portraitGet(accounts: readonly string[], tags: readonly string[]): Promise<PortraitResult[]>;
}

/** An account's outcome: its portrait_get result, or the error of the call that carried it. */
export type BatchOutcome = PortraitResult | Error;

interface Pending {
  tags: Set<string>;
  waiters: ((outcome: BatchOutcome) => void)[];
}

/**
 * The per-process batcher under every request's loader: accounts asked for in the same turn of
 * the event loop, by any number of concurrent requests, go out together in portrait_get calls
 * of at most `maxBatchSize` distinct accounts, each asking for the union of the tags wanted.
 *
 * It holds nothing between turns: there is no cross-request cache to go stale.
 */
export class ProfileBatcher {
  #pending = new Map<string, Pending>();
  #scheduled = false;

  /**
   * @param windowMs how long to gather accounts before calling: 0 (default) gathers what the
   *   current turn of the event loop asks for; a few ms gathers more requests per call at the
   *   cost of that much latency. A full chunk goes out at once either way.
   */
  constructor(
    private readonly reader: PortraitReader,
    readonly maxBatchSize = 100,
    readonly windowMs = 0,
  ) {}

  /** Resolves with one outcome per account, in order; never rejects. */
  load(accounts: readonly string[], tags: ReadonlySet<string>): Promise<BatchOutcome[]> {
    return Promise.all(accounts.map((account) => this.#enqueue(account, tags)));
  }

  #enqueue(account: string, tags: ReadonlySet<string>): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      let entry = this.#pending.get(account);
      if (!entry) {
        entry = { tags: new Set(), waiters: [] };
        this.#pending.set(account, entry);
      }
      for (const tag of tags) entry.tags.add(tag);
      entry.waiters.push(resolve);
      if (this.windowMs > 0 && this.#pending.size >= this.maxBatchSize) {
        this.#flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after the current poll phase, so requests that arrived together
        // (and ran their resolvers in microtasks) share the same upstream calls.
        if (this.windowMs > 0) setTimeout(() => this.#flush(), this.windowMs);
        else setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    const entries = [...batch];
    for (let i = 0; i < entries.length; i += this.maxBatchSize) {
      const chunk = entries.slice(i, i + this.maxBatchSize);
      const tags = new Set<string>();
      for (const [, entry] of chunk) for (const tag of entry.tags) tags.add(tag);
      void this.#dispatch(chunk, [...tags]);
    }
  }

  async #dispatch(chunk: [string, Pending][], tags: string[]): Promise<void> {
    let results: PortraitResult[] | undefined;
    let failure: Error | undefined;
    try {
      results = await this.reader.portraitGet(chunk.map(([account]) => account), tags);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    chunk.forEach(([, entry], i) => {
      const outcome = failure ?? results![i]!;
      for (const resolve of entry.waiters) resolve(outcome);
    });
  }
}
