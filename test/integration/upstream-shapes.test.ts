import { request } from "undici";
import { describe, expect, it, vi } from "vitest";
import { EMULATOR_DEFAULTS } from "../../src/config.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { createLogger } from "../../src/server/logger.js";
import type { CallBudget } from "../../src/upstream/budget.js";
import { rawCall } from "../support/emulator.js";
import { useServices, type Service } from "../support/service.js";

/**
 * The answers the real Tencent service may give where its docs are silent (docs/tencent-contract.md,
 * "Shapes"), each switched on in the emulator and read end to end through GraphQL. Rows 1–6 of the
 * issue's table: reads. Writes, throttling and operations: upstream-shapes.ops.test.ts.
 */
const start = useServices();

type Gql = Awaited<ReturnType<Service["gql"]>>;
const codesByPath = (r: Gql) =>
  Object.fromEntries((r.errors ?? []).map((e): [string, unknown] => [String(e.path?.join(".")), e.extensions.code]));
const gets = (svc: Service) => svc.emulator.calls.filter((c) => c.api === "profile/portrait_get");

/** `n` accounts named `${prefix}${i}` with the nick `nick-${id}`, straight into the emulator's store. */
function seedAccounts(svc: Service, prefix: string, n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (const id of ids) svc.emulator.store.apply(id, [["Tag_Profile_IM_Nick", `nick-${id}`]]);
  return ids;
}

const NICKS = `query($ids: [ID!]!) { users(ids: $ids) { id profile { nick } } }`;
const ALL_FIELDS = `query($id: ID!) { user(id: $id) { profile {
  nick gender birthday location selfSignature allowType language image msgSettings adminForbidType level role custom
} } }`;

/**
 * A call budget that holds every slot while held: concurrent callers' reads pile up in the read
 * queue and leave in one call, as they do when the rate budget is the bottleneck.
 */
function heldBudget() {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let drawn = 0;
  const acquire = async () => (drawn++, await gate, performance.now());
  const budget: CallBudget = { mode: "local", ratePerSecond: 0, acquire, close: async () => {} };
  return {
    budget,
    /** Slots drawn so far. */
    drawn: () => drawn,
    hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    release: () => {
      gate = undefined;
      open();
    },
  };
}

/** Accounts waiting in the service's read queue, as /metrics reports them. */
async function queuedAccounts(svc: Service): Promise<number> {
  const text = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
  return Number(/^portrait_graph_read_queue_accounts (\d+)/m.exec(text)?.[1]);
}

describe("1. a whole portrait_get failed because one account does not exist (wholeCallAccountError)", () => {
  it.each([40003] as const)(
    "with %i, concurrent callers' good accounts resolve and only the bad id gets its code, after it ended alone in a call",
    async (code) => {
      const slots = heldBudget();
      const svc = await start({ quirks: { wholeCallAccountError: code } }, {}, { budget: slots.budget });
      const ids = seedAccounts(svc, "c", 100);
      const callers = [0, 1, 2, 3].map((i) => ids.slice(i * 25, i * 25 + 25));
      callers[2]![7] = "ghost";
      slots.hold();
      const drawnBefore = slots.drawn();
      const pending = Promise.all(callers.map((accounts) => svc.gql(NICKS, { ids: accounts })));
      await vi.waitFor(async () => expect(await queuedAccounts(svc)).toBe(100), { interval: 10 });
      slots.release();
      const results = await pending;

      results.forEach((result, i) => {
        const users = (result.data as { users: { id: string; profile: { nick: string } | null }[] }).users;
        for (const user of users) {
          if (user.id === "ghost") expect(user.profile).toBeNull();
          else expect(user.profile, `caller ${i}, ${user.id}`).toEqual({ nick: `nick-${user.id}` });
        }
        expect(codesByPath(result)).toEqual(i === 2 ? { "users.7.profile": "ACCOUNT_NOT_FOUND" } : {});
      });
      expect(results[2]!.errors![0]!.extensions.tencent).toEqual({ errorCode: code, errorInfo: expect.any(String) });

      const calls = gets(svc);
      // The first call carried all four callers' accounts, and it failed as a whole.
      expect(calls[0]!.accounts).toHaveLength(100);
      expect(calls[0]!.outcome).toBe(code);
      // Every failed call held the bad id, and it ended alone.
      expect(calls.filter((c) => c.outcome !== 0).every((c) => c.accounts!.includes("ghost"))).toBe(true);
      expect(calls.some((c) => c.outcome === code && c.accounts!.length === 1 && c.accounts![0] === "ghost")).toBe(
        true,
      );
      // Bisection: 100 → 50 → 25 → 13 → 7 → 4 → 2 → 1 is 8 failing calls and 7 good halves, each
      // paid by its own slot. (A whole-call 40006 is an outage, never split: see resilience.test.ts.)
      expect(calls.filter((c) => c.outcome === 0)).toHaveLength(7);
      expect(calls.filter((c) => c.outcome !== 0)).toHaveLength(8);
      expect(slots.drawn() - drawnBefore).toBe(calls.length);
    },
  );
});

describe("2. defaults for never-set fields, unknown enum values, no profile data (defaults, emptyProfileCode)", () => {
  it('"" and unset enums read as null, Tencent\'s valid defaults and 0 stay values', async () => {
    const svc = await start({ quirks: { defaults: true } });
    await svc.client.call("im_open_login_svc/account_import", { UserID: "blank" });
    // An enum some server answers as "" when it was never set, beside the defaults of the rest.
    svc.emulator.store.apply("blank", [["Tag_Profile_IM_Gender", ""]]);
    const { data, errors } = await svc.gql(ALL_FIELDS, { id: "blank" });
    expect(errors).toBeUndefined();
    expect((data as { user: unknown }).user).toEqual({
      profile: {
        nick: null,
        gender: null,
        birthday: 0,
        location: null,
        selfSignature: null,
        allowType: "NEED_CONFIRM",
        language: 0,
        image: null,
        msgSettings: 0,
        adminForbidType: "NONE",
        level: 0,
        role: 0,
        custom: {},
      },
    });
    // The emulator did send the defaults: the nulls above are the reader's doing.
    const [call] = gets(svc);
    expect(call!.results).toEqual([0]);
  });

  it("an enum value this version does not know reads as null and is logged once, never a 500", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    const svc = await start({}, { logger });
    svc.emulator.store.apply("sato.yuki", [["Tag_Profile_IM_AllowType", "AllowType_Type_FriendsOfFriends"]]);
    for (let i = 0; i < 3; i++) {
      const { data, errors } = await svc.gql(`{ user(id: "sato.yuki") { profile { nick allowType } } }`);
      expect(errors).toBeUndefined();
      expect((data as { user: unknown }).user).toEqual({ profile: { nick: "佐藤 ゆき", allowType: null } });
    }
    expect(gets(svc)).toHaveLength(3);
    const warnings = lines.filter((l) => l.includes("AllowType_Type_FriendsOfFriends"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: "warn",
      msg: expect.stringMatching(/unknown Tag_Profile_IM_AllowType value/),
    });
  });

  it.each([40807, 40809] as const)(
    "per-account %i (no profile data yet) is an empty profile, not an error",
    async (code) => {
      const svc = await start({ quirks: { emptyProfileCode: code } });
      await svc.client.call("im_open_login_svc/account_import", { UserID: "newcomer" });
      svc.emulator.resetStats();
      const result = await svc.gql(`{ users(ids: ["newcomer", "li.na"]) { id profile { nick gender level custom } } }`);
      expect(result.errors).toBeUndefined();
      expect((result.data as { users: unknown }).users).toEqual([
        { id: "newcomer", profile: { nick: null, gender: null, level: null, custom: {} } },
        {
          id: "li.na",
          profile: { nick: "李娜", gender: "FEMALE", level: null, custom: { Test: "Custom Data2", Score: 42 } },
        },
      ]);
      expect(gets(svc).map((c) => c.results)).toEqual([[code, 0]]);
    },
  );
});

describe("3. per-account 40006 (try again later) (accountFailures)", () => {
  it("is retried for that account only, and the read succeeds", async () => {
    const svc = await start({ quirks: { accountFailures: { "li.na": { code: 40006, times: 2 } } } });
    const result = await svc.gql(NICKS, { ids: ["zhang.wei", "li.na", "sato.yuki"] });
    expect(result.errors).toBeUndefined();
    expect((result.data as { users: { profile: { nick: string } }[] }).users.map((u) => u.profile.nick)).toEqual([
      "张伟",
      "李娜",
      "佐藤 ゆき",
    ]);
    expect(gets(svc).map((c) => [c.accounts, c.results])).toEqual([
      [
        ["zhang.wei", "li.na", "sato.yuki"],
        [0, 40006, 0],
      ],
      [["li.na"], [40006]],
      [["li.na"], [0]],
    ]);
  });

  it("after its retries, only that account is UPSTREAM_UNAVAILABLE with Tencent's code", async () => {
    const svc = await start({ quirks: { accountFailures: { "li.na": { code: 40006, times: 5 } } } });
    const result = await svc.gql(NICKS, { ids: ["zhang.wei", "li.na"] });
    expect(codesByPath(result)).toEqual({ "users.1.profile": "UPSTREAM_UNAVAILABLE" });
    expect(result.errors![0]!.extensions.tencent).toEqual({
      errorCode: 40006,
      errorInfo: "Err_Profile_PortraitGet_Read_Custom_Data_Fail",
    });
    expect((result.data as { users: { profile: unknown }[] }).users.map((u) => u.profile)).toEqual([
      { nick: "张伟" },
      null,
    ]);
    // One call, then the two retries of li.na alone.
    expect(gets(svc).map((c) => c.accounts)).toEqual([["zhang.wei", "li.na"], ["li.na"], ["li.na"]]);
  });
});

describe("4. the old documents' codes (accountFailures with 408xx, notFoundCode 10001)", () => {
  it.each([40802, 40805, 40808, 40810, 40812] as const)(
    "per-account %i is retried for that account only",
    async (code) => {
      const svc = await start({ quirks: { accountFailures: { "kim.minjun": { code, times: 1 } } } });
      const result = await svc.gql(NICKS, { ids: ["kim.minjun", "alex.chen"] });
      expect(result.errors).toBeUndefined();
      expect((result.data as { users: { profile: { nick: string } }[] }).users.map((u) => u.profile.nick)).toEqual([
        "김민준",
        "Alex Chen 陈",
      ]);
      expect(gets(svc).map((c) => [c.accounts, c.results])).toEqual([
        [
          ["kim.minjun", "alex.chen"],
          [code, 0],
        ],
        [["kim.minjun"], [0]],
      ]);
    },
  );

  it("legacy 10001 (no such account) is ACCOUNT_NOT_FOUND for that account only, on reads and on writes", async () => {
    const svc = await start({ quirks: { notFoundCode: 10001 } });
    const read = await svc.gql(NICKS, { ids: ["li.na", "ghost"] });
    expect(codesByPath(read)).toEqual({ "users.1.profile": "ACCOUNT_NOT_FOUND" });
    expect(read.errors![0]!.extensions.tencent).toEqual({ errorCode: 10001, errorInfo: "帐号不存在" });
    expect((read.data as { users: { profile: unknown }[] }).users.map((u) => u.profile)).toEqual([
      { nick: "李娜" },
      null,
    ]);
    expect(gets(svc)).toHaveLength(1);

    const write = await svc.gql(
      `mutation { setProfile(userId: "ghost", input: { nick: "x" }) { id } }`,
      {},
      svc.adminToken,
    );
    expect(codesByPath(write)).toEqual({ setProfile: "ACCOUNT_NOT_FOUND" });
    expect(svc.emulator.calls.filter((c) => c.api === "profile/portrait_set").map((c) => c.outcome)).toEqual([10001]);
  });
});

describe("5. custom values as strings (integersAsStrings: custom; the demo configuration)", () => {
  it("an integer custom tag accepts decimal strings from upstream, uint64 kept exact", async () => {
    const svc = await start({ quirks: { integersAsStrings: "custom" } });
    const result = await svc.gql(
      `{ users(ids: ["zhang.wei", "li.na"]) { profile { custom(keys: ["Score", "Test"]) } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect((result.data as { users: unknown }).users).toEqual([
      { profile: { custom: { Score: "18446744073709551615", Test: "Custom Data1" } } },
      { profile: { custom: { Score: 42, Test: "Custom Data2" } } },
    ]);
    // The emulator sent strings for Score: the numbers above are the reader's doing.
    const raw = await rawCall(svc.emulator.url, "/v4/profile/portrait_get", {
      To_Account: ["li.na"],
      TagList: ["Tag_Profile_Custom_Score"],
    });
    expect(raw.body.UserProfileItem).toEqual([
      expect.objectContaining({ ProfileItem: [{ Tag: "Tag_Profile_Custom_Score", Value: "42" }] }),
    ]);
  });

  it("the demo configuration declares string custom tags, and its seed holds strings for them", async () => {
    const tags = TagRegistry.fromSpec(EMULATOR_DEFAULTS.customTags);
    expect(tags.custom.map((t) => [t.key, t.type])).toEqual([
      ["Test", "string"],
      ["Score", "string"],
    ]);
    const svc = await start({ tags });
    const raw = await rawCall(svc.emulator.url, "/v4/profile/portrait_get", {
      To_Account: ["zhang.wei", "li.na"],
      TagList: ["Tag_Profile_Custom_Test", "Tag_Profile_Custom_Score"],
    });
    expect((raw.body.UserProfileItem as { ProfileItem: unknown }[]).map((i) => i.ProfileItem)).toEqual([
      [
        { Tag: "Tag_Profile_Custom_Test", Value: "Custom Data1" },
        { Tag: "Tag_Profile_Custom_Score", Value: "18446744073709551615" },
      ],
      [
        { Tag: "Tag_Profile_Custom_Test", Value: "Custom Data2" },
        { Tag: "Tag_Profile_Custom_Score", Value: "42" },
      ],
    ]);
    const result = await svc.gql(`{ users(ids: ["zhang.wei", "li.na"]) { profile { custom } } }`);
    expect((result.data as { users: unknown }).users).toEqual([
      { profile: { custom: { Test: "Custom Data1", Score: "18446744073709551615" } } },
      { profile: { custom: { Test: "Custom Data2", Score: "42" } } },
    ]);
    // A string tag takes strings: a number is the caller's mistake, said before any upstream call.
    const write = await svc.gql(`mutation { setProfile(input: { custom: { Score: 7 } }) { id } }`);
    expect(write.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input.custom.Score" });
    expect(svc.emulator.calls.filter((c) => c.api === "profile/portrait_set")).toEqual([]);
  });
});

describe("6. a uint32 sent as a string (integersAsStrings: all)", () => {
  it("reads as the number, not as the caller's bad input", async () => {
    const svc = await start({ quirks: { integersAsStrings: "all" } });
    const result = await svc.gql(`{ user(id: "zhang.wei") { profile { birthday language level role } } }`);
    expect(result.errors).toBeUndefined();
    expect((result.data as { user: unknown }).user).toEqual({
      profile: { birthday: 19920314, language: 86, level: 3000000000, role: 2 },
    });
    const raw = await rawCall(svc.emulator.url, "/v4/profile/portrait_get", {
      To_Account: ["zhang.wei"],
      TagList: ["Tag_Profile_IM_BirthDay"],
    });
    expect(raw.body.UserProfileItem).toEqual([
      expect.objectContaining({ ProfileItem: [{ Tag: "Tag_Profile_IM_BirthDay", Value: "19920314" }] }),
    ]);
  });
});
