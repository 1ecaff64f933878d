import TLSSigAPIv2 from "tls-sig-api-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUserSig } from "../../src/tencent/usersig.js";
import { adminSig, APP, rawCall, startEmulator } from "../support/emulator.js";

type Started = Awaited<ReturnType<typeof startEmulator>>;
let emu: Started;
beforeAll(async () => {
  emu = await startEmulator({ rateLimit: 0 });
});
afterAll(async () => {
  await emu.close();
});

const GET = "/v4/profile/portrait_get";
const SET = "/v4/profile/portrait_set";
const NICK = "Tag_Profile_IM_Nick";

async function code(path: string, body: unknown, query: Record<string, string | undefined> = {}, method = "POST") {
  const res = await rawCall(emu.url, path, body, query, method);
  expect(res.status).toBe(200);
  return res.body;
}

describe("emulator: request envelope and UserSig (raw HTTP)", () => {
  it("accepts a UserSig minted by Tencent's official library", async () => {
    const sig = new TLSSigAPIv2.Api(APP.sdkAppId, APP.secretKey).genUserSig(APP.adminIdentifier, 600);
    expect(await code(GET, { To_Account: ["zhang.wei"], TagList: [NICK] }, { usersig: sig })).toMatchObject({
      ActionStatus: "OK",
      ErrorCode: 0,
    });
  });

  it.each([
    ["sdkappid missing", { sdkappid: undefined }, 60012],
    ["sdkappid of another app", { sdkappid: "1400000002" }, 60006],
    ["identifier missing", { identifier: undefined }, 60002],
    ["random missing", { random: undefined }, 60002],
    ["random beyond uint32", { random: "4294967296" }, 60002],
    ["contenttype not json", { contenttype: "xml" }, 60002],
    ["usersig empty", { usersig: "" }, 70002],
    ["usersig undecodable", { usersig: "garbage" }, 70003],
    ["usersig expired", { usersig: adminSig({ time: 1_600_000_000, expireSeconds: 60 }) }, 70001],
    ["usersig of another identifier", { usersig: adminSig({ identifier: "someone" }) }, 70013],
    ["usersig of another sdkappid", { usersig: adminSig({ sdkAppId: 1400000002 }) }, 70014],
    ["usersig signed with another key", { usersig: adminSig({ secretKey: "not-the-key" }) }, 70009],
    [
      "identifier is not an admin",
      {
        identifier: "zhang.wei",
        usersig: signUserSig({
          sdkAppId: APP.sdkAppId,
          secretKey: APP.secretKey,
          identifier: "zhang.wei",
          expireSeconds: 60,
        }),
      },
      60010,
    ],
  ])("%s → %i", async (_name, query, expected) => {
    const body = await code(GET, { To_Account: ["zhang.wei"], TagList: [NICK] }, query);
    expect(body).toMatchObject({ ActionStatus: "FAIL", ErrorCode: expected, ErrorDisplay: "" });
    expect(body.ErrorInfo).toEqual(expect.any(String));
  });

  it("answers 60009 for an unknown API path and 60002 for a method other than POST", async () => {
    expect(await code("/v4/profile/portrait_nope", {})).toMatchObject({ ErrorCode: 60009 });
    expect(await code(GET, undefined, {}, "GET")).toMatchObject({ ErrorCode: 60002 });
  });

  it("answers 60003 for an empty body, one that is not JSON, or one over 4 MiB", async () => {
    expect(await code(GET, "")).toMatchObject({ ErrorCode: 60003 });
    const huge = await code(GET, JSON.stringify({ To_Account: ["a"], TagList: ["x".repeat(4 * 1024 * 1024)] }));
    expect(huge).toMatchObject({ ErrorCode: 60003 });
    expect(huge.ErrorInfo).toMatch(/larger than/);
    expect(await code(GET, "{nope")).toMatchObject({ ErrorCode: 60003 });
    expect(await code(GET, "[]")).toMatchObject({ ErrorCode: 60003 });
  });
});

describe("emulator: portrait_get rules", () => {
  it.each([
    ["To_Account missing", { TagList: [NICK] }, 40002],
    ["To_Account empty", { To_Account: [], TagList: [NICK] }, 40002],
    ["To_Account not an array", { To_Account: "zhang.wei", TagList: [NICK] }, 40001],
    ["To_Account with a number", { To_Account: [42], TagList: [NICK] }, 60015],
    ["TagList missing", { To_Account: ["zhang.wei"] }, 40001],
    ["TagList empty", { To_Account: ["zhang.wei"], TagList: [] }, 40001],
    ["an unknown tag", { To_Account: ["zhang.wei"], TagList: [NICK, "Tag_Profile_IM_Shoe"] }, 40009],
    ["a custom tag that is not configured", { To_Account: ["zhang.wei"], TagList: ["Tag_Profile_Custom_Nope"] }, 40009],
    ["a write-only custom tag", { To_Account: ["zhang.wei"], TagList: ["Tag_Profile_Custom_Secret"] }, 40007],
  ])("%s → %i", async (_name, body, expected) => {
    expect(await code(GET, body)).toMatchObject({ ActionStatus: "FAIL", ErrorCode: expected });
  });

  it("refuses more than 100 accounts with 40001 naming the limit", async () => {
    const body = await code(GET, { To_Account: Array.from({ length: 101 }, (_, i) => `u${i}`), TagList: [NICK] });
    expect(body).toMatchObject({ ErrorCode: 40001 });
    expect(body.ErrorInfo).toMatch(/at most 100/);
    expect(
      await code(GET, { To_Account: Array.from({ length: 100 }, (_, i) => `u${i}`), TagList: [NICK] }),
    ).toMatchObject({ ErrorCode: 0 });
  });

  it("lists every per-account failure in Fail_Account (the current docs' one list) with the top level OK", async () => {
    const body = await code(GET, { To_Account: ["zhang.wei", "ghost", "x".repeat(33)], TagList: [NICK] });
    expect(body).toMatchObject({
      ActionStatus: "OK",
      ErrorCode: 0,
      Fail_Account: ["ghost", "x".repeat(33)],
      UserProfileItem: [
        { To_Account: "zhang.wei", ProfileItem: [{ Tag: NICK, Value: "张伟" }], ResultCode: 0 },
        { To_Account: "ghost", ResultCode: 40003 },
        { To_Account: "x".repeat(33), ResultCode: 40003 },
      ],
    });
    const items = body.UserProfileItem as Record<string, unknown>[];
    expect(items[1]).not.toHaveProperty("ProfileItem");
    expect(body).not.toHaveProperty("Invalid_Account");
  });

  it("omits fields never set and lists no Fail_Account when all succeed", async () => {
    const body = await code(GET, {
      To_Account: ["sato.yuki"],
      TagList: [NICK, "Tag_Profile_IM_Level", "Tag_Profile_Custom_Test"],
    });
    expect(body).not.toHaveProperty("Fail_Account");
    expect((body.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem).toEqual([
      { Tag: NICK, Value: "佐藤 ゆき" },
    ]);
  });

  it("answers duplicates once per occurrence", async () => {
    const body = await code(GET, { To_Account: ["li.na", "li.na"], TagList: [NICK] });
    expect((body.UserProfileItem as unknown[]).length).toBe(2);
  });
});

describe("emulator: portrait_set rules (all or nothing)", () => {
  it.each([
    ["From_Account missing", { ProfileItem: [{ Tag: NICK, Value: "x" }] }, 40001],
    ["From_Account not a string", { From_Account: 7, ProfileItem: [{ Tag: NICK, Value: "x" }] }, 60015],
    ["ProfileItem empty", { From_Account: "li.na", ProfileItem: [] }, 40001],
    ["an item without Value", { From_Account: "li.na", ProfileItem: [{ Tag: NICK }] }, 40001],
    ["an account never imported", { From_Account: "ghost", ProfileItem: [{ Tag: NICK, Value: "x" }] }, 40003],
    ["an unknown tag", { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Shoe", Value: "x" }] }, 40009],
    [
      "a read-only custom tag",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_Custom_Locked", Value: "x" }] },
      40008,
    ],
    ["a nick of 501 bytes", { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "a".repeat(501) }] }, 40601],
    [
      "a location of 17 bytes (6 CJK chars = 18 bytes)",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Location", Value: "北京市朝阳区" }] },
      40601,
    ],
    [
      "a custom string of 501 bytes",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_Custom_Test", Value: "é".repeat(250) + "ab" }] },
      40601,
    ],
    [
      "a gender outside the enum",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Gender", Value: "Male" }] },
      40605,
    ],
    [
      "an allow type outside the enum",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_Maybe" }] },
      40605,
    ],
    [
      "an admin forbid type outside the enum",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_AdminForbidType", Value: "x" }] },
      40605,
    ],
    [
      "a uint32 beyond 2^32-1",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Level", Value: 4294967296 }] },
      40605,
    ],
    ["a negative uint32", { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Role", Value: -1 }] }, 40605],
    [
      "a string for a uint32 field",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Level", Value: "3" }] },
      40610,
    ],
    ["a number for a string field", { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: 3 }] }, 40610],
    [
      "a fraction for a uint32 field",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Language", Value: 1.5 }] },
      40610,
    ],
    [
      "a custom integer beyond 2^64-1",
      { From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_Custom_Score", Value: "__BIG__" }] },
      40605,
    ],
  ])("%s → %i", async (_name, body, expected) => {
    const text = JSON.stringify(body).replace('"__BIG__"', "18446744073709551616");
    expect(await code(SET, text)).toMatchObject({ ActionStatus: "FAIL", ErrorCode: expected, ErrorDisplay: "" });
  });

  it("applies nothing when any item is bad", async () => {
    const before = await code(GET, { To_Account: ["li.na"], TagList: [NICK, "Tag_Profile_IM_Level"] });
    const answer = await code(SET, {
      From_Account: "li.na",
      ProfileItem: [
        { Tag: NICK, Value: "改名了" },
        { Tag: "Tag_Profile_IM_Level", Value: 4294967296 },
      ],
    });
    expect(answer).toMatchObject({ ErrorCode: 40605 });
    expect(await code(GET, { To_Account: ["li.na"], TagList: [NICK, "Tag_Profile_IM_Level"] })).toEqual(before);
  });

  it("stores and returns integer custom values up to 2^64-1 exactly", async () => {
    const set =
      '{"From_Account":"alex.chen","ProfileItem":[{"Tag":"Tag_Profile_Custom_Score","Value":18446744073709551615},{"Tag":"Tag_Profile_IM_Level","Value":4294967295}]}';
    expect(await code(SET, set)).toMatchObject({ ActionStatus: "OK", ErrorCode: 0 });
    const body = await code(GET, {
      To_Account: ["alex.chen"],
      TagList: ["Tag_Profile_Custom_Score", "Tag_Profile_IM_Level"],
    });
    expect((body.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem).toEqual([
      { Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n },
      { Tag: "Tag_Profile_IM_Level", Value: 4294967295 },
    ]);
  });
});

describe("emulator: account import", () => {
  it("imports one account with Nick and FaceUrl, and many at once", async () => {
    const one = await code("/v4/im_open_login_svc/account_import", {
      UserID: "new.user",
      Nick: "新用户",
      FaceUrl: "https://example.com/a.png",
    });
    expect(one).toEqual({ ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" });
    const many = await code("/v4/im_open_login_svc/multiaccount_import", { Accounts: ["m1", "m2", "y".repeat(40)] });
    expect(many).toMatchObject({ ActionStatus: "OK", ErrorCode: 0, FailAccounts: ["y".repeat(40)] });
    const body = await code(GET, { To_Account: ["new.user", "m1"], TagList: [NICK, "Tag_Profile_IM_Image"] });
    expect(body.UserProfileItem).toEqual([
      {
        To_Account: "new.user",
        ProfileItem: [
          { Tag: NICK, Value: "新用户" },
          { Tag: "Tag_Profile_IM_Image", Value: "https://example.com/a.png" },
        ],
        ResultCode: 0,
        ResultInfo: "",
      },
      { To_Account: "m1", ProfileItem: [], ResultCode: 0, ResultInfo: "" },
    ]);
  });

  it("answers 70402 for a missing or oversized UserID and for too many accounts", async () => {
    expect(await code("/v4/im_open_login_svc/account_import", { Nick: "x" })).toMatchObject({ ErrorCode: 70402 });
    expect(await code("/v4/im_open_login_svc/account_import", { UserID: "z".repeat(33) })).toMatchObject({
      ErrorCode: 70402,
    });
    const tooMany = Array.from({ length: 101 }, (_, i) => `bulk${i}`);
    expect(await code("/v4/im_open_login_svc/multiaccount_import", { Accounts: tooMany })).toMatchObject({
      ErrorCode: 70402,
    });
  });
});

describe("emulator: legacy LastStandardSequence of the old Web SDK protocol", () => {
  it("sends no data when the caller's sequence is current, and data again after a change", async () => {
    const first = await code(GET, {
      From_Account: "li.na",
      To_Account: ["kim.minjun"],
      TagList: [NICK],
      LastStandardSequence: 0,
    });
    const current = first.CurrentStandardSequence as number;
    expect(current).toBeGreaterThan(0);
    expect((first.UserProfileItem as Record<string, unknown>[])[0]).toHaveProperty("ProfileItem");
    const same = await code(GET, {
      From_Account: "li.na",
      To_Account: ["kim.minjun"],
      TagList: [NICK],
      LastStandardSequence: current,
    });
    expect(same.CurrentStandardSequence).toBe(current);
    expect((same.UserProfileItem as Record<string, unknown>[])[0]).not.toHaveProperty("ProfileItem");
    await code(SET, { From_Account: "kim.minjun", ProfileItem: [{ Tag: NICK, Value: "민준" }] });
    const changed = await code(GET, { To_Account: ["kim.minjun"], TagList: [NICK], LastStandardSequence: current });
    expect(changed.CurrentStandardSequence).toBeGreaterThan(current);
    expect((changed.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem).toEqual([
      { Tag: NICK, Value: "민준" },
    ]);
  });

  it("omits CurrentStandardSequence from answers to the current protocol", async () => {
    expect(await code(GET, { To_Account: ["kim.minjun"], TagList: [NICK] })).not.toHaveProperty(
      "CurrentStandardSequence",
    );
  });
});
