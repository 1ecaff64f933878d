import type { Upstream } from "../upstream/upstream.js";
import type { Logger } from "./logger.js";

export interface ReadinessReport {
  ready: boolean;
  checks: {
    /** `ok` after the first successful upstream check; `pending` before; `failing` while it fails. */
    upstream: "ok" | "pending" | "failing";
    /** APIs whose circuit breaker is open. */
    openCircuits: string[];
    draining: boolean;
    /** Where call slots come from: local, shared (Redis), or degraded (Redis unreachable: a local share). */
    budget: string;
    /** With REDIS_URL: whether Redis answers. Degraded still serves, so it does not make the replica unready. */
    redis?: string;
  };
}

/**
 * When this replica should get traffic: not until one upstream call has succeeded (credentials
 * and network work), not while a circuit breaker is open, and not once it is draining. The
 * upstream check is a one-account `portrait_get` of the admin account; it repeats every
 * `intervalMs` until it succeeds, and while a breaker is open (its probe closes the breaker).
 */
export class Readiness {
  #upstream: "ok" | "pending" | "failing" = "pending";
  #draining = false;
  #timer: NodeJS.Timeout | undefined;
  #checking = false;
  #firstCheck: { promise: Promise<void>; resolve: () => void } = deferred();

  constructor(
    private readonly client: Upstream,
    private readonly logger: Logger,
    private readonly intervalMs = 2_000,
    private readonly redis?: { readonly state: string },
  ) {}

  start(): void {
    void this.#check();
    // While a circuit is open the check runs often: refused at once (no network) until the circuit's
    // trial is due, and then it may be that trial, so an idle replica (taken out of rotation by its
    // own 503) is ready again soon after Tencent answers.
    let last = performance.now();
    this.#timer = setInterval(
      () => {
        const now = performance.now();
        const recovering = this.client.openCircuits().length > 0;
        if ((recovering || this.#upstream !== "ok") && (recovering || now - last >= this.intervalMs)) {
          last = now;
          void this.#check();
        }
      },
      Math.min(this.intervalMs, RECOVERY_CHECK_MS),
    );
    this.#timer.unref();
  }

  /** Resolves once the first upstream check has finished, whatever its result. */
  checked(): Promise<void> {
    return this.#firstCheck.promise;
  }

  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  report(): ReadinessReport {
    const openCircuits = this.client.openCircuits();
    const checks = {
      upstream: this.#upstream,
      openCircuits,
      draining: this.#draining,
      budget: this.client.budget.mode,
      ...(this.redis ? { redis: this.redis.state } : {}),
    };
    return { ready: this.#upstream === "ok" && openCircuits.length === 0 && !this.#draining, checks };
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      await this.client.portraitGet([this.client.adminIdentifier], ["Tag_Profile_IM_Nick"], {
        deadline: performance.now() + this.intervalMs,
      });
      if (this.#upstream !== "ok") this.logger.info("upstream check passed: ready");
      this.#upstream = "ok";
    } catch (error) {
      if (this.#upstream !== "failing")
        this.logger.warn(
          { err: error instanceof Error ? error : new Error(String(error)) },
          "upstream check failed: not ready",
        );
      if (this.#upstream !== "ok") this.#upstream = "failing";
    } finally {
      this.#checking = false;
      this.#firstCheck.resolve();
    }
  }
}

const RECOVERY_CHECK_MS = 200;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
