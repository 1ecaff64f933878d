import { createHash, timingSafeEqual } from "node:crypto";
import { parseJson } from "../../tencent/json.js";
import type { WireItem } from "../../tencent/portrait.js";
import { userIdViolation } from "../userid.js";
import type { ProfileChange } from "./change.js";

/** The one callback command this service acts on; any other is acknowledged and counted. */
export const PROFILE_CHANGED = "Profile.CallbackPortraitSet";

export interface CallbackSettings {
  sdkAppId: number;
  /** The callback token set in the Chat console; undefined only in the explicit unsigned mode. */
  token: string | undefined;
  /** How far `RequestTime` may be from now (Tencent: 60 s). */
  maxSkewMs?: number;
  /** ms since the epoch. */
  now?: () => number;
}

/** What a receiver answers, and what it counts. */
export type CallbackOutcome =
  "accepted" | "unknown_command" | "bad_sign" | "stale_time" | "wrong_app" | "malformed" | "too_large";

export interface CallbackCheck {
  outcome: CallbackOutcome;
  /** The command it claims (for the metric label: the profile command, "other", or "none"). */
  command: string;
  /** HTTP status to answer. */
  status: number;
  /** Why it was refused, for the caller (never a stack trace, never the token). */
  reason?: string;
  /** The change, when accepted. */
  change?: ProfileChange;
}

/** The answer Tencent expects from an after-event callback (it ignores it, but a receiver gives it). */
export const CALLBACK_OK = { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" } as const;

/**
 * Checks one delivery of a Tencent third-party callback and reads a `Profile.CallbackPortraitSet`
 * out of it. In order: the app (`SdkAppid` must be ours), the signature (`Sign` =
 * hex(sha256(token + RequestTime)), compared in constant time) and its freshness (`RequestTime`
 * within 60 s of now), then the command, then the body. The signature covers the token and the
 * time only, not the body: the body is trusted as far as the transport to this endpoint is (HTTPS
 * at the edge), which docs/tencent-contract.md explains.
 *
 *   const check = checkCallback(new URL(req.url, "http://x").searchParams, body, { sdkAppId, token });
 *   if (check.change) await hub.received(check.change);
 */
export function checkCallback(query: URLSearchParams, body: string, settings: CallbackSettings): CallbackCheck {
  const commandParam = query.get("CallbackCommand") ?? "";
  const command = commandParam === PROFILE_CHANGED ? PROFILE_CHANGED : commandParam === "" ? "none" : "other";
  const refuse = (outcome: CallbackOutcome, status: number, reason: string): CallbackCheck => ({
    outcome,
    command,
    status,
    reason,
  });

  if (query.get("SdkAppid") !== String(settings.sdkAppId)) {
    return refuse("wrong_app", 403, "SdkAppid is not this service's app");
  }
  if (settings.token !== undefined) {
    const time = query.get("RequestTime") ?? "";
    const sign = query.get("Sign") ?? "";
    if (!/^\d{1,12}$/.test(time) || !/^[0-9a-fA-F]{64}$/.test(sign)) {
      return refuse("bad_sign", 401, "Sign and RequestTime are required (callback authentication is on)");
    }
    const expected = createHash("sha256")
      .update(settings.token + time)
      .digest();
    if (!timingSafeEqual(expected, Buffer.from(sign, "hex"))) {
      return refuse("bad_sign", 401, "Sign does not match the callback token");
    }
    const now = (settings.now ?? Date.now)();
    if (Math.abs(now - Number(time) * 1000) > (settings.maxSkewMs ?? 60_000)) {
      return refuse("stale_time", 401, "RequestTime is more than 60 s from now (a replay, or a clock far off)");
    }
  }
  if (command !== PROFILE_CHANGED) {
    // Tencent sends every configured callback to the one URL: acknowledge what this service ignores.
    return { outcome: "unknown_command", command, status: 200 };
  }
  const change = readChange(body, query);
  if (typeof change === "string") return refuse("malformed", 400, change);
  return { outcome: "accepted", command, status: 200, change };
}

/** The body of a `Profile.CallbackPortraitSet`, or why it cannot be one. */
function readChange(body: string, query: URLSearchParams): ProfileChange | string {
  let parsed: unknown;
  try {
    parsed = parseJson(body);
  } catch {
    return "the body is not JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "the body is not a JSON object";
  const b = parsed as Record<string, unknown>;
  if (b.CallbackCommand !== PROFILE_CHANGED) return "CallbackCommand in the body differs from the URL's";
  const account = b.From_Account;
  const violation = userIdViolation(account);
  if (violation) return `From_Account ${violation}`;
  const eventTime = typeof b.EventTime === "bigint" ? Number(b.EventTime) : b.EventTime;
  if (typeof eventTime !== "number" || !Number.isSafeInteger(eventTime) || eventTime < 0) {
    return "EventTime must be a time in ms";
  }
  if (!Array.isArray(b.ProfileItem) || b.ProfileItem.length === 0) return "ProfileItem must be a non-empty array";
  const items: WireItem[] = [];
  for (const item of b.ProfileItem as unknown[]) {
    const tag = (item as { Tag?: unknown } | null)?.Tag;
    if (typeof tag !== "string" || !("Value" in (item as object))) return "each ProfileItem needs a Tag and a Value";
    items.push({ Tag: tag, Value: (item as { Value: unknown }).Value });
  }
  const operator = typeof b.Operator_Account === "string" ? b.Operator_Account : undefined;
  const platform = query.get("OptPlatform") ?? undefined;
  return {
    account: account as string,
    eventTime,
    items,
    source: "callback",
    ...(operator !== undefined ? { operator } : {}),
    ...(platform !== undefined ? { platform } : {}),
  };
}
