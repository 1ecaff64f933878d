/**
 * The one place that reads the environment. Every variable is checked once, at start-up, and a
 * bad value fails with its name, what it got and what it expects. The README lists them all.
 */
import { Buffer } from "node:buffer";
import { parseFaults, parseLatency, parseQuirks, parseRateLimit, type Faults, type Latency, type Quirks } from "./emulator/behaviour.js";
import { TagRegistry } from "./profile/tags.js";
import { loadManifest, type TrustedDocuments } from "./server/trusted-documents.js";
import { isRegion, REGIONS, type Region } from "./tencent/regions.js";

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(variable: string, received: string, expected: string) {
    super(`${variable}=${JSON.stringify(received)} is invalid: expected ${expected}`);
    this.name = "ConfigError";
  }
}

/**
 * Credentials of the embedded/standalone emulator when none are given. They exist only so that
 * the emulator and the service agree out of the box; they open nothing real.
 */
export const EMULATOR_DEFAULTS = {
  sdkAppId: 1400000000,
  secretKey: "portrait-graph-emulator-development-key",
  customTags: "Test:string,Score:string",
} as const;

export interface TencentSettings {
  sdkAppId: number;
  secretKey: string;
  adminIdentifier: string;
  region: Region;
  baseUrl: string | undefined;
  tags: TagRegistry;
  /** Calls per second per API that the client allows itself. */
  rateLimit: number;
  /** True when no credentials were given: the service runs its own emulator (or TIM_BASE_URL's). */
  usesEmulatorCredentials: boolean;
}

export function readTencentSettings(env: Env = process.env): TencentSettings {
  const hasAppId = nonEmpty(env.TIM_SDKAPPID);
  const hasKey = nonEmpty(env.TIM_SECRET_KEY);
  if (hasAppId !== hasKey) {
    const missing = hasAppId ? "TIM_SECRET_KEY" : "TIM_SDKAPPID";
    throw new ConfigError(missing, "", "both TIM_SDKAPPID and TIM_SECRET_KEY, or neither (embedded emulator)");
  }
  const usesEmulatorCredentials = !hasAppId;
  const region = env.TIM_REGION?.trim() || "china";
  if (!isRegion(region)) throw new ConfigError("TIM_REGION", region, `one of ${REGIONS.join(", ")}`);
  const baseUrl = env.TIM_BASE_URL?.trim() || undefined;
  if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl)) {
    throw new ConfigError("TIM_BASE_URL", baseUrl, "an http(s) URL such as http://127.0.0.1:5800");
  }
  return {
    sdkAppId: usesEmulatorCredentials ? EMULATOR_DEFAULTS.sdkAppId : sdkAppId(env.TIM_SDKAPPID!),
    secretKey: usesEmulatorCredentials ? EMULATOR_DEFAULTS.secretKey : env.TIM_SECRET_KEY!.trim(),
    adminIdentifier: env.TIM_ADMIN_IDENTIFIER?.trim() || "administrator",
    region,
    baseUrl,
    tags: customTags(env.TIM_CUSTOM_TAGS ?? (usesEmulatorCredentials ? EMULATOR_DEFAULTS.customTags : "")),
    rateLimit: number("TIM_RATE_LIMIT", env.TIM_RATE_LIMIT, 200, { min: 0 }),
    usesEmulatorCredentials,
  };
}

/** How an emulator behaves and keeps state: the same variables for the standalone and the embedded one. */
export interface EmulatorRuntime {
  rateLimit: number;
  latency: Latency;
  faults: Faults;
  quirks: Quirks;
  dataFile: string | undefined;
  seed: boolean;
}

export interface EmulatorSettings extends EmulatorRuntime {
  sdkAppId: number;
  secretKey: string;
  adminIdentifier: string;
  tags: TagRegistry;
  host: string;
  port: number;
}

export function readEmulatorSettings(env: Env = process.env): EmulatorSettings {
  const hasAppId = nonEmpty(env.TIM_SDKAPPID);
  return {
    sdkAppId: hasAppId ? sdkAppId(env.TIM_SDKAPPID!) : EMULATOR_DEFAULTS.sdkAppId,
    secretKey: nonEmpty(env.TIM_SECRET_KEY) ? env.TIM_SECRET_KEY!.trim() : EMULATOR_DEFAULTS.secretKey,
    adminIdentifier: env.TIM_ADMIN_IDENTIFIER?.trim() || "administrator",
    tags: customTags(env.TIM_CUSTOM_TAGS ?? EMULATOR_DEFAULTS.customTags),
    host: env.TIM_EMULATOR_HOST?.trim() || "127.0.0.1",
    port: number("TIM_EMULATOR_PORT", env.TIM_EMULATOR_PORT, 5800, { min: 0, max: 65535, integer: true }),
    ...readEmulatorRuntime(env),
  };
}

function readEmulatorRuntime(env: Env): EmulatorRuntime {
  return {
    rateLimit: wrap("TIM_EMULATOR_RATE_LIMIT", env.TIM_EMULATOR_RATE_LIMIT, "200", parseRateLimit),
    latency: wrap("TIM_EMULATOR_LATENCY_MS", env.TIM_EMULATOR_LATENCY_MS, "0", parseLatency),
    faults: wrap("TIM_EMULATOR_FAULTS", env.TIM_EMULATOR_FAULTS, "", parseFaults),
    quirks: wrap("TIM_EMULATOR_QUIRKS", env.TIM_EMULATOR_QUIRKS, "", parseQuirks),
    dataFile: env.TIM_EMULATOR_DATA?.trim() || undefined,
    seed: seedSetting(env.TIM_EMULATOR_SEED),
  };
}

function wrap<T>(name: string, raw: string | undefined, fallback: string, parse: (v: string) => T): T {
  const value = raw?.trim() || fallback;
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError(name, value, (error as Error).message);
  }
}

function seedSetting(raw: string | undefined): boolean {
  const value = raw?.trim() || "demo";
  if (value === "none") return false;
  if (value === "demo") return true;
  throw new ConfigError("TIM_EMULATOR_SEED", value, '"demo" (default) or "none"');
}

function customTags(raw: string): TagRegistry {
  try {
    return TagRegistry.fromSpec(raw);
  } catch (error) {
    throw new ConfigError("TIM_CUSTOM_TAGS", raw, (error as Error).message);
  }
}

function sdkAppId(raw: string): number {
  const value = raw.trim();
  if (!/^\d{1,15}$/.test(value) || Number(value) === 0) {
    throw new ConfigError("TIM_SDKAPPID", value, "the numeric SDKAppID from the Chat console, e.g. 1400000000");
  }
  return Number(value);
}

export function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  rule: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (!nonEmpty(raw)) return fallback;
  const value = Number(raw!.trim());
  const ok =
    Number.isFinite(value) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const range = [rule.min !== undefined ? `>= ${rule.min}` : "", rule.max !== undefined ? `<= ${rule.max}` : ""]
      .filter(Boolean)
      .join(" and ");
    throw new ConfigError(name, raw!, `${rule.integer ? "an integer" : "a number"}${range ? ` ${range}` : ""}`);
  }
  return value;
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

/** Bounds on what one request may cost; every one has a variable and a documented default. */
export interface Limits {
  /** Largest `users(ids)` list. */
  maxUsers: number;
  /** Distinct accounts one operation, or one HTTP batch, may read. */
  maxAccountsPerOperation: number;
  /** Entries one operation, or one HTTP batch, may ask for: ids in `users` lists, `user` aliases, `_entities` representations, repeats included. */
  maxEntriesPerOperation: number;
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
}

export interface ServiceSettings {
  port: number;
  host: string;
  nodeEnv: string;
  logLevel: string;
  /** HS256 secret; undefined when a JWKS is used, or when a development secret is to be generated. */
  jwtSecret: string | undefined;
  jwksUrl: string | undefined;
  /** Checked against the token's `iss` / `aud` when set. */
  issuer: string | undefined;
  audience: string | undefined;
  /** Start-up warnings (e.g. no audience check in production); never a secret. */
  warnings: string[];
  limits: Limits;
  http: HttpSettings;
  /** Whether callers without a token may read the schema (introspection, `_service`). */
  anonymousIntrospection: boolean;
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
  /** TRUSTED_DOCUMENTS (a persisted-documents manifest, loaded and checked here) and its mode. */
  trustedDocuments: TrustedDocuments | undefined;
}

export function readServiceSettings(env: Env = process.env): ServiceSettings {
  const tencent = readTencentSettings(env);
  const embeddedEmulator = tencent.usesEmulatorCredentials && tencent.baseUrl === undefined ? readEmulatorRuntime(env) : undefined;
  const nodeEnv = env.NODE_ENV?.trim() || (tencent.usesEmulatorCredentials ? "development" : "production");
  const production = nodeEnv === "production";
  const jwtSecret = env.AUTH_JWT_SECRET?.trim() || undefined;
  const jwksUrl = env.AUTH_JWKS_URL?.trim() || undefined;
  if (jwtSecret && jwksUrl) throw new ConfigError("AUTH_JWKS_URL", jwksUrl, "either AUTH_JWT_SECRET or AUTH_JWKS_URL, not both");
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError("AUTH_JWKS_URL", jwksUrl, "an http(s) URL of a JWKS");
  if (!jwtSecret && !jwksUrl && (production || !tencent.usesEmulatorCredentials)) {
    throw new ConfigError("AUTH_JWT_SECRET", "", "AUTH_JWT_SECRET or AUTH_JWKS_URL in production and whenever TIM_SDKAPPID is set (real Tencent data)");
  }
  const warnings: string[] = [];
  if (jwtSecret && Buffer.byteLength(jwtSecret) < MIN_HS256_SECRET_BYTES) {
    const problem = `AUTH_JWT_SECRET is ${Buffer.byteLength(jwtSecret)} bytes; HS256 needs at least ${MIN_HS256_SECRET_BYTES} (RFC 7518 §3.2)`;
    // The value itself is never echoed: only its length.
    if (production) throw new ConfigError("AUTH_JWT_SECRET", `<${Buffer.byteLength(jwtSecret)} bytes>`, `a secret of at least ${MIN_HS256_SECRET_BYTES} bytes in production`);
    warnings.push(problem);
  }
  const issuer = env.AUTH_ISSUER?.trim() || undefined;
  const audience = env.AUTH_AUDIENCE?.trim() || undefined;
  if (production && (!issuer || !audience)) {
    warnings.push(`${[!issuer && "AUTH_ISSUER", !audience && "AUTH_AUDIENCE"].filter(Boolean).join(" and ")} unset: tokens from any issuer or for any audience signed with the key are accepted`);
  }
  return {
    port: number("PORT", env.PORT, 4000, { min: 0, max: 65535, integer: true }),
    host: env.HOST?.trim() || "0.0.0.0",
    nodeEnv,
    logLevel: oneOf("LOG_LEVEL", env.LOG_LEVEL, production ? "info" : "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    jwtSecret,
    jwksUrl,
    issuer,
    audience,
    warnings,
    limits: {
      maxUsers: number("MAX_USERS", env.MAX_USERS, 1000, { min: 1, integer: true }),
      maxAccountsPerOperation: number("MAX_ACCOUNTS_PER_OPERATION", env.MAX_ACCOUNTS_PER_OPERATION, 1000, { min: 1, integer: true }),
      maxEntriesPerOperation: number("MAX_ENTRIES_PER_OPERATION", env.MAX_ENTRIES_PER_OPERATION, 5000, { min: 1, integer: true }),
      maxBatchOperations: number("MAX_BATCH_OPERATIONS", env.MAX_BATCH_OPERATIONS, 10, { min: 1, integer: true }),
      maxAliases: number("MAX_ALIASES", env.MAX_ALIASES, 30, { min: 1, integer: true }),
      maxDepth: number("MAX_DEPTH", env.MAX_DEPTH, 8, { min: 1, integer: true }),
      maxTokens: number("MAX_TOKENS", env.MAX_TOKENS, 2000, { min: 100, integer: true }),
      maxDirectives: number("MAX_DIRECTIVES", env.MAX_DIRECTIVES, 20, { min: 1, integer: true }),
      bodyLimitBytes: number("BODY_LIMIT_BYTES", env.BODY_LIMIT_BYTES, 1_048_576, { min: 1024, integer: true }),
    },
    http: {
      corsOrigins: (env.CORS_ORIGINS?.trim() || "*").split(",").map((s) => s.trim()).filter(Boolean),
      headersTimeoutMs: number("HEADERS_TIMEOUT_MS", env.HEADERS_TIMEOUT_MS, 10_000, { min: 100, integer: true }),
      requestTimeoutMs: number("REQUEST_TIMEOUT_MS", env.REQUEST_TIMEOUT_MS, 30_000, { min: 100, integer: true }),
      keepAliveTimeoutMs: number("KEEP_ALIVE_TIMEOUT_MS", env.KEEP_ALIVE_TIMEOUT_MS, 5_000, { min: 100, integer: true }),
      maxConnections: number("MAX_CONNECTIONS", env.MAX_CONNECTIONS, 1024, { min: 1, integer: true }),
    },
    anonymousIntrospection: flag("ANONYMOUS_INTROSPECTION", env.ANONYMOUS_INTROSPECTION, !production),
    requestDeadlineMs: number("REQUEST_DEADLINE_MS", env.REQUEST_DEADLINE_MS, 8_000, { min: 100, integer: true }),
    queue: {
      maxQueuedAccounts: number("QUEUE_MAX_ACCOUNTS", env.QUEUE_MAX_ACCOUNTS, 10_000, { min: 1, integer: true }),
      maxWaitMs: number("QUEUE_MAX_WAIT_MS", env.QUEUE_MAX_WAIT_MS, 2_000, { min: 1, integer: true }),
      // The read path now gathers while it waits for a rate slot; this older knob still adds a fixed gathering delay.
      gatherMs: number("BATCH_WINDOW_MS", env.BATCH_WINDOW_MS, 0, { min: 0, max: 1000 }),
    },
    shutdownTimeoutMs: number("SHUTDOWN_TIMEOUT_MS", env.SHUTDOWN_TIMEOUT_MS, 10_000, { min: 0, integer: true }),
    tencent,
    embeddedEmulator,
    scaleOut: readScaleOutSettings(env),
    trustedDocuments: readTrustedDocuments(env),
  };
}

function readTrustedDocuments(env: Env): TrustedDocuments | undefined {
  const path = env.TRUSTED_DOCUMENTS?.trim() || undefined;
  if (path === undefined) {
    if (nonEmpty(env.TRUSTED_DOCUMENTS_MODE)) throw new ConfigError("TRUSTED_DOCUMENTS_MODE", env.TRUSTED_DOCUMENTS_MODE!, "TRUSTED_DOCUMENTS=<manifest path> set as well");
    return undefined;
  }
  const mode = oneOf("TRUSTED_DOCUMENTS_MODE", env.TRUSTED_DOCUMENTS_MODE, "strict", ["strict", "log"] as const);
  try {
    return { manifest: loadManifest(path), mode };
  } catch (error) {
    throw new ConfigError("TRUSTED_DOCUMENTS", path, `a persisted-documents manifest, JSON {"sha256:<hash>": "<document>"} as codegen's client preset writes it, but ${(error as Error).message}`);
  }
}

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (!nonEmpty(raw)) return fallback;
  const value = raw!.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(name, raw!, "true or false");
}

function oneOf<T extends string>(name: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (!nonEmpty(raw)) return fallback;
  const value = raw!.trim() as T;
  if (!allowed.includes(value)) throw new ConfigError(name, raw!, `one of ${allowed.join(", ")}`);
  return value;
}

// ─── Scale-out: Redis, the shared call budget, the profile cache ────────────────────────────────
// Nothing here connects to anything: with REDIS_URL unset the service is one process that shares
// nothing, and `npm start` needs no Redis.

export interface ScaleOutSettings {
  /** `redis[s]://[[user]:password@]host[:port][/db]`; undefined: one process, nothing shared. */
  redisUrl: string | undefined;
  /** Prepended to every key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** Replicas sharing TIM_RATE_LIMIT; while Redis is away each takes TIM_RATE_LIMIT ÷ REPLICAS. */
  replicas: number;
  /** How long one Redis command may take before it counts as failed (a dead Redis costs this, once). */
  redisCommandTimeoutMs: number;
  profileCache: {
    /** 0: no profile cache. */
    ttlMs: number;
    /** In-memory cache (no REDIS_URL): entries kept, least recently used dropped first. */
    maxEntries: number;
    /** Redis cache: a serialized entry larger than this is not stored. */
    maxEntryBytes: number;
  };
}

export function readScaleOutSettings(env: Env = process.env): ScaleOutSettings {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/]/.test(redisUrl)) {
    // Never echo a password: the error shows the URL with it masked.
    throw new ConfigError("REDIS_URL", redactUrl(redisUrl), "a redis:// or rediss:// URL such as redis://127.0.0.1:6379");
  }
  const redisKeyPrefix = env.REDIS_KEY_PREFIX ?? "portrait-graph:";
  if (redisKeyPrefix.trim() === "" || /\s/.test(redisKeyPrefix)) {
    throw new ConfigError("REDIS_KEY_PREFIX", redisKeyPrefix, 'a non-empty prefix without spaces, e.g. "portrait-graph:"');
  }
  return {
    redisUrl,
    redisKeyPrefix,
    replicas: number("REPLICAS", env.REPLICAS, 1, { min: 1, max: 1000, integer: true }),
    redisCommandTimeoutMs: number("REDIS_COMMAND_TIMEOUT_MS", env.REDIS_COMMAND_TIMEOUT_MS, 200, { min: 1, max: 10_000, integer: true }),
    profileCache: {
      ttlMs: number("PROFILE_CACHE_TTL_MS", env.PROFILE_CACHE_TTL_MS, 0, { min: 0, max: 7 * 24 * 3600 * 1000, integer: true }),
      maxEntries: number("PROFILE_CACHE_MAX_ENTRIES", env.PROFILE_CACHE_MAX_ENTRIES, 10_000, { min: 1, integer: true }),
      maxEntryBytes: number("PROFILE_CACHE_MAX_ENTRY_BYTES", env.PROFILE_CACHE_MAX_ENTRY_BYTES, 16_384, { min: 64, integer: true }),
    },
  };
}

/** The URL with its password (if any) replaced by `***`, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    // Not a URL: mask everything up to the last "@", whatever it holds.
    return url.replace(/\/\/.*@/, "//***@");
  }
}
