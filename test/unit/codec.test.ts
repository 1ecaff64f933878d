import { describe, expect, it } from "vitest";
import { decodeProfile } from "../../src/profile/codec.js";
import { checkTagValue, TagRegistry } from "../../src/profile/tags.js";

// The reader reports each anomaly once per process: every test uses tags of its own.
const tags = TagRegistry.fromSpec("Avatar:bytes,Blob:bytes,Odd:string,Count:integer,Kind:string");

describe("custom tags of type bytes", () => {
  it("are configured as Key:bytes, held to string rules of at most 500 bytes", () => {
    const avatar = tags.byCustomKey("Avatar")!;
    expect(avatar).toMatchObject({ kind: "custom", tag: "Tag_Profile_Custom_Avatar", type: "bytes", maxBytes: 500 });
    expect(tags.customSpec()).toContain("Avatar:bytes:rw");
    expect(checkTagValue(avatar, "iVBORw0KGgo=")).toBeUndefined();
    expect(checkTagValue(avatar, "a".repeat(500))).toBeUndefined();
    expect(checkTagValue(avatar, "a".repeat(501))).toMatchObject({ code: 40601 });
    expect(checkTagValue(avatar, 7)).toMatchObject({ code: 40610, rule: "must be a string" });
    expect(() => TagRegistry.fromSpec("Avatar:blob")).toThrow('type must be string, integer or bytes, got "blob"');
  });

  it("read as the very string Tencent sent, into custom", () => {
    const reports: string[] = [];
    const wire = "iVBORw0KGgo+/AAAA==\u0000\u00ff";
    const profile = decodeProfile("a", [{ Tag: "Tag_Profile_Custom_Avatar", Value: wire }], tags, (m) =>
      reports.push(m),
    );
    expect(profile).toEqual({ account: "a", custom: { Avatar: wire } });
    expect(reports).toEqual([]);
  });
});

describe("the reader never drops a value in silence", () => {
  it.each([
    ["an object", { b64: "AA==" }, "object"],
    ["an array", [1, 2], "array"],
    ["a boolean", true, "boolean"],
    ["null", null, "null"],
  ])("a value that is %s reads as null and is reported once with the reason", (_name, value, kind) => {
    const reports: string[] = [];
    const tag = `Tag_Profile_Custom_${{ object: "Avatar", array: "Count", boolean: "Odd", null: "Kind" }[kind]!}`;
    const items = [
      { Tag: tag, Value: value },
      { Tag: "Tag_Profile_IM_Nick", Value: "还在" },
    ];
    expect(decodeProfile("a", items, tags, (m) => reports.push(m))).toEqual({
      account: "a",
      nick: "还在",
      custom: {},
    });
    decodeProfile("b", items, tags, (m) => reports.push(m));
    expect(reports).toEqual([expect.stringMatching(new RegExp(`^${tag} from Tencent is a JSON ${kind}, not a`))]);
    expect(reports[0]).toMatch(/read as null$/);
  });

  it("a standard field with a value of the wrong kind is reported too", () => {
    const reports: string[] = [];
    expect(
      decodeProfile("a", [{ Tag: "Tag_Profile_IM_Level", Value: { n: 1 } }], tags, (m) => reports.push(m)),
    ).toEqual({ account: "a", custom: {} });
    expect(reports).toEqual(["Tag_Profile_IM_Level from Tencent is a JSON object, not an integer; read as null"]);
  });

  it("a missing Value and a tag without a string name are reported", () => {
    const reports: string[] = [];
    decodeProfile(
      "a",
      [{ Tag: "Tag_Profile_IM_Location" } as { Tag: string; Value?: unknown } as never, { Tag: 42, Value: "x" }],
      tags,
      (m) => reports.push(m),
    );
    expect(reports).toEqual([
      "Tag_Profile_IM_Location from Tencent has no Value, not a string; read as null",
      "a ProfileItem from Tencent has no string Tag (number), ignored",
    ]);
  });

  it("a tag the registry does not know is reported once, with a clipped name", () => {
    const reports: string[] = [];
    const items = [
      { Tag: "Tag_Profile_Custom_Unconfigured", Value: "x" },
      { Tag: "Tag_Profile_Custom_Unconfigured", Value: "y" },
    ];
    expect(decodeProfile("a", items, tags, (m) => reports.push(m))).toEqual({ account: "a", custom: {} });
    decodeProfile("b", items, tags, (m) => reports.push(m));
    expect(reports).toEqual([
      '"Tag_Profile_Custom_Unconfigured" from Tencent is not a tag this service knows (not standard, not in TIM_CUSTOM_TAGS), ignored',
    ]);
    decodeProfile("c", [{ Tag: `Tag_${"长".repeat(100)}`, Value: 1 }], tags, (m) => reports.push(m));
    expect(reports[1]).toMatch(/^"Tag_\?{60}…" from Tencent is not a tag/);
  });
});
