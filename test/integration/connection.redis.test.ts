import { describe, expect, it } from "vitest";
import { connectRedis, type RedisState } from "../../src/server/redis.js";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";

describe("connectRedis without a Redis", () => {
  it("returns a down connection instead of waiting, fails commands at once, and never shows the password", async () => {
    const errors: Error[] = [];
    const redis = await connectRedis("redis://:s3cret-pass@127.0.0.1:1", {
      initialWaitMs: 200,
      onError: (e) => errors.push(e),
    });
    try {
      expect(redis.state).toBe("down");
      expect(redis.url).toBe("redis://:***@127.0.0.1:1");
      await expect(redis.client.sendCommand(["PING"])).rejects.toThrow(/offline/i);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.map((e) => `${e.message} ${e.stack}`).join("\n")).not.toContain("s3cret-pass");
    } finally {
      await redis.close();
    }
    expect([redis.state, redis.client.isOpen]).toEqual(["closed", false]);
  });
});

describeRedis("connectRedis", () => {
  const fx = useRedis();

  it("tracks ready and down as Redis goes away and comes back, reconnecting by itself", async () => {
    const proxy = await startTcpProxy(fx.url);
    try {
      const redis = await connectRedis(proxy.url, { keyPrefix: fx.prefix, maxReconnectDelayMs: 100 });
      const states: RedisState[] = [];
      redis.onStateChange((state) => states.push(state));
      expect(redis.state).toBe("ready");
      expect(redis.keyPrefix).toBe(fx.prefix);

      const down = new Promise((resolve) => redis.onStateChange((s) => s === "down" && resolve(s)));
      await proxy.cut();
      await down;
      const ready = new Promise((resolve) => redis.onStateChange((s) => s === "ready" && resolve(s)));
      await proxy.restore();
      await ready;
      expect(await redis.client.ping()).toBe("PONG");
      await redis.close();
      expect(states).toEqual(["down", "ready", "closed"]);
    } finally {
      await proxy.close();
    }
  });
});
