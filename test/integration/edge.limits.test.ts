import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readServiceSettings } from "../../src/config.js";
import { DEFAULTS } from "../../src/config/defaults.js";
import { post } from "../support/http.js";
import { importAccounts, startService, type Service } from "../support/service.js";

// Every limit of `Limits` (src/config.ts): at the limit the request is served, one past it is
// refused with an error that names the limit, before any upstream call. Small configured values
// keep the requests small. The account budget is edge.budget.test.ts; sockets and timeouts are
// edge.connections.test.ts.

const TIGHT = {
  maxUsers: 8,
  maxAccountsPerOperation: 10,
  maxEntriesPerOperation: 14,
  maxEntitiesPerOperation: 12,
  maxBatchOperations: 3,
  maxAliases: 4,
  maxDepth: 3,
  maxTokens: 300,
  maxDirectives: 3,
  bodyLimitBytes: 8192,
};

let tight: Service;
let shallow: Service; // maxDepth 2: one level under what reading a profile takes
let defaults: Service;
let accounts: string[];
beforeAll(async () => {
  [tight, shallow, defaults] = await Promise.all([
    startService({}, { limits: TIGHT }),
    startService({}, { limits: { maxDepth: 2 } }),
    startService(),
  ]);
  accounts = await importAccounts(tight, "t", 12);
});
afterAll(async () => {
  await Promise.all([tight.close(), shallow.close(), defaults.close()]);
});
beforeEach(() => {
  for (const svc of [tight, shallow, defaults]) svc.emulator.resetStats();
});

const as = (svc: Service) => ({ authorization: `Bearer ${svc.userToken}` });
const nicks = (n: number, from = 0) =>
  accounts.slice(from, from + n).map((id) => ({ profile: { nick: `nick-${id}` } }));
const USERS = "query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }";
describe("limits", () => {
  it("config falls back to DEFAULTS (src/config/defaults.ts) for every limit and HTTP setting, as createServer does", () => {
    expect(readServiceSettings({}).limits).toEqual(DEFAULTS.limits);
    expect(readServiceSettings({}).http).toEqual(DEFAULTS.http);
  });

  it("maxUsers: 8 ids are read; 9 are refused (BAD_USER_INPUT naming the limit), with no portrait_get", async () => {
    const ok = await post(tight.url, { query: USERS, variables: { ids: accounts.slice(0, 8) } }, as(tight));
    expect(ok.json).toEqual({ data: { users: nicks(8) } });
    expect(tight.portraitGets()).toHaveLength(1);
    tight.emulator.resetStats();
    const over = await post(tight.url, { query: USERS, variables: { ids: accounts.slice(0, 9) } }, as(tight));
    expect(over.json.errors).toEqual([
      expect.objectContaining({
        message: "ids must hold at most 8 ids (got 9)",
        extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }),
      }),
    ]);
    expect(tight.emulator.calls).toEqual([]);
  });

  it("maxBatchOperations: 3 operations run; 4 are refused, naming MAX_BATCH_OPERATIONS", async () => {
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ query: USERS, variables: { ids: [accounts[i]] } }));
    const ok = await post(tight.url, batch(3), as(tight));
    expect(JSON.parse(ok.text)).toEqual([0, 1, 2].map((i) => ({ data: { users: nicks(1, i) } })));
    tight.emulator.resetStats();
    const over = await post(tight.url, batch(4), as(tight));
    expect(over.status).toBe(400);
    expect(over.json).toEqual({
      errors: [
        {
          message: "A batch may hold at most 3 operations (MAX_BATCH_OPERATIONS); got 4",
          extensions: { code: "BAD_REQUEST" },
        },
      ],
    });
    expect(tight.emulator.calls).toEqual([]);
  });

  it("maxAliases: 4 aliases run; 5 are refused", async () => {
    const query = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: user(id: "${accounts[i]}") { profile { nick } }`).join(" ")} }`;
    const ok = await post(tight.url, { query: query(4) }, as(tight));
    expect(ok.json.errors).toBeUndefined();
    expect(Object.keys(ok.json.data as object)).toHaveLength(4);
    tight.emulator.resetStats();
    const over = await post(tight.url, { query: query(5) }, as(tight));
    expect(over.status).toBe(400);
    expect(over.json.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/Aliases limit of 4 exceeded, found 5.*\(MAX_ALIASES\)/),
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      }),
    ]);
    expect(tight.emulator.calls).toEqual([]);
  });

  it("maxDepth counts through fragments: depth 2 runs; a depth-3 profile read through two fragments is refused", async () => {
    const ok = await post(
      shallow.url,
      { query: '{ users(ids: ["li.na"]) { ...U } } fragment U on User { id }' },
      as(shallow),
    );
    expect(ok.json).toEqual({ data: { users: [{ id: "li.na" }] } });
    const over = await post(
      shallow.url,
      {
        query:
          '{ users(ids: ["li.na"]) { ...U } } fragment U on User { profile { ...P } } fragment P on Profile { nick }',
      },
      as(shallow),
    );
    expect(over.status).toBe(400);
    expect(over.json.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/depth limit of 2 exceeded, found 3.*\(MAX_DEPTH\)/),
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      }),
    ]);
    expect(shallow.emulator.calls).toEqual([]);
    // The same read is served where the limit is 3.
    const three = await post(
      tight.url,
      {
        query: `{ users(ids: ["${accounts[0]}"]) { ...U } } fragment U on User { profile { ...P } } fragment P on Profile { nick }`,
      },
      as(tight),
    );
    expect(three.json).toEqual({ data: { users: nicks(1) } });
  });

  it("maxTokens: a document of 300 tokens runs; 301 are refused while parsing", async () => {
    // `{ me { profile { nick } }` is 8 tokens, the closing brace 1, each __typename 1.
    const query = (tokens: number) => `{ me { profile { nick } } ${"__typename ".repeat(tokens - 9)}}`;
    const ok = await post(tight.url, { query: query(300) }, as(tight));
    expect(ok.json.errors).toBeUndefined();
    expect(tight.portraitGets()).toHaveLength(1);
    tight.emulator.resetStats();
    const over = await post(tight.url, { query: query(301) }, as(tight));
    expect(over.status).toBe(400);
    expect(over.json.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/more that 300 tokens.*\(MAX_TOKENS\)/),
        extensions: { code: "GRAPHQL_PARSE_FAILED" },
      }),
    ]);
    expect(tight.emulator.calls).toEqual([]);
  });

  it("maxDirectives: 3 directives run; 4 are refused", async () => {
    const query = (n: number) =>
      `{ me { profile { ${["nick", "level", "gender", "role"]
        .slice(0, n)
        .map((f) => `${f} @include(if: true)`)
        .join(" ")} } } }`;
    const ok = await post(tight.url, { query: query(3) }, as(tight));
    expect(ok.json.errors).toBeUndefined();
    tight.emulator.resetStats();
    const over = await post(tight.url, { query: query(4) }, as(tight));
    expect(over.status).toBe(400);
    expect(over.json.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/Directives limit of 3 exceeded, found 4.*\(MAX_DIRECTIVES\)/),
        extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
      }),
    ]);
    expect(tight.emulator.calls).toEqual([]);
  });

  it("bodyLimitBytes: a body of exactly 8192 bytes runs; 8193 bytes are refused with 413, naming BODY_LIMIT_BYTES", async () => {
    const body = (bytes: number) => {
      const json = JSON.stringify({ query: "{ me { profile { nick } } }" });
      return json + " ".repeat(bytes - Buffer.byteLength(json));
    };
    const ok = await post(tight.url, body(8192), as(tight));
    expect(ok.status).toBe(200);
    expect(ok.json.errors).toBeUndefined();
    tight.emulator.resetStats();
    const over = await post(tight.url, body(8193), as(tight));
    expect(over.status).toBe(413);
    expect(over.json).toEqual({
      errors: [
        {
          message: "The request body is larger than 8192 bytes (BODY_LIMIT_BYTES)",
          extensions: { code: "PAYLOAD_TOO_LARGE" },
        },
      ],
    });
    expect(tight.emulator.calls).toEqual([]);
  });

  it("fragment chains (a fixed bound of 100, under what validation can recurse through): 100 run; 101 are refused", async () => {
    const chain = (n: number) =>
      `{ me { ...F0 } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on User { ${i + 1 < n ? `...F${i + 1}` : "profile { nick }"} }`).join(" ")}`;
    const ok = await post(defaults.url, { query: chain(100) }, as(defaults));
    expect(ok.json).toEqual({ data: { me: { profile: { nick: "张伟" } } } });
    defaults.emulator.resetStats();
    const over = await post(defaults.url, { query: chain(101) }, as(defaults));
    expect(over.status).toBe(400);
    expect(over.json).toEqual({
      errors: [
        {
          message: "Fragments are chained 101 deep; at most 100 levels are allowed",
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        },
      ],
    });
    expect(defaults.emulator.calls).toEqual([]);
  });
});
