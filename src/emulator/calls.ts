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

/**
 * The records kept are bounded by count and by an estimate of their heap size, whichever binds
 * first. A count alone does not bound memory: a record costs about 360 bytes with one account and
 * 5 KB with 100 (measured with `--expose-gc` on Node 20), so 100 000 records of 100-account calls
 * held about 490 MB, in every process that embeds the emulator. 32 MiB holds the calls of any
 * window the bench measures (about 30 s of 700 calls/s of one or two accounts) with room to spare.
 */
export const MAX_RECORDS = 100_000;
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;
/** Once over a bound, the oldest records go down to this share of it in one splice, not one by one. */
const TRIM_TO = 0.9;

/** Heap bytes a record holds, estimated from the measured sizes above (a little over them). */
export function recordBytes(entry: CallRecord): number {
  // A malformed request may name anything but strings: count it as a short string.
  const size = (value: unknown) => 32 + (typeof value === "string" ? value.length : 32);
  let bytes = 256;
  for (const account of entry.accounts ?? []) bytes += size(account);
  for (const tag of entry.tags ?? []) bytes += size(tag);
  return bytes + 8 * (entry.results?.length ?? 0);
}

type ApiCounts = Record<string, { calls: number; outcomes: Record<string, number> }>;

/**
 * The calls answered since the last `clear()`: per API and outcome, every one of them; as records,
 * the newest within the bounds above, oldest first (`dropped` says how many older ones are gone).
 */
export class CallLog {
  /** Kept in place (never replaced): the emulator hands this very array out as `emulator.calls`. */
  readonly calls: CallRecord[] = [];
  #bytes: number[] = [];
  #totalBytes = 0;
  #byApi: ApiCounts = {};
  #total = 0;
  #dropped = 0;
  #injected = { outage: 0, fault: 0 };

  constructor(
    private readonly bounds: { maxRecords: number; maxBytes: number } = {
      maxRecords: MAX_RECORDS,
      maxBytes: MAX_RECORD_BYTES,
    },
  ) {}

  record(entry: CallRecord): void {
    const counts = (this.#byApi[entry.api] ??= { calls: 0, outcomes: {} });
    counts.calls++;
    counts.outcomes[String(entry.outcome)] = (counts.outcomes[String(entry.outcome)] ?? 0) + 1;
    if (entry.injected) this.#injected[entry.injected]++;
    this.#total++;
    const bytes = recordBytes(entry);
    this.calls.push(entry);
    this.#bytes.push(bytes);
    this.#totalBytes += bytes;
    const { maxRecords, maxBytes } = this.bounds;
    if (this.calls.length > maxRecords || this.#totalBytes > maxBytes) this.#trim(maxRecords, maxBytes);
  }

  clear(): void {
    this.calls.length = 0;
    this.#bytes = [];
    this.#totalBytes = 0;
    this.#byApi = {};
    this.#total = 0;
    this.#dropped = 0;
    this.#injected = { outage: 0, fault: 0 };
  }

  /** Records kept and their estimated heap bytes, and how many older ones were dropped. */
  get size(): { records: number; bytes: number; dropped: number } {
    return { records: this.calls.length, bytes: this.#totalBytes, dropped: this.#dropped };
  }

  /**
   * What GET /emulator/stats answers: calls and outcomes per API (all of them since the last
   * clear), how many outcomes were injected (by an `outage`, or rolled from `faults`), then the
   * records kept; `dropped` counts the older records no longer listed.
   */
  summarize() {
    const byApi: ApiCounts = {};
    for (const [api, { calls, outcomes }] of Object.entries(this.#byApi))
      byApi[api] = { calls, outcomes: { ...outcomes } };
    return {
      total: this.#total,
      byApi,
      injected: { ...this.#injected },
      dropped: this.#dropped,
      calls: this.calls,
    };
  }

  #trim(maxRecords: number, maxBytes: number): void {
    let drop = 0;
    let bytes = this.#totalBytes;
    while (drop < this.calls.length && (this.calls.length - drop > maxRecords * TRIM_TO || bytes > maxBytes * TRIM_TO))
      bytes -= this.#bytes[drop++]!;
    this.calls.splice(0, drop);
    this.#bytes.splice(0, drop);
    this.#totalBytes = bytes;
    this.#dropped += drop;
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
