import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkCallback, PROFILE_CHANGED } from "../../src/profile/changes/callback.js";

const TOKEN = "callback-token-from-the-console";
const APP = 1400000001;
const NOW = 1_800_000_000_000;
const settings = { sdkAppId: APP, token: TOKEN, now: () => NOW };

function query(overrides: Record<string, string | undefined> = {}): URLSearchParams {
  const time = overrides.RequestTime ?? String(NOW / 1000);
  const all: Record<string, string | undefined> = {
    SdkAppid: String(APP),
    CallbackCommand: PROFILE_CHANGED,
    contenttype: "json",
    ClientIP: "10.0.0.1",
    OptPlatform: "iOS",
    RequestTime: time,
    Sign: createHash("sha256")
      .update(TOKEN + time)
      .digest("hex"),
    ...overrides,
  };
  return new URLSearchParams(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

const BODY = JSON.stringify({
  CallbackCommand: PROFILE_CHANGED,
  Operator_Account: "li.na",
  From_Account: "li.na",
  EventTime: NOW - 5,
  ProfileItem: [
    { Tag: "Tag_Profile_IM_Nick", Value: "nick1" },
    { Tag: "Tag_Profile_Custom_Score", Value: 18446744073709551615n.toString() },
  ],
});

describe("checkCallback", () => {
  it("accepts a signed, fresh Profile.CallbackPortraitSet of this app and reads the change", () => {
    expect(checkCallback(query(), BODY, settings)).toEqual({
      outcome: "accepted",
      command: PROFILE_CHANGED,
      status: 200,
      change: {
        account: "li.na",
        eventTime: NOW - 5,
        items: [
          { Tag: "Tag_Profile_IM_Nick", Value: "nick1" },
          { Tag: "Tag_Profile_Custom_Score", Value: "18446744073709551615" },
        ],
        source: "callback",
        operator: "li.na",
        platform: "iOS",
      },
    });
  });

  it("refuses a forged Sign, a missing one, another app, and a RequestTime more than 60 s away (either way)", () => {
    const outcome = (q: URLSearchParams) => {
      const { outcome: o, status } = checkCallback(q, BODY, settings);
      return [o, status];
    };
    expect(outcome(query({ Sign: "0".repeat(64) }))).toEqual(["bad_sign", 401]);
    expect(outcome(query({ Sign: undefined }))).toEqual(["bad_sign", 401]);
    expect(outcome(query({ SdkAppid: "1400000002" }))).toEqual(["wrong_app", 403]);
    expect(outcome(query({ RequestTime: String(NOW / 1000 - 61) }))).toEqual(["stale_time", 401]);
    expect(outcome(query({ RequestTime: String(NOW / 1000 + 61) }))).toEqual(["stale_time", 401]);
    expect(outcome(query({ RequestTime: String(NOW / 1000 - 60) }))).toEqual(["accepted", 200]);
  });

  it("a valid Sign for another token, or the right Sign for another time, is still forged", () => {
    const time = String(NOW / 1000);
    const other = createHash("sha256").update(`other${time}`).digest("hex");
    expect(checkCallback(query({ Sign: other }), BODY, settings).outcome).toBe("bad_sign");
    const earlier = createHash("sha256")
      .update(`${TOKEN}${NOW / 1000 - 1}`)
      .digest("hex");
    expect(checkCallback(query({ Sign: earlier }), BODY, settings).outcome).toBe("bad_sign");
  });

  it("acknowledges (200) and counts a command it does not act on", () => {
    expect(checkCallback(query({ CallbackCommand: "State.StateChange" }), "{}", settings)).toEqual({
      outcome: "unknown_command",
      command: "other",
      status: 200,
    });
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["an array", "[]", /not a JSON object/],
    ["another command in the body", JSON.stringify({ CallbackCommand: "X" }), /differs/],
    ["a bad From_Account", BODY.replace('"From_Account":"li.na"', '"From_Account":""'), /From_Account/],
    ["no EventTime", BODY.replace(`"EventTime":${NOW - 5},`, ""), /EventTime/],
    ["no ProfileItem", BODY.replace(/"ProfileItem":\[.*\]/, '"ProfileItem":[]'), /ProfileItem/],
  ])("refuses a malformed body (%s) with 400 and the reason", (_name, body, reason) => {
    const check = checkCallback(query(), body, settings);
    expect(check).toMatchObject({ outcome: "malformed", status: 400 });
    expect(check.reason).toMatch(reason);
  });

  it("in the explicit unsigned mode, checks the app but not Sign or RequestTime", () => {
    const unsigned = { sdkAppId: APP, token: undefined, now: () => NOW };
    expect(checkCallback(query({ Sign: undefined, RequestTime: undefined }), BODY, unsigned).outcome).toBe("accepted");
    expect(checkCallback(query({ SdkAppid: "1" }), BODY, unsigned).outcome).toBe("wrong_app");
  });
});
