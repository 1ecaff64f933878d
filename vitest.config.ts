import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start real servers on ephemeral ports; a few of them wait out
    // retry back-offs and rate-limit windows, so they get more than the 5 s default.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
