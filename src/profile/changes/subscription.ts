import type { ChangeEvent } from "./change.js";

/** Why a subscription ended early. */
export class SubscriptionEndedError extends Error {
  constructor(
    message: string,
    readonly reason: "slow" | "cursor-expired" | "closed" | "token-expired",
  ) {
    super(message);
    this.name = "SubscriptionEndedError";
  }
}

/**
 * One subscriber's changes, as an async iterator, with a bounded queue: a subscriber that does not
 * keep up (more than `maxQueued` changes waiting) is ended with `SubscriptionEndedError("slow")`
 * rather than buffered forever. `push` is called by the hub; `end` closes it (an error, or done).
 *
 *   for await (const event of subscription) send(event);
 */
export class Subscription implements AsyncIterableIterator<ChangeEvent, undefined> {
  readonly #queue: ChangeEvent[] = [];
  readonly #maxQueued: number;
  readonly #onEnd: () => void;
  #waiting: { resolve: (r: IteratorResult<ChangeEvent, undefined>) => void; reject: (e: unknown) => void } | undefined;
  #ended: { error?: Error } | undefined;
  /**
   * Called with each change as it is accepted (handed over or queued), before the subscriber takes
   * it: the subscriber may start work for it then (its profile read) rather than when it reaches it.
   */
  onAccepted: ((event: ChangeEvent) => void) | undefined;

  constructor(maxQueued: number, onEnd: () => void) {
    this.#maxQueued = maxQueued;
    this.#onEnd = onEnd;
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  push(event: ChangeEvent): void {
    if (this.#ended) return;
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      this.onAccepted?.(event);
      waiting.resolve({ value: event, done: false });
      return;
    }
    if (this.#queue.length >= this.#maxQueued) {
      this.end(
        new SubscriptionEndedError(
          `The subscriber fell more than ${this.#maxQueued} changes behind and was dropped; resubscribe with the last cursor it received`,
          "slow",
        ),
      );
      return;
    }
    this.onAccepted?.(event);
    this.#queue.push(event);
  }

  /** Ends the subscription: with `error` after the queued changes are read, or done. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = error === undefined ? {} : { error };
    if (error !== undefined) this.#queue.length = 0;
    this.#onEnd();
    if (this.#waiting) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      if (error === undefined) waiting.resolve({ value: undefined, done: true });
      else waiting.reject(error);
    }
  }

  next(): Promise<IteratorResult<ChangeEvent, undefined>> {
    const event = this.#queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.#ended) {
      return this.#ended.error === undefined
        ? Promise.resolve({ value: undefined, done: true })
        : Promise.reject(this.#ended.error);
    }
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<ChangeEvent, undefined>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
