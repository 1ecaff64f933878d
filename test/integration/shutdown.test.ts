import { spawn } from "node:child_process";
import { once } from "node:events";
import { Pool } from "undici";
import { describe, expect, it, vi } from "vitest";

/** The built entry point, as `npm start` runs it (`npm test` builds first), on the embedded emulator. */
async function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ["dist/src/main.js"], {
    env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  while (!/Bearer \S+\n[\s\S]*Bearer \S+/.test(output)) await once(child.stdout, "data");
  const url = /ready at (\S+)/.exec(output)![1]!;
  const token = /user\s+zhang\.wei:\s+Bearer (\S+)/.exec(output)![1]!;
  const emulatorUrl = /embedded Tencent IM emulator at (\S+)/.exec(output)![1]!;
  /** Every upstream answer from now on takes `ms` (the start-up check has used the default). */
  const slowUpstream = async (ms: number) => {
    const res = await fetch(`${emulatorUrl}/emulator/config`, {
      method: "POST",
      body: JSON.stringify({ latencyMs: ms }),
    });
    expect(res.status).toBe(200);
  };
  return { child, exited, origin: new URL(url).origin, token, slowUpstream, output: () => output };
}

const READ_NICK = JSON.stringify({ query: '{ user(id: "li.na") { profile { nick } } }' });

describe("SIGTERM", () => {
  it("drains: /readyz 503 at once, all 100 in-flight requests answered, exit 0 within SHUTDOWN_TIMEOUT_MS", async () => {
    // A generous bound: what is checked is that draining, not the bound, ended the process.
    const { child, exited, origin, token, slowUpstream, output } = await startMain({ SHUTDOWN_TIMEOUT_MS: "20000" });
    try {
      const pool = new Pool(origin, { connections: 100 });
      // Ready once its first upstream check has passed.
      await vi.waitFor(
        async () => {
          const ready = await pool.request({ path: "/readyz", method: "GET" });
          await ready.body.dump();
          expect(ready.statusCode).toBe(200);
        },
        { timeout: 5_000, interval: 50 },
      );
      await slowUpstream(2_000);

      // 100 requests, each held ~2 s by the upstream's latency (long enough that they are still
      // waiting when /readyz answers, even on a starved CPU), then SIGTERM while they wait.
      const inFlight = Array.from({ length: 100 }, () =>
        pool
          .request({
            path: "/graphql",
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: READ_NICK,
          })
          .then(async (res) => ({
            status: res.statusCode,
            body: (await res.body.json()) as { data?: { user?: { profile?: { nick?: string } } } },
          })),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      child.kill("SIGTERM");

      // The signal is handled on the child's next turn: /readyz turns 503 then, while the 100
      // requests are still waiting on the upstream, not all answered yet.
      const probe = new Pool(origin, { connections: 1 });
      let answered = 0;
      for (const request of inFlight) void request.then(() => answered++);
      await vi.waitFor(
        async () => {
          const draining = await probe.request({ path: "/readyz", method: "GET" });
          const body = await draining.body.json();
          expect({ status: draining.statusCode, body }).toMatchObject({
            status: 503,
            body: { status: "not ready", draining: true },
          });
        },
        { timeout: 5_000, interval: 10 },
      );
      expect(answered).toBeLessThan(100);
      await probe.close();

      const answers = await Promise.all(inFlight);
      expect(answers.filter((a) => a.status !== 200 || a.body.data?.user?.profile?.nick !== "李娜")).toEqual([]);
      const [code] = await exited;
      expect(code).toBe(0);
      // Drained by its own steps: an exit forced by SHUTDOWN_TIMEOUT_MS says so on the way out.
      expect(output()).not.toMatch(/did not finish within SHUTDOWN_TIMEOUT_MS/);
      await pool.close();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("exits 0 within SHUTDOWN_TIMEOUT_MS even when a request is still waiting on the upstream", async () => {
    // Each upstream answer takes 30 s; the process is given 3 s (its closing steps get a second of
    // that, enough on a starved machine).
    const { child, exited, origin, token, slowUpstream, output } = await startMain({
      SHUTDOWN_TIMEOUT_MS: "3000",
      LOG_LEVEL: "info",
    });
    const pool = new Pool(origin, { connections: 1 });
    try {
      await slowUpstream(30_000);
      const stuck = pool.request({
        path: "/graphql",
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: READ_NICK,
      });
      stuck.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      const signalledAt = performance.now();
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // By the process's own clock, from taking the signal to its last line before exiting.
      const logged = (msg: string) =>
        JSON.parse(
          output()
            .split("\n")
            .find((line) => line.includes(`"msg":"${msg}"`))!,
        ) as { time: number };
      expect(logged("stopped").time - logged("draining").time).toBeLessThanOrEqual(3_000);
      // The stuck upstream call did not hold the exit (it would have answered 30 s later).
      expect(performance.now() - signalledAt).toBeLessThan(15_000);
      await expect(stuck).rejects.toThrow();
      // By its own steps (drain, then the upstream pool cut), not by the last-resort timer.
      expect(output()).not.toMatch(/did not finish within SHUTDOWN_TIMEOUT_MS/);
    } finally {
      child.kill("SIGKILL");
      await pool.destroy();
    }
  });
});
