import { rollKind } from "./behaviour.js";
import { CALLBACK_QUIRKS, type CallbackQuirk, type CallbackSettings } from "./callback.settings.js";

/**
 * Which quirks the next callback gets. Counted quirks are deterministic (a test knows which
 * callback is dropped or duplicated) and combine: `{"duplicate": 1, "badSign": 1}` sends the next
 * callback twice, both with a wrong Sign. Only when no count is left, one quirk may be rolled from
 * `faults`, drawing from the emulator's injectable `random`.
 *
 *   const quirks = new CallbackQuirks({ ...settings, quirks: { drop: 2 } }, Math.random);
 *   quirks.next(); // ["drop"], then ["drop"], then []
 */
export class CallbackQuirks {
  readonly #left = new Map<CallbackQuirk, number>();

  constructor(
    readonly settings: Pick<CallbackSettings, "quirks" | "faults">,
    readonly random: () => number,
  ) {
    for (const kind of CALLBACK_QUIRKS) {
      const n = settings.quirks[kind] ?? 0;
      if (n > 0) this.#left.set(kind, n);
    }
  }

  /** The quirks of the next callback, in CALLBACK_QUIRKS order; each call is one callback. */
  next(): CallbackQuirk[] {
    if (this.#left.size > 0) {
      const kinds = [...this.#left.keys()];
      for (const kind of kinds) {
        const n = this.#left.get(kind)! - 1;
        if (n === 0) this.#left.delete(kind);
        else this.#left.set(kind, n);
      }
      return CALLBACK_QUIRKS.filter((kind) => kinds.includes(kind));
    }
    if (Object.keys(this.settings.faults).length === 0) return [];
    const rolled = rollKind(this.settings.faults, CALLBACK_QUIRKS, this.random);
    return rolled ? [rolled] : [];
  }

  /** The counted quirks still to come, in the `quirks` form. */
  remaining(): Partial<Record<CallbackQuirk, number>> {
    return Object.fromEntries(this.#left);
  }
}
