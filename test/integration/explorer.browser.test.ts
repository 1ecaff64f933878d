import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SANDBOX_SCRIPT_URL, SERVICE_TITLE } from "../../src/explorer/landing-page.js";
import { startService, token, type Service } from "../support/service.js";
import { CHROMIUM, describeBrowser } from "../support/skips.js";

const SCREENSHOTS = fileURLToPath(new URL("../../test-results/explorer/", import.meta.url));
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

describeBrowser("the /graphql landing page in Chromium, with no internet", () => {
  let service: Service;
  let demoToken: string;
  let profileDir: string;
  let context: BrowserContext;
  /** Every request the page tried to send off loopback (all of them were aborted). */
  const blocked: string[] = [];

  beforeAll(async () => {
    demoToken = await token("zhang.wei");
    service = await startService(
      {},
      { nodeEnv: "development", landingPage: { headers: { Authorization: `Bearer ${demoToken}` } } },
    );
    profileDir = await mkdtemp(join(tmpdir(), "portrait-graph-chromium-"));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Belt and braces for the browser's own traffic, which page routes do not see: no name resolves.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
      ],
    });
    // Fail a wait with Playwright's own message (what it waited for) well before vitest's 30 s test timeout.
    context.setDefaultTimeout(15_000);
    // Behave as if there were no internet even where there is: anything that leaves loopback is
    // aborted the way an offline browser fails it, and recorded.
    await context.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (LOOPBACK.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort("internetdisconnected");
    });
  });

  afterAll(async () => {
    await context?.close();
    await service?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  /** A fresh page that records its errors (console ones, where CSP violations land, and uncaught) and requested URLs. */
  async function open(): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("request", (request) => requests.push(request.url()));
    return { page, errors, requests };
  }

  it("falls back to the bundled GraphiQL, which runs the example query with the demo token", async () => {
    const { page, errors, requests } = await open();
    await page.goto(service.url);
    expect(await page.title()).toBe(SERVICE_TITLE);
    expect(await page.locator("h1").textContent()).toBe(SERVICE_TITLE);
    expect(await page.locator("#how-to").textContent()).toContain(`curl -s ${new URL(service.url).origin}/graphql`);

    await page.locator(".graphiql-container").waitFor();
    expect(await page.locator("body").getAttribute("data-explorer")).toBe("graphiql");
    expect(await page.locator("#explorer-status").textContent()).toContain("could not be loaded from Apollo's CDN");
    // Opened with the example query and the demo user's token in the headers editor.
    expect(await page.locator(".graphiql-query-editor").textContent()).toContain("query DemoProfiles");
    expect(await page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden)").textContent()).toContain(
      demoToken.slice(-16),
    );

    await page.locator(".graphiql-execute-button").click();
    // `me` answers only with a valid token, so the nick proves the headers went along.
    await page.locator(".graphiql-response").getByText('"张伟"').first().waitFor();
    expect(await page.locator(".graphiql-response").textContent()).toContain('"id": "zhang.wei"');
    await page.screenshot({ path: join(SCREENSHOTS, "offline-graphiql.png") });

    // It tried Apollo's CDN and nothing else off this machine: GraphiQL came from this service.
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((url) => url.startsWith(SANDBOX_SCRIPT_URL))).toBe(true);
    expect(
      requests
        .filter((url) => url.includes("/graphql/explorer/"))
        .map((url) => new URL(url).pathname)
        .sort(),
    ).toEqual(["/graphql/explorer/graphiql.css", "/graphql/explorer/graphiql.js"]);
    // The aborted CDN script is the only error: no CSP violation, no exception from GraphiQL.
    expect(
      errors.filter((text) => !text.startsWith("Failed to load resource: net::ERR_INTERNET_DISCONNECTED")),
    ).toEqual([]);
    await page.close();
  });

  it("falls back after the timeout when Apollo's CDN never answers", async () => {
    const { page } = await open();
    // Leave the Sandbox script pending forever, as a CDN that accepts the connection and hangs.
    await page.route(
      (url) => url.href.startsWith(SANDBOX_SCRIPT_URL),
      () => {},
    );
    await page.goto(service.url, { waitUntil: "domcontentloaded" });
    await page.locator(".graphiql-container").waitFor();
    expect(await page.locator("#explorer-status").textContent()).toContain(
      "did not load from Apollo's CDN within 1500 ms",
    );
    await page.close();
  });

  it("keeps Apollo Sandbox when its CDN answers, with the example query and the demo token", async () => {
    const { page, requests } = await open();
    // A stand-in for Apollo's script, served through the route: it records what the page passes.
    await page.route(
      (url) => url.href.startsWith(SANDBOX_SCRIPT_URL),
      (route) =>
        route.fulfill({
          contentType: "text/javascript",
          body: "window.EmbeddedSandbox = function (options) { window.sandboxOptions = JSON.stringify(Object.assign({}, options, { target: options.target.id })); };",
        }),
    );
    await page.goto(service.url);
    await page.locator("body[data-explorer=sandbox]").waitFor();
    const options = JSON.parse(
      await page.evaluate(() => (globalThis as unknown as { sandboxOptions: string }).sandboxOptions),
    ) as { initialState: { document: string } };
    expect(options).toMatchObject({
      target: "explorer",
      initialEndpoint: service.url,
      initialState: { headers: { Authorization: `Bearer ${demoToken}` }, includeCookies: false },
      endpointIsEditable: false,
    });
    expect(options.initialState.document).toContain("query DemoProfiles");
    expect(requests.some((url) => url.includes("/graphql/explorer/"))).toBe(false);
    await page.close();
  });
});
