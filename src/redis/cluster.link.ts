import { EventEmitter } from "node:events";
import { DEFAULTS } from "../config/defaults.js";
import type { RedisLink, RedisRoute } from "./link.js";

/**
 * What ClusterLink uses of a node-redis cluster client (`createCluster()` from `redis` 5). Its
 * `_slots.rediscover` is node-redis's own topology refresh (CLUSTER SLOTS), which it runs by
 * itself only on a MOVED or ASK reply; see ClusterLink for why it is called here too.
 */
export interface RedisClusterLike {
  readonly isOpen: boolean;
  readonly masters: readonly { readonly client?: { readonly isReady: boolean } | undefined }[];
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: () => void): unknown;
  readonly _slots: { rediscover(startWith: never): Promise<void> };
}

export interface ClusterLinkOptions {
  /** While a master is unreachable, how often the topology is read again to find who replaced it. Default 250 ms. */
  refreshMs?: number;
  /** Before the first discovery succeeds (no seed node answered yet): the wait before attempt `n` (0-based). */
  retryDelayMs?: (attempt: number) => number;
  /**
   * One discovery attempt at most: node-redis waits for a connection to every master it is told
   * of, forever if one is dead (a start during a failover), so a longer attempt is abandoned and
   * the topology read afresh. Default 5000 ms.
   */
  attemptTimeoutMs?: number;
}

/** A command sent before the cluster's topology is known: it fails at once, as an offline client's would. */
export class ClusterUnavailableError extends Error {
  constructor() {
    super("The Redis Cluster is not reachable yet (no seed node has answered)");
    this.name = "ClusterUnavailableError";
  }
}

/**
 * A RedisLink over a node-redis cluster client: each command goes to the master serving its key's
 * hash slot, and follows MOVED and ASK as node-redis does.
 *
 * What node-redis does not do, this does. When a master dies, node-redis keeps reconnecting to its
 * address and fails every command for its slots at once (offline), but it reads the topology again
 * only on a MOVED reply, which a dead node never sends: it would never learn that a replica took
 * over. So while any master it knows is not ready, this reads the topology again every `refreshMs`
 * (node-redis's own rediscover: CLUSTER SLOTS from a live node, then the seeds), which drops the
 * dead master and connects to the promoted one.
 *
 * Readiness, for the budget and the cache: `ready` while every master the client knows of is
 * connected (a master not connected to yet, with `minimizeConnections`, counts as up);
 * `reconnecting` as soon as one is not, whichever slots it serves, since the link cannot tell which
 * keys its users care about; `ready` again once the topology is whole. Commands for slots served by
 * live masters keep working meanwhile.
 *
 * Before the first discovery (no seed answered yet) commands fail at once, and discovery is retried
 * with `retryDelayMs` until it succeeds or the link is closed.
 */
export class ClusterLink extends EventEmitter implements RedisLink {
  readonly clustered = true;
  readonly #cluster: RedisClusterLike;
  readonly #refreshMs: number;
  readonly #retryDelayMs: (attempt: number) => number;
  readonly #attemptTimeoutMs: number;
  #connected = false;
  #ready = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #refreshing = false;
  #started: Promise<boolean> | undefined;

  constructor(cluster: RedisClusterLike, options: ClusterLinkOptions = {}) {
    super();
    this.#cluster = cluster;
    this.#refreshMs = options.refreshMs ?? DEFAULTS.redis.clusterRefreshMs;
    this.#retryDelayMs = options.retryDelayMs ?? (() => DEFAULTS.redis.maxReconnectDelayMs);
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 5 * DEFAULTS.redis.connectTimeoutMs;
    for (const event of ["node-reconnecting", "node-error", "node-disconnect", "node-ready", "node-connect"])
      cluster.on(event, () => this.#check());
  }

  get isReady(): boolean {
    return this.#ready;
  }

  /** Whether the topology was discovered (commands can be routed). */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Discovers the topology and connects to the masters, retrying until a seed answers. Resolves
   * true once connected, false if closed first; call it once.
   */
  start(): Promise<boolean> {
    this.#started ??= (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        let timer: NodeJS.Timeout | undefined;
        try {
          const connecting = this.#cluster.connect();
          connecting.catch(() => {}); // abandoned below when it takes too long
          await Promise.race([
            connecting,
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error("discovery took too long")), this.#attemptTimeoutMs);
            }),
          ]);
          if (this.#closed) return false;
          this.#connected = true;
          this.#check();
          return true;
        } catch {
          // The cluster client emitted the cause as 'error' (or is still waiting on a dead node:
          // destroy it, which ends the attempt); try again after the back-off.
          if (this.#closed) return false;
          if (this.#cluster.isOpen) this.#cluster.destroy();
          await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs(attempt)).unref());
        } finally {
          clearTimeout(timer);
        }
      }
      return false;
    })();
    return this.#started;
  }

  sendCommand(args: readonly string[], route: RedisRoute): Promise<unknown> {
    // Without a topology node-redis would throw a TypeError on the empty slot table.
    if (!this.#connected || !this.#cluster.isOpen || this.#cluster.masters.length === 0)
      return Promise.reject(new ClusterUnavailableError());
    return this.#cluster.sendCommand(route.key, false, [...args]);
  }

  /** Stops refreshing and closes every connection of the cluster client; commands in flight fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopRefreshing();
    const wasReady = this.#ready;
    this.#ready = false;
    if (this.#cluster.isOpen) this.#cluster.destroy();
    if (wasReady || this.#connected) this.emit("end");
  }

  /** Recomputes readiness from the masters' connections; refreshes the topology while it is not whole. */
  #check(): void {
    if (this.#closed || !this.#connected) return;
    const masters = this.#cluster.masters;
    const ready = masters.length > 0 && masters.every((m) => !m.client || m.client.isReady);
    if (ready) this.#stopRefreshing();
    else this.#startRefreshing();
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.emit(ready ? "ready" : "reconnecting");
  }

  #startRefreshing(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#refresh(), this.#refreshMs);
    this.#timer.unref();
  }

  #stopRefreshing(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(): Promise<void> {
    if (this.#refreshing || this.#closed) return;
    this.#refreshing = true;
    try {
      // Ask a master that is up (node-redis falls back to the seeds when that one fails).
      const masters = this.#cluster.masters;
      const from = masters.find((m) => m.client?.isReady)?.client ?? masters.find((m) => m.client)?.client;
      if (from) await this.#cluster._slots.rediscover(from as never);
    } catch {
      // Emitted as 'error' by the cluster client; the next tick tries again.
    } finally {
      this.#refreshing = false;
      this.#check();
    }
  }
}
