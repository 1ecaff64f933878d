import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAuthenticator } from "../../src/server/auth.js";
import { post } from "../support/http.js";
import { JWT_SECRET, startService, token, type Service } from "../support/service.js";

// Who may do what: every caller against every root field, in one table. `data` means the field
// resolves (and reaches Tencent if it reads or writes a profile); an error code means the field is
// refused with it and nothing goes upstream. The target of reads is zhang.wei ("self").

type Caller = "anonymous" | "anonymous, ANONYMOUS_INTROSPECTION" | "other user" | "self" | "admin";
type Outcome = "data" | "UNAUTHENTICATED" | "FORBIDDEN";
const CALLERS: Caller[] = ["anonymous", "anonymous, ANONYMOUS_INTROSPECTION", "other user", "self", "admin"];

const FIELDS: {
  field: string;
  query: string;
  variables?: Record<string, unknown>;
  upstream: string | undefined;
  outcomes: Outcome[];
}[] = [
  // outcomes, in CALLERS order: anonymous, anonymous with ANONYMOUS_INTROSPECTION, other user, self, admin
  {
    field: "user(id)",
    query: '{ user(id: "zhang.wei") { profile { nick } } }',
    upstream: "profile/portrait_get",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "data", "data", "data"],
  },
  {
    field: "users(ids)",
    query: '{ users(ids: ["zhang.wei", "li.na"]) { profile { nick } } }',
    upstream: "profile/portrait_get",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "data", "data", "data"],
  },
  {
    field: "me",
    query: "{ me { id profile { nick } } }",
    upstream: "profile/portrait_get",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "data", "data", "data"],
  },
  {
    field: "setProfile on self",
    query: 'mutation { setProfile(input: { selfSignature: "matrix" }) { id } }',
    upstream: "profile/portrait_set",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "data", "data", "data"],
  },
  {
    field: "setProfile on another",
    query: 'mutation { setProfile(userId: "sato.yuki", input: { selfSignature: "matrix" }) { id } }',
    upstream: "profile/portrait_set",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "data"],
  },
  {
    field: "setProfile with adminForbidType",
    query: "mutation { setProfile(input: { adminForbidType: NONE }) { id } }",
    upstream: "profile/portrait_set",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "data"],
  },
  {
    field: "_entities",
    query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { nick } } } }",
    variables: { r: [{ __typename: "User", id: "zhang.wei" }] },
    upstream: "profile/portrait_get",
    outcomes: ["UNAUTHENTICATED", "UNAUTHENTICATED", "data", "data", "data"],
  },
  {
    field: "__schema",
    query: "{ __schema { queryType { name } } }",
    upstream: undefined,
    outcomes: ["UNAUTHENTICATED", "data", "data", "data", "data"],
  },
  {
    field: "_service",
    query: "{ _service { sdl } }",
    upstream: undefined,
    outcomes: ["UNAUTHENTICATED", "data", "data", "data", "data"],
  },
];

let svc: Service; // production: no anonymous introspection
let open: Service; // production with ANONYMOUS_INTROSPECTION=true
let tokens: Record<Caller, string | null>;
beforeAll(async () => {
  [svc, open] = await Promise.all([startService(), startService({}, { anonymousIntrospection: true })]);
  tokens = {
    anonymous: null,
    "anonymous, ANONYMOUS_INTROSPECTION": null,
    "other user": await token("li.na"),
    self: svc.userToken,
    admin: svc.adminToken,
  };
});
afterAll(async () => {
  await Promise.all([svc.close(), open.close()]);
});
beforeEach(() => {
  svc.emulator.resetStats();
  open.emulator.resetStats();
});

const cells = FIELDS.flatMap((row) => CALLERS.map((caller, i) => ({ ...row, caller, outcome: row.outcomes[i]! })));

describe("authorization matrix", () => {
  it.each(cells)("$field as $caller: $outcome", async ({ query, variables, upstream, caller, outcome }) => {
    const service = caller === "anonymous, ANONYMOUS_INTROSPECTION" ? open : svc;
    const auth = tokens[caller];
    const res = await post(service.url, { query, variables }, auth ? { authorization: `Bearer ${auth}` } : {});
    const calls = service.emulator.calls.map((c) => c.api);
    if (outcome === "data") {
      expect(res.status).toBe(200);
      expect(res.json.errors).toBeUndefined();
      expect(Object.values(res.json.data as object).every((v) => v !== null)).toBe(true);
      // Allowed: it reached Tencent exactly where the field reads or writes a profile.
      expect(new Set(calls)).toEqual(new Set(upstream ? [upstream] : []));
    } else {
      expect(res.status).toBe(outcome === "UNAUTHENTICATED" ? 401 : 200);
      expect(res.json.errors!.map((e) => e.extensions.code)).toEqual([outcome]);
      expect((res.json.data as Record<string, unknown> | null | undefined) ?? null).toBeNull();
      expect(calls).toEqual([]);
    }
  });

  it("me is the token's own account, whoever calls", async () => {
    const as = async (t: string) =>
      (await post(svc.url, { query: "{ me { id } }" }, { authorization: `Bearer ${t}` })).json.data;
    expect(await as(tokens["other user"]!)).toEqual({ me: { id: "li.na" } });
    expect(await as(tokens.self!)).toEqual({ me: { id: "zhang.wei" } });
    expect(await as(tokens.admin!)).toEqual({ me: { id: "administrator" } });
  });
});

describe("tokens", () => {
  const ISSUER = "https://id.example.com";
  const AUDIENCE = "portrait-graph";
  let strict: Service; // AUTH_ISSUER and AUTH_AUDIENCE set
  beforeAll(async () => {
    strict = await startService(
      {},
      { authenticate: createAuthenticator({ jwtSecret: JWT_SECRET, issuer: ISSUER, audience: AUDIENCE }) },
    );
  });
  afterAll(() => strict.close());
  beforeEach(() => strict.emulator.resetStats());

  const key = new TextEncoder().encode(JWT_SECRET);
  const sign = (
    options: { sub?: string; iss?: string | null; aud?: string | null; exp?: number | null; secret?: string } = {},
  ) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(options.sub ?? "zhang.wei");
    if (options.iss !== null) jwt.setIssuer(options.iss ?? ISSUER);
    if (options.aud !== null) jwt.setAudience(options.aud ?? AUDIENCE);
    if (options.exp !== null) jwt.setExpirationTime(options.exp ?? "5m");
    return jwt.sign(options.secret ? new TextEncoder().encode(options.secret) : key);
  };
  const unsigned = (payload: object) =>
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`;
  const READ = { query: '{ user(id: "li.na") { profile { nick } } }' };

  it.each([
    ["the right iss, aud and exp", () => sign()],
    ["a sub of exactly 32 bytes", () => sign({ sub: "x".repeat(32) })],
    ["a sub of 10 CJK characters (30 bytes)", () => sign({ sub: "张".repeat(10) })],
  ])("accepts %s", async (_name, make) => {
    const res = await post(strict.url, READ, { authorization: `Bearer ${await make()}` });
    expect(res.json).toEqual({ data: { user: { profile: { nick: "李娜" } } } });
  });

  it.each([
    ["no exp", () => sign({ exp: null }), "The token has no exp claim"],
    ["an exp in the past", () => sign({ exp: Math.floor(Date.now() / 1000) - 60 }), "The token has expired"],
    ["a foreign iss", () => sign({ iss: "https://evil.example.com" }), "The token's iss claim is invalid"],
    ["no iss", () => sign({ iss: null }), "The token has no iss claim"],
    ["a foreign aud", () => sign({ aud: "another-api" }), "The token's aud claim is invalid"],
    ["no aud", () => sign({ aud: null }), "The token has no aud claim"],
    [
      "a sub with CR LF",
      () => sign({ sub: "x\r\nSet-Cookie: a=b" }),
      "The token's sub must hold only printable characters (no control or bidi characters)",
    ],
    [
      "a sub with NUL",
      () => sign({ sub: "zhang.wei\u0000" }),
      "The token's sub must hold only printable characters (no control or bidi characters)",
    ],
    [
      "a sub with a right-to-left override",
      () => sign({ sub: "\u202Eiew.gnahz" }),
      "The token's sub must hold only printable characters (no control or bidi characters)",
    ],
    [
      "a sub with a bidi isolate",
      () => sign({ sub: "zhang\u2066.wei" }),
      "The token's sub must hold only printable characters (no control or bidi characters)",
    ],
    [
      "a sub with a zero-width space",
      () => sign({ sub: "zhang\u200B.wei" }),
      "The token's sub must hold only printable characters (no control or bidi characters)",
    ],
    [
      "a 33-byte sub",
      () => sign({ sub: "x".repeat(33) }),
      "The token's sub must be a Tencent UserID of 1 to 32 bytes (got 33)",
    ],
    [
      "a sub of 11 CJK characters (33 bytes)",
      () => sign({ sub: "张".repeat(11) }),
      "The token's sub must be a Tencent UserID of 1 to 32 bytes (got 33)",
    ],
    ["an empty sub", () => sign({ sub: "" }), "The token's sub must be a Tencent UserID of 1 to 32 bytes (got 0)"],
    [
      "alg none",
      async () => unsigned({ sub: "zhang.wei", iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 }),
      "The token's signing algorithm is not accepted",
    ],
    [
      "another secret",
      () => sign({ secret: "another-secret-that-is-long-enough-to-be-used" }),
      "The token's signature is invalid",
    ],
  ])("refuses %s: 401 UNAUTHENTICATED, no upstream call, the token not echoed", async (_name, make, message) => {
    const jwt = await make();
    const res = await post(strict.url, READ, { authorization: `Bearer ${jwt}` });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
    expect(res.json).toEqual({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] });
    expect(res.text).not.toContain(jwt.split(".")[1]!.slice(0, 16));
    expect(strict.emulator.calls).toEqual([]);
  });

  it("without AUTH_ISSUER and AUTH_AUDIENCE, tokens need no iss or aud but still need exp", async () => {
    expect(
      (await post(svc.url, READ, { authorization: `Bearer ${await sign({ iss: null, aud: null })}` })).status,
    ).toBe(200);
    const noExp = await post(svc.url, READ, {
      authorization: `Bearer ${await sign({ iss: null, aud: null, exp: null })}`,
    });
    expect(noExp.status).toBe(401);
    expect(noExp.json.errors![0]!.message).toBe("The token has no exp claim");
  });
});
