import { UINT32_MAX, UINT64_MAX, type StandardField, type TagRegistry, type TagSpec, type TagValue } from "./tags.js";

/** A profile as the domain sees it: standard fields by name, custom fields by console key. */
export type ProfileData = { [F in StandardField]?: string | number } & {
  readonly account: string;
  /** Custom values by key (no `Tag_Profile_Custom_` prefix); uint64 beyond 2^53 as bigint. */
  readonly custom: Record<string, TagValue>;
};

/** Where the reader reports a value it could not use (logged once per tag and reason). */
export type AnomalyReporter = (message: string) => void;

/**
 * One `{Tag, Value}` as it came off the wire. Nothing about it is trusted: Tencent documents
 * `uint64_t/string/bytes`, but a JSON answer can hold any kind of value.
 */
export interface WireProfileItem {
  readonly Tag: unknown;
  readonly Value: unknown;
}

/**
 * Tencent's `[{Tag, Value}]` → a `ProfileData`, tolerant of every shape the service may send
 * (docs/tencent-contract.md): `""` and defaults of never-set fields, integers as decimal strings,
 * and enum values this version does not know. A value that cannot be used reads as null (absent)
 * and is reported with the reason, never an error for the caller and never dropped in silence:
 * a tag the registry does not know, a value of the wrong JSON kind (object, array, boolean, null),
 * an integer out of range, an unknown enum value.
 */
export function decodeProfile(
  account: string,
  items: readonly WireProfileItem[],
  tags: TagRegistry,
  report: AnomalyReporter = () => {},
): ProfileData {
  const profile: Record<string, unknown> = { account, custom: {} };
  const custom = profile.custom as Record<string, TagValue>;
  for (const item of items) {
    const { Tag: tag, Value: raw } = item;
    if (typeof tag !== "string") {
      once(report, `tag:${typeof tag}`, `a ProfileItem from Tencent has no string Tag (${kindOf(tag)}), ignored`);
      continue;
    }
    const spec = tags.byTag(tag);
    if (!spec) {
      once(
        report,
        `unknown:${tag}`,
        `${clip(tag)} from Tencent is not a tag this service knows (not standard, not in TIM_CUSTOM_TAGS), ignored`,
      );
      continue;
    }
    const value = readValue(spec, raw, report);
    if (value === undefined) continue;
    if (spec.kind === "standard") profile[spec.field] = typeof value === "bigint" ? Number(value) : value;
    else custom[spec.key] = value;
  }
  return profile as ProfileData;
}

function readValue(spec: TagSpec, value: unknown, report: AnomalyReporter): TagValue | undefined {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") {
    const kind = kindOf(value);
    once(
      report,
      `${spec.tag}:${kind}`,
      `${spec.tag} from Tencent ${kind === "undefined" ? "has no Value" : `is a JSON ${kind}`}, not ${spec.type === "string" || spec.type === "bytes" ? "a string" : "an integer"}; read as null`,
    );
    return undefined;
  }
  if (spec.type === "string" || spec.type === "bytes") {
    // A number where a string is declared is still the value, in decimal.
    if (typeof value !== "string") return String(value);
    if (value === "") return undefined; // never set
    if (spec.kind === "standard" && spec.values && !spec.values.includes(value)) {
      once(
        report,
        `${spec.tag}=${value}`,
        `unknown ${spec.tag} value ${JSON.stringify(value.slice(0, 64))} from Tencent, read as null`,
      );
      return undefined;
    }
    return value;
  }
  const n = toInteger(value);
  const max = spec.type === "uint32" ? BigInt(UINT32_MAX) : UINT64_MAX;
  if (n === undefined || n < 0n || n > max) {
    once(
      report,
      `${spec.tag}:${typeof value}`,
      `${spec.tag} from Tencent is not an integer in range (${JSON.stringify(String(value).slice(0, 64))}), read as null`,
    );
    return undefined;
  }
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

// Integers may come as JSON numbers, bigints (beyond 2^53) or decimal strings.
function toInteger(value: TagValue): bigint | undefined {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : undefined;
  return /^\d{1,20}$/.test(value.trim()) ? BigInt(value.trim()) : undefined;
}

/** The JSON kind of a value, as a reason names it. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

// A tag is the upstream's text: only a short, printable prefix of it goes into a log line.
function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 64)}…` : printable);
}

const reported = new Set<string>();
function once(report: AnomalyReporter, key: string, message: string): void {
  if (reported.has(key)) return;
  if (reported.size < 1000) reported.add(key);
  report(message);
}
