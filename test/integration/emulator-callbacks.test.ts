import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { readEmulatorSettings } from "../../src/config.js";
import { APP, rawCall, startEmulator } from "../support/emulator.js";
import { callbackSign, emulatorWithReceiver, startReceiver } from "../support/receiver.js";

/**
 * Profile.CallbackPortraitSet: the emulator tells configured URLs of every successful profile
 * change, as Tencent's third-party callback does, from the REST API and from other writers.
 */
type Started = Awaited<ReturnType<typeof startEmulator>>;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const NOW = 1_700_000_000_123;
const TOKEN = "callback-token-0123456789";
const SET = "/v4/profile/portrait_set";
const NICK = "Tag_Profile_IM_Nick";

function setup(callbacks: Record<string, unknown> = {}, options: Parameters<typeof startEmulator>[0] = {}) {
  return emulatorWithReceiver(TOKEN, () => NOW, callbacks, options);
}

const setNick = (emu: Started, account: string, nick: unknown) =>
  rawCall(emu.url, SET, { From_Account: account, ProfileItem: [{ Tag: NICK, Value: nick }] });

async function control(emu: Started, path: string, body?: unknown, method = body === undefined ? "GET" : "POST") {
  const res = await request(`${emu.url}${path}`, {
    method: method as "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describe("the callback Tencent sends after a profile is updated", () => {
  it("a REST portrait_set: signed query in Tencent's order, OptPlatform=RESTAPI, the admin as operator, the written tags", async () => {
    const { emu, receiver } = await setup();
    const set = rawCall(emu.url, SET, {
      From_Account: "li.na",
      ProfileItem: [
        { Tag: NICK, Value: "娜娜" },
        { Tag: "Tag_Profile_Custom_Score", Value: 42 },
      ],
    });
    expect((await set).body).toMatchObject({ ErrorCode: 0 });
    await emu.callbacksSettled();
    expect(receiver.received).toHaveLength(1);
    const [seen] = receiver.received;
    expect(seen!.path).toBe("/tencent/callback");
    const requestTime = String(Math.floor(NOW / 1000));
    expect(seen!.search).toBe(
      `?SdkAppid=${APP.sdkAppId}&CallbackCommand=Profile.CallbackPortraitSet&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign=${callbackSign(TOKEN, requestTime)}&RequestTime=${requestTime}`,
    );
    // hex(sha256(token + RequestTime)), checked against a value computed outside the code.
    expect(seen!.query.Sign).toBe("62d4973368ed0de4cedbf673df064e6c157ba42891f417a05601de2713e19424");
    expect(seen!.contentType).toBe("application/json; charset=utf-8");
    expect(seen!.body).toEqual({
      CallbackCommand: "Profile.CallbackPortraitSet",
      Operator_Account: APP.adminIdentifier,
      From_Account: "li.na",
      EventTime: NOW,
      ProfileItem: [
        { Tag: NICK, Value: "娜娜" },
        { Tag: "Tag_Profile_Custom_Score", Value: 42 },
      ],
    });
    expect(emu.callbacks).toEqual([
      {
        event: 1,
        url: receiver.url,
        account: "li.na",
        operator: APP.adminIdentifier,
        platform: "RESTAPI",
        eventTime: NOW,
        quirks: [],
        requestTime: Number(requestTime),
        at: NOW,
        outcome: 200,
      },
    ]);
  });

  it("keeps a uint64 value exact in the body", async () => {
    const { emu, receiver } = await setup();
    const text = `{"From_Account":"zhang.wei","ProfileItem":[{"Tag":"Tag_Profile_Custom_Score","Value":18446744073709551615}]}`;
    expect((await rawCall(emu.url, SET, text)).body).toMatchObject({ ErrorCode: 0 });
    await emu.callbacksSettled();
    expect(receiver.received[0]!.raw).toContain('"Value":18446744073709551615}');
  });

  it.each([
    [
      "a value out of its rules",
      () => ({ From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "a".repeat(501) }] }),
    ],
    ["an unknown account", () => ({ From_Account: "ghost", ProfileItem: [{ Tag: NICK, Value: "x" }] })],
    ["an unknown tag", () => ({ From_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Shoe", Value: "x" }] })],
  ])("sends nothing for a failed portrait_set: %s", async (_name, body) => {
    const { emu, receiver } = await setup();
    expect((await rawCall(emu.url, SET, body())).body).toMatchObject({ ActionStatus: "FAIL" });
    await emu.callbacksSettled();
    expect(receiver.received).toEqual([]);
    expect(emu.callbacks).toEqual([]);
  });

  it("sends nothing for a portrait_set failed by an outage, nor for reads and imports", async () => {
    const { emu, receiver } = await setup({}, { outage: { code: 40006, calls: 1 } });
    expect((await setNick(emu, "li.na", "不会")).body).toMatchObject({ ErrorCode: 40006 });
    await rawCall(emu.url, "/v4/profile/portrait_get", { To_Account: ["li.na"], TagList: [NICK] });
    await rawCall(emu.url, "/v4/im_open_login_svc/account_import", { UserID: "new.one", Nick: "新" });
    await emu.callbacksSettled();
    expect(receiver.received).toEqual([]);
  });

  it("without a token: no Sign and no RequestTime", async () => {
    const { emu, receiver } = await setup({ token: null });
    await setNick(emu, "li.na", "无签名");
    await emu.callbacksSettled();
    expect(Object.keys(receiver.received[0]!.query)).toEqual([
      "SdkAppid",
      "CallbackCommand",
      "contenttype",
      "ClientIP",
      "OptPlatform",
    ]);
  });

  it("logs a receiver's error status and an unreachable receiver, and never sends again", async () => {
    const failing = await startReceiver(() => 500);
    cleanup.push(() => failing.close());
    const { emu, receiver } = await setup({ urls: [failing.url, "http://127.0.0.1:9/unreachable"] });
    await setNick(emu, "li.na", "一次");
    await emu.callbacksSettled();
    expect(failing.received).toHaveLength(1);
    expect(receiver.received).toHaveLength(0);
    expect(emu.callbacks.map((d) => [d.url, d.outcome])).toEqual(
      expect.arrayContaining([
        [failing.url, 500],
        ["http://127.0.0.1:9/unreachable", "error"],
      ]),
    );
    expect(emu.callbacks.find((d) => d.outcome === "error")!.error).toEqual(expect.any(String));
  });
});

describe("another writer behind the service's back (POST /emulator/profile, emulator.changeProfile)", () => {
  it("applies a change from a client SDK and reports it with OptPlatform=iOS and the user as operator", async () => {
    const { emu, receiver } = await setup();
    const change = { account: "li.na", items: [{ Tag: NICK, Value: "手机改的" }], platform: "iOS" };
    expect(await control(emu, "/emulator/profile", change)).toEqual({ status: 200, body: { ok: true } });
    const read = await rawCall(emu.url, "/v4/profile/portrait_get", { To_Account: ["li.na"], TagList: [NICK] });
    expect(read.body).toMatchObject({ UserProfileItem: [{ ProfileItem: [{ Tag: NICK, Value: "手机改的" }] }] });
    await emu.callbacksSettled();
    expect(receiver.received[0]!.query).toMatchObject({ OptPlatform: "iOS", ClientIP: "127.0.0.1" });
    expect(receiver.received[0]!.body).toMatchObject({ Operator_Account: "li.na", From_Account: "li.na" });
    // Not a call of the service: nothing in the REST call log.
    expect(emu.calls.map((c) => c.api)).toEqual(["profile/portrait_get"]);
  });

  it("in process, with another platform and client IP", async () => {
    const { emu, receiver } = await setup();
    await emu.changeProfile("zhang.wei", [{ Tag: "Tag_Profile_IM_Level", Value: 9 }], {
      platform: "Android",
      clientIp: "203.0.113.7",
    });
    await emu.callbacksSettled();
    expect(receiver.received[0]!.query).toMatchObject({ OptPlatform: "Android", ClientIP: "203.0.113.7" });
    expect(receiver.received[0]!.body.ProfileItem).toEqual([{ Tag: "Tag_Profile_IM_Level", Value: 9 }]);
  });

  it("is checked like portrait_set: a bad change answers 400 with Tencent's code, changes nothing and sends nothing", async () => {
    const { emu, receiver } = await setup();
    const bad = { account: "li.na", items: [{ Tag: "Tag_Profile_IM_Gender", Value: "Male" }] };
    expect(await control(emu, "/emulator/profile", bad)).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^Tag_Profile_IM_Gender must be one of/), code: 40605 },
    });
    expect(
      (await control(emu, "/emulator/profile", { account: "ghost", items: [{ Tag: NICK, Value: "x" }] })).body,
    ).toMatchObject({ code: 40003 });
    expect((await control(emu, "/emulator/profile", { account: "li.na", items: [] })).body).toMatchObject({
      code: 40001,
    });
    expect(await control(emu, "/emulator/profile", { ...bad, platform: "Symbian" })).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^platform must be one of RESTAPI, Web, Android, iOS/) },
    });
    await expect(emu.changeProfile("li.na", [{ Tag: NICK, Value: 7 }])).rejects.toMatchObject({ code: 40610 });
    await emu.callbacksSettled();
    expect(receiver.received).toEqual([]);
    expect(emu.store.get("li.na")!.profile.get("Tag_Profile_IM_Gender")).toBe("Gender_Type_Female");
  });
});

describe("configuring callbacks", () => {
  it("POST /emulator/config sets URLs and token at run time; GET shows the token only as set", async () => {
    const receiver = await startReceiver();
    const emu = await startEmulator({ rateLimit: 0 });
    cleanup.push(
      () => receiver.close(),
      () => emu.close(),
    );
    await setNick(emu, "li.na", "之前");
    await emu.callbacksSettled();
    expect(emu.callbacks).toEqual([]);
    const set = await control(emu, "/emulator/config", { callbacks: { urls: [receiver.url], token: TOKEN } });
    expect(set).toEqual({
      status: 200,
      body: {
        rateLimit: 0,
        latencyMs: 0,
        faults: {},
        callbacks: { urls: [receiver.url], token: "(set)", delayMs: 1000 },
      },
    });
    expect(JSON.stringify(set.body)).not.toContain(TOKEN);
    await setNick(emu, "li.na", "之后");
    await emu.callbacksSettled();
    expect(receiver.received).toHaveLength(1);
    // Fields left out stay; urls: [] turns callbacks off.
    await control(emu, "/emulator/config", { callbacks: { delayMs: 5 } });
    expect(emu.behaviour.callbacks).toMatchObject({ urls: [receiver.url], token: "(set)", delayMs: 5 });
    await control(emu, "/emulator/config", { callbacks: { urls: [] } });
    expect(emu.behaviour).not.toHaveProperty("callbacks");
  });

  it("never shows a password of a callback URL", async () => {
    const emu = await startEmulator({ rateLimit: 0, callbacks: { urls: ["http://hook:s3cret@127.0.0.1:9/cb"] } });
    cleanup.push(() => emu.close());
    expect(emu.behaviour.callbacks!.urls).toEqual(["http://hook:***@127.0.0.1:9/cb"]);
    await setNick(emu, "li.na", "密");
    await emu.callbacksSettled();
    expect(JSON.stringify([emu.behaviour, emu.callbacks])).not.toContain("s3cret");
  });

  it("GET /emulator/callbacks lists the deliveries; DELETE clears them", async () => {
    const { emu } = await setup();
    await setNick(emu, "li.na", "记录");
    await emu.callbacksSettled();
    expect((await control(emu, "/emulator/callbacks")).body).toMatchObject({
      total: 1,
      deliveries: [{ event: 1, account: "li.na", platform: "RESTAPI", outcome: 200 }],
    });
    expect((await control(emu, "/emulator/callbacks", undefined, "DELETE")).body).toEqual({ total: 0, deliveries: [] });
    expect(emu.callbacks).toEqual([]);
  });

  it.each([
    [{ urls: ["ftp://example.com/cb"] }, /^callbacks\.urls: "ftp:\/\/example\.com\/cb" is not an http\(s\) URL$/],
    [{ urls: 42 }, /^callbacks\.urls must be an array/],
    [{ quirks: { badSign: 1 } }, /^callbacks: badSign needs a token/],
    [
      { token: "x", quirks: { lost: 1 } },
      /^callbacks\.quirks: unknown callback quirk "lost"; expected one of duplicate, delay/,
    ],
    [{ token: "x", quirks: { drop: 1.5 } }, /^callbacks\.quirks\.drop must be a whole number of callbacks/],
    [{ faults: { drop: 0.7, duplicate: 0.7 } }, /^callbacks\.faults: probabilities add up to 1\.4/],
    [{ token: "a b" }, /^callbacks\.token must be a string of 1 to 128 characters without spaces, got 3 characters$/],
    [{ url: "http://a.example" }, /^callbacks: unknown field "url"/],
  ])("refuses %j with 400 naming the field, changing nothing", async (callbacks, message) => {
    const emu = await startEmulator({ rateLimit: 0 });
    cleanup.push(() => emu.close());
    const res = await control(emu, "/emulator/config", { rateLimit: 3, callbacks });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect(emu.behaviour).toEqual({ rateLimit: 0, latencyMs: 0, faults: {} });
  });

  it("npm run emulator reads TIM_EMULATOR_CALLBACK_URL (comma-separated) and TIM_EMULATOR_CALLBACK_TOKEN", () => {
    expect(readEmulatorSettings({}).callbacks).toBeUndefined();
    const settings = readEmulatorSettings({
      TIM_EMULATOR_CALLBACK_URL: "http://127.0.0.1:4000/tencent/callback, https://hooks.example.com/im",
      TIM_EMULATOR_CALLBACK_TOKEN: TOKEN,
    });
    expect(settings.callbacks).toMatchObject({
      urls: ["http://127.0.0.1:4000/tencent/callback", "https://hooks.example.com/im"],
      token: TOKEN,
    });
    expect(() => readEmulatorSettings({ TIM_EMULATOR_CALLBACK_URL: "nope" })).toThrow(
      /^TIM_EMULATOR_CALLBACK_URL="nope" is invalid: .*"nope" is not an http\(s\) URL/,
    );
    const secret = "has spaces in the secret";
    let error: Error | undefined;
    try {
      readEmulatorSettings({ TIM_EMULATOR_CALLBACK_URL: "http://127.0.0.1:1/cb", TIM_EMULATOR_CALLBACK_TOKEN: secret });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/^TIM_EMULATOR_CALLBACK_TOKEN="<24 characters>" is invalid/);
    expect(error?.message).not.toContain(secret);
    expect(() => readEmulatorSettings({ TIM_EMULATOR_CALLBACK_TOKEN: TOKEN })).toThrow(/TIM_EMULATOR_CALLBACK_URL/);
  });
});
