import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createAuthenticator } from "../../src/server/auth.js";

const SECRET = "unit-test-secret-unit-test-secret-0123";
const hs256 = (claims: Record<string, unknown>, sub = "alice", secret = SECRET) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));

afterEach(() => {
  vi.useRealTimers();
});

describe("bearer JWT authentication", () => {
  const authenticate = createAuthenticator({ jwtSecret: SECRET });

  it("maps sub to the account and the profile:admin scope to admin (scope string or scp array)", async () => {
    expect(await authenticate(`Bearer ${await hs256({})}`)).toMatchObject({ account: "alice", admin: false });
    expect(await authenticate(`Bearer ${await hs256({ scope: "openid profile:admin" })}`)).toMatchObject({
      account: "alice",
      admin: true,
    });
    expect(await authenticate(`bearer ${await hs256({ scp: ["profile:admin"] })}`)).toMatchObject({
      account: "alice",
      admin: true,
    });
    expect(await authenticate(undefined)).toBeUndefined();
  });

  it("a token verified once is still refused once it has expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("carol")
      .setExpirationTime("10s")
      .sign(new TextEncoder().encode(SECRET));
    // The viewer carries the token's expiry (a subscription opened with it ends then).
    const exp = (JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { exp: number }).exp;
    const viewer = { account: "carol", admin: false, expiresAt: exp * 1000 };
    expect(await authenticate(`Bearer ${token}`)).toEqual(viewer);
    expect(await authenticate(`Bearer ${token}`)).toEqual(viewer);
    vi.setSystemTime(Date.now() + 11_000);
    await expect(authenticate(`Bearer ${token}`)).rejects.toMatchObject({ message: "The token has expired" });
  });

  it.each([
    ["a non-bearer scheme", async () => "Basic dXNlcjpwYXNz", /must be "Bearer <JWT>"/],
    [
      "another secret",
      async () => `Bearer ${await hs256({}, "alice", "another-secret-another-secret-0123456")}`,
      /signature is invalid/,
    ],
    [
      "an expired token",
      async () =>
        `Bearer ${await new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setSubject("a")
          .setExpirationTime(Math.floor(Date.now() / 1000) - 5)
          .sign(new TextEncoder().encode(SECRET))}`,
      /expired/,
    ],
    [
      "alg none",
      async () =>
        `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"a"}').toString("base64url")}.`,
      /invalid|not accepted/,
    ],
    [
      "a sub that is no UserID",
      async () => `Bearer ${await hs256({}, "x".repeat(33))}`,
      /sub must be a Tencent UserID/,
    ],
  ])("refuses %s with UNAUTHENTICATED, without echoing the token", async (_name, header, message) => {
    const value = await header();
    const error = (await authenticate(value).catch((e: unknown) => e)) as {
      message: string;
      extensions: Record<string, unknown>;
    };
    expect(error.extensions.code).toBe("UNAUTHENTICATED");
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(value.split(" ")[1]!.slice(0, 20));
  });
});

describe("JWKS authentication", () => {
  let server: Server;
  let url: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("verifies tokens signed with a key of the JWKS and refuses HS256 ones", async () => {
    const authenticate = createAuthenticator({ jwksUrl: url });
    const token = await new SignJWT({ scope: "profile:admin" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("bob")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await authenticate(`Bearer ${token}`)).toMatchObject({ account: "bob", admin: true });
    await expect(authenticate(`Bearer ${await hs256({})}`)).rejects.toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
  });
});
