import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeProfile } from "../../src/profile/codec.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { createUpstream, type UpstreamSettings } from "../../src/upstream/upstream.js";
import { TencentTransportError } from "../../src/tencent/errors.js";

const APP = { sdkAppId: 1400000001, secretKey: "unit-secret", adminIdentifier: "administrator" };
const ORIGIN = "https://console.tim.qq.com";
const OK = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" };

let agent: MockAgent;
beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
});
afterEach(() => agent.close());

const client = (options: Partial<UpstreamSettings> = {}) =>
  createUpstream({ ...APP, dispatcher: agent, rateLimit: 0, backoff: { baseMs: 1, capMs: 2 }, ...options });

describe("the tolerant reader: every answer shape Tencent may send", () => {
  const tags = TagRegistry.fromSpec("Test:string,Score:integer");

  it('reads never-set defaults as absent: "" in string and enum fields; valid defaults stay', () => {
    const reports: string[] = [];
    const profile = decodeProfile(
      "a",
      [
        { Tag: "Tag_Profile_IM_Nick", Value: "" },
        { Tag: "Tag_Profile_IM_Gender", Value: "" },
        { Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_NeedConfirm" },
        { Tag: "Tag_Profile_IM_AdminForbidType", Value: "AdminForbid_Type_None" },
        { Tag: "Tag_Profile_IM_Level", Value: 0 },
      ],
      tags,
      (m) => reports.push(m),
    );
    expect(profile).toEqual({
      account: "a",
      custom: {},
      allowType: "AllowType_Type_NeedConfirm",
      adminForbidType: "AdminForbid_Type_None",
      level: 0,
    });
    expect(reports).toEqual([]);
  });

  it("reads an enum value this version does not know as absent, and reports it once", () => {
    const reports: string[] = [];
    const item = { Tag: "Tag_Profile_IM_Gender", Value: "Gender_Type_Robot" };
    expect(decodeProfile("a", [item], tags, (m) => reports.push(m))).toEqual({ account: "a", custom: {} });
    decodeProfile("b", [item], tags, (m) => reports.push(m));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/unknown Tag_Profile_IM_Gender value "Gender_Type_Robot"/);
  });

  it("accepts integers sent as decimal strings, for uint32 fields and integer custom tags", () => {
    const profile = decodeProfile(
      "a",
      [
        { Tag: "Tag_Profile_IM_BirthDay", Value: "20190419" },
        { Tag: "Tag_Profile_IM_Level", Value: "4294967295" },
        { Tag: "Tag_Profile_Custom_Score", Value: "18446744073709551615" },
        { Tag: "Tag_Profile_Custom_Test", Value: 42 },
      ],
      tags,
    );
    expect(profile).toEqual({
      account: "a",
      birthday: 20190419,
      level: 4294967295,
      custom: { Score: 18446744073709551615n, Test: "42" },
    });
  });

  it("reads an out-of-range or non-numeric integer as absent, never as an error", () => {
    const reports: string[] = [];
    const profile = decodeProfile(
      "a",
      [
        { Tag: "Tag_Profile_IM_Level", Value: "4294967296" },
        { Tag: "Tag_Profile_IM_Role", Value: "admin" },
      ],
      tags,
      (m) => reports.push(m),
    );
    expect(profile).toEqual({ account: "a", custom: {} });
    expect(reports.length).toBeGreaterThan(0);
  });

  it("answers 40807/40809 (no profile data yet) as an empty profile, and a string ResultCode as the number it is", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, {
        UserProfileItem: [
          { To_Account: "new1", ResultCode: 40807, ResultInfo: "standard key missing" },
          { To_Account: "new2", ResultCode: 40809, ResultInfo: "custom key missing" },
          { To_Account: "gone", ResultCode: "40003", ResultInfo: "Err_Profile_Account_Not_Exist" },
        ],
        ...OK,
      });
    const results = await client().portraitGet(["new1", "new2", "gone"], ["Tag_Profile_IM_Nick"]);
    expect(results).toEqual([
      { account: "new1", ok: true, items: [] },
      { account: "new2", ok: true, items: [] },
      {
        account: "gone",
        ok: false,
        code: 40003,
        info: "Err_Profile_Account_Not_Exist",
        kind: "caller",
        invalid: false,
      },
    ]);
  });

  it("reports an account the answer left out as a transient failure without a Tencent code", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, { UserProfileItem: [], ...OK });
    const [result] = await client().portraitGet(["missing"], ["Tag_Profile_IM_Nick"]);
    expect(result).toEqual({
      account: "missing",
      ok: false,
      code: undefined,
      info: "the answer left this account out",
      kind: "transient",
      invalid: false,
    });
  });
});

describe("writes are never sent twice once they may have arrived", () => {
  it("a write whose answer timed out is not retried: the caller learns its outcome is unknown", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_set/, method: "POST" })
      .reply(200, OK)
      .delay(300);
    const error = await client({ timeoutMs: 30 })
      .portraitSet("a", [{ Tag: "Tag_Profile_IM_Nick", Value: "x" }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentTransportError);
    expect(error).toMatchObject({ sent: true, kind: "transient" });
    expect(agent.getCallHistory()!.calls()).toHaveLength(1);
  });

  it("a write refused before it was sent (connection refused) is retried", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: /portrait_set/, method: "POST" })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), { code: "ECONNREFUSED" }));
    agent
      .get("https://adminapi.my-imcloud.com")
      .intercept({ path: /portrait_set/, method: "POST" })
      .reply(200, OK);
    await client().portraitSet("a", [{ Tag: "Tag_Profile_IM_Nick", Value: "x" }]);
    expect(agent.getCallHistory()!.calls()).toHaveLength(2);
  });

  it("a read whose answer timed out is retried", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, OK)
      .delay(300);
    pool
      .intercept({ path: /portrait_get/, method: "POST" })
      .reply(200, { UserProfileItem: [{ To_Account: "a", ProfileItem: [], ResultCode: 0 }], ...OK });
    const [result] = await client({ timeoutMs: 30 }).portraitGet(["a"], ["Tag_Profile_IM_Nick"]);
    expect(result).toMatchObject({ ok: true });
  });

  it("error messages name no upstream address; the network layer's words stay in `detail` for the log", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: /portrait_get/, method: "POST" })
      .replyWithError(Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:443"), { code: "ECONNREFUSED" }));
    const error = (await client({ maxAttempts: 1 })
      .portraitGet(["a"], ["Tag_Profile_IM_Nick"])
      .catch((e: unknown) => e)) as TencentTransportError;
    expect(error.message).toBe("Tencent profile/portrait_get: network error ECONNREFUSED");
    expect(error.message).not.toMatch(/10\.1\.2\.3|console\.tim/);
    expect(error.detail).toMatch(/10\.1\.2\.3/);
    expect(error.sent).toBe(false);
  });
});
