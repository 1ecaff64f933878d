import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { post } from "../support/http.js";
import { startService, type Service } from "../support/service.js";

// @skip and @include, decided by the request's variables, take a selection out of execution: it
// costs nothing against the account budget and asks Tencent for nothing.

let svc: Service;
beforeAll(async () => {
  svc = await startService({}, { limits: { maxAccountsPerOperation: 10 } });
});
afterAll(() => svc.close());
beforeEach(() => svc.emulator.resetStats());

const ids = Array.from({ length: 20 }, (_, i) => `many${i}`);
const MANY = `query($ids: [ID!]!, $all: Boolean!) {
  me { id }
  users(ids: $ids) @include(if: $all) { id }
}`;

describe("@skip and @include", () => {
  it("a skipped users(ids) over MAX_ACCOUNTS_PER_OPERATION does not count; included, it is refused", async () => {
    const auth = { authorization: `Bearer ${svc.userToken}` };
    const skipped = await post(svc.url, { query: MANY, variables: { ids, all: false } }, auth);
    expect(skipped.json).toEqual({ data: { me: { id: "zhang.wei" } } });
    const included = await post(svc.url, { query: MANY, variables: { ids, all: true } }, auth);
    expect(included.json.errors?.map((e) => e.extensions.code)).toEqual(["ACCOUNT_LIMIT_EXCEEDED"]);
    expect(svc.portraitGets()).toEqual([]);
  });

  it("the same in an HTTP batch, which is counted as a whole before any of its operations runs", async () => {
    const auth = { authorization: `Bearer ${svc.userToken}` };
    const batch = (all: boolean) => [
      { query: MANY, variables: { ids: ids.slice(0, 8), all } },
      { query: MANY, variables: { ids: ids.slice(8, 16), all } },
    ];
    const skipped = await post(svc.url, batch(false), auth);
    expect(JSON.parse(skipped.text)).toEqual([
      { data: { me: { id: "zhang.wei" } } },
      { data: { me: { id: "zhang.wei" } } },
    ]);
    const included = await post(svc.url, batch(true), auth);
    expect(included.json.errors?.map((e) => e.extensions.code)).toEqual(["ACCOUNT_LIMIT_EXCEEDED"]);
  });

  it("a skipped profile field is not requested upstream; included, it is", async () => {
    const query = `query($where: Boolean!, $noLevel: Boolean!) {
      user(id: "li.na") { profile { nick location @include(if: $where) ...Level @skip(if: $noLevel) } }
    }
    fragment Level on Profile { level }`;
    const lean = await svc.gql(query, { where: false, noLevel: true });
    expect(lean.data).toEqual({ user: { profile: { nick: "李娜" } } });
    const full = await svc.gql(query, { where: true, noLevel: false });
    expect(full.errors).toBeUndefined();
    expect(svc.emulator.calls.map((c) => [...(c.tags ?? [])].sort())).toEqual([
      ["Tag_Profile_IM_Nick"],
      ["Tag_Profile_IM_Level", "Tag_Profile_IM_Location", "Tag_Profile_IM_Nick"],
    ]);
  });
});
