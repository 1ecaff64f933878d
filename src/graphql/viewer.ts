import { Buffer } from "node:buffer";
import type { Context, Viewer } from "./context.js";
import { badInput, unauthenticated } from "./errors.js";

export function viewerOf(ctx: Context): Viewer {
  if (!ctx.viewer) throw unauthenticated("A bearer token is required (Authorization: Bearer <JWT>)");
  return ctx.viewer;
}

/** A Tencent UserID: 1 to 32 bytes. Checked before any upstream call. */
export function checkUserId(id: string, field: string): void {
  const bytes = Buffer.byteLength(id, "utf8");
  if (bytes === 0 || bytes > 32) throw badInput([{ field, rule: `must be a Tencent UserID of 1 to 32 bytes (got ${bytes})` }]);
}
