import { Buffer } from "node:buffer";
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
  const verify = options.jwtSecret !== undefined
    ? ((key: Uint8Array) => (token: string) => jwtVerify(token, key, { algorithms: ["HS256"] }))(new TextEncoder().encode(options.jwtSecret))
    : ((jwks: ReturnType<typeof createRemoteJWKSet>) => (token: string) =>
        jwtVerify(token, jwks, { algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] }))(
        createRemoteJWKSet(new URL(options.jwksUrl)),
      );

  return async (authorization) => {
    if (authorization === undefined || authorization === "") return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <JWT>"');
    let payload: JWTPayload;
    try {
      ({ payload } = await verify(match[1]!));
    } catch (error) {
      throw unauthenticated(describe(error));
    }
    const sub = payload.sub;
    if (typeof sub !== "string" || sub === "" || Buffer.byteLength(sub) > 32) {
      throw unauthenticated("The token's sub must be a Tencent UserID of 1 to 32 bytes");
    }
    return { account: sub, admin: scopes(payload).includes(ADMIN_SCOPE) };
  };
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
  if (error instanceof errors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's signing algorithm is not accepted";
  if (error instanceof errors.JOSEError) return `The token is invalid (${error.code})`;
  return "The token could not be verified";
}
