import { readAuthSettings, type AuthSettings } from "./auth.js";
import { readChangeSettings, type ChangeSettings } from "./changes.js";
import { DEFAULTS } from "./defaults.js";
import { loadManifest, type TrustedDocuments } from "./trusted-documents.js";
import { readEmulatorRuntime, type EmulatorRuntime } from "./emulator.js";
import { ConfigError, flag, nonEmpty, number, oneOf, type Env } from "./env.js";
import { readScaleOutSettings, type ScaleOutSettings } from "./scale.js";
import { readTencentSettings, type TencentSettings } from "./tencent.js";

/** Bounds on what one request may cost; every one has a variable and a documented default. */
export interface Limits {
  /** Largest `users(ids)` list. */
  maxUsers: number;
  /** Largest `profileChanged(ids)` list. */
  maxSubscriptionIds: number;
  /** Distinct accounts one operation, or one HTTP batch, may read. */
  maxAccountsPerOperation: number;
  /** Entries one operation, or one HTTP batch, may ask for: ids in `users` lists and `user` aliases, repeats included. */
  maxEntriesPerOperation: number;
  /**
   * `_entities` representations one operation (or HTTP batch) may hold, repeats included: a
   * router fetches a whole page of entities in one call, which it cannot split, so they have this
   * bound of their own instead of MAX_ACCOUNTS_PER_OPERATION / MAX_ENTRIES_PER_OPERATION.
   */
  maxEntitiesPerOperation: number;
  /** Operations in one HTTP batch. */
  maxBatchOperations: number;
  maxAliases: number;
  /** Depth of a selection, fragments followed. */
  maxDepth: number;
  /** Lexical tokens of a document (bounds parsing work before anything else runs). */
  maxTokens: number;
  maxDirectives: number;
  /** Largest request body, in bytes. */
  bodyLimitBytes: number;
}

export interface HttpSettings {
  /** Origins allowed to call from a browser; `["*"]` allows any (bearer tokens, no cookies). */
  corsOrigins: string[];
  /** Time to receive a request's headers; slower sockets are dropped. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. */
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections at once; more are refused. */
  maxConnections: number;
  /** After answering a request whose body is still arriving (413): how long, and how much more, it is drained before closing. No variable. */
  linger: { maxMs: number; maxBytes: number };
}

export interface ServiceSettings extends AuthSettings {
  port: number;
  host: string;
  nodeEnv: string;
  logLevel: string;
  limits: Limits;
  http: HttpSettings;
  /** Whether callers without a token may read the schema (introspection, `_service`). */
  anonymousIntrospection: boolean;
  /** ROOT_FIELDS: `all`, or `none` beside a users subgraph that owns `user`/`users`/`me` (src/graphql/schema.ts). */
  rootFields: "all" | "none";
  /** Time a request may spend waiting for Tencent, retries included. */
  requestDeadlineMs: number;
  /** Bounds of the process-wide read queue. */
  queue: { maxQueuedAccounts: number; maxWaitMs: number; gatherMs: number };
  /** Time SIGTERM gives in-flight requests before the process exits. */
  shutdownTimeoutMs: number;
  tencent: TencentSettings;
  /** Start an emulator in-process (no credentials and no TIM_BASE_URL), with these settings. */
  embeddedEmulator: EmulatorRuntime | undefined;
  /** Redis, the shared call budget and the profile cache (see the block at the end of this file). */
  scaleOut: ScaleOutSettings;
  /** The profile-change callback, the change stream, subscriptions and cache hints. */
  changes: ChangeSettings;
  /** TRUSTED_DOCUMENTS (a persisted-documents manifest, loaded and checked here) and its mode. */
  trustedDocuments: TrustedDocuments | undefined;
}

export function readServiceSettings(env: Env = process.env): ServiceSettings {
  const L = DEFAULTS.limits;
  const H = DEFAULTS.http;
  const tencent = readTencentSettings(env);
  const embeddedEmulator =
    tencent.usesEmulatorCredentials && tencent.baseUrl === undefined ? readEmulatorRuntime(env) : undefined;
  const nodeEnv = env.NODE_ENV?.trim() || (tencent.usesEmulatorCredentials ? "development" : "production");
  const production = nodeEnv === "production";
  const changes = readChangeSettings(env, {
    production,
    embeddedEmulator: embeddedEmulator !== undefined && nodeEnv === "development",
  });
  const auth = readAuthSettings(env, production, !tencent.usesEmulatorCredentials);
  return {
    port: number("PORT", env.PORT, DEFAULTS.service.port, { min: 0, max: 65535, integer: true }),
    host: env.HOST?.trim() || DEFAULTS.service.host,
    nodeEnv,
    logLevel: oneOf("LOG_LEVEL", env.LOG_LEVEL, DEFAULTS.service.logLevel, [
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
      "silent",
    ]),
    ...auth,
    limits: {
      maxUsers: number("MAX_USERS", env.MAX_USERS, L.maxUsers, { min: 1, integer: true }),
      maxSubscriptionIds: number("MAX_SUBSCRIPTION_IDS", env.MAX_SUBSCRIPTION_IDS, L.maxSubscriptionIds, {
        min: 1,
        integer: true,
      }),
      maxAccountsPerOperation: number(
        "MAX_ACCOUNTS_PER_OPERATION",
        env.MAX_ACCOUNTS_PER_OPERATION,
        L.maxAccountsPerOperation,
        {
          min: 1,
          integer: true,
        },
      ),
      maxEntriesPerOperation: number(
        "MAX_ENTRIES_PER_OPERATION",
        env.MAX_ENTRIES_PER_OPERATION,
        L.maxEntriesPerOperation,
        {
          min: 1,
          integer: true,
        },
      ),
      maxEntitiesPerOperation: number(
        "MAX_ENTITIES_PER_OPERATION",
        env.MAX_ENTITIES_PER_OPERATION,
        L.maxEntitiesPerOperation,
        {
          min: 1,
          integer: true,
        },
      ),
      maxBatchOperations: number("MAX_BATCH_OPERATIONS", env.MAX_BATCH_OPERATIONS, L.maxBatchOperations, {
        min: 1,
        integer: true,
      }),
      maxAliases: number("MAX_ALIASES", env.MAX_ALIASES, L.maxAliases, { min: 1, integer: true }),
      maxDepth: number("MAX_DEPTH", env.MAX_DEPTH, L.maxDepth, { min: 1, integer: true }),
      maxTokens: number("MAX_TOKENS", env.MAX_TOKENS, L.maxTokens, { min: 100, integer: true }),
      maxDirectives: number("MAX_DIRECTIVES", env.MAX_DIRECTIVES, L.maxDirectives, { min: 1, integer: true }),
      bodyLimitBytes: number("BODY_LIMIT_BYTES", env.BODY_LIMIT_BYTES, L.bodyLimitBytes, { min: 1024, integer: true }),
    },
    http: {
      corsOrigins: (env.CORS_ORIGINS?.trim() || DEFAULTS.http.corsOrigins.join(","))
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      headersTimeoutMs: number("HEADERS_TIMEOUT_MS", env.HEADERS_TIMEOUT_MS, H.headersTimeoutMs, {
        min: 100,
        integer: true,
      }),
      requestTimeoutMs: number("REQUEST_TIMEOUT_MS", env.REQUEST_TIMEOUT_MS, H.requestTimeoutMs, {
        min: 100,
        integer: true,
      }),
      keepAliveTimeoutMs: number("KEEP_ALIVE_TIMEOUT_MS", env.KEEP_ALIVE_TIMEOUT_MS, H.keepAliveTimeoutMs, {
        min: 100,
        integer: true,
      }),
      maxConnections: number("MAX_CONNECTIONS", env.MAX_CONNECTIONS, H.maxConnections, { min: 1, integer: true }),
      linger: DEFAULTS.http.linger,
    },
    anonymousIntrospection: flag("ANONYMOUS_INTROSPECTION", env.ANONYMOUS_INTROSPECTION, !production),
    rootFields: oneOf("ROOT_FIELDS", env.ROOT_FIELDS, DEFAULTS.service.rootFields, ["all", "none"] as const),
    requestDeadlineMs: number("REQUEST_DEADLINE_MS", env.REQUEST_DEADLINE_MS, DEFAULTS.service.requestDeadlineMs, {
      min: 100,
      integer: true,
    }),
    queue: {
      maxQueuedAccounts: number("QUEUE_MAX_ACCOUNTS", env.QUEUE_MAX_ACCOUNTS, DEFAULTS.reads.maxQueuedAccounts, {
        min: 1,
        integer: true,
      }),
      maxWaitMs: number("QUEUE_MAX_WAIT_MS", env.QUEUE_MAX_WAIT_MS, DEFAULTS.reads.maxWaitMs, {
        min: 1,
        integer: true,
      }),
      // The read path now gathers while it waits for a rate slot; this older knob still adds a fixed gathering delay.
      gatherMs: number("BATCH_WINDOW_MS", env.BATCH_WINDOW_MS, DEFAULTS.reads.gatherMs, { min: 0, max: 1000 }),
    },
    shutdownTimeoutMs: number("SHUTDOWN_TIMEOUT_MS", env.SHUTDOWN_TIMEOUT_MS, DEFAULTS.service.shutdownTimeoutMs, {
      min: 0,
      integer: true,
    }),
    tencent,
    embeddedEmulator,
    scaleOut: readScaleOutSettings(env, { coherent: changes.callback !== undefined }),
    changes,
    trustedDocuments: readTrustedDocuments(env),
  };
}

function readTrustedDocuments(env: Env): TrustedDocuments | undefined {
  const path = env.TRUSTED_DOCUMENTS?.trim() || undefined;
  if (path === undefined) {
    if (nonEmpty(env.TRUSTED_DOCUMENTS_MODE))
      throw new ConfigError(
        "TRUSTED_DOCUMENTS_MODE",
        env.TRUSTED_DOCUMENTS_MODE!,
        "TRUSTED_DOCUMENTS=<manifest path> set as well",
      );
    return undefined;
  }
  const mode = oneOf("TRUSTED_DOCUMENTS_MODE", env.TRUSTED_DOCUMENTS_MODE, DEFAULTS.service.trustedDocumentsMode, [
    "strict",
    "log",
  ] as const);
  try {
    return { manifest: loadManifest(path), mode };
  } catch (error) {
    throw new ConfigError(
      "TRUSTED_DOCUMENTS",
      path,
      `a persisted-documents manifest, JSON {"sha256:<hash>": "<document>"} as codegen's client preset writes it, but ${(error as Error).message}`,
    );
  }
}
