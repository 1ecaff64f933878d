import type { ProfileItem } from "../tencent/portrait.js";
import {
  checkTagValue,
  STANDARD_TAGS,
  UINT64_MAX,
  type StandardField,
  type TagRegistry,
  type TagValue,
} from "./tags.js";

/** What a caller asks to change: standard fields by name, custom values by key. */
export type ProfileChanges = { [F in StandardField]?: unknown } & { custom?: unknown };

export interface InputViolation {
  /** Path of the offending field, e.g. `input.nick` or `input.custom.Score`. */
  field: string;
  rule: string;
}

/**
 * Check every change against Tencent's rules and turn it into portrait_set items. Returns all
 * violations at once so that a caller can fix them in one go; nothing is sent when any exists.
 *
 *   const { items, violations } = encodeProfileChanges({ nick: "李娜", custom: { Score: "18446744073709551615" } }, tags);
 */
export function encodeProfileChanges(
  changes: ProfileChanges,
  tags: TagRegistry,
  path = "input",
): { items: ProfileItem[]; violations: InputViolation[] } {
  const items: ProfileItem[] = [];
  const violations: InputViolation[] = [];
  for (const spec of STANDARD_TAGS) {
    const value = changes[spec.field];
    if (value === undefined) continue;
    const field = `${path}.${spec.field}`;
    if (value === null) {
      violations.push({ field, rule: "cannot be null; leave it out to keep the current value" });
      continue;
    }
    const violation = checkTagValue(spec, value) ?? serviceRule(spec.field, value);
    if (violation) violations.push({ field, rule: violation.rule });
    else items.push({ Tag: spec.tag, Value: value as TagValue });
  }
  const custom = changes.custom;
  if (custom !== undefined && custom !== null) {
    if (typeof custom !== "object" || Array.isArray(custom)) {
      violations.push({ field: `${path}.custom`, rule: "must be an object of custom key → value" });
    } else {
      for (const [key, raw] of Object.entries(custom as Record<string, unknown>)) {
        // The key is the caller's: only a short prefix of it goes back in the error.
        const field = `${path}.custom.${shortKey(key)}`;
        const spec = tags.byCustomKey(key);
        if (!spec) {
          const known = tags.custom.map((t) => t.key).join(", ") || "none are configured";
          violations.push({ field, rule: `is not a configured custom tag (configured: ${known})` });
          continue;
        }
        if (!spec.writable) {
          violations.push({ field, rule: "is read-only (no write permission in the console)" });
          continue;
        }
        const value = spec.type === "integer" ? toInteger(raw) : raw;
        const violation = checkTagValue(spec, value) ?? serviceRule(undefined, value);
        if (violation) {
          const rule =
            spec.type === "integer" && "code" in violation && violation.code !== 40601
              ? `must be an integer from 0 to ${UINT64_MAX} (a JSON number, or a decimal string beyond 2^53)`
              : violation.rule;
          violations.push({ field, rule });
        } else items.push({ Tag: spec.tag, Value: value as TagValue });
      }
    }
  }
  if (items.length === 0 && violations.length === 0) {
    violations.push({ field: path, rule: "must set at least one field" });
  }
  return { items, violations };
}

function shortKey(key: string): string {
  if (key.length <= 32) return key;
  return `${[...key.slice(0, 64)].slice(0, 32).join("")}…`;
}

/**
 * Rules this service adds to Tencent's, for the frontends that render profiles: strings must be
 * well-formed UTF-16 (a lone surrogate cannot be encoded as UTF-8 and is mangled upstream), and an
 * avatar must be an http(s) URL (a `javascript:` URL in an <img> or link is an XSS vector).
 */
function serviceRule(field: string | undefined, value: unknown): { rule: string } | undefined {
  if (typeof value !== "string") return undefined;
  if (LONE_SURROGATE.test(value)) return { rule: "must be well-formed Unicode (it holds a lone surrogate)" };
  if (field === "image" && value !== "" && !isHttpUrl(value)) return { rule: "must be an http: or https: URL" };
  return undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

// Integers above 2^53 cannot travel as JSON numbers without loss, so they come as strings.
function toInteger(raw: unknown): unknown {
  if (typeof raw === "number") return Number.isSafeInteger(raw) ? raw : Number.NaN;
  if (typeof raw === "string" && /^\d{1,20}$/.test(raw)) {
    const n = BigInt(raw);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  }
  return raw === undefined ? raw : Number.NaN;
}
