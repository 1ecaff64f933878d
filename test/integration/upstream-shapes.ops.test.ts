import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/server/logger.js";
import { gatedSleep } from "../support/emulator.js";
import { useServices, type Service } from "../support/service.js";

/**
 * The table, continued (rows 1–6 are in upstream-shapes.test.ts): writes whose answer is
 * late (7), throttling below the configured rate (8), and what operations see when the upstream
 * is gone. Each through GraphQL against the emulator with the quirk on.
 */
const start = useServices();

const sets = (svc: Service) => svc.emulator.calls.filter((c) => c.api === "profile/portrait_set");
const gets = (svc: Service) => svc.emulator.calls.filter((c) => c.api === "profile/portrait_get");

/** `n` accounts named `${prefix}${i}` with the nick `nick-${id}`, straight into the emulator's store. */
function seedAccounts(svc: Service, prefix: string, n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (const id of ids) svc.emulator.store.apply(id, [["Tag_Profile_IM_Nick", `nick-${id}`]]);
  return ids;
}
const SET_NICK = `mutation($nick: String!) { setProfile(input: { nick: $nick }) { id profile { nick } } }`;
const NICK_OF = `query($id: ID!) { user(id: $id) { profile { nick } } }`;

function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

describe("7. a portrait_set whose answer was lost (writeAnswerDelayMs, writeApplyDelayMs)", () => {
  // The client gives up on an attempt after 200 ms; the emulator holds the write far longer.
  const client = { timeoutMs: 200 };

  it("applied, answer late: the written tags are read back, it is a success, and the write went once", async () => {
    const gate = gatedSleep();
    const svc = await start({ sleep: gate.sleep, quirks: { writeAnswerDelayMs: 60_000 } }, {}, client);
    const result = await svc.gql(SET_NICK, { nick: "迟到的回答" });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ setProfile: { id: "zhang.wei", profile: { nick: "迟到的回答" } } });
    // The read-back asked for exactly the written tag; then the answer's own read.
    expect(gets(svc).map((c) => [c.accounts, c.tags])).toEqual([
      [["zhang.wei"], ["Tag_Profile_IM_Nick"]],
      [["zhang.wei"], ["Tag_Profile_IM_Nick"]],
    ]);
    // One write reached the emulator (every write there waits on the gate), answered once released.
    expect(gate.waits.map((w) => w.ms)).toEqual([60_000]);
    gate.waits[0]!.release();
    await vi.waitFor(() => expect(sets(svc).map((c) => c.outcome)).toEqual([0]));
  });

  it("applied late: the read-back does not find it, so the outcome is unknown, and the write went once", async () => {
    const gate = gatedSleep();
    const svc = await start({ sleep: gate.sleep, quirks: { writeApplyDelayMs: 60_000 } }, {}, client);
    const result = await svc.gql(SET_NICK, { nick: "稍后生效" });
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({
      path: ["setProfile"],
      extensions: { code: "UPSTREAM_UNAVAILABLE", outcome: "unknown" },
    });
    expect(result.errors![0]!.message).toMatch(/may or may not have been applied/);
    expect(gets(svc)).toHaveLength(1);
    expect(gate.waits.map((w) => w.ms)).toEqual([60_000]);
    // It did land afterwards: that is why the service could not say "failed".
    gate.waits[0]!.release();
    await vi.waitFor(() => expect(sets(svc).map((c) => c.outcome)).toEqual([0]));
    expect((await svc.gql(NICK_OF, { id: "zhang.wei" })).data).toEqual({ user: { profile: { nick: "稍后生效" } } });
  });

  it("applied, but the read-back fails: the outcome is unknown, not a failure, and the write went once", async () => {
    const gate = gatedSleep();
    const quirks = { writeAnswerDelayMs: 60_000, accountFailures: { "zhang.wei": { code: 40006 as const, times: 1 } } };
    const svc = await start({ sleep: gate.sleep, quirks }, {}, client);
    const result = await svc.gql(SET_NICK, { nick: "读不回来" });
    expect(result.errors![0]).toMatchObject({
      path: ["setProfile"],
      extensions: { code: "UPSTREAM_UNAVAILABLE", outcome: "unknown" },
    });
    expect(gets(svc).map((c) => c.results)).toEqual([[40006]]);
    expect(gate.waits).toHaveLength(1);
    gate.waits[0]!.release();
    await vi.waitFor(() => expect(sets(svc)).toHaveLength(1));
  });
});

describe("8. Tencent allows 5 calls/s while the client is configured for 200", () => {
  it("many concurrent reads coalesce; 60007s stay few and attempts within 1.2× the successful calls", async () => {
    const svc = await start({}, {}, { rateLimit: 200 });
    const ids = seedAccounts(svc, "r", 600);
    svc.emulator.configure({ rateLimit: 5 });
    svc.emulator.resetStats();
    // 12 one-account reads every 100 ms for 5 s: 600 reads, 100 times more than 5 calls/s could
    // carry one by one.
    const reads: Promise<Awaited<ReturnType<Service["gql"]>>>[] = [];
    for (let wave = 0; wave < 50; wave++) {
      for (const id of ids.slice(wave * 12, wave * 12 + 12)) reads.push(svc.gql(NICK_OF, { id }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const results = await Promise.all(reads);
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(results.map((r) => (r.data as { user: { profile: { nick: string } } }).user.profile.nick)).toEqual(
      ids.map((id) => `nick-${id}`),
    );

    const attempts = gets(svc);
    const succeeded = attempts.filter((c) => c.outcome === 0).length;
    const refused = attempts.filter((c) => c.outcome === 60007).length;
    console.info(
      `${attempts.length} portrait_get attempts, ${succeeded} succeeded, ${refused} answered 60007, for ${ids.length} reads`,
    );
    expect(attempts.length).toBe(succeeded + refused);
    expect(succeeded).toBeLessThan(ids.length / 10);
    expect(attempts.length).toBeLessThanOrEqual(1.2 * succeeded);
  });
});

describe("operations: the upstream's address stays out of answers", () => {
  it("with the emulator stopped (ECONNREFUSED), errors name no internal address; the server log has the detail", async () => {
    const { logger, lines } = capturedLogger();
    const svc = await start({}, { logger }, { maxAttempts: 2 });
    await svc.emulator.close();

    const read = await svc.gql(NICK_OF, { id: "li.na" });
    const write = await svc.gql(SET_NICK, { nick: "无人应答" });
    for (const result of [read, write]) {
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(result.errors![0]!.message).toMatch(/ECONNREFUSED/);
      expect(JSON.stringify(result)).not.toMatch(/127\.0\.0\.1:|localhost:/);
    }
    const details = lines
      .map((l) => JSON.parse(l) as { msg: string; detail?: string })
      .filter((l) => l.msg === "upstream transport failure");
    expect(details).toHaveLength(2);
    for (const line of details) expect(line.detail).toMatch(/ECONNREFUSED 127\.0\.0\.1:\d+/);
  });
});
