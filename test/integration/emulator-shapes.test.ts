import { request } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { readEmulatorSettings } from "../../src/config.js";
import { TencentTransportError } from "../../src/tencent/errors.js";
import { clientFor, gatedSleep, rawCall, type StartedEmulator, useEmulators } from "../support/emulator.js";

/**
 * The answers the real service may give where its docs are silent ("quirks"): each appears only
 * when configured, and the emulator answers as before otherwise.
 */
type Started = StartedEmulator;

const start = useEmulators();

const GET = "/v4/profile/portrait_get";
const SET = "/v4/profile/portrait_set";
const NICK = "Tag_Profile_IM_Nick";
const ENVELOPE_OK = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" };

async function get(emu: Started, accounts: string[], tags: string[] = [NICK]) {
  const res = await rawCall(emu.url, GET, { To_Account: accounts, TagList: tags });
  expect(res.status).toBe(200);
  return res.body;
}

async function control(emu: Started, path: string, body?: unknown, method = body === undefined ? "GET" : "POST") {
  const res = await request(`${emu.url}${path}`, {
    method: method as "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}

describe("whole-call account failure (wholeCallAccountError)", () => {
  it("by default, an unknown or malformed account fails only its own slot", async () => {
    const emu = await start();
    const body = await get(emu, ["zhang.wei", "ghost", "x".repeat(33)]);
    expect(body).toMatchObject({ ...ENVELOPE_OK, Fail_Account: ["ghost", "x".repeat(33)] });
  });

  it.each([
    [40003, "Err_Profile_Account_Not_Exist"],
    [40006, "Err_Profile_PortraitGet_Read_Custom_Data_Fail"],
  ])("with %i, one unknown or malformed account fails the whole call without UserProfileItem", async (code, info) => {
    const emu = await start();
    const config = await control(emu, "/emulator/config", { quirks: { wholeCallAccountError: code } });
    expect(config).toEqual({
      status: 200,
      body: { rateLimit: 0, latencyMs: 0, faults: {}, quirks: { wholeCallAccountError: code } },
    });
    const whole = { ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: info, ErrorDisplay: "" };
    expect(await get(emu, ["zhang.wei", "ghost"])).toEqual(whole);
    expect(await get(emu, ["x".repeat(33), "zhang.wei"])).toEqual(whole);
    expect(await get(emu, ["zhang.wei"])).toEqual({
      UserProfileItem: [
        { To_Account: "zhang.wei", ProfileItem: [{ Tag: NICK, Value: "张伟" }], ResultCode: 0, ResultInfo: "" },
      ],
      ...ENVELOPE_OK,
    });
  });

  it("is switched on by TIM_EMULATOR_QUIRKS too", async () => {
    const { quirks } = readEmulatorSettings({ TIM_EMULATOR_QUIRKS: '{"wholeCallAccountError": 40003}' });
    const emu = await start({ quirks });
    expect(await get(emu, ["li.na", "ghost"])).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 40003 });
    expect(emu.behaviour).toMatchObject({ quirks: { wholeCallAccountError: 40003 } });
  });
});

describe("defaults for fields never set (defaults)", () => {
  const STANDARD = [
    NICK,
    "Tag_Profile_IM_Gender",
    "Tag_Profile_IM_BirthDay",
    "Tag_Profile_IM_Location",
    "Tag_Profile_IM_SelfSignature",
    "Tag_Profile_IM_AllowType",
    "Tag_Profile_IM_Language",
    "Tag_Profile_IM_Image",
    "Tag_Profile_IM_MsgSettings",
    "Tag_Profile_IM_AdminForbidType",
    "Tag_Profile_IM_Level",
    "Tag_Profile_IM_Role",
  ];
  const profileOf = (body: Record<string, unknown>) =>
    (body.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem;

  it("answers every standard field asked, never-set ones with Tencent's defaults; custom ones stay omitted", async () => {
    const emu = await start({ quirks: { defaults: true } });
    expect(profileOf(await get(emu, ["sato.yuki"], [...STANDARD, "Tag_Profile_Custom_Test"]))).toEqual([
      { Tag: NICK, Value: "佐藤 ゆき" },
      { Tag: "Tag_Profile_IM_Gender", Value: "Gender_Type_Female" },
      { Tag: "Tag_Profile_IM_BirthDay", Value: 0 },
      { Tag: "Tag_Profile_IM_Location", Value: "JP-Tokyo" },
      { Tag: "Tag_Profile_IM_SelfSignature", Value: "" },
      { Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_DenyAny" },
      { Tag: "Tag_Profile_IM_Language", Value: 81 },
      { Tag: "Tag_Profile_IM_Image", Value: "" },
      { Tag: "Tag_Profile_IM_MsgSettings", Value: 0 },
      { Tag: "Tag_Profile_IM_AdminForbidType", Value: "AdminForbid_Type_None" },
      { Tag: "Tag_Profile_IM_Level", Value: 0 },
      { Tag: "Tag_Profile_IM_Role", Value: 0 },
    ]);
  });

  it("answers a never-set AllowType with AllowType_Type_AllowAny, the default the Web SDK doc names", async () => {
    const emu = await start({ quirks: { defaults: true } });
    expect(profileOf(await get(emu, ["alex.chen"], ["Tag_Profile_IM_AllowType"]))).toEqual([
      { Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_AllowAny" },
    ]);
  });

  it("by default omits them; an object of defaults replaces some", async () => {
    const emu = await start();
    const tags = [NICK, "Tag_Profile_IM_Gender", "Tag_Profile_IM_AllowType", "Tag_Profile_IM_Role"];
    expect(profileOf(await get(emu, ["alex.chen"], tags))).toEqual([
      { Tag: NICK, Value: "Alex Chen 陈" },
      { Tag: "Tag_Profile_IM_Gender", Value: "Gender_Type_Unknown" },
    ]);
    const config = await control(emu, "/emulator/config", {
      quirks: { defaults: { Tag_Profile_IM_AllowType: "AllowType_Type_NeedConfirm" } },
    });
    expect(config.body.quirks).toEqual({ defaults: { Tag_Profile_IM_AllowType: "AllowType_Type_NeedConfirm" } });
    expect(profileOf(await get(emu, ["alex.chen"], tags))).toEqual([
      { Tag: NICK, Value: "Alex Chen 陈" },
      { Tag: "Tag_Profile_IM_Gender", Value: "Gender_Type_Unknown" },
      { Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_NeedConfirm" },
      { Tag: "Tag_Profile_IM_Role", Value: 0 },
    ]);
    const bad = await control(emu, "/emulator/config", { quirks: { defaults: { Tag_Profile_IM_Gender: "Male" } } });
    expect(bad).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/quirks\.defaults: Tag_Profile_IM_Gender must be one of/) },
    });
  });
});

describe("no profile data yet (emptyProfileCode)", () => {
  it.each([40807, 40809])(
    "an account with no profile data answers per-account %i when configured, an empty ProfileItem by default",
    async (code) => {
      const emu = await start();
      await rawCall(emu.url, "/v4/im_open_login_svc/account_import", { UserID: "blank" });
      expect(await get(emu, ["blank", "li.na"])).toEqual({
        UserProfileItem: [
          { To_Account: "blank", ProfileItem: [], ResultCode: 0, ResultInfo: "" },
          { To_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "李娜" }], ResultCode: 0, ResultInfo: "" },
        ],
        ...ENVELOPE_OK,
      });
      await control(emu, "/emulator/config", { quirks: { emptyProfileCode: code } });
      const kind = code === 40807 ? "Standard" : "Custom";
      expect(await get(emu, ["blank", "li.na"])).toEqual({
        UserProfileItem: [
          {
            To_Account: "blank",
            ResultCode: code,
            ResultInfo: `Err_Profile_PortraitGet_${kind}_Key_Not_Exist: the account has no profile data`,
          },
          { To_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "李娜" }], ResultCode: 0, ResultInfo: "" },
        ],
        Fail_Account: ["blank"],
        ...ENVELOPE_OK,
      });
    },
  );
});

describe("per-account transient failures (accountFailures, accountFaults)", () => {
  it("a named account answers 40006 for its next 2 reads, then its data; other accounts are untouched", async () => {
    const emu = await start({ quirks: { accountFailures: { "li.na": { code: 40006, times: 2 } } } });
    const failing = {
      UserProfileItem: [
        { To_Account: "li.na", ResultCode: 40006, ResultInfo: "Err_Profile_PortraitGet_Read_Custom_Data_Fail" },
        { To_Account: "zhang.wei", ProfileItem: [{ Tag: NICK, Value: "张伟" }], ResultCode: 0, ResultInfo: "" },
      ],
      Fail_Account: ["li.na"],
      ...ENVELOPE_OK,
    };
    expect(await get(emu, ["li.na", "zhang.wei"])).toEqual(failing);
    expect(emu.behaviour.quirks).toEqual({ accountFailures: { "li.na": { code: 40006, times: 1 } } });
    expect(await get(emu, ["li.na", "zhang.wei"])).toEqual(failing);
    expect(emu.behaviour).not.toHaveProperty("quirks");
    expect(await get(emu, ["li.na", "zhang.wei"])).toMatchObject({
      UserProfileItem: [{ To_Account: "li.na", ResultCode: 0 }, { ResultCode: 0 }],
    });
    expect(emu.calls.map((c) => c.results)).toEqual([
      [40006, 0],
      [40006, 0],
      [0, 0],
    ]);
  });

  it.each([40802, 40805, 40806, 40808, 40810, 40812])(
    "the old retryable %i can be configured at run time, and is gone by default",
    async (code) => {
      const emu = await start();
      expect(await get(emu, ["kim.minjun"])).not.toHaveProperty("Fail_Account");
      await control(emu, "/emulator/config", { quirks: { accountFailures: { "kim.minjun": { code, times: 1 } } } });
      const body = await get(emu, ["kim.minjun"]);
      expect(body).toMatchObject({
        ...ENVELOPE_OK,
        Fail_Account: ["kim.minjun"],
        UserProfileItem: [{ To_Account: "kim.minjun", ResultCode: code }],
      });
      expect((body.UserProfileItem as object[])[0]).not.toHaveProperty("ProfileItem");
      expect(await get(emu, ["kim.minjun"])).not.toHaveProperty("Fail_Account");
    },
  );

  it("the probability form fails each account read with its chance; {} turns it off", async () => {
    const emu = await start();
    expect((await control(emu, "/emulator/config", { quirks: { accountFaults: { "40810": 1 } } })).body.quirks).toEqual(
      { accountFaults: { "40810": 1 } },
    );
    const body = await get(emu, ["li.na", "zhang.wei"]);
    expect(body).toMatchObject({ ActionStatus: "OK", Fail_Account: ["li.na", "zhang.wei"] });
    expect(emu.calls.at(-1)!.results).toEqual([40810, 40810]);
    await control(emu, "/emulator/config", { quirks: {} });
    expect(await get(emu, ["li.na", "zhang.wei"])).not.toHaveProperty("Fail_Account");
    const bad = await control(emu, "/emulator/config", { quirks: { accountFaults: { "40006": 0.7, "40802": 0.7 } } });
    expect(bad).toEqual({
      status: 400,
      body: { error: "quirks.accountFaults: probabilities add up to 1.4, more than 1" },
    });
  });
});

describe("legacy account codes (notFoundCode, invalidAccountCode)", () => {
  it("answers 10001 for a never-imported account and 10002 for a malformed one; 40003 by default", async () => {
    const accounts = ["zhang.wei", "ghost", "x".repeat(33)];
    const plain = await start();
    expect((await get(plain, accounts)).UserProfileItem).toMatchObject([
      { ResultCode: 0 },
      { ResultCode: 40003 },
      { ResultCode: 40003 },
    ]);
    expect(
      (await rawCall(plain.url, SET, { From_Account: "ghost", ProfileItem: [{ Tag: NICK, Value: "x" }] })).body,
    ).toMatchObject({ ErrorCode: 40003 });

    const legacy = await start({ quirks: { notFoundCode: 10001, invalidAccountCode: 10002 } });
    expect(await get(legacy, accounts)).toEqual({
      UserProfileItem: [
        { To_Account: "zhang.wei", ProfileItem: [{ Tag: NICK, Value: "张伟" }], ResultCode: 0, ResultInfo: "" },
        { To_Account: "ghost", ResultCode: 10001, ResultInfo: "帐号不存在" },
        { To_Account: "x".repeat(33), ResultCode: 10002, ResultInfo: "帐号非法" },
      ],
      Fail_Account: ["ghost", "x".repeat(33)],
      ...ENVELOPE_OK,
    });
    expect(
      (await rawCall(legacy.url, SET, { From_Account: "ghost", ProfileItem: [{ Tag: NICK, Value: "x" }] })).body,
    ).toEqual({
      ActionStatus: "FAIL",
      ErrorCode: 10001,
      ErrorInfo: "Err_Profile_Account_Not_Exist: ghost",
      ErrorDisplay: "",
    });
  });
});

describe("integers as decimal strings (integersAsStrings)", () => {
  const TAGS = [
    "Tag_Profile_IM_BirthDay",
    "Tag_Profile_IM_Level",
    "Tag_Profile_Custom_Score",
    "Tag_Profile_Custom_Test",
  ];
  it.each([
    ["by default", undefined, [19920314, 3000000000, 18446744073709551615n]],
    ["custom", "custom", [19920314, 3000000000, "18446744073709551615"]],
    ["all", "all", ["19920314", "3000000000", "18446744073709551615"]],
  ])("%s", async (_name, mode, [birthday, level, score]) => {
    const emu = await start();
    if (mode) await control(emu, "/emulator/config", { quirks: { integersAsStrings: mode } });
    const body = await get(emu, ["zhang.wei"], TAGS);
    expect((body.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem).toEqual([
      { Tag: "Tag_Profile_IM_BirthDay", Value: birthday },
      { Tag: "Tag_Profile_IM_Level", Value: level },
      { Tag: "Tag_Profile_Custom_Score", Value: score },
      { Tag: "Tag_Profile_Custom_Test", Value: "Custom Data1" },
    ]);
  });
});

describe("writes whose answer is late (writeAnswerDelayMs, writeApplyDelayMs)", () => {
  const setNick = (emu: Started, nick: string) =>
    rawCall(emu.url, SET, { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: nick }] });
  const nickOf = async (emu: Started) =>
    ((await get(emu, ["li.na"])).UserProfileItem as { ProfileItem: { Value: unknown }[] }[])[0]!.ProfileItem[0]!.Value;

  it("by default a write is applied and answered with no delay", async () => {
    const gate = gatedSleep();
    const emu = await start({ sleep: gate.sleep });
    expect((await setNick(emu, "新")).body).toEqual(ENVELOPE_OK);
    expect(await nickOf(emu)).toBe("新");
    expect(gate.waits).toEqual([]);
  });

  it("writeAnswerDelayMs: the write is visible to reads while its own answer is still pending", async () => {
    const gate = gatedSleep();
    const emu = await start({ sleep: gate.sleep });
    await control(emu, "/emulator/config", { quirks: { writeAnswerDelayMs: 5000 } });
    let answered = false;
    const pending = setNick(emu, "迟到").finally(() => (answered = true));
    await waitFor(() => gate.waits.length === 1);
    expect(gate.waits[0]!.ms).toBe(5000);
    expect(await nickOf(emu)).toBe("迟到");
    expect(answered).toBe(false);
    gate.waits[0]!.release();
    expect((await pending).body).toEqual(ENVELOPE_OK);
    expect(emu.calls.map((c) => c.api)).toEqual(["profile/portrait_get", "profile/portrait_set"]);
  });

  it("writeApplyDelayMs: the write lands only after the delay, and its answer after that", async () => {
    const gate = gatedSleep();
    const emu = await start({ sleep: gate.sleep, quirks: { writeApplyDelayMs: 3000 } });
    const pending = setNick(emu, "稍后");
    await waitFor(() => gate.waits.length === 1);
    expect(gate.waits[0]!.ms).toBe(3000);
    expect(await nickOf(emu)).toBe("李娜");
    gate.waits[0]!.release();
    expect((await pending).body).toEqual(ENVELOPE_OK);
    expect(await nickOf(emu)).toBe("稍后");
  });

  it("a client whose write timed out can read the tags back and find the write applied", async () => {
    const gate = gatedSleep();
    const emu = await start({ sleep: gate.sleep, quirks: { writeAnswerDelayMs: 60_000 } });
    const client = clientFor(emu.url, { timeoutMs: 1500, maxAttempts: 1 });
    onTestFinished(() => client.close());
    const error = await client.portraitSet("li.na", [{ Tag: NICK, Value: "超时" }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentTransportError);
    expect((error as Error).message).toMatch(/timed out/);
    const [read] = await client.portraitGet(["li.na"], [NICK]);
    expect(read).toEqual({ account: "li.na", ok: true, items: [{ Tag: NICK, Value: "超时" }] });
  });
});

describe("throttling counted per API (GET /emulator/stats)", () => {
  it("counts attempts and 60007s per API, with the accounts and arrival time of each call", async () => {
    const emu = await start({ rateLimit: 200 });
    const before = Date.now();
    for (let i = 0; i < 5; i++) await get(emu, ["li.na", `u${i}`]);
    expect((await control(emu, "/emulator/stats")).body.byApi).toEqual({
      "profile/portrait_get": { calls: 5, outcomes: { "0": 5 } },
    });

    await control(emu, "/emulator/stats", undefined, "DELETE");
    await control(emu, "/emulator/config", { rateLimit: 1 });
    for (let i = 0; i < 5; i++) await get(emu, ["li.na", `u${i}`]);
    await rawCall(emu.url, SET, { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "李娜" }] });
    const stats = (await control(emu, "/emulator/stats")).body as {
      total: number;
      byApi: unknown;
      calls: { api: string; at: number; outcome: number; accounts?: string[] }[];
    };
    expect(stats.total).toBe(6);
    expect(stats.byApi).toEqual({
      "profile/portrait_get": { calls: 5, outcomes: { "0": 1, "60007": 4 } },
      "profile/portrait_set": { calls: 1, outcomes: { "0": 1 } },
    });
    expect(stats.calls.map((c) => c.accounts)).toEqual([...[0, 1, 2, 3, 4].map((i) => ["li.na", `u${i}`]), ["li.na"]]);
    const times = stats.calls.map((c) => c.at);
    expect(times.every((t) => t >= before)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe("POST /emulator/config", () => {
  it("refuses an unknown setting or quirk and changes nothing", async () => {
    const emu = await start();
    expect(await control(emu, "/emulator/config", { quirk: { defaults: true } })).toEqual({
      status: 400,
      body: {
        error: 'unknown setting "quirk"; expected one of rateLimit, latencyMs, faults, quirks, outage, callbacks',
      },
    });
    const bad = await control(emu, "/emulator/config", { rateLimit: 5, quirks: { defaults: true, shoeSize: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(
      /^quirks: unknown quirk "shoeSize"; expected one of wholeCallAccountError, defaults/,
    );
    expect((await control(emu, "/emulator/config")).body).toEqual({ rateLimit: 0, latencyMs: 0, faults: {} });
  });
});
