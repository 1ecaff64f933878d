import {
  parseFaults,
  parseLatency,
  parseQuirks,
  parseRateLimit,
  type Faults,
  type Latency,
  type Quirks,
} from "../emulator/behaviour.js";
import { parseCallbackSettings, type CallbackSettings } from "../emulator/callback.settings.js";
import type { TagRegistry } from "../profile/tags.js";
import { DEFAULTS } from "./defaults.js";
import { ConfigError, customTags, nonEmpty, number, wrap, type Env } from "./env.js";
import { EMULATOR_DEFAULTS, sdkAppId } from "./tencent.js";

export interface EmulatorRuntime {
  rateLimit: number;
  latency: Latency;
  faults: Faults;
  quirks: Quirks;
  dataFile: string | undefined;
  seed: boolean;
  /** Profile.CallbackPortraitSet to TIM_EMULATOR_CALLBACK_URL, signed with TIM_EMULATOR_CALLBACK_TOKEN. */
  callbacks: CallbackSettings | undefined;
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
    adminIdentifier: env.TIM_ADMIN_IDENTIFIER?.trim() || DEFAULTS.tencent.adminIdentifier,
    tags: customTags(env.TIM_CUSTOM_TAGS ?? EMULATOR_DEFAULTS.customTags),
    host: env.TIM_EMULATOR_HOST?.trim() || DEFAULTS.emulator.host,
    port: number("TIM_EMULATOR_PORT", env.TIM_EMULATOR_PORT, DEFAULTS.emulator.port, {
      min: 0,
      max: 65535,
      integer: true,
    }),
    ...readEmulatorRuntime(env),
  };
}

export function readEmulatorRuntime(env: Env): EmulatorRuntime {
  return {
    rateLimit: wrap(
      "TIM_EMULATOR_RATE_LIMIT",
      env.TIM_EMULATOR_RATE_LIMIT,
      String(DEFAULTS.emulator.rateLimit),
      parseRateLimit,
    ),
    latency: wrap("TIM_EMULATOR_LATENCY_MS", env.TIM_EMULATOR_LATENCY_MS, "0", parseLatency),
    faults: wrap("TIM_EMULATOR_FAULTS", env.TIM_EMULATOR_FAULTS, "", parseFaults),
    quirks: wrap("TIM_EMULATOR_QUIRKS", env.TIM_EMULATOR_QUIRKS, "", parseQuirks),
    dataFile: env.TIM_EMULATOR_DATA?.trim() || undefined,
    seed: seedSetting(env.TIM_EMULATOR_SEED),
    callbacks: callbackSettings(env),
  };
}

/** TIM_EMULATOR_CALLBACK_URL (comma-separated) and TIM_EMULATOR_CALLBACK_TOKEN; none: no callbacks. */
function callbackSettings(env: Env): CallbackSettings | undefined {
  const urls = env.TIM_EMULATOR_CALLBACK_URL?.trim() ?? "";
  const token = env.TIM_EMULATOR_CALLBACK_TOKEN?.trim() ?? "";
  if (urls === "") {
    if (token !== "")
      throw new ConfigError("TIM_EMULATOR_CALLBACK_URL", "", "a URL when TIM_EMULATOR_CALLBACK_TOKEN is set");
    return undefined;
  }
  const settings = wrap("TIM_EMULATOR_CALLBACK_URL", urls, "", (raw) =>
    parseCallbackSettings({ urls: raw }, undefined, "urls"),
  );
  try {
    return token === "" ? settings : parseCallbackSettings({ token }, settings, "token");
  } catch (error) {
    // The token is a secret: the error names its length, never its value.
    throw new ConfigError("TIM_EMULATOR_CALLBACK_TOKEN", `<${token.length} characters>`, (error as Error).message);
  }
}

function seedSetting(raw: string | undefined): boolean {
  const value = raw?.trim() || "demo";
  if (value === "none") return false;
  if (value === "demo") return true;
  throw new ConfigError("TIM_EMULATOR_SEED", value, '"demo" (default) or "none"');
}
