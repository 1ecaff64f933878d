import { Agent, request, type Dispatcher } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildSubgraph } from "../../src/graphql/schema.js";
import { createLogger } from "../../src/server/logger.js";
import { APP } from "../support/emulator.js";
import { post, type RawAnswer } from "../support/http.js";
import { JWT_SECRET, startService, token, type Service } from "../support/service.js";

// Successes and failures (bad tokens, a throttled, lost or refused upstream) against a production
// service whose log goes to memory, then every log line, every answer and /metrics searched for
// the secrets in play: the Tencent secret key, the JWT secret, the bearer tokens sent, and the
// admin UserSig the client really put on the wire.

const lines: string[] = [];
const answers: string[] = [];
const upstreamPaths: string[] = [];
let svc: Service;
let dispatcher: Dispatcher;
const badTokens: string[] = [];

beforeAll(async () => {
  // Record the request path of every upstream call: it carries the UserSig.
  dispatcher = new Agent().compose((dispatch) => (options, handler) => {
    upstreamPaths.push(String(options.path));
    return dispatch(options, handler);
  });
  svc = await startService(
    {},
    {
      nodeEnv: "production",
      logger: createLogger({
        level: "debug",
        secrets: [APP.secretKey, JWT_SECRET],
        destination: { write: (line: string) => void lines.push(line) },
      }),
    },
    // One attempt per call, and no circuit opening between the scenarios below.
    { dispatcher, maxAttempts: 1, breaker: { failures: 1000 } },
  );
  badTokens.push(
    await token("zhang.wei", { secret: "another-secret-that-is-long-enough-to-be-used" }),
    await token("zhang.wei", { expiresIn: Math.floor(Date.now() / 1000) - 60 }),
  );
});
afterAll(async () => {
  await svc.close();
  await dispatcher.close();
});
beforeEach(() => {
  svc.emulator.configure({ rateLimit: 0, faults: {} });
  svc.emulator.resetStats();
});

/** POST as a client would; keeps the answer for the search. */
async function ask(
  query: string,
  variables: Record<string, unknown> = {},
  auth: string | null = svc.userToken,
): Promise<RawAnswer> {
  const res = await post(svc.url, { query, variables }, auth ? { authorization: `Bearer ${auth}` } : {});
  answers.push(res.text);
  return res;
}

function userSigs(): string[] {
  const sigs = upstreamPaths
    .map((path) => new URLSearchParams(path.split("?")[1]).get("usersig"))
    .filter((s): s is string => !!s);
  return [...new Set(sigs)];
}

function secrets(): string[] {
  const sigs = userSigs();
  return [
    APP.secretKey,
    JWT_SECRET,
    svc.userToken,
    svc.adminToken,
    ...badTokens,
    ...sigs,
    ...sigs.map(encodeURIComponent),
  ];
}

function expectNoSecret(texts: readonly string[]): void {
  for (const text of texts) {
    for (const secret of secrets()) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/usersig=(?!\[redacted\])/i);
  }
}

const NICK = '{ user(id: "li.na") { profile { nick } } }';
const SET = 'mutation { setProfile(input: { selfSignature: "secrets test" }) { id } }';

describe("no secret in logs, answers or /metrics", () => {
  it("successful reads and writes: the UserSig was on the wire, and is nowhere else", async () => {
    expect((await ask(NICK)).json).toEqual({ data: { user: { profile: { nick: "李娜" } } } });
    expect((await ask(SET)).json).toEqual({ data: { setProfile: { id: "zhang.wei" } } });
    expect((await ask(NICK, {}, svc.adminToken)).json.errors).toBeUndefined();
    // The search below is only as good as what it looks for.
    expect(userSigs()).toHaveLength(1);
    expect(userSigs()[0]!.length).toBeGreaterThan(40);
    expect(lines.some((l) => l.includes('"msg":"graphql request"'))).toBe(true);
    expectNoSecret([...lines, ...answers]);
  });

  it("bad tokens: 401s that echo none of them", async () => {
    for (const bad of [...badTokens, `${svc.userToken}x`, "not.a.jwt"]) {
      const res = await ask(NICK, {}, bad);
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(bad);
    }
    expectNoSecret([...lines, ...answers]);
  });

  it("a lost write answer (unknown outcome) and a throttled read: their errors and log lines carry no secret", async () => {
    svc.emulator.configure({ faults: { drop: 1 } });
    const lost = await ask(SET);
    expect(lost.json.errors![0]!.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", outcome: "unknown" });
    svc.emulator.configure({ faults: {}, rateLimit: 0.001 });
    const throttled = await ask(NICK);
    expect(throttled.json.errors![0]!.extensions).toMatchObject({
      code: "UPSTREAM_THROTTLED",
      tencent: { errorCode: 60007 },
    });
    expect(lines.some((l) => l.includes('"outcome":"UPSTREAM_THROTTLED"'))).toBe(true);
    expectNoSecret([...lines, ...answers]);
  });

  it("upstream down: the client is told UPSTREAM_UNAVAILABLE without the upstream address; the log has it", async () => {
    const { host } = new URL(svc.emulator.url);
    await svc.emulator.close();
    const before = lines.length;
    for (const query of [NICK, SET]) {
      const res = await ask(query);
      expect(res.json.errors).toEqual([expect.objectContaining({ extensions: { code: "UPSTREAM_UNAVAILABLE" } })]);
      expect(res.json.errors![0]!.message).toMatch(/ECONNREFUSED/);
      expect(res.text).not.toContain("127.0.0.1");
      expect(res.text).not.toContain(host);
    }
    const logged = lines.slice(before).filter((l) => l.includes("upstream transport failure"));
    expect(logged).toHaveLength(2);
    for (const line of logged) expect(line).toContain(`ECONNREFUSED ${host}`);
    expectNoSecret([...lines, ...answers]);
  });

  it("/metrics carries no secret", async () => {
    const metrics = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
    expect(metrics).toMatch(/portrait_graph_upstream_calls_total\{api="profile\/portrait_get"/);
    expectNoSecret([metrics]);
  });
});

describe("unexpected errors in production", () => {
  it("are masked for the client (no internal host) and logged in full", async () => {
    const schema = await buildSubgraph();
    // A resolver failing the way a library bug or an unmapped network error would.
    schema.getQueryType()!.getFields().me!.resolve = () => {
      throw new Error("connect ECONNREFUSED 10.20.30.40:443 (tencent-egress.internal)");
    };
    const logged: string[] = [];
    const local = await startService(
      {},
      {
        schema,
        logger: createLogger({ level: "info", destination: { write: (line: string) => void logged.push(line) } }),
      },
    );
    try {
      const res = await post(
        local.url,
        { query: '{ me { id } user(id: "li.na") { id } }' },
        { authorization: `Bearer ${local.userToken}` },
      );
      expect(res.json).toEqual({
        errors: [{ message: "Internal server error", path: ["me"], extensions: { code: "INTERNAL_SERVER_ERROR" } }],
        data: { me: null, user: { id: "li.na" } },
      });
      expect(res.text).not.toMatch(/10\.20\.30\.40|internal\b(?! server)/);
      expect(logged.filter((l) => l.includes('"msg":"internal error"')).join()).toContain(
        "ECONNREFUSED 10.20.30.40:443 (tencent-egress.internal)",
      );
      // GraphQL's own refusals name only the request, and still read as they are.
      const sha = await post(
        local.url,
        { query: "{ me { id } }", extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } },
        { authorization: `Bearer ${local.userToken}` },
      );
      expect(sha.json.errors![0]!.message).toBe("provided sha does not match query");
    } finally {
      await local.close();
    }
  });
});
