import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import {
  connectRedisCluster,
  type RedisClusterClient,
  type RedisConnectOptions,
  type RedisConnection,
} from "../../src/server/redis.js";
import { REDIS_CLI, REDIS_SERVER } from "./skips.js";

export { describeRedisCluster } from "./skips.js";

export interface ClusterNode {
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  readonly process: ChildProcess;
}

export interface LocalRedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node as `host:port`, comma-separated: what REDIS_CLUSTER_NODES takes. */
  readonly seeds: string;
  /** One command to one node (a connection of its own, closed after). */
  command(port: number, args: string[]): Promise<unknown>;
  /** The master that serves `key` now, as its port (asked of a live node with CLUSTER KEYSLOT and CLUSTER SLOTS). */
  masterOf(key: string): Promise<number>;
  /** SIGKILL one node's server (a crash: no goodbye to the cluster); resolves once it is gone. */
  kill(port: number): Promise<void>;
  /** Kills every node and removes their directories. */
  close(): Promise<void>;
}

export interface RedisClusterFixture {
  /** `pg-test:<random>:`, this suite's key prefix. */
  readonly prefix: string;
  /** The cluster (started in beforeAll, killed and removed in afterAll). */
  readonly cluster: LocalRedisCluster;
  /** A connection of a "replica" to the cluster, with the suite's prefix; closed after the suite. */
  connect(options?: RedisConnectOptions): Promise<RedisConnection<RedisClusterClient>>;
}

/**
 * Hooks that start a Redis Cluster of the suite's own before its tests and remove it after: no
 * key cleanup needed, the nodes keep nothing on disk.
 */
export function useRedisCluster(options: Parameters<typeof startRedisCluster>[0] = {}): RedisClusterFixture {
  const prefix = `pg-test:${randomBytes(6).toString("hex")}:`;
  const connections: RedisConnection[] = [];
  let cluster: LocalRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await cluster?.close();
  });
  return {
    prefix,
    get cluster() {
      if (!cluster) throw new Error("useRedisCluster(): the cluster starts in beforeAll");
      return cluster;
    },
    async connect(connectOptions = {}) {
      const nodes = cluster!.nodes.map((n) => `redis://${n.address}`);
      const connection = await connectRedisCluster(nodes, {
        keyPrefix: prefix,
        initialWaitMs: 5_000,
        ...connectOptions,
      });
      connections.push(connection);
      return connection;
    },
  };
}

/**
 * redis-server under a small sh watchdog: the server is killed (SIGKILL) when the watchdog's stdin
 * closes, which happens when `stop()` closes it and also when the test worker dies in any way (a
 * timeout's SIGKILL included), so no run leaves Redis servers behind. The watchdog exits when the
 * server does, for whatever reason.
 */
// (A background list reads /dev/null unless told otherwise: hence stdin kept as fd 3 for `cat`.)
const WATCHDOG =
  'exec 3<&0; "$0" "$@" < /dev/null & pid=$!; (cat <&3 > /dev/null; kill -9 $pid 2> /dev/null) & wait $pid';

/**
 * A Redis Cluster on loopback, from the `redis-server` binary: `masters` masters, each with
 * `replicasPerMaster` replicas, on ephemeral ports (cluster bus ports too), each in a temp dir of
 * its own, nothing persisted. `nodeTimeoutMs` is cluster-node-timeout: a killed master is failed
 * over about 2–3 × that later.
 *
 *   const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 500 });
 *   … REDIS_CLUSTER_NODES: cluster.seeds …
 *   await cluster.close();
 */
export async function startRedisCluster(
  options: { masters?: number; replicasPerMaster?: number; nodeTimeoutMs?: number } = {},
): Promise<LocalRedisCluster> {
  // A port picked free can be taken by someone else before redis-server binds it (another test
  // file starts a cluster at the same time): the node exits, and a fresh set of ports is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof NodeExitedError) || attempt === 3) throw error;
    }
  }
}

class NodeExitedError extends Error {}

async function startOnce(options: {
  masters?: number;
  replicasPerMaster?: number;
  nodeTimeoutMs?: number;
}): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const count = masters * (1 + replicas);
  const dir = await mkdtemp(join(tmpdir(), "pg-redis-cluster-"));
  const ports = await freePorts(2 * count);
  const nodes: ClusterNode[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => stop(node.process)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = ports[2 * i]!;
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      const child = spawn(
        "/bin/sh",
        [
          "-c", WATCHDOG, REDIS_SERVER,
          "--port", String(port),
          "--cluster-port", String(ports[2 * i + 1]),
          "--bind", "127.0.0.1",
          "--cluster-enabled", "yes",
          "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", String(options.nodeTimeoutMs ?? 1000),
          "--dir", nodeDir,
          "--save", "",
          "--appendonly", "no",
          // A replica's first sync starts at once (the default waits 5 s for more replicas to join it).
          "--repl-diskless-sync-delay", "0",
          "--protected-mode", "no",
          "--loglevel", "warning",
        ], // prettier-ignore
        // The log (warnings only) goes to stdout: kept, to say why a node that exits did.
        { stdio: ["pipe", "pipe", "pipe"] },
      );
      nodes.push({ port, address: `127.0.0.1:${port}`, process: child });
    }
    await Promise.all(nodes.map((node) => answering(node)));
    await run(REDIS_CLI, [
      "--cluster",
      "create",
      ...nodes.map((n) => n.address),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    await settled(nodes, replicas > 0);
  } catch (error) {
    await close();
    throw error;
  }

  const cluster: LocalRedisCluster = {
    nodes,
    seeds: nodes.map((n) => n.address).join(","),
    command: (port, args) => command(port, args),
    async masterOf(key) {
      const live = nodes.find((n) => n.process.exitCode === null && n.process.signalCode === null)!;
      const slot = Number(await command(live.port, ["CLUSTER", "KEYSLOT", key]));
      const ranges = (await command(live.port, ["CLUSTER", "SLOTS"])) as [number, number, [string, number]][];
      const range = ranges.find(([from, to]) => from <= slot && slot <= to);
      if (!range) throw new Error(`no master serves slot ${slot}`);
      return Number(range[2][1]);
    },
    async kill(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no node on port ${port}`);
      await stop(node.process);
    },
    close,
  };
  return cluster;
}

/** Distinct free loopback ports, all held at once while chosen so none is picked twice. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function command(port: number, args: string[]): Promise<unknown> {
  // A generous connect timeout: six servers starting on a busy 2-core machine can take a while to accept.
  const client = createClient({ socket: { host: "127.0.0.1", port, connectTimeout: 5000, reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** Resolves once the node answers PING; rejects with its output if it exits first. */
async function answering(node: ClusterNode): Promise<void> {
  let output = "";
  for (const stream of [node.process.stdout, node.process.stderr])
    stream?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-2000)));
  for (let i = 0; i < 200; i++) {
    if (node.process.exitCode !== null) throw new NodeExitedError(`redis-server on ${node.port} exited: ${output}`);
    try {
      if ((await command(node.port, ["PING"])) === "PONG") return;
    } catch {
      await sleep(25);
    }
  }
  throw new Error(`redis-server on ${node.port} did not answer: ${output}`);
}

/** Every node sees the cluster as ok, and every replica has synced with its master once. */
async function settled(nodes: readonly ClusterNode[], withReplicas: boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const states = await Promise.all(
      nodes.map(async (node) => {
        try {
          const info = String(await command(node.port, ["CLUSTER", "INFO"]));
          if (!info.includes("cluster_state:ok")) return false;
          if (!withReplicas) return true;
          const replication = String(await command(node.port, ["INFO", "replication"]));
          return replication.includes("role:master") || replication.includes("master_link_status:up");
        } catch {
          return false; // busy: asked again
        }
      }),
    );
    if (states.every(Boolean)) return;
    await sleep(50);
  }
  throw new Error("the Redis Cluster did not settle within 20 s");
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${file} ${args.join(" ")} exited ${code}:\n${output}`)),
    );
  });
}

/** Kills the node's server (SIGKILL, through its watchdog) and resolves once both are gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.stdin?.end();
  await exited;
}
