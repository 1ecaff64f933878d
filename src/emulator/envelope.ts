/** Tencent's answer envelope. HTTP is 200 whatever the outcome; the body says what happened. */
export type Envelope = Record<string, unknown> & { ActionStatus: "OK" | "FAIL"; ErrorCode: number; ErrorInfo: string };

export function ok(fields: Record<string, unknown> = {}, profileApi = true): Envelope {
  return { ...fields, ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "", ...(profileApi ? { ErrorDisplay: "" } : {}) };
}

export function fail(code: number, info: string, profileApi = true): Envelope {
  return { ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: info, ...(profileApi ? { ErrorDisplay: "" } : {}) };
}

/** Thrown inside a handler to answer with a failure envelope. */
export class EnvelopeError extends Error {
  constructor(
    readonly code: number,
    readonly info: string,
  ) {
    super(info);
  }
}

export const MAX_USERID_BYTES = 32;

/**
 * A UserID Tencent accepts: a string of 1 to MAX_USERID_BYTES bytes. Not a type guard (`id is string`):
 * a string can fail it, and a guard would narrow that string to `never`.
 */
export function isValidUserId(id: unknown): boolean {
  return typeof id === "string" && id !== "" && Buffer.byteLength(id, "utf8") <= MAX_USERID_BYTES;
}
