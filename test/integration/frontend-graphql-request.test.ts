import { print } from "graphql";
import { ClientError, GraphQLClient } from "graphql-request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProfileDetailsDocument,
  ProfileNickDocument,
  ProfilesDocument,
  SetMyProfileDocument,
  type ProfilesQuery,
} from "../__generated__/frontend/graphql.js";
import { recordingFetch } from "../support/frontend.js";
import { startService, type Service } from "../support/service.js";

// graphql-request 7 with its defaults: POST, and errorPolicy "none" (any error in the response rejects).

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

function client(options: { errorPolicy?: "all" } = {}) {
  const net = recordingFetch();
  return {
    net,
    client: new GraphQLClient(svc.url, {
      headers: { authorization: `Bearer ${svc.userToken}` },
      fetch: net.fetch,
      ...options,
    }),
  };
}

describe("graphql-request", () => {
  it("rejects the README query with a ClientError that still carries the others' data and the ghost error", async () => {
    const { client: gql, net } = client();
    const error = await gql.request(ProfilesDocument).catch((e: unknown) => e);
    expect(net.sent.map((s) => s.method)).toEqual(["POST"]);
    expect(error).toBeInstanceOf(ClientError);
    const { response } = error as ClientError;
    expect((response.data as ProfilesQuery).users.map((u) => u?.profile?.nick ?? null)).toEqual(["张伟", "李娜", null]);
    expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [["users", 2, "profile"], "ACCOUNT_NOT_FOUND"],
    ]);
  });

  it("with errorPolicy 'all', rawRequest returns the README query's data and its error together", async () => {
    const { client: gql } = client({ errorPolicy: "all" });
    const { data, errors } = await gql.rawRequest<ProfilesQuery>(print(ProfilesDocument));
    expect(data.me?.profile?.nick).toBe("张伟");
    expect(data.users[2]).toEqual({ __typename: "User", id: "ghost", profile: null });
    expect(errors?.map((e) => e.extensions?.code)).toEqual(["ACCOUNT_NOT_FOUND"]);
  });

  it("runs the README mutation", async () => {
    const { client: gql } = client();
    const data = await gql.request(SetMyProfileDocument);
    expect(data.setProfile.profile).toMatchObject({
      nick: "张伟",
      location: "CN-Shenzhen",
      custom: { Score: "18446744073709551614" },
    });
  });

  it("two queries reading different fields of one profile: one request each, each with its fields", async () => {
    const { client: gql, net } = client();
    const [nick, details] = await Promise.all([
      gql.request(ProfileNickDocument, { id: "zhang.wei" }),
      gql.request(ProfileDetailsDocument, { id: "zhang.wei" }),
    ]);
    expect(net.operations().sort()).toEqual(["ProfileDetails", "ProfileNick"]);
    expect(nick.user?.profile?.nick).toBe("张伟");
    expect(details.user?.profile).toMatchObject({ gender: "MALE", level: 3000000000 });
  });
});
