import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEmulatorSettings, readServiceSettings } from "../../src/config.js";
import { DEFAULTS } from "../../src/config/defaults.js";
import { startEmulator } from "../support/emulator.js";
import { composeSupergraphModule, startComposeGateway } from "../support/routers.js";
import { startService, type Service } from "../support/service.js";
import { parseDockerfile, stageEnv } from "./dockerfile.js";
import { configVariables, durationMs, interpolate, readYaml, SDK_VARIABLE } from "./manifests.js";

// No container runtime here: `docker compose config` cannot run. These read the compose files as
// Compose would (merge keys, interpolation) and check them against the service's own configuration
// reader, its routes, and the router configuration run in-process.
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  stop_grace_period?: string;
  profiles?: string[];
  container_name?: string;
}
const DIR = "deploy/compose";
const compose = readYaml<{ services: Record<string, ComposeService> }>(join(DIR, "compose.yaml"));
const tencent = readYaml<{ services: Record<string, ComposeService> }>(join(DIR, "compose.tencent.yaml"));
const { services } = compose;
const service = services["portrait-graph"]!;
const imageEnv = stageEnv(parseDockerfile(readFileSync("Dockerfile", "utf8")).stages.at(-1)!);
const SECRET = "a-jwt-secret-of-more-than-thirty-two-bytes";

/** A service's environment as a container gets it: the image's ENV, then the compose file's, interpolated. */
function containerEnv(environment: Record<string, string>, shell: Record<string, string> = {}) {
  const env: Record<string, string> = { ...imageEnv };
  for (const [name, value] of Object.entries(environment)) env[name] = interpolate(String(value), shell);
  return env;
}
/** The URL a healthcheck's `node -e` fetches. */
const checkedUrl = (s: ComposeService) => new URL(/fetch\('([^']+)'\)/.exec(s.healthcheck!.test.join(" "))![1]!);

describe("compose: portrait-graph × 3 on one Redis, behind a router, over the emulator", () => {
  it("runs 3 replicas of the service, all drawing from the one Redis, with REPLICAS = the replica count", () => {
    expect(service.deploy?.replicas).toBe(3);
    const env = containerEnv(service.environment!, { AUTH_JWT_SECRET: SECRET });
    const redis = new URL(env.REDIS_URL!);
    expect(services[redis.hostname]?.image).toMatch(/^redis:/);
    expect(redis.port).toBe("6379");
    expect(env.REPLICAS).toBe(String(service.deploy!.replicas));
    expect(Number(env.TIM_RATE_LIMIT)).toBe(DEFAULTS.tencent.rateLimit);
    expect(service.depends_on).toMatchObject({ [redis.hostname]: { condition: "service_healthy" } });
    // Three replicas cannot share a host port: only the router publishes one.
    expect(service.ports).toBeUndefined();
    expect(service.container_name).toBeUndefined();
  });

  it("sets only variables the service reads, and the service's own reader accepts them", () => {
    const known = configVariables();
    for (const [name, s] of Object.entries({ ...services, ...tencent.services })) {
      if (s.image && !s.image.startsWith("portrait-graph") && !s.build) continue;
      for (const variable of Object.keys(s.environment ?? {})) {
        expect(known.has(variable) || SDK_VARIABLE.test(variable), `${name}: ${variable}`).toBe(true);
      }
    }
    const settings = readServiceSettings(containerEnv(service.environment!, { AUTH_JWT_SECRET: SECRET }));
    expect(settings).toMatchObject({
      nodeEnv: "production",
      port: DEFAULTS.service.port,
      jwtSecret: SECRET,
      embeddedEmulator: undefined,
      tencent: { baseUrl: "http://emulator:5800", usesEmulatorCredentials: true },
      scaleOut: { redisUrl: "redis://redis:6379", replicas: 3 },
    });
    // Docker's SIGKILL comes after stop_grace_period: the drain (SHUTDOWN_TIMEOUT_MS) must fit in it.
    expect(durationMs(service.stop_grace_period!)).toBeGreaterThan(settings.shutdownTimeoutMs);
  });

  it("refuses to start without AUTH_JWT_SECRET, which every replica must share", () => {
    expect(() => containerEnv(service.environment!, {})).toThrow(/AUTH_JWT_SECRET/);
  });

  it("points the service at the emulator's address, which the emulator's own settings listen on", () => {
    const emulator = services.emulator!;
    expect(emulator.image).toBe(service.image);
    expect(emulator.build).toEqual(service.build);
    expect(emulator.command).toEqual(["node", "dist/src/emulator/main.js"]);
    const settings = readEmulatorSettings(containerEnv(emulator.environment!));
    const baseUrl = new URL(containerEnv(service.environment!, { AUTH_JWT_SECRET: SECRET }).TIM_BASE_URL!);
    expect(baseUrl.hostname).toBe("emulator");
    expect({ host: settings.host, port: settings.port }).toEqual({ host: "0.0.0.0", port: Number(baseUrl.port) });
  });

  it("with compose.tencent.yaml: Tencent credentials required from the shell, the region's host, no emulator", () => {
    const overridden = { ...service.environment!, ...tencent.services["portrait-graph"]!.environment! };
    expect(() => containerEnv(overridden, { AUTH_JWT_SECRET: SECRET })).toThrow(/TIM_SDKAPPID/);
    const env = containerEnv(overridden, {
      AUTH_JWT_SECRET: SECRET,
      TIM_SDKAPPID: "1400000042",
      TIM_SECRET_KEY: "a-tencent-secret-key",
    });
    expect(readServiceSettings(env)).toMatchObject({
      tencent: { usesEmulatorCredentials: false, baseUrl: undefined, sdkAppId: 1400000042, region: "china" },
    });
    expect(tencent.services.emulator!.profiles).toEqual(["emulator"]);
  });

  it("builds the image from the repository's Dockerfile", () => {
    expect(existsSync(join(DIR, service.build!.context, service.build!.dockerfile))).toBe(true);
    expect(join(DIR, service.build!.context)).toBe(".");
  });

  describe("health checks, run against the real thing", () => {
    let svc: Service;
    let emulator: Awaited<ReturnType<typeof startEmulator>>;
    beforeAll(async () => {
      [svc, emulator] = await Promise.all([startService(), startEmulator()]);
    });
    afterAll(async () => {
      await Promise.all([svc.close(), emulator.close()]);
    });

    /** A compose healthcheck's command with its port swapped for `port`; its exit code. */
    async function check(s: ComposeService, port: string) {
      const [kind, command, ...args] = s.healthcheck!.test;
      expect([kind, command]).toEqual(["CMD", "node"]);
      const script = args.map((a) => a.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
      const child = spawn(process.execPath, script, { stdio: "ignore" });
      return ((await once(child, "exit")) as [number | null])[0];
    }

    it("the service is healthy once ready (/readyz on its PORT), so the router starts after it", async () => {
      expect(checkedUrl(service).pathname).toBe("/readyz");
      expect(Number(checkedUrl(service).port)).toBe(DEFAULTS.service.port);
      expect(await check(service, new URL(svc.url).port)).toBe(0);
      expect(await check(service, "1")).toBe(1);
      expect(services.router!.depends_on).toMatchObject({ "portrait-graph": { condition: "service_healthy" } });
    });

    it("the emulator's check asks a route the emulator answers", async () => {
      expect(Number(checkedUrl(services.emulator!).port)).toBe(DEFAULTS.emulator.port);
      expect(await check(services.emulator!, new URL(emulator.url).port)).toBe(0);
    });

    it("the router's check asks Hive Gateway's readiness route; Redis is pinged", () => {
      expect(checkedUrl(services.router!).pathname).toBe("/readiness");
      expect(services.redis!.healthcheck!.test).toEqual(["CMD", "redis-cli", "ping"]);
    });
  });
});

describe("compose: the router", () => {
  const router = services.router!;
  const mounts = Object.fromEntries(router.volumes!.map((v) => v.split(":")).map(([from, to]) => [to!, from!]));

  it("is the Hive Gateway version the federation tests run, with its config and supergraph mounted", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { devDependencies: Record<string, string> };
    expect(router.image).toBe(`ghcr.io/graphql-hive/gateway:${pkg.devDependencies["@graphql-hive/gateway"]}`);
    expect(router.ports).toEqual(["4000:4000"]);
    for (const file of ["/gateway/gateway.config.mjs", "/gateway/supergraph.graphql"]) {
      expect(existsSync(join(DIR, mounts[file]!)), file).toBe(true);
    }
  });

  it("serves a supergraph composed from schema/schema.graphql, with the service's compose address", async () => {
    const { composeSupergraph, SUBGRAPH_URL } = await composeSupergraphModule();
    expect(readFileSync(join(DIR, "supergraph.graphql"), "utf8")).toBe(
      composeSupergraph(readFileSync("schema/schema.graphql", "utf8")),
    );
    const url = new URL(SUBGRAPH_URL);
    expect(services[url.hostname]).toBe(service);
    expect(Number(url.port)).toBe(DEFAULTS.service.port);
  });

  it("its configuration, run in-process, forwards the caller's token to the service", async () => {
    const svc = await startService();
    const gateway = await startComposeGateway(svc.url);
    try {
      const ask = (headers: Record<string, string>) =>
        fetch(gateway.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ query: "{ me { id profile { nick } } }" }),
        }).then((r) => r.json() as Promise<{ data?: unknown; errors?: { extensions?: { code?: string } }[] }>);
      expect(await ask({ authorization: `Bearer ${svc.userToken}` })).toEqual({
        data: { me: { id: "zhang.wei", profile: { nick: "张伟" } } },
      });
      // Without a token the service refuses: what the router forwarded above was the caller's.
      const anonymous = await ask({});
      expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    } finally {
      await gateway.close();
      await svc.close();
    }
  });
});

describe("compose: the observability profile", () => {
  it("scrapes every replica of the service on its port, and mounts the dashboard into Grafana", () => {
    const prometheus = readYaml<{
      scrape_configs: { metrics_path: string; dns_sd_configs: { names: string[]; port: number }[] }[];
    }>(join(DIR, "prometheus.yml"));
    const [job] = prometheus.scrape_configs;
    expect(job!.metrics_path).toBe("/metrics");
    expect(job!.dns_sd_configs).toEqual([{ names: ["portrait-graph"], type: "A", port: DEFAULTS.service.port }]);
    const grafana = services.grafana!;
    const dashboards = grafana.volumes!.find((v) => v.split(":")[1] === "/var/lib/grafana/dashboards")!;
    expect(existsSync(join(DIR, dashboards.split(":")[0]!, "portrait-graph.json"))).toBe(true);
    for (const name of ["prometheus", "grafana", "jaeger"]) expect(services[name]!.profiles).toEqual(["observability"]);
    expect(dirname(join(DIR, dashboards.split(":")[0]!))).toBe("deploy");
  });
});
