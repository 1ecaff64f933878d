import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULTS } from "../../config/defaults.js";
import { withTimeout, type RedisLink } from "../../redis/link.js";
import { parseJson, stringifyJson } from "../../tencent/json.js";
import type { ChangeEvent, ProfileChange } from "./change.js";
import type { ChangeStream } from "./stream.js";

export interface RedisChangeStreamOptions {
  /** The shared link: XADD, XRANGE, XINFO. */
  client: RedisLink;
  /**
   * A connection of its own for the blocking XREAD (a blocked connection answers nothing else),
   * never the shared one: `RedisConnection.duplicate()`. On a Redis Cluster it routes the XREAD by
   * the stream's key like any command, so it reaches the master that holds the stream, and finds
   * the new one after a failover. Its owner opens and closes it.
   */
  reader: RedisLink;
  keyPrefix?: string;
  /** Changes kept for replay (XADD MAXLEN ~). Default 10 000. */
  window?: number;
  commandTimeoutMs?: number;
  /** How long one XREAD blocks waiting for changes. Default 1000 ms. */
  blockMs?: number;
  /** Redis failures of the reader loop or of publishing, for logs and metrics. */
  onError?: (error: unknown, operation: "publish" | "read" | "replay") => void;
}

/**
 * The change stream shared by every replica: a Redis Stream (`<prefix>changes`). Each replica runs
 * one reader loop (XREAD BLOCK on its own connection) and hands every entry, its own included, to
 * its listeners, so every replica sees the same changes in the same order. Entry ids are the
 * cursors; XADD trims to about `window` entries, and a cursor older than what was trimmed
 * (XINFO STREAM's max-deleted-entry-id) cannot be resumed from.
 *
 * While Redis is away, publishing fails (the caller decides what to do: the hub delivers to this
 * replica's subscribers directly) and the reader retries every second from the last id it saw, so
 * it picks up every change still retained once Redis is back.
 */
export class RedisChangeStream implements ChangeStream {
  readonly window: number;
  readonly #client: RedisLink;
  readonly #reader: RedisLink;
  readonly #key: string;
  /** Every command names the one stream key: on a cluster, they all go to the master that holds it. */
  readonly #route: { key: string };
  readonly #timeoutMs: number;
  readonly #blockMs: number;
  readonly #onError: NonNullable<RedisChangeStreamOptions["onError"]>;
  readonly #listeners = new Set<(event: ChangeEvent) => void>();
  #lastId: string | undefined;
  #closed = false;
  #reading = false;
  #started: Promise<void> | undefined;

  constructor(options: RedisChangeStreamOptions) {
    this.#client = options.client;
    this.#reader = options.reader;
    this.#key = `${options.keyPrefix ?? DEFAULTS.redis.keyPrefix}changes`;
    this.#route = { key: this.#key };
    this.window = options.window ?? 10_000;
    this.#timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
    this.#blockMs = options.blockMs ?? 1_000;
    this.#onError = options.onError ?? (() => {});
  }

  async publish(change: ProfileChange): Promise<string> {
    try {
      const id = await withTimeout(
        this.#client.sendCommand(
          ["XADD", this.#key, "MAXLEN", "~", String(this.window), "*", "c", stringifyJson(change)],
          this.#route,
        ),
        this.#timeoutMs,
      );
      return String(id);
    } catch (error) {
      this.#onError(error, "publish");
      throw error;
    }
  }

  /**
   * Learns the newest entry (retrying while Redis does not answer) and starts the reader loop from
   * it. Changes published while Redis was away at start-up are not replayed: there was no cursor yet.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      while (!this.#closed && this.#lastId === undefined) {
        try {
          this.#lastId = await this.head();
        } catch (error) {
          this.#onError(error, "read");
          await sleep(250);
        }
      }
      if (!this.#reading && !this.#closed) {
        this.#reading = true;
        void this.#read();
      }
    })();
    return this.#started;
  }

  listen(listener: (event: ChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async since(cursor: string, limit: number): Promise<ChangeEvent[] | undefined> {
    if (!/^\d+-\d+$/.test(cursor)) return undefined;
    try {
      // A cursor before the oldest entry kept may have had entries after it trimmed away: it cannot be
      // resumed from (at worst a client that missed nothing reads afresh). MAXLEN ~ trims whole
      // nodes, so the window holds at least `window` entries, often more.
      const info = fields(
        await withTimeout(this.#client.sendCommand(["XINFO", "STREAM", this.#key], this.#route), this.#timeoutMs),
      );
      const first = info["recorded-first-entry-id"] ?? entries([info["first-entry"]])[0]?.cursor;
      if (typeof first === "string" && compareIds(cursor, first) < 0) return undefined;
      const reply = await withTimeout(
        this.#client.sendCommand(["XRANGE", this.#key, `(${cursor}`, "+", "COUNT", String(limit)], this.#route),
        this.#timeoutMs,
      );
      return entries(reply);
    } catch (error) {
      // No stream yet: nothing was ever published, so nothing was missed after a cursor of it.
      if (error instanceof Error && /no such key/i.test(error.message)) return cursor === "0-0" ? [] : undefined;
      this.#onError(error, "replay");
      throw error;
    }
  }

  async head(): Promise<string> {
    const reply = await withTimeout(
      this.#client.sendCommand(["XREVRANGE", this.#key, "+", "-", "COUNT", "1"], this.#route),
      this.#timeoutMs,
    );
    return entries(reply)[0]?.cursor ?? "0-0";
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }

  /** The reader loop: from the newest entry at start, then the last one seen, every entry in order. */
  async #read(): Promise<void> {
    while (!this.#closed) {
      try {
        const reply = await withTimeout(
          this.#reader.sendCommand(
            ["XREAD", "COUNT", "500", "BLOCK", String(this.#blockMs), "STREAMS", this.#key, this.#lastId!],
            this.#route,
          ),
          this.#blockMs + this.#timeoutMs + 1_000,
        );
        if (this.#closed) return;
        const streams = Array.isArray(reply) ? (reply as unknown[]) : [];
        for (const stream of streams) {
          for (const event of entries((stream as unknown[])[1])) {
            this.#lastId = event.cursor;
            for (const listener of this.#listeners) listener(event);
          }
        }
      } catch (error) {
        if (this.#closed) return;
        this.#onError(error, "read");
        await sleep(1_000);
      }
    }
  }
}

/** XRANGE / XREAD entries: `[[id, [field, value, …]], …]` → events (an entry that is not a change is skipped). */
function entries(reply: unknown): ChangeEvent[] {
  if (!Array.isArray(reply)) return [];
  const out: ChangeEvent[] = [];
  for (const entry of reply as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const [id, values] = entry as [unknown, unknown];
    const json = fields(values).c;
    if (typeof id !== "string" || typeof json !== "string") continue;
    out.push({ cursor: id, change: parseJson(json) as ProfileChange });
  }
  return out;
}

/** A flat `[k, v, k, v…]` reply (RESP2) or a map (RESP3) as an object. */
function fields(reply: unknown): Record<string, unknown> {
  if (Array.isArray(reply)) {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
    return out;
  }
  if (reply instanceof Map) return Object.fromEntries(reply as Map<string, unknown>);
  return typeof reply === "object" && reply !== null ? (reply as Record<string, unknown>) : {};
}

/** Compare two stream ids `<ms>-<seq>` as numbers. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bs = 0n] = b.split("-").map(BigInt);
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
}
