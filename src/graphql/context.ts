import type { ChangeHub } from "../profile/changes/hub.js";
import type { ProfileService } from "../profile/profile.service.js";
import type { Viewer } from "../profile/viewer.js";
import type { ProfilePlan } from "./selection.js";

export type { Viewer } from "../profile/viewer.js";

/** What every resolver of one operation sees. */
export interface Context {
  viewer: Viewer | undefined;
  /** This operation's profile reads and writes. */
  profiles: ProfileService;
  /** Worked out once per operation, before it executes (see the operation plugin). */
  plan: ProfilePlan | undefined;
  /** Largest `users(ids)` list. */
  maxUsers: number;
  /** Profile changes, for `profileChanged` (undefined: live updates are off). */
  changes?: ChangeHub | undefined;
  /** Largest `profileChanged(ids)` list. */
  maxSubscriptionIds: number;
  /**
   * A subscription's per-change deadline and signal (the WebSocket and SSE transports): each change
   * is executed as an operation of its own. Undefined over HTTP, where the request's deadline holds.
   */
  eventWindow?: (() => { signal: AbortSignal; deadline: number }) | undefined;
  /**
   * The HTTP request the operation came in, shared by every operation of a batch (Apollo gives
   * each operation a shallow copy of the context, so this object is the same for all of them).
   */
  http: {
    /** Set once an operation of the request writes: a client that disconnects then no longer cancels it. */
    writes: boolean;
  };
}
