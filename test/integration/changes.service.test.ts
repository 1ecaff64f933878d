import { createHash } from "node:crypto";
import { request } from "undici";
import { describe, expect, it, vi } from "vitest";
import { APP } from "../support/emulator.js";
import { useServices, type Service } from "../support/service.js";

// The profile-change callback, through the service as main.ts wires it: the emulator posts signed
// Profile.CallbackPortraitSet callbacks to the service's receiver after every change.
const TOKEN = "callback-token-of-the-test-app";
const NICK = `query($id: ID!) { user(id: $id) { profile { nick } } }`;

type Nick = { user: { profile: { nick: string } | null } | null };
const nickOf = async (svc: Service, id = "li.na") => (await svc.gql<Nick>(NICK, { id })).data?.user?.profile?.nick;
const gets = (svc: Service) => svc.emulator.calls.filter((c) => c.api === "profile/portrait_get").length;

/** The service's callback counters, as /metrics shows them: `command/outcome` → count. */
async function callbackCounts(svc: Service): Promise<Record<string, number>> {
  const text = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^portrait_graph_callbacks_total\{command="([^"]+)",outcome="(\w+)"\} (\d+)$/gm))
    out[`${m[1]}/${m[2]}`] = Number(m[3]);
  return out;
}

/** A signed delivery as Tencent makes it, to post by hand. */
function signedQuery(overrides: Record<string, string> = {}, token = TOKEN): string {
  const time = overrides.RequestTime ?? String(Math.floor(Date.now() / 1000));
  const params = new URLSearchParams({
    SdkAppid: String(APP.sdkAppId),
    CallbackCommand: "Profile.CallbackPortraitSet",
    contenttype: "json",
    ClientIP: "127.0.0.1",
    OptPlatform: "iOS",
    RequestTime: time,
    Sign: createHash("sha256")
      .update(token + time)
      .digest("hex"),
    ...overrides,
  });
  return params.toString();
}

const body = (nick: string, eventTime = Date.now()) =>
  JSON.stringify({
    CallbackCommand: "Profile.CallbackPortraitSet",
    Operator_Account: "li.na",
    From_Account: "li.na",
    EventTime: eventTime,
    ProfileItem: [{ Tag: "Tag_Profile_IM_Nick", Value: nick }],
  });

describe("the profile-change callback keeps the cache coherent", () => {
  const start = useServices();
  const coherent = (env: Record<string, string> = {}) =>
    start({}, {}, {}, { changesEnv: { TIM_CALLBACK_TOKEN: TOKEN, ...env } });

  it("with callbacks on, the cache serves reads, and another writer's change is read at once (no TTL wait)", async () => {
    const svc = await coherent();
    expect(await nickOf(svc)).toBe("李娜");
    expect(await nickOf(svc)).toBe("李娜");
    expect(gets(svc)).toBe(1); // the second read was a cache hit (the TTL is 60 s by default)

    // Another writer (a client SDK on iOS) changes the nick behind the service's back.
    await svc.emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "娜娜" }], { platform: "iOS" });
    await svc.emulator.callbacksSettled();
    expect(svc.emulator.callbacks.map((c) => c.outcome)).toEqual([200]);
    // The callback was answered before it was applied: the next read sees it within moments.
    await vi.waitFor(async () => expect(await nickOf(svc)).toBe("娜娜"), { timeout: 2_000, interval: 10 });
    expect(gets(svc)).toBe(2);
    expect(await callbackCounts(svc)).toEqual({ "Profile.CallbackPortraitSet/accepted": 1 });
  });

  it("a lost callback (Tencent documents no redelivery): the TTL bounds how long the old value is served", async () => {
    const svc = await coherent({ PROFILE_CACHE_TTL_MS: "1500" });
    svc.emulator.configure({ callbacks: { quirks: { drop: 1 } } });
    expect(await nickOf(svc)).toBe("李娜");
    await svc.emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "娜娜" }]);
    await svc.emulator.callbacksSettled();
    expect(svc.emulator.callbacks.map((c) => c.outcome)).toEqual(["dropped"]);
    // Nothing told the service: the cached value is still served …
    expect(await nickOf(svc)).toBe("李娜");
    // … until its TTL ends, and then the read goes to Tencent.
    await vi.waitFor(async () => expect(await nickOf(svc)).toBe("娜娜"), { timeout: 10_000, interval: 100 });
  });

  it("a duplicate and an out-of-order delivery are applied once, and the older change never overwrites the newer", async () => {
    const svc = await coherent();
    expect(await nickOf(svc)).toBe("李娜");
    const post = (nick: string, eventTime: number) =>
      request(`${svc.receiverUrl}?${signedQuery()}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(nick, eventTime),
      }).then(async (res) => [res.statusCode, await res.body.json()]);
    const now = Date.now();
    const ok = [200, { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" }];
    expect(await post("new", now)).toEqual(ok);
    expect(await post("new", now)).toEqual(ok); // the same delivery again
    expect(await post("old", now - 1_000)).toEqual(ok); // an earlier change, arriving late
    const changes = async () => {
      const text = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
      return [...text.matchAll(/^portrait_graph_profile_changes_total\{source="callback",verdict="(\w+)"\} (\d+)$/gm)]
        .map((m) => `${m[1]}:${m[2]}`)
        .sort();
    };
    await vi.waitFor(async () => expect(await changes()).toEqual(["duplicate:1", "new:1", "older:1"]));
  });

  it("forged, replayed, another app's, oversized and malformed callbacks are refused, and change nothing", async () => {
    const svc = await coherent();
    expect(await nickOf(svc)).toBe("李娜");
    const readsBefore = gets(svc);
    const post = (query: string, payload: string) =>
      request(`${svc.receiverUrl}?${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: payload,
      }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() }));
    const forged = await post(signedQuery({}, "not-the-token"), body("forged"));
    const replayed = await post(signedQuery({ RequestTime: String(Math.floor(Date.now() / 1000) - 120) }), body("old"));
    const otherApp = await post(signedQuery({ SdkAppid: "1400009999" }), body("theirs"));
    const oversized = await post(signedQuery(), body("x".repeat(70_000)));
    const malformed = await post(signedQuery(), "{ not json");
    expect([forged, replayed, otherApp, oversized, malformed].map((r) => r.status)).toEqual([401, 401, 403, 413, 400]);
    for (const r of [forged, replayed, otherApp, oversized, malformed]) expect(r.text).not.toMatch(/\bat \w|stack/i);
    // The emulator's own forged and stale callbacks are refused the same way.
    svc.emulator.configure({ callbacks: { quirks: { badSign: 1, staleTime: 1 } } });
    await svc.emulator.changeProfile("li.na", [{ Tag: "Tag_Profile_IM_Nick", Value: "forged by the quirk" }]);
    await svc.emulator.callbacksSettled();
    expect(svc.emulator.callbacks.map((c) => c.outcome)).toEqual([401]);
    // Nothing was invalidated: the cached value is still served, without asking Tencent.
    expect(await nickOf(svc)).toBe("李娜");
    expect(gets(svc)).toBe(readsBefore);
    expect(await callbackCounts(svc)).toEqual({
      "Profile.CallbackPortraitSet/bad_sign": 2,
      "Profile.CallbackPortraitSet/stale_time": 1,
      "Profile.CallbackPortraitSet/wrong_app": 1,
      "Profile.CallbackPortraitSet/malformed": 1,
      "none/too_large": 1,
    });
  });

  it("another command is acknowledged (200) and counted, and changes nothing", async () => {
    const svc = await coherent();
    const res = await request(`${svc.receiverUrl}?${signedQuery({ CallbackCommand: "State.StateChange" })}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" });
    expect(await callbackCounts(svc)).toEqual({ "other/unknown_command": 1 });
  });
});

describe("serve stale on upstream failure", () => {
  const start = useServices();

  it("while the breaker is open, a cached profile past its TTL is served, marked stale; a missing one is an error", async () => {
    const svc = await start(
      {},
      {},
      { maxAttempts: 1, breaker: { failures: 3, halfOpenAfterMs: 60_000 } },
      { changesEnv: { TIM_CALLBACK_TOKEN: TOKEN, PROFILE_CACHE_TTL_MS: "100", STALE_IF_ERROR_MS: "60000" } },
    );
    expect(await nickOf(svc, "li.na")).toBe("李娜");
    await new Promise((r) => setTimeout(r, 150)); // past the TTL: the next read would go to Tencent
    svc.emulator.configure({ faults: { "502": 1 } });
    for (let i = 0; i < 3; i++) await svc.gql(NICK, { id: `down${i}` });
    expect(svc.client.circuit("profile/portrait_get")).toBe("open");

    const stale = await svc.gql<Nick>(NICK, { id: "li.na" });
    expect(stale.errors).toBeUndefined();
    expect(stale.data?.user?.profile?.nick).toBe("李娜");
    expect((stale as { extensions?: unknown }).extensions).toEqual({
      staleProfiles: [{ account: "li.na", ageMs: expect.any(Number), reason: "UPSTREAM_UNAVAILABLE" }],
    });
    expect(stale.headers["cache-control"]).toBe("no-store");
    // An account never cached has nothing to stand in: the error stays.
    const missing = await svc.gql<Nick>(NICK, { id: "sato.yuki" });
    expect(missing.errors?.[0]?.extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    const metrics = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
    expect(metrics).toMatch(/^portrait_graph_profile_stale_served_total\{reason="UPSTREAM_UNAVAILABLE"\} 1$/m);
  });
});
