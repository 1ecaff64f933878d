import { rollKind } from "./behaviour.js";
import { ACCOUNT_FAILURE_CODES, type AccountFailure, type AccountFailureCode, type Quirks } from "./quirks.js";

const FAULT_KINDS = ACCOUNT_FAILURE_CODES.map((c) => `${c}` as const);

/**
 * Per-account transient failures of portrait_get (quirks `accountFailures` and `accountFaults`).
 * Counted failures are deterministic, so a test can tell how many reads an account needs; the
 * probabilities are for soak runs and draw from the emulator's injectable `random`.
 *
 *   const failures = new AccountFailures({ accountFailures: { "li.na": { code: 40006, times: 2 } } }, Math.random);
 *   failures.take("li.na"); // 40006, then 40006, then undefined
 */
export class AccountFailures {
  readonly #left = new Map<string, AccountFailure>();
  readonly #faults: Quirks["accountFaults"];

  constructor(
    quirks: Quirks,
    readonly random: () => number,
  ) {
    for (const [account, failure] of Object.entries(quirks.accountFailures ?? {}))
      this.#left.set(account, { ...failure });
    this.#faults = quirks.accountFaults;
  }

  /** The code this read of `account` fails with, if any; each call counts as one read. */
  take(account: string): AccountFailureCode | undefined {
    const counted = this.#left.get(account);
    if (counted) {
      if (--counted.times === 0) this.#left.delete(account);
      return counted.code;
    }
    if (!this.#faults) return undefined;
    const kind = rollKind(this.#faults, FAULT_KINDS, this.random);
    return kind === undefined ? undefined : (Number(kind) as AccountFailureCode);
  }

  /** The counted failures still to come, in the `accountFailures` form. */
  remaining(): Record<string, AccountFailure> {
    return Object.fromEntries([...this.#left].map(([account, f]) => [account, { ...f }]));
  }
}
