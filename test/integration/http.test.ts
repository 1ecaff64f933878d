import { auditServer } from "graphql-http";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prefersGraphQLResponseJson } from "../../src/server/media-type.js";
import { APP } from "../support/emulator.js";
import { startService, type Service } from "../support/service.js";

let dev: Service;
let prod: Service;
beforeAll(async () => {
  dev = await startService(
    {},
    { nodeEnv: "development", landingPage: { headers: { Authorization: "Bearer demo-token" } } },
  );
  prod = await startService({}, { nodeEnv: "production", limits: { bodyLimitBytes: 64 * 1024 } });
});
afterAll(async () => {
  await dev.close();
  await prod.close();
});

const origin = (svc: Service) => svc.url.replace("/graphql", "");

describe("GraphQL over HTTP", () => {
  it("passes every graphql-http server audit (requests carry a bearer token)", async () => {
    const results = await auditServer({
      url: prod.url,
      fetchFn: (input: string | URL, init: RequestInit = {}) =>
        fetch(input, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${prod.userToken}` },
        }),
    });
    const failed = results
      .filter((r) => r.status === "error")
      .map((r) => `${r.id} ${r.name}: ${"reason" in r ? r.reason : ""}`);
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.status === "ok").length).toBeGreaterThan(20);
  });

  it("answers GET queries: a request with Authorization counts as preflighted (urql's and graphql-request's defaults)", async () => {
    const query = encodeURIComponent("{ me { profile { nick } } }");
    const res = await request(`${prod.url}?query=${query}`, { headers: { authorization: `Bearer ${prod.userToken}` } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ data: { me: { profile: { nick: "张伟" } } } });
  });

  it("keeps CSRF prevention on: a simple GET without Authorization or a preflight header is refused", async () => {
    const res = await request(`${prod.url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toMatch(/CSRF/);
    // A browser form post (a simple content type, no custom header) cannot reach the executor either.
    const form = await request(prod.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "query=%7B__typename%7D",
    });
    expect(form.statusCode).toBeGreaterThanOrEqual(400);
  });

  it("runs an HTTP batch of operations (Apollo Client's BatchHttpLink)", async () => {
    const res = await request(prod.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${prod.userToken}` },
      body: JSON.stringify([{ query: "{ me { id } }" }, { query: '{ user(id: "li.na") { profile { nick } } }' }]),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual([
      { data: { me: { id: "zhang.wei" } } },
      { data: { user: { profile: { nick: "李娜" } } } },
    ]);
  });

  it.each(["PUT", "DELETE", "PATCH", "HEAD"])(
    "answers %s /graphql with 405 and Allow: GET, POST, OPTIONS",
    async (method) => {
      prod.emulator.resetStats();
      const res = await request(prod.url, {
        method: method as "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${prod.userToken}` },
        ...(method === "HEAD" ? {} : { body: JSON.stringify({ query: "{ me { id } }" }) }),
      });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe("GET, POST, OPTIONS");
      const text = await res.body.text();
      if (method !== "HEAD")
        expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: "METHOD_NOT_ALLOWED" } }] });
      expect(prod.emulator.calls).toEqual([]);
    },
  );

  describe("the status of a refusal follows the answer's media type (GraphQL over HTTP)", () => {
    const OVER_BUDGET = {
      query: "query($ids: [ID!]!) { users(ids: $ids) { id } }",
      variables: { ids: Array.from({ length: 1001 }, (_, i) => `u${i}`) },
    };
    const INVALID = { query: "{ me { nope } }" };
    const refusal = async (body: unknown, accept: string | undefined, token: string | null = prod.userToken) => {
      const res = await request(prod.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(accept ? { accept } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      const json = (await res.body.json()) as { errors?: { message: string; extensions: { code: string } }[] };
      return {
        status: res.statusCode,
        type: res.headers["content-type"],
        codes: json.errors?.map((e) => e.extensions.code),
      };
    };

    it.each([
      ["no Accept (Apollo Gateway's subgraph fetch)", undefined],
      ["*/* (curl)", "*/*"],
      ["application/json", "application/json"],
    ])("application/json, asked with %s: a refused request is a 200 whose errors say why", async (_who, accept) => {
      expect(await refusal(OVER_BUDGET, accept)).toEqual({
        status: 200,
        type: "application/json; charset=utf-8",
        codes: ["ACCOUNT_LIMIT_EXCEEDED"],
      });
      expect(await refusal(INVALID, accept)).toMatchObject({ status: 200, codes: ["GRAPHQL_VALIDATION_FAILED"] });
    });

    it("application/graphql-response+json (Apollo Client, urql, graphql-request): a refused request is a 400", async () => {
      const accept = "application/graphql-response+json,application/json;q=0.9";
      expect(await refusal(OVER_BUDGET, accept)).toEqual({
        status: 400,
        type: "application/graphql-response+json; charset=utf-8",
        codes: ["ACCOUNT_LIMIT_EXCEEDED"],
      });
      expect(await refusal(INVALID, accept)).toMatchObject({ status: 400, codes: ["GRAPHQL_VALIDATION_FAILED"] });
    });

    it("the service decides the media type as Apollo Server does, for every Accept a client sends", async () => {
      for (const accept of [
        "*/*",
        "application/json",
        "application/graphql-response+json,application/json;q=0.9",
        "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed",
        "application/graphql-response+json;q=0.5, application/json",
        "application/json;q=0, application/graphql-response+json;q=0.1",
        "text/html, */*;q=0.8",
      ]) {
        const answered = await refusal({ query: "{ me { id } }" }, accept);
        expect([accept, String(answered.type).startsWith("application/graphql-response+json")]).toEqual([
          accept,
          prefersGraphQLResponseJson(accept),
        ]);
      }
    });

    it("in both, a bad token stays a 401 (a bearer challenge) and a request without a query a 400", async () => {
      for (const accept of [undefined, "application/graphql-response+json"]) {
        expect(await refusal({ query: "{ me { id } }" }, accept, "not-a-jwt")).toMatchObject({
          status: 401,
          codes: ["UNAUTHENTICATED"],
        });
        expect(await refusal({ variables: {} }, accept)).toMatchObject({ status: 400, codes: ["BAD_REQUEST"] });
      }
    });
  });

  it("answers 401 with a WWW-Authenticate: Bearer challenge", async () => {
    const res = await prod.gql("{ me { id } }", undefined, "not-a-jwt");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
    expect(res.errors![0]!.extensions.code).toBe("UNAUTHENTICATED");
  });
});

describe("the edge", () => {
  it("answers the CORS preflight from the maintained plugin, allowing the Authorization header", async () => {
    const res = await request(dev.url, {
      method: "OPTIONS",
      headers: {
        origin: "https://sandbox.embed.apollographql.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(String(res.headers["access-control-allow-headers"])).toContain("authorization");
    expect(String(res.headers["access-control-allow-methods"])).toContain("POST");
    const post = await dev.gql("{ me { id } }", undefined, dev.userToken, {
      origin: "https://sandbox.embed.apollographql.com",
    });
    expect(post.headers["access-control-allow-origin"]).toBe("*");
  });

  it("allows only the configured origins when CORS_ORIGINS lists them", async () => {
    const local = await startService({}, { http: { corsOrigins: ["https://app.example.com"] } });
    try {
      const allowed = await local.gql("{ me { id } }", undefined, local.userToken, {
        origin: "https://app.example.com",
      });
      expect(allowed.headers["access-control-allow-origin"]).toBe("https://app.example.com");
      const other = await local.gql("{ me { id } }", undefined, local.userToken, {
        origin: "https://evil.example.com",
      });
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await local.close();
    }
  });

  it("serves the explorer as the landing page, with the example query, pre-filled only in development", async () => {
    const html = await (await request(dev.url, { headers: { accept: "text/html" } })).body.text();
    expect(html).toContain("EmbeddedSandbox");
    expect(html).toContain("query DemoProfiles");
    expect(html).toContain("Bearer demo-token");
    const prodHtml = await (await request(prod.url, { headers: { accept: "text/html" } })).body.text();
    expect(prodHtml).not.toContain('"headers":');
    expect(prodHtml).not.toContain("demo-token");
  });
});

describe("operations endpoints", () => {
  it("/healthz is live; /readyz is ready after the upstream check, with what it checked", async () => {
    const live = await request(`${origin(prod)}/healthz`);
    expect(live.statusCode).toBe(200);
    expect(await live.body.json()).toEqual({ status: "ok" });
    const ready = await request(`${origin(prod)}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({
      status: "ready",
      upstream: "ok",
      openCircuits: [],
      draining: false,
      budget: "local",
    });
  });

  it("/readyz answers 503 until an upstream check succeeds", async () => {
    const local = await startService({ secretKey: "another-key-so-every-call-fails-70009" });
    try {
      const res = await request(`${origin(local)}/readyz`);
      expect(res.statusCode).toBe(503);
      expect(await res.body.json()).toMatchObject({ status: "not ready", upstream: "failing" });
    } finally {
      await local.close();
    }
  });

  it("/metrics counts operations and upstream calls (wired by the server itself) and carries no secret", async () => {
    await prod.gql('query Nicks { user(id: "li.na") { profile { nick } } }');
    const text = await (await request(`${origin(prod)}/metrics`)).body.text();
    expect(text).toMatch(/portrait_graph_graphql_requests_total\{operation="Nicks",outcome="ok"\} 1/);
    expect(text).toMatch(/portrait_graph_upstream_calls_total\{api="profile\/portrait_get",code="0"\} \d+/);
    expect(text).toMatch(/portrait_graph_upstream_accounts_per_call_count \d+/);
    expect(text).toMatch(/portrait_graph_read_queue_accounts 0/);
    expect(text).toMatch(/portrait_graph_process_resident_memory_bytes \d+/);
    expect(text).not.toContain(APP.secretKey);
    expect(text).not.toContain(prod.userToken);
    expect(text).not.toMatch(/usersig=/i);
  });
});
