import { createHash } from "node:crypto";

/**
 * Where a command goes: on Redis Cluster, to the master serving `key`'s hash slot; `undefined`
 * (PING): to any node. A single Redis ignores it.
 */
export interface RedisRoute {
  readonly key: string | undefined;
}

/**
 * What the shared budget, the profile cache and the change stream need from Redis: one node
 * (`clientLink`, over node-redis's `createClient`) or a Redis Cluster (`ClusterLink`, over
 * `createCluster`). Every command names the key it routes by, so the same code runs on both.
 * Nothing here creates or closes a connection.
 */
export interface RedisLink {
  /**
   * True while commands can run: connected and ready (on a cluster: every master it knows of).
   * Otherwise commands fail at once (`disableOfflineQueue`), or reach only the masters still up.
   */
  readonly isReady: boolean;
  /** True on Redis Cluster: one command or script may only touch keys of one hash slot. */
  readonly clustered: boolean;
  sendCommand(args: readonly string[], route: RedisRoute): Promise<unknown>;
  on(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
  off(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
}

/** What `clientLink` needs of a node-redis client (`createClient()`). */
export interface RedisClientLike {
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
  off(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
}

/** A link over one node-redis client: the route is not needed, every key lives on that one Redis. */
export function clientLink(client: RedisClientLike): RedisLink {
  return {
    get isReady() {
      return client.isReady;
    },
    clustered: false,
    sendCommand: (args) => client.sendCommand([...args]),
    on: (event, listener) => client.on(event, listener),
    off: (event, listener) => client.off(event, listener),
  };
}

/**
 * A Lua script run with EVALSHA (EVAL once, when Redis does not know it yet: on a cluster, once per
 * node). It routes by KEYS[1]; every key it names must share that key's hash slot on a cluster
 * (hash tags: `{account}`). `timeoutMs` bounds the whole round trip: node-redis's own command timeout stops counting once a command is written,
 * so a Redis that stopped answering on an open socket would otherwise hold the caller for as long
 * as the socket lives.
 */
export class LuaScript {
  readonly #sha: string;

  constructor(readonly source: string) {
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run(link: RedisLink, keys: readonly string[], args: readonly string[], timeoutMs: number): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    const route = { key: keys[0] };
    return withTimeout(
      link.sendCommand(["EVALSHA", this.#sha, ...tail], route).catch((error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return link.sendCommand(["EVAL", this.source, ...tail], route);
      }),
      timeoutMs,
    );
  }
}

/** `promise`, or a rejection after `ms`; the late outcome of `promise` is ignored. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RedisTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = "RedisTimeoutError";
  }
}
