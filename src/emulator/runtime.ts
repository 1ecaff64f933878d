import {
  describeBehaviour,
  parseFaults,
  parseLatency,
  parseQuirks,
  parseRateLimit,
  type Behaviour,
} from "./behaviour.js";
import type { CallbackSender } from "./callbacks.js";
import { AccountFailures } from "./failure.quirks.js";
import { Outage, parseOutage, type OutageCode } from "./outage.js";
import { Throttle } from "./throttle.js";

const SETTINGS = ["rateLimit", "latencyMs", "faults", "quirks", "outage", "callbacks"] as const;

/**
 * The emulator's behaviour as it is now, with the state that goes with it: one throttle per API,
 * the per-account failures still due, an outage in progress and the profile-change callbacks.
 * Changed at run time by POST /emulator/config.
 */
export class RuntimeBehaviour {
  readonly current: Behaviour;
  #throttles = new Map<string, Throttle>();
  #failures: AccountFailures;
  #outage: Outage | undefined;

  constructor(
    initial: Behaviour,
    readonly random: () => number,
    /** The emulator's clock in ms, for `outage` times. */
    readonly nowMs: () => number = Date.now,
    /** Where the `callbacks` setting goes. */
    readonly callbacks?: CallbackSender,
  ) {
    this.current = { ...initial };
    this.#failures = new AccountFailures(initial.quirks, random);
  }

  get failures(): AccountFailures {
    return this.#failures;
  }

  /** The code an outage in progress fails this call of `api` with, without counting it. */
  outageFor(api: string): OutageCode | undefined {
    return this.#outage?.peek(api, this.nowMs());
  }

  /** As `outageFor`, counting the call as one the outage failed. */
  takeOutage(api: string): OutageCode | undefined {
    return this.#outage?.take(api, this.nowMs());
  }

  /** The API's throttle, or undefined when throttling is off. */
  throttleFor(api: string): Throttle | undefined {
    if (this.current.rateLimit <= 0) return undefined;
    let throttle = this.#throttles.get(api);
    if (!throttle) {
      throttle = new Throttle(this.current.rateLimit);
      this.#throttles.set(api, throttle);
    }
    return throttle;
  }

  /**
   * Change behaviour; settings left out stay as they are. `faults` and `quirks` are replaced as a
   * whole (`{}` clears them) and a new `quirks` restarts the `accountFailures` counts. A new
   * `outage` replaces the one in progress (`null` or `{}` ends it). `callbacks` changes the
   * fields it names (see callback.settings.ts) and restarts the counted callback quirks. Nothing
   * changes when any setting is invalid.
   */
  configure(patch: Record<string, unknown>): void {
    const unknown = Object.keys(patch).filter((key) => !(SETTINGS as readonly string[]).includes(key));
    if (unknown.length > 0)
      throw new RangeError(`unknown setting "${unknown[0]}"; expected one of ${SETTINGS.join(", ")}`);
    const next: Behaviour = { ...this.current };
    if (patch.rateLimit !== undefined) next.rateLimit = parseRateLimit(patch.rateLimit);
    if (patch.latencyMs !== undefined) next.latency = parseLatency(patch.latencyMs);
    if (patch.faults !== undefined) next.faults = parseFaults(patch.faults);
    const quirks = patch.quirks !== undefined ? parseQuirks(patch.quirks) : undefined;
    const outage = patch.outage !== undefined ? parseOutage(patch.outage, this.nowMs()) : undefined;
    if (patch.callbacks !== undefined && !this.callbacks) throw new RangeError("callbacks: not available here");
    const callbacks = patch.callbacks !== undefined ? this.callbacks!.parse(patch.callbacks) : undefined;
    // Every setting is valid: apply them.
    if (quirks) {
      next.quirks = quirks;
      this.#failures = new AccountFailures(quirks, this.random);
    }
    if (patch.outage !== undefined) this.#outage = outage && new Outage(outage);
    if (callbacks) this.callbacks!.apply(callbacks);
    if (next.rateLimit !== this.current.rateLimit) this.#throttles = new Map();
    Object.assign(this.current, next);
  }

  /** What GET /emulator/config shows; `outage` only while one lasts, `callbacks` only when configured. */
  describe(): ReturnType<typeof describeBehaviour> & {
    outage?: ReturnType<Outage["describe"]>;
    callbacks?: ReturnType<CallbackSender["describe"]>;
  } {
    const outage = this.#outage?.describe(this.nowMs());
    const callbacks = this.callbacks?.settings.urls.length ? this.callbacks.describe() : undefined;
    return {
      ...describeBehaviour(this.current, this.#failures.remaining()),
      ...(outage ? { outage } : {}),
      ...(callbacks ? { callbacks } : {}),
    };
  }
}
