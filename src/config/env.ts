import { TagRegistry } from "../profile/tags.js";

/** The process environment, or a test's stand-in. */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(variable: string, received: string, expected: string) {
    super(`${variable}=${JSON.stringify(received)} is invalid: expected ${expected}`);
    this.name = "ConfigError";
  }
}

/** A numeric variable, or `fallback` when unset; out of the rule → ConfigError naming the variable. */
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

export function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

/** A boolean variable: true/false (also 1/0, yes/no, on/off). */
export function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (!nonEmpty(raw)) return fallback;
  const value = raw!.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new ConfigError(name, raw!, "true or false");
}

/** A variable with a closed set of values. */
export function oneOf<T extends string>(name: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (!nonEmpty(raw)) return fallback;
  const value = raw!.trim() as T;
  if (!allowed.includes(value)) throw new ConfigError(name, raw!, `one of ${allowed.join(", ")}`);
  return value;
}

/** A value parsed by `parse`, or a ConfigError naming the variable. */
export function wrap<T>(name: string, raw: string | undefined, fallback: string, parse: (v: string) => T): T {
  const value = raw?.trim() || fallback;
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError(name, value, (error as Error).message);
  }
}

export function customTags(raw: string): TagRegistry {
  try {
    return TagRegistry.fromSpec(raw);
  } catch (error) {
    throw new ConfigError("TIM_CUSTOM_TAGS", raw, (error as Error).message);
  }
}

export { redactUrl } from "../util/redact.js";
