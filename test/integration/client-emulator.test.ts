import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { TagRegistry } from "../../src/profile/tags.js";
import type { Upstream } from "../../src/upstream/upstream.js";
import { TencentApiError, TencentTransportError } from "../../src/tencent/errors.js";
import { clientFor, rawCall, startEmulator } from "../support/emulator.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(
  options: Parameters<typeof startEmulator>[0] = {},
  clientOptions: Parameters<typeof clientFor>[1] = {},
) {
  const emu = await startEmulator(options);
  const client = clientFor(emu.url, clientOptions);
  cleanup.push(
    () => emu.close(),
    () => client.close(),
  );
  return { emu, client };
}

const NICK = "Tag_Profile_IM_Nick";
const SAMPLE_TAGS = [NICK, "Tag_Profile_IM_AllowType", "Tag_Profile_IM_SelfSignature", "Tag_Profile_Custom_Test"];

/** The accounts of Tencent's documented samples, with the values the sample answers show. */
async function importSampleAccounts(client: Upstream) {
  const allow = ["AllowType_Type_NeedConfirm", "AllowType_Type_DenyAny", "AllowType_Type_AllowAny"];
  for (const n of [1, 2, 3]) {
    await client.call("im_open_login_svc/account_import", { UserID: `id${n}` });
    await client.portraitSet(`id${n}`, [
      { Tag: NICK, Value: `NickNameTest${n}` },
      { Tag: "Tag_Profile_IM_AllowType", Value: allow[n - 1]! },
      { Tag: "Tag_Profile_IM_SelfSignature", Value: `I'm Test${n}` },
      { Tag: "Tag_Profile_Custom_Test", Value: `Custom Data${n}` },
    ]);
  }
}

function sampleItem(n: number, tags: string[]) {
  const values: Record<string, string> = {
    [NICK]: `NickNameTest${n}`,
    Tag_Profile_IM_AllowType: ["AllowType_Type_NeedConfirm", "AllowType_Type_DenyAny", "AllowType_Type_AllowAny"][
      n - 1
    ]!,
    Tag_Profile_IM_SelfSignature: `I'm Test${n}`,
    Tag_Profile_Custom_Test: `Custom Data${n}`,
  };
  return {
    To_Account: `id${n}`,
    ProfileItem: tags.map((Tag) => ({ Tag, Value: values[Tag] })),
    ResultCode: 0,
    ResultInfo: "",
  };
}

describe("Tencent's documented samples replayed through the client", () => {
  it("portrait_get: the four documented requests answer in the documented shape", async () => {
    const { client } = await setup();
    await importSampleAccounts(client);
    const envelope = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ErrorDisplay: "" };

    expect(await client.call("profile/portrait_get", { To_Account: ["id1"], TagList: [NICK] })).toEqual({
      UserProfileItem: [sampleItem(1, [NICK])],
      ...envelope,
    });
    expect(await client.call("profile/portrait_get", { To_Account: ["id1"], TagList: SAMPLE_TAGS })).toEqual({
      UserProfileItem: [sampleItem(1, SAMPLE_TAGS)],
      ...envelope,
    });
    expect(
      await client.call("profile/portrait_get", { To_Account: ["id1", "id2", "id3"], TagList: [NICK] }),
    ).toEqual({
      UserProfileItem: [1, 2, 3].map((n) => sampleItem(n, [NICK])),
      ...envelope,
    });
    // The fourth sample's id4 fails on its own while the top level stays OK.
    const fourth = await client.call("profile/portrait_get", {
      To_Account: ["id1", "id2", "id3", "id4"],
      TagList: SAMPLE_TAGS,
    });
    expect(fourth).toEqual({
      UserProfileItem: [
        ...[1, 2, 3].map((n) => sampleItem(n, SAMPLE_TAGS)),
        { To_Account: "id4", ResultCode: 40003, ResultInfo: "Err_Profile_Account_Not_Exist" },
      ],
      Fail_Account: ["id4"],
      ...envelope,
    });
    const results = await client.portraitGet(["id1", "id2", "id3", "id4"], SAMPLE_TAGS);
    expect(results.map((r) => (r.ok ? r.items.length : r.code))).toEqual([4, 4, 4, 40003]);
  });

  it("portrait_get: a legacy custom tag that embeds an app id", async () => {
    const { client } = await setup({ tags: TagRegistry.fromSpec("888888_Test:string") });
    await client.call("im_open_login_svc/account_import", { UserID: "id1", Nick: "NickNameTest1" });
    await client.portraitSet("id1", [{ Tag: "Tag_Profile_Custom_888888_Test", Value: "Custom Data1" }]);
    const [id1] = await client.portraitGet(["id1"], [NICK, "Tag_Profile_Custom_888888_Test"]);
    expect(id1).toEqual({
      account: "id1",
      ok: true,
      items: [
        { Tag: NICK, Value: "NickNameTest1" },
        { Tag: "Tag_Profile_Custom_888888_Test", Value: "Custom Data1" },
      ],
    });
  });

  it("portrait_set: the documented request succeeds, and its documented failure is a typed 40001", async () => {
    const { client } = await setup();
    await client.call("im_open_login_svc/account_import", { UserID: "id" });
    await expect(client.portraitSet("id", [{ Tag: NICK, Value: "MyNickName" }])).resolves.toBeUndefined();
    const error = await client
      .call("profile/portrait_set", { From_Account: "id", ProfileItem: "nope" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error).toMatchObject({
      code: 40001,
      kind: "caller",
      response: { ActionStatus: "FAIL", ErrorCode: 40001, ErrorDisplay: "" },
    });
    expect((error as TencentApiError).info).toMatch(/^Err_Profile_Comm_Decode_Fail/);
  });

  it("legacy setProfilePortrait / getProfilePortrait with LastStandardSequence", async () => {
    const { client } = await setup();
    await client.call("im_open_login_svc/multiaccount_import", { Accounts: ["id", "id1", "id2"] });
    await client.portraitSet("id", [
      { Tag: NICK, Value: "MyNickName" },
      { Tag: "Tag_Profile_IM_Gender", Value: "Gender_Type_Female" },
      { Tag: "Tag_Profile_IM_AllowType", Value: "AllowType_Type_NeedConfirm" },
    ]);
    const first = await client.call("profile/portrait_get", {
      From_Account: "id",
      To_Account: ["id", "id3"],
      TagList: [NICK],
      LastStandardSequence: 0,
    });
    expect(first).toMatchObject({
      UserProfileItem: [
        { To_Account: "id", ProfileItem: [{ Tag: NICK, Value: "MyNickName" }], ResultCode: 0 },
        { To_Account: "id3", ResultCode: 40003 },
      ],
      CurrentStandardSequence: expect.any(Number),
      Fail_Account: ["id3"],
      ActionStatus: "OK",
    });
    const again = await client.call("profile/portrait_get", {
      From_Account: "id",
      To_Account: ["id"],
      TagList: [NICK],
      LastStandardSequence: first.CurrentStandardSequence,
    });
    expect((again.UserProfileItem as object[])[0]).toEqual({ To_Account: "id", ResultCode: 0, ResultInfo: "" });
  });
});

describe("retries, backoff and deadline against injected faults", () => {
  it("rides out 502s, dropped connections, 40006 and 70500 and returns the answer", async () => {
    const { emu } = await setup({ rateLimit: 0 });
    const attempts: string[] = [];
    const flaky = clientFor(emu.url, { maxAttempts: 8, backoff: { baseMs: 5, capMs: 20 } });
    flaky.observe((e) => e.type === "attempt" && attempts.push(e.attempt.outcome));
    cleanup.push(() => flaky.close());
    // Deterministic sequence: each fault once, then success.
    for (const fault of ["502", "drop", "40006", "70500"]) {
      emu.configure({ faults: { [fault]: 1 } });
      const pending = flaky.portraitGet(["zhang.wei"], [NICK]);
      await waitFor(() => emu.calls.length > 0);
      emu.configure({ faults: {} });
      const [r] = await pending;
      expect(r).toMatchObject({ ok: true, items: [{ Tag: NICK, Value: "张伟" }] });
      expect(emu.calls[0]!.outcome).toBe(fault === "502" || fault === "drop" ? fault : Number(fault));
      emu.resetStats();
    }
    expect(attempts.filter((a) => a === "ok")).toHaveLength(4);
    expect(attempts.filter((a) => a === "error").length).toBeGreaterThanOrEqual(4);
  });

  it("with every call failing, gives up at maxAttempts without exceeding it", async () => {
    const { emu, client } = await setup(
      { rateLimit: 0, faults: { "70500": 1 } },
      { maxAttempts: 3, backoff: { baseMs: 1, capMs: 5 } },
    );
    await expect(client.portraitGet(["zhang.wei"], [NICK])).rejects.toMatchObject({ code: 70500, kind: "transient" });
    expect(emu.calls.map((c) => c.outcome)).toEqual([70500, 70500, 70500]);
  });

  it("stops at the total deadline when the upstream is slow", async () => {
    const { emu, client } = await setup(
      { rateLimit: 0, latency: { min: 150, max: 150 } },
      { timeoutMs: 100, deadlineMs: 400, maxAttempts: 10, backoff: { baseMs: 1, capMs: 1 } },
    );
    const error = await client.portraitGet(["zhang.wei"], [NICK]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TencentDeadlineError", kind: "transient" });
    // At most ⌈400/100⌉ attempts fit in the deadline.
    await waitFor(() => emu.calls.length > 0);
    expect(emu.calls.length).toBeLessThanOrEqual(4);
  });

  it("does not retry caller errors", async () => {
    const { emu, client } = await setup();
    await expect(client.portraitGet(["zhang.wei"], ["Tag_Profile_IM_Shoe"])).rejects.toMatchObject({
      code: 40009,
      kind: "caller",
    });
    expect(emu.calls).toHaveLength(1);
  });

  it("reports a dropped connection as a transient transport error when retries are off", async () => {
    const { client } = await setup({ rateLimit: 0, faults: { drop: 1 } }, { maxAttempts: 1 });
    const error = await client.portraitGet(["zhang.wei"], [NICK]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentTransportError);
    expect(error).toMatchObject({ kind: "transient" });
  });
});

describe("throttling", () => {
  it("the emulator answers 60007 beyond its per-API rate", async () => {
    const { emu, client } = await setup({ rateLimit: 20 }, { rateLimit: 0, maxAttempts: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => client.portraitGet(["li.na"], [NICK])));
    const throttled = outcomes.filter((o) => o.status === "rejected" && (o.reason as TencentApiError).code === 60007);
    expect(throttled.length).toBeGreaterThan(0);
    expect(emu.stats().byApi["profile/portrait_get"]!.outcomes["60007"]).toBe(throttled.length);
    // The limit is per API: portrait_set still has its own budget.
    await expect(client.portraitSet("li.na", [{ Tag: NICK, Value: "李娜" }])).resolves.toBeUndefined();
  });

  it("the client's limiter keeps a burst of 1000 calls under the emulator's throttle: zero 60007", async () => {
    const { emu, client } = await setup({}, { maxAttempts: 1, deadlineMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 1000 }, () => client.portraitGet(["li.na"], [NICK])));
    expect(results.every(([r]) => r!.ok)).toBe(true);
    expect(emu.stats().byApi["profile/portrait_get"]).toEqual({ calls: 1000, outcomes: { "0": 1000 } });
  }, 60_000);
});

describe("runtime configuration", () => {
  it("POST /emulator/config changes latency, faults and rate for the next call; {} faults clears them", async () => {
    const { emu, client } = await setup({}, { maxAttempts: 1 });
    const post = async (body: unknown) => {
      const res = await request(`${emu.url}/emulator/config`, { method: "POST", body: JSON.stringify(body) });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    expect(await post({ latencyMs: 30, faults: { "502": 1 } })).toEqual({
      status: 200,
      body: { rateLimit: 200, latencyMs: 30, faults: { "502": 1 } },
    });
    await expect(client.portraitGet(["li.na"], [NICK])).rejects.toMatchObject({ httpStatus: 502 });
    expect(await post({ faults: {}, latencyMs: "20-60", rateLimit: 100 })).toMatchObject({
      body: { rateLimit: 100, latencyMs: "20-60", faults: {} },
    });
    await expect(client.portraitGet(["li.na"], [NICK])).resolves.toHaveLength(1);
    const bad = await post({ faults: { "503": 0.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/unknown fault "503"/);
  });
});

describe("state", () => {
  it("survives a restart with TIM_EMULATOR_DATA, uint64 values included", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pg-emu-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const dataFile = join(dir, "state.json");
    const first = await setup({ dataFile });
    await first.client.call("im_open_login_svc/account_import", { UserID: "persisted" });
    await first.client.portraitSet("persisted", [
      { Tag: NICK, Value: "持久" },
      { Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n },
    ]);
    await first.emu.close();

    const second = await setup({ dataFile });
    const [r] = await second.client.portraitGet(["persisted"], [NICK, "Tag_Profile_Custom_Score"]);
    expect(r).toEqual({
      account: "persisted",
      ok: true,
      items: [
        { Tag: NICK, Value: "持久" },
        { Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n },
      ],
    });
    expect(await readFile(dataFile, "utf8")).toContain("18446744073709551615");
  });

  it("a crash mid-write leaves the last complete state: only a temp file is ever torn", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pg-emu-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const dataFile = join(dir, "state.json");
    const first = await setup({ dataFile });
    await first.client.portraitSet("li.na", [{ Tag: NICK, Value: "写入前" }]);
    await first.emu.close();
    // What a crash during the next write leaves behind: a truncated temp file beside the real one.
    await writeFile(join(dir, `.state.json.${process.pid}.tmp`), '{"version":1,"accou');
    const second = await setup({ dataFile });
    const [r] = await second.client.portraitGet(["li.na"], [NICK]);
    expect(r).toMatchObject({ ok: true, items: [{ Tag: NICK, Value: "写入前" }] });
  });

  it("is in memory by default, with the demo accounts unless TIM_EMULATOR_SEED=none", async () => {
    const seeded = await setup();
    expect([...seeded.emu.store.accounts.keys()]).toEqual(
      expect.arrayContaining(["administrator", "zhang.wei", "li.na", "sato.yuki"]),
    );
    const bare = await setup({ seed: false });
    expect([...bare.emu.store.accounts.keys()]).toEqual(["administrator"]);
    const res = await rawCall(bare.emu.url, "/v4/profile/portrait_get", { To_Account: ["zhang.wei"], TagList: [NICK] });
    expect(res.body).toMatchObject({ Fail_Account: ["zhang.wei"] });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}
