import { afterEach, describe, expect, it } from "vitest";
import { gatedSleep, rawCall, startEmulator } from "../support/emulator.js";
import { callbackSign, emulatorWithReceiver, startReceiver } from "../support/receiver.js";

/**
 * Callbacks as Tencent may deliver them: at most once, possibly twice, late, out of order, never,
 * with a Sign that does not check, or a RequestTime too old. Counted forms for tests, chances for
 * soak runs.
 */
type Started = Awaited<ReturnType<typeof startEmulator>>;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const TOKEN = "callback-token-0123456789";
const NICK = "Tag_Profile_IM_Nick";
let now = 1_700_000_000_000;

function setup(callbacks: Record<string, unknown>, options: Parameters<typeof startEmulator>[0] = {}) {
  now = 1_700_000_000_000;
  return emulatorWithReceiver(TOKEN, () => now, callbacks, options);
}

/** One REST write of li.na's nick, one second after the previous one. */
async function write(emu: Started, nick: string) {
  now += 1_000;
  const res = await rawCall(emu.url, "/v4/profile/portrait_set", {
    From_Account: "li.na",
    ProfileItem: [{ Tag: NICK, Value: nick }],
  });
  expect(res.body).toMatchObject({ ErrorCode: 0 });
}

const nicks = (receiver: Awaited<ReturnType<typeof startReceiver>>) =>
  receiver.received.map((r) => (r.body.ProfileItem as { Value: string }[])[0]!.Value);

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}

describe("counted callback quirks: the next N callbacks", () => {
  it("duplicate: the same request twice, then single again", async () => {
    const { emu, receiver } = await setup({ quirks: { duplicate: 1 } });
    await write(emu, "一");
    await emu.callbacksSettled();
    await write(emu, "二");
    await emu.callbacksSettled();
    expect(nicks(receiver)).toEqual(["一", "一", "二"]);
    expect(receiver.received[1]!.raw).toBe(receiver.received[0]!.raw);
    expect(receiver.received[1]!.search).toBe(receiver.received[0]!.search);
    expect(emu.callbacks.map((d) => [d.event, d.copy, d.quirks])).toEqual([
      [1, undefined, ["duplicate"]],
      [1, 2, ["duplicate"]],
      [2, undefined, []],
    ]);
  });

  it("drop: never sent, logged as dropped", async () => {
    const { emu, receiver } = await setup({ quirks: { drop: 2 } });
    for (const nick of ["一", "二", "三"]) await write(emu, nick);
    await emu.callbacksSettled();
    expect(nicks(receiver)).toEqual(["三"]);
    expect(emu.callbacks.map((d) => [d.event, d.outcome])).toEqual([
      [1, "dropped"],
      [2, "dropped"],
      [3, 200],
    ]);
  });

  it("delay: held back by delayMs while the write itself is answered at once", async () => {
    const gate = gatedSleep();
    const { emu, receiver } = await setup({ quirks: { delay: 1 }, delayMs: 1_500 }, { sleep: gate.sleep });
    await write(emu, "迟");
    await waitFor(() => gate.waits.length === 1);
    expect(gate.waits[0]!.ms).toBe(1_500);
    await write(emu, "早");
    await waitFor(() => receiver.received.length === 1);
    gate.waits[0]!.release();
    await emu.callbacksSettled();
    expect(nicks(receiver)).toEqual(["早", "迟"]);
  });

  it("outOfOrder: held until the next callback has gone, so an older EventTime arrives after a newer one", async () => {
    const { emu, receiver } = await setup({ quirks: { outOfOrder: 1 } });
    await write(emu, "旧");
    await emu.callbacksSettled();
    expect(receiver.received).toEqual([]);
    expect(emu.behaviour.callbacks).toMatchObject({ held: 1 });
    await write(emu, "新");
    await emu.callbacksSettled();
    expect(nicks(receiver)).toEqual(["新", "旧"]);
    const times = receiver.received.map((r) => r.body.EventTime as number);
    expect(times[0]).toBeGreaterThan(times[1]!);
  });

  it("badSign: a Sign that is not hex(sha256(token + RequestTime))", async () => {
    const { emu, receiver } = await setup({ quirks: { badSign: 1 } });
    await write(emu, "伪");
    await write(emu, "真");
    await emu.callbacksSettled();
    const [forged, genuine] = receiver.received;
    expect(forged!.query.Sign).toMatch(/^[0-9a-f]{64}$/);
    expect(forged!.query.Sign).not.toBe(callbackSign(TOKEN, forged!.query.RequestTime!));
    expect(genuine!.query.Sign).toBe(callbackSign(TOKEN, genuine!.query.RequestTime!));
  });

  it("staleTime: a RequestTime 120 s old, signed correctly for that time", async () => {
    const { emu, receiver } = await setup({ quirks: { staleTime: 1 } });
    await write(emu, "旧时");
    await emu.callbacksSettled();
    const { query } = receiver.received[0]!;
    expect(Number(query.RequestTime)).toBe(Math.floor(now / 1000) - 120);
    expect(query.Sign).toBe(callbackSign(TOKEN, query.RequestTime!));
  });

  it("counts combine, and GET /emulator/config shows those still to come", async () => {
    const { emu, receiver } = await setup({ quirks: { duplicate: 2, badSign: 1 } });
    expect(emu.behaviour.callbacks).toMatchObject({ quirks: { duplicate: 2, badSign: 1 } });
    await write(emu, "一");
    await emu.callbacksSettled();
    expect(emu.behaviour.callbacks).toMatchObject({ quirks: { duplicate: 1 } });
    await write(emu, "二");
    await emu.callbacksSettled();
    expect(emu.callbacks.map((d) => d.quirks)).toEqual([
      ["duplicate", "badSign"],
      ["duplicate", "badSign"],
      ["duplicate"],
      ["duplicate"],
    ]);
    expect(receiver.received.map((r) => r.query.Sign === callbackSign(TOKEN, r.query.RequestTime!))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(emu.behaviour.callbacks).not.toHaveProperty("quirks");
  });
});

describe("callback quirks by chance (faults), for soak runs", () => {
  it("each callback gets one quirk with its probability, drawn from the emulator's random", async () => {
    // Kinds are drawn in the order duplicate, delay, outOfOrder, drop…: 0.15 falls in drop, 0.05 in duplicate.
    const draws = [0.15, 0.5, 0.05];
    const { emu, receiver } = await setup(
      { faults: { drop: 0.1, duplicate: 0.1 } },
      { random: () => draws.shift() ?? 0.99 },
    );
    // Written in process: a REST call would draw from the same random for latency and faults.
    for (const nick of ["丢", "正常", "双"]) {
      await emu.changeProfile("li.na", [{ Tag: NICK, Value: nick }]);
      await emu.callbacksSettled();
    }
    expect(nicks(receiver)).toEqual(["正常", "双", "双"]);
    expect(emu.behaviour.callbacks).toMatchObject({ faults: { drop: 0.1, duplicate: 0.1 } });
    emu.configure({ callbacks: { faults: {} } });
    expect(emu.behaviour.callbacks).not.toHaveProperty("faults");
  });
});
