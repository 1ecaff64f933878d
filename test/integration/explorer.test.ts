import { createHash } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SANDBOX_SCRIPT_URL,
  SERVICE_TITLE,
  explorerAsset,
  renderExplorerPage,
} from "../../src/explorer/landing-page.js";
import { EXAMPLE_QUERY, OWN_PROFILE_QUERY } from "../../src/server/server.js";
import { startService, type Service } from "../support/service.js";

const TOKEN = { Authorization: "Bearer eyJ.demo-token.sig" };
const dev = renderExplorerPage({
  endpointPath: "/graphql",
  document: EXAMPLE_QUERY,
  headers: TOKEN,
  development: true,
  anonymousIntrospection: true,
});
const prod = renderExplorerPage({
  endpointPath: "/graphql",
  document: EXAMPLE_QUERY,
  headers: TOKEN,
  development: false,
  anonymousIntrospection: false,
});

/** The per-page data the bootstrap reads: the JSON block, parsed as the browser would. */
function config(html: string) {
  return JSON.parse(/<script type="application\/json" id="explorer-config">(.*?)<\/script>/s.exec(html)![1]!) as {
    document?: string;
    headers?: unknown;
    graphiql: { js: string; css: string };
  };
}
const inline = (html: string, tag: "script" | "style") =>
  [...html.matchAll(new RegExp(`<${tag}>(.*?)</${tag}>`, "gs"))].map((m) => m[1]!);
const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
function csp(html: string): Map<string, string[]> {
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1]!;
  return new Map(
    policy
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values]),
  );
}

describe("the landing page HTML", () => {
  it("names the service and says how to query it, readable with JavaScript off", () => {
    const withoutScripts = dev.replace(/<script[\s\S]*?<\/script>/g, "");
    expect(withoutScripts).toContain(`<title>${SERVICE_TITLE}</title>`);
    expect(withoutScripts).toContain(`<h1>${SERVICE_TITLE}</h1>`);
    expect(withoutScripts).toContain("<code>POST /graphql</code>");
    expect(withoutScripts).toContain("<code>Authorization: Bearer &lt;JWT&gt;</code>");
    expect(withoutScripts).toMatch(
      /curl -s .*\/graphql -H 'content-type: application\/json' -H 'authorization: Bearer &lt;JWT&gt;'/,
    );
  });

  it("loads Apollo Sandbox from Apollo's CDN, and the bundled GraphiQL on error or timeout", () => {
    const [bootstrap] = inline(dev, "script");
    expect(config(dev)).toMatchObject({
      endpointPath: "/graphql",
      document: EXAMPLE_QUERY,
      sandbox: { script: SANDBOX_SCRIPT_URL, timeoutMs: 1500 },
      graphiql: {
        js: expect.stringMatching(/^\/graphql\/explorer\/graphiql\.js\?v=[0-9a-f]{12}$/),
        css: expect.stringMatching(/^\/graphql\/explorer\/graphiql\.css\?v=/),
      },
    });
    expect(bootstrap).toContain("new window.EmbeddedSandbox(");
    expect(bootstrap).toContain("initialEndpoint: endpoint");
    expect(bootstrap).toMatch(/sandbox\.onerror = function \(\) \{\s+graphiql\(/);
    expect(bootstrap).toMatch(/timer = setTimeout\(function \(\) \{\s+graphiql\(/);
    expect(bootstrap).toContain("window.portraitExplorer.mount(");
  });

  it("pre-fills the token in development only", () => {
    expect(config(dev).headers).toEqual(TOKEN);
    expect(config(prod).headers).toBeUndefined();
    expect(prod).not.toContain("demo-token");
    expect(config(prod).document).toBe(EXAMPLE_QUERY);
  });

  it("has a CSP that allows its own inline code by hash, its own origin and Apollo's Sandbox hosts, nothing inline else", () => {
    const policy = csp(dev);
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("script-src")).toEqual([
      "'self'",
      ...inline(dev, "script").map(sha256),
      "https://embeddable-sandbox.cdn.apollographql.com",
    ]);
    expect(policy.get("style-src")).toEqual([
      "'self'",
      ...inline(dev, "style").map(sha256),
      "https://embeddable-sandbox.cdn.apollographql.com",
    ]);
    expect(policy.get("connect-src")).toEqual(["'self'"]);
    expect(policy.get("frame-src")).toEqual(["https://sandbox.embed.apollographql.com"]);
    expect(dev).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The hashes cover the very bytes served, so the production page (other data) shares them.
    expect(csp(prod)).toEqual(policy);
  });

  it("keeps a document that contains </script> inside its JSON block", () => {
    const document = "# </script><script>alert(1)</script>\n{ __typename }";
    const html = renderExplorerPage({
      endpointPath: "/graphql",
      document,
      development: false,
      anonymousIntrospection: false,
    });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(config(html).document).toBe(document);
  });
});

describe("explorerAsset", () => {
  it("leaves paths outside /graphql/explorer/ to the router", () => {
    expect(explorerAsset("/graphql")).toBeUndefined();
    expect(explorerAsset("/graphiql.js")).toBeUndefined();
  });

  it("answers 404 for names it does not serve", () => {
    for (const path of [
      "/graphql/explorer/",
      "/graphql/explorer/constructor",
      "/graphql/explorer/../../package.json",
    ]) {
      expect(explorerAsset(path)?.status, path).toBe(404);
    }
  });
});

describe("the production page", () => {
  const services: Service[] = [];
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
  });
  const page = async (svc: Service) =>
    (await (await request(svc.url, { headers: { accept: "text/html" } })).body.text()).replace(
      /<script[\s\S]*?<\/script>/g,
      "",
    );
  const anonymous = async (svc: Service, query: string) =>
    (
      await request(svc.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query }),
      })
    ).statusCode;

  it.each([
    [false, /every operation needs one, reading the schema included/, [401, 401]],
    [true, /without a token only the schema \(introspection\) answers/, [200, 401]],
  ] as const)(
    "with ANONYMOUS_INTROSPECTION=%s says what holds without a token, and it holds",
    async (anonymousIntrospection, says, [schemaStatus, meStatus]) => {
      const svc = await startService({}, { nodeEnv: "production", anonymousIntrospection });
      services.push(svc);
      expect(await page(svc)).toMatch(says);
      expect(await page(svc)).not.toMatch(anonymousIntrospection ? /every operation needs one/ : /only the schema/);
      expect([
        await anonymous(svc, "{ __schema { queryType { name } } }"),
        await anonymous(svc, "{ me { id } }"),
      ]).toEqual([schemaStatus, meStatus]);
    },
  );

  it("pre-fills nothing demo: the caller's own profile, no token, no demo account", async () => {
    const svc = await startService({}, { nodeEnv: "production" });
    services.push(svc);
    const html = await (await request(svc.url, { headers: { accept: "text/html" } })).body.text();
    expect(config(html).document).toBe(OWN_PROFILE_QUERY);
    expect(config(html).headers).toBeUndefined();
    expect(html).not.toMatch(/zhang\.wei|li\.na|sato\.yuki|DemoProfiles|demo/i);
  });
});

describe("over HTTP", () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({}, { nodeEnv: "development", landingPage: { headers: TOKEN } });
  });
  afterAll(() => service.close());

  it("GET /graphql from a browser serves the explorer page; its asset URLs serve the bundle", async () => {
    const html = await (await request(service.url, { headers: { accept: "text/html" } })).body.text();
    expect(html).toContain(`<h1>${SERVICE_TITLE}</h1>`);
    const { graphiql } = config(html);

    const js = await request(new URL(graphiql.js, service.url));
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(await js.body.text()).toContain("portraitExplorer");

    const css = await request(new URL(graphiql.css, service.url));
    expect(css.statusCode).toBe(200);
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(await css.body.text()).toContain(".graphiql-container");
  });

  it("answers 404 for an unknown explorer file, and GraphQL at /graphql is unchanged", async () => {
    const missing = await request(new URL("/graphql/explorer/nope.js", service.url));
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
    const { data } = await service.gql("{ me { id } }");
    expect(data).toEqual({ me: { id: "zhang.wei" } });
  });
});
