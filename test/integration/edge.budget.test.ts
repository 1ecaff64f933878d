import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { post } from "../support/http.js";
import { importAccounts, startService, type Service } from "../support/service.js";

// The account budget of `Limits` (src/config.ts): the distinct accounts (and entries) one operation
// or HTTP batch can read, wherever they appear, and `_entities` apart. At the limit the request is
// served, one past it is refused naming the limit, before any upstream call (edge.limits.test.ts
// has the other limits). Small configured values keep the requests small; the default budget is
// checked at its real size too.

const TIGHT = {
  maxAccountsPerOperation: 10,
  maxEntriesPerOperation: 14,
  maxEntitiesPerOperation: 12,
  maxBatchOperations: 3,
};

let tight: Service;
let defaults: Service;
let accounts: string[];
beforeAll(async () => {
  [tight, defaults] = await Promise.all([startService({}, { limits: TIGHT }), startService()]);
  accounts = await importAccounts(tight, "t", 12);
});
afterAll(async () => {
  await Promise.all([tight.close(), defaults.close()]);
});
beforeEach(() => {
  for (const svc of [tight, defaults]) svc.emulator.resetStats();
});

const as = (svc: Service) => ({ authorization: `Bearer ${svc.userToken}` });
const nicks = (n: number, from = 0) =>
  accounts.slice(from, from + n).map((id) => ({ profile: { nick: `nick-${id}` } }));
const USERS = "query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }";
const TWO_LISTS =
  "query($a: [ID!]!, $b: [ID!]!) { a: users(ids: $a) { profile { nick } } b: users(ids: $b) { profile { nick } } }";
const accountLimit = (n: number, max = TIGHT.maxAccountsPerOperation) => ({
  errors: [
    {
      message: `This request could read ${n} distinct accounts; MAX_ACCOUNTS_PER_OPERATION allows ${max}. Split it into smaller requests.`,
      extensions: { code: "ACCOUNT_LIMIT_EXCEEDED", limit: max, accounts: n },
    },
  ],
});
const entryLimit = (n: number, max = TIGHT.maxEntriesPerOperation) => ({
  errors: [
    {
      message:
        `This request asks for ${n} entries (ids in users lists and user aliases, repeats included); ` +
        `MAX_ENTRIES_PER_OPERATION allows ${max}. Ask for each account once, or split the request.`,
      extensions: { code: "ENTRY_LIMIT_EXCEEDED", limit: max, entries: n },
    },
  ],
});

describe("maxAccountsPerOperation: the distinct accounts one operation can read, wherever they appear", () => {
  it("across users(ids) aliases: 5 + 5 are read in one portrait_get; 5 + 6 are refused", async () => {
    const ok = await post(
      tight.url,
      { query: TWO_LISTS, variables: { a: accounts.slice(0, 5), b: accounts.slice(5, 10) } },
      as(tight),
    );
    expect(ok.json).toEqual({ data: { a: nicks(5), b: nicks(5, 5) } });
    expect(tight.portraitGets().map((c) => c.length)).toEqual([10]);
    tight.emulator.resetStats();
    const over = await post(
      tight.url,
      { query: TWO_LISTS, variables: { a: accounts.slice(0, 5), b: accounts.slice(5, 11) } },
      as(tight),
    );
    expect(over.status).toBe(400);
    expect(over.json).toEqual(accountLimit(11));
    expect(tight.emulator.calls).toEqual([]);
  });

  it("repeated ids are one account each (Tencent is asked once per account)…", async () => {
    const ok = await post(
      tight.url,
      { query: TWO_LISTS, variables: { a: accounts.slice(0, 7), b: accounts.slice(0, 7) } },
      as(tight),
    );
    expect(ok.json).toEqual({ data: { a: nicks(7), b: nicks(7) } });
    expect(tight.portraitGets()).toEqual([accounts.slice(0, 7)]);
  });

  it("…but every entry is resolved and answered: past maxEntriesPerOperation, repeats are refused too", async () => {
    const over = await post(
      tight.url,
      { query: TWO_LISTS, variables: { a: accounts.slice(0, 7), b: [...accounts.slice(0, 7), accounts[0]] } },
      as(tight),
    );
    expect(over.status).toBe(400);
    expect(over.json).toEqual(entryLimit(15));
    expect(tight.emulator.calls).toEqual([]);
  });

  it("user(id) aliases and me count with users(ids)", async () => {
    const query = (extra: string) =>
      `query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } a: user(id: "${accounts[8]}") { profile { nick } } ${extra} }`;
    const ok = await post(
      tight.url,
      { query: query("me { id }"), variables: { ids: accounts.slice(0, 8) } },
      as(tight),
    );
    expect(ok.json.errors).toBeUndefined();
    tight.emulator.resetStats();
    const over = await post(
      tight.url,
      {
        query: query(`me { id } b: user(id: "${accounts[9]}") { profile { nick } }`),
        variables: { ids: accounts.slice(0, 8) },
      },
      as(tight),
    );
    expect(over.json).toEqual(accountLimit(11));
    expect(tight.emulator.calls).toEqual([]);
  });

  it("_entities representations have their own bound: 12 are read (over the account budget of 10); 13 are refused", async () => {
    const query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { nick } } } }";
    const reps = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: "User", id: accounts[i % 12]! }));
    const ok = await post(tight.url, { query, variables: { r: reps(12) } }, as(tight));
    expect(ok.json).toEqual({ data: { _entities: nicks(12) } });
    tight.emulator.resetStats();
    const over = await post(tight.url, { query, variables: { r: reps(13) } }, as(tight));
    expect(over.status).toBe(400);
    expect(over.json).toEqual({
      errors: [
        {
          message:
            "This request holds 13 _entities representations; MAX_ENTITIES_PER_OPERATION allows 12. Fetch fewer entities at a time.",
          extensions: { code: "ENTITY_LIMIT_EXCEEDED", limit: 12, entities: 13 },
        },
      ],
    });
    expect(tight.emulator.calls).toEqual([]);
  });

  it("ids in variable defaults count: two defaults of 6 ids are refused", async () => {
    const list = (ids: string[]) => `[${ids.map((id) => JSON.stringify(id)).join(", ")}]`;
    const query = `query($a: [ID!]! = ${list(accounts.slice(0, 6))}, $b: [ID!]! = ${list(accounts.slice(6, 12))}) {
      a: users(ids: $a) { profile { nick } } b: users(ids: $b) { profile { nick } } }`;
    const over = await post(tight.url, { query }, as(tight));
    expect(over.json).toEqual(accountLimit(12));
    expect(tight.emulator.calls).toEqual([]);
    // A variable that is sent replaces its default.
    const ok = await post(tight.url, { query, variables: { b: accounts.slice(0, 2) } }, as(tight));
    expect(ok.json).toEqual({ data: { a: nicks(6), b: nicks(2) } });
  });

  it("an HTTP batch counts its operations together: 5 + 5 are read; 5 + 6 are refused before either runs", async () => {
    const ok = await post(
      tight.url,
      [
        { query: USERS, variables: { ids: accounts.slice(0, 5) } },
        { query: USERS, variables: { ids: accounts.slice(5, 10) } },
      ],
      as(tight),
    );
    expect(JSON.parse(ok.text)).toEqual([{ data: { users: nicks(5) } }, { data: { users: nicks(5, 5) } }]);
    tight.emulator.resetStats();
    const over = await post(
      tight.url,
      [
        { query: USERS, variables: { ids: accounts.slice(0, 5) } },
        { query: USERS, variables: { ids: accounts.slice(5, 11) } },
      ],
      as(tight),
    );
    expect(over.status).toBe(400);
    expect(over.json).toEqual(accountLimit(11));
    expect(tight.emulator.calls).toEqual([]);
  });

  it("a batch piece sent as a persisted-query hash counts with the others", async () => {
    const persisted = "query Persisted($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }";
    const extensions = {
      persistedQuery: { version: 1, sha256Hash: createHash("sha256").update(persisted).digest("hex") },
    };
    const registered = await post(
      tight.url,
      { query: persisted, variables: { ids: [accounts[0]] }, extensions },
      as(tight),
    );
    expect(registered.json.errors).toBeUndefined();
    tight.emulator.resetStats();
    const batch = (hashIds: string[]) => [
      { query: USERS, variables: { ids: accounts.slice(0, 5) } },
      { variables: { ids: hashIds }, extensions },
    ];
    const over = await post(tight.url, batch(accounts.slice(5, 11)), as(tight));
    expect(over.status).toBe(400);
    expect(over.json).toEqual(accountLimit(11));
    expect(tight.emulator.calls).toEqual([]);
    const ok = await post(tight.url, batch(accounts.slice(5, 10)), as(tight));
    expect(JSON.parse(ok.text)).toEqual([{ data: { users: nicks(5) } }, { data: { users: nicks(5, 5) } }]);
  });

  it("the default budget of 1000 holds across aliases: 500 + 500 are read in 10 calls; 500 + 501 are refused", async () => {
    const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const ok = await post(
      defaults.url,
      { query: TWO_LISTS, variables: { a: ids(500, "p"), b: ids(500, "q") } },
      as(defaults),
    );
    expect(ok.status).toBe(200);
    expect(defaults.portraitGets()).toHaveLength(10);
    defaults.emulator.resetStats();
    const over = await post(
      defaults.url,
      { query: TWO_LISTS, variables: { a: ids(500, "p"), b: ids(501, "q") } },
      as(defaults),
    );
    expect(over.json).toEqual(accountLimit(1001, 1000));
    expect(defaults.emulator.calls).toEqual([]);
  });
});
