import {
  ApolloClient,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  type ErrorPolicy,
  type TypePolicies,
} from "@apollo/client";
import { loadDevMessages, loadErrorMessages } from "@apollo/client/dev";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePolicies } from "../../src/client/type-policies.js";
import {
  ProfileDetailsDocument,
  ProfileNickDocument,
  ProfilesDocument,
  SetMyProfileDocument,
} from "../__generated__/frontend/graphql.js";
import { captureConsole, recordingFetch } from "../support/frontend.js";
import { startService, type Service } from "../support/service.js";

// Apollo Client 4 with HttpLink and InMemoryCache as they come, plus what this repository ships
// (src/client/type-policies.ts), over real HTTP. Its warnings are printed in full when its
// messages are loaded (a development build of an app does the same).
loadDevMessages();
loadErrorMessages();

// Apollo Client prints this once per process for a given Type.field, so only the first test here
// that runs without the type policy can see it; the later one checks the cache itself.
const DATA_LOSS = "Cache data may be lost when replacing the profile field of a User object";

let svc: Service;
let console_: ReturnType<typeof captureConsole>;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());
afterEach(() => console_?.restore());

function apollo(policies: TypePolicies | undefined) {
  console_ = captureConsole();
  const net = recordingFetch();
  const client = new ApolloClient({
    link: new HttpLink({ uri: svc.url, headers: { authorization: `Bearer ${svc.userToken}` }, fetch: net.fetch }),
    cache: new InMemoryCache(policies ? { typePolicies: policies } : {}),
  });
  return { client, net, warnings: console_.messages };
}

/** A component's view: watch a query, as `useQuery` does, and keep its latest result. */
function watch<TData, TVars extends Record<string, unknown>>(
  client: ApolloClient,
  query: TypedDocumentNode<TData, TVars>,
  variables: TVars,
  errorPolicy: ErrorPolicy = "none",
) {
  const observable = client.watchQuery({ query, variables, errorPolicy });
  let latest: ApolloClient.QueryResult<TData> & { loading: boolean } = { data: undefined, loading: true };
  let loaded!: () => void;
  const first = new Promise<void>((resolve) => (loaded = resolve));
  const subscription = observable.subscribe((result) => {
    latest = result as typeof latest;
    if (!result.loading) loaded();
  });
  return { first, latest: () => latest, stop: () => subscription.unsubscribe() };
}

/** Two components that read different fields of the same user's profile, mounted together. */
async function twoComponents(policies: TypePolicies | undefined) {
  const { client, net, warnings } = apollo(policies);
  const nick = watch(client, ProfileNickDocument, { id: "zhang.wei" });
  const details = watch(client, ProfileDetailsDocument, { id: "zhang.wei" });
  await Promise.all([nick.first, details.first]);
  await net.idle(() => !nick.latest().loading && !details.latest().loading);
  nick.stop();
  details.stop();
  return { operations: net.operations().sort(), warnings, nick: nick.latest().data, details: details.latest().data };
}

/** The README query on screen, the README mutation, then the README query shown again (cache-first, as a remount does). */
async function readmeQueryThenMutation(policies: TypePolicies | undefined) {
  const { client, net, warnings } = apollo(policies);
  const screen = watch(client, ProfilesDocument, {}, "all");
  await screen.first;
  await client.mutate({ mutation: SetMyProfileDocument });
  await net.idle(() => !screen.latest().loading);
  screen.stop();
  const stored = (client.cache.extract() as Record<string, { profile?: Record<string, unknown> } | undefined>)[
    "User:zhang.wei"
  ];
  const again = await client.query({ query: ProfilesDocument, errorPolicy: "all" });
  await net.idle();
  return {
    operations: net.operations().sort(),
    warnings,
    data: screen.latest().data,
    again: again.data,
    stored: stored?.profile,
  };
}

describe("Apollo Client 4", () => {
  it("two components reading different fields of one profile cost two requests and no cache warning", async () => {
    const { operations, warnings, nick, details } = await twoComponents(typePolicies);
    expect(operations).toEqual(["ProfileDetails", "ProfileNick"]);
    expect(warnings.filter((w) => w.includes("Cache data may be lost"))).toEqual([]);
    expect(warnings).toEqual([]);
    expect(nick?.user?.profile?.nick).toBe("张伟");
    expect(details?.user?.profile?.level).toBe(3000000000);
  });

  it("without the type policy they refetch each other: four requests and Apollo Client's data-loss warning", async () => {
    const { operations, warnings } = await twoComponents(undefined);
    expect(operations).toEqual(["ProfileDetails", "ProfileDetails", "ProfileNick", "ProfileNick"]);
    expect(warnings.some((w) => w.includes(DATA_LOSS))).toBe(true);
  });

  it("keeps the README query's data beside the ghost error with errorPolicy 'all'", async () => {
    const { client, net } = apollo(typePolicies);
    const { data, error } = await client.query({ query: ProfilesDocument, errorPolicy: "all" });
    expect(net.sent.map((s) => s.method)).toEqual(["POST"]);
    expect(data?.me?.profile?.nick).toBe("张伟");
    expect(data?.users.map((u) => u?.profile?.nick ?? null)).toEqual(["张伟", "李娜", null]);
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    const errors = (error as CombinedGraphQLErrors).errors;
    expect(errors.map((e) => [e.path, e.extensions?.code])).toEqual([[["users", 2, "profile"], "ACCOUNT_NOT_FOUND"]]);
  });

  it("with the default errorPolicy ('none') the README query shows only the error: its data is dropped", async () => {
    const { client } = apollo(typePolicies);
    const screen = watch(client, ProfilesDocument, {});
    await screen.first;
    screen.stop();
    expect(screen.latest().data).toBeUndefined();
    expect(CombinedGraphQLErrors.is(screen.latest().error)).toBe(true);
    expect((screen.latest().error as CombinedGraphQLErrors).errors[0]!.extensions?.code).toBe("ACCOUNT_NOT_FOUND");
  });

  it("the README mutation after the README query updates the cached profile: no refetch, no warning", async () => {
    const { operations, warnings, data, again, stored } = await readmeQueryThenMutation(typePolicies);
    expect(operations).toEqual(["Profiles", "SetMyProfile"]);
    expect(stored).toMatchObject({ level: 3000000000, location: "CN-Shenzhen", role: 2 });
    expect(warnings).toEqual([]);
    // The mutation's answer merged into the profile on screen (zhang.wei is `me` and users[0]),
    // keeping the fields only the query read.
    expect(data?.me?.profile).toMatchObject({
      nick: "张伟",
      level: 3000000000,
      custom: { Score: "18446744073709551614" },
    });
    expect(again?.users[0]?.profile).toMatchObject({ location: "CN-Shenzhen", level: 3000000000, gender: "MALE" });
  });

  it("without the type policy the README mutation drops the query's profile fields: a warning, then a refetch", async () => {
    const { operations, stored } = await readmeQueryThenMutation(undefined);
    // The stored profile is the mutation's answer alone: the query's other fields are gone.
    expect(Object.keys(stored ?? {}).sort()).toEqual(["__typename", "custom", "location", "nick"]);
    expect(operations).toEqual(["Profiles", "Profiles", "SetMyProfile"]);
  });
});
