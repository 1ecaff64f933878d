import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { post, type RawAnswer } from "../support/http.js";
import { startService, type Service } from "../support/service.js";

// Arbitrary arguments for user(id), users(ids), custom(keys) and _entities representations: never
// a 500 or an internal error, and an entry that cannot be read fails at its own path only, while
// the others are read (only they go upstream).

const SEED = 20261202;
const RUNS = 100;

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());
beforeEach(() => svc.emulator.resetStats());

// The emulator's demo accounts (and its admin): they exist, with a nick or without.
const EXISTING = ["zhang.wei", "li.na", "sato.yuki", "kim.minjun", "alex.chen", "administrator"];
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
/** A Tencent UserID: 1 to 32 bytes of UTF-8, printable (no control, format or bidi characters, no lone surrogates). */
const isUserId = (id: unknown): id is string =>
  typeof id === "string" && Buffer.byteLength(id) >= 1 && Buffer.byteLength(id) <= 32 && !UNPRINTABLE.test(id);

const id = fc.oneof(
  fc.constantFrom(...EXISTING),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom(
    "",
    " ",
    "x".repeat(32),
    "x".repeat(33),
    "张".repeat(11),
    "a\r\nb",
    "\u202Eabc",
    "a\u200Bb",
    "\uD800",
    "a\u0000",
    "ghost",
  ),
);
const idOrNumber = fc.oneof(
  { weight: 9, arbitrary: id },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
);

async function read(query: string, variables: Record<string, unknown>): Promise<RawAnswer> {
  svc.emulator.resetStats();
  const res = await post(svc.url, { query, variables }, { authorization: `Bearer ${svc.userToken}` });
  expect(res.status).toBeLessThan(500);
  expect((res.json.errors ?? []).map((e) => e.extensions.code)).not.toContain("INTERNAL_SERVER_ERROR");
  return res;
}

const asked = () => new Set(svc.portraitGets().flat());
const errorsAt = (res: RawAnswer) => (res.json.errors ?? []).map((e) => [JSON.stringify(e.path), e.extensions.code]);

/** What one entry at `path` must look like: read, not found, or refused as no UserID. */
function expectEntry(res: RawAnswer, entry: unknown, rawId: unknown, path: (string | number)[]) {
  const id = typeof rawId === "number" ? String(rawId) : rawId;
  const errors = errorsAt(res);
  if (!isUserId(id)) {
    expect(entry).toBeNull();
    expect(errors).toContainEqual([JSON.stringify(path), "BAD_USER_INPUT"]);
  } else if (EXISTING.includes(id)) {
    expect(entry).toMatchObject({ profile: { nick: expect.toBeOneOf([expect.any(String), null]) } });
    expect(asked().has(id)).toBe(true);
  } else {
    expect(entry).toEqual({ profile: null });
    expect(errors).toContainEqual([JSON.stringify([...path, "profile"]), "ACCOUNT_NOT_FOUND"]);
  }
}

describe("arbitrary read arguments", () => {
  it("users(ids): each id fails at its own index or is read; only valid ids go upstream", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(idOrNumber, { maxLength: 12 }), async (ids) => {
        const res = await read("query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }", { ids });
        const users = (res.json.data as { users: unknown[] }).users;
        expect(users).toHaveLength(ids.length);
        ids.forEach((raw, i) => expectEntry(res, users[i], raw, ["users", i]));
        const valid = ids.map((raw) => (typeof raw === "number" ? String(raw) : raw)).filter(isUserId);
        expect(asked()).toEqual(new Set(valid));
        // Every error belongs to one entry.
        for (const e of res.json.errors ?? []) expect(e.path?.slice(0, 2)).toEqual(["users", expect.any(Number)]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("user(id): an id that is no UserID is BAD_USER_INPUT at user, nothing upstream", async () => {
    await fc.assert(
      fc.asyncProperty(idOrNumber, async (raw) => {
        const res = await read("query($id: ID!) { user(id: $id) { profile { nick } } }", { id: raw });
        const user = (res.json.data as { user: unknown }).user;
        expectEntry(res, user, raw, ["user"]);
        expect(res.json.errors ?? []).toHaveLength(
          isUserId(typeof raw === "number" ? String(raw) : raw) && EXISTING.includes(raw as string) ? 0 : 1,
        );
        if (!isUserId(typeof raw === "number" ? String(raw) : raw)) expect(svc.emulator.calls).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("custom(keys): readable configured keys are read; anything else is one BAD_USER_INPUT (400) with a short message and nothing upstream", async () => {
    const key = fc.oneof(
      fc.constantFrom("Test", "Score", "Locked", "Secret", "Nope", "", "test", "__proto__"),
      fc.string({ maxLength: 60 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(fc.array(key, { maxLength: 4 }), { nil: null }), async (keys) => {
        const res = await read(
          'query($keys: [String!]) { a: user(id: "zhang.wei") { profile { custom(keys: $keys) } } b: me { profile { custom(keys: $keys) } } }',
          { keys },
        );
        const readable = keys === null || keys.every((k) => ["Test", "Score", "Locked"].includes(k));
        if (readable) {
          expect(res.json.errors).toBeUndefined();
          const { custom } = (res.json.data as { a: { profile: { custom: Record<string, unknown> } } }).a.profile;
          for (const k of Object.keys(custom)) expect(keys ?? ["Test", "Score", "Locked"]).toContain(k);
        } else {
          expect(res.status).toBe(400);
          expect(res.json.errors).toHaveLength(1);
          expect(res.json.errors![0]!.extensions.code).toBe("BAD_USER_INPUT");
          expect(res.json.errors![0]!.message.length).toBeLessThan(400);
          for (const k of keys) if ([...k].length > 40) expect(res.text).not.toContain(JSON.stringify(k).slice(1, -1));
          expect(svc.emulator.calls).toEqual([]);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("_entities: a representation that is not a User with a valid id fails at its own index; the others are read", async () => {
    const representation = fc.oneof(
      { weight: 4, arbitrary: idOrNumber.map((id) => ({ __typename: "User", id })) },
      {
        weight: 2,
        arbitrary: fc.record(
          { __typename: fc.constantFrom("User", "Profile", "Query", "_Service", "Nope", "", "__proto__"), id },
          { requiredKeys: [] },
        ),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(representation, { maxLength: 8 }), async (reps) => {
        const sent = JSON.parse(JSON.stringify(reps)) as unknown[];
        const res = await read(
          "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { nick } } } }",
          { r: sent },
        );
        if (sent.some((r) => r === null)) {
          // [_Any!]!: a null is refused when the variables are coerced, before anything runs.
          expect(res.status).toBe(400);
          expect(res.json.errors!.map((e) => e.extensions.code)).toEqual(["BAD_USER_INPUT"]);
          expect(svc.emulator.calls).toEqual([]);
          return;
        }
        const entities = (res.json.data as { _entities: unknown[] })._entities;
        expect(entities).toHaveLength(sent.length);
        const readable: string[] = [];
        sent.forEach((rep, i) => {
          const isUser =
            typeof rep === "object" &&
            rep !== null &&
            !Array.isArray(rep) &&
            (rep as { __typename?: unknown }).__typename === "User";
          const rawId = isUser ? (rep as { id?: unknown }).id : undefined;
          if (!isUser || !isUserId(rawId)) {
            expect(entities[i]).toBeNull();
            expect(errorsAt(res)).toContainEqual([JSON.stringify(["_entities", i]), "BAD_USER_INPUT"]);
          } else {
            expectEntry(res, entities[i], rawId, ["_entities", i]);
            readable.push(rawId);
          }
        });
        expect(asked()).toEqual(new Set(readable));
        for (const e of res.json.errors ?? []) expect(e.path?.slice(0, 2)).toEqual(["_entities", expect.any(Number)]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
