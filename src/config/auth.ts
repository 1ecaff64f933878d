import { Buffer } from "node:buffer";
import { ConfigError, flag, type Env } from "./env.js";

/** How bearer tokens are verified. */
export interface AuthSettings {
  /** HS256 secret; undefined when a JWKS is used, or when a development secret is to be generated. */
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  /** Checked against the token's `iss` / `aud` when set. */
  issuer: string | undefined;
  audience: string | undefined;
  /** AUTH_ALLOW_ANY_AUDIENCE: the explicit opt-out of the audience check production requires. */
  anyAudience: boolean;
  /** What start-up logs as warnings (a secret only by its length). */
  warnings: string[];
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * AUTH_JWT_SECRET or AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE and AUTH_ALLOW_ANY_AUDIENCE.
 *
 * Production requires AUTH_AUDIENCE: without it, a token signed with the same key for another
 * service (another API of the same identity provider, another service sharing the HS256 secret)
 * would be accepted here. A deployment whose tokens truly carry no audience says so with
 * AUTH_ALLOW_ANY_AUDIENCE=true, which start-up logs as a warning. An unset AUTH_ISSUER only warns
 * in production: the key (a JWKS, or a secret) already names who signs.
 */
export function readAuthSettings(env: Env, production: boolean, realTencent: boolean): AuthSettings {
  const jwtSecret = env.AUTH_JWT_SECRET?.trim() || undefined;
  const jwksUrl = env.AUTH_JWKS_URL?.trim() || undefined;
  if (jwtSecret && jwksUrl)
    throw new ConfigError("AUTH_JWKS_URL", jwksUrl, "either AUTH_JWT_SECRET or AUTH_JWKS_URL, not both");
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl))
    throw new ConfigError("AUTH_JWKS_URL", jwksUrl, "an http(s) URL of a JWKS");
  if (!jwtSecret && !jwksUrl && (production || realTencent)) {
    throw new ConfigError(
      "AUTH_JWT_SECRET",
      "",
      "AUTH_JWT_SECRET or AUTH_JWKS_URL in production and whenever TIM_SDKAPPID is set (real Tencent data)",
    );
  }
  const warnings: string[] = [];
  if (jwtSecret && Buffer.byteLength(jwtSecret) < MIN_HS256_SECRET_BYTES) {
    // The value itself is never echoed: only its length.
    if (production)
      throw new ConfigError(
        "AUTH_JWT_SECRET",
        `<${Buffer.byteLength(jwtSecret)} bytes>`,
        `a secret of at least ${MIN_HS256_SECRET_BYTES} bytes in production`,
      );
    warnings.push(
      `AUTH_JWT_SECRET is ${Buffer.byteLength(jwtSecret)} bytes; HS256 needs at least ${MIN_HS256_SECRET_BYTES} (RFC 7518 §3.2)`,
    );
  }

  const issuer = env.AUTH_ISSUER?.trim() || undefined;
  const audience = env.AUTH_AUDIENCE?.trim() || undefined;
  const anyAudience = flag("AUTH_ALLOW_ANY_AUDIENCE", env.AUTH_ALLOW_ANY_AUDIENCE, false);
  if (anyAudience && audience)
    throw new ConfigError(
      "AUTH_ALLOW_ANY_AUDIENCE",
      env.AUTH_ALLOW_ANY_AUDIENCE!,
      `either AUTH_AUDIENCE (here "${audience}") or AUTH_ALLOW_ANY_AUDIENCE=true, not both`,
    );
  if (production && !audience && !anyAudience)
    throw new ConfigError(
      "AUTH_AUDIENCE",
      "",
      "the audience of this service's tokens (their aud claim) in production, so that a token signed with the same key " +
        "for another service is refused; a deployment whose tokens carry no audience sets AUTH_ALLOW_ANY_AUDIENCE=true instead",
    );
  if (anyAudience)
    warnings.push(
      "AUTH_ALLOW_ANY_AUDIENCE=true: tokens signed with the key are accepted whatever their aud, including tokens issued for other services",
    );
  if (production && !issuer)
    warnings.push("AUTH_ISSUER unset: tokens from any issuer signed with the key are accepted");
  return { jwtSecret, jwksUrl, issuer, audience, anyAudience, warnings };
}
