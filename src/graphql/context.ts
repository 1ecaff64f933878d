import type { ProfileLoader } from "../profile/profile.loader.js";
import type { TagRegistry } from "../profile/tags.js";
import type { TencentClient } from "../tencent/client.js";

/** Who is calling, from a verified bearer token. */
export interface Viewer {
  /** The token's `sub`: the caller's Tencent UserID. */
  account: string;
  /** Scope `profile:admin`: may write any profile and adminForbidType. */
  admin: boolean;
}

export interface Context {
  viewer: Viewer | undefined;
  profiles: ProfileLoader;
  tags: TagRegistry;
  client: TencentClient;
  maxUsers: number;
  /** Set on first use: whether the operation selects `User.profile` (see prepareProfiles). */
  selectsProfile?: boolean;
}
