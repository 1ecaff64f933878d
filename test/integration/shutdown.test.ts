import { spawn } from "node:child_process";
import { once } from "node:events";
import { Pool } from "undici";
import { describe, expect, it, vi } from "vitest";

// The built entry point, as `npm start` runs it (`npm test` builds first).
describe("SIGTERM", () => {
  it("drains: /readyz 503 at once, all 100 in-flight requests answered, exit 0 within SHUTDOWN_TIMEOUT_MS", async () => {
    const child = spawn(process.execPath, ["dist/src/main.js"], {
      env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", TIM_EMULATOR_LATENCY_MS: "400", SHUTDOWN_TIMEOUT_MS: "5000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const exited = once(child, "exit");
    try {
      while (!/Bearer \S+\n[\s\S]*Bearer \S+/.test(output)) await once(child.stdout!, "data");
      const url = /ready at (\S+)/.exec(output)![1]!;
      const token = /user\s+zhang\.wei:\s+Bearer (\S+)/.exec(output)![1]!;
      const origin = new URL(url).origin;
      const pool = new Pool(origin, { connections: 100 });
      // Ready once its first upstream check (one slow emulator round trip) has passed.
      await vi.waitFor(async () => {
        const ready = await pool.request({ path: "/readyz", method: "GET" });
        await ready.body.dump();
        expect(ready.statusCode).toBe(200);
      }, { timeout: 5_000, interval: 50 });

      // 100 requests, each held ~400 ms by the upstream's latency, then SIGTERM while they wait.
      const inFlight = Array.from({ length: 100 }, () =>
        pool
          .request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: '{ user(id: "li.na") { profile { nick } } }' }),
          })
          .then(async (res) => ({ status: res.statusCode, body: (await res.body.json()) as { data?: { user?: { profile?: { nick?: string } } } } })),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const signalledAt = performance.now();
      child.kill("SIGTERM");

      // The signal is handled on the child's next turn: /readyz turns 503 then, while the 100
      // requests are still waiting on the upstream.
      const probe = new Pool(origin, { connections: 1 });
      let answered = 0;
      for (const request of inFlight) void request.then(() => answered++);
      await vi.waitFor(async () => {
        const draining = await probe.request({ path: "/readyz", method: "GET" });
        const body = await draining.body.json();
        expect({ status: draining.statusCode, body }).toMatchObject({ status: 503, body: { status: "not ready", draining: true } });
      }, { timeout: 2_000, interval: 10 });
      expect(answered).toBeLessThan(100);
      await probe.close();

      const answers = await Promise.all(inFlight);
      expect(answers.filter((a) => a.status !== 200 || a.body.data?.user?.profile?.nick !== "李娜")).toEqual([]);
      const [code] = await exited;
      expect(code).toBe(0);
      expect(performance.now() - signalledAt).toBeLessThan(5_000 + 1_000);
      await pool.close();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
