import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apolloGateway, hiveGateway, startReviews } from "../support/routers.js";
import { importAccounts, startService, type Service } from "../support/service.js";

// A router fetches a whole page of entities in one `_entities` call; it cannot split it. So
// `_entities` has its own bound (MAX_ENTITIES_PER_OPERATION), apart from MAX_ACCOUNTS_PER_OPERATION,
// and what the subgraph refuses reaches the router's client with its message and code.

let svc: Service; // default limits: MAX_ACCOUNTS_PER_OPERATION 1000
let narrow: Service; // MAX_ENTITIES_PER_OPERATION 100
let authors: string[];
let reviews: Awaited<ReturnType<typeof startReviews>>;
beforeAll(async () => {
  [svc, narrow] = await Promise.all([
    startService({}, { anonymousIntrospection: true }),
    startService({}, { anonymousIntrospection: true, limits: { maxEntitiesPerOperation: 100 } }),
  ]);
  authors = await importAccounts(svc, "page", 1500);
  reviews = await startReviews(authors);
});
afterAll(async () => {
  await reviews.close();
  await Promise.all([svc.close(), narrow.close()]);
});

type Answer = {
  data?: { reviews: { author: { id: string; profile: { nick: string } | null } }[] } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

describe.each([apolloGateway, hiveGateway])("under $name", (router) => {
  const routers: { url: string; close: () => Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(routers.map((r) => r.close()));
  });
  async function query(subgraph: Service, document: string): Promise<Answer> {
    const started = await router.start([
      { name: "profiles", url: subgraph.url },
      { name: "reviews", url: reviews.url },
    ]);
    routers.push(started);
    const res = await fetch(started.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${subgraph.userToken}` },
      body: JSON.stringify({ query: document }),
    });
    return (await res.json()) as Answer;
  }

  it("serves a page of 1500 distinct authors (over MAX_ACCOUNTS_PER_OPERATION) in one _entities fetch: 15 calls", async () => {
    svc.emulator.resetStats();
    const { data, errors } = await query(svc, "{ reviews(first: 1500) { author { id profile { nick } } } }");
    expect(errors).toBeUndefined();
    expect(data!.reviews.map((r) => r.author.profile?.nick)).toEqual(authors.map((id) => `nick-${id}`));
    expect(svc.portraitGets().map((c) => c.length)).toEqual(Array(15).fill(100));
  });

  it("shows the subgraph's refusal past MAX_ENTITIES_PER_OPERATION with its message and code, no call made", async () => {
    narrow.emulator.resetStats();
    const { errors } = await query(narrow, "{ reviews(first: 150) { author { id profile { nick } } } }");
    // Apollo Gateway shows it once; Hive Gateway once per entity. Each keeps message and code.
    expect(errors!.length).toBeGreaterThan(0);
    for (const error of errors!) {
      expect(error).toMatchObject({
        message:
          "This request holds 150 _entities representations; MAX_ENTITIES_PER_OPERATION allows 100. Fetch fewer entities at a time.",
        extensions: { code: "ENTITY_LIMIT_EXCEEDED" },
      });
    }
    expect(narrow.portraitGets()).toEqual([]);
  });

  it("shows a refused argument (an unknown custom key) with its message and code", async () => {
    const { errors } = await query(svc, '{ reviews(first: 2) { author { profile { custom(keys: ["Nope"]) } } } }');
    expect(errors!.length).toBeGreaterThan(0);
    for (const error of errors!) {
      expect(error).toMatchObject({
        message: "custom(keys).Nope is not a configured custom tag",
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
  });
});
