import { isRegion, REGIONS, type Region } from "../tencent/regions.js";
import type { TagRegistry } from "../profile/tags.js";
import { DEFAULTS } from "./defaults.js";
import { ConfigError, customTags, nonEmpty, number, type Env } from "./env.js";

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
  const region = env.TIM_REGION?.trim() || DEFAULTS.tencent.region;
  if (!isRegion(region)) throw new ConfigError("TIM_REGION", region, `one of ${REGIONS.join(", ")}`);
  const baseUrl = env.TIM_BASE_URL?.trim() || undefined;
  if (baseUrl !== undefined && !/^https?:\/\/[^/]+/.test(baseUrl)) {
    throw new ConfigError("TIM_BASE_URL", baseUrl, "an http(s) URL such as http://127.0.0.1:5800");
  }
  return {
    sdkAppId: usesEmulatorCredentials ? EMULATOR_DEFAULTS.sdkAppId : sdkAppId(env.TIM_SDKAPPID!),
    secretKey: usesEmulatorCredentials ? EMULATOR_DEFAULTS.secretKey : env.TIM_SECRET_KEY!.trim(),
    adminIdentifier: env.TIM_ADMIN_IDENTIFIER?.trim() || DEFAULTS.tencent.adminIdentifier,
    region,
    baseUrl,
    tags: customTags(env.TIM_CUSTOM_TAGS ?? (usesEmulatorCredentials ? EMULATOR_DEFAULTS.customTags : "")),
    rateLimit: number("TIM_RATE_LIMIT", env.TIM_RATE_LIMIT, DEFAULTS.tencent.rateLimit, { min: 0 }),
    usesEmulatorCredentials,
  };
}

/** How an emulator behaves and keeps state: the same variables for the standalone and the embedded one. */

export function sdkAppId(raw: string): number {
  const value = raw.trim();
  if (!/^\d{1,15}$/.test(value) || Number(value) === 0) {
    throw new ConfigError("TIM_SDKAPPID", value, "the numeric SDKAppID from the Chat console, e.g. 1400000000");
  }
  return Number(value);
}
