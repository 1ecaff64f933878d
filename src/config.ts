/**
 * The one place that reads the environment (the modules under src/config/). Every variable is
 * checked once, at start-up, and a bad value fails with its name, what it got and what it
 * expects. The README lists them all.
 */
export { ConfigError, redactUrl, type Env } from "./config/env.js";
export { readEmulatorSettings, type EmulatorRuntime, type EmulatorSettings } from "./config/emulator.js";
export { readScaleOutSettings, type ScaleOutSettings } from "./config/scale.js";
export { MIN_HS256_SECRET_BYTES, type AuthSettings } from "./config/auth.js";
export { readServiceSettings, type HttpSettings, type Limits, type ServiceSettings } from "./config/service.js";
export { EMULATOR_DEFAULTS, readTencentSettings, type TencentSettings } from "./config/tencent.js";
