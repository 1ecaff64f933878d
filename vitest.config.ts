import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql@16 has no "exports": Node (and so type-graphql and Apollo) load its CommonJS entry,
    // while Vite would pick the "module" build. Two copies break `instanceof` checks, so the
    // tests use the very file Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Finds Redis (REDIS_TEST_URL or 127.0.0.1:6379) and Chromium once; a suite whose part is
    // missing is skipped, said in one line at the end.
    globalSetup: ["test/support/skips.ts"],
    // Integration tests start real servers on ephemeral ports; a few of them wait out
    // retry back-offs and rate-limit windows, so they get more than the 5 s default.
    testTimeout: 30_000,
    // Most test files wait on sockets, timers and outages they stage, not the CPU: on a 2-core
    // machine two workers left it idle half the run (125 s of CPU in 142 s), four finish in about
    // three quarters of the time. The tests count calls and states, so the added contention does
    // not change their outcome.
    maxWorkers: Math.max(4, availableParallelism()),
    hookTimeout: 30_000,
    // The log shows failures: console output of a passing test is dropped, a failing one's is kept.
    silent: "passed-only",
    env: {
      // @apollo/gateway otherwise probes cloud metadata endpoints and exports usage metrics to
      // Apollo when constructed: tests stay on loopback.
      APOLLO_TELEMETRY_DISABLED: "true",
    },
    // In CI, also write a JSON report so that .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", ["json", { outputFile: "dist/vitest-report.json" }]] : ["default"],
  },
});
