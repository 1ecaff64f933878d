import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetProfileDocument, UserProfileDocument } from "../__generated__/graphql.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { startService, type Service } from "../support/service.js";

let svc: Service;
beforeAll(async () => {
  svc = await startService({ tags: TagRegistry.fromSpec("Test:string,Avatar:bytes") });
});
afterAll(() => svc.close());

describe("a custom tag of type bytes (TIM_CUSTOM_TAGS=Avatar:bytes)", () => {
  // What an app may keep in a bytes field: base64 of a small thumbnail, with +, / and = in it.
  const THUMB = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

  it("is written and read back through GraphQL's custom JSON as the same string, unchanged on the wire", async () => {
    const set = await svc.gql(SetProfileDocument, { input: { custom: { Avatar: THUMB } } });
    expect(set.errors).toBeUndefined();
    expect(svc.emulator.store.get("zhang.wei")!.profile.get("Tag_Profile_Custom_Avatar")).toBe(THUMB);
    const read = await svc.gql(UserProfileDocument, { id: "zhang.wei" });
    expect(read.data!.user!.profile!.custom).toEqual({ Test: "Custom Data1", Avatar: THUMB });
  });

  it("is held to 500 bytes and to string values, refused before any upstream call", async () => {
    svc.emulator.resetStats();
    const long = await svc.gql(SetProfileDocument, { input: { custom: { Avatar: "A".repeat(501) } } });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    const number = await svc.gql(SetProfileDocument, { input: { custom: { Avatar: 12 } } });
    expect(number.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(svc.emulator.calls).toEqual([]);
  });
});
