import { request } from "undici";
import type { RouterInvalidationSettings } from "../config/changes.js";
import { DEFAULTS } from "../config/defaults.js";
import type { Logger } from "./logger.js";

/** The cache tag a router's cached reads of `account` carry (see cache-tags.plugin.ts). */
export function userCacheTag(account: string): string {
  return `user-${account}`;
}

/** Tags one invalidation request carries at most. */
const MAX_TAGS_PER_REQUEST = 100;

/**
 * Tells Apollo Router's response cache that profiles changed, so that it drops what it cached of
 * them before their max-age ends: a `cache_tag` invalidation (`user-<id>`) per changed account, on
 * the router's invalidation endpoint, authorised by its shared key.
 *
 *   POST http://router:4000/invalidation
 *   Authorization: <shared_key>
 *   [{ "kind": "cache_tag", "subgraphs": ["portrait-graph"], "cache_tag": "user-li.na" }]
 *
 * Only the replica that learnt of a change calls (the hub's `onNew`), so a change costs one
 * request, not one per replica. Changes that come together go in one request. A failed request is
 * retried once, then logged and counted: the router's TTL (CACHE_CONTROL_MAX_AGE) still bounds
 * what it serves. The key never reaches a log.
 */
export class RouterInvalidation {
  readonly #settings: RouterInvalidationSettings;
  readonly #logger: Logger;
  readonly #count: (outcome: "ok" | "failed", tags: number) => void;
  readonly #pending = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  #scheduled = false;

  constructor(
    settings: RouterInvalidationSettings,
    logger: Logger,
    count: (outcome: "ok" | "failed", tags: number) => void = () => {},
  ) {
    this.#settings = settings;
    this.#logger = logger;
    this.#count = count;
  }

  /** Invalidate `account`'s cached reads soon (with whatever else changes in the same turn). */
  invalidate(account: string): void {
    this.#pending.add(userCacheTag(account));
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Resolves once the requests already started have ended (shutdown). */
  async settled(): Promise<void> {
    while (this.#scheduled || this.#inFlight.size > 0) {
      await Promise.all(this.#inFlight);
      if (this.#scheduled) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const tags = [...this.#pending];
    this.#pending.clear();
    for (let i = 0; i < tags.length; i += MAX_TAGS_PER_REQUEST) {
      const sending = this.#send(tags.slice(i, i + MAX_TAGS_PER_REQUEST)).finally(() => this.#inFlight.delete(sending));
      this.#inFlight.add(sending);
    }
  }

  async #send(tags: string[]): Promise<void> {
    const { url, sharedKey, subgraph } = this.#settings;
    const body = JSON.stringify(tags.map((tag) => ({ kind: "cache_tag", subgraphs: [subgraph], cache_tag: tag })));
    let failure = "";
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const response = await request(url, {
          method: "POST",
          headers: { authorization: sharedKey, "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(DEFAULTS.changes.routerInvalidationTimeoutMs),
        });
        await response.body.dump();
        if (response.statusCode < 300) {
          this.#count("ok", tags.length);
          return;
        }
        failure = `HTTP ${response.statusCode}`;
        // A refusal of the request itself (bad key, unknown subgraph) will not pass on a retry.
        if (response.statusCode < 500 && response.statusCode !== 429) break;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    this.#count("failed", tags.length);
    this.#logger.warn(
      { endpoint: `${url.origin}${url.pathname}`, tags: tags.length, failure },
      "router cache invalidation failed; the router serves what it cached until CACHE_CONTROL_MAX_AGE ends",
    );
  }
}
