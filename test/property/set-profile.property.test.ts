import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post } from "../support/http.js";
import { startService, type Service } from "../support/service.js";

// setProfile with arbitrary input: any JSON in every field, strings with lone surrogates, numbers
// past every bound, URLs of every scheme. The oracle below states the documented rules on its
// own; the service must write exactly the inputs it calls valid (one portrait_set, no error) and
// refuse every other with BAD_USER_INPUT or FORBIDDEN and no portrait_set. Never a 500.

const SEED = 20261201;
const RUNS = 150;

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

const STRINGS: Record<string, number> = { nick: 500, location: 16, selfSignature: 500, image: 500 };
const ENUMS: Record<string, readonly string[]> = {
  gender: ["UNKNOWN", "FEMALE", "MALE"],
  allowType: ["NEED_CONFIRM", "ALLOW_ANY", "DENY_ANY"],
  adminForbidType: ["NONE", "SEND_OUT"],
};
const UINT32 = ["birthday", "language", "msgSettings", "level", "role"];
const FIELDS = [...Object.keys(STRINGS), ...Object.keys(ENUMS), ...UINT32, "custom"];
// The test app's custom tags: Test:string, Score:integer, Secret:string (write-only), Locked:string (read-only).
const CUSTOM_STRINGS = new Set(["Test", "Secret"]);
const UINT64_MAX = 18_446_744_073_709_551_615n;

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const wellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function httpUrl(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Whether a non-admin may write `input` (as received after JSON) to their own profile. */
function valid(input: unknown): boolean {
  if (!isObject(input)) return false;
  let items = 0;
  for (const [field, value] of Object.entries(input)) {
    if (!FIELDS.includes(field)) return false;
    if (field === "custom") {
      if (value === null) continue;
      if (!isObject(value)) return false;
      for (const [key, v] of Object.entries(value)) {
        if (CUSTOM_STRINGS.has(key)) {
          if (typeof v !== "string" || bytes(v) > 500 || !wellFormed(v)) return false;
        } else if (key === "Score") {
          const ok =
            typeof v === "number"
              ? Number.isSafeInteger(v) && v >= 0
              : typeof v === "string" && /^\d{1,20}$/.test(v) && BigInt(v) <= UINT64_MAX;
          if (!ok) return false;
        } else return false;
        items++;
      }
      continue;
    }
    if (value === null) return false;
    if (field in STRINGS) {
      if (typeof value !== "string" || bytes(value) > STRINGS[field]! || !wellFormed(value)) return false;
      if (field === "image" && value !== "" && !httpUrl(value)) return false;
    } else if (field in ENUMS) {
      if (field === "adminForbidType" || !ENUMS[field]!.includes(value as string)) return false;
    } else if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 4_294_967_295)
      return false;
    items++;
  }
  return items > 0;
}

// Keys the body parser refuses outright (prototype poisoning), before GraphQL sees the input.
function poisoned(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(poisoned);
  if (!isObject(value)) return false;
  return Object.entries(value).some(
    ([k, v]) => k === "__proto__" || (k === "constructor" && isObject(v) && "prototype" in v) || poisoned(v),
  );
}

const loneSurrogate = fc
  .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ maxLength: 8 }))
  .map(([a, s, b]) => `${a}${String.fromCharCode(s)}${b}`);
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", minLength: 4, maxLength: 12 }),
  loneSurrogate,
  fc.integer({ min: 480, max: 520 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 160, max: 175 }).map((n) => "张".repeat(n)),
  fc.constantFrom("", "x".repeat(16), "x".repeat(17), "北京市", "北京市朝阳区"),
);
const url = fc.oneof(
  fc.webUrl({
    validSchemes: ["http", "https", "ftp", "javascript", "data", "file", "mailto", "ws", "wss", "gopher", "blob"],
  }),
  fc.constantFrom(
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example.com/a.png",
    "/relative/a.png",
    "HTTPS://EXAMPLE.COM/A.PNG",
    "http:example.com",
    "https://例え.jp/a.png",
    "https://",
  ),
);
const number = fc.oneof(
  fc.integer({ min: 0, max: 4_294_967_295 }),
  fc.constantFrom(-1, 4_294_967_296, 1.5, 1e300, -0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 64),
  fc.double(),
);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const customValue = fc.oneof(
  text,
  number,
  fc.constantFrom("18446744073709551615", "18446744073709551616", "-1", "01", "1e3", " 7", "99999999999999999999"),
  anyJson,
);
const customKey = fc.oneof(
  fc.constantFrom("Test", "Score", "Secret", "Locked", "Nope", "", "__proto__", "constructor", "toString", "test"),
  fc.string({ maxLength: 10 }),
);
const custom = fc.oneof(fc.dictionary(customKey, customValue, { maxKeys: 4 }), anyJson);
// What a well-behaved client sends for a field: most runs should be writable.
const goodFor = (field: string): fc.Arbitrary<unknown> => {
  if (field === "custom") {
    return fc.record(
      {
        Test: fc.string({ unit: "grapheme", maxLength: 12 }),
        Score: fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: UINT64_MAX }).map(String)),
      },
      { requiredKeys: [] },
    );
  }
  if (field === "image") return fc.webUrl();
  if (field === "location") return fc.string({ maxLength: 16 });
  if (field in STRINGS) return fc.string({ unit: "grapheme", maxLength: 30 });
  if (field in ENUMS) return fc.constantFrom(...ENUMS[field]!);
  return fc.integer({ min: 0, max: 4_294_967_295 });
};
// And anything else.
const badFor = (field: string): fc.Arbitrary<unknown> => {
  if (field === "custom") return custom;
  if (field === "image") return fc.oneof(url, text, anyJson);
  if (field in STRINGS) return fc.oneof(text, anyJson);
  if (field in ENUMS) return fc.oneof(fc.constantFrom("male", "Gender_Type_Male", ""), anyJson);
  return fc.oneof(number, anyJson);
};
const entry = (field: string) =>
  fc
    .oneof({ weight: 3, arbitrary: goodFor(field) }, { weight: 2, arbitrary: badFor(field) })
    .map((value) => [field, value] as const);
const input = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .subarray([...FIELDS, "bogus"], { maxLength: 3 })
      .chain((fields) =>
        fc.tuple(...fields.map((f) => (f === "bogus" ? anyJson.map((v) => [f, v] as const) : entry(f)))),
      )
      .map((entries) => Object.fromEntries(entries)),
  },
  { weight: 1, arbitrary: anyJson },
);

describe("setProfile with arbitrary input", () => {
  // The two rules the service adds to Tencent's, as plain examples beside the property.
  it.each([
    [{ nick: "a\uD800b" }, "input.nick", /well-formed Unicode/],
    [{ custom: { Test: "\uDC00" } }, "input.custom.Test", /well-formed Unicode/],
    [{ image: "javascript:alert(1)" }, "input.image", /http: or https: URL/],
    [{ image: "data:image/png;base64,AAAA" }, "input.image", /http: or https: URL/],
    [{ image: "//cdn.example.com/a.png" }, "input.image", /http: or https: URL/],
  ])("refuses %j before any portrait_set", async (input, field, rule) => {
    svc.emulator.resetStats();
    const res = await post(
      svc.url,
      { query: "mutation($input: ProfileInput!) { setProfile(input: $input) { id } }", variables: { input } },
      { authorization: `Bearer ${svc.userToken}` },
    );
    expect(res.json.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(res.json.errors![0]!.message).toMatch(rule);
    expect(svc.emulator.calls).toEqual([]);
  });

  it("writes exactly the valid inputs; refuses the rest with BAD_USER_INPUT or FORBIDDEN and no portrait_set; never a 500", async () => {
    let written = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(input, async (raw) => {
        svc.emulator.resetStats();
        // What the server receives: JSON has no NaN, Infinity or -0.
        const sent = JSON.parse(JSON.stringify(raw ?? null)) as unknown;
        const res = await post(
          svc.url,
          { query: "mutation($input: ProfileInput!) { setProfile(input: $input) { id } }", variables: { input: sent } },
          { authorization: `Bearer ${svc.userToken}` },
        );
        const sets = svc.emulator.calls.filter((c) => c.api === "profile/portrait_set");
        const errorCodes = (res.json.errors ?? []).map((e) => e.extensions.code);
        expect(res.status).toBeLessThan(500);
        expect(errorCodes).not.toContain("INTERNAL_SERVER_ERROR");
        if (poisoned(sent)) {
          expect([res.status, errorCodes]).toEqual([400, ["BAD_REQUEST"]]);
          expect(sets).toEqual([]);
          return;
        }
        if (valid(sent)) {
          expect(res.json).toEqual({ data: { setProfile: { id: "zhang.wei" } } });
          expect(sets).toHaveLength(1);
          written++;
        } else {
          expect(errorCodes.length).toBeGreaterThan(0);
          for (const code of errorCodes) expect(["BAD_USER_INPUT", "FORBIDDEN"]).toContain(code);
          if (errorCodes.includes("FORBIDDEN")) expect(isObject(sent) && "adminForbidType" in sent).toBe(true);
          expect(sets).toEqual([]);
          refused++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Both sides of the oracle were exercised.
    expect(written).toBeGreaterThan(RUNS / 10);
    expect(refused).toBeGreaterThan(RUNS / 10);
  });
});
