import type { ProfileCache } from "../cache.js";
import { changeDigest, type ChangeEvent, type ProfileChange } from "./change.js";
import type { ChangeLedger, Verdict } from "./ledger.js";
import type { ChangeStream } from "./stream.js";
import { Subscription, SubscriptionEndedError } from "./subscription.js";

export interface ChangeHubOptions {
  ledger: ChangeLedger;
  stream: ChangeStream;
  /** The profile cache: a new change invalidates the account there, once, on the replica that learnt it. */
  cache?: ProfileCache;
  /** Called on every replica for every change it hears (e.g. the dispatcher forgets reads in flight). */
  onChange?: (change: ProfileChange) => void;
  /** Called once per new change, on the replica that learnt it (e.g. to tell a router's cache). */
  onNew?: (change: ProfileChange) => void;
  /** Subscriptions this process holds at once. Default 10 000. */
  maxSubscriptions?: number;
  /** Changes one subscription may have waiting before it is dropped as too slow. Default 100. */
  maxQueued?: number;
  /** A step that failed and was worked around (the ledger or the stream away), for logs and metrics. */
  onError?: (error: unknown, step: "ledger" | "publish" | "replay") => void;
}

/** What became of a change the hub was given. */
export type Outcome = Verdict;

/**
 * Profile changes in, and out: a verified callback or this service's own write comes in, is
 * checked against the ledger (applied once, never out of order), invalidates the account in the
 * cache, and goes out on the change stream to every replica, where it reaches the subscribers of
 * that account.
 *
 *   const hub = new ChangeHub({ ledger, stream, cache, onChange: (c) => dispatcher.forget(c.account) });
 *   await hub.received({ account: "li.na", eventTime, items, source: "callback" });
 *   for await (const event of hub.subscribe(new Set(["li.na"]))) …
 *
 * When the ledger cannot be asked (Redis away) a change counts as new: a subscriber may then see
 * one twice, never miss one. When the stream cannot take it, this replica's subscribers still get
 * it; other replicas' subscribers do not (their caches are shared and were invalidated anyway).
 */
export class ChangeHub {
  readonly #ledger: ChangeLedger;
  readonly #stream: ChangeStream;
  readonly #cache: ProfileCache | undefined;
  readonly #onChange: (change: ProfileChange) => void;
  readonly #onNew: (change: ProfileChange) => void;
  readonly #onError: NonNullable<ChangeHubOptions["onError"]>;
  readonly #maxSubscriptions: number;
  readonly #maxQueued: number;
  readonly #byAccount = new Map<string, Set<Sink>>();
  #subscriptions = 0;
  #unlisten: (() => void) | undefined;
  #closed = false;

  constructor(options: ChangeHubOptions) {
    this.#ledger = options.ledger;
    this.#stream = options.stream;
    this.#cache = options.cache;
    this.#onChange = options.onChange ?? (() => {});
    this.#onNew = options.onNew ?? (() => {});
    this.#onError = options.onError ?? (() => {});
    this.#maxSubscriptions = options.maxSubscriptions ?? 10_000;
    this.#maxQueued = options.maxQueued ?? 100;
    this.#unlisten = this.#stream.listen((event) => this.#deliver(event));
  }

  /** Resolves once changes published from now on reach this replica (see `ChangeStream.start`). */
  start(): Promise<void> {
    return this.#stream.start();
  }

  /** Subscriptions held now. */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  /** A change Tencent's callback told of (already verified). */
  async received(change: ProfileChange): Promise<Outcome> {
    const verdict = await this.#ask(() =>
      this.#ledger.admit(change.account, change.eventTime, changeDigest(change.items)),
    );
    if (verdict !== "new") return verdict;
    await this.#cache?.invalidate(change.account);
    this.#onNew(change);
    await this.#publish(change);
    return "new";
  }

  /** This service's own write, accepted by Tencent (the writer invalidated the cache itself). */
  async wrote(change: ProfileChange): Promise<Outcome> {
    const verdict = await this.#ask(() => this.#ledger.wrote(change.account, changeDigest(change.items)));
    if (verdict === "new") {
      this.#onNew(change);
      await this.#publish(change);
    }
    return verdict;
  }

  /** The cursor of the newest change: where a new subscription starts. */
  head(): Promise<string> {
    return this.#stream.head();
  }

  /**
   * The changes of `accounts` from now on or, given `after`, from that cursor (replaying what the
   * stream still holds, then live). Throws `SubscriptionEndedError("cursor-expired")` when the cursor
   * is older than the stream's window, and a RangeError past the per-process bound.
   */
  async subscribe(accounts: ReadonlySet<string>, options: { after?: string } = {}): Promise<Subscription> {
    if (this.#closed) throw new SubscriptionEndedError("The service is shutting down", "closed");
    if (this.#subscriptions >= this.#maxSubscriptions) {
      throw new RangeError(`This replica holds its maximum of ${this.#maxSubscriptions} subscriptions; try another`);
    }
    this.#subscriptions++;
    const subscription = new Subscription(this.#maxQueued, () => {
      this.#subscriptions--;
      for (const account of accounts) {
        const set = this.#byAccount.get(account);
        set?.delete(subscription);
        if (set?.size === 0) this.#byAccount.delete(account);
      }
    });
    if (options.after === undefined) {
      this.#attach(accounts, subscription);
      return subscription;
    }
    // Live changes that arrive during the replay wait behind it, and what the replay delivered is
    // not delivered again.
    const live: ChangeEvent[] = [];
    const collect: Sink = { push: (event) => live.push(event), end: () => {} };
    this.#attach(accounts, collect);
    const replayed = new Set<string>();
    try {
      let cursor = options.after;
      for (;;) {
        const page = await this.#stream.since(cursor, 500);
        if (page === undefined) {
          throw new SubscriptionEndedError(
            `The cursor ${JSON.stringify(cursor.slice(0, 40))} is older than the ${this.#stream.window} changes kept (or unknown); read the profiles afresh and subscribe without a cursor`,
            "cursor-expired",
          );
        }
        for (const event of page) {
          replayed.add(event.cursor);
          if (accounts.has(event.change.account)) subscription.push(event);
        }
        if (page.length < 500) break;
        cursor = page[page.length - 1]!.cursor;
      }
    } catch (error) {
      this.#detach(accounts, collect);
      if (!(error instanceof SubscriptionEndedError)) this.#onError(error, "replay");
      subscription.end();
      throw error;
    }
    this.#detach(accounts, collect);
    this.#attach(accounts, subscription);
    for (const event of live) if (!replayed.has(event.cursor)) subscription.push(event);
    return subscription;
  }

  /** Ends every subscription (they finish with what they have) and stops listening to the stream. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unlisten?.();
    this.#unlisten = undefined;
    for (const set of [...this.#byAccount.values()]) for (const subscription of [...set]) subscription.end();
  }

  async #ask(step: () => Promise<Verdict>): Promise<Verdict> {
    try {
      return await step();
    } catch (error) {
      this.#onError(error, "ledger");
      return "new";
    }
  }

  async #publish(change: ProfileChange): Promise<void> {
    try {
      await this.#stream.publish(change);
    } catch (error) {
      this.#onError(error, "publish");
      this.#deliver({ cursor: "", change });
    }
  }

  #deliver(event: ChangeEvent): void {
    this.#onChange(event.change);
    for (const subscription of this.#byAccount.get(event.change.account) ?? []) subscription.push(event);
  }

  #attach(accounts: ReadonlySet<string>, subscription: Sink): void {
    for (const account of accounts) {
      let set = this.#byAccount.get(account);
      if (!set) {
        set = new Set();
        this.#byAccount.set(account, set);
      }
      set.add(subscription);
    }
  }

  #detach(accounts: ReadonlySet<string>, subscription: Sink): void {
    for (const account of accounts) this.#byAccount.get(account)?.delete(subscription);
  }
}

/** Where the hub delivers an account's changes: a subscription, or a replay's buffer of live changes. */
interface Sink {
  push(event: ChangeEvent): void;
  end(): void;
}
