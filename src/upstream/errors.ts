import { TencentError } from "../tencent/errors.js";

/** The call's total deadline ran out (waiting for a rate slot, retrying, or in flight). */
export class TencentDeadlineError extends TencentError {
  constructor(
    api: string,
    readonly deadlineMs: number,
    /** The failure that the last attempt ended with, if any. */
    cause?: TencentError,
  ) {
    super(
      `Tencent ${api} did not succeed within its ${Math.round(deadlineMs)} ms deadline` +
        (cause ? ` (last error: ${cause.message})` : ""),
      cause?.kind === "throttled" ? "throttled" : "transient",
      api,
      { cause },
    );
  }
}

/** The API's circuit breaker is open after repeated upstream failures: the call was not attempted. */
export class TencentCircuitOpenError extends TencentError {
  constructor(api: string) {
    super(`Tencent ${api} is unavailable (circuit open after repeated failures); not attempted`, "transient", api);
  }
}
