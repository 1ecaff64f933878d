import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TencentApiError, TencentTransportError, classifyErrorCode } from "../../src/tencent/errors.js";
import { upstreamOrigins } from "../../src/tencent/regions.js";
import { verifyUserSig } from "../../src/tencent/usersig.js";
import { TencentCircuitOpenError, TencentDeadlineError } from "../../src/upstream/errors.js";
import { createUpstream, type UpstreamSettings } from "../../src/upstream/upstream.js";
import { countingBudget } from "../support/budget.js";

const APP = { sdkAppId: 1400000001, secretKey: "unit-secret", adminIdentifier: "administrator" };
const ORIGIN = "https://console.tim.qq.com";
const OK = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" };
const FAIL = (code: number) => ({ ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: `e${code}`, ErrorDisplay: "" });

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

function client(options: Partial<UpstreamSettings> = {}) {
  return createUpstream({
    ...APP,
    dispatcher: agent,
    rateLimit: 0,
    backoff: { baseMs: 1, capMs: 2 },
    throttleBackoff: { baseMs: 1, capMs: 2 },
    ...options,
  });
}

function queries(): URLSearchParams[] {
  return agent
    .getCallHistory()!
    .calls()
    .map((c) => new URL(c.fullUrl).searchParams);
}

describe("Upstream", () => {
  it("sends the admin's query parameters, a fresh random per call and contenttype=json", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /\/v4\/profile\/portrait_get/, method: "POST" })
      .reply(200, OK)
      .times(3);
    const c = client();
    for (let i = 0; i < 3; i++)
      await c.call("profile/portrait_get", { To_Account: ["a"], TagList: ["Tag_Profile_IM_Nick"] });
    const qs = queries();
    expect(qs).toHaveLength(3);
    for (const q of qs) {
      expect(q.get("sdkappid")).toBe("1400000001");
      expect(q.get("identifier")).toBe("administrator");
      expect(q.get("contenttype")).toBe("json");
      const random = Number(q.get("random"));
      expect(Number.isInteger(random) && random >= 0 && random <= 4294967295).toBe(true);
      expect(verifyUserSig(q.get("usersig")!, { ...APP, identifier: "administrator" })).toMatchObject({ ok: true });
    }
    expect(new Set(qs.map((q) => q.get("random"))).size).toBe(3);
    // One cached UserSig serves every call.
    expect(new Set(qs.map((q) => q.get("usersig"))).size).toBe(1);
    expect(agent.getCallHistory()!.firstCall()!.body).toBe('{"To_Account":["a"],"TagList":["Tag_Profile_IM_Nick"]}');
  });

  it("renews the cached UserSig at half its lifetime, well before expiry", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, OK)
      .times(3);
    let now = Date.UTC(2026, 0, 1);
    const c = client({ userSigTtlSeconds: 3600, now: () => now });
    await c.call("profile/portrait_get", {});
    now += 1799_000;
    await c.call("profile/portrait_get", {});
    now += 2_000; // past half-life (30 min), far from expiry (60 min)
    await c.call("profile/portrait_get", {});
    const sigs = queries().map((q) => q.get("usersig"));
    expect(sigs[0]).toBe(sigs[1]);
    expect(sigs[2]).not.toBe(sigs[1]);
  });

  it("uses the region host, its backup after a network failure, and TIM_BASE_URL when set", async () => {
    expect(upstreamOrigins("singapore")).toEqual([
      "https://adminapisgp.im.qcloud.com",
      "https://adminapisgp.my-imcloud.com",
    ]);
    expect(upstreamOrigins("china", "http://127.0.0.1:5800")).toEqual(["http://127.0.0.1:5800"]);
    expect(upstreamOrigins("china", "http://proxy.local:8080/tencent/")).toEqual(["http://proxy.local:8080/tencent"]);
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(502, "bad gateway");
    agent
      .get("https://adminapi.my-imcloud.com")
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, OK);
    await expect(client().call("profile/portrait_get", {})).resolves.toMatchObject({ ActionStatus: "OK" });
    expect(
      agent
        .getCallHistory()!
        .calls()
        .map((c) => c.origin),
    ).toEqual([ORIGIN, "https://adminapi.my-imcloud.com"]);
  });

  it("keeps a TIM_BASE_URL path prefix, e.g. a proxy that mounts the API under /tencent", async () => {
    agent
      .get("http://proxy.local:8080")
      .intercept({ path: /^\/tencent\/v4\/profile\/portrait_get\?/, method: "POST" })
      .reply(200, OK);
    await client({ baseUrl: "http://proxy.local:8080/tencent/" }).call("profile/portrait_get", {});
    expect(agent.getCallHistory()!.calls()).toHaveLength(1);
  });

  it("parses the envelope into a typed error with its class", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_set/, method: "POST" })
      .reply(200, FAIL(40605));
    const error = await client()
      .call("profile/portrait_set", {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error).toMatchObject({ code: 40605, info: "e40605", kind: "caller", api: "profile/portrait_set" });
    expect(agent.getCallHistory()!.calls()).toHaveLength(1); // caller errors are not retried
    expect(classifyErrorCode(70009)).toBe("config");
    expect(classifyErrorCode(60010)).toBe("config");
    expect(classifyErrorCode(60007)).toBe("throttled");
    expect(classifyErrorCode(60019)).toBe("throttled");
    expect(classifyErrorCode(70500)).toBe("transient");
    expect(classifyErrorCode(40006)).toBe("transient");
    expect(classifyErrorCode(40009)).toBe("caller");
  });

  it("retries transient and throttling codes, then succeeds", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, FAIL(60007));
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, FAIL(70500));
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, FAIL(40006));
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, OK);
    const attempts: unknown[] = [];
    const c = client();
    c.observe((e) => e.type === "attempt" && attempts.push([e.attempt.attempt, e.attempt.outcome, e.attempt.code]));
    await c.call("profile/portrait_get", {});
    expect(attempts).toEqual([
      [1, "error", 60007],
      [2, "error", 70500],
      [3, "error", 40006],
      [4, "ok", 0],
    ]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, FAIL(70500))
      .times(3);
    const error = await client({ maxAttempts: 3 })
      .call("profile/portrait_get", {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 70500, kind: "transient" });
    expect(agent.getCallHistory()!.calls()).toHaveLength(3);
  });

  it("stops retrying when the next backoff would pass the deadline", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, FAIL(60007))
      .persist();
    // Every back-off is exactly 100 ms (jitter pinned at its top), inside a 300 ms deadline.
    const c = client({
      maxAttempts: 50,
      deadlineMs: 300,
      throttleBackoff: { baseMs: 100, capMs: 100 },
      random: () => 1,
    });
    const error = await c.call("profile/portrait_get", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentDeadlineError);
    expect(error).toMatchObject({ kind: "throttled", cause: { code: 60007 } });
    // At 0, 100 and 200 ms; the fourth would start at 300 ms, at the deadline, so it is not sent
    // (a starved machine whose timers run late may send one fewer, never more).
    const sent = agent.getCallHistory()!.calls().length;
    expect(sent).toBeLessThanOrEqual(3);
    expect(sent).toBeGreaterThanOrEqual(2);
  });

  it("times out an attempt that hangs and reports it as transient", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, OK)
      .delay(500);
    const error = await client({ timeoutMs: 50, maxAttempts: 1 })
      .call("profile/portrait_get", {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentTransportError);
    expect((error as Error).message).toMatch(/timed out after 50 ms/);
  });

  it("treats HTTP 5xx and a non-envelope body as transient, other statuses as config errors", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: /a\/b/, method: "POST" }).reply(200, "<html>oops</html>");
    pool.intercept({ path: /a\/c/, method: "POST" }).reply(404, "not found");
    const c = client({ maxAttempts: 1 });
    await expect(c.call("a/b", {})).rejects.toMatchObject({ kind: "transient", httpStatus: 200 });
    await expect(c.call("a/c", {})).rejects.toMatchObject({ kind: "config", httpStatus: 404 });
  });

  it("re-signs once when Tencent says the UserSig expired", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, FAIL(70001));
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, OK);
    // The clock moves a second per reading: a cached sig is reused, a fresh mint differs.
    let now = Date.UTC(2026, 0, 1);
    const c = client({ now: () => (now += 1_000) });
    await c.call("profile/portrait_get", {});
    const sigs = queries().map((q) => q.get("usersig"));
    expect(sigs).toHaveLength(2);
    expect(sigs[1]).not.toBe(sigs[0]);
  });

  it("keeps uint64 values exact in answers and requests", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(
        200,
        '{"UserProfileItem":[{"To_Account":"a","ProfileItem":[{"Tag":"Tag_Profile_Custom_Score","Value":18446744073709551615}],"ResultCode":0,"ResultInfo":""}],"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}',
      );
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_set/, method: "POST" })
      .reply(200, OK);
    const c = client();
    const [a] = await c.portraitGet(["a"], ["Tag_Profile_Custom_Score"]);
    expect(a).toEqual({
      account: "a",
      ok: true,
      items: [{ Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n }],
    });
    await c.portraitSet("a", [{ Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551614n }]);
    expect(agent.getCallHistory()!.lastCall()!.body).toBe(
      '{"From_Account":"a","ProfileItem":[{"Tag":"Tag_Profile_Custom_Score","Value":18446744073709551614}]}',
    );
  });

  it("never puts the secret key or the UserSig into an error message", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .replyWithError(new Error("socket hang up"));
    const c = client({ maxAttempts: 1 });
    const error = (await c.call("profile/portrait_get", {}).catch((e: unknown) => e)) as Error;
    const sig = queries()[0]!.get("usersig")!;
    const text = `${error.message} ${error.stack} ${JSON.stringify(error)}`;
    expect(text).not.toContain(APP.secretKey);
    expect(text).not.toContain(sig);
    expect(text).not.toContain("usersig");
  });
});

describe("portraitGet / portraitSet", () => {
  it("refuses bad input before any call", async () => {
    const c = client();
    await expect(c.portraitGet([], ["Tag_Profile_IM_Nick"])).rejects.toThrow(/accounts must be a non-empty array/);
    await expect(
      c.portraitGet(
        Array.from({ length: 101 }, (_, i) => `u${i}`),
        ["Tag_Profile_IM_Nick"],
      ),
    ).rejects.toThrow(/at most 100 distinct/);
    await expect(c.portraitGet(["a"], [])).rejects.toThrow(/tags must be a non-empty array/);
    await expect(c.portraitSet("", [{ Tag: "Tag_Profile_IM_Nick", Value: "x" }])).rejects.toThrow(
      /account must be a non-empty/,
    );
    await expect(c.portraitSet("a", [])).rejects.toThrow(/items must be a non-empty array/);
    expect(agent.getCallHistory()!.calls()).toHaveLength(0);
  });

  it("answers each account in request order, with its own failure, asking duplicates once", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, {
        UserProfileItem: [
          { To_Account: "b", ResultCode: 40003, ResultInfo: "nope" },
          { To_Account: "a", ProfileItem: [{ Tag: "Tag_Profile_IM_Nick", Value: "A" }], ResultCode: 0, ResultInfo: "" },
          { To_Account: "", ResultCode: 40003, ResultInfo: "invalid" },
        ],
        Fail_Account: ["b"],
        Invalid_Account: [""],
        ...OK,
      });
    const results = await client().portraitGet(["a", "b", "a", ""], ["Tag_Profile_IM_Nick"]);
    expect(
      (JSON.parse(agent.getCallHistory()!.firstCall()!.body as string) as { To_Account: unknown }).To_Account,
    ).toEqual(["a", "b", ""]);
    expect(results).toEqual([
      { account: "a", ok: true, items: [{ Tag: "Tag_Profile_IM_Nick", Value: "A" }] },
      { account: "b", ok: false, code: 40003, info: "nope", kind: "caller", invalid: false },
      { account: "a", ok: true, items: [{ Tag: "Tag_Profile_IM_Nick", Value: "A" }] },
      { account: "", ok: false, code: 40003, info: "invalid", kind: "caller", invalid: true },
    ]);
  });

  it("copes with the legacy answer: ActionStatus FAIL with per-account results", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, {
        UserProfileItem: [
          {
            To_Account: "id1",
            ProfileItem: [{ Tag: "Tag_Profile_IM_Nick", Value: "NickNameTest1" }],
            ResultCode: 0,
            ResultInfo: "",
          },
          { To_Account: "id3", ResultCode: 10001, ResultInfo: "帐号不存在" },
        ],
        CurrentStandardSequence: 2,
        Fail_Account: ["id3"],
        ActionStatus: "FAIL",
        ErrorCode: 10001,
        ErrorInfo: "Err_Profile_PortraitGet_Msg",
      });
    const results = await client().portraitGet(["id1", "id3"], ["Tag_Profile_IM_Nick"]);
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(results[1]).toMatchObject({ code: 10001 });
  });
});

describe("the call policy", () => {
  const NICK = "Tag_Profile_IM_Nick";
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);
  const sentAccounts = () =>
    agent
      .getCallHistory()!
      .calls()
      .map((c) => (JSON.parse(c.body as string) as { To_Account: string[] }).To_Account);
  const answerFor = (accounts: string[]) => ({
    UserProfileItem: accounts.map((a) => ({ To_Account: a, ProfileItem: [{ Tag: NICK, Value: a }], ResultCode: 0 })),
    ...OK,
  });

  it("splits a whole call refused for an unknown account until that account is alone; each half pays a slot", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply((req) => {
        const { To_Account } = JSON.parse(req.body as string) as { To_Account: string[] };
        return { statusCode: 200, data: To_Account.includes("ghost") ? FAIL(40003) : answerFor(To_Account) };
      })
      .persist();
    const budget = countingBudget();
    const accounts = [...ids(5), "ghost", "v0", "v1"];
    const results = await client({ budget }).portraitGet(accounts, [NICK]);
    expect(results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["ok", "ok", "ok", "ok", "ok", 40003, "ok", "ok"]);
    // 8 → 4+4 → 2+2 → 1+1: every call after the first holds at most half of its parent.
    expect(sentAccounts().map((a) => a.length)).toEqual([8, 4, 4, 2, 2, 1, 1]);
    expect(budget.drawn).toBe(7);
  });

  it.each([40006, 70500, 60008])(
    "a whole call answered %i is an outage: retried with the same accounts, never split",
    async (code) => {
      const pool = agent.get(ORIGIN);
      pool
        .intercept({ path: /portrait_get/, method: "POST" })
        .reply(200, FAIL(code))
        .times(2);
      pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, answerFor(ids(10)));
      const results = await client().portraitGet(ids(10), [NICK]);
      expect(results.every((r) => r.ok)).toBe(true);
      expect(sentAccounts()).toEqual([ids(10), ids(10), ids(10)]);
    },
  );

  it("retries stop once Tencent keeps failing: past five outage failures each call costs one attempt", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, FAIL(40006))
      .persist();
    // The breaker stays out of the way here (it would stop calls altogether: see the next test).
    const c = client({ maxAttempts: 4, breaker: { failures: 1000 } });
    const attempts: number[] = [];
    for (let call = 0; call < 10; call++) {
      const before = agent.getCallHistory()!.calls().length;
      await expect(c.call("profile/portrait_get", {})).rejects.toMatchObject({ code: 40006 });
      attempts.push(agent.getCallHistory()!.calls().length - before);
    }
    // The retry bucket holds 10 tokens, each failure takes one, and a retry needs more than 5 left:
    // the first call spends 4 (its maxAttempts), the second fails with 5 left and is not retried.
    expect(attempts).toEqual([4, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("the breaker opens after consecutive outage failures and refuses calls without an attempt or a slot", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, FAIL(70500))
      .persist();
    const budget = countingBudget();
    const c = client({ budget, maxAttempts: 1, breaker: { failures: 3, halfOpenAfterMs: 60_000 } });
    for (let i = 0; i < 3; i++) await expect(c.call("profile/portrait_get", {})).rejects.toMatchObject({ code: 70500 });
    expect(c.circuit("profile/portrait_get")).toBe("open");
    expect(c.openCircuits()).toEqual(["profile/portrait_get"]);
    await expect(c.call("profile/portrait_get", {})).rejects.toBeInstanceOf(TencentCircuitOpenError);
    expect(agent.getCallHistory()!.calls()).toHaveLength(3);
    expect(budget.drawn).toBe(3);
    // Another API has its own circuit.
    expect(c.circuit("profile/portrait_set")).toBe("closed");
  });

  it("caller and throttling answers do not open the breaker: Tencent is up", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, FAIL(40009))
      .times(5);
    const c = client({ maxAttempts: 1, breaker: { failures: 2 } });
    for (let i = 0; i < 5; i++) await expect(c.call("profile/portrait_get", {})).rejects.toMatchObject({ code: 40009 });
    expect(c.circuit("profile/portrait_get")).toBe("closed");
  });

  it("a slot pays for exactly one attempt: the first attempt spends the caller's, a retry draws its own", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, FAIL(70500));
    pool.intercept({ path: /portrait_get/, method: "POST" }).reply(200, OK);
    const budget = countingBudget();
    const c = client({ budget });
    const slot = await c.acquire("profile/portrait_get");
    expect(budget.drawn).toBe(1);
    await c.call("profile/portrait_get", {}, { slot });
    expect(slot.spent).toBe(true);
    expect(budget.drawn).toBe(2);
    // Spent once: a second call cannot ride on it, nor can another API.
    await expect(c.call("profile/portrait_get", {}, { slot })).rejects.toThrow(/already spent/);
    const other = await c.acquire("profile/portrait_set");
    await expect(c.call("profile/portrait_get", {}, { slot: other })).rejects.toThrow(/cannot pay/);
  });
});
