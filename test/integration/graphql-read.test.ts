import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MeDocument, UserProfileDocument, UsersCustomDocument, UsersNicksDocument } from "../__generated__/graphql.js";
import { importAccounts, startService, type Service } from "../support/service.js";

let svc: Service;
let ids: string[];
beforeAll(async () => {
  svc = await startService();
  ids = await importAccounts(svc, "bulk", 1000);
});
afterAll(() => svc.close());
beforeEach(() => svc.emulator.resetStats());

const chunks = (n: number) => Math.ceil(n / 100);

describe("reading profiles", () => {
  it("returns every standard field typed, with uint32 beyond 2^31 and uint64 custom values as exact strings", async () => {
    const { data, errors } = await svc.gql(UserProfileDocument, { id: "zhang.wei" });
    expect(errors).toBeUndefined();
    expect(data!.user).toEqual({
      id: "zhang.wei",
      profile: {
        nick: "张伟",
        gender: "MALE",
        birthday: 19920314,
        location: "CN-Shenzhen",
        selfSignature: "代码写得好，下班回家早",
        allowType: "NEED_CONFIRM",
        language: 86,
        image: "https://example.com/avatars/zhang.wei.png",
        msgSettings: null,
        adminForbidType: null,
        level: 3000000000,
        role: 2,
        custom: { Test: "Custom Data1", Score: "18446744073709551615" },
      },
    });
  });

  it("me is the token's account", async () => {
    const { data } = await svc.gql(MeDocument, {}, svc.userToken);
    expect(data!.me).toEqual({
      id: "zhang.wei",
      profile: { nick: "张伟", custom: { Test: "Custom Data1", Score: "18446744073709551615" } },
    });
  });

  it("asks upstream only for the tags the query selects (custom with keys: only those keys)", async () => {
    await svc.gql(UsersCustomDocument, { ids: ["li.na"], keys: ["Score"] });
    const [call] = svc.emulator.calls;
    expect(call!.tags!.sort()).toEqual(["Tag_Profile_Custom_Score", "Tag_Profile_IM_Level"]);
    svc.emulator.resetStats();
    await svc.gql(UsersCustomDocument, { ids: ["li.na"] });
    // custom without keys: every readable configured custom tag (Secret is write-only).
    expect(svc.emulator.calls[0]!.tags!.sort()).toEqual([
      "Tag_Profile_Custom_Locked",
      "Tag_Profile_Custom_Score",
      "Tag_Profile_Custom_Test",
      "Tag_Profile_IM_Level",
    ]);
  });

  it("refuses an unknown custom key before any upstream call", async () => {
    const { data, errors } = await svc.gql(UsersCustomDocument, { ids: ["li.na"], keys: ["Nope"] });
    expect(errors![0]!.extensions.code).toBe("BAD_USER_INPUT");
    expect(errors![0]!.message).toMatch(/custom\(keys\)\.Nope is not a configured custom tag/);
    expect(data?.users?.[0]?.profile ?? null).toBeNull();
    expect(svc.portraitGets()).toEqual([]);
  });
});

describe("batching: N distinct accounts cost ⌈N/100⌉ portrait_get calls", () => {
  it.each([1, 2, 99, 100, 101, 250, 1000])("users(ids) with %i accounts", async (n) => {
    const { data, errors } = await svc.gql(UsersNicksDocument, { ids: ids.slice(0, n) });
    expect(errors).toBeUndefined();
    expect(data!.users.map((u) => u!.profile!.nick)).toEqual(ids.slice(0, n).map((id) => `nick-${id}`));
    const calls = svc.portraitGets();
    expect(calls).toHaveLength(chunks(n));
    expect(calls.every((c) => c.length <= 100)).toBe(true);
    expect(calls.flat().sort()).toEqual(ids.slice(0, n).sort());
  });

  it("duplicates and aliases are deduplicated across the whole request", async () => {
    const query = `query($a: [ID!]!, $b: [ID!]!) {
      first: users(ids: $a) { profile { nick } }
      second: users(ids: $b) { id profile { level } }
      one: user(id: "bulk0") { profile { nick } }
      me { profile { custom(keys: ["Test"]) } }
    }`;
    const a = [...ids.slice(0, 150), ...ids.slice(0, 50)];
    const b = ids.slice(100, 220);
    const { errors } = await svc.gql(query, { a, b });
    expect(errors).toBeUndefined();
    // distinct: bulk0..bulk219 plus zhang.wei = 221 → 3 calls
    expect(svc.portraitGets()).toHaveLength(3);
    expect(new Set(svc.portraitGets().flat()).size).toBe(221);
    // one tag set for the whole request: the union of what it selects
    expect(new Set(svc.emulator.calls.map((c) => c.tags!.sort().join()))).toEqual(
      new Set(["Tag_Profile_Custom_Test,Tag_Profile_IM_Level,Tag_Profile_IM_Nick"]),
    );
  });

  it("concurrent requests waiting for a rate slot share one call", async () => {
    // Two calls a second, one at a time: the readiness check took the first slot, so every
    // request below arrives while the next call waits for its slot, and rides in it.
    const local = await startService({}, {}, { rateLimit: 2, rateBurst: 1 });
    try {
      const accounts = await importAccounts(local, "conc", 20);
      const results = await Promise.all(accounts.map((id) => local.gql(UsersNicksDocument, { ids: [id] })));
      expect(results.map((r) => r.data!.users[0]!.profile!.nick)).toEqual(accounts.map((id) => `nick-${id}`));
      expect(local.portraitGets().length).toBeLessThanOrEqual(2);
      expect(local.portraitGets().flat().sort()).toEqual([...accounts].sort());
    } finally {
      await local.close();
    }
  });

  it("refuses more ids than MAX_USERS with BAD_USER_INPUT, before any call", async () => {
    const local = await startService({}, { limits: { maxUsers: 50 } });
    try {
      const { errors } = await local.gql(UsersNicksDocument, { ids: Array.from({ length: 51 }, (_, i) => `x${i}`) });
      expect(errors![0]!.extensions.code).toBe("BAD_USER_INPUT");
      expect(errors![0]!.message).toMatch(/ids must hold at most 50 ids \(got 51\)/);
      expect(local.portraitGets()).toEqual([]);
    } finally {
      await local.close();
    }
  });

  it("an id that cannot be a UserID nulls only its own entry, with BAD_USER_INPUT at that path", async () => {
    const { data, errors } = await svc.gql(UsersNicksDocument, { ids: ["li.na", "x".repeat(33), "", "sato.yuki"] });
    expect(data!.users.map((u) => u?.profile?.nick ?? null)).toEqual(["李娜", null, null, "佐藤 ゆき"]);
    expect(errors!.map((e) => [e.path, e.extensions.code, e.extensions.field])).toEqual([
      [["users", 1], "BAD_USER_INPUT", "ids[1]"],
      [["users", 2], "BAD_USER_INPUT", "ids[2]"],
    ]);
    expect(svc.portraitGets()).toEqual([["li.na", "sato.yuki"]]);
  });
});

describe("partial failure", () => {
  it("an unknown account nulls only its own profile, with ACCOUNT_NOT_FOUND at its path", async () => {
    const { data, errors } = await svc.gql(UsersNicksDocument, { ids: ["li.na", "ghost", "sato.yuki"] });
    expect(data!.users.map((u) => u!.profile?.nick ?? null)).toEqual(["李娜", null, "佐藤 ゆき"]);
    expect(errors).toEqual([
      expect.objectContaining({
        path: ["users", 1, "profile"],
        extensions: {
          code: "ACCOUNT_NOT_FOUND",
          tencent: { errorCode: 40003, errorInfo: "Err_Profile_Account_Not_Exist" },
        },
      }),
    ]);
  });

  it("a failed chunk fails only its own accounts", async () => {
    const nth = failNthCall(2);
    const local = await startService({ random: nth.random }, {}, { maxAttempts: 1 });
    try {
      const accounts = await importAccounts(local, "c", 250);
      local.emulator.configure({ faults: { "70500": 0.5 } });
      nth.arm();
      const { data, errors } = await local.gql(UsersNicksDocument, { ids: accounts });
      local.emulator.configure({ faults: {} });
      const failedCall = local.emulator.calls.find((c) => c.outcome === 70500)!;
      expect(local.emulator.calls).toHaveLength(3);
      const failed = new Set(failedCall.accounts);
      expect(failed.size).toBe(100);
      data!.users.forEach((u, i) => expect(u!.profile === null).toBe(failed.has(accounts[i]!)));
      expect(errors).toHaveLength(100);
      expect(errors![0]!.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", tencent: { errorCode: 70500 } });
    } finally {
      await local.close();
    }
  });

  it("throttling upstream surfaces as UPSTREAM_THROTTLED with Tencent's code", async () => {
    // An emulator that allows one call every 1000 s: every call is answered 60007.
    const local = await startService({ rateLimit: 0.001 }, {}, { maxAttempts: 1 });
    try {
      const { errors } = await local.gql(UsersNicksDocument, { ids: ["li.na"] });
      expect(errors![0]!.extensions).toMatchObject({ code: "UPSTREAM_THROTTLED", tencent: { errorCode: 60007 } });
      expect(JSON.stringify(errors)).not.toMatch(/usersig|stacktrace/i);
    } finally {
      await local.close();
    }
  });
});

/**
 * A `random` for the emulator that fires a configured fault on exactly the nth API call after
 * `arm()`: each call draws once for latency, then once for its fault roll.
 */
function failNthCall(n: number) {
  let draws = -1; // disarmed
  return {
    arm: () => void (draws = 0),
    random: () => {
      if (draws < 0) return 0.99;
      draws++;
      // draw 2k-1 is call k's latency, draw 2k its fault roll
      return draws === 2 * n ? 0 : 0.99;
    },
  };
}
