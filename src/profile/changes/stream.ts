import type { ChangeEvent, ProfileChange } from "./change.js";

/**
 * The one ordered stream of profile changes every replica reads: `publish` appends, `listen` hears
 * every change from now on (on every replica), and `since` replays what is still retained after a
 * cursor, so a subscriber that reconnects misses nothing inside the window.
 */
export interface ChangeStream {
  /** Append a change; resolves with its cursor. */
  publish(change: ProfileChange): Promise<string>;
  /**
   * Fix where listening starts: resolves once the stream knows its newest change, so every change
   * published after this resolves reaches the listeners. Call it before taking traffic.
   */
  start(): Promise<void>;
  /** Every change appended after `start()`, in order; returns a function that stops listening. */
  listen(listener: (event: ChangeEvent) => void): () => void;
  /**
   * Up to `limit` changes after `cursor`, oldest first; `undefined` when the cursor is not one this
   * stream can resume from (older than the retained window, or unknown): the caller missed changes
   * and must read the profiles afresh.
   */
  since(cursor: string, limit: number): Promise<ChangeEvent[] | undefined>;
  /** The cursor of the newest change, from which a new subscriber starts (`"0"` when empty). */
  head(): Promise<string>;
  /** How many changes `since` can replay at most (the window). */
  readonly window: number;
  close(): Promise<void>;
}

/**
 * The stream of one process (no REDIS_URL): a ring of the newest `window` changes. Cursors are
 * `<instance>-<n>`: a cursor from before a restart is unknown here, so its subscriber re-reads.
 */
export class LocalChangeStream implements ChangeStream {
  readonly window: number;
  readonly #instance = Date.now().toString(36);
  readonly #ring: ChangeEvent[] = [];
  readonly #listeners = new Set<(event: ChangeEvent) => void>();
  #seq = 0;

  constructor(options: { window?: number } = {}) {
    this.window = options.window ?? 10_000;
    if (!(Number.isInteger(this.window) && this.window >= 1))
      throw new RangeError(`window must be an integer >= 1, got ${options.window}`);
  }

  async publish(change: ProfileChange): Promise<string> {
    const event: ChangeEvent = { cursor: `${this.#instance}-${++this.#seq}`, change };
    this.#ring.push(event);
    if (this.#ring.length > this.window) this.#ring.shift();
    for (const listener of this.#listeners) listener(event);
    return event.cursor;
  }

  async start(): Promise<void> {}

  listen(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async since(cursor: string, limit: number): Promise<ChangeEvent[] | undefined> {
    const match = /^([0-9a-z]+)-(\d+)$/.exec(cursor);
    if (!match || match[1] !== this.#instance) return undefined;
    const after = Number(match[2]);
    if (after > this.#seq) return undefined;
    const oldest = this.#seq - this.#ring.length; // the newest change no longer retained
    if (after < oldest) return undefined;
    return this.#ring.slice(after - oldest, after - oldest + limit);
  }

  async head(): Promise<string> {
    return `${this.#instance}-${this.#seq}`;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
