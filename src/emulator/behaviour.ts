/**
 * Throttle, latency, fault injection and quirks of the emulator: parsed from env strings (through
 * src/config.ts) or from POST /emulator/config.
 */
import { checkTagValue, STANDARD_TAGS } from "../profile/tags.js";
import {
  ACCOUNT_FAILURE_CODES,
  EMPTY_PROFILE_CODES,
  INVALID_ACCOUNT_CODES,
  NOT_FOUND_CODES,
  QUIRK_NAMES,
  WHOLE_CALL_ACCOUNT_CODES,
  type AccountFailure,
  type Quirks,
} from "./quirks.js";

export type { Quirks } from "./quirks.js";

export const FAULT_KINDS = ["40006", "70500", "502", "drop"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type Faults = Partial<Record<FaultKind, number>>;

/** Added latency: a fixed number of ms, or a uniform range. */
export type Latency = { min: number; max: number };

export interface Behaviour {
  /** Calls per second per API; 0 = no throttle. */
  rateLimit: number;
  latency: Latency;
  faults: Faults;
  quirks: Quirks;
}

/** `30` or `"20-60"` (ms). */
export function parseLatency(value: unknown, name = "latencyMs"): Latency {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return { min: value, max: value };
  if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(value);
    if (m) {
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : Number(m[2]);
      if (max >= min) return { min, max };
    }
  }
  throw new RangeError(`${name} must be a number of ms or a range like "20-60", got ${JSON.stringify(value)}`);
}

/** `"40006:0.05,502:0.01"` or `{"40006": 0.05, "502": 0.01}`: a probability per call for each fault. */
export function parseFaults(value: unknown, name = "faults"): Faults {
  return parseProbabilities(value, FAULT_KINDS, "fault", name);
}

/**
 * `"kind:probability,…"` or `{kind: probability}` over a fixed set of kinds, adding up to at most 1.
 * `noun` names a kind in errors ("unknown fault …").
 */
export function parseProbabilities<K extends string>(
  value: unknown,
  kinds: readonly K[],
  noun: string,
  name: string,
): Partial<Record<K, number>> {
  let entries: [string, unknown][];
  if (typeof value === "string") {
    entries = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [k = "", p = ""] = s.split(":");
        return [k.trim(), p.trim() === "" ? Number.NaN : Number(p)];
      });
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    throw new RangeError(`${name} must be "kind:probability,…" or an object, got ${JSON.stringify(value)}`);
  }
  const result: Partial<Record<K, number>> = {};
  let total = 0;
  for (const [kind, p] of entries) {
    if (!(kinds as readonly string[]).includes(kind)) {
      throw new RangeError(`${name}: unknown ${noun} "${kind}"; expected one of ${kinds.join(", ")}`);
    }
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new RangeError(`${name}: probability of ${kind} must be a number from 0 to 1, got ${JSON.stringify(p)}`);
    }
    result[kind as K] = p;
    total += p;
  }
  if (total > 1 + 1e-9) throw new RangeError(`${name}: probabilities add up to ${total}, more than 1`);
  return result;
}

export function parseRateLimit(value: unknown, name = "rateLimit"): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`${name} must be a number of calls per second (0 = off), got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Pick at most one fault for a call, with the configured probabilities. */
export function rollFault(faults: Faults, random: () => number): FaultKind | undefined {
  return rollKind(faults, FAULT_KINDS, random);
}

/** Pick at most one of `kinds` (or none), each with its probability; one draw of `random`. */
export function rollKind<K extends string>(
  probabilities: Partial<Record<K, number>>,
  kinds: readonly K[],
  random: () => number,
): K | undefined {
  let r = random();
  for (const kind of kinds) {
    const p = probabilities[kind] ?? 0;
    if (r < p) return kind;
    r -= p;
  }
  return undefined;
}

export function pickLatency(latency: Latency, random: () => number): number {
  return latency.min + (latency.max - latency.min) * random();
}

/**
 * What GET /emulator/config shows. `quirks` appears only when one is on; `accountFailures` there
 * shows the reads still to fail.
 */
export function describeBehaviour(b: Behaviour, remainingFailures: Readonly<Record<string, AccountFailure>>) {
  const { accountFailures, ...others } = b.quirks;
  const quirks: Quirks = others;
  if (accountFailures && Object.keys(remainingFailures).length > 0) quirks.accountFailures = remainingFailures;
  return {
    rateLimit: b.rateLimit,
    latencyMs: b.latency.min === b.latency.max ? b.latency.min : `${b.latency.min}-${b.latency.max}`,
    faults: b.faults,
    ...(Object.keys(quirks).length > 0 ? { quirks } : {}),
  };
}

const ACCOUNT_FAULT_KINDS = ACCOUNT_FAILURE_CODES.map((c) => `${c}` as const);

/**
 * `TIM_EMULATOR_QUIRKS` (JSON text; empty = none) or the `quirks` object of POST /emulator/config,
 * e.g. `{"wholeCallAccountError": 40003, "defaults": true, "accountFailures": {"li.na": {"code": 40006, "times": 2}}}`.
 * Settings at their default (`false`, `0`, `"none"`, 40003) are left out of the result.
 */
export function parseQuirks(value: unknown, name = "quirks"): Quirks {
  if (typeof value === "string") {
    if (value.trim() === "") return {};
    try {
      value = JSON.parse(value);
    } catch {
      throw new RangeError(`${name} must be a JSON object such as {"defaults":true}, got ${JSON.stringify(value)}`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(`${name} must be an object such as {"defaults":true}, got ${JSON.stringify(value)}`);
  }
  const quirks: Quirks = {};
  for (const [key, v] of Object.entries(value)) {
    const at = `${name}.${key}`;
    switch (key as (typeof QUIRK_NAMES)[number]) {
      case "wholeCallAccountError":
        quirks.wholeCallAccountError = oneOf(v, WHOLE_CALL_ACCOUNT_CODES, at);
        break;
      case "defaults": {
        const defaults = parseDefaults(v, at);
        if (defaults) quirks.defaults = defaults;
        break;
      }
      case "emptyProfileCode":
        quirks.emptyProfileCode = oneOf(v, EMPTY_PROFILE_CODES, at);
        break;
      case "accountFailures": {
        const failures = parseAccountFailures(v, at);
        if (Object.keys(failures).length > 0) quirks.accountFailures = failures;
        break;
      }
      case "accountFaults": {
        const faults = parseProbabilities(v, ACCOUNT_FAULT_KINDS, "account fault", at);
        if (Object.values(faults).some((p) => p > 0)) quirks.accountFaults = faults;
        break;
      }
      case "notFoundCode": {
        const code = oneOf(v, NOT_FOUND_CODES, at);
        if (code !== 40003) quirks.notFoundCode = code;
        break;
      }
      case "invalidAccountCode": {
        const code = oneOf(v, INVALID_ACCOUNT_CODES, at);
        if (code !== 40003) quirks.invalidAccountCode = code;
        break;
      }
      case "integersAsStrings": {
        const mode = oneOf(v, ["none", "custom", "all"] as const, at);
        if (mode !== "none") quirks.integersAsStrings = mode;
        break;
      }
      case "accountLists": {
        const shape = oneOf(v, ["current", "split", "legacy"] as const, at);
        if (shape !== "current") quirks.accountLists = shape;
        break;
      }
      case "writeApplyDelayMs":
      case "writeAnswerDelayMs": {
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
          throw new RangeError(`${at} must be a number of ms (0 = off), got ${JSON.stringify(v)}`);
        }
        if (v > 0) quirks[key as "writeApplyDelayMs" | "writeAnswerDelayMs"] = v;
        break;
      }
      default:
        throw new RangeError(`${name}: unknown quirk "${key}"; expected one of ${QUIRK_NAMES.join(", ")}`);
    }
  }
  return quirks;
}

function oneOf<T extends string | number>(value: unknown, allowed: readonly T[], name: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new RangeError(
      `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** `true`, `false`, or `{<standard tag>: <default>}` (true, with those defaults replaced). */
function parseDefaults(value: unknown, name: string): Quirks["defaults"] {
  if (value === true || value === false) return value || undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(
      `${name} must be true, false or an object of standard tag → default, got ${JSON.stringify(value)}`,
    );
  }
  for (const [tag, v] of Object.entries(value)) {
    const spec = STANDARD_TAGS.find((t) => t.tag === tag);
    if (!spec) throw new RangeError(`${name}: "${tag}" is not a standard tag`);
    const violation = checkTagValue(spec, v);
    if (violation) throw new RangeError(`${name}: ${tag} ${violation.rule}`);
  }
  return { ...(value as Record<string, string | number>) };
}

/** `{"<UserID>": {"code": 40006, "times": 2}}`. */
function parseAccountFailures(value: unknown, name: string): Record<string, AccountFailure> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(
      `${name} must be an object such as {"li.na": {"code": 40006, "times": 2}}, got ${JSON.stringify(value)}`,
    );
  }
  const failures: Record<string, AccountFailure> = {};
  for (const [account, entry] of Object.entries(value)) {
    const shape = `${name}.${account} must be {"code": …, "times": …}, got ${JSON.stringify(entry)}`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new RangeError(shape);
    const { code, times, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new RangeError(shape);
    if (typeof times !== "number" || !Number.isInteger(times) || times < 0) {
      throw new RangeError(`${name}.${account}.times must be a whole number of reads, got ${JSON.stringify(times)}`);
    }
    const checked = oneOf(code, ACCOUNT_FAILURE_CODES, `${name}.${account}.code`);
    if (times > 0) failures[account] = { code: checked, times };
  }
  return failures;
}
