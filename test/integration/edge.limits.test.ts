import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { readServiceSettings } from "../../src/config.js";
import { DEFAULTS } from "../../src/config/defaults.js";
import { post } from "../support/http.js";
import { importAccounts, startService, useServices, type Service } from "../support/service.js";
import { keepAliveGet, openSocket, responses, type RawSocket } from "../support/sockets.js";

// Every limit of `Limits` (src/config.ts): at the limit the request is served, one past it is
// refused with an error that names the limit, before any upstream call. Small configured values
// keep the requests small; the default account budget is checked at its real size too.

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

// The HTTP edge: how many sockets may be open, and how long one may take to send its request or
// sit idle. Each is a socket-level refusal, so no Tencent call can follow from it.
describe("connections and timeouts", () => {
  const start = useServices();
  const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);
  /** Whether a fresh connection is served: a GET /healthz answered (true) or closed unanswered (false). */
  const served = async (url: string) => {
    const socket = await openSocket(url);
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received()) === 1 || socket.closed()).toBe(true), {
      timeout: 2_000,
    });
    socket.destroy();
    return responses(socket.received()) === 1;
  };

  it("maxConnections: with a cap of 5, five sockets are served and stay open; more are closed at once, unanswered, until one leaves", async () => {
    const svc = await start({}, { http: { maxConnections: 5 } });
    const first = await Promise.all(times(5, () => openSocket(svc.url)));
    for (const socket of first) socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(first.map((s) => responses(s.received()))).toEqual([1, 1, 1, 1, 1]));

    const extra = await Promise.all(times(5, () => openSocket(svc.url)));
    for (const socket of extra) socket.write(keepAliveGet("/healthz"));
    // Closed by the server well before any timeout (the shortest, keep-alive, is 5 s here).
    await vi.waitFor(() => expect(extra.map((s) => s.closed())).toEqual([true, true, true, true, true]), {
      timeout: 2_000,
    });
    expect(extra.map((s) => s.received())).toEqual(["", "", "", "", ""]);

    // The first five were not disturbed: still open, and each serves a second request.
    expect(first.map((s) => s.closed())).toEqual([false, false, false, false, false]);
    for (const socket of first) socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(first.map((s) => responses(s.received()))).toEqual([2, 2, 2, 2, 2]));

    // A cap, not a ban: once one of the five leaves, a new connection gets its place.
    expect(await served(svc.url)).toBe(false);
    first[0]!.destroy();
    await vi.waitFor(async () => expect(await served(svc.url)).toBe(true), { timeout: 2_000 });
    expect(svc.emulator.calls).toEqual([]);
  });

  it("requestTimeoutMs: a request whose body trickles in, or never comes, is cut off (408) once 1000 ms have passed", async () => {
    // The idle timeout (6 s) is far off, and the header timeout (10 s) cannot outlast the request
    // it belongs to: only the request timeout can end these.
    const svc = await start({}, { http: { requestTimeoutMs: 1_000 } });
    const head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    const began = performance.now();
    const [trickling, silent] = (await Promise.all(times(2, () => openSocket(svc.url)))) as [RawSocket, RawSocket];
    trickling.write(head);
    silent.write(head);
    // One byte every 50 ms: never idle, and the whole body would take 50 s.
    let trickled = 0;
    const trickle = setInterval(() => {
      if (trickling.closed()) return;
      trickling.write(" ");
      trickled++;
    }, 50);
    try {
      await vi.waitFor(() => expect([trickling.closed(), silent.closed()]).toEqual([true, true]), {
        timeout: 5_000,
        interval: 50,
      });
    } finally {
      clearInterval(trickle);
      // Already closed when the timeout works; otherwise the failure should not wait for them.
      trickling.destroy();
      silent.destroy();
    }
    for (const socket of [trickling, silent]) {
      expect(socket.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      // Not before the timeout (timers never fire early): it was the request timeout that ended it.
      expect(socket.closedAt()! - began).toBeGreaterThanOrEqual(1_000);
    }
    expect(trickled).toBeGreaterThan(0);
    expect(svc.emulator.calls).toEqual([]);
  });

  it("keepAliveTimeoutMs: a kept-alive connection serves its next request, and is closed after 500 ms idle", async () => {
    // The request timeout (30 s) and the idle socket timeout (30.5 s) are far off.
    const svc = await start({}, { http: { keepAliveTimeoutMs: 500 } });
    const socket = await openSocket(svc.url);
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received())).toBe(1));
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received())).toBe(2));
    const idleSince = performance.now();
    expect(socket.closed()).toBe(false);
    // Node keeps an idle socket 1 s past the advertised `Keep-Alive: timeout` (so a client that
    // honours it never races the close): closed at about 1.5 s, far before anything else would close it.
    await vi.waitFor(() => expect(socket.closed()).toBe(true), { timeout: 4_000, interval: 25 });
    // The server's idle timer started as it sent the answer, a moment before it arrived here.
    expect(socket.closedAt()! - idleSince).toBeGreaterThanOrEqual(500);
    expect(responses(socket.received())).toBe(2);
    expect(svc.emulator.calls).toEqual([]);
  });
});
