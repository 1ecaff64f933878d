import { request } from "undici";
import { describe, expect, it } from "vitest";
import { useServices, type Service } from "../support/service.js";

/** A GET of `query`, as a CDN or a router would see it; returns its Cache-Control. */
async function cacheControlOf(svc: Service, query: string, variables?: object): Promise<string | undefined> {
  const params = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
  const res = await request(`${svc.url}?${params.toString()}`, {
    headers: { authorization: `Bearer ${svc.userToken}` },
  });
  await res.body.dump();
  expect(res.statusCode).toBe(200);
  return res.headers["cache-control"] as string | undefined;
}

const USER = `query($id: ID!) { user(id: $id) { id profile { nick custom } } }`;

describe("Cache-Control for routers and CDNs", () => {
  const start = useServices();

  it("by default, nothing may be cached: no-store (a cache would not hear of changes)", async () => {
    const svc = await start();
    expect(await cacheControlOf(svc, USER, { id: "li.na" })).toBe("no-store");
  });

  it("an automatic persisted query's miss keeps Apollo's own header (the client retries with the query)", async () => {
    const svc = await start();
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: "a".repeat(64) } });
    const res = await request(`${svc.url}?${new URLSearchParams({ extensions }).toString()}`, {
      headers: { authorization: `Bearer ${svc.userToken}` },
    });
    expect(await res.body.text()).toContain("PERSISTED_QUERY_NOT_FOUND");
    expect(res.headers["cache-control"]).toBe("private, no-cache, must-revalidate");
  });

  it("with CACHE_CONTROL_MAX_AGE, a profile read may be kept that long, privately by default", async () => {
    const svc = await start({}, { cacheControl: { maxAgeSeconds: 30, scope: "PRIVATE" } });
    expect(await cacheControlOf(svc, USER, { id: "li.na" })).toBe("max-age=30, private");
    expect(
      await cacheControlOf(svc, `query($ids: [ID!]!) { users(ids: $ids) { profile { nick } } }`, { ids: ["li.na"] }),
    ).toBe("max-age=30, private");
  });

  it("PUBLIC scope lets a shared cache keep it, but `me` stays private and errors are never stored", async () => {
    const svc = await start({}, { cacheControl: { maxAgeSeconds: 30, scope: "PUBLIC" } });
    expect(await cacheControlOf(svc, USER, { id: "li.na" })).toBe("max-age=30, public");
    expect(await cacheControlOf(svc, `{ me { profile { nick } } }`)).toBe("max-age=30, private");
    expect(await cacheControlOf(svc, USER, { id: "nobody-here" })).toBe("no-store");
  });
});
