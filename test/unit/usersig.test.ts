import { inflateSync, deflateSync } from "node:zlib";
import TLSSigAPIv2 from "tls-sig-api-v2";
import { describe, expect, it } from "vitest";
import { decodeUserSig, signUserSig, verifyUserSig } from "../../src/tencent/usersig.js";

const VECTOR = {
  sdkAppId: 1400000000,
  secretKey: "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
  identifier: "xiaojun",
  time: 1700000000,
  expireSeconds: 15552000,
};

function officialDecode(sig: string): Record<string, unknown> {
  const b64 = sig.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
  return JSON.parse(inflateSync(Buffer.from(b64, "base64")).toString()) as Record<string, unknown>;
}

function officialEncode(doc: Record<string, unknown>): string {
  return deflateSync(Buffer.from(JSON.stringify(doc)))
    .toString("base64")
    .replace(/\+/g, "*")
    .replace(/\//g, "-")
    .replace(/=/g, "_");
}

describe("UserSig v2", () => {
  it("matches the contract's test vector", () => {
    const sig = signUserSig(VECTOR);
    expect(decodeUserSig(sig)).toMatchObject({
      identifier: "xiaojun",
      sdkAppId: 1400000000,
      time: 1700000000,
      expire: 15552000,
      sig: "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=",
    });
    expect(verifyUserSig(sig, { ...VECTOR, now: 1700000000 })).toMatchObject({ ok: true });
  });

  it("mints sigs whose decoded fields equal the official library's for the same inputs", () => {
    const api = new TLSSigAPIv2.Api(VECTOR.sdkAppId, VECTOR.secretKey);
    const theirs = officialDecode(api.genUserSig("alice", 86400));
    const time = theirs["TLS.time"] as number;
    const ours = officialDecode(signUserSig({ ...VECTOR, identifier: "alice", expireSeconds: 86400, time }));
    expect(ours).toEqual(theirs);
  });

  it("verifies sigs minted by the official library, with and without userbuf", () => {
    const api = new TLSSigAPIv2.Api(VECTOR.sdkAppId, VECTOR.secretKey);
    const plain = api.genUserSig("administrator", 600);
    expect(verifyUserSig(plain, { ...VECTOR, identifier: "administrator" })).toMatchObject({ ok: true });
    const withBuf = api.genPrivateMapKey("administrator", 600, 1234, 255);
    const verdict = verifyUserSig(withBuf, { ...VECTOR, identifier: "administrator" });
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.ok && verdict.payload.userBuf).toBeTruthy();
  });

  it("is valid up to time + expire and expired one second later", () => {
    const sig = signUserSig({ ...VECTOR, expireSeconds: 100 });
    expect(verifyUserSig(sig, { ...VECTOR, now: VECTOR.time + 100 })).toMatchObject({ ok: true });
    expect(verifyUserSig(sig, { ...VECTOR, now: VECTOR.time + 101 })).toEqual({ ok: false, reason: "expired" });
  });

  it("catches tampering with each signed field", () => {
    const doc = officialDecode(signUserSig(VECTOR));
    const now = VECTOR.time + 10;
    const tampered = (field: string, value: unknown) =>
      verifyUserSig(officialEncode({ ...doc, [field]: value }), {
        ...VECTOR,
        identifier: (field === "TLS.identifier" ? value : VECTOR.identifier) as string,
        sdkAppId: (field === "TLS.sdkappid" ? value : VECTOR.sdkAppId) as number,
        now,
      });
    expect(tampered("TLS.identifier", "mallory")).toEqual({ ok: false, reason: "hmac-mismatch" });
    expect(tampered("TLS.sdkappid", 1400000002)).toEqual({ ok: false, reason: "hmac-mismatch" });
    expect(tampered("TLS.time", VECTOR.time + 1)).toEqual({ ok: false, reason: "hmac-mismatch" });
    expect(tampered("TLS.expire", VECTOR.expireSeconds + 1)).toEqual({ ok: false, reason: "hmac-mismatch" });
    expect(tampered("TLS.sig", "AAAA" + (doc["TLS.sig"] as string).slice(4))).toEqual({
      ok: false,
      reason: "hmac-mismatch",
    });
    expect(tampered("TLS.userbuf", "AAAA")).toEqual({ ok: false, reason: "hmac-mismatch" });
  });

  it("names identity mismatches, empty and undecodable sigs", () => {
    const sig = signUserSig(VECTOR);
    const now = VECTOR.time;
    expect(verifyUserSig(sig, { ...VECTOR, identifier: "bob", now })).toEqual({
      ok: false,
      reason: "identifier-mismatch",
    });
    expect(verifyUserSig(sig, { ...VECTOR, sdkAppId: 1, now })).toEqual({ ok: false, reason: "sdkappid-mismatch" });
    expect(verifyUserSig(sig, { ...VECTOR, secretKey: "another-key", now })).toEqual({
      ok: false,
      reason: "hmac-mismatch",
    });
    expect(verifyUserSig("", { ...VECTOR, now })).toEqual({ ok: false, reason: "empty" });
    expect(verifyUserSig("not-a-sig", { ...VECTOR, now })).toEqual({ ok: false, reason: "undecodable" });
  });
});
