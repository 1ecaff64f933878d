import type { Context, Viewer } from "./context.js";
import { badInput, unauthenticated } from "./errors.js";
import { userIdViolation } from "../profile/userid.js";

/** The caller, or UNAUTHENTICATED. (The operation plugin already refused anonymous operations.) */
export function assertAuthenticated(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated("A bearer token is required (Authorization: Bearer <JWT>)");
  return ctx.viewer;
}

/** The error for an argument that cannot be a Tencent UserID, or undefined. Checked before any upstream call. */
export function userIdError(id: unknown, field: string): Error | undefined {
  const rule = userIdViolation(id);
  return rule === undefined ? undefined : badInput([{ field, rule }]);
}

export function checkUserId(id: unknown, field: string): void {
  const error = userIdError(id, field);
  if (error) throw error;
}
