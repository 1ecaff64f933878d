import { Buffer } from "node:buffer";

/** Tencent's longest UserID, in bytes of UTF-8. */
export const USERID_MAX_BYTES = 32;

// Control and format characters (bidi overrides and isolates, zero-width joiners…), lone
// surrogates, and line/paragraph separators: invisible or reordering, never part of a real UserID.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/**
 * Why `id` cannot be a Tencent UserID, or undefined when it can: 1 to 32 bytes of printable
 * UTF-8, with no control or bidi characters. The same rule guards arguments and token subjects.
 */
export function userIdViolation(id: unknown): string | undefined {
  if (typeof id !== "string") return "must be a string";
  const bytes = Buffer.byteLength(id, "utf8");
  if (bytes === 0 || bytes > USERID_MAX_BYTES)
    return `must be a Tencent UserID of 1 to ${USERID_MAX_BYTES} bytes (got ${bytes})`;
  if (UNPRINTABLE.test(id)) return "must hold only printable characters (no control or bidi characters)";
  return undefined;
}
