import { pollSleep } from "./poll.js";

/**
 * How a queue asks for its next grant: 0 = granted now; a positive number = ms to wait before
 * asking again; undefined = ask again at once (the source changed, e.g. Redis just failed).
 */
export type TakeSlot = (key: string) => number | undefined | Promise<number | undefined>;

interface Waiter {
  resolve(grantedAt: number): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface KeyQueue {
  waiters: Waiter[];
  pumping: boolean;
}

/**
 * Callers waiting for grants, one FIFO per key (an API), served head first: only the head asks the
 * source, so what a queue costs the source (a Redis round trip, a timer) depends on the rate, not on
 * how many callers wait. Shared by the local budget, the Redis budget and the throttle governor.
 *
 *   const queue = new SlotQueue((api) => gcra.take(performance.now()));
 *   const grantedAt = await queue.acquire("profile/portrait_get", signal);
 */
export class SlotQueue {
  readonly #take: TakeSlot;
  readonly #queues = new Map<string, KeyQueue>();
  readonly #closing = new AbortController();

  constructor(take: TakeSlot) {
    this.#take = take;
  }

  /** Callers waiting for `key` now. */
  waiting(key: string): number {
    return this.#queues.get(key)?.waiters.length ?? 0;
  }

  /** Wait for one grant of `key`; resolves with when it was granted. Rejects with the signal's reason when aborted. */
  acquire(key: string, signal?: AbortSignal): Promise<number> {
    if (this.#closing.signal.aborted) return Promise.reject(new Error("the call budget is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = { waiters: [], pumping: false };
      this.#queues.set(key, queue);
    }
    const q = queue;
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = q.waiters.indexOf(waiter);
          if (index >= 0) q.waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      q.waiters.push(waiter);
      if (!q.pumping) void this.#pump(key, q);
    });
  }

  /** Rejects every caller still waiting; later acquires reject at once. */
  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    for (const queue of this.#queues.values()) {
      for (const waiter of queue.waiters.splice(0)) {
        if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.reject(new Error("the call budget is closed"));
      }
    }
  }

  async #pump(key: string, queue: KeyQueue): Promise<void> {
    queue.pumping = true;
    const closing = this.#closing.signal;
    try {
      while (queue.waiters.length > 0 && !closing.aborted) {
        const waitMs = await this.#take(key);
        if (waitMs === undefined) continue;
        if (waitMs > 0) {
          await pollSleep(waitMs, closing);
          continue;
        }
        // A slot is never given back: it goes to the first caller still waiting.
        const waiter = queue.waiters.shift();
        if (!waiter) continue;
        if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.resolve(performance.now());
      }
    } catch (error) {
      if (!closing.aborted) throw error;
    } finally {
      queue.pumping = false;
    }
  }
}
