import { createHash } from "node:crypto";
import { stringifyJson } from "../../tencent/json.js";
import type { WireItem } from "../../tencent/portrait.js";

/** Where a profile change was learnt. */
export type ChangeSource =
  /** Tencent's `Profile.CallbackPortraitSet`: any writer (a client SDK, the console, another back end, us). */
  | "callback"
  /** This service's own `setProfile`, published as soon as Tencent accepted it. */
  | "setProfile";

/**
 * A change of one account's profile: the tags that changed and their new values, as Tencent sends
 * them in `ProfileItem` (a callback) or as this service wrote them (`setProfile`).
 */
export interface ProfileChange {
  account: string;
  /** When it happened, in ms since the epoch: Tencent's `EventTime` for a callback, our clock for setProfile. */
  eventTime: number;
  items: WireItem[];
  source: ChangeSource;
  /** Who made it (`Operator_Account`): the user, or an admin identifier. */
  operator?: string;
  /** `OptPlatform` of a callback: RESTAPI, Web, Android, iOS, Windows, Mac, iPad or Unknown. */
  platform?: string;
}

/** A change as the stream delivers it: with its cursor, from which a subscriber can resume. */
export interface ChangeEvent {
  cursor: string;
  change: ProfileChange;
}

/**
 * A short digest of what a change says (its tags and values, order-independent): two deliveries of
 * one callback, or a callback and the `setProfile` it echoes, have the same one.
 */
export function changeDigest(items: readonly WireItem[]): string {
  const canonical = [...items]
    .map((item) => [item.Tag, item.Value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha1").update(stringifyJson(canonical)).digest("base64url").slice(0, 16);
}
