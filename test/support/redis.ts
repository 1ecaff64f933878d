import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, inject } from "vitest";
import {
  connectRedis,
  type RedisClient,
  type RedisConnectOptions,
  type RedisConnection,
} from "../../src/server/redis.js";

export { describeRedis } from "./skips.js";

export interface RedisFixture {
  /** `pg-test:<random>:`, unique to this fixture; every key under it is deleted after the suite. */
  readonly prefix: string;
  readonly url: string;
  /** The suite's first connection (opened before its tests). */
  readonly redis: RedisConnection<RedisClient>;
  /** Another connection (a "replica"), to `url` unless given; closed after the suite. */
  connect(options?: RedisConnectOptions & { url?: string }): Promise<RedisConnection<RedisClient>>;
  /** Keys under the prefix, for assertions on what is stored. */
  keys(): Promise<string[]>;
}

/** Registers hooks that open Redis for the suite and clean up every key under its own prefix. */
export function useRedis(): RedisFixture {
  const prefix = `pg-test:${randomBytes(6).toString("hex")}:`;
  const url = inject("redisUrl") ?? inject("redisTriedUrl");
  const connections: RedisConnection<RedisClient>[] = [];
  const connect = async (options: RedisConnectOptions & { url?: string } = {}) => {
    const connection = await connectRedis(options.url ?? url, { keyPrefix: prefix, ...options });
    connections.push(connection);
    return connection;
  };
  let first: RedisConnection<RedisClient> | undefined;
  beforeAll(async () => {
    first = await connect();
  });
  afterAll(async () => {
    if (first) await deleteKeys(first, prefix);
    await Promise.all(connections.map((c) => c.close()));
  });
  return {
    prefix,
    url,
    get redis() {
      if (!first) throw new Error("useRedis(): the connection opens in beforeAll");
      return first;
    },
    connect,
    keys: () => scanKeys(first!, prefix),
  };
}

async function scanKeys(connection: RedisConnection<RedisClient>, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of connection.client.scanIterator({ MATCH: `${escapeGlob(prefix)}*`, COUNT: 500 }))
    keys.push(...batch);
  return keys;
}

async function deleteKeys(connection: RedisConnection<RedisClient>, prefix: string): Promise<void> {
  const keys = await scanKeys(connection, prefix);
  for (let i = 0; i < keys.length; i += 500) await connection.client.del(keys.slice(i, i + 500));
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/**
 * A TCP proxy in front of Redis, to take it away and bring it back: `cut()` drops every connection
 * and refuses new ones (connection refused, as a stopped Redis would), `restore()` listens again
 * on the same port; `freeze()` stops passing bytes on open connections (a stalled Redis: the
 * socket stays up, nothing answers) and `thaw()` passes what waited, in order.
 */
export async function startTcpProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  let frozen = false;
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    const pair: [net.Socket, net.Socket] = [downstream, upstream];
    pairs.add(pair);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    if (frozen) downstream.unpipe(upstream).pause();
    downstream.on("close", () => (upstream.destroy(), pairs.delete(pair)));
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = `${target.protocol}//${target.username ? `${target.username}:${target.password}@` : ""}127.0.0.1:${port}${target.pathname}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return {
    url,
    cut: stop,
    restore: () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve)),
    freeze: () => {
      frozen = true;
      for (const [downstream, upstream] of pairs) downstream.unpipe(upstream).pause();
    },
    thaw: () => {
      frozen = false;
      for (const [downstream, upstream] of pairs) downstream.pipe(upstream);
    },
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
