/** Who is calling, from a verified bearer token. */
export interface Viewer {
  /** The token's `sub`: the caller's Tencent UserID. */
  account: string;
  /** Scope `profile:admin`: may write any profile and adminForbidType. */
  admin: boolean;
}

/** The scope that makes a token an admin's. */
export const ADMIN_SCOPE = "profile:admin";
