import { Buffer } from "node:buffer";
import { webcrypto } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import type { Viewer } from "../graphql/context.js";
import { unauthenticated } from "../graphql/errors.js";

export const ADMIN_SCOPE = "profile:admin";

export type AuthOptions = { jwtSecret: string; jwksUrl?: undefined } | { jwksUrl: string; jwtSecret?: undefined };

/** Turns an `Authorization` header into a viewer: undefined without one, UNAUTHENTICATED when bad. */
export type Authenticator = (authorization: string | undefined) => Promise<Viewer | undefined>;

/**
 * Verify bearer JWTs: HS256 with a shared secret, or any asymmetric algorithm of a JWKS. `sub`
 * is the Tencent UserID; the scope `profile:admin` (in `scope` or `scp`) grants admin.
 */
export function createAuthenticator(options: AuthOptions): Authenticator {
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (options.jwtSecret !== undefined) {
    // Import the HMAC key once: jose would otherwise import raw bytes on every verification.
    const key = webcrypto.subtle.importKey("raw", new TextEncoder().encode(options.jwtSecret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    verify = async (token) => jwtVerify(token, await key, { algorithms: ["HS256"] });
  } else {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
    verify = (token) => jwtVerify(token, jwks, { algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] });
  }
  // A client sends the same token with every request: remember verified ones (in memory only,
  // never logged) until they expire, so each is checked cryptographically once.
  const verified = new Map<string, { viewer: Viewer; expiresAt: number }>();

  return async (authorization) => {
    if (authorization === undefined || authorization === "") return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <JWT>"');
    const token = match[1]!;
    const known = verified.get(token);
    if (known && Date.now() < known.expiresAt) return known.viewer;
    if (known) verified.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw unauthenticated(describe(error));
    }
    const sub = payload.sub;
    if (typeof sub !== "string" || sub === "" || Buffer.byteLength(sub) > 32) {
      throw unauthenticated("The token's sub must be a Tencent UserID of 1 to 32 bytes");
    }
    const viewer = { account: sub, admin: scopes(payload).includes(ADMIN_SCOPE) };
    // Tokens without exp are verified every time; nbf in the future was refused by jwtVerify.
    if (typeof payload.exp === "number") {
      if (verified.size >= MAX_CACHED_TOKENS) verified.delete(verified.keys().next().value!);
      verified.set(token, { viewer, expiresAt: payload.exp * 1000 });
    }
    return viewer;
  };
}

const MAX_CACHED_TOKENS = 10_000;

function scopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === "string") return raw.split(/\s+/);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  return [];
}

// Say why without echoing the token.
function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "The token has expired";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid";
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted";
  if (error instanceof errors.JOSEError) return `The token is invalid (${error.code})`;
  return "The token could not be verified";
}
