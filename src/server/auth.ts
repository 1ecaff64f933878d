import { webcrypto } from "node:crypto";
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from "jose";
import { LRUCache } from "lru-cache";
import { ErrorCode } from "../profile/error-codes.js";
import { userIdViolation } from "../profile/userid.js";
import { ADMIN_SCOPE, type Viewer } from "../profile/viewer.js";

export { ADMIN_SCOPE } from "../profile/viewer.js";

export type AuthOptions = ({ jwtSecret: string; jwksUrl?: undefined } | { jwksUrl: string; jwtSecret?: undefined }) & {
  /** Required `iss` when set. */
  issuer?: string | undefined;
  /** Required `aud` when set. */
  audience?: string | undefined;
};

/** Turns an `Authorization` header into a viewer: undefined without one, UNAUTHENTICATED (401) when bad. */
export type Authenticator = (authorization: string | undefined) => Promise<Viewer | undefined>;

/**
 * Verify bearer JWTs: HS256 with a shared secret, or an asymmetric algorithm of a JWKS. `exp` is
 * required; `iss` and `aud` are checked when configured. `sub` is the caller's Tencent UserID and
 * must be one (printable, 1–32 bytes); the scope `profile:admin` (in `scope` or `scp`) grants admin.
 */
export function createAuthenticator(options: AuthOptions): Authenticator {
  const checks: JWTVerifyOptions = {
    requiredClaims: ["exp", "sub"],
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };
  let verify: (token: string) => Promise<{ payload: JWTPayload }>;
  if (options.jwtSecret !== undefined) {
    // Import the HMAC key once: jose would otherwise import raw bytes on every verification.
    const key = webcrypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(options.jwtSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    verify = async (token) => jwtVerify(token, await key, { ...checks, algorithms: ["HS256"] });
  } else {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
    verify = (token) =>
      jwtVerify(token, jwks, {
        ...checks,
        algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"],
      });
  }
  // A client sends the same token with every request: remember verified ones (in memory only,
  // never logged) until they expire, so each is checked cryptographically once.
  const verified = new LRUCache<string, { viewer: Viewer; expiresAt: number }>({ max: 10_000 });

  return async (authorization) => {
    if (authorization === undefined || authorization === "") return undefined;
    const match = /^Bearer +([A-Za-z0-9\-_.]+) *$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <JWT>"');
    const token = match[1]!;
    const known = verified.get(token);
    // The wall clock decides expiry, as it does for `exp` (the cache's own TTL only purges).
    if (known && Date.now() < known.expiresAt) return known.viewer;

    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      throw unauthenticated(describe(error));
    }
    const violation = userIdViolation(payload.sub);
    if (violation) throw unauthenticated(`The token's sub ${violation}`);
    const expiresAt = payload.exp! * 1000;
    const viewer = { account: payload.sub!, admin: scopes(payload).includes(ADMIN_SCOPE), expiresAt };
    verified.set(token, { viewer, expiresAt }, { ttl: Math.max(1, expiresAt - Date.now()) });
    return viewer;
  };
}

/** UNAUTHENTICATED with HTTP 401 and the `WWW-Authenticate: Bearer` challenge (RFC 6750). */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: ErrorCode.UNAUTHENTICATED,
      http: { status: 401, headers: new HeaderMap([["www-authenticate", 'Bearer realm="portrait-graph"']]) },
    },
  });
}

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
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.reason === "missing"
      ? `The token has no ${error.claim} claim`
      : `The token's ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted";
  if (error instanceof errors.JOSEError) return `The token is invalid (${error.code})`;
  return "The token could not be verified";
}
