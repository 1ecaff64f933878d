import { afterEach } from "vitest";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type DocumentNode } from "graphql";
import { SignJWT } from "jose";
import { request } from "undici";
import { readScaleOutSettings, readTencentSettings, type Env } from "../../src/config.js";
import { readChangeSettings } from "../../src/config/changes.js";
import { createAuthenticator, ADMIN_SCOPE } from "../../src/server/auth.js";
import { createLogger } from "../../src/server/logger.js";
import { createScaleOut } from "../../src/server/scale.js";
import { createServer, type ServerOptions } from "../../src/server/server.js";
import { clientFor, startEmulator } from "./emulator.js";
import { ACCEPT_GRAPHQL_RESPONSE } from "./http.js";

export const JWT_SECRET = "test-jwt-secret-with-more-than-32-bytes-of-entropy";

export async function token(
  sub: string,
  options: { admin?: boolean; secret?: string; expiresIn?: string | number; audience?: string; issuer?: string } = {},
) {
  const jwt = new SignJWT(options.admin ? { scope: `openid ${ADMIN_SCOPE}` } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h");
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  return jwt.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

export interface ServiceOptions {
  /** An emulator already running (shared by several services, e.g. replicas); not closed by close(). Default: one of its own. */
  emulator?: Emulator;
  /**
   * Scale-out variables as main.ts reads them (REDIS_URL, REDIS_KEY_PREFIX, REPLICAS,
   * PROFILE_CACHE_TTL_MS, REDIS_COMMAND_TIMEOUT_MS…, and TIM_RATE_LIMIT for the budget): the shared
   * budget, profile cache and APQ store are then built by `createScaleOut`, exactly as in production.
   */
  scaleOutEnv?: Env;
  /**
   * Profile changes as main.ts wires them, from these variables (TIM_CALLBACK_TOKEN or
   * TIM_CALLBACK_UNSIGNED, TIM_CALLBACK_PATH, PROFILE_CACHE_TTL_MS, STALE_IF_ERROR_MS, REDIS_URL…):
   * the callback receiver, the change stream, profileChanged; the emulator's callbacks are pointed
   * at this service's receiver, signed with the token.
   */
  changesEnv?: Env;
}

/** Emulator + client + GraphQL server, each on an ephemeral loopback port. */
export async function startService(
  emulatorOptions: Parameters<typeof startEmulator>[0] = {},
  serverOptions: Partial<ServerOptions> = {},
  clientOptions: Parameters<typeof clientFor>[1] = {},
  serviceOptions: ServiceOptions = {},
) {
  const ownsEmulator = serviceOptions.emulator === undefined;
  const emulator = serviceOptions.emulator ?? (await startEmulator({ rateLimit: 0, ...emulatorOptions }));
  // Quiet unless a test listens: a failing test's output should show the failure.
  const logger = serverOptions.logger ?? createLogger({ level: "silent" });
  const changeSettings = serviceOptions.changesEnv
    ? readChangeSettings(serviceOptions.changesEnv, { production: false, embeddedEmulator: false })
    : undefined;
  const env = serviceOptions.scaleOutEnv ?? serviceOptions.changesEnv;
  const scaleOut = env
    ? await createScaleOut(
        readScaleOutSettings(env, { coherent: changeSettings?.callback !== undefined }),
        readTencentSettings(env).rateLimit,
        logger,
        { streamWindow: changeSettings?.streamWindow ?? 10_000 },
      )
    : undefined;
  const client = clientFor(emulator.url, {
    ...(scaleOut?.budget ? { budget: scaleOut.budget } : { rateLimit: 0 }),
    ...clientOptions,
  });
  const server = await createServer({
    client,
    tags: emulator.tags,
    authenticate: createAuthenticator({ jwtSecret: JWT_SECRET }),
    nodeEnv: "production",
    logger,
    ...(scaleOut?.cache ? { cache: scaleOut.cache } : {}),
    ...(scaleOut?.apqCache ? { apqCache: scaleOut.apqCache } : {}),
    ...(scaleOut?.redis ? { redis: scaleOut.redis } : {}),
    ...(changeSettings && scaleOut ? { changes: { ...scaleOut.changes, settings: changeSettings } } : {}),
    ...serverOptions,
  });
  const url = await server.listen(0);
  const callback = changeSettings?.callback;
  const receiverUrl = callback ? `${new URL(url).origin}${callback.path}` : undefined;
  if (receiverUrl) emulator.configure({ callbacks: { urls: [receiverUrl], token: callback?.token } });
  // The readiness check makes one upstream call at start: let it land before a test counts calls.
  await server.readiness.checked();
  emulator.resetStats();
  const userToken = await token("zhang.wei");
  const adminToken = await token("administrator", { admin: true });

  /** POST a GraphQL operation; returns HTTP status and the parsed body. */
  async function gql<TData = Record<string, unknown>, TVars = Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVars> | DocumentNode | string,
    variables?: TVars,
    auth: string | null = userToken,
    headers: Record<string, string> = {},
  ) {
    const res = await request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: ACCEPT_GRAPHQL_RESPONSE,
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query: typeof document === "string" ? document : print(document), variables }),
    });
    const body = (await res.body.json()) as {
      data?: TData;
      errors?: { message: string; path?: (string | number)[]; extensions: Record<string, unknown> }[];
    };
    return { status: res.statusCode, headers: res.headers, ...body };
  }

  /** The portrait_get calls the emulator answered since the last reset: the accounts of each. */
  function portraitGets(): string[][] {
    return emulator.calls.filter((c) => c.api === "profile/portrait_get").map((c) => c.accounts ?? []);
  }

  return {
    emulator,
    client,
    server,
    scaleOut,
    url,
    /** The callback receiver's URL (with `changesEnv`). */
    receiverUrl,
    userToken,
    adminToken,
    gql,
    portraitGets,
    async close() {
      await server.close();
      await client.close();
      await scaleOut?.close();
      if (ownsEmulator) await emulator.close();
    },
  };
}

export type Service = Awaited<ReturnType<typeof startService>>;

/** Import `n` accounts named `${prefix}${i}` with a nick each, through the emulator's own API. */
export async function importAccounts(service: Service, prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (let i = 0; i < ids.length; i += 100) {
    await service.client.call("im_open_login_svc/multiaccount_import", { Accounts: ids.slice(i, i + 100) });
  }
  // In waves of 100: all at once, a write's time in the connection pool's queue counts against its
  // own deadline, and on a loaded machine the last of 1,500 writes missed it.
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids
        .slice(i, i + 100)
        .map((id) => service.client.portraitSet(id, [{ Tag: "Tag_Profile_IM_Nick", Value: `nick-${id}` }])),
    );
  }
  service.emulator.resetStats();
  return ids;
}

/** `startService` for one test at a time: every service a test starts is closed after it. */
export function useServices(): (...args: Parameters<typeof startService>) => Promise<Service> {
  const running: Service[] = [];
  afterEach(async () => {
    while (running.length) await running.pop()!.close();
  });
  return async (...args) => {
    const svc = await startService(...args);
    running.push(svc);
    return svc;
  };
}
