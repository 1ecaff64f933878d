import { describe, expect, it } from "vitest";
import { readScaleOutSettings, readServiceSettings, redactUrl } from "../../src/config.js";

describe("scale-out configuration (Redis, replicas, profile cache)", () => {
  it("by default shares nothing and counts one replica; without the profile-change callback, no profile cache", () => {
    expect(readScaleOutSettings({})).toStrictEqual({
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisKeyPrefix: "portrait-graph:",
      replicas: 1,
      redisCommandTimeoutMs: 200,
      profileCache: { ttlMs: 0, staleIfErrorMs: 300_000, maxEntries: 10_000, maxEntryBytes: 16_384 },
    });
  });

  it("turns the profile cache on by default (60 s TTL) where the profile-change callback keeps it coherent", () => {
    expect(readServiceSettings({ TIM_CALLBACK_TOKEN: "t0ken" }).scaleOut.profileCache.ttlMs).toBe(60_000);
    expect(
      readServiceSettings({ TIM_CALLBACK_TOKEN: "t0ken", PROFILE_CACHE_TTL_MS: "0" }).scaleOut.profileCache.ttlMs,
    ).toBe(0);
    // The embedded emulator's development mode calls the service back itself.
    expect(readServiceSettings({}).changes.callback?.mode).toBe("embedded");
  });

  it("reads every variable", () => {
    const s = readScaleOutSettings({
      REDIS_URL: "rediss://:pw@redis.internal:6380/2",
      REDIS_KEY_PREFIX: "pg-staging:",
      REPLICAS: "4",
      REDIS_COMMAND_TIMEOUT_MS: "50",
      PROFILE_CACHE_TTL_MS: "30000",
      PROFILE_CACHE_MAX_ENTRIES: "500",
      PROFILE_CACHE_MAX_ENTRY_BYTES: "4096",
      STALE_IF_ERROR_MS: "120000",
    });
    expect(s).toStrictEqual({
      redisUrl: "rediss://:pw@redis.internal:6380/2",
      redisClusterNodes: undefined,
      redisKeyPrefix: "pg-staging:",
      replicas: 4,
      redisCommandTimeoutMs: 50,
      profileCache: { ttlMs: 30_000, staleIfErrorMs: 120_000, maxEntries: 500, maxEntryBytes: 4096 },
    });
  });

  it("reads a Redis Cluster's seed nodes: the first one's scheme and credentials apply to every node", () => {
    expect(readScaleOutSettings({ REDIS_CLUSTER_NODES: "10.0.0.1:6379, 10.0.0.2:6380" }).redisClusterNodes).toEqual([
      "redis://10.0.0.1:6379",
      "redis://10.0.0.2:6380",
    ]);
    expect(
      readScaleOutSettings({
        REDIS_CLUSTER_NODES: "rediss://app:pw@redis-0.internal:6379,redis-1.internal:6379,[::1]:7000",
      }).redisClusterNodes,
    ).toEqual([
      "rediss://app:pw@redis-0.internal:6379",
      "rediss://app:pw@redis-1.internal:6379",
      "rediss://app:pw@[::1]:7000",
    ]);
    expect(
      readScaleOutSettings({ REDIS_CLUSTER_NODES: "redis://:pw@a:1/0,redis://:pw@b:2" }).redisClusterNodes,
    ).toEqual(["redis://:pw@a:1", "redis://:pw@b:2"]);
  });

  it.each([
    [
      { REDIS_CLUSTER_NODES: "redis-0.internal" },
      /REDIS_CLUSTER_NODES="redis-0.internal" is invalid: expected seed nodes/,
    ],
    [{ REDIS_CLUSTER_NODES: "a:1,,b:2" }, /REDIS_CLUSTER_NODES="a:1,,b:2" is invalid/],
    [{ REDIS_CLUSTER_NODES: "http://a:1" }, /REDIS_CLUSTER_NODES="http:\/\/a:1" is invalid/],
    [{ REDIS_CLUSTER_NODES: "redis://a:1/2" }, /without a database \(a cluster has only 0\)/],
    [
      { REDIS_CLUSTER_NODES: "redis://:pw-one@a:1,rediss://:pw-two@b:2" },
      /REDIS_CLUSTER_NODES="redis:\/\/:\*\*\*@a:1,rediss:\/\/:\*\*\*@b:2" is invalid: .*every URL must use the first one's scheme and credentials/,
    ],
    [
      { REDIS_URL: "redis://r:6379", REDIS_CLUSTER_NODES: "a:1" },
      /REDIS_CLUSTER_NODES="a:1" is invalid: expected REDIS_URL or REDIS_CLUSTER_NODES, not both/,
    ],
  ])("refuses REDIS_CLUSTER_NODES %j with the variable, the rule and no password", (env, message) => {
    expect(() => readScaleOutSettings(env)).toThrow(message);
    try {
      readScaleOutSettings(env);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/pw-one|pw-two/);
    }
  });

  it("never repeats a password written in a REDIS_CLUSTER_NODES entry, URL or not", () => {
    for (const raw of ["rediss://:hunter2@a:1/9", "app:hunter2@a:1"]) {
      expect(() => readScaleOutSettings({ REDIS_CLUSTER_NODES: raw })).toThrow(/REDIS_CLUSTER_NODES=/);
      expect(() => readScaleOutSettings({ REDIS_CLUSTER_NODES: raw })).not.toThrow(/hunter2/);
    }
  });

  it.each([
    [{ REPLICAS: "0" }, /REPLICAS="0" is invalid: expected an integer >= 1 and <= 1000/],
    [{ REPLICAS: "2.5" }, /REPLICAS="2.5" is invalid: expected an integer/],
    [
      { REDIS_URL: "localhost:6379" },
      /REDIS_URL="localhost:6379" is invalid: expected a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [{ REDIS_KEY_PREFIX: " " }, /REDIS_KEY_PREFIX=" " is invalid/],
    [{ PROFILE_CACHE_TTL_MS: "-1" }, /PROFILE_CACHE_TTL_MS="-1" is invalid: expected an integer >= 0/],
    [{ PROFILE_CACHE_MAX_ENTRIES: "0" }, /PROFILE_CACHE_MAX_ENTRIES="0"/],
    [{ REDIS_COMMAND_TIMEOUT_MS: "0" }, /REDIS_COMMAND_TIMEOUT_MS="0"/],
  ])("fails fast on %j, naming the variable, the value and what is expected", (env, message) => {
    expect(() => readServiceSettings(env)).toThrow(message);
  });

  it("never repeats a Redis password, in errors or in what is logged", () => {
    expect(() => readScaleOutSettings({ REDIS_URL: "http://:hunter2@redis:6379" })).toThrow(
      /REDIS_URL="http:\/\/:\*\*\*@redis:6379\/?" is invalid/,
    );
    expect(redactUrl("redis://app:hunter2@redis:6379/0")).toBe("redis://app:***@redis:6379/0");
    expect(redactUrl("redis://redis:6379")).toBe("redis://redis:6379");
    expect(redactUrl("redis://:a/b@c")).not.toContain("a/b");
  });
});
