import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/server/logger.js";
import { startReceiver, type Received } from "../support/receiver.js";
import { useServices, type Service } from "../support/service.js";

// A router's response cache, told of changes: the service tags what it answers with the accounts
// it holds (`user-<id>`) and posts `cache_tag` invalidations to the router's endpoint when a
// profile changes, through this service or behind its back.
const TOKEN = "callback-token-of-the-test-app";
const KEY = "router-shared-key-of-the-test";

/** A stand-in for Apollo Router's invalidation endpoint: records what it is sent, answers `status`. */
async function fakeRouter(status: number) {
  const endpoint = await startReceiver(() => status);
  return { ...endpoint, url: endpoint.url.replace("/tencent/callback", "/invalidation") };
}

const tagsSent = (received: Received[]) => received.flatMap((r) => r.body as unknown as unknown[]);

async function invalidationCounts(svc: Service): Promise<Record<string, number>> {
  const text = await (await fetch(svc.url.replace("/graphql", "/metrics"))).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^portrait_graph_router_invalidations_total\{outcome="(\w+)"\} (\d+)$/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

describe("a router's response cache is told of every change", () => {
  const start = useServices();
  let router: Awaited<ReturnType<typeof fakeRouter>>;
  afterEach(() => router.close());
  let logged: string[];
  const withRouter = async (status = 202) => {
    router = await fakeRouter(status);
    logged = [];
    return start(
      {},
      { logger: createLogger({ level: "info", destination: { write: (line: string) => void logged.push(line) } }) },
      {},
      { changesEnv: { TIM_CALLBACK_TOKEN: TOKEN, ROUTER_INVALIDATION_URL: router.url, ROUTER_INVALIDATION_KEY: KEY } },
    );
  };

  it("another writer's change and the service's own setProfile each invalidate that user's tag, once, with the shared key", async () => {
    const svc = await withRouter();
    await svc.emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "娜娜" }], { platform: "iOS" });
    await svc.emulator.callbacksSettled();
    await vi.waitFor(() => expect(router.received).toHaveLength(1));

    const set = await svc.gql(`mutation { setProfile(input: { nick: "新的" }) { id } }`);
    expect(set.errors).toBeUndefined();
    await vi.waitFor(() => expect(router.received).toHaveLength(2));

    expect(router.received.map((r) => r.authorization)).toEqual([KEY, KEY]);
    expect(tagsSent(router.received)).toEqual([
      { kind: "cache_tag", subgraphs: ["portrait-graph"], cache_tag: "user-li.na" },
      { kind: "cache_tag", subgraphs: ["portrait-graph"], cache_tag: "user-zhang.wei" },
    ]);
    expect(await invalidationCounts(svc)).toEqual({ ok: 2 });
  });

  it("tags a router's entity fetch per representation, and any other read with the accounts it read", async () => {
    const svc = await withRouter();
    const entities = await svc.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { profile { nick } } } }`,
      {
        r: [
          { __typename: "User", id: "li.na" },
          { __typename: "User", id: "sato.yuki" },
        ],
      },
    );
    expect(entities.errors).toBeUndefined();
    expect((entities as { extensions?: unknown }).extensions).toEqual({
      apolloEntityCacheTags: [["user-li.na"], ["user-sato.yuki"]],
    });

    const users = await svc.gql(`{ users(ids: ["li.na", "zhang.wei"]) { profile { nick } } }`);
    expect((users as { extensions?: Record<string, unknown> }).extensions?.apolloCacheTags).toEqual([
      "user-li.na",
      "user-zhang.wei",
    ]);
  });

  it("a router that refuses is retried once on a 5xx, then logged and counted; the key is in no log", async () => {
    const svc = await withRouter(503);
    await svc.emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "娜娜" }]);
    await svc.emulator.callbacksSettled();
    await vi.waitFor(async () => expect(await invalidationCounts(svc)).toEqual({ failed: 1 }));
    expect(router.received).toHaveLength(2);
    const warning = logged.find((line) => line.includes("router cache invalidation failed"));
    expect(warning).toContain("HTTP 503");
    expect(logged.join("\n")).not.toContain(KEY);
  });
});
