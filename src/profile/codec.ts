import type { WireItem } from "../tencent/portrait.js";
import { UINT32_MAX, type StandardField, type TagRegistry, type TagSpec, type TagValue } from "./tags.js";

/** A profile as the domain sees it: standard fields by name, custom fields by console key. */
export type ProfileData = { [F in StandardField]?: string | number } & {
  readonly account: string;
  /** Custom values by key (no `Tag_Profile_Custom_` prefix); uint64 beyond 2^53 as bigint. */
  readonly custom: Record<string, TagValue>;
};

/** Where the reader reports a value it could not use (logged once per tag and value). */
export type AnomalyReporter = (message: string) => void;

/**
 * Tencent's `[{Tag, Value}]` → a `ProfileData`, tolerant of every shape the service may send
 * (docs/tencent-contract.md): `""` and defaults of never-set fields, integers as decimal strings,
 * and enum values this version does not know. A value that cannot be used reads as null (absent)
 * and is reported, never an error for the caller. Tags the registry does not know are ignored.
 */
export function decodeProfile(
  account: string,
  items: readonly WireItem[],
  tags: TagRegistry,
  report: AnomalyReporter = () => {},
): ProfileData {
  const profile: Record<string, unknown> = { account, custom: {} };
  const custom = profile.custom as Record<string, TagValue>;
  for (const { Tag, Value } of items) {
    const spec = tags.byTag(Tag);
    if (!spec) continue;
    if (!isTagValue(Value)) {
      once(
        report,
        `${Tag}:${typeof Value}`,
        `${Tag} from Tencent is not a string or a number (${kindOf(Value)}), read as null`,
      );
      continue;
    }
    const value = readValue(spec, Value, report);
    if (value === undefined) continue;
    if (spec.kind === "standard") profile[spec.field] = typeof value === "bigint" ? Number(value) : value;
    else custom[spec.key] = value;
  }
  return profile as ProfileData;
}

function readValue(spec: TagSpec, value: TagValue, report: AnomalyReporter): TagValue | undefined {
  if (spec.type === "string") {
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
  const max = spec.type === "uint32" ? BigInt(UINT32_MAX) : 18_446_744_073_709_551_615n;
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

function isTagValue(value: unknown): value is TagValue {
  return typeof value === "string" || typeof value === "number" || typeof value === "bigint";
}

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

const reported = new Set<string>();
function once(report: AnomalyReporter, key: string, message: string): void {
  if (reported.has(key)) return;
  if (reported.size < 1000) reported.add(key);
  report(message);
}
