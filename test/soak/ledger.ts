/**
 * The soak's record of writes: per account, every `setProfile` it sent in order (each account has
 * one writer, so its writes never overlap), with what the service answered. After the load it
 * says whether the value read back is one the answers allow.
 */
export type WriteOutcome = "ok" | "unknown" | "failed";

interface WriteRecord {
  value: string;
  /** When the request left, ms on the performance clock. */
  sentAt: number;
  outcome: WriteOutcome;
}

/** How a value read back after the load compares with the writes' answers. */
export type ReadBack =
  | "acknowledged" // the last acknowledged write (or, with none, the seeded value)
  | "unknown-landed" // a write answered `outcome: "unknown"` that may have landed after it
  | "mismatch";

export class WriteLedger {
  readonly #writes = new Map<string, WriteRecord[]>();

  constructor(
    /** The value an account holds before any write. */
    private readonly initial: (account: string) => string,
    /**
     * How long after it was sent a write may still be applied (the emulator's apply delay plus
     * latency): an unknown write sent this long before the last acknowledged one may land after it.
     */
    private readonly lateApplyMs: number,
  ) {}

  record(account: string, value: string, sentAt: number, outcome: WriteOutcome): void {
    let list = this.#writes.get(account);
    if (!list) this.#writes.set(account, (list = []));
    list.push({ value, sentAt, outcome });
  }

  accounts(): string[] {
    return [...this.#writes.keys()];
  }

  /** Judge the value `actual` read back for `account`; `expected` is what a mismatch should have been. */
  judge(account: string, actual: string): { readBack: ReadBack; expected: string } {
    const writes = this.#writes.get(account) ?? [];
    const last = writes.findLast((w) => w.outcome === "ok");
    const expected = last?.value ?? this.initial(account);
    if (actual === expected) return { readBack: "acknowledged", expected };
    const since = last ? last.sentAt - this.lateApplyMs : -Infinity;
    const unknown = writes.some((w) => w.outcome === "unknown" && w.sentAt >= since && w.value === actual);
    return { readBack: unknown ? "unknown-landed" : "mismatch", expected };
  }

  /** Writes answered `outcome: "unknown"`, and how many of them were their account's last write and read back. */
  unknownSummary(readBack: (account: string) => string | undefined): {
    unknown: number;
    lastAndLanded: number;
    lastAndNotLanded: number;
  } {
    let unknown = 0;
    let lastAndLanded = 0;
    let lastAndNotLanded = 0;
    for (const [account, writes] of this.#writes) {
      unknown += writes.filter((w) => w.outcome === "unknown").length;
      const last = writes.at(-1);
      if (last?.outcome !== "unknown") continue;
      if (readBack(account) === last.value) lastAndLanded++;
      else lastAndNotLanded++;
    }
    return { unknown, lastAndLanded, lastAndNotLanded };
  }
}
