import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { SetProfileDocument, UserProfileDocument, UsersNicksDocument } from "../__generated__/graphql.js";
import { seedAccounts } from "../support/accounts.js";
import { startService, token, useServices, type Service } from "../support/service.js";

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());
beforeEach(() => svc.emulator.resetStats());

const sets = () => svc.emulator.calls.filter((c) => c.api === "profile/portrait_set");

describe("setProfile", () => {
  it("writes through portrait_set and returns the new values (the loader entry is cleared)", async () => {
    const { data, errors } = await svc.gql(SetProfileDocument, {
      input: {
        nick: "张伟伟",
        gender: "FEMALE",
        level: 4294967295,
        custom: { Test: "新的", Score: "18446744073709551614" },
      },
    });
    expect(errors).toBeUndefined();
    expect(data!.setProfile).toEqual({
      id: "zhang.wei",
      profile: {
        nick: "张伟伟",
        gender: "FEMALE",
        location: "CN-Shenzhen",
        level: 4294967295,
        adminForbidType: null,
        custom: { Test: "新的", Score: "18446744073709551614" },
      },
    });
    expect(sets()).toHaveLength(1);
    const read = await svc.gql(UserProfileDocument, { id: "zhang.wei" });
    expect(read.data!.user!.profile!.custom).toEqual({ Test: "新的", Score: "18446744073709551614" });
  });

  it("accepts custom integers as JSON numbers within 2^53", async () => {
    const { data } = await svc.gql(SetProfileDocument, { input: { custom: { Score: 7 } } });
    expect(data!.setProfile.profile!.custom).toMatchObject({ Score: 7 });
  });

  it.each([
    [{ nick: "a".repeat(501) }, "input.nick", /at most 500 bytes/],
    [{ location: "北京市朝阳区" }, "input.location", /at most 16 bytes of UTF-8 \(got 18\)/],
    [{ custom: { Nope: "x" } }, "input.custom.Nope", /not a configured custom tag/],
    [{ custom: { Score: "12x" } }, "input.custom.Score", /must be an integer from 0 to 18446744073709551615/],
    [{ custom: { Score: "18446744073709551616" } }, "input.custom.Score", /must be an integer/],
    [{ custom: { Score: -1 } }, "input.custom.Score", /must be an integer/],
    [{ custom: { Test: 5 } }, "input.custom.Test", /must be a string/],
    [{ custom: { Locked: "x" } }, "input.custom.Locked", /read-only/],
    [{ custom: ["x"] }, "input.custom", /must be an object/],
    [{ nick: null }, "input.nick", /cannot be null/],
    [{}, "input", /must set at least one field/],
  ])("refuses %j before any upstream call, naming %s", async (input, field, rule) => {
    const { errors } = await svc.gql(SetProfileDocument, { input: input as never });
    expect(errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(errors![0]!.message).toMatch(rule);
    expect(sets()).toHaveLength(0);
  });

  it("refuses a uint32 beyond 2^32-1 at the scalar, before any upstream call", async () => {
    const { errors } = await svc.gql(SetProfileDocument, { input: { level: 4294967296 } });
    expect(errors![0]!.extensions.code).toBe("BAD_USER_INPUT");
    expect(errors![0]!.message).toMatch(/UInt32 must be an integer from 0 to 4294967295/);
    expect(sets()).toHaveLength(0);
  });

  it("reports every violation at once and applies nothing", async () => {
    const { errors } = await svc.gql(SetProfileDocument, {
      input: { nick: "ok", location: "x".repeat(17), custom: { Nope: 1 } },
    });
    expect(errors![0]!.extensions.violations).toHaveLength(2);
    expect(sets()).toHaveLength(0);
  });
});

describe("authorization", () => {
  it("a user may not set another user's profile; an admin may", async () => {
    const denied = await svc.gql(SetProfileDocument, { userId: "li.na", input: { nick: "x" } });
    expect(denied.errors![0]!.extensions.code).toBe("FORBIDDEN");
    expect(sets()).toHaveLength(0);
    const allowed = await svc.gql(SetProfileDocument, { userId: "li.na", input: { nick: "娜娜" } }, svc.adminToken);
    expect(allowed.data!.setProfile.profile!.nick).toBe("娜娜");
  });

  it("adminForbidType is admin-only", async () => {
    const denied = await svc.gql(SetProfileDocument, { input: { adminForbidType: "SEND_OUT" } });
    expect(denied.errors![0]).toMatchObject({
      extensions: { code: "FORBIDDEN" },
      message: expect.stringMatching(/adminForbidType/),
    });
    const allowed = await svc.gql(
      SetProfileDocument,
      { userId: "alex.chen", input: { adminForbidType: "SEND_OUT" } },
      svc.adminToken,
    );
    expect(allowed.data!.setProfile.profile!.adminForbidType).toBe("SEND_OUT");
  });

  it("an account that does not exist gives ACCOUNT_NOT_FOUND with Tencent's code", async () => {
    const { errors } = await svc.gql(SetProfileDocument, { userId: "ghost", input: { nick: "boo" } }, svc.adminToken);
    expect(errors![0]!.extensions).toMatchObject({ code: "ACCOUNT_NOT_FOUND", tencent: { errorCode: 40003 } });
  });

  it.each([
    ["no token", null],
    ["a token signed with another secret", "other"],
    ["an expired token", "expired"],
    ["a malformed token", "garbage"],
  ])("%s gives UNAUTHENTICATED and no access", async (_name, kind) => {
    const auth =
      kind === null
        ? null
        : kind === "other"
          ? await token("zhang.wei", { secret: "another-secret-that-is-long-enough-to-be-used" })
          : kind === "expired"
            ? await token("zhang.wei", { expiresIn: Math.floor(Date.now() / 1000) - 60 })
            : "not.a.jwt";
    for (const doc of [SetProfileDocument, UserProfileDocument]) {
      const res = await svc.gql(doc, { id: "li.na", input: { nick: "x" } } as never, auth);
      expect(res.errors![0]!.extensions.code).toBe("UNAUTHENTICATED");
      const data = res.data as { user?: unknown; setProfile?: unknown } | undefined;
      expect(data?.user ?? data?.setProfile ?? null).toBeNull();
      if (auth) expect(JSON.stringify(res)).not.toContain(auth);
    }
    expect(svc.emulator.calls).toHaveLength(0);
  });

  it("introspection and _service need a token in production, unless ANONYMOUS_INTROSPECTION allows them", async () => {
    const schemaQuery = "{ __schema { queryType { name } } _service { sdl } }";
    const refused = await svc.gql(schemaQuery, undefined, null);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(refused.errors![0]!.extensions.code).toBe("UNAUTHENTICATED");
    expect((await svc.gql(schemaQuery)).errors).toBeUndefined();
    const open = await startService({}, { anonymousIntrospection: true });
    try {
      const res = await open.gql(schemaQuery, undefined, null);
      expect(res.errors).toBeUndefined();
      expect((res.data as { _service: { sdl: string } })._service.sdl).toContain('@key(fields: "id")');
      // Allowed to read the schema is not allowed to read profiles.
      expect((await open.gql("{ me { id } }", undefined, null)).errors![0]!.extensions.code).toBe("UNAUTHENTICATED");
    } finally {
      await open.close();
    }
  });
});

describe("writes have their own budget", () => {
  const start = useServices();

  it("a setProfile issued while reads queue for portrait_get slots reaches Tencent before the next portrait_get", async () => {
    // 2 calls/s per API: 300 accounts need 3 portrait_get calls, 500 ms apart.
    const slow = await start({}, { queue: { maxWaitMs: 10_000 } }, { rateLimit: 2 });
    const ids = await seedAccounts(slow, "queued", 300);
    const reads = slow.gql(UsersNicksDocument, { ids });
    await vi.waitFor(() => expect(slow.portraitGets()).toHaveLength(1), { timeout: 5_000 });
    // Two portrait_get calls are still waiting for their slots; the write waits for none of them.
    const write = slow.gql('mutation { setProfile(input: { nick: "written" }) { id } }');
    const [read, written] = await Promise.all([reads, write]);

    const calls = slow.emulator.calls.map((c) =>
      c.api === "profile/portrait_set" ? `set ${c.accounts!.join()}` : `get ${c.accounts!.length}`,
    );
    // With one limiter for both APIs the write would take the slot after the queued read's: get, get, set, get.
    expect(calls).toEqual(["get 100", "set zhang.wei", "get 100", "get 100"]);
    expect(written).toMatchObject({ data: { setProfile: { id: "zhang.wei" } } });
    expect(written.errors).toBeUndefined();
    // The reads were not disturbed: every account answered, in order, from its own call.
    expect(read.errors).toBeUndefined();
    expect(read.data!.users).toEqual(ids.map((id) => ({ id, profile: { nick: `nick-${id}` } })));
    expect(slow.portraitGets().flat()).toEqual(ids);
  });
});
