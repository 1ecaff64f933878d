import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/config/defaults.js";
import { startService, type Service } from "../support/service.js";
import { inContext, parseDockerfile, stageEnv, type Stage } from "./dockerfile.js";
import { importGraph } from "./imports.js";

// The image cannot be built here (no container runtime): these read the Dockerfile as the builder
// would, and check it against what the built service needs. `npm test` builds dist/ first.
const dockerfile = parseDockerfile(readFileSync("Dockerfile", "utf8"));
const dockerignore = readFileSync(".dockerignore", "utf8");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const build = dockerfile.stages[0]!;
const runtime = dockerfile.stages.at(-1)!;
const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
const one = (stage: Stage, keyword: string) => {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  expect(found, keyword).toHaveLength(1);
  return found[0]!;
};
/** What the runtime stage copies from the build stage: destination paths under /app. */
const copiedFromBuild = runtime.instructions
  .filter((i) => i.keyword === "COPY" && i.flags.from === build.name)
  .map((i) => i.args.split(/\s+/));
/** The entry points the image, the compose file and the README run in a container. */
const ENTRIES = ["dist/src/main.js", "dist/src/telemetry/preload.js", "dist/src/emulator/main.js", "dist/src/token.js"];

describe("Dockerfile", () => {
  it("builds in one stage (npm ci, npm run build) and runs from another with production dependencies only", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "runtime"]);
    expect(build.image).toBe(runtime.image);
    expect(runs(build)).toEqual([expect.stringMatching(/^npm ci\b/), "npm run build"]);
    expect(runs(runtime)).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    // The base image's Node satisfies package.json's engines (20.19+, 22.13+, 24).
    const version = dockerfile.args.find((a) => a.args.startsWith("NODE_VERSION="))!.args.split("=")[1]!;
    const [major, minor] = version.split(".").map(Number) as [number, number];
    expect((major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major === 24, `node ${version}`).toBe(
      true,
    );
  });

  it("gives the build stage, through .dockerignore, every file it copies and nothing else that matters", () => {
    const sources = build.instructions
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(inContext(dockerignore, source), source).toBe(true);
    for (const kept of ["node_modules", "dist", ".git", ".env", "test/integration"]) {
      expect(inContext(dockerignore, kept), kept).toBe(false);
    }
    // `npm run build` compiles src/ with tsconfig.build.json and bundles the explorer from src/explorer/browser.
    expect(pkg.devDependencies.typescript && pkg.devDependencies.esbuild).toBeTruthy();
  });

  it("copies into the runtime stage every file the entry points load, and the explorer bundle they serve", () => {
    expect(copiedFromBuild).toEqual([
      ["/app/dist/src", "./dist/src"],
      ["/app/dist/explorer", "./dist/explorer"],
    ]);
    const { files } = importGraph(".", ENTRIES);
    expect(files.size).toBeGreaterThan(50);
    expect([...files].filter((file) => !file.startsWith("dist/src/"))).toEqual([]);
    // src/explorer/assets.ts reads these from dist/explorer, found from package.json's directory (copied too).
    for (const asset of ["dist/explorer/graphiql.js", "dist/explorer/graphiql.css"])
      expect(existsSync(asset)).toBe(true);
    const copied = runtime.instructions.filter((i) => i.keyword === "COPY" && !i.flags.from).map((i) => i.args);
    expect(copied).toContain("package.json package-lock.json ./");
  });

  it("needs no devDependency at run time: every package the entry points import is a dependency", () => {
    const { packages } = importGraph(".", ENTRIES);
    expect(packages.size).toBeGreaterThan(10);
    expect([...packages].filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it("runs as a non-root user, in production, on the PORT it exposes, stopped by SIGTERM", () => {
    const user = one(runtime, "USER").args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(":")[0])).toBeGreaterThan(0);
    const env = stageEnv(runtime);
    expect(env.NODE_ENV).toBe("production");
    expect(Number(env.PORT)).toBe(DEFAULTS.service.port);
    expect(one(runtime, "EXPOSE").args).toBe(env.PORT);
    expect(one(runtime, "STOPSIGNAL").args).toBe("SIGTERM");
    expect(one(runtime, "CMD").exec).toEqual([
      "node",
      "--import",
      "./dist/src/telemetry/preload.js",
      "dist/src/main.js",
    ]);
  });

  describe("HEALTHCHECK", () => {
    let service: Service;
    beforeAll(async () => {
      service = await startService();
    });
    afterAll(() => service.close());

    /** The image's health check command, run here with PORT set as the container sets it; its exit code. */
    const healthcheck = async (port: string) => {
      const [command, ...args] = one(runtime, "HEALTHCHECK").exec!;
      expect(command).toBe("node");
      const child = spawn(process.execPath, args, { env: { PORT: port }, stdio: "ignore" });
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    };

    it("asks /healthz on the container's PORT, within its timeout", () => {
      const check = one(runtime, "HEALTHCHECK");
      expect(check.exec!.join(" ")).toContain("/healthz");
      expect(check.flags).toMatchObject({ interval: expect.any(String), timeout: expect.any(String) });
    });

    it("passes against a running service and fails where nothing listens", async () => {
      expect(await healthcheck(new URL(service.url).port)).toBe(0);
      expect(await healthcheck("1")).toBe(1);
    });
  });
});
