import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP } from "../support/emulator.js";
import { startService, type Service } from "../support/service.js";

let dev: Service;
let prod: Service;
beforeAll(async () => {
  dev = await startService({}, { nodeEnv: "development", landingPage: { headers: { Authorization: "Bearer demo-token" } } });
  prod = await startService({ rateLimit: 1 }, { nodeEnv: "production" }, { maxAttempts: 1 });
});
afterAll(async () => {
  await dev.close();
  await prod.close();
});

describe("Apollo Sandbox", () => {
  it("GET /graphql from a browser serves the Sandbox landing page with a working example query", async () => {
    const res = await request(dev.url, { headers: { accept: "text/html" } });
    expect(res.statusCode).toBe(200);
    const html = await res.body.text();
    expect(html).toContain("EmbeddedSandbox");
    expect(html).toContain("initialEndpoint");
    expect(html).toContain("query DemoProfiles");
    expect(html).toContain("Bearer demo-token");
    // The example query itself runs against the demo accounts.
    const match = /query DemoProfiles[\s\S]*?\n}\n/.exec(decodeURIComponent(JSON.parse(`"${/"document":"((?:[^"\\]|\\.)*)"/.exec(html)![1]}"`)));
    const run = await dev.gql(match![0]);
    expect(run.errors).toBeUndefined();
    expect(run.data).toMatchObject({ me: { id: "zhang.wei" }, users: [{ id: "zhang.wei" }, { id: "li.na" }, { id: "sato.yuki" }] });
  });

  it("serves Sandbox in production too, without pre-filled headers", async () => {
    const html = await (await request(prod.url, { headers: { accept: "text/html" } })).body.text();
    expect(html).toContain("EmbeddedSandbox");
    // The page explains `Authorization: Bearer <JWT>`; what must be absent is a headers setting.
    expect(html).not.toMatch(/"headers":/);
  });

  it("answers the CORS preflight Sandbox sends, allowing the Authorization header", async () => {
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
    expect(res.headers["access-control-allow-headers"]).toContain("authorization");
    expect(res.headers["access-control-allow-methods"]).toContain("POST");
    const post = await dev.gql("{ me { id } }", undefined, dev.userToken, { origin: "https://sandbox.embed.apollographql.com" });
    expect(post.headers["access-control-allow-origin"]).toBe("*");
  });

  it("keeps CSRF prevention on: a simple GET query without a preflight header is refused", async () => {
    const res = await request(`${dev.url}?query=${encodeURIComponent("{ __typename }")}`);
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toMatch(/CSRF/);
    const ok = await request(`${dev.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { "apollo-require-preflight": "true" } });
    expect(ok.statusCode).toBe(200);
  });
});

describe("operations endpoints", () => {
  it("/healthz answers ok", async () => {
    const res = await request(dev.url.replace("/graphql", "/healthz"));
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: "ok" });
  });

  it("/metrics counts upstream attempts by API and outcome, and carries no secret", async () => {
    await dev.gql("{ me { profile { nick } } }");
    const text = await (await request(dev.url.replace("/graphql", "/metrics"))).body.text();
    expect(text).toMatch(/portrait_graph_requests_total \d+/);
    expect(text).not.toContain(APP.secretKey);
    expect(text).not.toMatch(/usersig|Bearer/i);
  });
});

describe("errors in production", () => {
  it("carry extensions.code and extensions.tencent, never a stack trace or a secret", async () => {
    await prod.gql("{ me { profile { nick } } }");
    const { errors } = await prod.gql("{ me { profile { nick } } }");
    expect(errors![0]!.extensions).toEqual({ code: "UPSTREAM_THROTTLED", tencent: { errorCode: 60007, errorInfo: expect.any(String) } });
    const text = JSON.stringify(errors);
    expect(text).not.toMatch(/stacktrace|usersig/i);
    expect(text).not.toContain(APP.secretKey);
  });
});
