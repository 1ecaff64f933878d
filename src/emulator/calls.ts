/** The REST APIs the emulator serves, as `<service>/<command>` after `/v4/`. */
export const EMULATOR_APIS = [
  "profile/portrait_get",
  "profile/portrait_set",
  "im_open_login_svc/account_import",
  "im_open_login_svc/multiaccount_import",
  "im_open_login_svc/account_delete",
] as const;
export type EmulatorApi = (typeof EMULATOR_APIS)[number];

/** HTTP statuses the emulator answers instead of an envelope: a gateway's, or an injected fault's. */
export type HttpOutcome = "404" | "500" | "502" | "503" | "504";

/** One REST call the emulator answered, for tests and benchmarks that count upstream calls. */
export interface CallRecord {
  /** e.g. `profile/portrait_get`; for a path outside `/v4/`, the path itself. */
  api: string;
  /** When the request arrived, in ms since the epoch (count calls per second with it). */
  at: number;
  /** ErrorCode answered, or the HTTP status / "drop" of a network-level answer. */
  outcome: number | HttpOutcome | "drop";
  /** Set when the outcome was injected: by the `outage` setting, or rolled from `faults`. */
  injected?: "outage" | "fault";
  /** portrait_get: the accounts asked; portrait_set: the account written. */
  accounts?: string[];
  tags?: string[];
  /** portrait_get answered per account: each account's ResultCode, in the order of `accounts`. */
  results?: number[];
}

const MAX_HISTORY = 100_000;

/** The calls answered, oldest first, capped at the newest 100 000. */
export class CallLog {
  readonly calls: CallRecord[] = [];

  record(entry: CallRecord): void {
    if (this.calls.length >= MAX_HISTORY) this.calls.splice(0, this.calls.length - MAX_HISTORY + 1);
    this.calls.push(entry);
  }

  clear(): void {
    this.calls.length = 0;
  }

  /**
   * What GET /emulator/stats answers: calls and outcomes per API, how many outcomes were injected
   * (by an `outage`, or rolled from `faults`), then every call.
   */
  summarize() {
    const byApi: Record<string, { calls: number; outcomes: Record<string, number> }> = {};
    const injected = { outage: 0, fault: 0 };
    for (const call of this.calls) {
      const entry = (byApi[call.api] ??= { calls: 0, outcomes: {} });
      entry.calls++;
      entry.outcomes[String(call.outcome)] = (entry.outcomes[String(call.outcome)] ?? 0) + 1;
      if (call.injected) injected[call.injected]++;
    }
    return { total: this.calls.length, byApi, injected, calls: this.calls };
  }
}

/** The accounts and tags a request named, and for portrait_get each account's ResultCode. */
export function describeCall(
  api: string,
  body: Record<string, unknown> | undefined,
  answer: Record<string, unknown>,
): Partial<CallRecord> {
  if (!body) return {};
  if (api === "profile/portrait_get" && Array.isArray(body.To_Account)) {
    const items = answer.UserProfileItem;
    return {
      accounts: body.To_Account as string[],
      ...(Array.isArray(body.TagList) ? { tags: body.TagList as string[] } : {}),
      ...(Array.isArray(items) ? { results: items.map((item: { ResultCode?: number }) => item.ResultCode ?? 0) } : {}),
    };
  }
  if (api === "profile/portrait_set" && typeof body.From_Account === "string") return { accounts: [body.From_Account] };
  if (api === "im_open_login_svc/account_delete" && Array.isArray(body.DeleteItem)) {
    const ids = body.DeleteItem.map((item: { UserID?: unknown } | null) => item?.UserID);
    return { accounts: ids.filter((id): id is string => typeof id === "string") };
  }
  return {};
}
