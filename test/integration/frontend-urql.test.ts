import { cacheExchange, Client, fetchExchange } from "@urql/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProfileDetailsDocument,
  ProfileNickDocument,
  ProfilesDocument,
  SetMyProfileDocument,
} from "../__generated__/frontend/graphql.js";
import { recordingFetch } from "../support/frontend.js";
import { startService, type Service } from "../support/service.js";

// @urql/core 6 with its documented exchanges and defaults: queries go as GET (`preferGetMethod`
// "within-url-limit"), mutations as POST. The service takes a GET that carries Authorization as
// preflighted (a browser sends that header only after a CORS preflight), so CSRF prevention lets it through.

let svc: Service;
beforeAll(async () => {
  svc = await startService();
});
afterAll(() => svc.close());

function urql(token: string | null = svc.userToken) {
  const net = recordingFetch();
  const client = new Client({
    url: svc.url,
    exchanges: [cacheExchange, fetchExchange],
    fetch: net.fetch,
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  return { client, net };
}

describe("urql", () => {
  it("sends the README query as GET with a bearer token and keeps the others' data beside the ghost error", async () => {
    const { client, net } = urql();
    const { data, error } = await client.query(ProfilesDocument, {}).toPromise();
    expect(net.sent).toEqual([{ method: "GET", operationName: "Profiles", hashOnly: false }]);
    expect(data?.me?.profile?.nick).toBe("张伟");
    expect(data?.users.map((u) => u?.profile?.nick ?? null)).toEqual(["张伟", "李娜", null]);
    expect(error?.networkError).toBeUndefined();
    expect(error?.graphQLErrors.map((e) => [e.path, e.extensions.code])).toEqual([
      [["users", 2, "profile"], "ACCOUNT_NOT_FOUND"],
    ]);
  });

  it("without a token the same GET is refused before it runs (CSRF prevention: 400)", async () => {
    const { client } = urql(null);
    const { data, error } = await client.query(ProfileNickDocument, { id: "zhang.wei" }).toPromise();
    expect(data).toBeUndefined();
    expect((error?.response as Response | undefined)?.status).toBe(400);
    expect(error?.message).toMatch(/CSRF/);
  });

  it("sends the README mutation as POST", async () => {
    const { client, net } = urql();
    const { data, error } = await client.mutation(SetMyProfileDocument, {}).toPromise();
    expect(error).toBeUndefined();
    expect(net.sent.map((s) => s.method)).toEqual(["POST"]);
    expect(data?.setProfile.profile).toMatchObject({
      nick: "张伟",
      location: "CN-Shenzhen",
      custom: { Score: "18446744073709551614" },
    });
  });

  it("two queries reading different fields of one profile: one GET each, each with its fields", async () => {
    const { client, net } = urql();
    const [nick, details] = await Promise.all([
      client.query(ProfileNickDocument, { id: "zhang.wei" }).toPromise(),
      client.query(ProfileDetailsDocument, { id: "zhang.wei" }).toPromise(),
    ]);
    expect(net.sent.map((s) => `${s.method} ${s.operationName}`).sort()).toEqual([
      "GET ProfileDetails",
      "GET ProfileNick",
    ]);
    expect(nick.data?.user?.profile?.nick).toBe("张伟");
    expect(details.data?.user?.profile).toMatchObject({ gender: "MALE", level: 3000000000 });
  });
});
