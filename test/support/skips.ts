import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { describe, inject } from "vitest";
import { redisAnswers } from "./redis-ping.js";

/** Where the browser tests look for Chromium (Debian's package). */
export const CHROMIUM = "/usr/bin/chromium";
/** What the Redis Cluster tests start their own cluster from (Debian's redis-server package). */
export const REDIS_SERVER = "/usr/bin/redis-server";
export const REDIS_CLI = "/usr/bin/redis-cli";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Redis the tests use, or null when none answered at start. */
    redisUrl: string | null;
    redisTriedUrl: string;
    chromium: boolean;
    /** redis-server and redis-cli are installed: the cluster suites start a Redis Cluster of their own. */
    redisServer: boolean;
  }
  export interface TaskMeta {
    /** The suite needs this part of the machine, and is skipped (and counted) without it. */
    needs?: Need;
  }
}

type Need = "redis" | "chromium" | "redis-cluster";

/**
 * Vitest global setup (vitest.config.ts): looks once for what some suites need — Redis (at
 * REDIS_TEST_URL or the default), Chromium, and the redis-server binary for Redis Cluster — and hands the answers to every test file. A suite
 * whose part is missing is skipped, and the run ends with one line per missing part saying how many
 * tests that was and how to get it.
 */
export default async function setup(project: TestProject) {
  const redisUrl = process.env.REDIS_TEST_URL?.trim() || "redis://127.0.0.1:6379";
  const redis = await redisAnswers(redisUrl);
  const chromium = existsSync(CHROMIUM);
  const redisServer = existsSync(REDIS_SERVER) && existsSync(REDIS_CLI);
  project.provide("redisUrl", redis ? redisUrl : null);
  project.provide("redisTriedUrl", redisUrl);
  project.provide("chromium", chromium);
  project.provide("redisServer", redisServer);
  return () => {
    const files = project.vitest.state.getFiles();
    if (!redis)
      console.log(`\nRedis not reachable at ${redisUrl}: skipping the ${countTests(files, "redis")} Redis tests\n`);
    const cluster = countTests(files, "redis-cluster");
    if (!redisServer && cluster > 0) {
      console.log(
        `\n${REDIS_SERVER} not found: skipping the ${cluster} Redis Cluster tests (install it with: apt-get install -y redis-server)\n`,
      );
    }
    const browser = countTests(files, "chromium");
    if (!chromium && browser > 0) {
      console.log(
        `\n${CHROMIUM} not found: skipping the ${browser} browser tests (install it with: apt-get install -y chromium)\n`,
      );
    }
  };
}

/** A suite that needs Redis: skipped (and counted in the summary line) when none is reachable. */
export function describeRedis(name: string, body: () => void): void {
  describe.skipIf(inject("redisUrl") === null)(name, { meta: { needs: "redis" } }, body);
}

/** A suite that starts its own Redis Cluster from redis-server: skipped (and counted) when it is not installed. */
export function describeRedisCluster(name: string, body: () => void): void {
  describe.skipIf(!inject("redisServer"))(name, { meta: { needs: "redis-cluster" } }, body);
}

/** A suite that drives Chromium: skipped (and counted in the summary line) when it is not installed. */
export function describeBrowser(name: string, body: () => void): void {
  describe.skipIf(!inject("chromium"))(name, { meta: { needs: "chromium" } }, body);
}

type TaskTree = { type: string; meta?: { needs?: Need }; tasks?: TaskTree[] };

function countTests(tasks: readonly TaskTree[], need: Need, inSuite = false): number {
  let count = 0;
  for (const task of tasks) {
    const needs = inSuite || task.meta?.needs === need;
    if (task.type === "test") count += needs ? 1 : 0;
    else count += countTests(task.tasks ?? [], need, needs);
  }
  return count;
}
