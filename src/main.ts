import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { readServiceSettings } from "./config.js";
import { createEmulator } from "./emulator/emulator.js";
import { DEMO_ACCOUNTS } from "./emulator/seed.js";
import { ADMIN_SCOPE, createAuthenticator } from "./server/auth.js";
import { Metrics } from "./server/metrics.js";
import { createServer } from "./server/server.js";
import { TencentClient } from "./tencent/client.js";

/** `npm start`: wires configuration, the upstream (Tencent or the embedded emulator) and the server. */
const settings = readServiceSettings();
const { tencent } = settings;
for (const warning of settings.warnings) console.warn(`warning: ${warning}`);

let baseUrl = tencent.baseUrl;
let emulator: Awaited<ReturnType<typeof createEmulator>> | undefined;
if (settings.embeddedEmulator) {
  emulator = await createEmulator({
    sdkAppId: tencent.sdkAppId,
    secretKey: tencent.secretKey,
    adminIdentifier: tencent.adminIdentifier,
    tags: tencent.tags,
    ...settings.embeddedEmulator,
  });
  baseUrl = await emulator.listen(0);
}

// Development only: with the embedded emulator and no configured secret, tokens are signed with
// a secret generated for this run, so nothing printed here works anywhere else.
const jwtSecret = settings.jwtSecret ?? (settings.jwksUrl ? undefined : randomBytes(32).toString("base64url"));
const metrics = new Metrics();
const client = new TencentClient({
  sdkAppId: tencent.sdkAppId,
  secretKey: tencent.secretKey,
  adminIdentifier: tencent.adminIdentifier,
  region: tencent.region,
  ...(baseUrl ? { baseUrl } : {}),
  rateLimit: tencent.rateLimit,
  onAttempt: metrics.recordAttempt,
});

const demoTokens = tencent.usesEmulatorCredentials && jwtSecret ? await mintDemoTokens(jwtSecret) : undefined;
const server = await createServer({
  client,
  tags: tencent.tags,
  authenticate: createAuthenticator(jwtSecret ? { jwtSecret } : { jwksUrl: settings.jwksUrl! }),
  maxUsers: settings.maxUsers,
  batchWindowMs: settings.batchWindowMs,
  nodeEnv: settings.nodeEnv,
  corsOrigins: settings.corsOrigins,
  metrics,
  ...(demoTokens ? { landingPage: { headers: { Authorization: `Bearer ${demoTokens.user}` } } } : {}),
});
const url = await server.listen(settings.port, settings.host);
const shown = url.replace("://0.0.0.0:", "://localhost:");

console.log(`portrait-graph ready at ${shown} (${settings.nodeEnv})`);
console.log(
  emulator
    ? `  upstream: embedded Tencent IM emulator at ${baseUrl} (sdkappid ${tencent.sdkAppId})`
    : `  upstream: ${baseUrl ?? `Tencent ${tencent.region}`} (sdkappid ${tencent.sdkAppId})`,
);
if (demoTokens) {
  console.log(`  demo accounts: ${DEMO_ACCOUNTS.map((a) => a.id).join(", ")}`);
  console.log("  development tokens (valid 12 h, signed with a secret generated for this run unless AUTH_JWT_SECRET is set):");
  console.log(`    user  zhang.wei:     Bearer ${demoTokens.user}`);
  console.log(`    admin administrator: Bearer ${demoTokens.admin}`);
  console.log(`  open ${shown} in a browser for Apollo Sandbox, or:`);
  console.log(
    `    curl -s ${shown} -H 'content-type: application/json' -H 'authorization: Bearer ${demoTokens.user}' ` +
      `-d '{"query":"{ me { id profile { nick level custom } } }"}'`,
  );
}

async function mintDemoTokens(secret: string) {
  const key = new TextEncoder().encode(secret);
  const sign = (sub: string, scope?: string) =>
    new SignJWT(scope ? { scope } : {}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuedAt().setExpirationTime("12h").sign(key);
  return { user: await sign("zhang.wei"), admin: await sign(tencent.adminIdentifier, ADMIN_SCOPE) };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void (async () => {
      await server.close();
      await client.close();
      await emulator?.close();
      process.exit(0);
    })();
  });
}
