import { EMULATOR_APIS, type EmulatorApi } from "./calls.js";

/**
 * Setting `outage`: a sustained whole-call failure, for a number of calls or until a time, so that
 * a test can tell exactly which calls fail (the `faults` probabilities only say how often).
 *
 *   emulator.configure({ outage: { code: 40006, forMs: 10_000 } });
 *   emulator.configure({ outage: { code: 502, calls: 20, apis: ["profile/portrait_get"] } });
 *
 * 40006 and 70500 are Tencent envelopes, answered after the path, throttle and UserSig checks as the
 * service itself would; the HTTP statuses come from the gateway before any check.
 */
export const OUTAGE_CODES = [40006, 70500, 500, 502, 503, 504] as const;
export type OutageCode = (typeof OUTAGE_CODES)[number];

export interface OutageSpec {
  code: OutageCode;
  /** The next this many calls fail (counted only when answered with the outage). */
  calls?: number;
  /** Calls fail until this time (ms since the epoch, on the emulator's clock). */
  untilMs?: number;
  /** Only these APIs fail; every API when absent. */
  apis?: readonly EmulatorApi[];
}

export function isHttpOutage(code: OutageCode): code is 500 | 502 | 503 | 504 {
  return code < 1000;
}

/**
 * `{"code": 40006, "calls": 50}`, `{"code": "502", "forMs": 10000}` or `{"code": 70500, "untilMs": …}`,
 * optionally with `"apis": ["profile/portrait_get"]`; `null` or `{}` ends an outage. `forMs` counts
 * from `nowMs`.
 */
export function parseOutage(value: unknown, nowMs: number, name = "outage"): OutageSpec | undefined {
  if (value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new RangeError(
      `${name} must be an object such as {"code": 40006, "calls": 10} or {"code": 502, "forMs": 10000}, got ${JSON.stringify(value)}`,
    );
  }
  const { code, calls, forMs, untilMs, apis, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new RangeError(`${name}: unknown field "${unknown[0]}"; expected code, calls, forMs, untilMs, apis`);
  }
  if (Object.keys(value).length === 0) return undefined;
  const numeric = typeof code === "string" && /^\d+$/.test(code) ? Number(code) : code;
  if (!(OUTAGE_CODES as readonly unknown[]).includes(numeric)) {
    throw new RangeError(`${name}.code must be one of ${OUTAGE_CODES.join(", ")}, got ${JSON.stringify(code)}`);
  }
  const bounds = [calls, forMs, untilMs].filter((v) => v !== undefined);
  if (bounds.length !== 1) {
    throw new RangeError(`${name} needs exactly one of calls, forMs or untilMs (an outage must end)`);
  }
  const spec: OutageSpec = { code: numeric as OutageCode };
  if (calls !== undefined) {
    if (typeof calls !== "number" || !Number.isInteger(calls) || calls < 1) {
      throw new RangeError(`${name}.calls must be a whole number of calls, at least 1, got ${JSON.stringify(calls)}`);
    }
    spec.calls = calls;
  }
  if (forMs !== undefined) {
    if (typeof forMs !== "number" || !Number.isFinite(forMs) || forMs <= 0) {
      throw new RangeError(`${name}.forMs must be a positive number of ms, got ${JSON.stringify(forMs)}`);
    }
    spec.untilMs = nowMs + forMs;
  }
  if (untilMs !== undefined) {
    if (typeof untilMs !== "number" || !Number.isFinite(untilMs) || untilMs < 0) {
      throw new RangeError(`${name}.untilMs must be a time in ms since the epoch, got ${JSON.stringify(untilMs)}`);
    }
    spec.untilMs = untilMs;
  }
  if (apis !== undefined) {
    if (!Array.isArray(apis) || apis.length === 0) {
      throw new RangeError(`${name}.apis must be a non-empty array of API names, got ${JSON.stringify(apis)}`);
    }
    for (const api of apis) {
      if (!(EMULATOR_APIS as readonly unknown[]).includes(api)) {
        throw new RangeError(`${name}.apis: unknown API ${JSON.stringify(api)}; expected ${EMULATOR_APIS.join(", ")}`);
      }
    }
    spec.apis = [...(apis as EmulatorApi[])];
  }
  return spec;
}

/** An outage in progress: which calls it covers, and how many it has failed. */
export class Outage {
  #answered = 0;
  #callsLeft: number | undefined;

  constructor(readonly spec: OutageSpec) {
    this.#callsLeft = spec.calls;
  }

  /** The code a call of `api` at `nowMs` would fail with; nothing is counted. */
  peek(api: string, nowMs: number): OutageCode | undefined {
    if (this.#callsLeft === 0) return undefined;
    if (this.spec.untilMs !== undefined && nowMs >= this.spec.untilMs) return undefined;
    if (this.spec.apis && !(this.spec.apis as readonly string[]).includes(api)) return undefined;
    return this.spec.code;
  }

  /** As `peek`, and counts the call as failed by the outage. */
  take(api: string, nowMs: number): OutageCode | undefined {
    const code = this.peek(api, nowMs);
    if (code === undefined) return undefined;
    this.#answered++;
    if (this.#callsLeft !== undefined) this.#callsLeft--;
    return code;
  }

  /** What GET /emulator/config shows while the outage lasts; undefined once it is over. */
  describe(nowMs: number) {
    const over = this.#callsLeft === 0 || (this.spec.untilMs !== undefined && nowMs >= this.spec.untilMs);
    if (over) return undefined;
    return {
      code: this.spec.code,
      ...(this.#callsLeft !== undefined ? { callsLeft: this.#callsLeft } : {}),
      ...(this.spec.untilMs !== undefined ? { untilMs: this.spec.untilMs } : {}),
      ...(this.spec.apis ? { apis: this.spec.apis } : {}),
      answered: this.#answered,
    };
  }
}
