import { createHash } from "node:crypto";

/**
 * What the shared budget and the profile cache need from a node-redis client. A client from
 * `createClient()` (see `src/server/redis.ts`) satisfies it; nothing here creates or closes one.
 */
export interface RedisLink {
  /** True while connected and ready; with `disableOfflineQueue`, commands fail at once otherwise. */
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
  off(event: "ready" | "reconnecting" | "end", listener: () => void): unknown;
}

/**
 * A Lua script run with EVALSHA (EVAL once, when Redis does not know it yet). `timeoutMs` bounds
 * the whole round trip: node-redis's own command timeout stops counting once a command is written,
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
    return withTimeout(
      link.sendCommand(["EVALSHA", this.#sha, ...tail]).catch((error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
        return link.sendCommand(["EVAL", this.source, ...tail]);
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
