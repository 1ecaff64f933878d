import { DEFAULTS } from "../config/defaults.js";
import { parseProbabilities } from "./behaviour.js";

/** The `OptPlatform` values Tencent's callbacks carry: where the change came from. */
export const OPT_PLATFORMS = ["RESTAPI", "Web", "Android", "iOS", "Windows", "Mac", "iPad", "Unknown"] as const;
export type OptPlatform = (typeof OPT_PLATFORMS)[number];

/**
 * What can happen to one callback on its way (Tencent promises at most once, in no order):
 * `duplicate` sent twice; `delay` held back by `delayMs`; `outOfOrder` held until the next
 * callback has gone, then sent; `drop` never sent; `badSign` a `Sign` that does not match the
 * token; `staleTime` a `RequestTime` two minutes old (signed correctly for that time).
 */
export const CALLBACK_QUIRKS = ["duplicate", "delay", "outOfOrder", "drop", "badSign", "staleTime"] as const;
export type CallbackQuirk = (typeof CALLBACK_QUIRKS)[number];

export interface CallbackSettings {
  /** Where every profile change is POSTed; none: callbacks are off. */
  urls: readonly string[];
  /** The callback token: with one, each callback carries `Sign` and `RequestTime`. */
  token?: string;
  /** How long the `delay` quirk holds a callback back. */
  delayMs: number;
  /** Deterministic: the next N callbacks each get that quirk (quirks with counts combine). */
  quirks: Readonly<Partial<Record<CallbackQuirk, number>>>;
  /** For soak runs: the probability that a callback gets one of the quirks (they add up to ≤ 1). */
  faults: Readonly<Partial<Record<CallbackQuirk, number>>>;
}

/** What `createEmulator({callbacks})` and POST /emulator/config take (checked by parseCallbackSettings). */
export interface CallbackOptions {
  urls?: readonly string[] | string;
  token?: string | null;
  delayMs?: number;
  quirks?: Partial<Record<CallbackQuirk, number>>;
  faults?: Partial<Record<CallbackQuirk, number>>;
}

export const NO_CALLBACKS: CallbackSettings = {
  urls: [],
  delayMs: DEFAULTS.emulator.callbacks.delayMs,
  quirks: {},
  faults: {},
};

const FIELDS = ["urls", "token", "delayMs", "quirks", "faults"] as const;
const MAX_URLS = 10;
// Tencent's console accepts callback tokens of 1 to 128 characters.
const MAX_TOKEN_LENGTH = 128;

/**
 * `{"urls": ["http://…"], "token": "…", "delayMs": 500, "quirks": {"drop": 1}, "faults": {"duplicate": 0.1}}`
 * applied over `current`: fields left out stay as they are; `urls: []` turns callbacks off,
 * `token: null` (or `""`) removes the token; `quirks` and `faults` are replaced as a whole. `urls`
 * may also be comma-separated text (the environment's form). The token is never echoed in errors.
 */
export function parseCallbackSettings(
  value: unknown,
  current: CallbackSettings = NO_CALLBACKS,
  name = "callbacks",
): CallbackSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(
      `${name} must be an object such as {"urls": ["http://127.0.0.1:4000/tencent/callback"], "token": "…"}, got ${typeof value === "string" ? "a string" : JSON.stringify(value)}`,
    );
  }
  const patch = value as Record<string, unknown>;
  const unknown = Object.keys(patch).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new RangeError(`${name}: unknown field "${unknown[0]}"; expected ${FIELDS.join(", ")}`);
  const next: CallbackSettings = { ...current };
  if (patch.urls !== undefined) next.urls = parseUrls(patch.urls, `${name}.urls`);
  if (patch.token !== undefined) {
    const token = patch.token;
    if (token === null || token === "") delete next.token;
    else if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || /\s/.test(token)) {
      const shape = typeof token === "string" ? `${token.length} characters` : typeof token;
      throw new RangeError(
        `${name}.token must be a string of 1 to ${MAX_TOKEN_LENGTH} characters without spaces, got ${shape}`,
      );
    } else next.token = token;
  }
  if (patch.delayMs !== undefined) {
    const ms = patch.delayMs;
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`${name}.delayMs must be a number of ms, got ${JSON.stringify(ms)}`);
    }
    next.delayMs = ms;
  }
  if (patch.quirks !== undefined) next.quirks = parseCounts(patch.quirks, `${name}.quirks`);
  if (patch.faults !== undefined) {
    const faults = parseProbabilities(patch.faults, CALLBACK_QUIRKS, "callback quirk", `${name}.faults`);
    next.faults = Object.fromEntries(Object.entries(faults).filter(([, p]) => p > 0));
  }
  // A wrong Sign or an old RequestTime only exists where a token makes Tencent sign.
  for (const kind of ["badSign", "staleTime"] as const) {
    if (next.token === undefined && ((next.quirks[kind] ?? 0) > 0 || (next.faults[kind] ?? 0) > 0)) {
      throw new RangeError(`${name}: ${kind} needs a token (unsigned callbacks carry no Sign or RequestTime)`);
    }
  }
  return next;
}

function parseUrls(value: unknown, name: string): string[] {
  const list =
    typeof value === "string"
      ? value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || list.length > MAX_URLS) {
    throw new RangeError(`${name} must be an array of at most ${MAX_URLS} http(s) URLs, got ${JSON.stringify(value)}`);
  }
  return list.map((url: unknown) => {
    let parsed: URL | undefined;
    try {
      parsed = typeof url === "string" ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hash !== "") {
      throw new RangeError(`${name}: ${JSON.stringify(url)} is not an http(s) URL`);
    }
    return url as string;
  });
}

/** `{"drop": 2, "duplicate": 1}`: whole numbers of callbacks; 0 is the same as absent. */
function parseCounts(value: unknown, name: string): Partial<Record<CallbackQuirk, number>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError(`${name} must be an object such as {"drop": 1}, got ${JSON.stringify(value)}`);
  }
  const counts: Partial<Record<CallbackQuirk, number>> = {};
  for (const [kind, n] of Object.entries(value)) {
    if (!(CALLBACK_QUIRKS as readonly string[]).includes(kind)) {
      throw new RangeError(`${name}: unknown callback quirk "${kind}"; expected one of ${CALLBACK_QUIRKS.join(", ")}`);
    }
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      throw new RangeError(`${name}.${kind} must be a whole number of callbacks, got ${JSON.stringify(n)}`);
    }
    if (n > 0) counts[kind as CallbackQuirk] = n;
  }
  return counts;
}
