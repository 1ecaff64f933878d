import { request } from "undici";
import { describe, expect, it } from "vitest";
import { adminSig, rawCall, type StartedEmulator, useEmulators } from "../support/emulator.js";

/**
 * The `outage` setting: whole-call 40006 / 70500 or an HTTP 5xx for a chosen number of calls or
 * until a chosen time, so a test knows exactly which calls fail (the `faults` only roll dice).
 */
type Started = StartedEmulator;

const start = useEmulators();

const GET = "/v4/profile/portrait_get";
const SET = "/v4/profile/portrait_set";
const NICK = "Tag_Profile_IM_Nick";
const read = (emu: Started, query: Record<string, string> = {}) =>
  rawCall(emu.url, GET, { To_Account: ["li.na", "zhang.wei"], TagList: [NICK] }, query);

async function config(emu: Started, body?: unknown) {
  const res = await request(`${emu.url}/emulator/config`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describe("outage: a sustained whole-call failure", () => {
  it.each([
    [40006, "Err_Profile_Internal_Error"],
    [70500, "internal server error"],
  ])("{code: %i, calls: 3} fails exactly the next 3 calls as a whole, then answers again", async (code, info) => {
    const emu = await start();
    expect(await config(emu, { outage: { code, calls: 3 } })).toMatchObject({
      status: 200,
      body: { outage: { code, callsLeft: 3, answered: 0 } },
    });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await read(emu)).body);
    for (const body of answers.slice(0, 3)) {
      expect(body).toEqual({
        ActionStatus: "FAIL",
        ErrorCode: code,
        ErrorInfo: expect.stringContaining(info),
        ErrorDisplay: "",
      });
    }
    expect(answers.slice(3).map((b) => b.ErrorCode)).toEqual([0, 0]);
    expect(emu.calls.map((c) => [c.outcome, c.injected])).toEqual([
      [code, "outage"],
      [code, "outage"],
      [code, "outage"],
      [0, undefined],
      [0, undefined],
    ]);
    expect(emu.stats().injected).toEqual({ outage: 3, fault: 0 });
    expect((await config(emu)).body).not.toHaveProperty("outage");
  });

  it("forMs: every call fails until the emulator's clock reaches the end, then none does", async () => {
    let now = 1_700_000_000_000;
    const emu = await start({ nowMs: () => now });
    emu.configure({ outage: { code: 40006, forMs: 10_000 } });
    expect(emu.behaviour.outage).toEqual({ code: 40006, untilMs: now + 10_000, answered: 0 });
    for (let i = 0; i < 4; i++) {
      expect((await read(emu)).body.ErrorCode).toBe(40006);
      now += 2_000;
    }
    expect(emu.behaviour.outage).toMatchObject({ answered: 4 });
    now += 2_000; // 10 s after the start
    expect((await read(emu)).body.ErrorCode).toBe(0);
    expect(emu.behaviour).not.toHaveProperty("outage");
  });

  it("an HTTP 502 outage answers before any check; a 40006 one after the UserSig check, counting only its own", async () => {
    const emu = await start();
    emu.configure({ outage: { code: 502, calls: 2 } });
    const forged = { usersig: adminSig({ secretKey: "not-the-key" }) };
    expect((await read(emu, forged)).status).toBe(502);
    expect((await read(emu)).status).toBe(502);
    expect((await read(emu, forged)).body.ErrorCode).toBe(70009);
    expect(emu.calls.map((c) => c.outcome)).toEqual(["502", "502", 70009]);

    emu.configure({ outage: { code: "40006", calls: 1 } });
    expect((await read(emu, forged)).body.ErrorCode).toBe(70009);
    expect(emu.behaviour.outage).toMatchObject({ callsLeft: 1 });
    expect((await read(emu)).body.ErrorCode).toBe(40006);
    expect(emu.behaviour).not.toHaveProperty("outage");
  });

  it("apis limits the outage to the APIs named; other APIs answer normally", async () => {
    const emu = await start({ outage: { code: 503, calls: 5, apis: ["profile/portrait_get"] } });
    const set = await rawCall(emu.url, SET, { From_Account: "li.na", ProfileItem: [{ Tag: NICK, Value: "照常" }] });
    expect(set.body).toMatchObject({ ErrorCode: 0 });
    expect((await read(emu)).status).toBe(503);
    expect(emu.behaviour.outage).toMatchObject({ code: 503, callsLeft: 4, apis: ["profile/portrait_get"] });
  });

  it("replaces the rolled faults while it lasts; the faults roll again after it", async () => {
    const emu = await start({ faults: { "70500": 1 } });
    emu.configure({ outage: { code: 40006, calls: 1 } });
    expect((await read(emu)).body.ErrorCode).toBe(40006);
    expect((await read(emu)).body.ErrorCode).toBe(70500);
    expect(emu.calls.map((c) => c.injected)).toEqual(["outage", "fault"]);
    expect(emu.stats().injected).toEqual({ outage: 1, fault: 1 });
  });

  it("null ends an outage early; a bad outage is refused with 400 naming the field, and changes nothing", async () => {
    const emu = await start();
    await config(emu, { outage: { code: 40006, calls: 100 } });
    await config(emu, { outage: null });
    expect((await read(emu)).body.ErrorCode).toBe(0);
    for (const [outage, message] of [
      [{ code: 40003, calls: 1 }, /^outage\.code must be one of 40006, 70500, 500, 502, 503, 504, got 40003$/],
      [{ code: 40006 }, /^outage needs exactly one of calls, forMs or untilMs/],
      [{ code: 40006, calls: 1, forMs: 10 }, /^outage needs exactly one of calls, forMs or untilMs/],
      [{ code: 40006, calls: 0 }, /^outage\.calls must be a whole number of calls, at least 1/],
      [{ code: 40006, forMs: -5 }, /^outage\.forMs must be a positive number of ms/],
      [
        { code: 40006, calls: 1, apis: ["profile/portrait_nope"] },
        /^outage\.apis: unknown API "profile\/portrait_nope"/,
      ],
      [{ code: 40006, calls: 1, for: 3 }, /^outage: unknown field "for"/],
      ["40006", /^outage must be an object/],
    ] as const) {
      const res = await config(emu, { rateLimit: 7, outage });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    expect((await config(emu)).body).toEqual({ rateLimit: 0, latencyMs: 0, faults: {} });
  });
});
