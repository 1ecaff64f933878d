import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { BatchHttpLink } from "@apollo/client/link/batch-http";
import { ApolloClient, gql, InMemoryCache } from "@apollo/client";
import { Client, fetchExchange } from "@urql/core";
import { SignJWT } from "jose";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAuthenticator } from "../../src/server/auth.js";
import { get, post, rawExchange } from "../support/http.js";
import { JWT_SECRET, startService, token, type Service } from "../support/service.js";
import { useMainProcesses } from "../support/main.js";
import { openSocket } from "../support/sockets.js";

// The attacks of the issue, each replayed against the service as it is now. Every one of these
// tests fails on the code before the fix (0ad9feb): there the same request was answered 200 with
// the data, the 500, the token or the stall that the issue's table records.

const startMain = useMainProcesses();
let prod: Service; // production defaults: no anonymous introspection
let open: Service; // production with ANONYMOUS_INTROSPECTION=true: the most an anonymous caller can get
beforeAll(async () => {
  [prod, open] = await Promise.all([startService(), startService({}, { anonymousIntrospection: true })]);
});
afterAll(async () => {
  await Promise.all([prod.close(), open.close()]);
});
beforeEach(() => {
  prod.emulator.resetStats();
  open.emulator.resetStats();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const aliases = (n: number, field: (i: number) => string) =>
  `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(" ")} }`;
const ids = (n: number, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const codes = (errors: { extensions: Record<string, unknown> }[] | undefined) =>
  (errors ?? []).map((e) => e.extensions.code);
const fragmentChain = (n: number) =>
  `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ${i + 1 < n ? `...F${i + 1}` : "__typename"} }`).join(" ")}`;

describe("the attacks of the issue, as they land now", () => {
  it("#1 300,000 __typename aliases without a token: 413 at 5.5 MB; under the body limit, 400 at the token limit", async () => {
    const full = aliases(300_000, () => "__typename");
    expect(full.length).toBeGreaterThan(5_000_000);
    const big = await post(open.url, { query: full });
    expect(big.status).toBe(413);
    expect(codes(big.json.errors)).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(big.text.length).toBeLessThan(300);
    // The same attack shrunk to fit in the 1 MiB body (45,000 aliases, ~0.85 MB) stops at parsing.
    const fits = await post(open.url, { query: aliases(45_000, () => "__typename") });
    expect(fits.status).toBe(400);
    expect(codes(fits.json.errors)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(fits.json.errors![0]!.message).toMatch(/more that 2000 tokens/);
    expect(fits.text.length).toBeLessThan(300);
    expect(open.emulator.calls).toEqual([]);
  });

  it("#2 1,000 aliased __schema selections without a token: 400 with a few hundred bytes, even where anonymous introspection is on", async () => {
    const attack = aliases(1000, () => "__schema { types { name fields { name type { name } } } }");
    expect(attack.length).toBeGreaterThan(50_000);
    for (const svc of [open, prod]) {
      const res = await post(svc.url, { query: attack });
      expect(res.status).toBe(400);
      expect(res.text.length).toBeLessThan(300);
    }
    // Within the token limit, the alias limit is what stops it.
    const res = await post(open.url, { query: aliases(31, () => "__schema { types { name } }") });
    expect(res.status).toBe(400);
    expect(res.json.errors![0]!.message).toMatch(/Aliases limit of 30 exceeded, found 31/);
    // Within every structural limit, two copies of the whole schema are one too many.
    const twice = await post(open.url, { query: aliases(2, () => "__schema { types { name } }") });
    expect(twice.status).toBe(400);
    expect(twice.json.errors!.map((e) => e.message)).toContain("A document may select __schema at most once");
    expect((await post(open.url, { query: "{ __schema { queryType { name } } }" })).status).toBe(200);
    expect(open.emulator.calls).toEqual([]);
  });

  it("#3 an anonymous caller cannot register a persisted query, so a 123-byte GET replays nothing", async () => {
    const attack = aliases(45_000, () => "__typename");
    const hash = createHash("sha256").update(attack).digest("hex");
    const persisted = { persistedQuery: { version: 1, sha256Hash: hash } };
    // Even a caller with a token cannot register it: it never parses, so it is never stored.
    const register = await post(open.url, { query: attack, extensions: persisted }, bearer(open.userToken));
    expect(register.status).toBe(400);
    // Without a token, not even a harmless schema-only query, where anonymous introspection is allowed.
    const small = "{ __typename }";
    const smallHash = createHash("sha256").update(small).digest("hex");
    const refused = await post(open.url, {
      query: small,
      extensions: { persistedQuery: { version: 1, sha256Hash: smallHash } },
    });
    expect(refused.status).toBe(401);
    expect(refused.json.errors![0]!.message).toMatch(/required to register a persisted query/);

    for (const sha256Hash of [hash, smallHash]) {
      const replay = await get(
        open.url,
        { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash } }) },
        { "apollo-require-preflight": "1" },
      );
      expect(replay.status).toBe(200);
      expect(codes(replay.json.errors)).toEqual(["PERSISTED_QUERY_NOT_FOUND"]);
      expect(replay.json.data).toBeUndefined();
    }
    expect(open.emulator.calls).toEqual([]);
  });

  it("#4 bodies past the limit without a token: 413 from the declared length (300 MiB), 413 while a 3 MB stream comes in", async () => {
    // The real size is declared, not sent: the answer comes from the headers alone.
    const head = await rawExchange(
      prod.url,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${300 * 1024 * 1024}\r\n\r\n`,
    );
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    // 3 MB stands for 5–300 MiB: the limit is 1 MiB. Chunked, so no length is declared.
    const chunk = Buffer.alloc(64 * 1024, " ");
    let sent = 0;
    const body = Readable.from(
      (function* () {
        yield Buffer.from('{"query":"{ __typename }"');
        for (let i = 0; i < 48; i++) {
          sent += chunk.length;
          yield chunk;
        }
        yield Buffer.from("}");
      })(),
    );
    // The answer comes while the body is still arriving; the lingering close lets the client read
    // it (edge.body-limit.test.ts shows it for fetch, Node's http and curl, out of process).
    const res = await request(prod.url, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(await res.body.json()).toMatchObject({ errors: [{ extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
    expect(sent).toBeLessThanOrEqual(48 * chunk.length);
    expect(prod.emulator.calls).toEqual([]);
  });

  it("#5 one signed request of 50 aliases × users(ids: 1,000 distinct): 400 before any portrait_get; 30 aliases hit the account budget", async () => {
    const variables = Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`i${k}`, ids(1000, `k${k}-`)]));
    const query = (n: number) =>
      `query(${Array.from({ length: n }, (_, k) => `$i${k}: [ID!]!`).join(", ")}) ${aliases(n, (k) => `users(ids: $i${k}) { profile { nick } }`)}`;
    const fifty = await post(prod.url, { query: query(50), variables }, bearer(prod.userToken));
    expect(fifty.status).toBe(400);
    expect(fifty.json.errors![0]!.message).toMatch(/Aliases limit of 30 exceeded, found 50/);
    const thirty = await post(
      prod.url,
      { query: query(30), variables: Object.fromEntries(Object.entries(variables).slice(0, 30)) },
      bearer(prod.userToken),
    );
    expect(thirty.status).toBe(400);
    expect(thirty.json.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/could read 30000 distinct accounts; MAX_ACCOUNTS_PER_OPERATION allows 1000/),
        extensions: { code: "ACCOUNT_LIMIT_EXCEEDED", limit: 1000, accounts: 30000 },
      }),
    ]);
    // The same 1000 ids in every alias would cost Tencent only 10 calls, but 30,000 answered
    // entries (megabytes, seconds of work; ten times that in an HTTP batch): refused by the entries bound.
    const same = { ids: ids(1000) };
    const repeated = await post(
      prod.url,
      { query: `query($ids: [ID!]!) ${aliases(30, () => "users(ids: $ids) { profile { nick } }")}`, variables: same },
      bearer(prod.userToken),
    );
    expect(repeated.status).toBe(400);
    expect(repeated.json.errors).toEqual([
      expect.objectContaining({ extensions: { code: "ENTRY_LIMIT_EXCEEDED", limit: 5000, entries: 30000 } }),
    ]);
    expect(repeated.text.length).toBeLessThan(400);
    expect(prod.emulator.calls).toEqual([]);
  });

  it('#6 custom(keys: ["nope"]) under 20 aliases of users(ids): one error, a 400, no portrait_get', async () => {
    const query = `query($ids: [ID!]!) ${aliases(20, () => 'users(ids: $ids) { profile { custom(keys: ["nope"]) } }')}`;
    // As filed (20 × the same 1,000 profiles), it now asks for more entries than allowed.
    const filed = await post(prod.url, { query, variables: { ids: ids(1000) } }, bearer(prod.userToken));
    expect(filed.status).toBe(400);
    expect(filed.json.errors).toEqual([
      expect.objectContaining({ extensions: { code: "ENTRY_LIMIT_EXCEEDED", limit: 5000, entries: 20000 } }),
    ]);
    // Within the budget (20 × 50 = 1,000 profiles; 1,000 errors on the old code): the key is refused once.
    const res = await post(prod.url, { query, variables: { ids: ids(50) } }, bearer(prod.userToken));
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([
      {
        message: "custom(keys).nope is not a configured custom tag",
        extensions: expect.objectContaining({ code: "BAD_USER_INPUT", field: "custom(keys).nope" }),
      },
    ]);
    expect(res.text.length).toBeLessThan(400);
    expect(prod.emulator.calls).toEqual([]);
  });

  it("#7 _entities with 20,000 representations, distinct or all the same: refused by the entities bound, no portrait_get", async () => {
    const query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { nick } } } }";
    const refused = { code: "ENTITY_LIMIT_EXCEEDED", limit: 5000, entities: 20000 };
    const cases = [
      [ids(20_000).map((id) => ({ __typename: "User", id })), refused],
      [Array.from({ length: 20_000 }, () => ({ __typename: "User", id: "li.na" })), refused],
    ] as const;
    for (const [representations, extensions] of cases) {
      const res = await post(prod.url, { query, variables: { r: representations } }, bearer(prod.userToken));
      expect(res.status).toBe(400);
      expect(res.json.errors).toEqual([expect.objectContaining({ extensions })]);
      expect(res.text.length).toBeLessThan(400);
    }
    expect(prod.emulator.calls).toEqual([]);
  });

  it("#8 2,000 user(id:) aliases: 400 at the token limit; 31 stop at the alias limit; no portrait_get", async () => {
    const all = await post(
      prod.url,
      { query: aliases(2000, (i) => `user(id: "u${i}") { profile { nick } }`) },
      bearer(prod.userToken),
    );
    expect(all.status).toBe(400);
    expect(codes(all.json.errors)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    const some = await post(
      prod.url,
      { query: aliases(31, (i) => `user(id: "u${i}") { profile { nick } }`) },
      bearer(prod.userToken),
    );
    expect(some.status).toBe(400);
    expect(some.json.errors![0]!.message).toMatch(/Aliases limit of 30 exceeded, found 31/);
    expect(prod.emulator.calls).toEqual([]);
  });

  it("#9 a 10,000-deep fragment chain without a token is a 400, never a 500, even where MAX_TOKENS lets it parse", async () => {
    const chain = fragmentChain(10_000);
    const res = await post(prod.url, { query: chain });
    expect(res.status).toBe(400);
    expect(codes(res.json.errors)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    // With a token limit high enough to parse it, validation would recurse along the chain and
    // overflow the stack (a 500 from 3,000 fragments on); 5,000 stand for 10,000 here, to parse faster.
    const deepChain = fragmentChain(5_000);
    const lax = await startService({}, { limits: { maxTokens: 100_000, bodyLimitBytes: 4 * 1024 * 1024 } });
    try {
      const refused = {
        errors: [
          {
            message: "Fragments are chained 5000 deep; at most 100 levels are allowed",
            extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
          },
        ],
      };
      const single = await post(lax.url, { query: deepChain });
      expect(single.status).toBe(400);
      expect(single.json).toEqual(refused);
      // Inside an HTTP batch too (the batch's account count walks fragments before Apollo runs).
      const batch = await post(lax.url, [{ query: deepChain }]);
      expect(batch.status).toBe(400);
      expect(JSON.parse(batch.text)).toEqual([refused]);
      expect(lax.emulator.calls).toEqual([]);
    } finally {
      await lax.close();
    }
  });

  it("#10 a configured AUTH_JWT_SECRET never signs printed tokens; only a secret made for the run does; production needs one", async () => {
    const configured = "a-configured-secret-of-more-than-32-bytes";
    const [withSecret, bare, production] = await Promise.all([
      startMain({ AUTH_JWT_SECRET: configured }, /upstream check passed/),
      startMain({}, /admin administrator: Bearer \S+/),
      startMain({ NODE_ENV: "production" }, undefined),
    ]);
    expect(withSecret.output).toMatch(/ready at .*\(development\)/);
    expect(withSecret.output).not.toMatch(/Bearer|eyJ/);
    // With nothing set, the tokens are signed with a generated secret: not with the configured one.
    expect(bare.output).toMatch(/user\s+zhang\.wei:\s+Bearer eyJ/);
    expect(bare.output).toMatch(/signed with a secret generated for this run/);
    expect(production.exitCode).not.toBe(0);
    expect(production.output).toMatch(
      /AUTH_JWT_SECRET="" is invalid: expected AUTH_JWT_SECRET or AUTH_JWKS_URL in production/,
    );
    expect(production.output).not.toMatch(/ready at|Bearer/);
  });

  it("#11 a 6-byte AUTH_JWT_SECRET in production refuses to start, naming the variable but not the value", async () => {
    const started = await startMain(
      {
        NODE_ENV: "production",
        AUTH_JWT_SECRET: "qz7Xw9",
        TIM_SDKAPPID: "1400000009",
        TIM_SECRET_KEY: "a-tencent-key",
      },
      undefined,
    );
    expect(started.exitCode).not.toBe(0);
    expect(started.output).toMatch(
      /AUTH_JWT_SECRET="<6 bytes>" is invalid: expected a secret of at least 32 bytes in production/,
    );
    expect(started.output).not.toContain("qz7Xw9");
    expect(started.output).not.toMatch(/ready at/);
  });

  it("#12 a token without exp, or with a foreign iss or aud where they are configured: 401, no upstream call", async () => {
    const strict = await startService(
      {},
      {
        authenticate: createAuthenticator({
          jwtSecret: JWT_SECRET,
          issuer: "https://id.example.com",
          audience: "portrait-graph",
        }),
      },
    );
    const key = new TextEncoder().encode(JWT_SECRET);
    const sign = (claims: { iss?: string; aud?: string; exp?: boolean }) => {
      const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("zhang.wei").setIssuedAt();
      if (claims.iss) jwt.setIssuer(claims.iss);
      if (claims.aud) jwt.setAudience(claims.aud);
      if (claims.exp !== false) jwt.setExpirationTime("5m");
      return jwt.sign(key);
    };
    try {
      const query = { query: '{ user(id: "li.na") { profile { nick } } }' };
      const good = await post(
        strict.url,
        query,
        bearer(await sign({ iss: "https://id.example.com", aud: "portrait-graph" })),
      );
      expect(good.json).toEqual({ data: { user: { profile: { nick: "李娜" } } } });
      strict.emulator.resetStats();
      for (const [claims, message] of [
        [{ iss: "https://id.example.com", aud: "portrait-graph", exp: false }, /no exp claim/],
        [{ iss: "https://evil.example.com", aud: "portrait-graph" }, /iss claim is invalid/],
        [{ iss: "https://id.example.com", aud: "another-api" }, /aud claim is invalid/],
        [{ aud: "portrait-graph" }, /no iss claim/],
      ] as const) {
        const res = await post(strict.url, query, bearer(await sign(claims)));
        expect(res.status).toBe(401);
        expect(res.json.errors).toEqual([
          expect.objectContaining({ message: expect.stringMatching(message), extensions: { code: "UNAUTHENTICATED" } }),
        ]);
      }
      // Without issuer/audience configured, exp is still required.
      const noExp = await post(prod.url, query, bearer(await sign({ exp: false })));
      expect(noExp.status).toBe(401);
      expect(strict.emulator.calls).toEqual([]);
      expect(prod.emulator.calls).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('#13 a sub of "x\\r\\nSet-Cookie: a=b" is no Tencent UserID: 401, nothing echoed into headers, no upstream call', async () => {
    const res = await post(
      prod.url,
      { query: "{ me { id profile { nick } } }" },
      bearer(await token("x\r\nSet-Cookie: a=b")),
    );
    expect(res.status).toBe(401);
    expect(res.json.errors).toEqual([
      expect.objectContaining({
        message: "The token's sub must hold only printable characters (no control or bidi characters)",
        extensions: { code: "UNAUTHENTICATED" },
      }),
    ]);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(prod.emulator.calls).toEqual([]);
  });

  it("#14 slowloris sockets (a partial header line, then nothing) are closed by the server once the header timeout passes", async () => {
    // 100 sockets stand for 400, against a 300 ms header timeout (the default is 10 s).
    const slow = await startService({}, { http: { headersTimeoutMs: 300 } });
    try {
      const sockets = await Promise.all(Array.from({ length: 100 }, () => openSocket(slow.url)));
      for (const socket of sockets) socket.write("GET /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: a");
      // We never end or destroy them: only the server can close them.
      const answers = await Promise.all(sockets.map((socket) => socket.ended));
      for (const text of answers) expect(text === "" || text.startsWith("HTTP/1.1 408")).toBe(true);
      expect(slow.emulator.calls).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it("#15 malformed _entities representations fail only their own index; the others resolve from one portrait_get", async () => {
    const representations = [
      { __typename: "User", id: "li.na" },
      { __typename: "User" },
      { __typename: "Nope", id: "x" },
      "not an object",
      { __typename: "User", id: "x".repeat(33) },
      { __typename: "User", id: "sato.yuki" },
    ];
    const res = await post(
      prod.url,
      {
        query: "query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id profile { nick } } } }",
        variables: { r: representations },
      },
      bearer(prod.userToken),
    );
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({
      _entities: [
        { id: "li.na", profile: { nick: "李娜" } },
        null,
        null,
        null,
        null,
        { id: "sato.yuki", profile: { nick: "佐藤 ゆき" } },
      ],
    });
    expect(res.json.errors!.map((e) => [e.path, e.extensions.code])).toEqual(
      [1, 2, 3, 4].map((i) => [["_entities", i], "BAD_USER_INPUT"]),
    );
    expect(prod.portraitGets()).toEqual([["li.na", "sato.yuki"]]);
  });

  it("#16 one empty id in users(ids) nulls only its own entry; the others are read", async () => {
    const res = await post(
      prod.url,
      { query: '{ users(ids: ["li.na", "", "sato.yuki"]) { id profile { nick } } }' },
      bearer(prod.userToken),
    );
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({
      users: [{ id: "li.na", profile: { nick: "李娜" } }, null, { id: "sato.yuki", profile: { nick: "佐藤 ゆき" } }],
    });
    expect(res.json.errors!.map((e) => [e.path, e.extensions.code])).toEqual([[["users", 1], "BAD_USER_INPUT"]]);
    expect(prod.portraitGets()).toEqual([["li.na", "sato.yuki"]]);
  });
});

describe("what errors give back of the input", () => {
  const SET = "mutation($input: ProfileInput!) { setProfile(input: $input) { id } }";

  it("a 100 KB custom key comes back as a 32-character prefix", async () => {
    const key = "k".repeat(100_000);
    const res = await post(
      prod.url,
      { query: SET, variables: { input: { custom: { [key]: "x" } } } },
      bearer(prod.userToken),
    );
    expect(res.json.errors![0]!.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: `input.custom.${"k".repeat(32)}…`,
    });
    expect(res.text.length).toBeLessThan(1000);
    expect(prod.emulator.calls).toEqual([]);
  });

  it("20,000 unknown custom keys (a 180 KB body; 2.2 MB of errors before) give one error listing 20 and counting the rest", async () => {
    const letters = "abcdefghijklmnopqrstuvwxyz";
    const custom: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++)
      custom[[0, 1, 2, 3].map((d) => letters[Math.floor(i / 26 ** d) % 26]).join("")] = 1;
    const res = await post(prod.url, { query: SET, variables: { input: { custom } } }, bearer(prod.userToken));
    expect(res.json.errors).toHaveLength(1);
    const { violations } = res.json.errors![0]!.extensions as { violations: { field: string; rule: string }[] };
    expect(violations).toHaveLength(21);
    expect(violations[20]).toEqual({ field: "input", rule: "has 19980 more violations like these" });
    expect(res.text.length).toBeLessThan(5000);
    expect(prod.emulator.calls).toEqual([]);
  });

  it("custom(keys:) with 20,000 unknown keys: one error listing 20 and counting the rest", async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
    const res = await post(
      prod.url,
      { query: "query($k: [String!]) { me { profile { custom(keys: $k) } } }", variables: { k: keys } },
      bearer(prod.userToken),
    );
    expect(res.status).toBe(400);
    expect(res.json.errors).toHaveLength(1);
    const { violations } = res.json.errors![0]!.extensions as { violations: { field: string; rule: string }[] };
    expect(violations.slice(0, 2)).toEqual([
      { field: "custom(keys).k0", rule: "is not a configured custom tag" },
      { field: "custom(keys).k1", rule: "is not a configured custom tag" },
    ]);
    expect(violations[20]).toEqual({ field: "custom(keys)", rule: "has 19980 more violations like these" });
    expect(res.text.length).toBeLessThan(5000);
    expect(prod.emulator.calls).toEqual([]);
  });
});

describe("clients with their default transports", () => {
  it("urql sends queries as GET by default: answered, not refused as CSRF", async () => {
    const seen: string[] = [];
    const client = new Client({
      url: prod.url,
      exchanges: [fetchExchange],
      fetchOptions: { headers: bearer(prod.userToken) },
      fetch: (input, init) => {
        seen.push(init?.method ?? "GET");
        return fetch(input, init);
      },
    });
    const result = await client.query("{ me { id profile { nick } } }", {}).toPromise();
    expect(seen).toEqual(["GET"]);
    expect(result.error).toBeUndefined();
    expect(result.data).toEqual({ me: { id: "zhang.wei", profile: { nick: "张伟" } } });
  });

  it("Apollo Client's BatchHttpLink sends one HTTP batch: both operations answered", async () => {
    const bodies: unknown[] = [];
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: new BatchHttpLink({
        uri: prod.url,
        headers: bearer(prod.userToken),
        batchInterval: 5,
        fetch: (input, init) => {
          bodies.push(JSON.parse(init?.body as string));
          return fetch(input, init);
        },
      }),
    });
    const [me, li] = await Promise.all([
      client.query({ query: gql("query Me { me { id } }") }),
      client.query({ query: gql('query Li { user(id: "li.na") { id profile { nick } } }') }),
    ]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toHaveLength(2);
    expect(me.data).toEqual({ me: { __typename: "User", id: "zhang.wei" } });
    expect(li.data).toEqual({
      user: { __typename: "User", id: "li.na", profile: { __typename: "Profile", nick: "李娜" } },
    });
  });
});
