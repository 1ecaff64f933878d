/** Who is calling, from a verified bearer token. */
export interface Viewer {
  /** The token's `sub`: the caller's Tencent UserID. */
  account: string;
  /** Scope `profile:admin`: may write any profile and adminForbidType. */
  admin: boolean;
  /** When the token expires (ms since the epoch): a subscription opened with it ends then. */
  expiresAt?: number;
}

/** The scope that makes a token an admin's. */
export const ADMIN_SCOPE = "profile:admin";
