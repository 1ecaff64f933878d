/**
 * The right to send one attempt of one API now: drawn from the call budget, spent by exactly one
 * attempt. A slot is a value, not a flag: the read dispatcher draws one to decide when its next
 * call leaves and hands it to the call, which spends it on the first attempt; a retry draws its own.
 * Spending a slot twice, or on another API, is a bug and throws.
 *
 *   const slot = await upstream.acquire("profile/portrait_get");
 *   await upstream.portraitGet(accounts, tags, { slot });
 */
export class Slot {
  #spent = false;

  constructor(
    readonly api: string,
    /** When it was granted (performance.now()). */
    readonly grantedAt: number,
  ) {}

  get spent(): boolean {
    return this.#spent;
  }

  /** Mark the slot used by an attempt of `api`. */
  spend(api: string): void {
    if (api !== this.api) throw new Error(`a slot of ${this.api} cannot pay for a call of ${api}`);
    if (this.#spent) throw new Error(`this slot of ${api} was already spent`);
    this.#spent = true;
  }
}
