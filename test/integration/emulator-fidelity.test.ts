import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { rawCall, startEmulator } from "../support/emulator.js";

/** Where the emulator follows Tencent's documents more closely than it first did. */
type Started = Awaited<ReturnType<typeof startEmulator>>;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<Started> {
  const emu = await startEmulator({ rateLimit: 0, ...options });
  cleanup.push(() => emu.close());
  return emu;
}

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
