import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startEmulator } from "../support/emulator.js";
import { describeRedis, useRedis } from "../support/redis.js";
import { startService, type Emulator, type Service } from "../support/service.js";

// Two replicas (two createServer, each with its own Upstream, dispatcher and Redis profile
// cache built by createScaleOut from the same variables main.ts reads) over one emulator.
const ACCOUNTS = ["cache.a", "cache.b"];
const WRITES = 30; // per account: nick "v1" … "v30"
const READERS_PER_REPLICA = 4;

const READ = `query($ids: [ID!]!) { users(ids: $ids) { id profile { nick } } }`;
// The answer either reads the profile back (that read fills the cache before setProfile answers) or not.
const WRITE = `mutation($userId: ID, $nick: String!) { setProfile(userId: $userId, input: { nick: $nick }) { id profile { nick } } }`;
const WRITE_ID = `mutation($userId: ID, $nick: String!) { setProfile(userId: $userId, input: { nick: $nick }) { id } }`;

/**
 * A TCP proxy in front of the emulator that holds each portrait_get answer back for 5–25 ms (in
 * order on each connection; connections overtake each other; other answers pass at once): a read
 * that fetched the old value then often comes back after a write has landed, been answered and
 * invalidated — the race the cache's compare-and-set exists for.
 */
async function slowReadsProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(port), hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    // One request at a time per connection (HTTP/1.1, no pipelining): the last one sent is the one answered.
    let read = false;
    downstream.on("data", (chunk: Buffer) => {
      const head = chunk.toString("latin1", 0, 64);
      if (head.startsWith("POST /v4/")) read = head.startsWith("POST /v4/profile/portrait_get");
      upstream.write(chunk);
    });
    let chain = Promise.resolve();
    upstream.on("data", (chunk: Buffer) => {
      const delay = read ? 5 + Math.random() * 20 : 0;
      chain = chain.then(() => sleep(delay)).then(() => void downstream.write(chunk));
    });
    upstream.on("close", () => void chain.then(() => downstream.destroy()));
    downstream.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

type Users = { users: { id: string; profile: { nick: string } | null }[] };

describeRedis("the shared profile cache, through the service, on two replicas", () => {
  const redis = useRedis();
  let emulator: Emulator;
  let network: Awaited<ReturnType<typeof slowReadsProxy>>;
  const replicas: Service[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ rateLimit: 0, seed: false });
    for (const id of ACCOUNTS) emulator.store.apply(id, [["Tag_Profile_IM_Nick", "v0"]]);
    const scaleOutEnv = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      PROFILE_CACHE_TTL_MS: "60000",
      REPLICAS: "2",
      TIM_RATE_LIMIT: "1000",
    };
    network = await slowReadsProxy(emulator.url);
    for (let i = 0; i < 2; i++)
      replicas.push(await startService({}, {}, { baseUrl: network.url }, { emulator, scaleOutEnv }));
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await network?.close();
    await emulator?.close();
  });

  /** The value a nick stands for: "v7" → 7. */
  const version = (nick: string | undefined): number => {
    const match = /^v(\d+)$/.exec(nick ?? "");
    if (!match) throw new Error(`unexpected nick ${JSON.stringify(nick)}`);
    return Number(match[1]);
  };

  async function read(replica: Service, ids: string[]): Promise<Map<string, number>> {
    const res = await replica.gql<Users>(READ, { ids });
    if (res.status !== 200 || res.errors || !res.data) throw new Error(`read failed: ${JSON.stringify(res)}`);
    return new Map(res.data.users.map((u) => [u.id, version(u.profile?.nick)]));
  }

  it("a read that starts after setProfile has answered never sees the older value, on either replica, while readers and a writer interleave", async () => {
    const [writer, other] = replicas as [Service, Service];
    for (const replica of replicas) {
      expect(replica.client.budget.mode).toBe("shared");
      expect(replica.scaleOut?.cache).toBeDefined();
    }
    emulator.resetStats();

    // Per account, answeredAt[k] = when the writer had the answer to the write of "v<k>".
    const answeredAt = new Map<string, number[]>(ACCOUNTS.map((id) => [id, [0]]));
    const reads: { replica: number; account: string; startedAt: number; seen: number }[] = [];
    let writing = true;

    const writes = (async () => {
      try {
        for (let k = 1; k <= WRITES; k++) {
          for (const account of ACCOUNTS) {
            const res = await writer.gql(
              k % 2 ? WRITE_ID : WRITE,
              { userId: account, nick: `v${k}` },
              writer.adminToken,
            );
            if (res.status !== 200 || res.errors) throw new Error(`write failed: ${JSON.stringify(res)}`);
            answeredAt.get(account)![k] = performance.now();
          }
          // A few ms for reads to fill the cache (and hit it) between writes.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        }
      } finally {
        writing = false;
      }
    })();

    const readers = replicas.flatMap((replica, r) =>
      Array.from({ length: READERS_PER_REPLICA }, async (_, n) => {
        while (writing) {
          // Both accounts in one operation, or one of them alone.
          const pick = (n + reads.length) % 3;
          const ids = pick === 2 ? ACCOUNTS : [ACCOUNTS[pick]!];
          const startedAt = performance.now();
          const seen = await read(replica, ids);
          for (const [account, value] of seen) reads.push({ replica: r, account, startedAt, seen: value });
        }
      }),
    );
    await Promise.all([writes, ...readers]);
    const gets = emulator.calls.filter((c) => c.api === "profile/portrait_get").length;

    /** The newest write of `account` whose answer had arrived by `at`. */
    const floor = (account: string, at: number) => {
      const times = answeredAt.get(account)!;
      let k = 0;
      while (k + 1 < times.length && times[k + 1]! <= at) k++;
      return k;
    };
    const stale = reads
      .filter((r) => r.seen < floor(r.account, r.startedAt))
      .map((r) => ({ ...r, expectedAtLeast: floor(r.account, r.startedAt) }));
    console.info(
      `${reads.length} profile reads during ${WRITES * ACCOUNTS.length} writes; ${gets} portrait_get calls; ${stale.length} stale`,
    );

    expect(stale.slice(0, 5)).toEqual([]);
    // Both replicas read, and saw the writes as they happened.
    for (const r of [0, 1])
      expect(reads.filter((x) => x.replica === r).length).toBeGreaterThan(WRITES * ACCOUNTS.length);
    expect(new Set(reads.map((r) => r.seen)).size).toBeGreaterThan(WRITES / 2);
    // Reads were served from the cache most of the time, not each from Tencent.
    expect(reads.length).toBeGreaterThan(4 * gets);

    // Writes done: each replica reads the last value.
    for (const replica of [writer, other])
      expect(Object.fromEntries(await read(replica, ACCOUNTS))).toEqual(
        Object.fromEntries(ACCOUNTS.map((id) => [id, WRITES])),
      );
  }, 90_000); // ~4 s idle; far longer on a loaded machine

  it("once one replica has read an account, the other serves it from the shared cache (no call to Tencent)", async () => {
    const [a, b] = replicas as [Service, Service];
    const account = ACCOUNTS[0]!;
    // Selecting only the id: the answer's own profile read would fill the cache.
    const res = await a.gql(WRITE_ID, { userId: account, nick: "v100" }, a.adminToken);
    expect(res.errors).toBeUndefined();
    emulator.resetStats();
    expect((await read(a, [account])).get(account)).toBe(100);
    expect(emulator.calls.filter((c) => c.api === "profile/portrait_get")).toHaveLength(1);
    // Sequential reads, one at a time: nothing to join in flight, so every miss would be a call.
    // (The first read stores its answer after answering, so one more miss may race that store.)
    for (let i = 0; i < 20; i++) {
      const replica = i % 2 === 0 ? b : a;
      expect((await read(replica, [account])).get(account)).toBe(100);
    }
    expect(emulator.calls.filter((c) => c.api === "profile/portrait_get").length).toBeLessThanOrEqual(2);
  });
});
