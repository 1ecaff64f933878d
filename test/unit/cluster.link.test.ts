import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { ClusterLink, ClusterUnavailableError, type RedisClusterLike } from "../../src/redis/cluster.link.js";

type Master = { address: string; client?: { isReady: boolean } };

/**
 * A node-redis cluster client stand-in: `connect()` does what the test scripts, `_slots.rediscover`
 * replaces the masters with what the test says the cluster now reports.
 */
class FakeCluster extends EventEmitter implements RedisClusterLike {
  isOpen = false;
  masters: Master[] = [];
  /** What each connect() does, in turn: answer with these masters, fail, or never settle. */
  connects: (Master[] | "fail" | "hang")[] = [];
  /** What CLUSTER SLOTS reports now (taken by the next rediscover). */
  topology: Master[] = [];
  rediscovers = 0;
  destroys = 0;
  readonly sent: [string | undefined, boolean | undefined, string[]][] = [];

  readonly _slots = {
    rediscover: async () => {
      this.rediscovers++;
      this.masters = this.topology;
    },
  };

  async connect(): Promise<unknown> {
    const next = this.connects.shift() ?? "hang";
    this.isOpen = true;
    if (next === "hang") return new Promise(() => {});
    if (next === "fail") {
      this.isOpen = false;
      throw new Error("RootNodesUnavailableError");
    }
    this.masters = next;
    return this;
  }

  destroy(): void {
    this.destroys++;
    this.isOpen = false;
    this.masters = [];
  }

  async sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]) {
    this.sent.push([firstKey, isReadonly, args]);
    return "OK";
  }
}

const up = (address: string): Master => ({ address, client: { isReady: true } });

describe("ClusterLink (over a scripted cluster client)", () => {
  it("routes each command to the cluster client by its key, to masters only", async () => {
    const cluster = new FakeCluster();
    cluster.connects = [[up("a"), up("b"), up("c")]];
    const link = new ClusterLink(cluster);
    expect(await link.start()).toBe(true);
    expect([link.clustered, link.isReady]).toEqual([true, true]);
    await link.sendCommand(["GET", "p:profile:epoch"], { key: "p:profile:epoch" });
    await link.sendCommand(["PING"], { key: undefined });
    expect(cluster.sent).toEqual([
      ["p:profile:epoch", false, ["GET", "p:profile:epoch"]],
      [undefined, false, ["PING"]],
    ]);
    link.close();
  });

  it("before the first discovery, fails commands at once and keeps trying; a discovery stuck on a dead node is abandoned", async () => {
    const cluster = new FakeCluster();
    cluster.connects = ["fail", "hang", [up("a"), up("b")]];
    const link = new ClusterLink(cluster, { retryDelayMs: () => 5, attemptTimeoutMs: 50 });
    const started = link.start();
    await expect(link.sendCommand(["PING"], { key: undefined })).rejects.toBeInstanceOf(ClusterUnavailableError);
    expect(link.isReady).toBe(false);
    expect(await started).toBe(true);
    expect(cluster.destroys).toBe(1); // the attempt that hung
    expect(link.isReady).toBe(true);
    link.close();
  });

  it("a master that drops makes it reconnecting at once; it reads the topology until the replica that took over is found, then is ready", async () => {
    const cluster = new FakeCluster();
    const b = up("b");
    cluster.connects = [[up("a"), b, up("c")]];
    cluster.topology = cluster.connects[0] as Master[];
    const link = new ClusterLink(cluster, { refreshMs: 10 });
    const events: string[] = [];
    link.on("ready", () => events.push("ready"));
    link.on("reconnecting", () => events.push("reconnecting"));
    await link.start();
    expect(events).toEqual(["ready"]);

    b.client!.isReady = false; // its socket closed; node-redis retries its address
    cluster.emit("node-reconnecting");
    expect([link.isReady, events.at(-1)]).toEqual([false, "reconnecting"]);
    // Until the cluster fails over, the topology still names the dead master: asked again and again.
    await vi.waitFor(() => expect(cluster.rediscovers).toBeGreaterThanOrEqual(3));
    expect(link.isReady).toBe(false);
    cluster.topology = [cluster.masters[0]!, up("b-replica"), cluster.masters[2]!];
    await vi.waitFor(() => expect(link.isReady).toBe(true));
    expect(events).toEqual(["ready", "reconnecting", "ready"]);
    const asked = cluster.rediscovers;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cluster.rediscovers).toBe(asked); // whole again: no more topology reads
    link.close();
  });

  it("a master not connected to yet (minimizeConnections) counts as up; close() ends it and says so", async () => {
    const cluster = new FakeCluster();
    cluster.connects = [[{ address: "a" }, up("b")]];
    const link = new ClusterLink(cluster);
    await link.start();
    expect(link.isReady).toBe(true);
    const ended = vi.fn();
    link.on("end", ended);
    link.close();
    expect([link.isReady, cluster.isOpen, ended.mock.calls.length]).toEqual([false, false, 1]);
    await expect(link.sendCommand(["PING"], { key: undefined })).rejects.toBeInstanceOf(ClusterUnavailableError);
  });
});
