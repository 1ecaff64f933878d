/** Fault injection and latency of the emulator: parsed from env strings or from POST /emulator/config. */
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
  const faults: Faults = {};
  let total = 0;
  for (const [kind, p] of entries) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new RangeError(`${name}: unknown fault "${kind}"; expected one of ${FAULT_KINDS.join(", ")}`);
    }
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new RangeError(`${name}: probability of ${kind} must be a number from 0 to 1, got ${JSON.stringify(p)}`);
    }
    faults[kind as FaultKind] = p;
    total += p;
  }
  if (total > 1 + 1e-9) throw new RangeError(`${name}: probabilities add up to ${total}, more than 1`);
  return faults;
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
  let r = random();
  for (const kind of FAULT_KINDS) {
    const p = faults[kind] ?? 0;
    if (r < p) return kind;
    r -= p;
  }
  return undefined;
}

export function pickLatency(latency: Latency, random: () => number): number {
  return latency.min + (latency.max - latency.min) * random();
}

export function describeBehaviour(b: Behaviour) {
  return {
    rateLimit: b.rateLimit,
    latencyMs: b.latency.min === b.latency.max ? b.latency.min : `${b.latency.min}-${b.latency.max}`,
    faults: b.faults,
  };
}

/**
 * Tencent's "N calls per second" per API, as a token bucket holding one second of calls that
 * refills continuously: a steady N/s always passes, a burst beyond that is refused (60007).
 */
export class Throttle {
  #tokens: number;
  #last = performance.now();

  constructor(readonly ratePerSecond: number) {
    this.#tokens = ratePerSecond;
  }

  tryTake(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.ratePerSecond, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
