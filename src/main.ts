import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { readServiceSettings } from "./config.js";
import { createEmulator } from "./emulator/emulator.js";
import { DEMO_ACCOUNTS } from "./emulator/seed.js";
import { buildSubgraph } from "./graphql/schema.js";
import { ADMIN_SCOPE, createAuthenticator } from "./server/auth.js";
import { createLogger } from "./server/logger.js";
import { createScaleOut } from "./server/scale.js";
import { createServer } from "./server/server.js";
import { runShutdownHooks } from "./telemetry/lifecycle.js";
import { createUpstream } from "./upstream/upstream.js";

/** `npm start`: wires configuration, the upstream (Tencent or the embedded emulator) and the server. */
const settings = readServiceSettings();
const { tencent } = settings;
const development = settings.nodeEnv === "development";
// Development tokens are printed only in development, and only when signed with a secret made for
// this run: a configured secret (or a JWKS) never signs anything this process prints.
const generatedSecret =
  development && !settings.jwtSecret && !settings.jwksUrl ? randomBytes(32).toString("base64url") : undefined;
const jwtSecret = settings.jwtSecret ?? generatedSecret;
// Every secret the process holds is scrubbed from whatever a log line would carry.
const logger = createLogger({
  level: settings.logLevel,
  secrets: [
    tencent.secretKey,
    jwtSecret,
    settings.changes.callback?.token,
    settings.changes.routerInvalidation?.sharedKey,
  ],
});
for (const warning of settings.warnings) logger.warn(warning);
if (settings.trustedDocuments) {
  logger.info(
    { documents: settings.trustedDocuments.manifest.size, mode: settings.trustedDocuments.mode },
    "trusted documents (TRUSTED_DOCUMENTS)",
  );
}

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

// With REDIS_URL: one call budget, profile cache, APQ store and change stream for every replica.
const scaleOut = await createScaleOut(settings.scaleOut, tencent.rateLimit, logger, {
  streamWindow: settings.changes.streamWindow,
});
const callback = settings.changes.callback;
// The embedded emulator's development mode: the emulator calls this service back, signed with a
// token made for the run, so the profile cache is on and coherent out of the box.
const callbackToken = callback?.mode === "embedded" ? randomBytes(24).toString("base64url") : callback?.token;
const client = createUpstream({
  sdkAppId: tencent.sdkAppId,
  secretKey: tencent.secretKey,
  adminIdentifier: tencent.adminIdentifier,
  region: tencent.region,
  ...(baseUrl ? { baseUrl } : {}),
  ...(scaleOut.budget ? { budget: scaleOut.budget } : { rateLimit: tencent.rateLimit }),
});

const demoTokens = generatedSecret ? await mintDemoTokens(generatedSecret) : undefined;
const server = await createServer({
  client,
  tags: tencent.tags,
  authenticate: createAuthenticator({
    ...(jwtSecret ? { jwtSecret } : { jwksUrl: settings.jwksUrl! }),
    issuer: settings.issuer,
    audience: settings.audience,
  }),
  nodeEnv: settings.nodeEnv,
  logger,
  limits: settings.limits,
  http: settings.http,
  anonymousIntrospection: settings.anonymousIntrospection,
  schema: await buildSubgraph({ rootFields: settings.rootFields }),
  requestDeadlineMs: settings.requestDeadlineMs,
  queue: settings.queue,
  ...(scaleOut.cache ? { cache: scaleOut.cache } : {}),
  ...(scaleOut.apqCache ? { apqCache: scaleOut.apqCache } : {}),
  ...(scaleOut.redis ? { redis: scaleOut.redis } : {}),
  ...(settings.trustedDocuments ? { trustedDocuments: settings.trustedDocuments } : {}),
  ...(demoTokens ? { landingPage: { headers: { Authorization: `Bearer ${demoTokens.user}` } } } : {}),
  changes: { ...scaleOut.changes, settings: settings.changes, callbackToken },
  cacheControl: settings.changes.cacheControl,
});
const url = await server.listen(settings.port, settings.host);
if (emulator && callback?.mode === "embedded") {
  // Same process: the emulator reaches the receiver on loopback, whatever HOST the service listens on.
  const receiver = `http://127.0.0.1:${new URL(url).port}${callback.path}`;
  emulator.configure({ callbacks: { urls: [receiver], token: callbackToken } });
}
const shown = url.replace("://0.0.0.0:", "://localhost:");

console.log(`portrait-graph ready at ${shown} (${settings.nodeEnv})`);
console.log(
  emulator
    ? `  upstream: embedded Tencent IM emulator at ${baseUrl} (sdkappid ${tencent.sdkAppId})`
    : `  upstream: ${baseUrl ?? `Tencent ${tencent.region}`} (sdkappid ${tencent.sdkAppId})`,
);
if (callback) {
  const how = { signed: "signed", unsigned: "UNSIGNED", embedded: "the embedded emulator calls it, signed" }[
    callback.mode
  ];
  console.log(
    `  profile-change callbacks: POST ${callback.path} (${how}); cache TTL ${settings.scaleOut.profileCache.ttlMs} ms`,
  );
}
if (demoTokens) {
  console.log(`  demo accounts: ${DEMO_ACCOUNTS.map((a) => a.id).join(", ")}`);
  console.log("  development tokens (valid 12 h, signed with a secret generated for this run):");
  console.log(`    user  zhang.wei:     Bearer ${demoTokens.user}`);
  console.log(`    admin administrator: Bearer ${demoTokens.admin}`);
  console.log(`  open ${shown} in a browser to explore, or:`);
  console.log(
    `    curl -s ${shown} -H 'content-type: application/json' -H 'authorization: Bearer ${demoTokens.user}' ` +
      `-d '{"query":"{ me { id profile { nick level custom } } }"}'`,
  );
}

async function mintDemoTokens(secret: string) {
  const key = new TextEncoder().encode(secret);
  const sign = (sub: string, scope?: string) =>
    new SignJWT(scope ? { scope } : {})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("12h")
      .sign(key);
  return { user: await sign("zhang.wei"), admin: await sign(tencent.adminIdentifier, ADMIN_SCOPE) };
}

// SIGTERM: drain (readiness 503 at once, in-flight requests answered), close the upstream pool, exit 0,
// all within SHUTDOWN_TIMEOUT_MS: draining gets the time less a reserve for the closing steps, and
// whatever is still open when the time is up does not hold the exit.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "draining");
    const hard = setTimeout(() => {
      logger.warn(
        { shutdownTimeoutMs: settings.shutdownTimeoutMs },
        "shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting",
      );
      logger.flush();
      process.exit(0);
    }, settings.shutdownTimeoutMs);
    hard.unref();
    const until = performance.now() + settings.shutdownTimeoutMs;
    void (async () => {
      await server.shutdown(settings.shutdownTimeoutMs - Math.min(1_000, settings.shutdownTimeoutMs / 5));
      // Upstream calls still running belong to requests that are answered or cut by now.
      await client.close(Math.max(0, until - performance.now() - 100));
      await scaleOut.close();
      await emulator?.close();
      // The telemetry preload's flush, if one was loaded (spans of the drained requests).
      await runShutdownHooks(Math.max(0, until - performance.now() - 50));
      logger.info("stopped");
      logger.flush();
      process.exit(0);
    })();
  });
}
