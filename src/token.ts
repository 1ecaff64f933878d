import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { readServiceSettings } from "./config.js";
import { ADMIN_SCOPE } from "./profile/viewer.js";

/**
 * A bearer token for trying a deployment, signed the way the deployment verifies tokens (its
 * AUTH_JWT_SECRET, AUTH_ISSUER, AUTH_AUDIENCE), printed to stdout. Run where the service's
 * environment is, e.g. in its container:
 *
 *   docker compose -f deploy/compose/compose.yaml exec portrait-graph node dist/src/token.js zhang.wei
 *   kubectl exec deploy/portrait-graph -- node dist/src/token.js administrator --admin --ttl 10m
 *
 * Your users' tokens come from your identity provider; a deployment that verifies with a JWKS
 * (AUTH_JWKS_URL) holds no key to sign with, and this refuses.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { admin: { type: "boolean", default: false }, ttl: { type: "string", default: "1h" } },
});
const [subject] = positionals;
if (!subject || positionals.length > 1) {
  console.error("usage: node dist/src/token.js <userId> [--admin] [--ttl 1h]");
  process.exit(2);
}
const settings = readServiceSettings();
if (!settings.jwtSecret) {
  console.error("AUTH_JWT_SECRET is not set here: tokens for this deployment come from its identity provider");
  process.exit(1);
}
let token = new SignJWT(values.admin ? { scope: ADMIN_SCOPE } : {})
  .setProtectedHeader({ alg: "HS256" })
  .setSubject(subject)
  .setIssuedAt()
  .setExpirationTime(values.ttl);
if (settings.issuer) token = token.setIssuer(settings.issuer);
if (settings.audience) token = token.setAudience(settings.audience);
console.log(await token.sign(new TextEncoder().encode(settings.jwtSecret)));
