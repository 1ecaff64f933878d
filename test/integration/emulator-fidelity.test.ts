import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { rawCall, startEmulator, type StartedEmulator, useEmulators } from "../support/emulator.js";

/** Where the emulator follows Tencent's documents more closely than it first did. */
type Started = StartedEmulator;

const start = useEmulators();

const GET = "/v4/profile/portrait_get";
const NICK = "Tag_Profile_IM_Nick";

describe("paths: only /v4/ is Tencent's", () => {
  it.each(["/", "/profile/portrait_get", "/v3/profile/portrait_get", "/v4", "/emulatorx/config"])(
    "%s answers HTTP 404 as a gateway would, with no envelope",
    async (path) => {
      const emu = await start();
      const res = await rawCall(emu.url, path, { To_Account: ["li.na"], TagList: [NICK] });
      expect(res.status).toBe(404);
      expect(res.body.text).toMatch(/404 Not Found/);
      expect(emu.calls.map((c) => [c.api, c.outcome])).toEqual([[path, "404"]]);
    },
  );

  it("an unknown API under /v4/ is still the service's 60009, and /emulator/ stays the control API", async () => {
    const emu = await start();
    expect((await rawCall(emu.url, "/v4/profile/portrait_nope", {})).body).toMatchObject({ ErrorCode: 60009 });
    expect((await request(`${emu.url}/emulator/config`)).statusCode).toBe(200);
    expect((await rawCall(emu.url, GET, { To_Account: ["li.na"], TagList: [NICK] })).body).toMatchObject({
      ErrorCode: 0,
    });
  });
});

describe("Fail_Account / Invalid_Account as the documents' samples show (quirk accountLists)", () => {
  const ENVELOPE_OK = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" };
  const lists = (body: Record<string, unknown>) => ({
    Fail_Account: body.Fail_Account,
    Invalid_Account: body.Invalid_Account,
  });
  const get = async (emu: Started, accounts: string[]) =>
    (await rawCall(emu.url, GET, { To_Account: accounts, TagList: [NICK] })).body;
  const MALFORMED = "x".repeat(33);

  it("by default, as the current docs: one Fail_Account of every failed account in request order, absent when none failed", async () => {
    const emu = await start();
    expect(lists(await get(emu, [MALFORMED, "li.na", "ghost"]))).toEqual({
      Fail_Account: [MALFORMED, "ghost"],
      Invalid_Account: undefined,
    });
    const clean = await get(emu, ["li.na"]);
    expect(clean).toMatchObject(ENVELOPE_OK);
    expect(clean).not.toHaveProperty("Fail_Account");
    expect(clean).not.toHaveProperty("Invalid_Account");
  });

  it('"split", as the legacy Web SDK sample: an illegal account only in Invalid_Account, a missing one in Fail_Account', async () => {
    const emu = await start({ quirks: { accountLists: "split", notFoundCode: 10001, invalidAccountCode: 10002 } });
    const body = await get(emu, ["li.na", "ghost", MALFORMED]);
    expect(body).toMatchObject({
      UserProfileItem: [
        { To_Account: "li.na", ResultCode: 0 },
        { To_Account: "ghost", ResultCode: 10001, ResultInfo: "帐号不存在" },
        { To_Account: MALFORMED, ResultCode: 10002, ResultInfo: "帐号非法" },
      ],
    });
    expect(lists(body)).toEqual({ Fail_Account: ["ghost"], Invalid_Account: [MALFORMED] });
    expect(lists(await get(emu, ["ghost"]))).toEqual({ Fail_Account: ["ghost"], Invalid_Account: undefined });
    expect(await get(emu, ["li.na"])).not.toHaveProperty("Fail_Account");
  });

  it('"legacy", as the old portrait_get samples: both lists on every answer, [] when empty', async () => {
    const emu = await start();
    const config = await request(`${emu.url}/emulator/config`, {
      method: "POST",
      body: JSON.stringify({ quirks: { accountLists: "legacy" } }),
    });
    expect(await config.body.json()).toMatchObject({ quirks: { accountLists: "legacy" } });
    expect(await get(emu, ["li.na"])).toEqual({
      UserProfileItem: [
        { To_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "李娜" }], ResultCode: 0, ResultInfo: "" },
      ],
      Fail_Account: [],
      Invalid_Account: [],
      ...ENVELOPE_OK,
    });
    expect(lists(await get(emu, [MALFORMED, "ghost", "li.na"]))).toEqual({
      Fail_Account: ["ghost"],
      Invalid_Account: [MALFORMED],
    });
  });

  it("refuses an unknown list shape, naming the quirk", async () => {
    const emu = await start();
    expect(() => emu.configure({ quirks: { accountLists: "both" } })).toThrow(
      'quirks.accountLists must be one of "current", "split", "legacy", got "both"',
    );
  });
});

describe("the legacy StandardSequence is per account: +1 per write of that account", () => {
  const SET = "/v4/profile/portrait_set";
  const sequenceOf = async (emu: Started, accounts: string[], last = 0) =>
    (await rawCall(emu.url, GET, { To_Account: accounts, TagList: [NICK], LastStandardSequence: last })).body;
  const write = (emu: Started, account: string, nick: string) =>
    rawCall(emu.url, SET, { From_Account: account, ProfileItem: [{ Tag: NICK, Value: nick }] });

  it("writes of other accounts leave an account's sequence alone; each write of it adds exactly one", async () => {
    const emu = await start();
    expect((await sequenceOf(emu, ["kim.minjun"])).CurrentStandardSequence).toBe(1); // seeded: one write
    for (const nick of ["一", "二", "三"]) await write(emu, "zhang.wei", nick);
    expect((await sequenceOf(emu, ["kim.minjun"])).CurrentStandardSequence).toBe(1);
    await write(emu, "kim.minjun", "민준");
    await write(emu, "kim.minjun", "민준2");
    const after = await sequenceOf(emu, ["kim.minjun"], 1);
    expect(after.CurrentStandardSequence).toBe(3);
    expect((after.UserProfileItem as { ProfileItem: unknown[] }[])[0]!.ProfileItem).toEqual([
      { Tag: NICK, Value: "민준2" },
    ]);
    const same = await sequenceOf(emu, ["kim.minjun"], 3);
    expect((same.UserProfileItem as object[])[0]).toEqual({ To_Account: "kim.minjun", ResultCode: 0, ResultInfo: "" });
  });

  it("an account never written is at 0; several accounts answer the sum, so a write of any one changes it", async () => {
    const emu = await start();
    await rawCall(emu.url, "/v4/im_open_login_svc/multiaccount_import", { Accounts: ["fresh"] });
    expect((await sequenceOf(emu, ["fresh"])).CurrentStandardSequence).toBe(0);
    await write(emu, "zhang.wei", "换");
    const both = (await sequenceOf(emu, ["zhang.wei", "li.na", "zhang.wei"])).CurrentStandardSequence as number;
    expect(both).toBe(2 + 1);
    await write(emu, "li.na", "变");
    const changed = await sequenceOf(emu, ["zhang.wei", "li.na"], both);
    expect(changed.CurrentStandardSequence).toBe(both + 1);
    expect((changed.UserProfileItem as { ProfileItem?: unknown }[]).every((i) => i.ProfileItem)).toBe(true);
  });
});

describe("account_delete: a deregistered account is invalid", () => {
  const DELETE = "/v4/im_open_login_svc/account_delete";
  const SET = "/v4/profile/portrait_set";

  it("answers a ResultItem per account: 0, or 70107 for one that does not exist", async () => {
    const emu = await start();
    const res = await rawCall(emu.url, DELETE, {
      DeleteItem: [{ UserID: "li.na" }, { UserID: "ghost" }, { UserID: "x".repeat(33) }],
    });
    expect(res.body).toEqual({
      ActionStatus: "OK",
      ErrorCode: 0,
      ErrorInfo: "",
      ResultItem: [
        { ResultCode: 0, ResultInfo: "", UserID: "li.na" },
        { ResultCode: 70107, ResultInfo: "Err_TLS_PT_Open_Login_Account_Not_Exist", UserID: "ghost" },
        { ResultCode: 70107, ResultInfo: "Err_TLS_PT_Open_Login_Account_Not_Exist", UserID: "x".repeat(33) },
      ],
    });
    expect((await rawCall(emu.url, DELETE, { DeleteItem: [{ UserID: "li.na" }] })).body).toMatchObject({
      ResultItem: [{ ResultCode: 70107, UserID: "li.na" }],
    });
    expect(emu.calls.map((c) => c.accounts)).toEqual([["li.na", "ghost", "x".repeat(33)], ["li.na"]]);
  });

  it.each([
    ["DeleteItem missing", {}],
    ["DeleteItem empty", { DeleteItem: [] }],
    ["101 accounts", { DeleteItem: Array.from({ length: 101 }, (_, i) => ({ UserID: `u${i}` })) }],
    ["an item without a string UserID", { DeleteItem: [{ UserID: 7 }] }],
    ["an item that is not an object", { DeleteItem: [{ UserID: "li.na" }, "li.na"] }],
  ])("%s → 70402, and nothing is deleted", async (_name, body) => {
    const emu = await start();
    expect((await rawCall(emu.url, DELETE, body)).body).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 70402 });
    expect(emu.store.get("li.na")).toBeDefined();
    expect(emu.store.isDeleted("li.na")).toBe(false);
  });

  it("a deleted account reads as invalid, cannot be written, and comes back empty when imported again", async () => {
    const emu = await start({ quirks: { accountLists: "split" } });
    await rawCall(emu.url, DELETE, { DeleteItem: [{ UserID: "li.na" }] });
    expect((await rawCall(emu.url, GET, { To_Account: ["li.na", "zhang.wei"], TagList: [NICK] })).body).toMatchObject({
      ActionStatus: "OK",
      ErrorCode: 0,
      UserProfileItem: [
        { To_Account: "li.na", ResultCode: 40003, ResultInfo: "Err_Profile_Account_Invalid" },
        { To_Account: "zhang.wei", ResultCode: 0 },
      ],
      Invalid_Account: ["li.na"],
    });
    const set = await rawCall(emu.url, SET, { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "回来" }] });
    expect(set.body).toMatchObject({ ActionStatus: "FAIL", ErrorCode: 40003 });

    emu.configure({ quirks: { invalidAccountCode: 10002 } });
    expect((await rawCall(emu.url, GET, { To_Account: ["li.na"], TagList: [NICK] })).body).toMatchObject({
      UserProfileItem: [{ To_Account: "li.na", ResultCode: 10002, ResultInfo: "帐号非法" }],
      Fail_Account: ["li.na"],
    });

    await rawCall(emu.url, "/v4/im_open_login_svc/account_import", { UserID: "li.na" });
    const back = await rawCall(emu.url, GET, { To_Account: ["li.na"], TagList: [NICK], LastStandardSequence: 0 });
    expect(back.body).toMatchObject({ UserProfileItem: [{ To_Account: "li.na", ProfileItem: [], ResultCode: 0 }] });
    // Seeded (1), deleted (2): the revived account goes on from there rather than restarting at 0.
    expect(back.body.CurrentStandardSequence).toBe(2);
  });

  it("a deletion survives a restart with a data file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pg-emu-del-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const first = await startEmulator({ dataFile: join(dir, "state.json") });
    await rawCall(first.url, DELETE, { DeleteItem: [{ UserID: "sato.yuki" }] });
    await first.close();
    const second = await start({ dataFile: join(dir, "state.json") });
    expect(second.store.isDeleted("sato.yuki")).toBe(true);
    expect(second.store.get("sato.yuki")).toBeUndefined();
  });
});
