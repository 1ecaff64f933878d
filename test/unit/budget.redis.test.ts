import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import type { BudgetMode } from "../../src/upstream/budget.js";
import type { RedisRoute } from "../../src/redis/link.js";
import { RedisBudget, type RedisLink } from "../../src/upstream/budget.redis.js";

interface PendingScript {
  args: readonly string[];
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/** A Redis stand-in: scripts wait until the test answers them; PING answers as `pingOk` says. */
class FakeRedis extends EventEmitter implements RedisLink {
  isReady = true;
  readonly clustered = false;
  pingOk = true;
  readonly pending: PendingScript[] = [];
  inFlight = 0;
  maxInFlight = 0;
  pings = 0;

  readonly routes: (string | undefined)[] = [];

  sendCommand(args: readonly string[], route: RedisRoute): Promise<unknown> {
    this.routes.push(route.key);
    if (args[0] === "PING") {
      this.pings++;
      return this.pingOk ? Promise.resolve("PONG") : Promise.reject(new Error("ECONNREFUSED"));
    }
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    return new Promise((resolve, reject) => {
      const done = () => this.inFlight--;
      this.pending.push({ args, resolve: (r) => (done(), resolve(r)), reject: (e) => (done(), reject(e)) });
    });
  }

  /** Answers the next script: granted (wait 0) or "wait this many µs". */
  async answer(waitUs = 0): Promise<PendingScript> {
    await vi.waitFor(() => expect(this.pending.length).toBeGreaterThan(0));
    const script = this.pending.shift()!;
    script.resolve([waitUs, 1_700_000_000_000_000]);
    return script;
  }
}

const API = "profile/portrait_get";

function track<T>(promise: Promise<T>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => ((state.settled = true), (state.error = error)),
  );
  return state;
}

describe("RedisBudget (against a scripted Redis)", () => {
  it("serves one replica's callers in arrival order, with only the head asking Redis", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 200, keyPrefix: "p:" });
    const order: string[] = [];
    const all = ["a", "b", "c", "d"].map((name) => budget.acquire(API).then(() => order.push(name)));
    const first = await redis.answer();
    expect(first.args.slice(0, 4)).toEqual([
      "EVALSHA",
      expect.stringMatching(/^[0-9a-f]{40}$/),
      "1",
      "p:budget:profile/portrait_get",
    ]);
    expect(first.args.slice(4)).toEqual(["5000", "0"]); // T = 1/200 s in µs, tolerance 0 (burst 1)
    expect(redis.routes[0]).toBe("p:budget:profile/portrait_get"); // on a cluster: the key's master
    await redis.answer(3000); // "wait 3 ms": nobody is granted, and the head asks again later
    for (let i = 0; i < 3; i++) await redis.answer();
    await Promise.all(all);
    expect(order).toEqual(["a", "b", "c", "d"]);
    expect(redis.maxInFlight).toBe(1);
    await budget.close();
  });

  it("different APIs have their own queue and key", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 200 });
    const get = budget.acquire("profile/portrait_get");
    const set = budget.acquire("profile/portrait_set");
    await vi.waitFor(() => expect(redis.pending).toHaveLength(2));
    expect(redis.pending.map((p) => p.args[3]).sort()).toEqual([
      "portrait-graph:budget:profile/portrait_get",
      "portrait-graph:budget:profile/portrait_set",
    ]);
    await redis.answer();
    await redis.answer();
    await Promise.all([get, set]);
    await budget.close();
  });

  it("an aborted caller leaves the queue with the signal's reason; its turn goes to the next", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 200 });
    const controller = new AbortController();
    const head = track(budget.acquire(API));
    const aborted = budget.acquire(API, controller.signal);
    const last = track(budget.acquire(API));
    await redis.answer();
    await vi.waitFor(() => expect(head.settled).toBe(true));
    controller.abort(new Error("client went away"));
    await expect(aborted).rejects.toThrow("client went away");
    await redis.answer();
    await vi.waitFor(() => expect(last.settled).toBe(true));
    expect(redis.pending).toHaveLength(0);
    await budget.close();
  });

  it("when Redis fails, turns degraded, grants from this replica's share, and comes back on reconnect", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 300, replicas: 3, probeIntervalMs: 60_000 });
    const modes: BudgetMode[] = [];
    budget.onModeChange((mode) => modes.push(mode));
    expect([budget.mode, budget.ratePerSecond]).toEqual(["shared", 300]);

    const waiting = budget.acquire(API);
    await vi.waitFor(() => expect(redis.pending).toHaveLength(1));
    redis.pending.shift()!.reject(new Error("ClientOfflineError"));
    await waiting; // granted locally
    expect([budget.mode, budget.ratePerSecond]).toEqual(["degraded", 100]);
    await budget.acquire(API);
    expect(redis.pending).toHaveLength(0); // degraded: no script tried

    redis.pingOk = false;
    redis.emit("ready");
    await vi.waitFor(() => expect(redis.pings).toBe(1));
    expect(budget.mode).toBe("degraded");
    // A link that is not whole (on a cluster: a master still gone) is not asked.
    redis.pingOk = true;
    redis.isReady = false;
    redis.emit("ready");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([redis.pings, budget.mode]).toEqual([1, "degraded"]);
    redis.isReady = true;
    redis.emit("ready");
    await vi.waitFor(() => expect(budget.mode).toBe("shared"));
    expect(modes).toEqual(["degraded", "shared"]);
    // The probe asks the node that holds the budget's key.
    expect(redis.routes.at(-1)).toBe("portrait-graph:budget:profile/portrait_get");

    const next = budget.acquire(API);
    await redis.answer();
    await next;
    await budget.close();
  });

  it("turning degraded, the local share grants its first slot one local interval later, not at once", async () => {
    const redis = new FakeRedis();
    // Local share: 30 ÷ 3 = 10/s, one slot per 100 ms.
    const budget = new RedisBudget({ client: redis, ratePerSecond: 30, replicas: 3, probeIntervalMs: 60_000 });
    const lost = performance.now();
    redis.emit("reconnecting");
    const first = await budget.acquire(API);
    const second = await budget.acquire(API);
    // The second already went to grants drawn from Redis just before; every replica degrades at once.
    expect(first - lost).toBeGreaterThanOrEqual(99);
    expect(second - first).toBeGreaterThanOrEqual(99);
    expect(redis.pending).toHaveLength(0);
    await budget.close();
  });

  it("a Redis that stops answering costs three command timeouts in a row, then the local share serves", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 100, commandTimeoutMs: 30 });
    await budget.acquire(API); // no script is ever answered
    expect(budget.mode).toBe("degraded");
    expect(redis.pending).toHaveLength(3);
    await budget.close();
  });

  it("one late answer (as the process's own event-loop lag makes one) does not leave the shared budget", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 100, commandTimeoutMs: 30 });
    const granted = budget.acquire(API);
    // The first script times out unanswered; the second, asked at once, is answered in time.
    await vi.waitFor(() => expect(redis.pending.length).toBe(2), { timeout: 1_000 });
    redis.pending.shift();
    await redis.answer();
    await granted;
    expect(budget.mode).toBe("shared");
    await budget.close();
  });

  it("the client's reconnecting event turns it degraded even with no traffic; it starts degraded if the client is not ready", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 100 });
    redis.emit("reconnecting");
    expect(budget.mode).toBe("degraded");
    await budget.close();

    const offline = new FakeRedis();
    offline.isReady = false;
    const early = new RedisBudget({ client: offline, ratePerSecond: 100 });
    expect(early.mode).toBe("degraded");
    await early.close();
  });

  it("a rate of 0 turns it off: acquire resolves without Redis", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 0 });
    await budget.acquire(API);
    expect(redis.pending).toHaveLength(0);
    await budget.close();
  });

  it("close() rejects callers still waiting and stops listening to the client", async () => {
    const redis = new FakeRedis();
    const budget = new RedisBudget({ client: redis, ratePerSecond: 100 });
    const waiting = budget.acquire(API);
    await vi.waitFor(() => expect(redis.pending).toHaveLength(1));
    await budget.close();
    await expect(waiting).rejects.toThrow("the call budget is closed");
    await expect(budget.acquire(API)).rejects.toThrow("the call budget is closed");
    expect(["ready", "reconnecting", "end"].map((e) => redis.listenerCount(e))).toEqual([0, 0, 0]);
  });

  it("refuses settings it cannot honour", () => {
    const client = new FakeRedis();
    expect(() => new RedisBudget({ client, ratePerSecond: -1 })).toThrow(/ratePerSecond/);
    expect(() => new RedisBudget({ client, ratePerSecond: 10, replicas: 0 })).toThrow(/replicas/);
    expect(() => new RedisBudget({ client, ratePerSecond: 10, burst: 0.5 })).toThrow(/burst/);
  });
});
